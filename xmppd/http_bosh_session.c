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
 * BOSH (XEP-0124, XEP-0206) in the stream process: a session's life.
 * Each session is a client stream that c2s.c runs as over TCP, indexed
 * here by its sid.  What the engine writes is cut into elements that
 * wait for a held request (http_bosh.c) to carry them back; the session
 * ends with a terminate, on its inactivity as a dropped connection, or
 * with the process, answering what it holds.  A quiet session gives its
 * parsers back.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

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
#include "http_bosh_session.h"
#include "http_web.h"
#include "log.h"
#include "stanza.h"
#include "stream.h"
#include "xml.h"

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
static int	bosh_cut_stanza(void *, struct xml_node *);
static int	bosh_cut_close(void *);
static void	bosh_cut_error(void *, int, const char *);
static void	bosh_flush(struct http_bosh *);

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

void
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

void
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

void
bosh_quiet_arm(struct http_bosh *b)
{
	struct timeval	 tv = { BOSH_QUIET, 0 };

	evtimer_add(&b->quiet, &tv);
}

/* Section 7: the answer's <body/>, with its payload moved in. */
struct xml_node *
bosh_reply(struct http_bosh *b, struct bosh_req *r, int terminate,
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
void
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
void
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
void
bosh_answer(struct http_bosh *b, struct bosh_req *r, int terminate,
    const char *cond)
{
	struct http_conn	*hc;
	struct xml_node		*body;
	struct xml_buf		 buf;

	xml_buf_init(&buf, 0);
	if ((body = bosh_reply(b, r, terminate, cond)) == NULL ||
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

/*
 * The session ends with cond (section 17): the requests waiting are
 * answered, the last with the terminate, and the stream goes as a
 * dropped connection's.
 */
void
bosh_terminate(struct http_bosh *b, const char *cond, const char *why)
{
	log_info("connection %u from %s: bosh session ended: %s", b->c->id,
	    b->c->addr, why);
	/* For the line the session's end logs (conn_close). */
	if (cond == NULL)
		conn_end(b->c, "stream closed by client");
	else
		conn_end_error(b->c, cond);
	if (!b->ended)
		b->cond = cond;
	b->ended = 1;
	bosh_flush_later(b);
}

void
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
void
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
	conn_end(b->c, "timeout");
	conn_close(b->c);
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

static void
bosh_resume(struct conn *c)
{
	bosh_flush_later(c->bosh);
}

/* The engine reads a stream header, as a client over TCP sends one. */
void
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

/* The attributes of a session creation response (section 7.1). */
int
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

/* A session for r, with an unguessable sid, and its client stream. */
struct http_bosh *
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

/* The session of a sid, or NULL. */
struct http_bosh *
bosh_find(const char *sid)
{
	struct http_bosh	 key;

	if (strlcpy(key.sid, sid, sizeof(key.sid)) >= sizeof(key.sid))
		return (NULL);
	return (RB_FIND(bosh_tree, &bosh_sessions, &key));
}
