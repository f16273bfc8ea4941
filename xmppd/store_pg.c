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
 * The PostgreSQL backend of the store: a connection (common/pgconn.c),
 * made without blocking and made again with backoff when the server goes
 * away; while it is away every call fails at once.  Archive queries have
 * one of their own (store_pg_mam.c).  The schema is created and
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
#include "pgbatch.h"
#include "pgconf.h"
#include "scram.h"
#include "store_backend.h"
#include "store_pg.h"

#define PG_SCHEMA_VERSION	3
#define PG_SCHEMA_LOCK		"7823013"	/* an advisory lock's key */
static struct pgconn	 pg_db;

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

/* Accounts disabled by an administrator, and their last login. */
static const char *pg_schema_v2[] = {
	"CREATE TABLE account_state (domain text NOT NULL, "
	    "localpart text NOT NULL, disabled integer NOT NULL DEFAULT 0, "
	    "reason text NOT NULL DEFAULT '', "
	    "last_login bigint NOT NULL DEFAULT 0, "
	    "last_addr text NOT NULL DEFAULT '', "
	    "PRIMARY KEY (domain, localpart), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	NULL
};

/* Messages of the day set by admins, one per domain. */
static const char *pg_schema_v3[] = {
	"CREATE TABLE motd (domain text PRIMARY KEY, text text NOT NULL, "
	    "set_by text NOT NULL DEFAULT '', "
	    "set_at bigint NOT NULL DEFAULT 0)",
	NULL
};

static const char *const *const pg_schema_steps[PG_SCHEMA_VERSION] = {
	pg_schema_v1,
	pg_schema_v2,
	pg_schema_v3,
};

