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
 * HTTP/1.1 server connections over the io layer.  libhttp-parser reads
 * the requests; the parser is paused at the end of the headers and of
 * each request, so that handlers only ever run outside it, one request
 * at a time.  Handlers may close a connection from inside a callback:
 * it is freed once the code that called them has unwound.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <event.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

/* http_parser.h names an enum as http.h does: its own is renamed. */
#define http_method	http_parser_method
#include <http_parser.h>
#undef http_method

#include "http.h"
#include "io.h"

#ifndef HTTP_RATE_WINDOW
#define HTTP_RATE_WINDOW 10		/* seconds a body rate is measured */
#endif
#define HTTP_OUTMAX	(64 * 1024)	/* output queued before more() */
#define HTTP_RHEADMAX	8192		/* an answer's status and headers */
#define HTTP_PARSER_MAX	(2 * 1024 * 1024)  /* ours is the limit */

enum http_state {
	HS_HEAD,		/* reading a request line and headers */
	HS_REQUEST,		/* in request() */
	HS_BODY,		/* passing a body to body() */
	HS_SKIP,		/* answered; the request has no body left */
	HS_DONE,		/* request read: its answer comes */
};

enum http_answer {
	HA_NONE,
	HA_OPEN,		/* begun, headers gathered */
	HA_STREAM,		/* announced length, written in pieces */
	HA_ENDED,		/* complete, draining */
};

enum http_pause {
	HP_NONE,
	HP_HEADERS,
	HP_COMPLETE,
};

struct http_conn {
	struct io			*io;
	const struct http_handler	*h;
	void				*arg;
	struct http_limits		 lim;
	http_parser			 parser;
	struct event			 hdrtimer;
	struct event			 ratetimer;
	enum http_state			 state;
	enum http_answer		 ans;
	enum http_pause			 paused;
	int				 depth;	/* handlers and parser */
	int				 dead;	/* close once unwound */
	int				 freeing;
	int				 close;	/* after this answer */
	int				 refuse; /* status a callback chose */
	char				 addr[NI_MAXHOST];

	struct http_request		 req;
	char				*arena;	/* the request's strings */
	size_t				 arenalen, arenasize;
	size_t				 hbytes; /* request bytes parsed */
	size_t				 vend;	/* arena end of last value */
	int				 hlast;	/* 1 in a name, 2 a value */
	int				 vsplit; /* the value ended the input */
	int				 toomany; /* headers */
	const char			*feedend; /* of the input parsed */
	int				 lastcr; /* last header byte was CR */
	int64_t				 body_left;
	int64_t				 win_got, win_need;

	char				 rhead[HTTP_RHEADMAX];
	size_t				 rheadlen;
	int				 status;
	int				 head;	/* answering HEAD */
	int64_t				 rleft;	/* bytes still announced */
};

static int	http_count;

static void	http_io(struct io *, int, void *);
static void	http_parse(struct http_conn *);
static void	http_free(struct http_conn *);
static void	http_next(struct http_conn *);
static int	http_refuse(struct http_conn *, int);

/* Entered from the event loop; left with the connection maybe freed. */
static void
http_enter(struct http_conn *c)
{
	c->depth++;
}

static void
http_leave(struct http_conn *c)
{
	if (--c->depth == 0 && c->dead)
		http_free(c);
}

void
http_conn_close(struct http_conn *c)
{
	if (c->freeing)
		return;
	if (c->depth > 0) {
		c->dead = 1;
		io_pause(c->io);
		return;
	}
	http_free(c);
}

/*
 * The connection leaves HTTP (an Upgrade its handler accepted, from
 * done()): its io, paused, with whatever followed the request still
 * buffered, is the caller's, who gives it its own callback before
 * returning.  The rest goes once the handler has returned.
 */
struct io *
http_conn_detach(struct http_conn *c)
{
	struct io	*io = c->io;

	evtimer_del(&c->hdrtimer);
	evtimer_del(&c->ratetimer);
	c->io = NULL;
	if (c->depth > 0)
		c->dead = 1;
	else
		http_free(c);
	return (io);
}

