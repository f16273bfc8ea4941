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

/* Listening sockets and accepting on them; see listener.h. */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "listener.h"
#include "log.h"

static void
listeners_resume(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	listeners_start(arg);
}

void
listeners_init(struct listeners *ls)
{
	TAILQ_INIT(&ls->list);
	evtimer_set(&ls->pause, listeners_resume, ls);
	ls->started = 0;
	ls->paused = 0;
}

/*
 * Replace the listeners by the sockets of conf's that want() takes
 * (conf gives them up); a connection on one calls cb(fd, event,
 * listener).  They accept once listeners_start() has been called.
 */
void
listeners_set(struct listeners *ls, struct xmppd_config *conf,
    int (*want)(const struct listen_conf *), void (*cb)(int, short, void *))
{
	struct listener		*l;
	struct listen_conf	*lc;

	while ((l = TAILQ_FIRST(&ls->list)) != NULL) {
		TAILQ_REMOVE(&ls->list, l, entry);
		event_del(&l->ev);
		close(l->fd);
		free(l);
	}
	TAILQ_FOREACH(lc, &conf->listeners, entry) {
		if (lc->fd == -1 || !want(lc))
			continue;
		if ((l = calloc(1, sizeof(*l))) == NULL)
			fatal("%s", __func__);
		l->conf = *lc;
		l->fd = lc->fd;
		lc->fd = -1;
		event_set(&l->ev, l->fd, EV_READ | EV_PERSIST, cb, l);
		if (ls->started)
			event_add(&l->ev, NULL);
		TAILQ_INSERT_TAIL(&ls->list, l, entry);
	}
}

void
listeners_start(struct listeners *ls)
{
	struct listener	*l;

	ls->started = 1;
	TAILQ_FOREACH(l, &ls->list, entry)
		event_add(&l->ev, NULL);
}

/*
 * A connection from fd, non-blocking, with its peer's numeric address
 * in addr; -1 when there is none.  Out of descriptors, no listener
 * accepts for a second: the connections wait in the backlog rather
 * than wake the process again and again.  Said once when it begins
 * and once when a connection is accepted again, not every second.
 */
int
listener_accept(struct listeners *ls, int fd, char *addr, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	struct timeval		 tv = { 1, 0 };
	struct listener		*l;
	int			 s, on = 1;

	if ((s = accept4(fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			if (!ls->paused)
				log_warn("out of file descriptors, "
				    "connections wait");
			ls->paused = 1;
			TAILQ_FOREACH(l, &ls->list, entry)
				event_del(&l->ev);
			evtimer_add(&ls->pause, &tv);
		}
		return (-1);
	}
	if (ls->paused) {
		log_info("accepting connections again");
		ls->paused = 0;
	}
	/*
	 * Answers go out as written, not held for the peer's ACKs: a page
	 * of archive results written in parts would wait for a delayed
	 * ACK (40 ms) before its last part left.
	 */
	if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
		(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on));
	addr_ntop(&ss, addr, len);
	return (s);
}
