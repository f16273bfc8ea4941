"""The resolver process: where xmppd would connect for a remote domain
(RFC 6120 section 3.2, XEP-0368), as `xmppctl resolve DOMAIN` shows it,
against Debian's unbound serving the test's zones on loopback, and
against DNS servers that never answer or answer garbage."""

import os
import signal
import socket
import struct
import sys
import tempfile
import threading
import time

from rawxmpp import Raw
from xmppdtest import Server, add_user, proc_status, free_port
from unbound import Unbound

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_boundaries import IMSG                            # noqa: E402

RESOLVE_TIMEOUT = 10    # the resolver's bound on one request, seconds


def zones(dns):
    # Both services: direct TLS at the better priority.
    dns.srv("_xmpps-server._tcp.both.test", 0, 5, 5270, "tls.both.test")
    dns.srv("_xmpp-server._tcp.both.test", 10, 5, 5269, "plain.both.test")
    dns.aaaa("tls.both.test", "::1")
    dns.a("tls.both.test", "127.0.0.1")
    dns.a("plain.both.test", "127.0.0.2")
    # The same, the other way round.
    dns.srv("_xmpp-server._tcp.mixed.test", 1, 0, 5269, "a.mixed.test")
    dns.srv("_xmpps-server._tcp.mixed.test", 2, 0, 5270, "b.mixed.test")
    dns.a("a.mixed.test", "127.0.0.3")
    dns.a("b.mixed.test", "127.0.0.4")
    # Weights within one priority.
    dns.srv("_xmpp-server._tcp.weights.test", 0, 90, 5269,
            "heavy.weights.test")
    dns.srv("_xmpp-server._tcp.weights.test", 0, 10, 5269,
            "light.weights.test")
    dns.a("heavy.weights.test", "127.0.0.5")
    dns.a("light.weights.test", "127.0.0.6")
    # No SRV record at all: the domain's addresses on 5269.
    dns.a("nosrv.test", "127.0.0.7")
    dns.aaaa("nosrv.test", "::1")
    # "." target: no service, and no fallback to the A record there.
    dns.srv("_xmpp-server._tcp.dot.test", 0, 0, 0, ".")
    dns.a("dot.test", "127.0.0.8")
    # "." for direct TLS only: STARTTLS it is (XEP-0368).
    dns.srv("_xmpps-server._tcp.dottls.test", 0, 0, 0, ".")
    dns.srv("_xmpp-server._tcp.dottls.test", 0, 0, 5269, "x.dottls.test")
    dns.a("x.dottls.test", "127.0.0.9")
    dns.a("dottls.test", "127.0.0.10")
    # SRV targets that have no address.
    dns.srv("_xmpp-server._tcp.noaddr.test", 0, 0, 5269, "ghost.noaddr.test")
    dns.a("noaddr.test", "127.0.0.11")
    # A target that is an alias.
    dns.srv("_xmpp-server._tcp.alias.test", 0, 0, 5269, "www.alias.test")
    dns.cname("www.alias.test", "host.alias.test")
    dns.a("host.alias.test", "127.0.0.12")
    # An internationalised domain, asked for by its A-label.
    dns.a("xn--bcher-kva.test", "127.0.0.13")
    # An answer too big for UDP: 200 records, priorities 0 to 199.
    for i in range(200):
        dns.srv("_xmpp-server._tcp.big.test", i, 0, 5269,
                "h%d.big.test" % i)
        dns.a("h%d.big.test" % i, "127.0.1.%d" % (i % 250 + 1))


class Ctx:
    pass


def setup():
    c = Ctx()
    c.dns = Unbound()
    zones(c.dns)
    c.dns.start()
    c.s = Server('resolver "%s"\n' % c.dns.resolver)
    c.s.start()
    c.log_tail = c.s.log_tail
    return c


def teardown(c):
    c.s.stop()
    c.dns.close()


def resolve(c, domain):
    """The candidates as (address, port, tls, target), or the error."""
    p = c.s.ctl("resolve", domain, check=False)
    if p.returncode != 0:
        return p.stderr.strip()
    out = []
    for line in p.stdout.splitlines()[1:]:
        f = line.split()
        out.append((f[0], int(f[1]), f[2], f[3]))
    return out


def test_srv_both_kinds_in_priority_order(c):
    assert resolve(c, "both.test") == [
        ("[::1]", 5270, "tls", "tls.both.test"),
        ("127.0.0.1", 5270, "tls", "tls.both.test"),
        ("127.0.0.2", 5269, "starttls", "plain.both.test")], \
        resolve(c, "both.test")
    assert resolve(c, "mixed.test") == [
        ("127.0.0.3", 5269, "starttls", "a.mixed.test"),
        ("127.0.0.4", 5270, "tls", "b.mixed.test")]


def test_weights_choose_in_proportion(c):
    heavy = 0
    for _ in range(100):
        r = resolve(c, "weights.test")
        assert len(r) == 2, r
        if r[0][3] == "heavy.weights.test":
            heavy += 1
    # Weight 90 against 10: first about 90 times in 100.
    assert 70 <= heavy <= 99, heavy


