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
 * Room archives in PostgreSQL: the muc_mam table, rows numbered by seq
 * (a sequence: several nodes may share it); queries built from fixed
 * text (muc_mam_sql.c), every value a typed parameter, run by the
 * archive query steps the store's archive runs too (common/pgmam.c),
 * on a connection of their own: a slow query stalls no room.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "mam.h"
#include "msg.h"
#include "muc_backend.h"
#include "muc_pg.h"
#include "pgmam.h"

const struct pgconn_stmt muc_pg_mam_stmts[] = {
	/* No row back: the room has the id already. */
	{ "mam_put", "INSERT INTO muc_mam (room, id, stamp, nick, jid, xml) "
	    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (room, id) "
	    "DO NOTHING RETURNING seq" },
	{ "mam_seq", "SELECT seq FROM muc_mam WHERE room = $1 AND id = $2" },
	{ "mam_first", "SELECT id, stamp FROM muc_mam WHERE room = $1 "
	    "ORDER BY seq LIMIT 1" },
	{ "mam_last", "SELECT id, stamp FROM muc_mam WHERE room = $1 "
	    "ORDER BY seq DESC LIMIT 1" },
	{ "mam_expire", "DELETE FROM muc_mam WHERE seq IN (SELECT seq FROM "
	    "muc_mam WHERE stamp < $1 AND room IN (SELECT id FROM rooms "
	    "WHERE service = $2) LIMIT $3)" },
};
const size_t muc_pg_mam_nstmts = nitems(muc_pg_mam_stmts);

static int
muc_pg_mam_put(int64_t room, const char *id, int64_t stamp, const char *nick,
    const char *jid, const char *xml, size_t len)
{
	struct pgconn_args	 a;
	PGresult		*r;
	int			 rc;

	pgconn_args_init(&a);
	pgconn_arg_int(&a, room);
	pgconn_arg_text(&a, id);
	pgconn_arg_int(&a, stamp);
	pgconn_arg_text(&a, nick);
	pgconn_arg_text(&a, jid);
	pgconn_arg_textn(&a, xml, len);
	if ((r = muc_pg_write("mam_put", &a)) == NULL)
		return (-1);
	rc = PQntuples(r) == 1 ? 0 : 1;
	PQclear(r);
	return (rc);
}

/* A query: its steps (pgmam.c), its filter, and who waits for it. */
struct muc_pg_mamq {
	struct pgmam		 j;		/* first: the steps see it */
	int64_t			 room;
	int			 bynick, byjid;	/* q's with_res, with_bare */
	muc_mam_row_cb		 row;
	void			(*done)(const struct mam_fin *, void *);
	void			*arg;
};

static struct pgmam_conn muc_pg_mam_db;	/* the archive queries' own */

static void
muc_pg_mamq_seq(struct pgmam *j, const char *id)
{
	struct muc_pg_mamq	*m = (struct muc_pg_mamq *)j;

	pgconn_args_init(&j->a);
	pgconn_arg_int(&j->a, m->room);
	pgconn_arg_text(&j->a, id);
	j->req.name = "mam_seq";
	j->req.sql = NULL;
}

/* SELECT what FROM muc_mam WHERE ...: the step's statement. */
static int
muc_pg_mamq_select(struct pgmam *j, const char *what, int rsm,
    const char *extra, int64_t p9, int64_t p10)
{
	struct muc_pg_mamq	*m = (struct muc_pg_mamq *)j;
	const struct mam_query	*q = &j->q;
	struct muc_mam_q	 a;
	char			 where[2048];

	memset(&a, 0, sizeof(a));
	a.q = q;
	a.room = m->room;
	a.nick = m->bynick ? q->with_res : NULL;
	a.jid = m->byjid ? q->with_bare : NULL;
	a.after = j->bound[PGMAM_AFTER];
	a.before = j->bound[PGMAM_BEFORE];
	a.rsm_after = j->bound[PGMAM_RSM_AFTER];
	a.rsm_before = j->bound[PGMAM_RSM_BEFORE];
	if (muc_mam_sql_where(where, sizeof(where), &a, rsm, MUC_MAM_ALL,
	    '$') == -1 || strlcat(where, extra, sizeof(where)) >=
	    sizeof(where) || pgmam_sql(j, "muc_mam", what, where) == -1)
		return (-1);
	/* Every parameter typed: those the clause does not use too. */
	pgconn_args_init(&j->a);
	pgconn_arg_int(&j->a, a.room);
	pgconn_arg_int(&j->a, 0);
	pgconn_arg_text(&j->a, a.nick != NULL ? a.nick : "");
	pgconn_arg_text(&j->a, a.jid != NULL ? a.jid : "");
	pgmam_args(j, p9, p10);
	return (0);
}

