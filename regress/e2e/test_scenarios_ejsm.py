"""Wire-level scenarios for stream management (XEP-0198), message
carbons (XEP-0280), client state indication (XEP-0352), a resource
bound twice (RFC 6120 7.7.2.2), private XML storage (XEP-0049) and
offline messages (RFC 6121 8.5.2, XEP-0160): exact stanzas sent, the
answers the specifications require checked."""

import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawxmpp import Raw, subscribe  # noqa: E402
from xmppdtest import Server, add_user  # noqa: E402

SM = "urn:xmpp:sm:3"
CARBONS = "urn:xmpp:carbons:2"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
STREAMS = "urn:ietf:params:xml:ns:xmpp-streams"
DISCO = "http://jabber.org/protocol/disco#info"
USERS = ("smuser", "carbo", "peer", "other", "quiet", "dup", "priv",
         "offl", "sender", "csiu", "csip")


def setup():
    s = Server("limits {\n\tresume timeout 2\n}\n", prefork=1)
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


def ping(c, i="p"):
    """A round trip through the router: what it sent before is here."""
    c.send("<iq type='get' id='%s' to='example.org'><ping xmlns='urn:xmpp:"
           "ping'/></iq>" % i)
    return c.expect(r"^(.*?)<iq[^>]*id='%s'[^>]*/>" % i).group(1)


def iq_error(c, i, cond):
    m = c.expect(r"<iq[^>]*id='%s'.*?</iq>|<iq[^>]*id='%s'[^>]*/>"
                 % (i, i)).group(0)
    assert "type='error'" in m, m
    assert "<%s xmlns='%s'/>" % (cond, STANZAS) in m, m
    return m


def features(s, user, res):
    c = Raw(s.ports["client"])
    c.starttls()
    c.header()
    assert c.auth_plain(user, user + "-pw").group(1) == "success"
    feats = c.header().group(1)
    c.bind(res)
    return c, feats


# Stream management

def test_sm_counts_resumes_then_times_out(s):
    c, feats = features(s, "smuser", "sm")
    assert "<sm xmlns='%s'/>" % SM in feats, feats
    c.send("<enable xmlns='%s' resume='true'/>" % SM)
    m = c.expect(r"<enabled [^>]*/>").group(0)
    assert "resume='true'" in m, m
    sid = re.search(r"id='([^']+)'", m).group(1)
    c.send("<r xmlns='%s'/>" % SM)
    c.expect(r"<a xmlns='%s' h='0'/>" % SM)
    # Three headlines to the server: each counted, none answered.
    for _ in range(3):
        c.send("<message to='example.org' type='headline'>"
               "<body>body</body></message>")
    c.send("<r xmlns='%s'/>" % SM)
    c.expect(r"<a xmlns='%s' h='3'/>" % SM)
    mark = s.mark()
    c.sock.shutdown(socket.SHUT_RDWR)
    c.close()
    s.wait_log(r"session smuser@example.org/sm detached", after=mark)
    # A message while detached is queued for the session.
    o = login(s, "other", "o")
    o.send("<message to='smuser@example.org/sm' id='q1' type='chat'>"
           "<body>queued</body></message>")
    ping(o)
    c = Raw(s.ports["client"])
    c.starttls()
    c.header()
    c.auth_plain("smuser", "smuser-pw")
    c.header()
    c.send("<resume xmlns='%s' previd='%s' h='0'/>" % (SM, sid))
    m = c.expect(r"<resumed [^>]*/>").group(0)
    assert "previd='%s'" % sid in m and "h='3'" in m, m
    c.expect(r"<message[^>]*id='q1'.*?<body>queued</body>")
    c.send("<a xmlns='%s' h='1'/>" % SM)
    c.send("<r xmlns='%s'/>" % SM)
    c.expect(r"<a xmlns='%s' h='3'/>" % SM)
    c.send("<presence to='example.org'/>")
    c.send("<r xmlns='%s'/>" % SM)
    c.expect(r"<a xmlns='%s' h='4'/>" % SM)
    mark = s.mark()
    c.sock.shutdown(socket.SHUT_RDWR)
    c.close()
    s.wait_log(r"session smuser@example.org/sm: not resumed in time",
               after=mark)
    # Gone: XEP-0198 section 5, item-not-found.
    c = Raw(s.ports["client"])
    c.starttls()
    c.header()
    c.auth_plain("smuser", "smuser-pw")
    c.header()
    c.send("<resume xmlns='%s' previd='%s' h='1'/>" % (SM, sid))
    c.expect(r"<failed xmlns='%s'[^>]*><item-not-found xmlns='%s'/>"
             r"</failed>" % (SM, STANZAS))
    c.close()
    o.close()


