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
 * mucd's shared structures: services, rooms, affiliations, occupants
 * and their sessions; and the feature table through which each feature
 * file (muc_config.c, muc_admin.c, muc_history.c, ...) plugs into the
 * core: hooks on join, leave and groupchat messages, IQ handlers by
 * namespace, disco features.  A feature is one static struct
 * muc_feature, listed once in mucd_features[] (mucd.c).
 */

#ifndef MUC_H
#define MUC_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <time.h>

#include "jid.h"

struct imsg;
struct imsgev;
struct muc_conf;
struct xml_node;
struct xmppd_config;

#define NS_MUC		"http://jabber.org/protocol/muc"
#define NS_MUC_USER	"http://jabber.org/protocol/muc#user"
#define NS_MUC_ADMIN	"http://jabber.org/protocol/muc#admin"
#define NS_MUC_OWNER	"http://jabber.org/protocol/muc#owner"
#define NS_MUC_STABLE	"http://jabber.org/protocol/muc#stable_id"
#define NS_XDATA	"jabber:x:data"
#define NS_SID		"urn:xmpp:sid:0"
#define NS_OCCUPANT_ID	"urn:xmpp:occupant-id:0"
#define NS_DELAY	"urn:xmpp:delay"
#define NS_DISCO_INFO	"http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS	"http://jabber.org/protocol/disco#items"

/* Bounds of the core that xmppd.conf does not set. */
#define MUC_SESSIONS_MAX	16	/* one user's sessions under one nick */
#define MUC_ADMIN_EXTRA		10	/* admins and owners past a full room */
#define MUC_STANZA_ID_LEN	64	/* a stanza id and its NUL */
#define MUC_PRESENCE_MAX	(16 * 1024) /* bytes of a presence kept */

/* Ordered: a higher affiliation or role holds the lower's privileges. */
enum muc_affiliation {
	MUC_AFF_OUTCAST,
	MUC_AFF_NONE,
	MUC_AFF_MEMBER,
	MUC_AFF_ADMIN,
	MUC_AFF_OWNER,
};

enum muc_role {
	MUC_ROLE_NONE,
	MUC_ROLE_VISITOR,
	MUC_ROLE_PARTICIPANT,
	MUC_ROLE_MODERATOR,
};

enum muc_whois {
	MUC_WHOIS_MODERATORS,		/* semi-anonymous */
	MUC_WHOIS_ANYONE,		/* non-anonymous */
};

enum muc_allowpm {
	MUC_PM_ANYONE,
	MUC_PM_PARTICIPANTS,
	MUC_PM_MODERATORS,
	MUC_PM_NONE,
};

/*
 * A room's settings (the muc#roomconfig form, XEP-0045 section 10.2).
 * Strings are never NULL.  muc_db.c stores each field under a key
 * (muc_db_fields[]): a field added here is added there too.
 */
struct muc_room_config {
	char		*name;
	char		*description;
	char		*lang;
	char		*password;	/* "": none */
	int		 persistent;
	int		 public;	/* listed by disco#items */
	int		 members_only;
	int		 moderated;
	int		 max_occupants;	/* 0: the service's limit */
	int		 whois;		/* enum muc_whois */
	int		 allow_invites;
	int		 allow_pm;	/* enum muc_allowpm */
	int		 change_subject;
	int		 history;	/* -1: the service's history */
	int		 logging;	/* archived (XEP-0313) */
};

/* An affiliation: of a bare JID, or of a whole domain. */
struct muc_aff {
	RB_ENTRY(muc_aff)	 entry;
	char			*jid;
	int			 affiliation;	/* never MUC_AFF_NONE */
	char			*nick;		/* reserved, or "" */
	char			*reason;	/* or "" */
};
RB_HEAD(muc_aff_tree, muc_aff);
RB_PROTOTYPE(muc_aff_tree, muc_aff, entry, muc_aff_cmp);

struct muc_occupant;

/* One client session (full JID) joined to a room as an occupant. */
struct muc_session {
	RB_ENTRY(muc_session)	 entry;		/* the room's, by jid */
	TAILQ_ENTRY(muc_session) occ_entry;
	struct muc_occupant	*occ;
	char			*jid;		/* real full JID */
	struct xml_node		*presence;	/* its last, as broadcast */
	time_t			 joined;
};
RB_HEAD(muc_session_tree, muc_session);
RB_PROTOTYPE(muc_session_tree, muc_session, entry, muc_session_cmp);

