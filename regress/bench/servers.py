"""The servers of bench.py: xmppd, ejabberd and Prosody, each configured
alike in a directory of its own, its accounts created in bulk, started
in the foreground on a loopback port and stopped; and the processes each
one runs, for bench.py to measure.  Each also accepts the external
component echo.bench.example (XEP-0114) on a port of its own, with the
same secret everywhere, for echocomp.  For the upload scenario, xmppd with
an upload service (uploadd) and nginx with its WebDAV PUT, serving
HTTPS with the same certificate.
"""

import hashlib
import hmac
import os
import pwd
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
# The build of `make -C regress/bench`, which finds its mucd in the tree.
XMPPD = os.environ.get("XMPPD", os.path.join(HERE, "obj", "xmppd", "xmppd"))
DOMAIN = "bench.example"
MUC_DOMAIN = "conference." + DOMAIN
MUC_HISTORY = 100       # messages a room keeps and gives a joining user
UPLOAD_DOMAIN = "upload." + DOMAIN
# The external component of the component scenario, on every server.
COMP_DOMAIN = "echo." + DOMAIN
COMP_SECRET = "bench-component-secret"
UPLOAD_MAX = 200 * 1048576      # the largest upload either server accepts
NGINX = "/usr/sbin/nginx"
PASSWORD = "pw"
# One salt for every account of xmppd and Prosody (ejabberd's import draws
# its own): the servers' costs do not depend on it, and the load client
# derives the salted password once.
SALT = b"xmppd-bench-salt"
ITER = 4096
CONTACTS = 200          # roster size in the roster scenario
ROSTER_USERS = 401      # roster0000.., each with 100 neighbours each side
NOFILE = 20000


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --- processes ------------------------------------------------------------

def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


def descendants(pid):
    kids = children_map()
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(kids.get(p, []))
    return out


def pids_by_name(name):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/comm" % d) as f:
                    if f.read().strip() == name:
                        out.append(int(d))
            except OSError:
                pass
    return out


def wait_port(port, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %d" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("port %d never accepted" % port)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_nofile():
    import resource
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


def run(cmd, **kw):
    kw.setdefault("check", True)
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, **kw)


def scram_keys(hashname):
    sp = hashlib.pbkdf2_hmac(hashname, PASSWORD.encode(), SALT, ITER)
    ckey = hmac.new(sp, b"Client Key", hashname).digest()
    stored = hashlib.new(hashname, ckey).digest()
    server = hmac.new(sp, b"Server Key", hashname).digest()
    return stored, server


def users(n):
    return ["user%04d" % i for i in range(n)]


def roster_of(i):
    """The contacts of roster<i>: its neighbours, so that every
    subscription is mutual."""
    half = CONTACTS // 2
    return ["roster%04d" % ((i + d) % ROSTER_USERS)
            for d in list(range(-half, 0)) + list(range(1, half + 1))]


def prosody_account():
    """An account file of Prosody's internal_hashed storage: the SCRAM
    keys of PASSWORD with the shared salt."""
    stored, server = scram_keys("sha1")
    return ('return {\n\t["iteration_count"] = %d;\n'
            '\t["salt"] = "%s";\n\t["stored_key"] = "%s";\n'
            '\t["server_key"] = "%s";\n};\n'
            % (ITER, SALT.decode(), stored.hex(), server.hex()))


def role_pids(pids):
    """{name: [pids]} of xmppd's processes among pids, from their
    process titles."""
    out = {}
    for p in pids:
        try:
            with open("/proc/%d/cmdline" % p) as f:
                title = f.read().replace("\0", " ").strip()
        except OSError:
            continue
        if title.startswith("xmppd: "):
            out.setdefault(title.split()[1], []).append(p)
        elif title.split()[:1] in (["mucd"], ["ldapauthd"],
                                   ["uploadd"]):
            out.setdefault(title.split()[0], []).append(p)
    return out


def chown_tree(path, user):
    pw = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for f in files:
            os.chown(os.path.join(root, f), pw.pw_uid, pw.pw_gid)


# --- servers --------------------------------------------------------------

