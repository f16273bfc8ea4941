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
 * Multi-user chat daemon: the rooms of the muc services, their
 * occupants, configuration and archives.
 */

#include <sys/types.h>

#include <err.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "sandbox.h"
#include "stanza.h"
#include "xml.h"

/* No room is served yet: every request is answered so. */
static int
mucd_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct stanza_msg	 m;
	struct xml_node		*r;

	if (iev->type != PROC_ROUTER || imsg_get_type(imsg) != IMSG_STANZA)
		return (-1);
	if (stanza_recv(imsg, &m) == -1)
		fatalx("%s: bad stanza from the router", __func__);
	if (strcmp(m.type, "error") != 0 && (m.kind != STANZA_IQ ||
	    strcmp(m.type, "result") != 0) &&
	    (r = stanza_error_msg(&m, "cancel", "feature-not-implemented")) !=
	    NULL) {
		(void)stanza_send(iev, 0, 0, r, NS_CLIENT);
		xml_node_free(r);
	}
	stanza_msg_clear(&m);
	return (0);
}

int
main(int argc, char *argv[])
{
	(void)argv;
	if (argc != 1)
		errx(1, "usage: mucd (started by xmppd)");
	proc_child_init(PROC_MUCD, 0);
	sandbox("stdio rpath wpath cpath flock recvfd");
	proc_self.dispatch = mucd_dispatch;
	proc_child_run();
	return (0);
}
