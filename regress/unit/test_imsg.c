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
 * imsg: round trips, size limits, descriptor passing, reads split at
 * every byte, partial writes and closed peers.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "imsg.h"
#include "test.h"

static int
pair(int sp[2], int nonblock)
{
	return (socketpair(AF_UNIX, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK :
	    0), 0, sp));
}

static int
nfds(void)
{
	int	 fd, n = 0;

	for (fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return (n);
}

/* Pump writes and reads until one message arrives. */
static ssize_t
recv_one(struct imsgbuf *w, struct imsgbuf *r, struct imsg *imsg)
{
	ssize_t	 n;
	int	 spins = 0;

	for (;;) {
		if ((n = imsg_get(r, imsg)) != 0)
			return (n);
		if (imsgbuf_queuelen(w) > 0 && imsgbuf_write(w) == -1)
			return (-1);
		if (imsgbuf_read(r) != 1 || ++spins > 100000)
			return (-1);
	}
}

static void
test_round_trips(void)
{
	static const size_t sizes[] = { 0, 1, 2, 15, 16, 17, 1000, 16368,
	    16369, 65535, 65536, 100000, 262144, 300000 };
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	*data, *got;
	size_t		 i, j;
	int		 sp[2], ok;

	CHECK(pair(sp, 1) == 0, "socketpair");
	imsgbuf_init(&a, sp[0]);
	imsgbuf_init(&b, sp[1]);
	imsgbuf_set_maxsize(&a, 300000 + IMSG_HEADER_SIZE);
	imsgbuf_set_maxsize(&b, 300000 + IMSG_HEADER_SIZE);
	data = malloc(300000);
	got = malloc(300000);
	for (j = 0; j < 300000; j++)
		data[j] = j * 7 + 3;
	for (i = 0; i < nitems(sizes); i++) {
		ok = imsg_compose(&a, 42 + i, 1000 + i, 77, -1, data,
		    sizes[i]) != -1 &&
		    recv_one(&a, &b, &imsg) == (ssize_t)(sizes[i] +
		    IMSG_HEADER_SIZE) &&
		    imsg_get_type(&imsg) == 42 + i &&
		    imsg_get_id(&imsg) == 1000 + i &&
		    imsg_get_pid(&imsg) == 77 &&
		    imsg_get_len(&imsg) == sizes[i] &&
		    imsg_get_fd(&imsg) == -1 &&
		    (sizes[i] == 0 || (imsg_get_data(&imsg, got,
		    sizes[i]) == 0 && memcmp(got, data, sizes[i]) == 0));
		CHECK(ok, "round trip of %zu bytes", sizes[i]);
		imsg_free(&imsg);
	}
	errno = 0;
	CHECK(imsg_compose(&a, 1, 0, 0, -1, data, 300001) == -1 &&
	    errno == ERANGE && imsgbuf_queuelen(&a) == 0,
	    "over-size compose refused, nothing queued");
	free(data);
	free(got);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

static void
test_bad_lengths(void)
{
	struct imsg_hdr	 hdr;
	struct imsgbuf	 b;
	struct imsg	 imsg;
	uint32_t	 lens[] = { 0, 15, 16385, 0xffffffff };
	size_t		 i;
	int		 sp[2];

	for (i = 0; i < nitems(lens); i++) {
		pair(sp, 1);
		imsgbuf_init(&b, sp[1]);
		memset(&hdr, 0, sizeof(hdr));
		hdr.len = lens[i];
		(void)write(sp[0], &hdr, sizeof(hdr));
		errno = 0;
		CHECK(imsgbuf_read(&b) == 1 && imsg_get(&b, &imsg) == -1 &&
		    errno == ERANGE, "header length %u refused", lens[i]);
		imsgbuf_clear(&b);
		close(sp[0]);
		close(sp[1]);
	}
}

static void
test_fd_passing(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	struct imsg_hdr	 hdr;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	}		 cmsgbuf;
	char		 c = 0;
	int		 sp[2], p[2], fd, fds[2], before;

	pair(sp, 1);
	imsgbuf_init(&a, sp[0]);
	imsgbuf_init(&b, sp[1]);
	CHECK(pipe(p) == 0, "pipe");
	CHECK(imsg_compose(&a, 1, 0, 0, p[1], NULL, 0) == -1,
	    "an fd on a channel without fd passing is refused");
	imsgbuf_allow_fdpass(&a);
	imsgbuf_allow_fdpass(&b);
	CHECK(imsg_compose(&a, 1, 0, 0, p[1], "x", 1) != -1 &&
	    imsg_compose(&a, 2, 0, 0, -1, "y", 1) != -1, "compose with fd");
	fd = -1;
	if (recv_one(&a, &b, &imsg) > 0)
		fd = imsg_get_fd(&imsg);
	CHECK(fd != -1 && write(fd, "z", 1) == 1 && read(p[0], &c, 1) == 1 &&
	    c == 'z', "the received descriptor writes to the pipe");
	imsg_free(&imsg);
	CHECK(recv_one(&a, &b, &imsg) > 0 && imsg_get_fd(&imsg) == -1 &&
	    imsg_get_type(&imsg) == 2, "the next message has no fd");
	imsg_free(&imsg);
	close(fd);

	/* Two descriptors in one control message: the second is closed. */
	close(p[0]);
	CHECK(pipe(p) == 0, "pipe");
	before = nfds();
	memset(&msg, 0, sizeof(msg));
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 3;
	hdr.len = sizeof(hdr) | IMSG_FD_MARK;
	iov.iov_base = &hdr;
	iov.iov_len = sizeof(hdr);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	fds[0] = p[0];
	fds[1] = p[1];
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	CHECK(sendmsg(sp[0], &msg, 0) == sizeof(hdr), "raw sendmsg of 2 fds");
	fd = -1;
	if (imsgbuf_read(&b) == 1 && imsg_get(&b, &imsg) > 0)
		fd = imsg_get_fd(&imsg);
	CHECK(fd != -1 && nfds() == before + 1,
	    "first fd kept, second closed (%d open, was %d)", nfds(), before);
	imsg_free(&imsg);
	close(fd);
	close(p[0]);
	close(p[1]);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

static void
test_one_byte_at_a_time(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	 wire[4096];
	char		 payload[100];
	ssize_t		 n;
	size_t		 len = 0, i;
	int		 sp[2], sp2[2], got = 0, ok = 1;

	pair(sp, 0);
	imsgbuf_init(&a, sp[0]);
	for (i = 0; i < 5; i++) {
		memset(payload, 'a' + i, sizeof(payload));
		imsg_compose(&a, 10 + i, i, 0, -1, payload, 20 * i);
	}
	imsgbuf_flush(&a);
	while (len < sizeof(wire) && (n = recv(sp[1], wire + len,
	    sizeof(wire) - len, MSG_DONTWAIT)) > 0)
		len += n;
	pair(sp2, 0);
	imsgbuf_init(&b, sp2[1]);
	for (i = 0; i < len; i++) {
		(void)write(sp2[0], wire + i, 1);
		if (imsgbuf_read(&b) != 1)
			ok = 0;
		while (imsg_get(&b, &imsg) > 0) {
			if (imsg_get_type(&imsg) != (uint32_t)(10 + got) ||
			    imsg_get_len(&imsg) != (size_t)(20 * got))
				ok = 0;
			got++;
			imsg_free(&imsg);
		}
	}
	CHECK(ok && got == 5, "5 messages read one byte at a time (%d)", got);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
	close(sp2[0]);
	close(sp2[1]);
}

static void
test_partial_writes(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	char		*data;
	int		 sp[2], i, got = 0, ok = 1, spins = 0, sz = 4096;

	pair(sp, 1);
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	imsgbuf_init(&a, sp[0]);
	imsgbuf_init(&b, sp[1]);
	imsgbuf_set_maxsize(&a, 70000);
	imsgbuf_set_maxsize(&b, 70000);
	data = malloc(60000);
	for (i = 0; i < 8; i++) {
		memset(data, i, 60000);
		imsg_compose(&a, i, 0, 0, -1, data, 60000);
	}
	while (got < 8 && spins++ < 1000000) {
		if (imsgbuf_queuelen(&a) > 0 && imsgbuf_write(&a) == -1)
			break;
		if (imsgbuf_read(&b) != 1)
			break;
		while (imsg_get(&b, &imsg) > 0) {
			memset(data, got, 60000);
			if (imsg_get_type(&imsg) != (uint32_t)got ||
			    imsg_get_len(&imsg) != 60000 ||
			    memcmp(imsg.data, data, 60000) != 0)
				ok = 0;
			got++;
			imsg_free(&imsg);
		}
	}
	CHECK(ok && got == 8, "8 x 60000 bytes through a 4 KiB socket (%d)",
	    got);
	free(data);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

static void
test_closed_peer(void)
{
	struct imsgbuf	 a, b;
	int		 sp[2];

	pair(sp, 1);
	imsgbuf_init(&a, sp[0]);
	imsgbuf_init(&b, sp[1]);
	close(sp[0]);
	CHECK(imsgbuf_read(&b) == 0, "read from a closed peer is EOF");
	imsg_compose(&b, 1, 0, 0, -1, "x", 1);
	CHECK(imsgbuf_write(&b) == -1 && errno == EPIPE,
	    "write to a closed peer fails with EPIPE");
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[1]);
}

static void
test_create_forward(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg, imsg2;
	struct ibuf	*wb, ib;
	struct iovec	 iov[2];
	uint32_t	 v = 0;
	char		 s[6] = "";
	int		 sp[2];

	pair(sp, 1);
	imsgbuf_init(&a, sp[0]);
	imsgbuf_init(&b, sp[1]);
	wb = imsg_create(&a, 5, 6, 7, 9);
	CHECK(wb != NULL && imsg_add(wb, "\x01\x02\x03\x04", 4) == 0 &&
	    imsg_add(wb, "hello", 5) == 0, "imsg_create and imsg_add");
	imsg_close(&a, wb);
	CHECK(recv_one(&a, &b, &imsg) == 25 && imsg_get_ibuf(&imsg, &ib) == 0 &&
	    ibuf_get(&ib, &v, 4) == 0 && ibuf_get(&ib, s, 5) == 0 &&
	    ibuf_size(&ib) == 0 && ibuf_get(&ib, &v, 1) == -1 &&
	    memcmp(s, "hello", 5) == 0, "ibuf reads back what was added");
	imsg_forward(&b, &imsg);
	CHECK(recv_one(&b, &a, &imsg2) == 25 && imsg_get_type(&imsg2) == 5 &&
	    imsg_get_id(&imsg2) == 6 && memcmp(imsg2.data, imsg.data, 9) == 0,
	    "imsg_forward");
	imsg_free(&imsg);
	imsg_free(&imsg2);
	iov[0].iov_base = "ab";
	iov[0].iov_len = 2;
	iov[1].iov_base = "cd";
	iov[1].iov_len = 2;
	imsg_composev(&a, 8, 0, 0, -1, iov, 2);
	CHECK(recv_one(&a, &b, &imsg) == 20 &&
	    memcmp(imsg.data, "abcd", 4) == 0, "imsg_composev");
	imsg_free(&imsg);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_round_trips();
	test_bad_lengths();
	test_fd_passing();
	test_one_byte_at_a_time();
	test_partial_writes();
	test_closed_peer();
	test_create_forward();
	TEST_DONE();
}
