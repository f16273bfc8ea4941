"""The owner's side of a room (XEP-0045 section 10) and registration with
a room (section 7.10) in mucd: the muc#roomconfig form of a reserved room
and later, every setting read back the same (through slixmpp's xep_0045
plugin and raw sockets), the status codes occupants hear of a change,
members-only and password-protected rooms, the admin and owner lists,
the destruction of a room, reserved nicks; every malformed form and every
sender without the right refused with nothing changed; a persistent
room's settings across a kill -9 of mucd."""

import asyncio
import os
import re
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_muc import (codes, create, error_of, join, kill_mucd, login,  # noqa
                      mucd_pid, pres, self_presence, slix, slix_join, upto)
from muctest import muc_db  # noqa: E402
from xmppdtest import Server, add_user

MUC = "conference.example.org"
SMALL = "small.example.org"
USERS = ("alice", "bob", "carol", "dave", "erin")
NS_MUC = "http://jabber.org/protocol/muc"
NS_OWNER = NS_MUC + "#owner"
NS_CONFIG = NS_MUC + "#roomconfig"
NS_XDATA = "jabber:x:data"
NS_REG = "jabber:iq:register"
RC = "muc#roomconfig_"


def setup():
    s = Server(prefork=1)
    s.write_conf('muc "%s" {\n\trooms per user 1000\n}\n'
                 'muc "%s" {\n\toccupants per room 30\n\thistory 10\n}\n'
                 % (MUC, SMALL))
    s.start()
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    return s


def teardown(s):
    s.stop()


# -- helpers ----------------------------------------------------------------

def iq(c, room, iqid, payload, kind="set"):
    """Send an IQ to room; returns the answer's text."""
    c.send("<iq type='%s' id='%s' to='%s'>%s</iq>" % (kind, iqid, room,
                                                      payload))
    return c.expect(r"<iq[^>]*id='%s'[^>]*(?:/>|>.*?</iq>)" % iqid).group(0)


def field(var, *values):
    return "<field var=%s>%s</field>" % (quoteattr(var), "".join(
        "<value>%s</value>" % escape(v) for v in values))


def submission(fields, form_type=NS_CONFIG, ftype="submit", ns=NS_XDATA):
    ft = field("FORM_TYPE", form_type) if form_type is not None else ""
    return ("<query xmlns='%s'><x xmlns='%s' type='%s'>%s%s</x></query>" %
            (NS_OWNER, ns, ftype, ft, "".join(fields)))


def configure(c, room, fields, iqid="cfg"):
    """Submit fields ((var, value...), ...); returns the answer."""
    return iq(c, room, iqid, submission([field(*f) for f in fields]))


def ok(r):
    assert "type='result'" in r, r


def refused(r, cond):
    assert "type='error'" in r and ("<%s " % cond in r or "<%s/>" % cond
                                    in r), (cond, r)


def get_form(c, room, iqid="get"):
    """The configuration form: {var: [values]} and its raw text."""
    r = iq(c, room, iqid, "<query xmlns='%s'/>" % NS_OWNER, "get")
    assert "type='result'" in r, r
    x = ET.fromstring(r).find("{%s}query/{%s}x" % (NS_OWNER, NS_XDATA))
    assert x is not None and x.get("type") == "form", r
    form = {}
    for f in x.findall("{%s}field" % NS_XDATA):
        if f.get("var"):
            form[f.get("var")] = [v.text or "" for v in
                                  f.findall("{%s}value" % NS_XDATA)]
    return form, r


def options(r, var):
    x = ET.fromstring(r).find("{%s}query/{%s}x" % (NS_OWNER, NS_XDATA))
    for f in x.findall("{%s}field" % NS_XDATA):
        if f.get("var") == var:
            return [o.find("{%s}value" % NS_XDATA).text
                    for o in f.findall("{%s}option" % NS_XDATA)]
    raise AssertionError("no field " + var)


def status_message(c, room):
    """The codes of the next message from the room itself (the subject
    a join ends with passed over)."""
    while True:
        m = c.expect(r"<message(?=[^>]*from='%s')[^>]*>"
                     r"(?:(?!</message>).)*</message>"
                     % re.escape(room)).group(0)
        if "<subject" not in m or "#user'" in m:
            break
    assert "type='groupchat'" in m and "#user'" in m, m
    return codes(m)


def marker(owner, room, others, text):
    """owner says text in room; returns what each of others got before
    it (the room keeps order)."""
    owner.send("<message to='%s' type='groupchat'><body>%s</body>"
               "</message>" % (room, text))
    return [upto(o, re.escape(text))[0] for o in others]


def join_with(c, room, nick, password=None):
    """Enter room, giving password (None: no password element)."""
    pw = "" if password is None else "<password>%s</password>" % \
        escape(password)
    c.send("<presence to='%s/%s'><x xmlns='%s'>%s</x></presence>" %
           (room, nick, NS_MUC, pw))


def enter(c, room, nick, password=None):
    join_with(c, room, nick, password)
    return self_presence(c)


