"""The store on PostgreSQL, against what can go wrong with it: a
conninfo the chrooted store could not use (refused by xmppd -n), a
server that is not there yet or goes away (logins get
temporary-auth-failure, messages resource-constraint, the store comes
back by itself), wrong credentials, and a database whose schema is newer
than this xmppd (refused, never downgraded)."""

import os
import pwd
import re
import select
import shutil
import signal
import stat
import subprocess
import time

from postgres import Postgres
from rawxmpp import Raw, motd_at_login
from testca import TestCA
from xmppdtest import TIMEOUT, USER, XMPPD, Server, add_user

D = "example.org"


class Ctx:
    def __init__(self):
        self.pg = Postgres()
        self.servers = []
        self._ca = None
        self._pgtls = None

    def ca(self):
        if self._ca is None:
            self._ca = TestCA()
        return self._ca

    def pgtls(self):
        """A second server, speaking TLS with a certificate for
        db.test."""
        if self._pgtls is None:
            self._pgtls = Postgres(ssl=self.ca()).start()
        return self._pgtls

    def server(self, conninfo, start=True, up=False):
        s = Server(prefork=1)
        conf = s.base_conf().replace(
            'domain "example.org" {\n\tauth internal\n}',
            'domain "example.org" {\n\tauth internal\n'
            '\tarchive default always\n}')
        assert "archive default always" in conf
        s.write_conf(raw='storage postgresql "%s"\n' % conninfo + conf)
        self.servers.append(s)
        if start:
            s.start()
        if up:
            s.wait_log(r"store: connected to PostgreSQL")
        return s

    def conninfo(self, db, password, port=None):
        return ("hostaddr=127.0.0.1 port=%d dbname=%s user=%s password=%s"
                % (port or self.pg.port, db, db, password))

    def tls_conninfo(self, db, password, mode="verify-full",
                     host="db.test", ca=None):
        """The TLS server's database db, reached by its address; host
        the name its certificate is checked against."""
        pg = self.pgtls()
        pg.create_db(db, db, password)
        return ("hostaddr=127.0.0.1 host=%s port=%d dbname=%s user=%s "
                "password=%s sslmode=%s sslrootcert=%s"
                % (host, pg.port, db, db, password, mode,
                   ca or self.ca().crt))


def setup():
    return Ctx()


def teardown(c):
    for s in c.servers:
        s.stop()
    c.pg.close()
    if c._pgtls is not None:
        c._pgtls.close()
    if c._ca is not None:
        c._ca.close()


def check_conf(text):
    """xmppd -n on a configuration holding text: (exit code, stderr)."""
    s = Server(prefork=1)
    try:
        s.write_conf(raw=text.replace("@DATADIR@", s.datadir) +
                     s.base_conf())
        p = subprocess.run([XMPPD, "-n", "-f", s.conf], capture_output=True,
                           text=True, timeout=TIMEOUT)
        return p.returncode, p.stderr, s
    finally:
        s.stop()


def refused(conninfo, why):
    rc, err, _ = check_conf('storage postgresql "%s"\n' % conninfo)
    assert rc != 0 and why in err and "configuration OK" not in err, \
        (conninfo, rc, err)
    assert "s3cret" not in err, err


def test_check_accepts_a_numeric_address(c):
    rc, err, _ = check_conf('storage postgresql "hostaddr=127.0.0.1 '
                            'port=5432 dbname=x user=x"\n')
    assert rc == 0 and "configuration OK" in err, err
    rc, err, _ = check_conf('storage postgresql "hostaddr=::1 dbname=x"\n')
    assert rc == 0, err


def test_check_refuses_a_host_name(c):
    refused("host=db.example.org dbname=x password=s3cret", "hostaddr")
    refused("hostaddr=db.example.org dbname=x", "numeric")
    refused("dbname=x user=x", "hostaddr")
    refused("hostaddr=127.0.0.1,127.0.0.2 dbname=x", "one numeric")


def test_check_socket_only_under_datadir(c):
    refused("host=/var/run/postgresql dbname=x", "under the datadir")
    refused("host=/tmp/xmppd-pg-check/../etc dbname=x", "under the datadir")
    rc, err, _ = check_conf('storage postgresql "host=@DATADIR@/pg '
                            'dbname=x"\n')
    assert rc == 0, err


