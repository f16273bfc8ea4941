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

/* Peers' addresses, and the connections open from each. */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"

struct addr_entry {
	RB_ENTRY(addr_entry)	 node;
	char			 addr[ADDR_STRLEN];
	int			 n;
};
RB_HEAD(addr_tree, addr_entry);

static struct addr_tree	 addr_tree = RB_INITIALIZER(&addr_tree);

static int
addr_cmp(struct addr_entry *a, struct addr_entry *b)
{
	return (strcmp(a->addr, b->addr));
}

RB_GENERATE_STATIC(addr_tree, addr_entry, node, addr_cmp);

void
addr_ntop(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void	*p;

	if (ss->ss_family == AF_INET)
		p = &((const struct sockaddr_in *)ss)->sin_addr;
	else
		p = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (inet_ntop(ss->ss_family, p, buf, len) == NULL)
		(void)strlcpy(buf, "?", len);
}

/* One more (delta 1) or one fewer (-1) connection from addr. */
void
addr_count_add(const char *addr, int delta)
{
	struct addr_entry	 key, *a;

	(void)strlcpy(key.addr, addr, sizeof(key.addr));
	if ((a = RB_FIND(addr_tree, &addr_tree, &key)) == NULL) {
		if (delta < 0)
			return;
		if ((a = calloc(1, sizeof(*a))) == NULL)
			fatal("%s", __func__);
		(void)strlcpy(a->addr, addr, sizeof(a->addr));
		RB_INSERT(addr_tree, &addr_tree, a);
	}
	if ((a->n += delta) <= 0) {
		RB_REMOVE(addr_tree, &addr_tree, a);
		free(a);
	}
}

int
addr_count(const char *addr)
{
	struct addr_entry	 key, *a;

	(void)strlcpy(key.addr, addr, sizeof(key.addr));
	a = RB_FIND(addr_tree, &addr_tree, &key);
	return (a != NULL ? a->n : 0);
}
