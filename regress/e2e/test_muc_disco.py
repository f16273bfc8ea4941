"""Discovery, invitations and self-ping in mucd (muc_disco.c,
muc_invite.c, muc_ping.c), end to end: disco#info and disco#items of the
services, rooms and occupants (XEP-0045 section 6), with hidden rooms
that never leak; mediated invitations and declines (section 7.8.2);
XEP-0410 self-pings, before and after a kill -9 of mucd; and xmppctl muc
rooms.  Real clients (slixmpp's xep_0030, xep_0045 and xep_0249) and raw
sockets."""

import asyncio
import os
import re
import signal
import sys

from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_muc as muc  # noqa: E402  (its helpers)
from muctest import muc_db  # noqa: E402
from xmppdtest import Server, add_user  # noqa: E402

MUC = "conference.example.org"
KEEP = "rooms.example.org"
MANY = "many.example.org"
USERS = ("alice", "bob", "carol", "dave", "erin", "frank")
NS_MUC = "http://jabber.org/protocol/muc"
NS_USER = NS_MUC + "#user"
INFO = "http://jabber.org/protocol/disco#info"
ITEMS = "http://jabber.org/protocol/disco#items"
RSM = "http://jabber.org/protocol/rsm"
PING = "<ping xmlns='urn:xmpp:ping'/>"

login, join, self_presence, pres = (muc.login, muc.join, muc.self_presence,
                                    muc.pres)
create, error_of, codes = muc.create, muc.error_of, muc.codes

# The rooms of KEEP, their settings as the database keeps them, and their
# affiliations besides Alice's ownership.
ROOMS = {
    "lobby": ({"name": "The Lobby", "description": "Where we meet",
               "lang": "en", "whois": "1", "change_subject": "1"}, {}),
    "secret": ({"name": "Secret Plans", "public": "0"},
               {"dave@example.org": "member"}),
    "vault": ({"password": "s3cret"}, {}),
    "closed": ({"members_only": "1"}, {"bob@example.org": "member"}),
    "inner": ({"members_only": "1", "allow_invites": "1"},
              {"bob@example.org": "member", "frank@example.org": "outcast"}),
}


def conf():
    return ('muc "%s" {\n\trooms per user 1000\n}\n'
            'muc "%s" {\n\trooms persistent\n}\n'
            'muc "%s" {\n\trooms per user 1000\n}\n' % (MUC, KEEP, MANY))


def write_conf(s, body):
    s.write_conf(raw=s.base_conf() + body)


def kill_mucd(s):
    m = s.mark()
    old = s.pid_of("mucd")
    os.kill(old, signal.SIGKILL)
    s.wait_log(r"mucd 0 \(pid %d\) killed by signal 9" % old, after=m)
    s.wait_log(r"mucd 0 ready", after=m)
    s.wait_muc_db(after=m)


def db(s):
    return muc_db(s)


def configure_rooms(s):
    """Alice creates the rooms of KEEP; their settings go into the
    database, which a restart of mucd reads back."""
    a = login(s, "alice", "setup")
    for name in ROOMS:
        create(a, "%s@%s" % (name, KEEP), "Alice")
    a.close()
    d = db(s)
    for name, (cfg, affs) in ROOMS.items():
        rid = d.execute("SELECT id FROM rooms WHERE service = ? AND "
                        "name = ?", (KEEP, name)).fetchone()[0]
        for k, v in cfg.items():
            d.execute("INSERT OR REPLACE INTO room_config (room, key, value)"
                      " VALUES (?, ?, ?)", (rid, k, v))
        for jid, aff in affs.items():
            d.execute("INSERT INTO affiliations (room, jid, affiliation) "
                      "VALUES (?, ?, ?)", (rid, jid, aff))
    d.commit()
    d.close()
    kill_mucd(s)


def setup():
    s = Server(prefork=1)
    write_conf(s, conf())
    s.start()
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    configure_rooms(s)
    return s


def teardown(s):
    s.stop()


def logins(s, res, *users):
    return [login(s, u, res) for u in users]


def close(*cs):
    for c in cs:
        c.close()


_ids = [0]


def iq(c, to, payload, typ="get"):
    """Send an IQ; its answer, as text."""
    _ids[0] += 1
    i = "q%d" % _ids[0]
    c.send("<iq type='%s' id='%s' to='%s'>%s</iq>" % (typ, i, to, payload))
    return c.expect(r"<iq[^>]*?id='%s'[^>]*?(?:/>|>.*?</iq>)" % i).group(0)


def info(c, to, node=None):
    n = " node='%s'" % node if node else ""
    return iq(c, to, "<query xmlns='%s'%s/>" % (INFO, n))


