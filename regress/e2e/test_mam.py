"""Message archives (XEP-0313, urn:xmpp:mam:2) with stanza ids (XEP-0359):
what is archived for whom, queries with every filter and RSM paging both
ways, preferences, retention, archive metadata, and hostile queries."""

import os
import re
import signal
import time
import xml.etree.ElementTree as ET

from rawxmpp import Raw
from xmppdtest import Server, add_user

NS = "urn:xmpp:mam:2"
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank",
         "ivan", "mallory")
N = 250


def login(s, user, res="r", presence=True):
    c = Raw(s.ports["client"])
    c.login(user, user + "-pw", res)
    if presence:
        # A ping answered after the presence: the router has it.
        c.send("<presence/><iq type='get' id='sync' to='example.org'>"
               "<ping xmlns='urn:xmpp:ping'/></iq>")
        c.expect(r"<iq[^>]*id='sync'")
    return c


def setup():
    s = Server(prefork=1)
    s.start()
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    s.next = 0
    return s


def teardown(s):
    s.stop()


def field(var, values):
    if isinstance(values, str):
        values = [values]
    return "<field var='%s'>%s</field>" % (
        var, "".join("<value>%s</value>" % v for v in values))


def form(fields):
    if fields is None:
        return ""
    return ("<x xmlns='jabber:x:data' type='submit'>" +
            field("FORM_TYPE", NS) +
            "".join(field(k, v) for k, v in fields) + "</x>")


def rsm(max=None, after=None, before=None):
    parts = []
    if max is not None:
        parts.append("<max>%s</max>" % max)
    if after is not None:
        parts.append("<after>%s</after>" % after)
    if before is not None:
        parts.append("<before>%s</before>" % before if before else
                     "<before/>")
    if not parts:
        return ""
    return ("<set xmlns='http://jabber.org/protocol/rsm'>%s</set>" %
            "".join(parts))


def fresh_bob(s):
    """Bob on a new connection: an idle one is dropped after the
    server's ping, and tests take their time."""
    if getattr(s, "b", None) is not None:
        s.b.close()
    s.b = login(s, "bob")
    return s.b


def collect(c, pattern, timeout=10):
    """Read until pattern; returns what came before it, and the match."""
    rx = re.compile(pattern, re.S)
    deadline = time.monotonic() + timeout
    while True:
        m = rx.search(c.buf)
        if m:
            before, c.buf = c.buf[:m.start()], c.buf[m.end():]
            return before, m.group(0)
        if c.eof or time.monotonic() >= deadline:
            raise AssertionError("expected %r, got %r" %
                                 (pattern, c.buf[-2000:]))
        c._read(deadline)


def query(s, c, fields=None, max=None, after=None, before=None,
          flip=False, to=None, raw=None):
    """Run a query; returns a dict of the results and the fin, or of
    the error."""
    s.next += 1
    iqid = "mq%d" % s.next
    qid = "qid%d" % s.next
    body = raw if raw is not None else (
        form(fields) + rsm(max, after, before) +
        ("<flip-page/>" if flip else ""))
    c.send("<iq type='set' id='%s'%s><query xmlns='%s' queryid='%s'>%s"
           "</query></iq>" % (iqid, " to='%s'" % to if to else "", NS,
                              qid, body))
    before, iq = collect(c, r"<iq[^>]*id='%s'(?:[^>]*/>|.*?</iq>)" % iqid)
    r = {"ids": [], "bodies": [], "stamps": [], "msgs": []}
    for chunk in re.findall(r"<message[^>]*><result .*?</result></message>",
                            before, re.S):
        e = ET.fromstring(chunk)
        res = e.find("{%s}result" % NS)
        assert res.get("queryid") == qid, chunk
        r["ids"].append(res.get("id"))
        fwd = res.find("{urn:xmpp:forward:0}forwarded")
        r["stamps"].append(fwd.find("{urn:xmpp:delay}delay").get("stamp"))
        inner = fwd.find("{jabber:client}message")
        b = inner.find("{jabber:client}body")
        r["bodies"].append(b.text if b is not None else None)
        r["msgs"].append(inner)
    r["iq"] = iq
    if "type='error'" in iq:
        r["error"] = re.search(r"<([a-z-]+) xmlns='urn:ietf:params:xml:ns:"
                               r"xmpp-stanzas'", iq).group(1)
        return r
    r["error"] = None
    r["complete"] = "complete='true'" in iq
    cnt = re.search(r"<count>(\d+)</count>", iq)
    r["count"] = int(cnt.group(1)) if cnt else None
    first = re.search(r"<first(?: index='(\d+)')?>([^<]*)</first>", iq)
    r["first"] = first.group(2) if first else None
    r["index"] = int(first.group(1)) if first and first.group(1) else None
    last = re.search(r"<last>([^<]*)</last>", iq)
    r["last"] = last.group(1) if last else None
    return r


