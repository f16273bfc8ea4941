"""The LDAP directory going away and coming back, under load.

xmppd serves example.org (internal accounts: the load) and
dir.example.org (auth ldap, on a slapd of its own).  slapd is stopped
for a while, three times, and started again on the same ports.  While
it is gone a login to dir.example.org fails quickly with a SASL
temporary-auth-failure (RFC 6120 section 6.5.12: the client may try
again), not a wrong-password answer and not a hang; sessions of
dir.example.org that were logged in stay up and exchange messages;
example.org's load goes on untouched.  When slapd is back, logins work
again without any process of xmppd restarted.  Nothing acknowledged is
lost or taken twice; the database is intact.
"""

import re
import time

import faultload
from faultload import figure
from rawxmpp import Raw
from slapd import Slapd
from xmppdtest import Server, free_port

DOMAIN = "dir.example.org"
ROUNDS = 3
DOWN = 8            # seconds slapd stays away
LDAP_TIMEOUT = 3    # the ldap block's timeout


class Ctx:
    pass


def setup():
    c = Ctx()
    c.figures = []
    c.ldap = Slapd()
    c.ldap.start()
    for u in ("lu0", "lu1", "lu2"):
        c.ldap.add_user(u, u + "-pw")
    c.up = free_port()
    c.s = faultload.release(Server(prefork=2))
    c.log_tail = c.s.log_tail
    c.s.write_conf(raw=(
        'ldap "dir" {\n\tserver "ldaps://localhost:%d"\n'
        '\tbind "%s" password "%s"\n\tbase "%s"\n'
        '\tfilter "(cn=%%u)"\n\tca "%s"\n\ttimeout %ds\n}\n'
        % (c.ldap.ldaps_port, c.ldap.service_dn, c.ldap.service_pw,
           c.ldap.base, c.ldap.ca, LDAP_TIMEOUT) +
        c.s.base_conf() + faultload.config(c.up) +
        'domain "%s" {\n\tauth ldap "dir"\n}\n' % DOMAIN))
    c.s.start()
    c.load = faultload.Load(c.s, upload_port=c.up).begin()
    figure(c, "load: %d xmppload sessions, %d checker clients, uploads; "
           "an LDAP domain beside" % (c.load.users(),
                                       len(c.load.checker.clients)))
    return c


def teardown(c):
    if getattr(c, "load", None) is not None:
        c.load.end()
    c.s.stop()
    c.ldap.close()
    print("# figures:\n" + "\n".join("#   " + f for f in c.figures))


def ldap_login(c, user, res):
    r = Raw(c.s.ports["client"])
    r.starttls(DOMAIN)
    r.header(DOMAIN)
    t0 = time.monotonic()
    m = r.auth_plain(user, user + "-pw")
    return r, m, time.monotonic() - t0


def bound(c, user, res):
    r, m, _ = ldap_login(c, user, res)
    assert m.group(1) == "success", m.group(0)
    r.header(DOMAIN)
    jid = re.search(r"<jid>([^<]*)</jid>", r.bind(res).group(0)).group(1)
    return r, jid


def chat(a, b, jb, tag):
    a.send("<message to='%s' id='%s' type='chat'><body>%s</body>"
           "</message>" % (jb, tag, tag))
    b.expect(r"<message[^>]*id='%s'" % tag, timeout=30)


def pids(c):
    return dict(((p["name"], p["instance"]), p["pid"])
                for p in c.s.processes())


def test_slapd_away_and_back(c):
    a, ja = bound(c, "lu0", "stay")
    b, jb = bound(c, "lu1", "stay")
    chat(a, b, jb, "before")
    before = pids(c)
    for r in range(ROUNDS):
        c.load.checker.wait_progress(n=3, timeout=120)
        mark = c.s.mark()
        c.ldap.stop()
        try:
            # A login while it is away: told to come back later, soon.
            l, m, took = ldap_login(c, "lu2", "away")
            l.close()
            assert m.group(1) == "failure", m.group(0)
            assert "temporary-auth-failure" in m.group(0), m.group(0)
            assert took < 3 * LDAP_TIMEOUT + 10, took
            # Those logged in go on, and so does the load.
            chat(a, b, jb, "away%d" % r)
            chat(b, a, ja, "back%d" % r)
            c.load.checker.wait_progress(n=3, timeout=60)
            time.sleep(max(0, DOWN - took))
        finally:
            c.ldap.start()
        t0 = time.monotonic()
        # Back: a login works again, with nothing restarted.
        for n in range(60):
            l, m, _ = ldap_login(c, "lu2", "back")
            l.close()
            if m.group(1) == "success":
                break
            assert "temporary-auth-failure" in m.group(0), m.group(0)
            a.quiet(1)
        else:
            raise AssertionError("no LDAP login 60 tries after slapd "
                                 "came back")
        lines = sorted(set(re.sub(r"\[\d+\]", "", l).split(": ", 1)[-1][:90]
                           for l in c.s.lines[mark:]
                           if l.startswith("ldapauthd")))
        figure(c, "slapd away %ds (round %d): login refused with "
               "temporary-auth-failure in %.2fs; logins again %.1fs after "
               "it came back; ldapauthd said: %s" % (
                   DOWN, r + 1, took, time.monotonic() - t0,
                   "; ".join(lines)[:600]))
    assert pids(c) == before, (before, pids(c))
    chat(a, b, jb, "after")
    a.close()
    b.close()


def test_load_outcome(c):
    c.load.outcome(c.s, lambda text: figure(c, text))
