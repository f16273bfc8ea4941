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
 * Presence subscriptions (RFC 6121 section 3) and presence to contacts:
 * the subscription state machine on both rosters, pre-approval, requests
 * kept for a contact who is offline, and broadcast and probes along the
 * subscriptions.  Members of a directory's shared group are subscribed
 * to each other both ways without asking, and cannot unsubscribe.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define SUB_HAS_TO(s)	((s) == SUB_TO || (s) == SUB_BOTH)
#define SUB_HAS_FROM(s)	((s) == SUB_FROM || (s) == SUB_BOTH)

enum {
	SUBSCRIBE,
	SUBSCRIBED,
	UNSUBSCRIBE,
	UNSUBSCRIBED,
};

static const char *sub_types[] = {
	"subscribe", "subscribed", "unsubscribe", "unsubscribed"
};

static void	subscription_in(struct roster *, struct roster_job *);

static int
sub_type(const char *t)
{
	size_t	 i;

	for (i = 0; i < nitems(sub_types); i++)
		if (strcmp(t, sub_types[i]) == 0)
			return (i);
	return (-1);
}

/* Deliver XML to every available resource of a local bare JID. */
static void
deliver_bare(const char *bare, const char *xml)
{
	struct user	*u;
	struct session	*s;

	if (xml == NULL || (u = session_find_user(bare)) == NULL)
		return;
	TAILQ_FOREACH(s, &u->sessions, user_entry)
		if (s->available)
			router_deliver_xml(s, STANZA_PRESENCE, xml,
			    strlen(xml));
}

/*
 * Presence xml of a user of ours to a contact: to the contact's
 * available resources here, or over federation to a remote one.
 */
static void
deliver_contact(const char *contact, const char *xml)
{
	if (xml == NULL)
		return;
	if (!s2s_remote_jid(contact))
		deliver_bare(contact, xml);
	else if (s2s_send_presence(xml, contact) == -1)
		log_info("%s: presence to %s not sent", __func__, contact);
}

static char *
sub_xml(int type, const char *from, const char *to)
{
	return (presence_xml(sub_types[type], from, to, NULL));
}

/* Hand a subscription stanza to the roster of its local recipient. */
static void
sub_route(const char *from, const char *to, int type, const char *xml)
{
	struct roster_job	*j;
	struct jid		 jt;

	if (xml == NULL || jid_parse(to, &jt) == -1 || jt.local[0] == '\0')
		return;
	if (config_domain(proc_self.conf, jt.domain) == NULL) {
		/* A contact elsewhere: its server keeps its side. */
		if (s2s_remote_jid(to))
			deliver_contact(to, xml);
		return;
	}
	j = roster_job_new(NULL, xml, from);
	j->arg = type;
	roster_with(jt.local, jt.domain, subscription_in, j);
}

/* Send presence of every available resource of user to a contact. */
void
presence_of_user_to(struct user *u, const char *contact, int unavailable)
{
	struct session	*s;
	char		*x;

	if (u == NULL)
		return;
	TAILQ_FOREACH(s, &u->sessions, user_entry) {
		if (!s->available)
			continue;
		if (!unavailable) {
			deliver_contact(contact, s->presence);
			continue;
		}
		x = presence_xml("unavailable", s->full, NULL, NULL);
		deliver_contact(contact, x);
		free(x);
	}
}

/* Send a subscription answer of the given type from the owner of r. */
static void
sub_answer(struct roster *r, const char *to, int type)
{
	char	*x;

	x = sub_xml(type, r->bare, to);
	sub_route(r->bare, to, type, x);
	free(x);
}

/*
 * A subscription stanza received for the user who owns r.  The user
 * gets the stanza before the roster push that records it (RFC 6121
 * sections 3.1.6, 3.2.3 and 3.3.3).  A request to an account that does
 * not exist is refused as section 8.5.1 allows.
 */
