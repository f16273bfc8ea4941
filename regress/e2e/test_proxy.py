"""listen ... proxy from: a listener behind sslh or haproxy takes a
PROXY protocol v2 header first, from the proxies it names only, and
serves the connection as coming from the client the header names (in
xmppctl show sessions and the per-address limit).  Bad headers, other
sources and silence are closed and logged; the listener still serves
others after each.  uploadd's own listeners take it the same way, and
log and count the header's client.  Headers are written by a raw socket
(no haproxy is installed here)."""

import re
import socket
import ssl
import struct

import rawxmpp
from rawxmpp import Raw
from xmppdtest import Server, add_user, free_port, TIMEOUT

SIG = b"\r\n\r\n\x00\r\nQUIT\n"
PER_ADDR = 3
UP = "upload.example.org"
NS_UP = "urn:xmpp:http:upload:0"


class Ctx:
    def log_tail(self, n=40):
        return self.s.log_tail(n)


def setup():
    c = Ctx()
    c.s = Server(prefork=1)
    c.p = free_port()
    c.other = free_port()
    c.mux = free_port()
    c.tls = free_port()
    c.up = free_port()
    c.up_other = free_port()
    body = ('limits {\n\tmultiplex timeout 2s\n'
            '\tconnections per address %d\n}\n'
            'listen on 127.0.0.1 port %d client proxy from 127.0.0.0/8\n'
            'listen on 127.0.0.1 port %d client proxy from 10.0.0.0/8 '
            '::1\n'
            'listen on 127.0.0.1 port %d tls multiplex proxy from '
            '127.0.0.1\n'
            'listen on 127.0.0.1 port %d client tls proxy from 127.0.0.1\n'
            'upload "%s" {\n'
            '\tlisten on 127.0.0.1 port %d tls proxy from 127.0.0.0/8\n'
            '\tlisten on 127.0.0.1 port %d tls proxy from 10.0.0.0/8\n'
            '\turl "https://%s:%d"\n\tmax size 1M\n\tquota 10M\n}\n'
            % (PER_ADDR, c.p, c.other, c.mux, c.tls, UP, c.up, c.up_other,
               UP, c.up))
    c.s.write_conf(raw=c.s.base_conf() + body)
    c.s.start()
    add_user(c.s, "alice@example.org", "alice-pw")
    return c


def teardown(c):
    c.s.stop()


def v2(src="192.0.2.7", sport=40001, cmd=0x21, fam=0x11, body=None):
    """A PROXY v2 header from src (IPv4 TCP unless told)."""
    if body is None:
        body = (socket.inet_aton(src) + socket.inet_aton("127.0.0.1") +
                struct.pack("!HH", sport, 5222))
    return SIG + bytes([cmd, fam]) + struct.pack("!H", len(body)) + body


def login(c, header, resource, split=False, port=None):
    r = Raw(port or c.p)
    if split:
        r.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(header)):
            r.sock.sendall(header[i:i + 1])
    else:
        r.sock.sendall(header)
    r.login("alice", "alice-pw", resource=resource)
    return r


def session_line(c, resource):
    out = c.s.ctl("show", "sessions").stdout
    for line in out.splitlines():
        if "alice@example.org/" + resource in line:
            return line
    raise AssertionError("no session %s in %r" % (resource, out))


def test_client_address_from_header(c):
    """The header's source is the session's address."""
    r = login(c, v2("192.0.2.7"), "behind")
    try:
        assert "192.0.2.7" in session_line(c, "behind")
    finally:
        r.close()


def test_ipv6_source(c):
    body = (socket.inet_pton(socket.AF_INET6, "2001:db8::5") +
            socket.inet_pton(socket.AF_INET6, "2001:db8::1") +
            struct.pack("!HH", 40002, 5222))
    r = login(c, v2(fam=0x21, body=body), "six")
    try:
        assert "2001:db8::5" in session_line(c, "six")
    finally:
        r.close()


def test_local_keeps_socket_address(c):
    """LOCAL (the proxy's own health check) keeps the socket's address,
    whatever addresses follow."""
    r = login(c, v2("192.0.2.9", cmd=0x20), "local")
    try:
        line = session_line(c, "local")
        assert "127.0.0.1" in line and "192.0.2.9" not in line, line
    finally:
        r.close()


def test_header_split_over_segments(c):
    r = login(c, v2("192.0.2.8"), "split", split=True)
    try:
        assert "192.0.2.8" in session_line(c, "split")
    finally:
        r.close()


def test_multiplex_behind_proxy(c):
    """The multiplexer looks at what follows the header: plaintext XMPP
    is a STARTTLS client stream, from the header's address."""
    r = login(c, v2("203.0.113.4"), "mux", port=c.mux)
    try:
        assert "203.0.113.4" in session_line(c, "mux")
    finally:
        r.close()


