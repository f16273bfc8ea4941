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
 * xmppctl convert: other servers' exports made into what xmppctl import
 * reads, and xmppd's export into what another server reads.
 *
 * convert ejabberd: ejabberd 23.01's export made into one XEP-0227 file.
 * Its export_piefxis writes a host file (<host xmlns='urn:xmpp:pie:0'>,
 * XIncluded by a server-data file) with users, rosters, vCards, private
 * XML and offline messages, but SCRAM keys base64-encoded twice and the
 * offline messages carrying its own archive's ids; message archives are
 * not in it.  Those come from `ejabberdctl dump_table FILE archive_msg`,
 * Mnesia's text dump: one Erlang term per record, the message as an
 * xmlel term.  Both files are hostile input, parsed here as the admin
 * who runs the command: expat without DTD or entities, bounded depth and
 * sizes, and for the dump a parser of the few kinds of terms it holds.
 * Nothing is written unless both files are read whole.
 *
 * convert prosody: a XEP-0227 file (xmppctl export's) made into the
 * files of Prosody 0.12's XEP-0227 store, one per user, which its
 * prosody-migrator reads.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "compat.h"
#include "config.h"
#include "jid.h"
#include "mam.h"
#include "msg.h"
#include "scram.h"
#include "xml.h"
#include "xmlread.h"
#include "convert.h"
#include "xmppctl.h"

#define CV_DEPTH_MAX	64		/* nesting, in either file */
#define CV_TERM_MAX	(4 * PIE_REC_MAX)	/* text of one record */
#define CV_ITEMS_MAX	4096		/* members of a tuple or list */
#define NS_MAM_TMP	"urn:xmpp:mam:tmp"
#define NS_SID		"urn:xmpp:sid:0"

/* Erlang terms, the kinds a Mnesia text dump holds. */
enum cv_type { T_INT, T_ATOM, T_BIN, T_STR, T_TUPLE, T_LIST };

struct cv_term {
	int		  type;
	long long	  i;
	char		 *s;		/* atom, binary, string; NUL after */
	size_t		  len, cap;
	struct cv_term	**v;		/* tuple, list */
	size_t		  n;
};

struct cv_reader {
	FILE		*f;
	const char	*file;
	int		 line;
	size_t		 bytes;		/* of the current record */
	int		 depth;
	char		 err[256];
};

/* A user's archive, waiting for the user in the export. */
struct cv_arch {
	RB_ENTRY(cv_arch)	 node;
	char			 jid[CONF_JIDLEN];
	struct xml_node		*archive;
	int			 n;
	int			 used;
};
RB_HEAD(cv_archs, cv_arch);

struct cv_ctx {
	struct cv_archs	 archs;
	const char		*pie, *dump;
	int			 narch, skipped;
	/* The export */
	struct xmlread		 xr;
	FILE			*out;		/* NULL: nothing, or a file a user */
	int			 dirfd;		/* a file per user, here */
	int			 ejabberd;	/* its fixes wanted */
	const char		*datadir;	/* Prosody's, offline from */
	int			 noffline;
	int			 dry;		/* the first of two passes */
	int			 depth, root_host, in_host;
	char			 host[CONF_NAMELEN];
	struct xml_node		*tree, *cur;
	long			 tree_start;
	int			 users;
};

static int
cv_arch_cmp(struct cv_arch *a, struct cv_arch *b)
{
	return (strcmp(a->jid, b->jid));
}
RB_GENERATE_STATIC(cv_archs, cv_arch, node, cv_arch_cmp);

/* Erlang terms */

static void
cv_term_free(struct cv_term *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		cv_term_free(t->v[i]);
	free(t->v);
	free(t->s);
	free(t);
}

static int
cv_fail(struct cv_reader *r, const char *why)
{
	if (r->err[0] == '\0')
		(void)snprintf(r->err, sizeof(r->err), "%s:%d: %s", r->file,
		    r->line, why);
	return (-1);
}

static int
cv_getc(struct cv_reader *r)
{
	int	 c;

	if ((c = getc(r->f)) == EOF) {
		if (ferror(r->f))
			err(1, "%s", r->file);
		return (EOF);
	}
	if (c == '\n')
		r->line++;
	r->bytes++;
	return (c);
}

static void
cv_ungetc(struct cv_reader *r, int c)
{
	if (c == EOF)
		return;
	if (c == '\n')
		r->line--;
	r->bytes--;
	(void)ungetc(c, r->f);
}

/* The next character that is not blank or in a comment. */
static int
cv_skip(struct cv_reader *r)
{
	int	 c;

	for (;;) {
		c = cv_getc(r);
		if (c == '%')
			while ((c = cv_getc(r)) != '\n' && c != EOF)
				;
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return (c);
	}
}

/* A character of the file, as UTF-8: its code point, or -1. */
static long
cv_utf8(struct cv_reader *r, int c)
{
	long	 cp;
	int	 n, i, d;

	if (c < 0x80)
		return (c);
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		cp = c & 0x07;
	} else
		return (-1);
	for (i = 0; i < n; i++) {
		if ((d = cv_getc(r)) == EOF || (d & 0xc0) != 0x80)
			return (-1);
		cp = cp << 6 | (d & 0x3f);
	}
	return (cp);
}

