"""Moving a service to xmppd with its data, proved with the real servers:
Debian's ejabberd and Prosody are given users, rosters (groups,
subscriptions both ways), vCards, private XML, offline messages and
archived messages by real clients (slixmpp), exported with their own
tools, imported with xmppctl import, and a client logging in to xmppd
with the same password sees what it saw there.  xmppd's own export goes
the other way, into Prosody with prosody-migrator."""

import asyncio
import os
import shutil
import ssl
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from slixmpp import ClientXMPP
from slixmpp.exceptions import IqError

from ejabberd import Ejabberd
from prosody import Prosody
from muctest import run_scenario
from xmppdtest import TIMEOUT, XMPPCTL, Server, add_user

DOMAIN = "example.org"
USERS = ("alice", "bob", "carol")
NS_PRIVATE_NOTE = "urn:xmppd:test:migrate"


def jid(u):
    return "%s@%s" % (u, DOMAIN)


def password(u):
    return u + "-pw"


# --- clients ----------------------------------------------------------------

def client(user, loop):
    c = ClientXMPP(jid(user) + "/migrate", password(user))
    c.loop = loop
    for p in ("xep_0030", "xep_0054", "xep_0059", "xep_0199", "xep_0313"):
        c.register_plugin(p)
    c.ssl_context.check_hostname = False
    c.ssl_context.verify_mode = ssl.CERT_NONE
    c.started = loop.create_future()
    c.inbox = asyncio.Queue()
    c.auto_authorize = None         # subscription requests wait
    c.auto_subscribe = False
    c.add_event_handler("session_start",
                        lambda e: c.started.done() or c.started.set_result(1))
    # A mechanism refused is followed by the next one offered: accounts
    # that come with SCRAM-SHA-1 keys only fail SCRAM-SHA-256 first.
    c.add_event_handler("failed_all_auth",
                        lambda e: c.started.done() or c.started.set_exception(
                            AssertionError("%s: login refused" % user)))
    c.add_event_handler("message", lambda m: c.inbox.put_nowait(m))
    c.pushed = asyncio.Event()
    c.add_event_handler("roster_update", lambda e: c.pushed.set())
    return c


def with_clients(port, users, scenario, timeout=60):
    """Log users in to the server on port, run scenario(clients) and log
    them out again; returns what scenario returns."""
    result = {}

    async def main():
        loop = asyncio.get_running_loop()
        cs = {u: client(u, loop) for u in users}
        for c in cs.values():
            c.connect(("127.0.0.1", port))
        try:
            await asyncio.wait_for(asyncio.gather(
                *(c.started for c in cs.values())), 20)
            result["value"] = await scenario(cs)
        finally:
            for c in cs.values():
                c.disconnect()
            # Gone or not, the scenario's own outcome is what counts.
            await asyncio.wait([asyncio.ensure_future(c.disconnected)
                                for c in cs.values()], timeout=10)
    run_scenario(main(), timeout)
    return result["value"]


async def roster_item(c, contact, sub):
    """Wait for the roster push that gives contact the subscription."""
    while c.client_roster[contact]["subscription"] != sub:
        c.pushed.clear()
        await asyncio.wait_for(c.pushed.wait(), 10)