def test_check_refuses_files_outside_the_chroot(c):
    refused("hostaddr=127.0.0.1 service=xmppd", "service files")
    refused("hostaddr=127.0.0.1 sslmode=require sslcrl=/etc/ssl/c.crl",
            "CRLs")
    refused("hostaddr=127.0.0.1 sslmode=require sslpassword=x",
            "key passphrases")
    refused("hostaddr=127.0.0.1 port=99999", "port")
    refused("hostaddr=127.0.0.1 password=s3cret bogus=1", "does not parse")
    refused("hostaddr=127.0.0.1 password='s3cret", "does not parse")


def test_check_tls(c):
    ca = c.ca().crt
    # Downgradable: whoever answers for the server may say "no TLS".
    for mode in ("allow", "prefer"):
        refused("hostaddr=127.0.0.1 sslmode=%s" % mode, "fall back to "
                "plaintext")
    refused("hostaddr=127.0.0.1 sslmode=bogus", "sslmode must be")
    refused("hostaddr=127.0.0.1 sslrootcert=%s" % ca, "need sslmode")
    refused("hostaddr=127.0.0.1 sslmode=verify-ca", "need sslrootcert")
    refused("hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=%s" % ca,
            "verify-full needs host")
    refused("host=@DATADIR@/pg sslmode=require", "numeric hostaddr")
    missing = os.path.join(c.pg.dir, "no-such-ca.pem")
    refused("hostaddr=127.0.0.1 host=db.test sslmode=verify-full "
            "sslrootcert=%s" % missing, "sslrootcert %s: No such file"
            % missing)
    junk = os.path.join(c.pg.dir, "junk.pem")
    with open(junk, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot base64\n"
                "-----END CERTIFICATE-----\n")
    refused("hostaddr=127.0.0.1 host=db.test sslmode=verify-ca "
            "sslrootcert=%s" % junk, "no PEM certificate")
    # A client certificate: both files, the key a secret (0600, root's)
    # that parses, with no passphrase.
    crt, key = c.ca().issue("client-check", cn="x")
    refused("hostaddr=127.0.0.1 sslmode=require sslcert=%s" % crt,
            "sslcert and sslkey go together")
    refused("hostaddr=127.0.0.1 sslcert=%s sslkey=%s" % (crt, key),
            "need sslmode")
    loose = os.path.join(c.pg.dir, "loose.key")
    shutil.copyfile(key, loose)
    os.chmod(loose, 0o640)
    refused("hostaddr=127.0.0.1 sslmode=require sslcert=%s sslkey=%s"
            % (crt, loose), "sslkey %s: must be owned by root and of mode "
            "0600" % loose)
    os.chmod(loose, 0o600)
    with open(loose, "w") as f:
        f.write("-----BEGIN PRIVATE KEY-----\nAAAA\n"
                "-----END PRIVATE KEY-----\n")
    refused("hostaddr=127.0.0.1 sslmode=require sslcert=%s sslkey=%s"
            % (crt, loose), "no PEM private key")
    refused("hostaddr=127.0.0.1 sslmode=require sslcert=%s sslkey=%s"
            % (key, key), "sslcert %s: no PEM certificate" % key)
    for conninfo in ("hostaddr=127.0.0.1 sslmode=require",
                     "hostaddr=127.0.0.1 sslmode=require sslcert=%s "
                     "sslkey=%s" % (crt, key),
                     "hostaddr=127.0.0.1 sslmode=verify-ca sslrootcert=%s"
                     % ca,
                     "hostaddr=127.0.0.1 host=db.test sslmode=verify-full "
                     "sslrootcert=%s" % ca):
        rc, err, _ = check_conf('storage postgresql "%s"\n' % conninfo)
        assert rc == 0 and "configuration OK" in err, (conninfo, err)


def test_check_passfile(c):
    d = c.pg.dir
    pf = os.path.join(d, "pgpass")
    with open(pf, "w") as f:
        f.write("# comment\n127.0.0.1:5432:other:x:no\n"
                "127.0.0.1:5432:db:x:s3cret\n")
    os.chmod(pf, 0o644)
    refused("hostaddr=127.0.0.1 dbname=db user=x passfile=%s" % pf,
            "passfile must be owned by root and of mode 0600")
    os.chmod(pf, 0o600)
    refused("hostaddr=127.0.0.1 dbname=nodb user=x passfile=%s" % pf,
            "no line")
    rc, err, _ = check_conf('storage postgresql "hostaddr=127.0.0.1 '
                            'dbname=db user=x passfile=%s"\n' % pf)
    assert rc == 0 and "s3cret" not in err, err


