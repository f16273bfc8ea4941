"""Wire-level scenarios of instant messaging, replayed exactly: the
stanzas a client sends and what RFC 6120/6121 and the XEPs say it must
get back (presence, messages, the roster and subscriptions, blocking,
the server's own IQs, vCards, leaving a room)."""

import xml.etree.ElementTree as ET

from rawxmpp import Raw
from xmppdtest import Server, add_user

DOMAIN = "example.org"
MUC = "conference.example.org"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
CONTACTS = (("abuse", "mailto:abuse@example.org"),
            ("abuse", "xmpp:abuse@example.org"),
            ("admin", "mailto:admin@example.org"),
            ("feedback", "http://example.org/feedback.html"),
            ("sales", "xmpp:sales@example.org"),
            ("security", "xmpp:security@example.org"),
            ("support", "https://example.org/support.html"),
            ("support", "xmpp:support@example.org"))
USERS = ("romeo", "juliet", "pa", "pb", "ka", "kb", "ra", "rb", "blocker",
         "blockee", "la", "va", "vb", "ma", "mb", "ea", "eb", "na", "nb")


def setup():
    s = Server()
    contacts = "".join('\tcontact %s "%s"\n' % c for c in CONTACTS)
    s.write_conf(raw=s.base_conf().replace(
        "\tauth internal\n", "\tauth internal\n" + contacts) +
        'muc "%s" {\n\thistory 10\n}\n' % MUC)
    s.start()
    for u in USERS:
        add_user(s, "%s@%s" % (u, DOMAIN), u + "-pw")
    return s


def teardown(s):
    s.stop()


def connect(s, user, resource=None):
    r = Raw(s.ports["client"])
    r.login(user, user + "-pw", resource)
    return r


def sync(r, tag):
    """Everything sent to r before now has arrived: returns it."""
    r.send("<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/>"
           "</iq>" % (tag, DOMAIN))
    return r.expect(r"(.*?)<iq[^>]*id='%s'[^>]*?(/>|>.*?</iq>)" %
                    tag).group(1)


def next_stanza(r, name, cond=lambda e: True, timeout=10):
    """The next stanza named name for which cond holds; the others
    before it are dropped."""
    while True:
        m = r.expect(r"<(%s)\b(?:[^>]*?/>|.*?</\1>)" % name, timeout)
        tag = "<" + m.group(1)
        e = ET.fromstring(m.group(0).replace(
            tag, tag + " xmlns='jabber:client'", 1)
            if "xmlns=" not in m.group(0).split(">", 1)[0]
            else m.group(0))
        if cond(e):
            return e


def q(tag, ns="jabber:client"):
    return "{%s}%s" % (ns, tag)


def iq(r, tag, body, itype="get", to=None):
    r.send("<iq type='%s' id='%s'%s>%s</iq>" %
           (itype, tag, " to='%s'" % to if to else "", body))
    return next_stanza(r, "iq", lambda e: e.get("id") == tag)


def available(s, user, resource=None, presence="<presence/>"):
    """Logged in, initial presence sent and its echo received."""
    r = connect(s, user, resource)
    r.send(presence)
    p = next_stanza(r, "presence", lambda e: e.get("from") == r.jid)
    assert p.get("type") is None, ET.tostring(p)
    return r


def close(*rs):
    for r in rs:
        r.close()


# RFC 6121 4.2.2: initial presence goes back to the resource that sent it.
def test_initial_presence_is_echoed_to_its_sender(s):
    r = connect(s, "romeo")
    r.send("<presence/>")
    p = next_stanza(r, "presence")
    assert p.get("from") == r.jid and p.get("type") is None, ET.tostring(p)
    close(r)


# RFC 6121 4.5.2: so is unavailable presence, to every resource.
def test_unavailable_presence_is_echoed_to_its_sender(s):
    r = available(s, "romeo", "one")
    o = available(s, "romeo", "two")
    r.send("<presence type='unavailable'><status>Bye</status></presence>")
    for c in (r, o):
        p = next_stanza(c, "presence", lambda e: e.get("from") == r.jid and
                        e.get("type") == "unavailable")
        assert p.findtext(q("status")) == "Bye", ET.tostring(p)
    close(r, o)


