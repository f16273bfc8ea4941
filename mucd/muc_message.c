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
 * Messages: groupchat to every occupant (XEP-0045 section 7.4), named by
 * the room (XEP-0359 stanza-id), and private messages between occupants
 * (section 7.5); the message rate of an occupant.  The room sets every
 * 'from': an occupant speaks only as its own nick.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "muc.h"
#include "xml.h"

/*
 * Take one message from occ's allowance: "message rate N per T" is a
 * bucket of N that fills again at N per T.  -1 when it is empty.
 */
int
muc_message_rate(struct muc_occupant *occ)
{
	const struct muc_conf	*mc = occ->room->svc->conf;
	struct timespec		 now;
	double			 dt;

	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (now.tv_sec - occ->refill.tv_sec) +
	    (now.tv_nsec - occ->refill.tv_nsec) / 1e9;
	occ->refill = now;
	if (dt > 0)
		occ->tokens += dt * mc->message_rate / mc->message_period;
	if (occ->tokens > mc->message_rate)
		occ->tokens = mc->message_rate;
	if (occ->tokens < 1)
		return (-1);
	occ->tokens -= 1;
	return (0);
}

/*
 * A subject change: a subject and neither body nor thread (XEP-0045
 * section 8.1).
 */
int
muc_message_is_subject(const struct xml_node *m)
{
	return (xml_find_child(m, NS_CLIENT, "subject") != NULL &&
	    xml_find_child(m, NS_CLIENT, "body") == NULL &&
	    xml_find_child(m, NS_CLIENT, "thread") == NULL);
}

/*
 * May occ change the subject: a moderator, or a participant where the
 * room lets them (XEP-0045 section 8.1); not longer than "subject length".
 */
static int
muc_message_subject_check(struct muc_occupant *occ, const struct xml_node *m,
    struct muc_error *err)
{
	char	*subject;
	size_t	 n;

	if (occ->role < MUC_ROLE_MODERATOR && !(occ->room->cfg.change_subject &&
	    occ->role >= MUC_ROLE_PARTICIPANT))
		return (muc_stanza_seterr(err, "auth", "forbidden",
		    "You may not change the subject"));
	if ((subject = xml_child_text(m, NS_CLIENT, "subject")) == NULL)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	n = muc_stanza_chars(subject);
	free(subject);
	if (n > (size_t)occ->room->svc->conf->subject_length)
		return (muc_stanza_seterr(err, "modify", "not-acceptable",
		    "The subject is too long"));
	return (0);
}

/* Drop the children a sender may not write: what the room says. */
static void
muc_message_strip(struct xml_node *m, const char *room)
{
	struct xml_node	*c, *next;
	const char	*by;

	for (c = TAILQ_FIRST(&m->children); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		by = c->name != NULL ? xml_get_attr(c, c->ns != NULL &&
		    strcmp(c->ns, NS_DELAY) == 0 ? "from" : "by") : NULL;
		if (xml_is(c, NS_MUC_USER, "x") ||
		    xml_is(c, NS_OCCUPANT_ID, "occupant-id") ||
		    ((xml_is(c, NS_SID, "stanza-id") ||
		    xml_is(c, NS_DELAY, "delay")) && by != NULL &&
		    strcmp(by, room) == 0)) {
			xml_unlink(c);
			xml_node_free(c);
		}
	}
}

/* 128 random bits, in hex. */
static void
muc_random_id(char *buf, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 r[16];
	size_t			 i;

	arc4random_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r) && 2 * i + 2 < len; i++) {
		buf[2 * i] = hex[r[i] >> 4];
		buf[2 * i + 1] = hex[r[i] & 0xf];
	}
	buf[2 * i] = '\0';
}

/*
 * The message an occupant sent, as the room sends it: from its nick,
 * to be addressed to each; its id kept (muc#stable_id) or made.
 */
