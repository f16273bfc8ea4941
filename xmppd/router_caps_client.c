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
 * Entity capabilities of clients (XEP-0115): the <c/> of a session's
 * presence names a hash; the first time a hash is seen the server asks
 * that client's disco#info, checks the answer hashes to it (section 5)
 * and keeps hash -> features, so that PEP knows which nodes a resource
 * wants ("NODE+notify", XEP-0163 section 4.3.3).  A remote contact's
 * resources are known the same way: their presence to a user of ours
 * names a hash, asked over federation from the user's domain to the
 * resource, and only that resource's answer with our id is read.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define NS_CAPS		"http://jabber.org/protocol/caps"
#define NS_DISCO_INFO	"http://jabber.org/protocol/disco#info"
#define NS_DATA		"jabber:x:data"

#define CAPS_CACHE_MAX	512	/* hashes known or asked */
#define CAPS_FEAT_MAX	256	/* features of one hash */
#define CAPS_FORMS_MAX	16	/* extended forms of one answer */
#define CAPS_WAIT_MAX	32	/* sessions waiting for one answer */
#define CAPS_RETRY	60	/* seconds before asking again */
#define CAPS_VER_MAX	64
#define CAPS_REMOTE_MAX	1024	/* remote resources' presence kept */
#define CAPS_PEER_ASKS	8	/* questions open to one remote domain */

enum caps_state { CAPS_ASKED, CAPS_KNOWN, CAPS_BAD };

struct caps_entry {
	TAILQ_ENTRY(caps_entry)	 lru;
	char			 ver[CAPS_VER_MAX];
	int			 state;
	time_t			 asked;
	char			 id[40];	/* of our disco#info */
	int			 stream;	/* the session asked */
	uint32_t		 session;
	char			*rjid;		/* or the remote resource */
	char			 rfrom[CONF_NAMELEN];	/* asked from */
	char			**features;	/* sorted */
	int			 nfeatures;
	struct {
		int		 stream;
		uint32_t	 session;
	}			 wait[CAPS_WAIT_MAX];
	int			 nwait;
};

static TAILQ_HEAD(caps_lru, caps_entry) caps_cache =
				    TAILQ_HEAD_INITIALIZER(caps_cache);
static int			 caps_n;

/* A remote resource available to a user of ours, and its hash. */
struct caps_remote {
	TAILQ_ENTRY(caps_remote) lru;
	char			*jid;		/* the resource, full */
	char			*user;		/* ours, bare */
	char			 ver[CAPS_VER_MAX];	/* "": no caps */
};

static TAILQ_HEAD(caps_rlru, caps_remote) caps_remotes =
				    TAILQ_HEAD_INITIALIZER(caps_remotes);
static int			 caps_nremote;

static int
caps_strcmp(const void *a, const void *b)
{
	return (strcmp(*(char * const *)a, *(char * const *)b));
}

static void
caps_entry_free(struct caps_entry *e)
{
	int	 i;

	TAILQ_REMOVE(&caps_cache, e, lru);
	caps_n--;
	for (i = 0; i < e->nfeatures; i++)
		free(e->features[i]);
	free(e->features);
	free(e->rjid);
	free(e);
}

static struct caps_entry *
caps_find(const char *ver)
{
	struct caps_entry	*e;

	TAILQ_FOREACH(e, &caps_cache, lru)
		if (strcmp(e->ver, ver) == 0) {
			TAILQ_REMOVE(&caps_cache, e, lru);
			TAILQ_INSERT_HEAD(&caps_cache, e, lru);
			return (e);
		}
	return (NULL);
}

/* Does hash ver, verified, say "node+notify"? */
static int
caps_wants(const char *ver, const char *node)
{
	struct caps_entry	*e;
	char			 want[512], *k = want;

	if (ver == NULL || (e = caps_find(ver)) == NULL ||
	    e->state != CAPS_KNOWN)
		return (0);
	if (snprintf(want, sizeof(want), "%s+notify", node) >=
	    (int)sizeof(want))
		return (0);
	return (bsearch(&k, e->features, e->nfeatures, sizeof(char *),
	    caps_strcmp) != NULL);
}

