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
 * Regress builds only: a compromised process, played by a client.
 * <imsg xmlns='urn:xmppd:regress' to='router' type='N'>base64</imsg>
 * makes this process send those bytes as an imsg of that type to that
 * peer (or the parent), exactly as code running here could: a stream
 * obeys it on a client stream (xmppd/stream_regress.c), mucd and
 * uploadd in a stanza to one of their services.  What comes to such a
 * service's domain with the resource "regress" (what the router
 * answers to a stanza sent from there) is logged whole, for the test to
 * read.  The processes on the other side must hold their ground.
 */

#ifdef REGRESS

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "regress.h"
#include "stanza.h"
#include "xml.h"

/* Send what rq asks, as this process, with peerid. */
void
regress_imsg_send(struct xml_node *rq, uint32_t peerid)
{
	const struct proc_role	*role;
	struct imsgev		*iev = NULL;
	const char		*to, *v, *errstr;
	char			*b64;
	uint8_t			*data;
	uint32_t		 type;
	int			 len;

	if ((to = xml_get_attr(rq, "to")) != NULL && strcmp(to, "parent") == 0)
		iev = &proc_self.parent;
	else if (to != NULL && (role = proc_role_byname(to)) != NULL)
		iev = proc_peer(role->type, 0);
	if (iev == NULL || (v = xml_get_attr(rq, "type")) == NULL)
		fatalx("%s: bad request", __func__);
	type = strtonum(v, 1, UINT16_MAX, &errstr);
	if (errstr != NULL || (b64 = xml_text(rq)) == NULL ||
	    (data = malloc(strlen(b64) + 1)) == NULL ||
	    (len = base64_decode(b64, strlen(b64), data,
	    strlen(b64) + 1)) == -1)
		fatalx("%s: bad request", __func__);
	regress_imsg_compose(iev, type, peerid, data, len);
	free(data);
	free(b64);
}

void
regress_imsg_compose(struct imsgev *iev, uint32_t type, uint32_t peerid,
    const void *data, size_t len)
{
	log_warnx("regress: %s sends imsg %u (%zu bytes, peerid %u) to %s",
	    proc_name(proc_self.type), type, len, peerid,
	    proc_name(iev->type));
	imsgev_compose(iev, type, peerid, 0, -1, data, len);
}

/* A stanza for mucd or uploadd; 1: it was the hook's, and was handled. */
int
regress_leaf_stanza(struct imsg *imsg)
{
	struct stanza_msg	 m;
	struct xml_limits	 l;
	struct xml_node		*n, *rq;
	struct jid		 j;
	int			 mine = 0;

	if (stanza_recv(imsg, &m) == -1)
		return (0);
	stanza_limits(&proc_self.conf->global, &l);
	if ((n = xml_parse_fragment(m.xml, m.xmllen, &l, NS_CLIENT)) == NULL)
		;
	else if (jid_parse(m.to, &j) == 0 && j.local[0] == '\0' &&
	    strcmp(j.resource, "regress") == 0) {
		log_warnx("regress: %s got %s", proc_name(proc_self.type),
		    m.xml);
		mine = 1;
	} else if ((rq = xml_find_child(n, NS_REGRESS, "imsg")) != NULL) {
		regress_imsg_send(rq, 0);
		mine = 1;
	}
	xml_node_free(n);
	stanza_msg_clear(&m);
	return (mine);
}

#endif /* REGRESS */
