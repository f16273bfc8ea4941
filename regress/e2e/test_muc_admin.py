"""Roles and affiliations in mucd (XEP-0045 sections 7.13, 8, 9, 10.3 to
10.8): the muc#admin lists and who may read them, kick and ban with their
status codes, voice and moderator status, affiliation changes and who
may make them, members-only rooms, voice requests, all-or-nothing
changes, affiliations across a kill -9 of mucd; bad input of each kind.
slixmpp's xep_0045 plugin and raw sockets, 3 to 5 occupants."""

import asyncio
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp import JID                                     # noqa: E402
from slixmpp.exceptions import IqError                      # noqa: E402

from test_muc import (codes, create, error_of, join, kill_mucd,  # noqa: E402
                      login, mucd_pid, pres, self_presence, slix,
                      slix_join, until, upto)
from xmppdtest import Server, add_user                      # noqa: E402

MUC = "conference.example.org"
KEEP = "persist.example.org"
USERS = ("alice", "bob", "carol", "dave", "erin")
NS_MUC = "http://jabber.org/protocol/muc"
NS_ADMIN = NS_MUC + "#admin"
NS_REQUEST = NS_MUC + "#request"

# Persistent rooms of alice's, set up as the configuration form would
# (not this file's to test): room -> settings.
ROOMS = {
    "club": {"members_only": "1"},
    "club2": {"members_only": "1", "whois": "1"},
    "club3": {"members_only": "1"},
    "stage": {"moderated": "1"},
    "secret": {"public": "0"},
    "vault": {},
}


def setup():
    s = Server(prefork=1)
    # Long lists are sent in few seconds.
    s.write_conf(raw=s.base_conf() + 'limits {\n\tclient rate 1M\n}\n'
                 'muc "%s" {\n\trooms per user 1000\n}\n'
                 'muc "%s" {\n\trooms persistent\n}\n' % (MUC, KEEP))
    s.start()
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    a = login(s, "alice")
    for name in ROOMS:
        create(a, "%s@%s" % (name, KEEP), "Alice")
    a.close()
    db = sqlite3.connect(os.path.join(s.datadir, "muc", "muc.db"))
    for name, settings in ROOMS.items():
        rid = db.execute("SELECT id FROM rooms WHERE service = ? AND "
                         "name = ?", (KEEP, name)).fetchone()[0]
        for k, v in settings.items():
            db.execute("UPDATE room_config SET value = ? WHERE room = ? "
                       "AND key = ?", (v, rid, k))
    db.commit()
    db.close()
    kill_mucd(s)
    return s


def teardown(s):
    s.stop()


_ids = [0]


def admin(c, room, typ, items):
    """A muc#admin IQ; returns the answer."""
    _ids[0] += 1
    iqid = "adm%d" % _ids[0]
    c.send("<iq type='%s' id='%s' to='%s'><query xmlns='%s'>%s</query>"
           "</iq>" % (typ, iqid, room, NS_ADMIN, items))
    return c.expect(r"<iq[^>]*id='%s'[^>]*(?:/>|>.*?</iq>)" % iqid).group(0)


def aset(c, room, items):
    return admin(c, room, "set", items)


def aget(c, room, what):
    return admin(c, room, "get", "<item %s/>" % what)


def ok(r):
    assert "type='result'" in r, r
    return r


def fails(r, cond, kind=None):
    assert "type='error'" in r and re.search(r"<%s[ />]" % cond, r), \
        (cond, r)
    if kind:
        assert "type='%s'" % kind in r, (kind, r)
    return r


def jids(r):
    return sorted(re.findall(r"<item [^>]*jid='([^']*)'", r))


def nicks(r):
    return sorted(re.findall(r"<item [^>]*nick='([^']*)'", r))


def item(affiliation, jid, extra=""):
    return "<item affiliation='%s' jid='%s'>%s</item>" % (affiliation, jid,
                                                         extra)


def role(r, nick, extra=""):
    return "<item role='%s' nick='%s'>%s</item>" % (r, nick, extra)


def bare(u):
    return "%s@example.org" % u


def enter(s, room, people, new=True):
    """people: (user, nick) pairs; the first creates room (new) or
    enters it first.  Each sees the others enter; returns the clients."""
    cs = []
    for i, (user, nick) in enumerate(people):
        c = login(s, user)
        if i == 0 and new:
            create(c, room, nick)
        else:
            join(c, room, nick)
            self_presence(c)
        for prev in cs:
            pres(prev, "%s/%s" % (room, nick))
        cs.append(c)
    return cs


def said(c, room, others, text):
    """c speaks; returns what each of others received before it."""
    c.send("<message to='%s' type='groupchat'><body>%s</body></message>" %
           (room, text))
    return [upto(o, re.escape(text))[0] for o in others]


_marks = [0]


def sync(speaker, room, others):
    """All that was sent to others before now is read."""
    _marks[0] += 1
    said(speaker, room, others, "sync-%d" % _marks[0])


def quiet_room(speaker, room, others, text):
    """Nothing but speaker's message reached others (no presence)."""
    for before in said(speaker, room, others, text):
        assert "<presence" not in before, before


def close(*cs):
    for c in cs:
        c.close()


def unavailable(c, room, nick):
    return pres(c, "%s/%s" % (room, nick), r"[^>]*type='unavailable'")


# -- real clients -------------------------------------------------------------

