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
 * Base64 (RFC 4648, standard alphabet, padded).  Decoding is strict
 * because its input comes from the network: SASL payloads and SCRAM
 * attributes.
 */

#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode n bytes, and bytes at most decoded from n. */
#define BASE64_ENCLEN(n)	((((n) + 2) / 3) * 4)
#define BASE64_DECLEN(n)	(((n) / 4) * 3)

int	base64_encode(const uint8_t *, size_t, char *, size_t);
int	base64_decode(const char *, size_t, uint8_t *, size_t);
int	base64url_encode(const uint8_t *, size_t, char *, size_t);
int	base64url_random(size_t, char *, size_t);

#endif /* BASE64_H */
