"""A compromised stream process (issue 20, "The process boundaries").

The regress build's stream process obeys <imsg xmlns='urn:xmppd:regress'/>
(xmppd/stream_regress.c): it sends the given bytes as an imsg of the
given type to the router, the store, ldapauthd or the parent, as code
running in the stream process could after an exploit.  Each test plays
one attack and checks its outcome: nothing delivered, nothing read,
and the processes on the other side still running.
"""

import base64
import os
import re
import socket
import struct
import sys

from rawxmpp import Raw
from xmppdtest import TOP, Server, add_user, free_port

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_component import (NAME as COMPONENT, SECRET, connect, digest,  # noqa
                            opened)

DOMAIN = "example.org"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def imsg_types():
    """enum imsg_type of common/msg.h: name -> number."""
    text = open(os.path.join(TOP, "common", "msg.h")).read()
    body = text[text.index("enum imsg_type {"):]
    body = body[:body.index("};")]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    names = re.findall(r"\b(IMSG_\w+)\s*,", body)
    return {n: i for i, n in enumerate(names)}


IMSG = imsg_types()


def cstr(s, n):
    b = s.encode()
    assert len(b) < n
    return b + b"\0" * (n - len(b))


def session_bind(local, resource, grant=b"\0" * 32, domain=DOMAIN):
    """struct session_bind, with a grant the stream could make up"""
    return (cstr(local, 1024) + cstr(domain, 256) + cstr(resource, 1024) +
            cstr("127.0.0.1", 64) + cstr("TLSv1.3", 64) + cstr("tcp", 16) +
            struct.pack("=q", 0) + grant)


def stanza(kind, to, frm, xml, typ="chat", sid=""):
    """struct stanza_hdr + type, id, to, from + xml"""
    strs = [typ.encode(), sid.encode(), to.encode(), frm.encode()]
    x = xml.encode()
    hdr = struct.pack("=QIIHHHHI4x", 0, kind, 0, *[len(v) for v in strs],
                      len(x))
    return hdr + b"".join(strs) + x


def xs_req(local, space):
    """struct xs_req: a GET (op 0) of every item of space"""
    return (cstr(DOMAIN, 256) + cstr(local, 1024) + cstr(space, 64) +
            cstr("", 256) + struct.pack("=iiIIII", 0, 0, 100, 0, 0, 65536))


def roster_owner(local):
    return cstr(local, 1024) + cstr(DOMAIN, 256) + struct.pack("=qi4x", 0, 0)


class Mallory:
    """A connection whose stream process is under the attacker's control;
    with a user, logged in as that user first."""

    def __init__(self, s, user=None):
        self.raw = Raw(s.ports["client"])
        if user is None:
            self.raw.starttls()
            self.raw.header()
        else:
            self.jid = self.raw.login(user, user + "-pw", "m")

    def imsg(self, to, name, payload=b"", peerid=None):
        """Send; returns this connection's session id."""
        attrs = " peerid='%d'" % peerid if peerid is not None else ""
        self.raw.send("<imsg xmlns='urn:xmppd:regress' to='%s' type='%d'%s>"
                      "%s</imsg>" % (to, IMSG[name], attrs,
                                     base64.b64encode(payload).decode()))
        return int(self.raw.expect(r"<sent xmlns='urn:xmppd:regress' "
                                   r"id='(\d+)'/>").group(1))

    def imsgs(self, to, msgs, peerid):
        """Several in one write: the stream sends them all before it
        reads what the first makes its peer answer."""
        self.raw.send("".join(
            "<imsg xmlns='urn:xmppd:regress' to='%s' type='%d' peerid='%d'>"
            "%s</imsg>" % (to, IMSG[n], peerid, base64.b64encode(p).decode())
            for n, p in msgs))
        for _ in msgs:
            self.raw.expect(r"<sent xmlns='urn:xmppd:regress' id='\d+'/>")


def pids(s):
    return {(p["name"], p["instance"]): p["pid"] for p in s.processes()}


def setup():
    port = free_port()
    s = Server(prefork=1, body=(
        'component "%s" password "%s"\n'
        "listen on 127.0.0.1 port %d component\n" % (COMPONENT, SECRET,
                                                      port)))
    s.ports["component"] = port
    s.start()
    for u in ("alice", "bob", "carol"):
        add_user(s, "%s@example.org" % u, u + "-pw")
    s.pids = pids(s)
    return s


