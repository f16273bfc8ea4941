"""What an admin is told about a bad configuration: xmppctl reload prints
the file:line: message lines that xmppd -n prints, bounded, and the
running configuration stays; xmppd -n loads every certificate and key
and says what is wrong with each file."""

import os
import pwd
import subprocess

import testca
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


def test_reload_prints_certificate_errors(_):
    """A file the new configuration names that cannot be used is told
    to xmppctl too, and the running configuration stays."""
    s = Server(prefork=1)
    try:
        s.start()
        gone = os.path.join(s.dir, "gone.crt")
        s.write_conf('tls keypair "other.org" certificate "%s"\n' % gone)
        p = s.ctl("reload", check=False)
        assert p.returncode == 1, p.stderr
        assert ('tls keypair "other.org": certificate %s: No such file or '
                'directory' % gone) in p.stderr.splitlines(), p.stderr
        assert "cannot load certificates and keys" in p.stderr, p.stderr
        s.wait_log(r"reload failed \(cannot load certificates and keys\)")
        assert s.ctl("show", "processes").returncode == 0
    finally:
        s.stop()


# xmppd -n and the files a configuration names.

def _check(body, ca_dir, user=None):
    """xmppd -n on a configuration of body; returns (status, stderr)."""
    path = os.path.join(ca_dir, "xmppd.conf")
    with open(path, "w") as f:
        f.write('user "_xmppd"\ndatadir "%s/data"\nsocket "%s/sock"\n%s'
                % (ca_dir, ca_dir, body))
    os.chmod(path, 0o644)
    pre = None
    if user is not None:
        pw = pwd.getpwnam(user)

        def pre():
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
    p = subprocess.run([XMPPD, "-n", "-f", path], capture_output=True,
                       text=True, preexec_fn=pre)
    return p.returncode, p.stderr


def _conf(crt, key, extra=""):
    return ('tls keypair "example.org" {\n\tcertificate "%s"\n'
            '\tkey "%s"\n}\n'
            'domain "example.org" {\n\ttls keypair "example.org"\n}\n'
            'listen on 127.0.0.1 port 5222 client\n%s' % (crt, key, extra))


SERVICES = ('muc "conference.example.org"\n'
            'upload "upload.example.org" {\n'
            '\turl "https://upload.example.org/"\n}\n')


def _ca():
    ca = testca.TestCA()
    os.chmod(ca.dir, 0o755)
    return ca


def test_n_good_certificate(_):
    ca = _ca()
    try:
        crt, key = ca.issue("good", dns=["example.org",
                                         "conference.example.org",
                                         "upload.example.org"])
        rc, err = _check(_conf(crt, key, SERVICES), ca.dir)
        assert rc == 0 and "configuration OK" in err, err
    finally:
        ca.close()


def test_n_expired_certificate(_):
    ca = _ca()
    try:
        crt, key = ca.issue("old", dns=["example.org"],
                            dates=("20200101000000Z", "20210101000000Z"))
        rc, err = _check(_conf(crt, key), ca.dir)
        assert rc == 1 and "configuration OK" not in err, err
        assert ('tls keypair "example.org": certificate %s expired on '
                'Jan  1 00:00:00 2021 GMT' % crt) in err, err
    finally:
        ca.close()


def test_n_certificate_not_yet_valid(_):
    ca = _ca()
    try:
        crt, key = ca.issue("new", dns=["example.org"],
                            dates=("20900101000000Z", "20910101000000Z"))
        rc, err = _check(_conf(crt, key), ca.dir)
        assert rc == 1, err
        assert ('tls keypair "example.org": certificate %s is not valid '
                'before Jan  1 00:00:00 2090 GMT' % crt) in err, err
    finally:
        ca.close()


def test_n_mismatched_key(_):
    ca = _ca()
    try:
        crt, _key = ca.issue("a", dns=["example.org"])
        _crt, key = ca.issue("b", dns=["example.org"])
        rc, err = _check(_conf(crt, key), ca.dir)
        assert rc == 1, err
        assert ('tls keypair "example.org": key %s does not match '
                'certificate %s' % (key, crt)) in err, err
    finally:
        ca.close()


def test_n_certificate_for_another_name(_):
    ca = _ca()
    try:
        crt, key = ca.issue("other", dns=["other.test"], cn="example.org")
        rc, err = _check(_conf(crt, key), ca.dir)
        assert rc == 1, err
        assert ('tls keypair "example.org": certificate %s does not name '
                'domain "example.org"' % crt) in err, err
    finally:
        ca.close()


def test_n_subdomains_not_named(_):
    ca = _ca()
    try:
        crt, key = ca.issue("bare", dns=["example.org"])
        rc, err = _check(_conf(crt, key, SERVICES), ca.dir)
        assert rc == 1, err
        for what in ('muc "conference.example.org"',
                     'upload "upload.example.org"'):
            assert ("%s: no tls keypair has a certificate that names it"
                    % what) in err, err
        # A wildcard names them.
        crt, key = ca.issue("wild", dns=["example.org", "*.example.org"])
        rc, err = _check(_conf(crt, key, SERVICES), ca.dir)
        assert rc == 0, err
    finally:
        ca.close()


def test_n_missing_files(_):
    ca = _ca()
    try:
        crt, key = ca.issue("c", dns=["example.org"])
        gone = os.path.join(ca.dir, "gone.crt")
        rc, err = _check(_conf(gone, key), ca.dir)
        assert rc == 1, err
        assert ('tls keypair "example.org": certificate %s: No such file '
                'or directory' % gone) in err, err
        gone = os.path.join(ca.dir, "gone.key")
        rc, err = _check(_conf(crt, gone), ca.dir)
        assert rc == 1, err
        assert ('tls keypair "example.org": key %s: No such file or '
                'directory' % gone) in err, err
        # A file that is no PEM at all.
        junk = os.path.join(ca.dir, "junk.crt")
        with open(junk, "w") as f:
            f.write("not a certificate\n")
        rc, err = _check(_conf(junk, key), ca.dir)
        assert rc == 1, err
        assert ('tls keypair "example.org": certificate %s holds no '
                'certificate that parses' % junk) in err, err
    finally:
        ca.close()


def test_n_without_root_key_not_checked(_):
    ca = _ca()
    try:
        crt, key = ca.issue("c", dns=["example.org"])
        os.chmod(crt, 0o644)
        assert os.stat(key).st_mode & 0o077 == 0
        rc, err = _check(_conf(crt, key), ca.dir, user="_xmppd")
        assert rc == 0 and "configuration OK" in err, err
        assert ('tls keypair "example.org": key %s: not checked, only '
                'root may read it' % key) in err, err
        # As root, the same key is read and checked.
        rc, err = _check(_conf(crt, key), ca.dir)
        assert rc == 0 and "not checked" not in err, err
    finally:
        ca.close()


def test_n_web_listeners_are_served(_):
    """http and multiplex listeners serve all they stand for (WebSocket
    and BOSH): -n passes them without a warning."""
    ca = _ca()
    try:
        crt, key = ca.issue("c", dns=["example.org"])
        rc, err = _check(_conf(crt, key,
                               "listen on * port 5280 http\n"
                               "listen on 127.0.0.1 port 5281 http tls\n"
                               "listen on 127.0.0.1 port 5443 tls "
                               "multiplex\n"), ca.dir)
        assert rc == 0 and "configuration OK" in err, err
        assert "warning" not in err, err
    finally:
        ca.close()
