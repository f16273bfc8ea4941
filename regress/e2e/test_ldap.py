"""LDAP logins against a real slapd: ldaps and StartTLS with the
certificate verified, failover, the directory going away and coming
back, injection-shaped user names, the shared roster group, vCards from
the directory, and users the directory does not know."""

import base64
import os
import re
import subprocess

from rawxmpp import Raw
from slapd import Slapd
from xmppdtest import Server, XMPPD, free_port, TIMEOUT

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


class Ctx:
    pass


def ldap_block(c, servers, extra=""):
    lines = "".join('\tserver %s\n' % s for s in servers)
    return ('ldap "dir" {\n%s'
            '\tbind "%s" password "%s"\n'
            '\tbase "%s"\n'
            '\tfilter "(cn=%%u)"\n'
            '\tca "%s"\n'
            '\ttimeout 3s\n'
            '\troster group "Everyone"\n'
            '\tvcard fn "displayName" email "mail" photo "jpegPhoto"\n'
            '}\n%s' % (lines, c.ldap.service_dn, c.ldap.service_pw,
                       c.ldap.base, c.ldap.ca, extra))


def conf(c, servers):
    """The Server's base configuration, its domain on the directory."""
    base = c.s.base_conf().replace("auth internal", 'auth ldap "dir"')
    return ldap_block(c, servers) + base + \
        "limits {\n\tauth failures 1000 per 60s\n}\n"


def ldaps(c, port=None):
    return '"ldaps://localhost:%d"' % (port or c.ldap.ldaps_port)


def starttls(c):
    return '"ldap://localhost:%d" starttls' % c.ldap.ldap_port


def reconfigure(c, servers):
    c.s.write_conf(raw=conf(c, servers))
    c.s.ctl("reload")


def setup():
    c = Ctx()
    c.ldap = Slapd()
    c.ldap.start()
    c.ldap.add_user("alice", "alice-pw", display_name="Alice Liddell",
                    mail="alice@example.org", photo=PHOTO)
    c.ldap.add_user("bob", "bob-pw", display_name="Bob Dylan",
                    mail="bob@example.org")
    c.ldap.add_user("anna", "anna-pw", display_name="Anna Karenina")
    c.s = Server(prefork=2)
    c.s.write_conf(raw=conf(c, [ldaps(c)]))
    c.s.start()
    c.log_tail = c.s.log_tail
    return c


def teardown(c):
    c.s.stop()
    c.ldap.close()


def auth(c, user, password, authzid="", source=None):
    r = Raw(c.s.ports["client"], source=source)
    r.starttls()
    r.header()
    m = r.auth_plain(user, password, authzid)
    r.close()
    return m.group(0)


def assert_fails(c, user, password, condition="not-authorized",
                 source=None):
    out = auth(c, user, password, source=source)
    assert "<failure" in out and condition in out, (user, out)


def login(c, user, password, resource=None):
    r = Raw(c.s.ports["client"])
    r.login(user, password, resource)
    return r


def test_login_ldaps(c):
    out = auth(c, "alice", "alice-pw")
    assert "<success" in out, out
    login(c, "alice", "alice-pw", "r").close()


def test_wrong_password(c):
    assert_fails(c, "alice", "bob-pw")
    c.s.wait_log(r"ldapauthd\[\d+\]: authentication failed from "
                       r"127\.0\.0\.1 for alice@example\.org$")


def test_unknown_user(c):
    assert_fails(c, "mallory", "alice-pw")


def test_injection_user_names(c):
    # Each would widen (cn=%u) to match alice or everyone if unescaped.
    for user in ("*", "a*", "al*", ")(cn=*", "alice)(cn=*",
                 "*)(|(cn=*", "\\2a", "alice\\00"):
        assert_fails(c, user, "alice-pw")


def test_empty_password(c):
    out = auth(c, "alice", "")
    assert "<failure" in out, out
    assert "<success" not in out




def test_authzid(c):
    out = auth(c, "alice", "alice-pw", authzid="bob@example.org")
    assert "<failure" in out and "invalid-authzid" in out, out


