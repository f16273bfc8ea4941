"""What an admin does about throttles and passwords without a restart:
xmppctl show throttled lists the addresses and accounts over a limit in
every process holding them (the store, ldapauthd), xmppctl unthrottle
lets one back in at once; "limits { password min length N }" holds for
xmppctl user add|password and for in-band registration and password
change, while passwords set before still log in.  Every bad argument is
a clear error with exit status 1."""

import re
import subprocess

from rawxmpp import Raw
from slapd import Slapd
from xmppdtest import XMPPCTL, Server, TIMEOUT, add_user

OPEN = "open.example.org"
OPEN_DOMAIN = ('domain "open.example.org" {\n\ttls keypair "example.org"\n'
               '\tauth internal\n\tregistration allow\n}\n')
LIMITS = "limits {\n\tauth failures 3 per 300s\n}\n"
SHORT = "limits {\n\tauth failures 3 per 300s\n\tpassword min length 8\n}\n"


def setup():
    s = Server(prefork=1, body=OPEN_DOMAIN + LIMITS)
    s.start()
    add_user(s, "alice@example.org", "alice-pw")
    return s


def teardown(s):
    s.stop()


def auth(s, user, password, source, domain="example.org"):
    r = Raw(s.ports["client"], source=source)
    r.starttls(domain)
    r.header(domain)
    m = r.auth_plain(user, password)
    r.close()
    return m.group(0)


def lock_out(s, source):
    """Fail from source until its address is throttled."""
    for i in range(3):
        out = auth(s, "alice", "wrong%d" % i, source)
        assert "not-authorized" in out, out
    out = auth(s, "alice", "alice-pw", source)
    assert "temporary-auth-failure" in out, out


def throttled(s):
    """show throttled as {(key, what, process): (count, limit)}."""
    p = s.ctl("show", "throttled")
    lines = p.stdout.splitlines()
    assert lines[0].split()[0] == "THROTTLED", p.stdout
    rows = {}
    for line in lines[1:]:
        m = re.match(r"(\S+)\s+(.+?)\s+(store|ldapauthd)\s+(\d+)\s+(\d+)"
                     r"\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)$", line)
        assert m, line
        rows[(m.group(1), m.group(2), m.group(3))] = (int(m.group(4)),
                                                       int(m.group(5)))
    return rows


