"""Room archives (XEP-0313 on a room JID) with the room's stanza ids
(XEP-0359), and occupant ids (XEP-0421): what a logging room keeps,
queries with every filter and RSM paging both ways, who may read an
archive, "archive expire" of the muc block, archives across a kill -9
and a restart, and hostile queries."""

import asyncio
import os
import re
import sys
import time

from muctest import muc_db, room_id, run_scenario
from xmppdtest import Server, add_user

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_mam import form, query, rsm  # noqa: E402
from test_muc import (NS_MUC, NS_USER, instant,  # noqa: E402
                      kill_mucd, login, pres, self_presence, slix)

KEEP = "persist.example.org"
TEMP = "conference.example.org"
OLD = "old.example.org"
USERS = ("alice", "bob", "carol", "dave", "erin", "mallory")
NS = "urn:xmpp:mam:2"
NS_OID = "urn:xmpp:occupant-id:0"


def setup():
    s = Server(prefork=1)
    s.write_conf(raw=s.base_conf() +
                 'muc "%s" {\n\trooms persistent\n'
                 '\tmessage rate 10000 per 1s\n}\n'
                 'muc "%s" {\n\trooms per user 1000\n}\n'
                 'muc "%s" {\n\trooms persistent\n\tarchive expire 1d\n}\n'
                 % (KEEP, TEMP, OLD))
    s.start()
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    s.next = 0
    return s


def teardown(s):
    s.stop()




def enter(c, room, nick):
    """Join and read through the subject that ends the join."""
    c.send("<presence to='%s/%s'><x xmlns='%s'><history maxchars='0'/></x>"
           "</presence>" % (room, nick, NS_MUC))
    p = self_presence(c)
    c.expect(r"<message[^>]*>(?:(?!</message>).)*<subject")
    return p


def restart(s):
    """The whole server again: what a restart of mucd reads, without
    the backoff of many quick deaths.  Every client is gone."""
    s.stop_keep()
    s.start()


def configure(s, room, affs=(), **settings):
    """Settings and affiliations written to the database, then read by
    a restart: what the owner's form would have done."""
    name, service = room.split("@")
    rid = room_id(s, service, name)
    d = muc_db(s)
    for k, v in settings.items():
        d.execute("INSERT OR REPLACE INTO room_config (room, key, value) "
                  "VALUES (?, ?, ?)", (rid, k, str(v)))
    for jid, aff in affs:
        d.execute("INSERT OR REPLACE INTO affiliations (room, jid, "
                  "affiliation) VALUES (?, ?, ?)", (rid, jid, aff))
    d.commit()
    d.close()
    restart(s)
    return rid


def logging_rooms(s, *rooms, **settings):
    """Persistent rooms of alice's that log (or as settings say), read
    back by one restart; their row ids."""
    a = login(s, "alice", "setup")
    for room in rooms:
        enter(a, room, "Alice")
        instant(a, room)
    a.close()
    settings.setdefault("logging", 1)
    d = muc_db(s)
    rids = []
    for room in rooms:
        name, service = room.split("@")
        rids.append(room_id(s, service, name))
        for k, v in settings.items():
            d.execute("INSERT OR REPLACE INTO room_config (room, key, "
                      "value) VALUES (?, ?, ?)", (rids[-1], k, str(v)))
    d.commit()
    d.close()
    restart(s)
    return rids


def logging_room(s, room, **settings):
    return logging_rooms(s, room, **settings)[0]


def say(c, room, text, mid=None):
    """Send; returns the stanza-id the room gave it, as echoed."""
    c.send("<message to='%s' type='groupchat'%s><body>%s</body></message>"
           % (room, " id='%s'" % mid if mid else "", text))
    m = c.expect(r"<message[^>]*>(?:(?!</message>).)*<body>%s</body>.*?"
                 r"</message>" % re.escape(text)).group(0)
    sid = re.search(r"<stanza-id [^>]*id='([^']+)'[^>]*by='%s'" %
                    re.escape(room), m) or re.search(
        r"<stanza-id [^>]*by='%s'[^>]*id='([^']+)'" % re.escape(room), m)
    assert sid, m
    return sid.group(1)


