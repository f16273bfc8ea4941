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
 * XEP-0227 records between xmppctl and the store: sent in pieces that
 * fit a control message, put together again on the other side.
 */

#ifndef PIE_H
#define PIE_H

#include <sys/types.h>
#include <sys/uio.h>

#include "msg.h"

struct imsg;
struct imsgbuf;

/* A record being received, its strings put together. */
struct pie_piece {
	struct pie_rec	 r;
	char		*data;		/* the strings, NUL after each */
	size_t		 len;		/* of the strings, without NULs */
	size_t		 have;
	const char	*str[3];	/* into data */
};

int	 pie_compose(struct imsgbuf *, uint32_t, uint32_t,
	    const struct pie_rec *, const struct iovec *);
int	 pie_piece_add(struct pie_piece *, struct imsg *, size_t);
void	 pie_piece_clear(struct pie_piece *);

#endif /* PIE_H */
