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
 * The incremental XML stream parser.  Expat parses; we refuse all that
 * RFC 6120 section 11.1 forbids (DTDs, entity declarations, processing
 * instructions, comments) at the first sign of it, so no entity is ever
 * expanded, and we stop input that outgrows its limits while it arrives.
 *
 * Positions are stream offsets: bytes of the current stream handed to
 * expat.  "mark" is where the current top-level item (a stanza, or the
 * header) began, "lastev" the end of the last event expat reported.
 * fed - mark is bounded by the stanza size and fed - lastev, markup
 * expat holds without reporting anything, by XML_TOKEN_MAX: together
 * they bound expat's buffer and our tree whatever the peer sends.
 *
 * Expat keeps every element and attribute name it has seen for the
 * life of a parser, so a long stream of new names would grow without
 * end.  Every XML_ROTATE bytes, at the end of a stanza, we replace the
 * parser with a fresh one primed with a copy of the stream header's
 * namespace declarations, and go on from the byte after the stanza.
 *
 * A stream idle between stanzas may give its parser back (about 10 KiB)
 * with xml_stream_sleep(); the next input gets a fresh one, primed the
 * same way.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <expat.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xml.h"

/*
 * Expat 2.6 (and Debian 12's security updates of 2.5) defer reparsing a
 * token that arrives in small pieces, and can turn that off; older ones
 * never defer.  A binary built on an old expat meets a new one when the
 * library is upgraded under it, so the call is looked up when the
 * program loads (a weak reference) and made whenever the library has it.
 * configure says whether expat.h declares it.
 */
#ifndef HAVE_XML_SETREPARSEDEFERRALENABLED
XMLPARSEAPI(XML_Bool) XML_SetReparseDeferralEnabled(XML_Parser, XML_Bool);
#endif
#pragma weak XML_SetReparseDeferralEnabled

#define XML_NSSEP	'\x01'	/* expat's "uri\001local": no name has it */
#define XML_CHUNK	4096	/* bytes handed to expat at a time */
#define XML_TOKEN_MAX	16384	/* a tag; markup expat holds back */
#define XML_NAME_MAX	1024	/* a local name or a namespace URI */
#define XML_MEM_FACTOR	16	/* heap a stanza may hold per input byte */
#define XML_MEM_FLOOR	65536	/* so that small fragments have room */
#ifndef XML_ROTATE		/* the fuzzer sets it low */
#define XML_ROTATE	65536	/* bytes a parser sees before replacement */
#endif
#define XML_OVERHEAD	16	/* what malloc adds to each allocation */

#define XML_DEF_STANZA	262144
#define XML_DEF_DEPTH	32

struct xml_stream {
	XML_Parser			 parser;
	struct xml_limits		 limits;
	const struct xml_stream_cb	*cb;
	void				(*keepalive)(void *);
	void				*arg;
	struct xml_node			*cur;	/* open element of a stanza */
	size_t				 mem;	/* heap the stanza holds */
	size_t				 memmax;
	size_t				 token_max; /* markup held back */
	int				 decl_max; /* xmlns on one tag */
	int				 depth;	/* stream element is 1 */
	int				 ndecl;	/* xmlns on the coming tag */
	int				 error;
	int				 stopped;
	int				 replay; /* priming a new parser */
	int				 rotate; /* replace at rotate_at */
	int				 asleep; /* parser given back */
	uint64_t			 fed;
	uint64_t			 mark;
	uint64_t			 lastev;
	uint64_t			 pbase;	/* offset of parser's hdrlen */
	uint64_t			 rotate_at;
	size_t				 hdrlen; /* primer bytes */
	char				*default_ns;
	char				*stream_prefix;
	struct xml_buf			 decls;	/* the header's xmlns */
};

static void	xml_stream_fail(struct xml_stream *, int, const char *);
static void	xml_stream_stop(struct xml_stream *);

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
	case XML_ERR_RESOURCE_CONSTRAINT:
		return ("resource-constraint");
	case XML_ERR_BAD_NAMESPACE_PREFIX:
		return ("bad-namespace-prefix");
	case XML_ERR_INTERNAL:
		return ("internal-server-error");
	}
	return ("not-well-formed");
}

