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
 * Personal Eventing Protocol (XEP-0163): each account's bare JID is a
 * pubsub service (XEP-0060) of its own.  The owner publishes (nodes are
 * made on the first publish, configured by publish-options), retracts
 * and deletes; items and nodes live in the store (store_xml.c).  Events
 * go to the owner's resources and to contacts with a presence
 * subscription, each resource only for the nodes its entity caps ask
 * "+notify" for (router_caps_client.c), and none where a block stands
 * either way (blocking.c).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define NS_PUBSUB	"http://jabber.org/protocol/pubsub"
#define NS_PUBSUB_OWNER	"http://jabber.org/protocol/pubsub#owner"
#define NS_PUBSUB_EVENT	"http://jabber.org/protocol/pubsub#event"
#define NS_PUBSUB_ERR	"http://jabber.org/protocol/pubsub#errors"
#define NS_DATA		"jabber:x:data"
#define NS_PEP_CONF	"urn:xmppd:pep"

#define PEP_NODES_MAX	64		/* per account */
#define PEP_ITEMS_MAX	256		/* per node */
#define PEP_ITEM_MAX	(64 * 1024)	/* a payload, serialized */
#define PEP_NAME_MAX	256		/* node names, item ids */
#define PEP_IDS_MAX	32		/* item ids asked in one get */
#define PEP_LAST_MAX	256		/* contacts asked for last items */

enum pep_access { PEP_PRESENCE, PEP_OPEN, PEP_WHITELIST };
static const char *pep_access_names[] = { "presence", "open", "whitelist" };

enum pep_kind { PEP_PUBLISH, PEP_ITEMS, PEP_RETRACT, PEP_DELETE,
    PEP_CONF_GET, PEP_CONF_SET };

/* When the last item goes out: at presence (XEP-0163 section 4.3), or not. */
enum pep_last_when { PEP_LAST_PRESENCE, PEP_LAST_NEVER };
static const char *pep_last_names[] = { "on_sub_and_presence", "never" };

/* Who items name (XEP-0060 section 7.1.2.1): none, or their publisher. */
enum pep_reply { PEP_REPLY_OWNER, PEP_REPLY_PUBLISHER };
static const char *pep_reply_names[] = { "owner", "publisher" };

/*
 * Node configuration fields (XEP-0060 section 16.4.3) whose behaviour
 * here is fixed: a form may name them with these values only.
 */
static const struct {
	const char	*var;
	const char	*values[2];
} pep_fixed[] = {
	{ "pubsub#deliver_notifications", { "1", "true" } },
	{ "pubsub#deliver_payloads", { "1", "true" } },
	{ "pubsub#notification_type", { "headline", NULL } },
	{ "pubsub#notify_delete", { "1", "true" } },
	{ "pubsub#publish_model", { "publishers", NULL } },
};

/* A session waiting for a contact's last items. */
struct pep_last {
	int		 stream;
	uint32_t	 session;
	char		 local[1024];	/* the contact */
	char		 domain[CONF_NAMELEN];
};

struct pep_conf {
	int		 access;
	int		 max_items;
	int		 last;		/* send_last_published_item */
	int		 reply;		/* itemreply */
};

/* One request on a node, through its steps with the store. */
struct pep_op {
	struct xs_iq	*q;
	int		 kind;
	char		 local[1024];	/* the owner */
	char		 domain[CONF_NAMELEN];
	char		 node[PEP_NAME_MAX + 1];
	char		 item[PEP_NAME_MAX + 1];
	char		 from[CONF_JIDLEN];	/* the requester, bare */
	struct pep_conf	 conf;
	int		 options;	/* publish-options given */
	int		 notify;	/* retract: notify='true' */
	uint32_t	 max;		/* items: max_items */
	struct xml_node	*payload;	/* publish */
	struct xml_node	*ids;		/* items: the <items/> asked */
};

static void	pep_notify(struct pep_op *, struct xml_node *);

static struct xml_node *
pep_error(struct xml_node *iq, const char *type, const char *cond,
    const char *pcond)
{
	struct xml_node	*r, *e;

	if ((r = router_error(iq, type, cond)) != NULL && pcond != NULL &&
	    (e = xml_first_child(r)) != NULL)
		(void)xml_add_child(e, NS_PUBSUB_ERR, pcond);
	return (r);
}

static void
pep_op_free(struct pep_op *op)
{
	xml_node_free(op->payload);
	xml_node_free(op->ids);
	free(op);
}

static void
pep_op_done(struct pep_op *op, struct xml_node *r)
{
	xs_iq_done(op->q, r);
	op->q = NULL;
	pep_op_free(op);
}

/* A node's configuration as stored; defaults per XEP-0163 section 4. */
static void
pep_conf_parse(const char *xml, size_t len, struct pep_conf *c)
{
	struct xs_item	 it;
	struct xml_node	*n;
	const char	*v, *errstr;
	int		 i;

	c->access = PEP_PRESENCE;
	c->max_items = 1;
	c->last = PEP_LAST_PRESENCE;
	c->reply = PEP_REPLY_OWNER;
	memset(&it, 0, sizeof(it));
	it.xml = (char *)xml;
	it.len = len;
	if ((n = xs_item_parse(&it)) == NULL)
		return;
	if ((v = xml_get_attr(n, "access")) != NULL &&
	    (i = router_name_index(v, pep_access_names,
	    nitems(pep_access_names))) != -1)
		c->access = i;
	if ((v = xml_get_attr(n, "max")) != NULL) {
		c->max_items = strtonum(v, 1, PEP_ITEMS_MAX, &errstr);
		if (errstr != NULL)
			c->max_items = 1;
	}
	if ((v = xml_get_attr(n, "last")) != NULL &&
	    strcmp(v, pep_last_names[PEP_LAST_NEVER]) == 0)
		c->last = PEP_LAST_NEVER;
	if ((v = xml_get_attr(n, "reply")) != NULL &&
	    strcmp(v, pep_reply_names[PEP_REPLY_PUBLISHER]) == 0)
		c->reply = PEP_REPLY_PUBLISHER;
	xml_node_free(n);
}

