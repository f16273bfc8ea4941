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
 * The PROXY protocol version 2 parser (common/proxyv2.c): headers as
 * haproxy sends them, every prefix of them, and the malformed ones.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "test.h"
#include "proxyv2.h"

#define SIG	"\r\n\r\n\0\r\nQUIT\n"

static uint8_t	 hb[PROXYV2_MAX + 64];

/* A header: version/command vc, family fam, body of blen bytes. */
static size_t
hdr(int vc, int fam, const void *body, size_t blen)
{
	memcpy(hb, SIG, 12);
	hb[12] = vc;
	hb[13] = fam;
	hb[14] = blen >> 8;
	hb[15] = blen & 0xff;
	if (body != NULL)
		memcpy(hb + 16, body, blen);
	else
		memset(hb + 16, 0, blen);
	return (16 + blen);
}

static const uint8_t in4[12] = {
	192, 0, 2, 7,  127, 0, 0, 1,  0x30, 0x39,  0x14, 0x66
};

int
main(void)
{
	struct proxyv2		 pv;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&pv.src;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&pv.src;
	uint8_t			 in6[36 + 7], tlv[12 + 21];
	char			 s[INET6_ADDRSTRLEN];
	size_t			 len, i;
	int			 bad;

	len = hdr(0x21, 0x11, in4, sizeof(in4));
	CHECK(proxyv2_parse(hb, len, &pv) == 28, "PROXY TCP4: 28 bytes");
	CHECK(!pv.local && sin->sin_family == AF_INET &&
	    pv.srclen == sizeof(*sin) &&
	    strcmp(inet_ntop(AF_INET, &sin->sin_addr, s, sizeof(s)),
	    "192.0.2.7") == 0 && ntohs(sin->sin_port) == 12345,
	    "source 192.0.2.7 port 12345");
	for (bad = 0, i = 0; i < len; i++)
		if (proxyv2_parse(hb, i, &pv) != 0)
			bad++;
	CHECK(bad == 0, "each prefix asks for more");
	memcpy(hb + len, "<?xml", 5);
	CHECK(proxyv2_parse(hb, len + 5, &pv) == 28,
	    "the client's bytes after it are not taken");

	memset(in6, 0, sizeof(in6));
	in6[0] = 0x20;
	in6[1] = 0x01;
	in6[2] = 0x0d;
	in6[3] = 0xb8;
	in6[15] = 5;
	in6[32] = 0x01;
	in6[33] = 0xbb;
	len = hdr(0x21, 0x21, in6, sizeof(in6));
	CHECK(proxyv2_parse(hb, len, &pv) == (int)len &&
	    sin6->sin6_family == AF_INET6 && pv.srclen == sizeof(*sin6) &&
	    strcmp(inet_ntop(AF_INET6, &sin6->sin6_addr, s, sizeof(s)),
	    "2001:db8::5") == 0 && ntohs(sin6->sin6_port) == 443,
	    "PROXY TCP6 with 7 bytes of TLV: 2001:db8::5");

	memcpy(tlv, in4, sizeof(in4));
	memcpy(tlv + 12, "\x04\x00\x04" "abcd" "\x01\x00\x0b" "xmpp-client",
	    21);
	len = hdr(0x21, 0x11, tlv, sizeof(tlv));
	CHECK(proxyv2_parse(hb, len, &pv) == (int)len && !pv.local,
	    "TLVs skipped");

	len = hdr(0x20, 0x00, NULL, 0);
	CHECK(proxyv2_parse(hb, len, &pv) == 16 && pv.local,
	    "LOCAL: the socket's address stays");
	len = hdr(0x20, 0x11, in4, sizeof(in4));
	CHECK(proxyv2_parse(hb, len, &pv) == 28 && pv.local &&
	    pv.srclen == 0, "LOCAL with addresses: they are not taken");

	CHECK(proxyv2_parse((const uint8_t *)"PROXY TCP4 192.0.2.7 "
	    "127.0.0.1 1 2\r\n", 35, &pv) == -1, "v1 text header refused");
	CHECK(proxyv2_parse((const uint8_t *)"<?xml", 5, &pv) == -1,
	    "no header at all");
	len = hdr(0x21, 0x11, in4, sizeof(in4));
	hb[7] = 'X';
	CHECK(proxyv2_parse(hb, 8, &pv) == -1 &&
	    proxyv2_parse(hb, len, &pv) == -1,
	    "wrong signature refused as soon as it differs");
	len = hdr(0x11, 0x11, in4, sizeof(in4));
	CHECK(proxyv2_parse(hb, len, &pv) == -1, "version 1 in binary");
	len = hdr(0x22, 0x11, in4, sizeof(in4));
	CHECK(proxyv2_parse(hb, len, &pv) == -1, "unknown command");
	len = hdr(0x21, 0x11, in4, 11);
	CHECK(proxyv2_parse(hb, len, &pv) == -1, "TCP4 body too short");
	len = hdr(0x21, 0x21, in4, sizeof(in4));
	CHECK(proxyv2_parse(hb, len, &pv) == -1, "TCP6 body too short");
	len = hdr(0x21, 0x12, in4, sizeof(in4));
	CHECK(proxyv2_parse(hb, len, &pv) == -1, "UDP refused");
	len = hdr(0x21, 0x00, NULL, 0);
	CHECK(proxyv2_parse(hb, len, &pv) == -1, "PROXY UNSPEC refused");
	len = hdr(0x21, 0x31, NULL, 216);
	CHECK(proxyv2_parse(hb, len, &pv) == -1, "PROXY UNIX refused");
	len = hdr(0x21, 0x41, in4, sizeof(in4));
	CHECK(proxyv2_parse(hb, len, &pv) == -1, "unknown family refused");
	len = hdr(0x21, 0x11, NULL, PROXYV2_MAX - 16);
	memcpy(hb + 16, in4, sizeof(in4));
	CHECK(proxyv2_parse(hb, len, &pv) == (int)len,
	    "a header of PROXYV2_MAX bytes");
	hdr(0x21, 0x11, in4, sizeof(in4));
	hb[14] = (PROXYV2_MAX - 15) >> 8;
	hb[15] = (PROXYV2_MAX - 15) & 0xff;
	CHECK(proxyv2_parse(hb, 16, &pv) == -1,
	    "a length past the limit refused before its body");
	hb[14] = 0xff;
	hb[15] = 0xff;
	CHECK(proxyv2_parse(hb, 16, &pv) == -1, "length 65535 refused");
	TEST_DONE();
}