/* A hexadecimal digit's value, or -1. */
int
convert_hex(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Code point cp as UTF-8 in u: its length, 0 when it is none. */
size_t
convert_utf8(long cp, char u[4])
{
	if (cp < 0 || cp > 0x10ffff)
		return (0);
	if (cp < 0x80) {
		u[0] = cp;
		return (1);
	}
	if (cp < 0x800) {
		u[0] = 0xc0 | cp >> 6;
		u[1] = 0x80 | (cp & 0x3f);
		return (2);
	}
	if (cp < 0x10000) {
		u[0] = 0xe0 | cp >> 12;
		u[1] = 0x80 | (cp >> 6 & 0x3f);
		u[2] = 0x80 | (cp & 0x3f);
		return (3);
	}
	u[0] = 0xf0 | cp >> 18;
	u[1] = 0x80 | (cp >> 12 & 0x3f);
	u[2] = 0x80 | (cp >> 6 & 0x3f);
	u[3] = 0x80 | (cp & 0x3f);
	return (4);
}

/* An escape after a backslash: its code point, or -1. */
static long
cv_escape(struct cv_reader *r)
{
	static const char	 from[] = "bdefnrstv", to[] = "\b\177\033\f\n\r \t\v";
	const char		*p;
	long			 cp;
	int			 c, d, i;

	if ((c = cv_getc(r)) == EOF)
		return (-1);
	if (c >= '0' && c <= '7') {
		cp = c - '0';
		for (i = 0; i < 2 && (d = cv_getc(r)) != EOF; i++) {
			if (d < '0' || d > '7') {
				cv_ungetc(r, d);
				break;
			}
			cp = cp * 8 + d - '0';
		}
		return (cp);
	}
	if (c == 'x') {
		if ((c = cv_getc(r)) == '{') {
			for (cp = 0, i = 0; (c = cv_getc(r)) != '}'; i++)
				if (i > 6 || (d = convert_hex(c)) == -1)
					return (-1);
				else
					cp = cp * 16 + d;
			return (i == 0 || cp > 0x10ffff ? -1 : cp);
		}
		if ((d = convert_hex(c)) == -1 || (c = convert_hex(cv_getc(r))) == -1)
			return (-1);
		return (d * 16 + c);
	}
	if (c == '^')
		return ((c = cv_getc(r)) == EOF ? -1 : (c & 0x1f));
	if ((p = strchr(from, c)) != NULL && c != '\0')
		return ((unsigned char)to[p - from]);
	return (c >= 0x80 ? cv_utf8(r, c) : c);
}

/* Append code point cp to t->s as UTF-8, or as a byte (utf8 0). */
static int
cv_put(struct cv_term *t, long cp, int utf8)
{
	char	 u[4], *s;
	size_t	 n;

	if (cp < 0 || cp > 0x10ffff || (!utf8 && cp > 0xff))
		return (-1);
	if (!utf8) {
		u[0] = cp;
		n = 1;
	} else
		n = convert_utf8(cp, u);
	if (t->len + n + 1 > t->cap) {
		if ((s = recallocarray(t->s, t->cap, t->cap * 2 + n + 16, 1)) ==
		    NULL)
			err(1, NULL);
		t->cap = t->cap * 2 + n + 16;
		t->s = s;
	}
	memcpy(t->s + t->len, u, n);
	t->len += n;
	t->s[t->len] = '\0';
	return (0);
}

/* "...": its code points, kept in a buffer of their own. */
static int
cv_string(struct cv_reader *r, long **cps, size_t *n)
{
	long	*v = NULL, cp;
	size_t	 cap = 0;
	int	 c;

	*n = 0;
	while ((c = cv_getc(r)) != '"') {
		if (c == EOF)
			cp = -1;
		else if (c == '\\')
			cp = cv_escape(r);
		else
			cp = cv_utf8(r, c);
		if (cp < 0) {
			free(v);
			return (cv_fail(r, "a bad character in a string"));
		}
		if (*n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((v = reallocarray(v, cap, sizeof(*v))) == NULL)
				err(1, NULL);
		}
		v[(*n)++] = cp;
	}
	*cps = v;
	return (0);
}

/* After "<<": strings (bytes, or "/utf8" code points) and bytes. */
static int
cv_binary(struct cv_reader *r, struct cv_term *t)
{
	long	*cps;
	size_t	 n, i;
	int	 c, utf8;

	t->type = T_BIN;
	if (cv_put(t, 0, 0) == -1)
		return (-1);
	t->len = 0;
	if ((c = cv_skip(r)) == '>')
		return (cv_getc(r) == '>' ? 0 : cv_fail(r, "a bad binary"));
	for (;;) {
		if (c == '"') {
			if (cv_string(r, &cps, &n) == -1)
				return (-1);
			utf8 = 0;
			if ((c = cv_skip(r)) == '/') {
				utf8 = cv_getc(r) == 'u' && cv_getc(r) == 't' &&
				    cv_getc(r) == 'f' && cv_getc(r) == '8';
				if (!utf8) {
					free(cps);
					return (cv_fail(r, "a bad binary"));
				}
				c = cv_skip(r);
			}
			for (i = 0; i < n; i++)
				if (cv_put(t, cps[i], utf8) == -1) {
					free(cps);
					return (cv_fail(r, "a bad binary"));
				}
			free(cps);
		} else if (c >= '0' && c <= '9') {
			for (i = c - '0'; (c = cv_getc(r)) >= '0' && c <= '9';)
				if ((i = i * 10 + c - '0') > 255)
					return (cv_fail(r, "a bad binary"));
			if (cv_put(t, i, 0) == -1)
				return (-1);
			if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
				c = cv_skip(r);
		} else
			return (cv_fail(r, "a bad binary"));
		if (c == '>')
			return (cv_getc(r) == '>' ? 0 :
			    cv_fail(r, "a bad binary"));
		if (c != ',')
			return (cv_fail(r, "a bad binary"));
		c = cv_skip(r);
	}
}

static struct cv_term *cv_parse(struct cv_reader *);

/* After "{" or "[": members up to close. */
static int
cv_members(struct cv_reader *r, struct cv_term *t, int close)
{
	struct cv_term	*m;
	int		 c;

	if ((c = cv_skip(r)) == close)
		return (0);
	cv_ungetc(r, c);
	for (;;) {
		if (t->n == CV_ITEMS_MAX)
			return (cv_fail(r, "a tuple or list too long"));
		if ((m = cv_parse(r)) == NULL)
			return (-1);
		if ((t->v = reallocarray(t->v, t->n + 1, sizeof(*t->v))) ==
		    NULL)
			err(1, NULL);
		t->v[t->n++] = m;
		if ((c = cv_skip(r)) == close)
			return (0);
		if (c != ',')
			return (cv_fail(r, "a bad tuple or list"));
	}
}

static int
cv_atom(struct cv_reader *r, struct cv_term *t, int c)
{
	size_t	 i;

	t->type = T_ATOM;
	if (c == '\'') {
		if (cv_put(t, 0, 0) == -1)
			return (-1);
		t->len = 0;
		/* A quoted atom reads like a string, between quotes. */
		while ((c = cv_getc(r)) != '\'') {
			if (c == EOF || c == '\\' || c >= 0x80 ||
			    cv_put(t, c, 0) == -1)
				return (cv_fail(r, "a bad atom"));
		}
		return (0);
	}
	for (i = 0;; i++) {
		if (i > 255 || cv_put(t, c, 0) == -1)
			return (cv_fail(r, "an atom too long"));
		c = cv_getc(r);
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '@')) {
			cv_ungetc(r, c);
			return (0);
		}
	}
}

static int
cv_integer(struct cv_reader *r, struct cv_term *t, int c)
{
	int	 neg = c == '-', digits = 0;

	t->type = T_INT;
	if (neg)
		c = cv_getc(r);
	for (; c >= '0' && c <= '9'; c = cv_getc(r), digits++) {
		if (t->i > (LLONG_MAX - 9) / 10)
			return (cv_fail(r, "a number too big"));
		t->i = t->i * 10 + c - '0';
	}
	if (digits == 0 || c == '.' || c == '#' || c == 'e')
		return (cv_fail(r, "not an integer"));
	cv_ungetc(r, c);
	if (neg)
		t->i = -t->i;
	return (0);
}

