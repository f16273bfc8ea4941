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
 * The router's end of the resolver: resolve_s2s() asks where a remote
 * domain's servers are and calls back, always later and exactly once,
 * with the candidates in order or why there are none.  The resolver
 * parses network input, so what it says is checked before it is used.
 * Also `xmppctl resolve DOMAIN`.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "resolver.h"
#include "router.h"

/* Past the resolver's own limit: it is stuck, or gone. */
#define RESOLVE_GUARD		20	/* seconds */

struct resolve_wait {
	TAILQ_ENTRY(resolve_wait) entry;
	uint32_t		 id;
	char			 domain[CONF_NAMELEN];
	void			(*cb)(void *, struct resolve_result *,
				    struct resolve_candidate *);
	void			*arg;
	struct event		 timer;
	int			 status;	/* when failed here */
};

static TAILQ_HEAD(, resolve_wait) resolve_waits =
    TAILQ_HEAD_INITIALIZER(resolve_waits);
static uint32_t			 resolve_next_id;

static void
resolve_finish(struct resolve_wait *w, struct resolve_result *res,
    struct resolve_candidate *c)
{
	evtimer_del(&w->timer);
	TAILQ_REMOVE(&resolve_waits, w, entry);
	w->cb(w->arg, res, c);
	free(w);
}

static void
resolve_fail(struct resolve_wait *w, int status)
{
	struct resolve_result	 res;

	memset(&res, 0, sizeof(res));
	(void)strlcpy(res.domain, w->domain, sizeof(res.domain));
	res.status = status;
	resolve_finish(w, &res, NULL);
}

static void
resolve_timer(int fd, short event, void *arg)
{
	struct resolve_wait	*w = arg;

	(void)fd;
	(void)event;
	if (w->status == RESOLVE_OK) {
		log_warnx("%s: the resolver did not answer", w->domain);
		w->status = RESOLVE_TIMEOUT;
	}
	resolve_fail(w, w->status);
}

uint32_t
resolve_s2s(const char *domain, void (*cb)(void *, struct resolve_result *,
    struct resolve_candidate *), void *arg)
{
	struct resolve_wait	*w;
	struct resolve_req	 req;
	struct imsgev		*iev;
	struct timeval		 tv = { RESOLVE_GUARD, 0 };

	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("%s", __func__);
	if (++resolve_next_id == 0)
		resolve_next_id = 1;
	w->id = resolve_next_id;
	w->cb = cb;
	w->arg = arg;
	evtimer_set(&w->timer, resolve_timer, w);
	TAILQ_INSERT_TAIL(&resolve_waits, w, entry);
	memset(&req, 0, sizeof(req));
	if (strlcpy(w->domain, domain, sizeof(w->domain)) >=
	    sizeof(w->domain) || *domain == '\0') {
		w->status = RESOLVE_BAD_NAME;
		tv.tv_sec = 0;
	} else if ((iev = proc_peer(PROC_RESOLVER, 0)) == NULL) {
		log_warnx("%s: the resolver is not running", domain);
		w->status = RESOLVE_SERVFAIL;
		tv.tv_sec = 0;
	} else {
		(void)strlcpy(req.domain, domain, sizeof(req.domain));
		imsgev_compose(iev, IMSG_RESOLVE_S2S, w->id, 0, -1, &req,
		    sizeof(req));
	}
	/* A failure known now is told later too, as the others. */
	evtimer_add(&w->timer, &tv);
	return (w->id);
}

/* The caller no longer wants the answer: its callback is not called. */
void
resolve_cancel(uint32_t id)
{
	struct resolve_wait	*w;

	TAILQ_FOREACH(w, &resolve_waits, entry)
		if (w->id == id) {
			evtimer_del(&w->timer);
			TAILQ_REMOVE(&resolve_waits, w, entry);
			free(w);
			return;
		}
}

/*
 * The resolver's answer.  A malformed one is its failure, not ours: the
 * request fails, and the router goes on.
 */
