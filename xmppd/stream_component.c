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
 * External component streams (XEP-0114, jabber:component:accept): the
 * header names the component, the <handshake/> digest goes to the store
 * (which holds the secrets), the router takes the name on the store's
 * grant, then stanzas go both ways, each from the component's own
 * domain only.
 */

#include <sys/types.h>
#include <sys/tree.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "io.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "stanza.h"
#include "stream.h"
#include "xml.h"

#define NS_STREAM_ERR	"urn:ietf:params:xml:ns:xmpp-streams"

#define COMP_LOGIN_TIMEOUT	30	/* seconds from accept to handshake */
#ifndef REGRESS
#define COMP_IDLE_TIMEOUT	(300 * 1000)	/* then the server pings */
#define COMP_PING_TIMEOUT	(60 * 1000)	/* for any answer */
#else
#define COMP_IDLE_TIMEOUT	(8 * 1000)
#define COMP_PING_TIMEOUT	(4 * 1000)
#endif
#define COMP_PING_ID		"xmppd-ping"

/* After c2s.c's states: a component's conn is never a client's. */
enum comp_state {
	COMP_TLS_HANDSHAKE = 100,
	COMP_HEADER,		/* waiting for the stream header */
	COMP_HANDSHAKE,		/* waiting for <handshake/> */
	COMP_AUTH,		/* the store checks the digest */
	COMP_BINDING,		/* the router takes the name */
	COMP_UP,		/* stanzas both ways */
	COMP_CLOSING,
};

static int	comp_open(void *, struct xml_node *);
static int	comp_stanza(void *, struct xml_node *);
static int	comp_closed(void *);
static void	comp_xml_error(void *, int, const char *);

static const struct xml_stream_cb comp_cb = {
	comp_open, comp_stanza, comp_closed, comp_xml_error
};

static void
comp_write(struct conn *c, const char *s)
{
	if (c->state == COMP_CLOSING)
		return;
	if (io_write(c->io, s, strlen(s)) == -1) {
		log_info("component connection %u: %s", c->id,
		    io_error(c->io));
		c->state = COMP_CLOSING;
		io_close_after_write(c->io);
	}
}

static void
comp_header(struct conn *c)
{
	char	*h;

	if (c->header_sent)
		return;
	h = stream_header(NS_COMPONENT, c, ">");
	comp_write(c, h);
	free(h);
	c->header_sent = 1;
}

/* A stream error ends the stream (RFC 6120 section 4.9). */
static void
comp_error(struct conn *c, const char *cond, const char *text)
{
	struct xml_node	*e;
	struct xml_buf	 b;

	if (c->state == COMP_CLOSING)
		return;
	comp_header(c);
	xml_buf_init(&b, 0);
	if ((e = xml_node_new(NS_STREAM_ERR, cond)) == NULL ||
	    xml_buf_addstr(&b, "<stream:error>") == -1 ||
	    xml_serialize(e, NS_COMPONENT, &b) == -1)
		fatal("%s", __func__);
	xml_node_free(e);
	if (text != NULL) {
		if ((e = xml_node_new(NS_STREAM_ERR, "text")) == NULL ||
		    xml_add_text(e, text, strlen(text)) == -1 ||
		    xml_serialize(e, NS_COMPONENT, &b) == -1)
			fatal("%s", __func__);
		xml_node_free(e);
	}
	if (xml_buf_addstr(&b, "</stream:error></stream:stream>") == -1 ||
	    xml_buf_add(&b, "", 1) == -1)
		fatal("%s", __func__);
	comp_write(c, b.data);
	xml_buf_free(&b);
	log_info("component connection %u from %s%s%s: stream error %s%s%s",
	    c->id, c->addr, c->domain[0] ? " for " : "", c->domain, cond,
	    text ? ": " : "", text ? text : "");
	c->state = COMP_CLOSING;
	io_close_after_write(c->io);
}

static void
comp_xml_error(void *arg, int error, const char *text)
{
	(void)text;
	comp_error(arg, xml_error_name(error), NULL);
}

void
comp_timeout(struct conn *c)
{
	comp_error(c, "connection-timeout", NULL);
}

/* A new parser and a new unpredictable stream id. */
static int
comp_new_parser(struct conn *c)
{
	struct xml_limits	 l;
	uint8_t			 r[16];
	size_t			 i;

	arc4random_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r); i++)
		(void)snprintf(c->streamid + 2 * i, sizeof(c->streamid) - 2 * i,
		    "%02x", r[i]);
	explicit_bzero(r, sizeof(r));
	stanza_limits(&stream_conf->global, &l);
	if (c->xs == NULL)
		c->xs = xml_stream_new(&l, &comp_cb, c);
	c->header_sent = 0;
	c->state = COMP_HEADER;
	return (c->xs == NULL ? -1 : 0);
}

