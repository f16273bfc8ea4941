"""Helpers for the tests of mucd's features: its database, and running
an asyncio scenario of slixmpp clients to its end."""

import asyncio
import contextlib
import io
import os
import re
import sqlite3


class PgRows(list):
    def fetchone(self):
        return self[0] if self else None

    def fetchall(self):
        return list(self)


class PgMucDb:
    """mucd's PostgreSQL database as the tests use its SQLite one: ?
    parameters, SQLite's INSERT OR REPLACE of a setting or an
    affiliation, numbers back as numbers.  Each statement commits."""

    REPLACE = {"room_config": ("room, key", "value = EXCLUDED.value"),
               "affiliations": ("room, jid",
                                "affiliation = EXCLUDED.affiliation")}

    def __init__(self, s):
        self.s = s

    def sql(self, sql, params):
        import postgres
        m = re.match(r"\s*INSERT OR REPLACE INTO (\w+)", sql)
        if m:
            keys, update = self.REPLACE[m.group(1)]
            sql = (sql.replace("INSERT OR REPLACE", "INSERT", 1) +
                   " ON CONFLICT (%s) DO UPDATE SET %s" % (keys, update))
        parts = sql.split("?")
        assert len(parts) == len(params) + 1, sql
        return parts[0] + "".join(postgres.quote(v) + p for v, p in
                                  zip(params, parts[1:]))

    def execute(self, sql, params=()):
        rows = self.s.pg.psql(self.sql(sql, params), db=self.s.mucdb)
        return PgRows(tuple(int(v) if re.fullmatch(r"-?\d+", v) else v
                            for v in r) for r in rows)

    def executemany(self, sql, seq):
        """In batches: one psql run each, within the argument limit."""
        seq = list(seq)
        for i in range(0, len(seq), 200):
            self.s.pg.psql(";\n".join(self.sql(sql, p) for p in
                                      seq[i:i + 200]), db=self.s.mucdb)

    def commit(self):
        pass

    def close(self):
        pass


def muc_db(s):
    """mucd's database of server s, opened beside the running mucd."""
    if getattr(s, "pg", None) is not None:
        return PgMucDb(s)
    return sqlite3.connect(os.path.join(s.datadir, "muc", "muc.db"))


def room_id(s, service, name):
    d = muc_db(s)
    rid = d.execute("SELECT id FROM rooms WHERE service = ? AND name = ?",
                    (service, name)).fetchone()[0]
    d.close()
    return rid


def run_scenario(coro, timeout=60):
    """Run coro in a loop of its own; what the client library prints
    and the tasks it leaves behind go with the loop."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            loop.run_until_complete(asyncio.wait_for(coro, timeout))
    finally:
        left = asyncio.all_tasks(loop)
        for t in left:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*left,
                                               return_exceptions=True))
        loop.close()
