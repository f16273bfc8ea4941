"""Hostile input on client streams (RFC 6120 sections 4.9 and 11): each
attack gets its stream error, and afterwards the server still runs and a
fresh client logs in."""


from rawxmpp import Raw
from xmppdtest import Server, add_user

STREAMS = "urn:ietf:params:xml:ns:xmpp-streams"


def setup():
    s = Server(prefork=1, body="limits {\n\tstanza size 10000\n}\n")
    s.start()
    add_user(s, "alice@example.org", "alice-pw")
    s.pids = {(p["name"], p["instance"]): p["pid"] for p in s.processes()}
    return s


def teardown(s):
    s.stop()


def still_serving(s):
    r = Raw(s.ports["client"])
    assert r.login("alice", "alice-pw").startswith("alice@example.org/")
    r.close()
    now = {(p["name"], p["instance"]): p["pid"] for p in s.processes()}
    assert now == s.pids, (now, s.pids)


def tls_stream(s):
    r = Raw(s.ports["client"])
    r.starttls()
    return r


def attack(s, payload, condition, header=True):
    r = tls_stream(s)
    if header:
        r.header()
    r.send(payload)
    out = r.closed()
    assert "<%s xmlns='%s'/>" % (condition, STREAMS) in out, out
    still_serving(s)


def test_billion_laughs(s):
    lol = ("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
           + "".join("<!ENTITY lol%d '%s'>" % (i, ("&lol%d;" % (i - 1)
                                                    if i else "&lol;") * 10)
                     for i in range(10))
           + "]><stream:stream to='example.org' version='1.0' "
           "xmlns='jabber:client' "
           "xmlns:stream='http://etherx.jabber.org/streams'>&lol9;")
    attack(s, lol, "restricted-xml", header=False)


def test_external_entity(s):
    attack(s, "<?xml version='1.0'?><!DOCTYPE s [<!ENTITY x SYSTEM "
           "'file:///etc/passwd'>]><stream:stream to='example.org'>&x;",
           "restricted-xml", header=False)


def test_doctype(s):
    attack(s, "<!DOCTYPE html>", "restricted-xml", header=False)


def test_processing_instruction(s):
    attack(s, "<?evil data?>", "restricted-xml")


def test_comment(s):
    attack(s, "<!-- hello -->", "restricted-xml")


def test_undefined_entity(s):
    attack(s, "<iq type='get' id='1'>&foo;</iq>", "not-well-formed")


def test_invalid_utf8(s):
    attack(s, b"<message><body>\xc0\xaf\xff</body></message>",
           "not-well-formed")


def test_nul_byte(s):
    attack(s, b"<message><body>a\x00b</body></message>", "not-well-formed")


def test_oversized_stanza(s):
    r = tls_stream(s)
    r.header()
    r.send("<message><body>")
    try:
        for _ in range(40):
            r.send("x" * 1024)
    except OSError:
        pass
    out = r.closed()
    assert "<policy-violation xmlns='%s'/>" % STREAMS in out, out
    still_serving(s)


def test_deep_nesting(s):
    attack(s, "<message>" + "<a>" * 200, "policy-violation")


def test_too_many_attributes(s):
    attack(s, "<message " + " ".join("a%d='x'" % i for i in range(100))
           + "/>", "policy-violation")


def test_garbage_before_header(s):
    attack(s, "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n",
           "not-well-formed", header=False)


def test_wrong_stream_namespace(s):
    attack(s, "<?xml version='1.0'?><stream:stream to='example.org' "
           "version='1.0' xmlns='jabber:client' xmlns:stream='urn:evil'>",
           "invalid-namespace", header=False)


def test_wrong_content_namespace(s):
    attack(s, "<?xml version='1.0'?><stream:stream to='example.org' "
           "version='1.0' xmlns='jabber:server' "
           "xmlns:stream='http://etherx.jabber.org/streams'>",
           "invalid-namespace", header=False)


def test_unclosed_stream_then_disconnect(s):
    r = tls_stream(s)
    r.header()
    r.send("<message><body>never finished")
    r.close()
    still_serving(s)


def test_starttls_pipelining_discarded(s):
    r = Raw(s.ports["client"])
    r.header()
    # The iq rides in the clear behind <starttls/>: it must never be
    # read as if it had come over TLS.
    r.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
           "<iq type='get' id='injected'><ping xmlns='urn:xmpp:ping'/></iq>")
    r.expect(r"<proceed[^>]*/>")
    from rawxmpp import tls_context
    r.sock = tls_context().wrap_socket(r.sock, server_hostname="example.org")
    r.buf = ""
    r.header()
    m = r.auth_plain("alice", "alice-pw")
    assert m.group(1) == "success"
    assert "injected" not in r.buf
    r.close()
    still_serving(s)


def test_stanza_before_auth_after_tls(s):
    attack(s, "<message to='alice@example.org'><body>x</body></message>",
           "not-authorized")


def test_unsupported_stanza_after_bind(s):
    r = Raw(s.ports["client"])
    r.login("alice", "alice-pw")
    r.send("<foo xmlns='jabber:client'/>")
    out = r.closed()
    assert "unsupported-stanza-type" in out, out
    still_serving(s)


def test_oversized_sasl_message(s):
    # Larger than any SASL message the credential owner takes: refused in
    # the stream process, and the store never sees it.
    import base64
    for size in (4097, 6000):
        r = tls_stream(s)
        r.header()
        data = base64.b64encode(b"\0alice\0" + b"x" * size).decode()
        r.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
               "mechanism='PLAIN'>%s</auth>" % data)
        out = r.expect(r"<failure.*?</failure>").group(0)
        assert "malformed-request" in out, out
        r.close()
    still_serving(s)


def test_many_failed_logins_throttled(s):
    # auth failures 5 per 60s by default: the sixth attempt from this
    # address is refused without the password being checked.
    seen_temp = False
    for i in range(8):
        r = tls_stream(s)
        r.header()
        m = r.auth_plain("alice", "wrong%d" % i)
        if "temporary-auth-failure" in m.group(0):
            seen_temp = True
            r.close()
            break
        r.close()
    assert seen_temp
    r = tls_stream(s)
    r.header()
    m = r.auth_plain("alice", "alice-pw")
    assert "temporary-auth-failure" in m.group(0), m.group(0)
    r.close()


def test_stanza_too_big_to_cross_is_refused_not_dropped(s):
    """A stanza within the size limit that grows past what crosses to
    the router once serialized (each ' in a "-quoted attribute becomes
    &apos;, and a tag may hold 16K) goes nowhere, and its sender hears
    so."""
    t = Server(prefork=1, body="limits {\n\tstanza size 1M\n"
               "\tclient rate 100M\n}\n")
    t.start()
    try:
        for u in ("alice", "bob"):
            add_user(t, "%s@example.org" % u, u + "-pw")
        b = Raw(t.ports["client"])
        b.login("bob", "bob-pw", "r")
        a = Raw(t.ports["client"])
        a.login("alice", "alice-pw", "r")
        a.send("<message to='bob@example.org/r' id='big' type='chat'>" +
               ("<x xmlns='urn:example:q' q=\"" + "'" * 16000 + "\"/>") *
               62 + "<body>b</body></message>")
        e = a.expect(r"<message[^>]*id='big'.*?</message>").group(0)
        assert "type='error'" in e and "policy-violation" in e, e
        a.send("<message to='bob@example.org/r' id='small' type='chat'>"
               "<body>s</body></message>")
        got = b.expect(r"(.*?)<message[^>]*id='small'").group(1)
        assert "id='big'" not in got, got[:200]
        a.close()
        b.close()
    finally:
        t.stop()
