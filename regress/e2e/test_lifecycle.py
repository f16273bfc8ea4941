"""Starting and stopping: a dead router or store stops the whole server,
SIGTERM stops every child and exits 0, and clients are accepted only
once every process is ready."""

import os
import re
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


def test_postgresql_host_name_refused_at_start(_):
    """The chrooted store cannot resolve a name: xmppd does not start
    with one, rather than keep the data nowhere (test_pgstore has the
    rest)."""
    import subprocess
    from xmppdtest import XMPPD
    s = Server()
    try:
        s.write_conf('storage postgresql "host=db dbname=xmppd"\n')
        p = subprocess.run([XMPPD, "-d", "-f", s.conf], capture_output=True,
                           text=True, timeout=20)
        assert p.returncode == 1 and "hostaddr" in p.stderr, p.stderr
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


HOLD = "XMPPD_REGRESS_HOLD_READY"


def _held(s, role):
    """The pid of role's process, once it says its readiness is held."""
    m = s.wait_log(r"%s\[(\d+)\]: regress: ready held until SIGUSR1" %
                   role)
    return int(m.group(1))


def _tls_in_thread(port):
    """A direct TLS connection made in a thread: done is set once the
    handshake is over."""
    import threading
    from rawxmpp import Raw
    box = {}
    done = threading.Event()

    def run():
        try:
            box["conn"] = Raw(port, direct_tls=True, alpn=["xmpp-client"])
        except Exception as e:
            box["error"] = e
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return box, done


def _login_after_header(c, user):
    """Finish a STARTTLS login on a connection that sent its header."""
    from rawxmpp import tls_context
    c.expect(r"<stream:features>.*?</stream:features>")
    c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    c.expect(r"<proceed[^>]*/>")
    c.sock = tls_context().wrap_socket(c.sock, server_hostname="example.org")
    c.buf = ""
    c.header()
    assert c.auth_plain(user, user + "-pw").group(1) == "success"
    c.header()
    assert "<jid>%s@example.org/w</jid>" % user in c.bind("w").group(0)


def test_clients_wait_until_startup_finished(_):
    """A client that connects while the store is still starting gets no
    stream features and no TLS handshake before startup finished, and
    logs in fine after."""
    from rawxmpp import Raw, HEADER
    from xmppdtest import add_user
    s = Server(prefork=2)
    try:
        s.start(wait=False, env={HOLD: "store"})
        store = _held(s, "store")
        c = Raw(s.ports["client"])
        c.send(HEADER % "example.org")
        box, done = _tls_in_thread(s.ports["client_tls"])
        # Every stream process is up, and none answers.
        s.wait_log(r"^stream 0 ready")
        s.wait_log(r"^stream 1 ready")
        assert c.quiet(1), c.buf
        assert not done.wait(0.1), box
        assert not s.log_has(r"startup finished|connection \d+ from")
        os.kill(store, signal.SIGUSR1)
        s.wait_log(r"startup finished")
        add_user(s, "alice@example.org", "alice-pw")
        _login_after_header(c, "alice")
        assert done.wait(20) and "conn" in box, box
        d = box["conn"]
        d.header()
        assert d.auth_plain("alice", "alice-pw").group(1) == "success"
        # Accepted after startup finished, not before.
        with s.cond:
            lines = list(s.lines)
        first = min(i for i, l in enumerate(lines)
                    if re.search(r"connection \d+ from", l))
        assert first > lines.index("startup finished"), lines
        c.close()
        d.close()
    finally:
        s.stop()


def test_restarted_stream_accepts_once_ready(_):
    """A stream process restarted after startup accepts only once it is
    ready itself; the others go on."""
    from rawxmpp import Raw, HEADER
    from xmppdtest import add_user
    s = Server(prefork=1)
    try:
        s.start(wait=False, env={HOLD: "stream"})
        os.kill(_held(s, "stream 0"), signal.SIGUSR1)
        s.wait_log(r"startup finished")
        add_user(s, "bob@example.org", "bob-pw")
        m = s.mark()
        old = s.pid_of("stream")
        os.kill(old, signal.SIGKILL)
        s.wait_log(r"restarting stream 0", after=m)
        new = int(s.wait_log(r"stream 0\[(\d+)\]: regress: ready held",
                             after=m).group(1))
        c = Raw(s.ports["client"])
        c.send(HEADER % "example.org")
        assert c.quiet(1), c.buf
        assert not s.log_has(r"connection \d+ from", after=m)
        os.kill(new, signal.SIGUSR1)
        s.wait_log(r"^stream 0 ready", after=m)
        _login_after_header(c, "bob")
        c.close()
    finally:
        s.stop()
