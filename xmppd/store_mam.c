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
 * Message archives in the store (XEP-0313): each party's copy kept by
 * its own preferences, pages answered to the router, and rows past the
 * domain's "archive expire" deleted in small chunks, hourly and on
 * xmppctl's demand, so that the store never stalls on a big delete.
 */

#include <sys/types.h>
#include <sys/param.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "mam.h"
#include "proc.h"
#include "store.h"

/*
 * An expiry deletes in chunks sized so that one takes about
 * MAM_EXPIRE_SLICE: a message that arrives meanwhile waits no longer.
 * The size follows what the last chunk took: halved when it took
 * longer, doubled when it took less than half.
 */
#define MAM_EXPIRE_SLICE	5000		/* microseconds */
#define MAM_EXPIRE_MIN		16		/* rows per delete */
#define MAM_EXPIRE_MAX		4096
#define MAM_EXPIRE_FIRST	256
#define MAM_EXPIRE_EVERY	3600		/* seconds */
#define MAM_EXPIRE_JOBS		16

/*
 * An expiry: one domain, or all; for xmppctl when iev is set.  With
 * done set, every row of a domain no configuration names (an import's
 * staging), whatever its age, then done called with what was deleted
 * or -1.
 */
struct mam_expire {
	TAILQ_ENTRY(mam_expire)	 entry;
	char			 domain[CONF_NAMELEN];	/* "": all */
	char			 current[CONF_NAMELEN];	/* being deleted */
	int64_t			 from;		/* its next chunk's first stamp */
	int64_t			 age;		/* seconds; -1: configured */
	int64_t			 deleted;
	struct imsgev		*iev;
	uint32_t		 peerid;
	void			(*done)(int64_t, void *);
	void			*arg;
};

static TAILQ_HEAD(, mam_expire)	 mam_expires =
    TAILQ_HEAD_INITIALIZER(mam_expires);
static int			 mam_nexpires;
static int			 mam_expire_chunk = MAM_EXPIRE_FIRST;
static struct event		 mam_expire_ev, mam_hourly_ev;

/*
 * The account's default and lists, returning 1; the domain's default
 * without any, returning 0.
 */
static int
mam_prefs_load(const char *domain, const char *local, int *dflt,
    char **always, char **never)
{
	struct domain_conf	*d;

	if (store_be->mam->prefs_get(domain, local, dflt, always,
	    never) == 1)
		return (1);
	d = config_domain(proc_self.conf, domain);
	*dflt = d != NULL ? d->archive_default : ARCHIVE_NEVER;
	if ((*always = strdup("")) == NULL || (*never = strdup("")) == NULL)
		fatal("%s", __func__);
	return (0);
}

/*
 * Archived messages are written together: those that come in one pass
 * of the event loop (at most MAM_BATCH, or MAM_BATCH_BYTES of XML) wait
 * for its end; then their owners' accounts and preferences are read
 * and their rows written, each in one go (backends that cannot, one by
 * one), in one transaction, and each message is answered.  The router
 * holds a session's next stanza until then, so order is kept.
 */
#define MAM_BATCH		64
#define MAM_BATCH_BYTES		(1024 * 1024)

struct mam_pending {
	struct imsgev		*iev;
	uint32_t		 id;
	struct mam_archive	 a;
	char			*xml;
	size_t			 len;
	int			 sput, rput;	/* their rows, -1: none */
};

static struct mam_pending	 mam_pend[MAM_BATCH];
static int			 mam_npend;
static size_t			 mam_pend_bytes;
static struct event		 mam_flush_ev;

/* One call per owner, for backends without facts. */
static void
mam_facts_each(struct mam_facts *f, int n)
{
	int	 i;

	for (i = 0; i < n; i++) {
		f[i].blocks = 1;
		f[i].exists = store_be->account_exists(f[i].domain,
		    f[i].localpart);
		if (f[i].exists == 1)
			f[i].custom = store_be->mam->prefs_get(f[i].domain,
			    f[i].localpart, &f[i].dflt, &f[i].always,
			    &f[i].never) == 1;
	}
}

