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
 * Expat set up once for every XML file xmppctl reads: a DTD refused
 * (neither billion laughs' entities nor XXE's), parameter entities never
 * parsed, the file fed in blocks, and the first error kept with its
 * line.  The handlers get the struct xmlread; their own state is in its
 * arg.
 */

#include <sys/types.h>

#include <err.h>
#include <expat.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "msg.h"
#include "xml.h"
#include "xmlread.h"

/* Stop at the first error, with its line; later ones are not kept. */
void
xmlread_stop(struct xmlread *xr, const char *why)
{
	if (xr->failed)
		return;
	xr->failed = 1;
	(void)snprintf(xr->err, sizeof(xr->err), "%s:%lu: %s", xr->file,
	    (unsigned long)XML_GetCurrentLineNumber(xr->p), why);
	XML_StopParser(xr->p, XML_FALSE);
}

/* Stop for a reason found elsewhere, said as it is (file:line: why). */
void
xmlread_abort(struct xmlread *xr, const char *msg)
{
	if (xr->failed)
		return;
	xr->failed = 1;
	(void)strlcpy(xr->err, msg, sizeof(xr->err));
	XML_StopParser(xr->p, XML_FALSE);
}

/* Called by each handler: expat has reported up to here. */
void
xmlread_event(struct xmlread *xr)
{
	xr->lastev = XML_GetCurrentByteIndex(xr->p);
}

long
xmlread_offset(struct xmlread *xr)
{
	return (XML_GetCurrentByteIndex(xr->p));
}

int
xmlread_line(struct xmlread *xr)
{
	return (XML_GetCurrentLineNumber(xr->p));
}

/* "uri\001local" as expat gives it; ns "" when there is none. */
const char *
xmlread_split(const char *qname, char *ns, size_t nslen)
{
	const char	*sep;

	if ((sep = strchr(qname, '\001')) == NULL) {
		ns[0] = '\0';
		return (qname);
	}
	if ((size_t)(sep - qname) >= nslen)
		return (NULL);
	memcpy(ns, qname, sep - qname);
	ns[sep - qname] = '\0';
	return (sep + 1);
}

/*
 * An element of namespace ns as a node, with its attributes (expat's,
 * names split); NULL when it has too many or one cannot be read, the
 * reading stopped.
 */
struct xml_node *
xmlread_node(struct xmlread *xr, const char *ns, const char *name,
    const char **attrs)
{
	struct xml_node	*n;
	const char	*an;
	char		 ans[1024];
	int		 i;

	for (i = 0; attrs[i] != NULL; i += 2)
		;
	if (i / 2 > XML_ATTRS_MAX) {
		xmlread_stop(xr, "too many attributes");
		return (NULL);
	}
	if ((n = xml_node_new(ns, name)) == NULL)
		err(1, NULL);
	for (i = 0; attrs[i] != NULL; i += 2) {
		if ((an = xmlread_split(attrs[i], ans, sizeof(ans))) == NULL) {
			xml_node_free(n);
			xmlread_stop(xr, "a namespace too long");
			return (NULL);
		}
		if (xml_set_attr_ns(n, ans[0] != '\0' ? ans : NULL, an,
		    attrs[i + 1]) == -1)
			err(1, NULL);
	}
	return (n);
}

static void
xmlread_doctype(void *arg, const char *name, const char *sysid,
    const char *pubid, int subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)subset;
	xmlread_stop(arg, "a DTD (DOCTYPE) is refused");
}

static void
xmlread_entity(void *arg, const char *name, int param, const char *value,
    int vlen, const char *base, const char *sysid, const char *pubid,
    const char *notation)
{
	(void)name;
	(void)param;
	(void)value;
	(void)vlen;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	xmlread_stop(arg, "an entity declaration is refused");
}

/* Read f whole, or up to its first error: 0, or -1 with xr->err. */
int
xmlread_run(struct xmlread *xr, FILE *f, XML_StartElementHandler start,
    XML_EndElementHandler end, XML_CharacterDataHandler chars)
{
	char	 buf[8192];
	size_t	 n;
	int	 done;

	xr->failed = 0;
	xr->fed = xr->lastev = 0;
	xr->err[0] = '\0';
	if ((xr->p = XML_ParserCreateNS(NULL, '\001')) == NULL)
		err(1, NULL);
	XML_SetUserData(xr->p, xr);
	XML_SetElementHandler(xr->p, start, end);
	XML_SetCharacterDataHandler(xr->p, chars);
	XML_SetStartDoctypeDeclHandler(xr->p, xmlread_doctype);
	XML_SetEntityDeclHandler(xr->p, xmlread_entity);
	XML_SetParamEntityParsing(xr->p, XML_PARAM_ENTITY_PARSING_NEVER);
	do {
		n = fread(buf, 1, sizeof(buf), f);
		if (ferror(f))
			err(1, "%s", xr->file);
		done = n < sizeof(buf);
		if (XML_Parse(xr->p, buf, n, done) == XML_STATUS_ERROR &&
		    !xr->failed) {
			xr->failed = 1;
			(void)snprintf(xr->err, sizeof(xr->err), "%s:%lu: %s",
			    xr->file, (unsigned long)
			    XML_GetCurrentLineNumber(xr->p),
			    XML_ErrorString(XML_GetErrorCode(xr->p)));
		}
		/* A tag or a name expat holds whole, unreported. */
		xr->fed += n;
		if (!xr->failed && xr->fed - xr->lastev > PIE_REC_MAX)
			xmlread_stop(xr, "an element is too big");
	} while (!done && !xr->failed);
	XML_ParserFree(xr->p);
	xr->p = NULL;
	return (xr->failed ? -1 : 0);
}
