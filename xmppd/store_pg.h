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
 * What the PostgreSQL files of the store share: named statements,
 * prepared on each new connection, their parameters, and running them.
 * A call made while the server is away fails at once.
 */

#ifndef STORE_PG_H
#define STORE_PG_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "pgconn.h"

/* The store's connection: a call made while it is down fails at once. */
PGresult	*pg_exec(const char *, const struct pgconn_args *, int);
PGresult	*pg_exec_sql(const char *, const struct pgconn_args *);
int		 pg_done(const char *, const struct pgconn_args *);
int64_t		 pg_one(const char *, const struct pgconn_args *);
PGresult	*pg_group_exec(const char *, const struct pgconn_args *);
void		 pg_group_end(void);

/* The other files' statements. */
extern const struct pgconn_stmt	 pg_xml_stmts[];
extern const size_t		 pg_xml_nstmts;
extern const struct pgconn_stmt	 pg_mam_stmts[];
extern const size_t		 pg_mam_nstmts;
extern const struct pgconn_stmt	 pg_state_stmts[];
extern const size_t		 pg_state_nstmts;
extern const struct pgconn_stmt	 pg_motd_stmts[];
extern const size_t		 pg_motd_nstmts;

/* The archive queries' connection (store_pg_mam.c). */
void		 pg_mam_open(const char **, const char **);
void		 pg_mam_close(void);

#endif /* STORE_PG_H */
