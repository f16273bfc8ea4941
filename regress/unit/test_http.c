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
 * The HTTP layer (common/http.c) over a socketpair and the event loop:
 * canned requests in, the bytes of the answers out.  Built with a body
 * rate window of 1 s, so that the slow cases take a second or two; the
 * slow clients are timers, and every wait is for an event.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "test.h"

#define BUFMAX	(2 * 1024 * 1024)

struct peer {
	int		 fd;
	struct event	 ev;
	struct event	 drip;
	const char	*dripping;	/* sent a few bytes a tick */
	size_t		 dripstep;
	char		*buf;
	size_t		 len;
	int		 eof;
	struct http_conn *conn;
};

static struct http_limits lim = { 4096, 1, 2, 100 };
static int	nrequests, nbodies, ndone, nclosed, maxqueued, overtaken;
static char	body[65536];
static size_t	bodylen;
static struct http_request last;
static char	lastpath[256], lastquery[256];
static struct http_conn *later;
static struct event latev;
static int64_t	streamleft;

static void
stream_more(struct http_conn *c)
{
	static char	 chunk[16384];
	size_t		 n;
	int		 once = 0;

	memset(chunk, 'x', sizeof(chunk));
	while (streamleft > 0 && http_response_more(c)) {
		once += sizeof(chunk);
		if (once > maxqueued)
			maxqueued = once;
		n = streamleft > (int64_t)sizeof(chunk) ? sizeof(chunk) :
		    (size_t)streamleft;
		if (http_response_write(c, chunk, n) == -1)
			return;
		streamleft -= n;
	}
	if (streamleft == 0)
		(void)http_response_end(c);
}

static void
answer(struct http_conn *c, int status, const char *text)
{
	(void)http_response_begin(c, status, NULL);
	(void)http_response_header(c, "Content-Type", "text/plain");
	(void)http_response_body(c, text, strlen(text));
}

static void
late_answer(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	answer(later, 200, "late");
	later = NULL;
}

static int
t_request(struct http_conn *c, struct http_request *req)
{
	struct timeval	 tv = { 0, 200000 };

	nrequests++;
	if (later != NULL)
		overtaken++;
	last = *req;
	(void)strlcpy(lastpath, req->path, sizeof(lastpath));
	(void)strlcpy(lastquery, req->query ? req->query : "-",
	    sizeof(lastquery));
	bodylen = 0;
	if (strcmp(req->path, "/hello") == 0)
		answer(c, 200, "hello");
	else if (strcmp(req->path, "/upload") == 0)
		return (0);
	else if (strcmp(req->path, "/refuse") == 0)
		answer(c, 403, "no");
	else if (strcmp(req->path, "/fail") == 0)
		return (-1);
	else if (strcmp(req->path, "/late") == 0) {
		later = c;
		evtimer_set(&latev, late_answer, NULL);
		evtimer_add(&latev, &tv);
	} else if (strcmp(req->path, "/crlf") == 0) {
		(void)http_response_begin(c, 200, NULL);
		if (http_response_header(c, "X-A", "a\r\nSet-Cookie: x") == 0)
			(void)http_response_body(c, "x", 1);
	} else if (strcmp(req->path, "/ctl") == 0) {
		(void)http_response_begin(c, 200, NULL);
		if (http_response_header(c, "X-A", "a\fb") == 0)
			(void)http_response_body(c, "x", 1);
	} else if (strcmp(req->path, "/ownlength") == 0) {
		(void)http_response_begin(c, 200, NULL);
		if (http_response_header(c, "Content-Length", "1") == 0)
			(void)http_response_body(c, "x", 1);
	} else if (strcmp(req->path, "/short") == 0) {
		(void)http_response_begin(c, 200, NULL);
		(void)http_response_length(c, 10);
		(void)http_response_write(c, "12345", 5);
		(void)http_response_end(c);
	} else if (strcmp(req->path, "/stream") == 0) {
		streamleft = req->query ? atoll(req->query) : 0;
		(void)http_response_begin(c, 200, NULL);
		(void)http_response_length(c, streamleft);
	} else if (strcmp(req->path, "/notmodified") == 0) {
		(void)http_response_begin(c, 304, NULL);
		(void)http_response_header(c, "ETag", "\"x\"");
		(void)http_response_end(c);
	} else
		(void)http_error(c, 404);
	return (0);
}

