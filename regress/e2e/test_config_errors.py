"""What an admin is told about a bad configuration: xmppctl reload prints
the file:line: message lines that xmppd -n prints, bounded, and the
running configuration stays; xmppd -n loads every certificate and key
and says what is wrong with each file."""

import os
import re
import subprocess

from xmppdtest import XMPPD, Server, add_user, slix_login


def setup():
    return None


def _reload_fails(s, body):
    """Write base + body, reload; returns xmppctl's standard error."""
    s.write_conf(body)
    p = s.ctl("reload", check=False)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert "configuration has errors" in p.stderr, p.stderr
    return p.stderr


def _line_of(s, text):
    with open(s.conf) as f:
        for n, line in enumerate(f, 1):
            if text in line:
                return n
    raise AssertionError("%r not in %s" % (text, s.conf))


def test_reload_prints_errors_and_keeps_running(_):
    s = Server(prefork=1)
    try:
        s.start()
        add_user(s, "alice@example.org", "secret-a")
        err = _reload_fails(s, 'muc "conference.example.org" {\n'
                               '\tcreate rooms everyone\n'
                               '}\n'
                               'domain "other.org" {\n'
                               '\tauth internl\n'
                               '}\n')
        n1 = _line_of(s, "create rooms everyone")
        n2 = _line_of(s, "auth internl")
        want = ['%s:%d: unknown room creation policy "everyone" '
                '(expected local, admins or anyone)' % (s.conf, n1),
                '%s:%d: unknown auth method "internl" (expected internal '
                'or ldap)' % (s.conf, n2)]
        lines = err.splitlines()
        for w in want:
            assert w in lines, (w, err)
        # The same lines as xmppd -n prints.
        p = subprocess.run([XMPPD, "-n", "-f", s.conf], capture_output=True,
                           text=True)
        assert p.returncode == 1
        for w in want:
            assert w in p.stderr.splitlines(), p.stderr
        # The running configuration stays: no muc came, logins work.
        s.wait_log(r"reload failed \(configuration has errors\), keeping "
                   r"the running configuration")
        assert not any(pr["name"] == "mucd" for pr in s.processes())
        assert slix_login(s.ports["client"], "alice@example.org",
                          "secret-a")
    finally:
        s.stop()


def test_reload_errors_are_bounded(_):
    s = Server(prefork=1)
    try:
        s.start()
        body = ('domain "other.org" {\n' +
                "".join('\tadmin "%d%s"\n' % (i, "x" * 2000)
                        for i in range(40)) + "}\n")
        err = _reload_fails(s, body)
        lines = err.splitlines()
        told = [l for l in lines if "is not a bare JID" in l or
                l.endswith("xxx")]
        assert len(told) == 32, err
        assert all(len(l) < 512 for l in told), err
        assert "(8 more not shown, see the log)" in lines, err
        # And a good file afterwards reloads.
        s.write_conf("")
        p = s.ctl("reload")
        assert "configuration reloaded" in p.stdout, p.stdout
    finally:
        s.stop()
