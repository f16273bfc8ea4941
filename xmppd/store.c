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
 * The store: owns the database (SQLite in its chroot, the datadir) and
 * answers the router's, the stream processes' and the control process's
 * requests for what is persistent.  Runs SASL for internal accounts.
 */

#include <sys/types.h>

#include <event.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"
#include "store.h"
#include "xmppd.h"

#define STORE_DB		"/xmppd.db"
#define STORE_SCHEMA		1

/*
 * Forward migrations: migrations[n] takes a database from schema n to
 * n + 1.  The tables of schema 1 are created by each part's init.
 */
static const char *store_migrations[STORE_SCHEMA] = {
	NULL,
};

sqlite3	*store_db;

void
store_exec(const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(store_db, sql, NULL, NULL, &err) != SQLITE_OK)
		fatalx("store: %s: %s", sql, err ? err : "error");
}

sqlite3_stmt *
store_prepare(const char *sql)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v3(store_db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL) != SQLITE_OK)
		fatalx("store: %s: %s", sql, sqlite3_errmsg(store_db));
	return (st);
}

/*
 * Every message of one read from a channel runs in one transaction, so
 * that a burst of writes costs one commit; answers leave only after it,
 * when the channel is written.  A part that needs its own all-or-nothing
 * step nests a savepoint in it.
 */
static int	store_in_batch;

static void
store_batch_begin(void)
{
	if (sqlite3_exec(store_db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK)
		store_in_batch = 1;
}

static void
store_batch_end(void)
{
	if (!store_in_batch)
		return;
	store_in_batch = 0;
	if (sqlite3_exec(store_db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		fatalx("store: commit: %s", sqlite3_errmsg(store_db));
}

int
store_begin(void)
{
	return (sqlite3_exec(store_db, store_in_batch ? "SAVEPOINT step" :
	    "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1);
}

int
store_commit(void)
{
	if (sqlite3_exec(store_db, store_in_batch ? "RELEASE step" : "COMMIT",
	    NULL, NULL, NULL) == SQLITE_OK)
		return (0);
	store_rollback();
	return (-1);
}

void
store_rollback(void)
{
	if (store_in_batch)
		(void)sqlite3_exec(store_db, "ROLLBACK TO step; RELEASE step",
		    NULL, NULL, NULL);
	else
		(void)sqlite3_exec(store_db, "ROLLBACK", NULL, NULL, NULL);
}

static int
store_schema(void)
{
	sqlite3_stmt	*st;
	int		 v = 0;

	st = store_prepare("SELECT value FROM meta WHERE key = 'schema'");
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return (v);
}

static void
store_migrate(void)
{
	char	 sql[128];
	int	 v = store_schema();

	if (v == 0) {
		(void)snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES "
		    "('schema', '%d')", STORE_SCHEMA);
		store_exec(sql);
		return;
	}
	if (v > STORE_SCHEMA)
		fatalx("store: the database has schema %d, newer than this "
		    "xmppd's %d", v, STORE_SCHEMA);
	for (; v < STORE_SCHEMA; v++) {
		if (store_begin() == -1)
			fatalx("store: cannot migrate");
		if (store_migrations[v] != NULL)
			store_exec(store_migrations[v]);
		(void)snprintf(sql, sizeof(sql), "UPDATE meta SET value = '%d' "
		    "WHERE key = 'schema'", v + 1);
		store_exec(sql);
		if (store_commit() == -1)
			fatalx("store: cannot migrate to schema %d", v + 1);
		log_info("store: database migrated to schema %d", v + 1);
	}
}

static void
store_open(void)
{
	if (sqlite3_open_v2(STORE_DB, &store_db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		fatalx("store: cannot open %s: %s", STORE_DB,
		    store_db ? sqlite3_errmsg(store_db) : "out of memory");
	sqlite3_busy_timeout(store_db, 5000);
	store_exec("PRAGMA journal_mode=WAL");
	store_exec("PRAGMA synchronous=NORMAL");
	store_exec("PRAGMA foreign_keys=ON");
	store_exec("CREATE TABLE IF NOT EXISTS meta "
	    "(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
	store_migrate();
}

static int
store_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	int	 r;

	if ((r = auth_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = account_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = offline_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = roster_store_dispatch(iev, imsg)) != 1)
		return (r);
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_OK:
	case IMSG_CTL_FAIL:
		/* The router's answer to a session close we asked for. */
		if (iev->type == PROC_ROUTER)
			return (0);
		break;
	}
	return (-1);
}

static void
store_peer_down(struct imsgev *iev)
{
	if (iev->type == PROC_STREAM)
		auth_stream_down(iev->instance);
}

static void
store_config_commit(struct xmppd_config *old, struct xmppd_config *new)
{
	(void)old;
	(void)new;
	auth_reconfigure();
}

static void
store_shutdown(void)
{
	if (store_db != NULL)
		sqlite3_close_v2(store_db);
	store_db = NULL;
}

void
store_main(int instance)
{
	struct proc_self	*ps = &proc_self;

	proc_child_init(PROC_STORE, instance);
	store_open();
	account_init();
	offline_init();
	roster_store_init();
	auth_init();
	/* SQLite opens, creates, locks and removes its journal and WAL. */
	sandbox("stdio rpath wpath cpath flock recvfd");
	ps->dispatch = store_dispatch;
	ps->peer_down = store_peer_down;
	ps->shutdown = store_shutdown;
	ps->config_commit = store_config_commit;
	ps->batch_begin = store_batch_begin;
	ps->batch_end = store_batch_end;
	proc_child_run();
}