static int
t_body(struct http_conn *c, const void *data, size_t len)
{
	(void)c;
	nbodies++;
	if (bodylen + len > sizeof(body))
		return (-1);
	memcpy(body + bodylen, data, len);
	bodylen += len;
	if (bodylen >= 4 && memcmp(body, "FULL", 4) == 0)
		(void)http_error(c, 507);
	return (0);
}

static int
t_done(struct http_conn *c)
{
	char	 text[64];

	ndone++;
	if (later == c)
		return (0);
	(void)snprintf(text, sizeof(text), "got %zu", bodylen);
	answer(c, 201, text);
	return (0);
}

static int
t_more(struct http_conn *c)
{
	stream_more(c);
	return (0);
}

static void
t_closed(struct http_conn *c)
{
	(void)c;
	nclosed++;
	if (later == c) {
		evtimer_del(&latev);
		later = NULL;
	}
}

static const struct http_handler handler = {
	t_request, t_body, t_done, t_more, t_closed
};

static void
peer_read(int fd, short ev, void *arg)
{
	struct peer	*p = arg;
	ssize_t		 n;

	(void)ev;
	if (p->len >= BUFMAX) {
		event_del(&p->ev);
		return;
	}
	n = read(fd, p->buf + p->len, BUFMAX - p->len);
	if (n > 0)
		p->len += n;
	else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		p->eof = 1;
		event_del(&p->ev);
	}
}

static void
peer_drip(int fd, short ev, void *arg)
{
	struct peer	*p = arg;
	struct timeval	 tv = { 0, 100000 };
	size_t		 n = strlen(p->dripping);

	(void)fd;
	(void)ev;
	if (n > p->dripstep)
		n = p->dripstep;
	if (n == 0 || write(p->fd, p->dripping, n) == -1)
		return;
	p->dripping += n;
	evtimer_add(&p->drip, &tv);
}

static void
peer_open(struct peer *p)
{
	int	 sv[2];

	memset(p, 0, sizeof(*p));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		err(1, "socketpair");
	if ((p->buf = calloc(1, BUFMAX + 1)) == NULL)
		err(1, NULL);
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(sv[1], F_SETFL, O_NONBLOCK);
	p->fd = sv[1];
	p->conn = http_conn_new(sv[0], NULL, &lim, &handler, NULL);
	if (p->conn == NULL)
		errx(1, "http_conn_new");
	event_set(&p->ev, p->fd, EV_READ | EV_PERSIST, peer_read, p);
	event_add(&p->ev, NULL);
	evtimer_set(&p->drip, peer_drip, p);
}

static void
peer_close(struct peer *p)
{
	event_del(&p->ev);
	evtimer_del(&p->drip);
	close(p->fd);
	/* Let the server see it go. */
	while (http_conn_count() > 0 && event_loop(EVLOOP_ONCE) == 0)
		;
	free(p->buf);
}

static void
peer_send(struct peer *p, const char *s, size_t len)
{
	if (write(p->fd, s, len) != (ssize_t)len)
		err(1, "write");
}

static void
peer_drip_start(struct peer *p, const char *s, size_t step)
{
	p->dripping = s;
	p->dripstep = step;
	peer_drip(-1, 0, p);
}

static int
count(const struct peer *p, const char *s)
{
	const char	*q = p->buf;
	int		 n = 0;

	while ((q = strstr(q, s)) != NULL) {
		n++;
		q += strlen(s);
	}
	return (n);
}

/* Run the loop until the client has n answers, or EOF, or 5 s. */
static void
wait_for(struct peer *p, int answers, int eof)
{
	struct timeval	 start, now;

	gettimeofday(&start, NULL);
	for (;;) {
		p->buf[p->len] = '\0';
		if (eof ? p->eof : count(p, "HTTP/1.1 ") >= answers)
			return;
		gettimeofday(&now, NULL);
		if (now.tv_sec - start.tv_sec > 5)
			return;
		if (event_loop(EVLOOP_ONCE) != 0)
			return;
	}
}

