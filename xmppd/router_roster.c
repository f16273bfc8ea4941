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
 * A user of an "auth ldap" domain has a roster when the directory knows
 * the user, and sees the shared group of the directory merged in.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/uio.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
#define ROSTER_LDAP_TTL		600	/* seconds a directory user is ... */
#define ROSTER_LDAP_RETRY	60	/* ... or is not, until asked again */
#define ROSTER_SHARED_PUSH_MAX	1000	/* shared items pushed at once */
#define ROSTER_LOAD_TRIES	5	/* loads that fail before giving up */
#define ROSTER_LOAD_WAIT_MS	250	/* after the first; doubled each time */

RB_HEAD(rosters, roster);

static struct rosters		 rosters = RB_INITIALIZER(&rosters);
static TAILQ_HEAD(, roster)	 roster_lru = TAILQ_HEAD_INITIALIZER(roster_lru);
static int			 nrosters;

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
	return (router_parse(xml, strlen(xml), NS_CLIENT));
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

void
roster_job_free(struct roster_job *j)
{
	router_release(j->hold);
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
roster_items_free(struct roster *r)
{
	struct ritem	*it;

	while ((it = RB_ROOT(&r->items)) != NULL) {
		RB_REMOVE(ritems, &r->items, it);
		ritem_free(it);
	}
	r->nitems = 0;
}

static void
roster_free(struct roster *r)
{
	roster_items_free(r);
	if (r->retry != NULL) {
		evtimer_del(r->retry);
		free(r->retry);
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
		if (r->loaded && !r->busy && TAILQ_EMPTY(&r->jobs) &&
		    session_find_user(r->bare) == NULL)
			roster_free(r);
	}
}

/*
 * A directory user's roster is checked again after a while, unless the
 * user is online; one whose account did not exist is (it may have been
 * made since), and at once when the user has logged in since.
 */
static int
roster_expired(struct roster *r)
{
	int	 online;

	if (!r->loaded || r->busy || !TAILQ_EMPTY(&r->jobs) ||
	    r->expires == 0)
		return (0);
	online = session_find_user(r->bare) != NULL;
	if (!r->exists)
		return (online || time(NULL) >= r->expires);
	return (!online && time(NULL) >= r->expires);
}

static void
roster_run(struct roster *r)
{
	struct roster_job	*j;
	void			*ctx;

	r->busy++;
	while (r->loaded && (j = TAILQ_FIRST(&r->jobs)) != NULL) {
		TAILQ_REMOVE(&r->jobs, j, entry);
		ctx = router_enter(j->hold);
		j->fn(r, j);
		router_leave(j->hold, ctx);
		roster_job_free(j);
	}
	r->busy--;
}

static struct roster *
roster_find(const char *bare)
{
	struct roster	 key;

	key.bare = (char *)bare;
	return (RB_FIND(rosters, &rosters, &key));
}

/*
 * An account was deleted: what is cached of its roster goes, so that a
 * new account of that name starts with what the store has, nothing.  A
 * load in flight brings that already.
 */
void
roster_forget(const char *bare)
{
	struct roster	*r;

	if ((r = roster_find(bare)) != NULL && r->loaded && !r->busy &&
	    TAILQ_EMPTY(&r->jobs))
		roster_free(r);
}

static void	roster_load_failed(struct roster *);

static void
roster_load(struct roster *r)
{
	struct roster_owner	 o;
	struct imsgev		*store;

	if ((store = proc_peer(PROC_STORE, 0)) == NULL) {
		roster_load_failed(r);
		return;
	}
	memset(&o, 0, sizeof(o));
	(void)strlcpy(o.localpart, r->local, sizeof(o.localpart));
	(void)strlcpy(o.domain, r->domain, sizeof(o.domain));
	imsgev_compose(store, IMSG_ROSTER_LOAD, 0, 0, -1, &o, sizeof(o));
}

static void
roster_retry(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	roster_load(arg);
}

/*
 * A job refused: the stanza it stands for, when its sender is still
 * there and it is a request, is answered with an error of type wait
 * (the store may read the roster again later).  Nothing else of it is
 * done: no roster is made up in place of the one that was not read.
 */
static void
roster_refuse(struct roster_job *j)
{
	struct session	*s;
	struct imsgev	*iev;
	struct xml_node	*x, *e;
	const char	*type;

	if (j->xml == NULL ||
	    (s = session_find_id(j->stream, j->session)) == NULL ||
	    (iev = proc_peer(PROC_STREAM, s->stream)) == NULL ||
	    (x = roster_parse(j->xml)) == NULL)
		return;
	type = xml_get_attr(x, "type");
	if (type == NULL ||
	    (strcmp(type, "error") != 0 && strcmp(type, "result") != 0)) {
		e = router_error(x, "wait", "internal-server-error");
		(void)stanza_send(iev, s->id, s->id, e, NS_CLIENT);
		xml_node_free(e);
	}
	xml_node_free(x);
}

/*
 * The store could not read the roster: its jobs keep waiting, and it is
 * asked again after a while, then again twice as late.  After
 * ROSTER_LOAD_TRIES the jobs are refused and the roster forgotten: the
 * next need of it starts anew.
 */
static void
roster_load_failed(struct roster *r)
{
	struct timeval		 tv;
	struct roster_job	*j;
	TAILQ_HEAD(, roster_job) jobs;
	void			*ctx;
	long			 ms;
	int			 n = 0;

	roster_items_free(r);
	if (++r->tries < ROSTER_LOAD_TRIES) {
		if (r->retry == NULL) {
			if ((r->retry = calloc(1, sizeof(*r->retry))) == NULL)
				fatal("%s", __func__);
			evtimer_set(r->retry, roster_retry, r);
		}
		ms = (long)ROSTER_LOAD_WAIT_MS << (r->tries - 1);
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evtimer_add(r->retry, &tv);
		return;
	}
	/* Out of the cache first: what the refusals set going starts anew. */
	TAILQ_INIT(&jobs);
	TAILQ_CONCAT(&jobs, &r->jobs, entry);
	TAILQ_FOREACH(j, &jobs, entry)
		n++;
	log_warnx("roster of %s: not read after %d tries: %d requests "
	    "refused", r->bare, r->tries, n);
	roster_free(r);
	while ((j = TAILQ_FIRST(&jobs)) != NULL) {
		TAILQ_REMOVE(&jobs, j, entry);
		ctx = router_enter(j->hold);
		roster_refuse(j);
		router_leave(j->hold, ctx);
		roster_job_free(j);
	}
}

/*
 * What the directory says of a user whose roster is wanted: unknown, no
 * roster; known, the store has made the account, load it; no answer,
 * load what the store has, if anything.
 */
static void
roster_checked(const char *domain, const char *local, int status, void *arg)
{
	struct roster	*r;
	char		 bare[CONF_JIDLEN];

	(void)arg;
	(void)snprintf(bare, sizeof(bare), "%s@%s", local, domain);
	if ((r = roster_find(bare)) == NULL || r->loaded ||
	    r->ldap_status != -1)
		return;
	r->ldap_status = status;
	if (status != LDAP_USER_NONE) {
		roster_load(r);
		return;
	}
	r->loaded = 1;
	r->exists = 0;
	r->expires = time(NULL) + ROSTER_LDAP_RETRY;
	roster_run(r);
}

/* Run fn with the roster of local@domain, now or once it is loaded. */
void
roster_with(const char *local, const char *domain,
    void (*fn)(struct roster *, struct roster_job *), struct roster_job *j)
{
	struct roster		*r;
	char			 bare[CONF_JIDLEN];

	(void)snprintf(bare, sizeof(bare), "%s@%s", local, domain);
	j->fn = fn;
	if ((r = roster_find(bare)) != NULL && roster_expired(r)) {
		roster_free(r);
		r = NULL;
	}
	if (r != NULL) {
		TAILQ_REMOVE(&roster_lru, r, lru);
		TAILQ_INSERT_TAIL(&roster_lru, r, lru);
		/* Not loaded yet: the stanza's sender waits for its turn. */
		if (!r->loaded)
			j->hold = router_hold();
		TAILQ_INSERT_TAIL(&r->jobs, j, entry);
		roster_run(r);
		return;
	}
	if (proc_peer(PROC_STORE, 0) == NULL) {
		/* The store is restarting: nothing to read a roster from. */
		roster_refuse(j);
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
	j->hold = router_hold();
	TAILQ_INSERT_TAIL(&r->jobs, j, entry);
	r->ldap_status = -1;
	RB_INSERT(rosters, &rosters, r);
	TAILQ_INSERT_TAIL(&roster_lru, r, lru);
	nrosters++;
	if (ldap_domain(domain) != NULL)
		ldap_user_check(domain, local, roster_checked, NULL);
	else
		roster_load(r);
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

/* The shared group r's owner is in and sees, or NULL. */
const struct shared_group *
roster_group(struct roster *r)
{
	const struct shared_group	*g;

	if (!r->exists || (g = ldap_shared(r->domain)) == NULL ||
	    ldap_shared_member(g, r->local) == NULL)
		return (NULL);
	return (g);
}

/* The member of g that jid is, as a contact of r's owner, or NULL. */
const struct shared_member *
roster_shared(struct roster *r, const struct shared_group *g,
    const char *jid)
{
	const char	*at;
	char		 local[JID_PARTMAX + 1];
	size_t		 n;

	if (g == NULL || (at = strchr(jid, '@')) == NULL ||
	    strcmp(at + 1, r->domain) != 0 || (n = at - jid) == 0 ||
	    n >= sizeof(local))
		return (NULL);
	memcpy(local, jid, n);
	local[n] = '\0';
	if (strcmp(local, r->local) == 0)
		return (NULL);
	return (ldap_shared_member(g, local));
}

/* The JID of member m in r's domain; NULL for r's owner. */
const char *
roster_member_jid(struct roster *r, const struct shared_member *m,
    char *buf, size_t len)
{
	int	 n;

	if (strcmp(m->local, r->local) == 0)
		return (NULL);
	n = snprintf(buf, len, "%s@%s", m->local, r->domain);
	if (n < 0 || (size_t)n >= len)
		return (NULL);
	return (buf);
}

/* The version a client sees: the shared group's changes count too. */
void
roster_ver(struct roster *r, char *buf, size_t len)
{
	const struct shared_group	*g = roster_group(r);

	(void)snprintf(buf, len, "%lld", (long long)(r->ver +
	    (g != NULL ? g->gen : 0)));
}

static void
roster_group_xml(struct xml_node *x, const char *g)
{
	xml_add_text(xml_add_child(x, NS_ROSTER, "group"), g, strlen(g));
}

/*
 * The item jid as r's owner sees it, g being roster_group(r): the one
 * the user keeps, the shared one, both merged (subscription both, the
 * user's name first, the shared group added), or a removal.
 */
void
roster_item_xml(struct xml_node *q, struct roster *r,
    const struct shared_group *g, const char *jid)
{
	const struct shared_member	*m = roster_shared(r, g, jid);
	struct ritem			*it = roster_item(r, jid);
	struct xml_node			*x;
	const char			*name = NULL;
	char				*s, *p, *groups;
	int				 sub = SUB_NONE, ask = 0;

	if (it != NULL && !it->in_roster)
		it = NULL;
	x = xml_add_child(q, NS_ROSTER, "item");
	xml_set_attr(x, "jid", jid);
	if (it == NULL && m == NULL) {
		xml_set_attr(x, "subscription", "remove");
		return;
	}
	if (it != NULL) {
		sub = it->sub;
		ask = it->ask;
		name = it->name;
	}
	if (m != NULL) {
		sub = SUB_BOTH;
		ask = 0;
		if (name == NULL || name[0] == '\0')
			name = m->name;
	}
	xml_set_attr(x, "subscription", roster_subs[sub]);
	if (ask)
		xml_set_attr(x, "ask", "subscribe");
	/* RFC 6121 section 2.1.2.1: a pre-approval is shown. */
	if (it != NULL && it->approved && m == NULL)
		xml_set_attr(x, "approved", "true");
	if (name != NULL && name[0] != '\0')
		xml_set_attr(x, "name", name);
	if (it != NULL && it->groups != NULL &&
	    (groups = strdup(it->groups)) != NULL) {
		for (p = groups; (s = strsep(&p, "\n")) != NULL;)
			if (*s != '\0' && (m == NULL || strcmp(s, g->group)))
				roster_group_xml(x, s);
		free(groups);
	}
	if (m != NULL)
		roster_group_xml(x, g->group);
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

/* A roster push of jid to each resource that asked for the roster. */
static void
roster_push(struct roster *r, const char *jid)
{
	const struct shared_group	*g;
	struct user			*u;
	struct session			*s;
	struct xml_node			*iq, *q;
	struct imsgev			*iev;
	char				 ver[32], id[32];

	if ((u = session_find_user(r->bare)) == NULL)
		return;
	g = roster_group(r);
	roster_ver(r, ver, sizeof(ver));
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
		roster_item_xml(q, r, g, jid);
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
		roster_push(r, it->jid);
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
	RB_REMOVE(ritems, &r->items, it);
	r->nitems--;
	if (it->in_roster)
		roster_push(r, it->jid);
	ritem_free(it);
}

/*
 * Member m of r's shared group came (after), went (before) or was
 * renamed (both): a push, and presence starts or ends as after a
 * subscription unless the user's own subscription carries it.
 */
static void
roster_shared_one(struct roster *r, struct user *u,
    const struct shared_member *m, int before, int after)
{
	struct ritem	*it;
	char		 jid[CONF_JIDLEN];

	if (roster_member_jid(r, m, jid, sizeof(jid)) == NULL)
		return;
	roster_push(r, jid);
	if (before == after || ((it = roster_item(r, jid)) != NULL &&
	    (it->sub == SUB_FROM || it->sub == SUB_BOTH)))
		return;
	presence_of_user_to(u, jid, !after);
}

/*
 * The shared group of ldap block ldap changed from before to after
 * (either NULL), by changes ch: the rosters of online users follow.
 * Past ROSTER_SHARED_PUSH_MAX changes for one user there is no push;
 * the new version tells the user's next roster request.
 */
void
roster_group_changed(const char *ldap, const struct shared_group *before,
    const struct shared_group *after, const struct shared_change *ch,
    size_t n)
{
	const struct shared_group	*all;
	struct roster			*r;
	struct domain_conf		*d;
	struct user			*u;
	size_t				 i;
	int				 was, is;

	RB_FOREACH(r, rosters, &rosters) {
		if (!r->loaded || !r->exists ||
		    (u = session_find_user(r->bare)) == NULL ||
		    (d = ldap_domain(r->domain)) == NULL ||
		    strcmp(d->ldap, ldap) != 0)
			continue;
		was = before != NULL &&
		    ldap_shared_member(before, r->local) != NULL;
		is = after != NULL &&
		    ldap_shared_member(after, r->local) != NULL;
		if (was && is && n <= ROSTER_SHARED_PUSH_MAX)
			for (i = 0; i < n; i++)
				roster_shared_one(r, u, ch[i].after != NULL ?
				    ch[i].after : ch[i].before,
				    ch[i].before != NULL, ch[i].after != NULL);
		if (was == is)
			continue;
		/* The user came into the group or left it: all changed. */
		all = is ? after : before;
		for (i = 0; i < all->nmembers &&
		    all->nmembers <= ROSTER_SHARED_PUSH_MAX; i++)
			roster_shared_one(r, u, &all->members[i], was, is);
	}
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
		if (o.exists == -1) {
			roster_load_failed(r);
			return (0);
		}
		r->loaded = 1;
		r->tries = 0;
		r->exists = o.exists;
		r->ver = o.ver;
		if (r->ldap_status != -1)
			r->expires = time(NULL) + (!r->exists ? 0 :
			    r->ldap_status == LDAP_USER_EXISTS ?
			    ROSTER_LDAP_TTL : ROSTER_LDAP_RETRY);
		else if (!r->exists)
			/* It may be made meanwhile: asked again at its login. */
			r->expires = time(NULL) + ROSTER_LDAP_RETRY;
		roster_run(r);
		return (0);
	}
	return (1);
}
