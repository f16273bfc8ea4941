"""xmppctl user disable, enable and info.  A disabled account cannot log
in (SASL <account-disabled/> with the administrator's reason as text,
RFC 6120 section 6.5.1, whatever the mechanism, and for a directory user
too), its sessions end at once with <policy-violation/>, and it keeps
its data; the state survives a restart.  user info shows when the
account was made, its last login and from where, its sessions, roster
and archive sizes.  Every bad argument is a clear error, exit status 1.
Run on SQLite and again on PostgreSQL."""

import os
import re
import socket
import struct
import subprocess

from rawxmpp import Raw
from slapd import Slapd
from xmppdtest import XMPPCTL, Server, add_user, slix_login, started

SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
# A second domain, served with the first one's certificate.
CHAT = ('domain "chat.example.org" {\n\ttls keypair "example.org"\n'
        '\tauth internal\n}\n')


def setup():
    s = started(users=("alice", "bob", "carol", "dave", "erin"), body=CHAT)
    add_user(s, "alice@chat.example.org", "chat-pw")
    return s


def teardown(s):
    s.stop()


def ctl_fail(s, *args):
    """A command that must fail: its error text (exit status 1)."""
    p = s.ctl(*args, check=False)
    assert p.returncode == 1, (args, p.returncode, p.stdout, p.stderr)
    assert p.stdout == "", p.stdout
    return p.stderr


def login_raw(s, user, password):
    """A PLAIN attempt on a new stream: the <success/> or <failure/>."""
    c = Raw(s.ports["client"])
    c.starttls()
    c.header()
    m = c.auth_plain(user, password)
    return c, m.group(0)


def refused_disabled(s, user, password, reason):
    c, answer = login_raw(s, user, password)
    c.close()
    assert re.match(r"<failure xmlns='%s'><account-disabled/>"
                    r"<text>%s</text></failure>" % (SASL, re.escape(reason)),
                    answer), answer


def test_disable_ends_sessions_and_refuses_logins(s):
    c = Raw(s.ports["client"])
    assert c.login("alice", "alice-pw", "desk") == "alice@example.org/desk"
    other = Raw(s.ports["client"])
    other.login("bob", "bob-pw", "r")
    p = s.ctl("user", "disable", "alice@example.org", "Spam & <abuse>")
    assert p.stdout == "user alice@example.org disabled\n", p.stdout
    # The open session ends at once, the reason as its text, escaped.
    c.expect(r"<stream:error><policy-violation xmlns='urn:ietf:params:xml:"
             r"ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:"
             r"xmpp-streams'>Spam &amp; &lt;abuse&gt;</text>"
             r"</stream:error>")
    assert c.closed()
    s.wait_log(r"account alice@example.org disabled: 1 session closed")
    # The right password: refused with the reason.
    refused_disabled(s, "alice", "alice-pw", "Spam &amp; &lt;abuse&gt;")
    s.wait_log(r"login refused from 127\.0\.0\.1 as alice@example\.org: "
               r"account disabled")
    # A wrong one learns nothing of the account's state.
    c, answer = login_raw(s, "alice", "wrong")
    c.close()
    assert "<not-authorized/>" in answer, answer
    # SCRAM too.
    for mech in ("SCRAM-SHA-1", "SCRAM-SHA-256"):
        try:
            slix_login(s.ports["client"], "alice@example.org", "alice-pw",
                       mech=mech)
            raise AssertionError("%s login of a disabled account" % mech)
        except AssertionError as e:
            assert "'failed': True" in str(e), e
    # Another user, and alice of another domain, are not touched.
    other.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
    other.expect(r"<iq[^>]*id='p1'")
    other.close()
    c = Raw(s.ports["client"])
    assert c.login("alice", "chat-pw", "r", domain="chat.example.org")
    c.close()
    # Disabled again: the reason is replaced, and it says so.
    p = s.ctl("user", "disable", "alice@example.org")
    assert p.stdout == "user alice@example.org disabled (it was already)\n"
    refused_disabled(s, "alice", "alice-pw", "Account disabled")
    p = s.ctl("user", "enable", "alice@example.org")
    assert p.stdout == "user alice@example.org enabled\n", p.stdout
    c = Raw(s.ports["client"])
    assert c.login("alice", "alice-pw", "r") == "alice@example.org/r"
    c.close()
    p = s.ctl("user", "enable", "alice@example.org")
    assert p.stdout == ("user alice@example.org enabled (it was not "
                        "disabled)\n"), p.stdout


def test_bind_after_disable_is_refused(s):
    """Logged in just before the disable, bound just after: closed."""
    c = Raw(s.ports["client"])
    c.starttls()
    c.header()
    assert "<success" in c.auth_plain("alice", "alice-pw").group(0)
    c.header()
    mark = s.mark()
    s.ctl("user", "disable", "alice@example.org", "late")
    s.wait_log(r"router\[\d+\]: account alice@example\.org disabled: "
               r"0 sessions closed", after=mark)
    c.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:"
           "xmpp-bind'/></iq>")
    c.expect(r"<policy-violation[^>]*/><text[^>]*>late</text>")
    assert c.closed()
    s.wait_log(r"bind by alice@example\.org refused: account disabled")
    # Enabled: a bind goes through at once.
    s.ctl("user", "enable", "alice@example.org")
    c = Raw(s.ports["client"])
    assert c.login("alice", "alice-pw", "r") == "alice@example.org/r"
    c.close()


