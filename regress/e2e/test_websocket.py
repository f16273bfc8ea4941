"""XMPP over WebSocket (RFC 7395) on an `http tls` listener: a raw
WebSocket client (aiohttp) logs in with SCRAM, binds and chats with a
slixmpp user over TCP; bad input gets the protocol's answer and the
process keeps serving others."""

import asyncio
import base64
import hashlib
import os
import re
import ssl
from xml.etree import ElementTree

import aiohttp

from webclient import scram_final, scram_first, slix
from xmppdtest import Server, add_user, free_port, run_async

FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
OPEN = "<open xmlns='%s' to='example.org' version='1.0'/>" % FRAMING
CLOSE = "<close xmlns='%s'/>" % FRAMING
STREAMS = "http://etherx.jabber.org/streams"
T = 10


def setup():
    port = free_port()
    s = Server("listen on 127.0.0.1 port %d http tls\n" % port, prefork=1)
    s.ports["web"] = port
    s.start()
    for u in ("alice", "bob", "carol"):
        add_user(s, "%s@example.org" % u, u + "-pw")
    return s


def teardown(s):
    s.stop()


def tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class WS:
    """A raw WebSocket client: one text message per element."""

    def __init__(self, session, ws):
        self.session = session
        self.ws = ws

    @classmethod
    async def connect(cls, port, protocols=("xmpp",), headers=None,
                      autoping=True):
        session = aiohttp.ClientSession()
        try:
            ws = await session.ws_connect(
                "https://127.0.0.1:%d/xmpp-websocket" % port,
                protocols=protocols, ssl=tls(), headers=headers,
                autoping=autoping, timeout=T)
        except Exception:
            await session.close()
            raise
        return cls(session, ws)

    async def send(self, text):
        await self.ws.send_str(text)

    async def recv(self):
        m = await asyncio.wait_for(self.ws.receive(), T)
        return m

    async def expect(self, pattern):
        m = await self.recv()
        assert m.type == aiohttp.WSMsgType.TEXT, (m.type, m.data)
        assert re.search(pattern, m.data, re.S), (pattern, m.data)
        return m.data

    async def until(self, pattern, skip=r"^<presence "):
        """The next message matching pattern, past those matching skip."""
        while True:
            m = await self.recv()
            assert m.type == aiohttp.WSMsgType.TEXT, (m.type, m.data)
            if re.search(pattern, m.data, re.S):
                return m.data
            assert re.search(skip, m.data), (pattern, m.data)

    async def closed(self):
        """The server ends the connection: the close frame's code."""
        while True:
            m = await self.recv()
            if m.type == aiohttp.WSMsgType.CLOSE:
                return m.data
            if m.type in (aiohttp.WSMsgType.CLOSED,
                          aiohttp.WSMsgType.CLOSING,
                          aiohttp.WSMsgType.ERROR):
                return (m.type, m.data)
            assert m.type == aiohttp.WSMsgType.TEXT, (m.type, m.data)

    async def close(self):
        await self.ws.close()
        await self.session.close()

    async def login(self, user, password, resource="ws", bind=True):
        await self.send(OPEN)
        await self.expect(r"^<open xmlns='%s' from='example.org' id='[0-9a-f]+"
                          r"' version='1.0' xml:lang='en'/>$" % FRAMING)
        await self.expect(r"SCRAM-SHA-256")
        first, nonce, msg = scram_first(user)
        await self.send(msg)
        ch = await self.expect(r"<challenge[^>]*>([^<]+)</challenge>")
        await self.send(scram_final(password, first, nonce, ch))
        await self.expect(r"^<success ")
        await self.send(OPEN)
        await self.expect(r"^<open ")
        await self.expect(r"<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'")
        if not bind:
            return None
        await self.send("<iq xmlns='jabber:client' type='set' id='b1'>"
                        "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                        "<resource>%s</resource></bind></iq>" % resource)
        r = await self.expect(r"<jid>([^<]+)</jid>")
        return re.search(r"<jid>([^<]+)</jid>", r).group(1)


def test_login_and_chat(s):
    async def scenario():
        bob = await slix(s.ports["client"], "bob")
        ws = await WS.connect(s.ports["web"])
        assert ws.ws.protocol == "xmpp", ws.ws.protocol
        jid = await ws.login("alice", "alice-pw")
        assert jid == "alice@example.org/ws", jid
        rows = s.ctl("show", "sessions").stdout
        transport = {m.group(1): m.group(2) for m in re.finditer(
            r"^(\S+)\s+\d+\s+\S+\s+(\S+)\s+TLSv", rows, re.M)}
        assert transport == {"alice@example.org/ws": "websocket",
                             "bob@example.org/tcp": "tcp"}, rows
        await ws.send("<presence xmlns='jabber:client'/>")
        bob.send_message(mto=jid, mbody="to the web", mtype="chat")
        m = await ws.until(r"^<message ")
        assert "xmlns='jabber:client'" in m and "to the web" in m, m
        assert "from='bob@example.org/tcp'" in m, m
        await ws.send("<message xmlns='jabber:client' type='chat' "
                      "to='bob@example.org/tcp'><body>from the web</body>"
                      "</message>")
        got = await asyncio.wait_for(bob.inbox.get(), T)
        assert got["body"] == "from the web", got
        assert str(got["from"]) == jid, got["from"]
        await ws.send(CLOSE)
        await ws.expect(r"^<close xmlns='%s'/>$" % FRAMING)
        code = await ws.closed()
        assert code == 1000, code
        await ws.close()
        bob.disconnect()
    mark = s.mark()
    run_async(scenario())
    s.wait_log(r"connection \d+ from 127.0.0.1: websocket")
    # The session's end is logged as over TCP, saying it was a WebSocket.
    s.wait_log(r"session from 127\.0\.0\.1 ended \(stream closed by client, "
               r"websocket\): alice@example\.org/ws$", after=mark)


def test_stream_management_resume(s):
    """XEP-0198 over WebSocket: the session outlives its connection and
    is resumed on another, with what was sent meanwhile."""
    async def scenario():
        bob = await slix(s.ports["client"], "bob")
        ws = await WS.connect(s.ports["web"])
        jid = await ws.login("alice", "alice-pw", "sm")
        await ws.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>")
        en = await ws.expect(r"^<enabled [^>]*resume='true'")
        previd = re.search(r"id='([^']+)'", en).group(1)
        await ws.ws.close()          # no <close/>: the session stays
        await ws.session.close()
        s.wait_log(r"session alice@example.org/sm detached")
        bob.send_message(mto=jid, mbody="while away", mtype="chat")
        ws = await WS.connect(s.ports["web"])
        await ws.login("alice", "alice-pw", bind=False)
        await ws.send("<resume xmlns='urn:xmpp:sm:3' previd='%s' h='0'/>"
                      % previd)
        await ws.expect(r"^<resumed ")
        m = await ws.until(r"while away", skip=r"^<(r|a|iq|presence) ")
        assert "from='bob@example.org/tcp'" in m, m
        await ws.send(CLOSE)
        await ws.until(r"^<close ", skip=r".")
        await ws.close()
        bob.disconnect()
    run_async(scenario())


def test_keepalive_ping(s):
    """A quiet client gets WebSocket pings: one that answers stays (a
    second ping comes, past the time allowed for an answer), one that
    does not is closed with <connection-timeout/>."""
    async def ping(ws):
        while True:
            m = await asyncio.wait_for(ws.ws.receive(), 30)
            if m.type == aiohttp.WSMsgType.PING:
                return m
            assert m.type == aiohttp.WSMsgType.TEXT and \
                m.data.startswith("<presence"), (m.type, m.data)

    async def answers():
        ws = await WS.connect(s.ports["web"], autoping=False)
        await ws.login("alice", "alice-pw", "pong")
        for _ in range(2):
            m = await ping(ws)
            await ws.ws.pong(m.data)
        await ws.send(CLOSE)
        await ws.until(r"^<close ", skip=r".")
        await ws.close()

    async def silent():
        ws = await WS.connect(s.ports["web"], autoping=False)
        await ws.login("bob", "bob-pw", "silent")
        await ping(ws)
        m = await asyncio.wait_for(ws.ws.receive(), 30)
        assert m.type == aiohttp.WSMsgType.TEXT, (m.type, m.data)
        assert "<connection-timeout " in m.data, m.data
        await ws.expect(r"^<close ")
        await ws.close()

    async def both():
        await asyncio.gather(answers(), silent())
    run_async(both())


def test_each_message_stands_alone(s):
    """Each element the server writes is a message of its own declaring
    its namespace, whatever its text holds; messages the client sends in
    a row, more than the server's parser of them reads before it is
    renewed (64 KiB), all arrive, in order."""
    tricky = "</body></message><message to='x'>&amp; \"' <!-- --> ]]>"

    async def scenario():
        bob = await slix(s.ports["client"], "bob")
        ws = await WS.connect(s.ports["web"])
        jid = await ws.login("alice", "alice-pw", "alone")
        await ws.send("<presence xmlns='jabber:client'/>")
        bob.send_message(mto=jid, mbody=tricky, mtype="chat")
        while True:             # past presences, offline messages
            m = await ws.until(r".", skip=r"$^")
            doc = ElementTree.fromstring(m)
            assert doc.tag in ("{jabber:client}message",
                               "{jabber:client}presence"), m
            if doc.findtext("{jabber:client}body") == tricky:
                break
        n = 110
        for i in range(n):
            await ws.send("<message xmlns='jabber:client' type='chat' "
                          "to='bob@example.org/tcp'><body>%d %s</body>"
                          "</message>" % (i, "y" * 600))
        got = [(await asyncio.wait_for(bob.inbox.get(), 30))["body"]
               for _ in range(n)]
        assert [int(b.split()[0]) for b in got] == list(range(n)), got
        await ws.send(CLOSE)
        await ws.until(r"^<close ", skip=r".")
        await ws.close()
        bob.disconnect()
    run_async(scenario())


def still_serving(s, pid):
    """The stream process is the same, and logs a client in."""
    assert s.pid_of("stream") == pid

    async def again():
        ws = await WS.connect(s.ports["web"])
        await ws.login("carol", "carol-pw", "again")
        await ws.send(CLOSE)
        await ws.expect(r"^<close ")
        await ws.close()
    run_async(again())


async def opened(port):
    ws = await WS.connect(port)
    await ws.send(OPEN)
    await ws.expect(r"^<open ")
    await ws.expect(r"^<stream:features xmlns:stream='%s'><mechanisms "
                    % STREAMS)
    return ws


async def stream_error(ws, cond):
    """A stream error, then <close/>, then a normal close."""
    await ws.expect(r"^<stream:error xmlns:stream='%s'><%s xmlns='urn:ietf:"
                    r"params:xml:ns:xmpp-streams'" % (STREAMS, cond))
    await ws.expect(r"^<close xmlns='%s'/>$" % FRAMING)
    code = await ws.closed()
    assert code == 1000, code
    await ws.close()


def test_no_subprotocol(s):
    pid = s.pid_of("stream")

    async def handshake(protocols):
        try:
            ws = await WS.connect(s.ports["web"], protocols=protocols)
        except aiohttp.WSServerHandshakeError as e:
            return e.status
        await ws.close()
        return "accepted"
    for protocols in ((), ("chat",), ("xmpp2",)):
        status = run_async(handshake(protocols))
        assert status == 400, (protocols, status)
    still_serving(s, pid)


def test_not_one_element(s):
    pid = s.pid_of("stream")
    bad = ("hello",
           "<message xmlns='jabber:client'>",
           "<presence xmlns='jabber:client'/><presence "
           "xmlns='jabber:client'/>",
           "<presence xmlns='jabber:client'/>trailing",
           "<presence xmlns='jabber:client'/><presence "
           "xmlns='jabber:client'",
           "<presence xmlns='jabber:client'/><presence "
           "xmlns='jabber:client'>",
           "<?xml version='1.0'?><presence xmlns='jabber:client'/>")

    async def one(text):
        ws = await opened(s.ports["web"])
        await ws.send(text)
        await stream_error(ws, "not-well-formed")
    for text in bad:
        run_async(one(text))
    still_serving(s, pid)


def test_no_prefix_across_messages(s):
    """One parser reads a connection's messages in a row, yet each
    stands alone: a prefix declared in one is unbound in the next, which
    is refused (not-well-formed) and delivers nothing."""
    pid = s.pid_of("stream")

    async def one():
        bob = await slix(s.ports["client"], "bob")
        ws = await WS.connect(s.ports["web"])
        await ws.login("alice", "alice-pw", "prefix")
        await ws.send("<iq xmlns='jabber:client' xmlns:c='jabber:client' "
                      "type='get' id='p1'><ping xmlns='urn:xmpp:ping'/>"
                      "</iq>")
        await ws.expect(r"^<iq [^>]*id='p1'")
        await ws.send("<c:message type='chat' to='bob@example.org/tcp'>"
                      "<c:body>unbound</c:body></c:message>")
        await stream_error(ws, "not-well-formed")
        carol = await WS.connect(s.ports["web"])
        await carol.login("carol", "carol-pw", "marker")
        await carol.send("<message xmlns='jabber:client' type='chat' "
                         "to='bob@example.org/tcp'><body>marker</body>"
                         "</message>")
        got = await asyncio.wait_for(bob.inbox.get(), T)
        assert got["body"] == "marker", got
        await carol.send(CLOSE)
        await carol.until(r"^<close ", skip=r".")
        await carol.close()
        bob.disconnect()
    run_async(one())
    still_serving(s, pid)


def test_stream_header_instead_of_open(s):
    pid = s.pid_of("stream")

    async def one(text, cond):
        ws = await WS.connect(s.ports["web"])
        await ws.send(text)
        await ws.expect(r"^<open ")
        await stream_error(ws, cond)
    run_async(one("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams' "
            "to='example.org' version='1.0'>", "not-well-formed"))
    run_async(one("<stream:stream xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams' "
            "to='example.org' version='1.0'/>", "invalid-namespace"))
    run_async(one("<message xmlns='jabber:client' to='bob@example.org'>"
            "<body>before open</body></message>", "invalid-namespace"))
    still_serving(s, pid)


def test_open_from_answered_with_to(s):
    """RFC 7395 3.3.2 and RFC 6120 4.7.2: a client's from comes back as
    to, as a bare JID; one that is no JID names nobody."""
    async def one(frm, to):
        ws = await WS.connect(s.ports["web"])
        await ws.send(OPEN.replace("/>", " from='%s'/>" % frm))
        got = await ws.expect(r"^<open [^>]*/>")
        if to is None:
            assert " to=" not in got, got
        else:
            assert " to='%s'" % to in got, got
        await ws.expect(r"SCRAM-SHA-256")
        await ws.close()
    run_async(one("alice@example.org/phone", "alice@example.org"))
    run_async(one("a@b@example.org", None))


def test_oversized_message(s):
    pid = s.pid_of("stream")

    async def one():
        ws = await opened(s.ports["web"])
        await ws.send("<message xmlns='jabber:client'><body>%s</body>"
                      "</message>" % ("x" * (256 * 1024)))
        code = await ws.closed()
        assert code == 1009, code        # RFC 6455: message too big
        await ws.close()
    run_async(one())
    still_serving(s, pid)


def test_binary_frame(s):
    pid = s.pid_of("stream")

    async def one():
        ws = await WS.connect(s.ports["web"])
        await ws.ws.send_bytes(OPEN.encode())
        code = await ws.closed()
        assert code == 1003, code        # RFC 6455: unsupported data
        await ws.close()
    run_async(one())
    still_serving(s, pid)


def raw_ws(port):
    """A TLS socket past the opening handshake, speaking frames."""
    import socket
    sock = tls().wrap_socket(socket.create_connection(("127.0.0.1", port),
                                                      timeout=T))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET /xmpp-websocket HTTP/1.1\r\nHost: example.org\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Protocol: xmpp\r\n\r\n" % key).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, head
        head += chunk
    assert head.startswith(b"HTTP/1.1 101 "), head
    want = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    assert b"Sec-WebSocket-Accept: " + want + b"\r\n" in head, head
    return sock


def frame(opcode, payload, masked=True):
    head = bytes([0x80 | opcode])
    n = len(payload)
    bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([bit | n])
    else:
        head += bytes([bit | 126]) + n.to_bytes(2, "big")
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in
                               enumerate(payload))


