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
 * LDAP authentication daemon: binds to the directory on behalf of users
 * logging in to "auth ldap" domains (SASL PLAIN relayed by the stream
 * processes), tells the router which users exist, reads their vCards,
 * and lists the directory for the shared roster group.
 *
 * A login: search under the base, as the service DN, with the filter
 * whose %u is the escaped, nodeprep'd user name; exactly one entry must
 * match; then bind as that entry with the password, on a connection
 * that is not the service connection.  An empty password never reaches
 * a bind.  A directory that cannot be asked is a temporary failure,
 * never "not authorized".
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/uio.h>

#include <err.h>
#include <event.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "grant.h"
#include "jid.h"
#include "ldapauthd.h"
#include "ldaputil.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"
#include "sasl.h"
#include "throttle.h"

#define AUTH_MAX_PENDING	4096	/* logins and lookups in flight */
#define REFRESH_PERIOD		300	/* the shared roster, seconds */
#define GROUP_MAX		100000	/* members */
#define VCARD_TEXT_MAX		1024

struct auth_req {
	RB_ENTRY(auth_req)	 node;
	int			 stream;
	uint32_t		 id;
	int			 dead;		/* aborted while in flight */
	int			 inflight;
	int			 throttled;	/* the user name is over */
	struct ldap_dir		*dir;
	char			 domain[CONF_NAMELEN];
	char			 addr[64];
	char			 local[1024];
	char			 userkey[CONF_JIDLEN];
	char			*password;
	size_t			 pwlen;
	char			*dn;
	int			 entries;
};

RB_HEAD(auth_tree, auth_req);

/* A lookup or a vCard for the router. */
struct dir_req {
	int			 type;		/* IMSG_LDAP_LOOKUP, _VCARD */
	uint32_t		 id;
	struct ldap_user_req	 req;
	int			 entries;
	char			*text[4];	/* fn, nickname, email, tel */
	struct berval		*photo;
};

static struct ldap_dir_list	 dirs = TAILQ_HEAD_INITIALIZER(dirs);
static struct auth_tree		 auths = RB_INITIALIZER(&auths);
static int			 npending;
static struct throttle		*addr_throttle, *user_throttle;

static int
auth_cmp(struct auth_req *a, struct auth_req *b)
{
	if (a->stream != b->stream)
		return (a->stream < b->stream ? -1 : 1);
	if (a->id != b->id)
		return (a->id < b->id ? -1 : 1);
	return (0);
}

RB_GENERATE_STATIC(auth_tree, auth_req, node, auth_cmp);

static struct ldap_dir *
dir_byname(const char *name)
{
	struct ldap_dir	*d;

	TAILQ_FOREACH(d, &dirs, entry)
		if (strcmp(d->conf->name, name) == 0)
			return (d);
	return (NULL);
}

static struct ldap_dir *
dir_bydomain(const char *domain)
{
	struct domain_conf	*dc;

	if ((dc = config_domain(proc_self.conf, domain)) == NULL ||
	    dc->auth != AUTH_LDAP)
		return (NULL);
	return (dir_byname(dc->ldap));
}

/* The filter for one user, or for every user. */
static int
dir_filter(struct ldap_dir *d, const char *local, char *buf, size_t len)
{
	return (ldapfilter_expand(d->conf->filter, local, local == NULL, buf,
	    len));
}

/*
 * Logins.
 */

static void
auth_free(struct auth_req *a)
{
	freezero(a->password, a->pwlen);
	free(a->dn);
	freezero(a, sizeof(*a));
}

