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
 * The one way xmppctl reads an XML file it was given (an import, an
 * export of another server): expat with no DTD, no entity declared or
 * expanded, nothing fetched, and no tag or name it holds unreported
 * past PIE_REC_MAX bytes.
 */

#ifndef XMLREAD_H
#define XMLREAD_H

#include <expat.h>

struct xmlread {
	XML_Parser	 p;
	const char	*file;
	void		*arg;		/* the handlers' own */
	long		 fed, lastev;	/* bytes; expat holds the gap */
	int		 failed;
	char		 err[512];
};

void		 xmlread_stop(struct xmlread *, const char *);
void		 xmlread_abort(struct xmlread *, const char *);
void		 xmlread_event(struct xmlread *);
long		 xmlread_offset(struct xmlread *);
int		 xmlread_line(struct xmlread *);
const char	*xmlread_split(const char *, char *, size_t);
struct xml_node;
struct xml_node	*xmlread_node(struct xmlread *, const char *, const char *,
		    const char **);
int		 xmlread_run(struct xmlread *, FILE *, XML_StartElementHandler,
		    XML_EndElementHandler, XML_CharacterDataHandler);

#endif /* XMLREAD_H */
