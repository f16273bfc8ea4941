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
 * The PostgreSQL side of store_pie.c: an import's archived messages,
 * set aside under an account of their own while they arrive, given to
 * the imported account in its transaction.
 */

#include <libpq-fe.h>

#include "store_backend.h"
#include "store_pg.h"

int
pie_pg_move(const char *fdomain, const char *flocal, const char *domain,
    const char *local)
{
	struct pgconn_args	 a;
	PGresult		*r;

	pgconn_args_init(&a);
	pgconn_arg_text(&a, fdomain);
	pgconn_arg_text(&a, flocal);
	pgconn_arg_text(&a, domain);
	pgconn_arg_text(&a, local);
	if ((r = pg_exec_sql("UPDATE mam SET domain = $3, localpart = $4 "
	    "WHERE domain = $1 AND localpart = $2", &a)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}
