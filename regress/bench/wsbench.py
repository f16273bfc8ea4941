#!/usr/bin/env python3
"""Messages per second over XMPP over WebSocket (RFC 7395) against the
same server's plain c2s listener, in the same run: one xmppd with a
`client` and an `http tls` listener, the messages scenario of bench.py
run by xmppload on each in turn (-H /xmpp-websocket for WebSocket:
direct TLS, the HTTP upgrade, one masked text frame per stanza), r runs
alternating, medians.  See docs/BENCHMARKS.md, "WebSocket".
"""

import argparse
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import Load, settle, timed                   # noqa: E402
from servers import Xmppd, free_port, make_cert, raise_nofile  # noqa: E402


class WsXmppd(Xmppd):
    """xmppd with a WebSocket listener beside its client one."""

    def write_conf(self, archive):
        super().write_conf(archive)
        with open(self.conf, "a") as f:
            f.write("listen on 127.0.0.1 port %d http tls\n" % self.ws_port)


class Port:
    def __init__(self, port):
        self.port = port


def messages(srv, port, args, ws):
    settle(srv)
    extra = ["-H", "/xmpp-websocket"] if ws else []
    ld = Load(Port(port), "-m", "messages", "-p", args.pairs,
              "-n", args.messages, "-W", args.window, "-s",
              "-t", args.timeout, *extra)
    return timed(srv, ld, "cpu_100k_")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-r", "--runs", type=int, default=3)
    ap.add_argument("-p", "--pairs", type=int, default=100)
    ap.add_argument("-n", "--messages", type=int, default=200000)
    ap.add_argument("-W", "--window", type=int, default=10)
    ap.add_argument("-t", "--timeout", type=int, default=600)
    args = ap.parse_args()
    raise_nofile()
    top = tempfile.mkdtemp(prefix="wsbench.")
    os.chmod(top, 0o755)
    srv = WsXmppd(top, make_cert(top))
    srv.ws_port = free_port()
    srv.prepare(2 * args.pairs)
    res = {"c2s": [], "websocket": []}
    try:
        for run in range(args.runs):
            srv.start()
            try:
                for kind, port, ws in (("c2s", srv.port, False),
                                       ("websocket", srv.ws_port, True)):
                    r = messages(srv, port, args, ws)
                    res[kind].append(r)
                    print("run %d %s: %.0f messages/s, server %.2f CPU s "
                          "per 100k, client %.2f CPU s" % (
                              run + 1, kind, r["rate"], r["cpu_100k"],
                              r["client_cpu"]), flush=True)
            finally:
                srv.stop()
    finally:
        srv.stop()
    med = {k: statistics.median(x["rate"] for x in v) for k, v in res.items()}
    cpu = {k: statistics.median(x["cpu_100k"] for x in v)
           for k, v in res.items()}
    for k in ("c2s", "websocket"):
        print("%-10s %8.0f messages/s  %5.2f server CPU s per 100k" % (
            k, med[k], cpu[k]))
    print("websocket / c2s: %.0f%% (target 80%%)"
          % (100.0 * med["websocket"] / med["c2s"]))


if __name__ == "__main__":
    main()
