#!/usr/bin/python3
"""xmppd, ejabberd and Prosody on the same machine, one after the other,
driven by the same load client (xmppload) through the same scenarios
(idle memory, logins, messages, roster logins, messages echoed by an
external component, group chat fan-out and joins); prints one table with the medians and the xmppd / peer ratios.
Then xmppd's upload service (uploadd) beside nginx, driven by httpload:
GET throughput, concurrent uploads, memory; a second table.

    regress/bench/bench.py [-q] [-r runs] [-s xmppd,ejabberd,prosody,nginx]
                           [--profile DIR] [--scenarios ...,upload]

Run as root after `make` (or through `make bench`).  It installs ejabberd,
Prosody and nginx from Debian when they are missing, keeps their system
services stopped, and starts each server itself in the foreground with a
generated configuration on loopback ports.  It reports; it checks nothing.
See docs/BENCHMARKS.md.
"""

import argparse
import hashlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from servers import (COMP_DOMAIN, COMP_SECRET, CONTACTS, DOMAIN, MUC_DOMAIN,
                     MUC_HISTORY, ROSTER_USERS, SERVERS, TOP, UPLOAD_SERVERS,
                     XMPPD, Nginx, Xmppd, install_peers, log, make_cert,
                     raise_nofile, run)

HERE = os.path.dirname(os.path.abspath(__file__))
XMPPLOAD = os.path.join(HERE, "xmppload")
HTTPLOAD = os.path.join(HERE, "httpload")
ECHOCOMP = os.path.join(HERE, "echocomp")
MIB = 1048576
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
IDLE_SETTLE = 15.0      # seconds idle before idle memory is read


# --- measuring ------------------------------------------------------------

def cpu_of(pids):
    """CPU seconds (user + system) per pid."""
    out = {}
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[p] = (int(fields[11]) + int(fields[12])) / TICK
        except (OSError, IndexError):
            pass
    return out


def rss_of(pids):
    """Resident memory in bytes, summed over pids."""
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/statm" % p) as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, IndexError):
            pass
    return total


# --- the load client ------------------------------------------------------

def parse_kv(line):
    out = {}
    for w in line.split()[1:]:
        if "=" in w:
            k, v = w.split("=", 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


class NotMeasured(RuntimeError):
    """xmppload's "fail" line: the server refused or stopped answering."""


class Load:
    """xmppload running, read line by line."""

    def __init__(self, srv, *args):
        cmd = [XMPPLOAD, "-P", str(srv.port), "-d", DOMAIN] + \
            [str(a) for a in args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     preexec_fn=raise_nofile)

    def expect(self, word):
        for line in self.proc.stdout:
            if line.startswith(word + " "):
                return parse_kv(line)
            if line.startswith("fail ") and "why=" in line:
                self.proc.wait(60)
                raise NotMeasured(line.split("why=", 1)[1].strip())
            if line.startswith("timeout"):
                break
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError("xmppload: no %r line (exit %s)"
                           % (word, self.proc.returncode))

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self):
        self.proc.stdin.close()
        self.proc.stdout.read()
        return self.proc.wait(120)


def server_cpu(srv):
    return sum(cpu_of(srv.pids()).values())


def settle(srv, seconds=2.0, limit=120):
    """Let the server finish what the last scenario left it (closing
    thousands of streams, GC): wait until it has been idle for a while."""
    deadline = time.monotonic() + limit
    quiet = 0.0
    while quiet < seconds and time.monotonic() < deadline:
        c0 = server_cpu(srv)
        time.sleep(0.5)
        if server_cpu(srv) - c0 < 0.03:
            quiet += 0.5
        else:
            quiet = 0.0


def role_rss(srv):
    """xmppd's RSS by process kind; nothing for the others."""
    if not isinstance(srv, Xmppd):
        return {}
    return {role: rss_of(rp) for role, rp in srv.role_pids().items()}


def role_growth(srv, before, prefix, n, out):
    """xmppd's KiB per n since before, by process kind, into out."""
    for role, rss in role_rss(srv).items():
        out[prefix + role] = (rss - before.get(role, 0)) / 1024.0 / n


def scenario_idle(srv, n, args):
    settle(srv)
    before = rss_of(srv.pids())
    roles_before = role_rss(srv)
    ld = Load(srv, "-m", "idle", "-n", n, "-c", args.connectors,
              "-t", args.timeout)
    r = ld.expect("ready")
    # Idle for longer than a chat connection's quiet spells: xmppd gives
    # an idle stream's parser back after 10 s; the others may trim too.
    settle(srv, IDLE_SETTLE)
    after = rss_of(srv.pids())
    roles = {}
    role_growth(srv, roles_before, "idle_kb_", n, roles)
    ld.finish()
    if r["failed"]:
        raise RuntimeError("%d of %d idle logins failed" % (r["failed"], n))
    out = {"kb_per_conn": (after - before) / 1024.0 / n,
           "rss_mb": after / 1048576.0, "client_cpu": r["cpu"]}
    out.update(roles)
    return out


