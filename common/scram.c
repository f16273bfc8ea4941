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
 * SCRAM (RFC 5802, RFC 7677), server side, without channel binding: we
 * never offer the -PLUS mechanisms.  Every client message is hostile,
 * bounded to SCRAM_MSGMAX octets and not NUL-terminated.
 */

#include <sys/types.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stringprep.h>

#include "base64.h"
#include "scram.h"

enum scram_state {
	SCRAM_S_INIT,
	SCRAM_S_STARTED,	/* client-first parsed */
	SCRAM_S_FIRST,		/* server-first sent */
	SCRAM_S_DONE,
};

/* For accounts that do not exist: a fake salt, stable per username. */
static uint8_t	scram_secret[32];
static int	scram_secret_set;
static int	scram_unknown_iter = SCRAM_ITER_MIN;

static const EVP_MD *scram_md(int);
static int	scram_attr(const char *, size_t, size_t *, char,
		    const char **, size_t *);
static int	scram_printable(const char *, size_t);
static int	scram_saslname(const char *, size_t, char *, size_t);
static size_t	scram_gs2(const char *, size_t, char *, size_t);
static int	scram_append(struct scram_server *, const char *, size_t);
static int	scram_unknown(struct scram_server *);
static int	scram_verify(struct scram_server *, const uint8_t *);
static int	scram_signature(struct scram_server *, char *, size_t);

static const EVP_MD *
scram_md(int hash)
{
	switch (hash) {
	case SCRAM_SHA1:
		return (EVP_sha1());
	case SCRAM_SHA256:
		return (EVP_sha256());
	}
	return (NULL);
}

size_t
scram_hashlen(int hash)
{
	switch (hash) {
	case SCRAM_SHA1:
		return (20);
	case SCRAM_SHA256:
		return (32);
	}
	return (0);
}

/*
 * What unknown accounts get: the iteration count new accounts get, and
 * the secret their fake salts derive from (at least 16 octets; NULL for
 * a random one, which changes when the process restarts).
 */
int
scram_init(int iter, const void *secret, size_t secretlen)
{
	unsigned int	 len;

	if (iter < SCRAM_ITER_MIN || iter > SCRAM_ITER_MAX)
		return (-1);
	if (secret == NULL)
		arc4random_buf(scram_secret, sizeof(scram_secret));
	else if (secretlen < 16 || EVP_Digest(secret, secretlen,
	    scram_secret, &len, EVP_sha256(), NULL) != 1)
		return (-1);
	scram_secret_set = 1;
	scram_unknown_iter = iter;
	return (0);
}

/*
 * The keys an account stores: SaltedPassword = Hi(SASLprep(password)),
 * StoredKey = H(HMAC(SaltedPassword, "Client Key")) and ServerKey =
 * HMAC(SaltedPassword, "Server Key").
 */
int
scram_derive(int hash, const char *password, const uint8_t *salt,
    size_t saltlen, int iter, struct scram_keys *out)
{
	char		 pw[4 * (SCRAM_PASSMAX + 1)];
	uint8_t		 salted[EVP_MAX_MD_SIZE], ckey[EVP_MAX_MD_SIZE];
	const EVP_MD	*md = scram_md(hash);
	size_t		 hlen = scram_hashlen(hash);
	int		 ret = -1;

	memset(out, 0, sizeof(*out));
	if (md == NULL || password == NULL || salt == NULL || saltlen == 0 ||
	    saltlen > SCRAM_SALTMAX || iter < SCRAM_ITER_MIN ||
	    iter > SCRAM_ITER_MAX ||
	    strnlen(password, SCRAM_PASSMAX + 1) > SCRAM_PASSMAX)
		return (-1);
	(void)strlcpy(pw, password, sizeof(pw));
	/* A stored string: unassigned code points are refused. */
	if (stringprep(pw, sizeof(pw), STRINGPREP_NO_UNASSIGNED,
	    stringprep_saslprep) != STRINGPREP_OK || pw[0] == '\0')
		goto done;
	if (PKCS5_PBKDF2_HMAC(pw, strlen(pw), salt, saltlen, iter, md,
	    hlen, salted) != 1)
		goto done;
	if (HMAC(md, salted, hlen, (const uint8_t *)"Client Key", 10,
	    ckey, NULL) == NULL ||
	    EVP_Digest(ckey, hlen, out->stored_key, NULL, md, NULL) != 1 ||
	    HMAC(md, salted, hlen, (const uint8_t *)"Server Key", 10,
	    out->server_key, NULL) == NULL)
		goto done;
	out->hash = hash;
	out->iter = iter;
	out->saltlen = saltlen;
	memcpy(out->salt, salt, saltlen);
	ret = 0;
 done:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(salted, sizeof(salted));
	explicit_bzero(ckey, sizeof(ckey));
	if (ret == -1)
		explicit_bzero(out, sizeof(*out));
	return (ret);
}

