"""Stream management (XEP-0198): acks both ways, resumption on the same
or the other stream process with nothing lost or doubled, the timeout
(unacked messages offline, IQs bounced), the server's ack requests, a
clean close (the client's last ack read, then only unacked messages
with a body kept offline, once per account), and hostile input."""

import re
import socket
import time

from rawxmpp import Raw
from xmppdtest import Server, add_user

NS = "urn:xmpp:sm:3"
ENABLE = "<enable xmlns='%s' resume='true'/>" % NS


def setup():
    # More sessions per user than the 10 kept waiting for a resume.
    s = Server("limits {\n\tsessions per user 20\n}\n", prefork=2)
    s.start()
    for u in ("alice", "bob", "carol", "dave", "erin", "frank", "gina",
              "hana", "ivan", "jo", "kim", "lee", "mia", "ned", "ola",
              "pat", "quin", "ross", "sam"):
        add_user(s, "%s@example.org" % u, u + "-pw")
    return s


def teardown(s):
    s.stop()


def enable(c, extra=""):
    c.send("<enable xmlns='%s' resume='true'%s/>" % (NS, extra))
    m = c.expect(r"<enabled [^>]*/>").group(0)
    return re.search(r"id='([^']+)'", m).group(1), m


def cut(s, c, jid):
    """Drop the TCP connection without closing the stream; wait until
    the router holds the session detached."""
    mark = s.mark()
    c.sock.shutdown(socket.SHUT_RDWR)
    c.close()
    s.wait_log(r"session %s detached" % re.escape(jid), after=mark)


def authed(s, user, want_stream=None):
    """A connection authenticated as user, not bound; with want_stream,
    one accepted by that stream process."""
    for _ in range(40):
        mark = s.mark()
        c = Raw(s.ports["client"])
        m = s.wait_log(r"stream (\d+)\[\d+\]: connection \d+ from",
                       after=mark)
        if want_stream is not None and int(m.group(1)) != want_stream:
            c.close()
            continue
        c.starttls()
        c.header()
        assert c.auth_plain(user, user + "-pw").group(1) == "success"
        feats = c.header().group(1)
        return c, feats
    raise AssertionError("no connection landed on stream %s" % want_stream)


def stream_of(s, jid):
    for line in s.ctl("show", "sessions").stdout.splitlines():
        f = line.split()
        if f and f[0] == jid:
            return int(f[1])
    return None


def msg(to, i, body=True):
    return ("<message to='%s' id='%s' type='chat'>%s</message>" %
            (to, i, "<body>%s</body>" % i if body else ""))


def ping(c, i="p"):
    """A round trip through the router: what it sent before is here."""
    c.send("<iq type='get' id='%s' to='example.org'><ping xmlns='urn:xmpp:"
           "ping'/></iq>" % i)
    return c.expect(r"^(.*?)<iq[^>]*id='%s'" % i)


def test_feature_enable_and_order(s):
    c, feats = authed(s, "carol")
    assert "<sm xmlns='%s'/>" % NS in feats, feats
    # Before binding: XEP-0198 section 3, unexpected-request.
    c.send(ENABLE)
    c.expect(r"<failed xmlns='%s'><unexpected-request xmlns='urn:ietf:"
             r"params:xml:ns:xmpp-stanzas'/></failed>" % NS)
    c.bind("c1")
    sid, m = enable(c)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", sid), m
    assert "resume='true'" in m and "max='300'" in m, m
    # Twice: refused, the first stays.
    c.send(ENABLE)
    c.expect(r"<failed xmlns='%s'><unexpected-request" % NS)
    c.send("<r xmlns='%s'/>" % NS)
    c.expect(r"<a xmlns='%s' h='0'/>" % NS)
    c.close()