/* Note where the event expat is reporting ends. */
static void
xml_event(struct xml_stream *xs)
{
	XML_Index	 i;
	int		 c;
	uint64_t	 p;

	if ((i = XML_GetCurrentByteIndex(xs->parser)) < 0)
		return;
	c = XML_GetCurrentByteCount(xs->parser);
	p = (uint64_t)i + (c > 0 ? (uint64_t)c : 0);
	if (p < xs->hdrlen)
		return;
	p = xs->pbase + (p - xs->hdrlen);
	if (p > xs->lastev)
		xs->lastev = p;
}

/* Count heap a stanza takes; past the bound it is a policy violation. */
static int
xml_charge(struct xml_stream *xs, size_t n)
{
	if (n > xs->memmax - xs->mem) {
		xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION,
		    "stanza too large");
		return (-1);
	}
	xs->mem += n;
	return (0);
}

/* Split expat's "uri\001local"; NULL when out of memory or too long. */
static const char *
xml_split(const char *qname, char **ns)
{
	const char	*sep;

	*ns = NULL;
	if ((sep = strchr(qname, XML_NSSEP)) == NULL)
		return (strlen(qname) > XML_NAME_MAX ? NULL : qname);
	if (sep - qname > XML_NAME_MAX || strlen(sep + 1) > XML_NAME_MAX ||
	    (*ns = strndup(qname, sep - qname)) == NULL)
		return (NULL);
	return (sep + 1);
}

static int
xml_stream_attrs(struct xml_stream *xs, struct xml_node *n,
    const char **attrs)
{
	const char	*local;
	char		*ns;
	int		 i, rc;

	for (i = 0; attrs[i] != NULL; i += 2) {
		if ((local = xml_split(attrs[i], &ns)) == NULL) {
			xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION,
			    "attribute name too long");
			return (-1);
		}
		rc = xml_charge(xs, sizeof(struct xml_attr) + strlen(local) +
		    strlen(attrs[i + 1]) + (ns ? strlen(ns) : 0) +
		    4 * XML_OVERHEAD);
		if (rc == 0 && (rc = xml_set_attr_ns(n, ns, local,
		    attrs[i + 1])) == -1)
			xml_stream_fail(xs, XML_ERR_RESOURCE_CONSTRAINT,
			    "out of memory");
		free(ns);
		if (rc == -1)
			return (-1);
	}
	return (0);
}

/* Build the element expat reports, within our limits. */
static struct xml_node *
xml_stream_node(struct xml_stream *xs, const char *qname, const char **attrs)
{
	struct xml_node	*n;
	const char	*local;
	char		*ns;
	int		 i;

	for (i = 0; attrs[i] != NULL; i += 2)
		if (i / 2 >= xs->limits.max_attrs) {
			xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION,
			    "too many attributes");
			return (NULL);
		}
	if ((local = xml_split(qname, &ns)) == NULL) {
		xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION,
		    "element name too long");
		return (NULL);
	}
	if (ns != NULL && strcmp(ns, NS_XML) == 0) {
		/* <xml:x/>: well-formed, but nothing XMPP writes. */
		free(ns);
		xml_stream_fail(xs, XML_ERR_BAD_NAMESPACE_PREFIX,
		    "element in the xml namespace");
		return (NULL);
	}
	if (xml_charge(xs, sizeof(*n) + strlen(local) + (ns ? strlen(ns) : 0) +
	    3 * XML_OVERHEAD) == -1) {
		free(ns);
		return (NULL);
	}
	n = xml_node_new(ns != NULL ? ns : "", local);
	free(ns);
	if (n == NULL) {
		xml_stream_fail(xs, XML_ERR_RESOURCE_CONSTRAINT,
		    "out of memory");
		return (NULL);
	}
	if (xml_stream_attrs(xs, n, attrs) == -1) {
		xml_node_free(n);
		return (NULL);
	}
	return (n);
}

