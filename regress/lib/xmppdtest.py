"""Runs a real xmppd (the regress build) for end-to-end tests.

Each Server gets its own directory with a configuration, a datadir, a
control socket and free loopback ports.  The daemon runs in the
foreground (-d -v); its log lines are collected so tests can wait for
them instead of sleeping.
"""

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
OBJ = os.path.join(TOP, "regress", "obj")
XMPPD = os.path.join(OBJ, "xmppd", "xmppd")
XMPPCTL = os.path.join(OBJ, "xmppctl", "xmppctl")
USER = "_xmppd"
TIMEOUT = 20
# "postgresql": each Server keeps its data in a database of its own on
# the run's PostgreSQL cluster (regress/lib/postgres.py) instead of SQLite.
STORAGE = os.environ.get("REGRESS_STORAGE", "sqlite")


CERTS = os.path.join(OBJ, "certs")


def certs(name="example.org"):
    """A self-signed certificate for name and its subdomains; also one
    PEM file with the key and the certificate, as ejabberd uses."""
    crt = os.path.join(CERTS, name + ".crt")
    key = os.path.join(CERTS, name + ".key")
    if not os.path.exists(crt):
        os.makedirs(CERTS, exist_ok=True)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650",
             "-subj", "/CN=" + name, "-addext",
             "subjectAltName=DNS:%s,DNS:*.%s" % (name, name),
             "-keyout", key + ".tmp", "-out", crt + ".tmp"],
            check=True, capture_output=True)
        os.chmod(key + ".tmp", 0o600)
        pem = os.path.join(CERTS, name + ".pem")
        with open(pem + ".tmp", "w") as out:
            out.write(open(key + ".tmp").read() + open(crt + ".tmp").read())
        os.chmod(pem + ".tmp", 0o600)
        os.rename(pem + ".tmp", pem)
        os.rename(key + ".tmp", key)
        os.rename(crt + ".tmp", crt)
    return crt, key


_ports_given = set()


def free_port():
    """A loopback port nothing listens on, never the same one twice in a
    run: the kernel may hand a closed port out again at once, and two
    listeners of one server on one port would stop it at start."""
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _ports_given:
            _ports_given.add(port)
            return port


