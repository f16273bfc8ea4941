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
 * xmppload: the scenarios of the benchmark (idle connections, logins,
 * messages between pairs, messages echoed by an external component,
 * logins with a roster, group chat in xmppmuc.c, and the soak in
 * xmppsoak.c), each bounded in
 * count and time, printing one line of key=value figures per phase, its
 * own CPU time included so that it can be shown not to be the
 * bottleneck.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <err.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmppload.h"

enum mode { M_IDLE, M_LOGINS, M_MESSAGES, M_COMPONENT, M_ROSTER, M_MUC,
    M_MUCJOIN, M_SOAK };

struct load_opts	 opts = {
	.host = "127.0.0.1",
	.port = 5222,
	.domain = "bench.example",
	.prefix = "user",
	.password = "pw",
	.mech = MECH_SCRAM_SHA1,
	.presence = 1,
};
struct event_base	*base;
int			 load_sync;	/* -s: wait for stdin lines */

static enum mode	 mode = M_LOGINS;
static int		 count = -1;	/* -n */
static const char	*mode_name = "logins";
static int		 total;		/* connections to log in */
static int		 conc = 100;	/* at a time */
static int		 first;		/* first user number */
static int		 nusers;	/* users to cycle through */
static int		 maxerrors = 10;
static long long	 nmessages;
static int		 npairs;	/* -p: pairs, or MUC senders */
static int		 window;
static int		 occupants;	/* -j */
static const char	*muc_service;	/* -M */
static const char	*muc_room;	/* -R */
static const char	*component;	/* -C: the echo component's name */
static int		 timelimit = 120;

static int		 started, finished, failed, active;
static struct conn	**conns;
static struct pair	*pairs;
static long long	 quota, received;
static double		*lat;
static int		 nlat;
static long long	 roster_items;
static struct timespec	 t0, deadline;
static struct event	 tick;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: xmppload [-s] [-a plain|scram-sha-1|"
	    "scram-sha-256] [-C component]\n"
	    "\t[-c concurrent] [-D domain -Q port] [-d domain] [-E maxerrors] [-H path] "
	    "[-h host]\n\t[-j occupants]\n"
	    "\t[-M service] [-m idle|logins|messages|component|roster|muc|"
	    "mucjoin|soak]\n"
	    "\t[-e messages/s] [-g groupchat/s] [-i interval] [-J joins/s] "
	    "[-k rooms]\n\t[-L logouts/s] [-x presences/s]\n"
	    "\t[-n count] [-o first]\n"
	    "\t[-P port] [-p pairs|senders] [-R room] [-S servername] "
	    "[-t seconds]\n"
	    "\t[-U prefix] [-u users] [-W window] [-w password]\n");
	exit(1);
}

double
load_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static double
since(const struct timespec *t)
{
	return (load_now() - (t->tv_sec + t->tv_nsec / 1e9));
}

double
load_cpu(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

/* Each phase has -t seconds. */
void
load_phase_start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &t0);
	deadline = t0;
	deadline.tv_sec += timelimit;
}

static void
tick_cb(int fd, short ev, void *arg)
{
	struct timespec	 ts;

	(void)fd;
	(void)ev;
	(void)arg;
	if (mode == M_SOAK)
		return;		/* -t is the soak's length: it keeps time */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec < deadline.tv_sec) {
		if (mode == M_MUC || mode == M_MUCJOIN)
			muc_tick();
		return;
	}
	printf("timeout mode=%s logged_in=%d failed=%d active=%d "
	    "received=%lld\n", mode_name, finished, failed, active, received);
	fflush(stdout);
	exit(2);
}

static void
start_next(void)
{
	struct conn	*c;
	int		 k;

	while (active < conc && started < total) {
		k = started++;
		active++;
		/* -D: each pair's receiver on the other server. */
		if ((c = conn_start(first + k % nusers, k, opts.rdomain !=
		    NULL && mode == M_MESSAGES && k % 2 == 1)) == NULL)
			continue;
		if (conns != NULL)
			conns[k] = c;
		if (pairs != NULL && mode == M_COMPONENT) {
			/* Each user its own pair: the component answers. */
			c->pair = &pairs[k];
			pairs[k].sender = pairs[k].receiver = c;
		} else if (pairs != NULL) {
			c->pair = &pairs[k / 2];
			if (k % 2 == 0)
				pairs[k / 2].sender = c;
			else
				pairs[k / 2].receiver = c;
		}
	}
}

static void
login_done(void)
{
	if (finished + failed < total) {
		start_next();
		return;
	}
	event_base_loopexit(base, NULL);
}

