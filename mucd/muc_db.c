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
 * mucd's database: one SQLite file in its chroot (datadir/muc/muc.db),
 * WAL, its schema versioned.  It holds the persistent rooms: one row
 * each, their settings as (key, value) rows, their affiliations.  Every
 * change is committed before mucd answers, so that a kill -9 loses
 * nothing that was acknowledged.  Occupants are not kept.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dbutil.h"
#include "jid.h"
#include "log.h"
#include "muc.h"

#define MUC_DB			"/muc.db"

static sqlite3	*db;

static int	 muc_db_features_schema(sqlite3 *);

/* Schema step 1: the core's tables, then the features' (their schema). */
static const char *const muc_db_tables[] = {
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, "
	    "value TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS rooms (id INTEGER PRIMARY KEY "
	    "AUTOINCREMENT, service TEXT NOT NULL, name TEXT NOT NULL, "
	    "created INTEGER NOT NULL, UNIQUE (service, name))",
	/* Settings: those of struct muc_room_config, and features'. */
	"CREATE TABLE IF NOT EXISTS room_config (room INTEGER NOT NULL "
	    "REFERENCES rooms (id) ON DELETE CASCADE, key TEXT NOT NULL, "
	    "value TEXT NOT NULL, PRIMARY KEY (room, key))",
	"CREATE TABLE IF NOT EXISTS affiliations (room INTEGER NOT NULL "
	    "REFERENCES rooms (id) ON DELETE CASCADE, jid TEXT NOT NULL, "
	    "affiliation TEXT NOT NULL, nick TEXT NOT NULL DEFAULT '', "
	    "reason TEXT NOT NULL DEFAULT '', PRIMARY KEY (room, jid))",
	NULL
};

/*
 * mucd's schema, one step per version (see dbutil.h): a change of
 * schema, a feature's new table included, is a step appended here,
 * never an edit of an earlier one.
 */
static const struct dbu_step muc_db_steps[] = {
	{ muc_db_tables, muc_db_features_schema },
};

enum {
	Q_ROOMS, Q_ROOM_ADD, Q_ROOM_ID, Q_ROOM_DEL,
	Q_CFG_GET, Q_CFG_ONE, Q_CFG_PUT,
	Q_AFF_GET, Q_AFF_PUT, Q_AFF_DEL, Q_AFF_CLEAR,
	Q_MAX
};

static const char *const muc_db_sql[Q_MAX] = {
	[Q_ROOMS] = "SELECT id, name, created FROM rooms WHERE service = ?",
	[Q_ROOM_ADD] = "INSERT OR IGNORE INTO rooms (service, name, created) "
	    "VALUES (?, ?, ?)",
	[Q_ROOM_ID] = "SELECT id FROM rooms WHERE service = ? AND name = ?",
	[Q_ROOM_DEL] = "DELETE FROM rooms WHERE id = ?",
	[Q_CFG_GET] = "SELECT key, value FROM room_config WHERE room = ?",
	[Q_CFG_ONE] = "SELECT value FROM room_config WHERE room = ? AND "
	    "key = ?",
	[Q_CFG_PUT] = "INSERT OR REPLACE INTO room_config (room, key, value) "
	    "VALUES (?, ?, ?)",
	[Q_AFF_GET] = "SELECT jid, affiliation, nick, reason FROM "
	    "affiliations WHERE room = ?",
	[Q_AFF_PUT] = "INSERT OR REPLACE INTO affiliations (room, jid, "
	    "affiliation, nick, reason) VALUES (?, ?, ?, ?, ?)",
	[Q_AFF_DEL] = "DELETE FROM affiliations WHERE room = ? AND jid = ?",
	[Q_AFF_CLEAR] = "DELETE FROM affiliations WHERE room = ?",
};

static sqlite3_stmt	*st[Q_MAX];

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

/* Run sql (BEGIN, COMMIT, ROLLBACK): -1 when it fails. */
int
muc_db_try(const char *sql)
{
	return (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1);
}

