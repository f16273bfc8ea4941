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
 * ibuf: byte buffers with a read and a write position, and msgbuf: a
 * queue of them waiting to be written.  Buffers are wiped when freed:
 * some carry secrets.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

struct ibuf *
ibuf_open(size_t len)
{
	struct ibuf	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	if (len > 0 && (b->buf = calloc(len, 1)) == NULL) {
		free(b);
		return (NULL);
	}
	b->size = b->max = len;
	b->fd = -1;
	return (b);
}

/* A buffer that grows from len up to max. */
struct ibuf *
ibuf_dynamic(size_t len, size_t max)
{
	struct ibuf	*b;

	if (max < len) {
		errno = EINVAL;
		return (NULL);
	}
	if ((b = ibuf_open(len)) == NULL)
		return (NULL);
	b->max = max;
	return (b);
}

static int
ibuf_grow(struct ibuf *b, size_t need)
{
	unsigned char	*p;
	size_t		 n;

	if (need <= b->size)
		return (0);
	if (need > b->max) {
		errno = ERANGE;
		return (-1);
	}
	n = b->size ? b->size : 64;
	while (n < need)
		n = n > b->max / 2 ? b->max : n * 2;
	if ((p = recallocarray(b->buf, b->size, n, 1)) == NULL)
		return (-1);
	b->buf = p;
	b->size = n;
	return (0);
}

void *
ibuf_reserve(struct ibuf *b, size_t len)
{
	void	*p;

	if (len > SIZE_MAX - b->wpos) {
		errno = ERANGE;
		return (NULL);
	}
	if (ibuf_grow(b, b->wpos + len) == -1)
		return (NULL);
	p = b->buf + b->wpos;
	b->wpos += len;
	return (p);
}

int
ibuf_add(struct ibuf *b, const void *data, size_t len)
{
	void	*p;

	if (len == 0)
		return (0);
	if ((p = ibuf_reserve(b, len)) == NULL)
		return (-1);
	memcpy(p, data, len);
	return (0);
}

int
ibuf_add_buf(struct ibuf *b, const struct ibuf *from)
{
	return (ibuf_add(b, ibuf_data(from), ibuf_size(from)));
}

int
ibuf_add_zero(struct ibuf *b, size_t len)
{
	void	*p;

	if ((p = ibuf_reserve(b, len)) == NULL)
		return (-1);
	memset(p, 0, len);
	return (0);
}

void *
ibuf_seek(struct ibuf *b, size_t pos, size_t len)
{
	if (pos > b->wpos || len > b->wpos - pos) {
		errno = ERANGE;
		return (NULL);
	}
	return (b->buf + pos);
}

void *
ibuf_data(const struct ibuf *b)
{
	return (b->buf + b->rpos);
}

size_t
ibuf_size(const struct ibuf *b)
{
	return (b->wpos - b->rpos);
}

size_t
ibuf_left(const struct ibuf *b)
{
	return (b->max - b->wpos);
}

/* A read-only view of memory someone else owns. */
void
ibuf_from_buffer(struct ibuf *b, void *data, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->buf = data;
	b->size = b->wpos = len;
	b->fd = -1;
}

int
ibuf_get(struct ibuf *b, void *data, size_t len)
{
	if (ibuf_size(b) < len) {
		errno = EBADMSG;
		return (-1);
	}
	if (len > 0)
		memcpy(data, ibuf_data(b), len);
	b->rpos += len;
	return (0);
}

int
ibuf_get_ibuf(struct ibuf *b, size_t len, struct ibuf *new)
{
	if (ibuf_size(b) < len) {
		errno = EBADMSG;
		return (-1);
	}
	ibuf_from_buffer(new, ibuf_data(b), len);
	b->rpos += len;
	return (0);
}

int
ibuf_skip(struct ibuf *b, size_t len)
{
	if (ibuf_size(b) < len) {
		errno = EBADMSG;
		return (-1);
	}
	b->rpos += len;
	return (0);
}

int
ibuf_fd_avail(struct ibuf *b)
{
	return (b->fd != -1);
}

int
ibuf_fd_get(struct ibuf *b)
{
	int	 fd = b->fd;

	b->fd = -1;
	return (fd);
}

void
ibuf_fd_set(struct ibuf *b, int fd)
{
	if (b->fd != -1)
		close(b->fd);
	b->fd = fd;
}

void
ibuf_free(struct ibuf *b)
{
	if (b == NULL)
		return;
	if (b->fd != -1)
		close(b->fd);
	freezero(b->buf, b->size);
	free(b);
}

struct msgbuf *
msgbuf_new(void)
{
	struct msgbuf	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return (NULL);
	TAILQ_INIT(&m->bufs);
	return (m);
}

void
msgbuf_clear(struct msgbuf *m)
{
	struct ibuf	*b;

	while ((b = TAILQ_FIRST(&m->bufs)) != NULL) {
		TAILQ_REMOVE(&m->bufs, b, entry);
		ibuf_free(b);
	}
	m->queued = 0;
}

void
msgbuf_free(struct msgbuf *m)
{
	if (m == NULL)
		return;
	msgbuf_clear(m);
	free(m);
}

uint32_t
msgbuf_queuelen(struct msgbuf *m)
{
	return (m->queued);
}

/* Queue a finished buffer for writing; rpos marks what is written. */
void
ibuf_close(struct msgbuf *m, struct ibuf *b)
{
	b->rpos = 0;
	TAILQ_INSERT_TAIL(&m->bufs, b, entry);
	m->queued++;
}
