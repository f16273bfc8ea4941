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
 * XEP-0227 import and export in the store.  xmppctl(8) parses the file
 * and sends one user's records; they are checked again here (the
 * user's JID of a configured domain, every contact a JID, every string
 * within its bound) and written in one transaction when the user is
 * complete: a user is imported whole or not at all.  An account that
 * exists already is left as it is, so that importing twice changes
 * nothing.  Export reads an account's records back for xmppctl, which
 * writes the XML.
 *
 * Archived messages can be millions a user: they are not held until
 * the commit.  xmppctl sends them in windows (PIE_WINDOW), each written
 * at its FLUSH, in a transaction of its own, under a staging account
 * of PIE_STAGE_DOMAIN, which no JID can name: no one sees them there.
 * The commit's transaction gives them to the new account in one
 * statement (mam_move); a user refused, or an import cut short, takes
 * the staging account away with its messages.  What a store that died
 * in the middle of an import left there is deleted when the store
 * starts, in the chunks of an archive expiry (pie_init); imports wait
 * for it to end, being refused meanwhile.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "config.h"
#include "jid.h"
#include "log.h"
#include "pie.h"
#include "proc.h"
#include "scram.h"
#include "store.h"

#define PIE_NOTES_MAX	32	/* notes answered per user */
#define PIE_STAGE_DOMAIN "/import"	/* not a domain: no one's messages */
#define PIE_LEFTOVERS_RETRY	5	/* seconds, the database away */

/* An earlier store's staging being deleted: imports wait. */
static int		 pie_leftovers = 1;
static int		 pie_leftovers_failed;
static int64_t		 pie_leftovers_deleted;
static struct event	 pie_leftovers_ev;

static void	pie_leftovers_start(int, short, void *);

struct pie_item {
	TAILQ_ENTRY(pie_item)	 entry;
	struct pie_piece	 p;
};
TAILQ_HEAD(pie_items, pie_item);

/* The user being received; one at a time, whoever sends it. */
static struct {
	int				 open;
	uint32_t			 peerid;
	struct pie_user			 user;
	struct pie_items		 items;
	struct pie_piece		 cur;	/* a record in pieces */
	size_t				 bytes;
	int				 bad;	/* refuse at commit */
	int				 badline;
	char				 why[256];	/* "": the database */
	int				 exists; /* the account, at USER */
	struct pie_items		 win;	/* archived, to FLUSH */
	size_t				 winbytes;
	int				 winrecs;
	char				 stage[32];	/* "": none yet */
	int				 staged;	/* messages under it */
} pie_in = {
	.items = TAILQ_HEAD_INITIALIZER(pie_in.items),
	.win = TAILQ_HEAD_INITIALIZER(pie_in.win),
};

/* What one commit writes, and what it reports. */
struct pie_ctx {
	struct jid		 j;
	struct domain_conf	*d;
	struct pie_done		 done;
	struct pie_note		 notes[PIE_NOTES_MAX];
	int			 nnotes;
	int			 skipped;	/* the record in hand */
	int			 offline;
};

static void
pie_items_free(struct pie_items *h)
{
	struct pie_item	*it;

	while ((it = TAILQ_FIRST(h)) != NULL) {
		TAILQ_REMOVE(h, it, entry);
		pie_piece_clear(&it->p);
		free(it);
	}
}

/* The staging account goes, and what it still holds with it. */
static void
pie_stage_drop(void)
{
	if (pie_in.stage[0] == '\0')
		return;
	if (store_be->account_delete(PIE_STAGE_DOMAIN, pie_in.stage) == -1)
		log_warnx("import: staged archive %s not removed: no one "
		    "sees it", pie_in.stage);
	pie_in.stage[0] = '\0';
	pie_in.staged = 0;
}

static void
pie_in_clear(void)
{
	pie_items_free(&pie_in.items);
	pie_items_free(&pie_in.win);
	pie_piece_clear(&pie_in.cur);
	pie_stage_drop();
	pie_in.open = pie_in.bad = pie_in.badline = pie_in.exists = 0;
	pie_in.bytes = pie_in.winbytes = 0;
	pie_in.winrecs = 0;
	pie_in.why[0] = '\0';
}

static void
pie_in_fail(int line, const char *why)
{
	if (pie_in.bad)
		return;
	pie_in.bad = 1;
	pie_in.badline = line;
	(void)strlcpy(pie_in.why, why, sizeof(pie_in.why));
}

