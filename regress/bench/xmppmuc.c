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
 * xmppload's group chat scenarios (XEP-0045).  muc: occupants in one
 * room, some of them senders keeping a window of groupchat messages in
 * flight, every delivery counted.  mucjoin: one occupant per room fills
 * its history, then others join one after another, each timed from its
 * join presence to the room's subject.  A room that refuses, or stops
 * answering, ends the scenario with one "fail" line.
 */

#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmppload.h"

#define MUC_NS		"http://jabber.org/protocol/muc"
#define MUC_STALL	30	/* seconds the rooms may stay silent */
#define MUC_ROOM_MAX	100	/* mucjoin: occupants per room by default */

/* 90 bytes: with a 10-digit number, a 100-byte body. */
static const char	 muc_filler[] = " benchmark groupchat line, "
    "about as long as what people type in a busy room of a hundred..";
_Static_assert(sizeof(muc_filler) - 1 == 90, "a body of 100 bytes");

struct muc_room {
	char		 jid[256];	/* room@service */
	size_t		 len;
	struct conn	*creator;
};

static int		 muc_joinmode;	/* mucjoin, not muc */
static struct muc_room	*muc_rooms;
static int		 muc_nrooms;
static struct conn	**muc_occ;
static int		 muc_nocc;	/* connections: occupants, creators */
static int		 muc_senders, muc_window;
static long long	 muc_quota;	/* messages per sender */
static long long	 muc_deliveries, muc_expected;
static int		 muc_joined;	/* occupants in */
static int		 muc_ready;	/* rooms created, or filled */
static int		 muc_next;	/* mucjoin: the next to join */
static const char	*muc_stage;	/* what is awaited, for the stall */
static double		 muc_progress;	/* when a room last answered */
static double		*muc_lat;
static int		 muc_nlat;
static long long	 muc_histsum;

/* n rooms on service, named name, or name0, name1... when numbered. */
static void
muc_rooms_setup(const char *service, const char *name, int n, int numbered)
{
	char	 domain[256];
	int	 i, len;

	if (service == NULL) {
		len = snprintf(domain, sizeof(domain), "conference.%s",
		    opts.domain);
		if (len < 0 || (size_t)len >= sizeof(domain))
			errx(1, "MUC service name too long");
		service = domain;
	}
	if ((muc_rooms = calloc(n, sizeof(*muc_rooms))) == NULL)
		err(1, NULL);
	muc_nrooms = n;
	for (i = 0; i < n; i++) {
		if (!numbered)
			len = snprintf(muc_rooms[i].jid,
			    sizeof(muc_rooms[i].jid), "%s@%s", name, service);
		else
			len = snprintf(muc_rooms[i].jid,
			    sizeof(muc_rooms[i].jid), "%s%d@%s", name, i,
			    service);
		if (len < 0 || (size_t)len >= sizeof(muc_rooms[i].jid))
			errx(1, "room JID too long");
		muc_rooms[i].len = len;
	}
}

/*
 * muc: occupants (100) in one room, senders (10) of them, window (5)
 * messages in flight each, count (1000) messages in all.  mucjoin:
 * occupants (100) join, one after another, rooms (senders: one per 100
 * joins) where one more user each has sent count (100) messages.
 * Returns the connections to log in.
 */
int
muc_setup(int join, const char *service, const char *room, int occupants,
    int senders, int window, long long count)
{
	muc_joinmode = join;
	muc_window = window > 0 ? window : 5;
	if (occupants <= 0)
		occupants = 100;
	if (join) {
		muc_senders = senders > 0 ? senders :
		    (occupants + MUC_ROOM_MAX - 1) / MUC_ROOM_MAX;
		muc_rooms_setup(service, room != NULL ? room : "history",
		    muc_senders, 1);
		muc_nocc = muc_senders + occupants;
		muc_quota = count > 0 ? count : 100;
		if ((muc_lat = calloc(occupants, sizeof(*muc_lat))) == NULL)
			err(1, NULL);
		return (muc_nocc);
	}
	muc_rooms_setup(service, room != NULL ? room : "bench", 1, 0);
	muc_nocc = occupants;
	muc_senders = senders > 0 ? senders : 10;
	if (muc_senders > muc_nocc)
		errx(1, "%d senders but %d occupants", muc_senders, muc_nocc);
	count = count > 0 ? count : 1000;
	muc_quota = (count + muc_senders - 1) / muc_senders;
	muc_expected = muc_quota * muc_senders * muc_nocc;
	return (muc_nocc);
}

