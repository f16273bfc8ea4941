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
 * Occupants: entering a room (XEP-0045 section 7.2), presence updates,
 * nick changes (7.6), leaving (7.14), and the removal of a session that
 * can no longer be reached (ghosts, status 333).  One user may be in a
 * room under one nick from several sessions: one occupant, several
 * sessions, each receiving everything.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>
#include <stringprep.h>
#include <time.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "muc.h"
#include "stanza.h"
#include "xml.h"

static int	muc_occupant_cmp(struct muc_occupant *, struct muc_occupant *);
static int	muc_session_cmp(struct muc_session *, struct muc_session *);

RB_GENERATE(muc_occupant_tree, muc_occupant, entry, muc_occupant_cmp);
RB_GENERATE(muc_session_tree, muc_session, entry, muc_session_cmp);

static const int	 muc_no_codes[] = { 0 };
static const struct muc_why muc_why_none = { muc_no_codes, NULL, NULL,
    NULL, NULL };

static int
muc_occupant_cmp(struct muc_occupant *a, struct muc_occupant *b)
{
	return (strcmp(a->key, b->key));
}

static int
muc_session_cmp(struct muc_session *a, struct muc_session *b)
{
	return (strcmp(a->jid, b->jid));
}

/*
 * Nicks that differ only by case or by Unicode compatibility forms are
 * the same nick: the key is the resourceprep'd nick, case-folded (RFC
 * 3454 tables B.1 and B.2) and NFKC-normalised, the steps Nodeprep
 * adds.  The steps are taken from libidn's own Nodeprep profile.
 */
static const Stringprep_profile *
muc_fold_profile(void)
{
	static Stringprep_profile	 fold[8];
	static int			 ready;
	const Stringprep_profile	*p;
	size_t				 n = 0;

	if (ready)
		return (fold);
	for (p = stringprep_xmpp_nodeprep; p->operation != 0; p++)
		if ((p->operation == STRINGPREP_MAP_TABLE ||
		    p->operation == STRINGPREP_NFKC) && n < nitems(fold) - 1)
			fold[n++] = *p;
	memset(&fold[n], 0, sizeof(fold[n]));
	ready = 1;
	return (fold);
}

int
muc_occupant_nick_key(const char *nick, char **key)
{
	char	 buf[4 * JID_PARTMAX + 1];

	if (strlcpy(buf, nick, sizeof(buf)) >= sizeof(buf) ||
	    stringprep(buf, sizeof(buf), 0, muc_fold_profile()) !=
	    STRINGPREP_OK || buf[0] == '\0' || (*key = strdup(buf)) == NULL)
		return (-1);
	return (0);
}

struct muc_occupant *
muc_occupant_find(struct muc_room *room, const char *nick)
{
	struct muc_occupant	 k, *occ;

	if (muc_occupant_nick_key(nick, &k.key) == -1)
		return (NULL);
	occ = RB_FIND(muc_occupant_tree, &room->occupants, &k);
	free(k.key);
	return (occ);
}

struct muc_session *
muc_occupant_session(struct muc_room *room, const char *jid)
{
	struct muc_session	 k;

	k.jid = (char *)jid;
	return (RB_FIND(muc_session_tree, &room->sessions, &k));
}

/*
 * May nick (prepared) be bare's in room: not only spaces, not too long
 * ("nick length"), then what the features say (reserved nicks).
 */
int
muc_occupant_nick_check(struct muc_room *room, const char *bare,
    const char *nick, struct muc_error *err)
{
	size_t	 i;

	if (nick[strspn(nick, " ")] == '\0')
		return (muc_stanza_seterr(err, "cancel", "not-acceptable",
		    "A nick of spaces only is not a nick"));
	if (muc_stanza_chars(nick) > (size_t)room->svc->conf->nick_length)
		return (muc_stanza_seterr(err, "cancel", "not-acceptable",
		    "The nick is too long"));
	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->nick_check != NULL &&
		    mucd_features[i]->nick_check(room, bare, nick, err) ==
		    MUC_FAIL)
			return (MUC_FAIL);
	return (0);
}

size_t
muc_occupant_jid(struct muc_occupant *occ, char *buf, size_t len)
{
	(void)strlcpy(buf, occ->room->jid, len);
	(void)strlcat(buf, "/", len);
	return (strlcat(buf, occ->nick, len));
}

