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
 * A stream process: accepts connections on the listening sockets the
 * parent passed, once the parent says the whole service is ready,
 * terminates TLS and XML streams (c2s.c), and hands stanzas to the
 * router.  It holds keys but no credentials: SASL goes to the process
 * that owns them.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>


#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "http_bosh.h"
#include "http_web.h"
#include "io.h"
#include "listener.h"
#include "log.h"
#include "proc.h"
#include "proxy.h"
#include "sandbox.h"
#include "stream.h"
#include "tlsctx.h"
#include "tlsverify.h"
#include "xml.h"
#include "xmppd.h"

#define STREAM_HANDSHAKE_TIMEOUT	30

RB_HEAD(conns, conn);

struct xmppd_config		*stream_conf;
static struct listeners		 listeners;
static struct conns		 conns = RB_INITIALIZER(&conns);
static struct tlsctx		*tls_starttls, *tls_direct;
static struct tlsctx		*tls_s2s, *tls_s2s_direct;
static struct tlsctx		*tls_http;
static struct tlsverify_ca	*stream_peer_ca;
static uint32_t			 next_id = 1;

static void	stream_deadline_cb(int, short, void *);
static void	stream_rate_resume(int, short, void *);
static double	stream_rate_of(struct conn *);

static int
conn_cmp(struct conn *a, struct conn *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}

RB_GENERATE_STATIC(conns, conn, node, conn_cmp);

struct conn *
conn_find(uint32_t id)
{
	struct conn	 key;

	key.id = id;
	return (RB_FIND(conns, &conns, &key));
}

/* Start the TLS handshake on c with the current context. */
int
stream_tls_accept(struct conn *c, int direct)
{
	struct tlsctx	*t = direct ? tls_direct : tls_starttls;

	if (t == NULL || c->tlsctx != NULL || io_accept_tls(c->io,
	    t->ctx) == -1)
		return (-1);
	c->tlsctx = tlsctx_ref(t);
	return (0);
}

/* The same for a server stream: the peer is asked for a certificate. */
int
stream_tls_peer(struct conn *c, int direct)
{
	struct tlsctx	*t = direct ? tls_s2s_direct : tls_s2s;

	if (t == NULL || c->tlsctx != NULL || io_accept_tls(c->io,
	    t->ctx) == -1)
		return (-1);
	c->tlsctx = tlsctx_ref(t);
	return (0);
}

/* The CAs peers' certificates must lead to ("tls ca"), or NULL. */
struct tlsverify_ca *
stream_ca(void)
{
	return (stream_peer_ca);
}

/* Connections in id order: the first after c (NULL: the first). */
struct conn *
conn_next(struct conn *c)
{
	return (c == NULL ? RB_MIN(conns, &conns) : RB_NEXT(conns, &conns, c));
}

/* Is a context there to start TLS with? */
int
stream_tls_ready(int direct)
{
	return ((direct ? tls_direct : tls_starttls) != NULL);
}

/* The process that runs SASL for a domain's accounts. */
struct imsgev *
stream_auth_owner(const char *domain)
{
	struct domain_conf	*d;

	if ((d = config_domain(stream_conf, domain)) == NULL)
		return (NULL);
	if (d->auth == AUTH_LDAP)
		return (proc_peer(PROC_LDAPAUTHD, 0));
	return (proc_peer(PROC_STORE, 0));
}

/*
 * Listeners whose protocol is not served here: a peer is told at once
 * by a closed connection rather than left waiting in the backlog.
 */
