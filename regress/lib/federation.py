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

"""A federation on loopback for end-to-end tests: one DNS server
(regress/lib/unbound.py) publishing each server's SRV records, one test
CA (regress/lib/testca.py) that every server trusts and that issues
each server's certificate, and Debian's Prosody and ejabberd as peers,
each with a .test domain of its own.

    fed = Federation()
    p = fed.prosody("prosody.test")
    e = fed.ejabberd("ejabberd.test")
    s = fed.xmppd("xmppd.test")         # listening, published
    fed.start()                         # the DNS server, then the peers
    s.start()
    p.add_user("alice@prosody.test", "alice-pw")
    ...
    s.stop()
    fed.close()                         # peers, DNS, CA: by PID, removed

A server is published under the SRV target xmpp.DOMAIN (so a target is
never the domain, as RFC 7590 wants checked), with _xmpps-server
(direct TLS, XEP-0368) ahead of _xmpp-server (STARTTLS) when both are
given.  publish() after start() restarts the DNS server with the new
records; the running peers see them on their next question.

A certificate for another name, or from a CA nobody trusts, is made
with certificate(name, names=..., ca=untrusted()): the cases where a
peer must fall back to dialback or be refused.

How each peer says it authenticated another server (Prosody logs at
debug when federating, for its outgoing side):
    ejabberd  "Accepted inbound s2s EXTERNAL authentication A -> B"
              "Accepted outbound s2s EXTERNAL authentication B -> A"
              "Failed inbound s2s EXTERNAL authentication A -> B (...): why"
              (dialback, when asked for: the same with "dialback")
    Prosody   "Accepting SASL EXTERNAL identity from A"
              "SASL EXTERNAL with A succeeded"
              "SASL EXTERNAL failed, falling back to dialback"
              "Forbidding insecure connection to/from A because its
              certificate is not trusted" (secure=True)
              "Incoming s2s connection A->B complete" (dialback too)
    xmppd     "s2s outbound connection N to A: authenticated by
              SASL EXTERNAL" (or "dialback")
              "s2s inbound connection N from ADDR: A authenticated by
              SASL EXTERNAL for B" (or "dialback")
              "dialback: a key for A from B is ours" (asked by A)
Defaults: Prosody offers dialback and takes peers without a good
certificate (secure=False); ejabberd has no dialback unless asked."""

import asyncio
import ssl

from ejabberd import Ejabberd
from prosody import Prosody
from testca import TestCA
from unbound import Unbound


