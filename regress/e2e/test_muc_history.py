"""What a room remembers (XEP-0045 sections 7.2.14-7.2.16, 8.1): the
discussion history sent on join with delay stamps (XEP-0203), as the
joiner's <history/> asks (maxchars, maxstanzas, seconds, since), then the
subject, always; subject changes; both kept for persistent rooms across
a restart and a kill -9 of mucd; malformed history requests refused."""

import asyncio
import os
import re
import sys
import xml.etree.ElementTree as ET

from slixmpp.exceptions import PresenceError

from muctest import muc_db, room_id, run_scenario
from xmppdtest import Server, add_user

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_muc import (NS_MUC, codes, error_of, instant,  # noqa: E402
                      kill_mucd, login, pres, slix, upto)

MUC = "conference.example.org"
KEEP = "persist.example.org"
SHORT = "short.example.org"
USERS = ("alice", "bob", "carol", "dave", "erin")
NS_DELAY = "urn:xmpp:delay"
NS_OID = "urn:xmpp:occupant-id:0"
NS_SID = "urn:xmpp:sid:0"
SUBJECT = (r"<message[^>]*>(?:(?!</message>).)*?<subject(?:/>|>.*?</subject>)"
           r"(?:(?!</message>).)*</message>")


def setup():
    s = Server(prefork=1)
    s.write_conf(raw=s.base_conf() +
                 'muc "%s" {\n\trooms per user 1000\n}\n'
                 'muc "%s" {\n\trooms persistent\n\thistory 5\n}\n'
                 'muc "%s" {\n\thistory 3\n}\n' % (MUC, KEEP, SHORT))
    s.start()
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    return s


def teardown(s):
    s.stop()


def history(c, inner=""):
    """Read a join's answer up to its subject: (the self-presence, the
    history messages as elements and as text, the subject message)."""
    before, m = upto(c, SUBJECT)
    me = re.search(r"<presence[^>]*>(?:(?!</presence>).)*"
                   r"<status code='110'/>.*?</presence>", before, re.S)
    assert me, before
    texts = re.findall(r"<message[^>]*>.*?</message>", before[me.end():],
                       re.S)
    # Nothing of the join comes after the history but the subject.
    assert "<presence" not in before[me.end():], before
    return me.group(0), [ET.fromstring(t) for t in texts], texts, \
        ET.fromstring(m.group(2))


def kid(m, name):
    """A child in jabber:client: the stream's default namespace, or
    declared."""
    c = m.find(name)
    return c if c is not None else m.find("{jabber:client}" + name)


def bodies(msgs):
    return [kid(m, "body").text for m in msgs]


def stamp(m):
    d = m.find("{%s}delay" % NS_DELAY)
    return d.get("stamp")


def enter(c, room, nick, hist=None):
    """Join with a <history/> of these attributes; the join's answer."""
    h = ""
    if hist is not None:
        h = "<history %s/>" % " ".join("%s='%s'" % kv for kv in
                                       hist.items())
    c.send("<presence to='%s/%s'><x xmlns='%s'>%s</x></presence>" %
           (room, nick, NS_MUC, h))
    return history(c)


def leave(c, room, nick):
    c.send("<presence to='%s/%s' type='unavailable'/>" % (room, nick))
    c.expect(r"<presence[^>]*from='%s/%s'[^>]*type='unavailable'" %
             (re.escape(room), nick))


def say(c, room, *texts):
    for t in texts:
        c.send("<message to='%s' type='groupchat'><body>%s</body></message>"
               % (room, t))
        c.expect(r"<message[^>]*>(?:(?!</message>).)*<body>%s</body>" %
                 re.escape(t))


def new_room(s, room, owner="alice", nick="Alice"):
    """A new instant room: its creator's join ends with its empty
    subject, from the room."""
    a = login(s, owner)
    me, msgs, _, subj = enter(a, room, nick)
    assert codes(me) == [110, 201] and msgs == [], me
    assert subj.get("from") == room, ET.tostring(subj)
    assert kid(subj, "subject").text is None
    assert kid(subj, "body") is None
    instant(a, room)
    return a


# -- history and subject on join ----------------------------------------------

