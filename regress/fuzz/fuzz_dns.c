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
 * libFuzzer harness for what the resolver does with a DNS answer
 * (xmppd/resolver_dns.c): the bytes of ub_result's answer_packet, as a
 * hostile or broken name server could make them.  The first byte picks
 * the question (SRV of _xmpp-server._tcp.example.org, A or AAAA of
 * xmpp.example.org); the rest is the message.  Aborts when:
 * - more records are returned than asked for, or a count below -1;
 * - an SRV target is not "." or a host name dns_name_ok() accepts, or
 *   is not terminated within its buffer;
 * - an address is not of the family asked for;
 * - ordering the SRV records (with a random source drawn from the
 *   input, within [0, n] as promised) loses or duplicates one, or
 *   leaves a lower priority after a higher one.
 * See regress/fuzz/README.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolver.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	*rnd_data;
static size_t		 rnd_len, rnd_off;

/* Uniform in [0, n] as dns_srv_order() expects, from the input. */
static uint32_t
fuzz_rnd(uint32_t n)
{
	uint32_t	 v = 0;
	int		 i;

	for (i = 0; i < 4 && rnd_len > 0; i++) {
		v = v << 8 | rnd_data[rnd_off % rnd_len];
		rnd_off++;
	}
	return (n == UINT32_MAX ? v : v % (n + 1));
}

static int
fuzz_srvcmp(const void *a, const void *b)
{
	return (memcmp(a, b, sizeof(struct srv_rr)));
}

static void
fuzz_srv(const uint8_t *msg, size_t len)
{
	struct srv_rr	 rr[SRV_MAX], a[SRV_MAX], b[SRV_MAX];
	int		 n, i;

	memset(rr, 0, sizeof(rr));
	n = dns_parse_srv(msg, len, "_xmpp-server._tcp.example.org", rr,
	    SRV_MAX);
	if (n < -1 || n > SRV_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (strnlen(rr[i].target, sizeof(rr[i].target)) ==
		    sizeof(rr[i].target) || (strcmp(rr[i].target, ".") != 0 &&
		    dns_name_ok(rr[i].target) == -1))
			abort();
	if (n <= 0)
		return;
	memcpy(a, rr, n * sizeof(*rr));
	rnd_data = msg;
	rnd_len = len;
	rnd_off = 0;
	dns_srv_order(rr, n, fuzz_rnd);
	for (i = 1; i < n; i++)
		if (rr[i - 1].priority > rr[i].priority)
			abort();
	memcpy(b, rr, n * sizeof(*rr));
	qsort(a, n, sizeof(*a), fuzz_srvcmp);
	qsort(b, n, sizeof(*b), fuzz_srvcmp);
	if (memcmp(a, b, n * sizeof(*a)) != 0)
		abort();
}

static void
fuzz_addr(const uint8_t *msg, size_t len, int type)
{
	struct sockaddr_storage	 ss[ADDR_MAX];
	int			 n, i;

	n = dns_parse_addr(msg, len, "xmpp.example.org", type, ss, ADDR_MAX);
	if (n < -1 || n > ADDR_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (ss[i].ss_family != (type == DNS_TYPE_A ? AF_INET :
		    AF_INET6))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t	*msg;

	if (len < 1)
		return (0);
	/* The message alone, in a buffer of exactly its length. */
	if ((msg = malloc(len - 1 > 0 ? len - 1 : 1)) == NULL)
		return (0);
	memcpy(msg, data + 1, len - 1);
	if ((dns_rcode(msg, len - 1) == -1) != (len - 1 < 12))
		abort();
	switch (data[0] % 3) {
	case 0:
		fuzz_srv(msg, len - 1);
		break;
	case 1:
		fuzz_addr(msg, len - 1, DNS_TYPE_A);
		break;
	default:
		fuzz_addr(msg, len - 1, DNS_TYPE_AAAA);
		break;
	}
	free(msg);
	return (0);
}
