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
 * The listening sockets a process received with its configuration, and
 * accepting on them: every process that accepts connections (streams,
 * uploadd) keeps its listeners in a struct listeners.
 */

#ifndef LISTENER_H
#define LISTENER_H

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>

#include "config.h"

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	struct listen_conf	 conf;
	int			 fd;
	struct event		 ev;
};

struct listeners {
	TAILQ_HEAD(, listener)	 list;
	struct event		 pause;		/* out of descriptors */
	int			 started;
	int			 paused;	/* since the last accept */
};

void	 listeners_init(struct listeners *);
void	 listeners_set(struct listeners *, struct xmppd_config *,
	    int (*)(const struct listen_conf *),
	    void (*)(int, short, void *));
void	 listeners_start(struct listeners *);
int	 listener_accept(struct listeners *, int, char *, size_t);

#endif /* LISTENER_H */
