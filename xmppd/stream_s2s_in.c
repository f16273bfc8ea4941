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
 * Inbound server streams: TLS first (STARTTLS required, or direct TLS
 * with ALPN xmpp-server), then the peer proves the domains it sends
 * from: SASL EXTERNAL when its certificate is good for the domain it
 * claims (XEP-0178), dialback otherwise (XEP-0220), whose keys only the
 * router can check.  Only stanzas from a proven (from, to) pair go on.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "config.h"
#include "io.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "stanza.h"
#include "stream.h"
#include "xml.h"

static int	s2s_in_open(void *, struct xml_node *);
static int	s2s_in_stanza(void *, struct xml_node *);
static int	s2s_in_closed(void *);
static void	s2s_in_xml_error(void *, int, const char *);

const struct xml_stream_cb s2s_in_cb = {
	s2s_in_open, s2s_in_stanza, s2s_in_closed, s2s_in_xml_error
};

#define S2S_LOGIN_TIMEOUT	30

void
s2s_in_start(struct conn *c)
{
	if ((c->s2s = calloc(1, sizeof(*c->s2s))) == NULL) {
		conn_close(c);
		return;
	}
	conn_deadline(c, S2S_LOGIN_TIMEOUT);
	io_set_maxout(c->io, 4 * stream_conf->global.limits.stanza_size +
	    65536);
	if (s2s_new_parser(c, &s2s_in_cb) == -1) {
		conn_close(c);
		return;
	}
	c->state = S2S_ST_HEADER;
	if (c->direct_tls) {
		c->state = S2S_ST_TLS;
		if (stream_tls_peer(c, 1) == -1)
			conn_close(c);
	}
}

void
s2s_in_tls(struct conn *c)
{
	if (s2s_new_parser(c, &s2s_in_cb) == -1) {
		conn_close(c);
		return;
	}
	c->state = S2S_ST_HEADER;
}

static void
s2s_in_xml_error(void *arg, int error, const char *text)
{
	(void)text;
	s2s_error(arg, xml_error_name(error), NULL);
}

static int
s2s_in_closed(void *arg)
{
	struct conn	*c = arg;

	s2s_write(c, "</stream:stream>");
	c->state = S2S_ST_CLOSING;
	io_close_after_write(c->io);
	return (-1);
}

/* A domain name as a JID's domainpart, prepped; -1 when it is not one. */
static int
s2s_in_domain(const char *v, char *out, size_t len)
{
	if (v == NULL || strlcpy(out, v, len) >= len ||
	    jid_prep_domain(out, len) == -1)
		return (-1);
	return (0);
}

static void
s2s_in_features(struct conn *c)
{
	struct s2s	*s = c->s2s;

	s2s_write(c, "<stream:features>");
	if (!c->tls)
		s2s_write(c, "<starttls xmlns='" NS_S2S_TLS "'><required/>"
		    "</starttls>");
	else if (s->auth == S2S_AUTH_NONE) {
		/* XEP-0178: only when the certificate names the claim. */
		s->cert_ok = s->remote[0] != '\0' &&
		    s2s_check_cert(c, s->remote);
		if (s->cert_ok)
			s2s_write(c, "<mechanisms xmlns='" NS_S2S_SASL "'>"
			    "<mechanism>EXTERNAL</mechanism></mechanisms>");
		s2s_write(c, "<dialback xmlns='" NS_DIALBACK_F "'><errors/>"
		    "</dialback>");
	}
	s2s_write(c, "</stream:features>");
}

/*
 * The header: to names a domain of ours, from (when there) is the
 * domain the peer claims, never one of ours.
 */