def test_ack_counting(s):
    a = Raw(s.ports["client"])
    ja = a.login("alice", "alice-pw", "count")
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "count")
    # Before enable: r and a are unexpected.
    a.send("<r xmlns='%s'/>" % NS)
    a.expect(r"<failed xmlns='%s'><unexpected-request" % NS)
    enable(a, " max='30'")
    # Inbound: three stanzas handled, ping answered locally included.
    a.send(msg("bob@example.org/count", "in1"))
    a.send(msg("bob@example.org/count", "in2"))
    ping(a, "in3")
    a.send("<r xmlns='%s'/>" % NS)
    a.expect(r"<a xmlns='%s' h='3'/>" % NS)
    b.expect(r"id='in2'")
    # Outbound: the ping result was 1; four more make 5: the server asks.
    for i in range(4):
        b.send(msg(ja, "out%d" % i))
    m = a.expect(r"id='out3'.*?<r xmlns='%s'/>" % NS)
    assert m.group(0).count("<r ") == 1, m.group(0)
    a.send("<a xmlns='%s' h='5'/>" % NS)
    a.send("<r xmlns='%s'/>" % NS)
    a.expect(r"<a xmlns='%s' h='3'/>" % NS)
    # An ack for more than was sent: section 4, undefined-condition.
    a.send("<a xmlns='%s' h='99'/>" % NS)
    a.expect(r"<stream:error><undefined-condition xmlns='urn:ietf:params:"
             r"xml:ns:xmpp-streams'/><handled-count-too-high xmlns='%s' "
             r"h='99' send-count='5'/></stream:error>" % NS)
    a.closed()
    b.close()


def resume_test(s, user, other_process):
    a = Raw(s.ports["client"])
    ja = a.login(user, user + "-pw", "phone")
    sid, _ = enable(a)
    first = stream_of(s, ja)
    b = Raw(s.ports["client"])
    jb = b.login("bob", "bob-pw", "r" + user)
    # Available, and a directed presence: bob would hear the end.
    a.send("<presence/>")
    a.send("<presence to='%s'/>" % jb)
    b.expect(r"<presence[^>]*from='%s'" % re.escape(ja))
    b.send(msg(ja, "m1"))
    a.expect(r"id='m1'")
    # The client has handled its presence's echo and m1: its h is 2.
    cut(s, a, ja)
    # Still there for the others, no unavailable sent.
    assert stream_of(s, ja) == first
    for i in ("m2", "m3"):
        b.send(msg(ja, i))
    pre = ping(b, "bp1").group(1)
    assert "unavailable" not in pre and "type='error'" not in pre, pre
    want = (1 - first) if other_process else None
    c, _ = authed(s, user, want)
    c.send("<resume xmlns='%s' previd='%s' h='2'/>" % (NS, sid))
    m = c.expect(r"<resumed xmlns='%s' previd='%s' h='(\d+)'/>" %
                 (NS, sid))
    assert m.group(1) == "2", m.group(0)    # the presences it sent
    b.send(msg(ja, "m4"))
    got = c.expect(r"^(.*?id='m4'.*?</message>)").group(1)
    ids = re.findall(r"<message[^>]*id='(m\d)'", got)
    assert ids == ["m2", "m3", "m4"], got
    if other_process:
        assert stream_of(s, ja) == 1 - first
    # Counting goes on: m2, m3, m4 are 3 more.
    c.send("<r xmlns='%s'/>" % NS)
    c.expect(r"<a xmlns='%s' h='2'/>" % NS)
    c.send("<a xmlns='%s' h='5'/>" % NS)
    # The resumed session sends as its full JID.
    c.send(msg(jb, "back"))
    b.expect(r"<message[^>]*from='%s'[^>]*id='back'|<message[^>]*id='back'"
             r"[^>]*from='%s'" % (re.escape(ja), re.escape(ja)))
    pre = ping(b, "bp2").group(1)
    assert "unavailable" not in pre, pre
    c.close()
    b.close()


def test_resume_same_or_any_process(s):
    resume_test(s, "dave", False)


