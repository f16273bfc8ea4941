"""In-band registration (XEP-0077) on a domain that allows it: creating
an account, changing its password, removing it with all it had."""

import re

from rawxmpp import Raw
from xmppdtest import Server, add_user

D = "open.example.org"


def setup():
    s = Server(prefork=1,
               body='domain "open.example.org" {\n\tauth internal\n'
                    '\tregistration allow\n}\n')
    s.start()
    return s


def teardown(s):
    s.stop()


def register(s, user, password, domain="open.example.org", rid="r1"):
    r = Raw(s.ports["client"])
    r.starttls(domain)
    m = r.header(domain)
    assert "jabber.org/features/iq-register" in m.group(1), m.group(1)
    r.send("<iq type='set' id='%s'><query xmlns='jabber:iq:register'>"
           "<username>%s</username><password>%s</password></query></iq>"
           % (rid, user, password))
    m = r.expect(r"<iq[^>]*id='%s'[^>]*(/>|>.*?</iq>)" % rid)
    r.close()
    return m.group(0)


def test_form(s):
    r = Raw(s.ports["client"])
    r.starttls("open.example.org")
    r.header("open.example.org")
    r.send("<iq type='get' id='f'><query xmlns='jabber:iq:register'/></iq>")
    m = r.expect(r"<iq[^>]*id='f'.*?</iq>")
    assert "<username/>" in m.group(0) and "<password/>" in m.group(0)
    r.close()


def test_register_then_login(s):
    out = register(s, "Dave", "dave-pw")
    assert "type='result'" in out, out
    assert "dave@open.example.org" in s.ctl("user", "list",
                                            "open.example.org").stdout
    r = Raw(s.ports["client"])
    assert r.login("dave", "dave-pw", "x",
                   domain="open.example.org") == "dave@open.example.org/x"
    r.close()


def test_existing_account_conflict(s):
    out = register(s, "dave", "other")
    assert "<conflict" in out, out


def test_bad_username_not_acceptable(s):
    out = register(s, "a b@c", "pw")
    assert "not-acceptable" in out, out


def test_password_change_and_remove(s):
    r = Raw(s.ports["client"])
    r.login("dave", "dave-pw", "y", domain="open.example.org")
    r.send("<iq type='set' id='p'><query xmlns='jabber:iq:register'>"
           "<username>dave</username><password>new-pw</password>"
           "</query></iq>")
    assert "type='result'" in r.expect(r"<iq[^>]*id='p'[^>]*/>").group(0)
    r.send("<iq type='set' id='p2'><query xmlns='jabber:iq:register'>"
           "<username>eve</username><password>x</password></query></iq>")
    m = r.expect(r"<iq[^>]*id='p2'.*?</iq>")
    assert "not-acceptable" in m.group(0), m.group(0)
    r.close()
    r = Raw(s.ports["client"])
    r.login("dave", "new-pw", "z", domain="open.example.org")
    r.send("<iq type='set' id='rm'><query xmlns='jabber:iq:register'>"
           "<remove/></query></iq>")
    out = r.closed()
    assert "not-authorized" in out, out
    assert "dave@" not in s.ctl("user", "list", "open.example.org").stdout


def test_rate_limited_per_address(s):
    results = [register(s, "bulk%d" % i, "pw", rid="b%d" % i)
               for i in range(4)]
    assert any("resource-constraint" in r for r in results), results


def test_denied_domain_still_denies(s):
    r = Raw(s.ports["client"])
    r.starttls()
    r.header()
    r.send("<iq type='set' id='d'><query xmlns='jabber:iq:register'>"
           "<username>x</username><password>y</password></query></iq>")
    assert "not-allowed" in r.expect(r"<iq[^>]*id='d'.*?</iq>").group(0)
    r.close()


def login(s, user, password, res):
    r = Raw(s.ports["client"])
    r.login(user, password, res, domain=D)
    return r


def sync(c, iqid):
    """A ping the server answers: all c sent before it was handled."""
    c.send("<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/>"
           "</iq>" % (iqid, D))
    return c.expect(r"<iq[^>]*id='%s'[^>]*/>" % iqid).group(0)


def befriend(a, aname, b, bname):
    """a and b, both available, subscribe to each other's presence."""
    for x in (a, b):
        x.send("<iq type='get' id='rg'><query xmlns='jabber:iq:roster'/>"
               "</iq><presence/>")
        x.expect(r"<iq[^>]*id='rg'")
    for x, xname, y, yname in ((a, aname, b, bname), (b, bname, a, aname)):
        x.send("<presence to='%s@%s' type='subscribe'/>" % (yname, D))
        y.expect(r"<presence[^>]*type='subscribe'")
        y.send("<presence to='%s@%s' type='subscribed'/>" % (xname, D))
        x.expect(r"<item[^>]*subscription='(to|both)'")
        x.expect(r"<presence(?![^>]*type=)[^>]*from='%s@%s/" % (yname, D))


