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
 * Counting events per key (a client address) in a fixed time window:
 * "auth failures 5 per 60s", registrations per address.  The table is
 * bounded; when full, the oldest key is forgotten.  A process's throttles
 * are listed and cleared by xmppctl through throttle_ctl_dispatch().
 */

#ifndef THROTTLE_H
#define THROTTLE_H

#include <time.h>

struct throttle;
struct imsgev;
struct imsg;

/* What a throttle holds for one key, as xmppctl shows it. */
typedef void	(*throttle_cb)(const char *what, const char *key, int count,
		    int max, time_t clears, void *arg);

struct throttle	*throttle_new(const char *, int, time_t, size_t);
void		 throttle_free(struct throttle *);
void		 throttle_set(struct throttle *, int, time_t);
int		 throttle_over(struct throttle *, const char *, time_t);
void		 throttle_hit(struct throttle *, const char *, time_t);
int		 throttle_clear(struct throttle *, const char *);
size_t		 throttle_each(const char *, int, time_t, throttle_cb, void *);
int		 throttle_ctl_dispatch(struct imsgev *, struct imsg *);

#endif /* THROTTLE_H */