def test_resume_other_process(s):
    resume_test(s, "erin", True)


def test_timeout_offline_and_bounce(s):
    a = Raw(s.ports["client"])
    ja = a.login("frank", "frank-pw", "t")
    sid, m = enable(a, " max='2'")
    assert "max='2'" in m, m
    b = Raw(s.ports["client"])
    jb = b.login("bob", "bob-pw", "timeout")
    a.send("<presence/>")
    a.send("<presence to='%s'/>" % jb)
    b.expect(r"<presence[^>]*from='%s'" % re.escape(ja))
    b.send(msg(ja, "t1"))
    a.expect(r"id='t1'")
    cut(s, a, ja)        # t1 never acked
    mark = s.mark()
    b.send(msg(ja, "t2"))
    b.send(msg(ja, "t3", body=False))
    b.send("<iq type='get' id='tq' to='%s'><query xmlns='jabber:iq:"
           "version'/></iq>" % ja)
    s.wait_log(r"session %s: not resumed in time" % re.escape(ja),
               after=mark)
    # Unavailable to bob, the IQ bounced.
    b.expect(r"<presence[^>]*type='unavailable'")
    b.expect(r"<iq[^>]*id='tq'[^>]*type='error'|<iq[^>]*type='error'"
             r"[^>]*id='tq'")
    assert stream_of(s, ja) is None
    # The id is gone.
    c, _ = authed(s, "frank")
    c.send("<resume xmlns='%s' previd='%s' h='0'/>" % (NS, sid))
    c.expect(r"<failed xmlns='%s'><item-not-found" % NS)
    c.bind("t2")
    c.send("<presence/>")
    got = c.expect(r"^(.*?id='t2'.*?</message>)").group(1)
    assert re.findall(r"<message[^>]*id='(t\d)'", got) == ["t1", "t2"], got
    assert "urn:xmpp:delay" in got, got
    pre = ping(c, "fp").group(1)
    assert "id='t1'" not in pre and "id='t2'" not in pre, pre
    c.close()
    b.close()


def test_bad_resumes(s):
    a = Raw(s.ports["client"])
    ja = a.login("alice", "alice-pw", "victim")
    sid, _ = enable(a)
    # Bob with alice's id: item-not-found, and bob binds normally.
    c, _ = authed(s, "bob")
    mark = s.mark()
    c.send("<resume xmlns='%s' previd='%s' h='0'/>" % (NS, sid))
    c.expect(r"<failed xmlns='%s'><item-not-found xmlns='urn:ietf:params:"
             r"xml:ns:xmpp-stanzas'/></failed>" % NS)
    s.wait_log(r"resume by bob@example.org .* refused", after=mark)
    assert "<jid>bob@example.org/thief</jid>" in c.bind("thief").group(0)
    # Unknown, malformed ids, bad h, resume after bind.
    d, _ = authed(s, "alice")
    for bad in ("AAAAAAAAAAAAAAAAAAAAAA", "x" * 300, "&lt;x&gt;", ""):
        d.send("<resume xmlns='%s' previd='%s' h='0'/>" % (NS, bad))
        d.expect(r"<failed xmlns='%s'><item-not-found" % NS)
    d.send("<resume xmlns='%s' previd='%s' h='-1'/>" % (NS, sid))
    d.expect(r"<failed xmlns='%s'><bad-request" % NS)
    d.send("<resume xmlns='%s' previd='%s' h='4294967296'/>" % (NS, sid))
    d.expect(r"<failed xmlns='%s'><bad-request" % NS)
    d.send("<unknown xmlns='%s'/>" % NS)
    d.expect(r"unsupported-stanza-type")
    d.closed()
    e = Raw(s.ports["client"])
    e.login("alice", "alice-pw", "other")
    e.send("<resume xmlns='%s' previd='%s' h='0'/>" % (NS, sid))
    e.expect(r"<failed xmlns='%s'><unexpected-request" % NS)
    # Alice's session was not touched.
    assert stream_of(s, ja) is not None
    e.send(msg(ja, "still"))
    a.expect(r"id='still'")
    a.send("<r xmlns='%s'/>" % NS)
    a.expect(r"<a xmlns='%s' h='0'/>" % NS)
    a.send("<a xmlns='%s' h='1'/>" % NS)
    ping(a, "ok")
    for x in (a, c, e):
        x.close()


