"""A service daemon (uploadd, mucd) killed while it holds a client's IQ
request: the router answers it <service-unavailable/> (RFC 6120 8.2.3:
every IQ get or set is answered), never leaves it waiting; a request
already answered gets nothing more; the daemon restarted answers the
next."""

import os
import re
import signal

from rawxmpp import Raw
from xmppdtest import Server, add_user, free_port

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
