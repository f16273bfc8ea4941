"""A compromised stream process (issue 20, "The process boundaries").

The regress build's stream process obeys <imsg xmlns='urn:xmppd:regress'/>
(xmppd/stream_regress.c): it sends the given bytes as an imsg of the
given type to the router, the store, ldapauthd or the parent, as code
running in the stream process could after an exploit.  Each test plays
one attack and checks its outcome: nothing delivered, nothing read,
and the processes on the other side still running.
"""

import base64
import os
import re
import struct

from rawxmpp import Raw
from xmppdtest import TOP, started

DOMAIN = "example.org"


def imsg_types():
    """enum imsg_type of common/msg.h: name -> number."""
    text = open(os.path.join(TOP, "common", "msg.h")).read()
    body = text[text.index("enum imsg_type {"):]
    body = body[:body.index("};")]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    names = re.findall(r"\b(IMSG_\w+)\s*,", body)
    return {n: i for i, n in enumerate(names)}


IMSG = imsg_types()


def cstr(s, n):
    b = s.encode()
    assert len(b) < n
    return b + b"\0" * (n - len(b))


def session_bind(local, resource, grant=b"\0" * 32):
    """struct session_bind, with a grant the stream could make up"""
    return (cstr(local, 1024) + cstr(DOMAIN, 256) + cstr(resource, 1024) +
            cstr("127.0.0.1", 64) + cstr("TLSv1.3", 64) + cstr("tcp", 16) +
            struct.pack("=q", 0) + grant)


def stanza(kind, to, frm, xml, typ="chat", sid=""):
    """struct stanza_hdr + type, id, to, from + xml"""
    strs = [typ.encode(), sid.encode(), to.encode(), frm.encode()]
    x = xml.encode()
    hdr = struct.pack("=QIIHHHHI4x", 0, kind, 0, *[len(v) for v in strs],
                      len(x))
    return hdr + b"".join(strs) + x


def xs_req(local, space):
    """struct xs_req: a GET (op 0) of every item of space"""
    return (cstr(DOMAIN, 256) + cstr(local, 1024) + cstr(space, 64) +
            cstr("", 256) + struct.pack("=iiIIII", 0, 0, 100, 0, 0, 65536))


def roster_owner(local):
    return cstr(local, 1024) + cstr(DOMAIN, 256) + struct.pack("=qi4x", 0, 0)


class Mallory:
    """A connection whose stream process is under the attacker's control;
    with a user, logged in as that user first."""

    def __init__(self, s, user=None):
        self.raw = Raw(s.ports["client"])
        if user is None:
            self.raw.starttls()
            self.raw.header()
        else:
            self.jid = self.raw.login(user, user + "-pw", "m")

    def imsg(self, to, name, payload=b"", peerid=None):
        """Send; returns this connection's session id."""
        attrs = " peerid='%d'" % peerid if peerid is not None else ""
        self.raw.send("<imsg xmlns='urn:xmppd:regress' to='%s' type='%d'%s>"
                      "%s</imsg>" % (to, IMSG[name], attrs,
                                     base64.b64encode(payload).decode()))
        return int(self.raw.expect(r"<sent xmlns='urn:xmppd:regress' "
                                   r"id='(\d+)'/>").group(1))


def pids(s):
    return {(p["name"], p["instance"]): p["pid"] for p in s.processes()}


def setup():
    s = started(users=("alice", "bob", "carol"), prefork=1)
    s.pids = pids(s)
    return s


def teardown(s):
    s.stop()


def alive(s):
    """xmppd still runs, with the same router, store and parent."""
    assert s.proc.poll() is None, s.log_tail()
    now = pids(s)
    for k in (("parent", 0), ("router", 0), ("store", 0)):
        assert now[k] == s.pids[k], (k, now, s.log_tail())


def receiver(s, user):
    r = Raw(s.ports["client"])
    jid = r.login(user, user + "-pw", "r")
    return r, jid


def marker(s, to_raw, to_jid, text):
    """A message alice really sends to to_jid, and its arrival: what the
    router handled before it was handled (same channel, in order)."""
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "marker")
    a.send("<message to='%s' type='chat'><body>%s</body></message>"
           % (to_jid, text))
    m = to_raw.expect(r"<message[^>]*>.*?<body>%s</body>.*?</message>"
                      % text)
    a.close()
    return m


def test_forged_header_from_not_delivered(s):
    """A stanza whose envelope names another user than the session's."""
    bob, bob_jid = receiver(s, "bob")
    m = Mallory(s, "carol")
    m.imsg("router", "IMSG_STANZA", stanza(
        0, bob_jid, "alice@example.org/x",
        "<message xmlns='jabber:client' from='alice@example.org/x' to='%s'"
        " type='chat'><body>forged1</body></message>" % bob_jid))
    m.raw.send("<message to='%s' type='chat'><body>after1</body></message>"
               % bob_jid)
    got = bob.expect(r"<body>after1</body>")
    assert "forged1" not in got.string, got.string
    alive(s)
    bob.close()
    m.raw.close()



