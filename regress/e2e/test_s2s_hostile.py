"""Federation's edges, with a raw server peer (regress/lib/raws2s.py)
that proves r.test with a certificate and SASL EXTERNAL, then sends
what a hostile or broken server would: presence from a domain it did
not prove or from ours, subscription answers nobody asked for, a probe
from a stranger, a stanza for a third domain, an oversized stanza, an
endless one, a flood.  Each gets its stream or stanza error and a log
line, nothing unproven reaches a user, and the server keeps serving.

i.test has a short idle timeout: its outbound link to r.test closes
while a stanza is on its way to it, and the stanza still goes out; the
same when r.test ends its stream."""

import re
import threading

from federation import Federation
from rawxmpp import Raw
from xmppdtest import add_user
from raws2s import S2SListener, S2SOut

T = 30          # s2s links come up on first use
STANZA_SIZE = 20000
RATE = 20000
BIG = 60000


def flood_count():
    """Messages of BIG bytes enough to fill what the kernel holds for a
    peer that does not read (the largest send buffer), and 1M more:
    what the stream holds itself stays under its bound (stanza size 1M)."""
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        wmem = int(f.read().split()[2])
    return (wmem + (1 << 20)) // BIG + 1


def setup():
    fed = Federation()
    crt, key = fed.certificate("r.test")
    peer = S2SListener("r.test", crt, key, rcvbuf=4096)
    fed.publish("r.test", port=peer.port)
    servers = {
        "a.test": fed.xmppd("a.test", direct_tls=False, body=(
            "limits {\n\tstanza size %d\n\tserver rate %d\n}\n" %
            (STANZA_SIZE, RATE))),
        "i.test": fed.xmppd("i.test", direct_tls=False, body=(
            "limits {\n\tserver idle timeout 3s\n\tclient rate 1G\n"
            "\tstanza size 1M\n}\n")),
    }
    fed.run(servers, {d: ("alice", "bob") for d in servers})
    return {"fed": fed, "servers": servers, "peer": peer,
            "cert": (crt, key)}


def teardown(env):
    env["peer"].close()
    env["fed"].close()


def login(env, jid, res="r"):
    user, domain = jid.split("@")
    r = Raw(env["servers"][domain].ports["client"], sni=domain)
    r.login(user, user + "-pw", resource=res, domain=domain)
    r.send("<iq type='get' id='r0'><query xmlns='jabber:iq:roster'/></iq>")
    r.expect(r"<iq[^>]*id='r0'[^>]*(/>|>.*?</iq>)")
    r.send("<presence/>")
    r.expect(r"<presence[^>]*from='%s/%s'" % (re.escape(jid), res))
    return r


def peer_in(env, to="a.test"):
    """r.test's stream to the server of to, proven by SASL EXTERNAL."""
    crt, key = env["cert"]
    return S2SOut(env["servers"][to].ports["server"], "r.test", to, crt,
                  key).external()


def alive(r, mark):
    """r's server answers a ping; returns what came before the answer."""
    r.send("<iq type='get' id='%s'><ping xmlns='urn:xmpp:ping'/></iq>" %
           mark)
    m = r.expect(r"<iq[^>]*id='%s'[^>]*/?>" % mark, timeout=T)
    return m.string[:m.start()]


def refused(env, out, cond, victim):
    """out's stream ends with the stream error cond, logged; victim
    got nothing in the meantime."""
    out.expect(r"<%s xmlns='urn:ietf:params:xml:ns:xmpp-streams'" % cond)
    out.closed()
    a = env["servers"]["a.test"]
    a.wait_log(r"s2s inbound connection \d+ from r\.test: stream error "
               r"%s" % cond)
    before = alive(victim, "alive-" + cond)
    assert "spoof" not in before, before


def test_presence_from_unproven_domain(env):
    """r.test proved itself, then sends presence from evil.test: the
    stream ends with <invalid-from/> (RFC 6120 4.9.3.9), and alice sees
    nothing of it."""
    al = login(env, "alice@a.test", "unproven")
    out = peer_in(env)
    try:
        out.send("<presence from='mallory@evil.test/spoof' "
                 "to='alice@a.test'/>")
        refused(env, out, "invalid-from", al)
    finally:
        out.close()
        al.close()


def test_presence_from_our_domain(env):
    """Presence that says it is from a user of a.test, over r.test's
    stream: <invalid-from/>, nothing delivered."""
    al = login(env, "alice@a.test", "ours")
    out = peer_in(env)
    try:
        out.send("<presence from='bob@a.test/spoof' to='alice@a.test'/>")
        refused(env, out, "invalid-from", al)
    finally:
        out.close()
        al.close()


def test_stanza_to_third_domain(env):
    """A stanza for a domain neither ours nor r.test's: a server does
    not relay between two others; the stream ends with <host-unknown/>
    (RFC 6120 8.1.1.2), nothing is sent on to the third domain."""
    al = login(env, "alice@a.test", "third")
    out = peer_in(env)
    a = env["servers"]["a.test"]
    mark = a.mark()
    try:
        out.send("<message from='x@r.test/r' to='y@third.test' "
                 "id='t1'><body>spoof-relay</body></message>")
        refused(env, out, "host-unknown", al)
        assert not a.log_has(r"third\.test: ", after=mark), a.log_tail()
    finally:
        out.close()
        al.close()


