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
 * Message archives (XEP-0313) with stanza ids (XEP-0359).  A message
 * between two accounts of ours goes to the store, which keeps each
 * party's copy as that party's preferences say and names the
 * recipient's copy; the message is then delivered stamped with that
 * name, in the order it came.  Queries and preferences are answered
 * from the store.  The preferences of users online are cached here, so
 * that a message neither party keeps is routed at once.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "router_mam.h"
#include "stanza.h"
#include "xml.h"

#ifndef REGRESS
#define MAM_WAITING_MAX		10000	/* messages waiting for the store */
#else
#define MAM_WAITING_MAX		50	/* so that a test can fill it */
#endif
#define MAM_REQS_MAX		1024	/* queries waiting for the store */
#define MAM_REQS_SESSION	4	/* of them, from one session */
#define MAM_CACHE_RETRY		5	/* seconds before asking again */

/* A message to an account of ours, waiting for its turn. */
struct mam_msg {
	TAILQ_ENTRY(mam_msg)	 entry;
	uint32_t		 reqid;		/* 0: only keeps its place */
	int			 done;
	int			 stream;	/* the sender's session */
	uint32_t		 session;
	char			*sender;	/* bare */
	char			*rcpt;		/* bare */
	struct stanza_msg	 m;
	struct xml_node		*n;		/* NULL: send m as it is */
	char			 id[MAM_ID_LEN];
	uint32_t		 hold;		/* router_order.c */
};

/*
 * An online user's preferences as the store last said.  While a load
 * or a change is in flight (reqid not 0), or when the store could not
 * say, the store decides each message; a directory user's account may
 * not be there yet at login, so a failed load is tried again later.
 */
struct mam_cache {
	uint32_t		 reqid;
	time_t			 asked;
	int			 known;
	int			 custom;	/* 0: the domain's default */
	int			 dflt;
	char			*always;	/* bare JIDs, '\n' between */
	char			*never;
};

static TAILQ_HEAD(, mam_msg)	 mam_msgs = TAILQ_HEAD_INITIALIZER(mam_msgs);
static TAILQ_HEAD(, mam_req)	 mam_reqs = TAILQ_HEAD_INITIALIZER(mam_reqs);
static int			 mam_nmsgs, mam_nreqs;
static uint32_t			 mam_next_id;

static void	mam_cache_load(struct user *);

static uint32_t
mam_reqid(void)
{
	if (++mam_next_id == 0)
		mam_next_id = 1;
	return (mam_next_id);
}

void
mam_send(struct session *s, struct xml_node *n)
{
	struct imsgev	*iev;

	if (n != NULL && (iev = proc_peer(PROC_STREAM, s->stream)) != NULL)
		(void)stanza_send(iev, s->id, s->id, n, NS_CLIENT);
}

/*
 * A stanza-id claiming to be by one of our JIDs was not stamped by us:
 * gone (XEP-0359 section 5).  Returns how many were removed.
 */
int
mam_strip(struct xml_node *n)
{
	struct xml_node	*c, *next;
	struct jid	 j;
	const char	*by;
	int		 stripped = 0;

	for (c = TAILQ_FIRST(&n->children); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->name == NULL || !xml_is(c, NS_SID, "stanza-id"))
			continue;
		if ((by = xml_get_attr(c, "by")) != NULL &&
		    jid_parse(by, &j) == 0 &&
		    config_domain(proc_self.conf, j.domain) == NULL)
			continue;
		xml_unlink(c);
		xml_node_free(c);
		stripped++;
	}
	return (stripped);
}

/*
 * Does u keep a message with 'with' (a bare JID), as far as the router
 * knows?  -1: the store must say (not loaded, changing, or the roster
 * policy, which needs the stored roster).
 */
