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
 * The element tree and the serializer.  Names are checked and text and
 * attribute values are validated and escaped on the way out, so no
 * content can break out of its element, whoever built the tree.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

#define XML_BUF_MIN	256

struct xml_node *
xml_node_new(const char *ns, const char *name)
{
	struct xml_node	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return (NULL);
	TAILQ_INIT(&n->children);
	if ((ns != NULL && (n->ns = strdup(ns)) == NULL) ||
	    (name != NULL && (n->name = strdup(name)) == NULL)) {
		xml_node_free(n);
		return (NULL);
	}
	return (n);
}

void
xml_node_free(struct xml_node *n)
{
	struct xml_node	*c;
	int		 i;

	if (n == NULL)
		return;
	while ((c = TAILQ_FIRST(&n->children)) != NULL) {
		TAILQ_REMOVE(&n->children, c, entry);
		xml_node_free(c);
	}
	for (i = 0; i < n->nattrs; i++) {
		free(n->attrs[i].ns);
		free(n->attrs[i].name);
		free(n->attrs[i].value);
	}
	free(n->attrs);
	free(n->ns);
	free(n->name);
	free(n->text);
	free(n);
}

/* A deep copy, detached from any parent. */
struct xml_node *
xml_node_clone(const struct xml_node *n)
{
	struct xml_node		*c, *cc;
	const struct xml_node	*ch;
	int			 i;

	if (n == NULL || (c = xml_node_new(n->ns, n->name)) == NULL)
		return (NULL);
	if (n->name == NULL && n->text != NULL) {
		if ((c->text = malloc(n->textlen + 1)) == NULL)
			goto fail;
		memcpy(c->text, n->text, n->textlen);
		c->text[n->textlen] = '\0';
		c->textlen = n->textlen;
		c->textcap = n->textlen + 1;
	}
	for (i = 0; i < n->nattrs; i++)
		if (xml_set_attr_ns(c, n->attrs[i].ns, n->attrs[i].name,
		    n->attrs[i].value) == -1)
			goto fail;
	TAILQ_FOREACH(ch, &n->children, entry) {
		if ((cc = xml_node_clone(ch)) == NULL)
			goto fail;
		xml_append(c, cc);
	}
	return (c);
 fail:
	xml_node_free(c);
	return (NULL);
}

static struct xml_attr *
xml_find_attr(const struct xml_node *n, const char *ns, const char *name)
{
	int	 i;

	if (ns != NULL && ns[0] == '\0')
		ns = NULL;
	for (i = 0; i < n->nattrs; i++) {
		if (strcmp(n->attrs[i].name, name) != 0)
			continue;
		if ((ns == NULL && n->attrs[i].ns == NULL) ||
		    (ns != NULL && n->attrs[i].ns != NULL &&
		    strcmp(ns, n->attrs[i].ns) == 0))
			return (&n->attrs[i]);
	}
	return (NULL);
}

/* Set (or replace) an attribute; ns NULL or "" is no namespace. */
int
xml_set_attr_ns(struct xml_node *n, const char *ns, const char *name,
    const char *value)
{
	struct xml_attr	*a, *p;
	char		*v;

	if (n == NULL || n->name == NULL || name == NULL || value == NULL)
		return (-1);
	if (ns != NULL && ns[0] == '\0')
		ns = NULL;
	if ((v = strdup(value)) == NULL)
		return (-1);
	if ((a = xml_find_attr(n, ns, name)) != NULL) {
		free(a->value);
		a->value = v;
		return (0);
	}
	if ((p = reallocarray(n->attrs, n->nattrs + 1, sizeof(*p))) == NULL) {
		free(v);
		return (-1);
	}
	n->attrs = p;
	a = &n->attrs[n->nattrs];
	a->value = v;
	a->name = strdup(name);
	a->ns = ns != NULL ? strdup(ns) : NULL;
	if (a->name == NULL || (ns != NULL && a->ns == NULL)) {
		free(a->name);
		free(a->ns);
		free(v);
		return (-1);
	}
	n->nattrs++;
	return (0);
}