/* Does session s want events of node? */
int
caps_client_notify(struct session *s, const char *node)
{
	return (caps_wants(s->caps_ver, node));
}

/* A new entry for ver, the least used one gone if the cache is full. */
static struct caps_entry *
caps_entry_new(const char *ver)
{
	struct caps_entry	*e;

	if (caps_n >= CAPS_CACHE_MAX)
		caps_entry_free(TAILQ_LAST(&caps_cache, caps_lru));
	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(e->ver, ver, sizeof(e->ver));
	e->stream = -1;
	TAILQ_INSERT_HEAD(&caps_cache, e, lru);
	caps_n++;
	return (e);
}

/*
 * The disco#info question of e, from one of our names to a resource,
 * under an id no one else can guess; NULL if it cannot be made.
 */
static struct xml_node *
caps_question(struct caps_entry *e, const char *from, const char *to,
    const char *node)
{
	struct xml_node	*iq, *q;
	char		 n[1024];
	uint8_t		 r[16];
	size_t		 i;

	arc4random_buf(r, sizeof(r));
	(void)strlcpy(e->id, "caps", sizeof(e->id));
	for (i = 0; i < sizeof(r); i++)
		(void)snprintf(e->id + 4 + 2 * i, sizeof(e->id) - 4 - 2 * i,
		    "%02x", r[i]);
	e->asked = time(NULL);
	e->state = CAPS_ASKED;
	e->nwait = 0;
	if ((iq = xml_node_new(NS_CLIENT, "iq")) == NULL)
		return (NULL);
	xml_set_attr(iq, "type", "get");
	xml_set_attr(iq, "id", e->id);
	xml_set_attr(iq, "from", from);
	xml_set_attr(iq, "to", to);
	if ((q = xml_add_child(iq, NS_DISCO_INFO, "query")) != NULL &&
	    snprintf(n, sizeof(n), "%s#%s", node, e->ver) < (int)sizeof(n))
		xml_set_attr(q, "node", n);
	return (iq);
}

/*
 * Ask s for the disco#info of node#ver.  Only s may answer, under an id
 * no one else can guess (caps_client_result()).
 */
static void
caps_ask(struct caps_entry *e, struct session *s, const char *node)
{
	struct xml_node	*iq;
	struct imsgev	*iev;

	free(e->rjid);
	e->rjid = NULL;
	e->stream = s->stream;
	e->session = s->id;
	iq = caps_question(e, s->user->domain, s->full, node);
	if (iq != NULL && (iev = proc_peer(PROC_STREAM, s->stream)) != NULL)
		(void)stanza_send(iev, s->id, s->id, iq, NS_CLIENT);
	xml_node_free(iq);
}

/*
 * The hashed <c/> of presence p (section 5; legacy caps are ignored):
 * 0 and its ver and node, or -1.
 */
static int
caps_of(struct xml_node *p, const char **ver, const char **node)
{
	struct xml_node	*c;
	const char	*hash;

	if ((c = xml_find_child(p, NS_CAPS, "c")) == NULL ||
	    (*ver = xml_get_attr(c, "ver")) == NULL ||
	    (*node = xml_get_attr(c, "node")) == NULL ||
	    (hash = xml_get_attr(c, "hash")) == NULL ||
	    strcmp(hash, "sha-1") != 0 || strlen(*ver) >= CAPS_VER_MAX ||
	    strlen(*node) > 512)
		return (-1);
	return (0);
}

