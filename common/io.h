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
 * A small buffered I/O layer over libevent and libtls: one per
 * connection, with input and output buffers, an inactivity timeout,
 * pausing for rate limits, and an in-place TLS upgrade for STARTTLS.
 */

#ifndef IO_H
#define IO_H

#include <sys/types.h>

#include <event.h>
#include <tls.h>

enum io_event {
	IO_DATAIN = 1,		/* input is buffered: io_data() */
	IO_LOWAT,		/* output buffer drained */
	IO_TLSREADY,		/* TLS handshake done */
	IO_DISCONNECTED,	/* peer closed */
	IO_TIMEOUT,
	IO_ERROR,		/* io_error() says why */
};

struct io;

struct io	*io_new(int, void (*)(struct io *, int, void *), void *);
void		 io_free(struct io *);
void		 io_set_callback(struct io *,
		    void (*)(struct io *, int, void *), void *);
int		 io_fd(struct io *);
int		 io_write(struct io *, const void *, size_t);
int		 io_printf(struct io *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
size_t		 io_queued(struct io *);
void		 io_set_maxout(struct io *, size_t);
void		 io_set_timeout(struct io *, int);
void		*io_data(struct io *, size_t *);
void		 io_drain(struct io *, size_t);
void		 io_discard_input(struct io *);
void		 io_pause(struct io *);
void		 io_resume(struct io *);
int		 io_paused(struct io *);
int		 io_accept_tls(struct io *, struct tls *);
int		 io_connect_tls(struct io *, struct tls *, const char *);
struct tls	*io_tls(struct io *);
const char	*io_error(struct io *);
void		 io_close_after_write(struct io *);

#endif /* IO_H */