def test_disabled_keeps_its_data(s):
    """Roster and messages stay; those sent meanwhile wait offline."""
    c = Raw(s.ports["client"])
    c.login("carol", "carol-pw", "r")
    c.send("<iq type='set' id='r1'><query xmlns='jabber:iq:roster'><item "
           "jid='bob@example.org' name='Bob'/></query></iq>")
    c.expect(r"<iq[^>]*id='r1'")
    c.close()
    s.ctl("user", "disable", "carol@example.org", "on holiday")
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "r")
    b.send("<message to='carol@example.org' type='chat' id='m1'>"
           "<body>while you were away</body></message>")
    b.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
    b.expect(r"<iq[^>]*id='p1'")
    b.close()
    refused_disabled(s, "carol", "carol-pw", "on holiday")
    s.ctl("user", "enable", "carol@example.org")
    c = Raw(s.ports["client"])
    c.login("carol", "carol-pw", "r")
    c.send("<iq type='get' id='r2'><query xmlns='jabber:iq:roster'/></iq>")
    c.expect(r"<iq[^>]*id='r2'.*?jid='bob@example.org'.*?</iq>")
    c.send("<presence/>")
    c.expect(r"<message[^>]*>.*?while you were away.*?</message>")
    c.close()


def test_user_info(s):
    c = Raw(s.ports["client"])
    c.login("dave", "dave-pw", "laptop")
    c.send("<iq type='set' id='r1'><query xmlns='jabber:iq:roster'><item "
           "jid='bob@example.org'/></query></iq>")
    c.expect(r"<iq[^>]*id='r1'")
    c.send("<message to='bob@example.org' type='chat' id='m1'>"
           "<body>archived</body></message>")
    c.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
    c.expect(r"<iq[^>]*id='p1'")
    out = s.ctl("user", "info", "Dave@Example.org").stdout
    rows = dict(re.findall(r"^(\S+(?: login)?)\s{2,}(.*)$", out, re.M))
    assert rows["account"] == "dave@example.org", out
    assert rows["auth"] == "internal", out
    assert rows["state"] == "enabled", out
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", rows["created"]), out
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d from 127\.0\.0\.1$",
                    rows["last login"]), out
    assert rows["sessions"] == "1", out
    assert re.search(r"^  dave@example\.org/laptop from 127\.0\.0\.1 over "
                     r"tcp since \d{4}-", out, re.M), out
    assert rows["roster"] == "1 contacts", out
    assert rows["archive"] == "1 messages", out
    s.ctl("user", "disable", "dave@example.org", "compromised")
    assert c.closed()
    out = s.ctl("user", "info", "dave@example.org").stdout
    assert re.search(r"^state\s+disabled: compromised$", out, re.M), out
    assert re.search(r"^sessions\s+0$", out, re.M), out
    s.ctl("user", "enable", "dave@example.org")
    # Never logged in: said so.
    out = s.ctl("user", "info", "erin@example.org").stdout
    assert re.search(r"^last login\s+never$", out, re.M), out


def test_state_survives_a_restart(s):
    s.ctl("user", "disable", "erin@example.org", "kept")
    s.stop_keep()
    s.start()
    refused_disabled(s, "erin", "erin-pw", "kept")
    out = s.ctl("user", "info", "erin@example.org").stdout
    assert re.search(r"^state\s+disabled: kept$", out, re.M), out
    s.ctl("user", "enable", "erin@example.org")
    c = Raw(s.ports["client"])
    assert c.login("erin", "erin-pw", "r") == "erin@example.org/r"
    c.close()
    # Deleted with the account.
    s.ctl("user", "disable", "erin@example.org")
    s.ctl("user", "delete", "erin@example.org")
    assert int(s.db_rows("SELECT count(*) FROM account_state WHERE "
                         "localpart = ?", ("erin",))[0][0]) == 0