def by_role(srv, c0, c1, prefix, scale, out):
    """xmppd's CPU by process kind, scaled, into out."""
    if isinstance(srv, Xmppd):
        for role, rp in srv.role_pids().items():
            out[prefix + role] = sum(
                c1.get(p, 0) - c0.get(p, 0) for p in rp) * scale


def scenario_logins(srv, args, profile=None):
    settle(srv)
    pids = srv.pids()
    c0 = cpu_of(pids)
    prof = profile(srv, "logins") if profile else None
    ld = Load(srv, "-m", "logins", "-n", args.logins, "-c", args.connectors,
              "-u", max(args.connectors * 2, 200), "-t", args.timeout)
    r = ld.expect("result")
    c1 = cpu_of(pids)
    if prof:
        prof()
    ld.finish()
    out = {"rate": r["rate"], "lat_ms": r["lat_ms_med"],
           "server_cpu": sum(c1.get(p, 0) - c0.get(p, 0) for p in c1),
           "client_cpu": r["cpu"]}
    out["cpu_ms"] = out["server_cpu"] * 1000.0 / r["n"]
    by_role(srv, c0, c1, "login_ms_", 1000.0 / r["n"], out)
    return out


def timed(srv, ld, prefix, prof_start=None):
    """xmppload's timed phase, between its "ready" and "result" lines:
    its rate and the server's CPU over it, per 100k of what it counts
    (xmppd's by process kind under prefix)."""
    ld.expect("ready")
    settle(srv, 1.0)
    pids = srv.pids()
    c0 = cpu_of(pids)
    prof = prof_start() if prof_start else None
    ld.go()
    r = ld.expect("result")
    c1 = cpu_of(pids)
    if prof:
        prof()
    ld.go()
    ld.finish()
    cpu = sum(c1.get(p, 0) - c0.get(p, 0) for p in c1)
    out = {"rate": r["rate"], "cpu_100k": cpu * 100000 / r["n"],
           "server_cpu": cpu, "client_cpu": r["cpu"], "n": r["n"]}
    by_role(srv, c0, c1, prefix, 100000.0 / r["n"], out)
    return out


def scenario_messages(srv, args, profile=None):
    settle(srv)
    ld = Load(srv, "-m", "messages", "-p", args.pairs, "-n", args.messages,
              "-W", args.window, "-s", "-t", args.timeout)
    return timed(srv, ld, "cpu_100k_", (lambda: profile(srv, "messages"))
                 if profile else None)


