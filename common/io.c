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
 * Buffered connections over libevent and libtls.  One event per
 * connection, re-armed after each callback with what the connection
 * needs next: TLS may want to write to read, or read to write.
 *
 * Most connections are idle most of the time, and what arrives is
 * parsed at once: input is read into one buffer all connections share,
 * and only what the callback leaves is copied into the connection's
 * own.  A connection's buffers are freed once empty, so an idle one
 * holds none.
 *
 * Output is written once the events at hand are handled, everything a
 * connection was given by then in one write; only a write the socket
 * cannot take arms the connection's event for writing.  A stanza on its
 * way out costs no epoll_ctl(2).
 *
 * TLS keeps no record buffers between reads and writes either (about
 * 33 KiB a connection otherwise): libtls offers no switch for it, so
 * each SSL object gets SSL_MODE_RELEASE_BUFFERS as libssl creates it,
 * from the ex_data hook libssl calls for every new one.  The same hook
 * stops the two TLS 1.3 session tickets OpenSSL sends after every
 * handshake: libtls keeps no session cache (session lifetime 0), so
 * no client could ever resume with them.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "io.h"
#include "log.h"

#define IO_READSZ	16384
#define IO_MAXOUT	(4 * 1024 * 1024)

#define IO_HANDSHAKE	0x01
#define IO_PAUSED	0x02
#define IO_CLOSING	0x04	/* close when output is written */
#define IO_INCB		0x08	/* inside the user callback */
#define IO_FREED	0x10	/* io_free() called from the callback */
#define IO_SHARED	0x20	/* input is in io_rbuf */
#define IO_QUEUED	0x40	/* output waits in io_flushq */

struct io {
	TAILQ_ENTRY(io)	 flush;
	int		 sock;
	struct tls	*tls;
	int		 flags;
	short		 want;		/* events TLS asked for */
	struct event	 ev;
	int		 timeout;	/* ms, 0 = none */
	char		*in;
	size_t		 inlen, insize;
	char		*out;		/* output from out + outoff */
	size_t		 outoff, outlen, outsize, maxout;
	char		 err[128];
	void		(*cb)(struct io *, int, void *);
	void		*arg;
};

static void	io_dispatch(int, short, void *);
static void	io_reload(struct io *);
static int	io_settle(struct io *);

static void	io_flush(int, short, void *);
static void	io_callback(struct io *, int);

static char	io_rbuf[IO_READSZ];	/* input of the callback running */
static size_t	io_rbuf_used;
static TAILQ_HEAD(, io) io_flushq = TAILQ_HEAD_INITIALIZER(io_flushq);
static struct event	io_flushev;

static void
io_ssl_new(void *ssl, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)ptr;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	SSL_set_mode((SSL *)ssl, SSL_MODE_RELEASE_BUFFERS);
#if OPENSSL_VERSION_NUMBER >= 0x10101000L && !defined(LIBRESSL_VERSION_NUMBER)
	(void)SSL_set_num_tickets((SSL *)ssl, 0);
#endif
}

/* Once per process, before the first connection. */
static void
io_init(void)
{
	event_set(&io_flushev, -1, 0, io_flush, NULL);
	if (SSL_get_ex_new_index(0, NULL, io_ssl_new, NULL, NULL) == -1)
		log_warnx("%s: TLS buffers are kept per connection", __func__);
}

struct io *
io_new(int sock, void (*cb)(struct io *, int, void *), void *arg)
{
	struct io	*io;

	if ((io = calloc(1, sizeof(*io))) == NULL)
		return (NULL);
	io->sock = sock;
	io->cb = cb;
	io->arg = arg;
	io->maxout = IO_MAXOUT;
	if (!event_initialized(&io_flushev))
		io_init();
	event_set(&io->ev, sock, EV_READ | EV_PERSIST, io_dispatch, io);
	io_reload(io);
	return (io);
}

/* Another owner for the connection: a protocol upgrade (http_ws.c). */
void
io_set_callback(struct io *io, void (*cb)(struct io *, int, void *),
    void *arg)
{
	io->cb = cb;
	io->arg = arg;
}

