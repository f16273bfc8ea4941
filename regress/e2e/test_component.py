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
        "listen on 127.0.0.1 port %d component\n" % (NAME, SECRET, port)))
    s.ports["component"] = port
    s.start()
    add_user(s, "alice@example.org", "alice-pw")
    add_user(s, "bob@example.org", "bob-pw")
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
