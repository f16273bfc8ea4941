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
 * Packing and unpacking stanzas for IMSG_STANZA.  The sender serializes
 * its own parse tree; the receiver checks every length before use.
 */

#include <sys/types.h>
#include <sys/uio.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "proc.h"
#include "stanza.h"
#include "xml.h"

/*
 * The limits a stream reads stanzas with, and the router reads them
 * again with (xml_parse_fragment() allows for what serializing adds).
 */
void
stanza_limits(const struct global_conf *g, struct xml_limits *l)
{
	l->stanza_size = g->limits.stanza_size;
	l->max_depth = g->limits.xml_depth;
	l->max_attrs = XML_ATTRS_MAX;
}

int
stanza_kind(const struct xml_node *n)
{
	if (strcmp(n->name, "message") == 0)
		return (STANZA_MESSAGE);
	if (strcmp(n->name, "presence") == 0)
		return (STANZA_PRESENCE);
	if (strcmp(n->name, "iq") == 0)
		return (STANZA_IQ);
	return (-1);
}

static const char *
attr_or_empty(const struct xml_node *n, const char *name)
{
	const char	*v = xml_get_attr(n, name);

	return (v != NULL ? v : "");
}

/* Send n, written in namespace ns, on iev with the given peerid. */
const char *const stanza_kinds[] = {
	[STANZA_MESSAGE] = "message",
	[STANZA_PRESENCE] = "presence",
	[STANZA_IQ] = "iq",
};

/* An error reply of kind kind, from where the stanza went to its sender. */
static struct xml_node *
stanza_error_new(int kind, const char *id, const char *to, const char *from,
    const char *type, const char *cond)
{
	struct xml_node	*r, *e;

	if (kind < STANZA_MESSAGE || kind > STANZA_IQ ||
	    (r = xml_node_new(NS_CLIENT, stanza_kinds[kind])) == NULL)
		return (NULL);
	if (xml_set_attr(r, "type", "error") == -1 ||
	    (id != NULL && id[0] != '\0' && xml_set_attr(r, "id", id) == -1) ||
	    (to != NULL && to[0] != '\0' &&
	    xml_set_attr(r, "from", to) == -1) ||
	    (from != NULL && from[0] != '\0' &&
	    xml_set_attr(r, "to", from) == -1) ||
	    (e = xml_add_child(r, NULL, "error")) == NULL ||
	    xml_set_attr(e, "type", type) == -1 ||
	    xml_add_child(e, NS_STANZA_ERR, cond) == NULL) {
		xml_node_free(r);
		return (NULL);
	}
	return (r);
}

/*
 * A stanza error in answer to n (RFC 6120 section 8.3): the same kind,
 * its id, from where it went to its sender.  NULL when out of memory.
 */
struct xml_node *
stanza_error(const struct xml_node *n, const char *type, const char *cond)
{
	return (stanza_error_new(stanza_kind(n), xml_get_attr(n, "id"),
	    xml_get_attr(n, "to"), xml_get_attr(n, "from"), type, cond));
}

/* A text for the user in an error stanza (RFC 6120 section 8.3.2). */
int
stanza_error_text(struct xml_node *r, const char *text)
{
	struct xml_node	*e, *t;

	if ((e = xml_find_child(r, NULL, "error")) == NULL ||
	    (t = xml_add_child(e, NS_STANZA_ERR, "text")) == NULL ||
	    xml_add_text(t, text, strlen(text)) == -1)
		return (-1);
	return (0);
}

/*
 * The same in answer to m, from its envelope alone, so that a stanza
 * that cannot be read still gets its error.
 */
struct xml_node *
stanza_error_msg(const struct stanza_msg *m, const char *type,
    const char *cond)
{
	return (stanza_error_new(m->kind, m->id, m->to, m->from, type, cond));
}

