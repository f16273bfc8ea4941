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
 * libFuzzer harness for a whole process as a hostile peer sees it: the
 * router (FUZZ_ROUTER), the store (FUZZ_STORE), ldapauthd
 * (FUZZ_LDAPAUTHD) or mucd (FUZZ_MUCD) is started by its own main
 * function in this process, linked with its objects, with what it
 * cannot do here taken out at link time (--wrap): the bootstrap from the
 * parent is the configuration fuzz_conf, the sandbox is nothing, and
 * the event loop returns to the harness.  Each input is then messages
 * from peers: a byte that picks the peer (stream 0 or 1; the router for
 * the store, ldapauthd and mucd; the store for the router), and an imsg,
 * header included, that the peer writes on its link, read as proc.c
 * reads a link and handed to the process's dispatcher as proc.c hands
 * it.  A refused message closes the link, as proc.c does: the peer's
 * state goes (peer_down), and the next message comes on a new link, as
 * from the peer restarted.  After each input every stream link goes
 * down and what the process wrote to its peers is thrown away.  A
 * login's grant of zero bytes passes (__wrap_grant_ok).
 *
 * A memory error, a leak, or the process stopping on what a stream
 * wrote (fatal(): a stream that can stop the router or the store stops
 * the whole server) is a bug.  What another process writes is trusted
 * to be well formed: fatal() is proc.c's answer to it too, taken here
 * as the link closing.  See regress/fuzz/README.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <sanitizer/lsan_interface.h>

#include <dirent.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "config.h"
#include "grant.h"
#include "http.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "stanza.h"
#include "xmppd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	ldapauthd_main(int, char *[]);
int	mucd_main(int, char *[]);
int	uploadd_main(int, char *[]);
void	__wrap_proc_child_init(int, int);
void	__wrap_proc_child_run(void);
void	__wrap_sandbox(const char *);
void	__wrap_fatal(const char *, ...);
void	__wrap_fatalx(const char *, ...);
int	__real_grant_ok(const uint8_t *, int, uint32_t, const char *,
	    const char *, const uint8_t *);
int	__wrap_grant_ok(const uint8_t *, int, uint32_t, const char *,
	    const char *, const uint8_t *);
#ifdef FUZZ_UPLOADD
struct upload_file;
void	__wrap_arc4random_buf(void *, size_t);
int	__real_upload_sign_check(const struct upload_file *, const char *);
int	__wrap_upload_sign_check(const struct upload_file *, const char *);
int	__real_stanza_recv(struct imsg *, struct stanza_msg *);
int	__wrap_stanza_recv(struct imsg *, struct stanza_msg *);
#endif

#define FUZZ_STREAMS	2
#define FUZZ_MAXSIZE	(4 * 1024 * 1024)	/* common/proc.c's */

static const char fuzz_conf[] =
    "tls keypair \"example.org\" certificate \"/etc/ssl/e.pem\"\n"
    "domain \"example.org\" {\n"
    "\tadmin \"admin@example.org\"\n"
    "}\n"
    "domain \"example.net\"\n"
    "muc \"conference.example.org\"\n"
    "component \"c.example.org\" password \"secret\"\n"
    "ldap \"dir\" {\n"
    "\tserver \"ldap://127.0.0.1:1\"\n"
    "\tbind \"cn=xmpp,dc=example,dc=com\" password \"secret\"\n"
    "\tbase \"dc=example,dc=com\"\n"
    "}\n"
    "domain \"example.com\" {\n"
    "\tauth ldap \"dir\"\n"
    "}\n"
    "listen on * port 5222 client\n"
    "listen on * port 5269 server\n";

/*
 * The upload service, as the configuration ends: for uploadd, the
 * first at start, then any of them at a reload (the parent's message):
 * the same again, the service renamed (what the old one handed out is
 * of no service any more), or its limits lowered and its files
 * expired at once.  Its listener is plain HTTP on a socket the harness
 * makes, as the parent would.
 */
