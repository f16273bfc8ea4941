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
 * xmppctl import: a XEP-0227 file, parsed here, as the admin who runs
 * the command, where nothing is at stake.  Expat reads it with no DTD,
 * no entity declared or expanded, nothing fetched (XInclude neither),
 * bounded depth and element sizes.  A first pass reads the whole file:
 * if it is not well-formed, or outgrows a bound, nothing is imported
 * and the line is named.  The second sends each user's records to the
 * store, which writes a user whole or not at all, and reports.
 * Archived messages are not kept until the user's end: each goes as
 * soon as it is read, and every PIE_WINDOW bytes xmppctl waits for the
 * store to set them aside (FLUSH), so that neither xmppctl nor the
 * processes between hold more than a window of a user's archive.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/uio.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "compat.h"
#include "config.h"
#include "imsg.h"
#include "jid.h"
#include "mam.h"
#include "pie.h"
#include "scram.h"
#include "xml.h"
#include "xmlread.h"
#include "xmppctl.h"

#define PIE_DEPTH_MAX	64	/* element depth in the file */
#define PIE_ATTRS_MAX	64	/* attributes of an element */
#define PIE_PEP_ITEMS	256	/* a node's max_items at most */

enum pie_ctx {
	C_NONE, C_ROOT, C_HOST, C_USER, C_ROSTER, C_PRIVATE, C_OFFLINE,
	C_ARCHIVE, C_PUBSUB, C_ITEMS, C_OWNER, C_TREE,
};

/* Records go to the store in this order: a PEP item after its node. */
enum pie_class {
	K_CRED, K_ROSTER, K_XML, K_PEPCONF, K_PEPITEM, K_OFFLINE, K_ARCHIVE,
	K_PENDING, K_MAX
};

struct prec {
	TAILQ_ENTRY(prec)	 entry;
	struct pie_rec		 r;
	char			*s[3];
	size_t			 l[3];
};
TAILQ_HEAD(precs, prec);

struct pnote {
	TAILQ_ENTRY(pnote)	 entry;
	int			 line;
	char			 text[256];
};

struct puser {
	char			 jid[CONF_JIDLEN];
	struct jid		 j;
	int			 line;
	int			 bad, badline;
	char			 why[256];
	size_t			 bytes;
	int			 sent;		/* PIE_USER is */
	int			 given_up;	/* by the store */
	size_t			 winbytes;	/* archive since a FLUSH */
	int			 winrecs;
	struct precs		 recs[K_MAX];
	TAILQ_HEAD(, pnote)	 notes;
};

struct seen {
	RB_ENTRY(seen)		 node;
	char			*jid;
	int			 line;
};
RB_HEAD(seens, seen);

struct pie_parse {
	struct xmlread		 xr;
	int			 send;		/* pass 2 */
	struct imsgbuf		*ib;
	int			 depth;
	int			 ctx[PIE_DEPTH_MAX + 2];
	char			 node[XS_KEY_MAX];	/* <items node=''/> */
	char			 host[CONF_NAMELEN];
	int			 hostok;
	struct xml_node		*tree, *cur;
	int			 tree_line;
	int			 tree_parent;	/* the container's kind */
	long			 tree_start;
	struct puser		*u;
	struct seens		 seen;
	int			 nusers, imported, exists, refused;
};

static int
seen_cmp(struct seen *a, struct seen *b)
{
	return (strcmp(a->jid, b->jid));
}
RB_GENERATE_STATIC(seens, seen, node, seen_cmp);

static void
pie_stop(struct pie_parse *pp, const char *why)
{
	xmlread_stop(&pp->xr, why);
}

/* User records */

static void
pie_user_bad(struct puser *u, int line, const char *why)
{
	if (u == NULL || u->bad)
		return;
	u->bad = 1;
	u->badline = line;
	(void)strlcpy(u->why, why, sizeof(u->why));
}

static void
pie_user_note(struct pie_parse *pp, int line, const char *what,
    const char *why)
{
	struct pnote	*n;

	if (pp->u == NULL || !pp->send)
		return;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		err(1, NULL);
	n->line = line;
	(void)snprintf(n->text, sizeof(n->text), "%s skipped: %s", what, why);
	TAILQ_INSERT_TAIL(&pp->u->notes, n, entry);
}

static struct prec *
pie_add(struct pie_parse *pp, int class, int type, int line)
{
	struct prec	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		err(1, NULL);
	r->r.type = type;
	r->r.line = line;
	TAILQ_INSERT_TAIL(&pp->u->recs[class], r, entry);
	return (r);
}

/* Give r its i-th string (copied; len -1: a C string). */
static void
pie_str(struct pie_parse *pp, struct prec *r, int i, const void *s,
    ssize_t len)
{
	size_t	 n = len < 0 ? strlen(s) : (size_t)len;

	if ((r->s[i] = malloc(n + 1)) == NULL)
		err(1, NULL);
	memcpy(r->s[i], s, n);
	r->s[i][n] = '\0';
	r->l[i] = n;
	if ((pp->u->bytes += n) > PIE_USER_MAX)
		pie_user_bad(pp->u, r->r.line, "the user's data is too big");
	if (n > PIE_REC_MAX)
		pie_user_bad(pp->u, r->r.line, "an element is too big");
}

