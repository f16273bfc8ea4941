"""The steady load every fault scenario runs under, and the checks of
what users see afterwards.

    s = faultload.release(Server(body=faultload.config(upload_port)))
    s.start()
    load = faultload.Load(s, upload_port=upload_port)
    load.add_users()
    load.start()            # xmppload, httpload and the checker
    ...                     # the fault
    load.checker.wait_progress()
    load.stop()
    res = load.checker.verify()     # reads the archives
    res.assert_exactly_once()
    faultload.integrity(s)

The load: xmppload (regress/bench) holding sessions logged in (-m idle),
pairs exchanging messages (-m messages) and a room's occupants talking
(-m muc), and uploads (upslots.py for the slots, httpload -m put to send
and read back); each load process that exits (a fault cut its
connections) is started again while the load runs, and its runs are
counted.  The checker: pairs of clients of its own with stream
management (XEP-0198) on asyncio, a sender sending numbered messages to
its receiver and recording which the server acknowledged, the receiver
recording what it got with the archive's stanza-id; both reconnect and
try to resume whenever their connection is lost.  verify() then reads
the receivers' and the senders' archives (XEP-0313): an acknowledged
message must be in each archive exactly once and delivered or stored;
no message may appear under two archive ids (the server took it twice).
A message delivered twice with one archive id is a redelivery of what
the receiver had not acknowledged, as XEP-0198 allows.

The size scales with FAULTLOAD_SCALE (1.0: about 1,000 sessions; the
machine running make faults is small, so the default is what it holds).
"""

import asyncio
import base64
import collections
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import rawxmpp
from xmppdtest import TOP, XMPPCTL

BENCH = os.path.join(TOP, "regress", "bench")
# xmppd as released (make -C regress/bench): the regress build shrinks
# limits so that tests can reach them (50 messages waiting for the
# archive instead of 10000), which a steady load would hit at once.
RELEASE_XMPPD = os.path.join(BENCH, "obj", "xmppd", "xmppd")
XMPPLOAD = os.path.join(BENCH, "xmppload")
HTTPLOAD = os.path.join(BENCH, "httpload")
UPSLOTS = os.path.join(BENCH, "upslots.py")
# upslots.py needs slixmpp, which Debian's python3 has.
PYTHON = "/usr/bin/python3"
PASSWORD = "fl-pw"
UPLOADER = "flupload"     # the account asking for upload slots
CK_PASSWORD = "ck-pw"
SM = "urn:xmpp:sm:3"
MAM = "urn:xmpp:mam:2"
SID = "urn:xmpp:sid:0"
C = "{jabber:client}"
STANZAS = (C + "message", C + "presence", C + "iq")


def scale():
    return float(os.environ.get("FAULTLOAD_SCALE", "1"))


def release(s):
    """Runs Server s with xmppd as released; returns s."""
    if not os.access(RELEASE_XMPPD, os.X_OK):
        raise AssertionError("%s: not built (make -C regress/bench)" %
                             RELEASE_XMPPD)
    s.xmppd = RELEASE_XMPPD
    return s


def config(upload_port=None, domain="example.org"):
    """What the load needs in xmppd.conf, after Server's base: limits
    lifted for many sessions from one address, a MUC service, and an
    upload service on upload_port (none when None)."""
    text = ('limits {\n\tclient rate 1G\n'
            '\tconnections per address 100000\n'
            '\tauth failures 1000 per 1s\n'
            '\tsessions per user 20\n}\n'
            'muc "conference.%s" {\n\tmessage rate 100000 per 1s\n}\n'
            % domain)
    if upload_port is not None:
        text += ('upload "upload.%s" {\n'
                 '\tlisten on 127.0.0.1 port %d tls\n'
                 '\turl "https://upload.%s:%d"\n'
                 '\tmax size 20M\n\tquota 10G\n}\n'
                 % (domain, upload_port, domain, upload_port))
    return text


