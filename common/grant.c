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

#include <sys/types.h>

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "grant.h"

static const uint8_t	 grant_nokey[GRANT_KEYLEN];

/* The grant of (stream, id, local, domain) in out; -1 without a key. */
int
grant_make(const uint8_t *key, int stream, uint32_t id, const char *local,
    const char *domain, uint8_t *out)
{
	uint8_t		 buf[8 + 2048];
	size_t		 llen = strlen(local), dlen = strlen(domain), len;
	unsigned int	 outlen = GRANT_LEN;

	memset(out, 0, GRANT_LEN);
	if (CRYPTO_memcmp(key, grant_nokey, GRANT_KEYLEN) == 0 ||
	    llen == 0 || dlen == 0 || llen + dlen + 2 > sizeof(buf) - 8)
		return (-1);
	memcpy(buf, &stream, 4);
	memcpy(buf + 4, &id, 4);
	memcpy(buf + 8, local, llen + 1);
	memcpy(buf + 8 + llen + 1, domain, dlen + 1);
	len = 8 + llen + dlen + 2;
	if (HMAC(EVP_sha256(), key, GRANT_KEYLEN, buf, len, out,
	    &outlen) == NULL || outlen != GRANT_LEN) {
		memset(out, 0, GRANT_LEN);
		return (-1);
	}
	return (0);
}

/* 1 when grant is the one of (stream, id, local, domain): fails closed. */
int
grant_ok(const uint8_t *key, int stream, uint32_t id, const char *local,
    const char *domain, const uint8_t *grant)
{
	uint8_t		 want[GRANT_LEN];
	int		 ok;

	if (grant_make(key, stream, id, local, domain, want) == -1)
		return (0);
	ok = CRYPTO_memcmp(want, grant, GRANT_LEN) == 0;
	explicit_bzero(want, sizeof(want));
	return (ok);
}
