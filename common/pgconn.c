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
 * One PostgreSQL connection of the store or of mucd: connected without
 * blocking, and again with backoff (a libevent timer) when the server
 * goes away; the schema created or upgraded on each connection.
 */

#include <sys/types.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "log.h"
#include "pgconn.h"

#define PGCONN_CONNECT_SECS	10
#define PGCONN_DELAY_MIN	1
#ifndef REGRESS
#define PGCONN_DELAY_MAX	60
#else
#define PGCONN_DELAY_MAX	2
#endif

#define PGCONN_OID_BYTEA	17
#define PGCONN_OID_INT8		20
#define PGCONN_OID_TEXT		25

static void	 pgconn_down(struct pgconn *, const char *);
static void	 pgconn_poll(int, short, void *);

/* -- parameters --------------------------------------------------------- */

void
pgconn_args_init(struct pgconn_args *a)
{
	a->n = 0;
}

static int
pgconn_arg_next(struct pgconn_args *a, Oid type, const void *v, size_t len,
    int fmt)
{
	int	 i;

	if (a->n >= PGCONN_MAXARGS)
		fatalx("PostgreSQL: too many parameters");
	if (len > INT32_MAX)
		fatalx("PostgreSQL: parameter too long");
	i = a->n++;
	a->v[i] = v;
	a->len[i] = len;
	a->fmt[i] = fmt;
	a->type[i] = type;
	return (i);
}

void
pgconn_arg_text(struct pgconn_args *a, const char *s)
{
	(void)pgconn_arg_next(a, PGCONN_OID_TEXT, s, 0, 0);
}

/* Text of a given length: its binary form is its bytes. */
void
pgconn_arg_textn(struct pgconn_args *a, const char *s, size_t len)
{
	(void)pgconn_arg_next(a, PGCONN_OID_TEXT, s, len, 1);
}

void
pgconn_arg_int(struct pgconn_args *a, int64_t v)
{
	int	 i = pgconn_arg_next(a, PGCONN_OID_INT8, NULL, 0, 0);

	(void)snprintf(a->num[i], sizeof(a->num[i]), "%lld", (long long)v);
	a->v[i] = a->num[i];
}

void
pgconn_arg_bytes(struct pgconn_args *a, const void *p, size_t len)
{
	(void)pgconn_arg_next(a, PGCONN_OID_BYTEA, p, len, 1);
}

/* -- statements --------------------------------------------------------- */

/* A result, or NULL: logged, and the connection given up if it broke. */
static PGresult *
pgconn_check(struct pgconn *pc, PGresult *r, const char *what)
{
	ExecStatusType	 st = r != NULL ? PQresultStatus(r) :
			    PGRES_FATAL_ERROR;
	const char	*msg;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return (r);
	if (PQstatus(pc->conn) == CONNECTION_BAD) {
		PQclear(r);
		pgconn_down(pc, PQerrorMessage(pc->conn));
		return (NULL);
	}
	/* The primary message alone: the detail may quote the values. */
	msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	log_warnx("%s: %s: %s", pc->who, what, msg != NULL ? msg :
	    PQerrorMessage(pc->conn));
	PQclear(r);
	return (NULL);
}

PGresult *
pgconn_exec(struct pgconn *pc, const char *name, const struct pgconn_args *a,
    int binary)
{
	if (pc->state != PGCONN_UP)
		return (NULL);
	return (pgconn_check(pc, PQexecPrepared(pc->conn, name,
	    a ? a->n : 0, a ? a->v : NULL, a ? a->len : NULL,
	    a ? a->fmt : NULL, binary), name));
}

/* An SQL text; every parameter typed, used or not. */
PGresult *
pgconn_sql(struct pgconn *pc, const char *sql, const struct pgconn_args *a)
{
	if (pc->state != PGCONN_UP)
		return (NULL);
	if (a == NULL)
		return (pgconn_check(pc, PQexec(pc->conn, sql), sql));
	return (pgconn_check(pc, PQexecParams(pc->conn, sql, a->n, a->type,
	    a->v, a->len, a->fmt, 0), sql));
}

