"""Service administration (XEP-0133) over ad-hoc commands (XEP-0050):
a domain's admins run them from their client (slixmpp's xep_0050),
everyone else is refused, and every form field is checked (raw
stanzas)."""

import re
import subprocess
import xml.etree.ElementTree as ET

from rawxmpp import Raw, motd_at_login as raw_motd_at_login
from xmppdtest import Server, XMPPCTL, add_user, run_async

CMDS = "http://jabber.org/protocol/commands"
ADMIN = "http://jabber.org/protocol/admin"
XDATA = "jabber:x:data"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def setup():
    s = Server(prefork=1)
    conf = s.base_conf().replace(
        'domain "example.org" {\n\tauth internal\n}\n',
        'domain "example.org" {\n\tauth internal\n'
        '\tadmin "alice@example.org"\n'
        '\tcontact abuse "mailto:abuse@example.org"\n'
        '\tcontact security "mailto:security@example.org"\n'
        '\tcontact abuse "xmpp:abuse@example.org"\n}\n'
        'domain "sub.example.org" {\n\tauth internal\n'
        '\tadmin "carol@sub.example.org"\n'
        '\tmotd "Welcome & <read> the rules"\n}\n')
    assert "carol" in conf
    s.write_conf(raw=conf)
    s.start()
    for u in ("alice", "bob", "eve"):
        add_user(s, "%s@example.org" % u, u + "-pw")
    add_user(s, "carol@sub.example.org", "carol-pw")
    add_user(s, "sam@sub.example.org", "sam-pw")
    s.alice = Raw(s.ports["client"])
    s.alice.login("alice", "alice-pw", "desk")
    s.n = 0
    return s


def teardown(s):
    s.alice.close()
    s.stop()


def iq(s, payload, to="example.org", type="set", who=None):
    """An IQ from alice (or who); returns the answer, parsed."""
    who = who or s.alice
    s.n += 1
    ident = "a%d" % s.n
    who.send("<iq type='%s' id='%s' to='%s'>%s</iq>" %
             (type, ident, to, payload))
    m = who.expect(r"<iq\b[^>]*\bid='%s'[^>]*?(/>|>.*?</iq>)" % ident)
    return ET.fromstring(m.group(0))


def command(node, action=None, sid=None, form=None):
    attrs = " node='%s#%s'" % (ADMIN, node)
    if action:
        attrs += " action='%s'" % action
    if sid:
        attrs += " sessionid='%s'" % sid
    return "<command xmlns='%s'%s>%s</command>" % (CMDS, attrs, form or "")


def submit(**fields):
    out = "<x xmlns='%s' type='submit'>" % XDATA
    for var, vals in fields.items():
        if not isinstance(vals, list):
            vals = [vals]
        out += "<field var='%s'>%s</field>" % (
            var.replace("_", "-") if var != "max_items" else var,
            "".join("<value>%s</value>" % v for v in vals))
    return out + "</x>"


def error(reply, cond, etype, app=None):
    assert reply.get("type") == "error", ET.tostring(reply)
    e = reply.find("error")
    assert e is not None and e.get("type") == etype, ET.tostring(reply)
    assert e.find("{%s}%s" % (STANZAS, cond)) is not None, ET.tostring(reply)
    if app:
        assert e.find("{%s}%s" % (CMDS, app)) is not None, ET.tostring(reply)


def cmd_of(reply):
    assert reply.get("type") == "result", ET.tostring(reply)
    c = reply.find("{%s}command" % CMDS)
    assert c is not None, ET.tostring(reply)
    return c


def start(s, node, to="example.org", who=None):
    """Execute node; returns its sessionid and the form's field vars."""
    c = cmd_of(iq(s, command(node), to=to, who=who))
    assert c.get("status") == "executing", ET.tostring(c)
    x = c.find("{%s}x" % XDATA)
    return c.get("sessionid"), [f.get("var") for f in
                                x.findall("{%s}field" % XDATA)]


def run(s, node, to="example.org", who=None, **fields):
    sid, _ = start(s, node, to, who)
    return iq(s, command(node, "complete", sid, submit(**fields)), to=to,
              who=who)


