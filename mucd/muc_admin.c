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
 * Roles and affiliations (XEP-0045 sections 8 to 10): the muc#admin
 * lists and their changes, kick and ban, entry to a members-only room,
 * and voice requests (sections 7.13, 8.6).  A change of several items
 * is checked whole before any is made, and its affiliations are written
 * in one transaction: all or nothing.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "muc.h"
#include "muc_backend.h"
#include "proc.h"
#include "xml.h"

#define NS_MUC_REQUEST		"http://jabber.org/protocol/muc#request"

#define MUC_ADMIN_ITEMS_MAX	100	/* items of one change */
#define MUC_ADMIN_AFFS_MAX	2000	/* affiliations of one room */
#define MUC_ADMIN_REASON_MAX	1024	/* characters of a reason */
#define MUC_ADMIN_VOICES_MAX	256	/* voices a room remembers */

/* One item of a change, read and checked; old: what it was, to undo. */
struct muc_admin_item {
	int			 value;	/* the new role or affiliation */
	char			*jid;	/* affiliation: a bare JID or domain */
	struct muc_occupant	*occ;	/* role: whose */
	char			*nick;	/* reserved nick; NULL: as it was */
	char			*reason;
	int			 old;
	char			*old_nick;
	char			*old_reason;
};

/* A muc#admin request and its sender, as the room knows them. */
struct muc_admin_req {
	struct muc_ctx		*ctx;
	struct muc_room		*room;
	struct muc_occupant	*actor;	/* the sender's occupant, or NULL */
	char			*nick;	/* its nick, kept past its leaving */
	int			 aff;
	int			 role;	/* MUC_ROLE_NONE outside */
	int			 roles;	/* the items change roles */
	struct muc_admin_item	*items;
	size_t			 nitems;
};

/* An occupant's affiliation before a change. */
struct muc_admin_was {
	struct muc_occupant	*occ;
	int			 aff;
};

/*
 * The voice a moderator gave or took from a user without an admin
 * affiliation, kept while the room lives: leaving and entering again
 * does not undo it (XEP-0045 section 5.1).
 */
struct muc_admin_voice {
	TAILQ_ENTRY(muc_admin_voice) entry;
	char			*bare;
	int			 role;	/* visitor or participant */
};
TAILQ_HEAD(muc_admin_voices, muc_admin_voice);

struct muc_admin_room {
	struct muc_admin_voices	 voices;
	int			 nvoices;
};

static const int	 muc_admin_c301[] = { 301, 0 };
static const int	 muc_admin_c307[] = { 307, 0 };
static const int	 muc_admin_c321[] = { 321, 0 };
static const int	 muc_admin_none[] = { 0 };

static int
muc_admin_oom(struct muc_error *err)
{
	return (muc_stanza_seterr(err, "wait", "internal-server-error", NULL));
}

static const char *
muc_admin_str(const char *s)
{
	return (s != NULL ? s : "");
}

static struct muc_admin_room *
muc_admin_room(struct muc_room *room)
{
	return (*muc_room_slot(room, &muc_admin_feature));
}

static void
muc_admin_room_init(struct muc_room *room)
{
	struct muc_admin_room	*ar;

	if ((ar = calloc(1, sizeof(*ar))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&ar->voices);
	*muc_room_slot(room, &muc_admin_feature) = ar;
}

static void
muc_admin_voice_free(struct muc_admin_room *ar, struct muc_admin_voice *v)
{
	TAILQ_REMOVE(&ar->voices, v, entry);
	ar->nvoices--;
	free(v->bare);
	free(v);
}

static void
muc_admin_room_free(struct muc_room *room)
{
	struct muc_admin_room	*ar = muc_admin_room(room);
	struct muc_admin_voice	*v;

	if (ar == NULL)
		return;
	while ((v = TAILQ_FIRST(&ar->voices)) != NULL)
		muc_admin_voice_free(ar, v);
	free(ar);
	*muc_room_slot(room, &muc_admin_feature) = NULL;
}

static struct muc_admin_voice *
muc_admin_voice_find(struct muc_room *room, const char *bare)
{
	struct muc_admin_voice	*v;

	TAILQ_FOREACH(v, &muc_admin_room(room)->voices, entry)
		if (strcmp(v->bare, bare) == 0)
			return (v);
	return (NULL);
}

/* Remember the voice of bare (role NONE: forget it); the oldest go. */
static void
muc_admin_voice_keep(struct muc_room *room, const char *bare, int role)
{
	struct muc_admin_room	*ar = muc_admin_room(room);
	struct muc_admin_voice	*v;

	if ((v = muc_admin_voice_find(room, bare)) != NULL)
		muc_admin_voice_free(ar, v);
	if (role != MUC_ROLE_VISITOR && role != MUC_ROLE_PARTICIPANT)
		return;
	if (ar->nvoices >= MUC_ADMIN_VOICES_MAX)
		muc_admin_voice_free(ar, TAILQ_FIRST(&ar->voices));
	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (v->bare = strdup(bare)) == NULL) {
		log_warn("%s", __func__);
		free(v);
		return;
	}
	v->role = role;
	TAILQ_INSERT_TAIL(&ar->voices, v, entry);
	ar->nvoices++;
}

/*
 * Entering: a members-only room admits its members, admins and owners
 * only (XEP-0045 section 7.2.6); a remembered voice applies again.
 */
