#!/usr/bin/python3
"""The soak: xmppd holding many client sessions for a long time with
churn (xmppload -m soak: logouts and logins, chat messages, presence
changes, group chat joins, leaves and messages), every process's
resident memory and open descriptors and the database's size sampled
at a fixed interval, written as CSV and plotted as a PNG with gnuplot
(installed from Debian when missing).  Flat after warm-up is the
target: the summary gives each process's growth after it.

    soak.py [-q] [--sessions N] [--minutes M] [--interval S] [--out dir]

-q: 300 sessions for 3 minutes, sampled every 10 s.  Run as root; the
build is `make -C regress/bench`'s.  See docs/BENCHMARKS.md, "Soak".
"""

import argparse
import os
import struct
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

from bench import parse_kv
from servers import (DOMAIN, Xmppd, descendants, log, make_cert,
                     raise_nofile, run)

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
XMPPLOAD = os.path.join(HERE, "xmppload")
XMPPCTL = os.path.join(HERE, "obj", "xmppctl", "xmppctl")
HEAPCOUNT = os.path.join(HERE, "libheapcount.so")
HC_CLASSES = 256        # heapcount.c: 16-byte classes
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")
CONTACTS = 10           # each user's roster: its neighbours, mutual
GNUPLOT = "/usr/bin/gnuplot"


