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
 * JIDs: split per RFC 7622 section 3.1, prepared per RFC 6122 with
 * libidn's Nodeprep, Resourceprep and Nameprep profiles (what deployed
 * servers still use, so that our comparisons agree with our peers').
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <idn-free.h>
#include <idna.h>
#include <stdio.h>
#include <string.h>
#include <stringprep.h>
#include <strings.h>

#include "jid.h"

/* Room to prepare a part: preparation may shrink or grow it. */
#define JID_PREPBUF	4096
#define JID_INMAX	(3 * JID_PREPBUF)

/* Off, every part goes through libidn: the unit test compares both. */
int		jid_ascii_fast = 1;

static int	jid_utf8_valid(const char *, size_t);
static int	jid_check(const char *, size_t);
static int	jid_ascii(char *, size_t, const char *);
static int	jid_domain_ascii(char *, size_t);
static int	jid_stringprep(char *, size_t, const Stringprep_profile *);
static void	jid_domain_dots(char *);
static int	jid_domain_literal(char *, size_t);
static int	jid_domain_has_ace(const char *);
static int	jid_domain_idn(char *, size_t);
static int	jid_part(const char *, size_t, char *, size_t,
		    int (*)(char *, size_t));
static size_t	jid_format(const struct jid *, char *, size_t, int);

/*
 * Well-formed UTF-8: no overlong forms, no surrogates, nothing past
 * U+10FFFF.
 */
