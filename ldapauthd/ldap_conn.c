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
 * Connections to the directory, driven by libevent: names resolved
 * with evdns (its nameservers and /etc/hosts read before the chroot,
 * so neither glibc's resolver nor NSS is needed inside it), TCP
 * connects without blocking, TLS with libtls verified against the
 * configured CA, and libldap encoding and decoding the protocol over
 * an I/O layer of ours.  libldap never opens a socket, never does TLS
 * and never chases a referral: one slow server stalls nothing but its
 * own requests, each bounded by "timeout".
 *
 * Servers are tried in their order; a connection that fails moves to
 * the next address, then the next server.  When every server failed,
 * waiting requests fail at once and a timer retries in the background
 * with a backoff, so that logins work again as soon as a server is.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <event.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <lber.h>
#include <ldap.h>
#include <openldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "ldapauthd.h"
#include "log.h"
#include "proc.h"

#define LDAP_USER_CONNS		4	/* user binds in parallel */
#define LDAP_RETRY_MIN		1	/* seconds */
#define LDAP_RETRY_MAX		30
#define LDAP_PAGE_SIZE		250	/* entries per page */
#define LDAP_RBUF		(16 * 1024 + 512)	/* a TLS record */

enum lconn_state {
	LC_CLOSED,
	LC_RESOLVING,
	LC_CONNECTING,
	LC_TLS,			/* handshake */
	LC_STARTTLS,		/* the extended operation sent */
	LC_BINDING,		/* as the service DN */
	LC_READY,
};

struct lconn {
	TAILQ_ENTRY(lconn)	 entry;
	struct ldap_dir		*dir;
	int			 service;
	int			 state;
	int			 srv;		/* index in dir->srv */
	struct evutil_addrinfo	*ai, *next_ai;
	struct evdns_getaddrinfo_request *dnsreq;
	int			 fd;
	struct tls		*tls;
	int			 tls_on;	/* the I/O layer uses tls */
	int			 want_write;
	LDAP			*ld;
	int			 setup_msgid;
	struct event		 ev;
	struct event		 tmo;
	struct lop_list		 ops;		/* sent, not answered */
	uint64_t		 gen;		/* changes when closed */
	uint8_t			 rbuf[LDAP_RBUF];
	size_t			 rpos, rlen;
};

struct lop {
	TAILQ_ENTRY(lop)	 entry;
	struct ldap_dir		*dir;
	struct lop_list		*list;		/* the one it is on */
	struct lconn		*conn;		/* once sent */
	int			 srv;		/* sent to, or -1 */
	int			 bind;		/* else a search */
	int			 msgid;
	char			*filter;
	char			**attrs;
	int			 sizelimit;
	struct berval		 cookie;	/* paged search: NULL bv_val,
						   or the server's cookie */
	int			 paged;
	char			*dn;
	char			*pw;
	size_t			 pwlen;
	lop_entry_cb		 entry_cb;
	lop_done_cb		 done_cb;
	void			*arg;
	struct event		 tmo;
};

static struct evdns_base	*dns;

static void	conn_start(struct lconn *);
static void	conn_next_server(struct lconn *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	conn_lost(struct lconn *, const char *);
static void	conn_close(struct lconn *);
static void	conn_setup_step(struct lconn *);
static void	conn_authenticate(struct lconn *);
static void	conn_event(int, short, void *);
static void	conn_ready(struct lconn *);
static void	conn_set_event(struct lconn *, short, int);
static void	op_done(struct lop *, int, int, struct berval *);
static void	op_send(struct lconn *, struct lop *);
static void	dir_want(struct ldap_dir *, int);

/*
 * Before the chroot: libldap reads no ldap.conf or environment (the
 * directory is what xmppd.conf says, nothing else), is initialised here
 * while its libraries can still be loaded, and evdns reads
 * /etc/resolv.conf and /etc/hosts.
 */
void
conn_init(void)
{
	int	 v = LDAP_VERSION3;

	if (setenv("LDAPNOINIT", "1", 1) == -1)
		fatal("setenv");
	if (ldap_set_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &v) !=
	    LDAP_OPT_SUCCESS)
		fatalx("ldap_set_option");
	if ((dns = evdns_base_new(proc_self.evbase,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL)
		fatalx("evdns_base_new");
	if (evdns_base_load_hosts(dns, "/etc/hosts") != 0)
		log_warnx("cannot read /etc/hosts");
	/* A dead nameserver costs seconds, not the default quarter minute. */
	if (evdns_base_set_option(dns, "timeout:", "2") != 0 ||
	    evdns_base_set_option(dns, "attempts:", "2") != 0)
		log_warnx("cannot set the resolver's timeouts");
	if (tls_init() == -1)
		fatalx("tls_init");
}

static double
ts_since(const struct timespec *ts)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - ts->tv_sec) +
	    (now.tv_nsec - ts->tv_nsec) / 1e9);
}

