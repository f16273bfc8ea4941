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
 * bounded; when full, the oldest key is forgotten.
 */

#ifndef THROTTLE_H
#define THROTTLE_H

#include <time.h>

struct throttle;

struct throttle	*throttle_new(int, time_t, size_t);
void		 throttle_free(struct throttle *);
void		 throttle_set(struct throttle *, int, time_t);
int		 throttle_over(struct throttle *, const char *, time_t);
void		 throttle_hit(struct throttle *, const char *, time_t);
void		 throttle_clear(struct throttle *, const char *);

#endif /* THROTTLE_H */