def note(reply):
    c = cmd_of(reply)
    assert c.get("status") == "completed", ET.tostring(c)
    return c.find("{%s}note" % CMDS).text


def login(s, user, pw, domain="example.org", resource="r"):
    r = Raw(s.ports["client"])
    r.starttls(domain)
    r.header(domain)
    m = r.auth_plain(user, pw)
    if m.group(1) != "success":
        r.close()
        return None
    r.header(domain)
    r.bind(resource)
    return r


def accounts(s, domain="example.org"):
    """The accounts of domain, as xmppctl lists them (no failed login
    to tell, which the address's auth throttle would count)."""
    return set(s.ctl("user", "list", domain).stdout.split())


def test_disco_lists_commands_to_admins_only(s):
    r = iq(s, "<query xmlns='%s' node='%s'/>" % (DISCO_ITEMS, CMDS),
           type="get")
    nodes = [i.get("node") for i in r.iter("{%s}item" % DISCO_ITEMS)]
    assert ADMIN + "#add-user" in nodes and ADMIN + "#announce" in nodes, \
        nodes
    assert ADMIN + "#disable-user" in nodes, nodes
    assert ADMIN + "#reenable-user" in nodes, nodes
    r = iq(s, "<query xmlns='%s' node='%s#add-user'/>" % (DISCO_INFO, ADMIN),
           type="get")
    ident = r.find(".//{%s}identity" % DISCO_INFO)
    assert ident.get("category") == "automation", ET.tostring(r)
    bob = login(s, "bob", "bob-pw")
    try:
        r = iq(s, "<query xmlns='%s' node='%s'/>" % (DISCO_ITEMS, CMDS),
               type="get", who=bob)
        assert r.get("type") == "result", ET.tostring(r)
        assert list(r.iter("{%s}item" % DISCO_ITEMS)) == [], ET.tostring(r)
    finally:
        bob.close()


def test_slixmpp_adds_a_user(s):
    """The admin's own client, through slixmpp's ad-hoc plugin."""
    import asyncio
    import ssl
    from slixmpp import ClientXMPP

    async def scenario():
        c = ClientXMPP("alice@example.org/slix", "alice-pw")
        for p in ("xep_0030", "xep_0004", "xep_0050"):
            c.register_plugin(p)
        c.ssl_context.check_hostname = False
        c.ssl_context.verify_mode = ssl.CERT_NONE
        up = asyncio.get_event_loop().create_future()
        c.add_event_handler("session_start", lambda e: up.set_result(1))
        c.connect(("127.0.0.1", s.ports["client"]))
        await asyncio.wait_for(up, 20)
        items = await c["xep_0050"].get_commands("example.org")
        nodes = [i[1] for i in items["disco_items"]["items"]]
        assert ADMIN + "#add-user" in nodes, nodes
        first = await c["xep_0050"].send_command("example.org",
                                                 ADMIN + "#add-user")
        assert first["command"]["status"] == "executing"
        form = c["xep_0004"].make_form(ftype="submit")
        form.add_field(var="FORM_TYPE", ftype="hidden", value=ADMIN)
        form.add_field(var="accountjid", value="dave@example.org")
        form.add_field(var="password", value="dave-pw")
        form.add_field(var="password-verify", value="dave-pw")
        done = await c["xep_0050"].send_command(
            "example.org", ADMIN + "#add-user", action="complete",
            payload=form, sessionid=first["command"]["sessionid"])
        assert done["command"]["status"] == "completed", done
        c.disconnect()

    run_async(scenario())
    s.wait_log(r"account dave@example\.org added by alice@example\.org")
    dave = login(s, "dave", "dave-pw")
    assert dave is not None
    dave.close()