static int
mam_cache_keeps(struct user *u, const char *with)
{
	struct mam_cache	*c;
	struct domain_conf	*d;
	int			 dflt;

	if (u == NULL || (c = u->mam) == NULL || c->reqid != 0)
		return (-1);
	if (!c->known) {
		if (time(NULL) - c->asked >= MAM_CACHE_RETRY)
			mam_cache_load(u);
		return (-1);
	}
	if (jid_list_has(c->never, with))
		return (0);
	if (jid_list_has(c->always, with))
		return (1);
	if (c->custom)
		dflt = c->dflt;
	else
		dflt = (d = config_domain(proc_self.conf, u->domain)) != NULL ?
		    d->archive_default : ARCHIVE_NEVER;
	if (dflt == ARCHIVE_ROSTER)
		return (-1);
	return (dflt == ARCHIVE_ALWAYS);
}

/*
 * Neither the sender nor the recipient (online, or NULL) keeps it.  A
 * sender of a domain not ours (a component, a remote server's user)
 * keeps nothing here, as the store says too (mam_keeps in store_mam.c).
 */
static int
mam_nobody_keeps(struct session *from, struct user *to, const char *rcpt)
{
	if (to == NULL)
		return (0);
	if (to != from->user &&
	    config_domain(proc_self.conf, from->user->domain) != NULL &&
	    mam_cache_keeps(from->user, rcpt) != 0)
		return (0);
	return (mam_cache_keeps(to, from->user->bare) == 0);
}

static void
mam_cache_clear(struct mam_cache *c)
{
	free(c->always);
	free(c->never);
	c->always = c->never = NULL;
	c->known = 0;
}

/* A load or change this cache waits for came back: p and its lists. */
static void
mam_cache_update(uint32_t reqid, const struct mam_prefs *p,
    const char *lists, size_t len)
{
	struct user		*u;
	struct mam_cache	*c;
	char			 bare[CONF_JIDLEN];

	(void)snprintf(bare, sizeof(bare), "%.*s@%.*s",
	    (int)strnlen(p->owner.localpart, sizeof(p->owner.localpart)),
	    p->owner.localpart,
	    (int)strnlen(p->owner.domain, sizeof(p->owner.domain)),
	    p->owner.domain);
	if ((u = session_find_user(bare)) == NULL || (c = u->mam) == NULL ||
	    c->reqid != reqid)
		return;
	c->reqid = 0;
	mam_cache_clear(c);
	if (p->status != MAM_OK || p->dflt < ARCHIVE_ALWAYS ||
	    p->dflt > ARCHIVE_NEVER || len != (size_t)p->alwayslen +
	    p->neverlen)
		return;
	if ((c->always = strndup(lists, p->alwayslen)) == NULL ||
	    (c->never = strndup(lists + p->alwayslen, p->neverlen)) == NULL)
		fatal("%s", __func__);
	c->custom = p->custom;
	c->dflt = p->dflt;
	c->known = 1;
}

static void
mam_cache_load(struct user *u)
{
	struct mam_prefs p;
	struct imsgev	*store;

	u->mam->asked = time(NULL);
	if ((store = proc_peer(PROC_STORE, 0)) == NULL)
		return;
	memset(&p, 0, sizeof(p));
	(void)strlcpy(p.owner.domain, u->domain, sizeof(p.owner.domain));
	(void)strlcpy(p.owner.localpart, u->local,
	    sizeof(p.owner.localpart));
	u->mam->reqid = mam_reqid();
	imsgev_compose(store, IMSG_MAM_PREFS, u->mam->reqid, 0, -1, &p,
	    sizeof(p));
}

/* A user's first session bound: its preferences come from the store. */
void
mam_session_new(struct session *s)
{
	struct user	*u = s->user;

	if (u->mam != NULL)
		return;
	if ((u->mam = calloc(1, sizeof(*u->mam))) == NULL)
		fatal("%s", __func__);
	mam_cache_load(u);
}

static void
mam_session_end(struct session *s)
{
	struct user	*u = s->user;

	if (u->nsessions > 1 || u->mam == NULL)
		return;
	mam_cache_clear(u->mam);
	free(u->mam);
	u->mam = NULL;
}

const struct router_hooks mam_hooks = {
	mam_session_end, NULL, NULL
};

/* Is a message to rcpt waiting?  Later ones wait behind it. */
static int
mam_waiting(const char *rcpt)
{
	struct mam_msg	*e;

	TAILQ_FOREACH(e, &mam_msgs, entry)
		if (strcmp(e->rcpt, rcpt) == 0)
			return (1);
	return (0);
}