def refused_and_restarted(s, mark, to, name):
    """The peer refused the message and closed its link to the stream,
    which the parent started again; the others run on."""
    s.wait_log(r"%s\[\d+\]: unexpected imsg %d from stream 0: link closed"
               % (to, IMSG[name]), after=mark)
    s.wait_log(r"restarting stream 0", after=mark)
    s.wait_log(r"stream 0 ready", after=mark)
    alive(s)


def test_forged_bind_refused(s):
    """A bind for a user nobody authenticated on this stream: refused,
    no session, and nothing can be sent in that user's name."""
    m = Mallory(s)
    mark = s.mark()
    m.imsg("router", "IMSG_SESSION_BIND", session_bind("alice", "forged"))
    s.wait_log(r"bind as alice@example.org that no login granted: refused",
               after=mark)
    refused_and_restarted(s, mark, "router", "IMSG_SESSION_BIND")
    out = s.ctl("show", "sessions").stdout
    assert "alice@example.org/forged" not in out, out


def test_bind_as_another_user_refused(s):
    """Logged in as carol, the stream binds alice: the grant it holds is
    carol's, not alice's."""
    m = Mallory(s, "carol")
    mark = s.mark()
    m.imsg("router", "IMSG_SESSION_BIND",
           session_bind("alice", "forged2", os.urandom(32)), peerid=0xffff)
    s.wait_log(r"bind as alice@example.org that no login granted: refused",
               after=mark)
    refused_and_restarted(s, mark, "router", "IMSG_SESSION_BIND")
    out = s.ctl("show", "sessions").stdout
    assert "alice@example.org/forged2" not in out, out


def test_store_reads_refused(s):
    """The store answers the router alone: a stream asking for another
    user's vCard, private XML or roster reads nothing, and the store
    keeps running."""
    for name, payload in (("IMSG_XS_REQUEST", xs_req("bob", "vcard")),
                          ("IMSG_XS_REQUEST", xs_req("bob", "private")),
                          ("IMSG_ROSTER_LOAD", roster_owner("bob"))):
        m = Mallory(s)
        mark = s.mark()
        m.imsg("store", name, payload, peerid=7)
        refused_and_restarted(s, mark, "store", name)
        m.raw.close()


def test_xml_from_must_match_envelope(s):
    """The envelope names the session's own JID, the XML someone else's:
    the recipient reads the XML, so it must not pass."""
    m = Mallory(s, "carol")
    bob, bob_jid = receiver(s, "bob")
    mark = s.mark()
    m.imsg("router", "IMSG_STANZA", stanza(
        0, bob_jid, m.jid,
        "<message xmlns='jabber:client' from='alice@example.org/x' to='%s'"
        " type='chat'><body>forged2</body></message>" % bob_jid))
    s.wait_log(r"stanza of %s whose XML is not what its envelope says"
               % re.escape(m.jid), after=mark)
    refused_and_restarted(s, mark, "router", "IMSG_STANZA")
    # Bob's stream went with the restart: all it was sent is read.
    got = bob.closed()
    assert "forged2" not in got, got


def register_req(op, local, password, grant=b"\0" * 32):
    """struct register_req: op 1 a password change, 2 a removal"""
    return (struct.pack("=i", op) + cstr(DOMAIN, 256) +
            cstr("127.0.0.1", 64) + cstr(local, 1024) +
            cstr(password, 1024) + grant)


def test_account_change_refused(s):
    """A password change and a removal of an account no one logged in
    to on this stream: refused, and the account is as it was."""
    for op in (1, 2):
        m = Mallory(s, "carol")
        mark = s.mark()
        m.imsg("store", "IMSG_REGISTER", register_req(op, "bob", "owned"),
               peerid=0xfffe)
        s.wait_log(r"account change for bob@example.org that no login "
                   r"granted: refused", after=mark)
        refused_and_restarted(s, mark, "store", "IMSG_REGISTER")
    bob, _ = receiver(s, "bob")
    bob.close()


def test_parent_does_nothing_for_a_stream(s):
    """Every message type, sent to the parent from a stream: the parent
    acts on none but its own bootstrap ones (ready, a configuration's
    acknowledgment), logs the others, restarts nothing and runs on."""
    before = pids(s)
    m = Mallory(s)
    mark = s.mark()
    for name, t in sorted(IMSG.items(), key=lambda kv: kv[1]):
        if t == 0:
            continue
        m.imsg("parent", name, b"\0" * 64)
    s.wait_log(r"parent_dispatch: unexpected imsg %d from stream"
               % max(IMSG.values()), after=mark)
    alive(s)
    assert pids(s) == before, (pids(s), before)
    bob, bob_jid = receiver(s, "bob")
    marker(s, bob, bob_jid, "after4")
    bob.close()
    m.raw.close()
