/*
 * Copyright (c) 2026 The xmppd developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * The XML layer: stream parsing split at every byte, every construct
 * RFC 6120 section 11.1 forbids, the limits, the tree, and a serializer
 * that escapes whatever a peer sends and writes namespaces per stream.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xml.h"
#include "test.h"

#define HDR	"<?xml version='1.0'?><stream:stream to='example.org' " \
		"from='juliet@example.org' id='s1' version='1.0' " \
		"xml:lang='en' xmlns='jabber:client' " \
		"xmlns:stream='http://etherx.jabber.org/streams'>"

struct result {
	int		 opened, closed, error, errors, stanzas, keepalives;
	int		 stop_after;
	char		 ns[64], to[64], lang[16], id[16];
	char		 last[8192];
	struct xml_node	*keep;		/* first stanza, when asked */
	int		 want_keep;
};

static const struct xml_limits limits = { 4096, 16, 8 };

static void
copy(char *dst, size_t len, const char *s)
{
	(void)snprintf(dst, len, "%s", s != NULL ? s : "(null)");
}

static int
t_open(void *a, struct xml_node *n)
{
	struct result	*r = a;

	r->opened++;
	copy(r->ns, sizeof(r->ns), n->text);
	copy(r->to, sizeof(r->to), xml_get_attr(n, "to"));
	copy(r->id, sizeof(r->id), xml_get_attr(n, "id"));
	copy(r->lang, sizeof(r->lang), xml_get_attr_ns(n, NS_XML, "lang"));
	return (0);
}

static int
t_stanza(void *a, struct xml_node *n)
{
	struct result	*r = a;
	struct xml_buf	 b;

	xml_buf_init(&b, 0);
	if (xml_serialize(n, NS_CLIENT, &b) == 0)
		(void)snprintf(r->last, sizeof(r->last), "%.*s", (int)b.len,
		    b.data != NULL ? b.data : "");
	else
		copy(r->last, sizeof(r->last), "(not serialized)");
	xml_buf_free(&b);
	if (r->want_keep && r->keep == NULL)
		r->keep = n;
	else
		xml_node_free(n);
	r->stanzas++;
	return (r->stop_after && r->stanzas >= r->stop_after ? -1 : 0);
}

static int
t_close(void *a)
{
	((struct result *)a)->closed++;
	return (0);
}

static void
t_error(void *a, int e, const char *text)
{
	struct result	*r = a;

	(void)text;
	r->error = e;
	r->errors++;
}

static void
t_keepalive(void *a)
{
	((struct result *)a)->keepalives++;
}

static const struct xml_stream_cb cb = {
	t_open, t_stanza, t_close, t_error
};

/* Feed doc in chunks of chunk bytes; the number of bytes given. */
static size_t
feed(struct xml_stream *xs, const char *doc, size_t len, size_t chunk)
{
	size_t	 i, n;

	for (i = 0; i < len; i += n) {
		n = len - i < chunk ? len - i : chunk;
		if (xml_stream_feed(xs, doc + i, n) != 0)
			return (i + n);
	}
	return (len);
}

static struct result
run_l(const char *doc, size_t len, size_t chunk, const struct xml_limits *l)
{
	struct result		 r;
	struct xml_stream	*xs;

	memset(&r, 0, sizeof(r));
	if ((xs = xml_stream_new(l, &cb, &r)) == NULL)
		abort();
	xml_stream_set_keepalive(xs, t_keepalive);
	(void)feed(xs, doc, len, chunk);
	xml_stream_free(xs);
	return (r);
}

static struct result
run(const char *doc, size_t chunk)
{
	return (run_l(doc, strlen(doc), chunk, &limits));
}

/* The stream fails with error, once, and delivers no stanza. */
static int
fails(const char *doc, int error)
{
	struct result	 r = run(doc, 4096);
	struct result	 r1 = run(doc, 1);

	return (r.error == error && r.errors == 1 && r.stanzas == 0 &&
	    r1.error == error && r1.errors == 1 && r1.stanzas == 0);
}

/* Do two trees hold the same elements, attributes and text? */
static int
same(const struct xml_node *a, const struct xml_node *b)
{
	const struct xml_node	*ca, *cb2;
	int			 i;

	if ((a->name == NULL) != (b->name == NULL))
		return (0);
	if (a->name == NULL)
		return (a->textlen == b->textlen &&
		    memcmp(a->text, b->text, a->textlen) == 0);
	if (strcmp(a->name, b->name) != 0 || strcmp(a->ns, b->ns) != 0 ||
	    a->nattrs != b->nattrs)
		return (0);
	for (i = 0; i < a->nattrs; i++) {
		const char *v = xml_get_attr_ns(b, a->attrs[i].ns,
		    a->attrs[i].name);
		if (v == NULL || strcmp(v, a->attrs[i].value) != 0)
			return (0);
	}
	cb2 = TAILQ_FIRST(&b->children);
	TAILQ_FOREACH(ca, &a->children, entry) {
		if (cb2 == NULL || !same(ca, cb2))
			return (0);
		cb2 = TAILQ_NEXT(cb2, entry);
	}
	return (cb2 == NULL);
}

static char *
ser(const struct xml_node *n, const char *ns)
{
	struct xml_buf	 b;

	xml_buf_init(&b, 0);
	if (xml_serialize(n, ns, &b) == -1 || xml_buf_add(&b, "", 1) == -1) {
		xml_buf_free(&b);
		return (NULL);
	}
	return (b.data);
}