def temp_failure(s, user, password):
    r = Raw(s.ports["client"])
    r.starttls(D)
    r.header(D)
    m = r.auth_plain(user, password)
    r.close()
    return m.group(0)


def test_nowhere_then_it_comes_up(c):
    # Nothing listens on the port yet: xmppd starts all the same.
    s = c.server(c.conninfo("late", "late-pw"))
    m = s.wait_log(r"store: PostgreSQL unavailable: .*refused")
    # It keeps trying, and says so once.
    s.wait_log(r"store: PostgreSQL: .*refused", after=s.mark())
    assert len([l for l in s.lines if "PostgreSQL unavailable" in l]) == 1
    assert "late-pw" not in m.string
    f = temp_failure(s, "alice", "alice-pw")
    assert "temporary-auth-failure" in f, f
    # The router could not read the stored motds: it asks again.
    s.wait_log(r"stored motds not read \(the database is unreachable\): "
               r"asking again")
    c.pg.start()
    c.pg.create_db("late", "late", "late-pw")
    s.wait_log(r"store: PostgreSQL reachable again")
    add_user(s, "alice@%s" % D, "alice-pw")
    Raw(s.ports["client"]).login("alice", "alice-pw", "r")
    assert c.pg.psql("SELECT version FROM schema_version ORDER BY "
                     "version", db="late") == [["1"], ["2"], ["3"]]
    # One set meanwhile is read when the router asks again.
    mark = s.mark()
    c.pg.psql("INSERT INTO motd (domain, text) VALUES ('%s', 'late motd')"
              % D, db="late")
    s.wait_log(r"stored motds read: 1", after=mark)
    assert motd_of_login(s, "alice", "alice-pw") == "late motd"
    assert not s.log_has("late-pw")


def test_server_goes_away_and_comes_back(c):
    if c.pg.proc is None:
        c.pg.start()
    c.pg.create_db("away", "away", "away-pw")
    s = c.server(c.conninfo("away", "away-pw"), up=True)
    add_user(s, "alice@%s" % D, "alice-pw")
    add_user(s, "bob@%s" % D, "bob-pw")
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "r")
    mark = s.mark()
    c.pg.stop()
    s.wait_log(r"store: PostgreSQL unavailable", after=mark)
    # bob is offline: his message cannot be kept now, and alice is told
    # to wait rather than that bob does not exist.
    a.send("<message to='bob@%s' id='m1' type='chat'><body>hi</body>"
           "</message>" % D)
    e = a.expect(r"<message[^>]*id='m1'[^>]*>.*?</message>").group(0)
    assert "type='error'" in e and "type='wait'" in e and \
        ("resource-constraint" in e or "internal-server-error" in e), e
    f = temp_failure(s, "bob", "bob-pw")
    assert "temporary-auth-failure" in f, f
    # The session that was there stays.
    a.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
    a.expect(r"<iq[^>]*id='p1'")
    c.pg.start()
    s.wait_log(r"store: PostgreSQL reachable again", after=mark)
    # alice's block list, if it was asked for during the outage, is
    # asked for again: until then nothing goes to or from her.
    if s.log_has(r"blocking: the list of alice@\S+ could not be read",
                 after=mark):
        s.wait_log(r"blocking: the list of alice@\S+ is read again",
                   after=mark)
    a.send("<message to='bob@%s' id='m2' type='chat'><body>again</body>"
           "</message>" % D)
    # alice's next stanza waits until the store has kept m2 (in order).
    a.send("<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>")
    a.expect(r"<iq[^>]*id='p2'")
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "r")
    b.send("<presence/>")
    got = b.expect(r"<message[^>]*>.*?</message>").group(0)
    assert "again" in got and "hi" not in got, got
    assert len([l for l in s.lines[mark:]
                if "PostgreSQL unavailable" in l]) == 1
    a.close()
    b.close()


def test_wrong_credentials(c):
    if c.pg.proc is None:
        c.pg.start()
    c.pg.create_db("creds", "creds", "right-pw")
    s = c.server(c.conninfo("creds", "wrong-pw"))
    m = s.wait_log(r"store: PostgreSQL unavailable: .*password "
                   r"authentication failed")
    assert "wrong-pw" not in m.string and not s.log_has("wrong-pw")
    f = temp_failure(s, "alice", "alice-pw")
    assert "temporary-auth-failure" in f, f
    assert s.proc.poll() is None