def occupied(s, room, *users):
    """The first user creates room (instant), the others enter; each has
    seen the presence of all who came after it."""
    cs = [login(s, u) for u in users]
    create(cs[0], room, users[0].capitalize())
    for i, c in enumerate(cs[1:], 1):
        nick = users[i].capitalize()
        enter(c, room, nick)
        for o in cs[:i]:
            pres(o, "%s/%s" % (room, nick))
    return cs


def created(c):
    """The self-presence of a room just created."""
    return c.expect(r"<presence[^>]*>(?:(?!</presence>).)*"
                    r"<status code='201'/>.*?</presence>").group(0)


def close(*cs):
    for c in cs:
        c.close()


# -- real clients -----------------------------------------------------------

HOSTILE = "<b>&amp; \"quoted\" 'single' ]]> \u00e9\u4e2d"


async def slix_scenario(port):
    loop = asyncio.get_event_loop()
    room = "slixcfg@" + MUC
    alice, bob = slix("alice", loop), slix("bob", loop)
    for c in (alice, bob):
        c.connect(("127.0.0.1", port))
    await asyncio.wait_for(asyncio.gather(alice.started, bob.started), 20)
    muc = alice.plugin["xep_0045"]
    p = await slix_join(alice, room, "Alice")
    assert 201 in p["muc"]["status_codes"], p
    # A reserved room: the form first, the room locked meanwhile.
    form = await muc.get_room_config(room)
    values = form.get_values()
    assert values["FORM_TYPE"] in (NS_CONFIG, [NS_CONFIG]), values
    for var in ("roomname", "roomdesc", "lang", "persistentroom",
                "publicroom", "membersonly", "moderatedroom",
                "passwordprotectedroom", "roomsecret", "maxusers", "whois",
                "allowinvites", "allowpm", "changesubject", "enablelogging",
                "roomadmins", "roomowners"):
        assert RC + var in values, (var, values)
    assert "muc#maxhistoryfetch" in values, values
    assert values[RC + "roomowners"] == ["alice@example.org"], values
    p = await slix_join(bob, room, "Bob")
    assert p["type"] == "error", p
    form.set_values({RC + "roomname": HOSTILE,
                     RC + "roomdesc": "A room\nof " + HOSTILE,
                     RC + "lang": "en-GB",
                     RC + "changesubject": True,
                     RC + "allowpm": "moderators",
                     RC + "whois": "anyone",
                     RC + "roomadmins": ["bob@example.org"],
                     "muc#maxhistoryfetch": "7"})
    await muc.set_room_config(room, form)
    p = await slix_join(bob, room, "Bob")
    assert p["type"] != "error", p
    assert p["muc"]["affiliation"] == "admin", p
    assert p["muc"]["role"] == "moderator", p
    # 100: the room was made non-anonymous.
    assert 100 in p["muc"]["status_codes"], p
    back = (await muc.get_room_config(room)).get_values()
    assert back[RC + "roomname"] == HOSTILE, back
    assert back[RC + "roomdesc"] == "A room\nof " + HOSTILE, back
    assert back[RC + "lang"] == "en-GB", back
    assert back[RC + "changesubject"] is True, back
    assert back[RC + "allowpm"] == "moderators", back
    assert back[RC + "whois"] == "anyone", back
    assert back[RC + "roomadmins"] == ["bob@example.org"], back
    assert back["muc#maxhistoryfetch"] == "7", back
    # Bob is an admin, not an owner: the form is not his.
    try:
        await bob.plugin["xep_0045"].get_room_config(room)
        raise AssertionError("an admin got the form")
    except Exception as e:
        assert "forbidden" in str(e.__dict__) or "forbidden" in repr(e), e
    gone = loop.create_future()
    bob.add_event_handler(
        "muc::%s::presence" % room,
        lambda p: p["type"] == "unavailable" and not gone.done() and
        gone.set_result(p))
    await muc.destroy(room, reason=HOSTILE, altroom="elsewhere@" + MUC)
    p = await asyncio.wait_for(gone, 10)
    d = p.xml.find("{%s#user}x/{%s#user}destroy" % (NS_MUC, NS_MUC))
    assert d is not None and d.get("jid") == "elsewhere@" + MUC, p
    assert d.find("{%s#user}reason" % NS_MUC).text == HOSTILE, p
    for c in (alice, bob):
        c.disconnect()
    await asyncio.gather(*(c.disconnected for c in (alice, bob)))


def test_slixmpp_reserved_room_round_trip_and_destroy(s):
    asyncio.run(asyncio.wait_for(slix_scenario(s.ports["client"]), 60))


# -- creating ---------------------------------------------------------------

