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
 * imsg and ibuf: round trips of every size class, size limits, fd
 * passing and fds lost or extra, reads split at every byte, partial
 * writes, closed peers, and the ibuf helpers.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "imsg.h"
#include "test.h"

#ifndef INFTIM
#define INFTIM	(-1)
#endif

#define BIGMAX		(300 * 1024 + 64)
#define SPINS		100000

/* A non-blocking socketpair, so that no test can hang. */
static void
pair(int sp[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == -1) {
		perror("socketpair");
		exit(1);
	}
}

static void
chans(struct imsgbuf *a, struct imsgbuf *b, int fdpass, uint32_t max)
{
	int	 sp[2];

	pair(sp);
	if (imsgbuf_init(a, sp[0]) == -1 || imsgbuf_init(b, sp[1]) == -1) {
		perror("imsgbuf_init");
		exit(1);
	}
	if (fdpass) {
		imsgbuf_allow_fdpass(a);
		imsgbuf_allow_fdpass(b);
	}
	if (max != 0 && (imsgbuf_set_maxsize(a, max) == -1 ||
	    imsgbuf_set_maxsize(b, max) == -1)) {
		perror("imsgbuf_set_maxsize");
		exit(1);
	}
}

static void
unchan(struct imsgbuf *ib)
{
	imsgbuf_clear(ib);
	close(ib->fd);
}

static int
nfds(void)
{
	int	 fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return (n);
}

static void
fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 31 + seed + (i >> 8));
}

static int
same(const void *data, size_t len, unsigned int seed)
{
	unsigned char	*want;
	int		 ok;

	if (len == 0)
		return (1);
	if (data == NULL || (want = malloc(len)) == NULL)
		return (0);
	fill(want, len, seed);
	ok = memcmp(want, data, len) == 0;
	free(want);
	return (ok);
}

/* Write on w and read on r until a message arrives: imsg_get's result. */
static ssize_t
pump(struct imsgbuf *w, struct imsgbuf *r, struct imsg *imsg)
{
	ssize_t	 n;
	int	 i;

	for (i = 0; i < SPINS; i++) {
		if ((n = imsg_get(r, imsg)) != 0)
			return (n);
		if (w != NULL && imsgbuf_write(w) == -1)
			return (-1);
		if (imsgbuf_read(r) != 1)
			return (-1);
	}
	return (0);
}

static void
test_roundtrip(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 7, 15, 16, 17, 255, 256,
	    1000, 4095, 4096, 4097, 16367, 16368, 16369, 65519, 65520, 65535,
	    65536, 65537, 100000, 131072, 200000, 262144, BIGMAX - 17,
	    BIGMAX - 16 };
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	*buf;
	size_t		 i, len;
	ssize_t		 n;

	chans(&a, &b, 1, BIGMAX);
	if ((buf = malloc(BIGMAX)) == NULL)
		exit(1);
	for (i = 0; i < nitems(sizes); i++) {
		len = sizes[i];
		fill(buf, len, i);
		if (imsg_compose(&a, 100 + i, 7 * i, 4242, -1, buf, len) != 1) {
			CHECK(0, "compose %zu bytes", len);
			continue;
		}
		n = pump(&a, &b, &imsg);
		CHECK(n == (ssize_t)(len + IMSG_HEADER_SIZE) &&
		    imsg_get_type(&imsg) == 100 + i &&
		    imsg_get_id(&imsg) == 7 * i &&
		    imsg_get_pid(&imsg) == 4242 &&
		    imsg_get_len(&imsg) == len &&
		    imsg.hdr.len == len + IMSG_HEADER_SIZE &&
		    (len > 0 || imsg.data == NULL) &&
		    imsg_get_fd(&imsg) == -1 && same(imsg.data, len, i),
		    "round trip of %zu bytes", len);
		if (n > 0)
			imsg_free(&imsg);
	}

	/* Many messages in one read, and pid 0 meaning "mine". */
	for (i = 0; i < 50; i++)
		imsg_compose(&a, 1, i, 0, -1, &i, sizeof(i));
	n = 0;
	if (imsgbuf_flush(&a) == 0 && imsgbuf_read(&b) == 1)
		while (imsg_get(&b, &imsg) > 0) {
			if (imsg_get_data(&imsg, &len, sizeof(len)) == 0 &&
			    len == (size_t)n && imsg_get_id(&imsg) == len &&
			    imsg_get_pid(&imsg) == getpid())
				n++;
			imsg_free(&imsg);
		}
	CHECK(n == 50, "50 small messages from one read, in order (%zd)", n);
	free(buf);
	unchan(&a);
	unchan(&b);
}