def read_frames(sock):
    """Frames from the server until it closes: [(opcode, payload)]."""
    buf = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    frames = []
    while buf:
        assert buf[1] & 0x80 == 0, "a server frame is masked"
        n, off = buf[1] & 0x7f, 2
        if n == 126:
            n, off = int.from_bytes(buf[2:4], "big"), 4
        frames.append((buf[0] & 0x0f, buf[off:off + n]))
        buf = buf[off + n:]
    return frames


class RawWS(WS):
    """WS over raw_ws(): frames as this test writes them."""

    def __init__(self, port):
        self.sock = raw_ws(port)
        self.buf = b""

    async def send(self, text):
        self.sock.sendall(frame(1, text.encode()))

    async def recv(self):
        while True:
            n, off = (self.buf[1] & 0x7f, 2) if len(self.buf) >= 2 else \
                (None, 0)
            if n == 126:
                n, off = (int.from_bytes(self.buf[2:4], "big"), 4) if \
                    len(self.buf) >= 4 else (None, 0)
            if n is not None and len(self.buf) >= off + n:
                    op, data = self.buf[0] & 0x0f, self.buf[off:off + n]
                    self.buf = self.buf[off + n:]
                    return aiohttp.WSMessage(
                        aiohttp.WSMsgType(op), data.decode(), None)
            chunk = self.sock.recv(65536)
            assert chunk, "closed"
            self.buf += chunk