static const char *fuzz_uploads[] = {
	"upload \"upload.example.org\" {\n"
	"\turl \"https://upload.example.org/\"\n"
	"\tlisten on 127.0.0.1 port 5280\n"
	"}\n",
	"upload \"files.example.org\" {\n"
	"\turl \"http://files.example.org/up/\"\n"
	"\tlisten on 127.0.0.1 port 5280\n"
	"}\n",
	"upload \"upload.example.org\" {\n"
	"\turl \"https://upload.example.org/\"\n"
	"\tmax size 1K\n"
	"\tquota 4K\n"
	"\texpire 1s\n"
	"\tcors \"https://web.example.org\"\n"
	"\tlisten on 127.0.0.1 port 5280\n"
	"}\n",
};

/* The peers a router or a store has, and those a fuzzed input comes from. */
static const int fuzz_peers[] = {
	PROC_STREAM, PROC_STREAM, PROC_ROUTER, PROC_STORE, PROC_LDAPAUTHD,
	PROC_MUCD, PROC_UPLOADD, PROC_RESOLVER, PROC_CONTROL
};
static int		 fuzz_cwd = -1;
static char		 fuzz_dir[64];
static jmp_buf		 fuzz_started;
static jmp_buf		 fuzz_refused;
static struct imsgev	*fuzz_iev;	/* the link being read */
static struct imsg	 fuzz_imsg;	/* being handled */
static int		 fuzz_inimsg;
static int		 fuzz_trusted;	/* the peer is not a stream */
static int		 fuzz_lsan_off;
#ifdef FUZZ_UPLOADD
static int		 fuzz_variant;	/* of fuzz_uploads, running */
static in_port_t	 fuzz_port;	/* of uploadd's listener */
static uint64_t		 fuzz_random;	/* drawn in this input */
static int		 fuzz_nfds;	/* open between inputs */
#endif
static struct {
	struct imsgev	*iev;		/* the process's end */
	int		 far;		/* the peer's */
}			 fuzz_links[16];
static int		 fuzz_nlinks;

/*
 * A link's event, when the harness runs the event loop (uploadd's HTTP
 * connections): what the process queued is written to the peer, which
 * the harness throws away; what the peer wrote is read by fuzz_read().
 */
static void
fuzz_io(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;

	(void)fd;
	if (event & EV_WRITE)
		(void)imsgbuf_write(&iev->ibuf);
	imsgev_add(iev);
}

static void
fuzz_link(int type, int instance)
{
	struct proc_self	*ps = &proc_self;
	struct imsgev		*iev, **p;
	int			 sp[2];

	if (type == ps->type)
		return;
	if (instance >= ps->npeers[type]) {
		if ((p = recallocarray(ps->peers[type], ps->npeers[type],
		    instance + 1, sizeof(*p))) == NULL)
			abort();
		ps->peers[type] = p;
		ps->npeers[type] = instance + 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    fcntl(sp[1], F_SETFL, O_NONBLOCK) == -1 ||
	    (iev = calloc(1, sizeof(*iev))) == NULL ||
	    fuzz_nlinks == sizeof(fuzz_links) / sizeof(fuzz_links[0]))
		abort();
	imsgev_init(iev, sp[1], type, instance, fuzz_io, iev);
	ps->peers[type][instance] = iev;
	fuzz_links[fuzz_nlinks].iev = iev;
	fuzz_links[fuzz_nlinks++].far = sp[0];
}

/* The peer's end of a link. */
static int
fuzz_far(struct imsgev *iev)
{
	int	 i;

	for (i = 0; i < fuzz_nlinks; i++)
		if (fuzz_links[i].iev == iev)
			return (fuzz_links[i].far);
	abort();
}

/* Bytes waiting on fd. */
static int
fuzz_pending(int fd)
{
	int	 n;

	if (ioctl(fd, FIONREAD, &n) == -1)
		abort();
	return (n);
}

static int
fuzz_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return (0);
}

