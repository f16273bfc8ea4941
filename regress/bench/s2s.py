#!/usr/bin/python3
"""Federation: messages per second between the users of two servers over
a server-to-server stream, for two xmppd, two Prosody and two ejabberd
side by side in the same run, and the time a first message to a new
peer takes (DNS, TCP, TLS, SASL EXTERNAL, then the message) against the
next one on the stream then up.

    regress/bench/s2s.py [-q] [-r runs] [-s xmppd,prosody,ejabberd]
                         [--pairs N] [--window N] [--messages N]

Run as root after `make -C regress/bench` (or through `make -C
regress/bench s2s`).  Each run of each kind sets up a federation of its
own on loopback with regress/lib/federation.py: Debian's unbound serving
the SRV and A records, a test CA that issued both servers' certificates
and that both trust, so that each server authenticates the other with
SASL EXTERNAL (checked in the logs); the two servers, started afresh;
their accounts written directly.  xmppload logs each pair's sender in to
the first server and its receiver to the second.  It reports; it checks
nothing but that the peers authenticated as said.  See docs/BENCHMARKS.md.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "regress", "lib"))

import bench                                              # noqa: E402
from bench import NotMeasured, cpu_of                     # noqa: E402
from federation import Federation                         # noqa: E402
from servers import (PASSWORD, XMPPD, descendants,        # noqa: E402
                     install_peers, log, prosody_account, raise_nofile,
                     role_pids, users)
import xmppdtest                                          # noqa: E402

XMPPCTL = os.path.join(HERE, "obj", "xmppctl", "xmppctl")
KINDS = ("xmppd", "prosody", "ejabberd")
TIMEOUT = 60

# How the receiving server says it took the sending one's certificate
# for its domain (SASL EXTERNAL, XEP-0178), and how the sending one says
# it authenticated, when it says it at the level it logs at.
ACCEPTED = {
    "xmppd": r"s2s inbound connection \d+ from \S+: %(a)s authenticated "
             r"by SASL EXTERNAL for %(b)s",
    "prosody": r"Accepting SASL EXTERNAL identity from %(a)s",
    "ejabberd": r"Accepted inbound s2s EXTERNAL authentication "
                r"%(a)s -> %(b)s",
}
SENT = {
    "xmppd": r"s2s outbound connection \d+ to %(b)s: authenticated by "
             r"SASL EXTERNAL",
    "prosody": None,            # at debug only: read the receiver's
    "ejabberd": r"Accepted outbound s2s EXTERNAL authentication "
                r"%(a)s -> %(b)s",
}

# xmppd as the other two run here: rates lifted, no message archive.
XMPPD_LIMITS = """\
limits {
\tclient rate 1G
\tserver rate 1G
\tserver queue 100000
\tconnections per address 100000
}
"""


def cpu(pids):
    return sum(cpu_of(pids).values())


# --- the servers ----------------------------------------------------------

def stamp_lines(server):
    """The server's log lines as the harness collects them, and also
    with the time each was read (server.stamps: (monotonic, line)), so
    that the steps of a connection's setup can be timed from its log."""
    server.stamps = []
    collect = server._reader

    def stamped(stream):
        for line in stream:
            server.stamps.append((time.monotonic(), line.rstrip("\r\n")))
            yield line
    server._reader = lambda stream: collect(stamped(stream))


def rewrite(path, change):
    """The file at path, its text passed through change."""
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(change(text))


def stamp_of(server, pattern, after):
    """When the first line matching pattern read after time after was
    read, or None."""
    rx = re.compile(pattern)
    for t, line in list(server.stamps):
        if t >= after and rx.search(line):
            return t
    return None


