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
 * XMPP over WebSocket (RFC 7395), in the stream process: the opening
 * handshake of an HTTP request to /xmpp-websocket (subprotocol "xmpp"
 * required), then the framing, by libwslay, of a client stream that
 * c2s.c runs as it runs one over TCP.  This file only translates: each
 * text message the client sends must be one element; <open/> becomes
 * a stream header for the engine, <close/> its end, anything else goes
 * to it as a tree.  What the engine writes is cut back into elements,
 * one message each, its header and end becoming <open/> and <close/>.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <openssl/evp.h>

#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <wslay/wslay.h>

#include "base64.h"
#include "config.h"
#include "http.h"
#include "http_web.h"
#include "io.h"
#include "log.h"
#include "stanza.h"
#include "stream.h"
#include "tlsctx.h"
#include "xml.h"

#define NS_FRAMING	"urn:ietf:params:xml:ns:xmpp-framing"
#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_PROTOCOL	"xmpp"
#define WS_KEY_LEN	16	/* Sec-WebSocket-Key, decoded */

struct http_ws {
	wslay_event_context_ptr	 ctx;
	struct xml_stream	*in;	/* the client's messages, in a row */
	struct xml_node		*held;	/* the element of the message read */
	struct xml_buf		 out;	/* the engine's output, not yet cut */
	size_t			 scan;	/* in out: read up to here */
	size_t			 elem;	/* in out: the open element's start */
	int			 depth;	/* of what was read */
	struct xml_buf		 msg;	/* one element, made a message */
	int			 failed; /* a message could not be sent */
	int			 closing; /* our close frame is queued */
};

static void	http_ws_io(struct io *, int, void *);
static int	http_ws_in_element(void *, struct xml_node *);

/* The client's messages read as one stream: a parser for them all. */
static const struct xml_stream_cb http_ws_in_cb = {
	NULL, http_ws_in_element, NULL, NULL
};

/* An opening handshake refused: why, to the log and to the client. */
static int
http_ws_refuse(struct http_conn *hc, int status, const char *why)
{
	log_info("websocket from %s refused: %s", http_conn_addr(hc), why);
	if (status == 426) {
		/* RFC 6455 section 4.4: the version this server speaks. */
		if (http_response_begin(hc, 426, NULL) == -1 ||
		    http_response_header(hc, "Sec-WebSocket-Version",
		    "13") == -1 || http_response_body(hc, "", 0) == -1)
			return (-1);
		return (0);
	}
	return (http_error(hc, status) == -1 ? -1 : 0);
}

/*
 * The opening handshake (RFC 6455 section 4.2.1; RFC 7395 section
 * 3.1): 1 accepted, with its Sec-WebSocket-Accept in accept
 * (WS_ACCEPT_LEN); 0 refused and answered; -1 to close.
 */
