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
 * Message archives, the parts that need no state, for users' archives
 * (the router) and rooms' (mucd) alike: the data form of XEP-0313
 * section 4.1 with the #extended fields, XEP-0059 result set bounds,
 * XEP-0082 dates, which messages are kept, and the stanzas a query is
 * answered with.
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
#include "mam.h"
#include "msg.h"
#include "stanza.h"
#include "xml.h"

#define NS_VALIDATE	"http://jabber.org/protocol/xdata-validate"
#define NS_FORWARD	"urn:xmpp:forward:0"
#define NS_DELAY	"urn:xmpp:delay"

/* Payloads that stand for a body: end-to-end encrypted messages. */
static const struct {
	const char	*ns;
	const char	*name;
} mam_encrypted[] = {
	{ "eu.siacs.conversations.axolotl",	"encrypted" },
	{ "urn:xmpp:omemo:2",			"encrypted" },
	{ "urn:xmpp:eme:0",			"encryption" },
	{ "urn:xmpp:openpgp:0",			"openpgp" },
	{ "jabber:x:encrypted",			"x" },
};

/* XEP-0082 DateTime to microseconds since the epoch. */
int
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

/* Now, in microseconds since the epoch: an archive's time. */
int64_t
mam_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/*
 * XEP-0313 section 7.1 (business rules): messages with a body, or an
 * encrypted payload in its place, unless the sender asked for no
 * storage (XEP-0334).
 */
