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
 * The control process: serves xmppctl(8) on the control socket the parent
 * opened, lets only root in, and relays each request to the process that
 * can answer it.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"
#include "xmppd.h"

#define CONTROL_MAXCONN		32

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	uint32_t		 id;
	struct imsgev		 iev;
	int			 waiting;	/* answers to a request awaited */
	int			 pie;		/* an import was begun */
};
TAILQ_HEAD(ctl_conns, ctl_conn);

static struct ctl_conns	 ctl_conns = TAILQ_HEAD_INITIALIZER(ctl_conns);
static struct event	 ctl_ev, ctl_pause_ev;
static uint32_t		 ctl_next_id = 1;
static int		 ctl_nconn;

static void	control_accept(int, short, void *);
static void	control_client(int, short, void *);
static int	control_dispatch(struct imsgev *, struct imsg *);

static struct ctl_conn *
control_find(uint32_t id)
{
	struct ctl_conn	*cc;

	TAILQ_FOREACH(cc, &ctl_conns, entry)
		if (cc->id == id)
			return (cc);
	return (NULL);
}

static void
control_close(struct ctl_conn *cc)
{
	struct imsgev	*store;
	int		 giveup = 1;

	/* An import cut short: the store drops what it set aside. */
	if (cc->pie && (store = proc_peer(PROC_STORE, 0)) != NULL)
		imsgev_compose(store, IMSG_CTL_PIE_FLUSH, cc->id, 0, -1,
		    &giveup, sizeof(giveup));
	TAILQ_REMOVE(&ctl_conns, cc, entry);
	imsgev_clear(&cc->iev);
	free(cc);
	ctl_nconn--;
	/* Accepting may have been paused for want of descriptors. */
	if (!event_pending(&ctl_ev, EV_READ, NULL)) {
		evtimer_del(&ctl_pause_ev);
		event_add(&ctl_ev, NULL);
	}
}

static void
control_resume(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	event_add(&ctl_ev, NULL);
}

static void
control_accept(int fd, short event, void *arg)
{
	struct timeval	 tv = { 1, 0 };
	struct ctl_conn	*cc;
	uid_t		 uid;
	gid_t		 gid;
	int		 s;

	(void)event;
	(void)arg;
	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			event_del(&ctl_ev);
			evtimer_add(&ctl_pause_ev, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("%s: accept", __func__);
		return;
	}
	if (getpeereid(s, &uid, &gid) == -1 || uid != 0) {
		log_warnx("control connection refused: uid %ld is not root",
		    (long)uid);
		close(s);
		return;
	}
	if (ctl_nconn >= CONTROL_MAXCONN) {
		log_warnx("control connection refused: too many");
		close(s);
		return;
	}
	if ((cc = calloc(1, sizeof(*cc))) == NULL) {
		log_warn("%s", __func__);
		close(s);
		return;
	}
	cc->id = ctl_next_id++;
	if (ctl_next_id == 0)
		ctl_next_id = 1;
	imsgev_init(&cc->iev, s, PROC_CONTROL, 0, control_client, cc);
	imsgbuf_set_maxsize(&cc->iev.ibuf, MSG_MAXSIZE_CTL);
	TAILQ_INSERT_TAIL(&ctl_conns, cc, entry);
	ctl_nconn++;
}

static void
control_fail(struct ctl_conn *cc, const char *why)
{
	imsgev_compose(&cc->iev, IMSG_CTL_FAIL, 0, 0, -1, why,
	    strlen(why) + 1);
}