static int
s2s_in_open(void *arg, struct xml_node *h)
{
	struct conn	*c = arg;
	struct s2s	*s = c->s2s;
	const char	*version = xml_get_attr(h, "version");
	const char	*from = xml_get_attr(h, "from");
	struct domain_conf	*d;
	char		 to[CONF_NAMELEN], claim[CONF_NAMELEN];

	if (h->text == NULL || strcmp(h->text, NS_SERVER) != 0) {
		s2s_error(c, "invalid-namespace", NULL);
		return (-1);
	}
	if (s2s_in_domain(xml_get_attr(h, "to"), to, sizeof(to)) == -1 ||
	    !config_federated(stream_conf, to, &d)) {
		s2s_error(c, "host-unknown", NULL);
		return (-1);
	}
	if (c->domain[0] != '\0' && strcmp(c->domain, to) != 0) {
		s2s_error(c, "host-unknown", "Not the domain of this stream");
		return (-1);
	}
	(void)strlcpy(c->domain, to, sizeof(c->domain));
	if (from != NULL) {
		if (s2s_in_domain(from, claim, sizeof(claim)) == -1) {
			s2s_error(c, "invalid-from", NULL);
			return (-1);
		}
		if (config_federated(stream_conf, claim, &d)) {
			s2s_error(c, "invalid-from", "A domain hosted here");
			return (-1);
		}
		if (s->auth == S2S_AUTH_NONE)
			(void)strlcpy(s->remote, claim, sizeof(s->remote));
	}
	s2s_send_header(c, c->domain, s->remote, c->streamid);
	if (version == NULL || strtol(version, NULL, 10) < 1) {
		/* Without version 1.0 there is no STARTTLS. */
		s2s_error(c, "unsupported-version", NULL);
		return (-1);
	}
	s2s_in_features(c);
	c->state = S2S_ST_OPEN;
	return (0);
}

static int
s2s_in_pair(struct s2s *s, const char *from, const char *to)
{
	int	 i;

	for (i = 0; i < s->npairs; i++)
		if (strcmp(s->pairs[i].from, from) == 0 &&
		    strcmp(s->pairs[i].to, to) == 0)
			return (1);
	return (0);
}

/* (from, to) is proven on this stream: the router learns it too. */
static void
s2s_in_allow(struct conn *c, const char *from, const char *to, int auth)
{
	struct s2s	*s = c->s2s;
	struct imsgev	*router = proc_peer(PROC_ROUTER, 0);
	struct s2s_link	 l;

	if (s2s_in_pair(s, from, to))
		return;
	if (s->npairs == S2S_PAIRS_MAX || router == NULL) {
		s2s_error(c, "resource-constraint", NULL);
		return;
	}
	(void)strlcpy(s->pairs[s->npairs].from, from, CONF_NAMELEN);
	(void)strlcpy(s->pairs[s->npairs].to, to, CONF_NAMELEN);
	s->npairs++;
	if (s->auth == S2S_AUTH_NONE)
		s->auth = auth;
	memset(&l, 0, sizeof(l));
	(void)strlcpy(l.local, to, sizeof(l.local));
	(void)strlcpy(l.remote, from, sizeof(l.remote));
	l.conn = c->id;
	l.auth = auth;
	s2s_tls_name(c, l.tls, sizeof(l.tls));
	imsgev_compose(router, IMSG_S2S_IN_UP, c->id, 0, -1, &l, sizeof(l));
	conn_deadline(c, 0);
	s2s_idle_timer(c);
	log_info("s2s inbound connection %u from %s: %s authenticated by %s "
	    "for %s", c->id, c->addr, from, auth == S2S_AUTH_SASL ?
	    "SASL EXTERNAL" : "dialback", to);
}

/* XEP-0178: EXTERNAL, for the domain the certificate is good for. */
static void
s2s_in_sasl(struct conn *c, struct xml_node *n)
{
	struct s2s	*s = c->s2s;
	const char	*mech = xml_get_attr(n, "mechanism");
	char		*t = NULL, authz[CONF_NAMELEN];
	int		 len = 0;

	if (mech == NULL || strcmp(mech, "EXTERNAL") != 0 || !s->cert_ok) {
		s2s_write(c, "<failure xmlns='" NS_S2S_SASL "'>"
		    "<invalid-mechanism/></failure>");
		return;
	}
	if ((t = xml_text(n)) == NULL)
		fatal("%s", __func__);
	if (strcmp(t, "=") != 0 && t[0] != '\0' &&
	    ((len = base64_decode(t, strlen(t), (uint8_t *)authz,
	    sizeof(authz) - 1)) <= 0 || (authz[len] = '\0',
	    strlen(authz) != (size_t)len) ||
	    jid_prep_domain(authz, sizeof(authz)) == -1 ||
	    strcmp(authz, s->remote) != 0)) {
		free(t);
		s2s_write(c, "<failure xmlns='" NS_S2S_SASL "'>"
		    "<invalid-authzid/></failure>");
		s2s_error(c, "not-authorized", NULL);
		return;
	}
	free(t);
	s2s_write(c, "<success xmlns='" NS_S2S_SASL "'/>");
	s2s_in_allow(c, s->remote, c->domain, S2S_AUTH_SASL);
	/* A new stream follows (RFC 6120 section 6.4.6). */
	s->restart = 1;
}

