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
 * Prosody's offline messages, which its XEP-0227 store does not carry,
 * read from its data directory: DATADIR/HOST/offline/USER.list, names
 * encoded as its datamanager does, one item({...}); per message, the
 * table util.serialization writes of a stanza.  The file is hostile
 * input: it is parsed here as data (strings, numbers, booleans, tables),
 * never run, with bounds on its size, nesting and members.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "config.h"
#include "mam.h"
#include "msg.h"
#include "xml.h"
#include "convert.h"
#include "xmppctl.h"

#define LUA_FILE_MAX	(64 * 1024 * 1024)	/* one user's messages */
#define LUA_DEPTH_MAX	64
#define LUA_ITEM_MAX	(4 * PIE_REC_MAX)	/* text of one item */
#define LUA_ITEMS_MAX	4096		/* members of a table */
#define LUA_MSGS_MAX	10000		/* messages of a user */

enum lua_type { L_NIL, L_BOOL, L_NUM, L_STR, L_TABLE };

struct lua_val {
	int		  type;
	long long	  num;
	char		 *s;		/* NUL after; may hold NULs */
	size_t		  len;
	struct lua_val	**k, **v;	/* k[i] NULL: positional */
	size_t		  n;
};

struct lua_reader {
	const char	*file;
	const char	*p, *end;
	const char	*start;		/* of the current item */
	int		 line, depth;
	char		*err;
	size_t		 errlen;
};

static void
lua_free(struct lua_val *v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		lua_free(v->k[i]);
		lua_free(v->v[i]);
	}
	free(v->k);
	free(v->v);
	free(v->s);
	free(v);
}

static int
lua_fail(struct lua_reader *r, const char *why)
{
	if (r->err[0] == '\0')
		(void)snprintf(r->err, r->errlen, "%s:%d: %s", r->file, r->line,
		    why);
	return (-1);
}

/* The next character that is not blank, or -1 at the end. */
static int
lua_skip(struct lua_reader *r)
{
	for (; r->p < r->end; r->p++) {
		if (*r->p == '\n')
			r->line++;
		else if (*r->p != ' ' && *r->p != '\t' && *r->p != '\r')
			return ((unsigned char)*r->p);
	}
	return (-1);
}

static int
lua_word(struct lua_reader *r, const char *w)
{
	size_t	 n = strlen(w);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0 ||
	    ((size_t)(r->end - r->p) > n && (r->p[n] == '_' ||
	    (r->p[n] >= 'a' && r->p[n] <= 'z') ||
	    (r->p[n] >= 'A' && r->p[n] <= 'Z') ||
	    (r->p[n] >= '0' && r->p[n] <= '9'))))
		return (0);
	r->p += n;
	return (1);
}

static void
lua_put(struct lua_val *v, const char *s, size_t n)
{
	if ((v->s = realloc(v->s, v->len + n + 1)) == NULL)
		err(1, NULL);
	memcpy(v->s + v->len, s, n);
	v->len += n;
	v->s[v->len] = '\0';
}

/* A code point as UTF-8 (\u{...}). */
static int
lua_utf8(struct lua_val *v, unsigned long cp)
{
	char	 u[4];
	size_t	 n;

	if (cp > 0x10ffff || (n = convert_utf8(cp, u)) == 0)
		return (-1);
	lua_put(v, u, n);
	return (0);
}

/* After a backslash in a string. */
static int
lua_escape(struct lua_reader *r, struct lua_val *v)
{
	static const char	 from[] = "abfnrtv\\\"'\n", to[] =
	    "\a\b\f\n\r\t\v\\\"'\n";
	const char		*q;
	unsigned long		 cp = 0;
	char			 c;
	int			 i, d;

	if (r->p == r->end)
		return (-1);
	c = *r->p++;
	if (c != '\0' && (q = strchr(from, c)) != NULL) {
		if (c == '\n')
			r->line++;
		lua_put(v, &to[q - from], 1);
		return (0);
	}
	if (c >= '0' && c <= '9') {
		cp = c - '0';
		for (i = 0; i < 2 && r->p < r->end && *r->p >= '0' &&
		    *r->p <= '9'; i++)
			cp = cp * 10 + *r->p++ - '0';
		if (cp > 255)
			return (-1);
		c = cp;
		lua_put(v, &c, 1);
		return (0);
	}
	if (c == 'x') {
		if (r->end - r->p < 2 || (i = convert_hex(r->p[0])) == -1 ||
		    (d = convert_hex(r->p[1])) == -1)
			return (-1);
		r->p += 2;
		c = i * 16 + d;
		lua_put(v, &c, 1);
		return (0);
	}
	if (c == 'u' && r->p < r->end && *r->p == '{') {
		for (r->p++, i = 0; r->p < r->end && *r->p != '}'; r->p++, i++)
			if (i > 6 || (d = convert_hex(*r->p)) == -1)
				return (-1);
			else
				cp = cp * 16 + d;
		if (r->p == r->end || i == 0)
			return (-1);
		r->p++;
		return (lua_utf8(v, cp));
	}
	return (-1);
}