class Pair:
    """Two servers of one kind federating: a (the senders') and b (the
    receivers'), each with the accounts user0000.. (password PASSWORD)."""

    def __init__(self, kind, fed, nusers):
        self.kind = kind
        self.fed = fed
        # Not .test: xmppd as released refuses RFC 6761's names as
        # unbound does (only its regress build takes them), and the
        # benchmark measures xmppd as released.
        self.domains = ["%s-%s.example" % (kind, s) for s in ("a", "b")]
        if "example" not in fed.dns.zones:
            fed.dns.zones.append("example")
        self.servers = [getattr(self, "make_" + kind)(d, nusers)
                        for d in self.domains]

    # xmppd: the regress harness's Server on the release build, its
    # configuration federation.py's plus the limits and archives above.
    def make_xmppd(self, domain, nusers):
        ports = {"server": xmppdtest.free_port(),
                 "server_tls": xmppdtest.free_port()}
        conf = self.fed.xmppd_conf(domain, port=ports["server"],
                                   tls_port=ports["server_tls"])
        conf = conf.replace("\tauth internal\n",
                            "\tauth internal\n\tarchive default never\n"
                            "\tregistration deny\n", 1)
        s = xmppdtest.Server(body=conf + XMPPD_LIMITS)
        s.xmppd = XMPPD
        stamp_lines(s)
        s.ports.update(ports)
        s.domain = domain
        s.client_port = s.ports["client"]
        s.nusers = nusers
        self.fed.publish(domain, ports["server"], ports["server_tls"])
        return s

    # Prosody as federation.py makes it, logging at info (its package's
    # level; debug costs it a log line per stanza) and with its accounts
    # written as its internal_hashed storage keeps them.
    def make_prosody(self, domain, nusers):
        p = self.fed.prosody(domain)
        rewrite(p.path("prosody.cfg.lua"),
                lambda text: text.replace('min = "debug"', 'min = "info"'))
        # Its file names: every byte but letters and digits as %xx.
        host = re.sub(r"[^A-Za-z0-9]", lambda m: "%%%02x" % ord(m.group()),
                      domain)
        acc = p.path(os.path.join("data", host, "accounts"))
        os.makedirs(acc)
        account = prosody_account()
        for u in users(nusers):
            with open(os.path.join(acc, u + ".dat"), "w") as f:
                f.write(account)
        p.client_port = p.ports["client"]
        return p

    # ejabberd as federation.py makes it, without the message archive
    # its regress configuration keeps; accounts imported (XEP-0227).
    def make_ejabberd(self, domain, nusers):
        e = self.fed.ejabberd(domain)
        rewrite(e.path("ejabberd.yml"),
                lambda text: re.sub(r"  mod_mam:\n(    .*\n)*", "", text))
        e.write("accounts.xml",
                "<?xml version='1.0' encoding='UTF-8'?>\n"
                "<server-data xmlns='urn:xmpp:pie:0'>\n<host jid='%s'>\n%s"
                "</host>\n</server-data>\n" % (domain, "".join(
                    "<user name='%s' password='%s'/>\n" % (u, PASSWORD)
                    for u in users(nusers))), 0o644)
        e.client_port = e.ports["client"]
        return e

    def start(self):
        self.fed.start()
        for s, d in zip(self.servers, self.domains):
            if self.kind == "xmppd":
                s.start()
                for u in users(s.nusers):
                    p = subprocess.run(
                        [XMPPCTL, "-s", s.sock, "user", "add",
                         "%s@%s" % (u, d)], input=PASSWORD + "\n",
                        capture_output=True, text=True, timeout=TIMEOUT)
                    if p.returncode != 0:
                        raise RuntimeError("user add: " + p.stderr)
            elif self.kind == "ejabberd":
                s.ctl("import_piefxis", s.path("accounts.xml"),
                      timeout=300)

    def pids(self):
        out = []
        for s in self.servers:
            out += descendants(s.proc.pid)
        return out

    def authenticated(self):
        """How b took a's stream, from their logs: "SASL EXTERNAL", or
        raises with both logs' ends."""
        a, b = self.servers
        names = {"a": re.escape(self.domains[0]),
                 "b": re.escape(self.domains[1])}
        try:
            b.wait_log(ACCEPTED[self.kind] % names, timeout=10)
            if SENT[self.kind]:
                a.wait_log(SENT[self.kind] % names, timeout=10)
        except AssertionError as e:
            raise RuntimeError("%s: %s\n--- a ---\n%s\n--- b ---\n%s" % (
                self.kind, e, a.log_tail(30), b.log_tail(30)))
        return "SASL EXTERNAL"

    def stop(self):
        for s in self.servers:
            if self.kind == "xmppd":
                s.stop()
        self.fed.close()


# --- the load client ------------------------------------------------------

class Load(bench.Load):
    """xmppload, its senders on a and its receivers on b: bench.py's,
    started with the two servers' ports and domains."""

    def __init__(self, pair, *args):
        a, b = pair.servers
        cmd = [bench.XMPPLOAD, "-P", str(a.client_port), "-d",
               pair.domains[0], "-Q", str(b.client_port), "-D",
               pair.domains[1], "-w", PASSWORD] + [str(x) for x in args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     preexec_fn=raise_nofile)