def test_burst_over_rate(s):
    """Frames read in one go are all handled, however far over its rate
    the client is: a pause stops reading the socket, not what was read
    (the client sends nothing after its burst)."""
    port = free_port()
    o = Server("limits {\n\tclient rate 2K\n}\n"
               "listen on 127.0.0.1 port %d http tls\n" % port, prefork=1)
    o.start()
    try:
        add_user(o, "alice@example.org", "alice-pw")
        add_user(o, "bob@example.org", "bob-pw")

        async def burst():
            bob = await slix(o.ports["client"], "bob")
            ws = RawWS(port)
            await ws.login("alice", "alice-pw", "burst")
            ws.sock.sendall(b"".join(frame(1, (
                "<message xmlns='jabber:client' type='chat' "
                "to='bob@example.org/tcp'><body>%d %s</body></message>" %
                (i, "x" * 500)).encode()) for i in range(12)))
            got = [(await asyncio.wait_for(bob.inbox.get(), 30))["body"]
                   for _ in range(12)]
            assert [int(b.split()[0]) for b in got] == list(range(12)), got
            ws.sock.close()
            bob.disconnect()
        try:
            run_async(burst())
        except AssertionError as e:
            raise AssertionError("%s\n%s" % (e, o.log_tail(30)))
    finally:
        o.stop()