def test_unacked_bound(s):
    """A client that never acks: past 1000 unacked the stream ends with
    resource-constraint, and every unacked message is kept offline or
    bounced, none lost (the offline limit is 500)."""
    a = Raw(s.ports["client"])
    ja = a.login("carol", "carol-pw", "lazy")
    a.send("<enable xmlns='%s'/>" % NS)
    a.expect(r"<enabled xmlns='%s'/>" % NS)
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "flood")
    n = 1001
    b.send("".join(msg(ja, "f%d" % i) for i in range(n)))
    a.expect(r"<resource-constraint xmlns='urn:ietf:params:xml:ns:"
             r"xmpp-streams'/>")
    a.closed()
    # Bounced: those the store refused, past the offline limit.
    bounced = set()
    while len(bounced) < n - 500:
        m = b.expect(r"<message[^>]*type='error'[^>]*>.*?</message>")
        bounced.add(re.search(r"id='(f\d+)'", m.group(0)).group(1))
    c = Raw(s.ports["client"])
    c.login("carol", "carol-pw", "back")
    c.send("<presence/>")
    stored = []
    while len(stored) < 500:
        m = c.expect(r"<message[^>]*id='(f\d+)'")
        stored.append(m.group(1))
    assert len(set(stored)) == 500 and not set(stored) & bounced
    assert set(stored) | bounced == {"f%d" % i for i in range(n)}
    pre = ping(c, "cp").group(1)
    # No more of them (a stanza-id of the archive may start with f too).
    assert not re.search(r"<message[^>]*id='f\d+'", pre), pre
    pre = ping(b, "bp").group(1)
    assert "type='error'" not in pre, pre
    for x in (b, c):
        x.close()


async def slix_inbox(c, key, want):
    """Once slixmpp client c has stream management: a list of the key of
    each message c receives, and an event set when it holds want."""
    import asyncio

    if not c.plugin["xep_0198"].sm_id:
        await c.wait_until("sm_enabled", timeout=10)
    got = []
    done = asyncio.Event()

    def on_msg(m):
        got.append(m[key])
        if len(got) >= want:
            done.set()
    c.add_event_handler("message", on_msg)
    return got, done


def test_slixmpp_acks(s):
    """A real client (slixmpp's XEP-0198 plugin): it enables resumption,
    answers the server's requests, and every stanza it sent is acked."""
    import asyncio
    from xmppdtest import slix_login

    async def actions(c):
        sm = c.plugin["xep_0198"]
        got, done = await slix_inbox(c, "body", 12)
        for i in range(12):
            c.send_message(mto=c.boundjid, mbody=str(i), mtype="chat")
        await asyncio.wait_for(done.wait(), 10)
        sm.request_ack()
        while sm.unacked_queue:
            await c.wait_until("stanza_acked", timeout=10)
        return sm.sm_id, sm.handled, sorted(got, key=int)

    mark = s.mark()
    r = slix_login(s.ports["client"], "bob@example.org/slix", "bob-pw",
                   actions=actions, plugins=("xep_0198",))
    sid, handled, got = r["actions"]
    assert sid and got == [str(i) for i in range(12)], r
    assert handled >= 12, r
    assert not s.log_has(r"handled-count|stream error", after=mark)


