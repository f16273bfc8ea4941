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
 * Users of "auth ldap" domains exist when the directory says so: the
 * router asks ldapauthd, keeps the answers a while and has the store
 * make the account row of a user the directory knows.  ldapauthd also
 * sends the shared roster group of each ldap block, kept here once for
 * every roster of its domains.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

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
#include "xml.h"

#define LDAP_CACHE_MAX		10000	/* answers kept */
#define LDAP_TTL_EXISTS		600	/* seconds an answer is kept */
#define LDAP_TTL_NONE		60
#define LDAP_WAIT_MAX		4096	/* requests waiting for answers */
#define LDAP_WAIT_TIMEOUT	30	/* seconds */
#define LDAP_GROUP_MAX		100000	/* members of a shared group */

struct ldap_waiter {
	TAILQ_ENTRY(ldap_waiter)	 entry;
	void				(*cb)(const char *, const char *, int,
					    void *);
	void				*arg;
	uint32_t			 hold;	/* router_order.c */
};
TAILQ_HEAD(ldap_waiters, ldap_waiter);

/* A user asked about: a question out (flight list) or an answer (lru). */
struct ldap_user {
	RB_ENTRY(ldap_user)		 node;
	TAILQ_ENTRY(ldap_user)		 list;
	char				*domain;
	char				*local;
	int				 inflight;
	uint32_t			 id;
	time_t				 sent;
	int				 status;
	time_t				 expires;
	struct ldap_waiters		 waiters;
};
RB_HEAD(ldap_users, ldap_user);
TAILQ_HEAD(ldap_user_list, ldap_user);

static int	ldap_user_cmp(struct ldap_user *, struct ldap_user *);
RB_GENERATE_STATIC(ldap_users, ldap_user, node, ldap_user_cmp);

static struct ldap_users	 ldap_users = RB_INITIALIZER(&ldap_users);
static struct ldap_user_list	 ldap_lru = TAILQ_HEAD_INITIALIZER(ldap_lru);
static struct ldap_user_list	 ldap_flight =
				    TAILQ_HEAD_INITIALIZER(ldap_flight);
static int			 ldap_ncached, ldap_nwaiting;
static uint32_t			 ldap_reqid;
static struct event		 ldap_timer;
static int			 ldap_going;	/* ldapauthd is going away */

/* The shared groups, and the list ldapauthd is sending. */
static TAILQ_HEAD(, shared_group) ldap_groups =
				    TAILQ_HEAD_INITIALIZER(ldap_groups);
static int64_t			 ldap_lastgen;
static struct {
	int			 open;
	int			 ignore;
	char			 ldap[CONF_NAMELEN];
	char			 group[CONF_NAMELEN];
	struct shared_member	*m;
	size_t			 n, cap;
	uint32_t		 received;
} ldap_in;

static int
ldap_user_cmp(struct ldap_user *a, struct ldap_user *b)
{
	int	 c;

	if ((c = strcmp(a->local, b->local)) != 0)
		return (c);
	return (strcmp(a->domain, b->domain));
}

/* The configuration of domain when its users are in a directory. */
struct domain_conf *
ldap_domain(const char *domain)
{
	struct domain_conf	*d;

	if ((d = config_domain(proc_self.conf, domain)) == NULL ||
	    d->auth != AUTH_LDAP)
		return (NULL);
	return (d);
}

int
ldap_enabled(void)
{
	struct domain_conf	*d;

	TAILQ_FOREACH(d, &proc_self.conf->domains, entry)
		if (d->auth == AUTH_LDAP)
			return (1);
	return (0);
}

/* The link to ldapauthd, unless it is going away. */
struct imsgev *
ldap_peer(void)
{
	return (ldap_going ? NULL : proc_peer(PROC_LDAPAUTHD, 0));
}

/*
 * Is text from the directory fit for XML: UTF-8 the serializer accepts,
 * without control characters (C0, DEL, C1)?
 */
