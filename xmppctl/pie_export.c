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
 * xmppctl export: a domain's accounts as a XEP-0227 file (version 1.1,
 * urn:xmpp:pie:0), from the records the store reads back.  Every user
 * element is built as a tree and serialized; an archive is written a
 * page at a time.  The file is made mode 0600: it holds SCRAM keys.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/queue.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "compat.h"
#include "config.h"
#include "imsg.h"
#include "jid.h"
#include "mam.h"
#include "pie.h"
#include "scram.h"
#include "xml.h"
#include "xmppctl.h"

struct pie_users {
	char		**jids;
	size_t		  n, cap;
};

struct pie_out {
	FILE		*f;
	const char	*file;
	struct imsgbuf	*ib;
	struct jid	 j;
	struct xml_node	*user;		/* children written, then freed */
	struct xml_node	*roster, *private, *pubsub, *owner, *offline;
};

static void
pie_write(struct pie_out *o, const char *s, size_t len)
{
	if (fwrite(s, 1, len, o->f) != len)
		err(1, "%s", o->file);
}

/* n, serialized in the scope of the default namespace ns. */
static void
pie_write_node(struct pie_out *o, const struct xml_node *n, const char *ns)
{
	struct xml_buf	 b;

	xml_buf_init(&b, 0);
	if (xml_serialize(n, ns, &b) == -1)
		errx(1, "%s: cannot write an element of %s@%s", o->file,
		    o->j.local, o->j.domain);
	pie_write(o, b.data, b.len);
	pie_write(o, "\n", 1);
	xml_buf_free(&b);
}

/* A value written where constant markup puts it: escaped. */
static void
pie_write_attr(struct pie_out *o, const char *v)
{
	struct xml_buf	 b;

	xml_buf_init(&b, 0);
	if (xml_buf_escape(&b, v, strlen(v), 1) == -1)
		errx(1, "%s: a name that XML cannot hold", o->file);
	pie_write(o, b.data, b.len);
	xml_buf_free(&b);
}

static void
pie_list_users(struct imsgbuf *ib, const char *domain, struct pie_users *l)
{
	struct ctl_user	 cu;
	struct imsg	 imsg;

	memset(&cu, 0, sizeof(cu));
	if (strlcpy(cu.jid, domain, sizeof(cu.jid)) >= sizeof(cu.jid))
		errx(1, "domain too long");
	if (imsg_compose(ib, IMSG_CTL_USER_LIST, MSG_VERSION, 0, -1, &cu,
	    sizeof(cu)) == -1 || imsgbuf_flush(ib) == -1)
		err(1, "send");
	for (;;) {
		ctl_get(ib, &imsg);
		switch (imsg_get_type(&imsg)) {
		case IMSG_CTL_USER:
			if (imsg_get_data(&imsg, &cu, sizeof(cu)) == -1)
				errx(1, "bad answer from xmppd");
			cu.jid[sizeof(cu.jid) - 1] = '\0';
			if (l->n == l->cap) {
				l->cap = l->cap ? l->cap * 2 : 64;
				if ((l->jids = reallocarray(l->jids, l->cap,
				    sizeof(*l->jids))) == NULL)
					err(1, NULL);
			}
			if ((l->jids[l->n++] = strdup(cu.jid)) == NULL)
				err(1, NULL);
			break;
		case IMSG_CTL_END:
			imsg_free(&imsg);
			return;
		case IMSG_CTL_FAIL:
			ctl_fail_exit(&imsg);
			/* NOTREACHED */
		default:
			errx(1, "unexpected answer %u", imsg_get_type(&imsg));
		}
		imsg_free(&imsg);
	}
}

/* Stored XML, parsed again to go into the tree; NULL if it does not. */
static struct xml_node *
pie_parse(const char *s, size_t len, const char *ns)
{
	struct xml_limits	 lim;

	memset(&lim, 0, sizeof(lim));
	lim.stanza_size = len;
	lim.max_depth = 64;
	lim.max_attrs = XML_ATTRS_MAX;
	return (xml_parse_fragment(s, len, &lim, ns));
}

