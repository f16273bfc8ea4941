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
 * pledge(2) promises on both systems: pledge itself on OpenBSD, on Linux
 * a libseccomp filter built from one table of promise -> system calls,
 * plus rlimits and a SIGSYS handler that reports the forbidden call.
 */

#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE		/* O_TMPFILE, AT_EMPTY_PATH, F_OFD_* */
#endif

#include <sys/types.h>
#ifdef __linux__
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#endif

#include <errno.h>
#ifdef __linux__
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#endif
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "sandbox.h"

#ifdef __OpenBSD__

/* pledge(2) "inet" cannot name a port. */
void
sandbox_tcp_connect(int port)
{
	(void)port;
}

/* unveil(2): that file or directory alone, or nothing. */
void
sandbox_read_only(const char *path)
{
	if (unveil(path != NULL ? path : "/nonexistent", "r") == -1 ||
	    unveil(NULL, NULL) == -1)
		fatal("%s: unveil", __func__);
}

void
sandbox(const char *promises)
{
	if (pledge(promises, NULL) == -1)
		fatal("%s: pledge \"%s\"", __func__, promises);
}

const char *
sandbox_syscall_name(int nr)
{
	(void)nr;
	return ("unknown");
}

#else /* Linux */

#ifndef SYS_SECCOMP
#define SYS_SECCOMP		1	/* si_code of a seccomp SIGSYS */
#endif

#define PROMISE_STDIO		0x0001
#define PROMISE_RPATH		0x0002
#define PROMISE_WPATH		0x0004
#define PROMISE_CPATH		0x0008
#define PROMISE_FLOCK		0x0010
#define PROMISE_INET		0x0020
#define PROMISE_UNIX		0x0040
#define PROMISE_DNS		0x0080
#define PROMISE_RECVFD		0x0100
#define PROMISE_SENDFD		0x0200
#define PROMISE_PROC		0x0400
#define PROMISE_EXEC		0x0800
#define PROMISE_ID		0x1000

/*
 * Landlock's TCP rules (ABI 4, Linux 6.7), defined here as the kernel
 * defines them: the distribution's headers may predate them.
 */
#define SANDBOX_LL_ABI_NET	4
#define SANDBOX_LL_RULE_PORT	2
#define SANDBOX_LL_BIND_TCP	(1ULL << 0)
#define SANDBOX_LL_CONNECT_TCP	(1ULL << 1)

/*
 * The filesystem rights each Landlock ABI handles: those of ABI 1 and,
 * defined here too, REFER (2), TRUNCATE (3), IOCTL_DEV (5).
 */
#define SANDBOX_LL_FS_V1	((1ULL << 13) - 1)
#define SANDBOX_LL_FS_REFER	(1ULL << 13)
#define SANDBOX_LL_FS_TRUNCATE	(1ULL << 14)
#define SANDBOX_LL_FS_IOCTL_DEV	(1ULL << 15)

struct sandbox_ll_ruleset {
	uint64_t	 handled_access_fs;
	uint64_t	 handled_access_net;
};

struct sandbox_ll_port {
	uint64_t	 allowed_access;
	uint64_t	 port;
};

#define SANDBOX_NSYSCALLS	512
#define SANDBOX_NAMELEN		32

/*
 * Each promise allows these calls outright.  Names unknown on this
 * architecture are skipped, so the 32-bit variants can stay listed.
 * Calls allowed only for some arguments are in sandbox_args[] and
 * sandbox_files().  recvmsg and sendmsg are in stdio, as in pledge, as
 * imsg needs them on every channel; seccomp cannot look inside the
 * message, so on Linux recvfd and sendfd add nothing.
 */
