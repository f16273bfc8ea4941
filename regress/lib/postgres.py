#!/usr/bin/python3
#
# Copyright (c) 2026 The xmppd developers
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

"""Debian's PostgreSQL for the store's tests: a cluster made by initdb
in a temporary directory, run in the foreground as the postgres user
(PostgreSQL refuses root) on a loopback port, stopped by its PID.  Its
superuser logs in without a password from loopback; every other role
with a password (scram-sha-256).

    pg = Postgres().start()
    pg.create_db("xmppd1", "xmppd1", "secret")
    pg.psql("SELECT 1", db="xmppd1")
    pg.close()

With ssl=CA (a testca.Authority), the server also speaks TLS (ssl=on),
with a certificate of that CA for the name ssl_name; plaintext is still
accepted, so that a test can see which one a client used
(pg.ssl_clients()).  The members of the role "certauth" log in with a
client certificate of that CA naming them (CN), over TLS, instead of a
password (pg.create_cert_role()).
"""

import glob
import os
import shutil
import signal
import subprocess

from daemon import Daemon
from xmppdtest import TIMEOUT, free_port

SUPERUSER = "pgadmin"


def bindir():
    """The newest installed server's programs, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


def quote(v):
    """An SQL literal: a string, a number or NULL."""
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


class Postgres(Daemon):
    what = "postgres"
    user = "postgres"
    ready = r"database system is ready to accept connections"

    def __init__(self, dir=None, ssl=None, ssl_name="db.test"):
        super().__init__(dir)
        self.bin = bindir()
        if self.bin is None:
            raise AssertionError("PostgreSQL is not installed "
                                 "(scripts/deps.sh installs it)")
        self.port = free_port()
        self.data = self.path("data")
        if not os.path.exists(self.data):
            self.initdb()
        self.ssl = ssl
        if ssl is not None:
            self.make_certificate(ssl, ssl_name)

    def make_certificate(self, ca, name):
        """The server's certificate and key, in its directory: the
        server wants its key owned by itself and of mode 0600."""
        crt, key = ca.issue("postgres-" + name, dns=[name], cn=name)
        shutil.copyfile(crt, self.path("server.crt"))
        shutil.copyfile(key, self.path("server.key"))
        os.chmod(self.path("server.key"), 0o600)
        shutil.copyfile(ca.crt, self.path("client-ca.crt"))
        hba = os.path.join(self.data, "pg_hba.conf")
        with open(hba) as f:
            rules = f.read()
        with open(hba, "w") as f:
            f.write("hostssl all +certauth 127.0.0.1/32 cert\n" + rules)

    def create_cert_role(self, name):
        """A role that logs in with a client certificate only, owning a
        new database; returns the certificate and key (CN=name)."""
        if not self.psql("SELECT 1 FROM pg_roles WHERE rolname = "
                         "'certauth'"):
            self.psql("CREATE ROLE certauth NOLOGIN")
        self.psql("CREATE ROLE %s LOGIN IN ROLE certauth" % name)
        self.psql("CREATE DATABASE %s OWNER %s" % (name, name))
        return self.ssl.issue("client-" + name, cn=name)

    def initdb(self):
        self.chown()
        p = subprocess.run(
            [os.path.join(self.bin, "initdb"), "-D", self.data, "-U",
             SUPERUSER, "-E", "UTF8", "--locale=C", "--no-sync",
             "--auth-local=trust", "--auth-host=scram-sha-256"],
            cwd=self.dir, capture_output=True, text=True,
            preexec_fn=self.drop, timeout=120)
        if p.returncode != 0:
            raise AssertionError("initdb: %s%s" % (p.stdout, p.stderr))
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\n"
                    "host all %s 127.0.0.1/32 trust\n"
                    "host all all 127.0.0.1/32 scram-sha-256\n" % SUPERUSER)

    def argv(self):
        # fsync off: the cluster lives as long as the test run.
        return [os.path.join(self.bin, "postgres"), "-D", self.data,
                "-k", self.dir, "-h", "127.0.0.1", "-p", str(self.port),
                "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off", "-c", "max_connections=200"
                ] + self.ssl_argv()

    def ssl_argv(self):
        if self.ssl is None:
            return []
        return ["-c", "ssl=on",
                "-c", "ssl_cert_file=" + self.path("server.crt"),
                "-c", "ssl_key_file=" + self.path("server.key"),
                "-c", "ssl_ca_file=" + self.path("client-ca.crt")]

    def ssl_clients(self, role):
        """How role's sessions connect now: a list of "t" (TLS) and
        "f" (plaintext), one per session."""
        return sorted(r[0] for r in self.psql(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a "
            "USING (pid) WHERE a.usename = %s" % quote(role)))

    def stop(self):
        """A fast shutdown: clients are cut off, as when a server
        goes away under xmppd."""
        self.kill(signal.SIGINT)

    def psql(self, sql, db="postgres"):
        """Runs sql as the superuser; returns the rows, as lists of
        strings."""
        p = subprocess.run(
            [os.path.join(self.bin, "psql"), "-h", "127.0.0.1", "-p",
             str(self.port), "-U", SUPERUSER, "-d", db, "-X", "-q", "-A",
             "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True, timeout=TIMEOUT,
            env=dict(os.environ, PGCONNECT_TIMEOUT="5"))
        if p.returncode != 0:
            raise AssertionError("psql %r: %s" % (sql, p.stderr))
        return [line.split("\x1f") for line in p.stdout.splitlines()]

    def hold_lock(self, key, db="postgres"):
        """A psql session holding advisory lock key until release();
        returns the session once the lock is held."""
        p = subprocess.Popen(
            [os.path.join(self.bin, "psql"), "-h", "127.0.0.1", "-p",
             str(self.port), "-U", SUPERUSER, "-d", db, "-X", "-q", "-A",
             "-t", "-v", "ON_ERROR_STOP=1"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        p.stdin.write("SET lock_timeout = '%ds';\n"
                      "SELECT 'held', pg_advisory_lock(%d);\n" %
                      (TIMEOUT, key))
        p.stdin.flush()
        line = p.stdout.readline()
        assert line.startswith("held"), line
        return p

    @staticmethod
    def release_lock(p):
        """Ends a hold_lock() session, and the lock with it."""
        p.stdin.write("\\q\n")
        p.stdin.close()
        assert p.wait(timeout=TIMEOUT) == 0

    def create_db(self, name, role, password):
        """A role with a password, owning a new empty database."""
        self.psql("CREATE ROLE %s LOGIN PASSWORD %s" % (role,
                                                         quote(password)))
        self.psql("CREATE DATABASE %s OWNER %s" % (name, role))

    def drop_db(self, name, role):
        self.psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        self.psql("DROP ROLE IF EXISTS %s" % role)


_shared = None


def shared():
    """One cluster for a test run, started when first asked for."""
    global _shared
    if _shared is None:
        _shared = Postgres().start()
    return _shared


def shared_close():
    global _shared
    if _shared is not None:
        _shared.close()
        _shared = None
