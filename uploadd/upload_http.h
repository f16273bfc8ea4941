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
 * What uploadd's HTTP pieces share: a connection's state, and the parts
 * of a request every method checks the same way.
 */

#ifndef UPLOAD_HTTP_H
#define UPLOAD_HTTP_H

#include <sys/queue.h>

#include "addr.h"
#include "http.h"
#include "upload.h"

#define UPLOAD_CHUNK		(64 * 1024)	/* bytes read per write */

struct upload_conn {
	TAILQ_ENTRY(upload_conn) entry;		/* PUTs running */
	struct http_conn	*http;
	struct tlsctx		*tls;		/* NULL: plain HTTP */
	char			 service[CONF_NAMELEN];	/* the listener's */
	char			 addr[ADDR_STRLEN];
	int			 method;	/* of the request */
	int			 answered;	/* nothing more to do */
	struct upload_file	 file;		/* its slot */
	int			 fd;		/* tmp/ or files/, or -1 */
	int			 putting;	/* on the PUT list */
	int			 failed;	/* PUT: the status to answer */
	char			 origin[CONF_STRLEN]; /* CORS: allowed */
	int64_t			 off;		/* next byte in or out */
	int64_t			 end;		/* one past the last */
};

/* upload_http.c */
int	 upload_http_target(struct upload_conn *, struct http_request *,
	    struct upload_file *);
void	 upload_http_origin(struct upload_conn *, struct http_request *);
int	 upload_http_cors(struct upload_conn *);
int	 upload_http_refuse(struct upload_conn *, int, const char *);

/* upload_put.c */
int	 upload_put_request(struct upload_conn *, struct http_request *);
int	 upload_put_body(struct upload_conn *, const void *, size_t);
int	 upload_put_done(struct upload_conn *);
void	 upload_put_closed(struct upload_conn *);

/* upload_get.c */
int	 upload_get_request(struct upload_conn *, struct http_request *);
int	 upload_get_more(struct upload_conn *);
void	 upload_get_closed(struct upload_conn *);
int	 upload_get_options(struct upload_conn *, struct http_request *);

#endif /* UPLOAD_HTTP_H */
