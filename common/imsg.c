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
 * imsg: a 16-byte header (type, length, peerid, pid) and a payload,
 * queued for writing and cut back out of the byte stream on reading,
 * whatever the read boundaries.  A message may carry one fd.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define IMSGF_FDPASS	0x01
#define IMSG_CMSG_FDS	8	/* room for fds in one control message */
#define IMSG_PENDFDS	4	/* received fds waiting for their header */

/*
 * A received fd and the stream range [start, end) of the read that
 * brought it.  Senders pass an fd with the first byte of its message,
 * so it belongs to the first marked header that starts in that range;
 * placing fds by position rather than in arrival order means a lost or
 * stray fd never shifts the fds of later reads onto the wrong messages.
 * Linux may glue fd-less data before an fd into one read, so a peer
 * that marks a header yet sends no fd can give that header the fd of a
 * later message in the same read; a well-behaved peer never does that.
 */
struct imsg_rfd {
	uint64_t		 start;
	uint64_t		 end;
	int			 fd;
};

struct imsg_reader {
	unsigned char		*buf;		/* IBUF_READ_SIZE bytes */
	size_t			 pos;		/* first unparsed byte */
	size_t			 len;		/* bytes in buf */
	uint64_t		 base;		/* stream offset of buf[0] */
	struct ibuf		*msg;		/* message being filled */
	TAILQ_HEAD(, ibuf)	 done;		/* complete messages */
	struct imsg_rfd		 fds[IMSG_PENDFDS];
	int			 nfds;
	int			 err;		/* stream out of sync: sticky */
};

int
imsgbuf_init(struct imsgbuf *ib, int fd)
{
	memset(ib, 0, sizeof(*ib));
	ib->fd = fd;
	ib->pid = getpid();
	ib->maxsize = MAX_IMSGSIZE;
	if ((ib->w = msgbuf_new()) == NULL ||
	    (ib->r = calloc(1, sizeof(*ib->r))) == NULL ||
	    (ib->r->buf = malloc(IBUF_READ_SIZE)) == NULL) {
		imsgbuf_clear(ib);
		return (-1);
	}
	TAILQ_INIT(&ib->r->done);
	return (0);
}

void
imsgbuf_allow_fdpass(struct imsgbuf *ib)
{
	ib->flags |= IMSGF_FDPASS;
}

/* max counts the header; the top bit of hdr.len is the fd mark. */
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

/* Free everything; only imsgbuf_init() makes ib usable again. */
void
imsgbuf_clear(struct imsgbuf *ib)
{
	struct imsg_reader	*r = ib->r;
	struct ibuf		*b;
	int			 i;

	msgbuf_free(ib->w);
	ib->w = NULL;
	if (r == NULL)
		return;
	for (i = 0; i < r->nfds; i++)
		close(r->fds[i].fd);
	ibuf_free(r->msg);
	/* A zeroed list head reads as empty too, if init failed early. */
	while ((b = TAILQ_FIRST(&r->done)) != NULL) {
		TAILQ_REMOVE(&r->done, b, entry);
		ibuf_free(b);
	}
	freezero(r->buf, IBUF_READ_SIZE);
	free(r);
	ib->r = NULL;
}

/* Close fds whose read ended at or before off: no header can own them. */
static void
imsg_rfd_expire(struct imsg_reader *r, uint64_t off)
{
	while (r->nfds > 0 && r->fds[0].end <= off) {
		close(r->fds[0].fd);
		r->nfds--;
		memmove(&r->fds[0], &r->fds[1], r->nfds * sizeof(r->fds[0]));
	}
}

/* The fd of a marked header at stream offset off, or -1 if lost. */
static int
imsg_rfd_take(struct imsg_reader *r, uint64_t off)
{
	int	 fd;

	imsg_rfd_expire(r, off);
	if (r->nfds == 0 || r->fds[0].start > off)
		return (-1);
	fd = r->fds[0].fd;
	r->nfds--;
	memmove(&r->fds[0], &r->fds[1], r->nfds * sizeof(r->fds[0]));
	return (fd);
}

/* Keep the first fd of the read of n bytes just done; close the rest. */
static void
imsg_rfd_collect(struct imsg_reader *r, struct msghdr *msg, size_t n)
{
	struct cmsghdr	*cm;
	unsigned char	*p;
	size_t		 i, cnt;
	int		 fd, kept = 0;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		p = CMSG_DATA(cm);
		cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < cnt; i++) {
			memcpy(&fd, p + i * sizeof(int), sizeof(int));
			if (kept || n == 0 || r->nfds == IMSG_PENDFDS) {
				close(fd);
				continue;
			}
			kept = 1;
			r->fds[r->nfds].start = r->base + r->len;
			r->fds[r->nfds].end = r->base + r->len + n;
			r->fds[r->nfds].fd = fd;
			r->nfds++;
		}
	}
}

/*
 * Cut the unparsed bytes into messages.  Each message gets a buffer of
 * its exact size when its header is complete, so messages larger than
 * the read buffer need nothing special.  A bad length leaves the stream
 * out of sync for good: ERANGE.
 */
