"""BOSH (XEP-0124, XEP-0206) at /http-bind on an `http tls` listener: a
raw BOSH client (regress/lib/rawbosh.py; slixmpp speaks no BOSH) logs in
with SCRAM, binds and chats with a slixmpp user over TCP; sessions keep
their rid order, answer repeated rids again, and end on inactivity or
terminate; bad input gets the binding's terminate condition, ends only
its own session, and the process keeps serving others."""

import asyncio
import json
import re
import ssl
import time
import urllib.request

from rawbosh import HTTP, Bosh, body
from webclient import slix
from xmppdtest import Server, add_user, free_port, run_async, started

T = 10


def setup():
    port, other = free_port(), free_port()
    s = Server("listen on 127.0.0.1 port %d http tls\n"
               "listen on 127.0.0.1 port %d http tls\n"
               "cors \"https://web.example.net\"\n"
               "limits { http idle timeout 4s }\n" % (port, other),
               prefork=1)
    s.ports["web"] = port
    s.ports["other"] = other
    s.start()
    for u in ("alice", "bob", "carol"):
        add_user(s, "%s@example.org" % u, u + "-pw")
    return s


def teardown(s):
    s.stop()


def sessions(s):
    rows = s.ctl("show", "sessions").stdout
    return {m.group(1): m.group(2) for m in re.finditer(
        r"^(\S+@\S+)\s+\d+\s+\S+\s+(\S+)\s+TLSv", rows, re.M)}


def terminated(text, cond=None):
    """Is text a terminate <body/>, with cond if given?"""
    if not re.search(r"^<body [^>]*type='terminate'", text):
        return False
    return cond is None or "condition='%s'" % cond in text


def test_login_and_chat(s):
    """SCRAM, restart, bind over BOSH; a slixmpp user chats with it."""
    async def scenario():
        bob = await slix(s.ports["client"], "bob")
        b = Bosh(s.ports["web"])
        jid = await asyncio.to_thread(b.login, "alice", "alice-pw")
        assert jid == "alice@example.org/bosh", jid
        t = sessions(s)
        assert t.get("alice@example.org/bosh") == "bosh", t
        assert t.get("bob@example.org/tcp") == "tcp", t
        # A held request carries bob's message back.
        held = b.send("<presence xmlns='jabber:client'/>")
        bob.send_message(mto=jid, mbody="to bosh", mtype="chat")
        got = await asyncio.to_thread(b.result, held)
        while "to bosh" not in got:
            got += await asyncio.to_thread(b.request)
        assert re.search(r"<message [^>]*from='bob@example.org/tcp'", got), \
            got
        assert "xmlns='jabber:client'" in got, got
        await asyncio.to_thread(
            b.request, "<message xmlns='jabber:client' type='chat' "
            "to='bob@example.org/tcp'><body>from bosh</body></message>")
        m = await asyncio.wait_for(bob.inbox.get(), T)
        assert m["body"] == "from bosh" and str(m["from"]) == jid, m
        # The client ends it: the answer terminates, the session goes.
        m = s.mark()
        end = await asyncio.to_thread(
            b.request, "<presence xmlns='jabber:client' type='unavailable'/>",
            type="terminate")
        assert terminated(end), end
        s.wait_log(r"session alice@example.org/bosh ended", after=m)
        s.wait_log(r"session from 127\.0\.0\.1 ended \(stream closed by "
                   r"client, bosh\): alice@example\.org/bosh", after=m)
        assert "alice@example.org/bosh" not in sessions(s)
        b.close()
        bob.disconnect()
    run_async(scenario())