void
io_free(struct io *io)
{
	if (io == NULL)
		return;
	if (io->flags & IO_INCB) {
		io->flags |= IO_FREED;
		return;
	}
	event_del(&io->ev);
	if (io->flags & IO_QUEUED)
		TAILQ_REMOVE(&io_flushq, io, flush);
	if (io->flags & IO_SHARED) {
		explicit_bzero(io_rbuf, io_rbuf_used);
		io_rbuf_used = 0;
	}
	if (io->tls != NULL) {
		(void)tls_close(io->tls);
		tls_free(io->tls);
	}
	close(io->sock);
	freezero(io->in, io->insize);
	freezero(io->out, io->outsize);
	free(io);
}

int
io_fd(struct io *io)
{
	return (io->sock);
}

struct tls *
io_tls(struct io *io)
{
	return (io->tls);
}

const char *
io_error(struct io *io)
{
	return (io->err);
}

void
io_set_maxout(struct io *io, size_t max)
{
	io->maxout = max;
}

void
io_set_timeout(struct io *io, int ms)
{
	io->timeout = ms;
	io_reload(io);
}

size_t
io_queued(struct io *io)
{
	return (io->outlen);
}

static int
io_grow(char **buf, size_t *size, size_t need)
{
	char	*p;
	size_t	 n = *size ? *size : 1024;

	if (need <= *size)
		return (0);
	while (n < need)
		n *= 2;
	if ((p = recallocarray(*buf, *size, n, 1)) == NULL)
		return (-1);
	*buf = p;
	*size = n;
	return (0);
}

/* Queue output; fails when the peer does not read fast enough. */
int
io_write(struct io *io, const void *data, size_t len)
{
	if (io->outlen + len > io->maxout) {
		(void)strlcpy(io->err, "output buffer full", sizeof(io->err));
		return (-1);
	}
	if (io->outoff > 0 && io->outoff + io->outlen + len > io->outsize) {
		memmove(io->out, io->out + io->outoff, io->outlen);
		io->outoff = 0;
	}
	if (io_grow(&io->out, &io->outsize, io->outoff + io->outlen + len) ==
	    -1)
		return (-1);
	memcpy(io->out + io->outoff + io->outlen, data, len);
	io->outlen += len;
	if (!(io->flags & (IO_QUEUED | IO_HANDSHAKE))) {
		io->flags |= IO_QUEUED;
		TAILQ_INSERT_TAIL(&io_flushq, io, flush);
		event_active(&io_flushev, EV_WRITE, 1);
	}
	io_reload(io);
	return (0);
}

int
io_printf(struct io *io, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n, ret;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		return (-1);
	ret = io_write(io, s, n);
	free(s);
	return (ret);
}

static char *
io_input(struct io *io)
{
	return ((io->flags & IO_SHARED) ? io_rbuf : io->in);
}

/* The input buffered; it stays valid until the callback returns. */
void *
io_data(struct io *io, size_t *len)
{
	*len = io->inlen;
	return (io_input(io));
}

void
io_drain(struct io *io, size_t len)
{
	char	*in = io_input(io);

	if (len >= io->inlen) {
		io->inlen = 0;
		return;
	}
	memmove(in, in + len, io->inlen - len);
	io->inlen -= len;
}

void
io_discard_input(struct io *io)
{
	if (io->inlen > 0)
		explicit_bzero(io_input(io), io->inlen);
	io->inlen = 0;
}

/*
 * After a callback: what it left of the shared buffer moves to the
 * connection's own, and empty buffers go.  Fails out of memory, with
 * the input thrown away.
 */
static int
io_settle(struct io *io)
{
	int	 rv = 0;

	if (io->flags & IO_SHARED) {
		io->flags &= ~IO_SHARED;
		if (io->inlen > 0) {
			if (io_grow(&io->in, &io->insize, io->inlen) == 0)
				memcpy(io->in, io_rbuf, io->inlen);
			else {
				io->inlen = 0;
				(void)strlcpy(io->err, "out of memory",
				    sizeof(io->err));
				rv = -1;
			}
		}
		explicit_bzero(io_rbuf, io_rbuf_used);
		io_rbuf_used = 0;
	}
	if (io->inlen == 0 && io->in != NULL) {
		freezero(io->in, io->insize);
		io->in = NULL;
		io->insize = 0;
	}
	if (io->outlen == 0 && io->out != NULL) {
		freezero(io->out, io->outsize);
		io->out = NULL;
		io->outoff = io->outsize = 0;
	}
	return (rv);
}

void
io_pause(struct io *io)
{
	io->flags |= IO_PAUSED;
	io_reload(io);
}

void
io_resume(struct io *io)
{
	io->flags &= ~IO_PAUSED;
	io_reload(io);
}