static void
pie_note(struct pie_ctx *c, int line, const char *what, const char *why)
{
	struct pie_note	*n;

	c->skipped = 1;
	if (c->nnotes >= PIE_NOTES_MAX)
		return;
	n = &c->notes[c->nnotes++];
	n->line = line;
	(void)snprintf(n->text, sizeof(n->text), "%s skipped: %s", what, why);
}

/* A bare JID of an account this server keeps, normalised into j. */
static const char *
pie_user_jid(const char *in, struct jid *j, struct domain_conf **d)
{
	if (jid_parse(in, j) == -1 || j->local[0] == '\0' ||
	    j->resource[0] != '\0')
		return ("not a bare JID of a user");
	if ((*d = config_domain(proc_self.conf, j->domain)) == NULL)
		return ("its domain is not one of this server's");
	return (NULL);
}

/* A piece of a record of the open user. */
static void
pie_rec_in(struct imsg *imsg)
{
	struct pie_item	*it;
	int		 r;

	if (!pie_in.open || imsg_get_id(imsg) != pie_in.peerid)
		return;		/* another import took over: refused */
	if (pie_in.bad)
		return;
	r = pie_piece_add(&pie_in.cur, imsg, PIE_REC_MAX);
	if (r == -1) {
		pie_in_fail(pie_in.cur.r.line, "a record is malformed or "
		    "too long");
		return;
	}
	if (r == 0)
		return;
	if (pie_in.cur.r.type == PIE_ARCHIVE) {
		/* Until the next FLUSH; xmppctl sends no more. */
		if ((pie_in.winbytes += pie_in.cur.len) > PIE_WINDOW +
		    PIE_REC_MAX || ++pie_in.winrecs > PIE_WINDOW_RECS) {
			pie_in_fail(pie_in.cur.r.line, "archived messages "
			    "past a window without a flush");
			return;
		}
	} else if ((pie_in.bytes += pie_in.cur.len + sizeof(*it)) >
	    PIE_USER_MAX) {
		pie_in_fail(pie_in.cur.r.line, "the user's data is too big");
		return;
	}
	if ((it = calloc(1, sizeof(*it))) == NULL)
		fatal("%s", __func__);
	it->p = pie_in.cur;
	memset(&pie_in.cur, 0, sizeof(pie_in.cur));
	if (it->p.r.type == PIE_ARCHIVE)
		TAILQ_INSERT_TAIL(&pie_in.win, it, entry);
	else
		TAILQ_INSERT_TAIL(&pie_in.items, it, entry);
}

static const char *
pie_scram(struct pie_ctx *c, struct pie_piece *p)
{
	struct scram_keys	 k;
	size_t			 hl;
	int			 rv;

	if (p->r.hash != SCRAM_SHA1 && p->r.hash != SCRAM_SHA256)
		return ("unknown SCRAM hash");
	hl = scram_hashlen(p->r.hash);
	if (p->r.iter < SCRAM_ITER_MIN || p->r.iter > SCRAM_ITER_MAX)
		return ("SCRAM iteration count out of bounds");
	if (p->r.len[0] == 0 || p->r.len[0] > SCRAM_SALTMAX ||
	    p->r.len[1] != hl || p->r.len[2] != hl)
		return ("SCRAM salt or keys of the wrong length");
	if (c->d->auth != AUTH_INTERNAL) {
		pie_note(c, p->r.line, "credentials",
		    "the domain's users log in with the directory");
		return (NULL);
	}
	memset(&k, 0, sizeof(k));
	k.hash = p->r.hash;
	k.iter = p->r.iter;
	k.saltlen = p->r.len[0];
	memcpy(k.salt, p->str[0], k.saltlen);
	memcpy(k.stored_key, p->str[1], hl);
	memcpy(k.server_key, p->str[2], hl);
	rv = store_be->keys_put(c->j.domain, c->j.local, &k);
	explicit_bzero(&k, sizeof(k));
	return (rv == 0 ? NULL : "");
}

static const char *
pie_password(struct pie_ctx *c, struct pie_piece *p)
{
	if (p->r.len[0] == 0 || p->r.len[0] > SCRAM_PASSMAX ||
	    strlen(p->str[0]) != p->r.len[0])
		return ("password empty, too long or holding a NUL");
	if (c->d->auth != AUTH_INTERNAL) {
		pie_note(c, p->r.line, "password",
		    "the domain's users log in with the directory");
		return (NULL);
	}
	if (account_set_keys(c->j.domain, c->j.local, p->str[0]) == -1)
		return ("password not acceptable");
	return (NULL);
}

