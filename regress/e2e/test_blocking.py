"""Blocking Command (XEP-0191): the blocklist, its pushes, and what a
block stops: messages, IQs and presence, both ways."""

from rawxmpp import Raw
from xmppdtest import Server, add_user, started

NS = "urn:xmpp:blocking"


def setup():
    return started(("alice", "bob", "carol"), prefork=2)


def teardown(s):
    s.stop()


def online(s, user, resource):
    """Logged in and available: its presence has taken effect (it waits
    for the user's block list) when this returns."""
    r = Raw(s.ports["client"])
    r.login(user, user + "-pw", resource)
    r.send("<presence/>")
    # What came before the ping's answer stays to be read.
    r.buf = sync(r, "on-" + resource) + r.buf
    return r


def sync(r, tag):
    """Everything the router sent r before now arrives before this."""
    r.send("<iq type='get' id='%s' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>" % tag)
    return r.expect(r"(.*?)<iq[^>]*id='%s'" % tag).group(1)


def iq(r, tag, body, itype="set", to=""):
    r.send("<iq type='%s' id='%s'%s>%s</iq>" %
           (itype, tag, " to='%s'" % to if to else "", body))
    return r.expect(r"<iq[^>]*id='%s'[^>]*?(/>|>.*?</iq>)" % tag).group(0)


def items(*jids):
    return "".join("<item jid='%s'/>" % j for j in jids)


def blocklist(r, tag):
    m = iq(r, tag, "<blocklist xmlns='%s'/>" % NS, "get")
    assert "type='result'" in m, m
    return m


def close(*rs):
    for r in rs:
        r.close()


def test_disco(s):
    r = online(s, "carol", "d")
    m = iq(r, "di", "<query xmlns='http://jabber.org/protocol/disco#info'/>",
           "get", "example.org")
    assert "var='%s'" % NS in m, m
    close(r)


def test_block_stops_everything_and_unblock_restores(s):
    a1 = online(s, "alice", "a1")
    a2 = online(s, "alice", "a2")
    b = online(s, "bob", "b")
    assert "<item" not in blocklist(a1, "l1")
    blocklist(a2, "l2")
    m = iq(a1, "bk", "<block xmlns='%s'>%s</block>" %
           (NS, items("bob@example.org")))
    assert "type='result'" in m, m
    # Every resource that asked for the list hears of it.
    for r in (a1, a2):
        m = r.expect(r"<iq[^>]*type='set'.*?</iq>").group(0)
        assert "<block xmlns='%s'><item jid='bob@example.org'/>" % NS in m, m
    # Bob sees alice go away.
    b.expect(r"<presence[^>]*type='unavailable'[^>]*from='alice@"
             r"example.org/a1'|<presence[^>]*from='alice@example.org/a1'"
             r"[^>]*type='unavailable'")
    # Bob's message bounces as if alice were not there.
    b.send("<message to='alice@example.org/a1' id='bm' type='chat'>"
           "<body>hello?</body></message>")
    m = b.expect(r"<message[^>]*id='bm'.*?</message>").group(0)
    assert "type='error'" in m and "service-unavailable" in m, m
    b.send("<iq type='get' id='biq' to='alice@example.org/a1'>"
           "<query xmlns='jabber:iq:version'/></iq>")
    assert "service-unavailable" in b.expect(
        r"<iq[^>]*id='biq'.*?</iq>").group(0)
    b.send("<presence to='alice@example.org/a1'><status>peek</status>"
           "</presence>")
    sync(b, "bs")
    got = sync(a1, "as")
    assert "hello?" not in got and "peek" not in got and "biq" not in got
    # Alice cannot write to bob either.
    a1.send("<message to='bob@example.org' id='am' type='chat'>"
            "<body>x</body></message>")
    m = a1.expect(r"<message[^>]*id='am'.*?</message>").group(0)
    assert "not-acceptable" in m and \
        "<blocked xmlns='urn:xmpp:blocking:errors'/>" in m, m
    a1.send("<presence to='bob@example.org/b'><status>sneak</status>"
            "</presence>")
    sync(a1, "as2")
    assert "sneak" not in sync(b, "bs2")
    # Unblock: pushed, and messages flow again.
    m = iq(a2, "ub", "<unblock xmlns='%s'>%s</unblock>" %
           (NS, items("bob@example.org")))
    assert "type='result'" in m, m
    for r in (a1, a2):
        m = r.expect(r"<iq[^>]*type='set'.*?</iq>").group(0)
        assert "<unblock xmlns='%s'><item jid='bob@example.org'/>" % NS \
            in m, m
    b.send("<message to='alice@example.org/a1' id='bm2' type='chat'>"
           "<body>again</body></message>")
    a1.expect(r"<message[^>]*id='bm2'")
    assert "<item" not in blocklist(a1, "l3")
    close(a1, a2, b)


def test_stored_and_unblock_all(s):
    c = online(s, "carol", "c1")
    m = iq(c, "b2", "<block xmlns='%s'>%s</block>" %
           (NS, items("bob@example.org", "mallory@example.net",
                      "Bob@Example.ORG")))
    assert "type='result'" in m, m
    c.close()
    # Loaded again from the store with the next session.
    c = online(s, "carol", "c2")
    m = blocklist(c, "l4")
    assert m.count("<item") == 2 and "mallory@example.net" in m, m
    m = iq(c, "ua", "<unblock xmlns='%s'/>" % NS)
    assert "type='result'" in m, m
    m = c.expect(r"<iq[^>]*type='set'.*?(/>|</iq>)").group(0)
    assert "<unblock xmlns='%s'/>" % NS in m, m
    assert "<item" not in blocklist(c, "l5")
    close(c)


