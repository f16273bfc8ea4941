"""A message held while the store archives it, whose sender's session
ends while the store stalls past the hold limit: the router lets go of
the session (its end is handled, its presence goes), and the message
still goes out once the store answers: to a local recipient, online
or offline (RFC 6121 section 8.5.2.2: offline storage), and to a
remote one.  a.test archives every message; b.test is another server."""

import os
import signal
import sys

from rawxmpp import Raw
from federation import Federation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_s2s import _chat  # noqa: E402

DOMAINS = ("a.test", "b.test")
# Past the regress build's hold limit (10 s), with room for a loaded
# machine.
HOLD_WAIT = 40


def setup():
    fed = Federation()
    servers = fed.run({d: fed.xmppd(d, direct_tls=False) for d in DOMAINS},
                      {d: ("alice", "bob", "carol") for d in DOMAINS})
    return {"fed": fed, "servers": servers}


def teardown(env):
    env["fed"].close()


def _login(env, user, domain, resource):
    r = Raw(env["servers"][domain].ports["client"], sni=domain)
    r.login(user, user + "-pw", resource=resource, domain=domain)
    # A ping answered after the presence: the router has it.
    r.send("<presence/><iq type='get' id='sync' to='%s'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>" % domain)
    r.expect(r"<iq[^>]*id='sync'")
    return r


def _held_and_gone(env, sender, rcpt, body):
    """sender sends rcpt a message while a.test's store is stopped,
    then its connection ends; once the router's hold on the session
    has expired, the store goes on."""
    sa = env["servers"]["a.test"]
    store = sa.pid_of("store")
    os.kill(store, signal.SIGSTOP)
    try:
        mark = sa.mark()
        _chat(sender, rcpt, body)
        # The end of the session waits behind the message's hold ...
        sender.close()
        sa.wait_log(r"alice@a\.test/gone: waits behind 1, 0 before it",
                    after=mark)
        # ... until the hold expires, with nothing more from the client.
        sa.wait_log(r"alice@a\.test/gone: held 1 times for \d+ s; "
                    r"going on", after=mark, timeout=HOLD_WAIT)
        # The session is gone: its end was handled.
        sa.wait_log(r"session alice@a\.test/gone ended", after=mark)
    finally:
        os.kill(store, signal.SIGCONT)


def test_held_message_to_a_local_user_goes_out(env):
    bob = _login(env, "bob", "a.test", "here")
    alice = _login(env, "alice", "a.test", "gone")
    try:
        _held_and_gone(env, alice, "bob@a.test", "local-after-the-hold")
        bob.expect(r"<message[^>]*from=['\"]alice@a\.test/gone['\"][^>]*>"
                   r".*?local-after-the-hold", timeout=30)
    finally:
        bob.close()
        alice.close()


def test_held_message_to_an_offline_user_is_kept(env):
    alice = _login(env, "alice", "a.test", "gone")
    try:
        _held_and_gone(env, alice, "carol@a.test", "kept-after-the-hold")
    finally:
        alice.close()
    carol = Raw(env["servers"]["a.test"].ports["client"], sni="a.test")
    try:
        carol.login("carol", "carol-pw", resource="late", domain="a.test")
        carol.send("<presence/>")
        carol.expect(r"<message[^>]*from=['\"]alice@a\.test/gone['\"]"
                     r"[^>]*>.*?kept-after-the-hold", timeout=30)
    finally:
        carol.close()


def test_held_message_to_a_remote_user_goes_out(env):
    remote = _login(env, "alice", "b.test", "there")
    alice = _login(env, "alice", "a.test", "gone")
    try:
        # The stream between the two comes up while the store runs.
        _chat(alice, "alice@b.test/there", "before-the-stop")
        remote.expect(r"<message[^>]*>.*?before-the-stop", timeout=30)
        _held_and_gone(env, alice, "alice@b.test/there",
                       "remote-after-the-hold")
        remote.expect(r"<message[^>]*from=['\"]alice@a\.test/gone['\"]"
                      r"[^>]*>.*?remote-after-the-hold", timeout=30)
    finally:
        remote.close()
        alice.close()
