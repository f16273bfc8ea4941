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
 * The multiplexer of "listen ... multiplex", in the stream process: it
 * looks at a connection's first bytes without taking them (MSG_PEEK)
 * and gives the socket, untouched, to what serves it: a client or
 * server stream of this process, or uploadd over the channel the
 * parent made between them.  TLS is not terminated here.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "msg.h"
#include "peek.h"
#include "proc.h"
#include "stream.h"
#include "tlshello.h"
#include "xmppd.h"

static uint8_t		 mux_buf[TLSHELLO_MAX];

static void	mux_look(struct peek *, size_t, int);
static void	mux_gone(struct peek *);

static const struct peek_kind	 mux_kind = {
	mux_buf, sizeof(mux_buf), "multiplexed connection from",
	"nothing to tell its service by in time", mux_look, mux_gone
};

static void
mux_gone(struct peek *m)
{
	addr_count_add(m->addr, -1);
}

/*
 * Start looking at s, accepted from addr on a multiplex listener.  It
 * counts as a connection from addr while it waits.
 */
void
mux_start(int s, const char *addr)
{
	if (peek_start(&mux_kind, s, addr, NULL) != NULL)
		addr_count_add(addr, 1);
}

/* The upload service whose name is sni, or NULL. */
static struct upload_conf *
mux_upload(const char *sni)
{
	struct upload_conf	*u;

	TAILQ_FOREACH(u, &stream_conf->uploads, entry)
		if (strcasecmp(u->name, sni) == 0)
			return (u);
	return (NULL);
}

/* uploadd takes the socket over the channel to it; this side closes it. */
static void
mux_to_upload(struct peek *m, struct upload_conf *u)
{
	struct upload_pass	 up;
	struct imsgev		*iev;

	if ((iev = proc_peer(PROC_UPLOADD, 0)) == NULL) {
		peek_refuse(m, "uploadd is not running");
		return;
	}
	memset(&up, 0, sizeof(up));
	(void)strlcpy(up.service, u->name, sizeof(up.service));
	(void)strlcpy(up.addr, m->addr, sizeof(up.addr));
	log_debug("%s: connection from %s to upload %s", __func__, m->addr,
	    u->name);
	/* Once queued, the imsg owns the descriptor and closes it. */
	peek_free(m, imsgev_compose(iev, IMSG_UPLOAD_CONN, 0, 0, m->fd, &up,
	    sizeof(up)) != -1);
}

/* This process serves the connection as a listener of kind would. */
static void
mux_to_stream(struct peek *m, int kind, int direct)
{
	char	 addr[ADDR_STRLEN];
	int	 s = m->fd;

	(void)strlcpy(addr, m->addr, sizeof(addr));
	peek_free(m, 1);
	stream_serve(s, kind, addr, direct);
}

/* A whole ClientHello: by ALPN, then by SNI. */
static void
mux_tls(struct peek *m, struct tlshello *h)
{
	struct upload_conf	*u;

	if (h->alpn & TLSHELLO_ALPN_XMPP_CLIENT)
		mux_to_stream(m, LISTEN_CLIENT, 1);
	else if (h->alpn & TLSHELLO_ALPN_XMPP_SERVER)
		mux_to_stream(m, LISTEN_SERVER, 1);
	else if (h->alpn != 0 && !(h->alpn & TLSHELLO_ALPN_HTTP11))
		peek_refuse(m, "no service for the protocols it offers");
	else if ((u = mux_upload(h->sni)) != NULL)
		mux_to_upload(m, u);
	else
		mux_to_stream(m, LISTEN_HTTP, 1);
}

/*
 * Plaintext: what an XMPP client opens a stream with, or the start of
 * it (1: whole, 0: more needed, -1: something else).
 */
static int
mux_plain(const uint8_t *p, size_t len)
{
	static const char	*starts[] = { "<?xml", "<stream:stream" };
	size_t			 i, n;

	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		n = strlen(starts[i]);
		if (memcmp(p, starts[i], len < n ? len : n) == 0)
			return (len >= n);
	}
	return (-1);
}

/* Wake again once more than have bytes are there, not before. */
static int
mux_wait(struct peek *m, size_t have)
{
	log_debug("%s: %zu bytes from %s so far", __func__, have, m->addr);
	return (peek_more(m, have));
}

static void
mux_look(struct peek *m, size_t n, int closed)
{
	struct tlshello	 h;
	int		 r;

	if (closed) {
		peek_refuse(m, n == 0 ? "closed before a byte" :
		    "closed before it said what it is");
		return;
	}
	if (mux_buf[0] == 0x16)
		r = tlshello_parse(mux_buf, n, &h);
	else
		r = mux_plain(mux_buf, n);
	if (r == 0 && n == sizeof(mux_buf))
		r = -1;
	if (r == -1) {
		peek_refuse(m, mux_buf[0] == 0x16 ? "not a ClientHello it "
		    "can read" : "neither TLS nor XMPP");
		return;
	}
	if (r == 0) {
		if (mux_wait(m, n) == -1)
			peek_refuse(m, strerror(errno));
		return;
	}
	if (peek_done(m) == -1) {
		peek_refuse(m, strerror(errno));
		return;
	}
	if (mux_buf[0] == 0x16)
		mux_tls(m, &h);
	else
		mux_to_stream(m, LISTEN_CLIENT, 0);
}
