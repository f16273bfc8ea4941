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
 * queries and preferences) and router_mam_meta.c (archive metadata);
 * queries are read and answered with common/mam.c.
 */

#ifndef ROUTER_MAM_H
#define ROUTER_MAM_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "mam.h"

struct mam_owner;
struct mam_query;
struct session;
struct xml_node;

/* A request to the store for a session, answered when the store has. */
struct mam_req {
	TAILQ_ENTRY(mam_req)	 entry;
	uint32_t		 reqid;
	int			 stream;
	uint32_t		 session;
	struct xml_node		*iq;
	char			*queryid;
	uint32_t		 hold;		/* router_order.c */
};

/* router_mam.c */
struct mam_req	*mam_req_new(struct session *, struct xml_node *,
		    const char *);
void		 mam_req_free(struct mam_req *);
struct mam_req	*mam_req_find(uint32_t, struct session **);
int		 mam_busy(struct session *);
void		 mam_owner_of(struct mam_owner *, struct session *);
int		 mam_own(struct session *, struct xml_node *,
		    struct xml_node **);
void		 mam_send(struct session *, struct xml_node *);

#endif /* ROUTER_MAM_H */
