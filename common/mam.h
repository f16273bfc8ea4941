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
 * Message archive queries (XEP-0313) as every archive reads and answers
 * them, users' in the router and rooms' in mucd: the query form, result
 * set bounds (XEP-0059), dates (XEP-0082), what is worth keeping, and
 * the result messages, fin and metadata built around a store's rows.
 */

#ifndef MAM_H
#define MAM_H

#include <stddef.h>
#include <stdint.h>

#define NS_MAM		"urn:xmpp:mam:2"
#define NS_MAM_EXT	"urn:xmpp:mam:2#extended"
#define NS_RSM		"http://jabber.org/protocol/rsm"
#define NS_XDATA	"jabber:x:data"

#define MAM_PAGE_DEFAULT	50
#define MAM_PAGE_MAX		100
#define MAM_QUERYID_MAX		256

struct mam_fin;
struct mam_query;
struct mam_row;
struct xml_node;

int		 mam_time(const char *, int64_t *);
void		 mam_stamp(int64_t, char *, size_t);
int64_t		 mam_now(void);
int		 mam_archivable(const struct xml_node *);
int		 mam_form(const struct xml_node *, struct mam_query *);
int		 mam_rsm(const struct xml_node *, struct mam_query *, int *);
int		 mam_query_parse(const struct xml_node *, struct mam_query *,
		    const char **, const char **);
int		 mam_form_fields(struct xml_node *);
struct xml_node	*mam_result_new(const char *, const char *, const char *,
		    const char *, int64_t, struct xml_node *);
int		 mam_fin_add(struct xml_node *, const struct mam_fin *);
int64_t		 mam_index_known(const struct mam_query *, int64_t, int);
int		 mam_meta_add(struct xml_node *, const struct mam_row *,
		    const struct mam_row *);

#endif /* MAM_H */
