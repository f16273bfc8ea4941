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
 * sandbox() on Linux: each case forks a child that sandboxes itself and
 * answers with its exit status (0, or the number of the step that went
 * wrong) or its death; the parent reads what it sent on PROC_LOG_FD.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "sandbox.h"
#include "test.h"

#define O_TMPFILE_BIT	020000000	/* O_TMPFILE without O_DIRECTORY */

struct result {
	int	 status;
	char	 log[LOG_LINE_MAX + 1];	/* first datagram, NUL added */
	ssize_t	 loglen;
	char	 err[1024];		/* what the child wrote on stderr */
};

/* Kernel struct sigaction, for the raw rt_sigaction call. */
struct test_ksigaction {
	void		*handler;
	unsigned long	 flags;
	void		*restorer;
	unsigned long	 mask;
};

static void	run(const char *, int (*)(void), struct result *, int);
static int	killed(const struct result *);
static int	exited(const struct result *, int);
static int	syscall_nr(const char *);
static int	violation(const struct result *, const char *);
static void	timer_cb(int, short, void *);
static void	read_cb(int, short, void *);
static void	usr1(int);
static int	cmp_int(const void *, const void *);
static int	open_denied(int, int);
static int	c_stdio(void);
static int	c_socket(void);
static int	c_open_stdio(void);
static int	c_open_rpath(void);
static int	c_open_matrix(void);
static int	c_files(void);
static int	c_mprotect_exec(void);
static int	c_mmap_exec(void);
static int	c_sigsys(void);
static int	c_sigsys_high(void);
static int	c_recvfd(void);
static int	c_execve(void);
static int	c_fork(void);
static int	c_fork_proc(void);
static int	c_kill_other(void);
static int	c_setrlimit(void);
static int	c_tiocsti(void);
static int	c_fcntl_lock(void);
static int	c_flock(void);
static int	c_inet(void);
static int	c_unix(void);
static int	c_nothing(void);
static int	c_read_only(void);
static int	c_read_nothing(void);
static void	test_read_only(void);
static void	test_proc_status(void);
static void	test_stdio(void);
static void	test_files(void);
static void	test_recvfd(const char *);
static void	test_promises(void);

static char			 tmpdir[] = "/tmp/test_sandbox.XXXXXX";
static char			 testfile[64], newfile[64];
static int			 matrix_flags, fdsock;
/* For run(): sandbox_read_only(only) first, when set. */
static int			 only_set;
static const char		*only;
static volatile sig_atomic_t	 got_usr1;

/* Fork a child that sandboxes itself with promises and runs fn. */
static void
run(const char *promises, int (*fn)(void), struct result *r, int logsock)
{
	int	 sv[2], ep[2];
	ssize_t	 n;
	pid_t	 pid;

	memset(r, 0, sizeof(*r));
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == -1 || pipe(ep) == -1) {
		perror("socketpair");
		exit(1);
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		close(sv[0]);
		close(ep[0]);
		dup2(ep[1], STDERR_FILENO);
		if (ep[1] != STDERR_FILENO)
			close(ep[1]);
		if (logsock) {
			if (sv[1] != PROC_LOG_FD) {
				dup2(sv[1], PROC_LOG_FD);
				close(sv[1]);
			}
			log_setfd(PROC_LOG_FD);
		} else {
			close(sv[1]);
			close(PROC_LOG_FD);
		}
		if (only_set)
			sandbox_read_only(only);
		sandbox(promises);
		_exit(fn());
	}
	close(sv[1]);
	close(ep[1]);
	if (waitpid(pid, &r->status, 0) == -1) {
		perror("waitpid");
		exit(1);
	}
	r->loglen = recv(sv[0], r->log, sizeof(r->log) - 1, MSG_DONTWAIT);
	if (r->loglen > 0)
		r->log[r->loglen] = '\0';
	if ((n = read(ep[0], r->err, sizeof(r->err) - 1)) > 0)
		r->err[n] = '\0';
	close(sv[0]);
	close(ep[0]);
}

