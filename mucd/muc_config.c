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
 * The owner's side of a room (XEP-0045 section 10): the muc#roomconfig
 * form of a reserved room and of every later configuration (its fields
 * are muc_config_fields.c's), what the occupants hear of a change, the
 * password and members-only checks on entering, and the destruction of
 * a room.  A submission is read whole before anything changes; a change
 * is saved before it is answered.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "muc.h"
#include "muc_config.h"
#include "muc_form.h"
#include "xml.h"

static void
muc_config_edit_free(struct muc_config_edit *e)
{
	size_t	 i;
	int	 k;

	muc_room_config_clear(&e->cfg);
	if (e->secret != NULL)
		freezero(e->secret, strlen(e->secret) + 1);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < e->njids[k]; i++)
			free(e->jids[k][i]);
		free(e->jids[k]);
	}
	for (i = 0; i < e->naffs; i++) {
		free(e->affs[i].jid);
		free(e->affs[i].nick);
		free(e->affs[i].reason);
	}
	free(e->affs);
}

static int
muc_config_copy(struct muc_room_config *dst, const struct muc_room_config *src)
{
	*dst = *src;
	dst->name = dst->description = dst->lang = dst->password = NULL;
	if (muc_room_set_str(&dst->name, src->name) == -1 ||
	    muc_room_set_str(&dst->description, src->description) == -1 ||
	    muc_room_set_str(&dst->lang, src->lang) == -1 ||
	    muc_room_set_str(&dst->password, src->password) == -1) {
		muc_room_config_clear(dst);
		return (-1);
	}
	return (0);
}

/* What the admin and owner lists make of jid, whose own affiliation is cur. */
static int
muc_config_target(struct muc_config_edit *e, const char *jid, int cur,
    int *to, struct muc_error *err)
{
	int	 owner, admin;

	admin = e->jids[0] != NULL ? muc_config_has(e->jids[0], e->njids[0],
	    jid) : cur == MUC_AFF_ADMIN;
	owner = e->jids[1] != NULL ? muc_config_has(e->jids[1], e->njids[1],
	    jid) : cur == MUC_AFF_OWNER;
	if (owner && admin)
		return (muc_stanza_seterr(err, "modify", "not-acceptable",
		    "A JID is in both the admin and the owner list"));
	/* Taken off a list, an admin or owner stays a member. */
	*to = owner ? MUC_AFF_OWNER : admin ? MUC_AFF_ADMIN :
	    cur >= MUC_AFF_ADMIN ? MUC_AFF_MEMBER : cur;
	return (0);
}

static int
muc_config_change(struct muc_config_edit *e, const char *jid, int cur,
    int *owners, struct muc_error *err)
{
	struct muc_config_aff	*c;
	struct muc_aff		*a;
	int			 to;

	if (muc_config_target(e, jid, cur, &to, err) == MUC_FAIL)
		return (MUC_FAIL);
	if (to == MUC_AFF_OWNER)
		(*owners)++;
	if (to == cur)
		return (0);
	a = muc_room_aff_find(e->room, jid);
	c = &e->affs[e->naffs++];
	c->from = cur;
	c->to = to;
	if ((c->jid = strdup(jid)) == NULL ||
	    (c->nick = strdup(a != NULL ? a->nick : "")) == NULL ||
	    (c->reason = strdup(a != NULL ? a->reason : "")) == NULL)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	return (0);
}

/*
 * The affiliations the admin and owner lists change (XEP-0045 section
 * 10.2); the last owner cannot go (<conflict/>).
 */