/* Does occ see the real JIDs of the others (XEP-0045 section 7.2.4)? */
int
muc_occupant_sees_jids(struct muc_occupant *occ)
{
	return (occ->room->cfg.whois == MUC_WHOIS_ANYONE ||
	    occ->role == MUC_ROLE_MODERATOR);
}

/* Send o to each session of occ. */
int
muc_occupant_send(struct muc_occupant *occ, struct muc_stanza_out *o)
{
	struct muc_session	*s;
	int			 ret = 0;

	TAILQ_FOREACH(s, &occ->sessions, occ_entry)
		if (muc_stanza_out_send(o, s->jid) == -1)
			ret = -1;
	return (ret);
}

/*
 * What of a client's presence a room passes on: all but its addresses
 * and what only the room may say (muc x, muc#user x, occupant id).
 */
static struct xml_node *
muc_presence_keep(const struct xml_node *n)
{
	struct xml_node	*p, *c, *next;

	if ((p = xml_node_clone(n)) == NULL)
		return (NULL);
	xml_del_attr(p, "from");
	xml_del_attr(p, "to");
	xml_del_attr(p, "id");
	xml_del_attr(p, "type");
	for (c = TAILQ_FIRST(&p->children); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (xml_is(c, NS_MUC, "x") || xml_is(c, NS_MUC_USER, "x") ||
		    xml_is(c, NS_OCCUPANT_ID, "occupant-id")) {
			xml_unlink(c);
			xml_node_free(c);
		}
	}
	return (p);
}

static int
muc_add_status(struct xml_node *x, int code)
{
	struct xml_node	*s;
	char		 b[8];

	(void)snprintf(b, sizeof(b), "%d", code);
	if ((s = xml_add_child(x, NULL, "status")) == NULL ||
	    xml_set_attr(s, "code", b) == -1)
		return (-1);
	return (0);
}

static int
muc_add_text(struct xml_node *parent, const char *name, const char *text)
{
	struct xml_node	*c;

	if ((c = xml_add_child(parent, NULL, name)) == NULL ||
	    xml_add_text(c, text, strlen(text)) == -1)
		return (-1);
	return (0);
}

/*
 * The affiliation of jid (a bare JID or a domain), which is no one's in
 * the room, is now aff: the occupants who see real JIDs are told in a
 * message from the room, as they would be by a presence were jid in it,
 * so that their lists of members stay true (XEP-0045 sections 9 and 10).
 */
void
muc_occupant_tell_affiliation(struct muc_room *room, const char *jid,
    int aff, const char *reason)
{
	struct muc_occupant	*occ;
	struct muc_stanza_out	*o = NULL;
	struct xml_node		*m, *x = NULL, *item = NULL;

	RB_FOREACH(occ, muc_occupant_tree, &room->occupants)
		if (strcmp(occ->bare, jid) == 0)
			return;
	if ((m = muc_stanza_new("message", room->jid, NULL, NULL)) == NULL ||
	    (x = xml_add_child(m, NS_MUC_USER, "x")) == NULL ||
	    (item = xml_add_child(x, NULL, "item")) == NULL ||
	    xml_set_attr(item, "jid", jid) == -1 ||
	    xml_set_attr(item, "affiliation", muc_room_aff_name(aff)) == -1 ||
	    (reason != NULL && reason[0] != '\0' &&
	    muc_add_text(item, "reason", reason) == -1) ||
	    (aff == MUC_AFF_OUTCAST && muc_add_status(x, 301) == -1) ||
	    (o = muc_stanza_out_new(m)) == NULL) {
		log_warnx("%s: %s: the affiliation of %s not told", __func__,
		    room->jid, jid);
		xml_node_free(m);
		return;
	}
	RB_FOREACH(occ, muc_occupant_tree, &room->occupants)
		if (muc_occupant_sees_jids(occ))
			(void)muc_occupant_send(occ, o);
	muc_stanza_out_free(o);
	xml_node_free(m);
}

