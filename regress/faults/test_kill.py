"""kill -9 of each process of xmppd in turn, repeatedly, under the steady
load of regress/lib/faultload.py, and what users see after each.

Leaves (stream processes, ldapauthd, mucd, uploadd, resolver, control):
the parent starts the process again; sessions on the other stream
processes go on without reconnecting; the killed stream's clients log in
again and resume their session when the router still holds it; rooms and
uploads work again; no acknowledged message is lost or taken twice.
Router and store: xmppd exits 1 by design; the test starts it again as
systemd's Restart=on-failure would, checks that service returns and
measures what was lost.  Every database is intact after each kill.
FAULT_ROUNDS (3) kills per process; FAULTLOAD_SCALE sizes the load.
The figures are printed for docs/FAULTS.md."""

import os
import re
import signal
import time

import faultload
from faultload import figure
from rawxmpp import Raw
from slapd import Slapd
from xmppdtest import Server, add_user, free_port

ROUNDS = int(os.environ.get("FAULT_ROUNDS", "3"))
PREFORK = 2
LDAP_DOMAIN = "dir.example.org"


class Ctx:
    pass


def conf(c):
    return ('ldap "dir" {\n\tserver "ldaps://localhost:%d"\n'
            '\tbind "%s" password "%s"\n\tbase "%s"\n'
            '\tfilter "(cn=%%u)"\n\tca "%s"\n\ttimeout 3s\n}\n'
            % (c.ldap.ldaps_port, c.ldap.service_dn, c.ldap.service_pw,
               c.ldap.base, c.ldap.ca) +
            c.s.base_conf() + faultload.config(c.up) +
            'domain "%s" {\n\tauth ldap "dir"\n}\n' % LDAP_DOMAIN)


def setup():
    c = Ctx()
    c.figures = []
    c.ldap = Slapd()
    c.ldap.start()
    c.ldap.add_user("lu0", "lu0-pw")
    c.up = free_port()
    c.s = faultload.release(Server(prefork=PREFORK))
    c.s.write_conf(raw=conf(c))
    c.s.start()
    c.log_tail = c.s.log_tail
    c.load = faultload.Load(c.s, upload_port=c.up)
    c.load.add_users()
    add_user(c.s, "probe@example.org", "probe-pw")
    c.load.start()
    c.load.wait_ready(600)
    figure(c, "load: %d xmppload sessions (%d idle, %d in message pairs, "
           "%d in a room), %d checker clients, uploads of 4 x 256 KiB"
           % (c.load.users(), c.load.idle, 2 * c.load.pairs,
              c.load.occupants, len(c.load.checker.clients)))
    return c


def teardown(c):
    for l in (getattr(c, "load", None), getattr(c, "load2", None)):
        if l is not None:
            l.end()
    c.s.stop()
    c.ldap.close()
    print("# figures:\n" + "\n".join("#   " + f for f in c.figures))


def sessions(c):
    """{full JID: stream instance} from xmppctl show sessions."""
    out = {}
    for line in c.s.ctl("show", "sessions").stdout.splitlines()[1:]:
        f = line.split()
        if len(f) > 1 and f[1].isdigit():
            out[f[0]] = int(f[1])
    return out


def kill(c, name, inst=0, pid=None):
    """kill -9 one leaf (pid, if known already); returns once the parent
    has started it again."""
    if pid is None:
        pid = c.s.pid_of(name, inst)
    mark = c.s.mark()
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    c.s.wait_log(r"^%s %d \(pid %d\) killed by signal 9" %
                 (name, inst, pid), after=mark)
    m = c.s.wait_log(r"^started %s %d, pid (\d+)" % (name, inst),
                     after=mark, timeout=90)
    assert int(m.group(1)) != pid
    assert c.s.pid_of(name, inst) == int(m.group(1))
    return mark, time.monotonic() - t0


def wait_all_progress(c, load, timeout=120):
    load.checker.wait_up(timeout)
    load.checker.wait_progress(n=3, timeout=timeout)