static void
http_free(struct http_conn *c)
{
	c->freeing = 1;
	if (c->h->closed != NULL)
		c->h->closed(c);
	evtimer_del(&c->hdrtimer);
	evtimer_del(&c->ratetimer);
	io_free(c->io);
	freezero(c->arena, c->arenasize);
	free(c);
	http_count--;
}

static void
http_arm(struct event *ev, int secs)
{
	struct timeval	 tv = { secs, 0 };

	evtimer_add(ev, &tv);
}

static void
http_hdrtimeout(int fd, short ev, void *arg)
{
	struct http_conn	*c = arg;

	(void)fd;
	(void)ev;
	http_enter(c);
	/* Nothing of a request yet (a TLS handshake, maybe): just go. */
	if (c->hbytes == 0 && c->state == HS_HEAD)
		http_conn_close(c);
	else if (c->state == HS_HEAD)
		(void)http_refuse(c, 408);
	http_leave(c);
}

/* Each window, a body must bring its rate, or what it has left. */
static void
http_ratetimeout(int fd, short ev, void *arg)
{
	struct http_conn	*c = arg;

	(void)fd;
	(void)ev;
	if (c->state != HS_BODY)
		return;
	http_enter(c);
	if (c->win_got < c->win_need)
		(void)http_refuse(c, 408);
	else {
		c->win_got = 0;
		c->win_need = c->lim.body_rate * HTTP_RATE_WINDOW;
		if (c->win_need > c->body_left)
			c->win_need = c->body_left;
		http_arm(&c->ratetimer, HTTP_RATE_WINDOW);
	}
	http_leave(c);
}

static void
http_peer(struct http_conn *c, int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	(void)strlcpy(c->addr, "local", sizeof(c->addr));
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return;
	if (getnameinfo((struct sockaddr *)&ss, len, c->addr,
	    sizeof(c->addr), NULL, 0, NI_NUMERICHOST) != 0)
		(void)strlcpy(c->addr, "unknown", sizeof(c->addr));
}

struct http_conn *
http_conn_new(int fd, struct tls *tls, const struct http_limits *lim,
    const struct http_handler *h, void *arg)
{
	struct http_conn	*c;
	static int		 init;

	if (!init) {
		http_parser_set_max_header_size(HTTP_PARSER_MAX);
		init = 1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return (NULL);
	}
	if ((c->io = io_new(fd, http_io, c)) == NULL) {
		close(fd);
		free(c);
		return (NULL);
	}
	c->h = h;
	c->arg = arg;
	c->lim = *lim;
	http_peer(c, fd);
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	evtimer_set(&c->hdrtimer, http_hdrtimeout, c);
	evtimer_set(&c->ratetimer, http_ratetimeout, c);
	http_count++;
	if (tls != NULL && io_accept_tls(c->io, tls) == -1) {
		http_free(c);
		return (NULL);
	}
	io_set_timeout(c->io, lim->idle_timeout * 1000);
	/* The first request's time runs from the connection (handshake). */
	http_arm(&c->hdrtimer, lim->header_timeout);
	return (c);
}

void *
http_conn_arg(struct http_conn *c)
{
	return (c->arg);
}

void
http_conn_set_arg(struct http_conn *c, void *arg)
{
	c->arg = arg;
}

const char *
http_conn_addr(struct http_conn *c)
{
	return (c->addr);
}

struct tls *
http_conn_tls(struct http_conn *c)
{
	return (c->io != NULL ? io_tls(c->io) : NULL);
}

const char *
http_conn_servername(struct http_conn *c)
{
	struct tls	*t = io_tls(c->io);

	return (t == NULL ? NULL : tls_conn_servername(t));
}

int
http_conn_count(void)
{
	return (http_count);
}

const char *
http_header(const struct http_request *req, const char *name)
{
	int	 i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return (req->headers[i].value);
	return (NULL);
}

static int
http_header_count(const struct http_request *req, const char *name)
{
	int	 i, n = 0;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			n++;
	return (n);
}