/* The muc#user item of occ, with its real JID when shown. */
static struct xml_node *
muc_presence_item(struct muc_occupant *occ, struct xml_node *x, int role,
    int withjid, const char *newnick, const struct muc_why *why)
{
	struct xml_node	*item, *a;

	if ((item = xml_add_child(x, NULL, "item")) == NULL ||
	    xml_set_attr(item, "affiliation", muc_room_aff_name(
	    muc_room_affiliation(occ->room, occ->bare))) == -1 ||
	    xml_set_attr(item, "role", muc_room_role_name(role)) == -1 ||
	    (withjid && occ->last != NULL &&
	    xml_set_attr(item, "jid", occ->last->jid) == -1) ||
	    (newnick != NULL && xml_set_attr(item, "nick", newnick) == -1))
		return (NULL);
	if (why->actor != NULL && ((a = xml_add_child(item, NULL,
	    "actor")) == NULL || xml_set_attr(a, "nick", why->actor) == -1))
		return (NULL);
	if (why->reason != NULL && muc_add_text(item, "reason",
	    why->reason) == -1)
		return (NULL);
	return (item);
}

/*
 * One variant of occ's presence, to itself (self) or to others, with its
 * real JID or not: available (type NULL) as it last said, or of type
 * with the children of content (NULL: none).
 */
static struct xml_node *
muc_presence_build(struct muc_occupant *occ, const char *type,
    const struct xml_node *content, const struct muc_why *why,
    const char *newnick, int self, int withjid)
{
	struct xml_node	*p, *x, *d;
	char		 from[JID_BUFSIZE];
	const int	*c;
	size_t		 i;

	/* Available: the last presence; unavailable: what it said, if any. */
	if (type == NULL && occ->last != NULL)
		content = occ->last->presence;
	p = content != NULL ? muc_presence_keep(content) :
	    xml_node_new(NS_CLIENT, "presence");
	(void)muc_occupant_jid(occ, from, sizeof(from));
	if (p == NULL || xml_set_attr(p, "from", from) == -1 ||
	    (type != NULL && xml_set_attr(p, "type", type) == -1) ||
	    (x = xml_add_child(p, NS_MUC_USER, "x")) == NULL ||
	    muc_presence_item(occ, x, type != NULL && newnick == NULL ?
	    MUC_ROLE_NONE : occ->role, withjid || self, newnick, why) == NULL)
		goto fail;
	if (self && muc_add_status(x, 110) == -1)
		goto fail;
	for (c = why->codes; c != NULL && *c != 0; c++)
		if (muc_add_status(x, *c) == -1)
			goto fail;
	for (c = why->self_codes; self && c != NULL && *c != 0; c++)
		if (muc_add_status(x, *c) == -1)
			goto fail;
	if (why->destroy != NULL) {
		if ((d = xml_node_clone(why->destroy)) == NULL)
			goto fail;
		xml_append(x, d);
	}
	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->presence_out != NULL)
			mucd_features[i]->presence_out(occ, p, x, self);
	return (p);
 fail:
	xml_node_free(p);
	return (NULL);
}

/* A variant, ready to send; NULL (logged) when it cannot be built. */
static struct muc_stanza_out *
muc_presence_out(struct muc_occupant *occ, const char *type,
    const struct xml_node *content, const struct muc_why *why,
    const char *newnick, int self, int withjid)
{
	struct xml_node		*p;
	struct muc_stanza_out	*o = NULL;

	if ((p = muc_presence_build(occ, type, content, why, newnick, self,
	    withjid)) != NULL)
		o = muc_stanza_out_new(p);
	xml_node_free(p);
	if (o == NULL)
		log_warnx("%s: presence of %s/%s not built", __func__,
		    occ->room->jid, occ->nick);
	return (o);
}

/*
 * occ's presence to every occupant: the real JID to those who may see
 * it, the self variant (110) to occ's own sessions unless noself.
 */
static void
muc_presence_fanout(struct muc_occupant *occ, const char *type,
    const struct xml_node *content, const struct muc_why *why,
    const char *newnick, int noself)
{
	struct muc_stanza_out	*v[3] = { NULL, NULL, NULL };
	struct muc_occupant	*r;
	int			 k;

	RB_FOREACH(r, muc_occupant_tree, &occ->room->occupants) {
		if (r == occ && noself)
			continue;
		k = r == occ ? 0 : muc_occupant_sees_jids(r) ? 1 : 2;
		if (v[k] == NULL && (v[k] = muc_presence_out(occ, type,
		    content, why, newnick, k == 0, k == 1)) == NULL)
			continue;
		(void)muc_occupant_send(r, v[k]);
	}
	for (k = 0; k < 3; k++)
		muc_stanza_out_free(v[k]);
}

