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
 * The PostgreSQL side of message archives (store_mam.c): rows ordered
 * by seq, from a sequence, named outside by random ids; a page is found
 * by its seqs first, so that no more than one page of messages is read.
 * A query runs to its end before the store answers anything else (see
 * BUGS in xmppd.8).
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "compat.h"
#include "log.h"
#include "msg.h"
#include "store_backend.h"
#include "store_pg.h"

const struct pgconn_stmt pg_mam_stmts[] = {
	{ "m_put", "INSERT INTO mam (domain, localpart, id, stamp, "
	    "with_bare, with_res, direction, xml) VALUES ($1, $2, $3, $4, $5, "
	    "$6, $7, $8) ON CONFLICT (domain, localpart, id) DO NOTHING" },
	{ "m_seq", "SELECT seq FROM mam WHERE domain = $1 AND localpart = $2 "
	    "AND id = $3" },
	{ "m_first", "SELECT id, stamp FROM mam WHERE domain = $1 AND "
	    "localpart = $2 ORDER BY seq LIMIT 1" },
	{ "m_last", "SELECT id, stamp FROM mam WHERE domain = $1 AND "
	    "localpart = $2 ORDER BY seq DESC LIMIT 1" },
	{ "m_prefs_get", "SELECT dflt, always, never FROM mam_prefs WHERE "
	    "domain = $1 AND localpart = $2" },
	{ "m_prefs_put", "INSERT INTO mam_prefs (domain, localpart, dflt, "
	    "always, never) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (domain, "
	    "localpart) DO UPDATE SET dflt = EXCLUDED.dflt, "
	    "always = EXCLUDED.always, never = EXCLUDED.never" },
	{ "m_roster", "SELECT 1 FROM roster WHERE domain = $1 AND "
	    "localpart = $2 AND contact = $3 AND in_roster = 1" },
	/* Bounded: expiry must not hold locks long against live writes. */
	{ "m_expire", "DELETE FROM mam WHERE seq IN (SELECT seq FROM mam "
	    "WHERE domain = $1 AND stamp < $2 LIMIT $3)" },
	{ "m_count", "SELECT count(*) FROM mam WHERE domain = $1" },
	{ "m_bytes", "SELECT pg_database_size(current_database())" },
};
const size_t pg_mam_nstmts = nitems(pg_mam_stmts);

static void
ma(struct pgconn_args *a, const char *domain, const char *local)
{
	pgconn_args_init(a);
	pgconn_arg_text(a, domain);
	if (local != NULL)
		pgconn_arg_text(a, local);
}

static int
pg_mam_put(const char *domain, const char *local, const char *with,
    const char *res, int direction, int64_t stamp, const char *xml,
    size_t len, char *id)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int		 tries, n;

	for (tries = 0; tries < 3; tries++) {
		/* 12 random bytes: 16 characters, nothing to guess from. */
		if (base64url_random(12, id, MAM_ID_LEN) == -1)
			return (-1);
		ma(&a, domain, local);
		pgconn_arg_text(&a, id);
		pgconn_arg_int(&a, stamp);
		pgconn_arg_text(&a, with);
		pgconn_arg_text(&a, res);
		pgconn_arg_int(&a, direction);
		pgconn_arg_textn(&a, xml, len);
		if ((r = pg_exec("m_put", &a, 0)) == NULL)
			return (-1);
		n = pgconn_changes(r);
		PQclear(r);
		/* None: the id exists already; another is worth a try. */
		if (n == 1)
			return (0);
	}
	return (-1);
}

/* The seq of an archive id, 0 when there is none, -1 on failure. */
static int64_t
mam_seq(const struct mam_query *q, const char *id)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int64_t		 seq = 0;

	ma(&a, q->owner.domain, q->owner.localpart);
	pgconn_arg_text(&a, id);
	if ((r = pg_exec("m_seq", &a, 0)) == NULL)
		return (-1);
	if (PQntuples(r) > 0)
		seq = pgconn_int(r, 0, 0);
	PQclear(r);
	return (seq);
}

