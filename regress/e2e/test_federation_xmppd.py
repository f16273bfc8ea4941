"""xmppd in the federation of real peers (regress/lib/federation.py):
Debian's Prosody (prosody.test, with a MUC service, dialback offered)
and ejabberd (ejabberd.test, SASL EXTERNAL only) talk with users of
xmppd.test both ways: subscriptions and presence, messages, IQs
(version, disco), vCards, and MUC rooms on every side.  Certificates
from the test CA authenticate every stream with SASL EXTERNAL, as each
server's log says.  badcert.test, a domain of the same xmppd whose
certificate names another domain, reaches Prosody by dialback; strict.test
requires certificates and so refuses a peer whose CA nobody trusts."""

import asyncio
import re
import ssl
import xml.etree.ElementTree as ET

from federation import (Federation, client, connected, message_from,
                        presence_from, subscription)
from rawxmpp import Raw, tls_context
from xmppdtest import add_user

ALICE = "alice@prosody.test"
BOB = "bob@ejabberd.test"
XAVIER = "xavier@xmppd.test"
DORA = "dora@badcert.test"
SAM = "sam@strict.test"
CAROL = "carol@rogue.test"
PMUC = "conference.prosody.test"
XMUC = "conference.xmppd.test"
TIMEOUT = 20

NS_VERSION = "jabber:iq:version"
NS_DISCO = "http://jabber.org/protocol/disco#info"
NS_VCARD = "vcard-temp"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"


class Ctx:
    pass


def setup():
    c = Ctx()
    c.fed = fed = Federation()
    c.xmppd = None
    try:
        c.prosody = fed.prosody("prosody.test", secure=False, dialback=True,
                                muc=PMUC)
        c.ejabberd = fed.ejabberd("ejabberd.test")
        c.xmppd = fed.xmppd(
            "xmppd.test", muc=XMUC, domains=(
                ("badcert.test",
                 fed.certificate("badcert.test", names=["elsewhere.test"]),
                 False),
                ("strict.test", None, True)))
        fed.start()
        c.xmppd.start()
        c.prosody.add_user(ALICE, "alice-pw")
        c.ejabberd.add_user(BOB, "bob-pw")
        for jid in (XAVIER, DORA, SAM):
            add_user(c.xmppd, jid, jid.split("@")[0] + "-pw")
    except Exception:
        if c.xmppd is not None:
            c.xmppd.stop()
        fed.close()
        raise
    c.loop = asyncio.new_event_loop()
    asyncio.set_event_loop(c.loop)
    return c


def log_tail(c, n=40):
    return "%s\n--- xmppd ---\n%s" % (c.fed.log_tail(n),
                                       c.xmppd.log_tail(n))


Ctx.log_tail = log_tail


def teardown(c):
    c.loop.close()
    c.xmppd.stop()
    c.fed.close()


def run(c, coro):
    asyncio.set_event_loop(c.loop)
    return c.loop.run_until_complete(asyncio.wait_for(coro, TIMEOUT * 4))


def user(c, jid, plugins=()):
    """A client of jid's server (not connected); password: local part
    with -pw."""
    domain = jid.split("@")[1]
    port = {"prosody.test": c.prosody.ports["client"],
            "ejabberd.test": c.ejabberd.ports["client"]}.get(
                domain, c.xmppd.ports["client"])
    x = client(jid + "/fed", jid.split("@")[0] + "-pw", port, c.fed.ca_file,
               c.loop)
    if jid == DORA:
        # No certificate of her server's names badcert.test: the one
        # shown is the first keypair's (self-signed).
        x.ssl_context.check_hostname = False
        x.ssl_context.verify_mode = ssl.CERT_NONE
    for p in plugins:
        x.register_plugin(p)
    return x


async def bye(*clients):
    for x in clients:
        x.disconnect()
        await x.disconnected