def test_unmasked_frame(s):
    pid = s.pid_of("stream")
    sock = raw_ws(s.ports["web"])
    sock.sendall(frame(1, OPEN.encode(), masked=False))
    frames = read_frames(sock)
    sock.close()
    assert frames and frames[-1][0] == 8, frames
    code = int.from_bytes(frames[-1][1][:2], "big")
    assert code == 1002, code            # RFC 6455: protocol error
    assert not [f for f in frames if f[0] == 1], frames
    still_serving(s, pid)


def test_invalid_utf8(s):
    pid = s.pid_of("stream")
    sock = raw_ws(s.ports["web"])
    sock.sendall(frame(1, OPEN.encode()))
    sock.sendall(frame(1, b"<presence xmlns='jabber:client'>\xff\xfe"
                       b"</presence>"))
    sock.sendall(frame(8, (1000).to_bytes(2, "big")))
    frames = read_frames(sock)
    sock.close()
    # RFC 6455 section 8.1: the connection fails, 1007.
    assert frames and frames[-1][0] == 8, frames
    code = int.from_bytes(frames[-1][1][:2], "big")
    assert code == 1007, frames
    assert not [p for o, p in frames if o == 1 and b"presence" in p], frames
    still_serving(s, pid)


def test_close_without_close_element(s):
    pid = s.pid_of("stream")

    async def one():
        ws = await WS.connect(s.ports["web"])
        await ws.login("carol", "carol-pw", "gone")
        await ws.ws.close()              # a close frame, no <close/>
        assert ws.ws.close_code == 1000, ws.ws.close_code
        await ws.session.close()
    mark = s.mark()
    run_async(one())
    s.wait_log(r"session carol@example.org/gone ended", after=mark)
    s.wait_log(r"session from 127\.0\.0\.1 ended \(connection lost[^)]*, "
               r"websocket\): carol@example\.org/gone$", after=mark)
    assert "carol@example.org/gone" not in s.ctl("show",
                                                  "sessions").stdout
    still_serving(s, pid)