/* The owner's facts in f, added when new; NULL for no account here. */
static struct mam_facts *
mam_facts_add(struct mam_facts *f, int *n, const struct mam_owner *o)
{
	int	 i;

	if (o->localpart[0] == '\0' ||
	    config_domain(proc_self.conf, o->domain) == NULL)
		return (NULL);
	for (i = 0; i < *n; i++)
		if (strcmp(f[i].domain, o->domain) == 0 &&
		    strcmp(f[i].localpart, o->localpart) == 0)
			return (&f[i]);
	memset(&f[*n], 0, sizeof(f[*n]));
	f[*n].domain = o->domain;
	f[*n].localpart = o->localpart;
	return (&f[(*n)++]);
}

/*
 * Does the owner keep a message with 'with' (a bare JID)?  A JID in
 * both lists is not archived (XEP-0313 section 6.1).
 */
static int
mam_keeps(const struct mam_facts *f, const char *with)
{
	struct domain_conf	*d;
	int			 dflt;

	if (f == NULL || f->exists != 1)
		return (0);
	if (f->custom) {
		if (jid_list_has(f->never, with))
			return (0);
		if (jid_list_has(f->always, with))
			return (1);
		dflt = f->dflt;
	} else {
		d = config_domain(proc_self.conf, f->domain);
		dflt = d != NULL ? d->archive_default : ARCHIVE_NEVER;
	}
	if (dflt == ARCHIVE_ROSTER)
		return (store_be->mam->in_roster(f->domain, f->localpart,
		    with) == 1);
	return (dflt == ARCHIVE_ALWAYS);
}

/* An owner's bare JID; a domain alone (a component) has no '@'. */
static void
mam_owner_jid(const struct mam_owner *o, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%s%s%s", o->localpart,
	    o->localpart[0] != '\0' ? "@" : "", o->domain);
}

/* A row of p for the owner, with 'with'; its index. */
static int
mam_plan_row(struct mam_put *p, int *np, const struct mam_pending *m,
    const struct mam_owner *o, const char *with, const char *res, int dir,
    char *id)
{
	struct mam_put	*r = &p[*np];

	memset(r, 0, sizeof(*r));
	r->domain = o->domain;
	r->localpart = o->localpart;
	r->with = with;
	r->res = res;
	r->direction = dir;
	r->stamp = m->a.stamp;
	r->xml = m->xml;
	r->len = m->len;
	r->id = id;
	return ((*np)++);
}

/* Which copies of a message are kept, as rows of p. */
static void
mam_plan(struct mam_pending *m, struct mam_facts *f, int *nf,
    struct mam_put *p, int *np, char (*bare)[2][CONF_JIDLEN], char *sid)
{
	struct mam_archive	*a = &m->a;
	struct mam_facts	*sf, *rf;
	char			 sfull[CONF_JIDLEN + sizeof(a->sender_res) + 1];
	char			*sbare = (*bare)[0], *rbare = (*bare)[1];
	int			 blocked;

	mam_owner_jid(&a->sender, sbare, CONF_JIDLEN);
	(void)snprintf(sfull, sizeof(sfull), "%s%s%s", sbare,
	    a->sender_res[0] != '\0' ? "/" : "", a->sender_res);
	mam_owner_jid(&a->rcpt, rbare, CONF_JIDLEN);
	sf = mam_facts_add(f, nf, &a->sender);
	rf = mam_facts_add(f, nf, &a->rcpt);
	m->sput = m->rput = -1;
	/* A message to oneself is kept once, as received. */
	if (strcmp(sbare, rbare) != 0 && mam_keeps(sf, rbare))
		m->sput = mam_plan_row(p, np, m, &a->sender, rbare,
		    a->rcpt_res, 1, sid);
	/* What the recipient blocks it never keeps (XEP-0191 3.3). */
	if (!mam_keeps(rf, sbare))
		return;
	blocked = rf->blocks ? xs_blocks(a->rcpt.domain, a->rcpt.localpart,
	    sfull) : 0;
	if (blocked == 0)
		m->rput = mam_plan_row(p, np, m, &a->rcpt, sbare,
		    a->sender_res, 0, a->rcpt_id);
}