async def slix_scenario(port):
    loop = asyncio.get_event_loop()
    room = "slixadmin@" + MUC
    cs = [slix(u, loop) for u in ("alice", "bob", "carol", "dave")]
    for c in cs:
        c.connect(("127.0.0.1", port))
    await asyncio.wait_for(asyncio.gather(*(c.started for c in cs)), 20)
    alice, bob, carol, dave = cs
    muc = {c: c.plugin["xep_0045"] for c in cs}
    p = await slix_join(alice, room, "Alice")
    assert 201 in p["muc"]["status_codes"], p
    await muc[alice].set_room_config(
        room, alice.plugin["xep_0004"].make_form(ftype="submit"))
    for c, nick in ((bob, "Bob"), (carol, "Carol"), (dave, "Dave")):
        p = await slix_join(c, room, nick)
        assert p["type"] != "error", p
    await until(dave, room, lambda: len(muc[dave].get_roster(room)) == 4)

    def prop(c, nick, what):
        return muc[c].get_jid_property(room, nick, what)

    await muc[alice].set_affiliation(room, "member", jid=JID(bare("bob")),
                                     reason="welcome")
    await until(dave, room,
                lambda: prop(dave, "Bob", "affiliation") == "member")
    await muc[alice].set_affiliation(room, "admin", jid=JID(bare("carol")))
    await until(bob, room,
                lambda: prop(bob, "Carol", "affiliation") == "admin" and
                prop(bob, "Carol", "role") == "moderator")
    for aff, who in (("member", "bob"), ("admin", "carol"),
                     ("owner", "alice")):
        got = await muc[carol].get_affiliation_list(room, aff)
        assert got == [JID(bare(who))], (aff, got)
    # A member of a room that is not members-only reads no list.
    for aff in ("member", "owner", "outcast"):
        try:
            await muc[bob].get_affiliation_list(room, aff)
            raise AssertionError("bob read the %s list" % aff)
        except IqError as e:
            assert e.iq["error"]["condition"] == "forbidden", e.iq

    # The admin takes Dave's voice; Dave asks for it, Alice gives it.
    await muc[carol].set_role(room, "Dave", "visitor", reason="hush")
    await until(dave, room, lambda: prop(dave, "Dave", "role") == "visitor")
    assert await muc[carol].get_roles_list(room, "visitor") == ["Dave"]
    assert sorted(await muc[alice].get_roles_list(room, "moderator")) == \
        ["Alice", "Carol"]
    forms = asyncio.Queue()
    alice.add_event_handler("message_xform", forms.put_nowait)
    muc[dave].request_voice(room, "participant")
    m = await asyncio.wait_for(forms.get(), 10)
    form = m["form"]
    assert m["from"] == room and form["type"] == "form", m
    x = "{jabber:x:data}"
    values = {f.get("var"): f.findtext(x + "value")
              for f in m.xml.iter(x + "field")}
    assert values["FORM_TYPE"] == NS_REQUEST, m
    assert values["muc#roomnick"] == "Dave", m
    assert values["muc#jid"] == "dave@example.org/slix", m
    answer = alice.make_message(mto=room)
    f = answer["form"]
    f["type"] = "submit"
    f.add_field(var="FORM_TYPE", value=NS_REQUEST)
    f.add_field(var="muc#roomnick", value="Dave")
    f.add_field(var="muc#request_allow", value="true")
    answer.send()
    await until(carol, room,
                lambda: prop(carol, "Dave", "role") == "participant")

    # Kicked, then banned: gone with 307, then kept out.
    kicked = loop.create_future()
    dave.add_event_handler(
        "muc::%s::presence" % room,
        lambda p: p["type"] == "unavailable" and not kicked.done() and
        kicked.set_result(p))
    await muc[carol].set_role(room, "Dave", "none", reason="out")
    p = await asyncio.wait_for(kicked, 10)
    assert p["muc"]["status_codes"] == {110, 307}, p
    assert p["muc"]["item"]["actor"]["nick"] == "Carol", p
    assert p["muc"]["item"]["reason"] == "out", p
    await muc[alice].set_affiliation(room, "outcast", jid=JID(bare("dave")),
                                     reason="gone for good")
    assert await muc[alice].get_affiliation_list(room, "outcast") == \
        [JID(bare("dave"))]
    p = await slix_join(dave, room, "Dave")
    assert p["type"] == "error" and p["error"]["condition"] == "forbidden", p

    # A members-only, non-anonymous room: members read the member list.
    club = "club2@" + KEEP
    p = await slix_join(alice, club, "Alice")
    assert p["type"] != "error", p
    await muc[alice].set_affiliation(club, "member", jid=JID(bare("bob")))
    p = await slix_join(bob, club, "Bob")
    assert p["type"] != "error" and p["muc"]["affiliation"] == "member", p
    assert await muc[bob].get_affiliation_list(club, "member") == \
        [JID(bare("bob"))]
    try:
        await muc[bob].get_affiliation_list(club, "outcast")
        raise AssertionError("a member read the ban list")
    except IqError as e:
        assert e.iq["error"]["condition"] == "forbidden", e.iq
    for c in cs:
        c.disconnect()
    await asyncio.gather(*(c.disconnected for c in cs))


def test_slixmpp_admin_four_occupants(s):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(
            slix_scenario(s.ports["client"]), 60))
    finally:
        left = asyncio.all_tasks(loop)
        for t in left:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*left,
                                               return_exceptions=True))
        loop.close()


# -- kick and ban ----------------------------------------------------------

