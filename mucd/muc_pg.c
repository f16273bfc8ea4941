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
 * mucd's PostgreSQL backend ("muc storage postgresql"): mucd connects
 * itself, with its own role, without blocking.  Until the first
 * connection its services refuse stanzas (they do not know their
 * persistent rooms yet).  Later, a server that goes away makes every
 * call fail at once (rooms go on in memory; what would be written is
 * refused or not archived, and logged), and the connection is made
 * again with backoff, logged once per outage.  The schema is versioned
 * as the SQLite one is: a schema_version row per step.
 */

#include <sys/types.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "muc.h"
#include "muc_backend.h"
#include "muc_pg.h"
#include "../xmppd/store_pg.h"

#define MUC_PG_CONNECT_SECS	10
#define MUC_PG_DELAY_MIN	1
#ifndef REGRESS
#define MUC_PG_DELAY_MAX	60
#else
#define MUC_PG_DELAY_MAX	2
#endif
#define MUC_PG_LOCK		"7823045"	/* the schema's advisory lock */

#define MUC_PG_OID_INT8		20
#define MUC_PG_OID_TEXT		25

static PGconn		*pgc;
static int		 muc_pg_isup;
static int		 muc_pg_outage;
static int		 muc_pg_delay = MUC_PG_DELAY_MIN;
static time_t		 muc_pg_deadline;
static struct event	 muc_pg_ev, muc_pg_retry;
static const char	**muc_pg_kw, **muc_pg_val;

static void	 muc_pg_down(const char *);
static void	 muc_pg_poll(int, short, void *);

/* Step n takes version n - 1 to n; never edit a step, append one. */
static const char *const muc_pg_v1[] = {
	"CREATE TABLE rooms (id bigserial PRIMARY KEY, "
	    "service text NOT NULL, name text NOT NULL, "
	    "created bigint NOT NULL, UNIQUE (service, name))",
	"CREATE TABLE room_config (room bigint NOT NULL REFERENCES rooms "
	    "(id) ON DELETE CASCADE, key text NOT NULL, value text NOT NULL, "
	    "PRIMARY KEY (room, key))",
	"CREATE TABLE affiliations (room bigint NOT NULL REFERENCES rooms "
	    "(id) ON DELETE CASCADE, jid text NOT NULL, "
	    "affiliation text NOT NULL, nick text NOT NULL DEFAULT '', "
	    "reason text NOT NULL DEFAULT '', PRIMARY KEY (room, jid))",
	"CREATE TABLE muc_history (id bigserial PRIMARY KEY, "
	    "room bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE, "
	    "stamp bigint NOT NULL, xml text NOT NULL)",
	"CREATE INDEX muc_history_room ON muc_history (room, id)",
	"CREATE INDEX muc_history_stamp ON muc_history (stamp)",
	"CREATE TABLE muc_mam (seq bigserial PRIMARY KEY, "
	    "room bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE, "
	    "id text NOT NULL, stamp bigint NOT NULL, nick text NOT NULL, "
	    "jid text NOT NULL, xml text NOT NULL, UNIQUE (room, id))",
	"CREATE INDEX muc_mam_room ON muc_mam (room, seq)",
	"CREATE INDEX muc_mam_stamp ON muc_mam (stamp)",
	NULL
};

static const char *const *const muc_pg_steps[] = {
	muc_pg_v1,
};

