"""xmppctl check [DOMAIN]: each domain's certificates (chain, names of
the domain and of its muc services, dates, key), its DNS records against
the listeners (through the resolver process, asking Debian's unbound on
loopback, never the network) and settings an admin should look at.
One line a finding; exit status 0 when all is well, 2 on warnings only,
1 on any error."""

import datetime
import os
import re
import socket
import struct

import testca
from unbound import Unbound
from xmppdtest import Server, USER, free_port, TIMEOUT

MSG_H = os.path.join(os.path.dirname(__file__), "..", "..", "common",
                     "msg.h")
MSG_VERSION = 1
RESOLVE_BAD_NAME = 5

GOOD = ["example.org", "*.example.org"]


class Ctx:
    pass


def _in(days):
    t = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(days=days)
    return t.strftime("%Y%m%d%H%M%SZ")


def publish(dns, domain, ports, host=None):
    """The records of a domain whose listeners are all published."""
    host = host or "xmpp." + domain
    dns.srv("_xmpp-client._tcp." + domain, 0, 5, ports["client"], host)
    dns.srv("_xmpps-client._tcp." + domain, 0, 5, ports["client_tls"], host)
    dns.a(host, "127.0.0.1")


def zones(c):
    dns, p = c.dns, c.ports
    for d in ("example.org", "reg.example.org", "exp.example.org",
              "soon.example.org", "named.example.org", "keyed.example.org",
              "muc.example.org"):
        publish(dns, d, p)
    # nosrv: nothing at all.  wrongport: a port nobody listens on, and
    # direct TLS published on the STARTTLS port.
    dns.srv("_xmpp-client._tcp.wrongport.example.org", 0, 5, p["unused"],
            "xmpp.wrongport.example.org")
    dns.srv("_xmpps-client._tcp.wrongport.example.org", 0, 5, p["client"],
            "xmpp.wrongport.example.org")
    dns.a("xmpp.wrongport.example.org", "127.0.0.1")
    # notarget: the SRV target has no address.
    dns.srv("_xmpp-client._tcp.notarget.example.org", 0, 5, p["client"],
            "gone.notarget.example.org")
    dns.srv("_xmpps-client._tcp.notarget.example.org", 0, 5,
            p["client_tls"], "xmpp.notarget.example.org")
    dns.a("xmpp.notarget.example.org", "127.0.0.1")
    # dot: "no service" while a listener serves it.
    dns.srv("_xmpp-client._tcp.dot.example.org", 0, 0, 0, ".")
    dns.srv("_xmpps-client._tcp.dot.example.org", 0, 5, p["client_tls"],
            "xmpp.dot.example.org")
    dns.a("xmpp.dot.example.org", "127.0.0.1")
    # The federating server: fed's server SRV records point at the
    # multiplexer too; fedok's do not.
    f = c.fed.ports
    for d in ("fed.example.org", "fedok.example.org"):
        publish(dns, d, f)
        dns.srv("_xmpp-server._tcp." + d, 10, 5, f["server"], "xmpp." + d)
    dns.srv("_xmpp-server._tcp.fed.example.org", 0, 5, f["mux"],
            "xmpp.fed.example.org")
    dns.srv("_xmpps-server._tcp.fed.example.org", 0, 5, f["mux"],
            "xmpp.fed.example.org")


def conf(c):
    ca = c.ca
    p = c.ports
    kp = ""
    for name in ("good", "old", "soon", "wrong", "mismatch", "narrow"):
        crt, key = c.certs[name]
        kp += 'tls keypair "%s" {\n\tcertificate "%s"\n\tkey "%s"\n}\n' % (
            name, crt, key)
    doms = ('domain "example.org" {\n\tauth internal\n}\n'
            'domain "nosrv.example.org" {\n\tauth internal\n}\n'
            'domain "wrongport.example.org" {\n\tauth internal\n}\n'
            'domain "notarget.example.org" {\n\tauth internal\n}\n'
            'domain "dot.example.org" {\n\tauth internal\n}\n'
            'domain "reg.example.org" {\n\tauth internal\n'
            '\tregistration allow\n}\n'
            'domain "exp.example.org" {\n\ttls keypair "old"\n'
            '\tauth internal\n}\n'
            'domain "soon.example.org" {\n\ttls keypair "soon"\n'
            '\tauth internal\n}\n'
            'domain "named.example.org" {\n\ttls keypair "wrong"\n'
            '\tauth internal\n}\n'
            'domain "keyed.example.org" {\n\ttls keypair "mismatch"\n'
            '\tauth internal\n}\n'
            'domain "muc.example.org" {\n\ttls keypair "narrow"\n'
            '\tauth internal\n}\n'
            'muc "rooms.muc.example.org"\n')
    return ('user "%s"\nprefork 1\ndatadir "%s"\nsocket "%s"\n'
            'resolver "%s"\ntls ca "%s"\n%s%s'
            'listen on 127.0.0.1 port %d client\n'
            'listen on 127.0.0.1 port %d client tls\n'
            % (USER, c.s.datadir, c.s.sock, c.dns.resolver, ca.crt, kp,
               doms, p["client"], p["client_tls"]))