def teardown(s):
    s.stop()


def alive(s):
    """xmppd still runs, with the same router, store and parent."""
    assert s.proc.poll() is None, s.log_tail()
    now = pids(s)
    for k in (("parent", 0), ("router", 0), ("store", 0)):
        assert now[k] == s.pids[k], (k, now, s.log_tail())


def receiver(s, user):
    r = Raw(s.ports["client"])
    jid = r.login(user, user + "-pw", "r")
    return r, jid


def marker(s, to_raw, to_jid, text):
    """A message alice really sends to to_jid, and its arrival: what the
    router handled before it was handled (same channel, in order)."""
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "marker")
    a.send("<message to='%s' type='chat'><body>%s</body></message>"
           % (to_jid, text))
    m = to_raw.expect(r"<message[^>]*>.*?<body>%s</body>.*?</message>"
                      % text)
    a.close()
    return m


def test_forged_header_from_not_delivered(s):
    """A stanza whose envelope names another user than the session's."""
    bob, bob_jid = receiver(s, "bob")
    m = Mallory(s, "carol")
    m.imsg("router", "IMSG_STANZA", stanza(
        0, bob_jid, "alice@example.org/x",
        "<message xmlns='jabber:client' from='alice@example.org/x' to='%s'"
        " type='chat'><body>forged1</body></message>" % bob_jid))
    m.raw.send("<message to='%s' type='chat'><body>after1</body></message>"
               % bob_jid)
    got = bob.expect(r"<body>after1</body>")
    assert "forged1" not in got.string, got.string
    alive(s)
    bob.close()
    m.raw.close()



def refused_and_restarted(s, mark, to, name):
    """The peer refused the message and closed its link to the stream,
    which the parent started again; the others run on."""
    s.wait_log(r"%s\[\d+\]: unexpected imsg %d from stream 0: link closed"
               % (to, IMSG[name]), after=mark)
    s.wait_log(r"restarting stream 0", after=mark)
    s.wait_log(r"stream 0 ready", after=mark)
    alive(s)


def test_forged_bind_refused(s):
    """A bind for a user nobody authenticated on this stream: refused,
    no session, and nothing can be sent in that user's name."""
    m = Mallory(s)
    mark = s.mark()
    m.imsg("router", "IMSG_SESSION_BIND", session_bind("alice", "forged"))
    s.wait_log(r"bind as alice@example.org that no login granted: refused",
               after=mark)
    refused_and_restarted(s, mark, "router", "IMSG_SESSION_BIND")
    out = s.ctl("show", "sessions").stdout
    assert "alice@example.org/forged" not in out, out


def test_bind_as_another_user_refused(s):
    """Logged in as carol, the stream binds alice: the grant it holds is
    carol's, not alice's."""
    m = Mallory(s, "carol")
    mark = s.mark()
    m.imsg("router", "IMSG_SESSION_BIND",
           session_bind("alice", "forged2", os.urandom(32)), peerid=0xffff)
    s.wait_log(r"bind as alice@example.org that no login granted: refused",
               after=mark)
    refused_and_restarted(s, mark, "router", "IMSG_SESSION_BIND")
    out = s.ctl("show", "sessions").stdout
    assert "alice@example.org/forged2" not in out, out


def test_store_reads_refused(s):
    """The store answers the router alone: a stream asking for another
    user's vCard, private XML or roster reads nothing, and the store
    keeps running."""
    for name, payload in (("IMSG_XS_REQUEST", xs_req("bob", "vcard")),
                          ("IMSG_XS_REQUEST", xs_req("bob", "private")),
                          ("IMSG_ROSTER_LOAD", roster_owner("bob"))):
        m = Mallory(s)
        mark = s.mark()
        m.imsg("store", name, payload, peerid=7)
        refused_and_restarted(s, mark, "store", name)
        m.raw.close()


def test_xml_from_must_match_envelope(s):
    """The envelope names the session's own JID, the XML someone else's:
    the recipient reads the XML, so it must not pass."""
    m = Mallory(s, "carol")
    bob, bob_jid = receiver(s, "bob")
    mark = s.mark()
    m.imsg("router", "IMSG_STANZA", stanza(
        0, bob_jid, m.jid,
        "<message xmlns='jabber:client' from='alice@example.org/x' to='%s'"
        " type='chat'><body>forged2</body></message>" % bob_jid))
    s.wait_log(r"stanza of %s whose XML is not what its envelope says"
               % re.escape(m.jid), after=mark)
    refused_and_restarted(s, mark, "router", "IMSG_STANZA")
    # Bob's stream went with the restart: all it was sent is read.
    got = bob.closed()
    assert "forged2" not in got, got


