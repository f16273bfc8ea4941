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
 * Outbound server streams: the router names a remote domain and where
 * its servers are; the stream tries each candidate in turn, always over
 * TLS (STARTTLS or direct TLS with ALPN xmpp-server), checks the
 * server's certificate against the domain (never the SRV target), then
 * authenticates with SASL EXTERNAL when it is good and offered, with
 * dialback (a key only the router makes) otherwise, unless the domain
 * requires certificates.  A link in verify mode carries one db:verify.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "addr.h"
#include "base64.h"
#include "config.h"
#include "io.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "stanza.h"
#include "stream.h"
#include "xml.h"

#define S2S_CONNECT_TIMEOUT	10	/* seconds per candidate */
#define S2S_LOGIN_TIMEOUT	30	/* from connect to authenticated */

static int	s2s_out_open(void *, struct xml_node *);
static int	s2s_out_stanza(void *, struct xml_node *);
static int	s2s_out_closed(void *);
static void	s2s_out_xml_error(void *, int, const char *);
static void	s2s_out_try(struct s2s *);

const struct xml_stream_cb s2s_out_cb = {
	s2s_out_open, s2s_out_stanza, s2s_out_closed, s2s_out_xml_error
};

/* Tell the router the link is up, or down (status). */
static void
s2s_out_report(struct s2s *s, int type, const char *local)
{
	struct imsgev	*router = proc_peer(PROC_ROUTER, 0);
	struct s2s_link	 l;

	if (router == NULL)
		return;
	memset(&l, 0, sizeof(l));
	(void)strlcpy(l.local, local, sizeof(l.local));
	(void)strlcpy(l.remote, s->remote, sizeof(l.remote));
	l.conn = s->conn != NULL ? s->conn->id : 0;
	l.status = s->status;
	l.auth = s->auth;
	if (s->conn != NULL)
		s2s_tls_name(s->conn, l.tls, sizeof(l.tls));
	imsgev_compose(router, type, s->link, 0, -1, &l, sizeof(l));
}

static void
s2s_out_free(struct s2s *s)
{
	if (s->fd != -1) {
		event_del(&s->ev);
		close(s->fd);
	}
	free(s->cand);
	free(s);
}

void
s2s_out_connect(struct imsg *imsg)
{
	struct s2s_connect	 sc;
	struct ibuf		 ib;
	struct s2s		*s;
	size_t			 len;

	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &sc, sizeof(sc)) == -1 ||
	    sc.ncandidates == 0 || sc.ncandidates > RESOLVE_MAX_CANDIDATES ||
	    (len = ibuf_size(&ib)) != sc.ncandidates *
	    sizeof(struct resolve_candidate))
		fatalx("%s: bad request from the router", __func__);
	sc.local[sizeof(sc.local) - 1] = sc.remote[sizeof(sc.remote) - 1] =
	    '\0';
	sc.key[sizeof(sc.key) - 1] = '\0';
	sc.streamid[sizeof(sc.streamid) - 1] = '\0';
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->cand = calloc(sc.ncandidates, sizeof(*s->cand))) == NULL)
		fatal("%s", __func__);
	(void)ibuf_get(&ib, s->cand, len);
	s->ncand = sc.ncandidates;
	s->outbound = 1;
	s->fd = -1;
	s->link = imsg_get_id(imsg);
	s->mode = sc.mode;
	s->require_cert = sc.require_cert;
	(void)strlcpy(s->remote, sc.remote, sizeof(s->remote));
	(void)strlcpy(s->pairs[0].to, sc.local, sizeof(s->pairs[0].to));
	(void)strlcpy(s->key, sc.key, sizeof(s->key));
	(void)strlcpy(s->verify_id, sc.streamid, sizeof(s->verify_id));
	s->status = S2S_FAIL_CONNECT;
	s2s_out_try(s);
}

/* Every candidate failed, or the peer refused us: the router hears. */
static void
s2s_out_fail(struct s2s *s)
{
	log_info("s2s outbound to %s failed: %s", s->remote,
	    s->status == S2S_FAIL_AUTH ? "not authenticated" :
	    "no server reached");
	s->conn = NULL;
	s2s_out_report(s, IMSG_S2S_OUT_DOWN, s->pairs[0].to);
	s2s_out_free(s);
}

/*
 * The client TLS configuration: our domain's certificate, if any, shown.
 * libtls reads the keypair when the connection starts, not when the
 * context is configured: the caller clears the keys after
 * tls_connect_socket().
 */
