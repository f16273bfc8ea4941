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
 * In-order processing (RFC 6120 section 10.1): a session's stanzas take
 * effect in the order the client sent them, even when one of them must
 * wait for the store or the directory.  A feature that finishes a
 * stanza's work later takes a hold (router_hold) on the session whose
 * stanza it is handling, and runs the rest inside router_enter() and
 * router_leave(), which lets go of it.  While a session is held, what
 * it sends next (stanzas, the end of the session, CSI) waits here, and
 * is handled in order once the last hold is gone; when much waits, its
 * stream process stops reading it for a while.  Work done inside
 * router_enter() may take holds of its own, so a chain (the directory,
 * then the store) keeps the session held to its end.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"

/*
 * A session with ORDER_STOP_AT waiting stanzas is read no more until
 * ORDER_GO_AT are left: its client is slowed, as by its rate.  What was
 * read already still comes, within the bounds after which stanzas are
 * refused.
 */
#define ORDER_STOP_AT		32
#define ORDER_GO_AT		8
#define ORDER_QUEUE_MAX		4096	/* stanzas waiting per session */
#define ORDER_QUEUE_BYTES	(4 * 1024 * 1024)
#ifndef REGRESS
#define ORDER_HOLD_MAX		60	/* seconds before a hold is ignored */
#else
#define ORDER_HOLD_MAX		10
#endif

struct order_hold;

/* What a session sent while it was held. */
struct order_item {
	TAILQ_ENTRY(order_item)	 entry;
	uint32_t		 type;
	size_t			 len;
	unsigned char		 data[];
};

struct order_gate {
	TAILQ_ENTRY(order_gate)	 ready;		/* to be replayed */
	struct session		*s;		/* NULL once it ended */
	int			 refs;		/* s, holds, contexts */
	int			 holds;
	int			 onready;
	int			 stopped;	/* its stream reads no more */
	time_t			 since;		/* held since */
	TAILQ_HEAD(, order_item) queue;
	size_t			 nqueue;
	size_t			 qbytes;
	TAILQ_HEAD(, order_hold) held;
};

struct order_hold {
	RB_ENTRY(order_hold)	 node;
	TAILQ_ENTRY(order_hold)	 entry;
	uint32_t		 token;
	struct order_gate	*gate;
};

RB_HEAD(order_holds, order_hold);

static int	order_hold_cmp(struct order_hold *, struct order_hold *);
static void	order_expire_arm(void);
RB_GENERATE_STATIC(order_holds, order_hold, node, order_hold_cmp);

static struct order_holds	 order_holds = RB_INITIALIZER(&order_holds);
static TAILQ_HEAD(, order_gate)	 order_ready =
				    TAILQ_HEAD_INITIALIZER(order_ready);
static struct event		 order_ev;
static struct event		 order_expire_ev;	/* holds kept too long */
static struct order_gate	*order_cur;	/* whose work runs now */
static uint32_t			 order_next;
static int			(*order_handle)(struct imsgev *,
				    struct imsg *);

static int
order_hold_cmp(struct order_hold *a, struct order_hold *b)
{
	return (a->token < b->token ? -1 : a->token > b->token);
}

static void
order_unref(struct order_gate *g)
{
	struct order_item	*it;

	if (g == NULL || --g->refs > 0)
		return;
	while ((it = TAILQ_FIRST(&g->queue)) != NULL) {
		TAILQ_REMOVE(&g->queue, it, entry);
		free(it);
	}
	free(g);
}

/* The gate is open: replay what waited, soon, from the event loop. */
static void
order_schedule(struct order_gate *g)
{
	struct timeval	 tv = { 0, 0 };

	if (g->onready || g->s == NULL || g->holds > 0 ||
	    TAILQ_EMPTY(&g->queue))
		return;
	g->onready = 1;
	g->refs++;
	TAILQ_INSERT_TAIL(&order_ready, g, ready);
	if (!evtimer_pending(&order_ev, NULL))
		evtimer_add(&order_ev, &tv);
}

static void
order_drop(struct order_hold *h)
{
	struct order_gate	*g = h->gate;

	RB_REMOVE(order_holds, &order_holds, h);
	TAILQ_REMOVE(&g->held, h, entry);
	free(h);
	g->holds--;
	order_schedule(g);
	order_unref(g);
}

/*
 * Hold the session whose stanza is being handled: its next stanzas
 * wait until router_leave() with the token.  0 when there is none (the
 * work was not started by a session's stanza); 0 is never a hold.
 */
uint32_t
router_hold(void)
{
	struct order_gate	*g = order_cur;
	struct order_hold	*h;

	if (g == NULL || g->s == NULL)
		return (0);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		fatal("%s", __func__);
	do {
		if (++order_next == 0)
			order_next = 1;
		h->token = order_next;
	} while (RB_INSERT(order_holds, &order_holds, h) != NULL);
	h->gate = g;
	TAILQ_INSERT_TAIL(&g->held, h, entry);
	if (g->holds++ == 0)
		g->since = getmonotime();
	g->refs++;
	order_expire_arm();
	return (h->token);
}