async def fill_online(cs):
    """With everyone online: rosters with names and groups, alice and bob
    subscribed both ways, alice to carol one way; alice's vCard and
    private XML; a chat between alice and bob."""
    alice, bob, carol = cs["alice"], cs["bob"], cs["carol"]
    for c in cs.values():
        await c.get_roster()
        c.send_presence()
    await alice.update_roster(jid("bob"), name="Bob", groups=["Friends"])
    await alice.update_roster(jid("carol"), name="Carol",
                              groups=["Work", "Friends"])
    # Bob accepts and asks back; Carol accepts only.
    bob.auto_authorize = True
    bob.auto_subscribe = True
    carol.auto_authorize = True
    alice.auto_authorize = True
    alice.send_presence_subscription(pto=jid("bob"))
    alice.send_presence_subscription(pto=jid("carol"))
    await roster_item(alice, jid("bob"), "both")
    await roster_item(alice, jid("carol"), "to")
    await roster_item(bob, jid("alice"), "both")
    await roster_item(carol, jid("alice"), "from")

    vcard = alice["xep_0054"].make_vcard()
    vcard["FN"] = "Alice Liddell"
    vcard["NICKNAME"] = "alice"
    await alice["xep_0054"].publish_vcard(vcard)
    iq = alice.make_iq_set()
    iq.xml.append(ET.fromstring(
        "<query xmlns='jabber:iq:private'><note xmlns='%s'>remember the "
        "&lt;tea&gt; party</note></query>" % NS_PRIVATE_NOTE))
    await iq.send()

    for frm, to, body in (("alice", "bob", "hello bob"),
                          ("bob", "alice", "hello alice"),
                          ("alice", "bob", "how are you?")):
        cs[frm].send_message(mto=jid(to), mbody=body, mtype="chat")
        m = await asyncio.wait_for(cs[to].inbox.get(), 10)
        assert m["body"] == body, m


async def fill_offline(cs):
    """Carol is away: alice's messages wait for her."""
    alice = cs["alice"]
    for body in ("are you there, carol?", "call me"):
        alice.send_message(mto=jid("carol"), mbody=body, mtype="chat")
    # The server has handled what came before once it answers.
    await alice["xep_0199"].ping(jid=DOMAIN, timeout=10)


def fill(port):
    with_clients(port, USERS, fill_online)
    with_clients(port, ("alice",), fill_offline)


async def archive(c):
    """The user's whole archive: (sender, recipient, body), oldest
    first."""
    out = []
    async for m in c["xep_0313"].iterate(rsm={"max": 50}):
        fwd = m["mam_result"]["forwarded"]["stanza"]
        out.append((fwd["from"].bare, fwd["to"].bare, fwd["body"]))
    return out


async def view(c):
    """What a user sees of their account, without sending presence (so
    that offline messages stay where they are)."""
    items = {}
    iq = await c.get_roster()
    for contact, item in iq["roster"]["items"].items():
        items[str(contact)] = (item["name"] or "",
                                   sorted(item["groups"]),
                                   item["subscription"],
                                   item["ask"] or "")
    try:
        vc = await c["xep_0054"].get_vcard(jid=c.boundjid.bare,
                                           local=False, cached=False)
        vcard = (vc["vcard_temp"]["FN"], vc["vcard_temp"]["NICKNAME"])
    except IqError:
        # XEP-0054 section 3.1: none set, item-not-found or empty.
        vcard = None
    iq = c.make_iq_get()
    iq.xml.append(ET.fromstring(
        "<query xmlns='jabber:iq:private'><note xmlns='%s'/></query>"
        % NS_PRIVATE_NOTE))
    res = await iq.send()
    note = res.xml.find("{jabber:iq:private}query/{%s}note" %
                        NS_PRIVATE_NOTE)
    return {"roster": items, "vcard": vcard,
            "private": note.text if note is not None else None,
            "archive": await archive(c)}


def views(port, users=USERS):
    async def scenario(cs):
        return {u: await view(c) for u, c in cs.items()}
    return with_clients(port, users, scenario)


async def take_offline(cs):
    """Carol comes online and gets what waited for her."""
    carol = cs["carol"]
    carol.send_presence()
    got = []
    for _ in range(2):
        m = await asyncio.wait_for(carol.inbox.get(), 10)
        got.append((m["from"].bare, m["body"],
                    m.xml.find("{urn:xmpp:delay}delay") is not None))
    return got


