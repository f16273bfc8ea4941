"""Messages from another server and the message archive: a remote
sender has no archive here, so a message that its local recipient does
not keep goes at once, without the store; one the recipient keeps is
archived as a local user's would be."""

import os
import signal
import sys

from rawxmpp import Raw
from federation import Federation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_s2s import _chat  # noqa: E402

# a.test archives every message (the default), b.test none.
ARCHIVE = {"a.test": "", "b.test": "\tarchive default never\n"}


def setup():
    fed = Federation()
    servers = fed.run({d: fed.xmppd(d, direct_tls=False, domain_body=extra)
                       for d, extra in ARCHIVE.items()},
                      {d: ("alice",) for d in ARCHIVE})
    return {"fed": fed, "servers": servers}


def teardown(env):
    env["fed"].close()


def _login(env, domain, resource):
    r = Raw(env["servers"][domain].ports["client"], sni=domain)
    r.login("alice", "alice-pw", resource=resource, domain=domain)
    r.send("<presence/>")
    return r


def test_unarchived_remote_message_needs_no_store(env):
    """b.test keeps nothing: with its store stopped, a message from
    a.test still arrives (before, the router held every message from
    another server for the store to say that nobody keeps it)."""
    a = _login(env, "a.test", "st")
    b = _login(env, "b.test", "st")
    sb = env["servers"]["b.test"]
    try:
        # The stream between the two comes up while the store runs.
        _chat(a, "alice@b.test/st", "before-the-stop")
        b.expect(r"<message[^>]*>.*?before-the-stop", timeout=30)
        store = sb.pid_of("store")
        os.kill(store, signal.SIGSTOP)
        try:
            _chat(a, "alice@b.test/st", "while-stopped")
            b.expect(r"<message[^>]*from=['\"]alice@a\.test/st['\"][^>]*>"
                     r".*?while-stopped", timeout=10)
        finally:
            os.kill(store, signal.SIGCONT)
    finally:
        a.close()
        b.close()


def test_archived_remote_message(env):
    """a.test keeps every message: one from b.test is in the
    recipient's archive, from its sender."""
    a = _login(env, "a.test", "ar")
    b = _login(env, "b.test", "ar")
    try:
        _chat(b, "alice@a.test/ar", "keep-this-one")
        a.expect(r"<message[^>]*>.*?keep-this-one", timeout=30)
        a.send("<iq type='set' id='q1'><query xmlns='urn:xmpp:mam:2' "
               "queryid='k'/></iq>")
        a.expect(r"<result[^>]*queryid=['\"]k['\"].*?<message[^>]*"
                 r"from=['\"]alice@b\.test/ar['\"].*?keep-this-one")
        a.expect(r"<iq[^>]*id=['\"]q1['\"][^>]*>.*?<fin")
    finally:
        a.close()
        b.close()