def test_scram_not_offered(c):
    r = Raw(c.s.ports["client"])
    r.starttls()
    feats = r.header().group(1)
    assert "PLAIN" in feats and "SCRAM" not in feats, feats
    r.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
           "mechanism='SCRAM-SHA-1'>biwsbj1hbGljZSxyPWFiYw==</auth>")
    out = r.expect(r"<failure.*?</failure>").group(0)
    assert "invalid-mechanism" in out, out
    r.close()


def test_starttls(c):
    reconfigure(c, [starttls(c)])
    login(c, "bob", "bob-pw").close()
    assert_fails(c, "bob", "alice-pw")


def test_failover(c):
    dead = free_port()
    reconfigure(c, [ldaps(c, dead), ldaps(c)])
    login(c, "alice", "alice-pw").close()
    out = c.s.ctl("show", "ldap").stdout
    assert re.search(r"localhost:%d\s+no" % dead, out), out
    assert re.search(r"localhost:%d\s+yes" % c.ldap.ldaps_port, out), out


def test_wrong_ca_refused(c):
    # The directory's certificate does not verify against another CA.
    other = os.path.join(c.s.dir, "other-ca.pem")
    crt = re.search(r'certificate "([^"]+)"', c.s.base_conf()).group(1)
    with open(crt) as f, open(other, "w") as o:
        o.write(f.read())
    text = conf(c, [ldaps(c)]).replace('ca "%s"' % c.ldap.ca,
                                       'ca "%s"' % other)
    c.s.write_conf(raw=text)
    c.s.ctl("reload")
    assert_fails(c, "alice", "alice-pw", "temporary-auth-failure")
    c.s.wait_log(r"ldapauthd.*TLS")
    reconfigure(c, [ldaps(c)])
    login(c, "alice", "alice-pw").close()


def test_directory_down_and_back(c):
    reconfigure(c, [ldaps(c)])
    login(c, "anna", "anna-pw").close()
    c.ldap.stop()
    assert_fails(c, "anna", "anna-pw", "temporary-auth-failure")
    assert_fails(c, "anna", "wrong", "temporary-auth-failure")
    assert c.s.proc.poll() is None
    mark = c.s.mark()
    c.ldap.start()
    # Back as soon as the directory is: at once, or when ldapauthd's
    # background retry has reconnected.  No restart of xmppd.
    out = auth(c, "anna", "anna-pw")
    if "<success" not in out:
        assert "temporary-auth-failure" in out, out
        c.s.wait_log(r'ldap "dir": connected to', after=mark)
        out = auth(c, "anna", "anna-pw")
    assert "<success" in out, out
    assert [p for p in c.s.processes() if p["name"] == "ldapauthd" and
            p["restarts"] == 0], c.s.processes()


def test_hung_server_fails_over(c):
    # A server that accepts and then says nothing: the TLS handshake
    # times out ("timeout 3s") and the next server answers; meanwhile
    # everything else goes on.
    import socket
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)
    try:
        other = login(c, "bob", "bob-pw", "other")
        reconfigure(c, ['"ldaps://127.0.0.1:%d"' % hung.getsockname()[1],
                        ldaps(c)])
        import threading
        result = {}

        def slow():
            result["out"] = auth(c, "alice", "alice-pw")
        th = threading.Thread(target=slow)
        th.start()
        other.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/>"
                   "</iq>")
        other.expect(r"<iq[^>]*id='p1'")
        assert th.is_alive(), "the hung server answered?"
        th.join(TIMEOUT)
        assert "<success" in result.get("out", ""), result
        other.close()
    finally:
        hung.close()
        reconfigure(c, [ldaps(c)])


NS_ROSTER = "jabber:iq:roster"


def roster_of(r, tag="r0"):
    r.send("<iq type='get' id='%s'><query xmlns='%s'/></iq>" %
           (tag, NS_ROSTER))
    return r.expect(r"<iq[^>]*id='%s'[^>]*(/>|>.*?</iq>)" % tag).group(0)