def test_create_attributes(s):
    """Section 7.1 and XEP-0206: the session's terms, the stream's
    features, the stream id as authid."""
    b = Bosh(s.ports["web"])
    r = b.create(wait=60, hold=5, ack="1")
    assert re.match(r"^<body xmlns='http://jabber.org/protocol/httpbind'",
                    r), r
    assert re.search(r" sid='[0-9a-f]{32}'", r), r
    for a, v in (("wait", "3"), ("hold", "1"), ("requests", "2"),
                 ("polling", "2"), ("inactivity", "4"), ("maxpause", "8"),
                 ("ver", "1.6"), ("from", "example.org"),
                 ("ack", str(b.rid))):
        assert " %s='%s'" % (a, v) in r, (a, r)
    assert re.search(r"xmlns:\w+='urn:xmpp:xbosh'", r) and \
        re.search(r":version='1.0'", r) and \
        re.search(r":restartlogic='true'", r), r
    assert re.search(r" authid='[0-9a-f]+'", r), r
    assert "SCRAM-SHA-256" in r, r
    b.close()


def test_hold_and_wait(s):
    """A held request comes back empty at 'wait'; a new one past
    'hold' sends the held one back at once."""
    b = Bosh(s.ports["web"])
    b.create(wait=1, hold=1)
    t0 = time.monotonic()
    r = b.request()
    assert r == "<body xmlns='http://jabber.org/protocol/httpbind'/>", r
    assert 0.8 < time.monotonic() - t0 < 3, time.monotonic() - t0
    b2 = Bosh(s.ports["web"])
    b2.create(wait=3, hold=1)
    first = b2.send()
    assert first[0].response(0.3) is None  # held
    second = b2.send()
    t0 = time.monotonic()
    assert "httpbind" in b2.result(first)
    assert time.monotonic() - t0 < 1
    assert "httpbind" in b2.result(second)
    b.close()
    b2.close()


def test_repeat_and_ack(s):
    """Section 9: a repeated rid gets the kept answer again, with acks
    where the answer is not to the highest rid."""
    b = Bosh(s.ports["web"])
    created = b.create(ack="1")
    rid0 = b.rid
    again = HTTP(s.ports["web"])
    again.post(body(rid=rid0, sid=b.sid, to="example.org", wait=5, hold=1,
                    ack="1"))
    st, h, r = again.response()
    assert st == 200 and r == created, (r, created)
    first = b.send()
    second = b.send()
    r1 = b.result(first)
    assert " ack='%d'" % (rid0 + 2) in r1, r1
    b.result(second)
    # Past the answers kept: the session ends, with item-not-found.
    again.post(body(rid=rid0, sid=b.sid))
    st, h, r = again.response()
    assert terminated(r, "item-not-found"), r
    again.post(body(rid=b.rid + 1, sid=b.sid))
    st, h, r = again.response()
    assert terminated(r, "item-not-found"), r
    again.close()
    b.close()


def test_rid_order(s):
    """Requests are handled in rid order, whatever their arrival."""
    async def scenario():
        bob = await slix(s.ports["client"], "bob")
        b = Bosh(s.ports["web"])
        jid = await asyncio.to_thread(b.login, "carol", "carol-pw", "order")
        msg = ("<message xmlns='jabber:client' type='chat' "
               "to='bob@example.org/tcp'><body>%s</body></message>")
        c1, c2 = HTTP(s.ports["web"]), HTTP(s.ports["web"])
        rid = b.rid
        m = s.mark()
        b.send(msg % "second", conn=c2, rid=rid + 2)
        await asyncio.to_thread(s.wait_log, r"bosh rid %d waits for %d"
                                % (rid + 2, rid + 1), m)
        assert bob.inbox.empty()
        b.send(msg % "first", conn=c1, rid=rid + 1)
        b.rid = rid + 2
        got = [(await asyncio.wait_for(bob.inbox.get(), T))["body"]
               for _ in range(2)]
        assert got == ["first", "second"], got
        assert all(str(m) for m in got) and jid
        c1.close()
        c2.close()
        b.close()
        bob.disconnect()
    run_async(scenario())


