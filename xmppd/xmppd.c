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
 * The parent process: reads the configuration, opens the listening and
 * control sockets, starts and supervises the sandboxed children, passes
 * each of them its part of the configuration, and reloads on SIGHUP.  It
 * never reads from the network.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "about.h"
#include "config.h"
#include "log.h"
#include "paths.h"
#include "proc.h"
#include "parent.h"
#include "resolver.h"
#include "sandbox.h"
#ifdef HAVE_LIBPQ
#include "pgconf.h"
#include "../mucd/muc_pg.h"
#endif
#include "xmppd.h"

#define RESTART_MIN_MS	100
#define RESTART_MAX_MS	60000
#define RESTART_STABLE	30	/* seconds up before backoff resets */
#define SHUTDOWN_WAIT	5	/* seconds before SIGKILL */

#define XMPPD_CONF	SYSCONFDIR "/xmppd.conf"
#define RESOLV_CONF	"/etc/resolv.conf"

/* Processes that talk to each other get a socketpair of their own. */
static const struct {
	int	a, b;
} parent_links[] = {
	{ PROC_STREAM,	PROC_ROUTER },
	{ PROC_STREAM,	PROC_STORE },
	{ PROC_STREAM,	PROC_LDAPAUTHD },
	{ PROC_STREAM,	PROC_UPLOADD },	/* multiplexed connections */
	{ PROC_ROUTER,	PROC_STORE },
	{ PROC_ROUTER,	PROC_LDAPAUTHD },
	{ PROC_ROUTER,	PROC_MUCD },
	{ PROC_ROUTER,	PROC_UPLOADD },
	{ PROC_ROUTER,	PROC_RESOLVER },
	{ PROC_CONTROL,	PROC_ROUTER },
	{ PROC_CONTROL,	PROC_STORE },
	{ PROC_CONTROL,	PROC_LDAPAUTHD },
	{ PROC_CONTROL,	PROC_RESOLVER },	/* xmppctl check's DNS */
};

struct parent_env	 env;

static __dead void	usage(void);
static void		parent_sig(int, short, void *);
static void		parent_dispatch(int, short, void *);
static void		parent_log_read(int, short, void *);
static void		parent_reap(void);
static int		parent_start(struct child *);
static void		parent_restart(int, short, void *);
static void		parent_reload_done(void);
static __dead void	parent_shutdown(int);
static int		parent_open_listeners(struct xmppd_config *,
			    struct xmppd_config *);
static void		parent_sync_children(void);

time_t
monotime(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (ts.tv_sec);
}

static __dead void
usage(void)
{
	fprintf(stderr, "usage: %s [-dnVv] [-D macro=value] [-f file]\n",
	    getprogname());
	exit(1);
}

static __dead void
child_main(const char *name, const char *inst)
{
	const struct proc_role	*role;
	const char		*errstr;
	int			 instance;

	if ((role = proc_role_byname(name)) == NULL || role->binary != NULL ||
	    role->type == PROC_PARENT)
		errx(1, "unknown process role: %s", name);
	instance = inst == NULL ? 0 : strtonum(inst, 0, 255, &errstr);
	if (inst != NULL && errstr != NULL)
		errx(1, "instance is %s: %s", errstr, inst);
	switch (role->type) {
	case PROC_STORE:
		store_main(instance);
	case PROC_ROUTER:
		router_main(instance);
	case PROC_CONTROL:
		control_main(instance);
	case PROC_STREAM:
		stream_main(instance);
	case PROC_RESOLVER:
		resolver_main(instance);
	}
	errx(1, "no entry point for %s", name);
}

static int
ncpus(void)
{
	long	 n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return (1);
	return (n > 64 ? 64 : (int)n);
}

static int
wanted(struct xmppd_config *conf, int type)
{
	switch (type) {
	case PROC_LDAPAUTHD:
		return (!TAILQ_EMPTY(&conf->ldaps));
	case PROC_MUCD:
		return (!TAILQ_EMPTY(&conf->mucs));
	case PROC_UPLOADD:
		return (!TAILQ_EMPTY(&conf->uploads));
	}
	return (1);
}

/*
 * The helper daemons conf needs must be there to be executed: a missing
 * one would exit at each start, again and again, and leave the service
 * without it.  Checked on -n, at start and on reload.
 */
