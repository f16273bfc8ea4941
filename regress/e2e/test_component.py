"""External components (XEP-0114) on raw sockets: the handshake right
and wrong, what a component may send and as whom, routing both ways with
a client, a component that goes away and comes back, limits, and
xmppctl show components."""

import hashlib
import re

from rawxmpp import Raw
from xmppdtest import Server, add_user, free_port

STREAMS = "urn:ietf:params:xml:ns:xmpp-streams"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NAME = "irc.example.org"
MUC = "conference.example.org"
UP = "upload.example.org"
SECRET = "gateway-secret"
HEADER = ("<?xml version='1.0'?><stream:stream to='%s' "
          "xmlns='jabber:component:accept' "
          "xmlns:stream='http://etherx.jabber.org/streams'>")


def setup():
    port = free_port()
    s = Server(prefork=1, body=(
        "limits {\n\tstanza size 10000\n\tcomponent rate 20K\n}\n"
        'component "%s" password "%s"\n'
        'component "other.example.org" password "other-secret"\n'
        'muc "%s"\n'
        'upload "%s" {\n\turl "https://%s/files/"\n}\n'
        "listen on 127.0.0.1 port %d component\n" % (NAME, SECRET, MUC,
                                                      UP, UP, port)))
    s.ports["component"] = port
    s.start()
    s.wait_log(r"uploadd 0 ready")
    for u in ("alice", "bob", "carol", "dave"):
        add_user(s, "%s@example.org" % u, u + "-pw")
    s.pids = {(p["name"], p["instance"]): p["pid"] for p in s.processes()}
    return s


def teardown(s):
    s.stop()


def opened(s, name=NAME):
    """A raw component stream, its header sent; returns it and its id."""
    r = Raw(s.ports["component"])
    r.send(HEADER % name)
    m = r.expect(r"<stream:stream [^>]*>")
    sid = re.search(r"id='([^']*)'", m.group(0))
    assert sid and "jabber:component:accept" in m.group(0), m.group(0)
    return r, sid.group(1)


def digest(sid, secret):
    return hashlib.sha1((sid + secret).encode()).hexdigest()


def connect(s, name=NAME, secret=SECRET):
    r, sid = opened(s, name)
    r.send("<handshake>%s</handshake>" % digest(sid, secret))
    r.expect(r"<handshake/>")
    return r


def stream_error(r, cond):
    out = r.closed()
    assert "<%s xmlns='%s'/>" % (cond, STREAMS) in out, out
    return out


def still_serving(s):
    r = Raw(s.ports["client"])
    assert r.login("bob", "bob-pw").startswith("bob@example.org/")
    r.close()
    now = {(p["name"], p["instance"]): p["pid"] for p in s.processes()}
    assert now == s.pids, (now, s.pids)


def client(s, user="alice"):
    c = Raw(s.ports["client"])
    c.login(user, user + "-pw", resource="r")
    c.send("<presence/>")
    c.expect(r"<presence[^>]*from='%s@example.org/r'" % user)
    return c


def test_handshake_and_routing(s):
    comp = connect(s)
    c = client(s)
    c.send("<message to='#chan%%net@%s' type='groupchat' id='m1'>"
           "<body>hello</body></message>" % NAME)
    m = comp.expect(r"<message [^>]*>.*?</message>")
    assert "from='alice@example.org/r'" in m.group(0), m.group(0)
    assert "<body>hello</body>" in m.group(0), m.group(0)
    comp.send("<message from='#chan%%net@%s/nick' to='alice@example.org/r' "
              "type='groupchat' id='m2'><body>back</body></message>" % NAME)
    m = c.expect(r"<message [^>]*id='m2'.*?</message>")
    assert "from='#chan%%net@%s/nick'" % NAME in m.group(0), m.group(0)
    assert "<body>back</body>" in m.group(0)
    comp.send("<iq from='%s' to='alice@example.org/r' type='get' id='v1'>"
              "<query xmlns='jabber:iq:version'/></iq>" % NAME)
    m = c.expect(r"<iq [^>]*id='v1'.*?</iq>")
    assert "from='%s'" % NAME in m.group(0)
    c.send("<iq to='%s' type='result' id='v1'/>" % NAME)
    comp.expect(r"<iq [^>]*id='v1'[^>]*/>")
    c.close()
    comp.close()


