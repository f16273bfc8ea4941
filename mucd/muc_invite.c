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
 * Mediated invitations (XEP-0045 section 7.8.2): an occupant asks the
 * room to invite others; the room sends each invitee the invitation,
 * from the room, naming the inviter by its bare JID, with the password
 * of the room; in a members-only room the invitee becomes a member.
 * The room remembers whom it invited for a while, so that a decline
 * goes back to an inviter, and from an invitee only: the room is no
 * relay for anyone else's messages.  (Direct invitations, XEP-0249, go
 * from client to client and never reach the room.)
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "muc.h"
#include "xml.h"

#define MUC_INVITE_MAX		10	/* invitees in one message */
#define MUC_INVITE_PENDING	100	/* invitations a room remembers */
#define MUC_INVITE_TTL		(24 * 60 * 60)	/* seconds, to decline */

/* An invitation sent, which its invitee may decline. */
struct muc_invite {
	TAILQ_ENTRY(muc_invite)	 entry;
	char			*invitee;	/* bare */
	char			*inviter;	/* bare */
	time_t			 when;
};
TAILQ_HEAD(muc_invite_list, muc_invite);

/* The room's, newest last. */
struct muc_invite_room {
	struct muc_invite_list	 list;
	int			 n;
};

/* One invitee of a message, as checked. */
struct muc_invitee {
	const struct xml_node	*invite;
	char			 bare[JID_BUFSIZE];
	char			 to[JID_BUFSIZE];	/* full, if it was */
};

static struct muc_invite_room *
muc_invite_room(struct muc_room *room)
{
	return (*muc_room_slot(room, &muc_invite_feature));
}

