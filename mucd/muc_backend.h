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
 * mucd's data access, one set of operations per database engine:
 * muc_sqlite.c and muc_sqlite_mam.c for SQLite, muc_pg.c and
 * muc_pg_mam.c for PostgreSQL ("muc storage", xmppd.conf(5)).  The room core
 * (muc_db.c) and the features (history, archives, affiliations) speak
 * only to this.  Rooms are rows named by an id the database draws;
 * every call that fails logs why, and returns -1 (or 0 for an id).
 */

#ifndef MUC_BACKEND_H
#define MUC_BACKEND_H

#include <stddef.h>
#include <stdint.h>

struct global_conf;
struct mam_fin;
struct mam_query;
struct mam_row;

/* Discussion history (muc_history.c): a room's last messages. */
struct muc_history_ops {
	/* The new row's id; 0 when it is not written. */
	int64_t		(*put)(int64_t, int64_t, const char *, size_t);
	/* Rows of a room up to and including an id. */
	int		(*trim)(int64_t, int64_t);
	/* At most n rows of a room, newest first; the callback returns
	   -1 to stop. */
	int		(*load)(int64_t, int, int (*)(int64_t, int64_t,
			    const char *, size_t, void *), void *);
	int		(*clear)(int64_t);
	/* Rows of a service's rooms older than a stamp. */
	int		(*expire)(const char *, int64_t);
};

/*
 * A room archive query (muc_mam.c), its ids resolved to rows (seq) of
 * the room; 0: no bound.
 */
struct muc_mam_q {
	const struct mam_query	*q;
	int64_t			 room;
	const char		*nick;		/* NULL: any */
	const char		*jid;		/* NULL: any */
	int64_t			 after, before, rsm_after, rsm_before;
};

/* What count() counts beside the query: rows before or after a seq. */
#define MUC_MAM_ALL	0
#define MUC_MAM_BELOW	1
#define MUC_MAM_ABOVE	2

/* A row of a room archive to a query: id, stamp, real JID, XML. */
typedef int	(*muc_mam_row_cb)(const char *, int64_t, const char *,
		    const char *, size_t, void *);

/*
 * Room archives (XEP-0313).  put returns 1 when the room has the id
 * already; seq is 0 when the room has no such id, -1 on failure; page reads the
 * query's rows (RSM bounds included) oldest first, or newest first when
 * backward, at most max seqs, and says if more follow; row calls back
 * with a row's id, stamp, real JID and XML, and returns what the
 * callback did (-1: no such row); end fills in the first or last row,
 * its id "" when the room has none; expire deletes at most limit rows
 * and returns how many.
 *
 * query_start runs a whole query (its ids unresolved: the q's after,
 * before and RSM seqs are 0) and answers later, from the event loop:
 * the page's rows to the callback, in the order they are sent, then
 * the fin (status MAM_ITEM_NOT_FOUND for an id the room does not have,
 * MAM_ERROR on failure) to done; done is always called, maybe at once.
 * A backend has query_start, or seq, count, page and row, which
 * muc_mam.c calls at once.
 */
struct muc_mam_ops {
	int		(*put)(int64_t, const char *, int64_t, const char *,
			    const char *, const char *, size_t);
	int64_t		(*seq)(int64_t, const char *);
	int64_t		(*count)(const struct muc_mam_q *, int, int64_t);
	int		(*page)(const struct muc_mam_q *, int, int,
			    int64_t *, int *);
	int		(*row)(int64_t, muc_mam_row_cb, void *);
	int		(*end)(int64_t, int, struct mam_row *);
	int64_t		(*expire)(const char *, int64_t, int);
	void		(*query_start)(const struct muc_mam_q *,
			    muc_mam_row_cb, void (*)(const struct mam_fin *,
			    void *), void *);
};

struct muc_backend {
	const char	*name;
	void		(*open)(const struct global_conf *);
	void		(*close)(void);
	/* Connected; NULL: always.  On connecting it calls mucd_db_up(). */
	int		(*up)(void);

	/* One transaction at a time, never nested. */
	int		(*begin)(void);
	int		(*commit)(void);
	void		(*rollback)(void);
	/*
	 * Around the stanzas of one read from the router: the archive and
	 * history writes they make may share a commit (NULL: each its own).
	 */
	void		(*batch_begin)(void);
	void		(*batch_end)(void);

	/* A service's rooms: id, name, creation time. */
	int		(*rooms)(const char *, void (*)(int64_t, const char *,
			    int64_t, void *), void *);
	/* A room's row, made if need be; 0 when it cannot be. */
	int64_t		(*room_add)(const char *, const char *, int64_t);
	int		(*room_del)(int64_t);

	/* A room's settings, as (key, value). */
	int		(*cfg_all)(int64_t, void (*)(const char *,
			    const char *, void *), void *);
	/* One setting, to free; NULL when there is none. */
	char		*(*cfg_get)(int64_t, const char *);
	int		(*cfg_put)(int64_t, const char *, const char *);

	/* A room's affiliations: JID, affiliation, nick, reason. */
	int		(*aff_all)(int64_t, void (*)(const char *,
			    const char *, const char *, const char *, void *),
			    void *);
	int		(*aff_put)(int64_t, const char *, const char *,
			    const char *, const char *);
	int		(*aff_del)(int64_t, const char *);
	int		(*aff_clear)(int64_t);

	const struct muc_history_ops	*history;
	const struct muc_mam_ops	*mam;
};

/* muc_mam_sql.c: a query's WHERE clause, for the SQL backends. */
int	muc_mam_sql_where(char *, size_t, const struct muc_mam_q *, int,
	    int, char);

extern const struct muc_backend		 muc_sqlite;
extern const struct muc_mam_ops		 muc_sqlite_mam;
extern const struct muc_backend		*muc_be;
#ifdef HAVE_LIBPQ
extern const struct muc_backend		 muc_pg;
extern const struct muc_mam_ops		 muc_pg_mam;
#endif

#endif /* MUC_BACKEND_H */