/*
 * Work held by token goes on: holds it takes are the same session's.
 * Token 0 (work nobody held, or done at once) keeps what is current.
 * Returns what to give router_leave().
 */
void *
router_enter(uint32_t token)
{
	struct order_hold	 key, *h;
	struct order_gate	*prev = order_cur;

	key.token = token;
	if (token != 0 &&
	    (h = RB_FIND(order_holds, &order_holds, &key)) != NULL)
		order_cur = h->gate;
	if (order_cur != NULL)
		order_cur->refs++;
	return (prev);
}

/*
 * Work begun for session s as if one of its stanzas had started it (a
 * new session's loads): what s sends next waits for what this holds.
 * Returns what to give router_leave() with token 0.
 */
void *
router_enter_session(struct session *s)
{
	struct order_gate	*prev = order_cur;

	order_cur = s->gate;
	order_cur->refs++;
	return (prev);
}

/* The work held by token is done. */
void
router_leave(uint32_t token, void *prev)
{
	struct order_hold	 key, *h;
	struct order_gate	*g = order_cur;

	key.token = token;
	if (token != 0 &&
	    (h = RB_FIND(order_holds, &order_holds, &key)) != NULL)
		order_drop(h);
	order_cur = prev;
	order_unref(g);
}

/* Let go of a hold whose work will not go on (a request not sent). */
void
router_release(uint32_t token)
{
	router_leave(token, router_enter(token));
}

/*
 * A hold kept far too long is a bug elsewhere, or a store that stalls:
 * the session goes on.  Returns 1 when it let go of g's holds.
 */
static int
order_expire(struct order_gate *g)
{
	struct order_hold	*h;

	if (g->s == NULL || g->holds == 0 ||
	    getmonotime() - g->since < ORDER_HOLD_MAX)
		return (0);
	log_warnx("%s: held %d times for %lld s; going on", g->s->full,
	    g->holds, (long long)(getmonotime() - g->since));
	g->refs++;
	while ((h = TAILQ_FIRST(&g->held)) != NULL)
		order_drop(h);
	order_unref(g);
	return (1);
}

/*
 * Look at the holds once a second while there are some: a session whose
 * client sends nothing more (its end waits behind a hold) is let go of
 * too, and its end handled, without waiting for the work it waits for.
 */
static void
order_expire_arm(void)
{
	struct timeval	 tv = { 1, 0 };

	if (!RB_EMPTY(&order_holds) &&
	    !evtimer_pending(&order_expire_ev, NULL))
		evtimer_add(&order_expire_ev, &tv);
}

static void
order_expire_all(int fd, short event, void *arg)
{
	struct order_hold	*h;
	int			 again;

	(void)fd;
	(void)event;
	(void)arg;
	/* Expiring a gate drops its holds from the tree: walk it anew. */
	do {
		again = 0;
		RB_FOREACH(h, order_holds, &order_holds)
			if ((again = order_expire(h->gate)) != 0)
				break;
	} while (again);
	order_expire_arm();
}

static int
order_gated(uint32_t type)
{
	return (type == IMSG_STANZA || type == IMSG_SESSION_END ||
	    type == IMSG_CSI_STATE);
}

/* Too much waits behind a hold: the client hears so, nothing is lost. */
static void
order_refuse(struct session *s, struct imsg *imsg)
{
	struct stanza_msg	 m;

	if (imsg_get_type(imsg) != IMSG_STANZA ||
	    stanza_recv(imsg, &m) == -1)
		return;
	router_bounce(s, &m, "wait", "resource-constraint");
	stanza_msg_clear(&m);
}

/* Tell the session's stream process to stop reading it, or to go on. */
static void
order_flow(struct order_gate *g, int go)
{
	struct imsgev	*iev;

	if (g->s == NULL || g->stopped == !go ||
	    (iev = proc_peer(PROC_STREAM, g->s->stream)) == NULL)
		return;
	g->stopped = !go;
	log_debug("%s: %zu waiting, its stream %s", g->s->full, g->nqueue,
	    go ? "reads again" : "stops reading");
	imsgev_compose(iev, IMSG_SESSION_FLOW, g->s->id, 0, -1, &go,
	    sizeof(go));
}

