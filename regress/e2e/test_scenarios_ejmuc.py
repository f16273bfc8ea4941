"""Wire-level scenarios of group chat (XEP-0045) and message archives
(XEP-0313) replayed over raw sockets against one xmppd: what the MUC
service itself answers to presences, messages and IQs it has no use
for; private messages to a nick that left; rooms that forbid subject
changes, private messages, invitations and voice; the archive's form
and preferences; RSM paging of a user's archive in both directions with
its count and completeness; a logging room's archive."""

import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_muc import (MUC, NS_USER, create,  # noqa: E402
                      error_of, instant, join, login, pres, self_presence,
                      upto)
from test_scenarios_muc import (NS_DATA, NS_INFO, NS_OWNER,  # noqa: E402
                                admin_set, close, configure, enter,
                                fails, field, iq, ok)
from xmppdtest import Server, add_user                     # noqa: E402

USERS = ("romeo", "juliet", "nurse", "tybalt")
NS_MAM = "urn:xmpp:mam:2"
NS_SID = "urn:xmpp:sid:0"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def setup():
    s = Server(prefork=1)
    s.write_conf(raw=s.base_conf() +
                 'muc "%s" {\n\trooms persistent\n}\n' % MUC)
    s.start()
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    return s


def teardown(s):
    s.stop()


def alive(c):
    """The service still answers: a disco#info of it comes back."""
    ok(iq(c, MUC, "get", "<query xmlns='%s'/>" % NS_INFO))


def condition(stanza):
    e = ET.fromstring(stanza).find("error")
    assert e is not None, stanza
    for ch in e:
        if ch.tag.startswith("{%s}" % NS_STANZAS) and \
                not ch.tag.endswith("}text"):
            return ch.tag.split("}")[1]
    raise AssertionError(stanza)


def no_answer_to(c, stanzas):
    """Errors and results sent to the service are never answered (RFC
    6120 8.3.1, 8.2.3): the next IQ's answer is the first thing back."""
    for st in stanzas:
        c.send(st)
    alive(c)
    # The server's own keepalive ping may come in between.
    assert not re.search(r"<presence|<message|<iq(?![^>]*id='xmppd-ping')",
                         c.before), c.before


# -- the service itself -----------------------------------------------------

def test_service_refuses_what_it_has_no_use_for(s):
    c = login(s, "romeo")
    no_answer_to(c, ["<presence type='error' to='%s'/>" % MUC,
                     "<presence type='error' to='%s/x'/>" % MUC,
                     "<message type='error' to='%s'/>" % MUC,
                     "<message type='error' to='%s/x'/>" % MUC,
                     "<iq type='result' id='r1' to='%s'/>" % MUC,
                     "<iq type='error' id='r2' to='%s/x'/>" % MUC])
    # Presence to no room joins nothing: no answer, or an error.
    for to in (MUC, MUC + "/x"):
        for typ in ("", " type='unavailable'"):
            c.send("<presence to='%s'%s/>" % (to, typ))
    alive(c)
    assert not re.search(r"<presence(?![^>]*type='error')", c.before), \
        c.before
    for to in (MUC, MUC + "/x"):
        for typ in ("chat", "normal", "headline", "groupchat"):
            c.send("<message type='%s' to='%s'><body>x</body></message>"
                   % (typ, to))
            m = c.expect(r"<message[^>]*type='error'.*?</message>").group(0)
            assert condition(m) in ("forbidden", "service-unavailable",
                                    "bad-request", "not-acceptable",
                                    "feature-not-implemented"), m
        # An IQ whose payload is not a namespace it serves (RFC 6120
        # 8.4): service-unavailable, for get and set alike.
        for typ in ("get", "set"):
            fails(iq(c, to, typ, "<presence xmlns='jabber:client'/>"),
                  "service-unavailable", "cancel")
    alive(c)
    close(c)


