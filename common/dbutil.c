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

#include <sqlite3.h>
#include <stddef.h>

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