def _roster_item(r, jid, mark):
    r.send("<iq type='get' id='%s'><query xmlns='jabber:iq:roster'/></iq>"
           % mark)
    got = r.expect(r"<iq[^>]*id='%s'[^>]*(/>|>.*?</iq>)" % mark).group(0)
    m = re.search(r"<item[^>]*jid='%s'[^>]*>" % re.escape(jid), got)
    return m.group(0) if m else None


def test_unrequested_answers_ignored(env):
    """subscribed and unsubscribed with no request of alice's pending
    change nothing and reach nobody (RFC 6121 3.1.6, 3.2.3): her
    roster has no item for the sender; the request that follows them
    on the same stream arrives as the first thing she hears of it."""
    al = login(env, "alice@a.test", "unreq")
    out = peer_in(env)
    try:
        out.send("<presence from='carl@r.test' to='alice@a.test' "
                 "type='subscribed'/>")
        out.send("<presence from='carl@r.test' to='alice@a.test' "
                 "type='unsubscribed'/>")
        out.send("<presence from='carl@r.test' to='alice@a.test' "
                 "type='subscribe'/>")
        m = al.expect(r"<presence[^>]*from='carl@r\.test'[^>]*>", timeout=T)
        assert "type='subscribe'" in m.group(0), m.string
        assert "carl@r.test" not in m.string[:m.start()], m.string
        item = _roster_item(al, "carl@r.test", "unreq1")
        assert item is None or ("subscription='none'" in item and
                                "ask=" not in item), item
    finally:
        out.close()
        al.close()


def test_probe_from_stranger(env):
    """A probe from a JID alice never approved reveals nothing: a.test
    answers "unsubscribed" for her over its own link to r.test (RFC
    6121 4.3.2), and sends r.test none of her presence."""
    al = login(env, "alice@a.test", "probed")
    out = peer_in(env)
    peer = env["peer"]
    try:
        out.send("<presence from='paul@r.test' to='alice@a.test' "
                 "type='probe'/>")
        peer.wait(r"<presence[^>]*from='alice@a\.test'[^>]*"
                  r"to='paul@r\.test'[^>]*type='unsubscribed'|"
                  r"<presence[^>]*type='unsubscribed'[^>]*"
                  r"to='paul@r\.test'", timeout=T)
        got = peer.received()
        assert not re.search(r"<presence[^>]*from='alice@a\.test/", got), \
            got
        assert "paul@r.test" not in alive(al, "probed1")
    finally:
        out.close()
        al.close()


def test_probe_of_missing_account(env):
    """A probe of an account that was removed, or never was, gets the
    same "unsubscribed" a stranger's does (RFC 6121 4.3.2, 8.5.1): the
    prober cannot tell the two apart, nor learn anything else."""
    s = env["servers"]["a.test"]
    add_user(s, "gone@a.test", "gone-pw")
    s.ctl("user", "delete", "gone@a.test")
    out = peer_in(env)
    peer = env["peer"]
    try:
        for who in ("gone", "never"):
            out.send("<presence from='paul@r.test' to='%s@a.test' "
                     "type='probe'/>" % who)
            m = peer.wait(r"<presence[^>]*%s@a\.test[^>]*>" % who,
                          timeout=T).group(0)
            attrs = dict(re.findall(r"(\w+)='([^']*)'", m))
            assert m.endswith("/>") and attrs == {
                "type": "unsubscribed", "from": "%s@a.test" % who,
                "to": "paul@r.test"}, m
    finally:
        out.close()


def test_presence_from_stranger_delivered(env):
    """Available presence from a remote JID alice has no subscription
    with is directed presence, which RFC 6121 lets anyone send (4.6,
    and 8.5.2.1.2, 8.5.3.1: delivered to her available resources); what
    she wants kept out, she blocks (XEP-0191), and then it is."""
    al = login(env, "alice@a.test", "strange")
    out = peer_in(env)
    try:
        out.send("<presence from='sam@r.test/x' to='alice@a.test/strange'>"
                 "<status>hello-1</status></presence>")
        al.expect(r"<presence[^>]*from='sam@r\.test/x'[^>]*>.*?hello-1",
                  timeout=T)
        al.send("<iq type='set' id='blk'><block xmlns='urn:xmpp:blocking'>"
                "<item jid='sam@r.test'/></block></iq>")
        al.expect(r"<iq[^>]*id='blk'")
        out.send("<presence from='sam@r.test/x' to='alice@a.test/strange'>"
                 "<status>hello-2</status></presence>")
        out.send("<message from='sam@r.test/x' to='alice@a.test/strange'>"
                 "<body>order-mark</body></message>")
        before = alive(al, "strange1")
        assert "hello-2" not in before and "order-mark" not in before, \
            before
    finally:
        out.close()
        al.close()