static void
test_limits(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr;
	struct ibuf	*buf;
	unsigned char	*big;
	int		 r;

	chans(&a, &b, 0, 0);
	CHECK(a.maxsize == MAX_IMSGSIZE, "default maximum is MAX_IMSGSIZE");
	if ((big = calloc(1, MAX_IMSGSIZE + 1)) == NULL)
		exit(1);
	CHECK(imsg_compose(&a, 1, 0, 0, -1, big, MAX_IMSGSIZE -
	    IMSG_HEADER_SIZE) == 1 && imsgbuf_queuelen(&a) == 1,
	    "compose of exactly the maximum is queued");
	errno = 0;
	CHECK(imsg_compose(&a, 1, 0, 0, -1, big, MAX_IMSGSIZE -
	    IMSG_HEADER_SIZE + 1) == -1 && errno == ERANGE &&
	    imsgbuf_queuelen(&a) == 1,
	    "compose one byte over the maximum: ERANGE, nothing queued");
	errno = 0;
	CHECK(imsg_create(&a, 1, 0, 0, MAX_IMSGSIZE) == NULL &&
	    errno == ERANGE, "imsg_create over the maximum: ERANGE");
	buf = ibuf_open(MAX_IMSGSIZE);
	errno = 0;
	CHECK(buf != NULL && ibuf_add_zero(buf, MAX_IMSGSIZE -
	    IMSG_HEADER_SIZE + 1) == 0 &&
	    imsg_compose_ibuf(&a, 1, 0, 0, buf) == -1 &&
	    errno == ERANGE && imsgbuf_queuelen(&a) == 1,
	    "imsg_compose_ibuf over the maximum: ERANGE, nothing queued");
	CHECK(imsgbuf_set_maxsize(&a, IMSG_HEADER_SIZE - 1) == -1 &&
	    imsgbuf_set_maxsize(&a, IMSG_FD_MARK) == -1 &&
	    imsgbuf_set_maxsize(&a, IMSG_HEADER_SIZE) == 0 &&
	    imsgbuf_set_maxsize(&a, IMSG_FD_MARK - 1) == 0,
	    "imsgbuf_set_maxsize bounds");
	imsgbuf_set_maxsize(&a, MAX_IMSGSIZE);
	CHECK(pump(&a, &b, &imsg) == MAX_IMSGSIZE, "maximum size arrives");
	imsg_free(&imsg);
	free(big);

	/* A good message, then a header longer than the maximum. */
	imsg_compose(&a, 5, 0, 0, -1, "ok", 2);
	imsgbuf_flush(&a);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 6;
	hdr.len = MAX_IMSGSIZE + 1;
	(void)write(a.fd, &hdr, sizeof(hdr));
	errno = 0;
	r = imsgbuf_read(&b);
	CHECK(r == -1 && errno == ERANGE, "too long a header: read ERANGE");
	r = imsg_get(&b, &imsg);
	CHECK(r == IMSG_HEADER_SIZE + 2 && imsg_get_type(&imsg) == 5,
	    "the message before it still comes");
	if (r > 0)
		imsg_free(&imsg);
	errno = 0;
	r = imsg_get(&b, &imsg);
	CHECK(r == -1 && errno == ERANGE, "then imsg_get fails with ERANGE");
	if (r > 0)
		imsg_free(&imsg);
	errno = 0;
	CHECK(imsgbuf_read(&b) == -1 && errno == ERANGE,
	    "and the channel stays failed");
	unchan(&a);
	unchan(&b);

	/* Too short a length, and a length of zero. */
	for (r = 0; r < 2; r++) {
		chans(&a, &b, 0, 0);
		hdr.len = r == 0 ? IMSG_HEADER_SIZE - 1 : 0;
		(void)write(a.fd, &hdr, sizeof(hdr));
		errno = 0;
		CHECK(imsgbuf_read(&b) == -1 && errno == ERANGE &&
		    imsg_get(&b, &imsg) == -1 && errno == ERANGE,
		    "header length %u: read and get fail with ERANGE",
		    hdr.len);
		unchan(&a);
		unchan(&b);
	}

	/* Only the length counts, not the fd mark. */
	chans(&a, &b, 0, 0);
	hdr.len = IMSG_FD_MARK | IMSG_HEADER_SIZE;
	(void)write(a.fd, &hdr, sizeof(hdr));
	CHECK(imsgbuf_read(&b) == 1 && imsg_get(&b, &imsg) ==
	    IMSG_HEADER_SIZE && imsg.hdr.len == IMSG_HEADER_SIZE &&
	    imsg_get_fd(&imsg) == -1,
	    "marked header without an fd: message comes, fd is -1");
	imsg_free(&imsg);
	unchan(&a);
	unchan(&b);
}