def setup():
    c = Ctx()
    c.ca = testca.TestCA()
    os.chmod(c.ca.dir, 0o755)
    c.certs = {
        "good": c.ca.issue("good", dns=GOOD),
        "old": c.ca.issue("old", dns=["exp.example.org"],
                          dates=("20200101000000Z", "20210101000000Z")),
        "soon": c.ca.issue("soon", dns=["soon.example.org"],
                           dates=(_in(-10), _in(5))),
        "wrong": c.ca.issue("wrong", dns=["elsewhere.test"]),
        "mismatch": c.ca.issue("mismatch", dns=["keyed.example.org"]),
        "narrow": c.ca.issue("narrow", dns=["muc.example.org"]),
    }
    c.other_key = c.ca.issue("other", dns=["keyed.example.org"])[1]
    c.dns = Unbound(zones=("example.org",))
    c.s = Server()
    c.ports = dict(c.s.ports, unused=free_port())
    c.fed = Server()
    c.fed.ports.update(server=free_port(), mux=free_port())
    zones(c)
    c.dns.start()
    c.s.write_conf(raw=conf(c))
    c.s.start()
    c.log_tail = c.s.log_tail
    return c


def teardown(c):
    c.fed.stop()
    c.s.stop()
    c.dns.close()
    c.ca.close()


def check(c, *args):
    p = c.s.ctl("check", *args, check=False)
    return p.returncode, p.stdout, p.stderr


def test_good_domain_exits_0_without_a_finding(c):
    rc, out, err = check(c, "example.org")
    assert (rc, out, err) == (0, "1 domain checked: all is well\n", ""), \
        (rc, out, err)


def test_missing_srv_records_are_warnings(c):
    rc, out, _ = check(c, "nosrv.example.org")
    assert rc == 2, out
    assert ('warning: nosrv.example.org: "listen on 127.0.0.1 port %d '
            'client" is not published: add "_xmpp-client._tcp.'
            'nosrv.example.org SRV 0 5 %d HOST"' % (
                c.ports["client"], c.ports["client"])) in out, out
    assert ('"listen on 127.0.0.1 port %d client tls" is not published'
            % c.ports["client_tls"]) in out, out
    assert "error" not in out, out


def test_srv_to_a_port_nothing_listens_on(c):
    rc, out, _ = check(c, "wrongport.example.org")
    assert rc == 1, out
    assert ("error: wrongport.example.org: SRV _xmpp-client._tcp."
            "wrongport.example.org points at port %d of "
            "xmpp.wrongport.example.org, where xmppd does not listen"
            % c.ports["unused"]) in out, out


def test_direct_tls_srv_to_a_starttls_port(c):
    _, out, _ = check(c, "wrongport.example.org")
    assert ("error: wrongport.example.org: SRV _xmpps-client._tcp."
            "wrongport.example.org points at port %d, a client listener, "
            "but its clients start with TLS (direct TLS)"
            % c.ports["client"]) in out, out


def test_srv_target_without_address(c):
    rc, out, _ = check(c, "notarget.example.org")
    assert rc == 1, out
    assert ("error: notarget.example.org: SRV _xmpp-client._tcp."
            "notarget.example.org names gone.notarget.example.org, which "
            "has no A or AAAA record: add one") in out, out
    assert len(out.splitlines()) == 1, out


def test_dot_target_while_a_listener_serves(c):
    rc, out, _ = check(c, "dot.example.org")
    assert rc == 1, out
    assert ('error: dot.example.org: SRV _xmpp-client._tcp.dot.example.org '
            'says the service is not offered (target "."), but "listen on '
            '127.0.0.1 port %d client" offers it' % c.ports["client"]) \
        in out, out


