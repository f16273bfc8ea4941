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
 * The way to and from mucd: stanzas for a muc service's domain go to
 * mucd as the sender's session sent them; what mucd sends back goes to
 * users, from the service's domain only.  When a session ends or goes
 * unavailable, the rooms it sent presence to hear so from the router.
 * The control process has no link to mucd: its requests (xmppctl muc
 * rooms) go through here, and mucd's answers back.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

static struct service_link	 muc_link = { PROC_MUCD, "muc", { 0 }, 0, 0 };

/* Is jid on the domain of a muc service? */
int
muc_jid(const char *jid)
{
	struct jid	 j;

	return (jid_parse(jid, &j) == 0 &&
	    config_muc(proc_self.conf, j.domain) != NULL);
}

/* A stanza from session from to a muc JID. */
void
muc_forward(struct session *from, struct stanza_msg *m, struct imsg *imsg)
{
	service_forward(&muc_link, from, m, imsg);
}

/* Tell room jid, as from session s, that s is gone (or unavailable). */
void
muc_presence_gone(struct session *s, const char *jid)
{
	struct imsgev	*iev;
	struct xml_node	*n;

	if ((iev = proc_peer(PROC_MUCD, 0)) == NULL)
		return;
	if ((n = xml_node_new(NS_CLIENT, "presence")) == NULL ||
	    xml_set_attr(n, "type", "unavailable") == -1 ||
	    xml_set_attr(n, "from", s->full) == -1 ||
	    xml_set_attr(n, "to", jid) == -1 ||
	    stanza_send(iev, 0, 0, n, NS_CLIENT) == -1)
		log_warnx("%s: %s not told of %s", __func__, jid, s->full);
	xml_node_free(n);
}

/*
 * A session that ends unavailable sends nothing to its directed presence
 * recipients (router_presence.c does when it was available); the rooms
 * it joined must still lose the occupant.
 */
static void
muc_session_end(struct session *s)
{
	int	 i;

	if (s->available)
		return;
	for (i = 0; i < s->ndirected; i++)
		if (muc_jid(s->directed[i]))
			muc_presence_gone(s, s->directed[i]);
}

const struct router_hooks muc_hooks = {
	muc_session_end, NULL, NULL
};

/*
 * What mucd could not have delivered goes back to it as an error from
 * where it was going, so that a room drops an occupant that is gone.
 */
static void
muc_undelivered(struct imsgev *iev, struct stanza_msg *m, const char *cond)
{
	struct xml_node	*r;

	if (strcmp(m->type, "error") == 0 || (m->kind == STANZA_IQ &&
	    strcmp(m->type, "result") == 0))
		return;
	if ((r = router_error_msg(m, "cancel", cond)) != NULL)
		(void)stanza_send(iev, 0, 0, r, NS_CLIENT);
	xml_node_free(r);
}

/*
 * What a room sent over federation that could not go (the remote
 * server unreachable, or refusing us): mucd hears it the same way.
 */
void
muc_unreachable(struct stanza_msg *m, const char *cond)
{
	struct imsgev	*iev;

	if ((iev = proc_peer(PROC_MUCD, 0)) != NULL)
		muc_undelivered(iev, m, cond);
}

/* Does u refuse what comes from jid (XEP-0191)?  Unknown: it does. */
static int
muc_blocked(struct user *u, const char *jid)
{
	return (blocking_known(u, jid) != 0);
}

/* A message to a bare JID: its available resources of highest priority. */
static int
muc_to_bare(struct user *u, struct stanza_msg *m, struct imsg *imsg)
{
	struct session	*s;
	int		 best = -1, n = 0;

	if (u == NULL || m->kind != STANZA_MESSAGE)
		return (0);
	TAILQ_FOREACH(s, &u->sessions, user_entry)
		if (s->available && s->priority > best)
			best = s->priority;
	TAILQ_FOREACH(s, &u->sessions, user_entry)
		if (s->available && s->priority >= 0 && s->priority == best) {
			router_deliver(s, imsg);
			n++;
		}
	return (n);
}

/* A stanza from mucd, for a user; -1: refused, the link closes. */
static int
muc_deliver(struct imsgev *iev, struct imsg *imsg)
{
	struct stanza_msg	 m;
	struct session		*to;
	struct user		*u;
	const char		*cond;
	int			 where;

	if ((where = service_stanza_recv(&muc_link, imsg, &m)) != 0)
		return (where == 1 ? 0 : -1);
	service_answered(&muc_link, &m);
	/* mucd speaks for its rooms only, never for a user. */
	if (!muc_jid(m.from)) {
		log_warnx("%s: mucd sent a stanza from %s: dropped", __func__,
		    m.from);
		stanza_msg_clear(&m);
		return (0);
	}
	where = router_local_jid(m.to, &to, &u);
	if (where == -1) {
		if (muc_jid(m.to))
			;
		else if (component_jid(m.to)) {
			if (component_deliver(m.to, imsg) == -1)
				muc_undelivered(iev, &m,
				    "recipient-unavailable");
		} else if (s2s_remote_jid(m.to)) {
			/* An occupant on another server: federation. */
			if ((cond = s2s_forward(&m, imsg)) != NULL)
				muc_undelivered(iev, &m, cond);
		} else
			muc_undelivered(iev, &m, "remote-server-not-found");
	} else if (where == 0)
		;	/* to the server itself: nothing of ours asks mucd */
	else if (u != NULL && muc_blocked(u, m.from))
		;	/* the user blocks the room, or its list is not known */
	else if (to != NULL)
		router_deliver(to, imsg);
	else if (where == 2 || muc_to_bare(u, &m, imsg) == 0)
		/* That session is gone (a ghost occupant), or the user. */
		muc_undelivered(iev, &m, "recipient-unavailable");
	stanza_msg_clear(&m);
	return (0);
}

/* A control request for mucd (xmppctl muc rooms, muc import). */
int
muc_ctl(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	return (service_ctl(&muc_link, !TAILQ_EMPTY(&proc_self.conf->mucs),
	    imsg));
}

void
muc_peer_down(void)
{
	service_peer_down(&muc_link);
}

int
muc_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	if (iev->type != PROC_MUCD)
		return (1);
	switch (imsg_get_type(imsg)) {
	case IMSG_STANZA:
		return (muc_deliver(iev, imsg));
	case IMSG_CTL_MUC_ROOM:
	case IMSG_CTL_MUC_IMPORTED:
	case IMSG_CTL_END:
		service_ctl_answer(&muc_link, imsg,
		    imsg_get_type(imsg) != IMSG_CTL_MUC_ROOM);
		return (0);
	}
	return (-1);
}
