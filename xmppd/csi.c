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
 * Client State Indication (XEP-0352): while a client says it is inactive
 * the router holds what can wait, as Prosody's mod_csi_simple does:
 * presence (only the latest per sender) and messages without a body, an
 * encrypted payload or a subject (chat states, receipts).  Held messages
 * go out before an urgent one, so a conversation keeps its order; all
 * goes out, in order, when the client is active again.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "imsg.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define CSI_HELD_MAX		100		/* stanzas */
#define CSI_HELD_BYTES		(256 * 1024)

struct csi_item {
	TAILQ_ENTRY(csi_item)	 entry;
	int			 kind;
	char			*from;		/* presence: coalesced by it */
	char			*xml;
	size_t			 len;
};

struct csi_held {
	TAILQ_HEAD(, csi_item)	 items;
	int			 count;
	size_t			 bytes;
};

/* Payloads that make a message worth waking a phone for. */
static const struct {
	const char	*ns;
	const char	*name;
} csi_urgent[] = {
	{ NS_CLIENT,				"body" },
	{ NS_CLIENT,				"subject" },
	{ "eu.siacs.conversations.axolotl",	"encrypted" },
	{ "urn:xmpp:omemo:2",			"encrypted" },
	{ "urn:xmpp:openpgp:0",			"openpgp" },
	{ "jabber:x:encrypted",			"x" },
};

static void
csi_item_free(struct csi_held *h, struct csi_item *it)
{
	TAILQ_REMOVE(&h->items, it, entry);
	h->count--;
	h->bytes -= it->len;
	free(it->from);
	free(it->xml);
	free(it);
}

static int
csi_message_urgent(struct xml_node *n, int depth)
{
	struct xml_node	*c, *f, *inner;
	size_t		 i;

	for (i = 0; i < nitems(csi_urgent); i++)
		if (xml_find_child(n, csi_urgent[i].ns,
		    csi_urgent[i].name) != NULL)
			return (1);
	/* A carbon is as urgent as the message it carries. */
	if (depth == 0 &&
	    ((c = xml_find_child(n, "urn:xmpp:carbons:2", "sent")) != NULL ||
	    (c = xml_find_child(n, "urn:xmpp:carbons:2", "received")) !=
	    NULL) &&
	    (f = xml_find_child(c, "urn:xmpp:forward:0", "forwarded")) !=
	    NULL && (inner = xml_find_child(f, NS_CLIENT, "message")) != NULL)
		return (csi_message_urgent(inner, 1));
	return (0);
}

/* Deliver s's held stanzas (with messages_only, its messages), in order. */
static void
csi_flush(struct session *s, int messages_only)
{
	struct csi_held	*h = s->csi;
	struct csi_item	*it, *next;
	int		 inactive = s->inactive;

	if (h == NULL)
		return;
	s->inactive = 0;	/* router_deliver_xml holds nothing now */
	for (it = TAILQ_FIRST(&h->items); it != NULL; it = next) {
		next = TAILQ_NEXT(it, entry);
		if (messages_only && it->kind != STANZA_MESSAGE)
			continue;
		router_deliver_xml(s, it->kind, it->xml, it->len);
		csi_item_free(h, it);
	}
	s->inactive = inactive;
}

/*
 * A stanza for inactive session s: returns 0 when it is held, -1 when it
 * goes out now (after the messages held before it).  CSI decides when a
 * stanza goes, never whether: what decides whether (blocking, carbons,
 * archive ids) has read it already, or refused it.  So one CSI cannot
 * read is not held back, as for an urgent one; dropping it would lose
 * what the store handed over (an offline message) for good.
 */
int
csi_hold(struct session *s, int kind, const char *xml, size_t len)
{
	struct csi_held	*h;
	struct csi_item	*it;
	struct xml_node	*n;
	const char	*type, *from;
	int		 urgent = 1;

	if (kind == STANZA_IQ || len > CSI_HELD_BYTES)
		return (-1);
	if ((n = router_parse(xml, len, NS_CLIENT)) == NULL) {
		if (kind == STANZA_MESSAGE)
			csi_flush(s, 1);
		return (-1);
	}
	type = xml_get_attr(n, "type");
	from = xml_get_attr(n, "from");
	if (kind == STANZA_PRESENCE)
		/* Subscription requests and errors want an answer. */
		urgent = from == NULL || (type != NULL &&
		    strcmp(type, "unavailable") != 0);
	else
		urgent = (type != NULL && strcmp(type, "error") == 0) ||
		    csi_message_urgent(n, 0);
	if (urgent) {
		xml_node_free(n);
		if (kind == STANZA_MESSAGE)
			csi_flush(s, 1);
		return (-1);
	}
	if ((h = s->csi) == NULL) {
		if ((h = calloc(1, sizeof(*h))) == NULL)
			fatal("%s", __func__);
		TAILQ_INIT(&h->items);
		s->csi = h;
	}
	if (kind == STANZA_PRESENCE)
		TAILQ_FOREACH(it, &h->items, entry)
			if (it->from != NULL && strcmp(it->from, from) == 0) {
				csi_item_free(h, it);
				break;
			}
	if (h->count >= CSI_HELD_MAX || h->bytes + len > CSI_HELD_BYTES)
		csi_flush(s, 0);	/* no room: the client gets it all */
	if ((it = calloc(1, sizeof(*it))) == NULL ||
	    (kind == STANZA_PRESENCE && (it->from = strdup(from)) == NULL) ||
	    (it->xml = malloc(len + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(it->xml, xml, len);
	it->xml[len] = '\0';
	it->kind = kind;
	it->len = len;
	TAILQ_INSERT_TAIL(&h->items, it, entry);
	h->count++;
	h->bytes += len;
	xml_node_free(n);
	return (0);
}

/* As csi_hold, for a stanza the router passes on as it came. */
int
csi_hold_imsg(struct session *s, struct imsg *imsg)
{
	struct stanza_msg	 m;
	int			 rv;

	if (stanza_recv(imsg, &m) == -1)
		return (-1);
	rv = csi_hold(s, m.kind, m.xml, m.xmllen);
	stanza_msg_clear(&m);
	return (rv);
}

int
csi_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct session	*s;
	int		 active;

	if (imsg_get_type(imsg) != IMSG_CSI_STATE)
		return (1);
	if (iev->type != PROC_STREAM ||
	    imsg_get_data(imsg, &active, sizeof(active)) == -1)
		return (-1);
	if ((s = session_find_id(iev->instance, imsg_get_id(imsg))) == NULL)
		return (0);
	log_debug("%s is %s", s->full, active ? "active" : "inactive");
	if (active && s->inactive) {
		s->inactive = 0;
		csi_flush(s, 0);
	} else if (!active)
		s->inactive = 1;
	return (0);
}

/* A session that ends drops what was held for it. */
static void
csi_session_end(struct session *s)
{
	struct csi_held	*h = s->csi;

	if (h == NULL)
		return;
	while (!TAILQ_EMPTY(&h->items))
		csi_item_free(h, TAILQ_FIRST(&h->items));
	free(h);
	s->csi = NULL;
	s->inactive = 0;
}

const struct router_hooks csi_hooks = { csi_session_end, NULL, NULL };