# What every user saw on the old server, and sees on the new one.
EXPECTED = {
    "alice": {
        "roster": {jid("bob"): ("Bob", ["Friends"], "both", ""),
                   jid("carol"): ("Carol", ["Friends", "Work"], "to", "")},
        "vcard": ("Alice Liddell", ["alice"]),
        "private": "remember the <tea> party",
        "archive": [(jid("alice"), jid("bob"), "hello bob"),
                    (jid("bob"), jid("alice"), "hello alice"),
                    (jid("alice"), jid("bob"), "how are you?"),
                    (jid("alice"), jid("carol"), "are you there, carol?"),
                    (jid("alice"), jid("carol"), "call me")]},
    "bob": {
        "roster": {jid("alice"): ("", [], "both", "")},
        "archive": [(jid("alice"), jid("bob"), "hello bob"),
                    (jid("bob"), jid("alice"), "hello alice"),
                    (jid("alice"), jid("bob"), "how are you?")]},
    "carol": {
        "roster": {jid("alice"): ("", [], "from", "")},
        "archive": [(jid("alice"), jid("carol"), "are you there, carol?"),
                    (jid("alice"), jid("carol"), "call me")]},
}
OFFLINE = [(jid("alice"), "are you there, carol?", True),
           (jid("alice"), "call me", True)]


def check_view(seen, where):
    """seen holds what EXPECTED says, and nothing else."""
    for u in USERS:
        got = dict(seen[u])
        want = dict(EXPECTED[u])
        # A vCard or private XML never set reads back empty, as servers
        # see fit: only the ones that were set are compared.
        for k in ("vcard", "private"):
            if k not in want:
                got.pop(k, None)
        assert got == want, "%s, %s:\n got %r\nwant %r" % (
            where, u, got, want)


def xmppd():
    s = Server()
    s.write_conf(raw=s.base_conf().replace(
        "\tauth internal\n", "\tauth internal\n\tarchive default always\n"))
    s.start()
    return s


def ctl_import(s, path):
    p = s.ctl("import", path, check=False)
    assert p.returncode == 0, "xmppctl import %s: %s%s" % (
        path, p.stdout, p.stderr)
    return p.stdout


def check_xmppd(s, where, offline=True):
    """What clients of the migrated accounts see on xmppd: the same as
    before, and carol gets her offline messages."""
    check_view(views(s.ports["client"]), where)
    if not offline:
        return
    got = with_clients(s.ports["client"], ("carol",), take_offline)
    assert got == OFFLINE, "%s: offline: %r" % (where, got)


def populate(server):
    """The old server's users, and what their clients did there."""
    for u in USERS:
        server.add_user(jid(u), password(u))
    fill(server.ports["client"])
    check_view(views(server.ports["client"]), server.what)


def setup():
    return None


def test_ejabberd(ctx):
    """ejabberd 23.01 on Mnesia: export_piefxis and the archive table's
    dump, converted, imported; the same accounts on xmppd."""
    e = Ejabberd(DOMAIN)
    s = None
    out = tempfile.mkdtemp(prefix="xmppd-migrate-")
    try:
        e.start()
        populate(e)
        exp = os.path.join(e.dir, "export")
        os.makedirs(exp)
        e.ctl("export_piefxis", exp)
        dump = os.path.join(e.dir, "archive.txt")
        e.ctl("dump_table", dump, "archive_msg")
        e.stop()
        hosts = [f for f in os.listdir(exp)
                 if f.endswith("_" + DOMAIN.replace(".", "_") + ".xml")]
        assert len(hosts) == 1, os.listdir(exp)
        pie = os.path.join(out, "ejabberd.xml")
        p = subprocess.run([XMPPCTL, "convert", "ejabberd",
                            os.path.join(exp, hosts[0]), dump, pie],
                           capture_output=True, text=True, timeout=TIMEOUT)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "3 users, 10 archived messages written; 0 records " \
            "skipped" in p.stdout, p.stdout
        s = xmppd()
        got = ctl_import(s, pie)
        assert "3 users: 3 imported, 0 unchanged, 0 refused" in got, got
        check_xmppd(s, "xmppd from ejabberd")
    finally:
        e.close()
        if s is not None:
            s.stop()
        shutil.rmtree(out, ignore_errors=True)


