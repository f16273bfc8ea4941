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
 * Client streams (RFC 6120): stream headers and features, STARTTLS
 * (required), SASL relayed to the owner of the credentials, in-band
 * registration (XEP-0077), resource binding, then stanzas to the router
 * with the client's full JID stamped as their sender.
 */

#include <sys/types.h>
#include <sys/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tls.h>

#include "base64.h"
#include "config.h"
#include "io.h"
#include "http_bosh.h"
#include "http_web.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "stanza.h"
#include "stream.h"
#include "xml.h"

#define NS_TLS		"urn:ietf:params:xml:ns:xmpp-tls"
#define NS_SASL		"urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND		"urn:ietf:params:xml:ns:xmpp-bind"
#define NS_SESSION	"urn:ietf:params:xml:ns:xmpp-session"
#define NS_STREAM_ERR	"urn:ietf:params:xml:ns:xmpp-streams"
#define NS_REGISTER	"jabber:iq:register"
#define NS_REGISTER_F	"http://jabber.org/features/iq-register"
#define NS_SM		"urn:xmpp:sm:3"
#define NS_CSI		"urn:xmpp:csi:0"
#define NS_PREAPPROVAL	"urn:xmpp:features:pre-approval"
#define NS_ROSTERVER	"urn:xmpp:features:rosterver"

#define C2S_LOGIN_TIMEOUT	60	/* seconds from accept to bound */
#define C2S_CLOSE_TIMEOUT	2	/* for a closing client's last ack */
#ifndef REGRESS
#define C2S_QUIET_TIMEOUT	(10 * 1000)	/* the parser is given back */
#define C2S_IDLE_TIMEOUT	(300 * 1000)	/* then the server pings */
#define C2S_PING_TIMEOUT	(60 * 1000)	/* for any answer */
#else
#define C2S_QUIET_TIMEOUT	(2 * 1000)
#define C2S_IDLE_TIMEOUT	(8 * 1000)
#define C2S_PING_TIMEOUT	(4 * 1000)
#endif
#define C2S_PING_ID		"xmppd-ping"
#define C2S_AUTH_RETRIES	3
#define C2S_HELD_MAX		64	/* stanzas behind a password change */
#define C2S_SASL_MAX		BASE64_ENCLEN(AUTH_MSG_MAX)

enum c2s_state {
	C2S_TLS_HANDSHAKE,
	C2S_HEADER,		/* waiting for a stream header */
	C2S_STREAM,		/* header answered, features sent */
	C2S_STARTTLS,		/* <proceed/> being written */
	C2S_SASL,		/* waiting for the credential owner */
	C2S_SASL_CLIENT,	/* waiting for the client's <response/> */
	C2S_REGISTER,		/* waiting for the store */
	C2S_REMOVING,		/* <remove/> at the store; input dropped */
	C2S_BINDING,		/* waiting for the router */
	C2S_CLOSED,		/* the client closed: a parser to prime */
	C2S_ACKWAIT,		/* reading the closed client's last ack */
	C2S_CLOSING,
};

static int	c2s_open(void *, struct xml_node *);
static int	c2s_stanza(void *, struct xml_node *);
static int	c2s_closed(void *);
static void	c2s_xml_error(void *, int, const char *);
static void	c2s_hold(struct conn *, struct xml_node *);
static void	c2s_release(struct conn *);
static int	c2s_handle(struct conn *, struct xml_node *);
static void	c2s_close(struct conn *);

static const struct xml_stream_cb c2s_cb = {
	c2s_open, c2s_stanza, c2s_closed, c2s_xml_error
};

static int	c2s_tcp_write(struct conn *, const char *, size_t);
static void	c2s_tcp_open(struct conn *);

/* A stream over TCP, the transport of client listeners. */
const struct c2s_transport c2s_tcp = {
	"tcp", 1, c2s_tcp_write, c2s_tcp_open, c2s_close_after_write, NULL,
	NULL, NULL
};

/* Over a WebSocket (http_ws.c): the same engine, framed for it. */
const struct c2s_transport c2s_ws = {
	"websocket", 0, http_ws_write, http_ws_open, c2s_close_after_write,
	http_ws_ping, http_ws_free, NULL
};

static int
c2s_tcp_write(struct conn *c, const char *s, size_t len)
{
	return (io_write(c->io, s, len));
}

/* The transports over a connection of their own close it so. */
void
c2s_close_after_write(struct conn *c)
{
	io_close_after_write(c->io);
}

void
c2s_write(struct conn *c, const char *s)
{
	if (c->state == C2S_CLOSING)
		return;		/* nothing follows the stream's end */
	if (c->transport->write(c, s, strlen(s)) == -1) {
		log_info("connection %u: %s", c->id, c->io != NULL ?
		    io_error(c->io) : "not written");
		c->state = C2S_CLOSING;
		c->transport->close(c);
	}
}

void
c2s_write_node(struct conn *c, struct xml_node *n)
{
	struct xml_buf	 b;

	xml_buf_init(&b, 0);
	if (xml_serialize(n, NS_CLIENT, &b) == 0 &&
	    xml_buf_add(&b, "", 1) == 0 && c2s_sm_write(c, stanza_kind(n),
	    xml_get_attr(n, "type"), b.data) == -1)
		c2s_write(c, b.data);
	xml_buf_free(&b);
}

static void
c2s_tcp_open(struct conn *c)
{
	char	*h;

	h = stream_header(NS_CLIENT, c, " version='1.0' xml:lang='en'>");
	c2s_write(c, h);
	free(h);
}

static void
c2s_header(struct conn *c)
{
	if (c->header_sent)
		return;
	c->header_sent = 1;
	c->transport->open(c);
}

/* Serialize n into b; what cannot be written is left out. */
static void
c2s_error_part(struct xml_buf *b, const struct xml_node *n)
{
	if (n != NULL && xml_serialize(n, NS_CLIENT, b) == -1)
		log_warnx("%s: <%s/> not written", __func__, n->name);
}

/*
 * A stream error ends the stream (RFC 6120 section 4.9); app, when not
 * NULL, is an application-specific condition element (section 4.9.4).
 * The text may come from an administrator: it is written as text.
 */
void
c2s_error_app(struct conn *c, const char *cond, const char *text,
    const struct xml_node *app)
{
	struct xml_node	*n;
	struct xml_buf	 b;

	if (c->state == C2S_CLOSING)
		return;
	c2s_header(c);
	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, "<stream:error>") == -1)
		fatal("%s", __func__);
	if ((n = xml_node_new(NS_STREAM_ERR, cond)) == NULL)
		fatal("%s", __func__);
	c2s_error_part(&b, n);
	xml_node_free(n);
	if (text != NULL) {
		if ((n = xml_node_new(NS_STREAM_ERR, "text")) == NULL ||
		    xml_add_text(n, text, strlen(text)) == -1)
			fatal("%s", __func__);
		c2s_error_part(&b, n);
		xml_node_free(n);
	}
	c2s_error_part(&b, app);
	if (xml_buf_addstr(&b, "</stream:error></stream:stream>") == -1 ||
	    xml_buf_add(&b, "", 1) == -1)
		fatal("%s", __func__);
	c2s_write(c, b.data);
	xml_buf_free(&b);
	log_info("connection %u from %s: stream error %s%s%s", c->id, c->addr,
	    cond, text ? ": " : "", text ? text : "");
	conn_end_error(c, cond);
	c->state = C2S_CLOSING;
	c->transport->close(c);
}

