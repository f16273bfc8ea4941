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
 * The router's side of per-user XML storage (store_xml.c): requests to
 * the store with a callback for the answer, and IQs answered once it
 * comes.  Private XML, vCards and PEP sit on top of it.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define XS_PENDING_MAX	4096	/* requests waiting for the store */

struct xs_pending {
	TAILQ_ENTRY(xs_pending)	 entry;
	uint32_t		 id;
	uint32_t		 hold;		/* router_order.c */
	xs_cb			 cb;
	void			*arg;
	struct xs_items		 items;
};

static TAILQ_HEAD(, xs_pending)	 xs_pending = TAILQ_HEAD_INITIALIZER(xs_pending);
static int			 xs_npending;
static uint32_t			 xs_id;

void
xs_items_free(struct xs_items *l)
{
	struct xs_item	*it;

	while ((it = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, it, entry);
		free(it->space);
		free(it->key);
		free(it->xml);
		free(it);
	}
}

/* An item's XML, parsed; NULL if it is not one element. */
struct xml_node *
xs_item_parse(const struct xs_item *it)
{
	return (router_parse(it->xml, it->len, NULL));
}

/* Serialize n as a stored item: its own namespace, always written. */
int
xs_serialize(const struct xml_node *n, struct xml_buf *b, size_t max)
{
	xml_buf_init(b, max);
	if (xml_serialize(n, NULL, b) == -1) {
		xml_buf_free(b);
		return (-1);
	}
	return (0);
}

void
xs_req_init(struct xs_req *r, int op, const char *local, const char *domain,
    const char *space, const char *key)
{
	memset(r, 0, sizeof(*r));
	r->op = op;
	(void)strlcpy(r->localpart, local, sizeof(r->localpart));
	(void)strlcpy(r->domain, domain, sizeof(r->domain));
	(void)strlcpy(r->space, space, sizeof(r->space));
	if (key != NULL)
		(void)strlcpy(r->key, key, sizeof(r->key));
}

/*
 * Ask the store; cb runs with its answer.  Returns -1 (and cb never
 * runs) when the store is away or too many requests wait.
 */
int
xs_request(struct xs_req *r, const void *xml, size_t len, xs_cb cb,
    void *arg)
{
	struct xs_pending	*p;
	struct imsgev		*store;
	struct iovec		 iov[2];

	if ((store = proc_peer(PROC_STORE, 0)) == NULL ||
	    xs_npending >= XS_PENDING_MAX)
		return (-1);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	p->id = ++xs_id;
	p->hold = router_hold();
	p->cb = cb;
	p->arg = arg;
	TAILQ_INIT(&p->items);
	TAILQ_INSERT_TAIL(&xs_pending, p, entry);
	xs_npending++;
	iov[0].iov_base = r;
	iov[0].iov_len = sizeof(*r);
	iov[1].iov_base = (void *)xml;
	iov[1].iov_len = len;
	imsgev_composev(store, IMSG_XS_REQUEST, p->id, 0, -1, iov,
	    len > 0 ? 2 : 1);
	return (0);
}

static struct xs_pending *
xs_find(uint32_t id)
{
	struct xs_pending	*p;

	TAILQ_FOREACH(p, &xs_pending, entry)
		if (p->id == id)
			return (p);
	return (NULL);
}

int
xs_dispatch_router(struct imsgev *iev, struct imsg *imsg)
{
	struct xs_pending	*p;
	struct xs_item		*it;
	struct xs_req		 r;
	struct ibuf		 ib;
	void			*ctx;

	switch (imsg_get_type(imsg)) {
	case IMSG_XS_ITEM:
	case IMSG_XS_END:
		break;
	default:
		return (1);
	}
	if (iev->type != PROC_STORE || imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &r, sizeof(r)) == -1)
		return (-1);
	r.space[sizeof(r.space) - 1] = '\0';
	r.key[sizeof(r.key) - 1] = '\0';
	if ((p = xs_find(imsg_get_id(imsg))) == NULL)
		return (0);
	if (imsg_get_type(imsg) == IMSG_XS_ITEM) {
		if ((it = calloc(1, sizeof(*it))) == NULL ||
		    (it->space = strdup(r.space)) == NULL ||
		    (it->key = strdup(r.key)) == NULL ||
		    (it->xml = malloc(ibuf_size(&ib) + 1)) == NULL)
			fatal("%s", __func__);
		memcpy(it->xml, ibuf_data(&ib), ibuf_size(&ib));
		it->xml[ibuf_size(&ib)] = '\0';
		it->len = ibuf_size(&ib);
		TAILQ_INSERT_TAIL(&p->items, it, entry);
		return (0);
	}
	TAILQ_REMOVE(&xs_pending, p, entry);
	xs_npending--;
	ctx = router_enter(p->hold);
	p->cb(&r, &p->items, p->arg);
	router_leave(p->hold, ctx);
	xs_items_free(&p->items);
	free(p);
	return (0);
}

/* An IQ kept until the store answers. */
struct xs_iq *
xs_iq_new(struct session *s, struct xml_node *iq)
{
	struct xs_iq	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->iq = xml_node_clone(iq)) == NULL)
		fatal("%s", __func__);
	q->stream = s->stream;
	q->session = s->id;
	return (q);
}

/*
 * Send r (taken) to the IQ's sender if still there, and free q.  A
 * sender with no session (router_sender()) is a component, or with no
 * stream a remote user, whose answer goes back over federation.
 */
void
xs_iq_done(struct xs_iq *q, struct xml_node *r)
{
	struct session		*s;
	struct component	*c;
	struct imsgev		*iev;

	if (r != NULL && q->stream == -1)
		(void)s2s_send_node(r);
	else if (r != NULL && (c = component_at(q->stream, q->session)) !=
	    NULL)
		(void)component_send(c, r);
	else if (r != NULL && (s = session_find_id(q->stream, q->session)) !=
	    NULL && (iev = proc_peer(PROC_STREAM, s->stream)) != NULL &&
	    stanza_send(iev, s->id, s->id, r, NS_CLIENT) == -1) {
		xml_node_free(r);
		if ((r = router_error(q->iq, "wait",
		    "internal-server-error")) != NULL)
			(void)stanza_send(iev, s->id, s->id, r, NS_CLIENT);
	}
	xml_node_free(r);
	xml_node_free(q->iq);
	free(q);
}

/* The usual answer to a store status other than XS_OK. */
struct xml_node *
xs_iq_error(struct xs_iq *q, int status)
{
	switch (status) {
	case XS_NO_ACCOUNT:
		return (router_error(q->iq, "cancel", "service-unavailable"));
	case XS_NOT_FOUND:
		return (router_error(q->iq, "cancel", "item-not-found"));
	case XS_FULL:
		return (router_error(q->iq, "modify", "not-acceptable"));
	}
	return (router_error(q->iq, "wait", "internal-server-error"));
}
