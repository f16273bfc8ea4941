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
 * libFuzzer target for the request path of common/http.c: the input is
 * what a client sends on one connection, fed once whole and once in
 * pieces.  A handler checks what every request it is given looks like;
 * both feeds must give the same answers (Date aside), and the answers
 * must parse as HTTP responses.  See regress/fuzz/README.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define http_method	http_parser_method
#include <http_parser.h>
#undef http_method

#include "http.h"

#define OUTMAX		(512 * 1024)
#define METHODSMAX	256

static const struct http_limits limits = { 2048, 10, 60, 1 };

struct out {
	char	 buf[OUTMAX];
	size_t	 len;
};

static struct http_conn	*conn;
static int64_t		 body_left, stream_left;
static int		 methods[METHODSMAX], nmethods, nresponses;

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check_request(const struct http_request *req)
{
	int	 i;

	if (req->path == NULL || req->target == NULL || req->method < 1 ||
	    req->method > HTTP_M_DELETE || req->nheaders > HTTP_HEADERS_MAX ||
	    req->content_length < -1 || req->minor < 0)
		abort();
	for (i = 0; req->target[i] != '\0'; i++)
		if ((unsigned char)req->target[i] <= ' ' ||
		    req->target[i] == 0x7f)
			abort();
	for (i = 0; i < req->nheaders; i++)
		if (req->headers[i].name[0] == '\0' ||
		    strpbrk(req->headers[i].name, "\r\n :") != NULL ||
		    strpbrk(req->headers[i].value, "\r\n") != NULL)
			abort();
	if (http_header(req, "Transfer-Encoding") != NULL)
		abort();
}

static void
fuzz_answer(struct http_conn *c, int status, const char *text)
{
	(void)http_response_begin(c, status, NULL);
	(void)http_response_header(c, "X-Echo", text);
	(void)http_response_body(c, text, strlen(text));
}

static int
fuzz_request(struct http_conn *c, struct http_request *req)
{
	const char	*v;

	fuzz_check_request(req);
	if (nmethods < METHODSMAX)
		methods[nmethods++] = req->method;
	body_left = req->content_length > 0 ? req->content_length : 0;
	switch (req->path[1]) {
	case 'b':
		return (0);
	case 's':
		stream_left = req->query ? atoi(req->query) % 100000 : 1000;
		(void)http_response_begin(c, 200, NULL);
		return (http_response_length(c, stream_left));
	case 'e':
		return (http_error(c, req->query ? atoi(req->query) : 500));
	case 'f':
		return (-1);
	case 'h':
		v = http_header(req, "X");
		fuzz_answer(c, 200, v ? v : "-");
		return (0);
	default:
		fuzz_answer(c, 200, req->path);
		return (0);
	}
}

static int
fuzz_body(struct http_conn *c, const void *data, size_t len)
{
	(void)c;
	(void)data;
	if ((int64_t)len > body_left)
		abort();
	body_left -= len;
	return (0);
}

static int
fuzz_done(struct http_conn *c)
{
	if (body_left != 0)
		abort();
	fuzz_answer(c, 201, "done");
	return (0);
}

static int
fuzz_more(struct http_conn *c)
{
	static char	 chunk[8192];
	size_t		 n;

	memset(chunk, 'x', sizeof(chunk));
	while (stream_left > 0 && http_response_more(c)) {
		n = stream_left > (int64_t)sizeof(chunk) ? sizeof(chunk) :
		    (size_t)stream_left;
		if (http_response_write(c, chunk, n) == -1)
			return (-1);
		stream_left -= n;
	}
	return (stream_left == 0 ? http_response_end(c) : 0);
}

static void
fuzz_closed(struct http_conn *c)
{
	if (c == conn)
		conn = NULL;
}

static const struct http_handler handler = {
	fuzz_request, fuzz_body, fuzz_done, fuzz_more, fuzz_closed
};