static const struct muc_pg_stmt muc_pg_stmts[] = {
	{ "rooms", "SELECT id, name, created FROM rooms WHERE service = $1" },
	/* The row, new or not: the update only makes RETURNING answer. */
	{ "room_add", "INSERT INTO rooms (service, name, created) VALUES "
	    "($1, $2, $3) ON CONFLICT (service, name) DO UPDATE SET "
	    "service = EXCLUDED.service RETURNING id" },
	{ "room_del", "DELETE FROM rooms WHERE id = $1" },
	{ "cfg_all", "SELECT key, value FROM room_config WHERE room = $1" },
	{ "cfg_get", "SELECT value FROM room_config WHERE room = $1 AND "
	    "key = $2" },
	{ "cfg_put", "INSERT INTO room_config (room, key, value) VALUES "
	    "($1, $2, $3) ON CONFLICT (room, key) DO UPDATE SET "
	    "value = EXCLUDED.value" },
	{ "aff_all", "SELECT jid, affiliation, nick, reason FROM "
	    "affiliations WHERE room = $1" },
	{ "aff_put", "INSERT INTO affiliations (room, jid, affiliation, "
	    "nick, reason) VALUES ($1, $2, $3, $4, $5) ON CONFLICT "
	    "(room, jid) DO UPDATE SET affiliation = EXCLUDED.affiliation, "
	    "nick = EXCLUDED.nick, reason = EXCLUDED.reason" },
	{ "aff_del", "DELETE FROM affiliations WHERE room = $1 AND jid = $2" },
	{ "aff_clear", "DELETE FROM affiliations WHERE room = $1" },
	{ "h_put", "INSERT INTO muc_history (room, stamp, xml) VALUES "
	    "($1, $2, $3) RETURNING id" },
	{ "h_trim", "DELETE FROM muc_history WHERE room = $1 AND id <= $2" },
	{ "h_load", "SELECT id, stamp, xml FROM muc_history WHERE "
	    "room = $1 ORDER BY id DESC LIMIT $2" },
	{ "h_clear", "DELETE FROM muc_history WHERE room = $1" },
	{ "h_expire", "DELETE FROM muc_history WHERE stamp < $1 AND room IN "
	    "(SELECT id FROM rooms WHERE service = $2)" },
};

/* -- parameters and statements ------------------------------------------ */

void
muc_pg_args(struct muc_pg_args *a)
{
	a->n = 0;
}

static int
muc_pg_next(struct muc_pg_args *a, Oid type)
{
	if (a->n >= MUC_PG_MAXARGS)
		fatalx("muc db: too many parameters");
	a->type[a->n] = type;
	a->len[a->n] = 0;
	a->fmt[a->n] = 0;
	return (a->n++);
}

/* Text, NUL-terminated (len 0) or of len bytes (its binary form). */
void
muc_pg_text(struct muc_pg_args *a, const char *s, size_t len)
{
	int	 i = muc_pg_next(a, MUC_PG_OID_TEXT);

	if (len > INT32_MAX)
		fatalx("muc db: parameter too long");
	a->v[i] = s;
	if (s != NULL && len > 0) {
		a->len[i] = len;
		a->fmt[i] = 1;
	}
}

void
muc_pg_int(struct muc_pg_args *a, int64_t v)
{
	int	 i = muc_pg_next(a, MUC_PG_OID_INT8);

	(void)snprintf(a->num[i], sizeof(a->num[i]), "%lld", (long long)v);
	a->v[i] = a->num[i];
}

/* A result, or NULL: logged, and the connection given up if it broke. */
static PGresult *
muc_pg_result(PGresult *r, const char *what)
{
	ExecStatusType	 st = r != NULL ? PQresultStatus(r) :
			    PGRES_FATAL_ERROR;
	const char	*msg;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return (r);
	if (PQstatus(pgc) == CONNECTION_BAD) {
		PQclear(r);
		muc_pg_down(PQerrorMessage(pgc));
		return (NULL);
	}
	/* The primary message alone: the detail may quote values. */
	msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	log_warnx("muc db: %s: %s", what, msg != NULL ? msg :
	    PQerrorMessage(pgc));
	PQclear(r);
	return (NULL);
}

PGresult *
muc_pg_exec(const char *name, const struct muc_pg_args *a)
{
	if (!muc_pg_isup)
		return (NULL);
	return (muc_pg_result(PQexecPrepared(pgc, name, a->n, a->v, a->len,
	    a->fmt, 0), name));
}

/* An SQL text; every parameter typed, used or not. */
PGresult *
muc_pg_sql(const char *sql, const struct muc_pg_args *a)
{
	if (!muc_pg_isup)
		return (NULL);
	if (a == NULL)
		return (muc_pg_result(PQexec(pgc, sql), sql));
	return (muc_pg_result(PQexecParams(pgc, sql, a->n, a->type, a->v,
	    a->len, a->fmt, 0), sql));
}