def test_carbons_of_what_a_component_sends(s):
    """A chat message from a component to one of a user's resources is
    copied to the user's other resources that enabled carbons
    (XEP-0280), as a message from anyone would be; to the bare JID, the
    resources it did not go to get the copy."""
    comp = connect(s)
    cs = []
    for res in ("one", "two"):
        c = Raw(s.ports["client"])
        c.login("alice", "alice-pw", resource=res)
        c.send("<iq type='set' id='cb'><enable xmlns='urn:xmpp:carbons:2'/>"
               "</iq>")
        c.expect(r"<iq [^>]*id='cb'")
        c.send("<presence><priority>%d</priority></presence>" %
               (5 if res == "one" else 1))
        c.expect(r"<presence[^>]*from='alice@example.org/%s'" % res)
        cs.append(c)
    one, two = cs
    comp.send("<message from='nick%%net@%s' to='alice@example.org/one' "
              "type='chat' id='k1'><body>to one</body></message>" % NAME)
    one.expect(r"<message [^>]*id='k1'.*?</message>")
    m = two.expect(r"<received xmlns='urn:xmpp:carbons:2'>.*?</received>")
    assert "id='k1'" in m.group(0) and "to one" in m.group(0), m.group(0)
    comp.send("<message from='nick%%net@%s' to='alice@example.org' "
              "type='chat' id='k2'><body>to bare</body></message>" % NAME)
    one.expect(r"<message [^>]*id='k2'.*?</message>")
    m = two.expect(r"<received xmlns='urn:xmpp:carbons:2'>.*?</received>")
    assert "id='k2'" in m.group(0) and "to bare" in m.group(0), m.group(0)
    for c in cs:
        c.close()
    comp.close()


def test_stanza_ids_by_our_jids_are_removed(s):
    """A stanza-id claiming to be by the recipient's JID (or the server's
    domain) was not stamped by this server: it is removed before the
    message reaches the user (XEP-0359 section 5), so a component cannot
    plant archive ids; one by another entity stays."""
    comp = connect(s)
    c = client(s)
    comp.send("<message from='nick%%net@%s' to='alice@example.org/r' "
              "type='chat' id='sid1'><body>ids</body>"
              "<stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.org' "
              "id='planted'/>"
              "<stanza-id xmlns='urn:xmpp:sid:0' by='example.org' "
              "id='planted2'/>"
              "<stanza-id xmlns='urn:xmpp:sid:0' by='%s' id='theirs'/>"
              "</message>" % (NAME, NAME))
    m = c.expect(r"<message [^>]*id='sid1'.*?</message>")
    assert "planted" not in m.group(0), m.group(0)
    assert "id='theirs'" in m.group(0), m.group(0)
    assert "<body>ids</body>" in m.group(0), m.group(0)
    c.close()
    comp.close()


def test_reload_removing_a_component_closes_it(s):
    """A reload without a connected component's block ends its stream
    with host-gone (RFC 6120 section 4.9.3.6); the others stay, and the
    block put back lets it in again."""
    other = connect(s, "other.example.org", "other-secret")
    comp = connect(s)
    with open(s.conf) as f:
        text = f.read()
    gone = "\n".join(l for l in text.split("\n")
                     if not l.startswith('component "other.example.org"'))
    assert gone != text
    s.write_conf(raw=gone)
    mark = s.mark()
    s.ctl("reload")
    s.wait_log(r"configuration reloaded", after=mark)
    stream_error(other, "host-gone")
    c = client(s)
    comp.send("<message from='x@%s' to='alice@example.org/r' id='still'>"
              "<body>still here</body></message>" % NAME)
    c.expect(r"<message [^>]*id='still'")
    c.close()
    comp.close()
    s.write_conf(raw=text)
    mark = s.mark()
    s.ctl("reload")
    # The stream process, which reads the header, has the block again.
    s.wait_log(r"stream 0\[\d+\]: configuration switched", after=mark)
    connect(s, "other.example.org", "other-secret").close()


