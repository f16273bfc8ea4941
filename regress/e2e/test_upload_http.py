"""uploadd's HTTP server, end to end: slots asked for over XMPP (slixmpp's
xep_0363 plugin and raw IQs), files put and fetched with curl and the
test certificate, and raw TLS sockets for every bad input: path
traversal in its encodings, forged or reused slots, bodies longer or
shorter than announced, slow and oversized headers, bad methods,
pipelined garbage, chunked bodies and smuggling, a full disk, a kill -9
during an upload.  After each, uploadd still serves the others."""

import asyncio
import hashlib
import html
import io
import os
import re
import signal
import socket
import ssl
import subprocess
import time
import urllib.parse

from rawxmpp import Raw
from xmppdtest import (Server, add_user, certs, free_port, proc_status,
                       TIMEOUT)

UP = "upload.example.org"
NS = "urn:xmpp:http:upload:0"
CA = certs()[0]


class Ctx:
    pass


def conf(c, cors=None, extra=""):
    body = ('limits {\n\thttp header timeout 2s\n\thttp idle timeout 5s\n'
            '\tconnections per address 8\n}\n'
            'upload "%s" {\n\tlisten on 127.0.0.1 port %d tls\n'
            '\tlisten on 127.0.0.1 port %d\n\turl "https://%s:%d"\n'
            '\tmax size 20M\n\tquota 200M\n' %
            (UP, c.port, c.plain, UP, c.port))
    if cors is not None:
        body += "".join("\tcors %s\n" % o for o in cors)
    body += "}\n" + extra
    c.s.write_conf(raw=c.s.base_conf() + body)


def setup():
    c = Ctx()
    c.s = Server(prefork=1)
    c.port = free_port()
    c.plain = free_port()
    conf(c)
    c.s.start()
    for u in ("alice", "bob"):
        add_user(c.s, "%s@example.org" % u, u + "-pw")
    c.up = os.path.join(c.s.datadir, "upload")
    c.xmpp = {}
    return c


def teardown(c):
    for r in c.xmpp.values():
        r.close()
    c.s.stop()


def log_tail(c):
    return c.s.log_tail(40)


# XMPP: slots as a client asks for them.

def xmpp(c, user):
    if user not in c.xmpp:
        r = Raw(c.s.ports["client"])
        r.login(user, user + "-pw", resource="up")
        c.xmpp[user] = r
    return c.xmpp[user]


_ids = [0]


def slot(c, user, name, size, ctype="application/octet-stream"):
    """(put URL, get URL) of a new slot for user."""
    r = xmpp(c, user)
    _ids[0] += 1
    i = "s%d" % _ids[0]
    r.send("<iq type='get' id='%s' to='%s'><request xmlns='%s' "
           "filename='%s' size='%d' content-type='%s'/></iq>" %
           (i, UP, NS, html.escape(name, quote=True), size,
            html.escape(ctype, quote=True)))
    m = r.expect(r"<iq[^>]*id='%s'.*?</iq>" % i)
    put = re.search(r"<put[^>]*url=['\"]([^'\"]*)['\"]", m.group(0))
    get = re.search(r"<get[^>]*url=['\"]([^'\"]*)['\"]", m.group(0))
    assert put and get, m.group(0)
    return html.unescape(put.group(1)), html.unescape(get.group(1))


def target(url):
    """The request target of a URL."""
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


# HTTP with curl, as web and XMPP clients do it.

def curl(c, url, *args, data=None, port=None):
    """(status, headers dict lowercased, body) of one curl request."""
    port = port or c.port
    cmd = ["curl", "-sS", "--http1.1", "--cacert", CA, "--resolve",
           "%s:%d:127.0.0.1" % (UP, port), "-D", "-", "--max-time", "20",
           "-o", "-"] + list(args) + [url]
    p = subprocess.run(cmd, input=data, capture_output=True,
                       timeout=TIMEOUT + 10)
    assert p.returncode == 0, (cmd, p.stderr)
    body = p.stdout
    while True:
        head, _, body = body.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        if status >= 200:
            break
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, body


def put(c, url, data, ctype="application/octet-stream", *args):
    return curl(c, url, "-X", "PUT", "-H", "Content-Type: " + ctype,
                "--data-binary", "@-", *args, data=data)