def test_detached_sessions_bounded(s):
    """An account keeps at most 10 sessions waiting for a resume; the
    next lost connection ends its session at once."""
    for i in range(10):
        a = Raw(s.ports["client"])
        ja = a.login("gina", "gina-pw", "w%d" % i)
        enable(a)
        cut(s, a, ja)
    a = Raw(s.ports["client"])
    ja = a.login("gina", "gina-pw", "w10")
    enable(a)
    mark = s.mark()
    a.sock.shutdown(socket.SHUT_RDWR)
    a.close()
    s.wait_log(r"session %s not kept: 10 others wait" % re.escape(ja),
               after=mark)
    s.wait_log(r"session %s closed" % re.escape(ja), after=mark)
    assert stream_of(s, ja) is None
    assert stream_of(s, "gina@example.org/w9") is not None


def test_resume_while_old_connection_lives(s):
    """A half-open old connection: the resume takes the session and the
    old stream ends with <conflict/>; the queue moves all the same."""
    a = Raw(s.ports["client"])
    ja = a.login("alice", "alice-pw", "halfopen")
    sid, _ = enable(a)
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "ho")
    b.send(msg(ja, "h1"))
    b.send(msg(ja, "h2"))
    a.expect(r"id='h2'")
    c, _ = authed(s, "alice")
    c.send("<resume xmlns='%s' previd='%s' h='1'/>" % (NS, sid))
    c.expect(r"<resumed xmlns='%s' previd='%s' h='0'/>" % (NS, sid))
    c.expect(r"<message[^>]*id='h2'")
    a.expect(r"<conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>")
    a.closed()
    b.send(msg(ja, "h3"))
    got = c.expect(r"^(.*?id='h3')").group(1)
    assert "id='h1'" not in got and "id='h2'" not in got, got
    for x in (b, c):
        x.close()


CLOSE = "</stream:stream>"


def sm_online(s, user, resource, presence=True, carbons=False):
    """A bound client with stream management (and resumption) enabled;
    returns it, its JID and (stream process, connection id)."""
    mark = s.mark()
    c = Raw(s.ports["client"])
    jid = c.login(user, user + "-pw", resource)
    m = s.wait_log(r"stream (\d+)\[\d+\]: connection (\d+) from \S+: "
                   r"%s@example\.org logged in" % user, after=mark)
    enable(c)
    if carbons:
        c.send("<iq type='set' id='cb'><enable xmlns='urn:xmpp:carbons:2'/>"
               "</iq>")
        c.expect(r"<iq[^>]*id='cb'")
    if presence:
        c.send("<presence/>")
        ping(c, "on")
    return c, jid, (int(m.group(1)), int(m.group(2)))


def handed_over(s, where, after):
    """How many unacked stanzas the ended session at where had."""
    m = s.wait_log(r"stream %d\[\d+\]: session %d: (\d+) unacked handed "
                   r"over" % where, after=after)
    return int(m.group(1))


def close_unacked(c):
    """Close the stream cleanly; the server asks for an ack, gets none,
    and closes after its bounded wait.  Returns what came after <r/>."""
    c.send(CLOSE)
    c.expect(r"<r xmlns='%s'/>" % NS)
    out = c.closed(timeout=10)
    assert out.endswith(CLOSE) and "stream:error" not in out, out
    return out


def offline_ids(s, sender, user, marker):
    """The ids of the messages stored offline for user, up to a marker
    sender stores now, after all that came before."""
    sender.send(msg("%s@example.org" % user, marker))
    c = Raw(s.ports["client"])
    c.login(user, user + "-pw", "check")
    c.send("<presence/>")
    got = c.expect(r"^(.*?<message[^>]*id='%s'.*?</message>)" %
                   marker).group(1)
    c.close()
    return re.findall(r"<message[^>]*\sid='([^']+)'", got)


def no_error(c, tag):
    pre = ping(c, tag).group(1)
    assert "type='error'" not in pre, pre
    return pre