/* Which process answers a request. */
static struct imsgev *
control_target(uint32_t type)
{
	switch (type) {
	case IMSG_CTL_SHOW_PROCESSES:
	case IMSG_CTL_ABOUT:
	case IMSG_CTL_CHECK:
	case IMSG_CTL_RELOAD:
	case IMSG_CTL_VERBOSE:
#ifdef REGRESS
	case IMSG_CTL_REGRESS_VIOLATE:
#endif
		return (&proc_self.parent);
	case IMSG_CTL_SHOW_SESSIONS:
	case IMSG_CTL_SHOW_STATS:
	case IMSG_CTL_KICK:
	case IMSG_CTL_MUC_ROOMS:	/* the router asks mucd */
	case IMSG_CTL_MUC_IMPORT:
	case IMSG_CTL_UPLOAD_STATS:	/* and uploadd */
	case IMSG_CTL_UPLOAD_PURGE:
	case IMSG_CTL_SHOW_COMPONENTS:
	case IMSG_CTL_SHOW_STREAMS:
	case IMSG_CTL_RESOLVE:		/* the router asks the resolver */
	case IMSG_CTL_ANNOUNCE:
		return (proc_peer(PROC_ROUTER, 0));
	case IMSG_CTL_USER_ADD:
	case IMSG_CTL_USER_DELETE:
	case IMSG_CTL_USER_PASSWORD:
	case IMSG_CTL_USER_LIST:
	case IMSG_CTL_USER_DISABLE:
	case IMSG_CTL_USER_ENABLE:
	case IMSG_CTL_USER_INFO:
	case IMSG_CTL_ARCHIVE_EXPIRE:
	case IMSG_CTL_SHOW_ARCHIVE:
	case IMSG_CTL_PIE_USER:
	case IMSG_CTL_PIE_REC:
	case IMSG_CTL_PIE_COMMIT:
	case IMSG_CTL_PIE_EXPORT:
	case IMSG_CTL_PIE_FLUSH:
		return (proc_peer(PROC_STORE, 0));
	case IMSG_CTL_SHOW_LDAP:
		return (proc_peer(PROC_LDAPAUTHD, 0));
	case IMSG_CTL_DNS:
		return (proc_peer(PROC_RESOLVER, 0));
	}
	return (NULL);
}

/*
 * A request every process holding throttles answers (the store, and
 * ldapauthd when it runs): how many were asked.
 */
static int
control_throttles(struct ctl_conn *cc, struct imsg *imsg)
{
	static const int	 types[] = { PROC_STORE, PROC_LDAPAUTHD };
	struct imsgev		*target;
	size_t			 i;
	int			 n = 0;

	for (i = 0; i < nitems(types); i++)
		if ((target = proc_peer(types[i], 0)) != NULL) {
			imsgev_forward(target, imsg, cc->id);
			n++;
		}
	return (n);
}

static void
control_client(int fd, short event, void *arg)
{
	struct ctl_conn	*cc = arg;
	struct imsgev	*target;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	if (imsgev_io(&cc->iev, event) <= 0) {
		control_close(cc);
		return;
	}
	for (;;) {
		if ((n = imsg_get(&cc->iev.ibuf, &imsg)) == -1) {
			control_close(cc);
			return;
		}
		if (n == 0)
			break;
		if (imsg_get_id(&imsg) != MSG_VERSION)
			control_fail(cc, "xmppctl and xmppd versions differ");
		else if (cc->waiting)
			control_fail(cc, "one request at a time");
		else if (imsg_get_type(&imsg) == IMSG_CTL_SHOW_THROTTLED ||
		    imsg_get_type(&imsg) == IMSG_CTL_UNTHROTTLE) {
			if ((cc->waiting = control_throttles(cc, &imsg)) == 0)
				control_fail(cc, "no process holding throttles "
				    "is running");
		} else if ((target = control_target(imsg_get_type(&imsg))) ==
		    NULL)
			control_fail(cc, "unknown request, or its process "
			    "is not running");
		else {
			if (imsg_get_type(&imsg) == IMSG_CTL_PIE_USER)
				cc->pie = 1;
			/* An import's records are answered at its commit. */
			if (imsg_get_type(&imsg) != IMSG_CTL_PIE_USER &&
			    imsg_get_type(&imsg) != IMSG_CTL_PIE_REC)
				cc->waiting = 1;
			imsgev_forward(target, &imsg, cc->id);
		}
		imsg_free(&imsg);
	}
	imsgev_add(&cc->iev);
}

