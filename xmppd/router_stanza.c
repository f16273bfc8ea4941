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
 * Routing stanzas from sessions: to another session by full JID, to the
 * server's IQ features, or back to the sender as an error.  The router
 * routes on the envelope and parses the XML only where a feature must
 * look inside; an error is built from the envelope.  A feature that must
 * look inside a stanza and cannot read it refuses it (router_refuse()).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"


/*
 * The IQ features; one whose enabled() says 0 is not served nor shown.
 * Those not listed are served on accounts only (PEP): the server's
 * disco#info does not claim them.  Those for anyone also answer an
 * entity with no account here (a component); the others speak of the
 * sender's own account, which such an entity does not have.
 */
static const struct router_feature {
	const struct iq_feature	*feature;
	int			(*enabled)(void);	/* NULL: always */
	int			 listed;
	int			 anyone;	/* not only our accounts */
} router_features[] = {
	{ &disco_info_feature, NULL, 1, 1 },
	{ &disco_items_feature, NULL, 1, 1 },
	{ &ping_feature, NULL, 1, 1 },
	{ &roster_feature, NULL, 1, 0 },
	{ &version_feature, NULL, 1, 1 },
	{ &time_feature, NULL, 1, 1 },
	{ &last_feature, NULL, 1, 1 },
	{ &vcard_feature, NULL, 1, 1 },	/* XEP-0054 3.2: anyone's */
	{ &private_feature, NULL, 1, 0 },
	{ &pep_feature, NULL, 0, 1 },	/* contacts on other servers */
	{ &pep_owner_feature, NULL, 0, 1 },
	{ &carbons_enable_feature, NULL, 1, 0 },
	{ &carbons_disable_feature, NULL, 1, 0 },
	{ &blocking_list_feature, NULL, 1, 0 },
	{ &blocking_block_feature, NULL, 1, 0 },
	{ &blocking_unblock_feature, NULL, 1, 0 },
	{ &mam_feature, NULL, 1, 0 },
	{ &mam_prefs_feature, NULL, 1, 0 },
	{ &mam_ext_feature, NULL, 1, 0 },
	{ &mam_meta_feature, NULL, 1, 0 },
	{ &adhoc_feature, NULL, 1, 1 },	/* forbidden to non-admins */
};

static const struct router_hooks *router_hooks[] = {
	&muc_hooks,		/* before presence forgets where it went */
	&component_hooks,	/* the same */
	&presence_hooks,
	&offline_hooks,
	&caps_client_hooks,
	&csi_hooks,
	&blocking_hooks,
	&sm_hooks,
	&mam_hooks,
	&motd_hooks,
};


/*
 * Read what a stream process serialized (or the router, or the store
 * kept) with the limits the stream read it with: whatever a stream
 * accepted parses here.  NULL when it does not (out of memory, or limits
 * lowered by a reload since the stream opened): whoever must look inside
 * then refuses the stanza, it never lets it through.
 */
struct xml_node *
router_parse(const char *xml, size_t len, const char *ns)
{
	struct xml_limits	 l;

	stanza_limits(&proc_self.conf->global, &l);
	return (xml_parse_fragment(xml, len, &l, ns));
}

void
router_hook_session_end(struct session *s)
{
	size_t	 i;

	for (i = 0; i < nitems(router_hooks); i++)
		if (router_hooks[i]->session_end != NULL)
			router_hooks[i]->session_end(s);
}

void
router_hook_available(struct session *s, int initial)
{
	size_t	 i;

	for (i = 0; i < nitems(router_hooks); i++)
		if (router_hooks[i]->available != NULL)
			router_hooks[i]->available(s, initial);
}

/* Returns 0 when a hook took the message (offline storage). */
int
router_hook_undeliverable(struct session *from, struct stanza_msg *m)
{
	size_t	 i;

	for (i = 0; i < nitems(router_hooks); i++)
		if (router_hooks[i]->undeliverable != NULL &&
		    router_hooks[i]->undeliverable(from, m) == 0)
			return (0);
	return (-1);
}