int
http_ws_request(struct http_conn *hc, struct http_request *req,
    char *accept)
{
	const char	*upgrade = http_header(req, "Upgrade");
	const char	*connection = http_header(req, "Connection");
	const char	*version = http_header(req, "Sec-WebSocket-Version");
	const char	*key = http_header(req, "Sec-WebSocket-Key");
	const char	*proto = http_header(req, "Sec-WebSocket-Protocol");
	const char	*origin = http_header(req, "Origin");
	uint8_t		 raw[WS_KEY_LEN + 2], md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	char		 buf[128];

	if (req->method != HTTP_M_GET)
		return (http_ws_refuse(hc, 405, "not a GET"));
	if (upgrade == NULL || !http_web_has(upgrade, "websocket", 0) ||
	    connection == NULL || !http_web_has(connection, "upgrade", 0))
		return (http_ws_refuse(hc, 400, "no upgrade to websocket"));
	if (version == NULL || strcmp(version, "13") != 0)
		return (http_ws_refuse(hc, 426, "not version 13"));
	if (key == NULL || base64_decode(key, strlen(key), raw,
	    sizeof(raw)) != WS_KEY_LEN)
		return (http_ws_refuse(hc, 400, "bad Sec-WebSocket-Key"));
	if (proto == NULL || !http_web_has(proto, WS_PROTOCOL, 1))
		return (http_ws_refuse(hc, 400, "no xmpp subprotocol"));
	/* A browser's page from elsewhere, when origins are listed. */
	if (origin != NULL && !http_web_origin_ok(
	    stream_conf->global.ws_origins, origin, 1))
		return (http_ws_refuse(hc, 403, "origin not allowed"));
	/* The key decoded to 16 bytes: it is 24 characters long. */
	if (strlcpy(buf, key, sizeof(buf)) >= sizeof(buf) ||
	    strlcat(buf, WS_GUID, sizeof(buf)) >= sizeof(buf) ||
	    EVP_Digest(buf, strlen(buf), md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    base64_encode(md, mdlen, accept, WS_ACCEPT_LEN) == -1)
		return (-1);
	return (1);
}

static ssize_t
http_ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    int flags, void *arg)
{
	struct conn	*c = arg;
	size_t		 n;
	char		*data;

	(void)flags;
	/*
	 * All that was read from the socket, as c2s_input() feeds it all:
	 * a pause (rate, flow) stops reading from the socket, and what
	 * the library held back would wait for input that may not come.
	 */
	data = io_data(c->io, &n);
	if (n == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return (-1);
	}
	if (n > len)
		n = len;
	memcpy(buf, data, n);
	io_drain(c->io, n);
	return ((ssize_t)n);
}

/* Frames go to the connection's output buffer at once. */
static ssize_t
http_ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct conn	*c = arg;

	(void)flags;
	if (io_write(c->io, data, len) == -1) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return (-1);
	}
	return ((ssize_t)len);
}

static void
http_ws_queue(struct conn *c, uint8_t opcode, const char *data, size_t len)
{
	struct wslay_event_msg	 m;

	m.opcode = opcode;
	m.msg = (const uint8_t *)data;
	m.msg_length = len;
	if (wslay_event_queue_msg(c->ws->ctx, &m) != 0 ||
	    wslay_event_send(c->ws->ctx) != 0)
		c->ws->failed = 1;
}

/*
 * An element of the streams namespace (features, error) as RFC 7395
 * writes it: prefixed, declaring the prefix, as over TCP.
 */
static int
http_ws_serialize_streams(struct xml_node *n, struct xml_buf *b)
{
	struct xml_node	*k;

	if (xml_buf_addstr(b, "<stream:") == -1 ||
	    xml_buf_addstr(b, n->name) == -1 ||
	    xml_buf_addstr(b, " xmlns:stream='" NS_STREAMS "'>") == -1)
		return (-1);
	TAILQ_FOREACH(k, &n->children, entry)
		if (xml_serialize(k, NULL, b) == -1)
			return (-1);
	if (xml_buf_addstr(b, "</stream:") == -1 ||
	    xml_buf_addstr(b, n->name) == -1 || xml_buf_addstr(b, ">") == -1)
		return (-1);
	return (0);
}

/* One element, one message (RFC 7395 section 3.3.3). */
static void
http_ws_send_node(struct conn *c, struct xml_node *n)
{
	struct xml_buf	 b;
	int		 r;

	xml_buf_init(&b, 0);
	if (n->ns != NULL && strcmp(n->ns, NS_STREAMS) == 0)
		r = http_ws_serialize_streams(n, &b);
	else
		r = xml_serialize(n, NULL, &b);
	if (r == 0)
		http_ws_queue(c, WSLAY_TEXT_FRAME, b.data, b.len);
	else
		c->ws->failed = 1;
	xml_buf_free(&b);
}