static void
test_stream(void)
{
	const char	*doc = HDR "<message to='a@b' type='chat'><body>caf"
			    "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 &amp; "
			    "&lt;x&gt;</body></message> \n<iq type='get' "
			    "id='1'/></stream:stream>";
	struct result	 r, r1;
	size_t		 k, len = strlen(doc);
	int		 ok = 1;

	r = run(doc, 4096);
	CHECK(r.opened == 1 && strcmp(r.ns, NS_CLIENT) == 0 &&
	    strcmp(r.to, "example.org") == 0 && strcmp(r.id, "s1") == 0 &&
	    strcmp(r.lang, "en") == 0, "header: attributes, xml:lang and "
	    "default namespace (%s %s %s)", r.ns, r.to, r.lang);
	CHECK(r.stanzas == 2 && r.closed == 1 && r.error == 0 &&
	    strcmp(r.last, "<iq type='get' id='1'/>") == 0,
	    "two stanzas and the close in one feed: %s", r.last);
	CHECK(r.keepalives >= 1, "whitespace between stanzas is a keepalive");
	r1 = run(doc, 1);
	CHECK(r1.opened == 1 && r1.stanzas == 2 && r1.closed == 1 &&
	    r1.error == 0, "the same fed one byte at a time");
	for (k = 1; k < len; k++) {
		struct xml_stream	*xs;

		memset(&r1, 0, sizeof(r1));
		xs = xml_stream_new(&limits, &cb, &r1);
		if (xml_stream_feed(xs, doc, k) != 0 ||
		    xml_stream_feed(xs, doc + k, len - k) != 0 ||
		    r1.stanzas != 2 || r1.closed != 1)
			ok = 0;
		xml_stream_free(xs);
	}
	CHECK(ok, "the same split at every byte");
	{
		/*
		 * Interactive: a stanza typed a byte at a time is reported
		 * on its last byte, with or without expat's reparse deferral.
		 */
		const char	*st = "<iq type='get' id='2'/>";
		struct xml_stream *xs;
		size_t		 i, n = strlen(st);

		memset(&r1, 0, sizeof(r1));
		xs = xml_stream_new(&limits, &cb, &r1);
		(void)xml_stream_feed(xs, HDR, strlen(HDR));
		for (i = 0, ok = 1; i < n; i++) {
			if (xml_stream_feed(xs, st + i, 1) != 0 ||
			    r1.stanzas != (i + 1 == n ? 1 : 0))
				ok = 0;
		}
		xml_stream_free(xs);
		CHECK(ok, "a stanza fed a byte at a time is reported on its "
		    "last byte");
	}
	r = run(HDR "<message><body>caf\xc3\xa9 \xf0\x9f\x98\x80</body>"
	    "</message>", 1);
	CHECK(strcmp(r.last, "<message><body>caf\xc3\xa9 \xf0\x9f\x98\x80"
	    "</body></message>") == 0, "multibyte UTF-8 split across feeds");
	r = run("<stream:stream xmlns='jabber:server' xmlns:stream='"
	    NS_STREAMS "' xmlns:db='jabber:server:dialback'><db:result "
	    "from='a' to='b'>key</db:result>", 7);
	CHECK(r.opened && strcmp(r.ns, NS_SERVER) == 0 &&
	    strcmp(r.last, "<result xmlns='jabber:server:dialback' from='a' "
	    "to='b'>key</result>") == 0, "server stream, prefixed stanza: %s",
	    r.last);
	r = run("<stream:stream xmlns='jabber:component:accept' "
	    "xmlns:stream='" NS_STREAMS "' to='irc.example.org'>", 4096);
	CHECK(r.opened && strcmp(r.ns, NS_COMPONENT) == 0,
	    "component stream namespace");
	r = run("<s:stream xmlns:s='" NS_STREAMS "'>", 4096);
	CHECK(r.opened && strcmp(r.ns, "(null)") == 0,
	    "no default namespace: the header says so");
}

static void
test_restricted(void)
{
	char		 lol[4096];
	struct timespec	 t0, t1;
	struct result	 r;
	int		 i, n;

	n = snprintf(lol, sizeof(lol), "<?xml version='1.0'?><!DOCTYPE "
	    "lolz [<!ENTITY lol 'lol'>");
	for (i = 1; i < 10; i++)
		n += snprintf(lol + n, sizeof(lol) - n, "<!ENTITY lol%d "
		    "'&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;"
		    "&lol%d;&lol%d;'>", i, i - 1, i - 1, i - 1, i - 1, i - 1,
		    i - 1, i - 1, i - 1, i - 1, i - 1);
	(void)snprintf(lol + n, sizeof(lol) - n, "]><stream:stream "
	    "xmlns='jabber:client' xmlns:stream='" NS_STREAMS "'>"
	    "<message><body>&lol9;</body></message>");
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run(lol, 4096);
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(r.error == XML_ERR_RESTRICTED_XML && r.opened == 0 &&
	    r.stanzas == 0 && t1.tv_sec - t0.tv_sec < 2,
	    "billion laughs refused at the DOCTYPE, at once");
	CHECK(fails("<?xml version='1.0'?><!DOCTYPE s [<!ENTITY x SYSTEM "
	    "'file:///etc/passwd'>]><stream:stream>&x;",
	    XML_ERR_RESTRICTED_XML), "external entity refused");
	CHECK(fails("<!DOCTYPE html>", XML_ERR_RESTRICTED_XML),
	    "DOCTYPE alone refused");
	CHECK(fails("<?xml version='1.0'?><!DOCTYPE stream:stream SYSTEM "
	    "'http://127.0.0.1/x.dtd'>", XML_ERR_RESTRICTED_XML),
	    "external DTD refused");
	CHECK(fails(HDR "<?pi x?>", XML_ERR_RESTRICTED_XML),
	    "processing instruction refused");
	CHECK(fails("<?xml-stylesheet href='x'?>" HDR,
	    XML_ERR_RESTRICTED_XML), "processing instruction before the "
	    "header refused");
	CHECK(fails(HDR "<message><?pi x?></message>",
	    XML_ERR_RESTRICTED_XML), "processing instruction in a stanza "
	    "refused");
	CHECK(fails(HDR "<!-- c -->", XML_ERR_RESTRICTED_XML),
	    "comment refused");
	CHECK(fails("<!-- c -->" HDR, XML_ERR_RESTRICTED_XML),
	    "comment before the header refused");
	CHECK(fails(HDR "<message><body>a<!-- c -->b</body></message>",
	    XML_ERR_RESTRICTED_XML), "comment in a stanza refused");
	CHECK(fails(HDR "<?xml version='1.0'?>", XML_ERR_RESTRICTED_XML),
	    "second XML declaration refused");
	CHECK(fails(HDR "<message>&foo;</message>", XML_ERR_NOT_WELL_FORMED),
	    "undefined entity refused, not expanded");
	CHECK(fails(HDR "<message to='&foo;'/>", XML_ERR_NOT_WELL_FORMED),
	    "undefined entity in an attribute refused");
}