class Looped:
    """One load process started again each time it exits, until
    stop(): its runs, exit codes and last lines are kept."""

    def __init__(self, name, argv_fn, run_timeout=None, keep=20):
        self.name = name
        self.argv_fn = argv_fn
        # A run cut by a fault may wait forever on an answer: killed
        # after run_timeout seconds, counted as an exit of -9.
        self.run_timeout = run_timeout
        self.runs = 0
        self.exits = collections.Counter()
        # The last keep lines, and the last 50 runs that did not exit
        # 0: (run number, from 1; exit code; killed after run_timeout;
        # lines).
        self.last = collections.deque(maxlen=keep)
        self.nlines = 0
        self.failed = collections.deque(maxlen=50)
        self.ready = 0
        self.changed = threading.Condition()
        self.proc = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self):
        self.thread.start()

    def _loop(self):
        while not self.stopping.is_set():
            argv = self.argv_fn(self.runs)
            with self.lock:
                if self.stopping.is_set():
                    break
                # A group of its own: a shell line's children end with it.
                self.proc = subprocess.Popen(
                    argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, text=True, errors="replace",
                    start_new_session=True)
            self.runs += 1
            timer = None
            expired = threading.Event()
            if self.run_timeout is not None:
                timer = threading.Timer(self.run_timeout, self._expire,
                                        (self.proc, expired))
                timer.start()
            lines = []
            for line in self.proc.stdout:
                line = line.rstrip()
                lines.append(line)
                with self.changed:
                    self.last.append(line)
                    self.nlines += 1
                if line.startswith(("ready", "logged", "result")):
                    self.ready += 1
                self._changed()
            code = self.proc.wait()
            if timer is not None:
                timer.cancel()
            if code != 0:
                self.failed.append((self.runs, code, expired.is_set(),
                                    lines))
            self.exits[code] += 1
            self._changed()
            # A fault may refuse every try for a while: not a busy loop.
            self.stopping.wait(0.5)

    def _changed(self):
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, pred, timeout):
        """Until pred(self) holds, woken by each line and exit; False if
        timeout passed first."""
        with self.changed:
            return self.changed.wait_for(lambda: pred(self), timeout)

    def wait_line(self, pattern, timeout, since=None):
        """Until a line said from now on (or since the since'th line)
        matches pattern, within keep lines of the newest; the match, or
        None if timeout passed first."""
        rx = re.compile(pattern)
        with self.changed:
            seen = self.nlines if since is None else since
            found = []

            def new():
                n = min(self.nlines - seen, len(self.last))
                for line in list(self.last)[len(self.last) - n:]:
                    m = rx.search(line)
                    if m:
                        found.append(m)
                        return True
                return False
            if not self.changed.wait_for(new, timeout):
                return None
            return found[0]

    @classmethod
    def _expire(cls, p, expired):
        expired.set()
        cls._kill(p, signal.SIGKILL)

    @staticmethod
    def _kill(p, sig):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self):
        self.stopping.set()
        with self.lock:
            p = self.proc
        if p is not None and p.poll() is None:
            try:
                p.stdin.write("\n")
                p.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            # idle ends on the line; the others on SIGTERM.
            for how in (None, signal.SIGTERM, signal.SIGKILL):
                if how is not None:
                    self._kill(p, how)
                try:
                    p.wait(timeout=2 if how is None else 10)
                    break
                except subprocess.TimeoutExpired:
                    pass
        self.thread.join(timeout=30)

    def summary(self):
        return "%s: %d runs, exits %s" % (self.name, self.runs,
                                          dict(self.exits))

    def failures(self, why, since=0):
        """{how a run ended: runs} over the failed runs kept whose
        number is since or more (runs, read before a fault, is the
        number of the run then going on); why(lines) says how one
        ended."""
        out = collections.Counter()
        for run, _, expired, lines in self.failed:
            if run >= since:
                out["killed after %d s, %s" % (self.run_timeout,
                                               why(lines))
                    if expired else why(lines)] += 1
        return dict(out)


def upload_round_why(lines):
    """How an upload round that failed ended, in a few words: what
    upslots said, or httpload's reasons by method (without the URLs);
    a round cut by the time limit, the last step seen."""
    for l in reversed(lines):
        if l.startswith("upslots: "):
            return l
        m = re.match(r"fail mode=\S+ .*why=(.*)", l)
        if m:
            return "httpload: " + m.group(1)
    notes = sorted(set(re.sub(r"^httpload: (\S+) \S+: (?:\1 )?", r"\1 ", l)
                       for l in lines if re.match(r"httpload: [A-Z]+ ", l)))
    if notes:
        return "httpload: " + ", ".join(notes)
    return "last: " + (lines[-1] if lines else "nothing said")


