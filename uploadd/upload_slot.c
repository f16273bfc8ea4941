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
 * XEP-0363 over XMPP: the service's disco#info (with its max-file-size
 * form) and slot requests from the users of the hosted domains.  A slot
 * is a row in the database and two URLs; nothing a client chose names a
 * file.  What cannot be read or decided is refused.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "stanza.h"
#include "upload.h"
#include "xml.h"

#define NS_UPLOAD	"urn:xmpp:http:upload:0"
#define NS_DISCO_INFO	"http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS	"http://jabber.org/protocol/disco#items"
#define NS_XDATA	"jabber:x:data"
#define UPLOAD_DEFAULT_TYPE	"application/octet-stream"
#define UPLOAD_URL_MAX	(CONF_STRLEN + UPLOAD_SLOT_LEN + \
			    3 * UPLOAD_NAME_MAX + UPLOAD_SIG_LEN + 8)

struct upload_req {
	struct stanza_msg	*m;
	struct xml_node		*n;		/* the stanza */
	struct upload_conf	*svc;
	struct jid		 from;
	char			 owner[JID_BUFSIZE];
};

/* What an error says: RFC 6120 section 8.3, and XEP-0363's own. */
struct upload_err {
	const char		*type;
	const char		*cond;
	const char		*text;
	int64_t			 max;		/* > 0: <file-too-large/> */
};

static int
upload_slot_send(struct xml_node *n)
{
	struct imsgev	*iev;

	if ((iev = proc_peer(PROC_ROUTER, 0)) == NULL ||
	    stanza_send(iev, 0, 0, n, NS_CLIENT) == -1) {
		log_warnx("%s: an answer was not sent", __func__);
		return (-1);
	}
	return (0);
}

/* An answer to r, from the service, of type. */
static struct xml_node *
upload_slot_reply(struct upload_req *r, const char *type)
{
	struct xml_node	*n;

	if ((n = xml_node_new(NS_CLIENT, stanza_kinds[r->m->kind])) == NULL ||
	    xml_set_attr(n, "type", type) == -1 ||
	    xml_set_attr(n, "from", r->svc->name) == -1 ||
	    xml_set_attr(n, "to", r->m->from) == -1 ||
	    (r->m->id[0] != '\0' && xml_set_attr(n, "id", r->m->id) == -1)) {
		xml_node_free(n);
		return (NULL);
	}
	return (n);
}

static void
upload_slot_error(struct upload_req *r, const struct upload_err *e)
{
	struct xml_node	*n, *er, *t;
	char		 num[32];

	if (strcmp(r->m->type, "error") == 0 ||
	    strcmp(r->m->type, "result") == 0)
		return;
	if ((n = upload_slot_reply(r, "error")) == NULL ||
	    (er = xml_add_child(n, NULL, "error")) == NULL ||
	    xml_set_attr(er, "type", e->type) == -1 ||
	    xml_add_child(er, NS_STANZA_ERR, e->cond) == NULL)
		goto fail;
	if (e->text != NULL && ((t = xml_add_child(er, NS_STANZA_ERR,
	    "text")) == NULL || xml_add_text(t, e->text,
	    strlen(e->text)) == -1))
		goto fail;
	if (e->max > 0) {
		(void)snprintf(num, sizeof(num), "%lld", (long long)e->max);
		if ((t = xml_add_child(er, NS_UPLOAD, "file-too-large")) ==
		    NULL || (t = xml_add_child(t, NULL, "max-file-size")) ==
		    NULL || xml_add_text(t, num, strlen(num)) == -1)
			goto fail;
	}
	(void)upload_slot_send(n);
	xml_node_free(n);
	return;
 fail:
	log_warnx("%s: out of memory", __func__);
	xml_node_free(n);
}

static void
upload_slot_fail(struct upload_req *r, const char *type, const char *cond,
    const char *text)
{
	struct upload_err	 e = { type, cond, text, 0 };

	upload_slot_error(r, &e);
}

static void
upload_slot_result(struct upload_req *r, struct xml_node *payload)
{
	struct xml_node	*n;

	if ((n = upload_slot_reply(r, "result")) == NULL) {
		log_warnx("%s: out of memory", __func__);
		xml_node_free(payload);
		return;
	}
	if (payload != NULL)
		xml_append(n, payload);
	(void)upload_slot_send(n);
	xml_node_free(n);
}

