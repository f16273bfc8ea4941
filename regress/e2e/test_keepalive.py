"""Dead connections: a quiet client is pinged (XEP-0199); one that
answers stays, one that does not is closed.  Regress builds use 8 s of
quiet and 4 s to answer instead of 5 minutes and 1 minute."""


from rawxmpp import Raw
from xmppdtest import started


def setup():
    return started(("alice",), prefork=1)


def teardown(s):
    s.stop()


def test_answered_ping_keeps_the_session(s):
    r = Raw(s.ports["client"])
    r.login("alice", "alice-pw", "live")
    m = r.expect(r"<iq type='get' id='([^']+)' from='example.org' "
                 r"to='alice@example.org/live'><ping xmlns='urn:xmpp:ping'"
                 r"/></iq>", timeout=30)
    r.send("<iq type='result' id='%s' to='example.org'/>" % m.group(1))
    # Answered: the next thing is another ping, not a stream error.
    r.expect(r"<iq type='get' id='[^']+'[^>]*><ping", timeout=30)
    assert "stream:error" not in r.buf
    r.close()


def test_silent_client_is_closed(s):
    m = s.mark()
    r = Raw(s.ports["client"])
    r.login("alice", "alice-pw", "dead")
    r.expect(r"<ping xmlns='urn:xmpp:ping'/>", timeout=30)
    out = r.closed(timeout=30)
    assert "connection-timeout" in out, out
    # The router ends the session after the stream closed it.
    s.wait_log(r"session alice@example\.org/dead ended", after=m)
    assert "alice@example.org/dead" not in s.ctl("show", "sessions").stdout
