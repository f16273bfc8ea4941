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
 * Rooms: creation (who may, how many), the lock of a new room and the
 * instant room that lifts it (XEP-0045 section 10.1.2), destruction,
 * affiliations and the roles they give, persistence.
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
#include "msg.h"
#include "muc.h"
#include "proc.h"
#include "xml.h"

static int	muc_room_cmp(struct muc_room *, struct muc_room *);
static int	muc_aff_cmp(struct muc_aff *, struct muc_aff *);
static void	muc_aff_free(struct muc_room *, struct muc_aff *);

RB_GENERATE(muc_room_tree, muc_room, entry, muc_room_cmp);
RB_GENERATE(muc_aff_tree, muc_aff, entry, muc_aff_cmp);

static const char *const muc_aff_names[] = {
	"outcast", "none", "member", "admin", "owner"
};
static const char *const muc_role_names[] = {
	"none", "visitor", "participant", "moderator"
};

static int
muc_room_cmp(struct muc_room *a, struct muc_room *b)
{
	return (strcmp(a->name, b->name));
}

static int
muc_aff_cmp(struct muc_aff *a, struct muc_aff *b)
{
	return (strcmp(a->jid, b->jid));
}

const char *
muc_room_aff_name(int aff)
{
	if (aff < MUC_AFF_OUTCAST || aff > MUC_AFF_OWNER)
		return ("none");
	return (muc_aff_names[aff]);
}

const char *
muc_room_role_name(int role)
{
	if (role < MUC_ROLE_NONE || role > MUC_ROLE_MODERATOR)
		return ("none");
	return (muc_role_names[role]);
}

/* -1 when s names none. */
int
muc_room_aff_parse(const char *s)
{
	int	 i;

	for (i = MUC_AFF_OUTCAST; s != NULL && i <= MUC_AFF_OWNER; i++)
		if (strcmp(s, muc_aff_names[i]) == 0)
			return (i);
	return (-1);
}

int
muc_room_role_parse(const char *s)
{
	int	 i;

	for (i = MUC_ROLE_NONE; s != NULL && i <= MUC_ROLE_MODERATOR; i++)
		if (strcmp(s, muc_role_names[i]) == 0)
			return (i);
	return (-1);
}

/* Replace *p by a copy of s. */
int
muc_room_set_str(char **p, const char *s)
{
	char	*c;

	if ((c = strdup(s != NULL ? s : "")) == NULL)
		return (-1);
	free(*p);
	*p = c;
	return (0);
}

/* A new room's settings, of the service's defaults. */
void
muc_room_config_defaults(struct muc_room_config *cfg, const struct muc_conf *mc)
{
	memset(cfg, 0, sizeof(*cfg));
	if (muc_room_set_str(&cfg->name, "") == -1 ||
	    muc_room_set_str(&cfg->description, "") == -1 ||
	    muc_room_set_str(&cfg->lang, "") == -1 ||
	    muc_room_set_str(&cfg->password, "") == -1)
		fatal("%s", __func__);
	cfg->persistent = mc->persistent;
	cfg->public = 1;
	cfg->whois = MUC_WHOIS_MODERATORS;
	cfg->allow_pm = MUC_PM_ANYONE;
	cfg->history = -1;
}

void
muc_room_config_clear(struct muc_room_config *cfg)
{
	free(cfg->name);
	free(cfg->description);
	free(cfg->lang);
	if (cfg->password != NULL)
		freezero(cfg->password, strlen(cfg->password) + 1);
	memset(cfg, 0, sizeof(*cfg));
}

struct muc_room *
muc_room_find(struct muc_service *svc, const char *name)
{
	struct muc_room	 key;

	key.name = (char *)name;
	return (RB_FIND(muc_room_tree, &svc->rooms, &key));
}

/*
 * A room in memory, unlocked, with the service's default settings and
 * no affiliation yet.  Once it is set up, muc_room_init() tells the
 * features.
 */
struct muc_room *
muc_room_new(struct muc_service *svc, const char *name)
{
	struct muc_room	*room;
	size_t		 len;

	len = strlen(name) + 1 + strlen(svc->name) + 1;
	if ((room = calloc(1, sizeof(*room))) == NULL ||
	    (room->name = strdup(name)) == NULL ||
	    (room->jid = malloc(len)) == NULL ||
	    (room->data = calloc(mucd_nfeatures, sizeof(void *))) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(room->jid, name, len);
	(void)strlcat(room->jid, "@", len);
	(void)strlcat(room->jid, svc->name, len);
	room->svc = svc;
	room->created = time(NULL);
	muc_room_config_defaults(&room->cfg, svc->conf);
	RB_INIT(&room->affs);
	RB_INIT(&room->occupants);
	RB_INIT(&room->sessions);
	if (RB_INSERT(muc_room_tree, &svc->rooms, room) != NULL)
		fatalx("%s: room %s twice", __func__, room->jid);
	svc->nrooms++;
	return (room);
}

/* The room is created or loaded: the features set up their state. */
void
muc_room_init(struct muc_room *room)
{
	size_t	 i;

	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->room_init != NULL)
			mucd_features[i]->room_init(room);
}

