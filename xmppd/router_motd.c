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
 * The message of the day: the domain's "motd", sent as a headline from
 * the domain to each session when it first becomes available, that is
 * once the client can show it.
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

/* A headline from domain to s (NULL: every available session). */
int
motd_send(const char *domain, struct session *to, const char *subject,
    const char *text)
{
	struct session	*s = to;
	struct imsgev	*iev;
	struct xml_node	*m, *c;
	int		 n = 0;

	if ((m = xml_node_new(NS_CLIENT, "message")) == NULL ||
	    xml_set_attr(m, "from", domain) == -1 ||
	    xml_set_attr(m, "type", "headline") == -1 ||
	    (subject != NULL && ((c = xml_add_child(m, NULL, "subject")) ==
	    NULL || xml_add_text(c, subject, strlen(subject)) == -1)) ||
	    (c = xml_add_child(m, NULL, "body")) == NULL ||
	    xml_add_text(c, text, strlen(text)) == -1) {
		xml_node_free(m);
		return (-1);
	}
	if (to == NULL)
		s = session_next(NULL);
	for (; s != NULL; s = to == NULL ? session_next(s) : NULL) {
		if ((to == NULL && !s->available) ||
		    strcmp(s->user->domain, domain) != 0 ||
		    (iev = proc_peer(PROC_STREAM, s->stream)) == NULL ||
		    xml_set_attr(m, "to", s->full) == -1)
			continue;
		if (stanza_send(iev, s->id, s->id, m, NS_CLIENT) == 0)
			n++;
	}
	xml_node_free(m);
	return (n);
}

static void
motd_available(struct session *s, int initial)
{
	struct domain_conf	*d;

	if (initial && (d = config_domain(proc_self.conf, s->user->domain)) !=
	    NULL && d->motd[0] != '\0' &&
	    motd_send(d->name, s, NULL, d->motd) == -1)
		log_warnx("%s: the motd of %s not sent", __func__, d->name);
}

const struct router_hooks motd_hooks = { NULL, motd_available, NULL };

static void
motd_ctl_fail(struct imsgev *iev, uint32_t id, const char *why)
{
	imsgev_compose(iev, IMSG_CTL_FAIL, id, 0, -1, why, strlen(why) + 1);
}

/* xmppctl announce: the text to every available session of a domain. */
int
motd_ctl(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_announce	 ca;
	uint32_t		 id = imsg_get_id(imsg);
	size_t			 len = imsg_get_len(imsg);
	char			*text;
	int			 n;

	if (len < sizeof(ca) || len - sizeof(ca) > CTL_ANNOUNCE_MAX)
		return (-1);
	len -= sizeof(ca);
	if ((text = malloc(sizeof(ca) + len + 1)) == NULL)
		fatal("%s", __func__);
	if (imsg_get_data(imsg, text, sizeof(ca) + len) == -1)
		fatalx("%s: bad request", __func__);
	memcpy(&ca, text, sizeof(ca));
	memmove(text, text + sizeof(ca), len);
	text[len] = '\0';
	ca.domain[sizeof(ca.domain) - 1] = '\0';
	if (jid_prep_domain(ca.domain, sizeof(ca.domain)) == -1 ||
	    config_domain(proc_self.conf, ca.domain) == NULL)
		motd_ctl_fail(iev, id, "no such domain");
	else if (strlen(text) != len || !xml_text_ok(text, len))
		motd_ctl_fail(iev, id, "the text is not UTF-8 text");
	else if (text[strspn(text, " \t\r\n")] == '\0')
		motd_ctl_fail(iev, id, "the text is empty");
	else if ((n = motd_send(ca.domain, NULL, NULL, text)) == -1)
		motd_ctl_fail(iev, id, "out of memory");
	else {
		log_info("announcement to %s: sent to %d sessions", ca.domain,
		    n);
		ca.sessions = n;
		imsgev_compose(iev, IMSG_CTL_ANNOUNCED, id, 0, -1, &ca,
		    sizeof(ca));
	}
	free(text);
	return (0);
}