int
ldap_text_ok(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	struct xml_buf		 b;
	size_t			 i;
	int			 ok;

	for (i = 0; i < len; i++)
		if (u[i] < 0x20 || u[i] == 0x7f || (u[i] == 0xc2 &&
		    i + 1 < len && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f))
			return (0);
	xml_buf_init(&b, 0);
	ok = xml_buf_escape(&b, s, len, 0) == 0;
	xml_buf_free(&b);
	return (ok);
}

static void
ldap_user_free(struct ldap_user *u)
{
	RB_REMOVE(ldap_users, &ldap_users, u);
	if (u->inflight)
		TAILQ_REMOVE(&ldap_flight, u, list);
	else {
		TAILQ_REMOVE(&ldap_lru, u, list);
		ldap_ncached--;
	}
	free(u->domain);
	free(u->local);
	free(u);
}

/* The store makes the account row of a user the directory knows. */
static void
ldap_ensure(const char *domain, const char *local)
{
	struct roster_owner	 o;
	struct imsgev		*store;

	if ((store = proc_peer(PROC_STORE, 0)) == NULL)
		return;
	memset(&o, 0, sizeof(o));
	(void)strlcpy(o.localpart, local, sizeof(o.localpart));
	(void)strlcpy(o.domain, domain, sizeof(o.domain));
	imsgev_compose(store, IMSG_ACCOUNT_ENSURE, 0, 0, -1, &o, sizeof(o));
}

/*
 * Tell the waiting requests; each may ask again, so the caller has
 * taken them off their user and passes strings of its own.
 */
static void
ldap_answer(struct ldap_waiters *w, const char *domain, const char *local,
    int status)
{
	struct ldap_waiter	*wt;
	void			*ctx;

	if (status == LDAP_USER_EXISTS && !TAILQ_EMPTY(w))
		ldap_ensure(domain, local);
	while ((wt = TAILQ_FIRST(w)) != NULL) {
		TAILQ_REMOVE(w, wt, entry);
		ldap_nwaiting--;
		ctx = router_enter(wt->hold);
		wt->cb(domain, local, status, wt->arg);
		router_leave(wt->hold, ctx);
		free(wt);
	}
}

/* Give up on a question: its requests hear that it failed. */
static void
ldap_fail(struct ldap_user *u)
{
	struct ldap_waiters	 w;
	char			 domain[CONF_NAMELEN], local[JID_PARTMAX + 1];

	(void)strlcpy(domain, u->domain, sizeof(domain));
	(void)strlcpy(local, u->local, sizeof(local));
	TAILQ_INIT(&w);
	TAILQ_CONCAT(&w, &u->waiters, entry);
	ldap_user_free(u);
	ldap_answer(&w, domain, local, LDAP_USER_ERROR);
}

static void
ldap_timer_arm(void)
{
	struct ldap_user	*u;
	struct timeval		 tv;

	if ((u = TAILQ_FIRST(&ldap_flight)) == NULL ||
	    evtimer_pending(&ldap_timer, NULL))
		return;
	tv.tv_sec = u->sent + LDAP_WAIT_TIMEOUT - getmonotime();
	if (tv.tv_sec < 1)
		tv.tv_sec = 1;
	tv.tv_usec = 0;
	evtimer_add(&ldap_timer, &tv);
}

static void
ldap_timeout(int fd, short ev, void *arg)
{
	struct ldap_user	*u;
	time_t			 now = getmonotime();

	(void)fd;
	(void)ev;
	(void)arg;
	while ((u = TAILQ_FIRST(&ldap_flight)) != NULL &&
	    now - u->sent >= LDAP_WAIT_TIMEOUT) {
		log_warnx("ldapauthd did not answer about %s@%s", u->local,
		    u->domain);
		ldap_fail(u);
	}
	ldap_timer_arm();
}

/* Forget the oldest answers past the bound. */
static void
ldap_evict(void)
{
	struct ldap_user	*u;

	while (ldap_ncached > LDAP_CACHE_MAX &&
	    (u = TAILQ_FIRST(&ldap_lru)) != NULL)
		ldap_user_free(u);
}