def test_add_user_bad_fields(s):
    error(run(s, "add-user", accountjid="x@example.org"), "bad-request",
          "modify", "bad-payload")
    error(run(s, "add-user", accountjid="x@example.org", password="a",
              password_verify="b"), "not-acceptable", "modify")
    error(run(s, "add-user", accountjid="@@bad", password="a",
              password_verify="a"), "jid-malformed", "modify")
    error(run(s, "add-user", accountjid="x@example.org/res", password="a",
              password_verify="a"), "jid-malformed", "modify")
    error(run(s, "add-user", accountjid="bob@example.org", password="a",
              password_verify="a"), "conflict", "cancel")
    error(run(s, "add-user", accountjid=["x@example.org", "y@example.org"],
              password="a", password_verify="a"), "bad-request", "modify",
          "bad-payload")
    # The same field twice is not taken as either.
    sid, _ = start(s, "add-user")
    form = submit(accountjid="x@example.org", password="a",
                  password_verify="a").replace(
        "</x>", "<field var='password'><value>b</value></field></x>")
    error(iq(s, command("add-user", "complete", sid, form)), "bad-request",
          "modify", "bad-payload")
    assert "x@example.org" not in accounts(s)


def test_another_domains_user_is_forbidden(s):
    mark = s.mark()
    error(run(s, "add-user", accountjid="zed@sub.example.org",
              password="a", password_verify="a"), "forbidden", "auth")
    error(run(s, "delete-user", accountjids="sam@sub.example.org"),
          "forbidden", "auth")
    # Nor does an admin of one domain run the other's commands.
    error(iq(s, command("add-user"), to="sub.example.org"), "forbidden",
          "auth")
    s.wait_log(r"alice@example\.org/desk is not an admin of "
               r"sub\.example\.org", after=mark)
    assert "sam@sub.example.org" in accounts(s, "sub.example.org")
    # The other domain's admin runs its own.
    carol = login(s, "carol", "carol-pw", domain="sub.example.org")
    try:
        r = iq(s, command("get-online-users-num"), to="sub.example.org",
               who=carol)
        c = cmd_of(r)
        assert c.get("status") == "completed", ET.tostring(r)
        error(run(s, "delete-user", to="sub.example.org", who=carol,
                  accountjids="bob@example.org"), "forbidden", "auth")
    finally:
        carol.close()


def test_non_admin_is_forbidden_and_logged(s):
    bob = login(s, "bob", "bob-pw", resource="phone")
    try:
        mark = s.mark()
        error(iq(s, command("add-user"), who=bob), "forbidden", "auth")
        error(iq(s, command("get-online-users-list"), who=bob),
              "forbidden", "auth")
        s.wait_log(r"bob@example\.org/phone is not an admin of "
                   r"example\.org: command .*#add-user refused", after=mark)
        # A form alice holds is not bob's to submit.
        sid, _ = start(s, "add-user")
        error(iq(s, command("add-user", "complete", sid, submit(
            accountjid="bobby@example.org", password="p",
            password_verify="p")), who=bob), "forbidden", "auth")
    finally:
        bob.close()
    assert "bobby@example.org" not in accounts(s)


def test_sessions_unknown_cancel_and_actions(s):
    error(iq(s, command("add-user", "complete", "nosuchsession",
                        submit(accountjid="q@example.org"))),
          "bad-request", "modify", "bad-sessionid")
    sid, fields = start(s, "add-user")
    assert fields == ["FORM_TYPE", "accountjid", "password",
                      "password-verify"], fields
    error(iq(s, command("add-user", "next", sid)), "bad-request", "modify",
          "bad-action")
    error(iq(s, command("add-user", "complete", sid)), "bad-request",
          "modify", "bad-payload")
    c = cmd_of(iq(s, command("add-user", "cancel", sid)))
    assert c.get("status") == "canceled", ET.tostring(c)
    # Canceled: the session is gone.
    error(iq(s, command("add-user", "complete", sid, submit(
        accountjid="q@example.org", password="p", password_verify="p"))),
        "bad-request", "modify", "bad-sessionid")
    # A sessionid of one command is not another's.
    sid, _ = start(s, "change-user-password")
    error(iq(s, command("add-user", "complete", sid, submit(
        accountjid="q@example.org", password="p", password_verify="p"))),
        "bad-request", "modify", "bad-sessionid")
    error(iq(s, command("add-user", "dance")), "bad-request", "modify",
          "malformed-action")
    error(iq(s, command("add-user"), type="get"), "bad-request", "cancel")
    error(iq(s, "<command xmlns='%s' node='%s#nope'/>" % (CMDS, ADMIN)),
          "item-not-found", "cancel")
    error(iq(s, "<command xmlns='%s'/>" % CMDS), "item-not-found", "cancel")
    assert "q@example.org" not in accounts(s)