def q(s, c, room, **kw):
    return query(s, c, to=room, **kw)


def oid_of(text):
    m = re.search(r"<occupant-id xmlns='%s' id='([^']+)'/>" % NS_OID, text)
    return m.group(1) if m else None


# -- what is kept, named and answered -------------------------------------------

def test_archive_keeps_groupchat_named_by_stanza_id(s):
    room, room2 = "log@" + KEEP, "nolog@" + KEEP
    logging_rooms(s, room)
    a = login(s, "alice", "setup")
    enter(a, room2, "Alice")
    instant(a, room2)
    a.close()
    a, b, c = login(s, "alice"), login(s, "bob"), login(s, "carol")
    for x, nick in ((a, "Alice"), (b, "Bob"), (c, "Carol")):
        enter(x, room, nick)
    ids = [say(a, room, "one", "c1"), say(b, room, "two"),
           say(c, room, "three &amp; four")]
    # Not archived: a private message, a chat state; archived: the subject.
    a.send("<message to='%s/Bob' type='chat'><body>private</body>"
           "</message>" % room)
    b.expect(r"private")
    a.send("<message to='%s' type='groupchat'><active xmlns='http://jabber"
           ".org/protocol/chatstates'/></message>" % room)
    m = c.expect(r"<message[^>]*>(?:(?!</message>).)*<active.*?</message>")
    chat_state_sid = re.search(r"stanza-id [^>]*id='([^']+)'", m.group(0))
    a.send("<message to='%s' type='groupchat'><subject>Logged</subject>"
           "</message>" % room)
    m = c.expect(r"<message[^>]*>(?:(?!</message>).)*<subject>Logged.*?"
                 r"</message>").group(0)
    ids.append(re.search(r"stanza-id [^>]*id='([^']+)'", m).group(1))
    ids.append(say(b, room, "five"))
    r = q(s, c, room)
    assert r["error"] is None, r["iq"]
    assert r["ids"] == ids and r["count"] == 5 and r["complete"], r
    assert r["bodies"] == ["one", "two", "three & four", None, "five"], r
    assert chat_state_sid and chat_state_sid.group(1) not in r["ids"]
    live_oids = {}
    for inner, nick in zip(r["msgs"], ("Alice", "Bob", "Carol", "Alice",
                                       "Bob")):
        assert inner.get("from") == "%s/%s" % (room, nick), inner.attrib
        assert inner.get("to") is None and inner.get("type") == "groupchat"
        o = inner.find("{%s}occupant-id" % NS_OID).get("id")
        assert live_oids.setdefault(nick, o) == o, (nick, o)
        # A participant of a semi-anonymous room learns no real JID.
        assert inner.find("{%s}x" % NS_USER) is None
    assert len(set(live_oids.values())) == 3, live_oids
    assert r["msgs"][0].get("id") == "c1"
    assert r["msgs"][3].find("{jabber:client}subject").text == "Logged"
    # The results come from the room itself, to the querier.
    c.send("<iq type='set' id='raw' to='%s'><query xmlns='%s' queryid='rq'>"
           "<set xmlns='http://jabber.org/protocol/rsm'><max>1</max></set>"
           "</query></iq>" % (room, NS))
    m = c.expect(r"<message[^>]*>\s*<result[^>]*queryid='rq'").group(0)
    assert "from='%s'" % room in m and "to='carol@example.org/r'" in m, m
    c.expect(r"<iq[^>]*id='raw'")
    # The owner, a moderator, sees who said what.
    r = q(s, a, room, max=1)
    x = r["msgs"][0].find("{%s}x" % NS_USER)
    assert x is not None and x.find("{%s}item" % NS_USER).get("jid") == \
        "alice@example.org", r["msgs"][0]
    # A room that does not log names its messages all the same, and
    # answers no query.
    enter(a, room2, "Alice")
    sid = say(a, room2, "unlogged")
    assert len(sid) >= 16, sid
    r = q(s, a, room2)
    assert r["error"] == "service-unavailable" and r["ids"] == [], r
    for x in (a, b, c):
        x.close()


