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
 * mucd's SQLite backend: one file in its chroot (datadir/muc/muc.db),
 * WAL, its schema versioned (dbutil.h).  Rooms, their settings and
 * affiliations, and their discussion history; the archives are in
 * muc_sqlite_mam.c.
 */

#include <sys/types.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dbutil.h"
#include "log.h"
#include "muc_backend.h"
#include "muc_sqlite.h"

#define MUC_SQLITE_DB		"/muc.db"

static sqlite3	*db;

/* Schema step 1: rooms, then the history's and the archive's tables. */
static const char *const muc_sqlite_tables[] = {
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
	"CREATE TABLE IF NOT EXISTS muc_history (id INTEGER PRIMARY KEY, "
	    "room INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE, "
	    "stamp INTEGER NOT NULL, xml TEXT NOT NULL)",
	"CREATE INDEX IF NOT EXISTS muc_history_room ON muc_history "
	    "(room, id)",
	"CREATE INDEX IF NOT EXISTS muc_history_stamp ON muc_history "
	    "(stamp)",
	"CREATE TABLE IF NOT EXISTS muc_mam (seq INTEGER PRIMARY KEY "
	    "AUTOINCREMENT, room INTEGER NOT NULL REFERENCES rooms (id) "
	    "ON DELETE CASCADE, id TEXT NOT NULL, stamp INTEGER NOT NULL, "
	    "nick TEXT NOT NULL, jid TEXT NOT NULL, xml TEXT NOT NULL, "
	    "UNIQUE (room, id))",
	"CREATE INDEX IF NOT EXISTS muc_mam_room ON muc_mam (room, seq)",
	"CREATE INDEX IF NOT EXISTS muc_mam_stamp ON muc_mam (stamp)",
	NULL
};

/*
 * mucd's schema, one step per version (see dbutil.h): a change of
 * schema is a step appended here, never an edit of an earlier one.
 */
static const struct dbu_step muc_sqlite_steps[] = {
	{ muc_sqlite_tables, NULL },
};

enum {
	Q_ROOMS, Q_ROOM_ADD, Q_ROOM_ID, Q_ROOM_DEL,
	Q_CFG_GET, Q_CFG_ONE, Q_CFG_PUT,
	Q_AFF_GET, Q_AFF_PUT, Q_AFF_DEL, Q_AFF_CLEAR,
	Q_H_PUT, Q_H_TRIM, Q_H_LOAD, Q_H_CLEAR, Q_H_EXPIRE,
	Q_MAX
};

static const char *const muc_sqlite_sql[Q_MAX] = {
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
	[Q_H_PUT] = "INSERT INTO muc_history (room, stamp, xml) VALUES "
	    "(?, ?, ?)",
	[Q_H_TRIM] = "DELETE FROM muc_history WHERE room = ? AND id <= ?",
	[Q_H_LOAD] = "SELECT id, stamp, xml FROM muc_history WHERE room = ? "
	    "ORDER BY id DESC LIMIT ?",
	[Q_H_CLEAR] = "DELETE FROM muc_history WHERE room = ?",
	[Q_H_EXPIRE] = "DELETE FROM muc_history WHERE stamp < ? AND room IN "
	    "(SELECT id FROM rooms WHERE service = ?)",
};

static sqlite3_stmt	*st[Q_MAX];

/* The handle, for the archive's queries. */
sqlite3 *
muc_sqlite_db(void)
{
	return (db);
}

/* A statement of the archive's, prepared for good. */
sqlite3_stmt *
muc_sqlite_prepare(const char *sql)
{
	return (dbu_prepare(db, sql, "muc db"));
}

/* Step a statement that returns no row: -1, logged, when it fails. */
int
muc_sqlite_done(sqlite3_stmt *s)
{
	int	 rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warnx("muc db: %s", sqlite3_errmsg(db));
		return (-1);
	}
	return (0);
}

