#!/usr/bin/python3
#
# Copyright (c) 2026 The xmppd developers
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

"""Debian's unbound as the DNS server of end-to-end tests: it serves the
zones a test gives it as local-data on a loopback port, UDP and TCP,
in the foreground, as the unbound user (nobody when there is none), and
is stopped by its PID.  Names under a zone that the test did not give
are NXDOMAIN; nothing is ever asked of the network.

    dns = Unbound()
    dns.srv("_xmpp-server._tcp.a.test", 0, 5, 5269, "xmpp.a.test")
    dns.a("xmpp.a.test", "127.0.0.1")
    dns.start()
    # xmppd.conf: resolver "127.0.0.1@%d" % dns.port
    dns.close()
"""

import os

from daemon import Daemon
from xmppdtest import free_port

UNBOUND = "/usr/sbin/unbound"


class Unbound(Daemon):
    what = "unbound"
    user = "unbound"
    ready = r"start of service"

    def __init__(self, zones=("test",), dir=None):
        """zones: the names served, each static (RFC 6761's .test is
        refused by unbound unless it is told otherwise)."""
        super().__init__(dir)
        self.port = free_port()
        self.zones = list(zones)
        self.data = []

    def record(self, name, rrtype, rdata, ttl=60):
        self.data.append('%s. %d IN %s %s' % (name.rstrip("."), ttl,
                                              rrtype, rdata))
        return self

    def srv(self, name, priority, weight, port, target):
        return self.record(name, "SRV", "%d %d %d %s" % (
            priority, weight, port,
            target if target == "." else target.rstrip(".") + "."))

    def a(self, name, addr):
        return self.record(name, "A", addr)

    def aaaa(self, name, addr):
        return self.record(name, "AAAA", addr)

    def cname(self, name, target):
        return self.record(name, "CNAME", target.rstrip(".") + ".")

    def conf(self):
        lines = [
            "server:",
            "\tinterface: 127.0.0.1@%d" % self.port,
            "\tport: %d" % self.port,
            "\tdo-daemonize: no",
            "\tusername: \"\"",
            "\tchroot: \"\"",
            "\tdirectory: \"%s\"" % self.dir,
            "\tpidfile: \"\"",
            "\tuse-syslog: no",
            "\tlogfile: \"\"",
            "\tverbosity: 1",
            "\tnum-threads: 1",
            "\tso-reuseport: no",
            "\tdo-ip6: no",
            "\tmodule-config: \"iterator\"",
            "\taccess-control: 127.0.0.0/8 allow",
            "\tauto-trust-anchor-file: \"\"",
        ]
        for z in self.zones:
            lines.append("\tlocal-zone: \"%s.\" static" % z.rstrip("."))
        for d in self.data:
            lines.append("\tlocal-data: \"%s\"" % d)
        lines += ["remote-control:", "\tcontrol-enable: no", ""]
        return "\n".join(lines)

    def argv(self):
        self.write("unbound.conf", self.conf(), 0o644)
        return [UNBOUND, "-d", "-c", self.path("unbound.conf")]

    @property
    def resolver(self):
        """The address as xmppd.conf's resolver keyword writes it."""
        return "127.0.0.1@%d" % self.port