static int
muc_admin_join_check(struct muc_join *j, struct muc_error *err)
{
	struct muc_admin_voice	*v;

	if (j->room->cfg.members_only && j->affiliation < MUC_AFF_MEMBER)
		return (muc_stanza_seterr(err, "auth", "registration-required",
		    "This room is for its members only"));
	if (j->affiliation < MUC_AFF_ADMIN &&
	    (v = muc_admin_voice_find(j->room, j->ctx->bare)) != NULL)
		j->role = v->role;
	return (0);
}

/* The sender's occupant: its session's, else one of its bare JID's. */
static struct muc_occupant *
muc_admin_actor(struct muc_ctx *ctx)
{
	struct muc_occupant	*o, *best = NULL;

	if (ctx->sess != NULL)
		return (ctx->sess->occ);
	RB_FOREACH(o, muc_occupant_tree, &ctx->room->occupants)
		if (strcmp(o->bare, ctx->bare) == 0 &&
		    (best == NULL || o->role > best->role))
			best = o;
	return (best);
}

/*
 * One who is neither in a hidden room nor affiliated with it learns
 * nothing of it: the answer is that of a room that does not exist,
 * 'by' the service.
 */
static int
muc_admin_hidden(struct muc_ctx *ctx, struct muc_occupant *actor, int aff)
{
	struct muc_error	 err;
	struct muc_room		*room = ctx->room;

	if (room->cfg.public || actor != NULL || aff != MUC_AFF_NONE)
		return (0);
	(void)muc_stanza_seterr(&err, "cancel", "item-not-found", NULL);
	ctx->room = NULL;
	muc_stanza_error(ctx, &err);
	ctx->room = room;
	return (1);
}

static int
muc_admin_add_text(struct xml_node *parent, const char *name,
    const char *text)
{
	struct xml_node	*c;

	if ((c = xml_add_child(parent, NULL, name)) == NULL ||
	    xml_add_text(c, text, strlen(text)) == -1)
		return (-1);
	return (0);
}

/* The <item/> children of q, and nothing else; their number, or -1. */
static int
muc_admin_count(const struct xml_node *q)
{
	struct xml_node	*c;
	int		 n = 0;

	TAILQ_FOREACH(c, &q->children, entry) {
		if (c->name == NULL)
			continue;
		if (!xml_is(c, NS_MUC_ADMIN, "item"))
			return (-1);
		if (n++ > MUC_ADMIN_ITEMS_MAX)
			break;
	}
	return (n);
}

/*
 * May the sender read the list of aff: admins and owners read them all;
 * in a members-only room its members read the member, admin and owner
 * lists (not the ban list).
 */
static int
muc_admin_may_list(struct muc_admin_req *r, int aff)
{
	if (r->aff >= MUC_AFF_ADMIN)
		return (1);
	return (r->room->cfg.members_only && r->aff == MUC_AFF_MEMBER &&
	    aff != MUC_AFF_OUTCAST);
}

/*
 * The affiliation list of aff (XEP-0045 sections 9.2, 9.5, 10.5, 10.8),
 * if it fits in a stanza a client could send itself ("stanza size").
 */
static struct xml_node *
muc_admin_list_affs(struct muc_admin_req *r, int aff, struct muc_error *err)
{
	struct xml_node	*q, *it;
	struct muc_aff	*a;
	size_t		 len = 4096, max;

	max = proc_self.conf->global.limits.stanza_size;
	if ((q = xml_node_new(NS_MUC_ADMIN, "query")) == NULL)
		goto fail;
	RB_FOREACH(a, muc_aff_tree, &r->room->affs) {
		if (a->affiliation != aff)
			continue;
		len += strlen(a->jid) + strlen(muc_admin_str(a->nick)) +
		    strlen(muc_admin_str(a->reason)) + 64;
		if (len > max) {
			xml_node_free(q);
			(void)muc_stanza_seterr(err, "wait",
			    "resource-constraint", "The list is too long");
			return (NULL);
		}
		if ((it = xml_add_child(q, NULL, "item")) == NULL ||
		    xml_set_attr(it, "affiliation",
		    muc_room_aff_name(aff)) == -1 ||
		    xml_set_attr(it, "jid", a->jid) == -1 ||
		    (muc_admin_str(a->nick)[0] != '\0' &&
		    xml_set_attr(it, "nick", a->nick) == -1) ||
		    (aff == MUC_AFF_OUTCAST && muc_admin_str(a->reason)[0] !=
		    '\0' && muc_admin_add_text(it, "reason", a->reason) == -1))
			goto fail;
	}
	return (q);
 fail:
	xml_node_free(q);
	(void)muc_admin_oom(err);
	return (NULL);
}

/* The occupants of a role, with their real JIDs: a moderator asks. */
static struct xml_node *
muc_admin_list_roles(struct muc_admin_req *r, int role, struct muc_error *err)
{
	struct xml_node		*q, *it;
	struct muc_occupant	*o;

	if ((q = xml_node_new(NS_MUC_ADMIN, "query")) == NULL)
		goto fail;
	RB_FOREACH(o, muc_occupant_tree, &r->room->occupants) {
		if (o->role != role)
			continue;
		if ((it = xml_add_child(q, NULL, "item")) == NULL ||
		    xml_set_attr(it, "nick", o->nick) == -1 ||
		    xml_set_attr(it, "role", muc_room_role_name(role)) == -1 ||
		    xml_set_attr(it, "affiliation", muc_room_aff_name(
		    muc_room_affiliation(r->room, o->bare))) == -1 ||
		    (o->last != NULL && xml_set_attr(it, "jid",
		    o->last->jid) == -1))
			goto fail;
	}
	return (q);
 fail:
	xml_node_free(q);
	(void)muc_admin_oom(err);
	return (NULL);
}

