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

"""Debian's Biboumi, the XMPP-IRC gateway, as an external component
(XEP-0114) of the server under test: its configuration and SQLite
database in a directory of its own, no identd, its log on its standard
output.  start() returns once Biboumi has authenticated with the XMPP
server; the database (the ad-hoc settings users made) survives stop(),
kill() and start()."""

from daemon import Daemon

BIBOUMI = "/usr/bin/biboumi"
NAME = "Biboumi XMPP-IRC gateway"


class Biboumi(Daemon):
    what = "biboumi"
    user = "_biboumi"
    ready = r"Authenticated with the XMPP server"

    def __init__(self, hostname, password, port, dir=None, admin=""):
        """hostname: the component's name; password its secret; port the
        server's component listener on 127.0.0.1."""
        super().__init__(dir)
        self.hostname = hostname
        # Without policy files of ours Biboumi would read /etc/biboumi's.
        self.write("biboumi.cfg", (
            "hostname=%s\npassword=%s\nxmpp_server_ip=127.0.0.1\nport=%d\n"
            "admin=%s\ndb_name=%s\nidentd_port=0\npolicy_directory=%s\n"
            "realname_customization=true\nrealname_from_jid=false\n"
            "log_file=\nlog_level=1\n"
            % (hostname, password, port, admin, self.path("biboumi.sqlite"),
               self.dir)))

    def argv(self):
        return [BIBOUMI, self.path("biboumi.cfg")]
