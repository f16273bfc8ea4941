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

"""A real OpenLDAP slapd (Debian's) for the LDAP end-to-end tests.

Each Slapd lives in a directory given by the caller: a test CA and a
server certificate for localhost/127.0.0.1, a slapd.conf, an mdb
database and slapd.log.  slapd runs in the foreground on 127.0.0.1
with an ldaps:// and an ldap:// (StartTLS) listener, as the openldap
user (nobody/nogroup if there is none) when started as root.

    s = Slapd(tmpdir); s.start()
    s.add_user("alice", "alicepw", display_name="Alice Liddell")
    # xmppd: ca s.ca, bind s.service_dn / s.service_pw,
    #        base s.base, uri "ldaps://127.0.0.1:%d" % s.ldaps_port
"""

import base64
import grp
import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from xmppdtest import free_port

SLAPD = "/usr/sbin/slapd"
SCHEMA = "/etc/ldap/schema"
TIMEOUT = 20

SUFFIX = "dc=xmppd,dc=test"
BASE = "ou=users," + SUFFIX
ROOT_DN = "cn=admin," + SUFFIX
ROOT_PW = "adminpw"
SERVICE_DN = "cn=xmpp,ou=services," + SUFFIX
SERVICE_PW = "xmpppw"


def ssha(password):
    """An RFC 2307 {SSHA} userPassword value."""
    salt = os.urandom(8)
    h = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(h + salt).decode()


def ldif_attr(name, value):
    """One LDIF line; base64 for bytes and values LDIF cannot carry
    as they are."""
    if isinstance(value, str):
        if (value.isascii() and value.isprintable() and
                not value.startswith((" ", ":", "<")) and
                not value.endswith(" ")):
            return "%s: %s\n" % (name, value)
        value = value.encode()
    return "%s:: %s\n" % (name, base64.b64encode(value).decode())


def make_ca(dir):
    """A test CA and a certificate for localhost and 127.0.0.1 signed
    by it, made with openssl(1) like certs() in xmppdtest.py; returns
    the paths of the CA certificate, server certificate and key."""
    ca, cakey = os.path.join(dir, "ca.crt"), os.path.join(dir, "ca.key")
    crt, key = os.path.join(dir, "server.crt"), os.path.join(dir, "server.key")
    if os.path.exists(crt):
        return ca, crt, key
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]

    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True,
                       capture_output=True)

    run("req", "-x509", *ec, "-days", "3650", "-subj",
        "/CN=xmppd regress LDAP CA", "-keyout", cakey, "-out", ca)
    csr, ext = os.path.join(dir, "server.csr"), os.path.join(dir, "server.ext")
    run("req", *ec, "-subj", "/CN=localhost", "-keyout", key, "-out", csr)
    with open(ext, "w") as f:
        f.write("basicConstraints = critical, CA:FALSE\n"
                "keyUsage = critical, digitalSignature, keyEncipherment\n"
                "extendedKeyUsage = serverAuth\n"
                "subjectAltName = DNS:localhost, IP:127.0.0.1\n")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", cakey,
        "-CAcreateserial", "-days", "3650", "-extfile", ext, "-out", crt)
    return ca, crt, key


