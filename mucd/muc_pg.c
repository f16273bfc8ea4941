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
#include "pgbatch.h"
#include "pgconf.h"

#define MUC_PG_LOCK		"7823045"	/* the schema's advisory lock */

static struct pgconn	 muc_pg_db;

/*
 * A groupchat message makes an archive row and a history row (and
 * trims the history): those of one read from the router share a
 * commit, each undone alone if it fails (common/pgbatch.c).
 */
static struct pgbatch	 muc_pg_batch = { .pc = &muc_pg_db };

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

static const struct pgconn_stmt muc_pg_stmts[] = {
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

/* -- statements on mucd's connection ------------------------------------ */

PGresult *
muc_pg_exec(const char *name, const struct pgconn_args *a)
{
	return (pgbatch_exec(&muc_pg_batch, name, a, 0));
}

PGresult *
muc_pg_sql(const char *sql, const struct pgconn_args *a)
{
	return (pgbatch_sql(&muc_pg_batch, sql, a));
}

int
muc_pg_done(const char *name, const struct pgconn_args *a)
{
	PGresult	*r;

	if ((r = muc_pg_exec(name, a)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

PGresult *
muc_pg_write(const char *name, const struct pgconn_args *a)
{
	return (pgbatch_write(&muc_pg_batch, name, a));
}

void
muc_pg_batch_commit(void)
{
	pgbatch_commit(&muc_pg_batch);
}

static void
muc_pg_batch_begin(void)
{
	pgbatch_begin(&muc_pg_batch);
}

static void
muc_pg_batch_end(void)
{
	pgbatch_end(&muc_pg_batch);
}

/* -- the connection ----------------------------------------------------- */

/*
 * Connected: schema, statements, then the rooms are read.  A newer
 * schema than this mucd knows is never touched: mucd stops.
 */
static int
muc_pg_ready(struct pgconn *pc)
{
	int	 found;

	switch (pgconn_schema(pc, MUC_PG_LOCK, muc_pg_steps,
	    nitems(muc_pg_steps), &found)) {
	case -1:
		return (-1);
	case 1:
		fatalx("muc db: the PostgreSQL database has schema version "
		    "%d, newer than %zu, the newest this mucd knows", found,
		    nitems(muc_pg_steps));
	}
	if (pgconn_prepare(pc, muc_pg_stmts, nitems(muc_pg_stmts)) == -1 ||
	    pgconn_prepare(pc, muc_pg_mam_stmts, muc_pg_mam_nstmts) == -1)
		return (-1);
	muc_pg_mam_open(pc->kw, pc->val);
	mucd_db_up();
	return (0);
}

/*
 * Connecting does not block: mucd is ready at once, and its services
 * refuse stanzas until their rooms are read (mucd_db_up()).
 */
static void
muc_pg_open(const struct global_conf *g)
{
	const char	**kw, **val;

	if (muc_pg_params(g, &kw, &val) == -1)
		fatalx("muc db: the PostgreSQL conninfo does not parse");
	pgconn_open(&muc_pg_db, "muc db", muc_pg_ready, kw, val);
}

static int
muc_pg_up(void)
{
	return (pgconn_up(&muc_pg_db));
}

static void
muc_pg_close(void)
{
	muc_pg_mam_close();
	pgbatch_end(&muc_pg_batch);
	pgconn_close(&muc_pg_db);
	pgconf_params_free(muc_pg_db.kw, muc_pg_db.val);
	muc_pg_db.kw = muc_pg_db.val = NULL;
}

/* All or nothing: after the messages' writes before it. */
static int
muc_pg_begin(void)
{
	pgbatch_commit(&muc_pg_batch);
	if (pgconn_run(&muc_pg_db, "BEGIN") == -1)
		return (-1);
	muc_pg_batch.xact = 1;
	return (0);
}

static int
muc_pg_commit(void)
{
	muc_pg_batch.xact = 0;
	if (pgconn_commit(&muc_pg_db) == 0)
		return (0);
	log_warnx("muc db: a transaction was rolled back");
	return (-1);
}

static void
muc_pg_rollback(void)
{
	muc_pg_batch.xact = 0;
	(void)pgconn_run(&muc_pg_db, "ROLLBACK");
}

/* -- rooms -------------------------------------------------------------- */

/* A statement of one id parameter, and maybe a text one. */
static PGresult *
muc_pg_of(const char *name, int64_t id, const char *text)
{
	struct pgconn_args	 a;

	pgconn_args_init(&a);
	pgconn_arg_int(&a, id);
	if (text != NULL)
		pgconn_arg_text(&a, text);
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
	struct pgconn_args	 a;
	PGresult		*r;
	int			 i;

	pgconn_args_init(&a);
	pgconn_arg_text(&a, svc);
	if ((r = muc_pg_exec("rooms", &a)) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(r); i++)
		cb(pgconn_int(r, i, 0), PQgetvalue(r, i, 1),
		    pgconn_int(r, i, 2), arg);
	PQclear(r);
	return (0);
}

static int64_t
muc_pg_room_add(const char *svc, const char *name, int64_t created)
{
	struct pgconn_args	 a;
	PGresult		*r;
	int64_t			 id = 0;

	pgconn_args_init(&a);
	pgconn_arg_text(&a, svc);
	pgconn_arg_text(&a, name);
	pgconn_arg_int(&a, created);
	if ((r = muc_pg_exec("room_add", &a)) == NULL)
		return (0);
	if (PQntuples(r) == 1)
		id = pgconn_int(r, 0, 0);
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
	struct pgconn_args	 a;

	pgconn_args_init(&a);
	pgconn_arg_int(&a, room);
	pgconn_arg_text(&a, key);
	pgconn_arg_text(&a, value);
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
	struct pgconn_args	 a;

	pgconn_args_init(&a);
	pgconn_arg_int(&a, room);
	pgconn_arg_text(&a, jid);
	pgconn_arg_text(&a, aff);
	pgconn_arg_text(&a, nick);
	pgconn_arg_text(&a, reason);
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
	struct pgconn_args	 a;
	PGresult		*r;
	int64_t			 id = 0;

	pgconn_args_init(&a);
	pgconn_arg_int(&a, room);
	pgconn_arg_int(&a, stamp);
	pgconn_arg_textn(&a, xml, len);
	if ((r = muc_pg_write("h_put", &a)) == NULL)
		return (0);
	if (PQntuples(r) == 1)
		id = pgconn_int(r, 0, 0);
	PQclear(r);
	return (id);
}

static int
muc_pg_h_trim(int64_t room, int64_t upto)
{
	struct pgconn_args	 a;
	PGresult		*r;

	pgconn_args_init(&a);
	pgconn_arg_int(&a, room);
	pgconn_arg_int(&a, upto);
	if ((r = muc_pg_write("h_trim", &a)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

static int
muc_pg_h_load(int64_t room, int n, int (*cb)(int64_t, int64_t, const char *,
    size_t, void *), void *arg)
{
	struct pgconn_args	 a;
	PGresult		*r;
	int			 i;

	pgconn_args_init(&a);
	pgconn_arg_int(&a, room);
	pgconn_arg_int(&a, n);
	if ((r = muc_pg_exec("h_load", &a)) == NULL)
		return (-1);
	for (i = 0; i < PQntuples(r); i++)
		if (cb(pgconn_int(r, i, 0), pgconn_int(r, i, 1),
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
	.batch_begin = muc_pg_batch_begin,
	.batch_end = muc_pg_batch_end,
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
