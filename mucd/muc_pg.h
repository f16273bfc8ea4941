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
 * What mucd's PostgreSQL files share: parameters, running a named
 * statement (prepared on each connection) or a text.  A call made while
 * the server is away fails at once.
 */

#ifndef MUC_PG_H
#define MUC_PG_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "pgconn.h"

struct global_conf;

/* mucd's connection: a call made while it is down fails at once. */
PGresult	*muc_pg_exec(const char *, const struct pgconn_args *);
PGresult	*muc_pg_sql(const char *, const struct pgconn_args *);
int		 muc_pg_done(const char *, const struct pgconn_args *);
/* A write a groupchat message makes: its commit shared with others. */
PGresult	*muc_pg_write(const char *, const struct pgconn_args *);
void		 muc_pg_batch_commit(void);

/* The archive queries' connection (muc_pg_mam.c). */
void		 muc_pg_mam_open(const char **, const char **);
void		 muc_pg_mam_close(void);

extern const struct pgconn_stmt	 muc_pg_mam_stmts[];
extern const size_t		 muc_pg_mam_nstmts;

/* muc_pg_conf.c: the conninfo, as the store's is checked and used. */
int		 muc_pg_check(struct global_conf *, const char *);
int		 muc_pg_params(const struct global_conf *, const char ***,
		    const char ***);

#endif /* MUC_PG_H */