/* n serialized in the namespace ns (NULL: its own, written). */
static int
pie_xml_str(struct pie_parse *pp, struct prec *r, int i,
    const struct xml_node *n, const char *ns)
{
	struct xml_buf	 b;

	xml_buf_init(&b, PIE_REC_MAX);
	if (xml_serialize(n, ns, &b) == -1) {
		xml_buf_free(&b);
		pie_user_bad(pp->u, r->r.line, "an element cannot be kept");
		return (-1);
	}
	pie_str(pp, r, i, b.data, b.len);
	xml_buf_free(&b);
	return (0);
}

static void
prec_free(struct prec *r)
{
	int	 i;

	for (i = 0; i < 3; i++)
		if (r->s[i] != NULL)
			freezero(r->s[i], r->l[i] + 1);
	free(r);
}

static void
puser_free(struct puser *u)
{
	struct prec	*r;
	struct pnote	*n;
	int		 k;

	if (u == NULL)
		return;
	for (k = 0; k < K_MAX; k++)
		while ((r = TAILQ_FIRST(&u->recs[k])) != NULL) {
			TAILQ_REMOVE(&u->recs[k], r, entry);
			prec_free(r);
		}
	while ((n = TAILQ_FIRST(&u->notes)) != NULL) {
		TAILQ_REMOVE(&u->notes, n, entry);
		free(n);
	}
	free(u);
}

/* Converters: one element of the file into records. */

static int
pie_b64(const struct xml_node *n, const char *name, uint8_t *out,
    size_t max, size_t *len)
{
	char	*t;
	int	 l;

	if ((t = xml_child_text(n, NS_PIE_SCRAM, name)) == NULL)
		return (-1);
	l = base64_decode(t, strlen(t), out, max);
	free(t);
	if (l <= 0)
		return (-1);
	*len = l;
	return (0);
}

static void
pie_scram(struct pie_parse *pp, struct xml_node *n, int line)
{
	uint8_t		 salt[SCRAM_SALTMAX], sk[SCRAM_KEYMAX], vk[SCRAM_KEYMAX];
	size_t		 sl, skl, vkl;
	const char	*mech = xml_get_attr(n, "mechanism"), *errstr;
	struct prec	*r;
	char		*it;
	int		 hash, iter;

	if (mech != NULL && strcmp(mech, "SCRAM-SHA-1") == 0)
		hash = SCRAM_SHA1;
	else if (mech != NULL && strcmp(mech, "SCRAM-SHA-256") == 0)
		hash = SCRAM_SHA256;
	else {
		pie_user_note(pp, line, "SCRAM credentials",
		    "a mechanism this server does not offer");
		return;
	}
	it = xml_child_text(n, NS_PIE_SCRAM, "iter-count");
	iter = it == NULL ? 0 : strtonum(it, SCRAM_ITER_MIN, SCRAM_ITER_MAX,
	    &errstr);
	free(it);
	if (iter == 0 || pie_b64(n, "salt", salt, sizeof(salt), &sl) == -1 ||
	    pie_b64(n, "stored-key", sk, sizeof(sk), &skl) == -1 ||
	    pie_b64(n, "server-key", vk, sizeof(vk), &vkl) == -1 ||
	    skl != scram_hashlen(hash) || vkl != skl) {
		pie_user_bad(pp->u, line, "SCRAM credentials incomplete or "
		    "malformed");
		return;
	}
	r = pie_add(pp, K_CRED, PIE_SCRAM, line);
	r->r.hash = hash;
	r->r.iter = iter;
	pie_str(pp, r, 0, salt, sl);
	pie_str(pp, r, 1, sk, skl);
	pie_str(pp, r, 2, vk, vkl);
	explicit_bzero(sk, sizeof(sk));
	explicit_bzero(vk, sizeof(vk));
}

static const char *const pie_subs[] = { "none", "to", "from", "both" };