/* A nick in a room: one user, one or more sessions. */
struct muc_occupant {
	RB_ENTRY(muc_occupant)	 entry;		/* the room's, by key */
	struct muc_room		*room;
	char			*nick;		/* resourceprep'd, as shown */
	char			*key;		/* the nick case-folded */
	char			*bare;		/* real bare JID */
	int			 role;
	TAILQ_HEAD(muc_session_list, muc_session) sessions;
	int			 nsessions;
	struct muc_session	*last;		/* whose presence it shows */
	double			 tokens;	/* message rate */
	struct timespec		 refill;
};
RB_HEAD(muc_occupant_tree, muc_occupant);
RB_PROTOTYPE(muc_occupant_tree, muc_occupant, entry, muc_occupant_cmp);

struct muc_service;

struct muc_room {
	RB_ENTRY(muc_room)	 entry;
	struct muc_service	*svc;
	char			*name;		/* nodeprep'd localpart */
	char			*jid;		/* room@service */
	int64_t			 dbid;		/* 0: not in the database */
	time_t			 created;
	int			 locked;	/* not configured yet */
	struct muc_room_config	 cfg;
	struct muc_aff_tree	 affs;
	struct muc_occupant_tree occupants;
	struct muc_session_tree	 sessions;
	int			 noccupants;
	void			**data;		/* muc_room_slot() */
};
RB_HEAD(muc_room_tree, muc_room);
RB_PROTOTYPE(muc_room_tree, muc_room, entry, muc_room_cmp);

/* A muc block of xmppd.conf. */
struct muc_service {
	TAILQ_ENTRY(muc_service) entry;
	char			*name;		/* its domain */
	const struct muc_conf	*conf;		/* of the running config */
	struct muc_room_tree	 rooms;
	int			 nrooms;
	int			 loaded;	/* its persistent rooms read */
};
TAILQ_HEAD(muc_service_list, muc_service);

/* A stanza error: RFC 6120 section 8.3. */
struct muc_error {
	const char	*type;		/* cancel, auth, modify, wait */
	const char	*cond;		/* the defined condition */
	const char	*text;		/* NULL, or a text for the user */
};

/*
 * A stanza to a muc service, as the handlers see it.  from is the
 * sender's full JID as the router stamped it: trusted; n's 'from' says
 * the same.  n belongs to the core.
 */
struct muc_ctx {
	struct muc_service	*svc;
	struct muc_room		*room;	/* NULL: to the service, or no room */
	struct muc_session	*sess;	/* the sender's in room, or NULL */
	int			 locked; /* room is locked, not the sender's */
	struct xml_node		*n;
	int			 kind;	/* enum stanza_kind */
	const char		*type;	/* "" when absent */
	const char		*from;
	size_t			 xmllen; /* of the stanza as received */
	char			 bare[JID_BUFSIZE];	/* of from */
	struct jid		 fromj;
	struct jid		 to;	/* prepared */
	char			 tojid[JID_BUFSIZE];	/* to, prepared */
};

/* A join, as the hooks see it before the occupant exists. */
struct muc_join {
	struct muc_ctx		*ctx;
	struct muc_room		*room;
	const char		*nick;	/* prepared; a hook may point it to
					   its own (set renamed) */
	const struct xml_node	*x;	/* its <x xmlns=NS_MUC/> */
	int			 affiliation;
	int			 role;	/* the default; a hook may change it */
	int			 created; /* this join created the room (201) */
	int			 renamed; /* a hook changed nick: 210 (c2s has
					     prepared it already) */
};

/* How an occupant went or changed: the x of its presence says it. */
struct muc_why {
	const int		*codes;	/* status codes, 0-terminated */
	const int		*self_codes; /* more, to the occupant itself */
	const char		*reason;
	const char		*actor;	/* the actor's nick, or NULL */
	const struct xml_node	*destroy; /* <destroy/> to copy, or NULL */
};

/* What an IQ handler or a message hook did. */
#define MUC_PASS	0	/* not mine: the next one's */
#define MUC_DONE	1	/* handled, answered */
#define MUC_FAIL	(-1)	/* refused: the caller answers with err */

/* Where an IQ handler serves. */
#define MUC_AT_SERVICE	0x01	/* service */
#define MUC_AT_ROOM	0x02	/* room@service */
#define MUC_AT_OCCUPANT	0x04	/* room@service/nick, from an occupant */

/*
 * An IQ get or set whose payload q is in namespace ns.  The handler
 * answers (muc_stanza_result(), muc_stanza_error()) and returns MUC_DONE,
 * or returns MUC_PASS to leave it to the next handler of ns, or
 * MUC_FAIL with err set.  What no handler takes is answered
 * <service-unavailable/>.  ctx->room is NULL at the service; for a
 * room, it exists and is unlocked, or the sender owns it.
 */
struct muc_iq {
	const char	*ns;
	int		 where;
	int		(*handler)(struct muc_ctx *, struct xml_node *,
			    struct muc_error *);
};

