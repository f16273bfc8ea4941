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
 * The resolver process: where to connect for a remote domain (RFC 6120
 * section 3.2 with XEP-0368), asked by the router.  libunbound runs in
 * its event mode on our libevent loop (no thread, no fork) as a stub
 * forwarding to the configured resolvers only.  DNS answers are network
 * input: they are read here, where nothing else is held.  xmppctl check
 * asks its questions too (resolver_ctl.c).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <event.h>
#include <idna.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unbound.h>
#include <unbound-event.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "regress.h"
#include "resolver.h"
#include "sandbox.h"

#define RESOLVER_DEADLINE	10	/* seconds, a whole request */
#define RESOLVE_QUERIES_MAX	256	/* requests under way */
#define TARGET_MAX		8	/* SRV targets whose addresses we ask */

enum sub_status {
	SUB_PENDING,
	SUB_OK,
	SUB_NODATA,
	SUB_NXDOMAIN,
	SUB_FAIL,
};

struct rquery;

/* One DNS question of a request. */
struct rsub {
	struct rquery	*q;
	int		 type;
	int		 index;		/* SRV: 0 xmpps, 1 xmpp; else target */
	int		 async_id;
	int		 status;
};

struct rtarget {
	char			 name[DNS_NAME_MAX];
	uint16_t		 port;
	int			 tls;
	struct sockaddr_storage	 addr[2][ADDR_MAX];	/* AAAA, then A */
	int			 naddr[2];
};

struct rquery {
	TAILQ_ENTRY(rquery)	 entry;
	uint32_t		 id;
	char			 domain[CONF_NAMELEN];	/* as asked */
	char			 name[DNS_NAME_MAX];	/* A-labels */
	struct event		 timer;
	int			 issuing;	/* callbacks may come now */
	int			 answered;
	int			 fallback;	/* no SRV: the domain, 5269 */
	struct rsub		 subs[2 * TARGET_MAX];
	int			 nsubs;
	struct srv_rr		 srv[2 * SRV_MAX];
	size_t			 nsrv;
	struct rtarget		 targets[TARGET_MAX];
	size_t			 ntargets;
};

static TAILQ_HEAD(, rquery)	 rqueries = TAILQ_HEAD_INITIALIZER(rqueries);
static int			 nrqueries;
static struct ub_ctx		*resolver_ctx;

static void	resolver_done(struct rquery *, int);
static void	resolver_ask(struct rquery *, const char *, int, int);
static void	resolver_addr_done(struct rquery *);
static void	resolver_reply(struct rquery *, struct iovec *, int);
static void	resolver_free(struct rquery *);
static int	resolver_any(struct rquery *, int);

static uint32_t
resolver_random(uint32_t n)
{
	return (n == UINT32_MAX ? arc4random() : arc4random_uniform(n + 1));
}

