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
 * libFuzzer harness for JID preparation (common/jid.c): an address as
 * a client or a peer writes it in to, from or a JID element.  The input
 * is the address (up to its first NUL).  Aborts when:
 * - a part of an accepted address is empty (the domain), or longer
 *   than JID_PARTMAX;
 * - the ASCII fast path and libidn do not give the same answer;
 * - preparing a part again changes it (preparation is idempotent);
 * - the full address, written out, does not parse back to the same
 *   JID (what one process writes, the next one parses);
 * - the bare address is not the full one without its resource;
 * - the lengths jid_bare() and jid_full() return are wrong.
 * See regress/fuzz/README.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jid.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_again(const char *part, int (*prep)(char *, size_t))
{
	char	 buf[JID_PARTMAX + 1];

	if (part[0] == '\0')
		return;
	if (strlcpy(buf, part, sizeof(buf)) >= sizeof(buf) ||
	    prep(buf, sizeof(buf)) == -1 || strcmp(buf, part) != 0)
		abort();
}

static void
fuzz_check(const struct jid *j)
{
	struct jid	 k;
	char		 full[JID_BUFSIZE], bare[JID_BUFSIZE];
	size_t		 n, b;

	if (j->domain[0] == '\0' ||
	    strnlen(j->local, sizeof(j->local)) > JID_PARTMAX ||
	    strnlen(j->domain, sizeof(j->domain)) > JID_PARTMAX ||
	    strnlen(j->resource, sizeof(j->resource)) > JID_PARTMAX)
		abort();
	fuzz_again(j->local, jid_prep_local);
	fuzz_again(j->domain, jid_prep_domain);
	fuzz_again(j->resource, jid_prep_resource);

	n = jid_full(j, full, sizeof(full));
	b = jid_bare(j, bare, sizeof(bare));
	if (n >= sizeof(full) || n != strlen(full) || b != strlen(bare) ||
	    strncmp(full, bare, b) != 0 ||
	    (j->resource[0] == '\0' ? n != b : (full[b] != '/' ||
	    strcmp(full + b + 1, j->resource) != 0)))
		abort();
	if (jid_parse(full, &k) == -1 || !jid_equal(j, &k) ||
	    strcmp(j->local, k.local) != 0 ||
	    strcmp(j->domain, k.domain) != 0 ||
	    strcmp(j->resource, k.resource) != 0)
		abort();
	if (jid_parse(bare, &k) == -1 || !jid_bare_equal(j, &k) ||
	    k.resource[0] != '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct jid	 fast, slow;
	char		*in;
	int		 r1, r2;

	if ((in = malloc(len + 1)) == NULL)
		return (0);
	memcpy(in, data, len);
	in[len] = '\0';

	jid_ascii_fast = 0;
	r2 = jid_parse(in, &slow);
	jid_ascii_fast = 1;
	r1 = jid_parse(in, &fast);
	if (r1 != r2 || (r1 == 0 && (strcmp(fast.local, slow.local) != 0 ||
	    strcmp(fast.domain, slow.domain) != 0 ||
	    strcmp(fast.resource, slow.resource) != 0)))
		abort();
	if (r1 == 0) {
		fuzz_check(&fast);
		jid_ascii_fast = 0;
		fuzz_check(&slow);
		jid_ascii_fast = 1;
	}
	free(in);
	return (0);
}