static void
auth_reply(struct auth_req *a, int status)
{
	struct auth_result	 res;
	struct imsgev		*iev;

	if (a->throttled)
		log_info("authentication throttled for %s from %s", a->userkey,
		    a->addr);
	else
		sasl_log(status, a->addr, a->local, a->domain);
	if (status == AUTH_NOT_AUTHORIZED) {
		throttle_hit(addr_throttle, a->addr, time(NULL));
		if (a->userkey[0] != '\0')
			throttle_hit(user_throttle, a->userkey, time(NULL));
	}
	if ((iev = proc_peer(PROC_STREAM, a->stream)) != NULL) {
		memset(&res, 0, sizeof(res));
		res.status = status;
		if (status == AUTH_SUCCESS)
			(void)strlcpy(res.localpart, a->local,
			    sizeof(res.localpart));
		if (status == AUTH_SUCCESS && grant_make(
		    proc_self.conf->global.grant_key, a->stream, a->id,
		    res.localpart, a->domain, res.grant) == -1) {
			log_warnx("%s: no grant for %s@%s", __func__, a->local,
			    a->domain);
			res.status = AUTH_TEMPORARY_FAILURE;
			res.localpart[0] = '\0';
		}
		imsgev_compose(iev, IMSG_AUTH_RESULT, a->id, 0, -1, &res,
		    sizeof(res));
	}
}

/* The end of a login, whether or not the stream still waits for it. */
static void
auth_finish(struct auth_req *a, int status)
{
	if (a->inflight) {
		a->inflight = 0;
		npending--;
	}
	if (!a->dead) {
		auth_reply(a, status);
		RB_REMOVE(auth_tree, &auths, a);
	}
	auth_free(a);
}

static void
auth_bound(void *arg, int status, int rc, struct berval *cookie)
{
	struct auth_req	*a = arg;

	(void)cookie;
	if (a->dead)
		auth_finish(a, AUTH_TEMPORARY_FAILURE);
	else if (status != LOP_DONE)
		auth_finish(a, AUTH_TEMPORARY_FAILURE);
	else if (rc == LDAP_SUCCESS)
		auth_finish(a, AUTH_SUCCESS);
	else if (rc == LDAP_BUSY || rc == LDAP_UNAVAILABLE ||
	    rc == LDAP_OTHER || rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT ||
	    rc == LDAP_TIMELIMIT_EXCEEDED || rc == LDAP_ADMINLIMIT_EXCEEDED) {
		log_warnx("ldap \"%s\": bind as %s: %s", a->dir->conf->name,
		    a->dn, ldap_err2string(rc));
		auth_finish(a, AUTH_TEMPORARY_FAILURE);
	} else
		auth_finish(a, AUTH_NOT_AUTHORIZED);
}

static void
auth_entry(void *arg, LDAP *ld, LDAPMessage *e)
{
	struct auth_req	*a = arg;
	char		*dn;

	if (a->entries++ > 0 || (dn = ldap_get_dn(ld, e)) == NULL)
		return;
	if ((a->dn = strdup(dn)) == NULL)
		fatal("%s", __func__);
	ldap_memfree(dn);
}

static void
auth_found(void *arg, int status, int rc, struct berval *cookie)
{
	struct auth_req	*a = arg;

	(void)cookie;
	if (a->dead) {
		auth_finish(a, AUTH_TEMPORARY_FAILURE);
		return;
	}
	if (status != LOP_DONE || (rc != LDAP_SUCCESS &&
	    rc != LDAP_SIZELIMIT_EXCEEDED)) {
		if (status == LOP_DONE)
			log_warnx("ldap \"%s\": search for %s: %s",
			    a->dir->conf->name, a->local, ldap_err2string(rc));
		auth_finish(a, AUTH_TEMPORARY_FAILURE);
		return;
	}
	if (a->entries != 1 || a->dn == NULL || *a->dn == '\0') {
		if (a->entries > 1)
			log_warnx("ldap \"%s\": %s matches %d entries, "
			    "refusing the login", a->dir->conf->name,
			    a->local, a->entries);
		auth_finish(a, AUTH_NOT_AUTHORIZED);
		return;
	}
	dir_bind(a->dir, a->dn, a->password, auth_bound, a);
}