static struct xml_node *
pie_child(struct xml_node **slot, struct xml_node *parent, const char *ns,
    const char *name)
{
	if (*slot == NULL && (*slot = xml_add_child(parent, ns, name)) ==
	    NULL)
		err(1, NULL);
	return (*slot);
}

static void
pie_text_child(struct xml_node *n, const char *name, const char *text)
{
	struct xml_node	*c;

	if ((c = xml_add_child(n, NULL, name)) == NULL ||
	    xml_add_text(c, text, strlen(text)) == -1)
		err(1, NULL);
}

static void
pie_b64_child(struct xml_node *n, const char *name, const char *data,
    size_t len)
{
	char	 b[256];

	if (base64_encode((const uint8_t *)data, len, b, sizeof(b)) == -1)
		errx(1, "SCRAM data too long");
	pie_text_child(n, name, b);
}

static void
pie_out_scram(struct pie_out *o, struct pie_piece *p)
{
	struct xml_node	*n;
	char		 iter[16];

	if ((n = xml_add_child(o->user, NS_PIE_SCRAM,
	    "scram-credentials")) == NULL ||
	    xml_set_attr(n, "mechanism", p->r.hash == SCRAM_SHA256 ?
	    "SCRAM-SHA-256" : "SCRAM-SHA-1") == -1)
		err(1, NULL);
	(void)snprintf(iter, sizeof(iter), "%d", p->r.iter);
	pie_text_child(n, "iter-count", iter);
	pie_b64_child(n, "salt", p->str[0], p->r.len[0]);
	pie_b64_child(n, "server-key", p->str[2], p->r.len[2]);
	pie_b64_child(n, "stored-key", p->str[1], p->r.len[1]);
}

static void
pie_out_roster(struct pie_out *o, struct pie_piece *p)
{
	static const char *const subs[] = { "none", "to", "from", "both" };
	struct xml_node	*q, *it, *pend;
	const char	*g, *e;

	if (p->r.len[2] > 0 && (pend = pie_parse(p->str[2], p->r.len[2],
	    NS_CLIENT)) != NULL)
		xml_append(o->user, pend);
	if (!p->r.in_roster)
		return;
	q = pie_child(&o->roster, o->user, NS_ROSTER, "query");
	if ((it = xml_add_child(q, NULL, "item")) == NULL ||
	    xml_set_attr(it, "jid", p->r.jid) == -1 ||
	    xml_set_attr(it, "subscription", subs[p->r.sub & 3]) == -1 ||
	    (p->r.ask && xml_set_attr(it, "ask", "subscribe") == -1) ||
	    (p->r.len[0] > 0 && xml_set_attr(it, "name", p->str[0]) == -1))
		errx(1, "%s: a roster item XML cannot hold", p->r.jid);
	for (g = p->str[1]; p->r.len[1] > 0 && g != NULL; g = e) {
		struct xml_node	*gr;

		e = strchr(g, '\n');
		if ((gr = xml_add_child(it, NULL, "group")) == NULL ||
		    xml_add_text(gr, g, e != NULL ? (size_t)(e - g) :
		    strlen(g)) == -1)
			err(1, NULL);
		if (e != NULL)
			e++;
	}
}

/* A node's configuration as the store keeps it, as a XEP-0060 form. */
static void
pie_out_conf(struct pie_out *o, struct pie_piece *p, struct xml_node *conf)
{
	struct xml_node	*ow, *c, *x, *f;
	const char	*fields[][2] = {
		{ "FORM_TYPE", "http://jabber.org/protocol/pubsub#node_config" },
		{ "pubsub#access_model", xml_get_attr(conf, "access") },
		{ "pubsub#max_items", xml_get_attr(conf, "max") },
		{ "pubsub#send_last_published_item",
		    xml_get_attr(conf, "last") },
		{ "pubsub#itemreply", xml_get_attr(conf, "reply") },
	};
	size_t		 i;

	ow = pie_child(&o->owner, o->user, NS_PUBSUB_OWNER, "pubsub");
	if ((c = xml_add_child(ow, NULL, "configure")) == NULL ||
	    xml_set_attr(c, "node", p->r.key) == -1 ||
	    (x = xml_add_child(c, NS_DATA, "x")) == NULL ||
	    xml_set_attr(x, "type", "submit") == -1)
		err(1, NULL);
	for (i = 0; i < nitems(fields); i++) {
		if (fields[i][1] == NULL)
			continue;
		if ((f = xml_add_child(x, NULL, "field")) == NULL ||
		    xml_set_attr(f, "var", fields[i][0]) == -1 ||
		    (i == 0 && xml_set_attr(f, "type", "hidden") == -1))
			err(1, NULL);
		pie_text_child(f, "value", fields[i][1]);
	}
}