def test_shared_roster_slixmpp(c):
    # A real client sees every other directory user, named, in the group,
    # subscription both; not itself.
    from xmppdtest import slix_login

    async def actions(x):
        await x.get_roster()
        return {str(j): (x.client_roster[j]["name"],
                         x.client_roster[j]["subscription"],
                         x.client_roster[j]["groups"])
                for j in x.client_roster}
    r = slix_login(c.s.ports["client"], "alice@example.org/slix",
                   "alice-pw", actions=actions)
    items = r["actions"]
    assert "alice@example.org" not in items, items
    assert items.get("bob@example.org") == \
        ("Bob Dylan", "both", ["Everyone"]), items
    assert items.get("anna@example.org") == \
        ("Anna Karenina", "both", ["Everyone"]), items


def test_shared_roster_presence_without_subscription(c):
    a = login(c, "alice", "alice-pw", "pa")
    roster_of(a)
    a.send("<presence/>")
    b = login(c, "bob", "bob-pw", "pb")
    roster_of(b)
    b.send("<presence><status>here</status></presence>")
    # Each gets the other's presence: no subscribe, no subscribed.
    a.expect(r"<presence[^>]*from='bob@example\.org/pb'")
    b.expect(r"<presence[^>]*from='alice@example\.org/pa'")
    b.close()
    a.expect(r"<presence[^>]*from='bob@example\.org/pb'[^>]*"
             r"type='unavailable'|<presence[^>]*type='unavailable'[^>]*"
             r"from='bob@example\.org/pb'")
    a.close()


def test_shared_roster_remove_refused(c):
    a = login(c, "alice", "alice-pw", "rm")
    a.send("<iq type='set' id='rm1'><query xmlns='%s'><item "
           "jid='bob@example.org' subscription='remove'/></query></iq>" %
           NS_ROSTER)
    out = a.expect(r"<iq[^>]*id='rm1'.*?</iq>").group(0)
    assert "type='error'" in out and "not-allowed" in out, out
    assert "bob@example.org" in roster_of(a)
    # A personal item beside the shared ones still works.
    a.send("<iq type='set' id='p1'><query xmlns='%s'><item "
           "jid='friend@elsewhere.example' name='Friend'/></query></iq>" %
           NS_ROSTER)
    a.expect(r"<iq[^>]*id='p1'[^>]*type='result'|"
             r"<iq[^>]*type='result'[^>]*id='p1'")
    out = roster_of(a, "r2")
    assert "friend@elsewhere.example" in out and "bob@example.org" in out
    a.close()


def test_directory_user_added_after_reload(c):
    a = login(c, "alice", "alice-pw", "add")
    assert "carol@example.org" not in roster_of(a)
    c.ldap.add_user("carol", "carol-pw", display_name="Carol King")
    c.s.ctl("reload")
    out = a.expect(r"<iq[^>]*type='set'.*?</iq>").group(0)
    assert "carol@example.org" in out and "Carol King" in out, out
    assert "carol@example.org" in roster_of(a, "r3")
    login(c, "carol", "carol-pw").close()
    c.ldap.delete_user("carol")
    c.s.ctl("reload")
    out = a.expect(r"<iq[^>]*type='set'.*?</iq>").group(0)
    assert "carol@example.org" in out and "remove" in out, out
    assert "carol@example.org" not in roster_of(a, "r4")
    assert_fails(c, "carol", "carol-pw")
    a.close()


def test_vcard_from_directory(c):
    from xmppdtest import slix_login

    async def actions(x):
        x.register_plugin("xep_0054")
        iq = await x["xep_0054"].get_vcard("alice@example.org",
                                            cached=False)
        return str(iq)
    r = slix_login(c.s.ports["client"], "bob@example.org/v", "bob-pw",
                   actions=actions)
    out = r["actions"]
    assert "<FN>Alice Liddell</FN>" in out, out
    assert "<USERID>alice@example.org</USERID>" in out, out
    assert "<TYPE>image/jpeg</TYPE>" in out, out
    binval = re.search(r"<BINVAL>([^<]*)</BINVAL>", out).group(1)
    assert base64.b64decode(binval) == PHOTO


