#
# Copyright (c) 2026 The xmppd developers
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

"""A raw server-to-server peer, for hostile-peer tests: it speaks the
few steps a server must (STARTTLS, a certificate from
regress/lib/testca.py, SASL EXTERNAL) and then sends exactly the bytes
a test gives, or reads what xmppd's links bring.

    out = S2SOut(port, "r.test", "a.test", crt, key).external()
    out.send("<presence from='x@r.test' to='alice@a.test'/>")
    out.expect(r"<invalid-from")            # Raw's expect and closed

    peer = S2SListener("r.test", crt, key)  # where r.test's SRV points
    peer.wait(r"<message[^>]*>.*?hello")    # what xmppd sent r.test
    peer.hold(); ...; peer.release()        # stop reading, then go on
    peer.send(conn, "</stream:stream>")     # on one of its connections
    peer.close()

S2SListener takes any server that asks for r.test: it offers SASL
EXTERNAL and says <success/> without looking at the certificate (a
test peer, not a server to copy)."""

import base64
import re
import socket
import ssl
import threading
import time

from rawxmpp import Raw

NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
HEADER = ("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
          "xmlns:db='jabber:server:dialback' "
          "xmlns:stream='http://etherx.jabber.org/streams' "
          "version='1.0' from='%s' to='%s'%s>")


class S2SOut(Raw):
    """A stream from domain to xmppd's server listener on port (for
    to), upgraded with STARTTLS, showing the certificate crt (key)."""

    def __init__(self, port, domain, to, crt, key, host="127.0.0.1"):
        super().__init__(port, host=host)
        self.domain, self.to = domain, to
        self.send(HEADER % (domain, to, ""))
        self.expect(r"<starttls[^>]*>")
        self.expect(r"</stream:features>")
        self.send("<starttls xmlns='%s'/>" % NS_TLS)
        self.expect(r"<proceed[^>]*/>")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.load_cert_chain(crt, key)
        self.sock = ctx.wrap_socket(self.sock, server_hostname=to)
        self.buf = ""
        self.features = self.restart()

    def restart(self):
        """A new stream header; returns what the features offer."""
        self.send(HEADER % (self.domain, self.to, ""))
        return self.expect(r"<stream:features>(.*?)</stream:features>|"
                           r"<stream:features/>").group(1) or ""

    def external(self):
        """SASL EXTERNAL for our domain (XEP-0178), then the new stream."""
        assert "EXTERNAL" in self.features, self.features
        self.send("<auth xmlns='%s' mechanism='EXTERNAL'>%s</auth>" %
                  (NS_SASL, base64.b64encode(self.domain.encode())
                   .decode()))
        self.expect(r"<success[^>]*/>")
        self.restart()
        return self


class _PeerConn:
    """One connection a server made to the listener."""

    def __init__(self, listener, sock):
        self.listener = listener
        self.sock = sock
        self.buf = ""
        self.data = ""          # what came after authentication
        self.closed = False
        self.parked = False     # held, and reading nothing

    def _read(self):
        try:
            d = self.sock.recv(65536)
        except (OSError, ssl.SSLError):
            d = b""
        if not d:
            raise EOFError
        return d.decode("utf-8", "replace")

    def _until(self, pattern):
        rx = re.compile(pattern, re.S)
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            self.buf += self._read()

    def _header(self, features):
        m = self._until(r"<stream:stream[^>]*>")
        frm = re.search(r"\sfrom=['\"]([^'\"]*)", m.group(0))
        self.sock.sendall((HEADER % (self.listener.domain,
                                     frm.group(1) if frm else "",
                                     " id='%s'" % self.listener.next_id()) +
                           "<stream:features>%s</stream:features>" %
                           features).encode())

    def run(self):
        try:
            self._header("<starttls xmlns='%s'><required/></starttls>" %
                         NS_TLS)
            self._until(r"<starttls[^>]*>")
            self.sock.sendall(("<proceed xmlns='%s'/>" % NS_TLS).encode())
            self.sock = self.listener.ctx.wrap_socket(self.sock,
                                                      server_side=True)
            self.buf = ""
            self._header("<mechanisms xmlns='%s'><mechanism>EXTERNAL"
                         "</mechanism></mechanisms>" % NS_SASL)
            self._until(r"<auth[^>]*(/>|>.*?</auth>)")
            self.sock.sendall(("<success xmlns='%s'/>" % NS_SASL).encode())
            self._header("")
            self.listener.got(self, self.buf)
            self.buf = ""
            while True:
                self.listener.wait_released(self)
                self.listener.got(self, self._read())
        except (EOFError, OSError, ssl.SSLError):
            pass
        finally:
            self.closed = True
            self.listener.got(self, "")
            try:
                self.sock.close()
            except OSError:
                pass


class S2SListener:
    """A server for domain on a loopback port (self.port) showing the
    certificate crt (key), which takes xmppd's outbound links; rcvbuf,
    when given, is the receive buffer of each connection, small for a
    test that fills it."""

    def __init__(self, domain, crt, key, rcvbuf=None):
        self.domain = domain
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(crt, key)
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.held = set()
        self.ids = 0
        self.cond = threading.Condition()
        threading.Thread(target=self._serve, daemon=True).start()

    def next_id(self):
        with self.cond:
            self.ids += 1
            return "r%d" % self.ids

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.settimeout(60)
            conn = _PeerConn(self, c)
            with self.cond:
                self.conns.append(conn)
            threading.Thread(target=conn.run, daemon=True).start()

    def got(self, conn, text):
        with self.cond:
            conn.data += text
            self.cond.notify_all()

    def wait_released(self, conn):
        with self.cond:
            conn.parked = conn in self.held
            self.cond.notify_all()
            self.cond.wait_for(lambda: conn not in self.held)
            conn.parked = False

    def wait_parked(self, conn, timeout=30):
        """Wait until conn, held, reads nothing more (it may have been
        in a read when hold() was called: something more must come)."""
        with self.cond:
            if not self.cond.wait_for(lambda: conn.parked, timeout):
                raise AssertionError("%s: a held connection still reads"
                                     % self.domain)

    def send(self, conn, text):
        """Bytes on conn, once it is parked or after authentication."""
        conn.sock.sendall(text.encode())

    def hold(self):
        """The connections open now stop reading (after the read under
        way, if one is); new ones read."""
        with self.cond:
            self.held = set(self.conns)

    def release(self):
        with self.cond:
            self.held = set()
            self.cond.notify_all()

    def received(self):
        """What every connection brought after authentication."""
        with self.cond:
            return "".join(c.data for c in self.conns)

    def wait(self, pattern, timeout=30, count=1):
        """Wait until pattern matches count times in what some
        connection brought; returns the last match."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                ms = [m for c in self.conns for m in rx.finditer(c.data)]
                if len(ms) >= count:
                    return ms[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "%s: %d of %d %r in %r" %
                        (self.domain, len(ms), count, pattern,
                         [c.data[-500:] for c in self.conns]))
                self.cond.wait(left)

    def wait_closed(self, conn, timeout=30):
        with self.cond:
            if not self.cond.wait_for(lambda: conn.closed, timeout):
                raise AssertionError("%s: a connection still open" %
                                     self.domain)

    def close(self):
        self.sock.close()
        with self.cond:
            conns = list(self.conns)
            self.held = set()
            self.cond.notify_all()
        for c in conns:
            try:
                c.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