static int
imsg_parse(struct imsgbuf *ib)
{
	struct imsg_reader	*r = ib->r;
	struct imsg_hdr		 hdr;
	size_t			 len, n;

	while (r->pos < r->len) {
		if (r->msg == NULL) {
			if (r->len - r->pos < IMSG_HEADER_SIZE)
				break;
			memcpy(&hdr, r->buf + r->pos, sizeof(hdr));
			len = hdr.len & ~IMSG_FD_MARK;
			if (len < IMSG_HEADER_SIZE || len > ib->maxsize) {
				r->err = errno = ERANGE;
				return (-1);
			}
			if ((r->msg = ibuf_open(len)) == NULL)
				return (-1);
			if (hdr.len & IMSG_FD_MARK)
				ibuf_fd_set(r->msg,
				    imsg_rfd_take(r, r->base + r->pos));
		}
		n = ibuf_left(r->msg);
		if (n > r->len - r->pos)
			n = r->len - r->pos;
		(void)ibuf_add(r->msg, r->buf + r->pos, n);
		r->pos += n;
		if (ibuf_left(r->msg) == 0) {
			TAILQ_INSERT_TAIL(&r->done, r->msg, entry);
			r->msg = NULL;
		}
	}
	imsg_rfd_expire(r, r->base + r->pos);
	return (0);
}

/* 1: read something or nothing to read yet, 0: EOF, -1: error. */
int
imsgbuf_read(struct imsgbuf *ib)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int) * IMSG_CMSG_FDS)];
	}			 cmsgbuf;
	struct imsg_reader	*r = ib->r;
	struct msghdr		 msg;
	struct iovec		 iov;
	size_t			 left;
	ssize_t			 n;

	if (r->err != 0) {
		errno = r->err;
		return (-1);
	}
	/* Bytes an allocation failure left unparsed come first. */
	if (imsg_parse(ib) == -1)
		return (-1);
	/* Now at most a partial header is left: move it to the front. */
	if (r->pos > 0) {
		left = r->len - r->pos;
		memmove(r->buf, r->buf + r->pos, left);
		explicit_bzero(r->buf + left, r->pos);
		r->base += r->pos;
		r->len = left;
		r->pos = 0;
	}
	iov.iov_base = r->buf + r->len;
	iov.iov_len = IBUF_READ_SIZE - r->len;
	if (!(ib->flags & IMSGF_FDPASS))
		n = read(ib->fd, iov.iov_base, iov.iov_len);
	else {
		memset(&msg, 0, sizeof(msg));
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		n = recvmsg(ib->fd, &msg, MSG_CMSG_CLOEXEC);
		if (n != -1)
			imsg_rfd_collect(r, &msg, n);
	}
	if (n == -1)
		return (errno == EAGAIN || errno == EINTR ? 1 : -1);
	if (n == 0)
		return (0);
	r->len += n;
	if (imsg_parse(ib) == -1)
		return (-1);
	return (1);
}

int
imsgbuf_write(struct imsgbuf *ib)
{
	if (ib->flags & IMSGF_FDPASS)
		return (msgbuf_write(ib->fd, ib->w));
	return (ibuf_write(ib->fd, ib->w));
}

/*
 * Write everything.  Wait in poll(2) only when the fd took nothing
 * (EAGAIN), so that a non-blocking fd does not spin: Linux reports a
 * unix socket writable only below a quarter of its buffer, so polling
 * after every write could wait for a reader when a write would succeed.
 */
int
imsgbuf_flush(struct imsgbuf *ib)
{
	struct pollfd	 pfd;

	while (imsgbuf_queuelen(ib) > 0) {
		errno = 0;
		if (imsgbuf_write(ib) == -1)
			return (-1);
		if (errno != EAGAIN)
			continue;
		pfd.fd = ib->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return (-1);
	}
	return (0);
}

/*
 * The next message: its size with the header, 0 when none is complete
 * yet, -1 once the stream went bad and the good messages are taken.
 */
ssize_t
imsg_get(struct imsgbuf *ib, struct imsg *imsg)
{
	struct imsg_reader	*r = ib->r;
	struct ibuf		*b;

	if ((b = TAILQ_FIRST(&r->done)) == NULL) {
		if (r->err != 0) {
			errno = r->err;
			return (-1);
		}
		return (0);
	}
	TAILQ_REMOVE(&r->done, b, entry);
	memset(imsg, 0, sizeof(*imsg));
	(void)ibuf_get(b, &imsg->hdr, sizeof(imsg->hdr));
	imsg->hdr.len &= ~IMSG_FD_MARK;
	imsg->buf = b;
	if (ibuf_size(b) > 0)
		imsg->data = ibuf_data(b);
	return (imsg->hdr.len);
}

uint32_t
imsg_get_type(struct imsg *imsg)
{
	return (imsg->hdr.type);
}