/*
 * The I/O layer under libldap.  Plain, it reads and writes the socket;
 * after a TLS handshake it goes through libtls, reading a whole record
 * at a time so that nothing waits inside the TLS library while the
 * socket looks idle: what is buffered here is "data ready".
 */
static int
sb_setup(Sockbuf_IO_Desc *sbiod, void *arg)
{
	sbiod->sbiod_pvt = arg;
	return (0);
}

static int
sb_remove(Sockbuf_IO_Desc *sbiod)
{
	(void)sbiod;
	return (0);
}

static int
sb_ctrl(Sockbuf_IO_Desc *sbiod, int opt, void *arg)
{
	struct lconn	*c = sbiod->sbiod_pvt;

	(void)arg;
	if (opt == LBER_SB_OPT_DATA_READY)
		return (c->rpos < c->rlen);
	return (0);
}

static ber_slen_t
sb_read(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
	struct lconn	*c = sbiod->sbiod_pvt;
	ssize_t		 n;

	if (!c->tls_on)
		return (read(c->fd, buf, len));
	if (c->rpos == c->rlen) {
		n = tls_read(c->tls, c->rbuf, sizeof(c->rbuf));
		if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
			errno = EWOULDBLOCK;
			return (-1);
		}
		if (n < 0) {
			errno = EIO;
			return (-1);
		}
		if (n == 0)
			return (0);
		c->rpos = 0;
		c->rlen = n;
	}
	n = c->rlen - c->rpos;
	if ((size_t)n > len)
		n = len;
	memcpy(buf, c->rbuf + c->rpos, n);
	c->rpos += n;
	return (n);
}

static ber_slen_t
sb_write(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
	struct lconn	*c = sbiod->sbiod_pvt;
	ssize_t		 n;

	if (!c->tls_on) {
		if ((n = write(c->fd, buf, len)) == -1 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK))
			c->want_write = 1;
		return (n);
	}
	n = tls_write(c->tls, buf, len);
	if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
		c->want_write = 1;
		errno = EWOULDBLOCK;
		return (-1);
	}
	if (n < 0) {
		errno = EIO;
		return (-1);
	}
	return (n);
}

static int
sb_close(Sockbuf_IO_Desc *sbiod)
{
	(void)sbiod;
	return (0);
}

static Sockbuf_IO conn_sbio = {
	sb_setup, sb_remove, sb_ctrl, sb_read, sb_write, sb_close
};

/* Servers, the CA and the credentials: what a connection depends on. */
static int
dir_conn_params_differ(struct ldap_conf *a, struct ldap_conf *b)
{
	struct ldap_server_conf	*sa, *sb;

	if (strcmp(a->binddn, b->binddn) != 0 ||
	    strcmp(a->bindpw, b->bindpw) != 0 || a->calen != b->calen ||
	    (a->calen && memcmp(a->cadata, b->cadata, a->calen) != 0))
		return (1);
	sb = TAILQ_FIRST(&b->servers);
	TAILQ_FOREACH(sa, &a->servers, entry) {
		if (sb == NULL || strcmp(sa->url, sb->url) != 0 ||
		    sa->starttls != sb->starttls)
			return (1);
		sb = TAILQ_NEXT(sb, entry);
	}
	return (sb != NULL);
}

static struct lconn *
conn_new(struct ldap_dir *d, int service)
{
	struct lconn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	c->dir = d;
	c->service = service;
	c->fd = -1;
	TAILQ_INIT(&c->ops);
	evtimer_set(&c->tmo, conn_event, c);
	return (c);
}