static void
subscription_in(struct roster *r, struct roster_job *j)
{
	struct ritem	*it = roster_item(r, j->jid);

	if (!r->exists) {
		if (j->arg == SUBSCRIBE)
			sub_answer(r, j->jid, UNSUBSCRIBED);
		return;
	}
	/* The shared group: subscribed already, and it stays so. */
	if (roster_shared(r, roster_group(r), j->jid) != NULL) {
		if (j->arg == SUBSCRIBE)
			sub_answer(r, j->jid, SUBSCRIBED);
		return;
	}
	switch (j->arg) {
	case SUBSCRIBE:
		if (it != NULL && SUB_HAS_FROM(it->sub)) {
			sub_answer(r, j->jid, SUBSCRIBED);
			return;
		}
		if (it != NULL && it->approved) {
			/* Pre-approved: answered as section 3.1.5 says. */
			it->sub = it->sub == SUB_TO ? SUB_BOTH : SUB_FROM;
			it->approved = 0;
			sub_answer(r, j->jid, SUBSCRIBED);
			roster_changed(r, it);
			presence_of_user_to(session_find_user(r->bare),
			    j->jid, 0);
			return;
		}
		if ((it = roster_item_make(r, j->jid)) == NULL)
			return;
		free(it->pending);
		if ((it->pending = strdup(j->xml)) == NULL)
			fatal("%s", __func__);
		roster_changed_quiet(r, it);
		deliver_bare(r->bare, j->xml);
		return;
	case SUBSCRIBED:
		if (it == NULL || !it->ask)
			return;
		it->ask = 0;
		it->sub = it->sub == SUB_FROM ? SUB_BOTH : SUB_TO;
		deliver_bare(r->bare, j->xml);
		roster_changed(r, it);
		return;
	case UNSUBSCRIBE:
		if (it == NULL)
			return;
		free(it->pending);
		it->pending = NULL;
		if (SUB_HAS_FROM(it->sub))
			it->sub = it->sub == SUB_BOTH ? SUB_TO : SUB_NONE;
		deliver_bare(r->bare, j->xml);
		roster_changed(r, it);
		presence_of_user_to(session_find_user(r->bare), j->jid, 1);
		return;
	case UNSUBSCRIBED:
		if (it == NULL || (!SUB_HAS_TO(it->sub) && !it->ask))
			return;
		it->ask = 0;
		if (SUB_HAS_TO(it->sub))
			it->sub = it->sub == SUB_BOTH ? SUB_FROM : SUB_NONE;
		deliver_bare(r->bare, j->xml);
		roster_changed(r, it);
		return;
	}
}

/*
 * A subscription stanza the user sends: the user's side changes, then
 * the stanza goes to the contact, then the push, then presence (RFC
 * 6121 sections 3.1.2, 3.1.5, 3.2.2 and 3.3.2).  The state changes
 * first because a local contact's answer comes back at once: pushed
 * then, the item needs no push of its own.  A request is pushed with
 * its ask before it goes (section 3.1.2): a contact who pre-approved
 * answers at once, and the user sees the request before the answer.
 */
static void
subscription_out_job(struct roster *r, struct roster_job *j)
{
	struct ritem	*it = roster_item(r, j->jid);
	int64_t		 ver = r->ver;
	int		 route = 1, changed = 0, presence = -1;

	/* The directory decides who is in the shared group. */
	if (roster_shared(r, roster_group(r), j->jid) != NULL)
		return;
	switch (j->arg) {
	case SUBSCRIBE:
		if ((it = roster_item_make(r, j->jid)) == NULL)
			return;
		if (!SUB_HAS_TO(it->sub) && !it->ask) {
			it->ask = 1;
			it->in_roster = 1;
			changed = 1;
		}
		break;
	case SUBSCRIBED:
		if (it != NULL && it->pending != NULL) {
			free(it->pending);
			it->pending = NULL;
			it->sub = it->sub == SUB_TO ? SUB_BOTH : SUB_FROM;
			it->in_roster = 1;
			changed = 1;
			presence = 0;
		} else if (it == NULL || !SUB_HAS_FROM(it->sub)) {
			/* Pre-approval (section 3.4). */
			if ((it = roster_item_make(r, j->jid)) == NULL)
				return;
			it->approved = 1;
			it->in_roster = 1;
			changed = 1;
			route = 0;
		}
		break;
	case UNSUBSCRIBE:
		if (it != NULL && (SUB_HAS_TO(it->sub) || it->ask)) {
			it->ask = 0;
			if (SUB_HAS_TO(it->sub))
				it->sub = it->sub == SUB_BOTH ? SUB_FROM :
				    SUB_NONE;
			changed = 1;
		}
		break;
	case UNSUBSCRIBED:
		if (it != NULL) {
			free(it->pending);
			it->pending = NULL;
			it->approved = 0;
			if (SUB_HAS_FROM(it->sub))
				it->sub = it->sub == SUB_BOTH ? SUB_TO :
				    SUB_NONE;
			changed = 1;
			presence = 1;
		}
		break;
	}
	if (changed && j->arg == SUBSCRIBE) {
		roster_changed(r, it);
		changed = 0;
	}
	if (route)
		sub_route(r->bare, j->jid, j->arg, j->xml);
	if (changed && r->ver == ver)
		roster_changed(r, it);
	if (presence != -1)
		presence_of_user_to(session_find_user(r->bare), j->jid,
		    presence);
}