static void
test_wellformed(void)
{
	struct result	 r;

	r = run(HDR "<message><body>&lt;&gt;&amp;&quot;&apos;&#x41;&#66;"
	    "&#x1F600;</body></message>", 1);
	CHECK(r.error == 0 && strcmp(r.last, "<message><body>&lt;&gt;&amp;"
	    "\"'AB\xf0\x9f\x98\x80</body></message>") == 0,
	    "predefined entities and character references: %s", r.last);
	CHECK(fails(HDR "<message>&#0;</message>", XML_ERR_NOT_WELL_FORMED),
	    "&#0; refused");
	CHECK(fails(HDR "<message>&#x1;</message>", XML_ERR_NOT_WELL_FORMED),
	    "&#x1; refused");
	CHECK(fails(HDR "<message>&#xD800;</message>",
	    XML_ERR_NOT_WELL_FORMED), "reference to a surrogate refused");
	CHECK(fails(HDR "<message>&#xFFFE;</message>",
	    XML_ERR_NOT_WELL_FORMED), "reference to U+FFFE refused");
	CHECK(fails(HDR "<message>\xc0\xaf</message>",
	    XML_ERR_NOT_WELL_FORMED), "overlong UTF-8 refused");
	CHECK(fails(HDR "<message>\xe0\x80\xaf</message>",
	    XML_ERR_NOT_WELL_FORMED), "overlong 3-byte UTF-8 refused");
	CHECK(fails(HDR "<message>\xed\xa0\x80</message>",
	    XML_ERR_NOT_WELL_FORMED), "UTF-8 surrogate refused");
	CHECK(fails(HDR "<message>\xff</message>", XML_ERR_NOT_WELL_FORMED),
	    "0xFF refused");
	CHECK(fails(HDR "<message>\xf4\x90\x80\x80</message>",
	    XML_ERR_NOT_WELL_FORMED), "past U+10FFFF refused");
	CHECK(fails(HDR "<message>\xc3</message>", XML_ERR_NOT_WELL_FORMED),
	    "truncated sequence refused");
	CHECK(fails(HDR "<message to='\xc0\xaf'/>", XML_ERR_NOT_WELL_FORMED),
	    "bad UTF-8 in an attribute refused");
	CHECK(fails(HDR "<message>\x01</message>", XML_ERR_NOT_WELL_FORMED),
	    "control character refused");
	r = run_l(HDR "<message>a\0b</message>", strlen(HDR) + 21, 4096,
	    &limits);
	CHECK(r.error == XML_ERR_NOT_WELL_FORMED && r.stanzas == 0,
	    "NUL byte refused");
	CHECK(fails(HDR "hello", XML_ERR_NOT_WELL_FORMED),
	    "text between stanzas refused");
	CHECK(fails(HDR "<![CDATA[ ]]>", XML_ERR_NOT_WELL_FORMED),
	    "CDATA between stanzas refused");
	CHECK(fails(HDR "<a></b>", XML_ERR_NOT_WELL_FORMED),
	    "mismatched tags refused");
	CHECK(fails(HDR "<p:a/>", XML_ERR_NOT_WELL_FORMED),
	    "unbound prefix refused");
	CHECK(fails(HDR "<a x='1' x='2'/>", XML_ERR_NOT_WELL_FORMED),
	    "duplicate attribute refused");
	CHECK(fails(HDR "<a><xml:b/></a>", XML_ERR_BAD_NAMESPACE_PREFIX),
	    "element in the xml namespace refused");
	CHECK(fails("GET / HTTP/1.1\r\n\r\n", XML_ERR_NOT_WELL_FORMED),
	    "garbage before the header refused");
	CHECK(fails(HDR "</stream:stream><iq/>", XML_ERR_NOT_WELL_FORMED),
	    "nothing after the close");
	CHECK(fails("<?xml version='1.0' encoding='ISO-8859-1'?>"
	    "<stream:stream>", XML_ERR_UNSUPPORTED_ENCODING),
	    "ISO-8859-1 refused");
	CHECK(fails("<?xml version='1.0' encoding='UTF-16'?><stream:stream>",
	    XML_ERR_UNSUPPORTED_ENCODING), "UTF-16 refused");
	r = run("<?xml version='1.0' encoding='utf-8'?><stream:stream "
	    "xmlns:stream='" NS_STREAMS "'>", 4096);
	CHECK(r.opened == 1 && r.error == 0, "utf-8 in any case accepted");
	CHECK(fails("<html>", XML_ERR_BAD_FORMAT), "wrong root refused");
	CHECK(fails("<stream:stream xmlns:stream='urn:x'>",
	    XML_ERR_INVALID_NAMESPACE), "wrong stream namespace refused");
	CHECK(fails("<stream xmlns='jabber:client'>",
	    XML_ERR_INVALID_NAMESPACE), "stream in the content namespace "
	    "refused");
}