/* A reply to n of the given type, from where n went, to its sender. */
static struct xml_node *
router_reply(struct xml_node *n, const char *name, const char *type)
{
	struct xml_node	*r;
	const char	*v;

	if ((r = xml_node_new(NS_CLIENT, name)) == NULL)
		return (NULL);
	xml_set_attr(r, "type", type);
	if ((v = xml_get_attr(n, "id")) != NULL)
		xml_set_attr(r, "id", v);
	if ((v = xml_get_attr(n, "to")) != NULL)
		xml_set_attr(r, "from", v);
	if ((v = xml_get_attr(n, "from")) != NULL)
		xml_set_attr(r, "to", v);
	return (r);
}

struct xml_node *
router_iq_result(struct xml_node *iq)
{
	return (router_reply(iq, "iq", "result"));
}

/* A stanza error in answer to n (RFC 6120 section 8.3). */
struct xml_node *
router_error(struct xml_node *n, const char *type, const char *cond)
{
	return (stanza_error(n, type, cond));
}

/*
 * The same in answer to m, from its envelope alone: no parse, so that a
 * stanza the router cannot read still gets its error.
 */
struct xml_node *
router_error_msg(struct stanza_msg *m, const char *type, const char *cond)
{
	return (stanza_error_msg(m, type, cond));
}

/* The feature serving q, if one is enabled (and serves anyone). */
static const struct iq_feature *
router_feature(const struct xml_node *q, int anyone)
{
	const struct router_feature	*f;
	size_t				 i;

	for (i = 0; i < nitems(router_features); i++) {
		f = &router_features[i];
		if (xml_is(q, f->feature->ns, f->feature->name) &&
		    (f->enabled == NULL || f->enabled()) &&
		    (!anyone || f->anyone))
			return (f->feature);
	}
	return (NULL);
}

/* The namespace of the i-th listed feature, NULL past the last: disco.c. */
const char *
router_feature_ns(size_t i)
{
	const struct router_feature	*f;
	size_t				 k;

	for (k = 0; k < nitems(router_features); k++) {
		f = &router_features[k];
		if (f->listed && (f->enabled == NULL || f->enabled()) &&
		    i-- == 0)
			return (f->feature->ns);
	}
	return (NULL);
}

/*
 * Whom an IQ handed to a feature is for; its 'to' was normalised by the
 * stream.  No 'to' is the sender's account (RFC 6120 section 10.3.3).
 */
int
router_iq_to(struct session *s, struct xml_node *iq)
{
	const char	*to = xml_get_attr(iq, "to");

	if (to == NULL || strcmp(to, s->user->bare) == 0)
		return (IQ_SELF);
	if (to[strcspn(to, "@/")] != '@')
		return (IQ_SERVER);
	return (IQ_ACCOUNT);
}

static void
router_send(struct session *s, struct xml_node *n)
{
	struct imsgev	*iev;

	if (n != NULL && s->stream == -1)
		s2s_send_node(n);	/* a remote sender, or nobody */
	if (n == NULL || (iev = proc_peer(PROC_STREAM, s->stream)) == NULL)
		return;
	(void)stanza_send(iev, s->id, s->id, n, NS_CLIENT);
}

/* Pass a stanza as received to a session. */
void
router_deliver(struct session *to, struct imsg *imsg)
{
	struct imsgev	*iev;

	if (blocking_presence_imsg(to, imsg))
		return;
	if (to->inactive && csi_hold_imsg(to, imsg) == 0)
		return;
	if ((iev = proc_peer(PROC_STREAM, to->stream)) != NULL) {
		router_stats.out++;
		imsgev_forward(iev, imsg, to->id);
	}
}

/* Send serialized XML the router holds (a stored presence) to a session. */
void
router_deliver_xml(struct session *to, int kind, const char *xml,
    size_t len)
{
	struct stanza_hdr	 hdr;
	struct iovec		 iov[2];
	struct imsgev		*iev;

	if (kind == STANZA_PRESENCE && blocking_presence(to, xml, len))
		return;
	if (to->inactive && csi_hold(to, kind, xml, len) == 0)
		return;
	if ((iev = proc_peer(PROC_STREAM, to->stream)) == NULL)
		return;
	router_stats.out++;
	memset(&hdr, 0, sizeof(hdr));
	hdr.session = to->id;
	hdr.kind = kind;
	hdr.xml_len = len;
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)xml;
	iov[1].iov_len = len;
	imsgev_composev(iev, IMSG_STANZA, to->id, 0, -1, iov, 2);
}