/*
 * A subscription stanza xml of user from, to the bare JID to.  -1 when
 * it cannot be read: it goes nowhere.
 */
/*
 * A subscription stanza xml with bare JIDs from and to (section 3.1.2),
 * serialized and NUL-terminated in *b; -1 when it cannot be read.
 */
static int
sub_stamp(const char *xml, const char *from, const char *to,
    struct xml_buf *b)
{
	struct xml_node	*n;
	int		 r = -1;

	xml_buf_init(b, 0);
	if ((n = roster_parse(xml)) == NULL)
		return (-1);
	if (xml_set_attr(n, "from", from) == 0 &&
	    xml_set_attr(n, "to", to) == 0 &&
	    xml_serialize(n, NS_CLIENT, b) == 0 && xml_buf_add(b, "", 1) == 0)
		r = 0;
	xml_node_free(n);
	return (r);
}

static int
subscription_send(struct session *from, const char *xml, const char *to,
    int type)
{
	struct roster_job	*j;
	struct xml_buf		 b;

	if (sub_stamp(xml, from->user->bare, to, &b) == -1) {
		xml_buf_free(&b);
		return (-1);
	}
	j = roster_job_new(from, b.data, to);
	j->arg = type;
	roster_with(from->user->local, from->user->domain,
	    subscription_out_job, j);
	xml_buf_free(&b);
	return (0);
}

/*
 * The directory on the contact of a request.  One it does not know is
 * answered "unsubscribed" from that JID, as RFC 6121 section 8.5.1
 * allows, and nothing is kept for it.
 */
static void
subscription_checked(const char *domain, const char *local, int status,
    void *arg)
{
	struct roster_job	*j = arg;
	struct session		*s;
	char			*x;

	(void)domain;
	(void)local;
	if ((s = session_find_id(j->stream, j->session)) != NULL) {
		if (status == LDAP_USER_NONE) {
			if ((x = sub_xml(UNSUBSCRIBED, j->jid,
			    s->user->bare)) != NULL)
				router_deliver_xml(s, STANZA_PRESENCE, x,
				    strlen(x));
			free(x);
		} else if (subscription_send(s, j->xml, j->jid,
		    SUBSCRIBE) == -1)
			log_warnx("%s: a request from %s unreadable: dropped",
			    __func__, s->full);
	}
	roster_job_free(j);
}

/* A subscription stanza from a client, to a domain served here. */
void
subscription_out(struct session *from, struct stanza_msg *m)
{
	struct jid		 jt;
	char			 to[CONF_JIDLEN];
	int			 type;

	if ((type = sub_type(m->type)) == -1 || jid_parse(m->to, &jt) == -1)
		return;
	/* A roster holds accounts: a domain (a gateway) is not followed. */
	if (jt.local[0] == '\0') {
		router_bounce(from, m, "cancel", "feature-not-implemented");
		return;
	}
	(void)jid_bare(&jt, to, sizeof(to));
	if (strcmp(to, from->user->bare) == 0)
		return;
	/* A request to a user the directory does not know goes no further. */
	if (type == SUBSCRIBE && ldap_domain(jt.domain) != NULL) {
		ldap_user_check(jt.domain, jt.local, subscription_checked,
		    roster_job_new(from, m->xml, to));
		return;
	}
	if (subscription_send(from, m->xml, to, type) == -1)
		router_refuse(from, m, "subscription");
}

/*
 * Removing an item ends the subscriptions it carried (section 2.5); s
 * is the owner's session, NULL when a component removed it (XEP-0356).
 */