async def mutual(a, b, a_jid, b_jid):
    """a asks b for a subscription, b approves and asks back: both."""
    a.auto_authorize = b.auto_authorize = True
    a.auto_subscribe = b.auto_subscribe = True
    a.send_presence_subscription(pto=b_jid)
    await asyncio.wait_for(subscription(a, b_jid), TIMEOUT)
    await asyncio.wait_for(subscription(b, a_jid), TIMEOUT)


async def chat(a, b, a_jid, b_jid, body):
    a.send_message(mto=b_jid, mbody=body, mtype="chat")
    m = await asyncio.wait_for(message_from(b, a_jid), TIMEOUT)
    assert m["type"] == "chat" and m["body"] == body, m


def peer_test(c, peer_jid, xmppd_asks):
    """Subscription both ways (the first ask from xmppd's user when
    xmppd_asks, else from the peer's), each sees the other come and go,
    messages both ways."""
    async def scenario():
        x, p = user(c, XAVIER), user(c, peer_jid)
        await connected(x, p)
        if xmppd_asks:
            await mutual(x, p, XAVIER, peer_jid)
        else:
            await mutual(p, x, peer_jid, XAVIER)
        await asyncio.wait_for(presence_from(x, peer_jid), TIMEOUT)
        await asyncio.wait_for(presence_from(p, XAVIER), TIMEOUT)
        await chat(x, p, XAVIER, peer_jid, "to %s from xmppd" % peer_jid)
        await chat(p, x, peer_jid, XAVIER, "to xmppd from %s" % peer_jid)
        # The peer's user leaves, then comes back: xmppd's user sees
        # both (the second time through the peer's broadcast), and the
        # same the other way.
        p.disconnect()
        await p.disconnected
        await asyncio.wait_for(presence_from(x, peer_jid, "unavailable"),
                               TIMEOUT)
        p = user(c, peer_jid)
        await connected(p)
        await asyncio.wait_for(presence_from(x, peer_jid), TIMEOUT)
        await bye(x)
        await asyncio.wait_for(presence_from(p, XAVIER, "unavailable"),
                               TIMEOUT)
        await bye(p)
    run(c, scenario())


def test_prosody_user_and_xmppd_user_subscribe_and_chat(c):
    peer_test(c, ALICE, True)


def test_ejabberd_user_and_xmppd_user_subscribe_and_chat(c):
    peer_test(c, BOB, False)


def test_streams_with_both_peers_use_sasl_external(c):
    """Every stream between xmppd.test and the peers, both ways, was
    authenticated by certificate, as each end logs it."""
    s, e, p = c.xmppd, c.ejabberd, c.prosody
    for peer in ("prosody.test", "ejabberd.test"):
        s.wait_log(r"s2s outbound connection \d+ to %s: authenticated by "
                   r"SASL EXTERNAL" % re.escape(peer))
        s.wait_log(r"s2s inbound connection \d+ from \S+: %s authenticated "
                   r"by SASL EXTERNAL for xmppd\.test" % re.escape(peer))
    e.wait_log(r"Accepted inbound s2s EXTERNAL authentication "
               r"xmppd\.test -> ejabberd\.test")
    e.wait_log(r"Accepted outbound s2s EXTERNAL authentication "
               r"ejabberd\.test -> xmppd\.test")
    p.wait_log(r"Accepting SASL EXTERNAL identity from xmppd\.test")
    p.wait_log(r"SASL EXTERNAL with xmppd\.test succeeded")
    assert not e.log_has(r"Failed (in|out)bound s2s .*xmppd\.test"), \
        e.log_tail()
    assert not s.log_has(r"xmppd\.test.*authenticated by dialback")


async def ask(x, to, ns):
    """An IQ get with an empty query of ns to to: the answer (result or
    error, never a timeout)."""
    iq = x.make_iq_get(queryxmlns=ns, ito=to)
    try:
        return await iq.send(timeout=TIMEOUT)
    except Exception as e:
        if hasattr(e, "iq"):
            return e.iq
        raise