def test_change_password(s):
    r = run(s, "change-user-password", accountjid="eve@example.org",
            password="eve-new")
    assert "changed" in note(r)
    assert login(s, "eve", "eve-pw") is None
    eve = login(s, "eve", "eve-new")
    assert eve is not None
    eve.close()
    error(run(s, "change-user-password", accountjid="nobody@example.org",
              password="x"), "item-not-found", "cancel")


def test_delete_users(s):
    add_user(s, "gone1@example.org", "g-pw")
    add_user(s, "gone2@example.org", "g-pw")
    g = login(s, "gone1", "g-pw")
    r = run(s, "delete-user", accountjids=["gone1@example.org",
                                           "gone2@example.org",
                                           "never@example.org"])
    text = note(r)
    assert "gone1@example.org: deleted" in text, text
    assert "gone2@example.org: deleted" in text, text
    assert "never@example.org: no such account" in text, text
    # The deleted account's session is closed.
    g.closed()
    assert "gone1@example.org" not in accounts(s)
    error(run(s, "delete-user", accountjids=[]), "bad-request", "modify",
          "bad-payload")
    error(run(s, "delete-user", accountjids=["a%d@example.org" % i
                                             for i in range(51)]),
          "bad-request", "modify", "bad-payload")


def test_online_users(s):
    bob = login(s, "bob", "bob-pw", resource="one")
    bob2 = login(s, "bob", "bob-pw", resource="two")
    try:
        c = cmd_of(iq(s, command("get-online-users-num")))
        assert c.get("status") == "completed", ET.tostring(c)
        vals = {f.get("var"): f.findtext("{%s}value" % XDATA)
                for f in c.iter("{%s}field" % XDATA)}
        assert vals["onlineusersnum"] == "2", vals
        sid, fields = start(s, "get-online-users-list")
        assert "max_items" in fields, fields
        r = iq(s, command("get-online-users-list", "complete", sid,
                          submit(max_items="25")))
        c = cmd_of(r)
        jids = sorted(v.text for f in c.iter("{%s}field" % XDATA)
                      if f.get("var") == "onlineuserjids"
                      for v in f.findall("{%s}value" % XDATA))
        assert jids == ["alice@example.org", "bob@example.org"], jids
        error(run(s, "get-online-users-list", max_items="many"),
              "bad-request", "modify", "bad-payload")
    finally:
        bob.close()
        bob2.close()


def test_announce(s):
    bob = login(s, "bob", "bob-pw", resource="ann")
    carol = login(s, "carol", "carol-pw", domain="sub.example.org")
    try:
        for c in (bob, carol):
            c.send("<presence/>")
        bob.expect(r"<presence[^>]*from='bob@example\.org/ann'")
        carol.expect(r"<presence[^>]*from='carol@sub\.example\.org/r'")
        carol.expect(r"<message[^>]*type='headline'.*?</message>")
        r = run(s, "announce", subject="Maintenance",
                announcement=["Down at 22:00", "<b>&amp; back soon</b>"
                              .replace("<", "&lt;")])
        assert re.match(r"Sent to \d+ sessions", note(r)), note(r)
        m = bob.expect(r"<message[^>]*type='headline'.*?</message>")
        msg = ET.fromstring(m.group(0))
        assert msg.get("from") == "example.org", m.group(0)
        assert msg.findtext("body") == \
            "Down at 22:00\n<b>& back soon</b>", m.group(0)
        assert msg.findtext("subject") == "Maintenance"
        # Another domain's users hear nothing of it: what carol gets
        # before the answer to her ping is not the announcement.
        carol.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/>"
                   "</iq>")
        m = carol.expect(r"(?s)^(.*?)<iq[^>]*id='p1'")
        assert "Maintenance" not in m.group(1), m.group(1)
        error(run(s, "announce", announcement=" "), "bad-request",
              "modify", "bad-payload")
        error(run(s, "announce", subject="only"), "bad-request", "modify",
              "bad-payload")
    finally:
        bob.close()
        carol.close()


