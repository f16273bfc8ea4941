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
 * Server-to-server streams (RFC 6120, jabber:server), what the inbound
 * (stream_s2s_in.c) and outbound (stream_s2s_out.c) sides share: the
 * header, stream errors, the peer's certificate checked against the
 * domain it claims or we dialled (tlsverify), and the messages the
 * router sends about them.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tls.h>

#include "config.h"
#include "io.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "stanza.h"
#include "stream.h"
#include "tlsverify.h"
#include "xml.h"

#define NS_STREAM_ERR	"urn:ietf:params:xml:ns:xmpp-streams"

/* A new parser (or the same, reset) and a new stream id of ours. */
int
s2s_new_parser(struct conn *c, const struct xml_stream_cb *cb)
{
	struct xml_limits	 l;
	uint8_t			 r[16];
	size_t			 i;

	arc4random_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r); i++)
		(void)snprintf(c->streamid + 2 * i, sizeof(c->streamid) - 2 * i,
		    "%02x", r[i]);
	stanza_limits(&stream_conf->global, &l);
	if (c->xs == NULL)
		c->xs = xml_stream_new(&l, cb, c);
	else if (xml_stream_reset(c->xs) == -1) {
		xml_stream_free(c->xs);
		c->xs = NULL;
	}
	c->header_sent = 0;
	return (c->xs == NULL ? -1 : 0);
}

int
s2s_closing(struct conn *c)
{
	return (c->state == S2S_ST_CLOSING);
}

void
s2s_write(struct conn *c, const char *s)
{
	if (s2s_closing(c))
		return;
	if (io_write(c->io, s, strlen(s)) == -1) {
		log_info("s2s connection %u: %s", c->id, io_error(c->io));
		c->state = S2S_ST_CLOSING;
		io_close_after_write(c->io);
	}
}

void
s2s_write_node(struct conn *c, struct xml_node *n)
{
	struct xml_buf	 b;

	xml_buf_init(&b, 0);
	if (xml_serialize(n, NS_SERVER, &b) == -1 ||
	    xml_buf_add(&b, "", 1) == -1)
		fatal("%s", __func__);
	s2s_write(c, b.data);
	xml_buf_free(&b);
}

/* The attributes from, to, id and type, escaped, each when given. */
static void
s2s_attrs(struct xml_buf *b, const char *from, const char *to,
    const char *id, const char *type)
{
	const char	*names[] = { "from", "to", "id", "type" };
	const char	*vals[] = { from, to, id, type };
	size_t		 i;

	for (i = 0; i < nitems(names); i++) {
		if (vals[i] == NULL || vals[i][0] == '\0')
			continue;
		if (xml_buf_addstr(b, " ") == -1 ||
		    xml_buf_addstr(b, names[i]) == -1 ||
		    xml_buf_addstr(b, "='") == -1 ||
		    xml_buf_escape(b, vals[i], strlen(vals[i]), 1) == -1 ||
		    xml_buf_addstr(b, "'") == -1)
			fatal("%s", __func__);
	}
}

/* Our stream header; from, to and id escaped, each when not NULL. */
void
s2s_send_header(struct conn *c, const char *from, const char *to,
    const char *id)
{
	struct xml_buf	 b;

	if (c->header_sent)
		return;
	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, "<?xml version='1.0'?><stream:stream xmlns='"
	    NS_SERVER "' xmlns:db='" NS_DIALBACK "' xmlns:stream='"
	    NS_STREAMS "' version='1.0'") == -1)
		fatal("%s", __func__);
	s2s_attrs(&b, from, to, id, NULL);
	if (xml_buf_addstr(&b, ">") == -1 || xml_buf_add(&b, "", 1) == -1)
		fatal("%s", __func__);
	s2s_write(c, b.data);
	xml_buf_free(&b);
	c->header_sent = 1;
}

/*
 * A dialback element, db:result or db:verify (name "result" or
 * "verify"), written with the db prefix our header declares, as
 * XEP-0220 writes it: ejabberd reads no other form.  Attributes and
 * key (NULL: none) escaped.
 */