static void
pie_roster_item(struct pie_parse *pp, struct xml_node *n, int line)
{
	struct xml_node	*c;
	struct prec	*r;
	struct jid	 j;
	struct xml_buf	 g;
	const char	*v;
	char		*t;
	size_t		 i;
	int		 sub = SUB_NONE;

	if (!xml_is(n, NS_ROSTER, "item") || (v = xml_get_attr(n, "jid")) ==
	    NULL || jid_parse(v, &j) == -1 || j.resource[0] != '\0') {
		pie_user_bad(pp->u, line, "roster item: not a bare JID");
		return;
	}
	if ((v = xml_get_attr(n, "subscription")) != NULL) {
		for (i = 0; i < nitems(pie_subs); i++)
			if (strcmp(v, pie_subs[i]) == 0)
				break;
		if (i == nitems(pie_subs)) {
			pie_user_note(pp, line, "roster item",
			    "its subscription is not one of none, to, from, "
			    "both");
			return;
		}
		sub = i;
	}
	r = pie_add(pp, K_ROSTER, PIE_ROSTER, line);
	(void)jid_bare(&j, r->r.jid, sizeof(r->r.jid));
	r->r.sub = sub;
	r->r.ask = (v = xml_get_attr(n, "ask")) != NULL &&
	    strcmp(v, "subscribe") == 0;
	r->r.in_roster = 1;
	v = xml_get_attr(n, "name");
	pie_str(pp, r, 0, v != NULL ? v : "", -1);
	xml_buf_init(&g, 0);
	TAILQ_FOREACH(c, &n->children, entry) {
		if (!xml_is(c, NS_ROSTER, "group") ||
		    (t = xml_text(c)) == NULL)
			continue;
		if (strchr(t, '\n') != NULL || t[0] == '\0')
			pie_user_bad(pp->u, line, "roster item: a group name "
			    "empty or holding a line feed");
		else if ((g.len > 0 && xml_buf_add(&g, "\n", 1) == -1) ||
		    xml_buf_addstr(&g, t) == -1)
			err(1, NULL);
		free(t);
	}
	pie_str(pp, r, 1, g.len > 0 ? g.data : "", g.len);
	xml_buf_free(&g);
	pie_str(pp, r, 2, "", 0);
}

/* <presence type='subscribe'/>: a request the user has not answered. */
static void
pie_pending(struct pie_parse *pp, struct xml_node *n, int line)
{
	struct prec	*r;
	struct jid	 j;
	const char	*v;

	if ((v = xml_get_attr(n, "type")) == NULL ||
	    strcmp(v, "subscribe") != 0 ||
	    (v = xml_get_attr(n, "from")) == NULL || jid_parse(v, &j) == -1) {
		pie_user_note(pp, line, "presence", "not a subscription "
		    "request with a sender");
		return;
	}
	r = pie_add(pp, K_PENDING, PIE_ROSTER, line);
	(void)jid_bare(&j, r->r.jid, sizeof(r->r.jid));
	(void)pie_xml_str(pp, r, 2, n, NS_CLIENT);
}

static void
pie_xml_item(struct pie_parse *pp, int class, struct xml_node *n,
    int line, const char *space, const char *key)
{
	struct prec	*r;

	r = pie_add(pp, class, PIE_XML, line);
	if (strlcpy(r->r.space, space, sizeof(r->r.space)) >=
	    sizeof(r->r.space) || strlcpy(r->r.key, key, sizeof(r->r.key)) >=
	    sizeof(r->r.key))
		pie_user_bad(pp->u, line, "a name too long");
	(void)pie_xml_str(pp, r, 0, n, NULL);
}

/* XEP-0049 section 3: never the namespaces of the stream itself. */
static void
pie_private(struct pie_parse *pp, struct xml_node *n, int line)
{
	char	 key[XS_KEY_MAX];

	if (n->ns[0] == '\0' || strcmp(n->ns, NS_CLIENT) == 0 ||
	    strcmp(n->ns, NS_SERVER) == 0 || strcmp(n->ns, NS_PRIVATE) == 0 ||
	    (size_t)snprintf(key, sizeof(key), "%s %s", n->ns, n->name) >=
	    sizeof(key)) {
		pie_user_note(pp, line, "private XML", "a namespace "
		    "private storage refuses");
		return;
	}
	pie_xml_item(pp, K_XML, n, line, "private", key);
}

static void
pie_pep_item(struct pie_parse *pp, struct xml_node *n, int line)
{
	struct xml_node	*payload;
	char		 space[XS_SPACE_MAX];
	const char	*id;

	if (!xml_is(n, NS_PUBSUB, "item") || pp->node[0] == '\0' ||
	    (id = xml_get_attr(n, "id")) == NULL || id[0] == '\0' ||
	    (payload = xml_first_child(n)) == NULL) {
		pie_user_note(pp, line, "PEP item", "no node, id or payload");
		return;
	}
	if ((size_t)snprintf(space, sizeof(space), "pep/%s", pp->node) >=
	    sizeof(space)) {
		pie_user_bad(pp->u, line, "a PEP node name too long");
		return;
	}
	pie_xml_item(pp, K_PEPITEM, payload, line, space, id);
}