def test_sm_without_resume_unacked_headlines(s):
    """A session without resumption ends: what it never acknowledged is
    not lost silently (XEP-0198 section 5: handled as if undelivered)."""
    c = login(s, "quiet", "q")
    c.send("<enable xmlns='%s'/>" % SM)
    m = c.expect(r"<enabled [^>]*/>").group(0)
    assert "resume='true'" not in m and "resume='1'" not in m, m
    o = login(s, "sender", "s")
    for i in range(1, 4):
        o.send("<message to='quiet@example.org/q' id='u%d' type='headline'>"
               "<body>%d</body></message>" % (i, i))
    for i in range(1, 4):
        c.expect(r"<message[^>]*id='u%d'" % i)
    mark = s.mark()
    c.sock.shutdown(socket.SHUT_RDWR)
    c.close()
    s.wait_log(r"session quiet@example.org/q ended|"
               r"session quiet@example.org/q closed", after=mark)
    # Headlines: RFC 6121 8.5.3.2.1 lets the server drop them; no
    # error may come back for them, and the sender's session lives.
    assert "u1" not in ping(o, "after")
    o.close()


# Carbons

def test_carbons_advertised_and_misuse_refused(s):
    c = login(s, "carbo", "a")
    c.send("<iq type='get' id='d' to='example.org'><query xmlns='%s'/>"
           "</iq>" % DISCO)
    m = c.expect(r"<iq[^>]*id='d'.*?</iq>").group(0)
    assert "<feature var='%s'/>" % CARBONS in m, m
    fwd = "<forwarded xmlns='urn:xmpp:forward:0'/>"
    n = 0
    for t in ("get", "set"):
        for el in ("<sent xmlns='%s'>%s</sent>" % (CARBONS, fwd),
                   "<received xmlns='%s'>%s</received>" % (CARBONS, fwd),
                   "<private xmlns='%s'/>" % CARBONS):
            n += 1
            c.send("<iq type='%s' id='m%d'>%s</iq>" % (t, n, el))
            m = c.expect(r"<iq[^>]*id='m%d'.*?</iq>|<iq[^>]*id='m%d'[^>]*/>"
                         % (n, n)).group(0)
            assert "type='error'" in m, m
    for el in ("enable", "disable"):
        c.send("<iq type='get' id='g%s'><%s xmlns='%s'/></iq>" %
               (el, el, CARBONS))
        m = c.expect(r"<iq[^>]*id='g%s'.*?</iq>" % el).group(0)
        assert "type='error'" in m, m
    c.close()


def carbons_pair(s, res_a, res_b):
    a = login(s, "carbo", res_a)
    b = login(s, "carbo", res_b)
    b.send("<iq type='set' id='en'><enable xmlns='%s'/></iq>" % CARBONS)
    b.expect(r"<iq[^>]*id='en'[^>]*type='result'[^>]*/>|"
             r"<iq[^>]*type='result'[^>]*id='en'[^>]*/>")
    a.send("<presence><priority>10</priority></presence>")
    b.send("<presence><priority>5</priority></presence>")
    ping(a)
    ping(b)
    return a, b


