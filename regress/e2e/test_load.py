"""Many clients at once: 500 concurrent logins all get a session."""

import asyncio

from rawxmpp import login_async
from xmppdtest import Server, add_user

N = 500


def setup():
    s = Server(prefork=2, body="limits {\n\tconnections per address 2000\n"
               "\tauth failures 1000 per 60s\n\tsessions per user 1000\n}\n")
    s.start()
    add_user(s, "load@example.org", "load-pw")
    return s


def teardown(s):
    s.stop()


async def one(port, sem, writers):
    async with sem:
        reader, writer, buf, jid = await login_async(port, "load",
                                                     "load-pw")
    writers.append(writer)
    return jid


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