/* The root element: it must be <stream/> in the streams namespace. */
static void
xml_stream_header(struct xml_stream *xs, struct xml_node *n)
{
	if (strcmp(n->name, "stream") != 0) {
		xml_stream_fail(xs, XML_ERR_BAD_FORMAT, "not a stream");
	} else if (strcmp(n->ns, NS_STREAMS) != 0) {
		xml_stream_fail(xs, XML_ERR_INVALID_NAMESPACE,
		    "wrong stream namespace");
	} else if (xs->default_ns != NULL &&
	    (n->text = strdup(xs->default_ns)) == NULL) {
		xml_stream_fail(xs, XML_ERR_RESOURCE_CONSTRAINT,
		    "out of memory");
	} else {
		if (n->text != NULL)
			n->textlen = n->textcap = strlen(n->text);
		xs->mark = xs->lastev;
		if (xs->cb->open != NULL && xs->cb->open(xs->arg, n) == -1)
			xml_stream_stop(xs);
	}
	xml_node_free(n);
}

static void
xml_start(void *arg, const char *qname, const char **attrs)
{
	struct xml_stream	*xs = arg;
	struct xml_node		*n;

	if (xs->replay) {
		xs->depth = 1;
		return;
	}
	if (xs->error || xs->stopped)
		return;
	xml_event(xs);
	if (xs->ndecl > xs->decl_max) {
		xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION,
		    "too many namespace declarations");
		return;
	}
	xs->ndecl = 0;
	if (++xs->depth > xs->limits.max_depth) {
		xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION,
		    "elements nested too deep");
		return;
	}
	if (xs->depth == 2)
		xs->mem = 0;
	if ((n = xml_stream_node(xs, qname, attrs)) == NULL)
		return;
	if (xs->depth == 1)
		xml_stream_header(xs, n);
	else if (xs->depth == 2)
		xs->cur = n;
	else {
		xml_append(xs->cur, n);
		xs->cur = n;
	}
}

/* At the end of a stanza, is it time for a fresh parser? */
static void
xml_stream_due(struct xml_stream *xs)
{
	if (xs->stopped || xs->error || xs->lastev - xs->pbase < XML_ROTATE)
		return;
	xs->rotate = 1;
	xs->rotate_at = xs->lastev;
	(void)XML_StopParser(xs->parser, XML_FALSE);
}

static void
xml_end(void *arg, const char *qname)
{
	struct xml_stream	*xs = arg;
	struct xml_node		*n;

	(void)qname;
	if (xs->replay || xs->error || xs->stopped)
		return;
	xml_event(xs);
	if (xs->depth-- == 1) {
		if (xs->cb->close != NULL && xs->cb->close(xs->arg) == -1)
			xml_stream_stop(xs);
		return;
	}
	n = xs->cur;
	xs->cur = n->parent;
	if (xs->depth > 1)
		return;
	xs->cur = NULL;
	if (xs->lastev - xs->mark > xs->limits.stanza_size) {
		xml_node_free(n);
		xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION,
		    "stanza too large");
		return;
	}
	xs->mark = xs->lastev;
	if (xs->cb->stanza(xs->arg, n) == -1)
		xml_stream_stop(xs);
	xml_stream_due(xs);
}

static void
xml_chars(void *arg, const char *s, int len)
{
	struct xml_stream	*xs = arg;
	struct xml_node		*last;
	size_t			 cost = len;
	int			 i;

	if (xs->replay || xs->error || xs->stopped)
		return;
	xml_event(xs);
	if (xs->depth <= 1) {
		/* Between stanzas only whitespace (keepalives) may appear. */
		for (i = 0; i < len; i++)
			if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
			    s[i] != '\n') {
				xml_stream_fail(xs, XML_ERR_NOT_WELL_FORMED,
				    "text outside a stanza");
				return;
			}
		xs->mark = xs->lastev;
		if (xs->keepalive != NULL)
			xs->keepalive(xs->arg);
		return;
	}
	last = TAILQ_LAST(&xs->cur->children, xml_node_list_head);
	if (last == NULL || last->name != NULL)
		cost += sizeof(*last) + 2 * XML_OVERHEAD;
	if (xml_charge(xs, cost) == -1)
		return;
	if (xml_add_text(xs->cur, s, len) == -1)
		xml_stream_fail(xs, XML_ERR_RESOURCE_CONSTRAINT,
		    "out of memory");
}

