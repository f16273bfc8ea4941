"""A compromised mucd, uploadd, or a stream against ldapauthd (issue 20,
"The process boundaries").

In the regress build, a stanza to a muc or upload service carrying
<imsg xmlns='urn:xmppd:regress'/> makes mucd or uploadd send the given
bytes as an imsg to the router or the parent (common/regress.c),
as code running there could after an exploit; what comes back to the
service's JID with the resource "regress" is logged.  A stream plays
against ldapauthd and uploadd with its own hook (xmppd/stream_regress.c).
Each test checks the outcome: nothing delivered, nothing read, the
router, store and parent running on, the process that lied restarted.
"""

import base64
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawxmpp import Raw                                     # noqa: E402
from slapd import Slapd                                     # noqa: E402
from test_boundaries import (IMSG, Mallory, pids,           # noqa: E402
                             session_bind, stanza, xs_req)
from xmppdtest import Server                                # noqa: E402

MUC = "conference.example.org"
UP = "upload.example.org"
OTHER = "other.example"         # a domain of the store's accounts
SECRET = "Bob Confidential"


class Ctx:
    pass


def setup():
    c = Ctx()
    c.ldap = Slapd()
    c.ldap.start()
    for u in ("alice", "bob", "carol"):
        c.ldap.add_user(u, u + "-pw", display_name=u.capitalize() if
                        u != "bob" else SECRET)
    s = c.s = Server(prefork=1)
    base = s.base_conf().replace("auth internal", 'auth ldap "dir"')
    s.write_conf(raw=(
        'ldap "dir" {\n\tserver "ldaps://localhost:%d"\n'
        '\tbind "%s" password "%s"\n\tbase "%s"\n\tfilter "(cn=%%u)"\n'
        '\tca "%s"\n\ttimeout 3s\n\tvcard fn "displayName"\n}\n'
        % (c.ldap.ldaps_port, c.ldap.service_dn, c.ldap.service_pw,
           c.ldap.base, c.ldap.ca) + base +
        'muc "%s"\nupload "%s" {\n\turl "https://%s/files/"\n}\n'
        'domain "%s" {\n\tauth internal\n}\n' % (MUC, UP, UP, OTHER)))
    s.start()
    s.wait_log(r"uploadd 0 ready")
    s.wait_log(r"mucd 0 ready")
    s.pids = pids(s)
    c.log_tail = s.log_tail
    return c


def teardown(c):
    c.s.stop()
    c.ldap.close()


def login(c, user, resource):
    r = Raw(c.s.ports["client"])
    jid = r.login(user, user + "-pw", resource)
    return r, jid


def core_alive(s):
    """xmppd runs, with the same router, store and parent."""
    assert s.proc.poll() is None, s.log_tail()
    now = pids(s)
    for k in (("parent", 0), ("router", 0), ("store", 0)):
        assert now[k] == s.pids[k], (k, now, s.log_tail())


def hook_send(r, daemon, to, name, payload):
    svc = MUC if daemon == "mucd" else UP
    r.send("<message to='%s'><imsg xmlns='urn:xmppd:regress' to='%s' "
           "type='%d'>%s</imsg></message>"
           % (svc, to, IMSG[name], base64.b64encode(payload).decode()))


def play(c, daemon, to, name, payload):
    """daemon (mucd, uploadd) sends payload as imsg name to to (router,
    parent); returns the log mark from before."""
    r, _ = login(c, "carol", "hook")
    mark = c.s.mark()
    hook_send(r, daemon, to, name, payload)
    c.s.wait_log(r"%s\[\d+\]: regress: %s sends imsg %d " %
                 (daemon, daemon, IMSG[name]), after=mark)
    r.close()
    return mark


def restarted(c, daemon, name, mark):
    """The router refused what daemon sent, closed the link, and the
    daemon, left without it, was started again; the rest runs on."""
    s = c.s
    s.wait_log(r"router\[\d+\]: unexpected imsg %d from %s 0: link closed"
               % (IMSG[name], daemon), after=mark)
    s.wait_log(r"%s\[\d+\]: fatal in %s: router link closed"
               % (daemon, daemon), after=mark)
    s.wait_log(r"restarting %s 0" % daemon, after=mark)
    s.wait_log(r"%s 0 ready" % daemon, after=mark)
    core_alive(s)


def still_delivers(c, bob, bob_jid, text):
    """alice's message reaches bob after what was played: the router
    handled the attack (same order) and bob's session lives."""
    a, _ = login(c, "alice", "marker")
    a.send("<message to='%s' type='chat'><body>%s</body></message>"
           % (bob_jid, text))
    m = bob.expect(r"<message[^>]*>.*?<body>%s</body>.*?</message>" % text)
    a.close()
    return m.string[:m.end()]


