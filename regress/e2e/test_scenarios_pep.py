"""Wire-level scenarios for PEP (XEP-0163 on XEP-0060), bookmarks
(XEP-0402), message archive preferences and extended queries (XEP-0313),
a probe to a removed account (RFC 6121) and upload slots (XEP-0363):
exact stanzas sent, the answers the specifications require checked."""

import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawxmpp import Raw, subscribe  # noqa: E402
from test_pep import (before_ping, caps_presence, item_ids, items,  # noqa
                      iq, result)
from xmppdtest import Server, add_user  # noqa: E402

STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
PS = "http://jabber.org/protocol/pubsub"
PSO = PS + "#owner"
PSE = PS + "#event"
PSERR = PS + "#errors"
DATA = "jabber:x:data"
DISCO = "http://jabber.org/protocol/disco#info"
NICK = "http://jabber.org/protocol/nick"
TUNE = "http://jabber.org/protocol/tune"
MOOD = "http://jabber.org/protocol/mood"
BOOKMARKS = "urn:xmpp:bookmarks:1"
MAM = "urn:xmpp:mam:2"
UPLOAD = "urn:xmpp:http:upload:0"
UP = "upload.example.org"
OPEN = "open.example.org"
USERS = ("romeo", "juliet", "nick", "tunes", "books", "max", "cfg",
         "pre", "items", "del", "sub", "mam", "prep", "slot", "reply",
         "never")


def setup():
    s = Server(prefork=1, body=(
        'domain "%s" {\n\tauth internal\n\tregistration allow\n}\n'
        'upload "%s" {\n\turl "https://%s:5444/files/"\n'
        '\tmax size 10M\n\tquota 30M\n\texpire 1h\n}\n' % (OPEN, UP, UP)))
    s.start()
    s.wait_log(r"uploadd 0 ready")
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    s.n = 0
    return s


def teardown(s):
    s.stop()


def login(user, s, res="r", domain="example.org"):
    c = Raw(s.ports["client"])
    c.login(user, user + "-pw", res, domain=domain)
    return c


def error(r, etype, cond, pcond=None, feature=None):
    assert r.get("type") == "error", ET.tostring(r)
    e = r.find("error")
    assert e.get("type") == etype, ET.tostring(r)
    assert e.find("{%s}%s" % (STANZAS, cond)) is not None, ET.tostring(r)
    if pcond:
        p = e.find("{%s}%s" % (PSERR, pcond))
        assert p is not None, ET.tostring(r)
        if feature:
            assert p.get("feature") == feature, ET.tostring(r)
    return e


def options(opts):
    return ("<publish-options><x xmlns='%s' type='submit'><field "
            "var='FORM_TYPE' type='hidden'><value>%s#publish-options"
            "</value></field>%s</x></publish-options>" %
            (DATA, PS, "".join("<field var='pubsub#%s'><value>%s</value>"
                               "</field>" % kv for kv in opts)))


def publish(s, c, node, payload, item=None, opts=None):
    ida = " id='%s'" % item if item else ""
    return iq(s, c, "<pubsub xmlns='%s'><publish node='%s'><item%s>%s"
              "</item></publish>%s</pubsub>" %
              (PS, node, ida, payload, options(opts) if opts else ""),
              type="set")


def published_id(r, node):
    p = result(r).find("{%s}pubsub/{%s}publish" % (PS, PS))
    assert p.get("node") == node, ET.tostring(r)
    return p.find("{%s}item" % PS).get("id")


def event(c):
    m = c.expect(r"<message\b[^>]*>.*?</message>")
    ev = ET.fromstring(m.group(0))
    assert ev.get("type") == "headline", m.group(0)
    return ev, ev.find("{%s}event/{%s}items" % (PSE, PSE))


def configure(s, c, node, fields=None):
    """The owner's node configuration: the form, or a submitted one."""
    if fields is None:
        return iq(s, c, "<pubsub xmlns='%s'><configure node='%s'/>"
                  "</pubsub>" % (PSO, node))
    return iq(s, c, "<pubsub xmlns='%s'><configure node='%s'><x xmlns='%s' "
              "type='submit'><field var='FORM_TYPE' type='hidden'><value>"
              "%s#node_config</value></field>%s</x></configure></pubsub>" %
              (PSO, node, DATA, PS, "".join(
                  "<field var='pubsub#%s'><value>%s</value></field>" % kv
                  for kv in fields)), type="set")


