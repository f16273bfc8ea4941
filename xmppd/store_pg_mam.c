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
 * A client's query runs on a connection of its own, answered when its
 * rows come; the store answers everything else meanwhile.
 */

#include <sys/types.h>
#include <sys/param.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "config.h"
#include "compat.h"
#include "log.h"
#include "msg.h"
#include "pgmam.h"
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
	/*
	 * Bounded: expiry must not hold locks long against live writes.
	 * From where the last chunk ended ($4): the index entries of rows
	 * deleted stay until vacuumed, and each chunk would walk them all.
	 */
	{ "m_expire", "WITH d AS (DELETE FROM mam WHERE seq IN (SELECT seq "
	    "FROM mam WHERE domain = $1 AND stamp >= $4 AND stamp < $2 "
	    "ORDER BY stamp LIMIT $3) RETURNING stamp) "
	    "SELECT count(*), coalesce(max(stamp), $4) FROM d" },
	{ "m_count", "SELECT count(*) FROM mam WHERE domain = $1" },
	/* Many owners at once: $1, $2 arrays of domains and localparts. */
	{ "m_facts", "SELECT u.i, a.localpart IS NOT NULL, p.dflt, "
	    "p.always, p.never, EXISTS (SELECT 1 FROM xmlstore x WHERE "
	    "x.domain = u.d AND x.localpart = u.l AND x.space = $3) "
	    "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS "
	    "u(d, l, i) LEFT JOIN accounts a ON a.domain = u.d AND "
	    "a.localpart = u.l LEFT JOIN mam_prefs p ON p.domain = u.d AND "
	    "p.localpart = u.l" },
	/* Many rows at once, one array a column; those written returned. */
	{ "m_put_many", "INSERT INTO mam (domain, localpart, id, stamp, "
	    "with_bare, with_res, direction, xml) SELECT * FROM "
	    "unnest($1::text[], $2::text[], $3::text[], $4::bigint[], "
	    "$5::text[], $6::text[], $7::integer[], $8::text[]) "
	    "ON CONFLICT (domain, localpart, id) DO NOTHING "
	    "RETURNING domain, localpart, id" },
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
		if ((r = pg_group_exec("m_put", &a)) == NULL)
			return (-1);
		n = pgconn_changes(r);
		PQclear(r);
		/* None: the id exists already; another is worth a try. */
		if (n == 1)
			return (0);
	}
	return (-1);
}

/*
 * Arrays as parameters, in PostgreSQL's text form: {"a","b"}, each
 * element quoted, '"' and '\\' escaped.
 */
struct pg_arr {
	char	*buf;
	size_t	 len, cap;
};

static void
arr_grow(struct pg_arr *r, size_t more)
{
	char	*p;
	size_t	 cap;

	if (r->len + more <= r->cap)
		return;
	cap = MAX(r->cap * 2, r->len + more + 256);
	if ((p = realloc(r->buf, cap)) == NULL)
		fatal("%s", __func__);
	r->buf = p;
	r->cap = cap;
}

static void
arr_add(struct pg_arr *r, const char *s, size_t len)
{
	size_t	 i;

	arr_grow(r, 2 * len + 4);
	r->buf[r->len] = r->len == 0 ? '{' : ',';
	r->len++;
	r->buf[r->len++] = '"';
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			r->buf[r->len++] = '\\';
		r->buf[r->len++] = s[i];
	}
	r->buf[r->len++] = '"';
}

static void
arr_add_int(struct pg_arr *r, int64_t v)
{
	char	 num[24];

	(void)snprintf(num, sizeof(num), "%lld", (long long)v);
	arr_add(r, num, strlen(num));
}

/* The array closed, as the next parameter (text form); "{}" if empty. */
static void
arr_arg(struct pgconn_args *a, struct pg_arr *r)
{
	arr_grow(r, 3);
	if (r->len == 0)
		r->buf[r->len++] = '{';
	r->buf[r->len++] = '}';
	r->buf[r->len] = '\0';
	pgconn_arg_text(a, r->buf);
}

static void
arr_free(struct pg_arr *r, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(r[i].buf);
}