static void
muc_aff_free(struct muc_room *room, struct muc_aff *a)
{
	RB_REMOVE(muc_aff_tree, &room->affs, a);
	free(a->jid);
	free(a->nick);
	free(a->reason);
	free(a);
}

/* Forget a room that has no occupant left; the database is not touched. */
void
muc_room_free(struct muc_room *room)
{
	struct muc_aff	*a;
	size_t		 i;

	if (room->noccupants != 0)
		fatalx("%s: %s still has occupants", __func__, room->jid);
	for (i = mucd_nfeatures; i-- > 0; )
		if (mucd_features[i]->room_free != NULL)
			mucd_features[i]->room_free(room);
	while ((a = RB_MIN(muc_aff_tree, &room->affs)) != NULL)
		muc_aff_free(room, a);
	RB_REMOVE(muc_room_tree, &room->svc->rooms, room);
	room->svc->nrooms--;
	muc_room_config_clear(&room->cfg);
	free(room->data);
	free(room->name);
	free(room->jid);
	free(room);
}

/*
 * Destroy a room: each occupant hears it alone, with destroy (the
 * owner's <destroy/>, or an empty one; XEP-0045 section 10.9); a
 * persistent room leaves the database.
 */
void
muc_room_destroy(struct muc_room *room, const struct xml_node *destroy)
{
	static const int	 codes[] = { 0 };
	struct muc_why		 why = { codes, NULL, NULL, NULL, NULL };
	struct muc_occupant	*occ;
	struct xml_node		*empty = NULL;

	if (destroy == NULL &&
	    (destroy = empty = xml_node_new(NS_MUC_USER, "destroy")) == NULL)
		log_warnx("%s: out of memory", __func__);
	why.destroy = destroy;
	log_info("room %s destroyed", room->jid);
	while ((occ = RB_MIN(muc_occupant_tree, &room->occupants)) != NULL)
		muc_occupant_dismiss(occ, &why);
	xml_node_free(empty);
	if (room->dbid != 0 && muc_db_room_delete(room) == -1)
		log_warnx("%s: %s stays in the database", __func__, room->jid);
	muc_room_free(room);
}

/*
 * A room that is left empty goes away unless it is persistent and was
 * configured (XEP-0045 section 7.14).
 */
void
muc_room_gone_if_empty(struct muc_room *room)
{
	if (room->noccupants > 0 || (room->cfg.persistent && !room->locked))
		return;
	log_debug("%s: %s is empty, gone", __func__, room->jid);
	if (room->dbid != 0 && muc_db_room_delete(room) == -1)
		log_warnx("%s: %s stays in the database", __func__, room->jid);
	muc_room_free(room);
}

/*
 * Write a room through to the database as it is now: a persistent room
 * is saved whole, a room that became temporary is removed.
 */
int
muc_room_save(struct muc_room *room)
{
	if (room->locked)
		return (0);
	if (room->cfg.persistent)
		return (muc_db_room_save(room));
	if (room->dbid != 0)
		return (muc_db_room_delete(room));
	return (0);
}

/*
 * The owner configured the room: others may enter, and it is kept if
 * persistent.  -1, the room still locked, when it could not be saved.
 */
int
muc_room_unlock(struct muc_room *room)
{
	room->locked = 0;
	if (muc_room_save(room) == -1) {
		log_warnx("%s: %s is not saved, still locked", __func__,
		    room->jid);
		room->locked = 1;
		return (-1);
	}
	log_info("room %s created", room->jid);
	return (0);
}

/* Every session of every occupant gets n (with no 'to'), serialized once. */
void
muc_room_send_all(struct muc_room *room, const struct xml_node *n)
{
	struct muc_occupant	*r;
	struct muc_stanza_out	*o;

	if ((o = muc_stanza_out_new(n)) == NULL) {
		log_warnx("%s: a %s in %s not sent", __func__, n->name,
		    room->jid);
		return;
	}
	RB_FOREACH(r, muc_occupant_tree, &room->occupants)
		(void)muc_occupant_send(r, o);
	muc_stanza_out_free(o);
}