/* A PLAIN message: check it, then ask the directory. */
static int
auth_plain(struct auth_req *a, const char *msg, size_t len)
{
	struct sasl_plain	 sp;
	struct jid		 j;
	char			 filter[CONF_STRLEN * 4];
	const char		*attrs[] = { LDAP_NO_ATTRS, NULL };
	int			 status = -1;

	if (sasl_plain_parse(msg, len, &sp) == -1) {
		status = AUTH_MALFORMED;
		goto done;
	}
	(void)strlcpy(a->local, sp.authcid, sizeof(a->local));
	if (jid_prep_local(a->local, sizeof(a->local)) == -1) {
		(void)strlcpy(a->local, "?", sizeof(a->local));
		status = AUTH_NOT_AUTHORIZED;
		goto done;
	}
	(void)snprintf(a->userkey, sizeof(a->userkey), "%s@%s", a->local,
	    a->domain);
	if (sp.authzid[0] != '\0' && (jid_parse(sp.authzid, &j) == -1 ||
	    j.resource[0] != '\0' || strcmp(j.local, a->local) != 0 ||
	    strcmp(j.domain, a->domain) != 0)) {
		status = AUTH_INVALID_AUTHZID;
		goto done;
	}
	if (throttle_over(user_throttle, a->userkey, time(NULL))) {
		a->throttled = 1;
		status = AUTH_TEMPORARY_FAILURE;
		goto done;
	}
	if (dir_filter(a->dir, a->local, filter, sizeof(filter)) == -1) {
		status = AUTH_NOT_AUTHORIZED;
		goto done;
	}
	a->pwlen = strlen(sp.password);
	if ((a->password = strdup(sp.password)) == NULL)
		fatal("%s", __func__);
	a->inflight = 1;
	npending++;
	dir_search(a->dir, filter, attrs, 2, NULL, auth_entry, auth_found, a);
 done:
	explicit_bzero(&sp, sizeof(sp));
	return (status);
}

static void
auth_step(struct auth_req *a, const char *msg, size_t len)
{
	int	 status;

#ifdef REGRESS
	if (ldap_regress_login(msg, len)) {
		auth_finish(a, AUTH_NOT_AUTHORIZED);
		return;
	}
#endif
	if ((status = auth_plain(a, msg, len)) != -1)
		auth_finish(a, status);
}

static void
auth_result_now(struct imsgev *iev, uint32_t id, int status)
{
	struct auth_result	 res;

	memset(&res, 0, sizeof(res));
	res.status = status;
	imsgev_compose(iev, IMSG_AUTH_RESULT, id, 0, -1, &res, sizeof(res));
}