def form_values(r):
    x = result(r).find("{%s}pubsub/{%s}configure/{%s}x" % (PSO, PSO, DATA))
    assert x is not None and x.get("type") == "form", ET.tostring(r)
    out = {}
    for f in x.findall("{%s}field" % DATA):
        out[f.get("var")] = [v.text for v in f.findall("{%s}value" % DATA)]
    return out


# -- PEP ------------------------------------------------------------------

def test_item_published_before_presence_comes_once_caps_known(s):
    c = login("nick", s)
    assert published_id(publish(s, c, NICK, "<nickname xmlns='%s'/>" % NICK,
                                item="current"), NICK) == "current"
    caps_presence(c, [DISCO, NICK + "+notify"])
    ev, its = event(c)
    assert ev.get("from") == "nick@example.org", ET.tostring(ev)
    assert its.get("node") == NICK
    it = its.find("{%s}item" % PSE)
    assert it.get("id") == "current" and \
        it.find("{%s}nickname" % NICK) is not None, ET.tostring(ev)
    c.close()


def test_contact_gets_tune_but_not_a_whitelist_mood(s):
    r = login("romeo", s)
    j = login("juliet", s)
    j.send("<presence/>")
    subscribe(r, j, "romeo", "juliet")
    caps_presence(r, [DISCO, TUNE + "+notify", MOOD + "+notify"])
    tune = ("<tune xmlns='%s'><title>Beautiful Cedars</title><track>4"
            "</track></tune>" % TUNE)
    assert published_id(publish(s, j, TUNE, tune, item="current"),
                        TUNE) == "current"
    mid = published_id(publish(s, j, MOOD, "<mood xmlns='%s'><happy/>"
                               "</mood>" % MOOD,
                               opts=[("persist_items", "true"),
                                     ("access_model", "whitelist")]), MOOD)
    assert mid, "a generated item id"
    before_ping(s, j)
    got = before_ping(s, r)
    evs = re.findall(r"<message\b.*?</message>", got, re.S)
    nodes = [ET.fromstring(m).find("{%s}event/{%s}items" % (PSE, PSE))
             .get("node") for m in evs]
    assert TUNE in nodes and MOOD not in nodes, got
    t = ET.fromstring(evs[nodes.index(TUNE)])
    assert t.get("from") == "juliet@example.org", got
    assert t.find(".//{%s}title" % TUNE).text == "Beautiful Cedars", got
    # Whitelist: the contact may not read the mood either.
    error(items(s, r, MOOD, to="juliet@example.org"), "cancel",
          "not-allowed", "closed-node")
    r.close()
    j.close()


def test_itemreply_publisher_names_the_publisher(s):
    c = login("reply", s)
    caps_presence(c, [DISCO, TUNE + "+notify", MOOD + "+notify",
                      "urn:test:reply"])
    before_ping(s, c)
    opts = [("persist_items", "true"), ("itemreply", "publisher")]
    published_id(publish(s, c, TUNE, "<tune xmlns='%s'/>" % TUNE,
                         item="current", opts=opts), TUNE)
    ev, its = event(c)
    assert its.find("{%s}item" % PSE).get("publisher") == \
        "reply@example.org", ET.tostring(ev)
    r = items(s, c, TUNE)
    assert r.find(".//{%s}item" % PS).get("publisher") == \
        "reply@example.org", ET.tostring(r)
    # Not asked for, items name nobody.
    published_id(publish(s, c, MOOD, "<mood xmlns='%s'/>" % MOOD), MOOD)
    ev, its = event(c)
    assert its.find("{%s}item" % PSE).get("publisher") is None, \
        ET.tostring(ev)
    error(publish(s, c, TUNE, "<tune xmlns='%s'/>" % TUNE,
                  opts=[("itemreply", "owner")]),
          "cancel", "conflict", "precondition-not-met")
    error(publish(s, c, "urn:test:r", "<x xmlns='t'/>",
                  opts=[("itemreply", "everyone")]),
          "cancel", "conflict", "precondition-not-met")
    c.close()