def test_kick_307_with_actor_and_reason(s):
    room = "kick@" + MUC
    a, b, c = enter(s, room, [("alice", "Alice"), ("bob", "Bob"),
                              ("carol", "Carol")])
    ok(aset(a, room, role("none", "Bob", "<reason>Avaunt</reason>")))
    for x, me in ((b, True), (a, False), (c, False)):
        p = unavailable(x, room, "Bob")
        assert codes(p) == ([110, 307] if me else [307]), p
        assert "<actor nick='Alice'/>" in p, p
        assert "<reason>Avaunt</reason>" in p, p
        assert "role='none'" in p and "affiliation='none'" in p, p
    # A kick is no ban: Bob comes back.
    join(b, room, "Bob")
    assert codes(self_presence(b)) == [110]
    pres(a, room + "/Bob")
    pres(c, room + "/Bob")
    # Not a moderator: forbidden; oneself: conflict; nobody: not found.
    fails(aset(c, room, role("none", "Bob")), "forbidden", "auth")
    fails(aset(a, room, role("none", "Alice")), "conflict", "cancel")
    fails(aset(a, room, role("none", "Nobody")), "item-not-found")
    quiet_room(a, room, (b, c), "still three")
    close(a, b, c)


def test_ban_301_outcast_cannot_enter(s):
    room = "ban@" + MUC
    a, b, c = enter(s, room, [("alice", "Alice"), ("bob", "Bob"),
                              ("carol", "Carol")])
    ok(aset(a, room, item("outcast", bare("bob"),
                          "<reason>Treason</reason>")))
    for x, me in ((b, True), (a, False), (c, False)):
        p = unavailable(x, room, "Bob")
        assert codes(p) == ([110, 301] if me else [301]), p
        assert "affiliation='outcast'" in p and "role='none'" in p, p
        assert "<actor nick='Alice'/>" in p, p
        assert "<reason>Treason</reason>" in p, p
    join(b, room, "Bob")
    fails(error_of(b), "forbidden", "auth")
    r = ok(aget(a, room, "affiliation='outcast'"))
    assert jids(r) == [bare("bob")] and "<reason>Treason</reason>" in r, r
    # A full JID means its bare JID.
    ok(aset(a, room, item("outcast", bare("carol") + "/r")))
    assert codes(unavailable(c, room, "Carol")) == [110, 301]
    assert jids(aget(a, room, "affiliation='outcast'")) == \
        [bare("bob"), bare("carol")]
    # The ban is lifted: Bob enters again.
    ok(aset(a, room, item("none", bare("bob"))))
    join(b, room, "Bob")
    p = self_presence(b)
    assert codes(p) == [110] and "affiliation='none'" in p, p
    # Admins and owners cannot ban themselves.
    fails(aset(a, room, item("outcast", bare("alice"))), "conflict")
    close(a, b, c)


def test_ban_a_domain(s):
    room = "domain@" + MUC
    a, b, c = enter(s, room, [("alice", "Alice"), ("bob", "Bob"),
                              ("carol", "Carol")])
    ok(aset(a, room, item("member", bare("bob"))))
    for x in (a, b, c):
        assert "affiliation='member'" in pres(x, room + "/Bob")
    ok(aset(a, room, item("outcast", "example.org",
                          "<reason>all of you</reason>")))
    for x, me in ((c, True), (a, False), (b, False)):
        p = unavailable(x, room, "Carol")
        assert codes(p) == ([110, 301] if me else [301]), p
        assert "<reason>all of you</reason>" in p, p
    # Alice and Bob hold affiliations of their own: they stay.
    quiet_room(a, room, (b,), "we stay")
    e = login(s, "erin")
    join(e, room, "Erin")
    fails(error_of(e), "forbidden", "auth")
    assert jids(aget(a, room, "affiliation='outcast'")) == ["example.org"]
    ok(aset(a, room, item("none", "example.org")))
    join(e, room, "Erin")
    assert codes(self_presence(e)) == [110]
    # A domain is never an admin or owner.
    for aff in ("admin", "owner"):
        fails(aset(a, room, item(aff, "example.org")), "not-acceptable")
    close(a, b, c, e)


# -- voice --------------------------------------------------------------------

def voice_request(c, room, role="participant", extra=""):
    c.send("<message to='%s' id='vr'><x xmlns='jabber:x:data' "
           "type='submit'><field var='FORM_TYPE'><value>%s</value></field>"
           "<field var='muc#role' type='list-single'><value>%s</value>"
           "</field>%s</x></message>" % (room, NS_REQUEST, role, extra))


def voice_answer(c, room, nick, allow="true"):
    c.send("<message to='%s' id='va'><x xmlns='jabber:x:data' "
           "type='submit'><field var='FORM_TYPE'><value>%s</value></field>"
           "<field var='muc#role'><value>participant</value></field>"
           "<field var='muc#roomnick'><value>%s</value></field>"
           "<field var='muc#request_allow'><value>%s</value></field></x>"
           "</message>" % (room, NS_REQUEST, nick, allow))