static void
http_io(struct io *io, int ev, void *arg)
{
	struct http_conn	*c = arg;

	(void)io;
	http_enter(c);
	switch (ev) {
	case IO_TLSREADY:
		break;
	case IO_DATAIN:
		http_parse(c);
		break;
	case IO_LOWAT:
		if (c->ans == HA_STREAM && c->h->more != NULL) {
			if (c->h->more(c) == -1)
				http_conn_close(c);
		} else if (c->ans == HA_ENDED && c->state == HS_DONE)
			http_next(c);
		break;
	case IO_TIMEOUT:
		if ((c->state == HS_HEAD && c->hbytes > 0) ||
		    c->state == HS_BODY)
			(void)http_refuse(c, 408);
		else
			http_conn_close(c);
		break;
	default:
		http_conn_close(c);
		break;
	}
	http_leave(c);
}

/* The request being read: its strings go to one arena, never moved. */
static int
http_append(struct http_conn *c, const char *at, size_t len)
{
	size_t	 max = c->lim.header_max + 2 * HTTP_HEADERS_MAX + 2;

	if (c->arena == NULL) {
		c->arenasize = 2 * max + 16;
		if ((c->arena = calloc(1, c->arenasize)) == NULL) {
			c->refuse = 503;
			return (-1);
		}
	}
	if (len > max || c->arenalen + len + 1 > max) {
		c->refuse = 431;
		return (-1);
	}
	memcpy(c->arena + c->arenalen, at, len);
	c->arenalen += len;
	return (0);
}

static char *
http_terminate(struct http_conn *c)
{
	char	*s = c->arena + c->vend;

	c->arena[c->arenalen++] = '\0';
	c->vend = c->arenalen;
	return (s);
}

static int
http_on_begin(http_parser *p)
{
	struct http_conn	*c = p->data;

	c->hlast = 0;
	c->vend = c->arenalen;
	return (0);
}

static int
http_on_url(http_parser *p, const char *at, size_t len)
{
	return (http_append(p->data, at, len));
}

static int
http_on_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn	*c = p->data;
	struct http_request	*req = &c->req;

	if (c->toomany)
		return (0);
	if (c->hlast != 1) {
		if (c->arena == NULL && http_append(c, "", 0) == -1)
			return (-1);
		if (c->hlast == 0)
			req->target = http_terminate(c);
		else
			req->headers[req->nheaders - 1].value =
			    http_terminate(c);
		/* Refused at their end, as the parser may find worse. */
		if (req->nheaders == HTTP_HEADERS_MAX) {
			c->toomany = 1;
			return (0);
		}
		req->nheaders++;
		c->hlast = 1;
	}
	return (http_append(c, at, len));
}

/*
 * A value that goes on after its line ended is folded (obs-fold), which
 * the parser joins: RFC 9112 section 5.2 lets a server refuse it, and
 * it is refused, as proxies may read it otherwise.  A value may also
 * come in pieces because the input did: the piece then ended where the
 * input did.
 */
static int
http_on_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn	*c = p->data;
	struct http_request	*req = &c->req;

	if (c->toomany)
		return (0);
	if (c->hlast == 1) {
		req->headers[req->nheaders - 1].name = http_terminate(c);
		c->hlast = 2;
	} else if (!c->vsplit) {
		c->refuse = 400;
		return (-1);
	}
	c->vsplit = (at + len == c->feedend);
	return (http_append(c, at, len));
}

static int
http_on_headers(http_parser *p)
{
	struct http_conn	*c = p->data;
	struct http_request	*req = &c->req;

	if (c->toomany) {
		c->refuse = 431;
		return (-1);
	}
	if (c->arena == NULL && http_append(c, "", 0) == -1)
		return (-1);
	if (c->hlast == 0)
		req->target = http_terminate(c);
	else if (c->hlast == 2)
		req->headers[req->nheaders - 1].value = http_terminate(c);
	else {
		c->refuse = 400;
		return (-1);
	}
	c->paused = HP_HEADERS;
	http_parser_pause(p, 1);
	return (0);
}

static int
http_on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn	*c = p->data;

	if (c->state == HS_BODY) {
		c->body_left -= len;
		c->win_got += len;
		if (c->h->body(c, at, len) == -1)
			http_conn_close(c);
	}
	if (c->dead || c->state != HS_BODY)
		http_parser_pause(p, 1);
	return (0);
}