static int
killed(const struct result *r)
{
	return (WIFSIGNALED(r->status) && WTERMSIG(r->status) == SIGSYS &&
	    !WCOREDUMP(r->status));
}

static int
exited(const struct result *r, int code)
{
	return (WIFEXITED(r->status) && WEXITSTATUS(r->status) == code);
}

static int
syscall_nr(const char *name)
{
	int	 nr;

	for (nr = 0; nr < 1024; nr++)
		if (strcmp(sandbox_syscall_name(nr), name) == 0)
			return (nr);
	return (-1);
}

/* The SIGSYS handler's datagram: LOG_CRIT, then the line, no NUL. */
static int
violation(const struct result *r, const char *name)
{
	char	 want[128];
	int	 nr;

	if ((nr = syscall_nr(name)) == -1)
		return (0);
	snprintf(want, sizeof(want), "sandbox violation: system call %s (%d)",
	    name, nr);
	return (r->loglen == (ssize_t)strlen(want) + 1 &&
	    r->log[0] == LOG_CRIT && strcmp(r->log + 1, want) == 0);
}

static void
timer_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	*(int *)arg = 1;
}

static void
read_cb(int fd, short ev, void *arg)
{
	struct evbuffer	*buf;

	(void)ev;
	if ((buf = evbuffer_new()) == NULL)
		return;
	/* evbuffer_read sizes its read with ioctl(FIONREAD). */
	if (evbuffer_read(buf, fd, -1) == 5)
		*(int *)arg = 1;
	evbuffer_free(buf);
}

static void
usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static int
cmp_int(const void *a, const void *b)
{
	return (*(const int *)a - *(const int *)b);
}