static struct xml_node *
muc_message_copy(struct muc_ctx *ctx, struct muc_occupant *occ)
{
	struct xml_node	*m;
	char		 from[JID_BUFSIZE], id[MUC_STANZA_ID_LEN];
	size_t		 i;

	if ((m = xml_node_clone(ctx->n)) == NULL)
		return (NULL);
	xml_del_attr(m, "to");
	(void)muc_occupant_jid(occ, from, sizeof(from));
	if (xml_set_attr(m, "from", from) == -1) {
		xml_node_free(m);
		return (NULL);
	}
	if (xml_get_attr(m, "id") == NULL) {
		muc_random_id(id, sizeof(id));
		if (xml_set_attr(m, "id", id) == -1) {
			xml_node_free(m);
			return (NULL);
		}
	}
	muc_message_strip(m, occ->room->jid);
	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->message_out != NULL)
			mucd_features[i]->message_out(occ, m);
	return (m);
}

/* The room's name for a message: the archive's, else a random one. */
static int
muc_message_stanza_id(struct muc_occupant *occ, struct xml_node *m)
{
	struct xml_node	*sid;
	char		 id[MUC_STANZA_ID_LEN];
	size_t		 i;

	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->stanza_id != NULL &&
		    mucd_features[i]->stanza_id(occ, m, id, sizeof(id)) == 0)
			break;
	if (i == mucd_nfeatures)
		muc_random_id(id, sizeof(id));
	if ((sid = xml_add_child(m, NS_SID, "stanza-id")) == NULL ||
	    xml_set_attr(sid, "id", id) == -1 ||
	    xml_set_attr(sid, "by", occ->room->jid) == -1)
		return (-1);
	return (0);
}

/* A groupchat message to the room (XEP-0045 section 7.4). */
static void
muc_groupchat(struct muc_ctx *ctx)
{
	struct muc_error	 err;
	struct muc_occupant	*occ;
	struct xml_node		*m;
	size_t			 i;
	int			 rc;

	/* To an outsider a hidden room is one that does not exist. */
	if (ctx->room == NULL || !muc_room_visible(ctx)) {
		(void)muc_stanza_seterr(&err, "cancel", "item-not-found", NULL);
		goto refuse;
	}
	if (ctx->sess == NULL) {
		(void)muc_stanza_seterr(&err, "cancel", "not-acceptable",
		    "You are not in the room");
		goto refuse;
	}
	occ = ctx->sess->occ;
	if (occ->role < MUC_ROLE_PARTICIPANT) {
		(void)muc_stanza_seterr(&err, "auth", "forbidden",
		    "Visitors may not speak in this room");
		goto refuse;
	}
	if (muc_message_is_subject(ctx->n) &&
	    muc_message_subject_check(occ, ctx->n, &err) == MUC_FAIL)
		goto refuse;
	if (muc_message_rate(occ) == -1) {
		(void)muc_stanza_seterr(&err, "wait", "resource-constraint",
		    "You are sending too fast");
		goto refuse;
	}
	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->groupchat != NULL &&
		    (rc = mucd_features[i]->groupchat(ctx, ctx->n, &err)) !=
		    MUC_PASS) {
			if (rc == MUC_FAIL)
				goto refuse;
			return;
		}
	if ((m = muc_message_copy(ctx, occ)) == NULL ||
	    muc_message_stanza_id(occ, m) == -1) {
		xml_node_free(m);
		(void)muc_stanza_seterr(&err, "wait",
		    "internal-server-error", NULL);
		goto refuse;
	}
	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->broadcast != NULL)
			mucd_features[i]->broadcast(occ, m);
	muc_room_send_all(ctx->room, m);
	xml_node_free(m);
	return;
 refuse:
	muc_stanza_error(ctx, &err);
}

