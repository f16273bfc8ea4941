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
 * uploadd's database and URL signatures, in a scratch directory standing
 * for its root: what is stored comes back, quotas count what they must,
 * a signature covers every field, and a bad secret stops uploadd.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "upload.h"
#include "test.h"

/* The datadir uploadd would name in its log lines. */
static const char	*datadir = "/var/xmppd";

static void
file_init(struct upload_file *f, const char *slot, const char *owner,
    int64_t size, time_t expires)
{
	memset(f, 0, sizeof(*f));
	strlcpy(f->slot, slot, sizeof(f->slot));
	strlcpy(f->service, "upload.example.org", sizeof(f->service));
	strlcpy(f->owner, owner, sizeof(f->owner));
	strlcpy(f->name, "cat picture.jpg", sizeof(f->name));
	strlcpy(f->type, "image/jpeg", sizeof(f->type));
	f->size = size;
	f->created = expires - UPLOAD_SLOT_TTL;
	f->expires = expires;
}

/* Does fn() end the process (fatal) rather than return? */
static int
dies(void (*fn)(void))
{
	pid_t	 pid;
	int	 status;

	if ((pid = fork()) == 0) {
		fn();
		_exit(0);
	}
	if (pid == -1 || waitpid(pid, &status, 0) == -1)
		return (0);
	return (WIFEXITED(status) && WEXITSTATUS(status) != 0);
}

static void
write_secret(const char *data, size_t len, mode_t mode)
{
	int	 fd;

	unlink(UPLOAD_SECRET);
	fd = open(UPLOAD_SECRET, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd == -1 || write(fd, data, len) != (ssize_t)len)
		exit(2);
	fchmod(fd, mode);
	close(fd);
}

static void
test_sign(void)
{
	struct upload_file	 f, g;
	struct stat		 sb;
	char			 sig[UPLOAD_SIG_LEN + 1], sig2[sizeof(sig)];
	char			 bad[sizeof(sig)], old[32];
	int			 fd, i;

	upload_sign_init();
	CHECK(stat(UPLOAD_SECRET, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mode & 0777) == 0600 && sb.st_size == 32,
	    "secret made 0600, 32 bytes");
	CHECK(access(UPLOAD_SECRET ".new", F_OK) == -1, "no temporary left");
	file_init(&f, "0123456789abcdef0123456789abcdef", "alice@example.org",
	    1000, 1700000000);
	CHECK(upload_sign(&f, sig, sizeof(sig)) == 0 &&
	    strlen(sig) == UPLOAD_SIG_LEN && strspn(sig, "0123456789abcdef") ==
	    UPLOAD_SIG_LEN, "signature is 64 lowercase hex digits");
	CHECK(upload_sign(&f, sig2, UPLOAD_SIG_LEN) == -1,
	    "short buffer refused");
	CHECK(upload_sign_check(&f, sig) == 0, "own signature accepted");

#define ALTERED(what, stmt) do {					\
	g = f;								\
	stmt;								\
	CHECK(upload_sign_check(&g, sig) == -1, "changed %s refused", what); \
} while (0)
	ALTERED("slot", g.slot[0] = '1');
	ALTERED("service", strlcpy(g.service, "upload.example.net",
	    sizeof(g.service)));
	ALTERED("owner", strlcpy(g.owner, "mallory@example.org",
	    sizeof(g.owner)));
	ALTERED("name", strlcpy(g.name, "cat picture.jpe", sizeof(g.name)));
	ALTERED("type", strlcpy(g.type, "text/html", sizeof(g.type)));
	ALTERED("size", g.size = 1001);
	ALTERED("size, negative", g.size = -1000);
	ALTERED("expiry", g.expires = 1700000001);
	/* Fields are length-prefixed: moving a byte between two fails. */
	ALTERED("boundary", (strlcpy(g.name, "cat picture.jp",
	    sizeof(g.name)), strlcpy(g.type, "gimage/jpeg", sizeof(g.type))));