/* The service: a file store, XEP-0363, and its size limit (XEP-0128). */
static void
upload_slot_disco(struct upload_req *r, struct xml_node *q)
{
	struct xml_node	*p, *c, *f, *v;
	char		 num[32];

	if (xml_get_attr(q, "node") != NULL) {
		upload_slot_fail(r, "cancel", "item-not-found", NULL);
		return;
	}
	(void)snprintf(num, sizeof(num), "%lld",
	    (long long)r->svc->max_size);
	if ((p = xml_node_new(NS_DISCO_INFO, "query")) == NULL ||
	    (c = xml_add_child(p, NULL, "identity")) == NULL ||
	    xml_set_attr(c, "category", "store") == -1 ||
	    xml_set_attr(c, "type", "file") == -1 ||
	    xml_set_attr(c, "name", "HTTP File Upload") == -1 ||
	    (c = xml_add_child(p, NULL, "feature")) == NULL ||
	    xml_set_attr(c, "var", NS_DISCO_INFO) == -1 ||
	    (c = xml_add_child(p, NULL, "feature")) == NULL ||
	    xml_set_attr(c, "var", NS_UPLOAD) == -1 ||
	    (c = xml_add_child(p, NS_XDATA, "x")) == NULL ||
	    xml_set_attr(c, "type", "result") == -1 ||
	    (f = xml_add_child(c, NULL, "field")) == NULL ||
	    xml_set_attr(f, "var", "FORM_TYPE") == -1 ||
	    xml_set_attr(f, "type", "hidden") == -1 ||
	    (v = xml_add_child(f, NULL, "value")) == NULL ||
	    xml_add_text(v, NS_UPLOAD, strlen(NS_UPLOAD)) == -1 ||
	    (f = xml_add_child(c, NULL, "field")) == NULL ||
	    xml_set_attr(f, "var", "max-file-size") == -1 ||
	    (v = xml_add_child(f, NULL, "value")) == NULL ||
	    xml_add_text(v, num, strlen(num)) == -1) {
		xml_node_free(p);
		upload_slot_fail(r, "wait", "internal-server-error", NULL);
		return;
	}
	upload_slot_result(r, p);
}

/*
 * A name a file can be given: 1 to 255 bytes, no path separator of any
 * system, no control character, not . or ..  (the XML parser has already
 * refused NUL and invalid UTF-8).
 */
static const char *
upload_slot_name_bad(const char *name)
{
	const unsigned char	*p;
	size_t			 len;

	if (name == NULL || (len = strlen(name)) == 0)
		return ("the file name is missing");
	if (len > UPLOAD_NAME_MAX)
		return ("the file name is longer than 255 bytes");
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return ("the file name is . or ..");
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
			return ("the file name has a path separator or a "
			    "control character");
	return (NULL);
}

/* A content type as HTTP will send it back: type/subtype, printable. */
static int
upload_slot_type_ok(const char *type)
{
	const unsigned char	*p;
	size_t			 len = strlen(type);

	if (len == 0 || len > UPLOAD_TYPE_MAX || strchr(type, '/') == NULL ||
	    type[0] == ' ' || type[0] == '/')
		return (0);
	for (p = (const unsigned char *)type; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return (0);
	return (1);
}

/* A size: decimal digits only, no sign, no space, no overflow. */
static int
upload_slot_size(const char *s, int64_t *size)
{
	const char	*errstr;

	if (s == NULL || s[0] == '\0' || strspn(s, "0123456789") !=
	    strlen(s) || strlen(s) > 18)
		return (-1);
	*size = strtonum(s, 0, INT64_MAX, &errstr);
	return (errstr == NULL ? 0 : -1);
}

/* The name in a URL path: unreserved characters as they are (RFC 3986). */
static int
upload_slot_pct(char *buf, size_t len, const char *name)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	size_t			 o = strlen(buf);

	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (o + 4 > len)
			return (-1);
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~')
			buf[o++] = *p;
		else {
			buf[o++] = '%';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 0xf];
		}
	}
	buf[o] = '\0';
	return (0);
}