/* The messages waiting, archived and answered. */
static void
mam_flush(int fd, short event, void *arg)
{
	static struct mam_facts	 f[2 * MAM_BATCH];
	static struct mam_put	 p[2 * MAM_BATCH];
	static char		 bare[MAM_BATCH][2][CONF_JIDLEN];
	static char		 sid[MAM_BATCH][MAM_ID_LEN];
	struct mam_pending	*m;
	int			 i, nf = 0, np = 0;

	(void)fd;
	(void)event;
	(void)arg;
	if (mam_npend == 0)
		return;
	evtimer_del(&mam_flush_ev);
	store_be->batch_begin();
	/* The owners first, each once, without deciding anything. */
	for (i = 0; i < mam_npend; i++) {
		(void)mam_facts_add(f, &nf, &mam_pend[i].a.sender);
		(void)mam_facts_add(f, &nf, &mam_pend[i].a.rcpt);
	}
	if (store_be->mam->facts != NULL)
		store_be->mam->facts(f, nf);
	else
		mam_facts_each(f, nf);
	for (i = 0; i < mam_npend; i++)
		mam_plan(&mam_pend[i], f, &nf, p, &np, &bare[i], sid[i]);
	if (store_be->mam->put_many != NULL)
		store_be->mam->put_many(p, np);
	else
		for (i = 0; i < np; i++)
			p[i].ok = store_be->mam->put(p[i].domain,
			    p[i].localpart, p[i].with, p[i].res,
			    p[i].direction, p[i].stamp, p[i].xml, p[i].len,
			    p[i].id) == 0;
	store_be->batch_end();
	for (i = 0; i < mam_npend; i++) {
		m = &mam_pend[i];
		m->a.sender_kept = m->sput >= 0 && p[m->sput].ok;
		m->a.rcpt_kept = m->rput >= 0 && p[m->rput].ok;
		if (!m->a.rcpt_kept)
			m->a.rcpt_id[0] = '\0';
		imsgev_compose(m->iev, IMSG_MAM_ARCHIVED, m->id, 0, -1, &m->a,
		    sizeof(m->a));
		free(m->xml);
	}
	for (i = 0; i < nf; i++) {
		free(f[i].always);
		free(f[i].never);
	}
	mam_npend = 0;
	mam_pend_bytes = 0;
}