/*
 * A feature: every member may be NULL.  Hooks run in the order of
 * mucd_features[] (mucd.c); where order matters (joined: the history
 * before the subject, XEP-0045 section 7.1), the table says it.
 *
 * init		once, after the database is open
 * room_init	a room was created or loaded; room_free: it goes away
 * room_saved	a persistent room was written (room->dbid is its row):
 *		the feature writes what it keeps of the room
 * join_check	may refuse a join (password, members-only): MUC_FAIL
 *		and err; may change j->role
 * nick_check	may refuse a nick at join or nick change (reserved nicks)
 * joined	after the new session's self-presence: history, subject
 * left		the occupant's last session is leaving
 * presence_out	decorates an occupant's presence (x: its muc#user x)
 *		before it goes out; self: the variant for the occupant
 * groupchat	a groupchat message from an occupant, before it goes
 *		out: MUC_PASS, MUC_DONE (consumed and answered), MUC_FAIL;
 *		the sender may speak, and may change the subject if it is
 *		a subject change (muc_message_is_subject())
 * message_out	decorates a message of an occupant, groupchat or
 *		private, as the room sends it (occupant id), before its
 *		stanza-id
 * stanza_id	the first that returns 0 names the message (XEP-0359):
 *		the archive; without one, the core draws a random id
 * broadcast	the message as it went out, stanza-id included
 * message	a message to the room that is not groupchat (invites,
 *		voice requests): MUC_PASS, MUC_DONE or MUC_FAIL
 * iqs		IQ handlers, ended by a NULL ns
 * disco	disco#info features it adds (room NULL: the service); for
 *		a room, the query holds the muc#roominfo form as well
 *		(muc_disco_form()), where it may add fields
 *		(muc_disco_field())
 */
struct muc_feature {
	const char		*name;
	void	(*init)(void);
	void	(*room_init)(struct muc_room *);
	void	(*room_free)(struct muc_room *);
	void	(*room_saved)(struct muc_room *);
	int	(*join_check)(struct muc_join *, struct muc_error *);
	int	(*nick_check)(struct muc_room *, const char *, const char *,
		    struct muc_error *);
	void	(*joined)(struct muc_session *, const struct muc_join *);
	void	(*left)(struct muc_occupant *);
	void	(*presence_out)(struct muc_occupant *, struct xml_node *,
		    struct xml_node *, int);
	int	(*groupchat)(struct muc_ctx *, struct xml_node *,
		    struct muc_error *);
	void	(*message_out)(struct muc_occupant *, struct xml_node *);
	int	(*stanza_id)(struct muc_occupant *, const struct xml_node *,
		    char *, size_t);
	void	(*broadcast)(struct muc_occupant *, const struct xml_node *);
	int	(*message)(struct muc_ctx *, struct muc_error *);
	const struct muc_iq	*iqs;
	void	(*disco)(struct muc_room *, struct xml_node *);
};

/* mucd.c */
extern const struct muc_feature *const	 mucd_features[];
extern size_t				 mucd_nfeatures;
extern struct muc_service_list		 mucd_services;
struct muc_service	*mucd_service_find(const char *);
void			 mucd_db_up(void);
void			 mucd_disco_features(struct muc_room *,
			    struct xml_node *);
int			 mucd_disco_add(struct xml_node *, const char *);

/* muc_stanza.c: stanzas in and out */
void	 muc_stanza_in(struct imsg *);
int	 muc_stanza_send(const struct xml_node *);
void	 muc_stanza_error(struct muc_ctx *, const struct muc_error *);
void	 muc_stanza_result(struct muc_ctx *, struct xml_node *);
int	 muc_stanza_seterr(struct muc_error *, const char *, const char *,
	    const char *);
struct xml_node *muc_stanza_new(const char *, const char *, const char *,
	    const char *);
size_t	 muc_stanza_chars(const char *);

/* One stanza serialized once, sent to many: fan-out (muc_stanza.c). */
struct muc_stanza_out;
struct muc_stanza_out	*muc_stanza_out_new(const struct xml_node *);
int			 muc_stanza_out_send(struct muc_stanza_out *,
			    const char *);
void			 muc_stanza_out_free(struct muc_stanza_out *);

/* muc_room.c: rooms and affiliations */
struct muc_room	*muc_room_find(struct muc_service *, const char *);
struct muc_room	*muc_room_new(struct muc_service *, const char *);
void		 muc_room_init(struct muc_room *);
void		 muc_room_free(struct muc_room *);
void		 muc_room_destroy(struct muc_room *, const struct xml_node *);
int		 muc_room_save(struct muc_room *);
int		 muc_room_unlock(struct muc_room *);
void		 muc_room_gone_if_empty(struct muc_room *);
void		 muc_room_send_all(struct muc_room *, const struct xml_node *);
void		**muc_room_slot(struct muc_room *, const struct muc_feature *);
int		 muc_room_affiliation(struct muc_room *, const char *);
int		 muc_room_visible(struct muc_ctx *);
struct muc_aff	*muc_room_aff_find(struct muc_room *, const char *);
int		 muc_room_set_affiliation(struct muc_room *, const char *,
		    int, const char *, const char *);
