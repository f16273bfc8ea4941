"""Archive expiry in chunks: each chunk deletes the oldest rows from
where the last one ended.  With chunks of 7 rows (fixed here with
XMPPD_REGRESS_MAM_EXPIRE_CHUNK) and many rows sharing a stamp, every
row older than asked goes, across chunk boundaries that fall inside a
stamp, and nothing newer."""

import time

from xmppdtest import Server, add_user

ENV = {"XMPPD_REGRESS_MAM_EXPIRE_CHUNK": "7"}
DAY = 86400


def insert(s, user, stamp, n, tag):
    for i in range(n):
        s.db_rows("INSERT INTO mam (domain, localpart, id, stamp, "
                  "with_bare, with_res, direction, xml) VALUES "
                  "('example.org', ?, ?, ?, 'alice@example.org', 'r', 0, ?)",
                  (user, "%s-%d-%d" % (tag, stamp, i), stamp,
                   "<message from='alice@example.org/r' to='%s@example.org'"
                   " type='chat'><body>%s %d</body></message>"
                   % (user, tag, i)))


def stamps(s, user):
    return [int(r[0]) for r in s.db_rows(
        "SELECT stamp FROM mam WHERE localpart = ? ORDER BY stamp", (user,))]


def setup():
    s = Server(prefork=1)
    s.start()
    for u in ("alice", "bob", "carol"):
        add_user(s, "%s@example.org" % u, u + "-pw")
    s.stop_keep()
    now = int(time.time()) * 1000000
    s.old = []
    # 100 rows ten days old in groups of ten sharing a stamp, for two
    # owners, interleaved; then rows of three days and of an hour.
    for k in range(10):
        st = now - 10 * DAY * 1000000 + k * 1000000
        insert(s, "bob", st, 6, "old")
        insert(s, "carol", st, 4, "old")
    s.mid = now - 3 * DAY * 1000000
    insert(s, "bob", s.mid, 20, "mid")
    s.new = now - 3600 * 1000000
    insert(s, "carol", s.new, 3, "new")
    return s


def teardown(s):
    s.stop()


def test_start_expiry_crosses_chunks_inside_a_stamp(s):
    s.write_conf(raw=s.base_conf().replace(
        'domain "example.org" {\n\tauth internal\n}',
        'domain "example.org" {\n\tauth internal\n\tarchive expire 7d\n}'))
    s.start(env=ENV)
    s.wait_log(r"archive expiry: 100 messages deleted")
    assert stamps(s, "bob") == [s.mid] * 20
    assert stamps(s, "carol") == [s.new] * 3


def test_on_demand_takes_a_stamp_bigger_than_a_chunk(s):
    # 20 rows of one stamp, in chunks of 7: 7, 7, 6.
    p = s.ctl("archive", "expire", "2d")
    assert p.stdout.strip() == "20 messages deleted", p.stdout
    assert stamps(s, "bob") == []
    assert stamps(s, "carol") == [s.new] * 3
    p = s.ctl("archive", "expire", "2d")
    assert p.stdout.strip() == "0 messages deleted", p.stdout