def test_temporary_room_keeps_no_archive(s):
    room = "temp@" + TEMP
    a = login(s, "alice")
    enter(a, room, "Alice")
    instant(a, room)
    say(a, room, "gone with the room")
    r = q(s, a, room)
    assert r["error"] == "service-unavailable", r
    a.close()


def fill(s, room, n, prefix="p"):
    a = login(s, "alice")
    enter(a, room, "Alice")
    ids = [say(a, room, "%s%d" % (prefix, i)) for i in range(n)]
    return a, ids


def test_paging_both_ways(s):
    room = "pages@" + KEEP
    logging_room(s, room)
    a, ids = fill(s, room, 30)
    r = q(s, a, room, max=10)
    assert r["ids"] == ids[:10] and not r["complete"], r
    assert (r["first"], r["last"], r["count"], r["index"]) == \
        (ids[0], ids[9], 30, 0), r
    r = q(s, a, room, max=10, after=r["last"])
    assert r["ids"] == ids[10:20] and r["index"] == 10, r
    r = q(s, a, room, max=10, after=r["last"])
    assert r["ids"] == ids[20:] and r["complete"], r
    # Backward from the end: the last page, oldest first, then the one
    # before it.
    r = q(s, a, room, max=10, before="")
    assert r["ids"] == ids[20:] and not r["complete"], r
    assert r["index"] == 20, r
    r = q(s, a, room, max=10, before=r["first"])
    assert r["ids"] == ids[10:20], r
    r = q(s, a, room, max=25, before=r["first"])
    assert r["ids"] == ids[:10] and r["complete"], r
    # A flipped page: the same messages, newest first.
    r = q(s, a, room, max=5, after=ids[4], flip=True)
    assert r["ids"] == ids[5:10][::-1], r
    assert r["first"] == ids[9] and r["last"] == ids[5], r
    # max 0: the count alone.
    r = q(s, a, room, max=0)
    assert r["ids"] == [] and r["count"] == 30 and not r["complete"], r
    a.close()


def test_page_size_is_capped(s):
    room = "cap@" + KEEP
    logging_room(s, room)
    a, ids = fill(s, room, 130, "c")
    r = q(s, a, room, max=100000)
    assert r["ids"] == ids[:100] and not r["complete"], len(r["ids"])
    r = q(s, a, room)
    assert r["ids"] == ids[:50], len(r["ids"])
    r = q(s, a, room, max="9" * 40, after=ids[99])
    assert r["ids"] == ids[100:] and r["complete"], len(r["ids"])
    a.close()


def test_filters(s):
    room = "filters@" + KEEP
    logging_room(s, room)
    a, b = login(s, "alice"), login(s, "bob")
    enter(a, room, "Alice")
    enter(b, room, "Bob")
    ids = [say(a, room, "f0"), say(b, room, "f1"), say(a, room, "f2"),
           say(b, room, "f3")]
    # Bob becomes Robert: his messages are under the nick they had.
    b.send("<presence to='%s/Robert'/>" % room)
    b.expect(r"<presence[^>]*from='%s/Robert'" % re.escape(room))
    ids.append(say(b, room, "f4"))
    full = q(s, a, room)
    stamps = full["stamps"]
    cases = [
        ([("with", room + "/Bob")], ids[1:4:2]),
        ([("with", room + "/Robert")], ids[4:]),
        ([("with", room + "/Nobody")], []),
        ([("with", room)], ids),
        ([("start", stamps[2])], ids[2:]),
        ([("end", stamps[1])], ids[:2]),
        ([("start", stamps[1]), ("end", stamps[3])], ids[1:4]),
        ([("start", "2100-01-01T00:00:00Z")], []),
        ([("after-id", ids[0]), ("before-id", ids[3])], ids[1:3]),
        ([("ids", [ids[3], ids[0]])], [ids[0], ids[3]]),
        ([("ids", ["nosuch"])], []),
        ([("with", room + "/Bob"), ("after-id", ids[1])], [ids[3]]),
    ]
    for fields, want in cases:
        r = q(s, b, room, fields=fields)
        assert r["error"] is None and r["ids"] == want, (fields, r)
    # By real JID: for those who may see real JIDs only.
    r = q(s, a, room, fields=[("with", "bob@example.org")])
    assert r["ids"] == [ids[1], ids[3], ids[4]], r
    r = q(s, b, room, fields=[("with", "alice@example.org")])
    assert r["error"] == "forbidden" and r["ids"] == [], r
    a.close()
    b.close()


