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
 * Privileged entities (XEP-0356, urn:xmpp:privilege:2 and :1): what a
 * component's block of xmppd.conf grants it over the users of the
 * server's domains, told to it once it is connected, and nothing more:
 * the users' rosters, messages sent as a user's bare JID, the users'
 * presence.  Whatever is not granted is refused with <forbidden/>.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define NS_PRIV1	"urn:xmpp:privilege:1"
#define NS_PRIV2	"urn:xmpp:privilege:2"
#define NS_FORWARD	"urn:xmpp:forward:0"
#define NS_ROSTER	"jabber:iq:roster"

static const char *priv_rosters[] = { "none", "get", "set", "both" };
static const char *priv_presences[] = { "none", "managed_entity", "roster" };

/* The <privilege/> child of n in either namespace, if any. */
static struct xml_node *
priv_element(const struct xml_node *n)
{
	struct xml_node	*p;

	if ((p = xml_find_child(n, NS_PRIV2, "privilege")) == NULL)
		p = xml_find_child(n, NS_PRIV1, "privilege");
	return (p);
}

/* Send an error in answer to n to component c, unless n was one. */
static void
priv_refuse(struct component *c, struct xml_node *n, const char *type,
    const char *cond)
{
	struct xml_node	*e;
	const char	*t = xml_get_attr(n, "type");

	c->refused++;
	if (t != NULL && (strcmp(t, "error") == 0 || (xml_is(n, n->ns, "iq") &&
	    strcmp(t, "result") == 0)))
		return;
	if ((e = router_error(n, type, cond)) == NULL)
		return;
	(void)component_send(c, e);
	xml_node_free(e);
}

/*
 * The domain the server speaks for to c: the one c is a subdomain of,
 * else the first one.
 */
static const char *
priv_domain(const struct component *c)
{
	struct domain_conf	*d;
	size_t			 n = strlen(c->name), k;

	TAILQ_FOREACH(d, &proc_self.conf->domains, entry) {
		k = strlen(d->name);
		if (n > k && c->name[n - k - 1] == '.' &&
		    strcmp(c->name + n - k, d->name) == 0)
			return (d->name);
	}
	d = TAILQ_FIRST(&proc_self.conf->domains);
	return (d != NULL ? d->name : NULL);
}

static void
priv_perm(struct xml_node *p, const char *access, const char *type,
    int v2)
{
	struct xml_node	*perm;

	if ((perm = xml_add_child(p, p->ns, "perm")) == NULL)
		fatal("%s", __func__);
	xml_set_attr(perm, "access", access);
	xml_set_attr(perm, "type", type);
	/* Roster pushes are for the users' clients, not for components. */
	if (v2 && strcmp(access, "roster") == 0)
		xml_set_attr(perm, "push", "false");
}

/* The <privilege/> listing what c was granted, in namespace ns. */
static void
priv_advert(struct xml_node *m, const struct component_conf *cc,
    const char *ns)
{
	struct xml_node	*p;
	int		 v2 = strcmp(ns, NS_PRIV2) == 0;

	if ((p = xml_add_child(m, ns, "privilege")) == NULL)
		fatal("%s", __func__);
	if (cc->priv_roster != PRIV_ROSTER_NONE)
		priv_perm(p, "roster", priv_rosters[cc->priv_roster % 4], v2);
	if (cc->priv_message == PRIV_MESSAGE_OUTGOING)
		priv_perm(p, "message", "outgoing", v2);
	if (cc->priv_presence != PRIV_PRESENCE_NONE)
		priv_perm(p, "presence",
		    priv_presences[cc->priv_presence % 3], v2);
}

