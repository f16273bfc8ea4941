"""Privileged components (XEP-0356, urn:xmpp:privilege:2 and :1): what
each privilege lets a component do to the users' rosters, messages and
presence, and that everything else is refused with <forbidden/>, from a
component or a client."""

import hashlib
import re

from rawxmpp import Raw
from xmppdtest import Server, add_user, free_port

NS_ROSTER = "jabber:iq:roster"
Q = "['\"]"
SECRET = "s3cret"

# name: its privilege block ("" for none)
COMPONENTS = {
    "gw.example.org":
        "privilege roster both message outgoing presence roster",
    "none.example.org": "",
    "get.example.org": "privilege roster get presence managed_entity",
    "set.example.org": "privilege roster set message none",
}


def setup():
    s = Server(prefork=2)
    s.ports["component"] = free_port()
    body = "listen on 127.0.0.1 port %d component\n" % s.ports["component"]
    for name, priv in COMPONENTS.items():
        body += 'component "%s" password "%s"' % (name, SECRET)
        body += " {\n\t%s\n}\n" % priv if priv else "\n"
    s.write_conf(body)
    s.start()
    for u in ("alice", "bob", "carol", "dave", "erin"):
        add_user(s, "%s@example.org" % u, u + "-pw")
    return s


def teardown(s):
    s.stop()


class Component(Raw):
    """A component over a raw socket, after its XEP-0114 handshake."""

    def __init__(self, s, name):
        Raw.__init__(self, s.ports["component"])
        self.server = s
        self.name = name
        self.send("<?xml version='1.0'?><stream:stream "
                  "xmlns='jabber:component:accept' "
                  "xmlns:stream='http://etherx.jabber.org/streams' "
                  "to='%s'>" % name)
        sid = self.expect(r"<stream:stream[^>]*?\sid=%s([^'\"]+)%s" %
                          (Q, Q)).group(1)
        digest = hashlib.sha1((sid + SECRET).encode()).hexdigest()
        self.send("<handshake>%s</handshake>" % digest)
        self.expect(r"<handshake\s*/>|<handshake>\s*</handshake>")

    def close(self):
        """Gone from the router too when this returns: the name is free
        for the next test."""
        mark = self.server.mark()
        Raw.close(self)
        self.server.wait_log(r"component %s down" % re.escape(self.name),
                             after=mark)

    def iq(self, tag, to, body, itype="get"):
        self.send("<iq type='%s' id='%s' from='%s' to='%s'>%s</iq>" %
                  (itype, tag, self.name, to, body))
        return self.expect(r"<iq[^>]*id=%s%s%s[^>]*?(/>|>.*?</iq>)" %
                           (Q, tag, Q)).group(0)

    def roster(self, tag, user, itype="get", item=""):
        return self.iq(tag, user, "<query xmlns='%s'>%s</query>" %
                       (NS_ROSTER, item), itype)

    def sync(self, tag):
        """Everything the router sent before now: a roster get (which the
        router answers itself) comes back after it."""
        self.send("<iq type='get' id='%s' from='%s' to='alice@example.org'>"
                  "<query xmlns='%s'/></iq>" % (tag, self.name, NS_ROSTER))
        return self.expect(r"(.*?)<iq[^>]*id=%s%s%s" % (Q, tag, Q)).group(1)

    def privileged(self, tag, inner, ns="urn:xmpp:privilege:2",
                   to="example.org"):
        self.send("<message id='%s' from='%s' to='%s'>"
                  "<privilege xmlns='%s'>%s</privilege></message>" %
                  (tag, self.name, to, ns, inner))


def forwarded(frm, to, body, extra=""):
    attr = " from='%s'" % frm if frm is not None else ""
    return ("<forwarded xmlns='urn:xmpp:forward:0'>"
            "<message xmlns='jabber:client'%s to='%s' type='chat'>"
            "<body>%s</body>%s</message></forwarded>" % (attr, to, body,
                                                           extra))


def online(s, user, resource, roster=True):
    r = Raw(s.ports["client"])
    r.login(user, user + "-pw", resource)
    if roster:
        r.send("<iq type='get' id='r0'><query xmlns='%s'/></iq>" % NS_ROSTER)
        r.expect(r"<iq[^>]*id='r0'[^>]*(/>|>.*?</iq>)")
    r.send("<presence/>")
    r.buf = sync(r, "on-" + resource) + r.buf
    return r


