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
 * Stanzas between the router and the rooms: what comes in is read
 * (failing closed), addressed to its service, room or occupant and
 * handed to the code of its kind; what goes out is serialized once,
 * even when a room sends it to every occupant.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/uio.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "muc.h"
#include "proc.h"
#include "stanza.h"
#include "xml.h"

struct muc_stanza_out {
	struct stanza_hdr	 hdr;
	char			*type;
	char			*id;
	char			*from;
	struct xml_buf		 xml;	/* the stanza, without 'to' */
	size_t			 split;	/* where 'to' goes: after the name */
	struct xml_buf		 to;	/* scratch: " to='...'" */
};

static struct imsgev *
muc_router(void)
{
	return (proc_peer(PROC_ROUTER, 0));
}

int
muc_stanza_send(const struct xml_node *n)
{
	struct imsgev	*iev;

	if ((iev = muc_router()) == NULL)
		return (-1);
	if (stanza_send(iev, 0, 0, n, NS_CLIENT) == -1) {
		log_warnx("%s: a %s was not sent", __func__, n->name);
		return (-1);
	}
	return (0);
}

/* A new stanza of kind name from and to, of type (NULL: none). */
struct xml_node *
muc_stanza_new(const char *name, const char *from, const char *to,
    const char *type)
{
	struct xml_node	*n;

	if ((n = xml_node_new(NS_CLIENT, name)) == NULL ||
	    (from != NULL && xml_set_attr(n, "from", from) == -1) ||
	    (to != NULL && xml_set_attr(n, "to", to) == -1) ||
	    (type != NULL && xml_set_attr(n, "type", type) == -1)) {
		xml_node_free(n);
		return (NULL);
	}
	return (n);
}

/* Characters of a UTF-8 string: limits are counted in characters. */
size_t
muc_stanza_chars(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return (n);
}

int
muc_stanza_seterr(struct muc_error *err, const char *type, const char *cond,
    const char *text)
{
	err->type = type;
	err->cond = cond;
	err->text = text;
	return (MUC_FAIL);
}

/* The JID that answers: where the stanza went. */
static const char *
muc_stanza_from(struct muc_ctx *ctx)
{
	return (ctx->tojid);
}

/*
 * Answer the stanza with an error (RFC 6120 section 8.3), 'by' the room
 * or service it went to (XEP-0045), whether that room exists or not: a
 * hidden room answers as one that does not.  A presence error carries
 * the muc x.  Errors and IQ results are never answered.
 */
void
muc_stanza_error(struct muc_ctx *ctx, const struct muc_error *err)
{
	struct xml_node	*r = NULL, *e, *t;
	const char	*id;
	char		 by[JID_BUFSIZE];

	if (strcmp(ctx->type, "error") == 0 || (ctx->kind == STANZA_IQ &&
	    strcmp(ctx->type, "result") == 0))
		return;
	if (jid_bare(&ctx->to, by, sizeof(by)) == 0 ||
	    (r = muc_stanza_new(ctx->n->name, muc_stanza_from(ctx), ctx->from,
	    "error")) == NULL)
		goto fail;
	if ((id = xml_get_attr(ctx->n, "id")) != NULL &&
	    xml_set_attr(r, "id", id) == -1)
		goto fail;
	if (ctx->kind == STANZA_PRESENCE &&
	    xml_add_child(r, NS_MUC, "x") == NULL)
		goto fail;
	if ((e = xml_add_child(r, NULL, "error")) == NULL ||
	    xml_set_attr(e, "type", err->type) == -1 ||
	    xml_set_attr(e, "by", by) == -1 ||
	    xml_add_child(e, NS_STANZA_ERR, err->cond) == NULL)
		goto fail;
	if (err->text != NULL && ((t = xml_add_child(e, NS_STANZA_ERR,
	    "text")) == NULL || xml_add_text(t, err->text,
	    strlen(err->text)) == -1))
		goto fail;
	(void)muc_stanza_send(r);
	xml_node_free(r);
	return;
 fail:
	log_warnx("%s: out of memory", __func__);
	xml_node_free(r);
}

