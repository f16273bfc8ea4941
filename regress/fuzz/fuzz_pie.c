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
 * libFuzzer harness for XEP-0227 import (xmppctl/pie_import.c,
 * xmppctl/xmlread.c): the first pass `xmppctl import` makes over a
 * file, which reads and checks all of it before anything is sent to
 * xmppd.  The input is the file.  The file is xmppctl's own so that its
 * static parser state can be reset between inputs; nothing may crash,
 * leak or read out of bounds, and no message may be sent to xmppd
 * (ctl_get() aborts).  See regress/fuzz/README.
 */

#include "../../xmppctl/pie_import.c"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* xmppctl.c's: the first pass never talks to xmppd. */
void
ctl_get(struct imsgbuf *ib, struct imsg *imsg)
{
	(void)ib;
	(void)imsg;
	abort();
}

void
ctl_fail_exit(struct imsg *imsg)
{
	(void)imsg;
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct pie_parse	 pp;
	struct seen		*sn, *next;
	FILE			*f;

	if (len == 0 || (f = fmemopen((void *)data, len, "r")) == NULL)
		return (0);
	memset(&pp, 0, sizeof(pp));
	RB_INIT(&pp.seen);
	pp.xr.file = "fuzz.xml";
	(void)pie_run(&pp, f);
	fclose(f);
	RB_FOREACH_SAFE(sn, seens, &pp.seen, next) {
		RB_REMOVE(seens, &pp.seen, sn);
		free(sn->jid);
		free(sn);
	}
	return (0);
}
