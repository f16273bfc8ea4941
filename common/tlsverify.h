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
 * Is a peer server's certificate good for the XMPP domain it claims?
 * The chain libtls hands over must lead to a trusted CA, and its first
 * certificate must name the domain itself by RFC 6125's rules, with
 * the identifier types of RFC 6120 section 13.7: DNS-ID, SRV-ID
 * "_xmpp-server.DOMAIN" and XmppAddr.
 */

#ifndef TLSVERIFY_H
#define TLSVERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TLSVERIFY_CA_MAX	(2 * 1024 * 1024)	/* a CA file, bytes */
#define TLSVERIFY_CHAIN_MAX	(128 * 1024)	/* a peer's chain, bytes */
#define TLSVERIFY_DEPTH		8	/* certificates in a chain */

enum tlsverify_result {
	TLSVERIFY_OK,		/* trusted, and names the domain */
	TLSVERIFY_NOCERT,	/* the peer presented none */
	TLSVERIFY_MALFORMED,	/* a certificate that does not parse */
	TLSVERIFY_UNTRUSTED,	/* no valid chain to a trusted CA */
	TLSVERIFY_MISMATCH,	/* trusted, but for other names */
};

struct tlsverify_ca;

struct tlsverify_ca	*tlsverify_ca_new(const uint8_t *, size_t);
int			 tlsverify_ca_count(const struct tlsverify_ca *);
void			 tlsverify_ca_free(struct tlsverify_ca *);
int			 tlsverify_peer(const struct tlsverify_ca *,
			    const uint8_t *, size_t, const char *, time_t,
			    char *, size_t);
int			 tlsverify_dns_match(const char *, size_t,
			    const char *);
int			 tlsverify_names(const uint8_t *, size_t,
			    const char *);
const char		*tlsverify_strerror(int);

#endif /* TLSVERIFY_H */