def test_streams_killed(c):
    ck = c.load.checker
    resumed = failed = 0
    for r in range(ROUNDS):
        for inst in range(PREFORK):
            wait_all_progress(c, c.load)
            on = sessions(c)
            mine = [cl for cl in ck.clients if on.get(cl.jid + "/ck") == inst]
            others = [cl for cl in ck.clients
                      if on.get(cl.jid + "/ck") not in (None, inst)]
            calm = [cl for cl in ck.senders() if cl in others and
                    ck.receiver_of(cl) in others]
            before = {cl.name: (cl.connects, len(cl.events))
                      for cl in ck.clients}
            _, took = kill(c, "stream", inst)
            # The other stream's sessions go on, never reconnected.
            if calm:
                ck.wait_progress(calm, n=3, timeout=60)
            for cl in others:
                assert cl.connects == before[cl.name][0], \
                    (cl.name, cl.events[-3:])
            # The killed stream's clients come back.
            wait_all_progress(c, c.load)
            for cl in mine:
                ev = [e for _, e in cl.events[before[cl.name][1]:]]
                resumed += "resumed" in ev
                failed += "resume failed" in ev
            figure(c, "stream %d killed (round %d): restarted in %.2fs, "
                   "%d checker clients on it, %d on the other stream "
                   "untouched" % (inst, r + 1, took, len(mine),
                                  len(others)))
    figure(c, "stream kills: %d checker sessions resumed, %d resumes "
           "refused" % (resumed, failed))


def ldap_login(c, resource="held"):
    r = Raw(c.s.ports["client"])
    r.login("lu0", "lu0-pw", resource, domain=LDAP_DOMAIN)
    return r


def ping(r, i):
    r.send("<iq type='get' id='%s'><ping xmlns='urn:xmpp:ping'/></iq>" % i)
    r.expect(r"<iq[^>]*id='%s'" % i)


def test_ldapauthd_killed(c):
    held = ldap_login(c)
    try:
        for r in range(ROUNDS):
            kill(c, "ldapauthd")
            # A session the directory let in stays; new logins work.
            ping(held, "p%d" % r)
            ldap_login(c, "new%d" % r).close()
            wait_all_progress(c, c.load)
    finally:
        held.close()
    figure(c, "ldapauthd killed %d times: LDAP sessions held, LDAP logins "
           "work after each restart" % ROUNDS)


def wait_loop(loop, field, before, timeout=180):
    if not loop.wait_for(lambda l: field(l) > before, timeout):
        raise AssertionError("%s: nothing new: %s" % (
            loop.summary(), "\n".join(loop.last)))


ROOM = "probe@conference.example.org"
MUC = "http://jabber.org/protocol/muc"


def muc_enter(r):
    """Enter (or create, as an instant room) ROOM; its subject follows
    the occupants and the history."""
    r.send("<presence to='%s/p'><x xmlns='%s'/></presence>" % (ROOM, MUC))
    m = r.expect(r"<presence[^>]*from='%s/p'.*?</presence>" % ROOM)
    if "status code='201'" in m.group(0):
        r.send("<iq type='set' id='inst' to='%s'><query xmlns='%s#owner'>"
               "<x xmlns='jabber:x:data' type='submit'/></query></iq>" %
               (ROOM, MUC))
        r.expect(r"<iq[^>]*id='inst'[^>]*type='result'|"
                 r"<iq[^>]*type='result'[^>]*id='inst'")


def muc_say(r, body):
    """A groupchat message; returns the echo or the error."""
    r.send("<message to='%s' type='groupchat' id='%s'><body>%s</body>"
           "</message>" % (ROOM, body, body))
    return r.expect(r"<message[^>]*(?:id='%s'|type='error')[^>]*>.*?"
                    r"</message>" % body).group(0)


