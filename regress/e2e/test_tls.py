"""Certificates: one PEM holding key and chain, and the keypair chosen by
SNI among several."""

import os

from rawxmpp import Raw
from xmppdtest import Server, add_user, certs, CERTS


def setup():
    certs("other.org")
    pem = os.path.join(CERTS, "other.org.pem")
    s = Server(prefork=1, body='tls keypair "other.org" certificate "%s"\n'
               'domain "other.org"\n' % pem)
    s.start()
    add_user(s, "olga@other.org", "olga-pw")
    return s


def teardown(s):
    s.stop()


def peer_cert(r):
    return r.sock.getpeercert(binary_form=True)


def test_sni_picks_the_keypair(s):
    r = Raw(s.ports["client_tls"], direct_tls=True, sni="other.org")
    assert b"other.org" in peer_cert(r)
    r.close()
    r = Raw(s.ports["client_tls"], direct_tls=True, sni="example.org")
    assert b"example.org" in peer_cert(r) and b"other.org" not in peer_cert(r)
    r.close()


def test_combined_pem_keypair_logs_in(s):
    r = Raw(s.ports["client"])
    assert r.login("olga", "olga-pw", "x",
                   domain="other.org") == "olga@other.org/x"
    assert b"other.org" in peer_cert(r)
    r.close()


def test_tls_1_1_refused(s):
    import ssl
    import socket
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    sock = socket.create_connection(("127.0.0.1", s.ports["client_tls"]))
    try:
        ctx.wrap_socket(sock, server_hostname="example.org")
        refused = False
    except (ssl.SSLError, OSError):
        refused = True
    sock.close()
    assert refused
    r = Raw(s.ports["client"])
    assert r.login("olga", "olga-pw", "y", domain="other.org")
    r.close()


def test_no_session_tickets_that_cannot_resume(s):
    """The server keeps no TLS session cache, so it sends no TLS 1.3
    session tickets no client could resume with."""
    r = Raw(s.ports["client_tls"], direct_tls=True, sni="other.org")
    assert r.login("olga", "olga-pw", "t1", domain="other.org",
                   tls=False) == "olga@other.org/t1"
    # Tickets come after the handshake: the bind's answer came later.
    sess = r.sock.session
    assert sess is not None and not sess.has_ticket
    r.close()