void
c2s_error(struct conn *c, const char *cond, const char *text)
{
	c2s_error_app(c, cond, text, NULL);
}

/* Stream management (c2s_sm.c): a resume waits for the router. */
void
c2s_wait(struct conn *c)
{
	c->state = C2S_BINDING;
}

void
c2s_resume_failed(struct conn *c)
{
	c->state = C2S_STREAM;
}

/* The session is this connection's now (c->full set by c2s_sm.c). */
void
c2s_resumed(struct conn *c)
{
	c->state = C2S_STREAM;
	c->bound = 1;
	conn_deadline(c, 0);
}

static void
c2s_xml_error(void *arg, int error, const char *text)
{
	struct conn	*c = arg;

	(void)text;
	c2s_error(c, xml_error_name(error), NULL);
}

void
c2s_timeout(struct conn *c)
{
	if (c->state == C2S_CLOSED || c->state == C2S_ACKWAIT)
		c2s_close(c);	/* no ack: what is unacked is so */
	else
		c2s_error(c, "connection-timeout", NULL);
}

static int
c2s_new_parser(struct conn *c)
{
	struct xml_limits	 l;
	uint8_t			 r[12];
	size_t			 i;

	/* Each new stream gets a new id (RFC 6120 section 4.7.3). */
	arc4random_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r); i++)
		(void)snprintf(c->streamid + 2 * i, sizeof(c->streamid) - 2 * i,
		    "%02x", r[i]);
	stanza_limits(&stream_conf->global, &l);
	if (c->xs == NULL)
		c->xs = xml_stream_new(&l, &c2s_cb, c);
	else if (xml_stream_reset(c->xs) == -1) {
		xml_stream_free(c->xs);
		c->xs = NULL;
	}
	c->header_sent = 0;
	c->state = C2S_HEADER;
	return (c->xs == NULL ? -1 : 0);
}

void
c2s_start(struct conn *c)
{
	if (c->transport == NULL)
		c->transport = &c2s_tcp;
	conn_deadline(c, C2S_LOGIN_TIMEOUT);
	/* A BOSH session has no connection of its own: it times itself. */
	if (c->io != NULL) {
		io_set_timeout(c->io, C2S_QUIET_TIMEOUT);
		io_set_maxout(c->io, 4 *
		    stream_conf->global.limits.stanza_size + 65536);
	}
	if (c2s_new_parser(c) == -1) {
		conn_close(c);
		return;
	}
	if (c->direct_tls) {
		c->state = C2S_TLS_HANDSHAKE;
		if (stream_tls_accept(c, 1) == -1) {
			conn_close(c);
			return;
		}
	}
}

static void
c2s_features(struct conn *c)
{
	struct domain_conf	*d = config_domain(stream_conf, c->domain);

	c2s_write(c, "<stream:features>");
	if (!c->tls) {
		/* A web transport has no STARTTLS: TLS is its listener's. */
		if (c->transport->starttls)
			c2s_write(c, "<starttls xmlns='" NS_TLS "'><required/>"
			    "</starttls>");
	} else if (!c->authed) {
		c2s_write(c, "<mechanisms xmlns='" NS_SASL "'>");
		if (d->auth == AUTH_INTERNAL)
			c2s_write(c, "<mechanism>SCRAM-SHA-256</mechanism>"
			    "<mechanism>SCRAM-SHA-1</mechanism>");
		c2s_write(c, "<mechanism>PLAIN</mechanism></mechanisms>");
		if (d->registration && d->auth == AUTH_INTERNAL)
			c2s_write(c, "<register xmlns='" NS_REGISTER_F "'/>");
	} else {
		c2s_write(c, "<bind xmlns='" NS_BIND "'/><session xmlns='"
		    NS_SESSION "'><optional/></session>");
		c2s_write(c, "<sm xmlns='" NS_SM "'/>");	/* XEP-0198 */
		/* XEP-0352 section 4: offered once authenticated. */
		c2s_write(c, "<csi xmlns='" NS_CSI "'/>");
		/* RFC 6121 section 3.4: the router keeps pre-approvals. */
		c2s_write(c, "<sub xmlns='" NS_PREAPPROVAL "'/>");
		/* RFC 6121 section 2.6.1: the roster has versions. */
		c2s_write(c, "<ver xmlns='" NS_ROSTERVER "'/>");
	}
	/*
	 * XEP-0115 section 6.3: the server's own capabilities.  The hash
	 * is of the features alone: a domain with contact addresses
	 * (XEP-0157) has a form in its disco#info, and no hash here.
	 */
	if (stream_caps[0] != '\0' && (d == NULL || d->ncontacts == 0)) {
		c2s_write(c, "<c xmlns='http://jabber.org/protocol/caps' "
		    "hash='sha-1' node='https://xmppd.invalid/caps' ver='");
		c2s_write(c, stream_caps);
		c2s_write(c, "'/>");
	}
	c2s_write(c, "</stream:features>");
}

/*
 * RFC 6120 4.7.2: a client whose header names itself in from is named
 * in to of ours, as a bare JID.  A from that is no JID names nobody:
 * before authentication it proves nothing, so it is not refused.
 */
static void
c2s_peer_from(struct conn *c, struct xml_node *h)
{
	struct jid	 j;
	char		 bare[2 * JID_PARTMAX + 2];

	free(c->peer_from);
	c->peer_from = NULL;
	if (jid_parse(xml_get_attr(h, "from"), &j) == -1 ||
	    jid_bare(&j, bare, sizeof(bare)) >= sizeof(bare))
		return;
	if ((c->peer_from = strdup(bare)) == NULL)
		fatal("%s", __func__);
}

static int
c2s_open(void *arg, struct xml_node *h)
{
	struct conn	*c = arg;
	const char	*to = xml_get_attr(h, "to");
	const char	*version = xml_get_attr(h, "version");
	char		 dom[CONF_NAMELEN];

	if (c->state == C2S_CLOSED) {
		/* Our own header, priming the parser: see c2s_reopen(). */
		c->state = C2S_ACKWAIT;
		return (0);
	}
	if (h->text == NULL || strcmp(h->text, NS_CLIENT) != 0) {
		c2s_error(c, "invalid-namespace", NULL);
		return (-1);
	}
	if (to == NULL || strlcpy(dom, to, sizeof(dom)) >= sizeof(dom) ||
	    jid_prep_domain(dom, sizeof(dom)) == -1 ||
	    config_domain(stream_conf, dom) == NULL ||
	    (c->domain[0] != '\0' && strcmp(dom, c->domain) != 0)) {
		c2s_error(c, "host-unknown", NULL);
		return (-1);
	}
	(void)strlcpy(c->domain, dom, sizeof(c->domain));
	if (version == NULL || strtol(version, NULL, 10) < 1) {
		c2s_error(c, "unsupported-version", NULL);
		return (-1);
	}
	c2s_peer_from(c, h);
	c2s_header(c);
	c2s_features(c);
	c->state = C2S_STREAM;
	return (0);
}