def test_slixmpp_user_both_ways(s):
    """A slixmpp user and the component: a message each way, and the
    user's presence in a gateway room."""
    import asyncio
    from xmppdtest import slix_login

    comp = connect(s)

    async def actions(c):
        loop = asyncio.get_event_loop()
        got = loop.create_future()
        c.add_event_handler("message", lambda m: got.done() or
                            got.set_result(m))
        c.send_presence(pto="#room%%net@%s/alice" % NAME)
        await loop.run_in_executor(None, comp.expect,
                                   r"<presence [^>]*to='#room%%net@%s/alice'"
                                   % re.escape(NAME))
        c.send_message(mto="bot@%s" % NAME, mbody="ping", mtype="chat")
        m = await loop.run_in_executor(
            None, comp.expect, r"<message [^>]*>.*?</message>")
        assert "<body>ping</body>" in m.group(0), m.group(0)
        full = re.search(r"from='([^']*)'", m.group(0)).group(1)
        comp.send("<message from='bot@%s' to='%s' type='chat'>"
                  "<body>pong</body></message>" % (NAME, full))
        m = await asyncio.wait_for(got, 10)
        return str(m["from"]), m["body"]

    r = slix_login(s.ports["client"], "alice@example.org/slix", "alice-pw",
                   actions=actions)
    assert r["actions"] == ("bot@%s" % NAME, "pong"), r
    # The session ended: the room the user was in hears so.
    comp.expect(r"<presence (?=[^>]*type='unavailable')"
                r"(?=[^>]*to='#room%%net@%s/alice')" % re.escape(NAME))
    comp.close()


def test_wrong_secret(s):
    mark = s.mark()
    r, sid = opened(s)
    r.send("<handshake>%s</handshake>" % digest(sid, "not-the-secret"))
    stream_error(r, "not-authorized")
    s.wait_log(r"component handshake failed from 127\.0\.0\.1 for "
               + re.escape(NAME), after=mark)
    # The digest of another stream's id is no good either.
    r, sid = opened(s)
    r2, sid2 = opened(s)
    r.send("<handshake>%s</handshake>" % digest(sid2, SECRET))
    stream_error(r, "not-authorized")
    r2.close()
    connect(s).close()
    still_serving(s)


def test_bad_digest(s):
    for bad in ("", "xyz", "0" * 39, "g" * 40, "0" * 41,
                "<x/>" + "0" * 40):
        r, sid = opened(s)
        r.send("<handshake>%s</handshake>" % bad)
        stream_error(r, "not-authorized")
    still_serving(s)


def test_no_handshake_then_stanzas(s):
    r, sid = opened(s)
    r.send("<message from='%s' to='bob@example.org'><body>x</body>"
           "</message>" % NAME)
    stream_error(r, "not-authorized")
    still_serving(s)


def test_unconfigured_name(s):
    r = Raw(s.ports["component"])
    r.send(HEADER % "nothere.example.org")
    stream_error(r, "host-unknown")
    r = Raw(s.ports["component"])
    r.send(HEADER % "example.org")
    stream_error(r, "host-unknown")
    r = Raw(s.ports["component"])
    r.send("<?xml version='1.0'?><stream:stream "
           "xmlns='jabber:client' to='%s' "
           "xmlns:stream='http://etherx.jabber.org/streams'>" % NAME)
    stream_error(r, "invalid-namespace")
    still_serving(s)


