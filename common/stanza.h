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
 * Stanzas between processes: a struct stanza_hdr, the routing strings it
 * announces, then the serialized stanza.
 */

#ifndef STANZA_H
#define STANZA_H

#include <stddef.h>
#include <stdint.h>

struct global_conf;
struct imsg;
struct imsgev;
struct xml_limits;
struct xml_node;

struct stanza_msg {
	uint64_t	 session;
	int		 kind;		/* enum stanza_kind */
	char		*type;		/* never NULL; "" when absent */
	char		*id;
	char		*to;
	char		*from;
	char		*xml;		/* NUL-terminated */
	size_t		 xmllen;
};

void	stanza_limits(const struct global_conf *, struct xml_limits *);
#define NS_STANZA_ERR	"urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_HINTS	"urn:xmpp:hints"		/* XEP-0334 */

int	stanza_kind(const struct xml_node *);
extern const char *const stanza_kinds[];	/* by enum stanza_kind */

struct xml_node	*stanza_error(const struct xml_node *, const char *,
	    const char *);
struct xml_node	*stanza_error_msg(const struct stanza_msg *, const char *,
	    const char *);
int	stanza_error_text(struct xml_node *, const char *);
int	stanza_send(struct imsgev *, uint32_t, uint64_t,
	    const struct xml_node *, const char *);
int	stanza_send_msg(struct imsgev *, uint32_t, const struct stanza_msg *);
int	stanza_recv(struct imsg *, struct stanza_msg *);
void	stanza_msg_clear(struct stanza_msg *);

#endif /* STANZA_H */
