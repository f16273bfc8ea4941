"""The store on PostgreSQL, against what can go wrong with it: a
conninfo the chrooted store could not use (refused by xmppd -n), a
server that is not there yet or goes away (logins get
temporary-auth-failure, messages resource-constraint, the store comes
back by itself), wrong credentials, and a database whose schema is newer
than this xmppd (refused, never downgraded)."""

import os
import subprocess

from postgres import Postgres
from rawxmpp import Raw
from xmppdtest import TIMEOUT, XMPPD, Server, add_user

D = "example.org"


class Ctx:
    def __init__(self):
        self.pg = Postgres()
        self.servers = []

    def server(self, conninfo, start=True, up=False):
        s = Server(prefork=1)
        s.write_conf(raw='storage postgresql "%s"\n' % conninfo +
                     s.base_conf())
        self.servers.append(s)
        if start:
            s.start()
        if up:
            s.wait_log(r"store: connected to PostgreSQL")
        return s

    def conninfo(self, db, password, port=None):
        return ("hostaddr=127.0.0.1 port=%d dbname=%s user=%s password=%s"
                % (port or self.pg.port, db, db, password))


def setup():
    return Ctx()


def teardown(c):
    for s in c.servers:
        s.stop()
    c.pg.close()


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
    refused("hostaddr=127.0.0.1 sslrootcert=/etc/ssl/ca.pem",
            "service files")
    refused("hostaddr=127.0.0.1 sslmode=verify-full", "sslmode")
    refused("hostaddr=127.0.0.1 port=99999", "port")
    refused("hostaddr=127.0.0.1 password=s3cret bogus=1", "does not parse")
    refused("hostaddr=127.0.0.1 password='s3cret", "does not parse")


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
    c.pg.start()
    c.pg.create_db("late", "late", "late-pw")
    s.wait_log(r"store: PostgreSQL reachable again")
    add_user(s, "alice@%s" % D, "alice-pw")
    Raw(s.ports["client"]).login("alice", "alice-pw", "r")
    assert c.pg.psql("SELECT version FROM schema_version",
                     db="late") == [["1"]]
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
    a.send("<message to='bob@%s' id='m2' type='chat'><body>again</body>"
           "</message>" % D)
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


def test_newer_schema_is_refused(c):
    if c.pg.proc is None:
        c.pg.start()
    c.pg.create_db("future", "future", "future-pw")
    c.pg.psql("CREATE TABLE schema_version (version integer NOT NULL); "
              "INSERT INTO schema_version VALUES (99); "
              "ALTER TABLE schema_version OWNER TO future", db="future")
    s = c.server(c.conninfo("future", "future-pw"), start=False)
    s.start(wait=False)
    s.wait_log(r"schema version 99, newer than this xmppd's 1")
    assert s.wait_exit() != 0
    # Untouched: no downgrade, no table of ours.
    assert c.pg.psql("SELECT version FROM schema_version",
                     db="future") == [["99"]]
    assert c.pg.psql("SELECT count(*) FROM information_schema.tables "
                     "WHERE table_name = 'accounts'", db="future") == [["0"]]