static struct mam_msg *
mam_msg_new(struct session *from, struct stanza_msg *m, const char *rcpt)
{
	struct mam_msg	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->sender = strdup(from->user->bare)) == NULL ||
	    (e->rcpt = strdup(rcpt)) == NULL)
		fatal("%s", __func__);
	e->stream = from->stream;
	e->session = from->id;
	/* A copy: the caller clears m.  No 'to' was the sender's own. */
	e->m = *m;
	if ((e->m.type = strdup(m->type)) == NULL ||
	    (e->m.id = strdup(m->id)) == NULL ||
	    (e->m.to = strdup(m->to[0] != '\0' ? m->to : rcpt)) == NULL ||
	    (e->m.from = strdup(m->from)) == NULL ||
	    (e->m.xml = strdup(m->xml)) == NULL)
		fatal("%s", __func__);
	e->hold = router_hold();
	TAILQ_INSERT_TAIL(&mam_msgs, e, entry);
	mam_nmsgs++;
	return (e);
}

static void
mam_msg_free(struct mam_msg *e)
{
	TAILQ_REMOVE(&mam_msgs, e, entry);
	mam_nmsgs--;
	router_release(e->hold);
	stanza_msg_clear(&e->m);
	xml_node_free(e->n);
	free(e->sender);
	free(e->rcpt);
	free(e);
}

/* Replace a message's XML with the tree's. */
static int
mam_msg_xml(struct stanza_msg *m, const struct xml_node *n)
{
	struct xml_buf	 b;

	xml_buf_init(&b, 0);
	if (xml_serialize(n, NS_CLIENT, &b) == -1 ||
	    xml_buf_add(&b, "", 1) == -1) {
		xml_buf_free(&b);
		return (-1);
	}
	free(m->xml);
	m->xml = b.data;
	m->xmllen = b.len - 1;
	return (0);
}

/*
 * Route a message whose turn came.  Its sender's session may have gone
 * meanwhile (the hold on it expired while the store stalled): the
 * message still goes, wherever one from a live session would, and what
 * it earns goes to that full JID as to any other (RFC 6121 section
 * 8.5: an error for a resource no longer there goes nowhere; a session
 * that waits to be resumed keeps it).  A component is no session: it
 * is found by its connection.
 */
static void
mam_msg_route(struct mam_msg *e)
{
	struct session	*from, fs;
	struct user	 fu;
	struct jid	 j;

	if (((from = session_find_id(e->stream, e->session)) != NULL &&
	    strcmp(from->full, e->m.from) == 0) ||
	    (from = session_find_full(e->m.from)) != NULL) {
		router_route(from, &e->m, NULL);
		return;
	}
	/* A component's JID has no localpart, or no '@' at all. */
	if (jid_parse(e->m.from, &j) == -1)
		return;
	memset(&fs, 0, sizeof(fs));
	memset(&fu, 0, sizeof(fu));
	TAILQ_INIT(&fu.sessions);
	fu.bare = e->sender;
	fu.local = j.local;
	fu.domain = j.domain;
	fs.user = &fu;
	/*
	 * A user of ours is still one (stream -1 would make it a remote
	 * sender, which the router relays nowhere), and a component still
	 * hears what its message earns.
	 */
	fs.stream = component_at(e->stream, e->session) != NULL ||
	    config_domain(proc_self.conf, j.domain) != NULL ? e->stream : -1;
	fs.id = e->session;
	fs.full = e->m.from;
	fs.resource = j.resource;
	router_route(&fs, &e->m, NULL);
}