static struct ldap_user *
ldap_ask(struct imsgev *iev, const char *domain, const char *local)
{
	struct ldap_user_req	 req;
	struct ldap_user	*u;

	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->domain = strdup(domain)) == NULL ||
	    (u->local = strdup(local)) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&u->waiters);
	u->inflight = 1;
	u->id = ++ldap_reqid;
	u->sent = getmonotime();
	RB_INSERT(ldap_users, &ldap_users, u);
	TAILQ_INSERT_TAIL(&ldap_flight, u, list);
	memset(&req, 0, sizeof(req));
	(void)strlcpy(req.domain, domain, sizeof(req.domain));
	(void)strlcpy(req.localpart, local, sizeof(req.localpart));
	imsgev_compose(iev, IMSG_LDAP_LOOKUP, u->id, 0, -1, &req, sizeof(req));
	ldap_timer_arm();
	return (u);
}

/*
 * Does the directory know local@domain (nodeprep'd, on an "auth ldap"
 * domain)?  cb gets LDAP_USER_EXISTS, _NONE or _ERROR, maybe before
 * this returns.  On EXISTS the store has been told to make the account
 * row before anything cb sends it.
 */
void
ldap_user_check(const char *domain, const char *local,
    void (*cb)(const char *, const char *, int, void *), void *arg)
{
	struct ldap_user	*u, key;
	struct ldap_waiter	*w;
	struct imsgev		*iev = NULL;
	char			 bare[CONF_JIDLEN];
	int			 online;

	if (local[0] == '\0' || strlen(local) > JID_PARTMAX ||
	    strlen(domain) >= CONF_NAMELEN) {
		cb(domain, local, LDAP_USER_NONE, arg);
		return;
	}
	/* A user logged in through ldapauthd exists, whatever was said. */
	(void)snprintf(bare, sizeof(bare), "%s@%s", local, domain);
	online = session_find_user(bare) != NULL;
	key.domain = (char *)domain;
	key.local = (char *)local;
	if ((u = RB_FIND(ldap_users, &ldap_users, &key)) != NULL &&
	    !u->inflight && (online || getmonotime() >= u->expires)) {
		ldap_user_free(u);
		u = NULL;
	}
	if (online) {
		ldap_ensure(domain, local);
		cb(domain, local, LDAP_USER_EXISTS, arg);
		return;
	}
	if (u != NULL && !u->inflight) {
		if (u->status == LDAP_USER_EXISTS)
			ldap_ensure(domain, local);
		cb(domain, local, u->status, arg);
		return;
	}
	if (ldap_nwaiting >= LDAP_WAIT_MAX ||
	    (u == NULL && (iev = ldap_peer()) == NULL)) {
		cb(domain, local, LDAP_USER_ERROR, arg);
		return;
	}
	if (u == NULL)
		u = ldap_ask(iev, domain, local);
	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("%s", __func__);
	w->cb = cb;
	w->arg = arg;
	w->hold = router_hold();
	TAILQ_INSERT_TAIL(&u->waiters, w, entry);
	ldap_nwaiting++;
}

static int
ldap_user_result(struct imsg *imsg)
{
	struct ldap_user_res	 res;
	struct ldap_user	*u, key;
	struct ldap_waiters	 w;

	if (imsg_get_data(imsg, &res, sizeof(res)) == -1 ||
	    res.status < LDAP_USER_EXISTS || res.status > LDAP_USER_ERROR)
		return (-1);
	res.req.domain[sizeof(res.req.domain) - 1] = '\0';
	res.req.localpart[sizeof(res.req.localpart) - 1] = '\0';
	key.domain = res.req.domain;
	key.local = res.req.localpart;
	if ((u = RB_FIND(ldap_users, &ldap_users, &key)) == NULL ||
	    !u->inflight || u->id != imsg_get_id(imsg))
		return (0);	/* given up on */
	TAILQ_INIT(&w);
	TAILQ_CONCAT(&w, &u->waiters, entry);
	if (res.status == LDAP_USER_ERROR)
		ldap_user_free(u);
	else {
		TAILQ_REMOVE(&ldap_flight, u, list);
		u->inflight = 0;
		u->status = res.status;
		u->expires = getmonotime() + (res.status == LDAP_USER_EXISTS ?
		    LDAP_TTL_EXISTS : LDAP_TTL_NONE);
		TAILQ_INSERT_TAIL(&ldap_lru, u, list);
		ldap_ncached++;
		ldap_evict();
	}
	ldap_answer(&w, res.req.domain, res.req.localpart, res.status);
	return (0);
}

