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
 * The process table, fork+exec of children, a child's bootstrap and
 * privilege drop, and the imsg event plumbing all processes share.
 * Privileges are dropped here and nowhere else.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "proc.h"

#define MSG_MAXSIZE	(4 * 1024 * 1024)	/* 4 x the largest stanza size */

static void	proc_dispatch(int, short, void *);
static int	proc_handle(struct imsgev *);
static void	proc_drain(void);
static void	proc_add_peer(struct imsg *);
static int	proc_generic(struct imsgev *, struct imsg *);
static void	proc_privdrop(const struct proc_init *);
static void	proc_sig(int, short, void *);
static void	proc_announce(void);

#ifdef REGRESS
static int		 proc_regress_hold;
static struct event	 proc_regress_hold_ev;
#endif

struct proc_self	 proc_self;

static const struct proc_role proc_roles[] = {
	{ PROC_PARENT,	  "parent",    "parent",   NULL,	-1,		1 },
	{ PROC_STORE,	  "store",     "store",	   NULL,	CHROOT_DATADIR,	1 },
	{ PROC_ROUTER,	  "router",    "router",   NULL,	CHROOT_EMPTY,	1 },
	{ PROC_LDAPAUTHD, "ldapauthd", NULL,	   "ldapauthd",	CHROOT_EMPTY,	0 },
	{ PROC_MUCD,	  "mucd",      NULL,	   "mucd",	CHROOT_MUC,	0 },
	{ PROC_UPLOADD,	  "uploadd",   NULL,	   "uploadd",	CHROOT_UPLOAD,	0 },
	{ PROC_RESOLVER,  "resolver",  "resolver", NULL,	CHROOT_EMPTY,	0 },
	{ PROC_CONTROL,	  "control",   "control",  NULL,	CHROOT_EMPTY,	0 },
	{ PROC_STREAM,	  "stream",    "stream",   NULL,	CHROOT_EMPTY,	0 },
};

const struct proc_role *
proc_role(int type)
{
	if (type < 0 || type >= PROC_MAX)
		fatalx("%s: bad process type %d", __func__, type);
	return (&proc_roles[type]);
}

const struct proc_role *
proc_role_byname(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(proc_roles); i++)
		if (strcmp(proc_roles[i].name, name) == 0)
			return (&proc_roles[i]);
	return (NULL);
}

const char *
proc_name(int type)
{
	return (proc_role(type)->name);
}

/*
 * Fork and exec a child with its parent channel on PROC_PARENT_FD and
 * its log socket on PROC_LOG_FD.  Each child starts in a fresh address
 * space: nothing of the parent's memory (config, keys) is inherited.
 */
pid_t
proc_spawn(const struct proc_role *role, int instance, const char *path,
    int chan, int logfd, char **extra)
{
	char	*argv[8], inst[16];
	int	 argc = 0;
	pid_t	 pid;

	switch (pid = fork()) {
	case -1:
		log_warn("%s: fork", __func__);
		return (-1);
	case 0:
		break;
	default:
		return (pid);
	}

	/* Child: move the two descriptors into place. */
	if (chan == PROC_LOG_FD) {
		if ((chan = dup(chan)) == -1)
			_exit(1);
	}
	if (dup2(chan, PROC_PARENT_FD) == -1 || dup2(logfd, PROC_LOG_FD) == -1)
		_exit(1);
	closefrom(PROC_LOG_FD + 1);
	(void)snprintf(inst, sizeof(inst), "%d", instance);
	if (role->binary == NULL) {
		argv[argc++] = (char *)"xmppd";
		argv[argc++] = (char *)"-P";
		argv[argc++] = (char *)role->name;
		argv[argc++] = (char *)"-I";
		argv[argc++] = inst;
	} else
		argv[argc++] = (char *)role->binary;
	while (extra != NULL && *extra != NULL && argc < (int)nitems(argv) - 1)
		argv[argc++] = *extra++;
	argv[argc] = NULL;
	execv(path, argv);
	/* Said through the log channel, as the child would have. */
	log_setfd(PROC_LOG_FD);
	log_warn("cannot execute %s", path);
	_exit(127);
}

