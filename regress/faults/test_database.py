"""The database failing under the store, under load: slow, full,
read-only, gone and back.

SQLite (the datadir on a tmpfs of its own, so that it can fill up):
another process holding the write lock for seconds at a time, three
times; the filesystem full, then room again.  PostgreSQL (the store's
and mucd's databases in the run's cluster): a table locked from psql
for seconds; the store's role losing its write grants (a database made
read-only) and getting them back; the server stopped and started again.

For each: the load's sessions stay up and go on once the fault ends,
with no restart of the store; nothing acknowledged is lost or taken
twice (a message the archive could not keep while the fault lasted was
still delivered: counted, and written in docs/FAULTS.md); the database
is intact afterwards.
"""

import os
import pwd
import subprocess
import sys
import time

import faultload
from faultload import figure
import postgres
import xmppdtest
from xmppdtest import Server, free_port

HOLD = 8            # seconds a lock is held
TMPFS = "1g"


class Ctx:
    pass


def start(c, pg=False, tmpfs=False):
    """A server with the load on it."""
    c.up = free_port()
    old = xmppdtest.STORAGE
    xmppdtest.STORAGE = "postgresql" if pg else "sqlite"
    try:
        c.s = faultload.release(Server(prefork=2))
    finally:
        xmppdtest.STORAGE = old
    c.log_tail = c.s.log_tail
    c.tmpfs = None
    if tmpfs:
        os.makedirs(c.s.datadir)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755"
                        % TMPFS, "tmpfs", c.s.datadir], check=True)
        c.tmpfs = c.s.datadir
    c.s.write_conf(raw=c.s.base_conf() + faultload.config(c.up))
    c.s.start()
    c.load = faultload.Load(c.s, upload_port=c.up).begin()
    figure(c, "%s: load of %d xmppload sessions, %d checker clients, "
           "uploads" % ("PostgreSQL" if pg else "SQLite", c.load.users(),
                        len(c.load.checker.clients)))


def finish(c, what):
    """Stop the load; nothing acknowledged lost or taken twice; the
    database intact; the store never restarted."""
    c.load.checker.wait_progress(n=3, timeout=120)
    c.load.stop()
    res = c.load.checker.verify()
    figure(c, "%s: %s" % (what, res.summary()))
    figure(c, "%s: %s" % (what, c.load.summary().replace("\n", "; ")))
    assert not res.lost and not res.twice, res.summary()
    figure(c, "%s: database intact, %d accounts" % (
        what, faultload.integrity(c.s)))
    c.not_archived = len(res.not_archived)


def stop(c):
    if getattr(c, "load", None) is not None:
        c.load.end()
    if getattr(c, "s", None) is not None:
        c.s.stop()
    if getattr(c, "tmpfs", None):
        subprocess.run(["umount", c.tmpfs])
        os.rmdir(c.tmpfs)
        os.rmdir(os.path.dirname(c.tmpfs))
        c.tmpfs = None


def setup():
    c = Ctx()
    c.figures = []
    start(c, tmpfs=True)
    return c


def teardown(c):
    stop(c)
    postgres.shared_close()
    print("# figures:\n" + "\n".join("#   " + f for f in c.figures))


# A process of the store's user holding SQLite's write lock: what a
# backup tool or an admin's sqlite3 shell in a transaction does.
LOCKER = r"""
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


def sqlite_lock(c, seconds):
    pw = pwd.getpwnam(xmppdtest.USER)

    def drop():
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    p = subprocess.Popen([sys.executable, "-c", LOCKER,
                          os.path.join(c.s.datadir, "xmppd.db")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, preexec_fn=drop)
    assert p.stdout.readline().startswith("held")
    t0 = time.monotonic()
    # The fault itself lasts this long.
    time.sleep(seconds)
    p.stdin.write("\n")
    p.stdin.close()
    assert p.wait(timeout=30) == 0
    return time.monotonic() - t0


def test_sqlite_write_locked(c):
    for i in range(3):
        c.load.checker.wait_progress(n=3, timeout=120)
        mark = c.s.mark()
        took = sqlite_lock(c, HOLD)
        # Service returns on its own.
        t0 = time.monotonic()
        c.load.checker.wait_progress(n=3, timeout=120)
        figure(c, "SQLite write lock held %.1fs by another process (%d): "
               "checker going again %.1fs after; store said: %s" % (
                   took, i + 1, time.monotonic() - t0,
                   "; ".join(sorted(set(
                       l.split(": ", 1)[-1][:90] for l in c.s.lines[mark:]
                       if l.startswith("store[")))) [:600] or "nothing"))


def fill(path):
    """Fill the filesystem of path; returns the filler's name."""
    st = os.statvfs(path)
    f = os.path.join(path, "filler")
    with open(f, "wb") as out:
        n = st.f_bavail * st.f_frsize
        chunk = b"\0" * (1 << 20)
        try:
            while n > 0:
                out.write(chunk[:min(n, len(chunk))])
                n -= len(chunk)
            out.flush()
            while True:
                out.write(chunk[:4096])
                out.flush()
        except OSError:
            pass
    return f


