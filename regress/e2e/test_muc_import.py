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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_muc import error_of, join, login, self_presence  # noqa: E402
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


def convert(dump, out):
    return subprocess.run([XMPPCTL, "convert", "ejabberd-rooms", dump, out],
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
