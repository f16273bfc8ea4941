"""The offline queue is bounded: past the domain's limit the sender gets
<service-unavailable/>, and what was kept survives a restart."""

import re

from rawxmpp import Raw
from xmppdtest import Server, add_user


def setup():
    s = Server(prefork=1)
    s.write_conf(raw=s.base_conf().replace(
        'domain "example.org" {\n\tauth internal\n}',
        'domain "example.org" {\n\tauth internal\n\toffline limit 3\n}'))
    s.start()
    add_user(s, "alice@example.org", "alice-pw")
    add_user(s, "bob@example.org", "bob-pw")
    return s


def teardown(s):
    s.stop()


def test_limit_then_restart_then_delivery(s):
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "a")
    for i in range(5):
        a.send("<message to='bob@example.org' id='q%d' type='chat'>"
               "<body>%d</body></message>" % (i, i))
    errs = [a.expect(r"<message[^>]*type='error'.*?</message>").group(0)
            for _ in range(2)]
    assert all("service-unavailable" in e for e in errs), errs
    assert {re.search(r"id='(q\d)'", e).group(1) for e in errs} == \
        {"q3", "q4"}, errs
    a.close()
    # A full restart: what the store committed is still there.
    s.stop_keep()
    s.start()
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "b")
    b.send("<presence/>")
    for i in range(3):
        b.expect(r"<message[^>]*id='q%d'" % i)
    b.close()
