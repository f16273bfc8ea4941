"""Rosters and subscriptions (RFC 6121 sections 2 and 3) between users,
kept across restarts."""

import os
import re
import signal

from rawxmpp import Raw
from xmppdtest import TIMEOUT, add_user, started

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


def first(r, *patterns):
    """Which of patterns comes first in what r reads; consumes it."""
    m = r.expect("|".join("(%s)" % p for p in patterns))
    return [i for i, g in enumerate(m.groups()) if g is not None][0]


def accounts(s, *users):
    for u in users:
        add_user(s, "%s@example.org" % u, u + "-pw")


def mutual(a, b):
    """Sessions a and b (of two users, online, roster requested) make
    their users subscribed to each other."""
    for x, y in ((a, b), (b, a)):
        x.send("<presence to='%s' type='subscribe'/>" % y.jid.split("/")[0])
        y.expect(r"<presence[^>]*type='subscribe'")
        y.send("<presence to='%s' type='subscribed'/>" % x.jid.split("/")[0])
        x.expect(r"<presence[^>]*from='%s'" % re.escape(y.jid))
    sync(a, "mutual-a")
    sync(b, "mutual-b")


def both(s, u1, u2):
    """Fresh accounts u1 and u2, online as resource r with the roster
    requested, subscribed to each other."""
    accounts(s, u1, u2)
    a, b = login(s, u1, "r"), login(s, u2, "r")
    mutual(a, b)
    return a, b


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
    # The approval comes before the push that records it (3.1.6).
    for r in (c1, c2):
        first = r.expect(r"<presence[^>]*type='subscribed'[^>]*/>|"
                         r"<iq[^>]*type='set'").group(0)
        assert "subscribed" in first, first
        p = push(r, "dave@example.org")
        assert "subscription='to'" in p and "ask=" not in p, p
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


N_CHANGES = 900


def test_changes_survive_a_clean_stop(s):
    """Roster changes the server acknowledged are all there after a
    clean stop that follows at once: the router writes what it owes
    the store before it exits, and the store stops last."""
    a = login(s, "alice", "many")
    for i in range(N_CHANGES):
        a.send("<iq type='set' id='c%d'><query xmlns='%s'><item "
               "jid='c%d@example.org' name='C%d'/></query></iq>"
               % (i, NS, i, i))
    a.expect(r"<iq[^>]*id='c%d'" % (N_CHANGES - 1), timeout=60)
    s.stop_keep()
    s.start()
    a = login(s, "alice", "many2", roster=False)
    a.send("<iq type='get' id='cg'><query xmlns='%s'/></iq>" % NS)
    got = a.expect(r"<iq[^>]*id='cg'.*?</iq>", timeout=60).group(0)
    missing = [i for i in range(N_CHANGES) if "name='C%d'" % i not in got]
    assert not missing, missing
    a.close()


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
    got = a.expect(r"<iq[^>]*id='k2'.*?</iq>").group(0)
    assert "name='Kept'" in got, got
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


def unreadable_rosters(s, on):
    """The store's reads of rosters fail (on), or work again."""
    if s.pg is not None:
        s.pg.psql(("REVOKE SELECT ON roster FROM %s" if on else
                   "GRANT SELECT ON roster TO %s") % s.pgdb, db=s.pgdb)
    elif on:
        s.db_rows("ALTER TABLE roster RENAME TO roster_away")
    else:
        s.db_rows("ALTER TABLE roster_away RENAME TO roster")


def test_unreadable_roster_is_refused(s):
    """A roster the store cannot read is not answered as an empty one
    (nor kept as one): the request gets an error to retry later, and
    once the store reads again the roster has its item."""
    accounts(s, "rita")
    s.db_rows("INSERT INTO roster (domain, localpart, contact, name, "
              "subscription, ask, approved, in_roster) VALUES "
              "(?, ?, ?, ?, 0, 0, 0, 1)",
              ("example.org", "rita", "pal@example.org", "Pal"))
    unreadable_rosters(s, True)
    try:
        r = login(s, "rita", "r", presence=False, roster=False)
        r.send("<iq type='get' id='u1'><query xmlns='%s'/></iq>" % NS)
        got = r.expect(r"<iq[^>]*id='u1'[^>]*(/>|>.*?</iq>)",
                       timeout=TIMEOUT).group(0)
        assert "type='error'" in got and "type='wait'" in got and \
            "<internal-server-error" in got, got
    finally:
        unreadable_rosters(s, False)
    r.send("<iq type='get' id='u2'><query xmlns='%s'/></iq>" % NS)
    got = r.expect(r"<iq[^>]*id='u2'.*?</iq>").group(0)
    assert "jid='pal@example.org'" in got and "name='Pal'" in got, got
    r.close()


PUSH = r"<iq[^>]*type='set'[^>]*>\s*<query xmlns='jabber:iq:roster'"


def test_presence_echo_comes_first(s):
    """RFC 6121 4.2.2 and 4.4.2: the sender gets its own presence, before
    the presence of its other resources and of its contacts."""
    a, b = both(s, "echo1", "echo2")
    a2 = login(s, "echo1", "second")
    m = a2.expect(r"<presence[^>]*from='([^']+)'").group(1)
    assert m == "echo1@example.org/second", m
    seen = {a2.expect(r"<presence[^>]*from='(echo[12]@example.org/r)'")
            .group(1) for _ in range(2)}
    assert seen == {"echo1@example.org/r", "echo2@example.org/r"}, seen
    a2.send("<presence><show>away</show></presence>")
    for r in (a2, a, b):
        p = r.expect(r"<presence[^>]*from='echo1@example.org/second'"
                     r"[^>]*>.*?</presence>").group(0)
        assert "<show>away</show>" in p, p
    for r in (a, a2, b):
        r.close()


