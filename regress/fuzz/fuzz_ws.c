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
 * libFuzzer harness for WebSocket framing as the stream process reads
 * it (xmppd/http_ws.c, libwslay): what a client sends once the
 * handshake is done.  The file is included so that its reading path,
 * from http_ws_read() to what it hands the engine, runs as it is; the
 * connection, its I/O and the engine are stand-ins below.  The first
 * byte of an input is the size of the pieces (1 to 256 bytes) the rest
 * arrives in, as reads from the socket.  Aborts when:
 * - a stanza reaches the engine from a message longer than the limit,
 *   or is the framing's <open/> or <close/>;
 * - the engine is given input before an <open/> was read, other than
 *   the stream header <open/> becomes;
 * - the engine is fed after the connection was closed (after a stream
 *   error it is, in the same read, and ignores it as c2s.c does);
 * - an element is left held after a message.
 * See regress/fuzz/README.
 */

#include "../../xmppd/http_ws.c"

#define FUZZ_STANZA_SIZE	4096

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The socket: what was read and not yet consumed. */
struct io {
	const uint8_t	*buf;
	size_t		 len;
	size_t		 written;
	int		 closing;
};

struct xmppd_config	*stream_conf;
static struct conn	 fuzz_conn;
static int		 fuzz_opened, fuzz_closed, fuzz_errored;

void *
io_data(struct io *io, size_t *n)
{
	*n = io->len;
	return ((void *)io->buf);
}

void
io_drain(struct io *io, size_t n)
{
	if (n > io->len)
		abort();
	io->buf += n;
	io->len -= n;
}

int
io_write(struct io *io, const void *p, size_t n)
{
	(void)p;
	io->written += n;
	return (0);
}

void
io_close_after_write(struct io *io)
{
	io->closing = 1;
}

void
io_free(struct io *io)
{
	(void)io;
}

void
io_resume(struct io *io)
{
	(void)io;
}

struct io *
http_conn_detach(struct http_conn *hc)
{
	return ((struct io *)hc);
}

struct conn *
conn_add_io(struct io *io, int kind, const char *addr,
    void (*cb)(struct io *, int, void *))
{
	(void)cb;
	memset(&fuzz_conn, 0, sizeof(fuzz_conn));
	fuzz_conn.io = io;
	fuzz_conn.kind = kind;
	(void)strlcpy(fuzz_conn.addr, addr, sizeof(fuzz_conn.addr));
	(void)strlcpy(fuzz_conn.streamid, "fuzz", sizeof(fuzz_conn.streamid));
	return (&fuzz_conn);
}

void
conn_close(struct conn *c)
{
	(void)c;
	fuzz_closed = 1;
}

/* c2s.c's entry for WebSocket: only its address is taken here. */
const struct c2s_transport c2s_ws = { "websocket", 0, NULL, NULL, NULL,
	NULL, NULL, NULL };

struct tlsctx *
tlsctx_ref(struct tlsctx *t)
{
	return (t);
}

void
c2s_start(struct conn *c)
{
	(void)c;
}

void
c2s_io(struct io *io, int event, void *arg)
{
	(void)io;
	(void)event;
	(void)arg;
}

/* As c2s.c's: the stream ends, the socket closes after the error. */
void
c2s_error(struct conn *c, const char *cond, const char *text)
{
	(void)cond;
	(void)text;
	fuzz_errored = 1;
	io_close_after_write(c->io);
}

int
c2s_ws_header_wanted(struct conn *c)
{
	(void)c;
	return (!fuzz_opened);
}

void
c2s_ws_input(struct conn *c, const char *s, size_t len)
{
	(void)c;
	if (fuzz_closed)
		abort();
	if (fuzz_errored)
		return;		/* c2s.c reads nothing after its error */
	if (len >= 14 && strncmp(s, "<stream:stream", 14) == 0)
		fuzz_opened = 1;
	else if (!fuzz_opened && len > 0)
		abort();
}

void
c2s_ws_stanza(struct conn *c, struct xml_node *n, size_t len)
{
	(void)c;
	if (!fuzz_closed && fuzz_errored) {
		xml_node_free(n);
		return;
	}
	if (fuzz_closed || !fuzz_opened || n == NULL ||
	    len > FUZZ_STANZA_SIZE || xml_is(n, NS_FRAMING, "open") ||
	    xml_is(n, NS_FRAMING, "close"))
		abort();
	xml_node_free(n);
}

/* The handshake's: not on the reading path. */
const char *
http_conn_addr(struct http_conn *hc)
{
	(void)hc;
	abort();
}

const char *
http_header(const struct http_request *r, const char *name)
{
	(void)r;
	(void)name;
	abort();
}

int
http_response_begin(struct http_conn *hc, int status, const char *reason)
{
	(void)hc;
	(void)status;
	(void)reason;
	abort();
}

int
http_response_header(struct http_conn *hc, const char *k, const char *v)
{
	(void)hc;
	(void)k;
	(void)v;
	abort();
}

int
http_response_body(struct http_conn *hc, const void *p, size_t n)
{
	(void)hc;
	(void)p;
	(void)n;
	abort();
}

int
http_error(struct http_conn *hc, int status)
{
	(void)hc;
	(void)status;
	abort();
}

int
http_web_has(const char *list, const char *s, int n)
{
	(void)list;
	(void)s;
	(void)n;
	abort();
}

int
http_web_origin_ok(const char *list, const char *s, int n)
{
	(void)list;
	(void)s;
	(void)n;
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct io	 io;
	size_t		 piece, off, fed;

	if (len < 1)
		return (0);
	if (stream_conf == NULL) {
		if ((stream_conf = config_new()) == NULL)
			abort();
		stream_conf->global.limits.stanza_size = FUZZ_STANZA_SIZE;
	}
	piece = (size_t)data[0] + 1;
	memset(&io, 0, sizeof(io));
	fuzz_opened = fuzz_closed = fuzz_errored = 0;
	http_ws_upgrade((struct http_conn *)&io, "192.0.2.1", NULL,
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	if (fuzz_conn.ws == NULL || fuzz_closed)
		abort();
	for (off = 1; off < len && !fuzz_closed && !io.closing; ) {
		io.buf = data + off;
		fed = io.len = len - off < piece ? len - off : piece;
		http_ws_read(&fuzz_conn);
		if (fuzz_conn.ws->held != NULL)
			abort();
		if (io.len == fed)
			break;	/* nothing taken: the library waits */
		/* What the library left is read again with the next. */
		off += fed - io.len;
	}
	http_ws_free(&fuzz_conn);
	return (0);
}
