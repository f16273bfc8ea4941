"""Presence and subscriptions across servers (RFC 6121 sections 3 and
4) between two xmppd, a.test and b.test, federating with certificates
from a test CA and names from a test DNS server: requests and their
answers change both rosters and cross over s2s, a request for a user
who is offline waits for that user, presence goes to remote contacts
along the subscriptions, probes are sent and answered across, and
directed presence to a remote JID is ended when its session goes."""

import re

from federation import Federation
from rawxmpp import Raw

NS = "jabber:iq:roster"
T = 30          # s2s links come up on first use
USERS = {"a.test": ("alice", "dave", "frank", "gina"),
         "b.test": ("bob", "carol", "eve", "hal")}


def setup():
    fed = Federation()
    servers = fed.run({d: fed.xmppd(d, direct_tls=False) for d in USERS},
                      USERS)
    return {"fed": fed, "servers": servers}


def teardown(env):
    env["fed"].close()


def login(env, jid, res="r", presence=True):
    user, domain = jid.split("@")
    r = Raw(env["servers"][domain].ports["client"], sni=domain)
    r.login(user, user + "-pw", resource=res, domain=domain)
    r.send("<iq type='get' id='r0'><query xmlns='%s'/></iq>" % NS)
    r.expect(r"<iq[^>]*id='r0'[^>]*(/>|>.*?</iq>)")
    if presence:
        r.send("<presence/>")
        r.expect(r"<presence[^>]*from='%s/%s'" % (re.escape(jid), res))
    return r


def push(r, jid, sub, ask=False):
    """Wait for the roster push of jid with subscription sub."""
    m = r.expect(r"<iq[^>]*type='set'[^>]*>\s*<query xmlns='%s'[^>]*>"
                 r"\s*<item[^>]*jid='%s'[^>]*subscription='%s'[^>]*>" %
                 (NS, re.escape(jid), sub), timeout=T).group(0)
    assert ("ask='subscribe'" in m) == ask, m
    return m


def pres(r, frm, typ=None):
    """Wait for presence from frm (a bare JID matches its resources)
    of type typ (None: available)."""
    t = r"type='%s'" % typ if typ else r"(?!type=)"
    return r.expect(r"<presence(?=[^>]*from='%s[/']) (?:(?!type=)[^>])*%s"
                    % (re.escape(frm), t) if typ is None else
                    r"<presence(?=[^>]*from='%s[/'])(?=[^>]*%s)" %
                    (re.escape(frm), t), timeout=T).group(0)


def subscribe(a, ajid, b, bjid, back=False):
    """a (of ajid) asks b (of bjid), which approves; with back, b had
    asked a before.  Returns what a read before "subscribed"."""
    a.send("<presence to='%s' type='subscribe'/>" % bjid)
    push(a, bjid, "from" if back else "none", ask=True)
    pres(b, ajid, "subscribe")
    b.send("<presence to='%s' type='subscribed'/>" % ajid)
    push(b, ajid, "both" if back else "from")
    before = a.expect(r"(.*?)<presence(?=[^>]*from='%s')"
                      r"(?=[^>]*type='subscribed')" % re.escape(bjid),
                      timeout=T).group(1)
    push(a, bjid, "both" if back else "to")
    return before


def test_subscribe_across_and_presence(env):
    """alice@a.test asks bob@b.test, who approves: both rosters change,
    and alice gets bob's presence; then bob asks alice back: both.
    Presence changes cross; then each cancellation crosses too."""
    a = login(env, "alice@a.test")
    b = login(env, "bob@b.test")
    try:
        subscribe(a, "alice@a.test", b, "bob@b.test")
        pres(a, "bob@b.test/r")
        subscribe(b, "bob@b.test", a, "alice@a.test", back=True)
        pres(b, "alice@a.test/r")
        # Broadcast along the subscription: a change crosses over.
        a.send("<presence><show>away</show></presence>")
        m = b.expect(r"<presence[^>]*from='alice@a\.test/r'[^>]*>"
                     r"\s*<show>away</show>", timeout=T)
        assert m
        # alice ends her subscription to bob (3.3), then bob's to her
        # (3.2), who then hears she is unavailable to him.
        a.send("<presence to='bob@b.test' type='unsubscribe'/>")
        push(a, "bob@b.test", "from")
        pres(b, "alice@a.test", "unsubscribe")
        push(b, "alice@a.test", "to")
        a.send("<presence to='bob@b.test' type='unsubscribed'/>")
        push(a, "bob@b.test", "none")
        pres(b, "alice@a.test", "unsubscribed")
        push(b, "alice@a.test", "none")
        pres(b, "alice@a.test/r", "unavailable")
    finally:
        a.close()
        b.close()