def test_muc_cannot_speak_for_a_user(c):
    """An envelope from a local user: dropped, bob sees nothing."""
    bob, bob_jid = login(c, "bob", "r1")
    mark = play(c, "mucd", "router", "IMSG_STANZA", stanza(
        0, bob_jid, "alice@example.org/x",
        "<message xmlns='jabber:client' from='alice@example.org/x' "
        "to='%s' type='chat'><body>forged-m1</body></message>" % bob_jid))
    c.s.wait_log(r"mucd sent a stanza from alice@example\.org/x: dropped",
                 after=mark)
    got = still_delivers(c, bob, bob_jid, "after-m1")
    assert "forged-m1" not in got, got
    core_alive(c.s)
    bob.close()


def test_muc_xml_must_match_envelope(c):
    """The envelope a room's, the XML alice's: the recipient reads the
    XML, so it is refused and mucd restarted."""
    bob, bob_jid = login(c, "bob", "r2")
    room = "room@%s/nick" % MUC
    mark = play(c, "mucd", "router", "IMSG_STANZA", stanza(
        0, bob_jid, room,
        "<message xmlns='jabber:client' from='alice@example.org/x' "
        "to='%s' type='chat'><body>forged-m2</body></message>" % bob_jid))
    c.s.wait_log(r"mucd sent a stanza from %s whose XML is not what its "
                 r"envelope says: refused" % re.escape(room), after=mark)
    restarted(c, "mucd", "IMSG_STANZA", mark)
    got = still_delivers(c, bob, bob_jid, "after-m2")
    assert "forged-m2" not in got, got
    bob.close()


def test_muc_broken_stanza(c):
    """A stanza envelope that does not parse takes the router down no
    more: refused, mucd restarted."""
    mark = play(c, "mucd", "router", "IMSG_STANZA", b"\xff" * 7)
    c.s.wait_log(r"mucd sent a stanza that cannot be read: refused",
                 after=mark)
    restarted(c, "mucd", "IMSG_STANZA", mark)


def test_muc_router_types(c):
    """Messages mucd never sends: a bind as alice (a session in her
    name), a read of bob's vCard from the store: each refused, mucd
    restarted, no session, nothing read."""
    for name, payload in (("IMSG_SESSION_BIND",
                           session_bind("alice", "by-mucd")),
                          ("IMSG_XS_REQUEST", xs_req("bob", "vcard"))):
        mark = play(c, "mucd", "router", name, payload)
        restarted(c, "mucd", name, mark)
        assert not c.s.log_has(SECRET, after=mark)
    out = c.s.ctl("show", "sessions").stdout
    assert "by-mucd" not in out, out


def test_muc_asks_for_user_data(c):
    """Stanzas mucd may send, asking the server for a user's vCard or
    private XML: nothing of the store or the directory answers; the
    router tells mucd the user is not there to ask."""
    for q in ("<vCard xmlns='vcard-temp'/>",
              "<query xmlns='jabber:iq:private'><x xmlns='a:b'/></query>"):
        mark = play(c, "mucd", "router", "IMSG_STANZA", stanza(
            2, "bob@example.org", MUC + "/regress",
            "<iq xmlns='jabber:client' from='%s/regress' "
            "to='bob@example.org' type='get' id='q1'>%s</iq>" % (MUC, q),
            typ="get", sid="q1"))
        got = c.s.wait_log(r"mucd\[\d+\]: regress: mucd got (.*)",
                           after=mark).group(1)
        assert "type='error'" in got and "result" not in got, got
        assert not c.s.log_has(SECRET, after=mark)
    core_alive(c.s)


def test_parent_does_nothing_for_leaves(c):
    """Every message type, sent to the parent from mucd and uploadd:
    the parent acts on none, stops nothing, restarts nothing."""
    r, _ = login(c, "carol", "hook-parent")
    for daemon in ("mucd", "uploadd"):
        before = pids(c.s)
        mark = c.s.mark()
        for name, t in sorted(IMSG.items(), key=lambda kv: kv[1]):
            if t != 0:
                hook_send(r, daemon, "parent", name, b"\0" * 64)
        c.s.wait_log(r"parent_dispatch: unexpected imsg %d from %s"
                     % (max(IMSG.values()), daemon), after=mark)
        assert pids(c.s) == before, (pids(c.s), before)
    r.close()
    core_alive(c.s)


def slot_request(r, n):
    r.send("<iq to='%s' type='get' id='slot%d'><request xmlns='urn:xmpp:"
           "http:upload:0' filename='f.txt' size='10' "
           "content-type='text/plain'/></iq>" % (UP, n))
    return r.expect(r"<iq[^>]*id='slot%d'.*?</iq>" % n).group(0)


