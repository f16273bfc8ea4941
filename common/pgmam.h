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
 * An archive query on PostgreSQL (XEP-0313 with XEP-0059), as the
 * store's and mucd's archives both run it: one statement a step, each
 * step reading what the one before it found, so that a page reads no
 * more than its own rows.  The steps run at once (pgmam_run) or on a
 * connection of their own, answered from the event loop (pgmam_start).
 * What differs between the archives, the table and its filter, is the
 * caller's (struct pgmam_ops).
 */

#ifndef PGMAM_H
#define PGMAM_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "pgconn.h"

enum pgmam_step {
	PGMAM_GATE, PGMAM_SEQ, PGMAM_COUNT, PGMAM_PAGE, PGMAM_ROWS,
	PGMAM_INDEX, PGMAM_DONE
};

/* The ids of a query (bound[]): form after-id and before-id, RSM's. */
enum { PGMAM_AFTER, PGMAM_BEFORE, PGMAM_RSM_AFTER, PGMAM_RSM_BEFORE };

struct pgmam;

/*
 * seq		the statement that finds an id's seq in the archive, into
 *		the query's req and a
 * select	the statement "SELECT what FROM archive WHERE the filter",
 *		the query's RSM bounds too when rsm, then extra, with
 *		parameters 9 and 10 ($9, $10 in extra); -1 when too long.
 *		Parameters 1 to 4 are the archive's (owner, with), the
 *		others pgmam_args()'s
 * cols		the columns a row is read with, after "id, stamp"
 * row		the result's row i to the caller; -1 stops
 */
struct pgmam_ops {
	void		(*seq)(struct pgmam *, const char *);
	int		(*select)(struct pgmam *, const char *, int,
			    const char *, int64_t, int64_t);
	const char	*cols;
	int		(*row)(struct pgmam *, const PGresult *, int);
};

/* A query: the caller's struct holds it, and keeps it until done. */
struct pgmam {
	struct pgconn_req	 req;
	const struct pgmam_ops	*ops;
	struct mam_query	 q;
	int64_t			 bound[4];	/* seqs; 0: none */
	struct mam_fin		 fin;
	enum pgmam_step		 step;
	int			 id;		/* the next id to resolve */
	int64_t			 lo, hi;	/* the page's seqs */
	int64_t			 limit;		/* rows counted; 0: all */
	struct pgconn_args	 a;
	char			 sql[4096];
	struct pgconn		*pc;		/* where it runs */
	void			(*done)(struct pgmam *);
};

/*
 * The archive queries' own connection: opened once the main one has
 * made the schema, logging its outages at debug level only (the main
 * one logs them), its statements prepared on each connection.
 */
struct pgmam_conn {
	struct pgconn			 pc;	/* first: ready sees it */
	const struct pgconn_stmt	*stmts;
	size_t				 nstmts;
};

/* A statement run at once, a prepared one (name) or a text (sql). */
typedef PGresult	*(*pgmam_exec)(const char *, const char *,
			    const struct pgconn_args *);

void	 pgmam_init(struct pgmam *, const struct pgmam_ops *,
	    const struct mam_query *);
int	 pgmam_run(struct pgmam *, pgmam_exec);
void	 pgmam_start(struct pgmam *, struct pgmam_conn *, pgmam_exec,
	    void (*)(struct pgmam *));
void	 pgmam_open(struct pgmam_conn *, const char *,
	    const struct pgconn_stmt *, size_t, const char **, const char **);
void	 pgmam_close(struct pgmam_conn *);
int	 pgmam_sql(struct pgmam *, const char *, const char *,
	    const char *);
void	 pgmam_args(struct pgmam *, int64_t, int64_t);

#endif /* PGMAM_H */
