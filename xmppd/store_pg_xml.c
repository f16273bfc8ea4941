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
 * The PostgreSQL side of per-user XML items (store_xml.c): one table,
 * keyed by (account, space, key), ordered by a number from a sequence
 * that a replaced item takes anew, so that it becomes the newest.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_backend.h"
#include "store_pg.h"

const struct pgconn_stmt pg_xml_stmts[] = {
	{ "x_get_all", "SELECT key, xml FROM xmlstore WHERE domain = $1 AND "
	    "localpart = $2 AND space = $3 ORDER BY seq DESC LIMIT $4" },
	{ "x_get_key", "SELECT key, xml FROM xmlstore WHERE domain = $1 AND "
	    "localpart = $2 AND space = $3 AND key = $4" },
	{ "x_count", "SELECT count(*) FROM xmlstore WHERE domain = $1 AND "
	    "localpart = $2 AND space = $3" },
	{ "x_exists", "SELECT 1 FROM xmlstore WHERE domain = $1 AND "
	    "localpart = $2 AND space = $3 AND key = $4" },
	{ "x_put", "INSERT INTO xmlstore (domain, localpart, space, key, "
	    "xml) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (domain, "
	    "localpart, space, key) DO UPDATE SET xml = EXCLUDED.xml, "
	    "seq = nextval('xmlstore_order')" },
	{ "x_del_key", "DELETE FROM xmlstore WHERE domain = $1 AND "
	    "localpart = $2 AND space = $3 AND key = $4" },
	{ "x_del_all", "DELETE FROM xmlstore WHERE domain = $1 AND "
	    "localpart = $2 AND space = $3" },
	{ "x_trim", "DELETE FROM xmlstore WHERE domain = $1 AND "
	    "localpart = $2 AND space = $3 AND seq NOT IN (SELECT seq FROM "
	    "xmlstore WHERE domain = $1 AND localpart = $2 AND space = $3 "
	    "ORDER BY seq DESC LIMIT $4)" },
};
const size_t pg_xml_nstmts = nitems(pg_xml_stmts);

static void
xa(struct pgconn_args *a, const char *domain, const char *local,
    const char *space)
{
	pgconn_args_init(a);
	pgconn_arg_text(a, domain);
	pgconn_arg_text(a, local);
	pgconn_arg_text(a, space);
}

static int
pg_xml_get(const char *domain, const char *local, const char *space,
    const char *key, uint32_t limit, int (*cb)(const char *, const char *,
    size_t, void *), void *arg)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int		 i;

	xa(&a, domain, local, space);
	if (key != NULL)
		pgconn_arg_text(&a, key);
	else if (limit == 0)
		pgconn_arg_text(&a, NULL);		/* LIMIT NULL: all */
	else
		pgconn_arg_int(&a, limit);
	if ((r = pg_exec(key != NULL ? "x_get_key" : "x_get_all", &a,
	    0)) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(r); i++)
		if (cb(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		    PQgetlength(r, i, 1), arg) == -1)
			break;
	PQclear(r);
	return (0);
}

static int
pg_xml_count(const char *domain, const char *local, const char *space)
{
	struct pgconn_args	 a;

	xa(&a, domain, local, space);
	return (pg_one("x_count", &a));
}

/* 1 when it exists, 0 when not, -1 when the database cannot say. */
static int
pg_xml_exists(const char *domain, const char *local, const char *space,
    const char *key)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int		 found;

	xa(&a, domain, local, space);
	pgconn_arg_text(&a, key);
	if ((r = pg_exec("x_exists", &a, 0)) == NULL)
		return (-1);
	found = PQntuples(r) > 0;
	PQclear(r);
	return (found);
}

static int
pg_xml_put(const char *domain, const char *local, const char *space,
    const char *key, const char *xml, size_t len)
{
	struct pgconn_args	 a;

	xa(&a, domain, local, space);
	pgconn_arg_text(&a, key);
	pgconn_arg_textn(&a, xml, len);
	return (pg_done("x_put", &a));
}

/* Returns how many items went, or -1. */
static int
pg_xml_del(const char *domain, const char *local, const char *space,
    const char *key)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int		 n;

	xa(&a, domain, local, space);
	if (key != NULL)
		pgconn_arg_text(&a, key);
	if ((r = pg_exec(key != NULL ? "x_del_key" : "x_del_all", &a,
	    0)) == NULL)
		return (-1);
	n = pgconn_changes(r);
	PQclear(r);
	return (n);
}

static int
pg_xml_trim(const char *domain, const char *local, const char *space,
    uint32_t keep)
{
	struct pgconn_args	 a;

	xa(&a, domain, local, space);
	pgconn_arg_int(&a, keep);
	return (pg_done("x_trim", &a));
}

const struct store_xml_ops pg_xml = {
	pg_xml_get,
	pg_xml_count,
	pg_xml_exists,
	pg_xml_put,
	pg_xml_del,
	pg_xml_trim,
};
