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
 * The web transports of the stream process: its HTTP server
 * (http_web.c), XMPP over WebSocket, RFC 7395 (http_ws.c), and host-meta
 * (http_hostmeta.c); BOSH has http_bosh.h.
 */

#ifndef HTTP_WEB_H
#define HTTP_WEB_H

#include <sys/types.h>

struct conn;
struct http_conn;
struct http_request;
struct tlsctx;

#define WS_PATH		"/xmpp-websocket"
#define WS_ACCEPT_LEN	32	/* Sec-WebSocket-Accept, NUL-terminated */

/* http_web.c */
void	 http_web_accept(int, const char *, struct tlsctx *);
int	 http_web_has(const char *, const char *, int);
int	 http_web_origin_ok(const char *, const char *, int);
int	 http_web_cors(struct http_conn *, const char *);

/* http_hostmeta.c */
int	 http_hostmeta_path(const char *);
int	 http_hostmeta(struct http_conn *, struct http_request *, int);

/* http_ws.c */
int	 http_ws_request(struct http_conn *, struct http_request *,
	    char *);
void	 http_ws_upgrade(struct http_conn *, const char *, struct tlsctx *,
	    const char *);
int	 http_ws_write(struct conn *, const char *, size_t);
void	 http_ws_open(struct conn *);
void	 http_ws_ping(struct conn *);
void	 http_ws_free(struct conn *);

#endif /* HTTP_WEB_H */