static void
muc_wait(const char *stage)
{
	muc_stage = stage;
	muc_progress = load_now();
}

static void
muc_answered(void)
{
	muc_progress = load_now();
}

/* Called every second while a phase runs. */
void
muc_tick(void)
{
	if (muc_stage == NULL || load_now() - muc_progress < MUC_STALL)
		return;
	if (muc_joinmode)
		load_fail("%s: nothing from the rooms for %d s (%d of %d in)",
		    muc_stage, MUC_STALL, muc_joined, muc_nocc);
	load_fail("%s: nothing from the room for %d s (%d of %d in, %lld of "
	    "%lld deliveries)", muc_stage, MUC_STALL, muc_joined, muc_nocc,
	    muc_deliveries, muc_expected);
}

/* Is this stanza from an occupant of c's room, and from c itself? */
static int
muc_from_room(struct conn *c)
{
	const struct muc_room	*r = &muc_rooms[c->muc_room];

	return (strncmp(c->el_from, r->jid, r->len) == 0 &&
	    c->el_from[r->len] == '/' && c->el_from[r->len + 1] != '\0');
}

static int
muc_from_self(struct conn *c)
{
	char	 self[sizeof(c->el_from)];
	int	 n;

	n = snprintf(self, sizeof(self), "%s/%s%04d",
	    muc_rooms[c->muc_room].jid, opts.prefix, c->user);
	return (n > 0 && (size_t)n < sizeof(self) &&
	    strcmp(c->el_from, self) == 0);
}

static int
muc_creator(struct conn *c)
{
	return (muc_rooms[c->muc_room].creator == c);
}

/* XEP-0045 7.2: presence to room/nick with the muc element. */
static void
muc_join(struct conn *c, long long history)
{
	c->muc = MUC_JOINING;
	clock_gettime(CLOCK_MONOTONIC, &c->t_join);
	conn_send(c, "<presence to='%s/%s%04d'><x xmlns='" MUC_NS "'>"
	    "<history maxstanzas='%lld'/></x></presence>",
	    muc_rooms[c->muc_room].jid, opts.prefix, c->user, history);
}

static void
muc_say(struct conn *c)
{
	c->muc_sent++;
	conn_send(c, "<message to='%s' type='groupchat' id='g%d-%lld'>"
	    "<body>%010lld%s</body></message>", muc_rooms[c->muc_room].jid,
	    c->id, c->muc_sent, c->muc_sent, muc_filler);
}

static void
muc_in(struct conn *c)
{
	int	 i;

	c->muc = MUC_IN;
	muc_joined++;
	muc_answered();
	if (muc_joinmode) {
		/* Histories come next, once every room exists. */
		if (muc_creator(c) && ++muc_ready == muc_nrooms)
			event_base_loopexit(base, NULL);
		return;
	}
	if (muc_creator(c)) {
		/* The room exists: everybody else comes in. */
		muc_wait("joining");
		for (i = 0; i < muc_nocc; i++)
			if (muc_occ[i] != c)
				muc_join(muc_occ[i], 0);
	}
	if (muc_joined == muc_nocc)
		event_base_loopexit(base, NULL);
}

/* mucjoin: the next one in, when the last has had history and subject. */
static void
muc_join_next(void)
{
	if (muc_next == muc_nocc) {
		event_base_loopexit(base, NULL);
		return;
	}
	muc_join(muc_occ[muc_next++], muc_quota);
}