def one_message(pair, args, steps=None):
    """One message from a user of a to one of b, timed from its sending
    to its arrival (both users logged in before), in ms.  steps: a dict
    that gets, for xmppd, the steps of the setup of the stream the
    message opened, from a's log."""
    ld = Load(pair, "-m", "messages", "-p", 1, "-W", 1, "-n", 1, "-s",
              "-t", args.timeout)
    ld.expect("ready")
    t0 = time.monotonic()
    ld.go()
    r = ld.expect("result")
    t1 = time.monotonic()
    ld.go()
    ld.finish()
    if steps is not None and pair.kind == "xmppd":
        setup_steps(pair, t0, t1, steps)
    return r["elapsed"] * 1000


# xmppd's log lines (-v) along an outbound stream's setup.
STEPS = [
    ("dns_ms", r"resolver\[\d+\]: %(b)s: \d+ candidates"),
    ("tcp_ms", r"s2s outbound \d+ to %(b)s: connected to "),
    ("tls_sasl_ms", r"s2s outbound connection \d+ to %(b)s: authenticated "
     r"by"),
]


def setup_steps(pair, t0, t1, steps):
    """From the go to xmppload (t0) to its result (t1), the time to each
    step of STEPS after the one before, as a's log shows them read."""
    a = pair.servers[0]
    names = {"b": re.escape(pair.domains[1])}
    prev = t0
    for key, pattern in STEPS:
        t = stamp_of(a, pattern % names, t0)
        if t is None:
            raise RuntimeError("no log line %r; a's log ends:\n%s"
                               % (pattern % names, a.log_tail(30)))
        steps[key] = (t - prev) * 1000
        prev = t
    steps["deliver_ms"] = (t1 - prev) * 1000


def rate(pair, args):
    """args.pairs pairs, each sender keeping args.window messages in
    flight to its receiver on the other server: messages/s, and both
    servers' CPU over the sending only."""
    ld = Load(pair, "-m", "messages", "-p", args.pairs, "-W", args.window,
              "-n", args.messages, "-c", 50, "-s", "-t", args.timeout)
    ld.expect("ready")
    pids = pair.pids()
    c0 = cpu_of(pids)
    ld.go()
    r = ld.expect("result")
    c1 = cpu_of(pids)
    ld.go()
    ld.finish()
    used = sum(c1.get(p, 0) - c0.get(p, 0) for p in c1)
    out = {"rate": r["rate"], "cpu_100k": used * 100000 / r["n"],
           "client_cpu": r["cpu"], "server_cpu": used}
    # xmppd's by process kind, both servers together.
    for role, rp in role_pids(pids).items():
        out["cpu_100k_" + role] = sum(
            c1.get(p, 0) - c0.get(p, 0) for p in rp) * 100000 / r["n"]
    return out


def one_run(kind, args):
    fed = Federation()
    pair = None
    try:
        pair = Pair(kind, fed, 2 * args.pairs)
        pair.start()
        out = {}
        # The first message finds no stream: b's SRV and A records, TCP,
        # TLS, SASL EXTERNAL, then the message; the second, the stream.
        out["first_ms"] = one_message(pair, args, out)
        out["auth"] = pair.authenticated()
        out["next_ms"] = statistics.median(
            one_message(pair, args) for _ in range(3))
        out["setup_ms"] = out["first_ms"] - out["next_ms"]
        out.update(rate(pair, args))
        return out
    finally:
        if pair is not None:
            pair.stop()
        else:
            fed.close()


# --- the table ------------------------------------------------------------

ROWS = [
    ("rate", "messages/s over s2s, %(pairs)d pairs x %(window)d in flight",
     "%.0f"),
    ("cpu_100k", "both servers' CPU s per 100k messages", "%.2f"),
    ("first_ms", "first message to a new peer (ms)", "%.1f"),
    ("next_ms", "next message, stream up (ms)", "%.1f"),
    ("setup_ms", "connection setup: DNS, TCP, TLS, SASL EXTERNAL (ms)",
     "%.1f"),
    ("client_cpu", "load client CPU s / servers' in messages", None),
]
# xmppd's setup, step by step from its log (the others do not log them).
STEP_ROWS = [
    ("dns_ms", "  xmppd: until the resolver's answer (ms)", "%.1f"),
    ("tcp_ms", "  xmppd: then until TCP connected (ms)", "%.1f"),
    ("tls_sasl_ms", "  xmppd: then TLS, stream, SASL EXTERNAL (ms)", "%.1f"),
    ("deliver_ms", "  xmppd: then until the message arrived (ms)", "%.1f"),
]