def test_reserved_room_unlocks_on_submit_cancel_destroys(s):
    room = "reserved@" + MUC
    a, b = login(s, "alice"), login(s, "bob")
    join(a, room, "Alice")
    assert codes(self_presence(a)) == [110, 201]
    form, _ = get_form(a, room)
    assert form["FORM_TYPE"] == [NS_CONFIG], form
    assert form[RC + "persistentroom"] == ["0"], form
    assert form[RC + "publicroom"] == ["1"], form
    assert form[RC + "whois"] == ["moderators"], form
    join(b, room, "Bob")
    assert "<item-not-found" in error_of(b)
    ok(configure(a, room, [(RC + "roomname", "Reserved")]))
    p = enter(b, room, "Bob")
    assert codes(p) == [110], p
    assert get_form(a, room)[0][RC + "roomname"] == ["Reserved"]
    # A new room whose owner cancels its form is gone.
    room2 = "cancelled@" + MUC
    join(a, room2, "Alice")
    self_presence(a)
    get_form(a, room2)
    r = iq(a, room2, "c1", "<query xmlns='%s'><x xmlns='%s' type='cancel'/>"
           "</query>" % (NS_OWNER, NS_XDATA))
    ok(r)
    join(b, room2, "Bob")
    assert codes(self_presence(b)) == [110, 201]
    # A cancelled later configuration changes nothing.
    r = iq(a, room, "c2", "<query xmlns='%s'><x xmlns='%s' type='cancel'/>"
           "</query>" % (NS_OWNER, NS_XDATA))
    ok(r)
    assert get_form(a, room)[0][RC + "roomname"] == ["Reserved"]
    close(a, b)


# -- what occupants hear ----------------------------------------------------

def test_status_codes_of_changes(s):
    room = "codes@" + MUC
    cs = occupied(s, room, "alice", "bob", "carol", "dave")
    a, b, c, d = cs
    ok(configure(a, room, [(RC + "roomname", "Renamed")], "s1"))
    for x in cs:
        assert status_message(x, room) == [104]
    ok(configure(a, room, [(RC + "enablelogging", "1")], "s2"))
    for x in cs:
        assert status_message(x, room) == [170]
    ok(configure(a, room, [(RC + "enablelogging", "0")], "s3"))
    for x in cs:
        assert status_message(x, room) == [171]
    # Non-anonymous: every occupant hears every presence again, with the
    # real JIDs, then 172.
    ok(configure(a, room, [(RC + "whois", "anyone"),
                           (RC + "roomdesc", "now open")], "s4"))
    before, m = upto(c, r"<message(?=[^>]*from='%s')[^>]*>.*?</message>" %
                     re.escape(room))
    assert "jid='bob@example.org/r'" in before, before
    assert "jid='dave@example.org/r'" in before, before
    assert codes(m.group(2)) == [104, 172], m.group(2)
    for x in (a, b, d):
        assert status_message(x, room) == [104, 172]
    ok(configure(a, room, [(RC + "whois", "moderators")], "s5"))
    for x in cs:
        assert status_message(x, room) == [173]
    # The same settings again: nothing to tell.
    ok(configure(a, room, [(RC + "whois", "moderators"),
                           (RC + "roomname", "Renamed")], "s6"))
    for got in marker(a, room, cs[1:], "after s6"):
        assert "<status" not in got, got
    # Entering a logged, non-anonymous room: 100 and 170.
    ok(configure(a, room, [(RC + "whois", "anyone"),
                           (RC + "enablelogging", "1")], "s7"))
    for x in cs:
        assert status_message(x, room) == [170, 172]
    e = login(s, "erin")
    assert codes(enter(e, room, "Erin")) == [100, 110, 170]
    close(e, *cs)


def test_members_only_removes_non_members_322(s):
    room = "members@" + MUC
    cs = occupied(s, room, "alice", "bob", "carol", "dave")
    a, b, c, d = cs
    # Bob becomes a member by registering; Carol is made an admin.
    ok(iq(b, room, "r1", "<query xmlns='%s'>%s</query>" % (NS_REG, (
        "<x xmlns='%s' type='submit'>%s%s</x>" % (
            NS_XDATA, field("FORM_TYPE", NS_MUC + "#register"),
            field("muc#register_roomnick", "Bob"))))))
    for x in cs:
        p = pres(x, room + "/Bob")
        assert "affiliation='member'" in p, p
    ok(configure(a, room, [(RC + "roomadmins", "carol@example.org")], "m0"))
    for x in cs:
        p = pres(x, room + "/Carol")
        assert "affiliation='admin'" in p and "role='moderator'" in p, p
    ok(configure(a, room, [(RC + "membersonly", "1")], "m1"))
    p = d.expect(r"<presence[^>]*type='unavailable'.*?</presence>").group(0)
    assert codes(p) == [110, 322] and "role='none'" in p, p
    for x in (a, b, c):
        p = pres(x, room + "/Dave", r"[^>]*type='unavailable'")
        assert codes(p) == [322], p
        assert status_message(x, room) == [104]
    # Dave is out and stays out; he hears nothing more of the room.
    join(d, room, "Dave")
    e = error_of(d)
    assert "<registration-required" in e and "type='auth'" in e, e
    for got in marker(a, room, (b, c), "members only"):
        assert "Dave" not in got, got
    # Bob may come back; a non-member may not register here.
    b.send("<presence to='%s/Bob' type='unavailable'/>" % room)
    pres(b, room + "/Bob", r"[^>]*type='unavailable'")
    assert "affiliation='member'" in enter(b, room, "Bob")
    for x in (a, c):
        pres(x, room + "/Bob")
    r = iq(d, room, "r2", "<query xmlns='%s'/>" % NS_REG, "get")
    refused(r, "not-allowed")
    # Bob cancels his registration: a member no more, he leaves (321).
    b.send("<iq type='set' id='r3' to='%s'><query xmlns='%s'><remove/>"
           "</query></iq>" % (room, NS_REG))
    before, m = upto(b, r"<iq[^>]*id='r3'[^>]*(?:/>|>.*?</iq>)")
    ok(m.group(2))
    p = b.expect(r"<presence[^>]*type='unavailable'.*?</presence>").group(0)
    assert codes(p) == [110, 321] and "affiliation='none'" in p, p
    for x in (a, c):
        p = pres(x, room + "/Bob", r"[^>]*type='unavailable'")
        assert codes(p) == [321], p
    join(b, room, "Bob")
    assert "<registration-required" in error_of(b)
    close(*cs)


