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
 * scram.c and base64.c: the RFC 5802 and RFC 7677 examples, a small
 * client to build valid and invalid exchanges, and hostile input (every
 * client message is copied to a buffer of its exact size, without NUL,
 * so that ASan sees any read past its end).
 */

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "scram.h"
#include "test.h"

/* A client-first message given as a literal, without its NUL. */
#define START(m)	\
	start(SCRAM_SHA1, (m), sizeof(m) - 1, user, sizeof(user))

#define RFC5802_SALT	"QSXCR+Q6sek8bf92"
#define RFC5802_FIRST	"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
#define RFC5802_SNONCE	"3rfcNHYJY1ZVvWVs7j"
#define RFC5802_SFIRST	"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j," \
			"s=QSXCR+Q6sek8bf92,i=4096"
#define RFC5802_FINAL	"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j," \
			"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
#define RFC5802_V	"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="

#define RFC7677_SALT	"W22ZaJ0SNY7soEsUEjb6gQ=="
#define RFC7677_FIRST	"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define RFC7677_SNONCE	"%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC7677_SFIRST	"r=rOprNGfwEbeRWgbNEkqO" RFC7677_SNONCE "," \
			"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define RFC7677_FINAL	"c=biws," \
			"r=rOprNGfwEbeRWgbNEkqO" RFC7677_SNONCE "," \
			"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC7677_V	"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static struct scram_server	 srv;
static struct scram_keys	 k1, k256;

static char	*exact(const char *, size_t);
static int	 start(int, const char *, size_t, char *, size_t);
static int	 final(const char *, size_t, char *, size_t);
static int	 rfc(int, const struct scram_keys *, const char *,
		    const char *, const char *, const char *, char *, size_t);
static int	 client_proof(int, const char *, const char *, char *,
		    size_t);
static int	 exchange(int, const struct scram_keys *, const char *,
		    const char *, const char *, const char *, const char *,
		    char *, size_t);
static void	 test_base64(void);
static void	 test_derive(void);
static void	 test_rfc(void);
static void	 test_client(void);
static void	 test_first(void);
static void	 test_final(void);
static void	 test_unknown(void);
static void	 test_hostile(void);