def test_last_item_never_sent_at_presence(s):
    c = login("never", s)
    published_id(publish(s, c, BOOKMARKS, "<conference xmlns='%s'/>" %
                         BOOKMARKS, item="room@conference.example.org",
                         opts=[("send_last_published_item", "never")]),
                 BOOKMARKS)
    published_id(publish(s, c, NICK, "<nick xmlns='%s'>N</nick>" % NICK,
                         item="current"), NICK)
    v = form_values(configure(s, c, BOOKMARKS))
    assert v["pubsub#send_last_published_item"] == ["never"], v
    c.close()
    c = login("never", s, "again")
    caps_presence(c, [DISCO, BOOKMARKS + "+notify", NICK + "+notify"])
    ev, its = event(c)
    assert its.get("node") == NICK, ET.tostring(ev)
    got = before_ping(s, c) + before_ping(s, c)
    assert BOOKMARKS not in got, got
    c.close()


def test_max_items_max_accepted(s):
    c = login("max", s)
    assert published_id(publish(
        s, c, "urn:xmpp:microblog:0", "<entry xmlns='http://www.w3.org/"
        "2005/Atom'><title>Hello</title></entry>",
        opts=[("persist_items", "true"), ("access_model", "open"),
              ("max_items", "max")]), "urn:xmpp:microblog:0")
    c.close()


def test_bookmarks_published_twice_then_retracted_with_notify(s):
    c = login("books", s)
    caps_presence(c, [DISCO, BOOKMARKS + "+notify"])
    before_ping(s, c)
    opts = [("persist_items", "true"), ("max_items", "255"),
            ("send_last_published_item", "never"),
            ("access_model", "whitelist")]
    for room, name in (("theplay@conference.example.org",
                        "The Play&apos;s the Thing"),
                       ("orchard@conference.example.org", "The Orchard")):
        r = publish(s, c, BOOKMARKS, "<conference xmlns='%s' name='%s' "
                    "autojoin='true'><nick>JC</nick></conference>" %
                    (BOOKMARKS, name), item=room, opts=opts)
        assert published_id(r, BOOKMARKS) == room
        ev, its = event(c)
        assert its.get("node") == BOOKMARKS and \
            its.find("{%s}item" % PSE).get("id") == room, ET.tostring(ev)
    result(iq(s, c, "<pubsub xmlns='%s'><retract node='%s' notify='1'>"
              "<item id='theplay@conference.example.org'/></retract>"
              "</pubsub>" % (PS, BOOKMARKS), type="set"))
    ev, its = event(c)
    assert its.find("{%s}retract" % PSE).get("id") == \
        "theplay@conference.example.org", ET.tostring(ev)
    assert item_ids(items(s, c, BOOKMARKS)) == \
        ["orchard@conference.example.org"]
    c.close()


def test_items_of_a_node_never_made(s):
    c = login("books", s, "other")
    error(items(s, c, "storage:bookmarks"), "cancel", "item-not-found")
    c.close()


def test_publish_options_are_preconditions_on_an_existing_node(s):
    c = login("pre", s)
    published_id(publish(s, c, TUNE, "<tune xmlns='%s'/>" % TUNE,
                         item="current"), TUNE)
    e = error(publish(s, c, TUNE, "<tune xmlns='%s'><title>x</title></tune>"
                      % TUNE, item="current",
                      opts=[("access_model", "whitelist")]),
              "cancel", "conflict", "precondition-not-met")
    assert "access_model" in (e.findtext("{%s}text" % STANZAS) or ""), \
        ET.tostring(e)
    # Nothing changed: the item, and the node still presence-access.
    r = items(s, c, TUNE)
    assert item_ids(r) == ["current"]
    assert r.find(".//{%s}title" % TUNE) is None, ET.tostring(r)
    assert form_values(configure(s, c, TUNE))["pubsub#access_model"] == \
        ["presence"]
    # Matching options publish.
    published_id(publish(s, c, TUNE, "<tune xmlns='%s'/>" % TUNE,
                         item="current", opts=[("access_model", "presence"),
                                               ("max_items", "1"),
                                               ("persist_items", "true")]),
                 TUNE)
    # Fields the node does not have are refused, not ignored.
    error(publish(s, c, TUNE, "<tune xmlns='%s'/>" % TUNE,
                  opts=[("publish_model", "open")]),
          "cancel", "conflict", "precondition-not-met")
    error(publish(s, c, "urn:test:new", "<x xmlns='t'/>",
                  opts=[("no_such_field", "1")]),
          "cancel", "conflict", "precondition-not-met")
    error(iq(s, c, "<pubsub xmlns='%s'><publish node='urn:test:new'><item>"
             "<x xmlns='t'/></item></publish><publish-options/></pubsub>" %
             PS, type="set"), "modify", "bad-request")
    error(iq(s, c, "<pubsub xmlns='%s'><publish node='urn:test:new'><item>"
             "<x xmlns='t'/></item></publish><publish-options><x xmlns='%s' "
             "type='submit'><field var='FORM_TYPE'><value>urn:other</value>"
             "</field></x></publish-options></pubsub>" % (PS, DATA),
             type="set"), "modify", "bad-request")
    error(items(s, c, "urn:test:new"), "cancel", "item-not-found")
    c.close()