def test_bad_arguments(s):
    for args, why in [
            (("user", "disable"), r"wrong arguments"),
            (("user", "enable"), r"wrong arguments"),
            (("user", "info"), r"wrong arguments"),
            (("user", "enable", "bob@example.org", "x"),
             r"wrong arguments"),
            (("user", "info", "bob@example.org", "x"), r"wrong arguments"),
            (("user", "disable", "a@b@example.org"), r"not a valid bare "
             r"JID"),
            (("user", "disable", "bob@example.org/r"), r"not a valid bare "
             r"JID"),
            (("user", "disable", "example.org"), r"not a valid bare JID"),
            (("user", "disable", "bob@elsewhere.example"), r"no such "
             r"domain"),
            (("user", "disable", "nobody@example.org"), r"nobody@example"
             r"\.org: no such account"),
            (("user", "enable", "nobody@example.org"), r"no such account"),
            (("user", "info", "nobody@example.org"), r"no such account"),
            (("user", "info", "bob@elsewhere.example"), r"no such domain"),
            (("user", "disable", "bob@example.org", "two\nlines"),
             r"the reason must be one line"),
            (("user", "disable", "bob@example.org", "x" * 256),
             r"reason too long: 255 bytes at most"),
            (("user", "disable", "bob@example.org", ""),
             r"empty argument"),
            (("user", "disable", "x" * 3100 + "@example.org"),
             r"JID too long")]:
        err = ctl_fail(s, *args)
        assert re.search(why, err), (args, err)
    # Nothing of it touched bob.
    c = Raw(s.ports["client"])
    assert c.login("bob", "bob-pw", "r") == "bob@example.org/r"
    c.close()
    out = s.ctl("user", "info", "bob@example.org").stdout
    assert re.search(r"^state\s+enabled$", out, re.M), out


def imsg_types():
    """The imsg types, numbered as common/msg.h's enum numbers them."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "..", "..", "common", "msg.h")
    with open(path) as f:
        text = f.read()
    body = re.search(r"enum imsg_type \{(.*?)\};", text, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    return {n: i for i, n in enumerate(re.findall(r"\b(IMSG_\w+)\s*,",
                                                  body))}


def raw_ctl(s, type, payload):
    """One request on the control socket as xmppctl would send it, but
    with any payload: the answer's type and data."""
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(20)
    c.connect(s.sock)
    c.sendall(struct.pack("=IIII", type, 16 + len(payload), 1,
                          os.getpid()) + payload)
    buf = b""
    while len(buf) < 16 or len(buf) < struct.unpack("=I", buf[4:8])[0]:
        data = c.recv(65536)
        assert data, "control connection closed"
        buf += data
    c.close()
    t, n = struct.unpack("=II", buf[:8])
    return t, buf[16:n]


def test_malformed_requests(s):
    """A request of the wrong size is refused, and nothing restarts."""
    types = imsg_types()
    assert types["IMSG_NONE"] == 0 and "IMSG_MAX" not in types
    before = {p["name"]: p["pid"] for p in s.processes()}
    for name in ("IMSG_CTL_USER_DISABLE", "IMSG_CTL_USER_ENABLE",
                 "IMSG_CTL_USER_INFO", "IMSG_CTL_SHOW_SESSIONS"):
        for payload in (b"alice", b"x" * 5000):
            t, data = raw_ctl(s, types[name], payload)
            assert t == types["IMSG_CTL_FAIL"], (name, t, data)
            assert data == b"bad request\0", (name, data)
    assert {p["name"]: p["pid"] for p in s.processes()} == before
    c = Raw(s.ports["client"])
    assert c.login("bob", "bob-pw", "r") == "bob@example.org/r"
    c.close()


def test_directory_user(_):
    """A directory user: the directory checks the password, the store
    the state; both ends of it as for an internal account."""
    ldap = Slapd()
    s = Server(prefork=1)
    try:
        ldap.start()
        ldap.add_user("frank", "frank-pw")
        s.write_conf(raw=(
            'ldap "dir" {\n\tserver "ldaps://localhost:%d"\n'
            '\tbind "%s" password "%s"\n\tbase "%s"\n'
            '\tfilter "(cn=%%u)"\n\tca "%s"\n}\n'
            % (ldap.ldaps_port, ldap.service_dn, ldap.service_pw,
               ldap.base, ldap.ca)) +
            s.base_conf().replace("auth internal", 'auth ldap "dir"'))
        s.start()
        # Not known to the store before its first login.
        err = ctl_fail(s, "user", "disable", "frank@example.org")
        assert "frank@example.org: no such account" in err, err
        c = Raw(s.ports["client"])
        assert c.login("frank", "frank-pw", "r") == "frank@example.org/r"
        out = s.ctl("user", "info", "frank@example.org").stdout
        assert re.search(r"^auth\s+ldap$", out, re.M), out
        assert re.search(r"^last login\s+\S+ \S+ from 127\.0\.0\.1$",
                         out, re.M), out
        assert re.search(r"^sessions\s+1$", out, re.M), out
        s.ctl("user", "disable", "frank@example.org", "left us")
        c.expect(r"<policy-violation[^>]*/><text[^>]*>left us</text>")
        assert c.closed()
        refused_disabled(s, "frank", "frank-pw", "left us")
        c, answer = login_raw(s, "frank", "wrong")
        c.close()
        assert "<not-authorized/>" in answer, answer
        s.ctl("user", "enable", "frank@example.org")
        c = Raw(s.ports["client"])
        assert c.login("frank", "frank-pw", "r") == "frank@example.org/r"
        c.close()
    finally:
        s.stop()
        ldap.close()


def test_help(s):
    p = subprocess.run([XMPPCTL, "help", "user", "disable"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("usage: xmppctl user disable JID "
                               "[REASON]\n"), p.stdout