def motd_of_login(s, user, pw):
    return motd_at_login(s.ports["client"], user, pw, "m")


def set_motd(s, admin, pw, text):
    """XEP-0133 set-motd, run by admin."""
    cmd = ("<command xmlns='http://jabber.org/protocol/commands' "
           "node='http://jabber.org/protocol/admin#set-motd'")
    r = Raw(s.ports["client"])
    r.login(admin, pw, "adm")
    r.send("<iq type='set' id='s1' to='%s'>%s/></iq>" % (D, cmd))
    sid = r.expect(r"sessionid='([^']+)'").group(1)
    r.send("<iq type='set' id='s2' to='%s'>%s sessionid='%s'>"
           "<x xmlns='jabber:x:data' type='submit'><field var='motd'>"
           "<value>%s</value></field></x></command></iq>"
           % (D, cmd, sid, text))
    m = r.expect(r"<iq[^>]*id='s2'.*?</iq>")
    r.close()
    assert "status='completed'" in m.group(0), m.group(0)


def test_version_1_upgraded_in_place(c):
    """A database at schema version 1 (before accounts could be
    disabled) is brought to version 3: its accounts log in, and can be
    disabled."""
    if c.pg.proc is None:
        c.pg.start()
    c.pg.create_db("older", "older", "older-pw")
    s = c.server(c.conninfo("older", "older-pw"), up=True)
    add_user(s, "alice@%s" % D, "alice-pw")
    s.stop_keep()
    c.pg.psql("DROP TABLE account_state; DROP TABLE motd; DELETE FROM "
              "schema_version WHERE version >= 2", db="older")
    s.start()
    s.wait_log(r"store: PostgreSQL schema upgraded from 1 to 3")
    assert c.pg.psql("SELECT version FROM schema_version ORDER BY "
                     "version", db="older") == [["1"], ["2"], ["3"]]
    Raw(s.ports["client"]).login("alice", "alice-pw", "r")
    s.ctl("user", "disable", "alice@%s" % D, "upgraded")
    assert c.pg.psql("SELECT reason FROM account_state",
                     db="older") == [["upgraded"]]


def test_version_2_upgraded_in_place(c):
    """A database at schema version 2 (before admins could set a motd)
    is brought to version 3, a disabled account staying disabled; a
    motd set then outlives a restart and comes before the file's."""
    if c.pg.proc is None:
        c.pg.start()
    c.pg.create_db("v2", "v2", "v2-pw")
    s = Server(prefork=1)
    conf = s.base_conf().replace(
        'domain "example.org" {\n\tauth internal\n',
        'domain "example.org" {\n\tauth internal\n'
        '\tadmin "alice@example.org"\n\tmotd "From the file"\n')
    assert "From the file" in conf
    s.write_conf(raw='storage postgresql "%s"\n' %
                 c.conninfo("v2", "v2-pw") + conf)
    c.servers.append(s)
    s.start()
    s.wait_log(r"store: connected to PostgreSQL")
    for u in ("alice", "bob", "eve"):
        add_user(s, "%s@%s" % (u, D), u + "-pw")
    s.ctl("user", "disable", "eve@%s" % D, "kept")
    s.stop_keep()
    c.pg.psql("DROP TABLE motd; DELETE FROM schema_version WHERE "
              "version = 3", db="v2")
    s.start()
    s.wait_log(r"store: PostgreSQL schema upgraded from 2 to 3")
    assert c.pg.psql("SELECT version FROM schema_version ORDER BY "
                     "version", db="v2") == [["1"], ["2"], ["3"]]
    assert c.pg.psql("SELECT reason FROM account_state",
                     db="v2") == [["kept"]]
    assert motd_of_login(s, "bob", "bob-pw") == "From the file"
    set_motd(s, "alice", "alice-pw", "Stored on PostgreSQL")
    assert motd_of_login(s, "bob", "bob-pw") == "Stored on PostgreSQL"
    s.stop_keep()
    s.start()
    assert motd_of_login(s, "bob", "bob-pw") == "Stored on PostgreSQL"
    assert c.pg.psql("SELECT set_by FROM motd", db="v2") == \
        [["alice@example.org"]]