static int
pep_conf_xml(const struct pep_conf *c, struct xml_buf *b)
{
	struct xml_node	*n;
	char		 max[16];
	int		 rv;

	if ((n = xml_node_new(NS_PEP_CONF, "conf")) == NULL)
		return (-1);
	(void)snprintf(max, sizeof(max), "%d", c->max_items);
	xml_set_attr(n, "access", pep_access_names[c->access]);
	xml_set_attr(n, "max", max);
	if (c->last == PEP_LAST_NEVER)
		xml_set_attr(n, "last", pep_last_names[PEP_LAST_NEVER]);
	if (c->reply == PEP_REPLY_PUBLISHER)
		xml_set_attr(n, "reply", pep_reply_names[PEP_REPLY_PUBLISHER]);
	rv = xs_serialize(n, b, 0);
	xml_node_free(n);
	return (rv);
}

static int
pep_field_fixed(const char *var, const char *v)
{
	size_t	i, k;

	for (i = 0; i < nitems(pep_fixed); i++)
		if (strcmp(var, pep_fixed[i].var) == 0)
			for (k = 0; k < nitems(pep_fixed[i].values); k++)
				if (pep_fixed[i].values[k] != NULL &&
				    strcmp(v, pep_fixed[i].values[k]) == 0)
					return (0);
	return (-1);
}

/*
 * One field of a node configuration: applied to c, or with check, a
 * precondition c must meet (XEP-0060 section 7.1.5).  -1 for a field
 * or a value the node cannot have, or one it has not.
 */
static int
pep_field(const char *var, const char *v, struct pep_conf *c, int check)
{
	const char	*errstr;
	int		 n;

	if (strcmp(var, "pubsub#access_model") == 0) {
		if ((n = router_name_index(v, pep_access_names,
		    nitems(pep_access_names))) == -1 ||
		    (check && n != c->access))
			return (-1);
		c->access = n;
	} else if (strcmp(var, "pubsub#max_items") == 0) {
		if (strcmp(v, "max") == 0)
			n = PEP_ITEMS_MAX;
		else if ((n = strtonum(v, 1, 1000000, &errstr)) == 0)
			return (-1);
		n = n > PEP_ITEMS_MAX ? PEP_ITEMS_MAX : n;
		if (check && n != c->max_items)
			return (-1);
		c->max_items = n;
	} else if (strcmp(var, "pubsub#send_last_published_item") == 0) {
		if ((n = router_name_index(v, pep_last_names,
		    nitems(pep_last_names))) == -1 ||
		    (check && n != c->last))
			return (-1);
		c->last = n;
	} else if (strcmp(var, "pubsub#itemreply") == 0) {
		if ((n = router_name_index(v, pep_reply_names,
		    nitems(pep_reply_names))) == -1 ||
		    (check && n != c->reply))
			return (-1);
		c->reply = n;
	} else if (strcmp(var, "pubsub#persist_items") == 0) {
		/* Items persist; not to persist keeps the last alone. */
		if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0) {
			if (check && c->max_items != 1)
				return (-1);
			c->max_items = 1;
		} else if (strcmp(v, "1") != 0 && strcmp(v, "true") != 0)
			return (-1);
	} else
		return (pep_field_fixed(var, v));
	return (0);
}

/*
 * A submitted form of FORM_TYPE ft (publish-options, or node_config)
 * applied to c, or with check, each field a precondition.  0; -1 with
 * *bad the field refused; -2 for a form of another type.  A field
 * without a value leaves its setting as it is.
 */
static int
pep_form(struct xml_node *x, const char *ft, struct pep_conf *c, int check,
    const char **bad)
{
	struct xml_node	*f;
	const char	*var;
	char		*v;
	int		 rv = 0;

	*bad = "";
	TAILQ_FOREACH(f, &x->children, entry) {
		if (!xml_is(f, NS_DATA, "field"))
			continue;
		if ((var = xml_get_attr(f, "var")) == NULL) {
			rv = -1;
			break;
		}
		if ((v = xml_child_text(f, NS_DATA, "value")) == NULL)
			continue;
		if (strcmp(var, "FORM_TYPE") == 0)
			rv = strcmp(v, ft) == 0 ? 0 : -2;
		else if ((rv = pep_field(var, v, c, check)) == -1)
			*bad = var;
		free(v);
		if (rv != 0)
			break;
	}
	return (rv);
}

/* The publish-options of a request, or NULL. */
static struct xml_node *
pep_options_form(struct xml_node *iq)
{
	return (xml_find_child(xml_find_child(xml_find_child(iq, NS_PUBSUB,
	    "pubsub"), NS_PUBSUB, "publish-options"), NS_DATA, "x"));
}

/* conflict, a text naming the field, and precondition-not-met. */
static struct xml_node *
pep_precondition(struct xml_node *iq, const char *var)
{
	struct xml_node	*r, *e;
	char		 text[PEP_NAME_MAX + 32];

	if (strncmp(var, "pubsub#", 7) == 0)
		var += 7;
	(void)snprintf(text, sizeof(text), "Field does not match: %s", var);
	if ((r = router_error(iq, "cancel", "conflict")) == NULL)
		return (NULL);
	if (stanza_error_text(r, text) == -1 ||
	    (e = xml_find_child(r, NULL, "error")) == NULL ||
	    xml_add_child(e, NS_PUBSUB_ERR, "precondition-not-met") == NULL) {
		xml_node_free(r);
		return (NULL);
	}
	return (r);
}

/* feature-not-implemented, naming the pubsub feature (section 7-8). */
static struct xml_node *
pep_unsupported(struct xml_node *iq, const char *feature)
{
	struct xml_node	*r, *e, *u;

	if ((r = router_error(iq, "cancel", "feature-not-implemented")) ==
	    NULL)
		return (NULL);
	if ((e = xml_find_child(r, NULL, "error")) == NULL ||
	    (u = xml_add_child(e, NS_PUBSUB_ERR, "unsupported")) == NULL ||
	    xml_set_attr(u, "feature", feature) == -1) {
		xml_node_free(r);
		return (NULL);
	}
	return (r);
}

/* May op->from see the owner's items?  Needs the owner's roster. */
static int
pep_may_see(struct roster *r, const char *from, int access)
{
	struct ritem	*it;
	char		 bare[CONF_JIDLEN];

	(void)snprintf(bare, sizeof(bare), "%s@%s", r->local, r->domain);
	if (strcmp(from, bare) == 0 || access == PEP_OPEN)
		return (1);
	if (access == PEP_WHITELIST)
		return (0);
	return ((it = roster_item(r, from)) != NULL &&
	    (it->sub == SUB_FROM || it->sub == SUB_BOTH));
}

/*
 * <item id='I'>payload</item> in namespace ns; naming its publisher,
 * the owner, where the node's itemreply says so.
 */