int
mam_archivable(const struct xml_node *n)
{
	size_t	 i;
	int	 payload;

	if (xml_find_child(n, NS_HINTS, "no-store") != NULL ||
	    xml_find_child(n, NS_HINTS, "no-permanent-store") != NULL)
		return (0);
	payload = xml_find_child(n, NS_CLIENT, "body") != NULL;
	for (i = 0; !payload && i < nitems(mam_encrypted); i++)
		payload = xml_find_child(n, mam_encrypted[i].ns,
		    mam_encrypted[i].name) != NULL;
	return (payload);
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

/*
 * A query (XEP-0313 section 4): its queryid, form, result set and
 * flip-page into q (owner aside).  -1 with the error's type and
 * condition when it cannot be answered.
 */
int
mam_query_parse(const struct xml_node *query, struct mam_query *q,
    const char **type, const char **cond)
{
	const char	*queryid = xml_get_attr(query, "queryid");
	struct xml_node	*x;
	int		 unknown = 0, rv = 0, k;

	*type = "modify";
	*cond = "bad-request";
	if (queryid != NULL && strlen(queryid) > MAM_QUERYID_MAX)
		return (-1);
	if ((x = xml_find_child(query, NS_XDATA, "x")) != NULL)
		rv = mam_form(x, q);
	if (rv != -1 && (k = mam_rsm(xml_find_child(query, NS_RSM, "set"),
	    q, &unknown)) < 0)
		rv = k;
	q->flip = xml_find_child(query, NS_MAM, "flip-page") != NULL;
	if (rv == -2) {
		*type = "cancel";
		*cond = "feature-not-implemented";
		return (-1);
	}
	if (rv == -1)
		return (-1);
	if (rv == 1 || unknown) {
		*type = "cancel";
		*cond = "item-not-found";
		return (-1);
	}
	return (0);
}

/* The fields a query may use (section 4.1.1), extended ones too. */
int
mam_form_fields(struct xml_node *q)
{
	static const char *fields[][2] = {
		{ "with", "jid-single" }, { "start", "text-single" },
		{ "end", "text-single" }, { "after-id", "text-single" },
		{ "before-id", "text-single" }, { "ids", "list-multi" },
	};
	struct xml_node	*x, *f, *v;
	size_t		 i;

	if ((x = xml_add_child(q, NS_XDATA, "x")) == NULL ||
	    xml_set_attr(x, "type", "form") == -1 ||
	    (f = xml_add_child(x, NULL, "field")) == NULL ||
	    xml_set_attr(f, "var", "FORM_TYPE") == -1 ||
	    xml_set_attr(f, "type", "hidden") == -1 ||
	    (v = xml_add_child(f, NULL, "value")) == NULL ||
	    xml_add_text(v, NS_MAM, strlen(NS_MAM)) == -1)
		return (-1);
	for (i = 0; i < nitems(fields); i++) {
		if ((f = xml_add_child(x, NULL, "field")) == NULL ||
		    xml_set_attr(f, "var", fields[i][0]) == -1 ||
		    xml_set_attr(f, "type", fields[i][1]) == -1)
			return (-1);
		if (strcmp(fields[i][0], "ids") == 0 &&
		    ((v = xml_add_child(f, NS_VALIDATE, "validate")) == NULL ||
		    xml_set_attr(v, "datatype", "xs:string") == -1 ||
		    xml_add_child(v, NULL, "open") == NULL))
			return (-1);
	}
	return (0);
}

/*
 * One result (section 4.2): the archived message inner (taken, even on
 * failure) forwarded from the archive 'from' to 'to', with its id and
 * time.
 */
struct xml_node *
mam_result_new(const char *to, const char *from, const char *queryid,
    const char *id, int64_t stamp, struct xml_node *inner)
{
	struct xml_node	*m, *res, *fwd, *delay;
	char		 ts[64];

	mam_stamp(stamp, ts, sizeof(ts));
	if ((m = xml_node_new(NS_CLIENT, "message")) == NULL ||
	    xml_set_attr(m, "to", to) == -1 ||
	    xml_set_attr(m, "from", from) == -1 ||
	    (res = xml_add_child(m, NS_MAM, "result")) == NULL ||
	    (queryid != NULL && xml_set_attr(res, "queryid", queryid) == -1) ||
	    xml_set_attr(res, "id", id) == -1 ||
	    (fwd = xml_add_child(res, NS_FORWARD, "forwarded")) == NULL ||
	    (delay = xml_add_child(fwd, NS_DELAY, "delay")) == NULL ||
	    xml_set_attr(delay, "stamp", ts) == -1) {
		xml_node_free(m);
		xml_node_free(inner);
		return (NULL);
	}
	xml_append(fwd, inner);
	return (m);
}

static int
mam_add_text(struct xml_node *parent, const char *name, const char *text)
{
	struct xml_node	*c;

	if ((c = xml_add_child(parent, NULL, name)) == NULL ||
	    xml_add_text(c, text, strlen(text)) == -1)
		return (-1);
	return (0);
}

/* The end of a query, into its iq result: section 4.3 with RSM. */
int
mam_fin_add(struct xml_node *iq, const struct mam_fin *f)
{
	struct xml_node	*fin, *set, *first;
	char		 num[32];

	if ((fin = xml_add_child(iq, NS_MAM, "fin")) == NULL ||
	    xml_set_attr(fin, "complete", f->complete ? "true" : "false") ==
	    -1 || (set = xml_add_child(fin, NS_RSM, "set")) == NULL)
		return (-1);
	if (f->first[0] != '\0') {
		(void)snprintf(num, sizeof(num), "%lld", (long long)f->index);
		if ((first = xml_add_child(set, NULL, "first")) == NULL ||
		    xml_add_text(first, f->first, strlen(f->first)) == -1 ||
		    (f->index >= 0 && xml_set_attr(first, "index", num) == -1) ||
		    mam_add_text(set, "last", f->last) == -1)
			return (-1);
	}
	/* Left out when counting would cost too much (XEP-0059 2.7). */
	if (f->count < 0)
		return (0);
	(void)snprintf(num, sizeof(num), "%lld", (long long)f->count);
	return (mam_add_text(set, "count", num));
}

/* <start/> or <end/>: a row's id and time. */
static int
mam_meta_row(struct xml_node *meta, const char *name,
    const struct mam_row *row)
{
	struct xml_node	*e;
	char		 stamp[64];

	mam_stamp(row->stamp, stamp, sizeof(stamp));
	if ((e = xml_add_child(meta, NULL, name)) == NULL ||
	    xml_set_attr(e, "id", row->id) == -1 ||
	    xml_set_attr(e, "timestamp", stamp) == -1)
		return (-1);
	return (0);
}

/*
 * Archive metadata (section 5) into its iq result: both ends, or
 * neither (start NULL) for an empty archive.
 */
int
mam_meta_add(struct xml_node *iq, const struct mam_row *start,
    const struct mam_row *end)
{
	struct xml_node	*meta;

	if ((meta = xml_add_child(iq, NS_MAM, "metadata")) == NULL ||
	    (start != NULL && (mam_meta_row(meta, "start", start) == -1 ||
	    mam_meta_row(meta, "end", end) == -1)))
		return (-1);
	return (0);
}

/*
 * The index of a page's first row when the page is at an end of the
 * result set, from its n rows and the count (-1 when unknown: past the
 * limit, so are the rows before the last page, and the index is left
 * out); -2 when the rows before it must be counted.  Flipped pages
 * (XEP-0313 4.3) count from the other end.
 */
int64_t
mam_index_known(const struct mam_query *q, int64_t count, int n)
{
	int	 back = q->rsm_before[0] != '\0' || q->rsm_last;
	int	 at_start = !back && q->rsm_after[0] == '\0';
	int	 at_end = back && q->rsm_before[0] == '\0';

	if ((at_start && !q->flip) || (at_end && q->flip))
		return (0);
	if (at_start || at_end)
		return (count >= 0 ? count - n : -1);
	return (-2);
}