/* A list request: one item naming an affiliation or a role, no more. */
static int
muc_admin_get(struct muc_admin_req *r, struct xml_node *q,
    struct muc_error *err)
{
	struct xml_node	*item, *res;
	const char	*aff, *role;
	int		 v;

	if (muc_admin_count(q) != 1 ||
	    (item = xml_find_child(q, NS_MUC_ADMIN, "item")) == NULL ||
	    xml_get_attr(item, "jid") != NULL ||
	    xml_get_attr(item, "nick") != NULL)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "A list is asked for with one item naming it"));
	aff = xml_get_attr(item, "affiliation");
	role = xml_get_attr(item, "role");
	if ((aff == NULL) == (role == NULL))
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "A list is of an affiliation or of a role"));
	if (aff != NULL) {
		if ((v = muc_room_aff_parse(aff)) == -1 || v == MUC_AFF_NONE)
			return (muc_stanza_seterr(err, "modify", "bad-request",
			    "No such affiliation list"));
		if (!muc_admin_may_list(r, v))
			return (muc_stanza_seterr(err, "auth", "forbidden",
			    NULL));
		res = muc_admin_list_affs(r, v, err);
	} else {
		if ((v = muc_room_role_parse(role)) == -1 ||
		    v == MUC_ROLE_NONE)
			return (muc_stanza_seterr(err, "modify", "bad-request",
			    "No such role list"));
		if (r->role != MUC_ROLE_MODERATOR)
			return (muc_stanza_seterr(err, "auth", "forbidden",
			    NULL));
		res = muc_admin_list_roles(r, v, err);
	}
	if (res == NULL)
		return (MUC_FAIL);
	muc_stanza_result(r->ctx, res);
	return (MUC_DONE);
}

/* The text of an item's <reason/>, NULL if none; bounded. */
static int
muc_admin_reason(const struct xml_node *item, char **reason,
    struct muc_error *err)
{
	struct xml_node	*n;

	if ((n = xml_find_child(item, NS_MUC_ADMIN, "reason")) == NULL)
		return (0);
	if ((*reason = xml_text(n)) == NULL)
		return (muc_admin_oom(err));
	if (muc_stanza_chars(*reason) > MUC_ADMIN_REASON_MAX)
		return (muc_stanza_seterr(err, "modify", "not-acceptable",
		    "The reason is too long"));
	return (0);
}

/* A JID as affiliations know it: bare, or a domain. */
static int
muc_admin_bare(const char *s, char **bare, struct muc_error *err)
{
	struct jid	 j;
	char		 b[JID_BUFSIZE];

	if (jid_parse(s, &j) == -1 || jid_bare(&j, b, sizeof(b)) == 0)
		return (muc_stanza_seterr(err, "modify", "jid-malformed",
		    NULL));
	if ((*bare = strdup(b)) == NULL)
		return (muc_admin_oom(err));
	return (0);
}

/* A nick reserved with an affiliation: prepared, "" to clear it. */
static int
muc_admin_nick(struct muc_room *room, const char *nick, char **out,
    struct muc_error *err)
{
	char	 b[JID_PARTMAX + 1];

	if (nick[0] != '\0' && (strlcpy(b, nick, sizeof(b)) >= sizeof(b) ||
	    jid_prep_resource(b, sizeof(b)) == -1 || b[strspn(b, " ")] ==
	    '\0' || muc_stanza_chars(b) >
	    (size_t)room->svc->conf->nick_length))
		return (muc_stanza_seterr(err, "modify", "not-acceptable",
		    "That nick cannot be reserved"));
	if ((*out = strdup(nick[0] != '\0' ? b : "")) == NULL)
		return (muc_admin_oom(err));
	return (0);
}

/*
 * An item of an affiliation change: by JID (with perhaps the nick to
 * reserve), or by the nick of an occupant, whose bare JID it means.
 */
static int
muc_admin_read_aff(struct muc_admin_req *r, const struct xml_node *n,
    struct muc_admin_item *it, struct muc_error *err)
{
	const char		*jid = xml_get_attr(n, "jid");
	const char		*nick = xml_get_attr(n, "nick");
	struct muc_occupant	*o;

	if ((it->value = muc_room_aff_parse(xml_get_attr(n,
	    "affiliation"))) == -1)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "No such affiliation"));
	if (jid != NULL) {
		if (muc_admin_bare(jid, &it->jid, err) == MUC_FAIL)
			return (MUC_FAIL);
		return (nick == NULL ? 0 :
		    muc_admin_nick(r->room, nick, &it->nick, err));
	}
	if (nick == NULL)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "An affiliation is of a JID"));
	if ((o = muc_occupant_find(r->room, nick)) == NULL)
		return (muc_stanza_seterr(err, "cancel", "item-not-found",
		    "No occupant has that nick"));
	if ((it->jid = strdup(o->bare)) == NULL)
		return (muc_admin_oom(err));
	return (0);
}

/* An item of a role change: by the nick of an occupant. */
static int
muc_admin_read_role(struct muc_admin_req *r, const struct xml_node *n,
    struct muc_admin_item *it, struct muc_error *err)
{
	const char	*nick = xml_get_attr(n, "nick");

