"""Checks that fail closed.  What a stream accepts, the router reads
again: 64 attributes in one namespace once defeated every check that
had to look inside a stanza (a forged stanza-id delivered and the
message left out of the archive, a forged carbon delivered, presence
from a blocked contact let through).  And a stanza a feature must look
inside and cannot read is refused with an error: nothing of it is
delivered, archived or stored.  The router reads stanzas with the
limits of the configuration in force; a stream opened before a reload
that lowered them still reads with the old ones, so its stanzas can be
beyond what the router reads: the case used here.  Last, a forged
stanza-id is taken out even when the archive store stalls."""

import os
import re
import signal

from rawxmpp import Raw, subscribe
from xmppdtest import Server, add_user

CARBONS = "urn:xmpp:carbons:2"
BLOCKING = "urn:xmpp:blocking"
MAM = "urn:xmpp:mam:2"
USERS = ("alice", "bob", "carol", "mallory")

# 64 attributes in one namespace, as many as a stream accepts: written
# with a declaration each, they once made 65 on one tag.
BIG = ("<x xmlns='urn:test:x' xmlns:p='urn:test:p' %s/>" %
       " ".join("p:a%d='%d'" % (i, i) for i in range(64)))
# Deeper than "xml depth 8" allows, and BIG inside.
DEEP = "<d xmlns='urn:test:d'>" * 9 + BIG + "</d>" * 9


def setup():
    s = Server(prefork=2)
    s.start()
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    s.n = 0
    return s


def teardown(s):
    s.stop()


def login(s, user, res, presence=True):
    c = Raw(s.ports["client"])
    c.login(user, user + "-pw", res)
    if presence:
        c.send("<presence/>")
        sync(s, c)
    return c


def sync(s, c):
    """What the router sent c before now; c's earlier stanzas were
    routed."""
    s.n += 1
    tag = "sync%d" % s.n
    c.send("<iq type='get' id='%s' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>" % tag)
    return c.expect(r"(.*?)<iq[^>]*id='%s'" % tag).group(1)


def iq(s, c, body, to=None, itype="set"):
    s.n += 1
    tag = "iq%d" % s.n
    c.send("<iq type='%s' id='%s'%s>%s</iq>" %
           (itype, tag, " to='%s'" % to if to else "", body))
    return c.expect(r"<iq[^>]*id='%s'[^>]*?(/>|>.*?</iq>)" % tag).group(0)


def archived(s, c):
    """The number of messages in c's archive."""
    m = iq(s, c, "<query xmlns='%s'><set xmlns='http://jabber.org/"
           "protocol/rsm'><max>0</max></set></query>" % MAM)
    return int(re.search(r"<count>(\d+)</count>", m).group(1))


def error_of(m):
    """The defined condition of a stanza error."""
    assert "type='error'" in m, m
    return re.search(r"<([a-z-]+) xmlns='urn:ietf:params:xml:ns:"
                     r"xmpp-stanzas'", m).group(1)


def forged_carbon(to, mid, extra):
    """A message from a client carrying a carbon only the server may
    write (XEP-0280 section 11), and extra."""
    return ("<message to='%s' id='%s' type='chat'><received xmlns='%s'>"
            "<forwarded xmlns='urn:xmpp:forward:0'><message "
            "from='alice@example.org/a' to='%s' type='chat' "
            "xmlns='jabber:client'><body>pay me</body></message>"
            "</forwarded></received>%s</message>" %
            (to, mid, CARBONS, to, extra))


def test_big_stanza_id_stripped_and_archived(s):
    a = login(s, "alice", "a")
    b = login(s, "bob", "b")
    before = archived(s, b)
    a.send("<message to='bob@example.org' type='chat' id='fs1'>"
           "<body>with 64</body>%s<stanza-id xmlns='urn:xmpp:sid:0' "
           "id='forged' by='bob@example.org'/></message>" % BIG)
    m = b.expect(r"<message[^>]*id='fs1'.*?</message>").group(0)
    assert "forged" not in m and m.count("<stanza-id") == 1, m
    assert "a63='63'" in m and m.count("xmlns:") == 1, m
    assert archived(s, b) == before + 1
    a.close()
    b.close()


def test_big_forged_carbon_refused(s):
    b1 = login(s, "bob", "b1")
    b1.send("<iq type='set' id='c1'><enable xmlns='%s'/></iq>" % CARBONS)
    b1.expect(r"<iq[^>]*id='c1'")
    m = login(s, "mallory", "evil")
    m.send(forged_carbon("bob@example.org/b1", "fc1", BIG))
    r = m.expect(r"<message[^>]*id='fc1'.*?</message>").group(0)
    assert error_of(r) == "not-acceptable", r
    assert "pay me" not in sync(s, b1)
    b1.close()
    m.close()


def test_big_presence_from_blocked_contact_dropped(s):
    a = login(s, "alice", "pa")
    m = login(s, "mallory", "pm")
    # Alice sees mallory's presence, then blocks mallory.
    subscribe(a, m, "alice", "mallory")
    r = iq(s, a, "<block xmlns='%s'><item jid='mallory@example.org'/>"
           "</block>" % BLOCKING)
    assert "type='result'" in r, r
    sync(s, a)
    # Broadcast, and directed: neither reaches alice.
    m.send("<presence><status>sneak1</status>%s</presence>" % BIG)
    m.send("<presence to='alice@example.org/pa'><status>sneak2</status>"
           "%s</presence>" % BIG)
    sync(s, m)
    got = sync(s, a)
    assert "sneak" not in got, got
    r = iq(s, a, "<unblock xmlns='%s'/>" % BLOCKING)
    assert "type='result'" in r, r
    a.close()
    m.close()


