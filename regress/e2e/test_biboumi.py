"""The Biboumi XMPP-IRC gateway attached as an external component
(XEP-0114), as deployed: Debian's biboumi with the same configuration
as in production apart from the server address, Debian's ngIRCd as the
IRC network, a slixmpp user on the XMPP side and a raw IRC user on the
other.  The user finds the gateway in service discovery as Gajim shows
it, points Biboumi at the test IRC port with its ad-hoc configure
command, joins #test%127.0.0.1@irc.example.org, talks both ways, changes
nick and leaves; Biboumi killed and started again disturbs neither the
server nor its users, and traffic resumes without a restart.

REGRESS_SERVER=prosody runs the same tests against Debian's Prosody."""

import asyncio
import os
import re
import ssl

from slixmpp import ClientXMPP
from slixmpp.exceptions import IqError

from biboumi import NAME, Biboumi
from ircd import IrcClient, Ngircd
from muctest import run_scenario
from prosody import Prosody
from xmppdtest import Server, add_user, free_port

DOMAIN = "example.org"
GATEWAY = "irc." + DOMAIN
SECRET = "gateway-secret"
NETWORK = "127.0.0.1@" + GATEWAY
ROOM = "#test%" + NETWORK
TIMEOUT = 15


class Setup:
    """The XMPP server, ngIRCd, Biboumi and the IRC user carol."""

    def __init__(self):
        self.xmpp = self.irc = self.gw = self.carol = None

    def start(self):
        if os.environ.get("REGRESS_SERVER") == "prosody":
            self.xmpp = Prosody(DOMAIN, GATEWAY, SECRET)
            # The line Prosody logs when the component's stream ends.
            self.gone = r"component disconnected: %s " % re.escape(GATEWAY)
            # Prosody's answer for a component that is away.
            self.away = "remote-server-timeout"
            self.xmpp.start()
            for u in ("alice", "bob"):
                self.xmpp.add_user("%s@%s" % (u, DOMAIN), u + "-pw")
        else:
            self.xmpp = Server(prefork=1)
            self.xmpp.ports["component"] = free_port()
            self.gone = r"component %s down$" % re.escape(GATEWAY)
            self.away = "service-unavailable"
            # The deployment's grants (ejabberd's roster: both,
            # message: outgoing, presence: roster).
            self.xmpp.write_conf(
                'component "%s" password "%s" {\n\tprivilege roster both '
                'message outgoing presence roster\n}\n'
                "listen on 127.0.0.1 port %d component\n"
                % (GATEWAY, SECRET, self.xmpp.ports["component"]))
            self.xmpp.start()
            for u in ("alice", "bob"):
                add_user(self.xmpp, "%s@%s" % (u, DOMAIN), u + "-pw")
        self.irc = Ngircd().start()
        self.gw = Biboumi(GATEWAY, SECRET, self.xmpp.ports["component"])
        self.gw.start()
        self.carol = IrcClient(self.irc.port, "carol")
        self.carol.join("#test")

    def xmpp_alive(self):
        assert self.xmpp.proc is not None and self.xmpp.proc.poll() is None, \
            "the XMPP server is gone"

    def log_tail(self, n=40):
        return "\n".join("--- %s ---\n%s" % (d.what, d.log_tail(n))
                         for d in (self.xmpp, self.gw, self.irc, self.carol)
                         if d is not None)

    def close(self):
        for d in (self.carol, self.gw, self.irc):
            if d is not None:
                d.close()
        if isinstance(self.xmpp, Server):
            self.xmpp.stop()
        elif self.xmpp is not None:
            self.xmpp.close()


def setup():
    ctx = Setup()
    try:
        ctx.start()
    except Exception:
        ctx.close()
        raise
    return ctx


def teardown(ctx):
    ctx.close()


# -- the XMPP user --------------------------------------------------------