def msg(to, body, mid=None):
    return ("<message to='%s' type='chat'%s><body>%s</body></message>" %
            (to, " id='%s'" % mid if mid else "", body))


def body_is(text):
    return lambda e: e.findtext(q("body")) == text


# RFC 6121 8.5: full JIDs, offline storage of a bare-JID chat, priority.
def test_message_routing_full_bare_offline_and_priority(s):
    m1 = connect(s, "ma")
    laptop = connect(s, "mb")
    phone = connect(s, "mb", "mobile")
    m1.send("<presence/>")
    next_stanza(m1, "presence", lambda e: e.get("from") == m1.jid)
    # To a full JID: delivered though no presence was sent.
    m1.send(msg(laptop.jid, "Hello Juliet!"))
    e = next_stanza(laptop, "message", body_is("Hello Juliet!"))
    assert (e.get("to"), e.get("from"), e.get("type")) == \
        (laptop.jid, m1.jid, "chat"), ET.tostring(e)
    m1.send(msg(phone.jid, "On your phone."))
    e = next_stanza(phone, "message", body_is("On your phone."))
    assert (e.get("to"), e.get("from")) == (phone.jid, m1.jid)
    # To the bare JID with no available resource: kept (8.5.2.2.1) and
    # given at the first available presence, with its delay (XEP-0160).
    m1.send(msg("mb@" + DOMAIN, "Are you there?"))
    sync(m1, "m-off")
    phone.send("<presence/>")
    next_stanza(phone, "presence", lambda e: e.get("from") == phone.jid)
    e = next_stanza(phone, "message", body_is("Are you there?"))
    assert e.get("from") == m1.jid, ET.tostring(e)
    delay = e.find("{urn:xmpp:delay}delay")
    assert delay is not None and delay.get("stamp"), ET.tostring(e)
    assert delay.get("from") == DOMAIN, ET.tostring(e)
    assert "Are you there?" not in sync(laptop, "m-l1")
    # Now available: at once, to the phone.
    m1.send(msg("mb@" + DOMAIN, "Oh, hi!"))
    next_stanza(phone, "message", body_is("Oh, hi!"))
    # A negative priority: the laptop and the phone both see it, and a
    # bare-JID chat goes to the phone alone (8.5.2.1.1).
    laptop.send("<presence><priority>-1</priority></presence>")
    for r in (laptop, phone):
        e = next_stanza(r, "presence", lambda e: e.get("from") == laptop.jid)
        assert e.findtext(q("priority")) == "-1", ET.tostring(e)
    m1.send(msg("mb@" + DOMAIN, "How are you?"))
    next_stanza(phone, "message", body_is("How are you?"))
    # A full JID still reaches it.
    m1.send(msg(laptop.jid, "Are you hiding?"))
    next_stanza(laptop, "message", body_is("Are you hiding?"))
    assert "How are you?" not in laptop.buf
    # Both at priority 0: a bare-JID chat reaches both (a choice the
    # RFC allows; xmppd makes it).
    laptop.send("<presence/>")
    for r in (laptop, phone):
        next_stanza(r, "presence", lambda e: e.get("from") == laptop.jid and
                    e.find(q("priority")) is None)
    m1.send(msg("mb@" + DOMAIN, "There!"))
    for r in (laptop, phone):
        e = next_stanza(r, "message", body_is("There!"))
        assert e.get("from") == m1.jid
    close(m1, laptop, phone)


def roster_items(e):
    query = e.find("{jabber:iq:roster}query")
    assert query is not None, ET.tostring(e)
    return {i.get("jid"): i for i in query.findall(
        "{jabber:iq:roster}item")}


# RFC 6121 2.1.3, 2.3: get, set, the push, and the roster after it.
def test_roster_add_pushes_and_lists_the_item(s):
    r = available(s, "ra")
    e = iq(r, "roster1", "<query xmlns='jabber:iq:roster'/>")
    assert e.get("type") == "result" and roster_items(e) == {}, \
        ET.tostring(e)
    r.send("<iq type='set' id='roster2'><query xmlns='jabber:iq:roster'>"
           "<item jid='nurse@example.org'/></query></iq>")
    got = {}
    while len(got) < 2:
        e = next_stanza(r, "iq")
        got["push" if e.get("type") == "set" else e.get("id")] = e
    assert got["roster2"].get("type") == "result", ET.tostring(got["roster2"])
    item = roster_items(got["push"])["nurse@example.org"]
    assert item.get("subscription") == "none", ET.tostring(item)
    r.send("<iq type='result' id='%s'/>" % got["push"].get("id"))
    e = iq(r, "roster3", "<query xmlns='jabber:iq:roster'/>")
    items = roster_items(e)
    assert list(items) == ["nurse@example.org"], ET.tostring(e)
    assert items["nurse@example.org"].get("subscription") == "none"
    close(r)