class Federation:
    def __init__(self):
        self.ca = TestCA()
        self.other = None
        self.issued = 0
        self.dns = Unbound()
        self.hosts = {}
        self.peers = []
        self.xmppds = []

    @property
    def resolver(self):
        """The DNS server as xmppd.conf's resolver keyword writes it."""
        return self.dns.resolver

    @property
    def ca_file(self):
        """The test CA's certificate, for xmppd.conf's tls ca."""
        return self.ca.crt

    def untrusted(self):
        """A second root CA in the same directory that no server
        trusts."""
        if self.other is None:
            self.other = TestCA(dir=self.ca.dir, name="untrusted")
        return self.other

    def certificate(self, domain, names=None, ca=None, xmppaddr=False):
        """A certificate for domain's server: with names None, DNS-IDs
        for domain and its subdomains and the SRV-ID _xmpp-server.DOMAIN,
        and the XmppAddr too when xmppaddr; else DNS-IDs for names only.
        Issued by ca, the test CA by default.  Returns the certificate
        and key paths; the same name with .pem is the key and chain in
        one file.

        No XmppAddr by default: ejabberd 23.01 (p1_xmpp 1.6.1) crashes
        the stream of any peer whose certificate has one, before it
        looks at the rest (its get_domains_from_san returns a name
        where a list is due), so a certificate shown to ejabberd must
        do without."""
        ca = ca or self.ca
        self.issued += 1
        name = "%s.%d" % (domain, self.issued)
        if names is not None:
            return ca.issue(name, dns=list(names),
                            cn=names[0] if names else None)
        return ca.issue(name, dns=[domain, "*." + domain],
                        srv=["_xmpp-server." + domain],
                        xmpp=[domain] if xmppaddr else [], cn=domain)

    def publish(self, domain, port=None, tls_port=None, addr="127.0.0.1",
                target=None):
        """The SRV records of domain's server: _xmpps-server to tls_port
        (priority 0), _xmpp-server to port (priority 10), whichever is
        given; the target (xmpp.DOMAIN) at addr."""
        target = target or "xmpp." + domain
        if tls_port is not None:
            self.dns.srv("_xmpps-server._tcp." + domain, 0, 0, tls_port,
                         target)
        if port is not None:
            self.dns.srv("_xmpp-server._tcp." + domain, 10, 0, port, target)
        self.dns.a(target, addr)
        self.hosts[target] = addr
        for p in self.peers:
            if isinstance(p, Ejabberd):
                p.set_hosts(self.hosts)
        if self.dns.proc is not None:
            self.dns.stop()
            self.dns.start()

    def _published(self, domain, peer, starttls, direct_tls):
        self.publish(domain, peer.ports["s2s"] if starttls else None,
                     peer.ports["s2s_tls"] if direct_tls else None)

    def prosody(self, domain, cert=None, starttls=True, direct_tls=True,
                **kwargs):
        """A federating Prosody for domain (not started), published:
        secure (certificates required), dialback and muc (a MUC
        service's domain, published too) as keywords of Prosody; cert
        (certificate, key) by default certificate()."""
        p = Prosody(domain, resolver=self.resolver, ca=self.ca.crt,
                    cert=cert or self.certificate(domain), **kwargs)
        self.peers.append(p)
        self._published(domain, p, starttls, direct_tls)
        if p.muc is not None:
            self._published(p.muc, p, starttls, direct_tls)
        return p

    def ejabberd(self, domain, cert=None, starttls=True, direct_tls=True,
                 **kwargs):
        """A federating ejabberd for domain (not started), published;
        dialback as a keyword of Ejabberd; cert (certificate, key) by
        default certificate()."""
        crt = (cert or self.certificate(domain))[0]
        e = Ejabberd(domain, resolver=self.dns.port, ca=self.ca.crt,
                     cert=crt[:-len(".crt")] + ".pem", **kwargs)
        e.set_hosts(self.hosts)
        self.peers.append(e)
        self._published(domain, e, starttls, direct_tls)
        # Its MUC service, conference.DOMAIN, found the same way.
        self._published(e.muc, e, starttls, direct_tls)
        return e

    def xmppd_domain(self, domain, cert=None, require_certificates=False,
                     domain_body=""):
        """Lines of xmppd.conf for one more domain of an xmppd in this
        federation: a keypair for it (cert, by default certificate())
        and the domain (federation require certificates when asked,
        then domain_body's lines).  Publish it (publish()) at the
        server's ports."""
        crt, key = cert or self.certificate(domain)
        return ('tls keypair "%s" {\n\tcertificate "%s"\n\tkey "%s"\n}\n'
                'domain "%s" {\n\ttls keypair "%s"\n\tauth internal\n%s%s}\n'
                % (domain, crt, key, domain, domain,
                   "\tfederation require certificates\n"
                   if require_certificates else "", domain_body))

    def xmppd_conf(self, domain, cert=None, port=None, tls_port=None,
                   require_certificates=False, domain_body=""):
        """Lines of xmppd.conf (after Server's own, which serve
        example.org) for an xmppd serving domain in this federation:
        its resolver, the test CA as tls ca, xmppd_domain()'s lines for
        domain, and listen on 127.0.0.1 port (server, STARTTLS) and
        tls_port (server tls) for those given."""
        text = ('resolver "%s"\ntls ca "%s"\n' % (self.resolver, self.ca.crt) +
                self.xmppd_domain(domain, cert, require_certificates,
                                  domain_body))
        if port is not None:
            text += "listen on 127.0.0.1 port %d server\n" % port
        if tls_port is not None:
            text += "listen on 127.0.0.1 port %d server tls\n" % tls_port
        return text

    def xmppd(self, domain, starttls=True, direct_tls=True, body="",
              cert=None, require_certificates=False, muc=None, domains=(),
              domain_body="", **kwargs):
        """An xmppd Server (not started) serving domain besides
        example.org, its server ports (ports["server"], STARTTLS, and
        ports["server_tls"], direct TLS, whichever asked for) listening
        and published; with muc, a muc service of that name (a
        subdomain, which domain's certificate covers), published too;
        domains, more domains as (domain, cert, require_certificates),
        published at the same ports; body is more configuration,
        domain_body more lines in domain's block, kwargs Server's."""
        from xmppdtest import Server, free_port
        ports = {}
        if starttls:
            ports["server"] = free_port()
        if direct_tls:
            ports["server_tls"] = free_port()
        text = self.xmppd_conf(domain, cert, ports.get("server"),
                               ports.get("server_tls"), require_certificates,
                               domain_body)
        for d, crt, req in domains:
            text += self.xmppd_domain(d, crt, req)
        if muc is not None:
            text += 'muc "%s" {\n\tcreate rooms local\n}\n' % muc
        s = Server(body=text + body, **kwargs)
        s.ports.update(ports)
        s.domain = domain
        if ports:
            for d in [domain] + [d[0] for d in domains] + (
                    [muc] if muc is not None else []):
                self.publish(d, ports.get("server"), ports.get("server_tls"))
        return s

    def start(self):
        """The DNS server, then every peer not running yet."""
        if self.dns.proc is None:
            self.dns.start()
        for p in self.peers:
            if p.proc is None:
                p.start()
        return self

    def run(self, servers, users):
        """Start the federation, then each xmppd of servers (domain:
        a Server from xmppd()) with the accounts users[domain] (names,
        each with the password NAME-pw); close() stops them.  Returns
        servers."""
        from xmppdtest import add_user
        self.start()
        for d, s in servers.items():
            s.start()
            self.xmppds.append(s)
            for u in users[d]:
                add_user(s, "%s@%s" % (u, d), u + "-pw")
        return servers

    def log_tail(self, n=40):
        return "\n".join("--- %s %s ---\n%s" % (p.what, p.domain,
                                                p.log_tail(n))
                         for p in self.peers)

    def close(self):
        for s in reversed(self.xmppds):
            s.stop()
        for p in reversed(self.peers):
            p.close()
        self.dns.close()
        self.ca.close()