static struct xml_node *
pep_item_node(const char *ns, const char *id, struct xml_node *payload,
    const struct pep_conf *c, const char *owner)
{
	struct xml_node	*it;

	if ((it = xml_node_new(ns, "item")) == NULL)
		return (NULL);
	xml_set_attr(it, "id", id);
	if (c->reply == PEP_REPLY_PUBLISHER)
		xml_set_attr(it, "publisher", owner);
	if (payload != NULL)
		xml_append(it, payload);
	return (it);
}

/* Items: the store's answer. */
static void
pep_items_got(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct pep_op	*op = arg;
	struct xml_node	*res, *ps, *its, *p, *want, *n;
	struct xs_item	*it;
	const char	*id;
	char		 owner[CONF_JIDLEN];

	(void)snprintf(owner, sizeof(owner), "%s@%s", op->local, op->domain);
	if (r->status != XS_OK) {
		pep_op_done(op, xs_iq_error(op->q, r->status));
		return;
	}
	if ((res = router_iq_result(op->q->iq)) == NULL ||
	    (ps = xml_add_child(res, NS_PUBSUB, "pubsub")) == NULL ||
	    (its = xml_add_child(ps, NULL, "items")) == NULL) {
		xml_node_free(res);
		pep_op_done(op, NULL);
		return;
	}
	xml_set_attr(its, "node", op->node);
	TAILQ_FOREACH(it, items, entry) {
		if (op->ids != NULL && xml_first_child(op->ids) != NULL) {
			TAILQ_FOREACH(want, &op->ids->children, entry)
				if (xml_is(want, NS_PUBSUB, "item") &&
				    (id = xml_get_attr(want, "id")) != NULL &&
				    strcmp(id, it->key) == 0)
					break;
			if (want == NULL)
				continue;
		}
		if ((p = xs_item_parse(it)) != NULL &&
		    (n = pep_item_node(NS_PUBSUB, it->key, p, &op->conf,
		    owner)) != NULL)
			xml_append(its, n);
	}
	pep_op_done(op, res);
}

static void
pep_items_roster(struct roster *ro, struct roster_job *j)
{
	struct pep_op	*op = j->ptr;
	struct xs_req	 r;
	char		 space[XS_SPACE_MAX];
	int64_t		 max;

	if (!pep_may_see(ro, op->from, op->conf.access)) {
		pep_op_done(op, op->conf.access == PEP_WHITELIST ?
		    pep_error(op->q->iq, "cancel", "not-allowed",
		    "closed-node") : pep_error(op->q->iq, "auth",
		    "not-authorized", "presence-subscription-required"));
		return;
	}
	(void)snprintf(space, sizeof(space), "pep/%s", op->node);
	xs_req_init(&r, XS_GET, op->local, op->domain, space, NULL);
	/* What a configuration lowered is gone at the next publish. */
	r.limit = op->max != 0 && op->max < (uint32_t)op->conf.max_items ?
	    op->max : (uint32_t)op->conf.max_items;
	max = proc_self.conf->global.limits.stanza_size - 4096;
	r.maxbytes = max > 4096 ? max : 4096;
	if (xs_request(&r, NULL, 0, pep_items_got, op) == -1)
		pep_op_done(op, router_error(op->q->iq, "wait",
		    "resource-constraint"));
}

static void	pep_after_conf(struct pep_op *, int);

/* The node's configuration, the first step of every request. */
static void
pep_conf_got(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct pep_op	*op = arg;
	struct xs_item	*it = TAILQ_FIRST(items);
	const char	*bad;

	if (r->status != XS_OK && r->status != XS_NOT_FOUND) {
		pep_op_done(op, xs_iq_error(op->q, r->status));
		return;
	}
	if (it != NULL) {
		pep_conf_parse(it->xml, it->len, &op->conf);
		/*
		 * Publish-options on a node that exists are preconditions
		 * (XEP-0060 section 7.1.5): unmet, nothing is published.
		 */
		if (op->options && pep_form(pep_options_form(op->q->iq),
		    NS_PUBSUB "#publish-options", &op->conf, 1, &bad) != 0) {
			pep_op_done(op, pep_precondition(op->q->iq, bad));
			return;
		}
	}
	pep_after_conf(op, it != NULL);
}

static void
pep_published(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct pep_op	*op = arg;
	struct xml_node	*res, *ps, *pub, *ev, *its, *item;
	char		 owner[CONF_JIDLEN];

	(void)items;
	(void)snprintf(owner, sizeof(owner), "%s@%s", op->local, op->domain);
	if (r->status == XS_FULL) {
		pep_op_done(op, pep_error(op->q->iq, "wait",
		    "resource-constraint", NULL));
		return;
	}
	if (r->status != XS_OK) {
		pep_op_done(op, xs_iq_error(op->q, r->status));
		return;
	}
	if ((res = router_iq_result(op->q->iq)) != NULL &&
	    (ps = xml_add_child(res, NS_PUBSUB, "pubsub")) != NULL &&
	    (pub = xml_add_child(ps, NULL, "publish")) != NULL) {
		xml_set_attr(pub, "node", op->node);
		if ((item = xml_add_child(pub, NULL, "item")) != NULL)
			xml_set_attr(item, "id", op->item);
	}
	xs_iq_done(op->q, res);
	op->q = NULL;
	if ((ev = xml_node_new(NS_PUBSUB_EVENT, "event")) != NULL &&
	    (its = xml_add_child(ev, NULL, "items")) != NULL) {
		xml_set_attr(its, "node", op->node);
		if ((item = pep_item_node(NS_PUBSUB_EVENT, op->item,
		    op->payload, &op->conf, owner)) != NULL) {
			op->payload = NULL;
			xml_append(its, item);
		}
		pep_notify(op, ev);
	}
	xml_node_free(ev);
	pep_op_free(op);
}

static void
pep_removed(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct pep_op	*op = arg;
	struct xml_node	*ev, *c, *i;

	(void)items;
	if (r->status != XS_OK) {
		pep_op_done(op, xs_iq_error(op->q, r->status));
		return;
	}
	xs_iq_done(op->q, router_iq_result(op->q->iq));
	op->q = NULL;
	if ((op->kind == PEP_DELETE || op->notify) &&
	    (ev = xml_node_new(NS_PUBSUB_EVENT, "event")) != NULL) {
		if (op->kind == PEP_DELETE) {
			if ((c = xml_add_child(ev, NULL, "delete")) != NULL)
				xml_set_attr(c, "node", op->node);
		} else if ((c = xml_add_child(ev, NULL, "items")) != NULL) {
			xml_set_attr(c, "node", op->node);
			if ((i = xml_add_child(c, NULL, "retract")) != NULL)
				xml_set_attr(i, "id", op->item);
		}
		pep_notify(op, ev);
		xml_node_free(ev);
	}
	pep_op_free(op);
}

