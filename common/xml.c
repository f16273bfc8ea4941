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
 * The element tree and the serializer.  Text and attribute values are
 * always escaped on the way out, so that no stanza content can break out
 * of its element.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

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

static struct xml_attr *
xml_find_attr(const struct xml_node *n, const char *ns, const char *name)
{
	int	 i;

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

int
xml_set_attr_ns(struct xml_node *n, const char *ns, const char *name,
    const char *value)
{
	struct xml_attr	*a, *p;
	char		*v;

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

	if ((a = xml_find_attr(n, ns, name)) == NULL)
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

	if ((a = xml_find_attr(n, NULL, name)) == NULL)
		return;
	free(a->name);
	free(a->value);
	free(a->ns);
	*a = n->attrs[--n->nattrs];
}

void
xml_append(struct xml_node *parent, struct xml_node *child)
{
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

struct xml_node *
xml_add_child(struct xml_node *parent, const char *ns, const char *name)
{
	struct xml_node	*c;

	if ((c = xml_node_new(ns != NULL ? ns : parent->ns, name)) == NULL)
		return (NULL);
	xml_append(parent, c);
	return (c);
}

/* Append text, merging with a text node that is already last. */
int
xml_add_text(struct xml_node *n, const char *s, size_t len)
{
	struct xml_node	*t;
	char		*p;

	t = TAILQ_LAST(&n->children, xml_node_list_head);
	if (t == NULL || t->name != NULL) {
		if ((t = xml_node_new(NULL, NULL)) == NULL)
			return (-1);
		xml_append(n, t);
	}
	if ((p = realloc(t->text, t->textlen + len + 1)) == NULL)
		return (-1);
	memcpy(p + t->textlen, s, len);
	t->textlen += len;
	p[t->textlen] = '\0';
	t->text = p;
	return (0);
}

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

	TAILQ_FOREACH(c, &n->children, entry)
		if (xml_is(c, ns, name))
			return (c);
	return (NULL);
}

struct xml_node *
xml_first_child(const struct xml_node *n)
{
	struct xml_node	*c;

	TAILQ_FOREACH(c, &n->children, entry)
		if (c->name != NULL)
			return (c);
	return (NULL);
}

/* The concatenated text of n's direct text children; free it. */
char *
xml_text(const struct xml_node *n)
{
	struct xml_node	*c;
	struct xml_buf	 b;

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

	if (b->max != 0 && b->len + len > b->max)
		return (-1);
	if (b->len + len > b->cap) {
		n = b->cap ? b->cap : 256;
		while (n < b->len + len)
			n *= 2;
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

/* Escape for text (attr = 0) or for a single-quoted attribute value. */
int
xml_buf_escape(struct xml_buf *b, const char *s, size_t len, int attr)
{
	const char	*e;
	size_t		 i, start = 0;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			e = "&amp;";
			break;
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '\'':
			e = attr ? "&apos;" : NULL;
			break;
		case '"':
			e = attr ? "&quot;" : NULL;
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
		start = i + 1;
	}
	return (xml_buf_add(b, s + start, len - start));
}

static int
xml_serialize_attrs(const struct xml_node *n, struct xml_buf *b)
{
	const struct xml_attr	*a;
	int			 i, ext = 0;
	char			 prefix[16];

	for (i = 0; i < n->nattrs; i++) {
		a = &n->attrs[i];
		if (xml_buf_addstr(b, " ") == -1)
			return (-1);
		if (a->ns != NULL && strcmp(a->ns, NS_XML) == 0) {
			if (xml_buf_addstr(b, "xml:") == -1)
				return (-1);
		} else if (a->ns != NULL) {
			/* A namespaced attribute gets a prefix of its own. */
			(void)snprintf(prefix, sizeof(prefix), "a%d", ext++);
			if (xml_buf_addstr(b, "xmlns:") == -1 ||
			    xml_buf_addstr(b, prefix) == -1 ||
			    xml_buf_addstr(b, "='") == -1 ||
			    xml_buf_escape(b, a->ns, strlen(a->ns), 1) == -1 ||
			    xml_buf_addstr(b, "' ") == -1 ||
			    xml_buf_addstr(b, prefix) == -1 ||
			    xml_buf_addstr(b, ":") == -1)
				return (-1);
		}
		if (xml_buf_addstr(b, a->name) == -1 ||
		    xml_buf_addstr(b, "='") == -1 ||
		    xml_buf_escape(b, a->value, strlen(a->value), 1) == -1 ||
		    xml_buf_addstr(b, "'") == -1)
			return (-1);
	}
	return (0);
}

/*
 * Write n; ns is the default namespace in scope (the stream's, for a
 * stanza), so an element in it needs no xmlns of its own.
 */
int
xml_serialize(const struct xml_node *n, const char *ns, struct xml_buf *b)
{
	const struct xml_node	*c;
	const char		*nns = n->ns != NULL ? n->ns : "";

	if (n->name == NULL)
		return (xml_buf_escape(b, n->text, n->textlen, 0));
	if (xml_buf_addstr(b, "<") == -1 || xml_buf_addstr(b, n->name) == -1)
		return (-1);
	if (ns == NULL || strcmp(ns, nns) != 0)
		if (xml_buf_addstr(b, " xmlns='") == -1 ||
		    xml_buf_escape(b, nns, strlen(nns), 1) == -1 ||
		    xml_buf_addstr(b, "'") == -1)
			return (-1);
	if (xml_serialize_attrs(n, b) == -1)
		return (-1);
	if (TAILQ_EMPTY(&n->children))
		return (xml_buf_addstr(b, "/>"));
	if (xml_buf_addstr(b, ">") == -1)
		return (-1);
	TAILQ_FOREACH(c, &n->children, entry)
		if (xml_serialize(c, nns, b) == -1)
			return (-1);
	if (xml_buf_addstr(b, "</") == -1 || xml_buf_addstr(b, n->name) == -1 ||
	    xml_buf_addstr(b, ">") == -1)
		return (-1);
	return (0);
}