static void
test_limits(void)
{
	struct xml_limits	 big = { 65536, 16, 64 };
	struct result		 r;
	struct xml_stream	*xs;
	char			 buf[1024];
	size_t			 given;
	int			 rc = 0;

	CHECK(fails(HDR "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
	    "<a>", XML_ERR_POLICY_VIOLATION), "nesting limit");
	CHECK(fails(HDR "<a b='1' c='1' d='1' e='1' f='1' g='1' h='1' i='1' "
	    "j='1'/>", XML_ERR_POLICY_VIOLATION), "attribute limit");
	CHECK(fails(HDR "<a xmlns:a='1' xmlns:b='1' xmlns:c='1' xmlns:d='1' "
	    "xmlns:e='1' xmlns:f='1' xmlns:g='1' xmlns:h='1' xmlns:i='1'/>",
	    XML_ERR_POLICY_VIOLATION), "namespace declaration limit");

	/* A body that never ends, 1 KiB at a time: cut at the limit. */
	memset(&r, 0, sizeof(r));
	xs = xml_stream_new(&limits, &cb, &r);
	(void)xml_stream_feed(xs, HDR "<message><body>",
	    strlen(HDR "<message><body>"));
	memset(buf, 'x', sizeof(buf));
	for (given = 0; given < 10 * 1024 * 1024; given += sizeof(buf))
		if ((rc = xml_stream_feed(xs, buf, sizeof(buf))) != 0)
			break;
	CHECK(rc == -1 && r.error == XML_ERR_POLICY_VIOLATION &&
	    given <= limits.stanza_size, "10 MB body stopped at the stanza "
	    "size (after %zu bytes)", given + sizeof(buf));
	CHECK(xml_stream_feed(xs, "<iq/>", 5) == -1 && r.errors == 1,
	    "after an error every feed fails, reported once");
	xml_stream_free(xs);

	/* A start tag that never ends. */
	memset(&r, 0, sizeof(r));
	xs = xml_stream_new(&big, &cb, &r);
	(void)xml_stream_feed(xs, HDR "<message to='", strlen(HDR) + 13);
	for (given = 0; given < 1024 * 1024; given += sizeof(buf))
		if ((rc = xml_stream_feed(xs, buf, sizeof(buf))) != 0)
			break;
	CHECK(rc == -1 && r.error == XML_ERR_POLICY_VIOLATION &&
	    given < 32768, "an endless start tag is stopped (after %zu "
	    "bytes)", given + sizeof(buf));
	xml_stream_free(xs);

	/* An endless header, before any stanza. */
	memset(&r, 0, sizeof(r));
	xs = xml_stream_new(&big, &cb, &r);
	(void)xml_stream_feed(xs, "<stream:stream to='", 19);
	for (given = 0; given < 1024 * 1024; given += sizeof(buf))
		if ((rc = xml_stream_feed(xs, buf, sizeof(buf))) != 0)
			break;
	CHECK(rc == -1 && r.error == XML_ERR_POLICY_VIOLATION &&
	    given < 32768, "an endless stream header is stopped");
	xml_stream_free(xs);

	/* An endless comment is stopped too, whatever it is called. */
	memset(&r, 0, sizeof(r));
	xs = xml_stream_new(&big, &cb, &r);
	(void)xml_stream_feed(xs, HDR "<!--", strlen(HDR) + 4);
	for (given = 0; given < 1024 * 1024; given += sizeof(buf))
		if ((rc = xml_stream_feed(xs, buf, sizeof(buf))) != 0)
			break;
	CHECK(rc == -1 && r.error != 0 && given < 32768,
	    "an endless comment is stopped");
	xml_stream_free(xs);

}

static void
test_sizes(void)
{
	struct xml_limits	 big = { 65536, 16, 64 };
	struct result		 r;
	struct xml_stream	*xs;
	char			*p;
	size_t			 i;

	/* A stanza just under the limit passes; one byte more does not. */
	p = malloc(limits.stanza_size + 64);
	i = snprintf(p, 64, "<message><body>");
	memset(p + i, 'y', limits.stanza_size - i - 17);
	memcpy(p + limits.stanza_size - 17, "</body></message>", 18);
	memset(&r, 0, sizeof(r));
	xs = xml_stream_new(&limits, &cb, &r);
	(void)xml_stream_feed(xs, HDR, strlen(HDR));
	(void)feed(xs, p, strlen(p), 1000);
	CHECK(r.stanzas == 1 && r.error == 0, "a stanza of exactly the "
	    "limit passes");
	xml_stream_free(xs);
	memmove(p + 1, p, strlen(p) + 1);
	p[0] = ' ';
	memcpy(p, "<message><body>y", 16);
	memset(&r, 0, sizeof(r));
	xs = xml_stream_new(&limits, &cb, &r);
	(void)xml_stream_feed(xs, HDR, strlen(HDR));
	(void)feed(xs, p, strlen(p), 1000);
	CHECK(r.stanzas == 0 && r.error == XML_ERR_POLICY_VIOLATION,
	    "one byte more does not");
	xml_stream_free(xs);
	free(p);

	/* Names past their bound. */
	p = malloc(4096);
	i = snprintf(p, 4096, "%s<", HDR);
	memset(p + i, 'n', 2000);
	(void)snprintf(p + i + 2000, 4096 - i - 2000, "/>");
	r = run_l(p, strlen(p), 4096, &big);
	CHECK(r.error == XML_ERR_POLICY_VIOLATION, "overlong element name");
	free(p);

	/* Many empty elements in a long namespace: the heap bound. */
	p = malloc(65536);
	i = snprintf(p, 65536, "%s<x xmlns='", HDR);
	memset(p + i, 'u', 1000);
	i += 1000;
	i += snprintf(p + i, 65536 - i, "'>");
	while (i < 60000)
		i += snprintf(p + i, 65536 - i, "<a/>");
	r = run_l(p, i, 4096, &big);
	CHECK(r.error == XML_ERR_POLICY_VIOLATION && r.stanzas == 0,
	    "a stanza that would take too much heap is refused");
	free(p);
}

static void
test_callbacks(void)
{
	struct result		 r;
	struct xml_stream	*xs;
	const char		*two = HDR "<iq id='a'/><iq id='b'/>";

	memset(&r, 0, sizeof(r));
	r.stop_after = 1;
	xs = xml_stream_new(&limits, &cb, &r);
	CHECK(xml_stream_feed(xs, two, strlen(two)) == 1 && r.stanzas == 1,
	    "a callback stops the feed; the rest is not read");
	CHECK(xml_stream_feed(xs, "<iq/>", 5) == 1 && r.stanzas == 1,
	    "and later feeds");
	CHECK(xml_stream_reset(xs) == 0 && xml_stream_feed(xs, two,
	    strlen(two)) == 1 && r.opened == 2 && r.stanzas == 2,
	    "reset: a new stream with a new header");
	xml_stream_free(xs);

	memset(&r, 0, sizeof(r));
	xs = xml_stream_new(&limits, &cb, &r);
	(void)xml_stream_feed(xs, "<!-- x -->", 10);
	CHECK(r.error == XML_ERR_RESTRICTED_XML && xml_stream_reset(xs) == 0 &&
	    xml_stream_feed(xs, two, strlen(two)) == 0 && r.stanzas == 2,
	    "reset after an error");
	xml_stream_free(xs);
}

