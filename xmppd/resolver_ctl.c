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
 * xmppctl check's DNS questions, from the control process (which has no
 * network): the SRV records of a domain's four XMPP services, or the A
 * or AAAA records of a host, and nothing else.  Each is one question,
 * answered once, bounded in time, records and requests under way.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

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
#include "resolver.h"

#define RESOLVER_CTL_DEADLINE	10	/* seconds, as the router's */
#define RESOLVER_CTL_MAX	32	/* questions under way */

struct rctl {
	TAILQ_ENTRY(rctl)	 entry;
	uint32_t		 id;		/* the control connection */
	struct ub_ctx		*ctx;
	int			 type;
	char			 qname[DNS_NAME_MAX + 32];
	int			 async_id;
	int			 pending;	/* a callback will come */
	int			 issuing;
	int			 answered;
	struct event		 timer;
};

static TAILQ_HEAD(, rctl)	 rctls = TAILQ_HEAD_INITIALIZER(rctls);
static int			 nrctls;

static const char *const resolver_ctl_prefix[] = {
	[CTL_DNS_HOST] = "",
	[CTL_DNS_XMPP_CLIENT] = "_xmpp-client._tcp.",
	[CTL_DNS_XMPPS_CLIENT] = "_xmpps-client._tcp.",
	[CTL_DNS_XMPP_SERVER] = "_xmpp-server._tcp.",
	[CTL_DNS_XMPPS_SERVER] = "_xmpps-server._tcp.",
};

static void
resolver_ctl_answer(uint32_t id, int status, struct ctl_dns_rr *rr,
    uint32_t n)
{
	struct ctl_dns_answer	 a;
	struct imsgev		*ctl;
	struct iovec		 iov[2];

	if ((ctl = proc_peer(PROC_CONTROL, 0)) == NULL)
		return;
	memset(&a, 0, sizeof(a));
	a.status = status;
	a.nrr = n;
	iov[0].iov_base = &a;
	iov[0].iov_len = sizeof(a);
	iov[1].iov_base = rr;
	iov[1].iov_len = n * sizeof(*rr);
	imsgev_composev(ctl, IMSG_CTL_DNS_ANSWER, id, 0, -1, iov, n ? 2 : 1);
}

static void
resolver_ctl_free(struct rctl *r)
{
	evtimer_del(&r->timer);
	TAILQ_REMOVE(&rctls, r, entry);
	nrctls--;
	free(r);
}

/* The records of an answer, or why there are none. */
static void
resolver_ctl_read(struct rctl *r, int rcode, void *pkt, int len)
{
	struct ctl_dns_rr	 rr[CTL_DNS_RR_MAX];
	struct srv_rr		 srv[CTL_DNS_RR_MAX];
	struct sockaddr_storage	 ss[ADDR_MAX];
	int			 i, n, status = RESOLVE_OK;

	memset(rr, 0, sizeof(rr));
	if (rcode == 0 && pkt != NULL && len > 0)
		rcode = dns_rcode(pkt, len);
	if (rcode == DNS_RCODE_NXDOMAIN) {
		resolver_ctl_answer(r->id, RESOLVE_NXDOMAIN, NULL, 0);
		return;
	}
	if (rcode != 0 || pkt == NULL || len <= 0) {
		resolver_ctl_answer(r->id, RESOLVE_SERVFAIL, NULL, 0);
		return;
	}
	if (r->type == DNS_TYPE_SRV) {
		n = dns_parse_srv(pkt, len, r->qname, srv, CTL_DNS_RR_MAX);
		for (i = 0; i < n; i++) {
			rr[i].priority = srv[i].priority;
			rr[i].weight = srv[i].weight;
			rr[i].port = srv[i].port;
			(void)strlcpy(rr[i].target, srv[i].target,
			    sizeof(rr[i].target));
		}
	} else {
		n = dns_parse_addr(pkt, len, r->qname, r->type, ss, ADDR_MAX);
		for (i = 0; i < n; i++)
			rr[i].ss = ss[i];
	}
	if (n == -1) {
		log_warnx("%s: malformed answer for %s", __func__, r->qname);
		status = RESOLVE_SERVFAIL;
		n = 0;
	} else if (n == 0)
		status = RESOLVE_NO_SERVICE;	/* the name, no such record */
	resolver_ctl_answer(r->id, status, rr, n);
}

