"""A raw XMPP client over sockets, for protocol-level and bad-input tests:
it sends exactly the bytes a test gives and reads what comes back."""

import asyncio
import base64
import re
import socket
import ssl
import time

HEADER = ("<?xml version='1.0'?><stream:stream to='%s' version='1.0' "
          "xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams'>")


def tls_context(alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


class Raw:
    def __init__(self, port, direct_tls=False, alpn=None, host="127.0.0.1",
                 sni="example.org", source=None):
        self.sock = socket.create_connection(
            (host, port), timeout=10,
            source_address=(source, 0) if source else None)
        self.buf = ""
        self.eof = False
        if direct_tls:
            self.sock = tls_context(alpn).wrap_socket(
                self.sock, server_hostname=sni)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _read(self, deadline):
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
        self.buf += data.decode("utf-8", "replace")
        return True

    def expect(self, pattern, timeout=10):
        """Read until pattern matches; consume through the match."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            if self.eof or time.monotonic() >= deadline:
                raise AssertionError("expected %r, got %r" %
                                     (pattern, self.buf[-2000:]))
            self._read(deadline)

    def closed(self, timeout=10):
        """Wait for the server to close; returns what it sent."""
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self._read(deadline)
        if not self.eof:
            raise AssertionError("connection still open: %r" %
                                 self.buf[-500:])
        return self.buf

    def quiet(self, timeout):
        """True when nothing arrives within timeout (used sparingly)."""
        start = len(self.buf)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.eof:
            self._read(deadline)
        return len(self.buf) == start

    def header(self, domain="example.org"):
        self.send(HEADER % domain)
        return self.expect(r"<stream:features>(.*?)</stream:features>")

    def starttls(self, domain="example.org"):
        self.header(domain)
        self.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        self.expect(r"<proceed[^>]*/>")
        self.sock = tls_context().wrap_socket(self.sock,
                                              server_hostname=domain)
        self.buf = ""

    def auth_plain(self, user, password, authzid=""):
        data = base64.b64encode(("%s\0%s\0%s" % (authzid, user, password))
                                .encode()).decode()
        self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                  "mechanism='PLAIN'>%s</auth>" % data)
        return self.expect(r"<(success|failure)[^>]*?(/>|>.*?</\1>)")

    def bind(self, resource=None):
        res = "<resource>%s</resource>" % resource if resource else ""
        self.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:"
                  "xml:ns:xmpp-bind'>%s</bind></iq>" % res)
        return self.expect(r"<iq[^>]*id='b1'.*?</iq>|<iq[^>]*id='b1'[^>]*/>")

    def login(self, user, password, resource=None, domain="example.org",
              tls=True):
        if tls:
            self.starttls(domain)
        self.header(domain)
        m = self.auth_plain(user, password)
        assert m.group(1) == "success", m.group(0)
        self.header(domain)
        m = self.bind(resource)
        jid = re.search(r"<jid>([^<]*)</jid>", m.group(0))
        assert jid, m.group(0)
        self.jid = jid.group(1)
        return self.jid

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def motd_at_login(port, user, password, resource, domain="example.org"):
    """The body of the message of the day a new session of user gets
    from domain at its first presence, or None when none comes before
    the answer to a ping."""
    import xml.etree.ElementTree as ET
    r = Raw(port)
    try:
        r.login(user, password, resource, domain=domain)
        r.send("<presence/><iq type='get' id='motd-ping'>"
               "<ping xmlns='urn:xmpp:ping'/></iq>")
        m = r.expect(r"(?s)^(.*?)<iq[^>]*id='motd-ping'")
        found = re.search(r"<message[^>]*type='headline'.*?</message>",
                          m.group(1), re.S)
        if found is None:
            return None
        msg = ET.fromstring(found.group(0))
        assert msg.get("from") == domain, found.group(0)
        return msg.findtext("body")
    finally:
        r.close()


def subscribe(fr, to, frname, toname):
    """Raw clients fr (of user frname) and to (of toname), both logged
    in: fr subscribes to to's presence, to approves, and fr hears of it
    by a roster push."""
    fr.send("<iq type='get' id='r-%s'><query xmlns='jabber:iq:roster'/>"
            "</iq>" % toname)
    fr.expect(r"<iq[^>]*id='r-%s'" % toname)
    fr.send("<presence to='%s@example.org' type='subscribe'/>" % toname)
    to.expect(r"<presence[^>]*type='subscribe'")
    to.send("<presence to='%s@example.org' type='subscribed'/>" % frname)
    fr.expect(r"<item[^>]*subscription='to'")


async def expect_async(reader, buf, pattern):
    """expect() for asyncio streams; buf is a one-item list."""
    rx = re.compile(pattern, re.S)
    while True:
        m = rx.search(buf[0])
        if m:
            buf[0] = buf[0][m.end():]
            return m
        data = await reader.read(65536)
        if not data:
            raise AssertionError("closed while waiting for %r: %r" %
                                 (pattern, buf[0][-500:]))
        buf[0] += data.decode()


async def login_async(port, user, password, resource=None,
                      domain="example.org"):
    """STARTTLS, PLAIN and bind over asyncio; returns (reader, writer,
    buf, jid)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    buf = [""]
    writer.write((HEADER % domain).encode())
    await expect_async(reader, buf, r"</stream:features>")
    writer.write(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    await expect_async(reader, buf, r"<proceed[^>]*/>")
    await writer.start_tls(tls_context(), server_hostname=domain)
    buf[0] = ""
    writer.write((HEADER % domain).encode())
    await expect_async(reader, buf, r"</stream:features>")
    plain = base64.b64encode(("\0%s\0%s" % (user, password)).encode())
    writer.write(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                  "mechanism='PLAIN'>%s</auth>" % plain.decode()).encode())
    await expect_async(reader, buf, r"<success")
    writer.write((HEADER % domain).encode())
    await expect_async(reader, buf, r"</stream:features>")
    res = "<resource>%s</resource>" % resource if resource else ""
    writer.write(("<iq type='set' id='b'><bind xmlns='urn:ietf:params:"
                  "xml:ns:xmpp-bind'>%s</bind></iq>" % res).encode())
    m = await expect_async(reader, buf, r"<jid>([^<]+)</jid>")
    return reader, writer, buf, m.group(1)