/*
 * The shared roster group.  A list replaces the previous one of its
 * block only once complete; rosters learn what changed.
 */

/* The roster group of ldap block name when a domain uses it, or NULL. */
static const char *
ldap_group_name(const char *name)
{
	struct ldap_conf	*l;
	struct domain_conf	*d;

	if ((l = config_ldap(proc_self.conf, name)) == NULL ||
	    l->roster_group[0] == '\0')
		return (NULL);
	TAILQ_FOREACH(d, &proc_self.conf->domains, entry)
		if (d->auth == AUTH_LDAP && strcmp(d->ldap, name) == 0)
			return (l->roster_group);
	return (NULL);
}

const struct shared_group *
ldap_shared(const char *domain)
{
	struct domain_conf	*d;
	struct shared_group	*g;

	if ((d = ldap_domain(domain)) == NULL)
		return (NULL);
	TAILQ_FOREACH(g, &ldap_groups, entry)
		if (strcmp(g->ldap, d->ldap) == 0)
			return (g);
	return (NULL);
}

static int
ldap_member_cmp(const void *a, const void *b)
{
	const struct shared_member	*x = a, *y = b;

	return (strcmp(x->local, y->local));
}

const struct shared_member *
ldap_shared_member(const struct shared_group *g, const char *local)
{
	struct shared_member	 key;

	key.local = (char *)local;
	return (bsearch(&key, g->members, g->nmembers, sizeof(key),
	    ldap_member_cmp));
}

static void
ldap_members_free(struct shared_member *m, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(m[i].local);
		free(m[i].name);
	}
	free(m);
}

static void
ldap_group_free(struct shared_group *g)
{
	ldap_members_free(g->members, g->nmembers);
	free(g->ldap);
	free(g->group);
	free(g);
}

static void
ldap_in_reset(void)
{
	ldap_members_free(ldap_in.m, ldap_in.n);
	memset(&ldap_in, 0, sizeof(ldap_in));
}

/* Members that came, went or changed their name from a to b. */
static size_t
ldap_group_diff(const struct shared_group *a, const struct shared_group *b,
    struct shared_change **chp)
{
	struct shared_change	*ch;
	size_t			 i = 0, j = 0, n = 0, na, nb;
	int			 c;

	na = a != NULL ? a->nmembers : 0;
	nb = b != NULL ? b->nmembers : 0;
	if ((ch = calloc(na + nb + 1, sizeof(*ch))) == NULL)
		fatal("%s", __func__);
	while (i < na || j < nb) {
		if (i == na)
			c = 1;
		else if (j == nb)
			c = -1;
		else
			c = strcmp(a->members[i].local, b->members[j].local);
		if (c < 0)
			ch[n++].before = &a->members[i++];
		else if (c > 0)
			ch[n++].after = &b->members[j++];
		else {
			if (strcmp(a->members[i].name, b->members[j].name)) {
				ch[n].before = &a->members[i];
				ch[n++].after = &b->members[j];
			}
			i++;
			j++;
		}
	}
	*chp = ch;
	return (n);
}