/* A node's configuration form: what this server keeps of it. */
static void
pie_pep_conf(struct pie_parse *pp, struct xml_node *n, int line)
{
	struct xml_node	*x, *f, *conf;
	const char	*node = xml_get_attr(n, "node"), *var, *errstr;
	char		*v, max[16];
	int		 m;

	if (!xml_is(n, NS_PUBSUB_OWNER, "configure") || node == NULL ||
	    node[0] == '\0') {
		pie_user_note(pp, line, "PEP node data", "only a node's "
		    "configuration is imported");
		return;
	}
	if ((conf = xml_node_new(NS_PEP_CONF, "conf")) == NULL ||
	    xml_set_attr(conf, "access", "presence") == -1 ||
	    xml_set_attr(conf, "max", "1") == -1)
		err(1, NULL);
	if ((x = xml_find_child(n, NS_DATA, "x")) != NULL)
		TAILQ_FOREACH(f, &x->children, entry) {
			if (!xml_is(f, NS_DATA, "field") ||
			    (var = xml_get_attr(f, "var")) == NULL ||
			    (v = xml_child_text(f, NS_DATA, "value")) == NULL)
				continue;
			if (strcmp(var, "pubsub#access_model") == 0 &&
			    (strcmp(v, "open") == 0 ||
			    strcmp(v, "presence") == 0 ||
			    strcmp(v, "whitelist") == 0))
				(void)xml_set_attr(conf, "access", v);
			else if (strcmp(var, "pubsub#max_items") == 0) {
				m = strcmp(v, "max") == 0 ? PIE_PEP_ITEMS :
				    strtonum(v, 1, PIE_PEP_ITEMS, &errstr);
				(void)snprintf(max, sizeof(max), "%d",
				    m == 0 ? PIE_PEP_ITEMS : m);
				(void)xml_set_attr(conf, "max", max);
			} else if (strcmp(var,
			    "pubsub#send_last_published_item") == 0 &&
			    strcmp(v, "never") == 0)
				(void)xml_set_attr(conf, "last", v);
			else if (strcmp(var, "pubsub#itemreply") == 0 &&
			    strcmp(v, "publisher") == 0)
				(void)xml_set_attr(conf, "reply", v);
			free(v);
		}
	pie_xml_item(pp, K_PEPCONF, conf, line, "pep", node);
	xml_node_free(conf);
}

/* The time stamp of a XEP-0203 delay in n; 0 when there is none. */
static int64_t
pie_delay(const struct xml_node *n)
{
	struct xml_node	*d;
	const char	*s;
	int64_t		 t;

	if ((d = xml_find_child(n, NS_DELAY_, "delay")) == NULL ||
	    (s = xml_get_attr(d, "stamp")) == NULL || mam_time(s, &t) == -1)
		return (0);
	return (t);
}

static void
pie_offline(struct pie_parse *pp, struct xml_node *n, int line)
{
	struct prec	*r;

	if (!xml_is(n, NS_CLIENT, "message")) {
		pie_user_note(pp, line, "offline element", "not a message");
		return;
	}
	r = pie_add(pp, K_OFFLINE, PIE_OFFLINE, line);
	if ((r->r.stamp = pie_delay(n)) == 0)
		r->r.stamp = mam_now();
	(void)pie_xml_str(pp, r, 0, n, NS_CLIENT);
}

static void
pie_send_rec(struct pie_parse *pp, struct prec *r)
{
	struct iovec	 parts[3];
	int		 i;

	for (i = 0; i < 3; i++) {
		parts[i].iov_base = r->s[i];
		parts[i].iov_len = r->l[i];
	}
	if (pie_compose(pp->ib, IMSG_CTL_PIE_REC, MSG_VERSION, &r->r,
	    parts) == -1 || imsgbuf_flush(pp->ib) == -1)
		err(1, "send");
}

static void
pie_send_user(struct pie_parse *pp, uint32_t type)
{
	struct pie_user	 pu;

	memset(&pu, 0, sizeof(pu));
	(void)strlcpy(pu.jid, pp->u->jid, sizeof(pu.jid));
	pu.line = pp->u->line;
	if (imsg_compose(pp->ib, type, MSG_VERSION, 0, -1, &pu,
	    sizeof(pu)) == -1 || imsgbuf_flush(pp->ib) == -1)
		err(1, "send");
}

/* The window sent is set aside by the store (or the user given up). */
static void
pie_flush(struct pie_parse *pp, int giveup)
{
	struct imsg	 imsg;
	int		 rc;

	if (imsg_compose(pp->ib, IMSG_CTL_PIE_FLUSH, MSG_VERSION, 0, -1,
	    &giveup, sizeof(giveup)) == -1 || imsgbuf_flush(pp->ib) == -1)
		err(1, "send");
	ctl_get(pp->ib, &imsg);
	if (imsg_get_type(&imsg) == IMSG_CTL_FAIL)
		ctl_fail_exit(&imsg);
	if (imsg_get_type(&imsg) != IMSG_CTL_PIE_FLUSHED ||
	    imsg_get_data(&imsg, &rc, sizeof(rc)) == -1)
		errx(1, "bad answer from xmppd");
	imsg_free(&imsg);
	/* Refused: the commit says why; the rest need not be sent. */
	if (rc == -1)
		pp->u->given_up = 1;
	pp->u->winbytes = 0;
	pp->u->winrecs = 0;
}