/* A session became available or changed its presence. */
static void
caps_available(struct session *s, int initial)
{
	struct caps_entry	*e;
	struct xml_node		*p;
	const char		*ver, *node;
	int			 same;

	/* Not read: no caps, so no events it did not ask for. */
	if ((p = router_parse(s->presence, s->presencelen, NS_CLIENT)) ==
	    NULL)
		return;
	if (caps_of(p, &ver, &node) == -1) {
		free(s->caps_ver);
		s->caps_ver = NULL;
		xml_node_free(p);
		return;
	}
	same = s->caps_ver != NULL && strcmp(s->caps_ver, ver) == 0;
	if (!same) {
		free(s->caps_ver);
		if ((s->caps_ver = strdup(ver)) == NULL)
			fatal("%s", __func__);
	}
	if ((e = caps_find(ver)) == NULL) {
		e = caps_entry_new(ver);
		caps_ask(e, s, node);
	} else if (e->state == CAPS_ASKED &&
	    time(NULL) - e->asked >= CAPS_RETRY)
		caps_ask(e, s, node);
	if (e->state == CAPS_KNOWN) {
		if (initial || !same)
			pep_caps_ready(s);
	} else if (e->state == CAPS_ASKED && e->nwait < CAPS_WAIT_MAX) {
		e->wait[e->nwait].stream = s->stream;
		e->wait[e->nwait].session = s->id;
		e->nwait++;
	}
	xml_node_free(p);
}

static void
caps_session_end(struct session *s)
{
	free(s->caps_ver);
	s->caps_ver = NULL;
}

/*
 * The verification string (XEP-0115 section 5.1) sorts identities by
 * category, type, xml:lang and name, features and values as they are,
 * fields by var and forms by FORM_TYPE: each by its own parts, never by
 * the string they make ("a-b/" sorts before "a/").  Section 5.4 makes
 * an answer ill-formed that has two equal identities, features or
 * FORM_TYPEs; two fields of one var make the order undefined: the same.
 */
struct caps_ident {
	const char	*v[4];		/* category, type, xml:lang, name */
};

struct caps_pair {
	const char	*key;		/* a var, or a FORM_TYPE */
	char		*str;		/* what follows it, "<" after each */
	char		*own;		/* key, when allocated */
};

static int
caps_ident_cmp(const void *a, const void *b)
{
	const struct caps_ident	*x = a, *y = b;
	int			 i, r;

	for (i = 0; i < 4; i++)
		if ((r = strcmp(x->v[i], y->v[i])) != 0)
			return (r);
	return (0);
}

static int
caps_pair_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct caps_pair *)a)->key,
	    ((const struct caps_pair *)b)->key));
}

/* Sort v (n of size sz) with cmp; -1 when two are equal. */
static int
caps_sort(void *v, size_t n, size_t sz, int (*cmp)(const void *,
    const void *))
{
	size_t	 i;

	qsort(v, n, sz, cmp);
	for (i = 1; i < n; i++)
		if (cmp((char *)v + (i - 1) * sz, (char *)v + i * sz) == 0)
			return (-1);
	return (0);
}

static void
caps_pairs_free(struct caps_pair *p, int n)
{
	while (n-- > 0) {
		free(p[n].str);
		free(p[n].own);
	}
}

/* The values of field f, sorted, each followed by "<"; to free. */
static char *
caps_values(struct xml_node *f)
{
	struct xml_node	*val;
	struct xml_buf	 b;
	char		*v[CAPS_FEAT_MAX];
	int		 n = 0, i, rv = 0;

	TAILQ_FOREACH(val, &f->children, entry) {
		if (!xml_is(val, NS_DATA, "value"))
			continue;
		if (n == CAPS_FEAT_MAX || (v[n] = xml_text(val)) == NULL) {
			rv = -1;
			break;
		}
		n++;
	}
	qsort(v, n, sizeof(*v), caps_strcmp);
	xml_buf_init(&b, 0);
	for (i = 0; i < n; i++)
		if (rv == -1 || xml_buf_addstr(&b, v[i]) == -1 ||
		    xml_buf_addstr(&b, "<") == -1)
			rv = -1;
	while (n-- > 0)
		free(v[n]);
	if (rv == -1 || xml_buf_add(&b, "", 1) == -1) {
		xml_buf_free(&b);
		return (NULL);
	}
	return (b.data);
}

/*
 * The FORM_TYPE of form x, to free, in *ft: 0, or 1 when the form is to
 * be ignored (none, or not a hidden field: section 5.4, step 3.6), -1
 * when the answer is ill-formed (values that differ: 3.5; or two).
 */