def test_prosody(ctx):
    """Prosody 0.12: prosody-migrator to its XEP-0227 store, one file per
    user, its offline messages added from the data directory (xmppctl
    convert prosody-offline), each imported; the same accounts and
    offline messages on xmppd."""
    p = Prosody(DOMAIN, service=True)
    s = None
    out = tempfile.mkdtemp(prefix="xmppd-migrate-")
    try:
        p.start()
        populate(p)
        p.stop()
        p.migrate("internal", "xep0227", out)
        s = xmppd()
        for u in USERS:
            # Prosody 0.12's XEP-0227 store has no offline messages: they
            # come from its data directory.
            full = os.path.join(out, jid(u) + ".offline.xml")
            r = subprocess.run([XMPPCTL, "convert", "prosody-offline",
                                os.path.join(out, jid(u) + ".xml"),
                                p.path("data"), full],
                               capture_output=True, text=True,
                               timeout=TIMEOUT)
            assert r.returncode == 0, r.stdout + r.stderr
            n = 2 if u == "carol" else 0
            assert "1 users, %d offline messages written" % n in r.stdout, \
                r.stdout
            got = ctl_import(s, full)
            assert "1 users: 1 imported, 0 unchanged, 0 refused" in got, got
        check_xmppd(s, "xmppd from Prosody")
    finally:
        p.close()
        if s is not None:
            s.stop()
        shutil.rmtree(out, ignore_errors=True)


# --- xmppctl convert ejabberd, hostile input ---------------------------------

HOST = ("<?xml version='1.0' encoding='UTF-8'?><host xmlns='urn:xmpp:pie:0' "
        "jid='example.org'><user name='alice' password='alice-pw'/>"
        "<user name='bob' password='bob-pw'/></host>")


def archive_msg(user, body, micro=1):
    return ("{archive_msg,{<<\"%s\">>,<<\"example.org\">>},<<\"1\">>,"
            "{1700,0,%d},{<<\"x\">>,<<\"example.org\">>,<<>>},"
            "{<<\"x\">>,<<\"example.org\">>,<<>>},"
            "{xmlel,<<\"message\">>,[{<<\"xmlns\">>,<<\"jabber:client\">>},"
            "{<<\"from\">>,<<\"x@example.org/r\">>},"
            "{<<\"to\">>,<<\"%s@example.org\">>}],"
            "[{xmlel,<<\"body\">>,[],[{xmlcdata,%s}]}]},<<>>,chat}.\n"
            % (user, micro, user, body))


def convert(host, dump=None, exists=False):
    """xmppctl convert ejabberd on these texts: (exit status, what it
    said, the file written or None)."""
    d = tempfile.mkdtemp(prefix="xmppd-convert-")
    try:
        with open(os.path.join(d, "host.xml"), "w") as f:
            f.write(host)
        argv = [XMPPCTL, "convert", "ejabberd", os.path.join(d, "host.xml")]
        if dump is not None:
            with open(os.path.join(d, "dump.txt"), "w") as f:
                f.write(dump)
            argv.append(os.path.join(d, "dump.txt"))
        out = os.path.join(d, "out.xml")
        if exists:
            with open(out, "w") as f:
                f.write("kept")
        argv.append(out)
        p = subprocess.run(argv, capture_output=True, text=True,
                           timeout=TIMEOUT)
        written = open(out).read() if os.path.exists(out) else None
        return p.returncode, p.stdout + p.stderr, written
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_convert_archive(ctx):
    """Archives join their users, in time order, text escaped; one of a
    user not exported is said to be skipped."""
    rc, said, out = convert(HOST, archive_msg("alice", '<<"second">>', 2) +
                            archive_msg("alice", '<<"a<b & \\"c\\"">>', 1) +
                            archive_msg("dave", '<<"lost">>'))
    assert rc == 0, said
    assert "2 users, 2 archived messages written" in said, said
    assert "1 archived messages of dave@example.org skipped" in said, said
    root = ET.fromstring(out)
    alice = root.find("{urn:xmpp:pie:0}host/{urn:xmpp:pie:0}user"
                      "[@name='alice']")
    bodies = [b.text for b in alice.iter("{jabber:client}body")]
    assert bodies == ['a<b & "c"', "second"], bodies
    assert "lost" not in out


