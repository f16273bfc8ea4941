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
 * ibuf: byte buffers with a read and a write position; msgbuf: a queue
 * of them written with writev(2), or sendmsg(2) when they carry fds.
 * Buffers are wiped when freed: some carry secrets.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#ifndef IOV_MAX
#define IOV_MAX		1024
#endif

/* fd of a buffer that only looks at someone else's memory */
#define IBUF_FD_VIEW	(-2)

struct msgbuf {
	TAILQ_HEAD(, ibuf)	 bufs;
	uint32_t		 queued;
};

struct ibuf *
ibuf_open(size_t len)
{
	struct ibuf	*b;

	if (len == 0) {
		errno = EINVAL;
		return (NULL);
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	if ((b->buf = calloc(len, 1)) == NULL) {
		free(b);
		return (NULL);
	}
	b->size = b->max = len;
	b->fd = -1;
	return (b);
}

/* A buffer that starts at len bytes and grows on demand up to max. */
struct ibuf *
ibuf_dynamic(size_t len, size_t max)
{
	struct ibuf	*b;

	if (max == 0 || max < len) {
		errno = EINVAL;
		return (NULL);
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	if (len > 0 && (b->buf = calloc(len, 1)) == NULL) {
		free(b);
		return (NULL);
	}
	b->size = len;
	b->max = max;
	b->fd = -1;
	return (b);
}

void *
ibuf_reserve(struct ibuf *b, size_t len)
{
	unsigned char	*p;
	size_t		 need, n;

	if (len > SIZE_MAX - b->wpos || b->wpos + len > b->max) {
		errno = ERANGE;
		return (NULL);
	}
	need = b->wpos + len;
	if (need > b->size) {
		/* Double, so that many small adds stay linear. */
		n = b->size < 64 ? 64 : b->size;
		while (n < need)
			n = n > b->max / 2 ? b->max : n * 2;
		if (n > b->max)
			n = b->max;
		if ((p = recallocarray(b->buf, b->size, n, 1)) == NULL)
			return (NULL);
		b->buf = p;
		b->size = n;
	}
	p = b->buf + b->wpos;
	b->wpos = need;
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
ibuf_add_ibuf(struct ibuf *b, const struct ibuf *from)
{
	return (ibuf_add(b, ibuf_data(from), ibuf_size(from)));
}

/* The older name of ibuf_add_ibuf(). */
int
ibuf_add_buf(struct ibuf *b, const struct ibuf *from)
{
	return (ibuf_add_ibuf(b, from));
}

int
ibuf_add_zero(struct ibuf *b, size_t len)
{
	void	*p;

	if (len == 0)
		return (0);
	if ((p = ibuf_reserve(b, len)) == NULL)
		return (-1);
	memset(p, 0, len);
	return (0);
}

/* Encode v in w bytes, network or host order; too big is EINVAL. */
static int
ibuf_encode(unsigned char *out, uint64_t v, size_t w, int net)
{
	uint16_t	 v16;
	uint32_t	 v32;
	uint64_t	 v64;

	if (w < sizeof(v) && (v >> (w * 8)) != 0) {
		errno = EINVAL;
		return (-1);
	}
	switch (w) {
	case 1:
		out[0] = v;
		break;
	case 2:
		v16 = net ? htobe16(v) : v;
		memcpy(out, &v16, w);
		break;
	case 4:
		v32 = net ? htobe32(v) : v;
		memcpy(out, &v32, w);
		break;
	default:
		v64 = net ? htobe64(v) : v;
		memcpy(out, &v64, w);
		break;
	}
	return (0);
}

static int
ibuf_add_int(struct ibuf *b, uint64_t v, size_t w, int net)
{
	unsigned char	 tmp[sizeof(uint64_t)];

	if (ibuf_encode(tmp, v, w, net) == -1)
		return (-1);
	return (ibuf_add(b, tmp, w));
}

int
ibuf_add_n8(struct ibuf *b, uint64_t v)
{
	return (ibuf_add_int(b, v, 1, 1));
}

int
ibuf_add_n16(struct ibuf *b, uint64_t v)
{
	return (ibuf_add_int(b, v, 2, 1));
}

int
ibuf_add_n32(struct ibuf *b, uint64_t v)
{
	return (ibuf_add_int(b, v, 4, 1));
}

int
ibuf_add_n64(struct ibuf *b, uint64_t v)
{
	return (ibuf_add_int(b, v, 8, 1));
}

int
ibuf_add_h16(struct ibuf *b, uint64_t v)
{
	return (ibuf_add_int(b, v, 2, 0));
}

int
ibuf_add_h32(struct ibuf *b, uint64_t v)
{
	return (ibuf_add_int(b, v, 4, 0));
}

int
ibuf_add_h64(struct ibuf *b, uint64_t v)
{
	return (ibuf_add_int(b, v, 8, 0));
}

/* pos is counted from the read position, like everything else here. */
void *
ibuf_seek(struct ibuf *b, size_t pos, size_t len)
{
	if (pos > ibuf_size(b) || len > ibuf_size(b) - pos) {
		errno = ERANGE;
		return (NULL);
	}
	return (b->buf + b->rpos + pos);
}

int
ibuf_set(struct ibuf *b, size_t pos, const void *data, size_t len)
{
	void	*p;

	if ((p = ibuf_seek(b, pos, len)) == NULL)
		return (-1);
	if (len > 0)
		memcpy(p, data, len);
	return (0);
}

static int
ibuf_set_int(struct ibuf *b, size_t pos, uint64_t v, size_t w, int net)
{
	unsigned char	 tmp[sizeof(uint64_t)];

	if (ibuf_encode(tmp, v, w, net) == -1)
		return (-1);
	return (ibuf_set(b, pos, tmp, w));
}

int
ibuf_set_n8(struct ibuf *b, size_t pos, uint64_t v)
{
	return (ibuf_set_int(b, pos, v, 1, 1));
}

int
ibuf_set_n16(struct ibuf *b, size_t pos, uint64_t v)
{
	return (ibuf_set_int(b, pos, v, 2, 1));
}

int
ibuf_set_n32(struct ibuf *b, size_t pos, uint64_t v)
{
	return (ibuf_set_int(b, pos, v, 4, 1));
}

int
ibuf_set_n64(struct ibuf *b, size_t pos, uint64_t v)
{
	return (ibuf_set_int(b, pos, v, 8, 1));
}

int
ibuf_set_h16(struct ibuf *b, size_t pos, uint64_t v)
{
	return (ibuf_set_int(b, pos, v, 2, 0));
}

int
ibuf_set_h32(struct ibuf *b, size_t pos, uint64_t v)
{
	return (ibuf_set_int(b, pos, v, 4, 0));
}

int
ibuf_set_h64(struct ibuf *b, size_t pos, uint64_t v)
{
	return (ibuf_set_int(b, pos, v, 8, 0));
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

/* A read-only view of len bytes at data; it is never freed. */
void
ibuf_from_buffer(struct ibuf *b, void *data, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->buf = data;
	b->size = b->max = b->wpos = len;
	b->fd = IBUF_FD_VIEW;
}

void
ibuf_from_ibuf(struct ibuf *b, const struct ibuf *from)
{
	ibuf_from_buffer(b, ibuf_data(from), ibuf_size(from));
}

int
ibuf_get(struct ibuf *b, void *data, size_t len)
{
	if (len > ibuf_size(b)) {
		errno = EBADMSG;
		return (-1);
	}
	if (len > 0)
		memcpy(data, ibuf_data(b), len);
	b->rpos += len;
	return (0);
}

int
ibuf_get_ibuf(struct ibuf *b, size_t len, struct ibuf *view)
{
	if (len > ibuf_size(b)) {
		errno = EBADMSG;
		return (-1);
	}
	ibuf_from_buffer(view, ibuf_data(b), len);
	b->rpos += len;
	return (0);
}

int
ibuf_get_n8(struct ibuf *b, uint8_t *v)
{
	return (ibuf_get(b, v, sizeof(*v)));
}

int
ibuf_get_n16(struct ibuf *b, uint16_t *v)
{
	if (ibuf_get(b, v, sizeof(*v)) == -1)
		return (-1);
	*v = be16toh(*v);
	return (0);
}

int
ibuf_get_n32(struct ibuf *b, uint32_t *v)
{
	if (ibuf_get(b, v, sizeof(*v)) == -1)
		return (-1);
	*v = be32toh(*v);
	return (0);
}

int
ibuf_get_n64(struct ibuf *b, uint64_t *v)
{
	if (ibuf_get(b, v, sizeof(*v)) == -1)
		return (-1);
	*v = be64toh(*v);
	return (0);
}

int
ibuf_get_h16(struct ibuf *b, uint16_t *v)
{
	return (ibuf_get(b, v, sizeof(*v)));
}

int
ibuf_get_h32(struct ibuf *b, uint32_t *v)
{
	return (ibuf_get(b, v, sizeof(*v)));
}

int
ibuf_get_h64(struct ibuf *b, uint64_t *v)
{
	return (ibuf_get(b, v, sizeof(*v)));
}

/* len bytes as a new C string; an embedded NUL ends it early. */
char *
ibuf_get_string(struct ibuf *b, size_t len)
{
	char	*s;

	if (len > ibuf_size(b)) {
		errno = EBADMSG;
		return (NULL);
	}
	if ((s = strndup(ibuf_data(b), len)) == NULL)
		return (NULL);
	b->rpos += len;
	return (s);
}

int
ibuf_skip(struct ibuf *b, size_t len)
{
	if (len > ibuf_size(b)) {
		errno = EBADMSG;
		return (-1);
	}
	b->rpos += len;
	return (0);
}

int
ibuf_fd_avail(struct ibuf *b)
{
	return (b->fd >= 0);
}

/* Hand the fd over to the caller, who then must close it. */
int
ibuf_fd_get(struct ibuf *b)
{
	int	 fd;

	if (b->fd < 0)
		return (-1);
	fd = b->fd;
	b->fd = -1;
	return (fd);
}

/* The buffer owns fd from now on; an fd it held before is closed. */
void
ibuf_fd_set(struct ibuf *b, int fd)
{
	if (b->fd == IBUF_FD_VIEW)
		abort();
	if (b->fd >= 0)
		close(b->fd);
	b->fd = fd;
}

void
ibuf_free(struct ibuf *b)
{
	if (b == NULL)
		return;
	/* A view's memory is not ours: freeing it is a bug, fail loud. */
	if (b->fd == IBUF_FD_VIEW)
		abort();
	if (b->fd >= 0)
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

/* Queue b for writing; the queue owns it from now on. */
void
ibuf_close(struct msgbuf *m, struct ibuf *b)
{
	TAILQ_INSERT_TAIL(&m->bufs, b, entry);
	m->queued++;
}

/* Drop what the kernel took: whole buffers, then part of the next. */
static void
msgbuf_drain(struct msgbuf *m, size_t n, int nbufs)
{
	struct ibuf	*b;

	while ((b = TAILQ_FIRST(&m->bufs)) != NULL && nbufs-- > 0) {
		if (n < ibuf_size(b)) {
			b->rpos += n;
			return;
		}
		n -= ibuf_size(b);
		TAILQ_REMOVE(&m->bufs, b, entry);
		m->queued--;
		ibuf_free(b);
	}
}

/*
 * One writev(2) or sendmsg(2) of as many queued buffers as fit.  With
 * fds, a sendmsg stops before the next buffer that carries one, so that
 * each fd travels with the first byte of its own message.
 */
static int
msgbuf_send(int fd, struct msgbuf *m, int fdpass)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}		 cmsgbuf;
	struct iovec	 iov[IOV_MAX];
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct ibuf	*b, *first;
	ssize_t		 n;
	int		 i = 0;

	if ((first = TAILQ_FIRST(&m->bufs)) == NULL)
		return (0);
	TAILQ_FOREACH(b, &m->bufs, entry) {
		if (i == IOV_MAX || (fdpass && i > 0 && b->fd >= 0))
			break;
		iov[i].iov_base = ibuf_data(b);
		iov[i].iov_len = ibuf_size(b);
		i++;
	}
	if (!fdpass)
		n = writev(fd, iov, i);
	else {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = i;
		if (first->fd >= 0) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			msg.msg_control = cmsgbuf.buf;
			msg.msg_controllen = sizeof(cmsgbuf.buf);
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cm), &first->fd, sizeof(int));
		}
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	}
	if (n == -1) {
		/* A full socket or a signal: the caller polls and retries. */
		if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
			return (0);
		return (-1);
	}
	/* The peer has its own copy now. */
	if (fdpass && first->fd >= 0)
		ibuf_fd_set(first, -1);
	msgbuf_drain(m, n, i);
	return (0);
}

/* Write without fd passing; works on any fd, pipes too. */
int
ibuf_write(int fd, struct msgbuf *m)
{
	return (msgbuf_send(fd, m, 0));
}

/* Write over a socket, passing the fds the buffers carry. */
int
msgbuf_write(int fd, struct msgbuf *m)
{
	return (msgbuf_send(fd, m, 1));
}
