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
 * Last Activity (XEP-0012): the server's uptime, and for the sender's
 * own account 0 while one of its resources is available, else the time
 * since and the status of its last unavailable presence, kept while the
 * account has sessions.  Other accounts are not answered: logouts are
 * not stored and subscriptions not checked here.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "router.h"
#include "xml.h"

#define NS_LAST		"jabber:iq:last"

static struct timespec	 last_start;

/* The router's start; the monotonic clock ignores changes of the date. */
void
last_init(void)
{
	if (clock_gettime(CLOCK_MONOTONIC, &last_start) == -1)
		fatal("%s: clock_gettime", __func__);
}

/*
 * A session of the user became unavailable: xml its presence as sent,
 * or NULL when the session ended without one.
 */
void
last_unavailable(struct session *s, const char *xml, size_t len)
{
	struct user	*u = s->user;
	struct xml_node	*n, *st;

	if (clock_gettime(CLOCK_MONOTONIC, &u->last_gone) == -1)
		fatal("%s: clock_gettime", __func__);
	free(u->last_status);
	u->last_status = NULL;
	if (xml == NULL || (n = router_parse(xml, len, NS_CLIENT)) == NULL)
		return;
	if ((st = xml_find_child(n, NS_CLIENT, "status")) != NULL)
		u->last_status = xml_text(st);
	xml_node_free(n);
}

/* The account's own last activity: seconds into secs, its status. */
static const char *
last_self(struct session *s, struct timespec *now, char *secs, size_t len)
{
	struct session	*o;
	struct user	*u = s->user;

	TAILQ_FOREACH(o, &u->sessions, user_entry)
		if (o->available)
			return (NULL);
	if (u->last_gone.tv_sec == 0 && u->last_gone.tv_nsec == 0)
		return (NULL);
	(void)snprintf(secs, len, "%lld",
	    (long long)(now->tv_sec - u->last_gone.tv_sec));
	return (u->last_status);
}

static struct xml_node *
last_handle(struct session *s, struct xml_node *iq, struct xml_node *query)
{
	struct xml_node	*r, *q;
	struct timespec	 now;
	const char	*type = xml_get_attr(iq, "type");
	int		 to = router_iq_to(s, iq);
	const char	*status = NULL;
	char		 secs[32] = "0";

	(void)query;
	if (to == IQ_ACCOUNT)
		return (router_error(iq, "cancel", "service-unavailable"));
	if (type == NULL || strcmp(type, "get") != 0)
		return (router_error(iq, "cancel", "feature-not-implemented"));
	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		fatal("%s: clock_gettime", __func__);
	if (to == IQ_SERVER)
		(void)snprintf(secs, sizeof(secs), "%lld",
		    (long long)(now.tv_sec - last_start.tv_sec));
	else
		status = last_self(s, &now, secs, sizeof(secs));
	if ((r = router_iq_result(iq)) == NULL ||
	    (q = xml_add_child(r, NS_LAST, "query")) == NULL ||
	    xml_set_attr(q, "seconds", secs) == -1 ||
	    (status != NULL && xml_add_text(q, status, strlen(status)) == -1)) {
		xml_node_free(r);
		return (NULL);
	}
	return (r);
}

const struct iq_feature last_feature = { NS_LAST, "query", last_handle };