def register_req(op, local, password, grant=b"\0" * 32):
    """struct register_req: op 1 a password change, 2 a removal"""
    return (struct.pack("=i", op) + cstr(DOMAIN, 256) +
            cstr("127.0.0.1", 64) + cstr(local, 1024) +
            cstr(password, 1024) + grant)


def test_account_change_refused(s):
    """A password change and a removal of an account no one logged in
    to on this stream: refused, and the account is as it was."""
    for op in (1, 2):
        m = Mallory(s, "carol")
        mark = s.mark()
        m.imsg("store", "IMSG_REGISTER", register_req(op, "bob", "owned"),
               peerid=0xfffe)
        s.wait_log(r"account change for bob@example.org that no login "
                   r"granted: refused", after=mark)
        refused_and_restarted(s, mark, "store", "IMSG_REGISTER")
    bob, _ = receiver(s, "bob")
    bob.close()


def test_parent_does_nothing_for_a_stream(s):
    """Every message type, sent to the parent from a stream: the parent
    acts on none but its own bootstrap ones (ready, a configuration's
    acknowledgment), logs the others, restarts nothing and runs on."""
    before = pids(s)
    m = Mallory(s)
    mark = s.mark()
    for name, t in sorted(IMSG.items(), key=lambda kv: kv[1]):
        if t == 0:
            continue
        m.imsg("parent", name, b"\0" * 64)
    s.wait_log(r"parent_dispatch: unexpected imsg %d from stream"
               % max(IMSG.values()), after=mark)
    alive(s)
    assert pids(s) == before, (pids(s), before)
    bob, bob_jid = receiver(s, "bob")
    marker(s, bob, bob_jid, "after4")
    bob.close()
    m.raw.close()


def fresh(s):
    """xmppd started again on its files: a stream restarted many times in
    a row waits longer each time (the parent's backoff), a new parent
    starts it over."""
    s.stop_keep()
    s.start()
    s.pids = pids(s)


def component_up(name, grant):
    """struct component_up, with a grant the stream could make up"""
    return (cstr(name, 256) + cstr("127.0.0.1", 64) +
            struct.pack("=qi", 0, 0) + grant + b"\0" * 4)


def bounced(c, to, mid):
    """c's message to `to` comes back <service-unavailable/>."""
    c.send("<message to='%s' type='chat' id='%s'><body>x</body></message>"
           % (to, mid))
    m = c.expect(r"<message [^>]*id='%s'[^>]*>.*?</message>" % mid)
    assert "type='error'" in m.group(0), m.group(0)
    assert "<service-unavailable xmlns='%s'/>" % STANZAS in m.group(0), \
        m.group(0)


def test_component_up_without_handshake_refused(s):
    """A stream names a component whose handshake never went through it
    (no grant, or one made up): refused, the link closed, nothing routed
    to it; then the real component comes up and stanzas pass both
    ways."""
    fresh(s)
    for grant in (b"\0" * 32, os.urandom(32)):
        m = Mallory(s)
        mark = s.mark()
        m.imsg("router", "IMSG_COMPONENT_UP", component_up(COMPONENT, grant))
        s.wait_log(r"stream 0: component %s that no handshake granted: "
                   r"refused" % re.escape(COMPONENT), after=mark)
        refused_and_restarted(s, mark, "router", "IMSG_COMPONENT_UP")
        out = s.ctl("show", "components").stdout
        assert COMPONENT not in out, out
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "comp")
    bounced(a, "#chan@" + COMPONENT, "c1")
    comp = connect(s)
    a.send("<message to='#chan@%s' type='chat' id='c2'><body>real</body>"
           "</message>" % COMPONENT)
    got = comp.expect(r"<message [^>]*id='c2'.*?</message>").group(0)
    assert "from='alice@example.org/comp'" in got, got
    comp.send("<message from='#chan@%s/n' to='alice@example.org/comp' "
              "type='chat' id='c3'><body>back</body></message>" % COMPONENT)
    a.expect(r"<message [^>]*id='c3'.*?<body>back</body>")
    comp.close()
    a.close()
    alive(s)