static const struct {
	const char	*name;
	int		 flag;
	const char	*syscalls;
} sandbox_promises[] = {
	{ "stdio",	PROMISE_STDIO,
	    "read readv pread64 preadv write writev pwrite64 pwritev "
	    "recvfrom recvmsg sendto sendmsg shutdown "
	    "getsockopt setsockopt getsockname getpeername "
	    "close close_range dup dup2 dup3 pipe pipe2 lseek _llseek "
	    "fstat fstat64 brk munmap mremap madvise "
	    "epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait "
	    "epoll_pwait2 poll ppoll ppoll_time64 select _newselect "
	    "pselect6 pselect6_time64 eventfd eventfd2 timerfd_create "
	    "timerfd_settime timerfd_settime64 timerfd_gettime "
	    "timerfd_gettime64 clock_gettime clock_gettime64 clock_getres "
	    "clock_getres_time64 gettimeofday time nanosleep "
	    "clock_nanosleep clock_nanosleep_time64 "
	    "getpid getppid gettid getuid geteuid getgid getegid "
	    "getresuid getresgid getgroups getrlimit ugetrlimit "
	    "getrandom futex futex_time64 rt_sigprocmask rt_sigreturn "
	    "sigreturn sigaltstack restart_syscall sched_yield "
	    "sched_getaffinity uname sysinfo umask wait4 exit exit_group" },
	{ "rpath",	PROMISE_RPATH,	"getdents64 getcwd chdir fchdir" },
	{ "wpath",	PROMISE_WPATH,	"ftruncate truncate fsync fdatasync" },
	{ "cpath",	PROMISE_CPATH,
	    "mkdir mkdirat rmdir unlink unlinkat rename renameat renameat2 "
	    "link linkat symlink symlinkat" },
	{ "flock",	PROMISE_FLOCK,	"flock" },
	{ "inet",	PROMISE_INET,	"connect bind listen accept accept4" },
	{ "unix",	PROMISE_UNIX,	"connect bind listen accept accept4" },
	/* bind: a DNS client picks a random source port (RFC 5452). */
	{ "dns",	PROMISE_DNS,	"connect bind sendmmsg" },
	{ "recvfd",	PROMISE_RECVFD,	"recvmsg" },
	{ "sendfd",	PROMISE_SENDFD,	"sendmsg" },
	{ "proc",	PROMISE_PROC,
	    "fork vfork clone clone3 wait4 waitid kill tgkill "
	    "setpgid getpgid setsid getsid set_robust_list" },
	{ "exec",	PROMISE_EXEC,	"execve execveat" },
	/* No chroot, as in pledge: it comes before sandbox(). */
	{ "id",		PROMISE_ID,
	    "setuid setgid setreuid setregid setresuid setresgid "
	    "setgroups setfsuid setfsgid" },
};

/*
 * Calls allowed (errnum 0) or failed with errnum when one argument
 * compares true.  libseccomp compares 64 bits where the kernel may read
 * an int, so only equality (garbage in the upper half fails closed) and
 * masks of low bits are used; see sandbox_stdio() for rt_sigaction.
 */
