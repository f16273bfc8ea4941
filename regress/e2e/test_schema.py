"""Schema versions of the SQLite databases: a new datadir records its
version; a database from a later xmppd is refused, the daemon exiting
with a line naming the file and both versions, and left as it was; a
database from before schema_version is taken as version 1 and upgraded
in place, its accounts still logging in."""

import os
import sqlite3

from rawxmpp import Raw, motd_at_login
from xmppdtest import Server, add_user

MUC = "conference.example.org"


def setup():
    return None


def _db(path):
    return sqlite3.connect(path, timeout=10)


def _versions(path):
    db = _db(path)
    try:
        return [r[0] for r in db.execute(
            "SELECT version FROM schema_version ORDER BY version")]
    finally:
        db.close()


def _one(path, sql):
    """The first column of sql's first row."""
    db = _db(path)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def _store(s):
    return os.path.join(s.datadir, "xmppd.db")


def _restart_with(s, path, *sql):
    """Stop s, run sql on its database path, start it without waiting
    for its startup to finish."""
    s.stop_keep()
    db = _db(path)
    for q in sql:
        db.execute(q)
    db.commit()
    db.close()
    s.start(wait=False)


def test_new_database_records_its_version(_):
    s = Server(prefork=1)
    try:
        s.start()
        assert s.log_has(r"store: %s: created at schema version 3" %
                         _store(s)), s.log_tail()
        assert _versions(_store(s)) == [1, 2, 3]
        assert _one(_store(s), "SELECT value FROM meta WHERE key = "
                    "'schema'") == "3"
    finally:
        s.stop()


def test_future_store_refused(_):
    """The store exits with the file and both versions named, xmppd with
    it, and the database is not touched."""
    s = Server(prefork=1)
    try:
        s.start()
        add_user(s, "alice@example.org", "alice-pw")
        _restart_with(s, _store(s),
                      "INSERT INTO schema_version VALUES (99, 0)",
                      "CREATE TABLE from_the_future (x)")
        s.wait_log(r"store: %s: schema version 99 is newer than 3, the "
                   r"newest this xmppd knows: not downgraded" % _store(s))
        assert s.wait_exit() == 1
        assert not s.log_has(r"startup finished")
        assert _versions(_store(s)) == [1, 2, 3, 99]
        assert _one(_store(s), "SELECT count(*) FROM accounts") == 1
        assert _one(_store(s), "SELECT count(*) FROM sqlite_master WHERE "
                    "name = 'from_the_future'") == 1
    finally:
        s.stop()


def _pre_versioning(s, keep_meta):
    """A datadir whose store database has today's tables, accounts, an
    offline message, and no schema_version: as xmppd left it before
    versions were recorded (with its meta row, or older still without
    it)."""
    s.start()
    add_user(s, "alice@example.org", "alice-pw")
    add_user(s, "bob@example.org", "bob-pw")
    c = Raw(s.ports["client"])
    c.login("alice", "alice-pw", "r")
    c.send("<message to='bob@example.org' type='chat' id='m1'>"
           "<body>kept across the upgrade</body></message>")
    # A ping answered after the message: the store has it.
    c.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
    c.expect(r"<iq[^>]*id='p1'")
    c.close()
    s.stop_keep()
    assert _one(_store(s), "SELECT count(*) FROM offline") == 1
    db = _db(_store(s))
    db.execute("DROP TABLE schema_version")
    # Steps 2 and 3's tables, which a database of then did not have.
    db.execute("DROP TABLE account_state")
    db.execute("DROP TABLE motd")
    if keep_meta:
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    else:
        db.execute("DROP TABLE meta")
        # A table of step 1 this older database lacks.
        db.execute("DROP TABLE roster_version")
    db.commit()
    db.close()