static int
caps_form_type(struct xml_node *x, char **ft)
{
	struct xml_node	*f, *val;
	const char	*var, *type = NULL;
	char		*t;
	int		 seen = 0, k;

	*ft = NULL;
	TAILQ_FOREACH(f, &x->children, entry) {
		if (!xml_is(f, NS_DATA, "field") ||
		    (var = xml_get_attr(f, "var")) == NULL ||
		    strcmp(var, "FORM_TYPE") != 0)
			continue;
		if (seen++)
			goto bad;
		type = xml_get_attr(f, "type");
		TAILQ_FOREACH(val, &f->children, entry) {
			if (!xml_is(val, NS_DATA, "value"))
				continue;
			if ((t = xml_text(val)) == NULL)
				goto bad;
			if (*ft == NULL) {
				*ft = t;
				continue;
			}
			k = strcmp(*ft, t);
			free(t);
			if (k != 0)
				goto bad;
		}
	}
	if (*ft != NULL && type != NULL && strcmp(type, "hidden") == 0)
		return (0);
	free(*ft);
	*ft = NULL;
	return (1);
 bad:
	free(*ft);
	*ft = NULL;
	return (-1);
}

/*
 * One extended form (section 5.1, step 6): its FORM_TYPE and, to free,
 * its fields as they go into the verification string.  Returns as
 * caps_form_type().
 */
static int
caps_form(struct xml_node *x, struct caps_pair *form)
{
	struct xml_node	*f;
	struct caps_pair fields[CAPS_FEAT_MAX];
	struct xml_buf	 b;
	const char	*var;
	int		 nf = 0, i, rv;

	form->str = NULL;
	if ((rv = caps_form_type(x, &form->own)) != 0)
		return (rv);
	form->key = form->own;
	rv = -1;
	TAILQ_FOREACH(f, &x->children, entry) {
		if (!xml_is(f, NS_DATA, "field"))
			continue;
		if ((var = xml_get_attr(f, "var")) == NULL ||
		    nf >= CAPS_FEAT_MAX)
			goto out;
		if (strcmp(var, "FORM_TYPE") == 0)
			continue;
		fields[nf].key = var;
		fields[nf].own = NULL;
		if ((fields[nf].str = caps_values(f)) == NULL)
			goto out;
		nf++;
	}
	if (caps_sort(fields, nf, sizeof(*fields), caps_pair_cmp) == -1)
		goto out;
	xml_buf_init(&b, 0);
	for (i = 0; i < nf; i++)
		if (xml_buf_addstr(&b, fields[i].key) == -1 ||
		    xml_buf_addstr(&b, "<") == -1 ||
		    xml_buf_addstr(&b, fields[i].str) == -1) {
			xml_buf_free(&b);
			goto out;
		}
	if (xml_buf_add(&b, "", 1) == -1) {
		xml_buf_free(&b);
		goto out;
	}
	form->str = b.data;
	rv = 0;
 out:
	caps_pairs_free(fields, nf);
	if (rv != 0) {
		free(form->own);
		form->own = NULL;
	}
	return (rv);
}

/*
 * The parts of a disco#info answer: -1 when it is not one a client may
 * send.  Pointers into q; the forms' strings to free.
 */
static int
caps_parts(struct xml_node *q, struct caps_ident *ids, int *ni,
    const char **fs, int *nf, struct caps_pair *forms, int *nfo)
{
	struct xml_node	*c;
	int		 k, i;

	*ni = *nf = *nfo = 0;
	TAILQ_FOREACH(c, &q->children, entry) {
		if (xml_is(c, NS_DISCO_INFO, "identity")) {
			if (*ni >= CAPS_FEAT_MAX)
				return (-1);
			ids[*ni].v[0] = xml_get_attr(c, "category");
			ids[*ni].v[1] = xml_get_attr(c, "type");
			ids[*ni].v[2] = xml_get_attr_ns(c, NS_XML, "lang");
			ids[*ni].v[3] = xml_get_attr(c, "name");
			for (i = 0; i < 4; i++)
				if (ids[*ni].v[i] == NULL)
					ids[*ni].v[i] = "";
			(*ni)++;
		} else if (xml_is(c, NS_DISCO_INFO, "feature")) {
			if (*nf >= CAPS_FEAT_MAX ||
			    (fs[*nf] = xml_get_attr(c, "var")) == NULL)
				return (-1);
			(*nf)++;
		} else if (xml_is(c, NS_DATA, "x")) {
			if (*nfo >= CAPS_FORMS_MAX ||
			    (k = caps_form(c, &forms[*nfo])) == -1)
				return (-1);
			if (k == 0)
				(*nfo)++;
		}
	}
	if (caps_sort(ids, *ni, sizeof(*ids), caps_ident_cmp) == -1 ||
	    caps_sort(fs, *nf, sizeof(*fs), caps_strcmp) == -1 ||
	    caps_sort(forms, *nfo, sizeof(*forms), caps_pair_cmp) == -1)
		return (-1);
	return (0);
}