/* URL/SLOT/NAME, and the PUT URL with ?s=SIG. */
static int
upload_slot_urls(const struct upload_file *f, const char *base, char *get,
    char *put, size_t len)
{
	char	 sig[UPLOAD_SIG_LEN + 1];
	size_t	 blen = strlen(base);

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (blen == 0 || blen + UPLOAD_SLOT_LEN + 3 > len)
		return (-1);
	memcpy(get, base, blen);
	get[blen] = '\0';
	if (strlcat(get, "/", len) >= len || strlcat(get, f->slot, len) >= len ||
	    strlcat(get, "/", len) >= len || upload_slot_pct(get, len,
	    f->name) == -1 || upload_sign(f, sig, sizeof(sig)) == -1)
		return (-1);
	if (strlcpy(put, get, len) >= len || strlcat(put, "?s=", len) >= len ||
	    strlcat(put, sig, len) >= len)
		return (-1);
	return (0);
}

static time_t
upload_slot_ttl(void)
{
#ifdef REGRESS
	const char	*s = getenv("XMPPD_REGRESS_UPLOAD_TTL");
	const char	*errstr;
	long long	 v;

	if (s != NULL) {
		v = strtonum(s, 1, UPLOAD_SLOT_TTL, &errstr);
		if (errstr == NULL)
			return (v);
	}
#endif
	return (UPLOAD_SLOT_TTL);
}

/* A slot of f: a new row, and its URLs in a <slot/>. */
static void
upload_slot_grant(struct upload_req *r, struct upload_file *f)
{
	struct xml_node	*s, *c;
	char		 get[UPLOAD_URL_MAX], put[UPLOAD_URL_MAX];
	uint8_t		 rnd[UPLOAD_SLOT_LEN / 2];
	size_t		 i;

	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		(void)snprintf(f->slot + 2 * i, 3, "%02x", rnd[i]);
	if (upload_slot_urls(f, r->svc->url, get, put, sizeof(get)) == -1) {
		log_warnx("%s: the URLs of a slot for %s do not fit",
		    __func__, f->owner);
		upload_slot_fail(r, "wait", "internal-server-error", NULL);
		return;
	}
	if (upload_db_insert(f) == -1) {
		upload_slot_fail(r, "wait", "internal-server-error", NULL);
		return;
	}
	if ((s = xml_node_new(NS_UPLOAD, "slot")) == NULL ||
	    (c = xml_add_child(s, NULL, "put")) == NULL ||
	    xml_set_attr(c, "url", put) == -1 ||
	    (c = xml_add_child(s, NULL, "get")) == NULL ||
	    xml_set_attr(c, "url", get) == -1) {
		xml_node_free(s);
		(void)upload_db_delete(f->slot);
		upload_slot_fail(r, "wait", "internal-server-error", NULL);
		return;
	}
	log_info("slot %s for %s: %lld bytes", f->slot, f->owner,
	    (long long)f->size);
	upload_slot_result(r, s);
}

/* <request filename size content-type/>: checked, counted, granted. */
static void
upload_slot_request(struct upload_req *r, struct xml_node *q)
{
	struct upload_err	 e = { "modify", "not-acceptable", NULL, 0 };
	struct upload_file	 f;
	const char		*name, *type, *why;
	int64_t			 used;

	memset(&f, 0, sizeof(f));
	if (strcmp(r->m->type, "get") != 0) {
		upload_slot_fail(r, "modify", "bad-request",
		    "a slot is requested with an IQ get");
		return;
	}
	name = xml_get_attr(q, "filename");
	if ((type = xml_get_attr(q, "content-type")) == NULL ||
	    type[0] == '\0')
		type = UPLOAD_DEFAULT_TYPE;
	if ((why = upload_slot_name_bad(name)) != NULL) {
		upload_slot_fail(r, "modify", "bad-request", why);
		return;
	}
	if (upload_slot_size(xml_get_attr(q, "size"), &f.size) == -1) {
		upload_slot_fail(r, "modify", "bad-request",
		    "the size is not a number of bytes");
		return;
	}
	if (!upload_slot_type_ok(type)) {
		upload_slot_fail(r, "modify", "bad-request",
		    "the content type is not a media type");
		return;
	}
	if (f.size > r->svc->max_size) {
		e.text = "the file is too large";
		e.max = r->svc->max_size;
		upload_slot_error(r, &e);
		return;
	}
	f.created = time(NULL);
	if ((used = upload_db_usage(r->svc->name, r->owner, f.created)) ==
	    -1) {
		upload_slot_fail(r, "wait", "internal-server-error", NULL);
		return;
	}
	if (used > r->svc->quota - f.size) {
		upload_slot_fail(r, "wait", "resource-constraint",
		    "the file would take you over your quota");
		return;
	}
	(void)strlcpy(f.service, r->svc->name, sizeof(f.service));
	(void)strlcpy(f.owner, r->owner, sizeof(f.owner));
	(void)strlcpy(f.name, name, sizeof(f.name));
	(void)strlcpy(f.type, type, sizeof(f.type));
	f.expires = f.created + upload_slot_ttl();
	f.state = UPLOAD_PENDING;
	upload_slot_grant(r, &f);
}

