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
 * Housekeeping: slots never used and files past their service's expire
 * are removed at start and every minute; xmppctl upload stats and purge;
 * the files of a deleted account go with it.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "upload.h"

#ifndef REGRESS
#define UPLOAD_ADMIN_PERIOD	60	/* seconds between expiry runs */
#else
#define UPLOAD_ADMIN_PERIOD	1	/* tests wait for the log line */
#endif

static struct event	 upload_admin_ev;

/* What a run removed. */
struct upload_admin_count {
	int64_t		 files;
	int64_t		 bytes;
	int64_t		 slots;		/* pending, never used */
};

/*
 * A slot and its file go: the file first, so that no row ever points
 * at nothing while a file stays that nothing points at.  A file that
 * cannot be removed keeps its row, to be tried again.
 */
static void
upload_admin_remove(const char *slot, void *arg)
{
	struct upload_admin_count	*c = arg;
	struct upload_file		 f;
	char				 path[sizeof(UPLOAD_DIR_FILES) +
					    UPLOAD_SLOT_LEN + 1];

	if (!upload_slot_valid(slot) || upload_db_get(slot, &f) != 0)
		return;
	(void)snprintf(path, sizeof(path), "%s/%s", UPLOAD_DIR_FILES, slot);
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("%s", path);
		return;
	}
	if (upload_db_delete(slot) != 0)
		return;
	log_debug("%s: slot %s of %s removed", __func__, slot, f.owner);
	if (f.state == UPLOAD_DONE) {
		c->files++;
		c->bytes += f.size;
	} else
		c->slots++;
}

/*
 * A pending slot whose file is complete: the database step was lost in
 * a crash, and it is done now.  Returns 1 when so.
 */
static int
upload_admin_done(const char *slot)
{
	struct stat	 sb;
	char		 path[sizeof(UPLOAD_DIR_FILES) + UPLOAD_SLOT_LEN + 1];

	(void)snprintf(path, sizeof(path), "%s/%s", UPLOAD_DIR_FILES, slot);
	if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode))
		return (0);
	if (upload_db_done(slot, sb.st_mtime) == 0)
		log_info("slot %s: its file is complete", slot);
	return (1);
}

/*
 * A pending slot past its time: gone, unless a PUT of it runs, or its
 * file is complete.
 */
static void
upload_admin_stale(const char *slot, void *arg)
{
	if (!upload_slot_valid(slot) || upload_put_busy(slot))
		return;
	if (!upload_admin_done(slot))
		upload_admin_remove(slot, arg);
}

/*
 * At start, any pending slot: done when its file is complete; else kept
 * until its time is up, since its client was given it and may still
 * upload (uploadd restarted meanwhile).
 */
static void
upload_admin_pending(const char *slot, void *arg)
{
	(void)arg;
	if (upload_slot_valid(slot))
		(void)upload_admin_done(slot);
}

static void
upload_admin_expire(time_t now)
{
	struct upload_admin_count	 c;
	struct upload_conf		*u;

	memset(&c, 0, sizeof(c));
	(void)upload_db_list(UPLOAD_LIST_STALE, NULL, now, upload_admin_stale,
	    &c);
	TAILQ_FOREACH(u, &proc_self.conf->uploads, entry)
		if (u->expire > 0)
			(void)upload_db_list(UPLOAD_LIST_OLD, u->name,
			    now - u->expire, upload_admin_remove, &c);
	if (c.files > 0 || c.slots > 0)
		log_info("expired %lld files (%lld bytes), %lld unused slots",
		    (long long)c.files, (long long)c.bytes, (long long)c.slots);
}

static void
upload_admin_timer(int fd, short event, void *arg)
{
	struct timeval	 tv = { UPLOAD_ADMIN_PERIOD, 0 };

	(void)fd;
	(void)event;
	(void)arg;
	upload_admin_expire(time(NULL));
	evtimer_add(&upload_admin_ev, &tv);
}

/*
 * At start: every pending slot whose file is complete is done (those
 * not yet expired too), then what has expired goes.
 */
void
upload_admin_start(void)
{
	struct upload_admin_count	 c;

	memset(&c, 0, sizeof(c));
	(void)upload_db_list(UPLOAD_LIST_STALE, NULL, INT64_MAX,
	    upload_admin_pending, &c);
	evtimer_set(&upload_admin_ev, upload_admin_timer, NULL);
	upload_admin_timer(-1, 0, NULL);
}

/* A bare JID of one of ours, or "" for everyone. */
static int
upload_admin_owner(const char *arg, char *bare, size_t len)
{
	struct jid	 j;

	if (arg[0] == '\0') {
		bare[0] = '\0';
		return (0);
	}
	if (jid_parse(arg, &j) == -1 || j.local[0] == '\0' ||
	    j.resource[0] != '\0' || jid_bare(&j, bare, len) == 0)
		return (-1);
	return (0);
}

