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
 * XEP-0227 export in the store: an account's records for xmppctl(8),
 * which writes the XML.  The account in one answer, its archive a page
 * at a time, so that neither side holds a big archive at once.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "pie.h"
#include "proc.h"
#include "scram.h"
#include "store.h"

#define PIE_PEP_NODES_MAX	1024	/* nodes exported per account */

struct pie_out {
	struct imsgev	*iev;
	uint32_t	 peerid;
	struct jid	 j;
	struct pie_rec	 r;		/* the type and fields to send */
	int		 failed;
};

static void
pie_send(struct pie_out *o, const void *a, size_t al, const void *b,
    size_t bl, const void *c, size_t cl)
{
	struct iovec	 parts[3];

	parts[0].iov_base = (void *)a;
	parts[0].iov_len = al;
	parts[1].iov_base = (void *)b;
	parts[1].iov_len = bl;
	parts[2].iov_base = (void *)c;
	parts[2].iov_len = cl;
	if (pie_compose(&o->iev->ibuf, IMSG_CTL_PIE_REC, o->peerid, &o->r,
	    parts) == -1)
		o->failed = 1;
	imsgev_add(o->iev);
}

static void
pie_out_keys(struct pie_out *o)
{
	static const int	 hashes[] = { SCRAM_SHA1, SCRAM_SHA256 };
	struct scram_keys	 k;
	size_t			 i, hl;

	for (i = 0; i < nitems(hashes); i++) {
		if (store_be->keys_get(o->j.domain, o->j.local, hashes[i],
		    &k) == -1)
			continue;
		memset(&o->r, 0, sizeof(o->r));
		o->r.type = PIE_SCRAM;
		o->r.hash = k.hash;
		o->r.iter = k.iter;
		hl = scram_hashlen(k.hash);
		pie_send(o, k.salt, k.saltlen, k.stored_key, hl,
		    k.server_key, hl);
		explicit_bzero(&k, sizeof(k));
	}
}

static void
pie_out_roster(struct roster_item_msg *it, const char *name,
    const char *groups, const char *pending, void *arg)
{
	struct pie_out	*o = arg;

	memset(&o->r, 0, sizeof(o->r));
	o->r.type = PIE_ROSTER;
	(void)strlcpy(o->r.jid, it->contact, sizeof(o->r.jid));
	o->r.sub = it->sub;
	o->r.ask = it->ask;
	o->r.in_roster = it->in_roster;
	pie_send(o, name, it->namelen, groups, it->groupslen, pending,
	    it->pendinglen);
}

/* Items come newest first: kept, and sent oldest first. */
struct pie_items {
	char		**keys;
	char		**xml;
	size_t		 *len;
	int		  n, max;
};

static int
pie_item_keep(const char *key, const char *xml, size_t len, void *arg)
{
	struct pie_items	*l = arg;

	if (l->n >= l->max)
		return (-1);
	if ((l->keys[l->n] = strdup(key)) == NULL ||
	    (l->xml[l->n] = malloc(len)) == NULL)
		fatal("%s", __func__);
	memcpy(l->xml[l->n], xml, len);
	l->len[l->n++] = len;
	return (0);
}

static void
pie_out_space(struct pie_out *o, const char *space, int max,
    void (*each)(struct pie_out *, const char *))
{
	struct pie_items	 l;
	int			 i;

	memset(&l, 0, sizeof(l));
	l.max = max;
	if ((l.keys = calloc(max, sizeof(*l.keys))) == NULL ||
	    (l.xml = calloc(max, sizeof(*l.xml))) == NULL ||
	    (l.len = calloc(max, sizeof(*l.len))) == NULL)
		fatal("%s", __func__);
	if (store_be->xml->get(o->j.domain, o->j.local, space, NULL, 0,
	    pie_item_keep, &l) == -1)
		o->failed = 1;
	for (i = l.n - 1; i >= 0; i--) {
		memset(&o->r, 0, sizeof(o->r));
		o->r.type = PIE_XML;
		(void)strlcpy(o->r.space, space, sizeof(o->r.space));
		(void)strlcpy(o->r.key, l.keys[i], sizeof(o->r.key));
		pie_send(o, l.xml[i], l.len[i], NULL, 0, NULL, 0);
		if (each != NULL)
			each(o, l.keys[i]);
	}
	for (i = 0; i < l.n; i++) {
		free(l.keys[i]);
		free(l.xml[i]);
	}
	free(l.keys);
	free(l.xml);
	free(l.len);
}

