"""Client connections with real clients: STARTTLS and direct TLS, every
SASL mechanism, binding, accounts and sessions through xmppctl."""

import re
import subprocess
import threading

import rawxmpp
from rawxmpp import Raw
from xmppdtest import Server, add_user, slix_login, XMPPCTL


LDAP = ('ldap "dir" {\n\tserver "ldaps://127.0.0.1:1"\n'
        '\tbind "cn=x,dc=example,dc=org" password "secret"\n'
        '\tbase "dc=example,dc=org"\n}\n'
        'domain "corp.example.org" {\n\tauth ldap "dir"\n}\n')


def setup():
    s = Server(prefork=2, body=LDAP)
    s.start()
    add_user(s, "alice@example.org", "alice-pw")
    add_user(s, "bob@example.org", "bob-pw")
    return s


def teardown(s):
    s.stop()


def test_scram_sha_256_starttls(s):
    r = slix_login(s.ports["client"], "alice@example.org/a", "alice-pw",
                   mech="SCRAM-SHA-256")
    assert r["jid"] == "alice@example.org/a", r


def test_scram_sha_1_starttls(s):
    r = slix_login(s.ports["client"], "alice@example.org/b", "alice-pw",
                   mech="SCRAM-SHA-1")
    assert r["jid"] == "alice@example.org/b", r


def test_plain_starttls(s):
    r = slix_login(s.ports["client"], "alice@example.org/c", "alice-pw",
                   mech="PLAIN")
    assert r["jid"] == "alice@example.org/c", r


def test_direct_tls_with_alpn(s):
    r = Raw(s.ports["client_tls"], direct_tls=True, alpn=["xmpp-client"])
    assert r.sock.selected_alpn_protocol() == "xmpp-client"
    m = r.header()
    assert "SCRAM-SHA-256" in m.group(1) and "starttls" not in m.group(1)
    r.close()
    res = slix_login(s.ports["client_tls"], "alice@example.org/d",
                     "alice-pw", direct_tls=True)
    assert res["jid"] == "alice@example.org/d"


def test_ping_the_server(s):
    async def ping(c):
        return await c["xep_0199"].ping(jid="example.org", timeout=5)
    r = slix_login(s.ports["client"], "alice@example.org/p", "alice-pw",
                   actions=ping)
    assert r["actions"] is not None


def test_wrong_then_right_password_same_stream(s):
    r = Raw(s.ports["client"])
    r.starttls()
    r.header()
    m = r.auth_plain("alice", "wrong")
    assert m.group(1) == "failure" and "not-authorized" in m.group(0)
    m = r.auth_plain("alice", "alice-pw")
    assert m.group(1) == "success", m.group(0)
    r.close()


def test_unknown_user_not_authorized(s):
    r = Raw(s.ports["client"])
    r.starttls()
    r.header()
    m = r.auth_plain("nobody", "x")
    assert "not-authorized" in m.group(0)
    r.close()


def test_plaintext_auth_refused(s):
    r = Raw(s.ports["client"])
    m = r.header()
    assert "<required/>" in m.group(1) and "mechanism" not in m.group(1)
    r.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
           "mechanism='PLAIN'>AGFsaWNlAGFsaWNlLXB3</auth>")
    out = r.closed()
    assert "encryption-required" in out and "policy-violation" in out, out


def test_stanza_before_tls_refused(s):
    r = Raw(s.ports["client"])
    r.header()
    r.send("<iq type='get' id='x'><query xmlns='jabber:iq:roster'/></iq>")
    out = r.closed()
    assert "policy-violation" in out, out


def test_unknown_domain(s):
    r = Raw(s.ports["client"])
    r.send("<?xml version='1.0'?><stream:stream to='nowhere.example' "
           "version='1.0' xmlns='jabber:client' "
           "xmlns:stream='http://etherx.jabber.org/streams'>")
    out = r.closed()
    assert "<host-unknown" in out, out


def test_server_generated_resource(s):
    r = Raw(s.ports["client"])
    jid = r.login("alice", "alice-pw")
    assert re.match(r"^alice@example\.org/[0-9a-f]{16}$", jid), jid
    r.close()


def test_resource_conflict_new_session_wins(s):
    first = Raw(s.ports["client"])
    first.login("bob", "bob-pw", "phone")
    second = Raw(s.ports["client"])
    assert second.login("bob", "bob-pw", "phone") == "bob@example.org/phone"
    out = first.closed()
    assert "<conflict" in out, out
    second.close()


def test_spoofed_from_is_rewritten(s):
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "spoof")
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "victim")
    a.send("<message to='bob@example.org/victim' from='admin@example.org' "
           "type='chat'><body>hi</body></message>")
    m = b.expect(r"<message[^>]*>.*?</message>")
    assert "from='alice@example.org/spoof'" in m.group(0), m.group(0)
    assert "admin@" not in m.group(0)
    a.close()
    b.close()


