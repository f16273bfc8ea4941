#!/usr/bin/python3
"""Message archives on PostgreSQL: xmppd on SQLite, xmppd on PostgreSQL
and ejabberd on the same PostgreSQL, measured alike; one table.

    regress/bench/mam_pg.py [-s xmppd,xmppd-pg,ejabberd]
        [--scenarios rate,query,expire] [--messages 200000] [--pairs 100]
        [--rows 10000000] [--expire-rows 1000000] [--keep] [--json FILE]

rate: archived messages per second, xmppload's messages scenario with
every message archived, the rows each server wrote counted in its
database.  query: ROWS archived messages (and EXPIRE_ROWS older ones)
loaded into each server's own tables by its database's fastest bulk
load (COPY on PostgreSQL), then MAM queries timed end to end by a
client: first page, last page, a "with" filter; disk use per million.
expire: the EXPIRE_ROWS older messages deleted by the server's own
command while ten pairs of clients measure message latency.

Run as root after `make -C regress/bench` (XMPPD=path picks another
xmppd build, XMPPCTL its xmppctl).  PostgreSQL, ejabberd and
erlang-p1-pgsql are installed from Debian when missing.  It reports; it
checks nothing.  See docs/BENCHMARKS.md.
"""

import argparse
import asyncio
import base64
import glob
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

import bench                                            # noqa: E402
import servers                                          # noqa: E402
from rawxmpp import Raw, login_async, expect_async      # noqa: E402
from servers import (DOMAIN, PASSWORD, SALT, ITER, XMPPD, Server, Xmppd,
                     Ejabberd, chown_tree, log, run, scram_keys,
                     users)                              # noqa: E402
from test_mam import collect, form, rsm                  # noqa: E402

XMPPCTL = os.environ.get("XMPPCTL", os.path.join(
    os.path.dirname(os.path.dirname(XMPPD)), "xmppctl", "xmppctl"))
PGSQL_SCHEMA = "/usr/share/ejabberd/sql/pg.sql"
NAMES = ("xmppd", "xmppd-pg", "ejabberd")
BIG = "big"                     # the account queried: half of the rows
OTHERS = 999                    # the other half's owners, u0..u998
CONTACTS = 100                  # big's correspondents, c0..c99
WITH = "c8@" + DOMAIN           # the "with" filter: 1 % of big's rows
US = 1000000
EXPIRE_DAYS = 365
QUERY_RUNS = 10                 # timed runs of each query, after one


# --- PostgreSQL -----------------------------------------------------------

def pg_bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


