"""PEP (XEP-0163 on XEP-0060): publish, notifications filtered by +notify
entity caps (XEP-0115, verified by the server), last published item,
access models, OMEMO- and bookmarks-shaped nodes, and the errors."""

import base64
import hashlib
import re
import xml.etree.ElementTree as ET

from rawxmpp import Raw, subscribe
from xmppdtest import add_user, started

STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
PS = "http://jabber.org/protocol/pubsub"
PSE = "http://jabber.org/protocol/pubsub#event"
PSERR = "http://jabber.org/protocol/pubsub#errors"
NICK = "http://jabber.org/protocol/nick"
DEVICES = "eu.siacs.conversations.axolotl.devicelist"
BOOKMARKS = "urn:xmpp:bookmarks:1"
DISCO = "http://jabber.org/protocol/disco#info"


def caps_ver(features):
    s = "client/pc//test<" + "".join(f + "<" for f in sorted(features))
    return base64.b64encode(hashlib.sha1(s.encode()).digest()).decode()


def caps_presence(c, features):
    """Available presence with caps; answer the server's disco#info."""
    ver = caps_ver(features)
    c.send("<presence><c xmlns='http://jabber.org/protocol/caps' "
           "hash='sha-1' node='http://test' ver='%s'/></presence>" % ver)
    ident = disco_id(c)
    c.send("<iq type='result' id='%s' to='example.org'><query xmlns='%s' "
           "node='http://test#%s'><identity category='client' type='pc' "
           "name='test'/>%s</query></iq>" %
           (ident, DISCO, ver,
            "".join("<feature var='%s'/>" % f for f in features)))


def disco_id(c):
    """The id of the server's disco#info to client c."""
    m = c.expect(r"<iq\b([^>]*)>\s*<query xmlns='%s'" % DISCO)
    assert "type='get'" in m.group(1), m.group(0)
    return re.search(r"\bid='([^']*)'", m.group(1)).group(1)


def login(s, user, res="r"):
    c = Raw(s.ports["client"])
    c.login(user, user + "-pw", res)
    return c


def setup():
    s = started(users=("alice", "bob", "carol", "dave"))
    s.n = 0
    s.alice = login(s, "alice", "desk")
    s.bob = login(s, "bob", "phone")
    s.carol = login(s, "carol")
    s.dave = login(s, "dave")
    s.alice.send("<presence/>")
    subscribe(s.bob, s.alice, "bob", "alice")
    subscribe(s.dave, s.alice, "dave", "alice")
    return s


def teardown(s):
    for c in (s.alice, s.bob, s.carol, s.dave):
        c.close()
    s.stop()


def iq(s, c, payload, to=None, type="get"):
    s.n += 1
    ident = "x%d" % s.n
    dest = " to='%s'" % to if to is not None else ""
    c.send("<iq type='%s' id='%s'%s>%s</iq>" % (type, ident, dest, payload))
    m = c.expect(r"<iq\b[^>]*\bid='%s'[^>]*?(/>|>.*?</iq>)" % ident)
    return ET.fromstring(m.group(0))


def result(r):
    assert r.get("type") == "result", ET.tostring(r)
    return r


def error(r, cond, pcond=None):
    assert r.get("type") == "error", ET.tostring(r)
    e = r.find("error")
    assert e.find("{%s}%s" % (STANZAS, cond)) is not None, ET.tostring(r)
    if pcond:
        assert e.find("{%s}%s" % (PSERR, pcond)) is not None, \
            ET.tostring(r)


def publish(s, c, node, payload, item=None, options=None, to=None):
    opts = ""
    if options:
        opts = ("<publish-options><x xmlns='jabber:x:data' type='submit'>"
                "<field var='FORM_TYPE' type='hidden'><value>http://jabber."
                "org/protocol/pubsub#publish-options</value></field>" +
                "".join("<field var='pubsub#%s'><value>%s</value></field>" %
                        kv for kv in options.items()) + "</x>"
                "</publish-options>")
    ida = " id='%s'" % item if item else ""
    return iq(s, c, "<pubsub xmlns='%s'><publish node='%s'><item%s>%s"
              "</item></publish>%s</pubsub>" % (PS, node, ida, payload, opts),
              to=to, type="set")


