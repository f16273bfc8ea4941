"""Ad-hoc admin commands (XEP-0133) from another server's users: refused
with <forbidden/> and logged, even for a remote JID the domain lists as
an admin; only a session logged in here may run them."""

from federation import Federation
from raws2s import S2SListener, S2SOut

T = 30          # s2s links come up on first use
ADD = "http://jabber.org/protocol/admin#add-user"


def setup():
    fed = Federation()
    crt, key = fed.certificate("r.test")
    peer = S2SListener("r.test", crt, key)
    fed.publish("r.test", port=peer.port)
    servers = {"a.test": fed.xmppd(
        "a.test", direct_tls=False,
        domain_body='\tadmin "alice@a.test"\n\tadmin "mallory@r.test"\n')}
    fed.run(servers, {"a.test": ("alice",)})
    return {"fed": fed, "servers": servers, "peer": peer,
            "cert": (crt, key)}


def teardown(env):
    env["peer"].close()
    env["fed"].close()


def test_remote_user_is_forbidden(env):
    crt, key = env["cert"]
    a = env["servers"]["a.test"]
    out = S2SOut(a.ports["server"], "r.test", "a.test", crt, key).external()
    try:
        mark = a.mark()
        for n, who in enumerate(("mallory@r.test/x", "eve@r.test/y")):
            out.send("<iq type='set' id='rc%d' from='%s' to='a.test'>"
                     "<command xmlns='http://jabber.org/protocol/commands' "
                     "node='%s' action='execute'/></iq>" % (n, who, ADD))
            env["peer"].wait(r"<iq[^>]*id='rc%d'[^>]*>.*?<forbidden "
                             r"xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'"
                             % n, timeout=T)
            a.wait_log(r"%s is not an admin of a\.test: command "
                       r".*#add-user refused" % who.replace(".", r"\."),
                       after=mark)
        # Nor are commands listed to them.
        out.send("<iq type='get' id='ri' from='mallory@r.test/x' "
                 "to='a.test'><query xmlns='http://jabber.org/protocol/"
                 "disco#items' node='http://jabber.org/protocol/commands'/>"
                 "</iq>")
        m = env["peer"].wait(r"<iq[^>]*id='ri'.*?</iq>|<iq[^>]*id='ri'"
                             r"[^>]*/>", timeout=T)
        assert "type='result'" in m.group(0) and \
            "#add-user" not in m.group(0), m.group(0)
    finally:
        out.close()