static const char *
pie_roster(struct pie_ctx *c, struct pie_piece *p)
{
	struct roster_item_msg	 it;
	struct jid		 cj;

	if (jid_parse(p->r.jid, &cj) == -1 || cj.resource[0] != '\0')
		return ("roster item: not a bare JID");
	if (p->r.sub < SUB_NONE || p->r.sub > SUB_BOTH ||
	    (p->r.ask != 0 && p->r.ask != 1))
		return ("roster item: bad subscription or ask");
	if (p->r.len[0] > 1023 || strlen(p->str[0]) != p->r.len[0] ||
	    strlen(p->str[1]) != p->r.len[1] ||
	    strlen(p->str[2]) != p->r.len[2])
		return ("roster item: name too long, or a NUL in a string");
	memset(&it, 0, sizeof(it));
	(void)strlcpy(it.owner.localpart, c->j.local,
	    sizeof(it.owner.localpart));
	(void)strlcpy(it.owner.domain, c->j.domain, sizeof(it.owner.domain));
	(void)jid_bare(&cj, it.contact, sizeof(it.contact));
	it.sub = p->r.sub;
	it.ask = p->r.ask;
	it.in_roster = p->r.in_roster != 0;
	it.namelen = p->r.len[0];
	it.groupslen = p->r.len[1];
	it.pendinglen = p->r.len[2];
	return (store_be->roster_put(&it, p->str[0], p->str[1], p->str[2]) ==
	    0 ? NULL : "");
}

/* vCard, private XML, PEP: the spaces the router keeps them in. */
static const char *
pie_xml(struct pie_ctx *c, struct pie_piece *p)
{
	if (strcmp(p->r.space, "vcard") == 0) {
		if (strcmp(p->r.key, "vcard") != 0)
			return ("vCard: bad key");
	} else if (strcmp(p->r.space, "private") == 0 ||
	    strcmp(p->r.space, "pep") == 0) {
		if (p->r.key[0] == '\0')
			return ("private XML or PEP node without a name");
	} else if (strncmp(p->r.space, "pep/", 4) == 0) {
		if (p->r.space[4] == '\0' || p->r.key[0] == '\0' ||
		    store_be->xml->exists(c->j.domain, c->j.local, "pep",
		    p->r.space + 4) != 1)
			return ("PEP item without an id, or of a node not "
			    "configured before it");
	} else
		return ("unknown kind of XML");
	if (p->r.len[0] == 0 || strlen(p->str[0]) != p->r.len[0])
		return ("empty XML, or a NUL in it");
	return (store_be->xml->put(c->j.domain, c->j.local, p->r.space,
	    p->r.key, p->str[0], p->r.len[0]) == 0 ? NULL : "");
}

static const char *
pie_message(struct pie_ctx *c, struct pie_piece *p)
{
	struct jid	 w;
	char		 bare[CONF_JIDLEN], id[MAM_ID_LEN];
	size_t		 max = proc_self.conf->global.limits.stanza_size;

	if (p->r.len[0] == 0 || p->r.len[0] > max ||
	    strlen(p->str[0]) != p->r.len[0])
		return ("message empty, too long or holding a NUL");
	if (p->r.stamp <= 0)
		return ("message without a time stamp");
	if (p->r.type == PIE_OFFLINE) {
		if (c->offline >= c->d->offline_limit) {
			pie_note(c, p->r.line, "offline message",
			    "past the domain's offline limit");
			return (NULL);
		}
		c->offline++;
		return (store_be->offline_put(c->j.domain, c->j.local,
		    p->r.stamp / 1000000, p->str[0], p->r.len[0]) == 0 ?
		    NULL : "");
	}
	if (jid_parse(p->r.jid, &w) == -1 ||
	    (p->r.direction != 0 && p->r.direction != 1))
		return ("archived message: bad JID or direction");
	(void)jid_bare(&w, bare, sizeof(bare));
	return (store_be->mam->put(c->j.domain, c->j.local, bare, w.resource,
	    p->r.direction, p->r.stamp, p->str[0], p->r.len[0], id) == 0 ?
	    NULL : "");
}

static const char *
pie_write_one(struct pie_ctx *c, struct pie_piece *p)
{
	switch (p->r.type) {
	case PIE_SCRAM:
		return (pie_scram(c, p));
	case PIE_PASSWORD:
		return (pie_password(c, p));
	case PIE_ROSTER:
		return (pie_roster(c, p));
	case PIE_XML:
		return (pie_xml(c, p));
	case PIE_OFFLINE:
	case PIE_ARCHIVE:
		return (pie_message(c, p));
	}
	return ("unknown record");
}

