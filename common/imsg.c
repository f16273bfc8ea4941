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
 * imsg: messages of a 16-byte header (type, length, peerid, pid) and a
 * payload, queued and written with sendmsg(2), read back and split into
 * messages whatever the read boundaries.  A message may carry one file
 * descriptor, on channels that allow it.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define IMSG_IOV_MAX	64

int
imsgbuf_init(struct imsgbuf *ib, int fd)
{
	memset(ib, 0, sizeof(*ib));
	if ((ib->w = msgbuf_new()) == NULL)
		return (-1);
	TAILQ_INIT(&ib->fds);
	ib->fd = fd;
	ib->maxsize = MAX_IMSGSIZE;
	ib->pid = getpid();
	return (0);
}

void
imsgbuf_allow_fdpass(struct imsgbuf *ib)
{
	ib->fdpass = 1;
}

int
imsgbuf_set_maxsize(struct imsgbuf *ib, uint32_t max)
{
	if (max < IMSG_HEADER_SIZE || (max & IMSG_FD_MARK)) {
		errno = EINVAL;
		return (-1);
	}
	ib->maxsize = max;
	return (0);
}

uint32_t
imsgbuf_queuelen(struct imsgbuf *ib)
{
	return (msgbuf_queuelen(ib->w));
}

void
imsgbuf_clear(struct imsgbuf *ib)
{
	struct imsg_fd	*f;

	msgbuf_free(ib->w);
	ib->w = NULL;
	while ((f = TAILQ_FIRST(&ib->fds)) != NULL) {
		TAILQ_REMOVE(&ib->fds, f, entry);
		close(f->fd);
		free(f);
	}
	freezero(ib->rbuf, ib->rsize);
	ib->rbuf = NULL;
	ib->rlen = ib->rsize = 0;
}

/* Keep received descriptors in order; extra ones are closed. */
static void
imsg_take_fds(struct imsgbuf *ib, struct msghdr *msg)
{
	struct cmsghdr	*cm;
	struct imsg_fd	*f;
	int		*fds, i, n;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)CMSG_DATA(cm);
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			if (i > 0 || !ib->fdpass ||
			    (f = calloc(1, sizeof(*f))) == NULL) {
				close(fds[i]);
				continue;
			}
			f->fd = fds[i];
			TAILQ_INSERT_TAIL(&ib->fds, f, entry);
		}
	}
}

/* Returns 1 when something was read or nothing was there, 0 on EOF. */
int
imsgbuf_read(struct imsgbuf *ib)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 1)];
	}		 cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	unsigned char	*p;
	size_t		 want;
	ssize_t		 n;

	want = ib->rlen + IBUF_READ_SIZE;
	if (want > ib->rsize) {
		if ((p = recallocarray(ib->rbuf, ib->rsize, want, 1)) == NULL)
			return (-1);
		ib->rbuf = p;
		ib->rsize = want;
	}
	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = ib->rbuf + ib->rlen;
	iov.iov_len = ib->rsize - ib->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	if ((n = recvmsg(ib->fd, &msg, MSG_CMSG_CLOEXEC)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return (1);
		return (-1);
	}
	imsg_take_fds(ib, &msg);
	if (n == 0)
		return (0);
	ib->rlen += n;
	return (1);
}

/* Write what the socket takes; the rest stays queued. */
int
imsgbuf_write(struct imsgbuf *ib)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cmsgbuf;
	struct iovec	 iov[IMSG_IOV_MAX];
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct ibuf	*b, *first, *next;
	ssize_t		 n;
	size_t		 left;
	int		 i = 0;

	if ((first = TAILQ_FIRST(&ib->w->bufs)) == NULL)
		return (0);
	memset(&msg, 0, sizeof(msg));
	TAILQ_FOREACH(b, &ib->w->bufs, entry) {
		/* One descriptor per sendmsg, with its message's first byte. */
		if (i >= IMSG_IOV_MAX || (b != first && b->fd != -1))
			break;
		iov[i].iov_base = ibuf_data(b);
		iov[i].iov_len = ibuf_size(b);
		i++;
	}
	msg.msg_iov = iov;
	msg.msg_iovlen = i;
	if (first->fd != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = &cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cm), &first->fd, sizeof(int));
	}
	if ((n = sendmsg(ib->fd, &msg, MSG_NOSIGNAL)) == -1) {
		if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
			return (0);
		return (-1);
	}
	if (first->fd != -1) {
		close(first->fd);
		first->fd = -1;
	}
	left = n;
	for (b = first; b != NULL && left > 0; b = next) {
		next = TAILQ_NEXT(b, entry);
		if (left < ibuf_size(b)) {
			b->rpos += left;
			break;
		}
		left -= ibuf_size(b);
		TAILQ_REMOVE(&ib->w->bufs, b, entry);
		ib->w->queued--;
		ibuf_free(b);
	}
	return (0);
}

int
imsgbuf_flush(struct imsgbuf *ib)
{
	while (imsgbuf_queuelen(ib) > 0)
		if (imsgbuf_write(ib) == -1)
			return (-1);
	return (0);
}

/*
 * The next complete message: its size, 0 when none is complete yet, -1
 * when the peer sent a length this channel does not accept.
 */