int
io_paused(struct io *io)
{
	return ((io->flags & IO_PAUSED) != 0);
}

void
io_close_after_write(struct io *io)
{
	io->flags |= IO_CLOSING | IO_PAUSED;
	io_reload(io);
}

/*
 * Upgrade the connection to TLS in place (STARTTLS), or start TLS on a
 * fresh connection (direct TLS).  Input already buffered was sent in
 * the clear and is thrown away, never read as if it came over TLS.
 */
int
io_accept_tls(struct io *io, struct tls *ctx)
{
	io_discard_input(io);
	if (tls_accept_socket(ctx, &io->tls, io->sock) == -1) {
		(void)strlcpy(io->err, tls_error(ctx), sizeof(io->err));
		return (-1);
	}
	io->flags |= IO_HANDSHAKE;
	io->want = 0;
	io_reload(io);
	return (0);
}

/* Start TLS as the client, on a connected socket. */
int
io_connect_tls(struct io *io, struct tls *ctx, const char *servername)
{
	io_discard_input(io);
	if (tls_connect_socket(ctx, io->sock, servername) == -1) {
		(void)strlcpy(io->err, tls_error(ctx), sizeof(io->err));
		return (-1);
	}
	io->tls = ctx;
	io->flags |= IO_HANDSHAKE;
	/* The client speaks first: the handshake starts when it may write. */
	io->want = EV_WRITE;
	io_reload(io);
	return (0);
}

static void
io_reload(struct io *io)
{
	struct timeval	 tv;
	short		 events = 0;

	if (io->flags & (IO_INCB | IO_FREED))
		return;
	if (io->flags & IO_HANDSHAKE)
		events = io->want ? io->want : EV_READ;
	else {
		if (!(io->flags & IO_PAUSED))
			events |= EV_READ;
		/*
		 * Output the flush did not get rid of waits for the socket;
		 * a closing connection with nothing left fires at once.
		 */
		if ((io->outlen > 0 && !(io->flags & IO_QUEUED)) ||
		    (io->flags & IO_CLOSING))
			events |= EV_WRITE;
		events |= io->want;
	}
	tv.tv_sec = io->timeout / 1000;
	tv.tv_usec = (io->timeout % 1000) * 1000;
	/*
	 * The event persists.  Armed for the same already: only the
	 * timeout moves, which libevent does without a system call.
	 */
	if (events != 0 && event_initialized(&io->ev) &&
	    event_pending(&io->ev, EV_READ | EV_WRITE, NULL) &&
	    (event_get_events(&io->ev) & (EV_READ | EV_WRITE)) == events) {
		if (io->timeout != 0) {
			event_add(&io->ev, &tv);
			return;
		}
		if (!event_pending(&io->ev, EV_TIMEOUT, NULL))
			return;
	}
	event_del(&io->ev);
	if (events == 0 && io->timeout == 0)
		return;
	event_set(&io->ev, io->sock, events | EV_PERSIST, io_dispatch, io);
	event_add(&io->ev, io->timeout ? &tv : NULL);
}

static int
io_tls_want(struct io *io, ssize_t r)
{
	if (r == TLS_WANT_POLLIN) {
		io->want = EV_READ;
		return (1);
	}
	if (r == TLS_WANT_POLLOUT) {
		io->want = EV_WRITE;
		return (1);
	}
	return (0);
}

/*
 * What a read or a write returned: 1 when it moved n bytes (0 for a
 * read: the peer closed), 0 to wait for the event TLS or the socket
 * wants, IO_ERROR with io->err saying why.
 */
static int
io_check(struct io *io, ssize_t n)
{
	if (io->tls != NULL) {
		if (io_tls_want(io, n))
			return (0);
		if (n == -1) {
			(void)strlcpy(io->err, tls_error(io->tls),
			    sizeof(io->err));
			return (IO_ERROR);
		}
	} else if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return (0);
		(void)strlcpy(io->err, strerror(errno), sizeof(io->err));
		return (IO_ERROR);
	}
	return (1);
}