/* The end of the connection: a close frame, then nothing more. */
static void
http_ws_close(struct conn *c, uint16_t code, const char *why)
{
	if (c->ws->closing)
		return;
	c->ws->closing = 1;
	if (wslay_event_queue_close(c->ws->ctx, code, (const uint8_t *)why,
	    strlen(why)) != 0 || wslay_event_send(c->ws->ctx) != 0)
		c->ws->failed = 1;
}

/* The engine ended its stream: <close/> (RFC 7395 section 3.6). */
static void
http_ws_out_close(struct conn *c)
{
	struct xml_node	*n;

	if ((n = xml_node_new(NS_FRAMING, "close")) == NULL)
		fatal("%s", __func__);
	http_ws_send_node(c, n);
	xml_node_free(n);
	http_ws_close(c, WSLAY_CODE_NORMAL_CLOSURE, "");
}

static void
http_ws_out_fail(struct conn *c, const char *why)
{
	log_warnx("connection %u: output not cut into messages: %s", c->id,
	    why);
	c->ws->failed = 1;
}

static int
http_ws_space(char ch)
{
	return (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n');
}

/*
 * The length of the tag at p (its '<' to its '>'), 0 if it is not all
 * there yet.  A quoted attribute value may hold a '>'.
 */
static size_t
http_ws_tag(const char *p, size_t len)
{
	size_t	 i;
	char	 q = '\0';

	for (i = 1; i < len; i++) {
		if (q != '\0') {
			if (p[i] == q)
				q = '\0';
		} else if (p[i] == '\'' || p[i] == '"')
			q = p[i];
		else if (p[i] == '>')
			return (i + 1);
	}
	return (0);
}

/*
 * Does the tag (len bytes) declare attr, "xmlns" or "xmlns:p"?  Its
 * attributes, name='value' or name="value", start at i.
 */
static int
http_ws_declares(const char *tag, size_t len, size_t i, const char *attr)
{
	size_t		 alen = strlen(attr);
	const char	*end;

	while (i < len) {
		while (i < len && http_ws_space(tag[i]))
			i++;
		if (len - i > alen && memcmp(tag + i, attr, alen) == 0 &&
		    (tag[i + alen] == '=' || http_ws_space(tag[i + alen])))
			return (1);
		while (i < len && tag[i] != '\'' && tag[i] != '"')
			i++;
		if (i == len || (end = memchr(tag + i + 1, tag[i],
		    len - i - 1)) == NULL)
			return (0);
		i = end - tag + 1;
	}
	return (0);
}

/*
 * One element as a message of its own (RFC 7395 section 3.3.3): it
 * declares what the stream header declared for it, the content
 * namespace, or the streams prefix of <stream:features/> and
 * <stream:error/>.  tlen is the length of its first tag, at least 3.
 */
static void
http_ws_emit(struct conn *c, const char *p, size_t len, size_t tlen)
{
	struct xml_buf	*m = &c->ws->msg;
	const char	*decl = NULL;
	size_t		 name;

	/* The name ends the tag or is followed by a space or '/'. */
	for (name = 1; name < tlen - 1; name++)
		if (http_ws_space(p[name]) || p[name] == '/')
			break;
	if (name == 1) {
		http_ws_out_fail(c, "no element name");
		return;
	}
	if (memchr(p + 1, ':', name - 1) == NULL) {
		if (!http_ws_declares(p, tlen, name, "xmlns"))
			decl = " xmlns='" NS_CLIENT "'";
	} else if (name > 8 && strncmp(p + 1, "stream:", 7) == 0) {
		if (!http_ws_declares(p, tlen, name, "xmlns:stream"))
			decl = " xmlns:stream='" NS_STREAMS "'";
	} else {
		http_ws_out_fail(c, "an undeclared prefix");
		return;
	}
	m->len = 0;
	if (xml_buf_add(m, p, name) == -1 || (decl != NULL &&
	    xml_buf_addstr(m, decl) == -1) ||
	    xml_buf_add(m, p + name, len - name) == -1) {
		http_ws_out_fail(c, "element too large");
		return;
	}
	http_ws_queue(c, WSLAY_TEXT_FRAME, m->data, m->len);
}

/*
 * What the engine writes is xmppd's own: constant markup and what the
 * serializer (xml.c) wrote, which escapes '<' and '>' in text and in
 * attribute values and writes no comment, CDATA section or processing
 * instruction.  So its elements are found by counting tags, not by
 * parsing it again; anything else fails the connection.  Reads p from
 * ws->scan on: each whole first-level element is sent, the end of the
 * stream closes.  Returns the offset up to which p is done with.
 */
static size_t
http_ws_cut(struct conn *c, const char *p, size_t len)
{
	struct http_ws	*ws = c->ws;
	size_t		 i = ws->scan, t;
	const char	*lt;

	while (i < len && !ws->failed && !ws->closing) {
		if (p[i] != '<') {
			if (ws->depth == 0 && !http_ws_space(p[i])) {
				http_ws_out_fail(c, "text between elements");
				break;
			}
			lt = memchr(p + i, '<', len - i);
			i = lt != NULL ? (size_t)(lt - p) : len;
			continue;
		}
		if ((t = http_ws_tag(p + i, len - i)) == 0)
			break;		/* the rest comes in the next write */
		if (t < 3 || p[i + 1] == '!' || p[i + 1] == '?') {
			http_ws_out_fail(c, "markup other than elements");
			break;
		}
		if (p[i + 1] == '/' && ws->depth == 0) {
			if (t == 16 && memcmp(p + i, "</stream:stream>", 16) == 0)
				http_ws_out_close(c);
			else
				http_ws_out_fail(c, "an end tag never opened");
			break;
		}
		if (ws->depth == 0)
			ws->elem = i;
		if (p[i + 1] == '/')
			ws->depth--;
		else if (p[i + t - 2] != '/')
			ws->depth++;
		i += t;
		if (ws->depth == 0)
			http_ws_emit(c, p + ws->elem, i - ws->elem,
			    http_ws_tag(p + ws->elem, i - ws->elem));
	}
	ws->scan = i;
	return (ws->depth > 0 ? ws->elem : i);
}

/*
 * The engine starts a stream (c2s_header()): <open/> instead of a
 * header, and its output is read as a new stream's.
 */
void
http_ws_open(struct conn *c)
{
	struct xml_node		*n;

	c->ws->out.len = c->ws->scan = c->ws->elem = 0;
	c->ws->depth = 0;
	if ((n = xml_node_new(NS_FRAMING, "open")) == NULL ||
	    (c->domain[0] != '\0' && xml_set_attr(n, "from",
	    c->domain) == -1) || (c->peer_from != NULL && xml_set_attr(n,
	    "to", c->peer_from) == -1) ||
	    xml_set_attr(n, "id", c->streamid) == -1 ||
	    xml_set_attr(n, "version", "1.0") == -1 ||
	    xml_set_attr_ns(n, NS_XML, "lang", "en") == -1)
		fatal("%s", __func__);
	http_ws_send_node(c, n);
	xml_node_free(n);
}

/*
 * What the engine writes (c2s_write()); -1 when it cannot be sent.  A
 * whole element, as a stanza is, is cut from s; only the rest of an
 * element written in pieces waits in ws->out.
 */
int
http_ws_write(struct conn *c, const char *s, size_t len)
{
	struct http_ws	*ws = c->ws;
	size_t		 done;

	if (ws->closing)
		return (0);
	if (ws->out.len == 0) {
		ws->scan = 0;
		done = http_ws_cut(c, s, len);
		if (done < len && !ws->closing &&
		    xml_buf_add(&ws->out, s + done, len - done) == -1)
			http_ws_out_fail(c, "element too large");
	} else {
		if (xml_buf_add(&ws->out, s, len) == -1)
			http_ws_out_fail(c, "element too large");
		done = http_ws_cut(c, ws->out.data, ws->out.len);
		memmove(ws->out.data, ws->out.data + done,
		    ws->out.len - done);
		ws->out.len -= done;
	}
	ws->scan -= done;
	ws->elem -= ws->depth > 0 ? done : ws->elem;
	return (ws->failed ? -1 : 0);
}

/* Keepalive: a ping frame, which the client answers (c2s.c times it). */
void
http_ws_ping(struct conn *c)
{
	http_ws_queue(c, WSLAY_PING, "", 0);
}

/* The client's <open/>, as the stream header the engine reads. */
static void
http_ws_open_in(struct conn *c, struct xml_node *n)
{
	static const char	*attrs[] = { "to", "from", "version" };
	struct xml_buf		 b;
	const char		*v;
	size_t			 i;

	if (!c2s_ws_header_wanted(c)) {
		c2s_error(c, "policy-violation", "The stream is open");
		return;
	}
	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, "<stream:stream xmlns='" NS_CLIENT
	    "' xmlns:stream='" NS_STREAMS "'") == -1)
		fatal("%s", __func__);
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if ((v = xml_get_attr(n, attrs[i])) == NULL)
			continue;
		if (xml_buf_addstr(&b, " ") == -1 ||
		    xml_buf_addstr(&b, attrs[i]) == -1 ||
		    xml_buf_addstr(&b, "='") == -1 ||
		    xml_buf_escape(&b, v, strlen(v), 1) == -1 ||
		    xml_buf_addstr(&b, "'") == -1)
			fatal("%s", __func__);
	}
	if (xml_buf_addstr(&b, ">") == -1)
		fatal("%s", __func__);
	c2s_ws_input(c, b.data, b.len);
	xml_buf_free(&b);
}

