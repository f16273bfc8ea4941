"""Wire-level group chat scenarios (XEP-0045) replayed over raw sockets
against one xmppd: creating, talking in and destroying a room; mediated
invitations; members-only rooms and the loss of membership; nick
changes and nicks that fail preparation; bans with their reason;
password-protected rooms; probes of occupants; room registration and
reserved nicks; subject changes against messages that carry a subject;
non-anonymous rooms and who may read their lists."""

import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_muc import (MUC, NS_MUC, NS_USER, codes, create,  # noqa: E402
                      error_of, join, login, pres, self_presence, upto)
from xmppdtest import Server, add_user                     # noqa: E402

USERS = ("romeo", "juliet", "rosaline", "mercutio")
NS_ADMIN = NS_MUC + "#admin"
NS_OWNER = NS_MUC + "#owner"
NS_REG = "jabber:iq:register"
NS_DATA = "jabber:x:data"
NS_INFO = "http://jabber.org/protocol/disco#info"


def setup():
    s = Server(prefork=1)
    s.write_conf(raw=s.base_conf() + 'muc "%s" {\n}\n' % MUC)
    s.start()
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    return s


def teardown(s):
    s.stop()


_ids = [0]


def iq(c, to, typ, payload):
    """An IQ to to; returns its answer as text, and keeps what came
    before it in c.before."""
    _ids[0] += 1
    iqid = "sc%d" % _ids[0]
    c.send("<iq type='%s' id='%s' to='%s'>%s</iq>" % (typ, iqid, to,
                                                      payload))
    c.before, m = upto(c, r"<iq[^>]*id='%s'[^>]*(?:/>|>.*?</iq>)" % iqid)
    return m.group(2)


def ok(r):
    assert "type='result'" in r, r
    return r


def fails(r, cond, kind):
    e = ET.fromstring(r).find("error")
    assert e is not None and e.get("type") == kind, (cond, kind, r)
    assert e.find("{urn:ietf:params:xml:ns:xmpp-stanzas}" + cond) \
        is not None, (cond, r)
    return r


def configure(c, room, fields=""):
    """Submit the room configuration form with fields (field elements)."""
    return iq(c, room, "set",
              "<query xmlns='%s'><x xmlns='%s' type='submit'>"
              "<field var='FORM_TYPE'><value>%s#roomconfig</value></field>"
              "%s</x></query>" % (NS_OWNER, NS_DATA, NS_MUC, fields))


def field(var, *values):
    return "<field var='%s'>%s</field>" % (
        var, "".join("<value>%s</value>" % v for v in values))


def admin_set(c, room, items):
    return iq(c, room, "set", "<query xmlns='%s'>%s</query>" % (NS_ADMIN,
                                                               items))


def admin_get(c, room, affiliation):
    return iq(c, room, "get", "<query xmlns='%s'><item affiliation='%s'/>"
              "</query>" % (NS_ADMIN, affiliation))


def xitem(stanza):
    """The muc#user item of a stanza (text), as an element."""
    x = ET.fromstring(stanza).find("{%s}x" % NS_USER)
    assert x is not None, stanza
    it = x.find("{%s}item" % NS_USER)
    assert it is not None, stanza
    return it


def subject(c, room):
    return c.expect(r"<message[^>]*from='%s[^']*'[^>]*>(?:(?!</message>)"
                    r".)*<subject.*?</message>" % re.escape(room)).group(0)


def enter(c, room, nick, password=None):
    """c joins an existing room; returns (the others' presences, its own
    self-presence, the history: all that comes before the subject)."""
    if password is None:
        join(c, room, nick)
    else:
        c.send("<presence to='%s/%s'><x xmlns='%s'><password>%s</password>"
               "</x></presence>" % (room, nick, NS_MUC, password))
    before, m = upto(c, r"<presence[^>]*from='%s/%s'[^>]*>(?:(?!"
                     r"</presence>).)*<status code='110'/>.*?</presence>"
                     % (re.escape(room), re.escape(nick)))
    hist, _ = upto(c, r"<message[^>]*from='%s'[^>]*><subject/></message>"
                   % re.escape(room))
    return before, m.group(2), hist


def bare(u):
    return "%s@example.org" % u