static const struct {
	int			 flag;
	const char		*syscalls;
	struct scmp_arg_cmp	 cmp;
	int			 errnum;
} sandbox_args[] = {
	{ PROMISE_STDIO, "mmap mmap2 mprotect",
	    { 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0 }, 0 },
	{ PROMISE_STDIO, "socketpair", { 0, SCMP_CMP_EQ, AF_UNIX, 0 }, 0 },
	{ PROMISE_STDIO, "ioctl", { 1, SCMP_CMP_EQ, FIONREAD, 0 }, 0 },
	{ PROMISE_STDIO, "ioctl", { 1, SCMP_CMP_EQ, FIONBIO, 0 }, 0 },
	{ PROMISE_STDIO, "ioctl", { 1, SCMP_CMP_EQ, FIOCLEX, 0 }, 0 },
	{ PROMISE_STDIO, "ioctl", { 1, SCMP_CMP_EQ, FIONCLEX, 0 }, 0 },
	/* isatty(3) says no rather than kill. */
	{ PROMISE_STDIO, "ioctl", { 1, SCMP_CMP_EQ, TCGETS, 0 }, ENOTTY },
	{ PROMISE_STDIO, "fcntl fcntl64", { 1, SCMP_CMP_EQ, F_DUPFD, 0 }, 0 },
	{ PROMISE_STDIO, "fcntl fcntl64",
	    { 1, SCMP_CMP_EQ, F_DUPFD_CLOEXEC, 0 }, 0 },
	{ PROMISE_STDIO, "fcntl fcntl64", { 1, SCMP_CMP_EQ, F_GETFD, 0 }, 0 },
	{ PROMISE_STDIO, "fcntl fcntl64", { 1, SCMP_CMP_EQ, F_SETFD, 0 }, 0 },
	{ PROMISE_STDIO, "fcntl fcntl64", { 1, SCMP_CMP_EQ, F_GETFL, 0 }, 0 },
	{ PROMISE_STDIO, "fcntl fcntl64", { 1, SCMP_CMP_EQ, F_SETFL, 0 }, 0 },
	{ PROMISE_FLOCK, "fcntl fcntl64", { 1, SCMP_CMP_EQ, F_GETLK, 0 }, 0 },
	{ PROMISE_FLOCK, "fcntl fcntl64", { 1, SCMP_CMP_EQ, F_SETLK, 0 }, 0 },
	{ PROMISE_FLOCK, "fcntl fcntl64", { 1, SCMP_CMP_EQ, F_SETLKW, 0 }, 0 },
	{ PROMISE_FLOCK, "fcntl fcntl64",
	    { 1, SCMP_CMP_EQ, F_OFD_GETLK, 0 }, 0 },
	{ PROMISE_FLOCK, "fcntl fcntl64",
	    { 1, SCMP_CMP_EQ, F_OFD_SETLK, 0 }, 0 },
	{ PROMISE_FLOCK, "fcntl fcntl64",
	    { 1, SCMP_CMP_EQ, F_OFD_SETLKW, 0 }, 0 },
	{ PROMISE_INET, "socket", { 0, SCMP_CMP_EQ, AF_INET, 0 }, 0 },
	{ PROMISE_INET, "socket", { 0, SCMP_CMP_EQ, AF_INET6, 0 }, 0 },
	{ PROMISE_UNIX, "socket", { 0, SCMP_CMP_EQ, AF_UNIX, 0 }, 0 },
	{ PROMISE_DNS, "socket", { 0, SCMP_CMP_EQ, AF_INET, 0 }, 0 },
	{ PROMISE_DNS, "socket", { 0, SCMP_CMP_EQ, AF_INET6, 0 }, 0 },
	{ PROMISE_DNS, "socket", { 0, SCMP_CMP_EQ, AF_UNIX, 0 }, 0 },
};

static int	 sandbox_promise_flags(const char *);
static void	 sandbox_rule(scmp_filter_ctx, uint32_t, const char *,
		    unsigned int, const struct scmp_arg_cmp *);
static void	 sandbox_stdio(scmp_filter_ctx, int);
static void	 sandbox_open(scmp_filter_ctx, int, const char *,
		    unsigned int);
static void	 sandbox_files(scmp_filter_ctx, int);
static void	 sandbox_rlimit(int, rlim_t);
static size_t	 sandbox_append(char *, size_t, size_t, const char *);
static size_t	 sandbox_append_num(char *, size_t, size_t, int);
static void	 sandbox_sigsys(int, siginfo_t *, void *);

/* Filled before the filter is loaded: the SIGSYS handler cannot. */
static char	 sandbox_names[SANDBOX_NSYSCALLS][SANDBOX_NAMELEN];
static int	 sandbox_logfd = -1;