def iq(c, xml, iqid):
    c.send(xml)
    return c.expect(r"<iq[^>]*id='%s'(?:[^>]*/>|.*?</iq>)" % iqid).group(0)


def test_250_messages_stamped_with_archive_ids(s):
    a = login(s, "alice")
    b = login(s, "bob")
    for i in range(N):
        a.send("<message to='bob@example.org' type='chat' id='m%d'>"
               "<body>m%03d</body></message>" % (i, i))
    s.bob_ids = []
    for i in range(N):
        m = b.expect(r"<message[^>]*id='m%d'.*?</message>" % i).group(0)
        sid = re.findall(r"<stanza-id xmlns='urn:xmpp:sid:0' "
                         r"id='([^']+)' by='bob@example.org'/>", m)
        assert len(sid) == 1, m
        s.bob_ids.append(sid[0])
    assert len(set(s.bob_ids)) == N
    # The received stanza-ids are the ids of bob's archive, in order.
    got = []
    r = query(s, b, max=100)
    assert r["count"] == N and not r["complete"] and r["index"] == 0, r
    got += r["ids"]
    while not r["complete"]:
        r = query(s, b, max=100, after=r["last"])
        got += r["ids"]
    assert got == s.bob_ids
    assert r["bodies"][-1] == "m249"
    # Alice's copies, under her own ids.
    r = query(s, a, fields=[("with", "bob@example.org")], max=5)
    assert r["count"] == N and r["bodies"] == ["m000", "m001", "m002",
                                               "m003", "m004"], r
    assert not set(r["ids"]) & set(s.bob_ids)
    a.close()
    s.b = b


def test_spoofed_stanza_id_is_stripped(s):
    a, b = login(s, "alice", "s"), fresh_bob(s)
    a.send("<message to='bob@example.org' type='chat' id='sp1'><body>x"
           "</body><stanza-id xmlns='urn:xmpp:sid:0' id='forged' "
           "by='bob@example.org'/></message>")
    m = b.expect(r"<message[^>]*id='sp1'.*?</message>").group(0)
    assert "forged" not in m and m.count("<stanza-id") == 1, m
    # Not archivable, still stripped.
    a.send("<message to='bob@example.org' type='headline' id='sp2'>"
           "<body>h</body><stanza-id xmlns='urn:xmpp:sid:0' id='forged2' "
           "by='example.org'/></message>")
    m = b.expect(r"<message[^>]*id='sp2'.*?</message>").group(0)
    assert "stanza-id" not in m, m
    r = query(s, b, fields=[("with", "alice@example.org")], before="",
              max=1)
    assert r["count"] == N + 1 and r["bodies"] == ["x"], r
    s.bob_ids.append(r["ids"][0])


def test_filter_with_bare_and_full(s):
    b = fresh_bob(s)
    c = login(s, "carol", "desk")
    for i in range(3):
        c.send("<message to='bob@example.org/r' type='chat' id='c%d'>"
               "<body>c%d</body></message>" % (i, i))
        b.expect(r"<message[^>]*id='c%d'" % i)
    r = query(s, b, fields=[("with", "carol@example.org")])
    assert r["count"] == 3 and r["bodies"] == ["c0", "c1", "c2"], r
    assert r["complete"]
    r = query(s, b, fields=[("with", "carol@example.org/desk")])
    assert r["count"] == 3, r
    r = query(s, b, fields=[("with", "carol@example.org/phone")])
    assert r["count"] == 0 and r["ids"] == [] and r["complete"], r
    # Carol's copies remember the resource she wrote to.
    r = query(s, c, fields=[("with", "bob@example.org/r")])
    assert r["count"] == 3, r
    c.close()


def test_filter_start_end(s):
    b = fresh_bob(s)
    r = query(s, b, fields=[("with", "alice@example.org")], max=100)
    stamps = r["stamps"]
    assert len(set(stamps)) == 100, stamps
    r = query(s, b, fields=[("with", "alice@example.org"),
                              ("start", stamps[40])], max=3)
    assert r["count"] == N + 1 - 40 and r["ids"] == s.bob_ids[40:43], r
    r = query(s, b, fields=[("with", "alice@example.org"),
                              ("end", stamps[39])], max=100)
    assert r["count"] == 40 and r["ids"] == s.bob_ids[:40], r
    r = query(s, b, fields=[("with", "alice@example.org"),
                              ("start", stamps[10]), ("end", stamps[19])])
    assert r["ids"] == s.bob_ids[10:20] and r["complete"], r
    # Another time zone, same instant.
    r = query(s, b, fields=[("start", "2000-01-01T01:00:00+01:00"),
                              ("end", "2000-01-01T00:30:00Z")])
    assert r["count"] == 0, r
    r = query(s, b, fields=[("start", "1990-01-01T00:00:00.5Z")], max=0)
    assert r["count"] == N + 4 and r["ids"] == [], r


