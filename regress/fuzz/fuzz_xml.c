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
 * libFuzzer harness for the XML layer: the input (after a 4-byte seed
 * for the piece sizes) is fed to the stream parser whole and in pieces,
 * and both must give the same stanzas; every stanza must serialize,
 * parse back with the same limits to the same tree and serialize to
 * the same bytes again.
 * See regress/fuzz/README.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

static const struct xml_limits limits = { 2048, 12, 16 };

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
fuzz_same(const struct xml_node *a, const struct xml_node *b)
{
	const struct xml_node	*ca, *cb;
	const char		*v;
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
		v = xml_get_attr_ns(b, a->attrs[i].ns, a->attrs[i].name);
		if (v == NULL || strcmp(v, a->attrs[i].value) != 0)
			return (0);
	}
	cb = TAILQ_FIRST(&b->children);
	TAILQ_FOREACH(ca, &a->children, entry) {
		if (cb == NULL || !fuzz_same(ca, cb))
			return (0);
		cb = TAILQ_NEXT(cb, entry);
	}
	return (cb == NULL);
}

/*
 * What a stream accepted, serialized, must parse as the router parses
 * it (xml_parse_fragment() with the stream's own limits) to the same
 * tree, and write the same bytes again.
 */
static void
fuzz_check(const struct xml_node *n, const char *ns)
{
	struct xml_buf		 b, b2;
	struct xml_node		*back, *c;

	xml_buf_init(&b, 0);
	xml_buf_init(&b2, 0);
	if (xml_serialize(n, ns, &b) == -1)
		abort();
	back = xml_parse_fragment(b.data, b.len, &limits, ns);
	if (back == NULL || !fuzz_same(n, back) ||
	    xml_serialize(back, ns, &b2) == -1 || b.len != b2.len ||
	    memcmp(b.data, b2.data, b.len) != 0)
		abort();
	if ((c = xml_node_clone(back)) == NULL || !fuzz_same(c, n))
		abort();
	xml_node_free(c);
	xml_node_free(back);
	xml_buf_free(&b);
	xml_buf_free(&b2);
}

struct fuzz_run {
	struct xml_buf	 out;	/* the stanzas, each ended by a NUL */
	int		 error;
};

static int
fuzz_stanza(void *arg, struct xml_node *n)
{
	struct fuzz_run	*r = arg;

	fuzz_check(n, NS_CLIENT);
	if (xml_serialize(n, NS_CLIENT, &r->out) == -1 ||
	    xml_buf_add(&r->out, "", 1) == -1)
		abort();
	xml_node_free(n);
	return (0);
}

static void
fuzz_error(void *arg, int error, const char *text)
{
	(void)text;
	((struct fuzz_run *)arg)->error = error;
}

static const struct xml_stream_cb cb = { NULL, fuzz_stanza, NULL,
    fuzz_error };

/* Feed in pieces whose sizes come from seed; seed 0: all at once. */
static void
fuzz_feed(struct fuzz_run *r, const char *data, size_t size, uint32_t seed)
{
	struct xml_stream	*xs;
	size_t			 i, k;

	memset(r, 0, sizeof(*r));
	if ((xs = xml_stream_new(&limits, &cb, r)) == NULL)
		abort();
	for (i = 0; i < size; i += k) {
		k = size - i;
		if (seed != 0) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			if (seed % 8 != 0 && k > 1 + seed % 64)
				k = 1 + seed % 64;
			/* An idle pause: the parser given back, if it can be. */
			if (seed % 3 == 0)
				(void)xml_stream_sleep(xs);
		}
		if (xml_stream_feed(xs, data + i, k) != 0)
			break;
	}
	xml_stream_free(xs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_run	 whole, pieces;
	struct xml_node	*n;
	uint32_t	 seed;
	size_t		 len;

	if (size < 4)
		return (0);
	memcpy(&seed, data, 4);
	data += 4;
	size -= 4;

	/*
	 * How input is cut, and idle pauses between pieces, must not change
	 * what is read: one run's stanzas are the start of the other's (a
	 * NUL fails a whole feed at once), and the same when neither
	 * failed.
	 */
	fuzz_feed(&whole, (const char *)data, size, 0);
	fuzz_feed(&pieces, (const char *)data, size, seed | 1);
	len = whole.out.len < pieces.out.len ? whole.out.len : pieces.out.len;
	if ((len > 0 && memcmp(whole.out.data, pieces.out.data, len) != 0) ||
	    (whole.error == 0 && pieces.error == 0 &&
	    whole.out.len != pieces.out.len))
		abort();
	xml_buf_free(&whole.out);
	xml_buf_free(&pieces.out);

	if ((n = xml_parse_fragment((const char *)data, size, &limits,
	    NS_SERVER)) != NULL) {
		fuzz_check(n, NS_SERVER);
		xml_node_free(n);
	}
	return (0);
}
