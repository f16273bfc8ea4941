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
 * Discussion history (XEP-0045 sections 7.2.14 and 7.2.15): the last
 * groupchat messages of a room, stamped with their time (XEP-0203),
 * sent to each new occupant as its <history/> asks.  Kept in memory,
 * and in the database for a persistent room, so that a restart of mucd
 * loses none.  Private messages and subject changes are never history.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "mam.h"
#include "muc.h"
#include "muc_backend.h"
#include "proc.h"
#include "stanza.h"
#include "xml.h"

/* Bytes of stanzas a room remembers at most, whatever its length. */
#define MUC_HISTORY_BYTES	(1024 * 1024)

struct muc_hist_msg {
	TAILQ_ENTRY(muc_hist_msg) entry;
	struct xml_node		*m;	/* as sent, delay included, no 'to' */
	int64_t			 stamp;	/* microseconds */
	size_t			 chars;	/* of m serialized */
	size_t			 bytes;
	int64_t			 row;	/* 0: not in the database */
};

struct muc_hist {
	TAILQ_HEAD(muc_hist_msgs, muc_hist_msg) msgs;	/* oldest first */
	int			 n;
	size_t			 bytes;
	int64_t			 dbid;	/* the room row msgs are kept under */
};

/* What a joining occupant asks for (section 7.2.15); -1: no limit. */
struct muc_hist_req {
	long long		 maxchars;
	long long		 maxstanzas;
	int64_t			 since;	/* microseconds; 0: no limit */
};

static struct muc_hist *
muc_history_of(struct muc_room *room)
{
	return (*muc_room_slot(room, &muc_history_feature));
}

/* How many messages the room remembers: its own length, within the
   service's. */
static int
muc_history_length(struct muc_room *room)
{
	int	 max = room->svc->conf->history;

	if (room->cfg.history >= 0 && room->cfg.history < max)
		max = room->cfg.history;
	return (max);
}

/* m as text into b, NUL-terminated: b->len - 1 bytes of XML. */
static int
muc_history_text(const struct xml_node *m, struct xml_buf *b)
{
	b->len = 0;
	if (xml_serialize(m, NS_CLIENT, b) == -1 ||
	    xml_buf_add(b, "", 1) == -1)
		return (-1);
	return (0);
}

/* A message as history keeps it, m taken; NULL when it cannot be. */
static struct muc_hist_msg *
muc_history_msg(struct xml_node *m, int64_t stamp, int64_t row,
    struct xml_buf *b)
{
	struct muc_hist_msg	*e;

	if (muc_history_text(m, b) == -1 ||
	    (e = calloc(1, sizeof(*e))) == NULL) {
		xml_node_free(m);
		return (NULL);
	}
	e->m = m;
	e->stamp = stamp;
	e->chars = muc_stanza_chars(b->data);
	e->bytes = b->len - 1;
	e->row = row;
	return (e);
}

static void
muc_history_msg_free(struct muc_hist *h, struct muc_hist_msg *e)
{
	TAILQ_REMOVE(&h->msgs, e, entry);
	h->n--;
	h->bytes -= e->bytes;
	xml_node_free(e->m);
	free(e);
}

/* Forget the oldest past the room's length, here and in the database. */
static void
muc_history_trim(struct muc_room *room, struct muc_hist *h)
{
	struct muc_hist_msg	*e;
	int			 max = muc_history_length(room);
	int64_t			 row = 0;

	while ((e = TAILQ_FIRST(&h->msgs)) != NULL &&
	    (h->n > max || h->bytes > MUC_HISTORY_BYTES)) {
		if (e->row > row)
			row = e->row;
		muc_history_msg_free(h, e);
	}
	if (row == 0 || room->dbid == 0 || h->dbid != room->dbid)
		return;
	(void)muc_be->history->trim(room->dbid, row);
}

struct muc_history_loading {
	struct muc_room		*room;
	struct muc_hist		*h;
	struct xml_limits	 l;
	struct xml_buf		 b;
};

/* One row, the newest first: kept first, until the room holds enough. */
static int
muc_history_row(int64_t row, int64_t stamp, const char *xml, size_t len,
    void *arg)
{
	struct muc_history_loading	*hl = arg;
	struct muc_hist_msg		*e;
	struct xml_node			*m;

	if (hl->h->bytes > MUC_HISTORY_BYTES)
		return (-1);
	if ((m = xml_parse_fragment(xml, len, &hl->l, NS_CLIENT)) == NULL ||
	    (e = muc_history_msg(m, stamp, row, &hl->b)) == NULL) {
		log_warnx("%s: %s: history row %lld unreadable", __func__,
		    hl->room->jid, (long long)row);
		return (0);
	}
	TAILQ_INSERT_HEAD(&hl->h->msgs, e, entry);
	hl->h->n++;
	hl->h->bytes += e->bytes;
	return (0);
}

