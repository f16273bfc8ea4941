"""Wire-level scenarios of the core protocol, replayed exactly: what a
client sends at each step of a stream (header, SASL, binding, the
session) and of its stanzas (their types, ids and children, the roster
and its versions), and the answer RFC 6120/6121 says it must get."""

import base64
import re

from rawxmpp import HEADER, Raw
from xmppdtest import started

DOMAIN = "example.org"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
STREAMS = "urn:ietf:params:xml:ns:xmpp-streams"
ROSTER = "jabber:iq:roster"


def setup():
    return started(("alice", "bob", "carol", "dan", "eve"))


def teardown(s):
    s.stop()


def tls(s):
    r = Raw(s.ports["client"])
    r.starttls()
    return r


def bound(s, user, resource=None):
    r = Raw(s.ports["client"])
    r.login(user, user + "-pw", resource)
    return r


def sync(r, tag):
    """Everything sent to r before now has arrived: returns it."""
    r.send("<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/>"
           "</iq>" % (tag, DOMAIN))
    return r.expect(r"(.*?)<iq[^>]*id='%s'[^>]*?(/>|>.*?</iq>)" %
                    tag).group(1)


def answer(r, tag):
    return r.expect(r"<iq[^>]*id='%s'[^>]*?(/>|>.*?</iq>)" % tag).group(0)


def sasl(r, mech, data=None):
    r.send("<auth xmlns='%s' mechanism='%s'%s" % (
        SASL, mech, "/>" if data is None else ">%s</auth>" % data))
    return r.expect(r"<(success|failure|challenge)[^>]*?(/>|>.*?</\1>)"
                    ).group(0)


def plain(authzid, user, password):
    return base64.b64encode(("%s\0%s\0%s" % (authzid, user, password))
                            .encode()).decode()


# RFC 6120 6.4.5, 6.5: each SASL failure names its condition, and the
# stream stays open for another try (two failures here: a third ends
# the stream, as 6.4.5 lets a server do), which can succeed.
def test_sasl_failures_name_their_condition_and_allow_a_retry(s):
    r = tls(s)
    r.header()
    assert "<not-authorized/>" in sasl(r, "PLAIN",
                                       plain("", "alice", "wrong"))
    assert "<invalid-mechanism/>" in sasl(r, "NO-SUCH-MECH", "=")
    # PLAIN without an initial response gets an empty challenge (6.4.2).
    assert re.match(r"<challenge[^>]*/>", sasl(r, "PLAIN"))
    r.send("<response xmlns='%s'>%s</response>" %
           (SASL, plain("", "alice", "alice-pw")))
    r.expect(r"<success[^>]*/>")
    r.close()
    r = tls(s)
    r.header()
    assert "<incorrect-encoding/>" in sasl(r, "PLAIN", "!!not-base64")
    assert "<invalid-authzid/>" in sasl(
        r, "PLAIN", plain("bob@%s" % DOMAIN, "alice", "alice-pw"))
    assert "<success" in sasl(r, "PLAIN", plain("", "alice", "alice-pw"))
    r.close()
    # Aborted in the middle of an exchange.
    r = tls(s)
    r.header()
    assert "<challenge" in sasl(r, "SCRAM-SHA-1", base64.b64encode(
        b"n,,n=alice,r=abcdefgh").decode())
    r.send("<abort xmlns='%s'/>" % SASL)
    assert "<aborted/>" in r.expect(r"<failure[^>]*>.*?</failure>").group(0)
    assert "<success" in sasl(r, "PLAIN", plain("", "alice", "alice-pw"))
    r.close()


# RFC 6120 7.1, 4.9.3.12: no stanza before a resource is bound.
def test_stanza_before_bind_closes_the_stream(s):
    r = tls(s)
    r.header()
    r.auth_plain("alice", "alice-pw")
    r.header()
    r.send("<message to='bob@%s'><body>early</body></message>" % DOMAIN)
    out = r.closed()
    assert "<not-authorized xmlns='%s'/>" % STREAMS in out, out


# RFC 6120 7.7.2.1, 7.7.2.2; RFC 3921 3 (the session, kept for old
# clients): a bad resource is refused, a taken one ends the old stream
# with <conflict/>, and the session IQ is answered.
def test_bind_refusals_conflict_and_session(s):
    r = tls(s)
    r.header()
    r.auth_plain("carol", "carol-pw")
    feats = r.header().group(1)
    assert "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>" in feats
    for bad in ("x" * 1100, "a\u0085b"):
        m = r.bind(bad).group(0)
        assert "type='error'" in m and "<bad-request" in m, m
    assert "carol@%s/desk" % DOMAIN in r.bind("desk").group(0)
    r.send("<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:"
           "ns:xmpp-session'/></iq>")
    assert "type='result'" in answer(r, "sess")
    other = bound(s, "carol", "desk")
    out = r.closed()
    assert "<conflict xmlns='%s'/>" % STREAMS in out, out
    assert "carol@%s/desk" % DOMAIN in other.jid
    other.close()