def test_convert_utf8(ctx):
    """Text as Mnesia dumps it: /utf8 strings, escapes, bytes."""
    rc, said, out = convert(HOST, archive_msg(
        "bob", '<<"caf\\303\\251 "/utf8,240,159,141,181,"\\x{2615}"/utf8>>'))
    assert rc == 0, said
    body = ET.fromstring(out).find(".//{jabber:client}body").text
    assert body == "caf\u00c3\u00a9 \U0001f375\u2615", repr(body)


def test_convert_hostile_export(ctx):
    """A DTD (billion laughs, XXE), a root that is not ejabberd's, a tag
    too big, a file that is not XML: nothing written, the line named."""
    laughs = ("<?xml version='1.0'?><!DOCTYPE host [<!ENTITY a 'aaaa'>"
              "<!ENTITY b '&a;&a;&a;&a;'>]><host xmlns='urn:xmpp:pie:0' "
              "jid='example.org'><user name='x' password='&b;'/></host>")
    xxe = ("<?xml version='1.0'?>\n<!DOCTYPE host [<!ENTITY e SYSTEM "
           "'file:///etc/passwd'>]><host xmlns='urn:xmpp:pie:0' "
           "jid='example.org'><user name='x'>&e;</user></host>")
    big = ("<host xmlns='urn:xmpp:pie:0' jid='example.org'>\n<user "
           "name='x' password='%s'/></host>" % ("p" * 400000))
    for text, why in ((laughs, "host.xml:1: a DTD"),
                      (xxe, "host.xml:2: a DTD"),
                      ("<server-data xmlns='urn:other'/>",
                       "not an export of ejabberd"),
                      (big, "host.xml:2: an element is too big"),
                      (HOST[:-10], "host.xml:1: "),
                      ("<host xmlns='urn:xmpp:pie:0' jid='a@b/c'/>",
                       "a host without a domain name")):
        rc, said, out = convert(text)
        assert rc == 1 and why in said and "nothing written" in said, \
            (why, said)
        assert out is None, out


def test_convert_hostile_dump(ctx):
    """A dump nested too deep, a record too big, garbage, a number too
    big: nothing written, the line named; a record that is not XML the
    format can carry is skipped alone."""
    deep = "{" * 100 + "}" * 100 + ".\n"
    huge = '{archive_msg,<<"%s">>}.\n' % ("x" * (1100 * 1024))
    for dump, why in ((deep, "dump.txt:1: terms nested too deep"),
                      ("\n" + huge, "dump.txt:2: a record too big"),
                      (archive_msg("alice", '<<"ok">>') + "{1,2}\n{",
                       "dump.txt:2: a record without its full stop"),
                      ("{a,99999999999999999999999}.",
                       "dump.txt:1: a number too big"),
                      ("{a,<<\"x\"/latin1>>}.", "dump.txt:1: a bad binary"),
                      ("#{a => 1}.", "dump.txt:1: not an Erlang term")):
        rc, said, out = convert(HOST, dump)
        assert rc == 1 and why in said and "nothing written" in said, \
            (why, said)
        assert out is None, out
    rc, said, out = convert(HOST, archive_msg("alice", "<<1,2,3>>") +
                            "{something,else}.\n" +
                            archive_msg("alice", '<<"fine">>'))
    assert rc == 0, said
    assert "dump.txt:1: skipped: an archived message too big, or not " \
        "XML characters" in said, said
    assert "dump.txt:2: skipped: not an archive_msg record" in said, said
    assert "1 archived messages written; 2 records skipped" in said, said
    assert "fine" in out