def test_no_srv_falls_back_to_the_domain_on_5269(c):
    assert resolve(c, "nosrv.test") == [
        ("[::1]", 5269, "starttls", "nosrv.test"),
        ("127.0.0.7", 5269, "starttls", "nosrv.test")]


def test_dot_target_means_no_service(c):
    assert "no XMPP server service" in resolve(c, "dot.test")


def test_dot_for_direct_tls_only_keeps_starttls(c):
    assert resolve(c, "dottls.test") == [
        ("127.0.0.9", 5269, "starttls", "x.dottls.test")]


def test_targets_without_addresses(c):
    assert "no XMPP server service" in resolve(c, "noaddr.test")


def test_target_behind_a_cname(c):
    assert resolve(c, "alias.test") == [
        ("127.0.0.12", 5269, "starttls", "www.alias.test")]


def test_nxdomain(c):
    assert "no such domain" in resolve(c, "nothere.test")


def test_idn_domain_asked_by_its_a_label(c):
    assert resolve(c, "b\u00fccher.test") == [
        ("127.0.0.13", 5269, "starttls", "xn--bcher-kva.test")]


def test_bad_names_refused_without_asking(c):
    m = c.s.mark()
    for name in ("bad..name", "a b.test", "x" * 64 + ".test", "[::1]",
                 "a_b.test", "a.test\x01"):
        assert "not a domain name" in resolve(c, name), name
    assert not c.s.log_has(r"resolver.*(sandbox|killed|exited)", after=m)


def test_answer_too_big_for_udp(c):
    pid = c.s.pid_of("resolver")
    r = resolve(c, "big.test")
    assert isinstance(r, list) and 1 <= len(r) <= 32, r
    # The lowest priorities, in order.
    assert [x[3] for x in r] == ["h%d.big.test" % i for i in range(len(r))]
    assert c.s.pid_of("resolver") == pid


class StubDNS:
    """A DNS server on loopback that never answers (silent) or answers
    each query with a malformed message, over UDP and TCP."""

    def __init__(self, mode):
        self.mode = mode
        self.port = free_port()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(16)
        self.queries = 0
        self.held = []
        self.threads = [threading.Thread(target=self._udp, daemon=True),
                        threading.Thread(target=self._tcp, daemon=True)]
        for t in self.threads:
            t.start()

    def garbage(self, q, n):
        qid = q[:2]
        if n % 3 == 0:
            # One answer announced, its rdlength far past the end.
            return (qid + b"\x81\x80\x00\x00\x00\x01\x00\x00\x00\x00" +
                    b"\xc0\x0c\x00\x21\x00\x01\x00\x00\x00\x3c\xff\xff" +
                    b"\x00")
        if n % 3 == 1:
            # A name whose compression pointer points at itself.
            return (qid + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" +
                    b"\xc0\x0c\xc0\x0c")
        return qid + os.urandom(64)

    def _udp(self):
        while True:
            try:
                q, peer = self.udp.recvfrom(4096)
            except OSError:
                return
            self.queries += 1
            if self.mode == "garbage" and len(q) >= 2:
                self.udp.sendto(self.garbage(q, self.queries), peer)

    def _tcp(self):
        while True:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            self.held.append(conn)
            if self.mode == "garbage":
                a = self.garbage(b"\0\0", self.queries)
                try:
                    conn.sendall(struct.pack("!H", len(a) + 1000) + a)
                except OSError:
                    pass

    @property
    def resolver(self):
        return "127.0.0.1@%d" % self.port

    def close(self):
        for s in [self.udp, self.tcp] + self.held:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def with_resolver(c, stub, fn):
    """Reload xmppd with stub as its only resolver, run fn, and go back."""
    good = open(c.s.conf).read()
    try:
        c.s.write_conf(raw=good.replace(c.dns.resolver, stub.resolver))
        m = c.s.mark()
        c.s.ctl("reload")
        c.s.wait_log(r"resolvers changed", after=m)
        return fn()
    finally:
        c.s.write_conf(raw=good)
        m = c.s.mark()
        c.s.ctl("reload")
        c.s.wait_log(r"resolvers changed", after=m)


def bounded_failure(c, stub, domain):
    pid = c.s.pid_of("resolver")
    m = c.s.mark()
    t0 = time.monotonic()
    r = with_resolver(c, stub, lambda: resolve(c, domain))
    elapsed = time.monotonic() - t0
    assert isinstance(r, str) and ("no answer from DNS in time" in r or
                                   "DNS server failure" in r), r
    assert elapsed < RESOLVE_TIMEOUT + 8, elapsed
    assert stub.queries > 0, "the stub was never asked"
    # The resolver kept running, in its sandbox, and answers again.
    assert c.s.pid_of("resolver") == pid
    assert not c.s.log_has(r"resolver.*(sandbox violation|killed|exited)",
                           after=m)
    assert resolve(c, "nosrv.test")[0][3] == "nosrv.test"
    return r


