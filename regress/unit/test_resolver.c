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
 * The resolver's pure parts: SRV order (RFC 2782 weights, XEP-0368's
 * merged sets), reading DNS messages, hostile ones included, and the
 * resolvers of xmppd.conf and /etc/resolv.conf.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "resolver.h"
#include "test.h"

/* Scripted random numbers, then arc4random. */
static uint32_t	 script[16];
static int	 nscript, iscript;
static uint32_t	 asked[16];

static uint32_t
scripted(uint32_t n)
{
	if (iscript < 16)
		asked[iscript] = n;
	if (iscript < nscript)
		return (script[iscript++]);
	iscript++;
	return (arc4random_uniform(n + 1));
}

static void
srv(struct srv_rr *r, int prio, int weight, int port, const char *target)
{
	memset(r, 0, sizeof(*r));
	r->priority = prio;
	r->weight = weight;
	r->port = port;
	(void)strlcpy(r->target, target, sizeof(r->target));
}

static void
test_order(void)
{
	struct srv_rr	 r[6];
	int		 i, first_a = 0, zero_first = 0, runs = 20000;

	/* Priority first, whatever the weights. */
	srv(&r[0], 20, 100, 1, "c");
	srv(&r[1], 10, 0, 2, "b");
	srv(&r[2], 5, 1, 3, "a");
	nscript = iscript = 0;
	dns_srv_order(r, 3, scripted);
	CHECK(strcmp(r[0].target, "a") == 0 && strcmp(r[1].target, "b") == 0 &&
	    strcmp(r[2].target, "c") == 0, "lowest priority first");
	CHECK(iscript == 0, "no random number for one record a priority");

	/*
	 * RFC 2782: weight 0 first in the list, running sums 0, 10, 40;
	 * a number of 5 picks the first sum >= 5: weight 10.
	 */
	srv(&r[0], 1, 10, 1, "w10");
	srv(&r[1], 1, 30, 2, "w30");
	srv(&r[2], 1, 0, 3, "w0");
	script[0] = 5;
	script[1] = 0;
	nscript = 2;
	iscript = 0;
	dns_srv_order(r, 3, scripted);
	CHECK(asked[0] == 40, "random number asked in [0, sum of weights]: "
	    "%u", asked[0]);
	CHECK(strcmp(r[0].target, "w10") == 0, "running sum selects w10: %s",
	    r[0].target);
	CHECK(asked[1] == 30 && strcmp(r[1].target, "w0") == 0 &&
	    strcmp(r[2].target, "w30") == 0,
	    "then 0 picks the weight 0 record, put first: %s %s",
	    r[1].target, r[2].target);

	/* 0 with no weight 0 record: the first of the list. */
	srv(&r[0], 1, 30, 1, "w30");
	srv(&r[1], 1, 10, 2, "w10");
	script[0] = 0;
	nscript = 1;
	iscript = 0;
	dns_srv_order(r, 2, scripted);
	CHECK(strcmp(r[0].target, "w30") == 0, "0 picks the first");

	/* The sum itself picks the last. */
	srv(&r[0], 1, 30, 1, "w30");
	srv(&r[1], 1, 10, 2, "w10");
	script[0] = 40;
	iscript = 0;
	dns_srv_order(r, 2, scripted);
	CHECK(strcmp(r[0].target, "w10") == 0, "the sum picks the last");

	/* Weights are proportions: 90 against 10 over many draws. */
	for (i = 0; i < runs; i++) {
		srv(&r[0], 0, 10, 1, "a");
		srv(&r[1], 0, 90, 2, "b");
		srv(&r[2], 0, 0, 3, "z");
		nscript = iscript = 0;
		dns_srv_order(r, 3, scripted);
		if (strcmp(r[0].target, "b") == 0)
			first_a++;
		if (strcmp(r[0].target, "z") == 0)
			zero_first++;
	}
	CHECK(first_a > runs * 85 / 100 && first_a < runs * 95 / 100,
	    "weight 90 of 100 comes first about 90%% of the time: %d/%d",
	    first_a, runs);
	CHECK(zero_first < runs / 50, "weight 0 comes first rarely: %d/%d",
	    zero_first, runs);

	/* XEP-0368: both services in one order; each record keeps its tls. */
	srv(&r[0], 10, 0, 5269, "starttls");
	srv(&r[1], 5, 0, 5270, "direct");
	r[1].tls = 1;
	srv(&r[2], 20, 0, 5270, "direct2");
	r[2].tls = 1;
	nscript = iscript = 0;
	dns_srv_order(r, 3, scripted);
	CHECK(strcmp(r[0].target, "direct") == 0 && r[0].tls &&
	    strcmp(r[1].target, "starttls") == 0 && !r[1].tls &&
	    r[2].tls, "xmpps and xmpp records merged by priority");
}