class Load:
    """xmppload -m soak, its lines read by a thread."""

    def __init__(self, srv, args):
        cmd = [XMPPLOAD, "-P", str(srv.port), "-d", DOMAIN, "-m", "soak",
               "-n", str(args.sessions), "-t", str(args.minutes * 60),
               "-i", str(args.interval), "-c", str(args.concurrency),
               "-L", str(args.logouts), "-e", str(args.messages),
               "-x", str(args.presences), "-J", str(args.joins),
               "-j", str(args.occupants), "-k", str(args.rooms),
               "-g", str(args.groupchat)]
        self.cmd = cmd
        env = dict(os.environ)
        if args.heap:
            env["LD_PRELOAD"] = HEAPCOUNT   # the load client's heap too
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, text=True,
                                     preexec_fn=raise_nofile, env=env)
        self.lines = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)
            self.cond.notify_all()

    def wait(self, word, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if line is None:
                        raise RuntimeError("xmppload exited (%s) waiting "
                                           "for %r" % (self.proc.poll(),
                                                       word))
                    if line.startswith(word + " "):
                        return parse_kv(line)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("xmppload: no %r line" % word)
                self.cond.wait(left)

    def last(self, word):
        with self.cond:
            for line in reversed(self.lines):
                if line is not None and line.startswith(word + " "):
                    return parse_kv(line)
        return {}


def add_rosters(srv, n):
    """Each user's CONTACTS neighbours, subscribed both ways, so that
    logins, logouts and presence changes reach somebody."""
    half = CONTACTS // 2
    db = sqlite3.connect(os.path.join(srv.datadir, "xmppd.db"))
    with db:
        db.executemany(
            "INSERT OR REPLACE INTO roster (domain, localpart, contact, "
            "name, groups, subscription, ask, approved, in_roster, "
            "pending) VALUES (?, ?, ?, '', '', 3, 0, 0, 1, '')",
            [(DOMAIN, "user%04d" % i,
              "user%04d@%s" % ((i + d) % n, DOMAIN))
             for i in range(n) for d in range(-half, half + 1) if d])
    db.close()


def proc_title(p):
    with open("/proc/%d/cmdline" % p) as f:
        t = f.read().replace("\0", " ").strip()
    if t.startswith("xmppd: "):
        t = t[len("xmppd: "):]
    return t.split()[0]


def proc_figures(p):
    """RSS in KiB, open descriptors, CPU seconds."""
    with open("/proc/%d/statm" % p) as f:
        rss = int(f.read().split()[1]) * PAGE // 1024
    fds = len(os.listdir("/proc/%d/fd" % p))
    with open("/proc/%d/stat" % p) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return rss, fds, (int(fields[11]) + int(fields[12])) / TICK


class SoakXmppd(Xmppd):
    """--heap: libheapcount.so preloaded, so that each process shows its
    live heap in /dev/shm/heapcount.PID."""
    heap = False

    def env(self):
        e = dict(os.environ)
        if self.heap:
            e["LD_PRELOAD"] = HEAPCOUNT
        return e


HEAP_PIDS = set()       # whose files to remove


def heap_of(p):
    """(live bytes, live blocks, [live blocks by 16-byte class]) of
    process p, from heapcount.c's file, or None."""
    try:
        with open("/dev/shm/heapcount.%d" % p, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    HEAP_PIDS.add(p)
    v = struct.unpack("=%dQ" % (5 + HC_CLASSES), raw[:8 * (5 + HC_CLASSES)])
    return v[1], v[2], v[5:]


class Sampler:
    """Every process of xmppd by its title (processes of one title
    numbered in the order of their pids), and the database."""

    def __init__(self, srv, load):
        self.srv, self.load = srv, load
        self.rows = []
        self.names = []
        self.pids = {}          # name: the pid seen last, for restarts
        self.restarts = {}

    def processes(self):
        byname = {}
        for p in sorted(descendants(self.srv.proc.pid)):
            try:
                byname.setdefault(proc_title(p), []).append(p)
            except OSError:
                pass
        out = {}
        for t, ps in byname.items():
            for i, p in enumerate(ps):
                out[t if len(ps) == 1 else "%s%d" % (t, i)] = p
        if self.load is not None:
            out["xmppload"] = self.load.proc.pid
        return out

    def db(self):
        """The store's database file, its WAL (bounded: the store
        checkpoints it) and mucd's directory, in bytes; rows."""
        size = {}
        for k, f in (("db", "xmppd.db"), ("wal", "xmppd.db-wal")):
            try:
                size[k] = os.path.getsize(os.path.join(self.srv.datadir, f))
            except OSError:
                size[k] = 0
        size["muc"] = 0
        for root, _, files in os.walk(os.path.join(self.srv.datadir,
                                                   "muc")):
            for f in files:
                try:
                    size["muc"] += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
        counts = {}
        try:
            db = sqlite3.connect("file:%s?mode=ro" % os.path.join(
                self.srv.datadir, "xmppd.db"), uri=True, timeout=10)
            for t in ("mam", "offline"):
                counts[t] = db.execute("SELECT count(*) FROM %s"
                                       % t).fetchone()[0]
            db.close()
        except sqlite3.Error:
            pass
        return size, counts

    def sessions(self):
        """The router's count of client sessions, or -1."""
        out = run([XMPPCTL, "-s", os.path.join(self.srv.dir, "xmppd.sock"),
                   "show", "stats"], check=False)
        for line in out.stdout.splitlines():
            w = line.split()
            if len(w) == 2 and w[0] == "sessions":
                return int(w[1])
        return -1

    def sample(self, t, keep=True):
        """One row of figures; keep: for the plot."""
        row = {"t": t}
        for name, p in self.processes().items():
            try:
                rss, fds, cpu = proc_figures(p)
            except OSError:
                continue
            if keep and name not in self.names:
                self.names.append(name)
            if self.pids.get(name, p) != p:
                self.restarts[name] = self.restarts.get(name, 0) + 1
            self.pids[name] = p
            row[name] = (rss, fds, cpu)
            h = heap_of(p)
            if h is not None:
                row.setdefault("heap", {})[name] = h
        size, row["rows"] = self.db()
        row["sessions"] = self.sessions()
        row.update(size)
        with open("/proc/loadavg") as f:
            row["load"] = float(f.read().split()[0])
        st = {} if self.load is None else (self.load.last("stats") or
                                           self.load.last("ready"))
        row["online"] = int(st.get("online", 0))
        row["occupants"] = int(st.get("occupants", 0))
        if keep:
            self.rows.append(row)
        log("soak: %5.1f min  %s  db %.1f MiB  online %d (router: %d)  "
            "load %.2f"
            % (t / 60, "  ".join("%s %d KiB/%d fds" % (n, row[n][0],
                                                      row[n][1])
                                 for n in row
                                 if isinstance(row[n], tuple)),
               row["db"] / 1048576, row["online"], row["sessions"],
               row["load"]))
        return row

    def settled(self, timeout=30):
        """Figures once the children have started, with their titles."""
        deadline = time.monotonic() + timeout
        while True:
            row = self.sample(-1, keep=False)
            names = [n for n in row if isinstance(row[n], tuple)]
            if ("store" in names and "router" in names and
                    any(n.startswith("stream") for n in names) and
                    not any(n.startswith("/") for n in names)) or \
                    time.monotonic() > deadline:
                return row
            time.sleep(0.5)

    def after(self, timeout=120):
        """Once the clients have gone: no session left in the router,
        every process back to the descriptors it had before them?"""
        deadline = time.monotonic() + timeout
        while True:
            row = self.sample(-1, keep=False)
            streams = [n for n in self.names if n.startswith("stream")
                       and n in row]
            if (row["sessions"] == 0 and
                all(row[n][1] <= self.base.get(n, (0, 0))[1] + 2
                    for n in streams)) or time.monotonic() > deadline:
                return row
            time.sleep(2)

    def heap_names(self):
        return [n for n in self.names if any(n in r.get("heap", {})
                                             for r in self.rows)]

    def csv(self, path):
        hn = self.heap_names()
        head = ["minute", "online", "router_sessions", "occupants", "load",
                "db_kib", "wal_kib", "muc_kib", "mam_rows", "offline_rows"]
        head += [n + "_rss_kib" for n in self.names]
        head += [n + "_fds" for n in self.names]
        head += [n + "_heap_kib" for n in hn]
        with open(path, "w") as f:
            f.write(",".join(head) + "\n")
            for r in self.rows:
                v = ["%.2f" % (r["t"] / 60), r["online"], r["sessions"],
                     r["occupants"], "%.2f" % r["load"], r["db"] // 1024,
                     r["wal"] // 1024, r["muc"] // 1024,
                     r["rows"].get("mam", ""), r["rows"].get("offline", "")]
                v += [r[n][0] if n in r else "" for n in self.names]
                v += [r[n][1] if n in r else "" for n in self.names]
                v += [r["heap"][n][0] // 1024 if n in r.get("heap", {})
                      else "" for n in hn]
                f.write(",".join(str(x) for x in v) + "\n")


def slope(points):
    """Least squares: units per minute."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0


def summary(s, warm, load, gone):
    """Markdown: per process, RSS and fds after warm-up and at the end,
    and the growth per minute after warm-up."""
    after = [r for r in s.rows if r["t"] >= warm * 60]
    if len(after) < 2:
        after = s.rows
    first, last = after[0], s.rows[-1]
    out = ["| process | RSS after warm-up | RSS at the end | growth "
           "after warm-up | fds before / after warm-up / at the end / "
           "clients gone | CPU s |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for n in s.names:
        if n not in first or n not in last:
            continue
        g = slope([(r["t"] / 60, r[n][0]) for r in after if n in r])
        out.append("| %s | %.1f MiB | %.1f MiB | %+.1f KiB/min | %s / %d / "
                   "%d / %s | %.0f |"
                   % (n, first[n][0] / 1024, last[n][0] / 1024, g,
                      s.base[n][1] if n in s.base else "-", first[n][1],
                      last[n][1], gone[n][1] if n in gone else "-",
                      last[n][2]))
    dbg = slope([(r["t"] / 60, r["db"] / 1024) for r in after])
    out.append("")
    out += heap_summary(s, after, gone)
    mam = [r["rows"].get("mam") for r in (first, last)]
    out.append("xmppd.db: %.1f MiB after warm-up, %.1f MiB at the end "
               "(%+.1f KiB/min); archive rows %s -> %s%s, offline rows "
               "%s -> %s; WAL at most %.1f MiB; mucd %.1f -> %.1f MiB"
               % (first["db"] / 1048576, last["db"] / 1048576, dbg,
                  mam[0], mam[1],
                  " (%.0f bytes per row added)" % ((last["db"] -
                                                    first["db"]) /
                                                   (mam[1] - mam[0]))
                  if None not in mam and mam[1] > mam[0] else "",
                  first["rows"].get("offline"), last["rows"].get("offline"),
                  max(r["wal"] for r in s.rows) / 1048576,
                  first["muc"] / 1048576, last["muc"] / 1048576))
    out.append("sessions in the router once the clients had gone: %d"
               % gone["sessions"])
    if s.restarts:
        out.append("processes restarted: %s" % s.restarts)
    res = load.last("result")
    if res:
        out.append("")
        out.append("xmppload: " + " ".join(
            "%s=%s" % (k, ("%g" % v) if isinstance(v, float) else v)
            for k, v in res.items()))
    loads = [r["load"] for r in s.rows]
    out.append("load average: min %.2f, median %.2f, max %.2f"
               % (min(loads), sorted(loads)[len(loads) // 2], max(loads)))
    return "\n".join(out)


def heap_summary(s, after, gone):
    """--heap: each process's live heap after warm-up, at the end, its
    growth, and the block sizes whose count grew most."""
    first, last = after[0], s.rows[-1]
    if "heap" not in first or "heap" not in last:
        return []
    out = ["", "| process | live heap before the clients | after warm-up "
           "| at the end | growth after warm-up | clients gone | blocks "
           "grown most after warm-up (size: count) | blocks kept once the "
           "clients had gone |",
           "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    base = s.base.get("heap", {})
    for n in s.names:
        if n not in first["heap"] or n not in last["heap"]:
            continue
        a, b = first["heap"][n], last["heap"][n]
        g = slope([(r["t"] / 60, r["heap"][n][0] / 1024) for r in after
                   if n in r.get("heap", {})])
        out.append("| %s | %s | %.1f KiB | %.1f KiB | %+.1f KiB/min | %s "
                   "| %s | %s |"
                   % (n, "%.1f KiB" % (base[n][0] / 1024) if n in base
                      else "-", a[0] / 1024, b[0] / 1024, g,
                      "%.1f KiB" % (gone["heap"][n][0] / 1024)
                      if n in gone.get("heap", {}) else "-",
                      classes_grown(a[2], b[2]),
                      classes_grown(base[n][2], gone["heap"][n][2])
                      if n in base and n in gone.get("heap", {}) else "-"))
    return out


def classes_grown(a, b):
    """The three block sizes whose count grew most from a to b."""
    grown = sorted(((b[i] - a[i], i) for i in range(HC_CLASSES)),
                   reverse=True)[:3]
    return ", ".join("%s: %+d" % ("%d-%d" % (16 * i, 16 * i + 15)
                                  if i < HC_CLASSES - 1 else ">4K", d)
                     for d, i in grown if d > 0) or "none"


def install_gnuplot():
    if os.path.exists(GNUPLOT):
        return
    log("installing gnuplot-nox from Debian")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-q"], env=env, capture_output=False,
        stdout=sys.stderr)
    run(["apt-get", "install", "-y", "-q", "gnuplot-nox"], env=env,
        capture_output=False, stdout=sys.stderr)


def plot(s, csv, png, title):
    """Three panels: RSS, descriptors, the database and the sessions."""
    cols = {n: i for i, n in enumerate(
        ["minute", "online", "router_sessions", "occupants", "load",
         "db_kib", "wal_kib",
         "muc_kib", "mam_rows",
         "offline_rows"] + [n + "_rss_kib" for n in s.names] +
        [n + "_fds" for n in s.names] +
        [n + "_heap_kib" for n in s.heap_names()], 1)}
    heap = ", ".join("'%s' using 1:($%d/1024) with linespoints title '%s'"
                     % (csv, cols[n + "_heap_kib"], n)
                     for n in s.heap_names() if n != "xmppload")
    rss = ", ".join("'%s' using 1:($%d/1024) with linespoints title '%s'"
                    % (csv, cols[n + "_rss_kib"], n) for n in s.names)
    fds = ", ".join("'%s' using 1:%d with linespoints title '%s'"
                    % (csv, cols[n + "_fds"], n) for n in s.names)
    script = """
set terminal pngcairo size 1000,%(height)d font ",10"
set output '%(png)s'
set datafile separator ','
set key outside right top
set grid
set multiplot layout %(panels)d,1 title '%(title)s'
set ylabel 'RSS (MiB)'
set logscale y
plot %(rss)s
unset logscale y
%(heapplot)s
set ylabel 'open descriptors'
set logscale y
plot %(fds)s
unset logscale y
set xlabel 'minutes'
set ylabel 'database (MiB)'
set y2label 'sessions online'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:%(smax)d]
plot '%(csv)s' using 1:($%(db)d/1024) with linespoints title 'xmppd.db', \
     '%(csv)s' using 1:($%(wal)d/1024) with linespoints title 'its WAL', \
     '%(csv)s' using 1:($%(muc)d/1024) with linespoints title 'mucd', \
     '%(csv)s' using 1:%(online)d axes x1y2 with lines title 'sessions online'
unset multiplot
""" % {"png": png, "title": title, "rss": rss, "fds": fds, "csv": csv,
       "panels": 4 if heap else 3, "height": 1600 if heap else 1200,
       "heapplot": "set ylabel 'live heap (MiB)'\nset logscale y\n"
                   "plot %s\nunset logscale y" % heap if heap else "",
       "db": cols["db_kib"], "wal": cols["wal_kib"], "muc": cols["muc_kib"],
       "online": cols["online"], "smax": max(r["online"]
                                              for r in s.rows) * 1.2}
    subprocess.run([GNUPLOT], input=script, text=True, check=True)


def integrity(srv):
    db = sqlite3.connect(os.path.join(srv.datadir, "xmppd.db"))
    ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-q", action="store_true", help="a short run")
    ap.add_argument("--sessions", type=int, default=10000)
    ap.add_argument("--minutes", type=int, default=None, help="30; -q: 3")
    ap.add_argument("--interval", type=int, default=60)
    ap.add_argument("--warmup", type=float, default=5,
                    help="minutes of the soak before growth is measured")
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--logouts", type=int, default=5)
    ap.add_argument("--messages", type=int, default=50)
    ap.add_argument("--presences", type=int, default=20)
    ap.add_argument("--joins", type=int, default=5)
    ap.add_argument("--occupants", type=int, default=0)
    ap.add_argument("--rooms", type=int, default=100)
    ap.add_argument("--groupchat", type=int, default=20)
    ap.add_argument("--out", default=".", help="where soak.csv and "
                    "soak.png go (default: here)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--heap", action="store_true", help="each process's "
                    "live heap too (libheapcount.so preloaded)")
    args = ap.parse_args()
    if args.q:
        args.sessions, args.interval, args.warmup = 300, 10, 1
    if args.minutes is None:
        args.minutes = 3 if args.q else 30
    if args.occupants == 0:
        args.occupants = args.sessions // 10
    if not os.path.exists(XMPPLOAD):
        sys.exit("soak.py: build first: make -C regress/bench")
    install_gnuplot()
    raise_nofile()
    top = tempfile.mkdtemp(prefix="soak.")
    os.chmod(top, 0o755)
    out = os.path.abspath(args.out)
    srv = load = None
    try:
        cert = make_cert(top)
        srv = SoakXmppd(top, cert, archive=True)
        srv.heap = args.heap
        log("soak: %d accounts" % args.sessions)
        srv.prepare(args.sessions)
        add_rosters(srv, args.sessions)
        run(["chown", "-R", "_xmppd", srv.datadir])
        srv.start()
        s = Sampler(srv, None)
        s.base = s.settled()
        load = s.load = Load(srv, args)
        t0 = time.monotonic()
        ready = load.wait("ready", 1800)
        log("soak: %d sessions in after %.0f s"
            % (ready["online"], time.monotonic() - t0))
        start = time.monotonic()
        k = 0
        while True:
            s.sample(time.monotonic() - start)
            if load.proc.poll() is not None:
                break
            k += 1
            left = start + k * args.interval - time.monotonic()
            if load.proc.poll() is None and left > 0:
                try:
                    load.proc.wait(left)
                except subprocess.TimeoutExpired:
                    pass
            if load.proc.poll() is not None:
                break
        load.thread.join(60)
        gone = s.after()
        if load.proc.returncode != 0:
            raise RuntimeError("xmppload exited with %d"
                               % load.proc.returncode)
        srv.stop()
        ok = integrity(srv)
        csv = os.path.join(out, "soak.csv")
        png = os.path.join(out, "soak.png")
        s.csv(csv)
        with open(os.path.join(out, "soak-load.txt"), "w") as f:
            f.write("\n".join(x for x in load.lines if x is not None))
            f.write("\n")
        plot(s, csv, png, "xmppd: %d sessions for %d minutes with churn"
             % (args.sessions, args.minutes))
        print("xmppload " + " ".join(load.cmd[1:]))
        print(summary(s, args.warmup, load, gone))
        print("database integrity: %s" % ok)
        print("figures: %s, plot: %s" % (csv, png))
        if ok != "ok":
            return 1
        return 0
    finally:
        if load is not None and load.proc.poll() is None:
            load.proc.kill()
            load.proc.wait()
        if srv is not None:
            srv.stop()
        # Also those of processes never sampled (the first start that
        # lays out the database): every file whose process is gone.
        for f in os.listdir("/dev/shm"):
            pid = f[len("heapcount."):]
            if f.startswith("heapcount.") and pid.isdigit() and \
                    (int(pid) in HEAP_PIDS or
                     not os.path.exists("/proc/" + pid)):
                try:
                    os.unlink(os.path.join("/dev/shm", f))
                except OSError:
                    pass
        if not args.keep:
            shutil.rmtree(top, ignore_errors=True)
        else:
            log("soak: kept %s" % top)


if __name__ == "__main__":
    sys.exit(main())
