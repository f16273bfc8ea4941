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
 * Writes that come faster than one commit each (archived messages), as
 * the store and mucd group them on PostgreSQL: those of one read from
 * another process share a transaction, committed at the end of the
 * read, before any other statement but the reads named, and after
 * PGBATCH_MAX writes.  A savepoint follows each write, so that a write
 * that fails is undone alone: PostgreSQL would otherwise abort the
 * whole transaction, and the writes before it.
 */

#ifndef PGBATCH_H
#define PGBATCH_H

#include <libpq-fe.h>

#include "pgconn.h"

struct pgbatch {
	struct pgconn		*pc;
	const char *const	*reads;	/* NULL-ended: run inside a batch */
	int			 on;	/* in a read */
	int			 xact;	/* in the caller's own transaction */
	int			 open;
	int			 n;	/* writes in the open transaction */
};

void		 pgbatch_begin(struct pgbatch *);
void		 pgbatch_end(struct pgbatch *);
void		 pgbatch_commit(struct pgbatch *);
PGresult	*pgbatch_write(struct pgbatch *, const char *,
		    const struct pgconn_args *);
PGresult	*pgbatch_exec(struct pgbatch *, const char *,
		    const struct pgconn_args *, int);
PGresult	*pgbatch_sql(struct pgbatch *, const char *,
		    const struct pgconn_args *);

#endif /* PGBATCH_H */