def test_another_rooms_ids_and_bad_queries(s):
    room, other = "bad@" + KEEP, "other@" + KEEP
    logging_rooms(s, room, other)
    a = login(s, "alice")
    enter(a, room, "Alice")
    enter(a, other, "Alice")
    mine = say(a, room, "mine")
    theirs = say(a, other, "theirs")
    for kw in ({"after": theirs}, {"before": theirs},
               {"fields": [("after-id", theirs)]},
               {"fields": [("before-id", theirs)]},
               {"after": "x" * 5000}, {"after": "nosuch"}):
        r = q(s, a, room, **kw)
        assert r["error"] == "item-not-found" and r["ids"] == [], (kw, r)
    r = q(s, a, room, fields=[("ids", [theirs])])
    assert r["ids"] == [] and r["count"] == 0, r
    bad = [
        form([("colour", "blue")]),
        "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
        "<value>urn:xmpp:mam:1</value></field></x>",
        form([("with", ["%s/A" % room, "%s/B" % room])]),
        form([("with", "@@@")]),
        form([("start", "yesterday")]),
        form([("end", "2020-13-01T00:00:00Z")]),
        form([("start", "2020-01-01T00:00:00")]),
        form([("after-id", "")]),
        form([("ids", ["id%d" % k for k in range(65)])]),
        rsm(max="-1"),
        rsm(max="ten"),
    ]
    for body in bad:
        r = q(s, a, room, raw=body)
        assert r["error"] == "bad-request" and r["ids"] == [], (body, r)
    r = q(s, a, room, raw="<set xmlns='http://jabber.org/protocol/rsm'>"
          "<index>3</index></set>")
    assert r["error"] == "feature-not-implemented", r
    a.send("<iq type='set' id='qq' to='%s'><query xmlns='%s' "
           "queryid='%s'/></iq>" % (room, NS, "q" * 300))
    assert "<bad-request" in a.expect(r"<iq[^>]*id='qq'.*?</iq>").group(0)
    for body, cond in (("<metadata xmlns='%s'><x/></metadata>" % NS,
                        "bad-request"),
                       ("<prefs xmlns='%s' default='always'/>" % NS,
                        "service-unavailable")):
        a.send("<iq type='get' id='bq' to='%s'>%s</iq>" % (room, body))
        e = a.expect(r"<iq[^>]*id='bq'.*?</iq>").group(0)
        assert "type='error'" in e and "<%s" % cond in e, e
    a.send("<iq type='set' id='bm' to='%s'><metadata xmlns='%s'/></iq>" %
           (room, NS))
    assert "<bad-request" in a.expect(r"<iq[^>]*id='bm'.*?</iq>").group(0)
    # The archive is what it was, and mucd answers on.
    r = q(s, a, room)
    assert r["ids"] == [mine], r
    a.close()