/* Send c the presence of session s, and with it what s stored. */
static void
priv_presence_to(struct component *c, struct session *s)
{
	struct xml_node	*p, *stored = NULL, *ch;

	if (s->available && s->presence != NULL && (stored =
	    router_parse(s->presence, s->presencelen, NS_CLIENT)) == NULL) {
		/* Fail closed: what cannot be read is not passed on. */
		log_warnx("%s: presence of %s unreadable", __func__, s->full);
		return;
	}
	if ((p = xml_node_new(NS_CLIENT, "presence")) == NULL)
		fatal("%s", __func__);
	if (!s->available)
		xml_set_attr(p, "type", "unavailable");
	xml_set_attr(p, "from", s->full);
	xml_set_attr(p, "to", c->name);
	if (stored != NULL) {
		while ((ch = TAILQ_FIRST(&stored->children)) != NULL) {
			xml_unlink(ch);
			xml_append(p, ch);
		}
		xml_node_free(stored);
	}
	(void)component_send(c, p);
	xml_node_free(p);
}

/*
 * After the handshake: c learns what it may do, in both namespaces (a
 * component reads the one it knows), and, with presence granted, who
 * is available already (business rule 1).
 */
void
priv_component_up(struct component *c)
{
	const struct component_conf	*cc = c->conf;
	struct xml_node			*m;
	struct session			*s;
	const char			*from;
	char				 id[32];

	if (cc == NULL || (cc->priv_roster == PRIV_ROSTER_NONE &&
	    cc->priv_message == PRIV_MESSAGE_NONE &&
	    cc->priv_presence == PRIV_PRESENCE_NONE))
		return;
	if ((from = priv_domain(c)) == NULL)
		return;
	if ((m = xml_node_new(NS_CLIENT, "message")) == NULL)
		fatal("%s", __func__);
	xml_set_attr(m, "from", from);
	xml_set_attr(m, "to", c->name);
	(void)snprintf(id, sizeof(id), "priv%08x", arc4random());
	xml_set_attr(m, "id", id);
	priv_advert(m, cc, NS_PRIV2);
	priv_advert(m, cc, NS_PRIV1);
	(void)component_send(c, m);
	xml_node_free(m);
	log_info("component %s: privileges roster %s, message %s, "
	    "presence %s", c->name, priv_rosters[cc->priv_roster % 4],
	    cc->priv_message == PRIV_MESSAGE_OUTGOING ? "outgoing" : "none",
	    priv_presences[cc->priv_presence % 3]);
	if (cc->priv_presence == PRIV_PRESENCE_NONE)
		return;
	for (s = session_next(NULL); s != NULL; s = session_next(s))
		if (s->available)
			priv_presence_to(c, s);
}

/*
 * A local user's session s became available, changed its presence, or
 * became unavailable (router_presence.c): each component granted
 * presence gets it.  Presence "roster" adds the presence of the users'
 * contacts; those are accounts of this server (there is no federation
 * yet), whose presence comes here as their own.  n, the presence as
 * the caller parsed it, is not needed: s holds what was stored.
 */
void
priv_presence(struct user *u, struct session *s, const struct xml_node *n)
{
	struct component_conf	*cc;
	struct component	*c;

	(void)u;
	(void)n;
	TAILQ_FOREACH(cc, &proc_self.conf->components, entry) {
		if (cc->priv_presence == PRIV_PRESENCE_NONE ||
		    (c = component_find(cc->name)) == NULL)
			continue;
		priv_presence_to(c, s);
	}
}

/*
 * The bare JID of a local account that jid names, into bare; -1 when
 * it names anything else (a full JID, a domain, another server).
 */
static int
priv_local_bare(const char *jid, char *bare, size_t len)
{
	struct jid	 j;

	if (jid == NULL || jid_parse(jid, &j) == -1 || j.local[0] == '\0' ||
	    j.resource[0] != '\0' ||
	    config_domain(proc_self.conf, j.domain) == NULL)
		return (-1);
	if (jid_bare(&j, bare, len) >= len)
		return (-1);
	return (0);
}

static void
priv_roster_job(struct roster *r, struct roster_job *j)
{
	struct component	*c;
	struct xml_node		*iq, *res;

	/* The same connection of the component, or nobody to answer. */
	if ((c = component_find(j->jid)) == NULL ||
	    c->stream != j->stream || c->id != j->session)
		return;
	if ((iq = roster_parse(j->xml)) == NULL) {
		log_warnx("%s: a roster request of %s unreadable", __func__,
		    c->name);
		return;
	}
	if ((res = roster_iq_answer(r, NULL, iq)) != NULL)
		(void)component_send(c, res);
	xml_node_free(res);
	xml_node_free(iq);
}