static int
muc_config_lists(struct muc_config_edit *e, struct muc_error *err)
{
	struct muc_aff	*a;
	size_t		 i, cap;
	int		 k, cur, owners = 0;

	if (e->jids[0] == NULL && e->jids[1] == NULL)
		return (0);
	cap = e->njids[0] + e->njids[1];
	RB_FOREACH(a, muc_aff_tree, &e->room->affs)
		if (a->affiliation >= MUC_AFF_ADMIN)
			cap++;
	if ((e->affs = calloc(cap + 1, sizeof(*e->affs))) == NULL)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	RB_FOREACH(a, muc_aff_tree, &e->room->affs)
		if (a->affiliation >= MUC_AFF_ADMIN && muc_config_change(e,
		    a->jid, a->affiliation, &owners, err) == MUC_FAIL)
			return (MUC_FAIL);
	for (k = 0; k < 2; k++)
		for (i = 0; e->jids[k] != NULL && i < e->njids[k]; i++) {
			a = muc_room_aff_find(e->room, e->jids[k][i]);
			cur = a != NULL ? a->affiliation : MUC_AFF_NONE;
			if (cur < MUC_AFF_ADMIN && muc_config_change(e,
			    e->jids[k][i], cur, &owners, err) == MUC_FAIL)
				return (MUC_FAIL);
		}
	if (owners == 0)
		return (muc_stanza_seterr(err, "cancel", "conflict",
		    "The room keeps an owner at least"));
	return (0);
}

/* -- changing the room -------------------------------------------- */

/*
 * The changed affiliations, in memory (or back as they were).  The
 * room's save writes them with the settings, in one transaction.
 */
static int
muc_config_affs_set(struct muc_config_edit *e, int back)
{
	struct muc_room		*room = e->room;
	struct muc_config_aff	*c;
	int64_t			 dbid = room->dbid;
	size_t			 i;
	int			 rc = 0;

	room->dbid = 0;
	for (i = 0; i < e->naffs; i++) {
		c = &e->affs[back ? e->naffs - 1 - i : i];
		if (muc_room_set_affiliation(room, c->jid, back ? c->from :
		    c->to, c->nick, c->reason) == -1)
			rc = -1;
	}
	room->dbid = dbid;
	return (rc);
}

/*
 * The room takes the new settings and affiliations, and is saved (and
 * unlocked, if new); *old gets the settings it had.  When it cannot be
 * saved nothing changes: -1.
 */
static int
muc_config_commit(struct muc_config_edit *e, struct muc_room_config *old)
{
	struct muc_room	*room = e->room;

	*old = room->cfg;
	room->cfg = e->cfg;
	memset(&e->cfg, 0, sizeof(e->cfg));
	if (muc_config_affs_set(e, 0) == 0 && (room->locked ?
	    muc_room_unlock(room) : muc_room_save(room)) == 0)
		return (0);
	(void)muc_config_affs_set(e, 1);
	e->cfg = room->cfg;
	room->cfg = *old;
	memset(old, 0, sizeof(*old));
	log_warnx("%s: %s keeps its settings", __func__, room->jid);
	return (-1);
}

/* Did a setting other than logging and anonymity change? */
static int
muc_config_changed(const struct muc_room_config *a,
    const struct muc_room_config *b)
{
	return (strcmp(a->name, b->name) != 0 ||
	    strcmp(a->description, b->description) != 0 ||
	    strcmp(a->lang, b->lang) != 0 ||
	    strcmp(a->password, b->password) != 0 ||
	    a->persistent != b->persistent || a->public != b->public ||
	    a->members_only != b->members_only ||
	    a->moderated != b->moderated ||
	    a->max_occupants != b->max_occupants ||
	    a->allow_invites != b->allow_invites ||
	    a->allow_pm != b->allow_pm ||
	    a->change_subject != b->change_subject ||
	    a->history != b->history);
}

/*
 * The occupants hear of a change in a message from the room (XEP-0045
 * section 10.2.1): 170 or 171 when logging, 172 or 173 when anonymity
 * changed, 104 for the rest.
 */
static void
muc_config_announce(struct muc_room *room, const struct muc_room_config *old)
{
	const struct muc_room_config	*c = &room->cfg;
	struct xml_node			*m, *x, *s;
	char				 b[8];
	int				 codes[4], n = 0, i;

	if (muc_config_changed(old, c))
		codes[n++] = 104;
	if (old->logging != c->logging)
		codes[n++] = c->logging ? 170 : 171;
	if (old->whois != c->whois)
		codes[n++] = c->whois == MUC_WHOIS_ANYONE ? 172 : 173;
	if (n == 0)
		return;
	if ((m = muc_stanza_new("message", room->jid, NULL, "groupchat")) ==
	    NULL || (x = xml_add_child(m, NS_MUC_USER, "x")) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		(void)snprintf(b, sizeof(b), "%d", codes[i]);
		if ((s = xml_add_child(x, NULL, "status")) == NULL ||
		    xml_set_attr(s, "code", b) == -1)
			goto fail;
	}
	muc_room_send_all(room, m);
	xml_node_free(m);
	return;
 fail:
	log_warnx("%s: %s: out of memory", __func__, room->jid);
	xml_node_free(m);
}