# RFC 6121 3.4: a server that pre-approves says so in its features.
def test_preapproval_is_advertised(s):
    r = Raw(s.ports["client"])
    r.starttls()
    r.header()
    m = r.auth_plain("pa", "pa-pw")
    assert m.group(1) == "success"
    feats = r.header().group(1)
    assert "<sub xmlns='urn:xmpp:features:pre-approval'/>" in feats, feats
    close(r)


# RFC 6121 2.1.2.1, 3.4: the pre-approval is an item, approved='true';
# one to an address that is no JID is refused (RFC 6120 8.3.3.8).
def test_preapproval_is_shown_and_bad_addresses_refused(s):
    a = available(s, "pa", "show")
    a.send("<iq type='get' id='r0'><query xmlns='jabber:iq:roster'/></iq>")
    next_stanza(a, "iq", lambda e: e.get("id") == "r0")
    a.send("<presence to='nurse2@%s' type='subscribed'/>" % DOMAIN)
    e = next_stanza(a, "iq", lambda e: e.get("type") == "set")
    item = roster_items(e)["nurse2@" + DOMAIN]
    assert item.get("approved") == "true" and \
        item.get("subscription") == "none", ET.tostring(e)
    e = iq(a, "r1", "<query xmlns='jabber:iq:roster'/>")
    assert roster_items(e)["nurse2@" + DOMAIN].get("approved") == "true", \
        ET.tostring(e)
    for i, st in enumerate((
            "<presence to='a@b@c' type='subscribed' id='bad%d'/>",
            "<presence to='a@b@c' type='subscribe' id='bad%d'/>",
            "<presence to='a@b@c' id='bad%d'/>",
            "<presence to='x@%s' type='subscribed' id='bad%%d'/>" %
            ("y" * 1100),
            "<message to='a@b@c' id='bad%d'><body>x</body></message>")):
        a.send(st % i)
        e = next_stanza(a, "presence|message",
                        lambda e, i=i: e.get("id") == "bad%d" % i)
        assert e.get("type") == "error" and e.find(
            "%s/{%s}jid-malformed" % (q("error"), STANZAS)) is not None, \
            ET.tostring(e)
    # An error is never answered with an error.
    a.send("<message to='a@b@c' type='error' id='quiet'/>")
    assert "quiet" not in sync(a, "r2")
    e = iq(a, "r3", "<query xmlns='jabber:iq:roster'/>")
    assert list(roster_items(e)) == ["nurse2@" + DOMAIN], ET.tostring(e)
    close(a)


# RFC 6121 3.4: a pre-approved request is answered by the server.
def test_preapproved_subscription_is_answered_at_once(s):
    a = available(s, "pa")
    a.send("<presence to='pb@%s' type='subscribed'/>" % DOMAIN)
    sync(a, "pre")
    b = connect(s, "pb")
    e = iq(b, "roster1", "<query xmlns='jabber:iq:roster'/>")
    assert roster_items(e) == {}, ET.tostring(e)
    b.send("<presence/>")
    next_stanza(b, "presence", lambda e: e.get("from") == b.jid)
    b.send("<presence to='pa@%s' type='subscribe'/>" % DOMAIN)
    e = next_stanza(b, "iq", lambda e: e.get("type") == "set")
    item = roster_items(e)["pa@" + DOMAIN]
    assert item.get("subscription") == "none" and \
        item.get("ask") == "subscribe", ET.tostring(e)
    next_stanza(b, "presence", lambda e: e.get("type") == "subscribed" and
                e.get("from") == "pa@" + DOMAIN)
    close(b)
    e = iq(a, "roster2", "<query xmlns='jabber:iq:roster'/>")
    item = roster_items(e)["pb@" + DOMAIN]
    assert item.get("subscription") == "from", ET.tostring(e)
    close(a)


