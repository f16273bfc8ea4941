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
 * A BOSH session (XEP-0124, XEP-0206) in the stream process: what the
 * request handling (http_bosh.c) and the session's life
 * (http_bosh_session.c) share.
 */

#ifndef HTTP_BOSH_SESSION_H
#define HTTP_BOSH_SESSION_H

#define NS_XBOSH	"urn:xmpp:xbosh"
#define BOSH_HOLD	1	/* requests held at most */
#define BOSH_REQUESTS	(BOSH_HOLD + 1)	/* at once, and the rid window */
#define BOSH_WAIT_MAX	60	/* seconds a request is held */
#ifndef REGRESS
#define BOSH_INACTIVITY	60	/* seconds without a request */
#define BOSH_MAXPAUSE	120
#define BOSH_QUIET	10	/* seconds: the parsers are given back */
#else
#define BOSH_INACTIVITY	4
#define BOSH_MAXPAUSE	8
#define BOSH_QUIET	2
#endif
#define BOSH_POLLING	2	/* seconds between empty polls, hold 0 */
#define BOSH_SID_BYTES	16
#define BOSH_RID_MAX	9007199254740991ULL	/* 2^53 - 1, section 14.1 */
#define BOSH_BODY_EXTRA	4096	/* the <body/> around a stanza */

TAILQ_HEAD(bosh_reqs, bosh_req);

struct bosh_sent {
	uint64_t	 rid;
	char		*data;		/* NULL: none */
	size_t		 len;
};

struct http_bosh {
	RB_ENTRY(http_bosh)	 node;
	char			 sid[2 * BOSH_SID_BYTES + 1];
	char			 local[ADDR_STRLEN + 8];	/* listener */
	char			 tls[64];	/* the first request's TLS */
	struct conn		*c;
	uint64_t		 rid;	/* the last one handled, in order */
	int			 hold, wait, ack;
	struct bosh_reqs	 held;	/* oldest first */
	struct bosh_reqs	 ahead;	/* past a rid not yet come */
	struct bosh_sent	 sent[BOSH_REQUESTS];
	struct xml_node		*out;	/* elements for the next answer */
	size_t			 outlen;
	struct xml_stream	*cut;	/* the engine's output, into them */
	int			 ended;	/* the stream ended: terminate */
	int			 failed;
	const char		*cond;	/* of the terminate, or NULL */
	int			 pause;	/* seconds, while paused */
	struct timespec		 polled; /* last empty request, hold 0 */
	struct event		 idle;
	struct event		 flushev;
	struct event		 quiet;
};

struct bosh_req {
	TAILQ_ENTRY(bosh_req)	 entry;
	struct http_bosh	*b;	/* the session it waits in */
	struct bosh_reqs	*q;	/* and where */
	struct http_conn	*hc;
	struct bosh_req		**slot;	/* http_web.c's pointer */
	char			*body;
	size_t			 len, max;
	struct xml_node		*node;	/* the body, parsed */
	uint64_t		 rid;
	int			 tls;
	char			 addr[ADDR_STRLEN];
	char			 local[ADDR_STRLEN + 8];
	char			 origin[256];	/* "" none */
	struct event		 wait;
};

/* http_bosh_session.c */
struct http_bosh	*bosh_new(struct bosh_req *);
struct http_bosh	*bosh_find(const char *);
void		 bosh_req_free(struct bosh_req *);
void		 bosh_idle_arm(struct http_bosh *);
void		 bosh_quiet_arm(struct http_bosh *);
struct xml_node	*bosh_reply(struct http_bosh *, struct bosh_req *, int,
		    const char *);
void		 bosh_keep(struct http_bosh *, uint64_t, const char *, size_t);
void		 bosh_send(struct bosh_req *, const char *, size_t);
void		 bosh_answer(struct http_bosh *, struct bosh_req *, int,
		    const char *);
void		 bosh_terminate(struct http_bosh *, const char *, const char *);
void		 bosh_end(struct http_bosh *);
void		 bosh_flush_later(struct http_bosh *);
void		 bosh_header(struct conn *, const char *, const char *);
int		 bosh_created(struct http_bosh *, struct xml_node *,
		    const char *);

/* http_bosh.c */
void		 bosh_go(struct http_bosh *);

#endif /* HTTP_BOSH_SESSION_H */