/* A feature's statement, prepared for good once its tables exist. */
sqlite3_stmt *
muc_db_prepare(const char *sql)
{
	return (dbu_prepare(db, sql, "muc db"));
}

/* A prepared statement, reset and ready to bind. */
sqlite3_stmt *
muc_db_reset(sqlite3_stmt *s)
{
	return (dbu_reset(s));
}

static sqlite3_stmt *
muc_db_q(int which)
{
	return (muc_db_reset(st[which]));
}

/* Step a statement that returns no row: -1, logged, when it fails. */
int
muc_db_done(sqlite3_stmt *s)
{
	int	 rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warnx("muc db: %s", sqlite3_errmsg(db));
		return (-1);
	}
	return (0);
}

/* The tables of the features of schema step 1. */
static int
muc_db_features_schema(sqlite3 *h)
{
	const char *const	*sql;
	size_t			 i;

	for (i = 0; i < mucd_nfeatures; i++)
		for (sql = mucd_features[i]->schema; sql != NULL &&
		    *sql != NULL; sql++)
			if (sqlite3_exec(h, *sql, NULL, NULL, NULL) !=
			    SQLITE_OK)
				return (-1);
	return (0);
}

/*
 * Open (or create) the database; mucd runs chrooted in datadir/muc.
 * datadir names the file in log lines.
 */
void
muc_db_open(const char *datadir)
{
	char	 path[CONF_PATHLEN + sizeof("/muc" MUC_DB)];
	size_t	 i;

	db = dbu_open(MUC_DB, "muc db");
	(void)snprintf(path, sizeof(path), "%s/muc%s", datadir, MUC_DB);
	dbu_schema(db, path, "muc db", muc_db_steps, nitems(muc_db_steps));
	for (i = 0; i < Q_MAX; i++)
		st[i] = muc_db_prepare(muc_db_sql[i]);
}

void
muc_db_close(void)
{
	dbu_close(&db, st, Q_MAX);
}

/* The handle, for features with tables of their own. */
sqlite3 *
muc_db(void)
{
	return (db);
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
muc_db_load_room(struct muc_room *room, int64_t id)
{
	sqlite3_stmt	*s;
	const char	*jid, *aff;
	int		 a;

	s = muc_db_q(Q_CFG_GET);
	sqlite3_bind_int64(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW)
		muc_db_field(room, (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1));
	sqlite3_reset(s);
	s = muc_db_q(Q_AFF_GET);
	sqlite3_bind_int64(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		jid = (const char *)sqlite3_column_text(s, 0);
		aff = (const char *)sqlite3_column_text(s, 1);
		if ((a = muc_room_aff_parse(aff)) == -1 ||
		    a == MUC_AFF_NONE) {
			log_warnx("muc db: %s: affiliation \"%s\" of %s "
			    "ignored", room->jid, aff, jid);
			continue;
		}
		/* room->dbid is 0 meanwhile: nothing is written back. */
		if (muc_room_set_affiliation(room, jid, a,
		    (const char *)sqlite3_column_text(s, 2),
		    (const char *)sqlite3_column_text(s, 3)) == -1)
			fatal("%s", __func__);
	}
	sqlite3_reset(s);
}

/* The persistent rooms of a service, without occupants. */
int
muc_db_load(struct muc_service *svc)
{
	sqlite3_stmt	*s = muc_db_q(Q_ROOMS);
	struct muc_room	*room;
	char		 name[JID_PARTMAX + 1];
	int64_t		 id;
	int		 rc, ret = 0;

	sqlite3_bind_text(s, 1, svc->name, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		if (strlcpy(name, (const char *)sqlite3_column_text(s, 1),
		    sizeof(name)) >= sizeof(name) ||
		    jid_prep_local(name, sizeof(name)) == -1 ||
		    strcmp(name, (const char *)sqlite3_column_text(s,
		    1)) != 0 || muc_room_find(svc, name) != NULL) {
			log_warnx("muc db: room %lld of %s has a bad name",
			    (long long)id, svc->name);
			ret = -1;
			continue;
		}
		room = muc_room_new(svc, name);
		room->created = sqlite3_column_int64(s, 2);
		muc_db_load_room(room, id);
		room->dbid = id;
		room->cfg.persistent = 1;
		muc_room_init(room);
	}
	if (rc != SQLITE_DONE) {
		log_warnx("muc db: %s", sqlite3_errmsg(db));
		ret = -1;
	}
	sqlite3_reset(s);
	return (ret);
}

static int
muc_db_put(int64_t room, const char *key, const char *value)
{
	sqlite3_stmt	*s = muc_db_q(Q_CFG_PUT);

	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_TRANSIENT);
	return (muc_db_done(s));
}

