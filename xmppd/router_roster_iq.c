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
 * The roster IQs (RFC 6121 section 2.1): get, with XEP-0237 versioning,
 * and set, to add, change or remove one item.  Items of the directory's
 * shared group are listed with the user's own; the directory decides
 * who is in it, the user only names them and adds groups.
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

#define NS_ROSTER	"jabber:iq:roster"
#define ROSTER_MAX_GROUPS	64
#define ROSTER_MAX_TEXT		1023

/* Send the answer r to iq; one too large to send says so instead. */
static void
roster_reply(struct roster_job *j, struct xml_node *iq, struct xml_node *r)
{
	struct session	*s;
	struct imsgev	*iev;

	if (r != NULL && (s = session_find_id(j->stream, j->session)) != NULL &&
	    (iev = proc_peer(PROC_STREAM, s->stream)) != NULL &&
	    stanza_send(iev, s->id, s->id, r, NS_CLIENT) == -1) {
		xml_node_free(r);
		r = router_error(iq, "wait", "resource-constraint");
		(void)stanza_send(iev, s->id, s->id, r, NS_CLIENT);
	}
	xml_node_free(r);
}

static struct xml_node *
roster_get(struct roster *r, struct session *s, struct xml_node *iq,
    struct xml_node *q)
{
	const struct shared_group	*g = roster_group(r);
	struct xml_node			*res, *rq;
	struct ritem			*it;
	const char			*ver = xml_get_attr(q, "ver"), *jid;
	char				 cur[32], buf[CONF_JIDLEN];
	size_t				 i;

	if (s != NULL)
		s->roster_requested = 1;
	roster_ver(r, cur, sizeof(cur));
	res = router_iq_result(iq);
	/* The client's copy is current: an empty result says so. */
	if (ver != NULL && strcmp(ver, cur) == 0)
		return (res);
	rq = xml_add_child(res, NS_ROSTER, "query");
	xml_set_attr(rq, "ver", cur);
	RB_FOREACH(it, ritems, &r->items)
		if (it->in_roster)
			roster_item_xml(rq, r, g, it->jid);
	for (i = 0; g != NULL && i < g->nmembers; i++)
		if ((jid = roster_member_jid(r, &g->members[i], buf,
		    sizeof(buf))) != NULL && ((it = roster_item(r, jid)) ==
		    NULL || !it->in_roster))
			roster_item_xml(rq, r, g, jid);
	return (res);
}

/* 1 when group t is already in b, groups joined by newlines. */
static int
roster_group_dup(const struct xml_buf *b, const char *t)
{
	const char	*p, *e, *end;
	size_t		 n = strlen(t);

	if (b->len == 0)
		return (0);
	for (p = b->data, end = b->data + b->len; p < end; p = e + 1) {
		if ((e = memchr(p, '\n', end - p)) == NULL)
			e = end;
		if ((size_t)(e - p) == n && memcmp(p, t, n) == 0)
			return (1);
	}
	return (0);
}

/*
 * Groups of an item, joined by newlines; NULL when not acceptable
 * (*bad 1: <not-acceptable/>) or when a group is named twice (*bad 2:
 * <bad-request/>, RFC 6121 section 2.3.3).
 */
static char *
roster_groups(struct xml_node *item, int *bad)
{
	struct xml_node	*g;
	struct xml_buf	 b;
	char		*t;
	int		 n = 0;

	xml_buf_init(&b, 0);
	*bad = 0;
	TAILQ_FOREACH(g, &item->children, entry) {
		if (!xml_is(g, NS_ROSTER, "group"))
			continue;
		if ((t = xml_text(g)) == NULL || t[0] == '\0' ||
		    strlen(t) > ROSTER_MAX_TEXT || strchr(t, '\n') != NULL ||
		    ++n > ROSTER_MAX_GROUPS) {
			free(t);
			*bad = 1;
			break;
		}
		if (roster_group_dup(&b, t)) {
			free(t);
			*bad = 2;
			break;
		}
		if ((b.len > 0 && xml_buf_add(&b, "\n", 1) == -1) ||
		    xml_buf_addstr(&b, t) == -1)
			*bad = 1;
		free(t);
	}
	if (*bad || xml_buf_add(&b, "", 1) == -1) {
		xml_buf_free(&b);
		if (*bad == 0)
			*bad = 1;
		return (NULL);
	}
	return (b.data);
}

/* Take group g out of a list of groups: the directory's, not the user's. */
static void
roster_groups_drop(char *groups, const char *g)
{
	char	*p = groups, *out = groups, *s;
	size_t	 n;

	while ((s = strsep(&p, "\n")) != NULL) {
		if (strcmp(s, g) == 0)
			continue;
		n = strlen(s);
		if (out != groups)
			*out++ = '\n';
		memmove(out, s, n);
		out += n;
	}
	*out = '\0';
}

