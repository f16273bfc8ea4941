"""ejabberd's persistent rooms moved into mucd: rooms made with the real
ejabberd's ejabberdctl, its muc_room table dumped, converted with
xmppctl convert ejabberd-rooms and imported with xmppctl muc import; a
client on xmppd finds the room, its owner owns it, its outcast is kept
out, and a second import changes nothing.  Hostile files: rooms of
another service, bad names, bad affiliations, oversized rooms, each
refused alone with nothing of it kept."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_muc import error_of, join, login, self_presence  # noqa: E402
from test_mam import query  # noqa: E402
from ejabberd import Ejabberd  # noqa: E402
from xmppdtest import TIMEOUT, XMPPCTL, Server, add_user  # noqa: E402

DOMAIN = "example.org"
MUC = "conference." + DOMAIN
USERS = ("alice", "bob", "mallory")
NS_IMPORT = "urn:xmppd:muc-import:0"
RC = "muc#roomconfig_"


def setup():
    s = Server()
    s.write_conf('muc "%s" {\n}\n' % MUC)
    s.start()
    for u in USERS:
        add_user(s, "%s@%s" % (u, DOMAIN), u + "-pw")
    return s


def teardown(s):
    s.stop()


def convert(dump, out, arch=None):
    args = [dump] + ([arch] if arch else []) + [out]
    return subprocess.run([XMPPCTL, "convert", "ejabberd-rooms"] + args,
                          capture_output=True, text=True, timeout=TIMEOUT)


def rooms(s):
    """The rooms mucd has, as xmppctl muc rooms lists them."""
    out = s.ctl("muc", "rooms").stdout.splitlines()[1:]
    return sorted(line.split()[0] for line in out)


def disco_items(s, user="bob"):
    c = login(s, user)
    c.send("<iq type='get' id='items' to='%s'><query xmlns="
           "'http://jabber.org/protocol/disco#items'/></iq>" % MUC)
    r = c.expect(r"<iq[^>]*id='items'.*?(?:/>|</iq>)").group(0)
    c.close()
    return r


def test_ejabberd_rooms(s):
    """Rooms made on ejabberd 23.01 with ejabberdctl, dumped, converted,
    imported; what a client sees of them on xmppd."""
    e = Ejabberd(DOMAIN)
    d = tempfile.mkdtemp(prefix="xmppd-mucimport-")
    try:
        e.start()
        for room, persistent in (("lounge", "true"), ("scratch", "false")):
            e.ctl("create_room", room, MUC, DOMAIN)
            e.ctl("change_room_option", room, MUC, "persistent", persistent)
        e.ctl("change_room_option", "lounge", MUC, "title", "The Lounge")
        e.ctl("change_room_option", "lounge", MUC, "public", "true")
        e.ctl("change_room_option", "lounge", MUC, "max_users", "50")
        e.ctl("set_room_affiliation", "lounge", MUC,
              "alice@" + DOMAIN, "owner")
        e.ctl("set_room_affiliation", "lounge", MUC,
              "mallory@" + DOMAIN, "outcast")
        dump = os.path.join(e.dir, "rooms.txt")
        e.ctl("dump_table", dump, "muc_room")
        e.stop()
        out = os.path.join(d, "rooms.xml")
        p = convert(dump, out)
        assert p.returncode == 0, p.stdout + p.stderr
        # ejabberd keeps no temporary room in its table.
        assert "1 rooms written; 0 records skipped" in p.stdout, p.stdout
        assert os.stat(out).st_mode & 0o777 == 0o600
        p = s.ctl("muc", "import", out, check=False)
        assert p.returncode == 0, p.stdout + p.stderr
        assert p.stdout == "lounge@%s: imported\n" % MUC, p.stdout
        assert rooms(s) == ["lounge@" + MUC], rooms(s)
        r = disco_items(s)
        assert re.search(r"<item jid='lounge@%s' name='The Lounge'/>" %
                         re.escape(MUC), r), r
        a = login(s, "alice")
        join(a, "lounge@" + MUC, "Alice")
        sp = self_presence(a)
        assert "affiliation='owner'" in sp, sp
        m = login(s, "mallory")
        join(m, "lounge@" + MUC, "Mal")
        err = error_of(m)
        assert "<forbidden " in err, err
        # The owner reads the settings ejabberd had.
        a.send("<iq type='get' id='cfg' to='lounge@%s'><query xmlns="
               "'http://jabber.org/protocol/muc#owner'/></iq>" % MUC)
        form = a.expect(r"<iq[^>]*id='cfg'.*?</iq>").group(0)
        assert re.search(r"var='%smaxusers'[^>]*>(?:(?!</field>).)*"
                         r"<value>50</value>" % RC, form), form
        assert re.search(r"var='%spersistentroom'[^>]*>(?:(?!</field>).)*"
                         r"<value>1</value>" % RC, form), form
        a.close()
        m.close()
        # Again: nothing changes.
        p = s.ctl("muc", "import", out, check=False)
        assert p.returncode == 0, p.stdout + p.stderr
        assert p.stdout == "lounge@%s: exists, left unchanged\n" % MUC, \
            p.stdout
        assert rooms(s) == ["lounge@" + MUC], rooms(s)
    finally:
        e.close()
        shutil.rmtree(d, ignore_errors=True)


# --- hostile files ----------------------------------------------------------

FORM = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
        "<value>http://jabber.org/protocol/muc#roomconfig</value></field>"
        "%s</x>")


def field(var, value):
    return "<field var='%s%s'><value>%s</value></field>" % (RC, var, value)


def room(jid, fields=None, items=("alice@example.org", "owner")):
    if fields is None:
        fields = field("persistentroom", "1")
    its = "".join("<item jid='%s' affiliation='%s'/>" % (items[i],
                                                         items[i + 1])
                  for i in range(0, len(items), 2))
    return "<room jid='%s'>%s%s</room>" % (jid, FORM % fields, its)


def import_text(s, text):
    d = tempfile.mkdtemp(prefix="xmppd-mucimport-")
    try:
        path = os.path.join(d, "rooms.xml")
        with open(path, "w") as f:
            f.write(text)
        return s.ctl("muc", "import", path, check=False)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_import_hostile(s):
    """Each bad room refused with its reason, the good one imported, the
    exit status 1, and nothing of a refused room kept."""
    before = rooms(s)
    big = field("persistentroom", "1") + field("roomdesc", "x" * 70000)
    text = ("<rooms xmlns='%s'>" % NS_IMPORT +
            room("far@other.example.org") +
            room("bad room@" + MUC) +
            room("@" + MUC) +
            room("badjid@" + MUC, items=("alice@example.org/r", "owner")) +
            room("badaff@" + MUC, items=("alice@example.org", "king")) +
            room("twice@" + MUC, items=("alice@example.org", "owner",
                                        "alice@example.org", "member")) +
            room("temp@" + MUC, fields=field("persistentroom", "0")) +
            room("size@" + MUC, fields=field("persistentroom", "1") +
                 field("maxusers", "7")) +
            room("lists@" + MUC, fields=field("persistentroom", "1") +
                 field("roomowners", "bob@example.org")) +
            room("big@" + MUC, fields=big) +
            room("good@" + MUC) + "</rooms>")
    p = import_text(s, text)
    assert p.returncode == 1, p.stdout + p.stderr
    want = {
        "far@other.example.org": "refused: not a muc service",
        "bad room@" + MUC: "refused: not the JID of a room",
        "@" + MUC: "refused: not the JID of a room",
        "badjid@" + MUC: "refused: an affiliation of no bare JID",
        "badaff@" + MUC: "refused: an affiliation not known",
        "twice@" + MUC: "refused: a JID affiliated twice",
        "temp@" + MUC: "refused: the room is not persistent",
        "size@" + MUC: "refused: its form: not-acceptable",
        "lists@" + MUC: "refused: its form: bad-request",
        "big@" + MUC: "refused: the room is too big",
        "good@" + MUC: "imported",
    }
    lines = p.stdout.splitlines()
    assert len(lines) == len(want), p.stdout
    for line in lines:
        jid, _, said = line.partition(": ")
        assert jid in want and said.startswith(want[jid]), p.stdout
    assert rooms(s) == sorted(before + ["good@" + MUC]), rooms(s)
    # mucd is still there, and the room imported is whole.
    a = login(s, "alice")
    join(a, "good@" + MUC, "Alice")
    sp = self_presence(a)
    assert "affiliation='owner'" in sp, sp
    a.close()


def test_import_bad_files(s):
    """A file that is not rooms, or has a DTD: nothing sent at all."""
    before = rooms(s)
    for text, said in (
            ("<?xml version='1.0'?><!DOCTYPE r [<!ENTITY a 'aaaa'>]>"
             "<rooms xmlns='%s'>%s</rooms>" % (NS_IMPORT, room("dtd@" + MUC)),
             "DTD"),
            ("<rooms xmlns='urn:other'>%s</rooms>" % room("ns@" + MUC),
             "not rooms to import"),
            ("<rooms xmlns='%s'>%s" % (NS_IMPORT, room("cut@" + MUC)),
             "nothing imported"),
            ("<rooms xmlns='%s'/>" % NS_IMPORT, "no room in the file")):
        p = import_text(s, text)
        assert p.returncode == 1 and said in p.stderr, p.stdout + p.stderr
        assert p.stdout == "", p.stdout
    assert rooms(s) == before, rooms(s)


def test_convert_hostile(s):
    """convert ejabberd-rooms: records that are not rooms, options it
    cannot read, rooms not persistent: skipped and said; a dump it cannot
    parse, or an existing file: nothing written."""
    d = tempfile.mkdtemp(prefix="xmppd-mucimport-")
    try:
        dump = os.path.join(d, "dump.txt")
        out = os.path.join(d, "out.xml")
        with open(dump, "w") as f:
            f.write('{tables,[{muc_room,[{record_name,muc_room}]}]}.\n'
                    '{muc_room,{<<"a">>,<<"%s">>},[{persistent,true},'
                    '{max_users,<<"lots">>}]}.\n'
                    '{muc_room,{<<"b">>,<<"%s">>},[{persistent,false}]}.\n'
                    '{other,1,2}.\n'
                    '{muc_room,{<<"c">>,<<"%s">>},[{persistent,true},'
                    '{affiliations,[{nobody}]}]}.\n'
                    '{muc_room,{<<"ok">>,<<"%s">>},[{persistent,true},'
                    '{title,<<"<&\'>"/utf8>>},'
                    '{affiliations,[{{<<"alice">>,<<"%s">>,<<>>},'
                    '{owner,<<>>}}]}]}.\n' % (MUC, MUC, MUC, MUC, DOMAIN))
        p = convert(dump, out)
        assert p.returncode == 0, p.stdout + p.stderr
        for said in ("a@%s skipped: its option max_users" % MUC,
                     "b@%s skipped: not persistent" % MUC,
                     "skipped: not a muc_room record",
                     "c@%s skipped: an affiliation not understood" % MUC,
                     "1 rooms written; 4 records skipped"):
            assert said in p.stdout, p.stdout
        text = open(out).read()
        assert "<value>&lt;&amp;&apos;&gt;</value>" in text or \
            "<value>&lt;&amp;'&gt;</value>" in text, text
        p = s.ctl("muc", "import", out, check=False)
        assert p.stdout == "ok@%s: imported\n" % MUC, p.stdout + p.stderr
        # Never over an existing file.
        p = convert(dump, out)
        assert p.returncode == 1 and "File exists" in p.stderr, p.stderr
        os.unlink(out)
        with open(dump, "a") as f:
            f.write('{muc_room,{<<"x">>,<<"%s">>},[{persistent,true}\n' % MUC)
        p = convert(dump, out)
        assert p.returncode == 1 and "nothing written" in p.stderr, p.stderr
        assert not os.path.exists(out)
    finally:
        shutil.rmtree(d, ignore_errors=True)


# --- a room's subject and archive ---------------------------------------------

def talk_on_ejabberd(e, room):
    """Alice (the owner) and Bob in room on the real ejabberd, through
    slixmpp: Alice sets the subject, each says a line; done when Bob has
    received all three."""
    from test_migrate import with_clients

    async def scenario(cs):
        import asyncio
        got = asyncio.Queue()
        a, b = cs["alice"], cs["bob"]
        for c in (a, b):
            c.register_plugin("xep_0045")
        b.add_event_handler("groupchat_message", got.put_nowait)
        b.add_event_handler("groupchat_subject", got.put_nowait)
        await a.plugin["xep_0045"].join_muc_wait(room, "Alice")
        await b.plugin["xep_0045"].join_muc_wait(room, "Bob")

        async def until(pred):
            while True:
                m = await asyncio.wait_for(got.get(), 20)
                if pred(m):
                    return

        a.plugin["xep_0045"].set_subject(room, "Today: migration")
        await until(lambda m: m["subject"] == "Today: migration")
        a.send_message(mto=room, mbody="first from alice", mtype="groupchat")
        await until(lambda m: m["body"] == "first from alice")
        b.send_message(mto=room, mbody="then bob", mtype="groupchat")
        await until(lambda m: m["body"] == "then bob")
    with_clients(e.ports["client"], ("alice", "bob"), scenario)


def dump_stamps(path):
    """The time of each archived body in ejabberd's archive_msg dump."""
    stamps = {}
    with open(path) as f:
        for rec in f.read().split("{archive_msg,")[1:]:
            t = re.search(r"\{(\d+),(\d+),(\d+)\}", rec)
            b = re.search(r'<<"body">>,\[\],\s*\[\{xmlcdata,<<"([^"]*)">>',
                          rec)
            if t and b:
                sec = int(t.group(1)) * 1000000 + int(t.group(2))
                stamps[b.group(1)] = time.strftime(
                    "%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + \
                    ".%06dZ" % int(t.group(3))
    return stamps


def test_ejabberd_room_subject_and_archive(s):
    """A room talked in on ejabberd 23.01 by slixmpp clients, its
    muc_room and archive_msg tables dumped by ejabberdctl, converted and
    imported: on xmppd the room's subject shows on join, from the nick
    that set it, and its archive answers with the messages, their nicks
    and their original times.  A second import adds nothing."""
    e = Ejabberd(DOMAIN)
    d = tempfile.mkdtemp(prefix="xmppd-mucimport-")
    jid = "talk@" + MUC
    try:
        e.start()
        for u in ("alice", "bob"):
            e.add_user("%s@%s" % (u, DOMAIN), u + "-pw")
        e.ctl("create_room", "talk", MUC, DOMAIN)
        e.ctl("change_room_option", "talk", MUC, "persistent", "true")
        e.ctl("change_room_option", "talk", MUC, "mam", "true")
        e.ctl("set_room_affiliation", "talk", MUC, "alice@" + DOMAIN,
              "owner")
        talk_on_ejabberd(e, jid)
        rdump = os.path.join(e.dir, "rooms.txt")
        adump = os.path.join(e.dir, "archive.txt")
        e.ctl("dump_table", rdump, "muc_room")
        e.ctl("dump_table", adump, "archive_msg")
        e.stop()
        stamps = dump_stamps(adump)
        assert set(stamps) == {"first from alice", "then bob"}, stamps
        out = os.path.join(d, "rooms.xml")
        p = convert(rdump, out, adump)
        assert p.returncode == 0, p.stdout + p.stderr
        # The subject change is archived too, as ejabberd did.
        assert "1 rooms written; 0 records skipped" in p.stdout and \
            "3 archived messages written" in p.stdout, p.stdout
        p = s.ctl("muc", "import", out, check=False)
        assert p.returncode == 0, p.stdout + p.stderr
        assert p.stdout == ("%s: imported\n%s: archive: 3 messages "
                            "imported, 0 there already\n" % (jid, jid)), \
            p.stdout
        b = login(s, "bob")
        join(b, jid, "Robert")
        m = b.expect(r"<message[^>]*>(?:(?!</message>).)*<subject>"
                     r"(?:(?!</message>).)*</message>").group(0)
        assert "from='%s/Alice'" % jid in m and \
            "<subject>Today: migration</subject>" in m, m
        s.next = 0
        r = query(s, b, to=jid)
        assert r["bodies"] == [None, "first from alice", "then bob"], r
        assert r["stamps"][1:] == [stamps["first from alice"],
                                   stamps["then bob"]], (r, stamps)
        assert [m.get("from") for m in r["msgs"]] == [
            jid + "/Alice", jid + "/Alice", jid + "/Bob"], r
        b.close()
        p = s.ctl("muc", "import", out, check=False)
        assert p.returncode == 0, p.stdout + p.stderr
        assert p.stdout == ("%s: exists, left unchanged\n%s: archive: 0 "
                            "messages imported, 3 there already\n" %
                            (jid, jid)), p.stdout
    finally:
        e.close()
        shutil.rmtree(d, ignore_errors=True)


def msg(mid="m1", stamp="2024-01-02T03:04:05Z", nick="Ann",
        jid="ann@example.org", inner="<body>hi</body>"):
    attrs = "".join(" %s='%s'" % (k, v) for k, v in
                    (("id", mid), ("stamp", stamp), ("nick", nick),
                     ("jid", jid)) if v is not None)
    return ("<msg%s><message xmlns='jabber:client' type='groupchat'>%s"
            "</message></msg>" % (attrs, inner))


def archive(room_jid, *msgs):
    return "<archive room='%s'>%s</archive>" % (room_jid, "".join(msgs))


def test_import_hostile_subject_and_archive(s):
    """A subject too long or by no nick refuses its room; an archive part
    with one bad message keeps nothing of that part, the good parts of
    the same room are kept; parts for a room that is not there, or too
    big, are refused."""
    ok = "arch@" + MUC
    long_subject = "x" * 5000
    text = ("<rooms xmlns='%s'>" % NS_IMPORT +
            room("subj1@" + MUC).replace(
                "</room>", "<subject>%s</subject></room>" % long_subject) +
            room("subj2@" + MUC).replace(
                "</room>", "<subject by='%s'>s</subject></room>" % ("n" * 1100)) +
            room("subj3@" + MUC).replace(
                "</room>", "<subject>one</subject><subject>two</subject>"
                "</room>") +
            room(ok, fields=field("persistentroom", "1") +
                 field("enablelogging", "1")) +
            room("quiet@" + MUC) +
            archive("quiet@" + MUC, msg("q1")) +
            archive(ok, msg("g1"), msg("g2")) +
            archive(ok, msg("b1"), msg("b2", stamp="yesterday")) +
            archive(ok, msg("b3"), msg("no spaces")) +
            archive(ok, msg("b5"), msg("b6", nick="")) +
            archive(ok, msg("b7"), msg("b8", jid="ann@example.org/r")) +
            archive(ok, msg("b9"), msg("b10", inner="<x xmlns='y'/>")) +
            archive(ok, msg("g3")) +
            archive("nowhere@" + MUC, msg("n1")) +
            archive(ok, *[msg("big%d" % i, inner="<body>%s</body>" %
                              ("y" * 1000)) for i in range(80)]) +
            "</rooms>")
    p = import_text(s, text)
    assert p.returncode == 1, p.stdout
    out = p.stdout
    for r in ("subj1", "subj2", "subj3"):
        assert re.search(r"%s@%s: refused: " % (r, re.escape(MUC)), out), out
    assert "subj1@%s: refused: the subject is too long" % MUC in out, out
    assert "subj3@%s: refused: an element not understood" % MUC in out, out
    assert "subj2@%s: refused: the subject's author is not a nick" % MUC \
        in out, out
    assert "%s: imported" % ok in out, out
    # g1, g2 and g3 kept; five parts refused, then one too big.
    assert re.search(r"%s: archive: 3 messages imported, 0 there already; "
                     r"5 parts refused" % re.escape(ok), out), out
    assert "%s: archive: 0 messages imported, 0 there already; 1 parts " \
        "refused: a part too big" % ok in out, out
    assert "quiet@%s: archive: 0 messages imported, 0 there already; 1 " \
        "parts refused: the room keeps no archive" % MUC in out, out
    assert re.search(r"nowhere@%s: archive: 0 messages imported, 0 there "
                     r"already; 1 parts refused: no such persistent room"
                     % re.escape(MUC), out), out
    c = login(s, "alice")
    join(c, ok, "Al")
    self_presence(c)
    s.next = 0
    r = query(s, c, to=ok)
    assert r["ids"] == ["g1", "g2", "g3"], r
    assert all(m.get("from") == ok + "/Ann" for m in r["msgs"]), r
    c.close()
    assert s.proc.poll() is None
