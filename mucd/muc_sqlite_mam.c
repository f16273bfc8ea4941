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
 * Room archives in SQLite: the muc_mam table, rows numbered by seq in
 * the order they came; queries built from fixed text (muc_mam_sql.c),
 * every value bound.
 */

#include <sys/types.h>

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "dbutil.h"
#include "log.h"
#include "mam.h"
#include "msg.h"
#include "muc_backend.h"
#include "muc_sqlite.h"

enum {
	A_PUT, A_SEQ, A_ROW, A_FIRST, A_LAST, A_EXPIRE, A_MAX
};

static const char *const muc_sqlite_mam_sql[A_MAX] = {
	[A_PUT] = "INSERT INTO muc_mam (room, id, stamp, nick, jid, xml) "
	    "VALUES (?, ?, ?, ?, ?, ?)",
	[A_SEQ] = "SELECT seq FROM muc_mam WHERE room = ? AND id = ?",
	[A_ROW] = "SELECT id, stamp, jid, xml FROM muc_mam WHERE seq = ?",
	[A_FIRST] = "SELECT id, stamp FROM muc_mam WHERE room = ? "
	    "ORDER BY seq LIMIT 1",
	[A_LAST] = "SELECT id, stamp FROM muc_mam WHERE room = ? "
	    "ORDER BY seq DESC LIMIT 1",
	[A_EXPIRE] = "DELETE FROM muc_mam WHERE seq IN (SELECT seq FROM "
	    "muc_mam WHERE stamp < ?1 AND room IN (SELECT id FROM rooms "
	    "WHERE service = ?2) LIMIT ?3)",
};

static sqlite3_stmt	*ast[A_MAX];

void
muc_sqlite_mam_open(void)
{
	size_t	 i;

	for (i = 0; i < A_MAX; i++)
		ast[i] = muc_sqlite_prepare(muc_sqlite_mam_sql[i]);
}

void
muc_sqlite_mam_close(void)
{
	size_t	 i;

	for (i = 0; i < A_MAX; i++) {
		sqlite3_finalize(ast[i]);
		ast[i] = NULL;
	}
}

static sqlite3_stmt *
muc_sqlite_mam_q(int which)
{
	return (dbu_reset(ast[which]));
}

static int
muc_sqlite_mam_put(int64_t room, const char *id, int64_t stamp,
    const char *nick, const char *jid, const char *xml, size_t len)
{
	sqlite3_stmt	*s = muc_sqlite_mam_q(A_PUT);
	int		 rc;

	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, stamp);
	sqlite3_bind_text(s, 4, nick, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, jid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, xml, len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return (0);
	if (rc == SQLITE_CONSTRAINT)
		return (1);
	log_warnx("muc db: %s", sqlite3_errmsg(muc_sqlite_db()));
	return (-1);
}

static int64_t
muc_sqlite_mam_seq(int64_t room, const char *id)
{
	sqlite3_stmt	*s = muc_sqlite_mam_q(A_SEQ);
	int64_t		 seq = 0;
	int		 rc;

	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		seq = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE) {
		log_warnx("muc db: %s", sqlite3_errmsg(muc_sqlite_db()));
		seq = -1;
	}
	sqlite3_reset(s);
	return (seq);
}

/* SELECT what FROM muc_mam WHERE ..., bound; NULL when it fails. */
static sqlite3_stmt *
muc_sqlite_mam_select(const char *what, const struct muc_mam_q *a, int rsm,
    int cmp, int64_t pivot, const char *tail)
{
	const struct mam_query	*q = a->q;
	sqlite3_stmt		*s;
	char			 where[2048], sql[2200];
	int			 i;

	if (muc_mam_sql_where(where, sizeof(where), a, rsm, cmp, '?') == -1 ||
	    snprintf(sql, sizeof(sql), "SELECT %s FROM muc_mam WHERE %s%s",
	    what, where, tail) >= (int)sizeof(sql))
		return (NULL);
	if (sqlite3_prepare_v2(muc_sqlite_db(), sql, -1, &s, NULL) !=
	    SQLITE_OK) {
		log_warnx("muc db: %s: %s", sql,
		    sqlite3_errmsg(muc_sqlite_db()));
		return (NULL);
	}
	/* Parameters the clause does not use are out of range: harmless. */
	sqlite3_bind_int64(s, 1, a->room);
	sqlite3_bind_text(s, 3, a->nick, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, a->jid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, q->start);
	sqlite3_bind_int64(s, 6, q->end);
	sqlite3_bind_int64(s, 7, a->after);
	sqlite3_bind_int64(s, 8, a->before);
	sqlite3_bind_int64(s, 9, rsm ? a->rsm_after : pivot);
	sqlite3_bind_int64(s, 10, rsm ? a->rsm_before : 0);
	for (i = 0; i < q->nids; i++)
		sqlite3_bind_text(s, 11 + i, q->ids[i], -1, SQLITE_STATIC);
	return (s);
}

