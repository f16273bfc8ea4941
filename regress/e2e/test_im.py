"""Routing and presence between users (RFC 6121 sections 4 and 8)."""

import os
import re
import signal

from rawxmpp import Raw
from xmppdtest import started


def setup():
    return started(("alice", "bob"), prefork=2)


def teardown(s):
    s.stop()


def online(s, user, resource, priority=0, show=True):
    r = Raw(s.ports["client"])
    r.login(user, user + "-pw", resource)
    if show:
        r.send("<presence><priority>%d</priority></presence>" % priority)
    return r


def msg(to, mid, body="hi", mtype="chat"):
    return ("<message to='%s' id='%s' type='%s'><body>%s</body></message>"
            % (to, mid, mtype, body))


def test_chat_both_ways(s):
    a = online(s, "alice", "a1")
    b = online(s, "bob", "b1")
    a.send(msg("bob@example.org/b1", "ab"))
    assert "from='alice@example.org/a1'" in b.expect(
        r"<message[^>]*id='ab'[^>]*>").group(0)
    b.send(msg("alice@example.org/a1", "ba"))
    a.expect(r"<message[^>]*id='ba'")
    a.close()
    b.close()


def test_bare_jid_goes_to_highest_priority(s):
    hi = online(s, "bob", "hi", 5)
    lo = online(s, "bob", "lo", 1)
    neg = online(s, "bob", "neg", -1)
    a = online(s, "alice", "x")
    a.send(msg("bob@example.org", "p1"))
    hi.expect(r"<message[^>]*id='p1'")
    hi.close()
    # Anything routed to lo before hi left would come before this.
    m = lo.expect(r"(.*?)<presence type='unavailable' "
                  r"from='bob@example.org/hi'/>")
    assert "id='p1'" not in m.group(1)
    a.send(msg("bob@example.org", "p2"))
    lo.expect(r"<message[^>]*id='p2'")
    neg.send("<iq type='get' id='sync' to='example.org'>"
             "<ping xmlns='urn:xmpp:ping'/></iq>")
    assert "id='p" not in neg.expect(r"(.*?)id='sync'").group(1)
    a.close()
    lo.close()
    neg.close()


def test_equal_priorities_both_get_it(s):
    one = online(s, "bob", "one", 3)
    two = online(s, "bob", "two", 3)
    a = online(s, "alice", "y")
    a.send(msg("bob@example.org", "eq"))
    one.expect(r"id='eq'")
    two.expect(r"id='eq'")
    for r in (one, two, a):
        r.close()


def test_groupchat_to_bare_jid_is_an_error(s):
    hidden = online(s, "bob", "hidden", show=False)
    a = online(s, "alice", "z")
    a.send(msg("bob@example.org", "none", mtype="groupchat"))
    m = a.expect(r"<message[^>]*type='error'[^>]*>.*?</message>")
    assert "service-unavailable" in m.group(0) and "id='none'" in m.group(0)
    hidden.close()
    a.close()


def test_error_never_answered_with_error(s):
    a = online(s, "alice", "e")
    a.send("<message to='nobody@example.org' type='error' id='loop'/>")
    a.send("<iq type='get' id='sync' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>")
    a.expect(r"id='sync'")
    assert "loop" not in a.buf
    a.close()


def test_own_resources_see_each_other(s):
    r1 = online(s, "alice", "r1")
    r2 = online(s, "alice", "r2")
    r1.expect(r"<presence[^>]*from='alice@example.org/r2'")
    r2.expect(r"<presence[^>]*from='alice@example.org/r1'")
    r2.close()
    r1.expect(r"<presence[^>]*type='unavailable'[^>]*")
    r1.close()


def test_directed_presence_and_its_unavailable(s):
    b = online(s, "bob", "d")
    a = online(s, "alice", "d")
    a.send("<presence to='bob@example.org/d'><show>chat</show></presence>")
    b.expect(r"<presence[^>]*from='alice@example.org/d'[^>]*>")
    a.close()
    b.expect(r"<presence[^>]*type='unavailable'[^>]*"
             r"from='alice@example.org/d'|<presence[^>]*"
             r"from='alice@example.org/d'[^>]*type='unavailable'")
    b.close()


def test_unavailable_when_stream_process_dies(s):
    watcher = online(s, "alice", "watch")
    victim = None
    for i in range(20):
        r = online(s, "alice", "v%d" % i)
        rows = s.ctl("show", "sessions").stdout
        where = {m.group(1): int(m.group(2)) for m in re.finditer(
            r"^(\S+)\s+(\d+)\s", rows, re.M)}
        if where.get("alice@example.org/v%d" % i) != \
                where.get("alice@example.org/watch"):
            victim = (r, where["alice@example.org/v%d" % i], i)
            break
        r.close()
    assert victim is not None, "all sessions on one stream process"
    r, stream, i = victim
    os.kill(s.pid_of("stream", stream), signal.SIGKILL)
    watcher.expect(r"from='alice@example.org/v%d'[^>]*type='unavailable'|"
                   r"type='unavailable'[^>]*from='alice@example.org/v%d'"
                   % (i, i))
    watcher.close()
    s.wait_log(r"restarting stream %d" % stream)