/* A DNS message under construction. */
struct msg {
	uint8_t	 b[16384];
	size_t	 len;
};

static void
put16(struct msg *m, int v)
{
	m->b[m->len++] = v >> 8;
	m->b[m->len++] = v & 0xff;
}

static void
putname(struct msg *m, const char *name)
{
	const char	*p = name, *dot;
	size_t		 l;

	if (strcmp(name, ".") == 0)
		p = "";
	while (*p != '\0') {
		dot = strchr(p, '.');
		l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		m->b[m->len++] = l;
		memcpy(m->b + m->len, p, l);
		m->len += l;
		p += l;
		if (*p == '.')
			p++;
	}
	m->b[m->len++] = 0;
}

static void
header(struct msg *m, int rcode, int qd, int an)
{
	m->len = 0;
	put16(m, 0x1234);
	put16(m, 0x8180 | rcode);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

static void
rr(struct msg *m, const char *owner, int type)
{
	putname(m, owner);
	put16(m, type);
	put16(m, DNS_CLASS_IN);
	put16(m, 0);
	put16(m, 60);
}

static void
srv_rr(struct msg *m, const char *owner, int prio, int weight, int port,
    const char *target)
{
	size_t	 at;

	rr(m, owner, DNS_TYPE_SRV);
	at = m->len;
	put16(m, 0);
	put16(m, prio);
	put16(m, weight);
	put16(m, port);
	putname(m, target);
	m->b[at] = (m->len - at - 2) >> 8;
	m->b[at + 1] = (m->len - at - 2) & 0xff;
}

static void
test_parse(void)
{
	const char		*q = "_xmpp-server._tcp.example.test";
	struct msg		 m;
	struct srv_rr		 out[SRV_MAX];
	struct sockaddr_storage	 ss[ADDR_MAX];
	struct sockaddr_in6	*sin6;
	size_t			 at;
	int			 n, i;

	header(&m, 0, 1, 2);
	putname(&m, q);
	put16(&m, DNS_TYPE_SRV);
	put16(&m, DNS_CLASS_IN);
	srv_rr(&m, q, 5, 10, 5269, "xmpp1.example.test");
	srv_rr(&m, q, 0, 0, 5269, ".");
	n = dns_parse_srv(m.b, m.len, q, out, SRV_MAX);
	CHECK(n == 2 && out[0].priority == 5 && out[0].weight == 10 &&
	    out[0].port == 5269 && strcmp(out[0].target,
	    "xmpp1.example.test") == 0 && strcmp(out[1].target, ".") == 0,
	    "SRV records and a \".\" target read: %d", n);
	CHECK(dns_rcode(m.b, m.len) == 0, "rcode 0");
	CHECK(dns_parse_srv(m.b, m.len, "_xmpp-server._tcp.other.test",
	    out, SRV_MAX) == 0, "records of another name are not taken");

	/* Every truncation of a good message is refused, never read past. */
	for (i = 0, at = 0; at < m.len; at++)
		if (dns_parse_srv(m.b, at, q, out, SRV_MAX) != -1)
			i++;
	CHECK(i == 0, "every truncated message is malformed (%d read)", i);

	/* A compression pointer to itself, and one pointing forward. */
	header(&m, 0, 0, 1);
	m.b[m.len] = 0xc0;
	m.b[m.len + 1] = m.len;
	m.len += 2;
	CHECK(dns_parse_srv(m.b, m.len, q, out, SRV_MAX) == -1,
	    "a pointer loop is malformed");
	header(&m, 0, 0, 1);
	m.b[m.len++] = 0xc0;
	m.b[m.len++] = 40;
	memset(m.b + m.len, 0, 40);
	m.len += 40;
	CHECK(dns_parse_srv(m.b, m.len, q, out, SRV_MAX) == -1,
	    "a forward pointer is malformed");

	/* Labels pointing back at each other: the name length ends it. */
	header(&m, 0, 0, 1);
	at = m.len;
	m.b[m.len++] = 1;
	m.b[m.len++] = 'a';
	m.b[m.len++] = 0xc0;
	m.b[m.len++] = at;
	CHECK(dns_parse_srv(m.b, m.len, q, out, SRV_MAX) == -1,
	    "a loop through labels is malformed");

	/* An answer count far past the message. */
	header(&m, 0, 0, 65535);
	CHECK(dns_parse_srv(m.b, m.len, q, out, SRV_MAX) == -1,
	    "65535 answers announced, none there");

	/* An rdlength past the end, and an SRV too short. */
	header(&m, 0, 0, 1);
	rr(&m, q, DNS_TYPE_SRV);
	put16(&m, 500);
	CHECK(dns_parse_srv(m.b, m.len, q, out, SRV_MAX) == -1,
	    "rdlength past the end");
	header(&m, 0, 0, 1);
	rr(&m, q, DNS_TYPE_SRV);
	put16(&m, 3);
	put16(&m, 0);
	m.b[m.len++] = 0;
	CHECK(dns_parse_srv(m.b, m.len, q, out, SRV_MAX) == -1,
	    "SRV rdata of 3 bytes");

	/* Too many records: the first SRV_MAX, and no more. */
	header(&m, 0, 0, 100);
	for (i = 0; i < 100; i++)
		srv_rr(&m, q, 99 - i, 0, 5269, "x.example.test");
	n = dns_parse_srv(m.b, m.len, q, out, SRV_MAX);
	for (i = 0, at = 0; i < n; i++)
		if (out[i].priority >= SRV_MAX)
			at++;
	CHECK(n == SRV_MAX && at == 0,
	    "100 SRV records: the %d of the best priorities kept (%zu not)",
	    SRV_MAX, at);

	/* A target no host name can be: skipped, the rest read. */
	header(&m, 0, 0, 2);
	srv_rr(&m, q, 0, 0, 5269, "bad\x01name.test");
	srv_rr(&m, q, 1, 0, 5269, "good.test");
	n = dns_parse_srv(m.b, m.len, q, out, SRV_MAX);
	CHECK(n == 1 && strcmp(out[0].target, "good.test") == 0,
	    "a target with a control byte is skipped");

	/* A CNAME chain from the question, then the address; a stray A. */
	header(&m, 0, 0, 3);
	rr(&m, "xmpp.example.test", DNS_TYPE_CNAME);
	put16(&m, 17);
	putname(&m, "host.other.test");
	rr(&m, "stray.test", DNS_TYPE_AAAA);
	put16(&m, 16);
	memset(m.b + m.len, 0xee, 16);
	m.len += 16;
	rr(&m, "host.other.test", DNS_TYPE_AAAA);
	put16(&m, 16);
	memset(m.b + m.len, 0, 15);
	m.b[m.len + 15] = 1;
	m.len += 16;
	n = dns_parse_addr(m.b, m.len, "xmpp.example.test", DNS_TYPE_AAAA,
	    ss, ADDR_MAX);
	sin6 = (struct sockaddr_in6 *)&ss[0];
	CHECK(n == 1 && sin6->sin6_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr),
	    "AAAA through a CNAME, the stray record ignored: %d", n);

	/* An A record of 5 bytes. */
	header(&m, 0, 0, 1);
	rr(&m, "a.test", DNS_TYPE_A);
	put16(&m, 5);
	memset(m.b + m.len, 1, 5);
	m.len += 5;
	CHECK(dns_parse_addr(m.b, m.len, "a.test", DNS_TYPE_A, ss,
	    ADDR_MAX) == -1, "an A record of 5 bytes is malformed");

	header(&m, DNS_RCODE_NXDOMAIN, 0, 0);
	CHECK(dns_rcode(m.b, m.len) == DNS_RCODE_NXDOMAIN &&
	    dns_rcode(m.b, 5) == -1, "NXDOMAIN read from the header");
}

