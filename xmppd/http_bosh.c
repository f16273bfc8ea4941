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
 * BOSH (XEP-0124, XEP-0206) at /http-bind, in the stream process: the
 * requests.  A POST's <body/> makes a session (http_bosh_session.c) or
 * feeds the one its sid names, on any connection of the listener that
 * made it: its stanzas go to the engine as stream text, in rid order,
 * within the rid window; a request is held until the session has
 * something to send back or its wait is over, and a repeated rid gets
 * its kept answer.  Session creation and xmpp:restart become stream
 * headers, type='terminate' the stream's end.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "http.h"
#include "http_bosh.h"
#include "http_bosh_session.h"
#include "http_web.h"
#include "jid.h"
#include "log.h"
#include "stanza.h"
#include "stream.h"
#include "xml.h"

static void	bosh_wait_cb(int, short, void *);

/* A refusal outside any session: nothing else is touched. */
static void
bosh_refuse(struct bosh_req *r, const char *cond, const char *why)
{
	log_info("bosh request from %s refused: %s", r->addr, why);
	bosh_answer(NULL, r, 1, cond);
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

	if (bosh_body_num(body, "rid", BOSH_RID_MAX, &rid) == -1 ||
	    bosh_body_num(body, "wait", UINT32_MAX, &wait) == -1 ||
	    bosh_body_num(body, "hold", UINT32_MAX, &hold) == -1) {
		bosh_refuse(r, "bad-request", "no rid, wait or hold");
		return;
	}
	/*
	 * XEP-0206 section 3: the creation request opens the stream, whose
	 * features the client has not seen yet; stanzas ride on the
	 * requests that follow.  They are refused, never dropped unsaid.
	 */
	if (bosh_body_payload(body)) {
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
	if (b->ended || b->failed || (res = bosh_reply(b, r, 0, NULL)) == NULL) {
		/* The stream refused the header: its error says why. */
		TAILQ_INSERT_TAIL(&b->held, r, entry);
		r->q = &b->held;
		r->b = b;
		b->ended = 1;
		bosh_end(b);
		return;
	}
	if (bosh_created(b, res, bosh_body_ver(body)) == -1 ||
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

	if (bosh_body_payload(body))
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
		if (bosh_body_num(body, "pause", BOSH_MAXPAUSE, &pause) == -1)
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
		/* XEP-0206 section 5: the restart request's body MUST be empty. */
		if (bosh_body_payload(body)) {
			bosh_terminate(b, "bad-request", "stanzas in a restart");
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

	if (bosh_body_num(r->node, "rid", BOSH_RID_MAX, &rid) == -1) {
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
void
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
	struct http_bosh	*b;
	const char		*sid;

	stanza_limits(&stream_conf->global, &l);
	if ((r->node = bosh_body_parse(r->body, r->len, &l)) == NULL) {
		bosh_refuse(r, "bad-request", "not one <body/>");
		return (0);
	}
	if ((sid = xml_get_attr(r->node, "sid")) == NULL) {
		bosh_create(r, r->node, r->addr);
		return (0);
	}
	if ((b = bosh_find(sid)) == NULL || strcmp(b->local, r->local) != 0) {
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