def test_after_id_before_id_ids(s):
    b = fresh_bob(s)
    ids = s.bob_ids
    w = ("with", "alice@example.org")
    r = query(s, b, fields=[w, ("after-id", ids[9])], max=5)
    assert r["ids"] == ids[10:15] and r["count"] == N + 1 - 10, r
    r = query(s, b, fields=[w, ("before-id", ids[240])], max=5,
              before="")
    assert r["ids"] == ids[235:240] and r["count"] == 240, r
    assert r["index"] == 235, r
    r = query(s, b, fields=[w, ("after-id", ids[3]),
                              ("before-id", ids[8])])
    assert r["ids"] == ids[4:8] and r["complete"], r
    r = query(s, b, fields=[("ids", [ids[7], ids[3], "AAAAAAAAAAAAAAAA"])])
    assert r["ids"] == [ids[3], ids[7]] and r["count"] == 2, r


def test_rsm_paging_back_from_the_end(s):
    b = fresh_bob(s)
    ids = s.bob_ids
    w = [("with", "alice@example.org")]
    r = query(s, b, fields=w, max=100, before="")
    assert r["ids"] == ids[151:] and r["count"] == N + 1, r
    assert not r["complete"] and r["index"] == 151, r
    assert r["first"] == ids[151] and r["last"] == ids[-1], r
    r = query(s, b, fields=w, max=100, before=r["first"])
    assert r["ids"] == ids[51:151] and not r["complete"], r
    r = query(s, b, fields=w, max=100, before=r["first"])
    assert r["ids"] == ids[:51] and r["complete"] and r["index"] == 0, r
    # Forward again from the middle.
    r = query(s, b, fields=w, max=10, after=ids[200])
    assert r["ids"] == ids[201:211] and r["index"] == 201, r


def test_flipped_page(s):
    b = fresh_bob(s)
    ids = s.bob_ids
    w = [("with", "alice@example.org")]
    r = query(s, b, fields=w, max=10, before="", flip=True)
    assert r["ids"] == list(reversed(ids[-10:])), r
    assert r["first"] == ids[-1] and r["last"] == ids[-10], r
    r = query(s, b, fields=w, max=10, flip=True)
    assert r["ids"] == list(reversed(ids[:10])), r


def test_huge_max_is_capped_and_max_zero_counts(s):
    b = fresh_bob(s)
    r = query(s, b, max="99999999999999999999")
    assert r["error"] is None and len(r["ids"]) == 100, r["iq"]
    r = query(s, b)
    assert len(r["ids"]) == 50, len(r["ids"])
    r = query(s, b, max=0)
    assert r["ids"] == [] and r["count"] == N + 4, r


def test_prefs_never_and_lists(s):
    d = login(s, "dave")
    c = login(s, "carol")
    x = iq(d, "<iq type='set' id='p1'><prefs xmlns='%s' default='never'>"
           "<always/><never/></prefs></iq>" % NS, "p1")
    assert "type='result'" in x and "default='never'" in x, x
    c.send("<message to='dave@example.org' type='chat' id='d1'>"
           "<body>one</body></message>")
    m = d.expect(r"<message[^>]*id='d1'.*?</message>").group(0)
    assert "stanza-id" not in m, m
    assert query(s, d)["count"] == 0
    # The sender's copy follows the sender's preference.
    assert query(s, c, fields=[("with", "dave@example.org")])["count"] == 1
    # always with carol listed in never: still nothing.
    x = iq(d, "<iq type='set' id='p2'><prefs xmlns='%s' default='always'>"
           "<always><jid>erin@example.org</jid></always><never>"
           "<jid>carol@example.org</jid></never></prefs></iq>" % NS, "p2")
    assert "<never><jid>carol@example.org</jid></never>" in x, x
    c.send("<message to='dave@example.org' type='chat' id='d2'>"
           "<body>two</body></message>")
    d.expect(r"<message[^>]*id='d2'")
    assert query(s, d)["count"] == 0
    x = iq(d, "<iq type='get' id='p3'><prefs xmlns='%s'/></iq>" % NS, "p3")
    assert "default='always'" in x and "erin@example.org" in x, x
    # Carol's own archive kept both.
    assert query(s, c, fields=[("with", "dave@example.org")])["count"] == 2
    c.close()
    d.close()