def component_auth(name, streamid, dig):
    """struct component_auth"""
    return (cstr(name, 256) + cstr(streamid, 40) + cstr(dig, 41) +
            cstr("127.0.0.1", 64) + b"\0" * 3 + struct.pack("=i", 0) +
            b"\0" * 32)


def test_component_handshake_not_replayed(s):
    """A stream process sees the handshakes of the components that
    connect through it: one that passed once, sent to the store again,
    is refused, and grants nothing."""
    fresh(s)
    comp, sid = opened(s)
    dig = digest(sid, SECRET)
    comp.send("<handshake>%s</handshake>" % dig)
    comp.expect(r"<handshake/>")
    m = Mallory(s)
    mark = s.mark()
    m.imsg("store", "IMSG_COMPONENT_AUTH", component_auth(COMPONENT, sid,
                                                          dig))
    s.wait_log(r"component handshake for %s replayed by stream 0: refused"
               % re.escape(COMPONENT), after=mark)
    assert not s.log_has(r"component %s authenticated" % re.escape(COMPONENT),
                         after=mark), s.log_tail()
    comp.close()
    m.raw.close()
    alive(s)


def component_conn(s, mark):
    """The connection id the stream gave the component that came up."""
    return int(s.wait_log(r"component connection (\d+) from [^:]*: %s "
                          r"connected" % re.escape(COMPONENT),
                          after=mark).group(1))


def s2s_link(local, remote, conn=0):
    """struct s2s_link"""
    return (cstr(local, 256) + cstr(remote, 256) +
            struct.pack("=Iii", conn, 0, 0) + cstr("TLSv1.3", 64))


def test_malformed_from_a_stream_closes_its_link(s):
    """Each message type a stream sends the router or the store in the
    component, s2s, stream management and SASL paths, cut short: the
    receiver refuses it and closes that stream's link (the parent
    restarts the stream) instead of stopping, which would take the
    whole server down."""
    short = b"\x01\x02\x03"
    cases = [("router", "IMSG_COMPONENT_UP", None),
             ("router", "IMSG_STANZA", "component"),
             ("router", "IMSG_S2S_IN_UP", None),
             ("router", "IMSG_S2S_OUT_UP", None),
             ("router", "IMSG_S2S_OUT_DOWN", None),
             ("router", "IMSG_S2S_OUT_IDLE", None),
             ("router", "IMSG_STANZA", "s2s"),
             ("router", "IMSG_SM_ENABLE", None),
             ("router", "IMSG_SM_REPLAY", "sm"),
             ("store", "IMSG_AUTH_START", None),
             ("store", "IMSG_COMPONENT_AUTH", None)]
    for i, (to, name, path) in enumerate(cases):
        if i % 5 == 0:
            fresh(s)
        mark = s.mark()
        comp = None
        if path == "component":
            comp = connect(s)
            peerid = component_conn(s, mark)
        m = Mallory(s)
        if path == "s2s":
            peerid = 0xfff1
            m.imsg("router", "IMSG_S2S_IN_UP",
                   s2s_link(DOMAIN, "remote.example", 0xfff1), peerid=peerid)
        elif path is None:
            peerid = None
        if path == "sm":
            # A session id with no session: the router asks for its
            # queue all the same, and takes its pieces.
            m.imsgs(to, (("IMSG_SM_DETACHED", b""), (name, short)), 0xfff2)
        else:
            m.imsg(to, name, short, peerid=peerid)
        refused_and_restarted(s, mark, to, name)
        if comp is not None:
            comp.closed()
    bob, bob_jid = receiver(s, "bob")
    marker(s, bob, bob_jid, "after5")
    bob.close()


def test_s2s_pair_cannot_name_a_served_domain(s):
    """A stream says a remote server proved it is the component's domain:
    the router refuses the pair, and what comes on it as from the
    component reaches no user."""
    fresh(s)
    bob, bob_jid = receiver(s, "bob")
    m = Mallory(s)
    mark = s.mark()
    m.imsg("router", "IMSG_S2S_IN_UP", s2s_link(DOMAIN, COMPONENT, 0xfff3),
           peerid=0xfff3)
    s.wait_log(r"s2s: stream 0: a pair %s to %s refused"
               % (re.escape(COMPONENT), re.escape(DOMAIN)), after=mark)
    frm = "#chan@%s/n" % COMPONENT
    m.imsg("router", "IMSG_STANZA", stanza(
        0, bob_jid, frm,
        "<message xmlns='jabber:client' from='%s' to='%s' type='chat'>"
        "<body>forged5</body></message>" % (frm, bob_jid)), peerid=0xfff3)
    got = marker(s, bob, bob_jid, "after6")
    assert "forged5" not in got.string, got.string
    alive(s)
    bob.close()
    m.raw.close()


