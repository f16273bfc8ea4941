"""xmppctl(8) as an admin meets it: what is installed and running
(about, -V), help and usage, what user and kick commands say they did,
and the clear error, with exit status 1, for every bad argument."""

import re
import subprocess

from xmppdtest import XMPPCTL, XMPPD, Server, started

LIBRARIES = ("libtls", "libcrypto", "expat", "libevent", "libldap",
             "SQLite", "libpq", "libunbound", "libwslay", "http-parser")


# A second domain, served with the first one's certificate.
CHAT = ('domain "chat.example.org" {\n\ttls keypair "example.org"\n'
        '\tauth internal\n}\n')


def setup():
    return started(body=CHAT)


def teardown(s):
    s.stop()


def run(*argv, **kw):
    return subprocess.run(list(argv), capture_output=True, text=True,
                          timeout=20, **kw)


def rows(out, section):
    """The "  name value" rows of one section of -V's output."""
    m = re.search(r"^%s:\n((?:  .*\n)*)" % section, out, re.M)
    assert m, out
    return dict(re.findall(r"^  (\S+)\s+(.*)$", m.group(1), re.M))


def check_build(out, prog):
    assert re.match(r"%s \d+\.\d+" % prog, out), out
    build = rows(out, "build")
    assert build["storage"].startswith("sqlite"), out
    assert "seccomp" in build["sandbox"], out
    assert "not for production" in build["regress"], out
    libs = rows(out, "libraries")
    for lib in LIBRARIES:
        assert lib in libs and re.search(r"\d", libs[lib]), (lib, out)
    paths = rows(out, "paths")
    for p in ("config", "socket", "datadir", "chroot", "libexec"):
        assert paths[p].startswith("/"), (p, out)
    return libs


def test_version_flags(s):
    d = run(XMPPD, "-V")
    assert d.returncode == 0, d.stderr
    libs = check_build(d.stdout, "xmppd")
    c = run(XMPPCTL, "-V")
    assert c.returncode == 0, c.stderr
    check_build(c.stdout, "xmppctl")
    # The libraries' own run-time answers, not a fixed text.
    import sqlite3
    assert libs["SQLite"] == sqlite3.sqlite_version, libs
    assert c.stdout.split("\n", 1)[1] == d.stdout.split("\n", 1)[1]


def test_about_asks_the_running_xmppd(s):
    p = s.ctl("about")
    local = p.stdout.split("running xmppd:\n")[0]
    check_build(local, "xmppctl")
    running = rows(p.stdout, "running xmppd")
    version = re.match(r"xmppctl (\S+)", p.stdout).group(1)
    assert running["version"] == version, p.stdout
    assert int(running["pid"]) == s.proc.pid, p.stdout
    assert re.match(r"\d\d:\d\d:\d\d$", running["uptime"]), p.stdout
    assert running["config"] == s.conf and running["socket"] == s.sock
    assert running["datadir"] == s.datadir, p.stdout
    assert p.stderr == "", p.stderr


def test_about_reports_a_version_mismatch(s):
    t = Server()
    try:
        t.start(env={"XMPPD_REGRESS_VERSION": "9.9-other"})
        p = t.ctl("about", check=False)
        assert p.returncode == 1, p
        assert rows(p.stdout, "running xmppd")["version"] == "9.9-other"
        assert "running xmppd is version 9.9-other" in p.stderr, p.stderr
    finally:
        t.stop()


def test_about_without_xmppd(s):
    p = run(XMPPCTL, "-s", s.dir + "/none.sock", "about")
    assert p.returncode == 1 and "is xmppd running?" in p.stderr, p
    check_build(p.stdout, "xmppctl")


def commands():
    """The command lines of xmppctl help, without the tab."""
    p = run(XMPPCTL, "help")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split("commands:\n")[1].splitlines()
    return [l.strip() for l in lines if l.startswith("\t")]


