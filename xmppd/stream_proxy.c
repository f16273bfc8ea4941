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
 * "listen ... proxy from": in the stream process, a connection from one
 * of the listener's proxies starts with a PROXY protocol v2 header
 * (common/proxyv2.c).  It is read, and only it, before anything else;
 * the connection is then served as the listener serves any, from the
 * client address the header names.  Whatever is not a header it takes,
 * or no header in time, closes the connection.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "proxyv2.h"
#include "stream.h"
#include "xmppd.h"

struct proxyc {
	struct peek		 p;	/* first: its calls see a proxyc */
	int			 kind;
	int			 direct;
};

static uint8_t		 proxy_buf[PROXYV2_MAX];

static void	proxy_look(struct peek *, size_t, int);
static void	proxy_refuse(struct peek *, const char *);

static void
proxy_free(struct proxyc *p, int keep)
{
	peek_stop(&p->p);
	if (!keep)
		close(p->p.fd);
	free(p);
}

static void
proxy_refuse(struct peek *p, const char *why)
{
	log_info("connection from proxy %s closed: %s", p->addr, why);
	proxy_free((struct proxyc *)p, 0);
}

/*
 * Wait for the header on s, accepted from the proxy at addr on a
 * listener of kind (direct: TLS from the first byte after it).
 */
void
proxy_start(int s, const char *addr, int kind, int direct)
{
	struct proxyc	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("%s", __func__);
		close(s);
		return;
	}
	p->kind = kind;
	p->direct = direct;
	p->p.buf = proxy_buf;
	p->p.size = sizeof(proxy_buf);
	p->p.look = proxy_look;
	p->p.refuse = proxy_refuse;
	p->p.late = "no PROXY header in time";
	peek_start(&p->p, s, addr);
}

/* The header of hlen bytes is whole: take it, serve the rest. */
static void
proxy_serve(struct proxyc *p, size_t hlen, struct proxyv2 *pv)
{
	char	 addr[ADDR_STRLEN];
	int	 s = p->p.fd, kind = p->kind, direct = p->direct;

	if (read(s, proxy_buf, hlen) != (ssize_t)hlen ||
	    peek_done(&p->p) == -1) {
		proxy_refuse(&p->p, "the header could not be taken");
		return;
	}
	if (pv->local)
		(void)strlcpy(addr, p->p.addr, sizeof(addr));
	else
		addr_ntop(&pv->src, addr, sizeof(addr));
	log_debug("%s: connection from %s through proxy %s", __func__, addr,
	    p->p.addr);
	if (addr_count(addr) >= stream_conf->global.limits.conn_per_addr) {
		log_info("connection from %s through proxy %s refused: too "
		    "many from there", addr, p->p.addr);
		proxy_free(p, 0);
		return;
	}
	proxy_free(p, 1);
	if (kind == LISTEN_MULTIPLEX)
		mux_start(s, addr);
	else
		stream_serve(s, kind, addr, direct);
}

static void
proxy_look(struct peek *p, size_t n, int closed)
{
	struct proxyv2	 pv;
	int		 r;

	if (closed) {
		proxy_refuse(p, "closed before its PROXY header ended");
		return;
	}
	if ((r = proxyv2_parse(proxy_buf, n, &pv)) == -1) {
		proxy_refuse(p, "not a PROXY v2 header it takes");
		return;
	}
	if (r > 0) {
		proxy_serve((struct proxyc *)p, r, &pv);
		return;
	}
	if (peek_more(p, n) == -1)
		proxy_refuse(p, strerror(errno));
}