def test_voice_request_and_approval(s):
    room = "stage@" + KEEP
    a, c, b = enter(s, room, [("alice", "Alice"), ("carol", "Carol"),
                              ("bob", "Bob")], new=False)
    ok(aset(a, room, item("member", bare("carol"))))
    for x in (a, c, b):
        p = pres(x, room + "/Carol")
        assert "affiliation='member'" in p and "role='participant'" in p, p
    # A moderated room: Bob is a visitor and may not speak.
    b.send("<message to='%s' type='groupchat' id='v0'><body>hi</body>"
           "</message>" % room)
    fails(error_of(b, "message"), "forbidden")
    voice_request(b, room)
    m = a.expect(r"<message[^>]*from='%s'.*?</message>" % room).group(0)
    assert "type='form'" in m and NS_REQUEST in m, m
    for var, value in (("muc#roomnick", "Bob"),
                       ("muc#jid", "bob@example.org/r"),
                       ("muc#request_allow", "false"),
                       ("muc#role", "participant")):
        assert re.search(r"<field[^>]*var='%s'[^>]*><value>%s</value>" %
                         (re.escape(var), re.escape(value)), m), (var, m)
    # Only moderators hear of it.
    quiet_room(a, room, (c,), "who asked")
    before = said(a, room, (c,), "only moderators")[0]
    assert NS_REQUEST not in before, before
    # Who may not ask, and what may not be asked for.
    voice_request(c, room)
    fails(error_of(c, "message"), "not-allowed")
    e = login(s, "erin")
    voice_request(e, room)
    fails(error_of(e, "message"), "not-acceptable")
    voice_request(b, room, "moderator")
    fails(error_of(b, "message"), "bad-request")
    # A participant cannot approve; answers that name nobody or say
    # nothing are refused; a denial changes nothing.
    voice_answer(c, room, "Bob")
    fails(error_of(c, "message"), "not-allowed")
    voice_answer(a, room, "Nobody")
    fails(error_of(a, "message"), "item-not-found")
    voice_answer(a, room, "Bob", "maybe")
    fails(error_of(a, "message"), "bad-request")
    voice_answer(a, room, "Bob", "false")
    quiet_room(a, room, (b, c), "not yet")
    voice_answer(a, room, "Bob")
    for x, me in ((b, True), (a, False), (c, False)):
        p = pres(x, room + "/Bob")
        assert "role='participant'" in p, p
        assert codes(p) == ([110] if me else []), p
    said(b, room, (a, c), "I may speak")
    # The voice stays across visits, and so does its loss.
    b.send("<presence to='%s/Bob' type='unavailable'/>" % room)
    unavailable(a, room, "Bob")
    unavailable(b, room, "Bob")
    join(b, room, "Bob")
    assert "role='participant'" in self_presence(b)
    pres(a, room + "/Bob")
    ok(aset(a, room, role("visitor", "Carol", "<reason>hush</reason>")))
    p = pres(c, room + "/Carol")
    assert "role='visitor'" in p and "<reason>hush</reason>" in p, p
    c.send("<presence to='%s/Carol' type='unavailable'/>" % room)
    unavailable(a, room, "Carol")
    unavailable(c, room, "Carol")
    join(c, room, "Carol")
    p = self_presence(c)
    assert "role='visitor'" in p and "affiliation='member'" in p, p
    close(a, b, c, e)


# -- who may change whom ------------------------------------------------------

def test_who_may_change_roles(s):
    room = "roles@" + MUC
    a, b, c, d, e = enter(s, room, [("alice", "Alice"), ("bob", "Bob"),
                                    ("carol", "Carol"), ("dave", "Dave"),
                                    ("erin", "Erin")])
    ok(aset(a, room, item("admin", bare("bob"))))
    ok(aset(a, room, item("member", bare("carol"))))
    ok(aset(a, room, role("moderator", "Dave")))
    p = pres(e, room + "/Dave")
    assert "role='moderator'" in p and "affiliation='none'" in p, p
    sync(a, room, (b, c, d, e))
    # Dave, a moderator without affiliation: no kick or voice over a
    # higher affiliation, nor over another moderator; moderator status is
    # for admins and owners to give.
    for nick in ("Alice", "Bob", "Carol"):
        fails(aset(d, room, role("none", nick)), "not-allowed", "cancel")
    for nick in ("Alice", "Bob"):
        fails(aset(d, room, role("visitor", nick)), "forbidden")
    fails(aset(d, room, role("visitor", "Carol")), "not-allowed")
    fails(aset(d, room, role("moderator", "Erin")), "forbidden", "auth")
    fails(aset(d, room, role("participant", "Alice")), "forbidden")
    # Carol, a member and participant, changes no role at all.
    fails(aset(c, room, role("none", "Erin")), "forbidden", "auth")
    fails(aset(c, room, role("visitor", "Erin")), "forbidden", "auth")
    quiet_room(a, room, (b, c, d, e), "nothing changed")
    # Bob, an admin: not over the owner, whose moderator status stays.
    fails(aset(b, room, role("none", "Alice")), "not-allowed")
    fails(aset(b, room, role("participant", "Alice")), "not-allowed")
    fails(aset(a, room, role("visitor", "Bob")), "not-allowed")
    # Voice is taken only from a lower affiliation (XEP-0045 section
    # 8.4): not by Dave from Erin, both unaffiliated; by Alice.  Dave gives
    # it back, and may kick Erin, whose affiliation is not higher.
    fails(aset(d, room, role("visitor", "Erin")), "not-allowed")
    ok(aset(a, room, role("visitor", "Erin")))
    assert "role='visitor'" in pres(a, room + "/Erin")
    ok(aset(d, room, role("participant", "Erin")))
    assert "role='participant'" in pres(a, room + "/Erin")
    ok(aset(d, room, role("none", "Erin")))
    p = unavailable(e, room, "Erin")
    assert codes(p) == [110, 307] and "<actor nick='Dave'/>" in p, p
    # Bob makes Carol a moderator and unmakes her; kicks Dave.
    ok(aset(b, room, role("moderator", "Carol")))
    assert "role='moderator'" in pres(a, room + "/Carol")
    ok(aset(b, room, role("participant", "Carol")))
    assert "role='participant'" in pres(a, room + "/Carol")
    ok(aset(b, room, role("none", "Dave")))
    assert codes(unavailable(d, room, "Dave")) == [110, 307]
    # The owner kicks the admin.
    ok(aset(a, room, role("none", "Bob")))
    p = unavailable(c, room, "Bob")
    assert codes(p) == [307] and "affiliation='admin'" in p, p
    close(a, b, c, d, e)