def assert_version(r, frm):
    name = r.xml.find("{%s}query/{%s}name" % (NS_VERSION, NS_VERSION))
    assert r["type"] == "result" and r["from"] == frm and \
        name is not None and name.text, r


def assert_server_disco(r, frm):
    ids = r.xml.findall("{%s}query/{%s}identity" % (NS_DISCO, NS_DISCO))
    assert r["type"] == "result" and r["from"] == frm and \
        ("server", "im") in [(i.get("category"), i.get("type"))
                             for i in ids], r


def test_version_and_disco_of_servers_across(c):
    """xmppd's user asks each peer server its version and disco#info,
    and each peer's user asks xmppd.test the same."""
    async def scenario():
        x, a, b = user(c, XAVIER), user(c, ALICE), user(c, BOB)
        await connected(x, a, b)
        for who, server in ((x, "prosody.test"), (x, "ejabberd.test"),
                            (a, "xmppd.test"), (b, "xmppd.test")):
            assert_version(await ask(who, server, NS_VERSION), server)
            assert_server_disco(await ask(who, server, NS_DISCO), server)
        await bye(x, a, b)
    run(c, scenario())


def test_vcards_fetched_across(c):
    """XEP-0054: each user publishes a vCard on their server; the
    others fetch it across: xmppd's user the peers' users' vCards, and
    theirs xmppd's user's."""
    plugins = ("xep_0054",)

    async def scenario():
        x = user(c, XAVIER, plugins)
        a, b = user(c, ALICE, plugins), user(c, BOB, plugins)
        await connected(x, a, b)
        for who, jid in ((x, XAVIER), (a, ALICE), (b, BOB)):
            v = who["xep_0054"].make_vcard()
            v["FN"] = "The vCard of " + jid
            await who["xep_0054"].publish_vcard(v, timeout=TIMEOUT)
        for who, jid in ((x, ALICE), (x, BOB), (a, XAVIER), (b, XAVIER)):
            r = await who["xep_0054"].get_vcard(jid, cached=False,
                                                timeout=TIMEOUT)
            assert r["type"] == "result" and r["from"].bare == jid, r
            assert r["vcard_temp"]["FN"] == "The vCard of " + jid, r
        await bye(x, a, b)
    run(c, scenario())


async def join(who, room, nick):
    """who enters room as nick (XEP-0045 section 7.2): its own presence
    back from the room, status 110."""
    p = who.make_presence(pto="%s/%s" % (room, nick))
    p.append(ET.Element("{%s}x" % NS_MUC))
    p.send()
    while True:
        p = await asyncio.wait_for(who.presences.get(), TIMEOUT)
        if p["from"] != "%s/%s" % (room, nick):
            continue
        assert p["type"] != "error", p
        codes = [s.get("code") for s in p.xml.findall(
            "{%s}x/{%s}status" % (NS_MUC_USER, NS_MUC_USER))]
        if "110" in codes:
            return p


async def refused(who, room, nick, cond):
    """who asks to enter room as nick and gets an error, cond."""
    p = who.make_presence(pto="%s/%s" % (room, nick))
    p.append(ET.Element("{%s}x" % NS_MUC))
    p.send()
    p = await asyncio.wait_for(presence_from(who, room, "error"), TIMEOUT)
    assert p["error"]["condition"] == cond, p
    return p


async def instant(who, room):
    """who, its owner, opens the room it created as it is (XEP-0045
    section 10.1.2): no one else may enter before."""
    iq = who.make_iq_set(ito=room)
    q = ET.SubElement(iq.xml, "{%s#owner}query" % NS_MUC)
    ET.SubElement(q, "{jabber:x:data}x", type="submit")
    r = await iq.send(timeout=TIMEOUT)
    assert r["type"] == "result", r


async def said(who, room, nick, body):
    """The groupchat message body from nick in room (others dropped)."""
    while True:
        m = await asyncio.wait_for(who.inbox.get(), TIMEOUT)
        assert m["type"] != "error", m
        if m["from"] == "%s/%s" % (room, nick) and m["body"] == body:
            assert m["type"] == "groupchat", m
            return m