/* CDATA is text: fine in a stanza, not between stanzas. */
static void
xml_cdata(void *arg)
{
	struct xml_stream	*xs = arg;

	if (xs->replay || xs->error || xs->stopped)
		return;
	xml_event(xs);
	if (xs->depth <= 1)
		xml_stream_fail(xs, XML_ERR_NOT_WELL_FORMED,
		    "text outside a stanza");
}

/* Keep the header's declarations, to prime a replacement parser. */
static void
xml_nsdecl(void *arg, const char *prefix, const char *uri)
{
	struct xml_stream	*xs = arg;
	struct xml_buf		*d = &xs->decls;
	const char		*u = uri != NULL ? uri : "";
	int			 rc = 0;

	if (xs->replay || xs->error || xs->stopped)
		return;
	xs->ndecl++;
	if (xs->depth != 0)
		return;
	if (prefix == NULL) {
		free(xs->default_ns);
		xs->default_ns = NULL;
		if (uri != NULL && (xs->default_ns = strdup(uri)) == NULL)
			rc = -1;
	} else if (strcmp(u, NS_STREAMS) == 0 && xs->stream_prefix == NULL &&
	    (xs->stream_prefix = strdup(prefix)) == NULL)
		rc = -1;
	if (rc == -1 ||
	    xml_buf_addstr(d, prefix != NULL ? " xmlns:" : " xmlns") == -1 ||
	    (prefix != NULL && xml_buf_addstr(d, prefix) == -1) ||
	    xml_buf_addstr(d, "='") == -1 ||
	    xml_buf_escape(d, u, strlen(u), 1) == -1 ||
	    xml_buf_addstr(d, "'") == -1)
		xml_stream_fail(xs, XML_ERR_RESOURCE_CONSTRAINT,
		    "out of memory");
}

static void
xml_doctype(void *arg, const char *name, const char *sysid,
    const char *pubid, int internal)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)internal;
	xml_stream_fail(arg, XML_ERR_RESTRICTED_XML, "DOCTYPE");
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
	xml_stream_fail(arg, XML_ERR_RESTRICTED_XML, "entity declaration");
}

static void
xml_pi(void *arg, const char *target, const char *data)
{
	(void)target;
	(void)data;
	xml_stream_fail(arg, XML_ERR_RESTRICTED_XML, "processing instruction");
}

static void
xml_comment(void *arg, const char *data)
{
	(void)data;
	xml_stream_fail(arg, XML_ERR_RESTRICTED_XML, "comment");
}

static void
xml_decl(void *arg, const char *version, const char *encoding, int standalone)
{
	struct xml_stream	*xs = arg;

	(void)version;
	(void)standalone;
	xml_event(xs);
	if (encoding != NULL && strcasecmp(encoding, "UTF-8") != 0)
		xml_stream_fail(xs, XML_ERR_UNSUPPORTED_ENCODING,
		    "encoding is not UTF-8");
}

/* A callback asked to stop: expat reads no further. */
static void
xml_stream_stop(struct xml_stream *xs)
{
	xs->stopped = 1;
	(void)XML_StopParser(xs->parser, XML_FALSE);
}

static void
xml_stream_fail(struct xml_stream *xs, int error, const char *text)
{
	if (xs->error)
		return;
	xs->error = error;
	if (xs->parser != NULL)
		(void)XML_StopParser(xs->parser, XML_FALSE);
	if (xs->cb->error != NULL)
		xs->cb->error(xs->arg, error, text);
}

