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
 * The WHERE clause of a room archive query, for every SQL backend:
 * fixed text, every value a numbered parameter, spelt ?N (SQLite) or
 * $N (PostgreSQL).  The numbers: 1 the room, 3 the nick, 4 the real
 * JID, 5-6 start and end, 7-8 after-id and before-id, 9-10 the RSM
 * bounds (or, counting, the seq the count stops at), 11- the ids.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "mam.h"
#include "msg.h"
#include "muc_backend.h"

/* " AND what p", p parameter n as the backend spells it. */
static void
muc_mam_sql_and(char *buf, size_t len, const char *what, char p, int n)
{
	char	 part[64];

	(void)snprintf(part, sizeof(part), " AND %s %c%d", what, p, n);
	(void)strlcat(buf, part, len);
}

/*
 * rsm: the page's RSM bounds apply; cmp: MUC_MAM_BELOW or MUC_MAM_ABOVE
 * counts the rows before or after parameter 9 (without rsm).  Returns
 * -1 when buf is too short.
 */
int
muc_mam_sql_where(char *buf, size_t len, const struct muc_mam_q *a, int rsm,
    int cmp, char p)
{
	const struct mam_query	*q = a->q;
	char			 num[32];
	int			 i;

	(void)snprintf(buf, len, "room = %c1", p);
	if (a->nick != NULL)
		muc_mam_sql_and(buf, len, "nick =", p, 3);
	if (a->jid != NULL)
		muc_mam_sql_and(buf, len, "jid =", p, 4);
	/* "+stamp": SQLite keeps to the room's index, expiry has stamp's. */
	if (q->start != 0)
		muc_mam_sql_and(buf, len, p == '?' ? "+stamp >=" :
		    "stamp >=", p, 5);
	if (q->end != 0)
		muc_mam_sql_and(buf, len, p == '?' ? "+stamp <=" :
		    "stamp <=", p, 6);
	if (a->after != 0)
		muc_mam_sql_and(buf, len, "seq >", p, 7);
	if (a->before != 0)
		muc_mam_sql_and(buf, len, "seq <", p, 8);
	for (i = 0; i < q->nids; i++) {
		(void)snprintf(num, sizeof(num), "%s%c%d", i ? ", " :
		    " AND id IN (", p, 11 + i);
		(void)strlcat(buf, num, len);
	}
	if (q->nids > 0)
		(void)strlcat(buf, ")", len);
	if (rsm && a->rsm_after != 0)
		muc_mam_sql_and(buf, len, "seq >", p, 9);
	if (rsm && a->rsm_before != 0)
		muc_mam_sql_and(buf, len, "seq <", p, 10);
	if (!rsm && cmp == MUC_MAM_BELOW)
		muc_mam_sql_and(buf, len, "seq <", p, 9);
	if (!rsm && cmp == MUC_MAM_ABOVE)
		muc_mam_sql_and(buf, len, "seq >", p, 9);
	return (strlen(buf) + 1 < len ? 0 : -1);
}
