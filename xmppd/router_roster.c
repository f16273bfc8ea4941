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
 * Rosters (RFC 6121 section 2): the router caches each user's roster,
 * loaded from the store on first need while the work that needs it
 * waits; changes go back to the store and, as roster pushes, to every
 * resource that asked for the roster.  Versioned as XEP-0237 says.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/uio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define NS_ROSTER	"jabber:iq:roster"
#define ROSTER_MAX_ITEMS	1000
#define ROSTER_MAX_GROUPS	64
#define ROSTER_MAX_TEXT		1023
#define ROSTER_CACHE_MAX	10000

RB_HEAD(rosters, roster);

static struct rosters		 rosters = RB_INITIALIZER(&rosters);
static TAILQ_HEAD(, roster)	 roster_lru = TAILQ_HEAD_INITIALIZER(roster_lru);
static int			 nrosters;
static struct xml_limits	 roster_limits = { 0, 64, 64 };

static const char *roster_subs[] = { "none", "to", "from", "both" };

static int
ritem_cmp(struct ritem *a, struct ritem *b)
{
	return (strcmp(a->jid, b->jid));
}

static int
roster_cmp(struct roster *a, struct roster *b)
{
	return (strcmp(a->bare, b->bare));
}

RB_GENERATE(ritems, ritem, node, ritem_cmp);
RB_GENERATE_STATIC(rosters, roster, node, roster_cmp);

struct xml_node *
roster_parse(const char *xml)
{
	return (xml_parse_fragment(xml, strlen(xml), &roster_limits,
	    NS_CLIENT));
}

struct roster_job *
roster_job_new(struct session *s, const char *xml, const char *jid)
{
	struct roster_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (xml != NULL && (j->xml = strdup(xml)) == NULL) ||
	    (jid != NULL && (j->jid = strdup(jid)) == NULL))
		fatal("%s", __func__);
	if (s != NULL) {
		j->stream = s->stream;
		j->session = s->id;
	} else
		j->stream = -1;
	return (j);
}

static void
roster_job_free(struct roster_job *j)
{
	free(j->xml);
	free(j->jid);
	free(j);
}

static void
ritem_free(struct ritem *it)
{
	free(it->jid);
	free(it->name);
	free(it->groups);
	free(it->pending);
	free(it);
}

static void
roster_free(struct roster *r)
{
	struct ritem	*it;

	while ((it = RB_ROOT(&r->items)) != NULL) {
		RB_REMOVE(ritems, &r->items, it);
		ritem_free(it);
	}
	RB_REMOVE(rosters, &rosters, r);
	TAILQ_REMOVE(&roster_lru, r, lru);
	nrosters--;
	free(r->bare);
	free(r->local);
	free(r->domain);
	free(r);
}

/* Forget rosters no one online needs, oldest first. */
static void
roster_evict(void)
{
	struct roster	*r, *next;

	for (r = TAILQ_FIRST(&roster_lru); r != NULL &&
	    nrosters > ROSTER_CACHE_MAX; r = next) {
		next = TAILQ_NEXT(r, lru);
		if (r->loaded && TAILQ_EMPTY(&r->jobs) &&
		    session_find_user(r->bare) == NULL)
			roster_free(r);
	}
}

static void
roster_run(struct roster *r)
{
	struct roster_job	*j;

	while (r->loaded && (j = TAILQ_FIRST(&r->jobs)) != NULL) {
		TAILQ_REMOVE(&r->jobs, j, entry);
		j->fn(r, j);
		roster_job_free(j);
	}
}

