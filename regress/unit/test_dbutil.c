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
 * The schema step runner of the SQLite databases: a new database gets
 * every step, an old one the steps it lacks and only those, in one
 * transaction that a failing step rolls back whole; a newer database
 * and an unreadable version are refused; a database made before
 * schema_version is taken as version 1 with its rows kept.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbutil.h"
#include "log.h"
#include "test.h"

#define DB	"test.db"

static int	 fn_runs;

static int
fn_count(sqlite3 *db)
{
	(void)db;
	fn_runs++;
	return (0);
}

static int
fn_fail(sqlite3 *db)
{
	/* Written, then rolled back with the rest of the step. */
	(void)sqlite3_exec(db, "CREATE TABLE fn_made (x)", NULL, NULL, NULL);
	return (-1);
}

static const char *const step1[] = {
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, "
	    "value TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY)",
	"CREATE TABLE IF NOT EXISTS keys (name TEXT PRIMARY KEY)",
	NULL
};
static const char *const step2[] = {
	"ALTER TABLE users ADD COLUMN created INTEGER NOT NULL DEFAULT 7",
	NULL
};
static const char *const step3[] = {
	"CREATE TABLE notes (name TEXT, note TEXT)",
	"INSERT INTO notes SELECT name, 'moved' FROM users",
	NULL
};
static const char *const step_bad[] = {
	"CREATE TABLE half (x)",
	"INSERT INTO nowhere VALUES (1)",
	NULL
};

static const struct dbu_step steps[] = {
	{ step1, fn_count },
	{ step2, fn_count },
	{ step3, fn_count },
};
static const struct dbu_step steps_bad[] = {
	{ step1, NULL },
	{ step2, NULL },
	{ step3, NULL },
	{ step_bad, NULL },
};
static const struct dbu_step steps_badfn[] = {
	{ step1, NULL },
	{ step2, NULL },
	{ step3, NULL },
	{ NULL, fn_fail },
};

static sqlite3 *
db_fresh(void)
{
	sqlite3	*db;

	unlink(DB);
	unlink(DB "-journal");
	if (sqlite3_open(DB, &db) != SQLITE_OK)
		exit(2);
	return (db);
}

static void
db_run(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(2);
	}
}

/* The integer sql returns, or -1. */
static long long
db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*s;
	long long	 n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return (-1);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return (n);
}

static int
db_has(sqlite3 *db, const char *table)
{
	char	 sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name = '%s'", table);
	return (db_int(db, sql) == 1);
}

static void
test_new_and_upgrade(void)
{
	struct dbu_version	 v;
	char			 err[256];
	sqlite3			*db = db_fresh();

	fn_runs = 0;
	CHECK(dbu_upgrade(db, steps, 2, &v, err, sizeof(err)) == 0 &&
	    v.found == 0 && v.newest == 2 && !v.legacy,
	    "a new database: found 0, brought to 2");
	CHECK(fn_runs == 2 && db_has(db, "users") &&
	    db_int(db, "SELECT count(*) FROM schema_version") == 2 &&
	    db_int(db, "SELECT max(version) FROM schema_version") == 2,
	    "both steps ran, versions 1 and 2 recorded");
	CHECK(db_int(db, "SELECT value FROM meta WHERE key = 'schema'") == 2,
	    "meta's schema row says 2");
	db_run(db, "INSERT INTO users (name) VALUES ('alice')");

	fn_runs = 0;
	CHECK(dbu_upgrade(db, steps, 2, &v, err, sizeof(err)) == 0 &&
	    v.found == 2 && fn_runs == 0 &&
	    db_int(db, "SELECT count(*) FROM schema_version") == 2,
	    "at the newest version: no step runs again");

	CHECK(dbu_upgrade(db, steps, 3, &v, err, sizeof(err)) == 0 &&
	    v.found == 2 && v.newest == 3 && fn_runs == 1,
	    "one step more: only step 3 runs");
	CHECK(db_int(db, "SELECT count(*) FROM notes WHERE name = 'alice' "
	    "AND note = 'moved'") == 1 &&
	    db_int(db, "SELECT created FROM users WHERE name = 'alice'") == 7,
	    "rows are kept and carried by the steps");
	CHECK(db_int(db, "SELECT max(version) FROM schema_version") == 3 &&
	    db_int(db, "SELECT value FROM meta WHERE key = 'schema'") == 3,
	    "version 3 recorded");
	CHECK(sqlite3_get_autocommit(db), "no transaction left open");
	sqlite3_close(db);
}