def test_rid_jump(s):
    """A rid past the window ends the session with item-not-found."""
    b = Bosh(s.ports["web"])
    b.create()
    r = b.request(rid=b.rid + 3)
    assert terminated(r, "item-not-found"), r
    s.wait_log(r"bosh session ended: rid past the window")
    r = b.request()
    assert terminated(r, "item-not-found"), r
    b.close()


def test_guessed_sid_and_other_listener(s):
    """An unknown sid, or a sid used on another listener, is refused
    with item-not-found; the session it names goes on."""
    b = Bosh(s.ports["web"])
    b.create(wait=1)
    h = HTTP(s.ports["web"])
    h.post(body(rid=b.rid + 1, sid="0" * 32))
    st, _, r = h.response()
    assert st == 200 and terminated(r, "item-not-found"), r
    o = HTTP(s.ports["other"])
    o.post(body(rid=b.rid + 1, sid=b.sid))
    st, _, r = o.response()
    assert st == 200 and terminated(r, "item-not-found"), r
    r = b.request()
    assert not terminated(r), r
    h.close()
    o.close()
    b.close()


def test_bad_bodies(s):
    """Malformed, two <body>s, another namespace: bad-request; a body
    over the limit: 413; not a POST: 405; an unknown host."""
    h = HTTP(s.ports["web"])
    for bad in ("<body xmlns='http://jabber.org/protocol/httpbind'",
                body(rid=1, to="example.org", wait=5, hold=1) * 2,
                "<body xmlns='jabber:client' rid='1' to='example.org' "
                "wait='5' hold='1'/>",
                body(to="example.org", wait=5, hold=1),
                "<body xmlns='http://jabber.org/protocol/httpbind' rid='x' "
                "to='example.org' wait='5' hold='1'/>"):
        h.post(bad)
        st, _, r = h.response()
        assert st == 200 and terminated(r, "bad-request"), (bad, r)
    h.post(body(rid=1, to="nowhere.example", wait=5, hold=1))
    st, _, r = h.response()
    assert terminated(r, "host-unknown"), r
    # Refused on its Content-Length, before any of it is read.
    h.send_raw("POST /http-bind HTTP/1.1\r\nHost: x\r\n"
               "Content-Length: 1048576\r\n\r\n")
    r = h.response()
    assert r is not None and r[0] == 413, r
    h.close()
    h = HTTP(s.ports["web"])
    h.send_raw("GET /http-bind HTTP/1.1\r\nHost: x\r\n\r\n")
    assert h.response()[0] == 405
    h.close()
    # The server still serves.
    b = Bosh(s.ports["web"])
    assert "SCRAM" in b.create()
    b.close()


def test_bad_stanza_ends_only_its_session(s):
    """A stream error of one session terminates it with
    remote-stream-error; another session goes on."""
    a, b = Bosh(s.ports["web"]), Bosh(s.ports["web"])
    a.create(wait=1)
    b.create(wait=1)
    r = a.until(r"type='terminate'", "<message xmlns='jabber:client'>"
                "<body>before login</body></message>")
    assert terminated(r, "remote-stream-error"), r
    assert "not-authorized" in r, r
    assert not terminated(b.request()), "the other session ended"
    a.close()
    b.close()


def test_restart_out_of_turn(s):
    b = Bosh(s.ports["web"])
    b.create()
    r = b.request(xmpp_restart="true", to="example.org")
    assert terminated(r, "bad-request"), r
    b.close()


def test_restart_with_stanzas(s):
    """XEP-0206 section 5: the restart request's body MUST be empty; a
    stanza riding on it is refused, not sent."""
    b = Bosh(s.ports["web"])
    b.sasl("alice", "alice-pw")
    m = s.mark()
    r = b.request("<message xmlns='jabber:client' to='bob@example.org'>"
                  "<body>on a restart</body></message>",
                  xmpp_restart="true", to="example.org")
    assert terminated(r, "bad-request"), r
    s.wait_log(r"bosh session ended: stanzas in a restart", after=m)
    b.close()


