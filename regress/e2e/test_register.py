"""In-band registration (XEP-0077) on a domain that allows it."""

from rawxmpp import Raw
from xmppdtest import Server


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