/* The staging account, made in a transaction of its own. */
static int
pie_stage_new(void)
{
	char	 key[24];

	if (base64url_random(12, key, sizeof(key)) == -1)
		return (-1);
	(void)snprintf(pie_in.stage, sizeof(pie_in.stage), "pie-%s", key);
	if (store_be->begin() == -1)
		goto fail;
	if (store_be->account_insert(PIE_STAGE_DOMAIN, pie_in.stage,
	    time(NULL)) != 0) {
		store_be->rollback();
		goto fail;
	}
	if (store_be->commit() == 0)
		return (0);
 fail:
	pie_in.stage[0] = '\0';
	return (-1);
}

/* The window's archived messages under the staging account. */
static void
pie_flush(void)
{
	struct pie_ctx	*c;
	struct pie_item	*it;
	const char	*err = NULL;
	int		 n = 0;

	if (pie_in.bad || pie_in.exists || TAILQ_EMPTY(&pie_in.win))
		goto done;
	it = TAILQ_FIRST(&pie_in.win);
	if (pie_in.stage[0] == '\0') {
		if (pie_stage_new() == -1) {
			pie_in_fail(it->p.r.line, "");
			goto done;
		}
		log_info("account %s: archive set aside as it comes",
		    pie_in.user.jid);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(c->j.domain, PIE_STAGE_DOMAIN, sizeof(c->j.domain));
	(void)strlcpy(c->j.local, pie_in.stage, sizeof(c->j.local));
	if (store_be->begin() == -1)
		err = "";
	else {
		TAILQ_FOREACH(it, &pie_in.win, entry) {
			if ((err = pie_message(c, &it->p)) != NULL)
				break;
			n++;
		}
		if (err != NULL)
			store_be->rollback();
		else if (store_be->commit() == -1)
			err = "";
	}
	if (err != NULL)
		pie_in_fail(it != NULL ? it->p.r.line :
		    TAILQ_FIRST(&pie_in.win)->p.r.line, err);
	else
		pie_in.staged += n;
	free(c);
 done:
	pie_items_free(&pie_in.win);
	pie_in.winbytes = 0;
	pie_in.winrecs = 0;
}

/*
 * IMSG_CTL_PIE_FLUSH: answered when the window is set aside, or the
 * user given up with what was set aside.
 */
static void
pie_flush_ctl(struct imsgev *iev, struct imsg *imsg)
{
	int	 rc = -1, giveup;

	if (imsg_get_data(imsg, &giveup, sizeof(giveup)) == -1)
		giveup = 1;
	if (pie_in.open && imsg_get_id(imsg) == pie_in.peerid) {
		if (giveup) {
			log_info("account %s: import given up",
			    pie_in.user.jid);
			pie_in_clear();
		} else {
			pie_flush();
			rc = pie_in.bad ? -1 : 0;
		}
	}
	imsgev_compose(iev, IMSG_CTL_PIE_FLUSHED, imsg_get_id(imsg), 0, -1,
	    &rc, sizeof(rc));
}

/* Every record of the user in one transaction; the status in c->done. */
static void
pie_write(struct pie_ctx *c)
{
	struct pie_item	*it;
	const char	*err = NULL;
	int		 rc;

	if (store_be->begin() == -1) {
		c->done.status = PIE_FAILED;
		return;
	}
	rc = store_be->account_insert(c->j.domain, c->j.local, time(NULL));
	if (rc != 0) {
		store_be->rollback();
		c->done.status = rc == 1 ? PIE_EXISTS : PIE_FAILED;
		return;
	}
	if (pie_in.exists) {
		/* Its archive was not kept: it existed at the start. */
		store_be->rollback();
		c->done.status = PIE_REFUSED;
		(void)strlcpy(c->done.why, "the account was removed while "
		    "it was imported", sizeof(c->done.why));
		return;
	}
	TAILQ_FOREACH(it, &pie_in.items, entry) {
		c->skipped = 0;
		if ((err = pie_write_one(c, &it->p)) != NULL)
			break;
		if (!c->skipped)
			c->done.counts[it->p.r.type]++;
	}
	/* The archive set aside, made the account's. */
	if (err == NULL && pie_in.staged > 0) {
		if (store_be->mam_move(PIE_STAGE_DOMAIN, pie_in.stage,
		    c->j.domain, c->j.local) == -1) {
			store_be->rollback();
			c->done.status = PIE_FAILED;
			(void)strlcpy(c->done.why, "database error",
			    sizeof(c->done.why));
			return;
		}
		c->done.counts[PIE_ARCHIVE] += pie_in.staged;
	}
	if (err != NULL) {
		store_be->rollback();
		c->done.status = err[0] == '\0' ? PIE_FAILED : PIE_REFUSED;
		c->done.line = it->p.r.line;
		(void)strlcpy(c->done.why, err[0] == '\0' ? "database error" :
		    err, sizeof(c->done.why));
		return;
	}
	if (store_be->commit() == -1)
		c->done.status = PIE_FAILED;
}

/* The router forgets what it cached of the name before the account. */
static void
pie_tell_router(struct pie_ctx *c)
{
	struct imsgev	*router;
	struct ctl_user	 cu;

	if ((router = proc_peer(PROC_ROUTER, 0)) == NULL)
		return;
	memset(&cu, 0, sizeof(cu));
	(void)jid_bare(&c->j, cu.jid, sizeof(cu.jid));
	imsgev_compose(router, IMSG_PIE_IMPORTED, 0, 0, -1, &cu, sizeof(cu));
}

static void
pie_commit(struct imsgev *iev, struct imsg *imsg)
{
	struct pie_ctx	*c;
	struct pie_user	 u;
	const char	*err;
	uint32_t	 peerid = imsg_get_id(imsg);
	int		 i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	if (imsg_get_data(imsg, &u, sizeof(u)) == -1)
		u.jid[0] = '\0';
	u.jid[sizeof(u.jid) - 1] = '\0';
	c->done.line = u.line;
	if (pie_in.open && pie_in.peerid == peerid)
		pie_flush();
	if (!pie_in.open || pie_in.peerid != peerid ||
	    strcmp(pie_in.user.jid, u.jid) != 0) {
		c->done.status = PIE_REFUSED;
		(void)strlcpy(c->done.why, "another import interrupted this "
		    "one", sizeof(c->done.why));
	} else if (pie_in.bad || pie_in.cur.data != NULL) {
		c->done.status = pie_in.bad && pie_in.why[0] == '\0' ?
		    PIE_FAILED : PIE_REFUSED;
		c->done.line = pie_in.badline;
		(void)strlcpy(c->done.why, !pie_in.bad ?
		    "a record was cut short" : pie_in.why[0] == '\0' ?
		    "database error" : pie_in.why, sizeof(c->done.why));
	} else if ((err = pie_user_jid(u.jid, &c->j, &c->d)) != NULL) {
		c->done.status = PIE_REFUSED;
		(void)strlcpy(c->done.why, err, sizeof(c->done.why));
	} else {
		pie_write(c);
		if (c->done.status == PIE_IMPORTED) {
			log_info("account %s@%s: imported", c->j.local,
			    c->j.domain);
			pie_tell_router(c);
		}
	}
	if (c->done.status == PIE_IMPORTED)
		for (i = 0; i < c->nnotes; i++)
			imsgev_compose(iev, IMSG_CTL_PIE_NOTE, peerid, 0, -1,
			    &c->notes[i], sizeof(c->notes[i]));
	imsgev_compose(iev, IMSG_CTL_PIE_DONE, peerid, 0, -1, &c->done,
	    sizeof(c->done));
	pie_in_clear();
	free(c);
}

static void
pie_user_in(struct imsg *imsg)
{
	struct domain_conf	*d;
	struct jid		 j;

	pie_in_clear();
	pie_in.open = 1;
	pie_in.peerid = imsg_get_id(imsg);
	if (imsg_get_data(imsg, &pie_in.user, sizeof(pie_in.user)) == -1) {
		memset(&pie_in.user, 0, sizeof(pie_in.user));
		pie_in_fail(0, "bad request");
	}
	pie_in.user.jid[sizeof(pie_in.user.jid) - 1] = '\0';
	/* Waiting for the database: it may have come since. */
	if (pie_leftovers && evtimer_pending(&pie_leftovers_ev, NULL)) {
		evtimer_del(&pie_leftovers_ev);
		pie_leftovers_start(-1, 0, NULL);
	}
	if (pie_leftovers)
		pie_in_fail(0, "the store is still removing what an "
		    "interrupted import left: try again shortly");
	/* Nothing will change: its archive need not be set aside. */
	if (pie_user_jid(pie_in.user.jid, &j, &d) == NULL &&
	    store_be->account_exists(j.domain, j.local) == 1)
		pie_in.exists = 1;
}

/* A staging account's name, kept to delete it after the listing. */
struct pie_name {
	SLIST_ENTRY(pie_name)	 entry;
	char			*local;
};
SLIST_HEAD(pie_names, pie_name);

static void
pie_leftover_name(const char *local, void *arg)
{
	struct pie_names	*h = arg;
	struct pie_name		*n;

	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->local = strdup(local)) == NULL)
		fatal("%s", __func__);
	SLIST_INSERT_HEAD(h, n, entry);
}

