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
 * Rosters in the store: the router loads a user's roster once and then
 * sends each change; every change also moves the roster version.
 */

#include <sys/types.h>
#include <sys/uio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "store.h"

struct roster_ctx {
	struct imsgev		*iev;
	struct roster_owner	*owner;
};

static void
roster_one(struct roster_item_msg *it, const char *name, const char *groups,
    const char *pending, void *arg)
{
	struct roster_ctx	*ctx = arg;
	struct iovec		 iov[4];

	it->owner = *ctx->owner;
	iov[0].iov_base = it;
	iov[0].iov_len = sizeof(*it);
	iov[1].iov_base = (void *)name;
	iov[1].iov_len = it->namelen;
	iov[2].iov_base = (void *)groups;
	iov[2].iov_len = it->groupslen;
	iov[3].iov_base = (void *)pending;
	iov[3].iov_len = it->pendinglen;
	imsgev_composev(ctx->iev, IMSG_ROSTER_ITEM, 0, 0, -1, iov, 4);
}

/*
 * The roster of an owner, item by item, then the owner: exists -1 when
 * the database could not say (the items sent before that are void), and
 * the router asks again rather than take an empty roster for it.
 */
static void
roster_load(struct imsgev *iev, struct roster_owner *o)
{
	struct roster_ctx	 ctx = { iev, o };

	o->ver = 0;
	o->exists = store_be->account_exists(o->domain, o->localpart);
	if (o->exists != -1 && (o->ver = store_be->roster_version(o->domain,
	    o->localpart)) == -1)
		o->exists = -1;
	if (o->exists == 1 && store_be->roster_items(o->domain, o->localpart,
	    roster_one, &ctx) == -1)
		o->exists = -1;
	if (o->exists == -1) {
		o->ver = 0;
		log_warnx("roster of %s@%s: could not load it", o->localpart,
		    o->domain);
	}
	imsgev_compose(iev, IMSG_ROSTER_LOADED, 0, 0, -1, o, sizeof(*o));
}

static void
roster_save(struct roster_item_msg *it, struct ibuf *ib, int del)
{
	const char	*name, *groups, *pending;
	int		 rc;

	if (ibuf_size(ib) != (size_t)it->namelen + it->groupslen +
	    it->pendinglen)
		fatalx("%s: bad item", __func__);
	name = ibuf_data(ib);
	groups = name + it->namelen;
	pending = groups + it->groupslen;
	if (store_be->begin() == -1)
		goto fail;
	if (del)
		rc = store_be->roster_del(it->owner.domain,
		    it->owner.localpart, it->contact);
	else
		rc = store_be->roster_put(it, name, groups, pending);
	if (rc == -1 || store_be->roster_set_version(it->owner.domain,
	    it->owner.localpart, it->owner.ver) == -1) {
		store_be->rollback();
		goto fail;
	}
	if (store_be->commit() == 0)
		return;
 fail:
	log_warnx("roster of %s@%s: could not save %s",
	    it->owner.localpart, it->owner.domain, it->contact);
}

int
roster_store_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct roster_owner	 o;
	struct roster_item_msg	 it;
	struct ibuf		 ib;

	switch (imsg_get_type(imsg)) {
	case IMSG_ROSTER_LOAD:
		if (iev->type != PROC_ROUTER ||
		    imsg_get_data(imsg, &o, sizeof(o)) == -1)
			return (-1);
		o.localpart[sizeof(o.localpart) - 1] = '\0';
		o.domain[sizeof(o.domain) - 1] = '\0';
		roster_load(iev, &o);
		return (0);
	case IMSG_ROSTER_SAVE:
	case IMSG_ROSTER_DELETE:
		if (iev->type != PROC_ROUTER ||
		    imsg_get_ibuf(imsg, &ib) == -1 ||
		    ibuf_get(&ib, &it, sizeof(it)) == -1)
			return (-1);
		it.owner.localpart[sizeof(it.owner.localpart) - 1] = '\0';
		it.owner.domain[sizeof(it.owner.domain) - 1] = '\0';
		it.contact[sizeof(it.contact) - 1] = '\0';
		roster_save(&it, &ib, imsg_get_type(imsg) ==
		    IMSG_ROSTER_DELETE);
		return (0);
	}
	return (1);
}
