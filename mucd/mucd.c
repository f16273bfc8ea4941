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
 * occupants, configuration and archives.  This file is the process:
 * its start, the services of the configuration and their reload, the
 * feature table and the dispatch of what the router sends.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <err.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "muc.h"
#include "muc_backend.h"
#ifdef HAVE_LIBPQ
#include "muc_pg.h"
#ifdef HAVE_LIBPQ
#include "pgconf.h"
#endif
#endif
#include "proc.h"
#include "regress.h"
#include "sandbox.h"
#include "xml.h"

/*
 * The features, in the order their hooks run.  The core's come first;
 * of the joined hooks, history's must run before subject's.
 */
const struct muc_feature *const mucd_features[] = {
	&muc_room_feature,
	&muc_message_feature,
	&muc_config_feature,
	&muc_register_feature,
	&muc_admin_feature,
	&muc_history_feature,
	&muc_subject_feature,
	&muc_mam_feature,
	&muc_disco_feature,
	&muc_invite_feature,
	&muc_ping_feature,
};
size_t	mucd_nfeatures = nitems(mucd_features);

struct muc_service_list	mucd_services = TAILQ_HEAD_INITIALIZER(mucd_services);

struct muc_service *
mucd_service_find(const char *domain)
{
	struct muc_service	*svc;

	TAILQ_FOREACH(svc, &mucd_services, entry)
		if (strcmp(svc->name, domain) == 0)
			return (svc);
	return (NULL);
}

/* Add <feature var='var'/> to a disco#info query. */
int
mucd_disco_add(struct xml_node *q, const char *var)
{
	struct xml_node	*f;

	if ((f = xml_add_child(q, NULL, "feature")) == NULL ||
	    xml_set_attr(f, "var", var) == -1)
		return (-1);
	return (0);
}

/* The disco#info features of a room (NULL: of the service). */
void
mucd_disco_features(struct muc_room *room, struct xml_node *query)
{
	size_t	 i;

	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->disco != NULL)
			mucd_features[i]->disco(room, query);
}

static void	mucd_service_load(struct muc_service *);

static struct muc_service *
mucd_service_new(const struct muc_conf *mc)
{
	struct muc_service	*svc;

	if ((svc = calloc(1, sizeof(*svc))) == NULL ||
	    (svc->name = strdup(mc->name)) == NULL)
		fatal("%s", __func__);
	svc->conf = mc;
	RB_INIT(&svc->rooms);
	TAILQ_INSERT_TAIL(&mucd_services, svc, entry);
	mucd_service_load(svc);
	return (svc);
}

/* Its persistent rooms, when the database can give them. */
static void
mucd_service_load(struct muc_service *svc)
{
	int	 rc;

	if (muc_be->up != NULL && !muc_be->up())
		return;
	if ((rc = muc_db_load(svc)) == -2)
		return;
	if (rc == -1)
		log_warnx("%s: the rooms of %s could not all be loaded",
		    __func__, svc->name);
	svc->loaded = 1;
	log_debug("%s: %s, %d persistent rooms", __func__, svc->name,
	    svc->nrooms);
}

/* The database is there (again): services still without their rooms. */
void
mucd_db_up(void)
{
	struct muc_service	*svc;

	TAILQ_FOREACH(svc, &mucd_services, entry)
		if (!svc->loaded)
			mucd_service_load(svc);
}

/*
 * A service the configuration no longer has: its rooms are forgotten,
 * the persistent ones kept in the database.  Its occupants are not told
 * (status 332): the router, reconfigured first, would not pass it on.
 */
static void
mucd_service_free(struct muc_service *svc)
{
	struct muc_room		*room;
	struct muc_occupant	*occ;

	while ((room = RB_MIN(muc_room_tree, &svc->rooms)) != NULL) {
		while ((occ = RB_MIN(muc_occupant_tree,
		    &room->occupants)) != NULL)
			muc_occupant_dismiss(occ, NULL);
		muc_room_free(room);
	}
	TAILQ_REMOVE(&mucd_services, svc, entry);
	free(svc->name);
	free(svc);
}

/* The services as the configuration has them, old ones kept. */
static void
mucd_configure(struct xmppd_config *conf)
{
	struct muc_service	*svc, *next;
	struct muc_conf		*mc;

	TAILQ_FOREACH_SAFE(svc, &mucd_services, entry, next)
		if ((mc = config_muc(conf, svc->name)) != NULL)
			svc->conf = mc;
		else {
			log_info("muc service %s removed", svc->name);
			mucd_service_free(svc);
		}
	TAILQ_FOREACH(mc, &conf->mucs, entry)
		if (mucd_service_find(mc->name) == NULL) {
			(void)mucd_service_new(mc);
			log_info("muc service %s added", mc->name);
		}
}

static void
mucd_config_commit(struct xmppd_config *old, struct xmppd_config *new)
{
	(void)old;
	mucd_configure(new);
}

static int
mucd_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	if (iev->type != PROC_ROUTER)
		return (-1);
	switch (imsg_get_type(imsg)) {
	case IMSG_STANZA:
#ifdef REGRESS
		if (regress_leaf_stanza(imsg))
			return (0);
#endif
		muc_stanza_in(imsg);
		return (0);
	case IMSG_CTL_MUC_ROOMS:
		muc_disco_ctl(iev, imsg);
		return (0);
	case IMSG_CTL_MUC_IMPORT:
		muc_import_ctl(iev, imsg);
		return (0);
	}
	return (-1);
}

#ifdef HAVE_LIBPQ
static void
mucd_pg_select(void)
{
	muc_be = &muc_pg;
}

/*
 * What libpq needs to connect again (common/pgconf.c): the server's
 * address, or its socket under datadir/muc, and with TLS the copy of
 * sslrootcert there.
 */
static void
mucd_pg_sandbox(const struct global_conf *g)
{
	pgconf_sandbox(g->muc_conninfo);
}
#else
static void
mucd_pg_select(void)
{
	fatalx("mucd: built without PostgreSQL");
}

static void
mucd_pg_sandbox(const struct global_conf *g)
{
	(void)g;
	fatalx("mucd: built without PostgreSQL");
}
#endif

static void
mucd_shutdown(void)
{
	muc_db_close();
}

int
main(int argc, char *argv[])
{
	size_t	 i;

	(void)argv;
	if (argc != 1)
		errx(1, "usage: mucd (started by xmppd)");
	proc_child_init(PROC_MUCD, 0);
	if (proc_self.conf->global.muc_storage == STORAGE_POSTGRESQL)
		mucd_pg_select();
	/* SQLite's file lives in the chroot, datadir/muc. */
	muc_db_open(&proc_self.conf->global);
	for (i = 0; i < mucd_nfeatures; i++)
		if (mucd_features[i]->init != NULL)
			mucd_features[i]->init();
	mucd_configure(proc_self.conf);
	if (muc_be == &muc_sqlite)
		/* SQLite opens, creates, locks and removes its journal and WAL. */
		sandbox("stdio rpath wpath cpath flock recvfd");
	else
		mucd_pg_sandbox(&proc_self.conf->global);
	proc_self.dispatch = mucd_dispatch;
	proc_self.batch_begin = muc_be->batch_begin;
	proc_self.batch_end = muc_be->batch_end;
	proc_self.config_commit = mucd_config_commit;
	proc_self.shutdown = mucd_shutdown;
	proc_child_run();
	return (0);
}
