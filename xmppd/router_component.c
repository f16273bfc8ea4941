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
 * External components (XEP-0114), the router's side: one connection per
 * configured name, stanzas for that domain and its JIDs go to it, what
 * it sends is taken from that exact domain or its JIDs only, and while
 * it is away, stanzas for it bounce with <service-unavailable/>.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "grant.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define NS_PRIVILEGE	"urn:xmpp:privilege:"

RB_HEAD(components, component);

static struct components	 components = RB_INITIALIZER(&components);

static int
component_cmp(struct component *a, struct component *b)
{
	return (strcmp(a->name, b->name));
}

RB_GENERATE_STATIC(components, component, entry, component_cmp);

/* The connected component of that name (a domain), or NULL. */
struct component *
component_find(const char *domain)
{
	struct component	 key;

	if (strlcpy(key.name, domain, sizeof(key.name)) >= sizeof(key.name))
		return (NULL);
	return (RB_FIND(components, &components, &key));
}

/* The connected component a JID is on, or NULL. */
struct component *
component_of_jid(const char *jid)
{
	struct jid	 j;

	if (jid_parse(jid, &j) == -1)
		return (NULL);
	return (component_find(j.domain));
}

/* Is jid on a configured component's domain, connected or not? */
int
component_jid(const char *jid)
{
	struct jid	 j;

	return (jid_parse(jid, &j) == 0 &&
	    config_component(proc_self.conf, j.domain) != NULL);
}

/*
 * The component that connection (stream, id) carries, or NULL: where an
 * answer that comes later goes when no session has that id.
 */
struct component *
component_at(int stream, uint32_t id)
{
	struct component	*c;

	RB_FOREACH(c, components, &components)
		if (c->stream == stream && c->id == id)
			return (c);
	return (NULL);
}

/* A stanza the router makes, for the component. */
int
component_send(struct component *c, const struct xml_node *n)
{
	struct imsgev	*iev;

	if ((iev = proc_peer(PROC_STREAM, c->stream)) == NULL ||
	    stanza_send(iev, c->id, c->id, n, NS_CLIENT) == -1)
		return (-1);
	c->out++;
	return (0);
}

/* A stanza as received (IMSG_STANZA), for the component. */
int
component_forward(struct component *c, struct imsg *imsg)
{
	struct imsgev	*iev;

	if ((iev = proc_peer(PROC_STREAM, c->stream)) == NULL ||
	    imsgev_forward(iev, imsg, c->id) == -1)
		return (-1);
	c->out++;
	return (0);
}

/*
 * A stanza a service of ours (mucd, uploadd) sends to a component's
 * JID, as received: on to it.  -1 when no component of that domain is
 * connected.
 */
int
component_deliver(const char *to, struct imsg *imsg)
{
	struct component	*c;

	if ((c = component_of_jid(to)) == NULL)
		return (-1);
	return (component_forward(c, imsg));
}

/*
 * A stanza from session from to a component's JID: on to it, or, while
 * it is away, the error a service that is not there earns.
 */
void
component_route(struct session *from, struct stanza_msg *m,
    struct imsg *imsg)
{
	struct component	*c;
	struct imsgev		*iev;
	int			 r = -1;

	if ((c = component_of_jid(m->to)) != NULL &&
	    (iev = proc_peer(PROC_STREAM, c->stream)) != NULL) {
		if (imsg != NULL)
			r = component_forward(c, imsg);
		else if ((r = stanza_send_msg(iev, c->id, m)) == 0)
			c->out++;
	}
	if (r == -1)
		router_bounce(from, m, "cancel", "service-unavailable");
}

/* Tell component JID jid, as from session s, that s is gone. */
static void
component_presence_gone(struct session *s, const char *jid)
{
	struct component	*c;
	struct xml_node		*n;

	if ((c = component_of_jid(jid)) == NULL)
		return;
	if ((n = xml_node_new(NS_CLIENT, "presence")) == NULL ||
	    xml_set_attr(n, "type", "unavailable") == -1 ||
	    xml_set_attr(n, "from", s->full) == -1 ||
	    xml_set_attr(n, "to", jid) == -1 ||
	    component_send(c, n) == -1)
		log_warnx("%s: %s not told of %s", __func__, jid, s->full);
	xml_node_free(n);
}

/*
 * A session that ends (or goes unavailable) leaves what it sent directed
 * presence to: a gateway's channels lose the user as a room does.
 */
void
component_session_gone(struct session *s)
{
	int	 i;

	for (i = 0; i < s->ndirected; i++)
		if (component_jid(s->directed[i]))
			component_presence_gone(s, s->directed[i]);
}

static void
component_session_end(struct session *s)
{
	if (!s->available)
		component_session_gone(s);
}

const struct router_hooks component_hooks = {
	component_session_end, NULL, NULL
};

