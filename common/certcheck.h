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
 * Checks of the server's own certificates, as the parent reads them:
 * their dates, and whether a key belongs to a certificate.  Which names
 * a certificate holds is tlsverify's job.
 */

#ifndef CERTCHECK_H
#define CERTCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum certcheck_key {
	CERTCHECK_KEY_OK,
	CERTCHECK_KEY_NONE,	/* no private key in the file */
	CERTCHECK_KEY_MISMATCH,	/* a key, of another certificate */
};

int	certcheck_dates(const uint8_t *, size_t, time_t, char *, size_t);
int	certcheck_key(const uint8_t *, size_t, const uint8_t *, size_t);

#endif /* CERTCHECK_H */