def test_bad_input(s):
    c = online(s, "carol", "bad")
    blocklist(c, "l6")

    def err(tag, body, cond, itype="set", to=""):
        m = iq(c, tag, body, itype, to)
        assert "type='error'" in m and cond in m, m

    err("e1", "<block xmlns='%s'/>" % NS, "bad-request")
    err("e2", "<block xmlns='%s'><item/></block>" % NS, "bad-request")
    err("e3", "<block xmlns='%s'><item jid='a@b@c/'/></block>" % NS,
        "jid-malformed")
    err("e4", "<block xmlns='%s'><item jid='%s'/></block>" %
        (NS, "x" * 2000 + "@example.org"), "jid-malformed")
    err("e5", "<block xmlns='%s'>%s</block>" %
        (NS, items(*["u%d@example.org" % i for i in range(1001)])),
        "not-acceptable")
    err("e6", "<blocklist xmlns='%s'/>" % NS, "forbidden", "get",
        "bob@example.org")
    err("e7", "<block xmlns='%s'>%s</block>" % (NS, items("x@y")),
        "forbidden", to="alice@example.org")
    err("e8", "<blocklist xmlns='%s'/>" % NS, "bad-request", "set")
    err("e9", "<block xmlns='%s'>%s</block>" % (NS, items("x@y")),
        "bad-request", "get")
    # Nothing of that was kept, and no push went out.
    got = sync(c, "es")
    assert "block-push" not in got, got
    assert "<item" not in blocklist(c, "l7")
    close(c)


def test_blocked_sender_to_offline_user(s):
    # carol blocks bob, then goes offline: bob's message is refused, not
    # kept for her; alice's is kept.
    c = online(s, "carol", "o1")
    m = iq(c, "bo1", "<block xmlns='%s'>%s</block>" %
           (NS, items("bob@example.org")))
    assert "type='result'" in m, m
    close(c)
    b = online(s, "bob", "o2")
    b.send("<message to='carol@example.org' id='bm1' type='chat'>"
           "<body>from bob</body></message>")
    out = b.expect(r"<message[^>]*id='bm1'.*?</message>").group(0)
    assert "type='error'" in out and "service-unavailable" in out, out
    a = online(s, "alice", "o3")
    a.send("<message to='carol@example.org' id='am1' type='chat'>"
           "<body>from alice</body></message>")
    sync(a, "as1")
    close(a, b)
    c = online(s, "carol", "o4")
    got = c.expect(r".*?from alice").group(0)
    got += sync(c, "cs2")
    assert "from bob" not in got, got
    iq(c, "ub1", "<unblock xmlns='%s'/>" % NS)
    close(c)


def test_slixmpp_blocks(s):
    # A real client's blocking plugin: block, list, unblock.
    from xmppdtest import slix_login

    async def actions(x):
        await x["xep_0191"].block("bob@example.org")
        listed = await x["xep_0191"].get_blocked()
        blocked = {str(j) for j in listed["blocklist"]["items"]}
        b = online(s, "bob", "sx")
        b.send("<message to='alice@example.org' id='sx1' type='chat'>"
               "<body>blocked?</body></message>")
        out = b.expect(r"<message[^>]*id='sx1'.*?</message>").group(0)
        await x["xep_0191"].unblock("bob@example.org")
        listed = await x["xep_0191"].get_blocked()
        after = {str(j) for j in listed["blocklist"]["items"]}
        b.close()
        return blocked, out, after
    r = slix_login(s.ports["client"], "alice@example.org/sx", "alice-pw",
                   actions=actions, plugins=("xep_0191",))
    blocked, out, after = r["actions"]
    assert blocked == {"bob@example.org"}, blocked
    assert "service-unavailable" in out, out
    assert after == set(), after


def test_unreadable_list_blocks_all(s):
    """A block list the store cannot read decides nothing: nothing goes
    to or from its user (fail closed) and its IQs say so.  The regress
    build's store fails bob's "blocking" space when
    XMPPD_REGRESS_XS_FAIL says so."""
    t = Server(prefork=1)
    t.start(env={"XMPPD_REGRESS_XS_FAIL": "blocking:bob"})
    try:
        for u in ("alice", "bob"):
            add_user(t, "%s@example.org" % u, u + "-pw")
        m = t.mark()
        b = online(t, "bob", "f")
        t.wait_log(r"the list of bob@example.org could not be read",
                   after=m)
        a = online(t, "alice", "f")
        a.send("<message to='bob@example.org/f' id='in' type='chat'>"
               "<body>hi</body></message>")
        e = a.expect(r"<message[^>]*id='in'.*?</message>").group(0)
        assert "type='error'" in e and "service-unavailable" in e, e
        b.send("<message to='alice@example.org/f' id='out' type='chat'>"
               "<body>hi</body></message>")
        e = b.expect(r"<message[^>]*id='out'.*?</message>").group(0)
        assert "type='error'" in e and "internal-server-error" in e, e
        r = iq(b, "bl", "<blocklist xmlns='%s'/>" % NS, "get")
        assert "internal-server-error" in r, r
        # Nothing of bob's reached alice, nor alice's bob.
        assert "id='out'" not in sync(a, "sa")
        assert "id='in'" not in sync(b, "sb")
        close(a, b)
    finally:
        t.stop()