/* The datadir and what the process left in it. */
static void
fuzz_cleanup(void)
{
	(void)nftw(fuzz_dir, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * The sockets the parent would open for the configuration: uploadd's
 * listener, on a port of its own on 127.0.0.1, which the harness's
 * HTTP clients connect to.
 */
static void
fuzz_listen(struct xmppd_config *conf)
{
	struct listen_conf	*lc;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s;

	if (proc_self.type != PROC_UPLOADD)
		return;
	TAILQ_FOREACH(lc, &conf->listeners, entry) {
		if (lc->kind != LISTEN_UPLOAD)
			continue;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1 ||
		    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
		    listen(s, 64) == -1 ||
		    getsockname(s, (struct sockaddr *)&sin, &len) == -1)
			abort();
		lc->fd = s;
#ifdef FUZZ_UPLOADD
		fuzz_port = ntohs(sin.sin_port);
#endif
	}
}

/* The configuration, with the upload service of fuzz_uploads[upload]. */
static struct xmppd_config *
fuzz_parse(size_t upload)
{
	struct xmppd_config	*conf;
	const char		*u = fuzz_uploads[upload];
	char			 path[PATH_MAX];
	int			 fd;

	(void)snprintf(path, sizeof(path), "%s/xmppd.conf", fuzz_dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, fuzz_conf, sizeof(fuzz_conf) - 1) !=
	    sizeof(fuzz_conf) - 1 ||
	    write(fd, u, strlen(u)) != (ssize_t)strlen(u) || close(fd) == -1)
		abort();
	if ((conf = parse_config(path)) == NULL)
		abort();
	unlink(path);
	(void)strlcpy(conf->global.datadir, fuzz_dir,
	    sizeof(conf->global.datadir));
	fuzz_listen(conf);
	return (conf);
}

/*
 * In place of the bootstrap from the parent: the datadir is a directory
 * of the harness's, in memory when /dev/shm is there (the store and
 * uploadd sync what they write), and the cwd; uploadd's is its upload
 * directory, as it is chrooted to it.
 */
void
__wrap_proc_child_init(int type, int instance)
{
	struct proc_self	*ps = &proc_self;
	size_t			 i;
	int			 n[PROC_MAX] = { 0 };

	(void)snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/fuzz_proc.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if ((fuzz_cwd = open(".", O_RDONLY | O_DIRECTORY)) == -1 ||
	    mkdtemp(fuzz_dir) == NULL || chdir(fuzz_dir) == -1)
		abort();
	atexit(fuzz_cleanup);
	ps->type = type;
	ps->instance = instance;
	ps->control_fd = -1;
	ps->evbase = event_init();
	ps->conf = fuzz_parse(0);
	if (type == PROC_UPLOADD && (mkdir("upload", 0700) == -1 ||
	    chdir("upload") == -1))
		abort();
	for (i = 0; i < sizeof(fuzz_peers) / sizeof(fuzz_peers[0]); i++)
		fuzz_link(fuzz_peers[i], n[fuzz_peers[i]]++);
}

void
__wrap_proc_child_run(void)
{
	if (fchdir(fuzz_cwd) == -1)
		abort();
	longjmp(fuzz_started, 1);
}

void
__wrap_sandbox(const char *promises)
{
	(void)promises;
}

/*
 * A login's grant is a MAC a fuzzer cannot make: one of GRANT_LEN zero
 * bytes is taken for a login the store granted, so that a stream's
 * bound sessions are fuzzed too.
 */
int
__wrap_grant_ok(const uint8_t *key, int stream, uint32_t id,
    const char *localpart, const char *domain, const uint8_t *grant)
{
	static const uint8_t	 zero[GRANT_LEN];

	return (memcmp(grant, zero, sizeof(zero)) == 0 ||
	    __real_grant_ok(key, stream, id, localpart, domain, grant));
}

/*
 * Leaks are looked for in what a hostile peer made the process do, and
 * a fatal() then is a bug; what a process but a stream wrote is
 * trusted (fuzz_read()).
 */
static void
fuzz_trust(int trusted)
{
	fuzz_trusted = trusted;
	if (trusted && !fuzz_lsan_off)
		__lsan_disable();
	else if (!trusted && fuzz_lsan_off)
		__lsan_enable();
	fuzz_lsan_off = trusted;
}

#ifdef FUZZ_UPLOADD
/*
 * uploadd's slots and secret are drawn at random: here the n-th number
 * drawn in an input, zeros but for its last bytes, so that an input can
 * name the slots it is given (00...01 first) in its HTTP requests.
 */
void
__wrap_arc4random_buf(void *buf, size_t len)
{
	uint8_t		*p = buf;
	uint64_t	 n = ++fuzz_random;
	size_t		 i;

	memset(buf, 0, len);
	for (i = len; i > 0 && n > 0; i--, n >>= 8)
		p[i - 1] = n & 0xff;
}

