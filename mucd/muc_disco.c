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
 * Service discovery (XEP-0030) as XEP-0045 section 6 has it: a service
 * says what it is and lists its public rooms; a room says what it is,
 * its settings as features and the muc#roominfo form (XEP-0128), and
 * lists its occupants only to one another, only where it is
 * non-anonymous.  A hidden room answers an outsider as a room that does
 * not exist.  Also the admin's view of every room (xmppctl muc rooms).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "msg.h"
#include "muc.h"
#include "proc.h"
#include "xml.h"

#define NS_RSM		"http://jabber.org/protocol/rsm"
#define NS_ROOMINFO	"http://jabber.org/protocol/muc#roominfo"

#define MUC_DISCO_ITEMS_MAX	100	/* rooms in one answer */

/* A page of the service's rooms (XEP-0059). */
struct muc_disco_page {
	int		 rsm;		/* asked with a <set/> */
	int		 max;
	char		*after;		/* a room's name, or NULL */
	char		*before;	/* a room's name; "": the last page */
};


/* Listed by the service: public, and not locked. */
static int
muc_disco_listed(const struct muc_room *room)
{
	return (room->cfg.public && !room->locked);
}

static const char *
muc_disco_name(const struct muc_room *room)
{
	return (room->cfg.name[0] != '\0' ? room->cfg.name : room->name);
}

/* Add a field var (label may be NULL) of one value to a data form. */
int
muc_disco_field(struct xml_node *form, const char *var, const char *label,
    const char *value)
{
	struct xml_node	*f, *v;

	if ((f = xml_add_child(form, NULL, "field")) == NULL ||
	    xml_set_attr(f, "var", var) == -1 ||
	    (label != NULL && xml_set_attr(f, "label", label) == -1) ||
	    (v = xml_add_child(f, NULL, "value")) == NULL ||
	    xml_add_text(v, value, strlen(value)) == -1)
		return (-1);
	return (0);
}

/* The muc#roominfo form of a disco#info answer q, or NULL. */
struct xml_node *
muc_disco_form(struct xml_node *q)
{
	return (xml_find_child(q, NS_XDATA, "x"));
}

/*
 * What the room's settings say of it (XEP-0045 section 15.5.4); the
 * subject is the subject's to add.  Subject changes are told as both
 * the registered subjectmod and the changesubject clients read.
 */
static struct xml_node *
muc_disco_roominfo(struct muc_room *room)
{
	const struct muc_room_config	*c = &room->cfg;
	struct xml_node			*x, *f;
	const char			*mod = c->change_subject ? "1" : "0";
	char				 n[16];

	(void)snprintf(n, sizeof(n), "%d", room->noccupants);
	if ((x = xml_node_new(NS_XDATA, "x")) == NULL ||
	    xml_set_attr(x, "type", "result") == -1 ||
	    muc_disco_field(x, "FORM_TYPE", NULL, NS_ROOMINFO) == -1 ||
	    (f = xml_find_child(x, NULL, "field")) == NULL ||
	    xml_set_attr(f, "type", "hidden") == -1 ||
	    muc_disco_field(x, "muc#roominfo_description", "Description",
	    c->description) == -1 ||
	    muc_disco_field(x, "muc#roominfo_occupants",
	    "Number of occupants", n) == -1 ||
	    muc_disco_field(x, "muc#roominfo_subjectmod",
	    "Occupants may change the subject", mod) == -1 ||
	    muc_disco_field(x, "muc#roominfo_changesubject",
	    "Occupants may change the subject", mod) == -1 ||
	    (c->lang[0] != '\0' && muc_disco_field(x, "muc#roominfo_lang",
	    "Language of discussion", c->lang) == -1)) {
		xml_node_free(x);
		return (NULL);
	}
	return (x);
}

static int
muc_disco_identity(struct xml_node *q, struct muc_room *room)
{
	struct xml_node	*id;

	if ((id = xml_add_child(q, NULL, "identity")) == NULL ||
	    xml_set_attr(id, "category", "conference") == -1 ||
	    xml_set_attr(id, "type", "text") == -1 ||
	    xml_set_attr(id, "name", room != NULL ? muc_disco_name(room) :
	    "Chat rooms") == -1)
		return (-1);
	return (0);
}

