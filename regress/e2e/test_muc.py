"""Group chat (XEP-0045) in mucd, end to end: real clients (slixmpp's
xep_0045 plugin) and raw sockets join rooms, talk, change nicks and
leave; the status codes, nick rules, limits and errors of the core; a
session that is gone leaving its rooms; persistent rooms across a kill -9
of mucd, after which clients are told to rejoin."""

import asyncio
import os
import re
import signal
import ssl
import time

from slixmpp import ClientXMPP

from muctest import muc_db
from rawxmpp import Raw
from xmppdtest import Server, add_user

MUC = "conference.example.org"
KEEP = "persist.example.org"
ADMINS = "admins.example.org"
SMALL = "small.example.org"
USERS = ("alice", "bob", "carol", "dave", "erin")
NS_MUC = "http://jabber.org/protocol/muc"
NS_USER = NS_MUC + "#user"



def services(small=True):
    # The ghost test creates 300 rooms.
    conf = ('muc "%s" {\n\trooms per user 1000\n}\n'
            'muc "%s" {\n\trooms persistent\n}\n'
            'muc "%s" {\n\tcreate rooms admins\n}\n' % (MUC, KEEP, ADMINS))
    if small:
        conf += ('muc "%s" {\n\toccupants per room 2\n'
                 '\trooms per user 2\n\tmessage rate 3 per 1h\n}\n' % SMALL)
    return conf


def write_conf(s, small=True):
    base = s.base_conf().replace(
        "\tauth internal\n", '\tauth internal\n\tadmin "alice@example.org"\n')
    s.write_conf(raw=base + services(small))


def setup():
    s = Server(prefork=1)
    write_conf(s)
    s.start()
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    return s


def teardown(s):
    s.stop()


def login(s, user, res="r"):
    c = Raw(s.ports["client"])
    c.login(user, user + "-pw", res)
    return c


def upto(c, pattern, timeout=10):
    """Read until pattern; returns (what came before it, the match)."""
    m = c.expect(r"(.*?)(%s)" % pattern, timeout)
    return m.group(1), m


def pres(c, frm, extra=r"", timeout=10):
    """The next presence from frm (a full occupant JID), as text."""
    return c.expect(r"<presence[^>]*from='%s'%s.*?</presence>" %
                    (re.escape(frm), extra), timeout).group(0)


def join(c, room, nick, inner=""):
    c.send("<presence to='%s/%s'><x xmlns='%s'/>%s</presence>" %
           (room, nick, NS_MUC, inner))


def self_presence(c):
    return c.expect(r"<presence[^>]*>(?:(?!</presence>).)*"
                    r"<status code='110'/>.*?</presence>").group(0)


def error_of(c, kind="presence"):
    return c.expect(r"<%s[^>]*type='error'.*?</%s>" % (kind, kind)).group(0)


def instant(c, room, iqid="inst"):
    c.send("<iq type='set' id='%s' to='%s'><query xmlns='%s#owner'>"
           "<x xmlns='jabber:x:data' type='submit'/></query></iq>" %
           (iqid, room, NS_MUC))
    r = c.expect(r"<iq[^>]*id='%s'[^>]*(?:/>|>.*?</iq>)" % iqid).group(0)
    assert "type='result'" in r, r


def create(c, room, nick):
    """Create room (instant) with c as its owner."""
    join(c, room, nick)
    p = self_presence(c)
    assert "code='201'" in p and "affiliation='owner'" in p, p
    instant(c, room)


def codes(p):
    return sorted(int(x) for x in re.findall(r"<status code='(\d+)'/>", p))


def mucd_pid(s):
    return s.pid_of("mucd")


# -- real clients ---------------------------------------------------------

def slix(user, loop):
    c = ClientXMPP("%s@example.org/slix" % user, user + "-pw")
    c.loop = loop
    c.register_plugin("xep_0045")
    c.register_plugin("xep_0004")
    c.ssl_context.check_hostname = False
    c.ssl_context.verify_mode = ssl.CERT_NONE
    c.started = loop.create_future()
    c.add_event_handler("session_start",
                        lambda e: c.started.done() or c.started.set_result(1))
    c.inbox = asyncio.Queue()
    c.add_event_handler("groupchat_message", c.inbox.put_nowait)
    c.pms = asyncio.Queue()
    c.add_event_handler("message", lambda m: m["type"] in ("chat", "normal")
                        and c.pms.put_nowait(m))
    return c