/* A list-single field of the configuration form, with its options. */
static int
pep_form_list(struct xml_node *x, const char *var, const char *label,
    const char **names, size_t n, int value)
{
	struct xml_node	*f, *o;
	size_t		 i;

	if ((f = adhoc_field(x, var, "list-single", label, 0)) == NULL)
		return (-1);
	for (i = 0; i < n; i++)
		if ((o = xml_add_child(f, NULL, "option")) == NULL ||
		    xml_set_attr(o, "label", names[i]) == -1 ||
		    adhoc_value(o, names[i]) == -1)
			return (-1);
	return (adhoc_value(f, names[value]));
}

/* The owner's configuration form of the node (XEP-0060 section 8.2). */
static struct xml_node *
pep_conf_result(struct pep_op *op)
{
	struct xml_node	*res, *ps, *cf, *x;
	char		 max[16];

	(void)snprintf(max, sizeof(max), "%d", op->conf.max_items);
	if ((res = router_iq_result(op->q->iq)) == NULL)
		return (NULL);
	if ((ps = xml_add_child(res, NS_PUBSUB_OWNER, "pubsub")) == NULL ||
	    (cf = xml_add_child(ps, NULL, "configure")) == NULL ||
	    xml_set_attr(cf, "node", op->node) == -1 ||
	    (x = adhoc_form("form", NS_PUBSUB "#node_config", NULL)) == NULL) {
		xml_node_free(res);
		return (NULL);
	}
	xml_append(cf, x);
	if (pep_form_list(x, "pubsub#access_model", "Access model",
	    pep_access_names, nitems(pep_access_names), op->conf.access) ==
	    -1 || adhoc_value(adhoc_field(x, "pubsub#max_items", "text-single",
	    "Max number of items to persist", 0), max) == -1 ||
	    adhoc_value(adhoc_field(x, "pubsub#persist_items", "boolean",
	    "Persist items", 0), "1") == -1 ||
	    pep_form_list(x, "pubsub#send_last_published_item",
	    "When to send the last published item", pep_last_names,
	    nitems(pep_last_names), op->conf.last) == -1 ||
	    pep_form_list(x, "pubsub#itemreply", "Whom items name",
	    pep_reply_names, nitems(pep_reply_names), op->conf.reply) == -1) {
		xml_node_free(res);
		return (NULL);
	}
	return (res);
}

static void
pep_configured(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct pep_op	*op = arg;

	(void)items;
	if (r->status == XS_FULL)
		pep_op_done(op, router_error(op->q->iq, "cancel",
		    "item-not-found"));
	else if (r->status != XS_OK)
		pep_op_done(op, xs_iq_error(op->q, r->status));
	else
		pep_op_done(op, router_iq_result(op->q->iq));
}

/*
 * A configuration submitted: every field applies or none (section
 * 8.2.5); a cancelled form changes nothing.
 */
static void
pep_conf_set(struct pep_op *op)
{
	struct xml_node	*x;
	struct xs_req	 r;
	struct xml_buf	 b;
	const char	*t, *bad;
	int		 rv;

	x = xml_find_child(xml_find_child(xml_find_child(op->q->iq,
	    NS_PUBSUB_OWNER, "pubsub"), NS_PUBSUB_OWNER, "configure"),
	    NS_DATA, "x");
	t = x != NULL ? xml_get_attr(x, "type") : NULL;
	if (t != NULL && strcmp(t, "cancel") == 0) {
		pep_op_done(op, router_iq_result(op->q->iq));
		return;
	}
	if (t == NULL || strcmp(t, "submit") != 0 || (rv = pep_form(x,
	    NS_PUBSUB "#node_config", &op->conf, 0, &bad)) == -2) {
		pep_op_done(op, router_error(op->q->iq, "modify",
		    "bad-request"));
		return;
	}
	if (rv != 0) {
		pep_op_done(op, router_error(op->q->iq, "modify",
		    "not-acceptable"));
		return;
	}
	if (pep_conf_xml(&op->conf, &b) == -1) {
		pep_op_done(op, router_error(op->q->iq, "wait",
		    "internal-server-error"));
		return;
	}
	/* A node deleted meanwhile comes back empty, within the limit. */
	xs_req_init(&r, XS_PUT, op->local, op->domain, "pep", op->node);
	r.limit = PEP_NODES_MAX;
	if (xs_request(&r, b.data, b.len, pep_configured, op) == -1)
		pep_op_done(op, router_error(op->q->iq, "wait",
		    "resource-constraint"));
	xml_buf_free(&b);
}

static void
pep_after_conf(struct pep_op *op, int exists)
{
	struct xs_req		 r;
	struct xml_buf		 conf, item;
	struct roster_job	*j;
	struct session		*s;
	xs_cb			 cb = pep_removed;
	char			*buf;

	if (!exists && op->kind != PEP_PUBLISH) {
		pep_op_done(op, router_error(op->q->iq, "cancel",
		    "item-not-found"));
		return;
	}
	switch (op->kind) {
	case PEP_CONF_GET:
		pep_op_done(op, pep_conf_result(op));
		return;
	case PEP_CONF_SET:
		pep_conf_set(op);
		return;
	case PEP_ITEMS:
		/*
		 * A remote contact (no stream) hears back over federation,
		 * a component on its stream.
		 */
		if ((s = session_find_id(op->q->stream, op->q->session)) ==
		    NULL && op->q->stream != -1 && component_at(op->q->stream,
		    op->q->session) == NULL) {
			pep_op_done(op, NULL);
			return;
		}
		j = roster_job_new(s, NULL, NULL);
		j->ptr = op;
		roster_with(op->local, op->domain, pep_items_roster, j);
		return;
	case PEP_PUBLISH:
		if (pep_conf_xml(&op->conf, &conf) == -1 ||
		    xs_serialize(op->payload, &item, PEP_ITEM_MAX) == -1) {
			pep_op_done(op, router_error(op->q->iq, "wait",
			    "internal-server-error"));
			return;
		}
		if ((buf = malloc(conf.len + item.len)) == NULL)
			fatal("%s", __func__);
		memcpy(buf, conf.data, conf.len);
		memcpy(buf + conf.len, item.data, item.len);
		xs_req_init(&r, XS_PEP_PUBLISH, op->local, op->domain, "",
		    op->item);
		(void)snprintf(r.space, sizeof(r.space), "pep/%s", op->node);
		r.conflen = conf.len;
		r.limit = PEP_NODES_MAX;
		r.keep = op->conf.max_items;
		cb = pep_published;
		if (xs_request(&r, buf, conf.len + item.len, cb, op) == -1)
			pep_op_done(op, router_error(op->q->iq, "wait",
			    "resource-constraint"));
		free(buf);
		xml_buf_free(&conf);
		xml_buf_free(&item);
		return;
	case PEP_RETRACT:
		xs_req_init(&r, XS_DEL, op->local, op->domain, "", op->item);
		(void)snprintf(r.space, sizeof(r.space), "pep/%s", op->node);
		break;
	case PEP_DELETE:
		xs_req_init(&r, XS_PEP_DELETE, op->local, op->domain, "pep",
		    op->node);
		break;
	}
	if (xs_request(&r, NULL, 0, cb, op) == -1)
		pep_op_done(op, router_error(op->q->iq, "wait",
		    "resource-constraint"));
}

