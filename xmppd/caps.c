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
 * Entity capabilities (XEP-0115) of the server: the hash of its disco
 * identity and features, which the stream processes put in their stream
 * features so that clients need not ask disco#info.
 */

#include <sys/types.h>

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "xml.h"

#define CAPS_MAX_FEATURES	64

static char	caps_ver[64];

static int
caps_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char * const *)a, *(const char * const *)b));
}

/* XEP-0115 section 5.1, with the identity disco.c announces. */
static void
caps_compute(void)
{
	const char	*features[CAPS_MAX_FEATURES], *ns;
	struct xml_buf	 b;
	unsigned char	 md[SHA_DIGEST_LENGTH];
	size_t		 i, j, n = 0;

	for (i = 0; (ns = router_feature_ns(i)) != NULL &&
	    n < CAPS_MAX_FEATURES; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(features[j], ns) == 0)
				break;
		if (j == n)
			features[n++] = ns;
	}
	if (n < CAPS_MAX_FEATURES)
		features[n++] = NS_MSGOFFLINE;	/* as disco.c lists it */
	qsort(features, n, sizeof(features[0]), caps_cmp);
	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, "server/im//xmppd<") == -1)
		fatal("%s", __func__);
	for (i = 0; i < n; i++)
		if (xml_buf_addstr(&b, features[i]) == -1 ||
		    xml_buf_addstr(&b, "<") == -1)
			fatal("%s", __func__);
	SHA1((unsigned char *)b.data, b.len, md);
	xml_buf_free(&b);
	if (base64_encode(md, sizeof(md), caps_ver, sizeof(caps_ver)) <= 0)
		fatalx("%s: base64", __func__);
}

/* Tell a stream process the hash (at its start, and at ours). */
void
caps_send(struct imsgev *iev)
{
	if (caps_ver[0] == '\0')
		caps_compute();
	if (iev->type == PROC_STREAM)
		imsgev_compose(iev, IMSG_CAPS, 0, 0, -1, caps_ver,
		    strlen(caps_ver) + 1);
}
