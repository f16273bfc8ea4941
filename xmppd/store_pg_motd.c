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
 * The PostgreSQL side of stored messages of the day (store_motd.c):
 * one row per domain whose admin set one.
 */

#include <sys/types.h>

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "store_backend.h"
#include "store_pg.h"

const struct pgconn_stmt pg_motd_stmts[] = {
	{ "motd_each", "SELECT domain, text FROM motd ORDER BY domain" },
	{ "motd_set", "INSERT INTO motd (domain, text, set_by, set_at) "
	    "VALUES ($1, $2, $3, $4) ON CONFLICT (domain) DO UPDATE SET "
	    "text = EXCLUDED.text, set_by = EXCLUDED.set_by, "
	    "set_at = EXCLUDED.set_at" },
	{ "motd_delete", "DELETE FROM motd WHERE domain = $1" },
};

const size_t pg_motd_nstmts = nitems(pg_motd_stmts);

static int
pg_motd_each(int (*fn)(const char *, const char *, void *), void *arg)
{
	struct pgconn_args	 a;
	PGresult		*r;
	int			 i;

	pgconn_args_init(&a);
	if ((r = pg_exec("motd_each", &a, 0)) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(r); i++)
		if (fn(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), arg) == -1)
			break;
	PQclear(r);
	return (0);
}

static int
pg_motd_set(const char *domain, const char *text, const char *by,
    int64_t when)
{
	struct pgconn_args	 a;

	pgconn_args_init(&a);
	pgconn_arg_text(&a, domain);
	pgconn_arg_text(&a, text);
	pgconn_arg_text(&a, by);
	pgconn_arg_int(&a, when);
	return (pg_done("motd_set", &a));
}

static int
pg_motd_delete(const char *domain)
{
	struct pgconn_args	 a;
	PGresult		*r;
	int			 rc;

	pgconn_args_init(&a);
	pgconn_arg_text(&a, domain);
	if ((r = pg_exec("motd_delete", &a, 0)) == NULL)
		return (-1);
	rc = pgconn_changes(r) > 0;
	PQclear(r);
	return (rc);
}

const struct store_motd_ops pg_motd = {
	pg_motd_each,
	pg_motd_set,
	pg_motd_delete,
};
