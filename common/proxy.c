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
 * "listen ... proxy from", in the process that accepts the listener's
 * connections (a stream process, uploadd): a connection from one of the
 * listener's proxies starts with a PROXY protocol v2 header
 * (proxyv2.c).  It is read, and only it, before anything else; the
 * connection is then served as the listener serves any, from the client
 * address the header names.  A connection from elsewhere, whatever is
 * not a header it takes, or no header in time closes the connection.
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
#include "peek.h"
#include "proc.h"
#include "proxy.h"
#include "proxyv2.h"

/* What the listener serves, kept while the header is awaited. */
struct proxy_wait {
	struct listen_conf	 lc;
	void			(*serve)(int, const char *,
				    const struct listen_conf *);
};

static uint8_t		 proxy_buf[PROXYV2_MAX];

static void	proxy_look(struct peek *, size_t, int);
static void	proxy_gone(struct peek *);

static const struct peek_kind	 proxy_kind = {
	proxy_buf, sizeof(proxy_buf), "connection from proxy",
	"no PROXY header in time", proxy_look, proxy_gone
};

static void
proxy_gone(struct peek *p)
{
	free(p->arg);
}

void
proxy_accept(int s, const char *addr, const struct listen_conf *lc,
    void (*serve)(int, const char *, const struct listen_conf *))
{
	struct proxy_wait	*w;

	if (!config_proxy_allowed(lc, addr)) {
		log_info("connection from %s on %s port %u closed: not a "
		    "proxy it takes", addr, lc->addr, lc->port);
		close(s);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("%s", __func__);
		close(s);
		return;
	}
	w->lc.kind = lc->kind;
	w->lc.flags = lc->flags;
	(void)strlcpy(w->lc.addr, lc->addr, sizeof(w->lc.addr));
	w->lc.port = lc->port;
	(void)strlcpy(w->lc.owner, lc->owner, sizeof(w->lc.owner));
	w->lc.fd = -1;
	w->serve = serve;
	if (peek_start(&proxy_kind, s, addr, w) == NULL)
		free(w);
}

/* The header of hlen bytes is whole: take it, serve the rest. */
static void
proxy_serve(struct peek *p, size_t hlen, struct proxyv2 *pv)
{
	struct proxy_wait	 w = *(struct proxy_wait *)p->arg;
	char			 addr[ADDR_STRLEN];
	int			 s = p->fd;

	if (read(s, proxy_buf, hlen) != (ssize_t)hlen || peek_done(p) == -1) {
		peek_refuse(p, "the header could not be taken");
		return;
	}
	if (pv->local)
		(void)strlcpy(addr, p->addr, sizeof(addr));
	else
		addr_ntop(&pv->src, addr, sizeof(addr));
	log_debug("%s: connection from %s through proxy %s", __func__, addr,
	    p->addr);
	if (addr_count(addr) >= proc_self.conf->global.limits.conn_per_addr) {
		log_info("connection from %s through proxy %s refused: too "
		    "many from there", addr, p->addr);
		peek_free(p, 0);
		return;
	}
	peek_free(p, 1);
	w.serve(s, addr, &w.lc);
}

static void
proxy_look(struct peek *p, size_t n, int closed)
{
	struct proxyv2	 pv;
	int		 r;

	if (closed) {
		peek_refuse(p, "closed before its PROXY header ended");
		return;
	}
	if ((r = proxyv2_parse(proxy_buf, n, &pv)) == -1) {
		peek_refuse(p, "not a PROXY v2 header it takes");
		return;
	}
	if (r > 0) {
		proxy_serve(p, r, &pv);
		return;
	}
	if (peek_more(p, n) == -1)
		peek_refuse(p, strerror(errno));
}
