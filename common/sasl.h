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
 * SASL PLAIN (RFC 4616): "authzid NUL authcid NUL password", parsed the
 * same way for internal accounts (the store) and LDAP (ldapauthd); and
 * the one-line log of each outcome, which fail2ban and the like read.
 */

#ifndef SASL_H
#define SASL_H

#include <stddef.h>

#define SASL_PLAIN_MAX		4096

struct sasl_plain {
	char	 authzid[3072];
	char	 authcid[1024];
	char	 password[1024];
};

struct auth_start;
struct ibuf;
struct imsg;

int	sasl_plain_parse(const char *, size_t, struct sasl_plain *);
int	sasl_start_get(struct imsg *, struct auth_start *, struct ibuf *);
void	sasl_log(int, const char *, const char *, const char *);

#endif /* SASL_H */