def items(c, to, inner=""):
    return iq(c, to, "<query xmlns='%s'>%s</query>" % (ITEMS, inner))


def features(r):
    return set(re.findall(r"<feature var='([^']*)'/>", r))


def fields(r):
    return dict(re.findall(r"<field var='([^']*)'[^>]*><value>([^<]*)"
                           r"</value></field>", r))


def item_jids(r):
    return re.findall(r"<item jid='([^']*)'", r)


def online(c):
    """c sends available presence; a round trip makes sure it is taken."""
    c.send("<presence/>")
    r = iq(c, "example.org", PING)
    assert "type='result'" in r, r


def enter(c, room, nick, password=None):
    if password is None:
        join(c, room, nick)
    else:
        c.send("<presence to='%s/%s'><x xmlns='%s'><password>%s</password>"
               "</x></presence>" % (room, nick, NS_MUC, password))
    p = self_presence(c)
    assert "type='error'" not in p, p
    return p


def same_error(a, b, name_a, name_b):
    """Two answers alike but for the room's name and the stanza id."""
    norm = [re.sub(r"id='[^']*'", "id=''", x) for x in (a, b)]
    norm[1] = norm[1].replace(name_b, name_a)
    assert norm[0] == norm[1], (a, b)


# -- the service ------------------------------------------------------------

def test_service_info_and_public_rooms(s):
    a, c = login(s, "alice"), login(s, "carol")
    r = info(a, KEEP)
    assert "type='result'" in r and "from='%s'" % KEEP in r, r
    assert re.search(r"<identity category='conference' type='text' "
                     r"name='[^']+'/>", r), r
    f = features(r)
    assert {NS_MUC, INFO, ITEMS, RSM, "urn:xmpp:ping"} <= f, f
    assert not [x for x in f if x.startswith("muc_")], f
    # A room still locked (Carol's, not configured) is not listed.
    join(c, "pending@" + KEEP, "Carol")
    assert codes(self_presence(c)) == [110, 201]
    r = items(a, KEEP)
    assert "type='result'" in r, r
    got = dict(re.findall(r"<item jid='([^']*)' name='([^']*)'/>", r))
    assert got == {"lobby@" + KEEP: "The Lobby", "vault@" + KEEP: "vault",
                   "closed@" + KEEP: "closed",
                   "inner@" + KEEP: "inner"}, r
    assert "secret" not in r.lower() and "pending" not in r, r
    # Not a request a service takes; a node is none of this file's.
    r = iq(a, KEEP, "<query xmlns='%s'/>" % INFO, "set")
    assert "<bad-request" in r, r
    for ns in (INFO, ITEMS):
        r = iq(a, "lobby@" + KEEP, "<query xmlns='%s' node='urn:nowhere'/>"
               % ns)
        assert "type='error'" in r and "<identity" not in r, r
    a.close()
    c.close()


def test_room_info_features_and_roominfo(s):
    room = "lobby@" + KEEP
    cs = [login(s, u) for u in ("alice", "bob", "carol")]
    for c, nick in zip(cs, ("Alice", "Bob", "Carol")):
        enter(c, room, nick)
    e = login(s, "erin")
    r = info(e, room)
    assert "type='result'" in r and "from='%s'" % room in r, r
    assert "<identity category='conference' type='text' name='The Lobby'" \
        "/>" in r, r
    f = features(r)
    assert {NS_MUC, "muc_public", "muc_open", "muc_unmoderated",
            "muc_nonanonymous", "muc_unsecured", "muc_persistent", INFO,
            ITEMS, NS_MUC + "#stable_id", "urn:xmpp:sid:0",
            NS_MUC + "#self-ping-optimization"} <= f, f
    assert not f & {"muc_hidden", "muc_membersonly", "muc_moderated",
                    "muc_semianonymous", "muc_passwordprotected",
                    "muc_temporary"}, f
    # The muc#roominfo form comes after the features.
    assert r.index("<x xmlns='jabber:x:data' type='result'>") > \
        r.rindex("<feature "), r
    assert "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/" \
        "protocol/muc#roominfo</value></field>" in r, r
    fl = fields(r)
    assert fl["muc#roominfo_description"] == "Where we meet", fl
    assert fl["muc#roominfo_occupants"] == "3", fl
    assert fl["muc#roominfo_lang"] == "en", fl
    assert fl["muc#roominfo_subjectmod"] == "1", fl
    assert fl["muc#roominfo_changesubject"] == "1", fl
    # The other settings, as features.
    f = features(info(e, "vault@" + KEEP))
    assert {"muc_passwordprotected", "muc_semianonymous"} <= f, f
    assert "muc_membersonly" in features(info(e, "closed@" + KEEP))
    enter(e, "tmp@" + MUC, "Erin")
    muc.instant(e, "tmp@" + MUC)
    r = info(cs[0], "tmp@" + MUC)
    f = features(r)
    assert {"muc_temporary", "muc_public", "muc_semianonymous"} <= f, f
    assert "name='tmp'" in r and fields(r)["muc#roominfo_occupants"] == "1"
    assert "muc#roominfo_lang" not in fields(r), r
    close(*cs, e)