def test_show_sessions_and_kick(s):
    r = Raw(s.ports["client"])
    r.login("alice", "alice-pw", "kickme")
    out = s.ctl("show", "sessions").stdout
    assert "alice@example.org/kickme" in out and "TLSv1.3" in out, out
    s.ctl("kick", "alice@example.org/kickme")
    out = r.closed()
    assert "<policy-violation" in out and "administrator" in out, out
    assert "kickme" not in s.ctl("show", "sessions").stdout
    k = s.ctl("kick", "alice@example.org/kickme", check=False)
    assert k.returncode == 1 and "no such session" in k.stderr


def test_user_commands(s):
    add_user(s, "carol@example.org", "one")
    assert "carol@example.org" in s.ctl("user", "list",
                                        "example.org").stdout
    dup = subprocess.run([XMPPCTL, "-s", s.sock, "user", "add",
                          "carol@example.org"], input="x\n",
                         capture_output=True, text=True)
    assert dup.returncode == 1 and "exists" in dup.stderr
    p = subprocess.run([XMPPCTL, "-s", s.sock, "user", "password",
                        "carol@example.org"], input="two\n",
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    r = Raw(s.ports["client"])
    r.starttls()
    r.header()
    assert r.auth_plain("carol", "one").group(1) == "failure"
    assert r.auth_plain("carol", "two").group(1) == "success"
    r.close()
    live = Raw(s.ports["client"])
    live.login("carol", "two", "x")
    s.ctl("user", "delete", "carol@example.org")
    out = live.closed()
    assert "not-authorized" in out, out
    assert "carol" not in s.ctl("user", "list", "example.org").stdout
    bad = s.ctl("user", "add", "not a jid", check=False)
    assert bad.returncode == 1


def test_registration_denied_by_default(s):
    r = Raw(s.ports["client"])
    r.starttls()
    m = r.header()
    assert "iq-register" not in m.group(1)
    r.send("<iq type='set' id='r1'><query xmlns='jabber:iq:register'>"
           "<username>mallory</username><password>x</password></query></iq>")
    m = r.expect(r"<iq[^>]*id='r1'.*?</iq>")
    assert "not-allowed" in m.group(0), m.group(0)
    r.close()
    assert "mallory" not in s.ctl("user", "list", "example.org").stdout


def test_ldap_domain_offers_plain_only_and_fails_temporarily(s):
    r = Raw(s.ports["client"])
    r.starttls("corp.example.org")
    m = r.header("corp.example.org")
    assert "<mechanism>PLAIN</mechanism>" in m.group(1)
    assert "SCRAM" not in m.group(1)
    m = r.auth_plain("alice", "x")
    assert "temporary-auth-failure" in m.group(0), m.group(0)
    r.close()
    assert s.pid_of("ldapauthd") > 0


def test_reload_keeps_sessions_and_serves_new_ones(s):
    held = Raw(s.ports["client_tls"], direct_tls=True)
    held.login("alice", "alice-pw", "held", tls=False)
    m = s.mark()
    s.ctl("reload")
    s.wait_log(r"configuration reloaded", after=m)
    held.send("<iq type='get' id='p1' to='example.org'>"
              "<ping xmlns='urn:xmpp:ping'/></iq>")
    assert "type='result'" in held.expect(r"<iq[^>]*id='p1'[^>]*/>").group(0)
    fresh = Raw(s.ports["client"])
    assert fresh.login("alice", "alice-pw", "fresh").endswith("/fresh")
    fresh.close()
    held.close()
    assert not s.log_has(r"killed by signal|exited with status", after=m)


def test_reload_during_tls_handshakes(s):
    """Reloads while clients are in the middle of TLS handshakes: one
    begun with the context a reload replaced goes on with it (the
    context lives until its last connection closes; freed at once,
    libtls's SNI callback read freed memory and the stream process
    crashed, most times within these rounds)."""
    t = Server(prefork=1)
    t.start()
    try:
        add_user(t, "alice@example.org", "alice-pw")
        m = t.mark()
        for i in range(30):
            done = []

            def login(k, direct):
                try:
                    c = Raw(t.ports["client_tls" if direct else "client"],
                            direct_tls=direct)
                    c.login("alice", "alice-pw", "hs%d-%d" % (i, k),
                            tls=not direct)
                    c.close()
                    done.append(k)
                except (AssertionError, OSError):
                    pass
            threads = [threading.Thread(target=login, args=(k, k % 2))
                       for k in range(6)]
            for th in threads:
                th.start()
            t.ctl("reload")
            for th in threads:
                th.join()
            assert not t.log_has(r"killed by signal|exited with status",
                                 after=m), t.log_tail(10)
            assert len(done) == 6, (i, done)
    finally:
        t.stop()


def test_client_over_its_rate_is_slowed_not_cut(s):
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "fast")
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "sink")
    body = "y" * 1000
    # 25 KB at once against a 10K/s rate: delivered late, all of it.
    for i in range(25):
        a.send("<message to='bob@example.org/sink' id='m%d'><body>%s"
               "</body></message>" % (i, body))
    for i in range(25):
        b.expect(r"<message[^>]*id='m%d'" % i, timeout=20)
    a.send("<iq type='get' id='alive' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>")
    a.expect(r"id='alive'")
    a.close()
    b.close()
