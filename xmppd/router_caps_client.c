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
 * wants ("NODE+notify", XEP-0163 section 4.3.3).
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
#define CAPS_WAIT_MAX	32	/* sessions waiting for one answer */
#define CAPS_RETRY	60	/* seconds before asking again */
#define CAPS_VER_MAX	64

enum caps_state { CAPS_ASKED, CAPS_KNOWN, CAPS_BAD };

struct caps_entry {
	TAILQ_ENTRY(caps_entry)	 lru;
	char			 ver[CAPS_VER_MAX];
	int			 state;
	time_t			 asked;
	char			 id[32];	/* of our disco#info */
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
static uint32_t			 caps_seq;

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

/* Does session s want events of node? */
int
caps_client_notify(struct session *s, const char *node)
{
	struct caps_entry	*e;
	char			 want[512], *k = want;

	if (s->caps_ver == NULL || (e = caps_find(s->caps_ver)) == NULL ||
	    e->state != CAPS_KNOWN)
		return (0);
	if (snprintf(want, sizeof(want), "%s+notify", node) >=
	    (int)sizeof(want))
		return (0);
	return (bsearch(&k, e->features, e->nfeatures, sizeof(char *),
	    caps_strcmp) != NULL);
}

/* Ask s for the disco#info of node#ver. */
static void
caps_ask(struct caps_entry *e, struct session *s, const char *node)
{
	struct xml_node	*iq, *q;
	struct imsgev	*iev;
	char		 n[1024];

	(void)snprintf(e->id, sizeof(e->id), "caps%u", ++caps_seq);
	e->asked = time(NULL);
	e->state = CAPS_ASKED;
	e->nwait = 0;
	if ((iev = proc_peer(PROC_STREAM, s->stream)) == NULL ||
	    (iq = xml_node_new(NS_CLIENT, "iq")) == NULL)
		return;
	xml_set_attr(iq, "type", "get");
	xml_set_attr(iq, "id", e->id);
	xml_set_attr(iq, "from", s->user->domain);
	xml_set_attr(iq, "to", s->full);
	if ((q = xml_add_child(iq, NS_DISCO_INFO, "query")) != NULL &&
	    snprintf(n, sizeof(n), "%s#%s", node, e->ver) < (int)sizeof(n))
		xml_set_attr(q, "node", n);
	(void)stanza_send(iev, s->id, s->id, iq, NS_CLIENT);
	xml_node_free(iq);
}

/* A session became available or changed its presence. */
static void
caps_available(struct session *s, int initial)
{
	struct caps_entry	*e;
	struct xml_node		*p, *c;
	const char		*ver, *node, *hash;
	int			 same;

	if ((p = router_parse(s->presence, s->presencelen, NS_CLIENT)) ==
	    NULL)
		return;
	c = xml_find_child(p, NS_CAPS, "c");
	ver = c != NULL ? xml_get_attr(c, "ver") : NULL;
	node = c != NULL ? xml_get_attr(c, "node") : NULL;
	hash = c != NULL ? xml_get_attr(c, "hash") : NULL;
	/* Only the hashed form (section 5); legacy caps are ignored. */
	if (ver == NULL || node == NULL || hash == NULL ||
	    strcmp(hash, "sha-1") != 0 || strlen(ver) >= CAPS_VER_MAX ||
	    strlen(node) > 512) {
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
		if (caps_n >= CAPS_CACHE_MAX)
			caps_entry_free(TAILQ_LAST(&caps_cache, caps_lru));
		if ((e = calloc(1, sizeof(*e))) == NULL)
			fatal("%s", __func__);
		(void)strlcpy(e->ver, ver, sizeof(e->ver));
		TAILQ_INSERT_HEAD(&caps_cache, e, lru);
		caps_n++;
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

/* Strings sorted, with "<" after each, onto b; -1 on duplicates. */
static int
caps_add_sorted(struct xml_buf *b, char **v, int n, int dup_ok)
{
	int	 i;

	qsort(v, n, sizeof(char *), caps_strcmp);
	for (i = 0; i < n; i++) {
		if (!dup_ok && i > 0 && strcmp(v[i - 1], v[i]) == 0)
			return (-1);
		if (xml_buf_addstr(b, v[i]) == -1 ||
		    xml_buf_addstr(b, "<") == -1)
			return (-1);
	}
	return (0);
}

static void
caps_strv_free(char **v, int n)
{
	while (n-- > 0)
		free(v[n]);
}

/* One extended form (section 5.4, step 3.6): its string, in *out. */
static int
caps_form(struct xml_node *x, char **out)
{
	struct xml_node	*f, *val;
	struct xml_buf	 b, fb;
	char		*fields[CAPS_FEAT_MAX], *vals[CAPS_FEAT_MAX], *t;
	char		*form_type = NULL;
	int		 nf = 0, nv, i, rv = -1;
	const char	*var;

	xml_buf_init(&b, 0);
	TAILQ_FOREACH(f, &x->children, entry) {
		if (!xml_is(f, NS_DATA, "field"))
			continue;
		if ((var = xml_get_attr(f, "var")) == NULL || nf >= CAPS_FEAT_MAX)
			goto out;
		if (strcmp(var, "FORM_TYPE") == 0) {
			if (form_type != NULL || (form_type = xml_child_text(f,
			    NS_DATA, "value")) == NULL)
				goto out;
			continue;
		}
		/* "var<" then each value "<", values sorted. */
		xml_buf_init(&fb, 0);
		nv = 0;
		TAILQ_FOREACH(val, &f->children, entry)
			if (xml_is(val, NS_DATA, "value") &&
			    nv < CAPS_FEAT_MAX && (t = xml_text(val)) != NULL)
				vals[nv++] = t;
		if (xml_buf_addstr(&fb, var) == -1 ||
		    xml_buf_addstr(&fb, "<") == -1 ||
		    caps_add_sorted(&fb, vals, nv, 1) == -1 ||
		    xml_buf_add(&fb, "", 1) == -1) {
			caps_strv_free(vals, nv);
			xml_buf_free(&fb);
			goto out;
		}
		caps_strv_free(vals, nv);
		fields[nf++] = fb.data;
	}
	if (form_type == NULL || xml_buf_addstr(&b, form_type) == -1 ||
	    xml_buf_addstr(&b, "<") == -1)
		goto out;
	/* Fields sort by var: "var<" sorts as var does here. */
	if (caps_add_sorted(&b, fields, nf, 0) == -1 ||
	    xml_buf_add(&b, "", 1) == -1)
		goto out;
	*out = b.data;
	b.data = NULL;
	rv = 0;
 out:
	for (i = 0; i < nf; i++)
		free(fields[i]);
	free(form_type);
	xml_buf_free(&b);
	return (rv);
}

/*
 * The verification string of a disco#info answer (section 5.1) and its
 * SHA-1, base64; its features (taken) in *feat.  -1 when the answer is
 * not one a client may send (duplicates, section 5.4).
 */
static int
caps_verify(struct xml_node *q, const char *ver, char ***feat, int *nfeat)
{
	struct xml_node	*c;
	struct xml_buf	 b, ib;
	char		*ids[CAPS_FEAT_MAX], **fs, *forms[16];
	const char	*cat, *type, *lang, *name;
	unsigned char	 md[SHA_DIGEST_LENGTH];
	char		 h[64];
	int		 ni = 0, nf = 0, nfo = 0, rv = -1;

	if ((fs = calloc(CAPS_FEAT_MAX, sizeof(char *))) == NULL)
		fatal("%s", __func__);
	xml_buf_init(&b, 0);
	TAILQ_FOREACH(c, &q->children, entry) {
		if (xml_is(c, NS_DISCO_INFO, "identity")) {
			if (ni >= CAPS_FEAT_MAX)
				goto out;
			cat = xml_get_attr(c, "category");
			type = xml_get_attr(c, "type");
			lang = xml_get_attr_ns(c, NS_XML, "lang");
			name = xml_get_attr(c, "name");
			xml_buf_init(&ib, 0);
			if (xml_buf_addstr(&ib, cat ? cat : "") == -1 ||
			    xml_buf_addstr(&ib, "/") == -1 ||
			    xml_buf_addstr(&ib, type ? type : "") == -1 ||
			    xml_buf_addstr(&ib, "/") == -1 ||
			    xml_buf_addstr(&ib, lang ? lang : "") == -1 ||
			    xml_buf_addstr(&ib, "/") == -1 ||
			    xml_buf_addstr(&ib, name ? name : "") == -1 ||
			    xml_buf_add(&ib, "", 1) == -1) {
				xml_buf_free(&ib);
				goto out;
			}
			ids[ni++] = ib.data;
		} else if (xml_is(c, NS_DISCO_INFO, "feature")) {
			if (nf >= CAPS_FEAT_MAX ||
			    xml_get_attr(c, "var") == NULL)
				goto out;
			if ((fs[nf++] = strdup(xml_get_attr(c, "var"))) ==
			    NULL)
				fatal("%s", __func__);
		} else if (xml_is(c, NS_DATA, "x")) {
			if (nfo >= (int)nitems(forms) ||
			    caps_form(c, &forms[nfo]) == -1)
				goto out;
			nfo++;
		}
	}
	if (caps_add_sorted(&b, ids, ni, 0) == -1 ||
	    caps_add_sorted(&b, fs, nf, 0) == -1)
		goto out;
	/* Forms sort by FORM_TYPE, which starts each string. */
	qsort(forms, nfo, sizeof(char *), caps_strcmp);
	for (ni = 0; ni < nfo; ni++)
		if (xml_buf_addstr(&b, forms[ni]) == -1)
			goto out;
	SHA1((unsigned char *)b.data, b.len, md);
	if (base64_encode(md, sizeof(md), h, sizeof(h)) <= 0 ||
	    strcmp(h, ver) != 0)
		goto out;
	*feat = fs;
	*nfeat = nf;
	fs = NULL;
	rv = 0;
 out:
	while (ni-- > 0)
		free(ids[ni]);
	while (nfo-- > 0)
		free(forms[nfo]);
	if (fs != NULL) {
		caps_strv_free(fs, nf);
		free(fs);
	}
	xml_buf_free(&b);
	return (rv);
}

/*
 * An IQ result or error to the server: the answer to one of our
 * disco#info questions, or nothing we asked (ignored).
 */
void
caps_client_result(struct session *from, struct stanza_msg *m)
{
	struct caps_entry	*e;
	struct xml_node		*n, *q;
	struct session		*s;
	int			 i;

	TAILQ_FOREACH(e, &caps_cache, lru)
		if (e->state == CAPS_ASKED && strcmp(e->id, m->id) == 0)
			break;
	if (e == NULL)
		return;
	e->id[0] = '\0';
	e->state = CAPS_BAD;	/* until verified */
	if (strcmp(m->type, "result") == 0 &&
	    (n = router_parse(m->xml, m->xmllen, NS_CLIENT)) != NULL) {
		if ((q = xml_find_child(n, NS_DISCO_INFO, "query")) != NULL &&
		    caps_verify(q, e->ver, &e->features, &e->nfeatures) == 0)
			e->state = CAPS_KNOWN;
		xml_node_free(n);
	}
	if (e->state != CAPS_KNOWN)
		log_debug("caps: %s sent a disco#info not matching %s",
		    from->full, e->ver);
	/* A wrong answer poisons nothing: the next client is asked. */
	if (e->state != CAPS_KNOWN) {
		caps_entry_free(e);
		return;
	}
	for (i = 0; i < e->nwait; i++)
		if ((s = session_find_id(e->wait[i].stream,
		    e->wait[i].session)) != NULL && s->caps_ver != NULL &&
		    strcmp(s->caps_ver, e->ver) == 0)
			pep_caps_ready(s);
	e->nwait = 0;
}

const struct router_hooks caps_client_hooks = {
	caps_session_end, caps_available, NULL
};
