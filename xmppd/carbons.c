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
 * Message Carbons (XEP-0280): a session that enabled them gets a copy of
 * the messages its user's other resources send and receive, wrapped in
 * <sent/> or <received/> from the user's bare JID.  Only the router
 * writes those wrappers: a client's message carrying one is refused.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <string.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define NS_CARBONS	"urn:xmpp:carbons:2"
#define NS_FORWARD	"urn:xmpp:forward:0"
#define NS_MUC_USER	"http://jabber.org/protocol/muc#user"

static struct xml_node *
carbons_handle(struct session *s, struct xml_node *iq, struct xml_node *q)
{
	const char	*type = xml_get_attr(iq, "type");

	if (router_iq_to(s, iq) != IQ_SELF)
		return (router_error(iq, "cancel", "service-unavailable"));
	if (type == NULL || strcmp(type, "set") != 0 ||
	    xml_first_child(q) != NULL)
		return (router_error(iq, "modify", "bad-request"));
	/* Repeating either is no error (section 10.1). */
	s->carbons = strcmp(q->name, "enable") == 0;
	log_debug("carbons %s for %s", s->carbons ? "enabled" : "disabled",
	    s->full);
	return (router_iq_result(iq));
}

const struct iq_feature carbons_enable_feature =
    { NS_CARBONS, "enable", carbons_handle };
const struct iq_feature carbons_disable_feature =
    { NS_CARBONS, "disable", carbons_handle };

static struct xml_node *
carbons_parse(struct stanza_msg *m)
{
	return (router_parse(m->xml, m->xmllen, NS_CLIENT));
}

/*
 * A client's message with a carbon wrapper is a forgery: copies come
 * from the user's bare JID and only the server sends them (section 11).
 * The serialized stanza names every namespace it uses, so one without
 * NS_CARBONS needs no parsing; one with it that cannot be read may hold
 * a wrapper, and is refused.  Returns 1 when the message was refused.
 */
int
carbons_forged(struct session *from, struct stanza_msg *m)
{
	struct xml_node	*n;
	int		 forged;

	if (strstr(m->xml, NS_CARBONS) == NULL)
		return (0);
	if ((n = carbons_parse(m)) == NULL) {
		router_refuse(from, m, "carbons");
		return (1);
	}
	forged = xml_find_child(n, NS_CARBONS, "sent") != NULL ||
	    xml_find_child(n, NS_CARBONS, "received") != NULL;
	xml_node_free(n);
	if (forged) {
		log_info("%s sent a forged carbon", from->full);
		router_bounce(from, m, "modify", "not-acceptable");
	}
	return (forged);
}

/*
 * Is n eligible (section 6): chat, or normal with a body, not from or to
 * a room, not private, no <no-copy/> hint (XEP-0334), not a carbon.
 */
int
carbons_eligible(struct stanza_msg *m, struct xml_node *n)
{
	if (strcmp(m->type, "chat") != 0 && (strcmp(m->type, "normal") !=
	    0 && m->type[0] != '\0'))
		return (0);
	if (strcmp(m->type, "chat") != 0 &&
	    xml_find_child(n, NS_CLIENT, "body") == NULL)
		return (0);
	return (xml_find_child(n, NS_CARBONS, "private") == NULL &&
	    xml_find_child(n, NS_CARBONS, "sent") == NULL &&
	    xml_find_child(n, NS_CARBONS, "received") == NULL &&
	    xml_find_child(n, NS_HINTS, "no-copy") == NULL &&
	    xml_find_child(n, NS_MUC_USER, "x") == NULL);
}

/* Does any session of u but skip (and skip_best) want copies? */
static int
carbons_wanted(struct user *u, struct session *skip, int best)
{
	struct session	*s;

	TAILQ_FOREACH(s, &u->sessions, user_entry)
		if (s->carbons && s != skip && !(best >= 0 && s->available &&
		    s->priority == best))
			return (1);
	return (0);
}

/*
 * Copies of m to u's carbons-enabled sessions but skip; with best >= 0,
 * the message went to the bare JID and the available sessions of that
 * priority have it already (section 7).
 */
static void
carbons_copy(struct user *u, struct session *skip, int best,
    struct stanza_msg *m, const char *wrapper)
{
	struct xml_node	*n, *w = NULL, *c, *f;
	struct session	*s;
	struct xml_buf	 b;

	if (!carbons_wanted(u, skip, best) || (n = carbons_parse(m)) == NULL)
		return;
	/* What the sender wrote: no stanza-id may claim to be ours. */
	if (strcmp(wrapper, "sent") == 0)
		(void)mam_strip(n);
	if (!carbons_eligible(m, n) ||
	    (w = xml_node_new(NS_CLIENT, "message")) == NULL ||
	    xml_set_attr(w, "from", u->bare) == -1 ||
	    (m->type[0] != '\0' && xml_set_attr(w, "type", m->type) == -1) ||
	    (c = xml_add_child(w, NS_CARBONS, wrapper)) == NULL ||
	    (f = xml_add_child(c, NS_FORWARD, "forwarded")) == NULL)
		goto done;
	xml_append(f, n);
	n = NULL;
	TAILQ_FOREACH(s, &u->sessions, user_entry) {
		if (!s->carbons || s == skip || (best >= 0 && s->available &&
		    s->priority == best))
			continue;
		if (xml_set_attr(w, "to", s->full) == -1)
			break;
		xml_buf_init(&b, 0);
		if (xml_serialize(w, NS_CLIENT, &b) == 0 &&
		    xml_buf_add(&b, "", 1) == 0)
			router_deliver_xml(s, STANZA_MESSAGE, b.data,
			    b.len - 1);
		xml_buf_free(&b);
	}
 done:
	xml_node_free(w);
	xml_node_free(n);
}

/* The sender's other resources see what it sent (section 8). */
void
carbons_sent(struct session *from, struct stanza_msg *m)
{
	carbons_copy(from->user, from, -1, m, "sent");
}

/*
 * A message for local user u went to session to, or with to NULL to u's
 * available sessions of the highest priority: the others get copies.
 */
void
carbons_received(struct user *u, struct session *to, struct stanza_msg *m)
{
	struct session	*s;
	int		 best = -1;

	if (u == NULL)
		return;
	if (to == NULL) {
		TAILQ_FOREACH(s, &u->sessions, user_entry)
			if (s->available && s->priority > best)
				best = s->priority;
		if (best < 0)
			return;		/* offline storage, or an error */
	}
	carbons_copy(u, to, best, m, "received");
}

/*
 * The recipient's server SHOULD remove <private/> before delivering
 * (section 9): returns 0 when m went to session to without it, or could
 * not be read and went nowhere, -1 when m has none and goes as it is.
 * m keeps it: no copies are made of m.
 */
int
carbons_private(struct session *to, struct stanza_msg *m)
{
	struct xml_node	*n, *p;
	struct xml_buf	 b;
	int		 rv = -1;

	if (strstr(m->xml, NS_CARBONS) == NULL)
		return (-1);
	if ((n = carbons_parse(m)) == NULL) {
		log_warnx("carbons: cannot read a message for %s: dropped",
		    to->full);
		return (0);
	}
	if ((p = xml_find_child(n, NS_CARBONS, "private")) != NULL) {
		xml_unlink(p);
		xml_node_free(p);
		xml_buf_init(&b, 0);
		if (xml_serialize(n, NS_CLIENT, &b) == 0) {
			router_deliver_xml(to, STANZA_MESSAGE, b.data, b.len);
			rv = 0;
		}
		xml_buf_free(&b);
	}
	xml_node_free(n);
	return (rv);
}
