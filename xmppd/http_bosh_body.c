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
 * BOSH (XEP-0124): reading a request's <body/> and the numbers and
 * version it carries.  Nothing here keeps state or touches the stream
 * process, so that a fuzzer can read bodies as the server does.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_bosh.h"
#include "xml.h"

/* Does a <body/> carry elements (text between them is not payload)? */
int
bosh_body_payload(struct xml_node *body)
{
	struct xml_node	*n;

	TAILQ_FOREACH(n, &body->children, entry)
		if (n->name != NULL)
			return (1);
	return (0);
}

/* A number of a <body/> attribute; -1 when absent or not one. */
int
bosh_body_num(struct xml_node *body, const char *name, uint64_t max,
    uint64_t *v)
{
	const char	*s = xml_get_attr(body, name);
	char		*end;

	if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 20)
		return (-1);
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || *v > max)
		return (-1);
	return (0);
}

/* Section 6: the highest version both speak, 1.11 here. */
const char *
bosh_body_ver(struct xml_node *body)
{
	static char	 ver[16];
	const char	*v = xml_get_attr(body, "ver");
	const char	*errstr;
	long long	 minor;

	if (v == NULL || strncmp(v, "1.", 2) != 0)
		return ("1.11");
	minor = strtonum(v + 2, 0, 11, &errstr);
	if (errstr != NULL)
		return ("1.11");
	(void)snprintf(ver, sizeof(ver), "1.%lld", minor);
	return (ver);
}

/*
 * A request's bytes as one <body/> of the httpbind namespace, or NULL.
 * It wraps stanzas: one level deeper than they may go, and as large as
 * the request, whose size the HTTP layer has bounded already.
 */
struct xml_node *
bosh_body_parse(const char *data, size_t len, const struct xml_limits *sl)
{
	struct xml_limits	 l = *sl;
	struct xml_node		*n;

	l.stanza_size = len + 16;
	l.max_depth += 1;
	if ((n = xml_parse_fragment(data, len, &l, NS_HTTPBIND)) == NULL)
		return (NULL);
	if (!xml_is(n, NS_HTTPBIND, "body")) {
		xml_node_free(n);
		return (NULL);
	}
	return (n);
}