/* A message to archive, with those that come in the same pass. */
static void
mam_archive(struct imsgev *iev, uint32_t id, struct mam_archive *a,
    const char *xml, size_t len)
{
	struct timeval		 tv = { 0, 0 };
	struct mam_pending	*m;

	if (mam_npend == MAM_BATCH ||
	    mam_pend_bytes + len > MAM_BATCH_BYTES)
		mam_flush(-1, 0, NULL);
	m = &mam_pend[mam_npend];
	m->iev = iev;
	m->id = id;
	m->a = *a;
	m->a.sender_kept = m->a.rcpt_kept = 0;
	m->a.rcpt_id[0] = '\0';
	if ((m->xml = malloc(len + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(m->xml, xml, len);
	m->xml[len] = '\0';
	m->len = len;
	mam_pend_bytes += len;
	if (mam_npend++ == 0)
		evtimer_add(&mam_flush_ev, &tv);
}

struct mam_ctx {
	struct imsgev	*iev;
	uint32_t	 id;
};

static int
mam_row(const char *id, int64_t stamp, const char *xml, size_t len,
    void *arg)
{
	struct mam_ctx	*ctx = arg;
	struct mam_row	 row;
	struct iovec	 iov[2];

	memset(&row, 0, sizeof(row));
	(void)strlcpy(row.id, id, sizeof(row.id));
	row.stamp = stamp;
	iov[0].iov_base = &row;
	iov[0].iov_len = sizeof(row);
	iov[1].iov_base = (void *)xml;
	iov[1].iov_len = len;
	return (imsgev_composev(ctx->iev, IMSG_MAM_RESULT, ctx->id, 0, -1,
	    iov, 2) == -1 ? -1 : 0);
}

static void
mam_query_done(const struct mam_fin *fin, void *arg)
{
	struct mam_ctx	*ctx = arg;

	imsgev_compose(ctx->iev, IMSG_MAM_FIN, ctx->id, 0, -1, fin,
	    sizeof(*fin));
	free(ctx);
}

/*
 * Answered later where the backend can (the router matches the answer
 * by its id), so that a long query stalls nobody else.
 */
static void
mam_query(struct imsgev *iev, uint32_t id, struct mam_query *q)
{
	struct mam_ctx	*ctx;
	struct mam_fin	 fin;
	int		 i;

	q->with_bare[sizeof(q->with_bare) - 1] = '\0';
	q->with_res[sizeof(q->with_res) - 1] = '\0';
	q->after_id[sizeof(q->after_id) - 1] = '\0';
	q->before_id[sizeof(q->before_id) - 1] = '\0';
	q->rsm_after[sizeof(q->rsm_after) - 1] = '\0';
	q->rsm_before[sizeof(q->rsm_before) - 1] = '\0';
	if (q->nids < 0 || q->nids > MAM_IDS_MAX)
		q->nids = 0;
	for (i = 0; i < q->nids; i++)
		q->ids[i][MAM_ID_LEN - 1] = '\0';
	if ((ctx = malloc(sizeof(*ctx))) == NULL)
		fatal("%s", __func__);
	ctx->iev = iev;
	ctx->id = id;
	/* What came before the query is in the archive it reads. */
	mam_flush(-1, 0, NULL);
	if (store_be->mam->query_start != NULL) {
		store_be->mam->query_start(q, mam_row, mam_query_done, ctx);
		return;
	}
	if (store_be->mam->query(q, mam_row, ctx, &fin) == -1)
		fin.status = MAM_ERROR;
	mam_query_done(&fin, ctx);
}

/* Archive metadata (XEP-0313 section 5): the first and last rows. */
static void
mam_meta(struct imsgev *iev, uint32_t id, struct mam_meta *m)
{
	m->status = MAM_OK;
	mam_flush(-1, 0, NULL);
	if (store_be->mam->bounds(m->owner.domain, m->owner.localpart,
	    &m->start, &m->end) == -1) {
		memset(&m->start, 0, sizeof(m->start));
		memset(&m->end, 0, sizeof(m->end));
		m->status = MAM_ERROR;
	}
	imsgev_compose(iev, IMSG_MAM_META_RESULT, id, 0, -1, m, sizeof(*m));
}

static void
mam_prefs(struct imsgev *iev, uint32_t id, struct mam_prefs *p,
    struct ibuf *ib)
{
	struct iovec	 iov[3];
	char		*always = NULL, *never = NULL;

	p->status = MAM_OK;
	if (store_be->account_exists(p->owner.domain,
	    p->owner.localpart) != 1)
		p->status = MAM_ITEM_NOT_FOUND;
	else if (p->set) {
		if (ibuf_size(ib) != (size_t)p->alwayslen + p->neverlen ||
		    (always = calloc(1, p->alwayslen + 1)) == NULL ||
		    (never = calloc(1, p->neverlen + 1)) == NULL ||
		    ibuf_get(ib, always, p->alwayslen) == -1 ||
		    ibuf_get(ib, never, p->neverlen) == -1 ||
		    strlen(always) != p->alwayslen ||
		    strlen(never) != p->neverlen ||
		    p->dflt < ARCHIVE_ALWAYS || p->dflt > ARCHIVE_NEVER ||
		    store_be->mam->prefs_put(p->owner.domain,
		    p->owner.localpart, p->dflt, always, never) == -1)
			p->status = MAM_ERROR;
		free(always);
		free(never);
		always = never = NULL;
	}
	if (p->status == MAM_OK)
		p->custom = mam_prefs_load(p->owner.domain,
		    p->owner.localpart, &p->dflt, &always, &never);
	p->alwayslen = always != NULL ? strlen(always) : 0;
	p->neverlen = never != NULL ? strlen(never) : 0;
	iov[0].iov_base = p;
	iov[0].iov_len = sizeof(*p);
	iov[1].iov_base = always;
	iov[1].iov_len = p->alwayslen;
	iov[2].iov_base = never;
	iov[2].iov_len = p->neverlen;
	imsgev_composev(iev, IMSG_MAM_PREFS_RESULT, id, 0, -1, iov, 3);
	free(always);
	free(never);
}

/* The next domain of an expiry after 'cur' ("" for the first). */
static struct domain_conf *
mam_expire_next(struct mam_expire *e, const char *cur)
{
	struct domain_conf	*d;
	int			 past = cur[0] == '\0';

	TAILQ_FOREACH(d, &proc_self.conf->domains, entry) {
		if (!past) {
			past = strcmp(d->name, cur) == 0;
			continue;
		}
		if (e->domain[0] != '\0' && strcmp(d->name, e->domain) != 0)
			continue;
		if (e->age < 0 && d->archive_expire == 0)
			continue;
		return (d);
	}
	return (NULL);
}

static void
mam_expire_done(struct mam_expire *e)
{
	struct ctl_archive	 ca;

	if (e->iev != NULL) {
		memset(&ca, 0, sizeof(ca));
		(void)strlcpy(ca.domain, e->domain, sizeof(ca.domain));
		ca.age = e->age;
		ca.deleted = e->deleted;
		imsgev_compose(e->iev, IMSG_CTL_ARCHIVE_EXPIRED, e->peerid, 0,
		    -1, &ca, sizeof(ca));
	}
	if (e->done != NULL)
		e->done(e->deleted, e->arg);
	else if (e->deleted > 0)
		log_info("archive expiry: %lld messages deleted",
		    (long long)e->deleted);
	TAILQ_REMOVE(&mam_expires, e, entry);
	mam_nexpires--;
	free(e);
}

/* The next chunk's size, from how long the last one took. */
static void
mam_expire_pace(const struct timespec *t0, int64_t n, int chunk)
{
	struct timespec	 t1;
	int64_t		 us;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = (t1.tv_sec - t0->tv_sec) * 1000000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000;
	if (us > MAM_EXPIRE_SLICE)
		mam_expire_chunk = MAX(chunk / 2, MAM_EXPIRE_MIN);
	else if (n == chunk && us < MAM_EXPIRE_SLICE / 2)
		mam_expire_chunk = MIN(chunk * 2, MAM_EXPIRE_MAX);
}

/* One chunk of every row of e's domain; 1 when there are no more. */
static int
mam_expire_all_chunk(struct mam_expire *e, int chunk)
{
	struct timespec	 t0;
	int64_t		 n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = store_be->mam->expire(e->domain, INT64_MAX, &e->from, chunk);
	mam_expire_pace(&t0, n, chunk);
	if (n == -1)
		e->deleted = -1;
	else
		e->deleted += n;
	return (n < chunk);
}

/* One chunk of the first expiry; the event loop runs between chunks. */
static void
mam_expire_run(int fd, short event, void *arg)
{
	struct timeval		 tv = { 0, 0 };
	struct timespec		 t0;
	struct mam_expire	*e;
	struct domain_conf	*d;
	int64_t			 age, n;
	int			 chunk = mam_expire_chunk;

	(void)fd;
	(void)event;
	(void)arg;
	if ((e = TAILQ_FIRST(&mam_expires)) == NULL)
		return;
	/* Messages that came during the last chunk go before the next. */
	mam_flush(-1, 0, NULL);
#ifdef REGRESS
	/* Tests fix the chunk's size to cross chunks with a few rows. */
	if (getenv("XMPPD_REGRESS_MAM_EXPIRE_CHUNK") != NULL &&
	    atoi(getenv("XMPPD_REGRESS_MAM_EXPIRE_CHUNK")) > 0)
		chunk = mam_expire_chunk =
		    atoi(getenv("XMPPD_REGRESS_MAM_EXPIRE_CHUNK"));
#endif
	if (e->done != NULL) {
		if (mam_expire_all_chunk(e, chunk))
			mam_expire_done(e);
		goto next;
	}
	if (e->current[0] == '\0' || (d = config_domain(proc_self.conf,
	    e->current)) == NULL) {
		if ((d = mam_expire_next(e, "")) == NULL) {
			mam_expire_done(e);
			goto next;
		}
		(void)strlcpy(e->current, d->name, sizeof(e->current));
		e->from = 0;
	}
	age = e->age >= 0 ? e->age : d->archive_expire;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = store_be->mam->expire(d->name, mam_now() - age * 1000000,
	    &e->from, chunk);
	mam_expire_pace(&t0, n, chunk);
	if (n > 0)
		e->deleted += n;
	if (n < chunk) {
		if ((d = mam_expire_next(e, e->current)) == NULL) {
			mam_expire_done(e);
			goto next;
		}
		(void)strlcpy(e->current, d->name, sizeof(e->current));
		e->from = 0;
	}
 next:
	if (!TAILQ_EMPTY(&mam_expires))
		evtimer_add(&mam_expire_ev, &tv);
}

static int
mam_expire_add(const char *domain, int64_t age, struct imsgev *iev,
    uint32_t peerid, void (*done)(int64_t, void *), void *arg)
{
	struct timeval		 tv = { 0, 0 };
	struct mam_expire	*e;

	if (mam_nexpires >= MAM_EXPIRE_JOBS ||
	    (e = calloc(1, sizeof(*e))) == NULL)
		return (-1);
	(void)strlcpy(e->domain, domain, sizeof(e->domain));
	e->age = age;
	e->iev = iev;
	e->peerid = peerid;
	e->done = done;
	e->arg = arg;
	if (done != NULL)
		e->from = INT64_MIN;	/* whatever stamps a file gave */
	TAILQ_INSERT_TAIL(&mam_expires, e, entry);
	mam_nexpires++;
	if (!evtimer_pending(&mam_expire_ev, NULL))
		evtimer_add(&mam_expire_ev, &tv);
	return (0);
}

/*
 * Every archived row of domain, which no configuration names, in the
 * chunks of an expiry; done is called with how many, or -1.
 */
int
mam_expire_all(const char *domain, void (*done)(int64_t, void *), void *arg)
{
	return (mam_expire_add(domain, 0, NULL, 0, done, arg));
}

/* Hourly, and once at start: what each domain's "archive expire" says. */
static void
mam_hourly(int fd, short event, void *arg)
{
	struct timeval	 tv = { MAM_EXPIRE_EVERY, 0 };

	(void)fd;
	(void)event;
	(void)arg;
	(void)mam_expire_add("", -1, NULL, 0, NULL, NULL);
	evtimer_add(&mam_hourly_ev, &tv);
}

void
mam_store_init(void)
{
	struct timeval	 tv = { 1, 0 };

	evtimer_set(&mam_flush_ev, mam_flush, NULL);
	evtimer_set(&mam_expire_ev, mam_expire_run, NULL);
	evtimer_set(&mam_hourly_ev, mam_hourly, NULL);
	evtimer_add(&mam_hourly_ev, &tv);
}

/* A control connection went away: its expiry goes on unanswered. */
void
mam_store_peer_down(struct imsgev *iev)
{
	struct mam_expire	*e;

	TAILQ_FOREACH(e, &mam_expires, entry)
		if (e->iev == iev)
			e->iev = NULL;
}

/* show stats: each domain's archive, counted from an index. */
static int
mam_ctl_size(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_archive_size	 cs;
	struct domain_conf	*d;
	int64_t			 bytes;

	if (iev->type != PROC_CONTROL)
		return (-1);
	bytes = store_be->mam->db_bytes();
	TAILQ_FOREACH(d, &proc_self.conf->domains, entry) {
		memset(&cs, 0, sizeof(cs));
		(void)strlcpy(cs.domain, d->name, sizeof(cs.domain));
		cs.messages = store_be->mam->count(d->name);
		cs.db_bytes = bytes;
		imsgev_compose(iev, IMSG_CTL_ARCHIVE_SIZE, imsg_get_id(imsg),
		    0, -1, &cs, sizeof(cs));
	}
	imsgev_compose(iev, IMSG_CTL_END, imsg_get_id(imsg), 0, -1, NULL, 0);
	return (0);
}

static int
mam_ctl(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_archive	 ca;

	const char		*why = NULL;

	if (iev->type != PROC_CONTROL)
		return (-1);
	/* From xmppctl through control: checked, never fatal. */
	if (imsg_get_data(imsg, &ca, sizeof(ca)) == -1 || ca.age < 0)
		why = "bad request";
	else {
		ca.domain[sizeof(ca.domain) - 1] = '\0';
		if (ca.domain[0] != '\0' &&
		    config_domain(proc_self.conf, ca.domain) == NULL)
			why = "no such domain";
		else if (mam_expire_add(ca.domain, ca.age, iev,
		    imsg_get_id(imsg), NULL, NULL) == -1)
			why = "too many expiries running";
	}
	if (why != NULL)
		imsgev_compose(iev, IMSG_CTL_FAIL, imsg_get_id(imsg), 0, -1,
		    why, strlen(why) + 1);
	return (0);
}

int
mam_store_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct mam_archive	 a;
	struct mam_query	 q;
	struct mam_prefs	 p;
	struct mam_meta		 m;
	struct ibuf		 ib;
	uint32_t		 id = imsg_get_id(imsg);

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_ARCHIVE_EXPIRE:
		return (mam_ctl(iev, imsg));
	case IMSG_CTL_SHOW_ARCHIVE:
		return (mam_ctl_size(iev, imsg));
	case IMSG_MAM_ARCHIVE:
	case IMSG_MAM_QUERY:
	case IMSG_MAM_PREFS:
	case IMSG_MAM_META:
		break;
	default:
		return (1);
	}
	if (iev->type != PROC_ROUTER || imsg_get_ibuf(imsg, &ib) == -1)
		return (-1);
	switch (imsg_get_type(imsg)) {
	case IMSG_MAM_ARCHIVE:
		if (ibuf_get(&ib, &a, sizeof(a)) == -1)
			return (-1);
		a.sender.domain[sizeof(a.sender.domain) - 1] = '\0';
		a.sender.localpart[sizeof(a.sender.localpart) - 1] = '\0';
		a.rcpt.domain[sizeof(a.rcpt.domain) - 1] = '\0';
		a.rcpt.localpart[sizeof(a.rcpt.localpart) - 1] = '\0';
		a.sender_res[sizeof(a.sender_res) - 1] = '\0';
		a.rcpt_res[sizeof(a.rcpt_res) - 1] = '\0';
		mam_archive(iev, id, &a, ibuf_data(&ib), ibuf_size(&ib));
		return (0);
	case IMSG_MAM_QUERY:
		if (ibuf_get(&ib, &q, sizeof(q)) == -1)
			return (-1);
		q.owner.domain[sizeof(q.owner.domain) - 1] = '\0';
		q.owner.localpart[sizeof(q.owner.localpart) - 1] = '\0';
		mam_query(iev, id, &q);
		return (0);
	case IMSG_MAM_PREFS:
		if (ibuf_get(&ib, &p, sizeof(p)) == -1)
			return (-1);
		p.owner.domain[sizeof(p.owner.domain) - 1] = '\0';
		p.owner.localpart[sizeof(p.owner.localpart) - 1] = '\0';
		mam_prefs(iev, id, &p, &ib);
		return (0);
	case IMSG_MAM_META:
		if (ibuf_get(&ib, &m, sizeof(m)) == -1 || ibuf_size(&ib) != 0)
			return (-1);
		m.owner.domain[sizeof(m.owner.domain) - 1] = '\0';
		m.owner.localpart[sizeof(m.owner.localpart) - 1] = '\0';
		mam_meta(iev, id, &m);
		return (0);
	}
	return (1);
}