def test_slixmpp_disconnect_one_delivery(s):
    """A client that does XEP-0198 (slixmpp) shows a message and
    disconnects normally, before any ack: the server asks, reads the
    ack after the client's closing tag, and nothing is left unacked: one
    delivery, nothing offline, no error to the sender."""
    import asyncio
    from xmppdtest import slix_login

    b = Raw(s.ports["client"])
    b.login("ivan", "ivan-pw", "to-hana")

    async def actions(c):
        got, seen = await slix_inbox(c, "id", 1)
        b.send(msg(str(c.boundjid), "live1"))
        await asyncio.wait_for(seen.wait(), 10)
        return got

    mark = s.mark()
    r = slix_login(s.ports["client"], "hana@example.org/slix", "hana-pw",
                   actions=actions, plugins=("xep_0198",))
    assert r["actions"] == ["live1"], r
    m = s.wait_log(r"stream (\d+)\[\d+\]: connection (\d+) from \S+: "
                   r"hana@example\.org logged in", after=mark)
    where = (int(m.group(1)), int(m.group(2)))
    assert handed_over(s, where, mark) == 0, s.log_tail()
    assert not s.log_has(r"stream error|unacked message to hana", after=mark)
    no_error(b, "hp")
    assert offline_ids(s, b, "hana", "hmark") == ["hmark"]
    b.close()


def test_ack_requested_after_a_second(s):
    """Unacked stanzas and then quiet: about a second later the server
    asks once for an ack (one <r/> for a burst, none before it)."""
    a, ja, _ = sm_online(s, "jo", "timer", presence=False)
    b = Raw(s.ports["client"])
    b.login("ivan", "ivan-pw", "to-jo")
    for i in range(3):
        b.send(msg(ja, "q%d" % i))
    got = a.expect(r"^(.*?id='q2'.*?</message>)").group(1)
    t0 = time.monotonic()
    assert "<r " not in got, got
    between = a.expect(r"^(.*?)<r xmlns='%s'/>" % NS, timeout=5).group(1)
    dt = time.monotonic() - t0
    assert between.strip() == "" and 0.5 < dt < 4, (dt, between)
    a.send("<a xmlns='%s' h='3'/>" % NS)
    # A new stanza (the ping's answer): asked again, after it.
    ping(a, "jp")
    rest = a.expect(r"^(.*?)<r xmlns='%s'/>" % NS, timeout=5).group(1)
    assert "<" not in rest, rest
    a.send("<a xmlns='%s' h='4'/>" % NS)
    a.send("<r xmlns='%s'/>" % NS)
    a.expect(r"<a xmlns='%s' h='1'/>" % NS)
    for c in (a, b):
        c.close()


def test_clean_close_final_ack(s):
    """A client closes its stream with stanzas unacked: the server asks,
    the client's answer after its closing tag acks them all, the server
    closes, nothing is kept offline or bounced."""
    mark = s.mark()
    a, ja, where = sm_online(s, "kim", "ack", presence=False)
    b = Raw(s.ports["client"])
    b.login("ivan", "ivan-pw", "to-kim")
    b.send(msg(ja, "k1"))
    b.send(msg(ja, "k2", body=False))
    a.expect(r"id='k2'")
    a.send(CLOSE)
    a.expect(r"<r xmlns='%s'/>" % NS)
    a.send("<a xmlns='%s' h='2'/>" % NS)
    out = a.closed(timeout=5)
    assert out.strip().endswith(CLOSE) and "stream:error" not in out, out
    assert handed_over(s, where, mark) == 0
    no_error(b, "kp")
    assert offline_ids(s, b, "kim", "kmark1") == ["kmark1"]
    b.close()