async def slix_join(c, room, nick):
    """Join with the plugin's stanza and wait for its self-presence (its
    join_muc_wait also waits for a subject, which is not ours to send)."""
    muc = c.plugin["xep_0045"]
    done = c.loop.create_future()
    c.add_event_handler("muc::%s::self-presence" % room,
                        lambda p: done.done() or done.set_result(p))
    c.add_event_handler("muc::%s::presence-error" % room,
                        lambda p: done.done() or done.set_result(p))
    p = c.make_presence(pto="%s/%s" % (room, nick))
    p.enable("muc_join")
    muc.rooms[room] = {}
    muc.our_nicks[room] = nick
    p.send()
    return await asyncio.wait_for(done, 10)


async def until(c, room, pred, timeout=10):
    """Wait until pred() holds of what client c knows of room: slixmpp
    updates its room roster from each room presence, then fires the
    room's presence event, which is when pred is looked at again."""
    changed = asyncio.Event()

    def seen(p):
        changed.set()

    c.add_event_handler("muc::%s::presence" % room, seen)
    try:
        deadline = time.monotonic() + timeout
        while not pred():
            changed.clear()
            await asyncio.wait_for(changed.wait(),
                                   max(0.1, deadline - time.monotonic()))
    finally:
        c.del_event_handler("muc::%s::presence" % room, seen)


def roster_is(c, room, nicks):
    muc = c.plugin["xep_0045"]
    return until(c, room, lambda: sorted(muc.get_roster(room)) == nicks)


async def slix_scenario(port):
    loop = asyncio.get_event_loop()
    room = "slix@" + MUC
    cs = [slix(u, loop) for u in ("alice", "bob", "carol", "dave")]
    for c in cs:
        c.connect(("127.0.0.1", port))
    await asyncio.wait_for(asyncio.gather(*(c.started for c in cs)), 20)
    alice, bob, carol, dave = cs
    p = await slix_join(alice, room, "Alice")
    assert p["type"] != "error" and 201 in p["muc"]["status_codes"], p
    form = alice.plugin["xep_0004"].make_form(ftype="submit")
    await alice.plugin["xep_0045"].set_room_config(room, form)
    for c, nick in ((bob, "Bob"), (carol, "Carol"), (dave, "Dave")):
        p = await slix_join(c, room, nick)
        assert p["type"] != "error", p
        assert p["muc"]["role"] == "participant", p
    muc = alice.plugin["xep_0045"]
    await roster_is(alice, room, ["Alice", "Bob", "Carol", "Dave"])
    # Alice moderates a semi-anonymous room: she sees real JIDs.
    assert muc.get_jid_property(room, "Bob", "jid") == \
        "bob@example.org/slix"
    assert not dave.plugin["xep_0045"].get_jid_property(room, "Bob", "jid")

    for c in cs:
        c.send_message(mto=room, mbody="hello from %s" % c.boundjid.user,
                       mtype="groupchat")
    for c in cs:
        got = []
        for _ in cs:
            m = await asyncio.wait_for(c.inbox.get(), 10)
            assert m["from"].bare == room, m
            sid = m.xml.find("{urn:xmpp:sid:0}stanza-id")
            assert sid is not None and sid.get("by") == room, m
            assert sid.get("id"), m
            got.append((m["from"].resource, m["body"]))
        assert sorted(got) == sorted(
            (n, "hello from %s" % u) for n, u in
            (("Alice", "alice"), ("Bob", "bob"), ("Carol", "carol"),
             ("Dave", "dave"))), got

    # A private message, and the nick change of its sender.
    dave.send_message(mto=room + "/Alice", mbody="psst", mtype="chat")
    m = await asyncio.wait_for(alice.pms.get(), 10)
    assert m["from"] == room + "/Dave" and m["body"] == "psst", m
    assert m.xml.find("{%s}x" % NS_USER) is not None, m
    p = carol.make_presence(pto=room + "/Caroline")
    p.send()
    await roster_is(alice, room, ["Alice", "Bob", "Caroline", "Dave"])
    carol.send_message(mto=room, mbody="renamed", mtype="groupchat")
    m = await asyncio.wait_for(bob.inbox.get(), 10)
    assert m["from"] == room + "/Caroline" and m["body"] == "renamed", m

    bob.plugin["xep_0045"].leave_muc(room, "Bob", "bye")
    await roster_is(alice, room, ["Alice", "Caroline", "Dave"])
    for c in cs:
        c.disconnect()
    await asyncio.gather(*(c.disconnected for c in cs))