async def get(port, path, headers=None, method="GET"):
    async with aiohttp.ClientSession() as session:
        async with session.request(
                method, "https://127.0.0.1:%d%s" % (port, path),
                headers=headers, ssl=tls()) as r:
            return r.status, r.headers, await r.text()


def test_host_meta(s):
    """XEP-0156: the WebSocket URL of the host asked for, as XRD and
    JRD, readable from any origin by default."""
    import json
    import xml.etree.ElementTree as ET
    port = s.ports["web"]
    host = {"Host": "example.org:%d" % port,
            "Origin": "https://chat.example.net"}
    url = "wss://example.org:%d/xmpp-websocket" % port
    st, h, body = run_async(get(port, "/.well-known/host-meta", host))
    assert st == 200, (st, body)
    assert h["Content-Type"] == "application/xrd+xml", h
    assert h["Access-Control-Allow-Origin"] == "*", h
    xrd = ET.fromstring(body.encode())
    assert xrd.tag == "{http://docs.oasis-open.org/ns/xri/xrd-1.0}XRD", body
    links = [(e.get("rel"), e.get("href")) for e in xrd]
    assert links[0] == ("urn:xmpp:alt-connections:websocket", url), body
    st, h, body = run_async(get(port, "/.well-known/host-meta.json", host))
    assert st == 200 and h["Content-Type"] == "application/json", (st, h)
    assert json.loads(body)["links"][0] == {
        "rel": "urn:xmpp:alt-connections:websocket", "href": url}, body
    # Another domain's name gives its own URL.
    st, h, body = run_async(get(port, "/.well-known/host-meta.json",
                          {"Host": "Chat.Example.COM"}))
    assert json.loads(body)["links"][0]["href"] == \
        "wss://chat.example.com/xmpp-websocket", body
    # A Host that is no host name is refused, nothing echoed.
    for bad in ("example.org/x", "a b", "<x>", "ex'ample", "x" * 400):
        st, h, body = run_async(get(port, "/.well-known/host-meta",
                              {"Host": bad}))
        assert st == 400, (bad, st, body)
    st, h, body = run_async(get(port, "/.well-known/host-meta", host, "POST"))
    assert st == 405, st
    st, h, body = run_async(get(port, "/nothing-here", host))
    assert st == 404, st


