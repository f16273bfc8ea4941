"""Starting and stopping: a dead router or store stops the whole server,
SIGTERM stops every child and exits 0."""

import os
import signal

from xmppdtest import Server


def setup():
    return None


def _pids(s):
    return [p["pid"] for p in s.processes()]


def _dead(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0); look at its state.
    with open("/proc/%d/stat" % pid) as f:
        return f.read().split(")")[-1].split()[0] == "Z"


def _fatal_child(role):
    s = Server(prefork=1)
    try:
        s.start()
        pids = _pids(s)
        os.kill(s.pid_of(role), signal.SIGKILL)
        s.wait_log(r"%s is gone: shutting down" % role)
        assert s.wait_exit() == 1
        for pid in pids:
            assert _dead(pid), pid
    finally:
        s.stop()


def test_router_death_stops_server(_):
    _fatal_child("router")


def test_store_death_stops_server(_):
    _fatal_child("store")


def test_sigterm_stops_everything(_):
    s = Server(prefork=2)
    try:
        s.start()
        pids = _pids(s)
        s.proc.send_signal(signal.SIGTERM)
        assert s.wait_exit() == 0
        for pid in pids:
            assert _dead(pid), pid
        assert not os.path.exists(s.sock)
    finally:
        s.stop()


def test_config_check_mode(_):
    s = Server()
    try:
        import subprocess
        from xmppdtest import XMPPD
        p = subprocess.run([XMPPD, "-n", "-f", s.conf], capture_output=True,
                           text=True)
        assert p.returncode == 0 and "configuration OK" in p.stderr
        s.write_conf("listen on 127.0.0.1 port 99999 client\n")
        p = subprocess.run([XMPPD, "-n", "-f", s.conf], capture_output=True,
                           text=True)
        assert p.returncode == 1 and s.conf + ":" in p.stderr, p.stderr
    finally:
        s.stop()


def test_newer_database_refused(_):
    import sqlite3
    s = Server(prefork=1)
    try:
        s.start()
        s.stop_keep()
        db = sqlite3.connect(os.path.join(s.datadir, "xmppd.db"))
        db.execute("UPDATE meta SET value = '999' WHERE key = 'schema'")
        db.commit()
        db.close()
        s.start(wait=False)
        s.wait_log(r"schema 999, newer than this xmppd")
        assert s.wait_exit() == 1
    finally:
        s.stop()


def test_postgresql_refused_until_built(_):
    import subprocess
    from xmppdtest import XMPPD
    s = Server()
    try:
        s.write_conf('storage postgresql "host=db dbname=xmppd"\n')
        p = subprocess.run([XMPPD, "-d", "-f", s.conf], capture_output=True,
                           text=True, timeout=20)
        assert p.returncode == 1 and "not available yet" in p.stderr, \
            p.stderr
    finally:
        s.stop()


def test_commits_reach_the_database_file(_):
    """The WAL is checkpointed on a timer, not only once it is large: a
    new account is in the database file itself soon after, as a reader
    that ignores the WAL sees it."""
    import sqlite3
    from xmppdtest import add_user
    s = Server(prefork=1)
    try:
        s.start()
        m = s.mark()
        add_user(s, "walter@example.org", "walter-pw")
        s.wait_log(r"store: WAL checkpointed", after=m)
        path = os.path.join(s.datadir, "xmppd.db")
        db = sqlite3.connect("file:%s?immutable=1" % path, uri=True)
        n = db.execute("SELECT count(*) FROM accounts WHERE localpart = "
                       "'walter'").fetchone()[0]
        db.close()
        assert n == 1, n
    finally:
        s.stop()