/* An archived message read: to the store now, not kept. */
static void
pie_stream(struct pie_parse *pp, struct prec *r)
{
	struct puser	*u = pp->u;
	size_t		 n = r->l[0] + r->l[1] + r->l[2];

	TAILQ_REMOVE(&u->recs[K_ARCHIVE], r, entry);
	u->bytes -= n;
	if (!u->bad && !u->given_up) {
		if (!u->sent) {
			pie_send_user(pp, IMSG_CTL_PIE_USER);
			u->sent = 1;
		}
		pie_send_rec(pp, r);
		u->winbytes += n;
		if (++u->winrecs >= PIE_WINDOW_RECS ||
		    u->winbytes >= PIE_WINDOW)
			pie_flush(pp, 0);
	}
	prec_free(r);
}

/* <result><forwarded><delay/><message/></forwarded></result> */
static void
pie_archive(struct pie_parse *pp, struct xml_node *n, int line)
{
	struct xml_node	*fwd, *m;
	struct prec	*r;
	struct jid	 from, to;
	const char	*f, *t;

	if (!xml_is(n, NS_MAM2, "result")) {
		pie_user_note(pp, line, "archive element", "not a result");
		return;
	}
	if ((fwd = xml_find_child(n, NS_FWD, "forwarded")) == NULL ||
	    (m = xml_find_child(fwd, NS_CLIENT, "message")) == NULL ||
	    (f = xml_get_attr(m, "from")) == NULL ||
	    (t = xml_get_attr(m, "to")) == NULL ||
	    jid_parse(f, &from) == -1 || jid_parse(t, &to) == -1) {
		pie_user_bad(pp->u, line, "archived message without a "
		    "message, or its sender or recipient");
		return;
	}
	r = pie_add(pp, K_ARCHIVE, PIE_ARCHIVE, line);
	if ((r->r.stamp = pie_delay(fwd)) == 0)
		pie_user_bad(pp->u, line, "archived message without a time "
		    "stamp");
	/* Sent by the user, or received: the other party is "with". */
	r->r.direction = jid_bare_equal(&from, &pp->u->j);
	(void)jid_full(r->r.direction ? &to : &from, r->r.jid,
	    sizeof(r->r.jid));
	(void)pie_xml_str(pp, r, 0, m, NS_CLIENT);
	pie_stream(pp, r);
}

/* A complete element under a user. */
static void
pie_tree(struct pie_parse *pp, int parent, struct xml_node *n, int line)
{
	/* The first pass only reads. */
	if (!pp->send || pp->u == NULL || pp->u->bad)
		return;
	switch (parent) {
	case C_USER:
		if (xml_is(n, NS_PIE_SCRAM, "scram-credentials"))
			pie_scram(pp, n, line);
		else if (xml_is(n, NS_VCARD, "vCard"))
			pie_xml_item(pp, K_XML, n, line, "vcard", "vcard");
		else if (xml_is(n, NS_CLIENT, "presence"))
			pie_pending(pp, n, line);
		else
			pie_user_note(pp, line, n->name, "not understood");
		break;
	case C_ROSTER:
		pie_roster_item(pp, n, line);
		break;
	case C_PRIVATE:
		pie_private(pp, n, line);
		break;
	case C_ITEMS:
		pie_pep_item(pp, n, line);
		break;
	case C_OWNER:
		pie_pep_conf(pp, n, line);
		break;
	case C_OFFLINE:
		pie_offline(pp, n, line);
		break;
	case C_ARCHIVE:
		pie_archive(pp, n, line);
		break;
	default:
		pie_user_note(pp, line, n->name, "not understood");
		break;
	}
}

/* Users */

static void
pie_user_start(struct pie_parse *pp, const char *name)
{
	struct seen	*sn, key;
	struct puser	*u;
	int		 k, line = xmlread_line(&pp->xr);

	if ((u = calloc(1, sizeof(*u))) == NULL)
		err(1, NULL);
	for (k = 0; k < K_MAX; k++)
		TAILQ_INIT(&u->recs[k]);
	TAILQ_INIT(&u->notes);
	u->line = line;
	pp->u = u;
	pp->nusers++;
	if (!pp->hostok) {
		(void)snprintf(u->jid, sizeof(u->jid), "?@%s", pp->host);
		pie_user_bad(u, line, "its host is not a domain name");
		return;
	}
	if (name == NULL || name[0] == '\0' ||
	    (size_t)snprintf(u->jid, sizeof(u->jid), "%s@%s", name,
	    pp->host) >= sizeof(u->jid) || jid_parse(u->jid, &u->j) == -1 ||
	    u->j.resource[0] != '\0') {
		pie_user_bad(u, line, "its name is not a valid localpart");
		return;
	}
	(void)jid_bare(&u->j, u->jid, sizeof(u->jid));
	key.jid = u->jid;
	if ((sn = RB_FIND(seens, &pp->seen, &key)) != NULL) {
		if (pp->send && sn->line != line) {
			char	 why[64];

			(void)snprintf(why, sizeof(why), "the same user as "
			    "at line %d", sn->line);
			pie_user_bad(u, line, why);
		}
		return;
	}
	if ((sn = calloc(1, sizeof(*sn))) == NULL ||
	    (sn->jid = strdup(u->jid)) == NULL)
		err(1, NULL);
	sn->line = line;
	RB_INSERT(seens, &pp->seen, sn);
}