int		 muc_room_default_role(struct muc_room *, int);
int		 muc_room_max_occupants(struct muc_room *);
int		 muc_room_may_create(struct muc_ctx *, struct muc_error *);
int		 muc_room_domain_admin(const char *);
int		 muc_room_set_str(char **, const char *);
void		 muc_room_config_defaults(struct muc_room_config *,
		    const struct muc_conf *);
void		 muc_room_config_clear(struct muc_room_config *);
const char	*muc_room_aff_name(int);
const char	*muc_room_role_name(int);
int		 muc_room_aff_parse(const char *);
int		 muc_room_role_parse(const char *);
extern const struct muc_feature	muc_room_feature;

/* muc_occupant.c: joins, leaves, nick changes, presence broadcast */
void	 muc_occupant_presence(struct muc_ctx *);
void	 muc_occupant_bounced(struct muc_ctx *);
int	 muc_occupant_nick_check(struct muc_room *, const char *, const char *,
	    struct muc_error *);
int	 muc_occupant_nick_key(const char *, char **);
struct muc_occupant *muc_occupant_find(struct muc_room *, const char *);
struct muc_session *muc_occupant_session(struct muc_room *, const char *);
void	 muc_occupant_broadcast(struct muc_occupant *, const struct muc_why *);
void	 muc_occupant_remove(struct muc_occupant *, const struct muc_why *);
void	 muc_occupant_dismiss(struct muc_occupant *, const struct muc_why *);
void	 muc_occupant_set_role(struct muc_occupant *, int,
	    const struct muc_why *);
void	 muc_occupant_roster(struct muc_occupant *);
int	 muc_occupant_sees_jids(struct muc_occupant *);
void	 muc_occupant_tell_affiliation(struct muc_room *, const char *, int,
	    const char *);
int	 muc_occupant_send(struct muc_occupant *, struct muc_stanza_out *);
size_t	 muc_occupant_jid(struct muc_occupant *, char *, size_t);

/* muc_admin.c: roles and affiliations, their lists and changes */
extern const struct muc_feature	muc_admin_feature;

/* muc_message.c: groupchat and private messages */
void	 muc_message_in(struct muc_ctx *);
int	 muc_message_rate(struct muc_occupant *);
int	 muc_message_is_subject(const struct xml_node *);
extern const struct muc_feature	muc_message_feature;

/* muc_disco.c: service discovery, and the admin's list of rooms */
struct xml_node	*muc_disco_form(struct xml_node *);
int		 muc_disco_field(struct xml_node *, const char *, const char *,
		    const char *);
void		 muc_disco_ctl(struct imsgev *, struct imsg *);
extern const struct muc_feature	muc_disco_feature;

/* muc_import.c: rooms of another server, from xmppctl muc import */
void		 muc_import_ctl(struct imsgev *, struct imsg *);

/* muc_invite.c: mediated invitations and their declines */
extern const struct muc_feature	muc_invite_feature;

/* muc_ping.c: self-ping (XEP-0410) and pings to the service */
extern const struct muc_feature	muc_ping_feature;

/* muc_db.c: persistent rooms, in the database muc_backend.h reaches */
struct global_conf;
void		 muc_db_open(const struct global_conf *);
void		 muc_db_close(void);
int		 muc_db_load(struct muc_service *);
int		 muc_db_room_save(struct muc_room *);
int		 muc_db_room_delete(struct muc_room *);
int		 muc_db_aff_save(struct muc_room *, const struct muc_aff *);
int		 muc_db_aff_delete(struct muc_room *, const char *);
int		 muc_db_setting_put(struct muc_room *, const char *,
		    const char *);
char		*muc_db_setting_get(struct muc_room *, const char *);

/* muc_history.c, muc_subject.c, muc_mam.c: what a room remembers */
extern const struct muc_feature	muc_history_feature;
extern const struct muc_feature	muc_subject_feature;
int	 muc_subject_set(struct muc_room *, const char *, const char *);
extern const struct muc_feature	muc_mam_feature;
void	 muc_history_expire(struct muc_service *, int64_t);
/* Feature files: one struct muc_feature each, listed in mucd_features[]. */
extern const struct muc_feature	muc_config_feature;	/* muc_config.c */
extern const struct muc_feature	muc_register_feature;	/* muc_register.c */

#endif /* MUC_H */