static int
sandbox_promise_flags(const char *promises)
{
	char	*copy, *s, *word;
	size_t	 i;
	int	 flags = 0;

	if ((copy = strdup(promises)) == NULL)
		fatal("%s", __func__);
	s = copy;
	while ((word = strsep(&s, " ")) != NULL) {
		if (*word == '\0')
			continue;
		for (i = 0; i < nitems(sandbox_promises); i++)
			if (strcmp(word, sandbox_promises[i].name) == 0)
				break;
		if (i == nitems(sandbox_promises))
			fatalx("%s: unknown promise \"%s\"", __func__, word);
		flags |= sandbox_promises[i].flag;
	}
	free(copy);
	return (flags);
}

/* Add one rule for each call in a space separated list. */
static void
sandbox_rule(scmp_filter_ctx ctx, uint32_t action, const char *syscalls,
    unsigned int ncmp, const struct scmp_arg_cmp *cmp)
{
	char		 name[SANDBOX_NAMELEN];
	const char	*p = syscalls;
	size_t		 len;
	int		 nr, rc;

	while (*p != '\0') {
		len = strcspn(p, " ");
		if (len >= sizeof(name))
			fatalx("%s: name too long: %s", __func__, p);
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		p += strspn(p, " ");
		if (len == 0)
			continue;
		/* Negative: not on this architecture. */
		if ((nr = seccomp_syscall_resolve_name(name)) < 0)
			continue;
		rc = seccomp_rule_add_array(ctx, action, nr, ncmp, cmp);
		if (rc < 0)
			fatalx("%s: %s: %s", __func__, name, strerror(-rc));
	}
}

/*
 * stdio calls allowed for some arguments only.  rt_sigaction for any
 * signal but SIGSYS, so that no one replaces our handler; the signals are
 * listed one by one as "!= SIGSYS" on 64 bits would let (1 << 32 | SIGSYS)
 * through to a kernel that reads an int.  kill and tgkill only towards
 * ourselves (abort(3), raise(3)) unless "proc".
 */
static void
sandbox_stdio(scmp_filter_ctx ctx, int flags)
{
	struct scmp_arg_cmp	 cmp[2];
	int			 sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGSYS)
			continue;
		cmp[0] = SCMP_A0(SCMP_CMP_EQ, sig);
		sandbox_rule(ctx, SCMP_ACT_ALLOW, "rt_sigaction", 1, cmp);
	}
	if ((flags & PROMISE_PROC) == 0) {
		cmp[0] = SCMP_A0(SCMP_CMP_EQ, getpid());
		sandbox_rule(ctx, SCMP_ACT_ALLOW, "kill tgkill", 1, cmp);
	}

	/* getrlimit(2) is prlimit64(0, resource, NULL, old) in glibc. */
	cmp[0] = SCMP_A0(SCMP_CMP_EQ, 0);
	cmp[1] = SCMP_A2(SCMP_CMP_EQ, 0);
	sandbox_rule(ctx, SCMP_ACT_ALLOW, "prlimit64", 2, cmp);
}

/*
 * open(2) flags at argument arg: reading needs rpath, writing or
 * truncating wpath, creating cpath.  What is not allowed fails with
 * EACCES instead of killing, so that a library probing for a file goes
 * on without it.  The allowed and refused cases must not overlap: how
 * libseccomp orders overlapping rules of different actions is undefined.
 */
static void
sandbox_open(scmp_filter_ctx ctx, int flags, const char *syscalls,
    unsigned int arg)
{
	struct scmp_arg_cmp	 cmp;
	uint64_t		 forbid = 0, bits[] = { O_TRUNC, O_CREAT,
				    O_TMPFILE & ~O_DIRECTORY };
	int			 modes[4] = { 0 }, m;
	size_t			 i;

	modes[O_RDONLY] = (flags & PROMISE_RPATH) != 0;
	modes[O_WRONLY] = (flags & PROMISE_WPATH) != 0;
	modes[O_RDWR] = (flags & (PROMISE_RPATH | PROMISE_WPATH)) ==
	    (PROMISE_RPATH | PROMISE_WPATH);
	if ((flags & PROMISE_WPATH) == 0)
		forbid |= bits[0];
	if ((flags & PROMISE_CPATH) == 0)
		forbid |= bits[1] | bits[2];

	for (m = 0; m < 4; m++) {
		cmp = SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, O_ACCMODE, m);
		if (!modes[m]) {
			sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), syscalls,
			    1, &cmp);
			continue;
		}
		cmp = SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, O_ACCMODE | forbid, m);
		sandbox_rule(ctx, SCMP_ACT_ALLOW, syscalls, 1, &cmp);
	}
	for (i = 0; i < nitems(bits); i++) {
		if ((forbid & bits[i]) == 0)
			continue;
		cmp = SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, bits[i], bits[i]);
		sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), syscalls, 1, &cmp);
	}
}