void
load_ready(struct conn *c)
{
	if (mode == M_SOAK) {
		soak_ready(c);
		return;
	}
	active--;
	finished++;
	if (nlat < total)
		lat[nlat++] = since(&c->t_start) * 1000;
	roster_items += c->roster_items;
	if (mode == M_LOGINS)
		conn_close(c);
	login_done();
}

/* The driver reads one "fail" line with the reason, and the run ends. */
void
load_fail(const char *fmt, ...)
{
	va_list	 ap;

	printf("fail mode=%s why=", mode_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

void
load_failed(struct conn *c, const char *why)
{
	if (mode == M_SOAK) {
		soak_failed(c, why);
		return;
	}
	if (mode == M_MESSAGES && finished == total)
		errx(1, "%s%04d: %s during the scenario", opts.prefix,
		    c->user, why);
	if (mode == M_COMPONENT && finished == total)
		load_fail("%s%04d: %s", opts.prefix, c->user, why);
	if ((mode == M_MUC || mode == M_MUCJOIN) && finished == total)
		load_fail("%s%04d: %s", opts.prefix, c->user, why);
	if (conns != NULL && c->id < total)
		conns[c->id] = NULL;
	if (++failed <= 5)
		warnx("%s%04d: %s", opts.prefix, c->user, why);
	if (failed > maxerrors)
		errx(1, "more than %d failures", maxerrors);
	active--;
	login_done();
}

static void
message_send(struct pair *p)
{
	struct conn	*r = p->receiver;

	p->sent++;
	if (mode == M_COMPONENT) {
		conn_send(p->sender, "<message to='%s%04d@%s' type='chat' "
		    "id='m%lld'><body>Benchmark message %lld, about as long "
		    "as a short chat line.</body></message>", opts.prefix,
		    r->user, component, p->sent, p->sent);
		return;
	}
	conn_send(p->sender, "<message to='%s%04d@%s/r%d' type='chat' "
	    "id='m%lld'><body>Benchmark message %lld, about as long as "
	    "a short chat line.</body></message>", opts.prefix, r->user,
	    r->domain, r->id, p->sent, p->sent);
}

/* An echo comes from the JID it was sent to, at the component. */
static int
from_component(struct conn *c)
{
	const char	*at = strchr(c->el_from, '@');

	return (at != NULL && strcmp(at + 1, component) == 0);
}

void
load_message(struct conn *c)
{
	struct pair	*p = c->pair;

	if (mode == M_SOAK) {
		soak_message(c);
		return;
	}
	if (mode == M_MUC || mode == M_MUCJOIN) {
		muc_message(c);
		return;
	}
	if (p == NULL || c != p->receiver)
		return;
	if (mode == M_COMPONENT && !from_component(c))
		load_fail("%s%04d: a message from %s, not from the component",
		    opts.prefix, c->user, c->el_from);
	p->received++;
	received++;
	if (p->sent < quota)
		message_send(p);
	if (received >= quota * npairs)
		event_base_loopexit(base, NULL);
}

/* Presences and iq answers: only the group chat scenarios want them. */
void
load_stanza(struct conn *c)
{
	if (mode == M_MUC || mode == M_MUCJOIN)
		muc_stanza(c);
	else if (mode == M_SOAK)
		soak_stanza(c);
}

static int
dblcmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

void
load_sort(double *v, int n)
{
	qsort(v, n, sizeof(v[0]), dblcmp);
}

/* The q quantile of n sorted values. */
double
load_pct(const double *v, int n, double q)
{
	if (n == 0)
		return (0);
	return (v[(int)(q * (n - 1) + 0.5)]);
}

static double
pct(double q)
{
	return (load_pct(lat, nlat, q));
}

static void
alarm_cb(int sig)
{
	static const char	 msg[] = "timeout waiting for a line\n";

	(void)sig;
	(void)write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(2);
}

/* The driver's go-ahead: a line, end of file, or the time limit. */
void
load_wait_line(void)
{
	char	 line[64];

	signal(SIGALRM, alarm_cb);
	alarm(timelimit);
	(void)fgets(line, sizeof(line), stdin);
	alarm(0);
}

static void
close_all(void)
{
	int	 i;

	for (i = 0; i < total; i++)
		if (conns[i] != NULL) {
			conn_close(conns[i]);
			conns[i] = NULL;
		}
}

static void
print_logins(const char *what, double elapsed, double cpu0)
{
	load_sort(lat, nlat);
	printf("%s mode=%s n=%d failed=%d elapsed=%.3f rate=%.1f "
	    "lat_ms_med=%.1f lat_ms_p90=%.1f lat_ms_p99=%.1f cpu=%.3f",
	    what, mode_name, finished, failed, elapsed,
	    elapsed > 0 ? finished / elapsed : 0, pct(0.5), pct(0.9),
	    pct(0.99), load_cpu() - cpu0);
	if (mode == M_ROSTER)
		printf(" roster_items=%.1f", finished ?
		    (double)roster_items / finished : 0);
	printf("\n");
	fflush(stdout);
}

static void
run_messages(void)
{
	double	 cpu0, elapsed;
	int	 i, j;

	if (load_sync)
		load_wait_line();
	cpu0 = load_cpu();
	load_phase_start();
	for (i = 0; i < npairs; i++) {
		if (pairs[i].sender == NULL || pairs[i].receiver == NULL)
			errx(1, "pair %d did not log in", i);
		for (j = 0; j < window && pairs[i].sent < quota; j++)
			message_send(&pairs[i]);
	}
	event_base_dispatch(base);
	elapsed = since(&t0);
	printf("result mode=%s n=%lld pairs=%d window=%d "
	    "elapsed=%.6f rate=%.1f cpu=%.3f\n", mode_name, received, npairs,
	    window,
	    elapsed, received / elapsed, load_cpu() - cpu0);
	fflush(stdout);
	if (load_sync)
		load_wait_line();
}

static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)total + 64)
		errx(1, "%d connections need more descriptors than %llu",
		    total, (unsigned long long)rl.rlim_cur);
}