/* Answer the sender with an error, unless the stanza was one. */
void
router_bounce(struct session *from, struct stanza_msg *m, const char *type,
    const char *cond)
{
	struct xml_node	*r;

	if (strcmp(m->type, "error") == 0 || (m->kind == STANZA_IQ &&
	    strcmp(m->type, "result") == 0))
		return;
	r = router_error_msg(m, type, cond);
	router_send(from, r);
	xml_node_free(r);
}

/*
 * Fail closed: a feature that must look inside m cannot read it, so m
 * goes nowhere and its sender hears so.  The router failed, not the
 * sender: <internal-server-error/>.
 */
void
router_refuse(struct session *from, struct stanza_msg *m, const char *what)
{
	log_warnx("%s: cannot read a %s from %s: refused", what,
	    stanza_kinds[m->kind], from->full);
	router_bounce(from, m, "cancel", "internal-server-error");
}

/* 1 when an element follows q among its parent's children. */
static int
router_second_child(const struct xml_node *q)
{
	const struct xml_node	*c = q;

	while ((c = TAILQ_NEXT(c, entry)) != NULL)
		if (c->name != NULL)
			return (1);
	return (0);
}

/*
 * An IQ for the server or for an account: the feature table answers,
 * only its features for anyone when the sender has no account here.
 */
static void
router_iq_answer(struct session *from, struct stanza_msg *m, int anyone)
{
	const struct iq_feature	*f;
	struct xml_node		*n, *q, *r = NULL;

	if (strcmp(m->type, "get") != 0 && strcmp(m->type, "set") != 0)
		return;
	if ((n = router_parse(m->xml, m->xmllen, NS_CLIENT)) == NULL) {
		router_refuse(from, m, "iq");
		return;
	}
	/* Exactly one child element (RFC 6120 section 8.2.3). */
	if ((q = xml_first_child(n)) == NULL || router_second_child(q))
		r = router_error(n, "modify", "bad-request");
	else if ((f = router_feature(q, anyone)) != NULL)
		r = f->handler(from, n, q);
	else
		r = router_error(n, "cancel", "service-unavailable");
	router_send(from, r);
	xml_node_free(r);
	xml_node_free(n);
}

static void
router_iq_server(struct session *from, struct stanza_msg *m)
{
	router_iq_answer(from, m, 0);
}

/*
 * An IQ from an entity with no account here (a component, as a session
 * that answers reach): the features that serve anyone answer it.
 */
void
router_iq_remote(struct session *from, struct stanza_msg *m)
{
	router_iq_answer(from, m, 1);
}

/*
 * A sender with no session here (a component, a remote server's user)
 * as one the paths written for sessions accept (the archive, offline
 * storage, the server's IQs): what answers at once goes to (stream,
 * id), or, with no stream, back the way remote stanzas go.  Nothing is
 * kept of it past the stanza: a later answer finds no session of that
 * id and goes nowhere.
 */
int
router_sender(struct router_sender *rs, const char *from, int stream,
    uint32_t id)
{
	memset(rs, 0, sizeof(*rs));
	if (jid_parse(from, &rs->j) == -1 ||
	    jid_bare(&rs->j, rs->bare, sizeof(rs->bare)) >= sizeof(rs->bare))
		return (-1);
	TAILQ_INIT(&rs->u.sessions);
	rs->u.bare = rs->bare;
	rs->u.local = rs->j.local;
	rs->u.domain = rs->j.domain;
	rs->s.user = &rs->u;
	rs->s.stream = stream;
	rs->s.id = id;
	rs->s.full = (char *)from;
	rs->s.resource = rs->j.resource;
	return (0);
}

/*
 * Is jid one of ours?  Returns -1 for another domain, 0 for the server,
 * 1 for a bare JID (*u: its user if online), 2 for a full JID (*s: the
 * session, if bound).
 */
