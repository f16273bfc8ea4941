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
 * Presence (RFC 6121 section 4): availability and priority of each
 * session, broadcast of a user's presence to the user's other resources,
 * directed presence and the unavailable presence that ends it, sent too
 * when a session ends without saying so.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define PRESENCE_DIRECTED_MAX	256

/*
 * The <priority/> of an available presence: -128 to 127, default 0;
 * INT_MIN when the presence cannot be read.
 */
static int
presence_priority(struct stanza_msg *m)
{
	struct xml_node	*n, *p;
	const char	*errstr;
	char		*t;
	int		 prio = 0;

	if ((n = router_parse(m->xml, m->xmllen, NS_CLIENT)) == NULL)
		return (INT_MIN);
	if ((p = xml_find_child(n, NS_CLIENT, "priority")) != NULL &&
	    (t = xml_text(p)) != NULL) {
		prio = strtonum(t, -128, 127, &errstr);
		if (errstr != NULL)
			prio = 0;
		free(t);
	}
	xml_node_free(n);
	return (prio);
}

static void
presence_to_jid(const char *jid, int kind, const char *xml, size_t len,
    struct imsg *imsg)
{
	struct session	*to, *s;
	struct user	*u;

	switch (router_local_jid(jid, &to, &u)) {
	case 1:
		if (u != NULL)
			TAILQ_FOREACH(s, &u->sessions, user_entry)
				if (s->available) {
					if (imsg != NULL)
						router_deliver(s, imsg);
					else
						router_deliver_xml(s, kind,
						    xml, len);
				}
		break;
	case 2:
		if (to != NULL) {
			if (imsg != NULL)
				router_deliver(to, imsg);
			else
				router_deliver_xml(to, kind, xml, len);
		}
		break;
	case -1:
		/* Directed presence ended to a remote JID. */
		if (imsg == NULL && s2s_remote_jid(jid) &&
		    s2s_send_presence(xml, jid) == -1)
			log_info("%s: presence to %s not sent", __func__, jid);
		break;
	}
}

static void
presence_forget_directed(struct session *s)
{
	int	 i;

	for (i = 0; i < s->ndirected; i++)
		free(s->directed[i]);
	free(s->directed);
	s->directed = NULL;
	s->ndirected = 0;
}

static void
presence_remember(struct session *s, const char *jid, int add)
{
	char	**p;
	int	  i;

	for (i = 0; i < s->ndirected; i++)
		if (strcmp(s->directed[i], jid) == 0) {
			if (!add) {
				free(s->directed[i]);
				s->directed[i] = s->directed[--s->ndirected];
				/* Empty: given back, not kept to logout. */
				if (s->ndirected == 0)
					presence_forget_directed(s);
			}
			return;
		}
	if (!add || s->ndirected >= PRESENCE_DIRECTED_MAX)
		return;
	if ((p = reallocarray(s->directed, s->ndirected + 1,
	    sizeof(*p))) == NULL)
		fatal("%s", __func__);
	s->directed = p;
	if ((s->directed[s->ndirected] = strdup(jid)) == NULL)
		fatal("%s", __func__);
	s->ndirected++;
}

/*
 * A presence stanza the router makes: type, from and to (NULL: none),
 * serialized and NUL-terminated, *lenp its length without the NUL.
 * NULL if it cannot be written.
 */
char *
presence_xml(const char *type, const char *from, const char *to,
    size_t *lenp)
{
	struct xml_node	*n;
	struct xml_buf	 b;
	char		*x = NULL;

	if ((n = xml_node_new(NS_CLIENT, "presence")) == NULL)
		fatal("%s", __func__);
	if (xml_set_attr(n, "type", type) == -1 ||
	    (from != NULL && xml_set_attr(n, "from", from) == -1) ||
	    (to != NULL && xml_set_attr(n, "to", to) == -1))
		fatal("%s", __func__);
	xml_buf_init(&b, 0);
	if (xml_serialize(n, NS_CLIENT, &b) == 0 &&
	    xml_buf_add(&b, "", 1) == 0) {
		x = b.data;
		if (lenp != NULL)
			*lenp = b.len - 1;
	} else {
		log_warnx("%s: %s presence from %s not written", __func__,
		    type, from != NULL ? from : "the server");
		xml_buf_free(&b);
	}
	xml_node_free(n);
	return (x);
}

/*
 * Tell the user's resources and directed recipients s is gone: s too
 * when it said so itself, imsg its presence (RFC 6121 section 4.5.2).
 */
