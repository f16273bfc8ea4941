"""The first days of running xmppd: the foreground log is stamped with
the time on a terminal only; both ends of a session are logged with the
reason it ended; `make run` a second time says the first still runs,
and Ctrl-C stops it with status 0 (run in a copy of the tree)."""

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import termios
import time

from rawxmpp import Raw
from xmppdtest import Server, TOP, TIMEOUT, XMPPD, add_user, free_port

STAMP = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
PARTS = ("Makefile", "configure", "common", "xmppd", "xmppctl",
         "ldapauthd", "mucd", "uploadd", "man", "etc", "scripts")


class Pty:
    """A program whose standard error (and output) is a terminal."""

    def __init__(self, argv, cwd=None, env=None):
        self.master, slave = pty.openpty()

        def pre():
            # A session whose controlling terminal this is, as in a
            # terminal window: Ctrl-C goes to its foreground group.
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env,
                                     stdin=slave, stdout=slave, stderr=slave,
                                     preexec_fn=pre)
        os.close(slave)
        self.buf = ""

    def expect(self, pattern, timeout=TIMEOUT):
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no %r in:\n%s" % (pattern,
                                                        self.buf[-3000:]))
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    data = b""
                if not data:
                    raise AssertionError("ended without %r:\n%s" %
                                         (pattern, self.buf[-3000:]))
                self.buf += data.decode("utf-8", "replace").replace("\r", "")

    def interrupt(self):
        os.write(self.master, b"\x03")

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=TIMEOUT)
        os.close(self.master)


def setup():
    s = Server(prefork=1)
    s.start()
    add_user(s, "alice@example.org", "alice-pw")
    return s


def teardown(s):
    s.stop()


def test_log_stamped_on_terminal_only(s):
    # The Server's standard error is a pipe: no time stamps.
    m = s.wait_log(r"startup finished")
    assert not re.match(STAMP, m.string), m.string
    t = Server(prefork=1)
    p = None
    try:
        p = Pty([XMPPD, "-d", "-f", t.conf])
        m = p.expect(STAMP + r"(parent: )?startup finished")
        # Every line, a child's as well as the parent's.
        for line in p.buf.splitlines():
            assert re.match(STAMP, line), line
        assert re.search(STAMP + r"store\[\d+\]: ", p.buf, re.M), p.buf
    finally:
        if p is not None:
            p.close()
        t.stop()


def login(s, resource):
    c = Raw(s.ports["client"])
    c.login("alice", "alice-pw", resource=resource)
    return c


def ended(s, resource, why, after):
    return s.wait_log(r"stream 0\[\d+\]: session from 127\.0\.0\.1 ended "
                      r"\(%s\): alice@example\.org/%s$" % (why, resource),
                      after=after)


def test_session_ends_logged_with_reason(s):
    m = s.mark()
    c = login(s, "closes")
    s.wait_log(r"connection \d+ from 127\.0\.0\.1: alice@example\.org "
               r"logged in", after=m)
    c.send("</stream:stream>")
    c.closed()
    ended(s, "closes", "stream closed by client", m)

    m = s.mark()
    c = login(s, "drops")
    c.close()
    ended(s, "drops", r"connection lost(: read failed: [^)]*)?", m)

    m = s.mark()
    first = login(s, "twice")
    second = login(s, "twice")
    assert "<conflict" in first.closed()
    ended(s, "twice", "conflict", m)
    second.close()

    m = s.mark()
    c = login(s, "kicked")
    s.ctl("kick", "alice@example.org/kicked")
    assert "<policy-violation" in c.closed()
    ended(s, "kicked", "stream error policy-violation", m)


def test_session_end_of_bad_input_logged(s):
    # Hostile input ends the stream: the line says which error.
    m = s.mark()
    c = login(s, "hostile")
    c.send("<message><<</message>")
    assert "<not-well-formed" in c.closed()
    ended(s, "hostile", "stream error not-well-formed", m)
    # A client that never bound a resource has no session to end.
    m = s.mark()
    c = Raw(s.ports["client"])
    c.starttls()
    c.header()
    c.send("</stream:stream>")
    c.closed()
    s.wait_log(r"connection \d+ from 127\.0\.0\.1", after=m)
    assert not s.log_has(r"stream 0\[\d+\]: session from .* ended", after=m), \
        s.log_tail()


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    env.update(extra)
    return env


def run_port():
    """A free port whose neighbour and 222 above are free too: make run
    listens on all three."""
    while True:
        port = free_port()
        if port + 222 > 65535:
            continue
        try:
            for q in (port + 1, port + 222):
                with socket.socket() as t:
                    t.bind(("127.0.0.1", q))
        except OSError:
            continue
        return port


def test_make_run_twice_and_interrupted(s):
    d = tempfile.mkdtemp(prefix="xmppd-run-")
    os.chmod(d, 0o755)
    first = None
    try:
        for part in PARTS:
            subprocess.run(["cp", "-a", os.path.join(TOP, part), d],
                           check=True)
        subprocess.run(["make", "-C", d, "distclean"], env=clean_env(),
                       capture_output=True)
        env = clean_env(XMPPD_RUN_PORT=str(run_port()))
        first = Pty(["make", "--no-print-directory", "run"], cwd=d,
                    env=env)
        first.expect(r"^Log in as demo@localhost", timeout=900)
        with open(os.path.join(d, "run", "xmppd.pid")) as f:
            pid = int(f.read())
        # The second says the first runs, how to stop it, and starts
        # nothing.
        p = subprocess.run(["make", "--no-print-directory", "run"], cwd=d,
                           env=env, capture_output=True, text=True,
                           timeout=TIMEOUT)
        assert p.returncode == 0, p.stdout + p.stderr
        assert re.search(r"xmppd is already running from make run \(pid "
                         r"%d," % pid, p.stdout), p.stdout + p.stderr
        assert "kill %d" % pid in p.stdout, p.stdout
        assert "starting on" not in p.stdout + p.stderr, p.stdout
        # Ctrl-C: xmppd stops cleanly, and make run with status 0.
        first.interrupt()
        assert first.proc.wait(timeout=TIMEOUT) == 0, first.buf[-3000:]
        first.expect(r"received signal 2, shutting down")
        assert not os.path.exists(os.path.join(d, "run", "xmppd.pid"))
        try:
            os.kill(pid, 0)
            raise AssertionError("xmppd %d still runs" % pid)
        except ProcessLookupError:
            pass
        # Nothing runs now: a second make run would start.
        p = subprocess.run(["sh", os.path.join(d, "scripts", "run.sh"),
                            "-c"], capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr
    finally:
        # xmppd has a process group of its own: stopped by its pid.
        try:
            with open(os.path.join(d, "run", "xmppd.pid")) as f:
                os.kill(int(f.read()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
        if first is not None:
            first.close()
        shutil.rmtree(d, ignore_errors=True)