def test_prefs_roster(s):
    e = login(s, "erin")
    a = login(s, "alice", "e")
    iq(e, "<iq type='set' id='p4'><prefs xmlns='%s' default='roster'/>"
       "</iq>" % NS, "p4")
    a.send("<message to='erin@example.org' type='chat' id='e1'>"
           "<body>stranger</body></message>")
    e.expect(r"<message[^>]*id='e1'")
    assert query(s, e)["count"] == 0
    x = iq(e, "<iq type='set' id='r1'><query xmlns='jabber:iq:roster'>"
           "<item jid='alice@example.org'/></query></iq>", "r1")
    assert "type='result'" in x, x
    a.send("<message to='erin@example.org' type='chat' id='e2'>"
           "<body>friend</body></message>")
    m = e.expect(r"<message[^>]*id='e2'.*?</message>").group(0)
    r = query(s, e)
    assert r["bodies"] == ["friend"] and r["ids"][0] in m, (r, m)
    e.close()
    a.close()


def test_offline_recipient_archived(s):
    a = login(s, "alice", "f")
    a.send("<message to='frank@example.org' type='chat' id='f1'>"
           "<body>while away</body></message>")
    a.send("<iq type='get' id='sync2' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>")
    a.expect(r"<iq[^>]*id='sync2'")
    f = Raw(s.ports["client"])
    f.login("frank", "frank-pw", "r")
    r = query(s, f)
    assert r["bodies"] == ["while away"], r
    f.send("<presence/>")
    m = f.expect(r"<message[^>]*id='f1'.*?</message>").group(0)
    assert "id='%s' by='frank@example.org'" % r["ids"][0] in m, m
    f.close()
    a.close()


def test_what_is_not_archived(s):
    i = login(s, "ivan")
    a = login(s, "alice", "i")
    msgs = [
        "<message to='ivan@example.org' type='chat' id='i1'><active "
        "xmlns='http://jabber.org/protocol/chatstates'/></message>",
        "<message to='ivan@example.org' type='chat' id='i2'><body>no"
        "</body><no-store xmlns='urn:xmpp:hints'/></message>",
        "<message to='ivan@example.org' type='chat' id='i3'><body>no"
        "</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>",
        "<message to='ivan@example.org' type='headline' id='i4'><body>no"
        "</body></message>",
        "<message to='ivan@example.org' type='chat' id='i5'><encrypted "
        "xmlns='eu.siacs.conversations.axolotl'><header sid='1'><iv>AAAA"
        "</iv></header><payload>QUJD</payload></encrypted></message>",
        "<message to='ivan@example.org' type='chat' id='i6'><body>yes"
        "</body></message>",
        "<message to='ivan@example.org' type='groupchat' id='i7'><body>no"
        "</body></message>",
    ]
    for m in msgs:
        a.send(m)
    for k in (1, 2, 3, 4, 5, 6):
        m = i.expect(r"<message[^>]*id='i%d'.*?</message>" % k).group(0)
        assert ("stanza-id" in m) == (k in (5, 6)), m
    a.expect(r"<message[^>]*id='i7'[^>]*type='error'|"
             r"<message[^>]*type='error'[^>]*id='i7'")
    r = query(s, i)
    assert r["count"] == 2 and r["bodies"] == [None, "yes"], r
    assert r["msgs"][0].find("{eu.siacs.conversations.axolotl}encrypted") \
        is not None
    i.close()
    a.close()


def test_disco_and_form(s):
    b = fresh_bob(s)
    x = iq(b, "<iq type='get' id='di1' to='bob@example.org'><query "
           "xmlns='http://jabber.org/protocol/disco#info'/></iq>", "di1")
    assert "var='urn:xmpp:mam:2'" in x and \
        "var='urn:xmpp:mam:2#extended'" in x, x
    x = iq(b, "<iq type='get' id='di2' to='example.org'><query "
           "xmlns='http://jabber.org/protocol/disco#info'/></iq>", "di2")
    assert "var='urn:xmpp:mam:2'" in x, x
    x = iq(b, "<iq type='get' id='fo1'><query xmlns='%s'/></iq>" % NS, "fo1")
    for v in ("FORM_TYPE", "with", "start", "end", "after-id",
              "before-id", "ids"):
        assert "var='%s'" % v in x, x


def unbound(s, stanza):
    """Mallory sends stanza logged in but not bound; returns what the
    server sent until it closed."""
    r = Raw(s.ports["client"])
    r.starttls()
    r.header()
    r.auth_plain("mallory", "mallory-pw")
    r.header()
    r.send(stanza)
    return r.closed()


