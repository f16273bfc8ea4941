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
 * The SQLite backend of the store: one database file in the datadir (the
 * store's chroot), in WAL mode, its schema versioned and migrated forward.
 */

#include <sys/types.h>

#include <event.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dbutil.h"
#include "log.h"
#include "msg.h"
#include "scram.h"
#include "store_backend.h"
#include "store_sqlite.h"

#define SQLITE_DB	"/xmppd.db"

/*
 * The WAL is copied into the database every 30 s when it holds commits,
 * or at 64 MiB under a heavy load: not every 4 MiB, SQLite's default,
 * which under an archiving load copied the same index pages over and
 * over.  With synchronous=NORMAL a commit is safe from a crash of the
 * store at once, and from a power loss once checkpointed: within 30 s.
 */
#define SQLITE_WAL_PAGES	16384
#ifndef REGRESS
#define SQLITE_CHECKPOINT_SECS	30
#else
#define SQLITE_CHECKPOINT_SECS	2
#endif

/*
 * SQLite's own checkpoint runs inside the commit that takes the WAL past
 * its limit and copies the whole WAL: 16384 pages took 80 to 350 ms
 * (two fsyncs and the pages), during which the messages of that commit
 * and every one behind it waited.  Instead the commit only notes it, and
 * a passive checkpoint runs at the next turn of the event loop, outside
 * any transaction, after the commit's answers have left.  An archive
 * expiry writes some 3 pages a row deleted, 16384 every second or two:
 * while one runs (sqlite_expiring), the checkpoint comes every
 * SQLITE_CKPT_FRAMES pages, some 50 ms each, so that no message waits
 * for a long one.  Past twice SQLITE_WAL_PAGES (the event loop never
 * found the time) the commit checkpoints itself, as SQLite would.
 */
#define SQLITE_CKPT_FRAMES	4096

static sqlite3		*db;
static int		 in_batch;
static struct event	 sqlite_ckev, sqlite_ckev_now;
static time_t		 sqlite_expired;	/* the last expiry chunk */

/* Schema step 1: the tables of the store's first version. */
static const char *const sqlite_tables[] = {
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, "
	    "value TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS accounts (domain TEXT NOT NULL, "
	    "localpart TEXT NOT NULL, created INTEGER NOT NULL, "
	    "PRIMARY KEY (domain, localpart))",
	"CREATE TABLE IF NOT EXISTS scram (domain TEXT NOT NULL, "
	    "localpart TEXT NOT NULL, hash INTEGER NOT NULL, "
	    "iterations INTEGER NOT NULL, salt BLOB NOT NULL, "
	    "stored_key BLOB NOT NULL, server_key BLOB NOT NULL, "
	    "PRIMARY KEY (domain, localpart, hash), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	"CREATE TABLE IF NOT EXISTS offline (id INTEGER PRIMARY KEY "
	    "AUTOINCREMENT, domain TEXT NOT NULL, localpart TEXT NOT NULL, "
	    "stamp INTEGER NOT NULL, xml TEXT NOT NULL, "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	"CREATE INDEX IF NOT EXISTS offline_owner ON offline "
	    "(domain, localpart, id)",
	"CREATE TABLE IF NOT EXISTS roster (domain TEXT NOT NULL, "
	    "localpart TEXT NOT NULL, contact TEXT NOT NULL, "
	    "name TEXT NOT NULL DEFAULT '', groups TEXT NOT NULL DEFAULT '', "
	    "subscription INTEGER NOT NULL, ask INTEGER NOT NULL, "
	    "approved INTEGER NOT NULL, in_roster INTEGER NOT NULL, "
	    "pending TEXT NOT NULL DEFAULT '', "
	    "PRIMARY KEY (domain, localpart, contact), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	/* Per-user XML items: private XML, vCards, PEP (store_xml.c). */
	"CREATE TABLE IF NOT EXISTS xmlstore (domain TEXT NOT NULL, "
	    "localpart TEXT NOT NULL, space TEXT NOT NULL, key TEXT NOT NULL, "
	    "seq INTEGER NOT NULL, xml TEXT NOT NULL, "
	    "PRIMARY KEY (domain, localpart, space, key), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	"CREATE INDEX IF NOT EXISTS xmlstore_seq ON xmlstore "
	    "(domain, localpart, space, seq)",
	/*
	 * Message archives (store_sqlite_mam.c): seq orders them; the
	 * indexes serve an account's pages, its pages with one contact
	 * (stamp in both, to filter by time without reading rows), ids,
	 * and expiry by age.
	 */
	"CREATE TABLE IF NOT EXISTS mam (seq INTEGER PRIMARY KEY "
	    "AUTOINCREMENT, domain TEXT NOT NULL, localpart TEXT NOT NULL, "
	    "id TEXT NOT NULL, stamp INTEGER NOT NULL, with_bare TEXT NOT "
	    "NULL, with_res TEXT NOT NULL, direction INTEGER NOT NULL, "
	    "xml TEXT NOT NULL, FOREIGN KEY (domain, localpart) REFERENCES "
	    "accounts ON DELETE CASCADE)",
	"CREATE INDEX IF NOT EXISTS mam_owner ON mam (domain, localpart, "
	    "seq, stamp)",
	"CREATE INDEX IF NOT EXISTS mam_with ON mam (domain, localpart, "
	    "with_bare, seq, stamp)",
	"CREATE UNIQUE INDEX IF NOT EXISTS mam_id ON mam (domain, "
	    "localpart, id)",
	"CREATE INDEX IF NOT EXISTS mam_stamp ON mam (domain, stamp)",
	"CREATE TABLE IF NOT EXISTS mam_prefs (domain TEXT NOT NULL, "
	    "localpart TEXT NOT NULL, dflt INTEGER NOT NULL, "
	    "always TEXT NOT NULL, never TEXT NOT NULL, "
	    "PRIMARY KEY (domain, localpart), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	"CREATE TABLE IF NOT EXISTS roster_version (domain TEXT NOT NULL, "
	    "localpart TEXT NOT NULL, ver INTEGER NOT NULL, "
	    "PRIMARY KEY (domain, localpart), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	NULL
};

/*
 * The store's schema, one step per version (see dbutil.h): a change
 * of schema is a step appended here, never an edit of an earlier one.
 */
/* Step 2: accounts disabled by an administrator, and their last login. */
static const char *const sqlite_tables_2[] = {
	"CREATE TABLE account_state (domain TEXT NOT NULL, "
	    "localpart TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, "
	    "reason TEXT NOT NULL DEFAULT '', "
	    "last_login INTEGER NOT NULL DEFAULT 0, "
	    "last_addr TEXT NOT NULL DEFAULT '', "
	    "PRIMARY KEY (domain, localpart), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)",
	NULL
};

/* Step 3: messages of the day set by admins, one per domain. */
static const char *const sqlite_tables_3[] = {
	"CREATE TABLE motd (domain TEXT PRIMARY KEY, text TEXT NOT NULL, "
	    "set_by TEXT NOT NULL DEFAULT '', "
	    "set_at INTEGER NOT NULL DEFAULT 0)",
	NULL
};

static const struct dbu_step sqlite_steps[] = {
	{ sqlite_tables, NULL },
	{ sqlite_tables_2, NULL },
	{ sqlite_tables_3, NULL },
};

enum {
	Q_ACC_INSERT, Q_ACC_DELETE, Q_ACC_EXISTS, Q_ACC_LIST,
	Q_KEYS_GET, Q_KEYS_PUT,
	Q_OFF_COUNT, Q_OFF_PUT, Q_OFF_GET, Q_OFF_DEL,
	Q_ROS_VER, Q_ROS_SETVER, Q_ROS_ITEMS, Q_ROS_PUT, Q_ROS_DEL,
	Q_MAX
};

static const char *sqlite_sql[Q_MAX] = {
	[Q_ACC_INSERT] = "INSERT INTO accounts (domain, localpart, created) "
	    "VALUES (?, ?, ?)",
	[Q_ACC_DELETE] = "DELETE FROM accounts WHERE domain = ? AND "
	    "localpart = ?",
	[Q_ACC_EXISTS] = "SELECT 1 FROM accounts WHERE domain = ? AND "
	    "localpart = ?",
	[Q_ACC_LIST] = "SELECT localpart FROM accounts WHERE domain = ? "
	    "ORDER BY localpart",
	[Q_KEYS_GET] = "SELECT iterations, salt, stored_key, server_key "
	    "FROM scram WHERE domain = ? AND localpart = ? AND hash = ?",
	[Q_KEYS_PUT] = "INSERT OR REPLACE INTO scram (domain, localpart, "
	    "hash, iterations, salt, stored_key, server_key) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)",
	[Q_OFF_COUNT] = "SELECT count(*) FROM offline WHERE domain = ? AND "
	    "localpart = ?",
	[Q_OFF_PUT] = "INSERT INTO offline (domain, localpart, stamp, xml) "
	    "VALUES (?, ?, ?, ?)",
	[Q_OFF_GET] = "SELECT xml FROM offline WHERE domain = ? AND "
	    "localpart = ? ORDER BY id",
	[Q_OFF_DEL] = "DELETE FROM offline WHERE domain = ? AND "
	    "localpart = ?",
	[Q_ROS_VER] = "SELECT ver FROM roster_version WHERE domain = ? AND "
	    "localpart = ?",
	[Q_ROS_SETVER] = "INSERT OR REPLACE INTO roster_version (domain, "
	    "localpart, ver) VALUES (?, ?, ?)",
	[Q_ROS_ITEMS] = "SELECT contact, name, groups, subscription, ask, "
	    "approved, in_roster, pending FROM roster WHERE domain = ? AND "
	    "localpart = ?",
	[Q_ROS_PUT] = "INSERT OR REPLACE INTO roster (domain, localpart, "
	    "contact, name, groups, subscription, ask, approved, in_roster, "
	    "pending) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[Q_ROS_DEL] = "DELETE FROM roster WHERE domain = ? AND "
	    "localpart = ? AND contact = ?",
};

static sqlite3_stmt	*st[Q_MAX];

static void
sqlite_exec(const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fatalx("store: %s: %s", sql, err ? err : "error");
}

/* A prepared statement, reset and bound to (domain, localpart). */
static sqlite3_stmt *
q(int which, const char *domain, const char *local)
{
	sqlite3_stmt	*s = st[which];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, local, -1, SQLITE_TRANSIENT);
	return (s);
}

/* The first column of the one row s returns, or -1. */
int64_t
sqlite_one(sqlite3_stmt *s)
{
	int64_t	 n = -1;

	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return (n);
}

int
sqlite_done(sqlite3_stmt *s)
{
	int	 rc = sqlite3_step(s);

	sqlite3_reset(s);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* A passive checkpoint, outside a transaction; what it copied logged. */
static void
sqlite_checkpoint_now(int fd, short event, void *arg)
{
	static int	 last_frames, last_done;
	int		 frames, done;

	(void)fd;
	(void)event;
	(void)arg;
	if (db == NULL || in_batch)
		return;
	if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    &frames, &done) != SQLITE_OK)
		log_warnx("store: checkpoint: %s", sqlite3_errmsg(db));
	else if (done > 0 && (frames != last_frames || done != last_done)) {
		log_debug("store: WAL checkpointed (%d frames)", done);
		last_frames = frames;
		last_done = done;
	}
}

/* Every SQLITE_CHECKPOINT_SECS, for what commits left below the bound. */
static void
sqlite_checkpoint(int fd, short event, void *arg)
{
	struct timeval	 tv = { SQLITE_CHECKPOINT_SECS, 0 };

	sqlite_checkpoint_now(fd, event, arg);
	evtimer_add(&sqlite_ckev, &tv);
}

/* After each commit: n pages in the WAL. */
static int
sqlite_wal_hook(void *arg, sqlite3 *d, const char *name, int n)
{
	struct timeval	 tv = { 0, 0 };
	int		 limit = SQLITE_WAL_PAGES;

	(void)arg;
	if (time(NULL) - sqlite_expired <= 1)
		limit = SQLITE_CKPT_FRAMES;
	if (n >= 2 * SQLITE_WAL_PAGES)
		(void)sqlite3_wal_checkpoint_v2(d, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	else if (n >= limit && !evtimer_pending(&sqlite_ckev_now, NULL))
		evtimer_add(&sqlite_ckev_now, &tv);
	return (SQLITE_OK);
}

/* An archive expiry deletes: checkpoints in smaller pieces a while. */
void
sqlite_expiring(void)
{
	sqlite_expired = time(NULL);
}

static void
sqlite_open(const struct global_conf *g)
{
	struct timeval	 tv = { SQLITE_CHECKPOINT_SECS, 0 };
	char		 path[CONF_PATHLEN + sizeof(SQLITE_DB)];
	size_t		 i;

	if (sqlite3_open_v2(SQLITE_DB, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		fatalx("store: cannot open %s: %s", SQLITE_DB,
		    db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_busy_timeout(db, 5000);
	sqlite_exec("PRAGMA journal_mode=WAL");
	sqlite_exec("PRAGMA synchronous=NORMAL");
	sqlite_exec("PRAGMA foreign_keys=ON");
	/* The file as the admin sees it, outside the store's chroot. */
	(void)snprintf(path, sizeof(path), "%s%s", g->datadir, SQLITE_DB);
	dbu_schema(db, path, "store", sqlite_steps, nitems(sqlite_steps));
	for (i = 0; i < Q_MAX; i++)
		if (sqlite3_prepare_v3(db, sqlite_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st[i], NULL) != SQLITE_OK)
			fatalx("store: %s: %s", sqlite_sql[i],
			    sqlite3_errmsg(db));
	evtimer_set(&sqlite_ckev, sqlite_checkpoint, NULL);
	evtimer_add(&sqlite_ckev, &tv);
	evtimer_set(&sqlite_ckev_now, sqlite_checkpoint_now, NULL);
	/* In place of SQLite's automatic checkpoint. */
	sqlite3_wal_hook(db, sqlite_wal_hook, NULL);
}

static void	sqlite_batch_end(void);

static void
sqlite_close(void)
{
	size_t	 i;

	/* Writes of a read not committed yet: said, and committed. */
	if (in_batch) {
		log_warnx("store: stopping with writes not committed yet");
		sqlite_batch_end();
	}
	if (evtimer_initialized(&sqlite_ckev))
		evtimer_del(&sqlite_ckev);
	if (evtimer_initialized(&sqlite_ckev_now))
		evtimer_del(&sqlite_ckev_now);
	for (i = 0; i < Q_MAX; i++)
		sqlite3_finalize(st[i]);
	if (db != NULL)
		sqlite3_close_v2(db);
	db = NULL;
}

/*
 * Every message of one read from a channel runs in one transaction, so
 * that a burst of writes costs one commit; answers leave only after it,
 * when the channel is written.  A step that must be all or nothing nests
 * a savepoint in it.
 */
static void
sqlite_batch_begin(void)
{
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK)
		in_batch = 1;
}

static void
sqlite_batch_end(void)
{
	if (!in_batch)
		return;
	in_batch = 0;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		fatalx("store: commit: %s", sqlite3_errmsg(db));
}

static int
sqlite_begin(void)
{
	return (sqlite3_exec(db, in_batch ? "SAVEPOINT step" :
	    "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1);
}

static void
sqlite_rollback(void)
{
	(void)sqlite3_exec(db, in_batch ? "ROLLBACK TO step; RELEASE step" :
	    "ROLLBACK", NULL, NULL, NULL);
}

static int
sqlite_commit(void)
{
	if (sqlite3_exec(db, in_batch ? "RELEASE step" : "COMMIT", NULL,
	    NULL, NULL) == SQLITE_OK)
		return (0);
	sqlite_rollback();
	return (-1);
}

static int
sqlite_account_insert(const char *domain, const char *local, time_t when)
{
	sqlite3_stmt	*s = q(Q_ACC_INSERT, domain, local);
	int		 rc;

	sqlite3_bind_int64(s, 3, when);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT)
		return (1);
	return (rc == SQLITE_DONE ? 0 : -1);
}

static int
sqlite_account_delete(const char *domain, const char *local)
{
	if (sqlite_done(q(Q_ACC_DELETE, domain, local)) == -1)
		return (-1);
	return (sqlite3_changes(db) > 0);
}

static int
sqlite_account_exists(const char *domain, const char *local)
{
	sqlite3_stmt	*s = q(Q_ACC_EXISTS, domain, local);
	int		 rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (-1);
	return (rc == SQLITE_ROW);
}

static int
sqlite_account_list(const char *domain, void (*cb)(const char *, void *),
    void *arg)
{
	sqlite3_stmt	*s = st[Q_ACC_LIST];

	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(s) == SQLITE_ROW)
		cb((const char *)sqlite3_column_text(s, 0), arg);
	sqlite3_reset(s);
	return (0);
}

static int
sqlite_keys_get(const char *domain, const char *local, int hash,
    struct scram_keys *k)
{
	sqlite3_stmt	*s = q(Q_KEYS_GET, domain, local);
	size_t		 hl = scram_hashlen(hash);
	int		 n, ret = -1;

	sqlite3_bind_int(s, 3, hash);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	memset(k, 0, sizeof(*k));
	k->hash = hash;
	k->iter = sqlite3_column_int(s, 0);
	n = sqlite3_column_bytes(s, 1);
	if (n <= 0 || n > SCRAM_SALTMAX ||
	    sqlite3_column_bytes(s, 2) != (int)hl ||
	    sqlite3_column_bytes(s, 3) != (int)hl)
		goto out;
	memcpy(k->salt, sqlite3_column_blob(s, 1), n);
	k->saltlen = n;
	memcpy(k->stored_key, sqlite3_column_blob(s, 2), hl);
	memcpy(k->server_key, sqlite3_column_blob(s, 3), hl);
	ret = 0;
 out:
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return (ret);
}

static int
sqlite_keys_put(const char *domain, const char *local,
    const struct scram_keys *k)
{
	sqlite3_stmt	*s = q(Q_KEYS_PUT, domain, local);
	size_t		 hl = scram_hashlen(k->hash);
	int		 ret;

	sqlite3_bind_int(s, 3, k->hash);
	sqlite3_bind_int(s, 4, k->iter);
	sqlite3_bind_blob(s, 5, k->salt, k->saltlen, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 6, k->stored_key, hl, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 7, k->server_key, hl, SQLITE_TRANSIENT);
	ret = sqlite_done(s);
	sqlite3_clear_bindings(s);
	return (ret);
}

static int
sqlite_offline_count(const char *domain, const char *local)
{
	return (sqlite_one(q(Q_OFF_COUNT, domain, local)));
}

static int
sqlite_offline_put(const char *domain, const char *local, time_t when,
    const char *xml, size_t len)
{
	sqlite3_stmt	*s = q(Q_OFF_PUT, domain, local);

	sqlite3_bind_int64(s, 3, when);
	sqlite3_bind_text(s, 4, xml, len, SQLITE_TRANSIENT);
	return (sqlite_done(s));
}

static int
sqlite_offline_take(const char *domain, const char *local,
    void (*cb)(const char *, size_t, void *), void *arg)
{
	sqlite3_stmt	*s = q(Q_OFF_GET, domain, local);

	while (sqlite3_step(s) == SQLITE_ROW)
		cb((const char *)sqlite3_column_text(s, 0),
		    sqlite3_column_bytes(s, 0), arg);
	sqlite3_reset(s);
	return (sqlite_done(q(Q_OFF_DEL, domain, local)));
}

static int64_t
sqlite_roster_version(const char *domain, const char *local)
{
	sqlite3_stmt	*s = q(Q_ROS_VER, domain, local);
	int64_t		 v = 0;
	int		 rc;

	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (-1);
	return (v < 0 ? 0 : v);
}

static int
sqlite_roster_set_version(const char *domain, const char *local, int64_t v)
{
	sqlite3_stmt	*s = q(Q_ROS_SETVER, domain, local);

	sqlite3_bind_int64(s, 3, v);
	return (sqlite_done(s));
}

static int
sqlite_roster_items(const char *domain, const char *local,
    void (*cb)(struct roster_item_msg *, const char *, const char *,
    const char *, void *), void *arg)
{
	sqlite3_stmt		*s = q(Q_ROS_ITEMS, domain, local);
	struct roster_item_msg	 it;
	int			 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&it, 0, sizeof(it));
		(void)strlcpy(it.contact, (const char *)
		    sqlite3_column_text(s, 0), sizeof(it.contact));
		it.namelen = sqlite3_column_bytes(s, 1);
		it.groupslen = sqlite3_column_bytes(s, 2);
		it.sub = sqlite3_column_int(s, 3);
		it.ask = sqlite3_column_int(s, 4);
		it.approved = sqlite3_column_int(s, 5);
		it.in_roster = sqlite3_column_int(s, 6);
		it.pendinglen = sqlite3_column_bytes(s, 7);
		cb(&it, (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2),
		    (const char *)sqlite3_column_text(s, 7), arg);
	}
	sqlite3_reset(s);
	return (rc == SQLITE_DONE ? 0 : -1);
}

static int
sqlite_roster_put(const struct roster_item_msg *it, const char *name,
    const char *groups, const char *pending)
{
	sqlite3_stmt	*s = q(Q_ROS_PUT, it->owner.domain,
			    it->owner.localpart);

	sqlite3_bind_text(s, 3, it->contact, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, name, it->namelen, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, groups, it->groupslen, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 6, it->sub);
	sqlite3_bind_int(s, 7, it->ask);
	sqlite3_bind_int(s, 8, it->approved);
	sqlite3_bind_int(s, 9, it->in_roster);
	sqlite3_bind_text(s, 10, pending, it->pendinglen, SQLITE_TRANSIENT);
	return (sqlite_done(s));
}

static int
sqlite_roster_del(const char *domain, const char *local, const char *contact)
{
	sqlite3_stmt	*s = q(Q_ROS_DEL, domain, local);

	sqlite3_bind_text(s, 3, contact, -1, SQLITE_TRANSIENT);
	return (sqlite_done(s));
}

const struct store_backend store_sqlite = {
	"sqlite",
	sqlite_open,
	sqlite_close,
	sqlite_batch_begin,
	sqlite_batch_end,
	sqlite_begin,
	sqlite_commit,
	sqlite_rollback,
	sqlite_account_insert,
	sqlite_account_delete,
	sqlite_account_exists,
	sqlite_account_list,
	sqlite_keys_get,
	sqlite_keys_put,
	sqlite_offline_count,
	sqlite_offline_put,
	sqlite_offline_take,
	sqlite_roster_version,
	sqlite_roster_set_version,
	sqlite_roster_items,
	sqlite_roster_put,
	sqlite_roster_del,
	.xml = &sqlite_xml,
	.mam = &sqlite_mam,
	.mam_move = pie_sqlite_move,
	.state = &sqlite_state,
	.motd = &sqlite_motd,
};

/* The database, for the backend's other files (store_sqlite_xml.c). */

sqlite3 *
sqlite_db(void)
{
	return (db);
}
