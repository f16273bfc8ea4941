"""Three real clients (python3-slixmpp) chat, subscribe and see each
other's presence."""

import asyncio


from webclient import slix_client
from xmppdtest import started


def setup():
    return started(("ann", "ben", "cid"), prefork=2)


def teardown(s):
    s.stop()


def client(user, loop):
    c = slix_client("%s@example.org/slix" % user, user + "-pw", loop)
    c.pushed = asyncio.Event()
    c.add_event_handler("roster_update", lambda e: c.pushed.set())
    return c


async def scenario(port):
    loop = asyncio.get_event_loop()
    ann, ben, cid = (client(u, loop) for u in ("ann", "ben", "cid"))
    for c in (ann, ben, cid):
        c.connect(("127.0.0.1", port))
    await asyncio.wait_for(asyncio.gather(ann.started, ben.started,
                                          cid.started), 20)
    for c in (ann, ben, cid):
        await c.get_roster()
        c.send_presence()
    # Ben and Cid accept whoever asks.
    for c in (ben, cid):
        c.auto_authorize = True
        c.auto_subscribe = True
    ann.send_presence_subscription(pto="ben@example.org")
    ann.send_presence_subscription(pto="cid@example.org")

    async def both(c, jid):
        # Each roster push wakes us; look whether it was the last one.
        while c.client_roster[jid]["subscription"] != "both":
            c.pushed.clear()
            await c.pushed.wait()
    await asyncio.wait_for(asyncio.gather(both(ann, "ben@example.org"),
                                          both(ann, "cid@example.org")), 20)
    for c, who in ((ben, "ann"), (cid, "ann")):
        c.send_message(mto="%s@example.org" % who, mbody="hi from %s" %
                       c.boundjid.user, mtype="chat")
    got = {(await asyncio.wait_for(ann.inbox.get(), 10))["body"]
           for _ in range(2)}
    assert got == {"hi from ben", "hi from cid"}, got
    ann.send_message(mto="cid@example.org", mbody="back", mtype="chat")
    m = await asyncio.wait_for(cid.inbox.get(), 10)
    assert m["body"] == "back" and m["from"].bare == "ann@example.org"
    for c in (ann, ben, cid):
        c.disconnect()


def test_three_users(s):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(scenario(s.ports["client"]))
