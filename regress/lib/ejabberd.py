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
as every Erlang node on the machine shares it.

With resolver (a DNS server's port), ca and cert it federates: s2s
listeners for STARTTLS and direct TLS (XEP-0368), peers' certificates
checked against the test CA, SASL EXTERNAL both ways, and dialback
(XEP-0220) only when asked for.  Its DNS questions go to that server
only: SRV records through Erlang's resolver (ERL_INETRC), but the
addresses of the SRV targets through the C library's getaddrinfo(3),
which knows nothing of the test's server; so the VM runs in a mount
namespace of its own where /etc/hosts is a copy with the test's names
added (set_hosts()), and nobody else's view of the machine changes."""

import ctypes
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
%(s2s_listen)sauth_method: internal
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
%(s2s_modules)sshaper_rules:
  max_offline: 1000
%(s2s)s"""

S2S_LISTEN = """\
  -
    port: %(s2s)d
    ip: "127.0.0.1"
    module: ejabberd_s2s_in
  -
    port: %(s2s_tls)d
    ip: "127.0.0.1"
    module: ejabberd_s2s_in
    tls: true
"""

# STARTTLS always; IPv4 only, as every peer of the tests listens there.
S2S = """\
s2s_use_starttls: required
ca_file: "%(ca)s"
outgoing_s2s_families:
  - ipv4
outgoing_s2s_timeout: %(timeout)d
s2s_dns_timeout: 5
s2s_dns_retries: 1
"""

# Erlang's resolver: the test's DNS server alone, never the system's
# (resolv_conf first: the system's servers would be asked before it).
INETRC = """\
{resolv_conf, ""}.
{nameserver, {127,0,0,1}, %(port)d}.
{lookup, [file, dns]}.
"""

CLONE_NEWNS = 0x00020000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000


def private_hosts(path):
    """From here on, this process and its children see path as
    /etc/hosts, in a mount namespace of their own."""
    libc = ctypes.CDLL(None, use_errno=True)
    if (libc.unshare(CLONE_NEWNS) != 0 or
            libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0 or
            libc.mount(path.encode(), b"/etc/hosts", None, MS_BIND,
                       None) != 0):
        e = ctypes.get_errno()
        raise OSError(e, "private /etc/hosts: %s" % os.strerror(e))

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

    def __init__(self, domain, dir=None, resolver=None, ca=None, cert=None,
                 dialback=False, timeout=10):
        """resolver (the port of the test's DNS server on 127.0.0.1), ca
        (a CA file) and cert (a PEM file with key and chain for domain)
        make it federate; dialback adds XEP-0220 (mod_s2s_dialback) to
        SASL EXTERNAL; timeout bounds an outgoing connection, seconds."""
        super().__init__(dir)
        self.domain = domain
        self.muc = "conference." + domain
        self.ports = {"client": free_port()}
        self.federating = resolver is not None
        # One node per instance: two tests never talk to each other's.
        self.node = "xmppdregress%d_%d@localhost" % (os.getpid(),
                                                    self.ports["client"])
        self.ready = (r"Start accepting TCP connections at "
                      r"127\.0\.0\.1:%d for ejabberd_c2s" % self.ports["client"])
        self.also_ready = []
        sub = {"s2s_listen": "", "s2s_modules": "", "s2s": ""}
        if self.federating:
            self.ports["s2s"] = free_port()
            self.ports["s2s_tls"] = free_port()
            self.also_ready = [r"Start accepting \w+ connections at "
                               r"127\.0\.0\.1:%d for ejabberd_s2s_in" %
                               self.ports[k] for k in ("s2s", "s2s_tls")]
            shutil.copy(cert, self.path("server.pem"))
            shutil.copy(ca, self.path("ca.crt"))
            self.write("inetrc", INETRC % {"port": resolver}, 0o644)
            self.set_hosts({})
            # Its version for remote users too (XEP-0092).
            sub = {"s2s_listen": S2S_LISTEN % self.ports,
                   "s2s_modules": "  mod_version: {}\n" +
                   ("  mod_s2s_dialback: {}\n" if dialback else ""),
                   "s2s": S2S % {"ca": self.path("ca.crt"),
                                 "timeout": timeout}}
        else:
            shutil.copy(certs(domain)[0].replace(".crt", ".pem"),
                        self.path("server.pem"))
        for d in ("spool", "logs"):
            os.makedirs(self.path(d), exist_ok=True)
        self.write("ejabberd.yml", CONF % dict(sub, **{
            "domain": domain, "muc": self.muc, "client":
            self.ports["client"], "pem": self.path("server.pem")}))
        self.write("ejabberdctl.cfg", CTL % {"dir": self.dir})

    def set_hosts(self, names):
        """The VM's /etc/hosts: the machine's, and names (name: address)
        after it.  Rewritten in place, a running VM sees it at once."""
        with open("/etc/hosts") as f:
            text = f.read()
        if text and not text.endswith("\n"):
            text += "\n"
        text += "".join("%s %s\n" % (a, n) for n, a in sorted(names.items()))
        self.write("hosts", text, 0o644)

    def start(self):
        super().start()
        try:
            for r in self.also_ready:
                self.wait_log(r)
        except AssertionError as e:
            self.stop()
            raise AssertionError("%s; its log ends:\n%s" %
                                 (e, self.log_tail(30)))
        return self

    def drop(self):
        if self.federating:
            private_hosts(self.path("hosts"))
        super().drop()

    def base(self):
        # ejabberdctl sets ERL_INETRC to its configuration directory's
        # inetrc: federating, that directory is this one.
        here = ["--config-dir", self.dir] if self.federating else []
        return ["ejabberdctl"] + here + [
            "--config", self.path("ejabberd.yml"),
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
