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
 * uploadd's HTTP server: the listeners xmppd passed, accepting within
 * the connection limits (behind a proxy, from the client its PROXY
 * header names), TLS with the keypair the client names, and the
 * dispatch of each request to PUT (upload_put.c) or GET and HEAD
 * (upload_get.c).  URLs are URL/SLOT/NAME; nothing else is served.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "http.h"
#include "listener.h"
#include "log.h"
#include "proc.h"
#include "proxy.h"
#include "tlsctx.h"
#include "upload.h"
#include "upload_http.h"

static struct listeners		 listeners;
static struct tlsctx		*upload_tls;
static struct http_limits	 upload_limits;
static int			 upload_maxconn;

static int	upload_http_request(struct http_conn *, struct http_request *);
static int	upload_http_body(struct http_conn *, const void *, size_t);
static int	upload_http_done(struct http_conn *);
static int	upload_http_more(struct http_conn *);
static void	upload_http_closed(struct http_conn *);

static const struct http_handler upload_handler = {
	upload_http_request,
	upload_http_body,
	upload_http_done,
	upload_http_more,
	upload_http_closed,
};

/* The path part of a service's URL, without a trailing '/'. */
static size_t
upload_http_prefix(const char *url, const char **prefix)
{
	const char	*p;
	size_t		 len;

	if ((p = strstr(url, "://")) == NULL)
		p = url;
	else
		p += 3;
	if ((p = strchr(p, '/')) == NULL)
		p = "";
	len = strlen(p);
	while (len > 0 && p[len - 1] == '/')
		len--;
	*prefix = p;
	return (len);
}

/*
 * The slot a request's path names, checked against the database:
 * PREFIX/SLOT/NAME where SLOT is 32 lowercase hex digits, NAME decodes
 * to the slot's file name exactly, and the slot belongs to the service
 * of the listener.  The slot is the only part that names a file on
 * disk: no traversal can get past this.  0, or an HTTP status.
 */
int
upload_http_target(struct upload_conn *uc, struct http_request *req,
    struct upload_file *f)
{
	struct upload_conf	*u;
	const char		*prefix, *p;
	char			 slot[UPLOAD_SLOT_LEN + 1];
	char			 name[UPLOAD_NAME_MAX + 1];
	size_t			 plen;
	int			 rc;

	if ((u = upload_service(uc->service)) == NULL)
		return (404);
	plen = upload_http_prefix(u->url, &prefix);
	p = req->path;
	if (strncmp(p, prefix, plen) != 0 || p[plen] != '/')
		return (404);
	p += plen + 1;
	if (strlen(p) < UPLOAD_SLOT_LEN + 2 || p[UPLOAD_SLOT_LEN] != '/')
		return (404);
	memcpy(slot, p, UPLOAD_SLOT_LEN);
	slot[UPLOAD_SLOT_LEN] = '\0';
	p += UPLOAD_SLOT_LEN + 1;
	if (!upload_slot_valid(slot) || strchr(p, '/') != NULL ||
	    http_pct_decode(p, strlen(p), name, sizeof(name)) == -1)
		return (404);
	if ((rc = upload_db_get(slot, f)) == -1)
		return (500);
	if (rc == 1 || strcmp(f->service, uc->service) != 0 ||
	    strcmp(f->name, name) != 0)
		return (404);
	return (0);
}

/*
 * The request's Origin, when the service lets that origin's scripts
 * use it: "*" for any, or the origin itself.
 */
void
upload_http_origin(struct upload_conn *uc, struct http_request *req)
{
	struct upload_conf	*u;
	const char		*origin, *p;
	size_t			 len, n;

	uc->origin[0] = '\0';
	if ((u = upload_service(uc->service)) == NULL ||
	    (origin = http_header(req, "Origin")) == NULL)
		return;
	len = strlen(origin);
	for (p = u->cors; *p != '\0'; p += n + strspn(p + n, " ")) {
		n = strcspn(p, " ");
		if ((n == 1 && *p == '*') || (n == len &&
		    strncmp(p, origin, n) == 0)) {
			(void)strlcpy(uc->origin, n == 1 && *p == '*' ? "*" :
			    origin, sizeof(uc->origin));
			return;
		}
	}
}

/* Access-Control-Allow-Origin, with Vary: Origin for a named one. */
int
upload_http_cors(struct upload_conn *uc)
{
	if (uc->origin[0] == '\0')
		return (0);
	if (http_response_header(uc->http, "Access-Control-Allow-Origin",
	    uc->origin) == -1 ||
	    http_response_header(uc->http, "Access-Control-Expose-Headers",
	    "Content-Length, Content-Range, ETag, Last-Modified") == -1)
		return (-1);
	if (strcmp(uc->origin, "*") == 0)
		return (0);
	return (http_response_header(uc->http, "Vary", "Origin"));
}

/*
 * A refusal, logged with the peer's address.  The connection is
 * closed after it: a request refused before its body leaves unread
 * bytes that must never be taken for the next request.
 */
int
upload_http_refuse(struct upload_conn *uc, int status, const char *why)
{
	log_info("%s %s: %d, %s", uc->addr, uc->method == HTTP_M_PUT ?
	    "PUT" : "GET", status, why);
	uc->answered = 1;
	if (http_error(uc->http, status) == -1)
		return (-1);
	http_response_close(uc->http);
	return (0);
}