static struct cv_term *
cv_parse(struct cv_reader *r)
{
	struct cv_term	*t;
	long		*cps;
	size_t		 n, i;
	int		 c, rv;

	if (++r->depth > CV_DEPTH_MAX) {
		(void)cv_fail(r, "terms nested too deep");
		return (NULL);
	}
	if (r->bytes > CV_TERM_MAX) {
		(void)cv_fail(r, "a record too big");
		return (NULL);
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		err(1, NULL);
	c = cv_skip(r);
	if (c == '{') {
		t->type = T_TUPLE;
		rv = cv_members(r, t, '}');
	} else if (c == '[') {
		t->type = T_LIST;
		rv = cv_members(r, t, ']');
	} else if (c == '<')
		rv = cv_getc(r) == '<' ? cv_binary(r, t) :
		    cv_fail(r, "a bad binary");
	else if (c == '"') {
		t->type = T_STR;
		rv = cv_put(t, 0, 0);
		t->len = 0;
		if (rv == 0 && (rv = cv_string(r, &cps, &n)) == 0) {
			for (i = 0; i < n && rv == 0; i++)
				rv = cv_put(t, cps[i], 1);
			free(cps);
		}
	} else if (c == '-' || (c >= '0' && c <= '9'))
		rv = cv_integer(r, t, c);
	else if ((c >= 'a' && c <= 'z') || c == '\'')
		rv = cv_atom(r, t, c);
	else
		rv = cv_fail(r, c == EOF ? "the file ends inside a record" :
		    "not an Erlang term");
	r->depth--;
	if (rv == -1 || r->bytes > CV_TERM_MAX) {
		(void)cv_fail(r, "a record too big");
		cv_term_free(t);
		return (NULL);
	}
	return (t);
}

/* The next record: 1, 0 at the end, -1 on error. */
static int
cv_next(struct cv_reader *r, struct cv_term **tp, int *line)
{
	int	 c;

	r->bytes = 0;
	r->depth = 0;
	if ((c = cv_skip(r)) == EOF)
		return (0);
	cv_ungetc(r, c);
	*line = r->line;
	if ((*tp = cv_parse(r)) == NULL)
		return (-1);
	if (cv_skip(r) != '.') {
		cv_term_free(*tp);
		r->line = *line;	/* where the record began */
		return (cv_fail(r, "a record without its full stop"));
	}
	return (1);
}

static int
cv_is(const struct cv_term *t, int type, size_t n)
{
	return (t != NULL && t->type == type && (type != T_TUPLE ||
	    t->n == n));
}

/* Archive records */

/* {xmlel, Name, [{Attr, Value}], Children}: an element in ns pns. */
static struct xml_node *
cv_xmlel(const struct cv_term *t, const char *pns, int depth)
{
	struct xml_node	*n, *c;
	struct cv_term	*a, *k;
	const char	*ns = pns;
	size_t		 i;

	if (depth > CV_DEPTH_MAX || !cv_is(t, T_TUPLE, 4) ||
	    !cv_is(t->v[0], T_ATOM, 0) || strcmp(t->v[0]->s, "xmlel") != 0 ||
	    !cv_is(t->v[1], T_BIN, 0) || !cv_is(t->v[2], T_LIST, 0) ||
	    !cv_is(t->v[3], T_LIST, 0) || strchr(t->v[1]->s, ':') != NULL)
		return (NULL);
	for (i = 0; i < t->v[2]->n; i++) {
		a = t->v[2]->v[i];
		if (!cv_is(a, T_TUPLE, 2) || !cv_is(a->v[0], T_BIN, 0) ||
		    !cv_is(a->v[1], T_BIN, 0))
			return (NULL);
		if (strcmp(a->v[0]->s, "xmlns") == 0)
			ns = a->v[1]->s;
	}
	if ((n = xml_node_new(ns, t->v[1]->s)) == NULL)
		err(1, NULL);
	for (i = 0; i < t->v[2]->n; i++) {
		k = t->v[2]->v[i]->v[0];
		a = t->v[2]->v[i]->v[1];
		if (strcmp(k->s, "xmlns") == 0 ||
		    strncmp(k->s, "xmlns:", 6) == 0)
			continue;
		if (strncmp(k->s, "xml:", 4) == 0) {
			if (xml_set_attr_ns(n, NS_XML, k->s + 4, a->s) == -1)
				err(1, NULL);
		} else if (strchr(k->s, ':') == NULL &&
		    xml_set_attr(n, k->s, a->s) == -1)
			err(1, NULL);
	}
	for (i = 0; i < t->v[3]->n; i++) {
		a = t->v[3]->v[i];
		if (cv_is(a, T_TUPLE, 2) && cv_is(a->v[0], T_ATOM, 0) &&
		    strcmp(a->v[0]->s, "xmlcdata") == 0 &&
		    cv_is(a->v[1], T_BIN, 0)) {
			if (xml_add_text(n, a->v[1]->s, a->v[1]->len) == -1)
				err(1, NULL);
			continue;
		}
		if ((c = cv_xmlel(a, ns, depth + 1)) == NULL) {
			xml_node_free(n);
			return (NULL);
		}
		xml_append(n, c);
	}
	return (n);
}

static struct cv_arch *
cv_arch_get(struct cv_ctx *ctx, const char *jid)
{
	struct cv_arch	*a, key;

	(void)strlcpy(key.jid, jid, sizeof(key.jid));
	if ((a = RB_FIND(cv_archs, &ctx->archs, &key)) != NULL)
		return (a);
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->archive = xml_node_new(NS_PIE_MAM, "archive")) == NULL)
		err(1, NULL);
	(void)strlcpy(a->jid, jid, sizeof(a->jid));
	RB_INSERT(cv_archs, &ctx->archs, a);
	return (a);
}

/*
 * Mnesia dumps a table in its own order: each user's archive is put in
 * time order here, where ids (the time) are still in reach.
 */
static void
cv_arch_add(struct cv_arch *a, struct xml_node *res, int64_t when)
{
	struct xml_node	*p;
	const char	*id;

	TAILQ_FOREACH_REVERSE(p, &a->archive->children, xml_node_list_head,
	    entry)
		if ((id = xml_get_attr(p, "id")) != NULL &&
		    strtoll(id, NULL, 10) <= when)
			break;
	if (p == NULL) {
		res->parent = a->archive;
		TAILQ_INSERT_HEAD(&a->archive->children, res, entry);
	} else if (TAILQ_NEXT(p, entry) == NULL)
		xml_append(a->archive, res);
	else {
		res->parent = a->archive;
		TAILQ_INSERT_AFTER(&a->archive->children, p, res, entry);
	}
	a->n++;
}

static void
cv_note(struct cv_ctx *ctx, const char *file, int line, const char *why)
{
	ctx->skipped++;
	printf("%s:%d: %s\n", file, line, why);
}

/*
 * {archive_msg, {User, Server}, Id, {Mega, Sec, Micro}, Peer, BarePeer,
 * Packet, Nick, Type}: its owner's bare JID in jid, its time, and its
 * message; NULL when it is not one (noted), or is the dump's header.
 */
static struct xml_node *
cv_record_msg(struct cv_ctx *ctx, const struct cv_term *t, int line,
    char *jid, size_t jidlen, int64_t *whenp)
{
	struct xml_node	*msg;
	struct cv_term	*us, *ts;
	struct jid	 j;

	if (cv_is(t, T_TUPLE, 2) && cv_is(t->v[0], T_ATOM, 0) &&
	    strcmp(t->v[0]->s, "tables") == 0)
		return (NULL);		/* the dump's header */
	if (!cv_is(t, T_TUPLE, 9) || !cv_is(t->v[0], T_ATOM, 0) ||
	    strcmp(t->v[0]->s, "archive_msg") != 0) {
		cv_note(ctx, ctx->dump, line, "skipped: not an archive_msg "
		    "record");
		return (NULL);
	}
	us = t->v[1];
	ts = t->v[3];
	if (!cv_is(us, T_TUPLE, 2) || !cv_is(us->v[0], T_BIN, 0) ||
	    !cv_is(us->v[1], T_BIN, 0) || !cv_is(ts, T_TUPLE, 3) ||
	    !cv_is(ts->v[0], T_INT, 0) || !cv_is(ts->v[1], T_INT, 0) ||
	    !cv_is(ts->v[2], T_INT, 0) || ts->v[0]->i < 0 ||
	    ts->v[0]->i > 100000 || ts->v[1]->i < 0 ||
	    ts->v[1]->i >= 1000000 || ts->v[2]->i < 0 ||
	    ts->v[2]->i >= 1000000 ||
	    (size_t)snprintf(jid, jidlen, "%s@%s", us->v[0]->s,
	    us->v[1]->s) >= jidlen || jid_parse(jid, &j) == -1 ||
	    j.resource[0] != '\0') {
		cv_note(ctx, ctx->dump, line, "skipped: an archived message "
		    "without its user or time");
		return (NULL);
	}
	(void)jid_bare(&j, jid, jidlen);
	if ((msg = cv_xmlel(t->v[6], NS_CLIENT, 0)) == NULL ||
	    !xml_is(msg, NS_CLIENT, "message")) {
		xml_node_free(msg);
		cv_note(ctx, ctx->dump, line, "skipped: its packet is not a "
		    "message");
		return (NULL);
	}
	*whenp = ((int64_t)ts->v[0]->i * 1000000 + ts->v[1]->i) * 1000000 +
	    ts->v[2]->i;
	return (msg);
}