def test_service_iq_set_of_get_only_queries_refused(s):
    c = login(s, "romeo")
    for payload in ("<query xmlns='%s'/>" % NS_INFO,
                    "<query xmlns='http://jabber.org/protocol/disco#items'/>",
                    "<vCard xmlns='vcard-temp'/>",
                    "<unique xmlns='http://jabber.org/protocol/muc#unique'/>"):
        r = iq(c, MUC, "set", payload)
        assert "type='error'" in r, (payload, r)
        assert condition(r) != "internal-server-error", r
    # Elements that are no query at all, as the payload of get and set.
    for payload in ("<item xmlns='http://jabber.org/protocol/disco#items' "
                    "jid='%s'/>" % MUC,
                    "<identity xmlns='%s' category='c' type='t'/>" % NS_INFO,
                    "<EMAIL xmlns='vcard-temp'/>",
                    "<pong xmlns='urn:xmpp:ping'/>"):
        for typ in ("get", "set"):
            r = iq(c, MUC, typ, payload)
            assert "type='error'" in r, (payload, r)
            assert condition(r) != "internal-server-error", r
    alive(c)
    close(c)


def test_room_answers_only_the_elements_that_ask(s):
    """A new room's owner query is a <query/>: another element of the
    namespace around an empty form neither unlocks the room nor makes
    it instant; another element of disco#info asks for no reserved
    nick."""
    room = "locked@" + MUC
    r, j = login(s, "romeo"), login(s, "juliet")
    join(r, room, "romeo")
    assert "code='201'" in self_presence(r)
    a = iq(r, room, "set", "<destroy xmlns='%s'><x xmlns='%s' type="
           "'submit'/></destroy>" % (NS_OWNER, NS_DATA))
    assert "type='error'" in a and condition(a) != "internal-server-error", a
    a = iq(r, room, "get", "<item xmlns='%s' node='x-roomuser-item'/>"
           % NS_INFO)
    assert "type='error'" in a and "<identity" not in a, a
    # Still locked (XEP-0045 10.1.1): nobody else enters.
    join(j, room, "juliet")
    e = error_of(j)
    assert condition(e) == "item-not-found", e
    instant(r, room)
    join(j, room, "juliet")
    self_presence(j)
    close(r, j)


def test_disco_of_a_node_that_does_not_exist(s):
    """XEP-0030 section 7: a JID and node that do not exist are
    item-not-found, at the service and at a room alike."""
    c = login(s, "romeo")
    room = "nodes@" + MUC
    create(c, room, "romeo")
    for to in (MUC, room):
        for ns in (NS_INFO, "http://jabber.org/protocol/disco#items"):
            fails(iq(c, to, "get", "<query xmlns='%s' node='no-such-node'/>"
                     % ns), "item-not-found", "cancel")
    close(c)


def test_service_rooms_listed_then_gone(s):
    """Public rooms appear in the service's items, one per room, and
    temporary ones leave the list when their last occupant leaves."""
    c = login(s, "tybalt")
    rooms = sorted("list%d@%s" % (i, MUC) for i in range(1, 4))
    for room in rooms:
        create(c, room, "tybalt")
        ok(configure(c, room, field("muc#roomconfig_persistentroom", "0")))
    r = iq(c, MUC, "get", "<query xmlns='http://jabber.org/protocol/"
           "disco#items'/>")
    listed = re.findall(r"<item [^>]*jid='(list\d@[^']+)'", r)
    assert sorted(listed) == rooms, r
    for room in rooms:
        c.send("<presence type='unavailable' to='%s/tybalt'/>" % room)
        pres(c, room + "/tybalt", r"[^>]*type='unavailable'")
    r = iq(c, MUC, "get", "<query xmlns='http://jabber.org/protocol/"
           "disco#items'/>")
    assert not re.findall(r"jid='list\d@", r), r
    close(c)


# -- a room's rules, enforced -----------------------------------------------