	if ((it->value = muc_room_role_parse(xml_get_attr(n, "role"))) == -1)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "No such role"));
	if (nick == NULL)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "A role is of a nick"));
	if ((it->occ = muc_occupant_find(r->room, nick)) == NULL)
		return (muc_stanza_seterr(err, "cancel", "item-not-found",
		    "No occupant has that nick"));
	return (0);
}

/* Does an item name what an earlier one did? */
static int
muc_admin_twice(struct muc_admin_req *r, size_t i)
{
	size_t	 k;

	for (k = 0; k < i; k++)
		if (r->roles ? r->items[k].occ == r->items[i].occ :
		    strcmp(r->items[k].jid, r->items[i].jid) == 0)
			return (1);
	return (0);
}

/*
 * The items of a change: all of roles or all of affiliations (not both,
 * XEP-0045 section 8), each naming whom it changes, none twice.
 */
static int
muc_admin_read(struct muc_admin_req *r, const struct xml_node *q,
    struct muc_error *err)
{
	struct xml_node	*c;
	int		 n, role;

	if ((n = muc_admin_count(q)) == -1 || n == 0)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "A change is a list of items"));
	if (n > MUC_ADMIN_ITEMS_MAX)
		return (muc_stanza_seterr(err, "modify", "policy-violation",
		    "Too many items at once"));
	if ((r->items = calloc(n, sizeof(*r->items))) == NULL)
		return (muc_admin_oom(err));
	TAILQ_FOREACH(c, &q->children, entry) {
		if (c->name == NULL)
			continue;
		role = xml_get_attr(c, "role") != NULL;
		if (role == (xml_get_attr(c, "affiliation") != NULL))
			return (muc_stanza_seterr(err, "modify", "bad-request",
			    "An item changes a role or an affiliation"));
		if (r->nitems == 0)
			r->roles = role;
		else if (role != r->roles)
			return (muc_stanza_seterr(err, "modify", "bad-request",
			    "Roles and affiliations are changed apart"));
		if ((role ? muc_admin_read_role(r, c, &r->items[r->nitems],
		    err) : muc_admin_read_aff(r, c, &r->items[r->nitems],
		    err)) == MUC_FAIL ||
		    muc_admin_reason(c, &r->items[r->nitems].reason, err) ==
		    MUC_FAIL) {
			r->nitems++;
			return (MUC_FAIL);
		}
		if (muc_admin_twice(r, r->nitems++))
			return (muc_stanza_seterr(err, "modify", "bad-request",
			    "An item names whom another does"));
	}
	return (0);
}

/*
 * May the sender give occupant it->occ the role it->value (XEP-0045
 * sections 5.1, 8.2 to 8.5, 9.6 to 9.8)?
 */
static int
muc_admin_check_role(struct muc_admin_req *r, struct muc_admin_item *it,
    struct muc_error *err)
{
	struct muc_occupant	*o = it->occ;
	int			 aff = muc_room_affiliation(r->room, o->bare);

	if (it->value == o->role)
		return (0);
	if (it->value == MUC_ROLE_NONE) {
		if (o == r->actor)
			return (muc_stanza_seterr(err, "cancel", "conflict",
			    "You cannot kick yourself"));
		if (aff > r->aff || (o->role == MUC_ROLE_MODERATOR &&
		    r->aff < MUC_AFF_ADMIN))
			return (muc_stanza_seterr(err, "cancel", "not-allowed",
			    "You cannot kick this occupant"));
		return (0);
	}
	if ((it->value == MUC_ROLE_MODERATOR ||
	    o->role == MUC_ROLE_MODERATOR) && r->aff < MUC_AFF_ADMIN)
		return (muc_stanza_seterr(err, "auth", "forbidden",
		    "Only admins and owners make or unmake moderators"));
	if (aff >= MUC_AFF_ADMIN)
		return (muc_stanza_seterr(err, "cancel", "not-allowed",
		    "The role of an admin or owner stays"));
	if (it->value == MUC_ROLE_VISITOR && aff >= r->aff)
		return (muc_stanza_seterr(err, "cancel", "not-allowed",
		    "You cannot take the voice of this occupant"));
	return (0);
}

/*
 * May the sender give it->jid the affiliation it->value (XEP-0045
 * sections 5.2, 9.1 to 9.5, 10.3 to 10.8)?
 */
static int
muc_admin_check_aff(struct muc_admin_req *r, struct muc_admin_item *it,
    struct muc_error *err)
{
	struct muc_aff	*a = muc_room_aff_find(r->room, it->jid);
	int		 cur = a != NULL ? a->affiliation : MUC_AFF_NONE;

	if (it->value >= MUC_AFF_ADMIN && r->aff != MUC_AFF_OWNER)
		return (muc_stanza_seterr(err, "auth", "forbidden",
		    "Only owners make admins and owners"));
	if (cur >= MUC_AFF_ADMIN && cur != it->value &&
	    r->aff != MUC_AFF_OWNER)
		return (muc_stanza_seterr(err, "cancel", "not-allowed",
		    "Only owners change admins and owners"));
	if (it->value == MUC_AFF_OUTCAST && strcmp(it->jid,
	    r->ctx->bare) == 0)
		return (muc_stanza_seterr(err, "cancel", "conflict",
		    "You cannot ban yourself"));
	if (it->value >= MUC_AFF_ADMIN && strchr(it->jid, '@') == NULL)
		return (muc_stanza_seterr(err, "modify", "not-acceptable",
		    "A domain cannot be an admin or owner"));
	/* A ban drops the nick reserved (XEP-0045 section 9.1). */
	if (it->value == MUC_AFF_OUTCAST) {
		free(it->nick);
		if ((it->nick = strdup("")) == NULL)
			return (muc_admin_oom(err));
	}
	return (0);
}

