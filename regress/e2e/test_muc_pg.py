"""mucd on PostgreSQL ("muc storage postgresql"), with a role and a
database of its own: rooms, affiliations, history and the room archive
kept across a kill -9 of mucd; a conninfo the chrooted mucd could not
use refused by xmppd -n; a server not there yet (the rooms refuse until
it is, the rest of xmppd serves) or gone away (rooms go on
in memory, what would be written is refused); and a schema newer than
this mucd knows, refused.  Room archive queries run on a connection of
their own: one held in PostgreSQL (the regress build makes each first
take a shared advisory lock, which the test holds) stalls no occupant,
and its connection killed under it answers the querier with an error
of type wait while mucd connects again.  The archive writes of one read
share a commit; the database refusing one loses no other."""

import os
import re
import subprocess
import sys
import time

from postgres import Postgres
from testca import TestCA
from xmppdtest import TIMEOUT, XMPPD, Server, add_user

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_muc import (NS_MUC, create, error_of, join, kill_mucd,  # noqa
                      login, self_presence)

KEEP = "persist.example.org"
TEMP = "conference.example.org"
USERS = ("alice", "bob", "carol")
GATE = 7823099          # the regress build's lock (common/pgmam.c)


class Ctx:
    def __init__(self):
        self.pg = Postgres().start()
        self.servers = []
        self.n = 0
        self.ca = None
        self.pgtls = None

    def tls(self, ca=None, host="db.test"):
        """A role and database on a second server, speaking TLS with a
        certificate for db.test: the conninfo to reach it with
        verify-full."""
        if self.pgtls is None:
            self.ca = TestCA()
            self.pgtls = Postgres(ssl=self.ca).start()
        self.n += 1
        name = "mucs%d" % self.n
        self.pgtls.create_db(name, name, "pw-" + name)
        return name, ("hostaddr=127.0.0.1 host=%s port=%d dbname=%s "
                      "user=%s password=pw-%s sslmode=verify-full "
                      "sslrootcert=%s" % (host, self.pgtls.port, name, name,
                                          name, ca or self.ca.crt))

    def db(self):
        """A role owning a new database: mucd's, nothing else."""
        self.n += 1
        name = "mucd%d" % self.n
        self.pg.create_db(name, name, "pw-" + name)
        return name

    def conninfo(self, name, port=None):
        return ("hostaddr=127.0.0.1 port=%d dbname=%s user=%s password=%s"
                % (port or self.pg.port, name, name, "pw-" + name))

    def server(self, conninfo, start=True):
        s = Server(prefork=1)
        s.write_conf(raw='muc storage postgresql "%s"\n' % conninfo +
                     s.base_conf() +
                     'muc "%s" {\n\trooms persistent\n}\n'
                     'muc "%s" {\n}\n' % (KEEP, TEMP))
        self.servers.append(s)
        if start:
            s.start()
            s.wait_log(r"muc db: connected to PostgreSQL")
            for u in USERS:
                add_user(s, "%s@example.org" % u, u + "-pw")
        return s


def setup():
    return Ctx()


def teardown(c):
    for s in c.servers:
        s.stop()
    c.pg.close()
    if c.pgtls is not None:
        c.pgtls.close()
        c.ca.close()


def rows(c, db, sql):
    return c.pg.psql(sql, db=db)


def say(a, b, room, text):
    a.send("<message to='%s' type='groupchat'><body>%s</body></message>"
           % (room, text))
    return b.expect(r"<message[^>]*from='%s/[^']*'.*?<body>%s</body>.*?"
                    r"</message>" % (re.escape(room), text)).group(0)


def logging_on(a, room):
    a.send("<iq type='set' id='log' to='%s'><query xmlns='%s#owner'>"
           "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
           "<value>http://jabber.org/protocol/muc#roomconfig</value>"
           "</field><field var='muc#roomconfig_enablelogging'><value>1"
           "</value></field></x></query></iq>" % (room, NS_MUC))
    r = a.expect(r"<iq[^>]*id='log'[^>]*(?:/>|>.*?</iq>)").group(0)
    assert "type='result'" in r, r


def archive(c, room):
    """The bodies of the room's archive, as a MAM query answers."""
    c.send("<iq type='set' id='mq' to='%s'><query xmlns='urn:xmpp:mam:2' "
           "queryid='q'/></iq>" % room)
    before = c.expect(r"(.*?)<iq[^>]*id='mq'[^>]*>.*?</iq>")
    assert "type='result'" in before.group(0), before.group(0)
    return re.findall(r"<result[^>]*queryid='q'.*?<body>([^<]*)</body>",
                      before.group(1))