def test_bad_queries(s):
    b = fresh_bob(s)
    bad = [
        form([("colour", "blue")]),
        "<x xmlns='jabber:x:data' type='submit'>" +
        field("FORM_TYPE", "urn:xmpp:mam:1") + "</x>",
        form([("with", ["alice@example.org", "carol@example.org"])]),
        form([("with", "@@@")]),
        form([("start", "yesterday")]),
        form([("end", "2020-13-01T00:00:00Z")]),
        form([("start", "2020-01-01T00:00:00")]),
        form([("after-id", "")]),
        "<x xmlns='jabber:x:data' type='submit'><field><value>x</value>"
        "</field></x>",
        form([("with", "alice@example.org"), ("with", "bob@example.org")]),
        form([("ids", ["id%d" % k for k in range(65)])]),
        form([("ids", [])]),
        rsm(max="-1"),
        rsm(max="ten"),
    ]
    for body in bad:
        r = query(s, b, raw=body)
        assert r["error"] == "bad-request", (body, r["iq"])
    # Jumping to an index is not built.
    r = query(s, b, raw="<set xmlns='http://jabber.org/protocol/rsm'>"
              "<index>3</index></set>")
    assert r["error"] == "feature-not-implemented", r["iq"]
    for kw in ({"after": "nosuchid"}, {"before": "nosuchid"},
               {"after": "x" * 5000},
               {"fields": [("after-id", "nosuchid")]},
               {"fields": [("before-id", "nosuchid")]}):
        r = query(s, b, **kw)
        assert r["error"] == "item-not-found", (kw, r["iq"])
    b.send("<iq type='set' id='qq'><query xmlns='%s' queryid='%s'/></iq>"
           % (NS, "q" * 300))
    assert "bad-request" in b.expect(r"<iq[^>]*id='qq'.*?</iq>").group(0)
    # Someone else's archive.
    m = login(s, "mallory")
    r = query(s, m, to="bob@example.org")
    assert r["error"] == "forbidden" and r["ids"] == [], r
    x = iq(m, "<iq type='set' id='mp' to='bob@example.org'><prefs "
           "xmlns='%s' default='never'/></iq>" % NS, "mp")
    assert "forbidden" in x, x
    r = query(s, m, to="example.org")
    assert r["error"] == "service-unavailable", r
    x = iq(m, "<iq type='set' id='mp2'><prefs xmlns='%s' default='maybe'/>"
           "</iq>" % NS, "mp2")
    assert "bad-request" in x, x
    x = iq(m, "<iq type='set' id='mp3'><prefs xmlns='%s' default='never'>"
           "<always>%s</always></prefs></iq>" % (
               NS, "".join("<jid>u%d@example.org</jid>" % k
                           for k in range(101))), "mp3")
    assert "bad-request" in x, x
    m.close()
    # Before binding: refused by the stream, nothing reaches an archive.
    out = unbound(s, "<iq type='set' id='pre'><query xmlns='%s'/></iq>" % NS)
    assert "not-authorized" in out or "type='error'" in out, out
    # All still served, bob's archive untouched, and bob saw nothing
    # of mallory's attempts.
    r = query(s, b, max=0)
    assert r["count"] == N + 4, r
    assert "<message" not in b.buf and "mallory" not in b.buf, b.buf


def test_slixmpp_iterates_the_archive(s):
    from slixmpp import JID
    from xmppdtest import slix_login

    async def actions(c):
        bodies = []
        async for msg in c.plugin["xep_0313"].iterate(
                with_jid=JID("alice@example.org"), rsm={"max": 60}):
            bodies.append(msg["mam_result"]["forwarded"]["stanza"]["body"])
        return bodies

    def run():
        import slixmpp
        orig = slixmpp.ClientXMPP.__init__

        def init(self, *a, **kw):
            orig(self, *a, **kw)
            self.register_plugin("xep_0313")
        slixmpp.ClientXMPP.__init__ = init
        try:
            return slix_login(s.ports["client"], "bob@example.org/slix",
                              "bob-pw", actions=actions, timeout=60)
        finally:
            slixmpp.ClientXMPP.__init__ = orig
    got = run()["actions"]
    assert got[:3] == ["m000", "m001", "m002"] and len(got) == N + 1, \
        (len(got), got[:5])


def db_insert(s, user, age, body):
    stamp = int((time.time() - age) * 1000000)
    s.db_rows("INSERT INTO mam (domain, localpart, id, stamp, with_bare, "
              "with_res, direction, xml) VALUES ('example.org', ?, ?, ?, "
              "'alice@example.org', 'r', 0, ?)",
              (user, "old%d" % stamp, stamp,
               "<message from='alice@example.org/r' to='%s@example.org' "
               "type='chat'><body>%s</body></message>" % (user, body)))


