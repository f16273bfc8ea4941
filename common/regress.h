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
 * Regress builds only: a compromised process, played by a client
 * (regress.c).
 */

#ifndef REGRESS_H
#define REGRESS_H

#ifdef REGRESS
#include <stdint.h>

#define NS_REGRESS	"urn:xmppd:regress"

struct imsg;
struct xml_node;

struct imsgev;

void	regress_imsg_send(struct xml_node *, uint32_t);
void	regress_imsg_compose(struct imsgev *, uint32_t, uint32_t,
	    const void *, size_t);
int	regress_leaf_stanza(struct imsg *);
#endif

#endif /* REGRESS_H */
