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
 * libFuzzer harness for the configuration (xmppd/parse.y): the input is
 * xmppd.conf up to its first NUL, and after it the file a relative
 * `include "inc.conf"` reads; both are written to a directory of their
 * own.  Aborts when a configuration that parses, printed as `xmppd -n`
 * prints it, does not parse again, or parses to one that prints
 * differently (xmppd/printconf.c promises its output parses to the
 * same configuration).
 * Whatever the input, a parse leaks nothing (the grammar's %destructor
 * frees the words yacc throws away on a syntax error).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 dir[] = "/tmp/fuzz_config.XXXXXX";
static char	 mainpath[sizeof(dir) + 16], incpath[sizeof(dir) + 16];

static void
fuzz_write(const char *path, const void *p, size_t len)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (len > 0 && write(fd, p, len) != (ssize_t)len) || close(fd) == -1)
		abort();
}

static void
fuzz_cleanup(void)
{
	unlink(mainpath);
	unlink(incpath);
	rmdir(dir);
}

/* What `xmppd -n` prints, in a string to free. */
static char *
fuzz_print(struct xmppd_config *c, size_t *len)
{
	FILE	*fp;
	char	*s = NULL;

	if ((fp = open_memstream(&s, len)) == NULL)
		abort();
	print_config(fp, c);
	if (fclose(fp) != 0)
		abort();
	return (s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int		 init;
	struct xmppd_config	*c;
	const uint8_t		*nul;
	char			*a, *b;
	size_t			 alen, blen, mlen;
	int			 sp[2];

	if (!init) {
		/* Log lines go to a socket nobody reads, and are dropped. */
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) == -1)
			abort();
		log_init(1, 0);
		log_setfd(sp[0]);
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(mainpath, sizeof(mainpath), "%s/xmppd.conf", dir);
		snprintf(incpath, sizeof(incpath), "%s/inc.conf", dir);
		atexit(fuzz_cleanup);
		init = 1;
	}
	nul = memchr(data, '\0', len);
	mlen = nul != NULL ? (size_t)(nul - data) : len;
	fuzz_write(mainpath, data, mlen);
	fuzz_write(incpath, nul != NULL ? nul + 1 : data,
	    nul != NULL ? len - mlen - 1 : 0);

	if ((c = parse_config(mainpath)) == NULL)
		return (0);
	a = fuzz_print(c, &alen);
	config_free(c);
	fuzz_write(mainpath, a, alen);
	if ((c = parse_config(mainpath)) == NULL) {
		fprintf(stderr, "printed configuration does not parse:\n%s",
		    a);
		abort();
	}
	b = fuzz_print(c, &blen);
	config_free(c);
	if (alen != blen || memcmp(a, b, alen) != 0) {
		fprintf(stderr, "printed twice differently:\n%s\n---\n%s",
		    a, b);
		abort();
	}
	free(a);
	free(b);
	return (0);
}
