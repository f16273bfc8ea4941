#!/usr/bin/python3
"""Message archive queries over a big archive: fills a test server's
database with ROWS archived messages (while it is stopped), then times
MAM queries through xmppd, end to end, as a client sees them.

usage: mam_bench.py [rows]    (default 1000000; run as root)

Half the rows belong to one account, "big", with 100 contacts; the rest
to 999 other accounts.  Prints the insert time and, for big, the time of
a first page, a page from the middle (after an id), the last page, and
the same with a "with" filter, each with its count."""

import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

from xmppdtest import Server, add_user  # noqa: E402
import test_mam as t  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000


def fill(path):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    now = int(time.time() * 1000000) - ROWS * 1000
    users = ["u%d" % i for i in range(999)]
    db.executemany("INSERT OR IGNORE INTO accounts VALUES ('example.org', "
                   "?, 0)", [(u,) for u in users])
    xml = ("<message from='c%d@example.org/r' to='big@example.org' "
           "type='chat' id='m%d'><body>message number %d, of a size "
           "people write</body></message>")

    def rows():
        for i in range(ROWS):
            owner = "big" if i % 2 == 0 else users[i % 999]
            c = i % 100
            yield (owner, "%016x" % i, now + i * 1000,
                   "c%d@example.org" % c, xml % (c, i, i))
    t0 = time.monotonic()
    db.executemany("INSERT INTO mam (domain, localpart, id, stamp, "
                   "with_bare, with_res, direction, xml) VALUES "
                   "('example.org', ?, ?, ?, ?, 'r', 0, ?)", rows())
    db.commit()
    db.close()
    return time.monotonic() - t0


def timed(s, c, label, **kw):
    best = None
    for _ in range(5):
        t0 = time.monotonic()
        r = t.query(s, c, **kw)
        dt = time.monotonic() - t0
        best = dt if best is None else min(best, dt)
    assert r["error"] is None, r["iq"]
    print("%-34s %7.1f ms  %3d results, count %s" % (
        label, best * 1000, len(r["ids"]), r["count"]))
    return r


def main():
    s = Server(prefork=1)
    s.start()
    try:
        add_user(s, "big@example.org", "big-pw")
        s.next = 0
        s.stop_keep()
        dt = fill(os.path.join(s.datadir, "xmppd.db"))
        print("inserted %d rows in %.1f s (%d rows/s), database %d MB" % (
            ROWS, dt, ROWS / dt,
            os.path.getsize(os.path.join(s.datadir, "xmppd.db")) >> 20))
        s.start()
        c = t.login(s, "big")
        w = [("with", "c8@example.org")]
        r = timed(s, c, "first page (50)")
        mid = "%016x" % (ROWS // 2 & ~1)
        r2 = timed(s, c, "page after a middle id (100)", max=100,
                   after=mid)
        timed(s, c, "last page (100)", max=100, before="")
        timed(s, c, "with: first page (50)", fields=w)
        timed(s, c, "with: last page (100)", fields=w, max=100, before="")
        timed(s, c, "with + start: page (100)", max=100,
              fields=w + [("start", r["stamps"][0])])
        timed(s, c, "start in the middle: page (100)", max=100,
              fields=[("start", r2["stamps"][0])])
        timed(s, c, "count only (max 0)", max=0)
        c.close()
    finally:
        s.stop()


if __name__ == "__main__":
    main()
