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
 * Registering with a room (XEP-0045 section 7.10, jabber:iq:register):
 * a user reserves a nick, which no other user may take, and becomes a
 * member.  A members-only room takes no registration from one who is
 * not a member already: its admins add members.  A user finds the nick
 * reserved for it with disco#info node x-roomuser-item (section 7.12).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include "jid.h"
#include "log.h"
#include "muc.h"
#include "muc_form.h"
#include "xml.h"

#define NS_REGISTER		"jabber:iq:register"
#define NS_MUC_REGISTER		"http://jabber.org/protocol/muc#register"
#define MUC_REGISTER_NODE	"x-roomuser-item"

/* The nick reserved for bare in room, or NULL. */
static const char *
muc_register_nick(struct muc_room *room, const char *bare)
{
	struct muc_aff	*a;

	if ((a = muc_room_aff_find(room, bare)) == NULL || a->nick[0] == '\0')
		return (NULL);
	return (a->nick);
}

/*
 * May bare register: not an outcast, and a member already in a
 * members-only room (<not-allowed/>, section 7.10).
 */
static int
muc_register_allowed(struct muc_room *room, const char *bare,
    struct muc_error *err)
{
	int	 aff = muc_room_affiliation(room, bare);

	if (aff == MUC_AFF_OUTCAST || (room->cfg.members_only &&
	    aff < MUC_AFF_MEMBER))
		return (muc_stanza_seterr(err, "cancel", "not-allowed",
		    "You may not register with this room"));
	return (0);
}

/* The form, with the nick already reserved (NULL: none). */
static struct xml_node *
muc_register_form(const char *nick)
{
	struct xml_node	*q, *x, *f, *t;

	if ((q = xml_node_new(NS_REGISTER, "query")) == NULL)
		return (NULL);
	if (nick != NULL && (xml_add_child(q, NULL, "registered") == NULL ||
	    (t = xml_add_child(q, NULL, "username")) == NULL ||
	    xml_add_text(t, nick, strlen(nick)) == -1))
		goto fail;
	if ((x = muc_form_new(q, NS_MUC_REGISTER, "Room registration",
	    "Choose the nick reserved for you in this room.")) == NULL ||
	    (f = muc_form_field(x, "muc#register_roomnick", "text-single",
	    "Nick")) == NULL || xml_add_child(f, NULL, "required") == NULL ||
	    (nick != NULL && muc_form_value(f, nick) == -1))
		goto fail;
	return (q);
 fail:
	xml_node_free(q);
	return (NULL);
}

/*
 * The role an occupant has once its affiliation is aff: a member
 * gains the voice it gives in a moderated room, and one who stops
 * being a member loses it.
 */
static int
muc_register_role(struct muc_room *room, int role, int aff)
{
	int	 def = muc_room_default_role(room, aff);

	if (role < def || (role == MUC_ROLE_PARTICIPANT &&
	    def == MUC_ROLE_VISITOR))
		return (def);
	return (role);
}

/*
 * The occupants of bare hear of its new affiliation (XEP-0045 section
 * 7.10); one who is no more a member of a members-only room leaves it
 * (321).  When bare is not in the room and its affiliation was another
 * (was), those who see real JIDs are told by message.
 */
static void
muc_register_tell(struct muc_room *room, const char *bare, int was)
{
	static const int	 c321[] = { 321, 0 }, none[] = { 0 };
	struct muc_why		 why = { none, NULL, NULL, NULL, NULL };
	struct muc_occupant	*occ, *next;
	int			 aff = muc_room_affiliation(room, bare);

	if (room->cfg.members_only && aff < MUC_AFF_MEMBER)
		why.codes = c321;
	RB_FOREACH_SAFE(occ, muc_occupant_tree, &room->occupants, next) {
		if (strcmp(occ->bare, bare) != 0)
			continue;
		if (why.codes == c321)
			muc_occupant_remove(occ, &why);
		else
			muc_occupant_set_role(occ, muc_register_role(room,
			    occ->role, aff), &why);
	}
	if (aff != was)
		muc_occupant_tell_affiliation(room, bare, aff, NULL);
}

/*
 * The nick of a submitted form, prepared and checked as a nick of the
 * room is (length, spaces, reserved by another), and in use by no other
 * occupant (<conflict/>).
 */