def test_too_many_requests(s):
    """More requests at once than 'requests': policy-violation."""
    b = Bosh(s.ports["web"])
    b.create(wait=3)
    c = [HTTP(s.ports["web"]) for _ in range(4)]
    rid = b.rid
    b.send(conn=c[0], rid=rid + 1)
    b.send(conn=c[1], rid=rid + 2)
    # rid + 2 is handled: rid + 1 comes back, rid + 2 is held.
    assert not terminated(c[0].response()[2])
    m = s.mark()
    b.send(conn=c[2], rid=rid + 4)
    s.wait_log(r"bosh rid %d waits for %d" % (rid + 4, rid + 3), after=m)
    b.send(conn=c[3], rid=rid + 3)
    r = c[3].response()
    assert r is not None and terminated(r[2], "policy-violation"), r
    for x in c[1:3]:
        r = x.response()
        assert r is not None and terminated(r[2], "policy-violation"), r
    for x in c:
        x.close()
    b.close()


def test_pause_and_inactivity(s):
    """pause answers the held requests; one over maxpause is refused;
    a session without requests ends as a dropped connection does."""
    b = Bosh(s.ports["web"])
    jid = b.login("alice", "alice-pw", "idle")
    assert sessions(s).get(jid) == "bosh"
    held = b.send()
    assert held[0].response(0.3) is None
    m = s.mark()
    t0 = time.monotonic()
    r = b.request(pause="2")
    assert not terminated(r), r
    assert time.monotonic() - t0 < 1
    assert not terminated(b.result(held))
    s.wait_log(r"connection \d+ from 127.0.0.1: bosh session inactive",
               after=m, timeout=T)
    s.wait_log(r"session from 127\.0\.0\.1 ended \(timeout, bosh\): %s"
               % re.escape(jid), after=m)
    s.wait_log(r"session %s ended" % re.escape(jid), after=m)
    assert jid not in sessions(s)
    b.close()
    b = Bosh(s.ports["web"])
    b.create()
    r = b.request(pause="9")
    assert terminated(r, "policy-violation"), r
    b.close()


def test_body_slowloris(s):
    """A body that stops coming: 408, the connection closed."""
    h = HTTP(s.ports["web"])
    h.send_raw("POST /http-bind HTTP/1.1\r\nHost: x\r\n"
               "Content-Length: 200\r\n\r\n<body xmlns='")
    r = h.response(T)
    assert r is not None and r[0] == 408, r
    assert h.closed()
    h.close()


def test_cors(s):
    """The cors line: preflight and answers name the allowed origin,
    and no other."""
    h = HTTP(s.ports["web"])
    h.send_raw("OPTIONS /http-bind HTTP/1.1\r\nHost: x\r\n"
               "Origin: https://web.example.net\r\n"
               "Access-Control-Request-Method: POST\r\n\r\n")
    st, hd, _ = h.response()
    assert st == 204, st
    assert hd["access-control-allow-origin"] == "https://web.example.net"
    assert "POST" in hd["access-control-allow-methods"], hd
    h.post(body(rid=5, to="example.org", wait=5, hold=1),
           headers=["Origin: https://web.example.net"])
    st, hd, _ = h.response()
    assert hd.get("access-control-allow-origin") == \
        "https://web.example.net", hd
    h.post(body(rid=5, to="example.org", wait=5, hold=1),
           headers=["Origin: https://evil.example"])
    st, hd, _ = h.response()
    assert "access-control-allow-origin" not in hd, hd
    h.close()


def test_host_meta_names_bosh(s):
    port = s.ports["web"]
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    req = urllib.request.Request(
        "https://127.0.0.1:%d/.well-known/host-meta.json" % port,
        headers={"Host": "example.org:%d" % port})
    with urllib.request.urlopen(req, context=ctx, timeout=T) as f:
        links = json.loads(f.read())["links"]
    assert {"rel": "urn:xmpp:alt-connections:xbosh",
            "href": "https://example.org:%d/http-bind" % port} in links, \
        links