/*
 * Does a disco#info answer hash to ver (section 5.4)?  If so its
 * features, sorted and taken, in *feat.
 */
static int
caps_verify(struct xml_node *q, const char *ver, char ***feat, int *nfeat)
{
	struct caps_ident *ids;
	struct caps_pair forms[CAPS_FORMS_MAX];
	struct xml_buf	 b;
	const char	**fs;
	unsigned char	 md[SHA_DIGEST_LENGTH];
	char		 h[64], **out;
	int		 ni, nf, nfo = 0, i, k, rv = -1;

	if ((ids = calloc(CAPS_FEAT_MAX, sizeof(*ids))) == NULL ||
	    (fs = calloc(CAPS_FEAT_MAX, sizeof(*fs))) == NULL)
		fatal("%s", __func__);
	xml_buf_init(&b, 0);
	if (caps_parts(q, ids, &ni, fs, &nf, forms, &nfo) == -1)
		goto out;
	for (i = 0; i < ni; i++)
		for (k = 0; k < 4; k++)
			if (xml_buf_addstr(&b, ids[i].v[k]) == -1 ||
			    xml_buf_addstr(&b, k < 3 ? "/" : "<") == -1)
				goto out;
	for (i = 0; i < nf; i++)
		if (xml_buf_addstr(&b, fs[i]) == -1 ||
		    xml_buf_addstr(&b, "<") == -1)
			goto out;
	for (i = 0; i < nfo; i++)
		if (xml_buf_addstr(&b, forms[i].key) == -1 ||
		    xml_buf_addstr(&b, "<") == -1 ||
		    xml_buf_addstr(&b, forms[i].str) == -1)
			goto out;
	SHA1((unsigned char *)b.data, b.len, md);
	if (base64_encode(md, sizeof(md), h, sizeof(h)) <= 0 ||
	    strcmp(h, ver) != 0)
		goto out;
	if ((out = calloc(nf > 0 ? nf : 1, sizeof(*out))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < nf; i++)
		if ((out[i] = strdup(fs[i])) == NULL)
			fatal("%s", __func__);
	*feat = out;
	*nfeat = nf;
	rv = 0;
 out:
	caps_pairs_free(forms, nfo);
	xml_buf_free(&b);
	free(ids);
	free(fs);
	return (rv);
}

/*
 * The answer m of who to e, asked: kept if it hashes to e's ver, and
 * those waiting for it told; forgotten if not (section 5.4: a wrong
 * answer poisons nothing, the next one with the hash is asked).
 */
static void
caps_answered(struct caps_entry *e, struct stanza_msg *m, const char *who)
{
	struct xml_node		*n, *q;
	struct session		*s;
	struct caps_remote	*r, *nr;
	int			 i;

	e->id[0] = '\0';
	e->state = CAPS_BAD;	/* until verified */
	if (strcmp(m->type, "result") == 0 &&
	    (n = router_parse(m->xml, m->xmllen, NS_CLIENT)) != NULL) {
		if ((q = xml_find_child(n, NS_DISCO_INFO, "query")) != NULL &&
		    caps_verify(q, e->ver, &e->features, &e->nfeatures) == 0)
			e->state = CAPS_KNOWN;
		xml_node_free(n);
	}
	if (e->state != CAPS_KNOWN) {
		log_info("caps: %s sent a disco#info not matching %s", who,
		    e->ver);
		caps_entry_free(e);
		return;
	}
	for (i = 0; i < e->nwait; i++)
		if ((s = session_find_id(e->wait[i].stream,
		    e->wait[i].session)) != NULL && s->caps_ver != NULL &&
		    strcmp(s->caps_ver, e->ver) == 0)
			pep_caps_ready(s);
	e->nwait = 0;
	/* pep_remote_ready() may not touch the list. */
	TAILQ_FOREACH_SAFE(r, &caps_remotes, lru, nr)
		if (strcmp(r->ver, e->ver) == 0)
			pep_remote_ready(r->user, r->jid);
}

/*
 * An IQ result or error to the server: the answer to one of our
 * disco#info questions, or nothing we asked (ignored).
 */
void
caps_client_result(struct session *from, struct stanza_msg *m)
{
	struct caps_entry	*e;

	/* Only the session asked answers: another's answer is not read. */
	TAILQ_FOREACH(e, &caps_cache, lru)
		if (e->state == CAPS_ASKED && e->rjid == NULL &&
		    strcmp(e->id, m->id) == 0 && e->stream == from->stream &&
		    e->session == from->id)
			break;
	if (e != NULL)
		caps_answered(e, m, from->full);
}

/*
 * An IQ result or error from a remote server to one of our domains:
 * the answer of the resource asked, to the name it was asked from,
 * with the id sent; any other is not read.
 */
void
caps_remote_result(struct stanza_msg *m)
{
	struct caps_entry	*e;

	TAILQ_FOREACH(e, &caps_cache, lru)
		if (e->state == CAPS_ASKED && e->rjid != NULL &&
		    strcmp(e->id, m->id) == 0 &&
		    strcmp(e->rjid, m->from) == 0 &&
		    strcmp(e->rfrom, m->to) == 0)
			break;
	if (e == NULL) {
		log_info("caps: an iq %s from %s to %s not asked", m->type,
		    m->from, m->to);
		return;
	}
	caps_answered(e, m, m->from);
}

static void
caps_remote_free(struct caps_remote *r)
{
	TAILQ_REMOVE(&caps_remotes, r, lru);
	caps_nremote--;
	free(r->jid);
	free(r->user);
	free(r);
}

static struct caps_remote *
caps_remote_find(const char *jid, const char *user)
{
	struct caps_remote	*r;

	TAILQ_FOREACH(r, &caps_remotes, lru)
		if (strcmp(r->jid, jid) == 0 && strcmp(r->user, user) == 0)
			return (r);
	return (NULL);
}

/* The questions open to the resources of one remote domain. */
static int
caps_peer_asks(const char *domain)
{
	struct caps_entry	*e;
	struct jid		 j;
	int			 n = 0;

	TAILQ_FOREACH(e, &caps_cache, lru)
		if (e->state == CAPS_ASKED && e->rjid != NULL &&
		    jid_parse(e->rjid, &j) == 0 &&
		    strcmp(j.domain, domain) == 0)
			n++;
	return (n);
}

/*
 * Ask remote resource jid, available to a user of domain ours, the
 * disco#info of node#ver over federation; a domain has a few questions
 * open at most, so that its resources' hashes do not push all others
 * out of the cache.
 */
static void
caps_ask_remote(struct caps_entry *e, const char *jid, const char *ours,
    const char *node)
{
	struct xml_node	*iq;

	if ((e->rjid = strdup(jid)) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(e->rfrom, ours, sizeof(e->rfrom));
	e->stream = -1;
	e->session = 0;
	if ((iq = caps_question(e, ours, jid, node)) == NULL ||
	    s2s_send_node(iq) == -1)
		log_info("caps: no disco#info question to %s", jid);
	xml_node_free(iq);
}

/* The hash ver of remote resource jid to the user of domain ours. */
static struct caps_entry *
caps_remote_hash(const char *jid, const char *domain, const char *ours,
    const char *ver, const char *node)
{
	struct caps_entry	*e;

	if ((e = caps_find(ver)) != NULL && (e->state != CAPS_ASKED ||
	    time(NULL) - e->asked < CAPS_RETRY))
		return (e);
	if (caps_peer_asks(domain) >= CAPS_PEER_ASKS) {
		log_info("caps: %s has too many questions open, %s not asked",
		    domain, jid);
		return (e);
	}
	if (e == NULL)
		e = caps_entry_new(ver);
	free(e->rjid);
	e->rjid = NULL;
	caps_ask_remote(e, jid, ours, node);
	return (e);
}

/*
 * Presence from a remote resource to a user of ours, available or
 * unavailable (the stream proved its domain): what it is available
 * with, its hash asked the first time it is seen, and once the hash is
 * known the user's last items to it (XEP-0163 section 4.3.3).
 */
void
caps_remote_presence(struct stanza_msg *m)
{
	struct caps_remote	*r;
	struct caps_entry	*e;
	struct xml_node		*p = NULL;
	struct jid		 f, t;
	char			 user[CONF_JIDLEN];
	const char		*ver = "", *node = NULL;
	int			 fresh;

	if (jid_parse(m->from, &f) == -1 || f.resource[0] == '\0' ||
	    jid_parse(m->to, &t) == -1 || t.local[0] == '\0' ||
	    jid_bare(&t, user, sizeof(user)) >= sizeof(user))
		return;
	r = caps_remote_find(m->from, user);
	if (strcmp(m->type, "unavailable") == 0) {
		if (r != NULL)
			caps_remote_free(r);
		return;
	}
	if (m->type[0] != '\0')
		return;
	/* Not read, or no caps: available, asking for no events. */
	if ((p = router_parse(m->xml, m->xmllen, NS_CLIENT)) == NULL ||
	    caps_of(p, &ver, &node) == -1)
		ver = "";
	if ((fresh = r == NULL)) {
		if (caps_nremote >= CAPS_REMOTE_MAX)
			caps_remote_free(TAILQ_LAST(&caps_remotes, caps_rlru));
		if ((r = calloc(1, sizeof(*r))) == NULL ||
		    (r->jid = strdup(m->from)) == NULL ||
		    (r->user = strdup(user)) == NULL)
			fatal("%s", __func__);
		caps_nremote++;
	} else {
		TAILQ_REMOVE(&caps_remotes, r, lru);
		fresh = strcmp(r->ver, ver) != 0;
	}
	TAILQ_INSERT_HEAD(&caps_remotes, r, lru);
	(void)strlcpy(r->ver, ver, sizeof(r->ver));
	if (*ver != '\0' && (e = caps_remote_hash(m->from, f.domain,
	    t.domain, ver, node)) != NULL && e->state == CAPS_KNOWN && fresh)
		pep_remote_ready(user, m->from);
	xml_node_free(p);
}

/* Does remote resource jid want events of node? */
int
caps_remote_notify(const char *jid, const char *node)
{
	struct caps_remote	*r;

	TAILQ_FOREACH(r, &caps_remotes, lru)
		if (strcmp(r->jid, jid) == 0 && r->ver[0] != '\0')
			return (caps_wants(r->ver, node));
	return (0);
}

/*
 * fn for each resource of remote bare JID bare known available that
 * wants events of node, once each.  Returns how many of its resources
 * are known available, wanting or not.
 */
int
caps_remote_each(const char *bare, const char *node,
    void (*fn)(const char *, void *), void *arg)
{
	struct caps_remote	*r, *o;
	struct jid		 j;
	char			 b[CONF_JIDLEN];
	int			 n = 0;

	TAILQ_FOREACH(r, &caps_remotes, lru) {
		if (jid_parse(r->jid, &j) == -1 ||
		    jid_bare(&j, b, sizeof(b)) >= sizeof(b) ||
		    strcmp(b, bare) != 0)
			continue;
		for (o = TAILQ_FIRST(&caps_remotes); o != r;
		    o = TAILQ_NEXT(o, lru))
			if (strcmp(o->jid, r->jid) == 0)
				break;
		if (o != r)
			continue;	/* seen */
		n++;
		if (r->ver[0] != '\0' && caps_wants(r->ver, node))
			fn(r->jid, arg);
	}
	return (n);
}

const struct router_hooks caps_client_hooks = {
	caps_session_end, caps_available, NULL
};