def test_upload_speaks_only_when_asked(c):
    """uploadd answers requests; a slot nobody asked for, a message, a
    request of its own: dropped, alice sees nothing of them, and her
    own requests are answered still."""
    alice, alice_jid = login(c, "alice", "u1")
    slot_request(alice, 1)
    # Twice the id of a request answered already, then new ones.
    for kind, typ, sid, body in (
            (2, "result", "slot1", "<slot xmlns='urn:xmpp:http:upload:0'>"
             "<put url='https://evil.example/put-forged'/></slot>"),
            (2, "result", "never", "<slot xmlns='urn:xmpp:http:upload:0'>"
             "<put url='https://evil.example/put-forged'/></slot>"),
            (2, "set", "s1", "<query xmlns='jabber:iq:roster'/>"),
            (0, "chat", "", "<body>forged-u</body>")):
        name = ("message", "presence", "iq")[kind]
        mark = play(c, "uploadd", "router", "IMSG_STANZA", stanza(
            kind, alice_jid, UP,
            "<%s xmlns='jabber:client' from='%s' to='%s' type='%s'%s>%s"
            "</%s>" % (name, UP, alice_jid, typ,
                       " id='%s'" % sid if sid else "", body, name),
            typ=typ, sid=sid))
        c.s.wait_log(r"uploadd sent %s a %s nobody asked for: dropped"
                     % (re.escape(alice_jid), name), after=mark)
    got = slot_request(alice, 2)
    assert "put-forged" not in alice.buf + got, (alice.buf, got)
    assert "forged-u" not in alice.buf + got
    core_alive(c.s)
    alice.close()


def test_upload_requests_waiting_per_sender(c):
    """uploadd held stopped: carol's 17th request waiting is refused at
    once with resource-constraint, alice's request is kept, and once
    uploadd runs again alice and carol's first 16 get their slots."""
    alice, _ = login(c, "alice", "wait")
    carol, _ = login(c, "carol", "flood")
    up = pids(c.s)[("uploadd", 0)]
    os.kill(up, signal.SIGSTOP)
    try:
        alice.send("<iq to='%s' type='get' id='slot0'><request xmlns='urn:"
                   "xmpp:http:upload:0' filename='f.txt' size='10' "
                   "content-type='text/plain'/></iq>" % UP)
        carol.send("".join(
            "<iq to='%s' type='get' id='flood%d'><request xmlns='urn:xmpp:"
            "http:upload:0' filename='f.txt' size='10' content-type='text/"
            "plain'/></iq>" % (UP, n) for n in range(20)))
        for n in range(16, 20):
            m = carol.expect(r"<iq[^>]*id='flood%d'.*?</iq>" % n)
            assert "type='error'" in m.group(0) and \
                "resource-constraint" in m.group(0), m.group(0)
    finally:
        os.kill(up, signal.SIGCONT)
    got = alice.expect(r"<iq[^>]*id='slot0'.*?</iq>").group(0)
    assert "type='result'" in got and "<put " in got, got
    for n in range(16):
        got = carol.expect(r"<iq[^>]*id='flood%d'.*?</iq>" % n).group(0)
        assert "type='result'" in got, got
    alice.close()
    carol.close()
    core_alive(c.s)


def test_upload_xml_must_match_envelope(c):
    """An answer whose XML names alice as its sender: refused, uploadd
    restarted."""
    bob, bob_jid = login(c, "bob", "u2")
    mark = play(c, "uploadd", "router", "IMSG_STANZA", stanza(
        0, bob_jid, UP,
        "<message xmlns='jabber:client' from='alice@example.org/x' "
        "to='%s' type='error'><body>forged-u2</body></message>" % bob_jid,
        typ="error"))
    c.s.wait_log(r"uploadd sent a stanza from %s whose XML is not what "
                 r"its envelope says: refused" % UP, after=mark)
    restarted(c, "uploadd", "IMSG_STANZA", mark)
    got = still_delivers(c, bob, bob_jid, "after-u2")
    assert "forged-u2" not in got, got
    bob.close()


def stream_restarted(c, daemon, name, mark):
    """daemon refused what stream 0 sent and closed the link; the
    parent, told so, restarted the stream: daemon itself runs on."""
    s = c.s
    s.wait_log(r"%s\[\d+\]: unexpected imsg %d from stream 0: link closed"
               % (daemon, IMSG[name]), after=mark)
    s.wait_log(r"%s refused what stream 0 sent: restarting it" % daemon,
               after=mark)
    s.wait_log(r"restarting stream 0", after=mark)
    s.wait_log(r"stream 0 ready", after=mark)
    core_alive(s)


