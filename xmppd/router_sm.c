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
 * stanza meets its fate once (sm_fate()).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "grant.h"
#include "jid.h"
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
	char			*full;		/* the session that ended */
	char			*bare;
	int			 priority;	/* its last one, -1: unknown */
};

/* What becomes of a stanza a session that ended never acknowledged. */
enum sm_fate {
	SM_DROP,
	SM_OFFLINE,
	SM_BOUNCE,
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

static void
sm_move_free(struct sm_move *mv)
{
	TAILQ_REMOVE(&sm_moves, mv, entry);
	free(mv->full);
	free(mv->bare);
	free(mv);
}

/* Ask (stream, id) for its queue; ended, when known, is its session. */
static void
sm_takeover(int stream, uint32_t id, int mode, int to_stream,
    uint32_t to_id, struct session *ended)
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
	mv->priority = -1;
	if (ended != NULL) {
		if ((mv->full = strdup(ended->full)) == NULL ||
		    (mv->bare = strdup(ended->user->bare)) == NULL)
			fatal("%s", __func__);
		mv->priority = ended->priority;
	}
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
	sm_takeover(s->stream, s->id, SM_TAKEOVER_EXPIRE, -1, 0, s);
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
 * strings: take them from n, their XML, which the router wrote.
 */
static void
sm_envelope(struct stanza_msg *m, struct xml_node *n)
{
	const char	*v;
	char		**f[] = { &m->type, &m->id, &m->to, &m->from };
	const char	*a[] = { "type", "id", "to", "from" };
	size_t		 i;

	for (i = 0; i < nitems(f); i++) {
		if ((v = xml_get_attr(n, a[i])) == NULL)
			v = "";
		free(*f[i]);
		if ((*f[i] = strdup(v)) == NULL)
			fatal("%s", __func__);
	}
}

/*
 * Another session of the account that has message m (n its XML) too:
 * its carbon copy (XEP-0280 section 7), or m itself when m went to the
 * bare JID, and so to each available resource of the priority the
 * ended session had (RFC 6121 section 8.5.2.1.1).  NULL when none has.
 * A session waiting for a resume holds its copy unseen, and a copy is
 * never kept offline: that one does not count.
 */
static struct session *
sm_seen_by(struct sm_move *mv, struct stanza_msg *m, struct xml_node *n)
{
	struct user	*u;
	struct session	*o;
	int		 copied, bare;

	if (mv->bare == NULL || (u = session_find_user(mv->bare)) == NULL)
		return (NULL);
	copied = carbons_eligible(m, n);
	bare = strchr(m->to, '/') == NULL;
	TAILQ_FOREACH(o, &u->sessions, user_entry) {
		if (strcmp(o->full, mv->full) == 0)
			continue;	/* the same resource, bound again */
		if ((copied && o->carbons && (o->sm == NULL ||
		    !o->sm->detached)) || (bare && mv->priority >= 0 &&
		    o->available && o->priority == mv->priority))
			return (o);
	}
	return (NULL);
}

/*
 * XEP-0198 section 5 has a server treat what a session never
 * acknowledged as stanzas for a resource gone unavailable, without
 * frightening anyone: an unacked stanza need not be an unseen one.
 * - A message with a body is kept offline (RFC 6121 section 8.5.3), or
 *   bounced when it cannot be; but not when another session of the
 *   account has it (sm_seen_by()): that device shows it already, and
 *   once offline it would come to the user a second time.
 * - A message without a body (chat states, receipts, markers, the
 *   carbons and archive results the server wraps), a headline and an
 *   error are dropped, as is presence.
 * - An IQ request is answered <service-unavailable/> (RFC 6120 section
 *   8.2.3: every request gets an answer); IQ answers are dropped.
 */
static int
sm_fate(struct sm_move *mv, struct stanza_msg *m, struct xml_node *n)
{
	struct session	*o;

	if (m->kind == STANZA_IQ)
		return (strcmp(m->type, "get") == 0 ||
		    strcmp(m->type, "set") == 0 ? SM_BOUNCE : SM_DROP);
	if (m->kind != STANZA_MESSAGE || strcmp(m->type, "error") == 0 ||
	    strcmp(m->type, "headline") == 0 || m->to[0] == '\0' ||
	    xml_find_child(n, NS_CLIENT, "body") == NULL)
		return (SM_DROP);
	if ((o = sm_seen_by(mv, m, n)) != NULL) {
		log_debug("unacked message to %s dropped: %s has it", m->to,
		    o->full);
		return (SM_DROP);
	}
	return (SM_OFFLINE);
}

/*
 * Was m, as the stream gives it back, sent to the account of the
 * session that ended?  Nothing else was in its queue: a stream that
 * says otherwise would have the router store, in another user's
 * offline queue, a stanza no one sent.
 */
static int
sm_was_sent(struct sm_move *mv, struct stanza_msg *m)
{
	struct jid	 to;
	char		 bare[CONF_JIDLEN];

	return (mv->bare != NULL && jid_parse(m->to, &to) == 0 &&
	    jid_bare(&to, bare, sizeof(bare)) < sizeof(bare) &&
	    strcmp(bare, mv->bare) == 0);
}

/*
 * A stanza the session never acknowledged, now nobody's.  -1: not a
 * stanza a stream writes.
 */
static int
sm_undeliverable(struct sm_move *mv, struct imsg *imsg)
{
	struct stanza_msg	 m;
	struct session		*from, none;
	struct xml_node		*n;
	const char		*kind;

	if (stanza_recv(imsg, &m) == -1) {
		log_warnx("%s: a bad stanza from stream %d", __func__,
		    mv->stream);
		return (-1);
	}
	if ((n = router_parse(m.xml, m.xmllen, NS_CLIENT)) == NULL) {
		/* Its fate cannot be told: its sender hears it failed. */
		log_warnx("%s: an unacked stanza unreadable", __func__);
		if (m.from[0] != '\0' &&
		    (from = session_find_full(m.from)) != NULL)
			router_bounce(from, &m, "cancel",
			    "internal-server-error");
		stanza_msg_clear(&m);
		return (0);
	}
	if (m.to[0] == '\0')
		sm_envelope(&m, n);
	if (m.to[0] != '\0' && !sm_was_sent(mv, &m)) {
		log_warnx("stream %d: an unacked stanza to %s, not %s's: "
		    "refused", mv->stream, m.to, mv->bare != NULL ?
		    mv->bare : "a known session");
		xml_node_free(n);
		stanza_msg_clear(&m);
		/* With no session to tell it by, the lie is not certain. */
		return (mv->bare != NULL ? -1 : 0);
	}
	kind = m.kind == STANZA_MESSAGE ? "message" : m.kind == STANZA_IQ ?
	    "iq" : "presence";
	from = m.from[0] != '\0' ? session_find_full(m.from) : NULL;
	memset(&none, 0, sizeof(none));
	none.stream = -1;
	switch (sm_fate(mv, &m, n)) {
	case SM_OFFLINE:
		if (router_hook_undeliverable(from != NULL ? from : &none,
		    &m) == 0) {
			log_debug("unacked message to %s kept offline", m.to);
			break;
		}
		/* FALLTHROUGH */
	case SM_BOUNCE:
		log_debug("unacked %s to %s bounced", kind, m.to);
		if (from != NULL)
			router_bounce(from, &m, "cancel",
			    "service-unavailable");
		break;
	default:
		log_debug("unacked %s to %s dropped", kind, m.to);
		break;
	}
	xml_node_free(n);
	stanza_msg_clear(&m);
	return (0);
}

/* -1: not a request a stream writes. */
static int
sm_enable(struct imsgev *iev, struct imsg *imsg)
{
	struct sm_enable	 e;
	struct sm_session	*sm;
	struct session		*s;

	if (imsg_get_data(imsg, &e, sizeof(e)) == -1) {
		log_warnx("%s: a bad request from stream %d", __func__,
		    iev->instance);
		return (-1);
	}
	e.id[sizeof(e.id) - 1] = '\0';
	if ((s = session_find_id(iev->instance, imsg_get_id(imsg))) == NULL ||
	    s->sm != NULL)
		return (0);
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
	return (0);
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
		    SM_TAKEOVER_EXPIRE, -1, 0, NULL);
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
static int
sm_resume(struct imsgev *iev, struct imsg *imsg)
{
	struct sm_resume	 req;
	struct sm_resumed	 rep;
	struct sm_session	 key, *sm;
	struct session		*s;
	uint32_t		 id = imsg_get_id(imsg);

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1)
		return (-1);
	req.id[sizeof(req.id) - 1] = '\0';
	req.localpart[sizeof(req.localpart) - 1] = '\0';
	req.domain[sizeof(req.domain) - 1] = '\0';
	req.addr[sizeof(req.addr) - 1] = '\0';
	req.tls[sizeof(req.tls) - 1] = '\0';
	req.transport[sizeof(req.transport) - 1] = '\0';
	memset(&rep, 0, sizeof(rep));
	(void)strlcpy(key.id, req.id, sizeof(key.id));
	if (session_find_id(iev->instance, id) != NULL) {
		log_warnx("stream %d resumes a bound session", iev->instance);
		return (-1);
	}
	if (!grant_ok(router_grant_key(req.domain), iev->instance, id,
	    req.localpart, req.domain, req.grant)) {
		log_warnx("stream %d: resume as %s@%s that no login granted: "
		    "refused", iev->instance, req.localpart, req.domain);
		return (-1);
	}
	if (req.id[0] == '\0' ||
	    (sm = RB_FIND(sm_ids, &sm_ids, &key)) == NULL ||
	    strcmp(sm->s->user->local, req.localpart) != 0 ||
	    strcmp(sm->s->user->domain, req.domain) != 0) {
		log_info("resume by %s@%s from %s refused: unknown id",
		    req.localpart, req.domain, req.addr);
		imsgev_compose(iev, IMSG_SM_RESUMED, id, 0, -1, &rep,
		    sizeof(rep));
		return (0);
	}
	s = sm->s;
	evtimer_del(&sm->timer);
	sm->detached = 0;
	sm_takeover(s->stream, s->id, SM_TAKEOVER_RESUME, iev->instance, id,
	    NULL);
	session_move(s, iev->instance, id);
	(void)strlcpy(s->addr, req.addr, sizeof(s->addr));
	(void)strlcpy(s->tls, req.tls, sizeof(s->tls));
	(void)strlcpy(s->transport, req.transport, sizeof(s->transport));
	rep.ok = 1;
	(void)strlcpy(rep.full, s->full, sizeof(rep.full));
	imsgev_compose(iev, IMSG_SM_RESUMED, id, 0, -1, &rep, sizeof(rep));
	log_info("session %s resumed on stream %d", s->full, iev->instance);
	return (0);
}

