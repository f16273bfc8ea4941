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
 * The HTTP server of a stream process, where it runs sandboxed as the
 * rest of it does: connections on `listen ... http [tls]`, read by the
 * HTTP layer of common/http.c (libhttp-parser), routed by path to the
 * web transports.  A WebSocket upgrade leaves HTTP for a client stream
 * (http_ws.c); a BOSH request is answered by its session (http_bosh.c),
 * maybe later; anything else is answered here.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <tls.h>
#include <unistd.h>

#include "addr.h"
#include "http.h"
#include "http_bosh.h"
#include "http_web.h"
#include "log.h"
#include "stream.h"
#include "tlsctx.h"

struct http_web {
	struct tlsctx	*tlsctx;	/* NULL: plain http */
	char		 addr[ADDR_STRLEN];
	char		 local[ADDR_STRLEN + 8];	/* the listener's */
	struct bosh_req	*bosh;		/* a BOSH request being read */
	int		 starting;	/* inside http_conn_new() */
	int		 gone;		/* closed meanwhile */
	int		 upgrade;	/* a WebSocket handshake is accepted */
	char		 accept[WS_ACCEPT_LEN];
};

static int	http_web_request(struct http_conn *, struct http_request *);
static int	http_web_body(struct http_conn *, const void *, size_t);
static int	http_web_done(struct http_conn *);
static void	http_web_closed(struct http_conn *);

static const struct http_handler http_web_handler = {
	http_web_request, http_web_body, http_web_done, NULL, http_web_closed
};

/*
 * The local address and port s was accepted on: a BOSH session is
 * served on the listener that made it only.
 */
static void
http_web_local(int s, char *buf, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 a[ADDR_STRLEN];
	in_port_t		 port = 0;

	(void)strlcpy(buf, "?", len);
	if (getsockname(s, (struct sockaddr *)&ss, &sl) == -1)
		return;
	addr_ntop(&ss, a, sizeof(a));
	if (ss.ss_family == AF_INET)
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	(void)snprintf(buf, len, "%s %u", a, port);
}

/*
 * Serve s, accepted from addr on an http listener; t: its TLS or NULL.
 * The limits block's http lines apply, as in uploadd.
 */
void
http_web_accept(int s, const char *addr, struct tlsctx *t)
{
	struct limits_conf	*l = &stream_conf->global.limits;
	struct http_limits	 lim;
	struct http_web		*w;
	struct http_conn	*hc;

	if (http_conn_count() >= l->http_connections) {
		log_info("http connection from %s refused: too many "
		    "connections", addr);
		close(s);
		return;
	}
	lim.header_max = l->http_header_size;
	lim.header_timeout = l->http_header_timeout;
	lim.idle_timeout = l->http_idle_timeout;
	lim.body_rate = l->http_body_rate;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		close(s);
		return;
	}
	(void)strlcpy(w->addr, addr, sizeof(w->addr));
	http_web_local(s, w->local, sizeof(w->local));
	w->tlsctx = tlsctx_ref(t);
	addr_count_add(w->addr, 1);
	w->starting = 1;
	hc = http_conn_new(s, t != NULL ? t->ctx : NULL, &lim,
	    &http_web_handler, w);
	w->starting = 0;
	if (hc == NULL || w->gone) {
		addr_count_add(w->addr, -1);
		tlsctx_unref(w->tlsctx);
		free(w);
		return;
	}
	log_debug("http connection from %s", addr);
}

/* Does the list (by commas or blanks) hold tok (any case, or exactly)? */
int
http_web_has(const char *list, const char *tok, int exact)
{
	size_t	 len = strlen(tok), n;

	while (*list != '\0') {
		list += strspn(list, " \t,");
		n = strcspn(list, " \t,");
		if (n == len && (exact ? strncmp(list, tok, len) :
		    strncasecmp(list, tok, len)) == 0)
			return (1);
		list += n;
	}
	return (0);
}

/*
 * May a page from origin use us?  list: the origins configured, "*"
 * for any; empty means any when empty_ok, else none.
 */
int
http_web_origin_ok(const char *list, const char *origin, int empty_ok)
{
	if (*list == '\0')
		return (empty_ok);
	return (http_web_has(list, "*", 1) || http_web_has(list, origin, 1));
}

/*
 * Access-Control-Allow-Origin, when the cors lines allow origin (the
 * request's, or NULL).
 */
int
http_web_cors(struct http_conn *hc, const char *origin)
{
	const char	*cors = stream_conf->global.web_cors;

	if (http_web_has(cors, "*", 1))
		return (http_response_header(hc,
		    "Access-Control-Allow-Origin", "*"));
	if (origin == NULL || !http_web_origin_ok(cors, origin, 0))
		return (0);
	if (http_response_header(hc, "Access-Control-Allow-Origin",
	    origin) == -1 || http_response_header(hc, "Vary", "Origin") == -1)
		return (-1);
	return (0);
}

static int
http_web_request(struct http_conn *hc, struct http_request *req)
{
	struct http_web	*w = http_conn_arg(hc);
	int		 r;

	if (http_hostmeta_path(req->path))
		return (http_hostmeta(hc, req, w->tlsctx != NULL));
	if (strcmp(req->path, WS_PATH) == 0) {
		if ((r = http_ws_request(hc, req, w->accept)) == 1)
			w->upgrade = 1;
		return (r == -1 ? -1 : 0);
	}
	if (strcmp(req->path, BOSH_PATH) == 0)
		return (http_bosh_request(hc, req, w->tlsctx != NULL,
		    w->local, w->addr, &w->bosh));
	return (http_error(hc, 404) == -1 ? -1 : 0);
}

static int
http_web_body(struct http_conn *hc, const void *data, size_t len)
{
	struct http_web	*w = http_conn_arg(hc);

	if (w->bosh == NULL)
		return (-1);
	return (http_bosh_body(w->bosh, data, len));
}

/* The request is read: an accepted upgrade leaves HTTP now. */
static int
http_web_done(struct http_conn *hc)
{
	struct http_web	*w = http_conn_arg(hc);

	if (w->bosh != NULL)
		return (http_bosh_done(w->bosh));
	if (!w->upgrade)
		return (-1);
	w->upgrade = 0;
	http_ws_upgrade(hc, w->addr, w->tlsctx, w->accept);
	return (0);
}

static void
http_web_closed(struct http_conn *hc)
{
	struct http_web	*w = http_conn_arg(hc);

	if (w->starting) {
		w->gone = 1;
		return;
	}
	if (w->bosh != NULL)
		http_bosh_closed(w->bosh);
	addr_count_add(w->addr, -1);
	tlsctx_unref(w->tlsctx);
	free(w);
}