/* Answer an IQ get or set with a result holding payload (may be NULL). */
void
muc_stanza_result(struct muc_ctx *ctx, struct xml_node *payload)
{
	struct xml_node	*r;
	const char	*id;

	if ((r = muc_stanza_new("iq", muc_stanza_from(ctx), ctx->from,
	    "result")) == NULL || ((id = xml_get_attr(ctx->n, "id")) != NULL &&
	    xml_set_attr(r, "id", id) == -1)) {
		log_warnx("%s: out of memory", __func__);
		xml_node_free(r);
		xml_node_free(payload);
		return;
	}
	if (payload != NULL)
		xml_append(r, payload);
	(void)muc_stanza_send(r);
	xml_node_free(r);
}

/*
 * A stanza that cannot be read is answered from its envelope alone, so
 * that nothing of it goes further and its sender knows.
 */
static void
muc_refuse(struct stanza_msg *m)
{
	struct xml_node	*r;

	if (strcmp(m->type, "error") == 0 || (m->kind == STANZA_IQ &&
	    strcmp(m->type, "result") == 0) || m->from[0] == '\0')
		return;
	if ((r = stanza_error_msg(m, "cancel", "internal-server-error")) ==
	    NULL)
		return;
	(void)muc_stanza_send(r);
	xml_node_free(r);
}

/* Is q a disco query of a node? */
static int
muc_iq_node_query(const struct xml_node *q)
{
	return ((xml_is(q, NS_DISCO_INFO, "query") ||
	    xml_is(q, NS_DISCO_ITEMS, "query")) &&
	    xml_get_attr(q, "node") != NULL);
}

static void
muc_iq_in(struct muc_ctx *ctx)
{
	struct muc_error	 err;
	struct xml_node		*q;
	const struct muc_iq	*iq;
	int			 where, rc = MUC_PASS;
	size_t			 i;

	if (strcmp(ctx->type, "get") != 0 && strcmp(ctx->type, "set") != 0)
		return;		/* results: nothing of ours asks yet */
	if ((q = xml_first_child(ctx->n)) == NULL) {
		(void)muc_stanza_seterr(&err, "modify", "bad-request", NULL);
		muc_stanza_error(ctx, &err);
		return;
	}
	where = ctx->to.local[0] == '\0' ? MUC_AT_SERVICE :
	    ctx->to.resource[0] == '\0' ? MUC_AT_ROOM : MUC_AT_OCCUPANT;
	for (i = 0; i < mucd_nfeatures && rc == MUC_PASS; i++)
		for (iq = mucd_features[i]->iqs; iq != NULL && iq->ns != NULL &&
		    rc == MUC_PASS; iq++)
			if ((iq->where & where) && q->ns != NULL &&
			    strcmp(q->ns, iq->ns) == 0)
				rc = iq->handler(ctx, q, &err);
	if (rc == MUC_DONE)
		return;
	/*
	 * To an outsider a hidden room is one that does not exist; a node
	 * no feature answers for does not exist either (XEP-0030 section 7).
	 */
	if (rc == MUC_PASS && ((where == MUC_AT_ROOM &&
	    !muc_room_visible(ctx)) || muc_iq_node_query(q)))
		(void)muc_stanza_seterr(&err, "cancel", "item-not-found",
		    NULL);
	else if (rc == MUC_PASS)
		(void)muc_stanza_seterr(&err, "cancel", "service-unavailable",
		    NULL);
	muc_stanza_error(ctx, &err);
}

/*
 * An IQ to room@service/nick.  A non-occupant is told it is not in the
 * room (XEP-0410: it rejoins); a disco query from one is a bad request
 * (XEP-0045 section 6.6).  So is one whose room does not exist (a
 * temporary room gone with a restart of mucd, a hidden room): never
 * <item-not-found/>, which would tell a client that it is still in the
 * room under another nick.
 */
static void
muc_iq_occupant(struct muc_ctx *ctx)
{
	struct muc_error	 err;
	struct xml_node		*q = xml_first_child(ctx->n);

	if (strcmp(ctx->type, "get") != 0 && strcmp(ctx->type, "set") != 0)
		return;
	if (ctx->sess == NULL) {
		if (q != NULL && (xml_is(q, NS_DISCO_INFO, "query") ||
		    xml_is(q, NS_DISCO_ITEMS, "query")))
			(void)muc_stanza_seterr(&err, "modify", "bad-request",
			    NULL);
		else
			(void)muc_stanza_seterr(&err, "cancel",
			    "not-acceptable", NULL);
		muc_stanza_error(ctx, &err);
		return;
	}
	if (muc_occupant_find(ctx->room, ctx->to.resource) == NULL) {
		(void)muc_stanza_seterr(&err, "cancel", "item-not-found", NULL);
		muc_stanza_error(ctx, &err);
		return;
	}
	muc_iq_in(ctx);
}

