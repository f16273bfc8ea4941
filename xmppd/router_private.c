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
 * Private XML storage (XEP-0049): an account keeps elements on the
 * server, one per (namespace, element name), for itself alone.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "router.h"
#include "xml.h"

#define NS_PRIVATE		"jabber:iq:private"
#define PRIVATE_ITEM_MAX	(64 * 1024)	/* bytes, serialized */
#define PRIVATE_ITEMS_MAX	100		/* per account */
#define PRIVATE_SET_MAX		16		/* elements in one set */

/* Namespaces the stream itself uses are refused (section 3). */
static int
private_key(const struct xml_node *e, char *key, size_t len)
{
	if (e->ns == NULL || e->ns[0] == '\0' ||
	    strcmp(e->ns, NS_CLIENT) == 0 || strcmp(e->ns, NS_SERVER) == 0 ||
	    strcmp(e->ns, NS_PRIVATE) == 0)
		return (-1);
	if (snprintf(key, len, "%s %s", e->ns, e->name) >= (int)len)
		return (-1);
	return (0);
}

/* The elements of q; -1 if one is refused or there are too many. */
static int
private_children(struct xml_node *q, struct xml_node **e, int max)
{
	struct xml_node	*c;
	char		 key[XS_KEY_MAX];
	int		 n = 0;

	TAILQ_FOREACH(c, &q->children, entry) {
		if (c->name == NULL)
			continue;
		if (n >= max || private_key(c, key, sizeof(key)) == -1)
			return (-1);
		e[n++] = c;
	}
	return (n);
}

static void
private_got(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct xs_iq	*q = arg;
	struct xml_node	*res, *query, *e, *asked, *c;

	if (r->status != XS_OK && r->status != XS_NOT_FOUND) {
		xs_iq_done(q, xs_iq_error(q, r->status));
		return;
	}
	if ((res = router_iq_result(q->iq)) == NULL ||
	    (query = xml_add_child(res, NS_PRIVATE, "query")) == NULL) {
		xml_node_free(res);
		xs_iq_done(q, NULL);
		return;
	}
	/* Nothing stored: the empty element asked for comes back. */
	if (TAILQ_EMPTY(items) || (e = xs_item_parse(TAILQ_FIRST(items))) ==
	    NULL) {
		asked = xml_find_child(q->iq, NS_PRIVATE, "query");
		e = NULL;
		if (asked != NULL && private_children(asked, &c, 1) == 1)
			e = xml_node_new(c->ns, c->name);
	}
	if (e != NULL)
		xml_append(query, e);
	xs_iq_done(q, res);
}

static void
private_put(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct xs_iq	*q = arg;

	(void)items;
	if (r->status != XS_OK && q->status == XS_OK)
		q->status = r->status;
	if (--q->pending > 0)
		return;
	xs_iq_done(q, q->status == XS_OK ? router_iq_result(q->iq) :
	    xs_iq_error(q, q->status));
}

static struct xml_node *
private_set(struct session *s, struct xml_node *iq, struct xml_node **e,
    int n)
{
	struct xs_req	 r;
	struct xs_iq	*q;
	struct xml_buf	 b[PRIVATE_SET_MAX];
	char		 key[XS_KEY_MAX];
	int		 i, k;

	for (i = 0; i < n; i++)
		if (xs_serialize(e[i], &b[i], PRIVATE_ITEM_MAX) == -1) {
			while (i-- > 0)
				xml_buf_free(&b[i]);
			return (router_error(iq, "modify", "not-acceptable"));
		}
	q = xs_iq_new(s, iq);
	for (i = 0; i < n; i++) {
		(void)private_key(e[i], key, sizeof(key));
		xs_req_init(&r, XS_PUT, s->user->local, s->user->domain,
		    "private", key);
		r.limit = PRIVATE_ITEMS_MAX;
		if (xs_request(&r, b[i].data, b[i].len, private_put, q) == 0)
			q->pending++;
		else
			q->status = XS_ERROR;
	}
	for (k = 0; k < n; k++)
		xml_buf_free(&b[k]);
	if (q->pending == 0) {
		xs_iq_done(q, NULL);
		return (router_error(iq, "wait", "resource-constraint"));
	}
	return (NULL);
}

static struct xml_node *
private_handle(struct session *s, struct xml_node *iq, struct xml_node *qn)
{
	struct xml_node	*e[PRIVATE_SET_MAX];
	struct xs_req	 r;
	struct xs_iq	*q;
	char		 key[XS_KEY_MAX];
	const char	*type = xml_get_attr(iq, "type");
	int		 n;

	/* Section 3: another's data is forbidden. */
	if (router_iq_to(s, iq) != IQ_SELF)
		return (router_error(iq, "cancel", "forbidden"));
	if ((n = private_children(qn, e, PRIVATE_SET_MAX)) <= 0)
		return (router_error(iq, "modify", "not-acceptable"));
	if (strcmp(type, "set") == 0)
		return (private_set(s, iq, e, n));
	/* A get asks for one namespace. */
	if (n != 1 || private_key(e[0], key, sizeof(key)) == -1)
		return (router_error(iq, "modify", "not-acceptable"));
	xs_req_init(&r, XS_GET, s->user->local, s->user->domain, "private",
	    key);
	q = xs_iq_new(s, iq);
	if (xs_request(&r, NULL, 0, private_got, q) == -1) {
		xs_iq_done(q, NULL);
		return (router_error(iq, "wait", "resource-constraint"));
	}
	return (NULL);
}

const struct iq_feature private_feature =
    { NS_PRIVATE, "query", private_handle };