/* db:result and db:verify: from, to and, for verify, id; the key. */
static int
s2s_in_db_read(struct conn *c, struct xml_node *n, struct s2s_db *db,
    int verify)
{
	const char	*id = xml_get_attr(n, "id");
	struct domain_conf	*d;
	char		*t;

	memset(db, 0, sizeof(*db));
	if (s2s_in_domain(xml_get_attr(n, "from"), db->from,
	    sizeof(db->from)) == -1) {
		s2s_error(c, "invalid-from", NULL);
		return (-1);
	}
	if (s2s_in_domain(xml_get_attr(n, "to"), db->to, sizeof(db->to)) ==
	    -1 || !config_federated(stream_conf, db->to, &d)) {
		s2s_error(c, "host-unknown", NULL);
		return (-1);
	}
	if (verify && (id == NULL || strlcpy(db->streamid, id,
	    sizeof(db->streamid)) >= sizeof(db->streamid))) {
		s2s_error(c, "invalid-id", NULL);
		return (-1);
	}
	if ((t = xml_text(n)) == NULL)
		fatal("%s", __func__);
	if (t[0] == '\0' || strlcpy(db->key, t, sizeof(db->key)) >=
	    sizeof(db->key)) {
		free(t);
		s2s_error(c, "not-authorized", "A dialback key is malformed");
		return (-1);
	}
	free(t);
	return (0);
}

/* A db:result: the router verifies it with the claimed domain. */
static void
s2s_in_db_result(struct conn *c, struct xml_node *n)
{
	struct s2s		*s = c->s2s;
	struct s2s_db		 db;
	struct domain_conf	*d;
	struct imsgev		*router = proc_peer(PROC_ROUTER, 0);

	if (xml_get_attr(n, "type") != NULL) {
		s2s_error(c, "not-authorized", "Unsolicited dialback answer");
		return;
	}
	if (s2s_in_db_read(c, n, &db, 0) == -1)
		return;
	if (config_federated(stream_conf, db.from, &d)) {
		s2s_error(c, "invalid-from", "A domain hosted here");
		return;
	}
	if (config_federated(stream_conf, db.to, &d) && d != NULL &&
	    d->federation_certs) {
		s2s_error(c, "not-authorized", "Certificates are required");
		return;
	}
	if (s->pending >= S2S_PENDING_MAX || router == NULL) {
		s2s_error(c, "resource-constraint", NULL);
		return;
	}
	(void)strlcpy(db.streamid, c->streamid, sizeof(db.streamid));
	s->pending++;
	imsgev_compose(router, IMSG_S2S_DB_RESULT, c->id, 0, -1, &db,
	    sizeof(db));
}

/* A db:verify: we are the authoritative server asked about a key. */
static void
s2s_in_db_verify(struct conn *c, struct xml_node *n)
{
	struct s2s	*s = c->s2s;
	struct s2s_db	 db, ask;
	struct imsgev	*router = proc_peer(PROC_ROUTER, 0);

	if (xml_get_attr(n, "type") != NULL) {
		s2s_error(c, "not-authorized", "Unsolicited dialback answer");
		return;
	}
	if (s2s_in_db_read(c, n, &db, 1) == -1)
		return;
	if (s->pending >= S2S_PENDING_MAX || router == NULL) {
		s2s_error(c, "resource-constraint", NULL);
		return;
	}
	/* The key was made by us (to) for the receiving server (from). */
	memset(&ask, 0, sizeof(ask));
	(void)strlcpy(ask.from, db.to, sizeof(ask.from));
	(void)strlcpy(ask.to, db.from, sizeof(ask.to));
	(void)strlcpy(ask.streamid, db.streamid, sizeof(ask.streamid));
	(void)strlcpy(ask.key, db.key, sizeof(ask.key));
	s->pending++;
	imsgev_compose(router, IMSG_S2S_DB_CHECK, c->id, 0, -1, &ask,
	    sizeof(ask));
}