def test_who_may_change_affiliations(s):
    room = "affs@" + MUC
    a, b, c, d = enter(s, room, [("alice", "Alice"), ("bob", "Bob"),
                                 ("carol", "Carol"), ("dave", "Dave")])
    ok(aset(a, room, item("admin", bare("bob"), "<reason>trusted</reason>")))
    for x in (a, b, c, d):
        p = pres(x, room + "/Bob")
        assert "affiliation='admin'" in p and "role='moderator'" in p, p
        assert "<reason>trusted</reason>" in p, p
    # An admin: no admins or owners made or changed, itself included.
    for aff in ("admin", "owner"):
        fails(aset(b, room, item(aff, bare("carol"))), "forbidden", "auth")
    for aff in ("member", "none", "outcast"):
        fails(aset(b, room, item(aff, bare("alice"))), "not-allowed")
    fails(aset(b, room, item("none", bare("bob"))), "not-allowed")
    fails(aset(b, room, item("outcast", bare("bob"))), "not-allowed")
    # Members and others change nothing.
    ok(aset(b, room, item("member", bare("carol"))))
    assert "affiliation='member'" in pres(d, room + "/Carol")
    sync(a, room, (b, c, d))
    fails(aset(c, room, item("none", bare("dave"))), "forbidden", "auth")
    fails(aset(d, room, item("member", bare("dave"))), "forbidden")
    e = login(s, "erin")
    fails(aset(e, room, item("owner", bare("erin"))), "forbidden")
    quiet_room(a, room, (b, c, d), "no change")
    # The only owner stays one; a second owner lets the first go.
    for aff in ("admin", "member", "none"):
        fails(aset(a, room, item(aff, bare("alice"))), "conflict", "cancel")
    ok(aset(a, room, item("owner", bare("carol"))))
    for x in (b, d):
        p = pres(x, room + "/Carol")
        assert "affiliation='owner'" in p and "role='moderator'" in p, p
    ok(aset(a, room, item("admin", bare("alice"))))
    p = pres(d, room + "/Alice")
    assert "affiliation='admin'" in p and "role='moderator'" in p, p
    fails(aset(a, room, item("none", bare("carol"))), "not-allowed")
    # The new owner takes Bob's admin affiliation: a participant again.
    ok(aset(c, room, item("none", bare("bob"))))
    p = pres(d, room + "/Bob")
    assert "affiliation='none'" in p and "role='participant'" in p, p
    fails(aset(b, room, item("outcast", bare("dave"))), "forbidden")
    ok(aset(a, room, item("outcast", bare("dave"))))
    p = unavailable(b, room, "Dave")
    assert codes(p) == [301] and "<actor nick='Alice'/>" in p, p
    r = ok(aget(c, room, "affiliation='owner'"))
    assert jids(r) == [bare("carol")], r
    assert jids(aget(c, room, "affiliation='admin'")) == [bare("alice")]
    close(a, b, c, d, e)


def test_new_moderator_sees_real_jids(s):
    room = "semi@" + MUC
    a, b, c, d = enter(s, room, [("alice", "Alice"), ("bob", "Bob"),
                                 ("carol", "Carol"), ("dave", "Dave")])
    ok(aset(a, room, role("moderator", "Bob")))
    p = pres(b, room + "/Bob")
    assert "role='moderator'" in p and codes(p) == [110], p
    for nick, user in (("Alice", "alice"), ("Carol", "carol"),
                       ("Dave", "dave")):
        p = pres(b, "%s/%s" % (room, nick))
        assert "jid='%s/r'" % bare(user) in p, p
    # The others do not.
    p = pres(c, room + "/Bob")
    assert "role='moderator'" in p and "jid=" not in p, p
    # So does an admin made by affiliation.
    ok(aset(a, room, item("admin", bare("carol"))))
    pres(c, room + "/Carol")
    p = pres(c, room + "/Dave")
    assert "jid='%s/r'" % bare("dave") in p, p
    r = ok(aget(b, room, "role='moderator'"))
    assert nicks(r) == ["Alice", "Bob", "Carol"], r
    assert "jid='%s/r'" % bare("carol") in r, r
    assert nicks(aget(b, room, "role='participant'")) == ["Dave"]
    close(a, b, c, d)


# -- who may read the lists -----------------------------------------------------

AFF_LISTS = ("member", "admin", "owner", "outcast")
ROLE_LISTS = ("moderator", "participant", "visitor")


def test_lists_of_an_open_room(s):
    room = "lists@" + MUC
    a, b, c, d = enter(s, room, [("alice", "Alice"), ("bob", "Bob"),
                                 ("carol", "Carol"), ("dave", "Dave")])
    ok(aset(a, room, item("admin", bare("bob"))))
    ok(aset(a, room, item("member", bare("carol"), "<reason>x</reason>")))
    ok(aset(a, room, item("outcast", "spammer@example.net",
                          "<reason>spam</reason>")))
    e = login(s, "erin")
    want = {"member": [bare("carol")], "admin": [bare("bob")],
            "owner": [bare("alice")], "outcast": ["spammer@example.net"]}
    for aff in AFF_LISTS:
        for x in (a, b):
            r = ok(aget(x, room, "affiliation='%s'" % aff))
            assert jids(r) == want[aff], (aff, r)
            assert ("<reason>spam</reason>" in r) == (aff == "outcast"), r
        # A member, an occupant without affiliation, an outsider: no.
        for x in (c, d, e):
            fails(aget(x, room, "affiliation='%s'" % aff), "forbidden",
                  "auth")
    for x in (a, b):
        r = ok(aget(x, room, "role='moderator'"))
        assert nicks(r) == ["Alice", "Bob"], r
        r = ok(aget(x, room, "role='participant'"))
        assert nicks(r) == ["Carol", "Dave"], r
        assert "jid='%s/r'" % bare("dave") in r, r
        assert "affiliation='member'" in r, r
        assert nicks(ok(aget(x, room, "role='visitor'"))) == []
    for role_ in ROLE_LISTS:
        for x in (c, d, e):
            fails(aget(x, room, "role='%s'" % role_), "forbidden", "auth")
    close(a, b, c, d, e)