/* Send a request alone; what came back ends with a close. */
static int
refusedn(const char *req, size_t len, const char *status)
{
	struct peer	 p;
	int		 before = nrequests, ok;

	peer_open(&p);
	peer_send(&p, req, len);
	wait_for(&p, 0, 1);
	ok = p.eof && strncmp(p.buf, status, strlen(status)) == 0 &&
	    count(&p, "HTTP/1.1 ") == 1 && nrequests == before &&
	    strstr(p.buf, "Connection: close\r\n") != NULL;
	if (!ok)
		fprintf(stderr, "got: %s\n", p.buf);
	peer_close(&p);
	return (ok);
}

static int
refused(const char *req, const char *status)
{
	return (refusedn(req, strlen(req), status));
}

#define GET(path)	"GET " path " HTTP/1.1\r\nHost: h\r\n\r\n"

static void
test_keepalive(void)
{
	struct peer	 p;

	peer_open(&p);
	peer_send(&p, GET("/hello"), strlen(GET("/hello")));
	wait_for(&p, 1, 0);
	CHECK(strncmp(p.buf, "HTTP/1.1 200 OK\r\n", 17) == 0 &&
	    strstr(p.buf, "\r\nContent-Length: 5\r\n") != NULL &&
	    strstr(p.buf, "\r\nConnection: keep-alive\r\n") != NULL &&
	    strstr(p.buf, "\r\nDate: ") != NULL &&
	    strstr(p.buf, "\r\n\r\nhello") != NULL, "GET answered, kept");
	CHECK(last.method == HTTP_M_GET && last.minor == 1 &&
	    last.keepalive && last.content_length == -1 &&
	    strcmp(lastpath, "/hello") == 0, "the request as parsed");
	peer_send(&p, GET("/hello"), strlen(GET("/hello")));
	wait_for(&p, 2, 0);
	CHECK(count(&p, "hello") == 2 && !p.eof && http_conn_count() == 1,
	    "a second request on the same connection");
	peer_close(&p);
	CHECK(http_conn_count() == 0, "the connection is counted out");
}

static void
test_close(void)
{
	struct peer	 p;
	const char	*r10 = "GET /hello HTTP/1.0\r\n\r\n";
	const char	*r10k = "GET /hello HTTP/1.0\r\nConnection: keep-alive"
	    "\r\n\r\n";
	const char	*r11 = "GET /hello HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n";

	peer_open(&p);
	peer_send(&p, r10, strlen(r10));
	wait_for(&p, 0, 1);
	CHECK(p.eof && count(&p, "hello") == 1 &&
	    strstr(p.buf, "Connection: close\r\n") != NULL,
	    "HTTP/1.0 without keep-alive: answer, close");
	peer_close(&p);
	peer_open(&p);
	peer_send(&p, r10k, strlen(r10k));
	wait_for(&p, 1, 0);
	CHECK(!p.eof && strstr(p.buf, "Connection: keep-alive\r\n") != NULL,
	    "HTTP/1.0 with keep-alive stays");
	peer_close(&p);
	peer_open(&p);
	peer_send(&p, r11, strlen(r11));
	wait_for(&p, 0, 1);
	CHECK(p.eof && count(&p, "hello") == 1, "Connection: close");
	peer_close(&p);
}

static void
test_head(void)
{
	struct peer	 p;
	const char	*r = "HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\n"
	    GET("/notmodified");

	peer_open(&p);
	peer_send(&p, r, strlen(r));
	wait_for(&p, 2, 0);
	CHECK(strstr(p.buf, "Content-Length: 5\r\n") != NULL &&
	    strstr(p.buf, "hello") == NULL &&
	    strstr(p.buf, "keep-alive\r\n\r\nHTTP/1.1 304 Not Modified\r\n")
	    != NULL, "HEAD: the length, no body");
	CHECK(count(&p, "Content-Length") == 1 &&
	    p.len > 4 && memcmp(p.buf + p.len - 4, "\r\n\r\n", 4) == 0,
	    "304: neither length nor body");
	peer_close(&p);
}