/* occ's current presence to all, with why's status codes. */
void
muc_occupant_broadcast(struct muc_occupant *occ, const struct muc_why *why)
{
	muc_presence_fanout(occ, NULL, NULL, why != NULL ? why : &muc_why_none,
	    NULL, 0);
}

/* The presence of every other occupant, to one new session. */
static void
muc_presence_roster(struct muc_session *s)
{
	struct muc_occupant	*r, *occ = s->occ;
	struct muc_stanza_out	*o;
	int			 withjid = muc_occupant_sees_jids(occ);

	RB_FOREACH(r, muc_occupant_tree, &occ->room->occupants) {
		if (r == occ || (o = muc_presence_out(r, NULL, NULL,
		    &muc_why_none, NULL, 0, withjid)) == NULL)
			continue;
		(void)muc_stanza_out_send(o, s->jid);
		muc_stanza_out_free(o);
	}
}

/*
 * The presence of every other occupant to each session of occ, which
 * may now see more of them (a new moderator of a semi-anonymous room
 * sees their real JIDs).
 */
void
muc_occupant_roster(struct muc_occupant *occ)
{
	struct muc_session	*s;

	TAILQ_FOREACH(s, &occ->sessions, occ_entry)
		muc_presence_roster(s);
}

/* The unavailable self-presence of one session only. */
static void
muc_presence_self_gone(struct muc_session *s, const struct xml_node *content,
    const struct muc_why *why, const char *newnick)
{
	struct muc_stanza_out	*o;

	if ((o = muc_presence_out(s->occ, "unavailable", content, why,
	    newnick, 1, 1)) == NULL)
		return;
	(void)muc_stanza_out_send(o, s->jid);
	muc_stanza_out_free(o);
}

static struct muc_occupant *
muc_occupant_new(struct muc_room *room, const char *nick, const char *bare,
    int role)
{
	struct muc_occupant	*occ;

	if ((occ = calloc(1, sizeof(*occ))) == NULL ||
	    (occ->nick = strdup(nick)) == NULL ||
	    (occ->bare = strdup(bare)) == NULL ||
	    muc_occupant_nick_key(nick, &occ->key) == -1) {
		if (occ != NULL) {
			free(occ->nick);
			free(occ->bare);
			free(occ);
		}
		return (NULL);
	}
	occ->room = room;
	occ->role = role;
	TAILQ_INIT(&occ->sessions);
	occ->tokens = room->svc->conf->message_rate;
	clock_gettime(CLOCK_MONOTONIC, &occ->refill);
	if (RB_INSERT(muc_occupant_tree, &room->occupants, occ) != NULL)
		fatalx("%s: %s twice in %s", __func__, nick, room->jid);
	room->noccupants++;
	return (occ);
}

/* Add a session to occ; its presence is what n says. */
static struct muc_session *
muc_session_add(struct muc_occupant *occ, const char *jid,
    const struct xml_node *n)
{
	struct muc_session	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->jid = strdup(jid)) == NULL ||
	    (s->presence = muc_presence_keep(n)) == NULL) {
		if (s != NULL)
			free(s->jid);
		free(s);
		return (NULL);
	}
	s->occ = occ;
	s->joined = time(NULL);
	if (RB_INSERT(muc_session_tree, &occ->room->sessions, s) != NULL)
		fatalx("%s: %s twice in %s", __func__, jid, occ->room->jid);
	TAILQ_INSERT_TAIL(&occ->sessions, s, occ_entry);
	occ->nsessions++;
	occ->last = s;
	return (s);
}

/* Take s out of its occupant (which may be left with none) and free it. */
static void
muc_session_del(struct muc_session *s)
{
	struct muc_occupant	*occ = s->occ;

	TAILQ_REMOVE(&occ->sessions, s, occ_entry);
	occ->nsessions--;
	if (occ->last == s)
		occ->last = TAILQ_LAST(&occ->sessions, muc_session_list);
	RB_REMOVE(muc_session_tree, &occ->room->sessions, s);
	xml_node_free(s->presence);
	free(s->jid);
	free(s);
}

