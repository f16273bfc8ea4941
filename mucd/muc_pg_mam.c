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
 * text (muc_mam_sql.c), every value a typed parameter.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "mam.h"
#include "msg.h"
#include "muc_backend.h"
#include "muc_pg.h"

const struct pgconn_stmt muc_pg_mam_stmts[] = {
	/* No row back: the room has the id already. */
	{ "mam_put", "INSERT INTO muc_mam (room, id, stamp, nick, jid, xml) "
	    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (room, id) "
	    "DO NOTHING RETURNING seq" },
	{ "mam_seq", "SELECT seq FROM muc_mam WHERE room = $1 AND id = $2" },
	{ "mam_row", "SELECT id, stamp, jid, xml FROM muc_mam WHERE seq = $1" },
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
	if ((r = muc_pg_exec("mam_put", &a)) == NULL)
		return (-1);
	rc = PQntuples(r) == 1 ? 0 : 1;
	PQclear(r);
	return (rc);
}

static int64_t
muc_pg_mam_seq(int64_t room, const char *id)
{
	struct pgconn_args	 a;
	PGresult		*r;
	int64_t			 seq = 0;

	pgconn_args_init(&a);
	pgconn_arg_int(&a, room);
	pgconn_arg_text(&a, id);
	if ((r = muc_pg_exec("mam_seq", &a)) == NULL)
		return (-1);
	if (PQntuples(r) == 1)
		seq = pgconn_int(r, 0, 0);
	PQclear(r);
	return (seq);
}

/* SELECT what FROM muc_mam WHERE ..., run; NULL when it fails. */
static PGresult *
muc_pg_mam_select(const char *what, const struct muc_mam_q *a, int rsm,
    int cmp, int64_t pivot, const char *tail)
{
	const struct mam_query	*q = a->q;
	struct pgconn_args	 p;
	char			 where[2048], sql[2200];
	int			 i;

	if (muc_mam_sql_where(where, sizeof(where), a, rsm, cmp, '$') == -1 ||
	    snprintf(sql, sizeof(sql), "SELECT %s FROM muc_mam WHERE %s%s",
	    what, where, tail) >= (int)sizeof(sql))
		return (NULL);
	/* Every parameter typed: those the clause does not use too. */
	pgconn_args_init(&p);
	pgconn_arg_int(&p, a->room);
	pgconn_arg_int(&p, 0);
	pgconn_arg_text(&p, a->nick != NULL ? a->nick : "");
	pgconn_arg_text(&p, a->jid != NULL ? a->jid : "");
	pgconn_arg_int(&p, q->start);
	pgconn_arg_int(&p, q->end);
	pgconn_arg_int(&p, a->after);
	pgconn_arg_int(&p, a->before);
	pgconn_arg_int(&p, rsm ? a->rsm_after : pivot);
	pgconn_arg_int(&p, rsm ? a->rsm_before : 0);
	for (i = 0; i < q->nids; i++)
		pgconn_arg_text(&p, q->ids[i]);
	return (muc_pg_sql(sql, &p));
}

static int64_t
muc_pg_mam_count(const struct muc_mam_q *a, int cmp, int64_t pivot)
{
	PGresult	*r;
	int64_t		 n = -1;

	if ((r = muc_pg_mam_select("count(*)", a, 0, cmp, pivot, "")) == NULL)
		return (-1);
	if (PQntuples(r) == 1)
		n = pgconn_int(r, 0, 0);
	PQclear(r);
	return (n);
}

static int
muc_pg_mam_page(const struct muc_mam_q *a, int backward, int max,
    int64_t *seqs, int *more)
{
	PGresult	*r;
	char		 tail[64];
	int		 n, i;

	(void)snprintf(tail, sizeof(tail), " ORDER BY seq%s LIMIT %d",
	    backward ? " DESC" : "", max + 1);
	if ((r = muc_pg_mam_select("seq", a, 1, MUC_MAM_ALL, 0,
	    tail)) == NULL)
		return (-1);
	n = PQntuples(r);
	*more = n > max;
	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		seqs[i] = pgconn_int(r, i, 0);
	PQclear(r);
	return (n);
}

static int
muc_pg_mam_row(int64_t seq, int (*cb)(const char *, int64_t, const char *,
    const char *, size_t, void *), void *arg)
{
	struct pgconn_args	 a;
	PGresult		*r;
	int			 rv = -1;

	pgconn_args_init(&a);
	pgconn_arg_int(&a, seq);
	if ((r = muc_pg_exec("mam_row", &a)) == NULL)
		return (-1);
	if (PQntuples(r) == 1)
		rv = cb(PQgetvalue(r, 0, 0), pgconn_int(r, 0, 1),
		    PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3),
		    PQgetlength(r, 0, 3), arg);
	PQclear(r);
	return (rv);
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
	.seq = muc_pg_mam_seq,
	.count = muc_pg_mam_count,
	.page = muc_pg_mam_page,
	.row = muc_pg_mam_row,
	.end = muc_pg_mam_end,
	.expire = muc_pg_mam_expire,
};