#undef ALTERED

	memcpy(bad, sig, sizeof(bad));
	bad[63] = bad[63] == '0' ? '1' : '0';
	CHECK(upload_sign_check(&f, bad) == -1, "last digit flipped refused");
	memcpy(bad, sig, sizeof(bad));
	for (i = 0; i < UPLOAD_SIG_LEN; i++)
		if (bad[i] >= 'a')
			bad[i] = bad[i] - 'a' + 'A';
	CHECK(strcmp(bad, sig) != 0 && upload_sign_check(&f, bad) == -1,
	    "upper case refused");
	memcpy(bad, sig, sizeof(bad));
	bad[63] = '\0';
	CHECK(upload_sign_check(&f, bad) == -1, "63 digits refused");
	CHECK(upload_sign_check(&f, "") == -1, "empty refused");
	CHECK(upload_sign_check(&f, NULL) == -1, "none refused");
	{
		char	 longer[UPLOAD_SIG_LEN + 2];

		snprintf(longer, sizeof(longer), "%s0", sig);
		CHECK(upload_sign_check(&f, longer) == -1, "65 digits refused");
	}

	/* The same secret after a restart; another secret, another MAC. */
	upload_sign_init();
	CHECK(upload_sign_check(&f, sig) == 0, "secret kept over a restart");
	fd = open(UPLOAD_SECRET, O_RDONLY);
	CHECK(fd != -1 && read(fd, old, sizeof(old)) == sizeof(old),
	    "secret readable by uploadd");
	close(fd);
	old[0] ^= 1;
	write_secret(old, sizeof(old), 0600);
	upload_sign_init();
	CHECK(upload_sign_check(&f, sig) == -1, "other secret, sig refused");

	write_secret(old, sizeof(old), 0644);
	CHECK(dies(upload_sign_init), "secret readable by others: fatal");
	write_secret(old, 31, 0600);
	CHECK(dies(upload_sign_init), "short secret: fatal");
	write_secret(old, sizeof(old), 0600);
	symlink(UPLOAD_SECRET, "link");
	rename("link", UPLOAD_SECRET);
	CHECK(dies(upload_sign_init), "secret a symbolic link: fatal");
	unlink(UPLOAD_SECRET);
}

static int	 listed;

static void
count_cb(const char *slot, void *arg)
{
	(void)arg;
	if (strlen(slot) == UPLOAD_SLOT_LEN)
		listed++;
}

static void
delete_cb(const char *slot, void *arg)
{
	(void)arg;
	if (upload_db_delete(slot) == 0)
		listed++;
}

static int
list(int which, const char *arg, time_t t, void (*cb)(const char *, void *))
{
	listed = 0;
	if (upload_db_list(which, arg, t, cb, NULL) == -1)
		return (-1);
	return (listed);
}

static void
test_db_rows(void)
{
	struct upload_file	 f, g;
	time_t			 now = 1700000000;

	upload_db_open(datadir);
	file_init(&f, "0123456789abcdef0123456789abcdef", "alice@example.org",
	    1000, now + 300);
	CHECK(upload_db_insert(&f) == 0, "insert");
	CHECK(upload_db_insert(&f) == -1, "same slot twice refused");
	CHECK(upload_db_get(f.slot, &g) == 0 && memcmp(&f, &g,
	    sizeof(f)) == 0, "get returns what was inserted");
	CHECK(upload_db_get("ffffffffffffffffffffffffffffffff", &g) == 1,
	    "get of an unknown slot: 1");
	CHECK(upload_db_get("0123456789abcdef0123456789abcde%", &g) == 1,
	    "get with a LIKE wildcard: 1");
	CHECK(upload_db_done("ffffffffffffffffffffffffffffffff", now) == 1,
	    "done of an unknown slot: 1");
	CHECK(upload_db_done(f.slot, now + 10) == 0, "done");
	CHECK(upload_db_get(f.slot, &g) == 0 && g.state == UPLOAD_DONE &&
	    g.completed == now + 10, "done is stored with its time");
	CHECK(upload_db_done(f.slot, now + 20) == 1, "done twice: 1");
	CHECK(upload_db_get(f.slot, &g) == 0 && g.completed == now + 10,
	    "done twice keeps the first time");
	upload_db_close();
	upload_db_open(datadir);
	CHECK(upload_db_get(f.slot, &g) == 0 && g.state == UPLOAD_DONE,
	    "row survives reopening");
	CHECK(upload_db_delete(f.slot) == 0, "delete");
	CHECK(upload_db_delete(f.slot) == 1, "delete twice: 1");
	CHECK(upload_db_get(f.slot, &g) == 1, "deleted row is gone");
	upload_db_close();
}

