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

/* The SQLite databases of the helper daemons; see dbutil.h. */

#include <sys/types.h>

#include <limits.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbutil.h"
#include "log.h"

/*
 * Open (or create) path, in write-ahead-log mode: a commit is one
 * append, readers never wait for it, and a kill -9 loses nothing that
 * was committed.  who names the database in fatal messages.
 */
sqlite3 *
dbu_open(const char *path, const char *who)
{
	sqlite3	*db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		fatalx("%s: cannot open %s: %s", who, path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_busy_timeout(db, 5000);
	dbu_exec(db, "PRAGMA journal_mode=WAL", who);
	dbu_exec(db, "PRAGMA synchronous=NORMAL", who);
	dbu_exec(db, "PRAGMA foreign_keys=ON", who);
	dbu_exec(db, "PRAGMA temp_store=MEMORY", who);
	return (db);
}

/* Run sql, which must succeed: schema and settings. */
void
dbu_exec(sqlite3 *db, const char *sql, const char *who)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fatalx("%s: %s: %s", who, sql, err != NULL ? err : "error");
}

/* A statement prepared for good, once its tables exist. */
sqlite3_stmt *
dbu_prepare(sqlite3 *db, const char *sql, const char *who)
{
	sqlite3_stmt	*s;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
	    NULL) != SQLITE_OK)
		fatalx("%s: %s: %s", who, sql, sqlite3_errmsg(db));
	return (s);
}

/* A prepared statement, reset and ready to bind. */
sqlite3_stmt *
dbu_reset(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return (s);
}

/* Fill err with what failed and SQLite's reason: -1. */
static int
dbu_fail(sqlite3 *db, const char *what, char *err, size_t len)
{
	(void)snprintf(err, len, "%s: %s", what, sqlite3_errmsg(db));
	return (-1);
}

/*
 * The integer of the first column of sql's first row into *n: 1, or 0
 * when there is no row or it is NULL, or -1 when sql fails.
 */
static int
dbu_int(sqlite3 *db, const char *sql, long long *n)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return (-1);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*n = sqlite3_column_int64(s, 0);
		rc = 1;
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = 0;
	else
		rc = -1;
	sqlite3_finalize(s);
	return (rc);
}

/* Is there a table of that name?  1, 0, or -1 when SQLite fails. */
static int
dbu_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE "
	    "type = 'table' AND name = ?", -1, &s, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return (1);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/*
 * The version of a database made before schema_version: the row
 * ('schema', n) of its meta table when it has one, else 1; 0 when it
 * has no table at all.  A meta row that is not a version is refused.
 */
static int
dbu_legacy(sqlite3 *db, struct dbu_version *v, char *err, size_t len)
{
	sqlite3_stmt	*s;
	const char	*text, *errstr = NULL;
	long long	 n = 0;
	int		 rc;

	if (dbu_int(db, "SELECT count(*) FROM sqlite_master WHERE type = "
	    "'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", &n) == -1)
		return (dbu_fail(db, "reading its tables", err, len));
	if (n == 0)
		return (0);
	v->legacy = 1;
	v->found = 1;
	if ((rc = dbu_table(db, "meta")) != 1)
		return (rc == 0 ? 0 : dbu_fail(db, "meta", err, len));
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = "
	    "'schema'", -1, &s, NULL) != SQLITE_OK)
		return (dbu_fail(db, "meta", err, len));
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		text = (const char *)sqlite3_column_text(s, 0);
		v->found = strtonum(text != NULL ? text : "", 1, INT_MAX,
		    &errstr);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (dbu_fail(db, "meta", err, len));
	if (errstr != NULL) {
		(void)snprintf(err, len, "its meta schema row is %s",
		    errstr);
		return (-1);
	}
	return (0);
}

/* The version the database is at, into v. */
static int
dbu_found(sqlite3 *db, struct dbu_version *v, char *err, size_t len)
{
	long long	 n;
	int		 rc;

	if ((rc = dbu_table(db, "schema_version")) == -1)
		return (dbu_fail(db, "schema_version", err, len));
	if (rc == 0)
		return (dbu_legacy(db, v, err, len));
	if ((rc = dbu_int(db, "SELECT max(version) FROM schema_version",
	    &n)) == -1)
		return (dbu_fail(db, "schema_version", err, len));
	if (rc == 0 || n < 1 || n > INT_MAX) {
		(void)snprintf(err, len, "schema_version holds no version");
		return (-1);
	}
	v->found = n;
	return (0);
}

