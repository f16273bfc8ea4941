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
one component port; accounts are made with prosodyctl.

Without a component, and with service=True, it is instead a service to
migrate from or to: offline messages, vCards (vcard-temp), private XML,
PEP and message archives (every message kept), its data moved in and
out with prosody-migrator (migrate()).

With s2s (an S2S), it federates instead: server-to-server streams on a
STARTTLS port and a direct TLS port (XEP-0368), peers found through the
DNS server named (lua-unbound forwarding to it, nothing else asked),
their certificates checked against a test CA, its own certificate made
by that CA; regress/lib/federation.py puts the pieces together."""

import os
import shutil
import subprocess

from daemon import Daemon
from xmppdtest import TIMEOUT, certs, free_port

CONF = """\
pidfile = "%(dir)s/prosody.pid"
certificates = "%(dir)s"
data_path = "%(dir)s/data"
log = { { levels = { min = "%(log)s" }, to = "console" } }
interfaces = { "127.0.0.1" }
c2s_ports = { %(client)d }
c2s_direct_tls_ports = { }
s2s_ports = {%(s2s)s}
%(federation)shttp_ports = { }
https_ports = { }
component_ports = { %(component)s }
component_interface = "127.0.0.1"
modules_enabled = {
	"roster"; "saslauth"; "tls"; "disco"; "ping"; %(modules)s
}
default_archive_policy = true
archive_expires_after = "never"
modules_disabled = { %(disabled)s }
allow_registration = false
c2s_require_encryption = true
authentication = "internal_hashed"
storage = "internal"
VirtualHost "%(domain)s"
	ssl = { certificate = "%(crt)s"; key = "%(key)s"; %(cafile)s}
%(components)s"""

# Federation: lua-unbound asks the test's DNS server only (libunbound
# refuses RFC 6761's .test itself unless the zone is made transparent),
# peers' certificates are checked against the test CA, and with
# secure_auth a peer without a good certificate is refused: no
# dialback on the word of DNS alone.  The host's certificate is the
# global one too, for its components (a MUC service) to show.
FEDERATION = """\
s2s_direct_tls_ports = { %(s2s_tls)d }
s2s_require_encryption = true
s2s_secure_auth = %(secure)s
s2s_timeout = %(timeout)d
use_ipv6 = false
ssl = { cafile = "%(ca)s"; certificate = "%(crt)s"; key = "%(key)s"; }
unbound = {
	resolvconf = false; hoststxt = false;
	forward = "%(resolver)s";
	options = { ["local-zone:"] = "test. transparent" };
}
"""

COMPONENT = """\
Component "%(name)s"
	component_secret = "%(secret)s"
"""

# A federating server's own services: vCards (vcard-temp) and its
# version for remote users, and with muc a MUC service anyone may make
# rooms on (open at once, not locked until configured), its
# certificate the host's (the global ssl above).
FEDERATING_MODULES = '"vcard"; "version";'
MUC = """\
Component "%(muc)s" "muc"
	restrict_room_creation = false
	muc_room_locking = false