/* A statement that returns rows: SQLITE_DONE when all were read. */
static int
muc_sqlite_end(sqlite3_stmt *s, int rc)
{
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warnx("muc db: %s", sqlite3_errmsg(db));
		return (-1);
	}
	return (0);
}

static sqlite3_stmt *
muc_sqlite_q(int which)
{
	return (dbu_reset(st[which]));
}

static const char *
muc_sqlite_text(sqlite3_stmt *s, int col)
{
	const char	*v = (const char *)sqlite3_column_text(s, col);

	return (v != NULL ? v : "");
}

static int
muc_sqlite_exec(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("muc db: %s: %s", sql, sqlite3_errmsg(db));
		return (-1);
	}
	return (0);
}

static int
muc_sqlite_begin(void)
{
	return (muc_sqlite_exec("BEGIN IMMEDIATE"));
}

static int
muc_sqlite_commit(void)
{
	return (muc_sqlite_exec("COMMIT"));
}

static void
muc_sqlite_rollback(void)
{
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* Open (or create) the database; mucd runs chrooted in datadir/muc. */
static void
muc_sqlite_open(const struct global_conf *g)
{
	char	 path[CONF_PATHLEN + sizeof("/muc" MUC_SQLITE_DB)];
	size_t	 i;

	db = dbu_open(MUC_SQLITE_DB, "muc db");
	/* The file as the admin knows it, for log lines. */
	(void)snprintf(path, sizeof(path), "%s/muc%s", g->datadir,
	    MUC_SQLITE_DB);
	dbu_schema(db, path, "muc db", muc_sqlite_steps,
	    nitems(muc_sqlite_steps));
	for (i = 0; i < Q_MAX; i++)
		st[i] = muc_sqlite_prepare(muc_sqlite_sql[i]);
	muc_sqlite_mam_open();
}

static void
muc_sqlite_close(void)
{
	muc_sqlite_mam_close();
	dbu_close(&db, st, Q_MAX);
}

static int
muc_sqlite_rooms(const char *svc, void (*cb)(int64_t, const char *,
    int64_t, void *), void *arg)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_ROOMS);
	int		 rc;

	sqlite3_bind_text(s, 1, svc, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(sqlite3_column_int64(s, 0), muc_sqlite_text(s, 1),
		    sqlite3_column_int64(s, 2), arg);
	return (muc_sqlite_end(s, rc));
}

static int64_t
muc_sqlite_room_add(const char *svc, const char *name, int64_t created)
{
	sqlite3_stmt	*s;
	int64_t		 id = 0;
	int		 rc;

	s = muc_sqlite_q(Q_ROOM_ADD);
	sqlite3_bind_text(s, 1, svc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, created);
	if (muc_sqlite_done(s) == -1)
		return (0);
	s = muc_sqlite_q(Q_ROOM_ID);
	sqlite3_bind_text(s, 1, svc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	}
	return (muc_sqlite_end(s, rc) == 0 ? id : 0);
}

static int
muc_sqlite_room_del(int64_t room)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_ROOM_DEL);

	sqlite3_bind_int64(s, 1, room);
	return (muc_sqlite_done(s));
}

static int
muc_sqlite_cfg_all(int64_t room, void (*cb)(const char *, const char *,
    void *), void *arg)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_CFG_GET);
	int		 rc;

	sqlite3_bind_int64(s, 1, room);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(muc_sqlite_text(s, 0), muc_sqlite_text(s, 1), arg);
	return (muc_sqlite_end(s, rc));
}

static char *
muc_sqlite_cfg_get(int64_t room, const char *key)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_CFG_ONE);
	char		*v = NULL;

	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = strdup(muc_sqlite_text(s, 0));
	sqlite3_reset(s);
	return (v);
}

static int
muc_sqlite_cfg_put(int64_t room, const char *key, const char *value)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_CFG_PUT);

	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_TRANSIENT);
	return (muc_sqlite_done(s));
}

