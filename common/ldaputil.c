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

#include <sys/types.h>

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldaputil.h"

/*
 * "ldaps://host[:port][/]" or "ldap://host[:port][/]"; an IPv6 address
 * in brackets.  No user, no DN, no extensions.  Returns 0, or -1.
 */
int
ldapurl_parse(const char *s, struct ldapurl *u)
{
	const char	*p, *end;
	size_t		 len;
	long		 port;
	char		*ep;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(s, "ldaps://", 8) == 0) {
		u->tls = LDAPURL_TLS;
		p = s + 8;
	} else if (strncasecmp(s, "ldap://", 7) == 0) {
		u->tls = LDAPURL_PLAIN;
		p = s + 7;
	} else
		return (-1);
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL)
			return (-1);
		p++;
		len = (size_t)(end - p);
		end++;
	} else {
		end = p + strcspn(p, ":/");
		len = (size_t)(end - p);
	}
	if (len == 0 || len >= sizeof(u->host))
		return (-1);
	memcpy(u->host, p, len);
	for (p = u->host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != ':' && *p != '_')
			return (-1);
	p = end;
	(void)strlcpy(u->port, u->tls == LDAPURL_TLS ? "636" : "389",
	    sizeof(u->port));
	if (*p == ':') {
		p++;
		port = strtol(p, &ep, 10);
		if (ep == p || port < 1 || port > 65535)
			return (-1);
		(void)snprintf(u->port, sizeof(u->port), "%ld", port);
		p = ep;
	}
	if (*p == '/')
		p++;
	return (*p == '\0' ? 0 : -1);
}

/* A host that cannot be anywhere but this machine. */
int
ldapurl_loopback(const struct ldapurl *u)
{
	struct in_addr	 in;
	struct in6_addr	 in6;

	if (strcasecmp(u->host, "localhost") == 0)
		return (1);
	if (inet_pton(AF_INET, u->host, &in) == 1)
		return ((ntohl(in.s_addr) >> 24) == 127);
	if (inet_pton(AF_INET6, u->host, &in6) == 1)
		return (IN6_IS_ADDR_LOOPBACK(&in6));
	return (0);
}

/*
 * Escape the value s into out.  Returns 0, or -1 when out is too small.
 */
int
ldapfilter_escape(const char *s, char *out, size_t outlen)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p;
	size_t			 n = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '*' && *p != '(' &&
		    *p != ')' && *p != '\\') {
			if (n + 1 >= outlen)
				return (-1);
			out[n++] = *p;
			continue;
		}
		if (n + 3 >= outlen)
			return (-1);
		out[n++] = '\\';
		out[n++] = hex[*p >> 4];
		out[n++] = hex[*p & 0xf];
	}
	if (n >= outlen)
		return (-1);
	out[n] = '\0';
	return (0);
}

/*
 * Replace every "%u" of the template with the escaped user name, or
 * with a bare '*' (a presence or substring match: every user) when
 * wildcard is set.  "%%" is a literal '%'.  Returns 0, or -1 when the
 * result does not fit or the template has another '%' sequence.
 */
int
ldapfilter_expand(const char *tmpl, const char *user, int wildcard,
    char *out, size_t outlen)
{
	char		 esc[3 * 1024 + 1];
	const char	*p, *rep;
	size_t		 n = 0, len;

	if (!wildcard && ldapfilter_escape(user, esc, sizeof(esc)) == -1)
		return (-1);
	for (p = tmpl; *p != '\0'; p++) {
		if (*p != '%') {
			if (n + 1 >= outlen)
				return (-1);
			out[n++] = *p;
			continue;
		}
		p++;
		if (*p == '%')
			rep = "%";
		else if (*p == 'u')
			rep = wildcard ? "*" : esc;
		else
			return (-1);
		len = strlen(rep);
		if (n + len >= outlen)
			return (-1);
		memcpy(out + n, rep, len);
		n += len;
	}
	if (n >= outlen)
		return (-1);
	out[n] = '\0';
	return (0);
}

/*
 * The attribute that holds the user name: the one compared with "%u",
 * as cn in "(&(objectClass=person)(cn=%u))".  The template must have
 * exactly one "%u", as a whole value "(attr=%u)".  Returns 0, or -1.
 */
int
ldapfilter_attr(const char *tmpl, char *attr, size_t attrlen)
{
	const char	*u, *p, *start;
	size_t		 len;

	if ((u = strstr(tmpl, "%u")) == NULL || strstr(u + 2, "%u") != NULL)
		return (-1);
	if (u[2] != ')' || u == tmpl || u[-1] != '=')
		return (-1);
	for (p = u - 1; p > tmpl && p[-1] != '('; p--)
		;
	if (p == tmpl)
		return (-1);
	start = p;
	len = (size_t)(u - 1 - start);
	if (len == 0 || len >= attrlen)
		return (-1);
	for (p = start; p < u - 1; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != ';')
			return (-1);
	memcpy(attr, start, len);
	attr[len] = '\0';
	return (0);
}