/* Our stream error for what expat found wrong. */
static int
xml_expat_error(enum XML_Error e)
{
	switch (e) {
	case XML_ERROR_MISPLACED_XML_PI:
		/* A second <?xml ...?> is a processing instruction. */
		return (XML_ERR_RESTRICTED_XML);
	case XML_ERROR_UNKNOWN_ENCODING:
	case XML_ERROR_INCORRECT_ENCODING:
		return (XML_ERR_UNSUPPORTED_ENCODING);
	case XML_ERROR_NO_MEMORY:
		return (XML_ERR_RESOURCE_CONSTRAINT);
	default:
		return (XML_ERR_NOT_WELL_FORMED);
	}
}

static XML_Parser
xml_stream_parser(struct xml_stream *xs)
{
	XML_Parser	 p;

	if ((p = XML_ParserCreateNS("UTF-8", XML_NSSEP)) == NULL)
		return (NULL);
	XML_SetUserData(p, xs);
	XML_SetElementHandler(p, xml_start, xml_end);
	XML_SetCharacterDataHandler(p, xml_chars);
	XML_SetCdataSectionHandler(p, xml_cdata, xml_cdata);
	XML_SetStartNamespaceDeclHandler(p, xml_nsdecl);
	XML_SetStartDoctypeDeclHandler(p, xml_doctype);
	XML_SetEntityDeclHandler(p, xml_entity);
	XML_SetProcessingInstructionHandler(p, xml_pi);
	XML_SetCommentHandler(p, xml_comment);
	XML_SetXmlDeclHandler(p, xml_decl);
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetHashSalt(p, arc4random());
	return (p);
}

/*
 * Replace the parser at rotate_at, the end of a stanza: the new one
 * reads a copy of the header's namespace declarations, silently, and
 * then the input from rotate_at on.
 */
static int
xml_stream_rotate(struct xml_stream *xs)
{
	struct xml_buf	 h;
	int		 rc;

	xml_buf_init(&h, 0);
	rc = xml_buf_addstr(&h, "<");
	if (rc == 0 && xs->stream_prefix != NULL &&
	    (xml_buf_addstr(&h, xs->stream_prefix) == -1 ||
	    xml_buf_addstr(&h, ":") == -1))
		rc = -1;
	if (rc == 0 && (xml_buf_addstr(&h, "stream") == -1 ||
	    xml_buf_add(&h, xs->decls.data, xs->decls.len) == -1 ||
	    xml_buf_addstr(&h, ">") == -1))
		rc = -1;
	XML_ParserFree(xs->parser);
	xs->rotate = 0;
	if (rc == -1 || (xs->parser = xml_stream_parser(xs)) == NULL) {
		xml_buf_free(&h);
		xml_stream_fail(xs, XML_ERR_RESOURCE_CONSTRAINT,
		    "out of memory");
		return (-1);
	}
	xs->depth = 0;
	xs->replay = 1;
	rc = XML_Parse(xs->parser, h.data, (int)h.len, XML_FALSE);
	xs->replay = 0;
	xs->hdrlen = h.len;
	xml_buf_free(&h);
	if (rc != XML_STATUS_OK || xs->depth != 1) {
		xml_stream_fail(xs, XML_ERR_INTERNAL, "cannot renew parser");
		return (-1);
	}
	xs->pbase = xs->fed = xs->lastev = xs->mark = xs->rotate_at;
	return (0);
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
	free(xs->stream_prefix);
	xs->stream_prefix = NULL;
	xml_buf_free(&xs->decls);
}

/*
 * Start over for a new stream on the same connection (after STARTTLS or
 * SASL success): all state, and expat's, is discarded.
 */
