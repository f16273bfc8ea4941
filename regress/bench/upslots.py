#!/usr/bin/python3
"""Asks an XEP-0363 upload service for upload slots over XMPP, as a
client does, 8 at a time, and prints one "PUT-URL GET-URL" line per
slot, followed by a tab and "Name: value" for each header the PUT must
carry (tab-separated): what httpload -m put reads.

    upslots.py [-v] [-h host] -P port -j user@domain -w password
               -s service -n count -l size [-p prefix] [-T type]
               [-t seconds]

The files are named PREFIX0000.bin, PREFIX0001.bin...  Exits non-zero,
saying why and the last step reached, when the service refuses a slot,
the stream ends or anything fails first, or the whole run (connection,
login, every slot) takes more than -t seconds (60).  -v: each step on
stderr, timestamped (UTC), to tell where a run waited.
"""

import argparse
import asyncio
import logging
import ssl
import sys
import time

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

NS = "urn:xmpp:http:upload:0"
# The headers a client may send with the PUT (XEP-0363 5.); it drops any
# other.
PUT_HEADERS = ("authorization", "cookie", "expires")
# Requests waiting at once: the server refuses a sender's past 16.
IN_FLIGHT = 8
VERBOSE = False
last_step = "started"


def step(what):
    """One step of the run: remembered, and with -v on stderr,
    timestamped."""
    global last_step
    last_step = what
    if VERBOSE:
        t = time.time()
        print("upslots %s.%03d %s" % (
            time.strftime("%H:%M:%S", time.gmtime(t)),
            int(t * 1000) % 1000, what), file=sys.stderr, flush=True)


class Slots(slixmpp.ClientXMPP):
    def __init__(self, args):
        slixmpp.ClientXMPP.__init__(self, args.jid, args.password)
        self.args = args
        self.urls = []
        self.why = None
        self.finished = self.loop.create_future()
        self.in_flight = asyncio.Semaphore(IN_FLIGHT)
        self.register_plugin("xep_0363")
        # A benchmark on loopback against a self-signed certificate.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("connected", lambda _: step("connected"))
        self.add_event_handler("tls_success", lambda _: step("TLS up"))
        self.add_event_handler("auth_success", lambda _: step(
            "authenticated"))
        self.add_event_handler("session_bind", lambda _: step("bound"))
        self.add_event_handler("failed_all_auth", lambda _: self.fail(
            "authentication failed"))
        self.add_event_handler("connection_failed", lambda _: self.fail(
            "cannot connect"))
        # A stream that ends before the slots came ends the run: nothing
        # would answer them.
        self.add_event_handler("disconnected", lambda _: self.fail(
            "disconnected"))

    def exception(self, e):
        """What a handler of the library raised (a refused resource
        binding, say): the run cannot go on."""
        self.fail("%s: %s" % (type(e).__name__, e))

    def fail(self, why):
        if self.finished.done():
            return
        self.why = "%s, after %s" % (why, last_step)
        step(why)
        self.cancel_connection_attempt()
        self.abort()
        self.end()

    def end(self):
        if not self.finished.done():
            self.finished.set_result(True)

    async def one(self, i):
        a = self.args
        async with self.in_flight:
            step("slot %d asked" % i)
            iq = await self["xep_0363"].request_slot(
                slixmpp.JID(a.service), "%s%04d.bin" % (a.prefix, i),
                a.size, a.type, timeout=a.timeout)
        slot = iq["http_upload_slot"]
        put, get = slot.xml.find("{%s}put" % NS), slot.xml.find(
            "{%s}get" % NS)
        if put is None or get is None:
            raise ValueError("a slot without put or get")
        hdrs = []
        for h in put.findall("{%s}header" % NS):
            name, value = h.get("name", ""), (h.text or "").strip()
            if name.lower() not in PUT_HEADERS:
                continue
            if any(c in name + value for c in "\r\n\t"):
                raise ValueError("a header of several lines")
            hdrs.append("%s: %s" % (name, value))
        step("slot %d granted" % i)
        return put.get("url"), get.get("url"), hdrs

    async def start(self, _):
        step("session started")
        why = None
        try:
            self.urls = await asyncio.gather(
                *[self.one(i) for i in range(self.args.count)])
        except IqError as e:
            why = "slot refused: %s" % e.iq["error"]["condition"]
        except IqTimeout:
            why = "no answer to a slot request"
        except Exception as e:
            why = "%s: %s" % (type(e).__name__, e)
        if why is not None:
            self.fail(why)
            return
        step("every slot granted")
        self.end()
        self.disconnect()


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 add_help=False)
    ap.add_argument("-h", dest="host", default="127.0.0.1")
    ap.add_argument("-P", dest="port", type=int, default=5222)
    ap.add_argument("-j", dest="jid", required=True)
    ap.add_argument("-w", dest="password", required=True)
    ap.add_argument("-s", dest="service", required=True)
    ap.add_argument("-n", dest="count", type=int, required=True)
    ap.add_argument("-l", dest="size", type=int, required=True)
    ap.add_argument("-p", dest="prefix", default="up")
    ap.add_argument("-T", dest="type", default="application/octet-stream")
    ap.add_argument("-t", dest="timeout", type=float, default=60)
    ap.add_argument("-v", dest="verbose", action="store_true")
    args = ap.parse_args()
    VERBOSE = args.verbose
    logging.basicConfig(level=logging.ERROR)
    # What asyncio says of the tasks left when it ends.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    x = Slots(args)
    step("connecting")
    x.connect((args.host, args.port))
    try:
        x.loop.run_until_complete(asyncio.wait_for(x.finished,
                                                   args.timeout))
    except asyncio.TimeoutError:
        x.why = "no answer in %g s, after %s" % (args.timeout, last_step)
        step("timed out")
    if x.why is not None or len(x.urls) != args.count:
        sys.exit("upslots: %s" % (x.why or "disconnected"))
    for put, get, hdrs in x.urls:
        print("\t".join(["%s %s" % (put, get)] + hdrs))


if __name__ == "__main__":
    main()