static PGresult *
mam_run(const char *fmt, const char *where, const struct mam_query *q,
    const struct mam_bounds *b, int64_t p9, int64_t p10)
{
	struct pgconn_args	 a;
	char		 sql[4096];
	int		 i;

	if ((size_t)snprintf(sql, sizeof(sql), fmt, where) >= sizeof(sql))
		return (NULL);
	ma(&a, q->owner.domain, q->owner.localpart);
	pgconn_arg_text(&a, q->with_bare);
	pgconn_arg_text(&a, q->with_res);
	pgconn_arg_int(&a, q->start);
	pgconn_arg_int(&a, q->end);
	pgconn_arg_int(&a, b->after);
	pgconn_arg_int(&a, b->before);
	pgconn_arg_int(&a, p9);
	pgconn_arg_int(&a, p10);
	for (i = 0; i < q->nids && i < MAM_IDS_MAX; i++)
		pgconn_arg_text(&a, q->ids[i]);
	return (pg_exec_sql(sql, &a));
}

static int64_t
mam_count(const struct mam_query *q, const struct mam_bounds *b,
    const char *extra, int64_t p9, int64_t p10)
{
	PGresult	*r;
	char		 where[2048];
	int64_t		 n = -1;

	if (mam_where(where, sizeof(where), q, b, 0, extra, '$') == -1 ||
	    (r = mam_run("SELECT count(*) FROM mam WHERE %s", where, q, b,
	    p9, p10)) == NULL)
		return (-1);
	if (PQntuples(r) == 1)
		n = pgconn_int(r, 0, 0);
	PQclear(r);
	return (n);
}

/* The ids a query pages from; 1 when one is unknown, -1 on failure. */
static int
mam_resolve(const struct mam_query *q, struct mam_bounds *b)
{
	const char	*ids[4] = { q->after_id, q->before_id, q->rsm_after,
			    q->rsm_before };
	int64_t		*seqs[4] = { &b->after, &b->before, &b->rsm_after,
			    &b->rsm_before };
	int		 i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < 4; i++) {
		if (ids[i][0] == '\0')
			continue;
		if ((*seqs[i] = mam_seq(q, ids[i])) == -1)
			return (-1);
		if (*seqs[i] == 0)
			return (1);
	}
	return (0);
}

/* The page's seqs, one more than asked to know if it is the last. */
static int
mam_page(const struct mam_query *q, const struct mam_bounds *b,
    int64_t *lo, int64_t *hi, int *more)
{
	PGresult	*r;
	char		 where[2048], extra[64];
	int64_t		 seq;
	int		 i, n = 0, backward;

	backward = q->rsm_before[0] != '\0' || q->rsm_last;
	(void)snprintf(extra, sizeof(extra), " ORDER BY seq%s LIMIT %d",
	    backward ? " DESC" : "", q->max + 1);
	if (mam_where(where, sizeof(where), q, b, 1, extra, '$') == -1 ||
	    (r = mam_run("SELECT seq FROM mam WHERE %s", where, q, b,
	    b->rsm_after, b->rsm_before)) == NULL)
		return (-1);
	*more = 0;
	for (i = 0; i < PQntuples(r); i++) {
		if (n == q->max) {
			*more = 1;
			break;
		}
		seq = pgconn_int(r, i, 0);
		if (n == 0 || seq < *lo)
			*lo = seq;
		if (n == 0 || seq > *hi)
			*hi = seq;
		n++;
	}
	PQclear(r);
	return (n);
}

static int
pg_mam_query(const struct mam_query *q, int (*cb)(const char *,
    int64_t, const char *, size_t, void *), void *arg, struct mam_fin *fin)
{
	struct mam_bounds	 b;
	PGresult		*r;
	char			 where[2048];
	int64_t			 lo = 0, hi = 0;
	int			 i, n, more;

	memset(fin, 0, sizeof(*fin));
	fin->index = -1;
	fin->status = MAM_ERROR;
	switch (mam_resolve(q, &b)) {
	case -1:
		return (-1);
	case 1:
		fin->status = MAM_ITEM_NOT_FOUND;
		return (0);
	}
	if ((fin->count = mam_count(q, &b, NULL, 0, 0)) == -1)
		return (-1);
	if (q->max <= 0) {
		/* RSM max 0: the count alone (XEP-0059 section 2.6). */
		fin->complete = fin->count == 0;
		fin->status = MAM_OK;
		return (0);
	}
	if ((n = mam_page(q, &b, &lo, &hi, &more)) == -1)
		return (-1);
	/* The last page in the direction asked (XEP-0313 section 4.3). */
	fin->complete = !more;
	if (n == 0) {
		fin->status = MAM_OK;
		return (0);
	}

	/* The page itself, oldest first unless flipped. */
	if (mam_where(where, sizeof(where), q, &b, 0, q->flip ?
	    " AND seq >= ?9 AND seq <= ?10 ORDER BY seq DESC" :
	    " AND seq >= ?9 AND seq <= ?10 ORDER BY seq", '$') == -1 ||
	    (r = mam_run("SELECT id, stamp, xml FROM mam WHERE %s", where, q,
	    &b, lo, hi)) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(r); i++) {
		const char	*id = PQgetvalue(r, i, 0);

		if (i == 0)
			(void)strlcpy(fin->first, id, sizeof(fin->first));
		(void)strlcpy(fin->last, id, sizeof(fin->last));
		if (cb(id, pgconn_int(r, i, 1), PQgetvalue(r, i, 2),
		    PQgetlength(r, i, 2), arg) == -1)
			break;
	}
	PQclear(r);
	if ((fin->index = mam_count(q, &b, q->flip ? " AND seq > ?9" :
	    " AND seq < ?9", q->flip ? hi : lo, 0)) == -1)
		return (-1);
	fin->status = MAM_OK;
	return (0);
}