class Server:
    name = "?"

    def __init__(self, top, cert, archive=False):
        self.archive = archive
        self.dir = os.path.join(top, self.name)
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        self.cert = cert
        self.port = free_port()
        self.comp_port = free_port()
        self.proc = None
        self.extra = []         # processes it started outside its tree

    def pids(self):
        return descendants(self.proc.pid) + self.extra

    def start(self):
        self.errlog = open(os.path.join(self.dir, "stderr.log"), "a")
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            preexec_fn=self.preexec, cwd=self.dir, env=self.env(),
            text=True, errors="replace")
        self.reader = threading.Thread(target=self.read_log, daemon=True)
        self.reader.start()
        wait_port(self.port, self.proc, 120)
        self.started()

    def read_log(self):
        """The server's output to stderr.log, and to wait_log."""
        for line in self.proc.stdout:
            self.errlog.write(line)
            self.errlog.flush()
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)
            self.cond.notify_all()

    def wait_log(self, pattern, timeout=60):
        """The first line of this run matching pattern, once written."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        i = 0
        with self.cond:
            while True:
                for line in self.lines[i:]:
                    if line is None:
                        raise RuntimeError("%s exited waiting for %r" %
                                           (self.name, pattern))
                    if rx.search(line):
                        return line
                i = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("%s never logged %r" %
                                       (self.name, pattern))
                self.cond.wait(left)

    def env(self):
        return dict(os.environ)

    def preexec(self):
        raise_nofile()

    def started(self):
        pass

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                for p in reversed(descendants(self.proc.pid)):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
                self.proc.wait(10)
        self.reader.join(2)
        self.proc = None
        self.errlog.close()

    def tail(self, n=20):
        try:
            with open(os.path.join(self.dir, "stderr.log")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


class Xmppd(Server):
    name = "xmppd"

    def command(self):
        return [XMPPD, "-d", "-f", self.conf]

    def prepare(self, nusers):
        self.conf = os.path.join(self.dir, "xmppd.conf")
        self.datadir = os.path.join(self.dir, "data")
        # The same features on every server: message archives on all
        # (--archive) or on none.  An xmppd without archives yet has no
        # such keyword.
        archive = "\tarchive default %s\n" % (
            "always" if self.archive else "never")
        # An xmppd without archives yet has no such keyword, one without
        # external components no `component rate` (the component scenario
        # then says it is not measured): the first configuration it takes.
        tries = [(True, archive), (False, archive)]
        if not self.archive:
            tries += [(True, ""), (False, "")]
        for self.components, arch in tries:
            self.write_conf(arch)
            if run([XMPPD, "-n", "-f", self.conf],
                   check=False).returncode == 0:
                break
        else:
            if self.archive:
                raise RuntimeError("this xmppd keeps no archives")
            run([XMPPD, "-n", "-f", self.conf])
        self.populate(nusers)

    def write_conf(self, archive):
        with open(self.conf, "w") as f:
            f.write('user "_xmppd"\n'
                    'datadir "%s"\n'
                    'socket "%s/xmppd.sock"\n'
                    'limits {\n'
                    '\tclient rate 1G\n'
                    '%s'
                    '\tconnections per address 100000\n'
                    '\tauth failures 1000 per 1s\n'
                    '}\n'
                    'tls keypair "%s" {\n'
                    '\tcertificate "%s"\n\tkey "%s"\n}\n'
                    'domain "%s" {\n'
                    '\ttls keypair "%s"\n'
                    '\tauth internal\n'
                    '\tregistration deny\n'
                    '%s'
                    '}\n'
                    'muc "%s" {\n'
                    '\thistory %d\n'
                    '\tmessage rate 100000 per 1s\n'
                    '}\n'
                    'listen on 127.0.0.1 port %d client\n'
                    % (self.datadir, self.dir,
                       "\tcomponent rate 1G\n" if self.components else "",
                       DOMAIN, self.cert["crt"],
                       self.cert["key"], DOMAIN, DOMAIN, archive,
                       MUC_DOMAIN, MUC_HISTORY, self.port))
            if self.components:
                f.write('component "%s" password "%s"\n'
                        'listen on 127.0.0.1 port %d component\n'
                        % (COMP_DOMAIN, COMP_SECRET, self.comp_port))
            f.write(self.upload_block())
        os.chmod(self.conf, 0o600)

    def upload_block(self):
        return ""

    def populate(self, nusers):
        # A first start lays out the datadir and the schema; the accounts
        # and rosters then go straight into SQLite, hashed as xmppd does.
        self.start()
        path = os.path.join(self.datadir, "xmppd.db")
        deadline = time.monotonic() + 60
        while True:
            try:
                db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
                ok = db.execute("SELECT count(*) FROM meta WHERE "
                                "key = 'schema'").fetchone()[0]
                db.close()
                if ok:
                    break
            except sqlite3.Error:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("xmppd made no database")
            time.sleep(0.2)
        self.stop()
        db = sqlite3.connect(path)
        now = int(time.time())
        keys = [(1, scram_keys("sha1")), (2, scram_keys("sha256"))]
        names = users(nusers) + ["roster%04d" % i
                                 for i in range(ROSTER_USERS)]
        with db:
            db.executemany("INSERT OR IGNORE INTO accounts VALUES (?, ?, ?)",
                           [(DOMAIN, u, now) for u in names])
            db.executemany(
                "INSERT OR REPLACE INTO scram (domain, localpart, hash, "
                "iterations, salt, stored_key, server_key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(DOMAIN, u, h, ITER, SALT, k[0], k[1])
                 for u in names for h, k in keys])
            db.executemany(
                "INSERT OR REPLACE INTO roster (domain, localpart, contact, "
                "name, groups, subscription, ask, approved, in_roster, "
                "pending) VALUES (?, ?, ?, '', '', 3, 0, 0, 1, '')",
                [(DOMAIN, "roster%04d" % i, c + "@" + DOMAIN)
                 for i in range(ROSTER_USERS) for c in roster_of(i)])
        db.close()
        chown_tree(self.datadir, "_xmppd")

    def role_pids(self):
        """{name: [pids]} from the process titles."""
        return role_pids(self.pids())


class Uploadd(Xmppd):
    """xmppd with an upload service on a port of its own: uploadd serves
    HTTPS with the certificate of bench.example (its SAN covers
    upload.bench.example); its slots are asked for over XMPP by
    upslots.py."""
    name = "uploadd"

    def __init__(self, top, cert, archive=False):
        Xmppd.__init__(self, top, cert, archive)
        self.http_port = free_port()

    def upload_block(self):
        return ('upload "%s" {\n'
                '\tlisten on 127.0.0.1 port %d tls\n'
                '\turl "https://%s:%d"\n'
                '\tmax size %dM\n'
                '\tquota 100G\n'
                '\texpire 1d\n'
                '}\n' % (UPLOAD_DOMAIN, self.http_port, UPLOAD_DOMAIN,
                         self.http_port, UPLOAD_MAX // 1048576))

    def started(self):
        wait_port(self.http_port, self.proc, 60)

    def serving_pids(self):
        """The processes whose memory the scenario follows."""
        return self.role_pids().get("uploadd", [])

    def slots(self, n, size, prefix):
        """n upload slots of size bytes, as (PUT URL, GET URL, the PUT's
        headers, each after a tab)."""
        out = run([sys.executable, os.path.join(HERE, "upslots.py"),
                   "-P", str(self.port), "-j", "user0000@" + DOMAIN,
                   "-w", PASSWORD, "-s", UPLOAD_DOMAIN, "-n", str(n),
                   "-l", str(size), "-p", prefix], check=False)
        if out.returncode:
            raise RuntimeError("no upload slots: %s"
                               % out.stderr.strip().split("\n")[-1])
        out = [line.partition("\t") for line in out.stdout.splitlines()]
        return [tuple(urls.split(" ", 1)) + (sep + hdrs,)
                for urls, sep, hdrs in out]


class Nginx(Server):
    """nginx from Debian: the same file over HTTPS with the same
    certificate, uploads with PUT through its WebDAV module.  As many
    workers as uploadd has processes serving HTTP (one) unless told."""
    name = "nginx"
    workers = 1

    @property
    def http_port(self):
        return self.port

    def command(self):
        return [NGINX, "-p", self.dir, "-e", self.errfile, "-c", self.conf,
                "-g", "daemon off;"]

    def prepare(self, nusers=0):
        self.conf = os.path.join(self.dir, "nginx.conf")
        self.errfile = os.path.join(self.dir, "error.log")
        self.root = os.path.join(self.dir, "files")
        for d in (self.root, os.path.join(self.dir, "tmp")):
            os.makedirs(d)
        with open(self.conf, "w") as f:
            f.write(NGINX_CONF % {"dir": self.dir, "port": self.port,
                                  "crt": self.cert["crt"],
                                  "key": self.cert["key"],
                                  "workers": self.workers,
                                  "name": UPLOAD_DOMAIN,
                                  "max": UPLOAD_MAX // 1048576})
        chown_tree(self.dir, "www-data")
        run([NGINX, "-t", "-p", self.dir, "-e", self.errfile, "-c",
             self.conf])

    def serving_pids(self):
        """Its workers: the master only watches them."""
        return [p for p in self.pids() if p != self.proc.pid]

    def slots(self, n, size, prefix):
        base = "https://%s:%d/%s" % (UPLOAD_DOMAIN, self.port, prefix)
        return [(base + "%04d.bin" % i,) * 2 + ("",) for i in range(n)]


NGINX_CONF = """\
user www-data;
worker_processes %(workers)d;
pid %(dir)s/nginx.pid;
events {
\tworker_connections 4096;
}
http {
\taccess_log off;
\terror_log %(dir)s/error.log warn;
\tdefault_type application/octet-stream;
\tsendfile on;
\tclient_body_temp_path %(dir)s/tmp;
\tclient_max_body_size %(max)dm;
\tserver {
\t\tlisten 127.0.0.1:%(port)d ssl;
\t\tserver_name %(name)s;
\t\tssl_certificate %(crt)s;
\t\tssl_certificate_key %(key)s;
\t\tssl_protocols TLSv1.2 TLSv1.3;
\t\troot %(dir)s/files;
\t\tlocation / {
\t\t\tdav_methods PUT;
\t\t\tcreate_full_put_path on;
\t\t}
\t}
}
"""


class Ejabberd(Server):
    name = "ejabberd"
    node = "xmppdbench@localhost"

    def ctl(self, *args, check=True):
        return run(["ejabberdctl", "--config", self.conf, "--ctl-config",
                    self.ctlconf, "--logs", self.logs, "--spool", self.spool,
                    "--node", self.node] + list(args), check=check,
                   preexec_fn=self.preexec, env=self.env(), cwd=self.spool)

    def preexec(self):
        # As ejabberd itself rather than through ejabberdctl's su, which
        # would bring the descriptor limit back to 1024.
        raise_nofile()
        pw = pwd.getpwnam("ejabberd")
        os.setgid(pw.pw_gid)
        os.initgroups("ejabberd", pw.pw_gid)
        os.setuid(pw.pw_uid)

    def command(self):
        return ["ejabberdctl", "--config", self.conf, "--ctl-config",
                self.ctlconf, "--logs", self.logs, "--spool", self.spool,
                "--node", self.node, "foreground"]

    def env(self):
        e = dict(os.environ)
        e["HOME"] = "/var/lib/ejabberd"
        return e

    def yml(self, pem):
        """ejabberd.yml, the certificate and key in pem."""
        text = EJABBERD_YML % {"domain": DOMAIN, "pem": pem,
                               "port": self.port, "muc": MUC_DOMAIN,
                               "history": MUC_HISTORY,
                               "comp_port": self.comp_port,
                               "comp": COMP_DOMAIN, "secret": COMP_SECRET}
        if self.archive:
            text += "  mod_mam:\n    default: always\n"
        return text

    def write_config(self):
        """Its configuration, its directories and its certificate, owned
        by ejabberd."""
        self.conf = os.path.join(self.dir, "ejabberd.yml")
        self.ctlconf = os.path.join(self.dir, "ejabberdctl.cfg")
        self.logs = os.path.join(self.dir, "logs")
        self.spool = os.path.join(self.dir, "spool")
        pem = os.path.join(self.dir, "bench.pem")
        shutil.copy(self.cert["pem"], pem)
        for d in (self.logs, self.spool):
            os.makedirs(d)
        with open(self.conf, "w") as f:
            f.write(self.yml(pem))
        with open(self.ctlconf, "w") as f:
            f.write("ERL_MAX_PORTS=65536\nERL_PROCESSES=1000000\n"
                    "ERL_OPTIONS=\"-env ERL_CRASH_DUMP_BYTES 0\"\n"
                    "EJABBERD_PID_PATH=%s/ejabberd.pid\n"
                    "EJABBERD_BYPASS_WARNINGS=true\n" % self.dir)
        chown_tree(self.dir, "ejabberd")

    def prepare(self, nusers):
        self.write_config()
        piefxis = os.path.join(self.dir, "accounts.xml")
        with open(piefxis, "w") as f:
            f.write("<?xml version='1.0' encoding='UTF-8'?>\n"
                    "<server-data xmlns='urn:xmpp:pie:0'>\n"
                    "<host jid='%s'>\n" % DOMAIN)
            for u in users(nusers):
                f.write("<user name='%s' password='%s'/>\n" % (u, PASSWORD))
            for i in range(ROSTER_USERS):
                f.write("<user name='roster%04d' password='%s'>"
                        "<query xmlns='jabber:iq:roster'>" % (i, PASSWORD))
                for c in roster_of(i):
                    f.write("<item jid='%s@%s' subscription='both'/>"
                            % (c, DOMAIN))
                f.write("</query></user>\n")
            f.write("</host>\n</server-data>\n")
        chown_tree(self.dir, "ejabberd")
        self.start()
        t = time.monotonic()
        self.ctl("--no-timeout", "import_piefxis", piefxis)
        log("  ejabberd: imported %d accounts in %.0f s"
            % (nusers + ROSTER_USERS, time.monotonic() - t))
        self.stop()

    def started(self):
        # epmd detaches; it belongs to this run when it was not there.
        self.extra = [p for p in pids_by_name("epmd")
                      if p not in self.epmd_before]
        # The port opens before every module is up.
        self.ctl("started", check=False)

    def start(self):
        self.epmd_before = pids_by_name("epmd")
        Server.start(self)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.ctl("stop", check=False)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                pass
        Server.stop(self)
        for p in self.extra:
            try:
                os.kill(p, signal.SIGKILL)      # epmd ignores SIGTERM
            except OSError:
                pass
        self.extra = []


EJABBERD_YML = """\
hosts:
  - "%(domain)s"