def test_retention(s):
    s.b.close()
    s.stop_keep()
    db_insert(s, "bob", 10 * 86400, "ten days old")
    db_insert(s, "bob", 9 * 86400, "nine days old")
    db_insert(s, "bob", 3 * 86400, "three days old")
    # "archive expire 7d" runs by itself at start.
    s.write_conf(raw=s.base_conf().replace(
        'domain "example.org" {\n\tauth internal\n}',
        'domain "example.org" {\n\tauth internal\n\tarchive expire 7d\n}'))
    s.start()
    s.wait_log(r"archive expiry: 2 messages deleted")
    b = login(s, "bob")
    r = query(s, b, max=0)
    assert r["count"] == N + 5, r
    # On demand: only rows older than asked.
    p = s.ctl("archive", "expire", "2d")
    assert p.stdout.strip() == "1 messages deleted", p.stdout
    r = query(s, b, fields=[("with", "alice@example.org")], before="",
              max=1)
    assert r["count"] == N + 1 and r["bodies"] == ["x"], r
    p = s.ctl("archive", "expire", "1d", "example.org")
    assert p.stdout.strip() == "0 messages deleted", p.stdout
    p = s.ctl("archive", "expire", "1d", "nosuch.example", check=False)
    assert p.returncode != 0 and "no such domain" in p.stderr, p.stderr
    p = s.ctl("archive", "expire", "soon", check=False)
    assert p.returncode != 0, p.stdout
    b.close()


def archive_default(s, policy):
    m = s.mark()
    s.write_conf(raw=s.base_conf().replace(
        'domain "example.org" {\n\tauth internal\n}',
        'domain "example.org" {\n\tauth internal\n\tarchive default %s\n}'
        % policy))
    s.ctl("reload")
    s.wait_log(r"configuration reloaded", after=m)


def counts(s, *conns):
    return [query(s, c, max=0)["count"] for c in conns]


def test_nobody_keeps_routed_without_archive(s):
    """With "archive default never" and no preferences, the router
    knows nobody keeps a message: delivered unstamped, archived nowhere,
    and a forged stanza-id is still taken out."""
    archive_default(s, "never")
    c = login(s, "carol", "n")
    i = login(s, "ivan")
    before = counts(s, c, i)
    c.send("<message to='ivan@example.org/r' type='chat' id='n1'>"
           "<body>not kept</body></message>"
           "<message to='ivan@example.org' type='chat' id='n2'>"
           "<body>forged</body><stanza-id xmlns='urn:xmpp:sid:0' "
           "id='forged' by='ivan@example.org'/></message>")
    m = i.expect(r"<message[^>]*id='n1'.*?</message>").group(0)
    assert "stanza-id" not in m, m
    m = i.expect(r"<message[^>]*id='n2'.*?</message>").group(0)
    assert "stanza-id" not in m and "forged" in m, m
    assert counts(s, c, i) == before, (before, counts(s, c, i))
    s.nk = (c, i, before)


def test_preference_change_applies_to_the_next_message(s):
    """A preference set is in force for the very next stanza on the same
    stream, and for messages to that user."""
    c, i, before = s.nk
    # The set and a message in one write: the message must see the set.
    c.send("<iq type='set' id='pa'><prefs xmlns='%s' default='always'/>"
           "</iq><message to='ivan@example.org/r' type='chat' id='n3'>"
           "<body>carol keeps</body></message>" % NS)
    c.expect(r"<iq[^>]*id='pa'")
    m = i.expect(r"<message[^>]*id='n3'.*?</message>").group(0)
    assert "stanza-id" not in m, m
    assert counts(s, c, i) == [before[0] + 1, before[1]]
    # Ivan keeps carol only: his copy, stamped with its archive id.
    iq(i, "<iq type='set' id='pb'><prefs xmlns='%s' default='never'>"
       "<always><jid>carol@example.org</jid></always></prefs></iq>" % NS,
       "pb")
    c.send("<message to='ivan@example.org/r' type='chat' id='n4'>"
           "<body>both keep</body></message>")
    m = i.expect(r"<message[^>]*id='n4'.*?</message>").group(0)
    r = query(s, i, fields=[("with", "carol@example.org")])
    assert r["bodies"] == ["both keep"] and \
        "id='%s' by='ivan@example.org'" % r["ids"][0] in m, (r, m)
    # And back to keeping nothing.
    for conn, qid in ((c, "pc"), (i, "pd")):
        iq(conn, "<iq type='set' id='%s'><prefs xmlns='%s' "
           "default='never'/></iq>" % (qid, NS), qid)
    c.send("<message to='ivan@example.org/r' type='chat' id='n5'>"
           "<body>gone</body></message>")
    m = i.expect(r"<message[^>]*id='n5'.*?</message>").group(0)
    assert "stanza-id" not in m, m
    assert counts(s, c, i) == [before[0] + 2, before[1] + 1]
    c.close()
    i.close()


def test_domain_default_follows_reload(s):
    """Users online without preferences of their own follow the domain's
    default as it is after a reload."""
    f = login(s, "frank", "n")
    a = login(s, "alice", "n")
    before = counts(s, f, a)
    a.send("<message to='frank@example.org/n' type='chat' id='r1'>"
           "<body>never</body></message>")
    m = f.expect(r"<message[^>]*id='r1'.*?</message>").group(0)
    assert "stanza-id" not in m, m
    archive_default(s, "always")
    a.send("<message to='frank@example.org/n' type='chat' id='r2'>"
           "<body>always</body></message>")
    m = f.expect(r"<message[^>]*id='r2'.*?</message>").group(0)
    assert "stanza-id" in m, m
    assert counts(s, f, a) == [before[0] + 1, before[1] + 1]
    f.close()
    a.close()