/* A PUT URL's signature of UPLOAD_SIG_LEN zeros passes (see grant_ok). */
int
__wrap_upload_sign_check(const struct upload_file *f, const char *sig)
{
	if (sig != NULL && strspn(sig, "0") == 64 && sig[64] == '\0')
		return (0);
	return (__real_upload_sign_check(f, sig));
}

/*
 * A stanza the router passed on is what a client wrote: once it reads,
 * the rest of its handling is a hostile peer's.
 */
int
__wrap_stanza_recv(struct imsg *imsg, struct stanza_msg *m)
{
	int	 rc;

	if ((rc = __real_stanza_recv(imsg, m)) == 0 && fuzz_iev != NULL)
		fuzz_trust(0);
	return (rc);
}
#endif

/*
 * The process stops.  On what a process but a stream wrote, that is
 * proc.c's answer too (proc_refused()): the link closes.  Anything else
 * is said on stderr, with where, for the crash report: a stream's
 * message is refused, never a reason to stop.
 */
static void
fuzz_stop(const char *fmt, va_list ap)
{
	if (fuzz_iev != NULL && fuzz_trusted)
		longjmp(fuzz_refused, 1);
	fprintf(stderr, "fatal: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	abort();
}

void
__wrap_fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fuzz_stop(fmt, ap);
	va_end(ap);
}

void
__wrap_fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fuzz_stop(fmt, ap);
	va_end(ap);
}

/* A link as new: nothing read, nothing queued for the peer. */
static void
fuzz_reset(struct imsgev *iev, int fd)
{
	imsgbuf_clear(&iev->ibuf);
	imsgbuf_init(&iev->ibuf, fd);
	imsgbuf_allow_fdpass(&iev->ibuf);
	imsgbuf_set_maxsize(&iev->ibuf, FUZZ_MAXSIZE);
}

/* As proc.c's proc_handle(): -1 when a message was refused. */
static int
fuzz_handle(struct imsgev *iev)
{
	struct proc_self	*ps = &proc_self;
	ssize_t			 n;
	int			 r = 0;

	if (ps->batch_begin != NULL)
		ps->batch_begin();
	while ((n = imsg_get(&iev->ibuf, &fuzz_imsg)) > 0) {
		fuzz_trust(iev->type != PROC_STREAM);
		fuzz_inimsg = 1;
		r = ps->dispatch(iev, &fuzz_imsg);
		fuzz_inimsg = 0;
		imsg_free(&fuzz_imsg);
		if (r == -1)
			break;
	}
	if (ps->batch_end != NULL)
		ps->batch_end();
	return (n == -1 ? -1 : r);
}

/* A link as new: nothing unread, nothing queued either way. */
static void
fuzz_clear(struct imsgev *iev)
{
	char	 buf[4096];
	int	 far = fuzz_far(iev);

	while (fuzz_pending(far) > 0)
		(void)read(far, buf, sizeof(buf));
	while (fuzz_pending(iev->ibuf.fd) > 0)
		(void)read(iev->ibuf.fd, buf, sizeof(buf));
	fuzz_reset(iev, iev->ibuf.fd);
}

/*
 * The process reads and handles what its peer wrote on the link, as
 * proc.c does; a refusal closes the link, and the peer comes back on a
 * new one (restarted).  What a process but a stream writes is trusted:
 * a fatal() is the answer to a malformed message, and what it left
 * allocated is not a leak, so leaks are looked for in what streams
 * write only.
 */
static void
fuzz_read(struct imsgev *iev)
{
	struct proc_self	*ps = &proc_self;

	fuzz_iev = iev;
	fuzz_trust(iev->type != PROC_STREAM);
	if (setjmp(fuzz_refused) == 0) {
		do {
			if (imsgbuf_read(&iev->ibuf) == -1 ||
			    fuzz_handle(iev) == -1)
				goto refused;
		} while (fuzz_pending(iev->ibuf.fd) > 0);
		goto done;
	}
	/* A refusal by fatalx(), as if the handler returned -1. */
	if (fuzz_inimsg)
		imsg_free(&fuzz_imsg);
	fuzz_inimsg = 0;
	if (ps->batch_end != NULL)
		ps->batch_end();
 refused:
	if (ps->peer_down != NULL)
		ps->peer_down(iev);
	fuzz_clear(iev);
 done:
	fuzz_trust(0);
	fuzz_iev = NULL;
}