static int
pep_name_ok(const char *s)
{
	return (s != NULL && s[0] != '\0' && strlen(s) <= PEP_NAME_MAX);
}

/* Check a publish; returns an error to answer, or NULL with op ready. */
static struct xml_node *
pep_publish_check(struct xml_node *iq, struct xml_node *ps,
    struct xml_node *pub, struct pep_op *op)
{
	struct xml_node	*item = NULL, *c, *p = NULL, *opts, *x;
	struct xml_buf	 b;
	const char	*bad;
	unsigned char	 rnd[8];
	const char	*id;
	int		 nitem = 0, npay = 0, rv;
	size_t		 i;

	TAILQ_FOREACH(c, &pub->children, entry)
		if (c->name != NULL) {
			nitem++;
			item = c;
		}
	/* XEP-0060 section 7.1.3: one item, one payload. */
	if (nitem == 0)
		return (pep_error(iq, "modify", "bad-request",
		    "item-required"));
	if (nitem > 1 || !xml_is(item, NS_PUBSUB, "item"))
		return (pep_error(iq, "modify", "bad-request",
		    "invalid-payload"));
	TAILQ_FOREACH(c, &item->children, entry)
		if (c->name != NULL) {
			npay++;
			p = c;
		}
	if (npay == 0)
		return (pep_error(iq, "modify", "bad-request",
		    "payload-required"));
	if (npay > 1)
		return (pep_error(iq, "modify", "bad-request",
		    "invalid-payload"));
	if (xs_serialize(p, &b, PEP_ITEM_MAX) == -1)
		return (pep_error(iq, "modify", "not-acceptable",
		    "payload-too-big"));
	xml_buf_free(&b);
	if ((id = xml_get_attr(item, "id")) != NULL) {
		if (!pep_name_ok(id))
			return (pep_error(iq, "modify", "bad-request", NULL));
		(void)strlcpy(op->item, id, sizeof(op->item));
	} else {
		arc4random_buf(rnd, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++)
			(void)snprintf(op->item + 2 * i, 3, "%02x", rnd[i]);
	}
	op->conf.access = PEP_PRESENCE;
	op->conf.max_items = 1;
	op->conf.last = PEP_LAST_PRESENCE;
	op->conf.reply = PEP_REPLY_OWNER;
	/* The configuration of a node this publish would make. */
	if ((opts = xml_find_child(ps, NS_PUBSUB, "publish-options")) !=
	    NULL) {
		op->options = 1;
		if ((x = xml_find_child(opts, NS_DATA, "x")) == NULL ||
		    (rv = pep_form(x, NS_PUBSUB "#publish-options",
		    &op->conf, 0, &bad)) == -2)
			return (pep_error(iq, "modify", "bad-request", NULL));
		if (rv != 0)
			return (pep_precondition(iq, bad));
	}
	xml_unlink(p);
	op->payload = p;
	return (NULL);
}

static struct pep_op *
pep_op_new(struct session *s, int kind, const char *node)
{
	struct pep_op	*op;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		fatal("%s", __func__);
	op->kind = kind;
	(void)strlcpy(op->node, node, sizeof(op->node));
	(void)strlcpy(op->from, s->user->bare, sizeof(op->from));
	(void)strlcpy(op->local, s->user->local, sizeof(op->local));
	(void)strlcpy(op->domain, s->user->domain, sizeof(op->domain));
	return (op);
}

/* The node's configuration is fetched, the first step of every op. */
static void
pep_conf_fetch(struct pep_op *op)
{
	struct xs_req	 r;

	xs_req_init(&r, XS_GET, op->local, op->domain, "pep", op->node);
	if (xs_request(&r, NULL, 0, pep_conf_got, op) == -1)
		pep_op_done(op, router_error(op->q->iq, "wait",
		    "resource-constraint"));
}

/*
 * Whether the owner blocks the requester is known: to one it blocks, the
 * account is not there (XEP-0191 section 3.3), even offline.
 */
static void
pep_items_ask(int blocked, void *arg)
{
	struct pep_op	*op = arg;

	if (blocked != 0)
		pep_op_done(op, router_error(op->q->iq, "cancel",
		    "service-unavailable"));
	else
		pep_conf_fetch(op);
}

/* Start op: its IQ waits while the store is asked; NULL, or an error. */
static struct xml_node *
pep_start(struct session *s, struct xml_node *iq, struct pep_op *op)
{
	op->q = xs_iq_new(s, iq);
	if (strcmp(op->local, s->user->local) == 0 &&
	    strcmp(op->domain, s->user->domain) == 0)
		pep_conf_fetch(op);
	else
		blocking_ask(op->local, op->domain, s->full, pep_items_ask, op);
	return (NULL);
}

/*
 * What a pubsub request asks, as far as PEP has it: NULL for what it
 * does, else the feature it lacks (XEP-0060 section 10), or "".
 */