/*
 * A roster get or set on a local user's bare JID (XEP-0356 section 3):
 * answered as the user would be, when c was granted it.
 */
int
priv_component_iq(struct component *c, struct stanza_msg *m,
    struct xml_node *n)
{
	const struct component_conf	*cc = c->conf;
	struct roster_job		*j;
	struct xml_node			*q;
	struct xml_buf			 b;
	struct jid			 jj;
	char				 bare[CONF_JIDLEN];
	int				 get, pr;

	get = strcmp(m->type, "get") == 0;
	if ((!get && strcmp(m->type, "set") != 0) ||
	    (q = xml_first_child(n)) == NULL ||
	    !xml_is(q, NS_ROSTER, "query") ||
	    priv_local_bare(xml_get_attr(n, "to"), bare, sizeof(bare)) == -1)
		return (0);
	pr = cc != NULL ? cc->priv_roster : PRIV_ROSTER_NONE;
	if (pr == PRIV_ROSTER_NONE || pr == (get ? PRIV_ROSTER_SET :
	    PRIV_ROSTER_GET)) {
		log_info("component %s: roster %s of %s refused", c->name,
		    m->type, bare);
		priv_refuse(c, n, "auth", "forbidden");
		return (1);
	}
	/* The query goes as the router's roster code reads it. */
	xml_set_attr(n, "to", bare);
	xml_buf_init(&b, 0);
	if (xml_serialize_as(n, n->ns, NS_CLIENT, &b) == -1 ||
	    xml_buf_add(&b, "", 1) == -1 || jid_parse(bare, &jj) == -1) {
		xml_buf_free(&b);
		priv_refuse(c, n, "wait", "internal-server-error");
		return (1);
	}
	j = roster_job_new(NULL, b.data, c->name);
	xml_buf_free(&b);
	j->stream = c->stream;
	j->session = c->id;
	roster_with(jj.local, jj.domain, priv_roster_job, j);
	return (1);
}

/*
 * The message a privileged <message/> carries (section 4): one
 * <forwarded/> holding one <message/> from the bare JID of a local
 * account, to a valid JID (normalised here).  NULL, with *cond set,
 * when it is not that.
 */
static struct xml_node *
priv_forwarded(struct xml_node *p, char *bare, size_t len,
    const char **cond)
{
	struct xml_node	*c, *fwd = NULL, *msg = NULL;
	struct jid	 j;
	const char	*to;
	char		 norm[CONF_JIDLEN];
	int		 n = 0;

	*cond = "bad-request";
	TAILQ_FOREACH(c, &p->children, entry)
		if (c->name != NULL && n++ == 0)
			fwd = c;
	if (n != 1 || !xml_is(fwd, NS_FORWARD, "forwarded"))
		return (NULL);
	n = 0;
	TAILQ_FOREACH(c, &fwd->children, entry)
		if (c->name != NULL && !xml_is(c, "urn:xmpp:delay", "delay") &&
		    n++ == 0)
			msg = c;
	if (n != 1 || (!xml_is(msg, NS_CLIENT, "message") &&
	    !xml_is(msg, NS_COMPONENT, "message")))
		return (NULL);
	*cond = "jid-malformed";
	if ((to = xml_get_attr(msg, "to")) == NULL || jid_parse(to, &j) == -1 ||
	    jid_full(&j, norm, sizeof(norm)) >= sizeof(norm))
		return (NULL);
	xml_set_attr(msg, "to", norm);
	/* As the user, only: no resource, no other server (section 4.1). */
	*cond = "forbidden";
	if (priv_local_bare(xml_get_attr(msg, "from"), bare, len) == -1)
		return (NULL);
	return (msg);
}

/*
 * Deliver msg, from the local account bare, to its recipient: a local
 * account or a component.  Anywhere else, there is no route.
 */