def full(u):
    return "%s@example.org/r" % u


def close(*cs):
    for c in cs:
        c.close()


# -- creation, talk, history, destruction ----------------------------------

def test_create_talk_history_destroy(s):
    room = "garden@" + MUC
    r, j = login(s, "romeo"), login(s, "juliet")
    join(r, room, "romeo")
    p = self_presence(r)
    assert codes(p) == [110, 201], p
    it = xitem(p)
    assert (it.get("affiliation"), it.get("role"), it.get("jid")) == \
        ("owner", "moderator", full("romeo")), p
    # An empty subject still comes, as <subject/> (section 7.2.15).
    m = subject(r, room)
    assert ET.fromstring(m).find("subject").text is None, m
    ok(iq(r, room, "set", "<query xmlns='%s'><x type='submit' xmlns='%s'/>"
          "</query>" % (NS_OWNER, NS_DATA)))
    r.send("<message to='%s' type='groupchat' id='rm1'><body>Where are "
           "thou my Juliet?</body></message>" % room)
    m = r.expect(r"<message[^>]*from='%s/romeo'.*?</message>" % room).group(0)
    assert "id='rm1'" in m, m
    # Others, itself, the history with its delay, then the subject.
    before, p, hist = enter(j, room, "juliet")
    assert "from='%s/romeo'" % room in before and "jid=" not in before, \
        before
    it = xitem(p)
    assert (it.get("affiliation"), it.get("role"), it.get("jid")) == \
        ("none", "participant", full("juliet")), p
    m = re.search(r"<message[^>]*from='%s/romeo'.*?</message>" % room,
                  hist, re.S)
    assert m and "id='rm1'" in m.group(0), hist
    d = ET.fromstring(m.group(0)).find("{urn:xmpp:delay}delay")
    assert d is not None and d.get("from") == room and d.get("stamp"), hist
    p = pres(r, room + "/juliet")
    assert xitem(p).get("jid") == full("juliet"), p
    # Each message reaches both, the sender too, from its nick.
    for c, nick, mid, text in ((j, "juliet", "jm1", "/me jumps out"),
                               (j, "juliet", "jm2", "Here I am!"),
                               (r, "romeo", "rm2", "We&apos;re in a play")):
        c.send("<message to='%s' type='groupchat' id='%s'><body>%s</body>"
               "</message>" % (room, mid, text))
        for x in (r, j):
            m = x.expect(r"<message[^>]*id='%s'[^>]*>.*?</message>" %
                         mid).group(0)
            assert "from='%s/%s'" % (room, nick) in m, m
    r.send("<iq type='set' id='lx4' to='%s'><query xmlns='%s'><destroy>"
           "<reason>We refuse to live in this fantasy!</reason></destroy>"
           "</query></iq>" % (room, NS_OWNER))
    for c, u, aff in ((j, "juliet", "none"), (r, "romeo", "owner")):
        p = pres(c, "%s/%s" % (room, u), r"[^>]*type='unavailable'")
        x = ET.fromstring(p).find("{%s}x" % NS_USER)
        reason = x.find("{%s}destroy/{%s}reason" % (NS_USER, NS_USER))
        assert reason is not None and reason.text == \
            "We refuse to live in this fantasy!", p
        it = xitem(p)
        assert (it.get("affiliation"), it.get("role"), it.get("jid")) == \
            (aff, "none", full(u)), p
        assert codes(p) == [110], p
    ok(r.expect(r"<iq[^>]*id='lx4'[^>]*(?:/>|>.*?</iq>)").group(0))
    # The room is gone: the same name makes a new one.
    join(r, room, "romeo")
    assert codes(self_presence(r)) == [110, 201]
    close(r, j)


def test_service_destroy_command_refused_cleanly(s):
    """A command on the service to destroy rooms is not one mucd has:
    it answers an error and the room lives on."""
    room = "elsewhere@" + MUC
    r, m = login(s, "romeo"), login(s, "mercutio")
    create(r, room, "romeo")
    a = iq(m, MUC, "set", "<command xmlns='http://jabber.org/protocol/"
           "commands' node='http://prosody.im/protocol/muc#destroy'>"
           "<x xmlns='%s' type='submit'><field var='rooms'><value>%s"
           "</value></field></x></command>" % (NS_DATA, room))
    fails(a, "service-unavailable", "cancel")
    r.send("<message to='%s' type='groupchat'><body>still here</body>"
           "</message>" % room)
    r.expect(r"<message[^>]*from='%s/romeo'.*?still here" % room)
    close(r, m)