/* Pending requests join their contact's item, or stand alone. */
static void
pie_user_pending(struct puser *u)
{
	struct prec	*p, *r;

	while ((p = TAILQ_FIRST(&u->recs[K_PENDING])) != NULL) {
		TAILQ_REMOVE(&u->recs[K_PENDING], p, entry);
		TAILQ_FOREACH(r, &u->recs[K_ROSTER], entry)
			if (strcmp(r->r.jid, p->r.jid) == 0)
				break;
		if (r != NULL) {
			free(r->s[2]);
			r->s[2] = p->s[2];
			r->l[2] = p->l[2];
			p->s[2] = NULL;
			prec_free(p);
			continue;
		}
		if ((p->s[0] = strdup("")) == NULL ||
		    (p->s[1] = strdup("")) == NULL)
			err(1, NULL);
		TAILQ_INSERT_TAIL(&u->recs[K_ROSTER], p, entry);
	}
}

/* A node with items and no configuration: XEP-0163's, kept whole. */
static void
pie_user_nodes(struct pie_parse *pp)
{
	struct xml_node	*conf;
	struct prec	*i, *c;
	char		 max[16];
	int		 n;

	TAILQ_FOREACH(i, &pp->u->recs[K_PEPITEM], entry) {
		TAILQ_FOREACH(c, &pp->u->recs[K_PEPCONF], entry)
			if (strcmp(c->r.key, i->r.space + 4) == 0)
				break;
		if (c != NULL)
			continue;
		n = 0;
		TAILQ_FOREACH(c, &pp->u->recs[K_PEPITEM], entry)
			n += strcmp(c->r.space, i->r.space) == 0;
		(void)snprintf(max, sizeof(max), "%d",
		    n > PIE_PEP_ITEMS ? PIE_PEP_ITEMS : n);
		if ((conf = xml_node_new(NS_PEP_CONF, "conf")) == NULL ||
		    xml_set_attr(conf, "access", "presence") == -1 ||
		    xml_set_attr(conf, "max", max) == -1)
			err(1, NULL);
		pie_xml_item(pp, K_PEPCONF, conf, i->r.line, "pep",
		    i->r.space + 4);
		xml_node_free(conf);
	}
}

static void
pie_report_done(struct pie_parse *pp, struct pie_done *d)
{
	static const char *const what[] = { "credentials", "password",
	    "roster items", "XML items", "offline messages",
	    "archived messages" };
	int	 i, first = 1;

	d->why[sizeof(d->why) - 1] = '\0';
	switch (d->status) {
	case PIE_IMPORTED:
		pp->imported++;
		printf("%s: imported", pp->u->jid);
		for (i = 0; i < (int)nitems(what); i++)
			if (d->counts[i] > 0) {
				printf("%s%d %s", first ? ": " : ", ",
				    d->counts[i], what[i]);
				first = 0;
			}
		printf("\n");
		break;
	case PIE_EXISTS:
		pp->exists++;
		printf("%s: unchanged: the account exists\n", pp->u->jid);
		break;
	default:
		pp->refused++;
		printf("%s: refused: line %d: %s\n", pp->u->jid, d->line,
		    d->why);
		break;
	}
}

static void
pie_user_send(struct pie_parse *pp)
{
	struct puser	*u = pp->u;
	struct pie_note	 note;
	struct pie_done	 done;
	struct imsg	 imsg;
	struct prec	*r;
	struct pnote	*n;
	int		 k;

	TAILQ_FOREACH(n, &u->notes, entry)
		printf("%s: line %d: %s\n", u->jid, n->line, n->text);
	if (u->bad) {
		/* The archive the store set aside goes. */
		if (u->sent)
			pie_flush(pp, 1);
		pp->refused++;
		printf("%s: refused: line %d: %s\n", u->jid, u->badline,
		    u->why);
		return;
	}
	if (!u->sent)
		pie_send_user(pp, IMSG_CTL_PIE_USER);
	for (k = 0; k < K_PENDING; k++)
		TAILQ_FOREACH(r, &u->recs[k], entry)
			pie_send_rec(pp, r);
	pie_send_user(pp, IMSG_CTL_PIE_COMMIT);
	for (;;) {
		ctl_get(pp->ib, &imsg);
		switch (imsg_get_type(&imsg)) {
		case IMSG_CTL_PIE_NOTE:
			if (imsg_get_data(&imsg, &note, sizeof(note)) == -1)
				errx(1, "bad answer from xmppd");
			note.text[sizeof(note.text) - 1] = '\0';
			printf("%s: line %d: %s\n", u->jid, note.line,
			    note.text);
			break;
		case IMSG_CTL_PIE_DONE:
			if (imsg_get_data(&imsg, &done, sizeof(done)) == -1)
				errx(1, "bad answer from xmppd");
			imsg_free(&imsg);
			pie_report_done(pp, &done);
			return;
		case IMSG_CTL_FAIL:
			ctl_fail_exit(&imsg);
			/* NOTREACHED */
		default:
			errx(1, "unexpected answer %u", imsg_get_type(&imsg));
		}
		imsg_free(&imsg);
	}
}