def check_conf(text):
    s = Server(prefork=1)
    try:
        s.write_conf(raw=text.replace("@DATADIR@", s.datadir) +
                     s.base_conf())
        return subprocess.run([XMPPD, "-nn", "-f", s.conf],
                              capture_output=True, text=True,
                              timeout=TIMEOUT)
    finally:
        s.stop()


def test_check_of_the_conninfo(c):
    p = check_conf('muc storage postgresql "hostaddr=127.0.0.1 port=5432 '
                   'dbname=m user=m password=s3cret"\n')
    assert p.returncode == 0, p.stderr
    assert 'muc storage postgresql "hostaddr=127.0.0.1' in p.stdout, \
        p.stdout
    assert "s3cret" not in p.stdout + p.stderr
    for ci, why in (("host=db.example.org dbname=m password=s3cret",
                     "hostaddr"),
                    ("hostaddr=db.example.org dbname=m", "numeric"),
                    ("hostaddr=127.0.0.1 sslmode=prefer", "fall back"),
                    ("hostaddr=127.0.0.1 host=db.test sslmode=verify-full "
                     "sslrootcert=/nonexistent/ca.pem",
                     "sslrootcert /nonexistent/ca.pem"),
                    ("host=@DATADIR@/pg dbname=m", "datadir")):
        p = check_conf('muc storage postgresql "%s"\n' % ci)
        assert p.returncode != 0 and why in p.stderr and \
            "muc: storage postgresql" in p.stderr, (ci, p.stderr)
        assert "s3cret" not in p.stderr, p.stderr


def test_rooms_survive_kill9(c):
    db = c.db()
    s = c.server(c.conninfo(db))
    s.wait_log(r"muc db: PostgreSQL schema 1 created")
    assert rows(c, db, "SELECT version FROM schema_version") == [["1"]]
    room = "keep@" + KEEP
    a, b = login(s, "alice"), login(s, "bob")
    create(a, room, "Alice")
    logging_on(a, room)
    a.send("<iq type='set' id='aff' to='%s'><query xmlns='%s#admin'>"
           "<item affiliation='outcast' jid='carol@example.org'/>"
           "</query></iq>" % (room, NS_MUC))
    assert "type='result'" in a.expect(
        r"<iq[^>]*id='aff'[^>]*(?:/>|>.*?</iq>)").group(0)
    join(b, room, "Bob")
    self_presence(b)
    say(a, b, room, "kept")
    assert rows(c, db, "SELECT name FROM rooms WHERE service = '%s'" %
                KEEP) == [["keep"]]
    assert ["carol@example.org", "outcast"] in rows(
        c, db, "SELECT jid, affiliation FROM affiliations")
    m = s.mark()
    kill_mucd(s)
    s.wait_log(r"muc db: connected to PostgreSQL", after=m)
    # The room, its owner, its outcast, its history and its archive.
    join(b, room, "Bob")
    p = self_presence(b)
    assert "code='201'" not in p, p
    b.expect(r"<message[^>]*>(?:(?!</message>).)*<body>kept</body>")
    assert archive(b, room) == ["kept"]
    cl = login(s, "carol")
    join(cl, room, "Carol")
    e = error_of(cl)
    assert "<forbidden" in e, e
    for x in (a, b, cl):
        x.close()


def test_server_away_then_back(c):
    """Gone under a running mucd: temporary rooms go on, a room that
    would be written is refused; back, mucd uses it again by itself."""
    db = c.db()
    s = c.server(c.conninfo(db))
    a, b = login(s, "alice"), login(s, "bob")
    m = s.mark()
    c.pg.stop()
    create(a, "chat@" + TEMP, "Alice")
    join(b, "chat@" + TEMP, "Bob")
    self_presence(b)
    say(a, b, "chat@" + TEMP, "in memory")
    join(a, "new@" + KEEP, "Alice")
    self_presence(a)
    a.send("<iq type='set' id='inst2' to='new@%s'><query xmlns='%s#owner'>"
           "<x xmlns='jabber:x:data' type='submit'/></query></iq>" %
           (KEEP, NS_MUC))
    r = a.expect(r"<iq[^>]*id='inst2'[^>]*(?:/>|>.*?</iq>)").group(0)
    assert "type='error'" in r, r
    s.wait_log(r"muc db: PostgreSQL unavailable", after=m)
    c.pg.start()
    s.wait_log(r"muc db: PostgreSQL reachable again", after=m)
    create(a, "later@" + KEEP, "Alice")
    assert ["later"] in rows(c, db, "SELECT name FROM rooms")
    assert s.proc.poll() is None
    a.close()
    b.close()


