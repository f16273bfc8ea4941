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
 * The incremental XML stream parser.  Expat does the parsing; we refuse
 * everything RFC 6120 section 11.1 forbids (DTDs, entity declarations,
 * processing instructions, comments) at the first sign of it, so no
 * entity is ever expanded, and we stop a stanza that grows past its size,
 * depth or attribute limits while it streams in.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <expat.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

#define XML_NSSEP	'\x01'	/* cannot occur in a name */
#define XML_FEED_MAX	4096	/* check limits at least this often */

struct xml_stream {
	XML_Parser			 parser;
	struct xml_limits		 limits;
	const struct xml_stream_cb	*cb;
	void				*arg;
	struct xml_node			*cur;		/* stanza being built */
	int				 depth;
	int				 error;
	int				 stopped;
	int				 opened;
	unsigned long long		 fed;		/* bytes given */
	unsigned long long		 stanza_start;	/* at depth 1 open */
	char				*default_ns;	/* on the root */
};

static void	xml_stream_fail(struct xml_stream *, int, const char *);

const char *
xml_error_name(int e)
{
	switch (e) {
	case XML_ERR_RESTRICTED_XML:
		return ("restricted-xml");
	case XML_ERR_POLICY_VIOLATION:
		return ("policy-violation");
	case XML_ERR_INVALID_NAMESPACE:
		return ("invalid-namespace");
	case XML_ERR_BAD_FORMAT:
		return ("bad-format");
	case XML_ERR_UNSUPPORTED_ENCODING:
		return ("unsupported-encoding");
	}
	return ("not-well-formed");
}

/* Split expat's "uri\001local" into its two parts. */
static const char *
xml_split(const char *qname, char **ns)
{
	const char	*sep;

	if ((sep = strchr(qname, XML_NSSEP)) == NULL) {
		*ns = NULL;
		return (qname);
	}
	*ns = strndup(qname, sep - qname);
	return (sep + 1);
}

static struct xml_node *
xml_stream_node(struct xml_stream *xs, const char *qname, const char **attrs)
{
	struct xml_node	*n;
	const char	*local;
	char		*ns;
	int		 i, rc = 0;

	local = xml_split(qname, &ns);
	n = xml_node_new(ns != NULL ? ns : "", local);
	free(ns);
	if (n == NULL)
		return (NULL);
	for (i = 0; attrs[i] != NULL && rc == 0; i += 2) {
		if (i / 2 >= xs->limits.max_attrs) {
			xml_node_free(n);
			xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION,
			    "too many attributes");
			return (NULL);
		}
		local = xml_split(attrs[i], &ns);
		rc = xml_set_attr_ns(n, ns, local, attrs[i + 1]);
		free(ns);
	}
	if (rc == -1) {
		xml_node_free(n);
		return (NULL);
	}
	return (n);
}

static void
xml_start(void *arg, const char *qname, const char **attrs)
{
	struct xml_stream	*xs = arg;
	struct xml_node		*n;

	if (xs->error || xs->stopped)
		return;
	if (++xs->depth > xs->limits.max_depth) {
		xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION,
		    "elements nested too deep");
		return;
	}
	if ((n = xml_stream_node(xs, qname, attrs)) == NULL) {
		if (!xs->error)
			xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION,
			    "out of memory");
		return;
	}
	if (xs->depth == 1) {
		if (strcmp(n->name, "stream") != 0) {
			xml_node_free(n);
			xml_stream_fail(xs, XML_ERR_BAD_FORMAT,
			    "not a stream");
			return;
		}
		if (strcmp(n->ns, NS_STREAMS) != 0) {
			xml_node_free(n);
			xml_stream_fail(xs, XML_ERR_INVALID_NAMESPACE,
			    "wrong stream namespace");
			return;
		}
		/* The header node carries the default namespace it set. */
		free(n->text);
		n->text = xs->default_ns != NULL ? strdup(xs->default_ns) :
		    NULL;
		xs->opened = 1;
		if (xs->cb->open(xs->arg, n) == -1)
			xs->stopped = 1;
		xml_node_free(n);
		return;
	}
	if (xs->depth == 2) {
		xs->stanza_start = xs->fed;
		xs->cur = n;
		return;
	}
	xml_append(xs->cur, n);
	xs->cur = n;
}

static void
xml_end(void *arg, const char *qname)
{
	struct xml_stream	*xs = arg;
	struct xml_node		*n;

	(void)qname;
	if (xs->error || xs->stopped)
		return;
	if (xs->depth-- == 1) {
		if (xs->cb->close(xs->arg) == -1)
			xs->stopped = 1;
		return;
	}
	n = xs->cur;
	xs->cur = n->parent;
	if (xs->depth == 1) {
		xs->cur = NULL;
		if (xs->cb->stanza(xs->arg, n) == -1)
			xs->stopped = 1;
	}
}

