"""Federation between two xmppd (a.test and b.test) on loopback: names
from a test DNS server (unbound), certificates from a test CA.  Each
side's stream is authenticated (SASL EXTERNAL when the certificate is
good, dialback otherwise) before any stanza crosses; a peer that proves
nothing gets a stream error and delivers nothing."""

import re
import socket
import threading

from rawxmpp import Raw, tls_context
from testca import TestCA
from unbound import Unbound
from xmppdtest import USER, Server, add_user, free_port

DOMAINS = ("a.test", "b.test", "d.test")


def _conf(s, domain, crt, key, ns, ca, extra=""):
    return ('user "%s"\nprefork 2\ndatadir "%s"\nsocket "%s"\n'
            'resolver "%s"\ntls ca "%s"\n'
            'tls keypair "%s" {\n\tcertificate "%s"\n\tkey "%s"\n}\n'
            'domain "%s" {\n\tauth internal\n%s}\n'
            'listen on 127.0.0.1 port %d client\n'
            'listen on 127.0.0.1 port %d server\n'
            % (USER, s.datadir, s.sock, ns, ca, domain, crt, key, domain,
               extra, s.ports["client"], s.ports["server"]))


class NoTLSPeer:
    """A server that answers each stream with features offering no
    STARTTLS, then waits for the peer to give up; with starttls, one
    that offers it, says <proceed/>, then answers the handshake with
    junk."""

    def __init__(self, starttls=False):
        self.starttls = starttls
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.seen = []
        self.cond = threading.Condition()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(c,),
                             daemon=True).start()

    def _one(self, c):
        data = b""
        with c:
            c.settimeout(30)
            try:
                while b">" not in data:
                    data += c.recv(4096)
                c.sendall(b"<?xml version='1.0'?><stream:stream "
                          b"xmlns='jabber:server' xmlns:stream="
                          b"'http://etherx.jabber.org/streams' "
                          b"version='1.0' id='x1'><stream:features>" +
                          (b"<starttls xmlns='urn:ietf:params:xml:ns:"
                           b"xmpp-tls'/>" if self.starttls else b"") +
                          b"</stream:features>")
                if self.starttls:
                    while b"<starttls" not in data:
                        data += c.recv(4096)
                    c.sendall(b"<proceed xmlns='urn:ietf:params:xml:ns:"
                              b"xmpp-tls'/>")
                    c.recv(4096)
                    c.sendall(b"HTTP/1.0 400 junk\r\n\r\n" * 8)
                while True:
                    d = c.recv(4096)
                    if not d:
                        break
                    data += d
            except OSError:
                pass
        with self.cond:
            self.seen.append(data.decode(errors="replace"))
            self.cond.notify_all()

    def wait_seen(self, text, timeout=10):
        """What the connections that ended sent, once one sent text."""
        with self.cond:
            self.cond.wait_for(lambda: text in "".join(self.seen),
                               timeout)
            return "".join(self.seen)

    def close(self):
        self.sock.close()


def setup():
    ca = TestCA()
    dns = Unbound()
    notls, badtls = NoTLSPeer(), NoTLSPeer(starttls=True)
    env = {"ca": ca, "dns": dns, "servers": {}, "notls": notls,
           "badtls": badtls}
    # e.test: a server that offers no TLS; f.test: one whose TLS fails.
    for d, peer in (("e.test", notls), ("f.test", badtls)):
        dns.a(d, "127.0.0.1")
        dns.srv("_xmpp-server._tcp." + d, 0, 0, peer.port, d)
    ports = {d: free_port() for d in DOMAINS}
    for d in DOMAINS:
        dns.srv("_xmpp-server._tcp." + d, 0, 0, ports[d], d)
        dns.a(d, "127.0.0.1")
    # c.test: a name without a server (nothing listens there).
    dns.a("c.test", "127.0.0.1")
    dns.srv("_xmpp-server._tcp.c.test", 0, 0, free_port(), "c.test")
    dns.start()
    for d in DOMAINS:
        s = Server()
        s.ports["server"] = ports[d]
        # a.test and d.test show a certificate for their name, b.test
        # one for another name.  Between a.test and d.test both sides
        # trust each other's certificate: SASL EXTERNAL both ways.
        # With b.test neither side can use it (a.test does not trust
        # b.test's server certificate, b.test shows no good client
        # certificate): dialback, which d.test refuses.
        crt, key = ca.domain("other.test", name="b-other") \
            if d == "b.test" else ca.domain(d)
        extra = "\tfederation require certificates\n" \
            if d == "d.test" else ""
        s.write_conf(raw=_conf(s, d, crt, key, dns.resolver, ca.crt,
                               extra))
        s.start()
        add_user(s, "alice@%s" % d, "alice-pw")
        env["servers"][d] = s
    return env