def test_history_then_subject_on_join(s):
    room = "hist@" + MUC
    a = new_room(s, room)
    b, c = login(s, "bob"), login(s, "carol")
    _, msgs, _, subj = enter(b, room, "Bob")
    assert msgs == [] and kid(subj, "subject").text is None
    pres(a, room + "/Bob")
    say(a, room, "m1", "m2")
    say(b, room, "m3")
    # A private message, a subject change and a chat state are no history.
    a.send("<message to='%s/Bob' type='chat'><body>secret pm</body>"
           "</message>" % room)
    b.expect(r"secret pm")
    a.send("<message to='%s' type='groupchat'><active xmlns='http://jabber"
           ".org/protocol/chatstates'/></message>" % room)
    a.send("<message to='%s' type='groupchat'><subject>Topic</subject>"
           "</message>" % room)
    b.expect(r"<subject>Topic</subject>")
    say(a, room, "m4 &amp; more")
    me, msgs, texts, subj = enter(c, room, "Carol")
    assert codes(me) == [110], me
    assert bodies(msgs) == ["m1", "m2", "m3", "m4 & more"], texts
    for m, nick in zip(msgs, ("Alice", "Alice", "Bob", "Alice")):
        assert m.get("from") == "%s/%s" % (room, nick), ET.tostring(m)
        assert m.get("type") == "groupchat", ET.tostring(m)
        d = m.find("{%s}delay" % NS_DELAY)
        assert d is not None and d.get("from") == room, ET.tostring(m)
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$",
                        d.get("stamp")), d.get("stamp")
        sid = m.find("{%s}stanza-id" % NS_SID)
        assert sid is not None and sid.get("by") == room, ET.tostring(m)
        assert m.find("{%s}occupant-id" % NS_OID) is not None
    stamps = [stamp(m) for m in msgs]
    assert stamps == sorted(stamps), stamps
    # The subject last, from who set it, with its occupant id.
    assert subj.get("from") == room + "/Alice", ET.tostring(subj)
    assert kid(subj, "subject").text == "Topic"
    assert kid(subj, "body") is None
    oid = subj.find("{%s}occupant-id" % NS_OID).get("id")
    assert oid == msgs[0].find("{%s}occupant-id" % NS_OID).get("id")
    for x in (a, b, c):
        x.close()