# RFC 6120 8.2.3: an IQ has an id and one of four types; a request has
# exactly one child.  What breaks that is <bad-request/>, never silence
# and never an answer that lacks the id it has to carry.
def test_iq_without_type_or_id_or_with_two_children_is_bad_request(s):
    r = bound(s, "dan", "iq")
    ping = "<ping xmlns='urn:xmpp:ping'/>"
    for i, attrs in enumerate(("", " type='fetch'")):
        r.send("<iq id='t%d' to='%s'%s>%s</iq>" % (i, DOMAIN, attrs, ping))
        m = answer(r, "t%d" % i)
        assert "type='error'" in m and "<bad-request" in m, m
    r.send("<iq type='get' to='%s'>%s</iq>" % (DOMAIN, ping))
    got = sync(r, "noid")
    assert "<bad-request" in got and "type='result'" not in got, got
    r.send("<iq type='get' id='two' to='%s'>%s<query xmlns='jabber:iq:"
           "version'/></iq>" % (DOMAIN, ping))
    m = answer(r, "two")
    assert "type='error'" in m and "<bad-request" in m, m
    # Answers (result, error) are never answered, whatever they lack.
    r.send("<iq type='result' to='%s'/><iq type='error' to='%s'/>" %
           (DOMAIN, DOMAIN))
    assert sync(r, "quiet") == ""
    r.close()


# RFC 6121 5.2.2, 8.5.2.2: a message of a type the server does not
# understand is handled as a normal one: to an account with no resource
# online, it is stored and delivered at the next login, not refused.
def test_message_of_unknown_type_is_handled_as_normal(s):
    a = bound(s, "alice", "m")
    a.send("<message to='bob@%s' type='bogus' id='u1'><body>odd</body>"
           "</message>" % DOMAIN)
    got = sync(a, "mu")
    assert "type='error'" not in got, got
    b = bound(s, "bob", "m")
    b.send("<presence/>")
    m = b.expect(r"<message[^>]*id='u1'.*?</message>").group(0)
    assert "<body>odd</body>" in m, m
    a.close()
    b.close()


# RFC 6121 4.7.1: presence of a type not defined is not processed; its
# sender hears <bad-request/>, contacts hear nothing.
def test_presence_of_unknown_type_is_bad_request(s):
    e = bound(s, "eve", "p")
    e.send("<presence/>")
    e.expect(r"<presence[^>]*from='eve@%s/p'" % DOMAIN)
    e.send("<presence type='invisible' id='pt'/>")
    m = e.expect(r"<presence[^>]*id='pt'.*?</presence>").group(0)
    assert "type='error'" in m and "<bad-request" in m, m
    e.close()


# RFC 6121 2.6.1: a server with roster versions says so in the stream
# features it offers once the client is authenticated.
def test_roster_versioning_is_a_stream_feature(s):
    r = tls(s)
    r.header()
    r.auth_plain("alice", "alice-pw")
    feats = r.header().group(1)
    assert "<ver xmlns='urn:xmpp:features:rosterver'/>" in feats, feats
    r.close()


# RFC 6121 2.3.3: a roster set naming a group twice, or with more than
# one item, is <bad-request/>; an empty or oversized group or name is
# <not-acceptable/>; nothing of it is stored or pushed.
def test_roster_set_errors(s):
    r = bound(s, "dan", "set")
    r.send("<iq type='get' id='g0'><query xmlns='%s'/></iq>" % ROSTER)
    answer(r, "g0")
    item = "<item jid='nurse@example.com'%s>%s</item>"
    for i, (body, cond) in enumerate((
            (item % ("", "<group>G</group><group>H</group>"
                     "<group>G</group>"), "bad-request"),
            (item % ("", "") + item % ("", ""), "bad-request"),
            (item % ("", "<group></group>"), "not-acceptable"),
            (item % ("", "<group>%s</group>" % ("g" * 5000)),
             "not-acceptable"),
            (item % (" name='%s'" % ("n" * 5000), ""), "not-acceptable"))):
        r.send("<iq type='set' id='e%d'><query xmlns='%s'>%s</query></iq>"
               % (i, ROSTER, body))
        got = r.expect(r"(.*?)(<iq[^>]*id='e%d'[^>]*?(/>|>.*?</iq>))" % i)
        assert "type='error'" in got.group(2) and "<%s " % cond in \
            got.group(2), got.group(2)
        assert "nurse@" not in got.group(1), got.group(1)
    r.send("<iq type='get' id='g1'><query xmlns='%s'/></iq>" % ROSTER)
    assert "nurse@" not in answer(r, "g1")
    # Two different groups are fine.
    r.send("<iq type='set' id='ok'><query xmlns='%s'>%s</query></iq>" % (
        ROSTER, item % ("", "<group>G</group><group>GG</group>")))
    push = r.expect(r"<iq[^>]*type='set'[^>]*>.*?</iq>").group(0)
    assert "<group>G</group>" in push and "<group>GG</group>" in push, push
    assert "type='result'" in answer(r, "ok")
    r.close()