static int
parent_check_helpers(struct xmppd_config *conf)
{
	const struct proc_role	*role;
	struct stat		 st;
	char			 path[PATH_MAX];
	const char		*why;
	int			 t, ret = 0;

	for (t = PROC_PARENT + 1; t < PROC_MAX; t++) {
		role = proc_role(t);
		if (role->binary == NULL || !wanted(conf, t))
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", LIBEXECDIR,
		    role->binary);
		if (stat(path, &st) == -1 || access(path, X_OK) == -1)
			why = strerror(errno);
		else if (!S_ISREG(st.st_mode))
			why = "not a regular file";
		else
			continue;
		log_warnx("%s: %s: the configuration needs %s; install it "
		    "with \"make install\"", path, why, role->binary);
		ret = -1;
	}
	return (ret);
}

/* mucd's own database: its passfile read here too. */
static int
parent_check_muc_storage(struct xmppd_config *conf)
{
	if (conf->global.muc_storage != STORAGE_POSTGRESQL)
		return (0);
#ifdef HAVE_LIBPQ
	return (muc_pg_check(&conf->global, env.conffile));
#else
	log_warnx("%s: muc storage postgresql: this xmppd was built without "
	    "libpq", env.conffile);
	return (-1);
#endif
}

/* The parent reads the passfile: the store cannot, in its chroot. */
static int
parent_check_storage(struct xmppd_config *conf)
{
	if (parent_check_muc_storage(conf) == -1)
		return (-1);
	if (conf->global.storage != STORAGE_POSTGRESQL)
		return (0);
#ifdef HAVE_LIBPQ
	return (pgconf_check(conf->global.storage_conninfo,
	    conf->global.datadir, conf->global.user,
	    conf->global.storage_password,
	    sizeof(conf->global.storage_password), env.conffile));
#else
	log_warnx("%s: storage postgresql: this xmppd was built without "
	    "libpq", env.conffile);
	return (-1);
#endif
}

static void
parent_mkdir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat	 st;

	if (mkdir(path, mode) == -1 && errno != EEXIST)
		fatal("mkdir %s", path);
	if (lstat(path, &st) == -1)
		fatal("%s", path);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s is not a directory", path);
	if (st.st_uid != uid || st.st_gid != gid)
		if (chown(path, uid, gid) == -1)
			fatal("chown %s", path);
	if ((st.st_mode & 07777) != mode)
		if (chmod(path, mode) == -1)
			fatal("chmod %s", path);
}

/*
 * No resolver in the file: those of /etc/resolv.conf, read now as the
 * resolver process cannot (it is chrooted); none there either, the
 * local host, as the C library would.
 */
static void
parent_resolvers(struct xmppd_config *conf)
{
	struct resolver_conf	*rc;
	const char		*path = RESOLV_CONF;
	FILE			*fp;
	int			 n = 0;

	if (!TAILQ_EMPTY(&conf->resolvers))
		return;
#ifdef REGRESS
	if (getenv("XMPPD_REGRESS_RESOLV_CONF") != NULL)
		path = getenv("XMPPD_REGRESS_RESOLV_CONF");
#endif
	if ((fp = fopen(path, "r")) == NULL)
		log_warn("%s", path);
	else {
		if ((n = config_resolv_conf(fp, conf)) == -1)
			fatal("%s", __func__);
		fclose(fp);
	}
	if (n > 0)
		return;
	log_warnx("%s names no nameserver: resolving with 127.0.0.1", path);
	if ((rc = calloc(1, sizeof(*rc))) == NULL ||
	    config_resolver_parse("127.0.0.1", rc) == -1)
		fatal("%s", __func__);
	rc->system = 1;
	TAILQ_INSERT_TAIL(&conf->resolvers, rc, entry);
}

/* The directories the children chroot to, with the owners they need. */
static void
parent_dirs(void)
{
	char	 path[PATH_MAX];
	const char *dd = env.conf->global.datadir;

	parent_mkdir(XMPPD_EMPTY, 0755, 0, 0);
	parent_mkdir(dd, 0700, env.pw.pw_uid, env.pw.pw_gid);
	(void)snprintf(path, sizeof(path), "%s/muc", dd);
	parent_mkdir(path, 0700, env.pw.pw_uid, env.pw.pw_gid);
	(void)snprintf(path, sizeof(path), "%s/upload", dd);
	parent_mkdir(path, 0700, env.pw.pw_uid, env.pw.pw_gid);
}

static const char *
chroot_path(int which, char *buf, size_t len)
{
	const char	*dd = env.conf->global.datadir, *sub;

	switch (which) {
	case CHROOT_DATADIR:
		sub = "";
		break;
	case CHROOT_MUC:
		sub = "/muc";
		break;
	case CHROOT_UPLOAD:
		sub = "/upload";
		break;
	default:
		dd = XMPPD_EMPTY;
		sub = "";
		break;
	}
	if (snprintf(buf, len, "%s%s", dd, sub) >= (int)len)
		fatalx("path too long: %s%s", dd, sub);
	return (buf);
}