def test_history_limits(s):
    room = "limits@" + MUC
    a = new_room(s, room)
    say(a, room, "long" + "x" * 400, "s2", "s3", "s4", "s5")
    b = login(s, "bob")
    _, full, texts, _ = enter(b, room, "Bob")
    assert bodies(full) == ["long" + "x" * 400, "s2", "s3", "s4", "s5"]
    stamps = [stamp(m) for m in full]
    leave(b, room, "Bob")
    # maxchars counts whole stanzas as sent: the last two fit, not three.
    two = len(texts[3]) + len(texts[4])
    cases = [
        ({"maxstanzas": "2"}, ["s4", "s5"]),
        ({"maxstanzas": "0"}, []),
        ({"maxchars": "0"}, []),
        ({"maxchars": str(two + len(texts[2]) // 2)}, ["s4", "s5"]),
        ({"maxchars": str(two - 1)}, ["s5"]),
        ({"seconds": "0"}, []),
        ({"seconds": "86400"}, bodies(full)),
        ({"since": stamps[2]}, ["s3", "s4", "s5"]),
        ({"since": "2100-01-01T00:00:00Z"}, []),
        ({"since": "1970-01-01T00:00:00Z"}, bodies(full)),
        ({"since": stamps[1], "maxstanzas": "2"}, ["s4", "s5"]),
        ({"maxstanzas": "3", "maxchars": str(two)}, ["s4", "s5"]),
        ({"maxstanzas": "99999999999999999999999"}, bodies(full)),
        ({"maxchars": "+99999999999", "seconds": "4294967296"},
         bodies(full)),
    ]
    for hist, want in cases:
        _, msgs, _, subj = enter(b, room, "Bob", hist)
        assert bodies(msgs) == want, (hist, bodies(msgs))
        assert kid(subj, "subject") is not None
        leave(b, room, "Bob")
    a.close()
    b.close()


def test_service_history_bounds_the_room(s):
    """The service's "history 3": no more, whatever the joiner asks."""
    room = "short@" + SHORT
    a = new_room(s, room)
    say(a, room, "h1", "h2", "h3", "h4", "h5")
    b = login(s, "bob")
    _, msgs, _, _ = enter(b, room, "Bob", {"maxstanzas": "100"})
    assert bodies(msgs) == ["h3", "h4", "h5"], bodies(msgs)
    a.close()
    b.close()


def test_bad_history_refused(s):
    room = "badhist@" + MUC
    a = new_room(s, room)
    say(a, room, "kept")
    b, c = login(s, "bob"), login(s, "carol")
    bad = [{"maxchars": "-1"}, {"maxstanzas": "-0"}, {"maxstanzas": "abc"},
           {"seconds": "1.5"}, {"seconds": " 5"}, {"maxchars": ""},
           {"maxstanzas": "0x10"}, {"since": "yesterday"},
           {"since": "2020-13-01T00:00:00Z"},
           {"since": "2020-01-01T00:00:00"}, {"since": ""},
           {"since": "2020-01-01T00:00:00Z", "seconds": "-3"}]
    for hist in bad:
        b.send("<presence to='%s/Bad'><x xmlns='%s'><history %s/></x>"
               "</presence>" % (room, NS_MUC, " ".join(
                   "%s='%s'" % kv for kv in hist.items())))
        e = error_of(b)
        assert "<bad-request" in e and "type='modify'" in e, (hist, e)
        assert "from='%s/Bad'" % room in e, e
    # Nobody saw "Bad" come: the next presence Alice gets is Carol's.
    enter(c, room, "Carol")
    before, m = upto(a, r"<presence[^>]*from='%s/Carol'.*?</presence>" %
                     re.escape(room))
    assert "/Bad" not in before, before
    # Bob may still join, and the room still talks.
    _, msgs, _, _ = enter(b, room, "Bad")
    assert bodies(msgs) == ["kept"]
    for x in (a, b, c):
        x.close()


def test_rejoin_of_a_session_gets_history_again(s):
    """A session already in that joins again lost track of the room: it
    gets the history and the subject again (XEP-0045 section 7.2.1)."""
    room = "again@" + MUC
    a = new_room(s, room)
    say(a, room, "r1", "r2")
    _, msgs, _, _ = enter(a, room, "Alice", {"maxstanzas": "1"})
    assert bodies(msgs) == ["r2"]
    a.close()


# -- subject ---------------------------------------------------------------------

async def subject_of(q, text):
    """The next subject event saying text; those before it are older."""
    m = await asyncio.wait_for(q.get(), 10)
    while m["subject"] != text:
        m = await asyncio.wait_for(q.get(), 10)
    return m


async def slix_subject(port):
    loop = asyncio.get_event_loop()
    room = "topic@" + MUC
    cs = [slix(u, loop) for u in ("alice", "bob", "carol", "dave", "erin")]
    for c in cs:
        c.register_plugin("xep_0082")
        c.connect(("127.0.0.1", port))
    await asyncio.wait_for(asyncio.gather(*(c.started for c in cs)), 20)
    alice, bob, carol, dave, erin = cs
    subjects = {c: asyncio.Queue() for c in cs}
    for c in cs:
        c.add_event_handler("groupchat_subject", subjects[c].put_nowait)
    muc = alice.plugin["xep_0045"]
    # The plugin's join waits for the subject: a new room has an empty one.
    pres, subj, _, hist = await muc.join_muc_wait(room, "Alice", timeout=10)
    assert 201 in pres["muc"]["status_codes"] and hist == [], pres
    assert subj["subject"] == "" and subj["from"] == room, subj
    form = alice.plugin["xep_0004"].make_form(ftype="submit")
    await muc.set_room_config(room, form)
    for c, nick in ((bob, "Bob"), (carol, "Carol")):
        _, subj, _, hist = await c.plugin["xep_0045"].join_muc_wait(
            room, nick, maxstanzas=5, timeout=10)
        assert hist == [] and subj["subject"] == "", subj
    for c, text in ((alice, "one"), (bob, "two"), (carol, "three")):
        c.send_message(mto=room, mbody=text, mtype="groupchat")
    for c in (alice, bob, carol):
        got = [await asyncio.wait_for(c.inbox.get(), 10) for _ in range(3)]
        assert sorted(m["body"] for m in got) == ["one", "three", "two"]
    # The owner sets the subject: everyone hears it.
    muc.set_subject(room, "Cauldron")
    for c in (alice, bob, carol):
        m = await subject_of(subjects[c], "Cauldron")
        assert m["from"] == room + "/Alice", m
    # Dave joins with a limit: two messages, then the subject.
    _, subj, occupants, hist = await dave.plugin["xep_0045"].join_muc_wait(
        room, "Dave", maxstanzas=2, timeout=10)
    occupants = [p for p in occupants if p["from"].resource != "Dave"]
    assert sorted(p["from"].resource for p in occupants) == \
        ["Alice", "Bob", "Carol"], occupants
    assert [m["body"] for m in hist] == ["two", "three"], hist
    for m in hist:
        assert m["delay"]["from"] == room and m["delay"]["stamp"], m
    assert subj["subject"] == "Cauldron" and subj["from"] == room + "/Alice"
    # Occupant ids: the same for a user in presence and messages, one per
    # user, and nothing of the real JID in them.
    ids = {}
    for p in occupants:
        o = p.xml.find("{%s}occupant-id" % NS_OID)
        ids[p["from"].resource] = o.get("id")
    assert len(set(ids.values())) == 3, ids
    for m in hist:
        o = m.xml.find("{%s}occupant-id" % NS_OID).get("id")
        assert o == ids[m["from"].resource], (o, ids)
    assert not any("alice" in i or "bob" in i for i in ids.values()), ids
    # A cleared subject: an empty one, from the room, to the next joiner.
    # (The plugin drops an empty <subject/>: written out here.)
    m = alice.make_message(mto=room, mtype="groupchat")
    m.xml.append(ET.Element("{jabber:client}subject"))
    m.send()
    for c in (alice, bob, carol, dave):
        m = await subject_of(subjects[c], "")
        assert m["from"] == room + "/Alice", m
    _, subj, _, hist = await erin.plugin["xep_0045"].join_muc_wait(
        room, "Erin", maxchars=0, timeout=10)
    assert hist == [] and subj["subject"] == "" and subj["from"] == room
    # A bad history request is an error the plugin reports.
    try:
        await bob.plugin["xep_0045"].join_muc_wait(
            "other@" + MUC, "Bob", since=None,
            presence_options={}, maxchars=-5, timeout=10)
        raise AssertionError("a negative maxchars was accepted")
    except PresenceError as e:
        assert e.condition == "bad-request" and e.etype == "modify", e
    for c in cs:
        c.disconnect()
    await asyncio.gather(*(c.disconnected for c in cs))


def test_slixmpp_subject_and_history(s):
    run_scenario(slix_subject(s.ports["client"]))


# -- persistence -----------------------------------------------------------------



def test_persistent_history_survives_kill9_and_restart(s):
    room = "keep@" + KEEP
    a = new_room(s, room)
    b = login(s, "bob")
    enter(b, room, "Bob")
    say(a, room, *("k%d" % i for i in range(1, 8)))
    a.send("<message to='%s/Bob' type='chat'><body>pm not kept</body>"
           "</message>" % room)
    b.expect(r"pm not kept")
    a.send("<message to='%s' type='groupchat'><subject>Kept topic</subject>"
           "</message>" % room)
    b.expect(r"Kept topic")
    # "history 5": no more is kept, in memory or on disk.
    rid = room_id(s, KEEP, "keep")
    d = muc_db(s)
    rows = [r[0] for r in d.execute(
        "SELECT xml FROM muc_history WHERE room = ? ORDER BY id", (rid,))]
    d.close()
    assert len(rows) == 5 and "k3" in rows[0] and "k7" in rows[4], rows
    assert not any("pm not kept" in r or "Kept topic" in r for r in rows)
    kill_mucd(s)
    c = login(s, "carol")
    _, msgs, _, subj = enter(c, room, "Carol")
    assert bodies(msgs) == ["k3", "k4", "k5", "k6", "k7"], bodies(msgs)
    assert kid(subj, "subject").text == "Kept topic"
    assert subj.get("from") == room + "/Alice"
    # The whole server stopped and started again: the same.
    for x in (a, b, c):
        x.close()
    s.stop_keep()
    s.start()
    c = login(s, "carol")
    _, msgs2, texts, subj = enter(c, room, "Carol")
    assert bodies(msgs2) == bodies(msgs), bodies(msgs2)
    assert [stamp(m) for m in msgs2] == [stamp(m) for m in msgs]
    assert kid(subj, "subject").text == "Kept topic"
    # The room's own length, lower than the service's, applies after a
    # restart too.
    d = muc_db(s)
    d.execute("UPDATE room_config SET value = '2' WHERE room = ? AND "
              "key = 'history'", (rid,))
    d.commit()
    d.close()
    c.close()
    kill_mucd(s)
    c = login(s, "carol")
    _, msgs, _, _ = enter(c, room, "Carol", {"maxstanzas": "10"})
    assert bodies(msgs) == ["k6", "k7"], bodies(msgs)
    c.close()


def test_rejoin_after_kill9_gets_what_it_missed(s):
    """After a kill -9 every room is empty; a client that believed
    itself in rejoins and gets the history and subject it missed."""
    room = "rejoin@" + KEEP
    a = new_room(s, room)
    say(a, room, "before")
    kill_mucd(s)
    a.send("<presence to='%s/Alice'><show>away</show></presence>" % room)
    p = a.expect(r"<presence[^>]*type='unavailable'.*?</presence>").group(0)
    assert codes(p) == [110, 307, 333], p
    _, msgs, _, subj = enter(a, room, "Alice", {"maxstanzas": "5"})
    assert bodies(msgs) == ["before"]
    assert kid(subj, "subject") is not None
    a.close()
