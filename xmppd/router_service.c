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
 * What the ways to the service daemons (mucd, uploadd) share: stanzas
 * handed on as the session sent them, and control requests relayed to
 * the daemon, their ids kept until the daemon ends its answer.  The IQ
 * requests a daemon has not answered are kept too: when it dies, each
 * gets the error a service that is away earns (RFC 6120 8.2.3: an IQ
 * request is answered), instead of waiting for an answer that cannot
 * come.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"

#define SERVICE_ASKED_MAX	4096	/* requests waiting, per daemon */
#define SERVICE_ASKED_SENDER	16	/* IQs of one sender's at uploadd */

/* A request a daemon has not answered yet, and who sent it. */
struct service_iq {
	TAILQ_ENTRY(service_iq)	 entry;
	int			 proc;
	int			 stream;	/* the session's */
	uint32_t		 session;
	struct stanza_msg	 m;		/* no XML: the error needs none */
};

static TAILQ_HEAD(, service_iq)	 service_iqs =
    TAILQ_HEAD_INITIALIZER(service_iqs);
static int			 service_niqs[PROC_MAX];	/* per daemon */

static void
service_iq_free(struct service_iq *q)
{
	TAILQ_REMOVE(&service_iqs, q, entry);
	service_niqs[q->proc]--;
	free(q->m.type);
	free(q->m.id);
	free(q->m.to);
	free(q->m.from);
	free(q);
}

/*
 * Keep a request of from's until its answer: an IQ get or set, and to
 * a daemon that speaks only to answer, a message (which it answers with
 * an error).  Past the bound, mucd's oldest request is forgotten (it
 * would get no error if mucd died); for a daemon that speaks only to
 * answer, whose answers pass only if their request is kept, -1: too
 * many wait already, IQs of this sender's or requests in all, and m is
 * refused rather than another sender's request forgotten.
 */
static int
service_iq_keep(struct service_link *sl, struct session *from,
    struct stanza_msg *m)
{
	struct service_iq	*q;
	int			 iq, n = 0;

	iq = m->kind == STANZA_IQ && (strcmp(m->type, "get") == 0 ||
	    strcmp(m->type, "set") == 0);
	if (from == NULL || m->id == NULL || (!iq && (!sl->answers_only ||
	    m->kind != STANZA_MESSAGE || strcmp(m->type, "error") == 0)))
		return (0);
	if (service_niqs[sl->proc] == SERVICE_ASKED_MAX) {
		if (sl->answers_only)
			return (-1);
		TAILQ_FOREACH(q, &service_iqs, entry)
			if (q->proc == sl->proc)
				break;
		service_iq_free(q);
	}
	TAILQ_FOREACH(q, &service_iqs, entry)
		if (sl->answers_only && iq && q->proc == sl->proc &&
		    q->m.kind == STANZA_IQ &&
		    strcmp(q->m.from, from->full) == 0 &&
		    ++n == SERVICE_ASKED_SENDER)
			return (-1);
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->m.type = strdup(m->type)) == NULL ||
	    (q->m.id = strdup(m->id)) == NULL ||
	    (q->m.to = strdup(m->to)) == NULL ||
	    (q->m.from = strdup(from->full)) == NULL)
		fatal("%s", __func__);
	q->proc = sl->proc;
	q->stream = from->stream;
	q->session = from->id;
	q->m.kind = m->kind;
	q->m.xml = "";
	TAILQ_INSERT_TAIL(&service_iqs, q, entry);
	service_niqs[sl->proc]++;
	return (0);
}

/*
 * A stanza from the daemon: an answer lets its request go.  1: m was
 * the answer to a request kept.
 */
int
service_answered(struct service_link *sl, const struct stanza_msg *m)
{
	struct service_iq	*q;

	if (m->id == NULL || (strcmp(m->type, "error") != 0 &&
	    (m->kind != STANZA_IQ || strcmp(m->type, "result") != 0)))
		return (0);
	TAILQ_FOREACH(q, &service_iqs, entry)
		if (q->proc == sl->proc && q->m.kind == m->kind &&
		    strcmp(q->m.id, m->id) == 0 &&
		    strcmp(q->m.from, m->to) == 0) {
			service_iq_free(q);
			return (1);
		}
	return (0);
}

/*
 * A stanza from session from to a service: to the daemon as it came,
 * or, with the daemon not running, the error a service that is away
 * earns.
 */
void
service_forward(struct service_link *sl, struct session *from,
    struct stanza_msg *m, struct imsg *imsg)
{
	struct imsgev	*iev;