def test_ldapauthd_refuses_a_stream(c):
    """A broken login request, a control request for the directory's
    state, a router's question: ldapauthd refuses each, keeps running
    (its throttles and its bind password with it), and the stream is
    restarted, so that its logins have a directory again."""
    for name, payload in (("IMSG_AUTH_START", b"\1\2\3"),
                          ("IMSG_CTL_SHOW_LDAP", b""),
                          ("IMSG_LDAP_VCARD", b"\0" * 64)):
        before = pids(c.s)[("ldapauthd", 0)]
        m = Mallory(c.s)
        mark = c.s.mark()
        m.imsg("ldapauthd", name, payload)
        stream_restarted(c, "ldapauthd", name, mark)
        assert pids(c.s)[("ldapauthd", 0)] == before
        r, _ = login(c, "alice", "after-ldap")
        r.close()


def test_uploadd_refuses_a_stream(c):
    """A multiplexed connection's message that is not one: uploadd
    refuses it and runs on; the stream is restarted."""
    before = pids(c.s)[("uploadd", 0)]
    m = Mallory(c.s)
    mark = c.s.mark()
    m.imsg("uploadd", "IMSG_UPLOAD_CONN", b"\1\2\3")
    stream_restarted(c, "uploadd", "IMSG_UPLOAD_CONN", mark)
    assert pids(c.s)[("uploadd", 0)] == before
    r, _ = login(c, "alice", "u3")
    slot_request(r, 3)
    r.close()


def test_ldapauthd_speaks_for_its_domains_only(c):
    """Code in ldapauthd tells a stream that a connection logging in to
    a domain of the store's accounts did so as its admin: the stream
    takes a login's outcome only from the process that owns the
    domain's accounts, and the connection is not logged in.  The store
    is held stopped meanwhile, so that its own answer comes last."""
    mark = c.s.mark()
    v = Raw(c.s.ports["client"])
    cid = int(c.s.wait_log(r"stream 0\[\d+\]: connection (\d+) from",
                           after=mark).group(1))
    v.starttls(OTHER)
    v.header(OTHER)
    store = c.s.pids[("store", 0)]
    os.kill(store, signal.SIGSTOP)
    try:
        v.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
               "mechanism='PLAIN'>%s</auth>" % base64.b64encode(
                   b"\0admin\0guess").decode())
        m = Raw(c.s.ports["client"])
        m.starttls()
        m.header()
        out = m.auth_plain("regress-grant", "%d admin %s" % (cid, OTHER))
        assert out.group(1) == "failure", out.group(0)
        c.s.wait_log(r"regress: ldapauthd says connection %d logged in as "
                     r"admin@%s" % (cid, re.escape(OTHER)), after=mark)
        got = v.expect(r"<(success|failure)[^>]*?(/>|>.*?</\1>)")
    finally:
        os.kill(store, signal.SIGCONT)
    assert got.group(1) == "failure", got.group(0)
    c.s.wait_log(r"connection %d: a login's outcome from ldapauthd, which "
                 r"does not own %s: refused" % (cid, re.escape(OTHER)),
                 after=mark)
    out = c.s.ctl("show", "sessions").stdout
    assert "admin@" + OTHER not in out, out
    m.close()
    v.close()


def test_ldapauthd_grant_binds_no_internal_account(c):
    """Code in ldapauthd and in a stream together: the grant ldapauthd
    makes for the admin of a domain of the store's accounts, presented
    by the stream in a bind.  The router checks a grant under the key
    of the process that owns the domain's accounts (each has its own):
    the bind is refused, the stream's link closed, no session bound."""
    mark = c.s.mark()
    m = Mallory(c.s)
    cid = int(c.s.wait_log(r"stream 0\[\d+\]: connection (\d+) from",
                           after=mark).group(1))
    r = Raw(c.s.ports["client"])
    r.starttls()
    r.header()
    out = r.auth_plain("regress-grant", "%d admin %s" % (cid, OTHER))
    assert out.group(1) == "failure", out.group(0)
    r.close()
    grant = bytes.fromhex(c.s.wait_log(
        r"regress: ldapauthd says connection %d logged in as admin@%s "
        r"\(grant ([0-9a-f]{64})\)" % (cid, re.escape(OTHER)),
        after=mark).group(1))
    mark = c.s.mark()
    m.imsg("router", "IMSG_SESSION_BIND",
           session_bind("admin", "forged", grant, OTHER))
    c.s.wait_log(r"stream 0: bind as admin@%s that no login granted: "
                 r"refused" % re.escape(OTHER), after=mark)
    c.s.wait_log(r"restarting stream 0", after=mark)
    c.s.wait_log(r"stream 0 ready", after=mark)
    assert not c.s.log_has(r"session admin@%s/forged bound"
                           % re.escape(OTHER), after=mark)
    core_alive(c.s)
