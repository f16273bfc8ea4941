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
 * xmppload over WebSocket (RFC 7395, -H PATH): direct TLS, the HTTP
 * upgrade with subprotocol xmpp, then each stanza one masked text frame
 * (RFC 6455 5.3).  What the server sends is unframed and fed to the same
 * expat parser inside a <ws> root, so that stanzas sit at depth 2 as on a
 * TCP stream and the login and scenarios run unchanged.
 */

#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmppload.h"

#define WS_OPEN		"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' " \
	"to='%s' version='1.0'/>"
#define WS_HDRMAX	14
#define WS_INBUF	(64 * 1024)	/* first size of the input buffer */

static void	ws_reserve(struct conn *, size_t);
static void	ws_control(struct conn *, int, const uint8_t *, size_t);

static void
ws_reserve(struct conn *c, size_t more)
{
	size_t	 need = c->outlen + more + 1;
	char	*p;

	if (need <= c->outcap)
		return;
	if (need < c->outcap * 2)
		need = c->outcap * 2;
	if ((p = realloc(c->out, need)) == NULL)
		err(1, NULL);
	c->out = p;
	c->outcap = need;
}

/* The upgrade request, with a fixed key: the bench does not check it. */
void
ws_upgrade(struct conn *c)
{
	uint32_t	 r = arc4random();

	memcpy(c->ws_mask, &r, sizeof(c->ws_mask));
	c->state = S_UPGRADE;
	c->ws_raw = 1;
	conn_send(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: "
	    "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Protocol: xmpp\r\n\r\n", opts.websocket, c->domain);
	c->ws_raw = 0;
}

/*
 * A stanza in a message of its own declares its namespace (RFC 7395
 * 3.3.3): add jabber:client to the iq, message or presence at off.
 */
static void
ws_qualify(struct conn *c, size_t off)
{
	static const char	 ns[] = " xmlns='jabber:client'";
	char			*p = c->out + off + 1;
	size_t			 n;

	if (c->out[off] != '<')
		return;
	n = strcspn(p, " />");
	if (!((n == 2 && strncmp(p, "iq", 2) == 0) ||
	    (n == 7 && strncmp(p, "message", 7) == 0) ||
	    (n == 8 && strncmp(p, "presence", 8) == 0)))
		return;
	ws_reserve(c, sizeof(ns) - 1);
	p = c->out + off + 1 + n;
	memmove(p + sizeof(ns) - 1, p, c->out + c->outlen - p);
	memcpy(p, ns, sizeof(ns) - 1);
	c->outlen += sizeof(ns) - 1;
}

/*
 * Frame what conn_send just appended at off: move it past a header and
 * mask it in place.
 */
void
ws_frame(struct conn *c, size_t off, int opcode)
{
	size_t	 len, hl, i;
	uint8_t	*h;

	if (opcode == 0x1)
		ws_qualify(c, off);
	len = c->outlen - off;
	ws_reserve(c, WS_HDRMAX);
	hl = len < 126 ? 6 : len < 65536 ? 8 : 14;
	memmove(c->out + off + hl, c->out + off, len);
	h = (uint8_t *)c->out + off;
	h[0] = 0x80 | opcode;
	if (len < 126)
		h[1] = 0x80 | len;
	else if (len < 65536) {
		h[1] = 0x80 | 126;
		h[2] = len >> 8;
		h[3] = len;
	} else {
		h[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (uint64_t)len >> (56 - 8 * i);
	}
	memcpy(h + hl - 4, c->ws_mask, 4);
	for (i = 0; i < len; i++)
		h[hl + i] ^= c->ws_mask[i & 3];
	c->outlen += hl;
}

/* A new XML stream: the <ws> root, then <open/>. */
void
ws_open(struct conn *c)
{
	(void)XML_Parse(c->xp, "<ws>", 4, 0);
	conn_send(c, WS_OPEN, c->domain);
}

void
ws_close(struct conn *c)
{
	conn_send(c, "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
}

static void
ws_control(struct conn *c, int op, const uint8_t *p, size_t len)
{
	size_t	 off = c->outlen;

	if (op == 0x8) {
		conn_fail(c, "WebSocket closed by the server");
		return;
	}
	if (op != 0x9)
		return;
	/* The pong echoes the ping's payload (text: xmppd sends none). */
	c->ws_raw = 1;
	conn_send(c, "%.*s", (int)len, (const char *)p);
	c->ws_raw = 0;
	ws_frame(c, off, 0xa);
}

/* The upgrade's answer: 101 and the subprotocol, or the run fails. */
static size_t
ws_response(struct conn *c)
{
	static char	 why[160];
	char		*end, *p;

	c->ws_in[c->ws_inlen] = '\0';
	if ((end = strstr(c->ws_in, "\r\n\r\n")) == NULL)
		return (0);
	if (strncmp(c->ws_in, "HTTP/1.1 101", 12) != 0 ||
	    (p = strcasestr(c->ws_in, "\r\nSec-WebSocket-Protocol:")) == NULL ||
	    strncmp(p + 25 + strspn(p + 25, " \t"), "xmpp\r\n", 6) != 0) {
		snprintf(why, sizeof(why), "WebSocket upgrade refused: %.*s",
		    (int)strcspn(c->ws_in, "\r\n"), c->ws_in);
		conn_fail(c, why);
		return (0);
	}
	c->state = S_FEAT2;
	ws_open(c);
	return (end + 4 - c->ws_in);
}

/*
 * Bytes from the server: buffer them, feed each whole frame's payload to
 * the parser.  Returns -1 when the connection is gone.
 */
int
ws_input(struct conn *c, const char *buf, size_t n)
{
	size_t		 used = 0, hl, len, i;
	uint8_t		*h;

	if (c->ws_inlen + n + 1 > c->ws_incap) {
		c->ws_incap = c->ws_inlen + n + 1 < WS_INBUF ? WS_INBUF :
		    c->ws_inlen + n + 1;
		if ((c->ws_in = realloc(c->ws_in, c->ws_incap)) == NULL)
			err(1, NULL);
	}
	memcpy(c->ws_in + c->ws_inlen, buf, n);
	c->ws_inlen += n;
	if (c->state == S_UPGRADE) {
		used = ws_response(c);
		if (c->state == S_CLOSED)
			return (-1);
	}
	while (c->state != S_UPGRADE && c->ws_inlen - used >= 2) {
		h = (uint8_t *)c->ws_in + used;
		len = h[1] & 0x7f;
		hl = len == 126 ? 4 : len == 127 ? 10 : 2;
		if (c->ws_inlen - used < hl)
			break;
		if (len == 126)
			len = (size_t)h[2] << 8 | h[3];
		else if (len == 127)
			for (len = 0, i = 0; i < 8; i++)
				len = len << 8 | h[2 + i];
		if (c->ws_inlen - used - hl < len)
			break;
		used += hl + len;
		if ((h[0] & 0x0f) >= 0x8)
			ws_control(c, h[0] & 0x0f, h + hl, len);
		else if (XML_Parse(c->xp, (char *)h + hl, len, 0) ==
		    XML_STATUS_ERROR && !c->reset && c->state != S_CLOSED)
			conn_fail(c,
			    XML_ErrorString(XML_GetErrorCode(c->xp)));
		if (c->state == S_CLOSED)
			return (-1);
		if (c->reset)
			conn_restart(c);
	}
	memmove(c->ws_in, c->ws_in + used, c->ws_inlen - used);
	c->ws_inlen -= used;
	return (0);
}