static int
muc_register_read(struct muc_ctx *ctx, const struct xml_node *x, char *nick,
    size_t len, struct muc_error *err)
{
	struct muc_occupant	*occ;
	struct xml_node		*f;
	char			*v;
	int			 rc = 0;

	if (muc_form_submitted(x, NS_MUC_REGISTER, err) == MUC_FAIL)
		return (MUC_FAIL);
	if ((f = muc_form_find(x, "muc#register_roomnick")) == NULL)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "A nick is required"));
	if (muc_form_single(f, &v, err) == MUC_FAIL)
		return (MUC_FAIL);
	if (*v == '\0')
		rc = muc_stanza_seterr(err, "modify", "bad-request",
		    "A nick is required");
	else if (strlcpy(nick, v, len) >= len ||
	    jid_prep_resource(nick, len) == -1)
		rc = muc_stanza_seterr(err, "modify", "not-acceptable",
		    "That is not a nick");
	free(v);
	if (rc == MUC_FAIL || muc_occupant_nick_check(ctx->room, ctx->bare,
	    nick, err) == MUC_FAIL)
		return (MUC_FAIL);
	if ((occ = muc_occupant_find(ctx->room, nick)) != NULL &&
	    strcmp(occ->bare, ctx->bare) != 0)
		return (muc_stanza_seterr(err, "cancel", "conflict",
		    "That nick is taken"));
	return (0);
}

/* bare takes nick, and is a member at least. */
static int
muc_register_set(struct muc_ctx *ctx, const struct xml_node *x,
    struct muc_error *err)
{
	struct muc_room	*room = ctx->room;
	struct muc_aff	*a;
	char		 nick[JID_PARTMAX + 1];
	int		 aff, was;

	if (muc_register_allowed(room, ctx->bare, err) == MUC_FAIL ||
	    muc_register_read(ctx, x, nick, sizeof(nick), err) == MUC_FAIL)
		return (MUC_FAIL);
	a = muc_room_aff_find(room, ctx->bare);
	if ((aff = was = muc_room_affiliation(room, ctx->bare)) <
	    MUC_AFF_MEMBER)
		aff = MUC_AFF_MEMBER;
	if (muc_room_set_affiliation(room, ctx->bare, aff, nick,
	    a != NULL ? a->reason : NULL) == -1)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	log_debug("%s: %s registers with %s", __func__, ctx->bare, room->jid);
	muc_stanza_result(ctx, NULL);
	muc_register_tell(room, ctx->bare, was);
	return (MUC_DONE);
}

/*
 * Cancelling a registration (XEP-0077 section 3.2): the nick is free
 * again and a member is not one any more; an admin or owner stays so.
 */
static int
muc_register_remove(struct muc_ctx *ctx, const struct xml_node *q,
    struct muc_error *err)
{
	struct muc_room	*room = ctx->room;
	struct muc_aff	*a;
	struct xml_node	*c;
	int		 was;

	TAILQ_FOREACH(c, &q->children, entry)
		if (c->name != NULL && !xml_is(c, NS_REGISTER, "remove"))
			return (muc_stanza_seterr(err, "modify", "bad-request",
			    "Remove comes alone"));
	if ((a = muc_room_aff_find(room, ctx->bare)) == NULL ||
	    (a->affiliation != MUC_AFF_MEMBER && a->nick[0] == '\0') ||
	    a->affiliation == MUC_AFF_OUTCAST)
		return (muc_stanza_seterr(err, "cancel",
		    "registration-required", "You are not registered"));
	was = muc_room_affiliation(room, ctx->bare);
	if (muc_room_set_affiliation(room, ctx->bare, a->affiliation ==
	    MUC_AFF_MEMBER ? MUC_AFF_NONE : a->affiliation, NULL,
	    a->reason) == -1)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	log_debug("%s: %s leaves %s", __func__, ctx->bare, room->jid);
	muc_stanza_result(ctx, NULL);
	muc_register_tell(room, ctx->bare, was);
	if (room->noccupants == 0 && !room->cfg.persistent) {
		ctx->room = NULL;
		ctx->sess = NULL;
		muc_room_gone_if_empty(room);
	}
	return (MUC_DONE);
}