/* A login begins; -1: the stream sent what no stream should. */
static int
auth_start(struct imsgev *iev, struct imsg *imsg)
{
	struct auth_start	 st;
	struct auth_req		*a, key;
	struct ldap_dir		*d;
	struct ibuf		 ib;

	if (sasl_start_get(imsg, &st, &ib) == -1) {
		log_warnx("%s: bad request from stream %d", __func__,
		    iev->instance);
		return (-1);
	}
	key.stream = iev->instance;
	key.id = imsg_get_id(imsg);
	if ((a = RB_FIND(auth_tree, &auths, &key)) != NULL) {
		RB_REMOVE(auth_tree, &auths, a);
		if (a->inflight)
			a->dead = 1;
		else
			auth_free(a);
	}
	if (throttle_over(addr_throttle, st.addr, time(NULL)) ||
	    npending >= AUTH_MAX_PENDING) {
		log_info("authentication throttled from %s on %s", st.addr,
		    st.domain);
		auth_result_now(iev, key.id, AUTH_TEMPORARY_FAILURE);
		return (0);
	}
	if ((d = dir_bydomain(st.domain)) == NULL || st.mech != SASL_PLAIN) {
		auth_result_now(iev, key.id, AUTH_NOT_AUTHORIZED);
		return (0);
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("%s", __func__);
	a->stream = key.stream;
	a->id = key.id;
	a->dir = d;
	(void)strlcpy(a->domain, st.domain, sizeof(a->domain));
	(void)strlcpy(a->addr, st.addr, sizeof(a->addr));
	RB_INSERT(auth_tree, &auths, a);
	if (!st.has_initial)
		imsgev_compose(iev, IMSG_AUTH_CHALLENGE, a->id, 0, -1, NULL, 0);
	else
		auth_step(a, ibuf_data(&ib), ibuf_size(&ib));
	return (0);
}

/* A stream process went away, or gave up on one login. */
static void
auth_forget(int stream, int all, uint32_t id)
{
	struct auth_req	*a, *next;

	RB_FOREACH_SAFE(a, auth_tree, &auths, next) {
		if (a->stream != stream || (!all && a->id != id))
			continue;
		RB_REMOVE(auth_tree, &auths, a);
		if (a->inflight)
			a->dead = 1;	/* freed when the directory answers */
		else
			auth_free(a);
	}
}

static int
auth_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct auth_req	*a, key;

	switch (imsg_get_type(imsg)) {
	case IMSG_AUTH_START:
		return (auth_start(iev, imsg));
	case IMSG_AUTH_RESPONSE:
		if (imsg_get_len(imsg) > AUTH_MSG_MAX)
			return (-1);
		key.stream = iev->instance;
		key.id = imsg_get_id(imsg);
		if ((a = RB_FIND(auth_tree, &auths, &key)) == NULL ||
		    a->inflight || a->password != NULL)
			return (0);	/* aborted, or a second response */
		auth_step(a, imsg->data, imsg_get_len(imsg));
		return (0);
	case IMSG_AUTH_ABORT:
		auth_forget(iev->instance, 0, imsg_get_id(imsg));
		return (0);
	}
	return (-1);
}

/*
 * The router's questions: does a user exist, what is in its vCard.
 */

static void
dreq_free(struct dir_req *r)
{
	size_t	 i;

	for (i = 0; i < nitems(r->text); i++)
		free(r->text[i]);
	ber_bvfree(r->photo);
	free(r);
}

/* The first value of attr, if it is short text without NULs. */
static char *
entry_text(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval	**v;
	char		 *s = NULL;

	if (*attr == '\0' || (v = ldap_get_values_len(ld, e, attr)) == NULL)
		return (NULL);
	if (v[0] != NULL && v[0]->bv_len > 0 &&
	    v[0]->bv_len <= VCARD_TEXT_MAX &&
	    memchr(v[0]->bv_val, '\0', v[0]->bv_len) == NULL &&
	    (s = strndup(v[0]->bv_val, v[0]->bv_len)) == NULL)
		fatal("%s", __func__);
	ldap_value_free_len(v);
	return (s);
}

static void
dreq_entry(void *arg, LDAP *ld, LDAPMessage *e)
{
	struct dir_req	*r = arg;
	struct ldap_dir	*d;
	struct berval	**v;
	const char	*attrs[4];
	size_t		 i;

	if (r->entries++ > 0 || r->type != IMSG_LDAP_VCARD ||
	    (d = dir_bydomain(r->req.domain)) == NULL)
		return;
	attrs[0] = d->conf->vcard_fn;
	attrs[1] = d->conf->vcard_nickname;
	attrs[2] = d->conf->vcard_email;
	attrs[3] = d->conf->vcard_tel;
	for (i = 0; i < nitems(attrs); i++)
		r->text[i] = entry_text(ld, e, attrs[i]);
	if (d->conf->vcard_photo[0] != '\0' &&
	    (v = ldap_get_values_len(ld, e, d->conf->vcard_photo)) != NULL) {
		if (v[0] != NULL && v[0]->bv_len > 0 &&
		    v[0]->bv_len <= LDAP_PHOTO_MAX)
			r->photo = ber_bvdup(v[0]);
		ldap_value_free_len(v);
	}
}

