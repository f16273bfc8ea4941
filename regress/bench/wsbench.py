#!/usr/bin/env python3
"""Messages per second over XMPP over WebSocket (RFC 7395) against the
same server's plain c2s listener, in the same run, on xmppd, ejabberd
(ejabberd_http with ejabberd_http_ws) and Prosody (mod_websocket): each
server with its STARTTLS client listener and a WebSocket one over TLS
at /xmpp-websocket, the messages scenario of bench.py run by xmppload
on each in turn (-H /xmpp-websocket for WebSocket: direct TLS, the HTTP
upgrade, one masked text frame per stanza), r runs, medians.  See
docs/BENCHMARKS.md, "WebSocket".
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import Load, perf_profiler, settle, timed    # noqa: E402
from servers import (Ejabberd, Prosody, Xmppd, free_port,   # noqa: E402
                     install_peers, make_cert, raise_nofile)


class WsXmppd(Xmppd):
    """xmppd with a WebSocket listener beside its client one."""

    def write_conf(self, archive):
        super().write_conf(archive)
        with open(self.conf, "a") as f:
            f.write("listen on 127.0.0.1 port %d http tls\n" % self.ws_port)


class WsEjabberd(Ejabberd):
    """ejabberd with ejabberd_http serving ejabberd_http_ws over TLS."""

    def yml(self, pem):
        return super().yml(pem).replace(
            "auth_method: internal\n",
            "  -\n"
            "    port: %d\n"
            "    ip: \"127.0.0.1\"\n"
            "    backlog: 511\n"
            "    module: ejabberd_http\n"
            "    tls: true\n"
            "    request_handlers:\n"
            "      \"/xmpp-websocket\": ejabberd_http_ws\n"
            "auth_method: internal\n" % self.ws_port, 1)


class WsProsody(Prosody):
    """Prosody with mod_websocket on an https port."""

    def prepare(self, nusers):
        super().prepare(nusers)
        with open(self.conf) as f:
            text = f.read()
        text = text.replace(
            "https_ports = { }\n",
            "https_ports = { %d }\nhttps_interfaces = { \"127.0.0.1\" }\n"
            "https_ssl = { certificate = \"%s/bench.crt\"; "
            "key = \"%s/bench.key\"; }\n"
            % (self.ws_port, self.dir, self.dir), 1)
        text = text.replace('"offline";', '"offline"; "websocket";', 1)
        with open(self.conf, "w") as f:
            f.write(text)


SERVERS = {"xmppd": WsXmppd, "ejabberd": WsEjabberd, "prosody": WsProsody}


class Port:
    """What bench.Load needs of a server: the port to load."""

    def __init__(self, port):
        self.port = port


def messages(srv, port, args, kind, profile):
    settle(srv)
    extra = ["-H", "/xmpp-websocket"] if kind == "websocket" else []
    ld = Load(Port(port), "-m", "messages", "-p", args.pairs,
              "-n", args.messages, "-W", args.window, "-s",
              "-t", args.timeout, *extra)
    return timed(srv, ld, "cpu_100k_", (lambda: profile(srv, kind))
                 if profile else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-r", "--runs", type=int, default=3)
    ap.add_argument("-p", "--pairs", type=int, default=100)
    ap.add_argument("-n", "--messages", type=int, default=200000)
    ap.add_argument("-W", "--window", type=int, default=10)
    ap.add_argument("-t", "--timeout", type=int, default=600)
    ap.add_argument("-s", "--servers", default="xmppd,ejabberd,prosody")
    ap.add_argument("--profile", metavar="DIR",
                    help="perf record xmppd's router, store and a stream "
                    "during each phase of the last run; reports in DIR")
    args = ap.parse_args()
    raise_nofile()
    names = args.servers.split(",")
    install_peers([n for n in names if n != "xmppd"])
    top = tempfile.mkdtemp(prefix="wsbench.")
    os.chmod(top, 0o755)
    cert = make_cert(top)
    table = {}
    for name in names:
        table[name] = bench_server(SERVERS[name](top, cert), args)
    print("%-9s %12s %12s %7s %9s %9s" % ("server", "c2s msg/s", "ws msg/s",
                                          "ws/c2s", "c2s CPU", "ws CPU"))
    for name, (med, cpu) in table.items():
        print("%-9s %12.0f %12.0f %6.0f%% %9.2f %9.2f" % (
            name, med["c2s"], med["websocket"],
            100.0 * med["websocket"] / med["c2s"], cpu["c2s"],
            cpu["websocket"]))
    print("(CPU: the server's CPU seconds per 100k messages)")
    shutil.rmtree(top, ignore_errors=True)


def bench_server(srv, args):
    """Both listeners of one server, r runs: medians of rate and CPU
    (--profile: perf on xmppd's processes in the last run)."""
    srv.ws_port = free_port()
    srv.prepare(2 * args.pairs)
    res = {"c2s": [], "websocket": []}
    try:
        for run in range(args.runs):
            srv.start()
            try:
                prof = perf_profiler(args.profile) if (
                    args.profile and run == args.runs - 1) else None
                for kind, port in (("c2s", srv.port),
                                   ("websocket", srv.ws_port)):
                    r = messages(srv, port, args, kind, prof)
                    res[kind].append(r)
                    roles = "".join(", %s %.2f" % (k[len("cpu_100k_"):], v)
                                    for k, v in sorted(r.items())
                                    if k in ("cpu_100k_stream",
                                             "cpu_100k_router"))
                    print("%s run %d %s: %.0f messages/s, server %.2f CPU s "
                          "per 100k%s, client %.2f CPU s" % (
                              srv.name, run + 1, kind, r["rate"], r["cpu_100k"],
                              roles, r["client_cpu"]), flush=True)
            finally:
                srv.stop()
    finally:
        srv.stop()
    med = {k: statistics.median(x["rate"] for x in v) for k, v in res.items()}
    cpu = {k: statistics.median(x["cpu_100k"] for x in v)
           for k, v in res.items()}
    return med, cpu


if __name__ == "__main__":
    main()