def test_password_protected_room(s):
    room = "secret@" + MUC
    a, b = occupied(s, room, "alice", "bob")
    c = login(s, "carol")
    # A protected room without a password: refused, nothing changed.
    refused(configure(a, room, [(RC + "passwordprotectedroom", "1")],
                      "p0"), "not-acceptable")
    secret = "s3cr<e>t&'"
    ok(configure(a, room, [(RC + "passwordprotectedroom", "1"),
                           (RC + "roomsecret", secret)], "p1"))
    assert status_message(b, room) == [104]
    form, _ = get_form(a, room)
    assert form[RC + "passwordprotectedroom"] == ["1"], form
    assert form[RC + "roomsecret"] == [secret], form
    for given in (None, "wrong", secret[:-1], secret + "x", ""):
        join_with(c, room, "Carol", given)
        e = error_of(c)
        assert "<not-authorized" in e and "type='auth'" in e, (given, e)
    p = enter(c, room, "Carol", secret)
    assert codes(p) == [110], p
    # The owner needs none.
    a.send("<presence to='%s/Alice' type='unavailable'/>" % room)
    pres(a, room + "/Alice", r"[^>]*type='unavailable'")
    enter(a, room, "Alice")
    ok(configure(a, room, [(RC + "passwordprotectedroom", "0")], "p2"))
    assert get_form(a, room)[0][RC + "roomsecret"] == [""]
    d = login(s, "dave")
    enter(d, room, "Dave")
    close(a, b, c, d)


def test_limits_of_the_service_in_the_form(s):
    room = "bounds@" + SMALL
    a, b = occupied(s, room, "alice", "bob")
    form, r = get_form(a, room)
    # occupants per room 30, history 10
    assert form[RC + "maxusers"] == ["30"], form
    assert options(r, RC + "maxusers") == ["10", "20", "30"], r
    assert form["muc#maxhistoryfetch"] == ["10"], form
    assert "max='10'" in r, r
    ok(configure(a, room, [(RC + "maxusers", "20"),
                           ("muc#maxhistoryfetch", "5")], "b1"))
    assert status_message(b, room) == [104]
    form, r = get_form(a, room)
    assert form[RC + "maxusers"] == ["20"], form
    assert form["muc#maxhistoryfetch"] == ["5"], form
    ok(configure(a, room, [(RC + "historylength", "3")], "b2"))
    assert get_form(a, room)[0]["muc#maxhistoryfetch"] == ["3"]
    assert status_message(b, room) == [104]
    for fields, cond in (
            ([(RC + "maxusers", "15")], "not-acceptable"),
            ([(RC + "maxusers", "31")], "not-acceptable"),
            ([(RC + "maxusers", "100000")], "not-acceptable"),
            ([(RC + "maxusers", "0")], "not-acceptable"),
            ([(RC + "maxusers", "none")], "bad-request"),
            ([("muc#maxhistoryfetch", "11")], "not-acceptable"),
            ([("muc#maxhistoryfetch", "-1")], "not-acceptable"),
            ([("muc#maxhistoryfetch", "1e3")], "bad-request"),
            ([("muc#maxhistoryfetch", "4"), (RC + "historylength", "4")],
             "bad-request")):
        refused(configure(a, room, fields, "b3"), cond)
    form2, _ = get_form(a, room)
    assert form2[RC + "maxusers"] == ["20"], form2
    assert form2["muc#maxhistoryfetch"] == ["3"], form2
    close(a, b)


# -- bad input ----------------------------------------------------------------

