"""Private XML storage (XEP-0049) and vcard-temp (XEP-0054) for internal
accounts, kept in the store; the refusals around them."""

import base64
import xml.etree.ElementTree as ET

from rawxmpp import Raw
from xmppdtest import add_user, slix_login, started

STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
PRIV = "jabber:iq:private"
VCARD = "vcard-temp"


def setup():
    # Room for a vCard over its 256 KiB bound inside one stanza.
    s = started(users=("alice", "bob", "carol"),
                body="limits {\n\tstanza size 1M\n\tclient rate 10M\n}\n")
    s.alice = Raw(s.ports["client"])
    s.alice.login("alice", "alice-pw", "desk")
    s.bob = Raw(s.ports["client"])
    s.bob.login("bob", "bob-pw", "desk")
    s.n = 0
    return s


def teardown(s):
    s.alice.close()
    s.bob.close()
    s.stop()


def iq(s, c, payload, to=None, type="get"):
    s.n += 1
    ident = "p%d" % s.n
    dest = " to='%s'" % to if to is not None else ""
    c.send("<iq type='%s' id='%s'%s>%s</iq>" % (type, ident, dest, payload))
    m = c.expect(r"<iq\b[^>]*\bid='%s'[^>]*?(/>|>.*?</iq>)" % ident)
    return ET.fromstring(m.group(0))


def result(r):
    assert r.get("type") == "result", ET.tostring(r)
    return r


def error(r, cond, etype=None):
    assert r.get("type") == "error", ET.tostring(r)
    e = r.find("error")
    assert e.find("{%s}%s" % (STANZAS, cond)) is not None, ET.tostring(r)
    if etype:
        assert e.get("type") == etype, ET.tostring(r)


def test_private_round_trip(s):
    result(iq(s, s.alice, "<query xmlns='jabber:iq:private'><prefs "
              "xmlns='x:prefs'><nick>Al &amp; co</nick></prefs>"
              "<other xmlns='x:other' a='1'/></query>", type="set"))
    r = result(iq(s, s.alice, "<query xmlns='jabber:iq:private'>"
                  "<prefs xmlns='x:prefs'/></query>"))
    p = r.find("{%s}query/{x:prefs}prefs" % PRIV)
    assert p.find("{x:prefs}nick").text == "Al & co", ET.tostring(r)
    r = result(iq(s, s.alice, "<query xmlns='jabber:iq:private'>"
                  "<other xmlns='x:other'/></query>"))
    assert r.find("{%s}query/{x:other}other" % PRIV).get("a") == "1"
    # Replaced, not added.
    result(iq(s, s.alice, "<query xmlns='jabber:iq:private'><prefs "
              "xmlns='x:prefs'><nick>B</nick></prefs></query>", type="set"))
    r = result(iq(s, s.alice, "<query xmlns='jabber:iq:private'>"
                  "<prefs xmlns='x:prefs'/></query>"))
    assert r.find("{%s}query/{x:prefs}prefs/{x:prefs}nick" % PRIV).text \
        == "B"


def test_private_empty_when_none(s):
    r = result(iq(s, s.alice, "<query xmlns='jabber:iq:private'>"
                  "<none xmlns='x:none'/></query>"))
    n = r.find("{%s}query/{x:none}none" % PRIV)
    assert n is not None and len(n) == 0, ET.tostring(r)


def test_private_is_private(s):
    result(iq(s, s.alice, "<query xmlns='jabber:iq:private'><secret "
              "xmlns='x:secret'>alice</secret></query>", type="set"))
    r = result(iq(s, s.bob, "<query xmlns='jabber:iq:private'>"
                  "<secret xmlns='x:secret'/></query>"))
    assert r.find("{%s}query/{x:secret}secret" % PRIV).text is None
    error(iq(s, s.bob, "<query xmlns='jabber:iq:private'><secret "
             "xmlns='x:secret'/></query>", to="alice@example.org"),
          "forbidden")
    error(iq(s, s.bob, "<query xmlns='jabber:iq:private'><secret "
             "xmlns='x:secret'>bob</secret></query>",
             to="alice@example.org", type="set"), "forbidden")
    r = result(iq(s, s.alice, "<query xmlns='jabber:iq:private'>"
                  "<secret xmlns='x:secret'/></query>"))
    assert r.find("{%s}query/{x:secret}secret" % PRIV).text == "alice"