static void
fuzz_feed(struct imsgev *iev, const uint8_t *msg, size_t len)
{
	if (write(fuzz_far(iev), msg, len) != (ssize_t)len)
		abort();
	fuzz_read(iev);
}

#ifdef FUZZ_UPLOADD
/* A message the peer composes, with a descriptor when fd is not -1. */
static void
fuzz_compose(struct imsgev *iev, uint32_t type, uint32_t peerid,
    uint32_t pid, int fd, const void *data, size_t len)
{
	struct imsgbuf	 far;

	if (imsgbuf_init(&far, fuzz_far(iev)) == -1)
		abort();
	imsgbuf_allow_fdpass(&far);
	imsgbuf_set_maxsize(&far, FUZZ_MAXSIZE);
	if (imsg_compose(&far, type, peerid, pid, fd, data, len) == -1 ||
	    imsgbuf_flush(&far) == -1)
		abort();
	imsgbuf_clear(&far);
	fuzz_read(iev);
}

/*
 * A stream passes a connection with its message (the FD mark in the
 * header's length): one end of a socketpair whose other end, the
 * client, is gone.
 */
static void
fuzz_feed_fd(struct imsgev *iev, const struct imsg_hdr *hdr,
    const uint8_t *data)
{
	int	 sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sp) == -1)
		abort();
	close(sp[1]);
	fuzz_compose(iev, hdr->type, hdr->peerid, hdr->pid, sp[0], data,
	    hdr->len - sizeof(*hdr));
}

/* The process's events that are ready, until none is left. */
static void
fuzz_loop(void)
{
	(void)event_base_loop(proc_self.evbase, EVLOOP_NONBLOCK);
}

/*
 * An HTTP client of uploadd's listener: it connects, writes the bytes,
 * shuts its side and reads until uploadd closes the connection, or
 * until nothing moves for a while (uploadd is waiting on a timer).
 */
static void
fuzz_http(const uint8_t *req, size_t len)
{
	struct sockaddr_in	 sin;
	char			 buf[65536];
	size_t			 off = 0;
	ssize_t			 n;
	int			 s, idle = 0, moved, shut = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(fuzz_port);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || (connect(s, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1 && errno != EINPROGRESS))
		abort();
	while (idle < 64) {
		moved = 0;
		if (off < len) {
			n = send(s, req + off, len - off, MSG_NOSIGNAL);
			if (n > 0) {
				off += n;
				moved = 1;
			} else if (n == -1 && errno != EAGAIN &&
			    errno != ENOTCONN)
				off = len;	/* closed by uploadd */
		}
		if (off == len && !shut) {
			(void)shutdown(s, SHUT_WR);
			shut = 1;
		}
		fuzz_loop();
		if ((n = read(s, buf, sizeof(buf))) == 0 ||
		    (n == -1 && errno != EAGAIN))
			break;
		if (n > 0)
			moved = 1;
		idle = moved ? 0 : idle + 1;
	}
	close(s);
	fuzz_loop();
}

/*
 * The parent's configuration, reloaded: fuzz_uploads[which] and a new
 * listener, switched to as proc.c switches (config_commit).
 */
static void
fuzz_reload(size_t which)
{
	struct proc_self	*ps = &proc_self;
	struct xmppd_config	*old = ps->conf;

	ps->conf = fuzz_parse(which);
	fuzz_variant = which;
	if (ps->config_commit != NULL)
		ps->config_commit(old, ps->conf);
	config_free(old);
}

/*
 * The descriptors this process holds, said on stderr when say is set;
 * not pipes, which the sanitizers open to their symbolizer when they
 * first need it, and uploadd never does.
 */
static int
fuzz_fds(int say)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[PATH_MAX], to[PATH_MAX];
	ssize_t		 len;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return (0);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "/proc/self/fd/%s",
		    e->d_name);
		if ((len = readlink(path, to, sizeof(to) - 1)) == -1)
			continue;
		to[len] = '\0';
		if (strncmp(to, "pipe:", 5) == 0)
			continue;
		n++;
		if (say)
			fprintf(stderr, "fd %s: %s\n", e->d_name, to);
	}
	closedir(d);
	return (n);
}

/*
 * Every connection of an input goes once its client has: it waits on
 * a timer at most (the body rate), never ten seconds.
 */
