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

"""Debian's ejabberd as a service to migrate from: one domain with
client STARTTLS on a free loopback port, accounts with SCRAM keys in
Mnesia, offline messages, vCards, private XML, message archives (mod_mam,
every message kept) and a MUC service with persistent rooms.

It runs in the foreground as the ejabberd user, in a directory of its
own (its configuration, its Mnesia spool, its logs) under an Erlang node
name of its own, so that it neither meets the system's ejabberd nor
another test's.  Commands (ejabberdctl) reach that node only.  It is
stopped by its PID; the epmd it may have started is left to the system,
as every Erlang node on the machine shares it."""

import os
import shutil
import signal
import subprocess

from daemon import Daemon
from xmppdtest import TIMEOUT, certs, free_port

CONF = """\
hosts:
  - "%(domain)s"
loglevel: info
log_rotate_count: 0
certfiles:
  - "%(pem)s"
listen:
  -
    port: %(client)d
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: true
auth_method: internal
auth_password_format: scram
auth_scram_hash: sha
default_db: mnesia
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  register:
    deny: all
api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
modules:
  mod_disco: {}
  mod_muc_admin: {}
  mod_caps: {}
  mod_ping: {}
  mod_private: {}
  mod_roster: {}
  mod_vcard: {}
  mod_offline:
    access_max_user_messages: max_offline
  mod_mam:
    default: always
  mod_pubsub:
    plugins:
      - "flat"
      - "pep"
  mod_muc:
    host: "%(muc)s"
    access: all
    access_create: all
    access_persistent: all
shaper_rules:
  max_offline: 1000
"""

# ejabberdctl's own settings: the PID file where the test finds it, no
# prompt before commands.
CTL = """\
EJABBERD_PID_PATH=%(dir)s/ejabberd.pid
EJABBERD_BYPASS_WARNINGS=true
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
"""


class Ejabberd(Daemon):
    what = "ejabberd"
    user = "ejabberd"

    def __init__(self, domain, dir=None):
        super().__init__(dir)
        self.domain = domain
        self.muc = "conference." + domain
        self.ports = {"client": free_port()}
        # One node per instance: two tests never talk to each other's.
        self.node = "xmppdregress%d_%d@localhost" % (os.getpid(),
                                                    self.ports["client"])
        self.ready = (r"Start accepting TCP connections at "
                      r"127\.0\.0\.1:%d for ejabberd_c2s" % self.ports["client"])
        shutil.copy(certs(domain)[0].replace(".crt", ".pem"),
                    self.path("server.pem"))
        for d in ("spool", "logs"):
            os.makedirs(self.path(d), exist_ok=True)
        self.write("ejabberd.yml", CONF % {
            "domain": domain, "muc": self.muc, "client":
            self.ports["client"], "pem": self.path("server.pem")})
        self.write("ejabberdctl.cfg", CTL % {"dir": self.dir})

    def base(self):
        return ["ejabberdctl", "--config", self.path("ejabberd.yml"),
                "--ctl-config", self.path("ejabberdctl.cfg"),
                "--logs", self.path("logs"), "--spool", self.path("spool"),
                "--node", self.node]

    def argv(self):
        return self.base() + ["foreground"]

    def env(self):
        # The Erlang cookie lives in the ejabberd user's home.
        pw = self.account()
        home = pw.pw_dir if pw is not None else self.dir
        return dict(os.environ, HOME=home)

    def ctl(self, *args, check=True, timeout=TIMEOUT):
        """An ejabberdctl command to this node, as the ejabberd user."""
        self.chown()
        p = subprocess.run(self.base() + list(args), capture_output=True,
                           text=True, env=self.env(), cwd=self.dir,
                           timeout=timeout, preexec_fn=self.drop)
        if check and p.returncode != 0:
            raise AssertionError("ejabberdctl %s: %s%s" %
                                 (" ".join(args), p.stdout, p.stderr))
        return p

    def add_user(self, jid, password):
        user, _, host = jid.partition("@")
        self.ctl("register", user, host, password)

    def beam(self):
        """The PID of the Erlang VM, ejabberdctl's child: the script
        itself does not pass signals on."""
        try:
            with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
                kids = [int(p) for p in f.read().split()]
        except OSError:
            return None
        return kids[0] if kids else None

    def kill(self, sig=signal.SIGKILL):
        """Signal the VM by its PID (SIGTERM: it shuts down cleanly,
        Mnesia closed) and wait for the script to end."""
        if self.proc is None:
            return
        beam = self.beam()
        if beam is not None:
            try:
                os.kill(beam, sig)
            except ProcessLookupError:
                pass
        super().kill(sig)