/* Deliver, in order, what no longer waits for the store. */
static void
mam_flush(void)
{
	struct mam_msg	*e;
	struct xml_node	*sid;
	struct session	*from;
	void		*ctx;

	while ((e = TAILQ_FIRST(&mam_msgs)) != NULL &&
	    (e->reqid == 0 || e->done)) {
		if (e->n != NULL) {
			/* XEP-0359 section 4: the recipient's archive id. */
			if (e->id[0] != '\0' && (sid = xml_add_child(e->n,
			    NS_SID, "stanza-id")) != NULL) {
				xml_set_attr(sid, "id", e->id);
				xml_set_attr(sid, "by", e->rcpt);
			}
			if (mam_msg_xml(&e->m, e->n) == -1) {
				if ((from = session_find_id(e->stream,
				    e->session)) != NULL)
					router_refuse(from, &e->m, "mam");
				mam_msg_free(e);
				continue;
			}
		}
		ctx = router_enter(e->hold);
		mam_msg_route(e);
		router_leave(e->hold, ctx);
		mam_msg_free(e);
	}
}

static void
mam_owner(struct mam_owner *o, const struct jid *j)
{
	(void)strlcpy(o->domain, j->domain, sizeof(o->domain));
	(void)strlcpy(o->localpart, j->local, sizeof(o->localpart));
}

static int
mam_store(struct mam_msg *e, struct session *from, const struct jid *rj)
{
	struct mam_archive	 a;
	struct iovec		 iov[2];
	struct imsgev		*store;
	struct jid		 sj;
	struct timespec		 ts;
	struct xml_buf		 b;
	int			 rv;

	if ((store = proc_peer(PROC_STORE, 0)) == NULL ||
	    jid_parse(from->full, &sj) == -1)
		return (-1);
	memset(&a, 0, sizeof(a));
	mam_owner(&a.sender, &sj);
	mam_owner(&a.rcpt, rj);
	(void)strlcpy(a.sender_res, sj.resource, sizeof(a.sender_res));
	(void)strlcpy(a.rcpt_res, rj->resource, sizeof(a.rcpt_res));
	clock_gettime(CLOCK_REALTIME, &ts);
	a.stamp = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	xml_buf_init(&b, 0);
	if (xml_serialize(e->n, NS_CLIENT, &b) == -1) {
		xml_buf_free(&b);
		return (-1);
	}
	e->reqid = mam_reqid();
	iov[0].iov_base = &a;
	iov[0].iov_len = sizeof(a);
	iov[1].iov_base = b.data;
	iov[1].iov_len = b.len;
	rv = imsgev_composev(store, IMSG_MAM_ARCHIVE, e->reqid, 0, -1, iov,
	    2);
	xml_buf_free(&b);
	return (rv == -1 ? -1 : 0);
}

/*
 * The store stalls and 2 * MAM_WAITING_MAX messages wait for it: order
 * and the archive give way before memory does, as they already do past
 * MAM_WAITING_MAX, and the message goes now, unarchived.  Refusing it
 * would stop every chat between our users while the archive is slow;
 * what never gives way is the stanza-id check, so one that claims to be
 * ours goes without it.  Returns as mam_message().
 */
static int
mam_overloaded(struct session *from, struct stanza_msg *m, int sid)
{
	struct xml_node	*n;
	int		 rv = 0;

	if (!sid)
		return (-1);
	if ((n = router_parse(m->xml, m->xmllen, NS_CLIENT)) == NULL) {
		router_refuse(from, m, "mam");
		return (0);
	}
	if (mam_strip(n) == 0)
		rv = -1;
	else if (mam_msg_xml(m, n) == -1)
		router_refuse(from, m, "mam");
	else
		router_route(from, m, NULL);
	xml_node_free(n);
	return (rv);
}

/*
 * A message from a session: returns 0 when taken (it will be routed
 * once the store has archived it, or once those before it to the same
 * recipient went, or it was refused), -1 to route it now as it is.  One
 * that may carry a stanza-id and cannot be read is refused.
 */
