"""The features of a user's account across servers, between two xmppd
(a.test and b.test) federating with certificates from a test CA and
names from a test DNS server, and a raw server peer (r.test, proven by
SASL EXTERNAL) for what a hostile server would send: carbons (XEP-0280)
of messages to and from a remote contact, the archive (XEP-0313) with
the remote JID as "with", PEP (XEP-0163) for remote contacts, blocking
(XEP-0191) of a remote contact, and direct TLS for servers (XEP-0368)
answering with the ALPN protocol xmpp-server."""

import base64
import hashlib
import os
import re
import subprocess
import sys

from federation import Federation
from raws2s import S2SListener, S2SOut

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_s2s_presence import login, pres, subscribe  # noqa: E402

T = 30          # s2s links come up on first use
USERS = {"a.test": ("alice", "dave", "frank", "gina", "ivan", "kim"),
         "b.test": ("bob", "carol", "eve", "hal", "judy")}
NS_CARBONS = "urn:xmpp:carbons:2"
NS_MAM = "urn:xmpp:mam:2"
NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_NICK = "http://jabber.org/protocol/nick"
NS_CAPS = "http://jabber.org/protocol/caps"
NS_INFO = "http://jabber.org/protocol/disco#info"


def setup():
    fed = Federation()
    crt, key = fed.certificate("r.test")
    peer = S2SListener("r.test", crt, key)
    fed.publish("r.test", port=peer.port)
    servers = {"a.test": fed.xmppd("a.test"),
               "b.test": fed.xmppd("b.test", direct_tls=False)}
    fed.run(servers, USERS)
    return {"fed": fed, "servers": servers, "peer": peer,
            "cert": (crt, key)}


def teardown(env):
    env["peer"].close()
    env["fed"].close()


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


def chat(r, to, body):
    r.send("<message to='%s' type='chat'><body>%s</body></message>" %
           (to, body))


def carbons_on(r):
    r.send("<iq type='set' id='cb'><enable xmlns='%s'/></iq>" % NS_CARBONS)
    r.expect(r"<iq[^>]*id='cb'[^>]*type='result'|"
             r"<iq[^>]*type='result'[^>]*id='cb'")


