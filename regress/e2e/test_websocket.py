"""XMPP over WebSocket (RFC 7395) on an `http tls` listener: a raw
WebSocket client (aiohttp) logs in with SCRAM, binds and chats with a
slixmpp user over TCP; bad input gets the protocol's answer and the
process keeps serving others."""

import asyncio
import base64
import hashlib
import hmac
import os
import re
import ssl

import aiohttp
from slixmpp import ClientXMPP

from xmppdtest import Server, add_user, free_port

FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
OPEN = "<open xmlns='%s' to='example.org' version='1.0'/>" % FRAMING
CLOSE = "<close xmlns='%s'/>" % FRAMING
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
    async def connect(cls, port, protocols=("xmpp",), headers=None):
        session = aiohttp.ClientSession()
        ws = await session.ws_connect(
            "https://127.0.0.1:%d/xmpp-websocket" % port,
            protocols=protocols, ssl=tls(), headers=headers,
            autoping=True, timeout=T)
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

    async def login(self, user, password, resource="ws"):
        await self.send(OPEN)
        await self.expect(r"^<open [^>]*xmlns=.%s" % FRAMING)
        await self.expect(r"SCRAM-SHA-256")
        nonce = base64.b64encode(os.urandom(18)).decode()
        first = "n=%s,r=%s" % (user, nonce)
        await self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                        "mechanism='SCRAM-SHA-256'>%s</auth>" %
                        base64.b64encode(("n,," + first).encode()).decode())
        ch = await self.expect(r"<challenge[^>]*>([^<]+)</challenge>")
        sfirst = base64.b64decode(re.search(r">([^<]+)<", ch).group(1)
                                  ).decode()
        f = dict(kv.split("=", 1) for kv in sfirst.split(","))
        assert f["r"].startswith(nonce)
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(),
                                     base64.b64decode(f["s"]), int(f["i"]))
        ckey = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        final = "c=biws,r=" + f["r"]
        msg = ",".join((first, sfirst, final)).encode()
        sig = hmac.new(hashlib.sha256(ckey).digest(), msg,
                       hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(ckey, sig))
        final += ",p=" + base64.b64encode(proof).decode()
        await self.send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"
                        ">%s</response>" %
                        base64.b64encode(final.encode()).decode())
        await self.expect(r"^<success ")
        await self.send(OPEN)
        await self.expect(r"^<open ")
        await self.expect(r"<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'")
        await self.send("<iq xmlns='jabber:client' type='set' id='b1'>"
                        "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                        "<resource>%s</resource></bind></iq>" % resource)
        r = await self.expect(r"<jid>([^<]+)</jid>")
        return re.search(r"<jid>([^<]+)</jid>", r).group(1)


def slix(loop, user):
    c = ClientXMPP("%s@example.org/tcp" % user, user + "-pw")
    c.loop = loop
    c.ssl_context.check_hostname = False
    c.ssl_context.verify_mode = ssl.CERT_NONE
    c.started = loop.create_future()
    c.inbox = asyncio.Queue()
    c.add_event_handler("session_start",
                        lambda e: c.started.done() or c.started.set_result(1))
    c.add_event_handler("message", lambda m: c.inbox.put_nowait(m))
    return c


def run(coro):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def test_login_and_chat(s):
    async def scenario():
        loop = asyncio.get_event_loop()
        bob = slix(loop, "bob")
        bob.connect(("127.0.0.1", s.ports["client"]))
        await asyncio.wait_for(bob.started, T)
        ws = await WS.connect(s.ports["web"])
        assert ws.ws.protocol == "xmpp", ws.ws.protocol
        jid = await ws.login("alice", "alice-pw")
        assert jid == "alice@example.org/ws", jid
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
    run(scenario())
    s.wait_log(r"connection \d+ from 127.0.0.1: websocket")
