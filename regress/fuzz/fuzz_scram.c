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
 * libFuzzer harness for the server side of SCRAM (common/scram.c) and
 * of PLAIN (common/sasl.c): what a client sends in <auth/> and
 * <response/>.  The first byte chooses: bit 0 SHA-256 (else SHA-1),
 * bit 1 an unknown account, bit 2 the harness signs the final message
 * itself (so the success path is reached), bit 3 PLAIN instead.  The
 * rest is client-first, a NUL, then client-final (without ",p=..."
 * when the harness signs).  Aborts when:
 * - an answer is not one of the four documented ones;
 * - a user name is accepted empty or unterminated;
 * - server-first does not echo the client nonce, then ours;
 * - a final message with the fuzzer's own proof succeeds (a forgery),
 *   or one signed for an unknown account does;
 * - a success answer is not "v=" and a base64 signature;
 * - a PLAIN message parses but its three fields, put back together,
 *   are not the input.
 * See regress/fuzz/README.
 */

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"
#include "scram.h"

#define FUZZ_PASS	"pencil"
#define FUZZ_ITER	4096
#define FUZZ_NONCE	"3rfcNHYJY1ZVvWVs7j"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	 salt[] = "QSXCR+Q6sek8bf92";
static struct scram_keys keys[2];
static uint8_t		 salted[2][SCRAM_KEYMAX];

static const EVP_MD *
fuzz_md(int hash)
{
	return (hash == SCRAM_SHA256 ? EVP_sha256() : EVP_sha1());
}

static void
fuzz_init(void)
{
	static int	 done;
	int		 i, h;

	if (done)
		return;
	if (scram_init(FUZZ_ITER, "a secret of twenty bytes", 24) == -1)
		abort();
	for (i = 0; i < 2; i++) {
		h = i ? SCRAM_SHA256 : SCRAM_SHA1;
		if (scram_derive(h, FUZZ_PASS, salt, sizeof(salt) - 1,
		    FUZZ_ITER, &keys[i]) == -1 ||
		    PKCS5_PBKDF2_HMAC(FUZZ_PASS, strlen(FUZZ_PASS), salt,
		    sizeof(salt) - 1, FUZZ_ITER, fuzz_md(h),
		    scram_hashlen(h), salted[i]) != 1)
			abort();
	}
	done = 1;
}

/* What a client holding the password sends as its proof. */
static void
fuzz_proof(const struct scram_server *s, int i, const char *final,
    size_t flen, uint8_t *proof)
{
	const EVP_MD	*md = fuzz_md(s->hash);
	unsigned int	 hlen = scram_hashlen(s->hash);
	uint8_t		 ckey[SCRAM_KEYMAX], stored[SCRAM_KEYMAX];
	uint8_t		 sig[SCRAM_KEYMAX];
	char		 auth[SCRAM_AUTHMAX + SCRAM_MSGMAX + 1];
	unsigned int	 n;

	if (s->authlen + 1 + flen > sizeof(auth))
		abort();
	memcpy(auth, s->authmsg, s->authlen);
	auth[s->authlen] = ',';
	memcpy(auth + s->authlen + 1, final, flen);
	if (HMAC(md, salted[i], hlen, (const uint8_t *)"Client Key", 10,
	    ckey, NULL) == NULL || EVP_Digest(ckey, hlen, stored, NULL, md,
	    NULL) != 1 || HMAC(md, stored, hlen, (const uint8_t *)auth,
	    s->authlen + 1 + flen, sig, &n) == NULL || n != hlen)
		abort();
	for (n = 0; n < hlen; n++)
		proof[n] = ckey[n] ^ sig[n];
}