class Postgres(Server):
    """Debian's PostgreSQL in a cluster of its own, made by initdb in the
    run's directory, in the foreground as the postgres user on a loopback
    port, stopped by its PID.  Durable as installed (fsync, synchronous
    commits); only its buffers are raised for a table of millions of
    rows.  The superuser logs in from loopback without a password, the
    servers' roles with one (scram-sha-256)."""
    name = "postgres"
    superuser = "pgadmin"

    def prepare(self, shared_buffers):
        self.bin = pg_bindir()
        self.data = os.path.join(self.dir, "data")
        self.shared_buffers = shared_buffers
        chown_tree(self.dir, "postgres")
        run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U",
             self.superuser, "-E", "UTF8", "--locale=C",
             "--auth-local=trust", "--auth-host=scram-sha-256"],
            preexec_fn=self.preexec, cwd=self.dir)
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\n"
                    "host all %s 127.0.0.1/32 trust\n"
                    "host all all 127.0.0.1/32 scram-sha-256\n"
                    % self.superuser)

    def preexec(self):
        servers.raise_nofile()
        pw = servers.pwd.getpwnam("postgres")
        os.setgid(pw.pw_gid)
        os.initgroups("postgres", pw.pw_gid)
        os.setuid(pw.pw_uid)

    def command(self):
        return [os.path.join(self.bin, "postgres"), "-D", self.data,
                "-k", self.dir, "-h", "127.0.0.1", "-p", str(self.port),
                "-c", "shared_buffers=%s" % self.shared_buffers,
                "-c", "max_wal_size=4GB", "-c", "max_connections=200"]

    def stop(self):
        # A fast shutdown: the servers using it are stopped already.
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        Server.stop(self)

    def psql(self, sql, db="postgres", stdin=None):
        """Runs sql as the superuser; the rows as lists of strings."""
        p = run([os.path.join(self.bin, "psql"), "-h", "127.0.0.1",
                 "-p", str(self.port), "-U", self.superuser, "-d", db,
                 "-X", "-q", "-A", "-t", "-F", "\x1f",
                 "-v", "ON_ERROR_STOP=1", "-c", sql], check=False,
                input=stdin)
        if p.returncode:
            raise RuntimeError("psql %r: %s" % (sql[:200], p.stderr))
        return [line.split("\x1f") for line in p.stdout.splitlines()]

    def copy(self, db, table, columns, lines):
        """COPY table FROM STDIN, fed by lines (text format) as they
        are made, through psql."""
        p = subprocess.Popen(
            [os.path.join(self.bin, "psql"), "-h", "127.0.0.1", "-p",
             str(self.port), "-U", self.superuser, "-d", db, "-X", "-q",
             "-v", "ON_ERROR_STOP=1", "-c", "COPY %s (%s) FROM STDIN"
             % (table, ", ".join(columns))], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        buf = []
        for line in lines:
            buf.append(line)
            if len(buf) >= 10000:
                p.stdin.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            p.stdin.write("\n".join(buf) + "\n")
        out, err = p.communicate()
        if p.returncode:
            raise RuntimeError("COPY %s: %s" % (table, err))

    def create_db(self, name, password):
        self.psql("CREATE ROLE %s LOGIN PASSWORD '%s'" % (name, password))
        self.psql("CREATE DATABASE %s OWNER %s" % (name, name))

    def version(self):
        return self.psql("SHOW server_version")[0][0]


def bulk_load(pg, db, table, columns, lines):
    """The fastest load PostgreSQL has: the table's secondary indexes
    dropped, its triggers (foreign keys) off, COPY, the indexes built
    again from their own definitions, ANALYZE."""
    idx = pg.psql("SELECT indexname, indexdef FROM pg_indexes WHERE "
                  "tablename = '%s' AND indexname NOT IN (SELECT conname "
                  "FROM pg_constraint)" % table, db=db)
    for name, _ in idx:
        pg.psql("DROP INDEX %s" % name, db=db)
    pg.psql("ALTER TABLE %s DISABLE TRIGGER ALL" % table, db=db)
    pg.copy(db, table, columns, lines)
    pg.psql("ALTER TABLE %s ENABLE TRIGGER ALL" % table, db=db)
    for _, sql in idx:
        pg.psql("SET maintenance_work_mem = '1GB'; " + sql, db=db)
    pg.psql("VACUUM ANALYZE %s" % table, db=db)


def copy_text(v):
    """A value in COPY's text format."""
    return (str(v).replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n"))


# --- the archive every server is given -------------------------------------

def archive_rows(rows, old):
    """(owner, i, stamp in microseconds, contact number, xml, body) for
    old rows older than EXPIRE_DAYS then rows recent ones: half of the
    recent ones big's, every old one another account's, one row a
    millisecond, so that stamps are unique per account."""
    now = int(time.time()) * US
    first_old = now - (EXPIRE_DAYS + 30) * 86400 * US
    first_new = now - rows * 1000 - 60 * US
    for i in range(old + rows):
        if i < old:
            owner, stamp = "u%d" % (i % OTHERS), first_old + i * 1000
            c = i % CONTACTS
        else:
            k = i - old
            owner = BIG if k % 2 == 0 else "u%d" % (k % OTHERS)
            stamp = first_new + k * 1000
            c = k % CONTACTS
        body = "message number %d, of a size people write" % i
        xml = ("<message xmlns='jabber:client' from='c%d@%s/r' "
               "to='%s@%s' type='chat' id='m%d'><body>%s</body></message>"
               % (c, DOMAIN, owner, DOMAIN, i, body))
        yield owner, i, stamp, c, xml, body


def archive_owners():
    return [BIG] + ["u%d" % i for i in range(OTHERS)]


# --- the three servers -----------------------------------------------------

class XmppdSqlite(Xmppd):
    """xmppd on SQLite, archiving every message."""
    name = "xmppd"
    on_pg = False

    def __init__(self, top, cert, pg):
        Xmppd.__init__(self, top, cert, archive=True)
        self.pg = pg
        self.sock = os.path.join(self.dir, "xmppd.sock")

    def db(self):
        return sqlite3.connect(os.path.join(self.datadir, "xmppd.db"))

    def archived(self):
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(
            self.datadir, "xmppd.db"), uri=True)
        n = db.execute("SELECT count(*) FROM mam").fetchone()[0]
        db.close()
        return n

    def older(self, stamp):
        db = self.db()
        n = db.execute("SELECT count(*) FROM mam WHERE stamp < ?",
                       (stamp,)).fetchone()[0]
        db.close()
        return n

    def load(self, rows, old):
        """Into SQLite, stopped, in one transaction without a journal's
        syncs, the archive's indexes dropped and built again after."""
        db = self.db()
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("PRAGMA synchronous=OFF")
        idx = db.execute("SELECT name, sql FROM sqlite_master WHERE "
                         "type = 'index' AND tbl_name = 'mam' AND sql IS "
                         "NOT NULL").fetchall()
        now = int(time.time())
        with db:
            db.executemany("INSERT OR IGNORE INTO accounts VALUES (?, ?, ?)",
                           [(DOMAIN, u, now) for u in archive_owners()])
            self.keys(db, [BIG])
            for name, _ in idx:
                db.execute("DROP INDEX %s" % name)
            db.executemany(
                "INSERT INTO mam (domain, localpart, id, stamp, with_bare, "
                "with_res, direction, xml) VALUES (?, ?, ?, ?, ?, 'r', 0, ?)",
                ((DOMAIN, o, "%016x" % i, st, "c%d@%s" % (c, DOMAIN), x)
                 for o, i, st, c, x, _ in archive_rows(rows, old)))
            for _, sql in idx:
                db.execute(sql)
        db.execute("ANALYZE")
        db.execute("PRAGMA journal_mode=WAL")
        db.close()
        chown_tree(self.datadir, "_xmppd")

    def keys(self, db, names):
        keys = [(1, scram_keys("sha1")), (2, scram_keys("sha256"))]
        db.executemany(
            "INSERT OR REPLACE INTO scram (domain, localpart, hash, "
            "iterations, salt, stored_key, server_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(DOMAIN, u, h, ITER, SALT, k[0], k[1])
             for u in names for h, k in keys])

    def disk(self):
        """Bytes of the archive's table and indexes (SQLite's dbstat)."""
        db = self.db()
        n = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name IN "
                       "(SELECT name FROM sqlite_master WHERE tbl_name = "
                       "'mam')").fetchone()[0]
        db.close()
        return n

    def expire(self):
        out = run([XMPPCTL, "-s", self.sock, "archive", "expire",
                   "%dd" % EXPIRE_DAYS], check=False)
        if out.returncode:
            raise RuntimeError("xmppctl archive expire: %s"
                               % (out.stderr or out.stdout).strip())
        return out.stdout.strip()


