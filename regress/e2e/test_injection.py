"""No stanza injection through a resource (issue 12): a user binds
resources holding ' " < > & and a whole forged stanza, and every stanza
the server generates about those sessions -- presence and its echo,
probe answers, unavailable (sent, on disconnect, after a directed
presence), subscription states, roster pushes, carbons, archive
results, stanza and stream errors, the keepalive ping -- reaches the
other side well-formed, read by a real XML parser, with the resource
intact and nothing forged."""

import socket
import time
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from rawxmpp import Raw
from xmppdtest import TIMEOUT, started

DOMAIN = "example.org"
INJECT = ("r'/><message from='admin@example.org' to='victim@example.org' "
          "type='chat'><body>forged</body></message><presence x='")
CHARS = "a'b\"c<d>e&f"
EVIL = ["mallory@%s/%s" % (DOMAIN, r) for r in (INJECT, CHARS)]

C = "{jabber:client}"
STREAMS = "{http://etherx.jabber.org/streams}"
NS_ROSTER = "jabber:iq:roster"
NS_CARBONS = "urn:xmpp:carbons:2"
NS_MAM = "urn:xmpp:mam:2"
NS_FWD = "{urn:xmpp:forward:0}"


def attr(s):
    """s as a single-quoted attribute value."""
    return escape(s, {"'": "&apos;", '"': "&quot;"})


class Client:
    """A client whose stream, from the server's header after SASL on,
    is read by expat through ElementTree: every stanza is an element
    tree, or the test fails as not well-formed."""

    def __init__(self, s, user, resource, presence=True, roster=True,
                 carbons=False):
        self.s = s
        self.raw = Raw(s.ports["client"])
        self.raw.starttls()
        self.raw.header()
        assert self.raw.auth_plain(user, user + "-pw").group(1) == \
            "success"
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.root = None
        self.queue = []         # stanzas not yet taken
        self.all = []           # every stanza, for the final checks
        self.closed = False
        self.feed(self.raw.buf)
        self.raw.send("<?xml version='1.0'?><stream:stream to='%s' "
                      "version='1.0' xmlns='jabber:client' xmlns:stream="
                      "'http://etherx.jabber.org/streams'>" % DOMAIN)
        self.take(lambda e: e.tag == STREAMS + "features")
        self.raw.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:"
                      "params:xml:ns:xmpp-bind'><resource>%s</resource>"
                      "</bind></iq>" % escape(resource))
        r = self.iq_result("bind")
        self.jid = r.find(".//{urn:ietf:params:xml:ns:xmpp-bind}jid").text
        assert self.jid == "%s@%s/%s" % (user, DOMAIN, resource), self.jid
        assert r.get("to") == self.jid, r.get("to")
        if roster:
            self.raw.send("<iq type='get' id='roster'><query xmlns='%s'/>"
                          "</iq>" % NS_ROSTER)
            self.iq_result("roster")
        if carbons:
            self.raw.send("<iq type='set' id='carbons'><enable xmlns='%s'"
                          "/></iq>" % NS_CARBONS)
            self.iq_result("carbons")
        if presence:
            self.raw.send("<presence/>")
            # The echo of its own presence (RFC 6121 4.2.2).
            self.take(lambda e: presence_from(e, self.jid))

    def feed(self, data):
        if not data:
            return
        try:
            self.parser.feed(data)
            for ev, el in self.parser.read_events():
                if ev == "start":
                    self.depth += 1
                    if self.depth == 1:
                        self.root = el
                    continue
                self.depth -= 1
                if self.depth == 1:
                    self.root.remove(el)
                    self.queue.append(el)
                    self.all.append(el)
                elif self.depth == 0:
                    self.closed = True
        except ET.ParseError as e:
            raise AssertionError("%s: not well-formed: %s" % (self.jid_or(),
                                                              e))

    def jid_or(self):
        return getattr(self, "jid", "a client")

    def read(self, deadline):
        self.raw.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.raw.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return
        self.feed(data)

    def take(self, pred, timeout=TIMEOUT, what=None):
        """The first stanza that pred accepts; those before it stay."""
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.queue):
                if pred(e):
                    del self.queue[i]
                    return e
            if self.closed or time.monotonic() >= deadline:
                raise AssertionError("%s: no %s; got %s" % (
                    self.jid_or(), what or "such stanza",
                    [ET.tostring(e)[:300] for e in self.queue[-8:]]))
            self.read(deadline)

    def iq_result(self, iqid):
        e = self.take(lambda e: e.tag == C + "iq" and e.get("id") == iqid,
                      what="answer to %s" % iqid)
        assert e.get("type") == "result", ET.tostring(e)
        return e

    def sync(self, tag):
        """Everything sent before now has been read."""
        self.raw.send("<iq type='get' id='%s' to='%s'><ping xmlns="
                      "'urn:xmpp:ping'/></iq>" % (tag, DOMAIN))
        self.iq_result(tag)

    def send(self, data):
        self.raw.send(data)

    def close(self):
        self.raw.close()


def presence_from(e, jid, type=None):
    return (e.tag == C + "presence" and e.get("from") == jid and
            e.get("type") == type)


