"""What the web transport tests (test_websocket.py, test_bosh.py) share:
a slixmpp user over TCP to chat with, and the client's side of a
SCRAM-SHA-256 login."""

import asyncio
import base64
import hashlib
import hmac
import os
import re
import ssl

from slixmpp import ClientXMPP

SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
T = 10


def slix_client(jid, password, loop):
    """A slixmpp client not yet connected that takes the test
    certificate: c.started is done at session start, c.inbox queues the
    messages it receives."""
    c = ClientXMPP(jid, password)
    c.loop = loop
    c.ssl_context.check_hostname = False
    c.ssl_context.verify_mode = ssl.CERT_NONE
    c.started = loop.create_future()
    c.inbox = asyncio.Queue()
    c.add_event_handler("session_start",
                        lambda e: c.started.done() or c.started.set_result(1))
    c.add_event_handler("message", lambda m: c.inbox.put_nowait(m))
    return c


async def slix(port, user):
    """user@example.org/tcp online over TCP with slixmpp."""
    c = slix_client("%s@example.org/tcp" % user, user + "-pw",
                    asyncio.get_event_loop())
    c.connect(("127.0.0.1", port))
    await asyncio.wait_for(c.started, T)
    return c


def scram_first(user):
    """(client-first-message-bare, nonce, the <auth/> carrying it)."""
    nonce = base64.b64encode(os.urandom(18)).decode()
    first = "n=%s,r=%s" % (user, nonce)
    msg = ("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>%s</auth>" %
           (SASL, base64.b64encode(("n,," + first).encode()).decode()))
    return first, nonce, msg


def scram_final(password, first, nonce, challenge):
    """The <response/> to the server's <challenge/> (text holding it)."""
    sfirst = base64.b64decode(re.search(
        r"<challenge[^>]*>([^<]+)</challenge>", challenge).group(1)).decode()
    f = dict(kv.split("=", 1) for kv in sfirst.split(","))
    assert f["r"].startswith(nonce)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(),
                                 base64.b64decode(f["s"]), int(f["i"]))
    ckey = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    final = "c=biws,r=" + f["r"]
    msg = ",".join((first, sfirst, final)).encode()
    sig = hmac.new(hashlib.sha256(ckey).digest(), msg,
                   hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(ckey, sig))
    final += ",p=" + base64.b64encode(proof).decode()
    return ("<response xmlns='%s'>%s</response>" %
            (SASL, base64.b64encode(final.encode()).decode()))
