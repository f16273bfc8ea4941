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
 * The throttle table as xmppctl sees it: what is over a limit, a key's
 * count whatever it is, a key cleared, windows that end, a table that
 * stays bounded.
 */

#include <sys/types.h>

#include <string.h>
#include <time.h>

#include "test.h"
#include "throttle.h"

struct seen {
	int	 n;
	char	 what[64], key[64];
	int	 count, max;
	time_t	 clears;
};

static void
seen_one(const char *what, const char *key, int count, int max,
    time_t clears, void *arg)
{
	struct seen	*s = arg;

	s->n++;
	(void)strlcpy(s->what, what, sizeof(s->what));
	(void)strlcpy(s->key, key, sizeof(s->key));
	s->count = count;
	s->max = max;
	s->clears = clears;
}

int
main(void)
{
	struct throttle	*a, *r;
	struct seen	 s;
	time_t		 t0 = 1000000;
	size_t		 n;
	int		 i;

	a = throttle_new("auth failures", 3, 60, 4);
	r = throttle_new("registrations", 2, 600, 4);
	for (i = 0; i < 3; i++)
		throttle_hit(a, "192.0.2.1", t0 + i);
	throttle_hit(a, "192.0.2.2", t0);
	throttle_hit(r, "192.0.2.2", t0);

	memset(&s, 0, sizeof(s));
	n = throttle_each(NULL, 0, t0 + 10, seen_one, &s);
	CHECK(n == 1 && s.n == 1, "only what is over a limit is listed (%zu)",
	    n);
	CHECK(strcmp(s.key, "192.0.2.1") == 0 &&
	    strcmp(s.what, "auth failures") == 0 && s.count == 3 &&
	    s.max == 3, "with its throttle's name, count and limit");
	CHECK(s.clears == t0 + 60, "and when its window ends");

	memset(&s, 0, sizeof(s));
	n = throttle_each("192.0.2.2", 0, t0 + 10, seen_one, &s);
	CHECK(n == 2, "a key is found in every throttle holding it");
	CHECK(throttle_over(a, "192.0.2.1", t0 + 10), "looking clears nothing");

	memset(&s, 0, sizeof(s));
	n = throttle_each("192.0.2.1", 1, t0 + 10, seen_one, &s);
	CHECK(n == 1 && s.count == 3, "a key cleared is told of once");
	CHECK(!throttle_over(a, "192.0.2.1", t0 + 10), "and is let in");
	CHECK(throttle_each("192.0.2.1", 1, t0 + 10, seen_one, &s) == 0,
	    "and is no longer held");
	CHECK(throttle_each("192.0.2.9", 1, t0 + 10, seen_one, &s) == 0,
	    "a key never seen is not held");

	throttle_hit(r, "192.0.2.2", t0 + 1);
	memset(&s, 0, sizeof(s));
	CHECK(throttle_each(NULL, 0, t0 + 599, seen_one, &s) == 1 &&
	    strcmp(s.what, "registrations") == 0, "each throttle's window "
	    "is its own");
	CHECK(throttle_each(NULL, 0, t0 + 600, seen_one, &s) == 0,
	    "a window ended is not listed");
	CHECK(throttle_each("192.0.2.2", 0, t0 + 600, seen_one, &s) == 0,
	    "nor found by its key");

	CHECK(throttle_clear(a, "192.0.2.3") == 0, "clear: nothing held");
	throttle_hit(a, "192.0.2.3", t0);
	CHECK(throttle_clear(a, "192.0.2.3") == 1, "clear: something held");

	for (i = 0; i < 10; i++) {
		char	 key[32];

		(void)snprintf(key, sizeof(key), "198.51.100.%d", i);
		throttle_hit(a, key, t0);
		throttle_hit(a, key, t0);
		throttle_hit(a, key, t0);
	}
	CHECK(throttle_each(NULL, 0, t0 + 1, seen_one, &s) == 4,
	    "the table stays within its bound");

	/* The clock stepped back a day: held one period, not a day more. */
	throttle_hit(r, "203.0.113.1", t0 + 86400);
	throttle_hit(r, "203.0.113.1", t0 + 86400);
	CHECK(throttle_over(r, "203.0.113.1", t0),
	    "a clock stepped back: still held at once");
	CHECK(throttle_over(r, "203.0.113.1", t0 + 599),
	    "a clock stepped back: held for the period");
	CHECK(!throttle_over(r, "203.0.113.1", t0 + 600),
	    "a clock stepped back: let in after the period, not a day more");

	throttle_hit(r, "198.51.100.1", t0);
	throttle_free(a);
	memset(&s, 0, sizeof(s));
	CHECK(throttle_each("198.51.100.1", 0, t0 + 1, seen_one, &s) == 1 &&
	    strcmp(s.what, "registrations") == 0, "a throttle freed leaves "
	    "the list");
	throttle_free(r);
	CHECK(throttle_each(NULL, 0, t0 + 1, seen_one, &s) == 0,
	    "none left");
	TEST_DONE();
}
