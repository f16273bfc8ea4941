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
 * XMPP addresses (RFC 7622 syntax, RFC 6122 stringprep preparation):
 * parsed into their three parts, each normalised so that two JIDs are
 * equal exactly when their parts are equal byte for byte.
 */

#ifndef JID_H
#define JID_H

#include <stddef.h>

#define JID_PARTMAX	1023	/* octets per part, after preparation */
#define JID_BUFSIZE	(3 * JID_PARTMAX + 3)	/* local@domain/resource */

struct jid {
	char	local[JID_PARTMAX + 1];		/* "" when absent */
	char	domain[JID_PARTMAX + 1];
	char	resource[JID_PARTMAX + 1];	/* "" when absent */
};

extern int	jid_ascii_fast;	/* 0: libidn for ASCII too (tests) */

int	jid_parse(const char *, struct jid *);
int	jid_prep_local(char *, size_t);
int	jid_prep_domain(char *, size_t);
int	jid_prep_resource(char *, size_t);
size_t	jid_bare(const struct jid *, char *, size_t);
size_t	jid_full(const struct jid *, char *, size_t);
int	jid_list_has(const char *, const char *);
int	jid_equal(const struct jid *, const struct jid *);
int	jid_bare_equal(const struct jid *, const struct jid *);

#endif /* JID_H */