class XmppdPg(XmppdSqlite):
    """xmppd on PostgreSQL: its store in a database of its own on the
    run's cluster, reached by TCP on loopback with a password."""
    name = "xmppd-pg"
    on_pg = True
    db_name = "xmppd_bench"
    db_password = "xmppd-bench-pw"

    def write_conf(self, archive):
        XmppdSqlite.write_conf(self, archive)
        with open(self.conf) as f:
            text = f.read()
        with open(self.conf, "w") as f:
            f.write('storage postgresql "hostaddr=127.0.0.1 port=%d '
                    'dbname=%s user=%s password=%s"\n%s'
                    % (self.pg.port, self.db_name, self.db_name,
                       self.db_password, text))

    def prepare(self, nusers):
        self.pg.create_db(self.db_name, self.db_password)
        self.conf = os.path.join(self.dir, "xmppd.conf")
        self.datadir = os.path.join(self.dir, "data")
        self.components = False
        self.write_conf("\tarchive default always\n")
        if run([XMPPD, "-n", "-f", self.conf], check=False).returncode:
            raise bench.NotMeasured("this xmppd has no PostgreSQL storage")
        self.populate(nusers)

    def sql(self, q):
        return self.pg.psql(q, db=self.db_name)

    def populate(self, nusers):
        # The first start makes the schema; the accounts then go in by
        # COPY, hashed as xmppd does.
        try:
            self.start()
        except RuntimeError as e:
            # An xmppd that parses the keyword but has no such backend.
            raise bench.NotMeasured("%s: %s" % (
                e, self.tail(1).strip() or "no log"))
        self.wait_log(r"store: PostgreSQL schema \d+ created")
        self.stop()
        self.accounts(users(nusers))
        chown_tree(self.datadir, "_xmppd")

    def accounts(self, names):
        now = int(time.time())
        self.pg.copy(self.db_name, "accounts",
                     ("domain", "localpart", "created"),
                     ("%s\t%s\t%d" % (DOMAIN, u, now) for u in names))
        keys = [(1, scram_keys("sha1")), (2, scram_keys("sha256"))]
        self.pg.copy(self.db_name, "scram",
                     ("domain", "localpart", "hash", "iterations", "salt",
                      "stored_key", "server_key"),
                     ("%s\t%s\t%d\t%d\t\\\\x%s\t\\\\x%s\t\\\\x%s"
                      % (DOMAIN, u, h, ITER, SALT.hex(), k[0].hex(),
                         k[1].hex()) for u in names for h, k in keys))

    def started(self):
        # The store connects once started; logins before would fail.
        self.wait_log(r"store: connected to PostgreSQL")

    def archived(self):
        return int(self.sql("SELECT count(*) FROM mam")[0][0])

    def older(self, stamp):
        return int(self.sql("SELECT count(*) FROM mam WHERE stamp < %d"
                            % stamp)[0][0])

    def load(self, rows, old):
        owners = archive_owners()
        self.accounts(owners)
        bulk_load(self.pg, self.db_name, "mam",
                  ("domain", "localpart", "id", "stamp", "with_bare",
                   "with_res", "direction", "xml"),
                  ("%s\t%s\t%016x\t%d\tc%d@%s\tr\t0\t%s"
                   % (DOMAIN, o, i, st, c, DOMAIN, copy_text(x))
                   for o, i, st, c, x, _ in archive_rows(rows, old)))

    def disk(self):
        return int(self.sql("SELECT pg_total_relation_size('mam')")[0][0])