/* Is nick (perhaps "") the nick whose key is key? */
static int
muc_admin_same_nick(const char *key, const char *nick)
{
	char	*k;
	int	 same;

	if (nick == NULL || nick[0] == '\0' || muc_occupant_nick_key(nick,
	    &k) == -1)
		return (0);
	same = strcmp(key, k) == 0;
	free(k);
	return (same);
}

/* Is the nick item i reserves another JID's, or an earlier item's? */
static int
muc_admin_nick_taken(struct muc_admin_req *r, size_t i)
{
	struct muc_aff	*a;
	char		*key;
	size_t		 n;
	int		 taken = 0;

	if (r->items[i].nick == NULL || r->items[i].nick[0] == '\0')
		return (0);
	if (muc_occupant_nick_key(r->items[i].nick, &key) == -1)
		return (1);
	RB_FOREACH(a, muc_aff_tree, &r->room->affs)
		if (!taken && strcmp(a->jid, r->items[i].jid) != 0)
			taken = muc_admin_same_nick(key, a->nick);
	for (n = 0; n < i && !taken; n++)
		taken = muc_admin_same_nick(key, r->items[n].nick);
	free(key);
	return (taken);
}

/*
 * The whole of an affiliation change: each item allowed, the room left
 * with an owner (XEP-0045 section 10.6) and no more affiliations than
 * it may have, no nick reserved twice.
 */
static int
muc_admin_check_affs(struct muc_admin_req *r, struct muc_error *err)
{
	struct muc_aff	*a;
	size_t		 i;
	int		 owners = 0, lost = 0, naffs = 0, added = 0, cur;

	for (i = 0; i < r->nitems; i++)
		if (muc_admin_check_aff(r, &r->items[i], err) == MUC_FAIL)
			return (MUC_FAIL);
	RB_FOREACH(a, muc_aff_tree, &r->room->affs) {
		naffs++;
		if (a->affiliation == MUC_AFF_OWNER)
			owners++;
	}
	for (i = 0; i < r->nitems; i++) {
		a = muc_room_aff_find(r->room, r->items[i].jid);
		cur = a != NULL ? a->affiliation : MUC_AFF_NONE;
		if (cur == MUC_AFF_OWNER && r->items[i].value != cur)
			lost++;
		else if (cur != MUC_AFF_OWNER &&
		    r->items[i].value == MUC_AFF_OWNER)
			owners++;
		if (cur == MUC_AFF_NONE && r->items[i].value != cur)
			added++;
		else if (cur != MUC_AFF_NONE &&
		    r->items[i].value == MUC_AFF_NONE)
			naffs--;
		if (muc_admin_nick_taken(r, i))
			return (muc_stanza_seterr(err, "cancel", "conflict",
			    "That nick is reserved by another"));
	}
	if (lost > 0 && owners - lost <= 0)
		return (muc_stanza_seterr(err, "cancel", "conflict",
		    "A room keeps at least one owner"));
	if (added > 0 && naffs + added > MUC_ADMIN_AFFS_MAX)
		return (muc_stanza_seterr(err, "modify", "policy-violation",
		    "The room has as many affiliations as it may"));
	return (0);
}

/* Put back the affiliations of items 0 to n - 1 as they were. */
static void
muc_admin_undo(struct muc_admin_req *r, size_t n)
{
	struct muc_admin_item	*it;

	while (n-- > 0) {
		it = &r->items[n];
		if (muc_room_set_affiliation(r->room, it->jid, it->old,
		    it->old_nick, it->old_reason) == -1)
			log_warnx("%s: %s of %s not put back", __func__,
			    it->jid, r->room->jid);
	}
}

/*
 * Make the affiliation changes, written through in one transaction for
 * a room in the database: on failure, none stays, there or in memory.
 */
static int
muc_admin_write(struct muc_admin_req *r, struct muc_error *err)
{
	struct muc_admin_item	*it;
	struct muc_aff		*a;
	size_t			 i;
	int			 db = r->room->dbid != 0;

	if (db && muc_be->begin() == -1) {
		log_warnx("%s: the affiliations of %s are not changed",
		    __func__, r->room->jid);
		return (muc_admin_oom(err));
	}
	for (i = 0; i < r->nitems; i++) {
		it = &r->items[i];
		a = muc_room_aff_find(r->room, it->jid);
		it->old = a != NULL ? a->affiliation : MUC_AFF_NONE;
		if ((it->old_nick = strdup(a != NULL ?
		    muc_admin_str(a->nick) : "")) == NULL ||
		    (it->old_reason = strdup(a != NULL ?
		    muc_admin_str(a->reason) : "")) == NULL)
			goto undo;
		if (muc_room_set_affiliation(r->room, it->jid, it->value,
		    it->nick != NULL ? it->nick : it->old_nick,
		    it->reason) == -1) {
			i++;
			goto undo;
		}
	}
	if (!db || muc_be->commit() == 0)
		return (0);
 undo:
	log_warnx("%s: the affiliations of %s are not changed", __func__,
	    r->room->jid);
	if (db)
		muc_be->rollback();
	muc_admin_undo(r, i);
	return (muc_admin_oom(err));
}