def bad_submissions():
    long_name = "n" * 257
    jids = [field(RC + "roomadmins", *["u%d@example.org" % i
                                       for i in range(1001)])]
    many = [field("x-%d" % i, "v") for i in range(70)]
    return [
        ("wrong FORM_TYPE", submission([field(RC + "roomname", "x")],
                                       NS_MUC + "#register"), "bad-request"),
        ("no FORM_TYPE", submission([field(RC + "roomname", "x")], None),
         "bad-request"),
        ("field without var", submission(["<field><value>x</value></field>"]),
         "bad-request"),
        ("unknown field type", submission(
            ["<field var='%sroomname' type='bogus'><value>x</value></field>"
             % RC]), "bad-request"),
        ("boolean yes", submission([field(RC + "moderatedroom", "yes")]),
         "bad-request"),
        ("boolean empty", submission([field(RC + "moderatedroom")]),
         "bad-request"),
        ("two values", submission([field(RC + "publicroom", "0", "1")]),
         "bad-request"),
        ("field twice", submission([field(RC + "roomname", "a"),
                                    field(RC + "roomname", "b")]),
         "bad-request"),
        ("setting twice", submission([field(RC + "enablelogging", "1"),
                                      field(RC + "enablearchiving", "1")]),
         "bad-request"),
        ("whois outside options", submission([field(RC + "whois",
                                                    "everyone")]),
         "not-acceptable"),
        ("allowpm outside options", submission([field(RC + "allowpm",
                                                      "all")]),
         "not-acceptable"),
        ("name too long", submission([field(RC + "roomname", long_name)]),
         "not-acceptable"),
        ("description too long", submission([field(RC + "roomdesc",
                                                   "d" * 2049)]),
         "not-acceptable"),
        ("secret too long", submission([
            field(RC + "passwordprotectedroom", "1"),
            field(RC + "roomsecret", "p" * 257)]), "not-acceptable"),
        ("lang not a tag", submission([field(RC + "lang", "en us")]),
         "not-acceptable"),
        ("lang too long", submission([field(RC + "lang", "e" * 36)]),
         "not-acceptable"),
        ("no owner left", submission([field(RC + "roomowners")]),
         "conflict"),
        ("full JID in a list", submission([
            field(RC + "roomadmins", "bob@example.org/phone")]),
         "not-acceptable"),
        ("not a JID in a list", submission([
            field(RC + "roomadmins", "@@bad")]), "not-acceptable"),
        ("admin and owner", submission([
            field(RC + "roomadmins", "bob@example.org"),
            field(RC + "roomowners", "alice@example.org",
                  "bob@example.org")]), "not-acceptable"),
        ("list too long", submission(jids), "not-acceptable"),
        ("too many fields", submission(many), "not-acceptable"),
        # A good change with a bad one: neither is made.
        ("good and bad", submission([field(RC + "roomname", "Changed"),
                                     field(RC + "whois", "nobody")]),
         "not-acceptable"),
        ("form of type form", submission([field(RC + "roomname", "x")],
                                         ftype="form"), "bad-request"),
        ("form of another namespace", submission(
            [field(RC + "roomname", "x")], ns="jabber:x:nodata"),
         "bad-request"),
        ("two forms", "<query xmlns='%s'><x xmlns='%s' type='submit'/>"
         "<x xmlns='%s' type='submit'/></query>" % (NS_OWNER, NS_XDATA,
                                                    NS_XDATA),
         "bad-request"),
        ("no form", "<query xmlns='%s'/>" % NS_OWNER, "bad-request"),
        ("destroy and form", "<query xmlns='%s'><destroy/><x xmlns='%s' "
         "type='submit'/></query>" % (NS_OWNER, NS_XDATA), "bad-request"),
        ("venue not a room", "<query xmlns='%s'><destroy jid='%s'/>"
         "</query>" % (NS_OWNER, MUC), "jid-malformed"),
        ("venue malformed", "<query xmlns='%s'><destroy jid='a@@b'/>"
         "</query>" % NS_OWNER, "jid-malformed"),
        ("destroy reason too long", "<query xmlns='%s'><destroy><reason>"
         "%s</reason></destroy></query>" % (NS_OWNER, "r" * 1025),
         "not-acceptable"),
    ]


def test_malformed_forms_change_nothing(s):
    pid = mucd_pid(s)
    room = "malformed@" + MUC
    a, b, c = occupied(s, room, "alice", "bob", "carol")
    ok(configure(a, room, [(RC + "roomname", "Stable"),
                           (RC + "roomdesc", "as it was")], "m0"))
    for x in (b, c):
        assert status_message(x, room) == [104]
    before, _ = get_form(a, room)
    for i, (what, payload, cond) in enumerate(bad_submissions()):
        r = iq(a, room, "bad%d" % i, payload)
        try:
            refused(r, cond)
        except AssertionError:
            raise AssertionError("%s: %s" % (what, r))
        after, _ = get_form(a, room, "g%d" % i)
        assert after == before, (what, after)
    # A form of another namespace is no owner's query at all.
    r = iq(a, room, "ns", "<query xmlns='%sx'><x xmlns='%s' type='submit'>"
           "%s</x></query>" % (NS_OWNER, NS_XDATA,
                               field(RC + "roomname", "x")))
    refused(r, "service-unavailable")
    # The occupants heard of none of it, and the room is whole.
    for got in marker(a, room, (b, c), "still here"):
        assert "<status" not in got and "unavailable" not in got, got
    assert mucd_pid(s) == pid
    close(a, b, c)


