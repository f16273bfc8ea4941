"""The wall clock stepping forward by 36 hours and back, on xmppd alone,
under load.

libfaketime is preloaded into xmppd (LD_PRELOAD; every child inherits it
through execv(3) and loads it before its chroot and seccomp filter).
The children are sandboxed, so the fake time cannot come from a file
read at each call (open(2) is refused, and the path is outside the
chroot): it is FAKETIME="+36h" made active from FAKETIME_START_AFTER
to FAKETIME_STOP_AFTER seconds of run time, counted from a start time
libfaketime keeps in shared memory that the first process (the parent)
creates and its children map before their chroot: every process of
xmppd, a restarted one too, steps at the same moment.  CLOCK_MONOTONIC
is left alone (FAKETIME_DONT_FAKE_MONOTONIC), as a real step (NTP, an
admin's date -s) leaves it.  The test itself and the clients keep the
machine's clock.

Checked across both steps: sessions stay up and exchange acknowledged
messages; a session detached for stream management stays resumable
(its timeout is monotonic); logins and TLS work; the archive keeps every
message once, in the order sent, paged by id across the steps whatever
their stamps; an address refused for too many auth failures while the
clock was ahead is not locked out for the 36 hours the clock went back.
"""

import calendar
import os
import re
import socket
import time
import xml.etree.ElementTree as ET

import faultload
from rawxmpp import Raw
from xmppdtest import Server, add_user, free_port

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
NS_SM = "urn:xmpp:sm:3"
NS_MAM = "urn:xmpp:mam:2"
STEP = 36 * 3600
# Seconds of xmppd's run time: the forward step, then the step back;
# the load is up before the first.
FORWARD_AT = 240
BACK_AT = 330
USERS = ("alice", "bob", "carol", "dave")
# Auth failures: few and a short period, so that the lock-out ends
# within the test.
AUTH_MAX = 3
AUTH_PERIOD = 10