def client(jid, password, port, ca, loop):
    """A slixmpp client (not connected) that checks its server's
    certificate against ca and collects what comes: started (a future,
    set at session start), inbox (messages, errors too), presences
    (available, unavailable and error presence) and pushed (an event set by roster pushes).
    connect() it to 127.0.0.1:port."""
    from slixmpp import ClientXMPP
    c = ClientXMPP(jid, password)
    c.loop = loop
    c.ssl_context = ssl.create_default_context(cafile=ca)
    # Connected to an address, slixmpp names no server in its TLS
    # handshake: a server with a certificate per domain (xmppd) must
    # be told which one (SNI), and the client checks that name.
    c.default_domain = c.boundjid.domain
    c.port = port
    c.started = loop.create_future()
    c.inbox = asyncio.Queue()
    c.presences = asyncio.Queue()
    c.pushed = asyncio.Event()
    c.add_event_handler("session_start", lambda e: c.started.done() or
                        c.started.set_result(True))
    c.add_event_handler("failed_auth", lambda e: c.started.done() or
                        c.started.set_exception(
                            AssertionError("%s: login failed" % jid)))
    for ev in ("message", "message_error"):
        c.add_event_handler(ev, c.inbox.put_nowait)
    for ev in ("presence_available", "presence_unavailable",
               "presence_error"):
        c.add_event_handler(ev, c.presences.put_nowait)
    c.add_event_handler("roster_update", lambda e: c.pushed.set())
    return c


async def connected(*clients, timeout=20):
    """Connect each client to its server and wait for every session."""
    for c in clients:
        c.connect(("127.0.0.1", c.port))
    await asyncio.wait_for(asyncio.gather(*(c.started for c in clients)),
                           timeout)
    for c in clients:
        await c.get_roster()
        c.send_presence()


async def subscription(c, jid, want="both"):
    """Wait until jid's subscription in c's roster is want; each roster
    push wakes this to look again."""
    while c.client_roster[jid]["subscription"] != want:
        c.pushed.clear()
        await c.pushed.wait()


async def presence_from(c, jid, kind="available"):
    """The next presence of that kind (available, unavailable, error)
    from bare jid (others dropped)."""
    while True:
        p = await c.presences.get()
        t = p["type"] if p["type"] in ("unavailable", "error") else \
            "available"
        if p["from"].bare == jid and t == kind:
            return p


async def message_from(c, jid):
    """The next message from bare jid (others dropped)."""
    while True:
        m = await c.inbox.get()
        if m["from"].bare == jid:
            return m