/* Our side of the stream ends, then the connection. */
static void
c2s_close(struct conn *c)
{
	conn_deadline(c, 0);
	c2s_write(c, "</stream:stream>");
	c->state = C2S_CLOSING;
	c->transport->close(c);
}

/*
 * The client closed its stream (RFC 6120 section 4.4).  The server may
 * still write, and does when stream management has stanzas the client
 * has not acknowledged: it asks (c2s_sm.c) and reads the answer, for
 * C2S_CLOSE_TIMEOUT at most, before it closes.
 */
static int
c2s_closed(void *arg)
{
	struct conn	*c = arg;

	conn_end(c, "stream closed by client");
	/* A removal under way ends the stream itself, once answered. */
	if (c->state == C2S_REMOVING)
		return (-1);
	/* What waits behind a password change goes first. */
	if (c->registering && c->held != NULL &&
	    !TAILQ_EMPTY(&c->held->children)) {
		c->close_held = 1;
		return (-1);
	}
	if (c->state == C2S_ACKWAIT || c2s_sm_closed(c) == 0)
		c2s_close(c);
	else {
		c->state = C2S_CLOSED;
		conn_deadline(c, C2S_CLOSE_TIMEOUT);
	}
	return (-1);
}

/*
 * What a client sends after its closing tag lies outside its XML
 * document: a fresh parser, primed with a stream header of ours, reads
 * it with the same limits.  What followed the closing tag in the same
 * read is not looked at: the client had not seen our <r/> yet.
 */
static void
c2s_reopen(struct conn *c)
{
	static const char	 hdr[] = "<stream:stream xmlns='" NS_CLIENT
	    "' xmlns:stream='" NS_STREAMS "'>";

	if (xml_stream_reset(c->xs) == -1 ||
	    xml_stream_feed(c->xs, hdr, sizeof(hdr) - 1) != 0 ||
	    c->state != C2S_ACKWAIT)
		c2s_close(c);
}

/* A SASL failure, with a text when not NULL (an administrator's). */
static void
c2s_sasl_failure_text(struct conn *c, const char *cond, const char *text)
{
	struct xml_node	*n, *t;

	if ((n = xml_node_new(NS_SASL, "failure")) == NULL ||
	    xml_add_child(n, NS_SASL, cond) == NULL)
		fatal("%s", __func__);
	if (text != NULL && text[0] != '\0' &&
	    ((t = xml_add_child(n, NS_SASL, "text")) == NULL ||
	    xml_add_text(t, text, strlen(text)) == -1))
		fatal("%s", __func__);
	c2s_write_node(c, n);
	xml_node_free(n);
	c->state = C2S_STREAM;
	free(c->login_check);
	c->login_check = NULL;
	if (strcmp(cond, "aborted") != 0 &&
	    ++c->auth_failures >= C2S_AUTH_RETRIES)
		c2s_error(c, "policy-violation", "Too many failed logins");
}

static void
c2s_sasl_failure(struct conn *c, const char *cond)
{
	c2s_sasl_failure_text(c, cond, NULL);
}

/*
 * Decode a SASL payload; "=" is an empty one.  Returns 1 with data, 0
 * without, or the failure condition to answer.
 */
static int
c2s_sasl_decode(struct xml_node *n, uint8_t **out, size_t *len,
    const char **cond)
{
	char	*t;
	size_t	 tlen;
	int	 r;

	*out = NULL;
	*len = 0;
	*cond = "incorrect-encoding";
	if ((t = xml_text(n)) == NULL)
		return (-1);
	if (t[0] == '\0' || strcmp(t, "=") == 0) {
		r = t[0] == '\0' ? 0 : 1;
		free(t);
		return (r);
	}
	if ((tlen = strlen(t)) > C2S_SASL_MAX) {
		*cond = "malformed-request";
		free(t);
		return (-1);
	}
	if ((*out = malloc(tlen)) == NULL)
		fatal("%s", __func__);
	r = base64_decode(t, tlen, *out, tlen);
	free(t);
	if (r <= 0 || r > AUTH_MSG_MAX) {
		if (r > AUTH_MSG_MAX)
			*cond = "malformed-request";
		freezero(*out, tlen);
		*out = NULL;
		return (-1);
	}
	*len = r;
	return (1);
}

static void
c2s_auth(struct conn *c, struct xml_node *n)
{
	struct auth_start	 st;
	struct iovec		 iov[2];
	struct imsgev		*owner;
	struct domain_conf	*d = config_domain(stream_conf, c->domain);
	const char		*mech = xml_get_attr(n, "mechanism");
	uint8_t			*data;
	size_t			 len;
	int			 has;
	const char		*cond;

	memset(&st, 0, sizeof(st));
	if (mech != NULL && strcmp(mech, "PLAIN") == 0)
		st.mech = SASL_PLAIN;
	else if (mech != NULL && strcmp(mech, "SCRAM-SHA-1") == 0 &&
	    d->auth == AUTH_INTERNAL)
		st.mech = SASL_SCRAM_SHA_1;
	else if (mech != NULL && strcmp(mech, "SCRAM-SHA-256") == 0 &&
	    d->auth == AUTH_INTERNAL)
		st.mech = SASL_SCRAM_SHA_256;
	else {
		c2s_sasl_failure(c, "invalid-mechanism");
		return;
	}
	if ((has = c2s_sasl_decode(n, &data, &len, &cond)) == -1) {
		c2s_sasl_failure(c, cond);
		return;
	}
	if ((owner = stream_auth_owner(c->domain)) == NULL) {
		free(data);
		c2s_sasl_failure(c, "temporary-auth-failure");
		return;
	}
	(void)strlcpy(st.domain, c->domain, sizeof(st.domain));
	(void)strlcpy(st.addr, c->addr, sizeof(st.addr));
	st.has_initial = has;
	iov[0].iov_base = &st;
	iov[0].iov_len = sizeof(st);
	iov[1].iov_base = data;
	iov[1].iov_len = len;
	imsgev_composev(owner, IMSG_AUTH_START, c->id, 0, -1, iov, 2);
	freezero(data, len);
	c->sasl_mech = st.mech;
	c->state = C2S_SASL;
}

static void
c2s_sasl_response(struct conn *c, struct xml_node *n)
{
	struct imsgev	*owner = stream_auth_owner(c->domain);
	const char	*cond;
	uint8_t		*data;
	size_t		 len;

	if (xml_is(n, NS_SASL, "abort")) {
		if (owner != NULL)
			imsgev_compose(owner, IMSG_AUTH_ABORT, c->id, 0, -1,
			    NULL, 0);
		c2s_sasl_failure(c, "aborted");
		return;
	}
	if (c2s_sasl_decode(n, &data, &len, &cond) == -1) {
		if (owner != NULL)
			imsgev_compose(owner, IMSG_AUTH_ABORT, c->id, 0, -1,
			    NULL, 0);
		c2s_sasl_failure(c, cond);
		return;
	}
	if (owner == NULL) {
		free(data);
		c2s_sasl_failure(c, "temporary-auth-failure");
		return;
	}
	imsgev_compose(owner, IMSG_AUTH_RESPONSE, c->id, 0, -1, data, len);
	freezero(data, len);
	c->state = C2S_SASL;
}