def test_direct_tls_behind_proxy(c):
    """On a tls listener the header comes before the ClientHello."""
    r = Raw(c.tls)
    r.sock.sendall(v2("203.0.113.5"))
    r.sock = rawxmpp.tls_context(["xmpp-client"]).wrap_socket(
        r.sock, server_hostname="example.org")
    try:
        r.login("alice", "alice-pw", resource="dtls", tls=False)
        assert "203.0.113.5" in session_line(c, "dtls")
    finally:
        r.close()


def closed(c, port, send, why, close_after=False, after=None):
    """send's bytes on a fresh connection to port are closed with the
    log line why; the listener still serves a proxied client after
    (after(c) checks it, a login on c.p unless told)."""
    mark = c.s.mark()
    r = Raw(port)
    if send:
        r.sock.sendall(send)
    if close_after:
        r.sock.shutdown(socket.SHUT_WR)
    c.s.wait_log(why, after=mark)
    assert r.closed(TIMEOUT) == "", r.buf
    r.close()
    if after is not None:
        after(c)
    else:
        login(c, v2("192.0.2.20"), "after").close()


def test_source_not_a_proxy(c):
    """127.0.0.1 is not among the other listener's proxies."""
    closed(c, c.other, v2(), r"connection from 127\.0\.0\.1 on 127\.0\.0\.1 "
           r"port %d closed: not a proxy it takes" % c.other)


def test_v1_text_header(c):
    closed(c, c.p, b"PROXY TCP4 192.0.2.7 127.0.0.1 40001 5222\r\n",
           r"proxy 127\.0\.0\.1 closed: not a PROXY v2 header it takes")


def test_no_header_xmpp_first(c):
    closed(c, c.p, b"<?xml version='1.0'?>",
           r"proxy 127\.0\.0\.1 closed: not a PROXY v2 header it takes")


def test_wrong_signature(c):
    closed(c, c.p, b"\r\n\r\n\x00\r\nQUIX\n\x21\x11\x00\x0c" + b"\0" * 12,
           r"proxy 127\.0\.0\.1 closed: not a PROXY v2 header it takes")


def test_length_past_limit(c):
    closed(c, c.p, SIG + b"\x21\x11\x10\x00",
           r"proxy 127\.0\.0\.1 closed: not a PROXY v2 header it takes")


def test_unknown_family(c):
    closed(c, c.p, v2(fam=0x41),
           r"proxy 127\.0\.0\.1 closed: not a PROXY v2 header it takes")


def test_unix_family(c):
    closed(c, c.p, v2(fam=0x31, body=b"\0" * 216),
           r"proxy 127\.0\.0\.1 closed: not a PROXY v2 header it takes")


def test_truncated_header(c):
    closed(c, c.p, v2()[:20],
           r"proxy 127\.0\.0\.1 closed: closed before its PROXY header "
           r"ended", close_after=True)


def test_no_header_in_time(c):
    closed(c, c.p, b"", r"proxy 127\.0\.0\.1 closed: no PROXY header in "
           r"time")


def test_per_address_limit_by_header(c):
    """connections per address counts the header's address: a fourth
    client from 198.51.100.1 is refused while others still get in."""
    held = [login(c, v2("198.51.100.1", sport=41000 + i), "held%d" % i)
            for i in range(PER_ADDR)]
    try:
        mark = c.s.mark()
        r = Raw(c.p)
        r.sock.sendall(v2("198.51.100.1", sport=41999))
        c.s.wait_log(r"connection from 198\.51\.100\.1 through proxy "
                     r"127\.0\.0\.1 refused: too many from there",
                     after=mark)
        assert r.closed(TIMEOUT) == "", r.buf
        r.close()
        login(c, v2("198.51.100.2"), "other").close()
    finally:
        for r in held:
            r.close()


# uploadd's listeners: the same header, read by uploadd.

def up_connect(c, header, port=None):
    """A TLS connection to uploadd's proxied listener, after header."""
    s = socket.create_connection(("127.0.0.1", port or c.up),
                                 timeout=TIMEOUT)
    s.sendall(header)
    return rawxmpp.tls_context(["http/1.1"]).wrap_socket(
        s, server_hostname=UP)


def up_request(c, header, method, path, body=b"", ctype=None):
    """One request over a fresh proxied connection: (status, body)."""
    t = up_connect(c, header)
    try:
        req = ("%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n"
               "Content-Length: %d\r\n" % (method, path, UP, c.up,
                                            len(body)))
        if ctype:
            req += "Content-Type: %s\r\n" % ctype
        t.sendall(req.encode() + b"\r\n" + body)
        data = b""
        while True:
            d = t.recv(65536)
            if not d:
                break
            data += d
    finally:
        t.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", head)
    assert m, data
    return int(m.group(1)), rest


def up_slot(c):
    """A slot for a 5-byte f.txt: the paths to PUT and GET it."""
    r = Raw(c.s.ports["client"])
    try:
        r.login("alice", "alice-pw", resource="up")
        r.send("<iq type='get' id='s1' to='%s'><request xmlns='%s' "
               "filename='f.txt' size='5' content-type='text/plain'/>"
               "</iq>" % (UP, NS_UP))
        m = r.expect(r"<iq[^>]*id='s1'.*?</iq>")
    finally:
        r.close()
    put = re.search(r"<put[^>]*url='https://[^/]*(/[^']*)'", m.group(0))
    get = re.search(r"<get[^>]*url='https://[^/]*(/[^']*)'", m.group(0))
    assert put and get, m.group(0)
    return put.group(1).replace("&amp;", "&"), get.group(1)


