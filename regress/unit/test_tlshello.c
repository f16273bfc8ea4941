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
 * The multiplexer's ClientHello parser (common/tlshello.c): hellos as
 * clients send them, every prefix of them, and the malformed ones.
 */

#include <stdint.h>
#include <string.h>

#include "test.h"
#include "tlshello.h"

static uint8_t	 hb[TLSHELLO_MAX + 64];
static size_t	 hlen;

static void
put(const void *p, size_t n)
{
	memcpy(hb + hlen, p, n);
	hlen += n;
}

static void
put16(size_t v)
{
	uint8_t	 b[2] = { v >> 8, v & 0xff };

	put(b, 2);
}

/* A hello naming sni (NULL: no SNI) and the ALPN wire list alpn. */
static size_t
hello(const char *sni, const uint8_t *alpn, size_t alpnlen, int exts)
{
	uint8_t	 rnd[32] = { 0 }, ciph[4] = { 0x13, 0x01, 0x13, 0x02 };
	size_t	 body, ext, hs, n;

	hlen = 0;
	put("\x16\x03\x01\0\0", 5);
	hs = hlen;
	put("\x01\0\0\0", 4);
	body = hlen;
	put("\x03\x03", 2);
	put(rnd, sizeof(rnd));
	put("\x00", 1);			/* session id */
	put16(sizeof(ciph));
	put(ciph, sizeof(ciph));
	put("\x01\x00", 2);		/* compression: null */
	if (exts) {
		ext = hlen;
		put16(0);
		put16(0x000a);		/* supported_groups */
		put16(4);
		put("\x00\x02\x00\x1d", 4);
		if (sni != NULL) {
			n = strlen(sni);
			put16(0);
			put16(n + 5);
			put16(n + 3);
			put("\x00", 1);
			put16(n);
			put(sni, n);
		}
		if (alpn != NULL) {
			put16(16);
			put16(alpnlen + 2);
			put16(alpnlen);
			put(alpn, alpnlen);
		}
		n = hlen - ext - 2;
		hb[ext] = n >> 8;
		hb[ext + 1] = n & 0xff;
	}
	n = hlen - body;
	hb[hs + 1] = n >> 16;
	hb[hs + 2] = (n >> 8) & 0xff;
	hb[hs + 3] = n & 0xff;
	n = hlen - 5;
	hb[3] = n >> 8;
	hb[4] = n & 0xff;
	return (hlen);
}

#define XC	"\x0bxmpp-client"
#define XS	"\x0bxmpp-server"
#define BR	"\x02h2\x08http/1.1"

int
main(void)
{
	struct tlshello	 h;
	size_t		 len, i;
	int		 bad;

	len = hello("Example.ORG", (const uint8_t *)XC, sizeof(XC) - 1, 1);
	CHECK(tlshello_parse(hb, len, &h) == 1, "a hello with SNI and ALPN");
	CHECK(strcmp(h.sni, "example.org") == 0, "SNI lowercased: %s", h.sni);
	CHECK(h.alpn == TLSHELLO_ALPN_XMPP_CLIENT, "ALPN xmpp-client");
	for (bad = 0, i = 0; i < len; i++)
		if (tlshello_parse(hb, i, &h) != 0)
			bad++;
	CHECK(bad == 0, "each prefix asks for more");
	CHECK(tlshello_parse(hb, len + 10, &h) == 1,
	    "bytes after the record are not looked at");

	len = hello("upload.example.org", (const uint8_t *)BR,
	    sizeof(BR) - 1, 1);
	CHECK(tlshello_parse(hb, len, &h) == 1 &&
	    h.alpn == (TLSHELLO_ALPN_HTTP11 | TLSHELLO_ALPN_OTHER) &&
	    strcmp(h.sni, "upload.example.org") == 0, "a browser's hello");
	len = hello(NULL, (const uint8_t *)XS, sizeof(XS) - 1, 1);
	CHECK(tlshello_parse(hb, len, &h) == 1 &&
	    h.alpn == TLSHELLO_ALPN_XMPP_SERVER && h.sni[0] == '\0',
	    "xmpp-server, no SNI");
	len = hello(NULL, NULL, 0, 0);
	CHECK(tlshello_parse(hb, len, &h) == 1 && h.alpn == 0,
	    "no extensions at all");

	CHECK(tlshello_parse((const uint8_t *)"GET / HTTP/1.1\r\n", 16,
	    &h) == -1, "HTTP is no hello");
	CHECK(tlshello_parse((const uint8_t *)"\x16\x02", 2, &h) == -1,
	    "SSLv2-era version refused at once");
	len = hello("a.b", NULL, 0, 1);
	hb[3] = 0x40;
	hb[4] = 0x01;
	CHECK(tlshello_parse(hb, len, &h) == -1, "record over 2^14 bytes");
	len = hello("a.b", NULL, 0, 1);
	hb[5] = 2;
	CHECK(tlshello_parse(hb, len, &h) == -1, "not a ClientHello");
	len = hello("a.b", NULL, 0, 1);
	hb[7]++;
	CHECK(tlshello_parse(hb, len, &h) == -1,
	    "hello longer than its record (fragmented)");
	len = hello("a.b", NULL, 0, 1);
	hb[8]--;
	CHECK(tlshello_parse(hb, len, &h) == -1, "hello shorter than record");
	len = hello("a b", NULL, 0, 1);
	CHECK(tlshello_parse(hb, len, &h) == -1, "a blank in the SNI");
	len = hello("a\xff", NULL, 0, 1);
	CHECK(tlshello_parse(hb, len, &h) == -1, "a byte over 127 in SNI");
	len = hello("", NULL, 0, 1);
	CHECK(tlshello_parse(hb, len, &h) == -1, "an empty SNI");
	len = hello("a.b", (const uint8_t *)"\x00\x02h2", 4, 1);
	CHECK(tlshello_parse(hb, len, &h) == -1, "an empty ALPN name");
	len = hello("a.b", (const uint8_t *)"\x05h2", 3, 1);
	CHECK(tlshello_parse(hb, len, &h) == -1, "an ALPN name past its list");
	len = hello("a.b", (const uint8_t *)XC, sizeof(XC) - 1, 1);
	memcpy(hb + len - (sizeof(XC) - 1) - 6, "\x00\x00", 2);
	CHECK(tlshello_parse(hb, len, &h) == -1, "SNI twice");
	memset(hb + 9, 0, 300);
	len = hello(NULL, NULL, 0, 0);
	hb[9 + 34] = 33;
	CHECK(tlshello_parse(hb, len, &h) == -1, "session id over 32");
	TEST_DONE();
}