static void
stream_refuse(int fd, struct listener *l)
{
	int	 s;

	if ((s = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	log_info("connection on %s port %u closed: %s listeners are not "
	    "served yet", l->conf.addr, l->conf.port,
	    config_listen_kind(l->conf.kind));
	close(s);
}

/*
 * Serve s, from addr, as a listener of kind (client, component, server
 * or http) does; direct: TLS from the first byte.  s is closed when it
 * cannot be served.  The multiplexer comes here too.
 */
void
stream_serve(int s, int kind, const char *addr, int direct)
{
	struct conn	*c;

	if (kind == LISTEN_HTTP) {
		if (direct && tls_http == NULL) {
			log_warnx("http connection from %s closed: no TLS "
			    "keypair", addr);
			close(s);
		} else
			http_web_accept(s, addr, direct ? tls_http : NULL);
		return;
	}
	if (kind == LISTEN_SERVER && !s2s_in_room(addr,
	    stream_conf->global.limits.server_conn_per_addr)) {
		log_info("server connection from %s refused: too many from "
		    "there", addr);
		close(s);
		return;
	}
	if ((c = conn_add(s, kind, addr, kind == LISTEN_COMPONENT ? comp_io :
	    kind == LISTEN_SERVER ? s2s_io : c2s_io)) == NULL) {
		close(s);
		return;
	}
	c->direct_tls = direct;
	log_debug("connection %u from %s", c->id, addr);
	if (c->kind == LISTEN_COMPONENT)
		comp_start(c);
	else if (c->kind == LISTEN_SERVER)
		s2s_in_start(c);
	else
		c2s_start(c);
}

/* s from addr, on a listener like lc: served, or multiplexed. */
static void
stream_accepted(int s, const char *addr, const struct listen_conf *lc)
{
	if (lc->kind == LISTEN_MULTIPLEX)
		mux_start(s, addr);
	else
		stream_serve(s, lc->kind, addr, (lc->flags & LISTEN_TLS) != 0);
}

static void
stream_accept(int fd, short event, void *arg)
{
	struct listener		*l = arg;
	char			 addr[ADDR_STRLEN];
	int			 s;

	(void)event;
	if (l->conf.kind != LISTEN_CLIENT &&
	    l->conf.kind != LISTEN_COMPONENT &&
	    l->conf.kind != LISTEN_SERVER &&
	    l->conf.kind != LISTEN_MULTIPLEX && l->conf.kind != LISTEN_HTTP) {
		stream_refuse(fd, l);
		return;
	}
	if ((s = listener_accept(&listeners, fd, addr, sizeof(addr))) == -1)
		return;
	if (l->conf.nproxy > 0) {
		proxy_accept(s, addr, &l->conf, stream_accepted);
		return;
	}
	if (addr_count(addr) >=
	    stream_conf->global.limits.conn_per_addr) {
		log_info("connection from %s refused: too many from there",
		    addr);
		close(s);
		return;
	}
	stream_accepted(s, addr, &l->conf);
}

/* A connection's state, without its io yet; NULL out of memory. */
static struct conn *
conn_new(int kind, const char *addr)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	while (next_id == 0 || conn_find(next_id) != NULL)
		next_id++;
	c->id = next_id++;
	c->kind = kind;
	(void)strlcpy(c->addr, addr, sizeof(c->addr));
	c->since = time(NULL);
	c->tokens = stream_rate_of(c);
	clock_gettime(CLOCK_MONOTONIC, &c->last);
	evtimer_set(&c->deadline, stream_deadline_cb, c);
	evtimer_set(&c->ratev, stream_rate_resume, c);
	return (c);
}

static struct conn *
conn_insert(struct conn *c)
{
	RB_INSERT(conns, &conns, c);
	addr_count_add(c->addr, 1);
	return (c);
}

/*
 * A connection on socket s, accepted or (s2s) made; NULL out of memory,
 * s left open then.
 */
struct conn *
conn_add(int s, int kind, const char *addr,
    void (*cb)(struct io *, int, void *))
{
	struct conn	*c;

	if ((c = conn_new(kind, addr)) == NULL)
		return (NULL);
	if ((c->io = io_new(s, cb, c)) == NULL) {
		free(c);
		return (NULL);
	}
	return (conn_insert(c));
}

/*
 * A connection on an io that served another protocol first (a
 * WebSocket upgrade), or on none (a BOSH session, fed by requests);
 * NULL out of memory, io left as it was then.
 */
struct conn *
conn_add_io(struct io *io, int kind, const char *addr,
    void (*cb)(struct io *, int, void *))
{
	struct conn	*c;

	if ((c = conn_new(kind, addr)) == NULL)
		return (NULL);
	c->io = io;
	if (io != NULL)
		io_set_callback(io, cb, c);
	return (conn_insert(c));
}

/*
 * Elements in a server's or component's stream namespace ns cross to
 * the router as jabber:client.
 */
int
stream_ns_client(struct xml_node *n, const char *ns)
{
	struct xml_node	*k;
	char		*client;

	if (n->name == NULL)
		return (0);
	if (n->ns != NULL && strcmp(n->ns, ns) == 0) {
		if ((client = strdup(NS_CLIENT)) == NULL)
			return (-1);
		free(n->ns);
		n->ns = client;
	}
	TAILQ_FOREACH(k, &n->children, entry)
		if (stream_ns_client(k, ns) == -1)
			return (-1);
	return (0);
}

/*
 * The opening of c's stream in namespace ns, NUL-terminated, ending
 * with tail (the attributes after id, from and to, and '>'); free it.  The
 * header stays open, so it is no tree: its variable parts are escaped
 * one by one.
 */
char *
stream_header(const char *ns, struct conn *c, const char *tail)
{
	struct xml_buf	 b;

	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, "<?xml version='1.0'?><stream:stream "
	    "xmlns='") == -1 || xml_buf_addstr(&b, ns) == -1 ||
	    xml_buf_addstr(&b, "' xmlns:stream='" NS_STREAMS "' id='") ==
	    -1 || xml_buf_escape(&b, c->streamid, strlen(c->streamid), 1) ==
	    -1 || (c->domain[0] != '\0' && (xml_buf_addstr(&b,
	    "' from='") == -1 || xml_buf_escape(&b, c->domain,
	    strlen(c->domain), 1) == -1)) || (c->peer_from != NULL &&
	    (xml_buf_addstr(&b, "' to='") == -1 || xml_buf_escape(&b,
	    c->peer_from, strlen(c->peer_from), 1) == -1)) ||
	    xml_buf_addstr(&b, "'") == -1 ||
	    xml_buf_addstr(&b, tail) == -1 || xml_buf_add(&b, "", 1) == -1)
		fatal("%s", __func__);
	return (b.data);
}

