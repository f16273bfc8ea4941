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


def hostname():
    return subprocess.run(["hostname", "-f"], capture_output=True,
                          text=True).stdout.strip().lower()


def test_install_service_files_and_minimal_conf(c):
    dest = os.path.join(c.dir, "dest-conf")
    make(c, "install", "DESTDIR=" + dest, "PREFIX=/usr")
    with open(dest + "/usr/lib/systemd/system/xmppd.service") as f:
        unit = f.read()
    assert "\nExecStart=/usr/sbin/xmppd -d\n" in unit, unit
    assert "/usr/local" not in unit and "@SBINDIR@" not in unit, unit
    with open(os.path.join(c.src, "xmppd.rc")) as f:
        rc = f.read()
    assert '\ndaemon="/usr/sbin/xmppd"\n' in rc, rc
    # The commented example is documentation; the file installed is a
    # minimal one that names this machine's domain.
    assert os.path.exists(dest + "/usr/share/doc/xmppd/examples/xmppd.conf")
    conf = dest + "/etc/xmppd.conf"
    domain = hostname()
    pem = "/etc/xmppd/%s.pem" % domain
    with open(conf) as f:
        text = f.read()
    assert 'domain "%s" {\n\tauth internal' % domain in text, text
    assert 'tls keypair "%s" certificate "%s"' % (domain, pem) in text, text
    assert os.stat(conf).st_mode & 0o777 == 0o600
    assert os.stat(dest + pem).st_mode & 0o777 == 0o600
    p = subprocess.run(["openssl", "x509", "-noout", "-ext",
                        "subjectAltName", "-in", dest + pem],
                       capture_output=True, text=True)
    assert "DNS:" + domain in p.stdout, p.stdout + p.stderr
    # Installed again: what is there stays, byte for byte.
    before = {f: open(f, "rb").read() for f in (conf, dest + pem)}
    with open(conf, "a") as f:
        f.write("# the admin's\n")
    before[conf] += b"# the admin's\n"
    out = make(c, "install", "DESTDIR=" + dest, "PREFIX=/usr")
    assert "exists: left as it is" in out, out
    for f, data in before.items():
        assert open(f, "rb").read() == data, f


def test_installed_minimal_conf_checks(c):
    # Without DESTDIR, the paths in the file are where it is: xmppd -n
    # loads it, with its keypair, as installed.
    top = os.path.join(c.dir, "live")
    make(c, "install", "PREFIX=" + top, "SYSCONFDIR=" + top + "/etc",
         "DOMAIN=chat.example.net")
    conf = top + "/etc/xmppd.conf"
    p = subprocess.run([top + "/sbin/xmppd", "-n", "-f", conf],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0 and "configuration OK" in p.stderr, p.stderr
    assert os.path.exists(top + "/etc/xmppd/chat.example.net.pem")
    # A domain that is not one is refused, and nothing written.
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    bad = os.path.join(c.dir, "bad")
    p = subprocess.run(["make", "-C", c.src, "install", "PREFIX=" + bad,
                        "SYSCONFDIR=" + bad + "/etc", "DOMAIN=a b/c"],
                       env=env, capture_output=True, text=True, timeout=900)
    assert p.returncode != 0 and "is not a domain name" in p.stderr, \
        p.stdout[-2000:] + p.stderr[-2000:]
    assert not os.path.exists(bad + "/etc/xmppd.conf")


def test_example_conf_holds_no_password(c):
    # The example is readable by all, as git keeps it: its passwords are
    # macros given with -D (or in an included private file).
    ex = os.path.join(c.src, "etc", "xmppd.conf")
    os.chmod(ex, 0o644)
    xmppd = os.path.join(TOP, "regress", "obj", "xmppd", "xmppd")
    p = subprocess.run([xmppd, "-n", "-D", "ldap_password=x", "-D",
                        "irc_password=y", "-f", ex],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert "holds a password" not in p.stderr, p.stderr
    assert "syntax error" not in p.stderr and "not defined" not in \
        p.stderr, p.stderr
    # Without them, xmppd names what is missing.
    p = subprocess.run([xmppd, "-n", "-f", ex], capture_output=True,
                       text=True, timeout=TIMEOUT)
    assert p.returncode == 1 and "macro 'ldap_password' not defined" in \
        p.stderr, p.stderr