static void
pie_out_xml(struct pie_out *o, struct pie_piece *p)
{
	struct xml_node	*n, *ps, *its, *it;
	const char	*node;

	if ((n = pie_parse(p->str[0], p->r.len[0], NULL)) == NULL) {
		warnx("%s@%s: %s item \"%s\" is not XML: left out",
		    o->j.local, o->j.domain, p->r.space, p->r.key);
		return;
	}
	if (strcmp(p->r.space, "vcard") == 0)
		xml_append(o->user, n);
	else if (strcmp(p->r.space, "private") == 0)
		xml_append(pie_child(&o->private, o->user, NS_PRIVATE,
		    "query"), n);
	else if (strcmp(p->r.space, "pep") == 0) {
		pie_out_conf(o, p, n);
		xml_node_free(n);
	} else if (strncmp(p->r.space, "pep/", 4) == 0) {
		node = p->r.space + 4;
		ps = pie_child(&o->pubsub, o->user, NS_PUBSUB, "pubsub");
		TAILQ_FOREACH(its, &ps->children, entry)
			if (xml_is(its, NS_PUBSUB, "items") &&
			    xml_get_attr(its, "node") != NULL &&
			    strcmp(xml_get_attr(its, "node"), node) == 0)
				break;
		if ((its == NULL && ((its = xml_add_child(ps, NULL,
		    "items")) == NULL || xml_set_attr(its, "node", node) ==
		    -1)) || (it = xml_add_child(its, NULL, "item")) == NULL ||
		    xml_set_attr(it, "id", p->r.key) == -1)
			err(1, NULL);
		xml_append(it, n);
	} else
		xml_node_free(n);
}

static void
pie_out_offline(struct pie_out *o, struct pie_piece *p)
{
	struct xml_node	*n;

	if ((n = pie_parse(p->str[0], p->r.len[0], NS_CLIENT)) == NULL) {
		warnx("%s@%s: an offline message is not XML: left out",
		    o->j.local, o->j.domain);
		return;
	}
	xml_append(pie_child(&o->offline, o->user, NS_PIE,
	    "offline-messages"), n);
}

static void
pie_out_row(struct pie_out *o, struct pie_piece *p)
{
	struct xml_node	*n, *m, *res;

	if ((n = pie_parse(p->str[0], p->r.len[0], NS_CLIENT)) == NULL ||
	    (m = mam_result_new("", "", NULL, p->r.key, p->r.stamp, n)) ==
	    NULL) {
		warnx("%s@%s: archived message %s is not XML: left out",
		    o->j.local, o->j.domain, p->r.key);
		return;
	}
	res = xml_first_child(m);
	xml_unlink(res);
	xml_node_free(m);
	pie_write_node(o, res, NS_PIE_MAM);
	xml_node_free(res);
}

