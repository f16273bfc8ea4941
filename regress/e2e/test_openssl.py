"""The seed's admins check each listener with openssl s_client: STARTTLS
on the client port (5222), direct TLS on 5223 (with and without ALPN
xmpp-client), STARTTLS on the server port (5269) and direct TLS with
ALPN xmpp-server on 5270.  Each command here is theirs, against the test
server's listeners on loopback ports; after the handshake the test opens
a stream through openssl and checks, from the features it prints, that
the stream reached the right service: a client stream offers SASL
mechanisms with passwords, a server stream dialback.  (The two commands
on 443 are in test_multiplex.py.)"""

import os
import re
import select
import subprocess
import time

from xmppdtest import Server, free_port, TIMEOUT

D = "example.org"
NS_STREAM = "http://etherx.jabber.org/streams"


class Ctx:
    def log_tail(self, n=40):
        return self.s.log_tail(n)


def setup():
    c = Ctx()
    c.s = Server(prefork=1)
    c.s.ports["server"] = free_port()
    c.s.ports["server_tls"] = free_port()
    c.s.write_conf(raw=c.s.base_conf() +
                   'listen on 127.0.0.1 port %d server\n'
                   'listen on 127.0.0.1 port %d server tls\n' %
                   (c.s.ports["server"], c.s.ports["server_tls"]))
    c.s.start()
    return c


def teardown(c):
    c.s.stop()


def header(ns):
    """The stream header the test types into openssl once TLS is up."""
    extra = (" xmlns:db='jabber:server:dialback' from='peer.test'"
             if ns == "jabber:server" else "")
    return ("<?xml version='1.0'?><stream:stream xmlns='%s' "
            "xmlns:stream='%s'%s to='%s' version='1.0'>\n" %
            (ns, NS_STREAM, extra, D)).encode()


def s_client(port, ns, *args):
    """openssl s_client -connect 127.0.0.1:port -xmpphost D args, with
    the stream header of ns sent once TLS is up: what it printed until
    the stream features after TLS ended (or it exited)."""
    p = subprocess.Popen(["openssl", "s_client", "-connect",
                          "127.0.0.1:%d" % port, "-xmpphost", D] +
                         list(args), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    try:
        p.stdin.write(header(ns))
        p.stdin.flush()
        deadline = time.monotonic() + TIMEOUT
        while not re.search(rb"SSL handshake has read.*</stream:features>",
                            out, re.S):
            left = deadline - time.monotonic()
            assert left > 0, "no stream features in time:\n%s" % (
                out.decode(errors="replace"))
            r, _, _ = select.select([p.stdout], [], [], left)
            if not r:
                continue
            d = os.read(p.stdout.fileno(), 65536)
            if not d:
                break
            out += d
    finally:
        p.kill()
        p.wait()
        p.stdin.close()
        p.stdout.close()
    return out.decode(errors="replace")


def after_tls(out):
    """What the server sent once TLS was up: openssl prints it after
    the session summary, whose last line is ---."""
    assert "SSL handshake has read" in out, out
    return out.rpartition("---\n")[2]


def tls_ok(out):
    assert re.search(r"subject=.*CN\s*=\s*example\.org", out), out
    assert re.search(r"New, TLSv1\.[23]", out), out
    assert "Verify return code" in out, out


def client_stream(out):
    """A client stream, after TLS: SASL with passwords, no STARTTLS."""
    s = after_tls(out)
    assert re.search(r"<stream:stream[^>]*xmlns='jabber:client'", s), out
    m = re.search(r"<stream:features>.*</stream:features>", s, re.S)
    assert m, out
    f = m.group(0)
    assert "urn:ietf:params:xml:ns:xmpp-sasl" in f, out
    assert "<mechanism>SCRAM-SHA-1</mechanism>" in f, out
    assert "<starttls" not in f, out


def server_stream(out):
    """A server stream, after TLS: dialback offered, no STARTTLS."""
    s = after_tls(out)
    assert re.search(r"<stream:stream[^>]*xmlns='jabber:server'", s), out
    m = re.search(r"<stream:features>.*</stream:features>", s, re.S)
    assert m, out
    f = m.group(0)
    assert "urn:xmpp:features:dialback" in f, out
    assert "<starttls" not in f, out
    assert "<mechanism>SCRAM-SHA-1</mechanism>" not in f, out


def test_client_starttls(c):
    """openssl s_client -connect H:5222 -starttls xmpp -xmpphost D"""
    out = s_client(c.s.ports["client"], "jabber:client", "-starttls", "xmpp")
    tls_ok(out)
    client_stream(out)


def test_client_direct_tls_alpn(c):
    """openssl s_client -connect H:5223 -alpn xmpp-client -xmpphost D"""
    out = s_client(c.s.ports["client_tls"], "jabber:client",
                   "-alpn", "xmpp-client")
    tls_ok(out)
    assert "ALPN protocol: xmpp-client" in out, out
    client_stream(out)


def test_client_direct_tls(c):
    """openssl s_client -connect H:5223 -xmpphost D: no ALPN, a client
    stream all the same."""
    out = s_client(c.s.ports["client_tls"], "jabber:client")
    tls_ok(out)
    assert "No ALPN negotiated" in out, out
    client_stream(out)


def test_server_starttls(c):
    """openssl s_client -connect H:5269 -starttls xmpp-server -xmpphost D"""
    out = s_client(c.s.ports["server"], "jabber:server",
                   "-starttls", "xmpp-server")
    tls_ok(out)
    server_stream(out)


def test_server_direct_tls_alpn(c):
    """openssl s_client -connect H:5270 -alpn xmpp-server -xmpphost D"""
    out = s_client(c.s.ports["server_tls"], "jabber:server",
                   "-alpn", "xmpp-server")
    tls_ok(out)
    assert "ALPN protocol: xmpp-server" in out, out
    server_stream(out)


def test_client_port_is_not_server(c):
    """The client port does not take a server's STARTTLS: openssl's
    xmpp-server header (jabber:server) on 5222 gets a stream error and
    no TLS."""
    mark = c.s.mark()
    out = s_client(c.s.ports["client"], "jabber:server",
                   "-starttls", "xmpp-server")
    assert "no peer certificate available" in out, out
    assert "New, (NONE)" in out, out
    c.s.wait_log(r"stream error invalid-namespace", after=mark)


def test_server_port_is_not_client(c):
    """Nor does the server port take a client's: jabber:client on 5269
    gets a stream error and no TLS."""
    mark = c.s.mark()
    out = s_client(c.s.ports["server"], "jabber:client", "-starttls", "xmpp")
    assert "no peer certificate available" in out, out
    assert "New, (NONE)" in out, out
    c.s.wait_log(r"stream error invalid-namespace", after=mark)
