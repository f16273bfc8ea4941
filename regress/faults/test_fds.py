"""A stream process out of file descriptors, under load: xmppd runs with
a descriptor limit (RLIMIT_NOFILE, as a low LimitNOFILE= or ulimit -n
leaves it; lowering a running child's with prlimit(2) needs
CAP_SYS_RESOURCE, which a test host may not give) and idle connections
fill what the load leaves of it.
Accepting pauses and says so once, the connections beyond wait in the
listen backlog, the sessions already there go on (messages delivered
and acknowledged), and when descriptors are free again accepting resumes
on its own: the connections that waited are served and log in."""

import os
import re
import resource
import socket

import faultload
from rawxmpp import Raw
from xmppdtest import Server, add_user, free_port

NS_SM = "urn:xmpp:sm:3"
USERS = ("alice", "bob", "carol")


# Each process of xmppd may have this many descriptors open: room for
# the load's sessions, which all land on the one stream process.
NOFILE = 2048


def setup():
    # One stream process, so that its listener alone accepts.
    up = free_port()
    s = faultload.release(Server(prefork=1))
    s.write_conf(raw=s.base_conf() + faultload.config(up))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, hard))
    try:
        s.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    for u in USERS:
        add_user(s, "%s@example.org" % u, u + "-pw")
    s.load = faultload.Load(s, upload_port=up).begin()
    print("# load: %d xmppload sessions, %d checker clients, uploads"
          % (s.load.users(), len(s.load.checker.clients)), flush=True)
    return s


def teardown(s):
    if getattr(s, "load", None) is not None:
        s.load.end()
    s.stop()


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def sm_session(s, user, res):
    c = Raw(s.ports["client"])
    jid = c.login(user, user + "-pw", res)
    c.send("<enable xmlns='%s' resume='true'/>" % NS_SM)
    c.expect(r"<enabled [^>]*/>")
    return c, jid


def exchange(a, b, jb, tag, n=5):
    """a sends n messages to b (jb): b gets each once, a gets every one
    acknowledged."""
    for i in range(n):
        a.send("<message to='%s' id='%s-%d' type='chat'><body>%s %d"
               "</body></message>" % (jb, tag, i, tag, i))
    got = b.expect(r"^(.*?id='%s-%d'.*?</message>)" % (tag, n - 1),
                   timeout=30).group(1)
    ids = re.findall(r"<message[^>]*id='(%s-\d+)'" % tag, got)
    assert ids == ["%s-%d" % (tag, i) for i in range(n)], got
    a.send("<r xmlns='%s'/>" % NS_SM)
    h = int(a.expect(r"<a xmlns='%s' h='(\d+)'/>" % NS_SM).group(1))
    return h


def test_accept_pauses_sessions_continue_accept_resumes(s):
    a, ja = sm_session(s, "alice", "fd")
    b, jb = sm_session(s, "bob", "fd")
    h0 = exchange(a, b, jb, "before")
    pid = s.pid_of("stream", 0)
    assert int(open("/proc/%d/limits" % pid).read().split(
        "Max open files")[1].split()[0]) == NOFILE
    # What the load leaves, and a few more: those stay in the backlog.
    room = NOFILE - nfds(pid)
    assert room > 0, room
    fillers = []
    try:
        mark = s.mark()
        for _ in range(room + 4):
            f = socket.create_connection(("127.0.0.1", s.ports["client"]))
            fillers.append(f)
        s.wait_log(r"stream 0\[\d+\]: out of file descriptors, connections "
                   r"wait", after=mark, timeout=30)
        # A client now: connected (the kernel's backlog) but not served.
        late = Raw(s.ports["client"])
        late.send("<?xml version='1.0'?><stream:stream to='example.org' "
                  "version='1.0' xmlns='jabber:client' xmlns:stream="
                  "'http://etherx.jabber.org/streams'>")
        assert late.quiet(2), late.buf
        # Those logged in before go on, both ways, acknowledged.
        h1 = exchange(a, b, jb, "during")
        assert h1 == h0 + 5, (h0, h1)
        exchange(b, a, ja, "back")
        s.load.checker.wait_progress(n=3, timeout=60)
        assert s.log_has(r"stream 0\[\d+\]: out of file descriptors",
                         after=mark)
        # Descriptors free again: the late client is served on its own.
        for f in fillers:
            f.close()
        fillers = []
        late.expect(r"<stream:features>.*?</stream:features>", timeout=30)
        s.wait_log(r"stream 0\[\d+\]: accepting connections again",
                   after=mark)
        late.close()
        c = Raw(s.ports["client"])
        c.login("carol", "carol-pw", "after")
        c.close()
        # Said once a pause, not every second it lasted: the load's own
        # connections come and go, so accepting may resume and pause
        # again, but never pauses twice without resuming between.
        said = [l for l in s.lines[mark:] if "out of file descriptors" in l
                or "accepting connections again" in l]
        paused = ["out of file descriptors" in l for l in said]
        assert paused[0] and not paused[-1], said
        assert all(a != b for a, b in zip(paused, paused[1:])), said
    finally:
        for f in fillers:
            f.close()
    exchange(a, b, jb, "after")
    a.close()
    b.close()


def test_load_outcome(s):
    """The load ran through it: what was acknowledged is delivered or
    archived exactly once, the database intact."""
    s.load.outcome(s)