def test_metadata_and_form(s):
    room = "meta@" + KEEP
    logging_room(s, room)
    a = login(s, "alice")
    enter(a, room, "Alice")
    a.send("<iq type='get' id='m0' to='%s'><metadata xmlns='%s'/></iq>" %
           (room, NS))
    m = a.expect(r"<iq[^>]*id='m0'.*?(?:</iq>|/>)").group(0)
    assert "type='result'" in m and "<start" not in m, m
    ids = [say(a, room, "x%d" % i) for i in range(3)]
    a.send("<iq type='get' id='m1' to='%s'><metadata xmlns='%s'/></iq>" %
           (room, NS))
    m = a.expect(r"<iq[^>]*id='m1'.*?</iq>").group(0)
    assert re.search(r"<start id='%s' timestamp='[^']+Z'/>" % ids[0], m), m
    assert re.search(r"<end id='%s' timestamp='[^']+Z'/>" % ids[2], m), m
    a.send("<iq type='get' id='f1' to='%s'><query xmlns='%s'/></iq>" %
           (room, NS))
    f = a.expect(r"<iq[^>]*id='f1'.*?</iq>").group(0)
    for var in ("FORM_TYPE", "with", "start", "end", "after-id",
                "before-id", "ids"):
        assert "var='%s'" % var in f, (var, f)
    a.close()


# -- who may read ---------------------------------------------------------------

def test_who_may_read(s):
    # Open, public, semi-anonymous: its occupants, admins and owners.
    room = "open@" + KEEP
    logging_room(s, room)
    configure(s, room, affs=(("dave@example.org", "member"),
                             ("erin@example.org", "admin"),
                             ("mallory@example.org", "outcast")))
    a = login(s, "alice")
    enter(a, room, "Alice")
    say(a, room, "for occupants")
    a.close()

    def others():
        return [login(s, u) for u in ("bob", "dave", "erin", "mallory")]

    b, d, e, m = others()
    for c, err in ((b, "forbidden"), (d, "forbidden"), (m, "forbidden"),
                   (e, None)):
        r = q(s, c, room)
        assert r["error"] == err, (c.jid, r)
        assert r["ids"] == [] if err else r["bodies"] == ["for occupants"]
    enter(b, room, "Bob")
    r = q(s, b, room)
    assert r["bodies"] == ["for occupants"], r
    # Another session of an occupant is no occupant.
    b2 = login(s, "bob", "other")
    assert q(s, b2, room)["error"] == "forbidden"
    # Hidden: an outsider learns nothing, not even that it exists.
    configure(s, room, public=0)
    b, d, e, m = others()
    r = q(s, d, room)
    assert r["error"] == "item-not-found" and r["ids"] == [], r
    nosuch = q(s, d, "nosuch@" + KEEP)
    assert nosuch["error"] == "item-not-found", nosuch
    assert re.sub(r"id='[^']*'|open|nosuch", "", r["iq"]) == \
        re.sub(r"id='[^']*'|open|nosuch", "", nosuch["iq"]), \
        (r["iq"], nosuch["iq"])
    assert q(s, e, room)["error"] is None
    # Members-only (Conversations' private group chats): members may
    # read without joining; others not.
    configure(s, room, members_only=1, public=1)
    b, d, e, m = others()
    r = q(s, d, room)
    assert r["error"] is None and r["bodies"] == ["for occupants"], r
    assert q(s, b, room)["error"] == "forbidden"
    assert q(s, m, room)["error"] == "forbidden"
    # Non-anonymous and open: members too, and they see real JIDs.
    configure(s, room, members_only=0, whois=1)
    b, d, e, m = others()
    r = q(s, d, room)
    assert r["error"] is None, r
    x = r["msgs"][0].find("{%s}x" % NS_USER)
    assert x.find("{%s}item" % NS_USER).get("jid") == "alice@example.org"
    assert q(s, b, room)["error"] == "forbidden"
    for c in (b, d, e, m):
        c.close()


# -- a real client ----------------------------------------------------------------

