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
 * Stream management (XEP-0198), the router side: resumption ids, the
 * resumption timeout, and moving a session's unacked queue.  The queue
 * lives in the stream process holding the session (c2s_sm.c); while a
 * session is detached it stays available here and stanzas keep going
 * to that process, which queues them.  A resume (on any stream process)
 * moves the session to the new connection at once and asks the old
 * process for its queue, which is passed on in order; when a session
 * with stream management ends, its queue comes back here and each
 * stanza is stored offline or bounced (section 5), exactly once.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define SM_DETACHED_MAX	10		/* waiting sessions per account */

struct sm_session {
	RB_ENTRY(sm_session)	 node;		/* resumable ones, by id */
	struct session		*s;
	char			 id[SM_ID_LEN];
	uint32_t		 max;		/* seconds */
	int			 detached;
	struct event		 timer;
};

/* A queue on its way from (stream, id): to a resumed session, or back. */
struct sm_move {
	TAILQ_ENTRY(sm_move)	 entry;
	int			 stream;
	uint32_t		 id;
	int			 mode;		/* enum sm_takeover_mode */
	int			 to_stream;
	uint32_t		 to_id;
};

RB_HEAD(sm_ids, sm_session);
static struct sm_ids		 sm_ids = RB_INITIALIZER(&sm_ids);
static TAILQ_HEAD(, sm_move)	 sm_moves = TAILQ_HEAD_INITIALIZER(sm_moves);

static int
sm_id_cmp(struct sm_session *a, struct sm_session *b)
{
	return (strcmp(a->id, b->id));
}

RB_GENERATE_STATIC(sm_ids, sm_session, node, sm_id_cmp);

static struct sm_move *
sm_move_find(int stream, uint32_t id)
{
	struct sm_move	*mv;

	TAILQ_FOREACH(mv, &sm_moves, entry)
		if (mv->stream == stream && mv->id == id)
			return (mv);
	return (NULL);
}

/* Ask (stream, id) for its queue. */
static void
sm_takeover(int stream, uint32_t id, int mode, int to_stream,
    uint32_t to_id)
{
	struct sm_takeover	 t;
	struct sm_move		*mv;
	struct imsgev		*iev;

	if ((iev = proc_peer(PROC_STREAM, stream)) == NULL)
		return;
	if ((mv = calloc(1, sizeof(*mv))) == NULL)
		fatal("%s", __func__);
	mv->stream = stream;
	mv->id = id;
	mv->mode = mode;
	mv->to_stream = to_stream;
	mv->to_id = to_id;
	TAILQ_INSERT_TAIL(&sm_moves, mv, entry);
	memset(&t, 0, sizeof(t));
	t.mode = mode;
	imsgev_compose(iev, IMSG_SM_TAKEOVER, id, 0, -1, &t, sizeof(t));
}

/* The session ends: its queue comes back to be stored or bounced. */
static void
sm_session_end(struct session *s)
{
	struct sm_session	*sm = s->sm;

	if (sm == NULL)
		return;
	if (sm->id[0] != '\0')
		RB_REMOVE(sm_ids, &sm_ids, sm);
	evtimer_del(&sm->timer);
	s->sm = NULL;
	free(sm);
	sm_takeover(s->stream, s->id, SM_TAKEOVER_EXPIRE, -1, 0);
}

static void
sm_expired(int fd, short event, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	(void)event;
	log_info("session %s: not resumed in time", s->full);
	session_close(s, CLOSE_SHUTDOWN, NULL);
}

/*
 * Stanzas the router built itself (router_deliver_xml) carry no routing
 * strings: take them from the XML, which the router wrote.
 */
static int
sm_envelope(struct stanza_msg *m)
{
	struct xml_node	*n;
	const char	*v;
	char		**f[] = { &m->type, &m->id, &m->to, &m->from };
	const char	*a[] = { "type", "id", "to", "from" };
	size_t		 i;

	if ((n = router_parse(m->xml, m->xmllen, NS_CLIENT)) == NULL)
		return (-1);
	for (i = 0; i < nitems(f); i++) {
		if ((v = xml_get_attr(n, a[i])) == NULL)
			v = "";
		free(*f[i]);
		if ((*f[i] = strdup(v)) == NULL)
			fatal("%s", __func__);
	}
	xml_node_free(n);
	return (m->to[0] == '\0' ? -1 : 0);
}