int
xml_set_attr(struct xml_node *n, const char *name, const char *value)
{
	return (xml_set_attr_ns(n, NULL, name, value));
}

const char *
xml_get_attr_ns(const struct xml_node *n, const char *ns, const char *name)
{
	struct xml_attr	*a;

	if (n == NULL || (a = xml_find_attr(n, ns, name)) == NULL)
		return (NULL);
	return (a->value);
}

const char *
xml_get_attr(const struct xml_node *n, const char *name)
{
	return (xml_get_attr_ns(n, NULL, name));
}

void
xml_del_attr(struct xml_node *n, const char *name)
{
	struct xml_attr	*a;

	if (n == NULL || (a = xml_find_attr(n, NULL, name)) == NULL)
		return;
	free(a->name);
	free(a->value);
	free(a->ns);
	*a = n->attrs[--n->nattrs];
}

/* Make child the last child of parent, taking it from where it was. */
void
xml_append(struct xml_node *parent, struct xml_node *child)
{
	xml_unlink(child);
	child->parent = parent;
	TAILQ_INSERT_TAIL(&parent->children, child, entry);
}

void
xml_unlink(struct xml_node *n)
{
	if (n->parent == NULL)
		return;
	TAILQ_REMOVE(&n->parent->children, n, entry);
	n->parent = NULL;
}

/* A new last child; ns NULL means the parent's namespace. */
struct xml_node *
xml_add_child(struct xml_node *parent, const char *ns, const char *name)
{
	struct xml_node	*c;

	if (parent == NULL || name == NULL)
		return (NULL);
	if ((c = xml_node_new(ns != NULL ? ns : parent->ns, name)) == NULL)
		return (NULL);
	xml_append(parent, c);
	return (c);
}

/*
 * Append text, merging with a text node that is already last.  The
 * buffer doubles, so text streamed in small pieces costs linear time.
 */
int
xml_add_text(struct xml_node *n, const char *s, size_t len)
{
	struct xml_node	*t;
	char		*p;
	size_t		 cap;

	if (n == NULL || n->name == NULL || (s == NULL && len > 0))
		return (-1);
	t = TAILQ_LAST(&n->children, xml_node_list_head);
	if (t == NULL || t->name != NULL) {
		if ((t = xml_node_new(NULL, NULL)) == NULL)
			return (-1);
		xml_append(n, t);
	}
	if (len >= SIZE_MAX / 2 - t->textlen)
		return (-1);
	if (t->textlen + len + 1 > t->textcap) {
		cap = t->textcap > 0 ? t->textcap : 32;
		while (cap < t->textlen + len + 1)
			cap *= 2;
		if ((p = realloc(t->text, cap)) == NULL)
			return (-1);
		t->text = p;
		t->textcap = cap;
	}
	if (len > 0)
		memcpy(t->text + t->textlen, s, len);
	t->textlen += len;
	t->text[t->textlen] = '\0';
	return (0);
}

/* Is n the element {ns}name?  ns NULL matches any namespace. */
int
xml_is(const struct xml_node *n, const char *ns, const char *name)
{
	return (n != NULL && n->name != NULL && strcmp(n->name, name) == 0 &&
	    (ns == NULL || (n->ns != NULL && strcmp(n->ns, ns) == 0)));
}

struct xml_node *
xml_find_child(const struct xml_node *n, const char *ns, const char *name)
{
	struct xml_node	*c;

	if (n == NULL)
		return (NULL);
	TAILQ_FOREACH(c, &n->children, entry)
		if (xml_is(c, ns, name))
			return (c);
	return (NULL);
}

struct xml_node *
xml_first_child(const struct xml_node *n)
{
	struct xml_node	*c;

	if (n == NULL)
		return (NULL);
	TAILQ_FOREACH(c, &n->children, entry)
		if (c->name != NULL)
			return (c);
	return (NULL);
}

/*
 * The concatenated text of n's direct text children, to free; NULL when
 * n is NULL or memory ran out.
 */