# -- affiliations of users out of the room ---------------------------------

def told(c, room):
    """The item of the next message from the room telling an
    affiliation change of one out of it; (the message, the item)."""
    m = c.expect(r"<message[^>]*from='%s'[^>]*>(?:(?!</message>).)*"
                 r"<item .*?</message>" % re.escape(room)).group(0)
    return m, xitem(m)


def test_affiliation_change_out_of_room_told(s):
    room = "notify@" + MUC
    r = login(s, "romeo")
    create(r, room, "Romeo")
    ok(configure(r, room))
    ok(admin_set(r, room, "<item affiliation='member' jid='%s'/>" %
                 bare("juliet")))
    m, it = told(r, room)
    assert (it.get("jid"), it.get("affiliation")) == \
        (bare("juliet"), "member"), m
    assert it.get("role") is None and "type=" not in m.split(">")[0], m
    j = login(s, "juliet")
    before, p, _ = enter(j, room, "Juliet")
    assert "from='%s/Romeo'" % room in before, before
    assert xitem(p).get("affiliation") == "member", p
    pres(r, room + "/Juliet")
    a = ok(admin_get(r, room, "member"))
    assert re.findall(r"<item [^>]*jid='([^']*)'", a) == [bare("juliet")], a
    # Juliet, a participant of a semi-anonymous room, sees no real JIDs:
    # she is not told of Rosaline's, the moderator is.
    ok(admin_set(r, room, "<item affiliation='member' jid='%s'/>" %
                 bare("rosaline")))
    m, it = told(r, room)
    assert (it.get("jid"), it.get("affiliation")) == \
        (bare("rosaline"), "member"), m
    r.send("<message type='groupchat' to='%s'><body>Finished!</body>"
           "</message>" % room)
    before, _ = upto(j, r"<message[^>]*from='%s/Romeo'[^>]*>.*?Finished!"
                     % room)
    assert "rosaline" not in before, before
    # A change for one in the room is told by presence only.
    ok(admin_set(r, room, "<item affiliation='admin' jid='%s'/>" %
                 bare("juliet")))
    p = pres(r, room + "/Juliet")
    assert xitem(p).get("affiliation") == "admin", p
    r.send("<message type='groupchat' to='%s'><body>Again</body>"
           "</message>" % room)
    before, _ = upto(r, r"<message[^>]*from='%s/Romeo'[^>]*>.*?Again"
                     % room)
    assert "<message" not in before, before
    close(r, j)


# -- mediated invitations --------------------------------------------------

def test_mediated_invitation(s):
    room = "invite@" + MUC
    r, j = login(s, "romeo"), login(s, "juliet")
    create(r, room, "Romeo")
    ok(configure(r, room))
    j.send("<presence/>")
    j.expect(r"<presence[^>]*from='%s'" % full("juliet"))
    r.send("<message to='%s' id='invite1'><x xmlns='%s'><invite to='%s'/>"
           "</x></message>" % (room, NS_USER, bare("juliet")))
    m = j.expect(r"<message[^>]*from='%s'[^>]*>.*?</message>" %
                 room).group(0)
    inv = ET.fromstring(m).find("{%s}x/{%s}invite" % (NS_USER, NS_USER))
    assert inv is not None and inv.get("from") in (
        full("romeo"), bare("romeo"), room + "/Romeo"), m
    # Invited to a members-only room, one becomes a member, and the
    # moderator is told so.
    ok(configure(r, room, field("muc#roomconfig_membersonly", "1")))
    r.send("<message to='%s'><x xmlns='%s'><invite to='%s'/></x>"
           "</message>" % (room, NS_USER, bare("mercutio")))
    m, it = told(r, room)
    assert (it.get("jid"), it.get("affiliation")) == \
        (bare("mercutio"), "member"), m
    close(r, j)


# -- members-only rooms ----------------------------------------------------