def items(s, c, node, to=None, extra="", inner=""):
    r = iq(s, c, "<pubsub xmlns='%s'><items node='%s'%s>%s</items></pubsub>"
           % (PS, node, extra, inner), to=to)
    return r


def item_ids(r):
    return [i.get("id") for i in
            result(r).findall("{%s}pubsub/{%s}items/{%s}item" % (PS, PS, PS))]


def marker(s, to, text):
    """A chat message from alice; whatever alice caused before it, to
    this client, arrives before it."""
    s.alice.send("<message to='%s@example.org' type='chat'><body>%s</body>"
                 "</message>" % (to, text))


def test_last_published_on_caps_then_notify(s):
    result(publish(s, s.alice, NICK, "<nick xmlns='%s'>Al</nick>" % NICK,
                   item="current"))
    # bob wants nicks: the last one comes once his caps are verified.
    caps_presence(s.bob, [DISCO, NICK + "+notify", DEVICES + "+notify"])
    m = s.bob.expect(r"<message\b[^>]*>.*?</message>")
    ev = ET.fromstring(m.group(0))
    assert ev.get("from") == "alice@example.org" and \
        ev.get("type") == "headline", m.group(0)
    it = ev.find("{%s}event/{%s}items/{%s}item" % (PSE, PSE, PSE))
    assert it.get("id") == "current", m.group(0)
    assert it.find("{%s}nick" % NICK).text == "Al"
    # A new one is pushed.
    result(publish(s, s.alice, NICK, "<nick xmlns='%s'>Alice</nick>" % NICK,
                   item="current"))
    m = s.bob.expect(r"<message\b[^>]*>.*?</message>")
    assert ">Alice</nick>" in m.group(0), m.group(0)


def test_no_notify_stranger_nor_without_caps(s):
    caps_presence(s.carol, [DISCO, NICK + "+notify"])
    caps_presence(s.dave, [DISCO, "urn:other+notify"])
    # Each has been through the router once its ping comes back.
    for c in (s.carol, s.dave):
        result(iq(s, c, "<ping xmlns='urn:xmpp:ping'/>"))
    result(publish(s, s.alice, NICK, "<nick xmlns='%s'>A3</nick>" % NICK,
                   item="current"))
    marker(s, "carol", "m-carol")
    marker(s, "dave", "m-dave")
    for c in (s.carol, s.dave):
        m = c.expect(r"<message\b.*?</message>")
        assert "m-" in m.group(0) and PSE not in m.group(0), m.group(0)


def test_omemo_devicelist_open(s):
    dl = ("<list xmlns='eu.siacs.conversations.axolotl'><device id='1234'/>"
          "</list>")
    result(publish(s, s.alice, DEVICES, dl, item="current",
                   options={"access_model": "open"}))
    result(publish(s, s.alice, "eu.siacs.conversations.axolotl.bundles:1234",
                   "<bundle xmlns='eu.siacs.conversations.axolotl'>"
                   "<signedPreKeyPublic signedPreKeyId='1'>AAAA"
                   "</signedPreKeyPublic></bundle>", item="current",
                   options={"access_model": "open"}))
    # The contact with +notify hears of it.
    m = s.bob.expect(r"<message\b[^>]*><event[^>]*><items node='%s'>"
                     r".*?</message>" % re.escape(DEVICES))
    assert "device id='1234'" in m.group(0), m.group(0)
    for c in (s.bob, s.carol):
        assert item_ids(items(s, c, DEVICES, to="alice@example.org")) == \
            ["current"]
        r = items(s, c, "eu.siacs.conversations.axolotl.bundles:1234",
                  to="alice@example.org")
        assert item_ids(r) == ["current"]


def test_access_presence(s):
    # The nick node is presence-access: the contact reads, not a stranger.
    assert item_ids(items(s, s.bob, NICK, to="alice@example.org")) == \
        ["current"]
    error(items(s, s.carol, NICK, to="alice@example.org"),
          "not-authorized", "presence-subscription-required")


