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
 * Regress builds only: a compromised service daemon (mucd, uploadd),
 * played by a client.  A stanza to a service's domain carrying
 * <imsg xmlns='urn:xmppd:regress' to='router' type='N'>base64</imsg>
 * makes the daemon send those bytes as an imsg of that type to the
 * router or the parent, exactly as code running in it could.  What
 * comes to the service's domain with the resource "regress" (what the
 * router answers to a stanza sent from there) is logged whole, for the
 * test to read.  The router and the parent must hold their ground.
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
#include "leaf_regress.h"
#include "log.h"
#include "proc.h"
#include "stanza.h"
#include "xml.h"

#define NS_REGRESS	"urn:xmppd:regress"

static struct imsgev *
leaf_regress_peer(const char *to)
{
	if (to == NULL)
		return (NULL);
	if (strcmp(to, "parent") == 0)
		return (&proc_self.parent);
	if (strcmp(to, "router") == 0)
		return (proc_peer(PROC_ROUTER, 0));
	return (NULL);
}

/* Send what rq says, as this process. */
static void
leaf_regress_send(struct xml_node *rq)
{
	struct imsgev	*iev;
	const char	*v, *errstr;
	char		*b64;
	uint8_t		*data;
	uint32_t	 type;
	int		 len;

	if ((iev = leaf_regress_peer(xml_get_attr(rq, "to"))) == NULL ||
	    (v = xml_get_attr(rq, "type")) == NULL)
		fatalx("%s: bad request", __func__);
	type = strtonum(v, 1, UINT16_MAX, &errstr);
	if (errstr != NULL || (b64 = xml_text(rq)) == NULL ||
	    (data = malloc(strlen(b64) + 1)) == NULL ||
	    (len = base64_decode(b64, strlen(b64), data,
	    strlen(b64) + 1)) == -1)
		fatalx("%s: bad request", __func__);
	log_warnx("regress: %s sends imsg %u (%d bytes) to %s",
	    proc_name(proc_self.type), type, len, xml_get_attr(rq, "to"));
	imsgev_compose(iev, type, 0, 0, -1, data, len);
	free(data);
	free(b64);
}

/* 1: the stanza was the hook's, and was handled. */
int
leaf_regress_stanza(struct imsg *imsg)
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
		leaf_regress_send(rq);
		mine = 1;
	}
	xml_node_free(n);
	stanza_msg_clear(&m);
	return (mine);
}

#endif /* REGRESS */