/* A heap copy of exactly len octets, no NUL. */
static char *
exact(const char *s, size_t len)
{
	char	*p;

	if ((p = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(p, s, len);
	return (p);
}

static int
start(int hash, const char *msg, size_t len, char *user, size_t usersize)
{
	char	*p = exact(msg, len);
	int	 r;

	r = scram_server_start(&srv, hash, p, len, user, usersize);
	free(p);
	return (r);
}

static int
final(const char *msg, size_t len, char *out, size_t outlen)
{
	char	*p = exact(msg, len);
	int	 r;

	r = scram_server_final(&srv, p, len, out, outlen);
	free(p);
	return (r);
}

/* Replay an RFC example; returns what scram_server_final returns. */
static int
rfc(int hash, const struct scram_keys *keys, const char *cfirst,
    const char *snonce, const char *sfirst, const char *cfinal, char *out,
    size_t outlen)
{
	char	 user[SCRAM_USERMAX], buf[SCRAM_OUTMAX];

	if (start(hash, cfirst, strlen(cfirst), user, sizeof(user)) != 0 ||
	    scram_server_set_nonce(&srv, snonce) != 0 ||
	    scram_server_first(&srv, keys, buf, sizeof(buf)) != 0 ||
	    (sfirst != NULL && strcmp(buf, sfirst) != 0))
		return (100);
	return (final(cfinal, strlen(cfinal), out, outlen));
}

/*
 * The client's side: ClientProof = ClientKey XOR HMAC(StoredKey,
 * AuthMessage), from the salt and iterations of server-first.
 */
static int
client_proof(int hash, const char *pass, const char *authmsg, char *out,
    size_t outlen)
{
	const EVP_MD	*md = hash == SCRAM_SHA1 ? EVP_sha1() : EVP_sha256();
	size_t		 i, hlen = scram_hashlen(hash);
	uint8_t		 salt[SCRAM_SALTMAX], salted[64], ckey[64], skey[64];
	uint8_t		 sig[64];
	const char	*s, *e;
	int		 saltlen, iter;

	if ((s = strstr(authmsg, ",s=")) == NULL ||
	    (e = strstr(s, ",i=")) == NULL ||
	    (saltlen = base64_decode(s + 3, e - s - 3, salt,
	    sizeof(salt))) == -1)
		return (-1);
	iter = atoi(e + 3);
	if (PKCS5_PBKDF2_HMAC(pass, strlen(pass), salt, saltlen, iter, md,
	    hlen, salted) != 1 ||
	    HMAC(md, salted, hlen, (const uint8_t *)"Client Key", 10, ckey,
	    NULL) == NULL ||
	    EVP_Digest(ckey, hlen, skey, NULL, md, NULL) != 1 ||
	    HMAC(md, skey, hlen, (const uint8_t *)authmsg, strlen(authmsg),
	    sig, NULL) == NULL)
		return (-1);
	for (i = 0; i < hlen; i++)
		ckey[i] ^= sig[i];
	return (base64_encode(ckey, hlen, out, outlen) == -1 ? -1 : 0);
}

/*
 * A whole exchange driven by our client: client-first cfirst (its bare
 * part starts at the second comma), client-final "c=<cb>,r=<nonce><ext>,
 * p=<proof>".  Returns the result of the last step that ran.
 */
static int
exchange(int hash, const struct scram_keys *keys, const char *pass,
    const char *cfirst, const char *cb, const char *ext, const char *tail,
    char *out, size_t outlen)
{
	char		 user[SCRAM_USERMAX], sfirst[SCRAM_OUTMAX];
	char		 authmsg[SCRAM_AUTHMAX], cfinal[SCRAM_AUTHMAX];
	char		 proof[128];
	const char	*bare, *e;
	int		 r;

	if ((r = start(hash, cfirst, strlen(cfirst), user,
	    sizeof(user))) != 0)
		return (r);
	if ((r = scram_server_first(&srv, keys, sfirst,
	    sizeof(sfirst))) != 0)
		return (r);
	bare = strchr(strchr(cfirst, ',') + 1, ',') + 1;
	e = strchr(sfirst, ',');
	r = snprintf(cfinal, sizeof(cfinal), "c=%s,%.*s%s", cb,
	    (int)(e - sfirst), sfirst, ext);
	if (r < 0 || (size_t)r >= sizeof(cfinal))
		return (200);
	r = snprintf(authmsg, sizeof(authmsg), "%s,%s,%s", bare, sfirst,
	    cfinal);
	if (r < 0 || (size_t)r >= sizeof(authmsg) ||
	    client_proof(hash, pass, authmsg, proof, sizeof(proof)) == -1)
		return (200);
	strlcat(cfinal, ",p=", sizeof(cfinal));
	strlcat(cfinal, proof, sizeof(cfinal));
	strlcat(cfinal, tail, sizeof(cfinal));
	return (final(cfinal, strlen(cfinal), out, outlen));
}

static void
test_base64(void)
{
	static const struct {
		const char	*plain, *enc;
	} v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *badin[] = {
		"Zg", "Zg=", "Zm9", "Zh==", "Zm9=", "Z===", "====", "Zm=v",
		"Zm9v\n", " Zm9v", "Zm9v====", "Zg==Zg==", "Zm-v", "Zm_v",
		"Zm\0v",
	};
	char		 out[32];
	uint8_t		 dec[32], bin[3] = { 0xfb, 0xff, 0xbf };
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = base64_encode((const uint8_t *)v[i].plain,
		    strlen(v[i].plain), out, sizeof(out));
		CHECK(n == (int)strlen(v[i].enc) && strcmp(out, v[i].enc) == 0,
		    "base64 encode \"%s\" -> \"%s\"", v[i].plain, out);
		n = base64_decode(v[i].enc, strlen(v[i].enc), dec, sizeof(dec));
		CHECK(n == (int)strlen(v[i].plain) &&
		    memcmp(dec, v[i].plain, n) == 0,
		    "base64 decode \"%s\"", v[i].enc);
	}
	for (i = 0; i < sizeof(badin) / sizeof(badin[0]); i++) {
		n = (int)(i == sizeof(badin) / sizeof(badin[0]) - 1 ? 4 :
		    strlen(badin[i]));
		CHECK(base64_decode(badin[i], n, dec, sizeof(dec)) == -1,
		    "base64 strict: \"%s\" refused", badin[i]);
	}
	CHECK(base64_encode(bin, 3, out, sizeof(out)) == 4 &&
	    strcmp(out, "+/+/") == 0, "base64 uses '+' and '/'");
	CHECK(base64_decode("Zm9vYmFy", 8, dec, 5) == -1,
	    "base64 decode into too small a buffer");
	CHECK(base64_decode("Zm9vYg==", 8, dec, 4) == 4,
	    "base64 decode into an exact buffer");
	CHECK(base64_encode((const uint8_t *)"foo", 3, out, 4) == -1 &&
	    out[0] == '\0', "base64 encode into too small a buffer");
	CHECK(base64_encode((const uint8_t *)"foo", 3, out, 5) == 4,
	    "base64 encode into an exact buffer");
	/* Random ids: unpadded base64url, never the same twice. */
	{
		char	 a[32], b[32];
		int	 na, nb;

		na = base64url_random(12, a, sizeof(a));
		nb = base64url_random(16, b, sizeof(b));
		CHECK(na == 16 && strlen(a) == 16 &&
		    strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789-_") == 16, "12 random bytes: %s", a);
		CHECK(nb == 22 && strlen(b) == 22 && strncmp(a, b, 16) != 0,
		    "16 random bytes: %s", b);
		CHECK(base64url_random(12, a, 16) == -1 &&
		    base64url_random(0, a, sizeof(a)) == -1 &&
		    base64url_random(49, b, sizeof(b)) == -1,
		    "too small a buffer, or a size out of range");
	}
}

static void
test_derive(void)
{
	uint8_t			 salt[SCRAM_SALTMAX];
	struct scram_keys	 a, b;
	int			 n;

	n = base64_decode(RFC5802_SALT, strlen(RFC5802_SALT), salt,
	    sizeof(salt));
	CHECK(scram_derive(SCRAM_SHA1, "pencil", salt, n, 4096, &k1) == 0 &&
	    k1.saltlen == 12 && k1.iter == 4096, "derive SHA-1 keys");
	n = base64_decode(RFC7677_SALT, strlen(RFC7677_SALT), salt,
	    sizeof(salt));
	CHECK(scram_derive(SCRAM_SHA256, "pencil", salt, n, 4096,
	    &k256) == 0 && k256.saltlen == 16, "derive SHA-256 keys");

	CHECK(scram_derive(SCRAM_SHA1, "pencil", salt, n, 4095, &a) == -1,
	    "derive: fewer than 4096 iterations refused");
	CHECK(scram_derive(SCRAM_SHA1, "", salt, n, 4096, &a) == -1,
	    "derive: empty password refused");
	CHECK(scram_derive(SCRAM_SHA1, "\xc2\xad", salt, n, 4096, &a) == -1,
	    "derive: password empty after SASLprep refused");
	CHECK(scram_derive(SCRAM_SHA1, "a\x07", salt, n, 4096, &a) == -1,
	    "derive: control character refused by SASLprep");
	CHECK(scram_derive(SCRAM_SHA1, "\xc3(", salt, n, 4096, &a) == -1,
	    "derive: invalid UTF-8 refused");
	CHECK(scram_derive(SCRAM_SHA1, "\xf0\x9f\x98\x80", salt, n, 4096,
	    &a) == -1, "derive: unassigned code point (stored string)");
	CHECK(scram_derive(SCRAM_SHA1, "pencil", salt, 0, 4096, &a) == -1,
	    "derive: empty salt refused");
	CHECK(scram_derive(3, "pencil", salt, n, 4096, &a) == -1,
	    "derive: unknown hash refused");
	CHECK(scram_derive(SCRAM_SHA256, "IX", salt, n, 4096, &a) == 0 &&
	    scram_derive(SCRAM_SHA256, "I\xc2\xadX", salt, n, 4096, &b) == 0 &&
	    memcmp(a.stored_key, b.stored_key, 32) == 0,
	    "derive: SASLprep maps SOFT HYPHEN to nothing (RFC 4013)");
	CHECK(scram_derive(SCRAM_SHA256, "\xe2\x85\xa8", salt, n, 4096,
	    &b) == 0 && memcmp(a.stored_key, b.stored_key, 32) == 0 &&
	    memcmp(a.server_key, b.server_key, 32) == 0,
	    "derive: SASLprep maps ROMAN NUMERAL NINE to IX (RFC 4013)");
}

static void
test_rfc(void)
{
	char	 out[SCRAM_OUTMAX];
	int	 r;

	r = rfc(SCRAM_SHA1, &k1, RFC5802_FIRST, RFC5802_SNONCE,
	    RFC5802_SFIRST, RFC5802_FINAL, out, sizeof(out));
	CHECK(r == SCRAM_OK && strcmp(out, RFC5802_V) == 0,
	    "RFC 5802 section 5 example: %s", out);
	scram_server_clear(&srv);
	r = rfc(SCRAM_SHA256, &k256, RFC7677_FIRST, RFC7677_SNONCE,
	    RFC7677_SFIRST, RFC7677_FINAL, out, sizeof(out));
	CHECK(r == SCRAM_OK && strcmp(out, RFC7677_V) == 0,
	    "RFC 7677 section 3 example: %s", out);
	CHECK(final(RFC7677_FINAL, strlen(RFC7677_FINAL), out,
	    sizeof(out)) == SCRAM_FAIL,
	    "a finished exchange cannot be replayed");
	scram_server_clear(&srv);
	CHECK(srv.keys.stored_key[0] == 0 && srv.authlen == 0,
	    "scram_server_clear wipes the state");
}

static void
test_client(void)
{
	struct scram_keys	 other;
	char			 out[SCRAM_OUTMAX];
	int			 r;

	r = exchange(SCRAM_SHA256, &k256, "pencil", "n,,n=user,r=abcdef",
	    "biws", "", "", out, sizeof(out));
	CHECK(r == SCRAM_OK && strncmp(out, "v=", 2) == 0,
	    "our client, random server nonce: %s", out);
	r = exchange(SCRAM_SHA1, &k1, "pencil", "y,,n=user,r=abcdef",
	    "eSws", "", "", out, sizeof(out));
	CHECK(r == SCRAM_OK, "gs2 'y' flag accepted, c=eSws");
	r = exchange(SCRAM_SHA1, &k1, "pencil", "n,a=user,n=user,r=abcdef",
	    "bixhPXVzZXIs", "", "", out, sizeof(out));
	CHECK(r == SCRAM_OK, "authzid equal to the username accepted");
	r = exchange(SCRAM_SHA1, &k1, "pencil", "n,,n=user,r=abc,x=ext",
	    "biws", ",y=ext", "", out, sizeof(out));
	CHECK(r == SCRAM_OK, "optional extensions in both messages ignored");

	r = exchange(SCRAM_SHA1, &k1, "pencil2", "n,,n=user,r=abcdef",
	    "biws", "", "", out, sizeof(out));
	CHECK(r == SCRAM_FAIL && out[0] == '\0', "wrong password fails");
	r = exchange(SCRAM_SHA1, &k1, "pencil", "n,,n=user,r=abcdef",
	    "eSws", "", "", out, sizeof(out));
	CHECK(r == SCRAM_FAIL, "channel binding y,, after n,, fails");
	r = exchange(SCRAM_SHA1, &k1, "pencil", "y,,n=user,r=abcdef",
	    "biws", "", "", out, sizeof(out));
	CHECK(r == SCRAM_FAIL, "channel binding n,, after y,, fails");
	r = exchange(SCRAM_SHA1, &k1, "pencil", "n,,n=user,r=abcdef",
	    "Yml3cw==", "", "", out, sizeof(out));
	CHECK(r == SCRAM_FAIL, "channel binding of other data fails");
	r = exchange(SCRAM_SHA1, &k1, "pencil", "n,,n=user,r=abcdef",
	    "biws", "", ",x=late", out, sizeof(out));
	CHECK(r == SCRAM_MALFORMED, "an attribute after the proof");
	r = exchange(SCRAM_SHA256, &k1, "pencil", "n,,n=user,r=abcdef",
	    "biws", "", "", out, sizeof(out));
	CHECK(r == SCRAM_FAIL, "SHA-1 keys for a SHA-256 exchange refused");
	other = k256;
	other.iter = 100;
	r = exchange(SCRAM_SHA256, &other, "pencil", "n,,n=user,r=abcdef",
	    "biws", "", "", out, sizeof(out));
	CHECK(r == SCRAM_FAIL, "stored keys with too few iterations refused");
}

static void
test_first(void)
{
#define M(s)	(s), sizeof(s) - 1
	static const struct {
		const char	*msg;
		size_t		 len;
		int		 want;
		const char	*why;
	} badfirst[] = {
		{ M("n,,n=us=2Ber,r=x"), SCRAM_MALFORMED, "escape =2B" },
		{ M("n,,n=us=er,r=x"), SCRAM_MALFORMED, "bare '='" },
		{ M("n,,n=user=2,r=x"), SCRAM_MALFORMED, "truncated escape" },
		{ M("n,,n=user="), SCRAM_MALFORMED, "'=' at the very end" },
		{ M("n,,n=,r=x"), SCRAM_MALFORMED, "empty username" },
		{ M("n,,n=\xc3(,r=x"), SCRAM_MALFORMED, "username not UTF-8" },
		{ M("n,,n=a\x07,r=x"), SCRAM_MALFORMED,
		    "username prohibited by SASLprep" },
		{ M("p=tls-unique,,n=user,r=x"), SCRAM_MALFORMED,
		    "channel binding p= refused" },
		{ M("n,a=admin,n=user,r=x"), SCRAM_AUTHZID,
		    "authzid other than the username" },
		{ M("n,a=,n=user,r=x"), SCRAM_MALFORMED, "empty authzid" },
		{ M("n,a=user"), SCRAM_MALFORMED, "nothing after the authzid" },
		{ M("n,,m=ext,n=user,r=x"), SCRAM_MALFORMED,
		    "mandatory extension m= refused" },
		{ M("n,,n=user,r="), SCRAM_MALFORMED, "empty nonce" },
		{ M("n,,n=user"), SCRAM_MALFORMED, "no nonce" },
		{ M("n,,n=user,r=a b"), SCRAM_MALFORMED, "space in the nonce" },
		{ M("n,,n=user,r=a\x80"), SCRAM_MALFORMED,
		    "8-bit octet in the nonce" },
		{ M("n,,n=user,r=x,"), SCRAM_MALFORMED, "trailing comma" },
		{ M("n,,n=user,r=x,1=y"), SCRAM_MALFORMED,
		    "extension name not a letter" },
		{ M("n,,n=user,r=x,ab"), SCRAM_MALFORMED,
		    "extension without '='" },
		{ M("n,,r=x,n=user"), SCRAM_MALFORMED,
		    "attributes out of order" },
		{ M("N,,n=user,r=x"), SCRAM_MALFORMED,
		    "attribute names are case-sensitive" },
		{ M("n,,n=user\0,r=x"), SCRAM_MALFORMED, "NUL inside" },
		{ M("n,,"), SCRAM_MALFORMED, "GS2 header only" },
		{ M("n"), SCRAM_MALFORMED, "one octet" },
	};
#undef M
	char	 user[SCRAM_USERMAX], out[SCRAM_OUTMAX], small[4];
	size_t	 i;

	CHECK(START("n,,n=a=2Cb=3dc,r=x") == SCRAM_OK &&
	    strcmp(user, "a,b=c") == 0,
	    "username escapes =2C and =3d: \"%s\"", user);
	CHECK(START("n,,n=I\xc2\xadX,r=x") == SCRAM_OK &&
	    strcmp(user, "IX") == 0,
	    "username prepared with SASLprep: \"%s\"", user);
	for (i = 0; i < sizeof(badfirst) / sizeof(badfirst[0]); i++)
		CHECK(start(SCRAM_SHA1, badfirst[i].msg, badfirst[i].len, user,
		    sizeof(user)) == badfirst[i].want, "client-first: %s",
		    badfirst[i].why);
	CHECK(start(SCRAM_SHA1, "n,,n=user,r=x", 13, small, sizeof(small)) ==
	    SCRAM_MALFORMED && small[0] == '\0',
	    "username longer than the caller's buffer");
	CHECK(start(7, "n,,n=user,r=x", 13, user, sizeof(user)) == SCRAM_FAIL,
	    "unknown hash");

	CHECK(start(SCRAM_SHA1, RFC5802_FIRST, strlen(RFC5802_FIRST), user,
	    sizeof(user)) == SCRAM_OK &&
	    scram_server_set_nonce(&srv, "a,b") == -1 &&
	    scram_server_set_nonce(&srv, "") == -1,
	    "set_nonce: empty or comma refused");
	CHECK(scram_server_final(&srv, "c=biws", 6, out, sizeof(out)) ==
	    SCRAM_FAIL, "final before first refused");
	CHECK(scram_server_first(&srv, &k1, small, sizeof(small)) ==
	    SCRAM_FAIL && small[0] == '\0', "server-first: output too small");
	CHECK(scram_server_first(&srv, &k1, out, sizeof(out)) == SCRAM_FAIL,
	    "no second server-first after a failure");
	CHECK(start(SCRAM_SHA1, RFC5802_FIRST, strlen(RFC5802_FIRST), user,
	    sizeof(user)) == SCRAM_OK &&
	    scram_server_first(&srv, &k1, out, sizeof(out)) == SCRAM_OK &&
	    strncmp(out, "r=fyko+d2lbbFgONRv9qkxdawL", 26) == 0 &&
	    strlen(out) == strlen(RFC5802_SFIRST) - 18 + 32,
	    "random server nonce of 32 characters: %s", out);
	CHECK(scram_server_set_nonce(&srv, "late") == -1 &&
	    scram_server_first(&srv, &k1, out, sizeof(out)) == SCRAM_FAIL,
	    "no set_nonce or second server-first after server-first");
}

static void
test_final(void)
{
	static const char *tamper[] = {
		/* proof changed */
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
		"p=w0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		/* nonce changed, proof of the right length */
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7k,"
		"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		/* server nonce left out */
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL,"
		"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		/* channel binding of "y,," */
		"c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
		"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	};
	static const char *malformed[] = {
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j",
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
		"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts",
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
		"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
		"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=,",
		"c=bi!s,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
		"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,c=biws,"
		"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		"c=biws,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
		"1=x,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		"",
	};
	char	 out[SCRAM_OUTMAX];
	size_t	 i;

	for (i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
		CHECK(rfc(SCRAM_SHA1, &k1, RFC5802_FIRST, RFC5802_SNONCE, NULL,
		    tamper[i], out, sizeof(out)) == SCRAM_FAIL &&
		    out[0] == '\0', "tampered client-final %zu fails", i);
	}
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		CHECK(rfc(SCRAM_SHA1, &k1, RFC5802_FIRST, RFC5802_SNONCE, NULL,
		    malformed[i], out, sizeof(out)) == SCRAM_MALFORMED,
		    "malformed client-final %zu", i);
	}
	CHECK(rfc(SCRAM_SHA1, &k1, RFC5802_FIRST, RFC5802_SNONCE, NULL,
	    RFC5802_FINAL, out, 10) == SCRAM_FAIL && out[0] == '\0',
	    "server-final: output too small");
}

static void
test_unknown(void)
{
	char	 out[SCRAM_OUTMAX], out2[SCRAM_OUTMAX], user[SCRAM_USERMAX];
	int	 r;

	CHECK(scram_init(4095, NULL, 0) == -1 &&
	    scram_init(10000, "short", 5) == -1,
	    "scram_init: too few iterations, too short a secret");
	CHECK(scram_init(10000, "0123456789abcdef", 16) == 0, "scram_init");
	start(SCRAM_SHA256, "n,,n=nobody,r=abc", 17, user, sizeof(user));
	r = scram_server_first(&srv, NULL, out, sizeof(out));
	CHECK(r == SCRAM_OK && strstr(out, ",i=10000") != NULL &&
	    strlen(strstr(out, ",s=")) == 3 + 24 + 8,
	    "unknown user: plausible server-first %s", out);
	start(SCRAM_SHA256, "n,,n=nobody,r=abc", 17, user, sizeof(user));
	scram_server_first(&srv, NULL, out2, sizeof(out2));
	CHECK(strcmp(strstr(out, ",s="), strstr(out2, ",s=")) == 0 &&
	    strcmp(out, out2) != 0,
	    "same salt at each attempt, new server nonce");
	start(SCRAM_SHA1, "n,,n=nobody,r=abc", 17, user, sizeof(user));
	scram_server_first(&srv, NULL, out2, sizeof(out2));
	CHECK(strcmp(strstr(out, ",s="), strstr(out2, ",s=")) != 0,
	    "another salt for the other hash");
	start(SCRAM_SHA256, "n,,n=nobody2,r=abc", 18, user, sizeof(user));
	scram_server_first(&srv, NULL, out2, sizeof(out2));
	CHECK(strcmp(strstr(out, ",s="), strstr(out2, ",s=")) != 0,
	    "another salt for another user");
	r = exchange(SCRAM_SHA256, NULL, "pencil", "n,,n=nobody,r=abc",
	    "biws", "", "", out, sizeof(out));
	CHECK(r == SCRAM_FAIL && out[0] == '\0',
	    "unknown user: a well-formed proof fails");
	r = exchange(SCRAM_SHA256, NULL, "", "n,,n=nobody,r=abc",
	    "biws", "", "", out, sizeof(out));
	CHECK(r == SCRAM_FAIL, "unknown user: any password fails");
	CHECK(rfc(SCRAM_SHA256, NULL, RFC7677_FIRST, RFC7677_SNONCE, NULL,
	    RFC7677_FINAL, out, sizeof(out)) == SCRAM_FAIL,
	    "unknown user: the RFC 7677 proof fails");
	CHECK(rfc(SCRAM_SHA256, NULL, RFC7677_FIRST, RFC7677_SNONCE, NULL,
	    "c=biws", out, sizeof(out)) == SCRAM_MALFORMED,
	    "unknown user: malformed client-final still reported as such");
}

/* Prefixes, oversized and pseudo-random messages: no crash, no success. */
static void
test_hostile(void)
{
	char		 user[SCRAM_USERMAX], out[SCRAM_OUTMAX];
	char		 big[SCRAM_MSGMAX + 2], rnd[512];
	size_t		 i, j, len, okfirst = 0, okfinal = 0, badfirst = 0;
	uint32_t	 x = 2463534242U;
	int		 r;

	for (len = 0; len < strlen(RFC5802_FIRST); len++) {
		r = start(SCRAM_SHA1, RFC5802_FIRST, len, user, sizeof(user));
		if (r == SCRAM_OK)
			okfirst++;
		else if (r != SCRAM_MALFORMED)
			badfirst++;
	}
	CHECK(okfirst == strlen(RFC5802_FIRST) - 13 && badfirst == 0,
	    "client-first prefixes: %zu ok (shorter nonces), rest malformed",
	    okfirst);
	for (len = 0; len < strlen(RFC5802_FINAL); len++) {
		start(SCRAM_SHA1, RFC5802_FIRST, strlen(RFC5802_FIRST), user,
		    sizeof(user));
		scram_server_set_nonce(&srv, RFC5802_SNONCE);
		scram_server_first(&srv, &k1, out, sizeof(out));
		if (final(RFC5802_FINAL, len, out, sizeof(out)) == SCRAM_OK)
			okfinal++;
	}
	CHECK(okfinal == 0, "client-final prefixes: none succeeds");

	memset(big, 'a', sizeof(big));
	memcpy(big, "n,,n=user,r=", 12);
	CHECK(start(SCRAM_SHA1, big, SCRAM_MSGMAX, user, sizeof(user)) ==
	    SCRAM_OK && scram_server_first(&srv, &k1, out, sizeof(out)) ==
	    SCRAM_OK, "client-first of exactly %d octets", SCRAM_MSGMAX);
	CHECK(start(SCRAM_SHA1, big, SCRAM_MSGMAX + 1, user, sizeof(user)) ==
	    SCRAM_MALFORMED, "client-first of %d octets", SCRAM_MSGMAX + 1);
	start(SCRAM_SHA1, RFC5802_FIRST, strlen(RFC5802_FIRST), user,
	    sizeof(user));
	scram_server_first(&srv, &k1, out, sizeof(out));
	memcpy(big, "c=biws,r=", 9);
	CHECK(final(big, SCRAM_MSGMAX + 1, out, sizeof(out)) ==
	    SCRAM_MALFORMED, "client-final of %d octets", SCRAM_MSGMAX + 1);

	okfinal = 0;
	for (i = 0; i < 2000; i++) {
		len = (x % sizeof(rnd)) + 1;
		for (j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			/* mostly the characters the grammar cares about */
			rnd[j] = (x & 3) == 0 ? ",=nrpcya"[(x >> 8) % 8] :
			    (char)(x >> 16);
		}
		if (i % 2 == 0) {
			if (i % 4 == 0 && len > 3)
				memcpy(rnd, "n,,", 3);
			start(SCRAM_SHA1, rnd, len, user, sizeof(user));
		} else {
			start(SCRAM_SHA1, RFC5802_FIRST,
			    strlen(RFC5802_FIRST), user, sizeof(user));
			scram_server_first(&srv, &k1, out, sizeof(out));
			if (final(rnd, len, out, sizeof(out)) == SCRAM_OK)
				okfinal++;
		}
	}
	CHECK(okfinal == 0,
	    "2000 pseudo-random messages: no crash, no success");
}

int
main(void)
{
	test_base64();
	test_derive();
	test_rfc();
	test_client();
	test_first();
	test_final();
	test_unknown();
	test_hostile();
	scram_server_clear(&srv);
	TEST_DONE();
}
