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
 * libFuzzer harness for what a login hands to the directory: a SASL
 * PLAIN message from the network is split (common/sasl.c), and its user
 * name put into "(cn=%u)" (common/ldaputil.c).  Whatever the bytes, the
 * value between "(cn=" and ")" must hold no '(', ')', '*' or NUL, and
 * every '\' must start a \XX escape: the filter cannot be widened.
 * See regress/fuzz/README.
 */

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldaputil.h"
#include "sasl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sasl_plain	 sp;
	char			 out[4 * 1024 + 16];
	size_t			 i, n;

	if (sasl_plain_parse((const char *)data, len, &sp) == -1)
		return (0);
	if (strlen(sp.authcid) == 0 || strlen(sp.password) == 0)
		abort();
	if (ldapfilter_expand("(cn=%u)", sp.authcid, 0, out,
	    sizeof(out)) == -1)
		abort();	/* a 1023-byte name always fits */
	n = strlen(out);
	if (n < 5 || strncmp(out, "(cn=", 4) != 0 || out[n - 1] != ')')
		abort();
	for (i = 4; i < n - 1; i++) {
		if (out[i] == '(' || out[i] == ')' || out[i] == '*')
			abort();
		if (out[i] == '\\') {
			if (i + 2 >= n - 1 ||
			    !isxdigit((unsigned char)out[i + 1]) ||
			    !isxdigit((unsigned char)out[i + 2]))
				abort();
			i += 2;
		}
	}
	return (0);
}