def run_slix(scenario, port, timeout=60):
    """Run scenario(port) in a loop of its own; what the clients leave
    running is cancelled."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(scenario(port), timeout))
    finally:
        left = asyncio.all_tasks(loop)
        for t in left:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*left,
                                               return_exceptions=True))
        loop.close()


def test_slixmpp_four_occupants(s):
    run_slix(slix_scenario, s.ports["client"])


# -- raw clients: joining ---------------------------------------------------

def test_create_join_status_codes(s):
    room = "codes@" + MUC
    a, b, c = login(s, "alice"), login(s, "bob"), login(s, "carol")
    join(a, room, "Alice")
    p = self_presence(a)
    assert codes(p) == [110, 201], p
    assert "affiliation='owner'" in p and "role='moderator'" in p, p
    # Locked until its owner configures it (XEP-0045 section 7.2.8).
    join(b, room, "Bob")
    e = error_of(b)
    assert "<item-not-found" in e and "<x xmlns='%s'/>" % NS_MUC in e, e
    instant(a, room)
    join(b, room, "Bob", "<status>here</status>")
    # Others first, then itself: no real JID to a participant.
    before, m = upto(b, r"<presence[^>]*from='%s/Bob'.*?</presence>" % room)
    assert "from='%s/Alice'" % room in before, before
    assert "jid=" not in before, before
    p = m.group(2)
    assert codes(p) == [110], p
    assert "<status>here</status>" in p and "role='participant'" in p, p
    # The moderator sees Bob's real JID.
    p = pres(a, room + "/Bob")
    assert "jid='bob@example.org/r'" in p and codes(p) == [], p
    # A nick is taken as prepared (Resourceprep, NFKC).
    join(c, room, "\uFB00c")
    p = self_presence(c)
    assert "from='%s/ffc'" % room in p and codes(p) == [110], p
    for x in (a, b, c):
        x.close()


def test_nick_conflicts_fold_case_and_width(s):
    room = "nicks@" + MUC
    a, b, c = login(s, "alice"), login(s, "bob"), login(s, "carol")
    create(a, room, "Alice")
    join(b, room, "Bob")
    self_presence(b)
    for nick in ("BOB", "bob", "\uFF42\uFF4F\uFF42", "alice"):
        join(c, room, nick)
        e = error_of(c)
        assert "<conflict" in e and "type='cancel'" in e, (nick, e)
    # Bob's nick change to Alice's is refused too, and he keeps his.
    b.send("<presence to='%s/ALICE'/>" % room)
    assert "<conflict" in error_of(b)
    b.send("<message to='%s' type='groupchat'><body>still Bob</body>"
           "</message>" % room)
    b.expect(r"<message[^>]*from='%s/Bob'.*?still Bob" % room)
    for x in (a, b, c):
        x.close()


def test_bad_nicks(s):
    room = "badnicks@" + MUC
    a, b = login(s, "alice"), login(s, "bob")
    create(a, room, "Alice")
    for nick in ("   ", "x" * 1000, "y" * 65):
        join(b, room, nick)
        e = error_of(b)
        assert "<not-acceptable" in e, (len(nick), e)
    # No nick at all (XEP-0045 section 7.2.1).
    b.send("<presence to='%s'><x xmlns='%s'/></presence>" % (room, NS_MUC))
    assert "<jid-malformed" in error_of(b)
    join(b, room, "z" * 64)
    assert "from='%s/%s'" % (room, "z" * 64) in self_presence(b)
    # Nor does a creator get a room with a bad nick.
    join(b, "spaces@" + MUC, " ")
    assert "<not-acceptable" in error_of(b)
    join(a, "spaces@" + MUC, "Alice")
    assert codes(self_presence(a)) == [110, 201]
    a.close()
    b.close()


def test_multi_session_one_nick(s):
    room = "multi@" + MUC
    a = login(s, "alice")
    b1, b2 = login(s, "bob", "one"), login(s, "bob", "two")
    create(a, room, "Alice")
    join(b1, room, "Bob")
    self_presence(b1)
    pres(a, room + "/Bob")
    join(b2, room, "bob")
    p = self_presence(b2)
    assert "from='%s/Bob'" % room in p, p
    # Still one occupant for Alice: an update, never a second nick.
    pres(a, room + "/Bob")
    a.send("<message to='%s' type='groupchat' id='g1'><body>both?</body>"
           "</message>" % room)
    for x in (b1, b2):
        x.expect(r"<message[^>]*from='%s/Alice'.*?both\?" % room)
    a.send("<message to='%s/Bob' type='chat'><body>pm both</body>"
           "</message>" % room)
    for x in (b1, b2):
        x.expect(r"<message[^>]*from='%s/Alice'.*?pm both" % room)
    # Either session speaks as Bob.
    b2.send("<message to='%s' type='groupchat'><body>from two</body>"
            "</message>" % room)
    a.expect(r"<message[^>]*from='%s/Bob'.*?from two" % room)
    # One session leaves: only it hears so.
    b1.send("<presence to='%s/Bob' type='unavailable'/>" % room)
    p = b1.expect(r"<presence[^>]*type='unavailable'.*?</presence>").group(0)
    assert 110 in codes(p), p
    b2.send("<message to='%s' type='groupchat'><body>after one</body>"
            "</message>" % room)
    before, _ = upto(a, r"<message[^>]*from='%s/Bob'.*?after one" % room)
    assert "type='unavailable'" not in before, before
    b2.send("<presence to='%s/Bob' type='unavailable'/>" % room)
    pres(a, room + "/Bob", r"[^>]*type='unavailable'")
    for x in (a, b1, b2):
        x.close()


def test_multi_session_nick_change(s):
    room = "multinick@" + MUC
    a = login(s, "alice")
    b1, b2 = login(s, "bob", "one"), login(s, "bob", "two")
    create(a, room, "Alice")
    for x in (b1, b2):
        join(x, room, "Bob")
        self_presence(x)
        pres(a, room + "/Bob")
    # The same nick in other letters: the occupant, both sessions, renamed.
    b1.send("<presence to='%s/BOB'/>" % room)
    for x in (a, b1, b2):
        p = pres(x, room + "/Bob", r"[^>]*type='unavailable'")
        assert "nick='BOB'" in p and 303 in codes(p), p
        pres(x, room + "/BOB")
    # Another nick: that session alone leaves for an occupant of its own.
    b2.send("<presence to='%s/Robert'/>" % room)
    p = pres(b2, room + "/BOB", r"[^>]*type='unavailable'")
    assert codes(p) == [110, 303] and "nick='Robert'" in p, p
    p = pres(b2, room + "/Robert")
    assert codes(p) == [110], p
    before, m = upto(a, r"<presence[^>]*from='%s/Robert'.*?</presence>" %
                     room)
    assert "type='unavailable'" not in before, before
    a.send("<message to='%s' type='groupchat'><body>two of them</body>"
           "</message>" % room)
    for x in (b1, b2):
        x.expect(r"two of them")
    a.send("<message to='%s/BOB' type='chat'><body>one only</body>"
           "</message>" % room)
    b1.expect(r"<message[^>]*from='%s/Alice'.*?one only" % room)
    a.send("<message to='%s/Robert' type='chat'><body>the other</body>"
           "</message>" % room)
    before, _ = upto(b2, r"the other")
    assert "one only" not in before, before
    for x in (a, b1, b2):
        x.close()


def test_nick_change_and_leave(s):
    room = "rename@" + MUC
    a, b = login(s, "alice"), login(s, "bob")
    create(a, room, "Alice")
    join(b, room, "Bob")
    self_presence(b)
    pres(a, room + "/Bob")
    b.send("<presence to='%s/Robert'><show>away</show></presence>" % room)
    for x, me in ((a, False), (b, True)):
        p = pres(x, room + "/Bob", r"[^>]*type='unavailable'")
        assert "nick='Robert'" in p, p
        assert codes(p) == ([110, 303] if me else [303]), p
        p = pres(x, room + "/Robert")
        assert "<show>away</show>" in p, p
        assert codes(p) == ([110] if me else []), p
    # Leaving with a status: everyone hears it, role none.
    b.send("<presence to='%s/Robert' type='unavailable'><status>bye"
           "</status></presence>" % room)
    for x, me in ((a, False), (b, True)):
        p = pres(x, room + "/Robert", r"[^>]*type='unavailable'")
        assert "<status>bye</status>" in p and "role='none'" in p, p
        assert codes(p) == ([110] if me else []), p
    # The last occupant of a temporary room leaving destroys it.
    a.send("<presence to='%s/Alice' type='unavailable'/>" % room)
    pres(a, room + "/Alice", r"[^>]*type='unavailable'")
    join(b, room, "Bob")
    assert codes(self_presence(b)) == [110, 201]
    a.close()
    b.close()


# -- who is not in the room ---------------------------------------------------

def test_non_occupant_is_told_to_rejoin(s):
    room = "outside@" + MUC
    a, c = login(s, "alice"), login(s, "carol")
    create(a, room, "Alice")
    c.send("<message to='%s' type='groupchat' id='n1'><body>x</body>"
           "</message>" % room)
    e = error_of(c, "message")
    assert "<not-acceptable" in e and "id='n1'" in e, e
    c.send("<message to='%s/Alice' type='chat' id='n2'><body>x</body>"
           "</message>" % room)
    assert "<not-acceptable" in error_of(c, "message")
    # XEP-0410 self-ping from one who is not in: not-acceptable.
    c.send("<iq type='get' id='n3' to='%s/Carol'><ping xmlns='urn:xmpp:"
           "ping'/></iq>" % room)
    e = c.expect(r"<iq[^>]*id='n3'.*?</iq>").group(0)
    assert "<not-acceptable" in e, e
    c.send("<iq type='get' id='n4' to='%s/Alice'><query xmlns='http://"
           "jabber.org/protocol/disco#info'/></iq>" % room)
    assert "<bad-request" in c.expect(r"<iq[^>]*id='n4'.*?</iq>").group(0)
    # Presence without the muc x from a non-occupant: kicked, 307 333.
    c.send("<presence to='%s/Carol'><show>dnd</show></presence>" % room)
    p = c.expect(r"<presence[^>]*type='unavailable'.*?</presence>").group(0)
    assert codes(p) == [110, 307, 333] and "role='none'" in p, p
    # Alice saw none of it.
    a.send("<message to='%s' type='groupchat'><body>alone</body>"
           "</message>" % room)
    before, _ = upto(a, r"alone")
    assert "Carol" not in before, before
    # Errors for the occupant's own mistakes.
    a.send("<message to='%s/Nobody' type='chat' id='n5'><body>x</body>"
           "</message>" % room)
    assert "<item-not-found" in error_of(a, "message")
    a.send("<message to='%s/Alice' type='groupchat' id='n6'><body>x"
           "</body></message>" % room)
    assert "<bad-request" in error_of(a, "message")
    a.send("<message to='nosuchroom@%s' type='groupchat' id='n7'><body>x"
           "</body></message>" % MUC)
    assert "<item-not-found" in error_of(a, "message")
    a.close()
    c.close()


def test_room_sets_from_and_strips_what_it_says(s):
    room = "forge@" + MUC
    a, b = login(s, "alice"), login(s, "bob")
    create(a, room, "Alice")
    join(b, room, "Bob")
    self_presence(b)
    pres(a, room + "/Bob")
    b.send("<message to='%s' type='groupchat' from='alice@example.org/r' "
           "id='f1'><body>forged?</body><stanza-id xmlns='urn:xmpp:sid:0' "
           "id='fake' by='%s'/><x xmlns='%s'><status code='104'/></x>"
           "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='x'/>"
           "<stanza-id xmlns='urn:xmpp:sid:0' id='other' by='b@x'/>"
           "</message>" % (room, room, NS_USER))
    m = a.expect(r"<message[^>]*id='f1'.*?</message>").group(0)
    assert "from='%s/Bob'" % room in m, m
    assert "id='fake'" not in m and "code='104'" not in m, m
    # The room's own occupant id (XEP-0421) replaces the forged one.
    assert len(re.findall(r"<occupant-id ", m)) == 1, m
    assert "id='x'" not in m and "id='other'" in m, m
    assert len(re.findall(r"by='%s'" % re.escape(room), m)) == 1, m
    # Only a moderator changes the subject here (muc#roomconfig default).
    b.send("<message to='%s' type='groupchat' id='s1'><subject>mine"
           "</subject></message>" % room)
    e = error_of(b, "message")
    assert "<forbidden" in e and "id='s1'" in e, e
    a.send("<message to='%s' type='groupchat' id='s3'><subject>%s"
           "</subject></message>" % (room, "\u00e9" * 1025))
    e = error_of(a, "message")
    assert "<not-acceptable" in e and "id='s3'" in e, e
    # subject length 1024 counts characters, not bytes.
    a.send("<message to='%s' type='groupchat' id='s2'><subject>%s"
           "</subject></message>" % (room, "\u00e9" * 1024))
    m = b.expect(r"<message[^>]*id='s2'.*?</message>").group(0)
    assert "from='%s/Alice'" % room in m and "\u00e9" * 1024 in m, m
    # A presence cannot claim status codes or items either.
    b.send("<presence to='%s/Bob'><x xmlns='%s'><item affiliation='owner' "
           "role='moderator'/><status code='110'/></x></presence>" %
           (room, NS_USER))
    p = pres(a, room + "/Bob")
    assert "affiliation='none'" in p and codes(p) == [], p
    a.close()
    b.close()


# -- sessions that are gone -----------------------------------------------

def test_dropped_connection_leaves(s):
    room = "drop@" + MUC
    a, b = login(s, "alice"), login(s, "bob")
    create(a, room, "Alice")
    join(b, room, "Bob")
    self_presence(b)
    pres(a, room + "/Bob")
    b.sock.close()      # TCP gone, no </stream:stream>
    p = pres(a, room + "/Bob", r"[^>]*type='unavailable'")
    assert "role='none'" in p, p
    a.close()


def test_error_from_occupant_removes_it_333(s):
    room = "bounce@" + MUC
    a, b, c = login(s, "alice"), login(s, "bob"), login(s, "carol")
    create(a, room, "Alice")
    for x, n in ((b, "Bob"), (c, "Carol")):
        join(x, room, n)
        self_presence(x)
        pres(a, "%s/%s" % (room, n))
    # A client error that does not mean it is gone changes nothing.
    c.send("<message to='%s/Alice' type='error'><error type='cancel'>"
           "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-"
           "stanzas'/></error></message>" % room)
    b.send("<presence to='%s' type='error'><error type='cancel'>"
           "<recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-"
           "stanzas'/></error></presence>" % room)
    p = pres(a, room + "/Bob", r"[^>]*type='unavailable'")
    assert codes(p) == [333], p
    a.send("<message to='%s' type='groupchat'><body>who is here</body>"
           "</message>" % room)
    before, _ = upto(c, r"who is here")
    assert "from='%s/Carol'" % room not in before, before
    for x in (a, b, c):
        x.close()


def test_ghost_of_a_dropped_session_333(s):
    """The router forgets the rooms of a session past its directed
    presence bound (256, router_presence.c): dropped, the session stays
    in the rooms it did not tell, a ghost.  What the room sends it comes
    back undeliverable and the room lets it go (333)."""
    e, b = login(s, "erin"), login(s, "bob")
    n = 300
    for i in range(n):
        join(e, "ghost%d@%s" % (i, MUC), "Erin")
    for i in range(n):
        e.expect(r"<presence[^>]*from='ghost%d@%s/Erin'" % (i, MUC))
    last = "ghost%d@%s" % (n - 1, MUC)
    instant(e, last)
    join(b, last, "Bob")
    self_presence(b)
    m = s.mark()
    e.sock.close()
    s.wait_log(r"session erin@example.org/r ended", after=m)
    b.send("<message to='%s' type='groupchat'><body>anyone?</body>"
           "</message>" % last)
    b.expect(r"<message[^>]*from='%s/Bob'.*?anyone\?" % last)
    p = pres(b, last + "/Erin", r"[^>]*type='unavailable'")
    assert codes(p) == [333], p
    b.close()


# -- limits and who may create ----------------------------------------------

def test_limits_of_a_service(s):
    room = "full@" + SMALL
    a, b, c = login(s, "alice"), login(s, "bob"), login(s, "carol")
    create(a, room, "Alice")
    join(b, room, "Bob")
    self_presence(b)
    join(c, room, "Carol")
    e = error_of(c)
    assert "<service-unavailable" in e and "type='wait'" in e, e
    # message rate 3 per 1h
    for i in range(3):
        b.send("<message to='%s' type='groupchat' id='r%d'><body>%d</body>"
               "</message>" % (room, i, i))
        b.expect(r"<message[^>]*id='r%d'" % i)
    b.send("<message to='%s' type='groupchat' id='r3'><body>3</body>"
           "</message>" % room)
    e = error_of(b, "message")
    assert "<resource-constraint" in e and "type='wait'" in e, e
    b.send("<message to='%s/Alice' type='chat' id='r4'><body>4</body>"
           "</message>" % room)
    assert "<resource-constraint" in error_of(b, "message")
    # rooms per user 2; the domain's admin (alice) is not bound.
    for r in ("c1", "c2"):
        create(c, "%s@%s" % (r, SMALL), "Carol")
    join(c, "c3@" + SMALL, "Carol")
    e = error_of(c)
    assert "<not-allowed" in e, e
    for r in ("a1", "a2", "a3"):
        create(a, "%s@%s" % (r, SMALL), "Alice")
    for x in (a, b, c):
        x.close()


def test_create_rooms_admins_per_service(s):
    a, b = login(s, "alice"), login(s, "bob")
    join(b, "adm@" + ADMINS, "Bob")
    e = error_of(b)
    assert "<not-allowed" in e and "type='cancel'" in e, e
    # The same name on another service is another room, Bob's.
    join(b, "adm@" + MUC, "Bob")
    assert codes(self_presence(b)) == [110, 201]
    join(a, "adm@" + ADMINS, "Alice")
    assert codes(self_presence(a)) == [110, 201]
    a.close()
    b.close()


# -- bad input --------------------------------------------------------------

def test_hostile_input_answered_mucd_lives(s):
    pid = mucd_pid(s)
    room = "hostile@" + MUC
    a = login(s, "alice")
    create(a, room, "Alice")
    probes = [
        ("<iq type='get' id='h1' to='%s'/>" % room, "bad-request"),
        ("<iq type='set' id='h2' to='%s'><query xmlns='urn:nowhere'/></iq>"
         % room, "service-unavailable"),
        ("<iq type='get' id='h3' to='nosuch@%s'><query xmlns='http://"
         "jabber.org/protocol/disco#info'/></iq>" % MUC, "item-not-found"),
        ("<iq type='get' id='h4' to='%s'><query xmlns='urn:nowhere'/></iq>"
         % MUC, "service-unavailable"),
        ("<message to='%s' id='h5'><body>normal</body></message>" % room,
         "bad-request"),
        ("<message to='%s' id='h6'><body>x</body></message>" % MUC,
         "service-unavailable"),
        ("<presence to='%s/Alice' id='h7'>%s</presence>" %
         (room, "<status>%s</status>" % ("s" * 1000) * 20),
         "policy-violation"),
    ]
    for stanza, cond in probes:
        a.send(stanza)
        kind = stanza[1:stanza.index(" ")]
        e = a.expect(r"<%s[^>]*type='error'.*?</%s>" % (kind, kind)).group(0)
        assert "<%s " % cond in e or "<%s/>" % cond in e, (stanza[:60], e)
    # Not a member of muc#owner: forbidden, the room unchanged.
    b = login(s, "bob")
    b.send("<iq type='set' id='h8' to='%s'><query xmlns='%s#owner'><x "
           "xmlns='jabber:x:data' type='cancel'/></query></iq>" %
           (room, NS_MUC))
    assert "<forbidden" in b.expect(r"<iq[^>]*id='h8'.*?</iq>").group(0)
    # Unknown presence types and results are dropped; errors never
    # answered; the room works on.
    for x in ("<presence to='%s/Alice' type='probe'/>" % room,
              "<presence to='%s/Alice' type='subscribe'/>" % room,
              "<iq type='result' id='h9' to='%s'/>" % room,
              "<message to='%s' type='error'><body>x</body></message>" %
              room):
        b.send(x)
    b.send("<iq type='get' id='h10' to='%s/Alice'><ping xmlns='urn:xmpp:"
           "ping'/></iq>" % room)
    b.expect(r"<iq[^>]*id='h10'")
    a.send("<message to='%s' type='groupchat'><body>alive</body></message>"
           % room)
    a.expect(r"alive")
    assert mucd_pid(s) == pid
    a.close()
    b.close()


# -- persistence ------------------------------------------------------------

def kill_mucd(s):
    m = s.mark()
    old = mucd_pid(s)
    os.kill(old, signal.SIGKILL)
    s.wait_log(r"mucd 0 \(pid %d\) killed by signal 9" % old, after=m)
    s.wait_log(r"mucd 0 ready", after=m)
    s.wait_muc_db(after=m)


def test_persistent_room_survives_kill9(s):
    room = "keep@" + KEEP
    a, b = login(s, "alice"), login(s, "bob")
    create(a, room, "Alice")
    join(b, room, "Bob")
    self_presence(b)
    pres(a, room + "/Bob")
    kill_mucd(s)
    # The occupants are forgotten: each is told so and rejoins.
    b.send("<message to='%s' type='groupchat' id='k1'><body>lost?</body>"
           "</message>" % room)
    assert "<not-acceptable" in error_of(b, "message")
    a.send("<iq type='get' id='k2' to='%s/Alice'><ping xmlns='urn:xmpp:"
           "ping'/></iq>" % room)
    assert "<not-acceptable" in a.expect(r"<iq[^>]*id='k2'.*?</iq>").group(0)
    b.send("<presence to='%s/Bob'><show>away</show></presence>" % room)
    p = b.expect(r"<presence[^>]*type='unavailable'.*?</presence>").group(0)
    assert codes(p) == [110, 307, 333], p
    # The room and Alice's ownership came back, unlocked: no 201.
    join(b, room, "Bob")
    p = self_presence(b)
    assert codes(p) == [110] and "affiliation='none'" in p, p
    join(a, room, "Alice")
    p = self_presence(a)
    assert codes(p) == [110] and "affiliation='owner'" in p, p
    a.send("<message to='%s' type='groupchat'><body>back</body></message>"
           % room)
    b.expect(r"<message[^>]*from='%s/Alice'.*?back" % room)
    # Affiliations and settings are read back from the database.
    db = muc_db(s)
    rid = db.execute("SELECT id FROM rooms WHERE service = ? AND name = ?",
                     (KEEP, "keep")).fetchone()[0]
    db.execute("INSERT INTO affiliations (room, jid, affiliation) VALUES "
               "(?, 'carol@example.org', 'outcast'), "
               "(?, 'dave@example.org', 'member')", (rid, rid))
    db.execute("UPDATE room_config SET value = '1' WHERE room = ? AND "
               "key IN ('moderated', 'whois')", (rid,))
    db.commit()
    db.close()
    kill_mucd(s)
    c, d, e = login(s, "carol"), login(s, "dave"), login(s, "erin")
    join(c, room, "Carol")
    ce = error_of(c)
    assert "<forbidden" in ce and "type='auth'" in ce, ce
    join(d, room, "Dave")
    p = self_presence(d)
    assert "affiliation='member'" in p and "role='participant'" in p, p
    # Non-anonymous now: 100, and every occupant sees real JIDs.
    assert codes(p) == [100, 110], p
    join(e, room, "Erin")
    before, m = upto(e, r"<presence[^>]*from='%s/Erin'.*?</presence>" %
                     room)
    assert "jid='dave@example.org/r'" in before, before
    p = m.group(2)
    assert "affiliation='none'" in p and "role='visitor'" in p, p
    e.send("<message to='%s' type='groupchat' id='v1'><body>x</body>"
           "</message>" % room)
    ee = error_of(e, "message")
    assert "<forbidden" in ee and "type='auth'" in ee, ee
    d.send("<message to='%s' type='groupchat'><body>member speaks</body>"
           "</message>" % room)
    e.expect(r"member speaks")
    for x in (a, b, c, d, e):
        x.close()


def test_removed_service_forgets_its_rooms(s):
    room = "gone@" + SMALL
    a = login(s, "alice")
    create(a, room, "Alice")
    for small, msg in ((False, "removed"), (True, "added")):
        write_conf(s, small)
        m = s.mark()
        s.ctl("reload")
        s.wait_log(r"muc service %s %s" % (re.escape(SMALL), msg), after=m)
    join(a, room, "Alice")
    assert codes(self_presence(a)) == [110, 201]
    a.close()