/*
 * Read one message from a blocking channel.  Used only while a child
 * boots, before it has an event loop.
 */
int
imsg_blocking_get(struct imsgbuf *ibuf, struct imsg *imsg)
{
	ssize_t	 n;

	for (;;) {
		if ((n = imsg_get(ibuf, imsg)) == -1)
			return (-1);
		if (n > 0)
			return (0);
		switch (imsgbuf_read(ibuf)) {
		case -1:
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return (-1);
		case 0:
			errno = EPIPE;
			return (-1);
		}
	}
}

/*
 * A child's first steps: receive who it is, its peers and its
 * configuration from the parent, then chroot and drop privileges.  The
 * caller opens what it needs from its new root, calls sandbox() and then
 * proc_child_run().
 */
void
proc_child_init(int type, int instance)
{
	struct proc_self	*ps = &proc_self;
	const struct proc_role	*role = proc_role(type);
	struct proc_init	 init;
	struct imsg		 imsg;
	int			 done = 0, have_init = 0, fd;

	if (fcntl(PROC_PARENT_FD, F_GETFD) == -1)
		errx(1, "%s is started by xmppd(8), not by hand", role->name);
	log_setfd(PROC_LOG_FD);
	log_procinit(role->name);
	/*
	 * A child logs only through the parent.  Its stdio go to /dev/null:
	 * with RLIMIT_FSIZE at 0, a write to a regular file would kill it.
	 */
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	ps->type = type;
	ps->instance = instance;
	ps->control_fd = -1;
#ifdef REGRESS
	/* Tests of what happens before the service is up hold one role. */
	proc_regress_hold = getenv("XMPPD_REGRESS_HOLD_READY") != NULL &&
	    strcmp(getenv("XMPPD_REGRESS_HOLD_READY"), role->name) == 0;
#endif
	ps->evbase = event_init();

	imsgbuf_init(&ps->parent.ibuf, PROC_PARENT_FD);
	imsgbuf_allow_fdpass(&ps->parent.ibuf);
	imsgbuf_set_maxsize(&ps->parent.ibuf, MSG_MAXSIZE);
	if ((ps->pending = config_new()) == NULL)
		fatal("%s", __func__);

	while (!done) {
		if (imsg_blocking_get(&ps->parent.ibuf, &imsg) == -1)
			fatal("%s: bootstrap", __func__);
		switch (imsg_get_type(&imsg)) {
		case IMSG_PROC_INIT:
			if (imsg_get_data(&imsg, &init, sizeof(init)) == -1 ||
			    init.type != type)
				fatalx("%s: bad init", __func__);
			have_init = 1;
			break;
		case IMSG_PROC_PEER:
			if (!have_init)
				fatalx("%s: peer before init", __func__);
			proc_add_peer(&imsg);
			break;
		case IMSG_CFG_DONE:
			done = 1;
			break;
		case IMSG_CFG_CONTROL:
			if (type != PROC_CONTROL || ps->control_fd != -1 ||
			    (ps->control_fd = imsg_get_fd(&imsg)) == -1)
				fatalx("%s: bad control socket", __func__);
			break;
		default:
			if (!have_init || config_recv(ps->pending, &imsg) != 1)
				fatalx("%s: unexpected imsg %u", __func__,
				    imsg_get_type(&imsg));
			break;
		}
		imsg_free(&imsg);
	}

	ps->ninstances = init.ninstances;
	ps->debug = init.debug;
	log_setverbose(init.verbose);
	ps->conf = ps->pending;
	ps->pending = NULL;
	if (ps->before_chroot != NULL)
		ps->before_chroot();
	proc_privdrop(&init);
	if (role->title != NULL)
		setproctitle("%s", role->title);
}

