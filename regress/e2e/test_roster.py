"""Rosters and subscriptions (RFC 6121 sections 2 and 3) between users,
kept across restarts."""

import os
import re
import signal

from rawxmpp import Raw
from xmppdtest import started

NS = "jabber:iq:roster"


def setup():
    return started(("alice", "bob", "carol", "dave", "erin"), prefork=2)


def teardown(s):
    s.stop()


def login(s, user, res, presence=True, roster=True):
    r = Raw(s.ports["client"])
    r.login(user, user + "-pw", res)
    if roster:
        r.send("<iq type='get' id='r0'><query xmlns='%s'/></iq>" % NS)
        r.expect(r"<iq[^>]*id='r0'[^>]*(/>|>.*?</iq>)")
    if presence:
        r.send("<presence/>")
    return r


def sync(r, tag):
    r.send("<iq type='get' id='%s' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>" % tag)
    return r.expect(r"(.*?)<iq[^>]*id='%s'" % tag).group(1)


def push(r, jid):
    return r.expect(r"<iq[^>]*type='set'[^>]*>\s*<query xmlns='%s'[^>]*>"
                    r"\s*<item[^>]*jid='%s'[^>]*(/>|>.*?</item>)" %
                    (NS, re.escape(jid))).group(0)


def test_set_get_push_version_remove(s):
    a1 = login(s, "alice", "r1")
    a2 = login(s, "alice", "r2")
    a1.send("<iq type='set' id='s1'><query xmlns='%s'><item "
            "jid='Zed@Example.org' name='Zed'><group>Friends</group>"
            "<group>Work</group></item></query></iq>" % NS)
    for r in (a1, a2):
        p = push(r, "zed@example.org")
        assert "name='Zed'" in p and "<group>Work</group>" in p, p
        assert "subscription='none'" in p
    a1.expect(r"<iq[^>]*id='s1'[^>]*type='result'|"
              r"<iq[^>]*type='result'[^>]*id='s1'")
    a1.send("<iq type='get' id='g1'><query xmlns='%s'/></iq>" % NS)
    g = a1.expect(r"<iq[^>]*id='g1'.*?</iq>").group(0)
    ver = re.search(r"ver='(\d+)'", g).group(1)
    assert "zed@example.org" in g
    a1.send("<iq type='get' id='g2'><query xmlns='%s' ver='%s'/></iq>"
            % (NS, ver))
    g2 = a1.expect(r"<iq[^>]*id='g2'[^>]*(/>|>.*?</iq>)").group(0)
    assert "<item" not in g2, g2
    a1.send("<iq type='set' id='s2'><query xmlns='%s'><item "
            "jid='zed@example.org' subscription='remove'/></query></iq>"
            % NS)
    assert "subscription='remove'" in push(a2, "zed@example.org")
    a1.send("<iq type='set' id='s3'><query xmlns='%s'><item "
            "jid='zed@example.org' subscription='remove'/></query></iq>"
            % NS)
    assert "item-not-found" in a1.expect(r"<iq[^>]*id='s3'.*?</iq>").group(0)
    a1.close()
    a2.close()


def test_bad_roster_sets(s):
    a = login(s, "alice", "bad")
    for i, item in enumerate([
            "<item/>", "<item jid='a b@c'/>",
            "<item jid='x@example.org'/><item jid='y@example.org'/>",
            "<item jid='x@example.org'>%s</item>" % (
                "".join("<group>g%d</group>" % n for n in range(70)))]):
        a.send("<iq type='set' id='b%d'><query xmlns='%s'>%s</query></iq>"
               % (i, NS, item))
        m = a.expect(r"<iq[^>]*id='b%d'.*?</iq>" % i).group(0)
        assert "type='error'" in m, m
    a.send("<iq type='get' id='other' to='bob@example.org'>"
           "<query xmlns='%s'/></iq>" % NS)
    assert "forbidden" in a.expect(r"<iq[^>]*id='other'.*?</iq>").group(0)
    a.close()


