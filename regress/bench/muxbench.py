#!/usr/bin/env python3
"""Connection setup time through a 443 multiplexer: xmppd's own
(`listen ... tls multiplex`, which peeks and serves the connection in
the same process) against Debian's sslh (sslh-select, which probes the
first bytes and then copies every byte both ways) in front of ejabberd,
side by side, each beside the same server's client port reached
directly.  A setup is xmppload's logins scenario: TCP, STARTTLS, TLS 1.3,
SCRAM-SHA-1, bind, presence and a ping's answer; c connectors at a time.
See docs/BENCHMARKS.md, "The 443 multiplexer".
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import Load, cpu_of, settle                  # noqa: E402
from servers import (Ejabberd, Xmppd, descendants, free_port,  # noqa: E402
                     install_peers, make_cert, raise_nofile, wait_port)
from wsbench import Port                                 # noqa: E402

SSLH = "/usr/sbin/sslh-select"


class MuxXmppd(Xmppd):
    """xmppd with a multiplexed listener beside its client one."""

    def write_conf(self, archive):
        super().write_conf(archive)
        with open(self.conf, "a") as f:
            f.write("listen on 127.0.0.1 port %d tls multiplex\n"
                    % self.mux_port)


class SslhEjabberd(Ejabberd):
    """ejabberd, with sslh-select in front of its client port."""

    def start(self):
        super().start()
        self.sslh = subprocess.Popen(
            [SSLH, "-f", "-n", "-p", "127.0.0.1:%d" % self.mux_port,
             "--xmpp", "127.0.0.1:%d" % self.port],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.dir, "sslh.log"), "a"),
            preexec_fn=raise_nofile)
        wait_port(self.mux_port, self.sslh)

    def pids(self):
        # sslh's CPU counts with the server's: it is the price of the port.
        return super().pids() + [self.sslh.pid] + descendants(self.sslh.pid)

    def stop(self):
        if getattr(self, "sslh", None) is not None:
            self.sslh.terminate()
            self.sslh.wait(30)
            self.sslh = None
        super().stop()


def logins(srv, port, args):
    settle(srv)
    pids = srv.pids()
    c0 = cpu_of(pids)
    ld = Load(Port(port), "-m", "logins", "-n", args.logins,
              "-c", args.connectors, "-u", max(args.connectors * 2, 200),
              "-t", args.timeout, "-E", args.logins)
    r = ld.expect("result")
    c1 = cpu_of(pids)
    ld.finish()
    cpu = sum(c1.get(p, 0) - c0.get(p, 0) for p in c1)
    return {"rate": r["rate"], "lat": r["lat_ms_med"],
            "failed": 100.0 * r["failed"] / (r["n"] + r["failed"]),
            "p90": r["lat_ms_p90"], "cpu_ms": cpu * 1000.0 / r["n"]}


def bench_server(srv, args):
    srv.mux_port = free_port()
    srv.prepare(max(args.connectors * 2, 200))
    res = {"direct": [], "multiplexed": []}
    try:
        for run in range(args.runs):
            srv.start()
            try:
                for kind, port in (("direct", srv.port),
                                   ("multiplexed", srv.mux_port)):
                    r = logins(srv, port, args)
                    res[kind].append(r)
                    print("%s run %d %s: %.0f logins/s, median %.1f ms, "
                          "p90 %.1f ms, %.2f CPU ms per login, %.1f%% "
                          "failed" % (
                              srv.name, run + 1, kind, r["rate"], r["lat"],
                              r["p90"], r["cpu_ms"], r["failed"]),
                          flush=True)
            finally:
                srv.stop()
    finally:
        srv.stop()
    return {k: {f: statistics.median(x[f] for x in v) for f in v[0]}
            for k, v in res.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-r", "--runs", type=int, default=3)
    ap.add_argument("-n", "--logins", type=int, default=3000)
    ap.add_argument("-c", "--connectors", type=int, default=100)
    ap.add_argument("-t", "--timeout", type=int, default=600)
    ap.add_argument("-s", "--servers", default="xmppd,ejabberd")
    args = ap.parse_args()
    raise_nofile()
    names = args.servers.split(",")
    install_peers([n for n in names if n != "xmppd"])
    if "ejabberd" in names and not os.path.exists(SSLH):
        subprocess.run(["apt-get", "install", "-y", "-q", "sslh"],
                       check=True, env=dict(os.environ,
                       DEBIAN_FRONTEND="noninteractive"))
    top = tempfile.mkdtemp(prefix="muxbench.")
    os.chmod(top, 0o755)
    cert = make_cert(top)
    kinds = {"xmppd": MuxXmppd, "ejabberd": SslhEjabberd}
    table = {n: bench_server(kinds[n](top, cert), args) for n in names}
    print("%-20s %10s %10s %9s %12s %8s" % (
        "path", "logins/s", "median ms", "p90 ms", "CPU ms/login", "failed"))
    for name, med in table.items():
        for kind, label in (("direct", "direct"),
                            ("multiplexed", "multiplex" if name == "xmppd"
                             else "sslh")):
            m = med[kind]
            print("%-20s %10.0f %10.1f %9.1f %12.2f %7.1f%%" % (
                "%s %s" % (name, label), m["rate"], m["lat"], m["p90"],
                m["cpu_ms"], m["failed"]))
    shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