/*
 * A stanza the session never acknowledged, now nobody's: a message is
 * kept offline when offline storage keeps it (RFC 6121 section 8.5.3),
 * else it and an IQ request bounce to a local sender (XEP-0198 section
 * 5); presence and answers are dropped.
 */
static void
sm_undeliverable(struct imsg *imsg)
{
	struct stanza_msg	 m;
	struct session		*from, none;

	if (stanza_recv(imsg, &m) == -1)
		fatalx("%s: bad stanza", __func__);
	if (m.to[0] == '\0' && sm_envelope(&m) == -1) {
		stanza_msg_clear(&m);
		return;
	}
	from = m.from[0] != '\0' ? session_find_full(m.from) : NULL;
	memset(&none, 0, sizeof(none));
	none.stream = -1;
	if (m.kind == STANZA_MESSAGE && m.to[0] != '\0' &&
	    router_hook_undeliverable(from != NULL ? from : &none, &m) == 0)
		log_debug("unacked message to %s kept offline", m.to);
	else if (m.kind != STANZA_PRESENCE && from != NULL)
		router_bounce(from, &m, "cancel", "service-unavailable");
	stanza_msg_clear(&m);
}

static void
sm_enable(struct imsgev *iev, struct imsg *imsg)
{
	struct sm_enable	 e;
	struct sm_session	*sm;
	struct session		*s;

	if (imsg_get_data(imsg, &e, sizeof(e)) == -1)
		fatalx("%s: bad enable", __func__);
	e.id[sizeof(e.id) - 1] = '\0';
	if ((s = session_find_id(iev->instance, imsg_get_id(imsg))) == NULL ||
	    s->sm != NULL)
		return;
	if ((sm = calloc(1, sizeof(*sm))) == NULL)
		fatal("%s", __func__);
	sm->s = s;
	(void)strlcpy(sm->id, e.id, sizeof(sm->id));
	sm->max = e.max;
	evtimer_set(&sm->timer, sm_expired, s);
	if (sm->id[0] != '\0' && RB_INSERT(sm_ids, &sm_ids, sm) != NULL) {
		log_warnx("%s: duplicate resumption id", __func__);
		sm->id[0] = '\0';
	}
	s->sm = sm;
}

/* The connection is gone; a resumable session waits for its client. */
static void
sm_detached(struct imsgev *iev, struct imsg *imsg)
{
	struct session	*s, *o;
	struct timeval	 tv;
	int		 n = 0;

	s = session_find_id(iev->instance, imsg_get_id(imsg));
	if (s == NULL || s->sm == NULL) {
		/* Nothing to wait for: have the stream forget its queue. */
		sm_takeover(iev->instance, imsg_get_id(imsg),
		    SM_TAKEOVER_EXPIRE, -1, 0);
		return;
	}
	TAILQ_FOREACH(o, &s->user->sessions, user_entry)
		if (o->sm != NULL && o->sm->detached)
			n++;
	if (n >= SM_DETACHED_MAX)
		log_info("session %s not kept: %d others wait", s->full, n);
	if (s->sm->id[0] == '\0' || s->sm->max == 0 || n >= SM_DETACHED_MAX) {
		session_close(s, CLOSE_SHUTDOWN, NULL);
		return;
	}
	s->sm->detached = 1;
	tv.tv_sec = s->sm->max;
	tv.tv_usec = 0;
	evtimer_add(&s->sm->timer, &tv);
	log_info("session %s detached, resumable for %us", s->full,
	    s->sm->max);
}

/*
 * Only the account that enabled it may resume a session: anything else
 * is <item-not-found/>, as for an id never seen, and changes nothing.
 */