/* The staging accounts, their messages gone: how many, or -1. */
static int
pie_leftover_accounts(void)
{
	struct pie_names	 names = SLIST_HEAD_INITIALIZER(names);
	struct pie_name		*n;
	int			 rc, done = 0;

	rc = store_be->account_list(PIE_STAGE_DOMAIN, pie_leftover_name,
	    &names);
	while ((n = SLIST_FIRST(&names)) != NULL) {
		SLIST_REMOVE_HEAD(&names, entry);
		if (rc != -1 && (rc = store_be->account_delete(
		    PIE_STAGE_DOMAIN, n->local)) == 1)
			done++;
		free(n->local);
		free(n);
	}
	return (rc == -1 ? -1 : done);
}

/* Their messages are gone: the staging accounts go, and imports may come. */
static void
pie_leftovers_done(int64_t deleted, void *arg)
{
	struct timeval	 tv = { PIE_LEFTOVERS_RETRY, 0 };
	int		 n = -1;

	(void)arg;
	if (deleted > 0)
		pie_leftovers_deleted += deleted;
	if (deleted == -1 || (n = pie_leftover_accounts()) == -1) {
		if (!pie_leftovers_failed++)
			log_warnx("import: what an interrupted import left "
			    "cannot be removed yet: imports wait");
		evtimer_add(&pie_leftovers_ev, &tv);
		return;
	}
	if (n > 0 || pie_leftovers_deleted > 0)
		log_info("import: %d interrupted imports' staging removed, "
		    "%lld archived messages", n,
		    (long long)pie_leftovers_deleted);
	pie_leftovers = pie_leftovers_failed = 0;
}

