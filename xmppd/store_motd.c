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
 * Messages of the day that a domain's admins set from their client
 * (XEP-0133, through the router): kept in the database so that they
 * outlive restarts, and given to the router when it starts and at each
 * reload.  The router has checked the text; it is checked here again,
 * since only a motd that is UTF-8 text XML can carry is ever stored.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "store.h"
#include "xml.h"

/* One stored motd to the router, if its domain is served here. */
static int
store_motd_send(const char *domain, const char *text, void *arg)
{
	struct imsgev	*iev = arg;
	struct motd_msg	 mm;
	struct iovec	 iov[2];
	size_t		 len = strlen(text);

	if (config_domain(proc_self.conf, domain) == NULL)
		return (0);
	if (len == 0 || len > MOTD_MAX || !xml_text_ok(text, len)) {
		log_warnx("store: the stored motd of %s is not usable text: "
		    "not sent", domain);
		return (0);
	}
	memset(&mm, 0, sizeof(mm));
	(void)strlcpy(mm.domain, domain, sizeof(mm.domain));
	mm.ok = 1;
	iov[0].iov_base = &mm;
	iov[0].iov_len = sizeof(mm);
	iov[1].iov_base = (void *)text;
	iov[1].iov_len = len;
	imsgev_composev(iev, IMSG_MOTD, 0, 0, -1, iov, 2);
	return (0);
}

static void
store_motd_load(struct imsgev *iev)
{
	struct motd_msg	 mm;

	memset(&mm, 0, sizeof(mm));
	if (!store_up())
		(void)strlcpy(mm.why, "the database is unreachable",
		    sizeof(mm.why));
	else if (store_be->motd->each(store_motd_send, iev) == -1)
		(void)strlcpy(mm.why, "the database did not answer",
		    sizeof(mm.why));
	else
		mm.ok = 1;
	if (!mm.ok)
		log_warnx("store: stored motds not read: %s", mm.why);
	imsgev_compose(iev, IMSG_MOTD_LOADED, 0, 0, -1, &mm, sizeof(mm));
}

/* A set (with text) or a delete (text NULL); the answer in mm. */
static void
store_motd_change(struct motd_msg *mm, const char *text, size_t len)
{
	const char	*why = NULL;
	int		 r;

	if (config_domain(proc_self.conf, mm->domain) == NULL)
		why = "no such domain";
	else if (text != NULL && (len == 0 || len > MOTD_MAX ||
	    strlen(text) != len || !xml_text_ok(text, len)))
		why = "the motd is not UTF-8 text of 1 to 1023 bytes";
	else if (!store_up())
		why = "the database is unreachable";
	else if (text != NULL) {
		if (store_be->motd->set(mm->domain, text, mm->by,
		    time(NULL)) == -1)
			why = "database error";
		else
			log_info("motd of %s set by %s", mm->domain, mm->by);
	} else if ((r = store_be->motd->delete(mm->domain)) == -1)
		why = "database error";
	else if (r == 0)
		why = "no motd was set";
	else
		log_info("motd of %s deleted by %s", mm->domain, mm->by);
	mm->ok = why == NULL;
	(void)strlcpy(mm->why, why != NULL ? why : "", sizeof(mm->why));
}

int
store_motd_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct motd_msg	 mm;
	char		*text = NULL;
	size_t		 len = imsg_get_len(imsg);
	uint32_t	 type = imsg_get_type(imsg);

	switch (type) {
	case IMSG_MOTD_LOAD:
		if (iev->type != PROC_ROUTER)
			return (-1);
		store_motd_load(iev);
		return (0);
	case IMSG_MOTD_SET:
	case IMSG_MOTD_DELETE:
		break;
	default:
		return (1);
	}
	if (iev->type != PROC_ROUTER || len < sizeof(mm) ||
	    (type == IMSG_MOTD_DELETE && len != sizeof(mm)) ||
	    len - sizeof(mm) > MOTD_MAX)
		return (-1);
	len -= sizeof(mm);
	if ((text = malloc(sizeof(mm) + len + 1)) == NULL)
		fatal("%s", __func__);
	if (imsg_get_data(imsg, text, sizeof(mm) + len) == -1)
		fatalx("%s: bad request", __func__);
	memcpy(&mm, text, sizeof(mm));
	memmove(text, text + sizeof(mm), len);
	text[len] = '\0';
	mm.domain[sizeof(mm.domain) - 1] = '\0';
	mm.by[sizeof(mm.by) - 1] = '\0';
	store_motd_change(&mm, type == IMSG_MOTD_SET ? text : NULL, len);
	free(text);
	imsgev_compose(iev, IMSG_MOTD_DONE, imsg_get_id(imsg), 0, -1, &mm,
	    sizeof(mm));
	return (0);
}