def test_silent_dns_server_fails_in_bounded_time(c):
    stub = StubDNS("silent")
    try:
        r = bounded_failure(c, stub, "silent.test")
        assert "no answer from DNS in time" in r, r
    finally:
        stub.close()


def test_malformed_answers_fail_and_resolver_survives(c):
    stub = StubDNS("garbage")
    try:
        bounded_failure(c, stub, "garbage.test")
    finally:
        stub.close()


def test_resolver_is_sandboxed_and_chrooted(c):
    pid = c.s.pid_of("resolver")
    st = proc_status(pid)
    assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1", st
    assert os.readlink("/proc/%d/root" % pid) == "/var/empty"
    assert c.s.log_has(r"resolver\[%d\]: sandbox: stdio dns" % pid)


def test_killed_resolver_is_restarted_alone(c):
    old = c.s.pid_of("resolver")
    others = {(p["name"], p["instance"]): p["pid"]
              for p in c.s.processes() if p["name"] != "resolver"}
    m = c.s.mark()
    os.kill(old, signal.SIGKILL)
    c.s.wait_log(r"restarting resolver 0", after=m)
    c.s.wait_log(r"router.*resolver 0 linked", after=m)
    procs = {(p["name"], p["instance"]): p["pid"] for p in c.s.processes()}
    assert procs[("resolver", 0)] not in (0, old)
    for k, pid in others.items():
        assert procs[k] == pid, k
    assert resolve(c, "mixed.test")[0][3] == "a.mixed.test"


def test_lying_resolver_is_restarted_alone(c):
    """A compromised resolver, played with the regress hook (a message
    to regress-imsg-TYPE-HEX.test makes it send the router those bytes,
    with the request's id): an answer that does not parse fails that
    resolution alone, and the sender hears so; a message of another
    type closes its link, and the resolver starts anew while the
    router, the store and the sessions run on."""
    add_user(c.s, "lia@example.org", "lia-pw")
    r = Raw(c.s.ports["client"])
    jid = r.login("lia", "lia-pw", "r")
    before = {(p["name"], p["instance"]): p["pid"]
              for p in c.s.processes()}
    m = c.s.mark()
    dom = "regress-imsg-%d-0102.test" % IMSG["IMSG_RESOLVE_S2S_RESULT"]
    r.send("<message to='x@%s' id='bad1'><body>x</body></message>" % dom)
    got = r.expect(r"<message[^>]*id='bad1'.*?</message>").group(0)
    assert "type='error'" in got and "remote-server-not-found" in got, got
    c.s.wait_log(r"%s: malformed answer from the resolver" % dom, after=m)
    assert c.s.pid_of("resolver") == before[("resolver", 0)]
    m = c.s.mark()
    dom = "regress-imsg-%d-00.test" % IMSG["IMSG_STANZA"]
    r.send("<message to='x@%s' id='bad2'><body>x</body></message>" % dom)
    c.s.wait_log(r"router\[\d+\]: unexpected imsg %d from resolver 0: link "
                 r"closed" % IMSG["IMSG_STANZA"], after=m)
    c.s.wait_log(r"resolver\[\d+\]: fatal in resolver: router link closed",
                 after=m)
    c.s.wait_log(r"router.*resolver 0 linked", after=m)
    now = {(p["name"], p["instance"]): p["pid"] for p in c.s.processes()}
    assert now[("resolver", 0)] != before[("resolver", 0)]
    for k in (("parent", 0), ("router", 0), ("store", 0)):
        assert now[k] == before[k], (k, now, before)
    # lia's session lives, and resolving works again.
    r.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
    assert "type='result'" in r.expect(r"<iq[^>]*id='p1'[^>]*>").group(0)
    assert resolve(c, "mixed.test")[0][3] == "a.mixed.test"
    r.close()


def test_default_resolvers_from_resolv_conf(c):
    """Without the keyword: the nameservers of resolv.conf, and the
    local host when it names none."""
    d = tempfile.mkdtemp(prefix="xmppd-resolv-")
    f = os.path.join(d, "resolv.conf")
    s = Server()
    try:
        with open(f, "w") as out:
            out.write("search test\nnameserver 192.0.2.53\n"
                      "nameserver ::1\noptions ndots:2\n")
        s.start(env={"XMPPD_REGRESS_RESOLV_CONF": f})
        s.wait_log(r"resolver\[\d+\]: forwarding to 192\.0\.2\.53 "
                   r"\(/etc/resolv\.conf\)")
        s.wait_log(r"resolver\[\d+\]: forwarding to ::1 ")
        with open(f, "w") as out:
            out.write("# none\n")
        m = s.mark()
        s.ctl("reload")
        s.wait_log(r"names no nameserver: resolving with 127\.0\.0\.1",
                   after=m)
        s.wait_log(r"resolver\[\d+\]: forwarding to 127\.0\.0\.1 ",
                   after=m)
    finally:
        s.stop()
        os.unlink(f)
        os.rmdir(d)
