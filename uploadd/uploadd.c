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
 * HTTP upload daemon: hands out XEP-0363 upload slots and serves the
 * files over HTTPS, with size limits, quotas and expiry.
 */

#include <sys/types.h>

#include <err.h>
#include <event.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"

static int
uploadd_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	(void)imsg;
	return (-1);
}

int
main(int argc, char *argv[])
{
	(void)argv;
	if (argc != 1)
		errx(1, "usage: uploadd (started by xmppd)");
	proc_child_init(PROC_UPLOADD, 0);
	sandbox("stdio rpath wpath cpath inet recvfd");
	proc_self.dispatch = uploadd_dispatch;
	proc_child_run();
	return (0);
}
