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
 * The SQLite side of message archives (store_mam.c): rows ordered by
 * seq, named outside by random ids; a page is found by its seqs first,
 * so that no more than one page of messages is ever read.
 */

#include <sys/types.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "compat.h"
#include "log.h"
#include "mam.h"
#include "msg.h"
#include "store_backend.h"
#include "store_sqlite.h"


enum {
	M_PUT, M_SEQ, M_FIRST, M_LAST, M_PREFS_GET, M_PREFS_PUT, M_ROSTER,
	M_EXPIRE, M_COUNT, M_MAX
};

static const char *mam_sql[M_MAX] = {
	[M_PUT] = "INSERT INTO mam (domain, localpart, id, stamp, with_bare, "
	    "with_res, direction, xml) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[M_SEQ] = "SELECT seq FROM mam WHERE domain = ? AND localpart = ? "
	    "AND id = ?",
	/* Both from the index on the owner's seqs, one row each. */
	[M_FIRST] = "SELECT id, stamp FROM mam WHERE domain = ? AND "
	    "localpart = ? ORDER BY seq LIMIT 1",
	[M_LAST] = "SELECT id, stamp FROM mam WHERE domain = ? AND "
	    "localpart = ? ORDER BY seq DESC LIMIT 1",
	[M_PREFS_GET] = "SELECT dflt, always, never FROM mam_prefs WHERE "
	    "domain = ? AND localpart = ?",
	[M_PREFS_PUT] = "INSERT OR REPLACE INTO mam_prefs (domain, "
	    "localpart, dflt, always, never) VALUES (?, ?, ?, ?, ?)",
	[M_ROSTER] = "SELECT 1 FROM roster WHERE domain = ? AND "
	    "localpart = ? AND contact = ? AND in_roster = 1",
	[M_EXPIRE] = "DELETE FROM mam WHERE seq IN (SELECT seq FROM mam "
	    "WHERE domain = ?1 AND stamp >= ?4 AND stamp < ?2 ORDER BY stamp "
	    "LIMIT ?3) RETURNING stamp",
	/* From the index on (domain, stamp) alone. */
	[M_COUNT] = "SELECT COUNT(*) FROM mam WHERE domain = ?",
};

static sqlite3_stmt	*mst[M_MAX];

/* Prepared on first use: the tables exist once the backend is open. */
static sqlite3_stmt *
mq(int which, const char *domain, const char *local)
{
	sqlite3_stmt	*s;

	if (mst[which] == NULL && sqlite3_prepare_v3(sqlite_db(),
	    mam_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &mst[which],
	    NULL) != SQLITE_OK)
		fatalx("store: %s: %s", mam_sql[which],
		    sqlite3_errmsg(sqlite_db()));
	s = mst[which];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT);
	if (local != NULL)
		sqlite3_bind_text(s, 2, local, -1, SQLITE_TRANSIENT);
	return (s);
}