/* A steady state: malloc, sockets, libevent, randomness, time, signals. */
static int
c_stdio(void)
{
	struct event_base	*base;
	struct event		*timer, *rd, *sig;
	struct timeval		 tv = { 0, 10000 };
	struct timespec		 ts;
	struct rlimit		 rl;
	struct stat		 sb;
	char			*small, *big, buf[16];
	int			*ints, sv[2], fired = 0, readable = 0, i;
	int			 signalled = 0;

	if ((small = malloc(32)) == NULL || (big = malloc(64 << 20)) == NULL)
		return (1);
	memset(big, 'x', 64 << 20);
	if ((big = realloc(big, 128 << 20)) == NULL)
		return (2);
	free(big);
	free(small);
	if ((big = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		return (3);
	big[0] = 1;
	if (mprotect(big, 1 << 20, PROT_READ) == -1 ||
	    munmap(big, 1 << 20) == -1)
		return (4);

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return (5);
	if (fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK) == -1 ||
	    fcntl(sv[0], F_SETFD, FD_CLOEXEC) == -1)
		return (6);
	if (fstat(sv[0], &sb) == -1 || !S_ISSOCK(sb.st_mode))
		return (7);
	if (write(sv[1], "hello", 5) != 5)
		return (8);

	if ((base = event_base_new()) == NULL)
		return (9);
	if (strcmp(event_base_get_method(base), "epoll") != 0)
		return (10);
	timer = evtimer_new(base, timer_cb, &fired);
	rd = event_new(base, sv[0], EV_READ, read_cb, &readable);
	sig = event_new(base, SIGUSR2, EV_SIGNAL, timer_cb, &signalled);
	if (timer == NULL || rd == NULL || sig == NULL ||
	    evtimer_add(timer, &tv) == -1 || event_add(rd, NULL) == -1 ||
	    evsignal_add(sig, NULL) == -1 || raise(SIGUSR2) != 0)
		return (11);
	if (event_base_dispatch(base) == -1 || !fired || !readable ||
	    !signalled)
		return (12);
	event_free(timer);
	event_free(rd);
	event_free(sig);
	event_base_free(base);

	if (getrandom(buf, sizeof(buf), 0) != sizeof(buf))
		return (13);
	arc4random_buf(buf, sizeof(buf));
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1 ||
	    clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return (14);
	if (signal(SIGUSR1, usr1) == SIG_ERR || raise(SIGUSR1) != 0 ||
	    !got_usr1)
		return (15);
	if (kill(getpid(), 0) == -1)
		return (16);
	if (getrlimit(RLIMIT_NPROC, &rl) == -1 || rl.rlim_max != 0 ||
	    getrlimit(RLIMIT_CORE, &rl) == -1 || rl.rlim_max != 0 ||
	    getrlimit(RLIMIT_FSIZE, &rl) == -1 || rl.rlim_max != 0)
		return (17);
	/* glibc's qsort asks sysinfo(2) for memory when sorting > 1k. */
	if ((ints = calloc(4096, sizeof(*ints))) == NULL)
		return (18);
	for (i = 0; i < 4096; i++)
		ints[i] = 4096 - i;
	qsort(ints, 4096, sizeof(*ints), cmp_int);
	if (ints[0] != 1)
		return (19);
	free(ints);
	errno = 0;
	if (isatty(sv[0]) || errno != ENOTTY)
		return (20);
	close(sv[0]);
	close(sv[1]);
	return (0);
}

static int
c_socket(void)
{
	(void)socket(AF_INET, SOCK_STREAM, 0);
	return (1);
}

static int
c_open_stdio(void)
{
	struct stat	 sb;

	if (open("/etc/passwd", O_RDONLY) != -1 || errno != EACCES)
		return (1);
	if (stat("/etc/passwd", &sb) != -1 || errno != EACCES)
		return (2);
	if (access("/etc/passwd", R_OK) != -1 || errno != EACCES)
		return (3);
	if (fopen("/etc/passwd", "r") != NULL || errno != EACCES)
		return (4);
	if (open(testfile, O_WRONLY | O_TRUNC) != -1 || errno != EACCES)
		return (5);
	return (0);
}

static int
c_open_rpath(void)
{
	struct stat	 sb;
	char		 buf[16];
	int		 fd;

	if ((fd = open("/etc/passwd", O_RDONLY)) == -1 ||
	    read(fd, buf, sizeof(buf)) <= 0 || close(fd) == -1)
		return (1);
	if (stat("/etc/passwd", &sb) == -1)
		return (2);
	if (open(testfile, O_WRONLY) != -1 || errno != EACCES)
		return (3);
	if (open(testfile, O_RDWR) != -1 || errno != EACCES)
		return (4);
	if (open(testfile, O_RDONLY | O_TRUNC) != -1 || errno != EACCES)
		return (5);
	if (open(newfile, O_RDONLY | O_CREAT, 0600) != -1 || errno != EACCES)
		return (6);
	return (0);
}

/* What pledge would refuse: read needs rpath, write wpath, create cpath. */
static int
open_denied(int promised, int flags)
{
	int	 mode = flags & O_ACCMODE;

	if (mode == 3)
		return (1);
	if ((mode == O_RDONLY || mode == O_RDWR) &&
	    (promised & 1) == 0)
		return (1);
	if ((mode == O_WRONLY || mode == O_RDWR || (flags & O_TRUNC)) &&
	    (promised & 2) == 0)
		return (1);
	if ((flags & (O_CREAT | O_TMPFILE_BIT)) && (promised & 4) == 0)
		return (1);
	return (0);
}

/* Every combination of the flags the filter looks at, open and openat. */
static int
c_open_matrix(void)
{
	static const int	 extra[] = { O_CREAT, O_TRUNC, O_TMPFILE_BIT };
	long			 fd;
	int			 i, j, flags, denied;

	for (i = 0; i < 32; i++) {
		flags = i & O_ACCMODE;
		for (j = 0; j < 3; j++)
			if (i & (4 << j))
				flags |= extra[j];
		denied = open_denied(matrix_flags, flags);
		fd = syscall(SYS_openat, AT_FDCWD, testfile, flags, 0600);
		if ((fd == -1 && errno == EACCES) != denied)
			return (1 + i);
		if (fd != -1)
			close(fd);
#ifdef SYS_open
		fd = syscall(SYS_open, testfile, flags, 0600);
		if ((fd == -1 && errno == EACCES) != denied)
			return (33 + i);
		if (fd != -1)
			close(fd);
#endif
	}
	return (0);
}

static int
c_files(void)
{
	char	 other[80], dir[80];
	int	 fd;

	snprintf(other, sizeof(other), "%s/renamed", tmpdir);
	snprintf(dir, sizeof(dir), "%s/dir", tmpdir);
	if ((fd = open(newfile, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return (1);
	if (write(fd, "data", 4) != 4 || fsync(fd) == -1 ||
	    fdatasync(fd) == -1 || ftruncate(fd, 2) == -1 || close(fd) == -1)
		return (2);
	if (rename(newfile, other) == -1 || unlink(other) == -1)
		return (3);
	if (mkdir(dir, 0700) == -1 || rmdir(dir) == -1)
		return (4);
	return (0);
}

static int
c_mprotect_exec(void)
{
	void	*p;

	if ((p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		return (2);
	(void)mprotect(p, 4096, PROT_READ | PROT_EXEC);
	return (1);
}

static int
c_mmap_exec(void)
{
	(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return (1);
}

static int
c_sigsys(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGSYS, &sa, NULL);
	return (1);
}

/* The kernel reads an int: upper bits must not smuggle SIGSYS in. */
static int
c_sigsys_high(void)
{
	struct test_ksigaction	 ksa;

	memset(&ksa, 0, sizeof(ksa));
	ksa.handler = SIG_IGN;
	(void)syscall(SYS_rt_sigaction, (1UL << 32) | SIGSYS, &ksa, NULL,
	    sizeof(ksa.mask));
	return (1);
}

/* Receive the pipe the parent queued on fdsock and read from it. */
static int
c_recvfd(void)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	char		 c, buf[8];
	int		 fd;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &c;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	if (recvmsg(fdsock, &msg, 0) != 1)
		return (1);
	if ((cmsg = CMSG_FIRSTHDR(&msg)) == NULL ||
	    cmsg->cmsg_type != SCM_RIGHTS)
		return (2);
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(fd));
	if (read(fd, buf, sizeof(buf)) != 5 || memcmp(buf, "hello", 5) != 0)
		return (3);
	return (0);
}

static int
c_execve(void)
{
	char	*argv[] = { "true", NULL };

	(void)execve("/bin/true", argv, NULL);
	return (1);
}

static int
c_fork(void)
{
	(void)fork();
	return (1);
}

static int
c_fork_proc(void)
{
	struct rlimit	 rl;
	pid_t		 pid;
	int		 status;

	if (getrlimit(RLIMIT_NPROC, &rl) == -1 || rl.rlim_max == 0)
		return (1);
	if ((pid = fork()) == -1)
		return (2);
	if (pid == 0)
		_exit(7);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 7)
		return (3);
	return (0);
}

static int
c_kill_other(void)
{
	(void)kill(getppid(), 0);
	return (1);
}

static int
c_setrlimit(void)
{
	struct rlimit	 rl = { 0, 0 };

	(void)setrlimit(RLIMIT_NOFILE, &rl);
	return (1);
}

static int
c_tiocsti(void)
{
	char	 c = 'x';

	(void)ioctl(STDIN_FILENO, TIOCSTI, &c);
	return (1);
}

static int
c_fcntl_lock(void)
{
	struct flock	 fl;
	int		 fd;

	if ((fd = open(testfile, O_RDWR)) == -1)
		return (2);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) == -1)
		return (3);
	return (0);
}

static int
c_flock(void)
{
	int	 fd;

	if ((fd = open(testfile, O_RDONLY)) == -1)
		return (1);
	if (flock(fd, LOCK_EX) == -1 || flock(fd, LOCK_UN) == -1)
		return (2);
	if (c_fcntl_lock() != 0)
		return (3);
	return (0);
}

static int
c_inet(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s, c, a;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    (c = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (1);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 1) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1)
		return (2);
	if (connect(c, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (a = accept(s, NULL, NULL)) == -1)
		return (3);
	if (write(c, "x", 1) != 1 || read(a, &sin, 1) != 1)
		return (4);
	/* inet is not unix. */
	(void)socket(AF_UNIX, SOCK_STREAM, 0);
	return (5);
}

static int
c_unix(void)
{
	if (socket(AF_UNIX, SOCK_STREAM, 0) == -1)
		return (1);
	(void)socket(AF_INET, SOCK_DGRAM, 0);
	return (2);
}

static int
c_nothing(void)
{
	return (0);
}

/* The kernel's view, read by the parent while the child waits. */
static void
test_proc_status(void)
{
	FILE	*fp;
	char	 path[64], line[256], c;
	int	 ready[2], go[2], nnp = 0, seccomp = 0, status;
	pid_t	 pid;

	if (pipe(ready) == -1 || pipe(go) == -1) {
		perror("pipe");
		exit(1);
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		sandbox("stdio");
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) == 1) {
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		if ((fp = fopen(path, "r")) != NULL) {
			while (fgets(line, sizeof(line), fp) != NULL) {
				if (strcmp(line, "NoNewPrivs:\t1\n") == 0)
					nnp = 1;
				if (strcmp(line, "Seccomp:\t2\n") == 0)
					seccomp = 1;
			}
			fclose(fp);
		}
	}
	close(go[1]);
	close(ready[0]);
	waitpid(pid, &status, 0);
	CHECK(nnp, "proc status: NoNewPrivs:\t1");
	CHECK(seccomp, "proc status: Seccomp:\t2 (filter mode)");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "proc status: child exits 0");
}

