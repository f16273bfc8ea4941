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
 * "listen ... proxy from": the PROXY v2 header a listener's proxy sends
 * first, read before anything else by the process that accepted the
 * connection (a stream process, uploadd).
 */

#ifndef PROXY_H
#define PROXY_H

#include "config.h"

/*
 * s, accepted from addr on lc: once its header is read, serve(s, the
 * client's address, lc's kind, flags and owner) serves it.
 */
void	 proxy_accept(int, const char *, const struct listen_conf *,
	    void (*)(int, const char *, const struct listen_conf *));

#endif /* PROXY_H */
