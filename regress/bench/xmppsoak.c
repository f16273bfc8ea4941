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
 * xmppload's soak scenario: -n sessions, one per user, held for -t
 * seconds while some log out and in again, send chat messages to one
 * another (to bare JIDs: a user logged out gets them later, from
 * offline storage), change their presence, and join and leave group
 * chat rooms, where occupants talk.  It looks for what grows in a
 * server that runs long, so it never stops on a failure: it counts
 * them, with their reasons, and logs the session in again.
 */

#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmppload.h"

#define SOAK_NS_MUC	"http://jabber.org/protocol/muc"
#define SOAK_STEP_MS	100	/* the load comes in steps this long */
#define SOAK_AWAY_S	5	/* a user logged out comes back after */
#define SOAK_WHYS	16	/* failure reasons counted apart */
#define SOAK_TRIES	64	/* random picks before a step gives up */
#define SOAK_LATMAX	100000	/* login latencies kept per interval */

enum soak_st {
	SOAK_OUT,		/* logged out, or waiting in the queue */
	SOAK_LOGIN,		/* logging in */
	SOAK_READY,
};

struct soak_slot {
	struct conn	*c;
	enum soak_st	 st;
	int		 queued;
	double		 due;	/* in the queue: log in from then on */
	int		 away;	/* its presence shows away */
};

struct soak_why {
	char		 why[64];
	long long	 n;
};

struct soak_opts	 soak = {
	.sessions = 1000,
	.seconds = 1800,
	.interval = 60,
	.rooms = 100,
	.room = "soak",
};

static struct soak_slot	*soak_slots;
static int		*soak_queue;	/* ring of slot numbers */
static int		 soak_qhead, soak_qlen;
static int		 soak_conc, soak_inflight, soak_online, soak_occupants;
static int		 soak_phase;	/* 0 logging in, 1 soaking, 2 done */
static int		 soak_nextid;
static char		 soak_service[256];
static double		 soak_t0, soak_tlast, soak_acc[5];
static double		*soak_lat;
static int		 soak_nlat;
static struct event	 soak_ev;
static struct soak_why	 soak_whys[SOAK_WHYS];

/* What happened, since the start of the soak. */
static struct {
	long long	 logins, logouts, login_failed, failed;
	long long	 sent, received, offline;
	long long	 presence, joins, join_failed, leaves;
	long long	 gc_sent, gc_received, gc_history;
} soak_n;

static void
soak_enqueue(int s, double due)
{
	struct soak_slot	*sl = &soak_slots[s];

	if (sl->queued)
		return;
	sl->queued = 1;
	sl->due = due;
	soak_queue[(soak_qhead + soak_qlen++) % soak.sessions] = s;
}

static int
soak_slot(struct conn *c)
{
	int	 s = c->user - opts.first;

	if (s < 0 || s >= soak.sessions)
		errx(1, "user %d is not one of the soak's", c->user);
	return (s);
}

static void
soak_count_why(const char *why)
{
	int	 i;

	for (i = 0; i < SOAK_WHYS; i++) {
		if (soak_whys[i].n == 0)
			strlcpy(soak_whys[i].why, why,
			    sizeof(soak_whys[i].why));
		if (strcmp(soak_whys[i].why, why) == 0) {
			soak_whys[i].n++;
			return;
		}
	}
	soak_whys[SOAK_WHYS - 1].n++;	/* the last counts the rest too */
}

/* The session is gone: it logs in again a little later. */
static void
soak_gone(int s)
{
	struct soak_slot	*sl = &soak_slots[s];

	if (sl->st == SOAK_READY) {
		soak_online--;
		if (sl->c != NULL && sl->c->muc != MUC_OUT)
			soak_occupants--;
	} else if (sl->st == SOAK_LOGIN)
		soak_inflight--;
	sl->st = SOAK_OUT;
	sl->c = NULL;
	sl->away = 0;
	soak_enqueue(s, load_now() + SOAK_AWAY_S);
}