def test_conflict(s):
    first = connect(s)
    r, sid = opened(s)
    r.send("<handshake>%s</handshake>" % digest(sid, SECRET))
    stream_error(r, "conflict")
    # The first one still carries the name.
    c = client(s)
    c.send("<message to='x@%s' id='c1'><body>still</body></message>" % NAME)
    first.expect(r"<body>still</body>")
    c.close()
    first.close()


def bob_hears_marker_first(s, bob, forged_body):
    """The next message bob gets is the marker, not what was forged."""
    other = connect(s, "other.example.org", "other-secret")
    other.send("<message from='other.example.org' to='bob@example.org/r' "
               "id='marker'><body>marker</body></message>")
    m = bob.expect(r"<message [^>]*>.*?</message>")
    assert "id='marker'" in m.group(0) and forged_body not in m.group(0), \
        m.group(0)
    other.close()


def test_forged_from(s):
    bob = client(s, "bob")
    for i, frm in enumerate(("alice@example.org", "alice@example.org/r",
                             "example.org", "other.example.org",
                             "x@other.example.org", "irc.example.org.evil",
                             "x@sub.%s" % NAME, None)):
        comp = connect(s)
        attr = "from='%s' " % frm if frm is not None else ""
        comp.send("<message %sto='bob@example.org/r' id='f%d'>"
                  "<body>forged%d</body></message>" % (attr, i, i))
        stream_error(comp, "invalid-from")
        bob_hears_marker_first(s, bob, "forged%d" % i)
    bob.close()
    still_serving(s)


def test_bad_to(s):
    comp = connect(s)
    comp.send("<message from='%s'><body>x</body></message>" % NAME)
    stream_error(comp, "improper-addressing")
    comp = connect(s)
    comp.send("<message from='%s' to='a@b@c'><body>x</body></message>"
              % NAME)
    stream_error(comp, "improper-addressing")
    comp = connect(s)
    comp.send("<foo from='%s' to='example.org'/>" % NAME)
    stream_error(comp, "unsupported-stanza-type")
    still_serving(s)