def test_origins(s):
    """Allowed origins: a WebSocket from a page elsewhere is refused
    (403), host-meta's CORS names only the listed origin."""
    port = free_port()
    o = Server('cors "https://chat.example.org"\n'
               'websocket origin "https://chat.example.org"\n'
               'websocket origin "https://web.example.org:8443"\n'
               "listen on 127.0.0.1 port %d http tls\n" % port, prefork=1)
    o.start()
    try:
        async def handshake(origin):
            try:
                ws = await WS.connect(port, headers={"Origin": origin}
                                      if origin else None)
            except aiohttp.WSServerHandshakeError as e:
                return e.status
            await ws.send(OPEN)
            await ws.expect(r"^<open ")
            await ws.close()
            return "accepted"
        for origin, want in (("https://chat.example.org", "accepted"),
                             ("https://web.example.org:8443", "accepted"),
                             (None, "accepted"),
                             ("https://evil.example.org", 403),
                             ("https://chat.example.org.evil.net", 403),
                             ("null", 403)):
            got = run_async(handshake(origin))
            assert got == want, (origin, got)
        st, h, body = run_async(get(port, "/.well-known/host-meta",
                              {"Origin": "https://chat.example.org"}))
        assert st == 200, st
        assert h["Access-Control-Allow-Origin"] == \
            "https://chat.example.org", h
        assert h["Vary"] == "Origin", h
        st, h, body = run_async(get(port, "/.well-known/host-meta",
                              {"Origin": "https://evil.example.org"}))
        assert st == 200 and "Access-Control-Allow-Origin" not in h, h
    finally:
        o.stop()