static int
lua_string(struct lua_reader *r, struct lua_val *v)
{
	char	 q = *r->p++;

	v->type = L_STR;
	lua_put(v, "", 0);
	while (r->p < r->end && *r->p != q) {
		if (*r->p == '\n')
			return (lua_fail(r, "a line feed in a string"));
		if (*r->p == '\\') {
			r->p++;
			if (lua_escape(r, v) == -1)
				return (lua_fail(r, "a bad escape in a string"));
		} else
			lua_put(v, r->p++, 1);
	}
	if (r->p == r->end)
		return (lua_fail(r, "the file ends inside a string"));
	r->p++;
	return (0);
}

static int
lua_number(struct lua_reader *r, struct lua_val *v)
{
	int	 neg = 0, digits = 0;

	v->type = L_NUM;
	if (*r->p == '-') {
		neg = 1;
		r->p++;
	}
	for (; r->p < r->end && *r->p >= '0' && *r->p <= '9'; r->p++) {
		if (v->num > (LLONG_MAX - 9) / 10)
			return (lua_fail(r, "a number too big"));
		v->num = v->num * 10 + *r->p - '0';
		digits++;
	}
	/* Fractions are skipped: no field kept here holds one. */
	if (digits > 0 && r->p < r->end && *r->p == '.')
		for (r->p++; r->p < r->end && *r->p >= '0' && *r->p <= '9';)
			r->p++;
	if (digits == 0)
		return (lua_fail(r, "not a number"));
	if (neg)
		v->num = -v->num;
	return (0);
}

static struct lua_val *lua_value(struct lua_reader *);

/* One member of a table: [k] = v, name = v, or v. */
static int
lua_field(struct lua_reader *r, struct lua_val *t)
{
	struct lua_val	*k = NULL, *v;
	const char	*s, *e;
	int		 c = lua_skip(r), line;

	if (c == '[') {
		r->p++;
		if ((k = lua_value(r)) == NULL)
			return (-1);
		if (lua_skip(r) != ']' || (r->p++, lua_skip(r)) != '=') {
			lua_free(k);
			return (lua_fail(r, "a bad table key"));
		}
		r->p++;
	} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '_') {
		for (s = r->p; r->p < r->end && (*r->p == '_' ||
		    (*r->p >= 'a' && *r->p <= 'z') ||
		    (*r->p >= 'A' && *r->p <= 'Z') ||
		    (*r->p >= '0' && *r->p <= '9')); r->p++)
			;
		e = r->p;
		line = r->line;
		if (lua_skip(r) == '=') {
			if ((k = calloc(1, sizeof(*k))) == NULL)
				err(1, NULL);
			k->type = L_STR;
			lua_put(k, s, e - s);
			r->p++;
		} else {
			r->p = s;	/* a value: true, false, nil */
			r->line = line;
		}
	}
	if ((v = lua_value(r)) == NULL) {
		lua_free(k);
		return (-1);
	}
	if ((t->k = reallocarray(t->k, t->n + 1, sizeof(*t->k))) == NULL ||
	    (t->v = reallocarray(t->v, t->n + 1, sizeof(*t->v))) == NULL)
		err(1, NULL);
	t->k[t->n] = k;
	t->v[t->n++] = v;
	return (0);
}

static int
lua_table(struct lua_reader *r, struct lua_val *t)
{
	int	 c;

	t->type = L_TABLE;
	r->p++;
	for (;;) {
		if ((c = lua_skip(r)) == '}') {
			r->p++;
			return (0);
		}
		if (c == -1)
			return (lua_fail(r, "the file ends inside a table"));
		if (t->n == LUA_ITEMS_MAX)
			return (lua_fail(r, "a table too long"));
		if (lua_field(r, t) == -1)
			return (-1);
		if ((c = lua_skip(r)) == ';' || c == ',')
			r->p++;
		else if (c != '}')
			return (lua_fail(r, "a bad table"));
	}
}