static const char *
pep_action(struct xml_node *c, int set)
{
	static const struct {
		const char	*ns;
		const char	*name;
		int		 set;		/* -1: either */
		const char	*feature;	/* NULL: done here */
	} actions[] = {
		{ NS_PUBSUB, "publish", 1, NULL },
		{ NS_PUBSUB, "retract", 1, NULL },
		{ NS_PUBSUB, "items", 0, NULL },
		{ NS_PUBSUB_OWNER, "delete", 1, NULL },
		{ NS_PUBSUB_OWNER, "configure", -1, NULL },
		{ NS_PUBSUB, "create", 1, "create-nodes" },
		{ NS_PUBSUB, "subscribe", 1, "subscribe" },
		{ NS_PUBSUB, "unsubscribe", 1, "subscribe" },
		{ NS_PUBSUB, "options", -1, "subscription-options" },
		{ NS_PUBSUB, "subscriptions", 0, "retrieve-subscriptions" },
		{ NS_PUBSUB, "affiliations", 0, "retrieve-affiliations" },
		{ NS_PUBSUB, "default", 0, "retrieve-default" },
		{ NS_PUBSUB_OWNER, "affiliations", -1, "modify-affiliations" },
		{ NS_PUBSUB_OWNER, "subscriptions", -1,
		    "manage-subscriptions" },
		{ NS_PUBSUB_OWNER, "purge", 1, "purge-nodes" },
		{ NS_PUBSUB_OWNER, "default", 0, "retrieve-default" },
	};
	size_t	i;

	for (i = 0; i < nitems(actions); i++)
		if (xml_is(c, actions[i].ns, actions[i].name) &&
		    (actions[i].set == -1 || actions[i].set == set))
			return (actions[i].feature);
	return ("");
}

static struct xml_node *
pep_handle(struct session *s, struct xml_node *iq, struct xml_node *ps)
{
	struct xml_node	*c, *err;
	struct pep_op	*op;
	struct jid	 j;
	const char	*node, *v, *errstr;
	int		 to = router_iq_to(s, iq);
	int		 set = strcmp(xml_get_attr(iq, "type"), "set") == 0;
	int		 owner = xml_is(ps, NS_PUBSUB_OWNER, "pubsub");

	if (to == IQ_SERVER)
		return (router_error(iq, "cancel", "feature-not-implemented"));
	for (c = xml_first_child(ps); c != NULL && c->name == NULL;
	    c = TAILQ_NEXT(c, entry))
		;
	/* The action is of the namespace of its <pubsub/>. */
	if (c == NULL || strcmp(c->ns, ps->ns) != 0)
		return (router_error(iq, "modify", "bad-request"));
	node = xml_get_attr(c, "node");
	if ((v = pep_action(c, set)) != NULL)
		return (v[0] != '\0' ? pep_unsupported(iq, v) :
		    router_error(iq, "cancel", "feature-not-implemented"));
	if (!pep_name_ok(node))
		return (pep_error(iq, "modify", "bad-request",
		    "nodeid-required"));
	/* Only the owner changes or configures its nodes (section 4.1). */
	if ((set || owner) && to != IQ_SELF)
		return (router_error(iq, "auth", "forbidden"));
	if (owner && xml_is(c, NS_PUBSUB_OWNER, "configure"))
		return (pep_start(s, iq, pep_op_new(s, set ? PEP_CONF_SET :
		    PEP_CONF_GET, node)));
	if (!set) {
		op = pep_op_new(s, PEP_ITEMS, node);
		if (to == IQ_ACCOUNT) {
			if (jid_parse(xml_get_attr(iq, "to"), &j) == -1 ||
			    j.resource[0] != '\0') {
				pep_op_free(op);
				return (router_error(iq, "cancel",
				    "service-unavailable"));
			}
			(void)strlcpy(op->local, j.local, sizeof(op->local));
			(void)strlcpy(op->domain, j.domain,
			    sizeof(op->domain));
		}
		if ((v = xml_get_attr(c, "max_items")) != NULL) {
			/* More than a node keeps is all it has. */
			op->max = strtonum(v, 1, UINT32_MAX, &errstr);
			if (errstr != NULL) {
				pep_op_free(op);
				return (router_error(iq, "modify",
				    "bad-request"));
			}
		}
		if (xml_first_child(c) != NULL &&
		    (op->ids = xml_node_clone(c)) == NULL)
			fatal("%s", __func__);
		return (pep_start(s, iq, op));
	}
	if (owner)
		return (pep_start(s, iq, pep_op_new(s, PEP_DELETE, node)));
	if (xml_is(c, NS_PUBSUB, "retract")) {
		op = pep_op_new(s, PEP_RETRACT, node);
		v = xml_get_attr(c, "notify");
		op->notify = v != NULL && (strcmp(v, "true") == 0 ||
		    strcmp(v, "1") == 0);
		c = xml_find_child(c, NS_PUBSUB, "item");
		if (c == NULL || !pep_name_ok(xml_get_attr(c, "id"))) {
			pep_op_free(op);
			return (pep_error(iq, "modify", "bad-request",
			    "item-required"));
		}
		(void)strlcpy(op->item, xml_get_attr(c, "id"),
		    sizeof(op->item));
		return (pep_start(s, iq, op));
	}
	op = pep_op_new(s, PEP_PUBLISH, node);
	if ((err = pep_publish_check(iq, ps, c, op)) != NULL) {
		pep_op_free(op);
		return (err);
	}
	return (pep_start(s, iq, op));
}

/* Send ev (an <event/>) from owner to one session, if it wants node. */
static void
pep_send(struct session *s, const char *owner, const char *node,
    struct xml_node *ev)
{
	struct xml_node	*m;
	struct imsgev	*iev;

	if (!s->available || !caps_client_notify(s, node) ||
	    (iev = proc_peer(PROC_STREAM, s->stream)) == NULL)
		return;
	if ((m = xml_node_new(NS_CLIENT, "message")) == NULL)
		return;
	xml_set_attr(m, "from", owner);
	xml_set_attr(m, "to", s->full);
	xml_set_attr(m, "type", "headline");
	xml_append(m, ev);
	(void)stanza_send(iev, s->id, s->id, m, NS_CLIENT);
	xml_unlink(ev);
	xml_node_free(m);
}

/*
 * Does a block stand between owner and session s, either way (XEP-0191
 * section 3.3: a blocked contact gets no presence, nor events)?  Both
 * are online when an event is published; a list the router does not
 * know counts as a block.
 */
static int
pep_blocked(struct session *s, const char *owner)
{
	if (strcmp(owner, s->user->bare) == 0)
		return (0);
	return (blocking_known(s->user, owner) != 0 ||
	    blocking_known(session_find_user(owner), s->full) != 0);
}

static void
pep_send_user(const char *bare, const char *owner, const char *node,
    struct xml_node *ev)
{
	struct user	*u;
	struct session	*s;