/* An occupant and its affiliation before a change. */
struct muc_config_was {
	struct muc_occupant	*occ;
	int			 aff;
};

static struct muc_config_was *
muc_config_before(struct muc_room *room)
{
	struct muc_config_was	*w;
	struct muc_occupant	*occ;
	size_t			 n = 0;

	if ((w = calloc(room->noccupants + 1, sizeof(*w))) == NULL)
		return (NULL);
	RB_FOREACH(occ, muc_occupant_tree, &room->occupants) {
		w[n].occ = occ;
		w[n++].aff = muc_room_affiliation(room, occ->bare);
	}
	return (w);
}

/*
 * What the occupants see of a change: the presence of each whose
 * affiliation changed, with the role it gives; non-members leaving a
 * room made members-only (322); every presence again, with real JIDs,
 * in a room made non-anonymous; then the status codes.
 */
static void
muc_config_tell(struct muc_room *room, const struct muc_room_config *old,
    const struct muc_config_was *w, int wasnew)
{
	static const int	 c322[] = { 322, 0 }, none[] = { 0 };
	struct muc_why		 why = { none, NULL, NULL, NULL, NULL };
	struct muc_occupant	*occ, *next;
	int			 aff;

	for (; w->occ != NULL; w++)
		if ((aff = muc_room_affiliation(room, w->occ->bare)) != w->aff)
			muc_occupant_set_role(w->occ, muc_room_default_role(room,
			    aff), &why);
	why.codes = c322;
	if (room->cfg.members_only && !old->members_only)
		RB_FOREACH_SAFE(occ, muc_occupant_tree, &room->occupants, next)
			if (muc_room_affiliation(room, occ->bare) <
			    MUC_AFF_MEMBER)
				muc_occupant_remove(occ, &why);
	if (room->cfg.whois == MUC_WHOIS_ANYONE &&
	    old->whois != MUC_WHOIS_ANYONE)
		RB_FOREACH(occ, muc_occupant_tree, &room->occupants)
			muc_occupant_broadcast(occ, NULL);
	if (!wasnew)
		muc_config_announce(room, old);
}

/* A submitted form (XEP-0045 sections 10.1.3, 10.2). */
static int
muc_config_submit(struct muc_ctx *ctx, const struct xml_node *x,
    struct muc_error *err)
{
	struct muc_room		*room = ctx->room;
	struct muc_config_edit	 e;
	struct muc_room_config	 old;
	struct muc_config_was	*w = NULL;
	int			 wasnew = room->locked, rc = MUC_FAIL;

	memset(&e, 0, sizeof(e));
	e.room = room;
	e.protect = -1;
	if (muc_form_submitted(x, NS_MUC_ROOMCONFIG, err) == MUC_FAIL)
		goto done;
	if (muc_config_copy(&e.cfg, &room->cfg) == -1 ||
	    (w = muc_config_before(room)) == NULL) {
		(void)muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL);
		goto done;
	}
	if (muc_config_read(&e, x, err) == MUC_FAIL ||
	    muc_config_lists(&e, err) == MUC_FAIL)
		goto done;
	if (muc_config_commit(&e, &old) == -1) {
		(void)muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL);
		goto done;
	}
	log_debug("%s: %s configured by %s", __func__, room->jid, ctx->from);
	muc_stanza_result(ctx, NULL);
	muc_config_tell(room, &old, w, wasnew);
	muc_room_config_clear(&old);
	if (room->noccupants == 0 && !room->cfg.persistent) {
		ctx->room = NULL;
		ctx->sess = NULL;
		muc_room_gone_if_empty(room);
	}
	rc = MUC_DONE;
 done:
	free(w);
	muc_config_edit_free(&e);
	return (rc);
}

