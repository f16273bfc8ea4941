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
 * Per-user XML items in the store: an account's private XML (XEP-0049),
 * vCard (XEP-0054) and PEP nodes (XEP-0163), kept as serialized XML the
 * router built.  The router checks who may do what; the store keeps the
 * counts within the bounds each request carries, all or nothing.
 */

#include <sys/types.h>
#include <sys/uio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "store.h"

#define XS_LAST_NODES	256	/* nodes PEP_LAST looks at */

struct xs_ctx {
	struct imsgev	*iev;
	uint32_t	 id;
	struct xs_req	*req;
	size_t		 bytes;
	int		 n;
};

static int
xs_item(const char *key, const char *xml, size_t len, void *arg)
{
	struct xs_ctx	*ctx = arg;
	struct xs_req	 r = *ctx->req;
	struct iovec	 iov[2];

	if (ctx->req->maxbytes != 0 && ctx->bytes + len > ctx->req->maxbytes)
		return (-1);
	ctx->bytes += len;
	ctx->n++;
	(void)strlcpy(r.key, key, sizeof(r.key));
	iov[0].iov_base = &r;
	iov[0].iov_len = sizeof(r);
	iov[1].iov_base = (void *)xml;
	iov[1].iov_len = len;
	imsgev_composev(ctx->iev, IMSG_XS_ITEM, ctx->id, 0, -1, iov, 2);
	return (0);
}

static int
xs_put(struct xs_req *r, const char *xml, size_t len)
{
	const struct store_xml_ops	*x = store_be->xml;
	int				 st = XS_OK;

	if (store_be->begin() == -1)
		return (XS_ERROR);
	if (r->limit != 0 && !x->exists(r->domain, r->localpart, r->space,
	    r->key) && x->count(r->domain, r->localpart, r->space) >=
	    (int)r->limit)
		st = XS_FULL;
	else if (x->put(r->domain, r->localpart, r->space, r->key, xml,
	    len) == -1 || (r->keep != 0 && x->trim(r->domain, r->localpart,
	    r->space, r->keep) == -1))
		st = XS_ERROR;
	if (st != XS_OK) {
		store_be->rollback();
		return (st);
	}
	return (store_be->commit() == 0 ? XS_OK : XS_ERROR);
}

/* The node's configuration and the item, in one transaction. */
static int
xs_publish(struct xs_req *r, const char *xml, size_t len)
{
	const struct store_xml_ops	*x = store_be->xml;
	const char			*node = r->space + 4;
	int				 st = XS_OK;

	if (r->conflen > len || strncmp(r->space, "pep/", 4) != 0)
		return (XS_ERROR);
	if (store_be->begin() == -1)
		return (XS_ERROR);
	if (!x->exists(r->domain, r->localpart, "pep", node) &&
	    x->count(r->domain, r->localpart, "pep") >= (int)r->limit)
		st = XS_FULL;
	else if (x->put(r->domain, r->localpart, "pep", node, xml,
	    r->conflen) == -1 || x->put(r->domain, r->localpart, r->space,
	    r->key, xml + r->conflen, len - r->conflen) == -1 ||
	    x->trim(r->domain, r->localpart, r->space,
	    r->keep == 0 ? 1 : r->keep) == -1)
		st = XS_ERROR;
	if (st != XS_OK) {
		store_be->rollback();
		return (st);
	}
	return (store_be->commit() == 0 ? XS_OK : XS_ERROR);
}

static int
xs_pep_delete(struct xs_req *r)
{
	const struct store_xml_ops	*x = store_be->xml;
	char				 space[XS_SPACE_MAX];
	int				 n;

	if (snprintf(space, sizeof(space), "pep/%s", r->key) >=
	    (int)sizeof(space))
		return (XS_NOT_FOUND);
	if (store_be->begin() == -1)
		return (XS_ERROR);
	if ((n = x->del(r->domain, r->localpart, "pep", r->key)) <= 0 ||
	    x->del(r->domain, r->localpart, space, NULL) == -1) {
		store_be->rollback();
		return (n == 0 ? XS_NOT_FOUND : XS_ERROR);
	}
	return (store_be->commit() == 0 ? XS_OK : XS_ERROR);
}

struct xs_nodes {
	char		*names[XS_LAST_NODES];
	int		 n;
};

static int
xs_node_name(const char *key, const char *xml, size_t len, void *arg)
{
	struct xs_nodes	*l = arg;

	(void)xml;
	(void)len;
	if (l->n >= XS_LAST_NODES)
		return (-1);
	if ((l->names[l->n++] = strdup(key)) == NULL)
		fatal("%s", __func__);
	return (0);
}