static void
test_refused(void)
{
	struct dbu_version	 v;
	char			 err[256];
	sqlite3			*db = db_fresh();

	dbu_upgrade(db, steps, 3, &v, err, sizeof(err));
	fn_runs = 0;
	CHECK(dbu_upgrade(db, steps, 2, &v, err, sizeof(err)) == -1 &&
	    fn_runs == 0 && v.found == 3,
	    "a database newer than the steps is refused");
	CHECK(strstr(err, "schema version 3 is newer than 2") != NULL,
	    "the refusal names both versions: %s", err);
	CHECK(db_int(db, "SELECT max(version) FROM schema_version") == 3 &&
	    db_has(db, "notes"), "and it is not downgraded");
	CHECK(sqlite3_get_autocommit(db), "no transaction left open");

	CHECK(dbu_upgrade(db, steps_bad, 4, &v, err, sizeof(err)) == -1 &&
	    strstr(err, "schema step 4") != NULL &&
	    strstr(err, "nowhere") != NULL,
	    "a failing statement: refused, naming the step: %s", err);
	CHECK(!db_has(db, "half") &&
	    db_int(db, "SELECT max(version) FROM schema_version") == 3,
	    "its step's first statement is rolled back, the version kept");
	CHECK(dbu_upgrade(db, steps_badfn, 4, &v, err, sizeof(err)) == -1 &&
	    strstr(err, "schema step 4: its function failed") != NULL &&
	    !db_has(db, "fn_made") &&
	    db_int(db, "SELECT max(version) FROM schema_version") == 3,
	    "a failing step function: refused and rolled back");

	db_run(db, "DELETE FROM schema_version");
	CHECK(dbu_upgrade(db, steps, 3, &v, err, sizeof(err)) == -1 &&
	    strstr(err, "no version") != NULL,
	    "an empty schema_version is refused: %s", err);
	sqlite3_close(db);
}

/* Today's tables without schema_version, as older programs left them. */
static sqlite3 *
db_legacy(const char *meta)
{
	sqlite3	*db = db_fresh();
	char	 sql[128];

	db_run(db, "CREATE TABLE meta (key TEXT PRIMARY KEY, "
	    "value TEXT NOT NULL)");
	db_run(db, "CREATE TABLE users (name TEXT PRIMARY KEY)");
	db_run(db, "INSERT INTO users VALUES ('bob')");
	if (meta != NULL) {
		snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES "
		    "('schema', '%s')", meta);
		db_run(db, sql);
	}
	return (db);
}

static void
test_legacy(void)
{
	struct dbu_version	 v;
	char			 err[256];
	sqlite3			*db;

	db = db_legacy(NULL);
	fn_runs = 0;
	CHECK(dbu_upgrade(db, steps, 3, &v, err, sizeof(err)) == 0 &&
	    v.legacy && v.found == 1 && v.newest == 3,
	    "tables without schema_version: taken as version 1");
	CHECK(fn_runs == 3 && db_has(db, "keys"),
	    "step 1 ran again and made the table it lacked");
	CHECK(db_int(db, "SELECT count(*) FROM notes WHERE name = 'bob'") == 1,
	    "its rows kept and carried by steps 2 and 3");
	CHECK(db_int(db, "SELECT count(*) FROM schema_version") == 3 &&
	    db_int(db, "SELECT value FROM meta WHERE key = 'schema'") == 3,
	    "versions 1 to 3 recorded");
	sqlite3_close(db);

	db = db_legacy("1");
	CHECK(dbu_upgrade(db, steps, 1, &v, err, sizeof(err)) == 0 &&
	    v.legacy && v.found == 1 &&
	    db_int(db, "SELECT max(version) FROM schema_version") == 1,
	    "meta's schema row 1: version 1, recorded");
	sqlite3_close(db);

	db = db_legacy("999");
	CHECK(dbu_upgrade(db, steps, 3, &v, err, sizeof(err)) == -1 &&
	    strstr(err, "schema version 999 is newer than 3") != NULL &&
	    !db_has(db, "schema_version"),
	    "meta's schema row newer than the steps: refused: %s", err);
	sqlite3_close(db);

	db = db_legacy("1; DROP TABLE users");
	CHECK(dbu_upgrade(db, steps, 3, &v, err, sizeof(err)) == -1 &&
	    strstr(err, "meta schema row is invalid") != NULL &&
	    !db_has(db, "schema_version") && db_has(db, "users"),
	    "meta's schema row not a number: refused: %s", err);
	sqlite3_close(db);

	db = db_legacy("0");
	CHECK(dbu_upgrade(db, steps, 3, &v, err, sizeof(err)) == -1,
	    "meta's schema row 0: refused: %s", err);
	sqlite3_close(db);
}

/* dbu_schema on a newer database: the process ends with a log line. */
static void
test_fatal(void)
{
	struct dbu_version	 v;
	char			 err[256], out[1024];
	sqlite3			*db = db_fresh();
	int			 fd[2], status;
	ssize_t			 n;
	pid_t			 pid;

	dbu_upgrade(db, steps, 3, &v, err, sizeof(err));
	if (pipe(fd) == -1)
		exit(2);
	if ((pid = fork()) == 0) {
		dup2(fd[1], STDERR_FILENO);
		dbu_schema(db, "/var/db/test.db", "test db", steps, 1);
		_exit(0);
	}
	close(fd[1]);
	n = read(fd[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	close(fd[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0,
	    "dbu_schema on a newer database ends the process");
	CHECK(strstr(out, "test db: /var/db/test.db: schema version 3 is "
	    "newer than 1") != NULL, "its log line names the file and both "
	    "versions: %s", out);
	sqlite3_close(db);
}

int
main(void)
{
	char	 dir[] = "/tmp/test_dbutil.XXXXXX";

	log_init(1, 0);
	if (mkdtemp(dir) == NULL || chdir(dir) == -1) {
		perror(dir);
		return (2);
	}
	test_new_and_upgrade();
	test_refused();
	test_legacy();
	test_fatal();
	unlink(DB);
	if (chdir("/") == 0)
		rmdir(dir);
	TEST_DONE();
}