void
s2s_write_db(struct conn *c, const char *name, const char *from,
    const char *to, const char *id, const char *type, const char *key)
{
	struct xml_buf	 b;

	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, "<db:") == -1 ||
	    xml_buf_addstr(&b, name) == -1)
		fatal("%s", __func__);
	s2s_attrs(&b, from, to, id, type);
	if (key == NULL ? xml_buf_addstr(&b, "/>") == -1 :
	    (xml_buf_addstr(&b, ">") == -1 ||
	    xml_buf_escape(&b, key, strlen(key), 0) == -1 ||
	    xml_buf_addstr(&b, "</db:") == -1 ||
	    xml_buf_addstr(&b, name) == -1 || xml_buf_addstr(&b, ">") == -1))
		fatal("%s", __func__);
	if (xml_buf_add(&b, "", 1) == -1)
		fatal("%s", __func__);
	s2s_write(c, b.data);
	explicit_bzero(b.data, b.len);
	xml_buf_free(&b);
}

/* A stream error ends the stream (RFC 6120 section 4.9). */
void
s2s_error(struct conn *c, const char *cond, const char *text)
{
	struct xml_node	*e, *t;
	struct s2s	*s = c->s2s;

	if (s2s_closing(c))
		return;
	if (!c->header_sent)
		s2s_send_header(c, c->domain, s->remote,
		    s->outbound ? NULL : c->streamid);
	if ((e = xml_node_new(NS_STREAMS, "error")) == NULL ||
	    xml_add_child(e, NS_STREAM_ERR, cond) == NULL)
		fatal("%s", __func__);
	if (text != NULL && ((t = xml_add_child(e, NS_STREAM_ERR,
	    "text")) == NULL || xml_add_text(t, text, strlen(text)) == -1))
		fatal("%s", __func__);
	s2s_write_node(c, e);
	xml_node_free(e);
	s2s_write(c, "</stream:stream>");
	log_info("s2s %s connection %u %s %s: stream error %s%s%s",
	    s->outbound ? "outbound" : "inbound", c->id,
	    s->outbound ? "to" : "from", s->remote[0] ? s->remote : c->addr,
	    cond, text ? ": " : "", text ? text : "");
	c->state = S2S_ST_CLOSING;
	io_close_after_write(c->io);
}

/*
 * Is the peer's certificate good for domain (RFC 6125 with RFC 6120
 * section 13.7's identities)?  libtls checked nothing: tlsverify does.
 */
int
s2s_check_cert(struct conn *c, const char *domain)
{
	struct tlsverify_ca	*ca = stream_ca();
	struct tls		*t = io_tls(c->io);
	const uint8_t		*pem;
	size_t			 len = 0;
	char			 why[256];
	int			 r;

	if (t == NULL || ca == NULL)
		return (0);
	pem = tls_peer_cert_chain_pem(t, &len);
	r = tlsverify_peer(ca, pem, len, domain, time(NULL), why,
	    sizeof(why));
	if (r != TLSVERIFY_OK)
		log_info("s2s connection %u: certificate not good for %s: %s",
		    c->id, domain, why);
	return (r == TLSVERIFY_OK);
}

/* The TLS version and cipher of c, for xmppctl show streams. */
void
s2s_tls_name(struct conn *c, char *buf, size_t len)
{
	struct tls	*t = io_tls(c->io);

	if (t == NULL)
		(void)strlcpy(buf, "none", len);
	else
		(void)snprintf(buf, len, "%s %s", tls_conn_version(t),
		    tls_conn_cipher(t));
}

void
s2s_timeout(struct conn *c)
{
	s2s_error(c, "connection-timeout", NULL);
}

static void
s2s_input(struct conn *c)
{
	size_t	 len;
	char	*data;

	while ((data = io_data(c->io, &len)) != NULL && len > 0 &&
	    !s2s_closing(c) && !io_paused(c->io)) {
		io_drain(c->io, len);
		if (stream_rate(c, len))
			log_debug("s2s connection %u: over its rate", c->id);
		if (xml_stream_feed(c->xs, data, len) != 0)
			break;
	}
	if (c->s2s->restart && !s2s_closing(c)) {
		c->s2s->restart = 0;
		if (s2s_new_parser(c, c->s2s->outbound ? &s2s_out_cb :
		    &s2s_in_cb) == -1) {
			s2s_error(c, "internal-server-error", NULL);
			return;
		}
		c->state = S2S_ST_HEADER;
		if (c->s2s->outbound)
			s2s_send_header(c, c->domain, c->s2s->remote, NULL);
	}
}