/* Free an occupant that has gone; the features hear of it first. */
static void
muc_occupant_free(struct muc_occupant *occ)
{
	struct muc_session	*s;
	size_t			 i;

	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->left != NULL)
			mucd_features[i]->left(occ);
	while ((s = TAILQ_FIRST(&occ->sessions)) != NULL)
		muc_session_del(s);
	RB_REMOVE(muc_occupant_tree, &occ->room->occupants, occ);
	occ->room->noccupants--;
	free(occ->nick);
	free(occ->key);
	free(occ->bare);
	free(occ);
}

/*
 * Remove occ: everyone hears it leave, with why (kick 307, ban 301,
 * error 333, ...).  The room stays, even empty: the caller calls
 * muc_room_gone_if_empty() when done with it.
 */
void
muc_occupant_remove(struct muc_occupant *occ, const struct muc_why *why)
{
	muc_presence_fanout(occ, "unavailable", NULL, why, NULL, 0);
	muc_occupant_free(occ);
}

/*
 * Remove occ telling only itself (why NULL: nobody): the room is being
 * destroyed (XEP-0045 section 10.9) or its service goes.
 */
void
muc_occupant_dismiss(struct muc_occupant *occ, const struct muc_why *why)
{
	struct muc_stanza_out	*o;

	if (why != NULL && (o = muc_presence_out(occ, "unavailable", NULL,
	    why, NULL, 1, 1)) != NULL) {
		(void)muc_occupant_send(occ, o);
		muc_stanza_out_free(o);
	}
	muc_occupant_free(occ);
}

/* A new role for occ, and everyone hears of it; none removes it. */
void
muc_occupant_set_role(struct muc_occupant *occ, int role,
    const struct muc_why *why)
{
	if (role == MUC_ROLE_NONE) {
		muc_occupant_remove(occ, why);
		return;
	}
	occ->role = role;
	muc_occupant_broadcast(occ, why);
}

/*
 * A session leaves.  With others left under the nick, only it hears;
 * else everyone does, with what its unavailable presence said.
 */
static void
muc_session_leave(struct muc_session *s, const struct xml_node *content,
    const struct muc_why *why, int tell)
{
	struct muc_occupant	*occ = s->occ;
	struct muc_room		*room = occ->room;
	int			 was_last = occ->last == s;

	if (occ->nsessions > 1) {
		if (tell)
			muc_presence_self_gone(s, content, why, NULL);
		muc_session_del(s);
		if (was_last)
			muc_occupant_broadcast(occ, NULL);
		return;
	}
	muc_presence_fanout(occ, "unavailable", content, why, NULL, !tell);
	muc_occupant_free(occ);
	muc_room_gone_if_empty(room);
}

/*
 * What a new occupant hears: 110, 100 if non-anonymous, 170 if the room
 * is logged (XEP-0045, Security Considerations), 201, 210.
 */
static void
muc_join_self_codes(struct muc_join *j, int *codes)
{
	int	 n = 0;

	if (j->room->cfg.whois == MUC_WHOIS_ANYONE)
		codes[n++] = 100;
	if (j->room->cfg.logging)
		codes[n++] = 170;
	if (j->created)
		codes[n++] = 201;
	if (j->renamed)
		codes[n++] = 210;
	codes[n] = 0;
}

/* The presence of all to the new session, then its own to all. */
static void
muc_join_announce(struct muc_session *s, struct muc_join *j)
{
	int			 codes[5];
	struct muc_why		 why = muc_why_none;
	size_t			 i;

	muc_join_self_codes(j, codes);
	why.self_codes = codes;
	muc_presence_roster(s);
	muc_presence_fanout(s->occ, NULL, NULL, &why, NULL, 0);
	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->joined != NULL)
			mucd_features[i]->joined(s, j);
}

/* The checks of a join, in XEP-0045 section 7.2's order. */
static int
muc_join_check(struct muc_join *j, struct muc_occupant **occp,
    struct muc_error *err)
{
	struct muc_ctx		*ctx = j->ctx;
	struct muc_room		*room = j->room;
	struct muc_occupant	*occ;
	size_t			 i;

