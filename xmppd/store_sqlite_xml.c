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
 * The SQLite side of per-user XML items (store_xml.c): one table, keyed
 * by (account, space, key), ordered by a sequence number per space so
 * that a replaced item becomes the newest.
 */

#include <sys/types.h>

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_backend.h"
#include "store_sqlite.h"


enum {
	X_GET_ALL, X_GET_KEY, X_COUNT, X_EXISTS, X_PUT, X_DEL_KEY, X_DEL_ALL,
	X_TRIM, X_MAX
};

static const char *xml_sql[X_MAX] = {
	[X_GET_ALL] = "SELECT key, xml FROM xmlstore WHERE domain = ? AND "
	    "localpart = ? AND space = ? ORDER BY seq DESC LIMIT ?",
	[X_GET_KEY] = "SELECT key, xml FROM xmlstore WHERE domain = ? AND "
	    "localpart = ? AND space = ? AND key = ?",
	[X_COUNT] = "SELECT count(*) FROM xmlstore WHERE domain = ? AND "
	    "localpart = ? AND space = ?",
	[X_EXISTS] = "SELECT 1 FROM xmlstore WHERE domain = ? AND "
	    "localpart = ? AND space = ? AND key = ?",
	[X_PUT] = "INSERT OR REPLACE INTO xmlstore (domain, localpart, "
	    "space, key, seq, xml) VALUES (?1, ?2, ?3, ?4, (SELECT "
	    "coalesce(max(seq), 0) + 1 FROM xmlstore WHERE domain = ?1 AND "
	    "localpart = ?2 AND space = ?3), ?5)",
	[X_DEL_KEY] = "DELETE FROM xmlstore WHERE domain = ? AND "
	    "localpart = ? AND space = ? AND key = ?",
	[X_DEL_ALL] = "DELETE FROM xmlstore WHERE domain = ? AND "
	    "localpart = ? AND space = ?",
	[X_TRIM] = "DELETE FROM xmlstore WHERE domain = ?1 AND "
	    "localpart = ?2 AND space = ?3 AND seq NOT IN (SELECT seq FROM "
	    "xmlstore WHERE domain = ?1 AND localpart = ?2 AND space = ?3 "
	    "ORDER BY seq DESC LIMIT ?4)",
};

static sqlite3_stmt	*xst[X_MAX];

/* Prepared on first use: the tables exist once the backend is open. */
static sqlite3_stmt *
xq(int which, const char *domain, const char *local, const char *space)
{
	sqlite3_stmt	*s;

	if (xst[which] == NULL && sqlite3_prepare_v3(sqlite_db(),
	    xml_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &xst[which],
	    NULL) != SQLITE_OK)
		fatalx("store: %s: %s", xml_sql[which],
		    sqlite3_errmsg(sqlite_db()));
	s = xst[which];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, local, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, space, -1, SQLITE_TRANSIENT);
	return (s);
}

static int
sqlite_xml_get(const char *domain, const char *local, const char *space,
    const char *key, uint32_t limit, int (*cb)(const char *, const char *,
    size_t, void *), void *arg)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (key != NULL) {
		s = xq(X_GET_KEY, domain, local, space);
		sqlite3_bind_text(s, 4, key, -1, SQLITE_TRANSIENT);
	} else {
		s = xq(X_GET_ALL, domain, local, space);
		sqlite3_bind_int64(s, 4, limit == 0 ? -1 : (int64_t)limit);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb((const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    sqlite3_column_bytes(s, 1), arg) == -1)
			break;
	sqlite3_reset(s);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1);
}

static int
sqlite_xml_count(const char *domain, const char *local, const char *space)
{
	return (sqlite_one(xq(X_COUNT, domain, local, space)));
}

static int
sqlite_xml_exists(const char *domain, const char *local, const char *space,
    const char *key)
{
	sqlite3_stmt	*s = xq(X_EXISTS, domain, local, space);
	int		 found;

	sqlite3_bind_text(s, 4, key, -1, SQLITE_TRANSIENT);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return (found);
}

static int
sqlite_xml_put(const char *domain, const char *local, const char *space,
    const char *key, const char *xml, size_t len)
{
	sqlite3_stmt	*s = xq(X_PUT, domain, local, space);

	sqlite3_bind_text(s, 4, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, xml, len, SQLITE_TRANSIENT);
	return (sqlite_done(s));
}

/* Returns how many items went, or -1. */
static int
sqlite_xml_del(const char *domain, const char *local, const char *space,
    const char *key)
{
	sqlite3_stmt	*s;

	if (key != NULL) {
		s = xq(X_DEL_KEY, domain, local, space);
		sqlite3_bind_text(s, 4, key, -1, SQLITE_TRANSIENT);
	} else
		s = xq(X_DEL_ALL, domain, local, space);
	if (sqlite_done(s) == -1)
		return (-1);
	return (sqlite3_changes(sqlite_db()));
}

static int
sqlite_xml_trim(const char *domain, const char *local, const char *space,
    uint32_t keep)
{
	sqlite3_stmt	*s = xq(X_TRIM, domain, local, space);

	sqlite3_bind_int64(s, 4, keep);
	return (sqlite_done(s));
}

const struct store_xml_ops sqlite_xml = {
	sqlite_xml_get,
	sqlite_xml_count,
	sqlite_xml_exists,
	sqlite_xml_put,
	sqlite_xml_del,
	sqlite_xml_trim,
};