/* A stanza error in answer to n (RFC 6120 section 8.3). */
static void
c2s_stanza_error(struct conn *c, struct xml_node *n, const char *type,
    const char *cond)
{
	struct xml_node	*r;

	if ((r = stanza_error(n, type, cond)) == NULL)
		return;
	c2s_write_node(c, r);
	xml_node_free(r);
}

/* The same, unless n is itself an answer: an error, or an IQ result. */
static void
c2s_refuse(struct conn *c, struct xml_node *n, const char *type,
    const char *cond)
{
	const char	*t = xml_get_attr(n, "type");

	if (t != NULL && (strcmp(t, "error") == 0 ||
	    (xml_is(n, NS_CLIENT, "iq") && strcmp(t, "result") == 0)))
		return;
	c2s_stanza_error(c, n, type, cond);
}

static void
c2s_iq_result(struct conn *c, const char *id, struct xml_node *payload)
{
	struct xml_node	*r;

	if ((r = xml_node_new(NS_CLIENT, "iq")) == NULL)
		return;
	xml_set_attr(r, "type", "result");
	if (id != NULL)
		xml_set_attr(r, "id", id);
	if (c->full != NULL)
		xml_set_attr(r, "to", c->full);
	if (payload != NULL)
		xml_append(r, payload);
	c2s_write_node(c, r);
	xml_node_free(r);
}

/* The form, or what the user has (XEP-0077 sections 3.1 and 3.2). */
static void
c2s_register_form(struct conn *c, struct xml_node *iq)
{
	struct domain_conf	*d = config_domain(stream_conf, c->domain);
	struct xml_node		*r;

	if (!c->authed && !d->registration) {
		c2s_stanza_error(c, iq, "cancel", "not-allowed");
		return;
	}
	r = xml_node_new(NS_REGISTER, "query");
	if (c->authed) {
		xml_add_child(r, NULL, "registered");
		xml_add_text(xml_add_child(r, NULL, "username"),
		    conn_local(c), strlen(conn_local(c)));
	} else
		xml_add_child(r, NULL, "username");
	xml_add_child(r, NULL, "password");
	c2s_iq_result(c, xml_get_attr(iq, "id"), r);
}

/* 1: <remove/> alone (XEP-0077 section 3.2), -1: with others, 0: none. */
static int
c2s_register_remove(struct xml_node *q)
{
	struct xml_node	*n;
	int		 elements = 0;

	if (xml_find_child(q, NS_REGISTER, "remove") == NULL)
		return (0);
	TAILQ_FOREACH(n, &q->children, entry)
		if (n->name != NULL)
			elements++;
	return (elements == 1 ? 1 : -1);
}

static void
c2s_register(struct conn *c, struct xml_node *iq, struct xml_node *q)
{
	struct register_req	 req;
	struct domain_conf	*d = config_domain(stream_conf, c->domain);
	struct imsgev		*store = proc_peer(PROC_STORE, 0);
	const char		*type = xml_get_attr(iq, "type");
	char			*user = NULL, *pass = NULL;
	int			 removal = 0;

	if (type != NULL && strcmp(type, "get") == 0) {
		c2s_register_form(c, iq);
		return;
	}
	if (type == NULL || strcmp(type, "set") != 0 ||
	    (c->authed && (removal = c2s_register_remove(q)) == -1)) {
		c2s_stanza_error(c, iq, "modify", "bad-request");
		return;
	}
	/* One change at a time: the store answers them one by one. */
	if (c->registering) {
		c2s_stanza_error(c, iq, "wait", "resource-constraint");
		return;
	}
	memset(&req, 0, sizeof(req));
	req.op = removal ? REGISTER_REMOVE : c->authed ? REGISTER_PASSWORD :
	    REGISTER_CREATE;
	if (!c->authed && !d->registration) {
		c2s_stanza_error(c, iq, "cancel", "not-allowed");
		return;
	}
	if (xml_find_child(q, NS_REGISTER, "username") != NULL)
		user = xml_text(xml_find_child(q, NS_REGISTER, "username"));
	if (xml_find_child(q, NS_REGISTER, "password") != NULL)
		pass = xml_text(xml_find_child(q, NS_REGISTER, "password"));
	if (req.op == REGISTER_REMOVE) {
		(void)strlcpy(req.localpart, conn_local(c),
		    sizeof(req.localpart));
		(void)strlcpy(req.password, "-", sizeof(req.password));
	} else if (user == NULL || pass == NULL ||
	    strlcpy(req.localpart, user, sizeof(req.localpart)) >=
	    sizeof(req.localpart) ||
	    strlcpy(req.password, pass, sizeof(req.password)) >=
	    sizeof(req.password) ||
	    (c->authed && (jid_prep_local(req.localpart,
	    sizeof(req.localpart)) == -1 ||
	    strcmp(req.localpart, conn_local(c)) != 0))) {
		free(user);
		freezero(pass, pass ? strlen(pass) : 0);
		explicit_bzero(&req, sizeof(req));
		c2s_stanza_error(c, iq, "modify", "not-acceptable");
		return;
	}
	free(user);
	freezero(pass, pass ? strlen(pass) : 0);
	if (store == NULL) {
		explicit_bzero(&req, sizeof(req));
		c2s_stanza_error(c, iq, "wait", "internal-server-error");
		return;
	}
	(void)strlcpy(req.domain, c->domain, sizeof(req.domain));
	(void)strlcpy(req.addr, c->addr, sizeof(req.addr));
	memcpy(req.grant, c->grant, sizeof(req.grant));
	imsgev_compose(store, IMSG_REGISTER, c->id, 0, -1, &req, sizeof(req));
	explicit_bzero(&req, sizeof(req));
	c->registering = 1;
	free(c->register_id);
	c->register_id = xml_get_attr(iq, "id") ? strdup(xml_get_attr(iq,
	    "id")) : NULL;
	/*
	 * Nothing after a <remove/> is looked at, and nothing may come
	 * while an account is made (RFC 6120 section 10.1: both decide
	 * what follows); a password change holds nothing up.
	 */
	if (removal)
		c->state = C2S_REMOVING;
	else if (!c->authed)
		c->state = C2S_REGISTER;
}

static void
c2s_bind(struct conn *c, struct xml_node *iq, struct xml_node *b)
{
	struct session_bind	 req;
	struct imsgev		*router = proc_peer(PROC_ROUTER, 0);
	struct xml_node		*r;
	char			*res = NULL;

	memset(&req, 0, sizeof(req));
	if ((r = xml_find_child(b, NS_BIND, "resource")) != NULL &&
	    ((res = xml_text(r)) == NULL ||
	    strlcpy(req.resource, res, sizeof(req.resource)) >=
	    sizeof(req.resource) || (res[0] != '\0' &&
	    jid_prep_resource(req.resource, sizeof(req.resource)) == -1))) {
		free(res);
		c2s_stanza_error(c, iq, "modify", "bad-request");
		return;
	}
	free(res);
	if (router == NULL) {
		c2s_stanza_error(c, iq, "wait", "internal-server-error");
		return;
	}
	(void)strlcpy(req.localpart, conn_local(c),
	    sizeof(req.localpart));
	(void)strlcpy(req.domain, c->domain, sizeof(req.domain));
	(void)strlcpy(req.addr, c->addr, sizeof(req.addr));
	(void)strlcpy(req.transport, c->transport->name,
	    sizeof(req.transport));
	c2s_tls_desc(c, req.tls, sizeof(req.tls));
	req.since = c->since;
	memcpy(req.grant, c->grant, sizeof(req.grant));
	imsgev_compose(router, IMSG_SESSION_BIND, c->id, 0, -1, &req,
	    sizeof(req));
	free(c->pending_id);
	c->pending_id = xml_get_attr(iq, "id") ? strdup(xml_get_attr(iq,
	    "id")) : NULL;
	c->state = C2S_BINDING;
}