/* An archive_msg record: a <result/> in the archive of User@Server. */
static void
cv_record(struct cv_ctx *ctx, const struct cv_term *t, int line)
{
	struct xml_node	*msg, *res, *fwd, *d;
	struct xml_buf	 b;
	char		 jid[CONF_JIDLEN], stamp[64], id[32];
	int64_t		 when;

	if ((msg = cv_record_msg(ctx, t, line, jid, sizeof(jid), &when)) ==
	    NULL)
		return;
	mam_stamp(when, stamp, sizeof(stamp));
	(void)snprintf(id, sizeof(id), "%lld", (long long)when);
	if ((res = xml_node_new(NS_MAM2, "result")) == NULL ||
	    xml_set_attr(res, "id", id) == -1 ||
	    (fwd = xml_add_child(res, NS_FWD, "forwarded")) == NULL ||
	    (d = xml_add_child(fwd, NS_DELAY_, "delay")) == NULL ||
	    xml_set_attr(d, "stamp", stamp) == -1)
		err(1, NULL);
	xml_append(fwd, msg);
	/* What the format cannot carry is said now, not at import. */
	xml_buf_init(&b, PIE_REC_MAX);
	if (xml_serialize(res, NS_PIE_MAM, &b) == -1) {
		xml_buf_free(&b);
		xml_node_free(res);
		cv_note(ctx, ctx->dump, line, "skipped: an archived message "
		    "too big, or not XML characters");
		return;
	}
	xml_buf_free(&b);
	cv_arch_add(cv_arch_get(ctx, jid), res, when);
	ctx->narch++;
}

/* Each record of the dump file to fn; exits when it cannot be read. */
static void
cv_dump_read(struct cv_ctx *ctx, const char *file,
    void (*fn)(struct cv_ctx *, const struct cv_term *, int))
{
	struct cv_reader	 r;
	struct cv_term		*t;
	int			 rv, line;

	memset(&r, 0, sizeof(r));
	ctx->dump = r.file = file;
	r.line = 1;
	if ((r.f = fopen(file, "r")) == NULL)
		err(1, "%s", file);
	while ((rv = cv_next(&r, &t, &line)) == 1) {
		fn(ctx, t, line);
		cv_term_free(t);
	}
	if (rv == -1)
		errx(1, "%s; nothing written", r.err);
	(void)fclose(r.f);
}

/* The export */

static void
cv_stop(struct cv_ctx *ctx, const char *why)
{
	xmlread_stop(&ctx->xr, why);
}

static void
cv_write(struct cv_ctx *ctx, const char *s, size_t len)
{
	if (ctx->out != NULL && fwrite(s, 1, len, ctx->out) != len)
		err(1, "write");
}

/* Replace the text of n with s. */
static void
cv_set_text(struct xml_node *n, const char *s)
{
	struct xml_node	*c;

	while ((c = TAILQ_FIRST(&n->children)) != NULL) {
		xml_unlink(c);
		xml_node_free(c);
	}
	if (xml_add_text(n, s, strlen(s)) == -1)
		err(1, NULL);
}

/*
 * ejabberd 23.01 writes the base64 of the base64 of each key and salt
 * (the form its Mnesia table keeps them in, encoded again).  Keys of the
 * right length once decoded are left alone; keys of the right length
 * only when decoded twice make all three decoded once.
 */
static void
cv_scram(struct xml_node *c)
{
	static const char *const names[] = { "salt", "stored-key",
	    "server-key" };
	struct xml_node	*k;
	uint8_t		 once[3][256], twice[256];
	const char	*mech = xml_get_attr(c, "mechanism");
	char		*t;
	size_t		 hl, i;
	int		 l[3];

	if (mech != NULL && strcmp(mech, "SCRAM-SHA-1") == 0)
		hl = scram_hashlen(SCRAM_SHA1);
	else if (mech != NULL && strcmp(mech, "SCRAM-SHA-256") == 0)
		hl = scram_hashlen(SCRAM_SHA256);
	else
		return;
	for (i = 0; i < nitems(names); i++) {
		if ((t = xml_child_text(c, NS_PIE_SCRAM, names[i])) == NULL)
			return;
		l[i] = base64_decode(t, strlen(t), once[i],
		    sizeof(once[i]) - 1);
		free(t);
		if (l[i] <= 0)
			return;
		once[i][l[i]] = '\0';
		if (base64_decode((char *)once[i], l[i], twice,
		    sizeof(twice)) <= 0 || memchr(once[i], '\0', l[i]) != NULL)
			return;
	}
	if ((size_t)l[1] == hl || (size_t)base64_decode((char *)once[1], l[1],
	    twice, sizeof(twice)) != hl)
		return;
	for (i = 0; i < nitems(names); i++)
		if ((k = xml_find_child(c, NS_PIE_SCRAM, names[i])) != NULL)
			cv_set_text(k, (char *)once[i]);
}

/* Offline messages without the ids of ejabberd's archive. */
static void
cv_offline(struct xml_node *off, const char *jid)
{
	struct xml_node	*m, *c, *next;
	const char	*by;

	TAILQ_FOREACH(m, &off->children, entry)
		for (c = TAILQ_FIRST(&m->children); c != NULL; c = next) {
			next = TAILQ_NEXT(c, entry);
			if (xml_is(c, NS_MAM_TMP, "archived") ||
			    (xml_is(c, NS_SID, "stanza-id") &&
			    (by = xml_get_attr(c, "by")) != NULL &&
			    strcmp(by, jid) == 0)) {
				xml_unlink(c);
				xml_node_free(c);
			}
		}
}

/*
 * Prosody's XEP-0227 store: a file user@domain.xml per user, holding
 * that user alone.  A bare JID names no directory: a localpart has no
 * slash, and the name holds an at sign.
 */
static void
cv_user_file(struct cv_ctx *ctx, const char *jid, struct xml_buf *u)
{
	struct xml_buf	 b;
	char		 name[CONF_JIDLEN + 8];
	int		 fd;

	if (jid[0] == '\0') {
		cv_stop(ctx, "a user whose name is not a valid localpart");
		return;
	}
	if (ctx->dry)
		return;
	(void)snprintf(name, sizeof(name), "%s.xml", jid);
	if ((fd = openat(ctx->dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW, 0600)) == -1)
		err(1, "%s", name);
	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, "<?xml version='1.0' encoding='UTF-8'?>\n"
	    "<server-data xmlns='urn:xmpp:pie:0'>\n<host jid='") == -1 ||
	    xml_buf_escape(&b, ctx->host, strlen(ctx->host), 1) == -1 ||
	    xml_buf_addstr(&b, "'>\n") == -1 ||
	    xml_buf_add(&b, u->data, u->len) == -1 ||
	    xml_buf_addstr(&b, "</host>\n</server-data>\n") == -1)
		err(1, NULL);
	if (write(fd, b.data, b.len) != (ssize_t)b.len || close(fd) == -1)
		err(1, "%s", name);
	xml_buf_free(&b);
}

/* The user's offline messages in Prosody's data directory join it. */
static void
cv_prosody_offline(struct cv_ctx *ctx, struct xml_node *u,
    const char *local, const char *jid)
{
	struct xml_node	*off;
	char		 why[512];
	int		 n, made = 0;

	if ((off = xml_find_child(u, NS_PIE, "offline-messages")) == NULL) {
		if ((off = xml_node_new(NS_PIE, "offline-messages")) == NULL)
			err(1, NULL);
		made = 1;
	}
	n = convert_lua_offline(ctx->datadir, ctx->host, local, off, why,
	    sizeof(why));
	if (n == -1)
		xmlread_abort(&ctx->xr, why);
	if (n <= 0) {
		if (made)
			xml_node_free(off);
		return;
	}
	/* Prosody's own archive ids, which mean nothing here. */
	cv_offline(off, jid);
	if (made)
		xml_append(u, off);
	ctx->noffline += n;
}