def test_logout_login_probe(env):
    """dave@a.test and carol@b.test, subscribed both ways: carol's
    logout reaches dave as unavailable (4.5); at carol's next login her
    presence reaches dave and dave's reaches her, answering the probe
    her server sent (4.3)."""
    d = login(env, "dave@a.test")
    c = login(env, "carol@b.test")
    subscribe(d, "dave@a.test", c, "carol@b.test")
    subscribe(c, "carol@b.test", d, "dave@a.test", back=True)
    c.close()
    try:
        pres(d, "carol@b.test/r", "unavailable")
        c = login(env, "carol@b.test", res="again", presence=False)
        c.send("<presence/>")
        pres(d, "carol@b.test/again")
        pres(c, "dave@a.test/r")
    finally:
        d.close()
        c.close()


def test_request_waits_for_offline_user(env):
    """A request from frank@a.test for eve@b.test, who is offline, is
    kept and given to eve when she comes."""
    f = login(env, "frank@a.test")
    try:
        f.send("<presence to='eve@b.test' type='subscribe'/>")
        push(f, "eve@b.test", "none", ask=True)
        # b.test answers after it has taken the request, while eve is
        # still away.
        f.send("<iq type='get' id='p1' to='b.test'>"
               "<ping xmlns='urn:xmpp:ping'/></iq>")
        f.expect(r"<iq[^>]*id='p1'", timeout=T)
        e = login(env, "eve@b.test", presence=False)
        try:
            e.send("<presence/>")
            pres(e, "frank@a.test", "subscribe")
            e.send("<presence to='frank@a.test' type='unsubscribed'/>")
            m = pres(f, "eve@b.test", "unsubscribed")
            assert m
            push(f, "eve@b.test", "none")
        finally:
            e.close()
    finally:
        f.close()


def test_probe_and_request_unauthorised(env):
    """Without a subscription, a probe across reveals no presence
    (4.3.2): hal's presence reaches gina only once hal approves her
    request, which crosses after the probe.  A request for an account
    that does not exist is refused with "unsubscribed" (8.5.1)."""
    g = login(env, "gina@a.test")
    h = login(env, "hal@b.test")
    try:
        g.send("<presence to='hal@b.test' type='probe'/>")
        before = subscribe(g, "gina@a.test", h, "hal@b.test")
        assert "hal@b.test/r" not in before, before
        pres(g, "hal@b.test/r")
        g.send("<presence to='nobody@b.test' type='subscribe'/>")
        push(g, "nobody@b.test", "none", ask=True)
        pres(g, "nobody@b.test", "unsubscribed")
        push(g, "nobody@b.test", "none")
    finally:
        g.close()
        h.close()


def test_directed_presence_ended(env):
    """Directed presence from frank@a.test to carol@b.test/d, neither
    subscribed to the other: delivered, and ended by an unavailable
    when frank's session goes (4.6)."""
    c = login(env, "carol@b.test", res="d")
    f = login(env, "frank@a.test", res="d")
    try:
        f.send("<presence to='carol@b.test/d'><status>hi</status>"
               "</presence>")
        c.expect(r"<presence[^>]*from='frank@a\.test/d'[^>]*>.*?hi",
                 timeout=T)
        f.close()
        pres(c, "frank@a.test/d", "unavailable")
    finally:
        c.close()