static void
resolver_ctl_cb(void *arg, int rcode, void *pkt, int len, int sec, char *why,
    int ratelimited)
{
	struct rctl	*r = arg;

	(void)sec;
	(void)why;
	(void)ratelimited;
	r->pending = 0;
	if (!r->answered) {
		r->answered = 1;
		resolver_ctl_read(r, rcode, pkt, len);
	}
	if (!r->issuing)
		resolver_ctl_free(r);
}

static void
resolver_ctl_timeout(int fd, short event, void *arg)
{
	struct rctl	*r = arg;

	(void)fd;
	(void)event;
	if (!r->answered)
		resolver_ctl_answer(r->id, RESOLVE_TIMEOUT, NULL, 0);
	r->answered = 1;
	if (ub_cancel(r->ctx, r->async_id) == 0)
		r->pending = 0;
	/* One libunbound would not cancel is freed by its callback. */
	if (!r->pending)
		resolver_ctl_free(r);
}

/* The question's name in A-labels, with its service's prefix. */
static int
resolver_ctl_name(struct ctl_dns_q *q, char *qname, size_t len)
{
	char	*ace = NULL;
	int	 ret = -1;

	if (memchr(q->name, '\0', sizeof(q->name)) == NULL ||
	    q->service < CTL_DNS_HOST || q->service > CTL_DNS_XMPPS_SERVER ||
	    (q->service == CTL_DNS_HOST) != (q->type == DNS_TYPE_A ||
	    q->type == DNS_TYPE_AAAA))
		return (-1);
	if (idna_to_ascii_8z(q->name, &ace, IDNA_USE_STD3_ASCII_RULES) ==
	    IDNA_SUCCESS && dns_name_ok(ace) == 0 &&
	    (size_t)snprintf(qname, len, "%s%s",
	    resolver_ctl_prefix[q->service], ace) < len)
		ret = 0;
	free(ace);
	return (ret);
}

/* A question from xmppctl, relayed by the control process. */
int
resolver_ctl_dispatch(struct ub_ctx *ctx, struct imsg *imsg)
{
	struct ctl_dns_q	 q;
	struct rctl		*r;
	struct timeval		 tv = { RESOLVER_CTL_DEADLINE, 0 };
	uint32_t		 id = imsg_get_id(imsg);
	int			 rc;

	if (imsg_get_type(imsg) != IMSG_CTL_DNS)
		return (-1);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("%s", __func__);
	if (imsg_get_data(imsg, &q, sizeof(q)) == -1 ||
	    resolver_ctl_name(&q, r->qname, sizeof(r->qname)) == -1) {
		free(r);
		resolver_ctl_answer(id, RESOLVE_BAD_NAME, NULL, 0);
		return (0);
	}
	if (nrctls >= RESOLVER_CTL_MAX) {
		free(r);
		log_warnx("%s: %d questions under way already", __func__,
		    RESOLVER_CTL_MAX);
		resolver_ctl_answer(id, RESOLVE_SERVFAIL, NULL, 0);
		return (0);
	}
	r->id = id;
	r->ctx = ctx;
	r->type = q.service == CTL_DNS_HOST ? q.type : DNS_TYPE_SRV;
	evtimer_set(&r->timer, resolver_ctl_timeout, r);
	TAILQ_INSERT_TAIL(&rctls, r, entry);
	nrctls++;
	r->pending = r->issuing = 1;
	if ((rc = ub_resolve_event(ctx, r->qname, r->type, DNS_CLASS_IN, r,
	    resolver_ctl_cb, &r->async_id)) != 0) {
		log_warnx("%s: %s: %s", __func__, r->qname, ub_strerror(rc));
		r->pending = 0;
		r->answered = 1;
		resolver_ctl_answer(id, RESOLVE_SERVFAIL, NULL, 0);
	}
	r->issuing = 0;
	if (!r->pending)
		resolver_ctl_free(r);
	else
		evtimer_add(&r->timer, &tv);
	return (0);
}

/*
 * The control process is gone, or the context is about to be: nobody
 * is answered any more (fail: those asked are told the resolver failed).
 */
void
resolver_ctl_stop(int fail)
{
	struct rctl	*r;

	TAILQ_FOREACH(r, &rctls, entry)
		if (!r->answered) {
			r->answered = 1;
			if (fail)
				resolver_ctl_answer(r->id, RESOLVE_SERVFAIL,
				    NULL, 0);
		}
}

/* The context was deleted: no callback of its questions will come. */
void
resolver_ctl_forget(void)
{
	struct rctl	*r;

	while ((r = TAILQ_FIRST(&rctls)) != NULL)
		resolver_ctl_free(r);
}