def ctl_fails(s, *args, stdin=None):
    p = subprocess.run([XMPPCTL, "-s", s.sock] + list(args),
                       input=stdin, capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert p.returncode == 1, (args, p.stdout, p.stderr)
    assert p.stdout == "", (args, p.stdout)
    return p.stderr


def register(s, user, password, source, rid="r"):
    r = Raw(s.ports["client"], source=source)
    r.starttls(OPEN)
    r.header(OPEN)
    r.send("<iq type='set' id='%s'><query xmlns='jabber:iq:register'>"
           "<username>%s</username><password>%s</password></query></iq>"
           % (rid, user, password))
    m = r.expect(r"<iq[^>]*id='%s'[^>]*(/>|>.*?</iq>)" % rid)
    r.close()
    return m.group(0)


def test_nothing_throttled(s):
    assert throttled(s) == {}


def test_address_locked_out_then_let_in(s):
    lock_out(s, "127.0.0.11")
    rows = throttled(s)
    assert rows == {("127.0.0.11", "auth failures", "store"): (3, 3)}, rows
    # Others are not held up.
    assert "<success" in auth(s, "alice", "alice-pw", "127.0.0.12")
    p = s.ctl("unthrottle", "127.0.0.11")
    assert p.stdout == ("127.0.0.11: auth failures cleared in store "
                        "(3 of 3)\n"), p.stdout
    s.wait_log(r"store\[\d+\]: 127\.0\.0\.11: auth failures unthrottled")
    assert "<success" in auth(s, "alice", "alice-pw", "127.0.0.11")
    assert throttled(s) == {}


def test_unthrottle_under_the_limit_clears_the_count(s):
    # Two failures, one short of the limit: forgotten too, so the
    # address has its three tries again.
    for i in range(2):
        assert "not-authorized" in auth(s, "alice", "x%d" % i, "127.0.0.13")
    assert throttled(s) == {}
    p = s.ctl("unthrottle", "127.0.0.13")
    assert "auth failures cleared in store (2 of 3)" in p.stdout, p.stdout
    for i in range(2):
        assert "not-authorized" in auth(s, "alice", "y%d" % i, "127.0.0.13")
    assert "<success" in auth(s, "alice", "alice-pw", "127.0.0.13")


def test_unthrottle_nothing_held(s):
    err = ctl_fails(s, "unthrottle", "127.0.0.99")
    assert err == "xmppctl: nothing is held against 127.0.0.99\n", err
    # Addresses as inet_ntop(3) writes them, JIDs prepared.
    err = ctl_fails(s, "unthrottle", "0:0:0:0:0:0:0:1")
    assert "nothing is held against ::1\n" in err, err
    err = ctl_fails(s, "unthrottle", "Mallory@Example.ORG")
    assert "nothing is held against mallory@example.org\n" in err, err


def test_unthrottle_bad_arguments(s):
    for arg, why in (("example.org", "not an address or a bare JID"),
                     ("alice@example.org/res", "not an address or a "
                      "bare JID"),
                     ("300.1.2.3", "not an address or a bare JID"),
                     ("a@b@c", "not an address or a bare JID"),
                     ("@example.org", "not an address or a bare JID"),
                     ("x" * 1100 + "@example.org", "not an address or a "
                      "bare JID"),
                     ("", "empty argument")):
        err = ctl_fails(s, "unthrottle", arg)
        assert why in err, (arg, err)
    assert "wrong arguments" in ctl_fails(s, "unthrottle")
    assert "wrong arguments" in ctl_fails(s, "unthrottle", "1.2.3.4", "x")
    assert "wrong arguments" in ctl_fails(s, "show", "throttled", "x")
    p = s.ctl("help", "unthrottle")
    assert "usage: xmppctl unthrottle ADDRESS|JID" in p.stdout, p.stdout


def test_registrations_throttled_then_let_in(s):
    src = "127.0.0.21"
    for i in range(3):
        out = register(s, "reg%d" % i, "reg-password", src)
        assert "type='result'" in out, out
    out = register(s, "reg3", "reg-password", src)
    assert "resource-constraint" in out, out
    rows = throttled(s)
    assert rows == {(src, "registrations", "store"): (3, 3)}, rows
    # Logins from there are a throttle of their own, unaffected.
    assert "<success" in auth(s, "reg0", "reg-password", src, OPEN)
    p = s.ctl("unthrottle", src)
    assert p.stdout == ("%s: registrations cleared in store (3 of 3)\n"
                        % src), p.stdout
    out = register(s, "reg3", "reg-password", src)
    assert "type='result'" in out, out


def test_password_min_length_ctl(s):
    # Made before the limit: it must still log in afterwards.
    add_user(s, "shorty@example.org", "short")
    s.write_conf(OPEN_DOMAIN + SHORT)
    s.ctl("reload")
    err = ctl_fails(s, "user", "add", "carol@example.org", stdin="seven77\n")
    assert err == ("xmppctl: carol@example.org: password too short: at "
                   "least 8 characters\n"), err
    assert "carol@example.org" not in s.ctl("user", "list").stdout
    # Characters, not bytes: seven of them in nine bytes are too few,
    # eight are enough.
    ctl_fails(s, "user", "add", "carol@example.org", stdin="h\u00e9h\u00e9abc\n")
    add_user(s, "carol@example.org", "h\u00e9h\u00e9abcd")
    assert "<success" in auth(s, "carol", "h\u00e9h\u00e9abcd", "127.0.0.31")
    err = ctl_fails(s, "user", "password", "alice@example.org",
                    stdin="1234567\n")
    assert "password too short: at least 8 characters" in err, err
    assert "<success" in auth(s, "alice", "alice-pw", "127.0.0.31")
    assert "<success" in auth(s, "shorty", "short", "127.0.0.31")


def test_password_min_length_registration(s):
    out = register(s, "dora", "1234567", "127.0.0.32")
    assert "not-acceptable" in out and "type='modify'" in out, out
    assert re.search(r"<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>"
                     r"Password too short: at least 8 characters</text>",
                     out), out
    assert "dora@" not in s.ctl("user", "list", OPEN).stdout
    out = register(s, "dora", "12345678", "127.0.0.32")
    assert "type='result'" in out, out
    # A password change in-band (XEP-0077 section 3.3) is measured too.
    r = Raw(s.ports["client"], source="127.0.0.32")
    r.login("dora", "12345678", "x", domain=OPEN)
    r.send("<iq type='set' id='p'><query xmlns='jabber:iq:register'>"
           "<username>dora</username><password>short</password>"
           "</query></iq>")
    m = r.expect(r"<iq[^>]*id='p'.*?</iq>")
    assert "not-acceptable" in m.group(0), m.group(0)
    assert "Password too short" in m.group(0), m.group(0)
    r.send("<iq type='set' id='q'><query xmlns='jabber:iq:register'>"
           "<username>dora</username><password>long-enough</password>"
           "</query></iq>")
    assert "type='result'" in r.expect(r"<iq[^>]*id='q'[^>]*/>").group(0)
    r.close()
    assert "<success" in auth(s, "dora", "long-enough", "127.0.0.32", OPEN)


def test_ldap_user_and_address_throttles(s):
    """ldapauthd holds a throttle per user name as well: both are listed
    with the store's, and unthrottle clears each where it is held."""
    ldap = Slapd()
    ldap.start()
    t = None
    try:
        ldap.add_user("anna", "anna-pw")
        t = Server(prefork=1)
        base = t.base_conf().replace("auth internal", 'auth ldap "dir"')
        t.write_conf(raw=(
            'ldap "dir" {\n\tserver "ldaps://localhost:%d"\n'
            '\tbind "%s" password "%s"\n\tbase "%s"\n'
            '\tfilter "(cn=%%u)"\n\tca "%s"\n\ttimeout 3s\n}\n'
            % (ldap.ldaps_port, ldap.service_dn, ldap.service_pw,
               ldap.base, ldap.ca)) + base + LIMITS)
        t.start()
        for i in range(3):
            out = auth(t, "anna", "guess", "127.0.0.%d" % (41 + i))
            assert "not-authorized" in out, out
        out = auth(t, "anna", "anna-pw", "127.0.0.44")
        assert "temporary-auth-failure" in out, out
        for i in range(2):
            assert "not-authorized" in auth(t, "bob", "x", "127.0.0.45")
        assert "not-authorized" in auth(t, "nobody", "x", "127.0.0.45")
        rows = throttled(t)
        assert rows == {
            ("anna@example.org", "user auth failures", "ldapauthd"): (3, 3),
            ("127.0.0.45", "auth failures", "ldapauthd"): (3, 3)}, rows
        p = t.ctl("unthrottle", "Anna@example.org")
        assert p.stdout == ("anna@example.org: user auth failures cleared "
                            "in ldapauthd (3 of 3)\n"), p.stdout
        t.wait_log(r"ldapauthd\[\d+\]: anna@example\.org: user auth "
                   r"failures unthrottled")
        assert "<success" in auth(t, "anna", "anna-pw", "127.0.0.44")
        assert list(throttled(t)) == [("127.0.0.45", "auth failures",
                                       "ldapauthd")]
        p = t.ctl("unthrottle", "127.0.0.45")
        assert "cleared in ldapauthd" in p.stdout, p.stdout
        assert "<success" in auth(t, "anna", "anna-pw", "127.0.0.45")
        assert throttled(t) == {}
    finally:
        if t is not None:
            t.stop()
        ldap.close()