/* May occ send private messages (muc#roomconfig_allowpm)? */
static int
muc_pm_allowed(struct muc_occupant *occ)
{
	switch (occ->room->cfg.allow_pm) {
	case MUC_PM_ANYONE:
		return (1);
	case MUC_PM_PARTICIPANTS:
		return (occ->role >= MUC_ROLE_PARTICIPANT);
	case MUC_PM_MODERATORS:
		return (occ->role >= MUC_ROLE_MODERATOR);
	}
	return (0);
}

/*
 * A private message to room@service/nick (XEP-0045 section 7.5): to
 * every session of the occupant, marked with the muc#user x.
 */
static void
muc_private(struct muc_ctx *ctx)
{
	struct muc_error	 err;
	struct muc_occupant	*to;
	struct xml_node		*m = NULL;
	struct muc_stanza_out	*o;

	if (ctx->room == NULL || !muc_room_visible(ctx))
		(void)muc_stanza_seterr(&err, "cancel", "item-not-found", NULL);
	else if (strcmp(ctx->type, "groupchat") == 0)
		(void)muc_stanza_seterr(&err, "modify", "bad-request", NULL);
	else if (ctx->sess == NULL)
		(void)muc_stanza_seterr(&err, "cancel", "not-acceptable",
		    "You are not in the room");
	else if ((to = muc_occupant_find(ctx->room,
	    ctx->to.resource)) == NULL)
		(void)muc_stanza_seterr(&err, "cancel", "item-not-found", NULL);
	else if (!muc_pm_allowed(ctx->sess->occ))
		(void)muc_stanza_seterr(&err, "cancel", "not-allowed",
		    "Private messages are not allowed in this room");
	else if (muc_message_rate(ctx->sess->occ) == -1)
		(void)muc_stanza_seterr(&err, "wait", "resource-constraint",
		    "You are sending too fast");
	else if ((m = muc_message_copy(ctx, ctx->sess->occ)) == NULL ||
	    xml_add_child(m, NS_MUC_USER, "x") == NULL ||
	    (o = muc_stanza_out_new(m)) == NULL)
		(void)muc_stanza_seterr(&err, "wait",
		    "internal-server-error", NULL);
	else {
		(void)muc_occupant_send(to, o);
		muc_stanza_out_free(o);
		xml_node_free(m);
		return;
	}
	xml_node_free(m);
	muc_stanza_error(ctx, &err);
}

/*
 * A message that is not groupchat, to the room: the features' (mediated
 * invitations, voice requests).  Headlines are never answered.
 */
static void
muc_message_room(struct muc_ctx *ctx)
{
	struct muc_error	 err;
	size_t			 i;
	int			 rc = MUC_PASS;

	if (ctx->room == NULL) {
		(void)muc_stanza_seterr(&err, "cancel", "item-not-found", NULL);
		muc_stanza_error(ctx, &err);
		return;
	}
	for (i = 0; i < mucd_nfeatures && rc == MUC_PASS; i++)
		if (mucd_features[i]->message != NULL)
			rc = mucd_features[i]->message(ctx, &err);
	if (rc == MUC_DONE || (rc == MUC_PASS &&
	    strcmp(ctx->type, "headline") == 0))
		return;
	if (rc == MUC_PASS)
		(void)muc_stanza_seterr(&err, "modify", "bad-request",
		    "Only groupchat messages go to the room");
	muc_stanza_error(ctx, &err);
}

/* A message to a room or an occupant. */
void
muc_message_in(struct muc_ctx *ctx)
{
	if (ctx->to.resource[0] != '\0')
		muc_private(ctx);
	else if (strcmp(ctx->type, "groupchat") == 0)
		muc_groupchat(ctx);
	else
		muc_message_room(ctx);
}

/* The room keeps the client's id and names each message itself. */
static void
muc_message_disco(struct muc_room *room, struct xml_node *q)
{
	if (mucd_disco_add(q, NS_MUC_STABLE) == -1 || room == NULL)
		return;
	(void)mucd_disco_add(q, NS_SID);
}

const struct muc_feature muc_message_feature = {
	.name = "message",
	.disco = muc_message_disco,
};
