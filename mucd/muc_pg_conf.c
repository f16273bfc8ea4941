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
 * "muc storage postgresql": mucd's conninfo, checked by the parent and
 * turned into connection parameters exactly as the store's are
 * (common/pgconf.c), with mucd's chroot, datadir/muc, where the store
 * has the datadir.  Linked into xmppd (the check, the passfile) and into
 * mucd (the parameters).
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "pgconf.h"
#include "muc_pg.h"

/* mucd's chroot, where a socket directory must be. */
static void
muc_pg_root(const struct global_conf *g, char *root, size_t len)
{
	if ((size_t)snprintf(root, len, "%s/muc", g->datadir) >= len)
		fatalx("%s: datadir too long", __func__);
}

/* xmppd -n: may mucd use this conninfo?  Its passfile is read here. */
int
muc_pg_check(struct global_conf *g, const char *file)
{
	char	 root[CONF_PATHLEN + 8], where[CONF_PATHLEN + 16];

	muc_pg_root(g, root, sizeof(root));
	(void)snprintf(where, sizeof(where), "%s: muc", file);
	return (pgconf_check(g->muc_conninfo, root, g->user, g->muc_password,
	    sizeof(g->muc_password), where));
}

int
muc_pg_params(const struct global_conf *g, const char ***kw,
    const char ***val)
{
	char	 root[CONF_PATHLEN + 8];

	muc_pg_root(g, root, sizeof(root));
	return (pgconf_params(g->muc_conninfo, g->muc_password, root, g->user,
	    kw, val));
}
