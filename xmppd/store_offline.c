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
 * Offline messages in the store: kept per account up to the domain's
 * limit, handed to the router once and deleted in the same transaction.
 */

#include <sys/types.h>
#include <sys/uio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "store.h"

static int
offline_store(struct offline_req *r, const char *xml, size_t len)
{
	switch (store_be->account_exists(r->domain, r->localpart)) {
	case 1:
		break;
	case 0:
		return (OFFLINE_NO_ACCOUNT);
	default:
		return (OFFLINE_ERROR);		/* the database is away */
	}
	r->sender[sizeof(r->sender) - 1] = '\0';
	if (xs_blocks(r->domain, r->localpart, r->sender))
		return (OFFLINE_BLOCKED);
	if (store_be->offline_count(r->domain, r->localpart) >= r->limit)
		return (OFFLINE_FULL);
	if (store_be->offline_put(r->domain, r->localpart, time(NULL), xml,
	    len) == -1)
		return (OFFLINE_ERROR);
	return (OFFLINE_STORED);
}

struct offline_ctx {
	struct imsgev		*iev;
	uint32_t		 id;
	struct offline_req	*req;
};

static void
offline_one(const char *xml, size_t len, void *arg)
{
	struct offline_ctx	*ctx = arg;
	struct iovec		 iov[2];

	iov[0].iov_base = ctx->req;
	iov[0].iov_len = sizeof(*ctx->req);
	iov[1].iov_base = (void *)xml;
	iov[1].iov_len = len;
	imsgev_composev(ctx->iev, IMSG_OFFLINE_MSG, ctx->id, 0, -1, iov, 2);
}

/* Hand the messages over and delete them, all or nothing. */
static void
offline_fetch(struct imsgev *iev, uint32_t id, struct offline_req *r)
{
	struct offline_ctx	 ctx = { iev, id, r };

	if (store_be->begin() == 0) {
		if (store_be->offline_take(r->domain, r->localpart,
		    offline_one, &ctx) == -1 || store_be->commit() == -1)
			log_warnx("offline: could not delete delivered "
			    "messages of %s@%s", r->localpart, r->domain);
	}
	imsgev_compose(iev, IMSG_OFFLINE_END, id, 0, -1, r, sizeof(*r));
}

int
offline_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct offline_res	 res;
	struct offline_req	 req;
	struct ibuf		 ib;
	struct iovec		 iov[2];

	switch (imsg_get_type(imsg)) {
	case IMSG_OFFLINE_STORE:
	case IMSG_OFFLINE_FETCH:
		break;
	default:
		return (1);
	}
	if (iev->type != PROC_ROUTER || imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &req, sizeof(req)) == -1)
		return (-1);
	req.localpart[sizeof(req.localpart) - 1] = '\0';
	req.domain[sizeof(req.domain) - 1] = '\0';
	if (imsg_get_type(imsg) == IMSG_OFFLINE_FETCH) {
		offline_fetch(iev, imsg_get_id(imsg), &req);
		return (0);
	}
	memset(&res, 0, sizeof(res));
	res.req = req;
	res.status = offline_store(&req, ibuf_data(&ib), ibuf_size(&ib));
	iov[0].iov_base = &res;
	iov[0].iov_len = sizeof(res);
	/* A refused message goes back, for the sender's error. */
	iov[1].iov_base = ibuf_data(&ib);
	iov[1].iov_len = res.status == OFFLINE_STORED ? 0 : ibuf_size(&ib);
	imsgev_composev(iev, IMSG_OFFLINE_STORED, imsg_get_id(imsg), 0, -1,
	    iov, 2);
	return (0);
}