def test_bookmarks_round_trip(s):
    opts = {"persist_items": "true", "max_items": "max",
            "send_last_published_item": "never", "access_model": "whitelist"}
    for room, name in (("a@conf.example.org", "A"),
                       ("b@conf.example.org", "B & co")):
        result(publish(s, s.alice, BOOKMARKS,
                       "<conference xmlns='%s' name='%s' autojoin='true'>"
                       "<nick>al</nick></conference>" %
                       (BOOKMARKS, name.replace("&", "&amp;")),
                       item=room, options=opts))
    r = items(s, s.alice, BOOKMARKS)
    assert sorted(item_ids(r)) == ["a@conf.example.org",
                                   "b@conf.example.org"], ET.tostring(r)
    names = sorted(c.get("name") for c in r.iter("{%s}conference" %
                                                 BOOKMARKS))
    assert names == ["A", "B & co"], names
    # Whitelist: the owner only.
    error(items(s, s.bob, BOOKMARKS, to="alice@example.org"),
          "not-allowed", "closed-node")
    # One asked by id.
    r = items(s, s.alice, BOOKMARKS,
              inner="<item id='b@conf.example.org'/>")
    assert item_ids(r) == ["b@conf.example.org"]
    result(iq(s, s.alice, "<pubsub xmlns='%s'><retract node='%s' "
              "notify='true'><item id='a@conf.example.org'/></retract>"
              "</pubsub>" % (PS, BOOKMARKS), type="set"))
    assert item_ids(items(s, s.alice, BOOKMARKS)) == ["b@conf.example.org"]
    error(iq(s, s.alice, "<pubsub xmlns='%s'><retract node='%s'><item "
             "id='a@conf.example.org'/></retract></pubsub>" %
             (PS, BOOKMARKS), type="set"), "item-not-found")


def test_max_items(s):
    for i in range(4):
        result(publish(s, s.alice, "urn:test:few", "<x xmlns='t'>%d</x>" % i,
                       item="i%d" % i, options={"max_items": "2"}))
    assert sorted(item_ids(items(s, s.alice, "urn:test:few"))) == \
        ["i2", "i3"]
    assert item_ids(items(s, s.alice, "urn:test:few",
                          extra=" max_items='1'")) == ["i3"]


def test_delete_node(s):
    result(publish(s, s.alice, "urn:test:gone", "<x xmlns='t'/>"))
    result(iq(s, s.alice, "<pubsub xmlns='%s#owner'><delete "
              "node='urn:test:gone'/></pubsub>" % PS, type="set"))
    error(items(s, s.alice, "urn:test:gone"), "item-not-found")
    error(iq(s, s.alice, "<pubsub xmlns='%s#owner'><delete "
             "node='urn:test:gone'/></pubsub>" % PS, type="set"),
          "item-not-found")


def test_publish_elsewhere_forbidden(s):
    error(publish(s, s.bob, NICK, "<nick xmlns='%s'>evil</nick>" % NICK,
                  to="alice@example.org"), "forbidden")
    error(iq(s, s.bob, "<pubsub xmlns='%s#owner'><delete node='%s'/>"
             "</pubsub>" % (PS, NICK), to="alice@example.org", type="set"),
          "forbidden")
    assert item_ids(items(s, s.bob, NICK, to="alice@example.org")) == \
        ["current"]


def test_oversized_item(s):
    error(publish(s, s.alice, "urn:test:big",
                  "<x xmlns='t'>%s</x>" % ("y" * (70 * 1024))),
          "not-acceptable", "payload-too-big")
    error(items(s, s.alice, "urn:test:big"), "item-not-found")


def test_too_many_nodes(s):
    c = login(s, "erin") if add_user(s, "erin@example.org", "erin-pw") \
        is None else None
    for i in range(64):
        result(publish(s, c, "urn:test:n%d" % i, "<x xmlns='t'/>"))
    error(publish(s, c, "urn:test:n64", "<x xmlns='t'/>"),
          "resource-constraint")
    # An existing node still takes items.
    result(publish(s, c, "urn:test:n3", "<x xmlns='t'>again</x>"))
    c.close()