/* The reason of the item that changed bare's affiliation, or NULL. */
static const char *
muc_admin_reason_of(struct muc_admin_req *r, const char *bare)
{
	const char	*at = strchr(bare, '@');
	size_t		 i;

	for (i = 0; i < r->nitems; i++)
		if (strcmp(r->items[i].jid, bare) == 0)
			return (r->items[i].reason);
	for (i = 0; i < r->nitems && at != NULL; i++)
		if (strcmp(r->items[i].jid, at + 1) == 0)
			return (r->items[i].reason);
	return (NULL);
}

/* A new role for occ, told to all; a new moderator sees the JIDs. */
static void
muc_admin_new_role(struct muc_occupant *occ, int role,
    const struct muc_why *why)
{
	int	 was = occ->role;

	muc_occupant_set_role(occ, role, why);
	if (role == MUC_ROLE_MODERATOR && was != MUC_ROLE_MODERATOR &&
	    occ->room->cfg.whois == MUC_WHOIS_MODERATORS)
		muc_occupant_roster(occ);
}

/*
 * What an affiliation change does to the occupants it touches: an
 * outcast is removed (301), so is one who is no longer a member of a
 * members-only room (321); the others are shown with their new
 * affiliation and the role it gives (XEP-0045 sections 9 and 10).
 * A change for one who is not in the room is told by message.
 */
static void
muc_admin_affected(struct muc_admin_req *r, struct muc_admin_was *was,
    size_t n)
{
	struct muc_why		 why = { muc_admin_none, NULL, NULL, NULL,
				    NULL };
	struct muc_occupant	*o;
	size_t			 i;
	int			 now, role;

	/* The affiliation decides their role from now on. */
	for (i = 0; i < r->nitems; i++)
		muc_admin_voice_keep(r->room, r->items[i].jid, MUC_ROLE_NONE);
	for (i = 0; i < n; i++) {
		o = was[i].occ;
		if ((now = muc_room_affiliation(r->room, o->bare)) ==
		    was[i].aff)
			continue;
		muc_admin_voice_keep(r->room, o->bare, MUC_ROLE_NONE);
		why.reason = muc_admin_reason_of(r, o->bare);
		why.actor = r->nick;
		if (now == MUC_AFF_OUTCAST || (r->room->cfg.members_only &&
		    now < MUC_AFF_MEMBER)) {
			why.codes = now == MUC_AFF_OUTCAST ? muc_admin_c301 :
			    muc_admin_c321;
			muc_occupant_remove(o, &why);
			continue;
		}
		why.codes = muc_admin_none;
		why.actor = NULL;
		role = muc_room_default_role(r->room, now);
		if (now < MUC_AFF_ADMIN && was[i].aff < MUC_AFF_ADMIN &&
		    o->role > role)
			role = o->role;
		muc_admin_new_role(o, role, &why);
	}
	for (i = 0; i < r->nitems; i++)
		if (r->items[i].old != r->items[i].value)
			muc_occupant_tell_affiliation(r->room, r->items[i].jid,
			    r->items[i].value, r->items[i].reason);
}

/* Each occupant and its affiliation, before a change; NULL: no memory. */
static struct muc_admin_was *
muc_admin_snapshot(struct muc_room *room, size_t *n)
{
	struct muc_admin_was	*was;
	struct muc_occupant	*o;

	*n = 0;
	if ((was = calloc(room->noccupants + 1, sizeof(*was))) == NULL)
		return (NULL);
	RB_FOREACH(o, muc_occupant_tree, &room->occupants) {
		was[*n].occ = o;
		was[(*n)++].aff = muc_room_affiliation(room, o->bare);
	}
	return (was);
}

/* The role changes: kicks (307) and voice and moderator status. */
static void
muc_admin_roles_apply(struct muc_admin_req *r)
{
	struct muc_why		 why = { muc_admin_none, NULL, NULL, NULL,
				    NULL };
	struct muc_admin_item	*it;
	size_t			 i;

	for (i = 0; i < r->nitems; i++) {
		it = &r->items[i];
		if (it->value == it->occ->role)
			continue;
		why.reason = it->reason;
		if (it->value == MUC_ROLE_NONE) {
			why.codes = muc_admin_c307;
			why.actor = r->nick;
			muc_occupant_remove(it->occ, &why);
			continue;
		}
		why.codes = muc_admin_none;
		why.actor = NULL;
		if (muc_room_affiliation(r->room, it->occ->bare) <
		    MUC_AFF_ADMIN)
			muc_admin_voice_keep(r->room, it->occ->bare, it->value);
		muc_admin_new_role(it->occ, it->value, &why);
	}
}

/*
 * Who may change anything at all, before the items are read (so that
 * one who may not learns nothing from them): moderators change roles,
 * admins and owners affiliations (XEP-0045 sections 8 and 9).
 */
static int
muc_admin_may_set(struct muc_admin_req *r, const struct xml_node *q,
    struct muc_error *err)
{
	struct xml_node	*item;

	if ((item = xml_find_child(q, NS_MUC_ADMIN, "item")) == NULL)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "A change is a list of items"));
	if (xml_get_attr(item, "role") != NULL &&
	    r->role != MUC_ROLE_MODERATOR)
		return (muc_stanza_seterr(err, "auth", "forbidden",
		    "Only moderators change roles"));
	if (xml_get_attr(item, "role") == NULL && r->aff < MUC_AFF_ADMIN)
		return (muc_stanza_seterr(err, "auth", "forbidden",
		    "Only admins and owners change affiliations"));
	return (0);
}

