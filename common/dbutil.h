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
 *
 * Each database's schema is a list of steps: step 1 (steps[0]) makes
 * the first schema from nothing, step n + 1 takes version n to n + 1.
 * Its version is recorded in a schema_version table.  A step runs its
 * statements, then its function if it has one.  Step 1 runs again on a
 * database made before schema_version existed, which is version 1:
 * its statements must create only what is missing (IF NOT EXISTS).
 */

#ifndef DBUTIL_H
#define DBUTIL_H

#include <sqlite3.h>
#include <stddef.h>

struct dbu_step {
	const char *const	*sql;		/* NULL-terminated, or NULL */
	int			(*fn)(sqlite3 *); /* 0, or -1 to fail */
};

/* What dbu_upgrade found and did. */
struct dbu_version {
	int		 found;		/* 0: a database without tables */
	int		 newest;	/* the number of steps */
	int		 legacy;	/* made before schema_version */
};

sqlite3		*dbu_open(const char *, const char *);
void		 dbu_exec(sqlite3 *, const char *, const char *);
sqlite3_stmt	*dbu_prepare(sqlite3 *, const char *, const char *);
sqlite3_stmt	*dbu_reset(sqlite3_stmt *);
int		 dbu_upgrade(sqlite3 *, const struct dbu_step *, int,
		    struct dbu_version *, char *, size_t);
void		 dbu_schema(sqlite3 *, const char *, const char *,
		    const struct dbu_step *, int);
void		 dbu_close(sqlite3 **, sqlite3_stmt **, size_t);

#endif /* DBUTIL_H */