/* Hand the stanza to the code of its kind and address. */
static void
muc_route(struct muc_ctx *ctx)
{
	struct muc_error	 err;

	if (strcmp(ctx->type, "error") == 0) {
		if (ctx->room != NULL && ctx->kind != STANZA_IQ)
			muc_occupant_bounced(ctx);
		return;
	}
	if (ctx->to.local[0] == '\0') {
		if (ctx->kind == STANZA_IQ && ctx->to.resource[0] == '\0')
			muc_iq_in(ctx);
		else if (ctx->kind != STANZA_PRESENCE) {
			(void)muc_stanza_seterr(&err, "cancel",
			    "service-unavailable", NULL);
			muc_stanza_error(ctx, &err);
		}
		return;
	}
	switch (ctx->kind) {
	case STANZA_PRESENCE:
		muc_occupant_presence(ctx);
		return;
	case STANZA_MESSAGE:
		muc_message_in(ctx);
		return;
	}
	if (ctx->to.resource[0] != '\0')
		muc_iq_occupant(ctx);
	else if (ctx->room == NULL) {
		(void)muc_stanza_seterr(&err, "cancel", "item-not-found", NULL);
		muc_stanza_error(ctx, &err);
	} else
		muc_iq_in(ctx);
}

/*
 * Who sent it, to what.  A room still locked exists for its owners
 * only (XEP-0045 section 10.1.1).
 */
static int
muc_address(struct muc_ctx *ctx, struct stanza_msg *m)
{
	if (jid_parse(m->from, &ctx->fromj) == -1 ||
	    jid_bare(&ctx->fromj, ctx->bare, sizeof(ctx->bare)) == 0) {
		log_warnx("%s: a stanza from \"%s\" dropped", __func__,
		    m->from);
		return (-1);
	}
	if (xml_set_attr(ctx->n, "from", m->from) == -1)
		return (-1);
	/* The router sends only what is to a muc domain, as it parsed it. */
	if (jid_parse(m->to, &ctx->to) == -1 ||
	    (ctx->svc = mucd_service_find(ctx->to.domain)) == NULL) {
		log_debug("%s: not for a service: \"%s\"", __func__, m->to);
		return (-1);
	}
	if (jid_full(&ctx->to, ctx->tojid, sizeof(ctx->tojid)) == 0)
		return (-1);
	if (ctx->to.local[0] == '\0')
		return (0);
	ctx->room = muc_room_find(ctx->svc, ctx->to.local);
	if (ctx->room != NULL && ctx->room->locked &&
	    muc_room_affiliation(ctx->room, ctx->bare) != MUC_AFF_OWNER) {
		ctx->room = NULL;
		ctx->locked = 1;
	}
	if (ctx->room != NULL)
		ctx->sess = muc_occupant_session(ctx->room, ctx->from);
	return (0);
}

/*
 * A service whose rooms the database has not given yet (it cannot be
 * reached) refuses everything: a room made meanwhile could be one it
 * keeps.  An unavailable presence has nothing to leave.
 */
static int
muc_loaded(struct muc_ctx *ctx)
{
	struct muc_error	 err;

	if (ctx->svc->loaded)
		return (1);
	if (ctx->kind != STANZA_PRESENCE ||
	    strcmp(ctx->type, "unavailable") != 0) {
		(void)muc_stanza_seterr(&err, "wait", "resource-constraint",
		    "The rooms of this service cannot be read yet");
		muc_stanza_error(ctx, &err);
	}
	return (0);
}