class EchoComp:
    """echocomp connected to the server's component port as
    COMP_DOMAIN: its counters and CPU read on demand."""

    def __init__(self, srv, timeout):
        if getattr(srv, "components", True) is False:
            raise NotMeasured("this xmppd has no external components")
        self.proc = subprocess.Popen(
            [ECHOCOMP, "-P", str(srv.comp_port), "-n", COMP_DOMAIN,
             "-w", COMP_SECRET, "-t", str(timeout)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        self.read("ready")

    def read(self, word):
        line = self.proc.stdout.readline()
        if line.startswith(word + " "):
            return parse_kv(line)
        self.stop()
        if line.startswith("fail ") and "why=" in line:
            raise NotMeasured("the component: " +
                              line.split("why=", 1)[1].strip())
        raise RuntimeError("echocomp: no %r line (exit %s)"
                           % (word, self.proc.returncode))

    def stats(self):
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return self.read("stats")

    def measure(self):
        """The component's counters over a phase: call at its start,
        and the function returned at its end."""
        before = self.stats()

        def done():
            after = self.stats()
            self.cpu = after["cpu"] - before["cpu"]
            self.echoed = after["echoed"] - before["echoed"]
        return done

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def scenario_component(srv, args):
    """Users each keeping a window of chat messages in flight to a JID
    at the echo component, which sends every one back; the echoes
    counted by the clients, the server's CPU over the sending only (the
    component's is its own, beside it)."""
    settle(srv)
    comp = EchoComp(srv, args.timeout)
    try:
        ld = Load(srv, "-m", "component", "-C", COMP_DOMAIN, "-p",
                  args.comp_users, "-n", args.comp_messages, "-W",
                  args.comp_window, "-c", args.connectors, "-s",
                  "-t", args.timeout)
        out = timed(srv, ld, "comp_cpu_100k_", comp.measure)
    finally:
        comp.stop()
    out["comp_cpu"] = comp.cpu
    if comp.echoed < out["n"]:
        raise NotMeasured("the component echoed %d of %d messages"
                          % (comp.echoed, out["n"]))
    return out


def scenario_roster(srv, args):
    settle(srv)
    ld = Load(srv, "-m", "roster", "-U", "roster", "-n", args.roster_logins,
              "-c", args.roster_connectors, "-t", args.timeout)
    r = ld.expect("result")
    ld.finish()
    if abs(r["roster_items"] - CONTACTS) > 0.5:
        raise RuntimeError("rosters hold %.1f items, not %d"
                           % (r["roster_items"], CONTACTS))
    return {"lat_ms": r["lat_ms_med"], "lat_p90": r["lat_ms_p90"],
            "rate": r["rate"]}


def scenario_muc(srv, args):
    """Fan-out: occupants in one room, senders each keeping a window of
    groupchat messages in flight; every delivery to every occupant
    counted, the server's CPU over the sending only."""
    settle(srv)
    ld = Load(srv, "-m", "muc", "-M", MUC_DOMAIN, "-j", args.muc_occupants,
              "-p", args.muc_senders, "-W", args.muc_window,
              "-n", args.muc_messages, "-c", args.connectors, "-s",
              "-t", args.timeout)
    return timed(srv, ld, "muc_cpu_100k_")


def scenario_mucjoin(srv, args):
    """Joins, one after another, of a room holding MUC_HISTORY messages;
    memory read, idle as in the idle scenario, with the users logged in
    before they join and after they all have."""
    settle(srv)
    ld = Load(srv, "-m", "mucjoin", "-M", MUC_DOMAIN, "-j", args.muc_joins,
              "-n", MUC_HISTORY, "-c", args.connectors, "-s",
              "-t", args.timeout)
    ld.expect("ready")
    settle(srv, IDLE_SETTLE)
    before = rss_of(srv.pids())
    roles_before = role_rss(srv)
    ld.go()
    r = ld.expect("result")
    settle(srv, IDLE_SETTLE)
    after = rss_of(srv.pids())
    out = {"lat_ms": r["lat_ms_med"], "lat_p90": r["lat_ms_p90"],
           "kb": (after - before) / 1024.0 / r["n"]}
    role_growth(srv, roles_before, "muc_kb_", r["n"], out)
    ld.go()
    ld.finish()
    if abs(r["history"] - MUC_HISTORY) > 0.5:
        raise NotMeasured("a join brought %.1f history messages, not %d"
                          % (r["history"], MUC_HISTORY))
    return out


# The scenarios in order, on a server started afresh for each group: the
# group chat ones each alone, since what a server keeps after a thousand
# joins can halve its fan-out rate (Prosody's).
SERVER_STARTS = (("idle", "logins", "messages", "roster"), ("component",),
                 ("mucjoin",), ("muc",))
SCENARIOS = sum(SERVER_STARTS, ()) + ("upload",)


def one_run(srv, args, profile):
    """Every scenario once on a freshly started server, and each group
    chat one on a server of its own, so that none inherits what the others
    left; a scenario that fails leaves its figures out and the others go
    on."""
    res = {}

    def step(name, fn):
        try:
            fn()
        except (RuntimeError, KeyError, OSError) as e:
            log("  %s failed: %s" % (name, e))
            if srv.proc is None or srv.proc.poll() is not None:
                raise RuntimeError("%s died:\n%s" % (srv.name, srv.tail()))

    def idle(n):
        r = scenario_idle(srv, n, args)
        res["idle_%d" % n] = r["kb_per_conn"]
        if n == max(args.idle):
            res.update({k: v for k, v in r.items()
                        if k.startswith("idle_kb_")})
        log("  idle %d: %.1f KiB/conn (RSS %.0f MiB)"
            % (n, r["kb_per_conn"], r["rss_mb"]))

    def logins():
        r = scenario_logins(srv, args, profile)
        res.update({"logins": r["rate"], "logins_client_cpu":
                    r["client_cpu"], "logins_server_cpu": r["server_cpu"],
                    "login_cpu_ms": r["cpu_ms"]})
        res.update({k: v for k, v in r.items()
                    if k.startswith("login_ms_")})
        log("  logins: %.0f/s, server %.2f CPU s, client %.2f CPU s"
            % (r["rate"], r["server_cpu"], r["client_cpu"]))

    def messages():
        r = scenario_messages(srv, args, profile)
        res.update({"messages": r["rate"], "cpu_100k": r["cpu_100k"],
                    "msg_client_cpu": r["client_cpu"],
                    "msg_server_cpu": r["server_cpu"]})
        res.update({k: v for k, v in r.items()
                    if k.startswith("cpu_100k_")})
        log("  messages: %.0f/s, %.2f CPU s per 100k, server %.2f CPU s, "
            "client %.2f CPU s" % (r["rate"], r["cpu_100k"],
                                   r["server_cpu"], r["client_cpu"]))

    def timed_figures(p, scenario):
        """A timed scenario's figures as p_rate, p_cpu_100k..., or why
        it has none as p_why."""
        try:
            r = scenario(srv, args)
        except (RuntimeError, KeyError, OSError) as e:
            res[p + "_why"] = str(e).split("\n")[0]
            raise
        res.update({p + "_rate": r["rate"], p + "_cpu_100k": r["cpu_100k"],
                    p + "_client_cpu": r["client_cpu"],
                    p + "_server_cpu": r["server_cpu"]})
        res.update({k: v for k, v in r.items()
                    if k.startswith(p + "_cpu_100k_")})
        return r

    def component():
        r = timed_figures("comp", scenario_component)
        res["comp_echo_cpu"] = r["comp_cpu"]
        log("  component echo: %.0f messages/s, %.2f CPU s per 100k, "
            "server %.2f CPU s, client %.2f CPU s, component %.2f CPU s"
            % (r["rate"], r["cpu_100k"], r["server_cpu"], r["client_cpu"],
               r["comp_cpu"]))

    def roster():
        r = scenario_roster(srv, args)
        res["roster_ms"] = r["lat_ms"]
        log("  roster login: %.1f ms median, %.1f ms p90"
            % (r["lat_ms"], r["lat_p90"]))

    def muc():
        r = timed_figures("muc", scenario_muc)
        log("  MUC fan-out: %.0f deliveries/s, %.2f CPU s per 100k, "
            "server %.2f CPU s, client %.2f CPU s"
            % (r["rate"], r["cpu_100k"], r["server_cpu"], r["client_cpu"]))

    def mucjoin():
        try:
            r = scenario_mucjoin(srv, args)
        except (RuntimeError, KeyError, OSError) as e:
            res["mucjoin_why"] = str(e).split("\n")[0]
            raise
        res.update({"muc_join_ms": r["lat_ms"], "muc_kb": r["kb"]})
        res.update({k: v for k, v in r.items() if k.startswith("muc_kb_")})
        log("  MUC joins: %.1f ms median, %.1f ms p90, %.1f KiB/occupant"
            % (r["lat_ms"], r["lat_p90"], r["kb"]))

    def warm():
        ld = Load(srv, "-m", "logins", "-n", 20, "-c", 5, "-t", args.timeout)
        ld.expect("result")
        ld.finish()

    def idles():
        for n in args.idle:
            step("idle %d" % n, lambda: idle(n))

    steps = {"idle": idles,
             "logins": lambda: step("logins", logins),
             "messages": lambda: step("messages", messages),
             "roster": lambda: step("roster", roster),
             "component": lambda: step("component", component),
             "mucjoin": lambda: step("MUC joins", mucjoin),
             "muc": lambda: step("MUC fan-out", muc)}
    for group in SERVER_STARTS:
        chosen = [x for x in group if x in args.scenarios]
        if not chosen:
            continue
        srv.start()
        try:
            step("warm-up", warm)
            for x in chosen:
                steps[x]()
        finally:
            srv.stop()
    return res


# --- uploads: uploadd beside nginx ---------------------------------------

class Sampler:
    """The RSS of some processes, summed, ten times a second while a
    phase runs: its peak."""

    def __init__(self, pids):
        self.pids = pids
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_of(self.pids))
            self.stop.wait(0.1)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, rss_of(self.pids))