static void
pie_user_end(struct pie_parse *pp)
{
	if (pp->send && !pp->u->bad) {
		pie_user_pending(pp->u);
		pie_user_nodes(pp);
	}
	if (pp->send)
		pie_user_send(pp);
	puser_free(pp->u);
	pp->u = NULL;
}

/* The parser */

/* Which container an element opens under parent, or C_TREE. */
static int
pie_container(int parent, const char *ns, const char *name)
{
	switch (parent) {
	case C_NONE:
		if ((strcmp(ns, NS_PIE) == 0 || strcmp(ns, NS_PIE_OLD) == 0) &&
		    strcmp(name, "server-data") == 0)
			return (C_ROOT);
		return (C_NONE);
	case C_ROOT:
		return ((strcmp(ns, NS_PIE) == 0 || strcmp(ns, NS_PIE_OLD) ==
		    0) && strcmp(name, "host") == 0 ? C_HOST : C_TREE);
	case C_HOST:
		return ((strcmp(ns, NS_PIE) == 0 || strcmp(ns, NS_PIE_OLD) ==
		    0) && strcmp(name, "user") == 0 ? C_USER : C_TREE);
	case C_USER:
		if (strcmp(name, "query") == 0 && strcmp(ns, NS_ROSTER) == 0)
			return (C_ROSTER);
		if (strcmp(name, "query") == 0 && strcmp(ns, NS_PRIVATE) == 0)
			return (C_PRIVATE);
		if (strcmp(name, "offline-messages") == 0 &&
		    (strcmp(ns, NS_PIE) == 0 || strcmp(ns, NS_PIE_OLD) == 0))
			return (C_OFFLINE);
		if (strcmp(name, "archive") == 0 && strcmp(ns, NS_PIE_MAM) == 0)
			return (C_ARCHIVE);
		if (strcmp(name, "pubsub") == 0 && strcmp(ns, NS_PUBSUB) == 0)
			return (C_PUBSUB);
		if (strcmp(name, "pubsub") == 0 &&
		    strcmp(ns, NS_PUBSUB_OWNER) == 0)
			return (C_OWNER);
		return (C_TREE);
	case C_PUBSUB:
		return (strcmp(name, "items") == 0 &&
		    strcmp(ns, NS_PUBSUB) == 0 ? C_ITEMS : C_TREE);
	}
	return (C_TREE);
}

static void
pie_open(struct pie_parse *pp, int kind, const char **attrs)
{
	const char	*v = NULL;
	int		 i;

	for (i = 0; attrs[i] != NULL; i += 2)
		if (strcmp(attrs[i], kind == C_HOST ? "jid" : kind == C_USER ?
		    "name" : "node") == 0)
			v = attrs[i + 1];
	switch (kind) {
	case C_HOST:
		pp->hostok = v != NULL && strlcpy(pp->host, v,
		    sizeof(pp->host)) < sizeof(pp->host) &&
		    jid_prep_domain(pp->host, sizeof(pp->host)) == 0;
		if (!pp->hostok)
			pp->host[0] = '\0';
		break;
	case C_USER:
		for (i = 0; attrs[i] != NULL; i += 2)
			if (strcmp(attrs[i], "password") == 0)
				break;
		pie_user_start(pp, v);
		if (attrs[i] != NULL && pp->send && !pp->u->bad) {
			struct prec *r = pie_add(pp, K_CRED, PIE_PASSWORD,
			    pp->u->line);
			pie_str(pp, r, 0, attrs[i + 1], -1);
		}
		break;
	case C_ITEMS:
		if (v == NULL || strlcpy(pp->node, v, sizeof(pp->node)) >=
		    sizeof(pp->node))
			pp->node[0] = '\0';
		break;
	}
}