/* An error back to the component, unless m was one. */
static void
component_bounce(struct component *c, struct stanza_msg *m, const char *type,
    const char *cond)
{
	struct xml_node	*r;

	if (strcmp(m->type, "error") == 0 || (m->kind == STANZA_IQ &&
	    strcmp(m->type, "result") == 0))
		return;
	if ((r = router_error_msg(m, type, cond)) != NULL)
		(void)component_send(c, r);
	xml_node_free(r);
}

/* Presence to a bare JID: to each available resource. */
static void
component_to_bare(struct user *u, struct stanza_msg *m, struct imsg *imsg)
{
	struct session	*s;

	if (u == NULL)
		return;
	TAILQ_FOREACH(s, &u->sessions, user_entry)
		if (s->available)
			router_pass(s, m, imsg);
}


/*
 * What the privilege hooks look at: messages to a domain of ours or
 * carrying a privilege element (the stream wrote the XML, so the
 * namespace is spelled out), IQ requests to a domain or an account of
 * ours.  Anything else is routed on its envelope alone.
 */
static int
component_privileged(struct component *c, struct stanza_msg *m, int where)
{
	struct xml_node	*n;
	int		 r;

	if (m->kind == STANZA_MESSAGE && where != 0 &&
	    memmem(m->xml, m->xmllen, NS_PRIVILEGE,
	    strlen(NS_PRIVILEGE)) == NULL)
		return (0);
	if (m->kind == STANZA_IQ && (where < 0 || where > 1 ||
	    (strcmp(m->type, "get") != 0 && strcmp(m->type, "set") != 0)))
		return (0);
	if (m->kind == STANZA_PRESENCE)
		return (0);
	/* Fail closed: what cannot be read is refused, not passed. */
	if ((n = router_parse(m->xml, m->xmllen, NS_CLIENT)) == NULL) {
		log_warnx("component %s: cannot read a %s: refused", c->name,
		    stanza_kinds[m->kind]);
		component_bounce(c, m, "cancel", "internal-server-error");
		return (1);
	}
	if (m->kind == STANZA_MESSAGE)
		r = priv_component_message(c, m, n);
	else
		r = priv_component_iq(c, m, n);
	xml_node_free(n);
	return (r);
}

/* To another domain: a service of ours, another component, or nowhere. */
static void
component_out(struct component *c, struct router_sender *cs,
    struct stanza_msg *m, struct imsg *imsg)
{
	struct component	*to_c;

	if (muc_jid(m->to))
		muc_forward(&cs->s, m, imsg);
	else if (upload_jid(m->to))
		upload_forward(&cs->s, m, imsg);
	else if ((to_c = component_of_jid(m->to)) != NULL && to_c != c &&
	    component_forward(to_c, imsg) == 0)
		;
	else {
		c->refused++;
		component_bounce(c, m, "cancel", component_jid(m->to) ?
		    "service-unavailable" : "remote-server-not-found");
	}
}

/*
 * A stanza from component c, its from already checked by the stream.
 * Messages to our users take the way a session's do (archive, offline
 * storage, carbons); IQs to the server or an account get the answers
 * anyone gets; presence goes to the sessions it names.
 */
static void
component_in(struct component *c, struct stanza_msg *m, struct imsg *imsg)
{
	struct router_sender	 cs;
	struct session		*to;
	struct user		*u;
	int			 where;

	where = router_local_jid(m->to, &to, &u);
	if (component_privileged(c, m, where))
		return;
	/* Answers reach the component's connection. */
	if (router_sender(&cs, m->from, c->stream, c->id) == -1) {
		c->refused++;
		component_bounce(c, m, "modify", "jid-malformed");
		return;
	}
	if (where == -1) {
		component_out(c, &cs, m, imsg);
		return;
	}
	if (m->kind == STANZA_IQ && where < 2) {
		if (strcmp(m->type, "get") == 0 || strcmp(m->type, "set") == 0)
			router_iq_remote(&cs.s, m);
		return;
	}
	if (where == 0) {
		c->refused++;
		component_bounce(c, m, "cancel", "service-unavailable");
		return;
	}
	if (u != NULL && blocking_known(u, m->from) != 0)
		return;		/* blocked, or its list is not known */
	if (m->kind == STANZA_MESSAGE)
		router_route(&cs.s, m, imsg);
	else if (to != NULL)
		router_pass(to, m, imsg);
	else if (m->kind == STANZA_PRESENCE)
		component_to_bare(u, m, imsg);
	else
		component_bounce(c, m, "cancel", "service-unavailable");
}