def test_mucd_killed(c):
    """Rooms work again after each kill.  An occupant is not told at
    once (mucd.8, "Restarts"): its next message gets an error (no such
    room: the probe's is not persistent), and it enters again."""
    muc = c.load.loop("muc")
    probe = Raw(c.s.ports["client"])
    probe.login("probe", "probe-pw", "m")
    muc_enter(probe)
    assert "type='error'" not in muc_say(probe, "before")
    seen = []
    for r in range(ROUNDS):
        ready = muc.ready
        mark, _ = kill(c, "mucd")
        c.s.wait_log(r"^mucd 0 ready", after=mark)
        got = muc_say(probe, "after%d" % r)
        # The room is gone (an instant room is not persistent), or the
        # sender is no occupant of it any more.
        m = re.search(r"<(item-not-found|not-acceptable) xmlns='urn:ietf:"
                      r"params:xml:ns:xmpp-stanzas'", got)
        assert "type='error'" in got and m, got
        seen.append(m.group(1))
        muc_enter(probe)
        assert "type='error'" not in muc_say(probe, "again%d" % r)
        # The room's traffic stops; a new room is joined and talks.
        wait_loop(muc, lambda l: l.ready, ready + 1)
        wait_all_progress(c, c.load)
    probe.close()
    fails = [l for l in muc.last if l.startswith("fail")]
    figure(c, "mucd killed %d times: rooms joined again after each; an "
           "occupant's next message got %s, then it entered again; the "
           "room load saw: %s" % (ROUNDS, seen,
                                  fails[-1] if fails else "none"))


def upload_failures(c, load, what):
    """A figure of how the upload rounds that failed ended; the steps
    of any round the time limit cut, printed.  Returns how many were:
    each client gives up on its own, saying why, well before."""
    up = load.loop("upload")
    figure(c, "%s: upload rounds %s (0: every file put and read back); "
           "those that failed: %s" % (what, dict(up.exits), up.failures(
               faultload.upload_round_why) or "none"))
    cut = [lines for _, _, expired, lines in up.failed if expired]
    for lines in cut:
        print("# a round cut after %d s:\n#   %s" % (
            up.run_timeout, "\n#   ".join(lines)), flush=True)
    return len(cut)


# The steps of an upload round uploadd is killed at, in turn, by what
# the clients say (-v): uploadd is stopped (SIGSTOP) at the first line,
# when there is one, and killed at the second.  Stopped, it cannot
# answer the slot requests or the GET it holds before it dies.
UPLOAD_STEPS = (
    ("before the slot answers", r"^upslots \S+ session started",
     r"^upslots \S+ slot 3 asked"),
    ("mid-PUT", None, r"^httpload \S+ PUT \S+ TLS up"),
    ("mid-GET", r"^httpload \S+ GET \S+ TLS up",
     r"^httpload \S+ GET \S+ sent"),
)


def upload_step_kill(c, up, what, stop, at):
    """Stop uploadd when a round says stop (if not None), kill it when
    it says at; kill()'s mark, and the number of the round.  Its pid
    is read before: xmppctl would take longer than the step."""
    pid = c.s.pid_of("uploadd")
    since = up.nlines
    if stop is not None:
        if up.wait_line(stop, 180) is None:
            raise AssertionError("no round reached %s: %s" % (
                what, "\n".join(up.last)))
        os.kill(pid, signal.SIGSTOP)
    try:
        if up.wait_line(at, 180, since) is None:
            raise AssertionError("no round reached %s: %s" % (
                what, "\n".join(up.last)))
        run = up.runs
    finally:
        mark, _ = kill(c, "uploadd", pid=pid)
    return mark, run