static void
presence_unavailable(struct session *s, struct imsg *imsg)
{
	struct session	*o;
	char		*xml;
	size_t		 len;
	int		 i;

	xml = presence_xml("unavailable", s->full, NULL, &len);
	TAILQ_FOREACH(o, &s->user->sessions, user_entry)
		if ((o != s || imsg != NULL) && o->available) {
			if (imsg != NULL)
				router_deliver(o, imsg);
			else if (xml != NULL)
				router_deliver_xml(o, STANZA_PRESENCE, xml,
				    len);
		}
	component_session_gone(s);
	for (i = 0; i < s->ndirected; i++) {
		if (muc_jid(s->directed[i]))
			muc_presence_gone(s, s->directed[i]);
		else if (component_jid(s->directed[i]))
			;	/* told above */
		else if (xml != NULL)
			presence_to_jid(s->directed[i], STANZA_PRESENCE, xml,
			    len, NULL);
	}
	free(xml);
	presence_forget_directed(s);
	presence_contacts(s->user, s->full, NULL, NULL);
	s->available = 0;
	free(s->presence);
	s->presence = NULL;
	s->presencelen = 0;
	priv_presence(s->user, s, NULL);
}

/*
 * Broadcast presence: to the sender itself first, which learns that it
 * took effect (RFC 6121 sections 4.2.2 and 4.4.2), to the user's other
 * resources, and theirs back to a resource that just came.
 */
static void
presence_broadcast(struct session *from, struct stanza_msg *m,
    struct imsg *imsg)
{
	struct session	*o;
	int		 initial = !from->available, prio;

	if (strcmp(m->type, "unavailable") == 0) {
		if (from->available) {
			last_unavailable(from, m->xml, m->xmllen);
			presence_unavailable(from, imsg);
		}
		return;
	}
	if (m->type[0] != '\0')
		return;		/* probes and subscriptions go to a contact */
	/* What the router cannot read, it does not store nor broadcast. */
	if ((prio = presence_priority(m)) == INT_MIN) {
		router_refuse(from, m, "presence");
		return;
	}
	free(from->presence);
	if ((from->presence = strdup(m->xml)) == NULL)
		fatal("%s", __func__);
	from->presencelen = m->xmllen;
	from->priority = prio;
	from->available = 1;
	router_deliver(from, imsg);
	TAILQ_FOREACH(o, &from->user->sessions, user_entry) {
		if (o == from || !o->available)
			continue;
		router_deliver(o, imsg);
		if (initial)
			router_deliver_xml(from, STANZA_PRESENCE, o->presence,
			    o->presencelen);
	}
	log_debug("presence of %s: %s, priority %d", from->full,
	    initial ? "available" : "updated", from->priority);
	presence_contacts(from->user, from->full, from->presence,
	    initial ? from : NULL);
	priv_presence(from->user, from, NULL);
	router_hook_available(from, initial);
}

/*
 * Presence from a client: broadcast, to a room or a component, or to a
 * contact here or on a remote server, where probes and subscription
 * stanzas go by the user's roster and directed presence is remembered
 * to be ended when the session goes (RFC 6121 section 4.6).
 */
void
presence_in(struct session *from, struct stanza_msg *m, struct imsg *imsg)
{
	struct session	*s;
	struct user	*u;
	int		 avail = m->type[0] == '\0', remote = 0;

	if (m->to[0] == '\0' || strcmp(m->to, from->user->bare) == 0) {
		presence_broadcast(from, m, imsg);
		return;
	}
	if (router_local_jid(m->to, &s, &u) == -1) {
		if (component_jid(m->to)) {
			/* A gateway's room: told when s goes, as a room. */
			component_route(from, m, imsg);
			if (avail || strcmp(m->type, "unavailable") == 0)
				presence_remember(from, m->to, avail);
			return;
		}
		if (muc_jid(m->to)) {
			/* A room: told when s goes, as any directed one. */
			muc_forward(from, m, imsg);
			if (avail || strcmp(m->type, "unavailable") == 0)
				presence_remember(from, m->to, avail);
			return;
		}
		if (!s2s_remote_jid(m->to)) {
			router_bounce(from, m, "cancel",
			    "service-unavailable");
			return;
		}
		remote = 1;
	}
	if (strcmp(m->type, "probe") == 0) {
		presence_probe(from, m->to);
		return;
	}
	if (!avail && strcmp(m->type, "unavailable") != 0) {
		subscription_out(from, m);
		return;
	}
	if (remote)
		s2s_route(from, m, imsg);
	else
		presence_to_jid(m->to, STANZA_PRESENCE, NULL, 0, imsg);
	presence_remember(from, m->to, avail);
}

/* A session ends: if it was available, it becomes unavailable. */
static void
presence_session_end(struct session *s)
{
	if (s->available) {
		last_unavailable(s, NULL, 0);
		presence_unavailable(s, NULL);
	}
	presence_forget_directed(s);
}

const struct router_hooks presence_hooks = {
	presence_session_end, NULL, NULL
};