/* Run fn with the roster of local@domain, now or once it is loaded. */
void
roster_with(const char *local, const char *domain,
    void (*fn)(struct roster *, struct roster_job *), struct roster_job *j)
{
	struct roster_owner	 o;
	struct roster		*r, key;
	struct imsgev		*store;
	char			 bare[CONF_JIDLEN];

	(void)snprintf(bare, sizeof(bare), "%s@%s", local, domain);
	key.bare = bare;
	j->fn = fn;
	if ((r = RB_FIND(rosters, &rosters, &key)) != NULL) {
		TAILQ_REMOVE(&roster_lru, r, lru);
		TAILQ_INSERT_TAIL(&roster_lru, r, lru);
		TAILQ_INSERT_TAIL(&r->jobs, j, entry);
		roster_run(r);
		return;
	}
	if ((store = proc_peer(PROC_STORE, 0)) == NULL) {
		roster_job_free(j);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->bare = strdup(bare)) == NULL ||
	    (r->local = strdup(local)) == NULL ||
	    (r->domain = strdup(domain)) == NULL)
		fatal("%s", __func__);
	RB_INIT(&r->items);
	TAILQ_INIT(&r->jobs);
	TAILQ_INSERT_TAIL(&r->jobs, j, entry);
	RB_INSERT(rosters, &rosters, r);
	TAILQ_INSERT_TAIL(&roster_lru, r, lru);
	nrosters++;
	memset(&o, 0, sizeof(o));
	(void)strlcpy(o.localpart, local, sizeof(o.localpart));
	(void)strlcpy(o.domain, domain, sizeof(o.domain));
	imsgev_compose(store, IMSG_ROSTER_LOAD, 0, 0, -1, &o, sizeof(o));
	roster_evict();
}

struct ritem *
roster_item(struct roster *r, const char *jid)
{
	struct ritem	 key;

	key.jid = (char *)jid;
	return (RB_FIND(ritems, &r->items, &key));
}

struct ritem *
roster_item_make(struct roster *r, const char *jid)
{
	struct ritem	*it;

	if ((it = roster_item(r, jid)) != NULL)
		return (it);
	if (r->nitems >= ROSTER_MAX_ITEMS)
		return (NULL);
	if ((it = calloc(1, sizeof(*it))) == NULL ||
	    (it->jid = strdup(jid)) == NULL)
		fatal("%s", __func__);
	RB_INSERT(ritems, &r->items, it);
	r->nitems++;
	return (it);
}

static struct roster *
roster_find(const char *bare)
{
	struct roster	 key;

	key.bare = (char *)bare;
	return (RB_FIND(rosters, &rosters, &key));
}

void
roster_item_xml(struct xml_node *q, struct ritem *it, int removed)
{
	struct xml_node	*x;
	char		*g, *p, *groups;

	x = xml_add_child(q, NS_ROSTER, "item");
	xml_set_attr(x, "jid", it->jid);
	xml_set_attr(x, "subscription", removed ? "remove" :
	    roster_subs[it->sub]);
	if (removed)
		return;
	if (it->ask)
		xml_set_attr(x, "ask", "subscribe");
	if (it->name != NULL && it->name[0] != '\0')
		xml_set_attr(x, "name", it->name);
	if (it->groups == NULL || (groups = strdup(it->groups)) == NULL)
		return;
	for (p = groups; (g = strsep(&p, "\n")) != NULL;)
		if (*g != '\0')
			xml_add_text(xml_add_child(x, NS_ROSTER, "group"), g,
			    strlen(g));
	free(groups);
}

static void
roster_send_item(struct roster *r, struct ritem *it, int del)
{
	struct roster_item_msg	 m;
	struct iovec		 iov[4];
	struct imsgev		*store;

	if ((store = proc_peer(PROC_STORE, 0)) == NULL)
		return;
	memset(&m, 0, sizeof(m));
	(void)strlcpy(m.owner.localpart, r->local, sizeof(m.owner.localpart));
	(void)strlcpy(m.owner.domain, r->domain, sizeof(m.owner.domain));
	m.owner.ver = r->ver;
	(void)strlcpy(m.contact, it->jid, sizeof(m.contact));
	m.sub = it->sub;
	m.ask = it->ask;
	m.approved = it->approved;
	m.in_roster = it->in_roster;
	m.namelen = it->name ? strlen(it->name) : 0;
	m.groupslen = it->groups ? strlen(it->groups) : 0;
	m.pendinglen = it->pending ? strlen(it->pending) : 0;
	iov[0].iov_base = &m;
	iov[0].iov_len = sizeof(m);
	iov[1].iov_base = it->name;
	iov[1].iov_len = m.namelen;
	iov[2].iov_base = it->groups;
	iov[2].iov_len = m.groupslen;
	iov[3].iov_base = it->pending;
	iov[3].iov_len = m.pendinglen;
	imsgev_composev(store, del ? IMSG_ROSTER_DELETE : IMSG_ROSTER_SAVE,
	    0, 0, -1, iov, 4);
}