/*
 * libpq reads sslrootcert, sslcert and sslkey by path, where the store
 * and mucd cannot: copies in their chroots, made again at each start and
 * reload.
 */
static int
parent_pg_tls(struct xmppd_config *conf)
{
#ifdef HAVE_LIBPQ
	struct global_conf	*g = &conf->global;
	char			 root[PATH_MAX], where[PATH_MAX + 8];

	if (g->storage == STORAGE_POSTGRESQL &&
	    pgconf_tls_place(g->storage_conninfo, chroot_path(CHROOT_DATADIR,
	    root, sizeof(root)), env.pw.pw_gid, env.conffile) == -1)
		return (-1);
	(void)snprintf(where, sizeof(where), "%s: muc", env.conffile);
	if (g->muc_storage == STORAGE_POSTGRESQL &&
	    pgconf_tls_place(g->muc_conninfo, chroot_path(CHROOT_MUC, root,
	    sizeof(root)), env.pw.pw_gid, where) == -1)
		return (-1);
#else
	(void)conf;
#endif
	return (0);
}

static int
control_socket(const char *path)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		fatalx("control socket path too long: %s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("control socket");
	/* A daemon already answering there owns it. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("control socket %s: xmppd is already running", path);
	close(fd);
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("control socket");
	old = umask(S_IXUSR | S_IRWXG | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", path);
	umask(old);
	if (chmod(path, S_IRUSR | S_IWUSR) == -1)
		fatal("chmod %s", path);
	if (listen(fd, 16) == -1)
		fatal("listen %s", path);
	return (fd);
}

int
main(int argc, char *argv[])
{
	const char	*role = NULL, *inst = NULL;
	struct passwd	*pw;
	struct event	 ev_sigint, ev_sigterm, ev_sighup, ev_sigchld;
	struct event	 ev_sigpipe;
	struct child	*c;
	ssize_t		 n;
	int		 ch, noaction = 0, t, i, nstreams;

	env.conffile = XMPPD_CONF;
	while ((ch = getopt(argc, argv, "dD:f:I:nP:Vv")) != -1) {
		switch (ch) {
		case 'd':
			env.debug = 1;
			break;
		case 'D':
			if (cmdline_symset(optarg) < 0)
				errx(1, "could not parse macro definition %s",
				    optarg);
			break;
		case 'f':
			env.conffile = optarg;
			break;
		case 'I':
			inst = optarg;
			break;
		case 'n':
			noaction++;
			break;
		case 'P':
			role = optarg;
			break;
		case 'V':
			about_print(stdout, getprogname());
			exit(0);
		case 'v':
			env.verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc > 0)
		usage();
	if (role != NULL)
		child_main(role, inst);

	log_init(1, LOG_DAEMON);
	log_setverbose(env.verbose);
	if ((env.conf = parse_config(env.conffile)) == NULL ||
	    parent_check_helpers(env.conf) == -1 ||
	    parent_check_storage(env.conf) == -1)
		exit(1);
	if (noaction) {
		if (keys_load(env.conf, 1) == -1)
			exit(1);
		if (noaction > 1)
			print_config(stdout, env.conf);
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}
	if (geteuid() != 0)
		errx(1, "need root privileges");
	if ((pw = getpwnam(env.conf->global.user)) == NULL)
		errx(1, "unknown user %s", env.conf->global.user);
	if (pw->pw_uid == 0)
		errx(1, "user %s is root: refusing to run children as root",
		    env.conf->global.user);
	env.pw = *pw;
	(void)strlcpy(env.pw_name, pw->pw_name, sizeof(env.pw_name));
	env.pw.pw_name = env.pw_name;
	if ((n = readlink("/proc/self/exe", env.self, sizeof(env.self) - 1))
	    == -1) {
		if (argv[0][0] != '/')
			errx(1, "need an absolute path to re-execute");
		(void)strlcpy(env.self, argv[0], sizeof(env.self));
	} else
		env.self[n] = '\0';

	log_init(env.debug, LOG_DAEMON);
	log_setverbose(env.verbose);
	log_procinit("parent");
	parent_dirs();
	if (keys_load(env.conf, 0) == -1)
		fatalx("cannot load certificates and keys");
	if (parent_pg_tls(env.conf) == -1)
		fatalx("cannot copy the PostgreSQL TLS files");
	parent_resolvers(env.conf);
	env.control_fd = control_socket(env.conf->global.socket);
	if (parent_open_listeners(env.conf, NULL) == -1)
		exit(1);
	if (!env.debug && daemon(1, 0) == -1)
		fatal("daemon");
	setproctitle("parent");
	env.start_time = monotime();
	log_info("starting");

	event_init();
	signal_set(&ev_sigint, SIGINT, parent_sig, NULL);
	signal_set(&ev_sigterm, SIGTERM, parent_sig, NULL);
	signal_set(&ev_sighup, SIGHUP, parent_sig, NULL);
	signal_set(&ev_sigchld, SIGCHLD, parent_sig, NULL);
	signal_set(&ev_sigpipe, SIGPIPE, parent_sig, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sighup, NULL);
	signal_add(&ev_sigchld, NULL);
	signal_add(&ev_sigpipe, NULL);

	TAILQ_INIT(&env.children);
	nstreams = env.conf->global.prefork ? env.conf->global.prefork :
	    ncpus();
	for (t = PROC_PARENT + 1; t < PROC_MAX; t++) {
		for (i = 0; i < (t == PROC_STREAM ? nstreams : 1); i++) {
			if ((c = calloc(1, sizeof(*c))) == NULL)
				fatal(NULL);
			c->role = proc_role(t);
			c->instance = i;
			c->logfd = -1;
			c->wanted = wanted(env.conf, t);
			evtimer_set(&c->restartev, parent_restart, c);
			TAILQ_INSERT_TAIL(&env.children, c, entry);
			if (c->wanted && parent_start(c) == -1)
				fatalx("cannot start %s", c->role->name);
		}
	}
	env.started = 1;
	event_dispatch();
	parent_shutdown(0);
}

static int
nchildren_of(int type)
{
	struct child	*c;
	int		 n = 0;

	TAILQ_FOREACH(c, &env.children, entry)
		if (c->role->type == type)
			n++;
	return (n);
}

static void
parent_link(struct child *a, struct child *b)
{
	struct proc_peer	 pa, pb;
	int			 sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sp) == -1)
		fatal("%s: socketpair", __func__);
	pa.type = b->role->type;
	pa.instance = b->instance;
	pb.type = a->role->type;
	pb.instance = a->instance;
	imsgev_compose(&a->iev, IMSG_PROC_PEER, 0, 0, sp[0], &pa, sizeof(pa));
	imsgev_compose(&b->iev, IMSG_PROC_PEER, 0, 0, sp[1], &pb, sizeof(pb));
}

/* Give a child a link to every running peer its role talks to. */
static void
parent_link_peers(struct child *c)
{
	struct child	*o;
	size_t		 i;
	int		 t = c->role->type, other;

	for (i = 0; i < nitems(parent_links); i++) {
		if (parent_links[i].a == t)
			other = parent_links[i].b;
		else if (parent_links[i].b == t)
			other = parent_links[i].a;
		else
			continue;
		TAILQ_FOREACH(o, &env.children, entry)
			if (o->role->type == other && o->pid != 0 &&
			    o->chan_open)
				parent_link(c, o);
	}
}

static int
parent_start(struct child *c)
{
	struct proc_init	 init;
	char			 path[PATH_MAX];
	const char		*bin;
	int			 chan[2], logp[2];
	pid_t			 pid;

	if (c->role->binary == NULL)
		bin = env.self;
	else {
		(void)snprintf(path, sizeof(path), "%s/%s", LIBEXECDIR,
		    c->role->binary);
		bin = path;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) == -1 ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, logp) == -1)
		fatal("%s: socketpair", __func__);
	if ((pid = proc_spawn(c->role, c->instance, bin, chan[1], logp[1],
	    NULL)) == -1) {
		close(chan[0]);
		close(chan[1]);
		close(logp[0]);
		close(logp[1]);
		return (-1);
	}
	close(chan[1]);
	close(logp[1]);
	if (fcntl(chan[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(logp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("%s: fcntl", __func__);
	c->pid = pid;
	c->ready = 0;
	c->started = monotime();
	c->logfd = logp[0];
	event_set(&c->logev, c->logfd, EV_READ | EV_PERSIST, parent_log_read,
	    c);
	event_add(&c->logev, NULL);
	imsgev_init(&c->iev, chan[0], c->role->type, c->instance,
	    parent_dispatch, c);
	c->chan_open = 1;
	log_debug("started %s %d, pid %d", c->role->name, c->instance, pid);

	memset(&init, 0, sizeof(init));
	init.type = c->role->type;
	init.instance = c->instance;
	init.ninstances = nchildren_of(PROC_STREAM);
	init.uid = env.pw.pw_uid;
	init.gid = env.pw.pw_gid;
	(void)chroot_path(c->role->chroot, init.chroot, sizeof(init.chroot));
	init.debug = env.debug;
	init.verbose = log_getverbose();
	imsgev_compose(&c->iev, IMSG_PROC_INIT, 0, 0, -1, &init, sizeof(init));
	parent_link_peers(c);
	if (c->role->type == PROC_CONTROL) {
		int fd;

		if ((fd = dup(env.control_fd)) == -1)
			fatal("%s: dup", __func__);
		imsgev_compose(&c->iev, IMSG_CFG_CONTROL, 0, 0, fd, NULL, 0);
	}
	/* A child born during a reload boots with the new configuration. */
	if (config_send(&c->iev.ibuf, env.newconf != NULL ? env.newconf :
	    env.conf, c->role->type) == -1)
		fatal("%s: config_send", __func__);
	imsgev_add(&c->iev);
	return (0);
}

static void
parent_restart(int fd, short event, void *arg)
{
	struct child	*c = arg;

	(void)fd;
	(void)event;
	if (env.shutting_down || !c->wanted || c->pid != 0)
		return;
	c->restarts++;
	log_info("restarting %s %d (restart %d)", c->role->name, c->instance,
	    c->restarts);
	if (parent_start(c) == -1) {
		struct timeval tv = { 1, 0 };

		evtimer_add(&c->restartev, &tv);
	}
}

static void
parent_close_child(struct child *c)
{
	if (c->chan_open) {
		imsgev_clear(&c->iev);
		c->chan_open = 0;
	}
	if (c->logfd != -1) {
		parent_log_read(c->logfd, EV_READ, c);
		event_del(&c->logev);
		close(c->logfd);
		c->logfd = -1;
	}
}

static void
parent_child_died(struct child *c, int status)
{
	struct timeval	 tv;
	long		 ms;
	int		 k;

	if (WIFSIGNALED(status))
		log_warnx("%s %d (pid %d) killed by signal %d (%s)%s",
		    c->role->name, c->instance, c->pid, WTERMSIG(status),
		    strsignal(WTERMSIG(status)),
		    WTERMSIG(status) == SIGSYS ? ": sandbox violation" : "");
	else if (WEXITSTATUS(status) != 0 || !env.shutting_down)
		log_warnx("%s %d (pid %d) exited with status %d",
		    c->role->name, c->instance, c->pid, WEXITSTATUS(status));
	parent_close_child(c);
	c->pid = 0;
	c->ready = 0;
	if (c->cfg_pending) {
		c->cfg_pending = 0;
		if (--env.reload_acks == 0)
			parent_reload_done();
	}
	if (env.shutting_down)
		return;
	if (c->role->fatal) {
		log_warnx("%s is gone: shutting down", c->role->name);
		parent_shutdown(1);
	}
	if (!c->wanted)
		return;
	if (monotime() - c->started >= RESTART_STABLE)
		c->quick_deaths = 0;
	for (ms = RESTART_MIN_MS, k = 0; k < c->quick_deaths &&
	    ms < RESTART_MAX_MS; k++)
		ms *= 2;
	if (ms > RESTART_MAX_MS)
		ms = RESTART_MAX_MS;
	c->quick_deaths++;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&c->restartev, &tv);
}

static void
parent_reap(void)
{
	struct child	*c;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(WAIT_ANY, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(c, &env.children, entry)
			if (c->pid == pid)
				break;
		if (c != NULL)
			parent_child_died(c, status);
	}
}

static void
parent_sig(int sig, short event, void *arg)
{
	(void)event;
	(void)arg;
	switch (sig) {
	case SIGINT:
	case SIGTERM:
		log_info("received signal %d, shutting down", sig);
		parent_shutdown(0);
	case SIGHUP:
		log_info("reloading configuration");
		parent_reload(0);
		break;
	case SIGCHLD:
		parent_reap();
		break;
	default:
		break;
	}
}

/* Log lines from a child: one datagram each, escaped before logging. */
static void
parent_log_read(int fd, short event, void *arg)
{
	struct child	*c = arg;
	char		 buf[LOG_LINE_MAX + 2], safe[LOG_LINE_MAX * 4 + 1];
	char		 line[LOG_LINE_MAX * 4 + 64];
	ssize_t		 n;
	int		 pri;

	(void)event;
	for (;;) {
		if ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) <= 0)
			return;
		buf[n] = '\0';
		pri = (unsigned char)buf[0];
		if (pri > LOG_DEBUG)
			pri = LOG_WARNING;
		(void)log_sanitize(buf + 1, safe, sizeof(safe));
		if (c->role->type == PROC_STREAM)
			(void)snprintf(line, sizeof(line), "%s %d[%d]: %s",
			    c->role->name, c->instance, c->pid, safe);
		else
			(void)snprintf(line, sizeof(line), "%s[%d]: %s",
			    c->role->name, c->pid, safe);
		log_emit(pri, line);
	}
}