int
xml_stream_reset(struct xml_stream *xs)
{
	xml_stream_clear(xs);
	xs->mem = 0;
	xs->depth = xs->ndecl = 0;
	xs->error = xs->stopped = xs->replay = xs->rotate = xs->asleep = 0;
	xs->fed = xs->mark = xs->lastev = xs->pbase = xs->rotate_at = 0;
	xs->hdrlen = 0;
	xml_buf_init(&xs->decls, XML_TOKEN_MAX * 2);
	if ((xs->parser = xml_stream_parser(xs)) == NULL)
		return (-1);
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
	if (xs->limits.stanza_size == 0)
		xs->limits.stanza_size = XML_DEF_STANZA;
	if (xs->limits.max_depth <= 0)
		xs->limits.max_depth = XML_DEF_DEPTH;
	if (xs->limits.max_attrs <= 0)
		xs->limits.max_attrs = XML_ATTRS_MAX;
	if (xs->limits.stanza_size > SIZE_MAX / XML_MEM_FACTOR / 2)
		xs->limits.stanza_size = SIZE_MAX / XML_MEM_FACTOR / 2;
	xs->memmax = xs->limits.stanza_size * XML_MEM_FACTOR + XML_MEM_FLOOR;
	xs->token_max = XML_TOKEN_MAX;
	xs->decl_max = xs->limits.max_attrs;
	xs->cb = cb;
	xs->arg = arg;
	if (xml_stream_reset(xs) == -1) {
		xml_stream_free(xs);
		return (NULL);
	}
	return (xs);
}

/*
 * Give the parser back while the stream is idle.  Only between stanzas,
 * with nothing held: returns -1 (and keeps it) inside a stanza, before
 * the header is complete, after an error, or while expat holds input.
 */
int
xml_stream_sleep(struct xml_stream *xs)
{
	if (xs->asleep)
		return (0);
	if (xs->parser == NULL || xs->error || xs->stopped || xs->rotate ||
	    xs->depth != 1 || xs->cur != NULL || xs->fed != xs->lastev)
		return (-1);
	XML_ParserFree(xs->parser);
	xs->parser = NULL;
	xs->asleep = 1;
	return (0);
}

/*
 * Is the stream between stanzas, all its input parsed: no element, tag
 * or error pending?  What was fed since the last stanza was whitespace.
 */
int
xml_stream_between(const struct xml_stream *xs)
{
	return (!xs->error && !xs->stopped && !xs->rotate && xs->depth == 1 &&
	    xs->cur == NULL && xs->fed == xs->lastev);
}