def bench_file(top, mib):
    """A file of random bytes, and its SHA-256."""
    path = os.path.join(top, "bench-%dM.bin" % mib)
    h = hashlib.sha256()
    with open(path, "wb") as f:
        for _ in range(mib):
            b = os.urandom(MIB)
            h.update(b)
            f.write(b)
    return path, h.hexdigest()


def httpload(srv, urls, *args):
    """httpload with its URL list, read line by line: its figures, or
    NotMeasured with its reason."""
    if urls is not None:
        path = os.path.join(srv.dir, "urls")
        with open(path, "w") as f:
            f.writelines("%s %s%s\n" % u for u in urls)
        args = args + (path,)
    return subprocess.Popen([HTTPLOAD, "-P", str(srv.http_port)] +
                            [str(a) for a in args], stdout=subprocess.PIPE,
                            text=True, preexec_fn=raise_nofile)


def http_expect(proc, word):
    for line in proc.stdout:
        if line.startswith(word + " "):
            return parse_kv(line)
        if line.startswith("fail ") and "why=" in line:
            proc.wait(60)
            raise NotMeasured(line.split("why=", 1)[1].strip())
    proc.wait(60)
    raise NotMeasured("httpload: no %r line (exit %s)"
                      % (word, proc.returncode))


def upload_get(srv, args, mib, path, digest, out):
    """The file stored through the server's own upload path, then read
    by args.upload_clients keep-alive connections for args.upload_secs,
    each body's length checked, and once more for its SHA-256."""
    size = mib * MIB
    urls = srv.slots(1, size, "bench%dM-" % mib)
    p = httpload(srv, urls, "-m", "put", "-c", 1, "-f", path, "-t", 600)
    http_expect(p, "verify")
    p.wait(60)
    settle(srv, 1.0)
    base = rss_of(srv.serving_pids())
    c0 = cpu_of(srv.pids())
    with Sampler(srv.serving_pids()) as rss:
        p = httpload(srv, None, "-m", "get", "-c", args.upload_clients,
                     "-t", args.upload_secs, "-l", size, urls[0][1])
        r = http_expect(p, "result")
        p.wait(60)
    c1 = cpu_of(srv.pids())
    cpu = sum(c1.get(p, 0) - c0.get(p, 0) for p in c1)
    # The bytes compared once, after: hashing every body would make the
    # client the bottleneck, the more so the larger the file.
    p = httpload(srv, None, "-m", "get", "-n", 1, "-c", 1, "-t", 600,
                 "-l", size, "-D", digest, urls[0][1])
    http_expect(p, "result")
    p.wait(60)
    out.update({"get%d_mb_s" % mib: r["mb_s"],
                "get%d_cpu_gb" % mib: cpu / (r["bytes"] / 1024.0 / MIB),
                "get%d_client_cpu" % mib: r["cpu"],
                "get%d_server_cpu" % mib: cpu,
                "get%d_rss" % mib: rss.peak / MIB,
                "get%d_rss_base" % mib: base / MIB})
    log("  GET %d MiB file, %d clients: %.1f MB/s, server %.2f CPU s, "
        "client %.2f CPU s, RSS %.1f MiB before, %.1f peak"
        % (mib, args.upload_clients, r["mb_s"], cpu, r["cpu"], base / MIB,
           rss.peak / MIB))


