#!/usr/bin/python3
"""Messages per second between pairs of clients over TLS through xmppd,
and the CPU each process kind spends per 100k messages.

    regress/bench/msgrate.py [pairs] [messages-per-pair]

Run after `make` and `make test` (it uses the regular build).  It reports; it checks
nothing.  Comparisons with ejabberd and Prosody live beside it.
"""

import asyncio
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rawxmpp import login_async                   # noqa: E402
import xmppdtest                                  # noqa: E402
from xmppdtest import Server                      # noqa: E402

# The build as installed, not the regress one with its short timers.
TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
xmppdtest.XMPPD = os.path.join(TOP, "xmppd", "xmppd")
XMPPCTL = xmppdtest.XMPPCTL = os.path.join(TOP, "xmppctl", "xmppctl")

TICK = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def pair(port, i, n):
    sr, sw, _, _ = await login_async(port, "s%d" % i, "pw", "r")
    rr, rw, rbuf, _ = await login_async(port, "r%d" % i, "pw", "r")
    return (sw, rr, rbuf, "r%d@example.org/r" % i, n)


async def run(port, pairs, n):
    conns = await asyncio.gather(*[pair(port, i, n) for i in range(pairs)])

    async def send(sw, to, count):
        for k in range(count):
            sw.write(("<message to='%s' type='chat'><body>message %d"
                      "</body></message>" % (to, k)).encode())
            if k % 100 == 99:
                await sw.drain()
        await sw.drain()

    async def receive(rr, rbuf, count):
        got = 0
        carry = b""
        while got < count:
            data = await rr.read(65536)
            if not data:
                raise RuntimeError("closed")
            # A tag may straddle two reads: keep what could start one.
            data = carry + data
            got += data.count(b"<message")
            carry = data[-7:]
    start = time.monotonic()
    await asyncio.gather(*[send(c[0], c[3], n) for c in conns],
                         *[receive(c[1], c[2], n) for c in conns])
    return time.monotonic() - start


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    s = Server(prefork=2, body="limits {\n\tconnections per address 5000\n"
               "\tclient rate 10M\n\tauth failures 1000 per 60s\n}\n")
    try:
        s.start()
        for i in range(pairs):
            for u in ("s%d" % i, "r%d" % i):
                subprocess.run([XMPPCTL, "-s", s.sock, "user", "add",
                                "%s@example.org" % u], input="pw\n",
                               text=True, check=True, capture_output=True)
        procs = s.processes()
        before = {(p["name"], p["instance"]): cpu(p["pid"]) for p in procs}
        elapsed = asyncio.new_event_loop().run_until_complete(
            run(s.ports["client"], pairs, n))
        total = pairs * n
        kinds = {}
        for p in procs:
            key = (p["name"], p["instance"])
            kinds[p["name"]] = kinds.get(p["name"], 0) + \
                cpu(p["pid"]) - before[key]
        print("%d messages over %d TLS pairs in %.2f s: %.0f messages/s"
              % (total, pairs, elapsed, total / elapsed))
        for k in sorted(kinds):
            print("  %-8s %7.2f CPU s per 100k messages"
                  % (k, kinds[k] * 100000 / total))
    except Exception:
        print(s.log_tail(15))
        raise
    finally:
        s.stop()


if __name__ == "__main__":
    main()