def test_owner_configures_the_node(s):
    c = login("cfg", s)
    published_id(publish(s, c, TUNE, "<tune xmlns='%s'/>" % TUNE,
                         item="current"), TUNE)
    v = form_values(configure(s, c, TUNE))
    assert v["FORM_TYPE"] == [PS + "#node_config"], v
    assert v["pubsub#access_model"] == ["presence"], v
    assert v["pubsub#max_items"] == ["1"], v
    # Fields whose behaviour is fixed are taken with that value.
    result(configure(s, c, TUNE, [("access_model", "whitelist"),
                                  ("max_items", "10"),
                                  ("deliver_notifications", "1"),
                                  ("notify_delete", "true"),
                                  ("publish_model", "publishers")]))
    v = form_values(configure(s, c, TUNE))
    assert v["pubsub#access_model"] == ["whitelist"], v
    assert v["pubsub#max_items"] == ["10"], v
    # Now the publish-options of a whitelist node match.
    published_id(publish(s, c, TUNE, "<tune xmlns='%s'/>" % TUNE,
                         item="second", opts=[("access_model", "whitelist")]),
                 TUNE)
    assert sorted(item_ids(items(s, c, TUNE))) == ["current", "second"]
    # Bad forms change nothing.
    error(configure(s, c, TUNE, [("access_model", "roster")]),
          "modify", "not-acceptable")
    error(configure(s, c, TUNE, [("max_items", "-3")]),
          "modify", "not-acceptable")
    error(configure(s, c, TUNE, [("publish_model", "open")]),
          "modify", "not-acceptable")
    error(iq(s, c, "<pubsub xmlns='%s'><configure node='%s'><x xmlns='%s' "
             "type='submit'><field var='FORM_TYPE'><value>urn:other</value>"
             "</field></x></configure></pubsub>" % (PSO, TUNE, DATA),
             type="set"), "modify", "bad-request")
    for x in ("<x xmlns='%s' type='form'/>" % DATA,
              "<x xmlns='%s' type='submit'><field><value>1</value></field>"
              "</x>" % DATA, ""):
        r = iq(s, c, "<pubsub xmlns='%s'><configure node='%s'>%s"
               "</configure></pubsub>" % (PSO, TUNE, x), type="set")
        assert r.get("type") == "error", ET.tostring(r)
    result(iq(s, c, "<pubsub xmlns='%s'><configure node='%s'><x xmlns='%s' "
              "type='cancel'/></configure></pubsub>" % (PSO, TUNE, DATA),
              type="set"))
    error(configure(s, c, "urn:test:none"), "cancel", "item-not-found")
    error(configure(s, c, "urn:test:none", [("max_items", "2")]),
          "cancel", "item-not-found")
    v = form_values(configure(s, c, TUNE))
    assert v["pubsub#access_model"] == ["whitelist"], v
    # Another account's node: not its owner.
    r = login("romeo", s, "cfg")
    error(iq(s, r, "<pubsub xmlns='%s'><configure node='%s'/></pubsub>" %
             (PSO, TUNE), to="cfg@example.org"), "auth", "forbidden")
    r.send("<iq type='set' id='cf' to='cfg@example.org'><pubsub xmlns='%s'>"
           "<configure node='%s'><x xmlns='%s' type='submit'><field var="
           "'pubsub#access_model'><value>open</value></field></x>"
           "</configure></pubsub></iq>" % (PSO, TUNE, DATA))
    assert "<forbidden" in r.expect(r"<iq[^>]*id='cf'.*?</iq>").group(0)
    r.close()
    v = form_values(configure(s, c, TUNE))
    assert v["pubsub#access_model"] == ["whitelist"], v
    c.close()