class EjabberdPg(Ejabberd):
    """ejabberd 23.01 with everything in SQL on the run's PostgreSQL
    (`sql_type: pgsql`, its schema pg.sql, which it does not create
    itself), mod_mam archiving every message."""
    name = "ejabberd"
    on_pg = True
    db_name = "ejabberd_bench"
    db_password = "ejabberd-bench-pw"

    def __init__(self, top, cert, pg):
        Ejabberd.__init__(self, top, cert, archive=True)
        self.pg = pg

    def prepare(self, nusers):
        self.pg.create_db(self.db_name, self.db_password)
        with open(PGSQL_SCHEMA) as f:
            schema = f.read()
        self.sql(schema)
        self.sql("GRANT ALL ON ALL TABLES IN SCHEMA public TO %s; "
                 "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO %s"
                 % (self.db_name, self.db_name))
        self.write_config()
        self.accounts(users(nusers))

    def yml(self, pem):
        """Everything in SQL on the run's PostgreSQL; archives on."""
        text = Ejabberd.yml(self, pem)
        text = text.replace("default_db: mnesia\n", (
            "default_db: sql\nsql_type: pgsql\nsql_server: \"127.0.0.1\"\n"
            "sql_port: %d\nsql_database: \"%s\"\nsql_username: \"%s\"\n"
            "sql_password: \"%s\"\nnew_sql_schema: false\n"
            % (self.pg.port, self.db_name, self.db_name, self.db_password)))
        return text.replace("auth_method: internal", "auth_method: sql")

    def sql(self, q):
        return self.pg.psql(q, db=self.db_name)

    def accounts(self, names):
        """SCRAM-SHA-1 keys as ejabberd keeps them in SQL (base64), the
        salt shared with xmppd's accounts."""
        stored, server = scram_keys("sha1")
        self.pg.copy(self.db_name, "users",
                     ("username", "password", "serverkey", "salt",
                      "iterationcount"),
                     ("%s\t%s\t%s\t%s\t%d" % (
                         u, base64.b64encode(stored).decode(),
                         base64.b64encode(server).decode(),
                         base64.b64encode(SALT).decode(), ITER)
                      for u in names))

    def archived(self):
        return int(self.sql("SELECT count(*) FROM archive")[0][0])

    def older(self, stamp):
        return int(self.sql("SELECT count(*) FROM archive WHERE "
                            "timestamp < %d" % stamp)[0][0])

    def load(self, rows, old):
        self.accounts(archive_owners())
        bulk_load(self.pg, self.db_name, "archive",
                  ("username", "timestamp", "peer", "bare_peer", "xml",
                   "txt", "kind", "nick"),
                  ("%s\t%d\tc%d@%s/r\tc%d@%s\t%s\t%s\tchat\t"
                   % (o, st, c, DOMAIN, c, DOMAIN, copy_text(x), b)
                   for o, i, st, c, x, b in archive_rows(rows, old)))

    def disk(self):
        return int(self.sql("SELECT pg_total_relation_size('archive')")
                   [0][0])

    def expire(self):
        out = self.ctl("delete_old_mam_messages", "all", str(EXPIRE_DAYS),
                       check=False)
        if out.returncode:
            raise RuntimeError("delete_old_mam_messages: %s"
                               % (out.stderr or out.stdout).strip())
        return out.stdout.strip()


CLASSES = {"xmppd": XmppdSqlite, "xmppd-pg": XmppdPg, "ejabberd": EjabberdPg}


# --- the scenarios ---------------------------------------------------------

