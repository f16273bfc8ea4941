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
 * uploadd's database: one SQLite file in its root (upload.db), WAL, one
 * row per slot handed out.  Every change is committed before uploadd
 * answers, so a kill -9 loses no slot or file that was acknowledged.
 */

#include <sys/types.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dbutil.h"
#include "jid.h"
#include "log.h"
#include "upload.h"

static sqlite3	*db;

/* Schema step 1: the slots. */
static const char *const upload_db_tables[] = {
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, "
	    "value TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS files (slot TEXT PRIMARY KEY, "
	    "service TEXT NOT NULL, owner TEXT NOT NULL, name TEXT NOT NULL, "
	    "type TEXT NOT NULL, size INTEGER NOT NULL, "
	    "created INTEGER NOT NULL, expires INTEGER NOT NULL, "
	    "completed INTEGER NOT NULL DEFAULT 0, state INTEGER NOT NULL)",
	"CREATE INDEX IF NOT EXISTS files_owner ON files (service, owner)",
	"CREATE INDEX IF NOT EXISTS files_state ON files (state, expires)",
	NULL
};

/*
 * uploadd's schema, one step per version (see dbutil.h): a change of
 * schema is a step appended here, never an edit of an earlier one.
 */
static const struct dbu_step upload_db_steps[] = {
	{ upload_db_tables, NULL },
};

#define UPLOAD_DB_COLS	"slot, service, owner, name, type, size, created, " \
			"expires, completed, state"

enum {
	Q_INSERT, Q_GET, Q_DONE, Q_DELETE, Q_USAGE,
	Q_STALE, Q_OLD, Q_OWNER, Q_ALL,
	Q_TOTAL, Q_TOP,
	Q_MAX
};

static const char *const upload_db_sql[Q_MAX] = {
	[Q_INSERT] = "INSERT INTO files (" UPLOAD_DB_COLS ") VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[Q_GET] = "SELECT " UPLOAD_DB_COLS " FROM files WHERE slot = ?",
	[Q_DONE] = "UPDATE files SET state = 1, completed = ? WHERE "
	    "slot = ? AND state = 0",
	[Q_DELETE] = "DELETE FROM files WHERE slot = ?",
	/* Pending slots count until they expire: a quota is not a race. */
	[Q_USAGE] = "SELECT COALESCE(SUM(size), 0) FROM files WHERE "
	    "service = ? AND owner = ? AND (state = 1 OR expires > ?)",
	[Q_STALE] = "SELECT slot FROM files WHERE state = 0 AND expires < ?",
	[Q_OLD] = "SELECT slot FROM files WHERE state = 1 AND service = ? "
	    "AND completed < ?",
	[Q_OWNER] = "SELECT slot FROM files WHERE owner = ?",
	[Q_ALL] = "SELECT slot FROM files",
	[Q_TOTAL] = "SELECT COALESCE(SUM(state = 1), 0), "
	    "COALESCE(SUM(CASE WHEN state = 1 THEN size ELSE 0 END), 0), "
	    "COALESCE(SUM(state = 0), 0) FROM files WHERE service = ?",
	[Q_TOP] = "SELECT owner, COUNT(*), SUM(size) AS b FROM files "
	    "WHERE service = ? AND state = 1 GROUP BY owner "
	    "ORDER BY b DESC, owner LIMIT 10",
};

static sqlite3_stmt	*st[Q_MAX];

struct upload_db_slot {
	char		 slot[UPLOAD_SLOT_LEN + 1];
};

/*
 * Open (or create) the database; uploadd runs chrooted in its root,
 * datadir/upload.  datadir names the file in log lines.
 */
void
upload_db_open(const char *datadir)
{
	char	 path[CONF_PATHLEN + sizeof("/upload/" UPLOAD_DB)];
	size_t	 i;

	db = dbu_open(UPLOAD_DB, "upload db");
	(void)snprintf(path, sizeof(path), "%s/upload/%s", datadir,
	    UPLOAD_DB);
	dbu_schema(db, path, "upload db", upload_db_steps,
	    nitems(upload_db_steps));
	for (i = 0; i < Q_MAX; i++)
		st[i] = dbu_prepare(db, upload_db_sql[i], "upload db");
}

void
upload_db_close(void)
{
	dbu_close(&db, st, Q_MAX);
}

static sqlite3_stmt *
upload_db_q(int which)
{
	return (dbu_reset(st[which]));
}

/* Step a statement that returns no row: rows changed, or -1. */
static int
upload_db_step(sqlite3_stmt *s)
{
	int	 rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warnx("upload db: %s", sqlite3_errmsg(db));
		return (-1);
	}
	return (sqlite3_changes(db));
}

static int
upload_db_text(sqlite3_stmt *s, int col, char *buf, size_t len)
{
	const char	*t = (const char *)sqlite3_column_text(s, col);

	if (t == NULL || strlcpy(buf, t, len) >= len)
		return (-1);
	return (0);
}

int
upload_db_insert(const struct upload_file *f)
{
	sqlite3_stmt	*s = upload_db_q(Q_INSERT);

	sqlite3_bind_text(s, 1, f->slot, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, f->service, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, f->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, f->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, f->type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, f->size);
	sqlite3_bind_int64(s, 7, f->created);
	sqlite3_bind_int64(s, 8, f->expires);
	sqlite3_bind_int64(s, 9, f->completed);
	sqlite3_bind_int(s, 10, f->state);
	return (upload_db_step(s) == 1 ? 0 : -1);
}

