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
 * Software Version (XEP-0092) of the server.  The operating system is
 * left out on purpose: it helps attackers and tells users nothing.
 */

#include <sys/types.h>

#include <string.h>

#include "about.h"
#include "router.h"
#include "xml.h"

#define NS_VERSION	"jabber:iq:version"

static struct xml_node *
version_handle(struct session *s, struct xml_node *iq, struct xml_node *query)
{
	struct xml_node	*r, *q, *n, *v;
	const char	*type = xml_get_attr(iq, "type");

	(void)query;
	if (router_iq_to(s, iq) != IQ_SERVER)
		return (router_error(iq, "cancel", "service-unavailable"));
	if (type == NULL || strcmp(type, "get") != 0)
		return (router_error(iq, "cancel", "feature-not-implemented"));
	if ((r = router_iq_result(iq)) == NULL ||
	    (q = xml_add_child(r, NS_VERSION, "query")) == NULL ||
	    (n = xml_add_child(q, NULL, "name")) == NULL ||
	    xml_add_text(n, "xmppd", strlen("xmppd")) == -1 ||
	    (v = xml_add_child(q, NULL, "version")) == NULL ||
	    xml_add_text(v, XMPPD_VERSION, strlen(XMPPD_VERSION)) == -1) {
		xml_node_free(r);
		return (NULL);
	}
	return (r);
}

const struct iq_feature version_feature =
    { NS_VERSION, "query", version_handle };
