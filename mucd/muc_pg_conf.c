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
 * (xmppd/store_pg_conf.c), with mucd's chroot, datadir/muc, where the
 * store has the datadir.  Linked into xmppd (the check, the passfile)
 * and into mucd (the parameters, the port for its sandbox).
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "../xmppd/store_pg.h"
#include "muc_pg.h"

/* mucd's settings as the store's conninfo code reads the store's. */
static struct xmppd_config *
muc_pg_conf_as_store(const struct global_conf *g)
{
	struct xmppd_config	*c;
	struct global_conf	*cg;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	cg = &c->global;
	*cg = *g;
	(void)strlcpy(cg->storage_conninfo, g->muc_conninfo,
	    sizeof(cg->storage_conninfo));
	memcpy(cg->storage_password, g->muc_password,
	    sizeof(cg->storage_password));
	if (strlcat(cg->datadir, "/muc", sizeof(cg->datadir)) >=
	    sizeof(cg->datadir))
		fatalx("%s: datadir too long", __func__);
	return (c);
}

static void
muc_pg_conf_free(struct xmppd_config *c)
{
	freezero(c, sizeof(*c));
}

/* xmppd -n: may mucd use this conninfo?  Its passfile is read here. */
int
muc_pg_check(struct global_conf *g, const char *file)
{
	struct xmppd_config	*c = muc_pg_conf_as_store(g);
	char			 where[CONF_PATHLEN + 16];
	int			 rc;

	(void)snprintf(where, sizeof(where), "%s: muc", file);
	rc = pgconf_check(c, where);
	memcpy(g->muc_password, c->global.storage_password,
	    sizeof(g->muc_password));
	muc_pg_conf_free(c);
	return (rc);
}

int
muc_pg_params(const struct global_conf *g, const char ***kw,
    const char ***val)
{
	struct xmppd_config	*c = muc_pg_conf_as_store(g);
	int			 rc;

	rc = pgconf_params(&c->global, kw, val);
	muc_pg_conf_free(c);
	return (rc);
}

int
muc_pg_port(const struct global_conf *g)
{
	struct xmppd_config	*c = muc_pg_conf_as_store(g);
	int			 port;

	port = pgconf_port(&c->global);
	muc_pg_conf_free(c);
	return (port);
}