char *
xml_text(const struct xml_node *n)
{
	struct xml_node	*c;
	struct xml_buf	 b;

	if (n == NULL)
		return (NULL);
	xml_buf_init(&b, 0);
	TAILQ_FOREACH(c, &n->children, entry)
		if (c->name == NULL && xml_buf_add(&b, c->text,
		    c->textlen) == -1) {
			xml_buf_free(&b);
			return (NULL);
		}
	if (xml_buf_add(&b, "", 1) == -1) {
		xml_buf_free(&b);
		return (NULL);
	}
	return (b.data);
}

/* The text of the first child {ns}name, to free; NULL if none. */
char *
xml_child_text(const struct xml_node *n, const char *ns, const char *name)
{
	return (xml_text(xml_find_child(n, ns, name)));
}

void
xml_buf_init(struct xml_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
xml_buf_free(struct xml_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int
xml_buf_add(struct xml_buf *b, const char *s, size_t len)
{
	char	*p;
	size_t	 n;

	if (len == 0)
		return (0);
	if (len > SIZE_MAX / 2 - b->len ||
	    (b->max != 0 && b->len + len > b->max))
		return (-1);
	if (b->len + len > b->cap) {
		n = b->cap ? b->cap : XML_BUF_MIN;
		while (n < b->len + len)
			n *= 2;
		if (b->max != 0 && n > b->max)
			n = b->max;
		if ((p = realloc(b->data, n)) == NULL)
			return (-1);
		b->data = p;
		b->cap = n;
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
	return (0);
}

int
xml_buf_addstr(struct xml_buf *b, const char *s)
{
	return (xml_buf_add(b, s, strlen(s)));
}

/*
 * Decode the UTF-8 character at s into *cp: its length, or 0 if it is
 * malformed (overlong, a surrogate, past U+10FFFF) or not an XML 1.0
 * Char.
 */
static size_t
xml_utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t	 c;
	size_t		 i, n;

	if (s[0] < 0x80) {
		*cp = s[0];
		if (s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' &&
		    s[0] != '\r')
			return (0);
		return (1);
	}
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return (0);
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	c = s[0] & (0x7f >> n);
	if (len < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
	    c == 0xfffe || c == 0xffff)
		return (0);
	*cp = c;
	return (n);
}

/*
 * Escape text (attr 0) or a single-quoted attribute value (attr 1).
 * Fails on bytes that are not UTF-8 XML characters: a peer must never
 * get something it cannot parse.  CR, and TAB and LF in attributes, are
 * written as references so they read back unchanged.
 */
int
xml_buf_escape(struct xml_buf *b, const char *s, size_t len, int attr)
{
	const unsigned char *u = (const unsigned char *)s;
	const char	*e;
	size_t		 i, k, start = 0;
	uint32_t	 cp;

	for (i = 0; i < len; i += k) {
		if ((k = xml_utf8(u + i, len - i, &cp)) == 0)
			return (-1);
		switch (cp) {
		case '&':
			e = "&amp;";
			break;
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '\r':
			e = "&#xD;";
			break;
		case '\'':
			e = attr ? "&apos;" : NULL;
			break;
		case '"':
			e = attr ? "&quot;" : NULL;
			break;
		case '\t':
			e = attr ? "&#x9;" : NULL;
			break;
		case '\n':
			e = attr ? "&#xA;" : NULL;
			break;
		default:
			e = NULL;
			break;
		}
		if (e == NULL)
			continue;
		if (xml_buf_add(b, s + start, i - start) == -1 ||
		    xml_buf_addstr(b, e) == -1)
			return (-1);
		start = i + k;
	}
	return (xml_buf_add(b, s + start, len - start));
}

/* Can s be sent as text: UTF-8 of XML characters only? */
int
xml_text_ok(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t		 i, k;
	uint32_t	 cp;

	for (i = 0; i < len; i += k)
		if ((k = xml_utf8(u + i, len - i, &cp)) == 0)
			return (0);
	return (1);
}

/* XML 1.0 (fifth edition) name characters, without the colon. */
static int
xml_namechar(uint32_t c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) ||
	    (c >= 0xf8 && c <= 0x2ff) || (c >= 0x370 && c <= 0x37d) ||
	    (c >= 0x37f && c <= 0x1fff) || c == 0x200c || c == 0x200d ||
	    (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) ||
	    (c >= 0x3001 && c <= 0xd7ff) || (c >= 0xf900 && c <= 0xfdcf) ||
	    (c >= 0xfdf0 && c <= 0xfffd) || (c >= 0x10000 && c <= 0xeffff))
		return (1);
	if (first)
		return (0);
	return (c == '-' || c == '.' || (c >= '0' && c <= '9') ||
	    c == 0xb7 || (c >= 0x300 && c <= 0x36f) ||
	    (c >= 0x203f && c <= 0x2040));
}