def wait_steady(count, quiet=0.5, limit=60):
    """count() once it has not changed for quiet seconds: whatever the
    server still writes when the last message has been delivered."""
    last = count()
    deadline = time.monotonic() + limit
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        n = count()
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def scenario_rate(srv, pg, args):
    """xmppload's messages between pairs, every one archived: messages
    per second, archive rows written per message (each party's archive
    holds a copy), the server's and the database's CPU."""
    n0 = srv.archived()
    x0 = xacts(pg, srv) if srv.on_pg else 0
    pg0 = bench.server_cpu(pg)
    ld = bench.Load(srv, "-m", "messages", "-p", args.pairs, "-n",
                    args.messages, "-W", args.window, "-s", "-t",
                    args.timeout)
    r = bench.timed(srv, ld, "cpu_100k_")
    db_cpu = bench.server_cpu(pg) - pg0
    rows = wait_steady(srv.archived) - n0
    out = {"rate": r["rate"], "cpu_100k": r["cpu_100k"],
           "rows_per_msg": rows / r["n"], "arch_rate": r["rate"] * rows /
           r["n"], "client_cpu": r["client_cpu"],
           "server_cpu": r["server_cpu"]}
    if srv.on_pg:
        out["db_cpu_100k"] = db_cpu * 100000 / r["n"]
        out["xacts_per_msg"] = (wait_steady(lambda: xacts(pg, srv), 11) -
                                x0) / r["n"]
    out.update({k: v for k, v in r.items() if k.startswith("cpu_100k_")})
    log("  %.0f messages/s, %.2f archive rows per message, %.2f server CPU s"
        " per 100k%s" % (out["rate"], out["rows_per_msg"], out["cpu_100k"],
                         ", database %.2f, %.2f transactions per message"
                         % (out["db_cpu_100k"], out["xacts_per_msg"])
                         if srv.on_pg else ""))
    return out


def xacts(pg, srv):
    """Transactions committed in the server's database: PostgreSQL's
    statistics, which a busy backend publishes every second and an idle
    one within 10 s."""
    return int(pg.psql("SELECT xact_commit FROM pg_stat_database WHERE "
                       "datname = '%s'" % srv.db_name)[0][0])


QUERIES = (
    ("q_first", "first page", None, None),
    ("q_last", "last page", None, ""),
    ("q_with", "with: first page", [("with", WITH)], None),
    ("q_with_last", "with: last page", [("with", WITH)], ""),
)


def mam_query(c, n, fields, before, page):
    """One query, end to end: (seconds, results, the fin's count)."""
    iqid = "mq%d" % n
    t0 = time.monotonic()
    c.send("<iq type='set' id='%s'><query xmlns='urn:xmpp:mam:2' "
           "queryid='%s'>%s%s</query></iq>"
           % (iqid, iqid, form(fields), rsm(page, None, before)))
    got, iq = collect(c, r"<iq[^>]*id='%s'(?:[^>]*/>|.*?</iq>)" % iqid,
                      timeout=600)
    dt = time.monotonic() - t0
    if "type='error'" in iq:
        raise bench.NotMeasured("the query failed: %s" % iq[:300])
    cnt = re.search(r"<count>(\d+)</count>", iq)
    return dt, len(re.findall(r"<result[ >]", got)), \
        int(cnt.group(1)) if cnt else None


class QuickAck(Raw):
    """A client whose kernel acknowledges what it receives at once
    instead of up to 40 ms later (TCP_QUICKACK, set again after every
    read): a server that writes a page in several segments without
    TCP_NODELAY waits for that acknowledgement before its last one
    (Nagle), so the difference between the two clients is that wait."""

    def _read(self, deadline):
        got = Raw._read(self, deadline)
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass
        return got


def scenario_query(srv, args):
    """The queries of QUERIES as big, each once to warm up and then
    QUERY_RUNS times: the median and the slowest, in ms; by an ordinary
    client, then by one acknowledging at once (keys ending in _qa)."""
    out = {}
    for client, suffix in ((Raw, ""), (QuickAck, "_qa")):
        out.update(queries(srv, args, client, suffix))
    return out


def queries(srv, args, client, suffix):
    c = client(srv.port, sni=DOMAIN)
    c.login(BIG, PASSWORD, "q", domain=DOMAIN)
    out = {}
    n = 0
    for key, label, fields, before in QUERIES:
        key += suffix
        label += suffix
        times = []
        for i in range(QUERY_RUNS + 1):
            n += 1
            dt, got, count = mam_query(c, n, fields, before, args.page)
            if i:
                times.append(dt * 1000)
            else:
                out[key + "_cold"] = dt * 1000
        out[key] = statistics.median(times)
        out[key + "_max"] = max(times)
        log("  %-18s %8.1f ms median, %8.1f max, %8.1f first; %d results,"
            " count %s" % (label, out[key], out[key + "_max"],
                           out[key + "_cold"], got, count))
        if got != args.page:
            log("  (%s: %d results, not %d)" % (label, got, args.page))
    c.close()
    return out