/* The state a feature keeps in a room: a pointer it owns. */
void **
muc_room_slot(struct muc_room *room, const struct muc_feature *f)
{
	size_t	 i;

	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i] == f)
			return (&room->data[i]);
	fatalx("%s: feature %s is not in the table", __func__, f->name);
}

struct muc_aff *
muc_room_aff_find(struct muc_room *room, const char *jid)
{
	struct muc_aff	 key;

	key.jid = (char *)jid;
	return (RB_FIND(muc_aff_tree, &room->affs, &key));
}

/* The affiliation of a bare JID: its own, else its domain's. */
int
muc_room_affiliation(struct muc_room *room, const char *bare)
{
	struct muc_aff	*a;
	const char	*at;

	if ((a = muc_room_aff_find(room, bare)) != NULL)
		return (a->affiliation);
	if ((at = strchr(bare, '@')) != NULL &&
	    (a = muc_room_aff_find(room, at + 1)) != NULL)
		return (a->affiliation);
	return (MUC_AFF_NONE);
}

/*
 * Set the affiliation of jid (a prepared bare JID or domain); none
 * removes it.  Written through for a saved room.  Who hears of it is
 * the caller's business.
 */
int
muc_room_set_affiliation(struct muc_room *room, const char *jid, int aff,
    const char *nick, const char *reason)
{
	struct muc_aff	*a;

	if (aff < MUC_AFF_OUTCAST || aff > MUC_AFF_OWNER)
		return (-1);
	if ((a = muc_room_aff_find(room, jid)) != NULL && aff == MUC_AFF_NONE) {
		muc_aff_free(room, a);
		return (room->dbid != 0 ? muc_db_aff_delete(room, jid) : 0);
	}
	if (aff == MUC_AFF_NONE)
		return (0);
	if (a == NULL) {
		if ((a = calloc(1, sizeof(*a))) == NULL ||
		    (a->jid = strdup(jid)) == NULL) {
			free(a);
			return (-1);
		}
		RB_INSERT(muc_aff_tree, &room->affs, a);
	}
	a->affiliation = aff;
	if (muc_room_set_str(&a->nick, nick) == -1 ||
	    muc_room_set_str(&a->reason, reason) == -1)
		return (-1);
	return (room->dbid != 0 ? muc_db_aff_save(room, a) : 0);
}

/* The role an affiliation gives on entering (XEP-0045 section 5.1.2). */
int
muc_room_default_role(struct muc_room *room, int aff)
{
	switch (aff) {
	case MUC_AFF_OWNER:
	case MUC_AFF_ADMIN:
		return (MUC_ROLE_MODERATOR);
	case MUC_AFF_MEMBER:
		return (MUC_ROLE_PARTICIPANT);
	case MUC_AFF_NONE:
		return (room->cfg.moderated ? MUC_ROLE_VISITOR :
		    MUC_ROLE_PARTICIPANT);
	}
	return (MUC_ROLE_NONE);
}

/* The room's own limit, never past the service's. */
int
muc_room_max_occupants(struct muc_room *room)
{
	int	 max = room->svc->conf->occupants;

	if (room->cfg.max_occupants > 0 && room->cfg.max_occupants < max)
		max = room->cfg.max_occupants;
	return (max);
}

/* Is bare one of the admin JIDs of a domain of ours? */
int
muc_room_domain_admin(const char *bare)
{
	struct domain_conf	*d;
	struct admin_conf	*a;
	struct jid		*j;
	char			 b[JID_BUFSIZE];
	int			 found = 0;

	if ((j = malloc(sizeof(*j))) == NULL)
		return (0);
	TAILQ_FOREACH(d, &proc_self.conf->domains, entry)
		TAILQ_FOREACH(a, &d->admins, entry)
			if (!found && jid_parse(a->jid, j) == 0 &&
			    jid_bare(j, b, sizeof(b)) > 0 &&
			    strcmp(b, bare) == 0)
				found = 1;
	free(j);
	return (found);
}

/* How many rooms of the service bare owns. */
static int
muc_rooms_owned(struct muc_service *svc, const char *bare)
{
	struct muc_room	*room;
	struct muc_aff	*a;
	int		 n = 0;

	RB_FOREACH(room, muc_room_tree, &svc->rooms)
		if ((a = muc_room_aff_find(room, bare)) != NULL &&
		    a->affiliation == MUC_AFF_OWNER)
			n++;
	return (n);
}

/*
 * May the sender create a room on this service: "create rooms" and
 * "rooms per user" of xmppd.conf(5); the admins of our domains are
 * bound by neither.
 */