static void
proc_privdrop(const struct proc_init *init)
{
	gid_t	 gid = init->gid;

	if (init->uid == 0)
		fatalx("%s: refusing to run as root", __func__);
	if (chroot(init->chroot) == -1)
		fatal("%s: chroot %s", __func__, init->chroot);
	if (chdir("/") == -1)
		fatal("%s: chdir /", __func__);
	if (setgroups(1, &gid) == -1 ||
	    setresgid(init->gid, init->gid, init->gid) == -1 ||
	    setresuid(init->uid, init->uid, init->uid) == -1)
		fatal("%s: cannot drop privileges", __func__);
	if (setuid(0) != -1 || geteuid() == 0)
		fatalx("%s: privileges were not dropped", __func__);
}

/* Enter the event loop; never returns. */
void
proc_child_run(void)
{
	struct proc_self	*ps = &proc_self;
	static struct event	 ev_term, ev_int, ev_hup, ev_pipe;

	signal_set(&ev_term, SIGTERM, proc_sig, NULL);
	signal_set(&ev_int, SIGINT, proc_sig, NULL);
	signal_set(&ev_hup, SIGHUP, proc_sig, NULL);
	signal_set(&ev_pipe, SIGPIPE, proc_sig, NULL);
	signal_add(&ev_term, NULL);
	signal_add(&ev_int, NULL);
	signal_add(&ev_hup, NULL);
	signal_add(&ev_pipe, NULL);

	/*
	 * The channel keeps what the bootstrap read past its end (a peer
	 * link sent meanwhile, say): only the event is new.
	 */
	if (fcntl(PROC_PARENT_FD, F_SETFL, O_NONBLOCK) == -1)
		fatal("%s: fcntl", __func__);
	ps->parent.type = PROC_PARENT;
	ps->parent.handler = proc_dispatch;
	ps->parent.data = &ps->parent;
	ps->parent.events = EV_READ;
	event_set(&ps->parent.ev, PROC_PARENT_FD, EV_READ | EV_PERSIST,
	    proc_dispatch, &ps->parent);
	event_add(&ps->parent.ev, NULL);
	proc_handle(&ps->parent);
	proc_announce();
	event_dispatch();
	proc_drain();
	if (ps->shutdown != NULL)
		ps->shutdown();
	exit(0);
}

/*
 * The loop ended (SIGTERM): what peers sent already is handled, and
 * what this process queued for them is written, so that a clean stop
 * loses nothing a peer was told is done (the router answers a roster
 * change before the store has written it; the parent stops the store
 * last).
 */
static void
proc_drain(void)
{
	struct proc_self	*ps = &proc_self;
	struct imsgev		*iev;
	struct pollfd		 pfd;
	int			 t, i;

	for (t = 0; t < PROC_MAX; t++)
		for (i = 0; i < ps->npeers[t]; i++) {
			if ((iev = ps->peers[t][i]) == NULL)
				continue;
			pfd.fd = iev->ibuf.fd;
			pfd.events = POLLIN;
			while (poll(&pfd, 1, 0) > 0 &&
			    imsgbuf_read(&iev->ibuf) > 0)
				if (proc_handle(iev) == -1)
					break;
		}
	for (t = 0; t < PROC_MAX; t++)
		for (i = 0; i < ps->npeers[t]; i++)
			if ((iev = ps->peers[t][i]) != NULL)
				(void)imsgbuf_flush(&iev->ibuf);
}

void
proc_ready(void)
{
	imsgev_compose(&proc_self.parent, IMSG_PROC_READY, 0, 0, -1, NULL, 0);
}

#ifdef REGRESS
static void
proc_regress_release(int sig, short event, void *arg)
{
	(void)sig;
	(void)event;
	(void)arg;
	signal_del(&proc_regress_hold_ev);
	log_info("regress: ready released");
	proc_ready();
}
#endif