/* Many stanzas with new names: the parser is renewed as they go. */
static void
test_rotation(void)
{
	struct xml_limits	 l = { 65536, 16, 64 };
	struct result		 r;
	struct xml_stream	*xs;
	const char		*s2;
	char			 s[256];
	int			 i, n, ok = 1;
	size_t			 k = 0, chunk;

	memset(&r, 0, sizeof(r));
	xs = xml_stream_new(&l, &cb, &r);
	s2 = "<s:stream xmlns='jabber:server' xmlns:s='" NS_STREAMS "' "
	    "xmlns:db='jabber:server:dialback'>";
	(void)xml_stream_feed(xs, s2, strlen(s2));
	for (i = 0; i < 20000 && ok; i++) {
		n = snprintf(s, sizeof(s), "<message id='%d'><x%d xmlns='urn:"
		    "%d'/><db:r>t</db:r></message> <s:features/>", i, i, i);
		chunk = 1 + k++ % 97;
		if (feed(xs, s, n, chunk) != (size_t)n)
			ok = 0;
	}
	CHECK(ok && r.error == 0 && r.stanzas == 40000 &&
	    strcmp(r.last, "<features xmlns='" NS_STREAMS "'/>") == 0,
	    "20000 stanzas with new names and header prefixes, parser "
	    "renewed (%d, %s)", r.stanzas, r.last);
	n = snprintf(s, sizeof(s), "<db:result>k</db:result>");
	(void)xml_stream_feed(xs, s, n);
	CHECK(r.error == 0 && strcmp(r.last, "<result xmlns='jabber:server:"
	    "dialback'>k</result>") == 0, "prefixes still bound: %s", r.last);
	(void)xml_stream_feed(xs, "<message>", 9);
	CHECK(r.error == 0, "content namespace still the default");
	xml_stream_free(xs);
}

static void
test_serializer(void)
{
	struct xml_node	*n, *m;
	char		*s, *s2;
	const char	*t;
	const char	*evil = "</body></message><iq type='set'>";

	/* Stanza smuggling: content comes back escaped, never as markup. */
	n = xml_node_new(NS_CLIENT, "message");
	xml_set_attr(n, "to", "a@b'/><iq type='set");
	xml_add_text(xml_add_child(n, NULL, "body"), evil, strlen(evil));
	xml_add_child(n, "urn:x", "x");
	s = ser(n, NS_CLIENT);
	CHECK(s != NULL && strcmp(s, "<message to='a@b&apos;/&gt;&lt;iq "
	    "type=&apos;set'><body>&lt;/body&gt;&lt;/message&gt;&lt;iq "
	    "type='set'&gt;</body><x xmlns='urn:x'/></message>") == 0,
	    "escaping: %s", s);
	m = xml_parse_fragment(s, strlen(s), &limits, NS_CLIENT);
	s2 = xml_child_text(m, NS_CLIENT, "body");
	CHECK(m != NULL && s2 != NULL && strcmp(s2, evil) == 0 &&
	    strcmp(xml_get_attr(m, "to"), "a@b'/><iq type='set") == 0 &&
	    same(n, m), "the serialized stanza parses back to the same");
	free(s2);
	xml_node_free(m);
	free(s);

	t = "<message><body><![CDATA[</body></message><iq type='set'>]]>"
	    "</body></message>";
	m = xml_parse_fragment(t, strlen(t), &limits, NS_CLIENT);
	s = ser(m, NS_CLIENT);
	CHECK(s != NULL && strstr(s, "&lt;/body&gt;&lt;/message&gt;&lt;iq "
	    "type='set'&gt;") != NULL, "CDATA content comes out escaped");
	free(s);
	xml_node_free(m);
	xml_node_free(n);
}

static void
test_namespaces(void)
{
	struct xml_node	*n, *m, *b2;
	struct xml_buf	 b;
	char		*s;

	/* Namespaces per stream. */
	n = xml_node_new(NS_CLIENT, "message");
	xml_set_attr(n, "to", "a@b");
	xml_add_child(n, NULL, "body");
	xml_add_child(n, "urn:x", "x");
	s = ser(n, NS_SERVER);
	CHECK(s != NULL && strncmp(s, "<message xmlns='jabber:client' ",
	    31) == 0 && strstr(s, "<body/>") != NULL, "written for another "
	    "default namespace, the stanza says its own: %.40s", s);
	free(s);
	xml_buf_init(&b, 0);
	CHECK(xml_serialize_as(n, NS_CLIENT, NS_SERVER, &b) == 0 &&
	    b.len > 12 && memcmp(b.data, "<message to=", 12) == 0,
	    "translated to jabber:server, no xmlns");
	xml_buf_add(&b, "", 1);
	m = xml_parse_fragment(b.data, b.len - 1, &limits, NS_SERVER);
	CHECK(m != NULL && xml_is(m, NS_SERVER, "message") &&
	    xml_find_child(m, NS_SERVER, "body") != NULL &&
	    xml_find_child(m, "urn:x", "x") != NULL,
	    "and it reads as jabber:server, extensions unchanged");
	xml_node_free(m);
	xml_buf_free(&b);
	xml_node_free(n);

	n = xml_node_new(NS_CLIENT, "iq");
	b2 = xml_add_child(n, "urn:a", "query");
	xml_add_child(b2, NULL, "item");
	xml_add_child(b2, "", "bare");
	xml_set_attr_ns(n, NS_XML, "lang", "fr");
	xml_set_attr_ns(b2, "urn:attr", "k", "v");
	s = ser(n, NS_CLIENT);
	CHECK(s != NULL && strcmp(s, "<iq xml:lang='fr'><query xmlns='urn:a' "
	    "xmlns:a0='urn:attr' a0:k='v'><item/><bare xmlns=''/></query>"
	    "</iq>") == 0, "child namespaces, xml:lang, attribute prefixes: "
	    "%s", s);
	m = xml_parse_fragment(s, strlen(s), &limits, NS_CLIENT);
	CHECK(m != NULL && same(n, m) && strcmp(xml_get_attr_ns(m, NS_XML,
	    "lang"), "fr") == 0, "and they read back the same");
	xml_node_free(m);
	free(s);
	xml_node_free(n);
}