/* Answer the router: a lookup, or a vCard with what was found. */
static void
dreq_reply(struct imsgev *iev, struct dir_req *r, int st)
{
	struct ldap_user_res	 res;
	struct ldap_vcard	 vc;
	struct iovec		 iov[6];
	size_t			 i;

	if (r->type == IMSG_LDAP_LOOKUP) {
		memset(&res, 0, sizeof(res));
		res.req = r->req;
		res.status = st;
		imsgev_compose(iev, IMSG_LDAP_USER, r->id, 0, -1, &res,
		    sizeof(res));
		dreq_free(r);
		return;
	}
	memset(&vc, 0, sizeof(vc));
	vc.req = r->req;
	vc.status = st;
	iov[0].iov_base = &vc;
	iov[0].iov_len = sizeof(vc);
	for (i = 0; i < nitems(r->text); i++) {
		iov[i + 1].iov_base = r->text[i];
		iov[i + 1].iov_len = st == LDAP_USER_EXISTS &&
		    r->text[i] != NULL ? strlen(r->text[i]) : 0;
	}
	vc.fnlen = iov[1].iov_len;
	vc.nicklen = iov[2].iov_len;
	vc.emaillen = iov[3].iov_len;
	vc.tellen = iov[4].iov_len;
	iov[5].iov_base = r->photo ? r->photo->bv_val : NULL;
	iov[5].iov_len = st == LDAP_USER_EXISTS && r->photo ?
	    r->photo->bv_len : 0;
	vc.photolen = iov[5].iov_len;
	imsgev_composev(iev, IMSG_LDAP_VCARD_RESULT, r->id, 0, -1, iov, 6);
	dreq_free(r);
}

static void
dreq_done(void *arg, int status, int rc, struct berval *cookie)
{
	struct dir_req		*r = arg;
	struct imsgev		*iev;
	int			 st;

	(void)cookie;
	npending--;
	if (status != LOP_DONE || (rc != LDAP_SUCCESS &&
	    rc != LDAP_SIZELIMIT_EXCEEDED))
		st = LDAP_USER_ERROR;
	else
		st = r->entries == 1 ? LDAP_USER_EXISTS : LDAP_USER_NONE;
	if ((iev = proc_peer(PROC_ROUTER, 0)) == NULL)
		dreq_free(r);
	else
		dreq_reply(iev, r, st);
}

static void
dreq_start(struct imsgev *iev, struct imsg *imsg)
{
	struct dir_req	*r;
	struct ldap_dir	*d;
	char		 filter[CONF_STRLEN * 4];
	const char	*attrs[7];
	size_t		 n = 0;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("%s", __func__);
	r->type = imsg_get_type(imsg);
	r->id = imsg_get_id(imsg);
	if (imsg_get_data(imsg, &r->req, sizeof(r->req)) == -1)
		fatalx("%s: bad request from the router", __func__);
	r->req.domain[sizeof(r->req.domain) - 1] = '\0';
	r->req.localpart[sizeof(r->req.localpart) - 1] = '\0';
	if ((d = dir_bydomain(r->req.domain)) == NULL) {
		dreq_reply(iev, r, LDAP_USER_NONE);
		return;
	}
	if (npending >= AUTH_MAX_PENDING) {
		dreq_reply(iev, r, LDAP_USER_ERROR);
		return;
	}
	/* The router sends nodeprep'd names; check, never trust. */
	(void)strlcpy(filter, r->req.localpart, sizeof(filter));
	if (r->req.localpart[0] == '\0' ||
	    jid_prep_local(filter, sizeof(filter)) == -1 ||
	    strcmp(filter, r->req.localpart) != 0 ||
	    dir_filter(d, r->req.localpart, filter, sizeof(filter)) == -1) {
		dreq_reply(iev, r, LDAP_USER_NONE);
		return;
	}
	if (r->type == IMSG_LDAP_VCARD) {
		if (d->conf->vcard_fn[0])
			attrs[n++] = d->conf->vcard_fn;
		if (d->conf->vcard_nickname[0])
			attrs[n++] = d->conf->vcard_nickname;
		if (d->conf->vcard_email[0])
			attrs[n++] = d->conf->vcard_email;
		if (d->conf->vcard_tel[0])
			attrs[n++] = d->conf->vcard_tel;
		if (d->conf->vcard_photo[0])
			attrs[n++] = d->conf->vcard_photo;
	}
	if (n == 0)
		attrs[n++] = LDAP_NO_ATTRS;
	attrs[n] = NULL;
	npending++;
	dir_search(d, filter, attrs, 2, NULL, dreq_entry, dreq_done, r);
}