static const struct pgconn_stmt pg_stmts[] = {
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

/*
 * Archived messages come faster than one commit each: those of one read
 * from the router share a transaction, a savepoint after each write
 * (common/pgbatch.c).  The reads that archiving a message makes between
 * its writes keep the transaction open.
 */
static const char *const pg_group_reads[] = {
	"acc_exists", "m_prefs_get", "m_roster", "x_exists", "m_facts",
	NULL
};
static struct pgbatch	 pg_group = { .pc = &pg_db, .reads = pg_group_reads };

void
pg_group_end(void)
{
	pgbatch_commit(&pg_group);
}

/* An archive write: in the read's transaction, when there is a read. */
PGresult *
pg_group_exec(const char *name, const struct pgconn_args *a)
{
	return (pgbatch_write(&pg_group, name, a));
}

static void
pg_batch_begin(void)
{
	pgbatch_begin(&pg_group);
}

static void
pg_batch_end(void)
{
	pgbatch_end(&pg_group);
}

/* Running statements on the store's connection. */

PGresult *
pg_exec(const char *name, const struct pgconn_args *a, int binary)
{
	return (pgbatch_exec(&pg_group, name, a, binary));
}

PGresult *
pg_exec_sql(const char *sql, const struct pgconn_args *a)
{
	return (pgbatch_sql(&pg_group, sql, a));
}

int
pg_done(const char *name, const struct pgconn_args *a)
{
	PGresult	*r;

	if ((r = pg_exec(name, a, 0)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

int64_t
pg_one(const char *name, const struct pgconn_args *a)
{
	PGresult	*r;
	int64_t		 n = -1;

	if ((r = pg_exec(name, a, 0)) == NULL)
		return (-1);
	if (PQntuples(r) > 0)
		n = pgconn_int(r, 0, 0);
	PQclear(r);
	return (n);
}

static void
pg_args_owner(struct pgconn_args *a, const char *domain, const char *local)
{
	pgconn_args_init(a);
	pgconn_arg_text(a, domain);
	pgconn_arg_text(a, local);
}

/* The connection. */

/*
 * Connected: the schema, created or upgraded, and the statements.  A
 * newer schema than this binary knows is never touched: the store stops.
 */
static int
pg_ready(struct pgconn *pc)
{
	int	 found;

	switch (pgconn_schema(pc, PG_SCHEMA_LOCK, pg_schema_steps,
	    PG_SCHEMA_VERSION, &found)) {
	case -1:
		return (-1);
	case 1:
		fatalx("store: the PostgreSQL database has schema version %d, "
		    "newer than this xmppd's %d: refusing to use it", found,
		    PG_SCHEMA_VERSION);
	}
	if (pgconn_prepare(pc, pg_stmts, nitems(pg_stmts)) == -1 ||
	    pgconn_prepare(pc, pg_xml_stmts, pg_xml_nstmts) == -1 ||
	    pgconn_prepare(pc, pg_mam_stmts, pg_mam_nstmts) == -1 ||
	    pgconn_prepare(pc, pg_state_stmts, pg_state_nstmts) == -1 ||
	    pgconn_prepare(pc, pg_motd_stmts, pg_motd_nstmts) == -1)
		return (-1);
	pg_mam_open(pc->kw, pc->val);
	return (0);
}

static void
pg_open(const struct global_conf *g)
{
	const char	**kw, **val;

	if (pgconf_params(g->storage_conninfo, g->storage_password,
	    g->datadir, g->user, &kw, &val) == -1)
		fatalx("store: the PostgreSQL conninfo does not parse");
	pgconn_open(&pg_db, "store", pg_ready, kw, val);
}

static void
pg_close(void)
{
	/* Writes grouped and not committed yet: said, and committed. */
	if (pg_group.open)
		log_warnx("store: stopping with %d writes not committed yet",
		    pg_group.n);
	pg_group_end();
	pg_mam_close();
	pgconn_close(&pg_db);
	pgconf_params_free(pg_db.kw, pg_db.val);
	pg_db.kw = pg_db.val = NULL;
}

static int
pg_up(void)
{
	return (pgconn_up(&pg_db));
}

/* All or nothing: after the archived messages before it. */
static int
pg_begin(void)
{
	pg_group_end();
	if (pgconn_run(&pg_db, "BEGIN") == -1)
		return (-1);
	pg_group.xact = 1;
	return (0);
}

static void
pg_rollback(void)
{
	pg_group.xact = 0;
	(void)pgconn_run(&pg_db, "ROLLBACK");
}

static int
pg_commit(void)
{
	pg_group.xact = 0;
	return (pgconn_commit(&pg_db));
}

/* Accounts. */

static int
pg_account_insert(const char *domain, const char *local, time_t when)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int		 rc;

	pg_args_owner(&a, domain, local);
	pgconn_arg_int(&a, when);
	if ((r = pg_exec("acc_insert", &a, 0)) == NULL)
		return (-1);
	rc = pgconn_changes(r) == 0;
	PQclear(r);
	return (rc);
}

static int
pg_account_delete(const char *domain, const char *local)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int		 rc;

	pg_args_owner(&a, domain, local);
	if ((r = pg_exec("acc_delete", &a, 0)) == NULL)
		return (-1);
	rc = pgconn_changes(r) > 0;
	PQclear(r);
	return (rc);
}

/* 1 when it exists, 0 when not, -1 when the database cannot say. */
static int
pg_account_exists(const char *domain, const char *local)
{
	struct pgconn_args	 a;
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
	struct pgconn_args	 a;
	PGresult	*r;
	int		 i;

	pgconn_args_init(&a);
	pgconn_arg_text(&a, domain);
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
	struct pgconn_args	 a;
	PGresult	*r;
	const uint8_t	*p;
	size_t		 hl = scram_hashlen(hash);
	int		 n, ret = -1;

	pg_args_owner(&a, domain, local);
	pgconn_arg_int(&a, hash);
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
	struct pgconn_args	 a;
	size_t		 hl = scram_hashlen(k->hash);

	pg_args_owner(&a, domain, local);
	pgconn_arg_int(&a, k->hash);
	pgconn_arg_int(&a, k->iter);
	pgconn_arg_bytes(&a, k->salt, k->saltlen);
	pgconn_arg_bytes(&a, k->stored_key, hl);
	pgconn_arg_bytes(&a, k->server_key, hl);
	return (pg_done("keys_put", &a));
}

/* Offline messages. */

static int
pg_offline_count(const char *domain, const char *local)
{
	struct pgconn_args	 a;

	pg_args_owner(&a, domain, local);
	return (pg_one("off_count", &a));
}

static int
pg_offline_put(const char *domain, const char *local, time_t when,
    const char *xml, size_t len)
{
	struct pgconn_args	 a;

	pg_args_owner(&a, domain, local);
	pgconn_arg_int(&a, when);
	pgconn_arg_textn(&a, xml, len);
	return (pg_done("off_put", &a));
}

static int
pg_offline_take(const char *domain, const char *local,
    void (*cb)(const char *, size_t, void *), void *arg)
{
	struct pgconn_args	 a;
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

/* 0 for a roster never changed; -1 when the database cannot say. */
static int64_t
pg_roster_version(const char *domain, const char *local)
{
	struct pgconn_args	 a;
	PGresult	*r;
	int64_t		 v = 0;

	pg_args_owner(&a, domain, local);
	if ((r = pg_exec("ros_ver", &a, 0)) == NULL)
		return (-1);
	if (PQntuples(r) > 0)
		v = pgconn_int(r, 0, 0);
	PQclear(r);
	return (v < 0 ? 0 : v);
}

static int
pg_roster_set_version(const char *domain, const char *local, int64_t v)
{
	struct pgconn_args	 a;

	pg_args_owner(&a, domain, local);
	pgconn_arg_int(&a, v);
	return (pg_done("ros_setver", &a));
}

static int
pg_roster_items(const char *domain, const char *local,
    void (*cb)(struct roster_item_msg *, const char *, const char *,
    const char *, void *), void *arg)
{
	struct roster_item_msg	 it;
	struct pgconn_args		 a;
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
		it.sub = pgconn_int(r, i, 3);
		it.ask = pgconn_int(r, i, 4);
		it.approved = pgconn_int(r, i, 5);
		it.in_roster = pgconn_int(r, i, 6);
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
	struct pgconn_args	 a;

	pg_args_owner(&a, it->owner.domain, it->owner.localpart);
	pgconn_arg_text(&a, it->contact);
	pgconn_arg_textn(&a, name, it->namelen);
	pgconn_arg_textn(&a, groups, it->groupslen);
	pgconn_arg_int(&a, it->sub);
	pgconn_arg_int(&a, it->ask);
	pgconn_arg_int(&a, it->approved);
	pgconn_arg_int(&a, it->in_roster);
	pgconn_arg_textn(&a, pending, it->pendinglen);
	return (pg_done("ros_put", &a));
}

static int
pg_roster_del(const char *domain, const char *local, const char *contact)
{
	struct pgconn_args	 a;

	pg_args_owner(&a, domain, local);
	pgconn_arg_text(&a, contact);
	return (pg_done("ros_del", &a));
}

const struct store_backend store_pg = {
	"postgresql",
	pg_open,
	pg_close,
	pg_batch_begin,
	pg_batch_end,
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
	.mam_move = pie_pg_move,
	.state = &pg_state,
	.motd = &pg_motd,
};
