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
 * XMPP Ping (XEP-0199): the server answers a ping addressed to it.
 */

#include <sys/types.h>

#include <string.h>

#include "router.h"
#include "xml.h"

#define NS_PING	"urn:xmpp:ping"

static struct xml_node *
ping_handle(struct session *s, struct xml_node *iq, struct xml_node *ping)
{
	const char	*type = xml_get_attr(iq, "type");

	(void)s;
	(void)ping;
	if (type == NULL || strcmp(type, "get") != 0)
		return (router_error(iq, "cancel", "bad-request"));
	return (router_iq_result(iq));
}

const struct iq_feature ping_feature = { NS_PING, "ping", ping_handle };