static int
parent_all_ready(void)
{
	struct child	*c;

	TAILQ_FOREACH(c, &env.children, entry)
		if (c->wanted && !c->ready)
			return (0);
	return (1);
}

/*
 * Stream processes accept clients only once every process is ready, so
 * that no client authenticates against a store or router still
 * starting; connections wait in the listen backlog until then.  A stream
 * process started later accepts as soon as it is ready itself.
 */
static void
parent_child_ready(struct child *c)
{
	struct child	*s;

	c->ready = 1;
	log_debug("%s %d ready", c->role->name, c->instance);
	if (env.ready) {
		if (c->role->type == PROC_STREAM)
			imsgev_compose(&c->iev, IMSG_PROC_ACCEPT, 0, 0, -1,
			    NULL, 0);
		return;
	}
	if (!parent_all_ready())
		return;
	env.ready = 1;
	log_info("startup finished");
	TAILQ_FOREACH(s, &env.children, entry)
		if (s->role->type == PROC_STREAM && s->chan_open)
			imsgev_compose(&s->iev, IMSG_PROC_ACCEPT, 0, 0, -1,
			    NULL, 0);
}

/*
 * A helper daemon closed its link to a stream that sent what it refuses:
 * the stream starts anew, with new links, rather than run on without
 * that daemon.  Only a stream, and only on the word of a process linked
 * to streams; -1: not such a request.
 */