	if ((u = session_find_user(bare)) == NULL)
		return;
	TAILQ_FOREACH(s, &u->sessions, user_entry)
		if (!pep_blocked(s, owner))
			pep_send(s, owner, node, ev);
}

/* One notification over federation: ev from owner to jid. */
static void
pep_send_s2s(const char *jid, const char *owner, struct xml_node *ev)
{
	struct xml_node	*m;

	if ((m = xml_node_new(NS_CLIENT, "message")) == NULL)
		return;
	if (xml_set_attr(m, "from", owner) == 0 &&
	    xml_set_attr(m, "to", jid) == 0 &&
	    xml_set_attr(m, "type", "headline") == 0) {
		xml_append(m, ev);
		(void)s2s_send_node(m);
		xml_unlink(ev);
	}
	xml_node_free(m);
}

struct pep_remote {
	const char	*owner;
	struct xml_node	*ev;
};

static void
pep_send_resource(const char *jid, void *arg)
{
	struct pep_remote	*pr = arg;

	pep_send_s2s(jid, pr->owner, pr->ev);
}

/*
 * An event for a contact on another server, unless the owner blocks it
 * (XEP-0191 section 3.3; a list the router does not know counts as a
 * block): to each of its resources known available whose caps say
 * "node+notify" (XEP-0163 section 4.3.3, router_caps_client.c).  When
 * none of its resources' presence is known (the owner is not
 * subscribed to the contact's), one notification goes to its bare JID
 * and its server delivers it (4.3.2).
 */
static void
pep_send_remote(const char *bare, const char *owner, const char *node,
    struct xml_node *ev)
{
	struct pep_remote	 pr;

	if (blocking_known(session_find_user(owner), bare) != 0)
		return;
	pr.owner = owner;
	pr.ev = ev;
	if (caps_remote_each(bare, node, pep_send_resource, &pr) == 0)
		pep_send_s2s(bare, owner, ev);
}

static void
pep_notify_roster(struct roster *ro, struct roster_job *j)
{
	struct xml_node	*ev;
	struct ritem	*it;

	ev = router_parse(j->xml, strlen(j->xml), NULL);
	if (ev != NULL && ro->exists)
		RB_FOREACH(it, ritems, &ro->items) {
			if (it->sub != SUB_FROM && it->sub != SUB_BOTH)
				continue;
			if (s2s_remote_jid(it->jid))
				pep_send_remote(it->jid, ro->bare, j->jid, ev);
			else
				pep_send_user(it->jid, ro->bare, j->jid, ev);
		}
	xml_node_free(ev);
}

/*
 * An event to those who may have it (XEP-0163 section 4.3.2): the
 * owner's resources, and unless the node is the owner's alone, the
 * contacts with a subscription from the owner.
 */
static void
pep_notify(struct pep_op *op, struct xml_node *ev)
{
	struct roster_job	*j;
	struct xml_buf		 b;
	char			 owner[CONF_JIDLEN];

	(void)snprintf(owner, sizeof(owner), "%s@%s", op->local, op->domain);
	pep_send_user(owner, owner, op->node, ev);
	if (op->conf.access == PEP_WHITELIST)
		return;
	if (xs_serialize(ev, &b, 0) == -1)
		return;
	if (xml_buf_add(&b, "", 1) == -1) {
		xml_buf_free(&b);
		return;
	}
	j = roster_job_new(NULL, b.data, op->node);
	xml_buf_free(&b);
	roster_with(op->local, op->domain, pep_notify_roster, j);
}

/* The event of a node's newest item it, as XS_PEP_LAST has it. */
static struct xml_node *
pep_last_event(struct xs_item *it, const char *node,
    const struct pep_conf *c, const char *owner)
{
	struct xml_node	*ev, *its, *p, *item;

	if ((p = xs_item_parse(it)) == NULL)
		return (NULL);
	if ((ev = xml_node_new(NS_PUBSUB_EVENT, "event")) != NULL &&
	    (its = xml_add_child(ev, NULL, "items")) != NULL &&
	    xml_set_attr(its, "node", node) == 0 &&
	    (item = pep_item_node(NS_PUBSUB_EVENT, it->key, p, c, owner)) !=
	    NULL) {
		xml_append(its, item);
		return (ev);
	}
	xml_node_free(p);
	xml_node_free(ev);
	return (NULL);
}

/* XS_PEP_LAST of one contact: its nodes' newest items to one session. */
static void
pep_last_got(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct pep_last	*pl = arg;
	struct session	*s;
	struct xs_item	*it, *conf = NULL;
	struct pep_conf	 c;
	struct xml_node	*ev;
	char		 owner[CONF_JIDLEN];
	const char	*node;

	s = session_find_id(pl->stream, pl->session);
	(void)snprintf(owner, sizeof(owner), "%s@%s", r->localpart,
	    r->domain);
	/* The owner's list was asked first; now the recipient's. */
	if (s != NULL && strcmp(owner, s->user->bare) != 0 &&
	    blocking_known(s->user, owner) != 0)
		s = NULL;
	TAILQ_FOREACH(it, items, entry) {
		if (strcmp(it->space, "pep") == 0) {
			conf = it;
			continue;
		}
		node = it->space + 4;
		if (s == NULL || conf == NULL || strncmp(it->space, "pep/",
		    4) != 0 || strcmp(conf->key, node) != 0)
			continue;
		pep_conf_parse(conf->xml, conf->len, &c);
		if (c.last == PEP_LAST_NEVER || (c.access == PEP_WHITELIST &&
		    strcmp(owner, s->user->bare) != 0))
			continue;
		if (caps_client_notify(s, node) &&
		    (ev = pep_last_event(it, node, &c, owner)) != NULL) {
			pep_send(s, owner, node, ev);
			xml_node_free(ev);
		}
	}
	free(pl);
}

/* Whether the owner blocks the session is known: its items, if not. */
static void
pep_last_ask(int blocked, void *arg)
{
	struct pep_last	*pl = arg;
	struct xs_req	 r;

	if (blocked != 0 || session_find_id(pl->stream, pl->session) ==
	    NULL) {
		free(pl);
		return;
	}
	xs_req_init(&r, XS_PEP_LAST, pl->local, pl->domain, "", NULL);
	if (xs_request(&r, NULL, 0, pep_last_got, pl) == -1)
		free(pl);
}

