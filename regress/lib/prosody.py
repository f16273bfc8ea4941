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

"""Debian's Prosody with an external component (XEP-0114), to check the
component tests themselves against a server that already has them:

    REGRESS_SERVER=prosody python3 run.py test_biboumi

It serves one domain with client STARTTLS on a free loopback port and
one component port; accounts are made with prosodyctl."""

import os
import shutil
import subprocess

from daemon import Daemon
from xmppdtest import TIMEOUT, certs, free_port

CONF = """\
pidfile = "%(dir)s/prosody.pid"
certificates = "%(dir)s"
data_path = "%(dir)s/data"
log = { { levels = { min = "info" }, to = "console" } }
interfaces = { "127.0.0.1" }
c2s_ports = { %(client)d }
c2s_direct_tls_ports = { }
s2s_ports = { }
http_ports = { }
https_ports = { }
component_ports = { %(component)d }
component_interface = "127.0.0.1"
modules_enabled = {
	"roster"; "saslauth"; "tls"; "disco"; "ping";
}
modules_disabled = { "s2s"; "posix" }
allow_registration = false
c2s_require_encryption = true
authentication = "internal_hashed"
storage = "internal"
VirtualHost "%(domain)s"
	ssl = { certificate = "%(crt)s"; key = "%(key)s"; }
Component "%(name)s"
	component_secret = "%(secret)s"
"""


class Prosody(Daemon):
    what = "prosody"
    user = "prosody"

    def __init__(self, domain, component, secret, dir=None):
        super().__init__(dir)
        self.domain = domain
        self.ports = {"client": free_port(), "component": free_port()}
        self.ready = (r"Activated service 'component' on "
                      r"\[127\.0\.0\.1\]:%d" % self.ports["component"])
        crt, key = certs(domain)
        shutil.copy(crt, self.path("server.crt"))
        shutil.copy(key, self.path("server.key"))
        os.makedirs(self.path("data"), exist_ok=True)
        self.write("prosody.cfg.lua", CONF % {
            "dir": self.dir, "client": self.ports["client"],
            "component": self.ports["component"], "domain": domain,
            "crt": self.path("server.crt"), "key": self.path("server.key"),
            "name": component, "secret": secret})

    def argv(self):
        return ["prosody", "-F", "--config", self.path("prosody.cfg.lua")]

    def env(self):
        return dict(os.environ, HOME=self.dir)

    def add_user(self, jid, password):
        user, _, host = jid.partition("@")
        self.chown()
        p = subprocess.run(
            ["prosodyctl", "--config", self.path("prosody.cfg.lua"),
             "register", user, host, password], capture_output=True,
            text=True, env=self.env(), timeout=TIMEOUT, preexec_fn=self.drop)
        if p.returncode != 0:
            raise AssertionError("prosodyctl register %s: %s%s" %
                                 (jid, p.stdout, p.stderr))
