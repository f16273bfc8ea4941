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
 * In the stream process: the first bytes of a connection looked at
 * before it is served (the multiplexer, a PROXY header).  They are
 * peeked (MSG_PEEK), never consumed; the socket wakes again only when
 * more bytes than last time are there (SO_RCVLOWAT), and the wait is
 * bounded by "limits multiplex timeout".
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "stream.h"

static void
peek_read(int fd, short event, void *arg)
{
	struct peek	*p = arg;
	ssize_t		 n;

	(void)event;
	if ((n = recv(fd, p->buf, p->size, MSG_PEEK)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			p->refuse(p, strerror(errno));
		return;
	}
	p->look(p, n, n == 0 || (size_t)n <= p->seen);
}

static void
peek_timeout(int fd, short event, void *arg)
{
	struct peek	*p = arg;

	(void)fd;
	(void)event;
	p->refuse(p, p->late);
}

/* Look at fd, from addr; the caller has set buf, size and the calls. */
void
peek_start(struct peek *p, int fd, const char *addr)
{
	struct timeval	 tv;

	p->fd = fd;
	p->seen = 0;
	(void)strlcpy(p->addr, addr, sizeof(p->addr));
	event_set(&p->ev, fd, EV_READ | EV_PERSIST, peek_read, p);
	event_add(&p->ev, NULL);
	evtimer_set(&p->timeout, peek_timeout, p);
	tv.tv_sec = stream_conf->global.limits.mux_timeout;
	tv.tv_usec = 0;
	evtimer_add(&p->timeout, &tv);
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

	peek_stop(p);
	return (setsockopt(p->fd, SOL_SOCKET, SO_RCVLOWAT, &one,
	    sizeof(one)));
}

void
peek_stop(struct peek *p)
{
	event_del(&p->ev);
	evtimer_del(&p->timeout);
}