async def talk(room, speakers):
    """Each (client, nick) in turn says something in room; every one
    of them hears it, the speaker too (XEP-0045 section 7.4)."""
    for who, nick in speakers:
        body = "%s speaking in %s" % (nick, room)
        who.send_message(mto=room, mbody=body, mtype="groupchat")
        for other, _ in speakers:
            await said(other, room, nick, body)


def test_xmppd_user_joins_rooms_on_prosody_and_ejabberd(c):
    """Alice opens a room on Prosody's MUC service, Bob one on
    ejabberd's; xmppd's user joins each across servers and they talk
    there."""
    async def scenario():
        x, a, b = user(c, XAVIER), user(c, ALICE), user(c, BOB)
        await connected(x, a, b)
        for owner, nick, room in ((a, "alice", "lounge@" + PMUC),
                                  (b, "bob", "lounge@" + c.ejabberd.muc)):
            await join(owner, room, nick)
            await instant(owner, room)
            await join(x, room, "xavier")
            await talk(room, ((owner, nick), (x, "xavier")))
        await bye(x, a, b)
    run(c, scenario())


def test_peer_users_join_a_room_on_xmppd(c):
    """xmppd's user opens a room on conference.xmppd.test (mucd); a
    Prosody user and an ejabberd user join it across servers and all
    three talk there."""
    room = "hall@" + XMUC

    async def scenario():
        x, a, b = user(c, XAVIER), user(c, ALICE), user(c, BOB)
        await connected(x, a, b)
        await join(x, room, "xavier")
        # Still locked (XEP-0045 section 10.1.1): the Prosody user hears
        # why, across servers.
        await refused(a, room, "alice", "item-not-found")
        await instant(x, room)
        await join(a, room, "alice")
        await join(b, room, "bob")
        await talk(room, ((x, "xavier"), (a, "alice"), (b, "bob")))
        await bye(x, a, b)
    run(c, scenario())


def test_domain_with_a_certificate_for_another_name_uses_dialback(c):
    """badcert.test shows a certificate for elsewhere.test: Prosody
    cannot take SASL EXTERNAL from it and verifies it by dialback
    (XEP-0220), asking xmppd.test's server back; messages go both ways."""
    s, p = c.xmppd, c.prosody
    mark = s.mark()

    async def scenario():
        d, a = user(c, DORA), user(c, ALICE)
        await connected(d, a)
        await chat(d, a, DORA, ALICE, "from badcert by dialback")
        await chat(a, d, ALICE, DORA, "to badcert")
        await bye(d, a)
    run(c, scenario())
    s.wait_log(r"s2s outbound connection \d+ to prosody\.test: "
               r"authenticated by dialback", after=mark)
    s.wait_log(r"dialback: a key for prosody\.test from badcert\.test "
               r"is ours", after=mark)
    p.wait_log(r"Incoming s2s connection badcert\.test->prosody\.test "
               r"complete")
    assert not p.log_has(r"Accepting SASL EXTERNAL identity from "
                         r"badcert\.test")