/* The list of block name becomes ng (NULL: none); rosters follow. */
static void
ldap_group_replace(const char *name, struct shared_group *ng)
{
	struct shared_group	*og;
	struct shared_change	*ch;
	size_t			 n;
	char			 ldap[CONF_NAMELEN];

	TAILQ_FOREACH(og, &ldap_groups, entry)
		if (strcmp(og->ldap, name) == 0)
			break;
	if (og == NULL && ng == NULL)
		return;
	(void)strlcpy(ldap, name, sizeof(ldap));
	n = ldap_group_diff(og, ng, &ch);
	if (og != NULL && ng != NULL && n == 0) {
		free(ch);
		ldap_group_free(ng);
		return;
	}
	if (og != NULL)
		TAILQ_REMOVE(&ldap_groups, og, entry);
	if (ng != NULL) {
		/* Roster versions grow with each change of the group. */
		ng->gen = time(NULL);
		if (ng->gen <= ldap_lastgen)
			ng->gen = ldap_lastgen + 1;
		ldap_lastgen = ng->gen;
		TAILQ_INSERT_TAIL(&ldap_groups, ng, entry);
	}
	log_info("ldap \"%s\": roster group of %zu users, %zu changed", ldap,
	    ng != NULL ? ng->nmembers : 0, n);
	roster_group_changed(ldap, og, ng, ch, n);
	free(ch);
	if (og != NULL)
		ldap_group_free(og);
}

static int
ldap_group_begin(struct imsg *imsg)
{
	struct ldap_group	 g;
	const char		*name;

	if (imsg_get_data(imsg, &g, sizeof(g)) == -1)
		return (-1);
	g.ldap[sizeof(g.ldap) - 1] = '\0';
	g.group[sizeof(g.group) - 1] = '\0';
	if (ldap_in.open)
		log_warnx("ldap \"%s\": unfinished roster group list dropped",
		    ldap_in.ldap);
	ldap_in_reset();
	ldap_in.open = 1;
	(void)strlcpy(ldap_in.ldap, g.ldap, sizeof(ldap_in.ldap));
	(void)strlcpy(ldap_in.group, g.group, sizeof(ldap_in.group));
	/* A list of an older or newer configuration waits for its own. */
	name = ldap_group_name(g.ldap);
	ldap_in.ignore = name == NULL || strcmp(name, g.group) != 0 ||
	    !ldap_text_ok(g.group, strlen(g.group));
	return (0);
}

static int
ldap_group_member(struct imsg *imsg)
{
	struct ldap_member	 lm;
	struct shared_member	*m;
	char			 prep[sizeof(lm.localpart)];
	size_t			 n;

	if (!ldap_in.open || imsg_get_data(imsg, &lm, sizeof(lm)) == -1)
		return (-1);
	ldap_in.received++;
	if (ldap_in.ignore || ldap_in.n >= LDAP_GROUP_MAX)
		return (0);
	lm.localpart[sizeof(lm.localpart) - 1] = '\0';
	lm.name[sizeof(lm.name) - 1] = '\0';
	/* Sent nodeprep'd: checked, not trusted. */
	(void)strlcpy(prep, lm.localpart, sizeof(prep));
	if (lm.localpart[0] == '\0' || jid_prep_local(prep,
	    sizeof(prep)) == -1 || strcmp(prep, lm.localpart) != 0) {
		log_debug("%s: ldap \"%s\": bad user name skipped", __func__,
		    ldap_in.ldap);
		return (0);
	}
	if (!ldap_text_ok(lm.name, strlen(lm.name)))
		lm.name[0] = '\0';
	if (ldap_in.n == ldap_in.cap) {
		n = ldap_in.cap ? ldap_in.cap * 2 : 256;
		if ((m = reallocarray(ldap_in.m, n, sizeof(*m))) == NULL)
			fatal("%s", __func__);
		ldap_in.m = m;
		ldap_in.cap = n;
	}
	m = &ldap_in.m[ldap_in.n];
	if ((m->local = strdup(lm.localpart)) == NULL ||
	    (m->name = strdup(lm.name)) == NULL)
		fatal("%s", __func__);
	ldap_in.n++;
	return (0);
}