MSG_TYPES = ("error", "chat", "normal", "groupchat", "headline")


def carbon_cases():
    for t in MSG_TYPES:
        for body in ("", "<body>body</body>"):
            for el in ("", "<no-copy xmlns='urn:xmpp:hints'/>",
                       "<private xmlns='%s'/>" % CARBONS):
                yield t, body, el


def eligible(t, body, el):
    if el:
        return False
    return t == "chat" or (t == "normal" and body != "")


def test_carbons_sent_and_received_by_type(s):
    a, b = carbons_pair(s, "ca", "cb")
    p = login(s, "peer", "p")
    ja = "carbo@example.org/ca"
    want = []
    for n, (t, body, el) in enumerate(carbon_cases()):
        i = "s%d" % n
        a.send("<message to='peer@example.org/p' id='%s' type='%s'>%s%s"
               "</message>" % (i, t, body, el))
        if eligible(t, body, el):
            want.append(("sent", i))
    for n, (t, body, el) in enumerate(carbon_cases()):
        i = "r%d" % n
        p.send("<message to='%s' id='%s' type='%s'>%s%s</message>" %
               (ja, i, t, body, el))
        if eligible(t, body, el):
            want.append(("received", i))
    ping(p)
    got = ping(b, "end")
    seen = re.findall(r"<(sent|received) xmlns='%s'><forwarded[^>]*>.*?"
                      r"<message[^>]*\bid='([^']+)'" % CARBONS, got)
    # Each direction in order; the two may interleave.
    for kind in ("sent", "received"):
        assert ([x for x in seen if x[0] == kind] ==
                [x for x in want if x[0] == kind]), (seen, want)
    for m in re.findall(r"<message[^>]*>(?=<(?:sent|received) )", got):
        if "type='error'" not in m:
            assert "from='carbo@example.org'" in m, m
            assert "to='carbo@example.org/cb'" in m, m
    for x in (a, b, p):
        x.close()


def test_carbons_disabled_none(s):
    a, b = carbons_pair(s, "da", "db")
    b.send("<iq type='set' id='dis'><disable xmlns='%s'/></iq>" % CARBONS)
    b.expect(r"<iq[^>]*id='dis'[^>]*/>")
    p = login(s, "peer", "q")
    a.send("<message to='peer@example.org/q' id='x1' type='chat'>"
           "<body>hi</body></message>")
    p.send("<message to='carbo@example.org/da' id='x2' type='chat'>"
           "<body>hi</body></message>")
    ping(p)
    a.expect(r"<message[^>]*id='x2'")
    assert "<sent" not in ping(b) and "<received" not in b.buf
    for x in (a, b, p):
        x.close()


# Client state indication

def test_csi_advertised_and_flushes_in_order(s):
    c, feats = features(s, "csiu", "c")
    assert "<csi xmlns='urn:xmpp:csi:0'/>" in feats, feats
    c.send("<presence/>")
    c.expect(r"<presence[^>]*/>|<presence.*?</presence>")
    p = login(s, "csip", "p")
    c.send("<inactive xmlns='urn:xmpp:csi:0'/>")
    ping(c, "in")
    ja = "csiu@example.org/c"
    cs = "http://jabber.org/protocol/chatstates"
    p.send("<presence to='%s'/>" % ja)
    p.send("<presence to='%s' type='unavailable'/>" % ja)
    p.send("<message to='%s' id='c1' type='chat'><thread>1</thread>"
           "<active xmlns='%s'/></message>" % (ja, cs))
    p.send("<message to='%s' id='c2' type='chat'><thread>1</thread>"
           "<composing xmlns='%s'/></message>" % (ja, cs))
    ping(p)
    # Held: nothing urgent yet.
    assert "<message" not in ping(c, "held")
    p.send("<message to='%s' id='c3' type='chat'><thread>1</thread>"
           "<active xmlns='%s'/><body>body</body></message>" % (ja, cs))
    # The body flushes the held messages before it, in order.
    m = c.expect(r"^(.*?)<message[^>]*id='c3'").group(1)
    assert re.findall(r"<message[^>]*id='(c\d)'", m) == ["c1", "c2"], m
    # Presence may wait for the client to be active: then only the
    # latest of the sender's comes, nothing of it was lost.
    c.send("<active xmlns='urn:xmpp:csi:0'/>")
    m = ping(c, "act")
    pres = re.findall(r"<presence[^>]*from='csip@example.org/p'[^>]*>", m)
    assert len(pres) == 1 and "type='unavailable'" in pres[0], m
    p.send("<message to='%s' id='c4' type='chat'><thread>1</thread>"
           "<active xmlns='%s'/></message>" % (ja, cs))
    c.expect(r"<message[^>]*id='c4'")
    c.close()
    p.close()


