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
 * Archive queries on PostgreSQL, the steps the store's and mucd's
 * archives share: the query's ids to seqs, the count, the page's seqs
 * (one more than asked, to know if it is the last), its rows, and the
 * position of its first row.  On a connection of its own a query is
 * sent a step at a time and answered when its rows come, so that a
 * long one (a big archive, a "with" filter) stalls nobody.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "log.h"
#include "mam.h"
#include "msg.h"
#include "pgconn.h"
#include "pgmam.h"

#define PGMAM_RUNNING	64	/* queries in flight */
#ifdef REGRESS
#define PGMAM_GATE_LOCK	"7823099"	/* a test holds it to slow queries */
#endif

static int	 pgmam_running;

void
pgmam_init(struct pgmam *j, const struct pgmam_ops *ops,
    const struct mam_query *q)
{
	memset(j, 0, sizeof(*j));
	j->ops = ops;
	j->q = *q;
	j->fin.index = -1;
	j->fin.status = MAM_ERROR;
}

/* "SELECT what FROM table WHERE where" into the query's statement. */
int
pgmam_sql(struct pgmam *j, const char *table, const char *what,
    const char *where)
{
	if ((size_t)snprintf(j->sql, sizeof(j->sql), "SELECT %s FROM %s "
	    "WHERE %s", what, table, where) >= sizeof(j->sql))
		return (-1);
	j->req.name = NULL;
	j->req.sql = j->sql;
	return (0);
}

/*
 * Parameters 5 on, after the archive's four: start, end, the form's
 * after-id and before-id seqs, p9 and p10, then the ids.
 */
void
pgmam_args(struct pgmam *j, int64_t p9, int64_t p10)
{
	const struct mam_query	*q = &j->q;
	int			 i;

	pgconn_arg_int(&j->a, q->start);
	pgconn_arg_int(&j->a, q->end);
	pgconn_arg_int(&j->a, j->bound[PGMAM_AFTER]);
	pgconn_arg_int(&j->a, j->bound[PGMAM_BEFORE]);
	pgconn_arg_int(&j->a, p9);
	pgconn_arg_int(&j->a, p10);
	for (i = 0; i < q->nids && i < MAM_IDS_MAX; i++)
		pgconn_arg_text(&j->a, q->ids[i]);
}

static const char *
pgmam_id(const struct mam_query *q, int i)
{
	const char	*ids[4] = { q->after_id, q->before_id, q->rsm_after,
			    q->rsm_before };

	return (ids[i]);
}

/*
 * SELECT count(*) of the query's rows (extra after its filter), reading
 * at most limit + 1 of them when the query has a limit: a count past it
 * means "more than limit", and is left out of the answer.
 */
static int
pgmam_count(struct pgmam *j, const char *extra, int64_t p9)
{
	char	 more[128], inner[sizeof(j->sql)];

	if (j->limit <= 0)
		return (j->ops->select(j, "count(*)", 0, extra, p9, 0));
	if ((size_t)snprintf(more, sizeof(more), "%s LIMIT %lld", extra,
	    (long long)j->limit + 1) >= sizeof(more) ||
	    j->ops->select(j, "1", 0, more, p9, 0) == -1)
		return (-1);
	(void)strlcpy(inner, j->sql, sizeof(inner));
	if ((size_t)snprintf(j->sql, sizeof(j->sql), "SELECT count(*) FROM "
	    "(%s) AS c", inner) >= sizeof(j->sql))
		return (-1);
	return (0);
}

/* A count that went past the query's limit: -1, unknown. */
static int64_t
pgmam_counted(const struct pgmam *j, int64_t n)
{
	return (j->limit > 0 && n > j->limit ? -1 : n);
}

