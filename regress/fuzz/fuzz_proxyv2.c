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
 * libFuzzer harness for the PROXY protocol version 2 parser
 * (common/proxyv2.c).  Whatever the bytes: a header read is no longer
 * than the input nor than PROXYV2_MAX, names an IPv4 or IPv6 client
 * unless it is LOCAL, every shorter prefix of it asks for more bytes,
 * and it alone gives the same answer.  See regress/fuzz/README.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxyv2.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct proxyv2	 pv, pv2;
	uint8_t		*copy;
	size_t		 i;
	int		 r;

	if (len > PROXYV2_MAX + 16)
		return (0);
	/* A copy of exactly len bytes: ASan sees any read past it. */
	if ((copy = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(copy, data, len);
	r = proxyv2_parse(copy, len, &pv);
	if (r < -1 || (r > 0 && (r < 16 || (size_t)r > len ||
	    r > PROXYV2_MAX)))
		abort();
	if (r > 0) {
		if (!pv.local && pv.src.ss_family != AF_INET &&
		    pv.src.ss_family != AF_INET6)
			abort();
		for (i = 0; i < (size_t)r; i++)
			if (proxyv2_parse(copy, i, &pv2) != 0)
				abort();
		if (proxyv2_parse(copy, r, &pv2) != r ||
		    memcmp(&pv, &pv2, sizeof(pv)) != 0)
			abort();
	}
	free(copy);
	return (0);
}
