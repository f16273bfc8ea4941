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
 * A PostgreSQL conninfo: checked by the parent, which reads its
 * passfile and copies its sslrootcert into the chroot; turned into
 * libpq's parameters by the chrooted process.
 */

#ifndef PGCONF_H
#define PGCONF_H

#include <sys/types.h>

#include <stddef.h>

int		 pgconf_check(const char *, const char *, const char *, char *,
		    size_t, const char *);
int		 pgconf_params(const char *, const char *, const char *,
		    const char *, const char ***, const char ***);
void		 pgconf_params_free(const char **, const char **);
int		 pgconf_port(const char *);
int		 pgconf_tls_place(const char *, const char *, gid_t,
		    const char *);
int		 pgconf_tls(const char *, const char **);
void		 pgconf_sandbox(const char *);

#endif /* PGCONF_H */