/*
 * Calls that look up a path.  Without rpath they fail with EACCES, except
 * that glibc's fstat(2) is newfstatat(fd, "", sb, AT_EMPTY_PATH): stdio.
 */
static void
sandbox_files(scmp_filter_ctx ctx, int flags)
{
	const char		*lookups = "stat stat64 lstat lstat64 access "
				    "faccessat faccessat2 readlink readlinkat";
	struct scmp_arg_cmp	 cmp;

	if ((flags & (PROMISE_RPATH | PROMISE_WPATH | PROMISE_CPATH)) == 0) {
		sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), "open openat creat",
		    0, NULL);
	} else {
		sandbox_open(ctx, flags, "open", 1);
		sandbox_open(ctx, flags, "openat", 2);
		if ((flags & (PROMISE_WPATH | PROMISE_CPATH)) ==
		    (PROMISE_WPATH | PROMISE_CPATH))
			sandbox_rule(ctx, SCMP_ACT_ALLOW, "creat", 0, NULL);
		else
			sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), "creat",
			    0, NULL);
	}

	if (flags & PROMISE_RPATH) {
		sandbox_rule(ctx, SCMP_ACT_ALLOW, lookups, 0, NULL);
		sandbox_rule(ctx, SCMP_ACT_ALLOW, "newfstatat fstatat64 statx",
		    0, NULL);
		return;
	}
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), lookups, 0, NULL);
	cmp = SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, 0);
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), "newfstatat fstatat64",
	    1, &cmp);
	cmp = SCMP_A2(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, 0);
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), "statx", 1, &cmp);
	if ((flags & PROMISE_STDIO) == 0)
		return;
	cmp = SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH);
	sandbox_rule(ctx, SCMP_ACT_ALLOW, "newfstatat fstatat64", 1, &cmp);
	cmp = SCMP_A2(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH);
	sandbox_rule(ctx, SCMP_ACT_ALLOW, "statx", 1, &cmp);
}

static void
sandbox_rlimit(int resource, rlim_t value)
{
	struct rlimit	 rl;

	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) == -1)
		fatal("%s: setrlimit %d", __func__, resource);
}

/* Async-signal-safe string building for the SIGSYS handler. */
static size_t
sandbox_append(char *buf, size_t len, size_t size, const char *s)
{
	while (*s != '\0' && len < size)
		buf[len++] = *s++;
	return (len);
}

static size_t
sandbox_append_num(char *buf, size_t len, size_t size, int n)
{
	char		 digits[16];
	size_t		 i = 0;
	unsigned int	 u;

	if (n < 0) {
		len = sandbox_append(buf, len, size, "-");
		u = -(unsigned int)n;
	} else
		u = n;
	do {
		digits[i++] = '0' + u % 10;
		u /= 10;
	} while (u != 0);
	while (i > 0 && len < size)
		buf[len++] = digits[--i];
	return (len);
}

/*
 * The filter traps what it does not allow.  We log the call, then die
 * by SIGSYS so that the parent sees why: our own sigaction(SIGSYS) is
 * refused too, and a second trap while SIGSYS is blocked in its handler
 * makes the kernel reset SIGSYS to SIG_DFL and deliver it (as a fault in
 * a SIGSEGV handler does).  No core: RLIMIT_CORE is 0, and not dumpable.
 */
