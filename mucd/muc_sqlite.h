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

/* What mucd's SQLite files share: the handle and statement helpers. */

#ifndef MUC_SQLITE_H
#define MUC_SQLITE_H

#include <sqlite3.h>

sqlite3		*muc_sqlite_db(void);
sqlite3_stmt	*muc_sqlite_prepare(const char *);
int		 muc_sqlite_done(sqlite3_stmt *);
void		 muc_sqlite_mam_open(void);
void		 muc_sqlite_mam_close(void);

#endif /* MUC_SQLITE_H */
