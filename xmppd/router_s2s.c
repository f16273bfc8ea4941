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
 * Federation, the router's side.  Outbound: a link per (local domain,
 * remote domain), whose stanzas wait in a bounded queue while the
 * resolver finds the servers and a stream process connects and
 * authenticates; they bounce when that fails.  Inbound: the (from, to)
 * pairs each stream proved; a stanza from anything else is dropped
 * (the stream checked it: this is the second look, failing closed),
 * and a remote sender is, to the router's features, what a component
 * is: a sender the session paths accept.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "resolver.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

struct s2s_queued {
	TAILQ_ENTRY(s2s_queued)	 entry;
	struct stanza_msg	 m;
};

struct s2s_out {
	TAILQ_ENTRY(s2s_out)	 entry;
	uint32_t		 id;
	int			 mode;		/* enum s2s_mode */
	char			 local[CONF_NAMELEN];
	char			 remote[CONF_NAMELEN];
	uint32_t		 resolving;	/* resolve id, 0: not */
	int			 up;
	int			 stream;
	uint32_t		 conn;
	TAILQ_HEAD(, s2s_queued) queue;
	int			 nqueue;
	char			 streamid[S2S_STREAMID_LEN];	/* verify */
	char			 key[S2S_KEY_LEN];
	void			(*verified)(void *, int);
	void			*arg;
	int			 auth;		/* enum s2s_auth */
	char			 tls[64];
	time_t			 since;
	uint64_t		 out;
};

struct s2s_in {
	TAILQ_ENTRY(s2s_in)	 entry;
	int			 stream;
	uint32_t		 conn;
	char			 local[CONF_NAMELEN];
	char			 remote[CONF_NAMELEN];
	int			 auth;		/* enum s2s_auth */
	char			 tls[64];
	time_t			 since;
	uint64_t		 in;
};

static TAILQ_HEAD(, s2s_out)	 s2s_outs = TAILQ_HEAD_INITIALIZER(s2s_outs);
static TAILQ_HEAD(, s2s_in)	 s2s_ins = TAILQ_HEAD_INITIALIZER(s2s_ins);
static uint32_t			 s2s_next_id;

static struct s2s_out *
s2s_out_find_id(uint32_t id)
{
	struct s2s_out	*o;

	TAILQ_FOREACH(o, &s2s_outs, entry)
		if (o->id == id)
			return (o);
	return (NULL);
}

static char *
s2s_dup(const char *s)
{
	char	*d;

	if ((d = strdup(s != NULL ? s : "")) == NULL)
		fatal("%s", __func__);
	return (d);
}