def test_lists_of_a_members_only_room(s):
    room = "club@" + KEEP
    a = login(s, "alice")
    join(a, room, "Alice")
    self_presence(a)
    ok(aset(a, room, item("member", bare("bob"))))
    ok(aset(a, room, item("admin", bare("carol"))))
    ok(aset(a, room, item("outcast", bare("erin"))))
    # Not a member: not in.
    d = login(s, "dave")
    join(d, room, "Dave")
    fails(error_of(d), "registration-required", "auth")
    b, c = login(s, "bob"), login(s, "carol")
    b2 = login(s, "bob", "other")
    for x, nick in ((b, "Bob"), (c, "Carol")):
        join(x, room, nick)
        self_presence(x)
    want = {"member": [bare("bob")], "admin": [bare("carol")],
            "owner": [bare("alice")], "outcast": [bare("erin")]}
    for aff in AFF_LISTS:
        for x in (a, c):
            assert jids(ok(aget(x, room, "affiliation='%s'" % aff))) == \
                want[aff]
        # A member reads the member, admin and owner lists, in the room
        # or not; never the ban list.
        for x in (b, b2):
            r = aget(x, room, "affiliation='%s'" % aff)
            if aff == "outcast":
                fails(r, "forbidden", "auth")
            else:
                assert jids(ok(r)) == want[aff], r
        fails(aget(d, room, "affiliation='%s'" % aff), "forbidden")
    for role_ in ROLE_LISTS:
        fails(aget(b, room, "role='%s'" % role_), "forbidden")
        fails(aget(d, room, "role='%s'" % role_), "forbidden")
        ok(aget(c, room, "role='%s'" % role_))
    close(a, b, b2, c, d)


def test_members_only_removal_321(s):
    room = "club3@" + KEEP
    a = login(s, "alice")
    join(a, room, "Alice")
    self_presence(a)
    ok(aset(a, room, item("member", bare("bob")) +
            item("admin", bare("carol"))))
    b, c = login(s, "bob"), login(s, "carol")
    for x, nick in ((b, "Bob"), (c, "Carol")):
        join(x, room, nick)
        self_presence(x)
        pres(a, "%s/%s" % (room, nick))
    pres(b, room + "/Carol")
    ok(aset(a, room, item("none", bare("bob"), "<reason>bye</reason>")))
    for x, me in ((b, True), (a, False), (c, False)):
        # Only the removal: no presence of a non-member before it.
        before, m = upto(x, r"<presence[^>]*from='%s/Bob'.*?</presence>" %
                         room)
        assert "%s/Bob" % room not in before, before
        p = m.group(2)
        assert "type='unavailable'" in p, p
        assert codes(p) == ([110, 321] if me else [321]), p
        assert "affiliation='none'" in p and "role='none'" in p, p
        assert "<actor nick='Alice'/>" in p, p
        assert "<reason>bye</reason>" in p, p
    join(b, room, "Bob")
    fails(error_of(b), "registration-required", "auth")
    # An admin who is no longer one is no member either.
    ok(aset(a, room, item("none", bare("carol"))))
    assert codes(unavailable(c, room, "Carol")) == [110, 321]
    # A domain may be the member: Erin enters, and leaves with it.
    ok(aset(a, room, item("member", "example.org")))
    e = login(s, "erin")
    join(e, room, "Erin")
    assert "affiliation='member'" in self_presence(e)
    ok(aset(a, room, item("none", "example.org")))
    assert codes(unavailable(e, room, "Erin")) == [110, 321]
    quiet_room(a, room, (), "alone")
    close(a, b, c, e)


def test_hidden_room_tells_outsiders_nothing(s):
    room = "secret@" + KEEP
    a = login(s, "alice")
    join(a, room, "Alice")
    self_presence(a)
    e, b = login(s, "erin"), login(s, "bob")

    def same(r):
        # The answer of a room that does not exist, but for the id.
        return re.sub(r" id='[^']*'", "", r.replace(room, "ROOM"))

    for what in ("affiliation='member'", "affiliation='outcast'",
                 "role='moderator'"):
        hidden = fails(aget(e, room, what), "item-not-found", "cancel")
        none = fails(aget(e, "nosuch@" + KEEP, what), "item-not-found")
        assert same(hidden) == same(none.replace("nosuch@" + KEEP, room)), \
            (hidden, none)
        # Errors name the address they answer for (a missing room too).
        assert "by='%s'" % room in hidden and "<text" not in hidden, hidden
    r = fails(aset(e, room, item("member", bare("erin"))), "item-not-found")
    assert "by='%s'" % room in r, r
    voice_request(e, room)
    r = fails(error_of(e, "message"), "item-not-found")
    assert "by='%s'" % room in r, r
    # One in the room, or with an affiliation, knows of it: forbidden.
    join(b, room, "Bob")
    self_presence(b)
    fails(aget(b, room, "affiliation='member'"), "forbidden", "auth")
    ok(aset(a, room, item("outcast", bare("dave"))))
    d = login(s, "dave")
    fails(aget(d, room, "affiliation='member'"), "forbidden", "auth")
    close(a, b, d, e)


# -- all or nothing, and kept ---------------------------------------------------

