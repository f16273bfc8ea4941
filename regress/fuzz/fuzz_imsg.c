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
 * libFuzzer harness for what a process reads from a compromised peer
 * process: the input is the bytes written on the imsg socket, framing
 * included.  They are read as every process reads its peers (imsgbuf
 * with the processes' maximum message size), and each message is
 * given to the shared decoders, whatever its type: stanza_recv() (a
 * stanza from a stream or the router), sasl_start_get() (a login from
 * a stream) and pie_piece_add() (an XEP-0227 record, in pieces).
 * Aborts when a decoder accepts a message and leaves a string that is
 * not terminated (at its length, for a record's binary strings), a
 * length that disagrees with it, or more than it allows.  See regress/fuzz/README.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "config.h"
#include "msg.h"
#include "pie.h"
#include "sasl.h"
#include "stanza.h"

#define FUZZ_MAXSIZE	(4 * 1024 * 1024)	/* common/proc.c's */
#define FUZZ_PIE_MAX	(64 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_stanza(struct imsg *imsg)
{
	struct stanza_msg	 m;

	if (stanza_recv(imsg, &m) == -1) {
		/* Nothing is left allocated. */
		if (m.type != NULL || m.id != NULL || m.to != NULL ||
		    m.from != NULL || m.xml != NULL)
			abort();
		return;
	}
	if (m.type == NULL || m.id == NULL || m.to == NULL ||
	    m.from == NULL || m.xml == NULL || strlen(m.xml) != m.xmllen ||
	    m.kind < 0 || m.kind > STANZA_IQ)
		abort();
	stanza_msg_clear(&m);
}

static void
fuzz_sasl(struct imsg *imsg)
{
	struct auth_start	 st;
	struct ibuf		 ib;

	if (sasl_start_get(imsg, &st, &ib) == -1)
		return;
	if (strnlen(st.domain, sizeof(st.domain)) == sizeof(st.domain) ||
	    strnlen(st.addr, sizeof(st.addr)) == sizeof(st.addr) ||
	    ibuf_size(&ib) > AUTH_MSG_MAX)
		abort();
}

static void
fuzz_pie(struct pie_piece *p, struct imsg *imsg)
{
	int	 r, i;

	if ((r = pie_piece_add(p, imsg, FUZZ_PIE_MAX)) == 0)
		return;
	if (r == 1) {
		if (p->len > FUZZ_PIE_MAX)
			abort();
		/* Binary (SCRAM keys): NUL-terminated at their length. */
		for (i = 0; i < 3; i++)
			if (p->str[i] == NULL || p->str[i] < p->data ||
			    p->str[i] + p->r.len[i] >= p->data + p->len + 3 ||
			    p->str[i][p->r.len[i]] != '\0')
				abort();
		if (strnlen(p->r.jid, sizeof(p->r.jid)) == sizeof(p->r.jid))
			abort();
	}
	pie_piece_clear(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct imsgbuf		 ib;
	struct imsg		 imsg;
	struct pie_piece	 piece;
	size_t			 off = 0;
	ssize_t			 n;
	int			 sp[2], eof = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		abort();
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1 ||
	    imsgbuf_init(&ib, sp[1]) == -1 ||
	    imsgbuf_set_maxsize(&ib, FUZZ_MAXSIZE) == -1)
		abort();
	memset(&piece, 0, sizeof(piece));
	/* Written in pieces, read as they come: a header may be split. */
	while (!eof) {
		if (off < len) {
			n = write(sp[0], data + off, len - off < 4096 ?
			    len - off : 4096);
			if (n > 0)
				off += n;
		}
		if (off == len)
			shutdown(sp[0], SHUT_WR);
		switch (imsgbuf_read(&ib)) {
		case -1:
			goto done;
		case 0:
			eof = 1;
			break;
		}
		while ((n = imsg_get(&ib, &imsg)) > 0) {
			if (imsg_get_len(&imsg) > FUZZ_MAXSIZE)
				abort();
			fuzz_stanza(&imsg);
			fuzz_sasl(&imsg);
			fuzz_pie(&piece, &imsg);
			imsg_free(&imsg);
		}
		if (n == -1)
			break;
	}
 done:
	pie_piece_clear(&piece);
	imsgbuf_clear(&ib);
	close(sp[0]);
	close(sp[1]);
	return (0);
}