static void
test_db_usage(void)
{
	struct upload_file	 f;
	struct upload_stats	 us;
	time_t			 now = 1700000000;

	upload_db_open(datadir);
	/* alice: one file of 100, a live slot of 20, a stale one of 5. */
	file_init(&f, "00000000000000000000000000000001", "alice@example.org",
	    100, now + 300);
	upload_db_insert(&f);
	upload_db_done(f.slot, now);
	file_init(&f, "00000000000000000000000000000002", "alice@example.org",
	    20, now + 300);
	upload_db_insert(&f);
	file_init(&f, "00000000000000000000000000000003", "alice@example.org",
	    5, now - 1);
	upload_db_insert(&f);
	file_init(&f, "00000000000000000000000000000004", "bob@example.org",
	    7000, now + 300);
	upload_db_insert(&f);
	upload_db_done(f.slot, now - 100);
	file_init(&f, "00000000000000000000000000000005", "alice@example.org",
	    3000, now + 300);
	strlcpy(f.service, "upload.example.net", sizeof(f.service));
	upload_db_insert(&f);
	upload_db_done(f.slot, now);

	CHECK(upload_db_usage("upload.example.org", "alice@example.org",
	    now) == 120, "usage: files and live slots, not stale ones");
	CHECK(upload_db_usage("upload.example.org", "bob@example.org",
	    now) == 7000, "usage is per user");
	CHECK(upload_db_usage("upload.example.net", "alice@example.org",
	    now) == 3000, "usage is per service");
	CHECK(upload_db_usage("upload.example.org", "carol@example.org",
	    now) == 0, "usage of nobody: 0");

	CHECK(list(UPLOAD_LIST_STALE, NULL, now, count_cb) == 1,
	    "one stale slot");
	CHECK(list(UPLOAD_LIST_OLD, "upload.example.org", now - 50,
	    count_cb) == 1, "one file older than a date in the service");
	CHECK(list(UPLOAD_LIST_OWNER, "alice@example.org", 0, count_cb) == 4,
	    "alice has 4 rows over both services");
	CHECK(list(UPLOAD_LIST_OWNER, "alice@example.org%", 0, count_cb) == 0,
	    "owner is matched exactly");
	CHECK(list(UPLOAD_LIST_ALL, NULL, 0, count_cb) == 5, "5 rows in all");

	CHECK(upload_db_stats("upload.example.org", &us) == 0 &&
	    us.files == 2 && us.bytes == 7100 && us.pending == 2 &&
	    us.ntop == 2, "stats: 2 files, 7100 bytes, 2 pending");
	CHECK(strcmp(us.top[0].owner, "bob@example.org") == 0 &&
	    us.top[0].bytes == 7000 && us.top[0].files == 1 &&
	    strcmp(us.top[1].owner, "alice@example.org") == 0 &&
	    us.top[1].bytes == 100, "stats: biggest user first");
	CHECK(upload_db_stats("nothing.example.org", &us) == 0 &&
	    us.files == 0 && us.bytes == 0 && us.ntop == 0,
	    "stats of an empty service");

	CHECK(list(UPLOAD_LIST_OWNER, "alice@example.org", 0, delete_cb) == 4,
	    "delete while listing");
	CHECK(list(UPLOAD_LIST_ALL, NULL, 0, count_cb) == 1, "bob's is left");
	CHECK(list(UPLOAD_LIST_ALL, NULL, 0, delete_cb) == 1, "delete all");
	upload_db_close();
}

/* A row too long for struct upload_file, written behind uploadd's back. */
static void
test_db_corrupt(void)
{
	struct upload_file	 f;
	sqlite3			*h;
	char			 sql[1024];
	int			 rc;

	snprintf(sql, sizeof(sql), "INSERT INTO files VALUES "
	    "('0000000000000000000000000000000a', 'upload.example.org', "
	    "'eve@example.org', printf('%%.300c', 'x'), 'text/plain', 1, "
	    "0, 0, 0, 0)");
	rc = sqlite3_open(UPLOAD_DB, &h);
	rc |= sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	CHECK(rc == SQLITE_OK, "row with a 300-byte name written");
	upload_db_open(datadir);
	CHECK(upload_db_get("0000000000000000000000000000000a", &f) == -1,
	    "overlong stored name: error, not truncation");
	upload_db_close();
}

int
main(void)
{
	char	 dir[] = "/tmp/test_upload.XXXXXX";

	log_init(1, 0);
	if (mkdtemp(dir) == NULL || chdir(dir) == -1) {
		perror(dir);
		return (2);
	}
	test_sign();
	test_db_rows();
	test_db_usage();
	test_db_corrupt();
	unlink(UPLOAD_DB);
	unlink(UPLOAD_DB "-wal");
	unlink(UPLOAD_DB "-shm");
	unlink(UPLOAD_SECRET);
	unlink("link");
	if (chdir("/") == 0)
		rmdir(dir);
	TEST_DONE();
}