/* Tell the parent this process is ready: in regress builds, maybe later. */
static void
proc_announce(void)
{
#ifdef REGRESS
	if (proc_regress_hold) {
		signal_set(&proc_regress_hold_ev, SIGUSR1, proc_regress_release,
		    NULL);
		signal_add(&proc_regress_hold_ev, NULL);
		log_info("regress: ready held until SIGUSR1");
		return;
	}
#endif
	proc_ready();
}

static void
proc_sig(int sig, short event, void *arg)
{
	(void)event;
	(void)arg;
	switch (sig) {
	case SIGTERM:
		log_debug("terminating");
		event_loopexit(NULL);
		break;
	default:
		/* SIGINT and SIGHUP belong to the parent. */
		break;
	}
}

struct imsgev *
proc_peer(int type, int instance)
{
	struct proc_self	*ps = &proc_self;

	if (type < 0 || type >= PROC_MAX || instance < 0 ||
	    instance >= ps->npeers[type])
		return (NULL);
	return (ps->peers[type][instance]);
}

static void
proc_peer_close(struct imsgev *iev)
{
	struct proc_self	*ps = &proc_self;

	/*
	 * The parent, the router and the store stop only with the whole
	 * service, or close the link of a process that sent what they
	 * refuse: a process left without one of them starts anew.
	 */
	if (!proc_role(ps->type)->fatal && proc_role(iev->type)->fatal)
		fatalx("%s link closed", proc_name(iev->type));
	if (ps->peer_down != NULL)
		ps->peer_down(iev);
	imsgev_clear(iev);
	ps->peers[iev->type][iev->instance] = NULL;
	free(iev);
}

/* A new link to a peer, at boot or when the peer was restarted. */
static void
proc_add_peer(struct imsg *imsg)
{
	struct proc_self	*ps = &proc_self;
	struct proc_peer	 pp;
	struct imsgev		*iev, **p;
	int			 fd, n;

	if (imsg_get_data(imsg, &pp, sizeof(pp)) == -1 ||
	    pp.type <= PROC_PARENT || pp.type >= PROC_MAX ||
	    pp.instance < 0 || pp.instance >= 256 ||
	    (fd = imsg_get_fd(imsg)) == -1)
		fatalx("%s: bad peer", __func__);
	if (pp.instance >= ps->npeers[pp.type]) {
		n = pp.instance + 1;
		if ((p = recallocarray(ps->peers[pp.type], ps->npeers[pp.type],
		    n, sizeof(*p))) == NULL)
			fatal("%s", __func__);
		ps->peers[pp.type] = p;
		ps->npeers[pp.type] = n;
	}
	if ((iev = ps->peers[pp.type][pp.instance]) != NULL)
		proc_peer_close(iev);
	if ((iev = calloc(1, sizeof(*iev))) == NULL)
		fatal("%s", __func__);
	imsgev_init(iev, fd, pp.type, pp.instance, proc_dispatch, NULL);
	ps->peers[pp.type][pp.instance] = iev;
	log_debug("%s: %s %d linked", __func__, proc_name(pp.type),
	    pp.instance);
	if (ps->peer_up != NULL)
		ps->peer_up(iev);
}

static void
proc_regress_violate(void)
{
#ifdef REGRESS
	/* A system call no role may make: the sandbox must kill us. */
	log_warnx("regress: calling chroot(2) on purpose");
	(void)chroot("/");
	log_warnx("regress: still alive after a forbidden call");
	exit(2);
#else
	fatalx("%s: not a regress build", __func__);
#endif
}

