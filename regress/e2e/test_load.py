"""Many clients at once: 500 concurrent logins all get a session."""

import asyncio
import base64
import re

from rawxmpp import HEADER, tls_context
from xmppdtest import Server, add_user

N = 500


def setup():
    s = Server(prefork=2, body="limits {\n\tconnections per address 2000\n"
               "\tauth failures 1000 per 60s\n}\n")
    s.start()
    add_user(s, "load@example.org", "load-pw")
    return s


def teardown(s):
    s.stop()


async def expect(reader, buf, pattern):
    rx = re.compile(pattern, re.S)
    while True:
        m = rx.search(buf[0])
        if m:
            buf[0] = buf[0][m.end():]
            return m
        data = await reader.read(65536)
        if not data:
            raise AssertionError("closed while waiting for %r: %r" %
                                 (pattern, buf[0]))
        buf[0] += data.decode()


async def one(port, sem, writers):
    async with sem:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    buf = [""]
    writer.write((HEADER % "example.org").encode())
    await expect(reader, buf, r"</stream:features>")
    writer.write(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    await expect(reader, buf, r"<proceed[^>]*/>")
    await writer.start_tls(tls_context(), server_hostname="example.org")
    buf[0] = ""
    writer.write((HEADER % "example.org").encode())
    await expect(reader, buf, r"</stream:features>")
    plain = base64.b64encode(b"\0load\0load-pw").decode()
    writer.write(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                  "mechanism='PLAIN'>%s</auth>" % plain).encode())
    await expect(reader, buf, r"<success")
    writer.write((HEADER % "example.org").encode())
    await expect(reader, buf, r"</stream:features>")
    writer.write(b"<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:"
                 b"ns:xmpp-bind'/></iq>")
    m = await expect(reader, buf, r"<jid>([^<]+)</jid>")
    writers.append(writer)
    return m.group(1)


async def many(port):
    sem = asyncio.Semaphore(100)	# connects in flight, not sessions
    writers = []
    jids = await asyncio.wait_for(asyncio.gather(
        *[one(port, sem, writers) for _ in range(N)]), 120)
    return jids, writers


def test_500_concurrent_logins(s):
    loop = asyncio.new_event_loop()
    jids, writers = loop.run_until_complete(many(s.ports["client"]))
    assert len(set(jids)) == N, len(set(jids))
    sessions = s.ctl("show", "sessions").stdout.count("load@example.org/")
    assert sessions == N, sessions
    for w in writers:
        w.close()
    loop.close()


def test_half_open_connections_do_not_block_logins(s):
    import socket
    from rawxmpp import Raw
    idle = []
    for _ in range(1000):
        idle.append(socket.create_connection(("127.0.0.1",
                                              s.ports["client"])))
    try:
        r = Raw(s.ports["client"])
        assert r.login("load", "load-pw", "busy").endswith("/busy")
        r.close()
    finally:
        for c in idle:
            c.close()
