"""What an import left set aside when the store died in its middle
(kill -9) is removed when the store starts again, in chunks, and
imports wait until it is; the archive of a user imported before is
untouched."""

import os
import signal
import subprocess
import time

from xmppdtest import TIMEOUT, XMPPCTL, Server

STAGE = "/import"   # xmppd/store_pie.c PIE_STAGE_DOMAIN
REAL = 2500         # more than a window (common/msg.h): set aside too
BIG = 50000


def archive_user(name, n):
    yield "<user name='%s' password='%s-pw'><archive " \
          "xmlns='urn:xmpp:pie:0#mam'>\n" % (name, name)
    for i in range(n):
        yield ("<result xmlns='urn:xmpp:mam:2' id='m%d'><forwarded "
               "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
               "stamp='2020-01-01T%02d:%02d:%02d.%06dZ'/><message "
               "xmlns='jabber:client' from='%s@example.org/desk' "
               "to='peer@remote.example' type='chat'><body>message %d"
               "</body></message></forwarded></result>\n"
               % (i, i // 3600000 % 24, i // 60000 % 60, i // 1000 % 60,
                  i % 1000000, name, i))
    yield "</archive></user>\n"


def pie_file(s, fname, *users):
    path = os.path.join(s.dir, fname)
    with open(path, "w") as f:
        f.write("<?xml version='1.0'?>\n<server-data xmlns='urn:xmpp:pie:0'>"
                "<host jid='example.org'>\n")
        for u in users:
            for chunk in u:
                f.write(chunk)
        f.write("</host></server-data>\n")
    return path


def count(s, sql, params=()):
    return int(s.db_rows(sql, params)[0][0])


def staged(s):
    return count(s, "SELECT count(*) FROM mam WHERE domain = ?", (STAGE,)), \
        count(s, "SELECT count(*) FROM accounts WHERE domain = ?", (STAGE,))


def wait_staged(s):
    """Until the database holds staged rows: the store commits them at
    the end of its turn of the event loop, after the log line."""
    deadline = time.monotonic() + TIMEOUT
    while staged(s)[0] == 0:
        assert time.monotonic() < deadline, "nothing staged"
        time.sleep(0.05)


def real_rows(s):
    return count(s, "SELECT count(*) FROM mam WHERE domain = ? AND "
                 "localpart = ?", ("example.org", "real"))


# A delete of a staged row fails while this holds: the removal cannot
# end, whatever the timing.
HOLD_SQLITE = ("CREATE TRIGGER hold BEFORE DELETE ON mam WHEN "
               "old.domain = '/import' BEGIN SELECT RAISE(ABORT, 'held'); "
               "END")
HOLD_PG = ("CREATE FUNCTION hold() RETURNS trigger LANGUAGE plpgsql AS "
           "$$ BEGIN RAISE EXCEPTION 'held'; END $$; CREATE TRIGGER hold "
           "BEFORE DELETE ON mam FOR EACH ROW WHEN (old.domain = '/import') "
           "EXECUTE FUNCTION hold()")
RELEASE_SQLITE = "DROP TRIGGER hold"
RELEASE_PG = "DROP TRIGGER hold ON mam; DROP FUNCTION hold()"


def setup():
    s = Server()
    s.start()
    return s


def teardown(s):
    s.stop()


def test_killed_store_leaves_staging_imports_wait(s):
    """The store killed while a user's archive is being set aside: the
    rows stay staged in the database.  Started again with their removal
    held, the store refuses imports, saying why, and keeps running."""
    p = s.ctl("import", pie_file(s, "real.xml", archive_user("real", REAL)),
              check=False)
    assert p.returncode == 0 and "real@example.org: imported: 1 " \
        "password, %d archived" % REAL in p.stdout, p.stdout + p.stderr
    assert real_rows(s) == REAL
    assert staged(s) == (0, 0)

    path = pie_file(s, "big.xml", archive_user("big", BIG))
    mark = s.mark()
    ctl = subprocess.Popen([XMPPCTL, "-s", s.sock, "import", path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        s.wait_log(r"account big@example.org: archive set aside",
                   after=mark)
        wait_staged(s)
        os.kill(s.pid_of("store"), signal.SIGKILL)
        s.wait_log(r"store is gone: shutting down", after=mark)
        assert s.wait_exit() == 1
    finally:
        ctl.kill()
        ctl.wait()
    rows, accounts = staged(s)
    assert rows >= 1000 and accounts == 1, (rows, accounts)
    s.held = rows

    s.stop_keep()
    s.db_rows(HOLD_PG if s.pg is not None else HOLD_SQLITE)
    s.start()
    s.wait_log(r"import: what an interrupted import left cannot be "
               r"removed yet: imports wait")
    p = s.ctl("import", pie_file(s, "late.xml", archive_user("late", 10)),
              check=False)
    assert p.returncode != 0, p.stdout
    assert "late@example.org: refused: line 0: the store is still removing what " \
        "an interrupted import left: try again shortly" in p.stdout, p.stdout
    assert "late@example.org" not in \
        s.ctl("user", "list", "example.org").stdout.split()
    assert staged(s) == (s.held, 1)
    assert s.proc.poll() is None


def test_staging_removed_real_archive_kept(s):
    """Once deletes go through, the staged rows and the staging account
    are gone, in chunks; the user imported before keeps every message,
    and imports are taken again."""
    mark = s.mark()
    s.db_rows(RELEASE_PG if s.pg is not None else RELEASE_SQLITE)
    s.wait_log(r"import: 1 interrupted imports' staging removed, %d "
               r"archived messages" % s.held, after=mark)
    assert staged(s) == (0, 0)
    assert real_rows(s) == REAL
    p = s.ctl("import", pie_file(s, "late2.xml", archive_user("late", 10)),
              check=False)
    assert p.returncode == 0 and "late@example.org: imported: 1 " \
        "password, 10 archived" in p.stdout, p.stdout + p.stderr
    assert staged(s) == (0, 0)
    assert s.proc.poll() is None