int
muc_pg_done(const char *name, const struct muc_pg_args *a)
{
	PGresult	*r;

	if ((r = muc_pg_exec(name, a)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

int64_t
muc_pg_value(const PGresult *r, int row, int col)
{
	return (strtoll(PQgetvalue(r, row, col), NULL, 10));
}

int64_t
muc_pg_changes(const PGresult *r)
{
	return (strtoll(PQcmdTuples((PGresult *)r), NULL, 10));
}

static int
muc_pg_run(const char *sql)
{
	PGresult	*r;

	if ((r = muc_pg_sql(sql, NULL)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

/* -- the schema --------------------------------------------------------- */

/* The version recorded, 0 for a database without mucd's schema. */
static int
muc_pg_version(void)
{
	PGresult	*r;
	int		 v = -1;

	if (muc_pg_run("SELECT pg_advisory_xact_lock(" MUC_PG_LOCK ")") ==
	    -1 || muc_pg_run("CREATE TABLE IF NOT EXISTS schema_version "
	    "(version integer PRIMARY KEY, applied bigint NOT NULL)") == -1 ||
	    (r = muc_pg_sql("SELECT coalesce(max(version), 0) FROM "
	    "schema_version", NULL)) == NULL)
		return (-1);
	if (PQntuples(r) == 1)
		v = muc_pg_value(r, 0, 0);
	PQclear(r);
	return (v);
}

static int
muc_pg_step(int v)
{
	struct muc_pg_args	 a;
	PGresult		*r;
	const char *const	*sql;

	for (sql = muc_pg_steps[v - 1]; *sql != NULL; sql++)
		if (muc_pg_run(*sql) == -1)
			return (-1);
	muc_pg_args(&a);
	muc_pg_int(&a, v);
	muc_pg_int(&a, time(NULL));
	if ((r = muc_pg_sql("INSERT INTO schema_version (version, applied) "
	    "VALUES ($1::integer, $2)", &a)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

/*
 * Create or upgrade the schema in one transaction.  A newer one than
 * this mucd knows is never touched: mucd stops.
 */
static int
muc_pg_schema(void)
{
	const int	 newest = nitems(muc_pg_steps);
	int		 v, from;

	if (muc_pg_run("BEGIN") == -1)
		return (-1);
	if ((from = v = muc_pg_version()) == -1)
		goto fail;
	if (v > newest) {
		(void)muc_pg_run("ROLLBACK");
		fatalx("muc db: the PostgreSQL database has schema version "
		    "%d, newer than %d, the newest this mucd knows", v,
		    newest);
	}
	while (v < newest)
		if (muc_pg_step(++v) == -1)
			goto fail;
	if (muc_pg_run("COMMIT") == -1)
		return (-1);
	if (from == 0)
		log_info("muc db: PostgreSQL schema %d created", v);
	else if (from != v)
		log_info("muc db: PostgreSQL schema upgraded from %d to %d",
		    from, v);
	return (0);
 fail:
	(void)muc_pg_run("ROLLBACK");
	return (-1);
}

static int
muc_pg_prepare(const struct muc_pg_stmt *s, size_t n)
{
	PGresult	*r;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if ((r = muc_pg_result(PQprepare(pgc, s[i].name, s[i].sql, 0,
		    NULL), s[i].name)) == NULL)
			return (-1);
		PQclear(r);
	}
	return (0);
}

/* -- the connection ----------------------------------------------------- */

static void
muc_pg_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("muc db: PostgreSQL: %.*s", (int)strcspn(msg, "\n"), msg);
}

/* The server went away: every call fails until it is back. */
static void
muc_pg_down(const char *why)
{
	struct timeval	 tv = { muc_pg_delay, 0 };

	if (event_initialized(&muc_pg_ev))
		event_del(&muc_pg_ev);
	if (!muc_pg_outage)
		log_warnx("muc db: PostgreSQL unavailable: %.*s; trying again "
		    "with backoff", (int)strcspn(why, "\n"), why);
	muc_pg_outage = 1;
	if (pgc != NULL)
		PQfinish(pgc);
	pgc = NULL;
	muc_pg_isup = 0;
	evtimer_add(&muc_pg_retry, &tv);
	if ((muc_pg_delay *= 2) > MUC_PG_DELAY_MAX)
		muc_pg_delay = MUC_PG_DELAY_MAX;
}

/* Idle, the socket tells only of notices, or of the server leaving. */
static void
muc_pg_idle(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (PQconsumeInput(pgc) == 0 || PQstatus(pgc) == CONNECTION_BAD)
		muc_pg_down(PQerrorMessage(pgc));
}

/* Connected: schema, statements; then the socket is watched. */
static int
muc_pg_ready(void)
{
	muc_pg_isup = 1;
	PQsetNoticeProcessor(pgc, muc_pg_notice, NULL);
	if (muc_pg_schema() == -1 ||
	    muc_pg_prepare(muc_pg_stmts, nitems(muc_pg_stmts)) == -1 ||
	    muc_pg_prepare(muc_pg_mam_stmts, muc_pg_mam_nstmts) == -1)
		return (-1);
	if (muc_pg_outage)
		log_warnx("muc db: PostgreSQL reachable again");
	else
		log_info("muc db: connected to PostgreSQL");
	muc_pg_outage = 0;
	muc_pg_delay = MUC_PG_DELAY_MIN;
	event_set(&muc_pg_ev, PQsocket(pgc), EV_READ | EV_PERSIST,
	    muc_pg_idle, NULL);
	event_add(&muc_pg_ev, NULL);
	mucd_db_up();
	return (0);
}

/* The socket may change between steps: wait on the current one. */
static void
muc_pg_wait(PostgresPollingStatusType st)
{
	struct timeval	 tv = { 0, 0 };

	if ((tv.tv_sec = muc_pg_deadline - time(NULL)) <= 0)
		tv.tv_sec = 1;
	event_set(&muc_pg_ev, PQsocket(pgc), st == PGRES_POLLING_READING ?
	    EV_READ : EV_WRITE, muc_pg_poll, NULL);
	event_add(&muc_pg_ev, &tv);
}

static void
muc_pg_poll(int fd, short what, void *arg)
{
	PostgresPollingStatusType	 st;

	(void)fd;
	(void)arg;
	if (what & EV_TIMEOUT) {
		muc_pg_down("connection timed out");
		return;
	}
	switch ((st = PQconnectPoll(pgc))) {
	case PGRES_POLLING_OK:
		if (muc_pg_ready() == -1 && muc_pg_isup)
			fatalx("muc db: cannot set up the PostgreSQL database");
		return;
	case PGRES_POLLING_READING:
	case PGRES_POLLING_WRITING:
		muc_pg_wait(st);
		return;
	default:
		muc_pg_down(PQerrorMessage(pgc));
		return;
	}
}

/* Again, without blocking: the rooms go on meanwhile. */
static void
muc_pg_reconnect(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if ((pgc = PQconnectStartParams(muc_pg_kw, muc_pg_val, 0)) == NULL)
		fatalx("muc db: PostgreSQL: out of memory");
	if (PQstatus(pgc) == CONNECTION_BAD) {
		muc_pg_down(PQerrorMessage(pgc));
		return;
	}
	muc_pg_deadline = time(NULL) + MUC_PG_CONNECT_SECS;
	muc_pg_wait(PGRES_POLLING_WRITING);
}

/*
 * Connecting does not block: mucd is ready at once, and its services
 * refuse stanzas until their rooms are read (mucd_db_up()).
 */
static void
muc_pg_open(const struct global_conf *g)
{
	if (muc_pg_params(g, &muc_pg_kw, &muc_pg_val) == -1)
		fatalx("muc db: the PostgreSQL conninfo does not parse");
	evtimer_set(&muc_pg_retry, muc_pg_reconnect, NULL);
	muc_pg_reconnect(-1, 0, NULL);
}

static int
muc_pg_up(void)
{
	return (muc_pg_isup);
}

static void
muc_pg_close(void)
{
	if (event_initialized(&muc_pg_ev))
		event_del(&muc_pg_ev);
	if (evtimer_initialized(&muc_pg_retry))
		evtimer_del(&muc_pg_retry);
	if (pgc != NULL)
		PQfinish(pgc);
	pgc = NULL;
	muc_pg_isup = 0;
	pgconf_params_free(muc_pg_kw, muc_pg_val);
	muc_pg_kw = muc_pg_val = NULL;
}

static int
muc_pg_begin(void)
{
	return (muc_pg_run("BEGIN"));
}

/* A transaction a statement aborted answers COMMIT with ROLLBACK. */
static int
muc_pg_commit(void)
{
	PGresult	*r;
	int		 ok;

	if ((r = muc_pg_sql("COMMIT", NULL)) == NULL)
		return (-1);
	ok = strcmp(PQcmdStatus(r), "COMMIT") == 0;
	PQclear(r);
	if (!ok)
		log_warnx("muc db: a transaction was rolled back");
	return (ok ? 0 : -1);
}

static void
muc_pg_rollback(void)
{
	(void)muc_pg_run("ROLLBACK");
}

/* -- rooms -------------------------------------------------------------- */

/* A statement of one id parameter, and maybe a text one. */
static PGresult *
muc_pg_of(const char *name, int64_t id, const char *text)
{
	struct muc_pg_args	 a;

	muc_pg_args(&a);
	muc_pg_int(&a, id);
	if (text != NULL)
		muc_pg_text(&a, text, 0);
	return (muc_pg_exec(name, &a));
}

static int
muc_pg_done_of(const char *name, int64_t id, const char *text)
{
	PGresult	*r;

	if ((r = muc_pg_of(name, id, text)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

static int
muc_pg_rooms(const char *svc, void (*cb)(int64_t, const char *, int64_t,
    void *), void *arg)
{
	struct muc_pg_args	 a;
	PGresult		*r;
	int			 i;

	muc_pg_args(&a);
	muc_pg_text(&a, svc, 0);
	if ((r = muc_pg_exec("rooms", &a)) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(r); i++)
		cb(muc_pg_value(r, i, 0), PQgetvalue(r, i, 1),
		    muc_pg_value(r, i, 2), arg);
	PQclear(r);
	return (0);
}

static int64_t
muc_pg_room_add(const char *svc, const char *name, int64_t created)
{
	struct muc_pg_args	 a;
	PGresult		*r;
	int64_t			 id = 0;

	muc_pg_args(&a);
	muc_pg_text(&a, svc, 0);
	muc_pg_text(&a, name, 0);
	muc_pg_int(&a, created);
	if ((r = muc_pg_exec("room_add", &a)) == NULL)
		return (0);
	if (PQntuples(r) == 1)
		id = muc_pg_value(r, 0, 0);
	PQclear(r);
	return (id);
}

static int
muc_pg_room_del(int64_t room)
{
	return (muc_pg_done_of("room_del", room, NULL));
}

static int
muc_pg_cfg_all(int64_t room, void (*cb)(const char *, const char *, void *),
    void *arg)
{
	PGresult	*r;
	int		 i;

	if ((r = muc_pg_of("cfg_all", room, NULL)) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(r); i++)
		cb(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), arg);
	PQclear(r);
	return (0);
}

static char *
muc_pg_cfg_get(int64_t room, const char *key)
{
	PGresult	*r;
	char		*v = NULL;

	if ((r = muc_pg_of("cfg_get", room, key)) == NULL)
		return (NULL);
	if (PQntuples(r) == 1)
		v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return (v);
}

static int
muc_pg_cfg_put(int64_t room, const char *key, const char *value)
{
	struct muc_pg_args	 a;

	muc_pg_args(&a);
	muc_pg_int(&a, room);
	muc_pg_text(&a, key, 0);
	muc_pg_text(&a, value, 0);
	return (muc_pg_done("cfg_put", &a));
}

static int
muc_pg_aff_all(int64_t room, void (*cb)(const char *, const char *,
    const char *, const char *, void *), void *arg)
{
	PGresult	*r;
	int		 i;

	if ((r = muc_pg_of("aff_all", room, NULL)) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(r); i++)
		cb(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		    PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), arg);
	PQclear(r);
	return (0);
}

static int
muc_pg_aff_put(int64_t room, const char *jid, const char *aff,
    const char *nick, const char *reason)
{
	struct muc_pg_args	 a;

	muc_pg_args(&a);
	muc_pg_int(&a, room);
	muc_pg_text(&a, jid, 0);
	muc_pg_text(&a, aff, 0);
	muc_pg_text(&a, nick, 0);
	muc_pg_text(&a, reason, 0);
	return (muc_pg_done("aff_put", &a));
}

static int
muc_pg_aff_del(int64_t room, const char *jid)
{
	return (muc_pg_done_of("aff_del", room, jid));
}

static int
muc_pg_aff_clear(int64_t room)
{
	return (muc_pg_done_of("aff_clear", room, NULL));
}

/* -- discussion history ------------------------------------------------- */

static int64_t
muc_pg_h_put(int64_t room, int64_t stamp, const char *xml, size_t len)
{
	struct muc_pg_args	 a;
	PGresult		*r;
	int64_t			 id = 0;

	muc_pg_args(&a);
	muc_pg_int(&a, room);
	muc_pg_int(&a, stamp);
	muc_pg_text(&a, xml, len);
	if ((r = muc_pg_exec("h_put", &a)) == NULL)
		return (0);
	if (PQntuples(r) == 1)
		id = muc_pg_value(r, 0, 0);
	PQclear(r);
	return (id);
}

static int
muc_pg_h_trim(int64_t room, int64_t upto)
{
	struct muc_pg_args	 a;

	muc_pg_args(&a);
	muc_pg_int(&a, room);
	muc_pg_int(&a, upto);
	return (muc_pg_done("h_trim", &a));
}

static int
muc_pg_h_load(int64_t room, int n, int (*cb)(int64_t, int64_t, const char *,
    size_t, void *), void *arg)
{
	struct muc_pg_args	 a;
	PGresult		*r;
	int			 i;

	muc_pg_args(&a);
	muc_pg_int(&a, room);
	muc_pg_int(&a, n);
	if ((r = muc_pg_exec("h_load", &a)) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(r); i++)
		if (cb(muc_pg_value(r, i, 0), muc_pg_value(r, i, 1),
		    PQgetvalue(r, i, 2), PQgetlength(r, i, 2), arg) == -1)
			break;
	PQclear(r);
	return (0);
}

static int
muc_pg_h_clear(int64_t room)
{
	return (muc_pg_done_of("h_clear", room, NULL));
}

static int
muc_pg_h_expire(const char *svc, int64_t before)
{
	return (muc_pg_done_of("h_expire", before, svc));
}

static const struct muc_history_ops muc_pg_history = {
	.put = muc_pg_h_put,
	.trim = muc_pg_h_trim,
	.load = muc_pg_h_load,
	.clear = muc_pg_h_clear,
	.expire = muc_pg_h_expire,
};

const struct muc_backend muc_pg = {
	.name = "postgresql",
	.open = muc_pg_open,
	.close = muc_pg_close,
	.up = muc_pg_up,
	.begin = muc_pg_begin,
	.commit = muc_pg_commit,
	.rollback = muc_pg_rollback,
	.rooms = muc_pg_rooms,
	.room_add = muc_pg_room_add,
	.room_del = muc_pg_room_del,
	.cfg_all = muc_pg_cfg_all,
	.cfg_get = muc_pg_cfg_get,
	.cfg_put = muc_pg_cfg_put,
	.aff_all = muc_pg_aff_all,
	.aff_put = muc_pg_aff_put,
	.aff_del = muc_pg_aff_del,
	.aff_clear = muc_pg_aff_clear,
	.history = &muc_pg_history,
	.mam = &muc_pg_mam,
};