static void
muc_invite_room_init(struct muc_room *room)
{
	struct muc_invite_room	*ir;

	if ((ir = calloc(1, sizeof(*ir))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&ir->list);
	*muc_room_slot(room, &muc_invite_feature) = ir;
}

static void
muc_invite_del(struct muc_invite_room *ir, struct muc_invite *inv)
{
	TAILQ_REMOVE(&ir->list, inv, entry);
	ir->n--;
	free(inv->invitee);
	free(inv->inviter);
	free(inv);
}

static void
muc_invite_room_free(struct muc_room *room)
{
	struct muc_invite_room	*ir = muc_invite_room(room);
	struct muc_invite	*inv;

	if (ir == NULL)
		return;
	while ((inv = TAILQ_FIRST(&ir->list)) != NULL)
		muc_invite_del(ir, inv);
	free(ir);
	*muc_room_slot(room, &muc_invite_feature) = NULL;
}

/* Forget what is too old to be declined. */
static void
muc_invite_expire(struct muc_invite_room *ir)
{
	struct muc_invite	*inv;
	time_t			 now = time(NULL);

	while ((inv = TAILQ_FIRST(&ir->list)) != NULL &&
	    (now - inv->when > MUC_INVITE_TTL || now < inv->when))
		muc_invite_del(ir, inv);
}

/* Remember that inviter invited invitee; the oldest go past the bound. */
static void
muc_invite_remember(struct muc_room *room, const char *invitee,
    const char *inviter)
{
	struct muc_invite_room	*ir = muc_invite_room(room);
	struct muc_invite	*inv, *next;

	TAILQ_FOREACH_SAFE(inv, &ir->list, entry, next)
		if (strcmp(inv->invitee, invitee) == 0 &&
		    strcmp(inv->inviter, inviter) == 0)
			muc_invite_del(ir, inv);
	while (ir->n >= MUC_INVITE_PENDING)
		muc_invite_del(ir, TAILQ_FIRST(&ir->list));
	if ((inv = calloc(1, sizeof(*inv))) == NULL ||
	    (inv->invitee = strdup(invitee)) == NULL ||
	    (inv->inviter = strdup(inviter)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		if (inv != NULL)
			free(inv->invitee);
		free(inv);
		return;
	}
	inv->when = time(NULL);
	TAILQ_INSERT_TAIL(&ir->list, inv, entry);
	ir->n++;
}

static int
muc_invite_text(struct xml_node *parent, const char *name, const char *text)
{
	struct xml_node	*c;

	if ((c = xml_add_child(parent, NULL, name)) == NULL ||
	    xml_add_text(c, text, strlen(text)) == -1)
		return (-1);
	return (0);
}

/*
 * The invitee of an <invite/>: a user's JID (a bare JID, or a full one),
 * not the server's nor a room's.
 */
static int
muc_invitee_parse(const struct xml_node *invite, struct muc_invitee *iv)
{
	struct jid	 j;
	const char	*to;

	iv->invite = invite;
	if ((to = xml_get_attr(invite, "to")) == NULL ||
	    jid_parse(to, &j) == -1 || j.local[0] == '\0' ||
	    mucd_service_find(j.domain) != NULL ||
	    jid_bare(&j, iv->bare, sizeof(iv->bare)) == 0 ||
	    jid_full(&j, iv->to, sizeof(iv->to)) == 0)
		return (-1);
	return (0);
}

/*
 * May the occupant invite (XEP-0045 sections 7.8.2, 9.5): anyone in an
 * open room; in a members-only room its admins and owners, and its
 * members where the room allows invitations.
 */
static int
muc_invite_allowed(struct muc_ctx *ctx)
{
	struct muc_room	*room = ctx->room;
	int		 aff;

	if (!room->cfg.members_only)
		return (1);
	aff = muc_room_affiliation(room, ctx->bare);
	return (aff >= MUC_AFF_ADMIN ||
	    (aff == MUC_AFF_MEMBER && room->cfg.allow_invites));
}

/*
 * An invitee of a members-only room becomes a member (section 9.5),
 * unless it has an affiliation already: an invitation neither bans nor
 * lifts a ban.  An occupant of that JID shows it at once; of one out of
 * the room, a message tells those who see real JIDs.
 */
static int
muc_invite_member(struct muc_room *room, const char *bare)
{
	struct muc_occupant	*occ;

	if (!room->cfg.members_only ||
	    muc_room_affiliation(room, bare) != MUC_AFF_NONE)
		return (0);
	if (muc_room_set_affiliation(room, bare, MUC_AFF_MEMBER, NULL,
	    NULL) == -1)
		return (-1);
	log_debug("%s: %s is a member of %s, invited", __func__, bare,
	    room->jid);
	RB_FOREACH(occ, muc_occupant_tree, &room->occupants)
		if (strcmp(occ->bare, bare) == 0)
			muc_occupant_broadcast(occ, NULL);
	muc_occupant_tell_affiliation(room, bare, MUC_AFF_MEMBER, NULL);
	return (0);
}

/*
 * The invitation, from the room: the inviter's bare JID and reason,
 * the room's password if it has one, and a body for clients that show
 * nothing else.
 */
static struct xml_node *
muc_invite_message(struct muc_ctx *ctx, const struct muc_invitee *iv)
{
	struct muc_room	*room = ctx->room;
	struct xml_node	*m, *x, *inv;
	char		*reason = NULL, body[2 * JID_BUFSIZE + 64];

	if ((m = muc_stanza_new("message", room->jid, iv->to, NULL)) == NULL ||
	    (x = xml_add_child(m, NS_MUC_USER, "x")) == NULL ||
	    (inv = xml_add_child(x, NULL, "invite")) == NULL ||
	    xml_set_attr(inv, "from", ctx->bare) == -1 ||
	    (xml_find_child(iv->invite, NS_MUC_USER, "reason") != NULL &&
	    ((reason = xml_child_text(iv->invite, NS_MUC_USER,
	    "reason")) == NULL || muc_invite_text(inv, "reason",
	    reason) == -1)) ||
	    (room->cfg.password[0] != '\0' && muc_invite_text(x, "password",
	    room->cfg.password) == -1))
		goto fail;
	(void)snprintf(body, sizeof(body), "%s invites you to the room %s",
	    ctx->bare, room->jid);
	if (muc_invite_text(m, "body", body) == -1)
		goto fail;
	free(reason);
	return (m);
 fail:
	free(reason);
	xml_node_free(m);
	return (NULL);
}

/*
 * Check each invitee, then take the occupant's message allowance, one
 * per invitee, before anything goes out: a message that cannot be sent
 * whole sends nothing.
 */
static int
muc_invite_check(struct muc_ctx *ctx, const struct xml_node *x,
    struct muc_invitee *ivs, int *n, struct muc_error *err)
{
	const struct xml_node	*c;
	int			 i;

	*n = 0;
	TAILQ_FOREACH(c, &x->children, entry) {
		if (!xml_is(c, NS_MUC_USER, "invite"))
			continue;
		if (*n == MUC_INVITE_MAX)
			return (muc_stanza_seterr(err, "modify",
			    "policy-violation", "Too many invitations in one "
			    "message"));
		if (muc_invitee_parse(c, &ivs[(*n)++]) == -1)
			return (muc_stanza_seterr(err, "modify",
			    "jid-malformed", "An invitation is to a user's "
			    "address"));
	}
	for (i = 0; i < *n; i++)
		if (muc_message_rate(ctx->sess->occ) == -1)
			return (muc_stanza_seterr(err, "wait",
			    "resource-constraint", "You are sending too fast"));
	return (0);
}

/* An occupant's invitations (section 7.8.2). */
static int
muc_invite_send(struct muc_ctx *ctx, const struct xml_node *x,
    struct muc_error *err)
{
	struct muc_invitee	*ivs;
	struct xml_node		*m;
	int			 i, n, rc = MUC_DONE;

	if (ctx->sess == NULL)
		return (muc_stanza_seterr(err, "cancel", "not-acceptable",
		    "You are not in the room"));
	if (!muc_invite_allowed(ctx))
		return (muc_stanza_seterr(err, "auth", "forbidden",
		    "You may not invite others to this room"));
	if ((ivs = calloc(MUC_INVITE_MAX, sizeof(*ivs))) == NULL)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	if (muc_invite_check(ctx, x, ivs, &n, err) == MUC_FAIL) {
		free(ivs);
		return (MUC_FAIL);
	}
	for (i = 0; i < n && rc == MUC_DONE; i++) {
		if (muc_invite_member(ctx->room, ivs[i].bare) == -1 ||
		    (m = muc_invite_message(ctx, &ivs[i])) == NULL) {
			rc = muc_stanza_seterr(err, "wait",
			    "internal-server-error", NULL);
			break;
		}
		(void)muc_stanza_send(m);
		xml_node_free(m);
		muc_invite_remember(ctx->room, ivs[i].bare, ctx->bare);
		log_debug("%s: %s invites %s to %s", __func__, ctx->from,
		    ivs[i].to, ctx->room->jid);
	}
	free(ivs);
	return (rc);
}

/*
 * The invitation the sender may decline: to the JID named (which the
 * invitation named as its inviter), or the latest.
 */
static struct muc_invite *
muc_invite_find(struct muc_ctx *ctx, const char *to)
{
	struct muc_invite_room	*ir = muc_invite_room(ctx->room);
	struct muc_invite	*inv;

	muc_invite_expire(ir);
	TAILQ_FOREACH_REVERSE(inv, &ir->list, muc_invite_list, entry)
		if (strcmp(inv->invitee, ctx->bare) == 0 &&
		    (to == NULL || strcmp(inv->inviter, to) == 0))
			return (inv);
	return (NULL);
}

/*
 * An invitee declines (section 7.8.2): the inviter hears it from the
 * room, with the invitee's bare JID.  Who was not invited is answered
 * as by a room that does not exist.
 */
static int
muc_invite_decline(struct muc_ctx *ctx, const struct xml_node *x,
    struct muc_error *err)
{
	const struct xml_node	*d = xml_find_child(x, NS_MUC_USER, "decline");
	struct muc_invite	*inv;
	struct xml_node		*m, *dx, *nd;
	struct jid		 j;
	char			 to[JID_BUFSIZE], *reason = NULL;
	const char		*v;

	if ((v = xml_get_attr(d, "to")) != NULL && (jid_parse(v, &j) == -1 ||
	    jid_bare(&j, to, sizeof(to)) == 0))
		return (muc_stanza_seterr(err, "modify", "jid-malformed",
		    NULL));
	if ((inv = muc_invite_find(ctx, v != NULL ? to : NULL)) == NULL)
		return (muc_stanza_seterr(err, "cancel", "item-not-found",
		    NULL));
	if ((m = muc_stanza_new("message", ctx->room->jid, inv->inviter,
	    NULL)) == NULL ||
	    (dx = xml_add_child(m, NS_MUC_USER, "x")) == NULL ||
	    (nd = xml_add_child(dx, NULL, "decline")) == NULL ||
	    xml_set_attr(nd, "from", ctx->bare) == -1 ||
	    (xml_find_child(d, NS_MUC_USER, "reason") != NULL &&
	    ((reason = xml_child_text(d, NS_MUC_USER, "reason")) == NULL ||
	    muc_invite_text(nd, "reason", reason) == -1))) {
		free(reason);
		xml_node_free(m);
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	}
	(void)muc_stanza_send(m);
	free(reason);
	xml_node_free(m);
	log_debug("%s: %s declines to enter %s", __func__, ctx->bare,
	    ctx->room->jid);
	muc_invite_del(muc_invite_room(ctx->room), inv);
	return (MUC_DONE);
}

/*
 * A message to the room with the muc#user x: invitations, or one
 * decline.  From an outsider, a hidden room is as one that does not
 * exist.
 */
static int
muc_invite_in(struct muc_ctx *ctx, struct muc_error *err)
{
	const struct xml_node	*x;
	int			 invites, declines;

	if ((x = xml_find_child(ctx->n, NS_MUC_USER, "x")) == NULL)
		return (MUC_PASS);
	invites = xml_find_child(x, NS_MUC_USER, "invite") != NULL;
	declines = xml_find_child(x, NS_MUC_USER, "decline") != NULL;
	if (!invites && !declines)
		return (MUC_PASS);
	if (!muc_room_visible(ctx) && !(declines &&
	    muc_invite_find(ctx, NULL) != NULL))
		return (muc_stanza_seterr(err, "cancel", "item-not-found",
		    NULL));
	if (invites && declines)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "Invite or decline, not both"));
	if (invites)
		return (muc_invite_send(ctx, x, err));
	return (muc_invite_decline(ctx, x, err));
}

const struct muc_feature muc_invite_feature = {
	.name = "invite",
	.room_init = muc_invite_room_init,
	.room_free = muc_invite_room_free,
	.message = muc_invite_in,
};