static void
upload_admin_fail(struct imsgev *iev, uint32_t id, const char *why)
{
	imsgev_compose(iev, IMSG_CTL_FAIL, id, 0, -1, why, strlen(why) + 1);
}

/* xmppctl upload purge JID|all; an account deleted (no answer). */
static void
upload_admin_purge(struct imsgev *iev, struct imsg *imsg, int answer)
{
	struct ctl_upload		 cu;
	struct ctl_upload_stat		 st;
	struct upload_admin_count	 c;
	char				 bare[JID_BUFSIZE];
	int				 n;

	memset(&c, 0, sizeof(c));
	if (imsg_get_data(imsg, &cu, sizeof(cu)) == -1)
		fatalx("%s: bad request", __func__);
	cu.arg[sizeof(cu.arg) - 1] = '\0';
	if (upload_admin_owner(cu.arg, bare, sizeof(bare)) == -1) {
		if (answer)
			upload_admin_fail(iev, imsg_get_id(imsg),
			    "not a bare JID");
		return;
	}
	if (bare[0] == '\0')
		n = upload_db_list(UPLOAD_LIST_ALL, NULL, 0,
		    upload_admin_remove, &c);
	else
		n = upload_db_list(UPLOAD_LIST_OWNER, bare, 0,
		    upload_admin_remove, &c);
	log_info("purged %lld files (%lld bytes), %lld slots of %s%s",
	    (long long)c.files, (long long)c.bytes, (long long)c.slots,
	    bare[0] != '\0' ? bare : "everyone",
	    answer ? "" : ", an account deleted");
	if (!answer)
		return;
	if (n == -1) {
		upload_admin_fail(iev, imsg_get_id(imsg), "database error");
		return;
	}
	memset(&st, 0, sizeof(st));
	st.files = c.files;
	st.bytes = c.bytes;
	st.pending = c.slots;
	imsgev_compose(iev, IMSG_CTL_UPLOAD_PURGED, imsg_get_id(imsg), 0, -1,
	    &st, sizeof(st));
}

static int
upload_admin_stats_one(struct imsgev *iev, uint32_t id, const char *name)
{
	struct upload_stats	 us;
	struct ctl_upload_stat	 st;
	size_t			 i;

	if (upload_db_stats(name, &us) == -1)
		return (-1);
	memset(&st, 0, sizeof(st));
	(void)strlcpy(st.service, us.service, sizeof(st.service));
	st.files = us.files;
	st.bytes = us.bytes;
	st.pending = us.pending;
	imsgev_compose(iev, IMSG_CTL_UPLOAD_STAT, id, 0, -1, &st, sizeof(st));
	for (i = 0; i < us.ntop; i++) {
		(void)strlcpy(st.owner, us.top[i].owner, sizeof(st.owner));
		st.files = us.top[i].files;
		st.bytes = us.top[i].bytes;
		st.pending = 0;
		imsgev_compose(iev, IMSG_CTL_UPLOAD_USER, id, 0, -1, &st,
		    sizeof(st));
	}
	return (0);
}

/* xmppctl upload stats [SERVICE] */
static void
upload_admin_stats(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_upload	 cu;
	struct upload_conf	*u;
	uint32_t		 id = imsg_get_id(imsg);

	if (imsg_get_data(imsg, &cu, sizeof(cu)) == -1)
		fatalx("%s: bad request", __func__);
	cu.arg[sizeof(cu.arg) - 1] = '\0';
	if (cu.arg[0] != '\0' && upload_service(cu.arg) == NULL) {
		upload_admin_fail(iev, id, "no such upload service");
		return;
	}
	TAILQ_FOREACH(u, &proc_self.conf->uploads, entry) {
		if (cu.arg[0] != '\0' && strcmp(cu.arg, u->name) != 0)
			continue;
		if (upload_admin_stats_one(iev, id, u->name) == -1) {
			upload_admin_fail(iev, id, "database error");
			return;
		}
	}
	imsgev_compose(iev, IMSG_CTL_END, id, 0, -1, NULL, 0);
}

int
upload_admin_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_UPLOAD_STATS:
		upload_admin_stats(iev, imsg);
		return (0);
	case IMSG_CTL_UPLOAD_PURGE:
		upload_admin_purge(iev, imsg, 1);
		return (0);
	case IMSG_UPLOAD_ACCOUNT_GONE:
		upload_admin_purge(iev, imsg, 0);
		return (0);
	}
	return (-1);
}
