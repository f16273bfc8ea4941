"""XEP-0363 slots from uploadd (upload_slot.c, upload_admin.c,
router_upload.c), end to end: disco#info with max-file-size, slots for
users of every hosted domain through slixmpp's xep_0363, every error of
a slot request, quotas counting pending slots, stanzas forged as the
upload service, xmppctl upload stats and purge, account deletion, expiry
and a reload changing the maximum size.  Completed uploads are made by
hand here (file and database row, as a PUT leaves them): the HTTP side
has its own tests."""

import os
import re
import signal
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawxmpp import Raw  # noqa: E402
from xmppdtest import Server, add_user, slix_login  # noqa: E402

UP = "upload.example.org"
URL = "https://upload.example.org:5444/files"
NS = "urn:xmpp:http:upload:0"
MB = 1024 * 1024


def conf(maxsize="1M"):
    return ('domain "example.net" {\n\tauth internal\n}\n'
            'upload "%s" {\n\turl "%s/"\n\tmax size %s\n\tquota 3M\n'
            '\texpire 1h\n}\n' % (UP, URL, maxsize))


def setup():
    s = Server(conf())
    s.start(env={"XMPPD_REGRESS_UPLOAD_TTL": "3"})
    s.wait_log(r"uploadd 0 ready")
    for u in ("alice", "bob", "dave", "erin", "gina"):
        add_user(s, "%s@example.org" % u, u + "-pw")
    add_user(s, "carol@example.net", "carol-pw")
    return s


def teardown(s):
    s.stop()


def db(s):
    c = sqlite3.connect(os.path.join(s.datadir, "upload", "upload.db"),
                        timeout=10)
    c.row_factory = sqlite3.Row
    return c


def login(s, user, res="r", domain="example.org"):
    c = Raw(s.ports["client"])
    c.login(user, user + "-pw", res, domain=domain)
    return c


def iq(c, body, iqid, to=UP, typ="get"):
    c.send("<iq type='%s' id='%s' to='%s'>%s</iq>" % (typ, iqid, to, body))
    return c.expect(r"<iq[^>]*id='%s'[^>]*(?:/>|>.*?</iq>)" % iqid).group(0)


def request(c, iqid, filename="a.jpg", size="1000", ctype="image/jpeg",
            typ="get"):
    attrs = ""
    for k, v in (("filename", filename), ("size", size),
                 ("content-type", ctype)):
        if v is not None:
            attrs += " %s='%s'" % (k, v)
    return iq(c, "<request xmlns='%s'%s/>" % (NS, attrs), iqid, typ=typ)


def slot_of(r):
    assert "type='result'" in r, r
    put = re.search(r"<put url='([^']*)'", r).group(1)
    get = re.search(r"<get url='([^']*)'", r).group(1)
    return put, get