def pair(s, room):
    """romeo owns room (made instant), juliet is in it as a participant."""
    r, j = login(s, "romeo"), login(s, "juliet")
    create(r, room, "romeo")
    enter(j, room, "juliet")
    pres(r, room + "/juliet")
    return r, j


def test_private_message_to_a_nick_that_left(s):
    """XEP-0045 7.5: a private message to an occupant JID that does not
    exist is item-not-found, from that occupant JID."""
    room = "pm@" + MUC
    r, j = pair(s, room)
    r.send("<message type='chat' to='%s/juliet'><body>1</body></message>"
           % room)
    m = j.expect(r"<message[^>]*from='%s/romeo'.*?</message>" % room)
    assert "<body>1</body>" in m.group(0)
    j.send("<presence type='unavailable' to='%s/juliet'/>" % room)
    pres(r, room + "/juliet", r"[^>]*type='unavailable'")
    r.send("<message type='chat' to='%s/juliet' id='gone'><body>2</body>"
           "</message>" % room)
    m = r.expect(r"<message[^>]*id='gone'.*?</message>").group(0)
    assert "type='error'" in m and "from='%s/juliet'" % room in m, m
    assert condition(m) == "item-not-found", m
    close(r, j)


def test_subject_change_forbidden_when_room_says_so(s):
    """XEP-0045 8.1: an occupant not allowed to change the subject gets
    forbidden; the subject stays."""
    room = "subj@" + MUC
    r, j = pair(s, room)
    ok(configure(r, room, field("muc#roomconfig_changesubject", "1")))
    j.send("<message type='groupchat' to='%s'><subject>one</subject>"
           "</message>" % room)
    for c in (r, j):
        c.expect(r"<message[^>]*from='%s/juliet'[^>]*>(?:(?!</message>)."
                 r")*<subject>one</subject>" % room)
    ok(configure(r, room, field("muc#roomconfig_changesubject", "0")))
    j.send("<message type='groupchat' to='%s' id='s2'><subject>two"
           "</subject></message>" % room)
    m = j.expect(r"<message[^>]*id='s2'.*?</message>").group(0)
    assert "type='error'" in m and "from='%s'" % room in m, m
    assert condition(m) == "forbidden", m
    # Nothing reached the owner: its next message is its own.
    r.send("<message type='groupchat' to='%s' id='mk'><body>k</body>"
           "</message>" % room)
    before, _ = upto(r, r"<message[^>]*id='mk'")
    assert "<subject>two" not in before, before
    close(r, j)


def test_moderated_room_visitor_may_not_speak(s):
    """XEP-0045 7.4: a visitor's groupchat in a moderated room is
    forbidden and reaches no one; given voice back, it speaks."""
    room = "mod@" + MUC
    r, j = pair(s, room)
    ok(configure(r, room, field("muc#roomconfig_moderatedroom", "1")))
    ok(admin_set(r, room, "<item nick='juliet' role='visitor'/>"))
    pres(j, room + "/juliet", r"(?:(?!</presence>).)*role='visitor'")
    j.send("<message type='groupchat' to='%s' id='v1'><body>hush</body>"
           "</message>" % room)
    m = j.expect(r"<message[^>]*id='v1'.*?</message>").group(0)
    assert "type='error'" in m and condition(m) == "forbidden", m
    ok(admin_set(r, room, "<item nick='juliet' role='participant'/>"))
    j.send("<message type='groupchat' to='%s' id='v2'><body>now</body>"
           "</message>" % room)
    before, m = upto(r, r"<message[^>]*id='v2'.*?</message>")
    m = m.group(2)
    assert "from='%s/juliet'" % room in m and "type='groupchat'" in m, m
    assert "hush" not in before, before
    close(r, j)