void
soak_failed(struct conn *c, const char *why)
{
	struct soak_slot	*sl = &soak_slots[soak_slot(c)];

	/* Closed by the scenario, or its conn_start() failed. */
	if (sl->st == SOAK_OUT || (sl->c != NULL && sl->c != c))
		return;
	if (sl->st == SOAK_LOGIN)
		soak_n.login_failed++;
	else
		soak_n.failed++;
	if (soak_n.login_failed + soak_n.failed <= 5)
		warnx("%s%04d: %s", opts.prefix, c->user, why);
	soak_count_why(why);
	soak_gone(soak_slot(c));
}

void
soak_ready(struct conn *c)
{
	struct soak_slot	*sl = &soak_slots[soak_slot(c)];

	sl->st = SOAK_READY;
	soak_inflight--;
	soak_online++;
	soak_n.logins++;
	if (soak_nlat < SOAK_LATMAX)
		soak_lat[soak_nlat++] = (load_now() - (c->t_start.tv_sec +
		    c->t_start.tv_nsec / 1e9)) * 1000;
}

static void
soak_login(int s)
{
	struct soak_slot	*sl = &soak_slots[s];

	sl->st = SOAK_LOGIN;
	sl->c = NULL;
	soak_inflight++;
	sl->c = conn_start(opts.first + s, soak_nextid++, 0);
}

/* Log in the queue's head while it is due, so many at a time. */
static void
soak_logins(double now)
{
	int	 s;

	while (soak_qlen > 0 && soak_inflight < soak_conc) {
		s = soak_queue[soak_qhead];
		if (soak_slots[s].due > now)
			break;
		soak_qhead = (soak_qhead + 1) % soak.sessions;
		soak_qlen--;
		soak_slots[s].queued = 0;
		if (soak_slots[s].st == SOAK_OUT)
			soak_login(s);
	}
}

/* A random session logged in, in a room (1) or not (0), or any (-1). */
static int
soak_pick(int inroom)
{
	struct soak_slot	*sl;
	int			 i, s;

	for (i = 0; i < SOAK_TRIES; i++) {
		s = arc4random_uniform(soak.sessions);
		sl = &soak_slots[s];
		if (sl->st != SOAK_READY)
			continue;
		if (inroom == -1 || (inroom == 1 && sl->c->muc == MUC_IN) ||
		    (inroom == 0 && sl->c->muc == MUC_OUT))
			return (s);
	}
	return (-1);
}

/* Half leave cleanly, half drop the connection without a word. */
static void
soak_logout(void)
{
	struct conn	*c;
	int		 s;

	if ((s = soak_pick(-1)) == -1)
		return;
	c = soak_slots[s].c;
	soak_gone(s);
	soak_n.logouts++;
	if (soak_n.logouts % 2 == 0) {
		conn_send(c, "<presence type='unavailable'/>");
		conn_close(c);
	} else
		conn_abort(c);
}

/* To a bare JID: the receiver may be logged out, then it is stored. */
static void
soak_chat(void)
{
	int	 s, r;

	if ((s = soak_pick(-1)) == -1)
		return;
	r = arc4random_uniform(soak.sessions);
	soak_n.sent++;
	conn_send(soak_slots[s].c, "<message to='%s%04d@%s' type='chat' "
	    "id='s%lld'><body>Soak message %lld, about as long as a short "
	    "chat line.</body></message>", opts.prefix, opts.first + r,
	    opts.domain, soak_n.sent, soak_n.sent);
}

static void
soak_presence(void)
{
	struct soak_slot	*sl;
	int			 s;

	if ((s = soak_pick(-1)) == -1)
		return;
	sl = &soak_slots[s];
	sl->away = !sl->away;
	soak_n.presence++;
	if (sl->away)
		conn_send(sl->c, "<presence><show>away</show><status>Soak "
		    "%lld</status></presence>", soak_n.presence);
	else
		conn_send(sl->c, "<presence/>");
}

static void
soak_room_jid(struct conn *c, char *buf, size_t len)
{
	int	 n;

	n = snprintf(buf, len, "%s%d@%s", soak.room, c->muc_room,
	    soak_service);
	if (n < 0 || (size_t)n >= len)
		errx(1, "room JID too long");
}

/*
 * A join (XEP-0045 7.2) with a little history; past the target of
 * occupants, each join comes with the leave (7.14) of another.
 */
