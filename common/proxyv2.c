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
 * A PROXY protocol version 2 header parser (the binary form only: the
 * text form of version 1 is refused).  It reads the 16-byte fixed part
 * and the length it announces, never more, so the caller knows where
 * the connection's own bytes begin.  Only a TCP client address over
 * IPv4 or IPv6 is taken; a LOCAL header (the proxy's own check) keeps
 * the socket's address; anything else is refused, since the client it
 * stands for could not be told apart from the proxy.  TLVs are skipped.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdint.h>
#include <string.h>

#include "proxyv2.h"

static const uint8_t proxyv2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define PROXYV2_VERSION		0x20
#define PROXYV2_CMD_LOCAL	0x00
#define PROXYV2_CMD_PROXY	0x01
#define PROXYV2_AF_INET		0x10
#define PROXYV2_AF_INET6	0x20
#define PROXYV2_STREAM		0x01
#define PROXYV2_INET_LEN	12	/* two addresses, two ports */
#define PROXYV2_INET6_LEN	36

/* The client address of a PROXY command of family fam from body p. */
static int
proxyv2_addr(int fam, const uint8_t *p, size_t len, struct proxyv2 *pv)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&pv->src;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&pv->src;

	switch (fam) {
	case PROXYV2_AF_INET | PROXYV2_STREAM:
		if (len < PROXYV2_INET_LEN)
			return (-1);
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, p, 4);
		memcpy(&sin->sin_port, p + 8, 2);
		pv->srclen = sizeof(*sin);
		return (0);
	case PROXYV2_AF_INET6 | PROXYV2_STREAM:
		if (len < PROXYV2_INET6_LEN)
			return (-1);
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, p, 16);
		memcpy(&sin6->sin6_port, p + 32, 2);
		pv->srclen = sizeof(*sin6);
		return (0);
	default:
		return (-1);
	}
}

/*
 * Read a header from the len bytes at buf: its length (the client's
 * bytes start after it), 0 when more bytes are needed, -1 when it is
 * no header this parser takes.
 */
int
proxyv2_parse(const uint8_t *buf, size_t len, struct proxyv2 *pv)
{
	size_t	 body;

	memset(pv, 0, sizeof(*pv));
	if (memcmp(buf, proxyv2_sig, len < sizeof(proxyv2_sig) ? len :
	    sizeof(proxyv2_sig)) != 0)
		return (-1);
	if (len < PROXYV2_HDRLEN)
		return (0);
	if ((buf[12] & 0xf0) != PROXYV2_VERSION)
		return (-1);
	body = (size_t)buf[14] << 8 | buf[15];
	if (PROXYV2_HDRLEN + body > PROXYV2_MAX)
		return (-1);
	if (len < PROXYV2_HDRLEN + body)
		return (0);
	switch (buf[12] & 0x0f) {
	case PROXYV2_CMD_LOCAL:
		pv->local = 1;
		break;
	case PROXYV2_CMD_PROXY:
		if (proxyv2_addr(buf[13], buf + PROXYV2_HDRLEN, body,
		    pv) == -1)
			return (-1);
		break;
	default:
		return (-1);
	}
	return (PROXYV2_HDRLEN + body);
}