def test_private_messages_off(s):
    """With private messages allowed to nobody, one is refused, from the
    occupant JID it was sent to, and reaches no one."""
    room = "nopm@" + MUC
    r, j = pair(s, room)
    ok(configure(r, room, field("muc#roomconfig_allowpm", "none")))
    r.send("<message type='chat' to='%s/juliet' id='p1'><body>psst</body>"
           "</message>" % room)
    m = r.expect(r"<message[^>]*id='p1'.*?</message>").group(0)
    assert "type='error'" in m and "from='%s/juliet'" % room in m, m
    assert condition(m) in ("forbidden", "not-allowed"), m
    j.send("<message type='groupchat' to='%s' id='mk2'><body>k</body>"
           "</message>" % room)
    before, _ = upto(j, r"<message[^>]*id='mk2'")
    assert "psst" not in before, before
    close(r, j)


def test_invitations_by_occupants_off(s):
    """In a members-only room whose members may not invite, a member's
    invitation is refused and reaches nobody; the owner's goes out."""
    room = "inv@" + MUC
    r, j = pair(s, room)
    n = login(s, "nurse")
    # Available, as the router has it: a ping answered after it.
    n.send("<presence/><iq type='get' id='sync' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>")
    n.expect(r"<iq[^>]*id='sync'")
    ok(admin_set(r, room, "<item affiliation='member' "
                 "jid='juliet@example.org'/>"))
    ok(configure(r, room, field("muc#roomconfig_membersonly", "1") +
                 field("muc#roomconfig_allowinvites", "0")))
    invite = ("<message to='%s' id='%s'><x xmlns='%s'><invite "
              "to='nurse@example.org'/></x></message>")
    j.send(invite % (room, "i1", NS_USER))
    m = j.expect(r"<message[^>]*id='i1'.*?</message>").group(0)
    assert "type='error'" in m and condition(m) in ("forbidden",
                                                    "not-allowed"), m
    r.send(invite % (room, "i2", NS_USER))
    before, m = upto(n, r"<message[^>]*from='%s'.*?</message>" % room)
    assert "<invite from='romeo@example.org" in m.group(2), m.group(2)
    assert "juliet" not in before, before
    close(r, j, n)


def test_destroy_by_a_non_owner_forbidden(s):
    """Only an owner destroys (XEP-0045 10.9).  A room has no vCard to
    read or set: refused cleanly, the room lives on."""
    room = "keep@" + MUC
    r, j = pair(s, room)
    fails(iq(j, room, "set", "<query xmlns='%s'><destroy/></query>"
             % NS_OWNER), "forbidden", "auth")
    for c, typ, v in ((r, "get", "<vCard xmlns='vcard-temp'/>"),
                      (r, "set", "<vCard xmlns='vcard-temp'><FN>x</FN>"
                       "</vCard>"),
                      (j, "set", "<vCard xmlns='vcard-temp'/>")):
        a = iq(c, room, typ, v)
        assert "type='error'" in a and condition(a) in (
            "service-unavailable", "feature-not-implemented"), a
    r.send("<message type='groupchat' to='%s' id='alive'><body>x</body>"
           "</message>" % room)
    j.expect(r"<message[^>]*id='alive'")
    close(r, j)


def test_owner_query_of_a_room_that_does_not_exist(s):
    """Nobody owns a room that does not exist: its form is not given
    and no cancel makes it."""
    c = login(s, "romeo")
    room = "nothere@" + MUC
    r = iq(c, room, "get", "<query xmlns='%s'/>" % NS_OWNER)
    assert "type='error'" in r and condition(r) == "item-not-found", r
    r = iq(c, room, "set", "<query xmlns='%s'><x xmlns='%s' type='cancel'/>"
           "</query>" % (NS_OWNER, NS_DATA))
    assert "type='error'" in r and condition(r) == "item-not-found", r
    r = iq(c, MUC, "get", "<query xmlns='http://jabber.org/protocol/"
           "disco#items'/>")
    assert "nothere@" not in r, r
    close(c)


# -- archives ---------------------------------------------------------------