static int
parent_refused(struct child *c, struct imsg *imsg)
{
	struct proc_peer	 pp;
	struct child		*s;
	size_t			 i;

	if (imsg_get_data(imsg, &pp, sizeof(pp)) == -1 ||
	    pp.type != PROC_STREAM || c->role->type == PROC_STREAM)
		return (-1);
	for (i = 0; i < nitems(parent_links); i++)
		if (parent_links[i].a == PROC_STREAM &&
		    parent_links[i].b == c->role->type)
			break;
	if (i == nitems(parent_links))
		return (-1);
	TAILQ_FOREACH(s, &env.children, entry)
		if (s->role->type == PROC_STREAM && s->instance ==
		    pp.instance && s->pid != 0) {
			log_warnx("%s refused what stream %d sent: restarting "
			    "it", c->role->name, pp.instance);
			(void)kill(s->pid, SIGTERM);
		}
	return (0);
}

static void
parent_dispatch(int fd, short event, void *arg)
{
	struct child	*c = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	if (imsgev_io(&c->iev, event) <= 0) {
		/* The child is gone or broken; SIGCHLD does the rest. */
		parent_close_child(c);
		if (c->pid != 0)
			(void)kill(c->pid, SIGTERM);
		return;
	}
	for (;;) {
		if ((n = imsg_get(&c->iev.ibuf, &imsg)) == -1) {
			log_warn("%s: %s", __func__, c->role->name);
			parent_close_child(c);
			(void)kill(c->pid, SIGTERM);
			return;
		}
		if (n == 0)
			break;
		switch (imsg_get_type(&imsg)) {
		case IMSG_PROC_READY:
			parent_child_ready(c);
			break;
		case IMSG_CFG_DONE:
			if (c->cfg_pending) {
				c->cfg_pending = 0;
				if (--env.reload_acks == 0)
					parent_reload_done();
			}
			break;
		case IMSG_PROC_REFUSED:
			if (parent_refused(c, &imsg) == 0)
				break;
			/* FALLTHROUGH */
		default:
			if (c->role->type == PROC_CONTROL)
				parent_control_cmd(c, &imsg);
			else
				log_warnx("%s: unexpected imsg %u from %s",
				    __func__, imsg_get_type(&imsg),
				    c->role->name);
			break;
		}
		imsg_free(&imsg);
	}
	if (c->chan_open)
		imsgev_add(&c->iev);
}