/* Before binding: only the stream's own IQs. */
static void
c2s_iq_prebind(struct conn *c, struct xml_node *n)
{
	struct xml_node	*q = xml_first_child(n);
	const char	*type = xml_get_attr(n, "type");

	if (q != NULL && xml_is(q, NS_REGISTER, "query")) {
		c2s_register(c, n, q);
		return;
	}
	if (!c->authed) {
		c2s_error(c, "not-authorized", NULL);
		return;
	}
	if (q != NULL && type != NULL && strcmp(type, "set") == 0 &&
	    xml_is(q, NS_BIND, "bind")) {
		c2s_bind(c, n, q);
		return;
	}
	c2s_error(c, "not-authorized", NULL);
}

/* A stanza from a bound client: check, stamp and pass to the router. */
static void
c2s_route(struct conn *c, struct xml_node *n)
{
	struct imsgev	*router = proc_peer(PROC_ROUTER, 0);
	struct xml_node	*q = xml_first_child(n);
	const char	*to = xml_get_attr(n, "to");
	const char	*type = xml_get_attr(n, "type");
	struct jid	 j;
	char		 norm[CONF_JIDLEN];

	c2s_sm_in(c);
	if (xml_is(n, NS_CLIENT, "iq") && (to == NULL ||
	    strcmp(to, c->domain) == 0) && type != NULL &&
	    (strcmp(type, "result") == 0 || strcmp(type, "error") == 0) &&
	    xml_get_attr(n, "id") != NULL &&
	    strcmp(xml_get_attr(n, "id"), C2S_PING_ID) == 0)
		return;		/* the answer to our ping */
	if (xml_is(n, NS_CLIENT, "iq") && q != NULL &&
	    xml_is(q, NS_SESSION, "session") && to == NULL) {
		c2s_iq_result(c, xml_get_attr(n, "id"), NULL);
		return;
	}
	if (xml_is(n, NS_CLIENT, "iq") && q != NULL &&
	    xml_is(q, NS_REGISTER, "query") && to == NULL) {
		c2s_register(c, n, q);
		return;
	}
	if (to != NULL) {
		/* RFC 6120 section 8.3.3.8, whatever the stanza. */
		if (jid_parse(to, &j) == -1) {
			c2s_refuse(c, n, "modify", "jid-malformed");
			return;
		}
		(void)jid_full(&j, norm, sizeof(norm));
		xml_set_attr(n, "to", norm);
	}
	/* The sender is who the stream says, whatever the client wrote. */
	xml_set_attr(n, "from", c->full);
	if (router != NULL && stanza_send(router, c->id, c->id, n,
	    NS_CLIENT) == 0)
		return;
	/* Fail closed: it goes nowhere, and its sender hears so. */
	log_warnx("connection %u: stanza not routed", c->id);
	c2s_refuse(c, n, router == NULL ? "wait" : "modify",
	    router == NULL ? "internal-server-error" : "policy-violation");
}

/* The TLS of c's connection for xmppctl, "" when there is none. */
void
c2s_tls_desc(struct conn *c, char *buf, size_t len)
{
	struct tls	*t = c->io != NULL ? io_tls(c->io) : NULL;

	buf[0] = '\0';
	if (c->bosh != NULL)
		http_bosh_tls(c, buf, len);
	else if (t != NULL)
		(void)snprintf(buf, len, "%s %s", tls_conn_version(t),
		    tls_conn_cipher(t));
}

/* Client State Indication (XEP-0352): a nonza the router acts on. */
static void
c2s_csi(struct conn *c, int active)
{
	struct imsgev	*router = proc_peer(PROC_ROUTER, 0);

	if (router != NULL)
		imsgev_compose(router, IMSG_CSI_STATE, c->id, 0, -1, &active,
		    sizeof(active));
}

static int
c2s_stanza(void *arg, struct xml_node *n)
{
	struct conn	*c = arg;
	int		 stop;

	if (c->state == C2S_CLOSING) {
		xml_node_free(n);
		return (-1);
	}
	if (c->state == C2S_REMOVING) {
		xml_node_free(n);
		return (0);
	}
	if (c->state == C2S_ACKWAIT) {
		if (c2s_sm_final(c, n) && c->state == C2S_ACKWAIT)
			c2s_close(c);
		xml_node_free(n);
		return (c->state == C2S_CLOSING ? -1 : 0);
	}
	if (c->registering && c->authed && c->state == C2S_STREAM) {
		c2s_hold(c, n);
		return (0);
	}
	stop = c2s_handle(c, n);
	xml_node_free(n);
	return (stop || c->state == C2S_CLOSING ? -1 : 0);
}

/*
 * What the client sent while its password change was at the store
 * waits, and is handled in order once it is answered (RFC 6120 section
 * 10.1).
 */
static void
c2s_hold(struct conn *c, struct xml_node *n)
{
	struct xml_node	*h;
	int		 count = 0;

	if (c->held == NULL && (c->held = xml_node_new(NULL, "held")) == NULL) {
		xml_node_free(n);
		c2s_error(c, "resource-constraint", NULL);
		return;
	}
	TAILQ_FOREACH(h, &c->held->children, entry)
		count++;
	if (count >= C2S_HELD_MAX) {
		if (xml_is(n, NS_CLIENT, NULL) && stanza_kind(n) != -1)
			c2s_stanza_error(c, n, "wait", "resource-constraint");
		xml_node_free(n);
		return;
	}
	xml_append(c->held, n);
}

static void
c2s_release(struct conn *c)
{
	struct xml_node	*n;

	while (c->held != NULL && !c->registering &&
	    c->state == C2S_STREAM &&
	    (n = TAILQ_FIRST(&c->held->children)) != NULL) {
		xml_unlink(n);
		(void)c2s_handle(c, n);
		xml_node_free(n);
	}
	if (c->close_held && !c->registering && c->state == C2S_STREAM &&
	    (c->held == NULL || TAILQ_EMPTY(&c->held->children))) {
		c->close_held = 0;
		(void)c2s_closed(c);
		if (c->state == C2S_CLOSED)
			c2s_reopen(c);
	}
}