static int
ldap_group_end(struct imsg *imsg)
{
	struct ldap_group	 g;
	struct shared_group	*ng;
	size_t			 i, n;

	if (!ldap_in.open || imsg_get_data(imsg, &g, sizeof(g)) == -1)
		return (-1);
	g.ldap[sizeof(g.ldap) - 1] = '\0';
	if (strcmp(g.ldap, ldap_in.ldap) != 0)
		return (-1);
	if (!ldap_in.ignore && g.count != ldap_in.received)
		log_warnx("ldap \"%s\": roster group list of %u users ended "
		    "after %u, ignored", g.ldap, g.count, ldap_in.received);
	if (ldap_in.ignore || g.count != ldap_in.received) {
		ldap_in_reset();
		return (0);
	}
	if (ldap_in.received > LDAP_GROUP_MAX)
		log_warnx("ldap \"%s\": roster group cut to %d of %u users",
		    g.ldap, LDAP_GROUP_MAX, ldap_in.received);
	qsort(ldap_in.m, ldap_in.n, sizeof(*ldap_in.m), ldap_member_cmp);
	for (i = n = 0; i < ldap_in.n; i++) {
		if (n > 0 && strcmp(ldap_in.m[n - 1].local,
		    ldap_in.m[i].local) == 0) {
			free(ldap_in.m[i].local);
			free(ldap_in.m[i].name);
			continue;
		}
		ldap_in.m[n++] = ldap_in.m[i];
	}
	if ((ng = calloc(1, sizeof(*ng))) == NULL ||
	    (ng->ldap = strdup(ldap_in.ldap)) == NULL ||
	    (ng->group = strdup(ldap_in.group)) == NULL)
		fatal("%s", __func__);
	ng->members = ldap_in.m;
	ng->nmembers = n;
	ldap_in.m = NULL;
	ldap_in.n = 0;
	ldap_in_reset();
	ldap_group_replace(ng->ldap, ng);
	return (0);
}

int
ldap_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_LDAP_USER:
	case IMSG_LDAP_VCARD_RESULT:
	case IMSG_LDAP_GROUP_BEGIN:
	case IMSG_LDAP_GROUP_MEMBER:
	case IMSG_LDAP_GROUP_END:
		if (iev->type != PROC_LDAPAUTHD)
			return (-1);
		break;
	default:
		return (1);
	}
	switch (imsg_get_type(imsg)) {
	case IMSG_LDAP_USER:
		return (ldap_user_result(imsg));
	case IMSG_LDAP_VCARD_RESULT:
		return (vcard_result(imsg));
	case IMSG_LDAP_GROUP_BEGIN:
		return (ldap_group_begin(imsg));
	case IMSG_LDAP_GROUP_MEMBER:
		return (ldap_group_member(imsg));
	default:
		return (ldap_group_end(imsg));
	}
}

/*
 * ldapauthd is gone: its questions fail and a list it was sending is
 * dropped.  The groups stay as the directory last said; a restarted
 * ldapauthd sends them again.
 */
void
ldap_peer_down(void)
{
	struct ldap_user	*u;

	ldap_going = 1;
	while ((u = TAILQ_FIRST(&ldap_flight)) != NULL)
		ldap_fail(u);
	vcard_ldap_down();
	ldap_in_reset();
	ldap_going = 0;
}

/* A new configuration: answers asked under the old one are forgotten. */
void
ldap_config_commit(void)
{
	struct shared_group	*g, *next;
	struct ldap_user	*u;
	const char		*name;

	while ((u = TAILQ_FIRST(&ldap_lru)) != NULL)
		ldap_user_free(u);
	for (g = TAILQ_FIRST(&ldap_groups); g != NULL; g = next) {
		next = TAILQ_NEXT(g, entry);
		if ((name = ldap_group_name(g->ldap)) == NULL ||
		    strcmp(name, g->group) != 0)
			ldap_group_replace(g->ldap, NULL);
	}
	if (ldap_in.open && ((name = ldap_group_name(ldap_in.ldap)) ==
	    NULL || strcmp(name, ldap_in.group) != 0))
		ldap_in.ignore = 1;
}

void
ldap_init(void)
{
	evtimer_set(&ldap_timer, ldap_timeout, NULL);
	vcard_init();
}