static struct lua_val *
lua_value(struct lua_reader *r)
{
	struct lua_val	*v;
	int		 c, rv;

	if (++r->depth > LUA_DEPTH_MAX) {
		(void)lua_fail(r, "tables nested too deep");
		return (NULL);
	}
	if (r->p - r->start > LUA_ITEM_MAX) {
		(void)lua_fail(r, "an item too big");
		return (NULL);
	}
	if ((v = calloc(1, sizeof(*v))) == NULL)
		err(1, NULL);
	c = lua_skip(r);
	if (c == '{')
		rv = lua_table(r, v);
	else if (c == '"' || c == '\'')
		rv = lua_string(r, v);
	else if (c == '-' || (c >= '0' && c <= '9'))
		rv = lua_number(r, v);
	else if (lua_word(r, "true") || lua_word(r, "false")) {
		v->type = L_BOOL;
		v->num = r->p[-2] == 'u';	/* true, not false */
		rv = 0;
	} else if (lua_word(r, "nil"))
		rv = 0;
	else
		rv = lua_fail(r, c == -1 ? "the file ends inside an item" :
		    "not a value Prosody writes");
	r->depth--;
	if (rv == 0 && r->p - r->start > LUA_ITEM_MAX)
		rv = lua_fail(r, "an item too big");
	if (rv == -1) {
		lua_free(v);
		return (NULL);
	}
	return (v);
}

/* The value of string key in table t, or NULL. */
static const struct lua_val *
lua_get(const struct lua_val *t, const char *key)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		if (t->k[i] != NULL && t->k[i]->type == L_STR &&
		    strcmp(t->k[i]->s, key) == 0)
			return (t->v[i]);
	return (NULL);
}

static const char *
lua_str(const struct lua_val *v)
{
	if (v == NULL || v->type != L_STR || strlen(v->s) != v->len)
		return (NULL);
	return (v->s);
}

/* A stanza as st.preserialize makes it: name, attr, children in order. */
static struct xml_node *
lua_stanza(const struct lua_val *t, const char *pns, int depth)
{
	const struct lua_val	*attr, *c;
	struct xml_node		*n, *child;
	const char		*name, *ns = pns, *k, *v;
	size_t			 i;

	if (depth > LUA_DEPTH_MAX || t->type != L_TABLE ||
	    (name = lua_str(lua_get(t, "name"))) == NULL ||
	    strchr(name, ':') != NULL ||
	    ((attr = lua_get(t, "attr")) != NULL && attr->type != L_TABLE))
		return (NULL);
	if (attr != NULL && (c = lua_get(attr, "xmlns")) != NULL &&
	    (ns = lua_str(c)) == NULL)
		return (NULL);
	if ((n = xml_node_new(ns, name)) == NULL)
		err(1, NULL);
	for (i = 0; attr != NULL && i < attr->n; i++) {
		if ((k = lua_str(attr->k[i])) == NULL ||
		    (v = lua_str(attr->v[i])) == NULL) {
			xml_node_free(n);
			return (NULL);
		}
		/* Prosody's own time stamp: a <delay/> says it instead. */
		if (strcmp(k, "xmlns") == 0 || (depth == 0 &&
		    strcmp(k, "stamp") == 0))
			continue;
		if (strncmp(k, "xml:", 4) == 0) {
			if (xml_set_attr_ns(n, NS_XML, k + 4, v) == -1)
				err(1, NULL);
		} else if (strchr(k, ':') == NULL && xml_set_attr(n, k, v) == -1)
			err(1, NULL);
	}
	for (i = 0; i < t->n; i++) {
		if (t->k[i] != NULL)
			continue;
		c = t->v[i];
		if (c->type == L_STR) {
			if (xml_add_text(n, c->s, c->len) == -1)
				err(1, NULL);
		} else if ((child = lua_stanza(c, ns, depth + 1)) != NULL)
			xml_append(n, child);
		else {
			xml_node_free(n);
			return (NULL);
		}
	}
	return (n);
}

/* Prosody's datamanager.encode: every byte but [A-Za-z0-9] as %xx. */
static int
lua_encode(const char *s, char *out, size_t len)
{
	size_t	 o = 0;

	for (; *s != '\0'; s++) {
		if (o + 4 > len)
			return (-1);
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9'))
			out[o++] = *s;
		else
			o += snprintf(out + o, len - o, "%%%02x",
			    (unsigned char)*s);
	}
	out[o] = '\0';
	return (0);
}

/* The file whole, NUL after; NULL when there is none. */
static char *
lua_read(const char *path, size_t *len, char *errbuf, size_t errlen)
{
	char	*buf;
	size_t	 n;
	ssize_t	 r;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1) {
		if (errno != ENOENT)
			(void)snprintf(errbuf, errlen, "%s: %s", path,
			    strerror(errno));
		return (NULL);
	}
	if ((buf = malloc(LUA_FILE_MAX + 1)) == NULL)
		err(1, NULL);
	for (n = 0; n <= LUA_FILE_MAX; n += r)
		if ((r = read(fd, buf + n, LUA_FILE_MAX + 1 - n)) <= 0)
			break;
	(void)close(fd);
	if (r == -1 || n > LUA_FILE_MAX) {
		(void)snprintf(errbuf, errlen, "%s: %s", path, r == -1 ?
		    strerror(errno) : "the file is too big");
		free(buf);
		return (NULL);
	}
	buf[n] = '\0';
	*len = n;
	return (buf);
}