void
comp_start(struct conn *c)
{
	conn_deadline(c, COMP_LOGIN_TIMEOUT);
	io_set_maxout(c->io, 4 * stream_conf->global.limits.stanza_size +
	    65536);
	if (comp_new_parser(c) == -1) {
		conn_close(c);
		return;
	}
	if (c->direct_tls) {
		c->state = COMP_TLS_HANDSHAKE;
		if (stream_tls_accept(c, 1) == -1)
			conn_close(c);
	}
}

/*
 * The header names the component (XEP-0114 section 3): a name with no
 * component block is host-unknown, before any secret is looked at.
 */
static int
comp_open(void *arg, struct xml_node *h)
{
	struct conn	*c = arg;
	const char	*to = xml_get_attr(h, "to");
	char		 dom[CONF_NAMELEN];

	if (h->text == NULL || strcmp(h->text, NS_COMPONENT) != 0) {
		comp_error(c, "invalid-namespace", NULL);
		return (-1);
	}
	if (to == NULL || strlcpy(dom, to, sizeof(dom)) >= sizeof(dom) ||
	    jid_prep_domain(dom, sizeof(dom)) == -1 ||
	    config_component(stream_conf, dom) == NULL) {
		comp_error(c, "host-unknown", NULL);
		return (-1);
	}
	(void)strlcpy(c->domain, dom, sizeof(c->domain));
	comp_header(c);
	c->state = COMP_HANDSHAKE;
	return (0);
}

static int
comp_closed(void *arg)
{
	struct conn	*c = arg;

	conn_deadline(c, 0);
	comp_write(c, "</stream:stream>");
	c->state = COMP_CLOSING;
	io_close_after_write(c->io);
	return (-1);
}

/* The digest goes to the store: 40 hex digits, or not-authorized. */
static void
comp_handshake(struct conn *c, struct xml_node *n)
{
	struct component_auth	 ca;
	struct imsgev		*store = proc_peer(PROC_STORE, 0);
	char			*t;
	size_t			 i, len;

	if ((t = xml_text(n)) == NULL)
		fatal("%s", __func__);
	len = strlen(t);
	for (i = 0; i < len && isxdigit((unsigned char)t[i]); i++)
		;
	if (len != COMPONENT_DIGEST_LEN || i != len) {
		free(t);
		comp_error(c, "not-authorized", NULL);
		return;
	}
	if (store == NULL) {
		free(t);
		comp_error(c, "internal-server-error", NULL);
		return;
	}
	memset(&ca, 0, sizeof(ca));
	(void)strlcpy(ca.name, c->domain, sizeof(ca.name));
	(void)strlcpy(ca.streamid, c->streamid, sizeof(ca.streamid));
	(void)strlcpy(ca.digest, t, sizeof(ca.digest));
	(void)strlcpy(ca.addr, c->addr, sizeof(ca.addr));
	free(t);
	imsgev_compose(store, IMSG_COMPONENT_AUTH, c->id, 0, -1, &ca,
	    sizeof(ca));
	c->state = COMP_AUTH;
}

/* Normalise the JID in attribute name; -1 when there is none or bad. */
static int
comp_jid(struct xml_node *n, const char *name, struct jid *j)
{
	const char	*v = xml_get_attr(n, name);
	char		 norm[CONF_JIDLEN];

	if (v == NULL || jid_parse(v, j) == -1 ||
	    jid_full(j, norm, sizeof(norm)) >= sizeof(norm))
		return (-1);
	return (xml_set_attr(n, name, norm));
}

/*
 * A stanza from the component: from its exact domain or a JID of it
 * (XEP-0114 section 3, RFC 6120 section 4.9.3.10), to somewhere.
 */
static void
comp_route(struct conn *c, struct xml_node *n)
{
	struct imsgev	*router = proc_peer(PROC_ROUTER, 0);
	struct jid	 from, to;

	if (comp_jid(n, "from", &from) == -1 ||
	    strcmp(from.domain, c->domain) != 0) {
		comp_error(c, "invalid-from", NULL);
		return;
	}
	if (comp_jid(n, "to", &to) == -1) {
		comp_error(c, "improper-addressing", NULL);
		return;
	}
	if (stream_ns_client(n, NS_COMPONENT) == -1 || router == NULL ||
	    stanza_send(router, c->id, c->id, n, NS_CLIENT) == -1)
		comp_error(c, "internal-server-error", NULL);
}