/* Messages every child handles the same way; only the parent sends them. */
static int
proc_generic(struct imsgev *iev, struct imsg *imsg)
{
	struct proc_self	*ps = &proc_self;
	struct xmppd_config	*old;
	int			 v;

	if (iev != &ps->parent)
		return (0);
	switch (imsg_get_type(imsg)) {
	case IMSG_PROC_PEER:
		proc_add_peer(imsg);
		return (1);
	case IMSG_CTL_VERBOSE:
		if (imsg_get_data(imsg, &v, sizeof(v)) == -1)
			fatalx("%s: bad verbose", __func__);
		log_setverbose(v);
		return (1);
	case IMSG_CFG_DONE:
		if (ps->pending == NULL)
			fatalx("%s: empty configuration", __func__);
		imsgev_compose(iev, IMSG_CFG_DONE, 0, 0, -1, NULL, 0);
		return (1);
	case IMSG_CFG_COMMIT:
		if (ps->pending == NULL)
			fatalx("%s: nothing to commit", __func__);
		old = ps->conf;
		ps->conf = ps->pending;
		ps->pending = NULL;
		if (ps->config_commit != NULL)
			ps->config_commit(old, ps->conf);
		config_free(old);
		log_debug("configuration switched");
		return (1);
	case IMSG_CTL_REGRESS_VIOLATE:
		proc_regress_violate();
		return (1);
	case IMSG_PROC_ACCEPT:
		if (ps->accept == NULL)
			fatalx("%s: unexpected accept", __func__);
		ps->accept();
		return (1);
	}
	if (ps->pending == NULL && (ps->pending = config_new()) == NULL)
		fatal("%s", __func__);
	return (config_recv(ps->pending, imsg) == 1);
}

static void
proc_dispatch(int fd, short event, void *arg)
{
	struct proc_self	*ps = &proc_self;
	struct imsgev		*iev = arg;
	int			 n;

	(void)fd;
	if ((n = imsgev_io(iev, event)) <= 0) {
		if (iev == &ps->parent) {
			log_debug("parent gone, exiting");
			if (ps->shutdown != NULL)
				ps->shutdown();
			exit(0);
		}
		/*
		 * A peer that exits leaves its last messages and the end
		 * in one event (read and write: the write fails, the read
		 * came first).  What it sent before it went is handled.
		 */
		if (n == 0 && proc_handle(iev) == -1)
			return;
		proc_peer_close(iev);
		return;
	}
	(void)proc_handle(iev);
}

/*
 * A stream process faces the network, the resolver reads DNS answers,
 * and ldapauthd, mucd, uploadd and the control process serve them:
 * what one of them sends that a peer it answers to refuses is the sign
 * of a process gone wrong, not of a bug here.  The link to it closes
 * and it starts anew: a process that loses the router or the store
 * exits on its own (proc_peer_close); a stream refused by a helper
 * daemon is restarted by the parent, asked here.  Anything else
 * refused stops the receiver (fatal).
 */
static int
proc_refused(struct imsgev *iev, struct imsg *imsg)
{
	struct proc_peer	 pp;
	int			 mine = proc_role(proc_self.type)->fatal;

	if (iev->type != PROC_STREAM && (!mine || proc_role(iev->type)->fatal))
		fatalx("%s: unexpected imsg %u from %s", __func__,
		    imsg_get_type(imsg), proc_name(iev->type));
	log_warnx("unexpected imsg %u from %s %d: link closed",
	    imsg_get_type(imsg), proc_name(iev->type), iev->instance);
	imsg_free(imsg);
	if (iev->type == PROC_STREAM && !mine) {
		pp.type = iev->type;
		pp.instance = iev->instance;
		imsgev_compose(&proc_self.parent, IMSG_PROC_REFUSED, 0, 0, -1,
		    &pp, sizeof(pp));
	}
	proc_peer_close(iev);
	return (-1);
}