static void
fuzz_upload_drain(void)
{
	struct timeval	 tv = { 0, 1000 };
	int		 i;

	for (i = 0; http_conn_count() > 0; i++) {
		if (i == 10000) {
			fprintf(stderr, "%d connections outlive their "
			    "clients\n", http_conn_count());
			abort();
		}
		(void)event_base_loopexit(proc_self.evbase, &tv);
		(void)event_base_loop(proc_self.evbase, EVLOOP_ONCE);
	}
}

/*
 * After an input, uploadd as before it: the first configuration, every
 * slot and file purged (xmppctl upload purge all), every connection
 * closed, and no more descriptors open than once started (one left
 * behind a request is one a client can take every time).
 */
static void
fuzz_upload_end(void)
{
	struct ctl_upload	 cu;
	int			 n;

	if (fuzz_variant != 0)
		fuzz_reload(0);
	memset(&cu, 0, sizeof(cu));
	fuzz_compose(proc_peer(PROC_ROUTER, 0), IMSG_CTL_UPLOAD_PURGE, 0, 0,
	    -1, &cu, sizeof(cu));
	fuzz_loop();
	fuzz_upload_drain();
	if ((n = fuzz_fds(0)) > fuzz_nfds) {
		fprintf(stderr, "%d descriptors left open\n", n - fuzz_nfds);
		(void)fuzz_fds(1);
		abort();
	}
}
#endif

#ifdef FUZZ_ROUTER
/*
 * The store, as far as the router needs it to go on with a session: a
 * request for XML items (the block list a bound session waits for) is
 * answered at once, nothing found.  Anything else the router wrote to
 * the store is dropped.
 */
static void
fuzz_store(void)
{
	struct imsgev	*st = proc_peer(PROC_STORE, 0);
	struct imsgbuf	 far;
	struct imsg	 imsg;
	struct xs_req	 req;
	int		 round, answered;

	if (imsgbuf_init(&far, fuzz_far(st)) == -1)
		abort();
	imsgbuf_set_maxsize(&far, FUZZ_MAXSIZE);
	for (round = 0; round < 8; round++) {
		answered = 0;
		while (imsgbuf_queuelen(&st->ibuf) > 0) {
			if (imsgbuf_write(&st->ibuf) == -1)
				abort();
			do {
				if (imsgbuf_read(&far) == -1)
					abort();
			} while (fuzz_pending(far.fd) > 0);
			while (imsg_get(&far, &imsg) > 0) {
				if (imsg_get_type(&imsg) == IMSG_XS_REQUEST &&
				    imsg_get_len(&imsg) >= sizeof(req)) {
					memcpy(&req, imsg.data, sizeof(req));
					req.status = XS_NOT_FOUND;
					if (imsg_compose(&far, IMSG_XS_END,
					    imsg_get_id(&imsg), 0, -1, &req,
					    sizeof(req)) == -1)
						abort();
					answered = 1;
				}
				imsg_free(&imsg);
			}
		}
		if (!answered)
			break;
		if (imsgbuf_flush(&far) == -1)
			abort();
		fuzz_read(st);
	}
	imsgbuf_clear(&far);
}
#endif

static void
fuzz_start(void)
{
	char	*argv[] = { "fuzz", NULL };
	int	 sp[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) == -1)
		abort();
	/* As the process's event loop takes it: a client gone. */
	(void)signal(SIGPIPE, SIG_IGN);
	log_init(1, 0);
	/* FUZZ_LOG in the environment: the process's log on stderr. */
	if (getenv("FUZZ_LOG") == NULL)
		log_setfd(sp[0]);
	log_setverbose(getenv("FUZZ_LOG") != NULL ? 2 : 0);
	(void)argv;
	if (setjmp(fuzz_started) == 0) {
#if defined(FUZZ_ROUTER)
		router_main(0);
#elif defined(FUZZ_STORE)
		store_main(0);
#elif defined(FUZZ_LDAPAUTHD)
		(void)ldapauthd_main(1, argv);
#elif defined(FUZZ_MUCD)
		(void)mucd_main(1, argv);
#elif defined(FUZZ_UPLOADD)
		(void)uploadd_main(1, argv);
#endif
		abort();
	}
}

#ifndef FUZZ_UPLOADD
/*
 * Who writes a message: stream 0 or 1, or the router (the store's,
 * ldapauthd's, mucd's only peer), or the store (the router's).
 */