/* A stanza kept while its link comes up. */
static void
s2s_enqueue(struct s2s_out *o, struct stanza_msg *m)
{
	struct s2s_queued	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("%s", __func__);
	q->m.session = m->session;
	q->m.kind = m->kind;
	q->m.type = s2s_dup(m->type);
	q->m.id = s2s_dup(m->id);
	q->m.to = s2s_dup(m->to);
	q->m.from = s2s_dup(m->from);
	if ((q->m.xml = malloc(m->xmllen + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(q->m.xml, m->xml, m->xmllen);
	q->m.xml[m->xmllen] = '\0';
	q->m.xmllen = m->xmllen;
	TAILQ_INSERT_TAIL(&o->queue, q, entry);
	o->nqueue++;
}

/*
 * The sender of m, if still here, learns why it went nowhere.  Presence
 * the server sent as the account (subscriptions, probes) is told to
 * the account's available resources; a room's stanza, to mucd.
 */
static void
s2s_bounce(struct stanza_msg *m, const char *cond)
{
	struct session	*s;
	struct user	*u;

	if (muc_jid(m->from)) {
		/* A room's: mucd drops an occupant it cannot reach. */
		muc_unreachable(m, cond);
		return;
	}
	if ((s = session_find_full(m->from)) != NULL) {
		router_bounce(s, m, "cancel", cond);
		return;
	}
	if (m->kind != STANZA_PRESENCE ||
	    (u = session_find_user(m->from)) == NULL)
		return;
	TAILQ_FOREACH(s, &u->sessions, user_entry)
		if (s->available)
			router_bounce(s, m, "cancel", cond);
}

static void
s2s_out_free(struct s2s_out *o, const char *cond)
{
	struct s2s_queued	*q;

	if (o->resolving)
		resolve_cancel(o->resolving);
	while ((q = TAILQ_FIRST(&o->queue)) != NULL) {
		TAILQ_REMOVE(&o->queue, q, entry);
		if (cond != NULL)
			s2s_bounce(&q->m, cond);
		stanza_msg_clear(&q->m);
		free(q);
	}
	if (o->verified != NULL)
		o->verified(o->arg, 0);
	TAILQ_REMOVE(&s2s_outs, o, entry);
	free(o);
}

/* The stream process a remote domain's links go to. */
static int
s2s_stream_of(const char *domain)
{
	uint32_t	 h = 5381;
	int		 n = proc_self.npeers[PROC_STREAM];

	while (*domain != '\0')
		h = h * 33 + (unsigned char)*domain++;
	return (n > 0 ? (int)(h % (uint32_t)n) : 0);
}

static void
s2s_resolved(void *arg, struct resolve_result *res,
    struct resolve_candidate *c)
{
	struct s2s_out		*o = arg;
	struct s2s_connect	 sc;
	struct domain_conf	*d;
	struct imsgev		*iev;
	struct iovec		 iov[2];

	o->resolving = 0;
	if (res->status != RESOLVE_OK) {
		log_info("s2s to %s: %s", o->remote,
		    resolve_status_text(res->status));
		s2s_out_free(o, "remote-server-not-found");
		return;
	}
	o->stream = s2s_stream_of(o->remote);
	if ((iev = proc_peer(PROC_STREAM, o->stream)) == NULL) {
		s2s_out_free(o, "remote-server-timeout");
		return;
	}
	memset(&sc, 0, sizeof(sc));
	(void)strlcpy(sc.local, o->local, sizeof(sc.local));
	(void)strlcpy(sc.remote, o->remote, sizeof(sc.remote));
	sc.mode = o->mode;
	sc.require_cert = config_federated(proc_self.conf, o->local, &d) &&
	    d != NULL && d->federation_certs;
	(void)strlcpy(sc.streamid, o->streamid, sizeof(sc.streamid));
	(void)strlcpy(sc.key, o->key, sizeof(sc.key));
	sc.ncandidates = res->ncandidates;
	iov[0].iov_base = &sc;
	iov[0].iov_len = sizeof(sc);
	iov[1].iov_base = c;
	iov[1].iov_len = res->ncandidates * sizeof(*c);
	imsgev_composev(iev, IMSG_S2S_CONNECT, o->id, 0, -1, iov, 2);
	explicit_bzero(&sc, sizeof(sc));
}

static struct s2s_out *
s2s_out_new(const char *local, const char *remote, int mode)
{
	struct s2s_out	*o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("%s", __func__);
	do {
		s2s_next_id++;
	} while (s2s_next_id == 0 || s2s_out_find_id(s2s_next_id) != NULL);
	o->id = s2s_next_id;
	o->mode = mode;
	(void)strlcpy(o->local, local, sizeof(o->local));
	(void)strlcpy(o->remote, remote, sizeof(o->remote));
	TAILQ_INIT(&o->queue);
	TAILQ_INSERT_TAIL(&s2s_outs, o, entry);
	o->resolving = resolve_s2s(remote, s2s_resolved, o);
	return (o);
}

/*
 * Ask remote's authoritative server whether key is the one it made for
 * local on stream id (XEP-0220 section 2.3): cb(arg, 1) when it says
 * so, cb(arg, 0) for anything else.  Always over a fresh link.
 */
void
s2s_verify(const char *local, const char *remote, const char *streamid,
    const char *key, void (*cb)(void *, int), void *arg)
{
	struct s2s_out	*o;

	o = s2s_out_new(local, remote, S2S_MODE_VERIFY);
	(void)strlcpy(o->streamid, streamid, sizeof(o->streamid));
	(void)strlcpy(o->key, key, sizeof(o->key));
	o->verified = cb;
	o->arg = arg;
}

static int
s2s_send(struct s2s_out *o, struct stanza_msg *m, struct imsg *imsg)
{
	struct imsgev	*iev;

	if ((iev = proc_peer(PROC_STREAM, o->stream)) == NULL)
		return (-1);
	o->out++;
	if (imsg != NULL)
		return (imsgev_forward(iev, imsg, o->conn));
	return (stanza_send_msg(iev, o->conn, m));
}

/*
 * m, from local (ours) to remote: on its link, or queued while the link
 * comes up.  NULL, or the condition it bounces with.
 */
static const char *
s2s_out_queue(const char *local, const char *remote, struct stanza_msg *m,
    struct imsg *imsg)
{
	struct s2s_out	*o;

	TAILQ_FOREACH(o, &s2s_outs, entry)
		if (o->mode == S2S_MODE_STANZAS &&
		    strcmp(o->remote, remote) == 0 &&
		    strcmp(o->local, local) == 0)
			break;
	if (o != NULL && o->up)
		return (s2s_send(o, m, imsg) == -1 ?
		    "remote-server-timeout" : NULL);
	if (o == NULL)
		o = s2s_out_new(local, remote, S2S_MODE_STANZAS);
	if (o->nqueue >= proc_self.conf->global.limits.server_queue)
		return ("resource-constraint");
	s2s_enqueue(o, m);
	return (NULL);
}

/*
 * A stanza a muc service of ours sends to a remote JID, as mucd sent
 * it: over the link from the service's domain.  NULL, or the condition
 * it bounces with.
 */
const char *
s2s_forward(struct stanza_msg *m, struct imsg *imsg)
{
	struct jid		 from, to;
	struct domain_conf	*d;

	if (jid_parse(m->from, &from) == -1 || jid_parse(m->to, &to) == -1 ||
	    !config_federated(proc_self.conf, from.domain, &d) ||
	    config_federated(proc_self.conf, to.domain, &d))
		return ("jid-malformed");
	return (s2s_out_queue(from.domain, to.domain, m, imsg));
}

/* A stanza from session from to a remote domain. */
void
s2s_route(struct session *from, struct stanza_msg *m, struct imsg *imsg)
{
	struct jid	 to;
	const char	*cond;

	if (jid_parse(m->to, &to) == -1) {
		router_bounce(from, m, "modify", "jid-malformed");
		return;
	}
	if ((cond = s2s_out_queue(from->user->domain, to.domain, m,
	    imsg)) != NULL)
		router_bounce(from, m, "wait", cond);
}

/*
 * What the router itself sends a remote sender (an IQ's answer, a
 * stanza error): back over federation, from the domain of ours it
 * names to the remote domain it names, or nowhere (fail closed).
 */
int
s2s_send_node(struct xml_node *n)
{
	struct stanza_msg	 m;
	struct xml_buf		 b;
	struct jid		 from, to;
	const char		*f = xml_get_attr(n, "from");
	const char		*t = xml_get_attr(n, "to");
	const char		*v;
	struct domain_conf	*d;

	if (f == NULL || t == NULL || jid_parse(f, &from) == -1 ||
	    jid_parse(t, &to) == -1 ||
	    !config_federated(proc_self.conf, from.domain, &d) ||
	    config_federated(proc_self.conf, to.domain, &d) ||
	    stanza_kind(n) == -1)
		return (-1);
	xml_buf_init(&b, 0);
	if (xml_serialize_as(n, n->ns, NS_CLIENT, &b) == -1 ||
	    xml_buf_add(&b, "", 1) == -1) {
		xml_buf_free(&b);
		return (-1);
	}
	memset(&m, 0, sizeof(m));
	m.kind = stanza_kind(n);
	m.type = (v = xml_get_attr(n, "type")) != NULL ? (char *)v : "";
	m.id = (v = xml_get_attr(n, "id")) != NULL ? (char *)v : "";
	m.to = (char *)t;
	m.from = (char *)f;
	m.xml = b.data;
	m.xmllen = b.len - 1;
	if ((v = s2s_out_queue(from.domain, to.domain, &m, NULL)) != NULL) {
		/* The domain failed a moment ago: its sender hears it now. */
		log_info("s2s: a %s from %s to %s not sent", stanza_kinds[m.kind],
		    f, t);
		s2s_bounce(&m, v);
		xml_buf_free(&b);
		return (-1);
	}
	xml_buf_free(&b);
	return (0);
}

/*
 * Presence the router sends for a user of ours to a remote JID (a
 * subscription stanza, a broadcast, a probe or its answer): xml, which
 * names the user as its from, with its to set to that JID.  -1 when it
 * cannot go.
 */
int
s2s_send_presence(const char *xml, const char *to)
{
	struct xml_node	*n;
	int		 r = -1;

	if (xml == NULL ||
	    (n = router_parse(xml, strlen(xml), NS_CLIENT)) == NULL)
		return (-1);
	if (xml_set_attr(n, "to", to) == 0)
		r = s2s_send_node(n);
	xml_node_free(n);
	return (r);
}

/* Is jid on a remote domain, one federation reaches? */
int
s2s_remote_jid(const char *jid)
{
	struct jid	 j;

	return (jid_parse(jid, &j) == 0 &&
	    config_domain(proc_self.conf, j.domain) == NULL &&
	    !muc_jid(jid) && !upload_jid(jid) && !component_jid(jid));
}

static void
s2s_out_up(struct imsgev *iev, struct s2s_out *o, struct s2s_link *l)
{
	struct s2s_queued	*q;

	o->up = 1;
	o->stream = iev->instance;
	o->conn = l->conn;
	o->auth = l->auth;
	(void)strlcpy(o->tls, l->tls, sizeof(o->tls));
	o->since = time(NULL);
	while ((q = TAILQ_FIRST(&o->queue)) != NULL) {
		TAILQ_REMOVE(&o->queue, q, entry);
		if (s2s_send(o, &q->m, NULL) == -1)
			s2s_bounce(&q->m, "remote-server-timeout");
		stanza_msg_clear(&q->m);
		free(q);
	}
	o->nqueue = 0;
}

/*
 * May remote be the peer of an inbound pair: a domain no part of this
 * server serves (ours, a muc or upload service, a component)?  Only
 * the stream proves who the peer is; the router keeps it from being
 * one of those.
 */
static int
s2s_in_remote_ok(const char *remote)
{
	struct domain_conf	*d;

	return (!config_federated(proc_self.conf, remote, &d) &&
	    config_component(proc_self.conf, remote) == NULL &&
	    !upload_jid(remote) && !muc_jid(remote));
}

/* -1: a message no stream writes, or about another stream's link. */
static int
s2s_link(struct imsgev *iev, struct imsg *imsg)
{
	struct s2s_link	 l;
	struct s2s_out	*o;
	struct s2s_in	*in;
	struct domain_conf	*d;

	if (imsg_get_data(imsg, &l, sizeof(l)) == -1) {
		log_warnx("%s: bad message from stream %d", __func__,
		    iev->instance);
		return (-1);
	}
	l.local[sizeof(l.local) - 1] = l.remote[sizeof(l.remote) - 1] = '\0';
	l.tls[sizeof(l.tls) - 1] = '\0';
	if (imsg_get_type(imsg) == IMSG_S2S_IN_UP) {
		/* The stream authenticated the pair: for a domain of ours. */
		if (!config_federated(proc_self.conf, l.local, &d) ||
		    !s2s_in_remote_ok(l.remote)) {
			log_warnx("s2s: stream %d: a pair %s to %s refused",
			    iev->instance, l.remote, l.local);
			return (0);
		}
		if ((in = calloc(1, sizeof(*in))) == NULL)
			fatal("%s", __func__);
		in->stream = iev->instance;
		in->conn = imsg_get_id(imsg);
		(void)strlcpy(in->local, l.local, sizeof(in->local));
		(void)strlcpy(in->remote, l.remote, sizeof(in->remote));
		in->auth = l.auth;
		(void)strlcpy(in->tls, l.tls, sizeof(in->tls));
		in->since = time(NULL);
		TAILQ_INSERT_TAIL(&s2s_ins, in, entry);
		return (0);
	}
	if ((o = s2s_out_find_id(imsg_get_id(imsg))) == NULL ||
	    o->resolving != 0)
		return (0);
	/* A link is the one stream's the router asked to make it. */
	if (o->stream != iev->instance) {
		log_warnx("s2s: stream %d: link %u to %s is stream %d's",
		    iev->instance, o->id, o->remote, o->stream);
		return (-1);
	}
	if (o->up && imsg_get_type(imsg) == IMSG_S2S_OUT_UP)
		return (0);
	if (imsg_get_type(imsg) == IMSG_S2S_OUT_UP && o->mode ==
	    S2S_MODE_STANZAS)
		s2s_out_up(iev, o, &l);
	else if (imsg_get_type(imsg) == IMSG_S2S_OUT_DOWN)
		s2s_out_free(o, l.status == S2S_FAIL_CONNECT ?
		    "remote-server-timeout" : "remote-server-not-found");
	return (0);
}

/*
 * A link's stream ends (idle, or the peer closed its stream): stanzas
 * for its domain stop going to it now, and a new link carries the
 * next.  The stream closes on IMSG_S2S_OUT_CLOSE, which follows
 * whatever was sent to it before, so nothing is written to a stream
 * already closed.
 */
static int
s2s_link_ending(struct imsgev *iev, struct imsg *imsg)
{
	struct s2s_link	 l;
	struct s2s_out	*o;

	if (imsg_get_data(imsg, &l, sizeof(l)) == -1) {
		log_warnx("%s: bad message from stream %d", __func__,
		    iev->instance);
		return (-1);
	}
	if ((o = s2s_out_find_id(imsg_get_id(imsg))) != NULL && o->up &&
	    o->stream == iev->instance && o->conn == l.conn)
		s2s_out_free(o, NULL);	/* nothing waits on a link up */
	imsgev_compose(iev, IMSG_S2S_OUT_CLOSE, l.conn, 0, -1, NULL, 0);
	return (0);
}

static void
s2s_in_down(int stream, uint32_t conn)
{
	struct s2s_in	*in, *next;

	TAILQ_FOREACH_SAFE(in, &s2s_ins, entry, next)
		if (in->stream == stream && (conn == 0 || in->conn == conn)) {
			TAILQ_REMOVE(&s2s_ins, in, entry);
			free(in);
		}
}

/* Is (stream, conn) an inbound s2s stream? */
static int
s2s_in_conn(int stream, uint32_t conn)
{
	struct s2s_in	*in;

	TAILQ_FOREACH(in, &s2s_ins, entry)
		if (in->stream == stream && in->conn == conn)
			return (1);
	return (0);
}

static struct s2s_in *
s2s_in_allowed(int stream, uint32_t conn, const char *from, const char *to)
{
	struct s2s_in	*in;

	TAILQ_FOREACH(in, &s2s_ins, entry)
		if (in->stream == stream && in->conn == conn &&
		    strcmp(in->remote, from) == 0 &&
		    strcmp(in->local, to) == 0)
			return (in);
	return (NULL);
}


/*
 * What only a server writes for its own users, in a message from a
 * remote sender: a carbon (XEP-0280 section 11: copies come from the
 * user's own bare JID, which no remote server speaks for), and an
 * archive's <result/> (XEP-0313 section 4.2) except in the shape of
 * an answer, from an archive's bare JID to the full JID that asked.
 * Neither is delivered, archived nor copied: <not-acceptable/> to the
 * sender.  One that cannot be read is refused too.  Returns 1 when m
 * was refused.
 */
static int
s2s_in_forged(struct session *from, struct stanza_msg *m)
{
	struct xml_node	*n, *c;
	struct jid	 f, t;
	int		 result = 0;

	if (carbons_forged(from, m))
		return (1);
	if (memmem(m->xml, m->xmllen, "urn:xmpp:mam:", 13) == NULL)
		return (0);
	if ((n = router_parse(m->xml, m->xmllen, NS_CLIENT)) == NULL) {
		router_refuse(from, m, "mam");
		return (1);
	}
	TAILQ_FOREACH(c, &n->children, entry)
		if (c->name != NULL && c->ns != NULL &&
		    strncmp(c->ns, "urn:xmpp:mam:", 13) == 0 &&
		    strcmp(c->name, "result") == 0)
			result = 1;
	xml_node_free(n);
	if (!result || (jid_parse(m->from, &f) == 0 &&
	    jid_parse(m->to, &t) == 0 && f.resource[0] == '\0' &&
	    t.resource[0] != '\0'))
		return (0);
	log_info("s2s: %s sent an archive result to %s: refused", m->from,
	    m->to);
	router_bounce(from, m, "modify", "not-acceptable");
	return (1);
}

/*
 * A stanza from a remote server, its pair proven: to our users the way
 * a component's goes (router_component.c): messages take the session
 * path (archive, offline, carbons), presence goes to the sessions it
 * names, IQs to the server get what anyone gets; to a muc service's
 * rooms as a user's stanza goes, mucd answering by s2s_forward().
 */
static int
s2s_in_stanza(struct imsgev *iev, struct imsg *imsg)
{
	struct stanza_msg	 m;
	struct router_sender	 ss;
	struct jid		 from, to;
	struct session		*s;
	struct user		*u;
	struct s2s_in		*in = NULL;
	int			 where;

	if (stanza_recv(imsg, &m) == -1) {
		log_warnx("s2s: stream %d: a bad stanza", iev->instance);
		return (-1);
	}
	router_stats.in++;
	if (jid_parse(m.from, &from) == -1 || jid_parse(m.to, &to) == -1 ||
	    (in = s2s_in_allowed(iev->instance, imsg_get_id(imsg),
	    from.domain, to.domain)) == NULL) {
		log_warnx("s2s: stream %d: a stanza from %s to %s dropped",
		    iev->instance, m.from, m.to);
		stanza_msg_clear(&m);
		return (0);
	}
	in->in++;
	/* No stream: answers go back by s2s_send_node. */
	if (router_sender(&ss, m.from, -1, 0) == -1) {
		stanza_msg_clear(&m);
		return (0);
	}
	/*
	 * A room: to mucd, as a user's stanza.  Not a domain of ours: the
	 * stream ended the stream for it (host-unknown, RFC 6120 section
	 * 8.1.1.2) unless its configuration and ours differ, as during a
	 * reload.  A server relays nothing between two others, nor
	 * answers for them.
	 */
	where = router_local_jid(m.to, &s, &u);
	if (where == -1 && muc_jid(m.to))
		muc_forward(&ss.s, &m, imsg);
	else if (where == -1)
		log_warnx("s2s: stream %d: a stanza from %s to %s, a domain "
		    "not served here, dropped", iev->instance, m.from, m.to);
	else if (where > 0 && m.kind != STANZA_PRESENCE &&
	    blocking_out(&ss.s, &m))
		/*
		 * Blocked, as a local sender would be, IQs to the account
		 * too (XEP-0191 section 3.3); blocking.c answers sessions
		 * on a stream, this one hears back over federation.
		 */
		router_bounce(&ss.s, &m, "cancel", "service-unavailable");
	else if (m.kind == STANZA_IQ && where < 2) {
		if (strcmp(m.type, "get") == 0 || strcmp(m.type, "set") == 0)
			router_iq_remote(&ss.s, &m);
		else if (where == 0)
			caps_remote_result(&m);	/* ours asked, or nothing */
	} else if (m.kind == STANZA_PRESENCE && subscription_remote(&m))
		;	/* the user's roster takes it */
	else if (where == 0)
		;
	else if (m.kind == STANZA_MESSAGE && s2s_in_forged(&ss.s, &m))
		;	/* refused */
	else if (m.kind == STANZA_PRESENCE && s != NULL)
		router_pass(s, &m, imsg);
	else if (m.kind == STANZA_PRESENCE) {
		caps_remote_presence(&m);	/* for PEP, XEP-0163 */
		if (u != NULL)
			TAILQ_FOREACH(s, &u->sessions, user_entry)
				if (s->available)
					router_pass(s, &m, imsg);
	}
	else if (m.kind != STANZA_PRESENCE)
		router_route(&ss.s, &m, imsg);
	stanza_msg_clear(&m);
	return (0);
}

/* xmppctl show streams: the links up, outbound then inbound pairs. */
static void
s2s_ctl_show(struct imsgev *iev, uint32_t peerid)
{
	struct ctl_stream	 cs;
	struct s2s_out		*o;
	struct s2s_in		*in;

	TAILQ_FOREACH(o, &s2s_outs, entry) {
		if (!o->up)
			continue;
		memset(&cs, 0, sizeof(cs));
		(void)strlcpy(cs.local, o->local, sizeof(cs.local));
		(void)strlcpy(cs.remote, o->remote, sizeof(cs.remote));
		(void)strlcpy(cs.tls, o->tls, sizeof(cs.tls));
		cs.outbound = 1;
		cs.auth = o->auth;
		cs.stream = o->stream;
		cs.out = o->out;
		cs.since = o->since;
		imsgev_compose(iev, IMSG_CTL_STREAM, peerid, 0, -1, &cs,
		    sizeof(cs));
	}
	TAILQ_FOREACH(in, &s2s_ins, entry) {
		memset(&cs, 0, sizeof(cs));
		(void)strlcpy(cs.local, in->local, sizeof(cs.local));
		(void)strlcpy(cs.remote, in->remote, sizeof(cs.remote));
		(void)strlcpy(cs.tls, in->tls, sizeof(cs.tls));
		cs.auth = in->auth;
		cs.stream = in->stream;
		cs.in = in->in;
		cs.since = in->since;
		imsgev_compose(iev, IMSG_CTL_STREAM, peerid, 0, -1, &cs,
		    sizeof(cs));
	}
	imsgev_compose(iev, IMSG_CTL_END, peerid, 0, -1, NULL, 0);
}

int
s2s_router_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct s2s_out	*o;
	struct s2s_db	 db;

	switch (imsg_get_type(imsg)) {
	case IMSG_S2S_OUT_UP:
	case IMSG_S2S_OUT_DOWN:
	case IMSG_S2S_IN_UP:
		if (iev->type != PROC_STREAM)
			return (-1);
		return (s2s_link(iev, imsg));
	case IMSG_S2S_OUT_IDLE:
		if (iev->type != PROC_STREAM)
			return (-1);
		return (s2s_link_ending(iev, imsg));
	case IMSG_S2S_IN_DOWN:
		if (iev->type != PROC_STREAM)
			return (-1);
		s2s_in_down(iev->instance, imsg_get_id(imsg));
		return (0);
	case IMSG_S2S_VERIFIED:
		if (iev->type != PROC_STREAM ||
		    imsg_get_data(imsg, &db, sizeof(db)) == -1)
			return (-1);
		if ((o = s2s_out_find_id(imsg_get_id(imsg))) != NULL &&
		    o->stream != iev->instance) {
			log_warnx("s2s: stream %d: answers for link %u, "
			    "stream %d's", iev->instance, o->id, o->stream);
			return (-1);
		}
		if (o != NULL && o->mode == S2S_MODE_VERIFY &&
		    o->verified != NULL && o->resolving == 0) {
			o->verified(o->arg, db.valid == 1);
			o->verified = NULL;
			s2s_out_free(o, NULL);
		}
		return (0);
	case IMSG_CTL_SHOW_STREAMS:
		if (iev->type != PROC_CONTROL)
			return (-1);
		s2s_ctl_show(iev, imsg_get_id(imsg));
		return (0);
	case IMSG_STANZA:
		if (iev->type != PROC_STREAM ||
		    !s2s_in_conn(iev->instance, imsg_get_id(imsg)))
			return (1);
		return (s2s_in_stanza(iev, imsg));
	}
	return (dialback_dispatch(iev, imsg));
}

/*
 * At start: a domain that takes dialback trusts its peers' DNS for
 * their identity; said once, as federating with the network as it is
 * needs it.
 */
void
s2s_init(void)
{
	struct domain_conf	*d;

	TAILQ_FOREACH(d, &proc_self.conf->domains, entry)
		if (!d->federation_certs)
			log_warnx("domain %s: federation accepts dialback, "
			    "peers are not required to show a good "
			    "certificate", d->name);
}

/* A stream process is gone with its links. */
void
s2s_stream_down(int stream)
{
	struct s2s_out	*o, *next;

	s2s_in_down(stream, 0);
	TAILQ_FOREACH_SAFE(o, &s2s_outs, entry, next)
		if (o->resolving == 0 && o->stream == stream)
			s2s_out_free(o, "remote-server-timeout");
}