void
s2s_io(struct io *io, int event, void *arg)
{
	struct conn	*c = arg;

	(void)io;
	switch (event) {
	case IO_TLSREADY:
		c->tls = 1;
		if (c->s2s->outbound)
			s2s_out_tls(c);
		else
			s2s_in_tls(c);
		return;
	case IO_DATAIN:
		s2s_input(c);
		return;
	case IO_LOWAT:
		if (!c->s2s->outbound && c->state == S2S_ST_PROCEED && !c->tls) {
			/* <proceed/> is written: TLS now. */
			io_resume(c->io);
			if (stream_tls_peer(c, 0) == -1)
				conn_close(c);
		}
		return;
	case IO_TIMEOUT:
		/* An outbound link waits for the router to let it go. */
		if (c->s2s->outbound && !s2s_closing(c) &&
		    s2s_out_ending(c, "idle") == 0)
			return;
		if (!s2s_closing(c)) {
			/* Idle: closed as the peer would be told. */
			log_info("s2s connection %u with %s: idle, closed",
			    c->id, c->s2s->remote);
			s2s_write(c, "</stream:stream>");
			c->state = S2S_ST_CLOSING;
			io_close_after_write(c->io);
			return;
		}
		break;
	case IO_ERROR:
		log_info("s2s connection %u with %s: %s", c->id,
		    c->s2s->remote[0] ? c->s2s->remote : c->addr,
		    io_error(c->io));
		break;
	}
	conn_close(c);
}

/* Inbound server connections from addr, at most limit: is there room? */
int
s2s_in_room(const char *addr, int limit)
{
	struct conn	*c = NULL;
	int		 n = 0;

	while ((c = conn_next(c)) != NULL)
		if (c->kind == LISTEN_SERVER && c->s2s != NULL &&
		    !c->s2s->outbound && strcmp(c->addr, addr) == 0 &&
		    ++n >= limit)
			return (0);
	return (1);
}

/* Up: stanzas may flow; the stream closes when idle. */
void
s2s_idle_timer(struct conn *c)
{
	conn_deadline(c, 0);
	/* limits server idle timeout: seconds without a byte. */
	io_set_timeout(c->io, (int)stream_conf->global.limits.server_idle *
	    1000);
}

static void
s2s_deliver(struct conn *c, struct imsg *imsg)
{
	struct stanza_msg	 m;

	if (stanza_recv(imsg, &m) == -1)
		fatalx("%s: bad stanza from the router", __func__);
	if (c->s2s->outbound && c->s2s->auth != S2S_AUTH_NONE) {
		s2s_write(c, m.xml);
		c->s2s->out++;
	}
	stanza_msg_clear(&m);
}

/* Messages for s2s streams; 1: not one of theirs. */
int
s2s_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct conn	*c = conn_find(imsg_get_id(imsg));
	uint32_t	 type = imsg_get_type(imsg);
	int		 mine = c != NULL && c->kind == LISTEN_SERVER;

	switch (type) {
	case IMSG_S2S_CONNECT:
		if (iev->type != PROC_ROUTER)
			return (-1);
		s2s_out_connect(imsg);
		return (0);
	case IMSG_S2S_DB_KEY:
		if (iev->type != PROC_ROUTER)
			return (-1);
		if (mine && c->s2s->outbound)
			s2s_out_key(c, imsg);
		return (0);
	case IMSG_S2S_DB_CHECK:
	case IMSG_S2S_DB_RESULT:
		if (iev->type != PROC_ROUTER)
			return (-1);
		if (mine && !c->s2s->outbound)
			s2s_in_db_answer(c, type, imsg);
		return (0);
	case IMSG_S2S_OUT_CLOSE:
		if (iev->type != PROC_ROUTER)
			return (-1);
		if (mine && c->s2s->outbound)
			s2s_out_close(c);
		return (0);
	case IMSG_STANZA:
		if (!mine)
			return (1);
		if (iev->type != PROC_ROUTER)
			return (-1);
		s2s_deliver(c, imsg);
		return (0);
	}
	return (1);
}

void
s2s_free(struct conn *c)
{
	struct imsgev	*router = proc_peer(PROC_ROUTER, 0);
	struct s2s	*s = c->s2s;

	if (s == NULL)
		return;
	if (s->outbound)
		s2s_out_gone(c);
	else {
		if (s->npairs > 0 && router != NULL)
			imsgev_compose(router, IMSG_S2S_IN_DOWN, c->id, 0, -1,
			    NULL, 0);
		free(s);
	}
	c->s2s = NULL;
	xml_stream_free(c->xs);
	c->xs = NULL;
}