def test_bad_requests(s):
    error(iq(s, s.alice, "<pubsub xmlns='%s'><publish><item><x xmlns='t'/>"
             "</item></publish></pubsub>" % PS, type="set"),
          "bad-request", "nodeid-required")
    error(iq(s, s.alice, "<pubsub xmlns='%s'><publish node='n'/></pubsub>"
             % PS, type="set"), "bad-request", "item-required")
    error(publish(s, s.alice, "n", "<a xmlns='t'/><b xmlns='t'/>"),
          "bad-request", "invalid-payload")
    error(publish(s, s.alice, "n", ""), "bad-request", "payload-required")
    error(publish(s, s.alice, "n", "<a xmlns='t'/>",
                  options={"access_model": "roster"}),
          "conflict", "precondition-not-met")
    error(publish(s, s.alice, "n" * 300, "<a xmlns='t'/>"), "bad-request",
          "nodeid-required")
    error(items(s, s.alice, "urn:test:none"), "item-not-found")
    error(items(s, s.alice, NICK, extra=" max_items='x'"), "bad-request")
    error(items(s, s.bob, NICK, to="nobody@example.org"),
          "service-unavailable")
    error(iq(s, s.alice, "<pubsub xmlns='%s'><items node='x'/></pubsub>" %
             PS, to="example.org"), "feature-not-implemented")
    error(iq(s, s.alice, "<pubsub xmlns='%s'><subscribe node='x' "
             "jid='alice@example.org'/></pubsub>" % PS, type="set"),
          "feature-not-implemented")
    error(iq(s, s.alice, "<pubsub xmlns='%s'/>" % PS), "bad-request")


def test_bad_caps_answer(s):
    """A disco#info not matching the hash is not believed."""
    c = login(s, "carol", "liar")
    ver = caps_ver([DISCO, NICK + "+notify"])
    c.send("<presence><c xmlns='http://jabber.org/protocol/caps' "
           "hash='sha-1' node='http://test' ver='%s'/></presence>" %
           ver.replace("A", "B").replace("=", "A="))
    ident = disco_id(c)
    c.send("<iq type='result' id='%s' to='example.org'><query xmlns='%s'>"
           "<feature var='%s+notify'/><feature var='%s+notify'/></query>"
           "</iq>" % (ident, DISCO, NICK, NICK))
    result(iq(s, c, "<ping xmlns='urn:xmpp:ping'/>"))
    c.close()


def test_disco_account(s):
    r = result(iq(s, s.alice, "<query xmlns='%s'/>" % DISCO,
                  to="alice@example.org"))
    q = r.find("{%s}query" % DISCO)
    ids = [(i.get("category"), i.get("type"))
           for i in q.findall("{%s}identity" % DISCO)]
    assert ("pubsub", "pep") in ids, ids
    feats = [f.get("var") for f in q.findall("{%s}feature" % DISCO)]
    for f in ("publish", "auto-create", "publish-options",
              "last-published"):
        assert PS + "#" + f in feats, feats


def before_ping(s, c):
    """What c got before the answer to a ping sent now."""
    s.n += 1
    ident = "x%d" % s.n
    c.send("<iq type='get' id='%s' to='example.org'><ping xmlns='urn:xmpp:"
           "ping'/></iq>" % ident)
    return c.expect(r"(.*?)<iq\b[^>]*\bid='%s'" % ident).group(1)


def store_sync(s, c):
    """Two round trips through the store: what the router asked it
    before has been answered, and what came of that sent.  Returns what
    c got meanwhile."""
    got = ""
    for _ in range(2):
        s.n += 1
        ident = "x%d" % s.n
        c.send("<iq type='get' id='%s'><query xmlns='jabber:iq:private'>"
               "<x xmlns='urn:test:sync'/></query></iq>" % ident)
        got += c.expect(r"(.*?)<iq\b[^>]*\bid='%s'[^>]*?(/>|>.*?</iq>)" %
                        ident).group(1)
    return got


def block(s, c, jid, how="block"):
    result(iq(s, c, "<%s xmlns='urn:xmpp:blocking'><item jid='%s'/></%s>" %
              (how, jid, how), type="set"))