static int
http_on_complete(http_parser *p)
{
	struct http_conn	*c = p->data;

	c->paused = HP_COMPLETE;
	http_parser_pause(p, 1);
	return (0);
}

static const http_parser_settings http_settings = {
	.on_message_begin = http_on_begin,
	.on_url = http_on_url,
	.on_header_field = http_on_field,
	.on_header_value = http_on_value,
	.on_headers_complete = http_on_headers,
	.on_body = http_on_body,
	.on_message_complete = http_on_complete,
};

static const struct {
	int	 parser;
	int	 method;
} http_methods[] = {
	{ HTTP_GET,	HTTP_M_GET },
	{ HTTP_HEAD,	HTTP_M_HEAD },
	{ HTTP_PUT,	HTTP_M_PUT },
	{ HTTP_POST,	HTTP_M_POST },
	{ HTTP_OPTIONS,	HTTP_M_OPTIONS },
	{ HTTP_DELETE,	HTTP_M_DELETE },
};

static int
http_method_of(unsigned int parser)
{
	size_t	 i;

	for (i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (http_methods[i].parser == (int)parser)
			return (http_methods[i].method);
	return (0);
}

static char *
http_copy(struct http_conn *c, const char *s, size_t len)
{
	char	*d = c->arena + c->arenalen;

	memcpy(d, s, len);
	d[len] = '\0';
	c->arenalen += len + 1;
	return (d);
}

/* The path and query of the target, which the parser splits. */
static int
http_target(struct http_conn *c)
{
	struct http_request	*req = &c->req;
	struct http_parser_url	 u;
	size_t			 i, len = strlen(req->target);

	/* The library as built lets tabs and form feeds in. */
	for (i = 0; i < len; i++)
		if ((unsigned char)req->target[i] <= ' ' ||
		    req->target[i] == 0x7f)
			return (400);
	if (strcmp(req->target, "*") == 0) {
		if (req->method != HTTP_M_OPTIONS)
			return (400);
		req->path = req->target;
		return (0);
	}
	/* Its offsets are 16 bits. */
	if (len > UINT16_MAX)
		return (414);
	http_parser_url_init(&u);
	if (http_parser_parse_url(req->target, len, 0, &u) != 0 ||
	    !(u.field_set & (1 << UF_PATH)) ||
	    (u.field_set & (1 << UF_FRAGMENT)))
		return (400);
	req->path = http_copy(c, req->target + u.field_data[UF_PATH].off,
	    u.field_data[UF_PATH].len);
	if (u.field_set & (1 << UF_QUERY))
		req->query = http_copy(c,
		    req->target + u.field_data[UF_QUERY].off,
		    u.field_data[UF_QUERY].len);
	return (0);
}

/* RFC 9110 section 5.6.2 token characters. */
static int
http_token(const char *s)
{
	static const char	*tchar = "!#$%&'*+-.^_`|~0123456789"
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

	return (*s != '\0' && s[strspn(s, tchar)] == '\0');
}

/* Blanks the parser leaves at the end of a value. */
static void
http_trim(struct http_request *req)
{
	char	*v;
	size_t	 n;
	int	 i;

	for (i = 0; i < req->nheaders; i++) {
		v = req->headers[i].value;
		n = strlen(v);
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			v[--n] = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		req->headers[i].value = v;
	}
}

/*
 * What the layer refuses before any handler sees the request: a status,
 * or 0.  Framing first: a body is only ever delimited by one
 * Content-Length, so that no two readers of the stream can disagree.
 */
static int
http_check(struct http_conn *c)
{
	struct http_request	*req = &c->req;
	http_parser		*p = &c->parser;
	const char		*expect;
	int			 i, ncl;

	/* "Content-Length :" is no Content-Length here, but may be there. */
	for (i = 0; i < req->nheaders; i++)
		if (!http_token(req->headers[i].name))
			return (400);
	ncl = http_header_count(req, "Content-Length");
	if (http_header(req, "Transfer-Encoding") != NULL)
		return (ncl > 0 ? 400 : 411);
	if (ncl > 1)
		return (400);
	if (ncl == 1) {
		if (p->content_length > INT64_MAX)
			return (413);
		req->content_length = p->content_length;
	}
	if (p->http_major != 1)
		return (505);
	/* RFC 9112 section 3.2: exactly one Host in HTTP/1.1. */
	if (http_header_count(req, "Host") > 1 ||
	    (p->http_minor > 0 && http_header(req, "Host") == NULL))
		return (400);
	expect = http_header(req, "Expect");
	if (expect != NULL && strcasecmp(expect, "100-continue") != 0)
		return (417);
	if (req->method == 0)
		return (501);
	return (0);
}

static int
http_finish(struct http_conn *c)
{
	struct http_request	*req = &c->req;
	int			 status;

	req->method = http_method_of(c->parser.method);
	req->minor = c->parser.http_minor;
	req->keepalive = http_should_keep_alive(&c->parser);
	req->content_length = -1;
	http_trim(req);
	if ((status = http_check(c)) != 0)
		return (status);
	return (http_target(c));
}

static void
http_body_start(struct http_conn *c)
{
	const char	*expect = http_header(&c->req, "Expect");

	c->state = HS_BODY;
	c->body_left = c->req.content_length;
	if (c->body_left <= 0)
		return;
	if (expect != NULL && c->req.minor > 0 &&
	    io_write(c->io, "HTTP/1.1 100 Continue\r\n\r\n", 25) == -1) {
		http_conn_close(c);
		return;
	}
	if (c->lim.body_rate > 0) {
		c->win_got = 0;
		c->win_need = c->lim.body_rate * HTTP_RATE_WINDOW;
		if (c->win_need > c->body_left)
			c->win_need = c->body_left;
		http_arm(&c->ratetimer, HTTP_RATE_WINDOW);
	}
}

/* The headers are in: refuse, or hand the request over. */
static void
http_headers(struct http_conn *c)
{
	int	 status;

	evtimer_del(&c->hdrtimer);
	if ((status = http_finish(c)) != 0) {
		(void)http_refuse(c, status);
		return;
	}
	if (c->req.content_length > 0 && c->h->body == NULL) {
		(void)http_refuse(c, 413);
		return;
	}
	c->state = HS_REQUEST;
	if (c->h->request(c, &c->req) == -1) {
		http_conn_close(c);
		return;
	}
	if (c->dead || c->state != HS_REQUEST)
		return;
	if (c->ans == HA_NONE)
		http_body_start(c);
	else if (c->req.content_length > 0) {
		/* Answered with the body unread: no next request. */
		c->state = HS_DONE;
		io_pause(c->io);
	} else
		c->state = HS_SKIP;
}

static void
http_complete(struct http_conn *c)
{
	enum http_state	 was = c->state;

	c->state = HS_DONE;
	evtimer_del(&c->ratetimer);
	io_pause(c->io);
	if (was == HS_BODY && c->h->done != NULL && c->h->done(c) == -1)
		http_conn_close(c);
}

static int
http_errstatus(enum http_errno e)
{
	switch (e) {
	case HPE_HEADER_OVERFLOW:
		return (431);
	case HPE_INVALID_CONTENT_LENGTH:
	case HPE_UNEXPECTED_CONTENT_LENGTH:
		return (400);
	case HPE_INVALID_TRANSFER_ENCODING:
		return (411);
	default:
		return (400);
	}
}

/*
 * Header bytes are counted against the limit, and checked for what the
 * parser lets through but a proxy in front may read otherwise: a line
 * ended by LF alone, or by CR alone (the library as distributions build
 * it is not strict there).
 */
static int
http_head_bytes(struct http_conn *c, const char *data, size_t len)
{
	size_t	 i;

	/* Byte by byte: the same answer however the input was cut. */
	for (i = 0; i < len; i++) {
		if (++c->hbytes > c->lim.header_max)
			return (431);
		if ((data[i] == '\n') != c->lastcr)
			return (400);
		c->lastcr = (data[i] == '\r');
	}
	return (0);
}

/* Parse what is buffered; 0 to go on. */
static int
http_feed(struct http_conn *c, const char *data, size_t len)
{
	enum http_errno	 e;
	size_t		 n;
	int		 status = 0, head = (c->state == HS_HEAD);

	c->paused = HP_NONE;
	c->refuse = 0;
	c->feedend = data + len;
	n = http_parser_execute(&c->parser, &http_settings, data, len);
	if (head)
		status = http_head_bytes(c, data,
		    c->paused == HP_HEADERS ? n + 1 : n);
	io_drain(c->io, n);
	e = HTTP_PARSER_ERRNO(&c->parser);
	if (e == HPE_PAUSED)
		http_parser_pause(&c->parser, 0);
	else if (e != HPE_OK && status == 0)
		status = c->refuse ? c->refuse : http_errstatus(e);
	if (c->dead)
		return (-1);
	if (status != 0)
		return (http_refuse(c, status));
	if (c->paused == HP_HEADERS)
		http_headers(c);
	else if (c->paused == HP_COMPLETE)
		http_complete(c);
	return (c->dead ? -1 : 0);
}

static void
http_parse(struct http_conn *c)
{
	size_t	 len;
	char	*data;

	while (!c->dead && (c->state == HS_HEAD || c->state == HS_BODY ||
	    c->state == HS_SKIP)) {
		data = io_data(c->io, &len);
		if (len == 0)
			break;
		if (c->state == HS_HEAD && !evtimer_pending(&c->hdrtimer, NULL))
			http_arm(&c->hdrtimer, c->lim.header_timeout);
		if (http_feed(c, data, len) == -1)
			break;
	}
}

/* The answer is out: read the next request. */
static void
http_next(struct http_conn *c)
{
	if (c->close) {
		http_conn_close(c);
		return;
	}
	memset(&c->req, 0, sizeof(c->req));
	freezero(c->arena, c->arenasize);
	c->arena = NULL;
	c->arenalen = c->arenasize = c->vend = c->hbytes = 0;
	c->lastcr = c->toomany = 0;
	c->state = HS_HEAD;
	c->ans = HA_NONE;
	c->status = c->head = 0;
	c->rleft = 0;
	io_resume(c->io);
	http_parse(c);
}

/* The layer's own refusal: an answer if none has begun, and a close. */
static int
http_refuse(struct http_conn *c, int status)
{
	c->close = 1;
	c->state = HS_DONE;
	evtimer_del(&c->hdrtimer);
	evtimer_del(&c->ratetimer);
	io_pause(c->io);
	if (c->ans != HA_NONE || http_error(c, status) == -1)
		http_conn_close(c);
	return (-1);
}

/* A handler's mistake in an answer: nothing more is sent. */
static int
http_fail(struct http_conn *c)
{
	c->rheadlen = 0;
	http_conn_close(c);
	return (-1);
}

static int
http_rhead_add(struct http_conn *c, const char *a, const char *b,
    const char *c2)
{
	size_t	 la = strlen(a), lb = strlen(b), lc = strlen(c2);

	if (c->rheadlen + la + lb + lc >= sizeof(c->rhead))
		return (-1);
	memcpy(c->rhead + c->rheadlen, a, la);
	memcpy(c->rhead + c->rheadlen + la, b, lb);
	memcpy(c->rhead + c->rheadlen + la + lb, c2, lc);
	c->rheadlen += la + lb + lc;
	return (0);
}

/* A field value (RFC 9110 section 5.5): no control but HTAB. */
static int
http_text(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < ' ' && *s != '\t') || *s == 0x7f)
			return (0);
	return (1);
}