static void
upload_slot_iq_in(struct upload_req *r)
{
	struct xml_node	*q;

	if (strcmp(r->m->type, "get") != 0 && strcmp(r->m->type, "set") != 0)
		return;		/* results and errors: nothing asks */
	if ((q = xml_first_child(r->n)) == NULL) {
		upload_slot_fail(r, "modify", "bad-request", NULL);
		return;
	}
	if (xml_is(q, NS_DISCO_INFO, "query") &&
	    strcmp(r->m->type, "get") == 0)
		upload_slot_disco(r, q);
	else if (xml_is(q, NS_DISCO_ITEMS, "query") &&
	    strcmp(r->m->type, "get") == 0)
		upload_slot_result(r, xml_node_new(NS_DISCO_ITEMS, "query"));
	else if (xml_is(q, NS_UPLOAD, "request"))
		upload_slot_request(r, q);
	else
		upload_slot_fail(r, "cancel", "service-unavailable", NULL);
}

/*
 * Who may ask: a user of a hosted domain, and only the service's own
 * address answers.  Others hear forbidden, or nothing when they sent
 * an error or a result.
 */
static int
upload_slot_address(struct upload_req *r)
{
	struct jid	 to;

	if (jid_parse(r->m->to, &to) == -1 ||
	    (r->svc = upload_service(to.domain)) == NULL) {
		log_warnx("%s: not for a service: \"%s\"", __func__,
		    r->m->to);
		return (-1);
	}
	if (jid_parse(r->m->from, &r->from) == -1 ||
	    r->from.local[0] == '\0' ||
	    jid_bare(&r->from, r->owner, sizeof(r->owner)) == 0 ||
	    config_domain(proc_self.conf, r->from.domain) == NULL) {
		if (r->m->kind != STANZA_PRESENCE)
			upload_slot_fail(r, "auth", "forbidden",
			    "only users of this server may upload");
		return (-1);
	}
	if (to.local[0] != '\0' || to.resource[0] != '\0') {
		if (r->m->kind != STANZA_PRESENCE)
			upload_slot_fail(r, "cancel", "service-unavailable",
			    NULL);
		return (-1);
	}
	return (0);
}

/* IMSG_STANZA from the router. */
void
upload_slot_in(struct imsg *imsg)
{
	struct stanza_msg	 m;
	struct xml_limits	 l;
	struct upload_req	 r;

	if (stanza_recv(imsg, &m) == -1)
		fatalx("%s: bad stanza from the router", __func__);
	memset(&r, 0, sizeof(r));
	r.m = &m;
	if (upload_slot_address(&r) == -1)
		goto done;
	stanza_limits(&proc_self.conf->global, &l);
	if ((r.n = xml_parse_fragment(m.xml, m.xmllen, &l,
	    NS_CLIENT)) == NULL || stanza_kind(r.n) != (int)m.kind) {
		log_warnx("%s: cannot read a %s from %s: refused", __func__,
		    stanza_kinds[m.kind], m.from);
		if (m.kind != STANZA_PRESENCE)
			upload_slot_fail(&r, "modify", "bad-request", NULL);
		goto done;
	}
	if (m.kind == STANZA_IQ)
		upload_slot_iq_in(&r);
	else if (m.kind == STANZA_MESSAGE)
		upload_slot_fail(&r, "cancel", "service-unavailable", NULL);
 done:
	xml_node_free(r.n);
	stanza_msg_clear(&m);
}