/* Returns 0 to go on, or the event to report. */
static int
io_do_read(struct io *io)
{
	ssize_t	 n;
	int	 r;
	char	*buf;

	/* Nothing left over: read where every connection reads. */
	if (io->inlen == 0)
		buf = io_rbuf;
	else if (io_grow(&io->in, &io->insize, io->inlen + IO_READSZ) == -1) {
		(void)strlcpy(io->err, "out of memory", sizeof(io->err));
		return (IO_ERROR);
	} else
		buf = io->in + io->inlen;
	if (io->tls != NULL)
		n = tls_read(io->tls, buf, IO_READSZ);
	else
		n = read(io->sock, buf, IO_READSZ);
	if ((r = io_check(io, n)) != 1)
		return (r);
	if (n == 0)
		return (IO_DISCONNECTED);
	if (buf == io_rbuf) {
		io->flags |= IO_SHARED;
		io_rbuf_used = n;
	}
	io->inlen += n;
	return (IO_DATAIN);
}

/*
 * Write until the output is all gone or the socket would block: a TLS
 * write takes one record at a time.  What is written is skipped, not
 * moved; io_write() moves what is left when it needs the room.
 */
static int
io_do_write(struct io *io)
{
	ssize_t	 n;
	int	 r;

	while (io->outlen > 0) {
		if (io->tls != NULL)
			n = tls_write(io->tls, io->out + io->outoff,
			    io->outlen);
		else
			n = send(io->sock, io->out + io->outoff, io->outlen,
			    MSG_NOSIGNAL);
		if ((r = io_check(io, n)) != 1)
			return (r);
		io->outoff += n;
		io->outlen -= n;
	}
	io->outoff = 0;
	return (IO_LOWAT);
}

static void
io_callback(struct io *io, int event)
{
	io->flags |= IO_INCB;
	io->cb(io, event, io->arg);
	io->flags &= ~IO_INCB;
	if (io->flags & IO_FREED) {
		io->flags &= ~IO_FREED;
		io_free(io);
		return;
	}
	if (io_settle(io) == -1) {
		io_callback(io, IO_ERROR);
		return;
	}
	io_reload(io);
}

static void
io_handshake(struct io *io)
{
	int	 r;

	r = tls_handshake(io->tls);
	if (io_tls_want(io, r)) {
		io_reload(io);
		return;
	}
	io->flags &= ~IO_HANDSHAKE;
	io->want = 0;
	if (r == -1) {
		(void)strlcpy(io->err, tls_error(io->tls), sizeof(io->err));
		io_callback(io, IO_ERROR);
		return;
	}
	io_callback(io, IO_TLSREADY);
}

static void
io_dispatch(int fd, short event, void *arg)
{
	struct io	*io = arg;
	int		 r;

	(void)fd;
	if (event & EV_TIMEOUT) {
		io_callback(io, IO_TIMEOUT);
		return;
	}
	if (io->flags & IO_HANDSHAKE) {
		io_handshake(io);
		return;
	}
	if ((io->flags & IO_CLOSING) && io->outlen == 0) {
		io_callback(io, IO_DISCONNECTED);
		return;
	}
	io->want = 0;
	if (io->outlen > 0) {
		if ((r = io_do_write(io)) == IO_ERROR) {
			io_callback(io, r);
			return;
		}
		if (r == IO_LOWAT) {
			if (io->flags & IO_CLOSING) {
				io_callback(io, IO_DISCONNECTED);
				return;
			}
			io_callback(io, IO_LOWAT);
			return;
		}
	}
	if (!(io->flags & IO_PAUSED) && (io->want == 0 || (event & EV_READ))) {
		if ((r = io_do_read(io)) != 0) {
			io_callback(io, r);
			return;
		}
	}
	io_reload(io);
}

/*
 * Write what each connection was given while the events at hand were
 * handled.  A callback may free any connection: each is taken off the
 * queue before its turn.
 */
static void
io_flush(int fd, short event, void *arg)
{
	struct io	*io;
	int		 r;

	(void)fd;
	(void)event;
	(void)arg;
	while ((io = TAILQ_FIRST(&io_flushq)) != NULL) {
		TAILQ_REMOVE(&io_flushq, io, flush);
		io->flags &= ~IO_QUEUED;
		/* TLS in the middle of something: the event takes it. */
		if (io->want != 0 || (io->flags & IO_HANDSHAKE) ||
		    io->outlen == 0) {
			io_reload(io);
			continue;
		}
		if ((r = io_do_write(io)) == IO_ERROR)
			io_callback(io, r);
		else if (r == IO_LOWAT)
			io_callback(io, (io->flags & IO_CLOSING) ?
			    IO_DISCONNECTED : IO_LOWAT);
		else
			io_reload(io);
	}
}