/* Send a header, maybe with the fd mark, and cnt fds in one cmsg. */
static int
raw_send_fds(int s, uint32_t type, int mark, const int *fds, int cnt)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int) * 4)];
	}		 cmsgbuf;
	struct imsg_hdr	 hdr;
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = IMSG_HEADER_SIZE | (mark ? IMSG_FD_MARK : 0);
	iov.iov_base = &hdr;
	iov.iov_len = sizeof(hdr);
	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (cnt > 0) {
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * cnt);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_len = CMSG_LEN(sizeof(int) * cnt);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * cnt);
	}
	return (sendmsg(s, &msg, 0) == (ssize_t)sizeof(hdr) ? 0 : -1);
}

static void
test_fdpass(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr;
	char		 got[8];
	int		 p[2], q[2], fds[2], base, fd, i;

	chans(&a, &b, 1, 0);
	if (pipe(p) == -1 || pipe(q) == -1)
		exit(1);

	CHECK(imsg_compose(&a, 9, 1, 0, p[1], "fd", 2) == 1 &&
	    imsgbuf_write(&a) == 0 && fcntl(p[1], F_GETFD) == -1,
	    "the sent fd is closed on the sender once written");
	fd = -1;
	if (pump(NULL, &b, &imsg) > 0) {
		fd = imsg_get_fd(&imsg);
		CHECK(imsg_get_type(&imsg) == 9 && fd != -1 &&
		    imsg_get_fd(&imsg) == -1 &&
		    (fcntl(fd, F_GETFD) & FD_CLOEXEC),
		    "fd arrives, close-on-exec, and can be taken only once");
		imsg_free(&imsg);
	} else
		CHECK(0, "message with an fd arrives");
	CHECK(fd != -1 && write(fd, "hello", 5) == 5 &&
	    read(p[0], got, sizeof(got)) == 5 && memcmp(got, "hello", 5) == 0,
	    "writing through the received fd reaches the pipe");
	if (fd != -1)
		close(fd);

	/* Two fds in one control message: the second is closed. */
	fds[0] = q[0];
	fds[1] = q[1];
	base = nfds();
	fd = -1;
	CHECK(raw_send_fds(a.fd, 10, 1, fds, 2) == 0 &&
	    pump(NULL, &b, &imsg) > 0 && (fd = imsg_get_fd(&imsg)) != -1 &&
	    nfds() == base + 1, "of two fds in one message only one stays");
	imsg_free(&imsg);
	if (fd != -1) {
		CHECK(write(q[1], "x", 1) == 1 && read(fd, got, 1) == 1 &&
		    got[0] == 'x', "and it is the first one");
		close(fd);
	}

	/* An fd nobody takes is closed by imsg_free. */
	base = nfds();
	imsg_compose(&a, 11, 0, 0, dup(q[0]), NULL, 0);
	CHECK(pump(&a, &b, &imsg) > 0 && nfds() == base + 1,
	    "untaken fd held by the message");
	imsg_free(&imsg);
	CHECK(nfds() == base, "imsg_free closes it");

	/*
	 * A stray fd on an unmarked message, then a marked message whose
	 * fd got lost, then a good one: each gets what it should, where
	 * first-come-first-served would shift the fds by one.
	 */
	base = nfds();
	fd = dup(q[0]);
	raw_send_fds(a.fd, 12, 0, &fd, 1);
	close(fd);
	imsgbuf_read(&b);
	CHECK(nfds() == base, "a stray fd is closed as soon as it is read");
	raw_send_fds(a.fd, 13, 1, NULL, 0);
	imsgbuf_read(&b);
	imsg_compose(&a, 14, 0, 0, dup(q[1]), NULL, 0);
	for (i = 12; i <= 14; i++) {
		if (pump(&a, &b, &imsg) <= 0 ||
		    imsg_get_type(&imsg) != (uint32_t)i) {
			CHECK(0, "message %d arrives", i);
			continue;
		}
		fd = imsg_get_fd(&imsg);
		CHECK(i == 14 ? fd != -1 : fd == -1,
		    "message %d: fd %s", i, i == 14 ? "present" : "absent");
		if (fd != -1) {
			CHECK(write(fd, "y", 1) == 1 && read(q[0], got, 1) ==
			    1 && got[0] == 'y', "it is the right fd");
			close(fd);
		}
		imsg_free(&imsg);
	}
	unchan(&a);
	unchan(&b);

	/*
	 * A marked header split across reads whose fd got lost, then a
	 * message with an fd: the fd came after the header started, so
	 * it is not the header's.
	 */
	chans(&a, &b, 1, 0);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 15;
	hdr.len = IMSG_HEADER_SIZE | IMSG_FD_MARK;
	(void)write(a.fd, &hdr, 8);
	imsgbuf_read(&b);
	(void)write(a.fd, (char *)&hdr + 8, sizeof(hdr) - 8);
	imsg_compose(&a, 16, 0, 0, dup(q[1]), NULL, 0);
	for (i = 15; i <= 16; i++) {
		fd = -1;
		if (pump(&a, &b, &imsg) > 0) {
			fd = imsg_get_fd(&imsg);
			CHECK(imsg_get_type(&imsg) == (uint32_t)i &&
			    (i == 16) == (fd != -1),
			    "split header %d: fd %s", i, i == 16 ? "present" :
			    "absent");
			imsg_free(&imsg);
		} else
			CHECK(0, "message %d arrives", i);
		if (fd != -1)
			close(fd);
	}

	/* Two fd messages queued back to back: one sendmsg each. */
	imsg_compose(&a, 17, 0, 0, dup(q[1]), "a", 1);
	imsg_compose(&a, 18, 0, 0, dup(q[1]), "b", 1);
	imsg_compose(&a, 19, 0, 0, -1, "c", 1);
	for (i = 17; i <= 19; i++) {
		fd = -1;
		CHECK(pump(&a, &b, &imsg) > 0 && imsg_get_type(&imsg) ==
		    (uint32_t)i && ((fd = imsg_get_fd(&imsg)) != -1) == (i < 19),
		    "back to back: message %d %s its fd", i, i < 19 ? "has" :
		    "has no");
		imsg_free(&imsg);
		if (fd != -1)
			close(fd);
	}
	CHECK(nfds() == base, "no fd leaked");
	unchan(&a);
	unchan(&b);

	/* Without imsgbuf_allow_fdpass. */
	chans(&a, &b, 0, 0);
	base = nfds();
	errno = 0;
	CHECK(imsg_compose(&a, 1, 0, 0, q[1], NULL, 0) == -1 &&
	    errno == EINVAL && imsgbuf_queuelen(&a) == 0 &&
	    fcntl(q[1], F_GETFD) != -1,
	    "fd on a channel without fd passing fails; fd untouched");
	fd = dup(q[1]);
	CHECK(raw_send_fds(a.fd, 2, 1, &fd, 1) == 0 &&
	    pump(NULL, &b, &imsg) > 0 && imsg_get_fd(&imsg) == -1,
	    "receiver without fd passing gets no fd");
	imsg_free(&imsg);
	close(fd);
	CHECK(nfds() == base, "and none leaks");
	unchan(&a);
	unchan(&b);
	close(p[0]);
	close(q[0]);
	close(q[1]);
}