def test_most_recent_items_and_several_ids(s):
    c = login("items", s)
    node = "urn:test:recent"
    for iid, text in (("first", "foo"), ("second", "bar")):
        assert published_id(publish(
            s, c, node, "<foo xmlns='urn:test'>%s</foo>" % text, item=iid,
            opts=[("max_items", "20")]), node) == iid
    r = items(s, c, node, extra=" max_items='1'")
    assert item_ids(r) == ["second"], ET.tostring(r)
    assert r.find(".//{urn:test}foo").text == "bar"
    assert sorted(item_ids(items(s, c, node))) == ["first", "second"]
    # More than the node keeps is what it has.
    assert sorted(item_ids(items(s, c, node, extra=" max_items='1000'"))) \
        == ["first", "second"]
    for bad in ("0", "-1", "x", "99999999999"):
        error(items(s, c, node, extra=" max_items='%s'" % bad), "modify",
              "bad-request")
    r = items(s, c, node, inner="<item id='first'/><item id='second'/>")
    assert sorted(item_ids(r)) == ["first", "second"], ET.tostring(r)
    c.close()


def test_delete_then_delete_again(s):
    c = login("del", s)
    published_id(publish(s, c, "urn:test:del", "<x xmlns='t'/>"),
                 "urn:test:del")
    delete = "<pubsub xmlns='%s'><delete node='urn:test:del'/></pubsub>" % PSO
    result(iq(s, c, delete, type="set"))
    error(iq(s, c, delete, type="set"), "cancel", "item-not-found")
    c.close()


def test_what_pep_lacks_is_refused_cleanly(s):
    c = login("sub", s)
    # No pubsub service of its own: a node there is nobody's.
    error(iq(s, c, "<pubsub xmlns='%s'><create node='n'/></pubsub>" % PS,
             to="pubsub.example.org", type="set"), "cancel",
          "remote-server-not-found")
    me = "sub@example.org/r"
    for payload, feature in (
            ("<pubsub xmlns='%s'><create node='n'/></pubsub>" % PS,
             "create-nodes"),
            ("<pubsub xmlns='%s'><subscribe node='n' jid='%s'/></pubsub>" %
             (PS, me), "subscribe"),
            ("<pubsub xmlns='%s'><unsubscribe node='n' jid='%s'/></pubsub>"
             % (PS, me), "subscribe"),
            ("<pubsub xmlns='%s'><affiliations node='n'/></pubsub>" % PSO,
             "modify-affiliations"),
            ("<pubsub xmlns='%s'><purge node='n'/></pubsub>" % PSO,
             "purge-nodes")):
        error(iq(s, c, payload, type="set"), "cancel",
              "feature-not-implemented", "unsupported", feature)
    for payload, feature in (
            ("<pubsub xmlns='%s'><affiliations node='n'/></pubsub>" % PSO,
             "modify-affiliations"),
            ("<pubsub xmlns='%s'><subscriptions/></pubsub>" % PS,
             "retrieve-subscriptions")):
        error(iq(s, c, payload), "cancel", "feature-not-implemented",
              "unsupported", feature)
    # An action of another namespace than its <pubsub/> is no action.
    error(iq(s, c, "<pubsub xmlns='%s'><publish xmlns='%s' node='n'><item>"
             "<x xmlns='t'/></item></publish></pubsub>" % (PSO, PS),
             type="set"), "modify", "bad-request")
    error(iq(s, c, "<pubsub xmlns='%s'><publish node='n'><item><x xmlns="
             "'t'/></item></publish></pubsub>" % PSO, type="set"),
          "cancel", "feature-not-implemented")
    error(items(s, c, "n"), "cancel", "item-not-found")
    c.close()


# -- Message archive ------------------------------------------------------

def mam_query(s, c, inner=""):
    s.n += 1
    ident = "s%d" % s.n
    c.send("<iq type='set' id='%s'><query xmlns='%s' queryid='q1'>%s"
           "</query></iq>" % (ident, MAM, inner))
    m = c.expect(r"(.*?)(<iq\b[^>]*\bid='%s'[^>]*?(/>|>.*?</iq>))" % ident)
    res = [ET.fromstring(x).find("{%s}result" % MAM) for x in
           re.findall(r"<message\b.*?</message>(?=<message|$)",
                      m.group(1), re.S)]
    return res, ET.fromstring(m.group(2))


