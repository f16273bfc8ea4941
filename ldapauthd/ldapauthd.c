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
 * LDAP authentication daemon: binds to the directory on behalf of
 * users logging in, and answers shared roster and vCard lookups.
 */

#include <sys/types.h>

#include <err.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"

/*
 * Binding to the directory is not built yet: a login on an LDAP domain
 * fails with <temporary-auth-failure/>, never with a guess.
 */
static int
ldapauthd_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct auth_result	 res;

	if (iev->type != PROC_STREAM)
		return (-1);
	switch (imsg_get_type(imsg)) {
	case IMSG_AUTH_START:
		memset(&res, 0, sizeof(res));
		res.status = AUTH_TEMPORARY_FAILURE;
		log_warnx("LDAP authentication is not available yet");
		imsgev_compose(iev, IMSG_AUTH_RESULT, imsg_get_id(imsg), 0, -1,
		    &res, sizeof(res));
		return (0);
	case IMSG_AUTH_RESPONSE:
	case IMSG_AUTH_ABORT:
		return (0);
	}
	return (-1);
}

int
main(int argc, char *argv[])
{
	(void)argv;
	if (argc != 1)
		errx(1, "usage: ldapauthd (started by xmppd)");
	proc_child_init(PROC_LDAPAUTHD, 0);
	sandbox("stdio inet recvfd");
	proc_self.dispatch = ldapauthd_dispatch;
	proc_child_run();
	return (0);
}