/* An element of a message; a second one in it refuses the message. */
static int
http_ws_in_element(void *arg, struct xml_node *n)
{
	struct conn	*c = arg;

	if (c->ws->held != NULL) {
		xml_node_free(n);
		return (-1);
	}
	c->ws->held = n;
	return (0);
}

/*
 * A text message: exactly one element (RFC 7395 section 3.3.3).  The
 * messages are read in a row by one parser, as the content of a stream
 * whose header declared jabber:client; each must leave it between
 * elements, having given one.  The element goes to the engine as a
 * tree: it is parsed once.
 */
static void
http_ws_text(struct conn *c, const char *msg, size_t len)
{
	struct xml_node	*n;
	int		 rc;

	rc = xml_stream_feed(c->ws->in, msg, len);
	n = c->ws->held;
	c->ws->held = NULL;
	if (rc != 0 || n == NULL || !xml_stream_between(c->ws->in)) {
		xml_node_free(n);
		c2s_error(c, "not-well-formed", "A message must hold one "
		    "element");
		return;
	}
	if (xml_is(n, NS_FRAMING, "open"))
		http_ws_open_in(c, n);
	else if (c2s_ws_header_wanted(c))
		c2s_error(c, "invalid-namespace", "The stream opens with "
		    "<open/>");
	else if (xml_is(n, NS_FRAMING, "close"))
		c2s_ws_input(c, "</stream:stream>", 16);
	else {
		c2s_ws_stanza(c, n, len);
		return;
	}
	xml_node_free(n);
}