static void
stream_deadline_cb(int fd, short event, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)event;
	if (c->kind == LISTEN_COMPONENT)
		comp_timeout(c);
	else if (c->kind == LISTEN_SERVER)
		s2s_timeout(c);
	else
		c2s_timeout(c);
}

/* Arm (seconds > 0) or clear the connection's deadline. */
void
conn_deadline(struct conn *c, int seconds)
{
	struct timeval	 tv;

	evtimer_del(&c->deadline);
	if (seconds <= 0)
		return;
	evtimer_set(&c->deadline, stream_deadline_cb, c);
	tv.tv_sec = seconds;
	tv.tv_usec = 0;
	evtimer_add(&c->deadline, &tv);
}

/* The authenticated localpart; "" before SASL success. */
const char *
conn_local(struct conn *c)
{
	return (c->local != NULL ? c->local : "");
}

/*
 * Why a client connection ends, for the line its session's end logs
 * (conn_close); the first reason given is the one.
 */
void
conn_end(struct conn *c, const char *why)
{
	if (c->end[0] == '\0')
		(void)strlcpy(c->end, why, sizeof(c->end));
}

/* The stream error condition the server ended the stream with. */
void
conn_end_error(struct conn *c, const char *cond)
{
	char	 why[sizeof(c->end)];

	if (strcmp(cond, "connection-timeout") == 0 ||
	    strcmp(cond, "conflict") == 0)
		conn_end(c, strcmp(cond, "conflict") == 0 ? "conflict" :
		    "timeout");
	else {
		(void)snprintf(why, sizeof(why), "stream error %s", cond);
		conn_end(c, why);
	}
}

/*
 * Both ends of a session are logged at the default level, for log
 * watchers: its start ("logged in"), and here its end with the reason.
 * The address comes first and the client's JID last, escaped, so that
 * no resource can move the rest.
 */