def test_clean_close_without_ack(s):
    """No final ack: the message with a body is kept offline, once; chat
    state, receipt and presence are dropped; the sender hears nothing."""
    mark = s.mark()
    a, ja, where = sm_online(s, "kim", "noack", presence=False)
    b = Raw(s.ports["client"])
    jb = b.login("ivan", "ivan-pw", "to-kim2")
    b.send(msg(ja, "n1"))
    b.send("<message to='%s' id='n2' type='chat'><composing xmlns='http://"
           "jabber.org/protocol/chatstates'/></message>" % ja)
    b.send("<message to='%s' id='n3'><received xmlns='urn:xmpp:receipts' "
           "id='n1'/></message>" % ja)
    b.send("<presence to='%s'/>" % ja)
    a.expect(r"<presence[^>]*from='%s'" % re.escape(jb))
    close_unacked(a)
    assert handed_over(s, where, mark) == 4
    j = re.escape(ja)
    s.wait_log(r"unacked presence to %s dropped" % j, after=mark)
    assert s.log_has(r"unacked message to %s kept offline" % j, after=mark)
    assert not s.log_has(r"unacked \w+ to %s bounced" % j, after=mark)
    no_error(b, "np")
    assert offline_ids(s, b, "kim", "kmark2") == ["n1", "kmark2"]
    b.close()


def test_clean_close_two_devices(s):
    """A message to the bare JID reaches two devices; each closes without
    acking it: it is kept offline once, not once per device."""
    mark = s.mark()
    m1, j1, _ = sm_online(s, "mia", "d1")
    m2, j2, _ = sm_online(s, "mia", "d2")
    b = Raw(s.ports["client"])
    b.login("ned", "ned-pw", "to-mia")
    b.send(msg("mia@example.org", "both1"))
    m1.expect(r"<message[^>]*id='both1'")
    m2.expect(r"<message[^>]*id='both1'")
    close_unacked(m1)
    s.wait_log(r"unacked message to mia@example\.org dropped: %s has it" %
               re.escape(j2), after=mark)
    close_unacked(m2)
    s.wait_log(r"unacked message to mia@example\.org kept offline",
               after=mark)
    no_error(b, "mp")
    assert offline_ids(s, b, "mia", "mmark") == ["both1", "mmark"]
    b.close()


def test_clean_close_carbon_seen(s):
    """A message to one device, carbon-copied to the other: the first
    closes without acking it, the other has it, nothing goes offline."""
    mark = s.mark()
    o1, j1, _ = sm_online(s, "ola", "c1", carbons=True)
    o2, j2, _ = sm_online(s, "ola", "c2", carbons=True)
    b = Raw(s.ports["client"])
    b.login("pat", "pat-pw", "to-ola")
    b.send(msg(j1, "cb1"))
    o1.expect(r"<message[^>]*id='cb1'")
    o2.expect(r"<received xmlns='urn:xmpp:carbons:2'>.*?id='cb1'")
    close_unacked(o1)
    s.wait_log(r"unacked message to %s dropped: %s has it" %
               (re.escape(j1), re.escape(j2)), after=mark)
    close_unacked(o2)
    s.wait_log(r"unacked message to %s dropped$" % re.escape(j2),
               after=mark)
    no_error(b, "op")
    assert offline_ids(s, b, "ola", "omark") == ["omark"]
    b.close()


def test_clean_close_carbon_unseen(s):
    """The other device waits for a resume: its carbon copy is unseen,
    so the message the first device did not ack is kept offline."""
    mark = s.mark()
    o1, j1, _ = sm_online(s, "sam", "c1", carbons=True)
    o2, j2, _ = sm_online(s, "sam", "c2", carbons=True)
    cut(s, o2, j2)
    b = Raw(s.ports["client"])
    b.login("pat", "pat-pw", "to-sam")
    b.send(msg(j1, "cu1"))
    o1.expect(r"<message[^>]*id='cu1'")
    close_unacked(o1)
    s.wait_log(r"unacked message to %s kept offline" % re.escape(j1),
               after=mark)
    assert not s.log_has(r"unacked message to %s dropped" % re.escape(j1),
                         after=mark)
    no_error(b, "sp")
    b.close()


