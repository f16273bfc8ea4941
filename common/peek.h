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
 * A connection's first bytes, looked at in place before it is served
 * (the multiplexer, a PROXY header), in any process that accepts
 * connections.  The look decides; the rest is here.
 */

#ifndef PEEK_H
#define PEEK_H

#include <sys/types.h>

#include <event.h>
#include <stdint.h>

#include "addr.h"

struct peek;

/* What a kind of look looks for, and how its refusals are logged. */
struct peek_kind {
	uint8_t		*buf;		/* where the bytes are peeked */
	size_t		 size;
	const char	*what;		/* "connection from proxy" ... */
	const char	*late;		/* why, at the timeout */
	/* n bytes in buf; closed: no more than last time will come */
	void		(*look)(struct peek *, size_t, int);
	void		(*gone)(struct peek *);	/* or NULL; before free */
};

struct peek {
	const struct peek_kind	*kind;
	int			 fd;
	char			 addr[ADDR_STRLEN];
	size_t			 seen;	/* bytes there at the last look */
	struct event		 ev;
	struct event		 timeout;
	void			*arg;	/* the caller's */
};

struct peek	*peek_start(const struct peek_kind *, int, const char *,
		    void *);
int		 peek_more(struct peek *, size_t);
int		 peek_done(struct peek *);
void		 peek_refuse(struct peek *, const char *);
void		 peek_free(struct peek *, int);

#endif /* PEEK_H */
