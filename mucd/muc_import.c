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
 * A persistent room of another server (xmppctl muc import, from what
 * xmppctl convert made of its rooms): its <room/> read with the limits
 * of a stanza, checked again here, its form applied as an owner's
 * submission is (muc_config.c), and the room saved whole in one
 * transaction before the answer.  A room that exists, in memory or in
 * the database, is left as it is.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "imsg.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "muc.h"
#include "muc_config.h"
#include "proc.h"
#include "stanza.h"
#include "xml.h"

#define MUC_IMPORT_ITEMS_MAX	10000	/* affiliations of a room */

/* The room's form and affiliations, each checked: NULL and why. */
static const struct xml_node *
muc_import_check(const struct xml_node *n, char *why, size_t len)
{
	const struct xml_node	*c, *x = NULL;
	const char		*type;
	struct jid		*j;
	int			 items = 0, bad = 0;

	if ((j = malloc(sizeof(*j))) == NULL) {
		(void)strlcpy(why, "out of memory", len);
		return (NULL);
	}
	TAILQ_FOREACH(c, &n->children, entry) {
		if (c->name == NULL)
			continue;
		if (xml_is(c, NS_XDATA, "x") && x == NULL) {
			x = c;
			continue;
		}
		if (!xml_is(c, NS_MUC_IMPORT, "item")) {
			(void)strlcpy(why, "an element not understood", len);
			bad = 1;
		} else if (++items > MUC_IMPORT_ITEMS_MAX) {
			(void)strlcpy(why, "too many affiliations", len);
			bad = 1;
		} else if (xml_get_attr(c, "jid") == NULL ||
		    jid_parse(xml_get_attr(c, "jid"), j) == -1 ||
		    j->resource[0] != '\0') {
			(void)strlcpy(why, "an affiliation of no bare JID",
			    len);
			bad = 1;
		} else if (xml_get_attr(c, "affiliation") == NULL ||
		    muc_room_aff_parse(xml_get_attr(c, "affiliation")) < 0 ||
		    muc_room_aff_parse(xml_get_attr(c, "affiliation")) ==
		    MUC_AFF_NONE) {
			(void)strlcpy(why, "an affiliation not known", len);
			bad = 1;
		}
		if (bad)
			break;
	}
	free(j);
	if (bad)
		return (NULL);
	if (x == NULL || (type = xml_get_attr(x, "type")) == NULL ||
	    strcmp(type, "submit") != 0) {
		(void)strlcpy(why, "no submitted muc#roomconfig form", len);
		return (NULL);
	}
	return (x);
}

/* The affiliations into the room, still in memory alone. */
static int
muc_import_affs(struct muc_room *room, const struct xml_node *n, char *why,
    size_t len)
{
	const struct xml_node	*c;
	struct jid		*j;
	char			 bare[JID_BUFSIZE];
	int			 rc = 0;

	if ((j = malloc(sizeof(*j))) == NULL) {
		(void)strlcpy(why, "out of memory", len);
		return (-1);
	}
	TAILQ_FOREACH(c, &n->children, entry) {
		if (!xml_is(c, NS_MUC_IMPORT, "item"))
			continue;
		/* muc_import_check() parsed them all. */
		if (jid_parse(xml_get_attr(c, "jid"), j) == -1 ||
		    jid_bare(j, bare, sizeof(bare)) == 0) {
			(void)strlcpy(why, "an affiliation of no bare JID",
			    len);
			rc = -1;
		} else if (muc_room_aff_find(room, bare) != NULL) {
			(void)strlcpy(why, "a JID affiliated twice", len);
			rc = -1;
		} else if (muc_room_set_affiliation(room, bare,
		    muc_room_aff_parse(xml_get_attr(c, "affiliation")), NULL,
		    NULL) == -1) {
			(void)strlcpy(why, "out of memory", len);
			rc = -1;
		}
		if (rc == -1)
			break;
	}
	free(j);
	return (rc);
}