int
mam_message(struct session *from, struct stanza_msg *m)
{
	struct mam_msg	*e;
	struct session	*ts;
	struct user	*tu;
	struct jid	 rj;
	struct xml_node	*n;
	char		 rcpt[CONF_JIDLEN];
	const char	*to = m->to[0] != '\0' ? m->to : from->user->bare;
	int		 candidate, sid, keep, stripped, remote = 0;

	/*
	 * To another server's user: only the sender, one of ours, may
	 * keep it; the store finds no account for the other end.
	 */
	if (router_local_jid(to, &ts, &tu) < 1) {
		if (!s2s_remote_jid(to) || config_domain(proc_self.conf,
		    from->user->domain) == NULL)
			return (-1);
		remote = 1;
	}
	if (jid_parse(to, &rj) == -1)
		return (-1);
	(void)jid_bare(&rj, rcpt, sizeof(rcpt));
	candidate = strcmp(m->type, "chat") == 0 ||
	    strcmp(m->type, "normal") == 0 || m->type[0] == '\0';
	sid = memmem(m->xml, m->xmllen, NS_SID, strlen(NS_SID)) != NULL;
	if (!candidate && !sid) {
		if (mam_nmsgs >= 2 * MAM_WAITING_MAX || !mam_waiting(rcpt))
			return (-1);
		(void)mam_msg_new(from, m, rcpt);
		return (0);
	}
	/* Nobody keeps it, and nothing to strip: no need to look inside. */
	if (!sid && (remote ? mam_cache_keeps(from->user, rcpt) == 0 :
	    mam_nobody_keeps(from, tu, rcpt)) && !mam_waiting(rcpt))
		return (-1);
	if (mam_nmsgs >= 2 * MAM_WAITING_MAX)
		return (mam_overloaded(from, m, sid));
	if ((n = router_parse(m->xml, m->xmllen, NS_CLIENT)) == NULL) {
		router_refuse(from, m, "mam");
		return (0);
	}
	stripped = mam_strip(n);
	keep = candidate && mam_archivable(n) &&
	    mam_nmsgs < MAM_WAITING_MAX && proc_peer(PROC_STORE, 0) != NULL;
	if (!keep && !stripped && !mam_waiting(rcpt)) {
		xml_node_free(n);
		return (-1);
	}
	e = mam_msg_new(from, m, rcpt);
	e->n = n;
	if (keep && mam_store(e, from, &rj) == -1)
		e->reqid = 0;
	mam_flush();
	return (0);
}

/* The store kept the copies it could. */
static void
mam_archived(uint32_t reqid, struct mam_archive *a)
{
	struct mam_msg	*e;

	TAILQ_FOREACH(e, &mam_msgs, entry)
		if (e->reqid == reqid)
			break;
	if (e == NULL)
		return;
	e->done = 1;
	a->rcpt_id[sizeof(a->rcpt_id) - 1] = '\0';
	if (a->rcpt_kept)
		(void)strlcpy(e->id, a->rcpt_id, sizeof(e->id));
	mam_flush();
}

struct mam_req *
mam_req_new(struct session *s, struct xml_node *iq, const char *queryid)
{
	struct mam_req	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->iq = xml_node_clone(iq)) == NULL ||
	    (queryid != NULL && (r->queryid = strdup(queryid)) == NULL))
		fatal("%s", __func__);
	r->reqid = mam_reqid();
	r->stream = s->stream;
	r->session = s->id;
	r->hold = router_hold();
	TAILQ_INSERT_TAIL(&mam_reqs, r, entry);
	mam_nreqs++;
	return (r);
}

void
mam_req_free(struct mam_req *r)
{
	TAILQ_REMOVE(&mam_reqs, r, entry);
	mam_nreqs--;
	router_release(r->hold);
	xml_node_free(r->iq);
	free(r->queryid);
	free(r);
}

/* Too many requests in flight, from all or from this session? */
int
mam_busy(struct session *s)
{
	struct mam_req	*r;
	int		 n = 0;

	if (mam_nreqs >= MAM_REQS_MAX || proc_peer(PROC_STORE, 0) == NULL)
		return (1);
	TAILQ_FOREACH(r, &mam_reqs, entry)
		if (r->stream == s->stream && r->session == s->id)
			n++;
	return (n >= MAM_REQS_SESSION);
}

void
mam_owner_of(struct mam_owner *o, struct session *s)
{
	(void)strlcpy(o->domain, s->user->domain, sizeof(o->domain));
	(void)strlcpy(o->localpart, s->user->local, sizeof(o->localpart));
}