static void
test_pipeline(void)
{
	struct peer	 p;
	const char	*r = GET("/late") GET("/hello");
	int		 before = nrequests;

	peer_open(&p);
	peer_send(&p, r, strlen(r));
	wait_for(&p, 2, 0);
	CHECK(nrequests == before + 2 && overtaken == 0,
	    "a pipelined request waits for the answer before it");
	CHECK(strstr(p.buf, "late") != NULL && strstr(p.buf, "late") <
	    strstr(p.buf, "hello"), "then is answered, in order");
	peer_close(&p);
}

static void
test_body(void)
{
	struct peer	 p;
	const char	*h = "PUT /upload HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 10\r\n\r\n";
	const char	*e = "PUT /upload HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 3\r\nExpect: 100-continue\r\n\r\n";
	int		 done = ndone;

	peer_open(&p);
	peer_send(&p, h, strlen(h));
	peer_send(&p, "01234", 5);
	while (bodylen < 5 && event_loop(EVLOOP_ONCE) == 0)
		;
	CHECK(last.method == HTTP_M_PUT && last.content_length == 10 &&
	    memcmp(body, "01234", 5) == 0 && ndone == done && p.len == 0,
	    "a body's first piece, no answer yet");
	peer_send(&p, "56789" GET("/hello"), 5 + strlen(GET("/hello")));
	wait_for(&p, 2, 0);
	CHECK(strstr(p.buf, "201 Created") != NULL &&
	    strstr(p.buf, "got 10") != NULL && strstr(p.buf, "hello") != NULL &&
	    ndone == done + 1, "its end, done(), then the next request");
	peer_close(&p);

	peer_open(&p);
	peer_send(&p, e, strlen(e));
	wait_for(&p, 1, 0);
	CHECK(strncmp(p.buf, "HTTP/1.1 100 Continue\r\n\r\n", 25) == 0,
	    "Expect: 100-continue is answered");
	peer_send(&p, "abc", 3);
	wait_for(&p, 2, 0);
	CHECK(strstr(p.buf, "got 3") != NULL, "then the body is read");
	peer_close(&p);
}

static void
test_answered_early(void)
{
	struct peer	 p;
	const char	*r = "PUT /refuse HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 5\r\n\r\nGET /hello HTTP/1.1\r\n";
	const char	*full = "PUT /upload HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 100\r\n\r\nFULL";
	int		 bodies = nbodies, done = ndone;

	peer_open(&p);
	peer_send(&p, r, strlen(r));
	wait_for(&p, 0, 1);
	CHECK(p.eof && strncmp(p.buf, "HTTP/1.1 403", 12) == 0 &&
	    count(&p, "HTTP/1.1") == 1 && nbodies == bodies,
	    "answered before its body: the body is not read, the "
	    "connection closes");
	peer_close(&p);
	peer_open(&p);
	peer_send(&p, full, strlen(full));
	wait_for(&p, 0, 1);
	CHECK(p.eof && strncmp(p.buf, "HTTP/1.1 507", 12) == 0 &&
	    ndone == done, "answered inside its body: closed, no done()");
	peer_close(&p);
}

static void
test_handler_errors(void)
{
	struct peer	 p;
	int		 closed;
	const char	*fail[] = { GET("/fail"), GET("/crlf"), GET("/ctl"),
	    GET("/ownlength") };
	size_t		 i;

	for (i = 0; i < sizeof(fail) / sizeof(fail[0]); i++) {
		closed = nclosed;
		peer_open(&p);
		peer_send(&p, fail[i], strlen(fail[i]));
		wait_for(&p, 0, 1);
		CHECK(p.eof && p.len == 0 && nclosed == closed + 1,
		    "%.10s: closed, nothing sent, closed() once",
		    fail[i] + 4);
		peer_close(&p);
	}
	peer_open(&p);
	peer_send(&p, GET("/short"), strlen(GET("/short")));
	wait_for(&p, 0, 1);
	CHECK(p.eof, "a body shorter than announced: closed");
	peer_close(&p);
}

