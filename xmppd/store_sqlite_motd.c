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
 * The SQLite side of stored messages of the day (store_motd.c): one
 * row per domain whose admin set one.
 */

#include <sys/types.h>

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_backend.h"
#include "store_sqlite.h"

enum {
	M_EACH, M_SET, M_DELETE, M_MAX
};

static const char *motd_sql[M_MAX] = {
	[M_EACH] = "SELECT domain, text FROM motd ORDER BY domain",
	[M_SET] = "INSERT INTO motd (domain, text, set_by, set_at) "
	    "VALUES (?, ?, ?, ?) ON CONFLICT (domain) DO UPDATE SET "
	    "text = excluded.text, set_by = excluded.set_by, "
	    "set_at = excluded.set_at",
	[M_DELETE] = "DELETE FROM motd WHERE domain = ?",
};

static sqlite3_stmt	*mst[M_MAX];

/* Prepared on first use: the table exists once the backend is open. */
static sqlite3_stmt *
mq(int which)
{
	if (mst[which] == NULL && sqlite3_prepare_v3(sqlite_db(),
	    motd_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &mst[which],
	    NULL) != SQLITE_OK)
		fatalx("store: %s: %s", motd_sql[which],
		    sqlite3_errmsg(sqlite_db()));
	sqlite3_reset(mst[which]);
	sqlite3_clear_bindings(mst[which]);
	return (mst[which]);
}

static int
sqlite_motd_each(int (*fn)(const char *, const char *, void *), void *arg)
{
	sqlite3_stmt		*s = mq(M_EACH);
	const unsigned char	*d, *t;
	int			 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		d = sqlite3_column_text(s, 0);
		t = sqlite3_column_text(s, 1);
		if (d != NULL && t != NULL &&
		    fn((const char *)d, (const char *)t, arg) == -1) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	return (rc == SQLITE_DONE ? 0 : -1);
}

static int
sqlite_motd_set(const char *domain, const char *text, const char *by,
    int64_t when)
{
	sqlite3_stmt	*s = mq(M_SET);

	sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, by, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, when);
	return (sqlite_done(s));
}

static int
sqlite_motd_delete(const char *domain)
{
	sqlite3_stmt	*s = mq(M_DELETE);

	sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT);
	if (sqlite_done(s) == -1)
		return (-1);
	return (sqlite3_changes(sqlite_db()) > 0);
}

const struct store_motd_ops sqlite_motd = {
	sqlite_motd_each,
	sqlite_motd_set,
	sqlite_motd_delete,
};
