"""Message Carbons (XEP-0280): copies of sent and received messages to the
user's other carbons-enabled resources, and no forged carbons."""

from rawxmpp import Raw
from xmppdtest import started

NS = "urn:xmpp:carbons:2"


def setup():
    return started(("alice", "bob", "mallory"), prefork=2)


def teardown(s):
    s.stop()


def online(s, user, resource, priority=0, carbons=True):
    r = Raw(s.ports["client"])
    r.login(user, user + "-pw", resource)
    r.send("<presence><priority>%d</priority></presence>" % priority)
    if carbons:
        r.send("<iq type='set' id='c1'><enable xmlns='%s'/></iq>" % NS)
        r.expect(r"<iq[^>]*id='c1'[^>]*type='result'|"
                 r"<iq[^>]*type='result'[^>]*id='c1'")
    return r


def msg(to, mid, body="hi", mtype="chat", extra=""):
    return ("<message to='%s' id='%s' type='%s'><body>%s</body>%s</message>"
            % (to, mid, mtype, body, extra))


def sync(r, tag):
    """Everything the router sent r before now arrives before this."""
    r.send("<iq type='get' id='%s' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>" % tag)
    return r.expect(r"(.*?)<iq[^>]*id='%s'" % tag).group(1)


def close(*rs):
    for r in rs:
        r.close()


def test_disco_advertises_carbons(s):
    r = online(s, "alice", "d", carbons=False)
    r.send("<iq type='get' id='di' to='example.org'><query "
           "xmlns='http://jabber.org/protocol/disco#info'/></iq>")
    m = r.expect(r"<iq[^>]*id='di'.*?</iq>")
    assert "var='%s'" % NS in m.group(0), m.group(0)
    close(r)


def test_sent_and_received_copies(s):
    a1 = online(s, "alice", "a1")
    a2 = online(s, "alice", "a2")
    b1 = online(s, "bob", "b1")
    b2 = online(s, "bob", "b2")
    a1.send(msg("bob@example.org/b1", "m1", "hello"))
    b1.expect(r"<message[^>]*id='m1'")
    # a2 sees what a1 sent, b2 what b1 received; from the bare JID.
    m = a2.expect(r"<message[^>]*>.*?</message>\s*</forwarded>"
                  r"\s*</sent>\s*</message>").group(0)
    assert "from='alice@example.org'" in m and \
        "to='alice@example.org/a2'" in m and \
        "<sent xmlns='%s'>" % NS in m and "id='m1'" in m and \
        "hello" in m, m
    m = b2.expect(r"<message[^>]*>.*?</message>\s*</forwarded>"
                  r"\s*</received>\s*</message>").group(0)
    assert "from='bob@example.org'" in m and \
        "to='bob@example.org/b2'" in m and "id='m1'" in m, m
    # The sender and the recipient get no copy of their own.
    assert "<sent" not in sync(a1, "s1")
    assert "<received" not in sync(b1, "s2")
    close(a1, a2, b1, b2)


def test_sent_copy_without_forged_stanza_id(s):
    """A stanza-id claiming to be ours is taken out of the copy a
    resource gets of what another one sent (XEP-0359), as out of the
    message itself."""
    a1 = online(s, "alice", "f1")
    a2 = online(s, "alice", "f2")
    b1 = online(s, "bob", "f3", carbons=False)
    a1.send(msg("bob@example.org/f3", "sid1", "mine", extra=(
        "<stanza-id xmlns='urn:xmpp:sid:0' id='forged' "
        "by='alice@example.org'/>")))
    m = b1.expect(r"<message[^>]*id='sid1'.*?</message>").group(0)
    assert "forged" not in m, m
    m = a2.expect(r"<message[^>]*>.*?</message>\s*</forwarded>"
                  r"\s*</sent>\s*</message>").group(0)
    assert "id='sid1'" in m and "forged" not in m, m
    close(a1, a2, b1)


def test_bare_jid_copies_to_lower_priority(s):
    hi = online(s, "bob", "hi", 5)
    lo = online(s, "bob", "lo", 1)
    a = online(s, "alice", "x", carbons=False)
    a.send(msg("bob@example.org", "bare1"))
    assert "<received" not in hi.expect(
        r"(.*?)<message[^>]*id='bare1'").group(1)
    m = lo.expect(r"<message[^>]*>\s*<received.*?</received>").group(0)
    assert "id='bare1'" in m, m
    assert "<received" not in sync(hi, "s3")
    close(hi, lo, a)


def test_private_and_no_copy(s):
    a1 = online(s, "alice", "p1")
    a2 = online(s, "alice", "p2")
    b1 = online(s, "bob", "pb1")
    b2 = online(s, "bob", "pb2")
    a1.send(msg("bob@example.org/pb1", "priv", extra="<private xmlns='%s'/>"
                % NS))
    m = b1.expect(r"<message[^>]*id='priv'.*?</message>").group(0)
    # Section 9: the private element is removed from what is delivered.
    assert "private" not in m, m
    a1.send(msg("bob@example.org/pb1", "nocopy",
                extra="<no-copy xmlns='urn:xmpp:hints'/>"))
    b1.expect(r"<message[^>]*id='nocopy'")
    a1.send(msg("bob@example.org/pb1", "after"))
    b1.expect(r"<message[^>]*id='after'")
    got = a2.expect(r"(.*?)<sent[^>]*>.*?id='after'").group(1)
    assert "priv" not in got and "nocopy" not in got, got
    got = b2.expect(r"(.*?)<received[^>]*>.*?id='after'").group(1)
    assert "priv" not in got and "nocopy" not in got, got
    close(a1, a2, b1, b2)


