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
 * XEP-0227 records in pieces: a control message holds at most
 * MSG_MAXSIZE_CTL bytes, a vCard with a photo or an avatar more.  The
 * sender cuts a record's strings into PIE_CHUNK pieces under the same
 * header; the receiver checks that every piece agrees with the first
 * and that the whole stays within the limit it gives.
 */

#include <sys/types.h>
#include <sys/uio.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "imsg.h"
#include "pie.h"

/* Send r with its three strings (parts[0..2]) as one or more messages. */
int
pie_compose(struct imsgbuf *ib, uint32_t type, uint32_t peerid,
    const struct pie_rec *r, const struct iovec *parts)
{
	struct pie_rec	 h = *r;
	struct iovec	 iov[4];
	size_t		 total = 0, off = 0, n, i, pos, take;
	int		 k;

	for (i = 0; i < 3; i++) {
		h.len[i] = parts[i].iov_len;
		total += parts[i].iov_len;
	}
	do {
		n = total - off > PIE_CHUNK ? PIE_CHUNK : total - off;
		h.more = off + n < total;
		iov[0].iov_base = &h;
		iov[0].iov_len = sizeof(h);
		k = 1;
		/* The bytes [off, off + n) of the strings laid end to end. */
		for (i = 0, pos = 0; i < 3; pos += parts[i].iov_len, i++) {
			if (off + n <= pos || off >= pos + parts[i].iov_len)
				continue;
			take = parts[i].iov_len - (off > pos ? off - pos : 0);
			if (take > off + n - (off > pos ? off : pos))
				take = off + n - (off > pos ? off : pos);
			iov[k].iov_base = (char *)parts[i].iov_base +
			    (off > pos ? off - pos : 0);
			iov[k].iov_len = take;
			k++;
		}
		if (imsg_composev(ib, type, peerid, 0, -1, iov, k) == -1)
			return (-1);
		off += n;
	} while (off < total);
	return (0);
}

void
pie_piece_clear(struct pie_piece *p)
{
	if (p->data != NULL)
		freezero(p->data, p->len + 3);
	memset(p, 0, sizeof(*p));
}

/*
 * One piece of a record; 1 when the record is whole (its strings in
 * p->str, NUL-terminated), 0 when more pieces are due, -1 when the
 * piece is malformed, disagrees with the first, or the record is
 * longer than max.
 */
int
pie_piece_add(struct pie_piece *p, struct imsg *imsg, size_t max)
{
	struct pie_rec	 h;
	struct ibuf	 ib;
	size_t		 n, len;
	char		*s;
	int		 i, more;

	if (imsg_get_ibuf(imsg, &ib) == -1 || ibuf_get(&ib, &h, sizeof(h)) ==
	    -1)
		return (-1);
	h.jid[sizeof(h.jid) - 1] = '\0';
	h.space[sizeof(h.space) - 1] = '\0';
	h.key[sizeof(h.key) - 1] = '\0';
	n = ibuf_size(&ib);
	more = h.more != 0;
	if (p->data == NULL) {
		len = (size_t)h.len[0] + h.len[1] + h.len[2];
		if (h.len[0] > max || h.len[1] > max || h.len[2] > max ||
		    len > max || (p->data = calloc(1, len + 3)) == NULL)
			return (-1);
		p->r = h;
		p->len = len;
	} else {
		h.more = p->r.more;
		if (memcmp(&h, &p->r, sizeof(h)) != 0)
			return (-1);
	}
	if (n > p->len - p->have)
		return (-1);
	memcpy(p->data + p->have, ibuf_data(&ib), n);
	p->have += n;
	p->r.more = more;
	if (more)
		return (p->have < p->len ? 0 : -1);
	if (p->have != p->len)
		return (-1);
	/* Spread the strings out, each followed by a NUL. */
	memmove(p->data + p->r.len[0] + p->r.len[1] + 2,
	    p->data + p->r.len[0] + p->r.len[1], p->r.len[2]);
	memmove(p->data + p->r.len[0] + 1, p->data + p->r.len[0],
	    p->r.len[1]);
	s = p->data;
	for (i = 0; i < 3; i++) {
		s[p->r.len[i]] = '\0';
		p->str[i] = s;
		s += p->r.len[i] + 1;
	}
	return (1);
}