static void
cv_user(struct cv_ctx *ctx, struct xml_node *u)
{
	struct cv_arch	*a, key;
	struct xml_node	*c;
	struct xml_buf	 b;
	struct jid	 j;
	const char	*name = xml_get_attr(u, "name");

	/* The user's bare JID, or "": a name with a slash is not one. */
	if (name == NULL || (size_t)snprintf(key.jid, sizeof(key.jid),
	    "%s@%s", name, ctx->host) >= sizeof(key.jid) ||
	    jid_parse(key.jid, &j) == -1 || j.local[0] == '\0' ||
	    j.resource[0] != '\0' || strcmp(j.domain, ctx->host) != 0)
		key.jid[0] = '\0';
	else
		(void)jid_bare(&j, key.jid, sizeof(key.jid));
	TAILQ_FOREACH(c, &u->children, entry) {
		if (!ctx->ejabberd)
			break;
		if (xml_is(c, NS_PIE_SCRAM, "scram-credentials"))
			cv_scram(c);
		else if (xml_is(c, NS_PIE, "offline-messages"))
			cv_offline(c, key.jid);
	}
	if (ctx->datadir != NULL && key.jid[0] != '\0')
		cv_prosody_offline(ctx, u, j.local, key.jid);
	if ((a = RB_FIND(cv_archs, &ctx->archs, &key)) != NULL &&
	    !a->used) {
		xml_append(u, a->archive);
		a->archive = NULL;
		a->used = 1;
	}
	xml_buf_init(&b, 0);
	if (xml_serialize(u, NS_PIE, &b) == -1 ||
	    xml_buf_add(&b, "\n", 1) == -1) {
		xml_buf_free(&b);
		cv_stop(ctx, "a user that cannot be written again");
		return;
	}
	if (ctx->dirfd != -1 || ctx->dry)
		cv_user_file(ctx, key.jid, &b);
	else
		cv_write(ctx, b.data, b.len);
	xml_buf_free(&b);
	ctx->users++;
}

static void
cv_host(struct cv_ctx *ctx, const char **attrs)
{
	struct xml_buf	 b;
	int		 i;

	for (i = 0; attrs[i] != NULL; i += 2)
		if (strcmp(attrs[i], "jid") == 0)
			break;
	if (attrs[i] == NULL || strlcpy(ctx->host, attrs[i + 1],
	    sizeof(ctx->host)) >= sizeof(ctx->host) ||
	    jid_prep_domain(ctx->host, sizeof(ctx->host)) == -1) {
		cv_stop(ctx, "a host without a domain name");
		return;
	}
	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, "<host jid='") == -1 ||
	    xml_buf_escape(&b, ctx->host, strlen(ctx->host), 1) == -1 ||
	    xml_buf_addstr(&b, "'>\n") == -1)
		err(1, NULL);
	cv_write(ctx, b.data, b.len);
	xml_buf_free(&b);
	ctx->in_host = 1;
}

static int
cv_host_depth(struct cv_ctx *ctx)
{
	return (ctx->root_host ? 1 : 2);
}

/* A container: the root, or a host.  0 when it is not one. */
static int
cv_container(struct cv_ctx *ctx, const char *ns, const char *name,
    const char **attrs)
{
	int	 pie = strcmp(ns, NS_PIE) == 0;

	if (ctx->depth == 1) {
		if (pie && strcmp(name, "host") == 0) {
			ctx->root_host = 1;
			cv_host(ctx, attrs);
		} else if (!pie || strcmp(name, "server-data") != 0)
			cv_stop(ctx, ctx->ejabberd ? "not an export of "
			    "ejabberd (urn:xmpp:pie:0)" :
			    "not a XEP-0227 file (urn:xmpp:pie:0)");
		return (1);
	}
	if (ctx->depth == 2 && !ctx->root_host && pie &&
	    strcmp(name, "host") == 0) {
		cv_host(ctx, attrs);
		return (1);
	}
	return (0);
}

static void
cv_start(void *arg, const char *qname, const char **attrs)
{
	struct cv_ctx	*ctx = ((struct xmlread *)arg)->arg;
	struct xml_node	*n;
	const char	*name;
	char		 ns[1024];

	xmlread_event(&ctx->xr);
	if (++ctx->depth > CV_DEPTH_MAX) {
		cv_stop(ctx, "elements nested too deep");
		return;
	}
	if ((name = xmlread_split(qname, ns, sizeof(ns))) == NULL) {
		cv_stop(ctx, "a namespace too long");
		return;
	}
	if (ctx->tree == NULL) {
		if (cv_container(ctx, ns, name, attrs))
			return;
		ctx->tree_start = xmlread_offset(&ctx->xr);
	} else if (xmlread_offset(&ctx->xr) - ctx->tree_start >
	    PIE_USER_MAX) {
		cv_stop(ctx, "a user too big");
		return;
	}
	if ((n = xmlread_node(&ctx->xr, ns, name, attrs)) == NULL)
		return;
	if (ctx->tree == NULL)
		ctx->tree = n;
	else
		xml_append(ctx->cur, n);
	ctx->cur = n;
}

static void
cv_end(void *arg, const char *qname)
{
	struct cv_ctx	*ctx = ((struct xmlread *)arg)->arg;
	struct xml_node	*n;
	int		 depth = ctx->depth--;

	(void)qname;
	xmlread_event(&ctx->xr);
	if (ctx->tree == NULL) {
		if (depth == cv_host_depth(ctx) && ctx->in_host) {
			cv_write(ctx, "</host>\n", 8);
			ctx->in_host = 0;
		}
		return;
	}
	if ((n = ctx->cur) != ctx->tree) {
		ctx->cur = n->parent;
		return;
	}
	ctx->tree = ctx->cur = NULL;
	if (ctx->in_host && depth == cv_host_depth(ctx) + 1 &&
	    xml_is(n, NS_PIE, "user"))
		cv_user(ctx, n);
	else
		printf("%s:%lu: <%s/> skipped: not understood%s\n", ctx->pie,
		    (unsigned long)xmlread_line(&ctx->xr), n->name,
		    strcmp(n->name, "include") == 0 ?
		    " (name the host's file itself)" : "");
	xml_node_free(n);
}

static void
cv_chars(void *arg, const char *s, int len)
{
	struct cv_ctx	*ctx = ((struct xmlread *)arg)->arg;

	xmlread_event(&ctx->xr);
	if (ctx->cur == NULL)
		return;
	if (xmlread_offset(&ctx->xr) - ctx->tree_start >
	    PIE_USER_MAX) {
		cv_stop(ctx, "a user too big");
		return;
	}
	if (xml_add_text(ctx->cur, s, len) == -1)
		err(1, NULL);
}

static int
cv_export_read(struct cv_ctx *ctx, FILE *f)
{
	int	 rv;

	ctx->xr.file = ctx->pie;
	ctx->xr.arg = ctx;
	rv = xmlread_run(&ctx->xr, f, cv_start, cv_end, cv_chars);
	xml_node_free(ctx->tree);
	ctx->tree = ctx->cur = NULL;
	return (rv);
}

/*
 * Read ctx->pie and write its users to out, made with mode 0600 and
 * never an existing file: one XEP-0227 file, or nothing and an exit.
 */