# RFC 6121 3.1.3: the complete request is kept for an offline contact.
def test_offline_subscription_request_keeps_its_extensions(s):
    a = connect(s, "ka")
    a.send("<presence to='kb@%s' type='subscribe'><preauth "
           "xmlns='urn:xmpp:pars:0' token='1tMFqYDdKhfe2pwp'/></presence>"
           % DOMAIN)
    sync(a, "k1")
    close(a)
    b = connect(s, "kb")
    b.send("<presence/>")
    e = next_stanza(b, "presence", lambda e: e.get("type") == "subscribe")
    assert e.get("from") == "ka@" + DOMAIN, ET.tostring(e)
    pa = e.find("{urn:xmpp:pars:0}preauth")
    assert pa is not None and pa.get("token") == "1tMFqYDdKhfe2pwp", \
        ET.tostring(e)
    close(b)


def mutual(x, y, xn, yn):
    """x and y (users xn, yn, both available) subscribe both ways."""
    for f, t, fn, tn in ((x, y, xn, yn), (y, x, yn, xn)):
        f.send("<presence to='%s@%s' type='subscribe'/>" % (tn, DOMAIN))
        next_stanza(t, "presence", lambda e: e.get("type") == "subscribe")
        t.send("<presence to='%s@%s' type='subscribed'/>" % (fn, DOMAIN))
        # RFC 6121 3.1.5: the new subscriber gets the contact's presence.
        e = next_stanza(f, "presence", lambda e: e.get("from") == t.jid)
        assert e.get("type") is None, ET.tostring(e)


# RFC 6121 3.2.2, 2.5.2: removing a contact sends it unavailable.
def test_roster_remove_sends_unavailable_to_the_contact(s):
    r = available(s, "ra", "rm")
    j = available(s, "rb", "rm")
    mutual(r, j, "ra", "rb")
    e = iq(j, "iq1", "<query xmlns='jabber:iq:roster'><item jid='ra@%s' "
           "subscription='remove'/></query>" % DOMAIN, "set")
    assert e.get("type") == "result", ET.tostring(e)
    e = next_stanza(r, "presence", lambda e: e.get("from") == j.jid)
    assert e.get("type") == "unavailable", ET.tostring(e)
    close(r, j)


def blocked_error(e):
    err = e.find(q("error"))
    return err is not None and err.get("type") == "cancel" and \
        err.find("{%s}not-acceptable" % STANZAS) is not None and \
        err.find("{urn:xmpp:blocking:errors}blocked") is not None


# XEP-0191 3.3 to 3.5: what a block does, and an unblock undoes.
def test_block_and_unblock_a_contact(s):
    a = available(s, "blocker")
    b = available(s, "blockee")
    mutual(a, b, "blocker", "blockee")
    b.send(msg("blocker@" + DOMAIN, "ohai"))
    e = next_stanza(a, "message", body_is("ohai"))
    assert e.get("from") == b.jid
    e = iq(a, "lx2", "<block xmlns='urn:xmpp:blocking'><item jid='"
           "blockee@%s'/></block>" % DOMAIN, "set")
    assert e.get("type") == "result", ET.tostring(e)
    e = next_stanza(b, "presence", lambda e: e.get("from") == a.jid)
    assert e.get("type") == "unavailable", ET.tostring(e)
    a.send(msg("blockee@" + DOMAIN, "hello?", "m1"))
    e = next_stanza(a, "message", lambda e: e.get("id") == "m1")
    assert e.get("type") == "error" and blocked_error(e), ET.tostring(e)
    # RFC 6120 8.3.1: an error comes from the address it was sent to.
    assert e.get("from") == "blockee@" + DOMAIN, ET.tostring(e)
    b.send("<message type='chat' id='m2' to='blocker@%s'/>" % DOMAIN)
    e = next_stanza(b, "message", lambda e: e.get("id") == "m2")
    assert e.get("type") == "error" and e.find(
        "%s/{%s}service-unavailable" % (q("error"), STANZAS)) is not None, \
        ET.tostring(e)
    assert e.get("from") == "blocker@" + DOMAIN, ET.tostring(e)
    e = iq(a, "lx3", "<unblock xmlns='urn:xmpp:blocking'><item jid='"
           "blockee@%s'/></unblock>" % DOMAIN, "set")
    assert e.get("type") == "result", ET.tostring(e)
    a.send(msg("blockee@" + DOMAIN, "hello!"))
    e = next_stanza(b, "message", body_is("hello!"))
    assert e.get("from") == a.jid
    close(b)
    next_stanza(a, "presence", lambda e: e.get("from") == b.jid and
                e.get("type") == "unavailable")
    close(a)


