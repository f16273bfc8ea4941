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
 * Grouped writes on a PostgreSQL connection (pgbatch.h): one
 * transaction for the writes of a read, a savepoint after each.
 */

#include <sys/types.h>

#include <string.h>

#include "log.h"
#include "pgbatch.h"
#include "pgconn.h"

#define PGBATCH_MAX	64	/* the subtransactions a backend caches */

static int
pgbatch_read(const struct pgbatch *b, const char *name)
{
	const char *const	*r;

	for (r = b->reads; r != NULL && *r != NULL; r++)
		if (strcmp(*r, name) == 0)
			return (1);
	return (0);
}

static void
pgbatch_lost(struct pgbatch *b)
{
	if (b->n > 0)
		log_warnx("%s: %d writes lost: their transaction did not "
		    "commit", b->pc->who, b->n);
	b->open = 0;
	b->n = 0;
}

/* What the open transaction holds, committed. */
void
pgbatch_commit(struct pgbatch *b)
{
	if (!b->open)
		return;
	if (pgconn_commit(b->pc) == -1) {
		pgbatch_lost(b);
		return;
	}
	b->open = 0;
	b->n = 0;
}

/* A statement failed in the transaction: undo it, and it alone. */
static void
pgbatch_undo(struct pgbatch *b)
{
	if (!pgconn_up(b->pc) ||
	    pgconn_run(b->pc, "ROLLBACK TO SAVEPOINT ok") == -1) {
		if (pgconn_up(b->pc))
			(void)pgconn_run(b->pc, "ROLLBACK");
		pgbatch_lost(b);
	}
}

/* A write: in the read's transaction, when there is a read. */
PGresult *
pgbatch_write(struct pgbatch *b, const char *name,
    const struct pgconn_args *a)
{
	PGresult	*r;

	if (!b->on || b->xact)
		return (pgconn_exec(b->pc, name, a, 0));
	if (!b->open) {
		if (pgconn_run(b->pc, "BEGIN") == -1)
			return (NULL);
		if (pgconn_run(b->pc, "SAVEPOINT ok") == -1) {
			(void)pgconn_run(b->pc, "ROLLBACK");
			return (NULL);
		}
		b->open = 1;
	}
	if ((r = pgconn_exec(b->pc, name, a, 0)) == NULL) {
		pgbatch_undo(b);
		return (NULL);
	}
	b->n++;
	if (b->n >= PGBATCH_MAX)
		pgbatch_commit(b);
	else if (pgconn_run(b->pc, "SAVEPOINT ok") == -1) {
		/* Only a broken connection refuses it: all of it is lost. */
		PQclear(r);
		(void)pgconn_run(b->pc, "ROLLBACK");
		pgbatch_lost(b);
		return (NULL);
	}
	return (r);
}

/* Any other statement: after the batch, unless it is one of its reads. */
PGresult *
pgbatch_exec(struct pgbatch *b, const char *name, const struct pgconn_args *a,
    int binary)
{
	PGresult	*r;

	if (b->open && !pgbatch_read(b, name))
		pgbatch_commit(b);
	r = pgconn_exec(b->pc, name, a, binary);
	if (r == NULL && b->open)
		pgbatch_undo(b);
	return (r);
}

PGresult *
pgbatch_sql(struct pgbatch *b, const char *sql, const struct pgconn_args *a)
{
	pgbatch_commit(b);
	return (pgconn_sql(b->pc, sql, a));
}

void
pgbatch_begin(struct pgbatch *b)
{
	b->on = 1;
}

void
pgbatch_end(struct pgbatch *b)
{
	pgbatch_commit(b);
	b->on = 0;
}