/* (Re)build what depends on the configuration.  -1: it is unusable. */
int
dir_reconf(struct ldap_dir *d, struct ldap_conf *l)
{
	struct ldap_server_conf	*s;
	struct lconn		*c;
	int			 i, n = 0, changed;

	changed = d->conf == NULL || dir_conn_params_differ(d->conf, l);
	d->conf = l;
	if (ldapfilter_attr(l->filter, d->userattr, sizeof(d->userattr))
	    == -1) {
		log_warnx("ldap \"%s\": bad filter", l->name);
		return (-1);
	}
	if (!changed)
		return (0);
	/* New servers or credentials: what is open speaks for the old. */
	if (d->svc != NULL)
		conn_lost(d->svc, "configuration changed");
	TAILQ_FOREACH(c, &d->users, entry)
		conn_lost(c, "configuration changed");
	TAILQ_FOREACH(s, &l->servers, entry)
		n++;
	free(d->srv);
	if ((d->srv = calloc(n, sizeof(*d->srv))) == NULL)
		fatal("%s", __func__);
	d->nsrv = n;
	i = 0;
	TAILQ_FOREACH(s, &l->servers, entry) {
		(void)strlcpy(d->srv[i].url, s->url, sizeof(d->srv[i].url));
		d->srv[i].starttls = s->starttls;
		if (ldapurl_parse(s->url, &d->srv[i].u) == -1) {
			log_warnx("ldap \"%s\": bad url %s", l->name, s->url);
			return (-1);
		}
		i++;
	}
	if (d->tls == NULL && (d->tls = tls_config_new()) == NULL)
		fatalx("tls_config_new");
	if (l->cadata == NULL || tls_config_set_ca_mem(d->tls, l->cadata,
	    l->calen) == -1) {
		log_warnx("ldap \"%s\": no CA certificates", l->name);
		return (-1);
	}
	d->failed.tv_sec = 0;
	d->backoff = 0;
	return (0);
}

static void dir_retry(int, short, void *);

struct ldap_dir *
dir_new(struct ldap_conf *l)
{
	struct ldap_dir	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&d->users);
	TAILQ_INIT(&d->wsearch);
	TAILQ_INIT(&d->wbind);
	d->svc = conn_new(d, 1);
	evtimer_set(&d->retry, dir_retry, d);
	if (dir_reconf(d, l) == -1)
		log_warnx("ldap \"%s\": logins will fail", l->name);
	return (d);
}

static void
lop_list_fail(struct lop_list *list)
{
	struct lop	*op;

	while ((op = TAILQ_FIRST(list)) != NULL)
		op_done(op, LOP_UNAVAILABLE, LDAP_UNAVAILABLE, NULL);
}

/* Everything in flight fails, with its callback, then d is gone. */
void
dir_free(struct ldap_dir *d)
{
	struct lconn	*c;

	d->dying = 1;
	lop_list_fail(&d->wsearch);
	lop_list_fail(&d->wbind);
	conn_lost(d->svc, "shutting down");
	free(d->svc);
	while ((c = TAILQ_FIRST(&d->users)) != NULL) {
		TAILQ_REMOVE(&d->users, c, entry);
		conn_lost(c, "shutting down");
		free(c);
	}
	evtimer_del(&d->retry);
	evtimer_del(&d->refresh);
	tls_config_free(d->tls);
	free(d->srv);
	free(d->members);
	free(d->cookie.bv_val);
	free(d);
}

/* Is some connection up, and to which server (for show ldap)? */
int
dir_connected(struct ldap_dir *d, int srv)
{
	struct lconn	*c;

	if (d->svc->state == LC_READY && d->svc->srv == srv)
		return (1);
	TAILQ_FOREACH(c, &d->users, entry)
		if (c->state == LC_READY && c->srv == srv)
			return (1);
	return (0);
}

/* Wait for what on the socket; arm the setup timeout, keep or stop it. */
#define TMO_STOP	-1
#define TMO_KEEP	0
#define TMO_ARM		1
static void
conn_set_event(struct lconn *c, short what, int tmo)
{
	struct timeval	 tv;

	if (event_initialized(&c->ev))
		event_del(&c->ev);
	event_set(&c->ev, c->fd, what, conn_event, c);
	event_add(&c->ev, NULL);
	if (tmo == TMO_ARM) {
		tv.tv_sec = c->dir->conf->timeout;
		tv.tv_usec = 0;
		evtimer_add(&c->tmo, &tv);
	} else if (tmo == TMO_STOP)
		evtimer_del(&c->tmo);
}