def stored(s, user):
    """Rows of each table that hold something of user@D."""
    return {t: int(s.db_rows("SELECT count(*) FROM %s WHERE domain = ? AND "
                             "localpart = ?" % t, (D, user))[0][0])
            for t in s.db_tables_with("localpart")}


def login_fails(s, user, password):
    r = Raw(s.ports["client"])
    r.starttls(D)
    r.header(D)
    m = r.auth_plain(user, password)
    r.close()
    return m.group(1) == "failure"


def with_data(s, user, friend, fname):
    """user@D online with a roster, an archive, preferences and private
    XML, friend a contact who sees its presence."""
    add_user(s, "%s@%s" % (user, D), "pw")
    u = login(s, user, "pw", "one")
    befriend(u, user, friend, fname)
    u.send("<iq type='set' id='pv'><query xmlns='jabber:iq:private'>"
           "<note xmlns='x:note'>secret</note></query></iq>"
           "<iq type='set' id='pf'><prefs xmlns='urn:xmpp:mam:2' "
           "default='always'/></iq>")
    u.expect(r"<iq[^>]*id='pv'")
    u.expect(r"<iq[^>]*id='pf'")
    friend.send("<message to='%s@%s' type='chat' id='hello'><body>hello"
                "</body></message>" % (user, D))
    u.expect(r"<message[^>]*id='hello'")
    sync(friend, "f-%s" % user)
    have = stored(s, user)
    for t in ("accounts", "scram", "roster", "mam", "mam_prefs",
              "xmlstore"):
        assert have[t] > 0, have
    return u


def test_remove_discards_what_follows(s):
    """A message and an iq in the same write as <remove/> are dropped
    unseen; the client gets the result, then <not-authorized/>; all the
    account had is gone, and its contact saw it go."""
    add_user(s, "carl@%s" % D, "pw")
    c = login(s, "carl", "pw", "c")
    u = with_data(s, "ursula", c, "carl")
    u.send("<iq type='set' id='rm'><query xmlns='jabber:iq:register'>"
           "<remove/></query></iq>"
           "<message to='carl@%s' type='chat' id='late'><body>after"
           "</body></message>"
           "<iq type='get' id='late-iq' to='%s'><ping xmlns='urn:xmpp:ping'/>"
           "</iq>" % (D, D))
    out = u.closed()
    assert re.search(r"<iq type='result' id='rm'[^>]*/><stream:error>"
                     r"<not-authorized xmlns='urn:ietf:params:xml:ns:"
                     r"xmpp-streams'/><text[^>]*>Account removed</text>"
                     r"</stream:error></stream:stream>$", out), out
    assert "late-iq" not in out, out
    c.expect(r"<presence type='unavailable' from='ursula@%s/one'/>" % D)
    sync(c, "c1")
    assert "<message" not in c.buf and "late" not in c.buf, c.buf
    assert login_fails(s, "ursula", "pw")
    assert sum(stored(s, "ursula").values()) == 0, stored(s, "ursula")
    c.close()


def test_a_new_account_of_a_removed_name_has_nothing_of_it(s):
    """Nothing of the removed account, in the store or cached by the
    server, comes back with a new account of the same name."""
    add_user(s, "ursula@%s" % D, "pw2")
    u = login(s, "ursula", "pw2", "new")
    u.send("<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>"
           "<iq type='get' id='p'><query xmlns='jabber:iq:private'>"
           "<note xmlns='x:note'/></query></iq>"
           "<iq type='get' id='m'><metadata xmlns='urn:xmpp:mam:2'/></iq>")
    got = {}
    while len(got) < 3:
        m = u.expect(r"<iq[^>]*id='([rpm])'[^>]*?(?:/>|>.*?</iq>)")
        got[m.group(1)] = m.group(0)
    assert "type='result'" in got["r"] and "<item" not in got["r"], got
    assert "type='result'" in got["p"] and "secret" not in got["p"], got
    assert "<metadata xmlns='urn:xmpp:mam:2'/>" in got["m"], got
    u.close()


def test_an_account_named_before_it_was_made_works(s):
    """Someone wrote to a name before its account existed: the account,
    made later, still has a roster."""
    add_user(s, "zoe@%s" % D, "pw")
    z = login(s, "zoe", "pw", "z")
    z.send("<presence to='nadia@%s' type='subscribe'/>"
           "<message to='nadia@%s' type='chat'><body>hi</body></message>"
           % (D, D))
    sync(z, "z1")
    add_user(s, "nadia@%s" % D, "pw")
    n = login(s, "nadia", "pw", "n")
    n.send("<iq type='set' id='ri'><query xmlns='jabber:iq:roster'>"
           "<item jid='zoe@%s'/></query></iq>"
           "<iq type='get' id='rg'><query xmlns='jabber:iq:roster'/></iq>"
           % D)
    x = n.expect(r"<iq[^>]*id='ri'[^>]*?(?:/>|>.*?</iq>)").group(0)
    assert "type='result'" in x, x
    x = n.expect(r"<iq[^>]*id='rg'.*?</iq>").group(0)
    assert "jid='zoe@%s'" % D in x, x
    n.close()
    z.close()