/* A roster push to each resource that asked for the roster. */
static void
roster_push(struct roster *r, struct ritem *it, int removed)
{
	struct user	*u;
	struct session	*s;
	struct xml_node	*iq, *q;
	struct imsgev	*iev;
	char		 ver[32], id[32];

	if ((u = session_find_user(r->bare)) == NULL)
		return;
	(void)snprintf(ver, sizeof(ver), "%lld", (long long)r->ver);
	TAILQ_FOREACH(s, &u->sessions, user_entry) {
		if (!s->roster_requested ||
		    (iev = proc_peer(PROC_STREAM, s->stream)) == NULL)
			continue;
		iq = xml_node_new(NS_CLIENT, "iq");
		xml_set_attr(iq, "type", "set");
		(void)snprintf(id, sizeof(id), "push%08x", arc4random());
		xml_set_attr(iq, "id", id);
		xml_set_attr(iq, "to", s->full);
		q = xml_add_child(iq, NS_ROSTER, "query");
		xml_set_attr(q, "ver", ver);
		roster_item_xml(q, it, removed);
		(void)stanza_send(iev, s->id, s->id, iq, NS_CLIENT);
		xml_node_free(iq);
	}
}

/* An item changed: a new version, saved and pushed. */
void
roster_changed(struct roster *r, struct ritem *it)
{
	r->ver++;
	roster_send_item(r, it, 0);
	if (it->in_roster)
		roster_push(r, it, 0);
}

/* A change the user does not see (a request kept): saved, not pushed. */
void
roster_changed_quiet(struct roster *r, struct ritem *it)
{
	roster_send_item(r, it, 0);
}

void
roster_drop_item(struct roster *r, struct ritem *it)
{
	r->ver++;
	roster_send_item(r, it, 1);
	if (it->in_roster)
		roster_push(r, it, 1);
	RB_REMOVE(ritems, &r->items, it);
	r->nitems--;
	ritem_free(it);
}

static char *
roster_str(struct ibuf *ib, size_t len)
{
	char	*s;

	if (len > ibuf_size(ib) || (s = malloc(len + 1)) == NULL)
		return (NULL);
	(void)ibuf_get(ib, s, len);
	s[len] = '\0';
	return (s);
}

static int
roster_loaded_item(struct imsg *imsg)
{
	struct roster_item_msg	 m;
	struct roster		*r;
	struct ritem		*it;
	struct ibuf		 ib;
	char			 bare[CONF_JIDLEN];

	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &m, sizeof(m)) == -1 ||
	    ibuf_size(&ib) != (size_t)m.namelen + m.groupslen + m.pendinglen)
		return (-1);
	m.owner.localpart[sizeof(m.owner.localpart) - 1] = '\0';
	m.owner.domain[sizeof(m.owner.domain) - 1] = '\0';
	m.contact[sizeof(m.contact) - 1] = '\0';
	(void)snprintf(bare, sizeof(bare), "%s@%s", m.owner.localpart,
	    m.owner.domain);
	if ((r = roster_find(bare)) == NULL || r->loaded ||
	    (it = roster_item_make(r, m.contact)) == NULL)
		return (0);
	it->sub = m.sub & 3;
	it->ask = m.ask != 0;
	it->approved = m.approved != 0;
	it->in_roster = m.in_roster != 0;
	it->name = roster_str(&ib, m.namelen);
	it->groups = roster_str(&ib, m.groupslen);
	it->pending = m.pendinglen ? roster_str(&ib, m.pendinglen) : NULL;
	return (0);
}

int
roster_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct roster_owner	 o;
	struct roster		*r;
	char			 bare[CONF_JIDLEN];

	switch (imsg_get_type(imsg)) {
	case IMSG_ROSTER_ITEM:
		if (iev->type != PROC_STORE)
			return (-1);
		return (roster_loaded_item(imsg));
	case IMSG_ROSTER_LOADED:
		if (iev->type != PROC_STORE ||
		    imsg_get_data(imsg, &o, sizeof(o)) == -1)
			return (-1);
		o.localpart[sizeof(o.localpart) - 1] = '\0';
		o.domain[sizeof(o.domain) - 1] = '\0';
		(void)snprintf(bare, sizeof(bare), "%s@%s", o.localpart,
		    o.domain);
		if ((r = roster_find(bare)) == NULL || r->loaded)
			return (0);
		r->loaded = 1;
		r->exists = o.exists;
		r->ver = o.ver;
		roster_run(r);
		return (0);
	}
	return (1);
}