/* Answers from the parent or another process, relayed to the client. */
static int
control_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_conn	*cc;
	uint32_t	 type = imsg_get_type(imsg);

	(void)iev;
	switch (type) {
	case IMSG_CTL_OK:
	case IMSG_CTL_FAIL:
	case IMSG_CTL_END:
	case IMSG_CTL_CONF_ERROR:
	case IMSG_CTL_PROCESS:
	case IMSG_CTL_ABOUT_INFO:
	case IMSG_CTL_SESSION:
	case IMSG_CTL_USER:
	case IMSG_CTL_USER_STATE:
	case IMSG_CTL_LDAP:
	case IMSG_CTL_STATS:
	case IMSG_CTL_ARCHIVE_EXPIRED:
	case IMSG_CTL_ARCHIVE_SIZE:
	case IMSG_CTL_MUC_ROOM:
	case IMSG_CTL_MUC_IMPORTED:
	case IMSG_CTL_UPLOAD_STAT:
	case IMSG_CTL_UPLOAD_USER:
	case IMSG_CTL_UPLOAD_PURGED:
	case IMSG_CTL_COMPONENT:
	case IMSG_CTL_PIE_REC:
	case IMSG_CTL_PIE_NOTE:
	case IMSG_CTL_PIE_DONE:
	case IMSG_CTL_PIE_END:
	case IMSG_CTL_RESOLVE_CANDIDATE:
	case IMSG_CTL_STREAM:
	case IMSG_CTL_PIE_FLUSHED:
	case IMSG_CTL_ANNOUNCED:
	case IMSG_CTL_CHECK_FINDING:
	case IMSG_CTL_CHECK_DOMAIN:
	case IMSG_CTL_CHECK_LISTEN:
	case IMSG_CTL_DNS_ANSWER:
	case IMSG_CTL_THROTTLED:
		break;
	default:
		return (-1);
	}
	if ((cc = control_find(imsg_get_id(imsg))) == NULL)
		return (0);	/* the client left */
	/* One of several processes asked is done: wait for the others. */
	if (type == IMSG_CTL_END && cc->waiting > 1) {
		cc->waiting--;
		return (0);
	}
	imsgev_forward(&cc->iev, imsg, 0);
	if (type != IMSG_CTL_PROCESS && type != IMSG_CTL_SESSION &&
	    type != IMSG_CTL_CONF_ERROR &&
	    type != IMSG_CTL_USER && type != IMSG_CTL_LDAP &&
	    type != IMSG_CTL_STATS && type != IMSG_CTL_ARCHIVE_SIZE &&
	    type != IMSG_CTL_MUC_ROOM && type != IMSG_CTL_UPLOAD_STAT &&
	    type != IMSG_CTL_UPLOAD_USER && type != IMSG_CTL_COMPONENT &&
	    type != IMSG_CTL_PIE_REC && type != IMSG_CTL_PIE_NOTE &&
	    type != IMSG_CTL_RESOLVE_CANDIDATE && type != IMSG_CTL_STREAM &&
	    type != IMSG_CTL_CHECK_FINDING && type != IMSG_CTL_CHECK_DOMAIN &&
	    type != IMSG_CTL_CHECK_LISTEN && type != IMSG_CTL_THROTTLED)
		cc->waiting = 0;
	return (0);
}

void
control_main(int instance)
{
	struct proc_self	*ps = &proc_self;

	proc_child_init(PROC_CONTROL, instance);
	if (ps->control_fd == -1)
		fatalx("no control socket");
	/* unix: accepting on the control socket. */
	sandbox("stdio unix recvfd");

	ps->dispatch = control_dispatch;
	event_set(&ctl_ev, ps->control_fd, EV_READ | EV_PERSIST,
	    control_accept, NULL);
	event_add(&ctl_ev, NULL);
	evtimer_set(&ctl_pause_ev, control_resume, NULL);
	proc_child_run();
}