/* A persistent room's history, newest rows first, oldest kept first. */
static void
muc_history_load(struct muc_room *room, struct muc_hist *h)
{
	struct muc_history_loading	 hl;

	hl.room = room;
	hl.h = h;
	stanza_limits(&proc_self.conf->global, &hl.l);
	xml_buf_init(&hl.b, 0);
	if (muc_be->history->load(room->dbid, muc_history_length(room),
	    muc_history_row, &hl) == -1)
		log_warnx("%s: %s: history not all read", __func__, room->jid);
	xml_buf_free(&hl.b);
	muc_history_trim(room, h);
}

static void
muc_history_room_init(struct muc_room *room)
{
	struct muc_hist	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&h->msgs);
	*muc_room_slot(room, &muc_history_feature) = h;
	if (room->dbid == 0)
		return;
	h->dbid = room->dbid;
	muc_history_load(room, h);
}

static void
muc_history_room_free(struct muc_room *room)
{
	struct muc_hist		*h = muc_history_of(room);
	struct muc_hist_msg	*e;

	if (h == NULL)
		return;
	while ((e = TAILQ_FIRST(&h->msgs)) != NULL)
		muc_history_msg_free(h, e);
	free(h);
	*muc_room_slot(room, &muc_history_feature) = NULL;
}

/*
 * The room was written: a room that just became persistent (or did
 * again, under a new row) writes what it remembers, in one go.
 */
static void
muc_history_room_saved(struct muc_room *room)
{
	struct muc_hist		*h = muc_history_of(room);
	struct muc_hist_msg	*e;
	struct xml_buf		 b;
	int			 begun = 0;

	if (h->dbid == room->dbid)
		return;
	xml_buf_init(&b, 0);
	h->dbid = 0;
	if (muc_be->begin() == -1)
		goto fail;
	begun = 1;
	if (muc_be->history->clear(room->dbid) == -1)
		goto fail;
	TAILQ_FOREACH(e, &h->msgs, entry) {
		if (muc_history_text(e->m, &b) == -1 ||
		    (e->row = muc_be->history->put(room->dbid, e->stamp,
		    b.data, b.len - 1)) == 0)
			goto fail;
	}
	if (muc_be->commit() == -1)
		goto fail;
	h->dbid = room->dbid;
	xml_buf_free(&b);
	return;
 fail:
	log_warnx("%s: the history of %s is not saved", __func__, room->jid);
	if (begun)
		muc_be->rollback();
	TAILQ_FOREACH(e, &h->msgs, entry)
		e->row = 0;
	xml_buf_free(&b);
}

/*
 * A groupchat message went out: remembered, stamped by the room, if it
 * says something (a body or what stands for one; not a subject change).
 */
static void
muc_history_broadcast(struct muc_occupant *occ, const struct xml_node *msg)
{
	struct muc_room		*room = occ->room;
	struct muc_hist		*h = muc_history_of(room);
	struct muc_hist_msg	*e;
	struct xml_node		*m, *d;
	struct xml_buf		 b;
	char			 stamp[64];
	int64_t			 now = mam_now();

	if (!mam_archivable(msg) || muc_message_is_subject(msg))
		return;
	if (muc_history_length(room) == 0) {
		muc_history_trim(room, h);
		return;
	}
	mam_stamp(now, stamp, sizeof(stamp));
	if ((m = xml_node_clone(msg)) == NULL ||
	    (d = xml_add_child(m, NS_DELAY, "delay")) == NULL ||
	    xml_set_attr(d, "from", room->jid) == -1 ||
	    xml_set_attr(d, "stamp", stamp) == -1) {
		xml_node_free(m);
		log_warnx("%s: a message of %s is not history", __func__,
		    room->jid);
		return;
	}
	xml_buf_init(&b, 0);
	if ((e = muc_history_msg(m, now, 0, &b)) != NULL) {
		TAILQ_INSERT_TAIL(&h->msgs, e, entry);
		h->n++;
		h->bytes += e->bytes;
		if (room->dbid != 0 && h->dbid == room->dbid &&
		    (e->row = muc_be->history->put(room->dbid, now, b.data,
		    b.len - 1)) == 0)
			log_warnx("%s: a message of %s is not saved",
			    __func__, room->jid);
	}
	xml_buf_free(&b);
	muc_history_trim(room, h);
}

/* A non-negative xs:int of <history/>; huge is as much as there is. */
static int
muc_history_number(const char *v, long long *out)
{
	long long	 n = 0;

	if (v == NULL)
		return (0);
	if (*v == '+')
		v++;
	if (!isdigit((unsigned char)*v))
		return (-1);
	for (; isdigit((unsigned char)*v); v++)
		if ((n = n * 10 + (*v - '0')) > INT_MAX)
			n = INT_MAX;
	if (*v != '\0')
		return (-1);
	*out = n;
	return (0);
}

