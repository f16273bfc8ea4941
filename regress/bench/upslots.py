#!/usr/bin/python3
"""Asks an XEP-0363 upload service for upload slots over XMPP, as a
client does, all at once, and prints one "PUT-URL GET-URL" line per
slot, followed by a tab and "Name: value" for each header the PUT must
carry (tab-separated): what httpload -m put reads.

    upslots.py [-h host] -P port -j user@domain -w password -s service
               -n count -l size [-p prefix] [-T type]

The files are named PREFIX0000.bin, PREFIX0001.bin...  Exits non-zero,
saying why, when the service refuses a slot.
"""

import argparse
import asyncio
import logging
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

NS = "urn:xmpp:http:upload:0"
# The headers a client may send with the PUT (XEP-0363 5.); it drops any
# other.
PUT_HEADERS = ("authorization", "cookie", "expires")


class Slots(slixmpp.ClientXMPP):
    def __init__(self, args):
        slixmpp.ClientXMPP.__init__(self, args.jid, args.password)
        self.args = args
        self.urls = []
        self.why = None
        self.finished = self.loop.create_future()
        self.register_plugin("xep_0363")
        # A benchmark on loopback against a self-signed certificate.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("failed_all_auth", lambda _: self.fail(
            "authentication failed"))
        self.add_event_handler("connection_failed", lambda _: self.fail(
            "cannot connect"))

    def fail(self, why):
        self.why = why
        self.cancel_connection_attempt()
        self.abort()
        self.end()

    def end(self):
        if not self.finished.done():
            self.finished.set_result(True)

    async def one(self, i):
        a = self.args
        iq = await self["xep_0363"].request_slot(
            slixmpp.JID(a.service), "%s%04d.bin" % (a.prefix, i), a.size,
            a.type, timeout=60)
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
        return put.get("url"), get.get("url"), hdrs

    async def start(self, _):
        try:
            self.urls = await asyncio.gather(
                *[self.one(i) for i in range(self.args.count)])
        except IqError as e:
            self.why = "slot refused: %s" % e.iq["error"]["condition"]
        except IqTimeout:
            self.why = "no answer to a slot request"
        except ValueError as e:
            self.why = str(e)
        self.disconnect()
        self.end()


def main():
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
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    # What asyncio says of the tasks left when it ends.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    x = Slots(args)
    x.connect((args.host, args.port))
    try:
        x.loop.run_until_complete(asyncio.wait_for(x.finished, 300))
    except asyncio.TimeoutError:
        x.why = "no answer in 300 s"
    if x.why is not None or len(x.urls) != args.count:
        sys.exit("upslots: %s" % (x.why or "disconnected"))
    for put, get, hdrs in x.urls:
        print("\t".join(["%s %s" % (put, get)] + hdrs))


if __name__ == "__main__":
    main()
