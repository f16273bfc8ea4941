"""listen ... tls multiplex: one port for plaintext XMPP (STARTTLS),
direct TLS client and server streams (by ALPN) and the upload service
(by SNI), as the seed's admins check it with openssl s_client; and the
bad input a multiplexer sees: hellos split over many segments, cut
short, oversized, garbage, silence, and floods of half-open
connections.  After each, the port still serves the others."""

import os
import re
import socket
import ssl
import subprocess

import rawxmpp
from rawxmpp import Raw
from xmppdtest import (Server, add_user, certs, free_port, slix_login,
                       TIMEOUT)

D = "example.org"
UP = "upload." + D
NS_UP = "urn:xmpp:http:upload:0"
CA = certs()[0]
PER_ADDR = 8


class Ctx:
    def log_tail(self, n=40):
        return self.s.log_tail(n)


def setup():
    c = Ctx()
    c.s = Server(prefork=1)
    c.mux = free_port()
    c.upport = free_port()
    body = ('limits {\n\tmultiplex timeout 2s\n'
            '\tconnections per address %d\n}\n'
            'listen on 127.0.0.1 port %d tls multiplex\n'
            'upload "%s" {\n\tlisten on 127.0.0.1 port %d tls\n'
            '\turl "https://%s:%d"\n\tmax size 1M\n\tquota 10M\n}\n' %
            (PER_ADDR, c.mux, UP, c.upport, UP, c.mux))
    c.s.write_conf(raw=c.s.base_conf() + body)
    c.s.start()
    for u in ("alice", "bob"):
        add_user(c.s, "%s@example.org" % u, u + "-pw")
    return c


def teardown(c):
    c.s.stop()


def hello(sni="example.org", alpn=("xmpp-client",)):
    """An OpenSSL ClientHello and the objects to finish its handshake."""
    ctx = rawxmpp.tls_context(list(alpn) if alpn else None)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read(), obj, inc, out


def finish(sock, obj, inc, out):
    """Complete the handshake obj began over sock."""
    sock.settimeout(TIMEOUT)
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            if out.pending:
                sock.sendall(out.read())
            data = sock.recv(65536)
            assert data, "closed during the handshake"
            inc.write(data)
    if out.pending:
        sock.sendall(out.read())


