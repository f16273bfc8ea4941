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
 * Base64 encoding and strict decoding (RFC 4648 section 4): the input
 * length must be a multiple of four, '=' may only pad the last quantum,
 * the bits padding leaves unused must be zero, nothing else is skipped.
 */

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int	base64_value(unsigned char);

/*
 * Encode srclen bytes into dst, NUL-terminated.  Returns the number of
 * characters written, or -1 (and an empty dst) if dst is too small.
 */
int
base64_encode(const uint8_t *src, size_t srclen, char *dst, size_t dstlen)
{
	size_t		 i, o;
	uint32_t	 v;

	if (dstlen > 0)
		dst[0] = '\0';
	if (srclen > (size_t)INT_MAX / 4 * 3 - 3 ||
	    dstlen < BASE64_ENCLEN(srclen) + 1)
		return (-1);

	for (i = 0, o = 0; srclen - i >= 3; i += 3) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 |
		    src[i + 2];
		dst[o++] = base64_alphabet[(v >> 18) & 0x3f];
		dst[o++] = base64_alphabet[(v >> 12) & 0x3f];
		dst[o++] = base64_alphabet[(v >> 6) & 0x3f];
		dst[o++] = base64_alphabet[v & 0x3f];
	}
	if (srclen - i > 0) {
		v = (uint32_t)src[i] << 16;
		if (srclen - i == 2)
			v |= (uint32_t)src[i + 1] << 8;
		dst[o++] = base64_alphabet[(v >> 18) & 0x3f];
		dst[o++] = base64_alphabet[(v >> 12) & 0x3f];
		dst[o++] = srclen - i == 2 ?
		    base64_alphabet[(v >> 6) & 0x3f] : '=';
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return ((int)o);
}

static int
base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+')
		return (62);
	if (c == '/')
		return (63);
	return (-1);
}

/*
 * Decode exactly srclen characters (src need not be NUL-terminated).
 * Returns the number of bytes written to dst, or -1 if the input is not
 * canonical base64 or dst is too small.
 */
int
base64_decode(const char *src, size_t srclen, uint8_t *dst, size_t dstlen)
{
	size_t		 i, j, o, pad;
	uint32_t	 v = 0;
	int		 d;

	if (srclen % 4 != 0 || srclen > (size_t)INT_MAX)
		return (-1);
	pad = 0;
	if (srclen > 0 && src[srclen - 1] == '=')
		pad = src[srclen - 2] == '=' ? 2 : 1;
	if (BASE64_DECLEN(srclen) - pad > dstlen)
		return (-1);

	for (i = 0, o = 0; i < srclen; i += 4) {
		v = 0;
		for (j = 0; j < 4; j++) {
			if (i + j >= srclen - pad) {
				v <<= 6;
				continue;
			}
			if ((d = base64_value(src[i + j])) == -1)
				return (-1);
			v = v << 6 | (uint32_t)d;
		}
		dst[o++] = (v >> 16) & 0xff;
		if (i + 4 < srclen || pad < 2)
			dst[o++] = (v >> 8) & 0xff;
		if (i + 4 < srclen || pad < 1)
			dst[o++] = v & 0xff;
	}
	/* The bits the padding leaves over must be zero. */
	if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0))
		return (-1);
	return ((int)o);
}

/*
 * n bytes as unpadded base64url (RFC 4648 section 5).  Returns the
 * characters written, or -1 if dst is too small.
 */
int
base64url_encode(const uint8_t *src, size_t n, char *dst, size_t dstlen)
{
	int	 len, i;

	if ((len = base64_encode(src, n, dst, dstlen)) <= 0)
		return (-1);
	len = strcspn(dst, "=");
	dst[len] = '\0';
	for (i = 0; i < len; i++)
		if (dst[i] == '+')
			dst[i] = '-';
		else if (dst[i] == '/')
			dst[i] = '_';
	return (len);
}

/*
 * n random bytes (at most 48) as unpadded base64url: ids nobody can
 * guess.  Returns the characters written, or -1 if dst is too small.
 */
int
base64url_random(size_t n, char *dst, size_t dstlen)
{
	uint8_t	 r[48];
	int	 len;

	if (n == 0 || n > sizeof(r))
		return (-1);
	arc4random_buf(r, n);
	len = base64url_encode(r, n, dst, dstlen);
	explicit_bzero(r, sizeof(r));
	return (len);
}