def restart(c):
    """xmppd exited: start it again, as systemd's Restart=on-failure
    would.  Returns whether it came up."""
    c.s.reader.join(timeout=60)
    with c.s.cond:
        c.s.lines = []
    try:
        c.s.start()
        return True
    except AssertionError:
        c.s.proc.wait(timeout=60)
        return False


def test_sqlite_disk_full(c):
    c.load.checker.wait_progress(n=3, timeout=120)
    mark = c.s.mark()
    acked0 = c.load.checker.acked_total()
    f = fill(c.s.datadir)
    t0 = time.monotonic()
    tries = []
    try:
        # The store finds out at its next commit, and stops rather than
        # answer "stored" for what it could not keep: xmppd exits 1.
        c.s.wait_log(r"^store\[\d+\]: .*disk is full", after=mark,
                     timeout=120)
        assert c.s.proc.wait(timeout=60) == 1
        c.s.reader.join(timeout=60)
        said = sorted(set(l.split(": ", 1)[-1][:100]
                          for l in c.s.lines[mark:]
                          if l.startswith(("store[", "store is"))))
        down = time.monotonic() - t0
        during = c.load.checker.acked_total() - acked0
        # Started again while the disk is still full.
        t1 = time.monotonic()
        while time.monotonic() - t1 < HOLD:
            up = restart(c)
            tries.append(up)
            if up:
                break
    finally:
        os.unlink(f)
    t2 = time.monotonic()
    if c.s.proc.poll() is not None:
        assert restart(c), "xmppd does not start with room again"
    c.load.checker.wait_progress(n=3, timeout=180)
    figure(c, "disk full: xmppd exited 1 %.1fs after (%d messages "
           "acknowledged meanwhile; said: %s); started again on the full "
           "disk: %s; service back %.1fs after room came back" % (
               down, during, "; ".join(said)[:500],
               ["up" if u else "exited 1" for u in tries],
               time.monotonic() - t2))


def test_sqlite_outcome(c):
    finish(c, "SQLite")
    figure(c, "SQLite: %d acknowledged messages delivered but not "
           "archived during the faults" % c.not_archived)
    stop(c)


def test_pg_locked_readonly_down(c):
    start(c, pg=True)
    pg = c.s.pg
    db = c.s.pgdb
    # A table locked: writes wait for it.
    c.load.checker.wait_progress(n=3, timeout=120)
    mark = c.s.mark()
    p = subprocess.Popen(
        [os.path.join(pg.bin, "psql"), "-h", "127.0.0.1", "-p",
         str(pg.port), "-U", postgres.SUPERUSER, "-d", db, "-X", "-q",
         "-A", "-t", "-v", "ON_ERROR_STOP=1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    p.stdin.write("BEGIN; LOCK TABLE mam IN ACCESS EXCLUSIVE MODE; "
                  "SELECT 'held';\n")
    p.stdin.flush()
    assert p.stdout.readline().startswith("held")
    time.sleep(HOLD)
    p.stdin.write("ROLLBACK;\n\\q\n")
    p.stdin.close()
    assert p.wait(timeout=30) == 0
    t0 = time.monotonic()
    c.load.checker.wait_progress(n=3, timeout=120)
    figure(c, "PostgreSQL: archive table locked %ds from psql: checker "
           "going again %.1fs after" % (HOLD, time.monotonic() - t0))

    # Read-only: the store's role may write nothing.
    role = c.s.pgdb
    mark = c.s.mark()
    pg.psql("REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
            "FROM %s" % role, db=db)
    try:
        c.s.wait_log(r"^store\[\d+\]: .*permission denied", after=mark,
                     timeout=120)
        time.sleep(HOLD)
    finally:
        pg.psql("GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
                "public TO %s" % role, db=db)
    t0 = time.monotonic()
    c.load.checker.wait_progress(n=3, timeout=120)
    lines = sorted(set(l.split(": ", 1)[-1][:100] for l in c.s.lines[mark:]
                       if l.startswith(("store[", "router["))))
    figure(c, "PostgreSQL: writes refused (grants revoked) for %ds: "
           "checker going again %.1fs after; said: %s" % (
               HOLD, time.monotonic() - t0, "; ".join(lines)[:900]))

    # Gone and back.
    mark = c.s.mark()
    pg.stop()
    try:
        c.s.wait_log(r"^store\[\d+\]: .*PostgreSQL", after=mark,
                     timeout=60)
        time.sleep(HOLD)
    finally:
        pg.start()
    t0 = time.monotonic()
    c.s.wait_log(r"store: (connected to|PostgreSQL reachable again)",
                 after=mark,
                 timeout=120)
    c.load.checker.wait_progress(n=3, timeout=180)
    lines = sorted(set(l.split(": ", 1)[-1][:100] for l in c.s.lines[mark:]
                       if l.startswith(("store[", "mucd[", "muc db"))))
    figure(c, "PostgreSQL stopped for %ds and started again: checker going "
           "again %.1fs after; said: %s" % (HOLD, time.monotonic() - t0,
                                             "; ".join(lines)[:900]))
    finish(c, "PostgreSQL")
    figure(c, "PostgreSQL: %d acknowledged messages delivered but not "
           "archived during the faults" % c.not_archived)
    stop(c)