/* The <history/> of a join, if any: -1 when it is malformed. */
static int
muc_history_request(const struct xml_node *x, struct muc_hist_req *r)
{
	const struct xml_node	*hn;
	const char		*since;
	long long		 secs = -1;
	int64_t			 t;

	r->maxchars = r->maxstanzas = -1;
	r->since = 0;
	if (x == NULL || (hn = xml_find_child(x, NS_MUC, "history")) == NULL)
		return (0);
	if (muc_history_number(xml_get_attr(hn, "maxchars"),
	    &r->maxchars) == -1 ||
	    muc_history_number(xml_get_attr(hn, "maxstanzas"),
	    &r->maxstanzas) == -1 ||
	    muc_history_number(xml_get_attr(hn, "seconds"), &secs) == -1)
		return (-1);
	if ((since = xml_get_attr(hn, "since")) != NULL) {
		if (mam_time(since, &t) == -1)
			return (-1);
		r->since = t;
	}
	if (secs >= 0 && (t = mam_now() - secs * 1000000) > r->since)
		r->since = t;
	return (0);
}

/* A join whose <history/> cannot be read is refused: it asked for
   something the room cannot tell. */
static int
muc_history_join_check(struct muc_join *j, struct muc_error *err)
{
	struct muc_hist_req	 r;

	if (muc_history_request(j->x, &r) == -1)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "The history request is malformed"));
	return (0);
}

/* Characters the 'to' adds to a stanza sent to jid; past any limit
   when it cannot be told. */
static long long
muc_history_to_chars(const char *jid)
{
	struct xml_buf	 b;
	long long	 n = INT_MAX;

	xml_buf_init(&b, 0);
	if (xml_buf_addstr(&b, " to=''") == 0 &&
	    xml_buf_escape(&b, jid, strlen(jid), 1) == 0 &&
	    xml_buf_add(&b, "", 1) == 0)
		n = muc_stanza_chars(b.data);
	xml_buf_free(&b);
	return (n);
}

/*
 * The history to a new session, after the presence and before the
 * subject: the newest messages that meet every limit, oldest first.
 * "The smallest amount of traffic that meets any combination" of
 * them, in whole stanzas (section 7.2.15).
 */
static void
muc_history_joined(struct muc_session *s, const struct muc_join *j)
{
	struct muc_hist		*h = muc_history_of(s->occ->room);
	struct muc_hist_msg	*e, *first = NULL;
	struct muc_hist_req	 r;
	struct muc_stanza_out	*o;
	long long		 n = 0, chars = 0, to;
	int			 max = muc_history_length(s->occ->room);

	/* A session already in has been checked; a bad request gets none. */
	if (muc_history_request(j->x, &r) == -1)
		return;
	if (r.maxstanzas < 0 || r.maxstanzas > max)
		r.maxstanzas = max;
	to = muc_history_to_chars(s->jid);
	TAILQ_FOREACH_REVERSE(e, &h->msgs, muc_hist_msgs, entry) {
		if (n >= r.maxstanzas || e->stamp < r.since ||
		    (r.maxchars >= 0 &&
		    chars + (long long)e->chars + to > r.maxchars))
			break;
		chars += e->chars + to;
		n++;
		first = e;
	}
	for (e = first; e != NULL; e = TAILQ_NEXT(e, entry)) {
		if ((o = muc_stanza_out_new(e->m)) == NULL) {
			log_warnx("%s: history of %s not sent", __func__,
			    s->occ->room->jid);
			return;
		}
		(void)muc_stanza_out_send(o, s->jid);
		muc_stanza_out_free(o);
	}
}

/* "archive expire" of the service: its rooms forget older messages. */
void
muc_history_expire(struct muc_service *svc, int64_t before)
{
	struct muc_room		*room;
	struct muc_hist		*h;
	struct muc_hist_msg	*e;

	RB_FOREACH(room, muc_room_tree, &svc->rooms) {
		h = muc_history_of(room);
		while ((e = TAILQ_FIRST(&h->msgs)) != NULL &&
		    e->stamp < before)
			muc_history_msg_free(h, e);
	}
	(void)muc_be->history->expire(svc->name, before);
}

const struct muc_feature muc_history_feature = {
	.name = "history",
	.room_init = muc_history_room_init,
	.room_free = muc_history_room_free,
	.room_saved = muc_history_room_saved,
	.join_check = muc_history_join_check,
	.joined = muc_history_joined,
	.broadcast = muc_history_broadcast,
};
