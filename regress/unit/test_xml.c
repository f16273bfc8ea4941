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
 * RFC 6120 section 11.1 forbids, the limits, and a serializer that
 * escapes whatever a peer sends.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"
#include "test.h"

#define HDR	"<?xml version='1.0'?><stream:stream to='example.org' " \
		"version='1.0' xmlns='jabber:client' " \
		"xmlns:stream='http://etherx.jabber.org/streams'>"

struct result {
	int		 opened, closed, error, stanzas;
	char		 last[4096];
};

static int
t_open(void *a, struct xml_node *n)
{
	struct result	*r = a;

	r->opened = n->text != NULL && strcmp(n->text, NS_CLIENT) == 0 &&
	    strcmp(xml_get_attr(n, "to"), "example.org") == 0;
	return (0);
}

static int
t_stanza(void *a, struct xml_node *n)
{
	struct result	*r = a;
	struct xml_buf	 b;

	xml_buf_init(&b, 0);
	xml_serialize(n, NS_CLIENT, &b);
	snprintf(r->last, sizeof(r->last), "%.*s", (int)b.len, b.data);
	xml_buf_free(&b);
	xml_node_free(n);
	r->stanzas++;
	return (0);
}

static int
t_close(void *a)
{
	((struct result *)a)->closed = 1;
	return (0);
}

static void
t_error(void *a, int e, const char *text)
{
	(void)text;
	((struct result *)a)->error = e;
}

static const struct xml_stream_cb cb = { t_open, t_stanza, t_close, t_error };
static const struct xml_limits limits = { 4096, 16, 8 };

static struct result
run(const char *doc, size_t len, size_t chunk)
{
	struct result		 r;
	struct xml_stream	*xs;
	size_t			 i, n;

	memset(&r, 0, sizeof(r));
	xs = xml_stream_new(&limits, &cb, &r);
	for (i = 0; i < len; i += n) {
		n = len - i < chunk ? len - i : chunk;
		if (xml_stream_feed(xs, doc + i, n) != 0)
			break;
	}
	xml_stream_free(xs);
	return (r);
}

static int
fails(const char *doc, int error)
{
	struct result	 r = run(doc, strlen(doc), 4096);

	return (r.error == error && r.stanzas == 0);
}

int
main(void)
{
	const char	*ok = HDR "<message to='a@b' type='chat'><body>caf\xc3\xa9"
			    " &amp; &lt;x&gt; &#x41;</body></message> \n"
			    "<iq type='get' id='1'/></stream:stream>";
	struct result	 r;
	struct xml_node	*n;
	struct xml_buf	 b;
	char		 big[8192];

	r = run(ok, strlen(ok), 1);
	CHECK(r.opened && r.closed && r.stanzas == 2 && r.error == 0,
	    "a stream fed one byte at a time");
	r = run(ok, strlen(ok), 4096);
	CHECK(r.stanzas == 2 && strstr(r.last, "<iq") != NULL,
	    "the same stream in one piece");
	r = run(HDR "<message><body>caf\xc3\xa9 &amp; &#x41;</body></message>",
	    strlen(HDR "<message><body>caf\xc3\xa9 &amp; &#x41;</body>"
	    "</message>"), 3);
	CHECK(strcmp(r.last, "<message><body>caf\xc3\xa9 &amp; A</body>"
	    "</message>") == 0, "entities and UTF-8 decoded: %s", r.last);
	CHECK(fails("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]>"
	    "<stream:stream>", XML_ERR_RESTRICTED_XML), "DOCTYPE refused");
	CHECK(fails(HDR "<?pi x?>", XML_ERR_RESTRICTED_XML), "PI refused");
	CHECK(fails(HDR "<!-- c -->", XML_ERR_RESTRICTED_XML),
	    "comment refused");
	CHECK(fails(HDR "<message>&foo;</message>", XML_ERR_NOT_WELL_FORMED),
	    "undefined entity refused");
	CHECK(fails(HDR "<message>&#0;</message>", XML_ERR_NOT_WELL_FORMED),
	    "character reference to NUL refused");
	CHECK(fails(HDR "<message>\xc0\xaf</message>",
	    XML_ERR_NOT_WELL_FORMED), "overlong UTF-8 refused");
	CHECK(fails(HDR "<message>\xed\xa0\x80</message>",
	    XML_ERR_NOT_WELL_FORMED), "UTF-16 surrogate refused");
	CHECK(fails(HDR "hello", XML_ERR_NOT_WELL_FORMED),
	    "text between stanzas refused");
	CHECK(fails("<?xml version='1.0' encoding='ISO-8859-1'?>"
	    "<stream:stream>", XML_ERR_UNSUPPORTED_ENCODING),
	    "other encodings refused");
	CHECK(fails("<html>", XML_ERR_BAD_FORMAT), "wrong root refused");
	CHECK(fails("<stream:stream xmlns:stream='urn:x'>",
	    XML_ERR_INVALID_NAMESPACE), "wrong stream namespace refused");
	CHECK(fails(HDR "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
	    "<a>", XML_ERR_POLICY_VIOLATION), "nesting limit");
	CHECK(fails(HDR "<a b='1' c='1' d='1' e='1' f='1' g='1' h='1' i='1' "
	    "j='1'/>", XML_ERR_POLICY_VIOLATION), "attribute limit");
	memset(big, 'x', sizeof(big));
	memcpy(big, HDR "<message><body>", strlen(HDR) + 15);
	big[sizeof(big) - 1] = '\0';
	r = run(big, strlen(big), 512);
	CHECK(r.error == XML_ERR_POLICY_VIOLATION, "stanza size limit while "
	    "the stanza streams in");

	/* Stanza smuggling: content comes back escaped, never as markup. */
	n = xml_node_new(NS_CLIENT, "message");
	xml_set_attr(n, "to", "a@b'/><iq type='set");
	xml_add_text(xml_add_child(n, NULL, "body"),
	    "</body></message><iq type='set'>", 32);
	xml_add_child(n, "urn:x", "x");
	xml_buf_init(&b, 0);
	xml_serialize(n, NS_CLIENT, &b);
	xml_buf_add(&b, "", 1);
	CHECK(strcmp(b.data, "<message to='a@b&apos;/&gt;&lt;iq type=&apos;"
	    "set'><body>&lt;/body&gt;&lt;/message&gt;&lt;iq type='set'&gt;"
	    "</body><x xmlns='urn:x'/></message>") == 0, "escaping: %s",
	    b.data);
	xml_node_free(n);
	n = xml_parse_fragment(b.data, b.len - 1, &limits, NS_CLIENT);
	CHECK(n != NULL && xml_find_child(n, NS_CLIENT, "body") != NULL &&
	    strcmp(xml_get_attr(n, "to"), "a@b'/><iq type='set") == 0,
	    "the serialized stanza parses back to the same");
	xml_node_free(n);
	xml_buf_free(&b);
	CHECK(xml_parse_fragment("<a/><b/>", 8, &limits, NS_CLIENT) == NULL,
	    "a fragment is one element");
	CHECK(xml_parse_fragment("<a><!-- x --></a>", 17, &limits,
	    NS_CLIENT) == NULL, "fragments are restricted too");
	n = xml_node_new(NS_CLIENT, "iq");
	xml_buf_init(&b, 0);
	xml_serialize(n, NS_SERVER, &b);
	CHECK(b.len == 27 &&
	    memcmp(b.data, "<iq xmlns='jabber:client'/>", 27) == 0,
	    "namespace written where the stream's differs");
	xml_buf_free(&b);
	xml_node_free(n);
	TEST_DONE();
}
