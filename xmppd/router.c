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
 * The router: owns the session table and routes stanzas between stream
 * processes and services; server features register in router tables,
 * one feature per file.  It touches nothing but its imsg channels.
 */

#include <sys/types.h>

#include <event.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "sandbox.h"
#include "xmppd.h"

static int
router_handle(struct imsgev *iev, struct imsg *imsg)
{
	int	 r;

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_SHOW_SESSIONS:
	case IMSG_CTL_KICK:
	case IMSG_CTL_USER_DELETE:
		if (iev->type != PROC_CONTROL && iev->type != PROC_STORE)
			return (-1);
		return (session_ctl(iev, imsg));
	case IMSG_PIE_IMPORTED:
	case IMSG_ACCOUNT_DISABLED:
	case IMSG_ACCOUNT_ENABLED:
		if (iev->type != PROC_STORE)
			return (-1);
		return (session_ctl(iev, imsg));
	case IMSG_CTL_SHOW_STATS:
		if (iev->type != PROC_CONTROL)
			return (-1);
		return (stats_ctl(iev, imsg));
	case IMSG_CTL_MUC_ROOMS:
	case IMSG_CTL_MUC_IMPORT:
		if (iev->type != PROC_CONTROL)
			return (-1);
		return (muc_ctl(iev, imsg));
	case IMSG_CTL_UPLOAD_STATS:
	case IMSG_CTL_UPLOAD_PURGE:
		if (iev->type != PROC_CONTROL)
			return (-1);
		return (upload_ctl(iev, imsg));
	case IMSG_CTL_SHOW_COMPONENTS:
		if (iev->type != PROC_CONTROL)
			return (-1);
		return (component_ctl(iev, imsg));
	case IMSG_CTL_RESOLVE:
		if (iev->type != PROC_CONTROL)
			return (-1);
		return (resolve_ctl(iev, imsg));
	case IMSG_CTL_ANNOUNCE:
		if (iev->type != PROC_CONTROL)
			return (-1);
		return (motd_ctl(iev, imsg));
	}
	if ((r = resolve_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = component_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = s2s_router_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = session_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = offline_dispatch_router(iev, imsg)) != 1)
		return (r);
	if ((r = mam_dispatch_router(iev, imsg)) != 1)
		return (r);
	if ((r = mam_meta_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = roster_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = xs_dispatch_router(iev, imsg)) != 1)
		return (r);
	if ((r = ldap_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = csi_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = sm_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = muc_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = upload_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = admin_dispatch(iev, imsg)) != 1)
		return (r);
	if ((r = motd_dispatch(iev, imsg)) != 1)
		return (r);
	if (imsg_get_type(imsg) == IMSG_STANZA)
		return (router_stanza(iev, imsg));
	return (-1);
}

static void
router_peer_down(struct imsgev *iev)
{
	log_debug("%s %d link closed", proc_name(iev->type), iev->instance);
	if (iev->type == PROC_STREAM) {
		session_stream_down(iev->instance);
		sm_stream_down(iev->instance);
		component_stream_down(iev->instance);
		s2s_stream_down(iev->instance);
	}
	else if (iev->type == PROC_LDAPAUTHD)
		ldap_peer_down();
	else if (iev->type == PROC_MUCD)
		muc_peer_down();
	else if (iev->type == PROC_UPLOADD)
		upload_peer_down();
	else if (iev->type == PROC_RESOLVER)
		resolve_peer_down();
}

/* A link to a restarted peer; the store's: its motds again. */
static void
router_peer_up(struct imsgev *iev)
{
	caps_send(iev);
	if (iev->type == PROC_STORE)
		motd_load();
}

static void
router_config_commit(struct xmppd_config *old, struct xmppd_config *new)
{
	(void)old;
	(void)new;
	ldap_config_commit();
	component_config_commit();
	motd_load();
}

void
router_main(int instance)
{
	struct proc_self	*ps = &proc_self;
	struct imsgev		*iev;
	int			 i;

	proc_child_init(PROC_ROUTER, instance);
	session_init();
	last_init();
	stats_init();
	ldap_init();
	s2s_init();
	/* Nothing but its channels; recvfd for links to restarted peers. */
	sandbox("stdio recvfd");
	order_init(router_handle);
	ps->dispatch = order_dispatch;
	ps->peer_down = router_peer_down;
	ps->config_commit = router_config_commit;
	ps->peer_up = router_peer_up;
	for (i = 0; i < proc_self.npeers[PROC_STREAM]; i++)
		if ((iev = proc_peer(PROC_STREAM, i)) != NULL)
			caps_send(iev);
	motd_init();
	log_debug("router ready");
	proc_child_run();
}
