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
 * What the parent and ldapauthd both need to know of LDAP: server URLs,
 * and search filters (RFC 4515) built from an administrator's template
 * such as "(cn=%u)" and a user name from the network.  The user name is
 * escaped so that no byte of it can change the filter's structure: '*',
 * '(', ')', '\', NUL and every byte outside printable ASCII become \XX.
 */

#ifndef LDAPUTIL_H
#define LDAPUTIL_H

#include <stddef.h>

enum ldapurl_tls {
	LDAPURL_PLAIN,		/* ldap:// */
	LDAPURL_TLS,		/* ldaps:// */
};

struct ldapurl {
	int		 tls;		/* enum ldapurl_tls */
	char		 host[256];
	char		 port[8];
};

int	ldapurl_parse(const char *, struct ldapurl *);
int	ldapurl_loopback(const struct ldapurl *);
int	ldapfilter_escape(const char *, char *, size_t);
int	ldapfilter_expand(const char *, const char *, int, char *, size_t);
int	ldapfilter_attr(const char *, char *, size_t);

#endif /* LDAPUTIL_H */