static void
soak_join(void)
{
	char		 room[320];
	struct conn	*c;
	int		 s;

	if (soak_occupants >= soak.occupants &&
	    (s = soak_pick(1)) != -1) {
		c = soak_slots[s].c;
		soak_room_jid(c, room, sizeof(room));
		conn_send(c, "<presence to='%s/%s%04d' type='unavailable'/>",
		    room, opts.prefix, c->user);
		c->muc = MUC_OUT;
		soak_occupants--;
		soak_n.leaves++;
	}
	if (soak_occupants >= soak.occupants || (s = soak_pick(0)) == -1)
		return;
	c = soak_slots[s].c;
	c->muc = MUC_JOINING;
	c->muc_room = arc4random_uniform(soak.rooms);
	soak_occupants++;
	soak_room_jid(c, room, sizeof(room));
	conn_send(c, "<presence to='%s/%s%04d'><x xmlns='" SOAK_NS_MUC "'>"
	    "<history maxstanzas='5'/></x></presence>", room, opts.prefix,
	    c->user);
}

static void
soak_groupchat(void)
{
	char		 room[320];
	struct conn	*c;
	int		 s;

	if ((s = soak_pick(1)) == -1)
		return;
	c = soak_slots[s].c;
	soak_room_jid(c, room, sizeof(room));
	soak_n.gc_sent++;
	conn_send(c, "<message to='%s' type='groupchat' id='g%lld'><body>"
	    "Soak groupchat line %lld.</body></message>", room,
	    soak_n.gc_sent, soak_n.gc_sent);
}

/* Rates per second, spread over the steps; fractions carried over. */
static void
soak_churn(void)
{
	static void	(*const act[5])(void) = { soak_logout, soak_chat,
			    soak_presence, soak_join, soak_groupchat };
	const int	 rate[5] = { soak.logouts, soak.messages,
			    soak.presences, soak.joins, soak.groupchat };
	int		 i;

	for (i = 0; i < 5; i++) {
		soak_acc[i] += rate[i] * SOAK_STEP_MS / 1000.0;
		while (soak_acc[i] >= 1) {
			soak_acc[i] -= 1;
			act[i]();
		}
	}
}

static void
soak_print(const char *what, double now)
{
	double	 p50, p99;
	int	 i;

	load_sort(soak_lat, soak_nlat);
	p50 = load_pct(soak_lat, soak_nlat, 0.5);
	p99 = load_pct(soak_lat, soak_nlat, 0.99);
	printf("%s mode=soak t=%.0f online=%d inflight=%d occupants=%d "
	    "logins=%lld login_ms_med=%.1f login_ms_p99=%.1f logouts=%lld "
	    "login_failed=%lld failed=%lld sent=%lld received=%lld "
	    "offline=%lld presence=%lld joins=%lld join_failed=%lld "
	    "leaves=%lld gc_sent=%lld gc_received=%lld gc_history=%lld "
	    "cpu=%.3f", what, soak_phase == 0 ? 0 : now - soak_t0,
	    soak_online, soak_inflight, soak_occupants, soak_n.logins, p50,
	    p99, soak_n.logouts, soak_n.login_failed, soak_n.failed,
	    soak_n.sent, soak_n.received, soak_n.offline, soak_n.presence,
	    soak_n.joins, soak_n.join_failed, soak_n.leaves, soak_n.gc_sent,
	    soak_n.gc_received, soak_n.gc_history, load_cpu());
	for (i = 0; i < SOAK_WHYS && soak_whys[i].n > 0; i++)
		printf(" why%d=\"%s\":%lld", i, soak_whys[i].why,
		    soak_whys[i].n);
	printf("\n");
	fflush(stdout);
	soak_nlat = 0;
}

static void
soak_step(int fd, short ev, void *arg)
{
	double	 now = load_now();

	(void)fd;
	(void)ev;
	(void)arg;
	if (soak_phase == 0 && soak_online == soak.sessions) {
		soak_print("ready", now);
		memset(&soak_n, 0, sizeof(soak_n));
		memset(soak_whys, 0, sizeof(soak_whys));
		soak_phase = 1;
		soak_t0 = soak_tlast = now;
	}
	if (soak_phase == 1) {
		soak_churn();
		if (now - soak_tlast >= soak.interval) {
			soak_tlast = now;
			soak_print("stats", now);
		}
		if (now - soak_t0 >= soak.seconds) {
			soak_phase = 2;
			event_base_loopexit(base, NULL);
			return;
		}
	}
	soak_logins(now);
}