static void
test_stdio(void)
{
	struct result	 r;
	char		 expect[64];

	CHECK(strcmp(sandbox_syscall_name(SYS_socket), "socket") == 0,
	    "sandbox_syscall_name(SYS_socket) is socket");
	CHECK(strcmp(sandbox_syscall_name(-1), "unknown") == 0,
	    "sandbox_syscall_name(-1) is unknown");
	CHECK(strcmp(sandbox_syscall_name(100000), "unknown") == 0,
	    "sandbox_syscall_name(100000) is unknown");

	run("stdio", c_stdio, &r, 1);
	CHECK(exited(&r, 0), "stdio: malloc, socketpair, libevent, getrandom, "
	    "clock, signals, qsort (status %#x)", r.status);
	CHECK(r.loglen == -1, "stdio: nothing logged");

	run("stdio", c_socket, &r, 1);
	CHECK(killed(&r), "stdio: socket(AF_INET) dies of SIGSYS (status %#x)",
	    r.status);
	CHECK(violation(&r, "socket"), "stdio: socket logged on fd 4 at "
	    "LOG_CRIT: \"%s\"", r.loglen > 1 ? r.log + 1 : "");

	run("stdio", c_socket, &r, 0);
	snprintf(expect, sizeof(expect),
	    "sandbox violation: system call socket (%d)\n", SYS_socket);
	CHECK(killed(&r) && strcmp(r.err, expect) == 0,
	    "stdio: without fd 4 the violation goes to stderr");

	run("stdio", c_mprotect_exec, &r, 1);
	CHECK(killed(&r) && violation(&r, "mprotect"),
	    "stdio: mprotect(PROT_EXEC) dies, logged");
	run("stdio", c_mmap_exec, &r, 1);
	CHECK(killed(&r) && violation(&r, "mmap"),
	    "stdio: mmap(PROT_EXEC) dies, logged");
	run("stdio", c_sigsys, &r, 1);
	CHECK(killed(&r) && violation(&r, "rt_sigaction"),
	    "stdio: sigaction(SIGSYS) dies, logged");
	run("stdio", c_sigsys_high, &r, 1);
	CHECK(killed(&r) && violation(&r, "rt_sigaction"),
	    "stdio: rt_sigaction(1 << 32 | SIGSYS) dies, logged");
	run("stdio", c_kill_other, &r, 1);
	CHECK(killed(&r) && violation(&r, "kill"),
	    "stdio: kill(parent) dies, logged");
	run("stdio", c_setrlimit, &r, 1);
	CHECK(killed(&r) && violation(&r, "prlimit64"),
	    "stdio: setrlimit dies, logged as prlimit64");
	run("stdio", c_tiocsti, &r, 1);
	CHECK(killed(&r) && violation(&r, "ioctl"),
	    "stdio: ioctl(TIOCSTI) dies, logged");
}