	if (j->affiliation == MUC_AFF_OUTCAST)
		return (muc_stanza_seterr(err, "auth", "forbidden",
		    "You are banned from this room"));
	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->join_check != NULL &&
		    mucd_features[i]->join_check(j, err) == MUC_FAIL)
			return (MUC_FAIL);
	if (muc_occupant_nick_check(room, ctx->bare, j->nick, err) == MUC_FAIL)
		return (MUC_FAIL);
	if ((occ = muc_occupant_find(room, j->nick)) != NULL) {
		if (strcmp(occ->bare, ctx->bare) != 0)
			return (muc_stanza_seterr(err, "cancel", "conflict",
			    "That nick is taken"));
		if (occ->nsessions >= MUC_SESSIONS_MAX)
			return (muc_stanza_seterr(err, "wait",
			    "resource-constraint", NULL));
	} else if (room->noccupants >= muc_room_max_occupants(room) &&
	    (j->affiliation < MUC_AFF_ADMIN || room->noccupants >=
	    muc_room_max_occupants(room) + MUC_ADMIN_EXTRA))
		return (muc_stanza_seterr(err, "wait", "service-unavailable",
		    "The room is full"));
	*occp = occ;
	return (0);
}

/* A room that does not exist: created and locked, the creator owner. */
static struct muc_room *
muc_join_create(struct muc_ctx *ctx, struct muc_error *err)
{
	struct muc_room	*room;

	if (muc_room_may_create(ctx, err) == MUC_FAIL)
		return (NULL);
	room = muc_room_new(ctx->svc, ctx->to.local);
	room->locked = 1;
	muc_room_init(room);
	if (muc_room_set_affiliation(room, ctx->bare, MUC_AFF_OWNER, NULL,
	    NULL) == -1) {
		muc_room_free(room);
		(void)muc_stanza_seterr(err, "wait",
		    "internal-server-error", NULL);
		return (NULL);
	}
	log_debug("%s: %s created by %s, locked", __func__, room->jid,
	    ctx->from);
	return (room);
}

/* Entering a room, which this may create (XEP-0045 sections 7.2, 10.1). */
static void
muc_join(struct muc_ctx *ctx, const struct xml_node *x)
{
	struct muc_error	 err;
	struct muc_join		 j;
	struct muc_occupant	*occ = NULL;
	struct muc_session	*s;

	memset(&j, 0, sizeof(j));
	j.ctx = ctx;
	j.x = x;
	j.nick = ctx->to.resource;
	if (ctx->locked) {
		(void)muc_stanza_seterr(&err, "cancel", "item-not-found", NULL);
		goto refuse;
	}
	if (ctx->room == NULL) {
		if ((ctx->room = muc_join_create(ctx, &err)) == NULL)
			goto refuse;
		j.created = 1;
	}
	j.room = ctx->room;
	j.affiliation = muc_room_affiliation(j.room, ctx->bare);
	j.role = muc_room_default_role(j.room, j.affiliation);
	if (muc_join_check(&j, &occ, &err) == MUC_FAIL)
		goto refuse;
	if (occ == NULL && (occ = muc_occupant_new(j.room, j.nick, ctx->bare,
	    j.role)) == NULL) {
		(void)muc_stanza_seterr(&err, "wait",
		    "internal-server-error", NULL);
		goto refuse;
	}
	if ((s = muc_session_add(occ, ctx->from, ctx->n)) == NULL) {
		(void)muc_stanza_seterr(&err, "wait",
		    "internal-server-error", NULL);
		if (occ->nsessions == 0)
			muc_occupant_free(occ);
		goto refuse;
	}
	ctx->sess = s;
	log_debug("%s: %s is %s in %s", __func__, ctx->from, occ->nick,
	    j.room->jid);
	muc_join_announce(s, &j);
	return;
 refuse:
	muc_stanza_error(ctx, &err);
	if (ctx->room != NULL)
		muc_room_gone_if_empty(ctx->room);
}

/*
 * Presence without the muc x from one who is not in the room: a client
 * that believes it is (a restart of mucd forgot it) or a groupchat 1.0
 * join.  XEP-0045 section 7.2.10 (1.32): tell it it is not in the room
 * (110, 307, 333) and it rejoins properly.
 */