def test_room_items_only_to_occupants_of_nonanonymous_rooms(s):
    room = "lobby@" + KEEP
    nicks = ("Alice", "Bob", "Carol", "Dave")
    cs = [login(s, u, "items") for u in ("alice", "bob", "carol", "dave")]
    for c, nick in zip(cs, nicks):
        enter(c, room, nick)
    r = items(cs[1], room)
    assert sorted(item_jids(r)) == sorted("%s/%s" % (room, n)
                                          for n in nicks), r
    assert "example.org/items" not in r.split("<query")[1], r
    # An outsider gets an empty list.
    e = login(s, "erin")
    r = items(e, room)
    assert "type='result'" in r and item_jids(r) == [], r
    # So does an occupant of a semi-anonymous room.
    for c, nick in zip(cs[:2], ("Alice", "Bob")):
        enter(c, "vault@" + KEEP, nick, "s3cret")
    r = items(cs[1], "vault@" + KEEP)
    assert "type='result'" in r and item_jids(r) == [], r
    # The items are not passed queries (XEP-0045 section 6.6): an error
    # to an occupant, a bad request from anyone else.
    for q in (info, items):
        r = q(cs[1], room + "/Alice")
        assert "type='error'" in r and "<service-unavailable" in r, r
        r = q(e, room + "/Alice")
        assert "<bad-request" in r, r
    cs[0].send("<message to='%s' type='groupchat'><body>mark</body>"
               "</message>" % room)
    before, _ = muc.upto(cs[0], r"mark")
    assert "<iq" not in before, before
    close(*cs, e)


# -- hidden and locked rooms ------------------------------------------------

def message_error(c, to, mtype):
    """The error a message to `to` earns."""
    c.n = getattr(c, "n", 0) + 1
    mid = "hm%d" % c.n
    c.send("<message to='%s' type='%s' id='%s'><body>hi</body></message>"
           % (to, mtype, mid))
    return c.expect(r"<message[^>]*id='%s'.*?</message>" % mid).group(0)


def test_hidden_room_never_leaks(s):
    secret, nosuch = "secret@" + KEEP, "nosuchroom@" + KEEP
    e = login(s, "erin")
    probes = [
        lambda to: info(e, to),
        lambda to: items(e, to),
        lambda to: info(e, to, "x-roomuser-item"),
        lambda to: iq(e, to, "<query xmlns='%s'/>" % INFO, "set"),
        lambda to: iq(e, to, PING),
        lambda to: iq(e, to + "/Alice", PING),
        lambda to: info(e, to + "/Alice"),
        # Messages and requests no feature takes: as if it did not exist.
        lambda to: iq(e, to, "<query xmlns='jabber:iq:version'/>", "get"),
        lambda to: message_error(e, to, "groupchat"),
        lambda to: message_error(e, to + "/Alice", "chat"),
    ]
    a = login(s, "alice", "hide")
    enter(a, secret, "Alice")
    for p in probes:
        r1, r2 = p(secret), p(nosuch)
        assert "type='error'" in r1, r1
        same_error(r1, r2, "secret", "nosuchroom")
    # Not listed, not even as a landmark when paging.
    r = items(e, KEEP, "<set xmlns='%s'><after>%s</after></set>" %
              (RSM, secret))
    assert "type='result'" in r and "secret" not in r.lower(), r
    assert item_jids(r) == ["vault@" + KEEP], r
    # Its occupant and its member (not in it) see it whole.
    r = info(a, secret)
    assert "name='Secret Plans'" in r and "muc_hidden" in features(r), r
    d = login(s, "dave")
    r = info(d, secret)
    assert "name='Secret Plans'" in r, r
    assert "type='result'" in iq(d, secret, PING)
    close(a, d, e)