def test_newer_schema_is_refused(c):
    if c.pg.proc is None:
        c.pg.start()
    c.pg.create_db("future", "future", "future-pw")
    c.pg.psql("CREATE TABLE schema_version (version integer NOT NULL); "
              "INSERT INTO schema_version VALUES (99); "
              "ALTER TABLE schema_version OWNER TO future", db="future")
    s = c.server(c.conninfo("future", "future-pw"), start=False)
    s.start(wait=False)
    s.wait_log(r"schema version 99, newer than this xmppd's 3")
    assert s.wait_exit() != 0
    # Untouched: no downgrade, no table of ours.
    assert c.pg.psql("SELECT version FROM schema_version",
                     db="future") == [["99"]]
    assert c.pg.psql("SELECT count(*) FROM information_schema.tables "
                     "WHERE table_name = 'accounts'", db="future") == [["0"]]


def refuses_logins(s, conninfo_pw, log):
    """The store cannot connect, says why once, and answers logins
    temporary-auth-failure; it is still there."""
    m = s.wait_log(r"store: PostgreSQL unavailable: .*" + log)
    assert conninfo_pw not in m.string and not s.log_has(conninfo_pw)
    f = temp_failure(s, "alice", "alice-pw")
    assert "temporary-auth-failure" in f, f
    s.wait_log(r"store: PostgreSQL: .*" + log, after=s.mark())
    assert s.proc.poll() is None
    assert not s.log_has(r"sandbox violation")


def test_tls_verify_full(c):
    s = c.server(c.tls_conninfo("tlsok", "tlsok-pw"), start=False)
    # The datadir is the store's: a link planted there must not make
    # the parent (root) write through it.
    victim = os.path.join(c.pg.dir, "victim")
    os.makedirs(victim)
    os.makedirs(s.datadir, exist_ok=True)
    tls = os.path.join(s.datadir, "pg-tls")
    os.symlink(victim, tls)
    s.start()
    s.wait_log(r"store: connected to PostgreSQL")
    assert os.listdir(victim) == []
    gid = pwd.getpwnam(USER).pw_gid
    st = os.lstat(tls)
    assert stat.S_ISDIR(st.st_mode) and st.st_uid == 0 and \
        stat.S_IMODE(st.st_mode) == 0o750 and st.st_gid == gid, st
    copy = os.path.join(tls, "sslrootcert.pem")
    st = os.lstat(copy)
    assert stat.S_ISREG(st.st_mode) and st.st_uid == 0 and \
        stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == gid, st
    assert open(copy).read() == open(c.ca().crt).read()
    assert os.listdir(tls) == ["sslrootcert.pem"]
    add_user(s, "alice@%s" % D, "alice-pw")
    add_user(s, "bob@%s" % D, "bob-pw")
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "r")
    a.send("<message to='bob@%s' id='t1' type='chat'><body>over tls</body>"
           "</message><iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/>"
           "</iq>" % D)
    a.expect(r"<iq[^>]*id='p1'")
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "r")
    b.send("<presence/>")
    got = b.expect(r"<message[^>]*>.*?</message>").group(0)
    assert "over tls" in got, got
    # Archived for both, by a store that speaks TLS on every
    # connection it has.
    pg = c.pgtls()
    assert pg.psql("SELECT count(*) FROM mam WHERE xml LIKE "
                   "'%%over tls%%'", db="tlsok") == [["2"]]
    ssl = pg.ssl_clients("tlsok")
    assert ssl and all(t == "t" for t in ssl), ssl
    assert not s.log_has(r"sandbox violation|tlsok-pw")
    a.close()
    b.close()


def test_tls_wrong_ca(c):
    other = TestCA()
    ca = os.path.join(c.pg.dir, "rotated-ca.pem")
    shutil.copyfile(other.crt, ca)
    try:
        s = c.server(c.tls_conninfo("tlsca", "tlsca-pw", ca=ca))
        refuses_logins(s, "tlsca-pw", "certificate verify failed")
        assert c.pgtls().ssl_clients("tlsca") == []
        # The file gone, a reload fails and keeps the copy there was.
        os.unlink(ca)
        m = s.mark()
        assert s.ctl("reload", check=False).returncode != 0
        s.wait_log(r"sslrootcert %s: No such file" % re.escape(ca),
                   after=m)
        s.wait_log(r"reload failed \(cannot copy the PostgreSQL TLS",
                   after=m)
        # The right CA in its place: a reload copies it, and the store's
        # next try gets through.
        shutil.copyfile(c.ca().crt, ca)
        m = s.mark()
        s.ctl("reload")
        s.wait_log(r"configuration reloaded", after=m)
        s.wait_log(r"store: PostgreSQL reachable again", after=m,
                   timeout=90)
        add_user(s, "alice@%s" % D, "alice-pw")
        Raw(s.ports["client"]).login("alice", "alice-pw", "r")
    finally:
        other.close()


