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
 * Room archives (XEP-0313 on the room's JID): the groupchat messages of
 * a persistent room that logs, each named by its archive id, which the
 * room stamps as the message's stanza-id (XEP-0359); queries by those
 * the room lets read it; rows past the service's "archive expire"
 * deleted hourly in small chunks.  Also the occupant ids (XEP-0421) of
 * every presence and message from an occupant: a keyed digest of its
 * real bare JID, the key the room's own and kept with it.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "config.h"
#include "log.h"
#include "mam.h"
#include "msg.h"
#include "muc.h"
#include "muc_backend.h"
#include "proc.h"
#include "stanza.h"
#include "xml.h"

#define MUC_MAM_SECRET_LEN	32
#define MUC_MAM_OID_BYTES	18	/* of the digest: 24 characters */
#define MUC_MAM_EXPIRE_CHUNK	1000	/* rows per delete */
#define MUC_MAM_EXPIRE_EVERY	3600	/* seconds */
#ifdef REGRESS
#define MUC_MAM_EXPIRE_RETRY	2	/* seconds, after a failed delete */
#else
#define MUC_MAM_EXPIRE_RETRY	60
#endif
#define MUC_MAM_SECRET_KEY	"mam.secret"

/* A room's key for its occupant ids. */
struct muc_mam_room {
	uint8_t		 secret[MUC_MAM_SECRET_LEN];
};

static struct event		 muc_mam_hourly_ev, muc_mam_expire_ev;
static char			 muc_mam_expiring[CONF_NAMELEN];
static int64_t			 muc_mam_deleted;

static void	muc_mam_hourly(int, short, void *);
static void	muc_mam_expire_run(int, short, void *);

static struct muc_mam_room *
muc_mam_of(struct muc_room *room)
{
	return (*muc_room_slot(room, &muc_mam_feature));
}

/* -- occupant ids (XEP-0421) -------------------------------------------- */

/* The occupant id of a bare JID in room: stable, and tells nothing. */
static int
muc_mam_oid(struct muc_room *room, const char *bare, char *buf, size_t len)
{
	struct muc_mam_room	*mr = muc_mam_of(room);
	uint8_t			 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0;

	if (HMAC(EVP_sha256(), mr->secret, sizeof(mr->secret),
	    (const uint8_t *)bare, strlen(bare), mac, &maclen) == NULL ||
	    maclen < MUC_MAM_OID_BYTES ||
	    base64url_encode(mac, MUC_MAM_OID_BYTES, buf, len) == -1)
		return (-1);
	return (0);
}

/* Add the occupant id of occ to n, which has none (the core saw to it). */
static void
muc_mam_oid_add(struct muc_occupant *occ, struct xml_node *n)
{
	struct xml_node	*o;
	char		 id[64];

	if (muc_mam_oid(occ->room, occ->bare, id, sizeof(id)) == -1 ||
	    (o = xml_add_child(n, NS_OCCUPANT_ID, "occupant-id")) == NULL ||
	    xml_set_attr(o, "id", id) == -1)
		log_warnx("%s: no occupant id for %s in %s", __func__,
		    occ->nick, occ->room->jid);
}

static void
muc_mam_presence_out(struct muc_occupant *occ, struct xml_node *p,
    struct xml_node *x, int self)
{
	(void)x;
	(void)self;
	muc_mam_oid_add(occ, p);
}

static void
muc_mam_message_out(struct muc_occupant *occ, struct xml_node *m)
{
	muc_mam_oid_add(occ, m);
}

/* The key as kept in the database: hex. */
static void
muc_mam_secret_save(struct muc_room *room)
{
	struct muc_mam_room	*mr = muc_mam_of(room);
	char			 hex[2 * MUC_MAM_SECRET_LEN + 1];
	size_t			 i;

	for (i = 0; i < sizeof(mr->secret); i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", mr->secret[i]);
	if (muc_db_setting_put(room, MUC_MAM_SECRET_KEY, hex) == -1)
		log_warnx("%s: the occupant id key of %s is not saved",
		    __func__, room->jid);
	explicit_bzero(hex, sizeof(hex));
}

static int
muc_mam_secret_load(struct muc_room *room, struct muc_mam_room *mr)
{
	char		*hex;
	unsigned int	 b;
	size_t		 i;
	int		 rv = -1;

	if ((hex = muc_db_setting_get(room, MUC_MAM_SECRET_KEY)) == NULL)
		return (-1);
	if (strlen(hex) == 2 * sizeof(mr->secret) &&
	    strspn(hex, "0123456789abcdef") == strlen(hex)) {
		for (i = 0; i < sizeof(mr->secret); i++) {
			(void)sscanf(hex + 2 * i, "%2x", &b);
			mr->secret[i] = b;
		}
		rv = 0;
	} else
		log_warnx("%s: %s: a bad occupant id key, a new one", __func__,
		    room->jid);
	freezero(hex, strlen(hex));
	return (rv);
}

static void
muc_mam_room_init(struct muc_room *room)
{
	struct muc_mam_room	*mr;

	if ((mr = calloc(1, sizeof(*mr))) == NULL)
		fatal("%s", __func__);
	*muc_room_slot(room, &muc_mam_feature) = mr;
	if (muc_mam_secret_load(room, mr) == 0)
		return;
	arc4random_buf(mr->secret, sizeof(mr->secret));
	muc_mam_secret_save(room);
}

static void
muc_mam_room_free(struct muc_room *room)
{
	struct muc_mam_room	*mr = muc_mam_of(room);

	freezero(mr, sizeof(*mr));
	*muc_room_slot(room, &muc_mam_feature) = NULL;
}

/* -- the archive ------------------------------------------------------- */

/* Does the room keep an archive: persistent (in the database), logging. */
static int
muc_mam_logs(struct muc_room *room)
{
	return (room->cfg.logging && room->dbid != 0 && !room->locked);
}

/*
 * The archive names the message: a body (or what stands for one) or a
 * subject change (XEP-0313 section 7.1.2), kept once with its sender.
 */
static int
muc_mam_stanza_id(struct muc_occupant *occ, const struct xml_node *m,
    char *buf, size_t len)
{
	struct muc_room	*room = occ->room;
	struct xml_buf	 b;
	char		 id[MAM_ID_LEN];
	int		 tries, rc = -1;

	if (!muc_mam_logs(room) ||
	    (!mam_archivable(m) && !muc_message_is_subject(m)))
		return (-1);
	xml_buf_init(&b, 0);
	if (xml_serialize(m, NS_CLIENT, &b) == -1) {
		xml_buf_free(&b);
		return (-1);
	}
	for (tries = 0; tries < 3 && rc != 0; tries++) {
		/* 12 random bytes: 16 characters, nothing to guess from. */
		if (base64url_random(12, id, sizeof(id)) == -1)
			break;
		rc = muc_be->mam->put(room->dbid, id, mam_now(), occ->nick,
		    occ->bare, b.data, b.len);
		/* Only an id that exists already is worth another try. */
		if (rc == -1)
			break;
	}
	xml_buf_free(&b);
	if (rc != 0) {
		log_warnx("%s: a message of %s is not archived", __func__,
		    room->jid);
		return (-1);
	}
	return (strlcpy(buf, id, len) < len ? 0 : -1);
}

/*
 * May the sender read the archive (XEP-0313 section 7.1.2)?  Its
 * occupants, and its admins and owners; members too when the room is
 * members-only or non-anonymous, joined or not.  Never an outcast.
 */
static int
muc_mam_may_read(struct muc_ctx *ctx, struct muc_error *err)
{
	struct muc_room	*room = ctx->room;
	int		 aff = muc_room_affiliation(room, ctx->bare);

	if (aff != MUC_AFF_OUTCAST && (ctx->sess != NULL ||
	    aff >= MUC_AFF_ADMIN || (aff >= MUC_AFF_MEMBER &&
	    (room->cfg.members_only || room->cfg.whois == MUC_WHOIS_ANYONE))))
		return (0);
	/*
	 * A hidden room is no more there than one that does not exist: the
	 * error is the service's, as the core answers for no room.
	 */
	if (!room->cfg.public) {
		ctx->room = NULL;
		ctx->sess = NULL;
		return (muc_stanza_seterr(err, "cancel", "item-not-found",
		    NULL));
	}
	return (muc_stanza_seterr(err, "auth", "forbidden", NULL));
}

/* May the sender know who said what (XEP-0045 section 7.2.4)? */
static int
muc_mam_sees_jids(struct muc_ctx *ctx)
{
	if (ctx->sess != NULL)
		return (muc_occupant_sees_jids(ctx->sess->occ));
	return (ctx->room->cfg.whois == MUC_WHOIS_ANYONE ||
	    muc_room_affiliation(ctx->room, ctx->bare) >= MUC_AFF_ADMIN);
}

/*
 * The rows of the page, in the order they are sent (oldest first unless
 * flipped), one more than asked read to know if it is the last.
 * Returns how many, -1 on failure.
 */
static int
muc_mam_page(const struct muc_mam_q *a, int64_t *seqs, int *more)
{
	const struct mam_query	*q = a->q;
	int64_t			 t;
	int			 backward, n, i;

	backward = q->rsm_before[0] != '\0' || q->rsm_last;
	if ((n = muc_be->mam->page(a, backward, q->max, seqs, more)) == -1)
		return (-1);
	/* Read backward, the page is still sent oldest first. */
	if (backward != q->flip)
		for (i = 0; i < n / 2; i++) {
			t = seqs[i];
			seqs[i] = seqs[n - 1 - i];
			seqs[n - 1 - i] = t;
		}
	return (n);
}

struct muc_mam_sending {
	struct muc_ctx		*ctx;
	const char		*room;		/* its JID */
	const char		*queryid;
	int			 withjid;
	struct mam_fin		*fin;
};

/*
 * A query the backend answers later (query_start): what answering
 * takes, kept apart from the room, which may go meanwhile.  ctx is a
 * copy whose stanza is an iq with the query's id alone.  The rows'
 * callback (muc_mam_result) and done both get it.
 */
struct muc_mam_later {
	struct muc_mam_sending	 ms;	/* first: what rows are sent with */
	struct muc_ctx		 ctx;
	struct mam_fin		 fin;
	char			*from, *room, *queryid;
};

/*
 * One archived message to the querier: forwarded from the room, from
 * its sender's nick, with its real JID to those who may know it
 * (XEP-0313 section 7.1.2).
 */
static int
muc_mam_result(const char *id, int64_t stamp, const char *jid,
    const char *xml, size_t len, void *arg)
{
	struct muc_mam_sending	*ms = arg;
	struct muc_ctx		*ctx = ms->ctx;
	struct xml_limits	 l;
	struct xml_node		*inner, *x, *item, *r;

	if (ms->fin->first[0] == '\0')
		(void)strlcpy(ms->fin->first, id, sizeof(ms->fin->first));
	(void)strlcpy(ms->fin->last, id, sizeof(ms->fin->last));
	stanza_limits(&proc_self.conf->global, &l);
	if ((inner = xml_parse_fragment(xml, len, &l, NS_CLIENT)) == NULL) {
		log_warnx("%s: %s: archived message %s unreadable", __func__,
		    ms->room, id);
		return (0);
	}
	if (ms->withjid && ((x = xml_add_child(inner, NS_MUC_USER,
	    "x")) == NULL || (item = xml_add_child(x, NULL, "item")) == NULL ||
	    xml_set_attr(item, "jid", jid) == -1)) {
		xml_node_free(inner);
		return (-1);
	}
	if ((r = mam_result_new(ctx->from, ms->room, ms->queryid, id,
	    stamp, inner)) == NULL)
		return (-1);
	(void)muc_stanza_send(r);
	xml_node_free(r);
	return (0);
}

/*
 * Answer with the only child of holder, an iq built to carry it, when
 * it was built (ok); else the sender is told the room failed.
 */
static int
muc_mam_reply(struct muc_ctx *ctx, struct xml_node *holder, int ok,
    struct muc_error *err)
{
	struct xml_node	*c;

	if (!ok || holder == NULL || (c = xml_first_child(holder)) == NULL) {
		xml_node_free(holder);
		return (muc_stanza_seterr(err, "wait",
		    "internal-server-error", NULL));
	}
	xml_unlink(c);
	xml_node_free(holder);
	muc_stanza_result(ctx, c);
	return (MUC_DONE);
}

/* One id of a query as a row of the room: NULL, or why it is not. */
static const char *
muc_mam_bound(int64_t room, const char *id, int64_t *seq)
{
	if (id[0] == '\0')
		return (NULL);
	if ((*seq = muc_be->mam->seq(room, id)) == -1)
		return ("internal-server-error");
	return (*seq == 0 ? "item-not-found" : NULL);
}

/* Resolve the ids of a query into rows of this room. */
static int
muc_mam_bounds(struct muc_mam_q *a, struct muc_error *err)
{
	const struct mam_query	*q = a->q;
	const char		*cond;

	if ((cond = muc_mam_bound(a->room, q->after_id, &a->after)) != NULL ||
	    (cond = muc_mam_bound(a->room, q->before_id, &a->before)) !=
	    NULL ||
	    (cond = muc_mam_bound(a->room, q->rsm_after, &a->rsm_after)) !=
	    NULL ||
	    (cond = muc_mam_bound(a->room, q->rsm_before, &a->rsm_before)) !=
	    NULL)
		return (muc_stanza_seterr(err, strcmp(cond,
		    "item-not-found") == 0 ? "cancel" : "wait", cond, NULL));
	return (0);
}

static void
muc_mam_later_free(struct muc_mam_later *l)
{
	xml_node_free(l->ctx.n);
	free(l->from);
	free(l->room);
	free(l->queryid);
	free(l);
}

/* The backend's answer to a query it ran later: the fin, or an error. */
static void
muc_mam_later_done(const struct mam_fin *fin, void *arg)
{
	struct muc_mam_later	*l = arg;
	struct muc_error	 err;
	struct xml_node		*holder;
	int			 rv;

	if (fin->status == MAM_OK) {
		holder = xml_node_new(NS_CLIENT, "iq");
		rv = muc_mam_reply(&l->ctx, holder, holder != NULL &&
		    mam_fin_add(holder, fin) == 0, &err);
	} else if (fin->status == MAM_ITEM_NOT_FOUND)
		rv = muc_stanza_seterr(&err, "cancel", "item-not-found", NULL);
	else
		rv = muc_stanza_seterr(&err, "wait", "internal-server-error",
		    NULL);
	if (rv == MUC_FAIL)
		muc_stanza_error(&l->ctx, &err);
	muc_mam_later_free(l);
}

/*
 * The query to the backend, answered when its rows come: meanwhile
 * mucd serves every room, this one too.
 */
static int
muc_mam_start(struct muc_ctx *ctx, const struct muc_mam_sending *ms,
    const struct muc_mam_q *a, struct muc_error *err)
{
	struct muc_mam_later	*l;
	const char		*id;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return (muc_stanza_seterr(err, "wait",
		    "internal-server-error", NULL));
	l->ctx = *ctx;
	l->ctx.svc = NULL;
	l->ctx.room = NULL;
	l->ctx.sess = NULL;
	l->ctx.type = "set";
	l->ctx.n = NULL;
	if ((l->from = strdup(ctx->from)) == NULL ||
	    (l->room = strdup(ms->room)) == NULL ||
	    (ms->queryid != NULL && (l->queryid = strdup(ms->queryid)) ==
	    NULL) || (l->ctx.n = xml_node_new(NS_CLIENT, "iq")) == NULL ||
	    ((id = xml_get_attr(ctx->n, "id")) != NULL &&
	    xml_set_attr(l->ctx.n, "id", id) == -1)) {
		muc_mam_later_free(l);
		return (muc_stanza_seterr(err, "wait",
		    "internal-server-error", NULL));
	}
	l->ctx.from = l->from;
	l->ms = *ms;
	l->ms.ctx = &l->ctx;
	l->ms.room = l->room;
	l->ms.queryid = l->queryid;
	l->ms.fin = &l->fin;
	muc_be->mam->query_start(a, muc_mam_result, muc_mam_later_done, l);
	return (MUC_DONE);
}

/* Run a query and answer it: the results, then the fin. */
static int
muc_mam_run(struct muc_ctx *ctx, const struct xml_node *query,
    struct muc_mam_q *a, struct muc_error *err)
{
	const struct mam_query	*q = a->q;
	struct mam_fin		 fin;
	struct muc_mam_sending	 ms;
	struct xml_node		*holder;
	int64_t			 seqs[MAM_PAGE_MAX];
	int			 n, i, more = 0;

	ms.ctx = ctx;
	ms.room = ctx->room->jid;
	ms.queryid = xml_get_attr(query, "queryid");
	ms.withjid = muc_mam_sees_jids(ctx);
	ms.fin = &fin;
	if (muc_be->mam->query_start != NULL)
		return (muc_mam_start(ctx, &ms, a, err));
	memset(&fin, 0, sizeof(fin));
	fin.index = -1;
	if (muc_mam_bounds(a, err) == MUC_FAIL)
		return (MUC_FAIL);
	if ((fin.count = muc_be->mam->count(a, MUC_MAM_ALL, 0)) == -1 ||
	    (n = q->max > 0 ? muc_mam_page(a, seqs, &more) : 0) == -1)
		return (muc_stanza_seterr(err, "wait",
		    "internal-server-error", NULL));
	/* RSM max 0: the count alone (XEP-0059 section 2.6). */
	fin.complete = q->max > 0 ? !more : fin.count == 0;
	for (i = 0; i < n; i++)
		if (muc_be->mam->row(seqs[i], muc_mam_result, &ms) == -1)
			return (muc_stanza_seterr(err, "wait",
			    "internal-server-error", NULL));
	/* The position of <first/>, counted in the order it was sent. */
	if (n > 0)
		fin.index = muc_be->mam->count(a, q->flip ? MUC_MAM_ABOVE :
		    MUC_MAM_BELOW, seqs[0]);
	holder = xml_node_new(NS_CLIENT, "iq");
	return (muc_mam_reply(ctx, holder, holder != NULL &&
	    mam_fin_add(holder, &fin) == 0, err));
}

/*
 * 'with' in a room archive: an occupant JID of the room names a nick;
 * the room itself, everyone; any other JID a sender's real one, which
 * only those who may see real JIDs may ask for.
 */
static int
muc_mam_with(struct muc_ctx *ctx, struct muc_mam_q *a,
    struct muc_error *err)
{
	const struct mam_query	*q = a->q;

	if (q->with_bare[0] == '\0')
		return (0);
	if (strcmp(q->with_bare, ctx->room->jid) == 0) {
		if (q->with_res[0] != '\0')
			a->nick = q->with_res;
		return (0);
	}
	if (!muc_mam_sees_jids(ctx))
		return (muc_stanza_seterr(err, "auth", "forbidden",
		    "This room does not tell who its occupants are"));
	a->jid = q->with_bare;
	return (0);
}

static int
muc_mam_query(struct muc_ctx *ctx, struct xml_node *query,
    struct muc_error *err)
{
	struct mam_query	*q;
	struct muc_mam_q	 a;
	struct xml_node		*r;
	const char		*type, *cond;
	int			 rv;

	if (strcmp(ctx->type, "get") == 0) {
		if ((r = xml_node_new(NS_MAM, "query")) == NULL ||
		    mam_form_fields(r) == -1) {
			xml_node_free(r);
			return (muc_stanza_seterr(err, "wait",
			    "internal-server-error", NULL));
		}
		muc_stanza_result(ctx, r);
		return (MUC_DONE);
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return (muc_stanza_seterr(err, "wait",
		    "internal-server-error", NULL));
	memset(&a, 0, sizeof(a));
	a.q = q;
	a.room = ctx->room->dbid;
	if (mam_query_parse(query, q, &type, &cond) == -1)
		rv = muc_stanza_seterr(err, type, cond, NULL);
	else if ((rv = muc_mam_with(ctx, &a, err)) == 0)
		rv = muc_mam_run(ctx, query, &a, err);
	free(q);
	return (rv);
}

/* Archive metadata (XEP-0313 section 5): the first and last rows. */
static int
muc_mam_metadata(struct muc_ctx *ctx, struct xml_node *meta,
    struct muc_error *err)
{
	struct mam_row	 start, end;
	struct xml_node	*holder;

	if (strcmp(ctx->type, "get") != 0 || xml_first_child(meta) != NULL)
		return (muc_stanza_seterr(err, "modify", "bad-request", NULL));
	holder = xml_node_new(NS_CLIENT, "iq");
	return (muc_mam_reply(ctx, holder, holder != NULL &&
	    muc_be->mam->end(ctx->room->dbid, 0, &start) == 0 &&
	    muc_be->mam->end(ctx->room->dbid, 1, &end) == 0 &&
	    mam_meta_add(holder, start.id[0] != '\0' ? &start : NULL,
	    &end) == 0, err));
}

/* urn:xmpp:mam:2 to a room: who asks first, then whether it logs. */
static int
muc_mam_iq(struct muc_ctx *ctx, struct xml_node *q, struct muc_error *err)
{
	if (!xml_is(q, NS_MAM, "query") && !xml_is(q, NS_MAM, "metadata"))
		return (MUC_PASS);
	if (muc_mam_may_read(ctx, err) == MUC_FAIL)
		return (MUC_FAIL);
	if (!muc_mam_logs(ctx->room))
		return (muc_stanza_seterr(err, "cancel", "service-unavailable",
		    "This room keeps no archive"));
	if (strcmp(q->name, "metadata") == 0)
		return (muc_mam_metadata(ctx, q, err));
	return (muc_mam_query(ctx, q, err));
}

/* -- expiry ------------------------------------------------------------- */

/* The next service after cur ("": the first) whose archive expires. */
static struct muc_service *
muc_mam_expire_next(const char *cur)
{
	struct muc_service	*svc;
	int			 past = cur[0] == '\0';

	TAILQ_FOREACH(svc, &mucd_services, entry) {
		if (!past) {
			past = strcmp(svc->name, cur) == 0;
			continue;
		}
		if (svc->conf->archive_expire > 0)
			return (svc);
	}
	return (NULL);
}

static int64_t
muc_mam_cutoff(struct muc_service *svc)
{
	return (mam_now() - (int64_t)svc->conf->archive_expire * 1000000);
}

/* Start on svc (NULL: the run is over), its history first. */
static void
muc_mam_expire_begin(struct muc_service *svc)
{
	struct timeval	 tv = { 0, 0 };

	if (svc == NULL) {
		if (muc_mam_deleted > 0)
			log_info("room archive expiry: %lld messages deleted",
			    (long long)muc_mam_deleted);
		else
			log_debug("room archive expiry: nothing to delete");
		muc_mam_expiring[0] = '\0';
		return;
	}
	(void)strlcpy(muc_mam_expiring, svc->name, sizeof(muc_mam_expiring));
	muc_history_expire(svc, muc_mam_cutoff(svc));
	evtimer_add(&muc_mam_expire_ev, &tv);
}

/* One chunk; the event loop runs between chunks. */
static void
muc_mam_expire_run(int fd, short event, void *arg)
{
	struct muc_service	*svc;
	struct timeval		 tv = { 0, 0 };
	int64_t			 n = -1;

	(void)fd;
	(void)event;
	(void)arg;
	/* A reload took the service away: the run ends. */
	if ((svc = mucd_service_find(muc_mam_expiring)) == NULL ||
	    svc->conf->archive_expire == 0) {
		muc_mam_expire_begin(NULL);
		return;
	}
	if ((n = muc_be->mam->expire(svc->name, muc_mam_cutoff(svc),
	    MUC_MAM_EXPIRE_CHUNK)) > 0)
		muc_mam_deleted += n;
	if (n < 0) {
		/* Not an hour away: the database may be back in a moment. */
		log_warnx("room archive expiry of %s failed, again in %d "
		    "seconds", svc->name, MUC_MAM_EXPIRE_RETRY);
		muc_mam_expiring[0] = '\0';
		tv.tv_sec = MUC_MAM_EXPIRE_RETRY;
		evtimer_add(&muc_mam_hourly_ev, &tv);
		return;
	}
	if (n == MUC_MAM_EXPIRE_CHUNK)
		evtimer_add(&muc_mam_expire_ev, &tv);
	else
		muc_mam_expire_begin(muc_mam_expire_next(svc->name));
}

/* Hourly, and once at start: what each service's "archive expire" says. */
static void
muc_mam_hourly(int fd, short event, void *arg)
{
	struct timeval	 tv = { MUC_MAM_EXPIRE_EVERY, 0 };

	(void)fd;
	(void)event;
	(void)arg;
	if (muc_mam_expiring[0] == '\0') {
		muc_mam_deleted = 0;
		muc_mam_expire_begin(muc_mam_expire_next(""));
	}
	evtimer_add(&muc_mam_hourly_ev, &tv);
}

static void
muc_mam_init(void)
{
	struct timeval	 tv = { 1, 0 };
	uint8_t		 mac[EVP_MAX_MD_SIZE];

	/* What the digest loads on first use, it loads outside the sandbox. */
	if (HMAC(EVP_sha256(), "k", 1, (const uint8_t *)"", 0, mac,
	    NULL) == NULL)
		fatalx("%s: no HMAC-SHA256", __func__);
	evtimer_set(&muc_mam_hourly_ev, muc_mam_hourly, NULL);
	evtimer_set(&muc_mam_expire_ev, muc_mam_expire_run, NULL);
	evtimer_add(&muc_mam_hourly_ev, &tv);
}

/* The archive where the room keeps one; occupant ids in every room. */
static void
muc_mam_disco(struct muc_room *room, struct xml_node *q)
{
	if (room == NULL || mucd_disco_add(q, NS_OCCUPANT_ID) == -1 ||
	    !muc_mam_logs(room))
		return;
	if (mucd_disco_add(q, NS_MAM) == 0)
		(void)mucd_disco_add(q, NS_MAM_EXT);
}

static const struct muc_iq muc_mam_iqs[] = {
	{ NS_MAM,	MUC_AT_ROOM,	muc_mam_iq },
	{ NULL,		0,		NULL },
};

const struct muc_feature muc_mam_feature = {
	.name = "mam",
	.init = muc_mam_init,
	.room_init = muc_mam_room_init,
	.room_free = muc_mam_room_free,
	.room_saved = muc_mam_secret_save,
	.presence_out = muc_mam_presence_out,
	.message_out = muc_mam_message_out,
	.stanza_id = muc_mam_stanza_id,
	.iqs = muc_mam_iqs,
	.disco = muc_mam_disco,
};