async def slix_mam(port, room, ids):
    loop = asyncio.get_event_loop()
    c = slix("carol", loop)
    c.register_plugin("xep_0313")
    c.connect(("127.0.0.1", port))
    await asyncio.wait_for(c.started, 20)
    muc = c.plugin["xep_0045"]
    await muc.join_muc_wait(room, "Carol", maxchars=0, timeout=10)
    mam = c.plugin["xep_0313"]
    fields = await mam.get_fields(jid=room)
    names = list(fields.get_fields())
    assert "with" in names and "start" in names and "ids" in names, names
    iq = await mam.retrieve(jid=room, rsm={"max": 5})
    got = [m["mam_result"]["id"] for m in iq["mam"]["results"]]
    assert got == ids[:5], got
    assert iq["mam_fin"]["rsm"]["count"] == str(len(ids))
    got = []
    async for m in mam.iterate(jid=room, rsm={"max": 4}):
        fwd = m["mam_result"]["forwarded"]
        assert fwd["stanza"]["from"].bare == room, m
        assert fwd["delay"]["stamp"] is not None, m
        got.append(m["mam_result"]["id"])
    assert got == ids, got
    # The last page first, as a client scrolling back asks for it.
    got = []
    async for m in mam.iterate(jid=room, rsm={"max": 3}, reverse=True,
                               total=3):
        got.append(m["mam_result"]["id"])
    assert got == ids[-3:][::-1], got
    meta = await mam.get_archive_metadata(jid=room)
    assert meta["mam_metadata"]["start"]["id"] == ids[0], meta
    assert meta["mam_metadata"]["end"]["id"] == ids[-1], meta
    c.disconnect()
    await c.disconnected


def test_slixmpp_queries_a_room(s):
    room = "slixmam@" + KEEP
    logging_room(s, room)
    a, ids = fill(s, room, 11, "s")
    run_scenario(slix_mam(s.ports["client"], room, ids))
    a.close()


# -- persistence and expiry ------------------------------------------------------

def test_archive_survives_kill9_and_restart(s):
    room = "durable@" + KEEP
    logging_room(s, room)
    a, ids = fill(s, room, 4, "d")
    before = q(s, a, room)
    a.close()
    kill_mucd(s)
    a = login(s, "alice")
    after = q(s, a, room)
    assert after["ids"] == ids and after["stamps"] == before["stamps"]
    a.close()
    s.stop_keep()
    s.start()
    a = login(s, "alice")
    r = q(s, a, room)
    assert r["ids"] == ids and r["bodies"] == before["bodies"], r
    # Still logging, and the next id is new.
    enter(a, room, "Alice")
    ids.append(say(a, room, "after restart"))
    assert len(set(ids)) == len(ids)
    assert q(s, a, room)["ids"] == ids
    a.close()


def test_archive_expire_of_the_muc_block(s):
    """"archive expire 1d": older rows go, in chunks, at start and hourly;
    so does the history kept for the room."""
    room = "expiring@" + OLD
    rid = logging_room(s, room)
    # The run at mucd's start (logging_room restarts xmppd) is over
    # before old rows are written: a late one would take some of them
    # before the restart below.
    kill_mucd(s)
    s.wait_log(r"mucd\[%d\]: room archive expiry: " % s.pid_of("mucd"))
    a = login(s, "alice")
    enter(a, room, "Alice")
    recent = say(a, room, "recent")
    a.close()
    old = int((time.time() - 3 * 86400) * 1000000)
    d = muc_db(s)
    d.executemany(
        "INSERT INTO muc_mam (room, id, stamp, nick, jid, xml) VALUES "
        "(?, ?, ?, 'Alice', 'alice@example.org', ?)",
        [(rid, "old%d" % i, old + i,
          "<message from='%s/Alice' type='groupchat'><body>old %d</body>"
          "</message>" % (room, i)) for i in range(2500)])
    d.execute("INSERT INTO muc_history (room, stamp, xml) VALUES (?, ?, ?)",
              (rid, old, "<message from='%s/Alice' type='groupchat'><body>"
               "old history</body></message>" % room))
    d.commit()
    d.close()
    m = s.mark()
    kill_mucd(s)
    s.wait_log(r"room archive expiry: 2500 messages deleted", after=m)
    a = login(s, "alice")
    r = q(s, a, room)
    assert r["ids"] == [recent] and r["count"] == 1, r
    d = muc_db(s)
    rows = [x[0] for x in d.execute("SELECT xml FROM muc_history WHERE "
                                    "room = ?", (rid,))]
    d.close()
    assert len(rows) == 1 and "recent" in rows[0], rows
    # The rooms of a service without "archive expire" keep everything.
    room2 = "forever@" + KEEP
    rid2 = logging_room(s, room2)
    d = muc_db(s)
    d.execute("INSERT INTO muc_mam (room, id, stamp, nick, jid, xml) "
              "VALUES (?, 'ancient', 1000000, 'Alice', 'alice@example.org',"
              " ?)", (rid2, "<message from='%s/Alice' type='groupchat'>"
                      "<body>ancient</body></message>" % room2))
    d.commit()
    d.close()
    a.close()
    restart(s)
    s.wait_log(r"room archive expiry: nothing to delete")
    assert not s.log_has(r"room archive expiry: \d+ messages")
    a = login(s, "alice")
    r = q(s, a, room2)
    assert r["ids"] == ["ancient"], r
    a.close()