/* The step's statement into j->req; 0 when the query is over. */
static int
pgmam_next(struct pgmam *j)
{
	const struct mam_query	*q = &j->q;
	char			 extra[64], cols[64];
	int			 back;

	j->req.a = &j->a;
	switch (j->step) {
	case PGMAM_GATE:
#ifdef PGMAM_GATE_LOCK
		(void)strlcpy(j->sql, "SELECT pg_advisory_xact_lock_shared("
		    PGMAM_GATE_LOCK ")", sizeof(j->sql));
		pgconn_args_init(&j->a);
		j->req.name = NULL;
		j->req.sql = j->sql;
		return (1);
#endif
		j->step = PGMAM_SEQ;
		/* FALLTHROUGH */
	case PGMAM_SEQ:
		while (j->id < 4 && pgmam_id(q, j->id)[0] == '\0')
			j->id++;
		if (j->id < 4) {
			j->ops->seq(j, pgmam_id(q, j->id));
			return (1);
		}
		j->step = PGMAM_COUNT;
		/* FALLTHROUGH */
	case PGMAM_COUNT:
		return (pgmam_count(j, "", 0) == 0);
	case PGMAM_PAGE:
		back = q->rsm_before[0] != '\0' || q->rsm_last;
		(void)snprintf(extra, sizeof(extra), " ORDER BY seq%s LIMIT %d",
		    back ? " DESC" : "", q->max + 1);
		return (j->ops->select(j, "seq", 1, extra,
		    j->bound[PGMAM_RSM_AFTER],
		    j->bound[PGMAM_RSM_BEFORE]) == 0);
	case PGMAM_ROWS:
		/* The page itself, oldest first unless flipped. */
		(void)snprintf(cols, sizeof(cols), "id, stamp, %s",
		    j->ops->cols);
		return (j->ops->select(j, cols, 0, q->flip ?
		    " AND seq >= $9 AND seq <= $10 ORDER BY seq DESC" :
		    " AND seq >= $9 AND seq <= $10 ORDER BY seq", j->lo,
		    j->hi) == 0);
	case PGMAM_INDEX:
		return (pgmam_count(j, q->flip ? " AND seq > $9" :
		    " AND seq < $9", q->flip ? j->hi : j->lo) == 0);
	case PGMAM_DONE:
		break;
	}
	return (0);
}

/* The page's seqs, one more than asked to know if it is the last. */
static int
pgmam_page(struct pgmam *j, const PGresult *r)
{
	int64_t	 seq;
	int	 i, n = 0;

	j->fin.complete = 1;
	for (i = 0; i < PQntuples(r); i++) {
		if (n == j->q.max) {
			j->fin.complete = 0;
			break;
		}
		seq = pgconn_int(r, i, 0);
		if (n == 0 || seq < j->lo)
			j->lo = seq;
		if (n == 0 || seq > j->hi)
			j->hi = seq;
		n++;
	}
	return (n);
}

static void
pgmam_rows(struct pgmam *j, const PGresult *r)
{
	const char	*id;
	int		 i;

	for (i = 0; i < PQntuples(r); i++) {
		id = PQgetvalue(r, i, 0);
		if (i == 0)
			(void)strlcpy(j->fin.first, id, sizeof(j->fin.first));
		(void)strlcpy(j->fin.last, id, sizeof(j->fin.last));
		if (j->ops->row(j, r, i) == -1)
			break;
	}
}

/* What the step's result says; the next step, or PGMAM_DONE. */
static void
pgmam_result(struct pgmam *j, const PGresult *r)
{
	int64_t		 one = 0;

	if (r == NULL) {
		j->fin.status = MAM_ERROR;
		j->step = PGMAM_DONE;
		return;
	}
	if (j->step != PGMAM_PAGE && j->step != PGMAM_ROWS &&
	    PQntuples(r) > 0)
		one = pgconn_int(r, 0, 0);
	switch (j->step) {
	case PGMAM_GATE:
		j->step = PGMAM_SEQ;
		break;
	case PGMAM_SEQ:
		if ((j->bound[j->id++] = one) == 0) {
			j->fin.status = MAM_ITEM_NOT_FOUND;
			j->step = PGMAM_DONE;
		}
		break;
	case PGMAM_COUNT:
		j->fin.count = pgmam_counted(j, one);
		j->step = PGMAM_PAGE;
		if (j->q.max <= 0) {
			/* RSM max 0: the count alone (XEP-0059 2.6). */
			j->fin.complete = one == 0;
			j->fin.status = MAM_OK;
			j->step = PGMAM_DONE;
		}
		break;
	case PGMAM_PAGE:
		j->step = PGMAM_ROWS;
		if (pgmam_page(j, r) == 0) {
			j->fin.status = MAM_OK;
			j->step = PGMAM_DONE;
		}
		break;
	case PGMAM_ROWS:
		pgmam_rows(j, r);
		j->step = PGMAM_INDEX;
		/* At an end of the set, the index needs no count. */
		if ((j->fin.index = mam_index_known(&j->q, j->fin.count,
		    PQntuples(r))) != -2) {
			j->fin.status = MAM_OK;
			j->step = PGMAM_DONE;
		}
		break;
	case PGMAM_INDEX:
		j->fin.index = pgmam_counted(j, one);
		j->fin.status = MAM_OK;
		j->step = PGMAM_DONE;
		break;
	case PGMAM_DONE:
		break;
	}
}