/*
 * The shared roster group: every user the filter finds with %u = *,
 * read page by page, sent to the router once complete.
 */

static void	group_refresh(struct ldap_dir *);
static void	group_done(void *, int, int, struct berval *);

static int
dir_has_domain(struct ldap_dir *d)
{
	struct domain_conf	*dc;

	TAILQ_FOREACH(dc, &proc_self.conf->domains, entry)
		if (dc->auth == AUTH_LDAP && strcmp(dc->ldap,
		    d->conf->name) == 0)
			return (1);
	return (0);
}

static void
group_entry(void *arg, LDAP *ld, LDAPMessage *e)
{
	struct ldap_dir		*d = arg;
	struct ldap_member	*m;
	char			*user, *name;
	size_t			 n;

	if (d->nmembers >= GROUP_MAX)
		return;
	if ((user = entry_text(ld, e, d->userattr)) == NULL)
		return;
	if (d->nmembers == d->maxmembers) {
		n = d->maxmembers ? d->maxmembers * 2 : 256;
		if ((m = reallocarray(d->members, n, sizeof(*m))) == NULL)
			fatal("%s", __func__);
		d->members = m;
		d->maxmembers = n;
	}
	m = &d->members[d->nmembers];
	memset(m, 0, sizeof(*m));
	if (strlcpy(m->localpart, user, sizeof(m->localpart)) <
	    sizeof(m->localpart) &&
	    jid_prep_local(m->localpart, sizeof(m->localpart)) == 0) {
		name = entry_text(ld, e, d->conf->vcard_fn[0] ?
		    d->conf->vcard_fn : "displayName");
		if (name != NULL)
			(void)strlcpy(m->name, name, sizeof(m->name));
		free(name);
		d->nmembers++;
	}
	free(user);
}

static void
group_send(struct ldap_dir *d)
{
	struct imsgev		*iev;
	struct ldap_group	 g;
	size_t			 i;

	if ((iev = proc_peer(PROC_ROUTER, 0)) == NULL)
		return;
	memset(&g, 0, sizeof(g));
	(void)strlcpy(g.ldap, d->conf->name, sizeof(g.ldap));
	(void)strlcpy(g.group, d->conf->roster_group, sizeof(g.group));
	imsgev_compose(iev, IMSG_LDAP_GROUP_BEGIN, 0, 0, -1, &g, sizeof(g));
	for (i = 0; i < d->nmembers; i++)
		imsgev_compose(iev, IMSG_LDAP_GROUP_MEMBER, 0, 0, -1,
		    &d->members[i], sizeof(d->members[i]));
	g.count = d->nmembers;
	imsgev_compose(iev, IMSG_LDAP_GROUP_END, 0, 0, -1, &g, sizeof(g));
	log_debug("ldap \"%s\": %zu users in roster group \"%s\"",
	    d->conf->name, d->nmembers, d->conf->roster_group);
}

static void
group_schedule(struct ldap_dir *d, int seconds)
{
	struct timeval	 tv;

	tv.tv_sec = seconds;
	tv.tv_usec = 0;
	evtimer_add(&d->refresh, &tv);
}