/* A PEP node's configuration was sent: its items follow. */
static void
pie_out_node(struct pie_out *o, const char *node)
{
	char	 space[XS_SPACE_MAX];

	if (strlen(node) + 4 >= sizeof(space))
		return;
	(void)strlcpy(space, "pep/", sizeof(space));
	(void)strlcat(space, node, sizeof(space));
	pie_out_space(o, space, PIE_PEP_NODES_MAX, NULL);
}

static void
pie_out_offline(const char *xml, size_t len, void *arg)
{
	struct pie_out	*o = arg;

	memset(&o->r, 0, sizeof(o->r));
	o->r.type = PIE_OFFLINE;
	pie_send(o, xml, len, NULL, 0, NULL, 0);
}

/*
 * Offline messages are read where they are handed over: taken in a
 * transaction rolled back, so that they stay for their owner.
 */
static void
pie_out_offlines(struct pie_out *o)
{
	if (store_be->begin() == -1) {
		o->failed = 1;
		return;
	}
	if (store_be->offline_take(o->j.domain, o->j.local, pie_out_offline,
	    o) == -1)
		o->failed = 1;
	store_be->rollback();
}

static int
pie_out_row(const char *id, int64_t stamp, const char *xml, size_t len,
    void *arg)
{
	struct pie_out	*o = arg;

	memset(&o->r, 0, sizeof(o->r));
	o->r.type = PIE_ARCHIVE;
	o->r.stamp = stamp;
	(void)strlcpy(o->r.key, id, sizeof(o->r.key));
	pie_send(o, xml, len, NULL, 0, NULL, 0);
	return (o->failed ? -1 : 0);
}

static void
pie_out_archive(struct pie_out *o, struct pie_export *e)
{
	struct mam_query	*q;
	struct mam_fin		 fin;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(q->owner.domain, o->j.domain, sizeof(q->owner.domain));
	(void)strlcpy(q->owner.localpart, o->j.local,
	    sizeof(q->owner.localpart));
	e->after[sizeof(e->after) - 1] = '\0';
	(void)strlcpy(q->rsm_after, e->after, sizeof(q->rsm_after));
	q->max = PIE_ARCHIVE_PAGE;
	memset(&fin, 0, sizeof(fin));
	if (store_be->mam->query(q, pie_out_row, o, &fin) == -1 ||
	    fin.status != MAM_OK)
		o->failed = 1;
	e->complete = fin.complete || fin.last[0] == '\0';
	(void)strlcpy(e->after, fin.last, sizeof(e->after));
	free(q);
}

void
pie_export(struct imsgev *iev, struct imsg *imsg)
{
	struct pie_out		 o;
	struct pie_export	 e;
	const char		*err = NULL;

	memset(&o, 0, sizeof(o));
	o.iev = iev;
	o.peerid = imsg_get_id(imsg);
	if (imsg_get_data(imsg, &e, sizeof(e)) == -1)
		err = "bad request";
	else {
		e.jid[sizeof(e.jid) - 1] = '\0';
		if (jid_parse(e.jid, &o.j) == -1 || o.j.local[0] == '\0' ||
		    o.j.resource[0] != '\0' ||
		    config_domain(proc_self.conf, o.j.domain) == NULL)
			err = "not a user of this server's domains";
		else if (store_be->account_exists(o.j.domain,
		    o.j.local) != 1)
			err = "no such account";
	}
	if (err == NULL && e.archive)
		pie_out_archive(&o, &e);
	else if (err == NULL) {
		pie_out_keys(&o);
		if (store_be->roster_items(o.j.domain, o.j.local,
		    pie_out_roster, &o) == -1)
			o.failed = 1;
		pie_out_space(&o, "vcard", 1, NULL);
		pie_out_space(&o, "private", PIE_PEP_NODES_MAX, NULL);
		pie_out_space(&o, "pep", PIE_PEP_NODES_MAX, pie_out_node);
		pie_out_offlines(&o);
		e.complete = 0;
		e.after[0] = '\0';
	}
	if (err == NULL && o.failed)
		err = "database error";
	if (err != NULL) {
		log_warnx("export: %s", err);
		imsgev_compose(iev, IMSG_CTL_FAIL, o.peerid, 0, -1, err,
		    strlen(err) + 1);
		return;
	}
	imsgev_compose(iev, IMSG_CTL_PIE_END, o.peerid, 0, -1, &e,
	    sizeof(e));
}