static int
listen_same(struct listen_conf *a, struct listen_conf *b)
{
	return (a->kind == b->kind && a->flags == b->flags &&
	    a->port == b->port && a->ss.ss_family == b->ss.ss_family &&
	    strcmp(a->owner, b->owner) == 0 &&
	    memcmp(&a->ss, &b->ss, sizeof(a->ss)) == 0);
}

static int
listen_open(struct listen_conf *lc)
{
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	socklen_t		 len;
	int			 fd, on = 1;

	if (lc->ss.ss_family == AF_INET) {
		sin = (struct sockaddr_in *)&lc->ss;
		sin->sin_port = htons(lc->port);
		len = sizeof(*sin);
	} else {
		sin6 = (struct sockaddr_in6 *)&lc->ss;
		sin6->sin6_port = htons(lc->port);
		len = sizeof(*sin6);
	}
	if ((fd = socket(lc->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (lc->ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(fd, (struct sockaddr *)&lc->ss, len) == -1 ||
	    listen(fd, 511) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * Open the listening sockets of conf, taking over the ones old already
 * has for the same address, port and kind so that a reload does not
 * drop pending connections.
 */
static int
parent_open_listeners(struct xmppd_config *conf, struct xmppd_config *old)
{
	struct listen_conf	*lc, *olc;

	TAILQ_FOREACH(lc, &conf->listeners, entry) {
		lc->fd = -1;
		if (old != NULL)
			TAILQ_FOREACH(olc, &old->listeners, entry)
				if (olc->fd != -1 && listen_same(lc, olc)) {
					lc->fd = olc->fd;
					olc->fd = -1;
					break;
				}
		if (lc->fd == -1 && (lc->fd = listen_open(lc)) == -1) {
			log_warn("listen on %s port %u", lc->addr, lc->port);
			goto fail;
		}
	}
	return (0);
 fail:
	/* Give back what was taken over; close what was opened. */
	TAILQ_FOREACH(lc, &conf->listeners, entry) {
		if (lc->fd == -1 || old == NULL)
			continue;
		TAILQ_FOREACH(olc, &old->listeners, entry)
			if (olc->fd == -1 && listen_same(lc, olc)) {
				olc->fd = lc->fd;
				lc->fd = -1;
				break;
			}
	}
	return (-1);
}

/*
 * Reload is one transaction: parse into a new configuration, send it to
 * every running child, and switch only when each has acknowledged it.
 * A bad file changes nothing.
 */
void
parent_reload(uint32_t peerid)
{
	struct xmppd_config	*nc;
	struct global_conf	*g, *og;
	struct child		*c;
	const char		*why = NULL;

	if (env.newconf != NULL) {
		log_warnx("reload already in progress");
		parent_ctl_reply(parent_control(), peerid, IMSG_CTL_FAIL,
		    "reload already in progress");
		return;
	}
	if ((nc = parse_config(env.conffile)) == NULL)
		why = "configuration has errors";
	else {
		g = &nc->global;
		og = &env.conf->global;
		if (strcmp(g->user, og->user) != 0 ||
		    strcmp(g->datadir, og->datadir) != 0 ||
		    strcmp(g->socket, og->socket) != 0 ||
		    g->prefork != og->prefork || g->storage != og->storage ||
		    strcmp(g->storage_conninfo, og->storage_conninfo) != 0 ||
		    g->muc_storage != og->muc_storage ||
		    strcmp(g->muc_conninfo, og->muc_conninfo) != 0)
			log_warnx("user, datadir, socket, prefork and storage "
			    "changes take effect after a restart");
		(void)strlcpy(g->user, og->user, sizeof(g->user));
		(void)strlcpy(g->datadir, og->datadir, sizeof(g->datadir));
		(void)strlcpy(g->socket, og->socket, sizeof(g->socket));
		g->prefork = og->prefork;
		g->storage = og->storage;
		(void)strlcpy(g->storage_conninfo, og->storage_conninfo,
		    sizeof(g->storage_conninfo));
		memcpy(g->storage_password, og->storage_password,
		    sizeof(g->storage_password));
		parent_resolvers(nc);
		g->muc_storage = og->muc_storage;
		(void)strlcpy(g->muc_conninfo, og->muc_conninfo,
		    sizeof(g->muc_conninfo));
		memcpy(g->muc_password, og->muc_password,
		    sizeof(g->muc_password));
		if (parent_check_helpers(nc) == -1)
			why = "helper daemons are missing";
		else if (keys_load(nc, 0) == -1)
			why = "cannot load certificates and keys";
		else if (parent_pg_tls(nc) == -1)
			why = "cannot copy the PostgreSQL TLS files";
		else if (parent_open_listeners(nc, env.conf) == -1)
			why = "cannot open listening sockets";
	}
	if (why != NULL) {
		log_warnx("reload failed (%s), keeping the running "
		    "configuration", why);
		config_free(nc);
		parent_ctl_errors(parent_control(), peerid);
		parent_ctl_reply(parent_control(), peerid, IMSG_CTL_FAIL, why);
		return;
	}

	env.newconf = nc;
	env.reload_peer = peerid;
	env.reload_acks = 0;
	TAILQ_FOREACH(c, &env.children, entry) {
		if (!c->chan_open || c->pid == 0)
			continue;
		if (config_send(&c->iev.ibuf, nc, c->role->type) == -1)
			fatal("%s: config_send", __func__);
		imsgev_add(&c->iev);
		c->cfg_pending = 1;
		env.reload_acks++;
	}
	if (env.reload_acks == 0)
		parent_reload_done();
}

static void
parent_reload_done(void)
{
	struct xmppd_config	*old = env.conf;
	struct child		*c;

	TAILQ_FOREACH(c, &env.children, entry)
		if (c->chan_open && c->pid != 0 && c->ready)
			imsgev_compose(&c->iev, IMSG_CFG_COMMIT, 0, 0, -1,
			    NULL, 0);
	env.conf = env.newconf;
	env.newconf = NULL;
	config_free(old);
	parent_sync_children();
	log_info("configuration reloaded");
	parent_ctl_reply(parent_control(), env.reload_peer, IMSG_CTL_OK, NULL);
	env.reload_peer = 0;
}

/* Start or stop ldapauthd, mucd and uploadd as the configuration says. */
static void
parent_sync_children(void)
{
	struct child	*c;
	int		 w;

	TAILQ_FOREACH(c, &env.children, entry) {
		w = wanted(env.conf, c->role->type);
		if (w == c->wanted)
			continue;
		c->wanted = w;
		c->ready = 0;
		if (w) {
			c->restarts = 0;
			if (parent_start(c) == -1)
				log_warnx("cannot start %s", c->role->name);
		} else if (c->pid != 0) {
			log_info("stopping %s", c->role->name);
			evtimer_del(&c->restartev);
			(void)kill(c->pid, SIGTERM);
		}
	}
}

static volatile sig_atomic_t	 shutdown_alarm;

static void
parent_alarm(int sig)
{
	(void)sig;
	shutdown_alarm = 1;
}

/*
 * The order children stop in: those that feed the router first, then
 * the router (which writes what it owes the store on its way out), then
 * the store, which has read all of it by then.  A roster change the
 * router acknowledged is thus never lost to a clean stop.
 */
static int
parent_stop_rank(const struct child *c)
{
	switch (c->role->type) {
	case PROC_STORE:
		return (2);
	case PROC_ROUTER:
		return (1);
	}
	return (0);
}

/* SIGTERM to the children of that rank; back when they are gone. */
static void
parent_stop_rank_wait(int rank)
{
	struct child	*c;
	pid_t		 pid;
	int		 status, alive = 0;

	TAILQ_FOREACH(c, &env.children, entry)
		if (c->pid != 0 && parent_stop_rank(c) == rank) {
			(void)kill(c->pid, SIGTERM);
			alive++;
		}
	shutdown_alarm = 0;
	alarm(SHUTDOWN_WAIT);
	while (alive > 0) {
		if ((pid = waitpid(WAIT_ANY, &status, 0)) == -1) {
			if (errno == EINTR && shutdown_alarm) {
				TAILQ_FOREACH(c, &env.children, entry)
					if (c->pid != 0 &&
					    parent_stop_rank(c) == rank) {
						log_warnx("%s %d did not stop "
						    "within %d seconds: killed",
						    c->role->name, c->instance,
						    SHUTDOWN_WAIT);
						(void)kill(c->pid, SIGKILL);
					}
				shutdown_alarm = 0;
				continue;
			}
			if (errno == EINTR)
				continue;
			break;
		}
		TAILQ_FOREACH(c, &env.children, entry)
			if (c->pid == pid) {
				parent_close_child(c);
				c->pid = 0;
				if (parent_stop_rank(c) == rank)
					alive--;
			}
	}
	alarm(0);
}

static __dead void
parent_shutdown(int code)
{
	struct child		*c;
	struct sigaction	 sa;
	int			 rank;

	env.shutting_down = 1;
	TAILQ_FOREACH(c, &env.children, entry)
		evtimer_del(&c->restartev);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = parent_alarm;
	(void)sigaction(SIGALRM, &sa, NULL);
	for (rank = 0; rank <= 2; rank++)
		parent_stop_rank_wait(rank);
	(void)unlink(env.conf->global.socket);
	log_info("terminating");
	exit(code);
}