def test_a_change_is_all_or_nothing(s):
    room = "atomic@" + MUC
    a, b, c = enter(s, room, [("alice", "Alice"), ("bob", "Bob"),
                              ("carol", "Carol")])
    for items, cond in (
            # The last item is bad: the first ones are not made either.
            (item("member", bare("bob")) + item("member", bare("carol")) +
             item("king", bare("dave")), "bad-request"),
            (item("member", bare("bob")) + item("outcast", bare("alice")),
             "conflict"),
            (item("outcast", bare("bob")) + item("none", bare("alice")),
             "conflict"),
            (item("member", bare("bob")) + item("admin", "example.org"),
             "not-acceptable"),
            # Conflicting items: one JID twice.
            (item("member", bare("bob")) + item("outcast", bare("bob")),
             "bad-request"),
            (item("member", bare("bob")) + item("member", bare("bob") +
                                                "/x"), "bad-request"),
            (item("member", bare("bob")) + role("none", "Carol"),
             "bad-request"),
            (role("visitor", "Bob") + role("none", "Carol") +
             role("none", "Nobody"), "item-not-found"),
            (role("visitor", "Bob") + role("none", "Alice"), "conflict"),
            (role("none", "Bob") + role("participant", "BOB"),
             "bad-request")):
        fails(aset(a, room, items), cond)
    for aff in AFF_LISTS:
        r = ok(aget(a, room, "affiliation='%s'" % aff))
        assert jids(r) == ([bare("alice")] if aff == "owner" else []), r
    assert nicks(ok(aget(a, room, "role='participant'"))) == \
        ["Bob", "Carol"]
    quiet_room(a, room, (b, c), "all of us, unchanged")
    # And a good one is made whole.
    ok(aset(a, room, item("member", bare("bob")) +
            item("admin", bare("carol"))))
    assert jids(aget(a, room, "affiliation='member'")) == [bare("bob")]
    assert jids(aget(a, room, "affiliation='admin'")) == [bare("carol")]
    close(a, b, c)


def muc_db(s):
    return sqlite3.connect(os.path.join(s.datadir, "muc", "muc.db"),
                           isolation_level=None)


def affs_in_db(s, room):
    db = muc_db(s)
    rows = db.execute("SELECT a.jid, a.affiliation, a.nick, a.reason FROM "
                      "affiliations a JOIN rooms r ON a.room = r.id WHERE "
                      "r.service = ? AND r.name = ? ORDER BY a.jid",
                      (KEEP, room)).fetchall()
    db.close()
    return rows


def test_affiliations_survive_kill9(s):
    room = "vault@" + KEEP
    a = login(s, "alice")
    join(a, room, "Alice")
    self_presence(a)
    ok(aset(a, room, item("member", bare("bob")) +
            "<item affiliation='member' jid='%s' nick='Kaz'/>" %
            bare("carol") + item("admin", bare("erin"))))
    ok(aset(a, room, item("outcast", bare("dave"), "<reason>spam</reason>") +
            item("outcast", "spam.example")))
    # A change the database cannot take is not made at all: the store is
    # held by another writer, mucd's transaction fails.
    db = muc_db(s)
    db.execute("BEGIN IMMEDIATE")
    try:
        fails(aset(a, room, item("member", "x@example.net") +
                   item("none", bare("bob"))), "internal-server-error")
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert jids(aget(a, room, "affiliation='member'")) == \
        [bare("bob"), bare("carol")]
    before = affs_in_db(s, "vault")
    assert before == [
        (bare("alice"), "owner", "", ""), (bare("bob"), "member", "", ""),
        (bare("carol"), "member", "Kaz", ""), (bare("dave"), "outcast", "",
                                               "spam"),
        (bare("erin"), "admin", "", ""), ("spam.example", "outcast", "",
                                          "")], before
    kill_mucd(s)
    assert affs_in_db(s, "vault") == before
    for aff, want in (("member", [bare("bob"), bare("carol")]),
                      ("admin", [bare("erin")]), ("owner", [bare("alice")]),
                      ("outcast", [bare("dave"), "spam.example"])):
        assert jids(ok(aget(a, room, "affiliation='%s'" % aff))) == want
    assert "nick='Kaz'" in aget(a, room, "affiliation='member'")
    d = login(s, "dave")
    join(d, room, "Dave")
    fails(error_of(d), "forbidden", "auth")
    e = login(s, "erin")
    join(e, room, "Erin")
    p = self_presence(e)
    assert "affiliation='admin'" in p and "role='moderator'" in p, p
    # Erin, an admin now, changes the member list; it is written through.
    ok(aset(e, room, item("none", bare("bob"))))
    assert (bare("bob"), "member", "", "") not in affs_in_db(s, "vault")
    close(a, d, e)


def test_reserved_nicks_of_members(s):
    room = "nicks@" + MUC
    a, b = enter(s, room, [("alice", "Alice"), ("bob", "Bob")])
    r = "<item affiliation='member' jid='%s' nick='%s'/>"
    ok(aset(a, room, r % (bare("bob"), "Robert")))
    assert "nick='Robert'" in aget(a, room, "affiliation='member'")
    # Another's reserved nick, in any case, or one of spaces: refused.
    fails(aset(a, room, r % (bare("carol"), "ROBERT")), "conflict")
    fails(aset(a, room, r % (bare("carol"), "Kaz") +
               r % (bare("dave"), "kaz")), "conflict")
    fails(aset(a, room, r % (bare("carol"), "   ")), "not-acceptable")
    fails(aset(a, room, r % (bare("carol"), "x" * 100)), "not-acceptable")
    # Without a nick the reserved one stays; an empty one clears it.
    ok(aset(a, room, item("member", bare("bob"), "<reason>r</reason>")))
    assert "nick='Robert'" in aget(a, room, "affiliation='member'")
    ok(aset(a, room, r % (bare("bob"), "")))
    assert "nick=" not in aget(a, room, "affiliation='member'")
    # A ban drops the reserved nick.
    ok(aset(a, room, r % (bare("carol"), "Kaz")))
    ok(aset(a, room, item("outcast", bare("carol"))))
    assert "nick=" not in aget(a, room, "affiliation='outcast'")
    ok(aset(a, room, r % (bare("dave"), "Kaz")))
    close(a, b)