static void
conn_log_end(struct conn *c)
{
	const char	*why = c->end;
	char		 full[4 * CONF_JIDLEN], lost[256] = "";

	if (c->full == NULL || c->kind == LISTEN_SERVER ||
	    c->kind == LISTEN_COMPONENT)
		return;
	/* A BOSH session has no connection of its own. */
	if (*why == '\0' && c->io != NULL && *io_error(c->io) != '\0')
		(void)snprintf(lost, sizeof(lost), "connection lost: %s",
		    io_error(c->io));
	log_info("session from %s ended (%s%s%s): %s", c->addr,
	    *why != '\0' ? why : *lost != '\0' ? lost : "connection lost",
	    c->transport != &c2s_tcp ? ", " : "",
	    c->transport != &c2s_tcp ? c->transport->name : "",
	    log_sanitize(c->full, full, sizeof(full)));
}

void
conn_close(struct conn *c)
{
	conn_log_end(c);
	if (c->kind == LISTEN_COMPONENT)
		comp_free(c);
	else if (c->kind == LISTEN_SERVER)
		s2s_free(c);
	else
		c2s_free(c);
	if (c->transport != NULL && c->transport->free != NULL)
		c->transport->free(c);
	evtimer_del(&c->deadline);
	evtimer_del(&c->ratev);
	io_free(c->io);
	tlsctx_unref(c->tlsctx);
	RB_REMOVE(conns, &conns, c);
	addr_count_add(c->addr, -1);
	free(c->full);
	free(c->local);
	free(c);
}

/* Read again, unless over its rate or the router said to stop. */
static void
stream_read_again(struct conn *c)
{
	if (c->flow_stopped || evtimer_pending(&c->ratev, NULL))
		return;
	if (c->io != NULL)
		io_resume(c->io);
	else if (c->transport != NULL && c->transport->resume != NULL)
		c->transport->resume(c);
}

static void
stream_rate_resume(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	stream_read_again(arg);
}

/*
 * The router has many of this session's stanzas waiting for earlier
 * ones (router_order.c): stop reading (go 0) or go on (go 1).
 */
void
stream_flow(struct conn *c, int go)
{
	c->flow_stopped = !go;
	if (!go && c->io != NULL)
		io_pause(c->io);
	else
		stream_read_again(c);
}

/* Bytes a second a connection may send: "client rate", "component rate". */
static double
stream_rate_of(struct conn *c)
{
	if (c->kind == LISTEN_COMPONENT)
		return (stream_conf->global.limits.component_rate);
	if (c->kind == LISTEN_SERVER)
		return (stream_conf->global.limits.server_rate);
	return (stream_conf->global.limits.client_rate);
}

/*
 * Token bucket on what a peer sends: over its rate, reading pauses
 * until the bucket refills.  A peer is slowed, not disconnected.
 */
int
stream_rate(struct conn *c, size_t len)
{
	struct timespec	 now;
	struct timeval	 tv;
	double		 rate = stream_rate_of(c), dt;

	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (now.tv_sec - c->last.tv_sec) +
	    (now.tv_nsec - c->last.tv_nsec) / 1e9;
	c->last = now;
	c->tokens += dt * rate;
	if (c->tokens > rate)
		c->tokens = rate;
	c->tokens -= len;
	if (c->tokens >= 0)
		return (0);
	dt = -c->tokens / rate;
	tv.tv_sec = (time_t)dt;
	tv.tv_usec = (suseconds_t)((dt - tv.tv_sec) * 1e6);
	if (c->io != NULL)
		io_pause(c->io);
	/*
	 * Input already read goes on past the rate (the stanzas of one
	 * BOSH body): the pause set stands, and is never set again while
	 * pending, which would lose it and the input with it.
	 */
	if (evtimer_pending(&c->ratev, NULL))
		return (1);
	evtimer_set(&c->ratev, stream_rate_resume, c);
	evtimer_add(&c->ratev, &tv);
	return (1);
}