int
router_local_jid(const char *jid, struct session **s, struct user **u)
{
	struct jid	 j;
	char		 bare[CONF_JIDLEN];

	*s = NULL;
	*u = NULL;
	if (jid_parse(jid, &j) == -1 ||
	    config_domain(proc_self.conf, j.domain) == NULL)
		return (-1);
	if (j.local[0] == '\0')
		return (0);
	(void)jid_bare(&j, bare, sizeof(bare));
	*u = session_find_user(bare);
	if (j.resource[0] == '\0')
		return (1);
	*s = session_find_full(jid);
	return (2);
}

/* A stanza as received, or as a feature rewrote it (imsg NULL). */
void
router_pass(struct session *to, struct stanza_msg *m, struct imsg *imsg)
{
	if (m->kind == STANZA_MESSAGE && carbons_private(to, m) == 0)
		return;
	if (imsg != NULL)
		router_deliver(to, imsg);
	else
		router_deliver_xml(to, m->kind, m->xml, m->xmllen);
}

/*
 * A message to a bare JID (RFC 6121 section 8.5.2): chat and normal go to
 * the available resources of highest non-negative priority, headline to
 * all non-negative ones; with none, the sender learns it.
 */
static void
router_message_bare(struct session *from, struct stanza_msg *m,
    struct imsg *imsg, struct user *u)
{
	struct session	*s;
	int		 best = -1, headline = strcmp(m->type, "headline") == 0;

	if (strcmp(m->type, "error") == 0)
		return;
	if (strcmp(m->type, "groupchat") == 0) {
		router_bounce(from, m, "cancel", "service-unavailable");
		return;
	}
	if (u != NULL)
		TAILQ_FOREACH(s, &u->sessions, user_entry)
			if (s->available && s->priority > best)
				best = s->priority;
	if (best < 0) {
		if (!headline && router_hook_undeliverable(from, m) == -1)
			router_bounce(from, m, "cancel", "service-unavailable");
		return;
	}
	TAILQ_FOREACH(s, &u->sessions, user_entry)
		if (s->available && s->priority >= 0 &&
		    (headline || s->priority == best))
			router_pass(s, m, imsg);
	carbons_received(u, NULL, m);
}

/*
 * Route m from a session.  imsg NULL: a feature rewrote m (router_mam.c
 * stamps archive ids) and m's XML is what goes.
 */
void
router_route(struct session *from, struct stanza_msg *m, struct imsg *imsg)
{
	struct session	*to;
	struct user	*u;
	int		 where, request;

	if (m->kind == STANZA_MESSAGE && imsg != NULL &&
	    mam_message(from, m) == 0)
		return;
	request = m->kind == STANZA_IQ && (strcmp(m->type, "get") == 0 ||
	    strcmp(m->type, "set") == 0);
	if (m->to[0] == '\0') {
		/* To the user's own account. */
		if (m->kind == STANZA_IQ)
			router_iq_server(from, m);
		else
			router_message_bare(from, m, imsg, from->user);
		return;
	}
	switch ((where = router_local_jid(m->to, &to, &u))) {
	case -1:
		if (muc_jid(m->to))
			muc_forward(from, m, imsg);
		else if (upload_jid(m->to))
			upload_forward(from, m, imsg);
		else if (component_jid(m->to))
			component_route(from, m, imsg);
		else if (from->stream != -1)
			s2s_route(from, m, imsg);	/* federation */
		return;
	case 0:
		if (priv_client_message(from, m))
			return;
		if (m->kind == STANZA_IQ && !request)
			caps_client_result(from, m);
		else if (m->kind == STANZA_IQ)
			router_iq_server(from, m);
		return;
	}
	if (to != NULL) {
		router_pass(to, m, imsg);
		if (m->kind == STANZA_MESSAGE)
			carbons_received(to->user, to, m);
		return;
	}
	if (m->kind == STANZA_IQ) {
		if (where == 1)
			router_iq_server(from, m);
		else if (request)
			router_bounce(from, m, "cancel",
			    "service-unavailable");
		return;
	}
	/* A full JID with no such resource is treated as the bare one. */
	router_message_bare(from, m, imsg, u);
}