def test_vcard_refusals(c):
    b = login(c, "bob", "bob-pw", "vr")
    b.send("<iq type='get' id='v1' to='ghost@example.org'>"
           "<vCard xmlns='vcard-temp'/></iq>")
    out = b.expect(r"<iq[^>]*id='v1'.*?</iq>").group(0)
    assert "type='error'" in out and "item-not-found" in out, out
    b.send("<iq type='set' id='v2'><vCard xmlns='vcard-temp'>"
           "<FN>Someone Else</FN></vCard></iq>")
    out = b.expect(r"<iq[^>]*id='v2'.*?</iq>").group(0)
    assert "type='error'" in out and "not-allowed" in out, out
    b.send("<iq type='get' id='v3'><vCard xmlns='vcard-temp'/></iq>")
    out = b.expect(r"<iq[^>]*id='v3'.*?</iq>").group(0)
    assert "<FN>Bob Dylan</FN>" in out, out
    b.close()


def test_message_to_unknown_user_bounced(c):
    a = login(c, "alice", "alice-pw", "m")
    a.send("<message to='nobody@example.org' id='m1' type='chat'>"
           "<body>hello?</body></message>")
    out = a.expect(r"<message[^>]*id='m1'.*?</message>").group(0)
    assert "type='error'" in out and "service-unavailable" in out, out
    a.send("<presence to='nobody@example.org' type='subscribe'/>")
    out = a.expect(r"<presence[^>]*>").group(0)
    assert "type='unsubscribed'" in out and \
        "from='nobody@example.org'" in out, out
    # A known user offline gets it stored.
    a.send("<message to='anna@example.org' id='m2' type='chat'>"
           "<body>for later</body></message>")
    a.close()
    # nobody appears in the directory later: nothing was kept for it.
    c.ldap.add_user("nobody", "nobody-pw")
    n = login(c, "nobody", "nobody-pw", "n")
    n.send("<presence/>")
    roster = roster_of(n)
    assert "alice@example.org" in roster or "<query" in roster
    assert n.quiet(0.5) or "hello?" not in n.buf
    assert "hello?" not in n.buf and "subscribe" not in n.buf, n.buf
    n.close()
    an = login(c, "anna", "anna-pw", "o")
    an.send("<presence/>")
    an.expect(r"<body>for later</body>")
    an.close()
    c.ldap.delete_user("nobody")


def test_show_ldap(c):
    out = c.s.ctl("show", "ldap").stdout
    assert re.search(r"^dir\s+ldaps://localhost:%d\s+yes\s+\d+\s+\d+\s+\d+"
                     % c.ldap.ldaps_port, out, re.M), out


def test_plain_ldap_refused_by_check(c):
    text = conf(c, ['"ldap://ldap.example.org"'])
    path = os.path.join(c.s.dir, "plain.conf")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    p = subprocess.run([XMPPD, "-n", "-f", path], capture_output=True,
                       text=True)
    assert p.returncode != 0 and "must be encrypted" in p.stderr, p.stderr
    with open(path, "w") as f:
        f.write(conf(c, ['"ldap://127.0.0.1:%d"' % c.ldap.ldap_port]))
    p = subprocess.run([XMPPD, "-n", "-f", path], capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr


def test_user_throttled_after_failures(c):
    # Per user name as well as per address: guessing one user's password
    # from many addresses stops too, and other users go on.
    text = conf(c, [ldaps(c)]).replace("auth failures 1000 per 60s",
                                       "auth failures 3 per 60s")
    c.s.write_conf(raw=text)
    c.s.ctl("reload")
    for i in range(3):
        assert_fails(c, "anna", "guess", source="127.0.0.%d" % (10 + i))
    assert_fails(c, "anna", "anna-pw", "temporary-auth-failure",
                 source="127.0.0.20")
    assert "<success" in auth(c, "bob", "bob-pw", source="127.0.0.20")
    # The line names the account, and says it is a throttle, not a
    # directory that failed.
    c.s.wait_log(r"authentication throttled for anna@example\.org from "
                 r"127\.0\.0\.20$")
    assert not c.s.log_has(r"authentication unavailable from 127\.0\.0\.20 "
                           r"for anna@example\.org"), c.s.log_tail()
    # And per address: 127.0.0.10 is through, for every user.
    for i in range(2):
        assert_fails(c, "bob", "guess", source="127.0.0.10")
    assert_fails(c, "bob", "bob-pw", "temporary-auth-failure",
                 source="127.0.0.10")
    c.s.wait_log(r"authentication throttled from 127\.0\.0\.10 on "
                       r"example\.org")