def test_locked_room_answers_its_owner_only(s):
    room = "pending@" + KEEP
    c, b = login(s, "carol", "lock"), login(s, "bob")
    enter(c, room, "Carol")
    r = info(b, room)
    assert "<item-not-found" in r, r
    same_error(r, info(b, "nosuchroom@" + KEEP), "pending", "nosuchroom")
    assert "<item-not-found" in items(b, room)
    r = info(c, room)
    assert "type='result'" in r and "name='pending'" in r, r
    assert "pending" not in items(b, KEEP)
    c.close()
    b.close()


def test_rsm_paging_of_the_rooms(s):
    a = login(s, "alice")
    names = ["r%03d" % i for i in range(105)]
    for n in names:
        join(a, "%s@%s" % (n, MANY), "Alice")
    for n in names:
        a.expect(r"<presence[^>]*from='%s@%s/Alice'" % (n, MANY))
        a.send("<iq type='set' id='i-%s' to='%s@%s'><query xmlns='%s#owner'>"
               "<x xmlns='jabber:x:data' type='submit'/></query></iq>" %
               (n, n, MANY, NS_MUC))
    for n in names:
        a.expect(r"<iq[^>]*id='i-%s'[^>]*type='result'|<iq[^>]*type="
                 r"'result'[^>]*id='i-%s'" % (n, n))
    jids = ["%s@%s" % (n, MANY) for n in names]
    # Without a set: the first 100, and a set says there are more.
    r = items(a, MANY)
    assert item_jids(r) == jids[:100], r
    assert "<count>105</count>" in r and "<first index='0'>%s</first>" % \
        jids[0] in r and "<last>%s</last>" % jids[99] in r, r
    r = items(a, MANY, "<set xmlns='%s'><max>3</max></set>" % RSM)
    assert item_jids(r) == jids[:3], r
    r = items(a, MANY, "<set xmlns='%s'><max>3</max><after>%s</after>"
              "</set>" % (RSM, jids[2]))
    assert item_jids(r) == jids[3:6], r
    assert "<first index='3'>%s</first>" % jids[3] in r, r
    r = items(a, MANY, "<set xmlns='%s'><max>4</max><before/></set>" % RSM)
    assert item_jids(r) == jids[-4:], r
    assert "<first index='101'>" in r, r
    r = items(a, MANY, "<set xmlns='%s'><max>2</max><before>%s</before>"
              "</set>" % (RSM, jids[1]))
    assert item_jids(r) == jids[:1], r
    # A name between rooms pages by its place; max 0 counts.
    r = items(a, MANY, "<set xmlns='%s'><max>2</max><after>r045x@%s"
              "</after></set>" % (RSM, MANY))
    assert item_jids(r) == jids[46:48], r
    r = items(a, MANY, "<set xmlns='%s'><max>0</max></set>" % RSM)
    assert item_jids(r) == [] and "<count>105</count>" in r, r
    r = items(a, MANY, "<set xmlns='%s'><max>999999</max></set>" % RSM)
    assert len(item_jids(r)) == 100, r
    for bad in ("<max>-1</max>", "<max>x</max>", "<after>x@%s/r</after>" %
                MANY, "<after>x@%s</after>" % KEEP, "<after/>",
                "<after>a@%s</after><before>b@%s</before>" % (MANY, MANY)):
        r = items(a, MANY, "<set xmlns='%s'>%s</set>" % (RSM, bad))
        assert "<bad-request" in r, (bad, r)
    a.close()


# -- invitations --------------------------------------------------------------

def invitation(c, room):
    return c.expect(r"<message[^>]*from='%s'[^>]*>(?:(?!</message>).)*"
                    r"<invite .*?</message>" % re.escape(room)).group(0)


def test_mediated_invitations(s):
    room, vault = "lobby@" + KEEP, "vault@" + KEEP
    a, b, d, e = logins(s, "inv", "alice", "bob", "dave", "erin")
    for c in (b, d, e):
        online(c)
    enter(a, room, "Alice")
    a.send("<message to='%s' id='v1'><x xmlns='%s'><invite to='bob@"
           "example.org'><reason>come &amp; see</reason></invite></x>"
           "</message>" % (room, NS_USER))
    m = invitation(b, room)
    assert "to='bob@example.org'" in m or "to='bob@example.org/inv'" in m, m
    assert "<invite from='alice@example.org'><reason>come &amp; see</reason>" \
        "</invite>" in m, m
    assert "<password>" not in m and "<body>alice@example.org invites you " \
        "to the room %s</body>" % room in m, m
    # Three at once; the room's password goes with an invitation to it.
    enter(a, vault, "Alice")
    a.send("<message to='%s'><x xmlns='%s'><invite to='bob@example.org'/>"
           "<invite to='dave@example.org'/><invite to='erin@example.org/inv'"
           "/></x></message>" % (vault, NS_USER))
    for c in (b, d, e):
        m = invitation(c, vault)
        assert "<password>s3cret</password>" in m, m
        assert "<invite from='alice@example.org'/>" in m, m
    close(a, b, d, e)