static int
sqlite_mam_put(const char *domain, const char *local, const char *with,
    const char *res, int direction, int64_t stamp, const char *xml,
    size_t len, char *id)
{
	sqlite3_stmt	*s;
	int		 tries, rc = SQLITE_ERROR;

	for (tries = 0; tries < 3; tries++) {
		/* 12 random bytes: 16 characters, nothing to guess from. */
		if (base64url_random(12, id, MAM_ID_LEN) == -1)
			break;
		s = mq(M_PUT, domain, local);
		sqlite3_bind_text(s, 3, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 4, stamp);
		sqlite3_bind_text(s, 5, with, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 6, res, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 7, direction);
		sqlite3_bind_text(s, 8, xml, len, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		/* Only an id that exists already is worth another try. */
		if (rc != SQLITE_CONSTRAINT)
			break;
	}
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* The seq of an archive id, 0 when there is none. */
static int64_t
mam_seq(const struct mam_query *q, const char *id)
{
	sqlite3_stmt	*s = mq(M_SEQ, q->owner.domain, q->owner.localpart);
	int64_t		 seq = 0;

	sqlite3_bind_text(s, 3, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		seq = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return (seq);
}

static sqlite3_stmt *
mam_prepare(const char *fmt, const char *where, const struct mam_query *q,
    const struct mam_bounds *b, int64_t p9, int64_t p10)
{
	sqlite3_stmt	*s;
	char		 sql[4096];
	int		 i;

	(void)snprintf(sql, sizeof(sql), fmt, where);
	if (sqlite3_prepare_v2(sqlite_db(), sql, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, sqlite3_errmsg(sqlite_db()));
		return (NULL);
	}
	/* Parameters the clause does not use are out of range: harmless. */
	sqlite3_bind_text(s, 1, q->owner.domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, q->owner.localpart, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, q->with_bare, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, q->with_res, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, q->start);
	sqlite3_bind_int64(s, 6, q->end);
	sqlite3_bind_int64(s, 7, b->after);
	sqlite3_bind_int64(s, 8, b->before);
	sqlite3_bind_int64(s, 9, p9);
	sqlite3_bind_int64(s, 10, p10);
	for (i = 0; i < q->nids; i++)
		sqlite3_bind_text(s, 11 + i, q->ids[i], -1, SQLITE_STATIC);
	return (s);
}

/* Counted up to limit + 1 rows when limit > 0 (mam_count_sql). */
static int64_t
mam_count(const struct mam_query *q, const struct mam_bounds *b,
    const char *extra, int64_t p9, int64_t limit)
{
	sqlite3_stmt	*s;
	char		 sql[4096];
	int64_t		 n = -1;

	if (mam_count_sql(sql, sizeof(sql), q, b, extra, limit, '?') == -1 ||
	    (s = mam_prepare("%s", sql, q, b, p9, 0)) == NULL)
		return (-1);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return (n);
}

static int
sqlite_mam_query(const struct mam_query *q, int (*cb)(const char *,
    int64_t, const char *, size_t, void *), void *arg, struct mam_fin *fin)
{
	struct mam_bounds	 b;
	sqlite3_stmt		*s;
	char			 where[2048];
	char			 extra[64];
	int64_t			 lo = 0, hi = 0, seq, limit;
	int			 backward, n = 0, first = 1, more = 0;

	memset(&b, 0, sizeof(b));
	memset(fin, 0, sizeof(*fin));
	fin->index = -1;
	if ((q->after_id[0] && (b.after = mam_seq(q, q->after_id)) == 0) ||
	    (q->before_id[0] && (b.before = mam_seq(q, q->before_id)) == 0) ||
	    (q->rsm_after[0] && (b.rsm_after = mam_seq(q, q->rsm_after)) ==
	    0) || (q->rsm_before[0] && (b.rsm_before = mam_seq(q,
	    q->rsm_before)) == 0)) {
		fin->status = MAM_ITEM_NOT_FOUND;
		return (0);
	}
	fin->status = MAM_ERROR;
	limit = q->max <= 0 ? 0 : mam_count_max();
	if ((fin->count = mam_count(q, &b, NULL, 0, limit)) == -1)
		return (-1);
	if (limit > 0 && fin->count > limit)
		fin->count = -1;
	if (q->max <= 0) {
		/* RSM max 0: the count alone (XEP-0059 section 2.6). */
		fin->complete = fin->count == 0;
		fin->status = MAM_OK;
		return (0);
	}
	backward = q->rsm_before[0] != '\0' || q->rsm_last;

	/* The page's seqs, one more than asked to know if it is the last. */
	(void)snprintf(extra, sizeof(extra), " ORDER BY seq%s LIMIT %d",
	    backward ? " DESC" : "", q->max + 1);
	if (mam_where(where, sizeof(where), q, &b, 1, extra, '?') == -1 ||
	    (s = mam_prepare("SELECT seq FROM mam WHERE %s", where, q, &b,
	    b.rsm_after, b.rsm_before)) == NULL)
		return (-1);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == q->max) {
			more = 1;
			break;
		}
		seq = sqlite3_column_int64(s, 0);
		if (n == 0 || seq < lo)
			lo = seq;
		if (n == 0 || seq > hi)
			hi = seq;
		n++;
	}
	sqlite3_finalize(s);
	/* The last page in the direction asked (XEP-0313 section 4.3). */
	fin->complete = !more;
	if (n == 0) {
		fin->status = MAM_OK;
		return (0);
	}

	/* The page itself, oldest first unless flipped. */
	if (mam_where(where, sizeof(where), q, &b, 0, q->flip ?
	    " AND seq >= ?9 AND seq <= ?10 ORDER BY seq DESC" :
	    " AND seq >= ?9 AND seq <= ?10 ORDER BY seq", '?') == -1 ||
	    (s = mam_prepare("SELECT id, stamp, xml FROM mam WHERE %s", where,
	    q, &b, lo, hi)) == NULL)
		return (-1);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char	*id = (const char *)sqlite3_column_text(s, 0);

		if (first)
			(void)strlcpy(fin->first, id, sizeof(fin->first));
		(void)strlcpy(fin->last, id, sizeof(fin->last));
		first = 0;
		if (cb(id, sqlite3_column_int64(s, 1),
		    (const char *)sqlite3_column_text(s, 2),
		    sqlite3_column_bytes(s, 2), arg) == -1)
			break;
	}
	sqlite3_finalize(s);
	if ((fin->index = mam_index_known(q, fin->count, n)) == -2 &&
	    (fin->index = mam_count(q, &b, q->flip ? " AND seq > ?9" :
	    " AND seq < ?9", q->flip ? hi : lo, limit)) > limit)
		fin->index = -1;
	fin->status = MAM_OK;
	return (0);
}