def meta(s, c, to=None, iqtype="get", payload=None):
    """Archive metadata (section 5): start and end as (id, timestamp),
    None for an empty archive, or the error's condition."""
    s.next += 1
    iqid = "md%d" % s.next
    x = iq(c, "<iq type='%s' id='%s'%s>%s</iq>" % (
        iqtype, iqid, " to='%s'" % to if to else "",
        payload if payload is not None else "<metadata xmlns='%s'/>" % NS),
        iqid)
    e = ET.fromstring(x)
    r = {"iq": x, "error": None, "start": None, "end": None}
    if e.get("type") == "error":
        err = e.find("error")
        r["error"] = err[0].tag.split("}")[1]
        return r
    assert e.get("type") == "result", x
    md = e.find("{%s}metadata" % NS)
    assert md is not None and len(e) == 1, x
    for k in ("start", "end"):
        el = md.find("{%s}%s" % (NS, k))
        if el is not None:
            r[k] = (el.get("id"), el.get("timestamp"))
    assert len(md) == (0 if r["start"] is None else 2), x
    return r


def stamp(ts):
    """A XEP-0082 timestamp as seconds since the epoch."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$", ts)
    assert m, ts
    return (time.mktime(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) -
            time.timezone + float(m.group(2) or 0))


def keep_all(s, c):
    x = iq(c, "<iq type='set' id='ka'><prefs xmlns='%s' default='always'/>"
           "</iq>" % NS, "ka")
    assert "type='result'" in x, x


def test_metadata_of_an_empty_archive(s):
    g = login(s, "gina")
    r = meta(s, g)
    assert r["error"] is None and r["start"] is None, r
    assert "<metadata xmlns='%s'/>" % NS in r["iq"], r["iq"]
    assert query(s, g, max=0)["count"] == 0
    g.close()


def test_metadata_follows_the_archive(s):
    """start and end are the first and last message a query returns,
    with the same ids and times; a new message moves the end."""
    g = login(s, "gina")
    a = login(s, "alice", "md")
    keep_all(s, g)
    for k in range(3):
        a.send("<message to='gina@example.org' type='chat' id='g%d'>"
               "<body>g%d</body></message>" % (k, k))
        g.expect(r"<message[^>]*id='g%d'" % k)
    r = meta(s, g)
    q = query(s, g)
    assert q["count"] == 3 and len(q["ids"]) == 3, q
    assert r["start"] == (q["ids"][0], q["stamps"][0]), (r, q)
    assert r["end"] == (q["ids"][-1], q["stamps"][-1]), (r, q)
    assert stamp(r["start"][1]) <= stamp(r["end"][1]), r
    assert abs(stamp(r["end"][1]) - time.time()) < 60, r
    a.send("<message to='gina@example.org' type='chat' id='g3'>"
           "<body>g3</body></message>")
    m = g.expect(r"<message[^>]*id='g3'.*?</message>").group(0)
    sid = re.search(r"<stanza-id xmlns='urn:xmpp:sid:0' id='([^']+)' "
                    r"by='gina@example.org'/>", m).group(1)
    r2 = meta(s, g)
    assert r2["start"] == r["start"] and r2["end"][0] == sid, (r, r2)
    assert stamp(r2["end"][1]) >= stamp(r["end"][1]), (r, r2)
    # The sender's own archive has its own ids.
    ra = meta(s, a)
    qa = query(s, a, before="", max=1)
    assert ra["end"] == (qa["ids"][0], qa["stamps"][0]), (ra, qa)
    assert ra["end"][0] != sid
    s.gina_meta = r2
    a.close()
    g.close()


def test_metadata_with_slixmpp(s):
    from xmppdtest import slix_login

    async def actions(c):
        iq = await c.plugin["xep_0313"].get_archive_metadata()
        md = iq["mam_metadata"]
        return [(md[k]["id"], md[k]["timestamp"].timestamp())
                for k in ("start", "end")]

    got = slix_login(s.ports["client"], "gina@example.org/slix", "gina-pw",
                     actions=actions, plugins=("xep_0313",))["actions"]
    want = s.gina_meta
    assert [g[0] for g in got] == [want["start"][0], want["end"][0]], got
    for (_, ts), k in zip(got, ("start", "end")):
        assert abs(ts - stamp(want[k][1])) < 1e-3, (got, want)


def test_metadata_after_expiry(s):
    """Expiry takes the oldest messages: the start moves to the first
    one left; an archive expired whole answers an empty metadata."""
    s.stop_keep()
    db_insert(s, "hank", 10 * 86400, "ten days old")
    db_insert(s, "hank", 9 * 86400, "nine days old")
    s.start()
    h = login(s, "hank")
    a = login(s, "alice", "md")
    keep_all(s, h)
    a.send("<message to='hank@example.org' type='chat' id='h1'>"
           "<body>now</body></message>")
    h.expect(r"<message[^>]*id='h1'")
    q = query(s, h)
    assert q["bodies"] == ["ten days old", "nine days old", "now"], q
    r = meta(s, h)
    assert r["start"] == (q["ids"][0], q["stamps"][0]), (r, q)
    assert r["end"] == (q["ids"][2], q["stamps"][2]), (r, q)
    assert abs(stamp(r["start"][1]) - (time.time() - 10 * 86400)) < 60, r
    p = s.ctl("archive", "expire", "5d", "example.org")
    assert re.match(r"[1-9]\d* messages deleted", p.stdout.strip()), p.stdout
    r2 = meta(s, h)
    assert r2["start"] == r2["end"] == r["end"], (r, r2)
    assert query(s, h)["ids"] == [r["end"][0]]
    p = s.ctl("archive", "expire", "0s", "example.org")
    r3 = meta(s, h)
    assert r3["error"] is None and r3["start"] is None, r3
    assert query(s, h, max=0)["count"] == 0
    a.close()
    h.close()


def test_metadata_bad_input(s):
    """Another account's archive is forbidden, the server has none, only
    a get of an empty <metadata/> is one; none of it reaches anyone."""
    b = fresh_bob(s)
    m = login(s, "mallory")
    r = meta(s, m, to="bob@example.org")
    assert r["error"] == "forbidden" and "<start" not in r["iq"], r
    r = meta(s, m, to="example.org")
    assert r["error"] == "service-unavailable", r
    r = meta(s, m, iqtype="set")
    assert r["error"] == "bad-request", r
    for body in ("<start id='x' timestamp='2020-01-01T00:00:00Z'/>",
                 "<end/>", "<query/>", "<x xmlns='jabber:x:data'/>",
                 "<start/>" * 200):
        r = meta(s, m, payload="<metadata xmlns='%s'>%s</metadata>" %
                 (NS, body))
        assert r["error"] == "bad-request", (body, r)
    # The old namespace is not this one.
    r = meta(s, m, payload="<metadata xmlns='urn:xmpp:mam:1'/>")
    assert r["error"] == "service-unavailable", r
    # One's own, named by its bare JID: an answer.
    r = meta(s, m, to="mallory@example.org")
    assert r["error"] is None, r
    m.close()
    # Before binding: the stream refuses it.
    out = unbound(s, "<iq type='get' id='pre'><metadata xmlns='%s'/></iq>"
                  % NS)
    assert "not-authorized" in out and "<metadata" not in out, out
    assert "mallory" not in b.buf and "<metadata" not in b.buf, b.buf
    b.close()


def test_metadata_while_the_store_stalls_or_dies(s):
    """Requests wait for a stalled store, in order (RFC 6120 section
    10.1: the next waits for the one before), and are answered when it
    is back; a store that dies takes the server down and no request is
    answered with made-up data."""
    g = login(s, "gina")
    ref = re.search(r"<metadata.*?(?:/>|</metadata>)", meta(s, g)["iq"])
    store = s.pid_of("store")
    os.kill(store, signal.SIGSTOP)
    try:
        mark = s.mark()
        g.send("".join("<iq type='get' id='st%d'><metadata xmlns='%s'/>"
                       "</iq>" % (k, NS) for k in range(5)))
        s.wait_log(r"gina@example.org/\S+: waits behind 1, 3 before it",
                   after=mark)
    finally:
        os.kill(store, signal.SIGCONT)
    for k in range(5):
        x = g.expect(r"<iq[^>]*id='st(\d)'.*?</iq>")
        assert x.group(1) == str(k), x.group(0)
        assert "type='result'" in x.group(0) and ref.group(0) in \
            x.group(0), x.group(0)
    # In flight when the store dies: the server stops, nothing answers.
    os.kill(store, signal.SIGSTOP)
    mark = s.mark()
    g.send("<iq type='get' id='gone'><metadata xmlns='%s'/></iq>" % NS)
    g.send("<iq type='get' id='sync3' to='example.org'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>")
    # The ping waits behind the request, which is at the store.
    s.wait_log(r"gina@example.org/\S+: waits behind 1, 0 before it",
               after=mark)
    os.kill(store, signal.SIGKILL)
    s.wait_log(r"store is gone: shutting down")
    out = g.closed()
    assert "id='gone'" not in out, out
    s.wait_exit()
    s.stop_keep()
    s.start()
