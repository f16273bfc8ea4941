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
 * The pure part of the resolver.  libunbound's event API hands each
 * answer back as a DNS message (RFC 1035 section 4), which it encoded
 * itself from what it parsed and checked; it is read here once more,
 * bounded and defensively, for the few record types s2s needs.  Then
 * the order of SRV records, RFC 2782's weighted selection.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "resolver.h"

#define DNS_HEADER		12
#define DNS_CNAME_MAX		8	/* links followed */

struct dns_rr {
	int		 type;
	size_t		 rdata;		/* offset */
	size_t		 rdlen;
};

static int	dns_name(const uint8_t *, size_t, size_t, char *, size_t,
		    size_t *);
static int	dns_walk(const uint8_t *, size_t, const char *, int,
		    int (*)(const uint8_t *, size_t, struct dns_rr *, void *),
		    void *);
static int	dns_take_srv(const uint8_t *, size_t, struct dns_rr *, void *);
static int	dns_take_addr(const uint8_t *, size_t, struct dns_rr *,
		    void *);

static uint16_t
dns_u16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

/*
 * The name at off, as text without the final dot ("." for the root).
 * *next: just past the name where it began.  A compression pointer
 * may only point backwards, and the name's length bounds every loop.
 * Returns 0, 1 for a well-formed name with a byte no host name has
 * (the caller ignores that record), -1 for a malformed message.
 */
static int
dns_name(const uint8_t *msg, size_t len, size_t off, char *buf,
    size_t size, size_t *next)
{
	size_t	 pos = off, out = 0, wire = 1, ptr, i;
	int	 jumped = 0, odd = 0;
	uint8_t	 c, ch;

	for (;;) {
		if (pos >= len)
			return (-1);
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return (-1);
			ptr = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (ptr >= pos)
				return (-1);
			if (!jumped)
				*next = pos + 2;
			jumped = 1;
			pos = ptr;
			continue;
		}
		if (c & 0xc0)
			return (-1);
		if (c == 0)
			break;
		if (pos + 1 + c > len || (wire += c + 1) > 255)
			return (-1);
		if (out + c + 2 > size)
			return (-1);
		if (out > 0)
			buf[out++] = '.';
		for (i = 0; i < c; i++) {
			ch = msg[pos + 1 + i];
			if (!isalnum(ch) && ch != '-' && ch != '_')
				odd = 1;
			buf[out++] = ch;
		}
		pos += 1 + c;
	}
	if (!jumped)
		*next = pos + 1;
	if (out == 0)
		buf[out++] = '.';
	buf[out] = '\0';
	return (odd);
}

/*
 * Call take for each answer record of type that answers qname: owned
 * by qname or by the last name of the CNAME chain from it.
 */
static int
dns_walk(const uint8_t *msg, size_t len, const char *qname, int type,
    int (*take)(const uint8_t *, size_t, struct dns_rr *, void *), void *arg)
{
	char		 owner[DNS_NAME_MAX], cur[DNS_NAME_MAX];
	char		 alias[DNS_NAME_MAX];
	struct dns_rr	 rr;
	size_t		 pos, next, end;
	unsigned int	 qd, an, i;
	int		 r, odd, links = 0, n = 0;

	if (len < DNS_HEADER || strlen(qname) >= sizeof(cur))
		return (-1);
	(void)strlcpy(cur, qname, sizeof(cur));
	qd = dns_u16(msg + 4);
	an = dns_u16(msg + 6);
	pos = DNS_HEADER;
	for (i = 0; i < qd; i++) {
		if (dns_name(msg, len, pos, owner, sizeof(owner), &next) == -1 ||
		    next + 4 > len)
			return (-1);
		pos = next + 4;
	}
	for (i = 0; i < an; i++) {
		if ((odd = dns_name(msg, len, pos, owner, sizeof(owner),
		    &next)) == -1 || next + 10 > len)
			return (-1);
		rr.type = dns_u16(msg + next);
		rr.rdlen = dns_u16(msg + next + 8);
		rr.rdata = next + 10;
		if ((end = rr.rdata + rr.rdlen) > len)
			return (-1);
		pos = end;
		if (odd || dns_u16(msg + next + 2) != DNS_CLASS_IN ||
		    strcasecmp(owner, cur) != 0)
			continue;
		if (rr.type == DNS_TYPE_CNAME && type != DNS_TYPE_CNAME) {
			if (dns_name(msg, len, rr.rdata, alias, sizeof(alias),
			    &next) != 0 || next != end ||
			    ++links > DNS_CNAME_MAX)
				return (-1);
			(void)strlcpy(cur, alias, sizeof(cur));
			continue;
		}
		if (rr.type != type)
			continue;
		if ((r = take(msg, len, &rr, arg)) == -1)
			return (-1);
		n += r;
	}
	return (n);
}

struct dns_take {
	void		*out;
	size_t		 n;
	size_t		 max;
};

