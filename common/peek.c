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
 * The first bytes of a connection looked at before it is served (the
 * multiplexer, a PROXY header), in the process that accepted it.  They
 * are peeked (MSG_PEEK), never consumed; the socket wakes again only
 * when more bytes than last time are there (SO_RCVLOWAT), and the wait
 * is bounded by "limits multiplex timeout".  Each kind of look keeps
 * only its decision: what the bytes are, and where the socket goes.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "peek.h"
#include "proc.h"

static void
peek_read(int fd, short event, void *arg)
{
	struct peek	*p = arg;
	ssize_t		 n;

	(void)event;
	if ((n = recv(fd, p->kind->buf, p->kind->size, MSG_PEEK)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			peek_refuse(p, strerror(errno));
		return;
	}
	p->kind->look(p, n, n == 0 || (size_t)n <= p->seen);
}

static void
peek_timeout(int fd, short event, void *arg)
{
	struct peek	*p = arg;

	(void)fd;
	(void)event;
	peek_refuse(p, p->kind->late);
}

/*
 * Look at fd, accepted from addr, for kind; arg is the caller's.  NULL
 * when it cannot be looked at: fd is closed then.
 */
struct peek *
peek_start(const struct peek_kind *kind, int fd, const char *addr,
    void *arg)
{
	struct peek	*p;
	struct timeval	 tv;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("%s", __func__);
		close(fd);
		return (NULL);
	}
	p->kind = kind;
	p->fd = fd;
	p->arg = arg;
	(void)strlcpy(p->addr, addr, sizeof(p->addr));
	event_set(&p->ev, fd, EV_READ | EV_PERSIST, peek_read, p);
	event_add(&p->ev, NULL);
	evtimer_set(&p->timeout, peek_timeout, p);
	tv.tv_sec = proc_self.conf->global.limits.mux_timeout;
	tv.tv_usec = 0;
	evtimer_add(&p->timeout, &tv);
	return (p);
}

/* Wake again once more than have bytes are there, not before. */
int
peek_more(struct peek *p, size_t have)
{
	int	 lowat = have + 1;

	p->seen = have;
	return (setsockopt(p->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat,
	    sizeof(lowat)));
}

/* No more looking; what serves the socket reads from the first byte. */
int
peek_done(struct peek *p)
{
	int	 one = 1;

	event_del(&p->ev);
	evtimer_del(&p->timeout);
	return (setsockopt(p->fd, SOL_SOCKET, SO_RCVLOWAT, &one,
	    sizeof(one)));
}

/* The connection is closed, and why logged. */
void
peek_refuse(struct peek *p, const char *why)
{
	log_info("%s %s closed: %s", p->kind->what, p->addr, why);
	peek_free(p, 0);
}

/* Forget p; its socket stays open when kept, for what serves it. */
void
peek_free(struct peek *p, int keep)
{
	event_del(&p->ev);
	evtimer_del(&p->timeout);
	if (p->kind->gone != NULL)
		p->kind->gone(p);
	if (!keep)
		close(p->fd);
	free(p);
}