def test_uploadd_killed(c):
    """uploadd killed as a round reaches each step in turn: the round
    ends on its own (its slot requests answered, its connections
    closed), and the next one puts and reads back every file."""
    up = c.load.loop("upload")
    since = up.runs
    seen = []
    for r in range(ROUNDS):
        what, stop, at = UPLOAD_STEPS[r % len(UPLOAD_STEPS)]
        mark, run = upload_step_kill(c, up, what, stop, at)
        # The round going on ends (the next begins), then one works.
        wait_loop(up, lambda l: l.runs, run)
        wait_loop(up, lambda l: l.exits[0], up.exits[0])
        ends = [(expired, lines) for n, _, expired, lines in up.failed
                if n == run]
        if ends:
            # Its every step, and what uploadd said meanwhile.
            print("# the round uploadd was killed in, %s:\n#   %s\n"
                  "# uploadd's log since:\n#   %s" % (
                      what, "\n#   ".join(ends[0][1]), "\n#   ".join(
                          [l for l in c.s.lines[mark:]
                           if "uploadd" in l][:40])), flush=True)
        assert not ends or not ends[0][0], ends
        seen.append("%s: %s" % (what, faultload.upload_round_why(
            ends[0][1]) if ends else "completed"))
    figure(c, "uploadd killed %d times, as a round reached a step: %s; "
           "upload rounds %s (0: every file put and read back); those "
           "that failed since the first kill: %s" % (
               ROUNDS, "; ".join(seen), dict(up.exits), up.failures(
                   faultload.upload_round_why, since) or "none"))


def test_resolver_and_control_killed(c):
    for r in range(ROUNDS):
        for name in ("resolver", "control"):
            kill(c, name)
            wait_all_progress(c, c.load)
    figure(c, "resolver and control killed %d times each: restarted, "
           "sessions untouched" % ROUNDS)


def test_leaf_kills_lose_nothing(c):
    c.load.stop()
    res = c.load.checker.verify()
    figure(c, "after the leaf kills: " + res.summary())
    figure(c, c.load.summary().replace("\n", "; "))
    assert upload_failures(c, c.load, "over the leaf kills") == 0
    res.assert_exactly_once()
    figure(c, "accounts readable, databases intact: %d accounts" %
           faultload.integrity(c.s))


def restart_on_failure(c, name):
    """kill -9 the router or the store: xmppd exits 1; start it again
    as a service manager would.  Returns the seconds without service."""
    pid = c.s.pid_of(name)
    mark = c.s.mark()
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    c.s.wait_log(r"%s is gone: shutting down" % name, after=mark)
    assert c.s.proc.wait(timeout=60) == 1
    c.s.reader.join(timeout=60)
    with c.s.cond:
        c.s.lines = []
    c.s.start()
    return time.monotonic() - t0


def test_router_and_store_killed(c):
    c.load2 = load = faultload.Load(c.s, upload_port=c.up,
                                    prefix="cr").begin()
    marks = []
    for r in range(ROUNDS):
        for name in ("router", "store"):
            wait_all_progress(c, load)
            acked = load.checker.acked_total()
            marks.append(("%s %d" % (name, r + 1), {
                cl.name: cl.seq for cl in load.checker.senders()}))
            down = restart_on_failure(c, name)
            faultload.integrity(c.s)
            t0 = time.monotonic()
            wait_all_progress(c, load, timeout=180)
            figure(c, "%s killed (round %d): xmppd exited 1, started again "
                   "in %.2fs, every checker sending and receiving %.1fs "
                   "later (%d acknowledged before)" %
                   (name, r + 1, down, time.monotonic() - t0, acked))
    load.stop()
    res = load.checker.verify()
    c.router_store = res
    figure(c, "after the router and store kills: " + res.summary())
    # A lost message was sent before the first kill that followed it.
    per = dict((label, 0) for label, _ in marks)
    for key in res.lost:
        who, n = key.split(":")
        for label, seqs in marks:
            if seqs[who] >= int(n):
                per[label] += 1
                break
    figure(c, "acknowledged and lost, by the kill that followed: %s" %
           ", ".join("%s: %d" % kv for kv in per.items()))
    figure(c, load.summary().replace("\n", "; "))
    cut = upload_failures(c, load, "over the router and store kills")
    figure(c, "databases intact: %d accounts" % faultload.integrity(c.s))
    assert not res.twice, res.summary()
    assert cut == 0
