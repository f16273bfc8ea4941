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
 * Data forms (XEP-0004) of the rooms: a form is a tree the serializer
 * escapes; a submission is read strictly (its FORM_TYPE, each field
 * named once, field types XEP-0004 knows) before a feature looks at
 * the values of its fields.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "muc.h"
#include "muc_form.h"
#include "xml.h"

static const char *const muc_form_types[] = {
	"boolean", "fixed", "hidden", "jid-multi", "jid-single", "list-multi",
	"list-single", "text-multi", "text-private", "text-single",
};

/*
 * A form of form_type, a child of parent: <x type='form'/> with its
 * title, instructions (either may be NULL) and hidden FORM_TYPE.
 */
struct xml_node *
muc_form_new(struct xml_node *parent, const char *form_type,
    const char *title, const char *instructions)
{
	struct xml_node	*x, *f;

	if ((x = xml_add_child(parent, NS_XDATA, "x")) == NULL ||
	    xml_set_attr(x, "type", "form") == -1)
		return (NULL);
	if (title != NULL && ((f = xml_add_child(x, NULL, "title")) == NULL ||
	    xml_add_text(f, title, strlen(title)) == -1))
		return (NULL);
	if (instructions != NULL && ((f = xml_add_child(x, NULL,
	    "instructions")) == NULL || xml_add_text(f, instructions,
	    strlen(instructions)) == -1))
		return (NULL);
	if ((f = muc_form_field(x, "FORM_TYPE", "hidden", NULL)) == NULL ||
	    muc_form_value(f, form_type) == -1)
		return (NULL);
	return (x);
}

/* A field of the form x; var and label may be NULL. */
struct xml_node *
muc_form_field(struct xml_node *x, const char *var, const char *type,
    const char *label)
{
	struct xml_node	*f;

	if ((f = xml_add_child(x, NS_XDATA, "field")) == NULL ||
	    (var != NULL && xml_set_attr(f, "var", var) == -1) ||
	    xml_set_attr(f, "type", type) == -1 ||
	    (label != NULL && xml_set_attr(f, "label", label) == -1))
		return (NULL);
	return (f);
}

int
muc_form_value(struct xml_node *f, const char *value)
{
	struct xml_node	*v;

	if ((v = xml_add_child(f, NS_XDATA, "value")) == NULL ||
	    xml_add_text(v, value, strlen(value)) == -1)
		return (-1);
	return (0);
}

int
muc_form_option(struct xml_node *f, const char *label, const char *value)
{
	struct xml_node	*o;

	if ((o = xml_add_child(f, NS_XDATA, "option")) == NULL ||
	    xml_set_attr(o, "label", label) == -1 ||
	    muc_form_value(o, value) == -1)
		return (-1);
	return (0);
}

/* An integer field from min to max (XEP-0122). */
int
muc_form_range(struct xml_node *f, int min, int max)
{
	struct xml_node	*v, *r;
	char		 lo[16], hi[16];

	(void)snprintf(lo, sizeof(lo), "%d", min);
	(void)snprintf(hi, sizeof(hi), "%d", max);
	if ((v = xml_add_child(f, NS_XDATA_VALIDATE, "validate")) == NULL ||
	    xml_set_attr(v, "datatype", "xs:integer") == -1 ||
	    (r = xml_add_child(v, NULL, "range")) == NULL ||
	    xml_set_attr(r, "min", lo) == -1 || xml_set_attr(r, "max", hi) == -1)
		return (-1);
	return (0);
}

int
muc_form_is_value(const struct xml_node *c)
{
	return (xml_is(c, NS_XDATA, "value"));
}

/* The field var of a submission, or NULL. */
struct xml_node *
muc_form_find(const struct xml_node *x, const char *var)
{
	struct xml_node	*f;
	const char	*v;

	TAILQ_FOREACH(f, &x->children, entry)
		if (xml_is(f, NS_XDATA, "field") &&
		    (v = xml_get_attr(f, "var")) != NULL && strcmp(v, var) == 0)
			return (f);
	return (NULL);
}

/* The one value of a field, to free: "" when it has none. */
int
muc_form_single(const struct xml_node *f, char **out, struct muc_error *err)
{
	struct xml_node	*c, *v = NULL;

	TAILQ_FOREACH(c, &f->children, entry) {
		if (!muc_form_is_value(c))
			continue;
		if (v != NULL)
			return (muc_stanza_seterr(err, "modify", "bad-request",
			    "A field of one value has several"));
		v = c;
	}
	if ((*out = v != NULL ? xml_text(v) : strdup("")) == NULL)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	return (0);
}

/* A boolean field: 0, 1, false or true (XEP-0004 section 3.3). */
int
muc_form_bool(const struct xml_node *f, int *b, struct muc_error *err)
{
	char	*v;
	int	 rc = 0;

	if (muc_form_single(f, &v, err) == MUC_FAIL)
		return (MUC_FAIL);
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
		*b = 1;
	else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
		*b = 0;
	else
		rc = muc_stanza_seterr(err, "modify", "bad-request",
		    "A boolean field is 0 or 1");
	free(v);
	return (rc);
}

/* Is type one of XEP-0004's field types? */
static int
muc_form_type_known(const char *type)
{
	size_t	 i;

	for (i = 0; i < nitems(muc_form_types); i++)
		if (strcmp(type, muc_form_types[i]) == 0)
			return (1);
	return (0);
}

/*
 * Is x a submission of form_type that can be read: at most
 * MUC_FORM_FIELDS_MAX fields, each with a name no other has and a type
 * XEP-0004 knows (or none), and its FORM_TYPE.  The caller has seen
 * that x is of type submit.
 */
int
muc_form_submitted(const struct xml_node *x, const char *form_type,
    struct muc_error *err)
{
	struct xml_node	*f, *g;
	const char	*var, *type;
	char		*ft;
	int		 n = 0, rc;

	TAILQ_FOREACH(f, &x->children, entry) {
		if (!xml_is(f, NS_XDATA, "field"))
			continue;
		if (++n > MUC_FORM_FIELDS_MAX)
			return (muc_stanza_seterr(err, "modify",
			    "not-acceptable", "The form has too many fields"));
		if ((var = xml_get_attr(f, "var")) == NULL || *var == '\0')
			return (muc_stanza_seterr(err, "modify", "bad-request",
			    "A field has no name"));
		if ((type = xml_get_attr(f, "type")) != NULL &&
		    !muc_form_type_known(type))
			return (muc_stanza_seterr(err, "modify", "bad-request",
			    "A field is of an unknown type"));
		for (g = TAILQ_NEXT(f, entry); g != NULL;
		    g = TAILQ_NEXT(g, entry))
			if (xml_is(g, NS_XDATA, "field") &&
			    xml_get_attr(g, "var") != NULL &&
			    strcmp(xml_get_attr(g, "var"), var) == 0)
				return (muc_stanza_seterr(err, "modify",
				    "bad-request", "A field is given twice"));
	}
	if ((f = muc_form_find(x, "FORM_TYPE")) == NULL)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "The form has no FORM_TYPE"));
	if (muc_form_single(f, &ft, err) == MUC_FAIL)
		return (MUC_FAIL);
	rc = strcmp(ft, form_type) == 0 ? 0 : muc_stanza_seterr(err, "modify",
	    "bad-request", "The form is not of this FORM_TYPE");
	free(ft);
	return (rc);
}