static const char *
priv_deliver(struct xml_node *msg, const char *bare)
{
	struct stanza_msg	 sm;
	struct session		 as, *to;
	struct component	*c;
	struct user		 au, *u;
	struct xml_buf		 b;
	const char		*dest = xml_get_attr(msg, "to"), *v;

	xml_set_attr(msg, "from", bare);
	switch (router_local_jid(dest, &to, &u)) {
	case -1:
		if ((c = component_of_jid(dest)) == NULL)
			return ("service-unavailable");
		return (component_send(c, msg) == -1 ?
		    "resource-constraint" : NULL);
	case 0:
		return ("service-unavailable");
	}
	xml_buf_init(&b, 0);
	if (xml_serialize_as(msg, msg->ns, NS_CLIENT, &b) == -1 ||
	    xml_buf_add(&b, "", 1) == -1) {
		xml_buf_free(&b);
		return ("internal-server-error");
	}
	memset(&sm, 0, sizeof(sm));
	sm.kind = STANZA_MESSAGE;
	sm.type = (v = xml_get_attr(msg, "type")) != NULL ? (char *)v : "";
	sm.id = (v = xml_get_attr(msg, "id")) != NULL ? (char *)v : "";
	sm.to = (char *)dest;
	sm.from = (char *)bare;
	sm.xml = b.data;
	sm.xmllen = b.len - 1;
	/*
	 * The account sends it, as blocking (XEP-0191) lets it; no session
	 * of the account does, so none hears back.
	 */
	memset(&as, 0, sizeof(as));
	as.stream = -1;
	as.full = (char *)bare;
	if ((as.user = session_find_user(bare)) == NULL) {
		memset(&au, 0, sizeof(au));
		au.bare = (char *)bare;
		TAILQ_INIT(&au.sessions);
		as.user = &au;
	}
	if (!blocking_out(&as, &sm))
		router_route(&as, &sm, NULL);
	xml_buf_free(&b);
	return (NULL);
}

/*
 * A <message/> from component c holding a <privilege/>, to one of the
 * server's domains: sent as the user it names if c may, else refused.
 */
int
priv_component_message(struct component *c, struct stanza_msg *m,
    struct xml_node *n)
{
	struct xml_node	*p, *msg;
	const char	*cond;
	char		 bare[CONF_JIDLEN];

	(void)m;
	if ((p = priv_element(n)) == NULL ||
	    config_domain(proc_self.conf, xml_get_attr(n, "to") != NULL ?
	    xml_get_attr(n, "to") : "") == NULL)
		return (0);
	if (c->conf == NULL || c->conf->priv_message != PRIV_MESSAGE_OUTGOING) {
		log_info("component %s: message as a user refused", c->name);
		priv_refuse(c, n, "auth", "forbidden");
		return (1);
	}
	if ((msg = priv_forwarded(p, bare, sizeof(bare), &cond)) == NULL) {
		log_info("component %s: privileged message refused: %s",
		    c->name, cond);
		priv_refuse(c, n, strcmp(cond, "forbidden") == 0 ? "auth" :
		    "modify", cond);
		return (1);
	}
	if ((cond = priv_deliver(msg, bare)) != NULL)
		priv_refuse(c, n, "cancel", cond);
	return (1);
}

/*
 * A client's message to the server holding a <privilege/>: only a
 * component may be granted one, so a client is refused, never obeyed.
 */
int
priv_client_message(struct session *s, struct stanza_msg *m)
{
	struct xml_node	*n;
	int		 forged;

	if (m->kind != STANZA_MESSAGE ||
	    memmem(m->xml, m->xmllen, "urn:xmpp:privilege:", 19) == NULL)
		return (0);
	if ((n = router_parse(m->xml, m->xmllen, NS_CLIENT)) == NULL) {
		router_refuse(s, m, "privilege");
		return (1);
	}
	forged = priv_element(n) != NULL;
	xml_node_free(n);
	if (!forged)
		return (0);
	log_info("%s: a privileged message from a client refused", s->full);
	router_bounce(s, m, "auth", "forbidden");
	return (1);
}