def up_serves(c, src="192.0.2.50"):
    """uploadd answers a proxied request from src, logged from src."""
    mark = c.s.mark()
    code, _ = up_request(c, v2(src), "GET", "/" + "0" * 32 + "/none")
    assert code == 404, code
    c.s.wait_log(r"uploadd\[\d+\]: %s GET: 404" % re.escape(src),
                 after=mark)


def test_upload_put_get_behind_proxy(c):
    """A PUT and a GET through uploadd's proxied listener: served, and
    uploadd's log names the header's client, not the proxy."""
    put, get = up_slot(c)
    mark = c.s.mark()
    code, _ = up_request(c, v2("192.0.2.40"), "PUT", put, b"hello",
                         "text/plain")
    assert code == 201, code
    c.s.wait_log(r"uploadd\[\d+\]: proxy_serve: connection from "
                 r"192\.0\.2\.40 through proxy 127\.0\.0\.1", after=mark)
    c.s.wait_log(r"uploadd\[\d+\]: connection from 192\.0\.2\.40 for %s"
                 % re.escape(UP), after=mark)
    code, body = up_request(c, v2("192.0.2.41", sport=40411), "GET", get)
    assert code == 200 and body == b"hello", (code, body)


def test_upload_refusal_logged_with_client(c):
    """A refused request is logged with the header's address."""
    up_serves(c, "192.0.2.42")


def test_upload_header_split_over_segments(c):
    s = socket.create_connection(("127.0.0.1", c.up), timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    mark = c.s.mark()
    h = v2("192.0.2.43")
    for i in range(len(h)):
        s.sendall(h[i:i + 1])
    t = rawxmpp.tls_context(["http/1.1"]).wrap_socket(s, server_hostname=UP)
    t.close()
    c.s.wait_log(r"uploadd\[\d+\]: connection from 192\.0\.2\.43 for",
                 after=mark)


def test_upload_source_not_a_proxy(c):
    """127.0.0.1 is not among the second upload listener's proxies."""
    closed(c, c.up_other, v2(),
           r"uploadd\[\d+\]: connection from 127\.0\.0\.1 on 127\.0\.0\.1 "
           r"port %d closed: not a proxy it takes" % c.up_other,
           after=up_serves)


def test_upload_v1_text_header(c):
    closed(c, c.up, b"PROXY TCP4 192.0.2.7 127.0.0.1 40001 443\r\n",
           r"uploadd\[\d+\]: connection from proxy 127\.0\.0\.1 closed: "
           r"not a PROXY v2 header it takes", after=up_serves)


def test_upload_hello_without_header(c):
    """A ClientHello where the header should be: closed, not served."""
    def hello_first(c):
        s = socket.create_connection(("127.0.0.1", c.up), timeout=TIMEOUT)
        try:
            rawxmpp.tls_context().wrap_socket(s, server_hostname=UP)
        except (ssl.SSLError, OSError):
            pass
        finally:
            s.close()
    mark = c.s.mark()
    hello_first(c)
    c.s.wait_log(r"uploadd\[\d+\]: connection from proxy 127\.0\.0\.1 "
                 r"closed: not a PROXY v2 header it takes", after=mark)
    up_serves(c)


def test_upload_length_past_limit(c):
    closed(c, c.up, SIG + b"\x21\x11\x10\x00",
           r"uploadd\[\d+\]: connection from proxy 127\.0\.0\.1 closed: "
           r"not a PROXY v2 header it takes", after=up_serves)


def test_upload_truncated_header(c):
    closed(c, c.up, v2()[:20],
           r"uploadd\[\d+\]: connection from proxy 127\.0\.0\.1 closed: "
           r"closed before its PROXY header ended", close_after=True,
           after=up_serves)


def test_upload_no_header_in_time(c):
    closed(c, c.up, b"", r"uploadd\[\d+\]: connection from proxy "
           r"127\.0\.0\.1 closed: no PROXY header in time", after=up_serves)


def test_upload_per_address_limit_by_header(c):
    """uploadd counts the header's address too: a fourth connection from
    198.51.100.7 is refused while another client still gets in."""
    held = [up_connect(c, v2("198.51.100.7", sport=42000 + i))
            for i in range(PER_ADDR)]
    try:
        mark = c.s.mark()
        r = Raw(c.up)
        r.sock.sendall(v2("198.51.100.7", sport=42999))
        c.s.wait_log(r"uploadd\[\d+\]: connection from 198\.51\.100\.7 "
                     r"through proxy 127\.0\.0\.1 refused: too many from "
                     r"there", after=mark)
        assert r.closed(TIMEOUT) == "", r.buf
        r.close()
        up_serves(c, "198.51.100.8")
    finally:
        for t in held:
            t.close()