def check(*clients):
    """Nothing forged, and every JID of mallory's sessions intact."""
    for c in clients:
        for stanza in c.all:
            for e in stanza.iter():
                values = [e.get(a) for a in ("from", "to", "jid", "by")]
                if e.tag.endswith("}jid"):
                    values.append(e.text)
                for v in values:
                    if v is not None and v.startswith("mallory@%s/" %
                                                      DOMAIN):
                        assert v in EVIL, (c.jid, v)
                assert e.get("x") is None, ET.tostring(stanza)
                assert e.get("from") != "admin@%s" % DOMAIN, \
                    ET.tostring(stanza)
                assert e.text != "forged", ET.tostring(stanza)


def setup():
    s = started(("mallory", "victim", "watcher"), prefork=2)
    # Mallory and the victim see each other's presence.
    m = Client(s, "mallory", "plain")
    v = Client(s, "victim", "plain")
    subscribe(m, v)
    subscribe(v, m)
    m.close()
    v.close()
    return s


def teardown(s):
    s.stop()


def subscribe(a, b):
    """a subscribes to b's presence, b approves."""
    bare = b.jid.split("/")[0]
    a.send("<presence to='%s' type='subscribe'/>" % bare)
    b.take(lambda e: e.tag == C + "presence" and
           e.get("type") == "subscribe", what="subscribe")
    b.send("<presence to='%s' type='subscribed'/>" % a.jid.split("/")[0])
    a.take(lambda e: e.tag == C + "presence" and
           e.get("type") == "subscribed", what="subscribed")


def test_presence_probes_and_unavailable(s):
    v = Client(s, "victim", "v")
    w = Client(s, "watcher", "w")
    m1 = Client(s, "mallory", INJECT)
    m2 = Client(s, "mallory", CHARS)
    # Broadcast presence, to the contact and the other resource.
    for jid in EVIL:
        v.take(lambda e: presence_from(e, jid), what="presence of mallory")
    m1.take(lambda e: presence_from(e, EVIL[1]))
    m2.take(lambda e: presence_from(e, EVIL[0]))
    # The server's probes at login, and a client's probe.
    v2 = Client(s, "victim", "v2")
    for jid in EVIL:
        v2.take(lambda e: presence_from(e, jid), what="probe answer")
    v2.send("<presence type='probe' to='mallory@%s'/>" % DOMAIN)
    for jid in EVIL:
        v2.take(lambda e: presence_from(e, jid), what="probe answer")
    # Directed presence, then the unavailable that ends it.
    m1.send("<presence to='watcher@%s/w'><status>hi</status></presence>" %
            DOMAIN)
    w.take(lambda e: presence_from(e, EVIL[0]), what="directed presence")
    m1.close()
    for c in (v, v2, w, m2):
        c.take(lambda e: presence_from(e, EVIL[0], "unavailable"),
               what="unavailable on disconnect")
    # Unavailable sent by the client.
    m2.send("<presence type='unavailable'/>")
    for c in (v, v2):
        c.take(lambda e: presence_from(e, EVIL[1], "unavailable"),
               what="unavailable")
    for c in (v, v2, w):
        c.sync("s")
    check(v, v2, w, m2)
    for c in (v, v2, w, m2):
        c.close()


def test_subscription_states_and_pushes(s):
    v = Client(s, "victim", "v")
    m1 = Client(s, "mallory", INJECT)
    m2 = Client(s, "mallory", CHARS)

    def pushed(c, sub):
        e = c.take(lambda e: e.tag == C + "iq" and e.get("type") == "set"
                   and e.find("{%s}query/{%s}item" % (NS_ROSTER, NS_ROSTER))
                   is not None, what="roster push")
        assert e.get("to") == c.jid, e.get("to")
        item = e.find("{%s}query/{%s}item" % (NS_ROSTER, NS_ROSTER))
        assert item.get("subscription") == sub, ET.tostring(e)
        c.send("<iq type='result' id='%s'/>" % attr(e.get("id")))

    # Mallory cancels the victim's subscription: her resources go
    # unavailable for the victim.
    m1.send("<presence to='victim@%s' type='unsubscribed'/>" % DOMAIN)
    v.take(lambda e: e.get("type") == "unsubscribed", what="unsubscribed")
    for jid in EVIL:
        v.take(lambda e: presence_from(e, jid, "unavailable"),
               what="unavailable after unsubscribed")
    for c in (m1, m2):
        pushed(c, "to")
    # The victim asks again; mallory approves: her presence comes.
    v.send("<presence to='mallory@%s' type='subscribe'/>" % DOMAIN)
    for c in (m1, m2):
        c.take(lambda e: e.get("type") == "subscribe", what="subscribe")
    m2.send("<presence to='victim@%s' type='subscribed'/>" % DOMAIN)
    for c in (m1, m2):
        pushed(c, "both")
    for jid in EVIL:
        v.take(lambda e: presence_from(e, jid), what="presence")
    # The victim unsubscribes: unavailable again, made by the server.
    v.send("<presence to='mallory@%s' type='unsubscribe'/>" % DOMAIN)
    for c in (m1, m2):
        c.take(lambda e: e.get("type") == "unsubscribe",
               what="unsubscribe")
        pushed(c, "to")
    for jid in EVIL:
        v.take(lambda e: presence_from(e, jid, "unavailable"),
               what="unavailable after unsubscribe")
    # And back as it was.
    subscribe(v, m1)
    for c in (m1, m2):
        pushed(c, "both")
    # A roster set of her own is pushed to both resources.
    m1.send("<iq type='set' id='set'><query xmlns='%s'><item jid='x@%s' "
            "name='%s'/></query></iq>" % (NS_ROSTER, DOMAIN, attr(CHARS)))
    for c in (m1, m2):
        pushed(c, "none")
    m1.iq_result("set")
    for c in (v, m1, m2):
        c.sync("s")
    check(v, m1, m2)
    for c in (v, m1, m2):
        c.close()