/* The server domain a ping to the component comes from. */
static const char *
comp_ping_from(void)
{
	struct domain_conf	*d = TAILQ_FIRST(&stream_conf->domains);

	return (d != NULL ? d->name : NULL);
}

/* Quiet for long: is the component there (XEP-0199)? */
static int
comp_ping(struct conn *c)
{
	struct xml_node	*iq;
	struct xml_buf	 b;
	const char	*from = comp_ping_from();

	if (from == NULL)
		return (-1);
	xml_buf_init(&b, 0);
	if ((iq = xml_node_new(NS_COMPONENT, "iq")) == NULL ||
	    xml_set_attr(iq, "type", "get") == -1 ||
	    xml_set_attr(iq, "id", COMP_PING_ID) == -1 ||
	    xml_set_attr(iq, "from", from) == -1 ||
	    xml_set_attr(iq, "to", c->domain) == -1 ||
	    xml_add_child(iq, "urn:xmpp:ping", "ping") == NULL ||
	    xml_serialize(iq, NS_COMPONENT, &b) == -1 ||
	    xml_buf_add(&b, "", 1) == -1)
		fatal("%s", __func__);
	xml_node_free(iq);
	comp_write(c, b.data);
	xml_buf_free(&b);
	return (0);
}

/* The component's answer to our ping: taken here, never routed. */
static int
comp_ping_answer(struct xml_node *n)
{
	const char	*type = xml_get_attr(n, "type");
	const char	*id = xml_get_attr(n, "id");
	const char	*to = xml_get_attr(n, "to");
	const char	*from = comp_ping_from();

	return (xml_is(n, NS_COMPONENT, "iq") && type != NULL &&
	    (strcmp(type, "result") == 0 || strcmp(type, "error") == 0) &&
	    id != NULL && strcmp(id, COMP_PING_ID) == 0 && to != NULL &&
	    from != NULL && strcmp(to, from) == 0);
}

static int
comp_stanza(void *arg, struct xml_node *n)
{
	struct conn	*c = arg;

	if (c->state == COMP_CLOSING)
		;
	else if (c->state == COMP_HANDSHAKE &&
	    xml_is(n, NS_COMPONENT, "handshake"))
		comp_handshake(c, n);
	else if (c->state != COMP_UP)
		comp_error(c, "not-authorized", NULL);
	else if (n->ns == NULL || strcmp(n->ns, NS_COMPONENT) != 0 ||
	    stanza_kind(n) == -1)
		comp_error(c, "unsupported-stanza-type", NULL);
	else if (comp_ping_answer(n))
		log_debug("component connection %u: ping answered", c->id);
	else
		comp_route(c, n);
	xml_node_free(n);
	return (c->state == COMP_CLOSING ? -1 : 0);
}

static void
comp_input(struct conn *c)
{
	size_t	 len;
	char	*data;

	while ((data = io_data(c->io, &len)) != NULL && len > 0 &&
	    c->state != COMP_CLOSING && !io_paused(c->io)) {
		io_drain(c->io, len);
		if (c->ping_pending) {
			c->ping_pending = 0;
			io_set_timeout(c->io, COMP_IDLE_TIMEOUT);
		}
		if (stream_rate(c, len))
			log_debug("component connection %u: over its rate",
			    c->id);
		if (xml_stream_feed(c->xs, data, len) != 0)
			break;
	}
}

void
comp_io(struct io *io, int event, void *arg)
{
	struct conn	*c = arg;

	(void)io;
	switch (event) {
	case IO_TLSREADY:
		c->tls = 1;
		c->state = COMP_HEADER;
		return;
	case IO_DATAIN:
		comp_input(c);
		return;
	case IO_LOWAT:
		return;
	case IO_TIMEOUT:
		if (c->state == COMP_UP && !c->ping_pending &&
		    comp_ping(c) == 0) {
			c->ping_pending = 1;
			io_set_timeout(c->io, COMP_PING_TIMEOUT);
			return;
		}
		if (c->state != COMP_CLOSING) {
			comp_error(c, "connection-timeout", NULL);
			return;
		}
		break;
	case IO_ERROR:
		log_debug("component connection %u: %s", c->id,
		    io_error(c->io));
		break;
	}
	conn_close(c);
}