static int
jid_utf8_valid(const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i, k, n;
	unsigned int		 cp;

	for (i = 0; i < len; i += n + 1) {
		if (s[i] < 0x80) {
			n = 0;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			n = 1;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			n = 2;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			n = 3;
		else
			return (0);
		if (len - i <= n)
			return (0);
		cp = s[i] & (0x3f >> n);
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
	}
	return (1);
}

/* A part to prepare must be a NUL-terminated, non-empty UTF-8 string. */
static int
jid_check(const char *buf, size_t size)
{
	size_t	 len;

	if (buf == NULL || (len = strnlen(buf, size)) == size || len == 0)
		return (-1);
	return (jid_utf8_valid(buf, len) ? 0 : -1);
}

/*
 * Most parts are short ASCII, where the profiles come down to a few
 * rules: no profile maps or normalises printable ASCII except Nodeprep
 * and Nameprep folding A-Z (RFC 3454 table B.2), and none sees a
 * bidirectional character.  Returns 1 when the part is prepared in
 * place (0x21-0x7e and not in bad, or 0x20-0x7e for Resourceprep, whose
 * bad is NULL), 0 when stringprep must decide, -1 when the length is
 * out of bounds.
 */
static int
jid_ascii(char *buf, size_t size, const char *bad)
{
	unsigned char	*s = (unsigned char *)buf;
	size_t		 i, len;

	if (!jid_ascii_fast)
		return (0);
	if (buf == NULL || (len = strnlen(buf, size)) == size || len == 0)
		return (-1);
	for (i = 0; i < len; i++)
		if (s[i] < (bad == NULL ? 0x20 : 0x21) || s[i] > 0x7e ||
		    (bad != NULL && strchr(bad, s[i]) != NULL))
			return (0);
	if (len > JID_PARTMAX)
		return (-1);
	if (bad != NULL)
		for (i = 0; i < len; i++)
			if (s[i] >= 'A' && s[i] <= 'Z')
				s[i] += 'a' - 'A';
	return (1);
}

static int
jid_stringprep(char *buf, size_t size, const Stringprep_profile *profile)
{
	size_t	 len;

	if (jid_check(buf, size) == -1)
		return (-1);
	/*
	 * Unassigned code points are allowed (query strings): Resourceprep
	 * covers MUC nicknames, where characters newer than Unicode 3.2
	 * (emoji) are common, and our peers accept them too.
	 */
	if (stringprep(buf, size, 0, profile) != STRINGPREP_OK)
		return (-1);
	len = strlen(buf);
	if (len == 0 || len > JID_PARTMAX)
		return (-1);
	return (0);
}

int
jid_prep_local(char *buf, size_t size)
{
	/* Table C.1.1 and C.2.1, and Nodeprep's own (RFC 6122 A.5). */
	switch (jid_ascii(buf, size, "\"&'/:<>@")) {
	case -1:
		return (-1);
	case 1:
		return (0);
	}
	return (jid_stringprep(buf, size, stringprep_xmpp_nodeprep));
}

int
jid_prep_resource(char *buf, size_t size)
{
	/* Table C.2.1 only: ASCII space is allowed (RFC 6122 B.5). */
	switch (jid_ascii(buf, size, NULL)) {
	case -1:
		return (-1);
	case 1:
		return (0);
	}
	return (jid_stringprep(buf, size, stringprep_xmpp_resourceprep));
}

/* IDNA2003 label separators: U+3002, U+FF0E and U+FF61 become '.'. */
static void
jid_domain_dots(char *s)
{
	char	*r, *w;

	for (r = w = s; *r != '\0'; ) {
		if (strncmp(r, "\xe3\x80\x82", 3) == 0 ||
		    strncmp(r, "\xef\xbc\x8e", 3) == 0 ||
		    strncmp(r, "\xef\xbd\xa1", 3) == 0) {
			*w++ = '.';
			r += 3;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

/*
 * IP literals: returns 1 for an IPv4 address or a bracketed IPv6
 * address (rewritten in RFC 5952 form), 0 for anything else, -1 for
 * brackets around something that is not an IPv6 address.
 */
static int
jid_domain_literal(char *buf, size_t size)
{
	char		 addr[INET6_ADDRSTRLEN];
	struct in_addr	 in4;
	struct in6_addr	 in6;
	size_t		 len = strlen(buf);
	int		 n;

	if (buf[0] != '[')
		return (inet_pton(AF_INET, buf, &in4) == 1 ? 1 : 0);
	if (len < 3 || buf[len - 1] != ']' || len - 2 >= sizeof(addr))
		return (-1);
	memcpy(addr, buf + 1, len - 2);
	addr[len - 2] = '\0';
	if (inet_pton(AF_INET6, addr, &in6) != 1 ||
	    inet_ntop(AF_INET6, &in6, addr, sizeof(addr)) == NULL)
		return (-1);
	n = snprintf(buf, size, "[%s]", addr);
	if (n < 0 || (size_t)n >= size)
		return (-1);
	return (1);
}

/* Does a label start with the ACE prefix "xn--"? */
static int
jid_domain_has_ace(const char *s)
{
	const char	*label;

	for (label = s; label != NULL; label = strchr(label, '.')) {
		if (*label == '.')
			label++;
		if (strncasecmp(label, "xn--", 4) == 0)
			return (1);
	}
	return (0);
}

/*
 * A domain name: A-labels become U-labels, then Nameprep (which also
 * folds case); ToASCII with the STD3 rules then checks what is left:
 * letters, digits and hyphens only, labels of 1 to 63 octets, no
 * unassigned code points.
 */
static int
jid_domain_idn(char *buf, size_t size)
{
	char	*out = NULL;
	size_t	 len;

	if (jid_domain_has_ace(buf)) {
		if (idna_to_unicode_8z8z(buf, &out, 0) != IDNA_SUCCESS)
			return (-1);
		len = strlcpy(buf, out, size);
		idn_free(out);
		if (len >= size)
			return (-1);
	}
	if (stringprep_nameprep_no_unassigned(buf, size) != STRINGPREP_OK)
		return (-1);
	/* An A-label left over did not decode. */
	if (jid_domain_has_ace(buf))
		return (-1);
	len = strlen(buf);
	if (len == 0 || len > JID_PARTMAX || buf[len - 1] == '.')
		return (-1);
	if (idna_to_ascii_8z(buf, &out, IDNA_USE_STD3_ASCII_RULES) !=
	    IDNA_SUCCESS)
		return (-1);
	idn_free(out);
	return (0);
}

/*
 * The common domain: LDH labels of 1 to 63 octets, none beginning or
 * ending with a hyphen, no A-label, no IP literal, at most 253 octets.
 * What Nameprep and ToASCII with the STD3 rules would do to it is
 * folding case; anything else goes the whole way.  Returns 1 when
 * prepared in place, 0 otherwise.
 */
static int
jid_domain_ascii(char *buf, size_t size)
{
	unsigned char	*s = (unsigned char *)buf;
	size_t		 i, label = 0, len;
	int		 alpha = 0;

	if (!jid_ascii_fast || buf == NULL ||
	    (len = strnlen(buf, size)) == size || len == 0 || len > 253 ||
	    jid_domain_has_ace(buf))
		return (0);
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return (0);
			label = 0;
			continue;
		}
		if (s[i] == '-') {
			if (label == 0)
				return (0);
		} else if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')
			alpha = 1;
		else if (s[i] < '0' || s[i] > '9')
			return (0);
		if (++label > 63)
			return (0);
	}
	/* Ending in a dot, a hyphen, or all digits (an IPv4 address?). */
	if (label == 0 || s[len - 1] == '-' || !alpha)
		return (0);
	for (i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] += 'a' - 'A';
	return (1);
}

int
jid_prep_domain(char *buf, size_t size)
{
	size_t	 len;

	if (jid_domain_ascii(buf, size))
		return (0);
	if (jid_check(buf, size) == -1)
		return (-1);
	jid_domain_dots(buf);
	/* RFC 7622 section 3.2: one trailing dot is stripped. */
	len = strlen(buf);
	if (buf[len - 1] == '.')
		buf[--len] = '\0';
	if (len == 0)
		return (-1);
	switch (jid_domain_literal(buf, size)) {
	case -1:
		return (-1);
	case 1:
		return (0);
	}
	return (jid_domain_idn(buf, size));
}

/* Copy one raw part out of the address, prepare it and store it. */
static int
jid_part(const char *src, size_t len, char *dst, size_t dstsize,
    int (*prep)(char *, size_t))
{
	char	 tmp[JID_PREPBUF];

	if (len == 0 || len >= sizeof(tmp))
		return (-1);
	memcpy(tmp, src, len);
	tmp[len] = '\0';
	if (prep(tmp, sizeof(tmp)) == -1)
		return (-1);
	if (strlcpy(dst, tmp, dstsize) >= dstsize)
		return (-1);
	return (0);
}

/*
 * RFC 7622 section 3.1: the resourcepart is everything after the first
 * '/', the localpart everything before the first '@' that precedes it.
 */
int
jid_parse(const char *in, struct jid *out)
{
	const char	*slash, *at, *dom;
	size_t		 len, barelen;

	memset(out, 0, sizeof(*out));
	if (in == NULL || (len = strnlen(in, JID_INMAX + 1)) > JID_INMAX)
		return (-1);
	slash = memchr(in, '/', len);
	barelen = slash != NULL ? (size_t)(slash - in) : len;
	at = memchr(in, '@', barelen);
	dom = at != NULL ? at + 1 : in;

	if (at != NULL && jid_part(in, at - in, out->local,
	    sizeof(out->local), jid_prep_local) == -1)
		goto fail;
	if (jid_part(dom, in + barelen - dom, out->domain,
	    sizeof(out->domain), jid_prep_domain) == -1)
		goto fail;
	if (slash != NULL && jid_part(slash + 1, len - barelen - 1,
	    out->resource, sizeof(out->resource), jid_prep_resource) == -1)
		goto fail;
	return (0);
 fail:
	memset(out, 0, sizeof(*out));
	return (-1);
}

static size_t
jid_format(const struct jid *j, char *buf, size_t size, int full)
{
	size_t	 total;
	int	 local = j->local[0] != '\0';
	int	 res = full && j->resource[0] != '\0';

	total = strlen(j->domain);
	if (local)
		total += strlen(j->local) + 1;
	if (res)
		total += strlen(j->resource) + 1;
	if (size > 0)
		(void)snprintf(buf, size, "%s%s%s%s%s",
		    local ? j->local : "", local ? "@" : "", j->domain,
		    res ? "/" : "", res ? j->resource : "");
	return (total);
}

/* Both return the length of the whole address, as strlcpy(3) does. */
size_t
jid_bare(const struct jid *j, char *buf, size_t size)
{
	return (jid_format(j, buf, size, 0));
}

size_t
jid_full(const struct jid *j, char *buf, size_t size)
{
	return (jid_format(j, buf, size, 1));
}

/* Is jid one of the lines of list ('\n' between them)? */
int
jid_list_has(const char *list, const char *jid)
{
	size_t		 n = strlen(jid);
	const char	*p;

	for (p = list; *p != '\0'; p += strcspn(p, "\n"), p += *p == '\n')
		if (strncmp(p, jid, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return (1);
	return (0);
}

int
jid_equal(const struct jid *a, const struct jid *b)
{
	return (jid_bare_equal(a, b) && strcmp(a->resource, b->resource) == 0);
}

int
jid_bare_equal(const struct jid *a, const struct jid *b)
{
	return (strcmp(a->local, b->local) == 0 &&
	    strcmp(a->domain, b->domain) == 0);
}