def teardown(env):
    for s in env["servers"].values():
        s.stop()
    env["dns"].stop()
    env["ca"].close()
    env["notls"].close()
    env["badtls"].close()


def _login(env, domain, resource):
    s = env["servers"][domain]
    r = Raw(s.ports["client"], sni=domain)
    r.login("alice", "alice-pw", resource=resource, domain=domain)
    r.send("<presence/>")
    return r


def _peer(env, domain, claim="evil.test"):
    """A raw server stream to domain's s2s port claiming to be claim,
    after STARTTLS."""
    s = env["servers"][domain]
    r = Raw(s.ports["server"], sni=domain)
    hdr = ("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
           "xmlns:db='jabber:server:dialback' xmlns:stream="
           "'http://etherx.jabber.org/streams' version='1.0' "
           "from='%s' to='%s'>")
    r.send(hdr % (claim, domain))
    r.expect(r"<starttls")
    r.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    r.expect(r"<proceed[^>]*/>")
    r.sock = tls_context().wrap_socket(r.sock, server_hostname=domain)
    r.buf = ""
    r.send(hdr % (claim, domain))
    r.expect(r"</stream:features>")
    return r


def test_plaintext_peer_refused(env):
    s = env["servers"]["a.test"]
    r = Raw(s.ports["server"])
    r.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
           "xmlns:stream='http://etherx.jabber.org/streams' "
           "version='1.0' from='b.test' to='a.test'>")
    r.expect(r"<starttls[^>]*><required/>")
    r.send("<message from='alice@b.test' to='alice@a.test'>"
           "<body>x</body></message>")
    r.expect(r"<policy-violation")
    r.closed()


def test_stanza_before_auth_refused(env):
    r = _peer(env, "a.test")
    r.send("<message from='alice@evil.test' to='alice@a.test'>"
           "<body>spoof</body></message>")
    r.expect(r"<not-authorized")
    r.closed()


def test_stream_from_our_domain(env):
    s = env["servers"]["a.test"]
    r = Raw(s.ports["server"])
    r.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
           "xmlns:stream='http://etherx.jabber.org/streams' "
           "version='1.0' from='a.test' to='a.test'>")
    r.expect(r"<invalid-from")
    r.closed()


def test_unresolvable_and_silent_bounce(env):
    a = _login(env, "a.test", "bnc")
    try:
        a.send("<message to='x@nowhere.test' id='n1'><body>x</body>"
               "</message>")
        a.expect(r"<message[^>]*type='error'[^>]*>.*?"
                 r"remote-server-not-found", timeout=30)
        a.send("<message to='x@c.test' id='n2'><body>x</body></message>")
        a.expect(r"<message[^>]*type='error'[^>]*>.*?"
                 r"remote-server-(timeout|not-found)", timeout=30)
    finally:
        a.close()


def _chat(fr, to_jid, body):
    fr.send("<message to='%s' type='chat'><body>%s</body></message>"
            % (to_jid, body))


def test_message_both_ways(env):
    a = _login(env, "a.test", "m")
    b = _login(env, "b.test", "m")
    try:
        _chat(a, "alice@b.test", "hello-from-a")
        b.expect(r"<message[^>]*from=['\"]alice@a\.test/m['\"][^>]*>"
                 r".*?hello-from-a", timeout=30)
        _chat(b, "alice@a.test", "hello-from-b")
        a.expect(r"<message[^>]*from=['\"]alice@b\.test/m['\"][^>]*>"
                 r".*?hello-from-b", timeout=30)
    finally:
        a.close()
        b.close()


def test_peer_without_tls(env):
    """A peer offering no STARTTLS is never sent a stanza in the clear:
    the stream ends with <policy-violation/>, the message bounces, and
    the stream process keeps serving."""
    a = _login(env, "a.test", "notls")
    try:
        a.send("<message to='x@e.test' id='e1'><body>secret</body>"
               "</message>")
        a.expect(r"<message[^>]*type='error'[^>]*>.*?"
                 r"remote-server-(timeout|not-found)", timeout=30)
        # The bounce may come before the peer has read the stream's end.
        seen = env["notls"].wait_seen("policy-violation")
        assert "policy-violation" in seen, seen
        assert "secret" not in seen, seen
        # Still serving: the same user sends again and is answered.
        a.send("<message to='x@e.test' id='e2'><body>x</body></message>")
        a.expect(r"<message[^>]*type='error' id='e2'", timeout=30)
    finally:
        a.close()


