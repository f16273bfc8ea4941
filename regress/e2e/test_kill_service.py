"""A service daemon (uploadd, mucd) killed while it holds a client's IQ
request: the router answers it <service-unavailable/> (RFC 6120 8.2.3:
every IQ get or set is answered), never leaves it waiting; a request
already answered gets nothing more; the daemon restarted answers the
next.  A slot uploadd granted before it was killed is still good."""

import html
import os
import re
import signal
import subprocess

from rawxmpp import Raw
from xmppdtest import Server, add_user, certs, free_port, TIMEOUT

UP = "upload.example.org"
MUC = "conference.example.org"


def setup():
    s = Server(prefork=1)
    s.port = free_port()
    s.write_conf(raw=s.base_conf() +
                 'upload "%s" {\n\tlisten on 127.0.0.1 port %d tls\n'
                 '\turl "https://%s:%d"\n\tmax size 1M\n}\n'
                 'muc "%s" {\n}\n' % (UP, s.port, UP, s.port, MUC))
    s.start()
    add_user(s, "alice@example.org", "alice-pw")
    s.c = Raw(s.ports["client"])
    s.c.login("alice", "alice-pw", "desk")
    return s


def teardown(s):
    s.c.close()
    s.stop()


def slot(i):
    return ("<iq type='get' id='%s' to='%s'><request xmlns='urn:xmpp:"
            "http:upload:0' filename='f.bin' size='10'/></iq>" % (i, UP))


def disco(i):
    return ("<iq type='get' id='%s' to='%s'><query xmlns='http://jabber."
            "org/protocol/disco#info'/></iq>" % (i, MUC))


def answer(c, i):
    return c.expect(r"<iq[^>]*id='%s'[^>]*(?:/>|>.*?</iq>)" % i).group(0)


def killed_holding(s, name, request):
    """Stop the daemon, send it request, kill it: returns the answer
    and waits until it is back."""
    pid = s.pid_of(name)
    os.kill(pid, signal.SIGSTOP)
    mark = s.mark()
    s.c.send(request)
    # The router has handed it on: the daemon's link holds it.
    s.c.send("<iq type='get' id='ping-%s'><ping xmlns='urn:xmpp:ping'/>"
             "</iq>" % name)
    answer(s.c, "ping-%s" % name)
    os.kill(pid, signal.SIGKILL)
    s.wait_log(r"^%s 0 \(pid %d\) killed by signal 9" % (name, pid),
               after=mark)
    s.wait_log(r"^%s 0 ready" % name, after=mark)
    return mark


def test_uploadd_death_answers_its_slot_request(s):
    killed_holding(s, "uploadd", slot("held"))
    got = answer(s.c, "held")
    assert "type='error'" in got and "<service-unavailable " in got, got
    assert "from='%s'" % UP in got, got
    # The restarted uploadd gives slots again.
    s.c.send(slot("next"))
    got = answer(s.c, "next")
    assert "type='result'" in got and "<put " in got, got


def test_mucd_death_answers_its_request(s):
    killed_holding(s, "mucd", disco("held-muc"))
    got = answer(s.c, "held-muc")
    assert "type='error'" in got and "<service-unavailable " in got, got
    s.c.send(disco("next-muc"))
    got = answer(s.c, "next-muc")
    assert "type='result'" in got, got


def test_answered_request_gets_no_second_answer(s):
    s.c.send(slot("done"))
    assert "type='result'" in answer(s.c, "done")
    s.c.send(disco("done-muc"))
    assert "type='result'" in answer(s.c, "done-muc")
    for name in ("uploadd", "mucd"):
        pid = s.pid_of(name)
        mark = s.mark()
        os.kill(pid, signal.SIGKILL)
        s.wait_log(r"^%s 0 ready" % name, after=mark)
    # Everything the router sends this session comes before the answer
    # to a ping sent after both deaths: no error for the answered ones.
    s.c.send("<iq type='get' id='after'><ping xmlns='urn:xmpp:ping'/></iq>")
    m = s.c.expect(r"(?s)^(.*?)<iq[^>]*id='after'")
    assert not re.search(r"id='done(?:-muc)?'", m.group(1)), m.group(1)


def curl(s, url, *args, data=None):
    """The status of one request to uploadd, and the body."""
    p = subprocess.run(["curl", "-sS", "--http1.1", "--cacert", certs()[0],
                        "--resolve", "%s:%d:127.0.0.1" % (UP, s.port),
                        "--max-time", "20", "-o", "-", "-w",
                        "\n%{http_code}"] + list(args) + [url],
                       input=data, capture_output=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    body, _, status = p.stdout.rpartition(b"\n")
    return int(status), body


def test_slot_granted_survives_uploadd_death(s):
    s.c.send(slot("kept"))
    got = answer(s.c, "kept")
    put = html.unescape(re.search(r"<put[^>]*url='([^']*)'", got).group(1))
    get = html.unescape(re.search(r"<get[^>]*url='([^']*)'", got).group(1))
    pid = s.pid_of("uploadd")
    mark = s.mark()
    os.kill(pid, signal.SIGKILL)
    s.wait_log(r"^uploadd 0 ready", after=mark)
    assert not s.log_has(r"slot \w+ of alice@example.org removed",
                         after=mark)
    status, _ = curl(s, put, "-X", "PUT", "-H",
                     "Content-Type: application/octet-stream",
                     "--data-binary", "@-", data=b"0123456789")
    assert status == 201, status
    assert curl(s, get) == (200, b"0123456789")