static void
cv_one_file(struct cv_ctx *ctx, const char *out)
{
	static const char	 head[] = "<?xml version='1.0' encoding='UTF-8'?>"
	    "\n<server-data xmlns='urn:xmpp:pie:0'>\n";
	FILE			*f;
	int			 fd;

	if ((f = fopen(ctx->pie, "r")) == NULL)
		err(1, "%s", ctx->pie);
	if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		err(1, "%s", out);
	if ((ctx->out = fdopen(fd, "w")) == NULL)
		err(1, "%s", out);
	cv_write(ctx, head, sizeof(head) - 1);
	if (cv_export_read(ctx, f) == -1 || ctx->users == 0) {
		(void)unlink(out);
		if (!ctx->xr.failed)
			errx(1, "%s: no user in the file; nothing written",
			    ctx->pie);
		errx(1, "%s; nothing written", ctx->xr.err);
	}
	(void)fclose(f);
	cv_write(ctx, "</server-data>\n", 15);
	if (fclose(ctx->out) == EOF) {
		(void)unlink(out);
		err(1, "%s", out);
	}
}

/*
 * Read the export pie (a host file, or a server-data file holding
 * hosts) and the archive dump (or NULL), write the file out (made, mode
 * 0600; never an existing file).  Exits on what it cannot read, with
 * nothing written.
 */
int
convert_ejabberd(const char *pie, const char *dump, const char *out)
{
	struct cv_ctx		 ctx;
	struct cv_arch		*a, *next;

	memset(&ctx, 0, sizeof(ctx));
	RB_INIT(&ctx.archs);
	ctx.pie = pie;
	ctx.dump = dump;
	ctx.dirfd = -1;
	ctx.ejabberd = 1;
	if (dump != NULL)
		cv_dump_read(&ctx, dump, cv_record);
	cv_one_file(&ctx, out);
	for (a = RB_MIN(cv_archs, &ctx.archs); a != NULL; a = next) {
		next = RB_NEXT(cv_archs, &ctx.archs, a);
		if (!a->used) {
			ctx.narch -= a->n;
			printf("%s: %d archived messages of %s skipped: no such "
			    "user in %s\n", dump, a->n, a->jid, pie);
		}
		RB_REMOVE(cv_archs, &ctx.archs, a);
		xml_node_free(a->archive);
		free(a);
	}
	printf("%s: %d users, %d archived messages written; %d records "
	    "skipped\n", out, ctx.users, ctx.narch, ctx.skipped);
	return (0);
}

/*
 * Write each user of the XEP-0227 file pie to a file of its own in dir,
 * as Prosody's XEP-0227 store (prosody-migrator) reads them.  The file
 * is read whole first: one that cannot be makes nothing written.
 */
int
convert_prosody(const char *pie, const char *dir)
{
	struct cv_ctx	 ctx;
	FILE		*f;
	int		 pass, n = 0;

	for (pass = 0; pass < 2; pass++) {
		memset(&ctx, 0, sizeof(ctx));
		RB_INIT(&ctx.archs);
		ctx.pie = pie;
		ctx.dirfd = -1;
		ctx.dry = pass == 0;
		if (!ctx.dry && (ctx.dirfd = open(dir, O_RDONLY | O_DIRECTORY)) ==
		    -1)
			err(1, "%s", dir);
		if ((f = fopen(pie, "r")) == NULL)
			err(1, "%s", pie);
		if (cv_export_read(&ctx, f) == -1)
			errx(1, "%s; %s", ctx.xr.err, ctx.dry ? "nothing written" :
			    "the file changed while it was read");
		if (ctx.users == 0)
			errx(1, "%s: no user in the file; nothing written", pie);
		if (!ctx.dry && ctx.users != n)
			errx(1, "%s: the file changed while it was read", pie);
		n = ctx.users;
		(void)fclose(f);
	}
	(void)close(ctx.dirfd);
	printf("%s: %d users written, a file each\n", dir, n);
	return (0);
}

/*
 * Write to out the XEP-0227 file pie (prosody-migrator's, of a user or
 * more) with each user's offline messages from Prosody's data directory
 * datadir, which its XEP-0227 store leaves out.  Nothing is written
 * unless every file is read whole.
 */
int
convert_prosody_offline(const char *pie, const char *datadir,
    const char *out)
{
	struct cv_ctx		 ctx;

	memset(&ctx, 0, sizeof(ctx));
	RB_INIT(&ctx.archs);
	ctx.pie = pie;
	ctx.dirfd = -1;
	ctx.datadir = datadir;
	cv_one_file(&ctx, out);
	printf("%s: %d users, %d offline messages written\n", out, ctx.users,
	    ctx.noffline);
	return (0);
}

/*
 * convert ejabberd-rooms: `ejabberdctl dump_table FILE muc_room`, one
 * {muc_room, {Name, Service}, Opts} record a room, made into the rooms
 * xmppctl muc import reads.  Each room's settings become the
 * muc#roomconfig form an owner would submit, for mucd to check as it
 * checks a client's; its affiliations become items, its subject a
 * <subject/>.  With the archive_msg dump too, the room's archive (its
 * records of type groupchat, owned by the room) follows the room in
 * <archive/> parts that each fit a request, in time order, each message
 * with its id, time, nick and sender's bare JID.
 */

#define CV_ROOM_PART	(MUC_IMPORT_MAX - 1024)	/* an <archive/>'s messages */

/* What each of ejabberd's options is in the form. */
enum { RO_TEXT, RO_BOOL, RO_NOT, RO_INT, RO_PM };

static const struct {
	const char	*opt;
	const char	*var;		/* after muc#roomconfig_ */
	int		 kind;
} cv_room_opts[] = {
	{ "title",		"roomname",		RO_TEXT },
	{ "description",	"roomdesc",		RO_TEXT },
	{ "lang",		"lang",			RO_TEXT },
	{ "persistent",		"persistentroom",	RO_BOOL },
	{ "public",		"publicroom",		RO_BOOL },
	{ "members_only",	"membersonly",		RO_BOOL },
	{ "moderated",		"moderatedroom",	RO_BOOL },
	{ "max_users",		"maxusers",		RO_INT },
	{ "anonymous",		"whois",		RO_NOT },
	{ "allow_user_invites",	"allowinvites",		RO_BOOL },
	{ "allowpm",		"allowpm",		RO_PM },
	{ "allow_private_messages", "allowpm",		RO_PM },
	{ "allow_change_subj",	"changesubject",	RO_BOOL },
	/* ejabberd's own "logging" writes files; mam is its archive. */
	{ "mam",		"enablelogging",	RO_BOOL },
	{ "password_protected",	"passwordprotectedroom", RO_BOOL },
	{ "password",		"roomsecret",		RO_TEXT },
};

/* The value of {Key, Value} in the list opts, or NULL. */
static const struct cv_term *
cv_room_opt(const struct cv_term *opts, const char *key)
{
	size_t	 i;

	for (i = 0; i < opts->n; i++)
		if (cv_is(opts->v[i], T_TUPLE, 2) &&
		    cv_is(opts->v[i]->v[0], T_ATOM, 0) &&
		    strcmp(opts->v[i]->v[0]->s, key) == 0)
			return (opts->v[i]->v[1]);
	return (NULL);
}

static int
cv_room_bool(const struct cv_term *t)
{
	if (cv_is(t, T_ATOM, 0) && strcmp(t->s, "true") == 0)
		return (1);
	if (cv_is(t, T_ATOM, 0) && strcmp(t->s, "false") == 0)
		return (0);
	return (-1);
}