/* -1: not a stanza a stream writes. */
static int
component_stanza(struct component *c, struct imsg *imsg)
{
	struct stanza_msg	 m;
	struct jid		 j;

	if (stanza_recv(imsg, &m) == -1) {
		log_warnx("component %s: a bad stanza from stream %d", c->name,
		    c->stream);
		return (-1);
	}
	c->in++;
	/* The stream checked it; a stream gone wrong is not believed. */
	if (jid_parse(m.from, &j) == -1 || strcmp(j.domain, c->name) != 0) {
		log_warnx("component %s: a stanza from %s dropped", c->name,
		    m.from);
		c->refused++;
	} else
		component_in(c, &m, imsg);
	stanza_msg_clear(&m);
	return (0);
}

/*
 * A stream process's component passed its handshake: one per name,
 * and only the one the store's grant names for that connection.  -1:
 * a stream that names a component no handshake proved.
 */
static int
component_up(struct imsgev *iev, struct imsg *imsg)
{
	struct component_up	 up;
	struct component_conf	*cc;
	struct component	*c;

	if (imsg_get_data(imsg, &up, sizeof(up)) == -1) {
		log_warnx("%s: bad message from stream %d", __func__,
		    iev->instance);
		return (-1);
	}
	up.name[sizeof(up.name) - 1] = '\0';
	up.addr[sizeof(up.addr) - 1] = '\0';
	if (!grant_component_ok(proc_self.conf->global.grant_key,
	    iev->instance, imsg_get_id(imsg), up.name, up.grant)) {
		log_warnx("stream %d: component %s that no handshake granted: "
		    "refused", iev->instance, up.name);
		return (-1);
	}
	explicit_bzero(up.grant, sizeof(up.grant));
	if ((cc = config_component(proc_self.conf, up.name)) == NULL)
		up.status = COMPONENT_UP_UNKNOWN;
	else if (component_find(up.name) != NULL) {
		log_info("component %s from %s refused: connected already",
		    up.name, up.addr);
		up.status = COMPONENT_UP_CONFLICT;
	} else {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			fatal("%s", __func__);
		(void)strlcpy(c->name, cc->name, sizeof(c->name));
		c->conf = cc;
		c->stream = iev->instance;
		c->id = imsg_get_id(imsg);
		c->since = up.since;
		RB_INSERT(components, &components, c);
		up.status = COMPONENT_UP_OK;
	}
	imsgev_compose(iev, IMSG_COMPONENT_BOUND, imsg_get_id(imsg), 0, -1,
	    &up, sizeof(up));
	if (up.status == COMPONENT_UP_OK) {
		log_info("component %s up from %s", up.name, up.addr);
		priv_component_up(component_find(up.name));
	}
	return (0);
}

static void
component_free(struct component *c)
{
	log_info("component %s down", c->name);
	RB_REMOVE(components, &components, c);
	free(c);
}

/* A stream process is gone, and its components with it. */
void
component_stream_down(int stream)
{
	struct component	*c, *next;

	RB_FOREACH_SAFE(c, components, &components, next)
		if (c->stream == stream)
			component_free(c);
}

/*
 * A reload: a component whose block went is forgotten (its stream is
 * left to end by itself: stanzas no longer reach it); the others see
 * their new privileges.
 */
void
component_config_commit(void)
{
	struct component	*c, *next;

	RB_FOREACH_SAFE(c, components, &components, next)
		if ((c->conf = config_component(proc_self.conf,
		    c->name)) == NULL)
			component_free(c);
}

int
component_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct component	*c;

	switch (imsg_get_type(imsg)) {
	case IMSG_COMPONENT_UP:
		if (iev->type != PROC_STREAM)
			return (-1);
		return (component_up(iev, imsg));
	case IMSG_COMPONENT_DOWN:
		if (iev->type != PROC_STREAM)
			return (-1);
		if ((c = component_at(iev->instance,
		    imsg_get_id(imsg))) != NULL)
			component_free(c);
		return (0);
	case IMSG_STANZA:
		if (iev->type != PROC_STREAM || (c = component_at(
		    iev->instance, imsg_get_id(imsg))) == NULL)
			return (1);
		return (component_stanza(c, imsg));
	}
	return (1);
}

/* xmppctl show components: the connected ones. */
int
component_ctl(struct imsgev *iev, struct imsg *imsg)
{
	struct component	*c;
	struct ctl_component	 cc;
	uint32_t		 id = imsg_get_id(imsg);

	RB_FOREACH(c, components, &components) {
		memset(&cc, 0, sizeof(cc));
		(void)strlcpy(cc.name, c->name, sizeof(cc.name));
		cc.stream = c->stream;
		cc.since = c->since;
		cc.priv_roster = c->conf->priv_roster;
		cc.priv_message = c->conf->priv_message;
		cc.priv_presence = c->conf->priv_presence;
		cc.in = c->in;
		cc.out = c->out;
		cc.refused = c->refused;
		imsgev_compose(iev, IMSG_CTL_COMPONENT, id, 0, -1, &cc,
		    sizeof(cc));
	}
	imsgev_compose(iev, IMSG_CTL_END, id, 0, -1, NULL, 0);
	return (0);
}