/*
 * A change of roles or affiliations: checked whole, made, answered, and
 * then told.  The room may be gone after (its last occupant banned).
 */
static int
muc_admin_set(struct muc_admin_req *r, const struct xml_node *q,
    struct muc_error *err)
{
	struct muc_admin_was	*was = NULL;
	struct muc_room		*room = r->room;
	size_t			 i, n = 0;

	if (muc_admin_may_set(r, q, err) == MUC_FAIL ||
	    muc_admin_read(r, q, err) == MUC_FAIL)
		return (MUC_FAIL);
	if (r->roles) {
		for (i = 0; i < r->nitems; i++)
			if (muc_admin_check_role(r, &r->items[i], err) ==
			    MUC_FAIL)
				return (MUC_FAIL);
	} else if (muc_admin_check_affs(r, err) == MUC_FAIL)
		return (MUC_FAIL);
	else if ((was = muc_admin_snapshot(room, &n)) == NULL)
		return (muc_admin_oom(err));
	else if (muc_admin_write(r, err) == MUC_FAIL) {
		free(was);
		return (MUC_FAIL);
	}
	log_debug("%s: %s changes %zu %s in %s", __func__, r->ctx->from,
	    r->nitems, r->roles ? "roles" : "affiliations", room->jid);
	muc_stanza_result(r->ctx, NULL);
	if (r->roles)
		muc_admin_roles_apply(r);
	else
		muc_admin_affected(r, was, n);
	free(was);
	r->ctx->sess = muc_occupant_session(room, r->ctx->from);
	if (room->noccupants == 0 && !(room->cfg.persistent &&
	    !room->locked)) {
		r->ctx->room = NULL;
		r->ctx->sess = NULL;
	}
	muc_room_gone_if_empty(room);
	return (MUC_DONE);
}

static void
muc_admin_req_clear(struct muc_admin_req *r)
{
	struct muc_admin_item	*it;
	size_t			 i;

	for (i = 0; i < r->nitems; i++) {
		it = &r->items[i];
		free(it->jid);
		free(it->nick);
		free(it->reason);
		free(it->old_nick);
		free(it->old_reason);
	}
	free(r->items);
	free(r->nick);
}

/* muc#admin to a room: a list asked for (get), or changed (set). */
static int
muc_admin_iq(struct muc_ctx *ctx, struct xml_node *q, struct muc_error *err)
{
	struct muc_admin_req	 r;
	int			 rc;

	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.room = ctx->room;
	r.actor = muc_admin_actor(ctx);
	r.aff = muc_room_affiliation(r.room, ctx->bare);
	r.role = r.actor != NULL ? r.actor->role : MUC_ROLE_NONE;
	if (muc_admin_hidden(ctx, r.actor, r.aff))
		return (MUC_DONE);
	if (!xml_is(q, NS_MUC_ADMIN, "query"))
		return (muc_stanza_seterr(err, "modify", "bad-request", NULL));
	if (r.actor != NULL && (r.nick = strdup(r.actor->nick)) == NULL)
		return (muc_admin_oom(err));
	if (strcmp(ctx->type, "get") == 0)
		rc = muc_admin_get(&r, q, err);
	else
		rc = muc_admin_set(&r, q, err);
	muc_admin_req_clear(&r);
	return (rc);
}

/* The first value of field var of data form x, to free; NULL if none. */
static char *
muc_admin_field(const struct xml_node *x, const char *var)
{
	struct xml_node	*f;
	const char	*v;

	TAILQ_FOREACH(f, &x->children, entry)
		if (xml_is(f, NS_XDATA, "field") &&
		    (v = xml_get_attr(f, "var")) != NULL &&
		    strcmp(v, var) == 0)
			return (xml_child_text(f, NS_XDATA, "value"));
	return (NULL);
}

static struct xml_node *
muc_admin_add_field(struct xml_node *x, const char *var, const char *type,
    const char *label, const char *value)
{
	struct xml_node	*f;

	if ((f = xml_add_child(x, NULL, "field")) == NULL ||
	    xml_set_attr(f, "var", var) == -1 ||
	    xml_set_attr(f, "type", type) == -1 ||
	    (label != NULL && xml_set_attr(f, "label", label) == -1) ||
	    muc_admin_add_text(f, "value", value) == -1)
		return (NULL);
	return (f);
}

/* The form a moderator answers to give voice (XEP-0045 section 8.6). */
static struct xml_node *
muc_admin_voice_form(struct muc_room *room, struct muc_occupant *occ,
    const char *jid)
{
	struct xml_node	*m, *x;

	if ((m = muc_stanza_new("message", room->jid, NULL, NULL)) == NULL ||
	    (x = xml_add_child(m, NS_XDATA, "x")) == NULL ||
	    xml_set_attr(x, "type", "form") == -1 ||
	    muc_admin_add_text(x, "title", "Voice request") == -1 ||
	    muc_admin_add_text(x, "instructions", "To give voice to this "
	    "occupant, allow the request and submit the form.") == -1 ||
	    muc_admin_add_field(x, "FORM_TYPE", "hidden", NULL,
	    NS_MUC_REQUEST) == NULL ||
	    muc_admin_add_field(x, "muc#role", "list-single",
	    "Requested role", "participant") == NULL ||
	    muc_admin_add_field(x, "muc#jid", "jid-single", "User ID",
	    jid) == NULL ||
	    muc_admin_add_field(x, "muc#roomnick", "text-single",
	    "Room Nickname", occ->nick) == NULL ||
	    muc_admin_add_field(x, "muc#request_allow", "boolean",
	    "Grant voice to this person?", "false") == NULL) {
		xml_node_free(m);
		return (NULL);
	}
	return (m);
}