/* The router's answer to a db:result or a db:verify. */
void
s2s_in_db_answer(struct conn *c, int type, struct imsg *imsg)
{
	struct s2s	*s = c->s2s;
	struct s2s_db	 db;
	int		 verify = type == IMSG_S2S_DB_CHECK;

	if (imsg_get_data(imsg, &db, sizeof(db)) == -1)
		fatalx("%s: bad answer", __func__);
	db.from[sizeof(db.from) - 1] = db.to[sizeof(db.to) - 1] = '\0';
	db.streamid[sizeof(db.streamid) - 1] = '\0';
	if (s->pending > 0)
		s->pending--;
	if (s2s_closing(c))
		return;
	/* Answers come from the side that was asked. */
	s2s_write_db(c, verify ? "verify" : "result", verify ? db.from : db.to,
	    verify ? db.to : db.from, verify ? db.streamid : NULL,
	    db.valid ? "valid" : "invalid", NULL);
	if (verify)
		return;
	if (db.valid)
		s2s_in_allow(c, db.from, db.to, S2S_AUTH_DIALBACK);
	else
		s2s_error(c, "not-authorized", "Dialback failed");
}

/*
 * A stanza: from a domain proven on this stream, to the domain it was
 * proven for (RFC 6120 sections 4.9.3.10 and 8.1.1.2).
 */
static void
s2s_in_route(struct conn *c, struct xml_node *n)
{
	struct imsgev	*router = proc_peer(PROC_ROUTER, 0);
	struct jid	 from, to;
	char		 norm[CONF_JIDLEN];
	const char	*f = xml_get_attr(n, "from");
	const char	*t = xml_get_attr(n, "to");
	struct domain_conf	*d;

	if (f == NULL || jid_parse(f, &from) == -1 ||
	    jid_full(&from, norm, sizeof(norm)) >= sizeof(norm) ||
	    xml_set_attr(n, "from", norm) == -1) {
		s2s_error(c, "improper-addressing", NULL);
		return;
	}
	if (t == NULL || jid_parse(t, &to) == -1 ||
	    jid_full(&to, norm, sizeof(norm)) >= sizeof(norm) ||
	    xml_set_attr(n, "to", norm) == -1) {
		s2s_error(c, "improper-addressing", NULL);
		return;
	}
	if (!config_federated(stream_conf, to.domain, &d)) {
		s2s_error(c, "host-unknown", NULL);
		return;
	}
	if (!s2s_in_pair(c->s2s, from.domain, to.domain)) {
		s2s_error(c, "invalid-from", "A domain not proven here");
		return;
	}
	c->s2s->in++;
	if (stream_ns_client(n, NS_SERVER) == -1 || router == NULL ||
	    stanza_send(router, c->id, c->id, n, NS_CLIENT) == -1)
		s2s_error(c, "internal-server-error", NULL);
}

static int
s2s_in_stanza(void *arg, struct xml_node *n)
{
	struct conn	*c = arg;
	struct s2s	*s = c->s2s;

	if (s2s_closing(c))
		;
	else if (!c->tls) {
		if (xml_is(n, NS_S2S_TLS, "starttls")) {
			s2s_write(c, "<proceed xmlns='" NS_S2S_TLS "'/>");
			c->state = S2S_ST_PROCEED;
			io_pause(c->io);
		} else
			s2s_error(c, "policy-violation", "TLS is required");
	} else if (xml_is(n, NS_S2S_SASL, "auth") && s->auth == S2S_AUTH_NONE)
		s2s_in_sasl(c, n);
	else if (xml_is(n, NS_DIALBACK, "result"))
		s2s_in_db_result(c, n);
	else if (xml_is(n, NS_DIALBACK, "verify"))
		s2s_in_db_verify(c, n);
	else if (s->npairs == 0)
		s2s_error(c, "not-authorized", NULL);
	else if (n->ns == NULL || strcmp(n->ns, NS_SERVER) != 0 ||
	    stanza_kind(n) == -1)
		s2s_error(c, "unsupported-stanza-type", NULL);
	else
		s2s_in_route(c, n);
	xml_node_free(n);
	if (c->state == S2S_ST_PROCEED) {
		/* What follows <starttls/> in the clear is never read. */
		io_discard_input(c->io);
		return (-1);
	}
	return (s2s_closing(c) || s->restart ? -1 : 0);
}