	if ((iev = proc_peer(sl->proc, 0)) == NULL) {
		router_bounce(from, m, "wait", "service-unavailable");
		return;
	}
	if (service_iq_keep(sl, from, m) == -1) {
		log_warnx("%s: a request from %s refused: too many wait",
		    proc_name(sl->proc), from->full);
		router_bounce(from, m, "wait", "resource-constraint");
		return;
	}
	if (imsg != NULL)
		imsgev_forward(iev, imsg, 0);
	else
		(void)stanza_send_msg(iev, 0, m);
}

static void
service_ctl_fail(uint32_t id, const char *why)
{
	struct imsgev	*ctl;

	if ((ctl = proc_peer(PROC_CONTROL, 0)) != NULL)
		imsgev_compose(ctl, IMSG_CTL_FAIL, id, 0, -1, why,
		    strlen(why) + 1);
}

/* A control request for the daemon: passed on, its id kept. */
int
service_ctl(struct service_link *sl, int configured, struct imsg *imsg)
{
	struct imsgev	*iev;
	char		 why[64];
	uint32_t	 id = imsg_get_id(imsg);

	if (!configured) {
		(void)snprintf(why, sizeof(why), "no %s service is configured",
		    sl->what);
		service_ctl_fail(id, why);
	} else if ((iev = proc_peer(sl->proc, 0)) == NULL) {
		(void)snprintf(why, sizeof(why), "%s is not running",
		    proc_name(sl->proc));
		service_ctl_fail(id, why);
	} else if ((size_t)sl->nctl == nitems(sl->ctl_ids))
		service_ctl_fail(id, "too many requests");
	else {
		sl->ctl_ids[sl->nctl++] = id;
		imsgev_forward(iev, imsg, id);
	}
	return (0);
}

/* The daemon's answer to control; the request is done when last is. */
void
service_ctl_answer(struct service_link *sl, struct imsg *imsg, int last)
{
	struct imsgev	*ctl;
	uint32_t	 id = imsg_get_id(imsg);
	int		 i;

	for (i = 0; i < sl->nctl && sl->ctl_ids[i] != id; i++)
		;
	if (i == sl->nctl) {
		log_warnx("%s: an answer to no request from %s", __func__,
		    proc_name(sl->proc));
		return;
	}
	if ((ctl = proc_peer(PROC_CONTROL, 0)) != NULL)
		imsgev_forward(ctl, imsg, id);
	if (last)
		sl->ctl_ids[i] = sl->ctl_ids[--sl->nctl];
}

/*
 * The daemon is gone: what it was asked fails, the requests of sessions
 * still there with <service-unavailable/>.
 */
void
service_peer_down(struct service_link *sl)
{
	struct service_iq	*q, *next;
	struct session		*s;
	char			 why[64];

	(void)snprintf(why, sizeof(why), "%s went away", proc_name(sl->proc));
	while (sl->nctl > 0)
		service_ctl_fail(sl->ctl_ids[--sl->nctl], why);
	for (q = TAILQ_FIRST(&service_iqs); q != NULL; q = next) {
		next = TAILQ_NEXT(q, entry);
		if (q->proc != sl->proc)
			continue;
		if ((s = session_find_id(q->stream, q->session)) != NULL &&
		    strcmp(s->full, q->m.from) == 0)
			router_bounce(s, &q->m, "wait", "service-unavailable");
		service_iq_free(q);
	}
}

/*
 * A stanza from the daemon, read: 0 to route it; 1 dropped (its XML
 * cannot be read here, so not checked); -1 refused, the daemon sent
 * what it never does: a broken envelope, or XML that says another
 * sender, recipient or kind than the envelope the router routes on.
 */
int
service_stanza_recv(struct service_link *sl, struct imsg *imsg,
    struct stanza_msg *m)
{
	int	 ok;

	if (stanza_recv(imsg, m) == -1) {
		log_warnx("%s sent a stanza that cannot be read: refused",
		    proc_name(sl->proc));
		return (-1);
	}
	if ((ok = router_envelope_ok(m)) == 1)
		return (0);
	if (ok == -1)
		log_warnx("%s sent a stanza from %s the router cannot read: "
		    "dropped", proc_name(sl->proc), m->from);
	else
		log_warnx("%s sent a stanza from %s whose XML is not what "
		    "its envelope says: refused", proc_name(sl->proc),
		    m->from);
	stanza_msg_clear(m);
	return (ok == -1 ? 1 : -1);
}
