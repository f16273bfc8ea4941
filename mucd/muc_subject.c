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
 * The room's subject (XEP-0045 sections 7.2.15 and 8.1): what it says
 * and who set it, sent to each new occupant after the history, always,
 * an empty one when there is none (clients wait for it to know they
 * are in), and kept with a persistent room.  The core checks who may
 * change it and how long it may be; the change goes out as any
 * groupchat message does.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "muc.h"
#include "xml.h"

struct muc_subject {
	char	*text;		/* "": none */
	char	*by;		/* the nick that set it; "": the room */
	char	*oid;		/* its occupant id (XEP-0421), or "" */
};

static const char *const muc_subject_keys[] = {
	"subject.text", "subject.by", "subject.oid"
};

static struct muc_subject *
muc_subject_of(struct muc_room *room)
{
	return (*muc_room_slot(room, &muc_subject_feature));
}

static char **
muc_subject_field(struct muc_subject *sj, size_t i)
{
	char	**f[] = { &sj->text, &sj->by, &sj->oid };

	return (f[i]);
}

/* Write the subject of a room that is in the database. */
static void
muc_subject_save(struct muc_room *room)
{
	struct muc_subject	*sj = muc_subject_of(room);
	size_t			 i;

	for (i = 0; i < nitems(muc_subject_keys); i++)
		if (muc_db_setting_put(room, muc_subject_keys[i],
		    *muc_subject_field(sj, i)) == -1) {
			log_warnx("%s: the subject of %s is not saved",
			    __func__, room->jid);
			return;
		}
}

static void
muc_subject_room_init(struct muc_room *room)
{
	struct muc_subject	*sj;
	char			*v;
	size_t			 i;

	if ((sj = calloc(1, sizeof(*sj))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < nitems(muc_subject_keys); i++) {
		v = muc_db_setting_get(room, muc_subject_keys[i]);
		if (muc_room_set_str(muc_subject_field(sj, i), v) == -1)
			fatal("%s", __func__);
		free(v);
	}
	*muc_room_slot(room, &muc_subject_feature) = sj;
}

static void
muc_subject_room_free(struct muc_room *room)
{
	struct muc_subject	*sj = muc_subject_of(room);
	size_t			 i;

	if (sj == NULL)
		return;
	for (i = 0; i < nitems(muc_subject_keys); i++)
		free(*muc_subject_field(sj, i));
	free(sj);
	*muc_room_slot(room, &muc_subject_feature) = NULL;
}

/*
 * A subject the room had elsewhere (muc_import.c), before the room is
 * saved, which saves it too; by is a nick, "" for the room.
 */
int
muc_subject_set(struct muc_room *room, const char *text, const char *by)
{
	struct muc_subject	*sj = muc_subject_of(room);

	if (muc_room_set_str(&sj->text, text) == -1 ||
	    muc_room_set_str(&sj->by, by) == -1 ||
	    muc_room_set_str(&sj->oid, "") == -1)
		return (-1);
	return (0);
}

/* A subject change went out: the room's subject now. */
static void
muc_subject_broadcast(struct muc_occupant *occ, const struct xml_node *m)
{
	struct muc_subject	*sj = muc_subject_of(occ->room);
	const struct xml_node	*oid;
	const char		*id = NULL;
	char			*text;

	if (!muc_message_is_subject(m))
		return;
	if ((oid = xml_find_child(m, NS_OCCUPANT_ID, "occupant-id")) != NULL)
		id = xml_get_attr(oid, "id");
	if ((text = xml_child_text(m, NS_CLIENT, "subject")) == NULL ||
	    muc_room_set_str(&sj->by, occ->nick) == -1 ||
	    muc_room_set_str(&sj->oid, id) == -1) {
		free(text);
		log_warnx("%s: the subject of %s is lost", __func__,
		    occ->room->jid);
		return;
	}
	free(sj->text);
	sj->text = text;
	muc_subject_save(occ->room);
}

/*
 * The subject to a new session: from the nick that set it, or from the
 * room when there is none.
 */
static void
muc_subject_joined(struct muc_session *s, const struct muc_join *j)
{
	struct muc_room		*room = s->occ->room;
	struct muc_subject	*sj = muc_subject_of(room);
	struct xml_node		*m, *c;
	char			 from[JID_BUFSIZE];
	int			 set = sj->text[0] != '\0';

	(void)j;
	(void)strlcpy(from, room->jid, sizeof(from));
	if (set && sj->by[0] != '\0' && (strlcat(from, "/", sizeof(from)) >=
	    sizeof(from) || strlcat(from, sj->by, sizeof(from)) >=
	    sizeof(from)))
		(void)strlcpy(from, room->jid, sizeof(from));
	if ((m = muc_stanza_new("message", from, s->jid, "groupchat")) ==
	    NULL || (c = xml_add_child(m, NULL, "subject")) == NULL ||
	    (set && xml_add_text(c, sj->text, strlen(sj->text)) == -1) ||
	    (set && sj->oid[0] != '\0' && ((c = xml_add_child(m,
	    NS_OCCUPANT_ID, "occupant-id")) == NULL ||
	    xml_set_attr(c, "id", sj->oid) == -1))) {
		log_warnx("%s: no subject for %s in %s", __func__, s->jid,
		    room->jid);
		xml_node_free(m);
		return;
	}
	(void)muc_stanza_send(m);
	xml_node_free(m);
}

const struct muc_feature muc_subject_feature = {
	.name = "subject",
	.room_init = muc_subject_room_init,
	.room_free = muc_subject_room_free,
	.room_saved = muc_subject_save,
	.joined = muc_subject_joined,
	.broadcast = muc_subject_broadcast,
};
