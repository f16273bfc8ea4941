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
 * libFuzzer harness for the reading of a BOSH request's <body/>
 * (xmppd/http_bosh_body.c), with the default limits of the stream
 * process.  Whatever the bytes: a body read is one <body/> of the
 * httpbind namespace; each number taken from it is digits only and
 * within its bound, and a short one is never refused; the version
 * agreed is 1.0 to 1.11; and the body serialized reads back to the same
 * bytes.  See regress/fuzz/README.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "http_bosh.h"
#include "xml.h"

#define FUZZ_RID_MAX	9007199254740991ULL	/* as the server's */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_num(struct xml_node *body, const char *name)
{
	const char	*s = xml_get_attr(body, name);
	uint64_t	 v;
	size_t		 n;

	if (bosh_body_num(body, name, FUZZ_RID_MAX, &v) == 0) {
		if (s == NULL || (n = strlen(s)) == 0 ||
		    strspn(s, "0123456789") != n || v > FUZZ_RID_MAX)
			abort();
	} else if (s != NULL && (n = strlen(s)) > 0 && n < 16 &&
	    strspn(s, "0123456789") == n)
		abort();	/* below 10^15: always a number */
}

static void
fuzz_ver(struct xml_node *body)
{
	const char	*v = bosh_body_ver(body);
	const char	*errstr;

	if (strncmp(v, "1.", 2) != 0)
		abort();
	(void)strtonum(v + 2, 0, 11, &errstr);
	if (errstr != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char	*nums[] = { "rid", "wait", "hold", "pause",
	    "ack", "inactivity" };
	struct xml_limits	 l = { 0 };
	struct xml_node		*body, *again;
	struct xml_buf		 b1, b2;
	char			*copy;
	size_t			 i;

	if (len > DEFAULT_STANZA_SIZE)
		return (0);
	l.stanza_size = DEFAULT_STANZA_SIZE;
	l.max_depth = DEFAULT_XML_DEPTH;
	l.max_attrs = XML_ATTRS_MAX;
	/* A copy of exactly len bytes: ASan sees any read past it. */
	if ((copy = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(copy, data, len);
	if ((body = bosh_body_parse(copy, len, &l)) == NULL) {
		free(copy);
		return (0);
	}
	if (!xml_is(body, NS_HTTPBIND, "body"))
		abort();
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		fuzz_num(body, nums[i]);
	fuzz_ver(body);
	(void)bosh_body_payload(body);
	xml_buf_init(&b1, 0);
	xml_buf_init(&b2, 0);
	if (xml_serialize(body, NULL, &b1) == -1 ||
	    (again = bosh_body_parse(b1.data, b1.len, &l)) == NULL ||
	    xml_serialize(again, NULL, &b2) == -1 || b1.len != b2.len ||
	    memcmp(b1.data, b2.data, b1.len) != 0 ||
	    bosh_body_payload(body) != bosh_body_payload(again))
		abort();
	xml_buf_free(&b1);
	xml_buf_free(&b2);
	xml_node_free(again);
	xml_node_free(body);
	free(copy);
	return (0);
}