static int
resolve_result(struct imsg *imsg)
{
	struct resolve_wait		*w;
	struct resolve_result		 res;
	struct resolve_candidate	*c = NULL;
	struct ibuf			 ib;
	size_t				 i, len;

	TAILQ_FOREACH(w, &resolve_waits, entry)
		if (w->id == imsg_get_id(imsg))
			break;
	if (w == NULL)
		return (0);	/* cancelled, or timed out here */
	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &res, sizeof(res)) == -1)
		goto bad;
	len = ibuf_size(&ib);
	if (memchr(res.domain, '\0', sizeof(res.domain)) == NULL ||
	    strcmp(res.domain, w->domain) != 0 ||
	    res.status < RESOLVE_OK || res.status > RESOLVE_BAD_NAME ||
	    res.ncandidates > RESOLVE_MAX_CANDIDATES ||
	    (res.status == RESOLVE_OK) != (res.ncandidates > 0) ||
	    len != res.ncandidates * sizeof(*c))
		goto bad;
	if (res.ncandidates > 0) {
		if ((c = calloc(res.ncandidates, sizeof(*c))) == NULL)
			fatal("%s", __func__);
		(void)ibuf_get(&ib, c, len);
		for (i = 0; i < res.ncandidates; i++)
			if ((c[i].ss.ss_family != AF_INET &&
			    c[i].ss.ss_family != AF_INET6) || c[i].port == 0 ||
			    memchr(c[i].target, '\0', sizeof(c[i].target)) ==
			    NULL) {
				free(c);
				goto bad;
			}
	}
	resolve_finish(w, &res, c);
	free(c);
	return (0);
 bad:
	log_warnx("%s: malformed answer from the resolver", w->domain);
	resolve_fail(w, RESOLVE_SERVFAIL);
	return (0);
}

int
resolve_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	if (imsg_get_type(imsg) != IMSG_RESOLVE_S2S_RESULT)
		return (1);
	if (iev->type != PROC_RESOLVER)
		return (-1);
	return (resolve_result(imsg));
}

/* The resolver died: what it was asked fails now (it is restarted). */
void
resolve_peer_down(void)
{
	struct resolve_wait	*w;
	struct timeval		 tv = { 0, 0 };

	TAILQ_FOREACH(w, &resolve_waits, entry) {
		w->status = RESOLVE_SERVFAIL;
		evtimer_add(&w->timer, &tv);
	}
}

static void
resolve_ctl_answer(void *arg, struct resolve_result *res,
    struct resolve_candidate *c)
{
	struct imsgev	*ctl;
	uint32_t	 id = (uint32_t)(uintptr_t)arg, i;
	const char	*why;

	/* The control process may have been restarted meanwhile. */
	if ((ctl = proc_peer(PROC_CONTROL, 0)) == NULL)
		return;
	if (res->status != RESOLVE_OK) {
		why = resolve_status_text(res->status);
		imsgev_compose(ctl, IMSG_CTL_FAIL, id, 0, -1, why,
		    strlen(why) + 1);
		return;
	}
	for (i = 0; i < res->ncandidates; i++)
		imsgev_compose(ctl, IMSG_CTL_RESOLVE_CANDIDATE, id, 0, -1,
		    &c[i], sizeof(c[i]));
	imsgev_compose(ctl, IMSG_CTL_END, id, 0, -1, NULL, 0);
}

int
resolve_ctl(struct imsgev *iev, struct imsg *imsg)
{
	struct resolve_req	 req;

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1 ||
	    memchr(req.domain, '\0', sizeof(req.domain)) == NULL) {
		imsgev_compose(iev, IMSG_CTL_FAIL, imsg_get_id(imsg), 0, -1,
		    "bad request", sizeof("bad request"));
		return (0);
	}
	(void)resolve_s2s(req.domain, resolve_ctl_answer,
	    (void *)(uintptr_t)imsg_get_id(imsg));
	return (0);
}

const char *
resolve_status_text(int status)
{
	switch (status) {
	case RESOLVE_OK:
		return ("resolved");
	case RESOLVE_NXDOMAIN:
		return ("no such domain");
	case RESOLVE_NO_SERVICE:
		return ("the domain offers no XMPP server service");
	case RESOLVE_TIMEOUT:
		return ("no answer from DNS in time");
	case RESOLVE_BAD_NAME:
		return ("not a domain name DNS can resolve");
	}
	return ("DNS server failure");
}