static int64_t
muc_sqlite_mam_count(const struct muc_mam_q *a, int cmp, int64_t pivot)
{
	sqlite3_stmt	*s;
	int64_t		 n = -1;

	if ((s = muc_sqlite_mam_select("count(*)", a, 0, cmp, pivot,
	    "")) == NULL)
		return (-1);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return (n);
}

static int
muc_sqlite_mam_page(const struct muc_mam_q *a, int backward, int max,
    int64_t *seqs, int *more)
{
	sqlite3_stmt	*s;
	char		 tail[64];
	int		 n = 0, rc;

	(void)snprintf(tail, sizeof(tail), " ORDER BY seq%s LIMIT %d",
	    backward ? " DESC" : "", max + 1);
	if ((s = muc_sqlite_mam_select("seq", a, 1, MUC_MAM_ALL, 0,
	    tail)) == NULL)
		return (-1);
	*more = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == max) {
			*more = 1;
			rc = SQLITE_DONE;
			break;
		}
		seqs[n++] = sqlite3_column_int64(s, 0);
	}
	if (rc != SQLITE_DONE) {
		log_warnx("muc db: %s", sqlite3_errmsg(muc_sqlite_db()));
		n = -1;
	}
	sqlite3_finalize(s);
	return (n);
}

static int
muc_sqlite_mam_row(int64_t seq, int (*cb)(const char *, int64_t,
    const char *, const char *, size_t, void *), void *arg)
{
	sqlite3_stmt	*s = muc_sqlite_mam_q(A_ROW);
	const char	*id, *jid, *xml;
	int		 rv = -1;

	sqlite3_bind_int64(s, 1, seq);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (id = (const char *)sqlite3_column_text(s, 0)) != NULL &&
	    (jid = (const char *)sqlite3_column_text(s, 2)) != NULL &&
	    (xml = (const char *)sqlite3_column_text(s, 3)) != NULL)
		rv = cb(id, sqlite3_column_int64(s, 1), jid, xml,
		    sqlite3_column_bytes(s, 3), arg);
	sqlite3_reset(s);
	return (rv);
}

static int
muc_sqlite_mam_end(int64_t room, int last, struct mam_row *row)
{
	sqlite3_stmt	*s = muc_sqlite_mam_q(last ? A_LAST : A_FIRST);
	const char	*id;
	int		 rc, rv = 0;

	memset(row, 0, sizeof(*row));
	sqlite3_bind_int64(s, 1, room);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((id = (const char *)sqlite3_column_text(s, 0)) == NULL ||
		    strlcpy(row->id, id, sizeof(row->id)) >= sizeof(row->id))
			rv = -1;
		row->stamp = sqlite3_column_int64(s, 1);
	} else if (rc != SQLITE_DONE)
		rv = -1;
	sqlite3_reset(s);
	return (rv);
}

static int64_t
muc_sqlite_mam_expire(const char *svc, int64_t before, int limit)
{
	sqlite3_stmt	*s = muc_sqlite_mam_q(A_EXPIRE);

	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_text(s, 2, svc, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, limit);
	if (muc_sqlite_done(s) == -1)
		return (-1);
	return (sqlite3_changes(muc_sqlite_db()));
}

const struct muc_mam_ops muc_sqlite_mam = {
	.put = muc_sqlite_mam_put,
	.seq = muc_sqlite_mam_seq,
	.count = muc_sqlite_mam_count,
	.page = muc_sqlite_mam_page,
	.row = muc_sqlite_mam_row,
	.end = muc_sqlite_mam_end,
	.expire = muc_sqlite_mam_expire,
};