def caps_only(c, features):
    """Available presence naming caps the server knows already."""
    c.send("<presence><c xmlns='http://jabber.org/protocol/caps' "
           "hash='sha-1' node='http://test' ver='%s'/></presence>" %
           caps_ver(features))


def test_blocked_get_no_events_either_way(s):
    block(s, s.alice, "bob@example.org")
    result(publish(s, s.alice, NICK, "<nick xmlns='%s'>B1</nick>" % NICK,
                   item="current"))
    assert ">B1<" not in before_ping(s, s.bob)
    block(s, s.alice, "bob@example.org", "unblock")
    result(publish(s, s.alice, NICK, "<nick xmlns='%s'>B2</nick>" % NICK,
                   item="current"))
    assert ">B2<" in before_ping(s, s.bob)
    block(s, s.bob, "alice@example.org")
    result(publish(s, s.alice, NICK, "<nick xmlns='%s'>B3</nick>" % NICK,
                   item="current"))
    assert ">B3<" not in before_ping(s, s.bob)
    block(s, s.bob, "alice@example.org", "unblock")


def test_blocked_get_no_last_items(s):
    """Nor the last items, from an owner online or offline; nor, from
    an owner offline who blocks them, the items they ask for."""
    add_user(s, "frida@example.org", "frida-pw")
    e = login(s, "frida", "e")
    e.send("<presence/>")
    b = login(s, "bob", "b2")
    b.send("<presence/>")
    subscribe(b, e, "bob", "frida")
    result(publish(s, e, NICK, "<nick xmlns='%s'>E1</nick>" % NICK,
                   item="current"))
    block(s, e, "bob@example.org")
    m = s.mark()
    e.close()
    s.wait_log(r"session frida@example.org/e ended", after=m)
    block(s, s.alice, "bob@example.org")
    b.close()
    b = login(s, "bob", "b3")
    caps_only(b, [DISCO, NICK + "+notify", DEVICES + "+notify"])
    got = store_sync(s, b)
    assert PSE not in got, got
    error(items(s, b, NICK, to="frida@example.org"), "service-unavailable")
    # Once alice unblocks him, hers come; frida's never do.
    block(s, s.alice, "bob@example.org", "unblock")
    b.close()
    b = login(s, "bob", "b4")
    caps_only(b, [DISCO, NICK + "+notify", DEVICES + "+notify"])
    got = store_sync(s, b)
    assert "from='alice@example.org'" in got and ">E1<" not in got, got
    b.close()


def test_caps_answer_only_from_the_session_asked(s):
    """Another user who learns the id cannot answer in its place."""
    feats = [DISCO, NICK + "+notify", "urn:test:caps1"]
    b = login(s, "bob", "c1")
    b.send("<presence><c xmlns='http://jabber.org/protocol/caps' "
           "hash='sha-1' node='http://test' ver='%s'/></presence>" %
           caps_ver(feats))
    ident = disco_id(b)
    assert re.fullmatch(r"caps[0-9a-f]{32}", ident), ident
    s.dave.send("<iq type='result' id='%s' to='example.org'><query "
                "xmlns='%s'><feature var='urn:evil'/></query></iq>" %
                (ident, DISCO))
    result(iq(s, s.dave, "<ping xmlns='urn:xmpp:ping'/>"))
    b.send("<iq type='result' id='%s' to='example.org'><query xmlns='%s' "
           "node='http://test#%s'><identity category='client' type='pc' "
           "name='test'/>%s</query></iq>" %
           (ident, DISCO, caps_ver(feats),
            "".join("<feature var='%s'/>" % f for f in feats)))
    # Verified: alice's last nick comes.
    m = b.expect(r"<message\b[^>]*from='alice@example.org'.*?</message>")
    assert NICK in m.group(0), m.group(0)
    b.close()


def caps_full(idents, features, forms):
    """XEP-0115 section 5.1: identities (category, type, lang, name),
    features, forms (FORM_TYPE, [(var, [values])])."""
    v = "".join("%s/%s/%s/%s<" % i for i in sorted(idents))
    v += "".join(f + "<" for f in sorted(features))
    for ft, fields in sorted(forms):
        v += ft + "<" + "".join(var + "<" + "".join(x + "<" for x in
                                                     sorted(vals))
                                for var, vals in sorted(fields))
    return base64.b64encode(hashlib.sha1(v.encode()).digest()).decode()