class Load:
    """The whole steady load on server s (a xmppdtest.Server whose
    configuration has config()'s text)."""

    def __init__(self, s, upload_port=None, domain="example.org",
                 idle=None, pairs=None, occupants=None, senders=None,
                 checkers=None, host="127.0.0.1", prefix="ck"):
        k = scale()
        self.s = s
        self.domain = domain
        self.host = host
        self.upload_port = upload_port
        # About 1,000 sessions at scale 1: idle ones, message pairs
        # (each keeps one message in flight: the machine is small),
        # room occupants.
        self.idle = idle if idle is not None else int(700 * k)
        self.pairs = pairs if pairs is not None else max(1, int(100 * k))
        self.occupants = occupants if occupants is not None else \
            max(2, int(100 * k))
        self.senders = senders if senders is not None else \
            max(1, min(self.occupants, int(5 * k)))
        nck = checkers if checkers is not None else max(2, int(12 * k))
        self.checker = Checker(lambda: s.ports["client"], domain, nck,
                               host=host, prefix=prefix)
        self.loops = []

    def users(self):
        return self.idle + 2 * self.pairs + self.occupants

    def add_users(self):
        """Every account the load logs in, in one XEP-0227 import (the
        store hashes the passwords: no file keeps them)."""
        names = ["user%04d" % i for i in range(self.users())]
        ck = set(self.checker.localparts())
        names += sorted(ck) + [UPLOADER]
        path = os.path.join(self.s.dir, "faultload-users.xml")
        with open(path, "w") as f:
            f.write("<?xml version='1.0' encoding='UTF-8'?>\n"
                    "<server-data xmlns='urn:xmpp:pie:0'>\n"
                    "<host jid='%s'>\n" % self.domain)
            for n in names:
                f.write("<user name='%s' password='%s'/>\n" %
                        (n, CK_PASSWORD if n in ck else PASSWORD))
            f.write("</host>\n</server-data>\n")
        p = subprocess.run([XMPPCTL, "-s", self.s.sock, "import", path],
                           capture_output=True, text=True, timeout=600)
        os.unlink(path)
        if p.returncode != 0:
            raise AssertionError("import: %s%s" % (p.stdout[-500:],
                                                   p.stderr))

    def _xmppload(self, *args):
        return [XMPPLOAD, "-h", self.host, "-P",
                str(self.s.ports["client"]), "-d", self.domain, "-w",
                PASSWORD, "-a", "plain", "-E", "1000000"] + list(args)

    def start(self):
        first = 0
        if self.idle:
            self.loops.append(Looped("idle", lambda run: self._xmppload(
                "-m", "idle", "-n", str(self.idle), "-o", "0",
                "-c", "50", "-t", "120")))
        first += self.idle
        if self.pairs:
            self.loops.append(Looped("messages", lambda run, o=first:
                                     self._xmppload(
                "-m", "messages", "-p", str(self.pairs), "-W", "1",
                "-n", "100000000", "-o", str(o), "-c", "50",
                "-t", "600")))
        first += 2 * self.pairs
        if self.occupants:
            self.loops.append(Looped("muc", lambda run, o=first:
                                     self._xmppload(
                "-m", "muc", "-j", str(self.occupants), "-p",
                str(self.senders), "-W", "1", "-n", "100000000",
                "-o", str(o), "-R", "fault%d" % run, "-M",
                "conference." + self.domain, "-t", "600")))
        if self.upload_port is not None:
            # A round's lines, every step of it (-v).
            self.loops.append(Looped("upload", self._upload_round,
                                     run_timeout=90, keep=100))
        for l in self.loops:
            l.start()
        self.checker.start()

    def _upload_round(self, run):
        """A shell line asking for 4 slots and putting 256 KiB in each,
        read back and compared; its exit code says how it went.  Both
        clients say each step, timestamped (-v), and give up on their
        own, saying where they were, well before the run's time is up
        (upslots after 40 s, httpload 10 s for the PUTs and 10 for
        the GETs)."""
        urls = os.path.join(self.s.dir, "faultload-urls")
        return ["sh", "-c",
                '"$1" "$2" -v -t 40 -h "$3" -P "$4" -j "$5" -w "$6" -s "$7" '
                '-n 4 -l 262144 -p "$8" > "$9" && shift 9 && '
                'exec "$@"', "sh", PYTHON, UPSLOTS, self.host,
                str(self.s.ports["client"]), UPLOADER + "@" + self.domain,
                PASSWORD, "upload." + self.domain, "r%d-" % run, urls,
                HTTPLOAD, "-v", "-m", "put", "-c", "4", "-t", "10",
                "-l", "262144", "-h", self.host, "-P",
                str(self.upload_port), urls]

    def loop(self, name):
        for l in self.loops:
            if l.name == name:
                return l
        raise KeyError(name)

    def wait_ready(self, timeout=300):
        """Until each load process has logged in once (a line of
        ready, logged or result) and the checker's clients are up."""
        deadline = time.monotonic() + timeout
        for l in self.loops:
            if not l.wait_for(lambda x: x.ready > 0,
                              max(0, deadline - time.monotonic())):
                raise AssertionError("%s never ready: %s" % (
                    l.name, "\n".join(l.last)))
        self.checker.wait_up(max(1, deadline - time.monotonic()))

    def begin(self, timeout=600):
        """Accounts made, the load started, and ready (wait_ready)."""
        self.add_users()
        self.start()
        self.wait_ready(timeout)
        return self

    def outcome(self, s, say=None):
        """Progress once more, then stop() and check: what was
        acknowledged is delivered or archived exactly once, and s's
        database intact.  The figures go to say (printed by default);
        returns the Result."""
        if say is None:
            def say(text):
                print("# " + text, flush=True)
        self.checker.wait_progress(n=3, timeout=120)
        self.stop()
        res = self.checker.verify()
        say(res.summary())
        say(self.summary().replace("\n", "; "))
        res.assert_exactly_once()
        say("database intact: %d accounts" % integrity(s))
        return res

    def end(self):
        """stop(), unless it was stopped already: a teardown's."""
        if not self.checker.stopping:
            self.stop()

    def stop(self):
        """Stops the load processes, then the checker's sending; waits
        for the acknowledged messages to reach their receivers."""
        for l in self.loops:
            l.stopping.set()
        for l in self.loops:
            l.stop()
        self.checker.stop()

    def summary(self):
        return "\n".join([l.summary() for l in self.loops] +
                         [self.checker.summary()])