/* IMSG_STANZA from the router. */
void
muc_stanza_in(struct imsg *imsg)
{
	struct stanza_msg	 m;
	struct xml_limits	 l;
	struct muc_ctx		*ctx;

	if (stanza_recv(imsg, &m) == -1)
		fatalx("%s: bad stanza from the router", __func__);
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		log_warn("%s", __func__);
		muc_refuse(&m);
		stanza_msg_clear(&m);
		return;
	}
	stanza_limits(&proc_self.conf->global, &l);
	if ((ctx->n = xml_parse_fragment(m.xml, m.xmllen, &l,
	    NS_CLIENT)) == NULL || stanza_kind(ctx->n) != (int)m.kind ||
	    (ctx->n->ns != NULL && strcmp(ctx->n->ns, NS_CLIENT) != 0)) {
		log_warnx("%s: cannot read a %s from %s: refused", __func__,
		    stanza_kinds[m.kind], m.from);
		muc_refuse(&m);
		goto done;
	}
	ctx->kind = m.kind;
	ctx->type = (xml_get_attr(ctx->n, "type") != NULL) ?
	    xml_get_attr(ctx->n, "type") : "";
	ctx->from = m.from;
	ctx->xmllen = m.xmllen;
	if (muc_address(ctx, &m) == 0 && muc_loaded(ctx))
		muc_route(ctx);
 done:
	xml_node_free(ctx->n);
	free(ctx);
	stanza_msg_clear(&m);
}

/*
 * Fan-out: n (with no 'to') is serialized once; each muc_stanza_out_send()
 * writes the envelope and 'to' around the same bytes.
 */
struct muc_stanza_out *
muc_stanza_out_new(const struct xml_node *n)
{
	struct muc_stanza_out	*o;
	const char		*v;
	size_t			 nlen = strlen(n->name);

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return (NULL);
	xml_buf_init(&o->xml, 0);
	xml_buf_init(&o->to, 0);
	o->type = strdup((v = xml_get_attr(n, "type")) != NULL ? v : "");
	o->id = strdup((v = xml_get_attr(n, "id")) != NULL ? v : "");
	o->from = strdup((v = xml_get_attr(n, "from")) != NULL ? v : "");
	if (o->type == NULL || o->id == NULL || o->from == NULL ||
	    xml_get_attr(n, "to") != NULL || strlen(o->type) > UINT16_MAX ||
	    strlen(o->id) > UINT16_MAX || strlen(o->from) > UINT16_MAX ||
	    xml_serialize(n, NS_CLIENT, &o->xml) == -1 ||
	    o->xml.len < nlen + 1 || o->xml.data[0] != '<' ||
	    memcmp(o->xml.data + 1, n->name, nlen) != 0 ||
	    (o->xml.data[nlen + 1] != ' ' && o->xml.data[nlen + 1] != '>' &&
	    o->xml.data[nlen + 1] != '/')) {
		muc_stanza_out_free(o);
		return (NULL);
	}
	o->split = nlen + 1;
	o->hdr.kind = stanza_kind(n);
	o->hdr.type_len = strlen(o->type);
	o->hdr.id_len = strlen(o->id);
	o->hdr.from_len = strlen(o->from);
	return (o);
}

int
muc_stanza_out_send(struct muc_stanza_out *o, const char *to)
{
	struct imsgev	*iev;
	struct iovec	 iov[8];
	size_t		 tolen = strlen(to);

	if ((iev = muc_router()) == NULL || tolen > UINT16_MAX)
		return (-1);
	o->to.len = 0;
	if (xml_buf_addstr(&o->to, " to='") == -1 ||
	    xml_buf_escape(&o->to, to, tolen, 1) == -1 ||
	    xml_buf_addstr(&o->to, "'") == -1)
		return (-1);
	o->hdr.to_len = tolen;
	o->hdr.xml_len = o->xml.len + o->to.len;
	iov[0].iov_base = &o->hdr;
	iov[0].iov_len = sizeof(o->hdr);
	iov[1].iov_base = o->type;
	iov[1].iov_len = o->hdr.type_len;
	iov[2].iov_base = o->id;
	iov[2].iov_len = o->hdr.id_len;
	iov[3].iov_base = (void *)to;
	iov[3].iov_len = tolen;
	iov[4].iov_base = o->from;
	iov[4].iov_len = o->hdr.from_len;
	iov[5].iov_base = o->xml.data;
	iov[5].iov_len = o->split;
	iov[6].iov_base = o->to.data;
	iov[6].iov_len = o->to.len;
	iov[7].iov_base = o->xml.data + o->split;
	iov[7].iov_len = o->xml.len - o->split;
	return (imsgev_composev(iev, IMSG_STANZA, 0, 0, -1, iov, 8) == -1 ?
	    -1 : 0);
}

void
muc_stanza_out_free(struct muc_stanza_out *o)
{
	if (o == NULL)
		return;
	free(o->type);
	free(o->id);
	free(o->from);
	xml_buf_free(&o->xml);
	xml_buf_free(&o->to);
	free(o);
}