def cell(runs, key, fmt):
    if not runs:
        return "not measured"
    if any(key not in r for r in runs):
        return ""
    if fmt is None:
        return "%.2f / %.2f" % (
            statistics.median(r["client_cpu"] for r in runs),
            statistics.median(r["server_cpu"] for r in runs))
    return fmt % statistics.median(r[key] for r in runs)


def ratio(results, key, fmt, peer):
    """xmppd's median over peer's, as bench.py's table gives it."""
    if (fmt is None or not results.get("xmppd") or not results.get(peer)
            or any(key not in r for r in results["xmppd"] + results[peer])):
        return ""
    theirs = statistics.median(r[key] for r in results[peer])
    if theirs == 0:
        return ""
    return "%.2f" % (statistics.median(r[key] for r in results["xmppd"]) /
                     theirs)


def table(results, kinds, args):
    peers = [k for k in kinds if k != "xmppd"] if "xmppd" in kinds else []
    head = ["figure"] + kinds + ["xmppd/" + p for p in peers]
    lines = []
    rows = ROWS + (STEP_ROWS if "xmppd" in kinds else [])
    for key, label, fmt in rows:
        lines.append([label % vars(args)] +
                     [cell(results[k], key, fmt) for k in kinds] +
                     [ratio(results, key, fmt, p) for p in peers])
    width = [max(len(r[i]) for r in [head] + lines)
             for i in range(len(head))]

    def fmt_row(r):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, width)) + " |"
    out = [fmt_row(head),
           "|" + "|".join("-" * (w + 2) for w in width) + "|"]
    out += [fmt_row(r) for r in lines]
    roles = sorted({k[len("cpu_100k_"):] for r in results.get("xmppd", [])
                    for k in r if k.startswith("cpu_100k_")})
    if roles:
        out += ["", "    xmppd CPU s per 100k messages by process, both "
                "servers: " + ", ".join(
                    "%s %.2f" % (role, statistics.median(
                        r.get("cpu_100k_" + role, 0)
                        for r in results["xmppd"])) for role in roles)]
    out.append("")
    out.append("| runs | " + " | ".join(kinds) + " |")
    out.append("|---|" + "---|" * len(kinds))
    for key, label, fmt in rows:
        if fmt is None:
            continue
        out.append("| %s | %s |" % (key, " | ".join(
            ", ".join(fmt % r[key] for r in results[k] if key in r)
            for k in kinds)))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-q", action="store_true",
                    help="quick: 5,000 messages, one run")
    ap.add_argument("-r", type=int, default=3, help="runs per kind (3)")
    ap.add_argument("-s", default=",".join(KINDS),
                    help="kinds of server (xmppd,prosody,ejabberd)")
    ap.add_argument("--pairs", type=int, default=50)
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    if args.q:
        args.r = 1
        args.messages = 5000
    kinds = [k for k in args.s.split(",") if k]
    for k in kinds:
        if k not in KINDS:
            ap.error("no such kind: " + k)
    if os.getuid() != 0:
        sys.exit("s2s.py: run as root")
    for f in (XMPPD, XMPPCTL, bench.XMPPLOAD):
        if not os.access(f, os.X_OK):
            sys.exit("s2s.py: %s missing: make -C regress/bench" % f)
    install_peers(kinds)
    with open("/proc/loadavg") as f:
        load0 = f.read().split()[:3]
    results = {k: [] for k in kinds}
    why = {}
    t0 = time.monotonic()
    # Kinds in turn within each run, so that what else the machine does
    # falls on all of them alike.
    for i in range(args.r):
        for k in kinds:
            log("run %d/%d: %s" % (i + 1, args.r, k))
            try:
                r = one_run(k, args)
            except NotMeasured as e:
                why[k] = str(e)
                log("  %s: not measured: %s" % (k, e))
                continue
            log("  %s" % " ".join("%s=%s" % (x, ("%.2f" % v) if
                                             isinstance(v, float) else v)
                                  for x, v in sorted(r.items())))
            results[k].append(r)
    with open("/proc/loadavg") as f:
        load1 = f.read().split()[:3]
    print("Medians of %d run(s), %d messages each; load average %s before, "
          "%s after; %.0f s" % (args.r, args.messages, " ".join(load0),
                                " ".join(load1), time.monotonic() - t0))
    print()
    print(table(results, kinds, args))
    for k, w in why.items():
        print("%s: not measured: %s" % (k, w))


if __name__ == "__main__":
    main()