/* Whitespace between stanzas is reported to fn (NULL: to nobody). */
void
xml_stream_set_keepalive(struct xml_stream *xs, void (*fn)(void *))
{
	xs->keepalive = fn;
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
 * Give expat n bytes, or with data NULL parse what is complete of what
 * it holds.  Expat 2.6 and later may defer a token that arrives in small
 * pieces (its defence against quadratic reparsing); a chat stream is
 * interactive, and XML_TOKEN_MAX bounds what reparsing can cost.
 */
static void
xml_stream_parse(struct xml_stream *xs, const char *data, size_t n)
{
	XML_Parser	 p = xs->parser;

	int		 defers = XML_SetReparseDeferralEnabled != NULL;

	if (data == NULL && defers)
		(void)XML_SetReparseDeferralEnabled(p, XML_FALSE);
	if (XML_Parse(p, data != NULL ? data : "", (int)n, XML_FALSE) ==
	    XML_STATUS_ERROR && !xs->error && !xs->stopped && !xs->rotate)
		xml_stream_fail(xs, xml_expat_error(XML_GetErrorCode(p)),
		    XML_ErrorString(XML_GetErrorCode(p)));
	if (data == NULL && defers)
		(void)XML_SetReparseDeferralEnabled(p, XML_TRUE);
}

static int
xml_stream_over(struct xml_stream *xs)
{
	return (xs->fed - xs->mark > xs->limits.stanza_size ||
	    xs->fed - xs->lastev > xs->token_max);
}

/*
 * Feed input.  Returns 0 when all was parsed, 1 when a callback asked to
 * stop (the rest of buf is not looked at), -1 after an error (reported
 * through the error callback, once).
 */
int
xml_stream_feed(struct xml_stream *xs, const char *buf, size_t len)
{
	uint64_t	 base = xs->fed;
	size_t		 off, n;
	int		 flush, force = 0;

	if (xs->asleep && !xs->error) {
		xs->asleep = 0;
		xs->rotate_at = xs->fed;
		if (xml_stream_rotate(xs) == -1)
			return (-1);
	}
	if (xs->error || xs->parser == NULL)
		return (-1);
	if (xs->stopped)
		return (1);
	if (len > 0 && memchr(buf, '\0', len) != NULL) {
		xml_stream_fail(xs, XML_ERR_NOT_WELL_FORMED, "NUL byte");
		return (-1);
	}
	for (;;) {
		off = xs->fed - base;
		flush = force || off >= len;
		if (flush)
			xml_stream_parse(xs, NULL, 0);
		else {
			n = len - off > XML_CHUNK ? XML_CHUNK : len - off;
			xs->fed += n;
			xml_stream_parse(xs, buf + off, n);
		}
		if (xs->rotate) {
			/* rotate_at lies in buf: see xml_stream_due(). */
			if (xs->rotate_at < base || xs->rotate_at > base + len)
				xml_stream_fail(xs, XML_ERR_INTERNAL,
				    "cannot renew parser");
			else if (xml_stream_rotate(xs) == 0) {
				force = 0;
				continue;
			}
		}
		if (xs->error)
			return (-1);
		if (xs->stopped)
			return (1);
		if (xml_stream_over(xs)) {
			/* Perhaps only deferred; if not, refuse it. */
			if (!flush) {
				force = 1;
				continue;
			}
			xml_stream_fail(xs, XML_ERR_POLICY_VIOLATION,
			    xs->fed - xs->mark > xs->limits.stanza_size ?
			    "stanza too large" : "markup too long");
			return (-1);
		}
		force = 0;
		if (flush && off >= len)
			return (0);
	}
}

struct xml_fragment {
	struct xml_node	*node;
	int		 count;
};

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

/*
 * Parse one serialized element, as it crosses processes, with the same
 * restrictions as a stream; default_ns is its stream's namespace.
 *
 * Give it the limits of the stream the element was read from: whatever
 * that stream accepted must parse here, once serialized.  Serializing
 * may make an element longer (namespaces declared by the stream header
 * or an ancestor are declared again, text from CDATA is escaped), and
 * adds to an element one namespace declaration more than it has
 * attributes (xml.c).  So the stanza size bounds the heap the tree may
 * take, as in a stream, but not the bytes, nor the length of a tag:
 * the fragment is all in memory already.  A stanza_size of 0 means the
 * length of buf.
 */
struct xml_node *
xml_parse_fragment(const char *buf, size_t len,
    const struct xml_limits *limits, const char *default_ns)
{
	static const struct xml_stream_cb cb = { NULL, xml_fragment_stanza,
	    NULL, NULL };
	struct xml_fragment	 f = { NULL, 0 };
	struct xml_stream	*xs;
	struct xml_buf		 b;
	struct xml_limits	 l = *limits;
	int			 ok;

	/* All of buf, and the end of the stream that follows it. */
	if (l.stanza_size < len + 16)
		l.stanza_size = len + 16;
	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, "<stream:stream xmlns:stream='" NS_STREAMS
	    "'") == -1 || (default_ns != NULL &&
	    (xml_buf_addstr(&b, " xmlns='") == -1 ||
	    xml_buf_escape(&b, default_ns, strlen(default_ns), 1) == -1 ||
	    xml_buf_addstr(&b, "'") == -1)) || xml_buf_addstr(&b, ">") == -1 ||
	    (xs = xml_stream_new(&l, &cb, &f)) == NULL) {
		xml_buf_free(&b);
		return (NULL);
	}
	if (xs->token_max < len)
		xs->token_max = len;
	xs->decl_max = xs->limits.max_attrs + 1;
	ok = xml_stream_feed(xs, b.data, b.len) == 0 &&
	    xml_stream_feed(xs, buf, len) == 0 &&
	    xml_stream_feed(xs, "</stream:stream>", 16) == 0 && f.count == 1;
	xml_stream_free(xs);
	xml_buf_free(&b);
	if (!ok) {
		xml_node_free(f.node);
		return (NULL);
	}
	return (f.node);
}