# A resource bound twice

def test_same_resource_old_session_conflict(s):
    old = login(s, "dup", "same")
    new = login(s, "dup", "same")
    assert new.jid == "dup@example.org/same", new.jid
    out = old.closed()
    assert "<stream:error><conflict xmlns='%s'/>" % STREAMS in out, out
    assert out.rstrip().endswith("</stream:stream>"), out
    ping(new)
    new.close()


# Private XML storage

def test_private_jabber_iq_private_child_refused(s):
    c = login(s, "priv", "p")
    c.send("<iq type='get' id='w'><query xmlns='jabber:iq:private'>"
           "<wrong/></query></iq>")
    iq_error(c, "w", "not-acceptable")
    c.close()


def test_private_bookmarks_round_trip(s):
    c = login(s, "priv", "p")
    st = ("<storage xmlns='storage:bookmarks'><conference autojoin='true' "
          "jid='some@some.conference.org' name='Some name'/></storage>")
    c.send("<iq type='set' id='s'><query xmlns='jabber:iq:private'>%s"
           "</query></iq>" % st)
    m = c.expect(r"<iq[^>]*id='s'[^>]*/>").group(0)
    assert "type='result'" in m, m
    c.send("<iq type='get' id='g'><query xmlns='jabber:iq:private'>"
           "<storage xmlns='storage:bookmarks'/></query></iq>")
    m = c.expect(r"<iq[^>]*id='g'.*?</iq>").group(0)
    assert "type='result'" in m, m
    assert "jid='some@some.conference.org'" in m, m
    assert "name='Some name'" in m and "autojoin='true'" in m, m
    c.close()


# Offline messages

def test_offline_advertised(s):
    c = login(s, "offl", "o")
    c.send("<iq type='get' id='d' to='example.org'><query xmlns='%s'/>"
           "</iq>" % DISCO)
    m = c.expect(r"<iq[^>]*id='d'.*?</iq>").group(0)
    assert "<feature var='msgoffline'/>" in m, m
    c.close()


def test_offline_flexible_not_offered(s):
    """XEP-0013 is not implemented: its requests get a clean error."""
    c = login(s, "offl", "o")
    flex = "http://jabber.org/protocol/offline"
    c.send("<iq type='get' id='f1'><offline xmlns='%s'><item "
           "action='view' node='1'/></offline></iq>" % flex)
    iq_error(c, "f1", "service-unavailable")
    c.send("<iq type='set' id='f2'><offline xmlns='%s'><purge/></offline>"
           "</iq>" % flex)
    iq_error(c, "f2", "service-unavailable")
    c.send("<iq type='get' id='f3'><query xmlns='%s' node='%s'/></iq>"
           % (DISCO, flex))
    m = c.expect(r"<iq[^>]*id='f3'.*?</iq>|<iq[^>]*id='f3'[^>]*/>").group(0)
    assert "message-list" not in m, m
    c.close()


