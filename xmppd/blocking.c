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
 * Blocking Command (XEP-0191).  A user's blocklist lives in the store
 * (XML storage space "blocking", one key per JID) and is loaded into the
 * router when the user's first session binds; while loaded, nothing but
 * errors passes between the user and a blocked JID, presence included.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
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

#define NS_BLOCKING	"urn:xmpp:blocking"
#define NS_BLOCKED	"urn:xmpp:blocking:errors"
#define BLOCKING_MAX	1000		/* items in a list, or one request */
#define BLOCKING_WAIT_MAX 8		/* IQs held while the list loads */
#ifndef REGRESS
#define BLOCKING_RETRY	10		/* seconds before a failed list is */
#else					/* asked for again */
#define BLOCKING_RETRY	1
#endif

#define SUB_HAS_TO(s)	((s) == SUB_TO || (s) == SUB_BOTH)
#define SUB_HAS_FROM(s)	((s) == SUB_FROM || (s) == SUB_BOTH)

struct blocklist {
	char		**jids;
	int		  n;
	int		  loaded;
	int		  unsure;	/* not loaded: counted in nusers */
	int		  failed;	/* the store could not say: blocks all */
	int		  loading;	/* asked the store */
	int		  retrying;	/* will ask again */
	struct xs_iq	 *wait[BLOCKING_WAIT_MAX];	/* answered once loaded */
	int		  nwait;
};

/* A block or unblock waiting for the store. */
struct blocking_op {
	struct xs_iq	 *q;
	char		 *bare;
	char		**jids;		/* NULL with n 0: unblock all */
	int		  n;
	int		  block;
};

static int			 blocking_nusers;	/* with a list */

static void	blocking_run_waiting(struct blocklist *);
static void	blocking_load(struct user *);

static void
blocklist_clear(struct blocklist *b)
{
	int	 i;

	if (b->n > 0)
		blocking_nusers--;
	for (i = 0; i < b->n; i++)
		free(b->jids[i]);
	free(b->jids);
	b->jids = NULL;
	b->n = 0;
}

static int
blocklist_find(struct blocklist *b, const char *jid)
{
	int	 i;

	for (i = 0; b != NULL && i < b->n; i++)
		if (strcmp(b->jids[i], jid) == 0)
			return (i);
	return (-1);
}