static int
router_attr_is(const struct xml_node *n, const char *name, const char *v)
{
	const char	*a = xml_get_attr(n, name);

	return (strcmp(a != NULL ? a : "", v) == 0);
}

/*
 * The router routes on the envelope, the recipient reads the XML: from
 * a stream or a service daemon, both must say the same, or it could
 * send in another's name under an envelope of its own.  -1: the XML
 * does not parse here (limits lowered by a reload), so it cannot be
 * checked.
 */
int
router_envelope_ok(const struct stanza_msg *m)
{
	struct xml_node	*n;
	int		 ok;

	if ((n = router_parse(m->xml, m->xmllen, NS_CLIENT)) == NULL)
		return (-1);
	ok = stanza_kind(n) == (int)m->kind && router_attr_is(n, "from",
	    m->from) && router_attr_is(n, "to", m->to) &&
	    router_attr_is(n, "type", m->type) && router_attr_is(n, "id", m->id);
	xml_node_free(n);
	return (ok);
}

static const char *const router_message_types[] = {
	"", "normal", "chat", "groupchat", "headline", "error"
};
static const char *const router_presence_types[] = {
	"", "unavailable", "subscribe", "subscribed", "unsubscribe",
	"unsubscribed", "probe", "error"
};
static const char *const router_iq_types[] = {
	"get", "set", "result", "error"
};

/* The index of v in names, or -1. */
int
router_name_index(const char *v, const char *const *names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return (i);
	return (-1);
}

/*
 * The type of a client's stanza (RFC 6120 section 8.2.3, RFC 6121
 * sections 4.7.1 and 5.2.2): a message of a type the server does not
 * know is a normal one; an IQ without an id or a known type, or
 * presence of a type not defined, is refused with <bad-request/>.
 * -1 when m was refused.
 */
static int
router_stanza_type(struct session *from, struct stanza_msg *m)
{
	char	*t;

	switch (m->kind) {
	case STANZA_MESSAGE:
		if (router_name_index(m->type, router_message_types,
		    nitems(router_message_types)) != -1)
			return (0);
		if ((t = strdup("normal")) == NULL)
			fatal("%s", __func__);
		free(m->type);
		m->type = t;
		return (0);
	case STANZA_PRESENCE:
		if (router_name_index(m->type, router_presence_types,
		    nitems(router_presence_types)) != -1)
			return (0);
		break;
	case STANZA_IQ:
		if (m->id[0] != '\0' && router_name_index(m->type,
		    router_iq_types, nitems(router_iq_types)) != -1)
			return (0);
		break;
	}
	log_debug("a %s of type \"%s\" from %s refused",
	    stanza_kinds[m->kind], m->type, from->full);
	router_bounce(from, m, "modify", "bad-request");
	return (-1);
}

int
router_stanza(struct imsgev *iev, struct imsg *imsg)
{
	struct stanza_msg	 m;
	struct session		*from;
	int			 ok;

	if (iev->type != PROC_STREAM)
		return (-1);
	if (stanza_recv(imsg, &m) == -1)
		return (-1);
	router_stats.in++;
	if ((from = session_find_id(iev->instance, imsg_get_id(imsg))) ==
	    NULL || strcmp(m.from, from->full) != 0) {
		/* A session that just ended, or a stream gone wrong. */
		stanza_msg_clear(&m);
		return (0);
	}
	if ((ok = router_envelope_ok(&m)) == -1) {
		router_refuse(from, &m, "envelope");
		stanza_msg_clear(&m);
		return (0);
	}
	if (!ok) {
		log_warnx("stream %d: a stanza of %s whose XML is not what its "
		    "envelope says: refused", iev->instance, from->full);
		stanza_msg_clear(&m);
		return (-1);
	}
	if (router_stanza_type(from, &m) == -1)
		;	/* refused */
	else if (m.kind == STANZA_PRESENCE)
		presence_in(from, &m, imsg);
	else if (blocking_out(from, &m))
		;	/* refused, or dropped */
	else if (m.kind != STANZA_MESSAGE)
		router_route(from, &m, imsg);
	else if (!carbons_forged(from, &m)) {
		router_route(from, &m, imsg);
		carbons_sent(from, &m);
	}
	stanza_msg_clear(&m);
	return (0);
}