/*
 * One "attr=value" at *off: attr is a given letter, or any letter when
 * 0.  The value runs to the next ',' or to the end; *off moves past the
 * comma.  A comma ending the message is an error.
 */
static int
scram_attr(const char *msg, size_t len, size_t *off, char attr,
    const char **val, size_t *vlen)
{
	const char	*comma;
	size_t		 o = *off;
	unsigned char	 c;

	if (o >= len || len - o < 2 || msg[o + 1] != '=')
		return (-1);
	c = msg[o];
	if (attr != '\0' ? c != (unsigned char)attr :
	    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
		return (-1);
	o += 2;
	*val = msg + o;
	if ((comma = memchr(msg + o, ',', len - o)) == NULL) {
		*vlen = len - o;
		*off = len;
		return (0);
	}
	*vlen = comma - (msg + o);
	*off = comma - msg + 1;
	return (*off == len ? -1 : 0);
}

/* A nonce: 1*(%x21-2B / %x2D-7E), printable ASCII but ','. */
static int
scram_printable(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return (0);
	for (i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ',')
			return (0);
	return (1);
}

/* A saslname: "=2C" is ',', "=3D" is '=', no other escape; SASLprep. */
static int
scram_saslname(const char *val, size_t vlen, char *out, size_t size)
{
	size_t	 i, o;
	char	 c;

	for (i = 0, o = 0; i < vlen; i++) {
		if ((c = val[i]) == '=') {
			if (vlen - i < 3)
				return (-1);
			if (val[i + 1] == '2' &&
			    (val[i + 2] == 'C' || val[i + 2] == 'c'))
				c = ',';
			else if (val[i + 1] == '3' &&
			    (val[i + 2] == 'D' || val[i + 2] == 'd'))
				c = '=';
			else
				return (-1);
			i += 2;
		}
		if (o + 1 >= size)
			return (-1);
		out[o++] = c;
	}
	if (o == 0)
		return (-1);
	out[o] = '\0';
	/* A query string: clients prepare with unassigned code points. */
	if (stringprep(out, size, 0, stringprep_saslprep) != STRINGPREP_OK ||
	    out[0] == '\0')
		return (-1);
	return (0);
}

/*
 * The GS2 header: "n," or "y," (the client would bind channels but
 * believes we cannot: right, we offer no -PLUS), then an optional
 * authzid and ','.  "p=" is refused.  Returns its length, 0 if bad.
 */
static size_t
scram_gs2(const char *msg, size_t len, char *authzid, size_t size)
{
	const char	*val;
	size_t		 off = 2, vlen;

	authzid[0] = '\0';
	if (len < 3 || (msg[0] != 'n' && msg[0] != 'y') || msg[1] != ',')
		return (0);
	if (msg[off] == ',')
		return (off + 1);
	if (scram_attr(msg, len, &off, 'a', &val, &vlen) == -1 ||
	    off == len || scram_saslname(val, vlen, authzid, size) == -1)
		return (0);
	return (off);
}

int
scram_server_start(struct scram_server *s, int hash, const char *msg,
    size_t len, char *user, size_t usersize)
{
	char		 authzid[SCRAM_USERMAX];
	const char	*bare, *val;
	size_t		 off, blen, vlen, o = 0;

	scram_server_clear(s);
	if (user != NULL && usersize > 0)
		user[0] = '\0';
	if (scram_md(hash) == NULL || user == NULL || usersize == 0)
		return (SCRAM_FAIL);
	s->hash = hash;
	if (msg == NULL || len == 0 || len > SCRAM_MSGMAX ||
	    memchr(msg, '\0', len) != NULL)
		return (SCRAM_MALFORMED);
	if ((off = scram_gs2(msg, len, authzid, sizeof(authzid))) == 0)
		return (SCRAM_MALFORMED);
	bare = msg + off;
	blen = len - off;

	/* "m=" would be a mandatory extension: we know none. */
	if (scram_attr(bare, blen, &o, 'n', &val, &vlen) == -1 ||
	    scram_saslname(val, vlen, s->user, sizeof(s->user)) == -1)
		return (SCRAM_MALFORMED);
	if (scram_attr(bare, blen, &o, 'r', &val, &vlen) == -1 ||
	    !scram_printable(val, vlen))
		return (SCRAM_MALFORMED);
	s->cnonce_off = val - bare;
	s->cnonce_len = vlen;
	/* Optional extensions: checked for syntax, then ignored. */
	while (o < blen)
		if (scram_attr(bare, blen, &o, '\0', &val, &vlen) == -1)
			return (SCRAM_MALFORMED);

	if (authzid[0] != '\0' && strcmp(authzid, s->user) != 0)
		return (SCRAM_AUTHZID);
	if (strlcpy(user, s->user, usersize) >= usersize) {
		user[0] = '\0';
		return (SCRAM_MALFORMED);
	}
	memcpy(s->gs2, msg, off);
	s->gs2len = off;
	if (scram_append(s, bare, blen) == -1)
		return (SCRAM_MALFORMED);
	s->state = SCRAM_S_STARTED;
	return (SCRAM_OK);
}

/*
 * For regress tests only: use this server nonce instead of a random one
 * (to replay the RFC examples).  Call between start and first.
 */
int
scram_server_set_nonce(struct scram_server *s, const char *nonce)
{
	size_t	 len;

	if (s->state != SCRAM_S_STARTED || nonce == NULL)
		return (-1);
	len = strnlen(nonce, sizeof(s->snonce));
	if (len == sizeof(s->snonce) || !scram_printable(nonce, len))
		return (-1);
	memcpy(s->snonce, nonce, len + 1);
	return (0);
}

static int
scram_append(struct scram_server *s, const char *p, size_t len)
{
	if (len >= sizeof(s->authmsg) - s->authlen)
		return (-1);
	memcpy(s->authmsg + s->authlen, p, len);
	s->authlen += len;
	s->authmsg[s->authlen] = '\0';
	return (0);
}

/*
 * No such account: answer as if it existed, with a salt that is the
 * same at every attempt, so that the answer does not tell; random keys
 * make the proof fail and s->unknown makes sure of it.
 */
static int
scram_unknown(struct scram_server *s)
{
	uint8_t		 data[1 + SCRAM_USERMAX];
	uint8_t		 mac[EVP_MAX_MD_SIZE];
	size_t		 ulen = strlen(s->user);

	if (!scram_secret_set) {
		arc4random_buf(scram_secret, sizeof(scram_secret));
		scram_secret_set = 1;
	}
	data[0] = (uint8_t)s->hash;
	memcpy(data + 1, s->user, ulen);
	if (HMAC(EVP_sha256(), scram_secret, sizeof(scram_secret), data,
	    1 + ulen, mac, NULL) == NULL)
		return (-1);
	s->unknown = 1;
	s->keys.hash = s->hash;
	s->keys.iter = scram_unknown_iter;
	s->keys.saltlen = SCRAM_SALTLEN;
	memcpy(s->keys.salt, mac, SCRAM_SALTLEN);
	arc4random_buf(s->keys.stored_key, sizeof(s->keys.stored_key));
	arc4random_buf(s->keys.server_key, sizeof(s->keys.server_key));
	explicit_bzero(mac, sizeof(mac));
	return (0);
}

/* server-first-message: r=<cnonce><snonce>,s=<salt>,i=<iterations> */
int
scram_server_first(struct scram_server *s, const struct scram_keys *keys,
    char *out, size_t outlen)
{
	uint8_t		 rnd[SCRAM_NONCELEN];
	char		 salt[BASE64_ENCLEN(SCRAM_SALTMAX) + 1];
	int		 n;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (s->state != SCRAM_S_STARTED || out == NULL)
		return (SCRAM_FAIL);
	s->state = SCRAM_S_DONE;
	if (keys != NULL) {
		if (keys->hash != s->hash || keys->iter < SCRAM_ITER_MIN ||
		    keys->iter > SCRAM_ITER_MAX || keys->saltlen == 0 ||
		    keys->saltlen > SCRAM_SALTMAX)
			return (SCRAM_FAIL);
		s->keys = *keys;
	} else if (scram_unknown(s) == -1)
		return (SCRAM_FAIL);
	if (s->snonce[0] == '\0') {
		arc4random_buf(rnd, sizeof(rnd));
		if (base64_encode(rnd, sizeof(rnd), s->snonce,
		    sizeof(s->snonce)) == -1)
			return (SCRAM_FAIL);
	}
	if (base64_encode(s->keys.salt, s->keys.saltlen, salt,
	    sizeof(salt)) == -1)
		return (SCRAM_FAIL);
	n = snprintf(out, outlen, "r=%.*s%s,s=%s,i=%d", (int)s->cnonce_len,
	    s->authmsg + s->cnonce_off, s->snonce, salt, s->keys.iter);
	if (n < 0 || (size_t)n >= outlen || scram_append(s, ",", 1) == -1 ||
	    scram_append(s, out, n) == -1) {
		out[0] = '\0';
		return (SCRAM_FAIL);
	}
	s->state = SCRAM_S_FIRST;
	return (SCRAM_OK);
}

/*
 * ClientKey = proof XOR HMAC(StoredKey, AuthMessage); the proof is good
 * when H(ClientKey) is StoredKey.  Returns 1 if it is.
 */
static int
scram_verify(struct scram_server *s, const uint8_t *proof)
{
	uint8_t		 sig[EVP_MAX_MD_SIZE], ckey[EVP_MAX_MD_SIZE];
	uint8_t		 h[EVP_MAX_MD_SIZE];
	const EVP_MD	*md = scram_md(s->hash);
	size_t		 i, hlen = scram_hashlen(s->hash);
	int		 ok = 0;

	if (HMAC(md, s->keys.stored_key, hlen, (uint8_t *)s->authmsg,
	    s->authlen, sig, NULL) == NULL)
		goto done;
	for (i = 0; i < hlen; i++)
		ckey[i] = proof[i] ^ sig[i];
	if (EVP_Digest(ckey, hlen, h, NULL, md, NULL) != 1)
		goto done;
	ok = CRYPTO_memcmp(h, s->keys.stored_key, hlen) == 0;
 done:
	explicit_bzero(sig, sizeof(sig));
	explicit_bzero(ckey, sizeof(ckey));
	explicit_bzero(h, sizeof(h));
	return (ok);
}

/* server-final-message: v=<HMAC(ServerKey, AuthMessage)> */
static int
scram_signature(struct scram_server *s, char *out, size_t outlen)
{
	uint8_t		 sig[EVP_MAX_MD_SIZE];
	size_t		 hlen = scram_hashlen(s->hash);
	int		 ret = -1;

	if (outlen < 3 || HMAC(scram_md(s->hash), s->keys.server_key, hlen,
	    (uint8_t *)s->authmsg, s->authlen, sig, NULL) == NULL)
		goto done;
	memcpy(out, "v=", 3);
	if (base64_encode(sig, hlen, out + 2, outlen - 2) == -1)
		goto done;
	ret = 0;
 done:
	explicit_bzero(sig, sizeof(sig));
	if (ret == -1 && outlen > 0)
		out[0] = '\0';
	return (ret);
}

/*
 * client-final-message: c=<base64 GS2 header>,r=<nonce>[,ext],p=<proof>.
 * The same checks and work for real and unknown accounts.
 */
int
scram_server_final(struct scram_server *s, const char *msg, size_t len,
    char *out, size_t outlen)
{
	uint8_t		 cb[BASE64_DECLEN(SCRAM_MSGMAX)];
	uint8_t		 proof[SCRAM_KEYMAX];
	const char	*val;
	size_t		 vlen, pstart, snlen, o = 0;
	int		 n, cbok, nonceok, ok;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (s->state != SCRAM_S_FIRST || out == NULL)
		return (SCRAM_FAIL);
	s->state = SCRAM_S_DONE;
	if (msg == NULL || len == 0 || len > SCRAM_MSGMAX ||
	    memchr(msg, '\0', len) != NULL)
		return (SCRAM_MALFORMED);

	if (scram_attr(msg, len, &o, 'c', &val, &vlen) == -1 ||
	    (n = base64_decode(val, vlen, cb, sizeof(cb))) == -1)
		return (SCRAM_MALFORMED);
	cbok = (size_t)n == s->gs2len && memcmp(cb, s->gs2, n) == 0;
	if (scram_attr(msg, len, &o, 'r', &val, &vlen) == -1)
		return (SCRAM_MALFORMED);
	snlen = strlen(s->snonce);
	nonceok = vlen == s->cnonce_len + snlen &&
	    memcmp(val, s->authmsg + s->cnonce_off, s->cnonce_len) == 0 &&
	    memcmp(val + s->cnonce_len, s->snonce, snlen) == 0;
	while (o < len && msg[o] != 'p')
		if (scram_attr(msg, len, &o, '\0', &val, &vlen) == -1)
			return (SCRAM_MALFORMED);
	pstart = o;
	/* The proof comes last. */
	if (scram_attr(msg, len, &o, 'p', &val, &vlen) == -1 || o != len ||
	    base64_decode(val, vlen, proof, sizeof(proof)) !=
	    (int)scram_hashlen(s->hash))
		return (SCRAM_MALFORMED);
	if (!cbok || !nonceok)
		return (SCRAM_FAIL);

	/* AuthMessage ends with client-final-message-without-proof. */
	if (scram_append(s, ",", 1) == -1 ||
	    scram_append(s, msg, pstart - 1) == -1)
		return (SCRAM_MALFORMED);
	ok = scram_verify(s, proof) && !s->unknown;
	explicit_bzero(proof, sizeof(proof));
	if (!ok || scram_signature(s, out, outlen) == -1)
		return (SCRAM_FAIL);
	return (SCRAM_OK);
}

void
scram_server_clear(struct scram_server *s)
{
	explicit_bzero(s, sizeof(*s));
}