async def probe_pair(port, i, stamps, lat):
    """user(2i) logged in beside user(2i+1), who notes in lat (send time,
    latency) for each message of the probe it receives."""
    s = await login_async(port, "user%04d" % (2 * i), PASSWORD, "lat",
                          domain=DOMAIN)
    r = await login_async(port, "user%04d" % (2 * i + 1), PASSWORD, "lat",
                          domain=DOMAIN)
    for rd, wr, buf, _ in (s, r):
        wr.write(b"<presence/><iq type='get' id='sync'><ping "
                 b"xmlns='urn:xmpp:ping'/></iq>")
        await expect_async(rd, buf, r"<iq[^>]*id='sync'")
    rx = re.compile(r"<message[^>]*\bid='l(\d+)'")

    async def receive():
        buf = r[2][0]
        while True:
            data = await r[0].read(65536)
            if not data:
                return
            buf += data.decode("utf-8", "replace")
            now = time.monotonic()
            end = 0
            for m in rx.finditer(buf):
                k = int(m.group(1))
                lat.append((stamps[k], now - stamps[k]))
                end = m.end()
            buf = buf[end:] if end else buf[-4096:]
    return s, r, asyncio.ensure_future(receive())


async def probe(port, npairs, stamps, lat, ready, stop):
    """npairs pairs of users, the first of each sending the other a
    message in turn, PROBE_RATE a second in all, from when all are
    logged in (ready set) until stop is set; lat gets (send time,
    latency) for each that arrives.  Returns how many were sent."""
    pairs = await asyncio.gather(*[probe_pair(port, i, stamps, lat)
                                   for i in range(npairs)])
    ready.set()
    t = time.monotonic()
    while not stop.is_set():
        s, r, _ = pairs[len(stamps) % npairs]
        k = len(stamps)
        stamps.append(time.monotonic())
        s[1].write(("<message to='%s' type='chat' id='l%d'><body>latency "
                    "probe %d</body></message>" % (r[3], k, k)).encode())
        t += 1.0 / PROBE_RATE
        await asyncio.sleep(max(0, t - time.monotonic()))
    # The last ones' answers, for at most 10 s.
    deadline = time.monotonic() + 10
    while len(lat) < len(stamps) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    for s, r, task in pairs:
        task.cancel()
        s[1].close()
        r[1].close()
    return len(stamps)


PROBE_RATE = 100        # latency probe messages per second


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else None


def scenario_expire(srv, args):
    """The old rows deleted by the server's own command while pairs of
    clients send PROBE_RATE messages a second: their latency before
    (args.baseline s) and during the expiry."""
    cutoff = (int(time.time()) - EXPIRE_DAYS * 86400) * US
    old = srv.older(cutoff)
    stamps, lat = [], []
    ready, stop = threading.Event(), threading.Event()
    span = {}

    def expire():
        if not ready.wait(60):
            span["why"] = "the latency probe did not log in"
            stop.set()
            return
        # Its first messages find caches cold: a second of warm-up.
        time.sleep(1)
        span["base"] = time.monotonic()
        time.sleep(args.baseline)
        span["start"] = time.monotonic()
        try:
            span["said"] = srv.expire()
        except Exception as e:
            span["why"] = str(e)
        span["end"] = time.monotonic()
        time.sleep(1)
        stop.set()

    th = threading.Thread(target=expire)
    th.start()
    sent = asyncio.new_event_loop().run_until_complete(
        probe(srv.port, args.probe_pairs, stamps, lat, ready, stop))
    th.join()
    if "why" in span:
        raise bench.NotMeasured(span["why"])
    left = srv.older(cutoff)
    base = [d * 1000 for t, d in lat
            if span["base"] <= t < span["start"]]
    during = [d * 1000 for t, d in lat if span["start"] <= t < span["end"]]
    secs = span["end"] - span["start"]
    out = {"exp_s": secs, "exp_rows": old - left,
           "exp_rate": (old - left) / secs if secs else None,
           "lat_base_med": pct(base, 0.5), "lat_base_p99": pct(base, 0.99),
           "lat_base_max": max(base) if base else None,
           "lat_exp_med": pct(during, 0.5), "lat_exp_p99": pct(during, 0.99),
           "lat_exp_max": max(during) if during else None,
           "lat_lost": sent - len(lat), "lat_n": len(during)}
    log("  expired %d of %d old rows in %.1f s (%s); latency before %s / "
        "%s / %s ms, during %s / %s / %s ms (median / p99 / max, %d "
        "messages), %d lost"
        % (old - left, old, secs, span.get("said", ""),
           *["%.1f" % out[k] if out[k] is not None else "-" for k in (
               "lat_base_med", "lat_base_p99", "lat_base_max",
               "lat_exp_med", "lat_exp_p99", "lat_exp_max")],
           len(during), out["lat_lost"]))
    return out


