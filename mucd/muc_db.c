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
 * mucd's persistent rooms, whatever the database (muc_backend.h): one
 * row each, their settings as (key, value) rows, their affiliations.
 * Every change is committed before mucd answers, so that a kill -9
 * loses nothing that was acknowledged.  Occupants are not kept.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "muc.h"
#include "muc_backend.h"

const struct muc_backend	*muc_be = &muc_sqlite;

/* How each room setting is kept: a key, and its place in the struct. */
enum { CF_STR, CF_INT };

static const struct {
	const char	*key;
	int		 type;
	size_t		 off;
	int		 min, max;
} muc_db_fields[] = {
#define CF(k, t, f, lo, hi) \
	{ k, t, offsetof(struct muc_room_config, f), lo, hi }
	CF("name",		CF_STR,	name,		0, 0),
	CF("description",	CF_STR,	description,	0, 0),
	CF("lang",		CF_STR,	lang,		0, 0),
	CF("password",		CF_STR,	password,	0, 0),
	CF("persistent",	CF_INT,	persistent,	0, 1),
	CF("public",		CF_INT,	public,		0, 1),
	CF("members_only",	CF_INT,	members_only,	0, 1),
	CF("moderated",		CF_INT,	moderated,	0, 1),
	CF("max_occupants",	CF_INT,	max_occupants,	0, 100000),
	CF("whois",		CF_INT,	whois,		0, 1),
	CF("allow_invites",	CF_INT,	allow_invites,	0, 1),
	CF("allow_pm",		CF_INT,	allow_pm,	0, 3),
	CF("change_subject",	CF_INT,	change_subject,	0, 1),
	CF("history",		CF_INT,	history,	-1, 1000),
	CF("logging",		CF_INT,	logging,	0, 1),
#undef CF
};

/* Open the database, its schema made or brought up to date. */
void
muc_db_open(const struct global_conf *g)
{
	muc_be->open(g);
}

void
muc_db_close(void)
{
	muc_be->close();
}

/* One stored setting into the struct; unknown keys are features'. */
static void
muc_db_field(struct muc_room *room, const char *key, const char *value)
{
	const char	*errstr;
	char		*base = (char *)&room->cfg;
	long long	 v;
	size_t		 i;

	for (i = 0; i < nitems(muc_db_fields); i++)
		if (strcmp(muc_db_fields[i].key, key) == 0)
			break;
	if (i == nitems(muc_db_fields))
		return;
	if (muc_db_fields[i].type == CF_STR) {
		if (muc_room_set_str((char **)(base + muc_db_fields[i].off),
		    value) == -1)
			fatal("%s", __func__);
		return;
	}
	v = strtonum(value, muc_db_fields[i].min, muc_db_fields[i].max,
	    &errstr);
	if (errstr != NULL) {
		log_warnx("muc db: %s: %s \"%s\" is %s: default kept",
		    room->jid, key, value, errstr);
		return;
	}
	*(int *)(base + muc_db_fields[i].off) = v;
}

static void
muc_db_cfg_row(const char *key, const char *value, void *arg)
{
	muc_db_field(arg, key, value);
}

static void
muc_db_aff_row(const char *jid, const char *aff, const char *nick,
    const char *reason, void *arg)
{
	struct muc_room	*room = arg;
	int		 a;

	if ((a = muc_room_aff_parse(aff)) == -1 || a == MUC_AFF_NONE) {
		log_warnx("muc db: %s: affiliation \"%s\" of %s ignored",
		    room->jid, aff, jid);
		return;
	}
	/* room->dbid is 0 meanwhile: nothing is written back. */
	if (muc_room_set_affiliation(room, jid, a, nick, reason) == -1)
		fatal("%s", __func__);
}

struct muc_db_loading {
	struct muc_service	*svc;
	int			 ret;
};