static void
cv_room_field(struct xml_node *x, const char *var, const char *value)
{
	struct xml_node	*f, *v;

	if ((f = xml_add_child(x, NULL, "field")) == NULL ||
	    xml_set_attr(f, "var", var) == -1 ||
	    (v = xml_add_child(f, NULL, "value")) == NULL ||
	    xml_add_text(v, value, strlen(value)) == -1)
		err(1, NULL);
}

/* One option's value as the form's, or NULL when it cannot be one. */
static const char *
cv_room_value(int kind, const struct cv_term *t, char *num, size_t len)
{
	int	 b = cv_room_bool(t);

	switch (kind) {
	case RO_TEXT:
		return (cv_is(t, T_BIN, 0) && strlen(t->s) == t->len ?
		    t->s : NULL);
	case RO_BOOL:
		return (b == -1 ? NULL : b ? "1" : "0");
	case RO_NOT:
		return (b == -1 ? NULL : b ? "moderators" : "anyone");
	case RO_INT:
		if (!cv_is(t, T_INT, 0) || t->i < 0 || t->i > INT_MAX)
			return (NULL);
		(void)snprintf(num, len, "%lld", t->i);
		return (num);
	}
	if (b != -1)
		return (b ? "anyone" : "none");
	if (cv_is(t, T_ATOM, 0) && (strcmp(t->s, "anyone") == 0 ||
	    strcmp(t->s, "participants") == 0 ||
	    strcmp(t->s, "moderators") == 0 || strcmp(t->s, "none") == 0))
		return (t->s);
	return (NULL);
}

/* The form of the room's options; NULL and why when it cannot be made. */
static struct xml_node *
cv_room_form(const struct cv_term *opts, const char **why)
{
	const struct cv_term	*t;
	struct xml_node		*x;
	const char		*v;
	char			 var[64], num[32];
	size_t			 i;
	int			 pm = 0, pw = 0;

	if ((x = xml_node_new(NS_DATA, "x")) == NULL ||
	    xml_set_attr(x, "type", "submit") == -1)
		err(1, NULL);
	cv_room_field(x, "FORM_TYPE",
	    "http://jabber.org/protocol/muc#roomconfig");
	if ((t = cv_room_opt(opts, "password_protected")) != NULL)
		pw = cv_room_bool(t) == 1;
	for (i = 0; i < nitems(cv_room_opts); i++) {
		if ((t = cv_room_opt(opts, cv_room_opts[i].opt)) == NULL)
			continue;
		/* allowpm is the newer of two names. */
		if (strcmp(cv_room_opts[i].var, "allowpm") == 0 && pm++)
			continue;
		if (strcmp(cv_room_opts[i].opt, "password") == 0 && !pw)
			continue;
		if ((v = cv_room_value(cv_room_opts[i].kind, t, num,
		    sizeof(num))) == NULL) {
			*why = cv_room_opts[i].opt;
			xml_node_free(x);
			return (NULL);
		}
		(void)snprintf(var, sizeof(var), "muc#roomconfig_%s",
		    cv_room_opts[i].var);
		cv_room_field(x, var, v);
	}
	return (x);
}

/*
 * {{User, Server, Resource}, {Affiliation, Reason}} (or Affiliation
 * alone): an item.  The JID is written as ejabberd has it, for mucd to
 * check; a record that is not one skips the room.
 */
static int
cv_room_aff(struct xml_node *room, const struct cv_term *a)
{
	const struct cv_term	*u, *aff;
	struct xml_node		*it;
	char			 jid[CONF_JIDLEN];

	if (!cv_is(a, T_TUPLE, 2) || !cv_is(a->v[0], T_TUPLE, 3))
		return (-1);
	u = a->v[0];
	aff = cv_is(a->v[1], T_TUPLE, 2) ? a->v[1]->v[0] : a->v[1];
	if (!cv_is(u->v[0], T_BIN, 0) || !cv_is(u->v[1], T_BIN, 0) ||
	    !cv_is(aff, T_ATOM, 0) || strlen(u->v[0]->s) != u->v[0]->len ||
	    strlen(u->v[1]->s) != u->v[1]->len)
		return (-1);
	if (strcmp(aff->s, "none") == 0)
		return (0);
	if ((size_t)snprintf(jid, sizeof(jid), "%s%s%s", u->v[0]->s,
	    u->v[0]->s[0] != '\0' ? "@" : "", u->v[1]->s) >= sizeof(jid))
		return (-1);
	if ((it = xml_add_child(room, NULL, "item")) == NULL ||
	    xml_set_attr(it, "jid", jid) == -1 ||
	    xml_set_attr(it, "affiliation", aff->s) == -1)
		err(1, NULL);
	return (0);
}

/*
 * {subject, [{text, Lang, Text}]} (a binary before ejabberd 21) and
 * {subject_author, Nick} (or {Nick, JID}): <subject by=''/>, none when
 * it is empty; -1 when it is not one.
 */
static int
cv_room_subject(struct xml_node *room, const struct cv_term *opts)
{
	const struct cv_term	*s, *a, *t = NULL, *e;
	struct xml_node		*n;
	size_t			 i;

	if ((s = cv_room_opt(opts, "subject")) == NULL)
		return (0);
	if (cv_is(s, T_BIN, 0))
		t = s;
	else if (cv_is(s, T_LIST, 0)) {
		for (i = 0; i < s->n; i++) {
			e = s->v[i];
			if (!cv_is(e, T_TUPLE, 3) || !cv_is(e->v[0], T_ATOM,
			    0) || strcmp(e->v[0]->s, "text") != 0 ||
			    !cv_is(e->v[1], T_BIN, 0) || !cv_is(e->v[2], T_BIN,
			    0))
				return (-1);
			/* The one of no language, else the first. */
			if (t == NULL || e->v[1]->len == 0)
				t = e->v[2];
		}
	} else if (!cv_is(s, T_STR, 0) || s->len != 0)
		return (-1);
	if (t == NULL || t->len == 0)
		return (0);
	if ((a = cv_room_opt(opts, "subject_author")) != NULL &&
	    cv_is(a, T_TUPLE, 2))
		a = a->v[0];
	if (strlen(t->s) != t->len || (a != NULL && (!cv_is(a, T_BIN, 0) ||
	    strlen(a->s) != a->len)))
		return (-1);
	if ((n = xml_add_child(room, NULL, "subject")) == NULL ||
	    (a != NULL && a->len > 0 && xml_set_attr(n, "by", a->s) == -1) ||
	    xml_add_text(n, t->s, t->len) == -1)
		err(1, NULL);
	return (0);
}

/*
 * An archive_msg record of a room (type groupchat, the room its owner):
 * a <msg/> in the room's archive; a user's record is not this file's.
 */
static void
cv_room_record(struct cv_ctx *ctx, const struct cv_term *t, int line)
{
	struct xml_node	*msg, *m;
	const struct cv_term *bp, *nick;
	char		 jid[CONF_JIDLEN], from[CONF_JIDLEN], stamp[64];
	char		 id[32];
	int64_t		 when;

	if (cv_is(t, T_TUPLE, 9) && (!cv_is(t->v[8], T_ATOM, 0) ||
	    strcmp(t->v[8]->s, "groupchat") != 0))
		return;
	if ((msg = cv_record_msg(ctx, t, line, jid, sizeof(jid), &when)) ==
	    NULL)
		return;
	bp = t->v[5];
	nick = t->v[7];
	if (!cv_is(nick, T_BIN, 0) || nick->len == 0 ||
	    strlen(nick->s) != nick->len || !cv_is(bp, T_TUPLE, 3) ||
	    !cv_is(bp->v[0], T_BIN, 0) || !cv_is(bp->v[1], T_BIN, 0) ||
	    bp->v[0]->len == 0 || strlen(bp->v[0]->s) != bp->v[0]->len ||
	    strlen(bp->v[1]->s) != bp->v[1]->len ||
	    (size_t)snprintf(from, sizeof(from), "%s@%s", bp->v[0]->s,
	    bp->v[1]->s) >= sizeof(from)) {
		xml_node_free(msg);
		cv_note(ctx, ctx->dump, line, "skipped: a room's message "
		    "without its sender's nick or JID");
		return;
	}
	mam_stamp(when, stamp, sizeof(stamp));
	(void)snprintf(id, sizeof(id), "%lld", (long long)when);
	if ((m = xml_node_new(NS_MUC_IMPORT, "msg")) == NULL ||
	    xml_set_attr(m, "id", id) == -1 ||
	    xml_set_attr(m, "stamp", stamp) == -1 ||
	    xml_set_attr(m, "nick", nick->s) == -1 ||
	    xml_set_attr(m, "jid", from) == -1)
		err(1, NULL);
	xml_append(m, msg);
	cv_arch_add(cv_arch_get(ctx, jid), m, when);
}

