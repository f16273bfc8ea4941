"""xmppctl import and export (XEP-0227, urn:xmpp:pie:0): a file imported
is what a client then sees, an export imported again after the accounts
are gone gives the same, a second import changes nothing, and hostile
files import nothing of what they break."""

import base64
import hashlib
import hmac
import os
import re
import xml.etree.ElementTree as ET

import resource
import subprocess

from rawxmpp import Raw
from xmppdtest import XMPPCTL, Server, proc_status, slix_login

PIE_WINDOW_RECS = 1000  # common/msg.h

PIE = "urn:xmpp:pie:0"


def scram_sha1(password, salt, iters=4096):
    salted = hashlib.pbkdf2_hmac("sha1", password.encode(), salt, iters)
    ck = hmac.new(salted, b"Client Key", "sha1").digest()
    sk = hmac.new(salted, b"Server Key", "sha1").digest()
    return hashlib.sha1(ck).digest(), sk


def b64(b):
    return base64.b64encode(b).decode()


def dave_scram(password="dave-pw"):
    salt = b"0123456789abcdef"
    stored, server = scram_sha1(password, salt)
    return ("<scram-credentials xmlns='urn:xmpp:pie:0#scram' "
            "mechanism='SCRAM-SHA-1'><iter-count>4096</iter-count>"
            "<salt>%s</salt><server-key>%s</server-key>"
            "<stored-key>%s</stored-key></scram-credentials>"
            % (b64(salt), b64(server), b64(stored)))


CAROL = """
  <user name='carol' password='carol-pw'>
    <query xmlns='jabber:iq:roster'>
      <item jid='dave@example.org' name='Dave &amp; co' subscription='both'>
        <group>Friends</group><group>Work</group>
      </item>
      <item jid='eve@remote.example' subscription='to' ask='subscribe'/>
    </query>
    <presence xmlns='jabber:client' from='frank@remote.example'
        type='subscribe'/>
    <vCard xmlns='vcard-temp'><FN>Carol Kaye</FN></vCard>
    <query xmlns='jabber:iq:private'>
      <prefs xmlns='x:prefs'><nick>Carol</nick></prefs>
    </query>
    <pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>
      <configure node='urn:xmpp:bookmarks:1'>
        <x xmlns='jabber:x:data' type='submit'>
          <field var='pubsub#access_model'><value>whitelist</value></field>
          <field var='pubsub#max_items'><value>max</value></field>
          <field var='pubsub#send_last_published_item'>
            <value>never</value></field>
        </x>
      </configure>
    </pubsub>
    <pubsub xmlns='http://jabber.org/protocol/pubsub'>
      <items node='urn:xmpp:bookmarks:1'>
        <item id='room@conference.example.org'>
          <conference xmlns='urn:xmpp:bookmarks:1' name='The room'/>
        </item>
      </items>
      <items node='urn:xmpp:avatar:metadata'>
        <item id='abc'><metadata xmlns='urn:xmpp:avatar:metadata'/></item>
      </items>
    </pubsub>
    <offline-messages>
      <message xmlns='jabber:client' from='dave@example.org/desk'
          to='carol@example.org' type='chat' id='off1'>
        <body>while you were out</body>
        <delay xmlns='urn:xmpp:delay' from='example.org'
            stamp='2024-01-02T03:04:05Z'/>
      </message>
    </offline-messages>
    <archive xmlns='urn:xmpp:pie:0#mam'>
      <result xmlns='urn:xmpp:mam:2' id='a1'>
        <forwarded xmlns='urn:xmpp:forward:0'>
          <delay xmlns='urn:xmpp:delay' stamp='2023-05-06T07:08:09Z'/>
          <message xmlns='jabber:client' from='carol@example.org/desk'
              to='dave@example.org' type='chat'><body>hello dave</body>
          </message>
        </forwarded>
      </result>
      <result xmlns='urn:xmpp:mam:2' id='a2'>
        <forwarded xmlns='urn:xmpp:forward:0'>
          <delay xmlns='urn:xmpp:delay' stamp='2023-05-06T07:09:00Z'/>
          <message xmlns='jabber:client' from='dave@example.org/desk'
              to='carol@example.org/desk' type='chat'><body>hi carol</body>
          </message>
        </forwarded>
      </result>
    </archive>
  </user>"""