/* A first-level element of an established stream; 1 stops the parser. */
static int
c2s_handle(struct conn *c, struct xml_node *n)
{
	int	 stop = 0;

#ifdef REGRESS
	if (c->tls && stream_regress_imsg(c, n))
		return (0);
#endif
	if (!c->tls) {
		if (xml_is(n, NS_TLS, "starttls") && stream_tls_ready(0) &&
		    c->transport->starttls) {
			c2s_write(c, "<proceed xmlns='" NS_TLS "'/>");
			c->state = C2S_STARTTLS;
			io_pause(c->io);
			stop = 1;
		} else if (xml_is(n, NS_SASL, "auth")) {
			c2s_write(c, "<failure xmlns='" NS_SASL "'>"
			    "<encryption-required/></failure>");
			c2s_error(c, "policy-violation", "TLS is required");
		} else
			c2s_error(c, "policy-violation", "TLS is required");
	} else if (c->state == C2S_SASL_CLIENT && (xml_is(n, NS_SASL,
	    "response") || xml_is(n, NS_SASL, "abort")))
		c2s_sasl_response(c, n);
	else if (c->state != C2S_STREAM)
		c2s_error(c, "policy-violation", "Request in progress");
	else if (!c->authed && xml_is(n, NS_SASL, "auth"))
		c2s_auth(c, n);
	else if (!c->authed && xml_is(n, NS_CLIENT, "iq"))
		c2s_iq_prebind(c, n);
	else if (!c->authed)
		c2s_error(c, "not-authorized", NULL);
	else if (xml_is(n, NS_SASL, "auth"))
		c2s_error(c, "policy-violation", "Already authenticated");
	else if (n->ns != NULL && strcmp(n->ns, NS_SM) == 0)
		c2s_sm_nonza(c, n);
	else if (!c->bound && xml_is(n, NS_CLIENT, "iq"))
		c2s_iq_prebind(c, n);
	else if (!c->bound)
		c2s_error(c, "not-authorized", NULL);
	else if (xml_is(n, NS_CSI, "active") || xml_is(n, NS_CSI, "inactive"))
		c2s_csi(c, strcmp(n->name, "active") == 0);
	else if (n->ns == NULL || strcmp(n->ns, NS_CLIENT) != 0 ||
	    stanza_kind(n) == -1)
		c2s_error(c, "unsupported-stanza-type", NULL);
	else
		c2s_route(c, n);
	return (stop);
}

static void
c2s_ping(struct conn *c)
{
	struct xml_node	*iq;

	if (c->transport->ping != NULL) {
		c->transport->ping(c);	/* its answer is input */
		return;
	}
	if ((iq = xml_node_new(NS_CLIENT, "iq")) == NULL ||
	    xml_set_attr(iq, "type", "get") == -1 ||
	    xml_set_attr(iq, "id", C2S_PING_ID) == -1 ||
	    xml_set_attr(iq, "from", c->domain) == -1 ||
	    xml_set_attr(iq, "to", c->full) == -1 ||
	    xml_add_child(iq, "urn:xmpp:ping", "ping") == NULL)
		fatal("%s", __func__);
	c2s_write_node(c, iq);
	xml_node_free(iq);
}

/* The client is there: the parser is awake, no ping waits. */
static void
c2s_awake(struct conn *c)
{
	if (c->ping_pending || c->quiet) {
		c->ping_pending = c->quiet = 0;
		if (c->io != NULL)
			io_set_timeout(c->io, C2S_QUIET_TIMEOUT);
	}
}

/* Input for the parser; not 0 when it stopped. */
static int
c2s_feed(struct conn *c, const char *data, size_t len)
{
	c2s_awake(c);
	if (stream_rate(c, len))
		log_debug("connection %u: over its rate", c->id);
	return (xml_stream_feed(c->xs, data, len));
}

static void
c2s_input(struct conn *c)
{
	size_t	 len;
	char	*data;

	while ((data = io_data(c->io, &len)) != NULL && len > 0 &&
	    c->state != C2S_CLOSING && c->state != C2S_STARTTLS &&
	    !io_paused(c->io)) {
		io_drain(c->io, len);
		if (c2s_feed(c, data, len) != 0)
			break;
	}
	/* What followed <starttls/> in the clear is never read. */
	if (c->state == C2S_STARTTLS)
		io_discard_input(c->io);
	if (c->state == C2S_CLOSED)
		c2s_reopen(c);
}

/*
 * An element of a WebSocket message (http_ws.c) or of a BOSH request
 * (http_bosh.c), as stream text; empty: a pong, which only says the
 * client is there.
 */
void
c2s_ws_input(struct conn *c, const char *data, size_t len)
{
	if (c->state == C2S_CLOSING)
		return;
	if (len == 0) {
		c2s_awake(c);
		return;
	}
	(void)c2s_feed(c, data, len);
	if (c->state == C2S_CLOSED)
		c2s_reopen(c);
}

/*
 * A stanza of a WebSocket message, parsed already (http_ws.c): to the
 * engine as its own parser hands one over, the len bytes of the
 * message counted against the rate.  Parsing it again would double
 * the cost of every stanza.
 */
void
c2s_ws_stanza(struct conn *c, struct xml_node *n, size_t len)
{
	/* Past the stream's end the engine's parser reads nothing. */
	if (c->state == C2S_CLOSING || c->close_held) {
		xml_node_free(n);
		return;
	}
	c2s_awake(c);
	if (stream_rate(c, len))
		log_debug("connection %u: over its rate", c->id);
	(void)c2s_stanza(c, n);
	if (c->state == C2S_CLOSED)
		c2s_reopen(c);
}

/* Is a new stream to open (the client's <open/> awaited)? */
int
c2s_ws_header_wanted(struct conn *c)
{
	return (c->state == C2S_HEADER);
}

void
c2s_io(struct io *io, int event, void *arg)
{
	struct conn	*c = arg;

	(void)io;
	switch (event) {
	case IO_TLSREADY:
		c->tls = 1;
		if (c2s_new_parser(c) == -1)
			conn_close(c);
		return;
	case IO_DATAIN:
		c2s_input(c);
		return;
	case IO_LOWAT:
		if (c->state == C2S_STARTTLS) {
			c->state = C2S_TLS_HANDSHAKE;
			io_resume(c->io);
			if (stream_tls_accept(c, 0) == -1)
				conn_close(c);
		}
		return;
	case IO_TIMEOUT:
		if (!c->quiet && !c->ping_pending) {
			/*
			 * Quiet for a while: most connections are, most of
			 * the time, and need no parser meanwhile.
			 */
			if (c->xs != NULL)
				(void)xml_stream_sleep(c->xs);
			c->quiet = 1;
			io_set_timeout(c->io, C2S_IDLE_TIMEOUT -
			    C2S_QUIET_TIMEOUT);
			return;
		}
		if (c->bound && !c->ping_pending && c->state != C2S_CLOSING) {
			/* Quiet for long: is anyone there (XEP-0199)? */
			c2s_ping(c);
			c->ping_pending = 1;
			io_set_timeout(c->io, C2S_PING_TIMEOUT);
			return;
		}
		if (c->state != C2S_CLOSING) {
			c2s_error(c, "connection-timeout", NULL);
			return;
		}
		break;
	case IO_ERROR:
		log_debug("connection %u: %s", c->id, io_error(c->io));
		break;
	}
	conn_close(c);
}