/* Close the socket and all that rides on it. */
static void
conn_drop(struct lconn *c)
{
	if (event_initialized(&c->ev))
		event_del(&c->ev);
	evtimer_del(&c->tmo);
	if (c->ld != NULL) {
		/* An unbind would be written to a socket we give up on. */
		ldap_destroy(c->ld);
		c->ld = NULL;
	}
	if (c->tls != NULL) {
		tls_free(c->tls);
		c->tls = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	c->tls_on = 0;
	c->want_write = 0;
	c->rpos = c->rlen = 0;
	c->gen++;
}

/* Forget the connection, not the requests that wait for one. */
static void
conn_close(struct lconn *c)
{
	if (c->dnsreq != NULL) {
		evdns_getaddrinfo_cancel(c->dnsreq);
		c->dnsreq = NULL;
	}
	if (c->ai != NULL) {
		evutil_freeaddrinfo(c->ai);
		c->ai = c->next_ai = NULL;
	}
	conn_drop(c);
	c->state = LC_CLOSED;
}

static void
srv_error(struct ldap_srv *s, const char *msg)
{
	(void)strlcpy(s->error, msg, sizeof(s->error));
	s->error_time = time(NULL);
}

/* An open connection broke: its requests fail, waiting ones go on. */
static void
conn_lost(struct lconn *c, const char *why)
{
	struct ldap_dir	*d = c->dir;
	struct lop_list	 ops;
	struct lop	*op;

	if (c->state == LC_CLOSED)
		return;
	if (c->state == LC_READY) {
		log_warnx("ldap \"%s\": %s: %s", d->conf->name,
		    d->srv[c->srv].url, why);
		srv_error(&d->srv[c->srv], why);
	}
	TAILQ_INIT(&ops);
	TAILQ_CONCAT(&ops, &c->ops, entry);
	conn_close(c);
	TAILQ_FOREACH(op, &ops, entry) {
		op->list = &ops;
		op->conn = NULL;
	}
	lop_list_fail(&ops);
	if (!c->service)
		dir_want(d, 0);
}

/* Every server failed: fail who waits, and retry in the background. */
static void
conn_give_up(struct lconn *c)
{
	struct ldap_dir	*d = c->dir;
	struct timeval	 tv;

	conn_close(c);
	if (d->dying)
		return;
	clock_gettime(CLOCK_MONOTONIC, &d->failed);
	if (c->service) {
		lop_list_fail(&d->wsearch);
		d->backoff = d->backoff ? d->backoff * 2 : LDAP_RETRY_MIN;
		if (d->backoff > LDAP_RETRY_MAX)
			d->backoff = LDAP_RETRY_MAX;
		tv.tv_sec = d->backoff;
		tv.tv_usec = 0;
		evtimer_add(&d->retry, &tv);
	} else
		lop_list_fail(&d->wbind);
}

static void
dir_retry(int fd, short ev, void *arg)
{
	struct ldap_dir	*d = arg;

	(void)fd;
	(void)ev;
	if (d->svc->state == LC_CLOSED)
		conn_start(d->svc);
}

static void
conn_resolved(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct lconn	*c = arg;

	if (result == EVUTIL_EAI_CANCEL)
		return;
	c->dnsreq = NULL;
	if (result != 0) {
		conn_next_server(c, "cannot resolve %s: %s",
		    c->dir->srv[c->srv].u.host, evutil_gai_strerror(result));
		return;
	}
	c->ai = c->next_ai = ai;
	c->state = LC_CONNECTING;
	conn_setup_step(c);
}

/* Try server c->srv, from its first address. */
static void
conn_try_server(struct lconn *c)
{
	struct evutil_addrinfo			 hints;
	struct evdns_getaddrinfo_request	*req;
	struct ldap_srv				*s = &c->dir->srv[c->srv];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	c->state = LC_RESOLVING;
	req = evdns_getaddrinfo(dns, s->u.host, s->u.port, &hints,
	    conn_resolved, c);
	if (req != NULL)	/* else it was answered already */
		c->dnsreq = req;
}

static void
conn_start(struct lconn *c)
{
	if (c->state != LC_CLOSED || c->dir->nsrv == 0)
		return;
	c->srv = 0;
	conn_try_server(c);
}

static void
conn_next_server(struct lconn *c, const char *fmt, ...)
{
	struct ldap_dir	*d = c->dir;
	char		 msg[256];
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("ldap \"%s\": %s: %s", d->conf->name, d->srv[c->srv].url,
	    msg);
	srv_error(&d->srv[c->srv], msg);
	conn_close(c);
	if (++c->srv >= d->nsrv) {
		conn_give_up(c);
		return;
	}
	conn_try_server(c);
}

/* The next address of the server, or the next server. */
static void
conn_next_addr(struct lconn *c, const char *fmt, ...)
{
	char		 msg[256];
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conn_drop(c);
	if (c->next_ai == NULL) {
		conn_next_server(c, "%s", msg);
		return;
	}
	log_debug("ldap \"%s\": %s: %s, trying the next address",
	    c->dir->conf->name, c->dir->srv[c->srv].url, msg);
	c->state = LC_CONNECTING;
	conn_setup_step(c);
}

/* libldap takes the connected socket, with our I/O layer. */
static int
conn_ldap_init(struct lconn *c)
{
	struct ldap_srv	*s = &c->dir->srv[c->srv];
	Sockbuf		*sb;
	char		 url[CONF_STRLEN];
	int		 v = LDAP_VERSION3;

	(void)snprintf(url, sizeof(url), "ldap://%s:%s", s->u.host,
	    s->u.port);
	if (ldap_init_fd(c->fd, LDAP_PROTO_EXT, url, &c->ld) != LDAP_SUCCESS)
		return (-1);
	if (ldap_get_option(c->ld, LDAP_OPT_SOCKBUF, &sb) !=
	    LDAP_OPT_SUCCESS ||
	    ber_sockbuf_add_io(sb, &conn_sbio, LBER_SBIOD_LEVEL_PROVIDER,
	    c) != 0 ||
	    ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_NONBLOCK, (void *)1) == -1 ||
	    ldap_set_option(c->ld, LDAP_OPT_PROTOCOL_VERSION, &v) !=
	    LDAP_OPT_SUCCESS ||
	    ldap_set_option(c->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) !=
	    LDAP_OPT_SUCCESS)
		return (-1);
	return (0);
}