/* The envelope and the XML, as one IMSG_STANZA. */
static int
stanza_compose(struct imsgev *iev, uint32_t peerid, uint64_t session,
    int kind, const char *type, const char *id, const char *to,
    const char *from, const char *xml, size_t xmllen)
{
	struct stanza_hdr	 hdr;
	struct iovec		 iov[6];

	if (strlen(type) > UINT16_MAX || strlen(id) > UINT16_MAX ||
	    strlen(to) > UINT16_MAX || strlen(from) > UINT16_MAX ||
	    xmllen > UINT32_MAX)
		return (-1);
	memset(&hdr, 0, sizeof(hdr));
	hdr.session = session;
	hdr.kind = kind;
	hdr.type_len = strlen(type);
	hdr.id_len = strlen(id);
	hdr.to_len = strlen(to);
	hdr.from_len = strlen(from);
	hdr.xml_len = xmllen;
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)type;
	iov[1].iov_len = hdr.type_len;
	iov[2].iov_base = (void *)id;
	iov[2].iov_len = hdr.id_len;
	iov[3].iov_base = (void *)to;
	iov[3].iov_len = hdr.to_len;
	iov[4].iov_base = (void *)from;
	iov[4].iov_len = hdr.from_len;
	iov[5].iov_base = (void *)xml;
	iov[5].iov_len = xmllen;
	return (imsgev_composev(iev, IMSG_STANZA, peerid, 0, -1, iov, 6) ==
	    -1 ? -1 : 0);
}

int
stanza_send(struct imsgev *iev, uint32_t peerid, uint64_t session,
    const struct xml_node *n, const char *ns)
{
	struct xml_buf	 b;
	int		 ret;

	xml_buf_init(&b, 0);
	if (xml_serialize(n, ns, &b) == -1) {
		xml_buf_free(&b);
		return (-1);
	}
	ret = stanza_compose(iev, peerid, session, stanza_kind(n),
	    attr_or_empty(n, "type"), attr_or_empty(n, "id"),
	    attr_or_empty(n, "to"), attr_or_empty(n, "from"), b.data, b.len);
	xml_buf_free(&b);
	return (ret);
}

/* A stanza as received (stanza_recv), sent on as it is. */
int
stanza_send_msg(struct imsgev *iev, uint32_t peerid,
    const struct stanza_msg *m)
{
	return (stanza_compose(iev, peerid, m->session, m->kind, m->type,
	    m->id, m->to, m->from, m->xml, m->xmllen));
}

static char *
stanza_str(struct ibuf *ib, size_t len)
{
	char	*s;

	if (ibuf_size(ib) < len || (s = malloc(len + 1)) == NULL)
		return (NULL);
	if (ibuf_get(ib, s, len) == -1) {
		free(s);
		return (NULL);
	}
	s[len] = '\0';
	if (strlen(s) != len) {
		free(s);
		return (NULL);
	}
	return (s);
}

int
stanza_recv(struct imsg *imsg, struct stanza_msg *m)
{
	struct stanza_hdr	 hdr;
	struct ibuf		 ib;

	memset(m, 0, sizeof(*m));
	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &hdr, sizeof(hdr)) == -1 ||
	    hdr.kind > STANZA_IQ)
		return (-1);
	m->session = hdr.session;
	m->kind = hdr.kind;
	if ((m->type = stanza_str(&ib, hdr.type_len)) == NULL ||
	    (m->id = stanza_str(&ib, hdr.id_len)) == NULL ||
	    (m->to = stanza_str(&ib, hdr.to_len)) == NULL ||
	    (m->from = stanza_str(&ib, hdr.from_len)) == NULL ||
	    ibuf_size(&ib) != hdr.xml_len ||
	    (m->xml = stanza_str(&ib, hdr.xml_len)) == NULL) {
		stanza_msg_clear(m);
		return (-1);
	}
	m->xmllen = hdr.xml_len;
	return (0);
}

void
stanza_msg_clear(struct stanza_msg *m)
{
	free(m->type);
	free(m->id);
	free(m->to);
	free(m->from);
	free(m->xml);
	memset(m, 0, sizeof(*m));
}