def test_non_owners_are_forbidden(s):
    room = "owned@" + MUC
    a, b, c = occupied(s, room, "alice", "bob", "carol")
    d = login(s, "dave")
    ok(configure(a, room, [(RC + "roomadmins", "bob@example.org"),
                           (RC + "roomname", "Owned")], "o0"))
    before, _ = get_form(a, room)
    payloads = (
        ("get", "<query xmlns='%s'/>" % NS_OWNER),
        ("set", submission([field(RC + "roomname", "Mine")])),
        ("set", submission([field(RC + "roomowners", "carol@example.org")])),
        ("set", "<query xmlns='%s'><x xmlns='%s' type='cancel'/></query>" %
         (NS_OWNER, NS_XDATA)),
        ("set", "<query xmlns='%s'><destroy><reason>mine</reason>"
         "</destroy></query>" % NS_OWNER),
    )
    # An admin, a participant, and one who is not in the room.
    for x in (b, c, d):
        for i, (kind, payload) in enumerate(payloads):
            r = iq(x, room, "f%d" % i, payload, kind)
            refused(r, "forbidden")
            assert "type='auth'" in r, r
    assert get_form(a, room)[0] == before
    for got in marker(a, room, (b, c), "nothing happened"):
        assert "<status" not in got and "unavailable" not in got, got
    # The same room name on another service is another, unknown, room.
    r = iq(a, "owned@" + SMALL, "o1", "<query xmlns='%s'/>" % NS_OWNER,
           "get")
    refused(r, "item-not-found")
    r = iq(a, "owned@" + SMALL, "o2", submission([field(RC + "roomname",
                                                        "x")]))
    refused(r, "item-not-found")
    # The service is no room.
    refused(iq(a, MUC, "o3", "<query xmlns='%s'/>" % NS_OWNER, "get"),
            "service-unavailable")
    close(a, b, c, d)


# -- affiliations ------------------------------------------------------------

def test_admin_and_owner_lists(s):
    room = "lists@" + MUC
    cs = occupied(s, room, "alice", "bob", "carol", "dave")
    a, b, c, d = cs
    ok(configure(a, room, [(RC + "roomadmins", "bob@example.org",
                            "dave@example.org"),
                           (RC + "roomowners", "alice@example.org",
                            "carol@example.org")], "l1"))
    for x in cs:
        p = pres(x, room + "/Bob")
        assert "affiliation='admin'" in p and "role='moderator'" in p, p
        p = pres(x, room + "/Carol")
        assert "affiliation='owner'" in p and "role='moderator'" in p, p
        p = pres(x, room + "/Dave")
        assert "affiliation='admin'" in p, p
    form, _ = get_form(c, room)
    assert sorted(form[RC + "roomadmins"]) == ["bob@example.org",
                                               "dave@example.org"], form
    assert sorted(form[RC + "roomowners"]) == ["alice@example.org",
                                               "carol@example.org"], form
    # Dave off the admin list: a member, a participant again.
    ok(configure(c, room, [(RC + "roomadmins", "bob@example.org")], "l2"))
    for x in cs:
        p = pres(x, room + "/Dave")
        assert "affiliation='member'" in p and "role='participant'" in p, p
    # Alice leaves the owners to Carol, and the form is hers no more.
    ok(configure(a, room, [(RC + "roomowners", "carol@example.org")], "l3"))
    for x in cs:
        p = pres(x, room + "/Alice")
        assert "affiliation='member'" in p, p
    refused(iq(a, room, "l4", "<query xmlns='%s'/>" % NS_OWNER, "get"),
            "forbidden")
    # The last owner cannot go.
    r = configure(c, room, [(RC + "roomowners",)], "l5")
    refused(r, "conflict")
    r = configure(c, room, [(RC + "roomowners", "carol@example.org"),
                            (RC + "roomadmins", "carol@example.org")], "l6")
    refused(r, "not-acceptable")
    assert get_form(c, room)[0][RC + "roomowners"] == ["carol@example.org"]
    close(*cs)


# -- destroying -----------------------------------------------------------