/* The row of a slot: 0, 1 when there is none, -1 on error. */
int
upload_db_get(const char *slot, struct upload_file *f)
{
	sqlite3_stmt	*s = upload_db_q(Q_GET);
	int		 rc;

	memset(f, 0, sizeof(*f));
	sqlite3_bind_text(s, 1, slot, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_DONE) {
		sqlite3_reset(s);
		return (1);
	}
	if (rc != SQLITE_ROW ||
	    upload_db_text(s, 0, f->slot, sizeof(f->slot)) == -1 ||
	    upload_db_text(s, 1, f->service, sizeof(f->service)) == -1 ||
	    upload_db_text(s, 2, f->owner, sizeof(f->owner)) == -1 ||
	    upload_db_text(s, 3, f->name, sizeof(f->name)) == -1 ||
	    upload_db_text(s, 4, f->type, sizeof(f->type)) == -1) {
		log_warnx("upload db: slot %s: %s", slot, rc == SQLITE_ROW ?
		    "a stored field is too long" : sqlite3_errmsg(db));
		sqlite3_reset(s);
		return (-1);
	}
	f->size = sqlite3_column_int64(s, 5);
	f->created = sqlite3_column_int64(s, 6);
	f->expires = sqlite3_column_int64(s, 7);
	f->completed = sqlite3_column_int64(s, 8);
	f->state = sqlite3_column_int(s, 9) == UPLOAD_DONE ? UPLOAD_DONE :
	    UPLOAD_PENDING;
	sqlite3_reset(s);
	return (0);
}

/* A pending slot's file is in place: 0, 1 when no such pending slot. */
int
upload_db_done(const char *slot, time_t when)
{
	sqlite3_stmt	*s = upload_db_q(Q_DONE);
	int		 n;

	sqlite3_bind_int64(s, 1, when);
	sqlite3_bind_text(s, 2, slot, -1, SQLITE_STATIC);
	if ((n = upload_db_step(s)) == -1)
		return (-1);
	return (n == 0 ? 1 : 0);
}

/* 0, 1 when there was no such slot, -1 on error. */
int
upload_db_delete(const char *slot)
{
	sqlite3_stmt	*s = upload_db_q(Q_DELETE);
	int		 n;

	sqlite3_bind_text(s, 1, slot, -1, SQLITE_STATIC);
	if ((n = upload_db_step(s)) == -1)
		return (-1);
	return (n == 0 ? 1 : 0);
}

/* Bytes a user holds on a service: files, and slots not yet expired. */
int64_t
upload_db_usage(const char *service, const char *owner, time_t now)
{
	sqlite3_stmt	*s = upload_db_q(Q_USAGE);
	int64_t		 n = -1;

	sqlite3_bind_text(s, 1, service, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		log_warnx("upload db: %s", sqlite3_errmsg(db));
	sqlite3_reset(s);
	return (n);
}

/*
 * The slots a query names, collected before cb runs: cb may delete
 * rows.  The number of rows visited, or -1.
 */
int
upload_db_list(int which, const char *arg, time_t t,
    void (*cb)(const char *, void *), void *cbarg)
{
	sqlite3_stmt	*s;
	struct upload_db_slot	*slots = NULL, *p;
	size_t		 n = 0, cap = 0, i;
	int		 rc;

	switch (which) {
	case UPLOAD_LIST_STALE:
		s = upload_db_q(Q_STALE);
		sqlite3_bind_int64(s, 1, t);
		break;
	case UPLOAD_LIST_OLD:
		s = upload_db_q(Q_OLD);
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, t);
		break;
	case UPLOAD_LIST_OWNER:
		s = upload_db_q(Q_OWNER);
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
		break;
	case UPLOAD_LIST_ALL:
		s = upload_db_q(Q_ALL);
		break;
	default:
		fatalx("%s: query %d", __func__, which);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((p = reallocarray(slots, cap, sizeof(*slots))) ==
			    NULL)
				fatal("%s", __func__);
			slots = p;
		}
		if (upload_db_text(s, 0, slots[n].slot,
		    sizeof(slots[n].slot)) == 0)
			n++;
	}
	if (rc != SQLITE_DONE) {
		log_warnx("upload db: %s", sqlite3_errmsg(db));
		sqlite3_reset(s);
		free(slots);
		return (-1);
	}
	sqlite3_reset(s);
	for (i = 0; i < n; i++)
		cb(slots[i].slot, cbarg);
	free(slots);
	return (n);
}

/* Files, bytes and pending slots of a service, and its 10 biggest users. */
int
upload_db_stats(const char *service, struct upload_stats *us)
{
	sqlite3_stmt	*s = upload_db_q(Q_TOTAL);

	memset(us, 0, sizeof(*us));
	if (strlcpy(us->service, service, sizeof(us->service)) >=
	    sizeof(us->service))
		return (-1);
	sqlite3_bind_text(s, 1, service, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		log_warnx("upload db: %s", sqlite3_errmsg(db));
		sqlite3_reset(s);
		return (-1);
	}
	us->files = sqlite3_column_int64(s, 0);
	us->bytes = sqlite3_column_int64(s, 1);
	us->pending = sqlite3_column_int64(s, 2);
	sqlite3_reset(s);
	s = upload_db_q(Q_TOP);
	sqlite3_bind_text(s, 1, service, -1, SQLITE_STATIC);
	while (us->ntop < UPLOAD_STATS_TOP && sqlite3_step(s) == SQLITE_ROW) {
		if (upload_db_text(s, 0, us->top[us->ntop].owner,
		    sizeof(us->top[us->ntop].owner)) == -1)
			continue;
		us->top[us->ntop].files = sqlite3_column_int64(s, 1);
		us->top[us->ntop].bytes = sqlite3_column_int64(s, 2);
		us->ntop++;
	}
	sqlite3_reset(s);
	return (0);
}