def test_server_not_there_yet(c):
    """xmppd starts and serves; the rooms of mucd refuse, as not known
    yet, until the database is there, then are read from it."""
    late = Postgres()
    try:
        s = c.server(c.conninfo("late", late.port), start=False)
        s.start()
        add_user(s, "alice@example.org", "alice-pw")
        s.wait_log(r"muc db: PostgreSQL unavailable")
        a = login(s, "alice")
        join(a, "early@" + TEMP, "Alice")
        e = error_of(a)
        assert "<resource-constraint" in e and "type='wait'" in e, e
        late.start()
        late.create_db("late", "late", "pw-late")
        s.wait_log(r"muc db: PostgreSQL reachable again", timeout=30)
        create(a, "early@" + TEMP, "Alice")
        a.close()
    finally:
        late.close()


def test_wrong_password_refused(c):
    db = c.db()
    s = c.server(c.conninfo(db).replace("pw-" + db, "pw-wr0ng-x"),
                 start=False)
    s.start()
    s.wait_log(r"muc db: PostgreSQL unavailable: .*password "
               r"authentication failed")
    assert not s.log_has("pw-wr0ng-x")
    assert s.proc.poll() is None


def test_newer_schema_refused(c):
    db = c.db()
    s = c.server(c.conninfo(db))
    rows(c, db, "INSERT INTO schema_version VALUES (7, 0)")
    m = s.mark()
    os_kill_mucd(s)
    s.wait_log(r"muc db: the PostgreSQL database has schema version 7, "
               r"newer than 1, the newest this mucd knows", after=m)
    assert rows(c, db, "SELECT version FROM schema_version ORDER BY 1") == \
        [["1"], ["7"]]
    assert s.proc.poll() is None
    add_user(s, "dave@example.org", "dave-pw")


def os_kill_mucd(s):
    import signal
    os.kill(s.pid_of("mucd"), signal.SIGKILL)


# -- room archive queries on their own connection ---------------------------

def talking_room(c):
    """A server, a logging persistent room where alice and bob are, and
    three messages archived; made once for the tests below."""
    if getattr(c, "talk", None) is None:
        db = c.db()
        s = c.server(c.conninfo(db))
        room = "talk@" + KEEP
        a, b = login(s, "alice"), login(s, "bob")
        create(a, room, "Alice")
        logging_on(a, room)
        join(b, room, "Bob")
        self_presence(b)
        for i in range(3):
            say(a, b, room, "early %d" % i)
        c.talk = (db, s, room, a, b)
    return c.talk


def archived(c, db, text):
    return int(rows(c, db, "SELECT count(*) FROM muc_mam WHERE xml LIKE "
                    "'%%%s%%'" % text)[0][0])


def hold_gate(c, db):
    """A psql session holding the lock until it ends."""
    return c.pg.hold_lock(GATE, db=db)


def release_gate(p):
    Postgres.release_lock(p)


def waiting(c, db):
    """The pids of mucd's statements waiting for the test's lock."""
    return [r[0] for r in rows(
        c, db, "SELECT pid FROM pg_stat_activity WHERE datname = '%s' "
        "AND wait_event_type = 'Lock' AND query LIKE "
        "'%%pg_advisory_xact_lock_shared(%d)%%'" % (db, GATE))]


