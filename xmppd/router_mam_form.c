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
 * Message archive queries, their parts that need no state: the data form
 * of XEP-0313 section 4.1 with the #extended fields, XEP-0059 result set
 * bounds, XEP-0082 dates, and the form a client asks for.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "config.h"
#include "jid.h"
#include "msg.h"
#include "router.h"
#include "router_mam.h"
#include "xml.h"

#define NS_VALIDATE	"http://jabber.org/protocol/xdata-validate"

/* XEP-0082 DateTime to microseconds since the epoch. */
static int
mam_time(const char *s, int64_t *out)
{
	struct tm	 tm;
	int64_t		 t, frac = 0, scale = 100000;
	int		 v[6], i, off = 0;
	const char	*fmt = "dddd-dd-ddTdd:dd:dd";
	time_t		 tt;

	for (i = 0; fmt[i] != '\0'; i++)
		if (fmt[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != fmt[i])
			return (-1);
	v[0] = atoi(s);
	for (i = 1; i < 6; i++)
		v[i] = (s[2 + 3 * i] - '0') * 10 + (s[3 + 3 * i] - '0');
	s += 19;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return (-1);
		for (; isdigit((unsigned char)*s); s++, scale /= 10)
			frac += (*s - '0') * scale;
	}
	if (*s == 'Z')
		s++;
	else if ((*s == '+' || *s == '-') && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && s[3] == ':' &&
	    isdigit((unsigned char)s[4]) && isdigit((unsigned char)s[5])) {
		off = ((s[1] - '0') * 10 + s[2] - '0') * 3600 +
		    ((s[4] - '0') * 10 + s[5] - '0') * 60;
		if (*s == '+')
			off = -off;
		s += 6;
	} else
		return (-1);
	if (*s != '\0' || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 ||
	    v[3] > 23 || v[4] > 59 || v[5] > 60 || v[0] < 1970)
		return (-1);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	if ((tt = timegm(&tm)) == (time_t)-1)
		return (-1);
	t = (int64_t)tt + off;
	if (t < 0 || t > INT64_MAX / 1000000 - 1)
		return (-1);
	*out = t * 1000000 + frac;
	return (0);
}

void
mam_stamp(int64_t us, char *buf, size_t len)
{
	time_t		 t = us / 1000000;
	struct tm	 tm;
	char		 s[32];

	gmtime_r(&t, &tm);
	(void)strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	(void)snprintf(buf, len, "%s.%06lldZ", s, (long long)(us % 1000000));
}

/* The single value of a field; NULL when it has none or several. */
static char *
mam_field_value(const struct xml_node *f)
{
	struct xml_node	*c, *v = NULL;

	TAILQ_FOREACH(c, &f->children, entry) {
		if (c->name == NULL || !xml_is(c, NS_XDATA, "value"))
			continue;
		if (v != NULL)
			return (NULL);
		v = c;
	}
	return (v != NULL ? xml_text(v) : NULL);
}

/* An id to page from; one longer than ours names nothing. */
static int
mam_id_field(const char *v, char *id, size_t len, int *unknown)
{
	if (v == NULL || *v == '\0')
		return (-1);
	if (strlcpy(id, v, len) >= len)
		*unknown = 1;
	return (0);
}

static int
mam_ids_field(const struct xml_node *f, struct mam_query *q)
{
	struct xml_node	*c;
	char		*v;

	TAILQ_FOREACH(c, &f->children, entry) {
		if (c->name == NULL || !xml_is(c, NS_XDATA, "value"))
			continue;
		if (q->nids == MAM_IDS_MAX || (v = xml_text(c)) == NULL)
			return (-1);
		/* Too long to be ours: kept as "", which matches nothing. */
		if (strlcpy(q->ids[q->nids], v, MAM_ID_LEN) >= MAM_ID_LEN)
			q->ids[q->nids][0] = '\0';
		q->nids++;
		free(v);
	}
	return (q->nids > 0 ? 0 : -1);
}

/*
 * The query's data form (XEP-0313 section 4.1, and the #extended
 * fields of section 4.1.3); an unknown field is a bad request.
 * Returns 0, -1 for bad-request, 1 for an unknown id.
 */