static void
group_page(struct ldap_dir *d)
{
	char		 filter[CONF_STRLEN * 4];
	const char	*attrs[3];

	attrs[0] = d->userattr;
	attrs[1] = d->conf->vcard_fn[0] ? d->conf->vcard_fn : "displayName";
	attrs[2] = NULL;
	if (dir_filter(d, NULL, filter, sizeof(filter)) == -1) {
		d->refreshing = 0;
		return;
	}
	dir_search(d, filter, attrs, 0, &d->cookie, group_entry, group_done,
	    d);
}

static void
group_reset(struct ldap_dir *d)
{
	free(d->members);
	d->members = NULL;
	d->nmembers = d->maxmembers = 0;
	free(d->cookie.bv_val);
	d->cookie.bv_val = NULL;
	d->cookie.bv_len = 0;
	d->refreshing = 0;
}

static void
group_done(void *arg, int status, int rc, struct berval *cookie)
{
	struct ldap_dir	*d = arg;

	if (d->dying)
		return;
	if (status != LOP_DONE || rc != LDAP_SUCCESS) {
		log_warnx("ldap \"%s\": cannot list the roster group: %s%s",
		    d->conf->name, status == LOP_DONE ? ldap_err2string(rc) :
		    "directory unavailable", rc == LDAP_SIZELIMIT_EXCEEDED ?
		    " (the server refuses paged results past its limit)" : "");
		group_reset(d);
		group_schedule(d, d->refresh_again ? 1 : 30);
		d->refresh_again = 0;
		return;
	}
	if (cookie != NULL && cookie->bv_len > 0) {
		free(d->cookie.bv_val);
		if ((d->cookie.bv_val = malloc(cookie->bv_len)) == NULL)
			fatal("%s", __func__);
		memcpy(d->cookie.bv_val, cookie->bv_val, cookie->bv_len);
		d->cookie.bv_len = cookie->bv_len;
		group_page(d);
		return;
	}
	group_send(d);
	group_reset(d);
	if (d->refresh_again) {
		d->refresh_again = 0;
		group_refresh(d);
	} else
		group_schedule(d, REFRESH_PERIOD);
}

static void
group_refresh(struct ldap_dir *d)
{
	if (d->conf->roster_group[0] == '\0' || !dir_has_domain(d))
		return;
	if (d->refreshing) {
		d->refresh_again = 1;
		return;
	}
	evtimer_del(&d->refresh);
	group_reset(d);
	d->refreshing = 1;
	group_page(d);
}

static void
group_timer(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	group_refresh(arg);
}

/*
 * xmppctl show ldap.
 */
static void
ctl_show(struct imsgev *iev, uint32_t peerid)
{
	struct ldap_dir	*d;
	struct ctl_ldap	 cl;
	int		 i;

	TAILQ_FOREACH(d, &dirs, entry)
		for (i = 0; i < d->nsrv; i++) {
			memset(&cl, 0, sizeof(cl));
			(void)strlcpy(cl.ldap, d->conf->name, sizeof(cl.ldap));
			(void)strlcpy(cl.url, d->srv[i].url, sizeof(cl.url));
			cl.connected = dir_connected(d, i);
			(void)strlcpy(cl.error, d->srv[i].error,
			    sizeof(cl.error));
			cl.error_time = d->srv[i].error_time;
			cl.binds_ok = d->srv[i].binds_ok;
			cl.binds_failed = d->srv[i].binds_failed;
			cl.searches = d->srv[i].searches;
			imsgev_compose(iev, IMSG_CTL_LDAP, peerid, 0, -1, &cl,
			    sizeof(cl));
		}
	imsgev_compose(iev, IMSG_CTL_END, peerid, 0, -1, NULL, 0);
}

static struct ldap_dir *
dir_add(struct ldap_conf *l)
{
	struct ldap_dir	*d;

	d = dir_new(l);
	evtimer_set(&d->refresh, group_timer, d);
	TAILQ_INSERT_TAIL(&dirs, d, entry);
	return (d);
}

