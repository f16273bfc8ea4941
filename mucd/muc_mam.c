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
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "config.h"
#include "log.h"
#include "mam.h"
#include "msg.h"
#include "muc.h"
#include "proc.h"
#include "stanza.h"
#include "xml.h"

#define MUC_MAM_SECRET_LEN	32
#define MUC_MAM_OID_BYTES	18	/* of the digest: 24 characters */
#define MUC_MAM_EXPIRE_CHUNK	1000	/* rows per delete */
#define MUC_MAM_EXPIRE_EVERY	3600	/* seconds */
#define MUC_MAM_SECRET_KEY	"mam.secret"

/* A room's key for its occupant ids. */
struct muc_mam_room {
	uint8_t		 secret[MUC_MAM_SECRET_LEN];
};

/* A query, its ids resolved to rows of the room. */
struct muc_mam_q {
	const struct mam_query	*q;
	int64_t			 room;
	const char		*nick;		/* NULL: any */
	const char		*jid;		/* NULL: any */
	int64_t			 after, before, rsm_after, rsm_before;
};

enum {
	A_PUT, A_SEQ, A_ROW, A_FIRST, A_LAST, A_EXPIRE, A_MAX
};

static const char *const muc_mam_sql[A_MAX] = {
	[A_PUT] = "INSERT INTO muc_mam (room, id, stamp, nick, jid, xml) "
	    "VALUES (?, ?, ?, ?, ?, ?)",
	[A_SEQ] = "SELECT seq FROM muc_mam WHERE room = ? AND id = ?",
	[A_ROW] = "SELECT id, stamp, jid, xml FROM muc_mam WHERE seq = ?",
	[A_FIRST] = "SELECT id, stamp FROM muc_mam WHERE room = ? "
	    "ORDER BY seq LIMIT 1",
	[A_LAST] = "SELECT id, stamp FROM muc_mam WHERE room = ? "
	    "ORDER BY seq DESC LIMIT 1",
	[A_EXPIRE] = "DELETE FROM muc_mam WHERE seq IN (SELECT seq FROM "
	    "muc_mam WHERE stamp < ?1 AND room IN (SELECT id FROM rooms "
	    "WHERE service = ?2) LIMIT ?3)",
};

static const char *const muc_mam_schema[] = {
	"CREATE TABLE IF NOT EXISTS muc_mam (seq INTEGER PRIMARY KEY "
	    "AUTOINCREMENT, room INTEGER NOT NULL REFERENCES rooms (id) "
	    "ON DELETE CASCADE, id TEXT NOT NULL, stamp INTEGER NOT NULL, "
	    "nick TEXT NOT NULL, jid TEXT NOT NULL, xml TEXT NOT NULL, "
	    "UNIQUE (room, id))",
	"CREATE INDEX IF NOT EXISTS muc_mam_room ON muc_mam (room, seq)",
	"CREATE INDEX IF NOT EXISTS muc_mam_stamp ON muc_mam (stamp)",
	NULL
};