def test_disable_and_reenable_users(s):
    """disable-user ends the account's sessions and refuses its logins,
    keeping the account; reenable-user lets it in again.  Each account
    named gets a line; another domain's account is forbidden."""
    add_user(s, "dis1@example.org", "d-pw")
    d = login(s, "dis1", "d-pw")
    assert d is not None
    text = note(run(s, "disable-user", accountjids=["dis1@example.org",
                                                    "never@example.org"]))
    assert "dis1@example.org: disabled" in text, text
    assert "never@example.org: no such account" in text, text
    out = d.closed()
    assert "policy-violation" in out, out
    r = Raw(s.ports["client"])
    r.starttls("example.org")
    r.header("example.org")
    m = r.auth_plain("dis1", "d-pw")
    assert m.group(1) == "failure" and "account-disabled" in m.group(0), \
        m.group(0)
    r.close()
    assert "dis1@example.org" in accounts(s)
    error(run(s, "disable-user", accountjids=["sam@sub.example.org"]),
          "forbidden", "auth")
    error(run(s, "reenable-user", accountjids=[]), "bad-request", "modify",
          "bad-payload")
    text = note(run(s, "reenable-user", accountjids=["dis1@example.org"]))
    assert "dis1@example.org: enabled" in text, text
    d = login(s, "dis1", "d-pw")
    assert d is not None
    d.close()


def test_motd_at_login(s):
    """The domain's motd comes once, at the first available presence;
    other domains' users get none."""
    sam = login(s, "sam", "sam-pw", domain="sub.example.org")
    bob = login(s, "bob", "bob-pw", resource="motd")
    try:
        sam.send("<presence/>")
        m = sam.expect(r"<message[^>]*type='headline'.*?</message>")
        msg = ET.fromstring(m.group(0))
        assert msg.get("from") == "sub.example.org", m.group(0)
        assert msg.get("to") == "sam@sub.example.org/r", m.group(0)
        assert msg.findtext("body") == "Welcome & <read> the rules", \
            m.group(0)
        # A later presence is no login: no second motd before the pong.
        sam.send("<presence><show>away</show></presence>"
                 "<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>")
        m = sam.expect(r"(?s)^(.*?)<iq[^>]*id='p2'")
        assert "<message" not in m.group(1), m.group(1)
        bob.send("<presence/><iq type='get' id='p3'>"
                 "<ping xmlns='urn:xmpp:ping'/></iq>")
        m = bob.expect(r"(?s)^(.*?)<iq[^>]*id='p3'")
        assert "<message" not in m.group(1), m.group(1)
    finally:
        sam.close()
        bob.close()


def test_contact_addresses(s):
    """XEP-0157: the domain's contact lines as its serverinfo form; a
    domain without them has none, and keeps its caps hash."""
    SERVERINFO = "http://jabber.org/network/serverinfo"

    def forms(to, who=None):
        r = iq(s, "<query xmlns='%s'/>" % DISCO_INFO, to=to, type="get",
               who=who)
        assert r.get("type") == "result", ET.tostring(r)
        out = {}
        for x in r.iter("{%s}x" % XDATA):
            assert x.get("type") == "result", ET.tostring(x)
            out.update({f.get("var"): [v.text for v in
                                       f.findall("{%s}value" % XDATA)]
                        for f in x.findall("{%s}field" % XDATA)})
        return out

    got = forms("example.org")
    assert got == {"FORM_TYPE": [SERVERINFO],
                   "abuse-addresses": ["mailto:abuse@example.org",
                                       "xmpp:abuse@example.org"],
                   "security-addresses": ["mailto:security@example.org"]}, \
        got
    carol = login(s, "carol", "carol-pw", domain="sub.example.org")
    try:
        assert forms("sub.example.org", who=carol) == {}
    finally:
        carol.close()
    # The stream features' caps hash is of features alone: not offered
    # where the disco#info has a form.
    for domain, has in (("example.org", False), ("sub.example.org", True)):
        r = Raw(s.ports["client"])
        r.starttls(domain)
        m = r.header(domain)
        assert ("http://jabber.org/protocol/caps" in m.group(1)) == has, \
            (domain, m.group(1))
        r.close()


def announce(s, domain, text):
    return subprocess.run([XMPPCTL, "-s", s.sock, "announce", domain],
                          input=text, capture_output=True, timeout=30)