int
http_response_begin(struct http_conn *c, int status, const char *reason)
{
	char	 date[64], line[32];

	if (c->dead || c->ans != HA_NONE || c->state == HS_HEAD ||
	    status < 200 || status > 599)
		return (http_fail(c));
	if (reason == NULL)
		reason = http_reason(status);
	if (!http_text(reason) ||
	    http_date_format(time(NULL), date, sizeof(date)) == -1)
		return (http_fail(c));
	(void)snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
	c->rheadlen = 0;
	if (http_rhead_add(c, line, reason, "\r\n") == -1 ||
	    http_rhead_add(c, "Date: ", date, "\r\n") == -1)
		return (http_fail(c));
	c->status = status;
	c->ans = HA_OPEN;
	c->head = (c->req.method == HTTP_M_HEAD);
	/* A body still coming cannot be told from the next request. */
	if (c->state == HS_BODY || !c->req.keepalive ||
	    (c->state == HS_REQUEST && c->req.content_length > 0))
		c->close = 1;
	return (0);
}

int
http_response_header(struct http_conn *c, const char *name,
    const char *value)
{
	static const char	*own[] = { "Content-Length", "Connection",
	    "Date", "Transfer-Encoding" };
	size_t			 i;

	if (c->ans != HA_OPEN || !http_token(name) || !http_text(value))
		return (http_fail(c));
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strcasecmp(name, own[i]) == 0)
			return (http_fail(c));
	if (http_rhead_add(c, name, ": ", value) == -1 ||
	    http_rhead_add(c, "\r\n", "", "") == -1)
		return (http_fail(c));
	return (0);
}

