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

#include <sanitizer/lsan_interface.h>

#include <dirent.h>
#include <event.h>
#include <fcntl.h>
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
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "xmppd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	ldapauthd_main(int, char *[]);
int	mucd_main(int, char *[]);
void	__wrap_proc_child_init(int, int);
void	__wrap_proc_child_run(void);
void	__wrap_sandbox(const char *);
void	__wrap_fatal(const char *, ...);
void	__wrap_fatalx(const char *, ...);
int	__real_grant_ok(const uint8_t *, int, uint32_t, const char *,
	    const char *, const uint8_t *);
int	__wrap_grant_ok(const uint8_t *, int, uint32_t, const char *,
	    const char *, const uint8_t *);

#define FUZZ_STREAMS	2
#define FUZZ_MAXSIZE	(4 * 1024 * 1024)	/* common/proc.c's */

static const char fuzz_conf[] =
    "tls keypair \"example.org\" certificate \"/etc/ssl/e.pem\"\n"
    "domain \"example.org\" {\n"
    "\tadmin \"admin@example.org\"\n"
    "}\n"
    "domain \"example.net\"\n"
    "muc \"conference.example.org\"\n"
    "upload \"upload.example.org\" {\n"
    "\turl \"https://upload.example.org/\"\n"
    "}\n"
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

/* The peers a router or a store has, and those a fuzzed input comes from. */
static const int fuzz_peers[] = {
	PROC_STREAM, PROC_STREAM, PROC_ROUTER, PROC_STORE, PROC_LDAPAUTHD,
	PROC_MUCD, PROC_UPLOADD, PROC_RESOLVER, PROC_CONTROL
};
static int		 fuzz_cwd = -1;
static char		 fuzz_dir[] = "/tmp/fuzz_proc.XXXXXX";
static jmp_buf		 fuzz_started;
static jmp_buf		 fuzz_refused;
static struct imsgev	*fuzz_iev;	/* the link being read */
static struct imsg	 fuzz_imsg;	/* being handled */
static int		 fuzz_inimsg;
static int		 fuzz_trusted;	/* the peer is not a stream */
static struct {
	struct imsgev	*iev;		/* the process's end */
	int		 far;		/* the peer's */
}			 fuzz_links[16];
static int		 fuzz_nlinks;

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
	imsgev_init(iev, sp[1], type, instance, NULL, NULL);
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

/* The datadir and what the store left in it. */
static void
fuzz_cleanup(void)
{
	DIR		*d;
	struct dirent	*e;

	if ((d = opendir(fuzz_dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			(void)unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	(void)rmdir(fuzz_dir);
}

/* In place of the bootstrap from the parent: the datadir is the cwd. */
void
__wrap_proc_child_init(int type, int instance)
{
	struct proc_self	*ps = &proc_self;
	char			 path[64];
	size_t			 i;
	int			 fd, n[PROC_MAX] = { 0 };

	if ((fuzz_cwd = open(".", O_RDONLY | O_DIRECTORY)) == -1 ||
	    mkdtemp(fuzz_dir) == NULL || chdir(fuzz_dir) == -1)
		abort();
	atexit(fuzz_cleanup);
	(void)snprintf(path, sizeof(path), "%s/xmppd.conf", fuzz_dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, fuzz_conf, sizeof(fuzz_conf) - 1) !=
	    sizeof(fuzz_conf) - 1 || close(fd) == -1)
		abort();
	ps->type = type;
	ps->instance = instance;
	ps->control_fd = -1;
	ps->evbase = event_init();
	if ((ps->conf = parse_config(path)) == NULL)
		abort();
	(void)strlcpy(ps->conf->global.datadir, fuzz_dir,
	    sizeof(ps->conf->global.datadir));
	unlink(path);
	for (i = 0; i < sizeof(fuzz_peers) / sizeof(fuzz_peers[0]); i++)
		fuzz_link(fuzz_peers[i], n[fuzz_peers[i]]++);
}

void
__wrap_proc_child_run(void)
{
	if (fchdir(fuzz_cwd) == -1)
		abort();
	close(fuzz_cwd);
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
 * The process stops.  On what a process but a stream wrote, that is
 * proc.c's answer too (proc_refused()): the link closes.  Anything else
 * is said on stderr, with where, for the crash report: a stream's
 * message is refused, never a reason to stop.
 */
static void
fuzz_stop(const char *fmt, va_list ap)
{
	if (fuzz_iev != NULL && fuzz_iev->type != PROC_STREAM)
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
	fuzz_trusted = iev->type != PROC_STREAM;
	if (fuzz_trusted)
		__lsan_disable();
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
	if (fuzz_trusted)
		__lsan_enable();
	fuzz_iev = NULL;
}

static void
fuzz_feed(struct imsgev *iev, const uint8_t *msg, size_t len)
{
	if (write(fuzz_far(iev), msg, len) != (ssize_t)len)
		abort();
	fuzz_read(iev);
}

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
#endif
		abort();
	}
}

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct proc_self	*ps = &proc_self;
	struct imsgev		*iev;
	struct imsg_hdr		 hdr;
	uint8_t			*msg;
	int			 i;

	if (ps->evbase == NULL)
		fuzz_start();
	/* Messages: a byte for the peer, then the imsg header and data. */
	while (len > 1 + sizeof(hdr)) {
		if ((iev = fuzz_source(data[0])) == NULL)
			abort();
		memcpy(&hdr, data + 1, sizeof(hdr));
		data += 1;
		len -= 1;
		hdr.len &= ~IMSG_FD_MARK;
		if (hdr.len < sizeof(hdr) || hdr.len > len)
			hdr.len = len;
		if ((msg = malloc(hdr.len)) == NULL)
			abort();
		memcpy(msg, &hdr, sizeof(hdr));
		memcpy(msg + sizeof(hdr), data + sizeof(hdr),
		    hdr.len - sizeof(hdr));
		fuzz_feed(iev, msg, hdr.len);
		free(msg);
#ifdef FUZZ_ROUTER
		fuzz_store();
#endif
		data += hdr.len;
		len -= hdr.len;
	}
	for (i = 0; i < FUZZ_STREAMS; i++)
		if ((iev = proc_peer(PROC_STREAM, i)) != NULL &&
		    ps->peer_down != NULL)
			ps->peer_down(iev);
	for (i = 0; i < fuzz_nlinks; i++)
		fuzz_clear(fuzz_links[i].iev);
	return (0);
}
