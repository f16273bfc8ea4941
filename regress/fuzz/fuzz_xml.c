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
 * libFuzzer harness for the XML stream parser: the input is cut into
 * pieces whose sizes come from its first bytes, every stanza parsed is
 * serialized and parsed back.  See regress/fuzz/README.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xml.h"

static const struct xml_limits limits = { 65536, 32, 32 };

static int
f_open(void *a, struct xml_node *n)
{
	(void)a;
	(void)n;
	return (0);
}

static int
f_stanza(void *a, struct xml_node *n)
{
	struct xml_buf	 b;
	struct xml_node	*back;

	(void)a;
	xml_buf_init(&b, 0);
	if (xml_serialize(n, NS_CLIENT, &b) == 0) {
		back = xml_parse_fragment(b.data, b.len, &limits, NS_CLIENT);
		/* What we write must always read back. */
		if (back == NULL)
			__builtin_trap();
		xml_node_free(back);
	}
	xml_buf_free(&b);
	xml_node_free(n);
	return (0);
}

static int
f_close(void *a)
{
	(void)a;
	return (0);
}

static const struct xml_stream_cb cb = { f_open, f_stanza, f_close, NULL };

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xml_stream	*xs;
	size_t			 i = 0, n, k = 0;

	if ((xs = xml_stream_new(&limits, &cb, NULL)) == NULL)
		return (0);
	while (i < size) {
		n = 1 + data[k++ % size] % 64;
		if (n > size - i)
			n = size - i;
		if (xml_stream_feed(xs, (const char *)data + i, n) != 0)
			break;
		i += n;
	}
	xml_stream_free(xs);
	return (0);
}
