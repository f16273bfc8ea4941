"""Message archives on PostgreSQL under load.  A slow archive query
stalls nobody: the store sends archive queries on a connection of their
own and answers them when their rows come.  The regress build makes
each such query first take a shared advisory lock; the test holds it, so that alice's query waits in
PostgreSQL for as long as the test likes, while bob and carol log in and
exchange messages that the store archives, and alice herself is answered
a ping.  Released, the query answers with alice's archive."""

from postgres import Postgres
from rawxmpp import Raw
from xmppdtest import Server, add_user

D = "example.org"
GATE = 7823099          # the regress build's lock (common/pgmam.c)
NS = "urn:xmpp:mam:2"


class Ctx:
    def __init__(self):
        self.pg = Postgres().start()
        self.pg.create_db("slowmam", "slowmam", "slowmam-pw")
        self.s = Server(prefork=1)
        conf = self.s.base_conf().replace(
            'domain "example.org" {\n\tauth internal\n}',
            'domain "example.org" {\n\tauth internal\n'
            '\tarchive default always\n}')
        assert "archive default always" in conf
        self.s.write_conf(raw='storage postgresql "hostaddr=127.0.0.1 '
                          'port=%d dbname=slowmam user=slowmam '
                          'password=slowmam-pw"\n' % self.pg.port + conf)
        self.s.start()
        self.s.wait_log(r"store: connected to PostgreSQL")
        self.gate = None

    def close(self):
        if self.gate is not None:
            self.gate.kill()
            self.gate.wait()
        self.s.stop()
        self.pg.close()


def setup():
    return Ctx()


def teardown(c):
    c.close()


def hold_gate(c):
    """A psql session holding the lock until it ends."""
    c.gate = c.pg.hold_lock(GATE, db="slowmam")
    return c.gate


def release_gate(c):
    c.pg.release_lock(c.gate)
    c.gate = None


def waiting_queries(c):
    """The store's statements waiting for the test's lock."""
    return int(c.pg.psql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'slowmam' "
        "AND wait_event_type = 'Lock' AND query LIKE "
        "'%%pg_advisory_xact_lock_shared(%d)%%'" % GATE)[0][0])


def query_sent(c, mark):
    """The store has sent an archive query to PostgreSQL, where the
    held lock stops it (the store logs each step it sends)."""
    c.s.wait_log(r"store\[\d+\]: mam: archive query step \d+ sent",
                 after=mark)


def answer(r, id):
    """What r got up to the iq answering id: the results come first."""
    m = r.expect(r"<iq[^>]*id='%s'.*?(/>|</iq>)" % id)
    return m.string[:m.end()]


def login(s, user):
    r = Raw(s.ports["client"])
    r.login(user, user + "-pw", "r")
    r.send("<presence/><iq type='get' id='sync' to='%s'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>" % D)
    r.expect(r"<iq[^>]*id='sync'")
    return r


def archived(c, user):
    return int(c.pg.psql("SELECT count(*) FROM mam WHERE localpart = '%s'"
                         % user, db="slowmam")[0][0])


def test_slow_query_stalls_nobody(c):
    s = c.s
    for u in ("alice", "bob", "carol"):
        add_user(s, "%s@%s" % (u, D), u + "-pw")
    a = login(s, "alice")
    for i in range(3):
        a.send("<message to='alice@%s' id='self%d' type='chat'>"
               "<body>note %d</body></message>" % (D, i, i))
        a.expect(r"<message[^>]*id='self%d'" % i)
    assert archived(c, "alice") == 3

    hold_gate(c)
    mark = s.mark()
    a.send("<iq type='set' id='q1'><query xmlns='%s' queryid='slow'/></iq>"
           % NS)
    query_sent(c, mark)

    # Meanwhile: logins, and messages, archived.
    b = login(s, "bob")
    k = login(s, "carol")
    for i in range(5):
        b.send("<message to='carol@%s' id='bc%d' type='chat'>"
               "<body>hello %d</body></message>" % (D, i, i))
        k.expect(r"<message[^>]*id='bc%d'[^>]*>.*?hello %d" % (i, i))
        k.send("<message to='bob@%s' id='cb%d' type='chat'>"
               "<body>back %d</body></message>" % (D, i, i))
        b.expect(r"<message[^>]*id='cb%d'[^>]*>.*?back %d" % (i, i))
    # alice's own next stanza waits for her query: a session's
    # stanzas are handled in order (RFC 6120 section 10.1).
    a.send("<iq type='get' id='p1' to='%s'><ping xmlns='urn:xmpp:ping'/>"
           "</iq>" % D)
    assert archived(c, "bob") == 10 and archived(c, "carol") == 10
    # All of that while alice's query still waited, unanswered.
    assert waiting_queries(c) == 1

    release_gate(c)
    got = answer(a, "q1")
    a.expect(r"<iq[^>]*id='p1'")
    for i in range(3):
        assert "note %d" % i in got, got
    assert "<fin" in got and "complete='true'" in got, got
    assert s.proc.poll() is None
    for r in (a, b, k):
        r.close()


def test_queries_queue_behind_the_slow_one(c):
    """Several queries waiting at once each get their own answer, in any
    order; the connection they share is not confused."""
    s = c.s
    a = login(s, "alice")
    b = login(s, "bob")
    hold_gate(c)
    mark = s.mark()
    a.send("<iq type='set' id='qa'><query xmlns='%s' queryid='a'/></iq>"
           % NS)
    b.send("<iq type='set' id='qb'><query xmlns='%s' queryid='b'>"
           "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
           "<value>%s</value></field><field var='with'><value>carol@%s"
           "</value></field></x></query></iq>" % (NS, NS, D))
    query_sent(c, mark)
    release_gate(c)
    ga = answer(a, "qa")
    gb = answer(b, "qb")
    assert "note 0" in ga and "hello" not in ga, ga
    assert "queryid='b'" in gb and "hello 0" in gb and "back 4" in gb and \
        "note" not in gb, gb
    a.close()
    b.close()


def copies(c, text):
    return sorted(r[0] for r in c.pg.psql(
        "SELECT localpart FROM mam WHERE xml LIKE '%%%s%%'" % text,
        db="slowmam"))


def test_a_refused_write_loses_no_other(c):
    """Both copies of a message (sender's, recipient's) are written in
    the same read, so in one transaction: the database refusing one of
    them must not take the other with it."""
    s = c.s
    c.pg.psql("ALTER TABLE mam ADD CONSTRAINT regress_poison CHECK "
              "(xml NOT LIKE '%poison-' || localpart || '%')", db="slowmam")
    try:
        a = login(s, "alice")
        b = login(s, "bob")
        for who in ("bob", "alice", "nobody"):
            a.send("<message to='bob@%s' id='p-%s' type='chat'>"
                   "<body>poison-%s</body></message>" % (D, who, who))
            b.expect(r"<message[^>]*id='p-%s'" % who)
        # alice's next stanza is handled once the store kept the last.
        a.send("<iq type='get' id='p2' to='%s'><ping xmlns='urn:xmpp:"
               "ping'/></iq>" % D)
        a.expect(r"<iq[^>]*id='p2'")
        assert copies(c, "poison-bob") == ["alice"]
        assert copies(c, "poison-alice") == ["bob"]
        assert copies(c, "poison-nobody") == ["alice", "bob"]
        s.wait_log(r"store: m_put: .*regress_poison")
        assert s.proc.poll() is None
        a.close()
        b.close()
    finally:
        c.pg.psql("ALTER TABLE mam DROP CONSTRAINT regress_poison",
                  db="slowmam")