static void
fuzz_read(int fd, struct out *o)
{
	ssize_t	 n;

	while (o->len < OUTMAX &&
	    (n = read(fd, o->buf + o->len, OUTMAX - o->len)) > 0)
		o->len += n;
}

static void
fuzz_spin(int fd, struct out *o)
{
	int	 i;

	for (i = 0; i < 16; i++) {
		(void)event_loop(EVLOOP_NONBLOCK);
		fuzz_read(fd, o);
	}
}

/* Feed data in pieces whose sizes come from seed; 0: whole. */
static void
fuzz_run(const uint8_t *data, size_t len, uint32_t seed, struct out *o)
{
	int	 sv[2];
	size_t	 off = 0, n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(sv[1], F_SETFL, O_NONBLOCK);
	if ((conn = http_conn_new(sv[0], NULL, &limits, &handler,
	    NULL)) == NULL)
		abort();
	nmethods = 0;
	o->len = 0;
	while (off < len) {
		n = seed == 0 ? len - off : 1 + (seed & 15);
		seed = seed * 1103515245 + 12345;
		if (n > len - off)
			n = len - off;
		/* The server may have closed: the rest goes nowhere. */
		if (write(sv[1], data + off, n) != (ssize_t)n)
			break;
		off += n;
		fuzz_spin(sv[1], o);
	}
	(void)shutdown(sv[1], SHUT_WR);
	fuzz_spin(sv[1], o);
	if (conn != NULL)
		http_conn_close(conn);
	if (http_conn_count() != 0)
		abort();
	close(sv[1]);
}

static int
fuzz_on_headers(http_parser *p)
{
	(void)p;
	if (p->status_code == 100)
		return (0);
	/* Answers beyond the requests handed over are refusals. */
	return (nresponses < nmethods && methods[nresponses] == HTTP_M_HEAD);
}

static int
fuzz_on_complete(http_parser *p)
{
	if (p->status_code != 100)
		nresponses++;
	return (0);
}

/* What was written parses as answers, as many as requests or one more. */
static void
fuzz_check_answers(const struct out *o)
{
	http_parser_settings	 s;
	http_parser		 p;

	memset(&s, 0, sizeof(s));
	s.on_headers_complete = fuzz_on_headers;
	s.on_message_complete = fuzz_on_complete;
	http_parser_init(&p, HTTP_RESPONSE);
	nresponses = 0;
	if (http_parser_execute(&p, &s, o->buf, o->len) != o->len ||
	    HTTP_PARSER_ERRNO(&p) != HPE_OK) {
		fprintf(stderr, "%s\n%.*s\n", http_errno_name(
		    HTTP_PARSER_ERRNO(&p)), (int)o->len, o->buf);
		abort();
	}
	if (nresponses > nmethods + 1)
		abort();
}

static void
fuzz_undate(struct out *o)
{
	char	*p = o->buf, *end = o->buf + o->len;

	while ((p = memmem(p, end - p, "\r\nDate: ", 8)) != NULL) {
		p += 8;
		memset(p, 'x', end - p < 29 ? (size_t)(end - p) : 29);
	}
}

/* Date headers aside, the same bytes. */
static int
fuzz_same(struct out *a, struct out *b)
{
	fuzz_undate(a);
	fuzz_undate(b);
	return (a->len == b->len && memcmp(a->buf, b->buf, a->len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct out	 whole, split;
	static int		 init;
	uint32_t		 seed;

	if (!init) {
		signal(SIGPIPE, SIG_IGN);
		event_init();
		init = 1;
	}
	if (len < 4)
		return (0);
	memcpy(&seed, data, 4);
	seed |= 1;
	fuzz_run(data + 4, len - 4, 0, &whole);
	fuzz_check_answers(&whole);
	fuzz_run(data + 4, len - 4, seed, &split);
	if (!fuzz_same(&whole, &split)) {
		fprintf(stderr, "whole:\n%.*s\nsplit:\n%.*s\n",
		    (int)whole.len, whole.buf, (int)split.len, split.buf);
		abort();
	}
	return (0);
}