def test_help_lists_every_command_with_argument_names(s):
    cmds = commands()
    assert "user add JID" in cmds and "kick JID" in cmds, cmds
    assert "archive expire DURATION [DOMAIN]" in cmds, cmds
    assert "help [COMMAND]" in cmds and "about" in cmds, cmds
    for c in cmds:
        assert "*" not in c, c
        words = c.split()
        keywords = [w for w in words if w.islower()]
        names = [w.strip("[]").split("|")[0] for w in words
                 if not w.islower()]
        p = run(XMPPCTL, "help", *keywords)
        assert p.returncode == 0, (c, p.stderr)
        # That command's usage first, then a sentence naming each argument.
        first, text = p.stdout.split("\n", 1)
        assert first == "usage: xmppctl " + c, (c, p.stdout)
        sentence = text.split("\n\n")[0]
        assert sentence.rstrip().endswith("."), (c, p.stdout)
        for n in names:
            assert n in sentence, (c, n, p.stdout)
    # The same list on a usage error.
    u = run(XMPPCTL)
    assert u.returncode == 1 and "user add JID" in u.stderr, u.stderr


def test_help_of_one_command(s):
    p = run(XMPPCTL, "help", "user", "add")
    assert p.stdout.startswith("usage: xmppctl user add JID\nCreate the "
                               "internal account JID"), p.stdout
    assert "user delete" not in p.stdout, p.stdout
    # Abbreviated, as commands are; a whole word is not another's prefix.
    p = run(XMPPCTL, "he", "us", "l")
    assert p.stdout.startswith("usage: xmppctl user list"), p.stdout
    p = run(XMPPCTL, "help", "convert", "ejabberd")
    assert "ejabberd-rooms" not in p.stdout, p.stdout
    p = run(XMPPCTL, "help", "user")
    assert p.stdout.count("usage: xmppctl user ") == 7, p.stdout


def test_help_and_usage_errors(s):
    p = run(XMPPCTL, "help", "frobnicate")
    assert p.returncode == 1 and "no such command: frobnicate" in p.stderr
    assert p.stdout == "", p.stdout
    # Missing and extra arguments name the command and its usage.
    for argv, usage in ((["user", "add"], "user add JID"),
                        (["user", "delete", "a@example.org", "b"],
                         "user delete JID"),
                        (["kick"], "kick JID"),
                        (["archive", "expire"],
                         "archive expire DURATION [DOMAIN]"),
                        (["upload", "stats", "a", "b"],
                         "upload stats [SERVICE]")):
        p = s.ctl(*argv, check=False)
        assert p.returncode == 1, (argv, p)
        assert "wrong arguments: " + " ".join(argv) in p.stderr, p.stderr
        assert "usage: xmppctl " + usage + "\n" in p.stderr, p.stderr
    p = s.ctl("show", check=False)
    assert p.returncode == 1 and "incomplete command: show" in p.stderr
    assert "usage: xmppctl show processes" in p.stderr, p.stderr
    p = s.ctl("frobnicate", check=False)
    assert p.returncode == 1 and "unknown command: frobnicate" in p.stderr


def ctl_in(s, argv, text):
    """xmppctl argv with text on standard input."""
    return run(XMPPCTL, "-s", s.sock, *argv, input=text)


def test_user_commands_say_what_they_did(s):
    p = ctl_in(s, ["user", "add", "Carol@Example.ORG"], "carol-pw\n")
    assert (p.returncode, p.stdout) == (0, "user carol@example.org added\n"), p
    p = ctl_in(s, ["user", "password", "carol@example.org"], "pw2\n")
    assert (p.returncode, p.stdout) == (
        0, "password of carol@example.org changed\n"), p
    p = s.ctl("user", "delete", "carol@example.org")
    assert p.stdout == "user carol@example.org deleted\n", p.stdout
    assert "carol" not in s.ctl("user", "list", "example.org").stdout