def held(c, db):
    """The pid of the one statement of mucd waiting for the lock, once
    PostgreSQL shows it waiting (mucd has sent it: it may not have
    started yet)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        pids = waiting(c, db)
        if len(pids) == 1 or time.monotonic() > deadline:
            break
    assert len(pids) == 1, pids
    return pids[0]


def query_sent(s, mark):
    """mucd has sent an archive query to PostgreSQL (it logs each step
    it sends), where the held lock stops it."""
    s.wait_log(r"mucd\[\d+\]: mam: archive query step \d+ sent",
               after=mark)


def ask(c, room, qid):
    c.send("<iq type='set' id='%s' to='%s'><query xmlns='urn:xmpp:mam:2' "
           "queryid='%s'/></iq>" % (qid, room, qid))


def answer(c, qid):
    """What c got up to the iq answering qid: its results come first."""
    m = c.expect(r"<iq[^>]*id='%s'.*?(/>|</iq>)" % qid)
    return m.string[:m.end()]


def held_query(c, qid):
    """alice's archive query, sent and held in PostgreSQL by the lock;
    returns the psql session that holds it."""
    db, s, room, a, b = talking_room(c)
    gate = hold_gate(c, db)
    try:
        mark = s.mark()
        ask(a, room, qid)
        query_sent(s, mark)
    except BaseException:
        release_gate(gate)
        raise
    return gate


def test_slow_room_archive_query_stalls_nobody(c):
    db, s, room, a, b = talking_room(c)
    gate = held_query(c, "slow")
    try:
        # Meanwhile: the room talks, is archived, and is joined.
        for i in range(4):
            say(b, a, room, "meanwhile %d" % i)
        cl = login(s, "carol")
        join(cl, room, "Carol")
        self_presence(cl)
        say(cl, b, room, "carol here")
        other = "other@" + TEMP
        create(cl, other, "Carol")
        assert archived(c, db, "meanwhile") == 4
        assert archived(c, db, "carol here") == 1
        # All of that while alice's query still waited, unanswered.
        held(c, db)
        seen = a.expect(r"(.*?)<body>carol here</body>").group(1)
        assert "id='slow'" not in seen, seen
    finally:
        release_gate(gate)
    got = answer(a, "slow")
    assert "type='result'" in got and "<fin" in got, got
    for i in range(3):
        assert "early %d" % i in got, got
    assert s.proc.poll() is None
    cl.close()


def test_query_connection_killed_under_a_query(c):
    db, s, room, a, b = talking_room(c)
    mark = s.mark()
    gate = held_query(c, "cut")
    try:
        rows(c, db, "SELECT pg_terminate_backend(%s)" % held(c, db))
        got = answer(a, "cut")
        assert "type='error'" in got and "type='wait'" in got, got
        assert "early 0" not in got, got
        # mucd connects the archive's connection again by itself.
        s.wait_log(r"mucd\[\d+\]: muc archive: connected to PostgreSQL",
                   after=mark)
    finally:
        release_gate(gate)
    mark = s.mark()
    ask(a, room, "again")
    got = answer(a, "again")
    assert "type='result'" in got and "early 2" in got, got
    query_sent(s, mark)
    say(a, b, room, "still here")
    assert s.proc.poll() is None


def test_queries_in_flight_are_bounded(c):
    """A client sending query after query while they are held: past 64
    in flight, one is refused at once with an error of type wait; those
    held are each answered once the lock goes."""
    db, s, room, a, b = talking_room(c)
    mark = s.mark()
    gate = held_query(c, "f0")
    try:
        a.send("".join("<iq type='set' id='f%d' to='%s'><query xmlns="
                       "'urn:xmpp:mam:2' queryid='f%d'/></iq>" % (i, room, i)
                       for i in range(1, 70)))
        for i in range(64, 70):
            got = answer(a, "f%d" % i)
            assert "type='error'" in got and "type='wait'" in got, got
        s.wait_log(r"muc archive: too many archive queries running",
                   after=mark)
        say(b, a, room, "not stalled")
        held(c, db)
    finally:
        release_gate(gate)
    got = "".join(answer(a, "f%d" % i) for i in range(64))
    assert got.count("type='result'") == 64, got
    assert got.count("<fin") == 64 and "type='error'" not in got
    assert s.proc.poll() is None


def test_a_refused_write_loses_no_other(c):
    """A burst of messages, one the database refuses: the others are
    archived, in fewer transactions than there are messages (the writes
    of one read share a commit: a trigger notes each row's)."""
    db, s, room, a, b = talking_room(c)
    rows(c, db, "CREATE TABLE regress_tx (tx bigint, xml text)")
    rows(c, db, "GRANT ALL ON regress_tx TO %s" % db)
    rows(c, db, "CREATE FUNCTION regress_tx() RETURNS trigger AS $$ BEGIN "
         "INSERT INTO regress_tx VALUES (txid_current(), NEW.xml); "
         "RETURN NEW; END $$ LANGUAGE plpgsql")
    rows(c, db, "CREATE TRIGGER regress_tx AFTER INSERT ON muc_mam FOR "
         "EACH ROW EXECUTE FUNCTION regress_tx()")
    rows(c, db, "ALTER TABLE muc_mam ADD CONSTRAINT regress_poison CHECK "
         "(xml NOT LIKE '%poison%')")
    try:
        n = 12
        a.send("".join("<message to='%s' type='groupchat'><body>%s %d"
                       "</body></message>" % (room, "poison" if i == 5
                                             else "burst", i)
                       for i in range(n)))
        for i in range(n):
            b.expect(r"<body>%s %d</body>" % ("poison" if i == 5 else
                                               "burst", i))
        s.wait_log(r"muc db: mam_put: .*regress_poison")
        say(a, b, room, "all said")
        assert archived(c, db, "poison") == 0
        got = rows(c, db, "SELECT xml FROM muc_mam WHERE xml LIKE "
                   "'%burst%'")
        for i in range(n):
            if i != 5:
                assert any("burst %d<" % i in r[0] for r in got), (i, got)
        tx = rows(c, db, "SELECT count(DISTINCT tx) FROM regress_tx WHERE "
                  "xml LIKE '%burst%'")
        assert int(tx[0][0]) < n - 1, tx
        assert s.proc.poll() is None
    finally:
        rows(c, db, "ALTER TABLE muc_mam DROP CONSTRAINT regress_poison")
        rows(c, db, "DROP TRIGGER regress_tx ON muc_mam")

def test_failed_expiry_is_retried_soon(c):
    """A room archive expiry the database refuses is logged and tried
    again soon (a minute; seconds in the regress build), not at the
    next hour; then the old rows go."""
    db = c.db()
    s = Server(prefork=1)
    s.write_conf(raw='muc storage postgresql "%s"\n' % c.conninfo(db) +
                 s.base_conf() +
                 'muc "%s" {\n\trooms persistent\n\tarchive expire 1d\n}\n'
                 % KEEP)
    c.servers.append(s)
    s.start()
    s.wait_log(r"muc db: connected to PostgreSQL")
    rows(c, db, "CREATE FUNCTION regress_noexpire() RETURNS trigger AS $$ "
         "BEGIN RAISE EXCEPTION 'regress_noexpire'; END $$ LANGUAGE "
         "plpgsql")
    rows(c, db, "CREATE TRIGGER regress_noexpire BEFORE DELETE ON muc_mam "
         "FOR EACH STATEMENT EXECUTE FUNCTION regress_noexpire()")
    m = s.mark()
    kill_mucd(s)
    s.wait_log(r"room archive expiry of %s failed, again in \d+ seconds"
               % re.escape(KEEP), after=m)
    m = s.mark()
    rows(c, db, "DROP TRIGGER regress_noexpire ON muc_mam")
    s.wait_log(r"room archive expiry: nothing to delete", after=m)
    assert s.proc.poll() is None


def test_tls_verify_full(c):
    """mucd's own connection in TLS, the server's name checked: rooms
    and their archive kept there, again after mucd restarts (its copy
    of the CA is in its chroot)."""
    db, conninfo = c.tls()
    s = c.server(conninfo)
    room = "tls@" + KEEP
    a, b = login(s, "alice"), login(s, "bob")
    create(a, room, "Alice")
    logging_on(a, room)
    join(b, room, "Bob")
    self_presence(b)
    say(a, b, room, "sealed")
    m = s.mark()
    kill_mucd(s)
    s.wait_log(r"muc db: connected to PostgreSQL", after=m)
    b2 = login(s, "bob")
    join(b2, room, "Bob2")
    self_presence(b2)
    assert archive(b2, room) == ["sealed"]
    assert c.pgtls.psql("SELECT name FROM rooms", db=db) == [["tls"]]
    ssl = c.pgtls.ssl_clients(db)
    assert ssl and all(t == "t" for t in ssl), ssl
    assert not s.log_has(r"sandbox violation|pw-" + db)
    for x in (a, b, b2):
        x.close()


def test_tls_wrong_ca_refused(c):
    """A server whose certificate the CA did not sign: mucd never
    connects, says why, and its rooms refuse as when the server is
    away; the rest of xmppd serves."""
    other = TestCA()
    try:
        db, conninfo = c.tls(ca=other.crt)
        s = c.server(conninfo, start=False)
        s.start()
        add_user(s, "alice@example.org", "alice-pw")
        s.wait_log(r"muc db: PostgreSQL unavailable: .*certificate verify "
                   r"failed")
        a = login(s, "alice")
        join(a, "early@" + TEMP, "Alice")
        e = error_of(a)
        assert "<resource-constraint" in e and "type='wait'" in e, e
        assert c.pgtls.ssl_clients(db) == []
        assert s.proc.poll() is None and not s.log_has("pw-" + db)
        a.close()
    finally:
        other.close()