/* Handle every complete message the channel holds; -1: link closed. */
static int
proc_handle(struct imsgev *iev)
{
	struct proc_self	*ps = &proc_self;
	struct imsg		 imsg;
	ssize_t			 n;
	int			 batch = 0;

	for (;;) {
		if ((n = imsg_get(&iev->ibuf, &imsg)) == -1)
			fatal("%s: imsg_get", __func__);
		if (n == 0)
			break;
		if (!batch && ps->batch_begin != NULL) {
			ps->batch_begin();
			batch = 1;
		}
		if (!proc_generic(iev, &imsg) &&
		    (ps->dispatch == NULL || ps->dispatch(iev, &imsg) == -1)) {
			if (batch)
				ps->batch_end();
			return (proc_refused(iev, &imsg));
		}
		imsg_free(&imsg);
	}
	if (batch)
		ps->batch_end();
	imsgev_add(iev);
	return (0);
}

void
imsgev_init(struct imsgev *iev, int fd, int type, int instance,
    void (*handler)(int, short, void *), void *data)
{
	imsgbuf_init(&iev->ibuf, fd);
	imsgbuf_allow_fdpass(&iev->ibuf);
	imsgbuf_set_maxsize(&iev->ibuf, MSG_MAXSIZE);
	iev->type = type;
	iev->instance = instance;
	iev->handler = handler;
	iev->data = data != NULL ? data : iev;
	iev->events = EV_READ;
	event_set(&iev->ev, fd, iev->events | EV_PERSIST, iev->handler,
	    iev->data);
	event_add(&iev->ev, NULL);
}

void
imsgev_add(struct imsgev *iev)
{
	short	 events = EV_READ;

	if (imsgbuf_queuelen(&iev->ibuf) > 0)
		events |= EV_WRITE;
	/* Armed for the same already (it persists): no system call. */
	if (events == iev->events && event_initialized(&iev->ev) &&
	    event_pending(&iev->ev, EV_READ | EV_WRITE, NULL))
		return;
	iev->events = events;
	event_del(&iev->ev);
	event_set(&iev->ev, iev->ibuf.fd, events | EV_PERSIST, iev->handler,
	    iev->data);
	event_add(&iev->ev, NULL);
}

void
imsgev_clear(struct imsgev *iev)
{
	event_del(&iev->ev);
	imsgbuf_clear(&iev->ibuf);
	close(iev->ibuf.fd);
	iev->ibuf.fd = -1;
}

int
imsgev_compose(struct imsgev *iev, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const void *data, size_t len)
{
	int	 ret;

	if ((ret = imsg_compose(&iev->ibuf, type, peerid, pid, fd, data,
	    len)) == -1)
		log_warn("%s: type %u", __func__, type);
	else
		imsgev_add(iev);
	return (ret);
}

int
imsgev_composev(struct imsgev *iev, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const struct iovec *iov, int iovcnt)
{
	int	 ret;

	if ((ret = imsg_composev(&iev->ibuf, type, peerid, pid, fd, iov,
	    iovcnt)) == -1)
		log_warn("%s: type %u", __func__, type);
	else
		imsgev_add(iev);
	return (ret);
}

/*
 * Read and write what the event says.  Returns 1 to go on, 0 when the
 * peer is gone (EOF or a broken pipe), -1 on an error of the channel.
 */
int
imsgev_io(struct imsgev *iev, short event)
{
	if (event & EV_READ) {
		switch (imsgbuf_read(&iev->ibuf)) {
		case -1:
			log_warn("%s: read from %s", __func__,
			    proc_name(iev->type));
			return (-1);
		case 0:
			return (0);
		}
	}
	if (event & EV_WRITE) {
		if (imsgbuf_write(&iev->ibuf) == -1) {
			if (errno == EPIPE || errno == ECONNRESET)
				return (0);
			log_warn("%s: write to %s", __func__,
			    proc_name(iev->type));
			return (-1);
		}
	}
	return (1);
}

/* Pass a message on unchanged but for its peerid. */
int
imsgev_forward(struct imsgev *iev, struct imsg *imsg, uint32_t peerid)
{
	return (imsgev_compose(iev, imsg_get_type(imsg), peerid,
	    imsg_get_pid(imsg), imsg_get_fd(imsg), imsg->data,
	    imsg_get_len(imsg)));
}