/*
 * Is a disco query this file's to answer; if not, *rc says what the
 * handler returns.  Only a <query/> is one: another element of the
 * namespace asks nothing.  A hidden room is not there for an outsider,
 * whatever it asks; a query to a node is another feature's (reserved
 * nicks); a query is a get.
 */
static int
muc_disco_mine(struct muc_ctx *ctx, struct xml_node *q,
    struct muc_error *err, int *rc)
{
	if (strcmp(q->name, "query") != 0)
		*rc = MUC_PASS;
	else if (ctx->room != NULL && !muc_room_visible(ctx))
		*rc = muc_stanza_seterr(err, "cancel", "item-not-found", NULL);
	else if (xml_get_attr(q, "node") != NULL)
		*rc = MUC_PASS;
	else if (strcmp(ctx->type, "get") != 0)
		*rc = muc_stanza_seterr(err, "modify", "bad-request", NULL);
	else
		return (1);
	return (0);
}

/*
 * What the service or a room is (XEP-0045 sections 6.1, 6.4): its
 * identity, the features of every feature file and, for a room, the
 * muc#roominfo form, which the features may fill too (muc.h) and which
 * goes last.
 */
static int
muc_disco_info(struct muc_ctx *ctx, struct xml_node *q, struct muc_error *err)
{
	struct xml_node	*r, *form = NULL;
	int		 rc;

	if (!muc_disco_mine(ctx, q, err, &rc))
		return (rc);
	if ((r = xml_node_new(NS_DISCO_INFO, "query")) == NULL ||
	    muc_disco_identity(r, ctx->room) == -1 || (ctx->room != NULL &&
	    (form = muc_disco_roominfo(ctx->room)) == NULL)) {
		xml_node_free(r);
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	}
	if (form != NULL)
		xml_append(r, form);
	mucd_disco_features(ctx->room, r);
	if ((form = muc_disco_form(r)) != NULL) {
		xml_unlink(form);
		xml_append(r, form);
	}
	muc_stanza_result(ctx, r);
	return (MUC_DONE);
}

static int
muc_disco_item(struct xml_node *q, const char *jid, const char *name)
{
	struct xml_node	*i;

	if ((i = xml_add_child(q, NULL, "item")) == NULL ||
	    xml_set_attr(i, "jid", jid) == -1 ||
	    (name != NULL && xml_set_attr(i, "name", name) == -1))
		return (-1);
	return (0);
}

/* The name of a room of svc given as its JID in a <set/>. */
static int
muc_disco_page_room(struct muc_service *svc, const struct xml_node *set,
    const char *el, char **name)
{
	struct jid	 j;
	char		*s;
	int		 ret = 0;

	if ((s = xml_child_text(set, NS_RSM, el)) == NULL)
		return (xml_find_child(set, NS_RSM, el) == NULL ? 0 : -1);
	if (s[0] == '\0' && strcmp(el, "before") == 0) {
		*name = s;
		return (0);
	}
	if (jid_parse(s, &j) == -1 || j.local[0] == '\0' ||
	    j.resource[0] != '\0' || strcmp(j.domain, svc->name) != 0 ||
	    (*name = strdup(j.local)) == NULL)
		ret = -1;
	free(s);
	return (ret);
}

/*
 * The page a disco#items query asks for: XEP-0059 max, after, before
 * (a room's JID, or empty for the last page).  Paging goes by the order
 * of the names, whether the room named exists or not: a hidden room is
 * no landmark.  -1 when the set cannot be read.
 */
static int
muc_disco_page_parse(struct muc_service *svc, const struct xml_node *q,
    struct muc_disco_page *pg)
{
	const struct xml_node	*set;
	const char		*errstr;
	char			*max;

