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
 * Stream management (XEP-0198), the stream side: counters, acks and the
 * queue of stanzas the client has not acknowledged.  The queue stays in
 * the process that holds the session, and outlives the connection while
 * the session waits to be resumed (a "detached" sm, found by session
 * id).  The router decides when it moves (a resume, perhaps on another
 * stream process) or ends (then the router bounces or stores offline
 * what it held): it sends IMSG_SM_TAKEOVER and gets the queue back as
 * IMSG_SM_REPLAY messages.  Nothing crosses processes per ack.  The
 * server asks for acks soon after it sends (sm_request()) and once more
 * when the client closes its stream (c2s_sm_closed()), so that what the
 * client has shown is not stored offline as unacknowledged.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/uio.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "config.h"
#include "io.h"
#include "log.h"
#include "proc.h"
#include "stanza.h"
#include "stream.h"
#include "xml.h"

#define NS_SM		"urn:xmpp:sm:3"

#define SM_QUEUE_MAX	1000		/* unacked stanzas */
#define SM_QUEUE_BYTES	(1024 * 1024)
#define SM_REQUEST_EVERY 5		/* an <r/> after so many unacked */
#define SM_REQUEST_AFTER 1		/* or seconds after the last one */

struct sm_item {
	TAILQ_ENTRY(sm_item)	 entry;
	size_t			 len;		/* the IMSG_STANZA payload */
	size_t			 xmloff;	/* where its XML starts */
	char			 data[];	/* payload, then a NUL */
};
TAILQ_HEAD(sm_items, sm_item);

enum sm_state {
	SM_ON,
	SM_RESUMING,		/* waiting for the old session's queue */
	SM_DETACHED,		/* no connection; the router decides */
};

struct sm {
	RB_ENTRY(sm)		 node;		/* detached ones */
	uint32_t		 id;		/* the session's id */
	int			 state;
	int			 resume;
	int			 ended;		/* over the bound: ending */
	int			 closing;	/* the client closed its stream */
	uint32_t		 in;		/* handled from the client */
	uint32_t		 acked;		/* by the client */
	uint32_t		 sent;		/* counted since enabled */
	uint32_t		 requested;	/* sent, at the last <r/> */
	uint32_t		 client_h;	/* in the <resume/> */
	char			 previd[SM_ID_LEN];
	struct sm_items		 queue;		/* acked+1 .. sent */
	size_t			 nqueue;
	size_t			 qbytes;
	struct sm_items		 held;		/* live ones while resuming */
	struct event		 request;	/* the <r/> of a quiet while */
};

RB_HEAD(sm_detached, sm);
static struct sm_detached	 sm_detached = RB_INITIALIZER(&sm_detached);

static int
sm_cmp(struct sm *a, struct sm *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}

RB_GENERATE_STATIC(sm_detached, sm, node, sm_cmp);

static void	sm_request_due(int, short, void *);