static int
muc_pg_mamq_row(struct pgmam *j, const PGresult *r, int i)
{
	struct muc_pg_mamq	*m = (struct muc_pg_mamq *)j;

	return (m->row(PQgetvalue(r, i, 0), pgconn_int(r, i, 1),
	    PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetlength(r, i, 3),
	    m->arg));
}

static const struct pgmam_ops muc_pg_mam_steps = {
	.seq = muc_pg_mamq_seq,
	.select = muc_pg_mamq_select,
	.cols = "jid, xml",
	.row = muc_pg_mamq_row,
};

/* At once on mucd's connection, while the archive's is not up. */
static PGresult *
muc_pg_mamq_exec(const char *name, const char *sql,
    const struct pgconn_args *a)
{
	return (name != NULL ? muc_pg_exec(name, a) : muc_pg_sql(sql, a));
}

static void
muc_pg_mamq_done(struct pgmam *j)
{
	struct muc_pg_mamq	*m = (struct muc_pg_mamq *)j;

	m->done(&j->fin, m->arg);
	free(m);
}

static void
muc_pg_mam_query_start(const struct muc_mam_q *a, muc_mam_row_cb row,
    void (*done)(const struct mam_fin *, void *), void *arg)
{
	struct muc_pg_mamq	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("%s", __func__);
	pgmam_init(&m->j, &muc_pg_mam_steps, a->q);
	m->room = a->room;
	m->bynick = a->nick != NULL;
	m->byjid = a->jid != NULL;
	m->row = row;
	m->done = done;
	m->arg = arg;
	/* The other connection sees what is committed. */
	muc_pg_batch_commit();
	pgmam_start(&m->j, &muc_pg_mam_db, muc_pg_mamq_exec,
	    muc_pg_mamq_done);
}

/* Once mucd's connection has made the schema. */
void
muc_pg_mam_open(const char **kw, const char **val)
{
	pgmam_open(&muc_pg_mam_db, "muc archive", muc_pg_mam_stmts,
	    muc_pg_mam_nstmts, kw, val);
}

void
muc_pg_mam_close(void)
{
	pgmam_close(&muc_pg_mam_db);
}

static int
muc_pg_mam_end(int64_t room, int last, struct mam_row *row)
{
	struct pgconn_args	 a;
	PGresult		*r;
	int			 rv = 0;

	memset(row, 0, sizeof(*row));
	pgconn_args_init(&a);
	pgconn_arg_int(&a, room);
	if ((r = muc_pg_exec(last ? "mam_last" : "mam_first", &a)) == NULL)
		return (-1);
	if (PQntuples(r) == 1) {
		if (strlcpy(row->id, PQgetvalue(r, 0, 0), sizeof(row->id)) >=
		    sizeof(row->id))
			rv = -1;
		row->stamp = pgconn_int(r, 0, 1);
	}
	PQclear(r);
	return (rv);
}

static int64_t
muc_pg_mam_expire(const char *svc, int64_t before, int limit)
{
	struct pgconn_args	 a;
	PGresult		*r;
	int64_t			 n;

	pgconn_args_init(&a);
	pgconn_arg_int(&a, before);
	pgconn_arg_text(&a, svc);
	pgconn_arg_int(&a, limit);
	if ((r = muc_pg_exec("mam_expire", &a)) == NULL)
		return (-1);
	n = pgconn_changes(r);
	PQclear(r);
	return (n);
}

const struct muc_mam_ops muc_pg_mam = {
	.put = muc_pg_mam_put,
	.end = muc_pg_mam_end,
	.expire = muc_pg_mam_expire,
	.query_start = muc_pg_mam_query_start,
};