/* A new room made of n, saved; -1 and why, nothing kept, otherwise. */
static int
muc_import_make(struct muc_service *svc, const char *name,
    const struct xml_node *n, const struct xml_node *x, char *why,
    size_t len)
{
	struct muc_room		*room;
	struct muc_error	 err;

	room = muc_room_new(svc, name);
	muc_room_init(room);
	memset(&err, 0, sizeof(err));
	if (muc_config_apply(room, x, &err) == MUC_FAIL) {
		(void)snprintf(why, len, "its form: %s%s%s", err.cond,
		    err.text != NULL ? ": " : "",
		    err.text != NULL ? err.text : "");
		goto fail;
	}
	if (!room->cfg.persistent) {
		(void)strlcpy(why, "the room is not persistent", len);
		goto fail;
	}
	if (muc_import_affs(room, n, why, len) == -1)
		goto fail;
	if (muc_db_room_save(room) == -1) {
		(void)strlcpy(why, "the database did not take it", len);
		goto fail;
	}
	log_info("room %s imported", room->jid);
	return (0);
 fail:
	muc_room_free(room);
	return (-1);
}

/* One room: MUC_IMPORT_*, and why when refused. */
static int
muc_import_room(const struct xml_node *n, char *why, size_t len)
{
	const struct xml_node	*x;
	struct muc_service	*svc;
	struct jid		*j;
	const char		*jid = xml_get_attr(n, "jid");
	int			 rc = MUC_IMPORT_REFUSED;

	if ((j = malloc(sizeof(*j))) == NULL) {
		(void)strlcpy(why, "out of memory", len);
		return (rc);
	}
	if (jid == NULL || jid_parse(jid, j) == -1 || j->local[0] == '\0' ||
	    j->resource[0] != '\0')
		(void)strlcpy(why, "not the JID of a room", len);
	else if ((svc = mucd_service_find(j->domain)) == NULL)
		(void)strlcpy(why, "not a muc service of this server", len);
	else if (!svc->loaded)
		(void)strlcpy(why, "the rooms of the service cannot be read "
		    "yet", len);
	else if (muc_room_find(svc, j->local) != NULL)
		rc = MUC_IMPORT_EXISTS;
	else if ((x = muc_import_check(n, why, len)) != NULL &&
	    muc_import_make(svc, j->local, n, x, why, len) == 0)
		rc = MUC_IMPORT_DONE;
	free(j);
	return (rc);
}

/* IMSG_CTL_MUC_IMPORT: one room, answered IMSG_CTL_MUC_IMPORTED. */
void
muc_import_ctl(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_muc_import	 ci;
	struct xml_limits	 l;
	struct xml_node		*n = NULL;
	size_t			 len = imsg_get_len(imsg);
	char			*buf = NULL;

	memset(&ci, 0, sizeof(ci));
	ci.result = MUC_IMPORT_REFUSED;
	stanza_limits(&proc_self.conf->global, &l);
	if (len == 0 || len > MUC_IMPORT_MAX || len > l.stanza_size)
		(void)strlcpy(ci.why, "the room is too big", sizeof(ci.why));
	else if ((buf = malloc(len)) == NULL ||
	    imsg_get_data(imsg, buf, len) == -1)
		(void)strlcpy(ci.why, "out of memory", sizeof(ci.why));
	else if ((n = xml_parse_fragment(buf, len, &l, NULL)) == NULL ||
	    !xml_is(n, NS_MUC_IMPORT, "room"))
		(void)strlcpy(ci.why, "not a room, or not XML",
		    sizeof(ci.why));
	else
		ci.result = muc_import_room(n, ci.why, sizeof(ci.why));
	if (ci.result == MUC_IMPORT_REFUSED)
		log_info("a room to import refused: %s", ci.why);
	xml_node_free(n);
	free(buf);
	imsgev_compose(iev, IMSG_CTL_MUC_IMPORTED, imsg_get_id(imsg), 0, -1,
	    &ci, sizeof(ci));
}
