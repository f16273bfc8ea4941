"""Sessions per user (limits { sessions per user N }): the bind past the
limit gets <resource-constraint/> of type wait (RFC 6120 section
7.6.2.1) and the stream stays open to try again; replacing a resource in
use does not count; sessions waiting for resumption (XEP-0198) do; a
lower limit after a reload applies to new binds only; LDAP domains have
the same limit."""

import re
import socket
import subprocess

from rawxmpp import Raw
from slapd import Slapd
from xmppdtest import Server, XMPPD, add_user

LIMIT = "limits {\n\tsessions per user %d\n}\n"
CONSTRAINT = (r"<iq[^>]*type='error'[^>]*>.*?<error type='wait'>"
              r"<resource-constraint xmlns='urn:ietf:params:xml:ns:"
              r"xmpp-stanzas'/></error></iq>")
SM = "urn:xmpp:sm:3"
USERS = ("alice", "bob", "carol", "dave", "erin", "frank")


def setup():
    s = Server(LIMIT % 3, prefork=2)
    s.start()
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    return s


def teardown(s):
    s.stop()


def authed(s, user, password=None):
    """An authenticated stream, not bound yet."""
    c = Raw(s.ports["client"])
    c.starttls()
    c.header()
    m = c.auth_plain(user, password or user + "-pw")
    assert m.group(1) == "success", m.group(0)
    c.header()
    return c


def bind(c, resource=None, id="b1"):
    """The answer to a bind request with id."""
    res = "<resource>%s</resource>" % resource if resource else ""
    c.send("<iq type='set' id='%s'><bind xmlns='urn:ietf:params:xml:ns:"
           "xmpp-bind'>%s</bind></iq>" % (id, res))
    return c.expect(r"<iq[^>]*id='%s'.*?</iq>" % id).group(0)


def refused(answer):
    assert re.fullmatch(CONSTRAINT, answer, re.S), answer


def bound(answer, jid):
    assert "type='result'" in answer and "<jid>%s</jid>" % jid in answer, \
        answer


def ping(c, i="p"):
    c.send("<iq type='get' id='%s' to='example.org'><ping xmlns='urn:xmpp:"
           "ping'/></iq>" % i)
    return c.expect(r"<iq[^>]*id='%s'[^>]*type='result'|<iq[^>]*type="
                    r"'result'[^>]*id='%s'" % (i, i))


def logins(s, user, n, prefix="r"):
    conns = []
    for i in range(n):
        c = Raw(s.ports["client"])
        c.login(user, user + "-pw", "%s%d" % (prefix, i))
        conns.append(c)
    return conns


def close(s, c, jid):
    """End a session cleanly and wait until the router has forgotten it."""
    mark = s.mark()
    c.send("</stream:stream>")
    c.closed()
    s.wait_log(r"session %s ended" % re.escape(jid), after=mark)


def test_bind_past_limit_refused_stream_usable(s):
    conns = logins(s, "alice", 3)
    c = authed(s, "alice")
    mark = s.mark()
    refused(bind(c, "fourth"))
    s.wait_log(r"bind by alice@example.org refused: 3 sessions, the "
               r"limit is 3", after=mark)
    # A server-generated resource is no way around it (section 7.6.2.1).
    refused(bind(c, None, "b2"))
    # Others are not limited by alice's sessions.
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "r0")
    # The three sessions are intact; once one goes, the refused stream
    # binds.
    for i, a in enumerate(conns):
        ping(a, "a%d" % i)
    close(s, conns.pop(), "alice@example.org/r2")
    bound(bind(c, "again", "b3"), "alice@example.org/again")
    ping(c, "ok")
    for a in conns + [c, b]:
        a.close()


def test_replacing_a_resource_does_not_count(s):
    conns = logins(s, "carol", 3)
    c = authed(s, "carol")
    bound(bind(c, "r1"), "carol@example.org/r1")
    conns[1].expect(r"<stream:error><conflict ")
    ping(c)
    # Still three: one more is refused.
    d = authed(s, "carol")
    refused(bind(d))
    for a in (conns[0], conns[2], c, d):
        a.close()


def enable(c):
    c.send("<enable xmlns='%s' resume='true'/>" % SM)
    m = c.expect(r"<enabled [^>]*/>").group(0)
    return re.search(r"id='([^']+)'", m).group(1)