def test_to_the_server_and_away_users(s):
    """The server answers a component what it answers anyone (disco,
    ping, version); what speaks of the sender's own account (its roster)
    a component has none of here."""
    comp = connect(s)

    def ask(iqid, payload):
        comp.send("<iq from='%s' to='example.org' type='get' id='%s'>%s"
                  "</iq>" % (NAME, iqid, payload))
        return comp.expect(r"<iq [^>]*id='%s'(?:[^>]*/>|.*?</iq>)"
                           % iqid).group(0)

    r = ask("q1", "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    assert "type='result'" in r and "category='server'" in r and \
        "to='%s'" % NAME in r, r
    r = ask("q4", "<ping xmlns='urn:xmpp:ping'/>")
    assert "type='result'" in r, r
    r = ask("q5", "<query xmlns='jabber:iq:roster'/>")
    assert "service-unavailable" in r, r
    r = ask("q6", "<query xmlns='jabber:iq:version'/>")
    assert "type='result'" in r and "<name>" in r, r
    comp.send("<message from='%s' to='nobody@example.org' id='q2'>"
              "<body>x</body></message>" % NAME)
    m = comp.expect(r"<message [^>]*id='q2'.*?</message>")
    assert "type='error'" in m.group(0), m.group(0)
    comp.send("<message from='%s' to='someone@remote.example.net' "
              "id='q3'><body>x</body></message>" % NAME)
    m = comp.expect(r"<message [^>]*id='q3'.*?</message>")
    assert "remote-server-not-found" in m.group(0), m.group(0)
    comp.close()


def test_bounce_while_away_and_reconnect(s):
    comp = connect(s)
    c = client(s)
    mark = s.mark()
    comp.close()
    s.wait_log(r"component %s down" % re.escape(NAME), after=mark)
    c.send("<message to='#a%%b@%s' id='w1'><body>x</body></message>" % NAME)
    m = c.expect(r"<message [^>]*id='w1'.*?</message>")
    assert "type='error'" in m.group(0) and \
        "<service-unavailable xmlns='%s'/>" % STANZAS in m.group(0), \
        m.group(0)
    c.send("<iq to='%s' type='get' id='w2'><query xmlns='http://jabber.org/"
           "protocol/disco#info'/></iq>" % NAME)
    m = c.expect(r"<iq [^>]*id='w2'.*?</iq>")
    assert "service-unavailable" in m.group(0), m.group(0)
    comp = connect(s)
    c.send("<message to='#a%%b@%s' id='w3'><body>again</body></message>"
           % NAME)
    comp.expect(r"<body>again</body>")
    c.close()
    comp.close()


def test_oversized_stanza(s):
    comp = connect(s)
    comp.send("<message from='%s' to='bob@example.org'><body>%s</body>"
              "</message>" % (NAME, "x" * 20000))
    stream_error(comp, "policy-violation")
    still_serving(s)


def test_flood(s):
    """Over its 'component rate', a component is read more slowly; the
    server goes on, and what it sent arrives in order."""
    comp = connect(s)
    c = client(s, "bob")
    mark = s.mark()
    body = "y" * 900
    n = 50
    comp.send("".join("<message from='%s' to='bob@example.org/r' "
                      "id='fl%d'><body>%s</body></message>"
                      % (NAME, i, body) for i in range(n)))
    s.wait_log(r"component connection \d+: over its rate", after=mark)
    for i in range(n):
        c.expect(r"<message [^>]*id='fl%d'" % i, timeout=30)
    c.close()
    comp.close()
    still_serving(s)


def test_disco_items_lists_components(s):
    c = client(s)
    c.send("<iq to='example.org' type='get' id='d1'><query xmlns='http://"
           "jabber.org/protocol/disco#items'/></iq>")
    m = c.expect(r"<iq [^>]*id='d1'.*?</iq>")
    assert "jid='%s'" % NAME in m.group(0), m.group(0)
    assert "jid='other.example.org'" in m.group(0), m.group(0)
    c.close()


def test_show_components(s):
    out = s.ctl("show", "components").stdout
    assert NAME not in out, out
    comp = connect(s)
    c = client(s)
    c.send("<message to='x@%s' id='s1'><body>x</body></message>" % NAME)
    comp.expect(r"id='s1'")
    comp.send("<message from='%s' to='nobody@example.org' id='s2'>"
              "<body>x</body></message>" % NAME)
    comp.expect(r"id='s2'")
    out = s.ctl("show", "components").stdout
    line = [l for l in out.splitlines() if l.startswith(NAME)]
    assert len(line) == 1, out
    f = line[0].split()
    # name, stream, since (date time), in, out, refused, privileges
    assert f[4] == "1" and int(f[5]) >= 1 and f[7] == "none", out
    c.close()
    comp.close()


def test_throttled_after_failures(s):
    """Failed handshakes are limited per address like logins: past the
    limit, even the right secret is refused for a while."""
    port = free_port()
    t = Server(prefork=1, body=(
        "limits {\n\tauth failures 2 per 1h\n}\n"
        'component "%s" password "%s"\n'
        "listen on 127.0.0.1 port %d component\n" % (NAME, SECRET, port)))
    t.ports["component"] = port
    try:
        t.start()
        for _ in range(2):
            r, sid = opened(t)
            r.send("<handshake>%s</handshake>" % digest(sid, "wrong"))
            stream_error(r, "not-authorized")
        mark = t.mark()
        r, sid = opened(t)
        r.send("<handshake>%s</handshake>" % digest(sid, SECRET))
        out = stream_error(r, "not-authorized")
        assert "Too many failed handshakes" in out, out
        t.wait_log(r"component handshake throttled from 127\.0\.0\.1",
                   after=mark)
    finally:
        t.stop()


def sync(c, to="example.org", frm=None):
    """A ping answered: what c was sent before it has come."""
    c.send("<iq type='get' id='sync' to='%s'%s><ping xmlns='urn:xmpp:"
           "ping'/></iq>" % (to, " from='%s'" % frm if frm else ""))
    return c.expect(r"(.*?)<iq [^>]*id='sync'[^>]*/>").group(1)


def archive(c, with_jid=None):
    """The bodies in c's archive (XEP-0313), oldest first."""
    form = ""
    if with_jid:
        form = ("<x xmlns='jabber:x:data' type='submit'><field var="
                "'FORM_TYPE'><value>urn:xmpp:mam:2</value></field><field "
                "var='with'><value>%s</value></field></x>" % with_jid)
    c.send("<iq type='set' id='mq'><query xmlns='urn:xmpp:mam:2' "
           "queryid='q'>%s</query></iq>" % form)
    m = c.expect(r"(.*?)<iq [^>]*id='mq'[^>]*(?:/>|>.*?</iq>)")
    assert "type='result'" in m.group(0), m.group(0)
    return re.findall(r"<body>([^<]*)</body>", m.group(1))


def test_component_messages_are_archived(s):
    """A chat message from a component (a JID of it, or its domain) to a
    user is kept in the user's archive (XEP-0313) as any other is, and
    the user's copy carries that archive's stanza-id (XEP-0359)."""
    comp = connect(s)
    c = client(s)
    comp.send("<message from='arch%%net@%s/x' to='alice@example.org/r' "
              "type='chat' id='a1'><body>kept</body></message>" % NAME)
    m = c.expect(r"<message [^>]*id='a1'.*?</message>").group(0)
    assert re.search(r"<stanza-id xmlns='urn:xmpp:sid:0' id='[^']+' "
                     r"by='alice@example.org'/>", m), m
    comp.send("<message from='%s' to='alice@example.org' type='chat' "
              "id='a2'><body>from the gateway</body></message>" % NAME)
    m = c.expect(r"<message [^>]*id='a2'.*?</message>").group(0)
    assert "by='alice@example.org'" in m, m
    assert archive(c, "arch%%net@%s" % NAME) == ["kept"]
    assert archive(c, NAME)[-1:] == ["from the gateway"]
    c.close()
    comp.close()


def test_component_message_to_an_offline_user_is_kept(s):
    """A user who is away gets a component's message when back (offline
    storage, with its delay), and the component hears no error."""
    comp = connect(s)
    comp.send("<message from='nick%%net@%s' to='carol@example.org' "
              "type='chat' id='o1'><body>while away</body></message>" % NAME)
    carol = Raw(s.ports["client"])
    carol.login("carol", "carol-pw", "r")
    carol.send("<presence/>")
    m = carol.expect(r"<message [^>]*id='o1'.*?</message>").group(0)
    assert "<body>while away</body>" in m and "urn:xmpp:delay" in m, m
    assert archive(carol) == ["while away"]
    before = sync(comp, frm=NAME)
    assert "o1" not in before, before
    carol.close()
    comp.close()


def test_blocked_sender_kept_nowhere(s):
    """A user who blocks a JID (XEP-0191) keeps nothing from it while
    away: neither offline nor in the archive, whether it comes from a
    component or from a user; the sender hears service-unavailable."""
    d = Raw(s.ports["client"])
    d.login("dave", "dave-pw", "r")
    d.send("<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'>"
           "<item jid='%s'/><item jid='bob@example.org'/></block></iq>"
           % NAME)
    d.expect(r"<iq [^>]*id='b1'")
    d.close()
    comp = connect(s)
    comp.send("<message from='nick%%net@%s' to='dave@example.org' "
              "type='chat' id='k1'><body>blocked</body></message>" % NAME)
    m = comp.expect(r"<message [^>]*id='k1'.*?</message>").group(0)
    assert "service-unavailable" in m, m
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "r")
    b.send("<message to='dave@example.org' type='chat' id='k2'>"
           "<body>blocked too</body></message>")
    m = b.expect(r"<message [^>]*id='k2'.*?</message>").group(0)
    assert "type='error'" in m, m
    d = Raw(s.ports["client"])
    d.login("dave", "dave-pw", "r")
    assert archive(d) == []
    d.send("<presence/>")
    assert "blocked" not in sync(d)
    for c in (d, b, comp):
        c.close()


