"""The federation the s2s tests join, proved between its real peers
before xmppd speaks server-to-server: Debian's Prosody (prosody.test)
and ejabberd (ejabberd.test) find each other through the test's DNS
server (SRV records: Prosody by STARTTLS, ejabberd by direct TLS),
authenticate each other with certificates from the test CA (SASL
EXTERNAL, XEP-0178; neither has dialback, so nothing else would do),
and their users subscribe, see each other's presence and chat.  A third
server whose certificate comes from a CA nobody trusts reaches nobody."""

import asyncio
import re

from federation import (Federation, client, connected, message_from,
                        presence_from, subscription)

ALICE = "alice@prosody.test"
BOB = "bob@ejabberd.test"
TIMEOUT = 20


class Ctx:
    pass


def setup():
    c = Ctx()
    c.fed = Federation()
    try:
        c.prosody = c.fed.prosody("prosody.test", secure=True,
                                  dialback=False, direct_tls=False)
        c.ejabberd = c.fed.ejabberd("ejabberd.test", starttls=False)
        c.fed.start()
        c.prosody.add_user(ALICE, "alice-pw")
        c.ejabberd.add_user(BOB, "bob-pw")
    except Exception:
        c.fed.close()
        raise
    c.log_tail = c.fed.log_tail
    c.loop = asyncio.new_event_loop()
    asyncio.set_event_loop(c.loop)
    return c


def teardown(c):
    c.loop.close()
    c.fed.close()


def run(c, coro):
    asyncio.set_event_loop(c.loop)
    return c.loop.run_until_complete(asyncio.wait_for(coro, TIMEOUT * 3))


def users(c):
    alice = client(ALICE + "/fed", "alice-pw", c.prosody.ports["client"],
                   c.fed.ca_file, c.loop)
    bob = client(BOB + "/fed", "bob-pw", c.ejabberd.ports["client"],
                 c.fed.ca_file, c.loop)
    return alice, bob


def test_subscription_presence_and_messages_across(c):
    async def scenario():
        alice, bob = users(c)
        await connected(alice, bob)
        bob.auto_authorize = True
        bob.auto_subscribe = True
        alice.send_presence_subscription(pto=BOB)
        await asyncio.wait_for(subscription(alice, BOB), TIMEOUT)
        await asyncio.wait_for(subscription(bob, ALICE), TIMEOUT)
        # Each sees the other come online over s2s.
        await asyncio.wait_for(presence_from(alice, BOB), TIMEOUT)
        await asyncio.wait_for(presence_from(bob, ALICE), TIMEOUT)
        alice.send_message(mto=BOB, mbody="hello ejabberd", mtype="chat")
        m = await asyncio.wait_for(message_from(bob, ALICE), TIMEOUT)
        assert m["body"] == "hello ejabberd", m
        bob.send_message(mto=ALICE, mbody="hello prosody", mtype="chat")
        m = await asyncio.wait_for(message_from(alice, BOB), TIMEOUT)
        assert m["body"] == "hello prosody", m
        # Bob leaves: Alice is told.
        bob.disconnect()
        await asyncio.wait_for(presence_from(alice, BOB, "unavailable"),
                               TIMEOUT)
        alice.disconnect()
        await alice.disconnected
    run(c, scenario())


def test_peers_authenticated_each_other_by_certificate(c):
    e, p = c.ejabberd, c.prosody
    e.wait_log(r"Accepted inbound s2s EXTERNAL authentication "
               r"prosody\.test -> ejabberd\.test")
    e.wait_log(r"Accepted outbound s2s EXTERNAL authentication "
               r"ejabberd\.test -> prosody\.test")
    p.wait_log(r"Accepting SASL EXTERNAL identity from ejabberd\.test")
    p.wait_log(r"SASL EXTERNAL with ejabberd\.test succeeded")
    # Each way its transport: Prosody found ejabberd's direct TLS port,
    # ejabberd Prosody's STARTTLS port, and nothing else.
    assert not e.log_has(r"Failed (in|out)bound s2s")
    assert not p.log_has(r"dialback")


def test_peer_with_an_untrusted_certificate_reaches_nobody(c):
    """rogue.test joins the DNS but its certificate comes from a CA
    neither server trusts, and it would do dialback: both refuse it,
    its users' messages bounce, and Alice and Bob see none of them."""
    fed = c.fed
    rogue = fed.prosody("rogue.test", secure=False, dialback=True,
                        cert=fed.certificate("rogue.test",
                                             ca=fed.untrusted()))
    fed.start()
    rogue.add_user("carol@rogue.test", "carol-pw")

    async def scenario():
        alice, bob = users(c)
        # Carol herself trusts her server's CA.
        carol = client("carol@rogue.test/fed", "carol-pw",
                       rogue.ports["client"], fed.untrusted().crt, c.loop)
        await connected(alice, bob, carol)
        for to in (ALICE, BOB):
            carol.send_message(mto=to, mbody="from a stranger", mtype="chat")
        errors = set()
        while len(errors) < 2:
            m = await asyncio.wait_for(carol.inbox.get(), TIMEOUT)
            if m["type"] == "error":
                errors.add(m["from"].bare)
        assert errors == {ALICE, BOB}, errors
        # Only now the servers' own users write: the first message each
        # of them gets is the other's, nothing of Carol's came before.
        alice.send_message(mto=BOB, mbody="after", mtype="chat")
        bob.send_message(mto=ALICE, mbody="after", mtype="chat")
        for who, frm in ((bob, ALICE), (alice, BOB)):
            m = await asyncio.wait_for(who.inbox.get(), TIMEOUT)
            assert m["from"].bare == frm and m["body"] == "after", m
        for x in (alice, bob, carol):
            x.disconnect()
            await x.disconnected
    run(c, scenario())
    c.ejabberd.wait_log(r"Failed inbound s2s EXTERNAL authentication "
                        r"rogue\.test -> ejabberd\.test .*: unable to "
                        r"verify the first certificate")
    c.prosody.wait_log(r"Forbidding insecure connection to/from rogue\.test "
                       r"because its certificate is not trusted")
    assert not c.prosody.log_has(r"Incoming s2s connection "
                                 r"rogue\.test->prosody\.test complete")


def test_xmppd_joins_with_the_federation_helpers(c):
    """An xmppd given federation.py's configuration for xmppd.test
    trusts the test CA and finds both peers where they are published."""
    s = c.fed.xmppd("xmppd.test", starttls=False, direct_tls=False)
    try:
        s.start()
        s.wait_log(r"tls ca %s: 1 certificate$" % re.escape(c.fed.ca_file))
        for peer, port, how in ((c.prosody, "s2s", "starttls"),
                                (c.ejabberd, "s2s_tls", "tls")):
            p = s.ctl("resolve", peer.domain)
            got = [tuple(line.split()) for line in
                   p.stdout.splitlines()[1:]]
            assert got == [("127.0.0.1", str(peer.ports[port]), how,
                            "xmpp." + peer.domain)], p.stdout
        p = s.ctl("resolve", "nowhere.test", check=False)
        assert p.returncode != 0, p.stdout
    finally:
        s.stop()