def test_domain_requiring_certificates_refuses_an_untrusted_peer(c):
    """rogue.test's certificate comes from a CA nobody trusts: strict.test
    (federation require certificates) takes nothing from it and sends it
    nothing, while xmppd.test takes it by dialback."""
    fed, s = c.fed, c.xmppd
    rogue = fed.prosody("rogue.test", secure=False, dialback=True,
                        cert=fed.certificate("rogue.test",
                                             ca=fed.untrusted()))
    fed.start()
    rogue.add_user(CAROL, "carol-pw")
    mark = s.mark()

    async def scenario():
        x, m = user(c, XAVIER), user(c, SAM)
        carol = client(CAROL + "/fed", "carol-pw", rogue.ports["client"],
                       fed.untrusted().crt, c.loop)
        await connected(x, m, carol)
        for a, b_jid in ((carol, SAM), (m, CAROL)):
            a.send_message(mto=b_jid, mbody="refused", mtype="chat")
            r = await asyncio.wait_for(message_from(a, b_jid), TIMEOUT)
            assert r["type"] == "error", r
        # Not strict: the same peer is taken by dialback.
        await chat(carol, x, CAROL, XAVIER, "to xmppd.test")
        # Sam got nothing of Carol's: the first message he has is
        # Xavier's.
        await chat(x, m, XAVIER, SAM, "after")
        await bye(x, m, carol)
    run(c, scenario())
    s.wait_log(r"s2s inbound connection \d+ from rogue\.test: stream "
               r"error not-authorized: Certificates are required",
               after=mark)
    s.wait_log(r"s2s outbound connection \d+ to rogue\.test: its "
               r"certificate is not good, and certificates are required",
               after=mark)
    assert not s.log_has(r"rogue\.test authenticated by \S+ for "
                         r"strict\.test", after=mark)


def raw_peer(c, to, claim):
    """A raw server stream to xmppd's s2s port, to to, claiming to be
    claim, after STARTTLS (no certificate shown): its features."""
    r = Raw(c.xmppd.ports["server"], sni=to)
    hdr = ("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
           "xmlns:db='jabber:server:dialback' xmlns:stream="
           "'http://etherx.jabber.org/streams' version='1.0' "
           "from='%s' to='%s'>" % (claim, to))
    r.send(hdr)
    r.expect(r"<starttls")
    r.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    r.expect(r"<proceed[^>]*/>")
    r.sock = tls_context().wrap_socket(r.sock, server_hostname=to)
    r.buf = ""
    r.send(hdr)
    r.expect(r"</stream:features>")
    return r


def test_peer_cannot_speak_for_our_muc_service(c):
    """The muc service is a name of ours: a peer that claims it in its
    header or its dialback is cut with invalid-from; one that names it as
    the stream's to but proves nothing cannot send to a room, and a key
    it made up for prosody.test is refused when Prosody, asked, says it
    never made it.  The room sees none of it."""
    room = "keep@" + XMUC
    s = c.xmppd
    mark = s.mark()
    r = Raw(s.ports["server"], sni=XMUC)
    r.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
           "xmlns:stream='http://etherx.jabber.org/streams' "
           "version='1.0' from='%s' to='xmppd.test'>" % XMUC)
    r.expect(r"<invalid-from")
    r.closed()
    r = raw_peer(c, "xmppd.test", "evil.test")
    r.send("<db:result from='%s' to='xmppd.test'>%s</db:result>"
           % (XMUC, "ab" * 32))
    r.expect(r"<invalid-from")
    r.closed()
    r = raw_peer(c, XMUC, "evil.test")
    r.send("<presence from='mallory@evil.test/x' to='%s/mallory'/>" % room)
    r.expect(r"<not-authorized")
    r.closed()
    r = raw_peer(c, XMUC, "prosody.test")
    r.send("<db:result from='prosody.test' to='%s'>%s</db:result>"
           % (XMUC, "cd" * 32))
    r.expect(r"<(db:)?result[^>]*type='invalid'", timeout=30)
    r.expect(r"<not-authorized")
    r.closed()
    s.wait_log(r"dialback: prosody\.test for %s not verified"
               % re.escape(XMUC), after=mark)

    async def scenario():
        # The room was never made by any of it: Xavier creates it now.
        x = user(c, XAVIER)
        await connected(x)
        p = await join(x, room, "xavier")
        codes = [e.get("code") for e in p.xml.findall(
            "{%s}x/{%s}status" % (NS_MUC_USER, NS_MUC_USER))]
        assert "201" in codes, p
        await bye(x)
    run(c, scenario())
    assert not s.log_has(r"mallory", after=mark)


