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
 * Message archives in the router: router_mam.c (archiving, stanza ids,
 * queries and preferences) and router_mam_form.c (parsing queries).
 */

#ifndef ROUTER_MAM_H
#define ROUTER_MAM_H

#include <stddef.h>
#include <stdint.h>

#define NS_MAM		"urn:xmpp:mam:2"
#define NS_MAM_EXT	"urn:xmpp:mam:2#extended"
#define NS_RSM		"http://jabber.org/protocol/rsm"
#define NS_XDATA	"jabber:x:data"

#define MAM_PAGE_DEFAULT	50
#define MAM_PAGE_MAX		100

struct mam_query;
struct xml_node;

/* router_mam_form.c */
int		 mam_form(const struct xml_node *, struct mam_query *);
int		 mam_rsm(const struct xml_node *, struct mam_query *, int *);
void		 mam_stamp(int64_t, char *, size_t);
struct xml_node	*mam_fields(struct xml_node *);

#endif /* ROUTER_MAM_H */