static struct xml_node *
mam_query_iq(struct session *s, struct xml_node *iq, struct xml_node *query)
{
	struct mam_query	*q;
	struct mam_req		*r;
	struct imsgev		*store;
	const char		*type, *cond;

	if (mam_busy(s))
		return (router_error(iq, "wait", "resource-constraint"));
	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("%s", __func__);
	mam_owner_of(&q->owner, s);
	if (mam_query_parse(query, q, &type, &cond) == -1) {
		free(q);
		return (router_error(iq, type, cond));
	}
	r = mam_req_new(s, iq, xml_get_attr(query, "queryid"));
	store = proc_peer(PROC_STORE, 0);
	imsgev_compose(store, IMSG_MAM_QUERY, r->reqid, 0, -1, q, sizeof(*q));
	free(q);
	return (NULL);
}

/* The fields a query may use (section 4.1.5). */
static struct xml_node *
mam_fields(struct xml_node *iq)
{
	struct xml_node	*r, *q;

	if ((r = router_iq_result(iq)) == NULL)
		return (NULL);
	if ((q = xml_add_child(r, NS_MAM, "query")) == NULL ||
	    mam_form_fields(q) == -1) {
		xml_node_free(r);
		return (NULL);
	}
	return (r);
}

static const char *mam_policies[] = {
	[ARCHIVE_ALWAYS] = "always",
	[ARCHIVE_ROSTER] = "roster",
	[ARCHIVE_NEVER] = "never",
};

/* The JIDs of <always/> or <never/>, '\n' between, into b. */
static int
mam_prefs_list(const struct xml_node *l, struct xml_buf *b)
{
	struct xml_node	*c;
	struct jid	 j;
	char		*v, bare[CONF_JIDLEN];
	int		 n = 0;

	if (l == NULL)
		return (0);
	TAILQ_FOREACH(c, &l->children, entry) {
		if (c->name == NULL)
			continue;
		if (!xml_is(c, NS_MAM, "jid") || ++n > MAM_PREFS_JIDS ||
		    (v = xml_text(c)) == NULL)
			return (-1);
		if (jid_parse(v, &j) == -1) {
			free(v);
			return (-1);
		}
		free(v);
		(void)jid_bare(&j, bare, sizeof(bare));
		if ((b->len > 0 && xml_buf_add(b, "\n", 1) == -1) ||
		    xml_buf_addstr(b, bare) == -1)
			return (-1);
	}
	return (0);
}

/* Preferences (XEP-0313 section 6): get, or set and get. */
static struct xml_node *
mam_prefs_iq(struct session *s, struct xml_node *iq, struct xml_node *prefs)
{
	struct mam_prefs	 p;
	struct mam_req		*r;
	struct xml_buf		 always, never;
	struct iovec		 iov[3];
	const char		*d = xml_get_attr(prefs, "default");
	size_t			 i;

	if (mam_busy(s))
		return (router_error(iq, "wait", "resource-constraint"));
	memset(&p, 0, sizeof(p));
	mam_owner_of(&p.owner, s);
	xml_buf_init(&always, 0);
	xml_buf_init(&never, 0);
	if (strcmp(xml_get_attr(iq, "type"), "set") == 0) {
		p.set = 1;
		for (i = 0; d != NULL && i < nitems(mam_policies); i++)
			if (strcmp(d, mam_policies[i]) == 0)
				break;
		if (d == NULL || i == nitems(mam_policies) ||
		    mam_prefs_list(xml_find_child(prefs, NS_MAM, "always"),
		    &always) == -1 ||
		    mam_prefs_list(xml_find_child(prefs, NS_MAM, "never"),
		    &never) == -1) {
			xml_buf_free(&always);
			xml_buf_free(&never);
			return (router_error(iq, "modify", "bad-request"));
		}
		p.dflt = i;
	}
	r = mam_req_new(s, iq, NULL);
	/* Messages go by the store until the change is known here. */
	if (p.set && s->user->mam != NULL)
		s->user->mam->reqid = r->reqid;
	p.alwayslen = always.len;
	p.neverlen = never.len;
	iov[0].iov_base = &p;
	iov[0].iov_len = sizeof(p);
	iov[1].iov_base = always.data;
	iov[1].iov_len = always.len;
	iov[2].iov_base = never.data;
	iov[2].iov_len = never.len;
	imsgev_composev(proc_peer(PROC_STORE, 0), IMSG_MAM_PREFS, r->reqid, 0,
	    -1, iov, 3);
	xml_buf_free(&always);
	xml_buf_free(&never);
	return (NULL);
}

