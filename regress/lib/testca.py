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


"""A certificate authority for the federation tests, made with openssl(1)
at test time: a root CA, intermediates, and certificates for XMPP
domains with each kind of identity RFC 6120 section 13.7 names:
DNS-ID, SRV-ID (_xmpp-server.DOMAIN) and XmppAddr, and a subject CN.

    ca = TestCA()                       # a root, in a new temporary dir
    crt, key = ca.domain("a.test")      # every kind of identity
    crt, key = ca.issue("w", dns=["*.b.test"], srv=[], xmpp=[])
    sub = ca.intermediate("sub")
    crt, key = sub.issue("c", dns=["c.test"])
    sub.chain_file("c")                 # c.crt then sub.crt, as sent
    ca.crt                              # for `tls ca` and the peers
    ca.close()

Each certificate NAME is NAME.crt and NAME.key, NAME.pem (the key and
the chain, as ejabberd takes it) and NAME.chain (the certificate and
its intermediates) in the CA's directory.  Keys are ECDSA P-256.

The command line does the same, for the unit tests in C:

    testca.py DIR ca NAME [--issuer CA]
    testca.py DIR issue NAME --issuer CA [--dns N]... [--srv N]...
        [--xmpp N]... [--cn CN]
"""

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile

XMPPADDR = "1.3.6.1.5.5.7.8.5"  # id-on-xmppAddr, RFC 6120
SRVNAME = "1.3.6.1.5.5.7.8.7"   # id-on-dnsSRV, RFC 4985
DAYS = 30
EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def openssl(*args):
    p = subprocess.run(["openssl"] + list(args), capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (args[0], p.stderr.strip()))


def _value(s):
    """A value of an openssl(1) configuration file, as it is."""
    if any(c in s for c in "\n\r\"'\\$#"):
        raise ValueError("name not usable in a test certificate: %r" % s)
    return s


def _extensions(ca, dns=(), srv=(), xmpp=()):
    lines = ["[v3]"]
    if ca:
        lines += ["basicConstraints = critical, CA:TRUE",
                  "keyUsage = critical, keyCertSign, cRLSign",
                  "subjectKeyIdentifier = hash"]
    else:
        lines += ["basicConstraints = critical, CA:FALSE",
                  "keyUsage = critical, digitalSignature, keyEncipherment",
                  "extendedKeyUsage = serverAuth, clientAuth"]
    san = (["DNS.%d = %s" % (i, _value(n)) for i, n in enumerate(dns)] +
           ["otherName.%d = %s;IA5STRING:%s" % (i, SRVNAME, _value(n))
            for i, n in enumerate(srv)] +
           ["otherName.%d = %s;FORMAT:UTF8,UTF8:%s" % (i + len(srv), XMPPADDR,
                                                    _value(n))
            for i, n in enumerate(xmpp)])
    if san:
        lines += ["subjectAltName = @san", "[san]"] + san
    return "\n".join(lines) + "\n"


