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
 * The SQLite databases of the helper daemons (mucd, uploadd): one file
 * in the process's root, opened the same way, statements prepared once.
 * What cannot be opened, created or prepared is fatal: the daemon
 * cannot serve without it, and xmppd restarts it.
 */

#ifndef DBUTIL_H
#define DBUTIL_H

#include <sqlite3.h>
#include <stddef.h>

sqlite3		*dbu_open(const char *, const char *);
void		 dbu_exec(sqlite3 *, const char *, const char *);
sqlite3_stmt	*dbu_prepare(sqlite3 *, const char *, const char *);
sqlite3_stmt	*dbu_reset(sqlite3_stmt *);
void		 dbu_close(sqlite3 **, sqlite3_stmt **, size_t);

#endif /* DBUTIL_H */