def members_only_room(s, name):
    """A members-only room of romeo's with juliet, a member, in it."""
    room = name + "@" + MUC
    r = login(s, "romeo")
    create(r, room, "Romeo")
    ok(configure(r, room, field("muc#roomconfig_membersonly", "1")))
    ok(admin_set(r, room, "<item affiliation='member' jid='%s'/>" %
                 bare("juliet")))
    told(r, room)
    j = login(s, "juliet")
    before, p, _ = enter(j, room, "Juliet")
    assert "from='%s/Romeo'" % room in before, before
    pres(r, room + "/Juliet")
    return room, r, j


def test_members_only_member_loses_affiliation_321(s):
    room, r, j = members_only_room(s, "club")
    a = admin_set(r, room, "<item affiliation='none' jid='%s'/>" %
                  bare("juliet"))
    ok(a)
    for c, self_ in ((r, False), (j, True)):
        p = pres(c, room + "/Juliet", r"[^>]*type='unavailable'")
        assert codes(p) == ([110, 321] if self_ else [321]), p
        it = xitem(p)
        assert (it.get("affiliation"), it.get("role")) == ("none", "none"), p
    close(r, j)


def test_members_only_unregistering_leaves_321(s):
    room, r, j = members_only_room(s, "club2")
    a = iq(j, room, "set", "<query xmlns='%s'><remove/></query>" % NS_REG)
    for c, self_ in ((j, True), (r, False)):
        p = pres(c, room + "/Juliet", r"[^>]*type='unavailable'")
        assert codes(p) == ([110, 321] if self_ else [321]), p
        it = xitem(p)
        assert (it.get("affiliation"), it.get("role")) == ("none", "none"), p
    ok(a)
    close(r, j)


# -- nick changes ----------------------------------------------------------

def test_nick_change_keeps_visitor_role(s):
    room = "moderated@" + MUC
    r, j = login(s, "romeo"), login(s, "juliet")
    create(r, room, "Romeo")
    ok(configure(r, room, field("muc#roomconfig_moderatedroom", "1")))
    _, p, _ = enter(j, room, "Juliet")
    assert xitem(p).get("role") == "visitor", p
    pres(r, room + "/Juliet")
    ok(configure(r, room, field("muc#roomconfig_moderatedroom", "0")))
    m = j.expect(r"<message[^>]*from='%s'[^>]*>(?:(?!</message>).)*"
                 r"<status code='104'/>.*?</message>" % room).group(0)
    assert "type='groupchat'" in m, m
    j.send("<presence to='%s/Juliet2'/>" % room)
    p = pres(j, room + "/Juliet", r"[^>]*type='unavailable'")
    assert codes(p) == [110, 303], p
    it = xitem(p)
    assert (it.get("nick"), it.get("role")) == ("Juliet2", "visitor"), p
    p = pres(j, room + "/Juliet2")
    assert codes(p) == [110] and xitem(p).get("role") == "visitor", p
    close(r, j)


def test_nick_with_variation_selector_is_one_nick(s):
    room = "nobots@" + MUC
    r, b, j = login(s, "romeo"), login(s, "mercutio"), login(s, "juliet")
    create(r, room, "Romeo")
    ok(configure(r, room))
    # A robot face and a variation selector: Resourceprep maps the
    # selector to nothing, so the nick is the robot face alone...
    join(b, room, "\U0001F916\uFE0F")
    p = self_presence(b)
    assert "from='%s/\U0001F916'" % room in p, p
    # ...and no one else can take it with or without the selector.
    for nick in ("\U0001F916", "\U0001F916\uFE0F"):
        join(j, room, nick)
        fails(error_of(j), "conflict", "cancel")
    close(r, b, j)


# -- bans ------------------------------------------------------------------

