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
 * BOSH (XEP-0124, XEP-0206) at /http-bind, in the stream process: a
 * session lives here, indexed by its sid, fed by POSTs on any
 * connection of the listener that made it.  Each session is a client
 * stream that c2s.c runs as over TCP; this file only translates: the
 * stanzas of a request's <body/> go to the engine as stream text, in
 * rid order, and what the engine writes is cut into elements that wait
 * for a held request to carry them back.  Session creation and
 * xmpp:restart become stream headers, type='terminate' the stream's
 * end.  A session lasts while requests come; `inactivity' seconds
 * without any ends its stream as a dropped connection does.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <errno.h>
#include <event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>

#include "addr.h"
#include "config.h"
#include "http.h"
#include "http_bosh.h"
#include "http_web.h"
#include "jid.h"
#include "log.h"
#include "stanza.h"
#include "stream.h"
#include "xml.h"

#define NS_HTTPBIND	"http://jabber.org/protocol/httpbind"
#define NS_XBOSH	"urn:xmpp:xbosh"
#define BOSH_HOLD	1	/* requests held at most */
#define BOSH_REQUESTS	(BOSH_HOLD + 1)	/* at once, and the rid window */
#define BOSH_WAIT_MAX	60	/* seconds a request is held */
#ifndef REGRESS
#define BOSH_INACTIVITY	60	/* seconds without a request */
#define BOSH_MAXPAUSE	120
#else
#define BOSH_INACTIVITY	4
#define BOSH_MAXPAUSE	8
#endif
#ifndef REGRESS
#define BOSH_QUIET	10	/* seconds: the parsers are given back */
#else
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

RB_HEAD(bosh_tree, http_bosh);

static int	bosh_cmp(struct http_bosh *, struct http_bosh *);
RB_PROTOTYPE_STATIC(bosh_tree, http_bosh, node, bosh_cmp);
RB_GENERATE_STATIC(bosh_tree, http_bosh, node, bosh_cmp);

static struct bosh_tree	bosh_sessions = RB_INITIALIZER(&bosh_sessions);

static int	bosh_write(struct conn *, const char *, size_t);
static void	bosh_open(struct conn *);
static void	bosh_close(struct conn *);
static void	bosh_free(struct conn *);
static void	bosh_resume(struct conn *);
static void	bosh_go(struct http_bosh *);
static int	bosh_cut_stanza(void *, struct xml_node *);
static int	bosh_cut_close(void *);
static void	bosh_cut_error(void *, int, const char *);
static void	bosh_flush(struct http_bosh *);
static void	bosh_flush_later(struct http_bosh *);

static const struct c2s_transport bosh_transport = {
	"bosh", 0, bosh_write, bosh_open, bosh_close, NULL, bosh_free,
	bosh_resume
};

static const struct xml_stream_cb bosh_cut_cb = {
	NULL, bosh_cut_stanza, bosh_cut_close, bosh_cut_error
};

static int
bosh_cmp(struct http_bosh *a, struct http_bosh *b)
{
	return (strcmp(a->sid, b->sid));
}

static void
bosh_req_free(struct bosh_req *r)
{
	if (r->q != NULL)
		TAILQ_REMOVE(r->q, r, entry);
	if (r->slot != NULL)
		*r->slot = NULL;
	evtimer_del(&r->wait);
	xml_node_free(r->node);
	free(r->body);
	free(r);
}

static void
bosh_idle_arm(struct http_bosh *b)
{
	struct timeval	 tv = { 0, 0 };

	evtimer_del(&b->idle);
	if (!TAILQ_EMPTY(&b->held))
		return;
	tv.tv_sec = b->pause > 0 ? b->pause : BOSH_INACTIVITY;
	evtimer_add(&b->idle, &tv);
}

/*
 * No stanza either way for a while: the session gives its two parsers
 * back, as a quiet TCP stream does; the next input gets new ones.
 */
static void
bosh_quiet_cb(int fd, short ev, void *arg)
{
	struct http_bosh	*b = arg;

	(void)fd;
	(void)ev;
	if (b->c->xs != NULL && xml_stream_sleep(b->c->xs) == 0 &&
	    xml_stream_sleep(b->cut) == 0)
		log_debug("connection %u: bosh session quiet, its parsers "
		    "given back", b->c->id);
}

static void
bosh_quiet_arm(struct http_bosh *b)
{
	struct timeval	 tv = { BOSH_QUIET, 0 };

	evtimer_add(&b->quiet, &tv);
}

/* Section 7: the answer's <body/>, with its payload moved in. */
static struct xml_node *
bosh_body(struct http_bosh *b, struct bosh_req *r, int terminate,
    const char *cond)
{
	struct xml_node	*body, *n;
	char		 num[32];

	if ((body = xml_node_new(NS_HTTPBIND, "body")) == NULL)
		return (NULL);
	if (terminate && (xml_set_attr(body, "type", "terminate") == -1 ||
	    (cond != NULL && xml_set_attr(body, "condition", cond) == -1))) {
		xml_node_free(body);
		return (NULL);
	}
	if (b == NULL)
		return (body);
	/* Section 9.1: acks, when the client asked for them. */
	if (b->ack && r != NULL && r->rid != b->rid) {
		(void)snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)b->rid);
		if (xml_set_attr(body, "ack", num) == -1) {
			xml_node_free(body);
			return (NULL);
		}
	}
	while (b->out != NULL && (n = TAILQ_FIRST(&b->out->children)) != NULL) {
		xml_unlink(n);
		xml_append(body, n);
	}
	b->outlen = 0;
	return (body);
}

/* Keep an answer for a repeated rid (section 9.3), the oldest goes. */
static void
bosh_keep(struct http_bosh *b, uint64_t rid, const char *data, size_t len)
{
	struct bosh_sent	*s = &b->sent[rid % BOSH_REQUESTS];

	free(s->data);
	s->data = NULL;
	if ((s->data = malloc(len)) == NULL)
		return;
	memcpy(s->data, data, len);
	s->len = len;
	s->rid = rid;
}

static int
bosh_cors(struct http_conn *hc, const char *origin)
{
	return (http_web_cors(hc, origin[0] != '\0' ? origin : NULL));
}

/* Send bytes as the answer to r, which is freed. */
static void
bosh_send(struct bosh_req *r, const char *data, size_t len)
{
	struct http_conn	*hc = r->hc;
	char			 origin[sizeof(r->origin)];

	(void)strlcpy(origin, r->origin, sizeof(origin));
	/* The answer may close the connection: r is let go first. */
	r->hc = NULL;
	bosh_req_free(r);
	if (http_response_begin(hc, 200, NULL) == -1 ||
	    http_response_header(hc, "Content-Type",
	    "text/xml; charset=utf-8") == -1 || bosh_cors(hc, origin) == -1 ||
	    http_response_body(hc, data, len) == -1)
		return;
}

/* Answer r with what waits in b (NULL: no session), terminating or not. */
static void
bosh_answer(struct http_bosh *b, struct bosh_req *r, int terminate,
    const char *cond)
{
	struct http_conn	*hc;
	struct xml_node		*body;
	struct xml_buf		 buf;

	xml_buf_init(&buf, 0);
	if ((body = bosh_body(b, r, terminate, cond)) == NULL ||
	    xml_serialize(body, NULL, &buf) == -1) {
		xml_node_free(body);
		xml_buf_free(&buf);
		hc = r->hc;
		r->hc = NULL;
		bosh_req_free(r);
		http_conn_close(hc);
		return;
	}
	xml_node_free(body);
	if (b != NULL)
		bosh_keep(b, r->rid, buf.data, buf.len);
	bosh_send(r, buf.data, buf.len);
	xml_buf_free(&buf);
}

/* A refusal outside any session: nothing else is touched. */
static void
bosh_refuse(struct bosh_req *r, const char *cond, const char *why)
{
	log_info("bosh request from %s refused: %s", r->addr, why);
	bosh_answer(NULL, r, 1, cond);
}

/*
 * The session ends with cond (section 17): the requests waiting are
 * answered, the last with the terminate, and the stream goes as a
 * dropped connection's.
 */
static void
bosh_terminate(struct http_bosh *b, const char *cond, const char *why)
{
	log_info("connection %u from %s: bosh session ended: %s", b->c->id,
	    b->c->addr, why);
	if (!b->ended)
		b->cond = cond;
	b->ended = 1;
	bosh_flush_later(b);
}

static void
bosh_end(struct http_bosh *b)
{
	struct bosh_req	*r;

	while ((r = TAILQ_FIRST(&b->ahead)) != NULL)
		bosh_answer(b, r, 1, b->cond);
	while ((r = TAILQ_FIRST(&b->held)) != NULL)
		bosh_answer(b, r, 1, b->cond);
	conn_close(b->c);
}

/*
 * Output, or the end, goes to the oldest held request; a pause answers
 * them all.  The end waits for a request when none is held, until the
 * session's inactivity runs out.
 */
static void
bosh_flush(struct http_bosh *b)
{
	struct bosh_req	*r;

	evtimer_del(&b->flushev);
	bosh_go(b);
	if (b->failed && !b->ended) {
		b->ended = 1;
		if (b->cond == NULL)
			b->cond = "undefined-condition";
	}
	if (b->ended) {
		if (!TAILQ_EMPTY(&b->held) || !TAILQ_EMPTY(&b->ahead))
			bosh_end(b);
		else
			bosh_idle_arm(b);
		return;
	}
	while ((r = TAILQ_FIRST(&b->held)) != NULL && (b->pause > 0 ||
	    (b->out != NULL && !TAILQ_EMPTY(&b->out->children))))
		bosh_answer(b, r, 0, NULL);
	bosh_idle_arm(b);
}

static void
bosh_flush_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	bosh_flush(arg);
}

/* Once the events at hand are handled: what they wrote goes together. */
static void
bosh_flush_later(struct http_bosh *b)
{
	struct timeval	 tv = { 0, 0 };

	if (!evtimer_pending(&b->flushev, NULL))
		evtimer_add(&b->flushev, &tv);
}

static void
bosh_idle_cb(int fd, short ev, void *arg)
{
	struct http_bosh	*b = arg;

	(void)fd;
	(void)ev;
	log_info("connection %u from %s: bosh session inactive", b->c->id,
	    b->c->addr);
	conn_close(b->c);
}

/* A held request's wait is over: it goes back empty (section 7.2). */
static void
bosh_wait_cb(int fd, short ev, void *arg)
{
	struct bosh_req		*r = arg;
	struct http_bosh	*b = r->b;

	(void)fd;
	(void)ev;
	bosh_answer(b, r, 0, NULL);
	bosh_idle_arm(b);
}

static int
bosh_cut_stanza(void *arg, struct xml_node *n)
{
	struct conn	*c = arg;

	if (xml_is(n, NS_STREAMS, "error"))
		c->bosh->cond = "remote-stream-error";
	xml_append(c->bosh->out, n);
	bosh_flush_later(c->bosh);
	return (0);
}

static int
bosh_cut_close(void *arg)
{
	struct conn	*c = arg;

	c->bosh->ended = 1;
	bosh_flush_later(c->bosh);
	return (0);
}

static void
bosh_cut_error(void *arg, int error, const char *text)
{
	struct conn	*c = arg;

	log_warnx("connection %u: output not cut into elements: %s", c->id,
	    text != NULL ? text : xml_error_name(error));
	c->bosh->failed = 1;
}

/* What the engine writes, cut into elements for the next answers. */
static int
bosh_write(struct conn *c, const char *s, size_t len)
{
	struct http_bosh	*b = c->bosh;

	if (b->ended)
		return (0);
	/* What waits for the client is bounded as a socket's output is. */
	b->outlen += len;
	bosh_quiet_arm(b);
	if (b->outlen > 4 * (size_t)stream_conf->global.limits.stanza_size +
	    65536 || xml_stream_feed(b->cut, s, len) != 0 || b->failed) {
		b->failed = 1;
		bosh_flush_later(b);
		return (-1);
	}
	return (0);
}

/* The engine starts a stream: its output is read as a new one's. */
static void
bosh_open(struct conn *c)
{
	static const char	 hdr[] = "<stream:stream xmlns='" NS_CLIENT
	    "' xmlns:stream='" NS_STREAMS "'>";

	if (xml_stream_reset(c->bosh->cut) == -1 ||
	    xml_stream_feed(c->bosh->cut, hdr, sizeof(hdr) - 1) != 0)
		c->bosh->failed = 1;
}

/* The engine ends the connection: the end is sent once written. */
static void
bosh_close(struct conn *c)
{
	c->bosh->ended = 1;
	bosh_flush_later(c->bosh);
}

static void
bosh_free(struct conn *c)
{
	struct http_bosh	*b = c->bosh;
	struct bosh_req		*r;
	size_t			 i;

	if (b == NULL)
		return;
	while ((r = TAILQ_FIRST(&b->ahead)) != NULL)
		bosh_answer(b, r, 1, b->cond);
	while ((r = TAILQ_FIRST(&b->held)) != NULL)
		bosh_answer(b, r, 1, b->cond);
	RB_REMOVE(bosh_tree, &bosh_sessions, b);
	evtimer_del(&b->idle);
	evtimer_del(&b->flushev);
	evtimer_del(&b->quiet);
	xml_stream_free(b->cut);
	xml_node_free(b->out);
	for (i = 0; i < BOSH_REQUESTS; i++)
		free(b->sent[i].data);
	free(b);
	c->bosh = NULL;
}

/* Does a <body/> carry elements (text between them is not payload)? */
static int
bosh_has_payload(struct xml_node *body)
{
	struct xml_node	*n;

	TAILQ_FOREACH(n, &body->children, entry)
		if (n->name != NULL)
			return (1);
	return (0);
}

/* A number of a <body/> attribute; -1 when absent or not one. */
static int
bosh_num(struct xml_node *body, const char *name, uint64_t max,
    uint64_t *v)
{
	const char	*s = xml_get_attr(body, name);
	char		*end;

	if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 20)
		return (-1);
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || *v > max)
		return (-1);
	return (0);
}

/* The engine reads a stream header, as a client over TCP sends one. */
static void
bosh_header(struct conn *c, const char *to, const char *version)
{
	struct xml_buf	 b;

	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, "<stream:stream xmlns='" NS_CLIENT
	    "' xmlns:stream='" NS_STREAMS "' to='") == -1 ||
	    xml_buf_escape(&b, to, strlen(to), 1) == -1 ||
	    (version != NULL && (xml_buf_addstr(&b, "' version='") == -1 ||
	    xml_buf_escape(&b, version, strlen(version), 1) == -1)) ||
	    xml_buf_addstr(&b, "'>") == -1)
		fatal("%s", __func__);
	bosh_quiet_arm(c->bosh);
	c2s_ws_input(c, b.data, b.len);
	xml_buf_free(&b);
}

/* The stanzas of a request, one by one, as stream text. */
static void
bosh_payload(struct http_bosh *b, struct xml_node *body)
{
	struct xml_node	*n;
	struct xml_buf	 buf;

	TAILQ_FOREACH(n, &body->children, entry) {
		if (n->name == NULL)
			continue;
		if (c2s_ws_header_wanted(b->c)) {
			/* Section 8 of XEP-0206: nothing before a restart. */
			b->cond = "bad-request";
			b->failed = 1;
			return;
		}
		bosh_quiet_arm(b);
		xml_buf_init(&buf, 0);
		if (xml_serialize(n, NULL, &buf) == -1)
			b->failed = 1;
		else
			c2s_ws_input(b->c, buf.data, buf.len);
		xml_buf_free(&buf);
		if (b->ended || b->failed)
			return;
	}
}

/* The attributes of a session creation response (section 7.1). */
static int
bosh_created(struct http_bosh *b, struct xml_node *body, const char *ver)
{
	struct {
		const char	*name;
		int		 v;
	} nums[] = {
		{ "wait", b->wait }, { "inactivity", BOSH_INACTIVITY },
		{ "polling", BOSH_POLLING }, { "requests", BOSH_REQUESTS },
		{ "hold", b->hold }, { "maxpause", BOSH_MAXPAUSE },
	};
	char	 num[32];
	size_t	 i;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		(void)snprintf(num, sizeof(num), "%d", nums[i].v);
		if (xml_set_attr(body, nums[i].name, num) == -1)
			return (-1);
	}
	(void)snprintf(num, sizeof(num), "%llu", (unsigned long long)b->rid);
	if ((b->ack && xml_set_attr(body, "ack", num) == -1) ||
	    xml_set_attr(body, "sid", b->sid) == -1 ||
	    xml_set_attr(body, "ver", ver) == -1 ||
	    xml_set_attr(body, "from", b->c->domain) == -1 ||
	    xml_set_attr(body, "authid", b->c->streamid) == -1 ||
	    xml_set_attr(body, "secure", "true") == -1 ||
	    xml_set_attr_ns(body, NS_XBOSH, "version", "1.0") == -1 ||
	    xml_set_attr_ns(body, NS_XBOSH, "restartlogic", "true") == -1)
		return (-1);
	return (0);
}

/* Section 6: the highest version both speak, 1.11 here. */
static const char *
bosh_ver(struct xml_node *body)
{
	static char	 ver[16];
	const char	*v = xml_get_attr(body, "ver");
	const char	*errstr;
	long long	 minor;

	if (v == NULL || strncmp(v, "1.", 2) != 0)
		return ("1.11");
	minor = strtonum(v + 2, 0, 11, &errstr);
	if (errstr != NULL)
		return ("1.11");
	(void)snprintf(ver, sizeof(ver), "1.%lld", minor);
	return (ver);
}

/* A session for r, with an unguessable sid, and its client stream. */
static struct http_bosh *
bosh_new(struct bosh_req *r)
{
	struct http_bosh	*b;
	struct xml_limits	 xl;
	struct tls		*t;
	uint8_t			 raw[BOSH_SID_BYTES];
	size_t			 i;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	if ((b->c = conn_add_io(NULL, LISTEN_CLIENT, r->addr, NULL)) ==
	    NULL) {
		free(b);
		return (NULL);
	}
	do {
		arc4random_buf(raw, sizeof(raw));
		for (i = 0; i < sizeof(raw); i++)
			(void)snprintf(b->sid + 2 * i, sizeof(b->sid) - 2 * i,
			    "%02x", raw[i]);
	} while (RB_FIND(bosh_tree, &bosh_sessions, b) != NULL);
	RB_INSERT(bosh_tree, &bosh_sessions, b);
	TAILQ_INIT(&b->held);
	TAILQ_INIT(&b->ahead);
	evtimer_set(&b->idle, bosh_idle_cb, b);
	evtimer_set(&b->flushev, bosh_flush_cb, b);
	evtimer_set(&b->quiet, bosh_quiet_cb, b);
	(void)strlcpy(b->local, r->local, sizeof(b->local));
	if ((t = http_conn_tls(r->hc)) != NULL)
		(void)snprintf(b->tls, sizeof(b->tls), "%s %s",
		    tls_conn_version(t), tls_conn_cipher(t));
	b->c->transport = &bosh_transport;
	b->c->bosh = b;
	b->c->tls = r->tls;
	stanza_limits(&stream_conf->global, &xl);
	xl.max_depth += 1;
	if ((b->out = xml_node_new(NULL, "out")) == NULL ||
	    (b->cut = xml_stream_new(&xl, &bosh_cut_cb, b->c)) == NULL) {
		conn_close(b->c);
		return (NULL);
	}
	return (b);
}

/* A new session: its stream is opened with the client's 'to'. */
static void
bosh_create(struct bosh_req *r, struct xml_node *body, const char *addr)
{
	struct limits_conf	*l = &stream_conf->global.limits;
	struct http_bosh	*b;
	struct conn		*c;
	struct xml_node		*res;
	struct xml_buf		 buf;
	const char		*to = xml_get_attr(body, "to");
	const char		*ack = xml_get_attr(body, "ack");
	uint64_t		 wait, hold, rid;
	char			 dom[CONF_NAMELEN];
	int			 maxwait;

	if (bosh_num(body, "rid", BOSH_RID_MAX, &rid) == -1 ||
	    bosh_num(body, "wait", UINT32_MAX, &wait) == -1 ||
	    bosh_num(body, "hold", UINT32_MAX, &hold) == -1) {
		bosh_refuse(r, "bad-request", "no rid, wait or hold");
		return;
	}
	/*
	 * XEP-0206 section 3: the creation request opens the stream, whose
	 * features the client has not seen yet; stanzas ride on the
	 * requests that follow.  They are refused, never dropped unsaid.
	 */
	if (bosh_has_payload(body)) {
		bosh_refuse(r, "bad-request", "stanzas in a session creation");
		return;
	}
	if (to == NULL || strlcpy(dom, to, sizeof(dom)) >= sizeof(dom) ||
	    jid_prep_domain(dom, sizeof(dom)) == -1 ||
	    config_domain(stream_conf, dom) == NULL) {
		bosh_refuse(r, "host-unknown", "not a domain served here");
		return;
	}
	if (addr_count(addr) >= l->conn_per_addr) {
		bosh_refuse(r, "policy-violation", "too many from there");
		return;
	}
	if ((b = bosh_new(r)) == NULL) {
		bosh_refuse(r, "internal-server-error", "out of memory");
		return;
	}
	c = b->c;
	b->rid = r->rid = rid;
	b->ack = ack != NULL && strcmp(ack, "1") == 0;
	/* Held requests must end before the connection's idle time. */
	maxwait = l->http_idle_timeout - 1 < BOSH_WAIT_MAX ?
	    l->http_idle_timeout - 1 : BOSH_WAIT_MAX;
	b->wait = wait < (uint64_t)maxwait ? (int)wait : maxwait;
	if (b->wait < 1)
		b->wait = 1;
	b->hold = hold < BOSH_HOLD ? (int)hold : BOSH_HOLD;
	log_info("connection %u from %s: bosh session", c->id, addr);
	c2s_start(c);
	bosh_header(c, dom, xml_get_attr_ns(body, NS_XBOSH, "version"));
	xml_buf_init(&buf, 0);
	if (b->ended || b->failed || (res = bosh_body(b, r, 0, NULL)) == NULL) {
		/* The stream refused the header: its error says why. */
		TAILQ_INSERT_TAIL(&b->held, r, entry);
		r->q = &b->held;
		r->b = b;
		b->ended = 1;
		bosh_end(b);
		return;
	}
	if (bosh_created(b, res, bosh_ver(body)) == -1 ||
	    xml_serialize(res, NULL, &buf) == -1)
		fatal("%s", __func__);
	xml_node_free(res);
	bosh_keep(b, rid, buf.data, buf.len);
	bosh_send(r, buf.data, buf.len);
	xml_buf_free(&buf);
	bosh_idle_arm(b);
}

/* r waits in q, in rid order. */
static void
bosh_queue(struct http_bosh *b, struct bosh_reqs *q, struct bosh_req *r)
{
	struct bosh_req	*o;

	r->b = b;
	r->q = q;
	TAILQ_FOREACH(o, q, entry)
		if (o->rid > r->rid) {
			TAILQ_INSERT_BEFORE(o, r, entry);
			return;
		}
	TAILQ_INSERT_TAIL(q, r, entry);
}

/* The session ends on a request's error, which is answered with it. */
static void
bosh_fail(struct http_bosh *b, struct bosh_req *r, const char *cond,
    const char *why)
{
	if (r->q == NULL)
		bosh_queue(b, &b->held, r);
	bosh_terminate(b, cond, why);
}

static int
bosh_count(struct bosh_reqs *q)
{
	struct bosh_req	*r;
	int		 n = 0;

	TAILQ_FOREACH(r, q, entry)
		n++;
	return (n);
}

/* Polling too often (section 12), in a session that holds nothing. */
static int
bosh_poll_early(struct http_bosh *b, struct xml_node *body)
{
	struct timespec	 now;
	int		 early;

	if (bosh_has_payload(body))
		return (0);
	clock_gettime(CLOCK_MONOTONIC, &now);
	early = b->polled.tv_sec != 0 &&
	    now.tv_sec - b->polled.tv_sec < BOSH_POLLING;
	b->polled = now;
	return (early);
}

/* The next request in rid order: its content goes to the engine. */
static void
bosh_process(struct http_bosh *b, struct bosh_req *r)
{
	struct xml_node	*body = r->node;
	const char	*type = xml_get_attr(body, "type");
	const char	*restart = xml_get_attr_ns(body, NS_XBOSH, "restart");
	struct timeval	 tv = { b->wait, 0 };
	uint64_t	 pause;

	b->rid = r->rid;
	b->pause = 0;
	if (r->q != NULL)
		TAILQ_REMOVE(r->q, r, entry);
	bosh_queue(b, &b->held, r);
	evtimer_set(&r->wait, bosh_wait_cb, r);
	evtimer_add(&r->wait, &tv);
	if (b->ended)
		return;
	if (xml_get_attr(body, "pause") != NULL) {
		if (bosh_num(body, "pause", BOSH_MAXPAUSE, &pause) == -1)
			bosh_terminate(b, "policy-violation", "bad pause");
		else
			b->pause = pause > 0 ? (int)pause : 1;
		bosh_flush_later(b);
		return;
	}
	if (b->hold == 0 && bosh_poll_early(b, body)) {
		bosh_terminate(b, "policy-violation", "polling too often");
		return;
	}
	if (restart != NULL) {
		if (strcmp(restart, "true") != 0 ||
		    !c2s_ws_header_wanted(b->c)) {
			bosh_terminate(b, "bad-request", "restart out of turn");
			return;
		}
		bosh_header(b->c, b->c->domain, "1.0");
	}
	bosh_payload(b, body);
	if (type != NULL && strcmp(type, "terminate") == 0 && !b->ended) {
		if (c2s_ws_header_wanted(b->c))
			bosh_terminate(b, NULL, "terminated by the client");
		else
			c2s_ws_input(b->c, "</stream:stream>", 16);
	} else if (b->failed)
		bosh_terminate(b, b->cond, "bad payload");
	bosh_flush_later(b);
}

/* Held past 'hold': the oldest go back with what there is. */
static void
bosh_unhold(struct http_bosh *b)
{
	while (!b->ended && bosh_count(&b->held) > b->hold)
		bosh_answer(b, TAILQ_FIRST(&b->held), 0, NULL);
}

/* A repeated rid (section 9.3): resent, or taking a held one's place. */
static void
bosh_repeat(struct http_bosh *b, struct bosh_req *r)
{
	struct bosh_sent	*s = &b->sent[r->rid % BOSH_REQUESTS];
	struct bosh_req		*o;
	struct timeval		 tv = { b->wait, 0 };

	TAILQ_FOREACH(o, &b->held, entry)
		if (o->rid == r->rid)
			break;
	if (o != NULL) {
		TAILQ_INSERT_BEFORE(o, r, entry);
		r->b = b;
		r->q = &b->held;
		evtimer_set(&r->wait, bosh_wait_cb, r);
		evtimer_add(&r->wait, &tv);
		o->q = NULL;
		TAILQ_REMOVE(&b->held, o, entry);
		o->b = NULL;
		bosh_answer(NULL, o, 0, NULL);
		return;
	}
	if (s->data != NULL && s->rid == r->rid) {
		log_debug("connection %u: bosh answer %llu sent again",
		    b->c->id, (unsigned long long)r->rid);
		bosh_send(r, s->data, s->len);
		return;
	}
	bosh_fail(b, r, "item-not-found", "a rid answered and let go");
}

/* A request of an open session, by its rid (section 9). */
static void
bosh_request(struct http_bosh *b, struct bosh_req *r)
{
	struct bosh_req	*o;
	uint64_t	 rid;

	if (bosh_num(r->node, "rid", BOSH_RID_MAX, &rid) == -1) {
		bosh_fail(b, r, "bad-request", "no rid");
		return;
	}
	r->rid = rid;
	evtimer_del(&b->idle);
	if (b->ended) {
		bosh_fail(b, r, b->cond, "ended");
		return;
	}
	if (rid <= b->rid) {
		bosh_repeat(b, r);
		return;
	}
	if (rid > b->rid + BOSH_REQUESTS) {
		bosh_fail(b, r, "item-not-found", "rid past the window");
		return;
	}
	TAILQ_FOREACH(o, &b->ahead, entry)
		if (o->rid == rid) {
			bosh_fail(b, r, "bad-request", "rid twice ahead");
			return;
		}
	if (bosh_count(&b->held) + bosh_count(&b->ahead) + 1 >
	    BOSH_REQUESTS) {
		bosh_fail(b, r, "policy-violation", "too many requests");
		return;
	}
	if (rid > b->rid + 1) {
		log_debug("connection %u: bosh rid %llu waits for %llu",
		    b->c->id, (unsigned long long)rid,
		    (unsigned long long)b->rid + 1);
		bosh_queue(b, &b->ahead, r);
		return;
	}
	bosh_queue(b, &b->ahead, r);
	bosh_go(b);
}

/* Over its rate, or stopped by the router: input waits, as a socket's. */
static int
bosh_stopped(struct conn *c)
{
	return (c->flow_stopped || evtimer_pending(&c->ratev, NULL));
}

/* The requests next in rid order are handled, unless input waits. */
static void
bosh_go(struct http_bosh *b)
{
	struct bosh_req	*o;

	while (!b->ended && (o = TAILQ_FIRST(&b->ahead)) != NULL &&
	    o->rid == b->rid + 1) {
		if (bosh_stopped(b->c)) {
			log_debug("connection %u: bosh rid %llu waits for its "
			    "rate", b->c->id, (unsigned long long)o->rid);
			return;
		}
		bosh_process(b, o);
	}
	bosh_unhold(b);
}

static void
bosh_resume(struct conn *c)
{
	bosh_flush_later(c->bosh);
}

/*
 * A request to /http-bind: a POST with a body (read next, 0), or a
 * CORS preflight, answered; -1 to close.  tls and local name the
 * listener, addr the client.
 */
int
http_bosh_request(struct http_conn *hc, struct http_request *req, int tls,
    const char *local, const char *addr, struct bosh_req **slot)
{
	const char	*origin = http_header(req, "Origin");
	int64_t		 max = stream_conf->global.limits.stanza_size +
	    BOSH_BODY_EXTRA;
	struct bosh_req	*r;

	if (req->method == HTTP_M_OPTIONS) {
		if (http_response_begin(hc, 204, NULL) == -1 ||
		    http_web_cors(hc, origin) == -1 ||
		    http_response_header(hc, "Access-Control-Allow-Methods",
		    "POST, OPTIONS") == -1 ||
		    http_response_header(hc, "Access-Control-Allow-Headers",
		    "Content-Type") == -1 ||
		    http_response_header(hc, "Access-Control-Max-Age",
		    "86400") == -1 || http_response_end(hc) == -1)
			return (-1);
		return (0);
	}
	if (req->method != HTTP_M_POST)
		return (http_error(hc, 405) == -1 ? -1 : 0);
	if (req->content_length <= 0)
		return (http_error(hc, 400) == -1 ? -1 : 0);
	if (req->content_length > max) {
		log_info("bosh request from %s refused: body of %lld bytes",
		    addr, (long long)req->content_length);
		return (http_error(hc, 413) == -1 ? -1 : 0);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->body = malloc(req->content_length)) == NULL) {
		free(r);
		return (-1);
	}
	r->max = req->content_length;
	r->hc = hc;
	r->tls = tls;
	(void)strlcpy(r->local, local, sizeof(r->local));
	(void)strlcpy(r->addr, addr, sizeof(r->addr));
	if (origin != NULL && strlen(origin) < sizeof(r->origin))
		(void)strlcpy(r->origin, origin, sizeof(r->origin));
	evtimer_set(&r->wait, bosh_wait_cb, r);
	r->slot = slot;
	*slot = r;
	return (0);
}

int
http_bosh_body(struct bosh_req *r, const void *data, size_t len)
{
	if (len > r->max - r->len)
		return (-1);
	memcpy(r->body + r->len, data, len);
	r->len += len;
	return (0);
}

/* The body is in: one <body/> of the httpbind namespace (section 7). */
int
http_bosh_done(struct bosh_req *r)
{
	struct xml_limits	 l;
	struct http_bosh	 key, *b;
	const char		*sid;

	stanza_limits(&stream_conf->global, &l);
	l.stanza_size = r->max + 16;
	l.max_depth += 1;
	if ((r->node = xml_parse_fragment(r->body, r->len, &l,
	    NS_HTTPBIND)) == NULL || !xml_is(r->node, NS_HTTPBIND, "body")) {
		bosh_refuse(r, "bad-request", "not one <body/>");
		return (0);
	}
	if ((sid = xml_get_attr(r->node, "sid")) == NULL) {
		bosh_create(r, r->node, r->addr);
		return (0);
	}
	if (strlcpy(key.sid, sid, sizeof(key.sid)) >= sizeof(key.sid) ||
	    (b = RB_FIND(bosh_tree, &bosh_sessions, &key)) == NULL ||
	    strcmp(b->local, r->local) != 0) {
		bosh_refuse(r, "item-not-found", "unknown sid");
		return (0);
	}
	bosh_request(b, r);
	return (0);
}

/* The connection of r is gone. */
void
http_bosh_closed(struct bosh_req *r)
{
	struct http_bosh	*b = r->b;

	r->slot = NULL;
	bosh_req_free(r);
	if (b != NULL)
		bosh_idle_arm(b);
}

/*
 * The stream process stops (its event loop has ended): each session's
 * waiting requests are answered with a terminate of system-shutdown
 * (XEP-0124 section 17), and what that wrote goes out in one last pass
 * of the loop, before the process exits with the sessions.
 */
void
http_bosh_shutdown(void)
{
	struct http_bosh	*b;
	struct bosh_req		*r;
	int			 n = 0;

	RB_FOREACH(b, bosh_tree, &bosh_sessions) {
		b->ended = 1;
		b->cond = "system-shutdown";
		while ((r = TAILQ_FIRST(&b->ahead)) != NULL) {
			bosh_answer(b, r, 1, b->cond);
			n++;
		}
		while ((r = TAILQ_FIRST(&b->held)) != NULL) {
			bosh_answer(b, r, 1, b->cond);
			n++;
		}
	}
	if (n > 0) {
		log_debug("%s: %d bosh requests answered", __func__, n);
		(void)event_loop(EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
}

/* The TLS the session was made with, for xmppctl show sessions. */
void
http_bosh_tls(struct conn *c, char *buf, size_t len)
{
	(void)strlcpy(buf, c->bosh != NULL ? c->bosh->tls : "", len);
}