static struct tls_config *
s2s_out_tls_config(struct conn *c, int direct)
{
	struct tls_config	*cfg;
	struct domain_conf	*d = NULL;
	struct keydata		*kd, *use = NULL;
	const char		*kp;

	/* A muc service shows the keypair of the domain it is under. */
	(void)config_federated(stream_conf, c->domain, &d);
	kp = d == NULL ? c->domain : d->keypair[0] ? d->keypair : d->name;

	TAILQ_FOREACH(kd, &stream_conf->keydata, entry)
		if (strcmp(kd->name, kp) == 0)
			use = kd;
	if ((cfg = tls_config_new()) == NULL)
		return (NULL);
	/* tlsverify checks the peer, with the domain as the reference. */
	tls_config_insecure_noverifycert(cfg);
	tls_config_insecure_noverifyname(cfg);
	if (tls_config_set_protocols(cfg, TLS_PROTOCOL_TLSv1_2 |
	    TLS_PROTOCOL_TLSv1_3) == -1 ||
	    tls_config_set_ciphers(cfg, "secure") == -1 ||
	    (direct && tls_config_set_alpn(cfg, "xmpp-server") == -1)) {
		log_warnx("s2s connection %u: TLS: %s", c->id,
		    tls_config_error(cfg));
		tls_config_free(cfg);
		return (NULL);
	}
	/* Without our certificate, the peer can still take dialback. */
	if (use != NULL && tls_config_set_keypair_mem(cfg, use->cert,
	    use->certlen, use->key, use->keylen) == -1)
		log_info("s2s connection %u: no certificate shown: %s", c->id,
		    tls_config_error(cfg));
	return (cfg);
}

static void
s2s_out_start_tls(struct conn *c, int direct)
{
	struct tls_config	*cfg;
	struct tls		*t = NULL;
	int			 ok = 0;

	c->state = S2S_ST_TLS;
	if ((cfg = s2s_out_tls_config(c, direct)) != NULL &&
	    (t = tls_client()) != NULL) {
		if (tls_configure(t, cfg) == -1)
			log_warnx("s2s connection %u: TLS: %s", c->id,
			    tls_error(t));
		else if (io_connect_tls(c->io, t, c->s2s->remote) == -1)
			log_info("s2s connection %u: %s", c->id,
			    io_error(c->io));
		else
			ok = 1;
	}
	if (cfg != NULL) {
		/* The connection holds the key now, or never will. */
		tls_config_clear_keys(cfg);
		tls_config_free(cfg);
	}
	if (ok)
		return;
	tls_free(t);
	/* Closed from the event loop: this may run inside the parser. */
	c->state = S2S_ST_CLOSING;
	io_close_after_write(c->io);
}

static void
s2s_out_connected(int fd, short event, void *arg)
{
	struct s2s			*s = arg;
	struct resolve_candidate	*rc = &s->cand[s->next];
	struct conn			*c;
	char				 addr[ADDR_STRLEN];
	int				 err = 0;
	socklen_t			 len = sizeof(err);

	addr_ntop(&rc->ss, addr, sizeof(addr));
	if ((event & EV_TIMEOUT) || getsockopt(fd, SOL_SOCKET, SO_ERROR,
	    &err, &len) == -1 || err != 0) {
		log_info("s2s outbound to %s: %s port %u: %s", s->remote,
		    addr, rc->port, (event & EV_TIMEOUT) ? "timed out" :
		    strerror(err));
		close(fd);
		s->fd = -1;
		s->next++;
		s2s_out_try(s);
		return;
	}
	s->fd = -1;
	if ((c = conn_add(fd, LISTEN_SERVER, addr, s2s_io)) == NULL) {
		s->next++;
		s2s_out_try(s);
		return;
	}
	c->s2s = s;
	s->conn = c;
	(void)strlcpy(c->domain, s->pairs[0].to, sizeof(c->domain));
	conn_deadline(c, S2S_LOGIN_TIMEOUT);
	io_set_maxout(c->io, 4 * stream_conf->global.limits.stanza_size +
	    65536);
	if (s2s_new_parser(c, &s2s_out_cb) == -1) {
		conn_close(c);
		return;
	}
	log_debug("s2s outbound %u to %s: connected to %s port %u%s", c->id,
	    s->remote, addr, rc->port, rc->tls ? ", direct TLS" : "");
	if (rc->tls)
		s2s_out_start_tls(c, 1);
	else {
		c->state = S2S_ST_HEADER;
		s2s_send_header(c, c->domain, s->remote, NULL);
	}
}

