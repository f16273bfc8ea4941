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
 * The first bytes of a TLS connection, read without consuming them: is
 * it a ClientHello, and which server name (SNI) and application
 * protocols (ALPN) does it ask for.  Bounded: one TLS record at most.
 */

#ifndef TLSHELLO_H
#define TLSHELLO_H

#include <sys/types.h>

#include <stdint.h>

/* A ClientHello in one record: the record header and 2^14 bytes. */
#define TLSHELLO_MAX		(5 + 16384)

#define TLSHELLO_ALPN_XMPP_CLIENT	0x01
#define TLSHELLO_ALPN_XMPP_SERVER	0x02
#define TLSHELLO_ALPN_HTTP11		0x04
#define TLSHELLO_ALPN_OTHER		0x08

struct tlshello {
	char	 sni[256];	/* lowercase host name; "" none */
	int	 alpn;		/* TLSHELLO_ALPN_*; 0 no extension */
};

int	 tlshello_parse(const uint8_t *, size_t, struct tlshello *);

#endif /* TLSHELLO_H */
