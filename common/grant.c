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

/* What a grant is of: its first byte under the MAC. */
enum grant_kind {
	GRANT_LOGIN = 'L',
	GRANT_COMPONENT = 'C',
};

/*
 * The grant of (kind, stream, id, a, b) in out; -1 without a key or
 * with an empty a.  Each string goes with its NUL, so no two pairs of
 * names read the same.
 */
static int
grant_mac(const uint8_t *key, uint8_t kind, int stream, uint32_t id,
    const char *a, const char *b, uint8_t *out)
{
	uint8_t		 buf[9 + 2048];
	size_t		 alen = strlen(a), blen = strlen(b), len;
	unsigned int	 outlen = GRANT_LEN;

	memset(out, 0, GRANT_LEN);
	if (CRYPTO_memcmp(key, grant_nokey, GRANT_KEYLEN) == 0 ||
	    alen == 0 || alen + blen + 2 > sizeof(buf) - 9)
		return (-1);
	buf[0] = kind;
	memcpy(buf + 1, &stream, 4);
	memcpy(buf + 5, &id, 4);
	memcpy(buf + 9, a, alen + 1);
	memcpy(buf + 9 + alen + 1, b, blen + 1);
	len = 9 + alen + blen + 2;
	if (HMAC(EVP_sha256(), key, GRANT_KEYLEN, buf, len, out,
	    &outlen) == NULL || outlen != GRANT_LEN) {
		memset(out, 0, GRANT_LEN);
		return (-1);
	}
	return (0);
}

/* 1 when grant is the one of (kind, stream, id, a, b): fails closed. */
static int
grant_check(const uint8_t *key, uint8_t kind, int stream, uint32_t id,
    const char *a, const char *b, const uint8_t *grant)
{
	uint8_t		 want[GRANT_LEN];
	int		 ok;

	if (grant_mac(key, kind, stream, id, a, b, want) == -1)
		return (0);
	ok = CRYPTO_memcmp(want, grant, GRANT_LEN) == 0;
	explicit_bzero(want, sizeof(want));
	return (ok);
}

/* A login's grant of (stream, id, local, domain) in out; -1: none. */
int
grant_make(const uint8_t *key, int stream, uint32_t id, const char *local,
    const char *domain, uint8_t *out)
{
	if (domain[0] == '\0') {
		memset(out, 0, GRANT_LEN);
		return (-1);
	}
	return (grant_mac(key, GRANT_LOGIN, stream, id, local, domain, out));
}

/* 1 when grant is the login grant of (stream, id, local, domain). */
int
grant_ok(const uint8_t *key, int stream, uint32_t id, const char *local,
    const char *domain, const uint8_t *grant)
{
	return (domain[0] != '\0' && grant_check(key, GRANT_LOGIN, stream,
	    id, local, domain, grant));
}

/* A component's grant of (stream, id, name) in out; -1: none. */
int
grant_component_make(const uint8_t *key, int stream, uint32_t id,
    const char *name, uint8_t *out)
{
	return (grant_mac(key, GRANT_COMPONENT, stream, id, name, "", out));
}

/* 1 when grant is the component grant of (stream, id, name). */
int
grant_component_ok(const uint8_t *key, int stream, uint32_t id,
    const char *name, const uint8_t *grant)
{
	return (grant_check(key, GRANT_COMPONENT, stream, id, name, "",
	    grant));
}
