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
 * The PostgreSQL backend of the store: one connection, made without
 * blocking and made again with backoff when the server goes away; while
 * it is away every call fails at once.  The schema is created and
 * upgraded in one transaction on each connection, its version recorded.
 * Ids come from the database, so that several nodes may share it.
 */

#include <sys/types.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "scram.h"
#include "store_backend.h"
#include "store_pg.h"

#define PG_SCHEMA_VERSION	1
#define PG_SCHEMA_LOCK		"7823013"	/* an advisory lock's key */
#define PG_CONNECT_SECS		10
#define PG_DELAY_MIN		1
#ifndef REGRESS
#define PG_DELAY_MAX		60
#else
#define PG_DELAY_MAX		2
#endif

enum pg_state { PG_DOWN, PG_CONNECTING, PG_UP };

static PGconn		*pg_conn;
static enum pg_state	 pg_state = PG_DOWN;
static struct event	 pg_ev;		/* the socket */
static struct event	 pg_retry;
static time_t		 pg_deadline;
static int		 pg_delay = PG_DELAY_MIN;
static int		 pg_outage;	/* logged once until it ends */
static const char	**pg_kw, **pg_val;

static void	 pg_try(int, short, void *);
static void	 pg_down(const char *);

/*
 * The schema, step by step: step n takes the database from version n - 1
 * to n; a database without one gets all of them.
 */