static void
muc_not_in_room(struct muc_ctx *ctx)
{
	struct xml_node	*p, *x, *item;
	const char	*reason = "You are not in the room.";

	if ((p = muc_stanza_new("presence", ctx->tojid, ctx->from,
	    "unavailable")) == NULL ||
	    (x = xml_add_child(p, NS_MUC_USER, "x")) == NULL ||
	    (item = xml_add_child(x, NULL, "item")) == NULL ||
	    xml_set_attr(item, "affiliation", ctx->room != NULL ?
	    muc_room_aff_name(muc_room_affiliation(ctx->room, ctx->bare)) :
	    "none") == -1 || xml_set_attr(item, "role", "none") == -1 ||
	    muc_add_text(item, "reason", reason) == -1 ||
	    muc_add_status(x, 110) == -1 || muc_add_status(x, 307) == -1 ||
	    muc_add_status(x, 333) == -1) {
		xml_node_free(p);
		return;
	}
	(void)muc_stanza_send(p);
	xml_node_free(p);
}

/* An occupant's session sends available presence under its nick. */
static void
muc_presence_update(struct muc_ctx *ctx, const struct xml_node *x)
{
	struct muc_session	*s = ctx->sess;
	struct xml_node		*p;
	struct muc_join		 j;

	if ((p = muc_presence_keep(ctx->n)) == NULL)
		return;
	xml_node_free(s->presence);
	s->presence = p;
	s->occ->last = s;
	if (x == NULL) {
		muc_occupant_broadcast(s->occ, NULL);
		return;
	}
	/*
	 * A join from a session already in: it lost track of the room and
	 * gets all a join gets (XEP-0045 section 7.2.1).
	 */
	memset(&j, 0, sizeof(j));
	j.ctx = ctx;
	j.room = ctx->room;
	j.nick = s->occ->nick;
	j.x = x;
	j.affiliation = muc_room_affiliation(ctx->room, ctx->bare);
	j.role = s->occ->role;
	muc_join_announce(s, &j);
}

static const int	 muc_c303[] = { 303, 0 };
static const struct muc_why muc_why_303 = { muc_c303, NULL, NULL, NULL,
    NULL };

/* occ takes nick, whose key is key (both its own now); 303 first. */
static void
muc_occupant_rename(struct muc_occupant *occ, char *nick, char *key)
{
	struct muc_room	*room = occ->room;

	muc_presence_fanout(occ, "unavailable", NULL, &muc_why_303, nick, 0);
	RB_REMOVE(muc_occupant_tree, &room->occupants, occ);
	free(occ->nick);
	free(occ->key);
	occ->nick = nick;
	occ->key = key;
	if (RB_INSERT(muc_occupant_tree, &room->occupants, occ) != NULL)
		fatalx("%s: %s twice in %s", __func__, nick, room->jid);
}

/*
 * The sender's session leaves the nick it shares with others for nick,
 * an occupant of its own; its new session, or NULL if it is lost.
 */
static struct muc_session *
muc_session_split(struct muc_ctx *ctx, const char *nick)
{
	struct muc_session	*s = ctx->sess;
	struct muc_occupant	*occ = s->occ;
	int			 role = occ->role;

	muc_presence_self_gone(s, NULL, &muc_why_303, nick);
	muc_session_del(s);
	ctx->sess = NULL;
	muc_occupant_broadcast(occ, NULL);
	if ((occ = muc_occupant_new(ctx->room, nick, ctx->bare, role)) == NULL)
		return (NULL);
	if ((s = muc_session_add(occ, ctx->from, ctx->n)) == NULL) {
		muc_occupant_free(occ);
		return (NULL);
	}
	return (ctx->sess = s);
}

/*
 * A session changes its nick (XEP-0045 section 7.6): 303 and the new
 * nick in the unavailable presence of the old, then the new presence.
 * The occupant is renamed, all its sessions with it; but a session that
 * shares its nick with others and takes a new one leaves them for an
 * occupant of its own.
 */