def test_oversized_stanza(env):
    """A stanza past the stanza size limit ends the stream with
    <policy-violation/>; nothing of it is delivered."""
    al = login(env, "alice@a.test", "big")
    out = peer_in(env)
    try:
        out.send("<message from='x@r.test/r' to='alice@a.test/big'><body>"
                 "spoof" + "x" * (2 * STANZA_SIZE) + "</body></message>")
        refused(env, out, "policy-violation", al)
    finally:
        out.close()
        al.close()


def test_endless_stanza(env):
    """A stanza that does not end (children after children, no end
    tag) is cut at the size limit, not read until it ends: the stream
    ends with <policy-violation/> and nothing of it is delivered."""
    al = login(env, "alice@a.test", "endless")
    out = peer_in(env)
    try:
        out.send("<message from='x@r.test/r' to='alice@a.test/endless'>" +
                 "<x>spoof</x>" * (STANZA_SIZE // 10))
        refused(env, out, "policy-violation", al)
    finally:
        out.close()
        al.close()


def test_flood_past_server_rate(env):
    """A peer sending past 'server rate' is slowed, not cut: its
    stream pauses (logged), every message arrives in order, and others
    are served meanwhile."""
    a = env["servers"]["a.test"]
    al = login(env, "alice@a.test", "flood")
    bob = login(env, "bob@a.test", "flood")
    out = peer_in(env)
    n, body = 40, "f" * 2000       # four times the rate, at once
    mark = a.mark()

    def pour():
        try:
            for i in range(n):
                out.send("<message from='x@r.test/r' to='alice@a.test/flood'"
                         " id='fl%d'><body>%s-%d</body></message>" %
                         (i, body, i))
        except OSError:
            pass

    out.sock.settimeout(60)
    t = threading.Thread(target=pour, daemon=True)
    t.start()
    try:
        a.wait_log(r"s2s connection \d+: over its rate", after=mark)
        alive(bob, "flood-bob")
        for i in range(n):
            al.expect(r"<message[^>]*id='fl%d'" % i, timeout=T)
        assert not a.log_has(r"stream error", after=mark), a.log_tail()
    finally:
        t.join(10)
        out.close()
        al.close()
        bob.close()


def _busy_link(env, al, tag):
    """i.test's link to r.test, up, with more written to it than the
    held peer's buffers take: it cannot finish closing while held."""
    peer = env["peer"]
    al.send("<message to='x@r.test' id='%s0'><body>%s-first</body>"
            "</message>" % (tag, tag))
    peer.wait(r"%s-first" % tag, timeout=T)
    old = [c for c in peer.conns if "%s-first" % tag in c.data][0]
    peer.hold()
    n, big = flood_count(), "y" * BIG
    for i in range(n):
        al.send("<message to='x@r.test' id='%sf%d'><body>%s %s-flood-%d"
                "</body></message>" % (tag, i, big, tag, i))
    return old, n


def _nothing_lost(env, al, tag, old, n):
    """The stanza sent as the link ended arrives (on a new link), and
    so does every one written before the end."""
    peer = env["peer"]
    al.send("<message to='x@r.test' id='%s1'><body>%s-late</body>"
            "</message>" % (tag, tag))
    peer.release()
    peer.wait(r"%s-late" % tag, timeout=T)
    peer.wait_closed(old, timeout=T)
    got = len(re.findall(r"%s-flood-\d+<" % tag, peer.received()))
    assert got == n, "%d of %d" % (got, n)
    assert "type='error'" not in alive(al, tag + "-alive")


def test_idle_close_loses_nothing(env):
    """i.test's link to r.test goes idle while a stanza is on its way to
    it: the stream asks the router first, the router stops using it,
    and the stanza goes on a new link; what was written before the
    close arrives too.  The peer stops reading so that the old stream
    cannot close before the stanza is routed."""
    s = env["servers"]["i.test"]
    al = login(env, "alice@i.test", "idle")
    try:
        mark = s.mark()
        old, n = _busy_link(env, al, "idle")
        s.wait_log(r"s2s (outbound )?connection \d+ (to|with) r\.test: "
                   r"idle", after=mark, timeout=T)
        _nothing_lost(env, al, "idle", old, n)
        s.wait_log(r"s2s outbound connection \d+ to r\.test: idle, the "
                   r"router is told", after=mark)
    finally:
        env["peer"].release()
        al.close()


def test_peer_close_loses_nothing(env):
    """r.test ends its stream while i.test's link is busy: i.test may
    finish sending before it closes its own (RFC 6120 4.4), and the
    router lets go of the link first, so the stanza sent in that moment
    goes on a new link and nothing written before is lost."""
    s = env["servers"]["i.test"]
    peer = env["peer"]
    al = login(env, "alice@i.test", "pclose")
    try:
        mark = s.mark()
        old, n = _busy_link(env, al, "pclose")
        peer.wait_parked(old)
        peer.send(old, "</stream:stream>")
        s.wait_log(r"s2s outbound connection \d+ to r\.test: closed by "
                   r"the peer, the router is told", after=mark, timeout=T)
        _nothing_lost(env, al, "pclose", old, n)
    finally:
        peer.release()
        al.close()