static void
http_ws_msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *m, void *arg)
{
	struct conn	*c = arg;

	(void)ctx;
	if (c->ws->closing)
		return;
	switch (m->opcode) {
	case WSLAY_TEXT_FRAME:
		http_ws_text(c, (const char *)m->msg, m->msg_length);
		break;
	case WSLAY_BINARY_FRAME:
		/* RFC 7395 section 3.2: text frames only. */
		log_info("connection %u from %s: binary frame", c->id,
		    c->addr);
		http_ws_close(c, WSLAY_CODE_UNSUPPORTED_DATA,
		    "text frames only");
		break;
	case WSLAY_PONG:
		c2s_ws_input(c, "", 0);
		break;
	case WSLAY_CONNECTION_CLOSE:
		/* Answered by the library; the stream ends with it. */
		log_debug("connection %u: websocket closed (%u)", c->id,
		    m->status_code);
		c->ws->closing = 1;
		break;
	}
}

static void
http_ws_read(struct conn *c)
{
	struct http_ws	*ws = c->ws;

	if (wslay_event_recv(ws->ctx) != 0 ||
	    wslay_event_send(ws->ctx) != 0 || ws->failed) {
		log_info("connection %u from %s: websocket failed", c->id,
		    c->addr);
		conn_close(c);
		return;
	}
	/* Protocol errors are answered by the library with a close. */
	if (wslay_event_get_close_sent(ws->ctx) &&
	    !wslay_event_want_write(ws->ctx)) {
		ws->closing = 1;
		io_close_after_write(c->io);
	}
}