def test_direct_tls_alpn(env):
    """openssl s_client against `listen ... server tls` with ALPN
    xmpp-server: the handshake completes, the protocol is xmpp-server,
    and the certificate is a.test's, good under the test CA."""
    s = env["servers"]["a.test"]
    p = subprocess.run(
        ["openssl", "s_client", "-connect",
         "127.0.0.1:%d" % s.ports["server_tls"], "-alpn", "xmpp-server",
         "-servername", "a.test", "-CAfile", env["fed"].ca_file,
         "-verify_return_error", "-verify_hostname", "a.test"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=T)
    out = p.stdout + p.stderr
    assert "ALPN protocol: xmpp-server" in out, out
    assert re.search(r"Verify return code: 0 \(ok\)", out), out


def test_carbons_across(env):
    """alice@a.test on two resources, bob@b.test on two, each one of
    them with carbons on: a message one sends the other gets as <sent/>,
    one the other receives as <received/>, across servers both ways."""
    a1 = login(env, "alice@a.test", res="c1")
    a2 = login(env, "alice@a.test", res="c2")
    b1 = login(env, "bob@b.test", res="c1")
    b2 = login(env, "bob@b.test", res="c2")
    try:
        carbons_on(a1)
        carbons_on(b1)
        chat(a2, "bob@b.test/c2", "to-bob")
        b2.expect(r"<message[^>]*from='alice@a\.test/c2'[^>]*>.*?to-bob",
                  timeout=T)
        a1.expect(r"<message[^>]*from='alice@a\.test'[^>]*>\s*<sent "
                  r"xmlns='%s'>\s*<forwarded[^>]*>\s*<message[^>]*"
                  r"to='bob@b\.test/c2'[^>]*>.*?to-bob" % NS_CARBONS,
                  timeout=T)
        b1.expect(r"<message[^>]*from='bob@b\.test'[^>]*>\s*<received "
                  r"xmlns='%s'>\s*<forwarded[^>]*>\s*<message[^>]*"
                  r"from='alice@a\.test/c2'[^>]*>.*?to-bob" % NS_CARBONS,
                  timeout=T)
        chat(b2, "alice@a.test/c2", "to-alice")
        a2.expect(r"<message[^>]*from='bob@b\.test/c2'[^>]*>.*?to-alice",
                  timeout=T)
        a1.expect(r"<message[^>]*from='alice@a\.test'[^>]*>\s*<received "
                  r"xmlns='%s'>\s*<forwarded[^>]*>\s*<message[^>]*"
                  r"from='bob@b\.test/c2'[^>]*>.*?to-alice" % NS_CARBONS,
                  timeout=T)
        b1.expect(r"<message[^>]*from='bob@b\.test'[^>]*>\s*<sent "
                  r"xmlns='%s'>\s*<forwarded[^>]*>\s*<message[^>]*"
                  r"to='alice@a\.test/c2'[^>]*>.*?to-alice" % NS_CARBONS,
                  timeout=T)
    finally:
        for r in (a1, a2, b1, b2):
            r.close()


def mam_with(r, qid, with_jid):
    """The archive of r's user with with_jid: the text of its results."""
    r.send("<iq type='set' id='%s'><query xmlns='%s' queryid='%s'>"
           "<x xmlns='jabber:x:data' type='submit'>"
           "<field var='FORM_TYPE' type='hidden'><value>%s</value></field>"
           "<field var='with'><value>%s</value></field></x></query></iq>"
           % (qid, NS_MAM, qid, NS_MAM, with_jid))
    m = r.expect(r"(.*?)<iq[^>]*id='%s'[^>]*>.*?<fin[^>]*complete='true'"
                 % qid, timeout=T)
    return m.group(1)


def test_mam_with_remote(env):
    """dave@a.test and carol@b.test write to each other: each archive
    keeps both directions, and a query with the other's bare JID finds
    them, and nothing of a third party."""
    d = login(env, "dave@a.test", res="m")
    c = login(env, "carol@b.test", res="m")
    try:
        chat(d, "carol@b.test", "mam-d2c")
        c.expect(r"mam-d2c", timeout=T)
        chat(c, "dave@a.test", "mam-c2d")
        d.expect(r"mam-c2d", timeout=T)
        chat(d, "gina@a.test", "mam-d2g")
        got = mam_with(d, "q1", "carol@b.test")
        assert re.search(r"<result[^>]*queryid='q1'.*?<message[^>]*"
                         r"to='carol@b\.test'[^>]*>.*?mam-d2c", got), got
        assert re.search(r"<result[^>]*queryid='q1'.*?<message[^>]*"
                         r"from='carol@b\.test/m'[^>]*>.*?mam-c2d",
                         got), got
        assert "mam-d2g" not in got, got
        got = mam_with(c, "q2", "dave@a.test")
        assert re.search(r"<message[^>]*from='dave@a\.test/m'[^>]*>.*?"
                         r"mam-d2c", got), got
        assert re.search(r"<message[^>]*to='dave@a\.test'[^>]*>.*?"
                         r"mam-c2d", got), got
    finally:
        d.close()
        c.close()


def test_blocking_remote_contact(env):
    """frank@a.test and eve@b.test, subscribed both ways; frank blocks
    eve: she gets his unavailable, then none of his presence, nor he
    hers; her message and her IQs to him bounce with
    <service-unavailable/> (XEP-0191 section 3.3), to his bare JID too;
    after the unblock both flow again."""
    f = login(env, "frank@a.test")
    e = login(env, "eve@b.test")
    g = login(env, "gina@a.test")
    try:
        subscribe(f, "frank@a.test", e, "eve@b.test")
        subscribe(e, "eve@b.test", f, "frank@a.test", back=True)
        pres(e, "frank@a.test/r")
        f.send("<iq type='set' id='bl1'><block xmlns='urn:xmpp:blocking'>"
               "<item jid='eve@b.test'/></block></iq>")
        f.expect(r"<iq[^>]*id='bl1'")
        pres(e, "frank@a.test/r", "unavailable")
        # Presence both ways, then what follows it on the same links.
        e.send("<presence><status>eve-hidden</status></presence>")
        f.send("<presence><status>frank-hidden</status></presence>")
        chat(e, "frank@a.test", "blocked-msg")
        e.expect(r"<message[^>]*type='error'[^>]*>.*?service-unavailable",
                 timeout=T)
        for i, (to, q) in enumerate((
                ("frank@a.test/r", "<ping xmlns='urn:xmpp:ping'/>"),
                ("frank@a.test", "<vCard xmlns='vcard-temp'/>"),
                ("frank@a.test", "<pubsub xmlns='%s'><items node='%s'/>"
                 "</pubsub>" % (NS_PUBSUB, NS_NICK)))):
            e.send("<iq type='get' id='bi%d' to='%s'>%s</iq>" % (i, to, q))
            m = e.expect(r"<iq[^>]*id='bi%d'[^>]*>.*?</iq>" % i,
                         timeout=T).group(0)
            assert "type='error'" in m and "service-unavailable" in m, m
        publish(f, "frank-hidden-nick")
        chat(g, "eve@b.test", "after-frank")
        seen = e.expect(r"(.*?)after-frank", timeout=T).group(1)
        assert "frank-hidden" not in seen, seen
        assert "frank-hidden-nick" not in seen, seen
        seen = alive(f, "fa")
        assert "eve-hidden" not in seen and "blocked-msg" not in seen, seen
        f.send("<iq type='set' id='bl2'><unblock xmlns='urn:xmpp:blocking'>"
               "<item jid='eve@b.test'/></unblock></iq>")
        f.expect(r"<iq[^>]*id='bl2'")
        pres(e, "frank@a.test/r")
        e.send("<presence><status>eve-seen</status></presence>")
        f.expect(r"<presence[^>]*from='eve@b\.test/r'[^>]*>.*?eve-seen",
                 timeout=T)
    finally:
        f.close()
        e.close()
        g.close()


def test_remote_carbon_forgery(env):
    """A remote server's message to alice@a.test carrying a <sent/>
    wrapper (a copy alice would seem to have sent, XEP-0280 section 11)
    is not a carbon: refused with <not-acceptable/>, nothing delivered,
    and the peer's next message arrives."""
    a = login(env, "alice@a.test", res="f")
    out = peer_in(env)
    try:
        carbons_on(a)
        out.send("<message from='mallory@r.test/x' to='alice@a.test/f' "
                 "type='chat' id='fc1'><sent xmlns='%s'><forwarded "
                 "xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' "
                 "from='alice@a.test/f' to='bob@b.test' type='chat'>"
                 "<body>forged-carbon</body></message></forwarded></sent>"
                 "</message>" % NS_CARBONS)
        env["peer"].wait(r"<message[^>]*id='fc1'[^>]*type='error'|"
                         r"<message[^>]*type='error'[^>]*id='fc1'")
        assert "not-acceptable" in env["peer"].received()
        out.send("<message from='mallory@r.test/x' to='alice@a.test/f' "
                 "type='chat'><body>plain-after</body></message>")
        seen = a.expect(r"(.*?)plain-after", timeout=T).group(1)
        assert "forged-carbon" not in seen, seen
    finally:
        a.close()
        out.close()


def test_remote_mam_result_injection(env):
    """A remote server's message carrying an archive <result/> (one
    that would show alice a message she never exchanged as her own,
    XEP-0313 section 8) is refused with <not-acceptable/>: not
    delivered, not archived."""
    a = login(env, "alice@a.test", res="i")
    out = peer_in(env)
    try:
        out.send("<message from='mallory@r.test/x' to='alice@a.test' "
                 "id='mi1'><result xmlns='%s' queryid='q' id='1'>"
                 "<forwarded xmlns='urn:xmpp:forward:0'><message "
                 "xmlns='jabber:client' from='alice@a.test/i' "
                 "to='bob@b.test' type='chat'><body>injected-result</body>"
                 "</message></forwarded></result><body>x</body></message>"
                 % NS_MAM)
        env["peer"].wait(r"<message[^>]*id='mi1'[^>]*type='error'|"
                         r"<message[^>]*type='error'[^>]*id='mi1'")
        assert "not-acceptable" in env["peer"].received()
        out.send("<message from='mallory@r.test/x' to='alice@a.test/i' "
                 "type='chat'><body>plain-after2</body></message>")
        seen = a.expect(r"(.*?)plain-after2", timeout=T).group(1)
        assert "injected-result" not in seen, seen
        got = mam_with(a, "q3", "mallory@r.test")
        assert "injected-result" not in got, got
        assert "plain-after2" in got, got
    finally:
        a.close()
        out.close()


def publish(r, nick, mark="pub"):
    r.send("<iq type='set' id='%s'><pubsub xmlns='%s'><publish "
           "node='%s'><item id='current'><nick xmlns='%s'>%s</nick></item>"
           "</publish></pubsub></iq>" % (mark, NS_PUBSUB, NS_NICK, NS_NICK,
                                         nick))
    r.expect(r"<iq[^>]*id='%s'[^>]*type='result'|"
             r"<iq[^>]*type='result'[^>]*id='%s'" % (mark, mark))


def event(r, owner, nick):
    """Wait for owner's nick event with nick on r."""
    return r.expect(r"<message[^>]*from='%s'[^>]*>\s*<event xmlns='%s#event'"
                    r">\s*<items node='%s'>\s*<item id='current'>\s*<nick "
                    r"xmlns='%s'>%s</nick>" % (re.escape(owner), NS_PUBSUB,
                                               NS_NICK, NS_NICK, nick),
                    timeout=T)


def caps(name, notify=True):
    """The features of a client called name, its caps presence's <c/>
    (XEP-0115 section 5) and its disco#info answer's <query/>."""
    feats = sorted([NS_CAPS, NS_INFO] + ([NS_NICK + "+notify"]
                                         if notify else []))
    s = "client/pc//%s<" % name + "".join(f + "<" for f in feats)
    ver = base64.b64encode(hashlib.sha1(s.encode()).digest()).decode()
    node = "http://test.example/" + name
    c = "<c xmlns='%s' hash='sha-1' node='%s' ver='%s'/>" % (NS_CAPS, node,
                                                           ver)
    q = ("<query xmlns='%s' node='%s#%s'><identity category='client' "
         "type='pc' name='%s'/>%s</query>" %
         (NS_INFO, node, ver, name,
          "".join("<feature var='%s'/>" % f for f in feats)))
    return ver, c, q


def answer_disco(r, query, count):
    """Answer count disco#info questions of servers to client r."""
    for _ in range(count):
        m = r.expect(r"<iq(?=[^>]*type='get')[^>]*>\s*<query xmlns='%s'"
                     % re.escape(NS_INFO), timeout=T).group(0)
        qid = re.search(r"id='([^']*)'", m).group(1)
        frm = re.search(r"from='([^']*)'", m).group(1)
        r.send("<iq type='result' id='%s' to='%s'>%s</iq>" % (qid, frm,
                                                             query))


def test_pep_across(env):
    """ivan@a.test and judy@b.test, subscribed both ways: each one's
    nick event reaches the other (XEP-0163 section 4.3), and each may
    fetch the other's items over s2s; a stranger on another server is
    refused them (presence access)."""
    i = login(env, "ivan@a.test")
    j = login(env, "judy@b.test")
    out = peer_in(env)
    try:
        subscribe(i, "ivan@a.test", j, "judy@b.test")
        subscribe(j, "judy@b.test", i, "ivan@a.test", back=True)
        # Each client's caps ask for nick events: its own server and the
        # other (over s2s) ask its disco#info.
        for r, name in ((i, "ivan-client"), (j, "judy-client")):
            _, c, q = caps(name)
            r.send("<presence>%s</presence>" % c)
            answer_disco(r, q, 2)
        publish(i, "ivan-nick")
        event(j, "ivan@a.test", "ivan-nick")
        publish(j, "judy-nick")
        event(i, "judy@b.test", "judy-nick")
        j.send("<iq type='get' id='it1' to='ivan@a.test'><pubsub "
               "xmlns='%s'><items node='%s'/></pubsub></iq>"
               % (NS_PUBSUB, NS_NICK))
        m = j.expect(r"<iq[^>]*id='it1'[^>]*>.*?</iq>", timeout=T).group(0)
        assert "type='result'" in m and "ivan-nick" in m, m
        out.send("<iq type='get' id='it2' from='mallory@r.test/x' "
                 "to='ivan@a.test'><pubsub xmlns='%s'><items node='%s'/>"
                 "</pubsub></iq>" % (NS_PUBSUB, NS_NICK))
        m = env["peer"].wait(r"<iq[^>]*id='it2'[^>]*>.*?</iq>").group(0)
        assert "type='error'" in m and "not-authorized" in m, m
        assert "ivan-nick" not in m, m
    finally:
        i.close()
        j.close()
        out.close()


def test_remote_pep_publish_forbidden(env):
    """A remote user may not publish to, retract from or delete a node
    of alice@a.test (XEP-0163 section 4.1, XEP-0060 7.1.3.1): each is
    <forbidden/>, and alice's node keeps her item."""
    a = login(env, "alice@a.test", res="p")
    out = peer_in(env)
    try:
        a.send("<iq type='set' id='pp0'><pubsub xmlns='%s'><publish "
               "node='%s'><item id='current'><nick xmlns='%s'>alice-nick"
               "</nick></item></publish></pubsub></iq>"
               % (NS_PUBSUB, NS_NICK, NS_NICK))
        a.expect(r"<iq[^>]*id='pp0'[^>]*type='result'|"
                 r"<iq[^>]*type='result'[^>]*id='pp0'")
        asks = (
            "<publish node='%s'><item id='current'><nick xmlns='%s'>"
            "evil-nick</nick></item></publish>" % (NS_NICK, NS_NICK),
            "<retract node='%s'><item id='current'/></retract>" % NS_NICK)
        for i, ask in enumerate(asks):
            out.send("<iq type='set' id='rp%d' from='mallory@r.test/x' "
                     "to='alice@a.test'><pubsub xmlns='%s'>%s</pubsub></iq>"
                     % (i, NS_PUBSUB, ask))
            m = env["peer"].wait(r"<iq[^>]*id='rp%d'[^>]*>.*?</iq>" %
                                 i).group(0)
            assert "type='error'" in m and "<forbidden" in m, m
        out.send("<iq type='set' id='rp9' from='mallory@r.test/x' "
                 "to='alice@a.test'><pubsub xmlns='%s#owner'><delete "
                 "node='%s'/></pubsub></iq>" % (NS_PUBSUB, NS_NICK))
        m = env["peer"].wait(r"<iq[^>]*id='rp9'[^>]*>.*?</iq>").group(0)
        assert "type='error'" in m and "<forbidden" in m, m
        a.send("<iq type='get' id='pp1'><pubsub xmlns='%s'><items "
               "node='%s'/></pubsub></iq>" % (NS_PUBSUB, NS_NICK))
        m = a.expect(r"<iq[^>]*id='pp1'[^>]*>.*?</iq>").group(0)
        assert "alice-nick" in m and "evil-nick" not in m, m
    finally:
        a.close()
        out.close()


def remote_caps_question(env, jid, mark):
    """a.test's disco#info question to remote resource jid: its id."""
    m = env["peer"].wait(r"<iq(?=[^>]*to='%s')(?=[^>]*type='get')[^>]*>"
                         r"\s*<query xmlns='%s'" % (re.escape(jid),
                                                    re.escape(NS_INFO)))
    return re.search(r"id='([^']*)'", m.group(0)).group(1)


def test_remote_caps_pep(env):
    """kim@a.test's nick events go to the resources of mallory@r.test
    whose caps, asked over s2s once per hash, say nick+notify (XEP-0163
    section 4.3.3, XEP-0115): a disco#info answer from another resource
    or with another id is not read, one that does not hash to the ver
    is not kept (the next resource is asked again), and a resource
    coming online with a known hash gets kim's last item."""
    s = env["servers"]["a.test"]
    k = login(env, "kim@a.test")
    out = peer_in(env)
    m = "mallory@r.test"
    try:
        out.send("<presence type='subscribe' from='%s' to='kim@a.test'/>"
                 % m)
        pres(k, m, "subscribe")
        k.send("<presence to='%s' type='subscribed'/>" % m)
        env["peer"].wait(r"<presence(?=[^>]*to='%s')(?=[^>]*type="
                         r"'subscribed')" % m)
        publish(k, "kim-nick-1", "kp1")
        ver, c, q = caps("mallory-client")
        mark = s.mark()
        out.send("<presence from='%s/x' to='kim@a.test'>%s</presence>" %
                 (m, c))
        qid = remote_caps_question(env, m + "/x", "x")
        # Not the resource asked, then not the id sent: not read.
        out.send("<iq type='result' id='%s' from='%s/w' to='a.test'>%s"
                 "</iq>" % (qid, m, q))
        s.wait_log(r"caps: an iq result from %s/w to a.test not asked" %
                   re.escape(m), after=mark)
        out.send("<iq type='result' id='%sx' from='%s/x' to='a.test'>%s"
                 "</iq>" % (qid, m, q))
        s.wait_log(r"caps: an iq result from %s/x to a.test not asked" %
                   re.escape(m), after=mark)
        # The resource asked, the id sent, features not hashing to ver.
        _, _, wrong = caps("mallory-client", notify=False)
        wrong = wrong.replace(caps("mallory-client", notify=False)[0], ver)
        out.send("<iq type='result' id='%s' from='%s/x' to='a.test'>%s"
                 "</iq>" % (qid, m, wrong))
        s.wait_log(r"caps: %s/x sent a disco#info not matching" %
                   re.escape(m), after=mark)
        # Not kept: /y with the same ver is asked, and answers right.
        out.send("<presence from='%s/y' to='kim@a.test'>%s</presence>" %
                 (m, c))
        qid = remote_caps_question(env, m + "/y", "y")
        out.send("<iq type='result' id='%s' from='%s/y' to='a.test'>%s"
                 "</iq>" % (qid, m, q))
        # /y came online with caps known: kim's last item.
        env["peer"].wait(r"<message(?=[^>]*to='%s/y')[^>]*>.*?kim-nick-1"
                         % m)
        # /n's caps ask for no nick events: asked, answered.
        _, cn, qn = caps("mallory-quiet", notify=False)
        out.send("<presence from='%s/n' to='kim@a.test'>%s</presence>" %
                 (m, cn))
        qid = remote_caps_question(env, m + "/n", "n")
        out.send("<iq type='result' id='%s' from='%s/n' to='a.test'>%s"
                 "</iq>" % (qid, m, qn))
        # /z, the same hash as /y, known: not asked, gets the last item
        # (and its presence came after /n's answer on the same stream).
        out.send("<presence from='%s/z' to='kim@a.test'>%s</presence>" %
                 (m, c))
        env["peer"].wait(r"<message(?=[^>]*to='%s/z')[^>]*>.*?kim-nick-1"
                         % m)
        publish(k, "kim-nick-2", "kp2")
        # /x named the hash /y proved: it wants the events too.
        for r in ("z", "y", "x"):
            env["peer"].wait(r"<message(?=[^>]*to='%s/%s')[^>]*>.*?"
                             r"kim-nick-2" % (m, r))
        got = env["peer"].received()
        assert not re.search(r"<iq(?=[^>]*to='%s/z')" % m, got), got
        to_n = re.findall(r"<message[^>]*to='%s/n'.*?</message>" % m, got)
        assert "kim-nick" not in "".join(to_n), got
        assert not re.search(r"to='%s' type='headline'>(?:(?!</message>)"
                             r".)*kim-nick-2" % m, got), got
    finally:
        k.close()
        out.close()


def test_remote_caps_flood(env):
    """A peer naming a new hash in each of many resources' presence has
    a few questions open at a time: the rest are not asked, the cache
    keeps its other hashes, and the server keeps serving."""
    s = env["servers"]["a.test"]
    k = login(env, "kim@a.test", res="f")
    out = peer_in(env)
    try:
        mark = s.mark()
        for i in range(40):
            ver, c, _ = caps("flood-%d" % i)
            out.send("<presence from='flood@r.test/%d' to='kim@a.test'>%s"
                     "</presence>" % (i, c))
        s.wait_log(r"caps: r\.test has too many questions open",
                   after=mark)
        alive(k, "fl1")
        env["peer"].wait(r"<iq(?=[^>]*to='flood@r\.test/7')")
        got = env["peer"].received()
        n = len(re.findall(r"<iq(?=[^>]*to='flood@r\.test/\d+')", got))
        assert n == 8, n
    finally:
        k.close()
        out.close()
