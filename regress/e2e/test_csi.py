"""Client State Indication (XEP-0352): an inactive client's presence is
held (the latest per sender), urgent stanzas are not, and going active
again delivers what was held."""

from rawxmpp import Raw
from xmppdtest import started

NS = "urn:xmpp:csi:0"


def setup():
    return started(("alice", "bob"), prefork=2)


def teardown(s):
    s.stop()


def online(s, user, resource):
    r = Raw(s.ports["client"])
    r.login(user, user + "-pw", resource)
    r.send("<presence/>")
    return r


def sync(r, tag):
    """Everything the router sent r before now arrives before this."""
    r.send("<iq type='get' id='%s' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>" % tag)
    return r.expect(r"(.*?)<iq[^>]*id='%s'" % tag).group(1)


def state(r, name, tag):
    r.send("<%s xmlns='%s'/>" % (name, NS))
    sync(r, tag)


def pres(to, status):
    return "<presence to='%s'><status>%s</status></presence>" % (to, status)


def test_advertised_after_authentication(s):
    r = Raw(s.ports["client"])
    r.starttls()
    before = r.header().group(1)
    assert NS not in before, before
    assert r.auth_plain("alice", "alice-pw").group(1) == "success"
    after = r.header().group(1)
    assert "<csi xmlns='%s'/>" % NS in after, after
    r.close()


def test_presence_held_message_not(s):
    b = online(s, "bob", "phone")
    a = online(s, "alice", "desk")
    sync(b, "s0")
    state(b, "inactive", "s1")
    a.send(pres("bob@example.org/phone", "first"))
    a.send(pres("bob@example.org/phone", "second"))
    a.send("<message to='bob@example.org/phone' id='now' type='chat'>"
           "<body>wake up</body></message>")
    got = b.expect(r"(.*?)<message[^>]*id='now'").group(1)
    assert "<presence" not in got, got
    # An IQ to the session is not held either.
    a.send("<iq type='get' id='q1' to='bob@example.org/phone'>"
           "<query xmlns='jabber:iq:version'/></iq>")
    assert "<presence" not in b.expect(r"(.*?)<iq[^>]*id='q1'").group(1)
    assert "<presence" not in sync(b, "s2")
    # Active again: only the latest presence of alice/desk arrives.
    b.send("<active xmlns='%s'/>" % NS)
    got = sync(b, "s3")
    assert "second" in got and "first" not in got, got
    a.close()
    b.close()


def test_chat_state_held_until_body(s):
    b = online(s, "bob", "tab")
    a = online(s, "alice", "pc")
    sync(b, "t0")
    state(b, "inactive", "t1")
    a.send("<message to='bob@example.org/tab' id='cs' type='chat'>"
           "<composing xmlns='http://jabber.org/protocol/chatstates'/>"
           "</message>")
    a.send(pres("bob@example.org/tab", "here"))
    # The chat state waits; the body brings it out first, in order.
    sync(a, "t2")
    assert "id='cs'" not in sync(b, "t3")
    a.send("<message to='bob@example.org/tab' id='body' type='chat'>"
           "<body>hi</body></message>")
    got = b.expect(r"(.*?)<message[^>]*id='body'").group(1)
    assert "id='cs'" in got and "<presence" not in got, got
    b.send("<active xmlns='%s'/>" % NS)
    assert "here" in sync(b, "t4")
    a.close()
    b.close()


def test_bounded_and_session_end(s):
    b = online(s, "bob", "many")
    sync(b, "u0")
    state(b, "inactive", "u1")
    others = [online(s, "alice", "r%d" % i) for i in range(5)]
    for i in range(300):
        others[i % 5].send(pres("bob@example.org/many", "n%d" % i))
    for o in others:
        sync(o, "u2")
    # One per sender is kept; older ones from the same sender are gone.
    b.send("<active xmlns='%s'/>" % NS)
    got = sync(b, "u3")
    for i in range(295, 300):
        assert "n%d<" % i in got, (i, got[-500:])
    assert "n10<" not in got
    state(b, "inactive", "u4")
    others[0].send(pres("bob@example.org/many", "lost"))
    sync(others[0], "u5")
    b.close()
    # The router dropped what it held and goes on.
    c = online(s, "bob", "many")
    assert "lost" not in sync(c, "u6")
    for o in others + [c]:
        o.close()


def test_bad_nonzas(s):
    r = Raw(s.ports["client"])
    r.starttls()
    r.header()
    r.auth_plain("alice", "alice-pw")
    r.header()
    # Before binding there is no session to be inactive.
    r.send("<inactive xmlns='%s'/>" % NS)
    r.expect(r"<not-authorized")
    r.closed()
    r = online(s, "alice", "weird")
    r.send("<sleepy xmlns='%s'/>" % NS)
    r.expect(r"<unsupported-stanza-type")
    r.closed()
    # Repeated or contentful indications are harmless.
    r = online(s, "alice", "again")
    for _ in range(3):
        r.send("<inactive xmlns='%s'><x/></inactive>" % NS)
    r.send("<active xmlns='%s'/><active xmlns='%s'/>" % (NS, NS))
    sync(r, "v1")
    r.close()