/* Run step number n (from 1). */
static int
dbu_step(sqlite3 *db, const struct dbu_step *step, int n, char *err,
    size_t len)
{
	const char *const	*sql;
	char			 what[32];

	(void)snprintf(what, sizeof(what), "schema step %d", n);
	for (sql = step->sql; sql != NULL && *sql != NULL; sql++)
		if (sqlite3_exec(db, *sql, NULL, NULL, NULL) != SQLITE_OK)
			return (dbu_fail(db, what, err, len));
	if (step->fn != NULL && step->fn(db) == -1) {
		(void)snprintf(err, len, "%s: its function failed (%s)", what,
		    sqlite3_errmsg(db));
		return (-1);
	}
	return (0);
}

/*
 * Record the versions from first to v->newest.  A meta table's schema
 * row is kept equal to the version: programs from before schema_version
 * read only that row, and so refuse a database newer than they know.
 */
static int
dbu_record(sqlite3 *db, const struct dbu_version *v, int first, char *err,
    size_t len)
{
	sqlite3_stmt	*s;
	int		 i, rc = SQLITE_DONE;

	if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS schema_version "
	    "(version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)", NULL,
	    NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO schema_version (version, "
	    "applied) VALUES (?, ?)", -1, &s, NULL) != SQLITE_OK)
		return (dbu_fail(db, "schema_version", err, len));
	for (i = first; i <= v->newest && rc == SQLITE_DONE; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int(s, 1, i);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL));
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return (dbu_fail(db, "schema_version", err, len));
	if ((rc = dbu_table(db, "meta")) == -1 || (rc == 1 &&
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta (key, value) "
	    "VALUES ('schema', ?)", -1, &s, NULL) != SQLITE_OK))
		return (dbu_fail(db, "meta", err, len));
	if (rc == 1) {
		sqlite3_bind_int(s, 1, v->newest);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return (dbu_fail(db, "meta", err, len));
	}
	return (0);
}

/*
 * Bring the database to the newest of the nsteps steps, in one
 * transaction: it is upgraded whole or not at all, and a second process
 * opening it waits rather than upgrading it too.  A database newer than
 * the steps is refused, never downgraded.  -1 with err filled when the
 * database is left as it was.
 */
int
dbu_upgrade(sqlite3 *db, const struct dbu_step *steps, int nsteps,
    struct dbu_version *v, char *err, size_t len)
{
	int	 i, from;

	memset(v, 0, sizeof(*v));
	v->newest = nsteps;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return (dbu_fail(db, "BEGIN", err, len));
	if (dbu_found(db, v, err, len) == -1)
		goto fail;
	if (v->found > nsteps) {
		(void)snprintf(err, len, "schema version %d is newer than %d, "
		    "the newest this %s knows: not downgraded", v->found,
		    nsteps, getprogname());
		goto fail;
	}
	/* Step 1 again on an old database: it creates what is missing. */
	from = v->legacy && v->found == 1 ? 0 : v->found;
	for (i = from; i < nsteps; i++)
		if (dbu_step(db, &steps[i], i + 1, err, len) == -1)
			goto fail;
	if ((from < nsteps || v->legacy) &&
	    dbu_record(db, v, v->found == 0 || v->legacy ? 1 : v->found + 1,
	    err, len) == -1)
		goto fail;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		(void)dbu_fail(db, "COMMIT", err, len);
		goto fail;
	}
	return (0);
 fail:
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

/*
 * dbu_upgrade, fatal when it fails: the daemon cannot use a database
 * whose schema it does not know.  path names the file for the admin.
 */
void
dbu_schema(sqlite3 *db, const char *path, const char *who,
    const struct dbu_step *steps, int nsteps)
{
	struct dbu_version	 v;
	char			 err[512];

	if (dbu_upgrade(db, steps, nsteps, &v, err, sizeof(err)) == -1)
		fatalx("%s: %s: %s", who, path, err);
	if (v.found == 0)
		log_info("%s: %s: created at schema version %d", who, path,
		    v.newest);
	else if (v.legacy)
		log_info("%s: %s: made before schema versions, taken as "
		    "version %d and brought to version %d", who, path, v.found,
		    v.newest);
	else if (v.found < v.newest)
		log_info("%s: %s: schema upgraded from version %d to %d", who,
		    path, v.found, v.newest);
}

/* Finalize the n statements of st and close *db. */
void
dbu_close(sqlite3 **db, sqlite3_stmt **st, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		sqlite3_finalize(st[i]);
		st[i] = NULL;
	}
	if (*db != NULL)
		sqlite3_close_v2(*db);
	*db = NULL;
}