/*
 * One step of setting a connection up, each waiting on an event with
 * the timeout: connect, TLS handshake (ldaps:// at once, ldap:// after
 * StartTLS), the service bind.
 */
static void
conn_setup_step(struct lconn *c)
{
	struct ldap_dir		*d = c->dir;
	struct ldap_srv		*s = &d->srv[c->srv];
	struct evutil_addrinfo	*ai;
	int			 r;

	switch (c->state) {
	case LC_CONNECTING:
		ai = c->next_ai;
		c->next_ai = ai->ai_next;
		if ((c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			conn_next_addr(c, "socket: %s", strerror(errno));
			return;
		}
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
		    errno != EINPROGRESS) {
			conn_next_addr(c, "connect: %s", strerror(errno));
			return;
		}
		conn_set_event(c, EV_WRITE, TMO_ARM);
		return;
	case LC_TLS:
		if (c->tls == NULL) {
			if ((c->tls = tls_client()) == NULL ||
			    tls_configure(c->tls, d->tls) == -1 ||
			    tls_connect_socket(c->tls, c->fd, s->u.host) == -1) {
				conn_next_addr(c, "TLS: %s", c->tls ?
				    tls_error(c->tls) : "tls_client");
				return;
			}
		}
		r = tls_handshake(c->tls);
		if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT) {
			/* One timeout for the whole handshake. */
			conn_set_event(c, r == TLS_WANT_POLLIN ? EV_READ :
			    EV_WRITE, evtimer_pending(&c->tmo, NULL) ?
			    TMO_KEEP : TMO_ARM);
			return;
		}
		if (r == -1) {
			conn_next_addr(c, "TLS: %s", tls_error(c->tls));
			return;
		}
		c->tls_on = 1;
		if (c->ld == NULL && conn_ldap_init(c) == -1) {
			conn_next_addr(c, "cannot set up libldap");
			return;
		}
		conn_authenticate(c);
		return;
	default:
		fatalx("%s: state %d", __func__, c->state);
	}
}

/* TLS is up (or the server is a plain loopback one): bind, if service. */
static void
conn_authenticate(struct lconn *c)
{
	struct ldap_dir		*d = c->dir;
	struct berval		 cred;

	if (c->service && d->conf->binddn[0] != '\0') {
		cred.bv_val = d->conf->bindpw;
		cred.bv_len = strlen(d->conf->bindpw);
		if (ldap_sasl_bind(c->ld, d->conf->binddn, LDAP_SASL_SIMPLE,
		    &cred, NULL, NULL, &c->setup_msgid) != LDAP_SUCCESS) {
			conn_next_addr(c, "cannot send the service bind");
			return;
		}
		c->state = LC_BINDING;
		conn_set_event(c, EV_READ | EV_PERSIST, TMO_ARM);
		return;
	}
	conn_ready(c);
}

/* The TCP connection is up: TLS now, or StartTLS first. */
static void
conn_connected(struct lconn *c)
{
	struct ldap_srv	*s = &c->dir->srv[c->srv];
	int		 err = 0;
	socklen_t	 len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		conn_next_addr(c, "connect: %s", strerror(err));
		return;
	}
	evtimer_del(&c->tmo);
	if (s->u.tls == LDAPURL_TLS) {
		c->state = LC_TLS;
		conn_setup_step(c);
		return;
	}
	if (conn_ldap_init(c) == -1) {
		conn_next_addr(c, "cannot set up libldap");
		return;
	}
	if (!s->starttls) {		/* loopback only, says parse.y */
		conn_authenticate(c);
		return;
	}
	if (ldap_extended_operation(c->ld, LDAP_EXOP_START_TLS, NULL, NULL,
	    NULL, &c->setup_msgid) != LDAP_SUCCESS) {
		conn_next_addr(c, "cannot send StartTLS");
		return;
	}
	c->state = LC_STARTTLS;
	conn_set_event(c, EV_READ | EV_PERSIST, TMO_ARM);
}