static int
order_queue(struct order_gate *g, struct imsg *imsg)
{
	struct order_item	*it;
	size_t			 len = imsg_get_len(imsg);

	if ((g->nqueue >= ORDER_QUEUE_MAX ||
	    g->qbytes + len > ORDER_QUEUE_BYTES) &&
	    imsg_get_type(imsg) == IMSG_STANZA) {
		order_refuse(g->s, imsg);
		return (0);
	}
	log_debug("%s: waits behind %d, %zu before it", g->s->full, g->holds,
	    g->nqueue);
	if ((it = malloc(sizeof(*it) + len)) == NULL)
		fatal("%s", __func__);
	it->type = imsg_get_type(imsg);
	it->len = len;
	if (len > 0)
		memcpy(it->data, imsg->data, len);
	TAILQ_INSERT_TAIL(&g->queue, it, entry);
	g->nqueue++;
	g->qbytes += len;
	if (g->nqueue >= ORDER_STOP_AT)
		order_flow(g, 0);
	return (0);
}

/* Handle imsg with g's session current. */
static int
order_run(struct order_gate *g, struct imsgev *iev, struct imsg *imsg)
{
	struct order_gate	*prev = order_cur;
	int			 r;

	order_cur = g;
	g->refs++;
	r = order_handle(iev, imsg);
	order_cur = prev;
	order_unref(g);
	return (r);
}

/* An imsg again, as the stream process sent it to session id. */
static void
order_imsg(struct imsg *imsg, const struct order_item *it, uint32_t id)
{
	memset(imsg, 0, sizeof(*imsg));
	imsg->hdr.type = it->type;
	imsg->hdr.peerid = id;
	imsg->hdr.len = IMSG_HEADER_SIZE + it->len;
	if (it->len == 0)
		return;
	if ((imsg->buf = ibuf_open(it->len)) == NULL ||
	    ibuf_add(imsg->buf, it->data, it->len) == -1)
		fatal("%s", __func__);
	imsg->data = ibuf_data(imsg->buf);
}

/* Replay what the open gates kept, in order, until one is held again. */
static void
order_replay(int fd, short event, void *arg)
{
	struct order_gate	*g;
	struct order_item	*it;
	struct imsgev		*iev;
	struct imsg		 imsg;

	(void)fd;
	(void)event;
	(void)arg;
	while ((g = TAILQ_FIRST(&order_ready)) != NULL) {
		TAILQ_REMOVE(&order_ready, g, ready);
		g->onready = 0;
		while (g->s != NULL && g->holds == 0 &&
		    (it = TAILQ_FIRST(&g->queue)) != NULL) {
			TAILQ_REMOVE(&g->queue, it, entry);
			g->nqueue--;
			g->qbytes -= it->len;
			if (g->nqueue <= ORDER_GO_AT)
				order_flow(g, 1);
			if ((iev = proc_peer(PROC_STREAM,
			    g->s->stream)) != NULL) {
				order_imsg(&imsg, it, g->s->id);
				if (order_run(g, iev, &imsg) == -1)
					log_warnx("%s: stream %d: a refused "
					    "message dropped", __func__,
					    g->s != NULL ? g->s->stream : -1);
				imsg_free(&imsg);
			}
			free(it);
		}
		order_unref(g);
	}
}

/*
 * The router's dispatch: a held session's messages wait, the others are
 * handled (by order_init's fn) with their session current.
 */
int
order_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct session	*s;

	if (iev->type != PROC_STREAM || !order_gated(imsg_get_type(imsg)) ||
	    (s = session_find_id(iev->instance, imsg_get_id(imsg))) == NULL)
		return (order_handle(iev, imsg));
	(void)order_expire(s->gate);
	if (s->gate->holds > 0 || !TAILQ_EMPTY(&s->gate->queue))
		return (order_queue(s->gate, imsg));
	return (order_run(s->gate, iev, imsg));
}

void
order_init(int (*fn)(struct imsgev *, struct imsg *))
{
	order_handle = fn;
	evtimer_set(&order_ev, order_replay, NULL);
	evtimer_set(&order_expire_ev, order_expire_all, NULL);
}

void
order_session_new(struct session *s)
{
	if ((s->gate = calloc(1, sizeof(*s->gate))) == NULL)
		fatal("%s", __func__);
	s->gate->s = s;
	s->gate->refs = 1;
	TAILQ_INIT(&s->gate->queue);
	TAILQ_INIT(&s->gate->held);
}

/*
 * The session is gone: what it sent and is still waiting is dropped
 * (its stream has closed, or the server closed it); work under way
 * finishes without it.
 */
void
order_session_free(struct session *s)
{
	struct order_gate	*g = s->gate;
	struct order_item	*it;

	if (g == NULL)
		return;
	if (g->nqueue > 0)
		log_debug("%s: %zu waiting stanzas dropped", s->full,
		    g->nqueue);
	while ((it = TAILQ_FIRST(&g->queue)) != NULL) {
		TAILQ_REMOVE(&g->queue, it, entry);
		free(it);
	}
	g->nqueue = g->qbytes = 0;
	g->s = NULL;
	s->gate = NULL;
	order_unref(g);
}
