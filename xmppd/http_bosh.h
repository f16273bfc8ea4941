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
 * BOSH (XEP-0124, XEP-0206), a web transport of the stream process
 * (http_bosh.c): what the HTTP server (http_web.c) calls, and how a
 * request's <body/> is read (http_bosh_body.c).
 */

#ifndef HTTP_BOSH_H
#define HTTP_BOSH_H

#include <sys/types.h>

#include <stdint.h>

struct bosh_req;
struct conn;
struct http_conn;
struct http_request;
struct xml_limits;
struct xml_node;

#define BOSH_PATH	"/http-bind"
#define NS_HTTPBIND	"http://jabber.org/protocol/httpbind"

int	 http_bosh_request(struct http_conn *, struct http_request *, int,
	    const char *, const char *, struct bosh_req **);
int	 http_bosh_body(struct bosh_req *, const void *, size_t);
int	 http_bosh_done(struct bosh_req *);
void	 http_bosh_closed(struct bosh_req *);
void	 http_bosh_tls(struct conn *, char *, size_t);
void	 http_bosh_shutdown(void);

/* http_bosh_body.c */
struct xml_node	*bosh_body_parse(const char *, size_t,
		    const struct xml_limits *);
int		 bosh_body_payload(struct xml_node *);
int		 bosh_body_num(struct xml_node *, const char *, uint64_t,
		    uint64_t *);
const char	*bosh_body_ver(struct xml_node *);

#endif /* HTTP_BOSH_H */
