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
 * xmppctl muc import: the rooms of a file (xmppctl convert
 * ejabberd-rooms made it) into mucd, one room a request.  The file is
 * read whole first, with the one expat setup (xmlread.c); each <room/>
 * goes serialized from its tree, and mucd checks it again.  Each room
 * is said to be imported, to exist (left as it is) or to be refused.
 * A room's archive follows it as <archive room=''/> elements, each a
 * request of its own; what each room's took is said once.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "config.h"
#include "imsg.h"
#include "msg.h"
#include "xml.h"
#include "xmlread.h"
#include "xmppctl.h"

#define MI_DEPTH_MAX	16
#define MI_ROOMS_MAX	100000

/* What the archive requests of one room took. */
struct mi_arch {
	char		 jid[CONF_JIDLEN];
	int		 added, had, refused;
	char		 why[256];
};

struct mi_ctx {
	struct xmlread		 xr;
	int			 depth;
	struct xml_node		*room, *cur;
	long			 start;
	int			 big;		/* the room is too big */
	struct xml_node		**rooms;	/* <room/>, or <too-big/> */
	int			 nrooms;
};

static void
mi_add(struct mi_ctx *ctx, struct xml_node *room)
{
	struct xml_node	**r;

	if (ctx->nrooms == MI_ROOMS_MAX) {
		xml_node_free(room);
		xmlread_stop(&ctx->xr, "too many rooms");
		return;
	}
	if ((r = reallocarray(ctx->rooms, ctx->nrooms + 1, sizeof(*r))) ==
	    NULL)
		err(1, NULL);
	ctx->rooms = r;
	ctx->rooms[ctx->nrooms++] = room;
}

/* The room is too big to send: what is kept of it is its JID. */
static void
mi_too_big(struct mi_ctx *ctx)
{
	struct xml_node	*n;
	const char	*attr = xml_is(ctx->room, NS_MUC_IMPORT, "archive") ?
			    "room" : "jid";
	const char	*jid = xml_get_attr(ctx->room, attr);

	if ((n = xml_node_new(NS_MUC_IMPORT, "too-big")) == NULL ||
	    (jid != NULL && xml_set_attr(n, attr, jid) == -1))
		err(1, NULL);
	xml_node_free(ctx->room);
	ctx->room = ctx->cur = NULL;
	mi_add(ctx, n);
}

static void
mi_start(void *arg, const char *qname, const char **attrs)
{
	struct mi_ctx	*ctx = ((struct xmlread *)arg)->arg;
	struct xml_node	*n;
	const char	*name;
	char		 ns[1024];

	xmlread_event(&ctx->xr);
	if (++ctx->depth > MI_DEPTH_MAX) {
		xmlread_stop(&ctx->xr, "elements nested too deep");
		return;
	}
	if ((name = xmlread_split(qname, ns, sizeof(ns))) == NULL) {
		xmlread_stop(&ctx->xr, "a namespace too long");
		return;
	}
	if (ctx->depth == 1) {
		if (strcmp(ns, NS_MUC_IMPORT) != 0 ||
		    strcmp(name, "rooms") != 0)
			xmlread_stop(&ctx->xr, "not rooms to import (<rooms "
			    "xmlns='" NS_MUC_IMPORT "'/>)");
		return;
	}
	if (ctx->depth == 2) {
		ctx->start = xmlread_offset(&ctx->xr);
		ctx->big = 0;
	}
	if (ctx->big)
		return;
	if (xmlread_offset(&ctx->xr) - ctx->start > MUC_IMPORT_MAX) {
		ctx->big = 1;
		return;
	}
	if ((n = xmlread_node(&ctx->xr, ns, name, attrs)) == NULL)
		return;
	if (ctx->room == NULL)
		ctx->room = n;
	else
		xml_append(ctx->cur, n);
	ctx->cur = n;
}

static void
mi_end(void *arg, const char *qname)
{
	struct mi_ctx	*ctx = ((struct xmlread *)arg)->arg;
	int		 depth = ctx->depth--;

	(void)qname;
	xmlread_event(&ctx->xr);
	if (depth == 1)
		return;
	if (ctx->big) {
		if (depth == 2)
			mi_too_big(ctx);
		return;
	}
	if (depth > 2) {
		ctx->cur = ctx->cur->parent;
		return;
	}
	if (!xml_is(ctx->room, NS_MUC_IMPORT, "room") &&
	    !xml_is(ctx->room, NS_MUC_IMPORT, "archive")) {
		printf("%s:%d: <%s/> skipped: not a room\n", ctx->xr.file,
		    xmlread_line(&ctx->xr), ctx->room->name);
		xml_node_free(ctx->room);
	} else
		mi_add(ctx, ctx->room);
	ctx->room = ctx->cur = NULL;
}

static void
mi_chars(void *arg, const char *s, int len)
{
	struct mi_ctx	*ctx = ((struct xmlread *)arg)->arg;

	xmlread_event(&ctx->xr);
	if (ctx->cur == NULL || ctx->big)
		return;
	if (xmlread_offset(&ctx->xr) - ctx->start > MUC_IMPORT_MAX) {
		ctx->big = 1;
		return;
	}
	if (xml_add_text(ctx->cur, s, len) == -1)
		err(1, NULL);
}