/* 1xx, 204 and 304 answers have no body (RFC 9110 section 6.4.1). */
static int
http_bodyless(struct http_conn *c)
{
	return (c->head || c->status == 204 || c->status == 304);
}

static int
http_head_flush(struct http_conn *c, int64_t len)
{
	char	 num[32];

	if (c->ans != HA_OPEN)
		return (http_fail(c));
	(void)snprintf(num, sizeof(num), "%lld", (long long)len);
	if (c->status != 204 && c->status != 304 &&
	    http_rhead_add(c, "Content-Length: ", num, "\r\n") == -1)
		return (http_fail(c));
	if (http_rhead_add(c, "Connection: ",
	    c->close ? "close" : "keep-alive", "\r\n\r\n") == -1 ||
	    io_write(c->io, c->rhead, c->rheadlen) == -1)
		return (http_fail(c));
	c->rheadlen = 0;
	c->ans = HA_STREAM;
	c->rleft = len;
	return (0);
}

int
http_response_body(struct http_conn *c, const void *data, size_t len)
{
	if (len > INT64_MAX || http_head_flush(c, len) == -1)
		return (-1);
	return (http_response_write(c, data, len) == -1 ? -1 :
	    http_response_end(c));
}

int
http_response_length(struct http_conn *c, int64_t len)
{
	if (len < 0)
		return (http_fail(c));
	return (http_head_flush(c, len));
}