def test_user_command_errors(s):
    for argv, why in (
            (["user", "delete", "nobody@example.org"],
             "nobody@example.org: no such account"),
            (["user", "password", "nobody@example.org"],
             "nobody@example.org: no such account"),
            (["user", "add", "alice@example.org"],
             "alice@example.org: account exists"),
            (["user", "add", "dave@example.net"],
             "no such domain"),
            (["user", "delete", "dave@example.net"],
             "no such domain"),
            (["user", "add", "dave@example.org/home"],
             "not a valid bare JID"),
            (["user", "add", "example.org"], "not a valid bare JID"),
            (["user", "add", "a@b@example.org"], "not a valid bare JID"),
            (["user", "add", "x" * 1100 + "@example.org"],
             "not a valid bare JID"),
            (["user", "list", "example.net"], "no such domain")):
        p = ctl_in(s, argv, "pw\n")
        assert p.returncode == 1, (argv, p)
        assert why in p.stderr and p.stdout == "", (argv, p)
    # The existing account is untouched by the refused add.
    assert "alice@example.org" in s.ctl("user", "list", "example.org").stdout


def test_kick_says_what_it_did(s):
    from rawxmpp import Raw
    add = ctl_in(s, ["user", "add", "erin@example.org"], "erin-pw\n")
    assert add.returncode == 0, add
    one, two = Raw(s.ports["client"]), Raw(s.ports["client"])
    one.login("erin", "erin-pw", "one")
    two.login("erin", "erin-pw", "two")
    p = s.ctl("kick", "erin@example.org/one")
    assert p.stdout == "kicked session erin@example.org/one\n", p.stdout
    assert "<policy-violation" in one.closed()
    three = Raw(s.ports["client"])
    three.login("erin", "erin-pw", "three")
    p = s.ctl("kick", "Erin@example.org")
    assert p.stdout == "kicked 2 sessions of erin@example.org\n", p.stdout
    assert "<policy-violation" in two.closed()
    assert "<policy-violation" in three.closed()
    four = Raw(s.ports["client"])
    four.login("erin", "erin-pw", "four")
    p = s.ctl("kick", "erin@example.org")
    assert p.stdout == "kicked 1 session of erin@example.org\n", p.stdout
    four.closed()
    s.ctl("user", "delete", "erin@example.org")


def test_kick_errors(s):
    for jid, why in (("ghost@example.org", "no such session: "
                      "ghost@example.org"),
                     ("alice@example.org/nowhere", "no such session: "
                      "alice@example.org/nowhere"),
                     ("alice@example.net", "example.net is not a domain "
                      "of this server"),
                     ("example.org", "not a user's JID"),
                     ("a@b@example.org", "not a user's JID"),
                     ("", "empty argument")):
        p = s.ctl("kick", jid, check=False)
        assert p.returncode == 1 and p.stdout == "", (jid, p)
        assert "xmppctl: " + why in p.stderr, (jid, p.stderr)


def test_user_list_of_every_domain(s):
    for u in ("zoe@chat.example.org", "adam@chat.example.org"):
        assert ctl_in(s, ["user", "add", u], "pw\n").returncode == 0
    lines = s.ctl("user", "list").stdout.splitlines()
    # Grouped by domain in the configuration's order, sorted within.
    assert lines == ["alice@example.org", "bob@example.org",
                     "adam@chat.example.org", "zoe@chat.example.org"], lines
    one = s.ctl("user", "list", "Chat.Example.ORG").stdout.splitlines()
    assert one == ["adam@chat.example.org", "zoe@chat.example.org"], one
    p = s.ctl("user", "list", "", check=False)
    assert p.returncode == 1 and "empty argument" in p.stderr, p
    p = s.ctl("user", "list", "a", "b", check=False)
    assert p.returncode == 1 and "usage: xmppctl user list [DOMAIN]" in \
        p.stderr, p
    for u in ("zoe@chat.example.org", "adam@chat.example.org"):
        s.ctl("user", "delete", u)


def test_empty_argument_is_never_everything(s):
    # "" would be every domain's archive, every domain, everyone's files.
    for argv in (["archive", "expire", "1s", ""], ["user", "list", ""],
                 ["upload", "purge", ""], ["export", ""], ["resolve", ""],
                 ["kick", ""]):
        p = s.ctl(*argv, check=False)
        assert p.returncode == 1, (argv, p)
        assert p.stderr == "xmppctl: empty argument\n", (argv, p.stderr)
        assert p.stdout == "", (argv, p.stdout)
    p = s.ctl("archive", "expire", "1d", "example.net", check=False)
    assert p.returncode == 1 and "no such domain" in p.stderr, p