/* One end of an archive into row; its id stays "" when there is none. */
static int
mam_bound(const char *which, const char *domain, const char *local,
    struct mam_row *row)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int		 rv = 0;

	memset(row, 0, sizeof(*row));
	ma(&a, domain, local);
	if ((r = pg_exec(which, &a, 0)) == NULL)
		return (-1);
	if (PQntuples(r) > 0) {
		if (strlcpy(row->id, PQgetvalue(r, 0, 0), sizeof(row->id)) >=
		    sizeof(row->id))
			rv = -1;
		row->stamp = pgconn_int(r, 0, 1);
	}
	PQclear(r);
	return (rv);
}

static int
pg_mam_bounds(const char *domain, const char *local,
    struct mam_row *start, struct mam_row *end)
{
	if (mam_bound("m_first", domain, local, start) == -1 ||
	    mam_bound("m_last", domain, local, end) == -1)
		return (-1);
	return (0);
}

/* 1 with the account's preferences, 0 when it set none, -1 on failure. */
static int
pg_mam_prefs_get(const char *domain, const char *local, int *dflt,
    char **always, char **never)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int		 found = 0;

	ma(&a, domain, local);
	if ((r = pg_exec("m_prefs_get", &a, 0)) == NULL)
		return (-1);
	if (PQntuples(r) > 0) {
		*dflt = pgconn_int(r, 0, 0);
		if ((*always = strdup(PQgetvalue(r, 0, 1))) == NULL ||
		    (*never = strdup(PQgetvalue(r, 0, 2))) == NULL)
			fatal("%s", __func__);
		found = 1;
	}
	PQclear(r);
	return (found);
}

static int
pg_mam_prefs_put(const char *domain, const char *local, int dflt,
    const char *always, const char *never)
{
	struct pgconn_args	 a;

	ma(&a, domain, local);
	pgconn_arg_int(&a, dflt);
	pgconn_arg_text(&a, always);
	pgconn_arg_text(&a, never);
	return (pg_done("m_prefs_put", &a));
}

static int
pg_mam_in_roster(const char *domain, const char *local,
    const char *contact)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int		 found;

	ma(&a, domain, local);
	pgconn_arg_text(&a, contact);
	if ((r = pg_exec("m_roster", &a, 0)) == NULL)
		return (-1);
	found = PQntuples(r) > 0;
	PQclear(r);
	return (found);
}

static int64_t
pg_mam_expire(const char *domain, int64_t before, int limit)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int64_t		 n;

	ma(&a, domain, NULL);
	pgconn_arg_int(&a, before);
	pgconn_arg_int(&a, limit);
	if ((r = pg_exec("m_expire", &a, 0)) == NULL)
		return (-1);
	n = pgconn_changes(r);
	PQclear(r);
	return (n);
}

static int64_t
pg_mam_count(const char *domain)
{
	struct pgconn_args	 a;

	ma(&a, domain, NULL);
	return (pg_one("m_count", &a));
}

/* The whole database's size, as the server counts it. */
static int64_t
pg_db_bytes(void)
{
	return (pg_one("m_bytes", NULL));
}

const struct store_mam_ops pg_mam = {
	pg_mam_put,
	pg_mam_query,
	pg_mam_bounds,
	pg_mam_prefs_get,
	pg_mam_prefs_put,
	pg_mam_in_roster,
	pg_mam_expire,
	pg_mam_count,
	pg_db_bytes,
};
