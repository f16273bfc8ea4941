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
 * The server's own certificate and key, before anything is served with
 * them: is the certificate valid now, and is the key its own?  So that
 * xmppd -n tells which file is wrong rather than a client later.
 */

#include <sys/types.h>

#include <limits.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "certcheck.h"

/* The first certificate of a PEM buffer, or NULL. */
static X509 *
certcheck_first(const uint8_t *pem, size_t len)
{
	BIO	*bio;
	X509	*x;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return (NULL);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	return (x);
}

static void
certcheck_time(const ASN1_TIME *t, char *buf, size_t len)
{
	BIO	*bio;
	int	 n;

	buf[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (ASN1_TIME_print(bio, t) == 1 &&
	    (n = BIO_read(bio, buf, len - 1)) > 0)
		buf[n] = '\0';
	BIO_free(bio);
}

/*
 * Is the first certificate of pem valid at now?  0 yes; -1 when it is
 * not, with why ("expired on ...", "is not valid before ..."); -2 when
 * pem holds no certificate that parses.
 */
int
certcheck_dates(const uint8_t *pem, size_t len, time_t now, char *why,
    size_t whylen)
{
	X509	*x;
	char	 when[64];
	int	 ret = -1;

	if ((x = certcheck_first(pem, len)) == NULL) {
		(void)strlcpy(why, "holds no certificate that parses",
		    whylen);
		return (-2);
	}
	if (X509_cmp_time(X509_get0_notAfter(x), &now) <= 0) {
		certcheck_time(X509_get0_notAfter(x), when, sizeof(when));
		(void)snprintf(why, whylen, "expired on %s", when);
	} else if (X509_cmp_time(X509_get0_notBefore(x), &now) >= 0) {
		certcheck_time(X509_get0_notBefore(x), when, sizeof(when));
		(void)snprintf(why, whylen, "is not valid before %s", when);
	} else
		ret = 0;
	X509_free(x);
	ERR_clear_error();
	return (ret);
}

/* Is the private key of keypem the one of certpem's first certificate? */
int
certcheck_key(const uint8_t *certpem, size_t certlen, const uint8_t *keypem,
    size_t keylen)
{
	BIO		*bio;
	EVP_PKEY	*pkey = NULL;
	X509		*x;
	int		 ret = CERTCHECK_KEY_NONE;

	if (keylen > INT_MAX ||
	    (bio = BIO_new_mem_buf(keypem, (int)keylen)) == NULL)
		return (CERTCHECK_KEY_NONE);
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey != NULL) {
		ret = CERTCHECK_KEY_MISMATCH;
		if ((x = certcheck_first(certpem, certlen)) != NULL) {
			if (X509_check_private_key(x, pkey) == 1)
				ret = CERTCHECK_KEY_OK;
			X509_free(x);
		}
		EVP_PKEY_free(pkey);
	}
	ERR_clear_error();
	return (ret);
}