def test_open_registration_is_a_warning(c):
    rc, out, _ = check(c, "reg.example.org")
    assert rc == 2, out
    assert out.startswith("warning: reg.example.org: registration allow: "
                          "anyone who reaches a client listener may "
                          "create accounts"), out
    assert len(out.splitlines()) == 1, out


def test_expired_certificate(c):
    rc, out, _ = check(c, "exp.example.org")
    assert rc == 1, out
    assert ("error: exp.example.org: certificate %s expired on Jan  1 "
            "00:00:00 2021 GMT: renew it, then xmppctl reload"
            % c.certs["old"][0]) in out, out


def test_certificate_in_its_last_14_days(c):
    rc, out, _ = check(c, "soon.example.org")
    assert rc == 2, out
    assert ("warning: soon.example.org: certificate %s expires on "
            % c.certs["soon"][0]) in out, out
    assert "in under 14 days: renew it" in out, out


def test_certificate_file_gone(c):
    crt, _ = c.certs["soon"]
    os.rename(crt, crt + ".away")
    try:
        rc, out, _ = check(c, "soon.example.org")
        assert rc == 1, out
        assert out == ("error: soon.example.org: certificate %s: No such "
                       "file or directory: fix the path or the file\n"
                       % crt), out
    finally:
        os.rename(crt + ".away", crt)


def test_certificate_for_another_name(c):
    rc, out, _ = check(c, "named.example.org")
    assert rc == 1, out
    assert ('error: named.example.org: tls keypair "wrong" does not name '
            'named.example.org: use a certificate for it') in out, out


def test_muc_service_not_named(c):
    rc, out, _ = check(c, "muc.example.org")
    assert rc == 1, out
    assert ("error: muc.example.org: muc rooms.muc.example.org: no tls "
            "keypair has a certificate that names it") in out, out


def test_key_replaced_by_another(c):
    crt, key = c.certs["mismatch"]
    saved = open(key).read()
    try:
        with open(key, "w") as f:
            f.write(open(c.other_key).read())
        rc, out, _ = check(c, "keyed.example.org")
        assert rc == 1, out
        assert ("error: keyed.example.org: key %s does not match "
                "certificate %s" % (key, crt)) in out, out
    finally:
        with open(key, "w") as f:
            f.write(saved)
    assert check(c, "keyed.example.org")[0] == 0


def test_untrusted_certificate(c):
    # A certificate of another CA than "tls ca": swapped on disk.
    crt, _ = c.certs["good"]
    saved = open(crt).read()
    other = testca.TestCA()
    try:
        ocrt, okey = other.issue("good", dns=GOOD)
        key = c.certs["good"][1]
        savedkey = open(key).read()
        with open(crt, "w") as f:
            f.write(open(ocrt).read())
        with open(key, "w") as f:
            f.write(open(okey).read())
        rc, out, _ = check(c, "example.org")
        assert rc == 1, out
        assert ("error: example.org: certificate %s is not trusted ("
                % crt) in out, out
        with open(key, "w") as f:
            f.write(savedkey)
    finally:
        with open(crt, "w") as f:
            f.write(saved)
        other.close()


def test_every_domain_without_argument(c):
    rc, out, _ = check(c)
    assert rc == 1, out
    for d in ("nosrv", "wrongport", "reg", "exp", "named"):
        assert "%s.example.org: " % d in out, out
    assert not any(l.startswith(("note: example.org:", "warning: "
                                 "example.org:", "error: example.org:"))
                   for l in out.splitlines()), out


def fed_conf(c):
    crt, key = c.certs["good"]
    f = c.fed.ports
    return ('user "%s"\nprefork 1\ndatadir "%s"\nsocket "%s"\n'
            'resolver "%s"\ntls ca "%s"\n'
            'tls keypair "good" {\n\tcertificate "%s"\n\tkey "%s"\n}\n'
            'domain "fed.example.org" {\n\tauth internal\n}\n'
            'domain "fedok.example.org" {\n\tauth internal\n'
            '\tfederation require certificates\n}\n'
            'listen on 127.0.0.1 port %d client\n'
            'listen on 127.0.0.1 port %d client tls\n'
            'listen on 127.0.0.1 port %d server\n'
            'listen on 127.0.0.1 port %d tls multiplex\n'
            % (USER, c.fed.datadir, c.fed.sock, c.dns.resolver, c.ca.crt,
               crt, key, f["client"], f["client_tls"], f["server"],
               f["mux"]))