def test_cancellations_come_before_their_push(s):
    """RFC 6121 3.2.3 and 3.3.3: the user gets the unsubscribed or the
    unsubscribe before the roster push that records it; after it, the
    presence that stops (3.2.2, 3.3.3)."""
    f, g = both(s, "fay", "gus")
    g.send("<presence to='fay@example.org' type='unsubscribed'/>")
    assert first(f, r"<presence[^>]*type='unsubscribed'", PUSH) == 0
    assert "subscription='from'" in push(f, "gus@example.org")
    f.expect(r"<presence[^>]*from='gus@example.org/r'[^>]*"
             r"type='unavailable'|<presence[^>]*type='unavailable'[^>]*"
             r"from='gus@example.org/r'")
    assert "subscription='to'" in push(g, "fay@example.org")
    g.send("<presence to='fay@example.org' type='unsubscribe'/>")
    assert first(f, r"<presence[^>]*type='unsubscribe'", PUSH) == 0
    assert "subscription='none'" in push(f, "gus@example.org")
    got = sync(g, "gs")
    assert re.search(PUSH + r"[^>]*>\s*<item[^>]*jid='fay@example.org'"
                     r"[^>]*subscription='none'", got), got
    assert re.search(r"<presence[^>]*from='fay@example.org/r'[^>]*"
                     r"type='unavailable'|<presence[^>]*type='unavailable'"
                     r"[^>]*from='fay@example.org/r'", got), got
    f.close()
    g.close()


def test_probe_answers(s):
    """RFC 6121 4.3.2: a client's probe is answered with the contact's
    presence, or unavailable when the contact is offline; a user who may
    not see it hears nothing."""
    p, q = both(s, "pia", "quin")
    p.send("<presence type='probe' to='quin@example.org'/>")
    assert "from='quin@example.org/r'" in p.expect(
        r"<presence[^>]*from='quin@example.org[^']*'[^>]*>").group(0)
    q.close()
    p.expect(r"<presence[^>]*type='unavailable'")
    p.send("<presence type='probe' to='quin@example.org/gone'/>")
    m = p.expect(r"<presence[^>]*from='quin@example.org'[^>]*/>").group(0)
    assert "type='unavailable'" in m, m
    # Bob is no contact of pia's: the probe tells nothing.
    b = login(s, "bob", "probed")
    p.send("<presence type='probe' to='bob@example.org'/>")
    assert "bob@example.org" not in sync(p, "pq")
    b.close()
    p.close()


def unsubscribed_then_push(r, jid):
    """r gets "unsubscribed" from jid, then the push that records it."""
    assert first(r, r"<presence[^>]*type='unsubscribed'[^>]*from='%s'|"
                 r"<presence[^>]*from='%s'[^>]*type='unsubscribed'"
                 % (jid, jid), PUSH) == 0
    return push(r, jid)


def test_deleted_contact_is_unsubscribed(s):
    """A probe of a deleted account is answered "unsubscribed" (RFC 6121
    4.3.2, 8.5.1), a client's and the server's own at login, and the
    roster takes it as a cancellation (3.2.3); a request to an account
    that does not exist is refused the same way."""
    accounts(s, "ursa", "vic", "wes")
    u, v, w = login(s, "ursa", "r"), login(s, "vic", "r"), login(s, "wes", "r")
    mutual(u, v)
    mutual(u, w)
    for gone in ("vic", "wes"):
        s.ctl("user", "delete", "%s@example.org" % gone)
        u.expect(r"<presence[^>]*type='unavailable'[^>]*"
                 r"from='%s@example.org/r'|<presence[^>]*"
                 r"from='%s@example.org/r'[^>]*type='unavailable'"
                 % (gone, gone))
    v.closed()
    w.closed()
    # A client's probe.
    u.send("<presence type='probe' to='wes@example.org'/>")
    p = unsubscribed_then_push(u, "wes@example.org")
    assert "subscription='from'" in p, p
    # The server's, when ursa comes again: vic is probed, wes is not.
    u2 = login(s, "ursa", "again")
    p = unsubscribed_then_push(u2, "vic@example.org")
    assert "subscription='from'" in p, p
    assert "wes@example.org" not in sync(u2, "u2")
    # A request to an account that does not exist.
    u2.send("<presence to='nobody@example.org' type='subscribe'/>")
    assert "ask='subscribe'" in push(u2, "nobody@example.org")
    p = unsubscribed_then_push(u2, "nobody@example.org")
    assert "ask=" not in p and "subscription='none'" in p, p
    u2.send("<iq type='get' id='ug'><query xmlns='%s'/></iq>" % NS)
    g = u2.expect(r"<iq[^>]*id='ug'.*?</iq>").group(0)
    for jid in ("vic@example.org", "wes@example.org"):
        assert re.search(r"<item[^>]*jid='%s'[^>]*subscription='from'"
                         % jid, g), g
    u.close()
    u2.close()