static void
conn_ready(struct lconn *c)
{
	struct ldap_dir	*d = c->dir;

	c->state = LC_READY;
	conn_set_event(c, EV_READ | EV_PERSIST, TMO_STOP);
	if (c->ai != NULL) {
		evutil_freeaddrinfo(c->ai);
		c->ai = c->next_ai = NULL;
	}
	d->srv[c->srv].error[0] = '\0';
	d->failed.tv_sec = 0;
	if (c->service) {
		d->backoff = 0;
		evtimer_del(&d->retry);
		log_debug("ldap \"%s\": connected to %s", d->conf->name,
		    d->srv[c->srv].url);
	}
	dir_want(d, c->service);
}

/* The answer to StartTLS or to the service bind. */
static void
conn_setup_result(struct lconn *c, LDAPMessage *msg)
{
	char	*text = NULL;
	int	 rc;

	if (ldap_parse_result(c->ld, msg, &rc, NULL, &text, NULL, NULL, 0) !=
	    LDAP_SUCCESS)
		rc = LDAP_DECODING_ERROR;
	if (rc != LDAP_SUCCESS) {
		conn_next_addr(c, "%s: %s%s%s", c->state == LC_STARTTLS ?
		    "StartTLS" : "service bind", ldap_err2string(rc),
		    text && *text ? ": " : "", text ? text : "");
		ldap_memfree(text);
		return;
	}
	ldap_memfree(text);
	if (c->state == LC_STARTTLS) {
		/* From here on the socket is TLS's until the handshake ends. */
		event_del(&c->ev);
		c->state = LC_TLS;
		conn_setup_step(c);
		return;
	}
	conn_ready(c);
}

static struct lop *
conn_find_op(struct lconn *c, int msgid)
{
	struct lop	*op;

	TAILQ_FOREACH(op, &c->ops, entry)
		if (op->msgid == msgid)
			return (op);
	return (NULL);
}

/* The end of a search, a bind: the result code, and a paging cookie. */
static void
conn_op_result(struct lconn *c, struct lop *op, LDAPMessage *msg)
{
	LDAPControl	**ctrls = NULL, *page;
	struct berval	 cookie = { 0, NULL };
	ber_int_t	 count;
	int		 rc;

	if (ldap_parse_result(c->ld, msg, &rc, NULL, NULL, NULL, &ctrls, 0) !=
	    LDAP_SUCCESS)
		rc = LDAP_DECODING_ERROR;
	if (op->paged && ctrls != NULL && (page = ldap_control_find(
	    LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL)) != NULL &&
	    ldap_parse_pageresponse_control(c->ld, page, &count, &cookie) !=
	    LDAP_SUCCESS)
		rc = LDAP_DECODING_ERROR;
	ldap_controls_free(ctrls);
	op_done(op, LOP_DONE, rc, cookie.bv_val ? &cookie : NULL);
	ber_memfree(cookie.bv_val);
}

/*
 * Read what libldap has for us, one message at a time, without
 * blocking.  A callback may close the connection: the generation says.
 */
static void
conn_results(struct lconn *c)
{
	struct timeval	 zero = { 0, 0 };
	LDAPMessage	*msg;
	struct lop	*op;
	uint64_t	 gen = c->gen;
	int		 rc, type;

	while (c->gen == gen && c->ld != NULL) {
		rc = ldap_result(c->ld, LDAP_RES_ANY, LDAP_MSG_ONE, &zero,
		    &msg);
		if (rc == 0)
			break;
		if (rc == -1) {
			if (c->state == LC_READY)
				conn_lost(c, "connection closed");
			else
				conn_next_addr(c, "connection closed");
			return;
		}
		type = ldap_msgtype(msg);
		if (c->state != LC_READY) {
			if (ldap_msgid(msg) == c->setup_msgid &&
			    (type == LDAP_RES_EXTENDED || type == LDAP_RES_BIND))
				conn_setup_result(c, msg);
			ldap_msgfree(msg);
			continue;
		}
		if ((op = conn_find_op(c, ldap_msgid(msg))) == NULL) {
			ldap_msgfree(msg);
			continue;
		}
		switch (type) {
		case LDAP_RES_SEARCH_ENTRY:
			if (op->entry_cb != NULL)
				op->entry_cb(op->arg, c->ld, msg);
			break;
		case LDAP_RES_SEARCH_REFERENCE:
		case LDAP_RES_INTERMEDIATE:
			break;
		default:
			conn_op_result(c, op, msg);
			if (!c->service && c->gen == gen)
				dir_want(c->dir, 0);
			break;
		}
		ldap_msgfree(msg);
	}
	if (c->gen == gen && c->fd != -1 && c->want_write) {
		c->want_write = 0;
		conn_set_event(c, EV_READ | EV_WRITE | EV_PERSIST, TMO_KEEP);
	}
}

