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
 * A grant: proof, made by the process that checked the credentials,
 * that a stream's connection authenticated.  A login's (the store,
 * ldapauthd) names a user: the router binds a session only with one.
 * A component's (the store, from the XEP-0114 handshake) names a
 * component: the router brings it up only with one.  So a stream
 * process cannot name the user or the component itself.  A keyed MAC of
 * (kind, stream instance, connection id, names) under a key the parent
 * makes at start for each maker, and gives to it and the router alone:
 * ldapauthd's grants never pass for the store's; the kind keeps one
 * sort from passing for the other.
 */

#ifndef GRANT_H
#define GRANT_H

#include <stdint.h>

#define GRANT_KEYLEN	32
#define GRANT_LEN	32

int	grant_make(const uint8_t *, int, uint32_t, const char *,
	    const char *, uint8_t *);
int	grant_ok(const uint8_t *, int, uint32_t, const char *, const char *,
	    const uint8_t *);
int	grant_component_make(const uint8_t *, int, uint32_t, const char *,
	    uint8_t *);
int	grant_component_ok(const uint8_t *, int, uint32_t, const char *,
	    const uint8_t *);

#endif /* GRANT_H */