# XEP-0030 with no 'to': the account answers for itself.
def test_disco_info_of_ones_own_account(s):
    r = connect(s, "la")
    e = iq(r, "info1", "<query xmlns='http://jabber.org/protocol/"
           "disco#info'/>")
    ns = "{http://jabber.org/protocol/disco#info}"
    query = e.find(ns + "query")
    ids = [(i.get("category"), i.get("type")) for i in
           query.findall(ns + "identity")]
    assert ("account", "registered") in ids, ET.tostring(e)
    feats = [f.get("var") for f in query.findall(ns + "feature")]
    for f in ("http://jabber.org/protocol/disco#info",
              "http://jabber.org/protocol/disco#items"):
        assert f in feats, ET.tostring(e)
    close(r)


# XEP-0092: name and version, and no operating system.
def test_software_version_of_the_server(s):
    r = connect(s, "la")
    e = iq(r, "lx2", "<query xmlns='jabber:iq:version'/>", to=DOMAIN)
    assert e.get("type") == "result" and e.get("from") == DOMAIN, \
        ET.tostring(e)
    query = e.find("{jabber:iq:version}query")
    assert [c.tag.split("}")[1] for c in query] == ["name", "version"], \
        ET.tostring(e)
    assert query.findtext("{jabber:iq:version}name") == "xmppd"
    close(r)


# XEP-0012 section 4: an account with no available resource answers
# with the seconds since and the status of its last unavailable
# presence; with one, 0 and nothing else.
def test_last_activity_of_ones_own_account(s):
    r = available(s, "la", "last", "<presence><status>Hello</status>"
                  "</presence>")
    e = iq(r, "a0", "<query xmlns='jabber:iq:last'/>")
    query = e.find("{jabber:iq:last}query")
    assert query.get("seconds") == "0" and not query.text, ET.tostring(e)
    r.send("<presence type='unavailable'><status>Goodbye</status>"
           "</presence>")
    sync(r, "l1")
    e = iq(r, "a", "<query xmlns='jabber:iq:last'/>")
    assert e.get("type") == "result", ET.tostring(e)
    query = e.find("{jabber:iq:last}query")
    assert query.get("seconds", "").isdigit(), ET.tostring(e)
    assert query.text == "Goodbye", ET.tostring(e)
    # Text that needs escaping comes back as sent.
    r.send("<presence/><presence type='unavailable'><status>a &lt;b&gt; "
           "&amp; c</status></presence>")
    sync(r, "l2")
    e = iq(r, "b", "<query xmlns='jabber:iq:last'/>", to="la@" + DOMAIN)
    assert e.find("{jabber:iq:last}query").text == "a <b> & c", \
        ET.tostring(e)
    # Without a status, none is kept from before.
    r.send("<presence/><presence type='unavailable'/>")
    sync(r, "l3")
    e = iq(r, "c", "<query xmlns='jabber:iq:last'/>")
    assert not e.find("{jabber:iq:last}query").text, ET.tostring(e)
    # Another account's is not told; a set is refused.
    e = iq(r, "d", "<query xmlns='jabber:iq:last'/>", to="va@" + DOMAIN)
    assert e.get("type") == "error" and e.find(
        "%s/{%s}service-unavailable" % (q("error"), STANZAS)) is not None, \
        ET.tostring(e)
    e = iq(r, "e", "<query xmlns='jabber:iq:last'/>", "set")
    assert e.get("type") == "error", ET.tostring(e)
    # Another resource available: 0 again.
    o = available(s, "la", "other")
    e = iq(r, "f", "<query xmlns='jabber:iq:last'/>")
    query = e.find("{jabber:iq:last}query")
    assert query.get("seconds") == "0" and not query.text, ET.tostring(e)
    close(r, o)