def test_unacked_stanzas_come_back_for_their_account_only(s):
    """The queue of a session that ends comes back to the router to be
    kept offline: a stream that puts in it a message for another user,
    as from a third, is refused, and nothing reaches that user's
    offline queue."""
    fresh(s)
    m = Mallory(s, "carol")
    # Stream management on carol's session, not resumable (struct
    # sm_enable zeroed); the answer names the session.
    m.id = m.imsg("router", "IMSG_SM_ENABLE", b"\0" * 28)
    mark = s.mark()
    forged = stanza(0, "bob@example.org", "alice@example.org/x",
                    "<message xmlns='jabber:client' from='alice@example.org"
                    "/x' to='bob@example.org' type='chat'><body>forged6"
                    "</body></message>")
    m.imsgs("router", (("IMSG_SM_DETACHED", b""),
                       ("IMSG_SM_REPLAY", forged)), m.id)
    s.wait_log(r"stream 0: an unacked stanza to bob@example\.org, not "
               r"carol@example\.org's: refused", after=mark)
    refused_and_restarted(s, mark, "router", "IMSG_SM_REPLAY")
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "offline")
    a.send("<message to='bob@example.org' type='chat'><body>after7</body>"
           "</message>")
    bob = Raw(s.ports["client"])
    bob.login("bob", "bob-pw", "late")
    bob.send("<presence/>")
    got = bob.expect(r"<body>after7</body>")
    assert "forged6" not in got.string, got.string
    bob.close()
    a.close()
    alive(s)


def on_stream(x, want, mark):
    """A Mallory on stream process `want` of x (connections land on
    either): each says where it is by a message the parent ignores."""
    for _ in range(30):
        m = Mallory(x)
        mk = x.mark()
        m.id = m.imsg("parent", "IMSG_S2S_OUT_CLOSE")
        got = x.wait_log(r"stream (\d+)\[\d+\]: regress: stream sends imsg "
                         r"%d" % IMSG["IMSG_S2S_OUT_CLOSE"], after=mk)
        if int(got.group(1)) == want:
            return m
        m.raw.close()
    raise AssertionError("no connection on stream %d" % want)


def test_s2s_link_is_its_streams_own(s):
    """A link to a remote domain is made by the stream process the router
    asked: another one saying that link came up is refused and its link
    closed, and what waits for the remote domain does not go to it."""
    from federation import Federation
    fed = Federation()
    hold = socket.socket()          # takes the connection, says nothing
    hold.bind(("127.0.0.1", 0))
    hold.listen(4)
    fed.publish("remote.test", port=hold.getsockname()[1])
    x = fed.xmppd("xmppd.test", starttls=False, direct_tls=False, prefork=2)
    try:
        fed.start()
        x.start()
        x.pids = pids(x)
        add_user(x, "alice@example.org", "alice-pw")
        a = Raw(x.ports["client"])
        a.login("alice", "alice-pw", "s2s")
        a.send("<message to='bob@remote.test' type='chat'><body>secret8"
               "</body></message>")
        conn, _ = hold.accept()     # the link, pending on one stream
        got = x.wait_log(r"stream (\d+)\[\d+\]: s2s outbound \d+ to "
                         r"remote\.test: connected")
        other = 1 - int(got.group(1))
        m = on_stream(x, other, x.mark())
        mark = x.mark()
        # The router's first link has id 1; the connection, Mallory's.
        m.imsg("router", "IMSG_S2S_OUT_UP",
               s2s_link(DOMAIN, "remote.test", m.id), peerid=1)
        x.wait_log(r"s2s: stream %d: link 1 to remote\.test is stream "
                   r"%d's" % (other, 1 - other), after=mark)
        x.wait_log(r"router\[\d+\]: unexpected imsg %d from stream %d: "
                   r"link closed" % (IMSG["IMSG_S2S_OUT_UP"], other),
                   after=mark)
        out = m.raw.closed()
        assert "secret8" not in out, out
        x.wait_log(r"stream %d ready" % other, after=mark)
        alive(x)
        conn.close()
        a.close()
    finally:
        hold.close()
        x.stop()
        fed.close()
