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
 * libFuzzer harness for the multiplexer's ClientHello parser
 * (common/tlshello.c).  Whatever the bytes: a hello read gives a server
 * name of lowercase letters, digits, '-' and '.' only; every shorter
 * prefix of it asks for more bytes (the multiplexer waits for the
 * rest, it never decides on part of a hello); nothing is read past
 * the first record.  See regress/fuzz/README.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlshello.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct tlshello	 h, h2;
	uint8_t		*copy;
	size_t		 i, end, step;
	int		 r;

	if (len > TLSHELLO_MAX + 16)
		return (0);
	/* A copy of exactly len bytes: ASan sees any read past it. */
	if ((copy = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(copy, data, len);
	r = tlshello_parse(copy, len, &h);
	if (r < -1 || r > 1)
		abort();
	if (r == 1) {
		if (strlen(h.sni) >= sizeof(h.sni) ||
		    strspn(h.sni, "abcdefghijklmnopqrstuvwxyz0123456789-.") !=
		    strlen(h.sni))
			abort();
		end = 5 + ((size_t)copy[3] << 8 | copy[4]);
		if (end > len)
			abort();
		step = end > 512 ? end / 256 : 1;
		for (i = 0; i < end; i += step)
			if (tlshello_parse(copy, i, &h2) != 0)
				abort();
		if (tlshello_parse(copy, end, &h2) != 1 ||
		    memcmp(&h, &h2, sizeof(h)) != 0)
			abort();
	}
	free(copy);
	return (0);
}