/*
 * The self-presence ends a join (XEP-0045 7.2.2); with status 201 the
 * room was created for it and waits for its owner's configuration:
 * an empty submit makes it an instant room (10.1.2).
 */
static void
muc_presence(struct conn *c)
{
	if (strcmp(c->el_type, "error") == 0 && c->muc == MUC_JOINING)
		load_fail("join refused (%s)", c->el_cond[0] != '\0' ?
		    c->el_cond : "no condition");
	if (!muc_from_self(c) && (c->el_flags & EF_STATUS110) == 0)
		return;
	if (strcmp(c->el_type, "unavailable") == 0 && c->muc != MUC_OUT)
		load_fail("%s%04d removed from the room", opts.prefix,
		    c->user);
	if (c->muc != MUC_JOINING || c->el_type[0] != '\0')
		return;
	if (c->el_flags & EF_STATUS201) {
		c->muc = MUC_CONFIGURING;
		muc_wait("configuring the instant room");
		conn_send(c, "<iq type='set' to='%s' id='muc-config'>"
		    "<query xmlns='" MUC_NS "#owner'><x xmlns='jabber:x:data' "
		    "type='submit'/></query></iq>",
		    muc_rooms[c->muc_room].jid);
		return;
	}
	muc_in(c);
}

void
muc_stanza(struct conn *c)
{
	if (c->el == EL_PRESENCE) {
		muc_presence(c);
		return;
	}
	if (c->muc != MUC_CONFIGURING || strcmp(c->el_id, "muc-config") != 0)
		return;
	if (strcmp(c->el_type, "result") != 0)
		load_fail("instant room refused (%s)", c->el_cond[0] != '\0' ?
		    c->el_cond : "no condition");
	muc_in(c);
}

/* mucjoin: the subject closes a join, after the history (7.2.15). */
static void
muc_subject(struct conn *c)
{
	if (!muc_joinmode || muc_creator(c) || c->muc == MUC_DONE)
		return;
	if (c->muc != MUC_IN)
		load_fail("%s%04d: the subject before the self-presence",
		    opts.prefix, c->user);
	c->muc = MUC_DONE;
	muc_lat[muc_nlat++] = (load_now() - (c->t_join.tv_sec +
	    c->t_join.tv_nsec / 1e9)) * 1000;
	muc_histsum += c->muc_history;
	muc_answered();
	muc_join_next();
}

void
muc_message(struct conn *c)
{
	if (strcmp(c->el_type, "groupchat") != 0)
		return;
	if ((c->el_flags & (EF_SUBJECT | EF_BODY)) == EF_SUBJECT) {
		muc_subject(c);
		return;
	}
	/* Bodies from the room itself are notices, not deliveries. */
	if ((c->el_flags & EF_BODY) == 0 || !muc_from_room(c))
		return;
	muc_answered();
	if (c->el_flags & EF_DELAY) {
		c->muc_history++;
		return;
	}
	if (++muc_deliveries == muc_expected)
		event_base_loopexit(base, NULL);
	if (!c->muc_sender || !muc_from_self(c))
		return;
	if (++c->muc_back > c->muc_sent)
		load_fail("%s%04d: more reflections than messages sent",
		    opts.prefix, c->user);
	if (c->muc_sent < muc_quota)
		muc_say(c);
	else if (muc_joinmode && c->muc_back == muc_quota &&
	    ++muc_ready == muc_nrooms)
		event_base_loopexit(base, NULL);
}

static void
muc_send_windows(void)
{
	struct conn	*c;
	int		 i, j;

	for (i = 0; i < muc_nocc; i++) {
		c = muc_occ[i];
		if (!c->muc_sender)
			continue;
		for (j = 0; j < muc_window && c->muc_sent < muc_quota; j++)
			muc_say(c);
	}
}

