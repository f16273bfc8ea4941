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
 * The WHERE clause of an archive query, for both SQL backends: fixed
 * text, every value a numbered parameter, spelt ?N (SQLite) or $N
 * (PostgreSQL).
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "msg.h"
#include "store_backend.h"

/*
 * Parameters 1-2 the owner, 3-4 with, 5-6 start/end, 7-8 after-id and
 * before-id, 9-10 the RSM bounds or a page's range, 11- the ids.  extra
 * writes its parameters ?N as well.  "+stamp": the index on stamps is
 * for expiry; pages walk the owner's seqs.
 */
int
mam_where(char *buf, size_t len, const struct mam_query *q,
    const struct mam_bounds *b, int rsm, const char *extra, char mark)
{
	char	 num[16], *p;
	int	 i;

	(void)strlcpy(buf, "domain = ?1 AND localpart = ?2", len);
	if (q->with_bare[0] != '\0')
		(void)strlcat(buf, " AND with_bare = ?3", len);
	if (q->with_res[0] != '\0')
		(void)strlcat(buf, " AND with_res = ?4", len);
	if (q->start != 0)
		(void)strlcat(buf, " AND +stamp >= ?5", len);
	if (q->end != 0)
		(void)strlcat(buf, " AND +stamp <= ?6", len);
	if (b->after != 0)
		(void)strlcat(buf, " AND seq > ?7", len);
	if (b->before != 0)
		(void)strlcat(buf, " AND seq < ?8", len);
	if (q->nids > 0) {
		(void)strlcat(buf, " AND id IN (", len);
		for (i = 0; i < q->nids; i++) {
			(void)snprintf(num, sizeof(num), "%s?%d",
			    i ? ", " : "", 11 + i);
			(void)strlcat(buf, num, len);
		}
		(void)strlcat(buf, ")", len);
	}
	if (rsm && b->rsm_after != 0)
		(void)strlcat(buf, " AND seq > ?9", len);
	if (rsm && b->rsm_before != 0)
		(void)strlcat(buf, " AND seq < ?10", len);
	if (extra != NULL)
		(void)strlcat(buf, extra, len);
	if (strlen(buf) + 1 >= len)
		return (-1);
	for (p = buf; (p = strchr(p, '?')) != NULL; p++)
		*p = mark;
	return (0);
}

/*
 * RSM counts (XEP-0059): a page's query counts its whole result set for
 * <count/>, and the rows before the page for <first index=.../>.  Over
 * a big archive that reads millions of index entries for a page of 50,
 * so past MAM_COUNT_MAX rows the count stops and is left out: XEP-0059
 * 2.7 lets <count/> be omitted when an accurate value would be
 * exceptionally costly, and makes the index optional.  A query asking
 * for the count alone (max 0) is always counted exactly.
 */
#define MAM_COUNT_MAX	100000

int64_t
mam_count_max(void)
{
#ifdef REGRESS
	/* Tests make the limit small enough to pass with a few rows. */
	const char	*s = getenv("XMPPD_REGRESS_MAM_COUNT_MAX");

	if (s != NULL && atoll(s) > 0)
		return (atoll(s));
#endif
	return (MAM_COUNT_MAX);
}

/*
 * SELECT count(*) of a query's rows (mam_where without the RSM bounds,
 * extra after it), reading at most limit + 1 of them when limit > 0: a
 * result past limit means "more than limit".
 */
int
mam_count_sql(char *buf, size_t len, const struct mam_query *q,
    const struct mam_bounds *b, const char *extra, int64_t limit, char mark)
{
	char	 where[2048];
	int	 n;

	if (mam_where(where, sizeof(where), q, b, 0, extra, mark) == -1)
		return (-1);
	if (limit > 0)
		n = snprintf(buf, len, "SELECT count(*) FROM (SELECT 1 FROM "
		    "mam WHERE %s LIMIT %lld) AS c", where,
		    (long long)limit + 1);
	else
		n = snprintf(buf, len, "SELECT count(*) FROM mam WHERE %s",
		    where);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}