def test_ban_reason_kept_in_outcast_list(s):
    room = "outcast@" + MUC
    r = login(s, "romeo")
    create(r, room, "Romeo")
    ok(configure(r, room))
    ok(admin_set(r, room, "<item affiliation='outcast' jid='tybalt@"
                 "example.org'><reason>Hey calm down</reason></item>"))
    m, it = told(r, room)
    assert (it.get("jid"), it.get("affiliation")) == \
        ("tybalt@example.org", "outcast"), m
    assert it.findtext("{%s}reason" % NS_USER) == "Hey calm down", m
    assert codes(m) == [301], m
    a = ok(admin_get(r, room, "outcast"))
    it = ET.fromstring(a).find("{%s}query/{%s}item" % (NS_ADMIN, NS_ADMIN))
    assert it is not None and it.get("jid") == "tybalt@example.org", a
    assert it.findtext("{%s}reason" % NS_ADMIN) == "Hey calm down", a
    close(r)


# -- password-protected rooms ----------------------------------------------

def test_password_protected_room(s):
    room = "secret@" + MUC
    r, j = login(s, "romeo"), login(s, "juliet")
    create(r, room, "Romeo")
    ok(configure(r, room, field("muc#roomconfig_roomsecret",
                                "cauldronburn")))
    join(j, room, "Juliet")
    e = error_of(j)
    assert "from='%s/Juliet'" % room in e, e
    fails(e, "not-authorized", "auth")
    before, p, _ = enter(j, room, "Juliet", "cauldronburn")
    assert "from='%s/Romeo'" % room in before, before
    pres(r, room + "/Juliet")
    # Leaving by a presence to the room's bare JID.
    j.send("<presence type='unavailable' to='%s'/>" % room)
    pres(r, room + "/Juliet", r"[^>]*type='unavailable'")
    p = pres(j, room + "/Juliet", r"[^>]*type='unavailable'")
    assert codes(p) == [110], p
    ok(configure(r, room, "<field var='muc#roomconfig_roomsecret'/>"))
    m = r.expect(r"<message[^>]*from='%s'[^>]*>(?:(?!</message>).)*"
                 r"<status code='104'/>.*?</message>" % room).group(0)
    assert "type='groupchat'" in m, m
    before, p, _ = enter(j, room, "Juliet")
    assert "from='%s/Romeo'" % room in before, before
    pres(r, room + "/Juliet")
    close(r, j)


# -- probes ----------------------------------------------------------------

def test_presence_probe_of_occupants(s):
    room = "probe@" + MUC
    r, j = login(s, "romeo"), login(s, "juliet")
    create(r, room, "Romeo")
    ok(configure(r, room))
    # An outsider's probe of an occupant, or of no one, is dropped: it
    # tells nothing of who is in the room, and does not enter it.
    for nick in ("Romeo", "Mercutio"):
        j.send("<presence to='%s/%s' type='probe'><x xmlns='%s'/>"
               "</presence>" % (room, nick, NS_MUC))
        ok(iq(j, room, "get", "<ping xmlns='urn:xmpp:ping'/>"))
        assert "<presence" not in j.before, j.before
    before, p, _ = enter(j, room, "Juliet")
    assert codes(p) == [110], p
    pres(r, room + "/Juliet")
    # An occupant's probe is not answered either, nor passed on.
    r.send("<presence to='%s/Juliet' type='probe'/>" % room)
    ok(iq(r, room, "get", "<ping xmlns='urn:xmpp:ping'/>"))
    assert "<presence" not in r.before, r.before
    ok(iq(j, room, "get", "<ping xmlns='urn:xmpp:ping'/>"))
    assert "type='probe'" not in j.before, j.before
    close(r, j)


# -- registration and reserved nicks ---------------------------------------

def register_form(c, room):
    return iq(c, room, "get", "<query xmlns='%s'/>" % NS_REG)


def register(c, room, nick):
    return iq(c, room, "set", "<query xmlns='%s'><x xmlns='%s' "
              "type='submit'><field var='FORM_TYPE'><value>%s#register"
              "</value></field><field var='muc#register_roomnick'><value>"
              "%s</value></field></x></query>" % (NS_REG, NS_DATA, NS_MUC,
                                                  nick))


def reserved_nick(c, room):
    a = ok(iq(c, room, "get", "<query xmlns='%s' node='x-roomuser-item'/>"
              % NS_INFO))
    q = ET.fromstring(a).find("{%s}query" % NS_INFO)
    assert q is not None and q.get("node") == "x-roomuser-item", a
    ids = q.findall("{%s}identity" % NS_INFO)
    assert all(i.get("category") == "conference" and i.get("type") ==
               "text" for i in ids), a
    return [i.get("name") for i in ids]