def _upgraded(s):
    """Started on that datadir: upgraded, and its data is there: both
    accounts log in with their passwords, bob gets his message."""
    s.start()
    s.wait_log(r"store: %s: made before schema versions, taken as "
               r"version 1 and brought to version 3" % _store(s))
    assert _versions(_store(s)) == [1, 2, 3]
    c = Raw(s.ports["client"])
    assert c.login("alice", "alice-pw", "r") == "alice@example.org/r"
    c.close()
    c = Raw(s.ports["client"])
    assert c.login("bob", "bob-pw", "r") == "bob@example.org/r"
    c.send("<presence/>")
    c.expect(r"<message[^>]*>.*?kept across the upgrade.*?</message>")
    c.close()


def test_pre_versioning_store_upgraded(_):
    """A database with meta's schema row, as xmppd wrote it before."""
    s = Server(prefork=1)
    try:
        _pre_versioning(s, keep_meta=True)
        _upgraded(s)
        assert _one(_store(s), "SELECT value FROM meta WHERE key = "
                    "'schema'") == "3"
        # Started again, it is simply at version 3.
        s.stop_keep()
        s.start()
        assert not s.log_has(r"made before schema versions")
        assert _versions(_store(s)) == [1, 2, 3]
    finally:
        s.stop()


def test_older_store_gets_missing_tables(_):
    """Older still: no meta table, and a table of step 1 missing; step 1
    runs again and creates it, the account kept."""
    s = Server(prefork=1)
    try:
        _pre_versioning(s, keep_meta=False)
        _upgraded(s)
        assert _one(_store(s), "SELECT count(*) FROM sqlite_master WHERE "
                    "name IN ('roster_version', 'meta')") == 2
    finally:
        s.stop()


def test_version_1_store_upgraded_in_place(_):
    """A store at schema version 1 (before accounts could be disabled)
    is brought to version 3 in place: its accounts log in, and can be
    disabled."""
    s = Server(prefork=1)
    try:
        s.start()
        add_user(s, "alice@example.org", "alice-pw")
        s.stop_keep()
        db = _db(_store(s))
        db.execute("DROP TABLE account_state")
        db.execute("DROP TABLE motd")
        db.execute("DELETE FROM schema_version WHERE version >= 2")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
        db.commit()
        db.close()
        s.start()
        s.wait_log(r"store: %s: schema upgraded from version 1 to 3" %
                   _store(s))
        assert _versions(_store(s)) == [1, 2, 3]
        c = Raw(s.ports["client"])
        assert c.login("alice", "alice-pw", "r") == "alice@example.org/r"
        c.close()
        s.ctl("user", "disable", "alice@example.org", "upgraded")
        assert _one(_store(s), "SELECT reason FROM account_state") == \
            "upgraded"
    finally:
        s.stop()


ADMIN = "http://jabber.org/protocol/admin"


def _motd_conf(s):
    conf = s.base_conf().replace(
        'domain "example.org" {\n\tauth internal\n',
        'domain "example.org" {\n\tauth internal\n'
        '\tadmin "alice@example.org"\n\tmotd "From the file"\n')
    assert "From the file" in conf
    s.write_conf(raw=conf)


def _motd_of_login(s, user, pw):
    return motd_at_login(s.ports["client"], user, pw, "m")


def _set_motd(s, text):
    c = Raw(s.ports["client"])
    c.login("alice", "alice-pw", "adm")
    c.send("<iq type='set' id='s1' to='example.org'><command xmlns='"
           "http://jabber.org/protocol/commands' node='%s#set-motd'/></iq>"
           % ADMIN)
    sid = c.expect(r"sessionid='([^']+)'").group(1)
    c.send("<iq type='set' id='s2' to='example.org'><command xmlns='"
           "http://jabber.org/protocol/commands' node='%s#set-motd' "
           "sessionid='%s'><x xmlns='jabber:x:data' type='submit'>"
           "<field var='motd'><value>%s</value></field></x></command></iq>"
           % (ADMIN, sid, text))
    m = c.expect(r"<iq[^>]*id='s2'.*?</iq>")
    c.close()
    assert "status='completed'" in m.group(0), m.group(0)


