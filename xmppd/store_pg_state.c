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
 * The PostgreSQL side of accounts' state (store_account_state.c): one
 * row per account that was disabled or logged in.
 */

#include <sys/types.h>

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "store_backend.h"
#include "store_pg.h"

const struct pgconn_stmt pg_state_stmts[] = {
	{ "st_get", "SELECT a.created, coalesce(s.disabled, 0), "
	    "coalesce(s.reason, ''), coalesce(s.last_login, 0), "
	    "coalesce(s.last_addr, '') FROM accounts a LEFT JOIN "
	    "account_state s ON s.domain = a.domain AND "
	    "s.localpart = a.localpart WHERE a.domain = $1 AND "
	    "a.localpart = $2" },
	{ "st_disable", "INSERT INTO account_state (domain, localpart, "
	    "disabled, reason) VALUES ($1, $2, $3, $4) ON CONFLICT (domain, "
	    "localpart) DO UPDATE SET disabled = EXCLUDED.disabled, "
	    "reason = EXCLUDED.reason" },
	{ "st_login", "INSERT INTO account_state (domain, localpart, "
	    "last_login, last_addr) VALUES ($1, $2, $3, $4) ON CONFLICT "
	    "(domain, localpart) DO UPDATE SET last_login = "
	    "EXCLUDED.last_login, last_addr = EXCLUDED.last_addr" },
	{ "st_roster", "SELECT count(*) FROM roster WHERE domain = $1 AND "
	    "localpart = $2 AND in_roster <> 0" },
	{ "st_archive", "SELECT count(*) FROM mam WHERE domain = $1 AND "
	    "localpart = $2" },
};

const size_t pg_state_nstmts = nitems(pg_state_stmts);

static void
st_args(struct pgconn_args *a, const char *domain, const char *local)
{
	pgconn_args_init(a);
	pgconn_arg_text(a, domain);
	pgconn_arg_text(a, local);
}

static int
pg_state_get(const char *domain, const char *local, struct account_state *st)
{
	struct pgconn_args	 a;
	PGresult		*r;
	int			 found;

	memset(st, 0, sizeof(*st));
	st_args(&a, domain, local);
	if ((r = pg_exec("st_get", &a, 0)) == NULL)
		return (-1);
	if ((found = PQntuples(r) > 0)) {
		st->created = pgconn_int(r, 0, 0);
		st->disabled = pgconn_int(r, 0, 1) != 0;
		(void)strlcpy(st->reason, PQgetvalue(r, 0, 2),
		    sizeof(st->reason));
		st->last_login = pgconn_int(r, 0, 3);
		(void)strlcpy(st->last_addr, PQgetvalue(r, 0, 4),
		    sizeof(st->last_addr));
	}
	PQclear(r);
	return (found);
}

static int
pg_state_disable(const char *domain, const char *local, int disabled,
    const char *reason)
{
	struct pgconn_args	 a;

	st_args(&a, domain, local);
	pgconn_arg_int(&a, disabled);
	pgconn_arg_text(&a, reason);
	return (pg_done("st_disable", &a));
}

static int
pg_state_login(const char *domain, const char *local, int64_t when,
    const char *addr)
{
	struct pgconn_args	 a;

	st_args(&a, domain, local);
	pgconn_arg_int(&a, when);
	pgconn_arg_text(&a, addr);
	return (pg_done("st_login", &a));
}

static int
pg_state_counts(const char *domain, const char *local, int64_t *roster,
    int64_t *archive)
{
	struct pgconn_args	 a;

	st_args(&a, domain, local);
	*roster = pg_one("st_roster", &a);
	st_args(&a, domain, local);
	*archive = pg_one("st_archive", &a);
	return (*roster == -1 || *archive == -1 ? -1 : 0);
}

const struct store_state_ops pg_state = {
	pg_state_get,
	pg_state_disable,
	pg_state_login,
	pg_state_counts,
};