def upload_put(srv, args, out):
    """args.puts concurrent uploads of args.put_mib MiB each, every one
    read back and compared; the server's CPU over the uploads only."""
    size = args.put_mib * MIB
    urls = srv.slots(args.puts, size, "up")
    settle(srv, 1.0)
    c0 = cpu_of(srv.pids())
    with Sampler(srv.serving_pids()) as rss:
        p = httpload(srv, urls, "-m", "put", "-c", args.puts, "-l", size,
                     "-t", 600)
        r = http_expect(p, "result")
        c1 = cpu_of(srv.pids())
        v = http_expect(p, "verify")
        p.wait(60)
    cpu = sum(c1.get(p, 0) - c0.get(p, 0) for p in c1)
    out.update({"put_secs": r["secs"], "put_mb_s": r["mb_s"],
                "put_ok": r["ok"], "put_verified": v["ok"],
                "put_client_cpu": r["cpu"], "put_server_cpu": cpu,
                "put_rss": rss.peak / MIB})
    log("  PUT %d x %d MiB at once: %.0f stored, %.0f read back intact, "
        "%.2f s, %.1f MB/s, server %.2f CPU s, peak RSS %.1f MiB"
        % (args.puts, args.put_mib, r["ok"], v["ok"], r["secs"],
           r["mb_s"], cpu, rss.peak / MIB))


def one_upload_run(srv, args, files):
    """Each size's GETs and then the uploads, on the server started
    afresh; a phase that fails says why in the table."""
    res = {}
    srv.start()
    try:
        for mib, path, digest in files:
            try:
                upload_get(srv, args, mib, path, digest, res)
            except (RuntimeError, OSError, KeyError) as e:
                res.setdefault("upload_get_why", str(e).split("\n")[0])
                log("  GET %d MiB failed: %s" % (mib, e))
        try:
            upload_put(srv, args, res)
        except (RuntimeError, OSError, KeyError) as e:
            res["upload_put_why"] = str(e).split("\n")[0]
            log("  PUT failed: %s" % e)
    finally:
        srv.stop()
    return res


def upload_rows(args):
    out = []
    for mib in args.upload_sizes:
        out += [("get%d_mb_s" % mib, "GET MB/s, %d MiB file, %d clients"
                 % (mib, args.upload_clients), "%.1f", "higher"),
                ("get%d_cpu_gb" % mib, "server CPU s per GiB served, "
                 "%d MiB file" % mib, "%.2f", "lower"),
                ("get%d_rss" % mib, "serving RSS, peak in GETs of the "
                 "%d MiB file (MiB)" % mib, "%.1f", "lower"),
                ("get%d_client_cpu" % mib, "load client CPU s in GETs of "
                 "the %d MiB file / server's" % mib, None, None)]
    out += [("put_ok", "PUTs of %d x %d MiB at once stored"
             % (args.puts, args.put_mib), "%.0f", None),
            ("put_verified", "of them read back intact (SHA-256)", "%.0f",
             None),
            ("put_secs", "time to store all (s)", "%.2f", "lower"),
            ("put_mb_s", "PUT MB/s", "%.1f", "higher"),
            ("put_rss", "serving RSS, peak in the PUTs (MiB)", "%.1f",
             "lower"),
            ("put_client_cpu", "load client CPU s in the PUTs / server's",
             None, None)]
    return out


def upload_bench(names, top, cert, args):
    """uploadd and nginx, each started afresh for every run; their
    figures by server name."""
    files = [(mib,) + bench_file(top, mib) for mib in args.upload_sizes]
    results = {}
    for n in names:
        srv = UPLOAD_SERVERS[n](top, cert)
        try:
            srv.prepare(1)
            for i in range(args.runs):
                log("%s upload: run %d of %d" % (srv.name, i + 1, args.runs))
                results.setdefault(n, []).append(
                    one_upload_run(srv, args, files))
        except Exception as e:
            log("%s failed: %s\n%s" % (srv.name, e, srv.tail()))
            srv.stop()
            # Said in the table, in place of the figures.
            why = (getattr(e, "stderr", None) or str(e)).strip()
            why = why.split("\n")[0]
            results.setdefault(n, []).append({"upload_get_why": why,
                                              "upload_put_why": why})
    return results


# --- the table ------------------------------------------------------------

