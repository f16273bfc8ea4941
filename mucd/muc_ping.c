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
 * Pings (XEP-0199).  An occupant's ping to its own nick is answered by
 * the room itself (XEP-0410's self-ping optimization): a result when
 * that session is in the room under that nick.  Who is not gets
 * <not-acceptable/> from the core, and so does everyone after a restart
 * of mucd, which keeps no occupant: the client enters again.  The room
 * passes no IQ to an occupant's client, so a ping to another occupant
 * is answered by the room too: a result says that occupant is in the
 * room.  The service and a room the sender may know of answer theirs.
 * Pings are not counted against a rate: refusing one costs what
 * answering it does, and the client's connection rate bounds them.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <string.h>

#include "muc.h"
#include "xml.h"

#define NS_PING		"urn:xmpp:ping"
#define NS_SELF_PING	"http://jabber.org/protocol/muc#self-ping-optimization"

/*
 * To room@service/nick from an occupant (muc_stanza.c has turned away
 * the others, and a nick no one has: <item-not-found/>, which XEP-0410
 * reads as "joined, under another nick").
 */
static int
muc_ping_occupant(struct muc_ctx *ctx, struct xml_node *q,
    struct muc_error *err)
{
	if (!xml_is(q, NS_PING, "ping"))
		return (MUC_PASS);
	if (strcmp(ctx->type, "get") != 0)
		return (muc_stanza_seterr(err, "modify", "bad-request", NULL));
	muc_stanza_result(ctx, NULL);
	return (MUC_DONE);
}

/* To the service, or to a room the sender may know of. */
static int
muc_ping_entity(struct muc_ctx *ctx, struct xml_node *q,
    struct muc_error *err)
{
	if (!xml_is(q, NS_PING, "ping"))
		return (MUC_PASS);
	if (ctx->room != NULL && !muc_room_visible(ctx))
		return (muc_stanza_seterr(err, "cancel", "item-not-found",
		    NULL));
	if (strcmp(ctx->type, "get") != 0)
		return (muc_stanza_seterr(err, "modify", "bad-request", NULL));
	muc_stanza_result(ctx, NULL);
	return (MUC_DONE);
}

static void
muc_ping_disco(struct muc_room *room, struct xml_node *q)
{
	(void)(mucd_disco_add(q, NS_PING) == -1 ||
	    (room != NULL && mucd_disco_add(q, NS_SELF_PING) == -1));
}

static const struct muc_iq muc_ping_iqs[] = {
	{ NS_PING,	MUC_AT_OCCUPANT,		muc_ping_occupant },
	{ NS_PING,	MUC_AT_SERVICE | MUC_AT_ROOM,	muc_ping_entity },
	{ NULL,		0,				NULL },
};

const struct muc_feature muc_ping_feature = {
	.name = "ping",
	.iqs = muc_ping_iqs,
	.disco = muc_ping_disco,
};