def error_cond(r, etype, cond):
    assert "type='error'" in r, r
    e = re.search(r"<error type='([^']*)'[^>]*>(.*?)</error>", r, re.S)
    assert e and e.group(1) == etype, r
    assert re.search(r"<%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                     % cond, e.group(2)), r
    return e.group(2)


def complete(s, slot, data=b"x", completed=None):
    """A finished upload of slot, as a PUT leaves it."""
    path = os.path.join(s.datadir, "upload", "files", slot)
    with open(path, "wb") as f:
        f.write(data)
    with db(s) as d:
        d.execute("UPDATE files SET state = 1, completed = ? WHERE slot = ?",
                  (completed or int(time.time()), slot))
    return path


def test_disco_info(s):
    c = login(s, "alice")
    r = iq(c, "<query xmlns='http://jabber.org/protocol/disco#info'/>", "d1")
    assert "from='%s'" % UP in r, r
    assert "<identity category='store' type='file'" in r, r
    assert "<feature var='%s'/>" % NS in r, r
    assert re.search(r"<field var='FORM_TYPE' type='hidden'><value>%s"
                     r"</value></field>" % NS, r), r
    assert re.search(r"<field var='max-file-size'><value>%d</value>" % MB,
                     r), r
    r = iq(c, "<query xmlns='http://jabber.org/protocol/disco#info' "
           "node='x'/>", "d2")
    error_cond(r, "cancel", "item-not-found")
    r = iq(c, "<query xmlns='http://jabber.org/protocol/disco#items'/>",
           "d3")
    assert "type='result'" in r, r
    # The server lists the service among its items.
    r = iq(c, "<query xmlns='http://jabber.org/protocol/disco#items'/>",
           "d4", to="example.org")
    assert "jid='%s'" % UP in r, r
    c.close()


def test_slot_slixmpp(s):
    got = {}

    async def actions(c):
        r = await c["xep_0363"].request_slot(UP, "holiday photo.jpg", 1234,
                                             "image/jpeg", timeout=10)
        got["put"] = r["http_upload_slot"]["put"]["url"]
        got["get"] = r["http_upload_slot"]["get"]["url"]

    slix_login(s.ports["client"], "alice@example.org", "alice-pw",
               actions=actions, plugins=("xep_0363",))
    m = re.fullmatch(re.escape(URL) + r"/([0-9a-f]{32})/holiday%20photo\.jpg",
                     got["get"])
    assert m, got
    assert got["put"].startswith(got["get"] + "?s="), got
    assert re.fullmatch(r"[0-9a-f]{64}", got["put"].split("?s=")[1]), got
    row = db(s).execute("SELECT * FROM files WHERE slot = ?",
                        (m.group(1),)).fetchone()
    assert row["owner"] == "alice@example.org" and row["size"] == 1234, \
        dict(row)
    assert row["name"] == "holiday photo.jpg" and row["state"] == 0, dict(row)
    assert row["type"] == "image/jpeg" and row["service"] == UP, dict(row)
    assert 0 < row["expires"] - row["created"] <= 300, dict(row)


def test_other_domain(s):
    """The service serves every hosted domain."""
    c = login(s, "carol", domain="example.net")
    put, get = slot_of(request(c, "o1"))
    row = db(s).execute("SELECT owner FROM files WHERE slot = ?",
                        (get.split("/")[-2],)).fetchone()
    assert row["owner"] == "carol@example.net", dict(row)
    c.close()


def test_names_encoded(s):
    c = login(s, "alice")
    put, get = slot_of(request(c, "n1", filename="&lt;x&gt;&amp;'\u00e9?#%.txt"
                               .replace("'", "&apos;")))
    assert get.endswith("/%3Cx%3E%26%27%C3%A9%3F%23%25.txt"), get
    c.close()


def test_bad_requests(s):
    c = login(s, "bob")
    n = db(s).execute("SELECT COUNT(*) FROM files").fetchone()[0]
    bad = [
        dict(filename=""), dict(filename=None), dict(filename="a/b"),
        dict(filename="/etc/passwd"), dict(filename="..\\x"),
        dict(filename=".."), dict(filename="."), dict(filename="x" * 256),
        dict(filename="\u00e9" * 128), dict(filename="a&#10;b"),
        dict(filename="a&#x7f;"),
        dict(size=None), dict(size=""), dict(size="-1"), dict(size="+5"),
        dict(size=" 5"), dict(size="1e3"), dict(size="0x10"),
        dict(size="99999999999999999999"), dict(size="12abc"),
        dict(ctype="image"), dict(ctype="/jpeg"),
        dict(ctype="text/html&#13;&#10;Set-Cookie: a=b"),
        dict(ctype="a/" + "b" * 300), dict(ctype="image/\u00e9"),
        dict(typ="set"),
    ]
    for i, kw in enumerate(bad):
        r = request(c, "b%d" % i, **kw)
        error_cond(r, "modify", "bad-request")
    # A 255-byte name is fine; so is a missing content type.
    put, get = slot_of(request(c, "ok1", filename="y" * 255, ctype=None))
    assert get.endswith("/" + "y" * 255), get
    assert db(s).execute("SELECT type FROM files WHERE slot = ?",
                         (get.split("/")[-2],)).fetchone()[0] == \
        "application/octet-stream"
    assert db(s).execute("SELECT COUNT(*) FROM files").fetchone()[0] == n + 1
    # No payload, an unknown one, a bad one.
    error_cond(iq(c, "", "e1"), "modify", "bad-request")
    error_cond(iq(c, "<query xmlns='jabber:iq:version'/>", "e2"), "cancel",
               "service-unavailable")
    error_cond(iq(c, "<request xmlns='urn:xmpp:http:upload'/>", "e3"),
               "cancel", "service-unavailable")
    # Not the service's own address.
    error_cond(iq(c, "<request xmlns='%s' filename='a' size='1'/>" % NS,
                  "e4", to="someone@" + UP), "cancel", "service-unavailable")
    c.send("<message to='%s' id='m1'><body>hi</body></message>" % UP)
    r = c.expect(r"<message[^>]*type='error'.*?</message>").group(0)
    error_cond(r, "cancel", "service-unavailable")
    c.close()


def test_nul_in_name(s):
    """NUL cannot be in XML: the stream ends, the service goes on."""
    c = login(s, "bob", "nul")
    c.send("<iq type='get' id='z' to='%s'><request xmlns='%s' "
           "filename='a&#0;b' size='1'/></iq>" % (UP, NS))
    out = c.closed()
    assert "not-well-formed" in out or "invalid-xml" in out, out
    c = login(s, "bob", "after")
    slot_of(request(c, "z2"))
    c.close()


def test_too_large(s):
    c = login(s, "dave")
    r = request(c, "t1", size=str(MB + 1))
    e = error_cond(r, "modify", "not-acceptable")
    assert re.search(r"<file-too-large xmlns='%s'><max-file-size>%d"
                     r"</max-file-size></file-too-large>" % (NS, MB), e), r
    slot_of(request(c, "t2", size=str(MB)))
    c.close()


def test_quota_counts_pending(s):
    """3M of quota: three pending 1M slots fill it, a fourth is refused,
    and so is one byte more; another user is not affected."""
    c = login(s, "erin")
    for i in range(3):
        slot_of(request(c, "q%d" % i, size=str(MB)))
    r = request(c, "q3", size=str(MB))
    error_cond(r, "wait", "resource-constraint")
    error_cond(request(c, "q4", size="1"), "wait", "resource-constraint")
    slot_of(request(c, "q5", size="0"))
    b = login(s, "gina")
    slot_of(request(b, "q6", size=str(MB)))
    b.close()
    c.close()


def test_forged_from_upload(s):
    """A client cannot speak as the upload service: what it sends carries
    its own JID, whatever 'from' it wrote."""
    a = login(s, "alice", "forger")
    b = login(s, "bob", "victim")
    a.send("<iq type='result' id='f1' from='%s' to='%s'><slot xmlns='%s'>"
           "<put url='https://evil.example/'/><get url='https://evil."
           "example/'/></slot></iq>" % (UP, b.jid, NS))
    r = b.expect(r"<iq[^>]*id='f1'.*?</iq>").group(0)
    assert "from='%s'" % a.jid in r and "from='%s'" % UP not in r, r
    a.send("<message from='%s' to='%s' id='f2'><body>x</body></message>"
           % (UP, b.jid))
    r = b.expect(r"<message[^>]*id='f2'.*?</message>").group(0)
    assert "from='%s'" % a.jid in r, r
    a.close()
    b.close()


def test_ctl_stats_purge(s):
    a = login(s, "alice", "ctl")
    b = login(s, "bob", "ctl")
    slots = {}
    for who, c, sizes in (("alice", a, (100, 200)), ("bob", b, (5000,))):
        for i, n in enumerate(sizes):
            put, get = slot_of(request(c, "c%d" % i, size=str(n)))
            slots.setdefault(who, []).append(get.split("/")[-2])
            complete(s, slots[who][-1], b"y" * n)
    out = s.ctl("upload", "stats").stdout
    m = re.search(r"%s: (\d+) files, (\d+) bytes, (\d+) slots pending" % UP,
                  out)
    assert m and int(m.group(1)) >= 3 and int(m.group(2)) >= 5300, out
    users = re.findall(r"^\s+(\S+@\S+)\s+(\d+)\s+(\d+)$", out, re.M)
    assert users[0] == ("bob@example.org", "1", "5000"), out
    assert ("alice@example.org", "2", "300") in users, out
    assert s.ctl("upload", "stats", UP).stdout == out
    p = s.ctl("upload", "stats", "nowhere.example.org", check=False)
    assert p.returncode == 1 and "no such upload service" in p.stderr, p
    for bad in ("notajid", "alice@example.org/res", ""):
        p = s.ctl("upload", "purge", bad, check=False)
        assert p.returncode == 1, (bad, p)

    p = s.ctl("upload", "purge", "alice@example.org")
    assert re.search(r"purged 2 files, 300 bytes", p.stdout), p.stdout
    d = db(s)
    assert d.execute("SELECT COUNT(*) FROM files WHERE owner = "
                     "'alice@example.org'").fetchone()[0] == 0
    for slot in slots["alice"]:
        assert not os.path.exists(os.path.join(s.datadir, "upload", "files",
                                               slot))
    assert os.path.exists(os.path.join(s.datadir, "upload", "files",
                                       slots["bob"][0]))
    a.close()
    b.close()


def test_secret_private(s):
    st = os.stat(os.path.join(s.datadir, "upload", "secret"))
    assert st.st_mode & 0o777 == 0o600 and st.st_size == 32, oct(st.st_mode)
    assert not os.path.exists(os.path.join(s.datadir, "upload", "files",
                                           "secret"))


def test_account_deletion(s):
    c = login(s, "dave", "gone")
    put, get = slot_of(request(c, "g1", size="10"))
    slot = get.split("/")[-2]
    path = complete(s, slot, b"0123456789")
    c.close()
    m = s.mark()
    s.ctl("user", "delete", "dave@example.org")
    s.wait_log(r"purged 1 files \(10 bytes\), \d+ slots of "
               r"dave@example\.org, an account deleted", after=m)
    assert not os.path.exists(path)
    assert db(s).execute("SELECT COUNT(*) FROM files WHERE owner = "
                         "'dave@example.org'").fetchone()[0] == 0


def test_expiry(s):
    """Slots unused past their time (3 s in this test) and files older
    than the service's expire go; a slot whose file is complete stays."""
    c = login(s, "gina", "exp")
    _, old = slot_of(request(c, "x1", size="4"))
    old = old.split("/")[-2]
    old_path = complete(s, old, b"abcd", completed=int(time.time()) - 7200)
    _, unused = slot_of(request(c, "x2", size="5"))
    unused = unused.split("/")[-2]
    _, fresh = slot_of(request(c, "x3", size="6"))
    fresh = fresh.split("/")[-2]
    fresh_path = complete(s, fresh, b"abcdef")
    s.wait_log(r"slot %s of gina@example\.org removed" % old)
    s.wait_log(r"slot %s of gina@example\.org removed" % unused)
    d = db(s)
    left = {r[0] for r in d.execute("SELECT slot FROM files")}
    assert old not in left and not os.path.exists(old_path), left
    assert unused not in left, left
    assert fresh in left and os.path.exists(fresh_path), left
    c.close()


def test_restart_completes(s):
    """A kill -9 between the rename and the database step: at start, a
    pending slot whose file is there is done."""
    c = login(s, "gina", "crash")
    _, get = slot_of(request(c, "k1", size="3"))
    slot = get.split("/")[-2]
    with open(os.path.join(s.datadir, "upload", "files", slot), "wb") as f:
        f.write(b"abc")
    m = s.mark()
    pid = s.pid_of("uploadd")
    os.kill(pid, signal.SIGKILL)
    s.wait_log(r"uploadd 0 ready", after=m)
    row = db(s).execute("SELECT state FROM files WHERE slot = ?",
                        (slot,)).fetchone()
    assert row[0] == 1, row
    c.close()


def test_reload_max_size(s):
    c = login(s, "bob", "reload")
    error_cond(request(c, "r1", size=str(2 * MB)), "modify",
               "not-acceptable")
    s.write_conf(conf("2M"))
    s.ctl("reload")
    r = iq(c, "<query xmlns='http://jabber.org/protocol/disco#info'/>", "r2")
    assert "<value>%d</value>" % (2 * MB) in r, r
    slot_of(request(c, "r3", size=str(2 * MB)))
    s.write_conf(conf())
    s.ctl("reload")
    c.close()


def test_purge_all(s):
    p = s.ctl("upload", "purge", "all")
    assert re.search(r"purged \d+ files", p.stdout), p.stdout
    assert db(s).execute("SELECT COUNT(*) FROM files").fetchone()[0] == 0
    assert os.listdir(os.path.join(s.datadir, "upload", "files")) == []


def test_uploadd_gone(s):
    """Without uploadd the router answers for it, and control fails."""
    s.write_conf("")
    s.ctl("reload")
    c = login(s, "bob", "none")
    r = request(c, "u1")
    assert "type='error'" in r, r
    p = s.ctl("upload", "stats", check=False)
    assert p.returncode == 1 and "no upload service" in p.stderr, p
    c.close()
    s.write_conf(conf())
    m = s.mark()
    s.ctl("reload")
    s.wait_log(r"uploadd 0 ready", after=m)