# -- bad input ------------------------------------------------------------------

def test_bad_requests_answered_nothing_changes(s):
    pid = mucd_pid(s)
    room = "bad@" + MUC
    a, b, c = enter(s, room, [("alice", "Alice"), ("bob", "Bob"),
                              ("carol", "Carol")])
    gets = (
        ("", "bad-request"),
        ("<item affiliation='member'/><item affiliation='admin'/>",
         "bad-request"),
        ("<item affiliation='member' jid='%s'/>" % bare("bob"),
         "bad-request"),
        ("<item role='participant' nick='Bob'/>", "bad-request"),
        ("<item/>", "bad-request"),
        ("<item affiliation='member' role='participant'/>", "bad-request"),
        ("<item affiliation='none'/>", "bad-request"),
        ("<item affiliation='king'/>", "bad-request"),
        ("<item affiliation=''/>", "bad-request"),
        ("<item role='none'/>", "bad-request"),
        ("<item role='jester'/>", "bad-request"),
        ("<thing affiliation='member'/>", "bad-request"),
    )
    for body, cond in gets:
        fails(admin(a, room, "get", body), cond, "modify")
    big = "".join(item("member", "u%d@example.net" % i) for i in range(101))
    sets = (
        ("", "bad-request"),
        ("<item affiliation='member'/>", "bad-request"),
        ("<item role='participant'/>", "bad-request"),
        ("<item jid='%s'/>" % bare("bob"), "bad-request"),
        ("<item nick='Bob'/>", "bad-request"),
        (item("king", bare("bob")), "bad-request"),
        (role("jester", "Bob"), "bad-request"),
        ("<item affiliation='member' role='visitor' nick='Bob'/>",
         "bad-request"),
        (item("member", "@example.org"), "jid-malformed"),
        (item("member", "bob@"), "jid-malformed"),
        (item("member", "a" * 1100 + "@example.org"), "jid-malformed"),
        ("<item affiliation='member' nick='Nobody'/>", "item-not-found"),
        (role("none", "Nobody"), "item-not-found"),
        (item("member", bare("bob")) + "<other/>", "bad-request"),
        (big, "policy-violation"),
        (item("outcast", bare("bob"), "<reason>%s</reason>" % ("r" * 1025)),
         "not-acceptable"),
        (role("none", "Bob", "<reason>%s</reason>" % ("\u00e9" * 1025)),
         "not-acceptable"),
    )
    for body, cond in sets:
        fails(admin(a, room, "set", body), cond)
    # A payload that is not a query.
    a.send("<iq type='get' id='bq' to='%s'><list xmlns='%s'/></iq>" %
           (room, NS_ADMIN))
    fails(a.expect(r"<iq[^>]*id='bq'.*?</iq>").group(0), "bad-request")
    # At the limits: a reason of 1024 characters, 100 items.
    ok(aset(a, room, role("visitor", "Bob", "<reason>%s</reason>" %
                          ("\u00e9" * 1024))))
    ok(aset(a, room, "".join(item("member", "u%d@example.net" % i)
                             for i in range(100))))
    assert len(jids(aget(a, room, "affiliation='member'"))) == 100
    ok(aset(a, room, "".join(item("none", "u%d@example.net" % i)
                             for i in range(100))))
    for x in (b, c):
        assert "role='visitor'" in pres(x, room + "/Bob")
    quiet_room(a, room, (b, c), "alive")
    assert mucd_pid(s) == pid
    close(a, b, c)


def test_affiliations_of_a_room_are_bounded(s):
    room = "many@" + MUC
    a, b = enter(s, room, [("alice", "Alice"), ("bob", "Bob")])
    # 2000 affiliations at most, the owner's among them.
    n = 0
    while n < 1999:
        k = min(100, 1999 - n)
        ok(aset(a, room, "".join(item("member", "m%d@example.net" % i)
                                 for i in range(n, n + k))))
        n += k
    fails(aset(a, room, item("member", bare("bob"))), "policy-violation")
    fails(aset(a, room, item("outcast", "x.example")), "policy-violation")
    assert len(jids(ok(aget(a, room, "affiliation='member'")))) == 1999
    # Changing or removing one still works, and makes room for one more.
    ok(aset(a, room, item("outcast", "m0@example.net")))
    ok(aset(a, room, item("none", "m1@example.net")))
    ok(aset(a, room, item("member", bare("bob"))))
    assert "affiliation='member'" in pres(a, room + "/Bob")
    close(a, b)


def test_a_list_too_long_to_send_is_refused(s):
    room = "long@" + MUC
    a = login(s, "alice")
    create(a, room, "Alice")
    # Bans of long JIDs: the list would not fit in a stanza of "stanza
    # size" (256K): refused, and sent once it does.
    for n in range(0, 300, 100):
        ok(aset(a, room, "".join(
            item("outcast", "%s%04d@example.net" % ("l" * 1019, i))
            for i in range(n, n + 100))))
    fails(aget(a, room, "affiliation='outcast'"), "resource-constraint",
          "wait")
    ok(aset(a, room, "".join(
        item("none", "%s%04d@example.net" % ("l" * 1019, i))
        for i in range(0, 100))))
    assert len(jids(ok(aget(a, room, "affiliation='outcast'")))) == 200
    close(a)