	memset(pg, 0, sizeof(*pg));
	pg->max = MUC_DISCO_ITEMS_MAX;
	if ((set = xml_find_child(q, NS_RSM, "set")) == NULL)
		return (0);
	pg->rsm = 1;
	if ((max = xml_child_text(set, NS_RSM, "max")) != NULL) {
		pg->max = strtonum(max, 0, INT_MAX, &errstr);
		free(max);
		if (errstr != NULL)
			return (-1);
		if (pg->max > MUC_DISCO_ITEMS_MAX)
			pg->max = MUC_DISCO_ITEMS_MAX;
	} else if (xml_find_child(set, NS_RSM, "max") != NULL)
		return (-1);
	if (muc_disco_page_room(svc, set, "after", &pg->after) == -1 ||
	    muc_disco_page_room(svc, set, "before", &pg->before) == -1 ||
	    (pg->after != NULL && pg->before != NULL))
		return (-1);
	return (0);
}

/*
 * The first listed room of the page, and in *n how many it may hold:
 * after a name, before one (stepping back), or from the start.
 */
static struct muc_room *
muc_disco_page_first(struct muc_service *svc, const struct muc_disco_page *pg,
    int *n)
{
	struct muc_room	 key, *r, *first = NULL;

	*n = pg->max;
	if (pg->before == NULL) {
		key.name = pg->after;
		r = pg->after == NULL ? RB_MIN(muc_room_tree, &svc->rooms) :
		    RB_NFIND(muc_room_tree, &svc->rooms, &key);
		if (r != NULL && pg->after != NULL &&
		    strcmp(r->name, pg->after) == 0)
			r = RB_NEXT(muc_room_tree, &svc->rooms, r);
		while (r != NULL && !muc_disco_listed(r))
			r = RB_NEXT(muc_room_tree, &svc->rooms, r);
		return (r);
	}
	key.name = pg->before;
	if (pg->before[0] == '\0' ||
	    (r = RB_NFIND(muc_room_tree, &svc->rooms, &key)) == NULL)
		r = RB_MAX(muc_room_tree, &svc->rooms);
	else
		r = RB_PREV(muc_room_tree, &svc->rooms, r);
	for (*n = 0; r != NULL && *n < pg->max;
	    r = RB_PREV(muc_room_tree, &svc->rooms, r))
		if (muc_disco_listed(r)) {
			first = r;
			(*n)++;
		}
	return (first);
}

/* XEP-0059's answer: first (with its index), last, count. */
static int
muc_disco_page_set(struct xml_node *q, struct muc_service *svc,
    struct muc_room *first, struct muc_room *last)
{
	struct xml_node	*set, *f;
	struct muc_room	*r;
	char		 b[16];
	int		 count = 0, index = 0;

	RB_FOREACH(r, muc_room_tree, &svc->rooms)
		if (muc_disco_listed(r)) {
			count++;
			if (first != NULL && strcmp(r->name, first->name) < 0)
				index++;
		}
	if ((set = xml_add_child(q, NS_RSM, "set")) == NULL)
		return (-1);
	if (first != NULL) {
		(void)snprintf(b, sizeof(b), "%d", index);
		if ((f = xml_add_child(set, NULL, "first")) == NULL ||
		    xml_set_attr(f, "index", b) == -1 ||
		    xml_add_text(f, first->jid, strlen(first->jid)) == -1 ||
		    (f = xml_add_child(set, NULL, "last")) == NULL ||
		    xml_add_text(f, last->jid, strlen(last->jid)) == -1)
			return (-1);
	}
	(void)snprintf(b, sizeof(b), "%d", count);
	if ((f = xml_add_child(set, NULL, "count")) == NULL ||
	    xml_add_text(f, b, strlen(b)) == -1)
		return (-1);
	return (0);
}

/*
 * The public rooms of the service, with their names (XEP-0045 section
 * 6.2): a page of them, the first MUC_DISCO_ITEMS_MAX without a <set/>.
 */
