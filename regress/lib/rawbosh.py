"""A raw BOSH client (XEP-0124, XEP-0206) for protocol and bad-input
tests: HTTP/1.1 over its own sockets, each request sent as the test
writes it and its answer read when the test asks, so that requests can
be held by the server while the test does something else."""

import random
import re
import socket
import ssl
import time

from rawxmpp import tls_context
from webclient import scram_final, scram_first

HTTPBIND = "http://jabber.org/protocol/httpbind"
XBOSH = "urn:xmpp:xbosh"
BIND = "urn:ietf:params:xml:ns:xmpp-bind"
T = 10


class HTTP:
    """One keep-alive connection: requests out, answers in, in order."""

    def __init__(self, port, tls=True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=T)
        if tls:
            self.sock = tls_context().wrap_socket(
                self.sock, server_hostname="example.org")
        self.buf = b""
        self.eof = False

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def post(self, body, path="/http-bind", headers=()):
        if isinstance(body, str):
            body = body.encode()
        head = ["POST %s HTTP/1.1" % path, "Host: 127.0.0.1",
                "Content-Type: text/xml; charset=utf-8",
                "Content-Length: %d" % len(body)]
        head += list(headers)
        self.send_raw("\r\n".join(head).encode() + b"\r\n\r\n" + body)

    def _fill(self, deadline):
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            return False
        except (ConnectionResetError, ssl.SSLError, OSError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def response(self, timeout=T):
        """(status, headers, body) of the next answer; None at EOF or
        when nothing came within timeout."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                if self.eof or time.monotonic() >= deadline:
                    return None
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        while len(rest) < n:
            self.buf = head + b"\r\n\r\n" + rest
            if not self._fill(deadline):
                if self.eof or time.monotonic() >= deadline:
                    return None
            head, _, rest = self.buf.partition(b"\r\n\r\n")
        self.buf = rest[n:]
        return status, headers, rest[:n].decode()

    def closed(self, timeout=T):
        """True once the server closed this connection."""
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self._fill(deadline)
        return self.eof

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def body(payload="", **attrs):
    """A <body/> with attrs (xmpp_x for xmpp:x) around payload."""
    a = ["xmlns='%s'" % HTTPBIND]
    if any(k.startswith("xmpp_") for k in attrs):
        a.append("xmlns:xmpp='%s'" % XBOSH)
    for k, v in attrs.items():
        if v is not None:
            a.append("%s='%s'" % (k.replace("xmpp_", "xmpp:"), v))
    return "<body %s>%s</body>" % (" ".join(a), payload)


class Bosh:
    """A session: rids counted, requests over a few connections."""

    def __init__(self, port, tls=True):
        self.port = port
        self.tls = tls
        self.rid = random.randint(1 << 20, 1 << 40)
        self.sid = None
        self.conns = [HTTP(port, tls), HTTP(port, tls)]
        self.turn = 0

    def conn(self):
        """The connections are used in turn, as a held one is busy."""
        self.turn = (self.turn + 1) % len(self.conns)
        return self.conns[self.turn]

    def create(self, to="example.org", wait=5, hold=1, **extra):
        c = self.conns[0]
        self.rid += 1
        attrs = dict(rid=self.rid, to=to, wait=wait, hold=hold,
                     ver="1.6", xmpp_version="1.0")
        attrs["xml:lang"] = "en"
        attrs.update(extra)
        c.post(body(**attrs))
        r = c.response()
        assert r is not None and r[0] == 200, r
        m = re.search(r"sid='([^']+)'", r[2])
        self.sid = m.group(1) if m else None
        return r[2]

    def send(self, payload="", conn=None, rid=None, **attrs):
        """Send a request; returns (connection, rid) to read it with."""
        c = conn or self.conn()
        if rid is None:
            self.rid += 1
            rid = self.rid
        c.post(body(payload, rid=rid, sid=self.sid, **attrs))
        return c, rid

    def result(self, sent, timeout=T):
        r = sent[0].response(timeout)
        assert r is not None, "no answer to rid %d" % sent[1]
        assert r[0] == 200, r
        return r[2]

    def request(self, payload="", **attrs):
        return self.result(self.send(payload, **attrs))

    def until(self, pattern, payload=""):
        """Requests until an answer matches pattern (a held request
        comes back empty at its wait); the answers so far, joined."""
        got = ""
        deadline = time.monotonic() + 2 * T
        while time.monotonic() < deadline:
            got += self.request(payload)
            payload = ""
            if re.search(pattern, got, re.S):
                return got
        raise AssertionError("no %r in %r" % (pattern, got))

    def sasl(self, user, password):
        """A new session, authenticated by SCRAM, not yet restarted."""
        feats = self.create()
        if "SCRAM-SHA-256" not in feats:
            feats = self.until(r"SCRAM-SHA-256")
        first, nonce, msg = scram_first(user)
        ch = self.until(r"<challenge[^>]*>([^<]+)</challenge>", msg)
        final = scram_final(password, first, nonce, ch)
        self.until(r"<success ", final)

    def login(self, user, password, resource="bosh", bind=True):
        self.sasl(user, password)
        feats = self.request(xmpp_restart="true", to="example.org")
        if "<bind " not in feats:
            self.until(r"<bind ")
        if not bind:
            return None
        got = self.until(r"<jid>([^<]+)</jid>",
                         "<iq xmlns='jabber:client' type='set' id='b1'>"
                         "<bind xmlns='%s'><resource>%s</resource></bind>"
                         "</iq>" % (BIND, resource))
        return re.search(r"<jid>([^<]+)</jid>", got).group(1)

    def close(self):
        for c in self.conns:
            c.close()