# -- occupant ids -----------------------------------------------------------------

def test_occupant_ids(s):
    room, room2 = "oid@" + TEMP, "oid2@" + TEMP
    a, b = login(s, "alice"), login(s, "bob")
    p = enter(a, room, "Alice")
    instant(a, room)
    mine = oid_of(p)
    assert mine and len(mine) >= 20 and "alice" not in mine, p
    p = enter(b, room, "Bob")
    bob = oid_of(p)
    assert bob and bob != mine, p
    assert oid_of(pres(a, room + "/Bob")) == bob
    # The same user from another session, under another nick, in the
    # same room after leaving: the same id.
    b.send("<presence to='%s/Bobby'/>" % room)
    assert oid_of(pres(a, room + "/Bobby")) == bob
    b.send("<presence to='%s/Bobby' type='unavailable'/>" % room)
    pres(a, room + "/Bobby", r"[^>]*type='unavailable'")
    b2 = login(s, "bob", "second")
    enter(b2, room, "Bob2")
    assert oid_of(pres(a, room + "/Bob2")) == bob
    # In messages and private messages.
    b2.send("<message to='%s' type='groupchat'><body>hi</body></message>" %
            room)
    m = a.expect(r"<message[^>]*from='%s/Bob2'.*?</message>" %
                 re.escape(room)).group(0)
    assert oid_of(m) == bob, m
    b2.send("<message to='%s/Alice' type='chat'><body>pm</body></message>"
            % room)
    m = a.expect(r"<message(?=[^>]*from='%s/Bob2')(?=[^>]*type='chat')"
                 r"[^>]*>.*?</message>" % re.escape(room)).group(0)
    assert oid_of(m) == bob, m
    # Another room: another id for the same user.
    enter(a, room2, "Alice")
    instant(a, room2)
    enter(b, room2, "Bob")
    assert oid_of(pres(a, room2 + "/Bob")) not in (bob, None)
    for x in (a, b, b2):
        x.close()


def test_occupant_id_of_a_persistent_room_is_kept(s):
    room = "stable@" + KEEP
    logging_room(s, room, logging=0)
    b = login(s, "bob")
    before = oid_of(enter(b, room, "Bob"))
    b.close()
    kill_mucd(s)
    b = login(s, "bob")
    after = oid_of(enter(b, room, "Bob"))
    assert before and before == after, (before, after)
    # The key is the room's own, in its settings.
    rid = room_id(s, KEEP, "stable")
    d = muc_db(s)
    key = d.execute("SELECT value FROM room_config WHERE room = ? AND "
                    "key = 'mam.secret'", (rid,)).fetchone()[0]
    d.close()
    assert re.match(r"^[0-9a-f]{64}$", key), key
    b.close()