static void
xml_chars(void *arg, const char *s, int len)
{
	struct xml_stream	*xs = arg;
	int			 i;

	if (xs->error || xs->stopped)
		return;
	if (xs->depth <= 1) {
		/* Between stanzas only whitespace (keepalives) may appear. */
		for (i = 0; i < len; i++)
			if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
			    s[i] != '\n') {
				xml_stream_fail(xs, XML_ERR_NOT_WELL_FORMED,
				    "text outside a stanza");
				return;
			}
		return;
	}
	if (xml_add_text(xs->cur, s, len) == -1)
		xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION, "out of memory");
}

static void
xml_nsdecl(void *arg, const char *prefix, const char *uri)
{
	struct xml_stream	*xs = arg;

	if (xs->depth == 0 && prefix == NULL && uri != NULL) {
		free(xs->default_ns);
		xs->default_ns = strdup(uri);
	}
}

static void
xml_forbidden(struct xml_stream *xs, const char *what)
{
	xml_stream_fail(xs, XML_ERR_RESTRICTED_XML, what);
}

static void
xml_doctype(void *arg, const char *name, const char *sysid,
    const char *pubid, int internal)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)internal;
	xml_forbidden(arg, "DOCTYPE");
}

static void
xml_entity(void *arg, const char *name, int param, const char *value,
    int len, const char *base, const char *sysid, const char *pubid,
    const char *notation)
{
	(void)name;
	(void)param;
	(void)value;
	(void)len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	xml_forbidden(arg, "entity declaration");
}

static void
xml_pi(void *arg, const char *target, const char *data)
{
	(void)target;
	(void)data;
	xml_forbidden(arg, "processing instruction");
}

static void
xml_comment(void *arg, const char *data)
{
	(void)data;
	xml_forbidden(arg, "comment");
}

static void
xml_decl(void *arg, const char *version, const char *encoding, int standalone)
{
	struct xml_stream	*xs = arg;

	(void)version;
	(void)standalone;
	if (encoding != NULL && strcasecmp(encoding, "UTF-8") != 0)
		xml_stream_fail(xs, XML_ERR_UNSUPPORTED_ENCODING,
		    "encoding is not UTF-8");
}

static void
xml_stream_fail(struct xml_stream *xs, int error, const char *text)
{
	if (xs->error)
		return;
	xs->error = error;
	(void)XML_StopParser(xs->parser, XML_FALSE);
	if (xs->cb->error != NULL)
		xs->cb->error(xs->arg, error, text);
}

static void
xml_stream_clear(struct xml_stream *xs)
{
	struct xml_node	*root = xs->cur;

	while (root != NULL && root->parent != NULL)
		root = root->parent;
	xml_node_free(root);
	xs->cur = NULL;
	if (xs->parser != NULL)
		XML_ParserFree(xs->parser);
	xs->parser = NULL;
	free(xs->default_ns);
	xs->default_ns = NULL;
}