/*
 * One's own archive only: another account's is forbidden, the server
 * keeps none of its own.  -1 with the answer in *err for any other.
 */
int
mam_own(struct session *s, struct xml_node *iq, struct xml_node **err)
{
	switch (router_iq_to(s, iq)) {
	case IQ_ACCOUNT:
		*err = router_error(iq, "auth", "forbidden");
		return (-1);
	case IQ_SERVER:
		*err = router_error(iq, "cancel", "service-unavailable");
		return (-1);
	}
	return (0);
}

static struct xml_node *
mam_handle(struct session *s, struct xml_node *iq, struct xml_node *q)
{
	struct xml_node	*err;
	const char	*type = xml_get_attr(iq, "type");

	if (mam_own(s, iq, &err) == -1)
		return (err);
	if (xml_is(q, NS_MAM, "prefs"))
		return (mam_prefs_iq(s, iq, q));
	if (!xml_is(q, NS_MAM, "query"))
		return (router_error(iq, "cancel", "service-unavailable"));
	if (strcmp(type, "get") == 0)
		return (mam_fields(iq));
	return (mam_query_iq(s, iq, q));
}

struct mam_req *
mam_req_find(uint32_t reqid, struct session **s)
{
	struct mam_req	*r;

	TAILQ_FOREACH(r, &mam_reqs, entry)
		if (r->reqid == reqid) {
			*s = session_find_id(r->stream, r->session);
			return (r);
		}
	return (NULL);
}

static void
mam_result(struct mam_req *r, struct session *s, struct mam_row *row,
    const char *xml, size_t len)
{
	struct xml_node	*inner, *m;

	row->id[sizeof(row->id) - 1] = '\0';
	if ((inner = router_parse(xml, len, NS_CLIENT)) == NULL) {
		log_warnx("mam: cannot read archived message %s of %s",
		    row->id, s->user->bare);
		return;
	}
	if ((m = mam_result_new(s->full, s->user->bare, r->queryid, row->id,
	    row->stamp, inner)) == NULL)
		return;
	mam_send(s, m);
	xml_node_free(m);
}

/* The iq result: XEP-0313 section 4.3 with its RSM set. */
static void
mam_fin(struct mam_req *r, struct session *s, struct mam_fin *f)
{
	struct xml_node	*iq;

	f->first[sizeof(f->first) - 1] = '\0';
	f->last[sizeof(f->last) - 1] = '\0';
	if (f->status == MAM_ITEM_NOT_FOUND)
		iq = router_error(r->iq, "cancel", "item-not-found");
	else if (f->status != MAM_OK)
		iq = router_error(r->iq, "wait", "internal-server-error");
	else if ((iq = router_iq_result(r->iq)) != NULL &&
	    mam_fin_add(iq, f) == -1) {
		xml_node_free(iq);
		return;
	}
	mam_send(s, iq);
	xml_node_free(iq);
}

static void
mam_prefs_result(struct mam_req *r, struct session *s, struct mam_prefs *p,
    struct ibuf *ib)
{
	struct xml_node	*iq, *prefs, *l, *c;
	char		*list, *jid, *next;
	uint32_t	 len;
	int		 k;