static void
conn_event(int fd, short ev, void *arg)
{
	struct lconn	*c = arg;

	(void)fd;
	if (ev & EV_TIMEOUT) {
		if (c->state == LC_READY)
			conn_lost(c, "timed out");
		else
			conn_next_addr(c, "timed out");
		return;
	}
	switch (c->state) {
	case LC_CONNECTING:
		conn_connected(c);
		break;
	case LC_TLS:
		conn_setup_step(c);
		break;
	case LC_STARTTLS:
	case LC_BINDING:
	case LC_READY:
		if ((ev & EV_WRITE) && c->state == LC_READY)
			conn_set_event(c, EV_READ | EV_PERSIST, TMO_KEEP);
		conn_results(c);
		break;
	}
}

static void
op_free(struct lop *op)
{
	size_t	 i;

	evtimer_del(&op->tmo);
	free(op->filter);
	if (op->attrs != NULL)
		for (i = 0; op->attrs[i] != NULL; i++)
			free(op->attrs[i]);
	free(op->attrs);
	free(op->cookie.bv_val);
	free(op->dn);
	freezero(op->pw, op->pwlen);
	free(op);
}

/* Off its list, then the callback, which may start new work. */
static void
op_done(struct lop *op, int status, int rc, struct berval *cookie)
{
	struct ldap_srv	*srv;

	if (op->list != NULL)
		TAILQ_REMOVE(op->list, op, entry);
	op->list = NULL;
	op->conn = NULL;
	if (op->bind && op->srv != -1 && status == LOP_DONE) {
		srv = &op->dir->srv[op->srv];
		if (rc == LDAP_SUCCESS)
			srv->binds_ok++;
		else
			srv->binds_failed++;
	}
	op->done_cb(op->arg, status, rc, cookie);
	op_free(op);
}

static void
op_timeout(int fd, short ev, void *arg)
{
	struct lop	*op = arg;

	(void)fd;
	(void)ev;
	if (op->conn != NULL)
		conn_lost(op->conn, "request timed out");
	else
		op_done(op, LOP_UNAVAILABLE, LDAP_TIMEOUT, NULL);
}

/* Hand op to libldap on c, a ready connection. */
static void
op_send(struct lconn *c, struct lop *op)
{
	struct ldap_dir	*d = c->dir;
	struct timeval	 tv;
	LDAPControl	*ctrl = NULL, *ctrls[2] = { NULL, NULL };
	struct berval	 cred;
	int		 rc;

	TAILQ_REMOVE(op->list, op, entry);
	op->list = &c->ops;
	TAILQ_INSERT_TAIL(&c->ops, op, entry);
	op->conn = c;
	op->srv = c->srv;
	tv.tv_sec = d->conf->timeout;
	tv.tv_usec = 0;
	evtimer_add(&op->tmo, &tv);
	if (op->bind) {
		cred.bv_val = op->pw;
		cred.bv_len = op->pwlen;
		rc = ldap_sasl_bind(c->ld, op->dn, LDAP_SASL_SIMPLE, &cred,
		    NULL, NULL, &op->msgid);
	} else {
		d->srv[c->srv].searches++;
		rc = LDAP_SUCCESS;
		if (op->paged && (rc = ldap_create_page_control(c->ld,
		    LDAP_PAGE_SIZE, &op->cookie, 0, &ctrl)) == LDAP_SUCCESS)
			ctrls[0] = ctrl;
		if (rc == LDAP_SUCCESS)
			rc = ldap_search_ext(c->ld, d->conf->base,
			    LDAP_SCOPE_SUBTREE, op->filter, op->attrs, 0,
			    ctrl != NULL ? ctrls : NULL, NULL, &tv,
			    op->sizelimit, &op->msgid);
		ldap_control_free(ctrl);
	}
	if (rc != LDAP_SUCCESS) {
		conn_lost(c, ldap_err2string(rc));
		return;
	}
	if (c->want_write) {
		c->want_write = 0;
		conn_set_event(c, EV_READ | EV_WRITE | EV_PERSIST, TMO_KEEP);
	}
}