static void
pep_last_of(struct session *s, const char *local, const char *domain)
{
	struct pep_last	*pl;

	if ((pl = calloc(1, sizeof(*pl))) == NULL)
		fatal("%s", __func__);
	pl->stream = s->stream;
	pl->session = s->id;
	(void)strlcpy(pl->local, local, sizeof(pl->local));
	(void)strlcpy(pl->domain, domain, sizeof(pl->domain));
	if (strcmp(local, s->user->local) == 0 &&
	    strcmp(domain, s->user->domain) == 0)
		pep_last_ask(0, pl);
	else
		blocking_ask(local, domain, s->full, pep_last_ask, pl);
}

static void
pep_last_roster(struct roster *ro, struct roster_job *j)
{
	struct session	*s;
	struct ritem	*it;
	struct jid	 jid;
	struct domain_conf *d;
	int		 n = 0;

	if ((s = session_find_id(j->stream, j->session)) != NULL) {
		pep_last_of(s, s->user->local, s->user->domain);
		RB_FOREACH(it, ritems, &ro->items) {
			if ((it->sub != SUB_TO && it->sub != SUB_BOTH) ||
			    jid_parse(it->jid, &jid) == -1 ||
			    jid.local[0] == '\0' ||
			    (d = config_domain(proc_self.conf,
			    jid.domain)) == NULL)
				continue;
			if (n++ >= PEP_LAST_MAX)
				break;
			pep_last_of(s, jid.local, jid.domain);
		}
	}
}

/*
 * A session's caps are known (at its initial presence, or once
 * verified): the last item of each node it wants, of its own account
 * and of each contact it is subscribed to (XEP-0163 section 4.3.1).
 */
void
pep_caps_ready(struct session *s)
{
	struct roster_job	*j;

	if (!s->available)
		return;
	j = roster_job_new(s, NULL, NULL);
	roster_with(s->user->local, s->user->domain, pep_last_roster, j);
}

/* A user's last items for a remote resource of a contact. */
struct pep_rlast {
	char		 local[1024];	/* the owner */
	char		 domain[CONF_NAMELEN];
	char		 jid[CONF_JIDLEN];	/* the resource */
};

/* XS_PEP_LAST of the owner: the nodes the resource wants, to it. */
static void
pep_rlast_got(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct pep_rlast	*pl = arg;
	struct xs_item		*it, *conf = NULL;
	struct pep_conf		 c;
	struct xml_node		*ev;
	char			 owner[CONF_JIDLEN];
	const char		*node;

	(void)snprintf(owner, sizeof(owner), "%s@%s", r->localpart,
	    r->domain);
	TAILQ_FOREACH(it, items, entry) {
		if (strcmp(it->space, "pep") == 0) {
			conf = it;
			continue;
		}
		node = it->space + 4;
		if (conf == NULL || strncmp(it->space, "pep/", 4) != 0 ||
		    strcmp(conf->key, node) != 0)
			continue;
		pep_conf_parse(conf->xml, conf->len, &c);
		if (c.access == PEP_WHITELIST || c.last == PEP_LAST_NEVER ||
		    !caps_remote_notify(pl->jid, node))
			continue;
		if ((ev = pep_last_event(it, node, &c, owner)) != NULL) {
			pep_send_s2s(pl->jid, owner, ev);
			xml_node_free(ev);
		}
	}
	free(pl);
}

/* Whether the owner blocks the resource is known: the items, if not. */
static void
pep_rlast_ask(int blocked, void *arg)
{
	struct pep_rlast	*pl = arg;
	struct xs_req		 r;

	if (blocked != 0) {
		free(pl);
		return;
	}
	xs_req_init(&r, XS_PEP_LAST, pl->local, pl->domain, "", NULL);
	if (xs_request(&r, NULL, 0, pep_rlast_got, pl) == -1)
		free(pl);
}

/* Only a contact with a subscription from the owner hears of it. */
static void
pep_rlast_roster(struct roster *ro, struct roster_job *j)
{
	struct pep_rlast	*pl;
	struct ritem		*it;
	struct jid		 jid;
	char			 bare[CONF_JIDLEN];

	if (!ro->exists || jid_parse(j->jid, &jid) == -1 ||
	    jid_bare(&jid, bare, sizeof(bare)) >= sizeof(bare) ||
	    (it = roster_item(ro, bare)) == NULL ||
	    (it->sub != SUB_FROM && it->sub != SUB_BOTH))
		return;
	if ((pl = calloc(1, sizeof(*pl))) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(pl->local, ro->local, sizeof(pl->local));
	(void)strlcpy(pl->domain, ro->domain, sizeof(pl->domain));
	(void)strlcpy(pl->jid, j->jid, sizeof(pl->jid));
	blocking_ask(pl->local, pl->domain, pl->jid, pep_rlast_ask, pl);
}

/*
 * Remote resource jid became available to user (bare, ours) with caps
 * known: the user's last item of each node it wants (XEP-0163 section
 * 4.3.3), as a local contact's resource gets them.
 */
void
pep_remote_ready(const char *user, const char *jid)
{
	struct jid	 u;

	if (jid_parse(user, &u) == -1 || u.local[0] == '\0')
		return;
	roster_with(u.local, u.domain, pep_rlast_roster,
	    roster_job_new(NULL, NULL, jid));
}

const struct iq_feature pep_feature =
    { NS_PUBSUB, "pubsub", pep_handle };
const struct iq_feature pep_owner_feature =
    { NS_PUBSUB_OWNER, "pubsub", pep_handle };

/* The account's PEP service, in its disco#info (XEP-0163 section 5). */
int
pep_disco(struct xml_node *q)
{
	static const char	*features[] = {
		"access-open", "access-presence", "access-whitelist",
		"auto-create", "config-node", "config-node-max",
		"delete-nodes",
		"item-ids", "last-published", "persistent-items",
		"publish", "publish-options", "retract-items",
		"retrieve-items",
	};
	struct xml_node		*c;
	char			 var[128];
	size_t			 i;

	if ((c = xml_add_child(q, NULL, "identity")) == NULL ||
	    xml_set_attr(c, "category", "pubsub") == -1 ||
	    xml_set_attr(c, "type", "pep") == -1 ||
	    (c = xml_add_child(q, NULL, "feature")) == NULL ||
	    xml_set_attr(c, "var", NS_PUBSUB) == -1)
		return (-1);
	for (i = 0; i < nitems(features); i++) {
		(void)snprintf(var, sizeof(var), "%s#%s", NS_PUBSUB,
		    features[i]);
		if ((c = xml_add_child(q, NULL, "feature")) == NULL ||
		    xml_set_attr(c, "var", var) == -1)
			return (-1);
	}
	return (0);
}