static int
dns_take_srv(const uint8_t *msg, size_t len, struct dns_rr *rr, void *arg)
{
	struct dns_take	*t = arg;
	struct srv_rr	 s, *kept = t->out;
	size_t		 next, i, worst = 0;
	int		 r;

	if (rr->rdlen < 7)
		return (-1);
	memset(&s, 0, sizeof(s));
	s.priority = dns_u16(msg + rr->rdata);
	s.weight = dns_u16(msg + rr->rdata + 2);
	s.port = dns_u16(msg + rr->rdata + 4);
	if ((r = dns_name(msg, len, rr->rdata + 6, s.target,
	    sizeof(s.target), &next)) == -1 || next != rr->rdata + rr->rdlen)
		return (-1);
	if (r == 1 || (strcmp(s.target, ".") != 0 &&
	    dns_name_ok(s.target) == -1))
		return (0);
	if (t->n < t->max) {
		kept[t->n++] = s;
		return (1);
	}
	/* Full: the best priorities of the whole answer are kept. */
	for (i = 1; i < t->n; i++)
		if (kept[i].priority > kept[worst].priority)
			worst = i;
	if (t->n > 0 && s.priority < kept[worst].priority)
		kept[worst] = s;
	return (0);
}

static int
dns_take_addr(const uint8_t *msg, size_t len, struct dns_rr *rr, void *arg)
{
	struct dns_take		*t = arg;
	struct sockaddr_storage	*ss;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	(void)len;
	if (rr->rdlen != (rr->type == DNS_TYPE_A ? 4 : 16))
		return (-1);
	if (t->n >= t->max)
		return (0);
	ss = (struct sockaddr_storage *)t->out + t->n;
	memset(ss, 0, sizeof(*ss));
	if (rr->type == DNS_TYPE_A) {
		sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, msg + rr->rdata, 4);
	} else {
		sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, msg + rr->rdata, 16);
	}
	t->n++;
	return (1);
}

/* The message's response code, -1 when it has no header. */
int
dns_rcode(const uint8_t *msg, size_t len)
{
	if (len < DNS_HEADER)
		return (-1);
	return (msg[3] & 0x0f);
}

int
dns_parse_srv(const uint8_t *msg, size_t len, const char *qname,
    struct srv_rr *out, size_t max)
{
	struct dns_take	 t = { out, 0, max };

	if (dns_walk(msg, len, qname, DNS_TYPE_SRV, dns_take_srv, &t) == -1)
		return (-1);
	return ((int)t.n);
}

int
dns_parse_addr(const uint8_t *msg, size_t len, const char *qname, int type,
    struct sockaddr_storage *out, size_t max)
{
	struct dns_take	 t = { out, 0, max };

	if (type != DNS_TYPE_A && type != DNS_TYPE_AAAA)
		return (-1);
	if (dns_walk(msg, len, qname, type, dns_take_addr, &t) == -1)
		return (-1);
	return ((int)t.n);
}

/* Letters, digits and hyphens, labels of 1 to 63, 253 in all. */
int
dns_name_ok(const char *name)
{
	size_t		 label = 0, total = 0;
	const char	*p;

	for (p = name; *p != '\0'; p++, total++) {
		if (*p == '.') {
			if (label == 0)
				return (-1);
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) &&
		    (*p != '-' || label == 0))
			return (-1);
		if (++label > 63)
			return (-1);
	}
	if (label == 0 || total > 253)
		return (-1);
	return (0);
}

void
dns_srv_order(struct srv_rr *rr, size_t n, uint32_t (*rnd)(uint32_t))
{
	struct srv_rr	 tmp;
	size_t		 i, j, start, end;
	uint32_t	 sum, run, pick;

	/*
	 * Stable insertion sort by priority, weight 0 first within one:
	 * RFC 2782 puts those at the start of the list it selects from.
	 */
	for (i = 1; i < n; i++) {
		tmp = rr[i];
		for (j = i; j > 0 && (rr[j - 1].priority > tmp.priority ||
		    (rr[j - 1].priority == tmp.priority &&
		    rr[j - 1].weight != 0 && tmp.weight == 0)); j--)
			rr[j] = rr[j - 1];
		rr[j] = tmp;
	}
	for (start = 0; start < n; start = end) {
		for (end = start; end < n &&
		    rr[end].priority == rr[start].priority; end++)
			;
		for (i = start; i + 1 < end; i++) {
			for (sum = 0, j = i; j < end; j++)
				sum += rr[j].weight;
			pick = rnd(sum);
			for (run = 0, j = i; j + 1 < end; j++)
				if ((run += rr[j].weight) >= pick)
					break;
			/* Move the chosen one to i, keeping the others' order. */
			tmp = rr[j];
			memmove(&rr[i + 1], &rr[i], (j - i) * sizeof(*rr));
			rr[i] = tmp;
		}
	}
}