static void
test_refusals(void)
{
	struct xml_node	*n, *m;
	struct xml_buf	 b;
	char		*s;
	size_t		 len;

	n = xml_node_new(NS_CLIENT, "message");
	xml_set_attr(n, "id", "a\tb\nc\rd\"e");
	xml_add_text(n, "x\ry\n", 4);
	s = ser(n, NS_CLIENT);
	m = xml_parse_fragment(s, strlen(s), &limits, NS_CLIENT);
	CHECK(m != NULL && same(n, m), "TAB, LF and CR survive");
	xml_node_free(m);
	free(s);

	xml_buf_init(&b, 0);
	xml_buf_add(&b, "keep", 4);
	xml_add_text(n, "\x01", 1);
	CHECK(xml_serialize(n, NS_CLIENT, &b) == -1 && b.len == 4,
	    "a control character is not written; the buffer is unchanged");
	xml_node_free(n);
	n = xml_node_new(NS_CLIENT, "message");
	xml_add_text(n, "\xc0\xaf", 2);
	CHECK(xml_serialize(n, NS_CLIENT, &b) == -1, "nor bad UTF-8");
	xml_node_free(n);
	n = xml_node_new(NS_CLIENT, "a b");
	CHECK(xml_serialize(n, NS_CLIENT, &b) == -1, "nor a bad name");
	xml_node_free(n);
	n = xml_node_new(NS_CLIENT, "iq");
	xml_set_attr(n, "x:y", "1");
	CHECK(xml_serialize(n, NS_CLIENT, &b) == -1, "nor a qualified "
	    "attribute name");
	xml_del_attr(n, "x:y");
	xml_set_attr(n, "xmlns", "urn:evil");
	CHECK(xml_serialize(n, NS_CLIENT, &b) == -1, "nor an xmlns "
	    "attribute");
	xml_node_free(n);
	xml_buf_free(&b);

	xml_buf_init(&b, 10);
	n = xml_node_new(NS_CLIENT, "message");
	xml_add_text(n, "0123456789", 10);
	len = b.len;
	CHECK(xml_serialize(n, NS_CLIENT, &b) == -1 && b.len == len,
	    "the buffer maximum holds");
	xml_node_free(n);
	xml_buf_free(&b);
}

static void
test_roundtrip(void)
{
	const char	*doc = HDR "<message to='r@example.org/x' type='chat' "
			    "xml:lang='de' id='&lt;&amp;&quot;'><body>Gr&#xFC;"
			    "&#xDF;e &amp; &lt;tags&gt;</body><html xmlns='"
			    "http://jabber.org/protocol/xhtml-im'><body xmlns="
			    "'http://www.w3.org/1999/xhtml'><p style='a:b'>x"
			    "<br/>y</p></body></html><thread>t</thread>"
			    "<x xmlns='jabber:x:data' xmlns:p='urn:p' "
			    "p:q='1' type='form'/></message>";
	struct result	 r;
	struct xml_stream *xs;
	struct xml_node	*m, *c;
	char		*s, *s2;

	memset(&r, 0, sizeof(r));
	r.want_keep = 1;
	xs = xml_stream_new(&limits, &cb, &r);
	(void)xml_stream_feed(xs, doc, strlen(doc));
	xml_stream_free(xs);
	s = ser(r.keep, NS_CLIENT);
	m = xml_parse_fragment(s, strlen(s), &limits, NS_CLIENT);
	s2 = ser(m, NS_CLIENT);
	CHECK(r.keep != NULL && m != NULL && same(r.keep, m) &&
	    strcmp(s, s2) == 0, "parse, serialize, parse: equal trees");
	c = xml_node_clone(m);
	CHECK(c != NULL && same(c, m) && c->parent == NULL,
	    "a clone is equal");
	xml_node_free(c);
	free(s);
	free(s2);
	xml_node_free(m);
	xml_node_free(r.keep);
}

static void
test_fragment(void)
{
	struct xml_limits	 l0 = { 0, 16, 8 }, small = { 10, 16, 8 };
	struct xml_node		*n;
	const char		*bad[] = {
		"<a/><b/>", "", "text", "<a>", "<a><!-- x --></a>",
		"<a><?pi?></a>", "<?xml version='1.0'?><a/>",
		"<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "<a>&foo;</a>",
		"<a/></stream:stream><stream:stream><b/>",
		"<a></stream:stream>", "<a>\xff</a>", "<a>&#0;</a>",
		("<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a></a></a>"
		"</a></a></a></a></a></a></a></a></a></a></a></a></a></a>"),
		"<a b='1' c='1' d='1' e='1' f='1' g='1' h='1' i='1' j='1'/>",
	};
	size_t			 i;
	int			 ok = 1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if ((n = xml_parse_fragment(bad[i], strlen(bad[i]), &l0,
		    NS_CLIENT)) != NULL) {
			ok = 0;
			printf("# accepted: %s\n", bad[i]);
			xml_node_free(n);
		}
	CHECK(ok, "fragments get the stream's restrictions");
	CHECK(xml_parse_fragment("<a>b\0</a>", 9, &l0, NS_CLIENT) == NULL,
	    "NUL in a fragment refused");
	n = xml_parse_fragment("<presence/>", 11, &small, NS_CLIENT);
	CHECK(n != NULL, "a fragment longer than its stanza size is read: "
	    "serializing may lengthen what a stream accepted");
	xml_node_free(n);
	n = xml_parse_fragment(" <presence><show>away</show></presence>\n",
	    40, &l0, NS_CLIENT);
	CHECK(n != NULL && xml_is(n, NS_CLIENT, "presence"),
	    "a fragment with stanza_size 0 is bounded by its length");
	xml_node_free(n);
}

/* The production limits of a client stream: c2s.c, router_stanza.c. */
static const struct xml_limits prod = { 262144, 64, XML_ATTRS_MAX };
static const struct xml_limits big64 = { 65536, 16, XML_ATTRS_MAX };
static const struct xml_limits len_only = { 0, 16, XML_ATTRS_MAX };

/* The first stanza a stream with limits l reads from doc, or NULL. */
static struct xml_node *
stream_first(const char *doc, size_t len, const struct xml_limits *l)
{
	struct result		 r;
	struct xml_stream	*xs;

	memset(&r, 0, sizeof(r));
	r.want_keep = 1;
	if ((xs = xml_stream_new(l, &cb, &r)) == NULL)
		abort();
	(void)feed(xs, doc, len, 4096);
	xml_stream_free(xs);
	if (r.error != 0) {
		xml_node_free(r.keep);
		return (NULL);
	}
	return (r.keep);
}