def sync(r, tag):
    r.send("<iq type='get' id='%s' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>" % tag)
    return r.expect(r"(.*?)<iq[^>]*id='%s'" % tag).group(1)


def error_of(stanza):
    m = re.search(r"<error[^>]*>.*?</error>", stanza, re.S)
    assert m, stanza
    return m.group(0)


def close(*rs):
    for r in rs:
        r.close()


def test_advertised_in_both_namespaces(s):
    c = Component(s, "gw.example.org")
    m = c.expect(r"<message[^>]*>.*?</message>").group(0)
    assert re.search(r"from=%sexample.org%s" % (Q, Q), m), m
    for ns in ("urn:xmpp:privilege:2", "urn:xmpp:privilege:1"):
        p = re.search(r"<privilege xmlns=%s%s%s>(.*?)</privilege>" %
                      (Q, re.escape(ns), Q), m)
        assert p, (ns, m)
        perms = p.group(1)
        assert re.search(r"access=%sroster%s type=%sboth%s" %
                         (Q, Q, Q, Q), perms), perms
        assert re.search(r"access=%smessage%s type=%soutgoing%s" %
                         (Q, Q, Q, Q), perms), perms
        assert re.search(r"access=%spresence%s type=%sroster%s" %
                         (Q, Q, Q, Q), perms), perms
    # No roster pushes to components: :2 must say so, :1 has no push.
    assert re.search(r"push=%sfalse%s" % (Q, Q), m), m
    c.close()
    # No privileges: no advertisement, and rosters are forbidden.
    n = Component(s, "none.example.org")
    n.send("<iq type='get' id='n1' from='none.example.org' "
           "to='alice@example.org'><query xmlns='jabber:iq:roster'/></iq>")
    m = n.expect(r"(.*?)(<iq[^>]*id=%sn1%s[^>]*?(/>|>.*?</iq>))" % (Q, Q))
    assert "privilege" not in m.group(1), m.group(0)
    assert "<forbidden" in error_of(m.group(2)), m.group(0)
    n.close()


def test_roster_get(s):
    a = online(s, "alice", "rg")
    a.send("<iq type='set' id='add'><query xmlns='%s'><item "
           "jid='bob@example.org' name='Bob'><group>Friends</group></item>"
           "</query></iq>" % NS_ROSTER)
    a.expect(r"<iq[^>]*id='add'")
    for name in ("gw.example.org", "get.example.org"):
        c = Component(s, name)
        r = c.roster("g-" + name[:3], "alice@example.org")
        assert re.search(r"type=%sresult%s" % (Q, Q), r), r
        assert re.search(r"from=%salice@example.org%s" % (Q, Q), r), r
        assert re.search(r"to=%s%s%s" % (Q, re.escape(name), Q), r), r
        assert re.search(r"<item[^>]*jid=%sbob@example.org%s" % (Q, Q), r), r
        assert "Friends" in r, r
        c.close()
    for name in ("set.example.org", "none.example.org"):
        c = Component(s, name)
        r = c.roster("g-" + name[:3], "alice@example.org")
        assert "type='error'" in r or 'type="error"' in r, r
        assert "<forbidden" in error_of(r), r
        assert "bob@example.org" not in r, r
        c.close()
    # An account that does not exist has no roster to read.
    c = Component(s, "gw.example.org")
    r = c.roster("nobody", "nobody@example.org")
    assert "service-unavailable" in error_of(r), r
    close(a, c)


