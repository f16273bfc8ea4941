"""make install and the helper daemons: an install with another PREFIX
after a plain build rebuilds what has the paths compiled in, and an
xmppd whose helper directory lacks a helper the configuration needs
says so, naming the path and "make install", with -n, at start and on
reload (which then changes nothing).  Everything is built and installed
in a copy of the tree, under a temporary directory."""

import os
import shutil
import signal
import subprocess
import tempfile

from xmppdtest import Server, TOP, TIMEOUT

PARTS = ("Makefile", "configure", "config.mk", "paths.h", "common", "xmppd",
         "xmppctl", "ldapauthd", "mucd", "uploadd", "man", "etc", "scripts")
LDAP = ('ldap "dir" {\n\tserver "ldaps://127.0.0.1:1"\n'
        '\tbind "cn=x,dc=example,dc=org" password "secret"\n'
        '\tbase "dc=example,dc=org"\n}\n')
MUC = 'muc "conference.example.org" {\n\thistory 10\n}\n'


class Ctx:
    pass


def make(c, *args):
    # Not the settings of a make this may run under.
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    p = subprocess.run(["make", "-C", c.src] + list(args), env=env,
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return p.stdout


def setup():
    c = Ctx()
    c.dir = tempfile.mkdtemp(prefix="xmppd-install-")
    os.chmod(c.dir, 0o755)
    c.src = os.path.join(c.dir, "src")
    os.mkdir(c.src)
    for part in PARTS:
        if os.path.exists(os.path.join(TOP, part)):
            subprocess.run(["cp", "-a", os.path.join(TOP, part), c.src],
                           check=True)
    # A plain build: the default paths.
    make(c)
    # An install for a prefix that is not there: its helpers are missing.
    c.prefix = os.path.join(c.dir, "prefix")
    c.dest2 = os.path.join(c.dir, "dest2")
    make(c, "install", "DESTDIR=" + c.dest2, "PREFIX=" + c.prefix)
    c.xmppd = c.dest2 + c.prefix + "/sbin/xmppd"
    c.libexec = c.prefix + "/libexec/xmppd"
    return c


def teardown(c):
    shutil.rmtree(c.dir, ignore_errors=True)


def test_install_prefix_after_plain_build(c):
    make(c, "PREFIX=/usr/local")
    c2s = os.stat(os.path.join(c.src, "xmppd", "c2s.o")).st_mtime_ns
    dest = os.path.join(c.dir, "dest")
    out = make(c, "install", "DESTDIR=" + dest, "PREFIX=/usr")
    with open(dest + "/usr/sbin/xmppd", "rb") as f:
        data = f.read()
    assert b"/usr/libexec/xmppd\0" in data, out
    assert b"/usr/local/libexec/xmppd" not in data, out
    for h in ("ldapauthd", "mucd", "uploadd"):
        assert os.access(dest + "/usr/libexec/xmppd/" + h, os.X_OK), h
    # Only what has the paths compiled in was built again.
    assert os.stat(os.path.join(c.src, "xmppd", "c2s.o")).st_mtime_ns == \
        c2s, out
    # And back, for a plain install.
    out = make(c)
    with open(os.path.join(c.src, "xmppd", "xmppd"), "rb") as f:
        assert b"/usr/local/libexec/xmppd\0" in f.read(), out


def check(c, conf, *args):
    return subprocess.run([c.xmppd] + list(args) + ["-f", conf],
                          capture_output=True, text=True, timeout=TIMEOUT)


def missing(c, p, helper):
    want = "%s/%s: No such file or directory" % (c.libexec, helper)
    assert p.returncode == 1, p.stderr
    assert want in p.stderr and '"make install"' in p.stderr, p.stderr
    assert "configuration OK" not in p.stderr, p.stderr


def test_check_mode_names_missing_helper(c):
    s = Server()
    try:
        s.write_conf(LDAP + MUC)
        p = check(c, s.conf, "-n")
        missing(c, p, "ldapauthd")
        missing(c, p, "mucd")
        assert "uploadd" not in p.stderr, p.stderr
        p = check(c, s.conf, "-nn")
        missing(c, p, "ldapauthd")
        assert p.stdout == "", p.stdout
    finally:
        s.stop()


def test_start_refused_for_missing_helper(c):
    s = Server()
    try:
        s.write_conf(MUC)
        p = check(c, s.conf, "-d")
        missing(c, p, "mucd")
        # Refused before anything was made or started.
        assert not os.path.exists(s.datadir)
        assert not os.path.exists(s.sock)
    finally:
        s.stop()


def test_reload_refused_for_missing_helper(c):
    s = Server(prefork=1)
    s.xmppd = c.xmppd
    link = c.libexec
    try:
        s.start()
        good = open(s.conf).read()
        pids = {(p["name"], p["instance"]): p["pid"] for p in s.processes()}
        s.write_conf(raw=LDAP + good)
        m = s.mark()
        r = s.ctl("reload", check=False)
        assert r.returncode != 0 and "helper daemons are missing" in \
            r.stderr, r.stderr
        s.wait_log(r"%s/ldapauthd: No such file or directory: the "
                   r"configuration needs ldapauthd; install it with "
                   r'"make install"' % c.libexec, after=m)
        s.wait_log(r"reload failed \(helper daemons are missing\), "
                   r"keeping the running configuration", after=m)
        after = {(p["name"], p["instance"]): p["pid"]
                 for p in s.processes()}
        assert after == pids, (after, pids)
        # Once installed where it is looked for, the same reload works.
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(c.dest2 + c.libexec, link)
        assert check(c, s.conf, "-n").returncode == 0
        m = s.mark()
        s.ctl("reload")
        s.wait_log(r"configuration reloaded", after=m)
        names = [p["name"] for p in s.processes()]
        assert "ldapauthd" in names, names
    finally:
        s.stop()
        if os.path.islink(link):
            os.unlink(link)


def test_exec_failure_is_logged(c):
    """A helper gone after the start: the failed exec says which file."""
    s = Server(MUC, prefork=1)
    s.xmppd = c.xmppd
    link = c.libexec
    try:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(c.dest2 + c.libexec, link)
        s.start()
        os.unlink(link)
        m = s.mark()
        os.kill(s.pid_of("mucd"), signal.SIGKILL)
        s.wait_log(r"mucd\[\d+\]: cannot execute %s/mucd: No such file" %
                   c.libexec, after=m)
        s.wait_log(r"mucd 0 \(pid \d+\) exited with status 127", after=m)
    finally:
        s.stop()
        if os.path.islink(link):
            os.unlink(link)
