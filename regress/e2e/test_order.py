"""In-order processing (RFC 6120 section 10.1): what a client sends takes
effect, and is answered, in the order it was sent, even when a stanza
must wait for the store.  Each test sends a stanza that waits and one
the router answers at once in the same write, and requires the answers
in that order."""

import os
import re
import signal

from rawxmpp import Raw
from xmppdtest import started

PING = ("<iq type='get' id='%s' to='example.org'>"
        "<ping xmlns='urn:xmpp:ping'/></iq>")


def setup():
    return started(("alice", "bob"), prefork=1,
                   body="limits {\n\tclient rate 10M\n}\n")


def teardown(s):
    s.stop()


def online(s, user, resource):
    r = Raw(s.ports["client"])
    r.login(user, user + "-pw", resource)
    r.send("<presence/>")
    return r


def first_of(r, ids):
    """The id, of those given, whose stanza arrives first."""
    m = r.expect(r"<(?:iq|message|presence)[^>]*id='(%s)'" %
                 "|".join(map(re.escape, ids)))
    return m.group(1)


def test_private_storage_set_answered_before_a_later_ping(s):
    a = online(s, "alice", "o1")
    a.send("<iq type='set' id='priv'><query xmlns='jabber:iq:private'>"
           "<n xmlns='urn:example:order'>1</n></query></iq>" +
           PING % "ping1")
    assert first_of(a, ("priv", "ping1")) == "priv"
    a.expect(r"id='ping1'")
    a.close()


def test_vcard_get_answered_before_a_later_ping(s):
    a = online(s, "alice", "o2")
    a.send("<iq type='get' id='vc' to='bob@example.org'>"
           "<vCard xmlns='vcard-temp'/></iq>" + PING % "ping2")
    assert first_of(a, ("vc", "ping2")) == "vc"
    a.close()


def test_bounce_for_unknown_user_before_a_later_ping(s):
    a = online(s, "alice", "o3")
    a.send("<message to='nobody@example.org' id='lost' type='chat'>"
           "<body>hello?</body></message>" + PING % "ping3")
    assert first_of(a, ("lost", "ping3")) == "lost"
    a.expect(r"id='ping3'")
    a.close()


def test_messages_keep_their_order_behind_a_store_wait(s):
    a = online(s, "alice", "o4")
    b = online(s, "bob", "o4")
    # The first waits for the store (offline bob has no such resource:
    # it goes to the bare JID), the rest are routed at once.
    out = "<iq type='set' id='p0'><query xmlns='jabber:iq:private'>" \
          "<n xmlns='urn:example:order'>2</n></query></iq>"
    for i in range(20):
        out += ("<message to='bob@example.org/o4' id='m%d' type='chat'>"
                "<body>%d</body></message>" % (i, i))
    a.send(out)
    got = [b.expect(r"<message[^>]*id='(m\d+)'").group(1)
           for _ in range(20)]
    assert got == ["m%d" % i for i in range(20)], got
    a.expect(r"id='p0'")
    a.close()
    b.close()


def test_a_burst_behind_holds_is_answered_in_full_and_in_order(s):
    a = online(s, "alice", "o5")
    n = 400
    out = "".join("<iq type='set' id='q%d'><query xmlns='jabber:iq:"
                  "private'><n xmlns='urn:example:order'>%d</n></query>"
                  "</iq>" % (i, i) for i in range(n))
    a.send(out + PING % "last")
    answered = {}
    results = []
    while len(answered) < n + 1:
        m = a.expect(r"<iq[^>]*>")
        tag = m.group(0)
        qid = re.search(r"id='([^']*)'", tag).group(1)
        kind = re.search(r"type='([^']*)'", tag).group(1)
        if qid == "xmppd-ping":
            continue
        assert qid not in answered, qid
        answered[qid] = kind
        if kind == "result" and qid != "last":
            results.append(int(qid[1:]))
    # Each is stored in turn, or (past what may wait) refused at once;
    # the ping too is answered, whichever.
    assert results == sorted(results) and results[0] == 0, results[:20]
    assert len(results) > 200, len(results)
    a.close()


def test_a_flood_behind_a_stalled_store_is_slowed_not_refused(s):
    """3000 archived messages sent at once while the store is stopped:
    the client is read no more once many wait, then again; every message
    arrives, in order, none refused."""
    a = online(s, "alice", "o6")
    b = online(s, "bob", "o6")
    store = s.pid_of("store")
    n = 3000
    mark = s.mark()
    os.kill(store, signal.SIGSTOP)
    try:
        a.send("".join("<message to='bob@example.org/o6' id='f%d' "
                       "type='chat'><body>%d</body></message>" % (i, i)
                       for i in range(n)))
        s.wait_log(r"alice@example.org/o6: \d+ waiting, its stream stops "
                   r"reading", after=mark)
    finally:
        os.kill(store, signal.SIGCONT)
    for i in range(n):
        m = b.expect(r"<message[^>]*id='f(\d+)'")
        assert m.group(1) == str(i), (i, m.group(0))
    s.wait_log(r"alice@example.org/o6: \d+ waiting, its stream reads "
               r"again", after=mark)
    assert "type='error'" not in sync_out(a, "fl")
    a.close()
    b.close()


def sync_out(r, tag):
    """What r received up to the answer to a ping sent now."""
    r.send(PING % tag)
    return r.expect(r"(.*?)<iq[^>]*id='%s'" % tag).group(1)

