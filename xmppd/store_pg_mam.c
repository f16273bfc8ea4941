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
	pg_mam_query_start,
};