def one_server(srv, pg, args):
    res = {}
    nusers = max(20, 2 * args.pairs, 2 * args.probe_pairs)
    log("%s: preparing %d accounts" % (srv.name, nusers))
    srv.prepare(nusers)
    srv.start()

    def step(name, fn):
        try:
            res.update(fn())
        except (bench.NotMeasured, RuntimeError, OSError,
                AssertionError) as e:
            res[name + "_why"] = str(e).split("\n")[0]
            log("  %s not measured: %s\n%s" % (name, e, srv.tail()))
            if srv.proc is not None and srv.proc.poll() is not None:
                raise
    if "rate" in args.scenarios:
        log("%s: %d messages, %d pairs, archived" % (srv.name, args.messages,
                                                     args.pairs))
        step("rate", lambda: scenario_rate(srv, pg, args))
    rows = args.rows if "query" in args.scenarios else 0
    old = args.expire_rows if "expire" in args.scenarios else 0
    if rows or old:
        srv.stop()
        log("%s: loading %d archived messages and %d older ones"
            % (srv.name, rows, old))
        t0 = time.monotonic()
        srv.load(rows, old)
        res["load_s"] = time.monotonic() - t0
        total = srv.archived()
        res["disk_mb_m"] = srv.disk() / 1048576.0 / total * 1000000
        log("  loaded in %.0f s; %d rows in the archive, %.0f MiB per "
            "million" % (res["load_s"], total, res["disk_mb_m"]))
        srv.start()
    if rows:
        log("%s: MAM queries over %d rows, %d of them big's"
            % (srv.name, rows, (rows + 1) // 2))
        step("query", lambda: scenario_query(srv, args))
    if old:
        log("%s: expiring %d rows" % (srv.name, old))
        step("expire", lambda: scenario_expire(srv, args))
    srv.stop()
    return res


# --- installing, reporting -------------------------------------------------

def install(names):
    """What the chosen servers need from Debian: PostgreSQL, and for
    ejabberd its PostgreSQL driver, which its package only suggests."""
    want = []
    if pg_bindir() is None:
        want.append("postgresql")
    if "ejabberd" in names:
        servers.install_peers(["ejabberd"])
        if not glob.glob("/usr/lib/erlang/lib/p1_pgsql-*"):
            want.append("erlang-p1-pgsql")
    if want:
        log("installing %s from Debian" % " ".join(want))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "install", "-y", "-q"] + want, env=env,
            capture_output=False, stdout=sys.stderr)
    for svc in ("postgresql",):
        if shutil.which("systemctl") and os.path.isdir("/run/systemd/system"):
            run(["systemctl", "disable", "--now", svc], check=False)


def rows_of(args):
    m = args.messages
    return [
        ("rate", "messages/s, %d pairs, all archived" % args.pairs, "%.0f",
         "higher"),
        ("arch_rate", "archive rows written/s", "%.0f", "higher"),
        ("rows_per_msg", "archive rows per message", "%.2f", None),
        ("cpu_100k", "server CPU s per 100k messages", "%.2f", "lower"),
        ("db_cpu_100k", "PostgreSQL CPU s per 100k messages", "%.2f",
         "lower"),
        ("xacts_per_msg", "PostgreSQL transactions per message", "%.2f",
         None),
        ("load_s", "bulk load of the archive (s)", "%.0f", None),
        ("disk_mb_m", "disk per million archived messages (MiB)", "%.0f",
         "lower"),
        ("q_first", "MAM first page of %d, median (ms)" % args.page, "%.1f",
         "lower"),
        ("q_last", "MAM last page of %d, median (ms)" % args.page, "%.1f",
         "lower"),
        ("q_with", "MAM with: first page, median (ms)", "%.1f", "lower"),
        ("q_with_last", "MAM with: last page, median (ms)", "%.1f", "lower"),
        ("q_first_cold", "MAM first page, first query (ms)", "%.1f",
         "lower"),
        ("q_first_qa", "the same, client ACKing at once: first page (ms)",
         "%.1f", "lower"),
        ("q_last_qa", "... last page (ms)", "%.1f", "lower"),
        ("q_with_qa", "... with: first page (ms)", "%.1f", "lower"),
        ("q_with_last_qa", "... with: last page (ms)", "%.1f", "lower"),
        ("exp_s", "expiry of the old rows (s)", "%.1f", "lower"),
        ("exp_rate", "rows expired/s", "%.0f", "higher"),
        ("lat_base_med", "message latency before, median (ms)", "%.1f",
         "lower"),
        ("lat_exp_med", "message latency in the expiry, median (ms)",
         "%.1f", "lower"),
        ("lat_exp_p99", "message latency in the expiry, p99 (ms)", "%.1f",
         "lower"),
        ("lat_exp_max", "message latency in the expiry, max (ms)", "%.1f",
         "lower"),
    ] if m else []