static void
sandbox_sigsys(int sig, siginfo_t *si, void *uctx)
{
	struct sigaction	 sa;
	char			 line[128];
	size_t			 len = 0;
	int			 nr;

	(void)uctx;
	if (si->si_code == SYS_SECCOMP) {
		nr = si->si_syscall;
		line[len++] = LOG_CRIT;
		len = sandbox_append(line, len, sizeof(line),
		    "sandbox violation: system call ");
		if (nr >= 0 && nr < SANDBOX_NSYSCALLS &&
		    sandbox_names[nr][0] != '\0') {
			len = sandbox_append(line, len, sizeof(line),
			    sandbox_names[nr]);
			len = sandbox_append(line, len, sizeof(line), " (");
			len = sandbox_append_num(line, len, sizeof(line), nr);
			len = sandbox_append(line, len, sizeof(line), ")");
		} else
			len = sandbox_append_num(line, len, sizeof(line), nr);
		if (sandbox_logfd != -1)
			(void)send(sandbox_logfd, line, len,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		else if (len < sizeof(line)) {
			line[len++] = '\n';
			(void)write(STDERR_FILENO, line + 1, len - 1);
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(sig, &sa, NULL);
	/* NOTREACHED unless the filter is gone. */
	raise(sig);
	_exit(128 + sig);
}

void
sandbox(const char *promises)
{
	struct sigaction	 sa;
	struct stat		 sb;
	scmp_filter_ctx		 ctx;
	socklen_t		 len;
	size_t			 i;
	int			 flags, nr, rc, type;

	flags = sandbox_promise_flags(promises);

	for (nr = 0; nr < SANDBOX_NSYSCALLS; nr++)
		(void)sandbox_syscall_name(nr);
	len = sizeof(type);
	if (fstat(PROC_LOG_FD, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    getsockopt(PROC_LOG_FD, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_DGRAM)
		sandbox_logfd = PROC_LOG_FD;

	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL)
		fatalx("%s: seccomp_init", __func__);
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0)
		fatalx("%s: seccomp_attr_set: %s", __func__, strerror(-rc));
	/* As pledge(2), even with no promise at all. */
	sandbox_rule(ctx, SCMP_ACT_ALLOW, "exit exit_group", 0, NULL);
	for (i = 0; i < nitems(sandbox_promises); i++)
		if (flags & sandbox_promises[i].flag)
			sandbox_rule(ctx, SCMP_ACT_ALLOW,
			    sandbox_promises[i].syscalls, 0, NULL);
	for (i = 0; i < nitems(sandbox_args); i++)
		if (flags & sandbox_args[i].flag)
			sandbox_rule(ctx, sandbox_args[i].errnum == 0 ?
			    SCMP_ACT_ALLOW :
			    SCMP_ACT_ERRNO(sandbox_args[i].errnum),
			    sandbox_args[i].syscalls, 1, &sandbox_args[i].cmp);
	if (flags & PROMISE_STDIO)
		sandbox_stdio(ctx, flags);
	sandbox_files(ctx, flags);

	sandbox_rlimit(RLIMIT_CORE, 0);
	if ((flags & PROMISE_PROC) == 0)
		sandbox_rlimit(RLIMIT_NPROC, 0);
	if ((flags & (PROMISE_WPATH | PROMISE_CPATH)) == 0)
		sandbox_rlimit(RLIMIT_FSIZE, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("%s: PR_SET_NO_NEW_PRIVS", __func__);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("%s: PR_SET_DUMPABLE", __func__);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("%s: sigaction", __func__);

	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("%s: seccomp_load: %s", __func__, strerror(-rc));
	seccomp_release(ctx);
	log_debug("%s: %s", __func__, promises);
}

/*
 * TCP connections to one port only, and no TCP listener: seccomp cannot
 * read a connect(2) address, Landlock can check its port (not the host).
 * A kernel without Landlock's TCP rules keeps the seccomp filter alone.
 */
void
sandbox_tcp_connect(int port)
{
	struct sandbox_ll_ruleset	 attr;
	struct sandbox_ll_port		 rule;
	long				 abi;
	int				 fd;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < SANDBOX_LL_ABI_NET) {
		log_warnx("%s: this kernel cannot restrict TCP ports "
		    "(Landlock ABI %ld)", __func__, abi);
		return;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_net = SANDBOX_LL_BIND_TCP | SANDBOX_LL_CONNECT_TCP;
	if ((fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr),
	    0)) == -1)
		fatal("%s: landlock_create_ruleset", __func__);
	memset(&rule, 0, sizeof(rule));
	rule.allowed_access = SANDBOX_LL_CONNECT_TCP;
	rule.port = port;
	if (syscall(SYS_landlock_add_rule, fd, SANDBOX_LL_RULE_PORT, &rule,
	    0) == -1)
		fatal("%s: landlock_add_rule", __func__);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("%s: PR_SET_NO_NEW_PRIVS", __func__);
	if (syscall(SYS_landlock_restrict_self, fd, 0) == -1)
		fatal("%s: landlock_restrict_self", __func__);
	close(fd);
	log_debug("%s: TCP port %d", __func__, port);
}

static uint64_t
sandbox_ll_fs(long abi)
{
	uint64_t	 fs = SANDBOX_LL_FS_V1;

	if (abi >= 2)
		fs |= SANDBOX_LL_FS_REFER;
	if (abi >= 3)
		fs |= SANDBOX_LL_FS_TRUNCATE;
	if (abi >= 5)
		fs |= SANDBOX_LL_FS_IOCTL_DEV;
	return (fs);
}

/*
 * No file but path, or the files under the directory path (NULL: none),
 * may be opened, and for reading only, whatever "rpath" lets seccomp
 * allow (it cannot read a path).  The rule holds path's inode: a file
 * renamed over it later is not covered, one in the directory is.
 * stat(2) is not Landlock's: other names still answer ENOENT or their
 * metadata.  A kernel without Landlock keeps the seccomp filter alone.
 */
void
sandbox_read_only(const char *path)
{
	struct sandbox_ll_ruleset		 attr;
	struct landlock_path_beneath_attr	 rule;
	long					 abi;
	int					 fd;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		log_warnx("%s: this kernel cannot restrict which files are "
		    "read (no Landlock)", __func__);
		return;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = sandbox_ll_fs(abi);
	if ((fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr),
	    0)) == -1)
		fatal("%s: landlock_create_ruleset", __func__);
	if (path != NULL) {
		memset(&rule, 0, sizeof(rule));
		rule.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE;
		if ((rule.parent_fd = open(path, O_PATH | O_CLOEXEC)) == -1)
			fatal("%s: %s", __func__, path);
		if (syscall(SYS_landlock_add_rule, fd,
		    LANDLOCK_RULE_PATH_BENEATH, &rule, 0) == -1)
			fatal("%s: landlock_add_rule %s", __func__, path);
		close(rule.parent_fd);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("%s: PR_SET_NO_NEW_PRIVS", __func__);
	if (syscall(SYS_landlock_restrict_self, fd, 0) == -1)
		fatal("%s: landlock_restrict_self", __func__);
	close(fd);
	log_debug("%s: %s", __func__, path != NULL ? path : "no file");
}

const char *
sandbox_syscall_name(int nr)
{
	char	*name;

	if (nr < 0 || nr >= SANDBOX_NSYSCALLS)
		return ("unknown");
	if (sandbox_names[nr][0] == '\0') {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (name == NULL)
			return ("unknown");
		(void)strlcpy(sandbox_names[nr], name, SANDBOX_NAMELEN);
		free(name);
	}
	return (sandbox_names[nr]);
}

#endif /* __OpenBSD__ */