loglevel: warning
certfiles:
  - "%(pem)s"
listen:
  -
    port: %(port)d
    ip: "127.0.0.1"
    backlog: 511
    module: ejabberd_c2s
    starttls_required: true
    max_stanza_size: 262144
    shaper: none
    access: c2s
  -
    port: %(comp_port)d
    ip: "127.0.0.1"
    module: ejabberd_service
    max_stanza_size: 262144
    shaper_rule: none
    hosts:
      "%(comp)s":
        password: "%(secret)s"
auth_method: internal
auth_password_format: scram
auth_scram_hash: sha
default_db: mnesia
max_fsm_queue: 1000000
shaper:
  normal:
    rate: 1000000000
  fast:
    rate: 1000000000
shaper_rules:
  max_user_sessions: 1000000
  max_user_offline_messages: 5000
  c2s_shaper: none
  s2s_shaper: none
acl:
  local:
    user_regexp: ""
  loopback:
    ip:
      - 127.0.0.0/8
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  register:
    deny: all
api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
modules:
  mod_disco: {}
  mod_last: {}
  mod_offline: {}
  mod_ping: {}
  mod_private: {}
  mod_roster:
    versioning: true
  mod_vcard: {}
  mod_muc:
    host: "%(muc)s"
    access: all
    access_create: all
    access_persistent: all
    history_size: %(history)d
    max_users: 100000
    max_users_presence: 100000
    max_user_conferences: 1000
    min_message_interval: 0
    min_presence_interval: 0
    room_shaper: none
    user_message_shaper: none
    user_presence_shaper: none
    default_room_options:
      max_users: 100000
      mam: false