def setup():
    assert os.path.exists(LIBFAKETIME), "faketime is not installed"
    up = free_port()
    s = faultload.release(Server(prefork=2))
    load_conf = faultload.config(up)
    assert "auth failures 1000 per 1s" in load_conf
    s.write_conf(raw=s.base_conf() + load_conf.replace(
        "auth failures 1000 per 1s",
        "auth failures %d per %ds" % (AUTH_MAX, AUTH_PERIOD)))
    env = {"LD_PRELOAD": LIBFAKETIME, "FAKETIME": "+%d" % STEP,
           "FAKETIME_START_AFTER_SECONDS": str(FORWARD_AT),
           "FAKETIME_STOP_AFTER_SECONDS": str(BACK_AT),
           "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    s.started_at = time.time()
    s.start(env=env)
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    s.load = faultload.Load(s, upload_port=up).begin(FORWARD_AT - 60)
    print("# load: %d xmppload sessions, %d checker clients, uploads"
          % (s.load.users(), len(s.load.checker.clients)), flush=True)
    s.archived = []
    return s


def teardown(s):
    if getattr(s, "load", None) is not None:
        s.load.end()
    s.stop()


def server_time(c, i):
    """The server's clock (XEP-0202), in seconds since the epoch."""
    c.send("<iq type='get' id='%s' to='example.org'><time xmlns='urn:xmpp:"
           "time'/></iq>" % i)
    m = c.expect(r"<iq[^>]*id='%s'.*?<utc>([^<]+)</utc>" % i)
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ"))


def wait_offset(c, want, timeout, also=()):
    """Ask the server's time until it is `want` seconds off ours; the
    clients in also ping meanwhile, as live clients do."""
    deadline = time.monotonic() + timeout
    n = 0
    while True:
        n += 1
        for o in also:
            o.send("<iq type='get' id='k%d' to='example.org'><ping xmlns="
                   "'urn:xmpp:ping'/></iq>" % n)
            o.expect(r"<iq[^>]*id='k%d'" % n)
        off = server_time(c, "t%d" % n) - time.time()
        if abs(off - want) < 600:
            return off
        assert time.monotonic() < deadline, \
            "server clock off by %d s, not %d" % (off, want)
        # The step comes at a fixed run time: ask again shortly.
        c.quiet(0.5)


def sm_login(s, user, res):
    c = Raw(s.ports["client"])
    jid = c.login(user, user + "-pw", res)
    c.send("<enable xmlns='%s' resume='true'/>" % NS_SM)
    m = c.expect(r"<enabled [^>]*/>").group(0)
    return c, jid, re.search(r"id='([^']+)'", m).group(1)


def send_acked(s, a, jb, b, tag, n=3):
    """a sends n archived messages to jb; b (when connected) gets each
    once; a gets them all acknowledged."""
    a.send("<r xmlns='%s'/>" % NS_SM)
    h0 = int(a.expect(r"<a xmlns='%s' h='(\d+)'/>" % NS_SM).group(1))
    for i in range(n):
        mid = "%s-%d" % (tag, i)
        a.send("<message to='%s' id='%s' type='chat'><body>%s</body>"
               "</message>" % (jb, mid, mid))
        s.archived.append(mid)
    a.send("<r xmlns='%s'/>" % NS_SM)
    h = int(a.expect(r"<a xmlns='%s' h='(\d+)'/>" % NS_SM).group(1))
    assert h == h0 + n, (h0, h)
    if b is not None:
        got = b.expect(r"^(.*?id='%s-%d'.*?</message>)" % (tag, n - 1),
                       timeout=30).group(1)
        ids = re.findall(r"<message[^>]*id='(%s-\d+)'" % tag, got)
        assert ids == ["%s-%d" % (tag, i) for i in range(n)], got


def cut(s, c, jid):
    mark = s.mark()
    c.sock.shutdown(socket.SHUT_RDWR)
    c.close()
    s.wait_log(r"session %s detached" % re.escape(jid), after=mark)


def resume(s, user, sid, h):
    c = Raw(s.ports["client"])
    c.starttls()
    c.header()
    assert c.auth_plain(user, user + "-pw").group(1) == "success"
    c.header()
    c.send("<resume xmlns='%s' previd='%s' h='%d'/>" % (NS_SM, sid, h))
    c.expect(r"<resumed xmlns='%s' previd='%s'" % (NS_SM, sid))
    return c


def auth_fail(port, source):
    r = Raw(port, source=source)
    try:
        r.starttls()
        r.header()
        return r.auth_plain("dave", "wrong").group(0)
    finally:
        r.close()


def auth_ok(port, source):
    r = Raw(port, source=source)
    try:
        r.starttls()
        r.header()
        return r.auth_plain("dave", "dave-pw").group(1) == "success"
    finally:
        r.close()


def archive(c, jid):
    """alice's whole archive with jid, paged two by two by id: a list of
    (id, stamp, body)."""
    out = []
    after = None
    for n in range(100):
        rsm = "<set xmlns='http://jabber.org/protocol/rsm'><max>2</max>%s" \
              "</set>" % ("<after>%s</after>" % after if after else "")
        c.send("<iq type='set' id='q%d'><query xmlns='%s' queryid='p%d'>"
               "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'"
               " type='hidden'><value>%s</value></field><field var='with'>"
               "<value>%s</value></field></x>%s</query></iq>"
               % (n, NS_MAM, n, NS_MAM, jid, rsm))
        m = c.expect(r"^(.*?)<iq[^>]*id='q%d'[^>]*>(.*?)</iq>" % n)
        for chunk in re.findall(r"<message[^>]*><result .*?</result>"
                                r"</message>", m.group(1), re.S):
            res = ET.fromstring(chunk).find("{%s}result" % NS_MAM)
            assert res.get("queryid") == "p%d" % n, chunk
            fwd = res.find("{urn:xmpp:forward:0}forwarded")
            body = fwd.find("{jabber:client}message").find(
                "{jabber:client}body")
            out.append((res.get("id"), fwd.find("{urn:xmpp:delay}delay").get(
                "stamp"), body.text))
        if "complete='true'" in m.group(2):
            return out
        after = re.search(r"<last>([^<]+)</last>", m.group(2)).group(1)
    raise AssertionError("archive never complete")


def test_steps(s):
    a, ja, _ = sm_login(s, "alice", "clock")
    b, jb, bsid = sm_login(s, "bob", "clock")
    wait_offset(a, 0, 5)
    send_acked(s, a, jb, b, "before")
    # bob detached across the forward step: the step must not expire it.
    b.send("<r xmlns='%s'/>" % NS_SM)
    cut(s, b, jb)
    bh = 3          # the three messages

    # Forward.
    assert time.time() - s.started_at < FORWARD_AT - 5, \
        "setup took too long for the schedule"
    wait_offset(a, STEP, FORWARD_AT + 30)
    s.load.checker.wait_progress(n=3, timeout=60)
    send_acked(s, a, jb, None, "ahead")
    b = resume(s, "bob", bsid, bh)
    got = b.expect(r"^(.*?id='ahead-2'.*?</message>)").group(1)
    assert re.findall(r"id='(ahead-\d)'", got) == \
        ["ahead-0", "ahead-1", "ahead-2"], got
    # A new login, with TLS: the certificate is still within its dates.
    c = Raw(s.ports["client"])
    c.login("carol", "carol-pw", "ahead")
    c.close()
    # An address over its auth failures while the clock is ahead.
    for _ in range(AUTH_MAX):
        assert "<failure" in auth_fail(s.ports["client"], "127.0.0.2")
    assert not auth_ok(s.ports["client"], "127.0.0.2")

    # Back.
    wait_offset(a, 0, BACK_AT - FORWARD_AT + 60, also=(b,))
    stepped_back = time.monotonic()
    send_acked(s, a, jb, b, "back")
    # The lock-out lasts its period, not the hours the clock went back.
    while not auth_ok(s.ports["client"], "127.0.0.2"):
        assert time.monotonic() - stepped_back < AUTH_PERIOD + 20, \
            "127.0.0.2 still refused %d s after the step back" % (
                time.monotonic() - stepped_back)
        a.quiet(1)
    s.load.checker.wait_progress(n=3, timeout=60)
    # Everything archived once, in the order sent, whatever the stamps.
    got = archive(a, "bob@example.org")
    bodies = [body for _, _, body in got]
    assert bodies == s.archived, (bodies, s.archived)
    ids = [i for i, _, _ in got]
    assert len(set(ids)) == len(ids), ids
    # Stamped by the clock of their time: those sent ahead are later
    # than those sent after the step back.
    stamps = dict((body, stamp) for _, stamp, body in got)
    assert stamps["ahead-0"] > stamps["back-0"], stamps
    a.close()
    b.close()


def test_load_outcome(s):
    """The load ran through both steps: what was acknowledged is
    delivered or archived exactly once, the database intact."""
    s.load.outcome(s)