def test_component_in_a_room(s):
    """A component's JID joins a room of the server's muc service, is
    answered by the room, and what it says there reaches the users."""
    a = client(s)
    a.send("<presence to='gw@%s/alice'><x xmlns='http://jabber.org/"
           "protocol/muc'/></presence>" % MUC)
    a.expect(r"<presence [^>]*from='gw@%s/alice'.*?</presence>" % MUC)
    a.send("<iq type='set' id='own' to='gw@%s'><query xmlns='http://"
           "jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
           "type='submit'/></query></iq>" % MUC)
    a.expect(r"<iq [^>]*id='own'[^>]*/>")
    comp = connect(s)
    comp.send("<presence from='nick%%net@%s/x' to='gw@%s/relay'><x xmlns="
              "'http://jabber.org/protocol/muc'/></presence>" % (NAME, MUC))
    m = comp.expect(r"<presence [^>]*from='gw@%s/relay'.*?</presence>"
                    % MUC).group(0)
    assert "to='nick%%net@%s/x'" % NAME in m and "code='110'" in m, m
    a.expect(r"<presence [^>]*from='gw@%s/relay'" % MUC)
    comp.send("<message from='nick%%net@%s/x' to='gw@%s' type='groupchat' "
              "id='g1'><body>relayed</body></message>" % (NAME, MUC))
    m = a.expect(r"<message [^>]*id='g1'.*?</message>").group(0)
    assert "from='gw@%s/relay'" % MUC in m and "relayed" in m, m
    comp.expect(r"<message [^>]*id='g1'")
    comp.close()
    # Gone: the room drops it once a stanza for it finds no one.
    a.send("<message to='gw@%s' type='groupchat' id='g2'><body>after"
           "</body></message>" % MUC)
    a.expect(r"<presence [^>]*from='gw@%s/relay'[^>]*type='unavailable'"
             % MUC)
    a.close()