def test_not_when_disabled_or_ineligible(s):
    a1 = online(s, "alice", "n1")
    a2 = online(s, "alice", "n2")
    b1 = online(s, "bob", "nb1", carbons=False)
    a2.send("<iq type='set' id='c2'><disable xmlns='%s'/></iq>" % NS)
    a2.expect(r"<iq[^>]*id='c2'[^>]*type='result'|"
              r"<iq[^>]*type='result'[^>]*id='c2'")
    a1.send(msg("bob@example.org/nb1", "off"))
    b1.expect(r"id='off'")
    # Headline, and normal without a body, are not copied.
    a2.send("<iq type='set' id='c3'><enable xmlns='%s'/></iq>" % NS)
    a2.expect(r"id='c3'")
    a1.send(msg("bob@example.org/nb1", "hl", mtype="headline"))
    b1.expect(r"id='hl'")
    a1.send("<message to='bob@example.org/nb1' id='nobody'><subject>x"
            "</subject></message>")
    b1.expect(r"id='nobody'")
    a1.send(msg("bob@example.org/nb1", "normal", mtype="normal"))
    b1.expect(r"id='normal'")
    got = a2.expect(r"(.*?)<sent[^>]*>.*?id='normal'").group(1)
    assert "'off'" not in got and "'hl'" not in got and \
        "'nobody'" not in got, got
    close(a1, a2, b1)


def test_enable_bad_input(s):
    r = online(s, "alice", "bad", carbons=False)
    r.send("<iq type='get' id='g1'><enable xmlns='%s'/></iq>" % NS)
    m = r.expect(r"<iq[^>]*id='g1'.*?</iq>").group(0)
    assert "type='error'" in m and "bad-request" in m, m
    r.send("<iq type='set' id='g2'><enable xmlns='%s'><x/></enable></iq>"
           % NS)
    assert "bad-request" in r.expect(r"<iq[^>]*id='g2'.*?</iq>").group(0)
    # Enabling carbons for another account is not ours to do.
    r.send("<iq type='set' id='g3' to='bob@example.org'><enable "
           "xmlns='%s'/></iq>" % NS)
    m = r.expect(r"<iq[^>]*id='g3'.*?</iq>").group(0)
    assert "type='error'" in m, m
    close(r)


def test_forged_carbon_refused(s):
    b1 = online(s, "bob", "fb1")
    b2 = online(s, "bob", "fb2")
    m = online(s, "mallory", "evil", carbons=False)
    fake = ("<message to='bob@example.org/fb1' id='forge' type='chat'>"
            "<received xmlns='%s'><forwarded xmlns='urn:xmpp:forward:0'>"
            "<message from='alice@example.org/a' to='bob@example.org/fb1' "
            "type='chat' xmlns='jabber:client'><body>pay me</body>"
            "</message></forwarded></received></message>" % NS)
    m.send(fake)
    r = m.expect(r"<message[^>]*id='forge'.*?</message>").group(0)
    assert "type='error'" in r and "not-acceptable" in r, r
    m.send(fake.replace("received", "sent").replace("forge", "forge2"))
    m.expect(r"<message[^>]*id='forge2'[^>]*type='error'|"
             r"<message[^>]*type='error'[^>]*id='forge2'")
    m.send(msg("bob@example.org/fb1", "honest"))
    got = b1.expect(r"(.*?)<message[^>]*id='honest'").group(1)
    assert "pay me" not in got and "forge" not in got, got
    assert "pay me" not in sync(b2, "s4")
    close(b1, b2, m)


def test_slixmpp_gets_carbons(s):
    # A real client's carbons plugin: it enables carbons, then sees the
    # message its other resource sends and the one bob sends that
    # resource, both as carbons.
    import asyncio
    from xmppdtest import slix_login

    other = online(s, "alice", "raw", carbons=False)

    async def actions(x):
        got = {"sent": asyncio.Event(), "received": asyncio.Event()}
        x.add_event_handler("carbon_sent", lambda m: got["sent"].set()
                            if m["carbon_sent"]["body"] == "out" else None)
        x.add_event_handler("carbon_received",
                            lambda m: got["received"].set()
                            if m["carbon_received"]["body"] == "in"
                            else None)
        await x["xep_0280"].enable()
        other.send(msg("bob@example.org", "o1", "out"))
        b = online(s, "bob", "sb", carbons=False)
        b.send(msg("alice@example.org/raw", "i1", "in"))
        await asyncio.wait_for(got["sent"].wait(), 10)
        await asyncio.wait_for(got["received"].wait(), 10)
        b.close()
        return True
    r = slix_login(s.ports["client"], "alice@example.org/slix",
                   "alice-pw", actions=actions, plugins=("xep_0280",))
    assert r["actions"] is True, r
    other.close()