/* The store's answer to the digest: on to the router, or refused. */
static void
comp_auth_result(struct conn *c, struct imsg *imsg)
{
	struct component_auth	 ca;
	struct component_up	 up;
	struct imsgev		*router = proc_peer(PROC_ROUTER, 0);

	if (imsg_get_data(imsg, &ca, sizeof(ca)) == -1)
		fatalx("%s: bad answer", __func__);
	if (ca.status == COMPONENT_AUTH_THROTTLED) {
		comp_error(c, "not-authorized", "Too many failed handshakes");
		return;
	}
	if (ca.status != COMPONENT_AUTH_OK) {
		comp_error(c, "not-authorized", NULL);
		return;
	}
	if (router == NULL) {
		comp_error(c, "internal-server-error", NULL);
		return;
	}
	memset(&up, 0, sizeof(up));
	(void)strlcpy(up.name, c->domain, sizeof(up.name));
	(void)strlcpy(up.addr, c->addr, sizeof(up.addr));
	up.since = c->since;
	memcpy(up.grant, ca.grant, sizeof(up.grant));
	explicit_bzero(ca.grant, sizeof(ca.grant));
	imsgev_compose(router, IMSG_COMPONENT_UP, c->id, 0, -1, &up,
	    sizeof(up));
	explicit_bzero(up.grant, sizeof(up.grant));
	c->state = COMP_BINDING;
}

/* The router took the name, or another connection has it. */
static void
comp_bound(struct conn *c, struct imsg *imsg)
{
	struct component_up	 up;

	if (imsg_get_data(imsg, &up, sizeof(up)) == -1)
		fatalx("%s: bad answer", __func__);
	if (up.status == COMPONENT_UP_CONFLICT) {
		comp_error(c, "conflict", NULL);
		return;
	}
	if (up.status != COMPONENT_UP_OK) {
		comp_error(c, "host-unknown", NULL);
		return;
	}
	c->bound = 1;
	c->state = COMP_UP;
	conn_deadline(c, 0);
	io_set_timeout(c->io, COMP_IDLE_TIMEOUT);
	comp_write(c, "<handshake/>");
	log_info("component connection %u from %s: %s connected", c->id,
	    c->addr, c->domain);
}

static void
comp_deliver(struct conn *c, struct imsg *imsg)
{
	struct stanza_msg	 m;

	if (stanza_recv(imsg, &m) == -1)
		fatalx("%s: bad stanza from the router", __func__);
	if (c->state == COMP_UP)
		comp_write(c, m.xml);
	stanza_msg_clear(&m);
}

/* Messages for component connections; 1: not one of theirs. */
int
comp_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct conn	*c = conn_find(imsg_get_id(imsg));
	uint32_t	 type = imsg_get_type(imsg);

	switch (type) {
	case IMSG_COMPONENT_AUTH_RESULT:
		if (iev->type != PROC_STORE)
			return (-1);
		if (c != NULL && c->kind == LISTEN_COMPONENT &&
		    c->state == COMP_AUTH)
			comp_auth_result(c, imsg);
		return (0);
	case IMSG_COMPONENT_BOUND:
		if (iev->type != PROC_ROUTER)
			return (-1);
		if (c != NULL && c->kind == LISTEN_COMPONENT &&
		    c->state == COMP_BINDING)
			comp_bound(c, imsg);
		return (0);
	case IMSG_STANZA:
		if (c == NULL || c->kind != LISTEN_COMPONENT)
			return (1);
		if (iev->type != PROC_ROUTER)
			return (-1);
		comp_deliver(c, imsg);
		return (0);
	}
	return (1);
}

/* The connection goes: the router forgets the component. */
/*
 * The configuration changed: a component whose block is gone is told
 * its name is no longer served (RFC 6120 section 4.9.3.6) and closed,
 * the way one that asked for an unknown name is refused.
 */
void
comp_reconfigure(struct conn *c, struct xmppd_config *conf)
{
	if (c->domain[0] == '\0' || c->state == COMP_CLOSING ||
	    config_component(conf, c->domain) != NULL)
		return;
	comp_error(c, "host-gone", "This component is no longer served");
}

void
comp_free(struct conn *c)
{
	struct imsgev	*iev;

	if ((c->bound || c->state == COMP_BINDING) &&
	    (iev = proc_peer(PROC_ROUTER, 0)) != NULL)
		imsgev_compose(iev, IMSG_COMPONENT_DOWN, c->id, 0, -1, NULL, 0);
	c->bound = 0;
	xml_stream_free(c->xs);
	c->xs = NULL;
}