# HTTP over raw sockets, for what curl would never send.

class HttpRaw:
    def __init__(self, port, tls=True, sni=UP, source=None):
        s = socket.create_connection(
            ("127.0.0.1", port), timeout=10,
            source_address=(source, 0) if source else None)
        if tls:
            ctx = ssl.create_default_context(cafile=CA)
            s = ctx.wrap_socket(s, server_hostname=sni)
        self.sock = s
        self.buf = b""
        self.eof = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def _read(self, deadline):
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            d = self.sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            return
        except (ConnectionResetError, ssl.SSLError, OSError):
            d = b""
        if not d:
            self.eof = True
        self.buf += d

    def response(self, head=False, timeout=10):
        """(status, headers, body) of the next answer."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if self.eof or time.monotonic() > deadline:
                raise AssertionError("no answer: %r" % self.buf[:300])
            self._read(deadline)
        h, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = h.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = 0 if head or status in (204, 304) else \
            int(hdrs.get("content-length", "0"))
        while len(self.buf) < n:
            if self.eof or time.monotonic() > deadline:
                raise AssertionError("short body")
            self._read(deadline)
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, hdrs, body

    def closed(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self._read(deadline)
        if not self.eof:
            raise AssertionError("still open: %r" % self.buf[:300])
        return self.buf

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def raw_get(c, path, extra="", tls=True):
    h = HttpRaw(c.port if tls else c.plain, tls=tls)
    h.send("GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (path, UP, extra))
    r = h.response()
    h.close()
    return r


def uploaded(c, user="alice", name="ok.bin", size=1000):
    """A stored file: (get URL, bytes)."""
    data = os.urandom(size)
    p, g = slot(c, user, name, size)
    st, _, _ = put(c, p, data)
    assert st == 201, st
    return g, data


def still_serving(c):
    """Another client is served as usual."""
    if not hasattr(c, "witness"):
        c.witness = uploaded(c, "bob", "witness.bin", 5000)
    st, _, body = curl(c, c.witness[0])
    assert st == 200 and body == c.witness[1], st


def tmp_empty(c):
    left = os.listdir(os.path.join(c.up, "tmp"))
    assert left == [], left


# The tests.

def test_round_trip_with_slixmpp(c):
    """slixmpp's XEP-0363 plugin gets the slot; curl puts and gets."""
    from xmppdtest import slix_login
    data = os.urandom(300000) + "é\0\r\n".encode()
    name = "photo d'été #1.jpg"

    async def ask(cl):
        iq = await cl["xep_0363"].request_slot(UP, name, len(data),
                                                "image/jpeg")
        s = iq["http_upload_slot"]
        return s["put"]["url"], s["get"]["url"]

    r = slix_login(c.s.ports["client"], "alice@example.org/slix",
                   "alice-pw", actions=ask, plugins=("xep_0363",))
    purl, gurl = r["actions"]
    st, _, _ = put(c, purl, data, "image/jpeg")
    assert st == 201, st
    st, h, body = curl(c, gurl)
    assert st == 200 and body == data
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    assert h["content-length"] == str(len(data))
    assert h["content-type"] == "image/jpeg"
    assert h["x-content-type-options"] == "nosniff"
    assert h["content-security-policy"] == "default-src 'none'; sandbox"
    assert "content-disposition" not in h, h
    assert h["etag"] and h["last-modified"], h
    hr = HttpRaw(c.port)
    hr.send("HEAD %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target(gurl), UP))
    st, h2, body = hr.response(head=True)
    assert st == 200 and body == b"" and h2["etag"] == h["etag"]
    assert h2["content-length"] == str(len(data))
    # Nothing followed the headers: the next answer is the next request's.
    hr.send("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target(gurl), UP))
    st, _, body = hr.response()
    assert st == 200 and body == data
    hr.close()
    # The same over the plain listener (behind a local proxy).
    st, _, body = curl(c, gurl.replace("https://", "http://").replace(
        str(c.port), str(c.plain)), port=c.plain)
    assert st == 200 and body == data
    c.photo = (gurl, data, h["etag"], h["last-modified"])


def test_slixmpp_finds_the_service_and_uploads(c):
    """A client's whole path: the service found in the domain's
    disco#items, its max-file-size read from its disco#info (as
    slixmpp's find_upload_service() does; that one fails on this
    Python), then slixmpp's upload_file() asks for a slot and PUTs the
    file itself (aiohttp, verifying the certificate against the test
    CA); the GET URL it returns serves the same bytes.  A file over
    max-file-size is refused by the client from the limit announced."""
    import aiohttp.connector as ac
    from slixmpp.plugins.xep_0363.http_upload import FileTooBig
    from xmppdtest import slix_login
    data = os.urandom(200000)
    real_gai = socket.getaddrinfo
    real_ctx = ac.TCPConnector._get_ssl_context

    def gai(host, *a, **kw):
        return real_gai("127.0.0.1" if host == UP else host, *a, **kw)

    def ctx(self, req):
        return ssl.create_default_context(cafile=CA)

    async def find(cl):
        items = await cl["xep_0030"].get_items(jid="example.org")
        for jid, _, _ in items["disco_items"]["items"]:
            info = await cl["xep_0030"].get_info(jid=jid)
            if NS not in info["disco_info"]["features"]:
                continue
            for form in info["disco_info"].iterables:
                v = form["values"]
                if v.get("FORM_TYPE") == [NS]:
                    return info["from"], int(v["max-file-size"])
        raise AssertionError("no upload service in the domain's items")

    async def up(cl):
        svc, limit = await find(cl)
        assert str(svc) == UP and limit == 20 * 1024 * 1024, (svc, limit)
        cl["xep_0363"].upload_service = svc
        cl["xep_0363"].max_file_size = limit
        url = await cl["xep_0363"].upload_file(
            "notes.txt", input_file=io.BytesIO(data),
            content_type="text/plain")
        try:
            await cl["xep_0363"].upload_file(
                "big.bin", size=limit + 1, input_file=io.BytesIO(b""))
        except FileTooBig:
            return url, "too big"
        return url, "accepted"

    socket.getaddrinfo = gai
    ac.TCPConnector._get_ssl_context = ctx
    try:
        r = slix_login(c.s.ports["client"], "bob@example.org/slix",
                       "bob-pw", actions=up, plugins=("xep_0363",))
    finally:
        socket.getaddrinfo = real_gai
        ac.TCPConnector._get_ssl_context = real_ctx
    url, big = r["actions"]
    assert url.startswith("https://%s:%d/" % (UP, c.port)), url
    assert big == "too big", big
    st, h, body = curl(c, url)
    assert st == 200 and body == data
    assert h["content-type"] == "text/plain"


def test_types_a_browser_would_run_are_attachments(c):
    for ctype, inline in (("text/html", False), ("image/svg+xml", False),
                          ("application/javascript", False),
                          ("text/plain; charset=utf-8", True),
                          ("image/png", True), ("application/pdf", True),
                          ("application/xhtml+xml", False)):
        p, g = slot(c, "alice", "x", 3, ctype)
        st, _, _ = put(c, p, b"<a>", ctype)
        assert st == 201, (ctype, st)
        st, h, _ = curl(c, g)
        assert st == 200 and h["content-type"] == ctype
        assert ("content-disposition" in h) != inline, (ctype, h)
        if not inline:
            assert h["content-disposition"].startswith("attachment"), h


def test_conditional_requests_and_ranges(c):
    g, data, etag, lastmod = c.photo
    t = target(g)
    st, _, body = raw_get(c, t, "If-None-Match: %s\r\n" % etag)
    assert st == 304 and body == b""
    st, _, _ = raw_get(c, t, 'If-None-Match: "other", W/%s\r\n' % etag)
    assert st == 304
    st, _, body = raw_get(c, t, 'If-None-Match: "other"\r\n')
    assert st == 200 and body == data
    st, _, _ = raw_get(c, t, "If-Modified-Since: %s\r\n" % lastmod)
    assert st == 304
    st, _, body = raw_get(c, t, "If-Modified-Since: Sat, 01 Jan 2000 "
                          "00:00:00 GMT\r\n")
    assert st == 200 and body == data
    st, h, body = raw_get(c, t, "Range: bytes=10-19\r\n")
    assert st == 206 and body == data[10:20], st
    assert h["content-range"] == "bytes 10-19/%d" % len(data), h
    st, h, body = raw_get(c, t, "Range: bytes=-5\r\n")
    assert st == 206 and body == data[-5:]
    st, h, body = raw_get(c, t, "Range: bytes=%d-\r\n" % len(data))
    assert st == 416 and h["content-range"] == "bytes */%d" % len(data)
    st, _, body = raw_get(c, t, 'Range: bytes=0-1\r\nIf-Range: "old"\r\n')
    assert st == 200 and body == data
    st, _, body = raw_get(c, t, "Range: bytes=0-1\r\nIf-Range: %s\r\n" %
                          etag)
    assert st == 206 and body == data[:2]


def test_answers_without_a_body_leave_no_file_open(c):
    """HEAD, 304 and 416 read nothing of the file: a connection asking
    for them again and again holds one descriptor, its socket, where
    each answer used to leave the file open for good, so that one
    client could take every descriptor uploadd has."""
    g, data, etag, _ = c.photo
    t = target(g)
    pid = c.s.pid_of("uploadd")
    before = len(os.listdir("/proc/%d/fd" % pid))
    h = HttpRaw(c.port)
    for _ in range(10):
        h.send("HEAD %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (t, UP))
        st, hdrs, _ = h.response(head=True)
        assert st == 200 and hdrs["content-length"] == str(len(data)), st
        h.send("GET %s HTTP/1.1\r\nHost: %s\r\nIf-None-Match: %s\r\n"
               "\r\n" % (t, UP, etag))
        st, _, body = h.response()
        assert st == 304 and body == b"", st
        h.send("GET %s HTTP/1.1\r\nHost: %s\r\nRange: bytes=%d-\r\n"
               "\r\n" % (t, UP, len(data)))
        st, _, _ = h.response()
        assert st == 416, st
    held = len(os.listdir("/proc/%d/fd" % pid)) - before
    h.send("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (t, UP))
    st, _, body = h.response()
    h.close()
    assert st == 200 and body == data, st
    assert held <= 1, "%d descriptors held by one connection" % held
    still_serving(c)


def test_path_traversal_never_leaves_the_files(c):
    g, data = c.photo[0], c.photo[1]
    t = target(g)
    sl = t.split("/")[1]
    secret = open(os.path.join(c.up, "secret"), "rb").read()
    db = open(os.path.join(c.up, "upload.db"), "rb").read(16)
    paths = ["/", "/secret", "/upload.db", "/files/", "/tmp/",
             "/files/" + sl, "/../secret", "/%2e%2e/secret",
             "/%2e%2e%2fsecret", "/..%c0%afsecret", "/..%255c..%255csecret",
             "/..\\secret", "/%5c..%5csecret", "/" + sl + "/..%2f..%2fsecret",
             "/" + sl + "/%2e%2e%2fupload.db", "/" + sl + "/../secret",
             "/" + sl, "/" + sl + "/", "/" + sl + "/x%00",
             "/" + sl.upper() + "/" + t.split("/")[2],
             "/" + sl + "/" + t.split("/")[2] + "/..",
             "/%ef%bc%8e%ef%bc%8e%ef%bc%8fsecret",
             "/\u2025/secret".encode("utf-8").decode("latin-1"),
             "//etc/passwd", "/etc/passwd", "/./" + sl + "/x",
             "http://evil/" + sl, "*"]
    for p in paths:
        h = HttpRaw(c.port)
        h.send("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (p, UP))
        st, _, body = h.response()
        h.close()
        assert st in (400, 404), (p, st)
        assert secret not in body and db not in body, p
    # A NUL in the request line is refused by the parser.
    h = HttpRaw(c.port)
    h.send(b"GET /secret\0/x HTTP/1.1\r\nHost: x\r\n\r\n")
    assert h.closed().startswith(b"HTTP/1.1 400")
    still_serving(c)


def test_put_needs_the_exact_signed_slot(c):
    """A PUT URL is a bearer token: nothing signed can be changed."""
    data = os.urandom(2000)
    pa, ga = slot(c, "alice", "mine.bin", 2000)
    pb, gb = slot(c, "bob", "bobs.bin", 2000)
    sa = pa.split("?s=")[1]
    sb = pb.split("?s=")[1]
    flip = sa[:10] + ("0" if sa[10] != "0" else "1") + sa[11:]
    bad = [pa.split("?")[0],                       # no signature
           pa.split("?")[0] + "?s=" + flip,        # altered
           pa.split("?")[0] + "?s=" + sb,          # bob's on alice's slot
           pb.split("?")[0] + "?s=" + sa,          # alice's on bob's
           pa.replace("mine.bin", "other.bin"),    # another name
           pa + "&s=" + sa,
           pa.split("?")[0] + "?s=" + sa.upper()]
    for u in bad:
        st, _, _ = put(c, u, data)
        assert st in (403, 404), (u, st)
    # Size and type are the slot's, or nothing is stored.
    st, _, _ = put(c, pa, data + b"x")
    assert st == 413, st
    st, _, _ = put(c, pa, data[:-1])
    assert st == 400, st
    st, _, _ = put(c, pa, data, "text/html")
    assert st == 415, st
    st, _, _ = curl(c, ga)
    assert st == 404
    tmp_empty(c)
    # The real one works once, and only once.
    st, _, _ = put(c, pa, data)
    assert st == 201
    st, _, _ = put(c, pa, os.urandom(2000))
    assert st == 409, st
    st, _, body = curl(c, ga)
    assert st == 200 and body == data
    # A GET URL does not take a PUT, and a PUT URL is no GET.
    st, _, _ = put(c, ga, data)
    assert st == 403
    st, _, _ = put(c, pb, data)
    assert st == 201
    still_serving(c)


def test_a_body_cut_short_leaves_nothing(c):
    data = os.urandom(100000)
    p, g = slot(c, "alice", "cut.bin", len(data))
    h = HttpRaw(c.port)
    mark = c.s.mark()
    h.send("PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Type: "
           "application/octet-stream\r\nContent-Length: %d\r\n\r\n" %
           (target(p), UP, len(data)))
    h.send(data[:50000])
    c.s.wait_log(r"PUT %s" % p.split("/")[3], after=mark)
    h.close()
    c.s.wait_log(r"PUT %s cut after" % p.split("/")[3], after=mark)
    tmp_empty(c)
    assert not os.path.exists(os.path.join(c.up, "files", p.split("/")[3]))
    st, _, _ = curl(c, g)
    assert st == 404
    # The slot is still there for a complete upload.
    st, _, _ = put(c, p, data)
    assert st == 201
    st, _, body = curl(c, g)
    assert body == data


def test_bad_methods_and_garbage(c):
    g = c.photo[0]
    for req, want in (("DELETE %s HTTP/1.1\r\nHost: x\r\n\r\n" % target(g),
                       405),
                      ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 0"
                       "\r\n\r\n" % target(g), 405),
                      ("BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 0),
                      ("GET / HTTP/9.9\r\nHost: x\r\n\r\n", 0),
                      ("\x16\x03\x01garbage\r\n\r\n", 0),
                      ("GET\r\n\r\n", 0)):
        h = HttpRaw(c.port)
        h.send(req)
        out = h.closed()
        st = int(out.split()[1]) if out.startswith(b"HTTP/1.1 ") else 0
        assert (st == want) if want else (400 <= st < 600 or out == b""), \
            (req, out[:100])
        h.close()
    # A good request, then garbage: the first is answered, then 400.
    h = HttpRaw(c.port)
    h.send("GET %s HTTP/1.1\r\nHost: x\r\n\r\nGET /\x01\x02 junk\r\n\r\n" %
           target(g))
    st, _, body = h.response()
    assert st == 200 and body == c.photo[1]
    assert h.closed().startswith(b"HTTP/1.1 400"), h.buf[:100]
    still_serving(c)


def test_chunked_and_smuggling_are_refused(c):
    data = b"0123456789"
    p, g = slot(c, "alice", "smuggle.bin", len(data))
    t = target(p)
    head = ("PUT %s HTTP/1.1\r\nHost: x\r\nContent-Type: "
            "application/octet-stream\r\n" % t)
    smuggled = "GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % target(c.photo[0])
    cases = [
        "Transfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n",
        "Content-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\n" + smuggled,
        "Transfer-Encoding: chunked\r\nContent-Length: 10\r\n\r\n"
        "0\r\n\r\n" + smuggled,
        "Content-Length: 10\r\nContent-Length: 10\r\n\r\n0123456789",
        "Content-Length: 10\r\nContent-Length: 5\r\n\r\n0123456789",
        "Content-Length: 10, 10\r\n\r\n0123456789",
        "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
        "Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n",
        "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        "Content-Length: +10\r\n\r\n0123456789",
        "Content-Length: -1\r\n\r\n",
        "Content-Length: 99999999999999999999999\r\n\r\n",
        "Expect: something\r\nContent-Length: 10\r\n\r\n0123456789",
    ]
    for extra in cases:
        h = HttpRaw(c.port)
        h.send(head + extra)
        out = h.closed()
        assert re.match(rb"HTTP/1.1 4\d\d ", out), (extra, out[:200])
        # Nothing smuggled was answered.
        assert out.count(b"HTTP/1.1") == 1, (extra, out)
        h.close()
    st, _, _ = curl(c, g)
    assert st == 404
    tmp_empty(c)
    st, _, _ = put(c, p, data)
    assert st == 201
    still_serving(c)


def test_oversized_and_slow_headers_are_cut(c):
    h = HttpRaw(c.port)
    h.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n" % ("a" * 40000))
    assert h.closed().startswith(b"HTTP/1.1 431"), h.buf[:100]
    h.close()
    h = HttpRaw(c.port)
    h.send("GET / HTTP/1.1\r\n" + "X-Many: 1\r\n" * 200 + "\r\n")
    assert re.match(rb"HTTP/1.1 4(31|00)", h.closed()), h.buf[:100]
    h.close()
    # Slowloris: a header byte now and then, never a whole request.
    h = HttpRaw(c.port)
    h.send("GET / HTTP/1.1\r\nX-Slow: ")
    start = time.monotonic()
    while not h.eof and time.monotonic() - start < 10:
        try:
            h.send("a")
        except OSError:
            break
        h._read(time.monotonic() + 0.5)
    assert h.eof, "a slow client kept its connection"
    assert time.monotonic() - start < 6
    h.close()
    still_serving(c)


def test_connections_per_address_cannot_starve_others(c):
    # Plain TCP: counted from accept on, whatever is sent.
    conns = [socket.create_connection(("127.0.0.1", c.port), timeout=10)
             for _ in range(8)]
    mark = c.s.mark()
    s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
    c.s.wait_log(r"connection from 127.0.0.1 refused: too many from there",
                 after=mark)
    assert s.recv(100) == b""
    s.close()
    # Another address is served meanwhile.
    o = HttpRaw(c.port, source="127.0.0.2")
    o.send("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % target(c.photo[0]))
    st, _, body = o.response()
    assert st == 200 and body == c.photo[1]
    o.close()
    for x in conns:
        x.close()
    still_serving(c)


def test_memory_stays_flat_whatever_the_file_size(c):
    big = os.urandom(16 * 1024 * 1024)
    p, g = slot(c, "alice", "big.bin", len(big))
    st, _, _ = put(c, p, big)
    assert st == 201
    pid = c.s.pid_of("uploadd")
    before = int(proc_status(pid)["VmRSS"].split()[0])
    # Two clients ask for the file and read nothing.
    hs = []
    for _ in range(2):
        h = HttpRaw(c.port)
        h.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        h.send("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % target(g))
        hs.append(h)
    h = hs[0]
    h._read(time.monotonic() + 2)
    assert h.buf.startswith(b"HTTP/1.1 200")
    after = int(proc_status(pid)["VmRSS"].split()[0])
    assert after - before < 4096, (before, after)
    for x in hs:
        x.close()
    st, _, body = curl(c, g)
    assert body == big


def test_cors_and_preflight(c):
    g = c.photo[0]
    h = HttpRaw(c.port)
    h.send("OPTIONS %s HTTP/1.1\r\nHost: x\r\nOrigin: https://web.test\r\n"
           "Access-Control-Request-Method: PUT\r\n\r\n" % target(g))
    st, hd, _ = h.response()
    assert st in (200, 204), st
    assert hd["access-control-allow-origin"] == "*"
    assert "PUT" in hd["access-control-allow-methods"]
    assert "content-type" in hd["access-control-allow-headers"].lower()
    h.close()
    st, hd, _ = raw_get(c, target(g), "Origin: https://web.test\r\n")
    assert hd["access-control-allow-origin"] == "*"
    # Named origins only, after a reload; the listeners keep serving.
    conf(c, cors=['"https://web.example.org"'])
    mark = c.s.mark()
    c.s.ctl("reload")
    c.s.wait_log(r"uploadd.*configuration|reload", after=mark)
    st, hd, _ = raw_get(c, target(g), "Origin: https://web.test\r\n")
    assert st == 200 and "access-control-allow-origin" not in hd, hd
    st, hd, _ = raw_get(c, target(g),
                        "Origin: https://web.example.org\r\n")
    assert hd["access-control-allow-origin"] == "https://web.example.org"
    assert hd["vary"] == "Origin"
    conf(c, cors=["none"])
    mark = c.s.mark()
    c.s.ctl("reload")
    c.s.wait_log(r"uploadd.*configuration|reload", after=mark)
    st, hd, _ = raw_get(c, target(g),
                        "Origin: https://web.example.org\r\n")
    assert st == 200 and "access-control-allow-origin" not in hd
    conf(c)
    c.s.ctl("reload")


def test_tls_only_1_2_and_up(c):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(CA)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
    try:
        ctx.wrap_socket(s, server_hostname=UP)
        raise AssertionError("TLS 1.1 accepted")
    except (ssl.SSLError, OSError):
        pass
    s.close()
    # TLS on the plain listener is not spoken, nor HTTP on the TLS one.
    h = HttpRaw(c.port, tls=False)
    h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert not h.closed().startswith(b"HTTP/")
    h.close()


def test_kill_9_during_a_put(c):
    kept, kdata = uploaded(c, "alice", "kept.bin", 50000)
    data = os.urandom(200000)
    p, g = slot(c, "alice", "killed.bin", len(data))
    sl = p.split("/")[3]
    h = HttpRaw(c.port)
    mark = c.s.mark()
    h.send("PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Type: "
           "application/octet-stream\r\nContent-Length: %d\r\n\r\n" %
           (target(p), UP, len(data)))
    h.send(data[:100000])
    c.s.wait_log(r"PUT %s" % sl, after=mark)
    assert os.path.exists(os.path.join(c.up, "tmp", sl))
    pid = c.s.pid_of("uploadd")
    mark = c.s.mark()
    os.kill(pid, signal.SIGKILL)
    c.s.wait_log(r"removed the partial upload %s" % sl, after=mark)
    h.close()
    tmp_empty(c)
    st, _, body = curl(c, kept)
    assert st == 200 and body == kdata
    st, _, _ = curl(c, g)
    assert st == 404
    still_serving(c)


def test_full_disk_gives_507(c):
    """A real ENOSPC: uploadd's root is a small tmpfs."""
    d = Ctx()
    d.s = Server(prefork=1)
    d.port = free_port()
    d.plain = free_port()
    conf(d)
    d.up = os.path.join(d.s.datadir, "upload")
    os.makedirs(d.up)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700",
                    "tmpfs", d.up], check=True)
    d.xmpp = {}
    try:
        d.s.start()
        add_user(d.s, "alice@example.org", "alice-pw")
        data = os.urandom(3 * 1024 * 1024)
        p, g = slot(d, "alice", "huge.bin", len(data))
        mark = d.s.mark()
        st, _, _ = put(d, p, data)
        assert st == 507, st
        d.s.wait_log(r"write tmp/", after=mark)
        tmp_empty(d)
        # Space came back: the next upload fits.
        small, sdata = uploaded(d, "alice", "small.bin", 100000)
        st, _, body = curl(d, small)
        assert st == 200 and body == sdata
    finally:
        for r in d.xmpp.values():
            r.close()
        d.s.stop_keep()
        subprocess.run(["umount", d.up])
        d.s.stop()