static void
pie_start(void *arg, const char *qname, const char **attrs)
{
	struct pie_parse	*pp = ((struct xmlread *)arg)->arg;
	struct xml_node		*n;
	char			 ns[1024], ans[1024];
	const char		*name, *an;
	int			 i, kind;

	xmlread_event(&pp->xr);
	if (++pp->depth > PIE_DEPTH_MAX) {
		pie_stop(pp, "elements nested too deep");
		return;
	}
	if ((name = xmlread_split(qname, ns, sizeof(ns))) == NULL) {
		pie_stop(pp, "a namespace too long");
		return;
	}
	for (i = 0; attrs[i] != NULL; i += 2)
		;
	if (i / 2 > PIE_ATTRS_MAX) {
		pie_stop(pp, "too many attributes");
		return;
	}
	if (pp->tree == NULL) {
		kind = pie_container(pp->ctx[pp->depth - 1], ns, name);
		if (kind == C_NONE) {
			pie_stop(pp, "not a XEP-0227 file (urn:xmpp:pie:0)");
			return;
		}
		if (kind != C_TREE) {
			pp->ctx[pp->depth] = kind;
			pie_open(pp, kind, attrs);
			return;
		}
		pp->tree_parent = pp->ctx[pp->depth - 1];
		pp->tree_line = xmlread_line(&pp->xr);
		pp->tree_start = xmlread_offset(&pp->xr);
	} else if (xmlread_offset(&pp->xr) - pp->tree_start >
	    PIE_REC_MAX) {
		pie_stop(pp, "an element is too big");
		return;
	}
	if ((n = xml_node_new(ns, name)) == NULL)
		err(1, NULL);
	for (i = 0; attrs[i] != NULL; i += 2) {
		if ((an = xmlread_split(attrs[i], ans, sizeof(ans))) == NULL ||
		    xml_set_attr_ns(n, ans, an, attrs[i + 1]) == -1) {
			xml_node_free(n);
			pie_stop(pp, "a bad attribute");
			return;
		}
	}
	if (pp->tree == NULL)
		pp->tree = n;
	else
		xml_append(pp->cur, n);
	pp->cur = n;
}

static void
pie_end(void *arg, const char *qname)
{
	struct pie_parse	*pp = ((struct xmlread *)arg)->arg;
	struct xml_node		*n;

	(void)qname;
	xmlread_event(&pp->xr);
	pp->depth--;
	if (pp->tree == NULL) {
		if (pp->ctx[pp->depth + 1] == C_USER && pp->u != NULL)
			pie_user_end(pp);
		else if (pp->ctx[pp->depth + 1] == C_ITEMS)
			pp->node[0] = '\0';
		return;
	}
	if (xmlread_offset(&pp->xr) - pp->tree_start > PIE_REC_MAX) {
		pie_stop(pp, "an element is too big");
		return;
	}
	if ((n = pp->cur) != pp->tree) {
		pp->cur = n->parent;
		return;
	}
	pp->tree = pp->cur = NULL;
	if (pp->tree_parent == C_ROOT || pp->tree_parent == C_HOST) {
		if (pp->send)
			printf("%s:%d: <%s/> skipped: not understood%s\n",
			    pp->xr.file, pp->tree_line, n->name,
			    strcmp(n->name, "include") == 0 ?
			    " (XInclude is not followed)" : "");
	} else
		pie_tree(pp, pp->tree_parent, n, pp->tree_line);
	xml_node_free(n);
}

static void
pie_chars(void *arg, const char *s, int len)
{
	struct pie_parse	*pp = ((struct xmlread *)arg)->arg;

	xmlread_event(&pp->xr);
	if (pp->cur == NULL)
		return;
	if (xmlread_offset(&pp->xr) - pp->tree_start > PIE_REC_MAX) {
		pie_stop(pp, "an element is too big");
		return;
	}
	if (xml_add_text(pp->cur, s, len) == -1)
		err(1, NULL);
}

static int
pie_run(struct pie_parse *pp, FILE *f)
{
	int	 rv;

	pp->xr.arg = pp;
	rv = xmlread_run(&pp->xr, f, pie_start, pie_end, pie_chars);
	if (pp->tree != NULL) {
		xml_node_free(pp->tree);
		pp->tree = pp->cur = NULL;
	}
	if (pp->u != NULL) {
		puser_free(pp->u);
		pp->u = NULL;
	}
	return (rv);
}

static struct pie_parse	 pie_pp;

/* The first pass: the whole file, before anything is sent. */
int
pie_check(const char *file)
{
	FILE	*f;

	RB_INIT(&pie_pp.seen);
	pie_pp.xr.file = file;
	if ((f = fopen(file, "r")) == NULL)
		err(1, "%s", file);
	if (pie_run(&pie_pp, f) == -1)
		errx(1, "%s; nothing imported", pie_pp.xr.err);
	if (pie_pp.nusers == 0)
		errx(1, "%s: no user in the file; nothing imported", file);
	(void)fclose(f);
	return (0);
}

int
pie_import(struct imsgbuf *ib, const char *file)
{
	FILE	*f;
	int	 n = pie_pp.nusers;

	memset(pie_pp.ctx, 0, sizeof(pie_pp.ctx));
	pie_pp.depth = pie_pp.nusers = 0;
	pie_pp.send = 1;
	pie_pp.ib = ib;
	if ((f = fopen(file, "r")) == NULL)
		err(1, "%s", file);
	if (pie_run(&pie_pp, f) == -1)
		errx(1, "%s: the file changed while it was read", pie_pp.xr.err);
	(void)fclose(f);
	if (pie_pp.nusers != n)
		errx(1, "%s: the file changed while it was read", file);
	printf("%d users: %d imported, %d unchanged, %d refused\n", n,
	    pie_pp.imported, pie_pp.exists, pie_pp.refused);
	return (pie_pp.refused > 0);
}
