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
 * What the parent tells about a configuration that parses but asks for
 * something this build does not do: with xmppd -n and at start, so that
 * an admin does not wait for clients that cannot come.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <string.h>

#include "config.h"
#include "log.h"
#include "parent.h"

/* What each kind of listener does not serve yet, of what it stands for. */
static const struct {
	int		 kind;
	const char	*missing;
} parent_unserved[] = {
	{ LISTEN_HTTP, "BOSH (XEP-0206, /http-bind) is not served yet, "
	    "only WebSocket (/xmpp-websocket)" },
	{ LISTEN_MULTIPLEX, "BOSH (XEP-0206, /http-bind) is not served yet; "
	    "HTTP goes to WebSocket (/xmpp-websocket) only" },
};

/* The kind of lc, as its listen line says it. */
static const char *
parent_kind(const struct listen_conf *lc)
{
	if (lc->kind == LISTEN_MULTIPLEX)
		return ("tls multiplex");
	if (lc->kind == LISTEN_HTTP)
		return (lc->flags & LISTEN_TLS ? "http tls" : "http");
	return (config_listen_kind(lc->kind));
}

/* Warn once per listen line (one for "*", which opens two sockets). */
void
parent_check_listeners(struct xmppd_config *conf)
{
	struct listen_conf	*lc, *prev = NULL;
	size_t			 i;

	TAILQ_FOREACH(lc, &conf->listeners, entry) {
		if (prev != NULL && prev->kind == lc->kind &&
		    prev->port == lc->port && strcmp(prev->addr, lc->addr) == 0)
			continue;
		prev = lc;
		for (i = 0; i < nitems(parent_unserved); i++)
			if (parent_unserved[i].kind == lc->kind)
				log_warnx("warning: listen on %s port %u %s: %s",
				    lc->addr, lc->port, parent_kind(lc),
				    parent_unserved[i].missing);
	}
}