static struct sqlite3_stmt	*ast[A_MAX];
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
	sqlite3_stmt	*s;
	char		 id[MAM_ID_LEN];
	int		 tries, rc = SQLITE_ERROR;

	if (!muc_mam_logs(room) ||
	    (!mam_archivable(m) && !muc_message_is_subject(m)))
		return (-1);
	xml_buf_init(&b, 0);
	if (xml_serialize(m, NS_CLIENT, &b) == -1) {
		xml_buf_free(&b);
		return (-1);
	}
	for (tries = 0; tries < 3 && rc != SQLITE_DONE; tries++) {
		/* 12 random bytes: 16 characters, nothing to guess from. */
		if (base64url_random(12, id, sizeof(id)) == -1)
			break;
		s = muc_db_reset(ast[A_PUT]);
		sqlite3_bind_int64(s, 1, room->dbid);
		sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, mam_now());
		sqlite3_bind_text(s, 4, occ->nick, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, occ->bare, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, b.data, b.len, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		/* Only an id that exists already is worth another try. */
		if (rc != SQLITE_DONE && rc != SQLITE_CONSTRAINT)
			break;
	}
	xml_buf_free(&b);
	if (rc != SQLITE_DONE) {
		log_warnx("%s: a message of %s is not archived: %s", __func__,
		    room->jid, sqlite3_errmsg(muc_db()));
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

/* The row of an archive id in this room; 0 when there is none. */
static int64_t
muc_mam_seq(int64_t room, const char *id)
{
	sqlite3_stmt	*s = muc_db_reset(ast[A_SEQ]);
	int64_t		 seq = 0;

	sqlite3_bind_int64(s, 1, room);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		seq = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return (seq);
}

/*
 * The WHERE clause of a query: fixed text, every value bound.  Numbered
 * parameters: 1 the room, 3 the nick, 4 the real JID, 5-6 start and
 * end, 7-8 after-id and before-id, 9-10 the RSM bounds (or extra's),
 * 11- the ids.
 */
static int
muc_mam_where(char *buf, size_t len, const struct muc_mam_q *a, int rsm,
    const char *extra)
{
	const struct mam_query	*q = a->q;
	char			 num[32];
	int			 i;

	(void)strlcpy(buf, "room = ?1", len);
	if (a->nick != NULL)
		(void)strlcat(buf, " AND nick = ?3", len);
	if (a->jid != NULL)
		(void)strlcat(buf, " AND jid = ?4", len);
	/* "+stamp": the stamp index is expiry's; pages walk the room's. */
	if (q->start != 0)
		(void)strlcat(buf, " AND +stamp >= ?5", len);
	if (q->end != 0)
		(void)strlcat(buf, " AND +stamp <= ?6", len);
	if (a->after != 0)
		(void)strlcat(buf, " AND seq > ?7", len);
	if (a->before != 0)
		(void)strlcat(buf, " AND seq < ?8", len);
	for (i = 0; i < q->nids; i++) {
		(void)snprintf(num, sizeof(num), "%s?%d", i ? ", " :
		    " AND id IN (", 11 + i);
		(void)strlcat(buf, num, len);
	}
	if (q->nids > 0)
		(void)strlcat(buf, ")", len);
	if (rsm && a->rsm_after != 0)
		(void)strlcat(buf, " AND seq > ?9", len);
	if (rsm && a->rsm_before != 0)
		(void)strlcat(buf, " AND seq < ?10", len);
	if (extra != NULL)
		(void)strlcat(buf, extra, len);
	return (strlen(buf) + 1 < len ? 0 : -1);
}

/* SELECT what FROM muc_mam WHERE ..., bound; NULL when it fails. */
static sqlite3_stmt *
muc_mam_select(const char *what, const struct muc_mam_q *a, int rsm,
    const char *extra, int64_t p9, int64_t p10)
{
	const struct mam_query	*q = a->q;
	sqlite3_stmt		*s;
	char			 where[2048], sql[2200];
	int			 i;

	if (muc_mam_where(where, sizeof(where), a, rsm, extra) == -1 ||
	    snprintf(sql, sizeof(sql), "SELECT %s FROM muc_mam WHERE %s",
	    what, where) >= (int)sizeof(sql))
		return (NULL);
	if (sqlite3_prepare_v2(muc_db(), sql, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("muc db: %s: %s", sql, sqlite3_errmsg(muc_db()));
		return (NULL);
	}
	/* Parameters the clause does not use are out of range: harmless. */
	sqlite3_bind_int64(s, 1, a->room);
	sqlite3_bind_text(s, 3, a->nick, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, a->jid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, q->start);
	sqlite3_bind_int64(s, 6, q->end);
	sqlite3_bind_int64(s, 7, a->after);
	sqlite3_bind_int64(s, 8, a->before);
	sqlite3_bind_int64(s, 9, rsm ? a->rsm_after : p9);
	sqlite3_bind_int64(s, 10, rsm ? a->rsm_before : p10);
	for (i = 0; i < q->nids; i++)
		sqlite3_bind_text(s, 11 + i, q->ids[i], -1, SQLITE_STATIC);
	return (s);
}

static int64_t
muc_mam_count(const struct muc_mam_q *a, const char *extra, int64_t p9)
{
	sqlite3_stmt	*s;
	int64_t		 n = -1;

	if ((s = muc_mam_select("count(*)", a, 0, extra, p9, 0)) == NULL)
		return (-1);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return (n);
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
	sqlite3_stmt		*s;
	int64_t			 t;
	int			 backward, n = 0, i;
	char			 extra[64];

	backward = q->rsm_before[0] != '\0' || q->rsm_last;
	(void)snprintf(extra, sizeof(extra), " ORDER BY seq%s LIMIT %d",
	    backward ? " DESC" : "", q->max + 1);
	if ((s = muc_mam_select("seq", a, 1, extra, 0, 0)) == NULL)
		return (-1);
	*more = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == q->max) {
			*more = 1;
			break;
		}
		seqs[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	/* Read backward, the page is still sent oldest first. */
	if (backward != q->flip)
		for (i = 0; i < n / 2; i++) {
			t = seqs[i];
			seqs[i] = seqs[n - 1 - i];
			seqs[n - 1 - i] = t;
		}
	return (n);
}

/*
 * One archived message to the querier: forwarded from the room, from
 * its sender's nick, with its real JID to those who may know it
 * (XEP-0313 section 7.1.2).
 */
static int
muc_mam_result(struct muc_ctx *ctx, const char *queryid, int64_t seq,
    int withjid, struct mam_fin *fin)
{
	sqlite3_stmt		*s = muc_db_reset(ast[A_ROW]);
	struct xml_limits	 l;
	struct xml_node		*inner = NULL, *x, *item, *r;
	const char		*id, *xml;
	int			 rv = -1;

	sqlite3_bind_int64(s, 1, seq);
	if (sqlite3_step(s) != SQLITE_ROW ||
	    (id = (const char *)sqlite3_column_text(s, 0)) == NULL ||
	    (xml = (const char *)sqlite3_column_text(s, 3)) == NULL)
		goto done;
	if (fin->first[0] == '\0')
		(void)strlcpy(fin->first, id, sizeof(fin->first));
	(void)strlcpy(fin->last, id, sizeof(fin->last));
	stanza_limits(&proc_self.conf->global, &l);
	if ((inner = xml_parse_fragment(xml, sqlite3_column_bytes(s, 3), &l,
	    NS_CLIENT)) == NULL) {
		log_warnx("%s: %s: archived message %s unreadable", __func__,
		    ctx->room->jid, id);
		rv = 0;
		goto done;
	}
	if (withjid && ((x = xml_add_child(inner, NS_MUC_USER, "x")) == NULL ||
	    (item = xml_add_child(x, NULL, "item")) == NULL ||
	    xml_set_attr(item, "jid",
	    (const char *)sqlite3_column_text(s, 2)) == -1))
		goto done;
	r = mam_result_new(ctx->from, ctx->room->jid, queryid, id,
	    sqlite3_column_int64(s, 1), inner);
	inner = NULL;
	if (r == NULL)
		goto done;
	(void)muc_stanza_send(r);
	xml_node_free(r);
	rv = 0;
 done:
	xml_node_free(inner);
	sqlite3_reset(s);
	return (rv);
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

/* Resolve the ids of a query into rows of this room: 0, or -1. */
static int
muc_mam_bounds(struct muc_mam_q *a)
{
	const struct mam_query	*q = a->q;

	if ((q->after_id[0] && (a->after = muc_mam_seq(a->room,
	    q->after_id)) == 0) ||
	    (q->before_id[0] && (a->before = muc_mam_seq(a->room,
	    q->before_id)) == 0) ||
	    (q->rsm_after[0] && (a->rsm_after = muc_mam_seq(a->room,
	    q->rsm_after)) == 0) ||
	    (q->rsm_before[0] && (a->rsm_before = muc_mam_seq(a->room,
	    q->rsm_before)) == 0))
		return (-1);
	return (0);
}

/* Run a query and answer it: the results, then the fin. */
static int
muc_mam_run(struct muc_ctx *ctx, const struct xml_node *query,
    struct muc_mam_q *a, struct muc_error *err)
{
	const struct mam_query	*q = a->q;
	struct mam_fin		 fin;
	struct xml_node		*holder;
	int64_t			 seqs[MAM_PAGE_MAX];
	int			 n, i, more = 0, withjid = muc_mam_sees_jids(ctx);

	memset(&fin, 0, sizeof(fin));
	fin.index = -1;
	if (muc_mam_bounds(a) == -1)
		return (muc_stanza_seterr(err, "cancel", "item-not-found",
		    NULL));
	if ((fin.count = muc_mam_count(a, NULL, 0)) == -1 ||
	    (n = q->max > 0 ? muc_mam_page(a, seqs, &more) : 0) == -1)
		return (muc_stanza_seterr(err, "wait",
		    "internal-server-error", NULL));
	/* RSM max 0: the count alone (XEP-0059 section 2.6). */
	fin.complete = q->max > 0 ? !more : fin.count == 0;
	for (i = 0; i < n; i++)
		if (muc_mam_result(ctx, xml_get_attr(query, "queryid"),
		    seqs[i], withjid, &fin) == -1)
			return (muc_stanza_seterr(err, "wait",
			    "internal-server-error", NULL));
	/* The position of <first/>, counted in the order it was sent. */
	if (n > 0)
		fin.index = muc_mam_count(a, q->flip ? " AND seq > ?9" :
		    " AND seq < ?9", seqs[0]);
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

/* One end of the archive; its id stays "" when there is none. */
static int
muc_mam_end(int which, int64_t room, struct mam_row *row)
{
	sqlite3_stmt	*s = muc_db_reset(ast[which]);
	const char	*id;
	int		 rc, rv = 0;

	memset(row, 0, sizeof(*row));
	sqlite3_bind_int64(s, 1, room);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((id = (const char *)sqlite3_column_text(s, 0)) == NULL ||
		    strlcpy(row->id, id, sizeof(row->id)) >= sizeof(row->id))
			rv = -1;
		row->stamp = sqlite3_column_int64(s, 1);
	} else if (rc != SQLITE_DONE)
		rv = -1;
	sqlite3_reset(s);
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
	    muc_mam_end(A_FIRST, ctx->room->dbid, &start) == 0 &&
	    muc_mam_end(A_LAST, ctx->room->dbid, &end) == 0 &&
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
	sqlite3_stmt		*s;
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
	s = muc_db_reset(ast[A_EXPIRE]);
	sqlite3_bind_int64(s, 1, muc_mam_cutoff(svc));
	sqlite3_bind_text(s, 2, svc->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, MUC_MAM_EXPIRE_CHUNK);
	if (muc_db_done(s) == 0 &&
	    (n = sqlite3_changes(muc_db())) > 0)
		muc_mam_deleted += n;
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
	size_t		 i;

	for (i = 0; i < A_MAX; i++)
		ast[i] = muc_db_prepare(muc_mam_sql[i]);
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
	.schema = muc_mam_schema,
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