void
subscription_cancel(struct session *s, struct roster *r, struct ritem *it)
{
	if (SUB_HAS_TO(it->sub) || it->ask)
		sub_answer(r, it->jid, UNSUBSCRIBE);
	if (SUB_HAS_FROM(it->sub) || it->pending != NULL) {
		sub_answer(r, it->jid, UNSUBSCRIBED);
		presence_of_user_to(s != NULL ? s->user :
		    session_find_user(r->bare), it->jid, 1);
	}
}

/*
 * A probe of the contact who owns r, for the session of job j (RFC 6121
 * section 4.3.2): the presence of each of the contact's available
 * resources if the contact lets the user see it, else "unsubscribed",
 * whether or not the account exists (section 8.5.1), which the user's
 * roster takes as a cancellation (section 3.2.3).  A client's own probe
 * (j->arg set) of a contact who is offline is answered "unavailable".
 */
static void
probe_job(struct roster *r, struct roster_job *j)
{
	struct session	*s, *c;
	struct user	*cu;
	struct ritem	*it;
	const char	*user;
	char		*x;
	size_t		 len;
	int		 n = 0;

	if ((s = session_find_id(j->stream, j->session)) == NULL)
		return;
	user = s->user->bare;
	it = roster_item(r, user);
	if (!r->exists || (roster_shared(r, roster_group(r), user) == NULL &&
	    (it == NULL || !SUB_HAS_FROM(it->sub)))) {
		sub_answer(r, user, UNSUBSCRIBED);
		return;
	}
	if ((cu = session_find_user(r->bare)) != NULL)
		TAILQ_FOREACH(c, &cu->sessions, user_entry)
			if (c->available) {
				router_deliver_xml(s, STANZA_PRESENCE,
				    c->presence, c->presencelen);
				n++;
			}
	if (n == 0 && j->arg && (x = presence_xml("unavailable", r->bare,
	    s->full, &len)) != NULL) {
		router_deliver_xml(s, STANZA_PRESENCE, x, len);
		free(x);
	}
}

/*
 * A probe from a remote user of the user who owns r (RFC 6121 section
 * 4.3.2): the presence of each available resource if the owner lets
 * the prober see it, "unavailable" when none is, else "unsubscribed".
 */
static void
probe_remote_job(struct roster *r, struct roster_job *j)
{
	struct session	*c;
	struct user	*cu;
	struct ritem	*it = roster_item(r, j->jid);
	char		*x;
	int		 n = 0;

	if (!r->exists || it == NULL || !SUB_HAS_FROM(it->sub)) {
		sub_answer(r, j->jid, UNSUBSCRIBED);
		return;
	}
	if ((cu = session_find_user(r->bare)) != NULL)
		TAILQ_FOREACH(c, &cu->sessions, user_entry)
			if (c->available) {
				deliver_contact(j->jid, c->presence);
				n++;
			}
	if (n == 0 && (x = presence_xml("unavailable", r->bare, j->jid,
	    NULL)) != NULL) {
		deliver_contact(j->jid, x);
		free(x);
	}
}

/*
 * Presence from a remote user, its domain proven by its stream, to a
 * user of ours: 1 when it is a subscription stanza or a probe, which
 * the user's roster takes as it takes a local contact's (sections
 * 3.1.3, 3.1.6, 3.2.3, 3.3.3 and 4.3.2), or which is dropped when it
 * names no user; 0 for other presence.
 */
int
subscription_remote(struct stanza_msg *m)
{
	struct roster_job	*j;
	struct xml_buf		 b;
	struct jid		 jf, jt;
	char			 from[CONF_JIDLEN], to[CONF_JIDLEN];
	int			 type = -1, probe;

	probe = strcmp(m->type, "probe") == 0;
	if (!probe && (type = sub_type(m->type)) == -1)
		return (0);
	if (jid_parse(m->from, &jf) == -1 || jf.local[0] == '\0' ||
	    jid_parse(m->to, &jt) == -1 || jt.local[0] == '\0' ||
	    jid_bare(&jf, from, sizeof(from)) >= sizeof(from) ||
	    jid_bare(&jt, to, sizeof(to)) >= sizeof(to)) {
		log_info("s2s: %s from %s to %s dropped", m->type, m->from,
		    m->to);
		return (1);
	}
	if (probe) {
		roster_with(jt.local, jt.domain, probe_remote_job,
		    roster_job_new(NULL, NULL, from));
		return (1);
	}
	if (sub_stamp(m->xml, from, to, &b) == 0) {
		j = roster_job_new(NULL, b.data, from);
		j->arg = type;
		roster_with(jt.local, jt.domain, subscription_in, j);
	} else
		log_info("s2s: an unreadable %s from %s dropped", m->type,
		    m->from);
	xml_buf_free(&b);
	return (1);
}