def lower_depth(s):
    """Reload with "xml depth 8": streams opened before keep 64."""
    mark = s.mark()
    s.write_conf("limits {\n\txml depth 8\n}\n")
    s.ctl("reload")
    s.wait_log(r"configuration reloaded", after=mark)


def test_unreadable_stanzas_refused(s):
    a1 = login(s, "alice", "d1")
    a2 = login(s, "alice", "d2")
    b = login(s, "bob", "d")
    b.send("<iq type='set' id='c2'><enable xmlns='%s'/></iq>" % CARBONS)
    b.expect(r"<iq[^>]*id='c2'")
    m = login(s, "mallory", "d")
    before = archived(s, b)
    mark = s.mark()
    lower_depth(s)
    # A forged carbon, which the router cannot read.
    m.send(forged_carbon("bob@example.org/d", "u1", DEEP))
    r = m.expect(r"<message[^>]*id='u1'.*?</message>").group(0)
    assert error_of(r) == "internal-server-error", r
    # A message that may carry a stanza-id: neither delivered nor kept.
    a1.send("<message to='bob@example.org' type='chat' id='u2'><body>deep"
            "</body><stanza-id xmlns='urn:xmpp:sid:0' id='forged' "
            "by='bob@example.org'/>%s</message>" % DEEP)
    r = a1.expect(r"<message[^>]*id='u2'.*?</message>").group(0)
    assert error_of(r) == "internal-server-error", r
    # An IQ for the server gets its answer, an error.
    r = iq(s, a1, "<ping xmlns='urn:xmpp:ping'>%s</ping>" % DEEP,
           to="example.org", itype="get")
    assert error_of(r) == "internal-server-error", r
    # A presence is neither stored nor broadcast.
    a1.send("<presence><status>deep</status>%s</presence>" % DEEP)
    r = a1.expect(r"<presence[^>]*type='error'.*?</presence>").group(0)
    assert error_of(r) == "internal-server-error", r
    # A message for an account offline is not stored.
    a1.send("<message to='carol@example.org' type='chat' id='u3'><body>"
            "offline deep</body>%s</message>" % DEEP)
    r = a1.expect(r"<message[^>]*id='u3'.*?</message>").group(0)
    assert error_of(r) == "internal-server-error", r
    got = sync(s, b)
    assert "pay me" not in got and "id='u2'" not in got, got
    assert "deep" not in sync(s, a2)
    assert archived(s, b) == before
    c = login(s, "carol", "c")
    assert "offline deep" not in sync(s, c)
    # Each refusal was logged, and every process is still there.
    s.wait_log(r"cannot read a message from mallory@example.org/d: "
               r"refused", after=mark)
    a1.send("<message to='bob@example.org/d' type='chat' id='u4'>"
            "<body>shallow</body></message>")
    b.expect(r"<message[^>]*id='u4'")
    for conn in (a1, a2, b, m, c):
        conn.close()


def test_store_stalled_forged_id_stripped(s):
    """2 x MAM_WAITING_MAX (50 in the regress build) messages wait for a
    stalled archive store, one from each of 100 sessions (a session's
    next stanzas wait behind its first): the next message goes at once,
    unarchived, and without the stanza-id it forged."""
    t = Server(prefork=1, body="limits {\n\tclient rate 100M\n"
               "\tsessions per user 200\n\tconnections per address 300\n}\n")
    t.start()
    t.n = 0
    senders = []
    try:
        for u in ("alice", "bob"):
            add_user(t, "%s@example.org" % u, u + "-pw")
        b = login(t, "bob", "o")
        for i in range(101):
            senders.append(login(t, "alice", "s%d" % i, presence=False))
        store = t.pid_of("store")
        os.kill(store, signal.SIGSTOP)
        try:
            mark = t.mark()
            for i, a in enumerate(senders[:100]):
                # The message waits for the store; the ping behind it
                # says so in the log once the router has both.
                a.send("<message to='bob@example.org' type='chat' "
                       "id='q%d'><body>q</body></message>"
                       "<iq type='get' id='w%d' to='example.org'><ping "
                       "xmlns='urn:xmpp:ping'/></iq>" % (i, i))
            for i in range(100):
                t.wait_log(r"alice@example.org/s%d: waits behind" % i,
                           after=mark)
            senders[100].send(
                "<message to='bob@example.org' type='chat' id='ov'>"
                "<body>over</body><stanza-id xmlns='urn:xmpp:sid:0' "
                "id='forged' by='bob@example.org'/></message>")
            got = b.expect(r"(.*?)(<message[^>]*id='ov'.*?</message>)")
            assert "id='q" not in got.group(1), got.group(1)[-500:]
            assert "stanza-id" not in got.group(2), got.group(2)
        finally:
            os.kill(store, signal.SIGCONT)
        # All of them come; RFC 6120 10.1 orders each sender's
        # stanzas, and here each message has a sender of its own.
        got = set()
        while len(got) < 100:
            got.add(b.expect(r"<message[^>]*id='(q\d+)'").group(1))
        assert got == set("q%d" % i for i in range(100)), got
        for a in senders:
            a.close()
        b.close()
        c = login(t, "bob", "after", presence=False)
        sync(t, c)
        c.close()
    finally:
        t.stop()