/* What a room's archive took, said once, when the next room comes. */
static int
mi_arch_done(struct mi_arch *a)
{
	int	 ret = a->refused > 0;

	if (a->jid[0] == '\0')
		return (0);
	if (a->refused > 0)
		printf("%s: archive: %d messages imported, %d there already; "
		    "%d parts refused: %s\n", a->jid, a->added, a->had,
		    a->refused, a->why);
	else
		printf("%s: archive: %d messages imported, %d there "
		    "already\n", a->jid, a->added, a->had);
	memset(a, 0, sizeof(*a));
	return (ret);
}

/* One request and mucd's answer. */
static void
mi_request(struct imsgbuf *ibuf, const struct xml_buf *b,
    struct ctl_muc_import *ci)
{
	struct imsg	 imsg;

	if (imsg_compose(ibuf, IMSG_CTL_MUC_IMPORT, MSG_VERSION, 0, -1,
	    b->data, b->len) == -1 || imsgbuf_flush(ibuf) == -1)
		err(1, "send");
	ctl_get(ibuf, &imsg);
	if (imsg_get_type(&imsg) == IMSG_CTL_FAIL)
		ctl_fail_exit(&imsg);
	if (imsg_get_type(&imsg) != IMSG_CTL_MUC_IMPORTED ||
	    imsg_get_data(&imsg, ci, sizeof(*ci)) == -1)
		errx(1, "bad answer from xmppd");
	imsg_free(&imsg);
	ci->why[sizeof(ci->why) - 1] = '\0';
}

/* A part of a room's archive, counted in a. */
static int
mi_send_archive(struct imsgbuf *ibuf, const struct xml_node *n,
    struct mi_arch *a)
{
	struct ctl_muc_import	 ci;
	struct xml_buf		 b;
	const char		*jid = xml_get_attr(n, "room");
	int			 ret = 0;

	if (jid == NULL)
		jid = "?";
	if (strcmp(a->jid, jid) != 0) {
		ret = mi_arch_done(a);
		(void)strlcpy(a->jid, jid, sizeof(a->jid));
	}
	xml_buf_init(&b, MUC_IMPORT_MAX);
	if (!xml_is(n, NS_MUC_IMPORT, "archive") ||
	    xml_serialize(n, NULL, &b) == -1) {
		a->refused++;
		(void)strlcpy(a->why, "a part too big", sizeof(a->why));
	} else {
		mi_request(ibuf, &b, &ci);
		if (ci.result == MUC_IMPORT_DONE) {
			a->added += ci.added;
			a->had += ci.had;
		} else {
			a->refused++;
			(void)strlcpy(a->why, ci.why, sizeof(a->why));
		}
	}
	xml_buf_free(&b);
	return (ret);
}

/* One room to mucd: 0 imported or there already, 1 refused. */
static int
mi_send(struct imsgbuf *ibuf, int i, const struct xml_node *room)
{
	struct ctl_muc_import	 ci;
	struct xml_buf		 b;
	const char		*jid;
	char			 name[32];

	(void)snprintf(name, sizeof(name), "room %d", i + 1);
	jid = xml_get_attr(room, "jid") != NULL ? xml_get_attr(room, "jid") :
	    name;
	xml_buf_init(&b, MUC_IMPORT_MAX);
	if (!xml_is(room, NS_MUC_IMPORT, "room") ||
	    xml_serialize(room, NULL, &b) == -1) {
		xml_buf_free(&b);
		printf("%s: refused: the room is too big\n", jid);
		return (1);
	}
	mi_request(ibuf, &b, &ci);
	xml_buf_free(&b);
	switch (ci.result) {
	case MUC_IMPORT_DONE:
		printf("%s: imported\n", jid);
		return (0);
	case MUC_IMPORT_EXISTS:
		printf("%s: exists, left unchanged\n", jid);
		return (0);
	}
	printf("%s: refused: %s\n", jid, ci.why);
	return (1);
}

/* Read the file whole; exits when it cannot be. */
int
muc_import_read(const char *file, struct xml_node ***rooms)
{
	struct mi_ctx	 ctx;
	FILE		*f;

	memset(&ctx, 0, sizeof(ctx));
	ctx.xr.file = file;
	ctx.xr.arg = &ctx;
	if ((f = fopen(file, "r")) == NULL)
		err(1, "%s", file);
	if (xmlread_run(&ctx.xr, f, mi_start, mi_end, mi_chars) == -1)
		errx(1, "%s; nothing imported", ctx.xr.err);
	(void)fclose(f);
	xml_node_free(ctx.room);
	if (ctx.nrooms == 0)
		errx(1, "%s: no room in the file; nothing imported", file);
	*rooms = ctx.rooms;
	return (ctx.nrooms);
}

/* Send each room of the file read; 1 when one was refused. */
int
muc_import(struct imsgbuf *ibuf, struct xml_node **rooms, int n)
{
	struct mi_arch	 a;
	int		 i, ret = 0;

	memset(&a, 0, sizeof(a));
	for (i = 0; i < n; i++) {
		if (xml_is(rooms[i], NS_MUC_IMPORT, "archive") ||
		    (xml_is(rooms[i], NS_MUC_IMPORT, "too-big") &&
		    xml_get_attr(rooms[i], "room") != NULL)) {
			if (mi_send_archive(ibuf, rooms[i], &a) != 0)
				ret = 1;
		} else {
			if (mi_arch_done(&a) != 0)
				ret = 1;
			if (mi_send(ibuf, i, rooms[i]) != 0)
				ret = 1;
		}
		xml_node_free(rooms[i]);
	}
	if (mi_arch_done(&a) != 0)
		ret = 1;
	free(rooms);
	return (ret);
}