static int
dir_failed_lately(struct ldap_dir *d)
{
	return (d->failed.tv_sec != 0 && ts_since(&d->failed) <
	    LDAP_RETRY_MIN);
}

/*
 * Give waiting requests a connection: the service connection for
 * searches, an idle user connection (one bind at a time each) for
 * binds, starting connections as needed.  Right after every server
 * failed, requests fail at once instead of piling up.
 */
static void
dir_want(struct ldap_dir *d, int service)
{
	struct lconn	*c, *idle, *closed;
	int		 starting;

	if (d->dying)
		return;
	if (service) {
		if (d->svc->state == LC_READY) {
			while (!TAILQ_EMPTY(&d->wsearch) &&
			    d->svc->state == LC_READY)
				op_send(d->svc, TAILQ_FIRST(&d->wsearch));
		} else if (d->svc->state == LC_CLOSED &&
		    !TAILQ_EMPTY(&d->wsearch)) {
			if (dir_failed_lately(d))
				lop_list_fail(&d->wsearch);
			else
				conn_start(d->svc);
		}
		return;
	}
	while (!TAILQ_EMPTY(&d->wbind)) {
		idle = closed = NULL;
		starting = 0;
		TAILQ_FOREACH(c, &d->users, entry) {
			if (c->state == LC_READY && TAILQ_EMPTY(&c->ops)) {
				idle = c;
				break;
			}
			if (c->state == LC_CLOSED)
				closed = c;
			else if (c->state != LC_READY)
				starting++;
		}
		if (idle != NULL) {
			op_send(idle, TAILQ_FIRST(&d->wbind));
			continue;
		}
		if (starting > 0)
			break;
		if (dir_failed_lately(d)) {
			lop_list_fail(&d->wbind);
			break;
		}
		if (closed == NULL && d->nusers < LDAP_USER_CONNS) {
			closed = conn_new(d, 0);
			TAILQ_INSERT_TAIL(&d->users, closed, entry);
			d->nusers++;
		}
		if (closed != NULL)
			conn_start(closed);
		break;
	}
}

/*
 * A request waits for a connection as long as servers are being tried,
 * each attempt bounded by the timeout; once sent, the answer must come
 * within the timeout too.
 */
static struct lop *
op_new(struct ldap_dir *d, int bind, lop_done_cb done, void *arg)
{
	struct lop	*op;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		fatal("%s", __func__);
	op->dir = d;
	op->bind = bind;
	op->srv = -1;
	op->done_cb = done;
	op->arg = arg;
	evtimer_set(&op->tmo, op_timeout, op);
	op->list = bind ? &d->wbind : &d->wsearch;
	TAILQ_INSERT_TAIL(op->list, op, entry);
	return (op);
}

/*
 * Search under the base for filter, asking for attrs (NULL-terminated),
 * at most sizelimit entries (0: the server's limit).  page non-NULL
 * asks for paged results (RFC 2696) from that cookie (empty: the first
 * page); the done callback gets the next cookie, if any.
 */
void
dir_search(struct ldap_dir *d, const char *filter, const char **attrs,
    int sizelimit, struct berval *page, lop_entry_cb entry, lop_done_cb done,
    void *arg)
{
	struct lop	*op;
	size_t		 i, n;

	op = op_new(d, 0, done, arg);
	op->entry_cb = entry;
	op->sizelimit = sizelimit;
	if ((op->filter = strdup(filter)) == NULL)
		fatal("%s", __func__);
	for (n = 0; attrs[n] != NULL; n++)
		;
	if ((op->attrs = calloc(n + 1, sizeof(char *))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < n; i++)
		if ((op->attrs[i] = strdup(attrs[i])) == NULL)
			fatal("%s", __func__);
	if (page != NULL) {
		op->paged = 1;
		if (page->bv_len > 0) {
			if ((op->cookie.bv_val = malloc(page->bv_len)) == NULL)
				fatal("%s", __func__);
			memcpy(op->cookie.bv_val, page->bv_val, page->bv_len);
			op->cookie.bv_len = page->bv_len;
		}
	}
	dir_want(d, 1);
}

/* A simple bind as dn: never with an empty password (RFC 4513 5.1.2). */
void
dir_bind(struct ldap_dir *d, const char *dn, const char *pw,
    lop_done_cb done, void *arg)
{
	struct lop	*op;

	if (*dn == '\0' || *pw == '\0')
		fatalx("%s: unauthenticated bind", __func__);
	op = op_new(d, 1, done, arg);
	if ((op->dn = strdup(dn)) == NULL ||
	    (op->pw = strdup(pw)) == NULL)
		fatal("%s", __func__);
	op->pwlen = strlen(pw);
	dir_want(d, 0);
}