static struct imsgev *
fuzz_source(uint8_t b)
{
#if defined(FUZZ_MUCD)
	(void)b;
	return (proc_peer(PROC_ROUTER, 0));
#else
	if (b % 3 == 2)
		return (proc_peer(proc_self.type == PROC_ROUTER ? PROC_STORE :
		    PROC_ROUTER, 0));
	return (proc_peer(PROC_STREAM, b % 3));
#endif
}
#endif

/* The message of hdr from iev; data is its bytes, header included. */
static void
fuzz_message(struct imsgev *iev, const struct imsg_hdr *hdr,
    const uint8_t *data)
{
	uint8_t	*msg;

	if (iev == NULL || (msg = malloc(hdr->len)) == NULL)
		abort();
	memcpy(msg, hdr, sizeof(*hdr));
	memcpy(msg + sizeof(*hdr), data + sizeof(*hdr),
	    hdr->len - sizeof(*hdr));
	fuzz_feed(iev, msg, hdr->len);
	free(msg);
#ifdef FUZZ_ROUTER
	fuzz_store();
#endif
}

#ifdef FUZZ_UPLOADD
/*
 * uploadd's peers, by the message's first byte: stream 0 or 1 (with a
 * connection passed when the header has the FD mark), the router, an
 * HTTP client of uploadd's listener (the message's data is what it
 * sends), or the parent (a reload to the configuration the header's
 * peerid picks).
 */
static void
fuzz_upload_feed(uint8_t who, const struct imsg_hdr *hdr,
    const uint8_t *data, int fd)
{
	switch (who % 5) {
	case 0:
	case 1:
		if (fd)
			fuzz_feed_fd(proc_peer(PROC_STREAM, who % 5), hdr,
			    data + sizeof(*hdr));
		else
			fuzz_message(proc_peer(PROC_STREAM, who % 5), hdr,
			    data);
		break;
	case 2:
		fuzz_message(proc_peer(PROC_ROUTER, 0), hdr, data);
		break;
	case 3:
		fuzz_http(data + sizeof(*hdr), hdr->len - sizeof(*hdr));
		break;
	default:
		fuzz_reload(hdr->peerid %
		    (sizeof(fuzz_uploads) / sizeof(fuzz_uploads[0])));
		break;
	}
}
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct proc_self	*ps = &proc_self;
	struct imsgev		*iev;
	struct imsg_hdr		 hdr;
	int			 i, fd;

	if (ps->evbase == NULL) {
		fuzz_start();
#ifdef FUZZ_UPLOADD
		fuzz_nfds = fuzz_fds(0);
#endif
	}
#ifdef FUZZ_UPLOADD
	/* Its root, as chrooted; the fuzzer's own paths are relative. */
	if (chdir(fuzz_dir) == -1 || chdir("upload") == -1)
		abort();
	/* The random numbers drawn anew (the secret took one at start). */
	fuzz_random = 0;
#endif
	/* Messages: a byte for the peer, then the imsg header and data. */
	while (len > 1 + sizeof(hdr)) {
		memcpy(&hdr, data + 1, sizeof(hdr));
		fd = (hdr.len & IMSG_FD_MARK) != 0;
		hdr.len &= ~IMSG_FD_MARK;
		if (hdr.len < sizeof(hdr) || hdr.len > len - 1)
			hdr.len = len - 1;
#ifdef FUZZ_UPLOADD
		fuzz_upload_feed(data[0], &hdr, data + 1, fd);
#else
		(void)fd;
		fuzz_message(fuzz_source(data[0]), &hdr, data + 1);
#endif
		data += 1 + hdr.len;
		len -= 1 + hdr.len;
	}
	for (i = 0; i < FUZZ_STREAMS; i++)
		if ((iev = proc_peer(PROC_STREAM, i)) != NULL &&
		    ps->peer_down != NULL)
			ps->peer_down(iev);
#ifdef FUZZ_UPLOADD
	fuzz_upload_end();
#endif
	for (i = 0; i < fuzz_nlinks; i++)
		fuzz_clear(fuzz_links[i].iev);
#ifdef FUZZ_UPLOADD
	if (fchdir(fuzz_cwd) == -1)
		abort();
#endif
	return (0);
}