def test_remove_from_a_second_resource(s):
    """The other resources of a removed account end too, with
    <not-authorized/>, and its contact sees each go."""
    add_user(s, "cora@%s" % D, "pw")
    c = login(s, "cora", "pw", "c")
    u1 = with_data(s, "victor", c, "cora")
    u2 = login(s, "victor", "pw", "two")
    u2.send("<presence/>")
    c.expect(r"<presence from='victor@%s/two'" % D)
    u2.send("<iq type='set' id='rm2'><query xmlns='jabber:iq:register'>"
            "<remove/></query></iq>")
    out = u2.closed()
    assert re.search(r"<iq type='result' id='rm2'[^>]*/><stream:error>"
                     r"<not-authorized [^>]*/><text[^>]*>Account removed"
                     r"</text></stream:error></stream:stream>$", out), out
    out = u1.closed()
    assert "<not-authorized " in out and "Account deleted" in out, out
    got = set()
    for _ in range(2):
        got.add(c.expect(r"<presence type='unavailable' from='victor@%s/"
                         r"(one|two)'/>" % D).group(1))
    assert got == {"one", "two"}, got
    assert login_fails(s, "victor", "pw")
    assert sum(stored(s, "victor").values()) == 0, stored(s, "victor")
    c.close()


def test_remove_with_other_children_is_refused(s):
    """<remove/> must be alone (XEP-0077 section 3.2): nothing removed."""
    add_user(s, "wendy@%s" % D, "pw")
    w = login(s, "wendy", "pw", "w")
    w.send("<iq type='set' id='rm3'><query xmlns='jabber:iq:register'>"
           "<remove/><username>wendy</username></query></iq>")
    x = w.expect(r"<iq[^>]*id='rm3'.*?</iq>").group(0)
    assert "bad-request" in x and "type='error'" in x, x
    sync(w, "w1")
    w.close()
    assert not login_fails(s, "wendy", "pw")


def test_password_change_keeps_the_order(s):
    """Stanzas after a password change wait for its answer and are then
    handled in the order sent (RFC 6120 section 10.1): a second change
    runs after the first, the message and the ping after both."""
    add_user(s, "xena@%s" % D, "pw")
    add_user(s, "yves@%s" % D, "pw")
    y = login(s, "yves", "pw", "y")
    y.send("<presence/>")
    sync(y, "y1")
    x = login(s, "xena", "pw", "x")
    x.send("<iq type='set' id='pw1'><query xmlns='jabber:iq:register'>"
           "<username>xena</username><password>pw2</password></query></iq>"
           "<iq type='set' id='pw2'><query xmlns='jabber:iq:register'>"
           "<username>xena</username><password>pw3</password></query></iq>"
           "<message to='yves@%s/y' type='chat' id='after'><body>still here"
           "</body></message>"
           "<iq type='get' id='x1' to='%s'><ping xmlns='urn:xmpp:ping'/>"
           "</iq>" % (D, D))
    order = []
    while len(order) < 3:
        m = x.expect(r"<iq[^>]*id='(pw1|pw2|x1)'[^>]*?(?:/>|>.*?</iq>)")
        assert "type='result'" in m.group(0), m.group(0)
        order.append(m.group(1))
    assert order == ["pw1", "pw2", "x1"], order
    y.expect(r"<message[^>]*id='after'")
    x.close()
    y.close()
    assert login_fails(s, "xena", "pw") and login_fails(s, "xena", "pw2")
    assert not login_fails(s, "xena", "pw3")


def test_close_behind_a_password_change(s):
    """A stream closed right after a password change and a message: the
    message still goes, then the stream ends."""
    add_user(s, "zora@%s" % D, "pw")
    add_user(s, "zack@%s" % D, "pw")
    z = login(s, "zack", "pw", "z")
    z.send("<presence/>")
    sync(z, "z1")
    c = login(s, "zora", "pw", "c")
    c.send("<iq type='set' id='cp'><query xmlns='jabber:iq:register'>"
           "<username>zora</username><password>pw2</password></query></iq>"
           "<message to='zack@%s/z' type='chat' id='last'><body>bye"
           "</body></message></stream:stream>" % D)
    out = c.closed()
    assert re.search(r"<iq[^>]*id='cp'[^>]*type='result'|"
                     r"<iq[^>]*type='result'[^>]*id='cp'", out), out
    assert out.rstrip().endswith("</stream:stream>"), out[-200:]
    z.expect(r"<message[^>]*id='last'")
    z.close()
    assert not login_fails(s, "zora", "pw2")