/* Each owner's account, preferences and block list, in one statement. */
static void
pg_mam_facts(struct mam_facts *f, int n)
{
	struct pgconn_args	 a;
	struct pg_arr		 arr[2];
	PGresult		*r;
	int64_t			 i;
	int			 k;

	for (k = 0; k < n; k++)
		f[k].exists = -1;
	if (n == 0)
		return;
	memset(arr, 0, sizeof(arr));
	for (k = 0; k < n; k++) {
		arr_add(&arr[0], f[k].domain, strlen(f[k].domain));
		arr_add(&arr[1], f[k].localpart, strlen(f[k].localpart));
	}
	pgconn_args_init(&a);
	arr_arg(&a, &arr[0]);
	arr_arg(&a, &arr[1]);
	pgconn_arg_text(&a, BLOCKING_SPACE);
	r = pg_exec("m_facts", &a, 0);
	arr_free(arr, 2);
	if (r == NULL)
		return;
	for (k = 0; k < PQntuples(r); k++) {
		if ((i = pgconn_int(r, k, 0)) < 1 || i > n)
			continue;
		f[i - 1].exists = PQgetvalue(r, k, 1)[0] == 't';
		f[i - 1].blocks = PQgetvalue(r, k, 5)[0] == 't';
		if (!f[i - 1].exists || PQgetisnull(r, k, 2))
			continue;
		f[i - 1].custom = 1;
		f[i - 1].dflt = pgconn_int(r, k, 2);
		if ((f[i - 1].always = strdup(PQgetvalue(r, k, 3))) == NULL ||
		    (f[i - 1].never = strdup(PQgetvalue(r, k, 4))) == NULL)
			fatal("%s", __func__);
	}
	PQclear(r);
}

/* The rows written, from what the insert returned. */
static void
put_many_done(struct mam_put *p, int n, const PGresult *r)
{
	int	 i, k;

	for (k = 0; k < PQntuples(r); k++)
		for (i = 0; i < n; i++)
			if (!p[i].ok && strcmp(p[i].id, PQgetvalue(r, k, 2)) ==
			    0 && strcmp(p[i].localpart, PQgetvalue(r, k, 1)) ==
			    0 && strcmp(p[i].domain, PQgetvalue(r, k, 0)) == 0) {
				p[i].ok = 1;
				break;
			}
}

/*
 * All rows in one statement, in the batch's transaction.  Should it
 * fail, or a row's id be taken already, those rows are written one by
 * one, each behind its savepoint: one bad row loses no other.
 */
static void
pg_mam_put_many(struct mam_put *p, int n)
{
	struct pgconn_args	 a;
	struct pg_arr		 arr[8];
	PGresult		*r;
	int			 i, c;

	if (n == 0)
		return;
	memset(arr, 0, sizeof(arr));
	for (i = 0; i < n; i++) {
		p[i].ok = 0;
		if (base64url_random(12, p[i].id, MAM_ID_LEN) == -1)
			p[i].id[0] = '\0';
		arr_add(&arr[0], p[i].domain, strlen(p[i].domain));
		arr_add(&arr[1], p[i].localpart, strlen(p[i].localpart));
		arr_add(&arr[2], p[i].id, strlen(p[i].id));
		arr_add_int(&arr[3], p[i].stamp);
		arr_add(&arr[4], p[i].with, strlen(p[i].with));
		arr_add(&arr[5], p[i].res, strlen(p[i].res));
		arr_add_int(&arr[6], p[i].direction);
		arr_add(&arr[7], p[i].xml, p[i].len);
	}
	pgconn_args_init(&a);
	for (c = 0; c < 8; c++)
		arr_arg(&a, &arr[c]);
	if ((r = pg_group_exec("m_put_many", &a)) != NULL) {
		put_many_done(p, n, r);
		PQclear(r);
	}
	arr_free(arr, 8);
	for (i = 0; i < n; i++)
		if (!p[i].ok)
			p[i].ok = pg_mam_put(p[i].domain, p[i].localpart,
			    p[i].with, p[i].res, p[i].direction, p[i].stamp,
			    p[i].xml, p[i].len, p[i].id) == 0;
}

/*
 * A query (common/pgmam.c runs its steps): at once (pg_mam_query, for
 * xmppctl export) or on the archive connection, answered from the
 * event loop.
 */
struct pg_mamq {
	struct pgmam		 j;		/* first: the steps see it */
	int			(*row)(const char *, int64_t, const char *,
				    size_t, void *);
	void			(*done)(const struct mam_fin *, void *);
	void			*arg;
};

static struct pgmam_conn pg_mam_db;	/* the archive queries' own */