def figure(c, text):
    """A figure of the run: kept in c.figures, and printed."""
    c.figures.append(text)
    print("# " + text, flush=True)


def integrity(s):
    """The store's database (and mucd's on SQLite) is intact: SQLite's
    integrity check says ok; PostgreSQL answers a read of every account.
    Returns the number of accounts."""
    if s.pg is not None:
        rows = s.db_rows("SELECT count(*) FROM accounts")
        return int(rows[0][0])
    paths = [os.path.join(s.datadir, "xmppd.db")]
    muc = os.path.join(s.datadir, "muc", "muc.db")
    if os.path.exists(muc):
        paths.append(muc)
    n = None
    for p in paths:
        db = sqlite3.connect("file:%s?mode=ro" % p, uri=True, timeout=30)
        try:
            r = db.execute("PRAGMA integrity_check").fetchall()
            if r != [("ok",)]:
                raise AssertionError("%s: integrity_check: %r" % (p, r))
            if n is None:
                n = db.execute("SELECT count(*) FROM accounts").fetchone()[0]
        finally:
            db.close()
    return n


# The checker: XMPP over asyncio with a parser of its own, so that every
# stanza is counted for stream management.

class Closed(Exception):
    pass


class Stream:
    def __init__(self, reader, writer, domain):
        self.reader = reader
        self.writer = writer
        self.domain = domain
        self.ready = collections.deque()
        self.reset()

    def reset(self):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.root = None

    def write(self, text):
        self.writer.write(text.encode())

    async def element(self):
        while not self.ready:
            data = await self.reader.read(65536)
            if not data:
                raise Closed("connection closed")
            try:
                self.parser.feed(data)
                events = list(self.parser.read_events())
            except ET.ParseError as e:
                raise Closed("not XML: %s" % e)
            for ev, el in events:
                if ev == "start":
                    self.depth += 1
                    if self.depth == 1:
                        self.root = el
                elif ev == "end":
                    self.depth -= 1
                    if self.depth == 1:
                        self.ready.append(el)
                        self.root.remove(el)
                    elif self.depth == 0:
                        self.ready.append(el)
        el = self.ready.popleft()
        if el is self.root:
            raise Closed("stream closed")
        if el.tag == "{http://etherx.jabber.org/streams}error":
            raise Closed("stream error: %s" %
                         ",".join(c.tag.split("}")[-1] for c in el))
        return el

    async def expect(self, tag):
        el = await self.element()
        if not el.tag.endswith(tag):
            raise Closed("expected %s, got %s" % (tag, el.tag))
        return el

    async def open(self):
        self.reset()
        self.write(rawxmpp.HEADER % self.domain)
        return await self.expect("}features")

    def close(self):
        try:
            self.writer.close()
        except Exception:
            pass