/* Each node: its configuration (space "pep"), then its newest item. */
static int
xs_pep_last(struct xs_ctx *ctx)
{
	const struct store_xml_ops	*x = store_be->xml;
	struct xs_req			*r = ctx->req;
	struct xs_nodes			 l;
	int				 i, rv = 0;

	memset(&l, 0, sizeof(l));
	if (x->get(r->domain, r->localpart, "pep", NULL, 0, xs_node_name,
	    &l) == -1)
		rv = -1;
	for (i = 0; i < l.n; i++) {
		if (rv == 0) {
			(void)strlcpy(r->space, "pep", sizeof(r->space));
			(void)x->get(r->domain, r->localpart, "pep",
			    l.names[i], 0, xs_item, ctx);
			(void)snprintf(r->space, sizeof(r->space), "pep/%s",
			    l.names[i]);
			if (x->get(r->domain, r->localpart, r->space, NULL, 1,
			    xs_item, ctx) == -1)
				rv = -1;
		}
		free(l.names[i]);
	}
	r->space[0] = '\0';
	return (rv);
}

static int
xs_run(struct xs_ctx *ctx, const char *xml, size_t len)
{
	struct xs_req	*r = ctx->req;
	int		 n;

#ifdef REGRESS
	{
		/* Tests make the store fail for "space:localpart". */
		const char	*f = getenv("XMPPD_REGRESS_XS_FAIL");
		size_t		 sl = strlen(r->space);

		if (f != NULL && strncmp(f, r->space, sl) == 0 &&
		    f[sl] == ':' && strcmp(f + sl + 1, r->localpart) == 0)
			return (XS_ERROR);
	}
#endif
	if (store_be->account_exists(r->domain, r->localpart) != 1)
		return (XS_NO_ACCOUNT);
	switch (r->op) {
	case XS_GET:
		if (store_be->xml->get(r->domain, r->localpart, r->space,
		    r->key[0] != '\0' ? r->key : NULL, r->limit, xs_item,
		    ctx) == -1)
			return (XS_ERROR);
		return (ctx->n == 0 && r->key[0] != '\0' ? XS_NOT_FOUND :
		    XS_OK);
	case XS_PUT:
		return (xs_put(r, xml, len));
	case XS_DEL:
		n = store_be->xml->del(r->domain, r->localpart, r->space,
		    r->key[0] != '\0' ? r->key : NULL);
		return (n == -1 ? XS_ERROR : n == 0 ? XS_NOT_FOUND : XS_OK);
	case XS_PEP_PUBLISH:
		return (xs_publish(r, xml, len));
	case XS_PEP_DELETE:
		return (xs_pep_delete(r));
	case XS_PEP_LAST:
		return (xs_pep_last(ctx) == -1 ? XS_ERROR : XS_OK);
	}
	return (XS_ERROR);
}

int
xs_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct xs_req	 req;
	struct xs_ctx	 ctx;
	struct ibuf	 ib;

	if (imsg_get_type(imsg) != IMSG_XS_REQUEST)
		return (1);
	if (iev->type != PROC_ROUTER || imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &req, sizeof(req)) == -1)
		return (-1);
	req.domain[sizeof(req.domain) - 1] = '\0';
	req.localpart[sizeof(req.localpart) - 1] = '\0';
	req.space[sizeof(req.space) - 1] = '\0';
	req.key[sizeof(req.key) - 1] = '\0';
	memset(&ctx, 0, sizeof(ctx));
	ctx.iev = iev;
	ctx.id = imsg_get_id(imsg);
	ctx.req = &req;
	req.status = xs_run(&ctx, ibuf_data(&ib), ibuf_size(&ib));
	if (req.status == XS_ERROR)
		log_warnx("xmlstore: %s@%s: request %d failed", req.localpart,
		    req.domain, req.op);
	imsgev_compose(iev, IMSG_XS_END, ctx.id, 0, -1, &req, sizeof(req));
	return (0);
}

/*
 * Does the account block jid (XEP-0191 section 3.3): its full JID, bare
 * JID or domain, as blocking.c keeps them?  1 or 0; -1 when the store
 * cannot say, which whoever asks takes as a block (it keeps nothing).
 */
int
xs_blocks(const char *domain, const char *local, const char *jid)
{
	struct jid	 j;
	char		 bare[CONF_JIDLEN];
	const char	*keys[3];
	int		 i, rv;

	if (jid_parse(jid, &j) == -1)
		return (-1);
	(void)jid_bare(&j, bare, sizeof(bare));
	keys[0] = jid;
	keys[1] = bare;
	keys[2] = j.domain;
	for (i = 0; i < 3; i++)
		if ((rv = store_be->xml->exists(domain, local, BLOCKING_SPACE,
		    keys[i])) != 0)
			return (rv == 1 ? 1 : -1);
	return (0);
}