def connect():
    s = socket.create_connection(("127.0.0.1", C_PORT[0]), timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


C_PORT = [0]


def closed_by_server(sock):
    """The server closed sock without sending a byte."""
    sock.settimeout(TIMEOUT)
    try:
        data = sock.recv(4096)
    except ConnectionResetError:
        data = b""
    assert data == b"", data
    sock.close()


def refused(c, send, why):
    """send's bytes on a fresh connection are closed with the log line
    why; the port still serves a client after."""
    C_PORT[0] = c.mux
    mark = c.s.mark()
    sock = connect()
    if send:
        sock.sendall(send)
    c.s.wait_log(r"multiplexed connection from 127\.0\.0\.1 closed: %s" %
                 why, after=mark)
    closed_by_server(sock)
    still_serves(c)


def still_serves(c):
    r = Raw(c.mux, direct_tls=True, alpn=["xmpp-client"])
    try:
        r.login("alice", "alice-pw", resource="check", tls=False)
    finally:
        r.close()


def openssl(c, *args):
    p = subprocess.run(["openssl", "s_client", "-connect",
                        "127.0.0.1:%d" % c.mux, "-xmpphost", "example.org"] +
                       list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=TIMEOUT)
    return p.stdout + p.stderr


def test_openssl_starttls(c):
    """The seed's first command: STARTTLS XMPP on the multiplexed port."""
    out = openssl(c, "-starttls", "xmpp")
    assert re.search(r"subject=.*example\.org", out), out
    assert "New, TLSv1.3" in out, out


def test_openssl_alpn_client(c):
    """The seed's second: direct TLS with ALPN xmpp-client, selected."""
    out = openssl(c, "-alpn", "xmpp-client")
    assert "ALPN protocol: xmpp-client" in out, out
    assert re.search(r"subject=.*example\.org", out), out


def test_openssl_alpn_server(c):
    out = openssl(c, "-alpn", "xmpp-server")
    assert "ALPN protocol: xmpp-server" in out, out


def test_slixmpp_both(c):
    """Real clients over the multiplexed port, STARTTLS and direct TLS."""
    r = slix_login(c.mux, "alice@example.org", "alice-pw")
    assert r["jid"].startswith("alice@example.org/"), r
    r = slix_login(c.mux, "bob@example.org", "bob-pw", direct_tls=True)
    assert r["jid"].startswith("bob@example.org/"), r


def test_message_between_both(c):
    """alice on STARTTLS, bob on direct TLS, both through the
    multiplexer: a message crosses, and the log has each one's real
    address."""
    a = Raw(c.mux)
    b = Raw(c.mux, direct_tls=True, alpn=["xmpp-client"])
    try:
        a.login("alice", "alice-pw", resource="m")
        b.login("bob", "bob-pw", resource="m", tls=False)
        b.send("<presence/>")
        a.send("<message to='bob@example.org/m' type='chat'>"
               "<body>over 443</body></message>")
        b.expect(r"<message[^>]*from='alice@example\.org/m'.*?"
                 r"<body>over 443</body>")
    finally:
        a.close()
        b.close()


def test_server_stream_by_alpn(c):
    """ALPN xmpp-server: a server stream (jabber:server) of direct TLS."""
    s = socket.create_connection(("127.0.0.1", c.mux), timeout=TIMEOUT)
    t = rawxmpp.tls_context(["xmpp-server"]).wrap_socket(
        s, server_hostname="example.org")
    try:
        assert t.selected_alpn_protocol() == "xmpp-server"
        t.sendall(b"<?xml version='1.0'?><stream:stream "
                  b"xmlns='jabber:server' xmlns:db='jabber:server:dialback' "
                  b"xmlns:stream='http://etherx.jabber.org/streams' "
                  b"version='1.0' from='r.test' to='example.org'>")
        buf = b""
        while b"</stream:features>" not in buf:
            d = t.recv(65536)
            assert d, buf
            buf += d
        assert re.search(rb"<stream:stream[^>]*xmlns='jabber:server'",
                         buf), buf
    finally:
        t.close()


def slot(c):
    r = Raw(c.mux, direct_tls=True, alpn=["xmpp-client"])
    try:
        r.login("alice", "alice-pw", resource="up", tls=False)
        r.send("<iq type='get' id='s1' to='%s'><request xmlns='%s' "
               "filename='f.txt' size='5' content-type='text/plain'/>"
               "</iq>" % (UP, NS_UP))
        m = r.expect(r"<iq[^>]*id='s1'.*?</iq>")
    finally:
        r.close()
    put = re.search(r"<put[^>]*url='([^']*)'", m.group(0))
    get = re.search(r"<get[^>]*url='([^']*)'", m.group(0))
    assert put and get, m.group(0)
    return put.group(1), get.group(1)


def curl(c, url, *args, data=None, name=UP):
    cmd = ["curl", "-sS", "--cacert", CA, "--resolve",
           "%s:%d:127.0.0.1" % (name, c.mux), "-o", "-", "-w",
           "\n%{http_code}", "--max-time", str(TIMEOUT)] + list(args) + [url]
    p = subprocess.run(cmd, input=data, capture_output=True,
                       timeout=TIMEOUT + 5)
    assert p.returncode == 0, (cmd, p.stderr)
    body, _, code = p.stdout.rpartition(b"\n")
    return int(code), body


def test_upload_through_mux(c):
    """PUT and GET by the upload service's name (SNI) on the multiplexed
    port: uploadd serves them, TLS and all, with the client's address."""
    put, get = slot(c)
    assert ":%d/" % c.mux in put, put
    mark = c.s.mark()
    code, _ = curl(c, put, "--http1.1", "-X", "PUT", "-H",
                   "Content-Type: text/plain", "--data-binary", "@-",
                   data=b"hello")
    assert code == 201, code
    c.s.wait_log(r"stream 0\[\d+\]: mux_to_upload: connection from "
                 r"127\.0\.0\.1 to upload %s" % re.escape(UP), after=mark)
    c.s.wait_log(r"uploadd\[\d+\]: connection from 127\.0\.0\.1 for %s" %
                 re.escape(UP), after=mark)
    code, body = curl(c, get)
    assert code == 200 and body == b"hello", (code, body)


def test_hello_in_tiny_segments(c):
    """A ClientHello sent a few bytes at a time, each waited for by the
    multiplexer, then finished: a client stream."""
    C_PORT[0] = c.mux
    data, obj, inc, out = hello()
    sock = connect()
    mark = c.s.mark()
    sent = 0
    for n in (1, 2, 3, 5, 8, 13, 21, 40):
        sock.sendall(data[sent:sent + n])
        sent += n
        c.s.wait_log(r"mux_wait: %d bytes from 127\.0\.0\.1 so far" % sent,
                     after=mark)
    sock.sendall(data[sent:])
    finish(sock, obj, inc, out)
    assert obj.selected_alpn_protocol() == "xmpp-client"
    obj.write((rawxmpp.HEADER % "example.org").encode())
    sock.sendall(out.read())
    buf = b""
    while b"<stream:features>" not in buf:
        d = sock.recv(65536)
        assert d, buf
        inc.write(d)
        try:
            buf += obj.read(65536)
        except ssl.SSLWantReadError:
            pass
    sock.close()


def test_hello_cut_short(c):
    """Half a hello, then the client's end closed: refused."""
    data = hello()[0]
    C_PORT[0] = c.mux
    mark = c.s.mark()
    sock = connect()
    sock.sendall(data[:len(data) // 2])
    c.s.wait_log(r"mux_wait: %d bytes" % (len(data) // 2), after=mark)
    sock.shutdown(socket.SHUT_WR)
    c.s.wait_log(r"closed: closed before it said what it is", after=mark)
    closed_by_server(sock)
    still_serves(c)


def test_hello_never_finished(c):
    """Half a hello, and nothing more: closed at the timeout."""
    data = hello()[0]
    C_PORT[0] = c.mux
    mark = c.s.mark()
    sock = connect()
    sock.sendall(data[:20])
    c.s.wait_log(r"closed: nothing to tell its service by in time",
                 after=mark)
    closed_by_server(sock)


def test_hello_oversized(c):
    """A record announced over 2^14 bytes."""
    refused(c, b"\x16\x03\x01\x40\x01" + b"\x01" * 64,
            "not a ClientHello it can read")


def test_hello_malformed(c):
    """A hello whose SNI runs past its extension."""
    data = bytearray(hello()[0])
    i = data.find(b"example.org")
    data[i - 2:i] = b"\x00\xff"
    refused(c, bytes(data), "not a ClientHello it can read")


def test_garbage(c):
    refused(c, b"GET / HTTP/1.0\r\n\r\n", "neither TLS nor XMPP")
    refused(c, b"<stream:strEAm>", "neither TLS nor XMPP")
    refused(c, b"\x00\x00\x00\x00", "neither TLS nor XMPP")


def test_only_unknown_alpn(c):
    """ALPN h2 alone: nothing here speaks it."""
    refused(c, hello(alpn=("h2",))[0],
            "no service for the protocols it offers")


def test_web_through_mux(c):
    """http/1.1 (curl offers h2 too) or no ALPN, for a name that is no
    upload service: the web transports of this stream process, whose
    host-meta names the WebSocket on the multiplexed port."""
    mark = c.s.mark()
    url = "https://%s:%d/.well-known/host-meta.json" % (D, c.mux)
    code, body = curl(c, url, name=D)
    assert code == 200, (code, body)
    assert ("wss://%s:%d/xmpp-websocket" % (D, c.mux)).encode() in body, \
        body
    assert not c.s.log_has(r"multiplexed connection from \S+ closed",
                           after=mark)
    code, _ = curl(c, url, "--http1.1", name=D)
    assert code == 200, code


def test_silent(c):
    """A connection that never sends: closed at the timeout."""
    refused(c, b"", "nothing to tell its service by in time")


def test_half_open_flood(c):
    """Connections that say nothing count against connections per
    address: the one past the limit is closed at once, the others wait
    for their timeout; then the port serves again."""
    C_PORT[0] = c.mux
    mark = c.s.mark()
    socks = [connect() for _ in range(PER_ADDR)]
    extra = connect()
    c.s.wait_log(r"connection from 127\.0\.0\.1 refused: too many from "
                 r"there", after=mark)
    closed_by_server(extra)
    for s in socks:
        s.close()
    for _ in range(PER_ADDR):
        m = c.s.wait_log(r"multiplexed connection from 127\.0\.0\.1 "
                         r"closed: closed before a byte", after=mark)
        mark = c.s.lines.index(m.string, mark) + 1
    still_serves(c)
