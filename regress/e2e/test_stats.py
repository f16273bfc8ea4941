"""xmppctl show stats: sessions, users online, stanzas from and to
clients with their recent rate."""

import re

from rawxmpp import Raw
from xmppdtest import started


def setup():
    return started()


def teardown(s):
    s.stop()


def stats(s):
    out = s.ctl("show", "stats").stdout
    return {k: int(v) for k, v in
            re.findall(r"^(sessions|users online|stanzas in|stanzas out)"
                       r"\s+(\d+)", out, re.M)}, out


def test_counts(s):
    before, _ = stats(s)
    assert before["sessions"] == 0 and before["users online"] == 0, before
    a = Raw(s.ports["client"])
    a.login("alice", "alice-pw", "one")
    a2 = Raw(s.ports["client"])
    a2.login("alice", "alice-pw", "two")
    b = Raw(s.ports["client"])
    b.login("bob", "bob-pw", "b")
    for i in range(10):
        a.send("<message to='bob@example.org/b' type='chat' id='m%d'>"
               "<body>%d</body></message>" % (i, i))
    b.expect(r"id='m9'")
    now, out = stats(s)
    assert now["sessions"] == 3 and now["users online"] == 2, out
    assert now["stanzas in"] - before["stanzas in"] >= 10, out
    assert now["stanzas out"] - before["stanzas out"] >= 10, out
    assert re.search(r"stanzas in\s+\d+, [\d.]+/s over \d+s", out), out
    # The archive of the domain holds both copies of each message.
    m = re.search(r"^example\.org\s+(\d+) messages", out, re.M)
    assert m and int(m.group(1)) >= 20, out
    assert re.search(r"^database\s+\d+ KiB", out, re.M), out
    for r in (a, a2, b):
        r.close()
