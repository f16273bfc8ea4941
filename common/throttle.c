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
 * Per-key event counters over a fixed window, in a bounded table.  Each
 * process keeps its throttles on one list, so that xmppctl can see and
 * clear what they hold without knowing which feature made them.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "throttle.h"

struct tentry {
	RB_ENTRY(tentry)	 node;
	TAILQ_ENTRY(tentry)	 age;
	char			*key;
	int			 count;
	time_t			 start;
};

RB_HEAD(ttree, tentry);

struct throttle {
	TAILQ_ENTRY(throttle)	 entry;
	const char		*what;		/* "auth failures" */
	struct ttree		 tree;
	TAILQ_HEAD(, tentry)	 ages;
	size_t			 n, max_entries;
	int			 max;
	time_t			 period;
};

static int
tentry_cmp(struct tentry *a, struct tentry *b)
{
	return (strcmp(a->key, b->key));
}

RB_GENERATE_STATIC(ttree, tentry, node, tentry_cmp);

static TAILQ_HEAD(, throttle)	 throttles = TAILQ_HEAD_INITIALIZER(throttles);

/* what: a constant naming what is counted, as xmppctl shows it. */
struct throttle *
throttle_new(const char *what, int max, time_t period, size_t max_entries)
{
	struct throttle	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("%s", __func__);
	t->what = what;
	TAILQ_INSERT_TAIL(&throttles, t, entry);
	RB_INIT(&t->tree);
	TAILQ_INIT(&t->ages);
	t->max = max;
	t->period = period;
	t->max_entries = max_entries;
	return (t);
}

void
throttle_set(struct throttle *t, int max, time_t period)
{
	t->max = max;
	t->period = period;
}

static void
throttle_remove(struct throttle *t, struct tentry *e)
{
	RB_REMOVE(ttree, &t->tree, e);
	TAILQ_REMOVE(&t->ages, e, age);
	free(e->key);
	free(e);
	t->n--;
}

void
throttle_free(struct throttle *t)
{
	struct tentry	*e;

	if (t == NULL)
		return;
	while ((e = TAILQ_FIRST(&t->ages)) != NULL)
		throttle_remove(t, e);
	TAILQ_REMOVE(&throttles, t, entry);
	free(t);
}

/*
 * Whether e's window has ended.  Windows are wall clock time, which an
 * admin or NTP may step: one that would begin in the future (the clock
 * went back) begins now instead, so that a key stays held one period
 * at most, not for as long as the step.
 */
static int
throttle_ended(struct throttle *t, struct tentry *e, time_t now)
{
	if (now < e->start)
		e->start = now;
	return (now - e->start >= t->period);
}

static struct tentry *
throttle_find(struct throttle *t, const char *key, time_t now)
{
	struct tentry	 k, *e;

	k.key = (char *)key;
	if ((e = RB_FIND(ttree, &t->tree, &k)) != NULL &&
	    throttle_ended(t, e, now)) {
		throttle_remove(t, e);
		e = NULL;
	}
	return (e);
}

/* Has key had max events or more in the current window? */
int
throttle_over(struct throttle *t, const char *key, time_t now)
{
	struct tentry	*e;

	if ((e = throttle_find(t, key, now)) == NULL)
		return (0);
	return (e->count >= t->max);
}

void
throttle_hit(struct throttle *t, const char *key, time_t now)
{
	struct tentry	*e;

	if ((e = throttle_find(t, key, now)) == NULL) {
		if (t->n >= t->max_entries)
			throttle_remove(t, TAILQ_FIRST(&t->ages));
		if ((e = calloc(1, sizeof(*e))) == NULL ||
		    (e->key = strdup(key)) == NULL)
			fatal("%s", __func__);
		e->start = now;
		RB_INSERT(ttree, &t->tree, e);
		TAILQ_INSERT_TAIL(&t->ages, e, age);
		t->n++;
	}
	e->count++;
}

/* Forget what key did: 1 when something was held for it. */
int
throttle_clear(struct throttle *t, const char *key)
{
	struct tentry	 k, *e;

	k.key = (char *)key;
	if ((e = RB_FIND(ttree, &t->tree, &k)) == NULL)
		return (0);
	throttle_remove(t, e);
	return (1);
}

/*
 * Every throttle of this process: with key NULL, each key over its limit
 * now; else what is held for key, whatever its count, forgotten when
 * clear is set.  Returns how many cb was told of.
 */
size_t
throttle_each(const char *key, int clear, time_t now, throttle_cb cb,
    void *arg)
{
	struct throttle	*t;
	struct tentry	*e, *next;
	size_t		 n = 0;

	TAILQ_FOREACH(t, &throttles, entry) {
		if (key != NULL) {
			if ((e = throttle_find(t, key, now)) == NULL)
				continue;
			cb(t->what, e->key, e->count, t->max,
			    e->start + t->period, arg);
			n++;
			if (clear)
				throttle_remove(t, e);
			continue;
		}
		TAILQ_FOREACH_SAFE(e, &t->ages, age, next) {
			if (throttle_ended(t, e, now)) {
				throttle_remove(t, e);
				continue;
			}
			if (e->count < t->max)
				continue;
			cb(t->what, e->key, e->count, t->max,
			    e->start + t->period, arg);
			n++;
		}
	}
	return (n);
}