/* One request for a user's records; returns 1 when its archive is done. */
static int
pie_fetch(struct pie_out *o, struct pie_export *e)
{
	struct pie_piece	 p;
	struct imsg		 imsg;
	int			 r;

	if (imsg_compose(o->ib, IMSG_CTL_PIE_EXPORT, MSG_VERSION, 0, -1, e,
	    sizeof(*e)) == -1 || imsgbuf_flush(o->ib) == -1)
		err(1, "send");
	memset(&p, 0, sizeof(p));
	for (;;) {
		ctl_get(o->ib, &imsg);
		switch (imsg_get_type(&imsg)) {
		case IMSG_CTL_PIE_REC:
			if ((r = pie_piece_add(&p, &imsg, PIE_REC_MAX)) == -1)
				errx(1, "bad record from xmppd");
			if (r == 0)
				break;
			if (p.r.type == PIE_SCRAM)
				pie_out_scram(o, &p);
			else if (p.r.type == PIE_ROSTER)
				pie_out_roster(o, &p);
			else if (p.r.type == PIE_XML)
				pie_out_xml(o, &p);
			else if (p.r.type == PIE_OFFLINE)
				pie_out_offline(o, &p);
			else if (p.r.type == PIE_ARCHIVE)
				pie_out_row(o, &p);
			pie_piece_clear(&p);
			break;
		case IMSG_CTL_PIE_END:
			if (imsg_get_data(&imsg, e, sizeof(*e)) == -1)
				errx(1, "bad answer from xmppd");
			e->after[sizeof(e->after) - 1] = '\0';
			imsg_free(&imsg);
			pie_piece_clear(&p);
			return (e->complete);
		case IMSG_CTL_FAIL:
			ctl_fail_exit(&imsg);
			/* NOTREACHED */
		default:
			errx(1, "unexpected answer %u", imsg_get_type(&imsg));
		}
		imsg_free(&imsg);
	}
}

static void
pie_out_user(struct pie_out *o, const char *jid)
{
	struct pie_export	 e;
	struct xml_node		*c;

	if (jid_parse(jid, &o->j) == -1)
		errx(1, "%s: not a JID", jid);
	if ((o->user = xml_node_new(NS_PIE, "user")) == NULL)
		err(1, NULL);
	o->roster = o->private = o->pubsub = o->owner = o->offline = NULL;
	memset(&e, 0, sizeof(e));
	(void)strlcpy(e.jid, jid, sizeof(e.jid));
	(void)pie_fetch(o, &e);
	pie_write(o, "<user name='", 12);
	pie_write_attr(o, o->j.local);
	pie_write(o, "'>\n", 3);
	TAILQ_FOREACH(c, &o->user->children, entry)
		pie_write_node(o, c, NS_PIE);
	xml_node_free(o->user);
	o->user = NULL;
	/* The archive, a page at a time. */
	memset(&e, 0, sizeof(e));
	(void)strlcpy(e.jid, jid, sizeof(e.jid));
	e.archive = 1;
	pie_write(o, "<archive xmlns='" NS_PIE_MAM "'>\n",
	    strlen("<archive xmlns='" NS_PIE_MAM "'>\n"));
	while (!pie_fetch(o, &e))
		;
	pie_write(o, "</archive>\n</user>\n", 19);
}

int
pie_export(struct imsgbuf *ib, const char *domain, const char *file)
{
	struct pie_users	 l;
	struct pie_out		 o;
	char			 d[CONF_NAMELEN];
	size_t			 i;
	int			 fd;

	memset(&l, 0, sizeof(l));
	memset(&o, 0, sizeof(o));
	o.ib = ib;
	if (strlcpy(d, domain, sizeof(d)) >= sizeof(d) ||
	    jid_prep_domain(d, sizeof(d)) == -1)
		errx(1, "%s: not a domain name", domain);
	pie_list_users(ib, d, &l);
	if (file == NULL || strcmp(file, "-") == 0) {
		o.f = stdout;
		o.file = "stdout";
	} else {
		if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600)) == -1 || fchmod(fd, 0600) == -1 ||
		    (o.f = fdopen(fd, "w")) == NULL)
			err(1, "%s", file);
		o.file = file;
	}
	pie_write(&o, "<?xml version='1.0' encoding='UTF-8'?>\n"
	    "<server-data xmlns='" NS_PIE "'>\n<host jid='",
	    strlen("<?xml version='1.0' encoding='UTF-8'?>\n"
	    "<server-data xmlns='" NS_PIE "'>\n<host jid='"));
	pie_write_attr(&o, d);
	pie_write(&o, "'>\n", 3);
	for (i = 0; i < l.n; i++) {
		pie_out_user(&o, l.jids[i]);
		free(l.jids[i]);
	}
	free(l.jids);
	pie_write(&o, "</host>\n</server-data>\n", 23);
	if (fflush(o.f) == EOF || (o.f != stdout && fclose(o.f) == EOF))
		err(1, "%s", o.file);
	if (o.f != stdout)
		fprintf(stderr, "%zu users exported to %s\n", l.n, file);
	return (0);
}