/* The next candidate, or the failure when none is left. */
static void
s2s_out_try(struct s2s *s)
{
	struct resolve_candidate	*rc;
	struct timeval			 tv = { S2S_CONNECT_TIMEOUT, 0 };
	socklen_t			 len;
	int				 fd, on = 1;

	for (; s->next < s->ncand; s->next++) {
		rc = &s->cand[s->next];
		len = rc->ss.ss_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		if ((fd = socket(rc->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			log_warn("s2s outbound to %s: socket", s->remote);
			continue;
		}
		/*
		 * As on accepted connections (listener.c): the TLS handshake
		 * and the stream's negotiation are small writes in turn, each
		 * of which Nagle would hold for the peer's delayed ACK.
		 */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if (connect(fd, (struct sockaddr *)&rc->ss, len) == -1 &&
		    errno != EINPROGRESS) {
			log_info("s2s outbound to %s: connect: %s", s->remote,
			    strerror(errno));
			close(fd);
			continue;
		}
		s->fd = fd;
		event_set(&s->ev, fd, EV_WRITE, s2s_out_connected, s);
		event_add(&s->ev, &tv);
		return;
	}
	s2s_out_fail(s);
}

/* The connection goes: the next candidate, or the router hears. */
void
s2s_out_gone(struct conn *c)
{
	struct s2s	*s = c->s2s;

	if (s->auth != S2S_AUTH_NONE || s->mode == S2S_MODE_VERIFY ||
	    s->status == S2S_FAIL_AUTH || s->status == S2S_OK) {
		if (s->status == S2S_OK && s->mode == S2S_MODE_STANZAS)
			s->status = S2S_FAIL_CLOSED;
		/* A link the router let go is forgotten there already. */
		if (s->status != S2S_OK && s->ending != S2S_END_LET_GO)
			s2s_out_report(s, IMSG_S2S_OUT_DOWN, c->domain);
		s2s_out_free(s);
		return;
	}
	s->conn = NULL;
	s->next++;
	s2s_out_try(s);
}

static void
s2s_out_xml_error(void *arg, int error, const char *text)
{
	(void)text;
	s2s_error(arg, xml_error_name(error), NULL);
}

static int
s2s_out_closed(void *arg)
{
	struct conn	*c = arg;

	/*
	 * The peer ended its stream, and waits for ours (RFC 6120 section
	 * 4.4): what the router sends until it lets go of the link is
	 * still written.  Nothing more is read.
	 */
	if (s2s_out_ending(c, "closed by the peer") == 0) {
		io_pause(c->io);
		return (-1);
	}
	s2s_write(c, "</stream:stream>");
	c->state = S2S_ST_CLOSING;
	io_close_after_write(c->io);
	return (-1);
}

static int
s2s_out_open(void *arg, struct xml_node *h)
{
	struct conn	*c = arg;
	const char	*id = xml_get_attr(h, "id");

	if (h->text == NULL || strcmp(h->text, NS_SERVER) != 0) {
		s2s_error(c, "invalid-namespace", NULL);
		return (-1);
	}
	if (id == NULL || id[0] == '\0' || strlcpy(c->s2s->peer_id, id,
	    sizeof(c->s2s->peer_id)) >= sizeof(c->s2s->peer_id)) {
		s2s_error(c, "invalid-id", NULL);
		return (-1);
	}
	c->state = S2S_ST_OPEN;
	return (0);
}

/* Stanzas may go: the router flushes what waits for the domain. */
static void
s2s_out_up(struct conn *c, int auth)
{
	struct s2s	*s = c->s2s;

	s->auth = auth;
	s->status = S2S_OK;
	c->state = S2S_ST_UP;
	s2s_idle_timer(c);
	log_info("s2s outbound connection %u to %s: authenticated by %s",
	    c->id, s->remote, auth == S2S_AUTH_SASL ? "SASL EXTERNAL" :
	    "dialback");
	s2s_out_report(s, IMSG_S2S_OUT_UP, c->domain);
}

static void
s2s_out_refused(struct conn *c, const char *why)
{
	c->s2s->status = S2S_FAIL_AUTH;
	log_info("s2s outbound connection %u to %s: %s", c->id,
	    c->s2s->remote, why);
	s2s_write(c, "</stream:stream>");
	c->state = S2S_ST_CLOSING;
	io_close_after_write(c->io);
}

/* A db:verify for the router's verification, or ask for our key. */
static void
s2s_out_dialback(struct conn *c)
{
	struct s2s	*s = c->s2s;
	struct s2s_db	 db;
	struct imsgev	*router = proc_peer(PROC_ROUTER, 0);

	c->state = S2S_ST_DB;
	if (s->mode == S2S_MODE_VERIFY) {
		s2s_write_db(c, "verify", c->domain, s->remote, s->verify_id,
		    NULL, s->key);
		return;
	}
	if (router == NULL) {
		s2s_error(c, "internal-server-error", NULL);
		return;
	}
	memset(&db, 0, sizeof(db));
	(void)strlcpy(db.from, c->domain, sizeof(db.from));
	(void)strlcpy(db.to, s->remote, sizeof(db.to));
	(void)strlcpy(db.streamid, s->peer_id, sizeof(db.streamid));
	imsgev_compose(router, IMSG_S2S_DB_KEY, c->id, 0, -1, &db,
	    sizeof(db));
}

/* The router's key for our db:result. */
void
s2s_out_key(struct conn *c, struct imsg *imsg)
{
	struct s2s_db	 db;

	if (imsg_get_data(imsg, &db, sizeof(db)) == -1)
		fatalx("%s: bad answer", __func__);
	db.key[sizeof(db.key) - 1] = '\0';
	if (s2s_closing(c) || c->state != S2S_ST_DB)
		return;
	s2s_write_db(c, "result", c->domain, c->s2s->remote, NULL, NULL,
	    db.key);
	explicit_bzero(&db, sizeof(db));
}

/* Features after TLS: EXTERNAL for a good certificate, or dialback. */
static void
s2s_out_auth(struct conn *c)
{
	struct s2s	*s = c->s2s;
	char		 b64[BASE64_ENCLEN(CONF_NAMELEN) + 1];
	struct xml_node	*n;

	s->cert_ok = s2s_check_cert(c, s->remote);
	if (s->mode == S2S_MODE_VERIFY)
		s2s_out_dialback(c);
	else if (s->cert_ok && s->external) {
		if (base64_encode((const uint8_t *)c->domain,
		    strlen(c->domain), b64, sizeof(b64)) == -1 ||
		    (n = xml_node_new(NS_S2S_SASL, "auth")) == NULL ||
		    xml_set_attr(n, "mechanism", "EXTERNAL") == -1 ||
		    xml_add_text(n, b64, strlen(b64)) == -1)
			fatal("%s", __func__);
		s2s_write_node(c, n);
		xml_node_free(n);
		c->state = S2S_ST_SASL;
	} else if (s->require_cert)
		s2s_out_refused(c, "its certificate is not good, and "
		    "certificates are required");
	else
		s2s_out_dialback(c);
}

static void
s2s_out_features(struct conn *c, struct xml_node *f)
{
	struct s2s	*s = c->s2s;
	struct xml_node	*m, *k;

	s->starttls = xml_find_child(f, NS_S2S_TLS, "starttls") != NULL;
	s->dialback = xml_find_child(f, NS_DIALBACK_F, "dialback") != NULL;
	s->external = 0;
	if ((m = xml_find_child(f, NS_S2S_SASL, "mechanisms")) != NULL)
		TAILQ_FOREACH(k, &m->children, entry) {
			char	*t;

			if (!xml_is(k, NS_S2S_SASL, "mechanism") ||
			    (t = xml_text(k)) == NULL)
				continue;
			if (strcmp(t, "EXTERNAL") == 0)
				s->external = 1;
			free(t);
		}
	if (!c->tls) {
		if (!s->starttls) {
			/* Never in the clear: the next candidate may. */
			s2s_error(c, "policy-violation", "TLS is required");
			return;
		}
		s2s_write(c, "<starttls xmlns='" NS_S2S_TLS "'/>");
		c->state = S2S_ST_PROCEED;
	} else if (s->auth == S2S_AUTH_NONE)
		s2s_out_auth(c);
	else
		s2s_out_up(c, s->auth);
}

/* A dialback answer: valid for exactly what we asked, or refused. */
static void
s2s_out_db_answer(struct conn *c, struct xml_node *n, int verify)
{
	struct s2s	*s = c->s2s;
	const char	*type = xml_get_attr(n, "type");
	const char	*from = xml_get_attr(n, "from");
	const char	*to = xml_get_attr(n, "to");
	const char	*id = xml_get_attr(n, "id");
	struct imsgev	*router = proc_peer(PROC_ROUTER, 0);
	struct s2s_db	 db;
	int		 valid;

	if (c->state != S2S_ST_DB || type == NULL || from == NULL ||
	    to == NULL || strcmp(from, s->remote) != 0 ||
	    strcmp(to, c->domain) != 0 || verify != (s->mode ==
	    S2S_MODE_VERIFY) || (verify && (id == NULL ||
	    strcmp(id, s->verify_id) != 0))) {
		s2s_error(c, "invalid-xml", "Unsolicited dialback answer");
		return;
	}
	valid = strcmp(type, "valid") == 0;
	if (!verify) {
		if (valid)
			s2s_out_up(c, S2S_AUTH_DIALBACK);
		else
			s2s_out_refused(c, "dialback refused");
		return;
	}
	memset(&db, 0, sizeof(db));
	(void)strlcpy(db.from, c->domain, sizeof(db.from));
	(void)strlcpy(db.to, s->remote, sizeof(db.to));
	(void)strlcpy(db.streamid, s->verify_id, sizeof(db.streamid));
	db.valid = valid;
	if (router != NULL)
		imsgev_compose(router, IMSG_S2S_VERIFIED, s->link, 0, -1,
		    &db, sizeof(db));
	s->status = S2S_OK;
	s2s_write(c, "</stream:stream>");
	c->state = S2S_ST_CLOSING;
	io_close_after_write(c->io);
}

static int
s2s_out_stanza(void *arg, struct xml_node *n)
{
	struct conn	*c = arg;
	struct s2s	*s = c->s2s;
	int		 stop = 0;

	if (s2s_closing(c))
		;
	else if (xml_is(n, NS_STREAMS, "features") && c->state == S2S_ST_OPEN)
		s2s_out_features(c, n);
	else if (xml_is(n, NS_S2S_TLS, "proceed") &&
	    c->state == S2S_ST_PROCEED) {
		s2s_out_start_tls(c, 0);
		stop = 1;
	} else if (xml_is(n, NS_S2S_SASL, "success") &&
	    c->state == S2S_ST_SASL) {
		s->auth = S2S_AUTH_SASL;
		s->restart = 1;
	} else if (xml_is(n, NS_S2S_SASL, "failure") &&
	    c->state == S2S_ST_SASL) {
		if (s->require_cert)
			s2s_out_refused(c, "SASL EXTERNAL refused");
		else
			s2s_out_dialback(c);
	} else if (xml_is(n, NS_DIALBACK, "result"))
		s2s_out_db_answer(c, n, 0);
	else if (xml_is(n, NS_DIALBACK, "verify"))
		s2s_out_db_answer(c, n, 1);
	else if (xml_is(n, NS_STREAMS, "error")) {
		log_info("s2s outbound connection %u to %s: stream error "
		    "from the peer", c->id, s->remote);
		c->state = S2S_ST_CLOSING;
		io_close_after_write(c->io);
	} else
		s2s_error(c, "unsupported-stanza-type", NULL);
	xml_node_free(n);
	return (stop || s2s_closing(c) || s->restart ? -1 : 0);
}

/*
 * The link ends (idle, or the peer closed its stream): the router stops
 * routing to it first, so that no stanza it sends in that moment meets
 * a closed stream.  It answers IMSG_S2S_OUT_CLOSE after the last stanza
 * it sent here, and the next stanza for the domain opens a new link.
 * -1: close now (not a link for stanzas, no router, or asked already
 * and never answered).
 */
int
s2s_out_ending(struct conn *c, const char *why)
{
	struct s2s	*s = c->s2s;

	if (s->ending != S2S_END_NO || s->mode != S2S_MODE_STANZAS ||
	    c->state != S2S_ST_UP || proc_peer(PROC_ROUTER, 0) == NULL)
		return (-1);
	s->ending = S2S_END_ASKED;
	log_info("s2s outbound connection %u to %s: %s, the router is told",
	    c->id, s->remote, why);
	s2s_out_report(s, IMSG_S2S_OUT_IDLE, c->domain);
	return (0);
}

/* The router let the link go: what it sent is written, then the end. */
void
s2s_out_close(struct conn *c)
{
	if (s2s_closing(c))
		return;
	c->s2s->ending = S2S_END_LET_GO;
	log_info("s2s outbound connection %u to %s: closed, the router let "
	    "it go", c->id, c->s2s->remote);
	s2s_write(c, "</stream:stream>");
	c->state = S2S_ST_CLOSING;
	io_close_after_write(c->io);
}

/* TLS is up: a new stream over it. */
void
s2s_out_tls(struct conn *c)
{
	if (s2s_new_parser(c, &s2s_out_cb) == -1) {
		conn_close(c);
		return;
	}
	c->state = S2S_ST_HEADER;
	s2s_send_header(c, c->domain, c->s2s->remote, NULL);
}