static struct xml_node *
roster_set(struct roster *r, struct session *s, struct xml_node *iq,
    struct xml_node *q)
{
	const struct shared_group	*g = roster_group(r);
	const struct shared_member	*m;
	struct xml_node			*item = NULL, *c;
	struct ritem			*it;
	struct jid			 jj;
	const char			*jid, *name, *sub;
	char				 norm[CONF_JIDLEN], *groups;
	int				 n = 0, bad;

	TAILQ_FOREACH(c, &q->children, entry)
		if (c->name != NULL && n++ == 0)
			item = c;
	if (n != 1 || !xml_is(item, NS_ROSTER, "item") ||
	    (jid = xml_get_attr(item, "jid")) == NULL ||
	    jid_parse(jid, &jj) == -1)
		return (router_error(iq, "modify", "bad-request"));
	(void)jid_full(&jj, norm, sizeof(norm));
	if (strcmp(norm, r->bare) == 0)
		return (router_error(iq, "cancel", "not-allowed"));
	m = roster_shared(r, g, norm);
	sub = xml_get_attr(item, "subscription");
	if (sub != NULL && strcmp(sub, "remove") == 0) {
		if (m != NULL)
			return (router_error(iq, "cancel", "not-allowed"));
		if ((it = roster_item(r, norm)) == NULL || !it->in_roster)
			return (router_error(iq, "cancel", "item-not-found"));
		subscription_cancel(s, r, it);
		roster_drop_item(r, it);
		return (router_iq_result(iq));
	}
	name = xml_get_attr(item, "name");
	if (name != NULL && strlen(name) > ROSTER_MAX_TEXT)
		return (router_error(iq, "modify", "not-acceptable"));
	if ((groups = roster_groups(item, &bad)) == NULL)
		return (router_error(iq, "modify", bad == 2 ? "bad-request" :
		    "not-acceptable"));
	if (m != NULL)
		roster_groups_drop(groups, g->group);
	if ((it = roster_item_make(r, norm)) == NULL) {
		free(groups);
		return (router_error(iq, "wait", "resource-constraint"));
	}
	free(it->name);
	free(it->groups);
	if ((it->name = strdup(name != NULL ? name : "")) == NULL)
		fatal("%s", __func__);
	it->groups = groups;
	it->in_roster = 1;
	roster_changed(r, it);
	return (router_iq_result(iq));
}

/*
 * The answer to the roster IQ iq (get or set) on r, asked by r's owner
 * from session s, or (s NULL) by a component granted it (XEP-0356).
 */
struct xml_node *
roster_iq_answer(struct roster *r, struct session *s, struct xml_node *iq)
{
	struct xml_node	*q;
	const char	*type = xml_get_attr(iq, "type");

	if ((q = xml_find_child(iq, NS_ROSTER, "query")) == NULL ||
	    type == NULL)
		return (router_error(iq, "modify", "bad-request"));
	if (!r->exists)
		return (router_error(iq, "cancel", "service-unavailable"));
	if (strcmp(type, "get") == 0)
		return (roster_get(r, s, iq, q));
	return (roster_set(r, s, iq, q));
}

static void
roster_iq_job(struct roster *r, struct roster_job *j)
{
	struct session	*s;
	struct xml_node	*iq;

	if ((s = session_find_id(j->stream, j->session)) == NULL)
		return;
	/* The router wrote it (roster_handle): it reads back. */
	if ((iq = roster_parse(j->xml)) == NULL) {
		log_warnx("%s: a request of %s unreadable", __func__,
		    s->full);
		return;
	}
	roster_reply(j, iq, roster_iq_answer(r, s, iq));
	xml_node_free(iq);
}

/* The roster is the user's own: only the user's account answers. */
static struct xml_node *
roster_handle(struct session *s, struct xml_node *iq, struct xml_node *q)
{
	const char	*to = xml_get_attr(iq, "to");
	struct xml_buf	 b;

	(void)q;
	if (to != NULL && strcmp(to, s->user->bare) != 0)
		return (router_error(iq, "cancel", "forbidden"));
	xml_buf_init(&b, 0);
	if (xml_serialize(iq, NS_CLIENT, &b) == -1 ||
	    xml_buf_add(&b, "", 1) == -1) {
		xml_buf_free(&b);
		return (router_error(iq, "wait", "internal-server-error"));
	}
	roster_with(s->user->local, s->user->domain, roster_iq_job,
	    roster_job_new(s, b.data, NULL));
	xml_buf_free(&b);
	return (NULL);
}

const struct iq_feature roster_feature = { NS_ROSTER, "query", roster_handle };
