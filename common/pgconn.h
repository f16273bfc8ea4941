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
 * A PostgreSQL connection under libevent, as the store and mucd use
 * one: made without blocking and made again with backoff when the
 * server goes away, logged once per outage; while it is away every call
 * fails at once.  Typed parameters, named statements, a versioned schema.
 */

#ifndef PGCONN_H
#define PGCONN_H

#include <sys/queue.h>

#include <event.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PGCONN_MAXARGS	80	/* an archive query: 10 and its ids */

struct pgconn_args {
	int		 n;
	const char	*v[PGCONN_MAXARGS];
	int		 len[PGCONN_MAXARGS];
	int		 fmt[PGCONN_MAXARGS];
	Oid		 type[PGCONN_MAXARGS];
	char		 num[PGCONN_MAXARGS][24];
};

struct pgconn_stmt {
	const char	*name;
	const char	*sql;
};

enum pgconn_state { PGCONN_DOWN, PGCONN_CONNECTING, PGCONN_UP };

/*
 * A statement sent without waiting (pgconn_send): a prepared one (name)
 * or a text (sql).  The caller keeps it and its parameters until done
 * is called, with the result, or NULL when it failed (logged).
 */
struct pgconn_req {
	TAILQ_ENTRY(pgconn_req)	 entry;
	const char		*name;
	const char		*sql;
	const struct pgconn_args *a;
	void			(*done)(PGresult *, void *);
	void			*arg;
};
TAILQ_HEAD(pgconn_reqs, pgconn_req);

struct pgconn {
	const char	*who;		/* the log lines' prefix */
	/* Connected: schema, statements; -1 stops the process. */
	int		(*ready)(struct pgconn *);
	PGconn		*conn;
	enum pgconn_state state;
	struct event	 ev;		/* the socket */
	struct event	 retry;
	time_t		 deadline;
	int		 delay;
	int		 outage;	/* logged once until it ends */
	int		 quiet;		/* another connection logs outages */
	const char	**kw, **val;
	struct pgconn_reqs reqs;	/* waiting to be sent */
	struct pgconn_req *cur;		/* sent, its result awaited */
	PGresult	*res;
	struct event	 wev;		/* a send not yet flushed */
};

void		 pgconn_args_init(struct pgconn_args *);
void		 pgconn_arg_text(struct pgconn_args *, const char *);
void		 pgconn_arg_textn(struct pgconn_args *, const char *, size_t);
void		 pgconn_arg_int(struct pgconn_args *, int64_t);
void		 pgconn_arg_bytes(struct pgconn_args *, const void *, size_t);

void		 pgconn_open(struct pgconn *, const char *,
		    int (*)(struct pgconn *), const char **, const char **);
void		 pgconn_close(struct pgconn *);
int		 pgconn_up(const struct pgconn *);

/* A prepared statement or an SQL text; NULL on failure, logged. */
PGresult	*pgconn_exec(struct pgconn *, const char *,
		    const struct pgconn_args *, int);
PGresult	*pgconn_sql(struct pgconn *, const char *,
		    const struct pgconn_args *);
int		 pgconn_run(struct pgconn *, const char *);
int		 pgconn_done(struct pgconn *, const char *,
		    const struct pgconn_args *);
int64_t		 pgconn_one(struct pgconn *, const char *,
		    const struct pgconn_args *);
int64_t		 pgconn_int(const PGresult *, int, int);
int64_t		 pgconn_changes(const PGresult *);
int		 pgconn_prepare(struct pgconn *, const struct pgconn_stmt *,
		    size_t);
int		 pgconn_commit(struct pgconn *);
int		 pgconn_send(struct pgconn *, struct pgconn_req *);

/*
 * The schema: step n (steps[n - 1], SQL texts ending in NULL) takes
 * version n - 1 to n, all in one transaction under an advisory lock.
 * Returns 0, -1 on failure, or 1 leaving a newer database untouched
 * (its version in *found).
 */
int		 pgconn_schema(struct pgconn *, const char *,
		    const char *const *const *, int, int *);

#endif /* PGCONN_H */