def rows(args):
    out = []
    for n in args.idle:
        out.append(("idle_%d" % n, "memory per idle connection, %d conns "
                    "(KiB)" % n, "%.1f", "lower"))
    out += [
        ("logins", "logins/s, %d connectors (TLS+SCRAM+bind+presence)"
         % args.connectors, "%.0f", "higher"),
        ("login_cpu_ms", "server CPU ms per login", "%.2f", "lower"),
        ("messages", "messages/s, %d pairs" % args.pairs, "%.0f", "higher"),
        ("cpu_100k", "server CPU s per 100k messages", "%.2f", "lower"),
        ("comp_rate", "messages/s echoed by a component, %d users x %d"
         % (args.comp_users, args.comp_window), "%.0f", "higher"),
        ("comp_cpu_100k", "server CPU s per 100k echoed messages", "%.2f",
         "lower"),
        ("roster_ms", "login with a %d-contact roster, median (ms)"
         % CONTACTS, "%.1f", "lower"),
        ("muc_rate", "MUC deliveries/s, %d occupants, %d senders x %d"
         % (args.muc_occupants, args.muc_senders, args.muc_window), "%.0f",
         "higher"),
        ("muc_cpu_100k", "server CPU s per 100k MUC deliveries", "%.2f",
         "lower"),
        ("muc_join_ms", "MUC join, %d history messages, median of %d (ms)"
         % (MUC_HISTORY, args.muc_joins), "%.1f", "lower"),
        ("muc_kb", "memory per MUC occupant, %d joined (KiB)"
         % args.muc_joins, "%.1f", "lower"),
        ("logins_client_cpu", "load client CPU s in logins / server's",
         None, None),
        ("msg_client_cpu", "load client CPU s in messages / server's",
         None, None),
        ("comp_client_cpu", "load client CPU s in component echo / "
         "server's", None, None),
        ("comp_echo_cpu", "echo component CPU s in component echo", "%.2f",
         None),
        ("muc_client_cpu", "load client CPU s in MUC fan-out / server's",
         None, None),
    ]
    return out


# A figure a MUC or the component scenario did not give: its reason, in full on
# its first row.
WHY = {"comp_rate": ("comp_why", True), "comp_cpu_100k": ("comp_why", False),
       "comp_client_cpu": ("comp_why", False),
       "comp_echo_cpu": ("comp_why", False),
       "muc_rate": ("muc_why", True), "muc_cpu_100k": ("muc_why", False),
       "muc_client_cpu": ("muc_why", False),
       "muc_join_ms": ("mucjoin_why", True), "muc_kb": ("mucjoin_why", False)}


def why_of(key):
    """Where a run keeps why it has no such figure, and whether the
    reason is shown in full there."""
    if key in WHY:
        return WHY[key]
    if key.startswith("get"):
        return "upload_get_why", key.endswith("_mb_s")
    if key.startswith("put_"):
        return "upload_put_why", key == "put_ok"
    return None, False


def not_measured(runs, key):
    why, full = why_of(key)
    reasons = [r[why] for r in runs if why in r]
    if not reasons:
        return "-"
    return "not measured: " + reasons[0] if full else "not measured"


def cell(runs, key, fmt):
    if key.endswith("_client_cpu"):
        srvkey = key.replace("client", "server")
        both = [r for r in runs if key in r and srvkey in r]
        if not both:
            return not_measured(runs, key)
        return "%.2f / %.2f" % (statistics.median([r[key] for r in both]),
                                statistics.median([r[srvkey]
                                                   for r in both]))
    vals = [r[key] for r in runs if r.get(key) is not None]
    if not vals:
        return not_measured(runs, key)
    return fmt % statistics.median(vals)


def table(results, names, rowlist, base="xmppd"):
    """Medians, and base's over each other server's."""
    head = ["figure"] + names + ["%s/%s" % (base, n) for n in names
                                 if n != base]
    lines = []
    for key, label, fmt, better in rowlist:
        line = [label]
        for n in names:
            line.append(cell(results.get(n, []), key, fmt))
        for n in names:
            if n == base:
                continue
            if fmt is None or better is None:
                line.append("")
                continue
            a = [r.get(key) for r in results.get(base, [])
                 if r.get(key) is not None]
            b = [r.get(key) for r in results.get(n, [])
                 if r.get(key) is not None]
            if a and b and statistics.median(b):
                line.append("%.2f" % (statistics.median(a) /
                                      statistics.median(b)))
            else:
                line.append("-")
        lines.append(line)
    widths = [max(len(l[i]) for l in [head] + lines)
              for i in range(len(head))]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths))
           + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for l in lines:
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(l, widths))
                   + " |")
    return "\n".join(out)


def xmppd_detail(results, args):
    rs = results.get("xmppd", [])
    out = []
    for prefix, what in (("login_ms_", "CPU ms per login"),
                         ("cpu_100k_", "CPU s per 100k messages"),
                         ("comp_cpu_100k_", "CPU s per 100k echoed "
                          "messages"),
                         ("idle_kb_", "KiB per idle connection at %d"
                          % max(args.idle)),
                         ("muc_cpu_100k_", "CPU s per 100k MUC deliveries"),
                         ("muc_kb_", "KiB per MUC occupant")):
        keys = sorted({k for r in rs for k in r if k.startswith(prefix)})
        if keys:
            out.append("xmppd %s by process: %s" % (what, ", ".join(
                "%s %.2f" % (k[len(prefix):], statistics.median(
                    [r[k] for r in rs if k in r])) for k in keys)))
    return "\n".join(out)