def test_register_reserves_nick(s):
    room = "register@" + MUC
    r, j, o = login(s, "romeo"), login(s, "juliet"), login(s, "rosaline")
    create(r, room, "Romeo")
    ok(configure(r, room))
    ok(admin_set(r, room, "<item affiliation='member' jid='%s'/>" %
                 bare("juliet")))
    assert told(r, room)[1].get("affiliation") == "member"
    enter(j, room, "Juliet")
    pres(r, room + "/Juliet")
    a = ok(register_form(j, room))
    x = ET.fromstring(a).find("{%s}query/{%s}x" % (NS_REG, NS_DATA))
    assert x is not None and x.get("type") == "form", a
    f = {e.get("var"): e for e in x.findall("{%s}field" % NS_DATA)}
    assert f["FORM_TYPE"].findtext("{%s}value" % NS_DATA) == \
        NS_MUC + "#register", a
    assert f["FORM_TYPE"].get("type") == "hidden", a
    assert "muc#register_roomnick" in f, a
    ok(register(j, room, "Juliet"))
    assert reserved_nick(j, room) == ["Juliet"]
    j.send("<presence type='unavailable' to='%s/Juliet'/>" % room)
    p = pres(j, room + "/Juliet", r"[^>]*type='unavailable'")
    assert xitem(p).get("affiliation") == "member", p
    # Reserved for another: refused.
    join(o, room, "Juliet")
    fails(error_of(o), "conflict", "cancel")
    ok(iq(j, room, "set", "<query xmlns='%s'><remove/></query>" % NS_REG))
    assert reserved_nick(j, room) == []
    m, it = told(r, room)
    assert (it.get("jid"), it.get("affiliation")) == \
        (bare("juliet"), "none"), m
    # Free again.
    before, p, _ = enter(o, room, "Juliet")
    assert xitem(p).get("jid") == full("rosaline"), p
    pres(r, room + "/Juliet")
    # Reserved again by an admin: the next to enter under it is refused.
    ok(admin_set(r, room, "<item affiliation='member' jid='%s' "
                 "nick='Juliet'/>" % bare("juliet")))
    assert told(r, room)[1].get("affiliation") == "member"
    o.send("<presence type='unavailable' to='%s/Juliet'/>" % room)
    pres(o, room + "/Juliet", r"[^>]*type='unavailable'")
    join(o, room, "Juliet")
    fails(error_of(o), "conflict", "cancel")
    before, p, _ = enter(j, room, "Juliet")
    assert "from='%s/Romeo'" % room in before, before
    pres(r, room + "/Juliet")
    # The owner registers his own nick.
    ok(register_form(r, room))
    ok(register(r, room, "Romeo"))
    assert reserved_nick(r, room) == ["Romeo"]
    a = ok(admin_get(r, room, "member"))
    it = ET.fromstring(a).find("{%s}query/{%s}item" % (NS_ADMIN, NS_ADMIN))
    assert (it.get("jid"), it.get("nick")) == (bare("juliet"), "Juliet"), a
    # One with no affiliation may register in an open room, but not
    # under a nick reserved for another.
    enter(o, room, "Rosaline")
    pres(r, room + "/Rosaline")
    pres(j, room + "/Rosaline")
    ok(register_form(o, room))
    fails(register(o, room, "Romeo"), "conflict", "cancel")
    assert reserved_nick(o, room) == []
    # Registered, she is a member: every occupant is told (section 9.3).
    ok(register(o, room, "Rosaline"))
    for c in (o, r, j):
        p = pres(c, room + "/Rosaline")
        assert xitem(p).get("affiliation") == "member", p
    assert codes(p) == [], p
    assert reserved_nick(o, room) == ["Rosaline"]
    close(r, j, o)


# -- subjects --------------------------------------------------------------

def groupchat(c, room, inner):
    c.send("<message to='%s' type='groupchat'>%s</message>" % (room, inner))