def pie_file(s, name, users, host="example.org", prolog=""):
    path = os.path.join(s.dir, name)
    with open(path, "w") as f:
        f.write("<?xml version='1.0' encoding='UTF-8'?>\n%s"
                "<server-data xmlns='urn:xmpp:pie:0'>\n<host jid='%s'>%s"
                "\n</host>\n</server-data>\n" % (prolog, host, users))
    return path


def setup():
    # Logins refused on purpose are many: none is throttled.
    s = Server(body="limits {\n\tauth failures 1000 per 60s\n}\n")
    s.start()
    s.n = 0
    s.files = {}
    return s


def teardown(s):
    s.stop()


def iq(s, c, payload, type="get", to=None):
    s.n += 1
    ident = "q%d" % s.n
    dest = " to='%s'" % to if to else ""
    c.send("<iq type='%s' id='%s'%s>%s</iq>" % (type, ident, dest, payload))
    m = c.expect(r"<iq\b[^>]*\bid='%s'[^>]*?(/>|>.*?</iq>)" % ident)
    r = ET.fromstring(m.group(0).replace("<iq ", "<iq xmlns='jabber:client' ",
                                         1))
    assert r.get("type") == "result", m.group(0)
    return r, m.group(0)


def login(s, user, password):
    c = Raw(s.ports["client"])
    c.login(user, password, "desk")
    return c


def check_carol(s):
    """What carol sees after an import: the file's data, all of it."""
    c = login(s, "carol", "carol-pw")
    try:
        r, raw = iq(s, c, "<query xmlns='jabber:iq:roster'/>")
        items = {i.get("jid"): i for i in
                 r.iter("{jabber:iq:roster}item")}
        d = items["dave@example.org"]
        assert d.get("name") == "Dave & co" and \
            d.get("subscription") == "both", raw
        assert sorted(g.text for g in d.iter("{jabber:iq:roster}group")) \
            == ["Friends", "Work"], raw
        e = items["eve@remote.example"]
        assert e.get("subscription") == "to" and \
            e.get("ask") == "subscribe", raw
        assert "frank@remote.example" not in items, raw
        r, raw = iq(s, c, "<vCard xmlns='vcard-temp'/>")
        assert "<FN>Carol Kaye</FN>" in raw, raw
        r, raw = iq(s, c, "<query xmlns='jabber:iq:private'><prefs "
                    "xmlns='x:prefs'/></query>")
        assert "<nick>Carol</nick>" in raw, raw
        r, raw = iq(s, c, "<pubsub xmlns='http://jabber.org/protocol/"
                    "pubsub'><items node='urn:xmpp:bookmarks:1'/></pubsub>",
                    to="carol@example.org")
        assert "room@conference.example.org" in raw and \
            "The room" in raw, raw
        r, raw = iq(s, c, "<pubsub xmlns='http://jabber.org/protocol/"
                    "pubsub#owner'><configure node='urn:xmpp:bookmarks:1'/>"
                    "</pubsub>")
        conf = {f.get("var"): f.findtext("{jabber:x:data}value") for f in
                r.iter("{jabber:x:data}field")}
        assert conf["pubsub#access_model"] == "whitelist" and \
            conf["pubsub#send_last_published_item"] == "never", raw
        c.send("<iq type='set' id='mam1'><query xmlns='urn:xmpp:mam:2' "
               "queryid='x'/></iq>")
        m = c.expect(r"<iq\b[^>]*\bid='mam1'.*?(/>|</iq>)")
        page = m.string[:m.end()]
        assert page.index("hello dave") < page.index("hi carol"), page
        assert "2023-05-06T07:08:09" in page, page
        # The pending request, then the offline message, on presence.
        c.send("<presence/>")
        c.expect(r"<presence[^>]*frank@remote.example[^>]*subscribe")
        m = c.expect(r"<message[^>]*>.*?while you were out.*?</message>")
        assert "2024-01-02T03:04:05" in m.group(0), m.group(0)
    finally:
        c.close()


