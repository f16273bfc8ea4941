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
 * The binary PROXY protocol header (version 2) a proxy in front of a
 * listener sends before the connection's own bytes: who the client is.
 * Bounded: a header longer than PROXYV2_MAX is refused.
 */

#ifndef PROXYV2_H
#define PROXYV2_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

#define PROXYV2_HDRLEN		16
/* The fixed part and the addresses, with room for a few TLVs. */
#define PROXYV2_MAX		(PROXYV2_HDRLEN + 512)

struct proxyv2 {
	int			 local;	/* LOCAL: keep the socket's address */
	struct sockaddr_storage	 src;	/* the client, when !local */
	socklen_t		 srclen;
};

int	 proxyv2_parse(const uint8_t *, size_t, struct proxyv2 *);

#endif /* PROXYV2_H */