static void
test_stream(void)
{
	struct peer	 p;
	const char	*r = GET("/stream?1048576");

	maxqueued = 0;
	peer_open(&p);
	peer_send(&p, r, strlen(r));
	while (p.len < 1048576 && !p.eof && event_loop(EVLOOP_ONCE) == 0)
		;
	wait_for(&p, 0, 0);
	CHECK(strstr(p.buf, "Content-Length: 1048576\r\n") != NULL &&
	    p.len - (strstr(p.buf, "\r\n\r\n") + 4 - p.buf) == 1048576,
	    "1 MB written in pieces, as more() asks");
	CHECK(maxqueued > 0 && maxqueued <= 128 * 1024,
	    "at most %d bytes queued at a time", maxqueued);
	CHECK(strcmp(lastquery, "1048576") == 0, "the query");
	peer_close(&p);
}

static void
test_targets(void)
{
	struct peer	 p;
	const char	*abs = "GET http://h/hello?x=%2F HTTP/1.1\r\n"
	    "Host: h\r\n\r\n";
	const char	*star = "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n";

	peer_open(&p);
	peer_send(&p, abs, strlen(abs));
	wait_for(&p, 1, 0);
	CHECK(strcmp(lastpath, "/hello") == 0 &&
	    strcmp(lastquery, "x=%2F") == 0, "absolute form: path, query");
	peer_send(&p, star, strlen(star));
	wait_for(&p, 2, 0);
	CHECK(strcmp(lastpath, "*") == 0 && last.method == HTTP_M_OPTIONS,
	    "OPTIONS *");
	peer_close(&p);
}

