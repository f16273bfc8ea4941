"""IQs the server answers itself: service discovery (XEP-0030), software
version (XEP-0092), entity time (XEP-0202) and last activity (XEP-0012),
and the errors around them."""

import calendar
import re
import time
import xml.etree.ElementTree as ET

from rawxmpp import Raw
from xmppdtest import Server, add_user, free_port

DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
FEATURES = [DISCO_INFO, DISCO_ITEMS, "urn:xmpp:ping", "jabber:iq:version",
            "urn:xmpp:time", "jabber:iq:last", "jabber:iq:roster",
            "vcard-temp", "jabber:iq:private", "urn:xmpp:carbons:2",
            "urn:xmpp:blocking", "urn:xmpp:mam:2", "urn:xmpp:mam:2#extended",
            "http://jabber.org/protocol/commands", "msgoffline"]

SERVICES = ('muc "conference.example.org" {\n\thistory 10\n}\n'
            'muc "rooms.elsewhere.example" {\n\thistory 10\n}\n'
            'upload "upload.example.org" {\n'
            '\tlisten on 127.0.0.1 port %d tls\n'
            '\turl "https://upload.example.org:%d"\n}\n'
            'component "gw.example.org" password "gw-secret"\n')


def setup():
    port = free_port()
    s = Server(body=SERVICES % (port, port))
    s.started_at = time.monotonic()
    s.start()
    add_user(s, "alice@example.org", "alice-pw")
    add_user(s, "bob@example.org", "bob-pw")
    s.alice = Raw(s.ports["client"])
    s.alice.login("alice", "alice-pw", "desk")
    s.n = 0
    return s


def teardown(s):
    s.alice.close()
    s.stop()


def iq(s, payload, to="example.org", type="get"):
    """Send an IQ as alice; returns the answer, parsed."""
    s.n += 1
    ident = "q%d" % s.n
    dest = " to='%s'" % to if to is not None else ""
    s.alice.send("<iq type='%s' id='%s'%s>%s</iq>" %
                 (type, ident, dest, payload))
    m = s.alice.expect(r"<iq\b[^>]*\bid='%s'[^>]*?(/>|>.*?</iq>)" % ident)
    return ET.fromstring(m.group(0))


def result(reply):
    assert reply.get("type") == "result", ET.tostring(reply)
    return reply


def error(reply, cond, etype="cancel"):
    assert reply.get("type") == "error", ET.tostring(reply)
    e = reply.find("error")
    assert e is not None and e.get("type") == etype, ET.tostring(reply)
    assert e.find("{%s}%s" % (STANZAS, cond)) is not None, \
        ET.tostring(reply)


def test_disco_info_server(s):
    r = result(iq(s, "<query xmlns='%s'/>" % DISCO_INFO))
    assert r.get("from") == "example.org", r.attrib
    q = r.find("{%s}query" % DISCO_INFO)
    ids = [i.attrib for i in q.findall("{%s}identity" % DISCO_INFO)]
    assert ids == [{"category": "server", "type": "im", "name": "xmppd"}], \
        ids
    feats = [f.get("var") for f in q.findall("{%s}feature" % DISCO_INFO)]
    assert sorted(feats) == sorted(FEATURES), feats


def test_disco_info_unknown_node(s):
    error(iq(s, "<query xmlns='%s' node='nope'/>" % DISCO_INFO),
          "item-not-found")


def test_disco_info_own_account(s):
    r = result(iq(s, "<query xmlns='%s'/>" % DISCO_INFO,
                  to="alice@example.org"))
    q = r.find("{%s}query" % DISCO_INFO)
    ids = [i.attrib for i in q.findall("{%s}identity" % DISCO_INFO)]
    assert ids == [{"category": "account", "type": "registered"},
                   {"category": "pubsub", "type": "pep"}], ids
    feats = [f.get("var") for f in q.findall("{%s}feature" % DISCO_INFO)]
    assert DISCO_INFO in feats and "jabber:iq:version" not in feats, feats
    # PEP is the account's: the server does not claim a pubsub service.
    assert "http://jabber.org/protocol/pubsub" in feats, feats


def test_disco_info_no_to_is_own_account(s):
    r = result(iq(s, "<query xmlns='%s'/>" % DISCO_INFO, to=None))
    q = r.find("{%s}query" % DISCO_INFO)
    assert q.find("{%s}identity" % DISCO_INFO).get("category") == \
        "account", ET.tostring(r)


def test_disco_other_account(s):
    # XEP-0030 section 8: refused without a subscription, items empty.
    error(iq(s, "<query xmlns='%s'/>" % DISCO_INFO, to="bob@example.org"),
          "service-unavailable")
    r = result(iq(s, "<query xmlns='%s'/>" % DISCO_ITEMS,
                  to="bob@example.org"))
    q = r.find("{%s}query" % DISCO_ITEMS)
    assert q is not None and len(q) == 0, ET.tostring(r)