static int
muc_disco_rooms(struct muc_ctx *ctx, struct xml_node *r,
    const struct muc_disco_page *pg)
{
	struct muc_service	*svc = ctx->svc;
	struct muc_room		*room, *first, *last = NULL;
	int			 n, more = 0;

	first = muc_disco_page_first(svc, pg, &n);
	for (room = first; room != NULL;
	    room = RB_NEXT(muc_room_tree, &svc->rooms, room)) {
		if (!muc_disco_listed(room))
			continue;
		if (n-- == 0) {
			more = 1;
			break;
		}
		if (muc_disco_item(r, room->jid, muc_disco_name(room)) == -1)
			return (-1);
		last = room;
	}
	if (last == NULL)
		first = NULL;
	if ((pg->rsm || more) && muc_disco_page_set(r, svc, first, last) == -1)
		return (-1);
	return (0);
}

/*
 * The occupants of a room (XEP-0045 section 6.5): to an occupant of a
 * non-anonymous room, which shows their JIDs anyway; an empty list to
 * anyone else.
 */
static int
muc_disco_occupants(struct muc_ctx *ctx, struct xml_node *r)
{
	struct muc_occupant	*occ;
	char			 jid[JID_BUFSIZE];

	if (ctx->sess == NULL || ctx->room->cfg.whois != MUC_WHOIS_ANYONE)
		return (0);
	RB_FOREACH(occ, muc_occupant_tree, &ctx->room->occupants) {
		(void)muc_occupant_jid(occ, jid, sizeof(jid));
		if (muc_disco_item(r, jid, NULL) == -1)
			return (-1);
	}
	return (0);
}

static int
muc_disco_items(struct muc_ctx *ctx, struct xml_node *q, struct muc_error *err)
{
	struct muc_disco_page	 pg;
	struct xml_node		*r;
	int			 rc;

	if (!muc_disco_mine(ctx, q, err, &rc))
		return (rc);
	if (ctx->room == NULL && muc_disco_page_parse(ctx->svc, q, &pg) == -1) {
		free(pg.after);
		free(pg.before);
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "The result set cannot be read"));
	}
	if ((r = xml_node_new(NS_DISCO_ITEMS, "query")) == NULL)
		rc = -1;
	else if (ctx->room == NULL) {
		rc = muc_disco_rooms(ctx, r, &pg);
		free(pg.after);
		free(pg.before);
	} else
		rc = muc_disco_occupants(ctx, r);
	if (rc == -1) {
		xml_node_free(r);
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	}
	muc_stanza_result(ctx, r);
	return (MUC_DONE);
}

/* xmppctl muc rooms: every room of every service, answered END. */
void
muc_disco_ctl(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_muc_room	 cr;
	struct muc_service	*svc;
	struct muc_room		*room;
	uint32_t		 id = imsg_get_id(imsg);

	TAILQ_FOREACH(svc, &mucd_services, entry)
		RB_FOREACH(room, muc_room_tree, &svc->rooms) {
			memset(&cr, 0, sizeof(cr));
			(void)strlcpy(cr.jid, room->jid, sizeof(cr.jid));
			cr.occupants = room->noccupants;
			cr.persistent = room->cfg.persistent;
			cr.locked = room->locked;
			cr.public = room->cfg.public;
			imsgev_compose(iev, IMSG_CTL_MUC_ROOM, id, 0, -1, &cr,
			    sizeof(cr));
		}
	imsgev_compose(iev, IMSG_CTL_END, id, 0, -1, NULL, 0);
}

static void
muc_disco_disco(struct muc_room *room, struct xml_node *q)
{
	(void)(mucd_disco_add(q, NS_DISCO_INFO) == -1 ||
	    mucd_disco_add(q, NS_DISCO_ITEMS) == -1 ||
	    (room == NULL && mucd_disco_add(q, NS_RSM) == -1));
}

static const struct muc_iq muc_disco_iqs[] = {
	{ NS_DISCO_INFO,  MUC_AT_SERVICE | MUC_AT_ROOM,	muc_disco_info },
	{ NS_DISCO_ITEMS, MUC_AT_SERVICE | MUC_AT_ROOM,	muc_disco_items },
	{ NULL,		  0,				NULL },
};

const struct muc_feature muc_disco_feature = {
	.name = "disco",
	.iqs = muc_disco_iqs,
	.disco = muc_disco_disco,
};