static int
upload_http_request(struct http_conn *hc, struct http_request *req)
{
	struct upload_conn	*uc = http_conn_arg(hc);

	uc->method = req->method;
	uc->answered = 0;
	upload_http_origin(uc, req);
	switch (req->method) {
	case HTTP_M_PUT:
		return (upload_put_request(uc, req));
	case HTTP_M_GET:
	case HTTP_M_HEAD:
		return (upload_get_request(uc, req));
	case HTTP_M_OPTIONS:
		return (upload_get_options(uc, req));
	default:
		log_info("%s: method %d refused", uc->addr, req->method);
		uc->answered = 1;
		if (http_response_begin(hc, 405, NULL) == -1 ||
		    http_response_header(hc, "Allow",
		    "GET, HEAD, PUT, OPTIONS") == -1 ||
		    http_response_body(hc, NULL, 0) == -1)
			return (-1);
		http_response_close(hc);
		return (0);
	}
}

static int
upload_http_body(struct http_conn *hc, const void *p, size_t len)
{
	struct upload_conn	*uc = http_conn_arg(hc);

	if (uc->answered || uc->method != HTTP_M_PUT)
		return (-1);
	return (upload_put_body(uc, p, len));
}

static int
upload_http_done(struct http_conn *hc)
{
	struct upload_conn	*uc = http_conn_arg(hc);

	if (uc->answered)
		return (0);
	if (uc->method == HTTP_M_PUT)
		return (upload_put_done(uc));
	return (upload_get_more(uc));
}

static int
upload_http_more(struct http_conn *hc)
{
	struct upload_conn	*uc = http_conn_arg(hc);

	if (uc->method == HTTP_M_PUT)
		return (0);
	return (upload_get_more(uc));
}

static void
upload_http_closed(struct http_conn *hc)
{
	struct upload_conn	*uc = http_conn_arg(hc);

	/* Not yet set: http_conn_new() failed, its caller frees uc. */
	if (uc->http == NULL)
		return;
	upload_put_closed(uc);
	upload_get_closed(uc);
	addr_count_add(uc->addr, -1);
	tlsctx_unref(uc->tls);
	free(uc);
}

/*
 * Serve s, a connection from addr for service, over TLS when tls is
 * set; s is closed when it cannot be.  Connections from a listener of
 * uploadd's and those a multiplexer passed come here.
 */
void
upload_http_serve(int s, const char *addr, const char *service, int tls)
{
	struct upload_conn	*uc;

	if (http_conn_count() >= upload_maxconn ||
	    addr_count(addr) >= proc_self.conf->global.limits.conn_per_addr) {
		log_info("connection from %s refused: too many %s", addr,
		    http_conn_count() >= upload_maxconn ? "connections" :
		    "from there");
		close(s);
		return;
	}
	if (tls && upload_tls == NULL) {
		log_warnx("connection from %s refused: no keypair", addr);
		close(s);
		return;
	}
	if ((uc = calloc(1, sizeof(*uc))) == NULL) {
		close(s);
		return;
	}
	uc->fd = -1;
	(void)strlcpy(uc->addr, addr, sizeof(uc->addr));
	(void)strlcpy(uc->service, service, sizeof(uc->service));
	if (tls)
		uc->tls = tlsctx_ref(upload_tls);
	addr_count_add(addr, 1);
	if ((uc->http = http_conn_new(s, uc->tls != NULL ? uc->tls->ctx :
	    NULL, &upload_limits, &upload_handler, uc)) == NULL) {
		/* s is closed; closed() ran or not, uc is still to free. */
		log_warnx("connection from %s not served", addr);
		addr_count_add(addr, -1);
		tlsctx_unref(uc->tls);
		free(uc);
		return;
	}
	log_debug("connection from %s for %s", addr, service);
}

/* s from addr, on a listener like lc. */
static void
upload_http_accepted(int s, const char *addr, const struct listen_conf *lc)
{
	upload_http_serve(s, addr, lc->owner, (lc->flags & LISTEN_TLS) != 0);
}

/* Behind a proxy, the PROXY header is read first (proxy.c). */
static void
upload_http_accept(int fd, short event, void *arg)
{
	struct listener		*l = arg;
	char			 addr[ADDR_STRLEN];
	int			 s;

	(void)event;
	if ((s = listener_accept(&listeners, fd, addr, sizeof(addr))) == -1)
		return;
	if (l->conf.nproxy > 0)
		proxy_accept(s, addr, &l->conf, upload_http_accepted);
	else
		upload_http_accepted(s, addr, &l->conf);
}

static int
upload_http_listens(const struct listen_conf *lc)
{
	return (lc->kind == LISTEN_UPLOAD);
}

/* The http limits of the limits block, for new connections. */
static void
upload_http_limits(struct xmppd_config *conf)
{
	struct limits_conf	*l = &conf->global.limits;

	upload_limits.header_max = l->http_header_size;
	upload_limits.header_timeout = l->http_header_timeout;
	upload_limits.idle_timeout = l->http_idle_timeout;
	upload_limits.body_rate = l->http_body_rate;
	upload_maxconn = l->http_connections;
}

/*
 * The configuration, at start and on reload: the listeners it passed
 * replace the old ones, a new TLS context serves new connections (those
 * open keep theirs), the new limits apply to new connections.
 */
void
upload_http_configure(struct xmppd_config *conf)
{
	struct listener	*l;

	if (!evtimer_initialized(&listeners.pause)) {
		listeners_init(&listeners);
		listeners_start(&listeners);
	}
	tlsctx_unref(upload_tls);
	upload_tls = tlsctx_new(conf, "http/1.1");
	upload_http_limits(conf);
	listeners_set(&listeners, conf, upload_http_listens, upload_http_accept);
	TAILQ_FOREACH(l, &listeners.list, entry)
		log_debug("listening on %s port %u%s%s for %s", l->conf.addr,
		    l->conf.port, l->conf.flags & LISTEN_TLS ? " tls" : "",
		    l->conf.nproxy > 0 ? " behind a proxy" : "", l->conf.owner);
}