def test_disco_items_server(s):
    r = result(iq(s, "<query xmlns='%s'/>" % DISCO_ITEMS))
    q = r.find("{%s}query" % DISCO_ITEMS)
    jids = sorted(i.get("jid") for i in q.findall("{%s}item" % DISCO_ITEMS))
    assert jids == ["conference.example.org", "gw.example.org",
                    "upload.example.org"], jids


def test_disco_set_refused(s):
    error(iq(s, "<query xmlns='%s'/>" % DISCO_INFO, type="set"),
          "feature-not-implemented")


def test_version(s):
    r = result(iq(s, "<query xmlns='jabber:iq:version'/>"))
    q = r.find("{jabber:iq:version}query")
    assert q.findtext("{jabber:iq:version}name") == "xmppd", ET.tostring(r)
    assert re.match(r"^\d+(\.\d+)+",
                    q.findtext("{jabber:iq:version}version") or ""), \
        ET.tostring(r)
    assert q.find("{jabber:iq:version}os") is None, ET.tostring(r)


def test_version_set_refused(s):
    error(iq(s, "<query xmlns='jabber:iq:version'/>", type="set"),
          "feature-not-implemented")


def test_version_of_an_account_unavailable(s):
    error(iq(s, "<query xmlns='jabber:iq:version'/>", to="bob@example.org"),
          "service-unavailable")


def test_time(s):
    r = result(iq(s, "<time xmlns='urn:xmpp:time'/>"))
    t = r.find("{urn:xmpp:time}time")
    assert t.findtext("{urn:xmpp:time}tzo") == "+00:00", ET.tostring(r)
    utc = t.findtext("{urn:xmpp:time}utc") or ""
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", utc), utc
    when = calendar.timegm(time.strptime(utc[:19], "%Y-%m-%dT%H:%M:%S"))
    assert abs(when - time.time()) < 60, utc


def test_last_server_uptime(s):
    r = result(iq(s, "<query xmlns='jabber:iq:last'/>"))
    secs = r.find("{jabber:iq:last}query").get("seconds")
    assert secs is not None and secs.isdigit(), ET.tostring(r)
    assert int(secs) <= time.monotonic() - s.started_at + 1, secs


def test_last_own_account_online(s):
    r = result(iq(s, "<query xmlns='jabber:iq:last'/>",
                  to="alice@example.org"))
    assert r.find("{jabber:iq:last}query").get("seconds") == "0", \
        ET.tostring(r)


def test_last_other_account_unavailable(s):
    error(iq(s, "<query xmlns='jabber:iq:last'/>", to="bob@example.org"),
          "service-unavailable")


def test_unknown_namespace(s):
    error(iq(s, "<query xmlns='urn:example:nothing'/>"),
          "service-unavailable")


def test_result_and_error_get_no_answer(s):
    s.alice.send("<iq type='result' id='res1' to='example.org'>"
                 "<query xmlns='jabber:iq:version'/></iq>"
                 "<iq type='error' id='err1' to='example.org'>"
                 "<query xmlns='jabber:iq:version'/><error type='cancel'>"
                 "<service-unavailable xmlns='%s'/></error></iq>"
                 "<iq type='get' id='after' to='example.org'>"
                 "<ping xmlns='urn:xmpp:ping'/></iq>" % STANZAS)
    # Stanzas are handled in order: an answer to either would come first.
    m = s.alice.expect(r"(.*?)<iq\b[^>]*\bid='after'")
    assert "<iq" not in m.group(1), m.group(1)


def test_caps_in_stream_features_match_disco(s):
    import base64
    import hashlib
    from rawxmpp import Raw as R
    r = R(s.ports["client"])
    r.starttls()
    m = r.header()
    ver = re.search(r"<c xmlns='http://jabber.org/protocol/caps' "
                    r"hash='sha-1' node='[^']+' ver='([^']+)'/>",
                    m.group(1)).group(1)
    r.close()
    c = R(s.ports["client"])
    c.login("alice", "alice-pw", "caps")
    c.send("<iq type='get' id='di' to='example.org'><query xmlns="
           "'http://jabber.org/protocol/disco#info'/></iq>")
    info = c.expect(r"<iq[^>]*id='di'.*?</iq>").group(0)
    feats = sorted(re.findall(r"<feature var='([^']+)'/>", info))
    text = "server/im//xmppd<" + "".join(f + "<" for f in feats)
    want = base64.b64encode(hashlib.sha1(text.encode()).digest()).decode()
    assert ver == want, (ver, want, feats)
    c.close()