/* Every listener but uploadd's: those not served yet are refused. */
static int
stream_listens(const struct listen_conf *lc)
{
	return (lc->kind != LISTEN_UPLOAD);
}

/*
 * Every process of the service is ready (or this one, restarted, is):
 * connections that came meanwhile waited in the listen backlog.
 */
static void
stream_accept_start(void)
{
	if (listeners.started)
		return;
	log_debug("accepting connections");
	listeners_start(&listeners);
}

static void
stream_configure(struct xmppd_config *conf)
{
	stream_conf = conf;
	tlsctx_unref(tls_starttls);
	tlsctx_unref(tls_direct);
	tls_starttls = tlsctx_new(conf, NULL);
	tls_direct = tlsctx_new(conf, "xmpp-client");
	tlsctx_unref(tls_http);
	tls_http = tlsctx_new(conf, "http/1.1");
	tlsctx_unref(tls_s2s);
	tlsctx_unref(tls_s2s_direct);
	tls_s2s = tlsctx_new_peer(conf, NULL);
	tls_s2s_direct = tlsctx_new_peer(conf, "xmpp-server");
	tlsverify_ca_free(stream_peer_ca);
	stream_peer_ca = NULL;
	if (conf->cadata != NULL && (stream_peer_ca = tlsverify_ca_new(
	    conf->cadata, conf->calen)) == NULL)
		log_warnx("tls ca: no certificate read: peers' certificates "
		    "are not trusted");
	listeners_set(&listeners, conf, stream_listens, stream_accept);
}

static void
stream_config_commit(struct xmppd_config *old, struct xmppd_config *new)
{
	struct conn	*c, *next;

	(void)old;
	/* Established connections keep their TLS; new ones use the new. */
	stream_configure(new);
	RB_FOREACH_SAFE(c, conns, &conns, next)
		if (c->kind == LISTEN_COMPONENT)
			comp_reconfigure(c, new);
}

char	stream_caps[64];

static int
stream_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	size_t	 len = imsg_get_len(imsg);
	int	 r;

	if (imsg_get_type(imsg) == IMSG_CAPS) {
		if (iev->type != PROC_ROUTER || len == 0 ||
		    len > sizeof(stream_caps) ||
		    imsg_get_data(imsg, stream_caps, len) == -1 ||
		    stream_caps[len - 1] != '\0' ||
		    strspn(stream_caps, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
		    "klmnopqrstuvwxyz0123456789+/=") != len - 1)
			fatalx("%s: bad caps", __func__);
		return (0);
	}
	if ((r = comp_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = s2s_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = c2s_sm_dispatch(iev, imsg)) != 1)
		return (r);
	return (c2s_dispatch(iev, imsg));
}

static void
stream_peer_down(struct imsgev *iev)
{
	struct conn	*c, *next;

	/*
	 * ldapauthd went away with the logins it held (losing the router
	 * or the store ends the process: proc_peer_close).
	 */
	if (iev->type != PROC_LDAPAUTHD)
		return;
	RB_FOREACH_SAFE(c, conns, &conns, next)
		if (c->kind != LISTEN_SERVER && c->kind != LISTEN_COMPONENT)
			c2s_owner_down(c, iev->type);
}

void
stream_main(int instance)
{
	struct proc_self	*ps = &proc_self;

	proc_child_init(PROC_STREAM, instance);
	listeners_init(&listeners);
	/* TLS contexts are built before the sandbox: they need files. */
	stream_configure(ps->conf);
	/*
	 * inet: accepting on the listeners, and connecting to peer
	 * servers (outbound s2s); recvfd: peer links; sendfd: the
	 * multiplexer's connections for uploadd (stream_mux.c).
	 */
	sandbox("stdio inet recvfd sendfd");
	ps->dispatch = stream_dispatch;
	ps->peer_down = stream_peer_down;
	ps->config_commit = stream_config_commit;
	ps->accept = stream_accept_start;
	/* Web sessions answer the requests they hold before it exits. */
	ps->shutdown = http_bosh_shutdown;
	proc_child_run();
}
