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
 * Accounts disabled lately.  The store refuses a disabled account's
 * logins; a client that logged in just before the disable and binds
 * just after it, once the router has closed the account's sessions, is
 * refused here.  A login binds within C2S_LOGIN_TIMEOUT of its start,
 * so a disable is kept twice that long, or until the account is
 * enabled or deleted.
 */

#include <sys/types.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "router.h"

#define DISABLED_KEEP		120	/* seconds */
#define DISABLED_MAX		4096

struct disabled {
	RB_ENTRY(disabled)	 entry;
	char			 bare[CONF_JIDLEN];
	char			 reason[ACCOUNT_REASON_MAX];
	time_t			 when;
};

RB_HEAD(disabled_tree, disabled);

static struct disabled_tree	 disabled = RB_INITIALIZER(&disabled);
static int			 ndisabled;

static int
disabled_cmp(struct disabled *a, struct disabled *b)
{
	return (strcmp(a->bare, b->bare));
}

RB_GENERATE_STATIC(disabled_tree, disabled, entry, disabled_cmp);

static void
disabled_free(struct disabled *d)
{
	RB_REMOVE(disabled_tree, &disabled, d);
	free(d);
	ndisabled--;
}

/* Those past their time go; when full still, the oldest. */
static void
disabled_expire(time_t now)
{
	struct disabled	*d, *next, *oldest = NULL;

	RB_FOREACH_SAFE(d, disabled_tree, &disabled, next) {
		if (now - d->when >= DISABLED_KEEP)
			disabled_free(d);
		else if (oldest == NULL || d->when < oldest->when)
			oldest = d;
	}
	if (ndisabled >= DISABLED_MAX && oldest != NULL)
		disabled_free(oldest);
}

void
disabled_add(const char *bare, const char *reason)
{
	struct disabled	*d, key;
	time_t		 now = time(NULL);

	disabled_expire(now);
	(void)strlcpy(key.bare, bare, sizeof(key.bare));
	if ((d = RB_FIND(disabled_tree, &disabled, &key)) == NULL) {
		if ((d = calloc(1, sizeof(*d))) == NULL)
			fatal("%s", __func__);
		(void)strlcpy(d->bare, bare, sizeof(d->bare));
		RB_INSERT(disabled_tree, &disabled, d);
		ndisabled++;
	}
	(void)strlcpy(d->reason, reason, sizeof(d->reason));
	d->when = now;
}

void
disabled_clear(const char *bare)
{
	struct disabled	*d, key;

	(void)strlcpy(key.bare, bare, sizeof(key.bare));
	if ((d = RB_FIND(disabled_tree, &disabled, &key)) != NULL)
		disabled_free(d);
}

/* The reason a bare JID was disabled lately, or NULL. */
const char *
disabled_reason(const char *bare)
{
	struct disabled	*d, key;

	(void)strlcpy(key.bare, bare, sizeof(key.bare));
	if ((d = RB_FIND(disabled_tree, &disabled, &key)) == NULL)
		return (NULL);
	if (time(NULL) - d->when >= DISABLED_KEEP) {
		disabled_free(d);
		return (NULL);
	}
	return (d->reason);
}