def test_xmppctl_announce(s):
    bob = login(s, "bob", "bob-pw", resource="ctl")
    sam = login(s, "sam", "sam-pw", domain="sub.example.org")
    try:
        bob.send("<presence/>")
        bob.expect(r"<presence[^>]*from='bob@example\.org/ctl'")
        sam.send("<presence/>")
        sam.expect(r"<message[^>]*type='headline'.*?</message>")  # motd
        p = announce(s, "example.org", "Reboot at 5 & <soon>\n".encode())
        assert p.returncode == 0, p.stderr
        assert p.stdout == b"announcement sent to 1 session of " \
            b"example.org\n", p.stdout
        m = bob.expect(r"<message[^>]*type='headline'.*?</message>")
        msg = ET.fromstring(m.group(0))
        assert msg.get("from") == "example.org", m.group(0)
        assert msg.findtext("body") == "Reboot at 5 & <soon>", m.group(0)
        # Bad input: a clear error, exit status 1, nothing sent.
        for domain, text, why in (
                ("nowhere.example", b"x", b"no such domain"),
                ("example.org", b"\n\n", b"empty announcement"),
                ("example.org", b"  \t", b"the text is empty"),
                ("example.org", b"bad \xff\xfe", b"not UTF-8"),
                ("example.org", b"ctl \x01", b"not UTF-8"),
                ("example.org", b"x" * (16 * 1024 + 1), b"longer than")):
            p = announce(s, domain, text)
            assert p.returncode == 1 and why in p.stderr, (domain, text[:9],
                                                           p.stderr)
        # Another domain's users hear nothing of it.
        sam.send("<iq type='get' id='p4'><ping xmlns='urn:xmpp:ping'/></iq>")
        m = sam.expect(r"(?s)^(.*?)<iq[^>]*id='p4'")
        assert "<message" not in m.group(1), m.group(1)
        bob.send("<iq type='get' id='p5'><ping xmlns='urn:xmpp:ping'/></iq>")
        m = bob.expect(r"(?s)^(.*?)<iq[^>]*id='p5'")
        assert "<message" not in m.group(1), m.group(1)
    finally:
        bob.close()
        sam.close()


def motd_at_login(s, user, pw, domain, resource):
    return raw_motd_at_login(s.ports["client"], user, pw, resource, domain)


def form_values(reply, var):
    c = cmd_of(reply)
    return [v.text or "" for f in c.iter("{%s}field" % XDATA)
            if f.get("var") == var for v in f.findall("{%s}value" % XDATA)]


def test_set_edit_delete_motd(s):
    """set-motd stores a motd that comes before the configured one and
    goes to who is online; edit-motd shows it and changes it for later
    logins; delete-motd brings the configured one back."""
    SUB = "sub.example.org"
    carol = login(s, "carol", "carol-pw", domain=SUB, resource="adm")
    sam = login(s, "sam", "sam-pw", domain=SUB, resource="on")
    try:
        sam.send("<presence/>")
        sam.expect(r"<message[^>]*type='headline'.*?</message>")  # config's
        # edit-motd before any set: the configured one, to start from.
        r = iq(s, command("edit-motd"), to=SUB, who=carol)
        assert form_values(r, "motd") == ["Welcome & <read> the rules"], \
            ET.tostring(r)
        mark = s.mark()
        r = run(s, "set-motd", to=SUB, who=carol,
                motd=["Line one", "Tom &amp; &lt;Jerry&gt;"])
        assert note(r) == "The message of the day was set and sent to " \
            "1 sessions", note(r)
        s.wait_log(r"motd of sub\.example\.org set by carol@sub\.example"
                   r"\.org", after=mark)
        m = sam.expect(r"<message[^>]*type='headline'.*?</message>")
        assert ET.fromstring(m.group(0)).findtext("body") == \
            "Line one\nTom & <Jerry>", m.group(0)
        assert motd_at_login(s, "sam", "sam-pw", SUB, "l1") == \
            "Line one\nTom & <Jerry>"
        # Another domain keeps its own (none here).
        assert motd_at_login(s, "bob", "bob-pw", "example.org", "l1") is None
        # edit-motd: the form holds the stored one, a line a value.
        r = iq(s, command("edit-motd"), to=SUB, who=carol)
        assert form_values(r, "motd") == ["Line one", "Tom & <Jerry>"], \
            ET.tostring(r)
        r = run(s, "edit-motd", to=SUB, who=carol, motd="Edited")
        assert note(r) == "The message of the day was set", note(r)
        # An edit is for later logins: sam hears nothing of it now.
        sam.send("<iq type='get' id='m1'><ping xmlns='urn:xmpp:ping'/></iq>")
        m = sam.expect(r"(?s)^(.*?)<iq[^>]*id='m1'")
        assert "<message" not in m.group(1), m.group(1)
        assert motd_at_login(s, "sam", "sam-pw", SUB, "l2") == "Edited"
        # delete-motd: no form, done at once; the config's comes back.
        c = cmd_of(iq(s, command("delete-motd"), to=SUB, who=carol))
        assert c.get("status") == "completed", ET.tostring(c)
        assert motd_at_login(s, "sam", "sam-pw", SUB, "l3") == \
            "Welcome & <read> the rules"
        error(iq(s, command("delete-motd"), to=SUB, who=carol),
              "item-not-found", "cancel")
        # A domain without a configured motd has none after a delete.
        run(s, "set-motd", motd="For example.org")
        assert motd_at_login(s, "bob", "bob-pw", "example.org", "l2") == \
            "For example.org"
        assert motd_at_login(s, "sam", "sam-pw", SUB, "l4") == \
            "Welcome & <read> the rules"
        cmd_of(iq(s, command("delete-motd")))
        assert motd_at_login(s, "bob", "bob-pw", "example.org", "l3") is None
    finally:
        carol.close()
        sam.close()