def test_subscription_none_to_both(s):
    c1 = login(s, "carol", "c1")
    c2 = login(s, "carol", "c2")
    d = login(s, "dave", "d")
    c1.send("<presence to='dave@example.org' type='subscribe'/>")
    for r in (c1, c2):
        p = push(r, "dave@example.org")
        assert "ask='subscribe'" in p and "subscription='none'" in p, p
    req = d.expect(r"<presence[^>]*type='subscribe'[^>]*/>").group(0)
    assert "from='carol@example.org'" in req, req
    d.send("<presence to='carol@example.org' type='subscribed'/>")
    assert "subscription='from'" in push(d, "carol@example.org")
    for r in (c1, c2):
        p = push(r, "dave@example.org")
        assert "subscription='to'" in p and "ask=" not in p, p
    c1.expect(r"<presence[^>]*type='subscribed'[^>]*/>")
    c1.expect(r"<presence[^>]*from='dave@example.org/d'")
    # And back: dave subscribes, carol approves.
    d.send("<presence to='carol@example.org' type='subscribe'/>")
    p = push(d, "carol@example.org")
    assert "ask='subscribe'" in p and "subscription='from'" in p, p
    c2.expect(r"<presence[^>]*type='subscribe'[^>]*from='dave@example.org'"
              r"|<presence[^>]*from='dave@example.org'[^>]*"
              r"type='subscribe'")
    c2.send("<presence to='dave@example.org' type='subscribed'/>")
    assert "subscription='both'" in push(c1, "dave@example.org")
    assert "subscription='both'" in push(d, "carol@example.org")
    # Presence now flows both ways on login and logout.
    c2.close()
    d.expect(r"<presence type='unavailable' from='carol@example.org/c2'/>")
    c3 = login(s, "carol", "c3")
    d.expect(r"<presence[^>]*from='carol@example.org/c3'")
    c3.expect(r"<presence[^>]*from='dave@example.org/d'")
    for r in (c1, c3, d):
        r.close()


def test_request_to_offline_user_delivered_at_login(s):
    e = login(s, "erin", "e")
    e.send("<presence to='bob@example.org' type='subscribe'/>")
    push(e, "bob@example.org")
    sync(e, "e1")
    b = login(s, "bob", "b")
    req = b.expect(r"<presence[^>]*type='subscribe'[^>]*/>").group(0)
    assert "from='erin@example.org'" in req, req
    b.close()
    e.close()


def test_pre_approval(s):
    b = login(s, "bob", "pre")
    b.send("<presence to='alice@example.org' type='subscribed'/>")
    p = push(b, "alice@example.org")
    assert "subscription='none'" in p, p
    a = login(s, "alice", "pre")
    a.send("<presence to='bob@example.org' type='subscribe'/>")
    assert "subscription='to'" in push(a, "bob@example.org") or \
        "subscription='to'" in push(a, "bob@example.org")
    assert "subscription='from'" in push(b, "alice@example.org")
    assert "type='subscribe'" not in sync(b, "pre")
    a.close()
    b.close()


def test_roster_survives_restart_and_store_crash(s):
    a = login(s, "alice", "keep")
    a.send("<iq type='set' id='k1'><query xmlns='%s'><item "
           "jid='kept@example.org' name='Kept'/></query></iq>" % NS)
    a.expect(r"<iq[^>]*id='k1'")
    a.close()
    s.stop_keep()
    s.start()
    a = login(s, "alice", "keep2", roster=False)
    a.send("<iq type='get' id='k2'><query xmlns='%s'/></iq>" % NS)
    assert "name='Kept'" in a.expect(r"<iq[^>]*id='k2'.*?</iq>").group(0)
    a.send("<iq type='set' id='k3'><query xmlns='%s'><item "
           "jid='kept2@example.org'/></query></iq>" % NS)
    a.expect(r"<iq[^>]*id='k3'")
    # The store handles the router's requests in order: once it has
    # sent another roster, it has committed the change before it.
    b = login(s, "bob", "order", presence=False)
    b.close()
    a.close()
    os.kill(s.pid_of("store"), signal.SIGKILL)
    s.wait_log(r"store is gone: shutting down")
    s.wait_exit()
    s.stop_keep()
    s.start()
    a = login(s, "alice", "keep3", roster=False)
    a.send("<iq type='get' id='k5'><query xmlns='%s'/></iq>" % NS)
    g = a.expect(r"<iq[^>]*id='k5'.*?</iq>").group(0)
    assert "kept@example.org" in g and "kept2@example.org" in g, g
    a.close()