def test_keepalive(s):
    """A quiet component is pinged (XEP-0199): one that answers stays,
    one that does not is closed with connection-timeout and is listed
    no more.  Regress builds wait 8 s before the ping and 4 s for the
    answer."""
    live = connect(s)
    dead = connect(s, "other.example.org", "other-secret")
    ping = (r"<iq type='get' id='([^']+)' from='example.org' to='%s'>"
            r"<ping xmlns='urn:xmpp:ping'/></iq>")
    m = live.expect(ping % re.escape(NAME), timeout=30)
    live.send("<iq type='result' id='%s' from='%s' to='example.org'/>"
              % (m.group(1), NAME))
    dead.expect(ping % re.escape("other.example.org"), timeout=30)
    out = stream_error(dead, "connection-timeout")
    assert "other.example.org" not in s.ctl("show", "components").stdout
    live.expect(ping % re.escape(NAME), timeout=30)
    assert "stream:error" not in live.buf, live.buf
    assert NAME in s.ctl("show", "components").stdout
    live.close()


def test_component_asks_the_upload_service(s):
    """A component's slot request reaches uploadd, whose answer comes
    back to it: slots are for the server's users, so it is refused."""
    comp = connect(s)
    comp.send("<iq from='nick%%net@%s' to='%s' type='get' id='u1'>"
              "<request xmlns='urn:xmpp:http:upload:0' filename='a.txt' "
              "size='10' content-type='text/plain'/></iq>" % (NAME, UP))
    m = comp.expect(r"<iq [^>]*id='u1'.*?</iq>").group(0)
    assert "from='%s'" % UP in m and "<forbidden " in m, m
    comp.close()
