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
 * to it as sent.  What the engine writes is cut back into elements, one
 * message each, its header and end becoming <open/> and <close/>.
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
	struct xml_stream	*out;	/* the engine's output, cut up */
	int			 failed; /* a message could not be sent */
	int			 closing; /* our close frame is queued */
};

static void	http_ws_io(struct io *, int, void *);
static int	http_ws_out_stanza(void *, struct xml_node *);
static int	http_ws_out_close(void *);
static void	http_ws_out_error(void *, int, const char *);

static const struct xml_stream_cb http_ws_out_cb = {
	NULL, http_ws_out_stanza, http_ws_out_close, http_ws_out_error
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

static int
http_ws_out_stanza(void *arg, struct xml_node *n)
{
	struct conn	*c = arg;

	http_ws_send_node(c, n);
	xml_node_free(n);
	return (0);
}

/* The engine ended its stream: <close/> (RFC 7395 section 3.6). */
static int
http_ws_out_close(void *arg)
{
	struct conn	*c = arg;
	struct xml_node	*n;

	if ((n = xml_node_new(NS_FRAMING, "close")) == NULL)
		fatal("%s", __func__);
	http_ws_send_node(c, n);
	xml_node_free(n);
	http_ws_close(c, WSLAY_CODE_NORMAL_CLOSURE, "");
	return (0);
}

static void
http_ws_out_error(void *arg, int error, const char *text)
{
	struct conn	*c = arg;

	log_warnx("connection %u: output not cut into messages: %s", c->id,
	    text != NULL ? text : xml_error_name(error));
	c->ws->failed = 1;
}

/*
 * The engine starts a stream (c2s_header()): <open/> instead of a
 * header, and its output is read as a new stream's.
 */
void
http_ws_open(struct conn *c)
{
	static const char	 hdr[] = "<stream:stream xmlns='" NS_CLIENT
	    "' xmlns:stream='" NS_STREAMS "'>";
	struct xml_node		*n;

	if (xml_stream_reset(c->ws->out) == -1 ||
	    xml_stream_feed(c->ws->out, hdr, sizeof(hdr) - 1) != 0) {
		c->ws->failed = 1;
		return;
	}
	if ((n = xml_node_new(NS_FRAMING, "open")) == NULL ||
	    (c->domain[0] != '\0' && xml_set_attr(n, "from",
	    c->domain) == -1) || xml_set_attr(n, "id", c->streamid) == -1 ||
	    xml_set_attr(n, "version", "1.0") == -1 ||
	    xml_set_attr_ns(n, NS_XML, "lang", "en") == -1)
		fatal("%s", __func__);
	http_ws_send_node(c, n);
	xml_node_free(n);
}

/* What the engine writes (c2s_write()); -1 when it cannot be sent. */
int
http_ws_write(struct conn *c, const char *s, size_t len)
{
	if (c->ws->closing)
		return (0);
	if (xml_stream_feed(c->ws->out, s, len) != 0 || c->ws->failed)
		return (-1);
	return (0);
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
	static const char	*attrs[] = { "to", "version" };
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

/* A text message: exactly one element (RFC 7395 section 3.3.3). */
static void
http_ws_text(struct conn *c, const char *msg, size_t len)
{
	struct xml_limits	 l;
	struct xml_node		*n;

	stanza_limits(&stream_conf->global, &l);
	if ((n = xml_parse_fragment(msg, len, &l, NS_CLIENT)) == NULL) {
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
	else
		c2s_ws_input(c, msg, len);
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
	static const char	 ok[] = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Protocol: " WS_PROTOCOL "\r\n"
	    "Sec-WebSocket-Accept: ";
	struct io		*io = http_conn_detach(hc);
	struct conn		*c;
	struct http_ws		*ws;
	struct xml_limits	 l;

	if ((c = conn_add_io(io, LISTEN_CLIENT, addr, http_ws_io)) == NULL) {
		io_free(io);
		return;
	}
	c->transport = &c2s_ws;
	c->tlsctx = tlsctx_ref(t);
	c->tls = (t != NULL);
	stanza_limits(&stream_conf->global, &l);
	l.stanza_size = 4 * l.stanza_size + 65536;
	l.max_depth += 2;
	if ((ws = calloc(1, sizeof(*ws))) == NULL ||
	    (c->ws = ws, wslay_event_context_server_init(&ws->ctx, &cb,
	    c)) != 0 || (ws->out = xml_stream_new(&l, &http_ws_out_cb,
	    c)) == NULL || io_write(io, ok, sizeof(ok) - 1) == -1 ||
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
	xml_stream_free(c->ws->out);
	free(c->ws);
	c->ws = NULL;
}