static int
muc_db_aff_put(int64_t room, const struct muc_aff *a)
{
	sqlite3_stmt	*s = muc_db_q(Q_AFF_PUT);

	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_text(s, 2, a->jid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, muc_room_aff_name(a->affiliation), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(s, 4, a->nick != NULL ? a->nick : "", -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, a->reason != NULL ? a->reason : "", -1,
	    SQLITE_TRANSIENT);
	return (muc_db_done(s));
}

/* The row of a room, made if need be. */
static int64_t
muc_db_room_row(struct muc_room *room)
{
	sqlite3_stmt	*s;
	int64_t		 id = 0;

	s = muc_db_q(Q_ROOM_ADD);
	sqlite3_bind_text(s, 1, room->svc->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, room->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, room->created);
	if (muc_db_done(s) == -1)
		return (0);
	s = muc_db_q(Q_ROOM_ID);
	sqlite3_bind_text(s, 1, room->svc->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, room->name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return (id);
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
			if (muc_db_put(id, muc_db_fields[i].key,
			    *(char *const *)(base + muc_db_fields[i].off)) ==
			    -1)
				return (-1);
			continue;
		}
		(void)snprintf(num, sizeof(num), "%d",
		    *(const int *)(base + muc_db_fields[i].off));
		if (muc_db_put(id, muc_db_fields[i].key, num) == -1)
			return (-1);
	}
	sqlite3_bind_int64(muc_db_q(Q_AFF_CLEAR), 1, id);
	if (muc_db_done(st[Q_AFF_CLEAR]) == -1)
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

	if (muc_db_try("BEGIN IMMEDIATE") == -1) {
		log_warnx("muc db: %s", sqlite3_errmsg(db));
		return (-1);
	}
	if ((id = room->dbid) == 0 && (id = muc_db_room_row(room)) == 0)
		goto fail;
	if (muc_db_room_write(room, id) == -1 || muc_db_try("COMMIT") == -1)
		goto fail;
	room->dbid = id;
	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->room_saved != NULL)
			mucd_features[i]->room_saved(room);
	return (0);
 fail:
	log_warnx("muc db: %s not saved: %s", room->jid, sqlite3_errmsg(db));
	(void)muc_db_try("ROLLBACK");
	return (-1);
}

int
muc_db_room_delete(struct muc_room *room)
{
	sqlite3_stmt	*s = muc_db_q(Q_ROOM_DEL);

	sqlite3_bind_int64(s, 1, room->dbid);
	if (muc_db_done(s) == -1)
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
	sqlite3_stmt	*s = muc_db_q(Q_AFF_DEL);

	sqlite3_bind_int64(s, 1, room->dbid);
	sqlite3_bind_text(s, 2, jid, -1, SQLITE_TRANSIENT);
	return (muc_db_done(s));
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
	return (muc_db_put(room->dbid, key, value));
}

/* A feature's setting, to free; NULL when there is none. */
char *
muc_db_setting_get(struct muc_room *room, const char *key)
{
	sqlite3_stmt	*s;
	char		*v = NULL;

	if (room->dbid == 0)
		return (NULL);
	s = muc_db_q(Q_CFG_ONE);
	sqlite3_bind_int64(s, 1, room->dbid);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return (v);
}