/* A fresh parser for a new stream (after STARTTLS or SASL success). */
int
xml_stream_reset(struct xml_stream *xs)
{
	xml_stream_clear(xs);
	xs->depth = 0;
	xs->error = 0;
	xs->stopped = 0;
	xs->opened = 0;
	if ((xs->parser = XML_ParserCreateNS("UTF-8", XML_NSSEP)) == NULL)
		return (-1);
	XML_SetUserData(xs->parser, xs);
	XML_SetElementHandler(xs->parser, xml_start, xml_end);
	XML_SetCharacterDataHandler(xs->parser, xml_chars);
	XML_SetStartNamespaceDeclHandler(xs->parser, xml_nsdecl);
	XML_SetStartDoctypeDeclHandler(xs->parser, xml_doctype);
	XML_SetEntityDeclHandler(xs->parser, xml_entity);
	XML_SetProcessingInstructionHandler(xs->parser, xml_pi);
	XML_SetCommentHandler(xs->parser, xml_comment);
	XML_SetXmlDeclHandler(xs->parser, xml_decl);
	XML_SetParamEntityParsing(xs->parser, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetHashSalt(xs->parser, arc4random());
	return (0);
}

struct xml_stream *
xml_stream_new(const struct xml_limits *limits,
    const struct xml_stream_cb *cb, void *arg)
{
	struct xml_stream	*xs;

	if ((xs = calloc(1, sizeof(*xs))) == NULL)
		return (NULL);
	xs->limits = *limits;
	xs->cb = cb;
	xs->arg = arg;
	if (xml_stream_reset(xs) == -1) {
		xml_stream_free(xs);
		return (NULL);
	}
	return (xs);
}

void
xml_stream_free(struct xml_stream *xs)
{
	if (xs == NULL)
		return;
	xml_stream_clear(xs);
	free(xs);
}

/*
 * Expat may defer parsing a token that arrives in small pieces (its
 * defence against quadratic reparsing).  A chat stream is interactive: at
 * the end of what the peer sent, parse what is complete now.
 */
static int
xml_stream_flush(struct xml_stream *xs)
{
	if (XML_SetReparseDeferralEnabled(xs->parser, XML_FALSE) != XML_TRUE)
		return (0);
	if (XML_Parse(xs->parser, "", 0, 0) == XML_STATUS_ERROR &&
	    !xs->error && !xs->stopped)
		xml_stream_fail(xs, XML_ERR_NOT_WELL_FORMED,
		    XML_ErrorString(XML_GetErrorCode(xs->parser)));
	(void)XML_SetReparseDeferralEnabled(xs->parser, XML_TRUE);
	if (xs->error)
		return (-1);
	return (xs->stopped ? 1 : 0);
}

/*
 * Feed input.  Returns 0 when all was parsed, 1 when a callback asked to
 * stop (the rest of buf is not looked at), -1 after an error (reported
 * through the error callback, once).
 */
int
xml_stream_feed(struct xml_stream *xs, const char *buf, size_t len)
{
	size_t	 n;

	if (xs->error)
		return (-1);
	if (xs->stopped)
		return (1);
	if (memchr(buf, '\0', len) != NULL) {
		xml_stream_fail(xs, XML_ERR_NOT_WELL_FORMED, "NUL byte");
		return (-1);
	}
	while (len > 0) {
		n = len > XML_FEED_MAX ? XML_FEED_MAX : len;
		xs->fed += n;
		if (XML_Parse(xs->parser, buf, n, 0) == XML_STATUS_ERROR &&
		    !xs->error && !xs->stopped)
			xml_stream_fail(xs, XML_ERR_NOT_WELL_FORMED,
			    XML_ErrorString(XML_GetErrorCode(xs->parser)));
		if (xs->error)
			return (-1);
		if (xs->stopped)
			return (1);
		if (xs->cur != NULL &&
		    xs->fed - xs->stanza_start > xs->limits.stanza_size) {
			xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION,
			    "stanza too large");
			return (-1);
		}
		buf += n;
		len -= n;
	}
	return (xml_stream_flush(xs));
}

struct xml_fragment {
	struct xml_node	*node;
	int		 count;
};

static int
xml_fragment_open(void *arg, struct xml_node *n)
{
	(void)arg;
	(void)n;
	return (0);
}

static int
xml_fragment_stanza(void *arg, struct xml_node *n)
{
	struct xml_fragment	*f = arg;

	if (f->count++ > 0) {
		xml_node_free(n);
		return (-1);
	}
	f->node = n;
	return (0);
}

static int
xml_fragment_close(void *arg)
{
	(void)arg;
	return (0);
}

/*
 * Parse one serialized element, as it crosses processes, with the same
 * restrictions as a stream; default_ns is its stream's namespace.
 */
struct xml_node *
xml_parse_fragment(const char *buf, size_t len,
    const struct xml_limits *limits, const char *default_ns)
{
	static const struct xml_stream_cb cb = { xml_fragment_open,
	    xml_fragment_stanza, xml_fragment_close, NULL };
	struct xml_fragment	 f = { NULL, 0 };
	struct xml_stream	*xs;
	struct xml_buf		 b;
	struct xml_limits	 l = *limits;
	int			 ok;

	l.stanza_size = len + 1;
	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, "<s:stream xmlns:s='" NS_STREAMS "' xmlns='") ==
	    -1 || xml_buf_escape(&b, default_ns, strlen(default_ns), 1) == -1 ||
	    xml_buf_addstr(&b, "'>") == -1 || xml_buf_add(&b, buf, len) == -1 ||
	    xml_buf_addstr(&b, "</s:stream>") == -1 ||
	    (xs = xml_stream_new(&l, &cb, &f)) == NULL) {
		xml_buf_free(&b);
		return (NULL);
	}
	ok = xml_stream_feed(xs, b.data, b.len) == 0 && f.count == 1;
	xml_stream_free(xs);
	xml_buf_free(&b);
	if (!ok) {
		xml_node_free(f.node);
		return (NULL);
	}
	return (f.node);
}