static void
sm_resume(struct imsgev *iev, struct imsg *imsg)
{
	struct sm_resume	 req;
	struct sm_resumed	 rep;
	struct sm_session	 key, *sm;
	struct session		*s;
	uint32_t		 id = imsg_get_id(imsg);

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1)
		fatalx("%s: bad resume", __func__);
	req.id[sizeof(req.id) - 1] = '\0';
	req.localpart[sizeof(req.localpart) - 1] = '\0';
	req.domain[sizeof(req.domain) - 1] = '\0';
	req.addr[sizeof(req.addr) - 1] = '\0';
	req.tls[sizeof(req.tls) - 1] = '\0';
	memset(&rep, 0, sizeof(rep));
	(void)strlcpy(key.id, req.id, sizeof(key.id));
	if (session_find_id(iev->instance, id) != NULL)
		fatalx("%s: stream %d resumes a bound session", __func__,
		    iev->instance);
	if (req.id[0] == '\0' ||
	    (sm = RB_FIND(sm_ids, &sm_ids, &key)) == NULL ||
	    strcmp(sm->s->user->local, req.localpart) != 0 ||
	    strcmp(sm->s->user->domain, req.domain) != 0) {
		log_info("resume by %s@%s from %s refused: unknown id",
		    req.localpart, req.domain, req.addr);
		imsgev_compose(iev, IMSG_SM_RESUMED, id, 0, -1, &rep,
		    sizeof(rep));
		return;
	}
	s = sm->s;
	evtimer_del(&sm->timer);
	sm->detached = 0;
	sm_takeover(s->stream, s->id, SM_TAKEOVER_RESUME, iev->instance, id);
	session_move(s, iev->instance, id);
	(void)strlcpy(s->addr, req.addr, sizeof(s->addr));
	(void)strlcpy(s->tls, req.tls, sizeof(s->tls));
	rep.ok = 1;
	(void)strlcpy(rep.full, s->full, sizeof(rep.full));
	imsgev_compose(iev, IMSG_SM_RESUMED, id, 0, -1, &rep, sizeof(rep));
	log_info("session %s resumed on stream %d", s->full, iev->instance);
}

/* A piece of a queue on its way: pass it on, or dispose of it. */
static void
sm_replay(struct imsgev *iev, struct imsg *imsg)
{
	struct sm_move	*mv;
	struct session	*to = NULL;
	struct imsgev	*dst = NULL;

	if ((mv = sm_move_find(iev->instance, imsg_get_id(imsg))) == NULL) {
		log_warnx("%s: no move from stream %d session %u", __func__,
		    iev->instance, imsg_get_id(imsg));
		return;
	}
	if (mv->mode == SM_TAKEOVER_RESUME &&
	    (to = session_find_id(mv->to_stream, mv->to_id)) != NULL)
		dst = proc_peer(PROC_STREAM, mv->to_stream);
	if (imsg_get_type(imsg) == IMSG_SM_REPLAY_END) {
		if (dst != NULL)
			imsgev_forward(dst, imsg, mv->to_id);
		TAILQ_REMOVE(&sm_moves, mv, entry);
		free(mv);
	} else if (dst != NULL)
		imsgev_forward(dst, imsg, mv->to_id);
	else
		sm_undeliverable(imsg);
}

int
sm_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_SM_ENABLE:
	case IMSG_SM_DETACHED:
	case IMSG_SM_RESUME:
	case IMSG_SM_REPLAY:
	case IMSG_SM_REPLAY_END:
		break;
	default:
		return (1);
	}
	if (iev->type != PROC_STREAM)
		return (-1);
	switch (imsg_get_type(imsg)) {
	case IMSG_SM_ENABLE:
		sm_enable(iev, imsg);
		break;
	case IMSG_SM_DETACHED:
		sm_detached(iev, imsg);
		break;
	case IMSG_SM_RESUME:
		sm_resume(iev, imsg);
		break;
	default:
		sm_replay(iev, imsg);
		break;
	}
	return (0);
}

/*
 * A stream process is gone with the queues it held: a resume waiting
 * for one of them learns the state is lost.
 */
void
sm_stream_down(int stream)
{
	struct sm_move		*mv, *next;
	struct sm_counts	 sc;
	struct imsgev		*iev;

	memset(&sc, 0, sizeof(sc));
	for (mv = TAILQ_FIRST(&sm_moves); mv != NULL; mv = next) {
		next = TAILQ_NEXT(mv, entry);
		if (mv->stream != stream)
			continue;	/* to it: replays bounce, see above */
		if (mv->mode == SM_TAKEOVER_RESUME &&
		    (iev = proc_peer(PROC_STREAM, mv->to_stream)) != NULL)
			imsgev_compose(iev, IMSG_SM_REPLAY_END, mv->to_id, 0,
			    -1, &sc, sizeof(sc));
		TAILQ_REMOVE(&sm_moves, mv, entry);
		free(mv);
	}
}

const struct router_hooks sm_hooks = {
	.session_end = sm_session_end,
};