def test_destroy_tells_every_occupant_and_forgets_the_room(s):
    room = "doomed@" + MUC
    cs = occupied(s, room, "alice", "bob", "carol", "dave", "erin")
    ok(configure(cs[0], room, [(RC + "persistentroom", "1"),
                               (RC + "roomname", "Doomed")], "d0"))
    db = muc_db(s)
    rows = db.execute("SELECT id FROM rooms WHERE service = ? AND name = ?",
                      (MUC, "doomed")).fetchall()
    assert len(rows) == 1, rows
    cs[0].send("<iq type='set' id='d1' to='%s'><query xmlns='%s'><destroy "
               "jid='Venue@%s'><reason>%s</reason><password>pw&amp;"
               "</password></destroy></query></iq>" %
               (room, NS_OWNER, MUC, escape(HOSTILE)))
    for x in cs:
        p = x.expect(r"<presence[^>]*type='unavailable'.*?</presence>")
        p = p.group(0)
        assert "<destroy jid='venue@%s'>" % MUC in p, p
        assert "<reason>%s</reason>" % escape(HOSTILE) in p, p
        assert "<password>pw&amp;</password>" in p, p
        assert "role='none'" in p, p
    ok(cs[0].expect(r"<iq[^>]*id='d1'[^>]*(?:/>|>.*?</iq>)").group(0))
    assert db.execute("SELECT count(*) FROM rooms WHERE id = ?",
                      rows[0]).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM room_config WHERE room = ?",
                      rows[0]).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM affiliations WHERE room = ?",
                      rows[0]).fetchone()[0] == 0
    db.close()
    join(cs[1], room, "Bob")
    assert codes(created(cs[1])) == [110, 201]
    close(*cs)


# -- persistence ------------------------------------------------------------

def test_persistent_settings_survive_kill9(s):
    room = "durable@" + MUC
    a, b = occupied(s, room, "alice", "bob")
    fields = [(RC + "persistentroom", "1"), (RC + "roomname", HOSTILE),
              (RC + "roomdesc", "kept"), (RC + "lang", "fr"),
              (RC + "publicroom", "0"), (RC + "moderatedroom", "1"),
              (RC + "passwordprotectedroom", "1"),
              (RC + "roomsecret", "durable"), (RC + "maxusers", "50"),
              (RC + "whois", "anyone"), (RC + "allowinvites", "1"),
              (RC + "allowpm", "none"), (RC + "changesubject", "1"),
              ("muc#maxhistoryfetch", "4"), (RC + "enablelogging", "1"),
              (RC + "roomadmins", "carol@example.org"),
              (RC + "roomowners", "alice@example.org", "dave@example.org")]
    ok(configure(a, room, fields, "k1"))
    before, _ = get_form(a, room)
    for var, *values in fields:
        assert before[var] == list(values), (var, before[var])
    kill_mucd(s)
    # The room is empty now; its owner reads the same form.
    after, _ = get_form(a, room, "k2")
    assert after == before, (before, after)
    c = login(s, "carol")
    p = enter(c, room, "Carol", "durable")
    assert "affiliation='admin'" in p and codes(p) == [100, 110, 170], p
    # Made temporary again, it leaves the database, and with its last
    # occupant, memory.
    ok(configure(a, room, [(RC + "persistentroom", "0")], "k3"))
    db = muc_db(s)
    assert db.execute("SELECT count(*) FROM rooms WHERE service = ? AND "
                      "name = ?", (MUC, "durable")).fetchone()[0] == 0
    db.close()
    c.send("<presence to='%s/Carol' type='unavailable'/>" % room)
    pres(c, room + "/Carol", r"[^>]*type='unavailable'")
    join(b, room, "Bob")
    assert codes(created(b)) == [110, 201]
    close(a, b, c)


def test_empty_temporary_room_made_so_goes(s):
    room = "fleeting@" + MUC
    a = login(s, "alice")
    create(a, room, "Alice")
    ok(configure(a, room, [(RC + "persistentroom", "1")], "t1"))
    a.send("<presence to='%s/Alice' type='unavailable'/>" % room)
    pres(a, room + "/Alice", r"[^>]*type='unavailable'")
    get_form(a, room)
    ok(configure(a, room, [(RC + "persistentroom", "0")], "t2"))
    refused(iq(a, room, "t3", "<query xmlns='%s'/>" % NS_OWNER, "get"),
            "item-not-found")
    a.close()


# -- registration -------------------------------------------------------------

def register(c, room, nick, iqid="reg", form_type=NS_MUC + "#register"):
    return iq(c, room, iqid, "<query xmlns='%s'><x xmlns='%s' type='submit'>"
              "%s%s</x></query>" % (NS_REG, NS_XDATA,
                                    field("FORM_TYPE", form_type),
                                    field("muc#register_roomnick", nick)))


def reserved_nick(c, room, iqid="rn"):
    r = iq(c, room, iqid, "<query xmlns='http://jabber.org/protocol/"
           "disco#info' node='x-roomuser-item'/>", "get")
    assert "type='result'" in r and "node='x-roomuser-item'" in r, r
    m = re.search(r"<identity[^>]*name='([^']*)'", r)
    return m.group(1) if m else None