static void
blocklist_add(struct blocklist *b, const char *jid)
{
	char	**p;

	if (blocklist_find(b, jid) != -1 || b->n >= BLOCKING_MAX)
		return;
	if ((p = reallocarray(b->jids, b->n + 1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	b->jids = p;
	if ((b->jids[b->n] = strdup(jid)) == NULL)
		fatal("%s", __func__);
	if (b->n++ == 0)
		blocking_nusers++;
}

static void
blocklist_del(struct blocklist *b, const char *jid)
{
	int	 i;

	if ((i = blocklist_find(b, jid)) == -1)
		return;
	free(b->jids[i]);
	b->jids[i] = b->jids[--b->n];
	if (b->n == 0)
		blocking_nusers--;
}

/*
 * Does b list jid?  An item matches the full JID, its bare JID or its
 * domain (XEP-0191 section 3.3 uses XEP-0016's matching order).
 */
static int
blocklist_matches(struct blocklist *b, const char *jid)
{
	struct jid	 j;
	char		 bare[CONF_JIDLEN];

	if (b->n == 0 || jid_parse(jid, &j) == -1)
		return (0);
	(void)jid_bare(&j, bare, sizeof(bare));
	return (blocklist_find(b, jid) != -1 ||
	    blocklist_find(b, bare) != -1 ||
	    blocklist_find(b, j.domain) != -1);
}

/*
 * Does u block jid?  A list the store could not read decides nothing, so
 * nothing goes to or from its user (fail closed) until it is read again
 * (every BLOCKING_RETRY seconds while the user is online).  One still on its way (one store round trip
 * after the user's first bind, while the client's own stanzas wait for
 * it) is taken as it was stored.
 */
static int
blocking_blocks(struct user *u, const char *jid)
{
	if (u == NULL || u->blocklist == NULL)
		return (0);
	if (u->blocklist->failed)
		return (1);
	return (blocklist_matches(u->blocklist, jid));
}

/* A list not loaded counts as one with items, for blocking_nusers. */
static void
blocking_unsure(struct blocklist *b, int unsure)
{
	if (b->unsure == unsure)
		return;
	b->unsure = unsure;
	if (unsure)
		blocking_nusers++;
	else
		blocking_nusers--;
}

/*
 * Does u (online) block jid: 1 or 0, -1 when u's list is not known here
 * (u offline, or its list not loaded yet).  For a check that must fail
 * closed.
 */
int
blocking_known(struct user *u, const char *jid)
{
	if (u == NULL || u->blocklist == NULL || !u->blocklist->loaded)
		return (-1);
	return (blocklist_matches(u->blocklist, jid));
}

/* A question to the store about an offline user's list. */
struct blocking_ask {
	char		 *jid;
	void		(*fn)(int, void *);
	void		 *arg;
};

static void
blocking_asked(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct blocking_ask	*q = arg;
	struct blocklist	 b;
	struct xs_item		*it;
	int			 rv = -1;

	memset(&b, 0, sizeof(b));
	if (r->status == XS_OK || r->status == XS_NOT_FOUND) {
		TAILQ_FOREACH(it, items, entry)
			blocklist_add(&b, it->key);
		rv = blocklist_matches(&b, q->jid);
		blocklist_clear(&b);
	}
	q->fn(rv, q->arg);
	free(q->jid);
	free(q);
}

/*
 * Does local@domain block jid?  fn(answer, arg) says, as blocking_known
 * does: at once when the router knows the list, else once the store has
 * said (-1 when it could not).
 */
void
blocking_ask(const char *local, const char *domain, const char *jid,
    void (*fn)(int, void *), void *arg)
{
	struct blocking_ask	*q;
	struct xs_req		 r;
	char			 bare[CONF_JIDLEN];
	int			 rv;

	(void)snprintf(bare, sizeof(bare), "%s@%s", local, domain);
	if ((rv = blocking_known(session_find_user(bare), jid)) != -1) {
		fn(rv, arg);
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->jid = strdup(jid)) == NULL)
		fatal("%s", __func__);
	q->fn = fn;
	q->arg = arg;
	xs_req_init(&r, XS_GET, local, domain, BLOCKING_SPACE, NULL);
	r.limit = BLOCKING_MAX;
	if (xs_request(&r, NULL, 0, blocking_asked, q) == -1) {
		free(q->jid);
		free(q);
		fn(-1, arg);
	}
}

static struct user *
blocking_user_of(const char *jid)
{
	struct session	*s;
	struct user	*u;

	if (router_local_jid(jid, &s, &u) < 1)
		return (NULL);
	return (u);
}

/* A list the store could not give: asked for again, if still wanted. */
static void
blocking_retry(int fd, short event, void *arg)
{
	struct user	*u;

	(void)fd;
	(void)event;
	u = session_find_user(arg);
	free(arg);
	if (u == NULL || u->blocklist == NULL)
		return;
	u->blocklist->retrying = 0;
	if (u->blocklist->failed)
		blocking_load(u);
}

static void
blocking_failed(struct user *u)
{
	struct timeval	 tv = { BLOCKING_RETRY, 0 };
	char		*bare;

	u->blocklist->failed = 1;
	if (u->blocklist->retrying)
		return;
	u->blocklist->retrying = 1;
	if ((bare = strdup(u->bare)) == NULL)
		fatal("%s", __func__);
	if (event_once(-1, EV_TIMEOUT, blocking_retry, bare, &tv) == -1)
		fatal("%s: event_once", __func__);
}

static void
blocking_loaded(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct user	*u;
	struct xs_item	*it;

	u = session_find_user(arg);
	free(arg);
	if (u == NULL || u->blocklist == NULL)
		return;
	u->blocklist->loading = 0;
	blocklist_clear(u->blocklist);
	/* No account row yet (a directory user): nothing stored, no block. */
	if (r->status != XS_OK && r->status != XS_NOT_FOUND &&
	    r->status != XS_NO_ACCOUNT) {
		if (!u->blocklist->failed)
			log_warnx("blocking: the list of %s could not be read: "
			    "nothing goes to or from it", u->bare);
		blocking_failed(u);
		blocking_run_waiting(u->blocklist);
		return;
	}
	TAILQ_FOREACH(it, items, entry)
		blocklist_add(u->blocklist, it->key);
	if (u->blocklist->failed)
		log_info("blocking: the list of %s is read again", u->bare);
	u->blocklist->failed = 0;
	blocking_unsure(u->blocklist, 0);
	u->blocklist->loaded = 1;
	blocking_run_waiting(u->blocklist);
}

/* Ask the store for u's list. */
static void
blocking_load(struct user *u)
{
	struct xs_req	 r;
	char		*bare;

	if (u->blocklist == NULL &&
	    (u->blocklist = calloc(1, sizeof(*u->blocklist))) == NULL)
		fatal("%s", __func__);
	if (u->blocklist->loading)
		return;
	blocking_unsure(u->blocklist, 1);
	if ((bare = strdup(u->bare)) == NULL)
		fatal("%s", __func__);
	xs_req_init(&r, XS_GET, u->local, u->domain, BLOCKING_SPACE, NULL);
	r.limit = BLOCKING_MAX;
	if (xs_request(&r, NULL, 0, blocking_loaded, bare) == 0)
		u->blocklist->loading = 1;
	else {
		free(bare);
		if (!u->blocklist->failed)
			log_warnx("blocking: the list of %s cannot be asked "
			    "for: nothing goes to or from it", u->bare);
		blocking_failed(u);
	}
}

/* A session bound: its user's list comes from the store if not here. */
void
blocking_session_new(struct session *s)
{
	if (s->user->blocklist == NULL || s->user->blocklist->failed)
		blocking_load(s->user);
}

static void
blocking_session_end(struct session *s)
{
	struct user	*u = s->user;

	if (u->nsessions > 1 || u->blocklist == NULL)
		return;
	while (u->blocklist->nwait > 0)
		xs_iq_done(u->blocklist->wait[--u->blocklist->nwait], NULL);
	blocking_unsure(u->blocklist, 0);
	blocklist_clear(u->blocklist);
	free(u->blocklist);
	u->blocklist = NULL;
}

const struct router_hooks blocking_hooks = {
	blocking_session_end, NULL, NULL
};

static struct xml_node *
blocking_items(const char *name, char **jids, int n)
{
	struct xml_node	*q, *it;
	int		 i;

	if ((q = xml_node_new(NS_BLOCKING, name)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		if ((it = xml_add_child(q, NULL, "item")) != NULL)
			xml_set_attr(it, "jid", jids[i]);
	return (q);
}

/* Section 3.3: the change goes to each resource that asked for the list. */
static void
blocking_push(struct user *u, struct blocking_op *op)
{
	struct session	*s;
	struct xml_node	*iq, *q;
	struct imsgev	*iev;

	TAILQ_FOREACH(s, &u->sessions, user_entry) {
		if (!s->blocklist_requested || (iev = proc_peer(PROC_STREAM,
		    s->stream)) == NULL)
			continue;
		if ((iq = xml_node_new(NS_CLIENT, "iq")) == NULL)
			return;
		xml_set_attr(iq, "type", "set");
		xml_set_attr(iq, "id", "block-push");
		xml_set_attr(iq, "to", s->full);
		if ((q = blocking_items(op->block ? "block" : "unblock",
		    op->jids, op->n)) != NULL)
			xml_append(iq, q);
		(void)stanza_send(iev, s->id, s->id, iq, NS_CLIENT);
		xml_node_free(iq);
	}
}

/* Unblocked: presence flows again as the subscription says (3.4). */
static void
blocking_restore(struct roster *r, struct roster_job *j)
{
	struct ritem	*it = roster_item(r, j->jid);
	struct user	*u = session_find_user(r->bare), *cu;
	struct session	*s, *c;

	if (it == NULL || u == NULL)
		return;
	if (SUB_HAS_FROM(it->sub))
		presence_of_user_to(u, j->jid, 0);
	if (SUB_HAS_TO(it->sub) && (cu = session_find_user(j->jid)) != NULL)
		TAILQ_FOREACH(s, &u->sessions, user_entry)
			TAILQ_FOREACH(c, &cu->sessions, user_entry)
				if (s->available && c->available)
					router_deliver_xml(s, STANZA_PRESENCE,
					    c->presence, c->presencelen);
}

static void
blocking_op_free(struct blocking_op *op)
{
	int	 i;

	for (i = 0; i < op->n; i++)
		free(op->jids[i]);
	free(op->jids);
	free(op->bare);
	free(op);
}

/* The store answered one request of op. */
static void
blocking_stored(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct blocking_op	*op = arg;
	struct user		*u;
	int			 i;

	(void)items;
	if (r->status != XS_OK && !(r->op == XS_DEL &&
	    r->status == XS_NOT_FOUND) && op->q->status == XS_OK)
		op->q->status = r->status;
	if (--op->q->pending > 0)
		return;
	if (op->q->status != XS_OK) {
		xs_iq_done(op->q, xs_iq_error(op->q, op->q->status));
		blocking_op_free(op);
		return;
	}
	xs_iq_done(op->q, router_iq_result(op->q->iq));
	if ((u = session_find_user(op->bare)) != NULL &&
	    u->blocklist != NULL) {
		if (!op->block && op->n == 0) {
			/* Unblock all: each one is restored, and pushed. */
			op->jids = u->blocklist->jids;
			op->n = u->blocklist->n;
			u->blocklist->jids = NULL;
			if (u->blocklist->n > 0)
				blocking_nusers--;
			u->blocklist->n = 0;
			blocking_push(u, &(struct blocking_op){ NULL, NULL,
			    NULL, 0, 0 });
		} else
			blocking_push(u, op);
		for (i = 0; i < op->n; i++) {
			if (op->block) {
				/* Section 3.3: gone, as far as they know. */
				presence_of_user_to(u, op->jids[i], 1);
				blocklist_add(u->blocklist, op->jids[i]);
			} else {
				blocklist_del(u->blocklist, op->jids[i]);
				roster_with(u->local, u->domain,
				    blocking_restore, roster_job_new(NULL,
				    NULL, op->jids[i]));
			}
		}
	}
	blocking_op_free(op);
}

static struct xml_node *
blocking_get(struct session *s, struct xml_node *iq)
{
	struct blocklist	*b = s->user->blocklist;
	struct xml_node		*r, *q;

	if (b == NULL || !b->loaded)
		return (router_error(iq, "wait", "resource-constraint"));
	if ((r = router_iq_result(iq)) == NULL)
		return (NULL);
	if ((q = blocking_items("blocklist", b->jids, b->n)) != NULL)
		xml_append(r, q);
	s->blocklist_requested = 1;
	return (r);
}

/* The JIDs of a block or unblock, normalised; NULL and *err on error. */
static char **
blocking_parse(struct xml_node *q, int *n, const char **err)
{
	struct xml_node	*c;
	struct jid	 j;
	char		**jids = NULL, norm[CONF_JIDLEN];
	const char	*v;
	int		 i;

	*n = 0;
	*err = NULL;
	TAILQ_FOREACH(c, &q->children, entry) {
		if (c->name == NULL)
			continue;
		if (!xml_is(c, NS_BLOCKING, "item") ||
		    (v = xml_get_attr(c, "jid")) == NULL)
			*err = "bad-request";
		else if (jid_parse(v, &j) == -1 ||
		    jid_full(&j, norm, sizeof(norm)) >= sizeof(norm) ||
		    strlen(norm) >= XS_KEY_MAX)
			*err = "jid-malformed";
		else if (*n >= BLOCKING_MAX)
			*err = "not-acceptable";
		if (*err != NULL)
			break;
		for (i = 0; i < *n; i++)
			if (strcmp(jids[i], norm) == 0)
				break;
		if (i < *n)
			continue;
		if ((jids = reallocarray(jids, *n + 1, sizeof(*jids))) ==
		    NULL || (jids[*n] = strdup(norm)) == NULL)
			fatal("%s", __func__);
		(*n)++;
	}
	if (*err != NULL) {
		for (i = 0; i < *n; i++)
			free(jids[i]);
		free(jids);
		*n = 0;
		return (NULL);
	}
	return (jids);
}

static struct xml_node *
blocking_set(struct session *s, struct xml_node *iq, struct xml_node *q)
{
	struct blocklist	*b = s->user->blocklist;
	struct blocking_op	*op;
	struct xml_node		*item = NULL;
	struct xml_buf		 xb;
	struct xs_req		 r;
	const char		*err;
	char			**jids;
	int			 n, i, block = strcmp(q->name, "block") == 0;

	if (b == NULL || !b->loaded)
		return (router_error(iq, "wait", "resource-constraint"));
	if ((jids = blocking_parse(q, &n, &err)) == NULL && err != NULL)
		return (router_error(iq, "modify", err));
	/* Section 3.3: a block without items is a bad request. */
	if (block && n == 0)
		return (router_error(iq, "modify", "bad-request"));
	if ((op = calloc(1, sizeof(*op))) == NULL ||
	    (op->bare = strdup(s->user->bare)) == NULL)
		fatal("%s", __func__);
	op->q = xs_iq_new(s, iq);
	op->jids = jids;
	op->n = n;
	op->block = block;
	op->q->pending = n > 0 ? n : 1;
	for (i = 0; i < (n > 0 ? n : 1); i++) {
		xs_req_init(&r, block ? XS_PUT : XS_DEL, s->user->local,
		    s->user->domain, BLOCKING_SPACE, n > 0 ? jids[i] : NULL);
		r.limit = BLOCKING_MAX;
		xml_buf_init(&xb, 0);
		if (block && ((item = blocking_items("item", NULL, 0)) ==
		    NULL || xml_set_attr(item, "jid", jids[i]) == -1 ||
		    xml_serialize(item, NS_BLOCKING, &xb) == -1)) {
			xml_node_free(item);
			xml_buf_free(&xb);
			op->q->pending -= (n - i);
			op->q->status = XS_ERROR;
			break;
		}
		if (block)
			xml_node_free(item);
		if (xs_request(&r, xb.data, xb.len, blocking_stored, op) ==
		    -1) {
			xml_buf_free(&xb);
			op->q->pending -= (n > 0 ? n : 1) - i;
			op->q->status = XS_ERROR;
			break;
		}
		xml_buf_free(&xb);
	}
	if (op->q->pending == 0) {
		xs_iq_done(op->q, xs_iq_error(op->q, XS_ERROR));
		blocking_op_free(op);
	}
	return (NULL);
}

static struct xml_node *
blocking_handle(struct session *s, struct xml_node *iq, struct xml_node *q)
{
	struct blocklist	*b;
	const char		*type = xml_get_attr(iq, "type");
	int			 get = strcmp(q->name, "blocklist") == 0;

	/* Only the user's own list, by the user. */
	if (router_iq_to(s, iq) != IQ_SELF)
		return (router_error(iq, "cancel", "forbidden"));
	if (type == NULL || strcmp(type, get ? "get" : "set") != 0)
		return (router_error(iq, "modify", "bad-request"));
	if ((b = s->user->blocklist) != NULL && b->failed)
		return (router_error(iq, "wait", "internal-server-error"));
	/* A list still coming from the store: the IQ waits for it. */
	if ((b = s->user->blocklist) != NULL && !b->loaded) {
		if (b->nwait >= BLOCKING_WAIT_MAX)
			return (router_error(iq, "wait", "resource-constraint"));
		b->wait[b->nwait++] = xs_iq_new(s, iq);
		return (NULL);
	}
	return (get ? blocking_get(s, iq) : blocking_set(s, iq, q));
}

/* The list has come: the IQs that waited for it are answered. */
static void
blocking_run_waiting(struct blocklist *b)
{
	struct xs_iq	*wait[BLOCKING_WAIT_MAX];
	struct xml_node	*r;
	struct session	*s;
	int		 i, n = b->nwait;

	memcpy(wait, b->wait, n * sizeof(*wait));
	b->nwait = 0;
	for (i = 0; i < n; i++) {
		r = NULL;
		if ((s = session_find_id(wait[i]->stream,
		    wait[i]->session)) != NULL)
			r = blocking_handle(s, wait[i]->iq,
			    xml_first_child(wait[i]->iq));
		xs_iq_done(wait[i], r);
	}
}

const struct iq_feature blocking_list_feature =
    { NS_BLOCKING, "blocklist", blocking_handle };
const struct iq_feature blocking_block_feature =
    { NS_BLOCKING, "block", blocking_handle };
const struct iq_feature blocking_unblock_feature =
    { NS_BLOCKING, "unblock", blocking_handle };

static void
blocking_error(struct session *from, struct stanza_msg *m, const char *type,
    const char *cond, int blocked)
{
	struct xml_node	*r, *e;
	struct imsgev	*iev;

	if (strcmp(m->type, "error") == 0 || strcmp(m->type, "result") == 0)
		return;
	if ((r = router_error_msg(m, type, cond)) != NULL && blocked &&
	    (e = xml_find_child(r, NS_CLIENT, "error")) != NULL)
		xml_add_child(e, NS_BLOCKED, "blocked");
	if (r != NULL && (iev = proc_peer(PROC_STREAM, from->stream)) != NULL)
		(void)stanza_send(iev, from->id, from->id, r, NS_CLIENT);
	xml_node_free(r);
}

/*
 * A message or IQ from a session: returns 1 when blocking stops it.
 * To a JID the user blocks: <not-acceptable/> with <blocked/> (section
 * 3.5).  From a JID the local recipient blocks: IQ requests and messages
 * get <service-unavailable/>, as if the user were not there (3.3).
 */
int
blocking_out(struct session *from, struct stanza_msg *m)
{
	const char	*to = m->to[0] != '\0' ? m->to : NULL;

	if (blocking_nusers == 0 || to == NULL)
		return (0);
	if (from->user->blocklist != NULL && from->user->blocklist->failed) {
		blocking_error(from, m, "wait", "internal-server-error", 0);
		return (1);
	}
	if (blocking_blocks(from->user, to)) {
		blocking_error(from, m, "cancel", "not-acceptable", 1);
		return (1);
	}
	if (blocking_blocks(blocking_user_of(to), from->full)) {
		if (m->kind == STANZA_MESSAGE || strcmp(m->type, "get") == 0 ||
		    strcmp(m->type, "set") == 0)
			blocking_error(from, m, "cancel",
			    "service-unavailable", 0);
		return (1);
	}
	return (0);
}

/* Presence from jid for session to: 1 when blocking drops it. */
static int
blocking_presence_from(struct session *to, const char *from)
{
	return (blocking_blocks(to->user, from) ||
	    blocking_blocks(blocking_user_of(from), to->full));
}

/*
 * Presence xml the router holds, for session to: 1 when blocking drops
 * it, either way.  One it cannot read may come from anyone: dropped.
 */
int
blocking_presence(struct session *to, const char *xml, size_t len)
{
	struct xml_node	*n;
	const char	*from;
	int		 drop = 0;

	if (blocking_nusers == 0)
		return (0);
	if ((n = router_parse(xml, len, NS_CLIENT)) == NULL) {
		log_warnx("blocking: cannot read a presence for %s: dropped",
		    to->full);
		return (1);
	}
	if ((from = xml_get_attr(n, "from")) != NULL)
		drop = blocking_presence_from(to, from);
	xml_node_free(n);
	return (drop);
}

/* The same for a stanza as a stream sent it: its envelope says whose. */
int
blocking_presence_imsg(struct session *to, struct imsg *imsg)
{
	struct stanza_msg	 m;
	int			 drop;

	if (blocking_nusers == 0)
		return (0);
	if (stanza_recv(imsg, &m) == -1)
		return (1);
	drop = m.kind == STANZA_PRESENCE && blocking_presence_from(to, m.from);
	stanza_msg_clear(&m);
	return (drop);
}
