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
 * Signatures of PUT URLs: HMAC-SHA256, keyed by a secret made once from
 * arc4random and kept in the root (0600, outside files/), over every
 * field of the slot, so that a URL names one upload and nothing else.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "upload.h"

#define UPLOAD_SECRET_LEN	32
#define UPLOAD_SECRET_NEW	UPLOAD_SECRET ".new"

static uint8_t	 upload_secret[UPLOAD_SECRET_LEN];
static int	 upload_secret_set;

/* A new secret, written whole and synced before it takes the name. */
static void
upload_sign_create(void)
{
	int	 fd;

	arc4random_buf(upload_secret, sizeof(upload_secret));
	if ((fd = open(UPLOAD_SECRET_NEW, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		fatal("%s", UPLOAD_SECRET_NEW);
	if (fchmod(fd, 0600) == -1 ||
	    write(fd, upload_secret, sizeof(upload_secret)) !=
	    (ssize_t)sizeof(upload_secret) || fsync(fd) == -1)
		fatal("%s", UPLOAD_SECRET_NEW);
	close(fd);
	if (rename(UPLOAD_SECRET_NEW, UPLOAD_SECRET) == -1)
		fatal("rename %s", UPLOAD_SECRET);
	log_info("created a new upload secret");
}

/* Read the secret, or make it on first start; anything odd is fatal. */
void
upload_sign_init(void)
{
	struct stat	 sb;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(UPLOAD_SECRET, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1) {
		if (errno != ENOENT)
			fatal("%s", UPLOAD_SECRET);
		upload_sign_create();
		upload_secret_set = 1;
		return;
	}
	if (fstat(fd, &sb) == -1)
		fatal("%s", UPLOAD_SECRET);
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0 ||
	    sb.st_size != UPLOAD_SECRET_LEN)
		fatalx("%s: not a regular file of %d bytes, mode 0600",
		    UPLOAD_SECRET, UPLOAD_SECRET_LEN);
	n = read(fd, upload_secret, sizeof(upload_secret));
	if (n != (ssize_t)sizeof(upload_secret))
		fatalx("%s: short read", UPLOAD_SECRET);
	close(fd);
	upload_secret_set = 1;
}

/* The bytes signed: each field, its length first. */
struct upload_sign_buf {
	uint8_t		 b[sizeof(struct upload_file) + 16 * 8];
	size_t		 len;
};

static int
upload_sign_field(struct upload_sign_buf *sb, const char *p)
{
	size_t	 len = strlen(p), i;

	if (sizeof(sb->b) - sb->len < 8 + len)
		return (-1);
	for (i = 0; i < 8; i++)
		sb->b[sb->len++] = (uint64_t)len >> (8 * (7 - i));
	memcpy(sb->b + sb->len, p, len);
	sb->len += len;
	return (0);
}

static int
upload_sign_num(struct upload_sign_buf *sb, int64_t v)
{
	char	 buf[32];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return (-1);
	return (upload_sign_field(sb, buf));
}

static int
upload_sign_mac(const struct upload_file *f, uint8_t *mac)
{
	struct upload_sign_buf	 sb;
	unsigned int		 len = 0;

	if (!upload_secret_set)
		fatalx("%s: no secret", __func__);
	sb.len = 0;
	if (upload_sign_field(&sb, f->slot) == -1 ||
	    upload_sign_field(&sb, f->service) == -1 ||
	    upload_sign_field(&sb, f->owner) == -1 ||
	    upload_sign_field(&sb, f->name) == -1 ||
	    upload_sign_field(&sb, f->type) == -1 ||
	    upload_sign_num(&sb, f->size) == -1 ||
	    upload_sign_num(&sb, f->expires) == -1)
		return (-1);
	if (HMAC(EVP_sha256(), upload_secret, sizeof(upload_secret), sb.b,
	    sb.len, mac, &len) == NULL || len != UPLOAD_SIG_LEN / 2)
		return (-1);
	return (0);
}

/* The signature of a slot, in lowercase hex. */
int
upload_sign(const struct upload_file *f, char *buf, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			 mac[UPLOAD_SIG_LEN / 2];
	size_t			 i;

	if (len < UPLOAD_SIG_LEN + 1 || upload_sign_mac(f, mac) == -1)
		return (-1);
	for (i = 0; i < sizeof(mac); i++) {
		buf[2 * i] = hex[mac[i] >> 4];
		buf[2 * i + 1] = hex[mac[i] & 0xf];
	}
	buf[UPLOAD_SIG_LEN] = '\0';
	explicit_bzero(mac, sizeof(mac));
	return (0);
}

/* 0 when sig is the slot's signature, compared in constant time. */
int
upload_sign_check(const struct upload_file *f, const char *sig)
{
	char	 want[UPLOAD_SIG_LEN + 1];
	int	 rc;

	if (sig == NULL || strnlen(sig, UPLOAD_SIG_LEN + 1) != UPLOAD_SIG_LEN)
		return (-1);
	if (upload_sign(f, want, sizeof(want)) == -1)
		return (-1);
	rc = CRYPTO_memcmp(want, sig, UPLOAD_SIG_LEN) == 0 ? 0 : -1;
	explicit_bzero(want, sizeof(want));
	return (rc);
}