def test_session_waiting_for_resumption_counts(s):
    conns = logins(s, "dave", 2)
    a = Raw(s.ports["client"])
    ja = a.login("dave", "dave-pw", "phone")
    sid = enable(a)
    # The connection drops without </stream:stream>: the session waits.
    mark = s.mark()
    a.sock.shutdown(socket.SHUT_RDWR)
    a.close()
    s.wait_log(r"session %s detached" % re.escape(ja), after=mark)
    c = authed(s, "dave")
    refused(bind(c, "laptop"))
    # Resuming it takes no new place.
    r = authed(s, "dave")
    r.send("<resume xmlns='%s' previd='%s' h='0'/>" % (SM, sid))
    r.expect(r"<resumed xmlns='%s' previd='%s'" % (SM, sid))
    ping(r, "resumed")
    refused(bind(c, "laptop", "b2"))
    # Once it ends, its place is free.
    close(s, r, ja)
    bound(bind(c, "laptop", "b3"), "dave@example.org/laptop")
    for x in conns + [c]:
        x.close()


def test_lower_limit_after_reload_applies_to_new_binds(s):
    good = open(s.conf).read()
    conns = logins(s, "erin", 3)
    try:
        s.write_conf(raw=good.replace(LIMIT % 3, LIMIT % 2))
        mark = s.mark()
        s.ctl("reload")
        s.wait_log(r"configuration reloaded", after=mark)
        for i, a in enumerate(conns):
            ping(a, "e%d" % i)
        c = authed(s, "erin")
        refused(bind(c, "new"))
        close(s, conns.pop(), "erin@example.org/r2")
        refused(bind(c, "new", "b2"))
        close(s, conns.pop(), "erin@example.org/r1")
        bound(bind(c, "new", "b3"), "erin@example.org/new")
        conns.append(c)
    finally:
        s.write_conf(raw=good)
        s.ctl("reload")
    for a in conns:
        a.close()


def test_bad_binds_are_not_sessions(s):
    """A refused bind, a bad resource and a dropped stream leave the
    count where it was."""
    conns = logins(s, "frank", 2)
    c = authed(s, "frank")
    ans = bind(c, "\ue000x")
    assert "<bad-request " in ans and "type='modify'" in ans, ans
    bound(bind(c, "third", "b2"), "frank@example.org/third")
    d = authed(s, "frank")
    refused(bind(d))
    d.close()
    # Binding again and again is refused each time, and costs nothing.
    e = authed(s, "frank")
    for i in range(50):
        refused(bind(e, "x%d" % i, "h%d" % i))
    ans = bind(e, "y" * 1100, "long")
    assert "<bad-request " in ans, ans
    close(s, c, "frank@example.org/third")
    bound(bind(e, "x", "b3"), "frank@example.org/x")
    ping(e)
    for a in conns + [e]:
        a.close()


def test_print_config(s):
    p = subprocess.run([XMPPD, "-nn", "-f", s.conf], capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr
    assert "\tsessions per user 3\n" in p.stdout, p.stdout


def test_default_is_10(_):
    t = Server(prefork=1)
    try:
        p = subprocess.run([XMPPD, "-nn", "-f", t.conf], capture_output=True,
                           text=True)
        assert p.returncode == 0 and \
            "\tsessions per user 10\n" in p.stdout, p.stdout + p.stderr
        t.start()
        add_user(t, "gina@example.org", "gina-pw")
        conns = logins(t, "gina", 10)
        c = authed(t, "gina")
        refused(bind(c))
        for a in conns + [c]:
            a.close()
    finally:
        t.stop()


def test_ldap_domain_limited(_):
    ldap = Slapd()
    t = Server(prefork=1)
    try:
        ldap.start()
        ldap.add_user("hugo", "hugo-pw")
        block = ('ldap "dir" {\n\tserver "ldaps://localhost:%d"\n'
                 '\tbind "%s" password "%s"\n\tbase "%s"\n'
                 '\tfilter "(cn=%%u)"\n\tca "%s"\n}\n'
                 % (ldap.ldaps_port, ldap.service_dn, ldap.service_pw,
                    ldap.base, ldap.ca))
        t.write_conf(raw=block + t.base_conf().replace(
            "auth internal", 'auth ldap "dir"') + LIMIT % 2)
        t.start()
        conns = logins(t, "hugo", 2)
        c = authed(t, "hugo")
        refused(bind(c))
        close(t, conns.pop(), "hugo@example.org/r1")
        bound(bind(c, "r9", "b2"), "hugo@example.org/r9")
        for a in conns + [c]:
            a.close()
    finally:
        t.stop()
        ldap.close()
