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
 * The server side of SASL SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802,
 * RFC 7677) without channel binding, and the derivation of the keys an
 * account stores instead of its password.
 */

#ifndef SCRAM_H
#define SCRAM_H

#include <stddef.h>
#include <stdint.h>

#define SCRAM_SHA1		1
#define SCRAM_SHA256		2

/* Results; the comments name the RFC 6120 SASL failure to send. */
#define SCRAM_OK		0
#define SCRAM_FAIL		(-1)	/* <not-authorized/> */
#define SCRAM_MALFORMED		(-2)	/* <malformed-request/> */
#define SCRAM_AUTHZID		(-3)	/* <invalid-authzid/> */

#define SCRAM_KEYMAX		32	/* SHA-256 */
#define SCRAM_SALTLEN		16	/* for new accounts, as unknown ones */
#define SCRAM_SALTMAX		64
#define SCRAM_ITER_MIN		4096
#define SCRAM_ITER_MAX		1000000
#define SCRAM_PASSMAX		1023	/* octets of a password */
#define SCRAM_MSGMAX		4096	/* octets of a client message */
#define SCRAM_OUTMAX		(SCRAM_MSGMAX + 256)	/* a server message */
#define SCRAM_USERMAX		1024	/* a prepared username, with NUL */
#define SCRAM_NONCELEN		24	/* random octets of a server nonce */
#define SCRAM_NONCEMAX		64	/* a server nonce, with NUL */
#define SCRAM_AUTHMAX		(3 * SCRAM_MSGMAX + 256)

/* What an account stores, per hash.  Flat: it crosses imsg channels. */
struct scram_keys {
	int		 hash;
	int		 iter;
	size_t		 saltlen;
	uint8_t		 salt[SCRAM_SALTMAX];
	uint8_t		 stored_key[SCRAM_KEYMAX];
	uint8_t		 server_key[SCRAM_KEYMAX];
};

struct scram_server {
	int		 hash;
	int		 state;
	int		 unknown;	/* no such account: must fail */
	struct scram_keys keys;
	char		 user[SCRAM_USERMAX];
	char		 snonce[SCRAM_NONCEMAX];
	char		 gs2[SCRAM_MSGMAX];	/* as sent, for c= */
	size_t		 gs2len;
	size_t		 cnonce_off;	/* client nonce, within authmsg */
	size_t		 cnonce_len;
	char		 authmsg[SCRAM_AUTHMAX];
	size_t		 authlen;
};

size_t	scram_hashlen(int);
int	scram_init(int, const void *, size_t);
int	scram_derive(int, const char *, const uint8_t *, size_t, int,
	    struct scram_keys *);
int	scram_server_start(struct scram_server *, int, const char *, size_t,
	    char *, size_t);
/* Regress tests only: a fixed server nonce, to replay RFC examples. */
int	scram_server_set_nonce(struct scram_server *, const char *);
int	scram_server_first(struct scram_server *, const struct scram_keys *,
	    char *, size_t);
int	scram_server_final(struct scram_server *, const char *, size_t,
	    char *, size_t);
void	scram_server_clear(struct scram_server *);

#endif /* SCRAM_H */