static void
test_refusals(void)
{
	static char	 big[8192], many[8192];
	size_t		 n;
	int		 i;

	CHECK(refused("PUT /upload HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	    "HTTP/1.1 411"), "chunked: 411, closed");
	CHECK(refused("PUT /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5"
	    "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.1 400"),
	    "Content-Length and Transfer-Encoding: 400");
	CHECK(refused("PUT /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:"
	    " chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", "HTTP/1.1 400"),
	    "Transfer-Encoding then Content-Length: 400");
	CHECK(refused("PUT /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:"
	    " gzip\r\n\r\n", "HTTP/1.1 4"), "Transfer-Encoding gzip: 4xx");
	CHECK(refused("PUT /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5"
	    "\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 400"),
	    "two equal Content-Length: 400");
	CHECK(refused("PUT /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5"
	    "\r\nContent-Length: 6\r\n\r\nhello!", "HTTP/1.1 400"),
	    "two different Content-Length: 400");
	CHECK(refused("PUT /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5,"
	    " 5\r\n\r\nhello", "HTTP/1.1 400"), "Content-Length list: 400");
	CHECK(refused("PUT /upload HTTP/1.1\r\nHost: h\r\nContent-Length: -1"
	    "\r\n\r\n", "HTTP/1.1 400"), "negative Content-Length: 400");
	CHECK(refused("PUT /upload HTTP/1.1\r\nHost: h\r\nContent-Length: "
	    "99999999999999999999999\r\n\r\n", "HTTP/1.1 400"),
	    "overflowing Content-Length: 400");
	CHECK(refused("GET /hello HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n",
	    "HTTP/1.1 400"), "obs-fold: 400");
	CHECK(refused("GET /hello HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n"
	    "\r\n", "HTTP/1.1 400"), "obs-fold with a tab: 400");
	CHECK(refused("PUT /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5"
	    "\r\n 6\r\n\r\nhello", "HTTP/1.1 400"),
	    "folded Content-Length: 400");
	CHECK(refused("GET /hello HTTP/1.1\nHost: h\r\n\r\n", "HTTP/1.1 400"),
	    "bare LF after the request line: 400");
	CHECK(refused("GET /hello HTTP/1.1\r\nHost: h\nX: y\r\n\r\n",
	    "HTTP/1.1 400"), "bare LF after a header: 400");
	CHECK(refused("GET /hello HTTP/1.1\r\nHost: h\r\n\n", "HTTP/1.1 400"),
	    "bare LF ending the headers: 400");
	CHECK(refused("GET /hello HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
	    "HTTP/1.1 400"), "bare CR: 400");
	CHECK(refused("GET /hello HTTP/1.1\r\nHost: h\r\nX: a\r!Content-"
	    "Length: 5\r\n\r\nhello", "HTTP/1.1 400"),
	    "CR and any byte ending a line: 400");
	CHECK(refused("GET /hello HTTP/1.1\r\nHost: h\r\n\r\r", "HTTP/1.1 400"),
	    "CR CR ending the headers: 400");
	CHECK(refusedn("GET /hello HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n",
	    38, "HTTP/1.1 400"), "NUL in a header: 400");
	CHECK(refusedn("GET /hel\0lo HTTP/1.1\r\nHost: h\r\n\r\n", 33,
	    "HTTP/1.1 400"), "NUL in the target: 400");
	CHECK(refusedn("GET /hello HTTP/1.1\r\nHost: h\r\nX\0: a\r\n\r\n",
	    37, "HTTP/1.1 400"), "NUL in a header name: 400");
	CHECK(refused("GET /hello HTTP/1.1\r\nHost: h\r\nX Y: z\r\n\r\n",
	    "HTTP/1.1 400"), "a space in a header name: 400");
	CHECK(refused("GET /hello HTTP/1.1\r\nHost: h\r\nX : z\r\n\r\n",
	    "HTTP/1.1 400"), "a space before the colon: 400");
	CHECK(refused("PUT /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding :"
	    " chunked\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 400"),
	    "Transfer-Encoding with a space before the colon: 400");
	CHECK(refused("PATCH /hello HTTP/1.1\r\nHost: h\r\n\r\n",
	    "HTTP/1.1 501"), "PATCH: 501");
	CHECK(refused("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
	    "HTTP/1.1 501"), "CONNECT: 501");
	CHECK(refused("TRACE / HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 501"),
	    "TRACE: 501");
	CHECK(refused("FOO / HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 400"),
	    "an unknown method: 400");
	CHECK(refused("GET / HTTP/2.0\r\nHost: h\r\n\r\n", "HTTP/1.1 505"),
	    "HTTP/2.0: 505");
	CHECK(refused("GET / HTTP/1.x\r\nHost: h\r\n\r\n", "HTTP/1.1 400"),
	    "a bad version: 400");
	CHECK(refused("GET /hello HTTP/1.1\r\n\r\n", "HTTP/1.1 400"),
	    "HTTP/1.1 without Host: 400");
	CHECK(refused("GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	    "HTTP/1.1 400"), "two Host: 400");
	CHECK(refused("GET /hel\tlo HTTP/1.1\r\nHost: h\r\n\r\n",
	    "HTTP/1.1 400"), "a tab in the target: 400");
	CHECK(refused("GET *\f HTTP/1.1\r\nHost: h\r\n\r\n",
	    "HTTP/1.1 400"), "a form feed in the target: 400");
	CHECK(refused("GET /hello#x HTTP/1.1\r\nHost: h\r\n\r\n",
	    "HTTP/1.1 400"), "a fragment: 400");
	CHECK(refused("GET * HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 400"),
	    "* for GET: 400");
	CHECK(refused("PUT /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1"
	    "\r\nExpect: 200-ok\r\n\r\nx", "HTTP/1.1 417"),
	    "an unknown Expect: 417");
	n = snprintf(big, sizeof(big), "GET /hello HTTP/1.1\r\nHost: h\r\n"
	    "X: %05000d\r\n\r\n", 0);
	CHECK(n < sizeof(big) && refused(big, "HTTP/1.1 431"),
	    "a header line over the limit: 431");
	n = snprintf(big, sizeof(big), "GET /%05000d HTTP/1.1\r\n"
	    "Host: h\r\n\r\n", 0);
	CHECK(n < sizeof(big) && refused(big, "HTTP/1.1 431"),
	    "a target over the limit: 431");
	n = strlcpy(many, "GET /hello HTTP/1.1\r\nHost: h\r\n", sizeof(many));
	for (i = 0; i < HTTP_HEADERS_MAX; i++)
		n = strlcat(many, "X: y\r\n", sizeof(many));
	n = strlcat(many, "\r\n", sizeof(many));
	CHECK(n < sizeof(many) && refused(many, "HTTP/1.1 431"),
	    "more than %d headers: 431", HTTP_HEADERS_MAX);
}

static void
test_garbage_after(void)
{
	struct peer	 p;
	const char	*r = GET("/hello") "\x01\x02garbage\r\n\r\n";
	const char	*s = GET("/hello") "0\r\n\r\nGET /hello HTTP/1.1\r\n\r\n";
	int		 before = nrequests;

	peer_open(&p);
	peer_send(&p, r, strlen(r));
	wait_for(&p, 0, 1);
	CHECK(p.eof && strncmp(p.buf, "HTTP/1.1 200", 12) == 0 &&
	    strstr(p.buf, "HTTP/1.1 400") != NULL && nrequests == before + 1,
	    "garbage pipelined after a request: answered, then 400");
	peer_close(&p);
	peer_open(&p);
	peer_send(&p, s, strlen(s));
	wait_for(&p, 0, 1);
	CHECK(p.eof && count(&p, "HTTP/1.1 200") == 1 &&
	    strstr(p.buf, "HTTP/1.1 400") != NULL,
	    "a chunk after a request without a body: 400");
	peer_close(&p);
}

static void
test_slow(void)
{
	struct peer	 p;
	const char	*put = "PUT /upload HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 1000\r\n\r\n";
	static char	 slowbody[1001];
	time_t		 t0 = time(NULL);
	int		 closed = nclosed;

	peer_open(&p);
	peer_drip_start(&p, GET("/hello"), 1);
	wait_for(&p, 0, 1);
	CHECK(p.eof && strncmp(p.buf, "HTTP/1.1 408", 12) == 0 &&
	    time(NULL) - t0 <= 3, "headers a byte at a time: 408 in time");
	peer_close(&p);

	peer_open(&p);
	peer_send(&p, "\r\n", 2);
	peer_drip_start(&p, "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
	    "\r\n\r\n\r\n\r\n\r\n\r\n", 2);
	wait_for(&p, 0, 1);
	CHECK(p.eof && strncmp(p.buf, "HTTP/1.1 408", 12) == 0,
	    "empty lines do not hold a connection");
	peer_close(&p);

	memset(slowbody, 'b', 1000);
	peer_open(&p);
	peer_send(&p, put, strlen(put));
	peer_drip_start(&p, slowbody, 5);	/* 50 bytes/s, 100 wanted */
	wait_for(&p, 0, 1);
	CHECK(p.eof && strncmp(p.buf, "HTTP/1.1 408", 12) == 0 &&
	    nclosed > closed, "a slow body: 408");
	peer_close(&p);

	peer_open(&p);
	peer_send(&p, put, strlen(put));
	peer_drip_start(&p, slowbody, 30);	/* 300 bytes/s */
	wait_for(&p, 1, 0);
	CHECK(strstr(p.buf, "got 1000") != NULL, "a body at the rate: read");
	peer_close(&p);

	peer_open(&p);
	peer_send(&p, put, strlen(put));
	peer_send(&p, slowbody, 999);
	wait_for(&p, 0, 1);
	CHECK(p.eof && strncmp(p.buf, "HTTP/1.1 408", 12) == 0,
	    "a body that stops short: 408");
	peer_close(&p);

	t0 = time(NULL);
	peer_open(&p);
	wait_for(&p, 0, 1);
	CHECK(p.eof && p.len == 0, "a silent connection is closed");
	peer_close(&p);
}

static void
test_upgrade(void)
{
	struct peer	 p;
	const char	*r = "GET /hello HTTP/1.1\r\nHost: h\r\nConnection: "
	    "Upgrade\r\nUpgrade: websocket\r\n\r\n" GET("/hello");

	peer_open(&p);
	peer_send(&p, r, strlen(r));
	wait_for(&p, 2, 0);
	CHECK(count(&p, "hello") == 2 && !p.eof,
	    "Upgrade is not taken: two requests, two answers");
	peer_close(&p);
}

static void
test_functions(void)
{
	char		 buf[64];
	time_t		 t;
	int64_t		 a, b;

	CHECK(http_pct_decode("a%20b%2e%2E", 11, buf, sizeof(buf)) == 5 &&
	    strcmp(buf, "a b..") == 0, "percent decoding");
	CHECK(http_pct_decode("%2f", 3, buf, sizeof(buf)) == -1 &&
	    http_pct_decode("a/b", 3, buf, sizeof(buf)) == -1 &&
	    http_pct_decode("%00", 3, buf, sizeof(buf)) == -1 &&
	    http_pct_decode("%", 1, buf, sizeof(buf)) == -1 &&
	    http_pct_decode("%4", 2, buf, sizeof(buf)) == -1 &&
	    http_pct_decode("%g0", 3, buf, sizeof(buf)) == -1 &&
	    http_pct_decode("abc", 3, buf, 3) == -1,
	    "percent decoding refuses /, NUL, bad escapes, no room");
	CHECK(http_pct_decode("..%c0%af", 8, buf, sizeof(buf)) == 4 &&
	    memcmp(buf, "..\xc0\xaf", 4) == 0, "bytes decode as bytes");
	CHECK(http_date_format(784111777, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "Sun, 06 Nov 1994 08:49:37 GMT") == 0, "IMF-fixdate");
	CHECK(http_date_format(784111777, buf, 10) == -1, "no room: -1");
	CHECK(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t) == 0 &&
	    t == 784111777, "parse IMF-fixdate");
	CHECK(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t) == 0 &&
	    t == 784111777, "parse RFC 850");
	CHECK(http_date_parse("Sun Nov  6 08:49:37 1994", &t) == 0 &&
	    t == 784111777, "parse asctime");
	CHECK(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT junk", &t) == -1 &&
	    http_date_parse("yesterday", &t) == -1 &&
	    http_date_parse("", &t) == -1, "bad dates: -1");
	CHECK(http_range("bytes=0-499", 1000, &a, &b) == 0 && a == 0 &&
	    b == 499, "range first-last");
	CHECK(http_range("bytes=500-", 1000, &a, &b) == 0 && a == 500 &&
	    b == 999, "range first-");
	CHECK(http_range("bytes=-200", 1000, &a, &b) == 0 && a == 800 &&
	    b == 999, "range -suffix");
	CHECK(http_range("bytes=-2000", 1000, &a, &b) == 0 && a == 0 &&
	    b == 999, "a suffix longer than the body");
	CHECK(http_range("bytes=900-5000", 1000, &a, &b) == 0 && a == 900 &&
	    b == 999, "a last past the end is cut");
	CHECK(http_range("Bytes=0-0", 1000, &a, &b) == 0 && a == 0 && b == 0,
	    "the unit is case-insensitive");
	CHECK(http_range("bytes=1000-", 1000, &a, &b) == -1 &&
	    http_range("bytes=-0", 1000, &a, &b) == -1 &&
	    http_range("bytes=0-", 0, &a, &b) == -1, "unsatisfiable: -1");
	CHECK(http_range("bytes=0-1,3-4", 1000, &a, &b) == 1 &&
	    http_range("bytes=5-1", 1000, &a, &b) == 1 &&
	    http_range("items=0-1", 1000, &a, &b) == 1 &&
	    http_range("bytes=a-b", 1000, &a, &b) == 1 &&
	    http_range("bytes= 0-1", 1000, &a, &b) == 1 &&
	    http_range("bytes=-", 1000, &a, &b) == 1 &&
	    http_range("bytes=0-1-2", 1000, &a, &b) == 1 &&
	    http_range("bytes=99999999999999999999-", 1000, &a, &b) == 1,
	    "malformed or several: ignored (1)");
	CHECK(strcmp(http_reason(404), "Not Found") == 0 &&
	    strcmp(http_reason(799), "Unknown") == 0, "reasons");
}

int
main(void)
{
	struct timeval	 tv = { 0, 0 };

	(void)tv;
	event_init();
	test_functions();
	test_keepalive();
	test_close();
	test_head();
	test_pipeline();
	test_body();
	test_answered_early();
	test_handler_errors();
	test_stream();
	test_targets();
	test_upgrade();
	test_refusals();
	test_garbage_after();
	test_slow();
	TEST_DONE();
}