/* A visitor asks for voice: every moderator gets the form. */
static int
muc_admin_voice_request(struct muc_ctx *ctx, struct muc_occupant *occ,
    const struct xml_node *x, struct muc_error *err)
{
	struct muc_stanza_out	*o = NULL;
	struct muc_occupant	*r;
	struct xml_node		*m;
	char			*role;
	int			 ok;

	role = muc_admin_field(x, "muc#role");
	ok = role != NULL && strcmp(role, "participant") == 0;
	free(role);
	if (!ok)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "Only voice may be asked for"));
	if (muc_message_rate(occ) == -1)
		return (muc_stanza_seterr(err, "wait", "resource-constraint",
		    "You are sending too fast"));
	if ((m = muc_admin_voice_form(ctx->room, occ, ctx->from)) == NULL ||
	    (o = muc_stanza_out_new(m)) == NULL) {
		xml_node_free(m);
		return (muc_admin_oom(err));
	}
	RB_FOREACH(r, muc_occupant_tree, &ctx->room->occupants)
		if (r->role == MUC_ROLE_MODERATOR)
			(void)muc_occupant_send(r, o);
	muc_stanza_out_free(o);
	xml_node_free(m);
	log_debug("%s: %s asks for voice in %s", __func__, ctx->from,
	    ctx->room->jid);
	return (MUC_DONE);
}

/* A moderator answers a voice request: allowed, the visitor speaks. */
static int
muc_admin_voice_approve(struct muc_ctx *ctx, const struct xml_node *x,
    struct muc_error *err)
{
	struct muc_why		 why = { muc_admin_none, NULL, NULL, NULL,
				    NULL };
	struct muc_occupant	*o;
	char			*allow, *nick;
	int			 yes, no;

	allow = muc_admin_field(x, "muc#request_allow");
	yes = allow != NULL && (strcmp(allow, "true") == 0 ||
	    strcmp(allow, "1") == 0);
	no = allow != NULL && (strcmp(allow, "false") == 0 ||
	    strcmp(allow, "0") == 0);
	free(allow);
	if (!yes && !no)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "The form neither allows nor denies"));
	if (no)
		return (MUC_DONE);
	if ((nick = muc_admin_field(x, "muc#roomnick")) == NULL)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "The form names no occupant"));
	o = muc_occupant_find(ctx->room, nick);
	free(nick);
	if (o == NULL)
		return (muc_stanza_seterr(err, "cancel", "item-not-found",
		    "No occupant has that nick"));
	if (o->role != MUC_ROLE_VISITOR)
		return (MUC_DONE);
	if (muc_room_affiliation(ctx->room, o->bare) < MUC_AFF_ADMIN)
		muc_admin_voice_keep(ctx->room, o->bare, MUC_ROLE_PARTICIPANT);
	muc_admin_new_role(o, MUC_ROLE_PARTICIPANT, &why);
	return (MUC_DONE);
}

/*
 * A message to the room with the muc#request form: a visitor's request
 * for voice (XEP-0045 section 7.13), or a moderator's answer (8.6).
 */
static int
muc_admin_message(struct muc_ctx *ctx, struct muc_error *err)
{
	struct muc_occupant	*actor;
	struct xml_node		*x;
	const char		*type;
	char			*ft;
	int			 mine;

	if ((x = xml_find_child(ctx->n, NS_XDATA, "x")) == NULL)
		return (MUC_PASS);
	ft = muc_admin_field(x, "FORM_TYPE");
	mine = ft != NULL && strcmp(ft, NS_MUC_REQUEST) == 0;
	free(ft);
	if (!mine)
		return (MUC_PASS);
	actor = muc_admin_actor(ctx);
	if (muc_admin_hidden(ctx, actor, muc_room_affiliation(ctx->room,
	    ctx->bare)))
		return (MUC_DONE);
	if (actor == NULL)
		return (muc_stanza_seterr(err, "cancel", "not-acceptable",
		    "You are not in the room"));
	type = xml_get_attr(x, "type");
	if (type != NULL && strcmp(type, "cancel") == 0)
		return (MUC_DONE);
	if (type == NULL || strcmp(type, "submit") != 0)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "The form is not submitted"));
	switch (actor->role) {
	case MUC_ROLE_MODERATOR:
		return (muc_admin_voice_approve(ctx, x, err));
	case MUC_ROLE_VISITOR:
		return (muc_admin_voice_request(ctx, actor, x, err));
	}
	return (muc_stanza_seterr(err, "cancel", "not-allowed",
	    "You have voice already"));
}

static void
muc_admin_disco(struct muc_room *room, struct xml_node *q)
{
	if (room != NULL)
		(void)mucd_disco_add(q, NS_MUC_REQUEST);
}

static const struct muc_iq muc_admin_iqs[] = {
	{ NS_MUC_ADMIN,	MUC_AT_ROOM,	muc_admin_iq },
	{ NULL,		0,		NULL },
};

const struct muc_feature muc_admin_feature = {
	.name = "admin",
	.room_init = muc_admin_room_init,
	.room_free = muc_admin_room_free,
	.join_check = muc_admin_join_check,
	.message = muc_admin_message,
	.iqs = muc_admin_iqs,
	.disco = muc_admin_disco,
};