/* Is s a local name (NCName) we may write as it is? */
static int
xml_name_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t		 i, k, len = strlen(s);
	uint32_t	 cp;

	if (len == 0)
		return (0);
	for (i = 0; i < len; i += k)
		if ((k = xml_utf8(u + i, len - i, &cp)) == 0 ||
		    !xml_namechar(cp, i == 0))
			return (0);
	return (1);
}

/*
 * The serializer's state: where elements in namespace from are written
 * in namespace to, and the namespaces of attributes declared in the
 * output on the elements being written, outermost first.  decl[i] is
 * bound to prefix "a<i>": a prefix in scope is never declared again
 * further in, so none is ever shadowed.
 */
struct xml_wctx {
	const char	*from;
	const char	*to;
	struct xml_buf	*b;
	const char	**decl;
	size_t		 ndecl;
	size_t		 cap;
};

/* How far up the declarations in scope are looked at before a new one. */
#define XML_DECL_SCAN	64

/* The prefix of declaration i: "a" and i in decimal. */
static int
xml_write_prefix(struct xml_buf *b, size_t i)
{
	char	 d[24];
	size_t	 k = sizeof(d);

	do {
		d[--k] = '0' + i % 10;
		i /= 10;
	} while (i > 0);
	d[--k] = 'a';
	return (xml_buf_add(b, d + k, sizeof(d) - k));
}

/*
 * The declaration of ns in scope, looking at those of this element (from
 * own on) and the nearest ones of its ancestors; -1 if none.  The bound
 * keeps a deep tree of namespaced attributes linear to write; past it a
 * namespace is only declared again.
 */
static ssize_t
xml_decl_find(const struct xml_wctx *w, const char *ns, size_t own)
{
	size_t	 i, low;

	low = w->ndecl > XML_DECL_SCAN ? w->ndecl - XML_DECL_SCAN : 0;
	if (low > own)
		low = own;
	for (i = w->ndecl; i > low; i--)
		if (strcmp(w->decl[i - 1], ns) == 0)
			return (i - 1);
	return (-1);
}

static int
xml_write_attr(const struct xml_attr *a, size_t own, struct xml_wctx *w)
{
	struct xml_buf	*b = w->b;
	const char	**p;
	ssize_t		 i;

	if (!xml_name_ok(a->name) || (a->ns == NULL &&
	    strcmp(a->name, "xmlns") == 0) || (a->ns != NULL &&
	    strcmp(a->ns, NS_XMLNS) == 0))
		return (-1);
	if (xml_buf_addstr(b, " ") == -1)
		return (-1);
	if (a->ns != NULL && strcmp(a->ns, NS_XML) == 0) {
		if (xml_buf_addstr(b, "xml:") == -1)
			return (-1);
	} else if (a->ns != NULL) {
		/* A namespace is declared once in scope, where first used. */
		if ((i = xml_decl_find(w, a->ns, own)) == -1) {
			if (w->ndecl == w->cap) {
				if ((p = reallocarray(w->decl, w->cap + 16,
				    sizeof(*p))) == NULL)
					return (-1);
				w->decl = p;
				w->cap += 16;
			}
			i = w->ndecl++;
			w->decl[i] = a->ns;
			if (xml_buf_addstr(b, "xmlns:") == -1 ||
			    xml_write_prefix(b, i) == -1 ||
			    xml_buf_addstr(b, "='") == -1 ||
			    xml_buf_escape(b, a->ns, strlen(a->ns), 1) == -1 ||
			    xml_buf_addstr(b, "' ") == -1)
				return (-1);
		}
		if (xml_write_prefix(b, i) == -1 ||
		    xml_buf_addstr(b, ":") == -1)
			return (-1);
	}
	if (xml_buf_addstr(b, a->name) == -1 ||
	    xml_buf_addstr(b, "='") == -1 ||
	    xml_buf_escape(b, a->value, strlen(a->value), 1) == -1 ||
	    xml_buf_addstr(b, "'") == -1)
		return (-1);
	return (0);
}