async def connect(port, domain, user, password, host="127.0.0.1"):
    """STARTTLS and SASL PLAIN: a Stream authenticated, not bound, and
    its features."""
    reader, writer = await asyncio.open_connection(host, port)
    st = Stream(reader, writer, domain)
    try:
        await st.open()
        st.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        await st.expect("}proceed")
        await writer.start_tls(rawxmpp.tls_context(), server_hostname=domain)
        await st.open()
        plain = base64.b64encode(("\0%s\0%s" % (user, password)).encode())
        st.write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                 "mechanism='PLAIN'>%s</auth>" % plain.decode())
        el = await st.element()
        if not el.tag.endswith("}success"):
            raise Closed("login refused: %s" % el.tag)
        feats = await st.open()
        return st, feats
    except BaseException:
        st.close()
        raise


class Client:
    """One checker account: a sender of numbered messages to its peer,
    or a receiver.  Its connection comes back whenever lost: resumed
    when the server still holds the session, else a new one."""

    def __init__(self, ck, name, peer, sender):
        self.ck = ck
        self.name = name
        self.jid = "%s@%s" % (name, ck.domain)
        self.peer = "%s@%s" % (peer, ck.domain)
        self.sender = sender
        self.seq = 0
        self.acked = set()          # numbers the server acknowledged
        self.unknown = set()        # unacknowledged when a session ended
        self.got = []               # (sender, number, stanza-id, delayed)
        self.events = []            # (time, what)
        self._up = False
        self.smid = None
        self.connects = 0

    @property
    def up(self):
        return self._up

    @up.setter
    def up(self, v):
        self._up = v
        self.ck.changed()

    def event(self, what):
        self.events.append((time.time(), what))

    async def run(self):
        backoff = 0.2
        while not self.ck.stopping:
            try:
                await self.session()
                backoff = 0.2
            except (Closed, OSError, asyncio.TimeoutError,
                    ConnectionError) as e:
                self.event("lost: %s" % e)
            self.up = False
            if self.ck.stopping:
                break
            await asyncio.sleep(backoff)
            backoff = min(2.0, backoff * 2)

    async def session(self):
        st, feats = await asyncio.wait_for(connect(
            self.ck.port(), self.ck.domain, self.name, CK_PASSWORD,
            self.ck.host), 30)
        self.st = st
        self.connects += 1
        try:
            if self.smid is not None:
                st.write("<resume xmlns='%s' previd='%s' h='%d'/>" %
                         (SM, self.smid, self.h_in))
                el = await asyncio.wait_for(st.element(), 30)
                if el.tag == "{%s}resumed" % SM:
                    self.event("resumed")
                    self.ck.resumed += 1
                    self.acknowledge(int(el.get("h")))
                    again, self.outq = self.outq, []
                    for seq in again:
                        if seq is not None:
                            self.send_message(seq)
                else:
                    self.event("resume failed")
                    self.ck.resume_failed += 1
                    self.unknown.update(s for s in self.outq
                                        if s is not None)
                    self.smid = None
            if self.smid is None:
                await self.bind()
            self.up = True
            await self.traffic()
        finally:
            self.up = False
            st.close()

    async def bind(self):
        st = self.st
        st.write("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:"
                 "ns:xmpp-bind'><resource>ck</resource></bind></iq>")
        el = await asyncio.wait_for(st.element(), 30)
        if el.get("type") != "result":
            raise Closed("bind refused")
        st.write("<enable xmlns='%s' resume='true'/>" % SM)
        el = await asyncio.wait_for(st.expect("}enabled"), 30)
        self.smid = el.get("id")
        self.h_in = 0
        self.h_out = 0
        self.outq = []
        if not self.sender:
            st.write("<presence/>")
            self.outq.append(None)
        self.event("bound")

    def acknowledge(self, h):
        n = (h - self.h_out) % (1 << 32)
        if n > len(self.outq):
            raise Closed("h=%d acknowledges more than was sent" % h)
        for seq in self.outq[:n]:
            if seq is not None:
                self.acked.add(seq)
        del self.outq[:n]
        self.h_out = h
        self.ck.changed()

    def send_message(self, seq):
        self.st.write("<message to='%s' id='%s-%d' type='chat'><body>fk %s "
                      "%d</body></message><r xmlns='%s'/>" %
                      (self.peer, self.name, seq, self.name, seq, SM))
        self.outq.append(seq)

    async def traffic(self):
        tasks = [asyncio.ensure_future(self.reading())]
        if self.sender:
            tasks.append(asyncio.ensure_future(self.sending()))
        try:
            done, _ = await asyncio.wait(
                tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                t.result()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def sending(self):
        while not self.ck.sending_stopped:
            self.seq += 1
            self.send_message(self.seq)
            await self.st.writer.drain()
            await asyncio.sleep(self.ck.interval)
        # Sending is over: wait on the acknowledgements, then close.
        deadline = time.monotonic() + 30
        while self.outq and time.monotonic() < deadline:
            self.st.write("<r xmlns='%s'/>" % SM)
            await asyncio.sleep(0.2)
        await self.ck.closing.wait()
        self.close_stream()

    def close_stream(self):
        # A stream closed by the client ends its session: no resume.
        self.smid = None
        self.st.write("</stream:stream>")

    async def reading(self):
        while True:
            el = await self.st.element()
            if el.tag in STANZAS:
                self.h_in = (self.h_in + 1) % (1 << 32)
                self.stanza(el)
            elif el.tag == "{%s}a" % SM:
                self.acknowledge(int(el.get("h")))
            elif el.tag == "{%s}r" % SM:
                self.st.write("<a xmlns='%s' h='%d'/>" % (SM, self.h_in))

    def stanza(self, el):
        if el.tag == C + "iq" and el.get("type") in ("get", "set"):
            self.st.write("<iq type='error' id='%s' to='%s'><error "
                          "type='cancel'><service-unavailable xmlns='urn:"
                          "ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
                          % (xml_attr(el.get("id", "")),
                             xml_attr(el.get("from", ""))))
            self.outq.append(None)
            return
        if el.tag != C + "message":
            return
        m = re.match(r"fk (\w+) (\d+)$", el.findtext(C + "body") or "")
        if m is None:
            return
        sid = None
        for x in el.findall("{%s}stanza-id" % SID):
            if x.get("by") == self.jid:
                sid = x.get("id")
        delayed = el.find("{urn:xmpp:delay}delay") is not None
        self.got.append((m.group(1), int(m.group(2)), sid, delayed))
        self.ck.changed()

    async def archive(self, with_jid):
        """Every message of this account's archive with with_jid:
        [(sender, number, archive id)]."""
        st, _ = await asyncio.wait_for(connect(
            self.ck.port(), self.ck.domain, self.name, CK_PASSWORD,
            self.ck.host), 60)
        out = []
        try:
            st.write("<iq type='set' id='b'><bind xmlns='urn:ietf:params:"
                     "xml:ns:xmpp-bind'><resource>mam</resource></bind>"
                     "</iq>")
            await asyncio.wait_for(st.element(), 30)
            after = ""
            page = 0
            while True:
                page += 1
                st.write("<iq type='set' id='q%d'><query xmlns='%s' "
                         "queryid='q%d'><x xmlns='jabber:x:data' "
                         "type='submit'><field var='FORM_TYPE' "
                         "type='hidden'><value>%s</value></field>"
                         "<field var='with'><value>%s</value></field></x>"
                         "<set xmlns='http://jabber.org/protocol/rsm'>"
                         "<max>200</max>%s</set></query></iq>" %
                         (page, MAM, page, MAM, xml_attr(with_jid),
                          "<after>%s</after>" % after if after else ""))
                while True:
                    el = await asyncio.wait_for(st.element(), 60)
                    if el.tag == C + "iq" and el.get("id") == "q%d" % page:
                        break
                    res = el.find("{%s}result" % MAM)
                    if res is None:
                        continue
                    inner = res.find("{urn:xmpp:forward:0}forwarded/"
                                     "%smessage" % C)
                    m = re.match(r"fk (\w+) (\d+)$",
                                 inner.findtext(C + "body") or "")
                    if m:
                        out.append((m.group(1), int(m.group(2)),
                                    res.get("id")))
                if el.get("type") != "result":
                    raise AssertionError("%s: archive query refused: %s" %
                                         (self.name, ET.tostring(el)))
                fin = el.find("{%s}fin" % MAM)
                last = fin.findtext(
                    "{http://jabber.org/protocol/rsm}set/"
                    "{http://jabber.org/protocol/rsm}last")
                if fin.get("complete") == "true" or not last:
                    break
                after = last
        finally:
            st.close()
        return out


def xml_attr(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace("'", "&apos;").replace('"', "&quot;"))


class Result:
    """What verify() found, per message of the checker."""

    def __init__(self):
        self.acked = 0
        self.unacked = 0
        self.lost = []              # acknowledged, neither got nor archived
        self.not_archived = []      # acknowledged, delivered, no archive
        self.archived_only = 0      # acknowledged, archived, never got
        self.twice = []             # under two archive ids, or archived twice
        self.redelivered = 0        # delivered again with the same id
        self.unacked_stored = 0     # unacknowledged but there all the same
        self.per_client = {}

    def assert_exactly_once(self):
        bad = []
        if self.lost:
            bad.append("acknowledged and lost: %s" % self.lost[:20])
        if self.not_archived:
            bad.append("acknowledged, not archived: %s" %
                       self.not_archived[:20])
        if self.twice:
            bad.append("taken twice: %s" % self.twice[:20])
        if bad:
            raise AssertionError("; ".join(bad) + "\n" + self.summary())

    def summary(self):
        return ("%d acknowledged, %d unacknowledged (%d of those stored or "
                "delivered), %d lost, %d not archived, %d taken twice, %d "
                "redelivered with the same archive id, %d in the archive "
                "but never delivered" %
                (self.acked, self.unacked, self.unacked_stored,
                 len(self.lost), len(self.not_archived), len(self.twice),
                 self.redelivered, self.archived_only))


class Checker:
    """Pairs of checker clients ck00s -> ck00r ... (another prefix for
    another checker on the same server), on an event loop in a thread of
    their own."""

    def __init__(self, port_fn, domain, n, host="127.0.0.1", interval=0.2,
                 prefix="ck"):
        self.port = port_fn
        self.domain = domain
        self.host = host
        self.interval = interval
        self.npairs = max(1, n // 2)
        self.clients = []
        for i in range(self.npairs):
            snd, rcv = "%s%02ds" % (prefix, i), "%s%02dr" % (prefix, i)
            self.clients.append(Client(self, snd, rcv, True))
            self.clients.append(Client(self, rcv, snd, False))
        self.stopping = False
        self.sending_stopped = False
        self.resumed = 0
        self.resume_failed = 0
        self.loop = None
        self.cond = threading.Condition()

    def changed(self):
        """A client's state changed (its loop's thread): wake wait()."""
        with self.cond:
            self.cond.notify_all()

    def wait(self, pred, deadline):
        """Until pred() holds, woken by each change of the clients'
        state; False if the monotonic deadline passed first."""
        with self.cond:
            return self.cond.wait_for(
                pred, max(0, deadline - time.monotonic()))

    def localparts(self):
        return [c.name for c in self.clients]

    def senders(self):
        return [c for c in self.clients if c.sender]

    def receiver_of(self, sender):
        return next(c for c in self.clients if c.jid == sender.peer)

    def start(self):
        ready = threading.Event()

        def main():
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            self.closing = asyncio.Event()
            ready.set()
            self.tasks = [self.loop.create_task(c.run())
                          for c in self.clients]
            self.loop.run_forever()

        self.thread = threading.Thread(target=main, daemon=True)
        self.thread.start()
        ready.wait()

    def call(self, coro, timeout=600):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(
            timeout)

    def wait_up(self, timeout=60):
        if not self.wait(lambda: all(c.up for c in self.clients),
                         time.monotonic() + timeout):
            raise AssertionError("checker clients not up: %s" % [
                (c.name, c.events[-3:]) for c in self.clients
                if not c.up])

    def acked_total(self):
        return sum(len(c.acked) for c in self.senders())

    def wait_progress(self, clients=None, n=5, timeout=60):
        """Until each of clients (the senders by default) has had n more
        messages acknowledged, and each receiver of theirs has got n
        more: service goes on for them."""
        clients = clients or self.senders()
        start = {c.name: (len(c.acked), len(self.receiver_of(c).got))
                 for c in clients}

        def slow():
            return [c.name for c in clients
                    if len(c.acked) < start[c.name][0] + n or
                    len(self.receiver_of(c).got) < start[c.name][1] + n]

        if not self.wait(lambda: not slow(), time.monotonic() + timeout):
            late = slow()
            raise AssertionError("no progress within %ds for %s: %s" % (
                timeout, late, [(c.name, c.events[-3:])
                                for c in clients if c.name in late]))

    def stop(self, timeout=60):
        """Stop sending, wait for what was acknowledged to reach the
        receivers (or timeout), then close every stream and end."""
        self.sending_stopped = True

        def delivered():
            pending = [c for c in self.senders() if c.outq and c.up]
            missing = [c for c in self.senders()
                       if not c.acked <= {n for (f, n, _, _) in
                                          self.receiver_of(c).got
                                          if f == c.name}]
            return not pending and not missing

        self.wait(delivered, time.monotonic() + timeout)
        self.stopping = True
        self.loop.call_soon_threadsafe(self.closing.set)

        async def end():
            for c in self.clients:
                if c.up and not c.sender:
                    c.close_stream()
            await asyncio.wait(self.tasks, timeout=20)
            for t in self.tasks:
                t.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)

        self.call(end())

    def verify(self):
        """Reads the archives; returns a Result."""
        res = Result()
        loop = asyncio.new_event_loop()
        try:
            for snd in self.senders():
                rcv = self.receiver_of(snd)
                rarch = loop.run_until_complete(rcv.archive(snd.jid))
                sarch = loop.run_until_complete(snd.archive(rcv.jid))
                self.compare(res, snd, rcv, rarch, sarch)
        finally:
            loop.close()
        return res

    def compare(self, res, snd, rcv, rarch, sarch):
        r_ids = collections.defaultdict(list)
        for (f, n, aid) in rarch:
            if f == snd.name:
                r_ids[n].append(aid)
        s_ids = collections.defaultdict(list)
        for (f, n, aid) in sarch:
            if f == snd.name:
                s_ids[n].append(aid)
        got = collections.defaultdict(list)
        for (f, n, sid, _) in rcv.got:
            if f == snd.name:
                got[n].append(sid)
        for n in range(1, snd.seq + 1):
            key = "%s:%d" % (snd.name, n)
            ids = set(r_ids[n]) | {x for x in got[n] if x is not None}
            if len(r_ids[n]) > 1 or len(s_ids[n]) > 1 or len(ids) > 1:
                res.twice.append(key)
            if len(got[n]) > 1 and len(ids) <= 1:
                res.redelivered += 1
            if n in snd.acked:
                res.acked += 1
                if not got[n] and not r_ids[n]:
                    res.lost.append(key)
                elif not r_ids[n] or not s_ids[n]:
                    res.not_archived.append(key + (
                        "" if r_ids[n] else "(receiver's)") + (
                        "" if s_ids[n] else "(sender's)"))
                elif not got[n]:
                    res.archived_only += 1
            else:
                res.unacked += 1
                if got[n] or r_ids[n]:
                    res.unacked_stored += 1
        res.per_client[snd.name] = (snd.seq, len(snd.acked),
                                    len(snd.unknown))

    def summary(self):
        return ("checker: %d pairs, %d sent, %d acknowledged, %d resumed, "
                "%d resumes refused" % (
                    self.npairs, sum(c.seq for c in self.senders()),
                    self.acked_total(), self.resumed, self.resume_failed))