/* One message of the file, with its time as a XEP-0203 <delay/>. */
static int
lua_message(struct xml_node *off, const struct lua_val *item,
    const char *host, size_t *total)
{
	const struct lua_val	*when, *attr;
	struct xml_node		*m, *d;
	struct xml_buf		 b;
	const char		*s;
	char			 stamp[64];
	int64_t			 t = 0;

	if ((m = lua_stanza(item, NS_CLIENT, 0)) == NULL ||
	    !xml_is(m, NS_CLIENT, "message")) {
		xml_node_free(m);
		return (-1);
	}
	if ((when = lua_get(item, "when")) != NULL && when->type == L_NUM &&
	    when->num > 0 && when->num < INT64_MAX / 1000000)
		t = when->num * 1000000;
	else if ((attr = lua_get(item, "attr")) == NULL ||
	    (s = lua_str(lua_get(attr, "stamp"))) == NULL ||
	    mam_time(s, &t) == -1)
		t = 0;
	if (t > 0 && xml_find_child(m, NS_DELAY_, "delay") == NULL) {
		mam_stamp(t, stamp, sizeof(stamp));
		if ((d = xml_add_child(m, NS_DELAY_, "delay")) == NULL ||
		    xml_set_attr(d, "from", host) == -1 ||
		    xml_set_attr(d, "stamp", stamp) == -1)
			err(1, NULL);
	}
	xml_buf_init(&b, PIE_REC_MAX);
	if (xml_serialize(m, NS_CLIENT, &b) == -1) {
		xml_buf_free(&b);
		xml_node_free(m);
		return (-1);
	}
	*total += b.len;
	xml_buf_free(&b);
	xml_append(off, m);
	return (0);
}

/*
 * The offline messages of user@host in Prosody's data directory datadir,
 * appended to off; their number, 0 when there is no file, -1 with
 * errbuf on a file that cannot be read whole.  A message that is not
 * one the format can carry is skipped, and said.
 */
int
convert_lua_offline(const char *datadir, const char *host, const char *user,
    struct xml_node *off, char *errbuf, size_t errlen)
{
	struct lua_reader	 r;
	struct lua_val		*item;
	char			 eh[CONF_NAMELEN * 3 + 1], eu[CONF_JIDLEN * 3 + 1];
	char			 path[PATH_MAX], *buf;
	size_t			 len, total = 0;
	int			 n = 0, line;

	errbuf[0] = '\0';
	if (lua_encode(host, eh, sizeof(eh)) == -1 ||
	    lua_encode(user, eu, sizeof(eu)) == -1 ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s/offline/%s.list",
	    datadir, eh, eu) >= sizeof(path)) {
		(void)snprintf(errbuf, errlen, "%s: a path too long", datadir);
		return (-1);
	}
	if ((buf = lua_read(path, &len, errbuf, errlen)) == NULL)
		return (errbuf[0] != '\0' ? -1 : 0);
	memset(&r, 0, sizeof(r));
	r.file = path;
	r.p = buf;
	r.end = buf + len;
	r.line = 1;
	r.err = errbuf;
	r.errlen = errlen;
	while (lua_skip(&r) != -1) {
		line = r.line;
		if (!lua_word(&r, "item") || lua_skip(&r) != '(') {
			(void)lua_fail(&r, "not an item(...) of Prosody's");
			break;
		}
		r.p++;
		r.depth = 0;
		r.start = r.p;
		if ((item = lua_value(&r)) == NULL)
			break;
		if (lua_skip(&r) != ')') {
			lua_free(item);
			(void)lua_fail(&r, "an item without its closing "
			    "parenthesis");
			break;
		}
		r.p++;
		if (lua_skip(&r) == ';')
			r.p++;
		if (n == LUA_MSGS_MAX)
			(void)lua_fail(&r, "too many messages");
		else if (lua_message(off, item, host, &total) == 0) {
			if (total > PIE_USER_MAX)
				(void)lua_fail(&r, "the messages are too big");
			n++;
		}
		else
			printf("%s:%d: skipped: not a message this format can "
			    "carry\n", path, line);
		lua_free(item);
		if (errbuf[0] != '\0')
			break;
	}
	free(buf);
	return (errbuf[0] != '\0' ? -1 : n);
}