/* One end of an archive into row; its id stays "" when there is none. */
static int
mam_bound(int which, const char *domain, const char *local,
    struct mam_row *row)
{
	sqlite3_stmt	*s = mq(which, domain, local);
	const char	*id;
	int		 rc, rv = 0;

	memset(row, 0, sizeof(*row));
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(s, 0);
		if (id == NULL || strlcpy(row->id, id, sizeof(row->id)) >=
		    sizeof(row->id))
			rv = -1;
		row->stamp = sqlite3_column_int64(s, 1);
	} else if (rc != SQLITE_DONE) {
		log_warnx("store: archive bounds: %s",
		    sqlite3_errmsg(sqlite_db()));
		rv = -1;
	}
	sqlite3_reset(s);
	return (rv);
}

static int
sqlite_mam_bounds(const char *domain, const char *local,
    struct mam_row *start, struct mam_row *end)
{
	if (mam_bound(M_FIRST, domain, local, start) == -1 ||
	    mam_bound(M_LAST, domain, local, end) == -1)
		return (-1);
	return (0);
}

static char *
mam_strdup(sqlite3_stmt *s, int col)
{
	const char	*v = (const char *)sqlite3_column_text(s, col);
	char		*r;

	if ((r = strdup(v != NULL ? v : "")) == NULL)
		fatal("%s", __func__);
	return (r);
}

/* Returns 1 with the account's preferences, 0 when it set none. */
static int
sqlite_mam_prefs_get(const char *domain, const char *local, int *dflt,
    char **always, char **never)
{
	sqlite3_stmt	*s = mq(M_PREFS_GET, domain, local);
	int		 found = 0;

	if (sqlite3_step(s) == SQLITE_ROW) {
		*dflt = sqlite3_column_int(s, 0);
		*always = mam_strdup(s, 1);
		*never = mam_strdup(s, 2);
		found = 1;
	}
	sqlite3_reset(s);
	return (found);
}

static int
sqlite_mam_prefs_put(const char *domain, const char *local, int dflt,
    const char *always, const char *never)
{
	sqlite3_stmt	*s = mq(M_PREFS_PUT, domain, local);
	int		 rc;

	sqlite3_bind_int(s, 3, dflt);
	sqlite3_bind_text(s, 4, always, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, never, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return (rc == SQLITE_DONE ? 0 : -1);
}

static int
sqlite_mam_in_roster(const char *domain, const char *local,
    const char *contact)
{
	sqlite3_stmt	*s = mq(M_ROSTER, domain, local);
	int		 found;

	sqlite3_bind_text(s, 3, contact, -1, SQLITE_TRANSIENT);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return (found);
}

static int64_t
sqlite_mam_expire(const char *domain, int64_t before, int64_t *from,
    int limit)
{
	sqlite3_stmt	*s = mq(M_EXPIRE, domain, NULL);
	int64_t		 n = 0, stamp;
	int		 rc;

	sqlite_expiring();
	sqlite3_bind_int64(s, 2, before);
	sqlite3_bind_int(s, 3, limit);
	sqlite3_bind_int64(s, 4, *from);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		if ((stamp = sqlite3_column_int64(s, 0)) > *from)
			*from = stamp;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warnx("store: archive expiry: %s",
		    sqlite3_errmsg(sqlite_db()));
		return (-1);
	}
	return (n);
}

static int64_t
sqlite_mam_count(const char *domain)
{
	return (sqlite_one(mq(M_COUNT, domain, NULL)));
}

/* Pages in use times their size: no file access from the chroot. */
static int64_t
sqlite_db_bytes(void)
{
	sqlite3_stmt	*s;
	int64_t		 n = -1;

	if (sqlite3_prepare_v2(sqlite_db(), "SELECT page_count * page_size "
	    "FROM pragma_page_count(), pragma_page_size()", -1, &s,
	    NULL) != SQLITE_OK)
		return (-1);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return (n);
}

const struct store_mam_ops sqlite_mam = {
	sqlite_mam_put,
	sqlite_mam_query,
	sqlite_mam_bounds,
	sqlite_mam_prefs_get,
	sqlite_mam_prefs_put,
	sqlite_mam_in_roster,
	sqlite_mam_expire,
	sqlite_mam_count,
	sqlite_db_bytes,
	NULL,		/* a query is answered at once */
	NULL,		/* facts and rows one by one: no round trips */
	NULL,
};