int
pgconn_run(struct pgconn *pc, const char *sql)
{
	PGresult	*r;

	if ((r = pgconn_sql(pc, sql, NULL)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

int
pgconn_done(struct pgconn *pc, const char *name, const struct pgconn_args *a)
{
	PGresult	*r;

	if ((r = pgconn_exec(pc, name, a, 0)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

/* The first column of the first row, -1 on failure or no row. */
int64_t
pgconn_one(struct pgconn *pc, const char *name, const struct pgconn_args *a)
{
	PGresult	*r;
	int64_t		 n = -1;

	if ((r = pgconn_exec(pc, name, a, 0)) == NULL)
		return (-1);
	if (PQntuples(r) > 0)
		n = pgconn_int(r, 0, 0);
	PQclear(r);
	return (n);
}

int64_t
pgconn_int(const PGresult *r, int row, int col)
{
	return (strtoll(PQgetvalue(r, row, col), NULL, 10));
}

int64_t
pgconn_changes(const PGresult *r)
{
	return (strtoll(PQcmdTuples((PGresult *)r), NULL, 10));
}

int
pgconn_prepare(struct pgconn *pc, const struct pgconn_stmt *s, size_t n)
{
	PGresult	*r;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if ((r = pgconn_check(pc, PQprepare(pc->conn, s[i].name,
		    s[i].sql, 0, NULL), s[i].name)) == NULL)
			return (-1);
		PQclear(r);
	}
	return (0);
}

/* A transaction a statement aborted answers COMMIT with ROLLBACK. */
int
pgconn_commit(struct pgconn *pc)
{
	PGresult	*r;
	int		 ok;

	if ((r = pgconn_sql(pc, "COMMIT", NULL)) == NULL)
		return (-1);
	ok = strcmp(PQcmdStatus(r), "COMMIT") == 0;
	PQclear(r);
	return (ok ? 0 : -1);
}

/* -- the schema --------------------------------------------------------- */

/*
 * The version recorded, 0 for a database without the schema.  A row per
 * step, as SQLite's databases have; a table made with one row and no
 * "applied" column reads the same.
 */
static int
pgconn_version(struct pgconn *pc, const char *lock)
{
	char		 sql[128];
	PGresult	*r;
	int		 v = -1;

	(void)snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%s)",
	    lock);
	if (pgconn_run(pc, sql) == -1 ||
	    pgconn_run(pc, "CREATE TABLE IF NOT EXISTS schema_version "
	    "(version integer PRIMARY KEY, applied bigint NOT NULL)") == -1 ||
	    (r = pgconn_sql(pc, "SELECT coalesce(max(version), 0) FROM "
	    "schema_version", NULL)) == NULL)
		return (-1);
	if (PQntuples(r) == 1)
		v = pgconn_int(r, 0, 0);
	PQclear(r);
	return (v);
}

/* Its steps, and a row saying so. */
static int
pgconn_step(struct pgconn *pc, const char *const *sql, int v)
{
	struct pgconn_args	 a;
	PGresult		*r;

	for (; *sql != NULL; sql++)
		if (pgconn_run(pc, *sql) == -1)
			return (-1);
	/* A table of the first layout: version alone. */
	if (pgconn_run(pc, "ALTER TABLE schema_version ADD COLUMN IF NOT "
	    "EXISTS applied bigint NOT NULL DEFAULT 0") == -1)
		return (-1);
	pgconn_args_init(&a);
	pgconn_arg_int(&a, v);
	pgconn_arg_int(&a, time(NULL));
	if ((r = pgconn_sql(pc, "INSERT INTO schema_version (version, "
	    "applied) VALUES ($1::integer, $2)", &a)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

int
pgconn_schema(struct pgconn *pc, const char *lock,
    const char *const *const *steps, int newest, int *found)
{
	int	 v, from;

	if (pgconn_run(pc, "BEGIN") == -1)
		return (-1);
	if ((from = v = pgconn_version(pc, lock)) == -1)
		goto fail;
	if (v > newest) {
		(void)pgconn_run(pc, "ROLLBACK");
		*found = v;
		return (1);
	}
	while (v < newest) {
		if (pgconn_step(pc, steps[v], v + 1) == -1)
			goto fail;
		v++;
	}
	if (pgconn_commit(pc) == -1)
		return (-1);
	if (from == 0)
		log_info("%s: PostgreSQL schema %d created", pc->who, v);
	else if (from != v)
		log_info("%s: PostgreSQL schema upgraded from %d to %d",
		    pc->who, from, v);
	return (0);
 fail:
	(void)pgconn_run(pc, "ROLLBACK");
	return (-1);
}

/* -- statements sent without waiting ------------------------------------ */

/* Its result, or NULL, to the caller of the statement in flight. */
static void
pgconn_finish(struct pgconn *pc)
{
	struct pgconn_req	*rq = pc->cur;
	PGresult		*r = pc->res;

	pc->cur = NULL;
	pc->res = NULL;
	r = pgconn_check(pc, r, rq->name != NULL ? rq->name : rq->sql);
	rq->done(r, rq->arg);
}

static void
pgconn_flush(int fd, short what, void *arg)
{
	struct pgconn	*pc = arg;
	int		 rc;

	(void)fd;
	(void)what;
	if ((rc = PQflush(pc->conn)) == -1)
		pgconn_down(pc, PQerrorMessage(pc->conn));
	else if (rc == 1)
		event_add(&pc->wev, NULL);
}

/* The next statement out, when none is in flight. */
static void
pgconn_kick(struct pgconn *pc)
{
	struct pgconn_req		*rq;
	const struct pgconn_args	*a;
	int				 ok;

	while (pc->cur == NULL && pc->state == PGCONN_UP &&
	    (rq = TAILQ_FIRST(&pc->reqs)) != NULL) {
		TAILQ_REMOVE(&pc->reqs, rq, entry);
		a = rq->a;
		if (rq->name != NULL)
			ok = PQsendQueryPrepared(pc->conn, rq->name,
			    a ? a->n : 0, a ? a->v : NULL, a ? a->len : NULL,
			    a ? a->fmt : NULL, 0);
		else
			ok = PQsendQueryParams(pc->conn, rq->sql, a ? a->n : 0,
			    a ? a->type : NULL, a ? a->v : NULL,
			    a ? a->len : NULL, a ? a->fmt : NULL, 0);
		pc->cur = rq;
		if (!ok)
			pgconn_finish(pc);
		else
			pgconn_flush(-1, 0, pc);
	}
}

/*
 * Queue a statement; its result comes to rq->done from the event loop,
 * or at once when it cannot be sent.  -1: the connection is down, and
 * done is not called.
 */
int
pgconn_send(struct pgconn *pc, struct pgconn_req *rq)
{
	if (pc->state != PGCONN_UP)
		return (-1);
	if (!PQisnonblocking(pc->conn) && PQsetnonblocking(pc->conn, 1) == -1)
		return (-1);
	TAILQ_INSERT_TAIL(&pc->reqs, rq, entry);
	pgconn_kick(pc);
	return (0);
}

/* What was sent and not answered fails: the connection is gone. */
static void
pgconn_fail_all(struct pgconn *pc)
{
	struct pgconn_req	*rq;

	if (pc->res != NULL)
		PQclear(pc->res);
	pc->res = NULL;
	if ((rq = pc->cur) != NULL) {
		pc->cur = NULL;
		rq->done(NULL, rq->arg);
	}
	while ((rq = TAILQ_FIRST(&pc->reqs)) != NULL) {
		TAILQ_REMOVE(&pc->reqs, rq, entry);
		rq->done(NULL, rq->arg);
	}
}

/* -- the connection ----------------------------------------------------- */

static void
pgconn_notice(void *arg, const char *msg)
{
	struct pgconn	*pc = arg;

	log_debug("%s: PostgreSQL: %.*s", pc->who, (int)strcspn(msg, "\n"),
	    msg);
}

/* The server went away, or could not be reached: try again later. */
static void
pgconn_down(struct pgconn *pc, const char *why)
{
	struct timeval	 tv = { pc->delay, 0 };

	if (event_initialized(&pc->ev))
		event_del(&pc->ev);
	if (event_initialized(&pc->wev))
		event_del(&pc->wev);
	if (!pc->outage && !pc->quiet)
		log_warnx("%s: PostgreSQL unavailable: %.*s; trying again "
		    "with backoff", pc->who, (int)strcspn(why, "\n"), why);
	else
		log_debug("%s: PostgreSQL: %.*s", pc->who,
		    (int)strcspn(why, "\n"), why);
	pc->outage = 1;
	if (pc->conn != NULL)
		PQfinish(pc->conn);
	pc->conn = NULL;
	pc->state = PGCONN_DOWN;
	evtimer_add(&pc->retry, &tv);
	if ((pc->delay *= 2) > PGCONN_DELAY_MAX)
		pc->delay = PGCONN_DELAY_MAX;
	pgconn_fail_all(pc);
}

/*
 * The socket: the results of what was sent; idle, only notices or the
 * server closing.
 */
static void
pgconn_read(int fd, short what, void *arg)
{
	struct pgconn	*pc = arg;
	PGresult	*r;

	(void)fd;
	(void)what;
	if (PQconsumeInput(pc->conn) == 0 ||
	    PQstatus(pc->conn) == CONNECTION_BAD) {
		pgconn_down(pc, PQerrorMessage(pc->conn));
		return;
	}
	while (pc->cur != NULL && !PQisBusy(pc->conn)) {
		if ((r = PQgetResult(pc->conn)) != NULL) {
			if (pc->res == NULL)
				pc->res = r;
			else
				PQclear(r);
			continue;
		}
		pgconn_finish(pc);
		pgconn_kick(pc);
	}
}

static void
pgconn_connected(struct pgconn *pc)
{
	pc->state = PGCONN_UP;
	PQsetNoticeProcessor(pc->conn, pgconn_notice, pc);
	if (pc->ready(pc) == -1) {
		if (pc->state == PGCONN_UP)
			fatalx("%s: cannot set up the PostgreSQL database",
			    pc->who);
		return;
	}
	if (pc->quiet)
		log_debug("%s: connected to PostgreSQL", pc->who);
	else if (pc->outage)
		log_warnx("%s: PostgreSQL reachable again", pc->who);
	else
		log_info("%s: connected to PostgreSQL", pc->who);
	pc->outage = 0;
	pc->delay = PGCONN_DELAY_MIN;
	event_set(&pc->ev, PQsocket(pc->conn), EV_READ | EV_PERSIST,
	    pgconn_read, pc);
	event_add(&pc->ev, NULL);
	event_set(&pc->wev, PQsocket(pc->conn), EV_WRITE, pgconn_flush, pc);
	pgconn_kick(pc);
}

/* The socket may change between steps: another address, or no TLS. */
static void
pgconn_wait(struct pgconn *pc, PostgresPollingStatusType st)
{
	struct timeval	 tv = { 0, 0 };

	if ((tv.tv_sec = pc->deadline - getmonotime()) <= 0)
		tv.tv_sec = 1;
	event_set(&pc->ev, PQsocket(pc->conn), st == PGRES_POLLING_READING ?
	    EV_READ : EV_WRITE, pgconn_poll, pc);
	event_add(&pc->ev, &tv);
}

static void
pgconn_poll(int fd, short what, void *arg)
{
	struct pgconn			*pc = arg;
	PostgresPollingStatusType	 st;

	(void)fd;
	if (what & EV_TIMEOUT) {
		pgconn_down(pc, "connection timed out");
		return;
	}
	switch ((st = PQconnectPoll(pc->conn))) {
	case PGRES_POLLING_OK:
		pgconn_connected(pc);
		return;
	case PGRES_POLLING_READING:
	case PGRES_POLLING_WRITING:
		pgconn_wait(pc, st);
		return;
	default:
		pgconn_down(pc, PQerrorMessage(pc->conn));
		return;
	}
}

static void
pgconn_try(int fd, short what, void *arg)
{
	struct pgconn	*pc = arg;

	(void)fd;
	(void)what;
	if ((pc->conn = PQconnectStartParams(pc->kw, pc->val, 0)) == NULL)
		fatalx("%s: PostgreSQL: out of memory", pc->who);
	if (PQstatus(pc->conn) == CONNECTION_BAD) {
		pgconn_down(pc, PQerrorMessage(pc->conn));
		return;
	}
	pc->state = PGCONN_CONNECTING;
	pc->deadline = getmonotime() + PGCONN_CONNECT_SECS;
	pgconn_wait(pc, PGRES_POLLING_WRITING);
}

/*
 * Connecting does not block: the process goes on meanwhile.  pc starts
 * zeroed, but for quiet.
 */
void
pgconn_open(struct pgconn *pc, const char *who, int (*ready)(struct pgconn *),
    const char **kw, const char **val)
{
	pc->who = who;
	pc->ready = ready;
	pc->kw = kw;
	pc->val = val;
	pc->delay = PGCONN_DELAY_MIN;
	TAILQ_INIT(&pc->reqs);
	evtimer_set(&pc->retry, pgconn_try, pc);
	pgconn_try(-1, 0, pc);
}

void
pgconn_close(struct pgconn *pc)
{
	if (event_initialized(&pc->ev))
		event_del(&pc->ev);
	if (evtimer_initialized(&pc->retry))
		evtimer_del(&pc->retry);
	if (event_initialized(&pc->wev))
		event_del(&pc->wev);
	if (pc->conn != NULL)
		PQfinish(pc->conn);
	pc->conn = NULL;
	pc->state = PGCONN_DOWN;
	pgconn_fail_all(pc);
}

int
pgconn_up(const struct pgconn *pc)
{
	return (pc->state == PGCONN_UP);
}