static int
number(const char *s, int min, int max, const char *what)
{
	const char	*e;
	int		 n;

	n = strtonum(s, min, max, &e);
	if (e != NULL)
		errx(1, "%s %s: %s", what, s, e);
	return (n);
}

static void
parse_args(int argc, char *argv[])
{
	int	 ch;

	while ((ch = getopt(argc, argv,
	    "a:C:c:D:d:E:e:g:H:h:i:J:j:k:L:M:m:n:o:P:p:Q:R:S:st:U:u:W:w:x:"))
	    != -1) {
		switch (ch) {
		case 'a':
			if (strcasecmp(optarg, "plain") == 0)
				opts.mech = MECH_PLAIN;
			else if (strcasecmp(optarg, "scram-sha-1") == 0)
				opts.mech = MECH_SCRAM_SHA1;
			else if (strcasecmp(optarg, "scram-sha-256") == 0)
				opts.mech = MECH_SCRAM_SHA256;
			else
				usage();
			break;
		case 'C':
			component = optarg;
			break;
		case 'c':
			conc = number(optarg, 1, 100000, "concurrency");
			break;
		case 'D':
			opts.rdomain = optarg;
			break;
		case 'd':
			opts.domain = optarg;
			break;
		case 'E':
			maxerrors = number(optarg, 0, 1000000, "errors");
			break;
		case 'e':
			soak.messages = number(optarg, 0, 100000, "messages");
			break;
		case 'g':
			soak.groupchat = number(optarg, 0, 100000, "groupchat");
			break;
		case 'H':
			opts.websocket = optarg;
			break;
		case 'h':
			opts.host = optarg;
			break;
		case 'i':
			soak.interval = number(optarg, 1, 86400, "interval");
			break;
		case 'J':
			soak.joins = number(optarg, 0, 100000, "joins");
			break;
		case 'j':
			occupants = number(optarg, 1, 100000, "occupants");
			break;
		case 'k':
			soak.rooms = number(optarg, 1, 100000, "rooms");
			break;
		case 'L':
			soak.logouts = number(optarg, 0, 100000, "logouts");
			break;
		case 'M':
			muc_service = optarg;
			break;
		case 'm':
			mode_name = optarg;
			if (strcmp(optarg, "idle") == 0)
				mode = M_IDLE;
			else if (strcmp(optarg, "logins") == 0)
				mode = M_LOGINS;
			else if (strcmp(optarg, "messages") == 0)
				mode = M_MESSAGES;
			else if (strcmp(optarg, "component") == 0)
				mode = M_COMPONENT;
			else if (strcmp(optarg, "roster") == 0)
				mode = M_ROSTER;
			else if (strcmp(optarg, "muc") == 0)
				mode = M_MUC;
			else if (strcmp(optarg, "mucjoin") == 0)
				mode = M_MUCJOIN;
			else if (strcmp(optarg, "soak") == 0)
				mode = M_SOAK;
			else
				usage();
			break;
		case 'n':
			count = number(optarg, 1, 100000000, "count");
			break;
		case 'o':
			first = number(optarg, 0, 9999999, "first user");
			break;
		case 'P':
			opts.port = number(optarg, 1, 65535, "port");
			break;
		case 'p':
			npairs = number(optarg, 1, 50000, "pairs");
			break;
		case 'Q':
			opts.rport = number(optarg, 1, 65535, "port");
			break;
		case 'R':
			muc_room = optarg;
			break;
		case 'S':
			opts.servername = optarg;
			break;
		case 's':
			load_sync = 1;
			break;
		case 't':
			timelimit = number(optarg, 1, 86400, "time limit");
			break;
		case 'U':
			opts.prefix = optarg;
			break;
		case 'u':
			nusers = number(optarg, 1, 10000000, "users");
			break;
		case 'W':
			window = number(optarg, 1, 100000, "window");
			break;
		case 'w':
			opts.password = optarg;
			break;
		case 'x':
			soak.presences = number(optarg, 0, 100000, "presences");
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((opts.rdomain != NULL) != (opts.rport != 0) ||
	    (opts.rdomain != NULL && mode != M_MESSAGES))
		errx(1, "-D and -Q go together, with -m messages");
}

int
main(int argc, char *argv[])
{
	struct timeval	 one = { 1, 0 };
	double		 cpu0, elapsed;

	parse_args(argc, argv);
	if (opts.servername == NULL)
		opts.servername = opts.domain;
	switch (mode) {
	case M_MUC:
	case M_MUCJOIN:
		total = muc_setup(mode == M_MUCJOIN, muc_service, muc_room,
		    occupants, npairs, window, count);
		if (nusers == 0)
			nusers = total;
		break;
	case M_MESSAGES:
	case M_COMPONENT:
		if (mode == M_COMPONENT && component == NULL)
			errx(1, "-m component needs the component's name (-C)");
		if (npairs == 0)
			npairs = 100;
		if (window == 0)
			window = 10;
		/* Pairs of users, or users each answered by the component. */
		total = mode == M_COMPONENT ? npairs : 2 * npairs;
		nusers = total;
		nmessages = count > 0 ? count : 100000;
		quota = (nmessages + npairs - 1) / npairs;
		if ((pairs = calloc(npairs, sizeof(*pairs))) == NULL)
			err(1, NULL);
		break;
	case M_SOAK:
		soak.sessions = count > 0 ? count : soak.sessions;
		soak.seconds = timelimit;
		/* By default a tenth of them in rooms. */
		soak.occupants = occupants > 0 ? occupants :
		    soak.sessions / 10;
		soak.service = muc_service;
		if (muc_room != NULL)
			soak.room = muc_room;
		total = nusers = soak_setup(conc);
		break;
	case M_ROSTER:
		opts.roster = 1;
		/* FALLTHROUGH */
	default:
		total = count > 0 ? count : 1000;
		if (nusers == 0)
			nusers = total;
		break;
	}
	if (mode != M_LOGINS && nusers < total)
		errx(1, "%d connections held need as many users", total);
	if (mode != M_LOGINS && (conns = calloc(total, sizeof(*conns))) ==
	    NULL)
		err(1, NULL);
	if ((lat = calloc(total, sizeof(*lat))) == NULL)
		err(1, NULL);
	opts.first = first;
	opts.nusers = nusers;
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);

	if ((base = event_base_new()) == NULL)
		errx(1, "event_base_new");
	conn_init();
	event_assign(&tick, base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(&tick, &one);

	if (mode == M_SOAK) {
		soak_run();
		printf("cpu total=%.3f\n", load_cpu());
		return (0);
	}
	cpu0 = load_cpu();
	load_phase_start();
	start_next();
	event_base_dispatch(base);
	elapsed = since(&t0);

	switch (mode) {
	case M_LOGINS:
		print_logins("result", elapsed, cpu0);
		break;
	case M_ROSTER:
		print_logins("result", elapsed, cpu0);
		close_all();
		break;
	case M_IDLE:
		print_logins("ready", elapsed, cpu0);
		load_wait_line();
		close_all();
		break;
	case M_MESSAGES:
	case M_COMPONENT:
		print_logins("ready", elapsed, cpu0);
		if (failed == 0)
			run_messages();
		close_all();
		break;
	case M_MUC:
	case M_MUCJOIN:
		print_logins("logged", elapsed, cpu0);
		if (failed > 0)
			load_fail("%d of %d logins failed", failed, total);
		muc_run(conns);
		close_all();
		break;
	case M_SOAK:
		break;
	}
	printf("cpu total=%.3f\n", load_cpu());
	return (failed > 0 ? 1 : 0);
}