/* A whole stream written one byte at a time, read after each byte. */
static void
test_bytewise(void)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 70000, 3 };
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	*stream, *data;
	size_t		 i, slen = 0, got = 0, ok = 0, early = 0, end = 0;
	ssize_t		 n;
	int		 sp[2];

	pair(sp);
	chans(&a, &b, 0, 80000);
	if ((stream = malloc(80000 * nitems(sizes))) == NULL ||
	    (data = malloc(80000)) == NULL)
		exit(1);
	for (i = 0; i < nitems(sizes); i++) {
		fill(data, sizes[i], i);
		imsg_compose(&a, 20 + i, i, 1, -1, data, sizes[i]);
	}
	imsgbuf_flush(&a);
	while ((n = read(b.fd, stream + slen, 65536)) > 0)
		slen += n;
	unchan(&b);

	if (imsgbuf_init(&b, sp[1]) == -1 ||
	    imsgbuf_set_maxsize(&b, 80000) == -1)
		exit(1);
	for (i = 0; i < slen; i++) {
		if (write(sp[0], stream + i, 1) != 1 ||
		    imsgbuf_read(&b) != 1)
			break;
		while ((n = imsg_get(&b, &imsg)) > 0) {
			if (got < nitems(sizes) &&
			    imsg_get_type(&imsg) == 20 + got &&
			    imsg_get_len(&imsg) == sizes[got] &&
			    same(imsg.data, sizes[got], got))
				ok++;
			/* It must come with its last byte, not before. */
			if (got < nitems(sizes))
				end += sizes[got] + IMSG_HEADER_SIZE;
			if (i + 1 != end)
				early++;
			got++;
			imsg_free(&imsg);
		}
	}
	CHECK(slen > 70000 && i == slen && got == nitems(sizes) &&
	    ok == nitems(sizes) && early == 0,
	    "%zu bytes one at a time: %zu of %zu messages intact, on time",
	    slen, ok, nitems(sizes));
	free(stream);
	free(data);
	unchan(&a);
	unchan(&b);
	close(sp[0]);
}