class Inbox:
    """Every stanza a client receives, kept in order; wait() finds the
    first one after a mark that a predicate accepts."""

    def __init__(self):
        self.items = []
        self.changed = asyncio.Event()

    def add(self, stanza):
        self.items.append(stanza)
        self.changed.set()

    def mark(self):
        return len(self.items)

    async def wait(self, pred, after=0, timeout=TIMEOUT, what="stanza"):
        async def scan():
            i = after
            while True:
                while i < len(self.items):
                    if pred(self.items[i]):
                        return self.items[i]
                    i += 1
                self.changed.clear()
                await self.changed.wait()
        try:
            return await asyncio.wait_for(scan(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError("no %s within %ds; got:\n%s" % (
                what, timeout, "\n".join(str(s) for s in
                                         self.items[after:][-20:])))


def client(ctx, user):
    c = ClientXMPP("%s@%s/gajim" % (user, DOMAIN), user + "-pw")
    for p in ("xep_0004", "xep_0030", "xep_0045", "xep_0050", "xep_0199",
              "xep_0313"):
        c.register_plugin(p)
    c.ssl_context.check_hostname = False
    c.ssl_context.verify_mode = ssl.CERT_NONE
    c.inbox = Inbox()
    c.add_event_handler("message", c.inbox.add)
    c.add_event_handler("presence", c.inbox.add)
    c.started = asyncio.get_event_loop().create_future()
    c.add_event_handler("session_start", lambda e: c.started.done() or
                        c.started.set_result(True))
    c.connect(("127.0.0.1", ctx.xmpp.ports["client"]))
    return c


async def online(ctx, *users):
    cs = [client(ctx, u) for u in users]
    await asyncio.wait_for(asyncio.gather(*(c.started for c in cs)), TIMEOUT)
    for c in cs:
        c.send_presence()
    return cs


async def offline(*cs):
    for c in cs:
        c.disconnect()
    await asyncio.gather(*(c.disconnected for c in cs))


async def irc_closed(ctx, after):
    """Biboumi has closed a user's IRC connection (it quits when the
    user leaves the last channel or goes offline): until the IRC server
    has closed it, Biboumi would send a new join down the connection it
    is quitting, and lose it."""
    await asyncio.to_thread(ctx.gw.wait_log,
                            r"irc_client\.cpp:\d+:\s+Connection closed",
                            after, TIMEOUT)


async def gone(ctx, c):
    """The user goes offline, and Biboumi closes its IRC connection."""
    m = ctx.gw.mark()
    await offline(c)
    await irc_closed(ctx, m)


async def irc_wait(ctx, pattern, after):
    """A line on carol's IRC connection, waited for off the loop."""
    return await asyncio.to_thread(ctx.carol.wait_log, pattern, after,
                                   TIMEOUT)


def occupant(nick):
    return "%s/%s" % (ROOM, nick)


def presence_from(jid, ptype=None, code=None):
    def pred(s):
        if s.name != "presence" or str(s["from"]) != jid:
            return False
        if ptype is not None and s["type"] != ptype:
            return False
        return code is None or code in s["muc"]["status_codes"]
    return pred


def groupchat_from(jid, body):
    return lambda s: (s.name == "message" and s["type"] == "groupchat" and
                      str(s["from"]) == jid and s["body"] == body)


async def join(ctx, c, nick):
    """Join the channel; carol sees it on IRC; the user gets carol's
    presence and then its own (status 110)."""
    m, im = c.inbox.mark(), ctx.carol.mark()
    p = c.make_presence(pto=occupant(nick))
    p.enable("muc_join")
    p.send()
    await irc_wait(ctx, r"^:%s!\S+ JOIN :?#test$" % nick, im)
    await c.inbox.wait(presence_from(occupant("carol")), m,
                       what="carol's presence in the room")
    return await c.inbox.wait(presence_from(occupant(nick), code=110), m,
                              what="self-presence")


# -- the tests -------------------------------------------------------------

def test_gateway_in_service_discovery(ctx):
    """Gajim's service discovery: the server's items, then each item's
    info; the gateway is there with Biboumi's own identity."""
    async def scenario():
        alice, = await online(ctx, "alice")
        disco = alice["xep_0030"]
        items = await disco.get_items(jid=DOMAIN, timeout=TIMEOUT)
        jids = [i[0] for i in items["disco_items"]["items"]]
        assert GATEWAY in jids, jids
        info = await disco.get_info(jid=GATEWAY, timeout=TIMEOUT)
        ids = info["disco_info"]["identities"]
        assert ("conference", "irc", None, NAME) in ids, ids
        await offline(alice)
    run_scenario(scenario())


def test_configure_irc_port(ctx):
    """Biboumi's ad-hoc configure on the IRC server's JID: ngIRCd's port
    in plain text, no TLS ports; Biboumi keeps it in its database."""
    async def scenario():
        alice, = await online(ctx, "alice")
        iq = alice.make_iq_set(ito=NETWORK)
        iq["command"]["node"] = "configure"
        iq["command"]["action"] = "execute"
        r = await iq.send(timeout=TIMEOUT)
        assert r["command"]["status"] == "executing", r
        fields = r["command"]["form"].get_fields()
        assert "ports" in fields and "tls_ports" in fields, r
        iq = alice.make_iq_set(ito=NETWORK)
        iq["command"]["node"] = "configure"
        iq["command"]["sessionid"] = r["command"]["sessionid"]
        iq["command"]["action"] = "complete"
        form = alice["xep_0004"].make_form(ftype="submit")
        form.add_field(var="ports", ftype=fields["ports"]["type"],
                       value=[str(ctx.irc.port)])
        form.add_field(var="tls_ports", ftype=fields["tls_ports"]["type"],
                       value=[])
        iq["command"].append(form)
        r = await iq.send(timeout=TIMEOUT)
        assert r["command"]["status"] == "completed", r
        await offline(alice)
    run_scenario(scenario())


def test_join_and_talk(ctx):
    """alice joins; carol sees the join and alice's message, answers,
    and alice receives it from carol's occupant JID."""
    async def scenario():
        alice, = await online(ctx, "alice")
        await join(ctx, alice, "alice")
        im = ctx.carol.mark()
        alice.send_message(mto=ROOM, mbody="hello from xmpp",
                           mtype="groupchat")
        await irc_wait(ctx, r"^:alice!\S+ PRIVMSG #test :hello from xmpp$",
                       im)
        m = alice.inbox.mark()
        ctx.carol.say("#test", "hello from irc")
        await alice.inbox.wait(groupchat_from(occupant("carol"),
                                              "hello from irc"), m,
                               what="carol's message")
        await gone(ctx, alice)
    run_scenario(scenario())


def test_nick_change_and_part(ctx):
    """alice renames herself from XMPP, carol from IRC; each side sees
    the other's change (status 303 with the new nick); alice leaves and
    carol sees the PART."""
    async def scenario():
        alice, = await online(ctx, "alice")
        await join(ctx, alice, "alice")
        m, im = alice.inbox.mark(), ctx.carol.mark()
        alice.send_presence(pto=occupant("alice2"))
        await irc_wait(ctx, r"^:alice!\S+ NICK :?alice2$", im)
        p = await alice.inbox.wait(presence_from(occupant("alice"),
                                                 "unavailable", 303), m,
                                   what="alice's nick change")
        assert p["muc"]["item"]["nick"] == "alice2", p
        await alice.inbox.wait(presence_from(occupant("alice2"), code=110),
                               m, what="self-presence as alice2")
        m = alice.inbox.mark()
        ctx.carol.rename("carol2")
        try:
            p = await alice.inbox.wait(presence_from(occupant("carol"),
                                                     "unavailable", 303), m,
                                       what="carol's nick change")
            assert p["muc"]["item"]["nick"] == "carol2", p
            await alice.inbox.wait(presence_from(occupant("carol2")), m,
                                   what="carol2's presence")
        finally:
            await asyncio.to_thread(ctx.carol.rename, "carol")
        m, im, gm = alice.inbox.mark(), ctx.carol.mark(), ctx.gw.mark()
        alice.send_presence(pto=occupant("alice2"), ptype="unavailable")
        await irc_wait(ctx, r"^:alice2!\S+ PART #test", im)
        await alice.inbox.wait(presence_from(occupant("alice2"),
                                             "unavailable", 110), m,
                               what="alice's own departure")
        await irc_closed(ctx, gm)
        await offline(alice)
    run_scenario(scenario())


def test_gateway_answers_keepalive(ctx):
    """A quiet gateway is pinged by the server (XEP-0199) and Biboumi
    answers: it stays connected.  (Regress builds ping after 8 s.)"""
    if not isinstance(ctx.xmpp, Server):
        return      # Prosody does not ping components
    mark = ctx.xmpp.mark()
    ctx.xmpp.wait_log(r"component connection \d+: ping answered", mark, 30)
    assert GATEWAY in ctx.xmpp.ctl("show", "components").stdout
    assert not ctx.xmpp.log_has(r"connection-timeout", after=mark)


def test_gateway_killed_and_restarted(ctx):
    """kill -9 of Biboumi: alice and bob stay online and talk, the
    gateway's JIDs answer service-unavailable while it is away; Biboumi
    started again authenticates, and alice joins and talks again with
    the port configured before (Biboumi's database), without any
    restart of the server."""
    before = ctx.xmpp.processes() if isinstance(ctx.xmpp, Server) else None

    async def scenario():
        alice, bob = await online(ctx, "alice", "bob")
        await join(ctx, alice, "alice")
        mark = ctx.xmpp.mark()
        await asyncio.to_thread(ctx.gw.kill)
        await asyncio.to_thread(ctx.xmpp.wait_log, ctx.gone, mark, TIMEOUT)
        ctx.xmpp_alive()
        m = alice.inbox.mark()
        bob.send_message(mto="alice@" + DOMAIN, mbody="still here",
                         mtype="chat")
        await alice.inbox.wait(lambda s: s.name == "message" and
                               s["body"] == "still here", m,
                               what="bob's message")
        try:
            await alice["xep_0030"].get_info(jid=GATEWAY, timeout=TIMEOUT)
            raise AssertionError("the gateway answered while away")
        except IqError as e:
            cond = e.iq["error"]["condition"]
            assert cond == ctx.away, e.iq
        await asyncio.to_thread(ctx.gw.start)
        await join(ctx, alice, "alice")
        m = alice.inbox.mark()
        ctx.carol.say("#test", "welcome back")
        await alice.inbox.wait(groupchat_from(occupant("carol"),
                                              "welcome back"), m,
                               what="carol's message after the restart")
        await offline(bob)
        await gone(ctx, alice)
    run_scenario(scenario())
    ctx.xmpp_alive()
    if before is not None:
        assert ctx.xmpp.processes() == before, (before,
                                                ctx.xmpp.processes())


def test_private_message_archived(ctx):
    """carol writes to alice alone on IRC: alice receives it as a chat
    message from the gateway, and finds it in her archive (XEP-0313)
    under its sender, as a message from anyone is kept.  Last: Biboumi
    keeps an IRC connection that carried a private conversation open
    after the user leaves, which the tests before would stumble on."""
    if not isinstance(ctx.xmpp, Server):
        return      # the Prosody of this harness keeps no archive
    async def scenario():
        alice, = await online(ctx, "alice")
        await join(ctx, alice, "alice")
        m = alice.inbox.mark()
        ctx.carol.say("alice", "just for you")
        msg = await alice.inbox.wait(
            lambda s: s.name == "message" and s["type"] == "chat" and
            s["body"] == "just for you", m, what="carol's private message")
        res = await alice["xep_0313"].retrieve(with_jid=msg["from"].bare,
                                               timeout=TIMEOUT)
        bodies = [r["mam_result"]["forwarded"]["stanza"]["body"]
                  for r in res["mam"]["results"]]
        assert bodies == ["just for you"], (msg["from"], bodies)
        await offline(alice)
    run_scenario(scenario())