def test_subject_with_body_is_a_message(s):
    room = "issue667@" + MUC
    r = login(s, "romeo")
    join(r, room, "Romeo")
    self_presence(r)
    m = subject(r, room)
    assert "<subject/>" in m, m
    ok(configure(r, room))
    # A subject with a body is a message, not a change of subject.
    groupchat(r, room, "<subject>Greetings</subject><body>Hello everyone"
              "</body>")
    m = r.expect(r"<message[^>]*from='%s/Romeo'.*?</message>" %
                 room).group(0)
    assert "<subject>Greetings</subject>" in m and "Hello everyone" in m, m
    # Entering again: the history has it, the subject is still empty.
    hist, subj = rejoin(r, room, "Romeo")
    assert "<subject/>" in subj and "from='%s'" % room in subj, subj
    assert len(hist) == 1 and "Hello everyone" in hist[0], hist
    assert "<delay xmlns='urn:xmpp:delay'" in hist[0], hist
    # A subject alone changes it, told from the occupant who set it.
    groupchat(r, room, "<subject>Something to talk about</subject>")
    m = r.expect(r"<message[^>]*from='%s/Romeo'.*?</message>" %
                 room).group(0)
    assert "<subject>Something to talk about</subject>" in m, m
    assert "<body" not in m, m
    groupchat(r, room, "<body>Lorem ipsum dolor sit amet</body>")
    r.expect(r"<message[^>]*from='%s/Romeo'[^>]*>.*?Lorem ipsum" % room)
    hist, subj = rejoin(r, room, "Romeo")
    assert [("Hello everyone" in h, "Lorem ipsum" in h) for h in hist] == \
        [(True, False), (False, True)], hist
    assert "<subject>Something to talk about</subject>" in subj, subj
    assert "from='%s/Romeo'" % room in subj, subj
    close(r)


def rejoin(c, room, nick):
    """c, in room as nick, sends its join presence again: it is told the
    room again, its own presence, the history and the subject.  Returns
    (the history's messages, the subject's message)."""
    join(c, room, nick)
    self_presence(c)
    before, m = upto(c, r"<message[^>]*>(?:(?!</message>|<body).)*"
                     r"<subject[ />](?:(?!</message>|<body).)*</message>")
    return (re.findall(r"<message.*?</message>", before, re.S),
            m.group(2))


# -- non-anonymous rooms ---------------------------------------------------

def test_non_anonymous_room_and_member_list(s):
    room = "issue1230@" + MUC
    r, j = login(s, "romeo"), login(s, "juliet")
    create(r, room, "romeo")
    a = configure(r, room, field("muc#roomconfig_whois", "anyone"))
    ok(a)
    m = r.expect(r"<message[^>]*from='%s'[^>]*>(?:(?!</message>).)*"
                 r"<status code='172'/>.*?</message>" % room).group(0)
    assert "type='groupchat'" in m, m
    before, p, _ = enter(j, room, "juliet")
    assert "jid='%s'" % full("romeo") in before, before
    assert codes(p) == [100, 110], p
    # Lists are for the admins and owners, and so a participant's get
    # is refused, whatever the room shows of real JIDs.
    fails(admin_get(j, room, "member"), "forbidden", "auth")
    close(r, j)


# -- presence broadcast and affiliation changes of occupants ---------------

def test_member_granted_in_room_gets_presence(s):
    room = "offline@" + MUC
    r, o = login(s, "romeo"), login(s, "rosaline")
    create(r, room, "Romeo")
    ok(configure(r, room, field("muc#roomconfig_presencebroadcast",
                                "participant", "moderator")))
    enter(o, room, "Rosaline")
    pres(r, room + "/Rosaline")
    ok(admin_set(r, room, "<item affiliation='member' jid='%s' "
                 "nick='Rosaline'/>" % bare("rosaline")))
    for c in (r, o):
        p = pres(c, room + "/Rosaline")
        it = xitem(p)
        assert (it.get("affiliation"), it.get("role")) == \
            ("member", "participant"), p
    assert codes(p) == [110], p
    assert reserved_nick(o, room) == ["Rosaline"]
    # An owner reserves his own nick through the admin list.
    ok(admin_set(r, room, "<item affiliation='owner' jid='%s' "
                 "nick='Romeo'/>" % bare("romeo")))
    assert reserved_nick(r, room) == ["Romeo"]
    close(r, o)