static int
muc_sqlite_aff_all(int64_t room, void (*cb)(const char *, const char *,
    const char *, const char *, void *), void *arg)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_AFF_GET);
	int		 rc;

	sqlite3_bind_int64(s, 1, room);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(muc_sqlite_text(s, 0), muc_sqlite_text(s, 1),
		    muc_sqlite_text(s, 2), muc_sqlite_text(s, 3), arg);
	return (muc_sqlite_end(s, rc));
}

static int
muc_sqlite_aff_put(int64_t room, const char *jid, const char *aff,
    const char *nick, const char *reason)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_AFF_PUT);

	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_text(s, 2, jid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, aff, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, nick, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, reason, -1, SQLITE_TRANSIENT);
	return (muc_sqlite_done(s));
}

static int
muc_sqlite_aff_del(int64_t room, const char *jid)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_AFF_DEL);

	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_text(s, 2, jid, -1, SQLITE_TRANSIENT);
	return (muc_sqlite_done(s));
}

static int
muc_sqlite_aff_clear(int64_t room)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_AFF_CLEAR);

	sqlite3_bind_int64(s, 1, room);
	return (muc_sqlite_done(s));
}

/* -- discussion history ------------------------------------------------ */

static int64_t
muc_sqlite_h_put(int64_t room, int64_t stamp, const char *xml, size_t len)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_H_PUT);

	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_int64(s, 2, stamp);
	sqlite3_bind_text(s, 3, xml, len, SQLITE_STATIC);
	if (muc_sqlite_done(s) == -1)
		return (0);
	return (sqlite3_last_insert_rowid(db));
}

static int
muc_sqlite_h_trim(int64_t room, int64_t upto)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_H_TRIM);

	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_int64(s, 2, upto);
	return (muc_sqlite_done(s));
}

static int
muc_sqlite_h_load(int64_t room, int n, int (*cb)(int64_t, int64_t,
    const char *, size_t, void *), void *arg)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_H_LOAD);
	int		 rc;

	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_int(s, 2, n);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
		    muc_sqlite_text(s, 2), sqlite3_column_bytes(s, 2),
		    arg) == -1) {
			rc = SQLITE_DONE;
			break;
		}
	return (muc_sqlite_end(s, rc));
}

static int
muc_sqlite_h_clear(int64_t room)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_H_CLEAR);

	sqlite3_bind_int64(s, 1, room);
	return (muc_sqlite_done(s));
}

static int
muc_sqlite_h_expire(const char *svc, int64_t before)
{
	sqlite3_stmt	*s = muc_sqlite_q(Q_H_EXPIRE);

	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_text(s, 2, svc, -1, SQLITE_TRANSIENT);
	return (muc_sqlite_done(s));
}

static const struct muc_history_ops muc_sqlite_history = {
	.put = muc_sqlite_h_put,
	.trim = muc_sqlite_h_trim,
	.load = muc_sqlite_h_load,
	.clear = muc_sqlite_h_clear,
	.expire = muc_sqlite_h_expire,
};

const struct muc_backend muc_sqlite = {
	.name = "sqlite",
	.open = muc_sqlite_open,
	.close = muc_sqlite_close,
	.begin = muc_sqlite_begin,
	.commit = muc_sqlite_commit,
	.rollback = muc_sqlite_rollback,
	.rooms = muc_sqlite_rooms,
	.room_add = muc_sqlite_room_add,
	.room_del = muc_sqlite_room_del,
	.cfg_all = muc_sqlite_cfg_all,
	.cfg_get = muc_sqlite_cfg_get,
	.cfg_put = muc_sqlite_cfg_put,
	.aff_all = muc_sqlite_aff_all,
	.aff_put = muc_sqlite_aff_put,
	.aff_del = muc_sqlite_aff_del,
	.aff_clear = muc_sqlite_aff_clear,
	.history = &muc_sqlite_history,
	.mam = &muc_sqlite_mam,
};
