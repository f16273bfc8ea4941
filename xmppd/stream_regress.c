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
 * Regress builds only: a compromised stream process, played by a client.
 * On a TLS client stream, <imsg xmlns='urn:xmppd:regress' to='router'
 * type='N' peerid='N'>base64</imsg> makes this process send those bytes
 * as an imsg of that type to the router, the store, ldapauthd, uploadd
 * or the parent, exactly as code running here could.  peerid defaults
 * to the connection's own session id, which the answer <sent id='N'/>
 * tells.
 * The processes on the other side must hold their ground against it.
 */

#ifdef REGRESS

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "regress.h"
#include "stream.h"
#include "xml.h"

/* 1: n was the hook's, and was handled. */
int
stream_regress_imsg(struct conn *c, struct xml_node *n)
{
	struct xml_node	*r;
	const char	*v, *errstr;
	char		 buf[16];
	uint32_t	 peerid = c->id;

	if (!xml_is(n, NS_REGRESS, "imsg"))
		return (0);
	if ((v = xml_get_attr(n, "peerid")) != NULL) {
		peerid = strtonum(v, 0, UINT32_MAX, &errstr);
		if (errstr != NULL)
			fatalx("%s: bad request", __func__);
	}
	regress_imsg_send(n, peerid);
	(void)snprintf(buf, sizeof(buf), "%u", c->id);
	if ((r = xml_node_new(NS_REGRESS, "sent")) == NULL ||
	    xml_set_attr(r, "id", buf) == -1)
		fatal("%s", __func__);
	c2s_write_node(c, r);
	xml_node_free(r);
	return (1);
}

#endif /* REGRESS */
