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
 * The TLS server context of every listener that terminates TLS (the
 * stream processes, uploadd): TLS 1.2 and 1.3, every keypair of the
 * configuration, the one a client names with SNI chosen by libtls.
 * libtls's handshake calls back into the context it started from, so
 * one replaced on reload lives on until the last of its connections
 * closes: each holds a reference.
 */

#ifndef TLSCTX_H
#define TLSCTX_H

#include <tls.h>

struct xmppd_config;

struct tlsctx {
	struct tls	*ctx;
	int		 refs;		/* current, and connections */
};

struct tlsctx	*tlsctx_new(struct xmppd_config *, const char *);
struct tlsctx	*tlsctx_new_peer(struct xmppd_config *, const char *);
struct tlsctx	*tlsctx_ref(struct tlsctx *);
void		 tlsctx_unref(struct tlsctx *);

#endif /* TLSCTX_H */
