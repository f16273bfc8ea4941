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
 * Counters for xmppctl show stats: sessions, and stanzas from and to
 * clients, with their rate over the last minute (a sample every 10
 * seconds, kept for 6 intervals).
 */

#include <sys/types.h>

#include <event.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "log.h"
#include "proc.h"
#include "router.h"

#define STATS_INTERVAL	10	/* seconds */
#define STATS_SAMPLES	7	/* a minute of intervals */

struct router_stats	 router_stats;

static struct {
	struct timespec	 when;
	uint64_t	 in, out;
} samples[STATS_SAMPLES];
static int		 nsamples, next_sample;
static struct timespec	 started;
static struct event	 stats_ev;

static void
stats_sample(int fd, short ev, void *arg)
{
	struct timeval	 tv = { STATS_INTERVAL, 0 };

	(void)fd;
	(void)ev;
	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &samples[next_sample].when);
	samples[next_sample].in = router_stats.in;
	samples[next_sample].out = router_stats.out;
	next_sample = (next_sample + 1) % STATS_SAMPLES;
	if (nsamples < STATS_SAMPLES)
		nsamples++;
	evtimer_add(&stats_ev, &tv);
}

void
stats_init(void)
{
	clock_gettime(CLOCK_MONOTONIC, &started);
	evtimer_set(&stats_ev, stats_sample, NULL);
	stats_sample(-1, 0, NULL);
}

static double
ts_diff(const struct timespec *a, const struct timespec *b)
{
	return ((a->tv_sec - b->tv_sec) + (a->tv_nsec - b->tv_nsec) / 1e9);
}

int
stats_ctl(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_stats	 cs;
	struct timespec		 now;
	double			 span;
	int			 oldest, sessions, users;

	memset(&cs, 0, sizeof(cs));
	session_count(&sessions, &users);
	cs.sessions = sessions;
	cs.users = users;
	cs.stanzas_in = router_stats.in;
	cs.stanzas_out = router_stats.out;
	clock_gettime(CLOCK_MONOTONIC, &now);
	cs.uptime = now.tv_sec - started.tv_sec;
	oldest = nsamples < STATS_SAMPLES ? 0 : next_sample;
	if ((span = ts_diff(&now, &samples[oldest].when)) > 0) {
		cs.rate_in = (router_stats.in - samples[oldest].in) / span;
		cs.rate_out = (router_stats.out - samples[oldest].out) / span;
		cs.window = (time_t)(span + 0.5);
	}
	imsgev_compose(iev, IMSG_CTL_STATS, imsg_get_id(imsg), 0, -1, &cs,
	    sizeof(cs));
	imsgev_compose(iev, IMSG_CTL_END, imsg_get_id(imsg), 0, -1, NULL, 0);
	return (0);
}