# XEP-0012 section 5: the server's uptime.
def test_server_uptime(s):
    r = connect(s, "la")
    e = iq(r, "a", "<query xmlns='jabber:iq:last'/>", to=DOMAIN)
    assert e.get("type") == "result" and e.get("from") == DOMAIN, \
        ET.tostring(e)
    assert e.find("{jabber:iq:last}query").get("seconds").isdigit()
    close(r)


# XEP-0157: the contact addresses, one list-multi field per kind.
def test_contact_addresses_in_disco_info(s):
    r = connect(s, "la")
    e = iq(r, "lx2", "<query xmlns='http://jabber.org/protocol/"
           "disco#info'/>", to=DOMAIN)
    x = e.find("{http://jabber.org/protocol/disco#info}query/"
               "{jabber:x:data}x")
    assert x is not None and x.get("type") == "result", ET.tostring(e)
    fields = {f.get("var"): f for f in x.findall("{jabber:x:data}field")}
    ft = fields["FORM_TYPE"]
    assert ft.get("type") == "hidden" and \
        ft.findtext("{jabber:x:data}value") == \
        "http://jabber.org/network/serverinfo", ET.tostring(e)
    want = {}
    for kind, uri in CONTACTS:
        want.setdefault(kind + "-addresses", []).append(uri)
    for var, uris in want.items():
        f = fields[var]
        assert f.get("type") == "list-multi", ET.tostring(f)
        assert sorted(v.text for v in f.findall("{jabber:x:data}value")) \
            == sorted(uris), ET.tostring(f)
    assert set(fields) == set(want) | {"FORM_TYPE"}, ET.tostring(e)
    close(r)


# XEP-0215 is not offered: the server says so (RFC 6120 8.4).
def test_external_services_are_not_offered(s):
    r = connect(s, "ea")
    for tag, body in (
            ("lx2", "<services xmlns='urn:xmpp:extdisco:2'/>"),
            ("lx4", "<credentials xmlns='urn:xmpp:extdisco:2'><service "
                    "host='default.example' type='turn'/></credentials>")):
        e = iq(r, tag, body, to=DOMAIN)
        assert e.get("type") == "error", ET.tostring(e)
        assert e.find("%s/{%s}service-unavailable" % (q("error"), STANZAS)) \
            is not None, ET.tostring(e)
    feats = iq(r, "di", "<query xmlns='http://jabber.org/protocol/"
               "disco#info'/>", to=DOMAIN)
    assert b"extdisco" not in ET.tostring(feats)
    close(r)


VCARD = ("<vCard xmlns='vcard-temp'><FN>Romeo Montague</FN><N>"
         "<FAMILY>Montague</FAMILY><GIVEN>Romeo</GIVEN><MIDDLE/><PREFIX/>"
         "<SUFFIX/></N></vCard>")


def vcard_ok(e):
    v = e.find("{vcard-temp}vCard")
    assert v is not None, ET.tostring(e)
    assert v.findtext("{vcard-temp}FN") == "Romeo Montague"
    n = v.find("{vcard-temp}N")
    assert [c.tag.split("}")[1] for c in n] == \
        ["FAMILY", "GIVEN", "MIDDLE", "PREFIX", "SUFFIX"], ET.tostring(e)
    assert n.findtext("{vcard-temp}GIVEN") == "Romeo"


# XEP-0054: set and get one's own vCard, and another user reads it.
def test_vcard_set_get_and_read_by_another(s):
    r = connect(s, "va")
    e = iq(r, "lx3", VCARD, "set")
    assert e.get("type") == "result", ET.tostring(e)
    e = iq(r, "lx4", "<vCard xmlns='vcard-temp'/>")
    assert e.get("type") == "result", ET.tostring(e)
    vcard_ok(e)
    close(r)
    j = connect(s, "vb")
    e = iq(j, "lx3", "<vCard xmlns='vcard-temp'/>", to="va@" + DOMAIN)
    assert e.get("type") == "result" and e.get("from") == "va@" + DOMAIN, \
        ET.tostring(e)
    vcard_ok(e)
    close(j)


MUC_NS = "http://jabber.org/protocol/muc"


def muc_user(e):
    return e.find("{%s#user}x" % MUC_NS)