static void
test_files(void)
{
	static const char	*matrix[] = { "stdio", "stdio rpath",
				    "stdio wpath", "stdio cpath",
				    "stdio rpath wpath", "stdio rpath cpath",
				    "stdio wpath cpath",
				    "stdio rpath wpath cpath" };
	struct result		 r;
	struct stat		 sb;
	size_t			 i;

	run("stdio", c_open_stdio, &r, 1);
	CHECK(exited(&r, 0), "stdio: open, stat, access fail with EACCES "
	    "(status %#x)", r.status);
	run("stdio rpath", c_open_rpath, &r, 1);
	CHECK(exited(&r, 0), "stdio rpath: read-only open works, write, "
	    "truncate, create fail with EACCES (status %#x)", r.status);
	CHECK(stat(testfile, &sb) == 0 && sb.st_size == 8 &&
	    stat(newfile, &sb) == -1, "stdio rpath: file untouched");

	for (i = 0; i < nitems(matrix); i++) {
		matrix_flags = (strstr(matrix[i], "rpath") ? 1 : 0) |
		    (strstr(matrix[i], "wpath") ? 2 : 0) |
		    (strstr(matrix[i], "cpath") ? 4 : 0);
		run(matrix[i], c_open_matrix, &r, 1);
		CHECK(exited(&r, 0), "%s: open flags matrix (status %#x)",
		    matrix[i], r.status);
	}
	unlink(newfile);

	run("stdio rpath wpath cpath", c_files, &r, 1);
	CHECK(exited(&r, 0), "stdio rpath wpath cpath: create, write, fsync, "
	    "ftruncate, rename, unlink, mkdir, rmdir (status %#x)", r.status);
	run("stdio rpath wpath", c_fcntl_lock, &r, 1);
	CHECK(killed(&r) && violation(&r, "fcntl"),
	    "stdio rpath wpath: fcntl(F_SETLK) without flock dies, logged");
	run("stdio rpath wpath flock", c_flock, &r, 1);
	CHECK(exited(&r, 0), "stdio rpath wpath flock: flock and F_SETLK "
	    "work (status %#x)", r.status);
}