def test_remote_domain_not_found(s):
    a = online(s, "alice", "far")
    a.send(msg("someone@elsewhere.example", "far"))
    m = a.expect(r"<message[^>]*type='error'.*?</message>")
    assert "remote-server-not-found" in m.group(0)
    a.close()


def test_unknown_iq_service_unavailable(s):
    a = online(s, "alice", "iq")
    a.send("<iq type='get' id='u1' to='example.org'>"
           "<query xmlns='urn:example:nothing'/></iq>")
    m = a.expect(r"<iq[^>]*id='u1'.*?</iq>")
    assert "service-unavailable" in m.group(0), m.group(0)
    a.close()


def test_offline_message_stored_and_delivered_once(s):
    a = online(s, "alice", "off")
    a.send(msg("bob@example.org", "o1", "while you were away"))
    a.send(msg("bob@example.org/gone", "o2", "to a resource that left"))
    a.send("<iq type='get' id='sync' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>")
    a.expect(r"id='sync'")
    assert "type='error'" not in a.buf
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "back")
    b.send("<presence/>")
    m1 = b.expect(r"<message[^>]*id='o1'.*?</message>").group(0)
    m2 = b.expect(r"<message[^>]*id='o2'.*?</message>").group(0)
    for m in (m1, m2):
        assert "from='alice@example.org/off'" in m, m
        assert re.search(r"<delay xmlns='urn:xmpp:delay' "
                         r"from='example.org' stamp='\d{4}-\d\d-\d\dT"
                         r"\d\d:\d\d:\d\dZ'/>", m), m
    b.close()
    c = Raw(s.ports["client"])
    c.login("bob", "bob-pw", "again")
    c.send("<presence/>")
    c.send("<iq type='get' id='sync2' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>")
    assert "id='o1'" not in c.expect(r"(.*?)id='sync2'").group(1)
    c.close()
    a.close()


def test_offline_to_unknown_user_is_an_error(s):
    a = online(s, "alice", "unk")
    a.send(msg("nobody@example.org", "u1"))
    m = a.expect(r"<message[^>]*type='error'.*?</message>")
    assert "service-unavailable" in m.group(0) and "id='u1'" in m.group(0)
    a.close()


def test_own_presence_echoed(s):
    """RFC 6121 4.2.2 and 4.4.2: initial and later broadcast presence
    come back to the resource that sent them."""
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "echo")
    a.send("<presence><status>here</status></presence>")
    p = a.expect(r"<presence[^>]*>.*?</presence>").group(0)
    assert "from='alice@example.org/echo'" in p and "here" in p, p
    a.send("<presence><show>dnd</show></presence>")
    p = a.expect(r"<presence[^>]*>.*?</presence>").group(0)
    assert "from='alice@example.org/echo'" in p and "dnd" in p, p
    # Directed presence is not broadcast: no echo.
    a.send("<presence to='bob@example.org'><show>xa</show></presence>")
    a.send("<iq type='get' id='sync' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>")
    assert "<presence" not in a.expect(r"(.*?)id='sync'").group(1)
    a.close()


def test_presence_to_remote_domain_is_an_error(s):
    """As for messages and IQs, remote-server-not-found (RFC 6120
    10.4.3) for a domain that does not resolve, also for what the
    server sends as the account (probes, subscriptions).  An error is
    never answered with an error."""
    a = online(s, "alice", "far2")
    for i, (attrs, to) in enumerate([
            ("", "someone@elsewhere.example"),
            (" type='unavailable'", "someone@elsewhere.example/r"),
            (" type='probe'", "someone@elsewhere.example"),
            (" type='unsubscribed'", "someone@elsewhere.example")]):
        a.send("<presence id='f%d' to='%s'%s/>" % (i, to, attrs))
        # Probes and subscriptions go as the account, stamped by the
        # server (RFC 6121 3.1.2, 4.3): their errors carry no id.
        m = a.expect(r"<presence[^>]*from='%s'[^>]*>.*?</presence>"
                     % re.escape(to)).group(0)
        assert "type='error'" in m and "remote-server-not-found" in m, m
        if " id=" in m:
            assert "id='f%d'" % i in m, m
    # A subscription to a domain (a gateway's) is not followed: said so.
    a.send("<presence id='fd' type='subscribe' to='elsewhere.example'/>")
    m = a.expect(r"<presence[^>]*id='fd'.*?</presence>").group(0)
    assert "feature-not-implemented" in m, m
    a.send("<presence id='ferr' type='error' to='someone@elsewhere.example'>"
           "<error type='cancel'><item-not-found xmlns='urn:ietf:params:"
           "xml:ns:xmpp-stanzas'/></error></presence>")
    a.send("<iq type='get' id='sync' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>")
    assert "ferr" not in a.expect(r"(.*?)id='sync'").group(1)
    a.close()