/*
 * Whatever a stream accepts, serialized, must parse again with the same
 * limits to the same tree: the router re-parses what a stream process
 * serialized, and a check that cannot parse a stanza refuses it.
 */
static int
reparses(const struct xml_node *n, const struct xml_limits *l, char **out)
{
	struct xml_node	*m;
	char		*s;
	int		 ok;

	if ((s = ser(n, NS_CLIENT)) == NULL)
		return (0);
	m = xml_parse_fragment(s, strlen(s), l, NS_CLIENT);
	ok = m != NULL && same(n, m);
	xml_node_free(m);
	if (out != NULL)
		*out = s;
	else
		free(s);
	return (ok);
}

static size_t
count(const char *s, const char *what)
{
	size_t	 n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return (n);
}

static void
test_reparse(void)
{
	struct xml_node	*n, *m = NULL;
	struct xml_buf	 d;
	char		*s = NULL, *uri;
	const char	*t;
	int		 i;

	/* 64 attributes in one namespace: one declaration, not 64. */
	xml_buf_init(&d, 0);
	xml_buf_addstr(&d, HDR "<message to='a@b' xmlns:p='urn:p'>"
	    "<x xmlns='urn:x'");
	for (i = 0; i < XML_ATTRS_MAX; i++) {
		char a[32];

		(void)snprintf(a, sizeof(a), " p:a%d='%d'", i, i);
		xml_buf_addstr(&d, a);
	}
	xml_buf_addstr(&d, "/></message>");
	n = stream_first(d.data, d.len, &prod);
	CHECK(n != NULL, "a stream accepts 64 attributes in one namespace");
	CHECK(n != NULL && reparses(n, &prod, &s) &&
	    count(s, "xmlns:") == 1 && count(s, "='urn:p'") == 1,
	    "serialized with one declaration, it parses again with the same "
	    "limits");
	free(s);
	xml_node_free(n);
	xml_buf_free(&d);

	/* Nested: a prefix in scope is used again, never shadowed. */
	t = HDR "<message xmlns:p='urn:p' xmlns:q='urn:q'><x p:a='1'>"
	    "<y p:b='2' q:c='3'><z p:d='4' q:e='5'/></y><w q:f='6'/></x>"
	    "</message>";
	n = stream_first(t, strlen(t), &prod);
	s = n != NULL ? ser(n, NS_CLIENT) : NULL;
	CHECK(s != NULL && strcmp(s, "<message><x xmlns:a0='urn:p' a0:a='1'>"
	    "<y a0:b='2' xmlns:a1='urn:q' a1:c='3'><z a0:d='4' a1:e='5'/>"
	    "</y><w xmlns:a1='urn:q' a1:f='6'/></x></message>") == 0,
	    "nested namespaced attributes: declared once per scope: %s", s);
	CHECK(n != NULL && reparses(n, &prod, NULL), "and read back the same");
	free(s);
	xml_node_free(n);

	/*
	 * 64 attributes in 64 namespaces and an element in a 65th, all
	 * declared by the stream header with long names: the stanza must
	 * declare them all on one tag, longer than any a stream reads.
	 */
	if ((uri = malloc(1001)) == NULL)
		abort();
	memset(uri, 'u', 1000);
	uri[1000] = '\0';
	xml_buf_init(&d, 0);
	xml_buf_addstr(&d, "<stream:stream xmlns='jabber:client' xmlns:stream="
	    "'http://etherx.jabber.org/streams' xmlns:e='urn:e'");
	for (i = 0; i < XML_ATTRS_MAX - 3; i++) {
		char a[48];

		(void)snprintf(a, sizeof(a), " xmlns:n%d='urn:%d:", i, i);
		xml_buf_addstr(&d, a);
		xml_buf_addstr(&d, i < 14 ? uri : "x");
		xml_buf_addstr(&d, "'");
	}
	xml_buf_addstr(&d, "><message xmlns:m0='urn:m0' xmlns:m1='urn:m1' "
	    "xmlns:m2='urn:m2'><e:x m0:a='' m1:a='' m2:a=''");
	for (i = 0; i < XML_ATTRS_MAX - 3; i++) {
		char a[32];

		/* And values that grow when escaped. */
		(void)snprintf(a, sizeof(a), " n%d:a='", i);
		xml_buf_addstr(&d, a);
		xml_buf_addstr(&d, ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>'");
	}
	xml_buf_addstr(&d, "/></message>");
	n = stream_first(d.data, d.len, &prod);
	CHECK(n != NULL && reparses(n, &prod, &s) &&
	    count(s, "xmlns") == XML_ATTRS_MAX + 1 && strlen(s) > 16384,
	    "65 declarations on a tag of %zu bytes: read with the same limits",
	    s != NULL ? strlen(s) : 0);
	free(s);
	xml_node_free(n);
	xml_buf_free(&d);
	free(uri);

	/* The allowance is that one declaration, no more. */
	for (i = XML_ATTRS_MAX + 1; i <= XML_ATTRS_MAX + 2; i++) {
		int	 k;

		xml_buf_init(&d, 0);
		xml_buf_addstr(&d, "<message><x xmlns='urn:e'");
		for (k = 0; k < i - 1; k++) {
			char a[64];

			(void)snprintf(a, sizeof(a), " xmlns:z%d='urn:%d'", k,
			    k);
			xml_buf_addstr(&d, a);
		}
		for (k = 0; k < XML_ATTRS_MAX; k++) {
			char a[32];

			(void)snprintf(a, sizeof(a), " z%d:a=''", k);
			xml_buf_addstr(&d, a);
		}
		xml_buf_addstr(&d, "/></message>");
		n = xml_parse_fragment(d.data, d.len, &prod, NS_CLIENT);
		CHECK((n != NULL) == (i == XML_ATTRS_MAX + 1), "a fragment "
		    "tag with %d declarations: %s", i, n != NULL ? "read" :
		    "refused");
		xml_node_free(n);
		xml_buf_free(&d);
	}

	/*
	 * Serialized shorter than it came (long prefixes): the heap a tree
	 * may take follows the stream's stanza size, not the fragment's.
	 */
	xml_buf_init(&d, 0);
	xml_buf_addstr(&d, HDR "<message xmlns:pppppppppppppppppppppppppppppp="
	    "'jabber:client'>");
	while (d.len < 60000)
		xml_buf_addstr(&d, "<pppppppppppppppppppppppppppppp:a/>");
	xml_buf_addstr(&d, "</message>");
	n = stream_first(d.data, d.len, &big64);
	s = n != NULL ? ser(n, NS_CLIENT) : NULL;
	CHECK(n != NULL && s != NULL && reparses(n, &big64, NULL) &&
	    (m = xml_parse_fragment(s, strlen(s), &len_only, NS_CLIENT)) ==
	    NULL, "a stanza serialized in %zu bytes from %zu reads with the "
	    "stream's limits (its own length would not hold its tree)",
	    s != NULL ? strlen(s) : 0, d.len);
	xml_node_free(m);
	free(s);
	xml_node_free(n);
	xml_buf_free(&d);
}

static void
test_tree(void)
{
	struct xml_node	*n, *c, *d;
	char		*t;

	n = xml_node_new(NS_CLIENT, "iq");
	CHECK(xml_set_attr(n, "type", "get") == 0 &&
	    xml_set_attr(n, "type", "set") == 0 && n->nattrs == 1 &&
	    strcmp(xml_get_attr(n, "type"), "set") == 0,
	    "setting an attribute twice replaces it");
	c = xml_add_child(n, "urn:q", "query");
	xml_add_text(xml_add_child(c, NULL, "name"), "ab", 2);
	xml_add_text(xml_find_child(c, "urn:q", "name"), "cd", 2);
	t = xml_child_text(c, "urn:q", "name");
	CHECK(t != NULL && strcmp(t, "abcd") == 0 &&
	    xml_child_text(c, "urn:q", "none") == NULL,
	    "child text, joined");
	free(t);
	CHECK(xml_text(NULL) == NULL && xml_find_child(NULL, NULL, "x") ==
	    NULL && xml_add_child(NULL, NULL, "x") == NULL &&
	    xml_add_text(NULL, "x", 1) == -1 && xml_get_attr(NULL, "x") ==
	    NULL, "NULL-safe where chained");
	CHECK(xml_first_child(n) == c && xml_is(c, "urn:q", "query") &&
	    !xml_is(c, "urn:other", "query") && xml_is(c, NULL, "query"),
	    "first child and xml_is");
	d = xml_node_new(NS_CLIENT, "message");
	xml_append(d, c);
	CHECK(TAILQ_EMPTY(&n->children) && c->parent == d,
	    "append moves a node");
	xml_unlink(c);
	xml_node_free(c);
	xml_del_attr(n, "type");
	CHECK(n->nattrs == 0 && TAILQ_EMPTY(&d->children),
	    "unlink and delete attribute");
	xml_node_free(n);
	xml_node_free(d);
}

#define FEED(xs, str)	xml_stream_feed((xs), (str), strlen(str))

/* An idle stream gives its parser back; what follows reads the same. */
static void
test_sleep(void)
{
	struct result		 r;
	struct xml_stream	*xs;

	memset(&r, 0, sizeof(r));
	if ((xs = xml_stream_new(&limits, &cb, &r)) == NULL)
		abort();
	CHECK(xml_stream_sleep(xs) == -1 && !xml_stream_between(xs),
	    "no sleep before the header");
	CHECK(FEED(xs, "<?xml version='1.0'?><stream:stream to='example.org'"
	    " xmlns='jabber:client' xmlns:x='urn:x' xmlns:stream="
	    "'http://etherx.jabber.org/streams'><message><bo") == 0 &&
	    r.opened == 1, "header");
	CHECK(xml_stream_sleep(xs) == -1 && !xml_stream_between(xs),
	    "no sleep inside a stanza");
	CHECK(FEED(xs, "dy>one</body></message>") == 0 && r.stanzas == 1,
	    "first stanza");
	CHECK(xml_stream_between(xs) && xml_stream_sleep(xs) == 0 &&
	    xml_stream_sleep(xs) == 0,
	    "asleep between stanzas, twice");
	CHECK(FEED(xs, "<message><x:y/><body>two</body></message>") == 0 &&
	    r.stanzas == 2 && strcmp(r.last, "<message><y xmlns='urn:x'/>"
	    "<body>two</body></message>") == 0,
	    "woken: the header's prefixes still bound (%s)", r.last);
	CHECK(FEED(xs, "<iq ty") == 0 && xml_stream_sleep(xs) == -1 &&
	    !xml_stream_between(xs), "no sleep while expat holds a tag");
	CHECK(FEED(xs, "pe='get' id='a'/> ") == 0 && r.stanzas == 3 &&
	    xml_stream_between(xs) && xml_stream_sleep(xs) == 0,
	    "and after it");
	xml_stream_free(xs);

	memset(&r, 0, sizeof(r));
	if ((xs = xml_stream_new(&limits, &cb, &r)) == NULL)
		abort();
	(void)FEED(xs, HDR "<presence/>");
	CHECK(xml_stream_sleep(xs) == 0 && FEED(xs, "</stream:stream>") == 0 &&
	    r.closed == 1 && r.errors == 0, "stream closed while asleep");
	xml_stream_free(xs);

	memset(&r, 0, sizeof(r));
	if ((xs = xml_stream_new(&limits, &cb, &r)) == NULL)
		abort();
	(void)FEED(xs, HDR "<presence/>");
	CHECK(xml_stream_sleep(xs) == 0 && FEED(xs, "<a></b>") == -1 &&
	    r.errors == 1, "a woken parser finds bad XML");
	CHECK(xml_stream_sleep(xs) == -1 && !xml_stream_between(xs),
	    "no sleep after an error");
	xml_stream_free(xs);
}

int
main(void)
{
	test_stream();
	test_restricted();
	test_wellformed();
	test_limits();
	test_sizes();
	test_callbacks();
	test_rotation();
	test_sleep();
	test_serializer();
	test_namespaces();
	test_refusals();
	test_roundtrip();
	test_fragment();
	test_reparse();
	test_tree();
	TEST_DONE();
}