static void
http_ws_io(struct io *io, int event, void *arg)
{
	struct conn	*c = arg;

	if (event == IO_DATAIN)
		http_ws_read(c);
	else
		c2s_io(io, event, c);
}

/*
 * An accepted handshake (http_web.c): the connection leaves HTTP for a
 * client stream, here, from the request's end.
 */
void
http_ws_upgrade(struct http_conn *hc, const char *addr, struct tlsctx *t,
    const char *accept)
{
	static const struct wslay_event_callbacks cb = {
		http_ws_recv_cb, http_ws_send_cb, NULL, NULL, NULL, NULL,
		http_ws_msg_cb
	};
	static const char	 hdr[] = "<stream:stream xmlns='" NS_CLIENT
	    "' xmlns:stream='" NS_STREAMS "'>";
	static const char	 ok[] = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Protocol: " WS_PROTOCOL "\r\n"
	    "Sec-WebSocket-Accept: ";
	struct io		*io = http_conn_detach(hc);
	struct conn		*c;
	struct http_ws		*ws;
	struct xml_limits	 l;
	size_t			 max;

	if ((c = conn_add_io(io, LISTEN_CLIENT, addr, http_ws_io)) == NULL) {
		io_free(io);
		return;
	}
	c->transport = &c2s_ws;
	c->tlsctx = tlsctx_ref(t);
	c->tls = (t != NULL);
	/* As much as c2s lets wait for a socket (c2s_start()). */
	max = 4 * stream_conf->global.limits.stanza_size + 65536;
	stanza_limits(&stream_conf->global, &l);
	if ((ws = calloc(1, sizeof(*ws))) == NULL ||
	    (c->ws = ws, xml_buf_init(&ws->out, max), xml_buf_init(&ws->msg,
	    max + 64), wslay_event_context_server_init(&ws->ctx, &cb,
	    c)) != 0 || (ws->in = xml_stream_new(&l, &http_ws_in_cb,
	    c)) == NULL || xml_stream_feed(ws->in, hdr, sizeof(hdr) - 1) != 0 ||
	    io_write(io, ok, sizeof(ok) - 1) == -1 ||
	    io_write(io, accept, strlen(accept)) == -1 ||
	    io_write(io, "\r\n\r\n", 4) == -1) {
		conn_close(c);
		return;
	}
	wslay_event_config_set_max_recv_msg_length(ws->ctx,
	    stream_conf->global.limits.stanza_size);
	log_debug("connection %u from %s: websocket", c->id, addr);
	io_resume(io);
	c2s_start(c);
}

void
http_ws_free(struct conn *c)
{
	if (c->ws == NULL)
		return;
	if (c->ws->ctx != NULL)
		wslay_event_context_free(c->ws->ctx);
	xml_stream_free(c->ws->in);
	xml_node_free(c->ws->held);
	xml_buf_free(&c->ws->out);
	xml_buf_free(&c->ws->msg);
	free(c->ws);
	c->ws = NULL;
}