def test_convert_never_overwrites(ctx):
    """An existing file is not replaced."""
    rc, said, out = convert(HOST, exists=True)
    assert rc == 1 and "File exists" in said, said
    assert out == "kept", out


def test_to_prosody(ctx):
    """Nobody is locked in: xmppd's export, in Prosody's XEP-0227 store
    (xmppctl convert prosody), moved into Prosody by prosody-migrator;
    the same accounts on Prosody."""
    s = xmppd()
    p = None
    out = tempfile.mkdtemp(prefix="xmppd-migrate-")
    try:
        for u in USERS:
            add_user(s, jid(u), password(u))
        fill(s.ports["client"])
        check_view(views(s.ports["client"]), "xmppd")
        exported = os.path.join(out, "example.org.xml")
        s.ctl("export", DOMAIN, exported)
        s.stop()
        s = None
        store = os.path.join(out, "store")
        os.makedirs(store)
        r = subprocess.run([XMPPCTL, "convert", "prosody", exported, store],
                           capture_output=True, text=True, timeout=TIMEOUT)
        assert r.returncode == 0, r.stdout + r.stderr
        assert sorted(os.listdir(store)) == [jid(u) + ".xml"
                                             for u in USERS], \
            os.listdir(store)
        p = Prosody(DOMAIN, service=True)
        p.migrate("xep0227", "internal", store)
        p.start()
        check_view(views(p.ports["client"]), "Prosody from xmppd")
    finally:
        if s is not None:
            s.stop()
        if p is not None:
            p.close()
        shutil.rmtree(out, ignore_errors=True)


def split(text, existing=()):
    """xmppctl convert prosody on this text: (exit status, what it said,
    the files written)."""
    d = tempfile.mkdtemp(prefix="xmppd-convert-")
    try:
        with open(os.path.join(d, "in.xml"), "w") as f:
            f.write(text)
        store = os.path.join(d, "store")
        os.makedirs(store)
        for name in existing:
            with open(os.path.join(store, name), "w") as f:
                f.write("kept")
        p = subprocess.run([XMPPCTL, "convert", "prosody",
                            os.path.join(d, "in.xml"), store],
                           capture_output=True, text=True, timeout=TIMEOUT)
        files = {n: open(os.path.join(store, n)).read()
                 for n in os.listdir(store)}
        return p.returncode, p.stdout + p.stderr, files
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_convert_prosody_hostile(ctx):
    """A file with a DTD, or a user that is not a localpart further on:
    no file written at all; an existing file is not replaced."""
    good = ("<server-data xmlns='urn:xmpp:pie:0'><host jid='example.org'>"
            "<user name='alice'/>%s</host></server-data>")
    for text, why in (("<!DOCTYPE x [<!ENTITY a 'b'>]>" + good % "",
                       "in.xml:1: a DTD"),
                      (good % "\n<user name='../x'/>",
                       "in.xml:2: a user whose name is not a valid "
                       "localpart")):
        rc, said, files = split(text)
        assert rc == 1 and why in said and "nothing written" in said, \
            (why, said)
        assert files == {}, files
    rc, said, files = split(good % "", existing=("alice@example.org.xml",))
    assert rc == 1 and "File exists" in said, said
    assert files == {"alice@example.org.xml": "kept"}, files
    rc, said, files = split(good % "<user name='Bob'><vCard xmlns="
                            "'vcard-temp'><FN>B &amp; b</FN></vCard></user>")
    assert rc == 0, said
    assert sorted(files) == ["alice@example.org.xml", "bob@example.org.xml"]
    bob = ET.fromstring(files["bob@example.org.xml"])
    assert bob.find("{urn:xmpp:pie:0}host/{urn:xmpp:pie:0}user/"
                    "{vcard-temp}vCard/{vcard-temp}FN").text == "B & b"


# --- xmppctl convert prosody-offline, hostile input --------------------------

