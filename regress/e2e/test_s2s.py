"""Federation between two xmppd (a.test and b.test) on loopback: names
from a test DNS server (unbound), certificates from a test CA.  Each
side's stream is authenticated (SASL EXTERNAL when the certificate is
good, dialback otherwise) before any stanza crosses; a peer that proves
nothing gets a stream error and delivers nothing."""

import re

from rawxmpp import Raw, tls_context
from testca import TestCA
from unbound import Unbound
from xmppdtest import USER, Server, add_user, free_port

DOMAINS = ("a.test", "b.test")


def _conf(s, domain, crt, key, ns, ca, extra=""):
    return ('user "%s"\nprefork 2\ndatadir "%s"\nsocket "%s"\n'
            'resolver "%s"\ntls ca "%s"\n'
            'tls keypair "%s" {\n\tcertificate "%s"\n\tkey "%s"\n}\n'
            'domain "%s" {\n\tauth internal\n%s}\n'
            'listen on 127.0.0.1 port %d client\n'
            'listen on 127.0.0.1 port %d server\n'
            % (USER, s.datadir, s.sock, ns, ca, domain, crt, key, domain,
               extra, s.ports["client"], s.ports["server"]))


def setup():
    ca = TestCA()
    dns = Unbound()
    env = {"ca": ca, "dns": dns, "servers": {}}
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
        # a.test shows a certificate for its name, b.test one for
        # another name: neither side can use SASL EXTERNAL with b.test
        # (a.test does not trust b.test's server certificate, and b.test
        # shows a.test no good client certificate), so both directions
        # are dialback.
        crt, key = ca.domain(d) if d == "a.test" else \
            ca.domain("other.test", name="b-other")
        s.write_conf(raw=_conf(s, d, crt, key, dns.resolver, ca.crt))
        s.start()
        add_user(s, "alice@%s" % d, "alice-pw")
        env["servers"][d] = s
    return env


def teardown(env):
    for s in env["servers"].values():
        s.stop()
    env["dns"].stop()
    env["ca"].close()


def _login(env, domain, resource):
    s = env["servers"][domain]
    r = Raw(s.ports["client"], sni=domain)
    r.login("alice", "alice-pw", resource=resource, domain=domain)
    r.send("<presence/>")
    return r


def _peer(env, domain):
    """A raw server stream to domain's s2s port, after STARTTLS."""
    s = env["servers"][domain]
    r = Raw(s.ports["server"], sni=domain)
    hdr = ("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
           "xmlns:db='jabber:server:dialback' xmlns:stream="
           "'http://etherx.jabber.org/streams' version='1.0' "
           "from='%s' to='%s'>")
    r.send(hdr % ("evil.test", domain))
    r.expect(r"<starttls")
    r.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    r.expect(r"<proceed[^>]*/>")
    r.sock = tls_context().wrap_socket(r.sock, server_hostname=domain)
    r.buf = ""
    r.send(hdr % ("evil.test", domain))
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