/* Probe jid, a contact of a domain served here, for session s. */
static void
probe_send(struct session *s, const char *jid, int client)
{
	struct roster_job	*j;
	struct jid		 jt;
	char			 bare[CONF_JIDLEN], *x;

	if (jid_parse(jid, &jt) == -1 || jt.local[0] == '\0' ||
	    jid_bare(&jt, bare, sizeof(bare)) >= sizeof(bare) ||
	    strcmp(bare, s->user->bare) == 0)
		return;
	if (config_domain(proc_self.conf, jt.domain) == NULL) {
		/* From the user's bare JID to the contact's (4.3.1). */
		if (s2s_remote_jid(bare) && (x = presence_xml("probe",
		    s->user->bare, bare, NULL)) != NULL) {
			deliver_contact(bare, x);
			free(x);
		}
		return;
	}
	j = roster_job_new(s, NULL, NULL);
	j->arg = client;
	roster_with(jt.local, jt.domain, probe_job, j);
}

/* A probe a client sent (RFC 6121 section 4.3.1). */
void
presence_probe(struct session *from, const char *to)
{
	probe_send(from, to, 1);
}

/*
 * Presence xml to one contact; with s, an initial one learns the
 * contact's presence too: at once when the contact is online, else
 * from a probe (probe set), which finds an account that is gone.
 */
static void
presence_contact(struct session *s, const char *jid, int sub,
    const char *xml, int probe)
{
	struct session	*c;
	struct user	*cu;

	if (SUB_HAS_FROM(sub))
		deliver_contact(jid, xml);
	if (s == NULL || !SUB_HAS_TO(sub))
		return;
	if (s2s_remote_jid(jid)) {
		/* A remote contact's presence comes from its server. */
		if (probe)
			probe_send(s, jid, 0);
	} else if ((cu = session_find_user(jid)) != NULL) {
		TAILQ_FOREACH(c, &cu->sessions, user_entry)
			if (c->available)
				router_deliver_xml(s, STANZA_PRESENCE,
				    c->presence, c->presencelen);
	} else if (probe)
		probe_send(s, jid, 0);
}

static void
presence_contacts_job(struct roster *r, struct roster_job *j)
{
	const struct shared_group	*g = roster_group(r);
	struct ritem			*it;
	struct session			*s;
	const char			*jid;
	char				 buf[CONF_JIDLEN];
	size_t				 i;

	s = j->stream >= 0 ? session_find_id(j->stream, j->session) : NULL;
	RB_FOREACH(it, ritems, &r->items) {
		if (roster_shared(r, g, it->jid) != NULL)
			continue;	/* below, with the group */
		presence_contact(s, it->jid, it->sub, j->xml, 1);
		/* Requests that came while the user was away. */
		if (s != NULL && it->pending != NULL)
			router_deliver_xml(s, STANZA_PRESENCE, it->pending,
			    strlen(it->pending));
	}
	for (i = 0; g != NULL && i < g->nmembers; i++)
		if ((jid = roster_member_jid(r, &g->members[i], buf,
		    sizeof(buf))) != NULL)
			presence_contact(s, jid, SUB_BOTH, j->xml, 0);
}

/*
 * Presence xml of user u goes to the contacts subscribed to it; with
 * initial set to the session that just became available, that session
 * also gets its contacts' presence and the requests waiting for it.
 */
void
presence_contacts(struct user *u, const char *full, const char *xml,
    struct session *initial)
{
	struct roster_job	*j;
	char			*x = NULL;

	if (xml == NULL && (xml = x = presence_xml("unavailable", full, NULL,
	    NULL)) == NULL)
		return;
	j = roster_job_new(initial, xml, NULL);
	free(x);
	roster_with(u->local, u->domain, presence_contacts_job, j);
}
