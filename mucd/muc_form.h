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
 * Data forms (XEP-0004) as the rooms use them: forms built as trees,
 * submissions read strictly.
 */

#ifndef MUC_FORM_H
#define MUC_FORM_H

struct muc_error;
struct xml_node;

#define NS_XDATA_VALIDATE	"http://jabber.org/protocol/xdata-validate"
#define MUC_FORM_FIELDS_MAX	64	/* fields of a submission */

struct xml_node	*muc_form_new(struct xml_node *, const char *, const char *,
		    const char *);
struct xml_node	*muc_form_field(struct xml_node *, const char *, const char *,
		    const char *);
int		 muc_form_value(struct xml_node *, const char *);
int		 muc_form_option(struct xml_node *, const char *, const char *);
int		 muc_form_range(struct xml_node *, int, int);
int		 muc_form_submitted(const struct xml_node *, const char *,
		    struct muc_error *);
int		 muc_form_single(const struct xml_node *, char **,
		    struct muc_error *);
int		 muc_form_bool(const struct xml_node *, int *,
		    struct muc_error *);
struct xml_node	*muc_form_find(const struct xml_node *, const char *);
int		 muc_form_is_value(const struct xml_node *);

#endif /* MUC_FORM_H */