/* A self-presence: the join done, or a new room to make instant. */
static void
soak_muc_presence(struct conn *c)
{
	char	 room[320];

	if (c->muc != MUC_JOINING)
		return;
	if (strcmp(c->el_type, "error") == 0) {
		soak_n.join_failed++;
		soak_count_why(c->el_cond[0] != '\0' ? c->el_cond :
		    "join refused");
		c->muc = MUC_OUT;
		soak_occupants--;
		return;
	}
	if ((c->el_flags & EF_STATUS110) == 0 || c->el_type[0] != '\0')
		return;
	if (c->el_flags & EF_STATUS201) {
		c->muc = MUC_CONFIGURING;
		soak_room_jid(c, room, sizeof(room));
		conn_send(c, "<iq type='set' to='%s' id='soak-config'>"
		    "<query xmlns='" SOAK_NS_MUC "#owner'><x xmlns='jabber:"
		    "x:data' type='submit'/></query></iq>", room);
		return;
	}
	c->muc = MUC_IN;
	soak_n.joins++;
}

void
soak_stanza(struct conn *c)
{
	if (c->el == EL_PRESENCE) {
		soak_muc_presence(c);
		return;
	}
	if (c->el != EL_IQ || c->muc != MUC_CONFIGURING ||
	    strcmp(c->el_id, "soak-config") != 0)
		return;
	if (strcmp(c->el_type, "result") == 0) {
		c->muc = MUC_IN;
		soak_n.joins++;
		return;
	}
	soak_n.join_failed++;
	soak_count_why("instant room refused");
	c->muc = MUC_OUT;
	soak_occupants--;
}

void
soak_message(struct conn *c)
{
	if ((c->el_flags & EF_BODY) == 0)
		return;
	if (strcmp(c->el_type, "groupchat") == 0) {
		if (c->muc == MUC_OUT)
			return;
		if (c->el_flags & EF_DELAY)
			soak_n.gc_history++;
		else
			soak_n.gc_received++;
		return;
	}
	if (c->el_flags & EF_DELAY)
		soak_n.offline++;
	else
		soak_n.received++;
}

int
soak_setup(int conc)
{
	int	 n;

	if (soak.sessions < 2)
		errx(1, "a soak needs two sessions or more");
	if (soak.service != NULL)
		n = snprintf(soak_service, sizeof(soak_service), "%s",
		    soak.service);
	else
		n = snprintf(soak_service, sizeof(soak_service),
		    "conference.%s", opts.domain);
	if (n < 0 || (size_t)n >= sizeof(soak_service))
		errx(1, "MUC service name too long");
	if (soak.rooms < 1)
		errx(1, "a soak needs a room or more");
	soak_conc = conc;
	if ((soak_slots = calloc(soak.sessions, sizeof(*soak_slots))) ==
	    NULL || (soak_queue = calloc(soak.sessions,
	    sizeof(*soak_queue))) == NULL ||
	    (soak_lat = calloc(SOAK_LATMAX, sizeof(*soak_lat))) == NULL)
		err(1, NULL);
	return (soak.sessions);
}

/* Log every session in, soak, then log them all out. */
void
soak_run(void)
{
	struct timeval	 step = { 0, SOAK_STEP_MS * 1000 };
	int		 s;

	soak_nextid = soak.sessions;
	for (s = 0; s < soak.sessions; s++)
		soak_enqueue(s, 0);
	event_assign(&soak_ev, base, -1, EV_PERSIST, soak_step, NULL);
	event_add(&soak_ev, &step);
	soak_logins(load_now());
	event_base_dispatch(base);
	soak_print("result", load_now());
	event_del(&soak_ev);
	for (s = 0; s < soak.sessions; s++)
		if (soak_slots[s].c != NULL) {
			conn_close(soak_slots[s].c);
			soak_slots[s].c = NULL;
		}
}