# RFC 6121 2.6: roster versioning.  A get with ver='' returns the roster
# and its version; the same version again, an empty result; a change is
# pushed with a new version, which a get with the old one returns.
def test_roster_versions(s):
    r = bound(s, "eve", "ver")
    r.send("<iq type='get' id='v1'><query xmlns='%s' ver=''/></iq>" % ROSTER)
    v1 = re.search(r"ver='([^']*)'", answer(r, "v1")).group(1)
    r.send("<iq type='get' id='v2'><query xmlns='%s' ver='%s'/></iq>" %
           (ROSTER, v1))
    m = answer(r, "v2")
    assert re.match(r"<iq[^>]*type='result'[^>]*/>$", m), m
    r.send("<iq type='set' id='v3'><query xmlns='%s'><item jid='zed@%s'/>"
           "</query></iq>" % (ROSTER, DOMAIN))
    push = r.expect(r"<iq[^>]*type='set'[^>]*>.*?</iq>").group(0)
    v2 = re.search(r"ver='([^']*)'", push).group(1)
    assert v2 != v1, push
    answer(r, "v3")
    r.send("<iq type='get' id='v4'><query xmlns='%s' ver='%s'/></iq>" %
           (ROSTER, v1))
    m = answer(r, "v4")
    assert "zed@%s" % DOMAIN in m and "ver='%s'" % v2 in m, m
    r.send("<iq type='get' id='v5'><query xmlns='%s' ver='%s'/></iq>" %
           (ROSTER, v2))
    m = answer(r, "v5")
    assert re.match(r"<iq[^>]*type='result'[^>]*/>$", m), m
    r.close()


# RFC 6120 4.9.3.13, 4.9.3.22: XML that is not well-formed, and a
# top-level element that is no stanza, end the stream with their errors.
def test_bad_xml_and_unknown_top_level_element_end_the_stream(s):
    r = tls(s)
    r.header()
    r.send("<\"/>")
    assert "<not-well-formed xmlns='%s'/>" % STREAMS in r.closed()
    r = bound(s, "alice", "nonza")
    r.send("<nonza xmlns='jabber:client'/>")
    out = r.closed()
    assert "<unsupported-stanza-type xmlns='%s'/>" % STREAMS in out, out


# RFC 6120 4.7.1, 4.7.3, 4.7.4: a client may give its own 'from', an id
# (ignored) and a language; none of them is an error.
def test_stream_header_with_from_id_and_lang_is_accepted(s):
    r = Raw(s.ports["client"])
    r.starttls()
    r.send(HEADER.replace(
        "xmlns='jabber:client'", "xmlns='jabber:client' from='alice@%s' "
        "id='mine' xml:lang='de-DE'" % DOMAIN) % DOMAIN)
    hdr = r.expect(r"<stream:stream [^>]*>").group(0)
    # RFC 6120 4.7.2: the client's from comes back as to, bare.
    assert " to='alice@%s'" % DOMAIN in hdr, hdr
    assert " from='%s'" % DOMAIN in hdr, hdr
    feats = r.expect(r"<stream:features>(.*?)</stream:features>").group(1)
    assert "<mechanisms xmlns='%s'>" % SASL in feats, feats
    r.close()
    # A from that is no JID names nobody: no to, and the stream goes on.
    r = Raw(s.ports["client"])
    r.starttls()
    r.send(HEADER.replace(
        "xmlns='jabber:client'", "xmlns='jabber:client' from='a@b@%s/x'"
        % DOMAIN) % DOMAIN)
    hdr = r.expect(r"<stream:stream [^>]*>").group(0)
    assert " to=" not in hdr, hdr
    feats = r.expect(r"<stream:features>(.*?)</stream:features>").group(1)
    assert "<mechanisms xmlns='%s'>" % SASL in feats, feats
    r.close()
    # Without from, no to (RFC 6120 4.7.2).
    r = Raw(s.ports["client"])
    r.starttls()
    r.send(HEADER % DOMAIN)
    hdr = r.expect(r"<stream:stream [^>]*>").group(0)
    assert " to=" not in hdr, hdr
    r.close()