/* Every step at once, with exec; -1 when the query failed. */
int
pgmam_run(struct pgmam *j, pgmam_exec exec)
{
	PGresult	*r;

	j->step = PGMAM_SEQ;
	while (pgmam_next(j)) {
		r = exec(j->req.name, j->req.sql, &j->a);
		pgmam_result(j, r);
		PQclear(r);
	}
	if (j->step != PGMAM_DONE)
		j->fin.status = MAM_ERROR;
	return (j->fin.status == MAM_ERROR ? -1 : 0);
}

static void	 pgmam_sent(PGresult *, void *);

/* The next step on the query's connection, or the answer. */
static void
pgmam_go(struct pgmam *j)
{
	if (pgmam_next(j)) {
		j->req.done = pgmam_sent;
		j->req.arg = j;
		if (pgconn_send(j->pc, &j->req) == 0) {
			log_debug("mam: archive query step %d sent", j->step);
			return;
		}
		j->fin.status = MAM_ERROR;
	} else if (j->step != PGMAM_DONE)
		j->fin.status = MAM_ERROR;
	pgmam_running--;
	j->done(j);
}

static void
pgmam_sent(PGresult *r, void *arg)
{
	struct pgmam	*j = arg;

	pgmam_result(j, r);
	PQclear(r);
	pgmam_go(j);
}

/*
 * Later, on pc, a connection of its own: done is called from the event
 * loop when the rows have come.  Until pc is up (just after start, or
 * after an outage), at once with exec.  Bounded: past PGMAM_RUNNING
 * queries in flight, a query fails at once.  The caller commits first
 * what the query should see: pc sees what is committed.
 */
void
pgmam_start(struct pgmam *j, struct pgmam_conn *mc, pgmam_exec exec,
    void (*done)(struct pgmam *))
{
	struct pgconn	*pc = &mc->pc;

	j->done = done;
	if (!pgconn_up(pc)) {
		(void)pgmam_run(j, exec);
		done(j);
		return;
	}
	j->pc = pc;
	pgmam_running++;
	if (pgmam_running > PGMAM_RUNNING) {
		log_warnx("%s: too many archive queries running", pc->who);
		j->step = PGMAM_DONE;
		j->fin.status = MAM_ERROR;
	}
	pgmam_go(j);
}

static int
pgmam_ready(struct pgconn *pc)
{
	struct pgmam_conn	*mc = (struct pgmam_conn *)pc;

	return (pgconn_prepare(pc, mc->stmts, mc->nstmts));
}

/* Once; the main connection's parameters, which outlive it. */
void
pgmam_open(struct pgmam_conn *mc, const char *who,
    const struct pgconn_stmt *stmts, size_t nstmts, const char **kw,
    const char **val)
{
	if (mc->pc.kw != NULL)
		return;
	mc->stmts = stmts;
	mc->nstmts = nstmts;
	mc->pc.quiet = 1;
	pgconn_open(&mc->pc, who, pgmam_ready, kw, val);
}

void
pgmam_close(struct pgmam_conn *mc)
{
	pgconn_close(&mc->pc);
	mc->pc.kw = mc->pc.val = NULL;
}
