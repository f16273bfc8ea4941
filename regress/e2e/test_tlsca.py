"""tls ca: the parent reads the peers' CA file at start and reload and
passes its bytes to the stream processes only; a file that is missing,
holds no certificate, one that does not parse, or too much, is refused
and a reload with it keeps the running configuration."""

import os
import re

from testca import TestCA
from xmppdtest import Server


def setup():
    ca = TestCA()
    ca.other = TestCA(dir=ca.dir, name="other")
    s = Server(prefork=2, body='tls ca "%s"\n' % ca.crt)
    s.ca = ca
    s.start()
    return s


def teardown(s):
    s.stop()
    s.ca.close()


def _with_ca(s, path):
    """The configuration, its tls ca line naming path."""
    return re.sub(r'(?m)^tls ca ".*"$', 'tls ca "%s"' % path, open(s.conf)
                  .read())


def _reload_fails(s, path, why):
    good = open(s.conf).read()
    pids = {(p["name"], p["instance"]): p["pid"] for p in s.processes()}
    try:
        s.write_conf(raw=_with_ca(s, path))
        m = s.mark()
        r = s.ctl("reload", check=False)
        assert r.returncode != 0, r.stdout
        s.wait_log(why, after=m)
        s.wait_log(r"reload failed \(cannot load certificates and keys\), "
                   r"keeping the running configuration", after=m)
        assert not s.log_has(r"tls ca: \d+ bytes", after=m)
        assert {(p["name"], p["instance"]): p["pid"]
                for p in s.processes()} == pids
    finally:
        s.write_conf(raw=good)


def test_parent_reads_the_ca_at_start(s):
    s.wait_log(r"tls ca %s: 1 certificate$" % re.escape(s.ca.crt))


def test_streams_and_only_they_get_the_ca_bytes(s):
    both = os.path.join(s.ca.dir, "both.pem")
    with open(both, "w") as f:
        f.write(open(s.ca.crt).read() + open(s.ca.other.crt).read())
    size = os.path.getsize(both)
    good = open(s.conf).read()
    try:
        s.write_conf(raw=_with_ca(s, both))
        m = s.mark()
        s.ctl("reload")
        s.wait_log(r"configuration reloaded", after=m)
        s.wait_log(r"tls ca %s: 2 certificates$" % re.escape(both), after=m)
        for i in (0, 1):
            s.wait_log(r"^stream %d\[\d+\]: tls ca: %d bytes$" % (i, size),
                       after=m)
        with s.cond:
            lines = [ln for ln in s.lines[m:]
                     if re.search(r"tls ca: \d", ln)]
        assert len(lines) == 2 and all(ln.startswith("stream ")
                                       for ln in lines), lines
    finally:
        s.write_conf(raw=good)
        m = s.mark()
        s.ctl("reload")
        s.wait_log(r"configuration reloaded", after=m)


def test_missing_file_refused(s):
    path = os.path.join(s.ca.dir, "nonexistent.pem")
    _reload_fails(s, path, r"tls ca %s: No such file" % re.escape(path))


def test_file_without_certificate_refused(s):
    path = os.path.join(s.ca.dir, "text.pem")
    with open(path, "w") as f:
        f.write("not a certificate\n")
    _reload_fails(s, path, r"tls ca %s: no PEM certificate" %
                  re.escape(path))


def test_broken_certificate_refused(s):
    path = os.path.join(s.ca.dir, "broken.pem")
    pem = open(s.ca.crt).read()
    with open(path, "w") as f:
        f.write(pem + pem[:len(pem) // 2])
    _reload_fails(s, path, r"tls ca %s: a certificate does not parse" %
                  re.escape(path))


def test_oversized_file_refused(s):
    path = os.path.join(s.ca.dir, "huge.pem")
    with open(path, "w") as f:
        f.write(open(s.ca.crt).read() + "\n" * (2 * 1024 * 1024))
    _reload_fails(s, path, r"tls ca %s: larger than \d+ bytes" %
                  re.escape(path))


def test_start_refused_without_the_file(s):
    t = Server(prefork=1, body='tls ca "%s"\n' %
               os.path.join(s.ca.dir, "nonexistent.pem"))
    try:
        t.start(wait=False)
        assert t.wait_exit() != 0
        t.wait_log(r"tls ca .*nonexistent\.pem: No such file")
    finally:
        t.stop()