def test_invitations_refused(s):
    room = "lobby@" + KEEP
    a, b, c = logins(s, "ref", "alice", "bob", "carol")
    online(b)
    enter(a, room, "Alice")
    bad = [
        ("<invite to='bob@example.org'/>" * 11, "policy-violation"),
        ("<invite to='bob@example.org'/><invite to=''/>", "jid-malformed"),
        ("<invite to='bob@example.org'/><invite/>", "jid-malformed"),
        ("<invite to='@@'/>", "jid-malformed"),
        ("<invite to='example.org'/>", "jid-malformed"),
        ("<invite to='%s'/>" % room, "jid-malformed"),
        ("<invite to='x@%s'/>" % MUC, "jid-malformed"),
        ("<invite to='%s@example.org'/>" % ("x" * 1100), "jid-malformed"),
        ("<invite to='bob@example.org'/><decline to='carol@example.org'/>",
         "bad-request"),
    ]
    for i, (inner, cond) in enumerate(bad):
        a.send("<message to='%s' id='bad%d'><x xmlns='%s'>%s</x></message>" %
               (room, i, NS_USER, inner))
        e = error_of(a, "message")
        assert "id='bad%d'" % i in e and "<%s " % cond in e, (inner, e)
    # Not in the room: not-acceptable; unless the room is hidden, which
    # is then as a room that does not exist, to invitations and declines.
    c.send("<message to='%s' id='n1'><x xmlns='%s'><invite to='bob@"
           "example.org'/></x></message>" % (room, NS_USER))
    e = error_of(c, "message")
    assert "<not-acceptable" in e and "id='n1'" in e, e
    secret, nosuch = "secret@" + KEEP, "nosuchroom@" + KEEP
    for stanza in ("<message to='%s'><x xmlns='%s'><invite to='bob@example."
                   "org'/></x></message>",
                   "<message to='%s'><x xmlns='%s'><decline to='alice@"
                   "example.org'/></x></message>"):
        c.send(stanza % (secret, NS_USER))
        r1 = error_of(c, "message")
        c.send(stanza % (nosuch, NS_USER))
        r2 = error_of(c, "message")
        assert "<item-not-found" in r1, r1
        same_error(r1, r2, "secret", "nosuchroom")
    # Bob heard of none of it.
    a.send("<message to='%s'><x xmlns='%s'><invite to='bob@example.org'>"
           "<reason>only this</reason></invite></x></message>" %
           (room, NS_USER))
    m = invitation(b, room)
    assert "<reason>only this</reason>" in m, m
    close(a, b, c)


def test_members_only_invitations_make_members(s):
    closed, inner = "closed@" + KEEP, "inner@" + KEEP
    a, b = logins(s, "mo", "alice", "bob")
    c, e, f = logins(s, "mo", "carol", "erin", "frank")
    for x in (c, e, f):
        online(x)
    enter(b, closed, "Bob")
    # A member may not invite where the room does not let members.
    b.send("<message to='%s' id='m1'><x xmlns='%s'><invite to='carol@"
           "example.org'/></x></message>" % (closed, NS_USER))
    err = error_of(b, "message")
    assert "<forbidden" in err and "type='auth'" in err, err
    # Its owner may, and the invitee becomes a member.
    enter(a, closed, "Alice")
    a.send("<message to='%s'><x xmlns='%s'><invite to='erin@example.org'/>"
           "</x></message>" % (closed, NS_USER))
    invitation(e, closed)
    p = enter(e, closed, "Erin")
    assert "affiliation='member'" in p, p
    # Where members may invite, Bob makes Carol a member; Frank, an
    # outcast, stays one, and Bob is not told so.
    enter(b, inner, "Bob")
    b.send("<message to='%s'><x xmlns='%s'><invite to='carol@example.org'/>"
           "<invite to='frank@example.org'/></x></message>" %
           (inner, NS_USER))
    invitation(c, inner)
    invitation(f, inner)
    p = enter(c, inner, "Carol")
    assert "affiliation='member'" in p, p
    join(f, inner, "Frank")
    err = error_of(f)
    assert "<forbidden" in err, err
    d = db(s)
    got = dict(d.execute("SELECT a.jid, a.affiliation FROM affiliations a "
                         "JOIN rooms r ON r.id = a.room WHERE r.name IN "
                         "('closed', 'inner') AND a.jid != 'alice@example."
                         "org'").fetchall())
    d.close()
    assert got == {"bob@example.org": "member", "erin@example.org":
                   "member", "carol@example.org": "member",
                   "frank@example.org": "outcast"}, got
    close(a, b, c, e, f)