class Authority:
    """A CA (root or intermediate) whose files live in dir."""

    def __init__(self, dir, name, issuer=None):
        self.dir = dir
        self.name = name
        self.issuer = issuer
        self.crt = self._path(name, "crt")
        self.key = self._path(name, "key")
        self._make(name, "/CN=xmppd regress CA %s" % _value(name),
                   _extensions(True), issuer)
        if issuer is not None:
            with open(self._path(name, "issuer"), "w") as f:
                f.write(issuer.name + "\n")

    def _path(self, name, ext):
        if not name or "/" in name or name.startswith("."):
            raise ValueError("bad certificate name %r" % name)
        return os.path.join(self.dir, "%s.%s" % (name, ext))

    def _make(self, name, subject, ext, issuer, dates=None):
        crt, key = self._path(name, "crt"), self._path(name, "key")
        extfile = self._path(name, "ext")
        with open(extfile, "w", encoding="utf-8") as f:
            f.write(ext)
        if issuer is None:
            self._selfsign(subject, crt, key, extfile)
        else:
            csr = self._path(name, "csr")
            openssl("req", "-new", *EC, "-utf8", "-subj", subject,
                    "-keyout", key, "-out", csr)
            if dates is not None:
                issuer._sign_dated(name, csr, crt, extfile, dates)
            else:
                openssl("x509", "-req", "-in", csr, "-CA", issuer.crt,
                        "-CAkey", issuer.key, "-set_serial",
                        "0x" + secrets.token_hex(8), "-days", str(DAYS),
                        "-extfile", extfile, "-extensions", "v3",
                        "-out", crt)
            os.unlink(csr)
        os.unlink(extfile)
        os.chmod(key, 0o600)

    def _selfsign(self, subject, crt, key, extfile):
        csr = crt + ".csr"
        openssl("req", "-new", *EC, "-utf8", "-subj", subject,
                "-keyout", key, "-out", csr)
        openssl("x509", "-req", "-in", csr, "-signkey", key,
                "-set_serial", "0x" + secrets.token_hex(8),
                "-days", str(DAYS), "-extfile", extfile,
                "-extensions", "v3", "-out", crt)
        os.unlink(csr)

    def _sign_dated(self, name, csr, crt, extfile, dates):
        """Sign csr valid from dates[0] to dates[1] (YYYYMMDDHHMMSSZ):
        openssl ca is the one command of OpenSSL 3.0 that takes both."""
        db = self._path(name, "db")
        os.mkdir(db)
        open(os.path.join(db, "index.txt"), "w").close()
        with open(os.path.join(db, "serial"), "w") as f:
            f.write(secrets.token_hex(8) + "\n")
        cnf = os.path.join(db, "ca.cnf")
        with open(cnf, "w") as f:
            f.write("[ca]\ndefault_ca = c\n[c]\n"
                    "database = %s/index.txt\nserial = %s/serial\n"
                    "new_certs_dir = %s\ndefault_md = sha256\n"
                    "policy = p\npreserve = yes\nunique_subject = no\n"
                    "[p]\n" % (db, db, db))
        openssl("ca", "-batch", "-config", cnf, "-in", csr, "-cert",
                self.crt, "-keyfile", self.key, "-startdate", dates[0],
                "-enddate", dates[1], "-extfile", extfile, "-extensions",
                "v3", "-notext", "-out", crt)
        shutil.rmtree(db)

    def _intermediates(self):
        """This CA's certificate and those above it, root excluded."""
        a, out = self, []
        while a.issuer is not None:
            out.append(a.crt)
            a = a.issuer
        return out

    def issue(self, name, dns=(), srv=(), xmpp=(), cn=None, dates=None):
        """A certificate signed by this CA: dns, srv (whole SRV-IDs,
        "_xmpp-server.a.test") and xmpp (XmppAddr) names in its
        subjectAltName, none at all when all three are empty; cn the
        subject's common name; dates, when given, its notBefore and
        notAfter (YYYYMMDDHHMMSSZ).  Returns the certificate and key
        paths."""
        subject = "/CN=%s" % _value(cn) if cn else "/O=xmppd regress"
        self._make(name, subject, _extensions(False, dns, srv, xmpp), self,
                   dates)
        crt, key = self._path(name, "crt"), self._path(name, "key")
        parts = [crt] + self._intermediates()
        with open(self._path(name, "chain"), "w") as out:
            for p in parts:
                out.write(open(p).read())
        pem = self._path(name, "pem")
        with open(pem, "w") as out:
            os.chmod(pem, 0o600)
            out.write(open(key).read())
            for p in parts:
                out.write(open(p).read())
        return crt, key

    def domain(self, domain, name=None):
        """A certificate for an XMPP domain with every kind of identity."""
        return self.issue(name or domain, dns=[domain],
                          srv=["_xmpp-server." + domain], xmpp=[domain],
                          cn=domain)

    def chain_file(self, name):
        return self._path(name, "chain")

    def intermediate(self, name):
        return Authority(self.dir, name, issuer=self)


class TestCA(Authority):
    """A root CA in its own temporary directory (dir: in that one),
    removed by close() when it made it."""

    def __init__(self, dir=None, name="root"):
        self.own_dir = dir is None
        super().__init__(dir or tempfile.mkdtemp(prefix="xmppd-ca-"), name)

    def close(self):
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def _load(dir, name):
    """An authority whose files exist, with its issuers as recorded."""
    a = Authority.__new__(Authority)
    a.dir, a.name = dir, name
    a.crt, a.key = a._path(name, "crt"), a._path(name, "key")
    up = a._path(name, "issuer")
    a.issuer = _load(dir, open(up).read().strip()) \
        if os.path.exists(up) else None
    return a


def main(argv):
    ap = argparse.ArgumentParser(prog="testca.py")
    ap.add_argument("dir")
    ap.add_argument("what", choices=["ca", "issue"])
    ap.add_argument("name")
    ap.add_argument("--issuer")
    ap.add_argument("--dns", action="append", default=[])
    ap.add_argument("--srv", action="append", default=[])
    ap.add_argument("--xmpp", action="append", default=[])
    ap.add_argument("--cn")
    a = ap.parse_args(argv)
    issuer = _load(a.dir, a.issuer) if a.issuer else None
    if a.what == "ca":
        Authority(a.dir, a.name, issuer)
    elif issuer is None:
        ap.error("issue needs --issuer")
    else:
        issuer.issue(a.name, a.dns, a.srv, a.xmpp, a.cn)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
