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
 * The way to and from uploadd: stanzas for an upload service's domain go
 * to uploadd as the session sent them; uploadd's answers go back only
 * from a service's own domain, only to a session of ours, and only in
 * answer to a request that went to it: uploadd asks no one anything,
 * and grants no slot nobody asked for.  Control requests (xmppctl
 * upload) go through here, and the accounts deleted.
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

static struct service_link	 upload_link = { PROC_UPLOADD, "upload",
				    { 0 }, 0, 1 };

/* Is jid on the domain of an upload service? */
int
upload_jid(const char *jid)
{
	struct jid	 j;

	return (jid_parse(jid, &j) == 0 &&
	    config_upload(proc_self.conf, j.domain) != NULL);
}

void
upload_forward(struct session *from, struct stanza_msg *m, struct imsg *imsg)
{
	service_forward(&upload_link, from, m, imsg);
}

/*
 * A stanza from uploadd: an answer to one session.  uploadd speaks as
 * its services' domains and nothing else, and nothing it sends goes to
 * a bare JID, another server or a session that is gone; a component
 * that asked hears its answer.  -1: refused, the link closes.
 */
static int
upload_deliver(struct imsg *imsg)
{
	struct stanza_msg	 m;
	struct session		*to;
	struct user		*u;
	struct jid		 j;
	int			 r;

	if ((r = service_stanza_recv(&upload_link, imsg, &m)) != 0)
		return (r == 1 ? 0 : -1);
	if (jid_parse(m.from, &j) == -1 || j.local[0] != '\0' ||
	    j.resource[0] != '\0' ||
	    config_upload(proc_self.conf, j.domain) == NULL)
		log_warnx("%s: uploadd sent a stanza from %s: dropped",
		    __func__, m.from);
	else if (!service_answered(&upload_link, &m))
		log_warnx("%s: uploadd sent %s a %s nobody asked for: dropped",
		    __func__, m.to, stanza_kinds[m.kind]);
	else if (router_local_jid(m.to, &to, &u) == 2 && to != NULL)
		router_deliver(to, imsg);
	else if (component_deliver(m.to, imsg) == 0)
		;	/* an answer to a component */
	else
		log_debug("%s: %s is not a session: dropped", __func__, m.to);
	stanza_msg_clear(&m);
	return (0);
}

/* xmppctl upload stats|purge. */
int
upload_ctl(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	return (service_ctl(&upload_link,
	    !TAILQ_EMPTY(&proc_self.conf->uploads), imsg));
}

/* An account was deleted: its files go too. */
void
upload_account_gone(const char *bare)
{
	struct imsgev		*iev;
	struct ctl_upload	 cu;

	if (TAILQ_EMPTY(&proc_self.conf->uploads))
		return;
	if ((iev = proc_peer(PROC_UPLOADD, 0)) == NULL) {
		/* They stay until they expire. */
		log_warnx("%s: uploadd is not running to delete the files "
		    "of %s", __func__, bare);
		return;
	}
	memset(&cu, 0, sizeof(cu));
	if (strlcpy(cu.arg, bare, sizeof(cu.arg)) >= sizeof(cu.arg))
		return;
	imsgev_compose(iev, IMSG_UPLOAD_ACCOUNT_GONE, 0, 0, -1, &cu,
	    sizeof(cu));
}

void
upload_peer_down(void)
{
	service_peer_down(&upload_link);
}

int
upload_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	uint32_t	 type = imsg_get_type(imsg);

	if (iev->type != PROC_UPLOADD)
		return (1);
	switch (type) {
	case IMSG_STANZA:
		return (upload_deliver(imsg));
	case IMSG_CTL_UPLOAD_STAT:
	case IMSG_CTL_UPLOAD_USER:
	case IMSG_CTL_UPLOAD_PURGED:
	case IMSG_CTL_FAIL:
	case IMSG_CTL_END:
		service_ctl_answer(&upload_link, imsg,
		    type != IMSG_CTL_UPLOAD_STAT &&
		    type != IMSG_CTL_UPLOAD_USER);
		return (0);
	}
	return (-1);
}