def test_peer_tls_fails(env):
    """The TLS handshake with the only server of f.test fails: the
    message bounces, and the stream process goes on serving."""
    a = _login(env, "a.test", "badtls")
    try:
        for i in range(2):
            a.send("<message to='x@f.test' id='f%d'><body>x</body>"
                   "</message>" % i)
            a.expect(r"<message[^>]*type='error' id='f%d'[^>]*>.*?"
                     r"remote-server-(timeout|not-found)" % i, timeout=30)
        for s in env["servers"].values():
            assert not s.log_has(r"exited|signal|restart"), s.log_tail()
    finally:
        a.close()


def test_iq_across(env):
    """An IQ get crosses to a user of the other server, who answers it;
    the result crosses back to the full JID that asked."""
    a = _login(env, "a.test", "iq")
    b = _login(env, "b.test", "iq")
    try:
        a.send("<iq type='get' id='v1' to='alice@b.test/iq'>"
               "<query xmlns='jabber:iq:version'/></iq>")
        b.expect(r"<iq[^>]*from='alice@a\.test/iq'[^>]*>"
                 r"<query xmlns='jabber:iq:version'/>", timeout=30)
        b.send("<iq type='result' id='v1' to='alice@a.test/iq'>"
               "<query xmlns='jabber:iq:version'><name>raw</name>"
               "<version>1</version></query></iq>")
        a.expect(r"<iq[^>]*type='result'[^>]*>.*?<name>raw</name>",
                 timeout=30)
    finally:
        a.close()
        b.close()


def test_spoofed_dialback_result(env):
    """A peer claims b.test with a key b.test never made: a.test asks
    b.test's authoritative server, which says invalid; the stream ends
    with <not-authorized/> and nothing from it is delivered."""
    victim = _login(env, "a.test", "spoof")
    r = _peer(env, "a.test", claim="b.test")
    try:
        r.send("<db:result from='b.test' to='a.test'>%s</db:result>"
               % ("ab" * 32))
        r.expect(r"<db:result[^>]*type='invalid'|"
                 r"<result[^>]*type='invalid'", timeout=30)
        r.expect(r"<not-authorized")
        try:
            r.send("<message from='alice@b.test/x' "
                   "to='alice@a.test/spoof'><body>spoofed</body></message>")
        except OSError:
            pass    # already closed
        r.closed()
        victim.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/>"
                    "</iq>")
        got = victim.expect(r"<iq[^>]*id='p1'").string
        assert "spoofed" not in got, got
        s = env["servers"]["a.test"]
        s.wait_log(r"dialback: b\.test for a\.test not verified")
    finally:
        victim.close()
        r.close()


def test_sasl_external(env):
    """a.test and d.test trust each other's certificate: each stream is
    authenticated by SASL EXTERNAL (XEP-0178), not dialback."""
    a = _login(env, "a.test", "ext")
    d = _login(env, "d.test", "ext")
    try:
        _chat(a, "alice@d.test", "ext-from-a")
        d.expect(r"from='alice@a\.test/ext'[^>]*>.*?ext-from-a", timeout=30)
        _chat(d, "alice@a.test", "ext-from-d")
        a.expect(r"from='alice@d\.test/ext'[^>]*>.*?ext-from-d", timeout=30)
        sa, sd = env["servers"]["a.test"], env["servers"]["d.test"]
        sa.wait_log(r"outbound connection \d+ to d\.test: "
                    r"authenticated by SASL EXTERNAL")
        sd.wait_log(r"inbound connection \d+ from \S+: a\.test "
                    r"authenticated by SASL EXTERNAL for d\.test")
        sd.wait_log(r"outbound connection \d+ to a\.test: "
                    r"authenticated by SASL EXTERNAL")
        sa.wait_log(r"inbound connection \d+ from \S+: d\.test "
                    r"authenticated by SASL EXTERNAL for a\.test")
    finally:
        a.close()
        d.close()


def test_require_certificates(env):
    """d.test requires certificates: b.test, whose certificate names
    another domain, is refused both ways, and the messages bounce
    instead of crossing by dialback."""
    b = _login(env, "b.test", "req")
    d = _login(env, "d.test", "req")
    try:
        b.send("<message to='alice@d.test' id='r1'><body>no-b</body>"
               "</message>")
        b.expect(r"<message[^>]*type='error' id='r1'[^>]*>.*?"
                 r"remote-server-(timeout|not-found)", timeout=30)
        d.send("<message to='alice@b.test' id='r2'><body>no-d</body>"
               "</message>")
        d.expect(r"<message[^>]*type='error' id='r2'[^>]*>.*?"
                 r"remote-server-(timeout|not-found)", timeout=30)
        sd = env["servers"]["d.test"]
        # Logged before the bounce is sent, read from the log a moment
        # after it may have come.
        sd.wait_log(r"stream error not-authorized: Certificates are "
                    r"required")
        sd.wait_log(r"outbound connection \d+ to b\.test: its "
                    r"certificate is not good")
        # The start-up warning: from the domain that takes dialback only.
        assert not sd.log_has(r"domain d\.test: federation accepts")
        assert env["servers"]["b.test"].log_has(
            r"domain b\.test: federation accepts dialback")
        for s in (b, d):
            s.send("<iq type='get' id='alive'><ping xmlns='urn:xmpp:ping'/>"
                   "</iq>")
            got = s.expect(r"<iq[^>]*id='alive'").string
            assert "no-b" not in got and "no-d" not in got, got
    finally:
        b.close()
        d.close()