# --- profiling ------------------------------------------------------------

def perf_profiler(outdir):
    """perf record -g on xmppd's router, store and one stream during the
    logins and the message phases; a text report per process."""
    os.makedirs(outdir, exist_ok=True)

    def start(srv, phase):
        if not isinstance(srv, Xmppd):
            return None
        roles = srv.role_pids()
        procs = []
        for kind in ("router", "stream", "store"):
            if kind not in roles:
                continue
            role = "%s-%s" % (phase, kind)
            data = os.path.join(outdir, "perf-%s.data" % role)
            # xmppd keeps no frame pointers: unwind with DWARF.
            procs.append((role, data, subprocess.Popen(
                ["perf", "record", "--call-graph", "dwarf,8192", "-F",
                 "499", "-o", data, "-p", str(roles[kind][0])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
        time.sleep(0.5)

        def stop():
            for role, data, p in procs:
                p.send_signal(signal.SIGINT)
                p.wait(60)
                for kind, extra in (("self", ["--no-children", "-g",
                                              "none"]),
                                    ("children", ["--children", "-g",
                                                  "none"]),
                                    ("dso", ["--no-children", "--sort",
                                             "dso", "-g", "none"])):
                    with open(os.path.join(outdir, "perf-%s-%s.txt"
                                           % (role, kind)), "w") as f:
                        subprocess.run(["perf", "report", "-i", data,
                                        "--stdio", "--percent-limit", "0.5"]
                                       + extra, stdout=f,
                                       stderr=subprocess.DEVNULL)
            log("  perf reports in %s" % outdir)
        return stop
    return start


# --- main -----------------------------------------------------------------

def machine():
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = open("/proc/loadavg").read().split()[:3]
    return ("%d CPUs (%s), %d MiB, Linux %s, load average before the "
            "run %s" % (os.cpu_count(), model, mem, os.uname().release,
                        " ".join(load)))


def versions(names):
    out = []
    for n in names:
        pkg = {"ejabberd": "ejabberd", "prosody": "prosody",
               "nginx": "nginx"}.get(n)
        if pkg:
            v = run(["dpkg-query", "-W", "-f", "${Version}", pkg],
                    check=False).stdout
            out.append("%s %s" % (n, v))
        else:
            rev = run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"],
                      check=False).stdout.strip()
            dirty = run(["git", "-C", TOP, "status", "--porcelain",
                         "--untracked-files=no", "--", "common", "xmppd"],
                        check=False).stdout.strip()
            out.append("xmppd %s%s" % (rev or "?", " with uncommitted "
                                       "changes" if dirty else ""))
    return ", ".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-s", "--servers",
                    default="xmppd,ejabberd,prosody,nginx",
                    help="which servers, comma-separated (nginx only in "
                    "the upload scenario, beside xmppd's uploadd)")
    ap.add_argument("-r", "--runs", type=int, default=3,
                    help="runs per server; figures are their medians")
    ap.add_argument("-q", "--quick", action="store_true",
                    help="small loads, to check that everything works")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="which scenarios, comma-separated (%s)"
                    % ",".join(SCENARIOS))
    ap.add_argument("--idle", default="1000,10000",
                    help="idle connection counts, comma-separated")
    ap.add_argument("--logins", type=int, default=3000,
                    help="logins in the logins scenario")
    ap.add_argument("--connectors", type=int, default=100,
                    help="concurrent connectors")
    ap.add_argument("--messages", type=int, default=200000,
                    help="messages in the messages scenario")
    ap.add_argument("--pairs", type=int, default=100,
                    help="sender / receiver pairs")
    ap.add_argument("--window", type=int, default=10,
                    help="messages in flight per pair")
    ap.add_argument("--comp-users", type=int, default=100,
                    help="users sending to the echo component")
    ap.add_argument("--comp-window", type=int, default=10,
                    help="messages each keeps in flight to the component")
    ap.add_argument("--comp-messages", type=int, default=200000,
                    help="messages echoed by the component")
    ap.add_argument("--roster-logins", type=int, default=ROSTER_USERS,
                    help="users with a %d-contact roster to log in"
                    % CONTACTS)
    ap.add_argument("--roster-connectors", type=int, default=10,
                    help="of them at a time")
    ap.add_argument("--muc-occupants", type=int, default=100,
                    help="occupants of the room in the MUC fan-out")
    ap.add_argument("--muc-senders", type=int, default=10,
                    help="of them sending")
    ap.add_argument("--muc-window", type=int, default=5,
                    help="groupchat messages in flight per sender")
    ap.add_argument("--muc-messages", type=int, default=10000,
                    help="groupchat messages sent in the MUC fan-out "
                    "(each delivered to every occupant)")
    ap.add_argument("--muc-joins", type=int, default=1000,
                    help="users joining, one after another, rooms of %d "
                    "holding %d history messages" % (100, MUC_HISTORY))
    ap.add_argument("--upload-sizes", default="10,100",
                    help="sizes in MiB of the files read in the upload "
                    "scenario, comma-separated")
    ap.add_argument("--upload-clients", type=int, default=20,
                    help="concurrent keep-alive connections reading a file")
    ap.add_argument("--upload-secs", type=int, default=10,
                    help="seconds each file is read for")
    ap.add_argument("--puts", type=int, default=100,
                    help="uploads at once in the upload scenario")
    ap.add_argument("--put-mib", type=int, default=1,
                    help="MiB of each upload")
    ap.add_argument("--nginx-workers", type=int, default=1,
                    help="nginx worker processes (uploadd is one process)")
    ap.add_argument("--timeout", type=int, default=600,
                    help="seconds allowed to each phase of xmppload")
    ap.add_argument("--json", metavar="FILE",
                    help="write every run's figures there")
    ap.add_argument("--profile", metavar="DIR",
                    help="perf record xmppd's router, store and a stream during "
                    "the logins and message scenarios of the last run")
    ap.add_argument("--archive", action="store_true",
                    help="archive every message (MAM) on every server")
    ap.add_argument("--keep", action="store_true",
                    help="keep the working directory")
    args = ap.parse_args()
    if args.quick:
        args.idle = "200,1000"
        args.logins = 500
        args.messages = 20000
        args.comp_messages = 20000
        args.roster_logins = 100
        args.muc_messages = 500
        args.muc_joins = 100
        args.upload_secs = 3
        args.runs = min(args.runs, 1)
    args.idle = [int(x) for x in args.idle.split(",") if x]
    args.upload_sizes = [int(x) for x in args.upload_sizes.split(",") if x]
    args.scenarios = {x for x in args.scenarios.split(",") if x}
    for x in args.scenarios - set(SCENARIOS):
        sys.exit("unknown scenario %s" % x)
    names = [n for n in args.servers.split(",") if n]
    for n in names:
        if n not in SERVERS and n not in UPLOAD_SERVERS:
            sys.exit("unknown server %s" % n)
    # The XMPP scenarios on the XMPP servers, the upload one on xmppd and
    # nginx.
    upnames = [n for n in UPLOAD_SERVERS if n in names
               and "upload" in args.scenarios]
    names = [n for n in SERVERS if n in names
             and args.scenarios - {"upload"}]
    if os.geteuid() != 0:
        sys.exit("bench.py runs as root (it starts servers as their users)")
    for prog, need in ((XMPPLOAD, names), (HTTPLOAD, upnames),
                       (ECHOCOMP, names and "component" in args.scenarios),
                       (XMPPD, "xmppd" in names + upnames)):
        if need and not os.access(prog, os.X_OK):
            sys.exit("%s is missing: make -C regress/bench" % prog)
    Nginx.workers = args.nginx_workers

    install_peers(names + upnames)
    top = tempfile.mkdtemp(prefix="xmppd-bench-")
    os.chmod(top, 0o755)
    # The accounts the chosen scenarios log in (20 for the warm-up).
    need = {"idle": max(args.idle), "logins": max(args.connectors * 2, 200),
            "messages": 2 * args.pairs, "component": args.comp_users,
            "muc": args.muc_occupants,
            "mucjoin": args.muc_joins + (args.muc_joins + 99) // 100}
    nusers = max([20] + [need[x] for x in args.scenarios if x in need])
    mach = machine()
    results = {}
    upresults = {}
    try:
        cert = make_cert(top)
        for n in names:
            log("%s: preparing %d accounts" % (n, nusers + ROSTER_USERS))
            srv = SERVERS[n](top, cert, args.archive)
            try:
                srv.prepare(nusers)
                for i in range(args.runs):
                    log("%s: run %d of %d" % (n, i + 1, args.runs))
                    prof = perf_profiler(args.profile) if \
                        args.profile and i == args.runs - 1 else None
                    results.setdefault(n, []).append(
                        one_run(srv, args, prof))
            except Exception as e:
                log("%s failed: %s\n%s" % (n, e, srv.tail()))
                srv.stop()
        upresults = upload_bench(upnames, top, cert, args)
    finally:
        if not args.keep:
            shutil.rmtree(top, ignore_errors=True)
        else:
            log("kept %s" % top)
    if args.json:
        import json
        with open(args.json, "w") as f:
            json.dump({"machine": mach, "load_after": open(
                "/proc/loadavg").read().split()[:3], "results": results,
                "upload": upresults}, f, indent=1)
    print("Machine: %s" % mach)
    print("Load average after the run: %s"
          % " ".join(open("/proc/loadavg").read().split()[:3]))
    print("Servers: %s" % versions(names + upnames))
    print("Medians of %d run(s)." % args.runs)
    if names:
        print("Idle memory is RSS of all the server's processes, delta / "
              "connections; message archives %s."
              % ("on" if args.archive else "off"))
        print()
        print(table(results, names, rows(args)))
    d = xmppd_detail(results, args)
    if d:
        print()
        print(d)
    if upnames:
        print()
        print("HTTP upload over TLS: xmppd is its uploadd; nginx %d worker(s),"
              " WebDAV PUT; serving RSS is uploadd's, nginx's workers'."
              % args.nginx_workers)
        print()
        print(table(upresults, upnames, upload_rows(args)))


if __name__ == "__main__":
    main()