"""


class Prosody(Server):
    name = "prosody"

    def command(self):
        return ["prosody", "-F", "--config", self.conf]

    def preexec(self):
        # Prosody refuses root; its package runs it as prosody.
        raise_nofile()
        pw = pwd.getpwnam("prosody")
        os.setgid(pw.pw_gid)
        os.initgroups("prosody", pw.pw_gid)
        os.setuid(pw.pw_uid)

    def env(self):
        e = dict(os.environ)
        e["HOME"] = self.dir
        return e

    def prepare(self, nusers):
        self.conf = os.path.join(self.dir, "prosody.cfg.lua")
        self.data = os.path.join(self.dir, "data")
        crt = os.path.join(self.dir, "bench.crt")
        key = os.path.join(self.dir, "bench.key")
        shutil.copy(self.cert["crt"], crt)
        shutil.copy(self.cert["key"], key)
        with open(self.conf, "w") as f:
            f.write(PROSODY_CFG % {"domain": DOMAIN, "dir": self.dir,
                                   "data": self.data, "port": self.port,
                                   "crt": crt, "key": key,
                                   "muc": MUC_DOMAIN,
                                   "history": MUC_HISTORY,
                                   "comp_port": self.comp_port,
                                   "comp": COMP_DOMAIN,
                                   "secret": COMP_SECRET,
                                   "mam": '"mam";' if self.archive else "",
                                   "policy": "true" if self.archive
                                   else "false"})
        # internal_hashed accounts and rosters, written as Prosody's
        # file storage keeps them.
        host = DOMAIN.replace(".", "%2e")
        acc = os.path.join(self.data, host, "accounts")
        ros = os.path.join(self.data, host, "roster")
        os.makedirs(acc)
        os.makedirs(ros)
        account = prosody_account()
        names = users(nusers) + ["roster%04d" % i
                                 for i in range(ROSTER_USERS)]
        for u in names:
            with open(os.path.join(acc, u + ".dat"), "w") as f:
                f.write(account)
        for i in range(ROSTER_USERS):
            with open(os.path.join(ros, "roster%04d.dat" % i), "w") as f:
                f.write('return {\n\t[false] = {\n\t\t["version"] = 1;\n'
                        '\t\t["pending"] = {};\n\t};\n')
                for c in roster_of(i):
                    f.write('\t["%s@%s"] = {\n\t\t["subscription"] = '
                            '"both";\n\t\t["groups"] = {};\n\t};\n'
                            % (c, DOMAIN))
                f.write("};\n")
        chown_tree(self.dir, "prosody")


PROSODY_CFG = """\
pidfile = "%(dir)s/prosody.pid"
certificates = "%(dir)s"
data_path = "%(data)s"
log = { warn = "%(dir)s/prosody.log" }
interfaces = { "127.0.0.1" }
network_settings = { tcp_backlog = 511 }
c2s_ports = { %(port)d }
c2s_direct_tls_ports = { }
s2s_ports = { }
component_ports = { %(comp_port)d }
component_interfaces = { "127.0.0.1" }
http_ports = { }
https_ports = { }
admins = { }
modules_enabled = {
	"roster"; "saslauth"; "tls"; "disco"; "ping"; "private";
	"vcard_legacy"; "lastactivity"; "offline"; %(mam)s
}
default_archive_policy = %(policy)s
modules_disabled = { "s2s" }
allow_registration = false
c2s_require_encryption = true
authentication = "internal_hashed"
storage = "internal"
-- No mod_limits: the c2s rate is not limited, as in xmppd's limits here.
VirtualHost "%(domain)s"
	ssl = { certificate = "%(crt)s"; key = "%(key)s"; }