static void
mamq_seq(struct pgmam *j, const char *id)
{
	ma(&j->a, j->q.owner.domain, j->q.owner.localpart);
	pgconn_arg_text(&j->a, id);
	j->req.name = "m_seq";
	j->req.sql = NULL;
}

/* SELECT what FROM mam WHERE ...: the step's statement. */
static int
mamq_select(struct pgmam *j, const char *what, int rsm, const char *extra,
    int64_t p9, int64_t p10)
{
	const struct mam_query	*q = &j->q;
	struct mam_bounds	 b;
	char			 where[2048];

	b.after = j->bound[PGMAM_AFTER];
	b.before = j->bound[PGMAM_BEFORE];
	b.rsm_after = j->bound[PGMAM_RSM_AFTER];
	b.rsm_before = j->bound[PGMAM_RSM_BEFORE];
	if (mam_where(where, sizeof(where), q, &b, rsm, extra, '$') == -1 ||
	    pgmam_sql(j, "mam", what, where) == -1)
		return (-1);
	ma(&j->a, q->owner.domain, q->owner.localpart);
	pgconn_arg_text(&j->a, q->with_bare);
	pgconn_arg_text(&j->a, q->with_res);
	pgmam_args(j, p9, p10);
	return (0);
}

static int
mamq_row(struct pgmam *j, const PGresult *r, int i)
{
	struct pg_mamq	*m = (struct pg_mamq *)j;

	return (m->row(PQgetvalue(r, i, 0), pgconn_int(r, i, 1),
	    PQgetvalue(r, i, 2), PQgetlength(r, i, 2), m->arg));
}

static const struct pgmam_ops pg_mam_steps = {
	.seq = mamq_seq,
	.select = mamq_select,
	.cols = "xml",
	.row = mamq_row,
};

static PGresult *
mamq_exec(const char *name, const char *sql, const struct pgconn_args *a)
{
	return (name != NULL ? pg_exec(name, a, 0) : pg_exec_sql(sql, a));
}

static struct pg_mamq *
mamq_new(const struct mam_query *q, int (*row)(const char *, int64_t,
    const char *, size_t, void *), void (*done)(const struct mam_fin *,
    void *), void *arg)
{
	struct pg_mamq	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("%s", __func__);
	pgmam_init(&m->j, &pg_mam_steps, q);
	m->j.limit = q->max <= 0 ? 0 : mam_count_max();
	m->row = row;
	m->done = done;
	m->arg = arg;
	return (m);
}

/* At once, on the store's connection. */
static int
pg_mam_query(const struct mam_query *q, int (*cb)(const char *,
    int64_t, const char *, size_t, void *), void *arg, struct mam_fin *fin)
{
	struct pg_mamq	*m = mamq_new(q, cb, NULL, arg);
	int		 rc;

	rc = pgmam_run(&m->j, mamq_exec);
	*fin = m->j.fin;
	free(m);
	return (rc);
}

static void
mamq_done(struct pgmam *j)
{
	struct pg_mamq	*m = (struct pg_mamq *)j;

	m->done(&j->fin, m->arg);
	free(m);
}

/*
 * Later, on a connection of its own: a long query stalls no login,
 * message or other store call.
 */
static void
pg_mam_query_start(const struct mam_query *q, int (*row)(const char *,
    int64_t, const char *, size_t, void *), void (*done)(const struct
    mam_fin *, void *), void *arg)
{
	/* The other connection sees what is committed. */
	pg_group_end();
	pgmam_start(&mamq_new(q, row, done, arg)->j, &pg_mam_db, mamq_exec,
	    mamq_done);
}

/* Once the store's connection has made the schema. */
void
pg_mam_open(const char **kw, const char **val)
{
	pgmam_open(&pg_mam_db, "store archive", pg_mam_stmts, pg_mam_nstmts,
	    kw, val);
}

void
pg_mam_close(void)
{
	pgmam_close(&pg_mam_db);
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
pg_mam_expire(const char *domain, int64_t before, int64_t *from, int limit)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int64_t		 n = -1;

	ma(&a, domain, NULL);
	pgconn_arg_int(&a, before);
	pgconn_arg_int(&a, limit);
	pgconn_arg_int(&a, *from);
	if ((r = pg_exec("m_expire", &a, 0)) == NULL)
		return (-1);
	if (PQntuples(r) == 1) {
		n = pgconn_int(r, 0, 0);
		*from = pgconn_int(r, 0, 1);
	}
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
	pg_mam_query_start,
	pg_mam_facts,
	pg_mam_put_many,
};