int
muc_room_may_create(struct muc_ctx *ctx, struct muc_error *err)
{
	const struct muc_conf	*mc = ctx->svc->conf;
	int			 admin, local;

	admin = ctx->fromj.local[0] != '\0' && muc_room_domain_admin(ctx->bare);
	local = ctx->fromj.local[0] != '\0' &&
	    config_domain(proc_self.conf, ctx->fromj.domain) != NULL;
	if (!admin && (mc->create == MUC_CREATE_ADMINS ||
	    (mc->create == MUC_CREATE_LOCAL && !local)))
		return (muc_stanza_seterr(err, "cancel", "not-allowed",
		    "Room creation is restricted"));
	if (!admin && muc_rooms_owned(ctx->svc, ctx->bare) >=
	    mc->rooms_per_user)
		return (muc_stanza_seterr(err, "cancel", "not-allowed",
		    "You own as many rooms as you may"));
	return (0);
}

/*
 * muc#owner: owners only (XEP-0045 section 10).  Of it the core
 * serves what creating a room needs: the instant room, an empty form
 * submitted while the room is locked, and the cancellation that
 * destroys the new room (section 10.1.2, 10.1.3).  The rest is the
 * configuration form's.
 */
static int
muc_room_owner(struct muc_ctx *ctx, struct xml_node *q, struct muc_error *err)
{
	struct muc_room		*room = ctx->room;
	struct xml_node		*x;
	const char		*type;

	if (!xml_is(q, NS_MUC_OWNER, "query"))
		return (MUC_PASS);
	if (muc_room_affiliation(room, ctx->bare) != MUC_AFF_OWNER)
		return (muc_stanza_seterr(err, "auth", "forbidden", NULL));
	if (!room->locked || strcmp(ctx->type, "set") != 0 ||
	    (x = xml_find_child(q, NS_XDATA, "x")) == NULL ||
	    (type = xml_get_attr(x, "type")) == NULL)
		return (MUC_PASS);
	if (strcmp(type, "submit") == 0 && xml_first_child(x) == NULL) {
		if (muc_room_unlock(room) == -1)
			return (muc_stanza_seterr(err, "wait",
			    "internal-server-error", NULL));
		muc_stanza_result(ctx, NULL);
		return (MUC_DONE);
	}
	if (strcmp(type, "cancel") == 0) {
		muc_stanza_result(ctx, NULL);
		muc_room_destroy(room, NULL);
		ctx->room = NULL;
		ctx->sess = NULL;
		return (MUC_DONE);
	}
	return (MUC_PASS);
}

/* What the core does, and what the room's settings make of it. */
static void
muc_room_disco(struct muc_room *room, struct xml_node *q)
{
	const struct muc_room_config	*c;

	if (mucd_disco_add(q, NS_MUC) == -1 || room == NULL)
		return;
	c = &room->cfg;
	(void)(mucd_disco_add(q, c->persistent ? "muc_persistent" :
	    "muc_temporary") == -1 ||
	    mucd_disco_add(q, c->public ? "muc_public" : "muc_hidden") == -1 ||
	    mucd_disco_add(q, c->members_only ? "muc_membersonly" :
	    "muc_open") == -1 ||
	    mucd_disco_add(q, c->moderated ? "muc_moderated" :
	    "muc_unmoderated") == -1 ||
	    mucd_disco_add(q, c->whois == MUC_WHOIS_ANYONE ?
	    "muc_nonanonymous" : "muc_semianonymous") == -1 ||
	    mucd_disco_add(q, c->password[0] != '\0' ?
	    "muc_passwordprotected" : "muc_unsecured") == -1);
}

static const struct muc_iq muc_room_iqs[] = {
	{ NS_MUC_OWNER,	MUC_AT_ROOM,	muc_room_owner },
	{ NULL,		0,		NULL },
};

const struct muc_feature muc_room_feature = {
	.name = "room",
	.iqs = muc_room_iqs,
	.disco = muc_room_disco,
};

/*
 * May the sender know of the room: it is public, or the sender is in
 * it, or affiliated with it (a member of a hidden room may look at it
 * before entering, XEP-0045 section 6.4).  An outcast is an outsider.
 * A locked room gets here for its owner only (muc_stanza.c).
 */
int
muc_room_visible(struct muc_ctx *ctx)
{
	struct muc_room	*room = ctx->room;

	return (room != NULL && (room->cfg.public || ctx->sess != NULL ||
	    muc_room_affiliation(room, ctx->bare) >= MUC_AFF_MEMBER));
}
