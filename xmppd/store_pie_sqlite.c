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
 * The SQLite side of store_pie.c: an import's archived messages, set
 * aside under an account of their own while they arrive, given to the
 * imported account in its transaction.
 */

#include <sqlite3.h>

#include "store_backend.h"
#include "store_sqlite.h"

int
pie_sqlite_move(const char *fdomain, const char *flocal, const char *domain,
    const char *local)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (sqlite3_prepare_v2(sqlite_db(), "UPDATE mam SET domain = ?3, "
	    "localpart = ?4 WHERE domain = ?1 AND localpart = ?2", -1, &s,
	    NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_text(s, 1, fdomain, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, flocal, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, local, -1, SQLITE_STATIC);
	rc = sqlite_done(s);
	sqlite3_finalize(s);
	return (rc);
}