static void
muc_db_room_row_loaded(int64_t id, const char *dbname, int64_t created,
    void *arg)
{
	struct muc_db_loading	*l = arg;
	struct muc_room		*room;
	char			 name[JID_PARTMAX + 1];

	if (strlcpy(name, dbname, sizeof(name)) >= sizeof(name) ||
	    jid_prep_local(name, sizeof(name)) == -1 ||
	    strcmp(name, dbname) != 0 || muc_room_find(l->svc, name) != NULL) {
		log_warnx("muc db: room %lld of %s has a bad name",
		    (long long)id, l->svc->name);
		l->ret = -1;
		return;
	}
	room = muc_room_new(l->svc, name);
	room->created = created;
	if (muc_be->cfg_all(id, muc_db_cfg_row, room) == -1 ||
	    muc_be->aff_all(id, muc_db_aff_row, room) == -1)
		l->ret = -1;
	room->dbid = id;
	room->cfg.persistent = 1;
	muc_room_init(room);
}

/*
 * The persistent rooms of a service, without occupants: -1 when some
 * could not be read, -2 when the database gave none.
 */
int
muc_db_load(struct muc_service *svc)
{
	struct muc_db_loading	 l;

	l.svc = svc;
	l.ret = 0;
	if (muc_be->rooms(svc->name, muc_db_room_row_loaded, &l) == -1)
		return (-2);
	return (l.ret);
}

static int
muc_db_aff_put(int64_t room, const struct muc_aff *a)
{
	return (muc_be->aff_put(room, a->jid,
	    muc_room_aff_name(a->affiliation), a->nick != NULL ? a->nick : "",
	    a->reason != NULL ? a->reason : ""));
}

static int
muc_db_room_write(struct muc_room *room, int64_t id)
{
	const char	*base = (const char *)&room->cfg;
	struct muc_aff	*a;
	char		 num[16];
	size_t		 i;

	for (i = 0; i < nitems(muc_db_fields); i++) {
		if (muc_db_fields[i].type == CF_STR) {
			if (muc_be->cfg_put(id, muc_db_fields[i].key,
			    *(char *const *)(base + muc_db_fields[i].off)) ==
			    -1)
				return (-1);
			continue;
		}
		(void)snprintf(num, sizeof(num), "%d",
		    *(const int *)(base + muc_db_fields[i].off));
		if (muc_be->cfg_put(id, muc_db_fields[i].key, num) == -1)
			return (-1);
	}
	if (muc_be->aff_clear(id) == -1)
		return (-1);
	RB_FOREACH(a, muc_aff_tree, &room->affs)
		if (muc_db_aff_put(id, a) == -1)
			return (-1);
	return (0);
}

/* Write a room whole, in one transaction. */
int
muc_db_room_save(struct muc_room *room)
{
	int64_t	 id;
	size_t	 i;

	if (muc_be->begin() == -1) {
		log_warnx("muc db: %s not saved", room->jid);
		return (-1);
	}
	if ((id = room->dbid) == 0 && (id = muc_be->room_add(room->svc->name,
	    room->name, room->created)) == 0)
		goto fail;
	if (muc_db_room_write(room, id) == -1 || muc_be->commit() == -1)
		goto fail;
	room->dbid = id;
	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->room_saved != NULL)
			mucd_features[i]->room_saved(room);
	return (0);
 fail:
	log_warnx("muc db: %s not saved", room->jid);
	muc_be->rollback();
	return (-1);
}

int
muc_db_room_delete(struct muc_room *room)
{
	if (muc_be->room_del(room->dbid) == -1)
		return (-1);
	room->dbid = 0;
	return (0);
}

int
muc_db_aff_save(struct muc_room *room, const struct muc_aff *a)
{
	return (muc_db_aff_put(room->dbid, a));
}

int
muc_db_aff_delete(struct muc_room *room, const char *jid)
{
	return (muc_be->aff_del(room->dbid, jid));
}

/*
 * A feature's setting of a persistent room (key: the feature's name, a
 * dot, its own).  A room not in the database stores nothing: 0.
 */
int
muc_db_setting_put(struct muc_room *room, const char *key, const char *value)
{
	if (room->dbid == 0)
		return (0);
	return (muc_be->cfg_put(room->dbid, key, value));
}

/* A feature's setting, to free; NULL when there is none. */
char *
muc_db_setting_get(struct muc_room *room, const char *key)
{
	if (room->dbid == 0)
		return (NULL);
	return (muc_be->cfg_get(room->dbid, key));
}