def test_sessions_per_address(s):
    """Sessions count as connections of their address: past
    `connections per address', policy-violation; ended, room again."""
    h = HTTP(s.ports["web"])
    made = []
    for i in range(40):
        h.post(body(rid=100, to="example.org", wait=5, hold=1,
                    xmpp_version="1.0"))
        st, _, r = h.response()
        if terminated(r):
            assert terminated(r, "policy-violation"), r
            break
        made.append(re.search(r"sid='([^']+)'", r).group(1))
    else:
        raise AssertionError("no limit")
    assert 5 < len(made) < 20, len(made)
    for sid in made:
        h.post(body(rid=101, sid=sid, type="terminate"))
        st, _, r = h.response()
        assert terminated(r), r
    deadline = time.monotonic() + T
    while True:
        h.post(body(rid=100, to="example.org", wait=5, hold=1,
                    xmpp_version="1.0"))
        r = h.response()[2]
        if not terminated(r):
            break
        assert time.monotonic() < deadline, r
    h.close()


def test_client_rate(s):
    """A session over its `client rate' has its next requests wait, as
    a socket goes unread, and handled in order once the rate allows."""
    port = free_port()
    slow = started(body="listen on 127.0.0.1 port %d http tls\n"
                   "limits { client rate 2K }\n" % port, prefork=1)
    try:
        async def scenario():
            bob = await slix(slow.ports["client"], "bob")
            b = Bosh(port)
            await asyncio.to_thread(b.login, "alice", "alice-pw")
            msg = ("<message xmlns='jabber:client' type='chat' "
                   "to='bob@example.org/tcp'><body>%s</body></message>")
            m = slow.mark()
            big = b.send(msg % ("x" * 6000))
            b.send(msg % "after", conn=HTTP(port))
            slow.wait_log(r"bosh rid %d waits for its rate" % b.rid,
                          after=m)
            got = [(await asyncio.wait_for(bob.inbox.get(), T))["body"]
                   for _ in range(2)]
            assert got == ["x" * 6000, "after"], [g[:10] for g in got]
            assert not terminated(await asyncio.to_thread(b.result, big))
            # Several stanzas of one body past the rate: the session
            # still reads once the rate allows.
            m = slow.mark()
            many = b.send("".join(msg % (str(i) * 3000) for i in range(3)))
            got = [(await asyncio.wait_for(bob.inbox.get(), T))["body"]
                   for _ in range(3)]
            assert got == [str(i) * 3000 for i in range(3)], \
                [g[:10] for g in got]
            slow.wait_log(r"connection \d+: over its rate", after=m)
            b.send(msg % "at last")
            got = await asyncio.wait_for(bob.inbox.get(), T)
            assert got["body"] == "at last", got["body"][:10]
            assert not terminated(await asyncio.to_thread(b.result, many))
            b.close()
            bob.disconnect()
        run_async(scenario())
    finally:
        slow.stop()


def test_stream_management_resume(s):
    """An inactive session ends as a dropped connection does: with
    stream management enabled it is kept, and resumed by a new BOSH
    session, stanzas sent meanwhile included."""
    async def scenario():
        bob = await slix(s.ports["client"], "bob")
        b = Bosh(s.ports["web"])
        jid = await asyncio.to_thread(b.login, "alice", "alice-pw", "sm")
        got = await asyncio.to_thread(
            b.until, r"<enabled ",
            "<enable xmlns='urn:xmpp:sm:3' resume='true'/>")
        previd = re.search(r"<enabled [^>]*id='([^']+)'", got).group(1)
        m = s.mark()
        b.close()
        await asyncio.to_thread(
            s.wait_log, r"session %s detached" % re.escape(jid), m)
        bob.send_message(mto=jid, mbody="while away", mtype="chat")
        b2 = Bosh(s.ports["web"])
        await asyncio.to_thread(b2.login, "alice", "alice-pw", "sm", False)
        got = await asyncio.to_thread(
            b2.until, r"while away",
            "<resume xmlns='urn:xmpp:sm:3' previd='%s' h='0'/>" % previd)
        assert "<resumed " in got, got
        assert sessions(s).get(jid) == "bosh", sessions(s)
        b2.close()
        bob.disconnect()
    run_async(scenario())


