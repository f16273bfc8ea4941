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
 * HTTP/1.1 server connections, for every process that serves HTTP
 * (uploadd; the web transports later).  A connection sits on an io
 * (common/io.h), plain or TLS; requests are parsed by libhttp-parser,
 * never by hand, one at a time: input that follows a request waits
 * until its answer is written.  The layer enforces the limits (header
 * size and time, idle time, body rate) and refuses on its own, with a
 * 4xx and a close, what no handler may see: a malformed request, a
 * method it does not know, Transfer-Encoding (bodies must have a
 * Content-Length), both Content-Length and Transfer-Encoding, a
 * repeated Content-Length, an Expect other than 100-continue, headers
 * over the limit.  Answers are written with http_response_*(): the
 * layer writes the status line, Date, Content-Length and Connection
 * itself; header values given to it must not hold CR, LF or another
 * control but HTAB, which it checks (fail closed: the connection is
 * closed, nothing is sent).
 */

#ifndef HTTP_H
#define HTTP_H

#include <sys/types.h>

#include <stdint.h>
#include <tls.h>

#define HTTP_HEADERS_MAX	64	/* headers in one request */

enum http_method {
	HTTP_M_GET = 1,
	HTTP_M_HEAD,
	HTTP_M_PUT,
	HTTP_M_POST,
	HTTP_M_OPTIONS,
	HTTP_M_DELETE,
};

struct http_limits {
	size_t		 header_max;	/* request line and headers, bytes */
	int		 header_timeout; /* seconds to receive them */
	int		 idle_timeout;	/* seconds of keep-alive, and of
					   silence inside a body */
	int64_t		 body_rate;	/* bytes a second a body must keep,
					   measured over each 10 s, 0 none */
};

struct http_header {
	char		*name;		/* as sent */
	char		*value;		/* leading and trailing blanks cut */
};

struct http_request {
	int		 method;	/* enum http_method */
	char		*target;	/* as sent: path, maybe ?query */
	char		*path;		/* target up to '?', not decoded */
	char		*query;		/* after '?', or NULL */
	struct http_header headers[HTTP_HEADERS_MAX];
	int		 nheaders;
	int64_t		 content_length; /* -1: none */
	int		 keepalive;	/* the client asks to keep it open */
	int		 minor;		/* HTTP/1.minor */
};

struct http_conn;
struct io;

/*
 * A server's handlers.  request() runs when the headers are complete:
 * it answers at once (http_response_*), or returns 0 to receive the
 * body through body() and then done().  A request without a body goes
 * straight to done() after request() returned 0.  After an answer is
 * complete (http_response_end()), the next request is read.  more()
 * runs when the output written so far has drained while an answer is
 * still open (http_response_more()), to write the next piece of a file:
 * memory stays bounded whatever the file's size.  closed() runs once,
 * when the connection goes, for whatever reason; the handler frees its
 * state there (a partial upload is removed).  A handler returning -1
 * closes the connection (after what is already written).
 */
struct http_handler {
	int	(*request)(struct http_conn *, struct http_request *);
	int	(*body)(struct http_conn *, const void *, size_t);
	int	(*done)(struct http_conn *);
	int	(*more)(struct http_conn *);
	void	(*closed)(struct http_conn *);
};

/* Start serving fd (accepted, non-blocking); tls: NULL for plain. */
struct http_conn *http_conn_new(int, struct tls *, const struct http_limits *,
		    const struct http_handler *, void *);
void		*http_conn_arg(struct http_conn *);
void		 http_conn_set_arg(struct http_conn *, void *);
const char	*http_conn_addr(struct http_conn *);	/* peer, numeric */
const char	*http_conn_servername(struct http_conn *); /* SNI or NULL */
struct tls	*http_conn_tls(struct http_conn *);	/* or NULL */
void		 http_conn_close(struct http_conn *);
struct io	*http_conn_detach(struct http_conn *);
int		 http_conn_count(void);		/* open connections */

/* A request's header by name (case-insensitive), or NULL. */
const char	*http_header(const struct http_request *, const char *);

/*
 * Answers.  http_response_begin() starts one; headers follow; then
 * either http_response_body() (the whole body: Content-Length is its
 * length) or http_response_length() announcing a body written in
 * pieces with http_response_write(), each piece when more() asks,
 * until http_response_end().  For HEAD, body bytes are not sent but
 * Content-Length is.  close: answer, then close the connection.
 * http_error() is a complete short answer with a text/plain body, and
 * closes the connection for 400, 408, 411, 413, 431, 501, 505.
 */
int	 http_response_begin(struct http_conn *, int, const char *);
int	 http_response_header(struct http_conn *, const char *, const char *);
int	 http_response_body(struct http_conn *, const void *, size_t);
int	 http_response_length(struct http_conn *, int64_t);
int	 http_response_write(struct http_conn *, const void *, size_t);
int	 http_response_more(struct http_conn *);	/* room for more? */
int	 http_response_end(struct http_conn *);
int	 http_error(struct http_conn *, int);
void	 http_response_close(struct http_conn *);

/* %XX decoding of a path segment; -1 on bad escapes, NUL or '/'. */
int	 http_pct_decode(const char *, size_t, char *, size_t);
/* Dates of RFC 9110 section 5.6.7 (IMF-fixdate), both ways. */
int	 http_date_format(time_t, char *, size_t);
int	 http_date_parse(const char *, time_t *);
const char *http_reason(int);
/*
 * A Range header (RFC 9110 section 14.2) against a body of size bytes:
 * 0 with the first and last byte of one satisfiable range, -1 when no
 * range is satisfiable (416), 1 when it is to be ignored (malformed,
 * several ranges, not bytes): the whole body is sent.
 */
int	 http_range(const char *, int64_t, int64_t *, int64_t *);

#endif /* HTTP_H */