def disco_full(idents, features, forms):
    return ("".join("<identity category='%s' type='%s' xml:lang='%s' "
                    "name='%s'/>" % i for i in idents) +
            "".join("<feature var='%s'/>" % f for f in features) +
            "".join("<x xmlns='jabber:x:data' type='result'><field "
                    "var='FORM_TYPE' type='hidden'><value>%s</value></field>"
                    "%s</x>" % (ft, "".join(
                        "<field var='%s'>%s</field>" % (var, "".join(
                            "<value>%s</value>" % x for x in vals))
                        for var, vals in fields))
                    for ft, fields in forms))


PSI = ([("client", "pc", "en", "Psi 0.11"), ("client", "pc", "el",
                                               "\u03a8 0.11")],
       ["http://jabber.org/protocol/caps", DISCO,
        "http://jabber.org/protocol/disco#items",
        "http://jabber.org/protocol/muc"],
       [("urn:xmpp:dataforms:softwareinfo",
         [("ip_version", ["ipv4", "ipv6"]), ("os", ["Mac"]),
          ("os_version", ["10.5.1"]), ("software", ["Psi"]),
          ("software_version", ["0.11"])])])


def test_caps_with_forms_verified(s):
    """A client's answer with a software form, as in XEP-0115's own
    example (section 5.3), verifies: its +notify is believed."""
    assert caps_full(*PSI) == "q07IKJEyjvHSyhy//CH0CxmKi8w="
    idents, feats, forms = PSI
    feats = feats + [NICK + "+notify"]
    forms = forms + [("urn:test:a-b", [("x-y", ["1"]), ("x", ["2"])])]
    ver = caps_full(idents, feats, forms)
    b = login(s, "bob", "c3")
    b.send("<presence><c xmlns='http://jabber.org/protocol/caps' "
           "hash='sha-1' node='http://test' ver='%s'/></presence>" % ver)
    ident = disco_id(b)
    b.send("<iq type='result' id='%s' to='example.org'><query xmlns='%s'>"
           "%s</query></iq>" % (ident, DISCO, disco_full(idents, feats,
                                                          forms)))
    m = b.expect(r"<message\b[^>]*from='alice@example.org'.*?</message>")
    assert NICK in m.group(0), m.group(0)
    b.close()


def test_caps_ill_formed_not_cached(s):
    """Two forms of one FORM_TYPE (XEP-0115 section 5.4, 3.5): not
    believed, even when the hash matches."""
    feats = [DISCO, NICK + "+notify"]
    forms = [("urn:test:form", "a", "1"), ("urn:test:form", "b", "2")]
    vs = "client/pc//test<" + "".join(f + "<" for f in sorted(feats))
    vs += "".join(sorted("%s<%s<%s<" % f for f in forms))
    ver = base64.b64encode(hashlib.sha1(vs.encode()).digest()).decode()
    b = login(s, "bob", "c2")
    b.send("<presence><c xmlns='http://jabber.org/protocol/caps' "
           "hash='sha-1' node='http://test' ver='%s'/></presence>" % ver)
    ident = disco_id(b)
    b.send("<iq type='result' id='%s' to='example.org'><query xmlns='%s'>"
           "<identity category='client' type='pc' name='test'/>%s%s"
           "</query></iq>" %
           (ident, DISCO, "".join("<feature var='%s'/>" % f for f in feats),
            "".join("<x xmlns='jabber:x:data' type='result'><field "
                    "var='FORM_TYPE' type='hidden'><value>%s</value>"
                    "</field><field var='%s'><value>%s</value></field></x>"
                    % f for f in forms)))
    got = store_sync(s, b)
    assert PSE not in got, got
    b.close()


def test_alive(s):
    result(iq(s, s.alice, "<ping xmlns='urn:xmpp:ping'/>"))
    assert item_ids(items(s, s.carol, DEVICES, to="alice@example.org")) == \
        ["current"]