static void
pie_leftover_count(const char *local, void *arg)
{
	(void)local;
	(*(int *)arg)++;
}

/*
 * Staged messages belong to a staging account: with none there is
 * nothing to remove, and imports are taken at once.
 */
static void
pie_leftovers_start(int fd, short event, void *arg)
{
	struct timeval	 tv = { PIE_LEFTOVERS_RETRY, 0 };
	int		 n = 0;

	(void)fd;
	(void)event;
	(void)arg;
	if ((store_be->up != NULL && !store_be->up()) ||
	    store_be->account_list(PIE_STAGE_DOMAIN, pie_leftover_count,
	    &n) == -1)
		evtimer_add(&pie_leftovers_ev, &tv);
	else if (n == 0)
		pie_leftovers = 0;
	else if (mam_expire_all(PIE_STAGE_DOMAIN, pie_leftovers_done,
	    NULL) == -1)
		evtimer_add(&pie_leftovers_ev, &tv);
}

/*
 * At start, no import runs: whatever is staged is an earlier store's,
 * which died before it could commit or drop it.
 */
void
pie_init(void)
{
	struct timeval	 tv = { 0, 0 };

	evtimer_set(&pie_leftovers_ev, pie_leftovers_start, NULL);
	evtimer_add(&pie_leftovers_ev, &tv);
}

/* The control process went away: what it was sending goes. */
void
pie_peer_down(void)
{
	pie_in_clear();
}

int
pie_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_PIE_USER:
	case IMSG_CTL_PIE_REC:
	case IMSG_CTL_PIE_COMMIT:
	case IMSG_CTL_PIE_EXPORT:
	case IMSG_CTL_PIE_FLUSH:
		break;
	default:
		return (1);
	}
	if (iev->type != PROC_CONTROL)
		return (-1);
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_PIE_USER:
		pie_user_in(imsg);
		break;
	case IMSG_CTL_PIE_REC:
		pie_rec_in(imsg);
		break;
	case IMSG_CTL_PIE_COMMIT:
		pie_commit(iev, imsg);
		break;
	case IMSG_CTL_PIE_FLUSH:
		pie_flush_ctl(iev, imsg);
		break;
	default:
		pie_export(iev, imsg);
		break;
	}
	return (0);
}