def test_carbons_archive_and_errors(s):
    v = Client(s, "victim", "v")
    m1 = Client(s, "mallory", INJECT, carbons=True)
    m2 = Client(s, "mallory", CHARS, carbons=True)
    # Sent: a copy for the other resource.
    m1.send("<message to='victim@%s/v' id='out' type='chat'><body>out"
            "</body></message>" % DOMAIN)
    e = v.take(lambda e: e.get("id") == "out", what="message")
    assert e.get("from") == EVIL[0], e.get("from")
    e = m2.take(lambda e: e.find("{%s}sent" % NS_CARBONS) is not None,
                what="sent carbon")
    inner = e.find("{%s}sent/%sforwarded/%smessage" % (NS_CARBONS, NS_FWD,
                                                        C))
    assert inner.get("from") == EVIL[0] and e.get("to") == EVIL[1], \
        ET.tostring(e)
    # Received: the message to one resource, a copy for the other.
    v.send("<message to='%s' id='in' type='chat'><body>in</body>"
           "</message>" % attr(EVIL[0]))
    e = m1.take(lambda e: e.get("id") == "in", what="message")
    assert e.get("to") == EVIL[0], e.get("to")
    e = m2.take(lambda e: e.find("{%s}received" % NS_CARBONS) is not None,
                what="received carbon")
    inner = e.find("{%s}received/%sforwarded/%smessage" % (
        NS_CARBONS, NS_FWD, C))
    assert inner.get("to") == EVIL[0], ET.tostring(e)
    # The archive gives both back.
    m2.send("<iq type='set' id='mam'><query xmlns='%s' queryid='q'/></iq>"
            % NS_MAM)
    fin = m2.iq_result("mam")
    assert fin.get("to") == EVIL[1], fin.get("to")
    found = {}
    for r in [x for x in m2.all if x.find("{%s}result" % NS_MAM)
              is not None]:
        assert r.get("to") == EVIL[1], r.get("to")
        msg = r.find("{%s}result/%sforwarded/%smessage" % (NS_MAM, NS_FWD,
                                                           C))
        found[msg.get("id")] = msg
    assert found["out"].get("from") == EVIL[0], found.keys()
    assert found["in"].get("to") == EVIL[0], found.keys()
    # Errors: a message to no one, presence to a domain not served here.
    m1.send("<message to='nobody@%s' id='lost' type='chat'><body>x</body>"
            "</message>" % DOMAIN)
    e = m1.take(lambda e: e.get("id") == "lost", what="error")
    assert e.get("type") == "error" and e.get("to") == EVIL[0], \
        ET.tostring(e)
    m2.send("<presence to='someone@elsewhere.example' id='far'/>")
    e = m2.take(lambda e: e.get("id") == "far", what="error")
    assert e.get("type") == "error" and e.get("to") == EVIL[1], \
        ET.tostring(e)
    for c in (v, m1, m2):
        c.sync("s")
    check(v, m1, m2)
    for c in (v, m1, m2):
        c.close()


def test_ping_and_stream_errors(s):
    m = Client(s, "mallory", INJECT, presence=False)
    # Quiet for 8 s in regress builds: the server's ping (XEP-0199).
    e = m.take(lambda e: e.tag == C + "iq" and e.get("type") == "get" and
               e.find("{urn:xmpp:ping}ping") is not None, timeout=30,
               what="the server's ping")
    assert e.get("to") == EVIL[0] and e.get("from") == DOMAIN, e.attrib
    m.send("<iq type='result' id='%s' to='%s'/>" % (attr(e.get("id")),
                                                    DOMAIN))
    # The same resource again: the old stream ends with a conflict.
    m2 = Client(s, "mallory", INJECT, presence=False)
    e = m.take(lambda e: e.tag == STREAMS + "error", what="stream error")
    assert e.find("{urn:ietf:params:xml:ns:xmpp-streams}conflict") is \
        not None, ET.tostring(e)
    # An administrator's kick, by that JID.
    s.ctl("kick", EVIL[0])
    e = m2.take(lambda e: e.tag == STREAMS + "error", what="stream error")
    assert e.find("{urn:ietf:params:xml:ns:xmpp-streams}policy-violation") \
        is not None, ET.tostring(e)
    check(m, m2)
    m.close()
    m2.close()
