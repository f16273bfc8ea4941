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
 * A stream process: holds the listening sockets the parent passed,
 * terminates TLS and XML streams, and hands stanzas to the router.
 */

#include <sys/types.h>

#include <event.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"
#include "xmppd.h"

static int
stream_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	(void)imsg;
	return (-1);
}

void
stream_main(int instance)
{
	struct proc_self	*ps = &proc_self;

	proc_child_init(PROC_STREAM, instance);
	sandbox("stdio inet recvfd");
	ps->dispatch = stream_dispatch;
	proc_child_run();
}