def test_archive_metadata_query_and_flipped_page(s):
    c = login("mam", s)
    r = result(iq(s, c, "<prefs xmlns='%s' default='always'><always/>"
                  "<never/></prefs>" % MAM, type="set"))
    assert r.find("{%s}prefs" % MAM).get("default") == "always"
    for i, body in (("chat01", "Hello"), ("chat02", "U there?")):
        c.send("<message to='someone@example.org' type='chat' id='%s'>"
               "<body>%s</body></message>" % (i, body))
    md = result(iq(s, c, "<metadata xmlns='%s'/>" % MAM))
    start = md.find("{%s}metadata/{%s}start" % (MAM, MAM))
    end = md.find("{%s}metadata/{%s}end" % (MAM, MAM))
    res, fin = mam_query(s, c)
    assert [x.get("id") for x in res] == [start.get("id"), end.get("id")]
    inner = [x.find(".//{jabber:client}message") for x in res]
    assert [m.get("id") for m in inner] == ["chat01", "chat02"]
    assert inner[0].get("from") == "mam@example.org/r"
    stamps = [x.find(".//{urn:xmpp:delay}delay").get("stamp") for x in res]
    assert stamps == [start.get("timestamp"), end.get("timestamp")]
    assert result(fin).find("{%s}fin" % MAM).get("complete") == "true"
    res, fin = mam_query(s, c, "<flip-page/>")
    assert [x.find(".//{jabber:client}message").get("id") for x in res] == \
        ["chat02", "chat01"]
    assert result(fin).find("{%s}fin" % MAM).get("complete") == "true"
    c.close()


def test_archive_prefs_jids_are_prepared(s):
    c = login("prep", s)
    r = result(iq(s, c, "<prefs xmlns='%s' default='roster'><always><jid>"
                  "JULIET@MONTAGUE.LIT</jid></always><never><jid>"
                  "MONTAGUE@MONTAGUE.LIT</jid></never></prefs>" % MAM,
                  type="set"))
    p = r.find("{%s}prefs" % MAM)
    assert p.get("default") == "roster"
    assert [j.text for j in p.findall("{%s}always/{%s}jid" % (MAM, MAM))] \
        == ["juliet@montague.lit"], ET.tostring(r)
    assert [j.text for j in p.findall("{%s}never/{%s}jid" % (MAM, MAM))] \
        == ["montague@montague.lit"], ET.tostring(r)
    c.close()


# -- A removed account; upload slots --------------------------------------

def test_probe_to_a_removed_account(s):
    """The account is gone at once; a probe to it learns nothing and
    the server goes on (RFC 6121 section 4.3.2)."""
    add_user(s, "gone@%s" % OPEN, "gone-pw")
    add_user(s, "asker@%s" % OPEN, "asker-pw")
    a = login("asker", s, domain=OPEN)
    g = login("gone", s, domain=OPEN)
    g.send("<presence/><iq type='set' id='bye'><query xmlns='jabber:iq:"
           "register'><remove/></query></iq>")
    assert "Account removed" in g.closed()
    assert "gone@" not in s.ctl("user", "list", OPEN).stdout
    a.send("<presence type='probe' to='gone@%s'/>" % OPEN)
    got = before_ping(s, a)
    assert not re.search(r"<presence\b(?![^>]*type=)[^>]*from='gone@", got), \
        got
    a.close()


def upload(s, c, filename, size, ctype="text/plain"):
    return iq(s, c, "<request xmlns='%s' filename='%s' size='%s' "
              "content-type='%s'/>" % (UPLOAD, filename, size, ctype), to=UP)


def test_upload_slot_and_its_refusals(s):
    c = login("slot", s)
    r = result(upload(s, c, "verysmall.dat", "5"))
    slot = r.find("{%s}slot" % UPLOAD)
    assert slot.find("{%s}get" % UPLOAD).get("url").startswith("https://")
    assert slot.find("{%s}put" % UPLOAD).get("url").startswith("https://")
    e = error(upload(s, c, "toolarge.dat", "10000000000"), "modify",
              "not-acceptable")
    assert e.findtext("{%s}file-too-large/{%s}max-file-size" %
                      (UPLOAD, UPLOAD)) == str(10 * 1024 * 1024), \
        ET.tostring(e)
    error(upload(s, c, "negative.dat", "-1000"), "modify", "bad-request")
    error(upload(s, c, "invalid/filename.dat", "1000"), "modify",
          "bad-request")
    c.close()