class Slapd:
    def __init__(self, dir=None):
        """dir: where everything lives; a new temporary directory if
        None, removed again by close()."""
        self.own_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="xmppd-slapd-")
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "slapd.conf")
        self.db = os.path.join(self.dir, "db")
        self.log = os.path.join(self.dir, "slapd.log")
        self.ldaps_port = free_port()
        self.ldap_port = free_port()
        self.suffix, self.base = SUFFIX, BASE
        self.root_dn, self.root_pw = ROOT_DN, ROOT_PW
        self.service_dn, self.service_pw = SERVICE_DN, SERVICE_PW
        self.proc = None
        self.ca, self.crt, self.key = make_ca(self.dir)
        self.user = self.group = None
        if os.getuid() == 0:
            try:
                pwd.getpwnam("openldap")
                grp.getgrnam("openldap")
                self.user = self.group = "openldap"
            except KeyError:
                self.user, self.group = "nobody", "nogroup"
        self.write_conf()
        if not os.path.exists(os.path.join(self.db, "data.mdb")):
            self.load()

    def user_dn(self, cn):
        return "cn=%s,%s" % (cn, BASE)

    def write_conf(self):
        d = self.dir
        with open(self.conf, "w") as f:
            f.write(
                "".join("include %s/%s.schema\n" % (SCHEMA, s)
                        for s in ("core", "cosine", "inetorgperson")) +
                "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
                "pidfile %s/slapd.pid\nargsfile %s/slapd.args\n"
                "TLSCACertificateFile %s\nTLSCertificateFile %s\n"
                "TLSCertificateKeyFile %s\n"
                % (d, d, self.ca, self.crt, self.key) +
                'database mdb\nmaxsize 67108864\nsuffix "%s"\n'
                'rootdn "%s"\nrootpw %s\ndirectory %s\n'
                "index objectClass,cn,uid eq\n"
                % (SUFFIX, ROOT_DN, ssha(ROOT_PW), self.db) +
                "access to attrs=userPassword\n"
                "\tby anonymous auth\n\tby self write\n\tby * none\n"
                'access to dn.subtree="%s"\n'
                '\tby dn.exact="%s" read\n\tby * none\n'
                "access to * by * none\n" % (BASE, SERVICE_DN))
        os.chmod(self.conf, 0o600)

    def load(self):
        """The suffix, ou=users, ou=services and the service account,
        with slapadd before the first start."""
        os.makedirs(self.db, exist_ok=True)
        ldif = ("dn: %s\nobjectClass: dcObject\nobjectClass: organization\n"
                "dc: xmppd\no: xmppd regress\n\n" % SUFFIX +
                "dn: %s\nobjectClass: organizationalUnit\nou: users\n\n"
                % BASE +
                "dn: ou=services,%s\nobjectClass: organizationalUnit\n"
                "ou: services\n\n" % SUFFIX +
                "dn: %s\nobjectClass: person\ncn: xmpp\nsn: xmpp\n"
                % SERVICE_DN + ldif_attr("userPassword", ssha(SERVICE_PW)))
        p = subprocess.run(["/usr/sbin/slapadd", "-q", "-f", self.conf],
                           input=ldif, capture_output=True, text=True,
                           timeout=TIMEOUT)
        if p.returncode != 0:
            raise AssertionError("slapadd: " + p.stderr)

    def chown(self):
        """Everything to the user slapd runs as; the key stays 0600."""
        if self.user is None:
            return
        uid = pwd.getpwnam(self.user).pw_uid
        gid = grp.getgrnam(self.group).gr_gid
        for top, dirs, files in os.walk(self.dir):
            for n in [top] + [os.path.join(top, f) for f in files]:
                os.chown(n, uid, gid)

    def start(self):
        """Start slapd and return once both ports serve a bind."""
        if self.proc is not None:
            raise AssertionError("slapd already running")
        self.chown()
        args = [SLAPD, "-d", "stats", "-f", self.conf, "-h",
                "ldaps://127.0.0.1:%d/ ldap://127.0.0.1:%d/"
                % (self.ldaps_port, self.ldap_port)]
        if self.user is not None:
            args += ["-u", self.user, "-g", self.group]
        with open(self.log, "ab") as log:
            log.write(b"--- start\n")
            log.flush()
            self.log_at = log.tell()
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        deadline = time.monotonic() + TIMEOUT
        while True:
            if self.proc.poll() is not None:
                rc, self.proc = self.proc.returncode, None
                self.fail("slapd exited with %d" % rc)
            if self.ready():
                return self
            if time.monotonic() > deadline:
                self.stop()
                self.fail("slapd not ready within %ds" % TIMEOUT)
            time.sleep(0.05)

    def ready(self):
        for port in (self.ldaps_port, self.ldap_port):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
            except OSError:
                return False
        return self.tool("ldapwhoami", "-D", SERVICE_DN, "-w", SERVICE_PW,
                         check=False).returncode == 0

    def fail(self, why):
        with open(self.log, errors="replace") as f:
            f.seek(self.log_at)
            tail = "".join(f.readlines()[-30:])
        raise AssertionError("%s; %s ends:\n%s" % (why, self.log, tail))

    def env(self):
        """Environment for the ldap tools: trust only the test CA."""
        return dict(os.environ, LDAPTLS_CACERT=self.ca,
                    LDAPTLS_REQCERT="demand")

    def tool(self, prog, *args, starttls=False, input=None, check=True):
        """Run an ldap tool against this slapd: ldaps://, or ldap://
        with StartTLS required (-ZZ) if starttls."""
        if starttls:
            uri = ["-H", "ldap://127.0.0.1:%d" % self.ldap_port, "-ZZ"]
        else:
            uri = ["-H", "ldaps://127.0.0.1:%d" % self.ldaps_port]
        p = subprocess.run([prog, "-x", "-o", "nettimeout=5"] + uri +
                           list(args), input=input, capture_output=True,
                           text=True, env=self.env(), timeout=TIMEOUT)
        if check and p.returncode != 0:
            raise AssertionError("%s %s: %s" % (prog, " ".join(args),
                                                p.stderr.strip()))
        return p

    def add_user(self, cn, password, display_name=None, mail=None,
                 photo=None):
        """An inetOrgPerson cn=CN,ou=users with uid and sn CN."""
        ldif = ("dn: %s\nobjectClass: inetOrgPerson\n" % self.user_dn(cn) +
                ldif_attr("cn", cn) + ldif_attr("sn", cn) +
                ldif_attr("uid", cn) +
                ldif_attr("userPassword", ssha(password)))
        if display_name is not None:
            ldif += ldif_attr("displayName", display_name)
        if mail is not None:
            ldif += ldif_attr("mail", mail)
        if photo is not None:
            ldif += ldif_attr("jpegPhoto", photo)
        self.tool("ldapadd", "-D", ROOT_DN, "-w", ROOT_PW, starttls=True,
                  input=ldif)

    def delete_user(self, cn):
        self.tool("ldapdelete", "-D", ROOT_DN, "-w", ROOT_PW,
                  self.user_dn(cn), starttls=True)

    def stop(self):
        """SIGTERM and wait; the data stays for the next start()."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def close(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def selftest():
    top = tempfile.mkdtemp(prefix="xmppd-slapd-test-")
    os.chmod(top, 0o711)    # slapd's user must get through to its dir
    s = Slapd(os.path.join(top, "ldap"))
    try:
        s.start()
        s.add_user("alice", "alicepw", display_name="Alice Liddell",
                   mail="alice@example.org",
                   photo=b"\xff\xd8\xff\xe0" + os.urandom(64))
        s.add_user("bob", "bobpw")
        alice = s.user_dn("alice")

        def check():
            for starttls in (False, True):
                out = s.tool("ldapsearch", "-LLL", "-D", s.service_dn,
                             "-w", s.service_pw, "-b", s.base, "(cn=alice)",
                             starttls=starttls).stdout
                assert "dn: " + alice in out, out
                assert "displayName: Alice Liddell" in out, out
                assert "jpegPhoto::" in out, out
                assert "userPassword" not in out, out
            s.tool("ldapwhoami", "-D", alice, "-w", "alicepw")
            p = s.tool("ldapwhoami", "-D", alice, "-w", "wrong", check=False)
            assert p.returncode == 49, p
            # Anonymous reads nothing.
            p = s.tool("ldapsearch", "-LLL", "-b", s.base, "(cn=alice)",
                       check=False)
            assert "dn:" not in p.stdout, p.stdout

        check()
        s.stop()
        s.start()
        check()
        s.delete_user("bob")
        p = s.tool("ldapsearch", "-LLL", "-D", s.service_dn, "-w",
                   s.service_pw, "-b", s.base, "(cn=bob)")
        assert "dn:" not in p.stdout, p.stdout
    finally:
        s.close()
        shutil.rmtree(top, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    selftest()