-- Rooms keep and give %(history)d messages; Prosody limits neither the
-- occupants of a room nor their message rate.
Component "%(muc)s" "muc"
	max_history_messages = %(history)d
	muc_room_default_history_length = %(history)d
-- The echo component (XEP-0114); Prosody does not limit its rate.
Component "%(comp)s"
	component_secret = "%(secret)s"
"""

SERVERS = {"xmppd": Xmppd, "ejabberd": Ejabberd, "prosody": Prosody}
# The upload scenario's: xmppd's uploadd beside nginx.
UPLOAD_SERVERS = {"xmppd": Uploadd, "nginx": Nginx}


# --- installing the peers -------------------------------------------------

def install_peers(names):
    want = {"ejabberd": "ejabberd", "prosody": "prosody", "nginx": "nginx"}
    prog = {"ejabberd": "ejabberdctl", "prosody": "prosody",
            "nginx": NGINX}
    missing = [want[n] for n in names if n in want
               and shutil.which(prog[n]) is None]
    if missing:
        log("installing %s from Debian" % " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-q"], env=env, capture_output=False,
            stdout=sys.stderr)
        run(["apt-get", "install", "-y", "-q"] + missing, env=env,
            capture_output=False, stdout=sys.stderr)
    # Their system services must hold no port and no CPU during the run.
    for svc in ("ejabberd", "prosody", "nginx"):
        if shutil.which("systemctl") and os.path.isdir("/run/systemd/system"):
            run(["systemctl", "disable", "--now", svc], check=False)
        elif os.path.exists("/etc/init.d/" + svc):
            run(["/etc/init.d/" + svc, "stop"], check=False)


def make_cert(top):
    crt = os.path.join(top, "bench.crt")
    key = os.path.join(top, "bench.key")
    pem = os.path.join(top, "bench.pem")
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650",
         "-subj", "/CN=" + DOMAIN, "-addext",
         "subjectAltName=DNS:%s,DNS:*.%s" % (DOMAIN, DOMAIN),
         "-keyout", key, "-out", crt])
    with open(pem, "w") as out:
        out.write(open(key).read() + open(crt).read())
    for f in (crt, key, pem):
        os.chmod(f, 0o600)
    return {"crt": crt, "key": key, "pem": pem}
