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
 * The resolver process (resolver.c) and the pure parts it is built on
 * (resolver_dns.c): reading the answers libunbound hands back as DNS
 * messages, and the order of SRV records (RFC 2782, XEP-0368).
 */

#ifndef RESOLVER_H
#define RESOLVER_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX		254	/* text, with its NUL */
#define DNS_TYPE_A		1
#define DNS_TYPE_CNAME		5
#define DNS_TYPE_AAAA		28
#define DNS_TYPE_SRV		33
#define DNS_CLASS_IN		1

#define SRV_MAX			32	/* records read from one answer */
#define ADDR_MAX		8	/* addresses read from one answer */
#define XMPP_SERVER_PORT	5269	/* RFC 6120 section 3.2.2 */

struct srv_rr {
	uint16_t	 priority;
	uint16_t	 weight;
	uint16_t	 port;
	int		 tls;		/* from _xmpps-server */
	char		 target[DNS_NAME_MAX];	/* "." for none */
};

/*
 * The records of one type that answer qname, following the CNAME chain
 * from it, at most max of them.  Returns their number, or -1 when the
 * message is malformed.
 */
int	 dns_parse_srv(const uint8_t *, size_t, const char *, struct srv_rr *,
	    size_t);
int	 dns_parse_addr(const uint8_t *, size_t, const char *, int,
	    struct sockaddr_storage *, size_t);

#define DNS_RCODE_NXDOMAIN	3
int	 dns_rcode(const uint8_t *, size_t);

/* A host name DNS can be asked about, in its ASCII form: 0 or -1. */
int	 dns_name_ok(const char *);

/*
 * Order SRV records as RFC 2782 says: by priority, then by weighted
 * random selection within a priority; rnd(n) is uniform in [0, n].
 */
void	 dns_srv_order(struct srv_rr *, size_t, uint32_t (*)(uint32_t));

void	 resolver_main(int) __attribute__((__noreturn__));

/* xmppd/resolver_ctl.c: xmppctl check's questions. */
struct ub_ctx;
struct imsg;
int	 resolver_ctl_dispatch(struct ub_ctx *, struct imsg *);
void	 resolver_ctl_stop(int);
void	 resolver_ctl_forget(void);

/* xmppd/router_resolve.c: why a resolution failed, for people. */
const char *resolve_status_text(int);

#endif /* RESOLVER_H */