/* A libunbound context forwarding to conf's resolvers, and nothing else. */
static struct ub_ctx *
resolver_ctx_new(struct xmppd_config *conf)
{
	struct resolver_conf	*r;
	struct ub_ctx		*ctx;
	char			 addr[CONF_NAMELEN];
	int			 rc;

	if ((ctx = ub_ctx_create_event(proc_self.evbase)) == NULL)
		fatalx("%s: ub_ctx_create_event", __func__);
	/* The admin's resolver may well be a local one. */
	if ((rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")))
		fatalx("%s: %s", __func__, ub_strerror(rc));
#ifdef REGRESS
	/* Test domains end in .test (RFC 6761), which unbound refuses. */
	if ((rc = ub_ctx_set_option(ctx, "local-zone:", "test. transparent")))
		fatalx("%s: %s", __func__, ub_strerror(rc));
#endif
	TAILQ_FOREACH(r, &conf->resolvers, entry) {
		if (config_resolver_print(r, addr, sizeof(addr)) == -1)
			fatalx("%s: bad resolver", __func__);
		if ((rc = ub_ctx_set_fwd(ctx, addr)) != 0)
			fatalx("%s: %s: %s", __func__, addr, ub_strerror(rc));
		log_debug("forwarding to %s%s", addr,
		    r->system ? " (/etc/resolv.conf)" : "");
	}
	return (ctx);
}

static void
resolver_prime_cb(void *arg, int rcode, void *pkt, int len, int sec,
    char *why, int ratelimited)
{
	(void)arg; (void)rcode; (void)pkt; (void)len; (void)sec; (void)why;
	(void)ratelimited;
}

/*
 * libunbound reads its settings when it first resolves; a local name
 * answered from its defaults makes that happen before the sandbox.
 */
static void
resolver_prime(struct ub_ctx *ctx)
{
	int	 rc, id;

	if ((rc = ub_resolve_event(ctx, "localhost.", DNS_TYPE_A,
	    DNS_CLASS_IN, NULL, resolver_prime_cb, &id)) != 0)
		fatalx("%s: %s", __func__, ub_strerror(rc));
}

static int
resolver_sub_status(struct rsub *s, int rcode, void *pkt, int len)
{
	struct rquery	*q = s->q;
	struct rtarget	*t;
	int		 n, fam;

	/* libunbound says NXDOMAIN in the message, failures in rcode. */
	if (rcode == 0 && pkt != NULL && len > 0)
		rcode = dns_rcode(pkt, len);
	if (rcode == DNS_RCODE_NXDOMAIN)
		return (SUB_NXDOMAIN);
	if (rcode != 0)
		return (SUB_FAIL);
	if (s->type == DNS_TYPE_SRV) {
		char	 qname[DNS_NAME_MAX + 32];

		(void)snprintf(qname, sizeof(qname), "%s._tcp.%s",
		    s->index == 0 ? "_xmpps-server" : "_xmpp-server", q->name);
		n = dns_parse_srv(pkt, len, qname, q->srv + q->nsrv, SRV_MAX);
		if (n > 0) {
			for (fam = 0; fam < n; fam++)
				q->srv[q->nsrv + fam].tls = s->index == 0;
			q->nsrv += n;
		}
	} else {
		t = &q->targets[s->index];
		fam = s->type == DNS_TYPE_AAAA ? 0 : 1;
		n = dns_parse_addr(pkt, len, t->name, s->type, t->addr[fam],
		    ADDR_MAX);
		if (n > 0)
			t->naddr[fam] = n;
	}
	if (n == -1) {
		log_warnx("%s: malformed answer for %s", __func__, q->domain);
		return (SUB_FAIL);
	}
	return (n > 0 ? SUB_OK : SUB_NODATA);
}

/* Has one of the request's questions this status? */
static int
resolver_any(struct rquery *q, int status)
{
	int	 i;

	for (i = 0; i < q->nsubs; i++)
		if (q->subs[i].status == status)
			return (1);
	return (0);
}

/* The SRV answers are in: order them, or fall back, then ask addresses. */
static void
resolver_srv_done(struct rquery *q)
{
	struct rtarget	*t;
	size_t		 i, j, usable = 0;
	int		 sets = 0;

	for (i = 0; i < q->nsrv; i++)
		if (strcmp(q->srv[i].target, ".") != 0 && q->srv[i].port != 0)
			q->srv[usable++] = q->srv[i];
	sets = resolver_any(q, SUB_OK);
	q->nsrv = usable;
	if (usable == 0 && sets) {
		/* A "." target, or records none of which can be used. */
		resolver_done(q, RESOLVE_NO_SERVICE);
		return;
	}
	if (usable == 0 && resolver_any(q, SUB_FAIL)) {
		resolver_done(q, RESOLVE_SERVFAIL);
		return;
	}
	dns_srv_order(q->srv, q->nsrv, resolver_random);
	if (usable == 0) {
		q->fallback = 1;
		t = &q->targets[q->ntargets++];
		(void)strlcpy(t->name, q->name, sizeof(t->name));
		t->port = XMPP_SERVER_PORT;
	}
	for (i = 0; i < q->nsrv && q->ntargets < TARGET_MAX; i++) {
		for (j = 0; j < q->ntargets; j++)
			if (strcasecmp(q->targets[j].name, q->srv[i].target) ==
			    0 && q->targets[j].port == q->srv[i].port &&
			    q->targets[j].tls == q->srv[i].tls)
				break;
		if (j < q->ntargets)
			continue;
		t = &q->targets[q->ntargets++];
		(void)strlcpy(t->name, q->srv[i].target, sizeof(t->name));
		t->port = q->srv[i].port;
		t->tls = q->srv[i].tls;
	}
	q->nsubs = 0;
	q->issuing = 1;
	for (i = 0; i < q->ntargets; i++) {
		resolver_ask(q, q->targets[i].name, DNS_TYPE_AAAA, i);
		resolver_ask(q, q->targets[i].name, DNS_TYPE_A, i);
	}
	q->issuing = 0;
	if (!resolver_any(q, SUB_PENDING))
		resolver_addr_done(q);
}

/* Every address answer is in: the candidates, in the order to try them. */
static void
resolver_addr_done(struct rquery *q)
{
	struct resolve_result	 res;
	struct resolve_candidate c[RESOLVE_MAX_CANDIDATES];
	struct rtarget		*t;
	struct iovec		 iov[2];
	size_t			 i;
	int			 fam, k, n = 0;

	memset(c, 0, sizeof(c));
	for (i = 0; i < q->ntargets; i++) {
		t = &q->targets[i];
		for (fam = 0; fam < 2; fam++)
			for (k = 0; k < t->naddr[fam] &&
			    n < RESOLVE_MAX_CANDIDATES; k++, n++) {
				c[n].ss = t->addr[fam][k];
				c[n].port = t->port;
				c[n].tls = t->tls;
				(void)strlcpy(c[n].target, t->name,
				    sizeof(c[n].target));
				if (c[n].ss.ss_family == AF_INET)
					((struct sockaddr_in *)&c[n].ss)->
					    sin_port = htons(t->port);
				else
					((struct sockaddr_in6 *)&c[n].ss)->
					    sin6_port = htons(t->port);
			}
	}
	if (n == 0) {
		if (q->fallback && resolver_any(q, SUB_NXDOMAIN) &&
		    !resolver_any(q, SUB_FAIL))
			resolver_done(q, RESOLVE_NXDOMAIN);
		else if (resolver_any(q, SUB_FAIL))
			resolver_done(q, RESOLVE_SERVFAIL);
		else
			resolver_done(q, RESOLVE_NO_SERVICE);
		return;
	}
	memset(&res, 0, sizeof(res));
	(void)strlcpy(res.domain, q->domain, sizeof(res.domain));
	res.status = RESOLVE_OK;
	res.ncandidates = n;
	iov[0].iov_base = &res;
	iov[0].iov_len = sizeof(res);
	iov[1].iov_base = c;
	iov[1].iov_len = n * sizeof(c[0]);
	resolver_reply(q, iov, 2);
	log_debug("%s: %d candidates", q->domain, n);
	resolver_free(q);
}

static void
resolver_cb(void *arg, int rcode, void *pkt, int len, int sec, char *why,
    int ratelimited)
{
	struct rsub	*s = arg;
	struct rquery	*q = s->q;

	(void)sec;
	(void)why;
	(void)ratelimited;
	s->status = resolver_sub_status(s, rcode, pkt, len);
	if (q->answered) {
		/* Its cancel failed: the request waited for this only. */
		if (!resolver_any(q, SUB_PENDING))
			resolver_free(q);
		return;
	}
	if (q->issuing || resolver_any(q, SUB_PENDING))
		return;
	if (s->type == DNS_TYPE_SRV)
		resolver_srv_done(q);
	else
		resolver_addr_done(q);
}

static void
resolver_ask(struct rquery *q, const char *name, int type, int index)
{
	struct rsub	*s = &q->subs[q->nsubs++];
	int		 rc;

	s->q = q;
	s->type = type;
	s->index = index;
	s->status = SUB_PENDING;
	s->async_id = 0;
	if ((rc = ub_resolve_event(resolver_ctx, name, type, DNS_CLASS_IN, s,
	    resolver_cb, &s->async_id)) != 0) {
		log_warnx("%s: %s: %s", __func__, name, ub_strerror(rc));
		s->status = SUB_FAIL;
	}
}

static void
resolver_reply(struct rquery *q, struct iovec *iov, int n)
{
	struct imsgev	*router;

	q->answered = 1;
	if ((router = proc_peer(PROC_ROUTER, 0)) == NULL)
		return;
	imsgev_composev(router, IMSG_RESOLVE_S2S_RESULT, q->id, 0, -1, iov, n);
}

/* A failure: the reason, no candidate. */
static void
resolver_done(struct rquery *q, int status)
{
	struct resolve_result	 res;
	struct iovec		 iov;

	memset(&res, 0, sizeof(res));
	(void)strlcpy(res.domain, q->domain, sizeof(res.domain));
	res.status = status;
	iov.iov_base = &res;
	iov.iov_len = sizeof(res);
	resolver_reply(q, &iov, 1);
	log_debug("%s: %s", q->domain, resolve_status_text(status));
	resolver_free(q);
}

/*
 * Forget a request that has been answered: questions still out are
 * cancelled.  One libunbound would not cancel keeps it until it ends.
 */
static void
resolver_free(struct rquery *q)
{
	int	 i;

	evtimer_del(&q->timer);
	for (i = 0; i < q->nsubs; i++)
		if (q->subs[i].status == SUB_PENDING &&
		    q->subs[i].async_id != 0 &&
		    ub_cancel(resolver_ctx, q->subs[i].async_id) == 0)
			q->subs[i].status = SUB_FAIL;
	if (resolver_any(q, SUB_PENDING))
		return;
	TAILQ_REMOVE(&rqueries, q, entry);
	nrqueries--;
	free(q);
}

static void
resolver_timeout(int fd, short event, void *arg)
{
	struct rquery	*q = arg;

	(void)fd;
	(void)event;
	log_info("%s: no answer in %d seconds", q->domain, RESOLVER_DEADLINE);
	resolver_done(q, RESOLVE_TIMEOUT);
}

/* A request from the router: a domain, in UTF-8, to ask DNS about. */
static void
resolver_request(uint32_t id, struct resolve_req *req)
{
	struct rquery	*q;
	struct timeval	 tv = { RESOLVER_DEADLINE, 0 };
	char		*ace = NULL, qname[DNS_NAME_MAX + 32];
	int		 i;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("%s", __func__);
	q->id = id;
	(void)strlcpy(q->domain, req->domain, sizeof(q->domain));
	evtimer_set(&q->timer, resolver_timeout, q);
	TAILQ_INSERT_TAIL(&rqueries, q, entry);
	nrqueries++;
	if (nrqueries > RESOLVE_QUERIES_MAX) {
		log_warnx("%s: %d requests under way already", q->domain,
		    RESOLVE_QUERIES_MAX);
		resolver_done(q, RESOLVE_SERVFAIL);
		return;
	}
	if (idna_to_ascii_8z(q->domain, &ace, IDNA_USE_STD3_ASCII_RULES) !=
	    IDNA_SUCCESS || strlcpy(q->name, ace, sizeof(q->name)) >=
	    sizeof(q->name) || dns_name_ok(q->name) == -1) {
		free(ace);
		resolver_done(q, RESOLVE_BAD_NAME);
		return;
	}
	free(ace);
	evtimer_add(&q->timer, &tv);
	q->issuing = 1;
	for (i = 0; i < 2; i++) {
		(void)snprintf(qname, sizeof(qname), "%s._tcp.%s",
		    i == 0 ? "_xmpps-server" : "_xmpp-server", q->name);
		resolver_ask(q, qname, DNS_TYPE_SRV, i);
	}
	q->issuing = 0;
	if (!resolver_any(q, SUB_PENDING))
		resolver_srv_done(q);
}

#ifdef REGRESS
/*
 * Regress builds only: a compromised resolver, played by a client that
 * writes to a user at regress-imsg-TYPE-HEX.DOMAIN: the resolver sends
 * the router the bytes HEX as an imsg of type TYPE, with the id of the
 * request (common/regress.c).
 */
static int
resolver_regress(uint32_t id, const char *domain)
{
	uint8_t		 data[64];
	const char	*p = domain + strlen("regress-imsg-");
	size_t		 n = 0;
	unsigned int	 type, byte;
	int		 k;

	if (strncmp(domain, "regress-imsg-", strlen("regress-imsg-")) != 0 ||
	    sscanf(p, "%u-%n", &type, &k) != 1)
		return (0);
	for (p += k; n < sizeof(data) && sscanf(p, "%2x", &byte) == 1;
	    p += 2)
		data[n++] = byte;
	regress_imsg_compose(proc_peer(PROC_ROUTER, 0), type, id, data, n);
	return (1);
}
#endif

static int
resolver_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct resolve_req	 req;

	if (iev->type == PROC_CONTROL)
		return (resolver_ctl_dispatch(resolver_ctx, imsg));
	if (iev->type != PROC_ROUTER ||
	    imsg_get_type(imsg) != IMSG_RESOLVE_S2S)
		return (-1);
	if (imsg_get_data(imsg, &req, sizeof(req)) == -1 ||
	    memchr(req.domain, '\0', sizeof(req.domain)) == NULL)
		fatalx("%s: bad request", __func__);
#ifdef REGRESS
	if (resolver_regress(imsg_get_id(imsg), req.domain))
		return (0);
#endif
	resolver_request(imsg_get_id(imsg), &req);
	return (0);
}

/* The router or control is gone: nobody waits for their answers. */
static void
resolver_peer_down(struct imsgev *iev)
{
	struct rquery	*q, *tq;

	if (iev->type == PROC_CONTROL)
		resolver_ctl_stop(0);
	if (iev->type != PROC_ROUTER)
		return;
	TAILQ_FOREACH_SAFE(q, &rqueries, entry, tq)
		if (!q->answered) {
			q->answered = 1;
			resolver_free(q);
		}
}

static int
resolver_same(struct xmppd_config *a, struct xmppd_config *b)
{
	struct resolver_conf	*ra, *rb;

	for (ra = TAILQ_FIRST(&a->resolvers), rb = TAILQ_FIRST(&b->resolvers);
	    ra != NULL && rb != NULL;
	    ra = TAILQ_NEXT(ra, entry), rb = TAILQ_NEXT(rb, entry))
		if (ra->port != rb->port || memcmp(&ra->ss, &rb->ss,
		    sizeof(ra->ss)) != 0)
			return (0);
	return (ra == NULL && rb == NULL);
}

/*
 * Other resolvers: requests under way fail (the router's peers try
 * again later) and a new context forwards to the new ones.
 */
static void
resolver_config_commit(struct xmppd_config *old, struct xmppd_config *new)
{
	struct rquery	*q, *tq;

	if (resolver_same(old, new))
		return;
	TAILQ_FOREACH_SAFE(q, &rqueries, entry, tq)
		if (!q->answered)
			resolver_done(q, RESOLVE_SERVFAIL);
	resolver_ctl_stop(1);
	ub_ctx_delete(resolver_ctx);
	resolver_ctl_forget();
	/* Those libunbound would not cancel are gone with it. */
	while ((q = TAILQ_FIRST(&rqueries)) != NULL) {
		TAILQ_REMOVE(&rqueries, q, entry);
		free(q);
	}
	nrqueries = 0;
	resolver_ctx = resolver_ctx_new(new);
	log_info("resolvers changed");
}

void
resolver_main(int instance)
{
	struct proc_self	*ps = &proc_self;

	proc_child_init(PROC_RESOLVER, instance);
	resolver_ctx = resolver_ctx_new(ps->conf);
	resolver_prime(resolver_ctx);
	/* DNS to the configured resolvers: sockets, nothing else. */
	sandbox("stdio dns");
	ps->dispatch = resolver_dispatch;
	ps->peer_down = resolver_peer_down;
	ps->config_commit = resolver_config_commit;
	log_debug("resolver ready");
	proc_child_run();
}