"""

# What a service to migrate keeps, and the stores prosody-migrator
# moves of it (vcard-temp in mod_vcard's store, not as PEP's vCard4).
SERVICE_MODULES = ('"private"; "vcard"; "offline"; "mam"; "pep"; '
                   '"blocklist";')
STORES = ["accounts", "roster", "vcard", "private", "archive-archive",
          "pep-pubsub"]

# prosody-migrator's configuration: its stores, one named per kind.
MIGRATOR = """\
internal {
	hosts = { ["%(domain)s"] = { %(stores)s } };
	type = "internal";
	path = "%(data)s";
}
xep0227 {
	hosts = { ["%(domain)s"] = { %(stores)s } };
	type = "xep0227";
}
"""


class Prosody(Daemon):
    what = "prosody"
    user = "prosody"

    def __init__(self, domain, component=None, secret=None, dir=None,
                 service=False, resolver=None, ca=None, cert=None,
                 dialback=True, secure=False, timeout=10, muc=None):
        """resolver ("127.0.0.1@PORT"), ca (a CA file) and cert (the
        certificate and key for domain) make it federate; dialback
        loads XEP-0220 (mod_dialback), secure requires peers to present
        a certificate good for their domain; timeout bounds an outgoing
        connection, in seconds; muc names a MUC service (a subdomain,
        which the certificate covers) to serve."""
        super().__init__(dir)
        self.domain = domain
        self.muc = muc
        self.ports = {"client": free_port()}
        federating = resolver is not None
        if component is not None:
            self.ports["component"] = free_port()
            self.ready = (r"Activated service 'component' on "
                          r"\[127\.0\.0\.1\]:%d" % self.ports["component"])
        else:
            self.ready = (r"Activated service 'c2s' on "
                          r"\[127\.0\.0\.1\]:%d" % self.ports["client"])
        self.also_ready = []
        if federating:
            self.ports["s2s"] = free_port()
            self.ports["s2s_tls"] = free_port()
            self.also_ready = [r"Activated service '%s' on "
                               r"\[127\.0\.0\.1\]:%d" % (n, self.ports[k])
                               for n, k in (("s2s", "s2s"),
                                            ("s2s_direct_tls", "s2s_tls"))]
            crt, key = cert
            shutil.copy(ca, self.path("ca.crt"))
        else:
            crt, key = certs(domain)
        shutil.copy(crt, self.path("server.crt"))
        shutil.copy(key, self.path("server.key"))
        os.makedirs(self.path("data"), exist_ok=True)
        modules = SERVICE_MODULES if service else ""
        if federating:
            modules += FEDERATING_MODULES
        if federating and dialback:
            modules += '"dialback";'
        self.write("prosody.cfg.lua", CONF % {
            "dir": self.dir, "client": self.ports["client"],
            "component": self.ports.get("component", ""), "domain": domain,
            "crt": self.path("server.crt"), "key": self.path("server.key"),
            "modules": modules,
            # Debug: the log says how each peer was authenticated, both
            # ways (Prosody logs an outgoing SASL EXTERNAL at debug).
            "log": "debug" if federating else "info",
            "s2s": " %d " % self.ports["s2s"] if federating else " ",
            "disabled": '"posix"' if federating else '"s2s"; "posix"',
            "cafile": 'cafile = "%s"; ' % self.path("ca.crt")
            if federating else "",
            "federation": FEDERATION % {
                "s2s_tls": self.ports["s2s_tls"], "resolver": resolver,
                "crt": self.path("server.crt"),
                "key": self.path("server.key"),
                "ca": self.path("ca.crt"), "timeout": timeout,
                "secure": "true" if secure else "false"}
            if federating else "",
            "components": ("" if component is None else COMPONENT % {
                "name": component, "secret": secret}) +
            ("" if muc is None else MUC % {"muc": muc})})

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

    def migrate(self, source, dest, where, stores=STORES):
        """prosody-migrator from store source to dest: "internal" is
        this server's data directory, "xep0227" the directory where, one
        file user@domain.xml per user.  Prosody 0.12's migrator keeps
        XEP-0227 files in its compiled-in data directory, so it runs in a
        mount namespace of its own where /var/lib/prosody is where; as
        the prosody user, as its package runs it."""
        self.write("migrator.cfg.lua", MIGRATOR % {
            "domain": self.domain, "data": self.path("data"),
            "stores": " ".join('"%s";' % s for s in stores)})
        self.chown()
        pw = self.account()
        drop = ([] if pw is None else
                ["setpriv", "--reuid=%d" % pw.pw_uid,
                 "--regid=%d" % pw.pw_gid, "--clear-groups"])
        if pw is not None:
            for top, dirs, files in os.walk(where):
                for n in [top] + [os.path.join(top, f) for f in files]:
                    os.chown(n, pw.pw_uid, pw.pw_gid)
        # Reading archives from XEP-0227 files, the migrator asks for the
        # host's own archive too, finds no file for it and stops, unless
        # told to keep going: whatever else fails then is seen by the
        # clients that log in afterwards.
        keep = ["--keep-going"] if source == "xep0227" else []
        p = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             'mount --bind "$0" /var/lib/prosody && exec "$@"', where] +
            drop + ["prosody-migrator", "--config",
                    self.path("migrator.cfg.lua")] + keep + [source, dest],
            capture_output=True, text=True, env=self.env(), cwd=self.dir,
            timeout=TIMEOUT * 3)
        if p.returncode != 0 or "Done!" not in p.stderr:
            raise AssertionError("prosody-migrator %s %s: %s%s" %
                                 (source, dest, p.stdout, p.stderr))
        return p
