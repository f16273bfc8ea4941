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

struct global_conf;
struct xmppd_config;

#define PG_MAXARGS	80	/* a MAM query: 10 and its ids */

struct pg_stmt {
	const char	*name;
	const char	*sql;
};

/* Parameters: text, numbers and bytes, each with its type. */
struct pg_args {
	int		 n;
	const char	*v[PG_MAXARGS];
	int		 len[PG_MAXARGS];
	int		 fmt[PG_MAXARGS];
	Oid		 type[PG_MAXARGS];
	char		 num[PG_MAXARGS][24];
};

void		 pg_args_init(struct pg_args *);
void		 pg_arg_text(struct pg_args *, const char *);
void		 pg_arg_textn(struct pg_args *, const char *, size_t);
void		 pg_arg_int(struct pg_args *, int64_t);
void		 pg_arg_bytes(struct pg_args *, const void *, size_t);

/* A prepared statement or an SQL text; NULL on failure, logged. */
PGresult	*pg_exec(const char *, const struct pg_args *, int);
PGresult	*pg_exec_sql(const char *, const struct pg_args *);
int64_t		 pg_int(const PGresult *, int, int);
int64_t		 pg_changes(const PGresult *);
int		 pg_done(const char *, const struct pg_args *);
int64_t		 pg_one(const char *, const struct pg_args *);

/* The other files' statements. */
extern const struct pg_stmt	 pg_xml_stmts[];
extern const size_t		 pg_xml_nstmts;
extern const struct pg_stmt	 pg_mam_stmts[];
extern const size_t		 pg_mam_nstmts;

/* store_pg_conf.c: the parent's check, and the store's parameters. */
int		 pgconf_check(struct xmppd_config *, const char *);
int		 pgconf_params(const struct global_conf *, const char ***,
		    const char ***);
void		 pgconf_params_free(const char **, const char **);
int		 pgconf_port(const struct global_conf *);

#endif /* STORE_PG_H */