def test_tls_certificate_for_another_name(c):
    s = c.server(c.tls_conninfo("tlsname", "tlsname-pw",
                                host="other.test"))
    refuses_logins(s, "tlsname-pw", r"server certificate for \"db.test\" "
                   r"does not match host name \"other.test\"")
    # verify-ca checks the CA alone: the same server is good for it.
    s.stop()
    s = c.server(c.tls_conninfo("tlsca2", "tlsca2-pw", mode="verify-ca",
                                host="other.test"), up=True)
    add_user(s, "alice@%s" % D, "alice-pw")
    Raw(s.ports["client"]).login("alice", "alice-pw", "r")


def test_tls_client_certificate(c):
    """No password: the server knows the store by its certificate.  The
    key is copied into the datadir root's, readable by the store's group
    only, as libpq wants it."""
    pg = c.pgtls()
    crt, key = pg.create_cert_role("tlscert")
    ci = ("hostaddr=127.0.0.1 host=db.test port=%d dbname=tlscert "
          "user=tlscert sslmode=verify-full sslrootcert=%s sslcert=%s "
          "sslkey=%s" % (pg.port, c.ca().crt, crt, key))
    s = c.server(ci, up=True)
    add_user(s, "alice@%s" % D, "alice-pw")
    Raw(s.ports["client"]).login("alice", "alice-pw", "r")
    ssl = pg.ssl_clients("tlscert")
    assert ssl and all(t == "t" for t in ssl), ssl
    copy = os.path.join(s.datadir, "pg-tls", "sslkey.pem")
    st = os.lstat(copy)
    assert st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o640 and \
        st.st_gid == pwd.getpwnam(USER).pw_gid, st
    assert sorted(os.listdir(os.path.join(s.datadir, "pg-tls"))) == \
        ["sslcert.pem", "sslkey.pem", "sslrootcert.pem"]
    assert not s.log_has(r"sandbox violation")


def test_tls_require_without_a_ca(c):
    """require: TLS, the certificate unchecked, and no file at all for
    the store to read."""
    ci = c.tls_conninfo("tlsreq", "tlsreq-pw", mode="require")
    ci = ci[:ci.index(" sslrootcert=")]
    s = c.server(ci, up=True)
    add_user(s, "alice@%s" % D, "alice-pw")
    Raw(s.ports["client"]).login("alice", "alice-pw", "r")
    ssl = c.pgtls().ssl_clients("tlsreq")
    assert ssl and all(t == "t" for t in ssl), ssl
    assert not os.path.exists(os.path.join(s.datadir, "pg-tls",
                                           "sslrootcert.pem"))


def test_tls_required_from_a_server_without_it(c):
    if c.pg.proc is None:
        c.pg.start()
    c.pg.create_db("notls", "notls", "notls-pw")
    s = c.server(c.conninfo("notls", "notls-pw") + " sslmode=require")
    refuses_logins(s, "notls-pw", "server does not support SSL, but SSL "
                   "was required")


def roster_get(r, tag):
    r.send("<iq type='get' id='%s'><query xmlns='jabber:iq:roster'/></iq>"
           % tag)
    return r.expect(r"<iq[^>]*id='%s'[^>]*(/>|>.*?</iq>)" % tag,
                    timeout=TIMEOUT).group(0)