/* A piece of a queue on its way: pass it on, or dispose of it. */
static int
sm_replay(struct imsgev *iev, struct imsg *imsg)
{
	struct sm_move	*mv;
	struct session	*to = NULL;
	struct imsgev	*dst = NULL;

	if ((mv = sm_move_find(iev->instance, imsg_get_id(imsg))) == NULL) {
		log_warnx("%s: no move from stream %d session %u", __func__,
		    iev->instance, imsg_get_id(imsg));
		return (0);
	}
	if (mv->mode == SM_TAKEOVER_RESUME &&
	    (to = session_find_id(mv->to_stream, mv->to_id)) != NULL)
		dst = proc_peer(PROC_STREAM, mv->to_stream);
	if (imsg_get_type(imsg) == IMSG_SM_REPLAY_END) {
		if (dst != NULL)
			imsgev_forward(dst, imsg, mv->to_id);
		sm_move_free(mv);
	} else if (dst != NULL)
		imsgev_forward(dst, imsg, mv->to_id);
	else
		return (sm_undeliverable(mv, imsg));
	return (0);
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
		return (sm_enable(iev, imsg));
	case IMSG_SM_DETACHED:
		sm_detached(iev, imsg);
		break;
	case IMSG_SM_RESUME:
		return (sm_resume(iev, imsg));
	default:
		return (sm_replay(iev, imsg));
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
		sm_move_free(mv);
	}
}

const struct router_hooks sm_hooks = {
	.session_end = sm_session_end,
};
