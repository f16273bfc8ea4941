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
 * The room configuration form (muc#roomconfig): its fields, and a
 * submission as read before the room changes (muc_config.c,
 * muc_config_fields.c).
 */

#ifndef MUC_CONFIG_H
#define MUC_CONFIG_H

#define NS_MUC_ROOMCONFIG	"http://jabber.org/protocol/muc#roomconfig"

/* Bounds of what an owner writes, in characters. */
#define MUC_CONFIG_NAME_MAX	256
#define MUC_CONFIG_DESC_MAX	2048
#define MUC_CONFIG_SECRET_MAX	256
#define MUC_CONFIG_LANG_MAX	35	/* a language tag (RFC 5646) */
#define MUC_CONFIG_REASON_MAX	1024
#define MUC_CONFIG_JIDS_MAX	1000	/* JIDs of the admin or owner list */

/* A submission, read and checked before the room changes. */
struct muc_config_edit {
	struct muc_room		*room;
	struct muc_room_config	 cfg;		/* the settings to be */
	int			 protect;	/* -1: not given */
	char			*secret;	/* NULL: not given */
	char			**jids[2];	/* admins, owners; NULL: not given */
	size_t			 njids[2];
	unsigned int		 seen;		/* settings given */
	struct muc_config_aff	*affs;		/* what the lists change */
	size_t			 naffs;
};

/* An affiliation the lists change, and what it was. */
struct muc_config_aff {
	char	*jid;
	int	 from, to;
	char	*nick, *reason;
};

struct muc_error;
struct xml_node;

struct xml_node	*muc_config_form(struct muc_room *);
int		 muc_config_read(struct muc_config_edit *,
		    const struct xml_node *, struct muc_error *);
int		 muc_config_has(char **, size_t, const char *);
int		 muc_config_apply(struct muc_room *, const struct xml_node *,
		    struct muc_error *);

#endif /* MUC_CONFIG_H */