class Logged:
    """The lines a process writes, read by a thread as they come, for
    tests to wait on instead of sleeping."""
    what = "xmppd"

    def init_log(self):
        self.lines = []
        self.cond = threading.Condition()

    def follow(self, stream):
        """Collect the lines of stream (text) until its end."""
        self.reader = threading.Thread(target=self._reader, args=(stream,),
                                       daemon=True)
        self.reader.start()

    def _reader(self, stream):
        for line in stream:
            with self.cond:
                self.lines.append(line.rstrip("\r\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append("<EOF>")
            self.cond.notify_all()

    def mark(self):
        """A position in the log; wait_log(after=mark) looks past it."""
        with self.cond:
            return len(self.lines)

    def wait_log(self, pattern, after=0, timeout=TIMEOUT):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            i = after
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return m
                    if self.lines[i] == "<EOF>":
                        raise AssertionError(
                            "%s exited while waiting for %r; it said:\n%s"
                            % (self.what, pattern,
                               "\n".join(self.lines[max(0, i - 20):i])))
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no log line matching %r" % pattern)
                self.cond.wait(left)

    def log_has(self, pattern, after=0):
        rx = re.compile(pattern)
        with self.cond:
            return any(rx.search(l) for l in self.lines[after:])

    def log_tail(self, n=60):
        with self.cond:
            return "\n".join(self.lines[-n:])


class Server(Logged):
    def __init__(self, body="", prefork=2, name="xmppd"):
        self.dir = tempfile.mkdtemp(prefix="xmppd-regress-")
        os.chmod(self.dir, 0o755)
        self.datadir = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "xmppd.sock")
        self.conf = os.path.join(self.dir, "xmppd.conf")
        self.ports = {"client": free_port(), "client_tls": free_port()}
        self.prefork = prefork
        self.init_log()
        self.proc = None
        self.xmppd = XMPPD
        self.pg = None
        if STORAGE == "postgresql":
            self.pg_create()
        self.write_conf(body)

    def pg_create(self):
        import postgres
        self.pg = postgres.shared()
        self.pgdb = "xmppd_%s" % os.path.basename(self.dir).replace(
            "-", "_").lower()
        self.pgpass = "pw-" + self.pgdb
        self.pg.create_db(self.pgdb, self.pgdb, self.pgpass)
        # mucd's: a role and a database of its own.
        self.mucdb = self.pgdb + "_muc"
        self.pg.create_db(self.mucdb, self.mucdb, self.pgpass)

    def storage_conf(self):
        if self.pg is None:
            return ""
        return ('storage postgresql "hostaddr=127.0.0.1 port=%d dbname=%s '
                'user=%s password=%s"\n' % (self.pg.port, self.pgdb,
                                             self.pgdb, self.pgpass) +
                'muc storage postgresql "hostaddr=127.0.0.1 port=%d '
                'dbname=%s user=%s password=%s"\n' % (
                    self.pg.port, self.mucdb, self.mucdb, self.pgpass))

    def base_conf(self):
        crt, key = certs()
        return ('user "%s"\nprefork %d\ndatadir "%s"\nsocket "%s"\n%s'
                'tls keypair "example.org" {\n\tcertificate "%s"\n'
                '\tkey "%s"\n}\n'
                'domain "example.org" {\n\tauth internal\n}\n'
                'listen on 127.0.0.1 port %d client\n'
                'listen on 127.0.0.1 port %d client tls\n'
                % (USER, self.prefork, self.datadir, self.sock,
                   self.storage_conf(), crt, key,
                   self.ports["client"], self.ports["client_tls"]))

    def db_rows(self, sql, params=()):
        """Runs sql on the store's database, whichever it is; ? stands
        for each of params.  Returns the rows."""
        if self.pg is not None:
            import postgres
            parts = sql.split("?")
            assert len(parts) == len(params) + 1, sql
            text = parts[0] + "".join(postgres.quote(v) + p for v, p in
                                      zip(params, parts[1:]))
            return [tuple(r) for r in self.pg.psql(text, db=self.pgdb)]
        import sqlite3
        db = sqlite3.connect(os.path.join(self.datadir, "xmppd.db"))
        try:
            rows = db.execute(sql, params).fetchall()
            db.commit()
            return rows
        finally:
            db.close()

    def db_tables_with(self, column):
        """The store's tables that have this column."""
        if self.pg is not None:
            return [r[0] for r in self.db_rows(
                "SELECT table_name FROM information_schema.columns WHERE "
                "table_schema = 'public' AND column_name = ?", (column,))]
        return [t for (t,) in self.db_rows(
            "SELECT name FROM sqlite_master WHERE type='table'")
            if column in [c[1] for c in self.db_rows(
                "PRAGMA table_info(%s)" % t)]]

    def write_conf(self, body="", raw=None):
        text = raw if raw is not None else self.base_conf() + body
        with open(self.conf, "w") as f:
            f.write(text)
        os.chmod(self.conf, 0o600)

    def start(self, wait=True, args=(), env=None):
        self.proc = subprocess.Popen(
            [self.xmppd, "-d", "-v", "-f", self.conf] + list(args),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, errors="replace",
            env=dict(os.environ, **env) if env else None)
        self.follow(self.proc.stderr)
        if wait:
            self.wait_log(r"parent: startup finished|startup finished")
            if self.pg is not None:
                # The store connects without blocking the start.
                self.wait_log(r"store: connected to PostgreSQL")
            self.wait_muc_db()
        return self

    def wait_muc_db(self, after=0):
        """mucd on PostgreSQL connects without blocking its start: its
        rooms answer once it has."""
        if self.pg is None:
            return
        with open(self.conf) as f:
            if not re.search(r'^muc "', f.read(), re.M):
                return
        self.wait_log(r"muc db: connected to PostgreSQL", after=after)

    def ctl(self, *args, check=True, user=None):
        pre = None
        if user is not None:
            pw = pwd.getpwnam(user)

            def pre():
                os.setgid(pw.pw_gid)
                os.setuid(pw.pw_uid)
        p = subprocess.run([XMPPCTL, "-s", self.sock] + list(args),
                           capture_output=True, text=True, timeout=TIMEOUT,
                           preexec_fn=pre)
        if check and p.returncode != 0:
            raise AssertionError("xmppctl %s: %s" % (" ".join(args),
                                                     p.stderr))
        return p

    def processes(self):
        """xmppctl show processes as a list of dicts."""
        out = self.ctl("show", "processes").stdout.splitlines()
        procs = []
        for line in out[1:]:
            f = line.split()
            procs.append({"name": f[0], "instance": int(f[1]),
                          "pid": int(f[2]), "restarts": int(f[-1])})
        return procs

    def pid_of(self, name, instance=0):
        for p in self.processes():
            if p["name"] == name and p["instance"] == instance:
                return p["pid"]
        raise AssertionError("no process %s %d" % (name, instance))

    def wait_exit(self, timeout=TIMEOUT):
        return self.proc.wait(timeout=timeout)

    def stop_keep(self):
        """Stop the daemon and keep its files, to start it again."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=TIMEOUT)
        if self.proc is not None:
            # The old reader must be done before the log starts anew.
            self.reader.join(timeout=TIMEOUT)
        self.proc = None
        with self.cond:
            self.lines = []

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.pg is not None:
            self.pg.drop_db(self.pgdb, self.pgdb)
            self.pg.drop_db(self.mucdb, self.mucdb)
            self.pg = None
        shutil.rmtree(self.dir, ignore_errors=True)


def proc_status(pid):
    st = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            st[k] = v.strip()
    return st


def add_user(s, jid, password):
    p = subprocess.run([XMPPCTL, "-s", s.sock, "user", "add", jid],
                       input=password + "\n", capture_output=True, text=True,
                       timeout=TIMEOUT)
    if p.returncode != 0:
        raise AssertionError("user add %s: %s" % (jid, p.stderr))


def slix_login(port, jid, password, mech=None, direct_tls=False,
               actions=None, timeout=15, plugins=()):
    """Log in with slixmpp; returns the bound JID, or raises.  actions is
    an async callable given the client once the session is up; plugins
    are registered before connecting."""
    import asyncio
    import ssl
    from slixmpp import ClientXMPP

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    result = {}
    c = ClientXMPP(jid, password, sasl_mech=mech)
    c.register_plugin("xep_0199")
    for p in plugins:
        c.register_plugin(p)
    c.ssl_context.check_hostname = False
    c.ssl_context.verify_mode = ssl.CERT_NONE
    if direct_tls:
        c.ssl_context.set_alpn_protocols(["xmpp-client"])

    async def start(event):
        result["jid"] = str(c.boundjid)
        try:
            if actions is not None:
                result["actions"] = await actions(c)
        except Exception as e:
            result["error"] = e
        c.disconnect()

    c.add_event_handler("session_start", start)
    c.add_event_handler("failed_auth",
                        lambda e: (result.setdefault("failed", True),
                                   c.disconnect()))
    c.connect(("127.0.0.1", port), use_ssl=direct_tls)
    try:
        loop.run_until_complete(asyncio.wait_for(c.disconnected, timeout))
    except asyncio.TimeoutError:
        raise AssertionError("slixmpp: no session within %ds" % timeout)
    if "error" in result:
        raise result["error"]
    if "jid" not in result:
        raise AssertionError("slixmpp: login failed: %r" % result)
    return result


def started(users=("alice", "bob"), **kwargs):
    """A started Server with accounts user@example.org, password
    "user-pw"."""
    s = Server(**kwargs)
    s.start()
    for u in users:
        add_user(s, "%s@example.org" % u, u + "-pw")
    return s


def run_async(coro):
    """Runs coro on a new event loop and returns its value; what the
    clients left running (slixmpp's tasks) is cancelled with the loop."""
    import asyncio

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(coro)
    finally:
        pending = asyncio.all_tasks(loop)
        for t in pending:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*pending,
                                               return_exceptions=True))
        loop.close()