/* The stream management of connection c; c->sm while c has it. */
static struct sm *
sm_new(struct conn *c)
{
	struct sm	*sm;

	if ((sm = calloc(1, sizeof(*sm))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&sm->queue);
	TAILQ_INIT(&sm->held);
	evtimer_set(&sm->request, sm_request_due, c);
	return (sm);
}

static void
sm_items_free(struct sm_items *q)
{
	struct sm_item	*it;

	while ((it = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, it, entry);
		free(it);
	}
}

static void
sm_free(struct sm *sm)
{
	if (sm == NULL)
		return;
	evtimer_del(&sm->request);
	sm_items_free(&sm->queue);
	sm_items_free(&sm->held);
	free(sm);
}

static struct sm_item *
sm_item_new(const void *payload, size_t len, size_t xmllen)
{
	struct sm_item	*it;

	if (xmllen > len || (it = malloc(sizeof(*it) + len + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(it->data, payload, len);
	it->data[len] = '\0';
	it->len = len;
	it->xmloff = len - xmllen;
	return (it);
}

/* A stanza c2s writes itself, as an IMSG_STANZA payload would carry it. */
static struct sm_item *
sm_item_local(int kind, const char *type, const char *xml)
{
	struct stanza_hdr	 hdr;
	struct sm_item		*it;
	size_t			 tl = type != NULL ? strlen(type) : 0;
	size_t			 xl = strlen(xml);
	char			*p;

	memset(&hdr, 0, sizeof(hdr));
	hdr.kind = kind;
	hdr.type_len = tl > 64 ? 0 : tl;
	hdr.xml_len = xl;
	if ((p = malloc(sizeof(hdr) + hdr.type_len + xl)) == NULL)
		fatal("%s", __func__);
	memcpy(p, &hdr, sizeof(hdr));
	if (hdr.type_len > 0)
		memcpy(p + sizeof(hdr), type, hdr.type_len);
	memcpy(p + sizeof(hdr) + hdr.type_len, xml, xl);
	it = sm_item_new(p, sizeof(hdr) + hdr.type_len + xl, xl);
	free(p);
	return (it);
}

static void
sm_failed(struct conn *c, const char *cond)
{
	struct xml_node	*n;

	if ((n = xml_node_new(NS_SM, "failed")) == NULL ||
	    xml_add_child(n, NS_STANZA_ERR, cond) == NULL)
		fatal("%s", __func__);
	c2s_write_node(c, n);
	xml_node_free(n);
}

/* <a/> or <resumed/>: a count h, and the id of the resumed session. */
static void
sm_write_h(struct conn *c, const char *name, const char *previd, uint32_t h)
{
	struct xml_node	*n;
	char		 hs[16];

	(void)snprintf(hs, sizeof(hs), "%u", h);
	if ((n = xml_node_new(NS_SM, name)) == NULL ||
	    (previd != NULL && xml_set_attr(n, "previd", previd) == -1) ||
	    xml_set_attr(n, "h", hs) == -1)
		fatal("%s", __func__);
	c2s_write_node(c, n);
	xml_node_free(n);
}

static void
sm_ask(struct conn *c, struct sm *sm)
{
	c2s_write(c, "<r xmlns='" NS_SM "'/>");
	sm->requested = sm->sent;
}

/*
 * Section 4 leaves it to the server when to ask for acks.  A client
 * acks only when asked, and what it has not acked when its session ends
 * is stored offline: ask soon, once the stanzas stop coming (one timer
 * per connection, pushed back by each stanza), and at once after every
 * SM_REQUEST_EVERY during a burst.
 */
static void
sm_request(struct conn *c, struct sm *sm)
{
	struct timeval	 tv;

	if (sm->sent == sm->acked)
		return;
	if (sm->sent - sm->acked >= SM_REQUEST_EVERY &&
	    sm->sent - sm->requested >= SM_REQUEST_EVERY)
		sm_ask(c, sm);
	tv.tv_sec = SM_REQUEST_AFTER;
	tv.tv_usec = 0;
	evtimer_add(&sm->request, &tv);
}

static void
sm_request_due(int fd, short event, void *arg)
{
	struct conn	*c = arg;
	struct sm	*sm = c->sm;

	(void)fd;
	(void)event;
	if (sm != NULL && sm->state == SM_ON && !sm->ended && !sm->closing &&
	    sm->sent != sm->acked && sm->requested != sm->sent)
		sm_ask(c, sm);
}

/*
 * Count and keep a stanza, writing it when c is live.  Past the bound a
 * client that does not ack loses its stream (and resumption: what it
 * has not acked is bounced or stored offline); a detached session asks
 * the router to end it.
 */
static void
sm_push(struct conn *c, struct sm *sm, struct sm_item *it)
{
	if (sm->nqueue >= 2 * SM_QUEUE_MAX) {
		log_warnx("session %u: unacked queue full, stanza dropped",
		    sm->id);
		free(it);
		return;
	}
	TAILQ_INSERT_TAIL(&sm->queue, it, entry);
	sm->nqueue++;
	sm->qbytes += it->len;
	sm->sent++;
	if (c != NULL && !sm->ended && !sm->closing) {
		c2s_write(c, it->data + it->xmloff);
		if (sm->nqueue > SM_QUEUE_MAX || sm->qbytes > SM_QUEUE_BYTES) {
			/* Kept for the router: the stream is over. */
			sm->resume = 0;
			sm->ended = 1;
			c2s_error(c, "resource-constraint",
			    "Too many unacknowledged stanzas");
			return;
		}
		sm_request(c, sm);
	} else if (c != NULL)
		return;
	else if ((sm->nqueue > SM_QUEUE_MAX ||
	    sm->qbytes > SM_QUEUE_BYTES) && !sm->ended) {
		struct imsgev	*router = proc_peer(PROC_ROUTER, 0);

		sm->ended = 1;
		if (router != NULL)
			imsgev_compose(router, IMSG_SESSION_END, sm->id, 0, -1,
			    NULL, 0);
	}
}

/* Drop what h acknowledges; -1 when h acks more than was sent. */
static int
sm_ack(struct sm *sm, uint32_t h)
{
	struct sm_item	*it;

	if ((uint32_t)(h - sm->acked) > (uint32_t)(sm->sent - sm->acked))
		return (-1);
	while (sm->acked != h && (it = TAILQ_FIRST(&sm->queue)) != NULL) {
		TAILQ_REMOVE(&sm->queue, it, entry);
		sm->nqueue--;
		sm->qbytes -= it->len;
		free(it);
		sm->acked++;
	}
	sm->acked = h;
	return (0);
}

/* XEP-0198 section 4: an ack for more than was sent ends the stream. */
static void
sm_too_high(struct conn *c, struct sm *sm, uint32_t h)
{
	struct xml_node	*n;
	char		 hs[16], sent[16];

	(void)snprintf(hs, sizeof(hs), "%u", h);
	(void)snprintf(sent, sizeof(sent), "%u", sm->sent);
	if ((n = xml_node_new(NS_SM, "handled-count-too-high")) == NULL ||
	    xml_set_attr(n, "h", hs) == -1 ||
	    xml_set_attr(n, "send-count", sent) == -1)
		fatal("%s", __func__);
	c2s_error_app(c, "undefined-condition", NULL, n);
	xml_node_free(n);
}

static int
sm_parse_h(const char *s, uint32_t *h)
{
	const char	*errstr;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return (-1);
	*h = strtonum(s, 0, UINT32_MAX, &errstr);
	return (errstr != NULL ? -1 : 0);
}

static void
sm_enable(struct conn *c, struct xml_node *n)
{
	struct sm_enable	 e;
	struct imsgev		*router = proc_peer(PROC_ROUTER, 0);
	struct xml_node		*en;
	const char		*resume = xml_get_attr(n, "resume");
	const char		*max = xml_get_attr(n, "max");
	const char		*errstr;
	char			 buf[160];
	time_t			 limit;
	size_t			 i;

	/* Section 3: after binding, once. */
	if (!c->bound || c->sm != NULL || router == NULL) {
		sm_failed(c, "unexpected-request");
		return;
	}
	memset(&e, 0, sizeof(e));
	limit = stream_conf->global.limits.resume_timeout;
	if (resume != NULL && (strcmp(resume, "true") == 0 ||
	    strcmp(resume, "1") == 0)) {
		/* 16 random bytes: 22 characters */
		if (base64url_random(16, buf, sizeof(buf)) == -1)
			fatalx("%s: base64", __func__);
		if (strlcpy(e.id, buf, sizeof(e.id)) >= sizeof(e.id))
			fatalx("%s: id too long", __func__);
		e.max = limit;
		if (max != NULL && (i = strtonum(max, 1, 86400,
		    &errstr)) > 0 && errstr == NULL && (time_t)i < limit)
			e.max = i;
	}
	c->sm = sm_new(c);
	c->sm->state = SM_ON;
	c->sm->resume = e.id[0] != '\0';
	imsgev_compose(router, IMSG_SM_ENABLE, c->id, 0, -1, &e, sizeof(e));
	if ((en = xml_node_new(NS_SM, "enabled")) == NULL)
		fatal("%s", __func__);
	(void)snprintf(buf, sizeof(buf), "%u", e.max);
	if (c->sm->resume && (xml_set_attr(en, "id", e.id) == -1 ||
	    xml_set_attr(en, "resume", "true") == -1 ||
	    xml_set_attr(en, "max", buf) == -1))
		fatal("%s", __func__);
	c2s_write_node(c, en);
	xml_node_free(en);
}

/* Section 5: after SASL, before binding; the router checks the id. */
static void
sm_resume(struct conn *c, struct xml_node *n)
{
	struct sm_resume	 req;
	struct imsgev		*router = proc_peer(PROC_ROUTER, 0);
	const char		*previd = xml_get_attr(n, "previd");
	uint32_t		 h;

	if (c->bound || c->sm != NULL || router == NULL) {
		sm_failed(c, "unexpected-request");
		return;
	}
	if (sm_parse_h(xml_get_attr(n, "h"), &h) == -1) {
		sm_failed(c, "bad-request");
		return;
	}
	if (previd == NULL || previd[0] == '\0' ||
	    strlen(previd) >= SM_ID_LEN || strspn(previd, "ABCDEFGHIJKLMNOP"
	    "QRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
	    strlen(previd)) {
		sm_failed(c, "item-not-found");
		return;
	}
	memset(&req, 0, sizeof(req));
	(void)strlcpy(req.id, previd, sizeof(req.id));
	(void)strlcpy(req.localpart, conn_local(c), sizeof(req.localpart));
	(void)strlcpy(req.domain, c->domain, sizeof(req.domain));
	(void)strlcpy(req.addr, c->addr, sizeof(req.addr));
	memcpy(req.grant, c->grant, sizeof(req.grant));
	(void)strlcpy(req.transport, c->transport->name,
	    sizeof(req.transport));
	c2s_tls_desc(c, req.tls, sizeof(req.tls));
	c->sm = sm_new(c);
	c->sm->state = SM_RESUMING;
	c->sm->resume = 1;
	c->sm->client_h = h;
	(void)strlcpy(c->sm->previd, previd, sizeof(c->sm->previd));
	imsgev_compose(router, IMSG_SM_RESUME, c->id, 0, -1, &req,
	    sizeof(req));
	c2s_wait(c);
}

/* A nonza of urn:xmpp:sm:3 from an authenticated client. */
void
c2s_sm_nonza(struct conn *c, struct xml_node *n)
{
	struct sm	*sm = c->sm;
	uint32_t	 h;

	if (xml_is(n, NS_SM, "enable"))
		sm_enable(c, n);
	else if (xml_is(n, NS_SM, "resume"))
		sm_resume(c, n);
	else if (!xml_is(n, NS_SM, "r") && !xml_is(n, NS_SM, "a"))
		c2s_error(c, "unsupported-stanza-type", NULL);
	else if (sm == NULL || sm->state != SM_ON)
		sm_failed(c, "unexpected-request");
	else if (xml_is(n, NS_SM, "r"))
		sm_write_h(c, "a", NULL, sm->in);
	else if (xml_is(n, NS_SM, "a")) {
		if (sm_parse_h(xml_get_attr(n, "h"), &h) == -1)
			c2s_error(c, "invalid-xml", "Bad 'h'");
		else if (sm_ack(sm, h) == -1)
			sm_too_high(c, sm, h);
	}
}

/*
 * The client closed its stream.  Section 7: its session ends, it is not
 * resumed.  What it has not acknowledged would be stored offline, yet it
 * may well have shown it: returns 1 when an <r/> asks (RFC 6120 section
 * 4.4 lets the server still write after the client's closing tag), and
 * nothing more is written but the end of the stream.
 */
int
c2s_sm_closed(struct conn *c)
{
	struct sm	*sm = c->sm;

	if (sm == NULL)
		return (0);
	sm->resume = 0;
	if (sm->state != SM_ON || !c->bound || sm->ended || sm->closing ||
	    sm->sent == sm->acked)
		return (0);
	sm->closing = 1;
	evtimer_del(&sm->request);
	sm_ask(c, sm);
	log_debug("connection %u: closed with %u unacknowledged, asking",
	    c->id, sm->sent - sm->acked);
	return (1);
}

/*
 * What a client that closed its stream sends still: 1 when all is
 * acknowledged, 0 to read on (a bad ack ends the stream as ever).
 * Clients answer the <r/> after their closing tag; an answer acking less
 * (to an earlier <r/>) leaves the rest to wait for the deadline.
 * Anything but an ack is dropped, never routed.
 */
int
c2s_sm_final(struct conn *c, struct xml_node *n)
{
	if (c->sm == NULL || c->sm->state != SM_ON || !c->bound)
		return (1);
	if (!xml_is(n, NS_SM, "a")) {
		log_debug("connection %u: stanza after the stream's end "
		    "dropped", c->id);
		return (0);
	}
	c2s_sm_nonza(c, n);
	if (c->sm == NULL || c->sm->acked != c->sm->sent)
		return (0);
	log_debug("connection %u: all acknowledged after the close", c->id);
	return (1);
}

/* A stanza from the client was handled (passed on or answered). */
void
c2s_sm_in(struct conn *c)
{
	if (c->sm != NULL && c->sm->state == SM_ON)
		c->sm->in++;
}

/* A stanza from the router for c; -1 when stream management is off. */
int
c2s_sm_deliver(struct conn *c, struct imsg *imsg, struct stanza_msg *m)
{
	struct sm	*sm = c->sm;
	struct sm_item	*it;

	if (sm == NULL)
		return (-1);
	it = sm_item_new(imsg->data, imsg_get_len(imsg), m->xmllen);
	if (sm->state == SM_RESUMING)
		TAILQ_INSERT_TAIL(&sm->held, it, entry);
	else if (c->bound)
		sm_push(c, sm, it);
	else
		free(it);
	return (0);
}

/* A stanza c2s writes itself (IQ answers, pings); -1 when not counted. */
int
c2s_sm_write(struct conn *c, int kind, const char *type, const char *xml)
{
	if (c->sm == NULL || c->sm->state != SM_ON || !c->bound ||
	    kind == -1)
		return (-1);
	sm_push(c, c->sm, sm_item_local(kind, type, xml));
	return (0);
}

/*
 * The connection is going.  A bound session with stream management
 * stays in the router: resumable, it waits (IMSG_SM_DETACHED); if not,
 * it ends (IMSG_SESSION_END) and the router takes back the queue.  One
 * the router already closed is detached silently: its takeover comes.
 */
void
c2s_sm_free(struct conn *c)
{
	struct sm	*sm = c->sm;
	struct imsgev	*router = proc_peer(PROC_ROUTER, 0);
	int		 type;

	if (sm == NULL)
		return;
	c->sm = NULL;
	evtimer_del(&sm->request);
	if (sm->state == SM_ON && !c->bound) {
		type = -1;
	} else if (sm->state == SM_RESUMING || sm->resume) {
		type = IMSG_SM_DETACHED;
	} else
		type = IMSG_SESSION_END;
	if (sm->state == SM_ON)
		sm->state = SM_DETACHED;
	sm->id = c->id;
	c->bound = 0;
	if (RB_INSERT(sm_detached, &sm_detached, sm) != NULL)
		fatalx("%s: session %u detached twice", __func__, c->id);
	if (type != -1 && router != NULL)
		imsgev_compose(router, type, c->id, 0, -1, NULL, 0);
	log_debug("session %u detached, %zu unacked", c->id, sm->nqueue);
}

static struct sm *
sm_find(uint32_t id)
{
	struct sm	 key;

	key.id = id;
	return (RB_FIND(sm_detached, &sm_detached, &key));
}

/* A router message for a session with no connection any more. */
int
c2s_sm_orphan(struct imsgev *iev, struct imsg *imsg)
{
	struct sm	*sm = sm_find(imsg_get_id(imsg));
	struct sm_item	*it;
	struct ibuf	 ib;
	struct stanza_hdr hdr;

	(void)iev;
	if (sm == NULL || imsg_get_type(imsg) != IMSG_STANZA)
		return (0);
	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &hdr, sizeof(hdr)) == -1 ||
	    hdr.xml_len > imsg_get_len(imsg) - sizeof(hdr))
		fatalx("%s: bad stanza", __func__);
	it = sm_item_new(imsg->data, imsg_get_len(imsg), hdr.xml_len);
	if (sm->state == SM_RESUMING)
		TAILQ_INSERT_TAIL(&sm->held, it, entry);
	else
		sm_push(NULL, sm, it);
	return (0);
}

/*
 * The router takes the queue: to resume the session elsewhere, or to
 * end it.  A live connection (an old TCP the client gave up on) closes.
 */
static void
sm_takeover(struct imsgev *iev, struct imsg *imsg)
{
	struct sm_takeover	 t;
	struct sm_counts	 sc;
	struct conn		*c = conn_find(imsg_get_id(imsg));
	struct sm		*sm = NULL;
	struct sm_item		*it;
	uint32_t		 id = imsg_get_id(imsg);

	if (imsg_get_data(imsg, &t, sizeof(t)) == -1)
		fatalx("%s: bad takeover", __func__);
	memset(&sc, 0, sizeof(sc));
	if (c != NULL && c->sm != NULL) {
		sm = c->sm;
		c->sm = NULL;
		c->bound = 0;
		if (t.mode == SM_TAKEOVER_RESUME)
			c2s_error(c, "conflict", "Session resumed elsewhere");
	} else if ((sm = sm_find(id)) != NULL)
		RB_REMOVE(sm_detached, &sm_detached, sm);
	if (sm != NULL) {
		TAILQ_FOREACH(it, &sm->queue, entry)
			imsgev_compose(iev, IMSG_SM_REPLAY, id, 0, -1,
			    it->data, it->len);
		TAILQ_FOREACH(it, &sm->held, entry)
			imsgev_compose(iev, IMSG_SM_REPLAY, id, 0, -1,
			    it->data, it->len);
		sc.ok = sm->state != SM_RESUMING;
		sc.in = sm->in;
		sc.acked = sm->acked;
		sc.sent = sm->sent;
		log_debug("session %u: %zu unacked handed over", id,
		    sm->nqueue);
		sm_free(sm);
	}
	imsgev_compose(iev, IMSG_SM_REPLAY_END, id, 0, -1, &sc, sizeof(sc));
}

/*
 * The old session's queue is all here: drop what the client's h acks,
 * answer <resumed/>, send the rest again, then what came meanwhile.
 */
static void
sm_replay_end(struct conn *c, struct sm *sm, struct imsg *imsg)
{
	struct sm_counts	 sc;
	struct sm_item		*it;

	if (imsg_get_data(imsg, &sc, sizeof(sc)) == -1)
		fatalx("%s: bad counts", __func__);
	sm->in = sc.in;
	sm->acked = sm->requested = sc.acked;
	sm->sent = sc.sent;
	sm->state = c != NULL ? SM_ON : SM_DETACHED;
	if (c != NULL)
		c2s_resumed(c);
	if (!sc.ok) {
		/* The old stream process died with the queue. */
		sm->resume = 0;
		if (c != NULL)
			c2s_error(c, "undefined-condition",
			    "Session state lost");
		return;
	}
	if (sm_ack(sm, sm->client_h) == -1) {
		if (c != NULL)
			sm_too_high(c, sm, sm->client_h);
		return;
	}
	if (c != NULL) {
		sm_write_h(c, "resumed", sm->previd, sm->in);
		TAILQ_FOREACH(it, &sm->queue, entry)
			c2s_write(c, it->data + it->xmloff);
		log_info("connection %u from %s: %s resumed, %zu resent",
		    c->id, c->addr, c->full, sm->nqueue);
	}
	while ((it = TAILQ_FIRST(&sm->held)) != NULL) {
		TAILQ_REMOVE(&sm->held, it, entry);
		sm_push(c, sm, it);
	}
	if (c != NULL)
		sm_request(c, sm);
}

static void
sm_resumed(struct conn *c, struct imsg *imsg)
{
	struct sm_resumed	 r;

	if (imsg_get_data(imsg, &r, sizeof(r)) == -1)
		fatalx("%s: bad resumed", __func__);
	r.full[sizeof(r.full) - 1] = '\0';
	if (!r.ok) {
		sm_free(c->sm);
		c->sm = NULL;
		c2s_resume_failed(c);
		sm_failed(c, "item-not-found");
		return;
	}
	free(c->full);
	if ((c->full = strdup(r.full)) == NULL)
		fatal("%s", __func__);
}

int
c2s_sm_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct conn	*c;
	struct sm	*sm;
	struct sm_item	*it;
	struct ibuf	 ib;
	struct stanza_hdr hdr;
	uint32_t	 type = imsg_get_type(imsg);

	switch (type) {
	case IMSG_SM_RESUMED:
	case IMSG_SM_TAKEOVER:
	case IMSG_SM_REPLAY:
	case IMSG_SM_REPLAY_END:
		break;
	default:
		return (1);
	}
	if (iev->type != PROC_ROUTER)
		return (-1);
	if (type == IMSG_SM_TAKEOVER) {
		sm_takeover(iev, imsg);
		return (0);
	}
	if ((c = conn_find(imsg_get_id(imsg))) != NULL && c->sm != NULL)
		sm = c->sm;
	else {
		c = NULL;
		sm = sm_find(imsg_get_id(imsg));
	}
	if (sm == NULL || sm->state != SM_RESUMING)
		return (0);
	switch (type) {
	case IMSG_SM_RESUMED:
		if (c != NULL)
			sm_resumed(c, imsg);
		break;
	case IMSG_SM_REPLAY:
		if (imsg_get_ibuf(imsg, &ib) == -1 ||
		    ibuf_get(&ib, &hdr, sizeof(hdr)) == -1 ||
		    hdr.xml_len > imsg_get_len(imsg) - sizeof(hdr))
			fatalx("%s: bad replay", __func__);
		it = sm_item_new(imsg->data, imsg_get_len(imsg), hdr.xml_len);
		TAILQ_INSERT_TAIL(&sm->queue, it, entry);
		sm->nqueue++;
		sm->qbytes += imsg_get_len(imsg);
		break;
	case IMSG_SM_REPLAY_END:
		sm_replay_end(c, sm, imsg);
		break;
	}
	return (0);
}