/* jabber:iq:register to a room. */
static int
muc_register_iq(struct muc_ctx *ctx, struct xml_node *q, struct muc_error *err)
{
	struct xml_node	*x, *form;
	const char	*type;

	if (ctx->room == NULL)
		return (muc_stanza_seterr(err, "cancel", "item-not-found",
		    NULL));
	if (!xml_is(q, NS_REGISTER, "query"))
		return (muc_stanza_seterr(err, "modify", "bad-request", NULL));
	if (strcmp(ctx->type, "get") == 0) {
		if (muc_register_nick(ctx->room, ctx->bare) == NULL &&
		    muc_register_allowed(ctx->room, ctx->bare, err) == MUC_FAIL)
			return (MUC_FAIL);
		if ((form = muc_register_form(muc_register_nick(ctx->room,
		    ctx->bare))) == NULL)
			return (muc_stanza_seterr(err, "wait",
			    "internal-server-error", NULL));
		muc_stanza_result(ctx, form);
		return (MUC_DONE);
	}
	if (xml_find_child(q, NS_REGISTER, "remove") != NULL)
		return (muc_register_remove(ctx, q, err));
	if ((x = xml_find_child(q, NS_XDATA, "x")) == NULL)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "Registration takes a data form"));
	if ((type = xml_get_attr(x, "type")) != NULL &&
	    strcmp(type, "cancel") == 0) {
		muc_stanza_result(ctx, NULL);
		return (MUC_DONE);
	}
	if (type == NULL || strcmp(type, "submit") != 0)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "A data form is submitted or cancelled"));
	return (muc_register_set(ctx, x, err));
}

/*
 * The nick reserved for the sender (XEP-0045 section 7.12): an identity
 * named so, or an empty answer.  A hidden room is not there for one who
 * is neither in it nor affiliated with it, as for the rest of disco.
 * Other nodes are not this feature's.
 */
static int
muc_register_disco(struct muc_ctx *ctx, struct xml_node *q,
    struct muc_error *err)
{
	struct xml_node	*r, *id;
	const char	*node = xml_get_attr(q, "node"), *nick;

	if (!xml_is(q, NS_DISCO_INFO, "query") || node == NULL ||
	    strcmp(node, MUC_REGISTER_NODE) != 0 ||
	    strcmp(ctx->type, "get") != 0 || ctx->room == NULL)
		return (MUC_PASS);
	if (!ctx->room->cfg.public && ctx->sess == NULL &&
	    muc_room_affiliation(ctx->room, ctx->bare) < MUC_AFF_MEMBER)
		return (muc_stanza_seterr(err, "cancel", "item-not-found",
		    NULL));
	if ((r = xml_node_new(NS_DISCO_INFO, "query")) == NULL ||
	    xml_set_attr(r, "node", MUC_REGISTER_NODE) == -1)
		goto fail;
	if ((nick = muc_register_nick(ctx->room, ctx->bare)) != NULL &&
	    ((id = xml_add_child(r, NULL, "identity")) == NULL ||
	    xml_set_attr(id, "category", "conference") == -1 ||
	    xml_set_attr(id, "type", "text") == -1 ||
	    xml_set_attr(id, "name", nick) == -1))
		goto fail;
	muc_stanza_result(ctx, r);
	return (MUC_DONE);
 fail:
	xml_node_free(r);
	return (muc_stanza_seterr(err, "wait", "internal-server-error", NULL));
}

/* A nick reserved for another user is not to be taken (section 7.12). */
static int
muc_register_nick_check(struct muc_room *room, const char *bare,
    const char *nick, struct muc_error *err)
{
	struct muc_aff	*a;
	char		*key, *k;
	int		 taken = 0;

	if (muc_occupant_nick_key(nick, &key) == -1)
		return (muc_stanza_seterr(err, "modify", "not-acceptable",
		    "That is not a nick"));
	RB_FOREACH(a, muc_aff_tree, &room->affs) {
		if (a->nick[0] == '\0' || strcmp(a->jid, bare) == 0 ||
		    muc_occupant_nick_key(a->nick, &k) == -1)
			continue;
		taken = strcmp(k, key) == 0;
		free(k);
		if (taken)
			break;
	}
	free(key);
	if (taken)
		return (muc_stanza_seterr(err, "cancel", "conflict",
		    "That nick is reserved"));
	return (0);
}

static void
muc_register_features(struct muc_room *room, struct xml_node *q)
{
	if (room != NULL)
		(void)(mucd_disco_add(q, NS_REGISTER) == -1 ||
		    mucd_disco_add(q, NS_MUC_REGISTER) == -1);
}

static const struct muc_iq muc_register_iqs[] = {
	{ NS_REGISTER,		MUC_AT_ROOM,	muc_register_iq },
	{ NS_DISCO_INFO,	MUC_AT_ROOM,	muc_register_disco },
	{ NULL,			0,		NULL },
};

const struct muc_feature muc_register_feature = {
	.name = "register",
	.nick_check = muc_register_nick_check,
	.iqs = muc_register_iqs,
	.disco = muc_register_features,
};