def test_stanzas_in_creation(s):
    """A session creation request carrying stanzas is refused with
    bad-request (the stream's features are not out yet): no session is
    made, nothing is delivered, and the server goes on."""
    async def scenario():
        bob = await slix(s.ports["client"], "bob")
        h = HTTP(s.ports["web"])
        m = s.mark()
        h.post(body("<message xmlns='jabber:client' type='chat' "
                    "to='bob@example.org/tcp'><body>early</body></message>",
                    rid=7, to="example.org", wait=5, hold=1,
                    xmpp_version="1.0"))
        st, _, r = await asyncio.to_thread(h.response)
        assert st == 200 and terminated(r, "bad-request"), r
        assert "sid=" not in r, r
        s.wait_log(r"bosh request from 127.0.0.1 refused: stanzas in a "
                   r"session creation", after=m)
        # The session that follows, on the same connection, chats.
        b = Bosh(s.ports["web"])
        jid = await asyncio.to_thread(b.login, "carol", "carol-pw", "late")
        await asyncio.to_thread(
            b.request, "<message xmlns='jabber:client' type='chat' "
            "to='bob@example.org/tcp'><body>later</body></message>")
        got = await asyncio.wait_for(bob.inbox.get(), T)
        assert got["body"] == "later" and str(got["from"]) == jid, got
        assert bob.inbox.empty()
        h.close()
        b.close()
        bob.disconnect()
    run_async(scenario())


def test_quiet_session_gives_parsers_back(s):
    """A logged-in session quiet for a while gives its parsers back, as
    a TCP stream does; stanzas either way wake it up."""
    async def scenario():
        bob = await slix(s.ports["client"], "bob")
        b = Bosh(s.ports["web"])
        jid = await asyncio.to_thread(b.login, "alice", "alice-pw", "quiet")
        m = s.mark()
        held = b.send()
        await asyncio.to_thread(
            s.wait_log, r"connection \d+: bosh session quiet, its parsers "
            r"given back", m)
        bob.send_message(mto=jid, mbody="wake up", mtype="chat")
        got = await asyncio.to_thread(b.result, held)
        while "wake up" not in got:
            got += await asyncio.to_thread(b.request)
        await asyncio.to_thread(
            b.request, "<message xmlns='jabber:client' type='chat' "
            "to='bob@example.org/tcp'><body>awake</body></message>")
        r = await asyncio.wait_for(bob.inbox.get(), T)
        assert r["body"] == "awake" and str(r["from"]) == jid, r
        b.close()
        bob.disconnect()
    run_async(scenario())


def test_shutdown_answers_held_requests(s):
    """The stream process stops: a held request comes back with a
    terminate of system-shutdown, not a closed connection."""
    port = free_port()
    own = started(body="listen on 127.0.0.1 port %d http tls\n" % port,
                  prefork=1)
    try:
        async def scenario():
            bob = await slix(own.ports["client"], "bob")
            b = Bosh(port)
            await asyncio.to_thread(b.login, "alice", "alice-pw")
            # Held once bob has what it carried: nothing comes back yet.
            held = b.send("<message xmlns='jabber:client' type='chat' "
                          "to='bob@example.org/tcp'><body>held</body>"
                          "</message>")
            got = await asyncio.wait_for(bob.inbox.get(), T)
            assert got["body"] == "held", got
            bob.disconnect()
            await asyncio.to_thread(own.stop_keep)
            r = await asyncio.to_thread(b.result, held)
            assert terminated(r, "system-shutdown"), r
            b.close()
        run_async(scenario())
    finally:
        own.stop()