	if (p->status != MAM_OK || p->dflt < ARCHIVE_ALWAYS ||
	    p->dflt > ARCHIVE_NEVER ||
	    ibuf_size(ib) != (size_t)p->alwayslen + p->neverlen) {
		iq = router_error(r->iq, "wait", "internal-server-error");
		mam_send(s, iq);
		xml_node_free(iq);
		return;
	}
	if ((iq = router_iq_result(r->iq)) == NULL ||
	    (prefs = xml_add_child(iq, NS_MAM, "prefs")) == NULL ||
	    xml_set_attr(prefs, "default", mam_policies[p->dflt]) == -1)
		goto done;
	for (k = 0; k < 2; k++) {
		len = k == 0 ? p->alwayslen : p->neverlen;
		if ((l = xml_add_child(prefs, NULL, k == 0 ? "always" :
		    "never")) == NULL || (list = calloc(1, len + 1)) == NULL)
			goto done;
		if (ibuf_get(ib, list, len) == -1) {
			free(list);
			goto done;
		}
		for (jid = list; *jid != '\0'; jid = next) {
			next = jid + strcspn(jid, "\n");
			if (*next == '\n')
				*next++ = '\0';
			if ((c = xml_add_child(l, NULL, "jid")) != NULL)
				(void)xml_add_text(c, jid, strlen(jid));
		}
		free(list);
	}
	mam_send(s, iq);
 done:
	xml_node_free(iq);
}

int
mam_dispatch_router(struct imsgev *iev, struct imsg *imsg)
{
	struct mam_archive	 a;
	struct mam_row		 row;
	struct mam_fin		 fin;
	struct mam_prefs	 p;
	struct mam_req		*r;
	struct session		*s = NULL;
	struct ibuf		 ib;
	uint32_t		 id = imsg_get_id(imsg);

	switch (imsg_get_type(imsg)) {
	case IMSG_MAM_ARCHIVED:
	case IMSG_MAM_RESULT:
	case IMSG_MAM_FIN:
	case IMSG_MAM_PREFS_RESULT:
		break;
	default:
		return (1);
	}
	if (iev->type != PROC_STORE || imsg_get_ibuf(imsg, &ib) == -1)
		return (-1);
	if (imsg_get_type(imsg) == IMSG_MAM_ARCHIVED) {
		if (ibuf_get(&ib, &a, sizeof(a)) == -1)
			return (-1);
		mam_archived(id, &a);
		return (0);
	}
	if (imsg_get_type(imsg) == IMSG_MAM_PREFS_RESULT) {
		if (ibuf_size(&ib) < sizeof(p))
			return (-1);
		memcpy(&p, ibuf_data(&ib), sizeof(p));
		mam_cache_update(id, &p, (char *)ibuf_data(&ib) + sizeof(p),
		    ibuf_size(&ib) - sizeof(p));
	}
	if ((r = mam_req_find(id, &s)) == NULL)
		return (0);
	switch (imsg_get_type(imsg)) {
	case IMSG_MAM_RESULT:
		if (ibuf_get(&ib, &row, sizeof(row)) == -1)
			return (-1);
		if (s != NULL)
			mam_result(r, s, &row, ibuf_data(&ib), ibuf_size(&ib));
		return (0);
	case IMSG_MAM_FIN:
		if (ibuf_get(&ib, &fin, sizeof(fin)) == -1)
			return (-1);
		if (s != NULL)
			mam_fin(r, s, &fin);
		mam_req_free(r);
		return (0);
	case IMSG_MAM_PREFS_RESULT:
		if (ibuf_get(&ib, &p, sizeof(p)) == -1)
			return (-1);
		if (s != NULL)
			mam_prefs_result(r, s, &p, &ib);
		mam_req_free(r);
		return (0);
	}
	return (1);
}

/* The account's own disco#info: its archive (section 8). */
int
mam_disco_account(struct xml_node *q)
{
	struct xml_node	*f;

	if ((f = xml_add_child(q, NULL, "feature")) == NULL ||
	    xml_set_attr(f, "var", NS_MAM) == -1 ||
	    (f = xml_add_child(q, NULL, "feature")) == NULL ||
	    xml_set_attr(f, "var", NS_MAM_EXT) == -1)
		return (-1);
	return (0);
}

const struct iq_feature mam_feature = { NS_MAM, "query", mam_handle };
const struct iq_feature mam_prefs_feature = { NS_MAM, "prefs", mam_handle };
/* Only announced: no query comes in this namespace. */
const struct iq_feature mam_ext_feature = { NS_MAM_EXT, "query",
    mam_handle };