def mam_query(c, inner="", to=None, qid="q"):
    """A query; returns (the results as elements, the fin or error iq)."""
    iq_ = "<query xmlns='%s' queryid='%s'>%s</query>" % (NS_MAM, qid, inner)
    c.send("<iq type='set' id='mq-%s'%s>%s</iq>" % (
        qid, " to='%s'" % to if to else "", iq_))
    before, m = c.expect(r"(.*?)(<iq[^>]*id='mq-%s'(?:[^>]*/>|.*?</iq>))"
                         % qid).group(1, 2)
    res = [ET.fromstring(x) for x in re.findall(
        r"<message[^>]*><result .*?</result></message>", before, re.S)]
    return res, m


def bodies(results):
    out = []
    for e in results:
        fwd = e.find("{%s}result/{urn:xmpp:forward:0}forwarded" % NS_MAM)
        assert fwd.find("{urn:xmpp:delay}delay") is not None
        out.append(fwd.find("{jabber:client}message/{jabber:client}body")
                   .text)
    return out


def rsm_of(fin):
    e = ET.fromstring(fin).find("{%s}fin" % NS_MAM)
    assert e is not None, fin
    s = e.find("{%s}set" % NS_RSM)
    get = (lambda t: s.find("{%s}%s" % (NS_RSM, t)).text
           if s is not None and s.find("{%s}%s" % (NS_RSM, t)) is not None
           else None)
    cnt = get("count")
    return {"complete": e.get("complete") == "true", "first": get("first"),
            "last": get("last"), "count": int(cnt) if cnt else None}


def test_archive_form_and_preferences(s):
    c = login(s, "nurse")
    r = iq(c, "nurse@example.org", "get", "<query xmlns='%s'/>" % NS_MAM)
    x = ET.fromstring(r).find("{%s}query/{%s}x" % (NS_MAM, NS_DATA))
    assert x is not None, r
    vars_ = {f.get("var"): f for f in x}
    assert vars_["FORM_TYPE"].find("{%s}value" % NS_DATA).text == NS_MAM, r
    for v in ("with", "start", "end"):
        assert v in vars_, (v, r)
    for default in ("always", "never", "roster"):
        for always, never in (([], []), (["foo@bar.baz"], ["baz@bar.foo"])):
            lists = "".join(
                "<%s>%s</%s>" % (k, "".join("<jid>%s</jid>" % j for j in v),
                                 k)
                for k, v in (("always", always), ("never", never)))
            r = ok(iq(c, "nurse@example.org", "set",
                      "<prefs xmlns='%s' default='%s'>%s</prefs>"
                      % (NS_MAM, default, lists)))
            for got in (r, ok(iq(c, "nurse@example.org", "get",
                                 "<prefs xmlns='%s'/>" % NS_MAM))):
                p = ET.fromstring(got).find("{%s}prefs" % NS_MAM)
                assert p is not None and p.get("default") == default, got
                for k, v in (("always", always), ("never", never)):
                    jids = [j.text for j in p.findall(
                        "{%s}%s/{%s}jid" % (NS_MAM, k, NS_MAM))]
                    assert jids == v, (k, got)
    ok(iq(c, "nurse@example.org", "set", "<prefs xmlns='%s' default="
          "'always'/>" % NS_MAM))
    close(c)


