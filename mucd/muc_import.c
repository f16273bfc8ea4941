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
 * submission is (muc_config.c), its subject set as a change by the
 * nick that made it would, and the room saved whole in one transaction
 * before the answer.  A room that exists, in memory or in the
 * database, is left as it is.
 *
 * A room's archive comes after it in <archive room=''/> requests, each
 * at most a request's size: every message checked, then all of the
 * request written in one transaction, under the id it had (so that a
 * second import adds nothing, and clients keep the ids they knew).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "config.h"
#include "imsg.h"
#include "jid.h"
#include "log.h"
#include "mam.h"
#include "msg.h"
#include "muc.h"
#include "muc_backend.h"
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
	int			 items = 0, bad = 0, subjects = 0;

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
		if (xml_is(c, NS_MUC_IMPORT, "subject") && subjects++ == 0)
			continue;
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

/* Its <subject by='nick'/>, when it has one, as the room's subject. */
static int
muc_import_subject(struct muc_room *room, const struct xml_node *n,
    char *why, size_t len)
{
	const struct xml_node	*c;
	const char		*by;
	struct jid		*j;
	char			*text, full[JID_BUFSIZE];
	int			 rc = -1;

	if ((c = xml_find_child(n, NS_MUC_IMPORT, "subject")) == NULL)
		return (0);
	if ((by = xml_get_attr(c, "by")) == NULL)
		by = "";
	if ((j = malloc(sizeof(*j))) == NULL ||
	    (text = xml_text(c)) == NULL) {
		free(j);
		(void)strlcpy(why, "out of memory", len);
		return (-1);
	}
	if (muc_stanza_chars(text) > (size_t)room->svc->conf->subject_length)
		(void)strlcpy(why, "the subject is too long", len);
	else if (by[0] != '\0' && ((size_t)snprintf(full, sizeof(full),
	    "%s/%s", room->jid, by) >= sizeof(full) || jid_parse(full, j) ==
	    -1 || strcmp(j->resource, by) != 0))
		(void)strlcpy(why, "the subject's author is not a nick", len);
	else if (muc_subject_set(room, text, by) == -1)
		(void)strlcpy(why, "out of memory", len);
	else
		rc = 0;
	free(text);
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
	if (muc_import_affs(room, n, why, len) == -1 ||
	    muc_import_subject(room, n, why, len) == -1)
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

/* The service of a room's JID, parsed into j; NULL and why if none. */
static struct muc_service *
muc_import_svc(const char *jid, struct jid *j, char *why, size_t len)
{
	struct muc_service	*svc = NULL;

	if (jid == NULL || jid_parse(jid, j) == -1 || j->local[0] == '\0' ||
	    j->resource[0] != '\0')
		(void)strlcpy(why, "not the JID of a room", len);
	else if ((svc = mucd_service_find(j->domain)) == NULL)
		(void)strlcpy(why, "not a muc service of this server", len);
	else if (!svc->loaded)
		(void)strlcpy(why, "the rooms of the service cannot be read "
		    "yet", len);
	return (svc != NULL && svc->loaded ? svc : NULL);
}

/* One room: MUC_IMPORT_*, and why when refused. */
static int
muc_import_room(const struct xml_node *n, char *why, size_t len)
{
	const struct xml_node	*x;
	struct muc_service	*svc;
	struct jid		*j;
	int			 rc = MUC_IMPORT_REFUSED;

	if ((j = malloc(sizeof(*j))) == NULL) {
		(void)strlcpy(why, "out of memory", len);
		return (rc);
	}
	svc = muc_import_svc(xml_get_attr(n, "jid"), j, why, len);
	if (svc != NULL && muc_room_find(svc, j->local) != NULL)
		rc = MUC_IMPORT_EXISTS;
	else if (svc != NULL && (x = muc_import_check(n, why, len)) != NULL &&
	    muc_import_make(svc, j->local, n, x, why, len) == 0)
		rc = MUC_IMPORT_DONE;
	free(j);
	return (rc);
}

/* The room an <archive/> is of: a persistent room of this server. */
static struct muc_room *
muc_import_archive_room(const struct xml_node *n, char *why, size_t len)
{
	struct muc_service	*svc;
	struct muc_room		*room = NULL;
	struct jid		*j;

	if ((j = malloc(sizeof(*j))) == NULL) {
		(void)strlcpy(why, "out of memory", len);
		return (NULL);
	}
	if ((svc = muc_import_svc(xml_get_attr(n, "room"), j, why, len)) ==
	    NULL)
		room = NULL;
	else if ((room = muc_room_find(svc, j->local)) == NULL ||
	    room->dbid == 0)
		(void)strlcpy(why, "no such persistent room", len);
	else if (!room->cfg.logging)
		(void)strlcpy(why, "the room keeps no archive "
		    "(muc#roomconfig_enablelogging)", len);
	free(j);
	return (room != NULL && room->dbid != 0 && room->cfg.logging ? room :
	    NULL);
}

/* An archive id: what muc_mam.c makes, or another server's, as safe. */
static int
muc_import_id_ok(const char *id)
{
	size_t	 i, n = id != NULL ? strlen(id) : 0;

	if (n == 0 || n >= MAM_ID_LEN)
		return (0);
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789-_", id[i]) == NULL)
			return (0);
	return (1);
}

/*
 * <msg id='' stamp='' nick='' jid=''><message/></msg>: the message as
 * the room sent it out, from the nick, serialized into b; why if not.
 */
static const char *
muc_import_msg(struct muc_room *room, const struct xml_node *c,
    struct xml_buf *b, struct jid *j, int64_t *stamp)
{
	const struct xml_node	*inner;
	struct xml_node		*m;
	const char		*nick = xml_get_attr(c, "nick");
	const char		*jid = xml_get_attr(c, "jid");
	const char		*st = xml_get_attr(c, "stamp");
	char			 from[JID_BUFSIZE];
	int			 rc;

	if (!xml_is(c, NS_MUC_IMPORT, "msg") ||
	    !muc_import_id_ok(xml_get_attr(c, "id")))
		return ("an archived message without a good id");
	if (st == NULL || mam_time(st, stamp) == -1)
		return ("an archived message without a time stamp");
	if (nick == NULL || nick[0] == '\0' || (size_t)snprintf(from,
	    sizeof(from), "%s/%s", room->jid, nick) >= sizeof(from) ||
	    jid_parse(from, j) == -1 || strcmp(j->resource, nick) != 0)
		return ("an archived message without its sender's nick");
	if (jid == NULL || jid_parse(jid, j) == -1 || j->local[0] == '\0' ||
	    j->resource[0] != '\0')
		return ("an archived message without its sender's bare JID");
	if ((inner = xml_first_child(c)) == NULL ||
	    !xml_is(inner, NS_CLIENT, "message") ||
	    (!mam_archivable(inner) && !muc_message_is_subject(inner)))
		return ("an archived message that is not a message to keep");
	if ((m = xml_node_clone(inner)) == NULL)
		return ("out of memory");
	xml_del_attr(m, "to");
	rc = xml_set_attr(m, "from", from) == -1 ||
	    xml_set_attr(m, "type", "groupchat") == -1 ||
	    xml_serialize(m, NS_CLIENT, b) == -1;
	xml_node_free(m);
	return (rc ? "an archived message too big" : NULL);
}

/* Each message checked, then all written in one transaction. */
static int
muc_import_archive(const struct xml_node *n, struct ctl_muc_import *ci)
{
	const struct xml_node	*c;
	struct muc_room		*room;
	struct xml_buf		 b;
	struct jid		*j;
	const char		*err = NULL;
	int64_t			 stamp;
	int			 pass, rc;

	if ((room = muc_import_archive_room(n, ci->why,
	    sizeof(ci->why))) == NULL)
		return (MUC_IMPORT_REFUSED);
	if ((j = malloc(sizeof(*j))) == NULL) {
		(void)strlcpy(ci->why, "out of memory", sizeof(ci->why));
		return (MUC_IMPORT_REFUSED);
	}
	/* Pass 0 checks, pass 1 writes. */
	for (pass = 0; pass < 2 && err == NULL; pass++) {
		if (pass == 1 && muc_be->begin() == -1) {
			err = "the database did not take it";
			break;
		}
		TAILQ_FOREACH(c, &n->children, entry) {
			if (c->name == NULL)
				continue;
			xml_buf_init(&b, proc_self.conf->global.limits.
			    stanza_size);
			err = muc_import_msg(room, c, &b, j, &stamp);
			if (err == NULL && pass == 1) {
				if ((rc = muc_be->mam->put(room->dbid,
				    xml_get_attr(c, "id"), stamp,
				    xml_get_attr(c, "nick"), xml_get_attr(c,
				    "jid"), b.data, b.len)) == -1)
					err = "the database did not take it";
				else if (rc == 0)
					ci->added++;
				else
					ci->had++;
			}
			xml_buf_free(&b);
			if (err != NULL)
				break;
		}
		if (pass == 1 && (err != NULL || muc_be->commit() == -1)) {
			muc_be->rollback();
			if (err == NULL)
				err = "the database did not take it";
		}
	}
	free(j);
	if (err != NULL) {
		(void)strlcpy(ci->why, err, sizeof(ci->why));
		ci->added = ci->had = 0;
		return (MUC_IMPORT_REFUSED);
	}
	if (ci->added > 0)
		log_info("room %s: %d archived messages imported", room->jid,
		    ci->added);
	return (MUC_IMPORT_DONE);
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
	else if ((n = xml_parse_fragment(buf, len, &l, NULL)) != NULL &&
	    xml_is(n, NS_MUC_IMPORT, "archive"))
		ci.result = muc_import_archive(n, &ci);
	else if (n == NULL || !xml_is(n, NS_MUC_IMPORT, "room"))
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