def test_unreadable_roster_is_not_empty(c):
    """A roster the store cannot read is never answered as an empty one:
    the router asks again a few times, then refuses the request with an
    error to retry later; alice's presence goes to no one meanwhile.
    Readable again, the next request has every item."""
    if c.pg.proc is None:
        c.pg.start()
    c.pg.create_db("ros", "ros", "ros-pw")
    s = c.server(c.conninfo("ros", "ros-pw"), up=True)
    add_user(s, "alice@%s" % D, "alice-pw")
    add_user(s, "bob@%s" % D, "bob-pw")
    for owner, contact in (("alice", "bob"), ("bob", "alice")):
        c.pg.psql("INSERT INTO roster (domain, localpart, contact, name, "
                  "subscription, ask, approved, in_roster) VALUES "
                  "('%s', '%s', '%s@%s', 'Pal', 3, 0, 0, 1)"
                  % (D, owner, contact, D), db="ros")
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "r")
    assert "alice@%s" % D in roster_get(b, "b1")
    c.pg.psql("REVOKE SELECT ON roster FROM ros", db="ros")
    mark = s.mark()
    # Its probe of alice needs her roster: it waits, then is dropped.
    b.send("<presence/>")
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "r")
    got = roster_get(a, "g1")
    assert "type='error'" in got and "<internal-server-error" in got and \
        "type='wait'" in got and "<item" not in got, got
    s.wait_log(r"store\[\d+\]: roster of alice@example.org: could not "
               r"load it", after=mark)
    s.wait_log(r"roster of alice@example.org: not read after 5 tries",
               after=mark)
    a.send("<presence/>")
    a.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
    a.expect(r"<iq[^>]*id='p1'", timeout=TIMEOUT)
    b.send("<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>")
    seen = b.expect(r"(.*?)<iq[^>]*id='p2'").group(1)
    assert "alice@" not in seen, seen
    c.pg.psql("GRANT SELECT ON roster TO ros", db="ros")
    got = roster_get(a, "g2")
    assert "type='result'" in got and "bob@%s" % D in got and \
        "name='Pal'" in got, got
    assert c.pg.psql("SELECT count(*) FROM roster", db="ros") == [["2"]]
    a.send("<presence/>")
    b.expect(r"<presence[^>]*from='alice@%s/r'" % D)
    a.close()
    b.close()


def hold_table(pg, db, table):
    """A psql session holding an exclusive lock on table: the store's
    statements on it wait until release_table()."""
    p = subprocess.Popen(
        [os.path.join(pg.bin, "psql"), "-h", "127.0.0.1", "-p",
         str(pg.port), "-U", "pgadmin", "-d", db, "-X", "-q", "-A", "-t",
         "-v", "ON_ERROR_STOP=1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    p.stdin.write("BEGIN;\nLOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n"
                  "SELECT 'held';\n" % table)
    p.stdin.flush()
    line = p.stdout.readline()
    assert line.startswith("held"), line
    return p


def waiting(pg, role):
    """Returns once a statement of role waits for a lock."""
    deadline = time.monotonic() + TIMEOUT
    while pg.psql("SELECT count(*) FROM pg_stat_activity WHERE usename = "
                  "'%s' AND wait_event_type = 'Lock'" % role) == [["0"]]:
        assert time.monotonic() < deadline, "nothing of %s waits" % role


def release_table(p):
    p.stdin.write("COMMIT;\n\\q\n")
    p.stdin.close()
    assert p.wait(timeout=TIMEOUT) == 0


def test_roster_set_kept_when_the_router_went_first(c):
    """A clean stop keeps an acknowledged roster change that the store
    reads only after the router has exited, with an answer for the
    router still queued: the store is made busy (a roster load waiting
    on a lock) while alice's change waits in its channel."""
    if c.pg.proc is None:
        c.pg.start()
    c.pg.create_db("stopped", "stopped", "stopped-pw")
    s = c.server(c.conninfo("stopped", "stopped-pw"), up=True)
    add_user(s, "alice@%s" % D, "alice-pw")
    add_user(s, "bob@%s" % D, "bob-pw")
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "r")
    roster_get(a, "a1")
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "r")
    lock = hold_table(c.pg, "stopped", "roster")
    try:
        # The store waits on bob's roster; alice's change queues behind.
        b.send("<iq type='get' id='b1'><query xmlns='jabber:iq:roster'/>"
               "</iq>")
        waiting(c.pg, "stopped")
        a.send("<iq type='set' id='s1'><query xmlns='jabber:iq:roster'>"
               "<item jid='kept@%s' name='Kept'/></query></iq>" % D)
        a.expect(r"<iq[^>]*type='result'[^>]*id='s1'|"
                 r"<iq[^>]*id='s1'[^>]*type='result'")
        router = os.pidfd_open(s.pid_of("router"))
        s.proc.send_signal(signal.SIGTERM)
        assert select.select([router], [], [], TIMEOUT)[0], \
            "the router did not exit"
        os.close(router)
    finally:
        release_table(lock)
    s.stop_keep()
    s.start()
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "r2")
    got = roster_get(a, "a2")
    assert "name='Kept'" in got, got