/* The parent queues a pipe on a socketpair; the child receives it. */
static void
test_recvfd(const char *promises)
{
	struct result	 r;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	int		 sv[2], p[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    pipe(p) == -1 || write(p[1], "hello", 5) != 5) {
		perror("socketpair");
		exit(1);
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = "f";
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cmsg), &p[0], sizeof(int));
	/* Out of the way of the child's PROC_LOG_FD. */
	if (sendmsg(sv[0], &msg, 0) != 1 ||
	    (fdsock = fcntl(sv[1], F_DUPFD, 10)) == -1) {
		perror("sendmsg");
		exit(1);
	}
	run(promises, c_recvfd, &r, 1);
	CHECK(exited(&r, 0), "%s: receives an fd with recvmsg (status %#x)",
	    promises, r.status);
	close(sv[0]);
	close(sv[1]);
	close(fdsock);
	close(p[0]);
	close(p[1]);
}

static void
test_promises(void)
{
	struct result	 r;

	test_recvfd("stdio recvfd");
	/* Without recvfd too: seccomp cannot see inside a message. */
	test_recvfd("stdio");

	run("stdio", c_execve, &r, 1);
	CHECK(killed(&r) && violation(&r, "execve"),
	    "stdio: execve dies, logged");
	run("stdio", c_fork, &r, 1);
	CHECK(killed(&r) && violation(&r, "clone"),
	    "stdio: fork dies, logged as clone");
	run("stdio proc", c_fork_proc, &r, 1);
	CHECK(exited(&r, 0), "stdio proc: fork and wait work, RLIMIT_NPROC "
	    "left alone (status %#x)", r.status);

	run("stdio inet", c_inet, &r, 1);
	CHECK(killed(&r) && violation(&r, "socket"), "stdio inet: TCP on "
	    "127.0.0.1 works, socket(AF_UNIX) dies (status %#x)", r.status);
	run("stdio unix", c_unix, &r, 1);
	CHECK(killed(&r) && violation(&r, "socket"), "stdio unix: "
	    "socket(AF_UNIX) works, socket(AF_INET) dies (status %#x)",
	    r.status);

	test_proc_status();

	run("stdio bogus", c_nothing, &r, 1);
	CHECK(exited(&r, 1), "unknown promise: exit 1 (status %#x)",
	    r.status);
	CHECK(r.loglen > 0 && r.log[0] == LOG_CRIT &&
	    strstr(r.log + 1, "unknown promise \"bogus\"") != NULL,
	    "unknown promise: fatalx logged: \"%s\"",
	    r.loglen > 1 ? r.log + 1 : "");
	/* Only exit allowed; not under ASan, whose handlers sigaltstack. */
	run("", c_nothing, &r, 1);
	CHECK(exited(&r, 0), "no promise: the child can still exit "
	    "(status %#x)", r.status);
}