def versions(names, pg):
    # Another build's commit is not this tree's.
    out = ["xmppd at %s" % XMPPD if "XMPPD" in os.environ
           else bench.versions(["xmppd"])]
    if "ejabberd" in names:
        out.append(bench.versions(["ejabberd"]))
    out.append("PostgreSQL %s" % pg.version())
    return ", ".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-s", "--servers", default=",".join(NAMES),
                    help="which, comma-separated: xmppd (on SQLite), "
                    "xmppd-pg (on PostgreSQL), ejabberd (on PostgreSQL)")
    ap.add_argument("--scenarios", default="rate,query,expire",
                    help="rate, query, expire, comma-separated")
    ap.add_argument("--messages", type=int, default=200000,
                    help="messages sent in the rate scenario")
    ap.add_argument("--pairs", type=int, default=100)
    ap.add_argument("--window", type=int, default=10,
                    help="messages in flight per pair")
    ap.add_argument("--rows", type=int, default=10000000,
                    help="archived messages loaded for the queries")
    ap.add_argument("--expire-rows", type=int, default=1000000,
                    help="older archived messages loaded to be expired")
    ap.add_argument("--page", type=int, default=50,
                    help="messages per page asked for (RSM max)")
    ap.add_argument("--probe-pairs", type=int, default=10,
                    help="pairs of users sending the %d messages a second "
                    "whose latency is measured in the expiry" % PROBE_RATE)
    ap.add_argument("--baseline", type=float, default=5.0,
                    help="seconds of message latency before the expiry")
    ap.add_argument("--shared-buffers", default="1GB",
                    help="PostgreSQL's shared_buffers")
    ap.add_argument("--timeout", type=int, default=1800,
                    help="seconds allowed to xmppload's phases")
    ap.add_argument("-q", "--quick", action="store_true",
                    help="small sizes, to check the harness: 20,000 "
                    "messages, 100,000 rows, 20,000 to expire")
    ap.add_argument("--json", metavar="FILE",
                    help="write the figures there")
    ap.add_argument("--keep", action="store_true",
                    help="keep the working directory")
    args = ap.parse_args()
    if args.quick:
        args.messages = 20000
        args.rows = 100000
        args.expire_rows = 20000
    args.scenarios = {x for x in args.scenarios.split(",") if x}
    for x in args.scenarios - {"rate", "query", "expire"}:
        sys.exit("unknown scenario %s" % x)
    names = [n for n in NAMES if n in args.servers.split(",")]
    if os.geteuid() != 0:
        sys.exit("mam_pg.py runs as root (it starts servers as their users)")
    for prog in (bench.XMPPLOAD, XMPPD, XMPPCTL):
        if not os.access(prog, os.X_OK):
            sys.exit("%s is missing: make -C regress/bench" % prog)
    install(names)
    mach = bench.machine()
    top = tempfile.mkdtemp(prefix="xmppd-mambench-")
    os.chmod(top, 0o755)
    results = {}
    pg = None
    try:
        cert = servers.make_cert(top)
        pg = Postgres(top, cert)
        pg.prepare(args.shared_buffers)
        pg.start()
        ver = versions(names, pg)
        for n in names:
            srv = CLASSES[n](top, cert, pg)
            try:
                results[n] = [one_server(srv, pg, args)]
            except Exception as e:
                log("%s failed: %s\n%s" % (n, e, srv.tail()))
                results[n] = [{"why": str(e).split("\n")[0]}]
                srv.stop()
    finally:
        if pg is not None:
            pg.stop()
        if not args.keep:
            shutil.rmtree(top, ignore_errors=True)
        else:
            log("kept %s" % top)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": mach, "versions": ver, "args": {
                k: v for k, v in vars(args).items() if k != "scenarios"},
                "results": results}, f, indent=1)
    print("Machine: %s" % mach)
    print("Load average after the run: %s"
          % " ".join(open("/proc/loadavg").read().split()[:3]))
    print("Servers: %s" % ver)
    said = {"rate": "%d messages archived by %d pairs"
            % (args.messages, args.pairs),
            "query": "queries over %d rows" % args.rows,
            "expire": "%d older rows expired" % args.expire_rows}
    print("; ".join(said[x] for x in ("rate", "query", "expire")
                    if x in args.scenarios) + ".")
    print()
    base = "xmppd-pg" if "xmppd-pg" in names else names[0]
    order = [base] + [n for n in names if n != base]
    print(bench.table(results, order, rows_of(args), base=base))
    for n in order:
        for r in results.get(n, []):
            for k, v in sorted(r.items()):
                if k.endswith("why"):
                    print("%s: %s not measured: %s" % (n, k[:-4] or "all",
                                                        v))


if __name__ == "__main__":
    main()