def test_server_iq_across(env):
    """An IQ to the other server itself (version, disco#info) is
    answered by it, and the answer crosses back; one it does not serve
    gets its error back the same way."""
    a = _login(env, "a.test", "siq")
    try:
        a.send("<iq type='get' id='sv1' to='b.test'>"
               "<query xmlns='jabber:iq:version'/></iq>")
        a.expect(r"<iq[^>]*from='b\.test'[^>]*>.*?<name>", timeout=30)
        a.send("<iq type='get' id='sv2' to='b.test'>"
               "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        a.expect(r"<iq[^>]*id='sv2'[^>]*>.*?<identity[^>]*category="
                 r"'server'", timeout=30)
        a.send("<iq type='get' id='sv3' to='b.test'>"
               "<query xmlns='urn:example:nothing'/></iq>")
        a.expect(r"<iq[^>]*type='error'[^>]*id='sv3'|"
                 r"<iq[^>]*id='sv3'[^>]*type='error'", timeout=30)
    finally:
        a.close()


def test_blocked_remote_sender(env):
    """A user of b.test blocks alice@a.test: her message is not
    delivered, and she gets <service-unavailable/> back over s2s, as a
    local sender would (XEP-0191 section 3.3)."""
    a = _login(env, "a.test", "blk")
    b = _login(env, "b.test", "blk")
    try:
        b.send("<iq type='set' id='bl1'><block xmlns='urn:xmpp:blocking'>"
               "<item jid='alice@a.test'/></block></iq>")
        b.expect(r"<iq[^>]*id='bl1'")
        _chat(a, "alice@b.test", "blocked-body")
        a.expect(r"<message[^>]*type='error'[^>]*>.*?service-unavailable",
                 timeout=30)
        b.send("<iq type='set' id='bl2'><unblock xmlns='urn:xmpp:blocking'>"
               "<item jid='alice@a.test'/></unblock></iq>")
        b.expect(r"<iq[^>]*id='bl2'")
        _chat(a, "alice@b.test", "after-unblock")
        got = b.expect(r"after-unblock", timeout=30).string
        assert "blocked-body" not in got, got
    finally:
        a.close()
        b.close()


def test_show_streams(env):
    """xmppctl show streams lists each side's s2s streams with their
    direction, peer, local domain, authentication, TLS and counters."""
    a = _login(env, "a.test", "shw")
    d = _login(env, "d.test", "shw")
    try:
        _chat(a, "alice@d.test", "shown-a")
        d.expect(r"shown-a", timeout=30)
        _chat(d, "alice@a.test", "shown-d")
        a.expect(r"shown-d", timeout=30)
        out = env["servers"]["a.test"].ctl("show", "streams").stdout
        lines = out.splitlines()
        assert re.match(r"DIR\s+PEER\s+LOCAL\s+AUTH\s+STREAM\s+IN\s+OUT"
                        r"\s+SINCE\s+TLS", lines[0]), out
        rows = {(f[0], f[1]): f for f in (l.split() for l in lines[1:])}
        o, i = rows[("out", "d.test")], rows[("in", "d.test")]
        assert o[2] == "a.test" and o[3] == "sasl-external", out
        assert i[2] == "a.test" and i[3] == "sasl-external", out
        assert int(o[6]) >= 1 and int(i[5]) >= 1, out
        assert "TLSv1." in o[9] and "TLSv1." in i[9], out
        # b.test's certificate is for another name: dialback.
        _chat(a, "alice@b.test", "shown-b")
        env["servers"]["a.test"].wait_log(r"outbound connection \d+ to "
                                          r"b\.test: authenticated",
                                          timeout=30)
        out = env["servers"]["a.test"].ctl("show", "streams").stdout
        assert re.search(r"^out\s+b\.test\s+a\.test\s+dialback\s", out,
                         re.M), out
    finally:
        a.close()
        d.close()
