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
 * Entity Time (XEP-0202) of the server, always given in UTC: the offset
 * of the host's zone would only say where it stands.
 */

#include <sys/types.h>

#include <string.h>
#include <time.h>

#include "router.h"
#include "xml.h"

#define NS_TIME		"urn:xmpp:time"

static struct xml_node *
time_handle(struct session *s, struct xml_node *iq, struct xml_node *query)
{
	struct xml_node	*r, *t, *tzo, *utc;
	const char	*type = xml_get_attr(iq, "type");
	time_t		 now = time(NULL);
	struct tm	 tm;
	char		 stamp[32];

	(void)query;
	if (router_iq_to(s, iq) != IQ_SERVER)
		return (router_error(iq, "cancel", "service-unavailable"));
	if (type == NULL || strcmp(type, "get") != 0)
		return (router_error(iq, "cancel", "feature-not-implemented"));
	/* XEP-0082 dateTime: CCYY-MM-DDThh:mm:ssZ. */
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return (router_error(iq, "wait", "internal-server-error"));
	if ((r = router_iq_result(iq)) == NULL ||
	    (t = xml_add_child(r, NS_TIME, "time")) == NULL ||
	    (tzo = xml_add_child(t, NULL, "tzo")) == NULL ||
	    xml_add_text(tzo, "+00:00", strlen("+00:00")) == -1 ||
	    (utc = xml_add_child(t, NULL, "utc")) == NULL ||
	    xml_add_text(utc, stamp, strlen(stamp)) == -1) {
		xml_node_free(r);
		return (NULL);
	}
	return (r);
}

const struct iq_feature time_feature = { NS_TIME, "time", time_handle };