def test_roster_set_pushes_to_the_user(s):
    b = online(s, "bob", "rs")
    c = Component(s, "gw.example.org")
    r = c.roster("set1", "bob@example.org", "set",
                 "<item jid='#chan%irc.example.net@gw.example.org' "
                 "name='chan'><group>IRC</group></item>")
    assert re.search(r"type=%sresult%s" % (Q, Q), r), r
    push = b.expect(r"<iq[^>]*type='set'[^>]*>.*?</iq>").group(0)
    assert "#chan%irc.example.net@gw.example.org" in push, push
    assert "IRC" in push, push
    b.send("<iq type='get' id='r1'><query xmlns='%s'/></iq>" % NS_ROSTER)
    got = b.expect(r"<iq[^>]*id='r1'.*?</iq>").group(0)
    assert "#chan%irc.example.net@gw.example.org" in got, got
    # Removal by the component pushes too.
    r = c.roster("set2", "bob@example.org", "set",
                 "<item jid='#chan%irc.example.net@gw.example.org' "
                 "subscription='remove'/>")
    assert re.search(r"type=%sresult%s" % (Q, Q), r), r
    push = b.expect(r"<iq[^>]*type='set'[^>]*>.*?</iq>").group(0)
    assert "subscription='remove'" in push, push
    close(c)
    # get only, or nothing granted: forbidden, and nothing changes.
    for name in ("get.example.org", "none.example.org"):
        c = Component(s, name)
        r = c.roster("set3", "bob@example.org", "set",
                     "<item jid='mallory@example.org'/>")
        assert "<forbidden" in error_of(r), r
        c.close()
    assert "mallory" not in sync(b, "after-forbidden"), b.buf
    b.send("<iq type='get' id='r2'><query xmlns='%s'/></iq>" % NS_ROSTER)
    got = b.expect(r"<iq[^>]*id='r2'[^>]*(/>|>.*?</iq>)").group(0)
    assert "mallory" not in got, got
    # set granted, get not: a get is forbidden, a bad set is refused.
    c = Component(s, "set.example.org")
    r = c.roster("set4", "bob@example.org")
    assert "<forbidden" in error_of(r), r
    r = c.roster("set5", "bob@example.org", "set",
                 "<item jid='a@example.org'/><item jid='b@example.org'/>")
    assert "bad-request" in error_of(r), r
    close(b, c)


def test_message_outgoing_both_namespaces(s):
    b = online(s, "bob", "mo")
    c = Component(s, "gw.example.org")
    for ns in ("urn:xmpp:privilege:2", "urn:xmpp:privilege:1"):
        c.privileged("pm", forwarded("alice@example.org",
                                     "bob@example.org", "via " + ns), ns)
        m = b.expect(r"<message[^>]*>.*?</message>").group(0)
        assert re.search(r"from=%salice@example.org%s" % (Q, Q), m), m
        assert "via " + ns in m, m
        assert "<privilege" not in m and "<forwarded" not in m, m
    close(b, c)


def test_message_refused(s):
    b = online(s, "bob", "mr")
    c = Component(s, "gw.example.org")
    bad = [
        (forwarded("alice@example.org/res", "bob@example.org", "x1"),
         "forbidden"),
        (forwarded("alice@example.net", "bob@example.org", "x2"),
         "forbidden"),
        (forwarded("example.org", "bob@example.org", "x3"), "forbidden"),
        (forwarded("gw.example.org", "bob@example.org", "x4"), "forbidden"),
        (forwarded(None, "bob@example.org", "x5"), "forbidden"),
        ("", "bad-request"),
        ("<forwarded xmlns='urn:xmpp:forward:0'/>", "bad-request"),
        (forwarded("alice@example.org", "bob@example.org", "x6") * 2,
         "bad-request"),
        ("<forwarded xmlns='urn:xmpp:forward:0'>%s%s</forwarded>" %
         ("<message xmlns='jabber:client' from='alice@example.org' "
          "to='bob@example.org'><body>x7</body></message>",
          "<message xmlns='jabber:client' from='alice@example.org' "
          "to='bob@example.org'><body>x8</body></message>"), "bad-request"),
        (forwarded("alice@example.org", "bob@@example.org", "x10"),
         "jid-malformed"),
        ("<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:"
         "client' from='alice@example.org'><body>x11</body></message>"
         "</forwarded>", "jid-malformed"),
        ("<forwarded xmlns='urn:xmpp:forward:1'>%s</forwarded>" %
         "<message xmlns='jabber:client' from='alice@example.org' "
         "to='bob@example.org'><body>x9</body></message>", "bad-request"),
    ]
    for i, (inner, cond) in enumerate(bad):
        c.privileged("bad%d" % i, inner)
        e = c.expect(r"<message[^>]*id=%sbad%d%s[^>]*>.*?</message>" %
                     (Q, i, Q)).group(0)
        assert "type='error'" in e or 'type="error"' in e, e
        assert cond in error_of(e), (i, e)
    # Not granted: forbidden, in either namespace.
    for name in ("none.example.org", "get.example.org", "set.example.org"):
        n = Component(s, name)
        for ns in ("urn:xmpp:privilege:2", "urn:xmpp:privilege:1"):
            n.privileged("np", forwarded("alice@example.org",
                                         "bob@example.org", "y-" + name), ns)
            e = n.expect(r"<message[^>]*id=%snp%s[^>]*>.*?</message>" %
                         (Q, Q)).group(0)
            assert "<forbidden" in error_of(e), e
        n.close()
    got = sync(b, "after-bad")
    assert "<message" not in got, got
    close(b, c)