static void
c2s_auth_success(struct conn *c, const char *local, const void *data,
    size_t len)
{
	char	 out[8192];

	free(c->local);
	if ((c->local = strdup(local)) == NULL)
		fatal("%s", __func__);
	c->authed = 1;
	if (len > 0 && base64_encode(data, len, out, sizeof(out)) > 0) {
		c2s_write(c, "<success xmlns='" NS_SASL "'>");
		c2s_write(c, out);
		c2s_write(c, "</success>");
	} else
		c2s_write(c, "<success xmlns='" NS_SASL "'/>");
	log_info("connection %u from %s: %s@%s logged in", c->id,
	    c->addr, conn_local(c), c->domain);
	/* The client starts a new stream on the same connection. */
	if (c2s_new_parser(c) == -1)
		conn_close(c);
}

/*
 * The directory took a user's password; whether the account is
 * disabled is the store's to say, and it records the login.  1 when
 * asked, the exchange going on until the answer.
 */
static int
c2s_ldap_login(struct conn *c, const char *local)
{
	struct account_login	 al;
	struct domain_conf	*d = config_domain(stream_conf, c->domain);
	struct imsgev		*store;

	if (d == NULL || d->auth != AUTH_LDAP)
		return (0);
	if ((store = proc_peer(PROC_STORE, 0)) == NULL) {
		c2s_sasl_failure(c, "temporary-auth-failure");
		return (1);
	}
	memset(&al, 0, sizeof(al));
	(void)strlcpy(al.domain, c->domain, sizeof(al.domain));
	(void)strlcpy(al.localpart, local, sizeof(al.localpart));
	(void)strlcpy(al.addr, c->addr, sizeof(al.addr));
	free(c->login_check);
	if ((c->login_check = strdup(local)) == NULL)
		fatal("%s", __func__);
	imsgev_compose(store, IMSG_ACCOUNT_LOGIN, c->id, 0, -1, &al,
	    sizeof(al));
	return (1);
}

/* The store's answer: an answer for another name is an old one. */
static void
c2s_ldap_login_result(struct conn *c, struct imsg *imsg)
{
	struct account_login	 al;

	if (imsg_get_data(imsg, &al, sizeof(al)) == -1)
		fatalx("%s: bad answer", __func__);
	al.localpart[sizeof(al.localpart) - 1] = '\0';
	al.reason[sizeof(al.reason) - 1] = '\0';
	if (c->login_check == NULL || strcmp(c->login_check, al.localpart) != 0)
		return;
	free(c->login_check);
	c->login_check = NULL;
	if (al.status == AUTH_SUCCESS)
		c2s_auth_success(c, al.localpart, NULL, 0);
	else if (al.status == AUTH_ACCOUNT_DISABLED)
		c2s_sasl_failure_text(c, "account-disabled", al.reason[0] ?
		    al.reason : "Account disabled");
	else
		c2s_sasl_failure(c, al.status == AUTH_NOT_AUTHORIZED ?
		    "not-authorized" : "temporary-auth-failure");
}

static void
c2s_auth_result(struct conn *c, struct imsg *imsg)
{
	struct auth_result	 res;
	struct ibuf		 ib;
	char			 text[ACCOUNT_REASON_MAX];
	const char		*cond;

	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &res, sizeof(res)) == -1 ||
	    ibuf_size(&ib) > 4096)
		fatalx("%s: bad auth result", __func__);
	res.localpart[sizeof(res.localpart) - 1] = '\0';
	if (res.status == AUTH_SUCCESS) {
		memcpy(c->grant, res.grant, sizeof(c->grant));
		if (!c2s_ldap_login(c, res.localpart))
			c2s_auth_success(c, res.localpart, ibuf_data(&ib),
			    ibuf_size(&ib));
		return;
	}
	if (res.status == AUTH_ACCOUNT_DISABLED) {
		/* The reason, as the store has it; a default without. */
		if (ibuf_size(&ib) == 0 || ibuf_size(&ib) >= sizeof(text))
			(void)strlcpy(text, "Account disabled", sizeof(text));
		else {
			memcpy(text, ibuf_data(&ib), ibuf_size(&ib));
			text[ibuf_size(&ib)] = '\0';
		}
		c2s_sasl_failure_text(c, "account-disabled", text);
		return;
	}
	switch (res.status) {
	case AUTH_TEMPORARY_FAILURE:
		cond = "temporary-auth-failure";
		break;
	case AUTH_MALFORMED:
		cond = "malformed-request";
		break;
	case AUTH_INVALID_AUTHZID:
		cond = "invalid-authzid";
		break;
	default:
		cond = "not-authorized";
		break;
	}
	c2s_sasl_failure(c, cond);
}

static void
c2s_challenge(struct conn *c, struct imsg *imsg)
{
	char	 out[8192];
	size_t	 len = imsg_get_len(imsg);

	if (len > 4096)
		fatalx("%s: challenge too long", __func__);
	if (len == 0)
		c2s_write(c, "<challenge xmlns='" NS_SASL "'/>");
	else if (base64_encode(imsg->data, len, out, sizeof(out)) > 0) {
		c2s_write(c, "<challenge xmlns='" NS_SASL "'>");
		c2s_write(c, out);
		c2s_write(c, "</challenge>");
	}
	c->state = C2S_SASL_CLIENT;
}

/*
 * The store's answer.  A removed account's stream ends after the result
 * (XEP-0077 section 3.2), its session not kept for a resume.
 */
static void
c2s_register_answer(struct conn *c, struct imsg *imsg)
{
	struct register_result	 res;
	struct xml_node		*iq, *err;
	const char		*cond, *type = "cancel";
	char			*id = c->register_id, text[128];
	int			 removing = c->state == C2S_REMOVING;

	if (imsg_get_data(imsg, &res, sizeof(res)) == -1)
		fatalx("%s: bad result", __func__);
	c->registering = 0;
	c->register_id = NULL;
	if (c->state == C2S_REGISTER || removing)
		c->state = C2S_STREAM;
	if (res.status == REGISTER_OK) {
		c2s_iq_result(c, id, NULL);
		if (removing) {
			c2s_sm_closed(c);
			c2s_error(c, "not-authorized", "Account removed");
		}
		free(id);
		return;
	}
	text[0] = '\0';
	switch (res.status) {
	case REGISTER_CONFLICT:
		cond = "conflict";
		break;
	case REGISTER_PASSWORD_SHORT:
		(void)snprintf(text, sizeof(text), "Password too short: at "
		    "least %d characters",
		    stream_conf->global.limits.password_min);
		/* FALLTHROUGH */
	case REGISTER_NOT_ACCEPTABLE:
		cond = "not-acceptable";
		type = "modify";
		break;
	case REGISTER_NOT_ALLOWED:
		cond = "not-allowed";
		break;
	case REGISTER_RATE_LIMITED:
		cond = "resource-constraint";
		type = "wait";
		break;
	default:
		cond = "internal-server-error";
		type = "wait";
		break;
	}
	if ((iq = xml_node_new(NS_CLIENT, "iq")) != NULL) {
		if (id != NULL)
			xml_set_attr(iq, "id", id);
		if ((err = stanza_error(iq, type, cond)) != NULL) {
			if (text[0] != '\0')
				(void)stanza_error_text(err, text);
			c2s_write_node(c, err);
			xml_node_free(err);
		}
		xml_node_free(iq);
	}
	/* The account was deleted another way meanwhile: the session too. */
	if (removing && c->full != NULL && !c->bound)
		c2s_error(c, "not-authorized", "Account deleted");
	free(id);
}