/* rpath, and of all files testfile alone: read, not written. */
static int
c_read_only(void)
{
	struct stat	 sb;
	char		 buf[16];
	int		 fd;

	if ((fd = open(testfile, O_RDONLY)) == -1)
		return (1);
	if (read(fd, buf, sizeof(buf)) == -1 || close(fd) == -1)
		return (6);
	if (open("/etc/passwd", O_RDONLY) != -1 || errno != EACCES)
		return (2);
	if (open(tmpdir, O_RDONLY | O_DIRECTORY) != -1 || errno != EACCES)
		return (3);
	/* Not Landlock's: what libpq asks of the files it is told of. */
	if (stat("/etc/passwd", &sb) == -1)
		return (4);
	if (stat("/nonexistent", &sb) != -1 || errno != ENOENT)
		return (5);
	return (0);
}

static int
c_read_nothing(void)
{
	struct stat	 sb;

	if (open(testfile, O_RDONLY) != -1 || errno != EACCES)
		return (1);
	if (stat(testfile, &sb) == -1)
		return (2);
	return (0);
}

static void
test_read_only(void)
{
	struct result	 r;

	only_set = 1;
	only = testfile;
	run("stdio rpath", c_read_only, &r, 1);
	CHECK(exited(&r, 0), "sandbox_read_only: that file is read, no "
	    "other opened, stat still answers (status %#x)", r.status);
	/* A directory: the files under it, whichever inode they have. */
	only = tmpdir;
	run("stdio rpath", c_read_only, &r, 1);
	CHECK(exited(&r, 0), "sandbox_read_only(directory): its files are "
	    "read, no other opened (status %#x)", r.status);
	only = NULL;
	run("stdio rpath", c_read_nothing, &r, 1);
	CHECK(exited(&r, 0), "sandbox_read_only(NULL): no file opened "
	    "(status %#x)", r.status);
	only_set = 0;
}

int
main(void)
{
	int	 fd;

	log_init(1, LOG_DAEMON);
	log_procinit("test_sandbox");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(testfile, sizeof(testfile), "%s/file", tmpdir);
	snprintf(newfile, sizeof(newfile), "%s/new", tmpdir);
	if ((fd = open(testfile, O_WRONLY | O_CREAT, 0600)) == -1 ||
	    write(fd, "contents", 8) != 8 || close(fd) == -1) {
		perror(testfile);
		return (1);
	}

	test_stdio();
	test_files();
	test_read_only();
	test_promises();

	unlink(testfile);
	rmdir(tmpdir);
	TEST_DONE();
}