/*
 * A form as the settings of a room no one is in yet (one brought from
 * another server): each field read and checked as an owner's, but the
 * admin and owner lists refused, which an import gives as affiliations.
 */
int
muc_config_apply(struct muc_room *room, const struct xml_node *x,
    struct muc_error *err)
{
	struct muc_config_edit	 e;
	int			 rc = MUC_FAIL;

	memset(&e, 0, sizeof(e));
	e.room = room;
	e.protect = -1;
	if (muc_form_submitted(x, NS_MUC_ROOMCONFIG, err) == MUC_FAIL)
		goto done;
	if (muc_config_copy(&e.cfg, &room->cfg) == -1) {
		(void)muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL);
		goto done;
	}
	if (muc_config_read(&e, x, err) == MUC_FAIL)
		goto done;
	if (e.jids[0] != NULL || e.jids[1] != NULL) {
		(void)muc_stanza_seterr(err, "modify", "bad-request",
		    "Affiliations are given as items, not in the form");
		goto done;
	}
	muc_room_config_clear(&room->cfg);
	room->cfg = e.cfg;
	memset(&e.cfg, 0, sizeof(e.cfg));
	rc = 0;
 done:
	muc_config_edit_free(&e);
	return (rc);
}

/* -- destroying a room ------------------------------------------------ */

/* The alternate venue: a room's bare JID, prepared. */
static int
muc_config_venue(const char *v, char *bare, size_t len, struct muc_error *err)
{
	struct jid	*j;
	int		 rc = 0;

	if ((j = malloc(sizeof(*j))) == NULL)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	if (jid_parse(v, j) == -1 || j->local[0] == '\0' ||
	    j->resource[0] != '\0' || jid_bare(j, bare, len) == 0)
		rc = muc_stanza_seterr(err, "modify", "jid-malformed",
		    "The alternate venue is not a room");
	free(j);
	return (rc);
}

/* Child name of the owner's destroy, into the occupants' (NULL: none). */
static int
muc_config_destroy_text(const struct xml_node *d, struct xml_node *nd,
    const char *name, size_t max, struct muc_error *err)
{
	struct xml_node	*c;
	char		*t;
	int		 rc = 0;

	if ((c = xml_find_child(d, NS_MUC_OWNER, name)) == NULL)
		return (0);
	if ((t = xml_text(c)) == NULL)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	if (muc_stanza_chars(t) > max)
		rc = muc_stanza_seterr(err, "modify", "not-acceptable",
		    "The text is too long");
	else if ((c = xml_add_child(nd, NULL, name)) == NULL ||
	    xml_add_text(c, t, strlen(t)) == -1)
		rc = muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL);
	freezero(t, strlen(t) + 1);
	return (rc);
}

/*
 * The owner destroys the room (XEP-0045 section 10.9): each occupant
 * hears it with the reason and alternate venue given, and the room
 * leaves the database.
 */
static int
muc_config_destroy(struct muc_ctx *ctx, const struct xml_node *d,
    struct muc_error *err)
{
	struct xml_node	*nd;
	const char	*alt = xml_get_attr(d, "jid");
	char		 bare[JID_BUFSIZE];

	if (alt != NULL && muc_config_venue(alt, bare, sizeof(bare), err) ==
	    MUC_FAIL)
		return (MUC_FAIL);
	if ((nd = xml_node_new(NS_MUC_USER, "destroy")) == NULL ||
	    (alt != NULL && xml_set_attr(nd, "jid", bare) == -1)) {
		xml_node_free(nd);
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	}
	if (muc_config_destroy_text(d, nd, "reason", MUC_CONFIG_REASON_MAX,
	    err) == MUC_FAIL || muc_config_destroy_text(d, nd, "password",
	    MUC_CONFIG_SECRET_MAX, err) == MUC_FAIL) {
		xml_node_free(nd);
		return (MUC_FAIL);
	}
	log_debug("%s: %s by %s", __func__, ctx->room->jid, ctx->from);
	muc_room_destroy(ctx->room, nd);
	xml_node_free(nd);
	ctx->room = NULL;
	ctx->sess = NULL;
	muc_stanza_result(ctx, NULL);
	return (MUC_DONE);
}

/* -- muc#owner ---------------------------------------------------------- */