static void
fuzz_plain(const uint8_t *data, size_t len)
{
	struct sasl_plain	 sp;
	char			 back[SASL_PLAIN_MAX + 3];
	size_t			 a, b, c;

	if (sasl_plain_parse((const char *)data, len, &sp) == -1)
		return;
	a = strnlen(sp.authzid, sizeof(sp.authzid));
	b = strnlen(sp.authcid, sizeof(sp.authcid));
	c = strnlen(sp.password, sizeof(sp.password));
	if (a == sizeof(sp.authzid) || b == sizeof(sp.authcid) ||
	    c == sizeof(sp.password) || b == 0 || c == 0 ||
	    a + b + c + 2 != len)
		abort();
	memcpy(back, sp.authzid, a + 1);
	memcpy(back + a + 1, sp.authcid, b + 1);
	memcpy(back + a + b + 2, sp.password, c);
	if (memcmp(back, data, len) != 0)
		abort();
}

static int
fuzz_valid(int r)
{
	return (r == SCRAM_OK || r == SCRAM_FAIL || r == SCRAM_MALFORMED ||
	    r == SCRAM_AUTHZID);
}

static void
fuzz_final(struct scram_server *s, int i, int sign, int unknown,
    const char *final, size_t flen)
{
	char		 msg[SCRAM_MSGMAX + 64], out[SCRAM_OUTMAX];
	char		 b64[BASE64_ENCLEN(SCRAM_KEYMAX) + 1];
	uint8_t		 proof[SCRAM_KEYMAX], sig[SCRAM_KEYMAX];
	int		 r;

	if (sign) {
		if (flen > SCRAM_MSGMAX)
			return;
		fuzz_proof(s, i, final, flen, proof);
		if (base64_encode(proof, scram_hashlen(s->hash), b64,
		    sizeof(b64)) == -1)
			abort();
		memcpy(msg, final, flen);
		memcpy(msg + flen, ",p=", 3);
		memcpy(msg + flen + 3, b64, strlen(b64));
		final = msg;
		flen += 3 + strlen(b64);
	}
	r = scram_server_final(s, final, flen, out, sizeof(out));
	if (!fuzz_valid(r) || r == SCRAM_AUTHZID)
		abort();
	if (r != SCRAM_OK)
		return;
	if (!sign || unknown)
		abort();	/* a proof nobody could compute */
	if (strncmp(out, "v=", 2) != 0 ||
	    base64_decode(out + 2, strlen(out + 2), sig, sizeof(sig)) !=
	    (int)scram_hashlen(s->hash))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct scram_server	 s;
	char			 user[SCRAM_USERMAX], out[SCRAM_OUTMAX];
	const char		*first, *final, *nul;
	size_t			 flen, clen;
	int			 i, r, mode;

	if (len < 1)
		return (0);
	fuzz_init();
	mode = data[0];
	if (mode & 8) {
		fuzz_plain(data + 1, len - 1);
		return (0);
	}
	i = mode & 1;
	first = (const char *)data + 1;
	if ((nul = memchr(first, '\0', len - 1)) == NULL)
		return (0);
	flen = nul - first;
	final = nul + 1;
	clen = len - 1 - flen - 1;

	r = scram_server_start(&s, i ? SCRAM_SHA256 : SCRAM_SHA1, first,
	    flen, user, sizeof(user));
	if (!fuzz_valid(r))
		abort();
	if (r != SCRAM_OK)
		goto done;
	if (user[0] == '\0' || strnlen(user, sizeof(user)) == sizeof(user) ||
	    strcmp(user, s.user) != 0)
		abort();
	if (scram_server_set_nonce(&s, FUZZ_NONCE) == -1)
		abort();
	r = scram_server_first(&s, (mode & 2) ? NULL : &keys[i], out,
	    sizeof(out));
	if (r != SCRAM_OK) {
		/* Only an answer too long for its buffer may fail. */
		if (r != SCRAM_FAIL)
			abort();
		goto done;
	}
	if (strncmp(out, "r=", 2) != 0 ||
	    strncmp(out + 2, s.authmsg + s.cnonce_off, s.cnonce_len) != 0 ||
	    strncmp(out + 2 + s.cnonce_len, FUZZ_NONCE ",s=",
	    strlen(FUZZ_NONCE) + 3) != 0)
		abort();
	fuzz_final(&s, i, mode & 4, mode & 2, final, clen);
 done:
	scram_server_clear(&s);
	return (0);
}