def test_remote_user_cannot_set_a_vcard_here(c):
    """A vCard set for xmppd's user from a remote user is forbidden
    (XEP-0054: the owner alone publishes), and the vCard stays."""
    plugins = ("xep_0054",)

    async def scenario():
        x, a = user(c, XAVIER, plugins), user(c, ALICE, plugins)
        await connected(x, a)
        v = x["xep_0054"].make_vcard()
        v["FN"] = "Xavier himself"
        await x["xep_0054"].publish_vcard(v, timeout=TIMEOUT)
        iq = a.make_iq_set(ito=XAVIER)
        q = ET.SubElement(iq.xml, "{%s}vCard" % NS_VCARD)
        ET.SubElement(q, "{%s}FN" % NS_VCARD).text = "Mallory was here"
        try:
            r = await iq.send(timeout=TIMEOUT)
        except Exception as e:
            r = getattr(e, "iq", None)
        assert r is not None and r["type"] == "error" and \
            r["error"]["condition"] == "forbidden", r
        r = await a["xep_0054"].get_vcard(XAVIER, cached=False,
                                          timeout=TIMEOUT)
        assert r["vcard_temp"]["FN"] == "Xavier himself", r
        await bye(x, a)
    run(c, scenario())


def test_room_drops_an_occupant_whose_server_is_gone(c):
    """gone.test's user sits in a room of mucd; then its server dies
    (killed, saying nothing).  What the room next sends her cannot be
    delivered: mucd hears so and drops her, and the other occupant sees
    her leave, instead of a ghost staying in the room."""
    fed, s = c.fed, c.xmppd
    room = "ghosts@" + XMUC
    gone = fed.prosody("gone.test", secure=True, dialback=False)
    fed.start()
    gone.add_user("gina@gone.test", "gina-pw")

    async def scenario():
        x = user(c, XAVIER)
        g = client("gina@gone.test/fed", "gina-pw", gone.ports["client"],
                   fed.ca_file, c.loop)
        await connected(x, g)
        await join(x, room, "xavier")
        await instant(x, room)
        await join(g, room, "gina")
        p = await asyncio.wait_for(presence_from(x, room), TIMEOUT)
        assert p["from"].resource == "gina", p
        mark = s.mark()
        gone.kill()
        # Both streams with gone.test end before the room speaks again.
        rx = re.compile(r"s2s connection \d+ with gone\.test: ")
        with s.cond:
            assert s.cond.wait_for(lambda: len(
                [1 for line in s.lines[mark:] if rx.search(line)]) >= 2,
                TIMEOUT), s.log_tail()
        x.send_message(mto=room, mbody="anyone there?", mtype="groupchat")
        p = await asyncio.wait_for(presence_from(x, room, "unavailable"),
                                   TIMEOUT)
        assert p["from"].resource == "gina", p
        await bye(x)
        g.abort()
    run(c, scenario())


def test_ejabberd_with_dialback_takes_the_domain_by_dialback(c):
    """ejabberd does dialback only when configured for it (XEP-0220,
    mod_s2s_dialback): one that is takes badcert.test, whose certificate
    names another domain, by dialback both ways, and messages cross."""
    fed, s = c.fed, c.xmppd
    e = fed.ejabberd("dialback.test", dialback=True)
    fed.start()
    e.add_user("erin@dialback.test", "erin-pw")
    mark = s.mark()

    async def scenario():
        d = user(c, DORA)
        erin = client("erin@dialback.test/fed", "erin-pw", e.ports["client"],
                      fed.ca_file, c.loop)
        await connected(d, erin)
        await chat(d, erin, DORA, "erin@dialback.test", "to ejabberd")
        await chat(erin, d, "erin@dialback.test", DORA, "to badcert")
        await bye(d, erin)
    run(c, scenario())
    e.wait_log(r"Accepted inbound s2s dialback authentication "
               r"badcert\.test -> dialback\.test")
    s.wait_log(r"s2s outbound connection \d+ to dialback\.test: "
               r"authenticated by dialback", after=mark)
    assert not e.log_has(r"Accepted inbound s2s EXTERNAL authentication "
                         r"badcert\.test")