static void
test_names(void)
{
	char	 big[300];

	CHECK(dns_name_ok("example.test") == 0, "example.test");
	CHECK(dns_name_ok("xn--bcher-kva.test") == 0, "an A-label");
	CHECK(dns_name_ok("a..test") == -1, "empty label");
	CHECK(dns_name_ok("-a.test") == -1, "leading hyphen");
	CHECK(dns_name_ok("a_b.test") == -1, "underscore");
	CHECK(dns_name_ok("[::1]") == -1, "an IP literal");
	CHECK(dns_name_ok("") == -1, "empty");
	memset(big, 'a', sizeof(big));
	big[64] = '\0';
	CHECK(dns_name_ok(big) == -1, "a label of 64");
	big[63] = '\0';
	CHECK(dns_name_ok(big) == 0, "a label of 63");
}

static void
test_config(void)
{
	struct resolver_conf	 rc;
	struct xmppd_config	*conf;
	char			 b[CONF_NAMELEN];
	FILE			*fp;
	int			 n;

	CHECK(config_resolver_parse("127.0.0.1", &rc) == 0 &&
	    rc.port == 53 && config_resolver_print(&rc, b, sizeof(b)) == 0 &&
	    strcmp(b, "127.0.0.1") == 0, "127.0.0.1: port 53");
	CHECK(config_resolver_parse("::1@5353", &rc) == 0 &&
	    rc.ss.ss_family == AF_INET6 && rc.port == 5353 &&
	    config_resolver_print(&rc, b, sizeof(b)) == 0 &&
	    strcmp(b, "::1@5353") == 0, "::1@5353");
	CHECK(config_resolver_parse("ns.example.org", &rc) == -1,
	    "a name is refused");
	CHECK(config_resolver_parse("127.0.0.1@0", &rc) == -1 &&
	    config_resolver_parse("127.0.0.1@65536", &rc) == -1 &&
	    config_resolver_parse("127.0.0.1@", &rc) == -1 &&
	    config_resolver_parse("@53", &rc) == -1, "bad ports refused");

	conf = config_new();
	fp = tmpfile();
	fputs("# comment\nsearch example.org\nnameserver 192.0.2.1\n"
	    "nameserver\tfe80::1%eth0\nnameserver 2001:db8::53 # x\n"
	    "options edns0\nnameserver ns.example.org\n", fp);
	rewind(fp);
	n = config_resolv_conf(fp, conf);
	fclose(fp);
	CHECK(n == 2, "resolv.conf: the numeric nameservers: %d", n);
	CHECK(n == 2 && TAILQ_FIRST(&conf->resolvers)->system &&
	    config_resolver_print(TAILQ_FIRST(&conf->resolvers), b,
	    sizeof(b)) == 0 && strcmp(b, "192.0.2.1") == 0,
	    "the first, marked as the system's");
	config_free(conf);
}

int
main(void)
{
	test_order();
	test_parse();
	test_names();
	test_config();
	TEST_DONE();
}
