"""RSM counts over big archives (XEP-0059 2.7, XEP-0313 4.3): a page's
<count/> and <first index=.../> are exact while the result set is small,
left out past the store's counting limit (made small here with
XMPPD_REGRESS_MAM_COUNT_MAX) rather than read every row of it; a query
for the count alone (max 0) is always counted; the pages themselves stay
the same."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_mam import login, query                        # noqa: E402
from xmppdtest import Server, add_user                   # noqa: E402

LIMIT = 20
N = 30          # alice's messages to bob: past the limit
C = 5           # carol's: under it


def setup():
    s = Server(prefork=1)
    s.start(env={"XMPPD_REGRESS_MAM_COUNT_MAX": str(LIMIT)})
    for u in ("alice", "bob", "carol"):
        add_user(s, "%s@example.org" % u, u + "-pw")
    s.next = 0
    a, c, b = login(s, "alice"), login(s, "carol"), login(s, "bob")
    for i in range(N):
        a.send("<message to='bob@example.org' type='chat' id='a%d'>"
               "<body>a%02d</body></message>" % (i, i))
    for i in range(N):
        b.expect(r"<message[^>]*id='a%d'" % i)
    for i in range(C):
        c.send("<message to='bob@example.org' type='chat' id='c%d'>"
               "<body>c%02d</body></message>" % (i, i))
    for i in range(C):
        b.expect(r"<message[^>]*id='c%d'" % i)
    a.close()
    c.close()
    s.b = b
    s.all = query(s, b, max=100)
    assert len(s.all["ids"]) == N + C and s.all["complete"], s.all
    return s


def teardown(s):
    s.stop()


def test_whole_archive_past_the_limit_has_no_count(s):
    # 35 rows: neither <count/> nor a made-up number.
    assert s.all["count"] is None, s.all["iq"]
    assert "<count>" not in s.all["iq"]


def test_first_page_keeps_its_index(s):
    r = query(s, s.b, max=5)
    assert r["ids"] == s.all["ids"][:5] and not r["complete"], r
    assert r["count"] is None and r["index"] == 0, r["iq"]


def test_last_page_past_the_limit(s):
    # The rows before it are 30: not counted, no index.
    r = query(s, s.b, max=5, before="")
    assert r["ids"] == s.all["ids"][-5:] and not r["complete"], r
    assert r["count"] is None and r["index"] is None, r["iq"]


def test_middle_pages_index_while_cheap(s):
    r = query(s, s.b, max=5, after=s.all["ids"][9])
    assert r["ids"] == s.all["ids"][10:15], r
    assert r["count"] is None and r["index"] == 10, r["iq"]
    r = query(s, s.b, max=5, after=s.all["ids"][24])
    assert r["ids"] == s.all["ids"][25:30], r
    assert r["count"] is None and r["index"] is None, r["iq"]


def test_paging_through_without_counts(s):
    ids, after = [], None
    for _ in range(20):
        r = query(s, s.b, max=4, after=after)
        ids += r["ids"]
        if r["complete"]:
            break
        after = r["last"]
    assert ids == s.all["ids"], ids


def test_selective_filter_is_counted(s):
    r = query(s, s.b, fields=[("with", "carol@example.org")], max=2,
              before="")
    assert r["count"] == C and r["index"] == C - 2, r["iq"]
    assert r["bodies"] == ["c03", "c04"], r
    r = query(s, s.b, fields=[("with", "carol@example.org")], max=2,
              after=r["first"], flip=True)
    assert r["count"] == C and r["bodies"] == ["c04"], r


def test_exactly_at_the_limit_is_counted(s):
    # 20 of alice's rows after her 10th: the limit itself is exact.
    r = query(s, s.b, fields=[("with", "alice@example.org"),
                              ("after-id", s.all["ids"][9])], max=3)
    assert r["count"] == LIMIT and r["index"] == 0, r["iq"]


def test_count_alone_is_always_exact(s):
    r = query(s, s.b, max=0)
    assert r["count"] == N + C and r["ids"] == [], r["iq"]
