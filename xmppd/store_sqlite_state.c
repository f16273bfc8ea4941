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
 * The SQLite side of accounts' state (store_account_state.c): one row
 * per account that was disabled or logged in, next to its accounts row.
 */

#include <sys/types.h>

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_backend.h"
#include "store_sqlite.h"

enum {
	A_GET, A_DISABLE, A_LOGIN, A_ROSTER, A_ARCHIVE, A_MAX
};

static const char *state_sql[A_MAX] = {
	[A_GET] = "SELECT a.created, coalesce(s.disabled, 0), "
	    "coalesce(s.reason, ''), coalesce(s.last_login, 0), "
	    "coalesce(s.last_addr, '') FROM accounts a LEFT JOIN "
	    "account_state s ON s.domain = a.domain AND "
	    "s.localpart = a.localpart WHERE a.domain = ? AND a.localpart = ?",
	[A_DISABLE] = "INSERT INTO account_state (domain, localpart, "
	    "disabled, reason) VALUES (?, ?, ?, ?) ON CONFLICT (domain, "
	    "localpart) DO UPDATE SET disabled = excluded.disabled, "
	    "reason = excluded.reason",
	[A_LOGIN] = "INSERT INTO account_state (domain, localpart, "
	    "last_login, last_addr) VALUES (?, ?, ?, ?) ON CONFLICT (domain, "
	    "localpart) DO UPDATE SET last_login = excluded.last_login, "
	    "last_addr = excluded.last_addr",
	[A_ROSTER] = "SELECT count(*) FROM roster WHERE domain = ? AND "
	    "localpart = ? AND in_roster != 0",
	[A_ARCHIVE] = "SELECT count(*) FROM mam WHERE domain = ? AND "
	    "localpart = ?",
};

static sqlite3_stmt	*ast[A_MAX];

/* Prepared on first use: the tables exist once the backend is open. */
static sqlite3_stmt *
aq(int which, const char *domain, const char *local)
{
	sqlite3_stmt	*s;

	if (ast[which] == NULL && sqlite3_prepare_v3(sqlite_db(),
	    state_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &ast[which],
	    NULL) != SQLITE_OK)
		fatalx("store: %s: %s", state_sql[which],
		    sqlite3_errmsg(sqlite_db()));
	s = ast[which];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, local, -1, SQLITE_TRANSIENT);
	return (s);
}

static void
sqlite_state_text(sqlite3_stmt *s, int col, char *buf, size_t len)
{
	const unsigned char	*t = sqlite3_column_text(s, col);

	(void)strlcpy(buf, t != NULL ? (const char *)t : "", len);
}

static int
sqlite_state_get(const char *domain, const char *local,
    struct account_state *st)
{
	sqlite3_stmt	*s = aq(A_GET, domain, local);
	int		 rc;

	memset(st, 0, sizeof(*st));
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		st->created = sqlite3_column_int64(s, 0);
		st->disabled = sqlite3_column_int(s, 1) != 0;
		sqlite_state_text(s, 2, st->reason, sizeof(st->reason));
		st->last_login = sqlite3_column_int64(s, 3);
		sqlite_state_text(s, 4, st->last_addr, sizeof(st->last_addr));
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return (1);
	return (rc == SQLITE_DONE ? 0 : -1);
}

static int
sqlite_state_disable(const char *domain, const char *local, int disabled,
    const char *reason)
{
	sqlite3_stmt	*s = aq(A_DISABLE, domain, local);

	sqlite3_bind_int(s, 3, disabled);
	sqlite3_bind_text(s, 4, reason, -1, SQLITE_TRANSIENT);
	return (sqlite_done(s));
}

static int
sqlite_state_login(const char *domain, const char *local, int64_t when,
    const char *addr)
{
	sqlite3_stmt	*s = aq(A_LOGIN, domain, local);

	sqlite3_bind_int64(s, 3, when);
	sqlite3_bind_text(s, 4, addr, -1, SQLITE_TRANSIENT);
	return (sqlite_done(s));
}

static int
sqlite_state_counts(const char *domain, const char *local, int64_t *roster,
    int64_t *archive)
{
	*roster = sqlite_one(aq(A_ROSTER, domain, local));
	*archive = sqlite_one(aq(A_ARCHIVE, domain, local));
	return (*roster == -1 || *archive == -1 ? -1 : 0);
}

const struct store_state_ops sqlite_state = {
	sqlite_state_get,
	sqlite_state_disable,
	sqlite_state_login,
	sqlite_state_counts,
};