/*
 * An IQ set: one data form, submitted or cancelled, or one destroy.
 * The core has taken what creates a room (the instant room, the
 * cancellation of a new one); a form with no field changes nothing.
 */
static int
muc_config_set(struct muc_ctx *ctx, struct xml_node *q, struct muc_error *err)
{
	struct xml_node	*c, *x = NULL, *d = NULL;
	const char	*type;
	int		 n = 0;

	TAILQ_FOREACH(c, &q->children, entry) {
		if (c->name == NULL)
			continue;
		n++;
		if (xml_is(c, NS_XDATA, "x"))
			x = c;
		else if (xml_is(c, NS_MUC_OWNER, "destroy"))
			d = c;
	}
	if (n != 1 || (x == NULL && d == NULL))
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "Send one data form, or one destroy"));
	if (d != NULL)
		return (muc_config_destroy(ctx, d, err));
	if ((type = xml_get_attr(x, "type")) != NULL &&
	    strcmp(type, "cancel") == 0) {
		muc_stanza_result(ctx, NULL);
		return (MUC_DONE);
	}
	if (type == NULL || strcmp(type, "submit") != 0)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "A data form is submitted or cancelled"));
	if (xml_find_child(x, NS_XDATA, "field") != NULL)
		return (muc_config_submit(ctx, x, err));
	if (ctx->room->locked && muc_room_unlock(ctx->room) == -1)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	muc_stanza_result(ctx, NULL);
	return (MUC_DONE);
}

/* muc#owner: the owners' only (XEP-0045 section 10). */
static int
muc_config_owner(struct muc_ctx *ctx, struct xml_node *q,
    struct muc_error *err)
{
	struct xml_node	*form;

	if (ctx->room == NULL)
		return (muc_stanza_seterr(err, "cancel", "item-not-found",
		    NULL));
	if (muc_room_affiliation(ctx->room, ctx->bare) != MUC_AFF_OWNER)
		return (muc_stanza_seterr(err, "auth", "forbidden", NULL));
	if (!xml_is(q, NS_MUC_OWNER, "query"))
		return (muc_stanza_seterr(err, "modify", "bad-request", NULL));
	if (strcmp(ctx->type, "set") == 0)
		return (muc_config_set(ctx, q, err));
	if ((form = muc_config_form(ctx->room)) == NULL)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	muc_stanza_result(ctx, form);
	return (MUC_DONE);
}

/* -- entering ---------------------------------------------------------- */

static int
muc_config_password_ok(const struct muc_join *j, const char *pw)
{
	char	*given;
	size_t	 len;
	int	 ok;

	if ((given = xml_child_text(j->x, NS_MUC, "password")) == NULL)
		return (0);
	len = strlen(given);
	ok = len == strlen(pw) && CRYPTO_memcmp(given, pw, len) == 0;
	freezero(given, len + 1);
	return (ok);
}

/*
 * A members-only room lets in its members, admins and owners
 * (<registration-required/>); a password-protected one those who give
 * its password (<not-authorized/>), or own it.
 */
static int
muc_config_join_check(struct muc_join *j, struct muc_error *err)
{
	const struct muc_room_config	*c = &j->room->cfg;

	if (c->members_only && j->affiliation < MUC_AFF_MEMBER)
		return (muc_stanza_seterr(err, "auth", "registration-required",
		    "This room is for its members only"));
	if (c->password[0] != '\0' && j->affiliation != MUC_AFF_OWNER &&
	    !muc_config_password_ok(j, c->password))
		return (muc_stanza_seterr(err, "auth", "not-authorized",
		    "A password is required to enter this room"));
	return (0);
}

static void
muc_config_disco(struct muc_room *room, struct xml_node *q)
{
	if (room != NULL)
		(void)mucd_disco_add(q, NS_MUC_ROOMCONFIG);
}

static const struct muc_iq muc_config_iqs[] = {
	{ NS_MUC_OWNER,	MUC_AT_ROOM,	muc_config_owner },
	{ NULL,		0,		NULL },
};

const struct muc_feature muc_config_feature = {
	.name = "config",
	.join_check = muc_config_join_check,
	.iqs = muc_config_iqs,
	.disco = muc_config_disco,
};
