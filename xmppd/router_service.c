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
 * What the ways to the service daemons (mucd, uploadd) share: stanzas
 * handed on as the session sent them, and control requests relayed to
 * the daemon, their ids kept until the daemon ends its answer.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"

/*
 * A stanza from session from to a service: to the daemon as it came,
 * or, with the daemon not running, the error a service that is away
 * earns.
 */
void
service_forward(struct service_link *sl, struct session *from,
    struct stanza_msg *m, struct imsg *imsg)
{
	struct imsgev	*iev;

	if ((iev = proc_peer(sl->proc, 0)) == NULL) {
		router_bounce(from, m, "wait", "service-unavailable");
		return;
	}
	if (imsg != NULL)
		imsgev_forward(iev, imsg, 0);
	else
		(void)stanza_send_msg(iev, 0, m);
}

static void
service_ctl_fail(uint32_t id, const char *why)
{
	struct imsgev	*ctl;

	if ((ctl = proc_peer(PROC_CONTROL, 0)) != NULL)
		imsgev_compose(ctl, IMSG_CTL_FAIL, id, 0, -1, why,
		    strlen(why) + 1);
}

/* A control request for the daemon: passed on, its id kept. */
int
service_ctl(struct service_link *sl, int configured, struct imsg *imsg)
{
	struct imsgev	*iev;
	char		 why[64];
	uint32_t	 id = imsg_get_id(imsg);

	if (!configured) {
		(void)snprintf(why, sizeof(why), "no %s service is configured",
		    sl->what);
		service_ctl_fail(id, why);
	} else if ((iev = proc_peer(sl->proc, 0)) == NULL) {
		(void)snprintf(why, sizeof(why), "%s is not running",
		    proc_name(sl->proc));
		service_ctl_fail(id, why);
	} else if ((size_t)sl->nctl == nitems(sl->ctl_ids))
		service_ctl_fail(id, "too many requests");
	else {
		sl->ctl_ids[sl->nctl++] = id;
		imsgev_forward(iev, imsg, id);
	}
	return (0);
}

/* The daemon's answer to control; the request is done when last is. */
void
service_ctl_answer(struct service_link *sl, struct imsg *imsg, int last)
{
	struct imsgev	*ctl;
	uint32_t	 id = imsg_get_id(imsg);
	int		 i;

	for (i = 0; i < sl->nctl && sl->ctl_ids[i] != id; i++)
		;
	if (i == sl->nctl) {
		log_warnx("%s: an answer to no request from %s", __func__,
		    proc_name(sl->proc));
		return;
	}
	if ((ctl = proc_peer(PROC_CONTROL, 0)) != NULL)
		imsgev_forward(ctl, imsg, id);
	if (last)
		sl->ctl_ids[i] = sl->ctl_ids[--sl->nctl];
}

/* The daemon is gone: what it was asked fails. */
void
service_peer_down(struct service_link *sl)
{
	char	 why[64];

	(void)snprintf(why, sizeof(why), "%s went away", proc_name(sl->proc));
	while (sl->nctl > 0)
		service_ctl_fail(sl->ctl_ids[--sl->nctl], why);
}

/*
 * A stanza from the daemon, read: 0 to route it; 1 dropped (its XML
 * cannot be read here, so not checked); -1 refused, the daemon sent
 * what it never does: a broken envelope, or XML that says another
 * sender, recipient or kind than the envelope the router routes on.
 */
int
service_stanza_recv(struct service_link *sl, struct imsg *imsg,
    struct stanza_msg *m)
{
	int	 ok;

	if (stanza_recv(imsg, m) == -1) {
		log_warnx("%s sent a stanza that cannot be read: refused",
		    proc_name(sl->proc));
		return (-1);
	}
	if ((ok = router_envelope_ok(m)) == 1)
		return (0);
	if (ok == -1)
		log_warnx("%s sent a stanza from %s the router cannot read: "
		    "dropped", proc_name(sl->proc), m->from);
	else
		log_warnx("%s sent a stanza from %s whose XML is not what "
		    "its envelope says: refused", proc_name(sl->proc),
		    m->from);
	stanza_msg_clear(m);
	return (ok == -1 ? 1 : -1);
}
