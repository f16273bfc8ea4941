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
 * XML for XMPP: an owned element tree, an incremental stream parser over
 * expat that enforces RFC 6120's restricted XML and our size limits, and
 * a serializer that writes only what it builds itself.
 */

#ifndef XML_H
#define XML_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>

#define NS_STREAMS	"http://etherx.jabber.org/streams"
#define NS_CLIENT	"jabber:client"
#define NS_SERVER	"jabber:server"
#define NS_COMPONENT	"jabber:component:accept"
#define NS_XML		"http://www.w3.org/XML/1998/namespace"
#define NS_XMLNS	"http://www.w3.org/2000/xmlns/"

struct xml_attr {
	char		*ns;		/* NULL: no namespace */
	char		*name;		/* local name */
	char		*value;
};

/*
 * An element (name != NULL) or a text node (name == NULL, text holds
 * textlen bytes plus a NUL).  The stream header given to the open
 * callback is an element whose text is the default namespace it
 * declared (NULL if none).
 */
struct xml_node {
	TAILQ_ENTRY(xml_node)	 entry;
	struct xml_node		*parent;
	char			*ns;	/* element namespace; "" for none */
	char			*name;	/* local name; NULL for text */
	char			*text;
	size_t			 textlen;
	size_t			 textcap;
	struct xml_attr		*attrs;
	int			 nattrs;
	TAILQ_HEAD(xml_node_list_head, xml_node) children;
};

/* Growable output; max 0 means unbounded, else adding past it fails. */
struct xml_buf {
	char		*data;
	size_t		 len;
	size_t		 cap;
	size_t		 max;
};

/* Stream errors, RFC 6120 section 4.9.3; xml_error_name() spells them. */
enum xml_error {
	XML_ERR_NONE,
	XML_ERR_NOT_WELL_FORMED,
	XML_ERR_RESTRICTED_XML,
	XML_ERR_POLICY_VIOLATION,
	XML_ERR_INVALID_NAMESPACE,
	XML_ERR_BAD_FORMAT,
	XML_ERR_UNSUPPORTED_ENCODING,
	XML_ERR_RESOURCE_CONSTRAINT,
	XML_ERR_BAD_NAMESPACE_PREFIX,
	XML_ERR_INTERNAL,
};

/*
 * Attributes of one element, and namespace declarations on one tag, a
 * stream accepts: the max_attrs of every stream, and so of every
 * re-parse of what a stream read (xml_parse_fragment()).
 */
#define XML_ATTRS_MAX	64

/* Zero fields take defaults (xml_stream.c); see xml_parse_fragment(). */
struct xml_limits {
	size_t		 stanza_size;	/* input bytes of one stanza */
	int		 max_depth;	/* the stream element is depth 1 */
	int		 max_attrs;	/* and namespace declarations */
};

/*
 * Each callback runs inside xml_stream_feed(); none may reset or free
 * the stream.  Those returning int return -1 to stop: the feed returns
 * 1 and ignores the rest of its input.  Only stanza is required.  The
 * parser checks the root element; which first-level elements a stream
 * may carry, and in which namespaces, is for the caller to check.
 * Whitespace between stanzas goes to an optional keepalive callback,
 * set with xml_stream_set_keepalive().
 */
struct xml_stream_cb {
	int	(*open)(void *, struct xml_node *);	/* stream header */
	int	(*stanza)(void *, struct xml_node *);	/* takes the node */
	int	(*close)(void *);			/* </stream:stream> */
	void	(*error)(void *, int, const char *);	/* once, then -1 */
};

struct xml_stream;

/* The tree (xml.c). */
struct xml_node	*xml_node_new(const char *, const char *);
void		 xml_node_free(struct xml_node *);
struct xml_node	*xml_node_clone(const struct xml_node *);
int		 xml_set_attr(struct xml_node *, const char *, const char *);
int		 xml_set_attr_ns(struct xml_node *, const char *, const char *,
		    const char *);
const char	*xml_get_attr(const struct xml_node *, const char *);
const char	*xml_get_attr_ns(const struct xml_node *, const char *,
		    const char *);
void		 xml_del_attr(struct xml_node *, const char *);
struct xml_node	*xml_add_child(struct xml_node *, const char *, const char *);
int		 xml_add_text(struct xml_node *, const char *, size_t);
void		 xml_append(struct xml_node *, struct xml_node *);
void		 xml_unlink(struct xml_node *);
struct xml_node	*xml_find_child(const struct xml_node *, const char *,
		    const char *);
struct xml_node	*xml_first_child(const struct xml_node *);
char		*xml_text(const struct xml_node *);
char		*xml_child_text(const struct xml_node *, const char *,
		    const char *);
int		 xml_is(const struct xml_node *, const char *, const char *);

/* Output (xml.c). */
void		 xml_buf_init(struct xml_buf *, size_t);
void		 xml_buf_free(struct xml_buf *);
int		 xml_buf_add(struct xml_buf *, const char *, size_t);
int		 xml_buf_addstr(struct xml_buf *, const char *);
int		 xml_buf_escape(struct xml_buf *, const char *, size_t, int);
int		 xml_text_ok(const char *, size_t);
int		 xml_serialize(const struct xml_node *, const char *,
		    struct xml_buf *);
int		 xml_serialize_as(const struct xml_node *, const char *,
		    const char *, struct xml_buf *);

/* Parsing (xml_stream.c). */
struct xml_stream *xml_stream_new(const struct xml_limits *,
		    const struct xml_stream_cb *, void *);
void		 xml_stream_free(struct xml_stream *);
void		 xml_stream_set_keepalive(struct xml_stream *,
		    void (*)(void *));
int		 xml_stream_reset(struct xml_stream *);
int		 xml_stream_feed(struct xml_stream *, const char *, size_t);
int		 xml_stream_sleep(struct xml_stream *);
int		 xml_stream_between(const struct xml_stream *);
const char	*xml_error_name(int);
struct xml_node	*xml_parse_fragment(const char *, size_t,
		    const struct xml_limits *, const char *);

#endif /* XML_H */
