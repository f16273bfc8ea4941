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
 * A minimal unit test harness: each check prints "ok N - what" or
 * "not ok N - what"; regress/run counts the lines.  A test program exits
 * non-zero when any check failed.
 */

#ifndef REGRESS_TEST_H
#define REGRESS_TEST_H

#include <stdio.h>
#include <stdlib.h>

static int test_n, test_failed;

#define CHECK(cond, ...) do {						\
	test_n++;							\
	if (cond)							\
		printf("ok %d - ", test_n);				\
	else {								\
		test_failed++;						\
		printf("not ok %d - %s:%d: ", test_n, __FILE__, __LINE__); \
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	fflush(stdout);							\
} while (0)

#define TEST_DONE()	return (test_failed ? 1 : 0)

#endif /* REGRESS_TEST_H */