def test_private_refusals(s):
    for ns in ("jabber:client", "jabber:server", "jabber:iq:private"):
        error(iq(s, s.alice, "<query xmlns='jabber:iq:private'><x "
                 "xmlns='%s'/></query>" % ns, type="set"),
              "not-acceptable", "modify")
        error(iq(s, s.alice, "<query xmlns='jabber:iq:private'><x "
                 "xmlns='%s'/></query>" % ns), "not-acceptable", "modify")
    error(iq(s, s.alice, "<query xmlns='jabber:iq:private'/>"),
          "not-acceptable", "modify")
    error(iq(s, s.alice, "<query xmlns='jabber:iq:private'><a xmlns='x:a'/>"
             "<b xmlns='x:b'/></query>"), "not-acceptable", "modify")


def test_private_oversized(s):
    big = "x" * (70 * 1024)
    error(iq(s, s.alice, "<query xmlns='jabber:iq:private'><big "
             "xmlns='x:big'>%s</big></query>" % big, type="set"),
          "not-acceptable", "modify")
    r = result(iq(s, s.alice, "<query xmlns='jabber:iq:private'>"
                  "<big xmlns='x:big'/></query>"))
    assert r.find("{%s}query/{x:big}big" % PRIV).text is None


def test_private_too_many(s):
    c = Raw(s.ports["client"])
    add_user(s, "many@example.org", "many-pw")
    c.login("many", "many-pw", "r")
    for i in range(100):
        result(iq(s, c, "<query xmlns='jabber:iq:private'><e "
                  "xmlns='x:n%d'/></query>" % i, type="set"))
    error(iq(s, c, "<query xmlns='jabber:iq:private'><e xmlns='x:n100'/>"
             "</query>", type="set"), "not-acceptable")
    # An existing one may still be replaced.
    result(iq(s, c, "<query xmlns='jabber:iq:private'><e xmlns='x:n5'>v"
              "</e></query>", type="set"))
    c.close()


def test_vcard_set_get(s):
    photo = base64.b64encode(b"\x89PNG" + b"\0" * 5000).decode()
    result(iq(s, s.alice, "<vCard xmlns='vcard-temp'><FN>Alice A.</FN>"
              "<NICKNAME>al</NICKNAME><PHOTO><TYPE>image/png</TYPE>"
              "<BINVAL>%s</BINVAL></PHOTO></vCard>" % photo, type="set"))
    r = result(iq(s, s.alice, "<vCard xmlns='vcard-temp'/>"))
    v = r.find("{%s}vCard" % VCARD)
    assert v.find("{%s}FN" % VCARD).text == "Alice A.", ET.tostring(r)
    # Anyone may get anyone's.
    r = result(iq(s, s.bob, "<vCard xmlns='vcard-temp'/>",
                  to="alice@example.org"))
    v = r.find("{%s}vCard" % VCARD)
    assert v.find("{%s}NICKNAME" % VCARD).text == "al"
    assert v.find("{%s}PHOTO/{%s}BINVAL" % (VCARD, VCARD)).text == photo


def test_vcard_set_other_refused(s):
    error(iq(s, s.bob, "<vCard xmlns='vcard-temp'><FN>Evil</FN></vCard>",
             to="carol@example.org", type="set"), "forbidden")
    error(iq(s, s.bob, "<vCard xmlns='vcard-temp'/>",
             to="carol@example.org"), "item-not-found")


def test_vcard_no_account(s):
    error(iq(s, s.bob, "<vCard xmlns='vcard-temp'/>",
             to="nobody@example.org"), "service-unavailable")


def test_vcard_oversized(s):
    big = "A" * (260 * 1024)
    error(iq(s, s.bob, "<vCard xmlns='vcard-temp'><PHOTO><BINVAL>%s"
             "</BINVAL></PHOTO></vCard>" % big, type="set"),
          "not-acceptable", "modify")
    error(iq(s, s.bob, "<vCard xmlns='vcard-temp'/>"), "item-not-found")


def test_vcard_slixmpp(s):
    async def actions(c):
        v = c.plugin["xep_0054"].make_vcard()
        v["FN"] = "Bob Slix"
        await c.plugin["xep_0054"].publish_vcard(v)
        r = await c.plugin["xep_0054"].get_vcard("alice@example.org",
                                                 cached=False, local=False)
        return (r["vcard_temp"]["FN"])

    import slixmpp.plugins  # noqa: F401
    from xmppdtest import slix_login as login
    res = _slix(s, actions)
    assert res["actions"] == "Alice A.", res


def _slix(s, actions):
    import slixmpp
    orig = slixmpp.ClientXMPP.__init__

    def init(self, *a, **k):
        orig(self, *a, **k)
        self.register_plugin("xep_0054")
    slixmpp.ClientXMPP.__init__ = init
    try:
        return slix_login(s.ports["client"], "bob@example.org", "bob-pw",
                          actions=actions)
    finally:
        slixmpp.ClientXMPP.__init__ = orig


def test_alive_after(s):
    result(iq(s, s.alice, "<ping xmlns='urn:xmpp:ping'/>"))