/* Each room's first occupant creates it; in muc, the rest follow. */
static void
muc_enter(void)
{
	int	 i;

	muc_wait("creating the room");
	load_phase_start();
	for (i = 0; i < muc_nrooms; i++)
		muc_join(muc_rooms[i].creator, 0);
	event_base_dispatch(base);
	muc_stage = NULL;
}

static void
muc_run_fanout(void)
{
	double	 cpu0, t0, elapsed;
	int	 i;

	t0 = load_now();
	muc_enter();
	printf("ready mode=muc occupants=%d joined=%d elapsed=%.3f\n",
	    muc_nocc, muc_joined, load_now() - t0);
	fflush(stdout);
	if (load_sync)
		load_wait_line();
	/* Senders spread over the occupants. */
	for (i = 0; i < muc_senders; i++)
		muc_occ[i * (muc_nocc / muc_senders)]->muc_sender = 1;
	muc_deliveries = 0;
	cpu0 = load_cpu();
	t0 = load_now();
	load_phase_start();
	muc_wait("sending");
	muc_send_windows();
	event_base_dispatch(base);
	muc_stage = NULL;
	elapsed = load_now() - t0;
	printf("result mode=muc n=%lld messages=%lld occupants=%d "
	    "senders=%d window=%d elapsed=%.3f rate=%.1f cpu=%.3f\n",
	    muc_deliveries, muc_quota * muc_senders, muc_nocc, muc_senders,
	    muc_window, elapsed, muc_deliveries / elapsed,
	    load_cpu() - cpu0);
	fflush(stdout);
	if (load_sync)
		load_wait_line();
}

static void
muc_run_join(void)
{
	double	 cpu0, t0, elapsed;
	int	 n;

	t0 = load_now();
	muc_enter();
	load_phase_start();
	muc_wait("filling the history");
	muc_ready = 0;
	muc_send_windows();
	event_base_dispatch(base);
	muc_stage = NULL;
	printf("ready mode=mucjoin rooms=%d history=%lld elapsed=%.3f\n",
	    muc_nrooms, muc_quota, load_now() - t0);
	fflush(stdout);
	if (load_sync)
		load_wait_line();
	cpu0 = load_cpu();
	t0 = load_now();
	load_phase_start();
	muc_wait("joining with history");
	muc_next = muc_nrooms;
	muc_join_next();
	event_base_dispatch(base);
	muc_stage = NULL;
	elapsed = load_now() - t0;
	n = muc_nlat;
	load_sort(muc_lat, n);
	printf("result mode=mucjoin n=%d rooms=%d history=%.1f elapsed=%.3f "
	    "rate=%.1f lat_ms_med=%.1f lat_ms_p90=%.1f lat_ms_max=%.1f "
	    "cpu=%.3f\n", n, muc_nrooms, n ? (double)muc_histsum / n : 0,
	    elapsed, n / elapsed, load_pct(muc_lat, n, 0.5),
	    load_pct(muc_lat, n, 0.9), n ? muc_lat[n - 1] : 0,
	    load_cpu() - cpu0);
	fflush(stdout);
	if (load_sync)
		load_wait_line();
}

/*
 * conns: the logged-in connections, muc_setup()'s count of them.  In
 * mucjoin the first of them create a room each and fill its history;
 * the others are spread over the rooms in turn.
 */
void
muc_run(struct conn **conns)
{
	int	 i;

	muc_occ = conns;
	for (i = 0; i < muc_nocc; i++) {
		if (muc_occ[i] == NULL)
			load_fail("connection %d did not log in", i);
		muc_occ[i]->muc_room = muc_joinmode ? i % muc_nrooms : 0;
	}
	for (i = 0; i < muc_nrooms; i++)
		muc_rooms[i].creator = muc_occ[i];
	if (muc_joinmode) {
		for (i = 0; i < muc_nrooms; i++)
			muc_occ[i]->muc_sender = 1;
		muc_run_join();
	} else
		muc_run_fanout();
}