def test_declines(s):
    room = "lobby@" + KEEP
    a, d, e = logins(s, "dec", "alice", "dave", "erin")
    online(a)
    online(d)
    enter(a, room, "Alice")
    # Erin was never invited: nothing goes to Alice.
    for dec in ("<decline to='alice@example.org'/>", "<decline/>"):
        e.send("<message to='%s' id='d1'><x xmlns='%s'>%s</x></message>" %
               (room, NS_USER, dec))
        err = error_of(e, "message")
        assert "<item-not-found" in err and "id='d1'" in err, err
    a.send("<message to='%s'><x xmlns='%s'><invite to='dave@example.org'/>"
           "</x></message>" % (room, NS_USER))
    invitation(d, room)
    # A decline to someone else, or malformed, goes nowhere.
    d.send("<message to='%s' id='d2'><x xmlns='%s'><decline to='carol@"
           "example.org'/></x></message>" % (room, NS_USER))
    assert "<item-not-found" in error_of(d, "message")
    d.send("<message to='%s' id='d3'><x xmlns='%s'><decline to='@@'/></x>"
           "</message>" % (room, NS_USER))
    assert "<jid-malformed" in error_of(d, "message")
    d.send("<message to='%s'><x xmlns='%s'><decline to='alice@example.org'>"
           "<reason>busy &lt;now&gt;</reason></decline></x></message>" %
           (room, NS_USER))
    before, m = muc.upto(a, r"<message[^>]*from='%s'[^>]*>"
                         r"(?:(?!</message>).)*<decline .*?</message>" %
                         re.escape(room))
    m = m.group(2)
    assert "<decline from='dave@example.org'><reason>busy &lt;now&gt;" \
        "</reason></decline>" in m, m
    assert "carol" not in before, before
    # Once only.
    d.send("<message to='%s' id='d4'><x xmlns='%s'><decline/></x>"
           "</message>" % (room, NS_USER))
    assert "<item-not-found" in error_of(d, "message")
    close(a, d, e)


def test_undeliverable_invitation_is_not_a_ghost(s):
    room = "lobby@" + KEEP
    a, b, c = login(s, "alice", "gh"), login(s, "bob", "r"), \
        login(s, "carol", "gh")
    online(c)
    enter(a, room, "Alice")
    enter(b, room, "Bob")
    pres(a, room + "/Bob")
    # To a resource of Bob's that does not exist, to Erin who has no
    # session, and to a remote user: errors come back to the room.
    a.send("<message to='%s'><x xmlns='%s'><invite to='bob@example.org/"
           "gone'/><invite to='erin@example.org'/><invite to='bob@example."
           "org/r'/><invite to='x@remote.example'/><invite to='carol@"
           "example.org'/></x></message>" % (room, NS_USER))
    invitation(c, room)
    invitation(b, room)
    # Two round trips through mucd: the bounces have been read.
    for _ in range(2):
        assert "type='result'" in iq(a, room + "/Alice", PING)
    a.send("<message to='%s' type='groupchat'><body>still here?</body>"
           "</message>" % room)
    before, _ = muc.upto(b, r"still here\?")
    assert "type='unavailable'" not in before, before
    before, _ = muc.upto(a, r"still here\?")
    assert "type='unavailable'" not in before, before
    assert "%s/Bob" % room in item_jids(items(a, room))
    close(a, b, c)


# -- real clients -------------------------------------------------------------

def slix(user, loop):
    c = muc.slix(user, loop)
    c.register_plugin("xep_0030")
    c.register_plugin("xep_0128")
    c.register_plugin("xep_0249")
    c.invites = asyncio.Queue()
    c.add_event_handler("groupchat_invite", c.invites.put_nowait)
    c.direct = asyncio.Queue()
    c.add_event_handler("groupchat_direct_invite", c.direct.put_nowait)
    # A decline has no body: no "message" event; and the plugin's own
    # handler fails on it (slixmpp 1.8), so it gives way to this one.
    c.declines = asyncio.Queue()
    c.remove_handler("MUCDecline")
    c.register_handler(Callback("decline", MatchXPath(
        "{jabber:client}message/{%s}x/{%s}decline" % (NS_USER, NS_USER)),
        c.declines.put_nowait))
    return c