int
mam_form(const struct xml_node *x, struct mam_query *q)
{
	struct xml_node	*f;
	struct jid	 j;
	const char	*var, *type = xml_get_attr(x, "type");
	char		*v;
	int		 rv = 0, unknown = 0, seen = 0, bit;
	static const char *vars[] = { "FORM_TYPE", "with", "start", "end",
	    "after-id", "before-id", "ids" };

	if (type != NULL && strcmp(type, "submit") != 0)
		return (-1);
	TAILQ_FOREACH(f, &x->children, entry) {
		if (f->name == NULL || !xml_is(f, NS_XDATA, "field"))
			continue;
		if ((var = xml_get_attr(f, "var")) == NULL)
			return (-1);
		for (bit = 0; bit < (int)nitems(vars); bit++)
			if (strcmp(var, vars[bit]) == 0)
				break;
		if (bit == (int)nitems(vars) || (seen & (1 << bit)))
			return (-1);
		seen |= 1 << bit;
		if (strcmp(var, "ids") == 0) {
			if (mam_ids_field(f, q) == -1)
				return (-1);
			continue;
		}
		if ((v = mam_field_value(f)) == NULL)
			return (-1);
		if (strcmp(var, "FORM_TYPE") == 0)
			rv = strcmp(v, NS_MAM) == 0 ? 0 : -1;
		else if (strcmp(var, "with") == 0) {
			if ((rv = jid_parse(v, &j)) == 0) {
				(void)jid_bare(&j, q->with_bare,
				    sizeof(q->with_bare));
				(void)strlcpy(q->with_res, j.resource,
				    sizeof(q->with_res));
			}
		} else if (strcmp(var, "start") == 0)
			rv = mam_time(v, &q->start);
		else if (strcmp(var, "end") == 0)
			rv = mam_time(v, &q->end);
		else if (strcmp(var, "after-id") == 0)
			rv = mam_id_field(v, q->after_id, sizeof(q->after_id),
			    &unknown);
		else if (strcmp(var, "before-id") == 0)
			rv = mam_id_field(v, q->before_id,
			    sizeof(q->before_id), &unknown);
		free(v);
		if (rv == -1)
			return (-1);
	}
	/* An end at the epoch itself would read as none. */
	if ((seen & (1 << 3)) && q->end == 0)
		q->end = 1;
	return (unknown ? 1 : 0);
}

/*
 * RSM (XEP-0059): max, after, before; a huge max is only capped.
 * Returns 0, -1 for a bad request, -2 for an index.
 */
int
mam_rsm(const struct xml_node *set, struct mam_query *q, int *unknown)
{
	struct xml_node	*c;
	char		*v;
	size_t		 i;
	int		 rv = 0;

	q->max = MAM_PAGE_DEFAULT;
	if (set == NULL)
		return (0);
	TAILQ_FOREACH(c, &set->children, entry) {
		if (c->name == NULL)
			continue;
		/* Jumping to an index (XEP-0059 section 2.4) is not built. */
		if (xml_is(c, NS_RSM, "index"))
			return (-2);
		if (!xml_is(c, NS_RSM, "max") && !xml_is(c, NS_RSM, "after") &&
		    !xml_is(c, NS_RSM, "before"))
			return (-1);
		if ((v = xml_text(c)) == NULL)
			return (-1);
		if (strcmp(c->name, "max") == 0) {
			for (i = 0; v[i] != '\0' && isdigit((unsigned char)v[i]);
			    i++)
				;
			if (i == 0 || v[i] != '\0')
				rv = -1;
			else if (i > 6 || (q->max = atoi(v)) > MAM_PAGE_MAX)
				q->max = MAM_PAGE_MAX;
		} else if (strcmp(c->name, "after") == 0)
			rv = mam_id_field(v, q->rsm_after,
			    sizeof(q->rsm_after), unknown);
		else if (*v == '\0')
			q->rsm_last = 1;
		else
			(void)mam_id_field(v, q->rsm_before,
			    sizeof(q->rsm_before), unknown);
		free(v);
		if (rv == -1)
			return (-1);
	}
	return (0);
}

/* The fields a query may use (section 4.1.1), extended ones too. */
struct xml_node *
mam_fields(struct xml_node *iq)
{
	static const char *fields[][2] = {
		{ "with", "jid-single" }, { "start", "text-single" },
		{ "end", "text-single" }, { "after-id", "text-single" },
		{ "before-id", "text-single" }, { "ids", "list-multi" },
	};
	struct xml_node	*r, *q, *x, *f, *v;
	size_t		 i;

	if ((r = router_iq_result(iq)) == NULL)
		return (NULL);
	if ((q = xml_add_child(r, NS_MAM, "query")) == NULL ||
	    (x = xml_add_child(q, NS_XDATA, "x")) == NULL ||
	    xml_set_attr(x, "type", "form") == -1 ||
	    (f = xml_add_child(x, NULL, "field")) == NULL ||
	    xml_set_attr(f, "var", "FORM_TYPE") == -1 ||
	    xml_set_attr(f, "type", "hidden") == -1 ||
	    (v = xml_add_child(f, NULL, "value")) == NULL ||
	    xml_add_text(v, NS_MAM, strlen(NS_MAM)) == -1)
		goto fail;
	for (i = 0; i < nitems(fields); i++) {
		if ((f = xml_add_child(x, NULL, "field")) == NULL ||
		    xml_set_attr(f, "var", fields[i][0]) == -1 ||
		    xml_set_attr(f, "type", fields[i][1]) == -1)
			goto fail;
		if (strcmp(fields[i][0], "ids") == 0 &&
		    ((v = xml_add_child(f, NS_VALIDATE, "validate")) == NULL ||
		    xml_set_attr(v, "datatype", "xs:string") == -1 ||
		    xml_add_child(v, NULL, "open") == NULL))
			goto fail;
	}
	return (r);
 fail:
	xml_node_free(r);
	return (NULL);
}