def create_room(r, room, nick):
    """r creates room and accepts the default configuration."""
    r.send("<presence to='%s@%s/%s'><x xmlns='%s'/></presence>" %
           (room, MUC, nick, MUC_NS))
    e = next_stanza(r, "presence", lambda e: e.get("from") ==
                    "%s@%s/%s" % (room, MUC, nick))
    codes = [c.get("code") for c in muc_user(e).findall(
        "{%s#user}status" % MUC_NS)]
    assert "201" in codes and "110" in codes, ET.tostring(e)
    e = iq(r, "config1", "<query xmlns='%s#owner'><x xmlns='jabber:x:data'"
           " type='submit'><field var='FORM_TYPE'><value>%s#roomconfig"
           "</value></field></x></query>" % (MUC_NS, MUC_NS), "set",
           "%s@%s" % (room, MUC))
    assert e.get("type") == "result", ET.tostring(e)


def join(r, room, nick, others):
    r.send("<presence to='%s@%s/%s'><x xmlns='%s'/></presence>" %
           (room, MUC, nick, MUC_NS))
    next_stanza(r, "presence", lambda e: e.get("from") ==
                "%s@%s/%s" % (room, MUC, nick))
    for o in others:
        next_stanza(o, "presence", lambda e: e.get("from") ==
                    "%s@%s/%s" % (room, MUC, nick))


# XEP-0045 7.14: the exit status is passed to the others, with the item.
def test_room_exit_keeps_its_status(s):
    a = connect(s, "na")
    b = connect(s, "nb")
    create_room(a, "exit", "Romeo")
    join(b, "exit", "Juliet", [a])
    b.send("<presence type='unavailable' to='exit@%s/Juliet'><status>"
           "Farewell</status></presence>" % MUC)
    e = next_stanza(a, "presence", lambda e: e.get("from") ==
                    "exit@%s/Juliet" % MUC)
    assert e.get("type") == "unavailable", ET.tostring(e)
    assert e.findtext(q("status")) == "Farewell", ET.tostring(e)
    item = muc_user(e).find("{%s#user}item" % MUC_NS)
    assert item.get("role") == "none" and item.get("affiliation") == "none",\
        ET.tostring(e)
    close(a, b)


# XEP-0045 7.2.? (status 333): an error from an occupant removes it.
def test_error_presence_from_an_occupant_removes_it(s):
    a = connect(s, "na", "e1")
    b = connect(s, "nb", "e1")
    create_room(a, "err", "Romeo")
    join(b, "err", "Juliet", [a])
    b.send("<presence type='error' to='err@%s'><error type='cancel'>"
           "<service-unavailable xmlns='%s'/><text xmlns='%s'>Test error"
           "</text></error></presence>" % (MUC, STANZAS, STANZAS))
    e = next_stanza(a, "presence", lambda e: e.get("from") ==
                    "err@%s/Juliet" % MUC)
    assert e.get("type") == "unavailable", ET.tostring(e)
    codes = [c.get("code") for c in muc_user(e).findall(
        "{%s#user}status" % MUC_NS)]
    assert "333" in codes, ET.tostring(e)
    close(a, b)


# XEP-0045 9.3: membership granted to an occupant, named by its nick;
# the occupant and the others see its new affiliation.
def test_membership_granted_by_nick(s):
    a = connect(s, "na", "m1")
    b = connect(s, "nb", "m1")
    create_room(a, "grant", "Romeo")
    join(b, "grant", "Juliet", [a])
    e = iq(a, "member1", "<query xmlns='%s#admin'><item affiliation='"
           "member' nick='Juliet'/></query>" % MUC_NS, "set",
           "grant@" + MUC)
    assert e.get("type") == "result", ET.tostring(e)
    for r in (a, b):
        e = next_stanza(r, "presence", lambda e: e.get("from") ==
                        "grant@%s/Juliet" % MUC)
        item = muc_user(e).find("{%s#user}item" % MUC_NS)
        assert item.get("affiliation") == "member" and \
            item.get("role") == "participant", ET.tostring(e)
    e = iq(a, "member2", "<query xmlns='%s#admin'><item affiliation='"
           "member' nick='Nobody'/></query>" % MUC_NS, "set",
           "grant@" + MUC)
    assert e.get("type") == "error", ET.tostring(e)
    close(a, b)
