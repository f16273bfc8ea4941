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
 * Regress builds only: a compromised ldapauthd, played by a client.  A
 * PLAIN login as "regress-grant" whose password reads "ID LOCAL DOMAIN"
 * makes this process tell stream 0 that its connection ID logged in as
 * LOCAL@DOMAIN, with the grant code running here can make.  The login
 * itself fails.  The stream must believe it only of a domain whose
 * accounts ldapauthd owns.
 */

#ifdef REGRESS

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <ldap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "grant.h"
#include "ldapauthd.h"
#include "log.h"
#include "proc.h"
#include "sasl.h"

/* 1: msg was the hook's, and was handled. */
int
ldap_regress_login(const char *msg, size_t len)
{
	struct sasl_plain	 sp;
	struct auth_result	 res;
	struct imsgev		*iev;
	char			 domain[CONF_NAMELEN];
	char			 hex[2 * sizeof(res.grant) + 1];
	uint32_t		 id;
	size_t			 i;

	if (sasl_plain_parse(msg, len, &sp) == -1 ||
	    strcmp(sp.authcid, "regress-grant") != 0)
		return (0);
	memset(&res, 0, sizeof(res));
	if (sscanf(sp.password, "%u %255s %255s", &id, res.localpart,
	    domain) != 3 || (iev = proc_peer(PROC_STREAM, 0)) == NULL ||
	    grant_make(proc_self.conf->global.grant_key, 0, id, res.localpart,
	    domain, res.grant) == -1)
		fatalx("%s: bad request", __func__);
	for (i = 0; i < sizeof(res.grant); i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", res.grant[i]);
	log_warnx("regress: ldapauthd says connection %u logged in as %s@%s "
	    "(grant %s)", id, res.localpart, domain, hex);
	res.status = AUTH_SUCCESS;
	imsgev_compose(iev, IMSG_AUTH_RESULT, id, 0, -1, &res, sizeof(res));
	explicit_bzero(&sp, sizeof(sp));
	return (1);
}

#endif /* REGRESS */