def test_motd_bad_input(s):
    """Every refusal is a clear error, and nothing is stored: the
    configured motd still comes at login."""
    SUB = "sub.example.org"
    bob = login(s, "bob", "bob-pw", resource="mb")
    carol = login(s, "carol", "carol-pw", domain=SUB, resource="mb")
    try:
        mark = s.mark()
        for node in ("set-motd", "edit-motd", "delete-motd"):
            error(iq(s, command(node), who=bob), "forbidden", "auth")
            # An admin of another domain.
            error(iq(s, command(node), to=SUB), "forbidden", "auth")
        s.wait_log(r"bob@example\.org/mb is not an admin of example\.org: "
                   r"command .*#set-motd refused", after=mark)
        s.wait_log(r"alice@example\.org/desk is not an admin of "
                   r"sub\.example\.org: command .*#delete-motd refused",
                   after=mark)
        # Two motd fields, none, an empty one.
        sid, _ = start(s, "set-motd", to=SUB, who=carol)
        form = submit(motd="one").replace(
            "</x>", "<field var='motd'><value>two</value></field></x>")
        error(iq(s, command("set-motd", "complete", sid, form), to=SUB,
                 who=carol), "bad-request", "modify", "bad-payload")
        error(run(s, "set-motd", to=SUB, who=carol, other="x"),
              "bad-request", "modify", "bad-payload")
        error(run(s, "set-motd", to=SUB, who=carol, motd=[" ", "\t"]),
              "bad-request", "modify", "bad-payload")
        # Too long: 1024 bytes of text (2-byte characters).
        error(run(s, "edit-motd", to=SUB, who=carol, motd="\u00e9" * 512),
              "not-acceptable", "modify")
        error(run(s, "set-motd", to=SUB, who=carol,
                  motd=["x" * 1000, "y" * 23]), "not-acceptable", "modify")
        # Too many lines.
        error(run(s, "set-motd", to=SUB, who=carol,
                  motd=["l"] * 51), "bad-request", "modify", "bad-payload")
        assert not s.log_has(r"motd of sub\.example\.org set", after=mark)
        assert motd_at_login(s, "sam", "sam-pw", SUB, "b1") == \
            "Welcome & <read> the rules"
        # Exactly 1023 bytes is a motd.
        text = "\u00e9" * 511 + "z"
        run(s, "set-motd", to=SUB, who=carol, motd=text)
        assert motd_at_login(s, "sam", "sam-pw", SUB, "b2") == text
        cmd_of(iq(s, command("delete-motd"), to=SUB, who=carol))
    finally:
        bob.close()
        carol.close()