async def slix_scenario(port):
    loop = asyncio.get_event_loop()
    room = "slixroom@" + MUC
    cs = [slix(u, loop) for u in ("alice", "bob", "carol", "dave", "erin")]
    for c in cs:
        c.connect(("127.0.0.1", port))
    await asyncio.wait_for(asyncio.gather(*(c.started for c in cs)), 20)
    for c in cs:
        c.send_presence()
    alice, bob, carol, dave, erin = cs
    p = await muc.slix_join(alice, room, "Alice")
    assert 201 in p["muc"]["status_codes"], p
    form = alice.plugin["xep_0004"].make_form(ftype="submit")
    await alice.plugin["xep_0045"].set_room_config(room, form)
    for c, nick in ((bob, "Bob"), (carol, "Carol")):
        await muc.slix_join(c, room, nick)
    disco = dave.plugin["xep_0030"]
    r = await disco.get_info(jid=MUC, timeout=10)
    ids = r["disco_info"]["identities"]
    assert any(i[0] == "conference" and i[1] == "text" for i in ids), ids
    assert NS_MUC in r["disco_info"]["features"], r
    r = await disco.get_items(jid=MUC, timeout=10)
    assert (room, None, "slixroom") in r["disco_items"]["items"], r
    r = await disco.get_info(jid=room, timeout=10)
    assert "muc_temporary" in r["disco_info"]["features"], r
    form = r["disco_info"]["form"].get_values()
    assert form["muc#roominfo_occupants"] == "3", form
    # A mediated invitation, declined; and a direct one (XEP-0249),
    # which goes from client to client.
    alice.plugin["xep_0045"].invite(room, "dave@example.org", "join us")
    m = await asyncio.wait_for(dave.invites.get(), 10)
    assert m["from"] == room, m
    assert m["muc"]["invite"]["from"] == "alice@example.org", m
    assert m["muc"]["invite"]["reason"] == "join us", m
    dave.plugin["xep_0045"].decline(room, "alice@example.org", "later")
    m = await asyncio.wait_for(alice.declines.get(), 10)
    assert m["from"] == room and m["muc"]["decline"]["from"] == \
        "dave@example.org" and m["muc"]["decline"]["reason"] == "later", m
    bob.plugin["xep_0249"].send_invitation("erin@example.org", room,
                                           reason="direct")
    m = await asyncio.wait_for(erin.direct.get(), 10)
    assert m["groupchat_invite"]["jid"] == room, m
    for c in cs:
        c.disconnect()
    await asyncio.gather(*(c.disconnected for c in cs))


def test_slixmpp_disco_and_invitations(s):
    muc.run_slix(slix_scenario, s.ports["client"])


# -- self-ping --------------------------------------------------------------

def test_self_ping(s):
    room = "lobby@" + KEEP
    b1, b2 = login(s, "bob", "one"), login(s, "bob", "two")
    a, e = logins(s, "png", "alice", "erin")
    enter(a, room, "Alice")
    enter(b1, room, "Bob")
    r = iq(b1, room + "/Bob", PING)
    assert "type='result'" in r and "from='%s/Bob'" % room in r, r
    # The other session of the same user is not in the room.
    r = iq(b2, room + "/Bob", PING)
    assert "<not-acceptable" in r and "by='%s'" % room in r, r
    r = iq(e, room + "/Bob", PING)
    assert "<not-acceptable" in r, r
    # Another occupant: the room answers for it; no such nick:
    # item-not-found; a set is no ping.
    assert "type='result'" in iq(b1, room + "/Alice", PING)
    assert "<item-not-found" in iq(b1, room + "/Nobody", PING)
    assert "<bad-request" in iq(b1, room + "/Bob", PING, "set")
    # The service and the room answer theirs.
    assert "type='result'" in iq(e, KEEP, PING)
    assert "type='result'" in iq(e, room, PING)
    # Two sessions under one nick: each is joined.  One of them takes
    # another nick, of its own: both are joined still.
    enter(b2, room, "Bob")
    assert "type='result'" in iq(b2, room + "/Bob", PING)
    b2.send("<presence to='%s/Robert'/>" % room)
    pres(b1, room + "/Robert")
    assert "type='result'" in iq(b1, room + "/Bob", PING)
    assert "type='result'" in iq(b2, room + "/Robert", PING)
    # A nick left behind: not found (XEP-0410: joined, renamed).
    b1.send("<presence to='%s/Bobby'/>" % room)
    pres(b1, room + "/Bobby")
    assert "<item-not-found" in iq(b1, room + "/Bob", PING)
    assert "type='result'" in iq(b1, room + "/Bobby", PING)
    close(a, b1, b2, e)