uint32_t
imsg_get_id(struct imsg *imsg)
{
	return (imsg->hdr.peerid);
}

pid_t
imsg_get_pid(struct imsg *imsg)
{
	return (imsg->hdr.pid);
}

size_t
imsg_get_len(struct imsg *imsg)
{
	if (imsg->buf == NULL)
		return (0);
	return (ibuf_size(imsg->buf));
}

/* The caller owns the fd now; -1 if there was none or it got lost. */
int
imsg_get_fd(struct imsg *imsg)
{
	if (imsg->buf == NULL)
		return (-1);
	return (ibuf_fd_get(imsg->buf));
}

/* Copy the payload, which must be exactly len bytes. */
int
imsg_get_data(struct imsg *imsg, void *data, size_t len)
{
	if (len == 0) {
		errno = EINVAL;
		return (-1);
	}
	if (imsg_get_len(imsg) != len) {
		errno = EBADMSG;
		return (-1);
	}
	memcpy(data, imsg->data, len);
	return (0);
}

/* A view of the payload, valid until imsg_free(). */
int
imsg_get_ibuf(struct imsg *imsg, struct ibuf *view)
{
	if (imsg->buf == NULL)
		ibuf_from_buffer(view, NULL, 0);
	else
		ibuf_from_ibuf(view, imsg->buf);
	return (0);
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
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.peerid = id;
	hdr.pid = pid != 0 ? (uint32_t)pid : (uint32_t)ib->pid;
	if ((b = ibuf_dynamic(IMSG_HEADER_SIZE + datalen, ib->maxsize)) ==
	    NULL)
		return (NULL);
	if (ibuf_add(b, &hdr, sizeof(hdr)) == -1) {
		ibuf_free(b);
		return (NULL);
	}
	return (b);
}

/* On failure the message is freed, so callers need no cleanup path. */
int
imsg_add(struct ibuf *b, const void *data, size_t len)
{
	if (ibuf_add(b, data, len) == -1) {
		ibuf_free(b);
		return (-1);
	}
	return (len > INT_MAX ? INT_MAX : (int)len);
}

/* Fill in the length and fd mark, and queue the message. */
void
imsg_close(struct imsgbuf *ib, struct ibuf *b)
{
	uint32_t	 len = ibuf_size(b);

	if (ibuf_fd_avail(b)) {
		if (ib->flags & IMSGF_FDPASS)
			len |= IMSG_FD_MARK;
		else
			ibuf_fd_set(b, -1);	/* could not go out anyway */
	}
	(void)ibuf_set_h32(b, offsetof(struct imsg_hdr, len), len);
	ibuf_close(ib->w, b);
}

/* Nothing is queued unless all of it is; fd stays the caller's then. */
int
imsg_composev(struct imsgbuf *ib, uint32_t type, uint32_t id, pid_t pid,
    int fd, const struct iovec *iov, int iovcnt)
{
	struct ibuf	*b;
	size_t		 len = 0;
	int		 i;

	if ((fd != -1 && !(ib->flags & IMSGF_FDPASS)) || iovcnt < 0) {
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
	ibuf_fd_set(b, fd);
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

/*
 * Queue buf, and its fd, as the payload of a message.  buf is consumed
 * either way: queued, or freed on failure.
 */
int
imsg_compose_ibuf(struct imsgbuf *ib, uint32_t type, uint32_t id,
    pid_t pid, struct ibuf *buf)
{
	struct ibuf	*hb;
	int		 saved;

	if (ibuf_fd_avail(buf) && !(ib->flags & IMSGF_FDPASS)) {
		errno = EINVAL;
		goto fail;
	}
	if (ibuf_size(buf) > ib->maxsize - IMSG_HEADER_SIZE) {
		errno = ERANGE;
		goto fail;
	}
	if ((hb = imsg_create(ib, type, id, pid, 0)) == NULL)
		goto fail;
	/* The fd must go with the header, the message's first byte. */
	ibuf_fd_set(hb, ibuf_fd_get(buf));
	(void)ibuf_set_h32(hb, offsetof(struct imsg_hdr, len),
	    (IMSG_HEADER_SIZE + ibuf_size(buf)) |
	    (ibuf_fd_avail(hb) ? IMSG_FD_MARK : 0));
	ibuf_close(ib->w, hb);
	ibuf_close(ib->w, buf);
	return (1);
 fail:
	saved = errno;
	ibuf_free(buf);
	errno = saved;
	return (-1);
}

/* Send a received message on, as it came; its fd is not forwarded. */
int
imsg_forward(struct imsgbuf *ib, struct imsg *imsg)
{
	return (imsg_compose(ib, imsg->hdr.type, imsg->hdr.peerid,
	    imsg->hdr.pid, -1, imsg->data, imsg_get_len(imsg)));
}

/* Also closes an fd that nobody took with imsg_get_fd(). */
void
imsg_free(struct imsg *imsg)
{
	ibuf_free(imsg->buf);
	imsg->buf = NULL;
	imsg->data = NULL;
}