/* Big messages through small socket buffers: many partial writes. */
static void
test_partial(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	*buf;
	size_t		 len = 200000;
	int		 i, sz = 4096, got = 0, ok = 0, writes = 0, bad = 0;
	uint32_t	 full;

	chans(&a, &b, 1, BIGMAX);
	setsockopt(a.fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(b.fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if ((buf = malloc(len)) == NULL)
		exit(1);
	for (i = 0; i < 6; i++) {
		fill(buf, len - i, 50 + i);
		imsg_compose(&a, 50 + i, i, 1, -1, buf, len - i);
	}
	/* Fill the socket: EAGAIN is no error and keeps the queue. */
	for (i = 0; i < 100; i++)
		if (imsgbuf_write(&a) != 0)
			bad++;
	full = imsgbuf_queuelen(&a);
	for (i = 0; i < SPINS && got < 6; i++) {
		if (imsgbuf_queuelen(&a) > 0) {
			writes++;
			if (imsgbuf_write(&a) != 0)
				bad++;
		}
		if (imsgbuf_read(&b) != 1)
			bad++;
		while (imsg_get(&b, &imsg) > 0) {
			if (imsg_get_type(&imsg) == 50 + (uint32_t)got &&
			    imsg_get_len(&imsg) == len - got &&
			    same(imsg.data, len - got, 50 + got))
				ok++;
			got++;
			imsg_free(&imsg);
		}
	}
	CHECK(got == 6 && ok == 6 && bad == 0 && writes > 12 && full > 0 &&
	    imsgbuf_queuelen(&a) == 0,
	    "6 x 200 KB through 4 KB buffers: %d intact, %d writes", ok,
	    writes);
	free(buf);
	unchan(&a);
	unchan(&b);
}

/*
 * imsgbuf_flush: many writes into a buffer nobody reads yet must not
 * wait while the socket still takes data, and on a full non-blocking
 * socket it must wait for the reader rather than fail or spin.
 */
static void
test_flush(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	*buf;
	pid_t		 pid;
	int		 i, n = 0, status, sz = 4096;

	chans(&a, &b, 0, BIGMAX);
	if ((buf = calloc(1, 200000)) == NULL)
		exit(1);
	/* More than IOV_MAX messages, past a quarter of the buffer. */
	for (i = 0; i < 2000; i++)
		imsg_compose(&a, 70, i, 1, -1, buf, 40);
	alarm(10);
	CHECK(imsgbuf_flush(&a) == 0 && imsgbuf_queuelen(&a) == 0,
	    "flush of 2000 messages, several writes, no reader yet");
	for (i = 0; i < SPINS && n < 2000; i++) {
		if (imsgbuf_read(&b) != 1)
			break;
		while (imsg_get(&b, &imsg) > 0) {
			n++;
			imsg_free(&imsg);
		}
	}
	CHECK(n == 2000, "and all 2000 arrive");

	setsockopt(a.fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	for (i = 0; i < 5; i++)
		imsg_compose(&a, 71, i, 1, -1, buf, 200000);
	if ((pid = fork()) == 0) {
		/*
		 * A reader in another process, so that the writer finds the
		 * socket full and must wait; it frees what it inherited, for
		 * valgrind.
		 */
		struct pollfd pfd = { b.fd, POLLIN, 0 };

		free(buf);
		imsgbuf_clear(&a);
		n = status = 0;
		while (n < 5 && status == 0) {
			if (poll(&pfd, 1, INFTIM) == -1 ||
			    imsgbuf_read(&b) != 1)
				status = 1;
			while (imsg_get(&b, &imsg) > 0) {
				n++;
				imsg_free(&imsg);
			}
		}
		imsgbuf_clear(&b);
		_exit(status);
	}
	CHECK(pid != -1 && imsgbuf_flush(&a) == 0 &&
	    imsgbuf_queuelen(&a) == 0, "flush waits for a slow reader");
	CHECK(pid != -1 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "which gets all 5 x 200 KB");
	alarm(0);
	free(buf);
	unchan(&a);
	unchan(&b);
}

/* More queued messages than one writev(2) takes. */
static void
test_iovmax(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	uint32_t	 i, n = 0, left;

	chans(&a, &b, 0, 0);
	for (i = 0; i < 3000; i++)
		imsg_compose(&a, 60, i, 1, -1, &i, sizeof(i));
	imsgbuf_write(&a);
	left = imsgbuf_queuelen(&a);
	CHECK(left > 0 && left < 2000, "one write sends a big batch (%u left)",
	    left);
	for (i = 0; i < SPINS && n < 3000; i++) {
		if (imsgbuf_write(&a) == -1 || imsgbuf_read(&b) != 1)
			break;
		while (imsg_get(&b, &imsg) > 0) {
			if (imsg_get_id(&imsg) == n)
				n++;
			imsg_free(&imsg);
		}
	}
	CHECK(n == 3000, "3000 queued messages all arrive in order (%u)", n);
	unchan(&a);
	unchan(&b);
}

static void
test_closed(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	int		 fdpass;

	for (fdpass = 0; fdpass < 2; fdpass++) {
		chans(&a, &b, fdpass, 0);
		CHECK(imsgbuf_read(&a) == 1 && imsg_get(&a, &imsg) == 0,
		    "%s: nothing to read yet is 1, no message",
		    fdpass ? "sendmsg" : "writev");
		unchan(&b);
		CHECK(imsgbuf_read(&a) == 0, "%s: closed peer reads as EOF",
		    fdpass ? "sendmsg" : "writev");
		imsg_compose(&a, 1, 0, 0, -1, "x", 1);
		errno = 0;
		CHECK(imsgbuf_write(&a) == -1 && errno == EPIPE &&
		    imsgbuf_queuelen(&a) == 1,
		    "%s: writing to a closed peer fails with EPIPE",
		    fdpass ? "sendmsg" : "writev");
		CHECK(imsgbuf_flush(&a) == -1, "%s: so does flush",
		    fdpass ? "sendmsg" : "writev");
		unchan(&a);
	}
}

static void
test_compose(void)
{
	struct imsgbuf	 a, b, c, d;
	struct imsg	 imsg, fwd;
	struct ibuf	*buf, view;
	struct iovec	 iov[3];
	char		 s[32];
	uint32_t	 v32;
	int		 p[2], fd;

	chans(&a, &b, 1, 0);
	chans(&c, &d, 1, 0);
	if (pipe(p) == -1)
		exit(1);

	buf = imsg_create(&a, 30, 3, 77, 4);
	CHECK(buf != NULL && imsg_add(buf, "hello", 5) == 5 &&
	    imsg_add(buf, " world", 6) == 6, "imsg_create and imsg_add grow");
	if (buf != NULL)
		imsg_close(&a, buf);
	memset(s, 0, sizeof(s));
	CHECK(pump(&a, &b, &imsg) == IMSG_HEADER_SIZE + 11 &&
	    imsg_get_type(&imsg) == 30 && imsg_get_id(&imsg) == 3 &&
	    imsg_get_pid(&imsg) == 77 && imsg_get_data(&imsg, s, 11) == 0 &&
	    strcmp(s, "hello world") == 0, "imsg_close sends it whole");
	errno = 0;
	CHECK(imsg_get_data(&imsg, s, 10) == -1 && errno == EBADMSG,
	    "imsg_get_data of the wrong size: EBADMSG");
	errno = 0;
	CHECK(imsg_get_data(&imsg, s, 0) == -1 && errno == EINVAL,
	    "imsg_get_data of zero bytes: EINVAL");
	imsg_free(&imsg);

	/* imsg_add past the maximum fails and frees the message. */
	buf = imsg_create(&a, 31, 0, 0, 0);
	errno = 0;
	CHECK(buf != NULL && imsg_add(buf, s, 10) == 10 &&
	    imsg_add(buf, &a, MAX_IMSGSIZE) == -1 && errno == ERANGE &&
	    imsgbuf_queuelen(&a) == 0, "imsg_add past the maximum fails");

	iov[0].iov_base = "abc";
	iov[0].iov_len = 3;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 0;
	iov[2].iov_base = "defg";
	iov[2].iov_len = 4;
	memset(s, 0, sizeof(s));
	CHECK(imsg_composev(&a, 32, 4, 0, dup(p[1]), iov, 3) == 1 &&
	    pump(&a, &b, &imsg) == IMSG_HEADER_SIZE + 7 &&
	    imsg_get_data(&imsg, s, 7) == 0 && strcmp(s, "abcdefg") == 0,
	    "imsg_composev joins its iovecs");

	/* Forward it: same header and payload, no fd. */
	CHECK(imsg_forward(&c, &imsg) == 1 &&
	    pump(&c, &d, &fwd) == IMSG_HEADER_SIZE + 7 &&
	    imsg_get_type(&fwd) == 32 && imsg_get_id(&fwd) == 4 &&
	    imsg_get_pid(&fwd) == getpid() && imsg_get_len(&fwd) == 7 &&
	    memcmp(fwd.data, "abcdefg", 7) == 0 && imsg_get_fd(&fwd) == -1,
	    "imsg_forward passes the message on, without its fd");
	imsg_free(&fwd);
	CHECK((fd = imsg_get_fd(&imsg)) != -1, "the original keeps its fd");
	if (fd != -1)
		close(fd);
	imsg_free(&imsg);

	/* imsg_compose_ibuf, with an fd. */
	buf = ibuf_dynamic(0, 64);
	ibuf_add_n32(buf, 0xdeadbeef);
	ibuf_add(buf, "tail", 4);
	ibuf_fd_set(buf, dup(p[1]));
	CHECK(imsg_compose_ibuf(&a, 33, 5, 0, buf) == 1 &&
	    pump(&a, &b, &imsg) == IMSG_HEADER_SIZE + 8 &&
	    imsg_get_ibuf(&imsg, &view) == 0 &&
	    ibuf_get_n32(&view, &v32) == 0 && v32 == 0xdeadbeef &&
	    ibuf_size(&view) == 4 && memcmp(ibuf_data(&view), "tail", 4) == 0,
	    "imsg_compose_ibuf sends the ibuf");
	fd = imsg_get_fd(&imsg);
	CHECK(fd != -1 && write(fd, "z", 1) == 1 && read(p[0], s, 1) == 1 &&
	    s[0] == 'z', "and its fd");
	if (fd != -1)
		close(fd);
	imsg_free(&imsg);

	unchan(&a);
	unchan(&b);
	unchan(&c);
	unchan(&d);
	close(p[0]);
	close(p[1]);
}

static void
test_ibuf(void)
{
	struct ibuf	*b, *c, view, sub;
	unsigned char	*p;
	uint8_t		 u8;
	uint16_t	 u16, h16;
	uint32_t	 u32, h32;
	uint64_t	 u64, h64;
	char		*str;
	int		 base, fd;

	b = ibuf_dynamic(0, 64);
	CHECK(b != NULL && ibuf_add_n8(b, 0xab) == 0 &&
	    ibuf_add_n16(b, 0x1234) == 0 && ibuf_add_n32(b, 0x89abcdef) == 0 &&
	    ibuf_add_n64(b, 0x0102030405060708ULL) == 0 &&
	    ibuf_add_h16(b, 0xbeef) == 0 && ibuf_add_h32(b, 0xcafe) == 0 &&
	    ibuf_add_h64(b, 1ULL << 40) == 0 && ibuf_size(b) == 29,
	    "ibuf_add_n*/h* append 29 bytes");
	if (b == NULL)
		return;
	p = ibuf_data(b);
	CHECK(p[0] == 0xab && p[1] == 0x12 && p[2] == 0x34 && p[3] == 0x89 &&
	    p[7] == 0x01 && p[14] == 0x08, "n* are in network byte order");
	errno = 0;
	CHECK(ibuf_add_n8(b, 256) == -1 && errno == EINVAL &&
	    ibuf_add_n16(b, 0x10000) == -1 && ibuf_add_h32(b, 1ULL << 32) ==
	    -1 && ibuf_size(b) == 29, "values too big for the width: EINVAL");

	ibuf_from_ibuf(&view, b);
	CHECK(ibuf_get_n8(&view, &u8) == 0 && u8 == 0xab &&
	    ibuf_get_n16(&view, &u16) == 0 && u16 == 0x1234 &&
	    ibuf_get_n32(&view, &u32) == 0 && u32 == 0x89abcdef &&
	    ibuf_get_n64(&view, &u64) == 0 && u64 == 0x0102030405060708ULL &&
	    ibuf_get_h16(&view, &h16) == 0 && h16 == 0xbeef &&
	    ibuf_get_h32(&view, &h32) == 0 && h32 == 0xcafe &&
	    ibuf_get_h64(&view, &h64) == 0 && h64 == 1ULL << 40 &&
	    ibuf_size(&view) == 0, "ibuf_get_n*/h* read them back");
	errno = 0;
	CHECK(ibuf_get_n8(&view, &u8) == -1 && errno == EBADMSG,
	    "reading past the end: EBADMSG");
	errno = 0;
	CHECK(ibuf_add(&view, "x", 1) == -1 && errno == ERANGE,
	    "a view cannot grow");

	CHECK(ibuf_set_n16(b, 1, 0x5678) == 0 && p[1] == 0x56 &&
	    p[2] == 0x78 && ibuf_set_h32(b, 26, 7) == -1 &&
	    ibuf_set_n8(b, 28, 0x11) == 0 && ibuf_seek(b, 28, 2) == NULL &&
	    ibuf_seek(b, 3, 4) == p + 3 && ibuf_set(b, 3, "WXYZ", 4) == 0 &&
	    memcmp(p + 3, "WXYZ", 4) == 0, "ibuf_seek and ibuf_set* in range");
	CHECK(ibuf_skip(b, 3) == 0 && ibuf_seek(b, 0, 1) == p + 3 &&
	    ibuf_skip(b, 27) == -1 && ibuf_size(b) == 26,
	    "ibuf_skip; offsets count from the read position");
	CHECK(ibuf_get_ibuf(b, 4, &sub) == 0 && ibuf_size(&sub) == 4 &&
	    memcmp(ibuf_data(&sub), "WXYZ", 4) == 0 && ibuf_size(b) == 22 &&
	    ibuf_get_ibuf(b, 23, &sub) == -1, "ibuf_get_ibuf");
	ibuf_free(b);

	b = ibuf_open(4);
	errno = 0;
	CHECK(b != NULL && ibuf_add(b, "abcd", 4) == 0 && ibuf_left(b) == 0 &&
	    ibuf_add(b, "e", 1) == -1 && errno == ERANGE,
	    "ibuf_open is fixed in size");
	c = ibuf_dynamic(2, 10);
	CHECK(c != NULL && ibuf_add_buf(c, b) == 0 && ibuf_add_ibuf(c, b) ==
	    0 && ibuf_size(c) == 8 && ibuf_left(c) == 2 &&
	    (p = ibuf_reserve(c, 2)) != NULL && ibuf_add_zero(c, 1) == -1 &&
	    memcmp(ibuf_data(c), "abcdabcd", 8) == 0,
	    "ibuf_dynamic grows up to its maximum, not past it");
	ibuf_free(b);
	ibuf_free(c);
	errno = 0;
	CHECK(ibuf_open(0) == NULL && errno == EINVAL &&
	    ibuf_dynamic(5, 4) == NULL, "bad sizes are EINVAL");

	b = ibuf_dynamic(0, 100);
	ibuf_add(b, "abc\0def", 7);
	ibuf_add(b, "gh", 2);
	str = ibuf_get_string(b, 7);
	CHECK(str != NULL && strcmp(str, "abc") == 0 && ibuf_size(b) == 2 &&
	    ibuf_get_string(b, 3) == NULL && errno == EBADMSG,
	    "ibuf_get_string");
	free(str);
	str = ibuf_get_string(b, 2);
	CHECK(str != NULL && strcmp(str, "gh") == 0, "ibuf_get_string NULs");
	free(str);

	base = nfds();
	fd = dup(0);
	CHECK(!ibuf_fd_avail(b), "no fd yet");
	ibuf_fd_set(b, fd);
	CHECK(ibuf_fd_avail(b) && ibuf_fd_get(b) == fd && !ibuf_fd_avail(b) &&
	    ibuf_fd_get(b) == -1, "ibuf_fd_set/get hand the fd over once");
	ibuf_fd_set(b, fd);
	ibuf_fd_set(b, dup(0));
	CHECK(nfds() == base + 1, "ibuf_fd_set closes the fd it replaces");
	ibuf_free(b);
	CHECK(nfds() == base, "ibuf_free closes the fd it holds");
}

int
main(void)
{
	/* Writes to closed peers must fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	test_roundtrip();
	test_limits();
	test_fdpass();
	test_bytewise();
	test_partial();
	test_iovmax();
	test_flush();
	test_closed();
	test_compose();
	test_ibuf();
	TEST_DONE();
}