ssize_t
imsg_get(struct imsgbuf *ib, struct imsg *imsg)
{
	struct imsg_hdr	 hdr;
	struct imsg_fd	*f;
	size_t		 len, datalen;

	if (ib->rlen < IMSG_HEADER_SIZE)
		return (0);
	memcpy(&hdr, ib->rbuf, sizeof(hdr));
	len = hdr.len & ~IMSG_FD_MARK;
	if (len < IMSG_HEADER_SIZE || len > ib->maxsize) {
		errno = ERANGE;
		return (-1);
	}
	if (ib->rlen < len)
		return (0);
	datalen = len - IMSG_HEADER_SIZE;
	memset(imsg, 0, sizeof(*imsg));
	imsg->hdr = hdr;
	imsg->hdr.len = len;
	if ((imsg->buf = ibuf_open(datalen)) == NULL)
		return (-1);
	if (ibuf_add(imsg->buf, ib->rbuf + IMSG_HEADER_SIZE, datalen) == -1) {
		ibuf_free(imsg->buf);
		return (-1);
	}
	imsg->data = datalen > 0 ? ibuf_data(imsg->buf) : NULL;
	if ((hdr.len & IMSG_FD_MARK) && (f = TAILQ_FIRST(&ib->fds)) != NULL) {
		TAILQ_REMOVE(&ib->fds, f, entry);
		imsg->buf->fd = f->fd;
		free(f);
	}
	explicit_bzero(ib->rbuf, len);
	memmove(ib->rbuf, ib->rbuf + len, ib->rlen - len);
	ib->rlen -= len;
	return (len);
}

int
imsg_get_ibuf(struct imsg *imsg, struct ibuf *b)
{
	if (imsg->buf == NULL) {
		ibuf_from_buffer(b, NULL, 0);
		return (0);
	}
	ibuf_from_buffer(b, ibuf_data(imsg->buf), ibuf_size(imsg->buf));
	return (0);
}

/* Copy the payload, which must be exactly len bytes. */
int
imsg_get_data(struct imsg *imsg, void *data, size_t len)
{
	if (len == 0 || imsg_get_len(imsg) != len) {
		errno = EBADMSG;
		return (-1);
	}
	memcpy(data, imsg->data, len);
	return (0);
}

int
imsg_get_fd(struct imsg *imsg)
{
	if (imsg->buf == NULL)
		return (-1);
	return (ibuf_fd_get(imsg->buf));
}

uint32_t
imsg_get_id(struct imsg *imsg)
{
	return (imsg->hdr.peerid);
}

size_t
imsg_get_len(struct imsg *imsg)
{
	return (imsg->hdr.len - IMSG_HEADER_SIZE);
}

pid_t
imsg_get_pid(struct imsg *imsg)
{
	return (imsg->hdr.pid);
}

uint32_t
imsg_get_type(struct imsg *imsg)
{
	return (imsg->hdr.type);
}

struct ibuf *
imsg_create(struct imsgbuf *ib, uint32_t type, uint32_t id, pid_t pid,
    size_t datalen)
{
	struct imsg_hdr	 hdr;
	struct ibuf	*b;

	if (datalen > ib->maxsize - IMSG_HEADER_SIZE) {
		errno = ERANGE;
		return (NULL);
	}
	hdr.type = type;
	hdr.len = 0;
	hdr.peerid = id;
	hdr.pid = pid ? (uint32_t)pid : (uint32_t)ib->pid;
	if ((b = ibuf_dynamic(datalen + IMSG_HEADER_SIZE, ib->maxsize)) ==
	    NULL)
		return (NULL);
	if (ibuf_add(b, &hdr, sizeof(hdr)) == -1) {
		ibuf_free(b);
		return (NULL);
	}
	return (b);
}

int
imsg_add(struct ibuf *b, const void *data, size_t len)
{
	if (len > 0 && ibuf_add(b, data, len) == -1) {
		ibuf_free(b);
		return (-1);
	}
	return (0);
}

/* Fill in the length and the descriptor mark, then queue. */
void
imsg_close(struct imsgbuf *ib, struct ibuf *b)
{
	struct imsg_hdr	*hdr = (struct imsg_hdr *)b->buf;

	hdr->len = b->wpos;
	if (b->fd != -1)
		hdr->len |= IMSG_FD_MARK;
	ibuf_close(ib->w, b);
}

int
imsg_composev(struct imsgbuf *ib, uint32_t type, uint32_t id, pid_t pid,
    int fd, const struct iovec *iov, int iovcnt)
{
	struct ibuf	*b;
	size_t		 len = 0;
	int		 i;

	if (fd != -1 && !ib->fdpass) {
		errno = EINVAL;
		return (-1);
	}
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > SIZE_MAX - len) {
			errno = ERANGE;
			return (-1);
		}
		len += iov[i].iov_len;
	}
	if ((b = imsg_create(ib, type, id, pid, len)) == NULL)
		return (-1);
	for (i = 0; i < iovcnt; i++)
		if (imsg_add(b, iov[i].iov_base, iov[i].iov_len) == -1)
			return (-1);
	b->fd = fd;
	imsg_close(ib, b);
	return (1);
}

int
imsg_compose(struct imsgbuf *ib, uint32_t type, uint32_t id, pid_t pid,
    int fd, const void *data, size_t len)
{
	struct iovec	 iov;

	iov.iov_base = (void *)data;
	iov.iov_len = len;
	return (imsg_composev(ib, type, id, pid, fd, &iov, 1));
}

int
imsg_forward(struct imsgbuf *ib, struct imsg *imsg)
{
	return (imsg_compose(ib, imsg->hdr.type, imsg->hdr.peerid,
	    imsg->hdr.pid, -1, imsg->data, imsg_get_len(imsg)));
}

void
imsg_free(struct imsg *imsg)
{
	ibuf_free(imsg->buf);
	imsg->buf = NULL;
	imsg->data = NULL;
}