def test_archive_paging_count_and_completeness(s):
    a, b = login(s, "juliet", "pg"), login(s, "tybalt", "pg")
    for c, u in ((a, "juliet"), (b, "tybalt")):
        ok(iq(c, u + "@example.org", "set",
              "<prefs xmlns='%s' default='always'/>" % NS_MAM))
        c.send("<presence/>")
    for n in range(1, 6):
        a.send("<message type='chat' to='tybalt@example.org/pg'><body>%d"
               "</body></message>" % n)
        m = b.expect(r"<message[^>]*>(?:(?!</message>).)*<body>%d</body>"
                     r".*?</message>" % n).group(0)
        sid = ET.fromstring(m).findall("{%s}stanza-id" % NS_SID)
        assert [x.get("by") for x in sid] == ["tybalt@example.org"], m
    wanted = [str(n) for n in range(1, 6)]
    for c in (a, b):
        res, fin = mam_query(c, qid="all")
        assert bodies(res) == wanted, fin
        r = rsm_of(fin)
        assert r["complete"] and r["count"] == 5, fin
        peer = "tybalt" if c is a else "juliet"
        for i, w in enumerate((peer + "@example.org/pg",
                               peer + "@example.org")):
            res, fin = mam_query(c, "<x xmlns='%s' type='submit'>%s%s</x>"
                                 % (NS_DATA, field("FORM_TYPE", NS_MAM),
                                    field("with", w)), qid="w%d" % i)
            assert bodies(res) == wanted, fin
        # max 0..6: the first max, complete once all five fit.
        for mx in range(0, 7):
            res, fin = mam_query(c, "<set xmlns='%s'><max>%d</max></set>"
                                 % (NS_RSM, mx), qid="m%d" % mx)
            assert bodies(res) == wanted[:mx], (mx, fin)
            r = rsm_of(fin)
            assert r["count"] == 5 and r["complete"] == (mx >= 5), (mx, fin)
        # Forward: each page after the first of the one before.
        after, n = None, 1
        while n <= 6:
            res, fin = mam_query(c, "<set xmlns='%s'>%s</set>" % (
                NS_RSM, "<after>%s</after>" % after if after else ""),
                qid="a%d" % n)
            assert bodies(res) == wanted[n - 1:], (n, fin)
            r = rsm_of(fin)
            assert r["complete"] and r["count"] == 5, fin
            after, n = r["first"], n + 1
            if after is None:
                break
        assert n == 7, n
        # Backward from the end: the last message alone is not all.
        res, fin = mam_query(c, "<set xmlns='%s'><max>1</max><before/>"
                             "</set>" % NS_RSM, qid="last")
        assert bodies(res) == ["5"], fin
        r = rsm_of(fin)
        assert not r["complete"] and r["count"] == 5, fin
        before, n = "", 5
        while True:
            res, fin = mam_query(c, "<set xmlns='%s'><before>%s</before>"
                                 "</set>" % (NS_RSM, before), qid="b%d" % n)
            assert bodies(res) == wanted[:n], (n, fin)
            r = rsm_of(fin)
            assert r["complete"] and r["count"] == 5, (n, fin)
            if r["last"] is None:
                break
            before, n = r["last"], n - 1
        assert n == 0, n
    close(a, b)


def test_logging_room_archive(s):
    """A room that logs answers a query of its archive: the messages
    from the nick that sent them, complete, counted."""
    room = "logged@" + MUC
    c = login(s, "tybalt", "room")
    create(c, room, "tybalt")
    r = iq(c, room, "get", "<query xmlns='%s'/>" % NS_INFO)
    assert "var='%s'" % NS_MAM not in r, r
    ok(configure(c, room, field("muc#roomconfig_enablelogging", "1")))
    r = iq(c, room, "get", "<query xmlns='%s'/>" % NS_INFO)
    assert "var='%s'" % NS_MAM in r, r
    for n in range(1, 6):
        c.send("<message type='groupchat' to='%s'><body>%d</body></message>"
               % (room, n))
        c.expect(r"<message[^>]*from='%s/tybalt'[^>]*>(?:(?!</message>)"
                 r".)*<body>%d</body>" % (room, n))
    res, fin = mam_query(c, to=room, qid="room")
    assert bodies(res) == [str(n) for n in range(1, 6)], fin
    for e in res:
        assert e.get("from") == room, ET.tostring(e)
        m = e.find("{%s}result/{urn:xmpp:forward:0}forwarded/"
                   "{jabber:client}message" % NS_MAM)
        assert m.get("from") == room + "/tybalt" and \
            m.get("type") == "groupchat", ET.tostring(e)
    assert "from='%s'" % room in fin, fin
    r = rsm_of(fin)
    assert r["complete"] and r["count"] == 5, fin
    close(c)
