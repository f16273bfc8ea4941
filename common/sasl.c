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

#include <sys/types.h>

#include <string.h>

#include "compat.h"
#include "imsg.h"
#include "log.h"
#include "msg.h"
#include "sasl.h"

/*
 * Split a PLAIN message.  Both the user name and the password must be
 * non-empty and no field may hold a NUL.  Returns 0, or -1 when
 * malformed; the caller clears sp with explicit_bzero() either way.
 */
int
sasl_plain_parse(const char *msg, size_t len, struct sasl_plain *sp)
{
	const char	*f[3], *end = msg + len, *p = msg;
	size_t		 flen[3];
	int		 i;

	memset(sp, 0, sizeof(*sp));
	if (len == 0 || len > SASL_PLAIN_MAX)
		return (-1);
	for (i = 0; i < 3; i++) {
		f[i] = p;
		while (p < end && *p != '\0')
			p++;
		flen[i] = (size_t)(p - f[i]);
		if (i < 2) {
			if (p == end)
				return (-1);
			p++;		/* the NUL */
		}
	}
	if (p != end || flen[1] == 0 || flen[2] == 0 ||
	    flen[0] >= sizeof(sp->authzid) ||
	    flen[1] >= sizeof(sp->authcid) ||
	    flen[2] >= sizeof(sp->password))
		return (-1);
	memcpy(sp->authzid, f[0], flen[0]);
	memcpy(sp->authcid, f[1], flen[1]);
	memcpy(sp->password, f[2], flen[2]);
	return (0);
}

/*
 * The start of an exchange from a stream process, for the owner of the
 * credentials: the request, and ib left on the initial response.
 * Returns -1 when malformed, which only a broken stream process sends.
 */
int
sasl_start_get(struct imsg *imsg, struct auth_start *st, struct ibuf *ib)
{
	if (imsg_get_ibuf(imsg, ib) == -1 ||
	    ibuf_get(ib, st, sizeof(*st)) == -1 ||
	    ibuf_size(ib) > AUTH_MSG_MAX)
		return (-1);
	st->domain[sizeof(st->domain) - 1] = '\0';
	st->addr[sizeof(st->addr) - 1] = '\0';
	return (0);
}

/*
 * The outcome of a login, the client's address first: what follows it
 * comes from the client and cannot move it.  xmppd(8) documents these
 * lines for log watchers.
 */
void
sasl_log(int status, const char *addr, const char *local,
    const char *domain)
{
	if (local == NULL || *local == '\0')
		local = "?";
	switch (status) {
	case AUTH_SUCCESS:
		log_info("authenticated from %s as %s@%s", addr, local,
		    domain);
		break;
	case AUTH_NOT_AUTHORIZED:
		log_info("authentication failed from %s for %s@%s", addr,
		    local, domain);
		break;
	case AUTH_TEMPORARY_FAILURE:
		log_info("authentication unavailable from %s for %s@%s", addr,
		    local, domain);
		break;
	}
}
