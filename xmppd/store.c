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
 * The store: owns the database (in its chroot, the datadir) and answers
 * the router's, the stream processes' and the control process's requests
 * for what is persistent.  Runs SASL for internal accounts.
 */

#include <sys/types.h>

#include <event.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"
#include "store.h"
#include "throttle.h"
#ifdef HAVE_LIBPQ
#include "pgconf.h"
#endif
#include "xmppd.h"

const struct store_backend	*store_be = &store_sqlite;

#ifdef HAVE_LIBPQ
static void
store_pg_select(const struct global_conf *g)
{
	(void)g;
	store_be = &store_pg;
}

/* What libpq needs to connect again (common/pgconf.c). */
static void
store_pg_sandbox(const struct global_conf *g)
{
	pgconf_sandbox(g->storage_conninfo);
}
#else
static void
store_pg_select(const struct global_conf *g)
{
	(void)g;
	fatalx("store: built without PostgreSQL");
}

static void
store_pg_sandbox(const struct global_conf *g)
{
	(void)g;
	fatalx("store: built without PostgreSQL");
}
#endif

/* Whether the database answers: a login meanwhile is a temporary failure. */
int
store_up(void)
{
	return (store_be->up == NULL || store_be->up());
}

static int
store_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	int	 r;

	if ((r = auth_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = component_auth_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = account_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = account_state_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = store_motd_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = offline_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = roster_store_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = mam_store_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = xs_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = pie_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = throttle_ctl_dispatch(iev, imsg)) != 1)
		return (r);
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_OK:
	case IMSG_CTL_FAIL:
		/* The router's answer to a session close we asked for. */
		if (iev->type == PROC_ROUTER)
			return (0);
		break;
	}
	return (-1);
}

static void
store_peer_down(struct imsgev *iev)
{
	if (iev->type == PROC_STREAM)
		auth_stream_down(iev->instance);
	else if (iev->type == PROC_CONTROL) {
		mam_store_peer_down(iev);
		pie_peer_down();
	}
}

static void
store_config_commit(struct xmppd_config *old, struct xmppd_config *new)
{
	(void)old;
	(void)new;
	auth_reconfigure();
	component_auth_reconfigure();
}

void
store_main(int instance)
{
	struct proc_self	*ps = &proc_self;

	proc_child_init(PROC_STORE, instance);
	if (ps->conf->global.storage == STORAGE_POSTGRESQL)
		store_pg_select(&ps->conf->global);
	store_be->open(&ps->conf->global);
	account_init();
	auth_init();
	component_auth_init();
	mam_store_init();
	pie_init();
	if (store_be != &store_sqlite)
		store_pg_sandbox(&ps->conf->global);
	else
		/* SQLite opens, creates, locks and removes its journal and WAL. */
		sandbox("stdio rpath wpath cpath flock recvfd");
	ps->dispatch = store_dispatch;
	ps->peer_down = store_peer_down;
	ps->shutdown = store_be->close;
	ps->config_commit = store_config_commit;
	ps->batch_begin = store_be->batch_begin;
	ps->batch_end = store_be->batch_end;
	proc_child_run();
}