def test_registration_reserves_a_nick(s):
    room = "register@" + MUC
    a, b, c, d = occupied(s, room, "alice", "bob", "carol", "dave")
    ok(configure(a, room, [(RC + "moderatedroom", "1")], "g0"))
    r = iq(b, room, "g1", "<query xmlns='%s'/>" % NS_REG, "get")
    assert "type='result'" in r and "muc#register_roomnick" in r, r
    assert "<registered" not in r, r
    assert reserved_nick(b, room) is None
    ok(register(b, room, "Bobby"))
    for x in (a, b, c, d):
        p = pres(x, room + "/Bob")
        assert "affiliation='member'" in p, p
    r = iq(b, room, "g2", "<query xmlns='%s'/>" % NS_REG, "get")
    assert "<registered/>" in r and "<username>Bobby</username>" in r, r
    assert reserved_nick(b, room) == "Bobby"
    assert reserved_nick(c, room, "rn2") is None
    # The nick is Bob's: no one else enters or renames to it, or
    # registers it, in any case or width.
    e = login(s, "erin")
    for nick in ("Bobby", "BOBBY", "\uff42\uff4f\uff42\uff42\uff59"):
        join(e, room, nick)
        assert "<conflict" in error_of(e), nick
    c.send("<presence to='%s/bobby'/>" % room)
    assert "<conflict" in error_of(c)
    refused(register(c, room, "bobby", "g3"), "conflict")
    # Nor a nick another occupant is using.
    refused(register(c, room, "Dave", "g4"), "conflict")
    # Bob takes his nick.
    b.send("<presence to='%s/Bobby'/>" % room)
    p = pres(a, room + "/Bobby")
    assert "affiliation='member'" in p, p
    # A visitor of the moderated room gains voice by registering.
    p = enter(e, room, "Erin")
    assert "role='visitor'" in p, p
    pres(a, room + "/Erin")
    ok(register(e, room, "Erin", "g5"))
    p = pres(a, room + "/Erin")
    assert "affiliation='member'" in p and "role='participant'" in p, p
    # Cancelling: the nick is free again, the voice gone.
    ok(iq(e, room, "g6", "<query xmlns='%s'><remove/></query>" % NS_REG))
    p = pres(a, room + "/Erin")
    assert "affiliation='none'" in p and "role='visitor'" in p, p
    assert reserved_nick(e, room, "rn3") is None
    refused(iq(e, room, "g7", "<query xmlns='%s'><remove/></query>" %
               NS_REG), "registration-required")
    # An owner keeps owning; the reservation is kept with it.
    ok(register(a, room, "Boss", "g8"))
    p = pres(b, room + "/Alice")
    assert "affiliation='owner'" in p, p
    # A hidden room answers only those in it or affiliated with it.
    ok(configure(a, room, [(RC + "publicroom", "0")], "g9"))
    b.send("<presence to='%s/Bobby' type='unavailable'/>" % room)
    pres(b, room + "/Bobby", r"[^>]*type='unavailable'")
    assert reserved_nick(b, room, "rn4") == "Bobby"
    e.send("<presence to='%s/Erin' type='unavailable'/>" % room)
    pres(e, room + "/Erin", r"[^>]*type='unavailable'")
    r = iq(e, room, "rn5", "<query xmlns='http://jabber.org/protocol/"
           "disco#info' node='x-roomuser-item'/>", "get")
    refused(r, "item-not-found")
    close(a, b, c, d, e)


def test_registration_bad_input(s):
    room = "regbad@" + MUC
    a, b = occupied(s, room, "alice", "bob")
    bad = (
        ("<query xmlns='%s'/>" % NS_REG, "bad-request"),
        ("<query xmlns='%s'><x xmlns='%s' type='submit'>%s</x></query>" %
         (NS_REG, NS_XDATA, field("FORM_TYPE", NS_MUC + "#register")),
         "bad-request"),
        ("<query xmlns='%s'><x xmlns='%s' type='submit'>%s%s</x></query>" %
         (NS_REG, NS_XDATA, field("FORM_TYPE", NS_CONFIG),
          field("muc#register_roomnick", "B")), "bad-request"),
        ("<query xmlns='%s'><x xmlns='jabber:x:nodata' type='submit'>%s"
         "</x></query>" % (NS_REG, field("muc#register_roomnick", "B")),
         "bad-request"),
        ("<query xmlns='%s'><x xmlns='%s' type='form'>%s%s</x></query>" %
         (NS_REG, NS_XDATA, field("FORM_TYPE", NS_MUC + "#register"),
          field("muc#register_roomnick", "B")), "bad-request"),
        ("<query xmlns='%s'><remove/><username>b</username></query>" %
         NS_REG, "bad-request"),
    )
    for i, (payload, cond) in enumerate(bad):
        refused(iq(b, room, "rb%d" % i, payload), cond)
    for i, nick in enumerate(("", "   ", "x" * 1000, "y" * 65)):
        r = register(b, room, nick, "rn%d" % i)
        assert "<not-acceptable" in r or "<bad-request" in r, (nick, r)
    refused(register(b, room, "Alice", "rc"), "conflict")
    # A room that does not exist, and one on another service.
    refused(register(b, "nosuch@" + MUC, "Bob", "rx"), "item-not-found")
    refused(register(b, "regbad@" + SMALL, "Bob", "ry"), "item-not-found")
    assert reserved_nick(b, room) is None
    form = iq(b, room, "rz", "<query xmlns='%s'/>" % NS_REG, "get")
    assert "<registered" not in form, form
    close(a, b)