def test_federation_and_the_multiplexer(c):
    c.fed.write_conf(raw=fed_conf(c))
    c.fed.start()
    mux = c.fed.ports["mux"]
    p = c.fed.ctl("check", "fed.example.org", check=False)
    out = p.stdout
    assert p.returncode == 1, out
    assert ('warning: fed.example.org: federation without "federation '
            'require certificates": a peer may prove its name by '
            'dialback') in out, out
    assert ("error: fed.example.org: SRV _xmpp-server._tcp.fed.example.org "
            "points at port %d, the tls multiplex listener, which hands "
            "plaintext XMPP to client streams only" % mux) in out, out
    assert ("note: fed.example.org: SRV _xmpps-server._tcp.fed.example.org "
            "points at port %d, the tls multiplex listener: only servers "
            'that send ALPN "xmpp-server" (XEP-0368) reach XMPP there'
            % mux) in out, out
    assert len(out.splitlines()) == 3, out
    p = c.fed.ctl("check", "fedok.example.org", check=False)
    assert (p.returncode, p.stdout) == (
        0, "1 domain checked: all is well\n"), p.stdout


def test_dns_that_does_not_answer(c):
    """A resolver that never answers: one error, in bounded time."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    stub = "127.0.0.1@%d" % silent.getsockname()[1]
    good = open(c.s.conf).read()
    try:
        c.s.write_conf(raw=good.replace(c.dns.resolver, stub))
        m = c.s.mark()
        c.s.ctl("reload")
        c.s.wait_log(r"resolvers changed", after=m)
        rc, out, _ = check(c, "example.org")
        assert rc == 1, out
        assert out.startswith("error: example.org: DNS: SRV of "
                              "example.org: "), out
        assert "the other DNS checks are skipped" in out, out
        assert len(out.splitlines()) == 1, out
    finally:
        silent.close()
        c.s.write_conf(raw=good)
        m = c.s.mark()
        c.s.ctl("reload")
        c.s.wait_log(r"resolvers changed", after=m)
    assert check(c, "example.org")[0] == 0


def test_bad_arguments(c):
    rc, _, err = check(c, "nowhere.example.net")
    assert rc == 1 and "no such domain" in err, err
    rc, _, err = check(c, "a", "b")
    assert rc == 1, err
    rc, _, err = check(c, "x" * 300)
    assert rc == 1 and "too long" in err, err


def imsg_types():
    """enum imsg_type's values, by name, as msg.h numbers them."""
    text = re.sub(r"/\*.*?\*/", "", open(MSG_H).read(), flags=re.S)
    body = re.search(r"enum imsg_type \{(.*?)\};", text, re.S).group(1)
    names = [n.strip() for n in body.split(",") if n.strip()]
    return {n: i for i, n in enumerate(names)}


def raw_question(c, payload):
    """A question as a hostile xmppctl could send it: the answer's
    status and number of records."""
    t = imsg_types()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect(c.s.sock)
        s.sendall(struct.pack("=IIII", t["IMSG_CTL_DNS"], 16 + len(payload),
                              MSG_VERSION, 0) + payload)
        buf = b""
        while len(buf) < 16 + 8:
            chunk = s.recv(4096)
            assert chunk, "xmppd closed the control connection"
            buf += chunk
    finally:
        s.close()
    kind, length, _, _ = struct.unpack("=IIII", buf[:16])
    assert kind == t["IMSG_CTL_DNS_ANSWER"], (kind, buf)
    return struct.unpack("=iI", buf[16:24])


def question(name, service, rrtype):
    return struct.pack("=256sii", name, service, rrtype)


def test_bad_questions_answered_and_the_resolver_lives_on(c):
    pid = c.s.pid_of("resolver")
    for payload in (question(b"example.org", 99, 0),         # no service
                    question(b"_x.example.org", 0, 1),       # not a host
                    question(b"example.org", 0, 33),         # SRV of a host
                    question(b"example.org", 1, 1),          # A of a service
                    question(b"a" * 256, 0, 1),              # no NUL
                    question(b"a..example.org", 0, 1),       # empty label
                    b"\0\0\0\0"):                              # short
        assert raw_question(c, payload) == (RESOLVE_BAD_NAME, 0), payload
    assert c.s.pid_of("resolver") == pid
    assert raw_question(c, question(b"xmpp.example.org", 0, 1)) == (0, 1)
    assert check(c, "example.org")[0] == 0