def test_version_2_store_upgraded_in_place(_):
    """A store at schema version 2 (before admins could set a motd) is
    brought to version 3 in place, a disabled account staying disabled;
    a motd set then outlives a restart and comes before the file's."""
    s = Server(prefork=1)
    try:
        _motd_conf(s)
        s.start()
        add_user(s, "alice@example.org", "alice-pw")
        add_user(s, "bob@example.org", "bob-pw")
        add_user(s, "eve@example.org", "eve-pw")
        s.ctl("user", "disable", "eve@example.org", "kept")
        s.stop_keep()
        db = _db(_store(s))
        db.execute("DROP TABLE motd")
        db.execute("DELETE FROM schema_version WHERE version = 3")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
        db.commit()
        db.close()
        s.start()
        s.wait_log(r"store: %s: schema upgraded from version 2 to 3" %
                   _store(s))
        assert _versions(_store(s)) == [1, 2, 3]
        assert _one(_store(s), "SELECT reason FROM account_state") == "kept"
        assert _motd_of_login(s, "bob", "bob-pw") == "From the file"
        _set_motd(s, "Stored &amp; kept")
        assert _motd_of_login(s, "bob", "bob-pw") == "Stored & kept"
        s.stop_keep()
        s.start()
        assert _motd_of_login(s, "bob", "bob-pw") == "Stored & kept"
        assert _one(_store(s), "SELECT set_by FROM motd WHERE domain = "
                    "'example.org'") == "alice@example.org"
    finally:
        s.stop()


def test_unusable_stored_motd_ignored(_):
    """A stored motd that is not UTF-8 text, or of a domain no longer
    served, is not used: the file's motd comes, the store says why."""
    s = Server(prefork=1)
    try:
        _motd_conf(s)
        s.start()
        add_user(s, "bob@example.org", "bob-pw")
        s.stop_keep()
        db = _db(_store(s))
        db.execute("INSERT INTO motd (domain, text) VALUES "
                   "('example.org', CAST(X'66fffe' AS TEXT)), "
                   "('gone.example', 'not ours')")
        db.commit()
        db.close()
        s.start()
        s.wait_log(r"store: the stored motd of example\.org is not usable "
                   r"text: not sent")
        assert _motd_of_login(s, "bob", "bob-pw") == "From the file"
        assert not s.log_has(r"gone\.example")
    finally:
        s.stop()


def test_future_store_meta_refused(_):
    """A database without schema_version whose meta row says a later
    version: refused as well."""
    s = Server(prefork=1)
    try:
        s.start()
        _restart_with(s, _store(s), "DROP TABLE schema_version",
                      "UPDATE meta SET value = '999' WHERE key = 'schema'")
        s.wait_log(r"store: %s: schema version 999 is newer than 3" %
                   _store(s))
        assert s.wait_exit() == 1
    finally:
        s.stop()


def _leaf_refused(conf, sub, version, who, prog):
    """A helper daemon (prog, logging as who) refuses its database
    datadir/sub at a later version, and the rest of the service keeps
    running."""
    s = Server(prefork=1)
    s.write_conf(conf)
    path = os.path.join(s.datadir, sub)
    try:
        s.start()
        assert _versions(path) == [1]
        _restart_with(s, path, "INSERT INTO schema_version VALUES "
                      "(%d, 0)" % version)
        s.wait_log(r"%s: %s: schema version %d is newer than 1, the "
                   r"newest this %s knows" % (who, path, version, prog))
        assert _versions(path) == [1, version]
        assert s.proc.poll() is None
        add_user(s, "bob@example.org", "bob-pw")
    finally:
        s.stop()


def test_future_muc_db_refused(_):
    _leaf_refused('muc "%s" {\n\trooms persistent\n}\n' % MUC,
                  "muc/muc.db", 7, "muc db", "mucd")


def test_future_upload_db_refused(_):
    _leaf_refused('upload "upload.example.org" {\n'
                  '\turl "https://upload.example.org:5444/files/"\n}\n',
                  "upload/upload.db", 2, "upload db", "uploadd")