/* The room's archive after it, in parts that each fit a request. */
static void
cv_room_archive(struct cv_ctx *ctx, struct xml_node *rooms,
    const char *jid)
{
	struct cv_arch	*a, key;
	struct xml_node	*part = NULL, *m;
	struct xml_buf	 b;
	size_t		 len = 0;

	(void)strlcpy(key.jid, jid, sizeof(key.jid));
	if ((a = RB_FIND(cv_archs, &ctx->archs, &key)) == NULL)
		return;
	a->used = 1;
	while ((m = TAILQ_FIRST(&a->archive->children)) != NULL) {
		xml_unlink(m);
		xml_buf_init(&b, CV_ROOM_PART);
		if (xml_serialize(m, NS_MUC_IMPORT, &b) == -1) {
			xml_buf_free(&b);
			xml_node_free(m);
			printf("%s: a message of %s skipped: too big, or not "
			    "XML characters\n", ctx->dump, jid);
			ctx->skipped++;
			continue;
		}
		if (part == NULL || len + b.len > CV_ROOM_PART) {
			if ((part = xml_add_child(rooms, NULL, "archive")) ==
			    NULL || xml_set_attr(part, "room", jid) == -1)
				err(1, NULL);
			len = 0;
		}
		len += b.len;
		xml_buf_free(&b);
		xml_append(part, m);
		ctx->narch++;
	}
}

/* A record of the dump: its room added to rooms, or a note. */
static void
cv_room(struct cv_ctx *ctx, struct xml_node *rooms, const struct cv_term *t,
    int line)
{
	const struct cv_term	*nh, *opts, *affs;
	struct xml_node		*room, *x;
	const char		*why = NULL;
	char			 jid[CONF_JIDLEN], note[CONF_JIDLEN + 64];
	size_t			 i;

	if (cv_is(t, T_TUPLE, 2) && cv_is(t->v[0], T_ATOM, 0) &&
	    strcmp(t->v[0]->s, "tables") == 0)
		return;
	if (!cv_is(t, T_TUPLE, 3) || !cv_is(t->v[0], T_ATOM, 0) ||
	    strcmp(t->v[0]->s, "muc_room") != 0 ||
	    !cv_is(nh = t->v[1], T_TUPLE, 2) || !cv_is(nh->v[0], T_BIN, 0) ||
	    !cv_is(nh->v[1], T_BIN, 0) || !cv_is(opts = t->v[2], T_LIST, 0) ||
	    strlen(nh->v[0]->s) != nh->v[0]->len ||
	    strlen(nh->v[1]->s) != nh->v[1]->len ||
	    (size_t)snprintf(jid, sizeof(jid), "%s@%s", nh->v[0]->s,
	    nh->v[1]->s) >= sizeof(jid)) {
		cv_note(ctx, ctx->dump, line, "skipped: not a muc_room record");
		return;
	}
	if (cv_room_bool(cv_room_opt(opts, "persistent")) != 1) {
		(void)snprintf(note, sizeof(note), "%s skipped: not persistent",
		    jid);
		cv_note(ctx, ctx->dump, line, note);
		return;
	}
	if ((x = cv_room_form(opts, &why)) == NULL) {
		(void)snprintf(note, sizeof(note), "%s skipped: its option %s "
		    "is not understood", jid, why);
		cv_note(ctx, ctx->dump, line, note);
		return;
	}
	if ((room = xml_node_new(NS_MUC_IMPORT, "room")) == NULL ||
	    xml_set_attr(room, "jid", jid) == -1)
		err(1, NULL);
	xml_append(room, x);
	if (cv_room_subject(room, opts) == -1) {
		xml_node_free(room);
		(void)snprintf(note, sizeof(note), "%s skipped: its subject "
		    "is not understood", jid);
		cv_note(ctx, ctx->dump, line, note);
		return;
	}
	affs = cv_room_opt(opts, "affiliations");
	for (i = 0; affs != NULL && i < affs->n; i++)
		if (!cv_is(affs, T_LIST, 0) || cv_room_aff(room, affs->v[i]) ==
		    -1) {
			xml_node_free(room);
			(void)snprintf(note, sizeof(note), "%s skipped: an "
			    "affiliation not understood", jid);
			cv_note(ctx, ctx->dump, line, note);
			return;
		}
	xml_append(rooms, room);
	ctx->users++;
	cv_room_archive(ctx, rooms, jid);
}

/*
 * Read dump (and arch) whole and write its persistent rooms (and their
 * archives) to out, made with mode 0600 and never an existing file;
 * nothing when a dump cannot be read.
 */
int
convert_ejabberd_rooms(const char *dump, const char *arch, const char *out)
{
	struct cv_ctx		 ctx;
	struct cv_reader	 r;
	struct cv_term		*t;
	struct cv_arch		*a;
	struct xml_node		*rooms;
	struct xml_buf		 b;
	int			 rv, line, fd;

	memset(&ctx, 0, sizeof(ctx));
	RB_INIT(&ctx.archs);
	if (arch != NULL)
		cv_dump_read(&ctx, arch, cv_room_record);
	memset(&r, 0, sizeof(r));
	ctx.dump = r.file = dump;
	r.line = 1;
	if ((rooms = xml_node_new(NS_MUC_IMPORT, "rooms")) == NULL)
		err(1, NULL);
	if ((r.f = fopen(dump, "r")) == NULL)
		err(1, "%s", dump);
	while ((rv = cv_next(&r, &t, &line)) == 1) {
		cv_room(&ctx, rooms, t, line);
		cv_term_free(t);
	}
	if (rv == -1)
		errx(1, "%s; nothing written", r.err);
	(void)fclose(r.f);
	RB_FOREACH(a, cv_archs, &ctx.archs)
		if (!a->used) {
			printf("%s: the archive of %s skipped: not a "
			    "persistent room of %s\n", arch, a->jid, dump);
			ctx.skipped++;
		}
	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, "<?xml version='1.0' encoding='UTF-8'?>\n") ==
	    -1 || xml_serialize(rooms, NULL, &b) == -1 ||
	    xml_buf_add(&b, "\n", 1) == -1)
		errx(1, "%s: rooms that cannot be written (not XML "
		    "characters); nothing written", dump);
	xml_node_free(rooms);
	if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		err(1, "%s", out);
	if (write(fd, b.data, b.len) != (ssize_t)b.len || close(fd) == -1) {
		(void)unlink(out);
		err(1, "%s", out);
	}
	xml_buf_free(&b);
	printf("%s: %d rooms written; %d records skipped\n", out, ctx.users,
	    ctx.skipped);
	if (arch != NULL)
		printf("%s: %d archived messages written\n", out, ctx.narch);
	return (0);
}