OFFLINE_ITEM = """item({
	{
		%s;
		["name"] = "body";
		["attr"] = {};
	};
	["when"] = 1700000000;
	["name"] = "message";
	["attr"] = {
		["to"] = "alice@example.org";
		["from"] = "bob@example.org/r";
		["type"] = "chat";
		["stamp"] = "2023-11-14T22:13:20Z";
	};
});
"""


def offline(lists, users=("alice",)):
    """xmppctl convert prosody-offline on a file of users and a data
    directory holding these offline lists ({user: text}): (exit status,
    what it said, the file written or None)."""
    d = tempfile.mkdtemp(prefix="xmppd-convert-")
    try:
        with open(os.path.join(d, "in.xml"), "w") as f:
            f.write("<server-data xmlns='urn:xmpp:pie:0'><host "
                    "jid='example.org'>%s</host></server-data>" %
                    "".join("<user name='%s'/>" % u for u in users))
        data = os.path.join(d, "data", "example%2eorg", "offline")
        os.makedirs(data)
        for user, text in lists.items():
            with open(os.path.join(data, user + ".list"), "w") as f:
                f.write(text)
        out = os.path.join(d, "out.xml")
        p = subprocess.run([XMPPCTL, "convert", "prosody-offline",
                            os.path.join(d, "in.xml"),
                            os.path.join(d, "data"), out],
                           capture_output=True, text=True, timeout=TIMEOUT)
        written = open(out).read() if os.path.exists(out) else None
        return p.returncode, p.stdout + p.stderr, written
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_convert_prosody_offline(ctx):
    """Escapes as util.serialization writes them, Prosody's stamp made a
    <delay/>, a user without a list left as it was, a message the format
    cannot carry skipped alone."""
    rc, said, out = offline({
        "alice": OFFLINE_ITEM % '"caf\\195\\169 \\"quoted\\" <&>"' +
        OFFLINE_ITEM % '"\\0 is not XML"' + OFFLINE_ITEM % '"second"'},
        users=("alice", "bob"))
    assert rc == 0, said
    assert "2 users, 2 offline messages written" in said, said
    assert "alice.list:16: skipped: not a message this format can " \
        "carry" in said, said
    root = ET.fromstring(out)
    msgs = root.findall(".//{urn:xmpp:pie:0}user[@name='alice']/"
                        "{urn:xmpp:pie:0}offline-messages/"
                        "{jabber:client}message")
    assert [m.find("{jabber:client}body").text for m in msgs] == \
        ['caf\u00e9 "quoted" <&>', "second"], out
    assert msgs[0].get("stamp") is None, out
    assert msgs[0].find("{urn:xmpp:delay}delay").get("stamp").startswith(
        "2023-11-14T22:13:20"), out


def test_convert_prosody_offline_hostile(ctx):
    """The list is data, never run: code, a table nested too deep, an
    item too big, a string left open, a bad escape: nothing written, the
    file and line named."""
    deep = "item(" + "{" * 100 + "}" * 100 + ");\n"
    for text, why in (
            ('os.execute("touch /tmp/xmppd-pwned")\n',
             "alice.list:1: not an item(...) of Prosody's"),
            (OFFLINE_ITEM % '"ok"' + deep,
             "alice.list:16: tables nested too deep"),
            ('\nitem({"%s"});' % ("x" * (1100 * 1024)),
             "alice.list:2: an item too big"),
            ('item({"open});\n', "alice.list:1: a line feed in a string"),
            ('item({"\\q"});', "alice.list:1: a bad escape in a string"),
            ('item({f()});', "alice.list:1: not a value Prosody writes"),
            ('item({["name"] = "message"}', "alice.list:1: an item "
             "without its closing parenthesis")):
        rc, said, out = offline({"alice": text})
        assert rc == 1 and why in said and "nothing written" in said, \
            (why, said)
        assert out is None, out
    assert not os.path.exists("/tmp/xmppd-pwned")