def test_offline_no_such_user(s):
    c = login(s, "sender", "n")
    c.send("<message to='non-existent@example.org' id='ne'>"
           "<body>x</body></message>")
    m = c.expect(r"<message[^>]*id='ne'.*?</message>").group(0)
    assert "type='error'" in m, m
    assert "<service-unavailable xmlns='%s'/>" % STANZAS in m, m
    c.close()


def test_offline_by_type(s):
    """RFC 6121 8.5.2.2.1: to an account with no available resource,
    groupchat gets service-unavailable, headline and error are dropped
    silently, normal and chat with content are kept and delivered with
    a delay stamped by the server (XEP-0160, XEP-0203)."""
    c = login(s, "sender", "t")
    to = "offl@example.org"
    c.send("<message to='%s' id='gc' type='groupchat'><body>x</body>"
           "</message>" % to)
    m = c.expect(r"<message[^>]*id='gc'.*?</message>").group(0)
    assert "<service-unavailable xmlns='%s'/>" % STANZAS in m, m
    for t in ("headline", "error", "chat", "normal"):
        c.send("<message to='%s' id='t-%s' type='%s'><subject>s</subject>"
               "<body>%s</body></message>" % (to, t, t, t))
    out = ping(c, "sent")
    assert "<message" not in out, out
    c.close()
    o = login(s, "offl", "back")
    o.send("<presence/>")
    got = o.expect(r"^.*?<message[^>]*id='t-normal'.*?</message>").group(0)
    ids = re.findall(r"<message[^>]*\bid='(t-[^']+)'", got)
    assert ids == ["t-chat", "t-normal"], (ids, got)
    for m in re.findall(r"<message.*?</message>", got, re.S):
        assert re.search(r"<delay xmlns='urn:xmpp:delay' "
                         r"(from='example.org' stamp=|stamp='[^']+' "
                         r"from='example.org')", m), m
        assert "from='sender@example.org/t'" in m, m
        assert "<subject>s</subject>" in m, m
    o.close()


def test_offline_store_hints(s):
    """XEP-0334: <no-store/> is never kept offline (and, not kept, the
    sender hears service-unavailable, RFC 6121 8.5.2.2.1); <store/>
    keeps a message that has no body; a normal message with a subject
    and no body is kept (XEP-0160 3)."""
    c = login(s, "sender", "h")
    to = "offl@example.org"
    cs = "http://jabber.org/protocol/chatstates"
    c.send("<message to='%s' id='h-nostore' type='chat'><body>ns</body>"
           "<no-store xmlns='urn:xmpp:hints'/></message>" % to)
    m = c.expect(r"<message[^>]*id='h-nostore'.*?</message>").group(0)
    assert "type='error'" in m, m
    assert "<service-unavailable xmlns='%s'/>" % STANZAS in m, m
    c.send("<message to='%s' id='h-state' type='chat'><composing "
           "xmlns='%s'/></message>" % (to, cs))
    m = c.expect(r"<message[^>]*id='h-state'.*?</message>").group(0)
    assert "<service-unavailable xmlns='%s'/>" % STANZAS in m, m
    c.send("<message to='%s' id='h-subject'><subject>only</subject>"
           "</message>" % to)
    c.send("<message to='%s' id='h-store' type='chat'><composing "
           "xmlns='%s'/><store xmlns='urn:xmpp:hints'/></message>" % (to, cs))
    out = ping(c, "sent")
    assert "<message" not in out, out
    o = login(s, "offl", "hint")
    o.send("<presence/>")
    # Kept messages come in the order they were kept.
    got = o.expect(r"^.*?<message[^>]*id='h-store'").group(0)
    ids = re.findall(r"<message[^>]*\bid='(h-[^']+)'", got)
    assert ids == ["h-subject", "h-store"], (ids, got)
    o.close()
    c.close()


def test_alive_after(s):
    c = login(s, "offl", "last")
    ping(c, "alive")
    c.close()