static void
ldapauthd_config_commit(struct xmppd_config *old, struct xmppd_config *new)
{
	struct ldap_dir		*d, *next;
	struct ldap_conf	*l;

	(void)old;
	TAILQ_FOREACH_SAFE(d, &dirs, entry, next) {
		if ((l = config_ldap(new, d->conf->name)) == NULL) {
			TAILQ_REMOVE(&dirs, d, entry);
			dir_free(d);
		} else if (dir_reconf(d, l) == -1)
			log_warnx("ldap \"%s\": logins will fail", l->name);
	}
	TAILQ_FOREACH(l, &new->ldaps, entry)
		if (dir_byname(l->name) == NULL)
			(void)dir_add(l);
	throttle_set(addr_throttle, new->global.limits.auth_failures,
	    new->global.limits.auth_period);
	throttle_set(user_throttle, new->global.limits.auth_failures,
	    new->global.limits.auth_period);
	/* Users added to or removed from the directory, now. */
	TAILQ_FOREACH(d, &dirs, entry)
		group_refresh(d);
}

static void
ldapauthd_peer_up(struct imsgev *iev)
{
	struct ldap_dir	*d;

	if (iev->type == PROC_ROUTER)
		TAILQ_FOREACH(d, &dirs, entry)
			group_refresh(d);
}

static void
ldapauthd_peer_down(struct imsgev *iev)
{
	if (iev->type == PROC_STREAM)
		auth_forget(iev->instance, 1, 0);
}

static int
ldapauthd_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	switch (iev->type) {
	case PROC_STREAM:
		return (auth_dispatch(iev, imsg));
	case PROC_ROUTER:
		switch (imsg_get_type(imsg)) {
		case IMSG_LDAP_LOOKUP:
		case IMSG_LDAP_VCARD:
			dreq_start(iev, imsg);
			return (0);
		}
		break;
	case PROC_CONTROL:
		if (imsg_get_type(imsg) == IMSG_CTL_SHOW_LDAP) {
			ctl_show(iev, imsg_get_id(imsg));
			return (0);
		}
		return (throttle_ctl_dispatch(iev, imsg) == 0 ? 0 : -1);
	}
	return (-1);
}

static void
ldapauthd_shutdown(void)
{
	struct ldap_dir	*d;

	while ((d = TAILQ_FIRST(&dirs)) != NULL) {
		TAILQ_REMOVE(&dirs, d, entry);
		dir_free(d);
	}
}

int
main(int argc, char *argv[])
{
	struct limits_conf	*lim;
	struct ldap_conf	*l;

	(void)argv;
	if (argc != 1)
		errx(1, "usage: ldapauthd (started by xmppd)");
	proc_self.before_chroot = conn_init;
	proc_child_init(PROC_LDAPAUTHD, 0);
	/*
	 * Sockets to the directory servers and to the nameservers; no
	 * file is opened after this point.
	 */
	sandbox("stdio inet dns recvfd");
	lim = &proc_self.conf->global.limits;
	addr_throttle = throttle_new("auth failures", lim->auth_failures,
	    lim->auth_period, 65536);
	user_throttle = throttle_new("user auth failures",
	    lim->auth_failures, lim->auth_period, 65536);
	TAILQ_FOREACH(l, &proc_self.conf->ldaps, entry)
		if (proc_peer(PROC_ROUTER, 0) != NULL)
			group_refresh(dir_add(l));
		else
			(void)dir_add(l);
	proc_self.dispatch = ldapauthd_dispatch;
	proc_self.config_commit = ldapauthd_config_commit;
	proc_self.peer_up = ldapauthd_peer_up;
	proc_self.peer_down = ldapauthd_peer_down;
	proc_self.shutdown = ldapauthd_shutdown;
	proc_child_run();
	return (0);
}