static void
muc_nick_change(struct muc_ctx *ctx)
{
	struct muc_session	*s = ctx->sess;
	struct muc_occupant	*other;
	struct muc_room		*room = ctx->room;
	struct muc_error	 err;
	struct xml_node		*p = NULL;
	const char		*nick = ctx->to.resource;
	char			*newnick = NULL, *key = NULL;
	int			 split;

	if (muc_occupant_nick_check(room, ctx->bare, nick, &err) == MUC_FAIL)
		goto refuse;
	other = muc_occupant_find(room, nick);
	if (other != NULL && other != s->occ) {
		(void)muc_stanza_seterr(&err, "cancel", "conflict",
		    "That nick is taken");
		goto refuse;
	}
	split = other == NULL && s->occ->nsessions > 1;
	if (split && room->noccupants >= muc_room_max_occupants(room)) {
		(void)muc_stanza_seterr(&err, "wait", "service-unavailable",
		    "The room is full");
		goto refuse;
	}
	if (split) {
		if ((s = muc_session_split(ctx, nick)) == NULL) {
			log_warnx("%s: %s lost in %s", __func__, ctx->from,
			    room->jid);
			return;
		}
	} else {
		if ((p = muc_presence_keep(ctx->n)) == NULL ||
		    (newnick = strdup(nick)) == NULL ||
		    muc_occupant_nick_key(nick, &key) == -1) {
			(void)muc_stanza_seterr(&err, "wait",
			    "internal-server-error", NULL);
			goto refuse;
		}
		muc_occupant_rename(s->occ, newnick, key);
		xml_node_free(s->presence);
		s->presence = p;
	}
	s->occ->last = s;
	muc_presence_fanout(s->occ, NULL, NULL, &muc_why_none, NULL, 0);
	return;
 refuse:
	xml_node_free(p);
	free(newnick);
	muc_stanza_error(ctx, &err);
}

/* Presence to room@service/nick or room@service. */
void
muc_occupant_presence(struct muc_ctx *ctx)
{
	struct muc_error	 err;
	const struct xml_node	*x = xml_find_child(ctx->n, NS_MUC, "x");

	if (strcmp(ctx->type, "unavailable") == 0) {
		if (ctx->sess != NULL)
			muc_session_leave(ctx->sess, ctx->n, &muc_why_none, 1);
		return;
	}
	if (ctx->type[0] != '\0')
		return;		/* probes and subscriptions: not for rooms */
	if (ctx->xmllen > MUC_PRESENCE_MAX) {
		(void)muc_stanza_seterr(&err, "modify", "policy-violation",
		    "The presence is too large");
		muc_stanza_error(ctx, &err);
	} else if (ctx->to.resource[0] == '\0') {
		(void)muc_stanza_seterr(&err, "modify", "jid-malformed",
		    "A nick is needed to enter the room");
		muc_stanza_error(ctx, &err);
	} else if (ctx->sess == NULL && x == NULL)
		muc_not_in_room(ctx);
	else if (ctx->sess == NULL)
		muc_join(ctx, x);
	else if (strcmp(ctx->sess->occ->nick, ctx->to.resource) == 0)
		muc_presence_update(ctx, x);
	else
		muc_nick_change(ctx);
}

/*
 * An error from a session of the room (the router's, when the session
 * is gone; or its client's): it is a ghost and leaves (status 333,
 * XEP-0045 section 13.1).  A message error counts only when it says
 * the recipient is gone.
 */
void
muc_occupant_bounced(struct muc_ctx *ctx)
{
	static const char *const gone[] = { "recipient-unavailable",
	    "remote-server-not-found", "remote-server-timeout", "gone",
	    "item-not-found" };
	static const int	 c333[] = { 333, 0 };
	struct muc_why		 why = muc_why_none;
	struct xml_node		*e, *c;
	size_t			 i;

	if (ctx->sess == NULL)
		return;
	if (ctx->kind == STANZA_MESSAGE) {
		if ((e = xml_find_child(ctx->n, NULL, "error")) == NULL ||
		    (c = xml_first_child(e)) == NULL ||
		    c->ns == NULL || strcmp(c->ns, NS_STANZA_ERR) != 0)
			return;
		for (i = 0; i < nitems(gone); i++)
			if (strcmp(c->name, gone[i]) == 0)
				break;
		if (i == nitems(gone))
			return;
	}
	log_debug("%s: %s is gone from %s", __func__, ctx->from,
	    ctx->room->jid);
	why.codes = c333;
	muc_session_leave(ctx->sess, NULL, &why, 0);
	ctx->sess = NULL;
}