static const char *pg_schema_v1[] = {
	"CREATE TABLE accounts (domain text NOT NULL, "
	    "localpart text NOT NULL, created bigint NOT NULL, "
	    "PRIMARY KEY (domain, localpart))",
	"CREATE TABLE scram (domain text NOT NULL, localpart text NOT NULL, "
	    "hash integer NOT NULL, iterations integer NOT NULL, "
	    "salt bytea NOT NULL, stored_key bytea NOT NULL, "
	    "server_key bytea NOT NULL, PRIMARY KEY (domain, localpart, hash), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	"CREATE TABLE offline (id bigserial PRIMARY KEY, "
	    "domain text NOT NULL, localpart text NOT NULL, "
	    "stamp bigint NOT NULL, xml text NOT NULL, "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	"CREATE INDEX offline_owner ON offline (domain, localpart, id)",
	"CREATE TABLE roster (domain text NOT NULL, localpart text NOT NULL, "
	    "contact text NOT NULL, name text NOT NULL DEFAULT '', "
	    "groups text NOT NULL DEFAULT '', subscription integer NOT NULL, "
	    "ask integer NOT NULL, approved integer NOT NULL, "
	    "in_roster integer NOT NULL, pending text NOT NULL DEFAULT '', "
	    "PRIMARY KEY (domain, localpart, contact), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	"CREATE TABLE roster_version (domain text NOT NULL, "
	    "localpart text NOT NULL, ver bigint NOT NULL, "
	    "PRIMARY KEY (domain, localpart), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	/* A replaced item takes a new number: it becomes the newest. */
	"CREATE SEQUENCE xmlstore_order",
	"CREATE TABLE xmlstore (domain text NOT NULL, "
	    "localpart text NOT NULL, space text NOT NULL, key text NOT NULL, "
	    "seq bigint NOT NULL DEFAULT nextval('xmlstore_order'), "
	    "xml text NOT NULL, PRIMARY KEY (domain, localpart, space, key), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	"CREATE INDEX xmlstore_seq ON xmlstore (domain, localpart, space, "
	    "seq)",
	"CREATE TABLE mam (seq bigserial PRIMARY KEY, domain text NOT NULL, "
	    "localpart text NOT NULL, id text NOT NULL, stamp bigint NOT NULL, "
	    "with_bare text NOT NULL, with_res text NOT NULL, "
	    "direction integer NOT NULL, xml text NOT NULL, "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	"CREATE INDEX mam_owner ON mam (domain, localpart, seq)",
	"CREATE INDEX mam_with ON mam (domain, localpart, with_bare, seq)",
	"CREATE UNIQUE INDEX mam_id ON mam (domain, localpart, id)",
	"CREATE INDEX mam_stamp ON mam (domain, stamp)",
	"CREATE TABLE mam_prefs (domain text NOT NULL, "
	    "localpart text NOT NULL, dflt integer NOT NULL, "
	    "always text NOT NULL, never text NOT NULL, "
	    "PRIMARY KEY (domain, localpart), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	NULL
};

static const char **pg_schema_steps[PG_SCHEMA_VERSION] = {
	pg_schema_v1,
};

static const struct pg_stmt pg_stmts[] = {
	{ "acc_insert", "INSERT INTO accounts (domain, localpart, created) "
	    "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING" },
	{ "acc_delete", "DELETE FROM accounts WHERE domain = $1 AND "
	    "localpart = $2" },
	{ "acc_exists", "SELECT 1 FROM accounts WHERE domain = $1 AND "
	    "localpart = $2" },
	{ "acc_list", "SELECT localpart FROM accounts WHERE domain = $1 "
	    "ORDER BY localpart" },
	{ "keys_get", "SELECT iterations, salt, stored_key, server_key "
	    "FROM scram WHERE domain = $1 AND localpart = $2 AND hash = $3" },
	{ "keys_put", "INSERT INTO scram (domain, localpart, hash, "
	    "iterations, salt, stored_key, server_key) VALUES ($1, $2, $3, "
	    "$4, $5, $6, $7) ON CONFLICT (domain, localpart, hash) DO UPDATE "
	    "SET iterations = EXCLUDED.iterations, salt = EXCLUDED.salt, "
	    "stored_key = EXCLUDED.stored_key, "
	    "server_key = EXCLUDED.server_key" },
	{ "off_count", "SELECT count(*) FROM offline WHERE domain = $1 AND "
	    "localpart = $2" },
	{ "off_put", "INSERT INTO offline (domain, localpart, stamp, xml) "
	    "VALUES ($1, $2, $3, $4)" },
	/* One statement: what another node adds meanwhile stays. */
	{ "off_take", "WITH d AS (DELETE FROM offline WHERE domain = $1 AND "
	    "localpart = $2 RETURNING id, xml) SELECT xml FROM d ORDER BY id" },
	{ "ros_ver", "SELECT ver FROM roster_version WHERE domain = $1 AND "
	    "localpart = $2" },
	{ "ros_setver", "INSERT INTO roster_version (domain, localpart, ver) "
	    "VALUES ($1, $2, $3) ON CONFLICT (domain, localpart) DO UPDATE "
	    "SET ver = EXCLUDED.ver" },
	{ "ros_items", "SELECT contact, name, groups, subscription, ask, "
	    "approved, in_roster, pending FROM roster WHERE domain = $1 AND "
	    "localpart = $2" },
	{ "ros_put", "INSERT INTO roster (domain, localpart, contact, name, "
	    "groups, subscription, ask, approved, in_roster, pending) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
	    "ON CONFLICT (domain, localpart, contact) DO UPDATE SET "
	    "name = EXCLUDED.name, groups = EXCLUDED.groups, "
	    "subscription = EXCLUDED.subscription, ask = EXCLUDED.ask, "
	    "approved = EXCLUDED.approved, in_roster = EXCLUDED.in_roster, "
	    "pending = EXCLUDED.pending" },
	{ "ros_del", "DELETE FROM roster WHERE domain = $1 AND "
	    "localpart = $2 AND contact = $3" },
};

/* Parameters. */

void
pg_args_init(struct pg_args *a)
{
	a->n = 0;
}

static int
pg_arg_next(struct pg_args *a)
{
	if (a->n >= PG_MAXARGS)
		fatalx("store: too many parameters");
	return (a->n++);
}

void
pg_arg_text(struct pg_args *a, const char *s)
{
	int	 i = pg_arg_next(a);

	a->v[i] = s;
	a->len[i] = 0;
	a->fmt[i] = 0;
	a->type[i] = 25;		/* text */
}

/* Text of a given length: its binary form is its bytes. */
void
pg_arg_textn(struct pg_args *a, const char *s, size_t len)
{
	int	 i = pg_arg_next(a);

	if (len > INT32_MAX)
		fatalx("store: parameter too long");
	a->v[i] = s;
	a->len[i] = len;
	a->fmt[i] = 1;
	a->type[i] = 25;
}

void
pg_arg_int(struct pg_args *a, int64_t v)
{
	int	 i = pg_arg_next(a);

	(void)snprintf(a->num[i], sizeof(a->num[i]), "%lld", (long long)v);
	a->v[i] = a->num[i];
	a->len[i] = 0;
	a->fmt[i] = 0;
	a->type[i] = 20;		/* int8 */
}

void
pg_arg_bytes(struct pg_args *a, const void *p, size_t len)
{
	int	 i = pg_arg_next(a);

	a->v[i] = p;
	a->len[i] = len;
	a->fmt[i] = 1;
	a->type[i] = 17;		/* bytea */
}

/* Running statements. */

static PGresult *
pg_check(PGresult *r, const char *what)
{
	ExecStatusType	 st = r != NULL ? PQresultStatus(r) :
			    PGRES_FATAL_ERROR;
	const char	*msg;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return (r);
	if (PQstatus(pg_conn) == CONNECTION_BAD) {
		PQclear(r);
		pg_down(PQerrorMessage(pg_conn));
		return (NULL);
	}
	/* The primary message alone: the detail may quote the values. */
	msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	log_warnx("store: %s: %s", what, msg != NULL ? msg :
	    PQerrorMessage(pg_conn));
	PQclear(r);
	return (NULL);
}

PGresult *
pg_exec(const char *name, const struct pg_args *a, int binary)
{
	if (pg_state != PG_UP)
		return (NULL);
	return (pg_check(PQexecPrepared(pg_conn, name, a ? a->n : 0,
	    a ? a->v : NULL, a ? a->len : NULL, a ? a->fmt : NULL, binary),
	    name));
}

PGresult *
pg_exec_sql(const char *sql, const struct pg_args *a)
{
	if (pg_state != PG_UP)
		return (NULL);
	if (a == NULL)
		return (pg_check(PQexec(pg_conn, sql), sql));
	return (pg_check(PQexecParams(pg_conn, sql, a->n, a->type, a->v,
	    a->len, a->fmt, 0), sql));
}

int64_t
pg_int(const PGresult *r, int row, int col)
{
	return (strtoll(PQgetvalue(r, row, col), NULL, 10));
}

int64_t
pg_changes(const PGresult *r)
{
	return (strtoll(PQcmdTuples((PGresult *)r), NULL, 10));
}

int
pg_done(const char *name, const struct pg_args *a)
{
	PGresult	*r;

	if ((r = pg_exec(name, a, 0)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

/* The first column of the first row, -1 on failure or no row. */
int64_t
pg_one(const char *name, const struct pg_args *a)
{
	PGresult	*r;
	int64_t		 n = -1;

	if ((r = pg_exec(name, a, 0)) == NULL)
		return (-1);
	if (PQntuples(r) > 0)
		n = pg_int(r, 0, 0);
	PQclear(r);
	return (n);
}

static void
pg_args_owner(struct pg_args *a, const char *domain, const char *local)
{
	pg_args_init(a);
	pg_arg_text(a, domain);
	pg_arg_text(a, local);
}

/* The connection. */

static void
pg_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("store: PostgreSQL: %.*s", (int)strcspn(msg, "\n"), msg);
}

/* The server went away, or could not be reached: try again later. */
static void
pg_down(const char *why)
{
	struct timeval	 tv = { pg_delay, 0 };

	if (event_initialized(&pg_ev))
		event_del(&pg_ev);
	if (!pg_outage)
		log_warnx("store: PostgreSQL unavailable: %.*s; trying again "
		    "with backoff", (int)strcspn(why, "\n"), why);
	else
		log_debug("store: PostgreSQL: %.*s", (int)strcspn(why, "\n"),
		    why);
	pg_outage = 1;
	if (pg_conn != NULL)
		PQfinish(pg_conn);
	pg_conn = NULL;
	pg_state = PG_DOWN;
	evtimer_add(&pg_retry, &tv);
	if ((pg_delay *= 2) > PG_DELAY_MAX)
		pg_delay = PG_DELAY_MAX;
}

/* Idle, the socket says only that the server closed or notices. */
static void
pg_idle(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (PQconsumeInput(pg_conn) == 0 || PQstatus(pg_conn) ==
	    CONNECTION_BAD)
		pg_down(PQerrorMessage(pg_conn));
}

/* Returns the version recorded, 0 for a database without the schema. */
static int
pg_schema_version(void)
{
	PGresult	*r;
	int		 v = -1;

	if ((r = pg_exec_sql("SELECT pg_advisory_xact_lock(" PG_SCHEMA_LOCK
	    ")", NULL)) == NULL)
		return (-1);
	PQclear(r);
	if ((r = pg_exec_sql("CREATE TABLE IF NOT EXISTS schema_version "
	    "(version integer NOT NULL)", NULL)) == NULL)
		return (-1);
	PQclear(r);
	if ((r = pg_exec_sql("SELECT coalesce(max(version), 0) FROM "
	    "schema_version", NULL)) == NULL)
		return (-1);
	if (PQntuples(r) == 1)
		v = pg_int(r, 0, 0);
	PQclear(r);
	return (v);
}

static int
pg_sql(const char *sql)
{
	PGresult	*r;

	if ((r = pg_exec_sql(sql, NULL)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

/*
 * Create or upgrade the schema in one transaction; a newer one than
 * this binary knows is never touched: the store stops.
 */
static int
pg_schema(void)
{
	struct pg_args	 a;
	PGresult	*r;
	const char	**step;
	int		 v, from;

	if (pg_sql("BEGIN") == -1)
		return (-1);
	if ((from = v = pg_schema_version()) == -1)
		goto fail;
	if (v > PG_SCHEMA_VERSION) {
		(void)pg_sql("ROLLBACK");
		fatalx("store: the PostgreSQL database has schema version %d, "
		    "newer than this xmppd's %d: refusing to use it", v,
		    PG_SCHEMA_VERSION);
	}
	for (; v < PG_SCHEMA_VERSION; v++)
		for (step = pg_schema_steps[v]; *step != NULL; step++)
			if (pg_sql(*step) == -1)
				goto fail;
	if (from != v) {
		pg_args_init(&a);
		pg_arg_int(&a, v);
		if ((r = pg_exec_sql(from == 0 ? "INSERT INTO schema_version "
		    "(version) VALUES ($1::integer)" : "UPDATE schema_version "
		    "SET version = $1::integer", &a)) == NULL)
			goto fail;
		PQclear(r);
	}
	if ((r = pg_exec_sql("COMMIT", NULL)) == NULL)
		return (-1);
	if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		PQclear(r);
		return (-1);
	}
	PQclear(r);
	if (from == 0)
		log_info("store: PostgreSQL schema %d created", v);
	else if (from != v)
		log_info("store: PostgreSQL schema upgraded from %d to %d",
		    from, v);
	return (0);
 fail:
	(void)pg_sql("ROLLBACK");
	return (-1);
}

static int
pg_prepare(const struct pg_stmt *s, size_t n)
{
	size_t	 i;

	PGresult	*r;

	for (i = 0; i < n; i++) {
		if ((r = pg_check(PQprepare(pg_conn, s[i].name, s[i].sql, 0,
		    NULL), s[i].name)) == NULL)
			return (-1);
		PQclear(r);
	}
	return (0);
}

static void
pg_connected(void)
{
	pg_state = PG_UP;
	PQsetNoticeProcessor(pg_conn, pg_notice, NULL);
	if (pg_schema() == -1 ||
	    pg_prepare(pg_stmts, nitems(pg_stmts)) == -1 ||
	    pg_prepare(pg_xml_stmts, pg_xml_nstmts) == -1 ||
	    pg_prepare(pg_mam_stmts, pg_mam_nstmts) == -1) {
		if (pg_state == PG_UP)
			fatalx("store: cannot set up the PostgreSQL database");
		return;
	}
	if (pg_outage)
		log_warnx("store: PostgreSQL reachable again");
	else
		log_info("store: connected to PostgreSQL");
	pg_outage = 0;
	pg_delay = PG_DELAY_MIN;
	event_set(&pg_ev, PQsocket(pg_conn), EV_READ | EV_PERSIST, pg_idle,
	    NULL);
	event_add(&pg_ev, NULL);
}

static void	 pg_poll(int, short, void *);

/* The socket may change between steps: another address, or no TLS. */
static void
pg_wait(PostgresPollingStatusType st)
{
	struct timeval	 tv = { 0, 0 };

	tv.tv_sec = pg_deadline - time(NULL);
	if (tv.tv_sec <= 0)
		tv.tv_sec = 1;
	event_set(&pg_ev, PQsocket(pg_conn), st == PGRES_POLLING_READING ?
	    EV_READ : EV_WRITE, pg_poll, NULL);
	event_add(&pg_ev, &tv);
}

static void
pg_poll(int fd, short what, void *arg)
{
	PostgresPollingStatusType	 st;

	(void)fd;
	(void)arg;
	if (what & EV_TIMEOUT) {
		pg_down("connection timed out");
		return;
	}
	switch ((st = PQconnectPoll(pg_conn))) {
	case PGRES_POLLING_OK:
		pg_connected();
		return;
	case PGRES_POLLING_READING:
	case PGRES_POLLING_WRITING:
		pg_wait(st);
		return;
	default:
		pg_down(PQerrorMessage(pg_conn));
		return;
	}
}

static void
pg_try(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if ((pg_conn = PQconnectStartParams(pg_kw, pg_val, 0)) == NULL)
		fatalx("store: PostgreSQL: out of memory");
	if (PQstatus(pg_conn) == CONNECTION_BAD) {
		pg_down(PQerrorMessage(pg_conn));
		return;
	}
	pg_state = PG_CONNECTING;
	pg_deadline = time(NULL) + PG_CONNECT_SECS;
	pg_wait(PGRES_POLLING_WRITING);
}

static void
pg_open(const struct global_conf *g)
{
	if (pgconf_params(g, &pg_kw, &pg_val) == -1)
		fatalx("store: the PostgreSQL conninfo does not parse");
	evtimer_set(&pg_retry, pg_try, NULL);
	pg_try(-1, 0, NULL);
}

static void
pg_close(void)
{
	if (event_initialized(&pg_ev))
		event_del(&pg_ev);
	if (evtimer_initialized(&pg_retry))
		evtimer_del(&pg_retry);
	if (pg_conn != NULL)
		PQfinish(pg_conn);
	pg_conn = NULL;
	pg_state = PG_DOWN;
	pgconf_params_free(pg_kw, pg_val);
	pg_kw = pg_val = NULL;
}

static int
pg_up(void)
{
	return (pg_state == PG_UP);
}

/*
 * Each statement commits by itself: one that fails in a transaction
 * would abort what the batch did before it.  Steps that must be all or
 * nothing use begin and commit.
 */
static void
pg_batch(void)
{
}

static int
pg_begin(void)
{
	return (pg_sql("BEGIN"));
}

static void
pg_rollback(void)
{
	(void)pg_sql("ROLLBACK");
}

/* A transaction a statement aborted answers COMMIT with ROLLBACK. */
static int
pg_commit(void)
{
	PGresult	*r;
	int		 ok;

	if ((r = pg_exec_sql("COMMIT", NULL)) == NULL)
		return (-1);
	ok = strcmp(PQcmdStatus(r), "COMMIT") == 0;
	PQclear(r);
	return (ok ? 0 : -1);
}

/* Accounts. */

static int
pg_account_insert(const char *domain, const char *local, time_t when)
{
	struct pg_args	 a;
	PGresult	*r;
	int		 rc;

	pg_args_owner(&a, domain, local);
	pg_arg_int(&a, when);
	if ((r = pg_exec("acc_insert", &a, 0)) == NULL)
		return (-1);
	rc = pg_changes(r) == 0;
	PQclear(r);
	return (rc);
}

static int
pg_account_delete(const char *domain, const char *local)
{
	struct pg_args	 a;
	PGresult	*r;
	int		 rc;

	pg_args_owner(&a, domain, local);
	if ((r = pg_exec("acc_delete", &a, 0)) == NULL)
		return (-1);
	rc = pg_changes(r) > 0;
	PQclear(r);
	return (rc);
}

/* 1 when it exists, 0 when not, -1 when the database cannot say. */
static int
pg_account_exists(const char *domain, const char *local)
{
	struct pg_args	 a;
	PGresult	*r;
	int		 found;

	pg_args_owner(&a, domain, local);
	if ((r = pg_exec("acc_exists", &a, 0)) == NULL)
		return (-1);
	found = PQntuples(r) > 0;
	PQclear(r);
	return (found);
}

static int
pg_account_list(const char *domain, void (*cb)(const char *, void *),
    void *arg)
{
	struct pg_args	 a;
	PGresult	*r;
	int		 i;

	pg_args_init(&a);
	pg_arg_text(&a, domain);
	if ((r = pg_exec("acc_list", &a, 0)) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(r); i++)
		cb(PQgetvalue(r, i, 0), arg);
	PQclear(r);
	return (0);
}

/* Binary results: the integer in network order, the keys as bytes. */
static int
pg_keys_get(const char *domain, const char *local, int hash,
    struct scram_keys *k)
{
	struct pg_args	 a;
	PGresult	*r;
	const uint8_t	*p;
	size_t		 hl = scram_hashlen(hash);
	int		 n, ret = -1;

	pg_args_owner(&a, domain, local);
	pg_arg_int(&a, hash);
	if ((r = pg_exec("keys_get", &a, 1)) == NULL)
		return (-1);
	if (PQntuples(r) != 1 || PQgetlength(r, 0, 0) != 4)
		goto out;
	memset(k, 0, sizeof(*k));
	k->hash = hash;
	p = (const uint8_t *)PQgetvalue(r, 0, 0);
	k->iter = (int)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
	n = PQgetlength(r, 0, 1);
	if (n <= 0 || n > SCRAM_SALTMAX ||
	    PQgetlength(r, 0, 2) != (int)hl ||
	    PQgetlength(r, 0, 3) != (int)hl)
		goto out;
	memcpy(k->salt, PQgetvalue(r, 0, 1), n);
	k->saltlen = n;
	memcpy(k->stored_key, PQgetvalue(r, 0, 2), hl);
	memcpy(k->server_key, PQgetvalue(r, 0, 3), hl);
	ret = 0;
 out:
	PQclear(r);
	return (ret);
}

static int
pg_keys_put(const char *domain, const char *local,
    const struct scram_keys *k)
{
	struct pg_args	 a;
	size_t		 hl = scram_hashlen(k->hash);

	pg_args_owner(&a, domain, local);
	pg_arg_int(&a, k->hash);
	pg_arg_int(&a, k->iter);
	pg_arg_bytes(&a, k->salt, k->saltlen);
	pg_arg_bytes(&a, k->stored_key, hl);
	pg_arg_bytes(&a, k->server_key, hl);
	return (pg_done("keys_put", &a));
}

/* Offline messages. */

static int
pg_offline_count(const char *domain, const char *local)
{
	struct pg_args	 a;

	pg_args_owner(&a, domain, local);
	return (pg_one("off_count", &a));
}

static int
pg_offline_put(const char *domain, const char *local, time_t when,
    const char *xml, size_t len)
{
	struct pg_args	 a;

	pg_args_owner(&a, domain, local);
	pg_arg_int(&a, when);
	pg_arg_textn(&a, xml, len);
	return (pg_done("off_put", &a));
}

static int
pg_offline_take(const char *domain, const char *local,
    void (*cb)(const char *, size_t, void *), void *arg)
{
	struct pg_args	 a;
	PGresult	*r;
	int		 i;

	pg_args_owner(&a, domain, local);
	if ((r = pg_exec("off_take", &a, 0)) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(r); i++)
		cb(PQgetvalue(r, i, 0), PQgetlength(r, i, 0), arg);
	PQclear(r);
	return (0);
}

/* Rosters. */

static int64_t
pg_roster_version(const char *domain, const char *local)
{
	struct pg_args	 a;
	int64_t		 v;

	pg_args_owner(&a, domain, local);
	v = pg_one("ros_ver", &a);
	return (v < 0 ? 0 : v);
}

static int
pg_roster_set_version(const char *domain, const char *local, int64_t v)
{
	struct pg_args	 a;

	pg_args_owner(&a, domain, local);
	pg_arg_int(&a, v);
	return (pg_done("ros_setver", &a));
}

static int
pg_roster_items(const char *domain, const char *local,
    void (*cb)(struct roster_item_msg *, const char *, const char *,
    const char *, void *), void *arg)
{
	struct roster_item_msg	 it;
	struct pg_args		 a;
	PGresult		*r;
	int			 i;

	pg_args_owner(&a, domain, local);
	if ((r = pg_exec("ros_items", &a, 0)) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(r); i++) {
		memset(&it, 0, sizeof(it));
		(void)strlcpy(it.contact, PQgetvalue(r, i, 0),
		    sizeof(it.contact));
		it.namelen = PQgetlength(r, i, 1);
		it.groupslen = PQgetlength(r, i, 2);
		it.sub = pg_int(r, i, 3);
		it.ask = pg_int(r, i, 4);
		it.approved = pg_int(r, i, 5);
		it.in_roster = pg_int(r, i, 6);
		it.pendinglen = PQgetlength(r, i, 7);
		cb(&it, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		    PQgetvalue(r, i, 7), arg);
	}
	PQclear(r);
	return (0);
}

static int
pg_roster_put(const struct roster_item_msg *it, const char *name,
    const char *groups, const char *pending)
{
	struct pg_args	 a;

	pg_args_owner(&a, it->owner.domain, it->owner.localpart);
	pg_arg_text(&a, it->contact);
	pg_arg_textn(&a, name, it->namelen);
	pg_arg_textn(&a, groups, it->groupslen);
	pg_arg_int(&a, it->sub);
	pg_arg_int(&a, it->ask);
	pg_arg_int(&a, it->approved);
	pg_arg_int(&a, it->in_roster);
	pg_arg_textn(&a, pending, it->pendinglen);
	return (pg_done("ros_put", &a));
}

static int
pg_roster_del(const char *domain, const char *local, const char *contact)
{
	struct pg_args	 a;

	pg_args_owner(&a, domain, local);
	pg_arg_text(&a, contact);
	return (pg_done("ros_del", &a));
}

const struct store_backend store_pg = {
	"postgresql",
	pg_open,
	pg_close,
	pg_batch,
	pg_batch,
	pg_begin,
	pg_commit,
	pg_rollback,
	pg_account_insert,
	pg_account_delete,
	pg_account_exists,
	pg_account_list,
	pg_keys_get,
	pg_keys_put,
	pg_offline_count,
	pg_offline_put,
	pg_offline_take,
	pg_roster_version,
	pg_roster_set_version,
	pg_roster_items,
	pg_roster_put,
	pg_roster_del,
	.xml = &pg_xml,
	.mam = &pg_mam,
	.up = pg_up,
};