static void
c2s_register_result(struct conn *c, struct imsg *imsg)
{
	c2s_register_answer(c, imsg);
	c2s_release(c);
}

static void
c2s_bound(struct conn *c, struct imsg *imsg)
{
	struct session_bound	 b;
	struct xml_node		*bind, *iq;
	char			 full[CONF_JIDLEN];

	if (imsg_get_data(imsg, &b, sizeof(b)) == -1)
		fatalx("%s: bad bind answer", __func__);
	b.resource[sizeof(b.resource) - 1] = '\0';
	c->state = C2S_STREAM;
	if (b.error != BIND_OK) {
		if ((iq = xml_node_new(NS_CLIENT, "iq")) == NULL)
			return;
		if (c->pending_id != NULL)
			xml_set_attr(iq, "id", c->pending_id);
		/* RFC 6120 sections 7.7.2.1 and 7.6.2.1. */
		if (b.error == BIND_RESOURCE_CONSTRAINT)
			c2s_stanza_error(c, iq, "wait", "resource-constraint");
		else if (b.error == BIND_BAD_REQUEST)
			c2s_stanza_error(c, iq, "modify", "bad-request");
		else
			fatalx("%s: bad bind error %d", __func__, b.error);
		xml_node_free(iq);
		return;
	}
	(void)snprintf(full, sizeof(full), "%s@%s/%s", conn_local(c), c->domain,
	    b.resource);
	if ((c->full = strdup(full)) == NULL)
		fatal("%s", __func__);
	c->bound = 1;
	conn_deadline(c, 0);
	bind = xml_node_new(NS_BIND, "bind");
	xml_add_text(xml_add_child(bind, NULL, "jid"), full, strlen(full));
	c2s_iq_result(c, c->pending_id, bind);
}

static void
c2s_session_close(struct conn *c, struct imsg *imsg)
{
	struct session_close	 sc;

	if (imsg_get_data(imsg, &sc, sizeof(sc)) == -1)
		fatalx("%s: bad close", __func__);
	sc.text[sizeof(sc.text) - 1] = '\0';
	c->bound = 0;		/* the router has forgotten it already */
	/* Deleted by its own <remove/>: the result goes first. */
	if (c->state == C2S_REMOVING && sc.reason == CLOSE_ACCOUNT_DELETED)
		return;
	switch (sc.reason) {
	case CLOSE_CONFLICT:
		c2s_error(c, "conflict", sc.text[0] ? sc.text : NULL);
		break;
	case CLOSE_KICKED:
		c2s_error(c, "policy-violation", sc.text[0] ? sc.text : NULL);
		break;
	case CLOSE_ACCOUNT_DELETED:
		c2s_error(c, "not-authorized", "Account deleted");
		break;
	default:
		c2s_error(c, "system-shutdown", NULL);
		break;
	}
}

static void
c2s_deliver(struct conn *c, struct imsg *imsg)
{
	struct stanza_msg	 m;

	if (stanza_recv(imsg, &m) == -1)
		fatalx("%s: bad stanza from the router", __func__);
	if (c2s_sm_deliver(c, imsg, &m) == -1 && c->bound)
		c2s_write(c, m.xml);
	stanza_msg_clear(&m);
}

int
c2s_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct conn	*c = conn_find(imsg_get_id(imsg));
	uint32_t	 type = imsg_get_type(imsg);
	int		 from_owner = iev->type == PROC_STORE ||
			    iev->type == PROC_LDAPAUTHD;
	int		 go;

	switch (type) {
	case IMSG_AUTH_CHALLENGE:
	case IMSG_AUTH_RESULT:
		if (!from_owner)
			return (-1);
		if (c == NULL || c->state != C2S_SASL)
			return (0);
		/* The store speaks for its accounts, ldapauthd for its. */
		if (stream_auth_owner(c->domain) != iev) {
			log_warnx("connection %u: a login's outcome from %s, "
			    "which does not own %s: refused", c->id,
			    proc_name(iev->type), c->domain);
			c2s_sasl_failure(c, "temporary-auth-failure");
			return (0);
		}
		if (type == IMSG_AUTH_CHALLENGE)
			c2s_challenge(c, imsg);
		else
			c2s_auth_result(c, imsg);
		return (0);
	case IMSG_ACCOUNT_LOGIN_RESULT:
		if (iev->type != PROC_STORE)
			return (-1);
		if (c != NULL && c->state == C2S_SASL)
			c2s_ldap_login_result(c, imsg);
		return (0);
	case IMSG_REGISTER_RESULT:
		if (iev->type != PROC_STORE)
			return (-1);
		if (c != NULL && c->registering && c->state != C2S_CLOSING)
			c2s_register_result(c, imsg);
		return (0);
	case IMSG_SESSION_FLOW:
		if (iev->type != PROC_ROUTER ||
		    imsg_get_data(imsg, &go, sizeof(go)) == -1)
			return (-1);
		if (c != NULL)
			stream_flow(c, go);
		return (0);
	case IMSG_SESSION_BOUND:
	case IMSG_SESSION_CLOSE:
	case IMSG_STANZA:
		if (iev->type != PROC_ROUTER)
			return (-1);
		if (c == NULL)
			return (c2s_sm_orphan(iev, imsg));
		if (type == IMSG_SESSION_BOUND && c->state == C2S_BINDING)
			c2s_bound(c, imsg);
		else if (type == IMSG_SESSION_CLOSE)
			c2s_session_close(c, imsg);
		else if (type == IMSG_STANZA)
			c2s_deliver(c, imsg);
		return (0);
	}
	return (-1);
}

/* Forget a connection's state elsewhere: the session, a SASL exchange. */
void
c2s_free(struct conn *c)
{
	struct imsgev	*iev;

	c2s_sm_free(c);	/* may keep the session for a resume */
	if (c->bound && (iev = proc_peer(PROC_ROUTER, 0)) != NULL)
		imsgev_compose(iev, IMSG_SESSION_END, c->id, 0, -1, NULL, 0);
	if ((c->state == C2S_SASL || c->state == C2S_SASL_CLIENT) &&
	    (iev = stream_auth_owner(c->domain)) != NULL)
		imsgev_compose(iev, IMSG_AUTH_ABORT, c->id, 0, -1, NULL, 0);
	c->bound = 0;
	free(c->login_check);
	c->login_check = NULL;
	free(c->peer_from);
	c->peer_from = NULL;
	xml_stream_free(c->xs);
	c->xs = NULL;
	free(c->pending_id);
	c->pending_id = NULL;
	free(c->register_id);
	c->register_id = NULL;
	xml_node_free(c->held);
	c->held = NULL;
}

/* A credential owner went away: an exchange with it cannot finish. */
void
c2s_owner_down(struct conn *c, int type)
{
	struct domain_conf	*d;

	if (c->state != C2S_SASL && c->state != C2S_SASL_CLIENT)
		return;
	if ((d = config_domain(stream_conf, c->domain)) == NULL ||
	    (d->auth == AUTH_LDAP) != (type == PROC_LDAPAUTHD))
		return;
	c2s_sasl_failure(c, "temporary-auth-failure");
}