def test_self_ping_after_kill9_tells_to_rejoin(s):
    keep, tmp = "lobby@" + KEEP, "fleeting@" + MUC
    a, b = logins(s, "k9", "alice", "bob")
    enter(a, tmp, "Alice")
    muc.instant(a, tmp)
    for c, nick in ((a, "Alice"), (b, "Bob")):
        enter(c, keep, nick)
    enter(b, tmp, "Bob")
    for c, room, nick in ((a, tmp, "Alice"), (b, keep, "Bob")):
        assert "type='result'" in iq(c, "%s/%s" % (room, nick), PING)
    kill_mucd(s)
    # Every former occupant is told to rejoin, in the room that stayed
    # and in the one that went.
    for c, room, nick in ((a, tmp, "Alice"), (b, tmp, "Bob"),
                          (a, keep, "Alice"), (b, keep, "Bob")):
        r = iq(c, "%s/%s" % (room, nick), PING)
        assert "<not-acceptable" in r and "by='%s'" % room in r, (room, r)
    # The client rejoins, and is joined.
    enter(b, keep, "Bob")
    enter(b, tmp, "Bob")
    for room in (keep, tmp):
        assert "type='result'" in iq(b, "%s/Bob" % room, PING)
    a.close()
    b.close()


def test_ping_flood(s):
    room = "lobby@" + KEEP
    pid = s.pid_of("mucd")
    a, b, e = logins(s, "fl", "alice", "bob", "erin")
    enter(a, room, "Alice")
    enter(b, room, "Bob")
    pres(a, room + "/Bob")
    n = 300
    for c, nick, want in ((b, "Bob", "result"), (e, "Bob", "error")):
        c.send("".join("<iq type='get' id='f%d' to='%s/%s'>%s</iq>" %
                       (i, room, nick, PING) for i in range(n)))
        for i in range(n):
            r = c.expect(r"<iq[^>]*?id='f%d'[^>]*?(?:/>|>.*?</iq>)" %
                         i).group(0)
            assert "type='%s'" % want in r, r
    # Alice saw nothing of it; mucd lives.
    a.send("<message to='%s' type='groupchat'><body>calm</body></message>"
           % room)
    before, _ = muc.upto(a, r"calm")
    assert "<iq" not in before and "Bob" not in before, before
    assert s.pid_of("mucd") == pid
    close(a, b, e)


# -- the admin's view ---------------------------------------------------------

def rooms_table(s):
    out = s.ctl("muc", "rooms").stdout.splitlines()
    assert out[0].split() == ["ROOM", "OCCUPANTS", "TYPE", "LOCKED",
                              "PUBLIC"], out
    return {f[0]: f[1:] for f in (line.split() for line in out[1:])}


def test_xmppctl_muc_rooms(s):
    a, b, c = logins(s, "ctl", "alice", "bob", "carol")
    for x, nick in ((a, "Alice"), (b, "Bob"), (c, "Carol")):
        enter(x, "lobby@" + KEEP, nick)
    enter(b, "secret@" + KEEP, "Bob")
    enter(c, "newroom@" + MUC, "Carol")
    t = rooms_table(s)
    assert t["lobby@" + KEEP] == ["3", "persistent", "no", "yes"], t
    assert t["secret@" + KEEP] == ["1", "persistent", "no", "no"], t
    assert t["vault@" + KEEP] == ["0", "persistent", "no", "yes"], t
    assert t["newroom@" + MUC] == ["1", "temporary", "yes", "yes"], t
    services = [r.split("@")[1] for r in t]
    assert services == sorted(services, key=[MUC, KEEP, MANY].index), t
    # Carol leaves: her temporary room goes, the others stay.
    c.send("<presence to='newroom@%s/Carol' type='unavailable'/>" % MUC)
    pres(c, "newroom@%s/Carol" % MUC, r"[^>]*type='unavailable'")
    t = rooms_table(s)
    assert "newroom@" + MUC not in t and t["lobby@" + KEEP][0] == "3", t
    close(a, b, c)
    # With no muc service, there is no mucd to ask.
    write_conf(s, "")
    m = s.mark()
    s.ctl("reload")
    s.wait_log(r"mucd 0 \(pid \d+\) (exited|killed)", after=m)
    p = s.ctl("muc", "rooms", check=False)
    assert p.returncode == 1 and "no muc service" in p.stderr, p
    write_conf(s, conf())
    m = s.mark()
    s.ctl("reload")
    s.wait_log(r"mucd 0 ready", after=m)
    s.wait_muc_db(after=m)
    t = rooms_table(s)
    assert t["lobby@" + KEEP] == ["0", "persistent", "no", "yes"], t
