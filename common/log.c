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
 * Logging for every process.  The parent writes to syslog or, in the
 * foreground, to stderr.  Children send each line as one datagram to the
 * parent (log_setfd), which logs it under the child's name.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#define LIBBSD_OPENBSD_VIS
#include <vis.h>

#include "log.h"

static int		 log_debug_mode;	/* stderr instead of syslog */
static int		 log_stamp;		/* stderr is a terminal */
static int		 log_verbose;
static int		 log_fd = -1;		/* child: datagrams to parent */
static const char	*log_procname;

void
log_init(int debug, int facility)
{
	log_debug_mode = debug;
	/* A journal or a log file stamps each line itself; a person not. */
	log_stamp = debug && isatty(STDERR_FILENO);
	log_procinit(getprogname());
	if (!log_debug_mode)
		openlog(getprogname(), LOG_PID | LOG_NDELAY, facility);
	tzset();
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		log_procname = name;
}

void
log_setfd(int fd)
{
	log_fd = fd;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

/*
 * Untrusted text (a JID, a peer's message) is escaped before it reaches a
 * log line, so that no one can forge lines or send terminal escapes.
 */
const char *
log_sanitize(const char *in, char *out, size_t outlen)
{
	if (outlen == 0)
		return ("");
	(void)strnvis(out, in, outlen, VIS_NL | VIS_TAB | VIS_CSTYLE);
	return (out);
}

static void
log_stderr(const char *line)
{
	char		 stamp[32];
	time_t		 now;
	struct tm	*tm;

	if (log_stamp && time(&now) != -1 && (tm = localtime(&now)) != NULL &&
	    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", tm) != 0)
		fprintf(stderr, "%s %s\n", stamp, line);
	else
		fprintf(stderr, "%s\n", line);
	fflush(stderr);
}

void
log_emit(int pri, const char *line)
{
	char	 buf[LOG_LINE_MAX + 1];
	size_t	 len;

	if (log_fd != -1) {
		buf[0] = (char)pri;
		len = strlcpy(buf + 1, line, sizeof(buf) - 1);
		if (len >= sizeof(buf) - 1)
			len = sizeof(buf) - 2;
		/* Like syslog: a line is dropped rather than blocking. */
		(void)send(log_fd, buf, len + 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		return;
	}
	if (log_debug_mode) {
		log_stderr(line);
	} else
		syslog(pri, "%s", line);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 line[LOG_LINE_MAX];
	int	 saved_errno = errno;

	if (pri == LOG_DEBUG && log_verbose < 1) {
		errno = saved_errno;
		return;
	}
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	log_emit(pri, line);
	errno = saved_errno;
}

void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

static void
log_errno(int pri, const char *fmt, va_list ap)
{
	char	 msg[LOG_LINE_MAX];
	int	 saved_errno = errno;

	if (fmt == NULL)
		logit(pri, "%s", strerror(saved_errno));
	else {
		(void)vsnprintf(msg, sizeof(msg), fmt, ap);
		logit(pri, "%s: %s", msg, strerror(saved_errno));
	}
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_errno(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

static __dead void
vfatalc(int code, const char *fmt, va_list ap)
{
	char		 msg[LOG_LINE_MAX];
	const char	*sep = ": ";

	if (fmt == NULL) {
		msg[0] = '\0';
		sep = "";
	} else
		(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (code)
		logit(LOG_CRIT, "fatal in %s: %s%s%s", log_procname,
		    msg, fmt == NULL ? "" : sep, strerror(code));
	else
		logit(LOG_CRIT, "fatal in %s: %s", log_procname, msg);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfatalc(errno, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfatalc(0, fmt, ap);
	va_end(ap);
}