def test_forged_by_client(s):
    a = online(s, "alice", "fc")
    d = online(s, "dave", "fc")
    for ns in ("urn:xmpp:privilege:2", "urn:xmpp:privilege:1"):
        a.send("<message id='forged' to='example.org'>"
               "<privilege xmlns='%s'>%s</privilege></message>" %
               (ns, forwarded("dave@example.org", "dave@example.org",
                              "forged")))
        e = a.expect(r"<message[^>]*id='forged'[^>]*>.*?</message>").group(0)
        assert "type='error'" in e, e
        assert "<forbidden" in error_of(e), e
    # To another user: delivered as alice's own message, nothing obeyed.
    a.send("<message id='f2' to='dave@example.org/fc'>"
           "<privilege xmlns='urn:xmpp:privilege:2'>%s</privilege>"
           "</message>" % forwarded("erin@example.org", "dave@example.org",
                                    "forged2"))
    m = d.expect(r"(.*?)(<message[^>]*id='f2'[^>]*>)")
    assert "forged<" not in m.group(1), m.group(0)
    assert "from='%s'" % a.jid in m.group(2), m.group(0)
    # Nothing else came: the one message inside is alice's payload.
    got = sync(d, "after-forged")
    assert got.count("<message") == 1, got
    close(a, d)


def test_presence(s):
    g = Component(s, "get.example.org")
    n = Component(s, "none.example.org")
    c = Raw(s.ports["client"])
    c.login("carol", "carol-pw", "pr")
    c.send("<presence><show>away</show><status>lunch</status></presence>")
    p = g.expect(r"<presence[^>]*from=%scarol@example.org/pr%s[^>]*>.*?"
                 r"</presence>" % (Q, Q)).group(0)
    assert re.search(r"to=%sget.example.org%s" % (Q, Q), p), p
    assert "away" in p and "lunch" in p, p
    # A component that comes later learns who is online (rule 1).
    gw = Component(s, "gw.example.org")
    p = gw.expect(r"<presence[^>]*from=%scarol@example.org/pr%s[^>]*>.*?"
                  r"</presence>" % (Q, Q)).group(0)
    assert "lunch" in p, p
    c.send("<presence type='unavailable'/>")
    for x in (g, gw):
        p = x.expect(r"<presence[^>]*from=%scarol@example.org/pr%s[^>]*>" %
                     (Q, Q)).group(0)
        assert "unavailable" in p, p
    # A session that ends without a word is unavailable too.
    c.send("<presence/>")
    g.expect(r"<presence[^>]*from=%scarol@example.org/pr%s" % (Q, Q))
    c.close()
    p = g.expect(r"<presence[^>]*from=%scarol@example.org/pr%s[^>]*>" %
                 (Q, Q)).group(0)
    assert "unavailable" in p, p
    got = n.sync("none-sync")
    assert "<presence" not in got, got
    close(g, n, gw)


def test_slixmpp_user_gets_a_privileged_message(s):
    import asyncio
    from xmppdtest import slix_login
    got = {}

    async def actions(client):
        fut = asyncio.get_event_loop().create_future()

        def on_message(msg):
            if not fut.done():
                fut.set_result(msg)
        client.add_event_handler("message", on_message)
        client.send_presence()
        await client.get_roster()
        comp = Component(s, "gw.example.org")
        comp.privileged("sx", forwarded("alice@example.org",
                                        "erin@example.org", "hello erin"))
        msg = await asyncio.wait_for(fut, 10)
        got["from"] = str(msg["from"])
        got["body"] = msg["body"]
        comp.close()
    slix_login(s.ports["client"], "erin@example.org", "erin-pw",
               actions=actions)
    assert got == {"from": "alice@example.org", "body": "hello erin"}, got