def test_import(s):
    path = pie_file(s, "in.xml", CAROL + "\n<user name='dave'>%s"
                    "</user>" % dave_scram())
    p = s.ctl("import", path)
    out = p.stdout
    assert "carol@example.org: imported" in out, out
    assert "2 roster items" not in out and "3 roster items" in out, out
    assert "2 archived messages" in out and "1 offline messages" in out, out
    assert "dave@example.org: imported: 1 credentials" in out, out
    assert "2 users: 2 imported, 0 unchanged, 0 refused" in out, out
    s.files["in"] = path
    # dave's SCRAM keys let him in with his password, never stored.
    login(s, "dave", "dave-pw").close()
    c = Raw(s.ports["client"])
    c.starttls()
    c.header()
    assert c.auth_plain("dave", "wrong").group(1) == "failure"
    c.close()


def test_import_twice_changes_nothing(s):
    p = s.ctl("import", s.files["in"])
    assert "carol@example.org: unchanged: the account exists" in p.stdout
    assert "2 users: 0 imported, 2 unchanged, 0 refused" in p.stdout, \
        p.stdout


def test_export_mode_and_content(s):
    # An export before carol takes her offline message.
    path = os.path.join(s.dir, "out.xml")
    s.ctl("export", "example.org", path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    root = ET.parse(path).getroot()
    assert root.tag == "{%s}server-data" % PIE
    users = {u.get("name"): u for u in root.iter("{%s}user" % PIE)}
    assert sorted(users) == ["carol", "dave"], users
    text = open(path).read()
    assert "password" not in text, "no password is ever exported"
    assert "scram-credentials" in text and "while you were out" in text
    s.files["out"] = path


def test_round_trip(s):
    check_carol(s)
    for u in ("carol", "dave"):
        s.ctl("user", "delete", "%s@example.org" % u)
    p = s.ctl("import", s.files["out"])
    assert "2 users: 2 imported" in p.stdout, p.stdout
    check_carol(s)
    login(s, "dave", "dave-pw").close()


def logs_in(s, user, password, mech):
    try:
        slix_login(s.ports["client"], "%s@example.org/m" % user, password,
                   mech=mech)
    except AssertionError as e:
        assert "login failed" in str(e), e
        return False
    return True


def test_sha1_account_gains_sha256(s):
    """An account imported with SCRAM-SHA-1 keys alone: SCRAM-SHA-256
    fails until a PLAIN login gives the password, which makes its
    SCRAM-SHA-256 keys; a wrong password makes none, and SCRAM-SHA-1
    keeps working."""
    p = s.ctl("import", pie_file(s, "sha1.xml", "<user name='erin'>%s"
                                 "</user>" % dave_scram("erin-pw")))
    assert "erin@example.org: imported: 1 credentials" in p.stdout, p.stdout
    assert not logs_in(s, "erin", "erin-pw", "SCRAM-SHA-256")
    assert not logs_in(s, "erin", "wrong", "PLAIN")
    assert not logs_in(s, "erin", "erin-pw", "SCRAM-SHA-256")
    mark = s.mark()
    assert logs_in(s, "erin", "erin-pw", "PLAIN")
    s.wait_log(r"erin@example.org: SCRAM-SHA-256 keys made at a PLAIN "
               r"login", after=mark)
    assert logs_in(s, "erin", "erin-pw", "SCRAM-SHA-256")
    assert not logs_in(s, "erin", "wrong", "SCRAM-SHA-256")
    assert logs_in(s, "erin", "erin-pw", "SCRAM-SHA-1")
    # Once made, a PLAIN login checks them and makes no more.
    mark = s.mark()
    assert logs_in(s, "erin", "erin-pw", "PLAIN")
    assert not s.log_has(r"erin@example.org: SCRAM-SHA-256 keys made",
                         after=mark)


def hostile(s, name, body, prolog=""):
    path = pie_file(s, name, body, prolog=prolog)
    return s.ctl("import", path, check=False)


def test_xxe_refused(s):
    p = hostile(s, "xxe.xml", "<user name='x1'><vCard xmlns='vcard-temp'>"
                "<FN>&xxe;</FN></vCard></user>",
                prolog="<!DOCTYPE server-data [<!ENTITY xxe SYSTEM "
                "'file:///etc/shadow'>]>\n")
    assert p.returncode != 0 and "DTD" in p.stderr and \
        "nothing imported" in p.stderr, p.stderr
    assert "root:" not in p.stdout + p.stderr
    assert s.ctl("user", "list", "example.org").stdout.split().count(
        "x1@example.org") == 0


def test_billion_laughs_refused(s):
    ents = "".join("<!ENTITY l%d '&l%d;&l%d;&l%d;&l%d;&l%d;'>" %
                   (i, i - 1, i - 1, i - 1, i - 1, i - 1)
                   for i in range(1, 10))
    p = hostile(s, "lol.xml", "<user name='x2' password='&l9;'/>",
                prolog="<!DOCTYPE server-data [<!ENTITY l0 'lol'>%s]>\n"
                % ents)
    assert p.returncode != 0 and ":2: " in p.stderr and \
        "nothing imported" in p.stderr, p.stderr


def test_oversized_element_refused(s):
    p = hostile(s, "big.xml", "<user name='x3'><vCard xmlns='vcard-temp'>"
                "<FN>%s</FN></vCard></user>" % ("A" * (300 * 1024)))
    assert p.returncode != 0 and "too big" in p.stderr and \
        "nothing imported" in p.stderr, p.stderr
    p = hostile(s, "bigattr.xml", "<user name='x3' password='%s'/>" %
                ("A" * (400 * 1024)))
    assert p.returncode != 0 and "too big" in p.stderr, p.stderr


def test_malformed_refused_whole(s):
    p = hostile(s, "bad.xml", "<user name='x4'/>\n<user name='x5'>"
                "<vCard xmlns='vcard-temp'></user>")
    assert p.returncode != 0 and "bad.xml:" in p.stderr and \
        "nothing imported" in p.stderr, p.stderr
    users = s.ctl("user", "list", "example.org").stdout.split()
    assert "x4@example.org" not in users, users


def test_other_domain_and_duplicates(s):
    p = s.ctl("import", pie_file(s, "other.xml", "<user name='x6' "
                                 "password='pw'/>", host="evil.example"),
              check=False)
    assert p.returncode == 1 and "x6@evil.example: refused" in p.stdout \
        and "not one of this server's" in p.stdout, p.stdout
    p = hostile(s, "dup.xml", "<user name='x7' password='one'/>\n"
                "<user name='x7' password='two'/>")
    assert "x7@example.org: imported" in p.stdout, p.stdout
    assert re.search(r"x7@example.org: refused: line \d+: the same user "
                     r"as at line \d+", p.stdout), p.stdout
    login(s, "x7", "one").close()


def test_broken_user_kept_out_others_in(s):
    body = ("<user name='x8' password='pw8'><query xmlns='jabber:iq:roster'>"
            "<item jid='ok@example.org'/></query><archive "
            "xmlns='urn:xmpp:pie:0#mam'><result xmlns='urn:xmpp:mam:2' "
            "id='r'><forwarded xmlns='urn:xmpp:forward:0'><message "
            "xmlns='jabber:client' from='a@b' to='x8@example.org'>"
            "<body>no stamp</body></message></forwarded></result>"
            "</archive></user>\n"
            "<user name='x9' password='pw9'><query xmlns='jabber:iq:roster'>"
            "<item jid='not a jid@@'/></query></user>\n"
            "<user name='x10' password='pw10'/>")
    p = hostile(s, "broken.xml", body)
    assert p.returncode == 1, p.stdout
    assert re.search(r"x8@example.org: refused: line \d+: archived message "
                     r"without a time stamp", p.stdout), p.stdout
    assert re.search(r"x9@example.org: refused: line \d+: roster item",
                     p.stdout), p.stdout
    assert "x10@example.org: imported" in p.stdout, p.stdout
    users = s.ctl("user", "list", "example.org").stdout.split()
    assert "x8@example.org" not in users and \
        "x9@example.org" not in users and "x10@example.org" in users, users


def test_server_untouched(s):
    """After all of that the server runs and serves."""
    login(s, "x10", "pw10").close()
    assert s.proc.poll() is None


def archive_user(name, n, bad_at=None, tail=""):
    """A user with n archived messages, in pieces (the file is big);
    message bad_at has no time stamp; tail follows the archive."""
    yield "<user name='%s' password='%s-pw'><archive " \
          "xmlns='urn:xmpp:pie:0#mam'>\n" % (name, name)
    for i in range(n):
        stamp = "" if i == bad_at else \
            "<delay xmlns='urn:xmpp:delay' stamp='2020-01-01T%02d:%02d:" \
            "%02d.%06dZ'/>" % (i // 3600000 % 24, i // 60000 % 60,
                               i // 1000 % 60, i % 1000000)
        yield ("<result xmlns='urn:xmpp:mam:2' id='m%d'><forwarded "
               "xmlns='urn:xmpp:forward:0'>%s<message xmlns='jabber:client' "
               "from='%s@example.org/desk' to='peer%d@remote.example' "
               "type='chat'><body>message number %d of a long archive, "
               "long enough to weigh</body></message></forwarded></result>\n"
               % (i, stamp, name, i % 7, i))
    yield "</archive>%s</user>\n" % tail


def big_file(s, fname, parts):
    path = os.path.join(s.dir, fname)
    with open(path, "w") as f:
        f.write("<?xml version='1.0'?>\n<server-data xmlns='urn:xmpp:pie:0'>"
                "<host jid='example.org'>\n")
        for p in parts:
            for chunk in p:
                f.write(chunk)
        f.write("</host></server-data>\n")
    return path


def staged(s):
    """Archived messages set aside and not given to anyone."""
    return count(s, "SELECT count(*) FROM mam WHERE domain = ?",
                 ("/import",)) + \
        count(s, "SELECT count(*) FROM accounts WHERE domain = ?",
              ("/import",))


def count(s, sql, params):
    return int(s.db_rows(sql, params)[0][0])


DATA_LIMIT = 32 * 1024 * 1024


def ctl_bounded(s, *args, timeout=600):
    """xmppctl run to its end with its data (heap and private mappings,
    RLIMIT_DATA) limited to DATA_LIMIT: holding more fails its malloc,
    whatever the timing.  Its output and status."""
    def limit():
        resource.setrlimit(resource.RLIMIT_DATA, (DATA_LIMIT, DATA_LIMIT))
    p = subprocess.run([XMPPCTL, "-s", s.sock] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout, preexec_fn=limit)
    return p.stdout, p.returncode


def hwm_kb(pid):
    return int(proc_status(pid)["VmHWM"].split()[0])


BIG = 300000


def test_big_archive_bounded_memory(s):
    """A user of 300,000 archived messages imports whole, and neither
    xmppctl nor the store holds it: xmppctl runs with its data limited
    to 32 MiB, the store's peak RSS (the kernel's high-water mark) stays
    under 40 MiB, the file being over 80 MiB."""
    path = big_file(s, "big.xml", [archive_user("big", BIG)])
    size_kb = os.path.getsize(path) // 1024
    assert size_kb > 80 * 1024, size_kb
    store = s.pid_of("store")
    out, rc = ctl_bounded(s, "import", path)
    assert rc == 0, out
    assert "big@example.org: imported: 1 password, %d archived messages" \
        % BIG in out, out
    assert hwm_kb(store) < 40 * 1024, "store peak RSS %d kB, file %d kB" % (
        hwm_kb(store), size_kb)
    assert count(s, "SELECT count(*) FROM mam WHERE domain = ? AND "
                 "localpart = ?", ("example.org", "big")) == BIG
    assert staged(s) == 0
    # The last page ends with the file's last message, in the file's order.
    c = login(s, "big", "big-pw")
    try:
        c.send("<iq type='set' id='mb'><query xmlns='urn:xmpp:mam:2' "
               "queryid='b'><set xmlns='http://jabber.org/protocol/rsm'>"
               "<max>2</max><before/></set></query></iq>")
        m = c.expect(r"<iq\b[^>]*\bid='mb'.*?(/>|</iq>)")
        page = m.string[:m.end()]
        assert page.index("number %d of" % (BIG - 2)) < \
            page.index("number %d of" % (BIG - 1)), page
    finally:
        c.close()
    # Again: nothing changes, nothing is set aside.
    out, rc = ctl_bounded(s, "import", path)
    assert rc == 0 and "big@example.org: unchanged" in out, out
    assert staged(s) == 0


def test_big_archive_broken_late_keeps_nothing(s):
    """A user whose archive went to the store in several windows and is
    then found broken (a message without a stamp, a roster item that
    is no JID) keeps nothing: no account, no message set aside; the
    user after it is imported."""
    n = 3 * PIE_WINDOW_RECS
    path = big_file(s, "late.xml", [
        archive_user("late1", n, bad_at=n - 1),
        archive_user("late2", n, tail="<query xmlns='jabber:iq:roster'>"
                     "<item jid='not a jid@@'/></query>"),
        archive_user("late3", n)])
    mark = s.mark()
    out, rc = ctl_bounded(s, "import", path)
    # Both went to the store in windows before they were found broken.
    s.wait_log(r"account late1@example.org: archive set aside", after=mark)
    s.wait_log(r"account late2@example.org: archive set aside", after=mark)
    assert rc == 1, out
    assert re.search(r"late1@example.org: refused: line \d+: archived "
                     r"message without a time stamp", out), out
    assert re.search(r"late2@example.org: refused: line \d+: roster item",
                     out), out
    assert "late3@example.org: imported: 1 password, %d archived" % n \
        in out, out
    users = s.ctl("user", "list", "example.org").stdout.split()
    assert "late1@example.org" not in users and \
        "late2@example.org" not in users, users
    assert count(s, "SELECT count(*) FROM mam WHERE localpart IN (?, ?)",
                 ("late1", "late2")) == 0
    assert staged(s) == 0


def test_import_cut_short_keeps_nothing(s):
    """xmppctl killed in the middle of a user's archive: the store gives
    the user up and drops what it had set aside."""
    path = big_file(s, "cut.xml", [archive_user("cut", BIG)])
    mark = s.mark()
    p = subprocess.Popen([XMPPCTL, "-s", s.sock, "import", path],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    s.wait_log(r"account cut@example.org: archive set aside", after=mark)
    p.kill()
    p.wait()
    s.wait_log(r"account cut@example.org: import given up", after=mark)
    # Answered after the store's transaction of the give-up has ended.
    assert "cut@example.org" not in \
        s.ctl("user", "list", "example.org").stdout.split()
    assert staged(s) == 0
