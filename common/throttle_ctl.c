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
 * xmppctl show throttled and unthrottle, in each process that holds
 * throttles (the store, ldapauthd): what its throttles hold, and a key
 * forgotten at once so that a locked-out user or address is let back in.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "imsg.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "throttle.h"

struct throttle_ctl {
	struct imsgev	*iev;
	uint32_t	 peerid;
	time_t		 now;
	int		 clear;
};

static void
throttle_ctl_one(const char *what, const char *key, int count, int max,
    time_t clears, void *arg)
{
	struct throttle_ctl	*tc = arg;
	struct ctl_throttle	 ct;

	memset(&ct, 0, sizeof(ct));
	(void)strlcpy(ct.key, key, sizeof(ct.key));
	(void)strlcpy(ct.what, what, sizeof(ct.what));
	(void)strlcpy(ct.process, proc_name(proc_self.type),
	    sizeof(ct.process));
	ct.count = count;
	ct.max = max;
	ct.clears = clears;
	if (tc->clear)
		log_info("%s: %s unthrottled (%d of %d)", key, what, count,
		    max);
	imsgev_compose(tc->iev, IMSG_CTL_THROTTLED, tc->peerid, 0, -1, &ct,
	    sizeof(ct));
}

/* 1: not a throttle request; -1: one that should not come from there. */
int
throttle_ctl_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct throttle_ctl	 tc;
	struct ctl_throttle	 ct;
	uint32_t		 type = imsg_get_type(imsg);

	if (type != IMSG_CTL_SHOW_THROTTLED && type != IMSG_CTL_UNTHROTTLE)
		return (1);
	if (iev->type != PROC_CONTROL)
		return (-1);
	tc.iev = iev;
	tc.peerid = imsg_get_id(imsg);
	tc.now = time(NULL);
	tc.clear = type == IMSG_CTL_UNTHROTTLE;
	if (!tc.clear)
		(void)throttle_each(NULL, 0, tc.now, throttle_ctl_one, &tc);
	else {
		if (imsg_get_data(imsg, &ct, sizeof(ct)) == -1)
			return (-1);
		ct.key[sizeof(ct.key) - 1] = '\0';
		/* An empty key names nothing (xmppctl refuses it too). */
		if (ct.key[0] != '\0')
			(void)throttle_each(ct.key, 1, tc.now,
			    throttle_ctl_one, &tc);
	}
	imsgev_compose(iev, IMSG_CTL_END, tc.peerid, 0, -1, NULL, 0);
	return (0);
}