/* For HEAD, the pieces are counted, not sent. */
int
http_response_write(struct http_conn *c, const void *data, size_t len)
{
	if (c->ans != HA_STREAM || len > (uint64_t)c->rleft)
		return (http_fail(c));
	c->rleft -= len;
	if (http_bodyless(c) || len == 0)
		return (0);
	if (io_write(c->io, data, len) == -1)
		return (http_fail(c));
	return (0);
}

int
http_response_more(struct http_conn *c)
{
	return (c->ans == HA_STREAM && c->rleft > 0 &&
	    (http_bodyless(c) || io_queued(c->io) < HTTP_OUTMAX));
}

/*
 * A body shorter than announced would make the client read the next
 * answer as its end: the connection goes instead.  HEAD may end early.
 */
int
http_response_end(struct http_conn *c)
{
	if (c->ans == HA_OPEN && http_head_flush(c, 0) == -1)
		return (-1);
	if (c->ans != HA_STREAM || (c->rleft > 0 && !http_bodyless(c)))
		return (http_fail(c));
	c->ans = HA_ENDED;
	if (c->close) {
		c->state = HS_DONE;
		evtimer_del(&c->ratetimer);
		io_close_after_write(c->io);
	}
	return (0);
}

void
http_response_close(struct http_conn *c)
{
	c->close = 1;
	if (c->ans == HA_ENDED) {
		c->state = HS_DONE;
		io_close_after_write(c->io);
	}
}

int
http_error(struct http_conn *c, int status)
{
	char	 body[64];
	int	 n;

	switch (status) {
	case 400: case 408: case 411: case 413: case 414: case 417:
	case 431: case 501: case 505:
		c->close = 1;
		break;
	}
	n = snprintf(body, sizeof(body), "%d %s\n", status,
	    http_reason(status));
	if (n < 0 || (size_t)n >= sizeof(body))
		return (http_fail(c));
	if (http_response_begin(c, status, NULL) == -1 ||
	    http_response_header(c, "Content-Type",
	    "text/plain; charset=utf-8") == -1)
		return (-1);
	return (http_response_body(c, body, n));
}