def test_unacked_iq_answered(s):
    """An IQ request the client never answered nor acked gets its sender
    <service-unavailable/> when the session ends (RFC 6120 section
    8.2.3); an unacked IQ result is dropped."""
    mark = s.mark()
    a, ja, where = sm_online(s, "lee", "iq", presence=False)
    b = Raw(s.ports["client"])
    b.login("ivan", "ivan-pw", "to-lee")
    b.send("<iq type='get' id='liq' to='%s'><query xmlns='jabber:iq:"
           "version'/></iq>" % ja)
    b.send("<iq type='result' id='lres' to='%s'/>" % ja)
    a.expect(r"<iq[^>]*id='lres'")
    a.expect(r"<r xmlns='%s'/>" % NS, timeout=5)
    close_unacked(a)
    assert handed_over(s, where, mark) == 2
    m = b.expect(r"^(.*?)(<iq[^>]*id='liq'.*?</iq>)")
    assert "type='error'" in m.group(2) and \
        "<service-unavailable" in m.group(2), m.group(2)
    pre = m.group(1) + ping(b, "lp").group(1)
    assert "lres" not in pre and "type='error'" not in pre, pre
    b.close()


def test_close_wait_bounded(s):
    """A client that sends its closing tag and then nothing: the server
    closes after a bounded wait, keeps running, and the message goes
    offline."""
    mark = s.mark()
    a, ja, _ = sm_online(s, "quin", "silent", presence=False)
    b = Raw(s.ports["client"])
    b.login("ivan", "ivan-pw", "to-quin")
    b.send(msg(ja, "sq1"))
    a.expect(r"id='sq1'")
    a.send(CLOSE)
    a.expect(r"<r xmlns='%s'/>" % NS)
    t0 = time.monotonic()
    out = a.closed(timeout=10)
    assert out.endswith(CLOSE) and time.monotonic() - t0 < 8, out
    s.wait_log(r"unacked message to %s kept offline" % re.escape(ja),
               after=mark)
    assert s.proc.poll() is None
    assert offline_ids(s, b, "quin", "qmark") == ["sq1", "qmark"]
    b.close()


def test_close_wait_hostile(s):
    """What a closed client sends while the server waits for its ack:
    anything but an ack is dropped, never routed; a wrong ack, bad XML,
    too deep nesting end the stream with an error; nothing unacked is
    lost and the server keeps running."""
    b = Raw(s.ports["client"])
    jb = b.login("ivan", "ivan-pw", "to-ross")
    cases = [
        ("h1", "%s<a xmlns='%s' h='1'/>" % (msg(jb, "sneak"), NS), None),
        ("h2", "<a xmlns='%s' h='99'/>" % NS, r"<handled-count-too-high"),
        ("h3", "<<a/>", r"<stream:error><not-well-formed"),
        ("h4", "<a xmlns='%s' h='1'>%s" % (NS, "<x>" * 80),
         r"<stream:error><policy-violation"),
        ("h5", "<r xmlns='%s'/><enable xmlns='%s'/>%s" % (NS, NS, CLOSE),
         None),
    ]
    for res, after, err in cases:
        mark = s.mark()
        a, ja, where = sm_online(s, "ross", res, presence=False)
        b.send(msg(ja, res))
        a.expect(r"id='%s'" % res)
        a.send(CLOSE)
        a.expect(r"<r xmlns='%s'/>" % NS)
        a.send(after)
        out = a.closed(timeout=5)
        if err is None:
            assert out.strip() == CLOSE, (res, out)
        else:
            assert re.search(err, out), (res, out)
        n = handed_over(s, where, mark)
        assert n == (0 if res == "h1" else 1), (res, n)
        if n:
            s.wait_log(r"unacked message to %s kept offline" %
                       re.escape(ja), after=mark)
        assert s.proc.poll() is None
    pre = no_error(b, "rp")
    assert "sneak" not in pre, pre
    assert offline_ids(s, b, "ross", "rmark") == \
        ["h2", "h3", "h4", "h5", "rmark"]
    b.close()
