"""The way to mucd and back (router_muc.c): stanzas for a muc service go
to mucd, its answers come back from the service's domain only, and the
service's stanzas are never answered as if for another domain."""

from rawxmpp import Raw
from xmppdtest import Server, add_user

MUC = "conference.example.org"


def setup():
    s = Server(prefork=1, body='muc "%s" {\n\thistory 5\n}\n' % MUC)
    s.start()
    add_user(s, "alice@example.org", "alice-pw")
    return s


def teardown(s):
    s.stop()


def test_disco_of_the_service_answered_by_mucd(s):
    m = s.mark()
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "r")
    a.send("<iq type='get' id='d1' to='%s'><query xmlns='http://jabber."
           "org/protocol/disco#info'/></iq>" % MUC)
    r = a.expect(r"<iq[^>]*id='d1'.*?(?:</iq>|/>)").group(0)
    assert "from='%s'" % MUC in r, r
    assert "remote-server-not-found" not in r, r
    a.close()
    assert not s.log_has(r"mucd.*(killed|exited)", after=m)


def test_room_answers_from_its_own_jid(s):
    m = s.mark()
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "r2")
    a.send("<presence to='room@%s/alice'><x xmlns='http://jabber.org/"
           "protocol/muc'/></presence>" % MUC)
    r = a.expect(r"<presence[^>]*from='room@%s/[^']*'.*?(?:</presence>|/>)"
                 % MUC).group(0)
    assert "remote-server-not-found" not in r, r
    a.close()
    assert not s.log_has(r"mucd.*(killed|exited)", after=m)