/*
 * Write n.  scope is the default namespace in force where n is written
 * (NULL: none), so an element in it needs no xmlns of its own.  An
 * element gets at most one namespace declaration more than it has
 * attributes: xml_parse_fragment() allows for that.
 */
static int
xml_write(const struct xml_node *n, const char *scope, struct xml_wctx *w)
{
	const struct xml_node	*c;
	struct xml_buf		*b = w->b;
	const char		*ns = n->ns != NULL ? n->ns : "";
	size_t			 own = w->ndecl;
	int			 i;

	if (n->name == NULL)
		return (n->text == NULL ? 0 :
		    xml_buf_escape(b, n->text, n->textlen, 0));
	if (w->from != NULL && strcmp(ns, w->from) == 0)
		ns = w->to;
	if (!xml_name_ok(n->name) || strcmp(ns, NS_XML) == 0 ||
	    strcmp(ns, NS_XMLNS) == 0)
		return (-1);
	if (xml_buf_addstr(b, "<") == -1 || xml_buf_addstr(b, n->name) == -1)
		return (-1);
	if (scope == NULL || strcmp(scope, ns) != 0)
		if (xml_buf_addstr(b, " xmlns='") == -1 ||
		    xml_buf_escape(b, ns, strlen(ns), 1) == -1 ||
		    xml_buf_addstr(b, "'") == -1)
			return (-1);
	for (i = 0; i < n->nattrs; i++)
		if (xml_write_attr(&n->attrs[i], own, w) == -1)
			return (-1);
	if (TAILQ_EMPTY(&n->children)) {
		w->ndecl = own;
		return (xml_buf_addstr(b, "/>"));
	}
	if (xml_buf_addstr(b, ">") == -1)
		return (-1);
	TAILQ_FOREACH(c, &n->children, entry)
		if (xml_write(c, ns, w) == -1)
			return (-1);
	w->ndecl = own;
	if (xml_buf_addstr(b, "</") == -1 || xml_buf_addstr(b, n->name) == -1 ||
	    xml_buf_addstr(b, ">") == -1)
		return (-1);
	return (0);
}

/*
 * Append n to b for a stream whose default (content) namespace is ns:
 * an element in ns is written without xmlns.  On failure (a bad name,
 * bytes that are not XML characters, b's maximum) b is left as it was.
 */
int
xml_serialize(const struct xml_node *n, const char *ns, struct xml_buf *b)
{
	return (xml_serialize_as(n, NULL, ns, b));
}

/*
 * The same, translating: elements in namespace from (say jabber:client)
 * are written in the stream's namespace to (say jabber:server), which
 * is the default in scope.
 */
int
xml_serialize_as(const struct xml_node *n, const char *from, const char *to,
    struct xml_buf *b)
{
	struct xml_wctx	 w;
	size_t		 len = b->len;
	int		 rv;

	if (from != NULL && to == NULL)
		return (-1);
	memset(&w, 0, sizeof(w));
	w.from = from;
	w.to = to;
	w.b = b;
	rv = n == NULL ? -1 : xml_write(n, to, &w);
	free(w.decl);
	if (rv == -1)
		b->len = len;
	return (rv);
}
