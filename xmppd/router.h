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
 * The router's session table: who is online, on which stream process,
 * under which full JID.  Every "where is this JID" question goes through
 * the functions here, so that sessions on other nodes can be found the
 * same way later.
 */

#ifndef ROUTER_H
#define ROUTER_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "jid.h"

struct domain_conf;
struct event;
struct imsg;
struct imsgev;

struct user;

struct session {
	RB_ENTRY(session)	 by_id;
	TAILQ_ENTRY(session)	 user_entry;
	struct user		*user;
	int			 stream;	/* stream instance */
	uint32_t		 id;		/* session id on that stream */
	char			*resource;
	char			*full;		/* local@domain/resource */
	char			 addr[64];
	char			 tls[64];
	char			 transport[16];	/* "tcp", "websocket" */
	time_t			 since;
	int			 available;	/* sent initial presence */
	int			 priority;
	char			*presence;	/* last available presence */
	size_t			 presencelen;
	char			**directed;	/* directed presence sent to */
	int			 ndirected;
	int			 roster_requested;	/* gets pushes */
	char			*caps_ver;	/* XEP-0115 (router_caps_client.c) */
	int			 carbons;	/* XEP-0280 enabled (carbons.c) */
	int			 inactive;	/* XEP-0352 (csi.c) */
	struct csi_held		*csi;		/* held while inactive */
	int			 blocklist_requested;	/* blocking.c */
	struct sm_session	*sm;		/* XEP-0198 (router_sm.c) */
	struct order_gate	*gate;		/* router_order.c */
};

struct user {
	RB_ENTRY(user)		 entry;
	char			*bare;		/* local@domain */
	char			*local;
	char			*domain;
	TAILQ_HEAD(, session)	 sessions;
	int			 nsessions;
	struct blocklist	*blocklist;	/* XEP-0191 (blocking.c) */
	struct mam_cache	*mam;		/* XEP-0313 (router_mam.c) */
	struct timespec		 last_gone;	/* XEP-0012 (last.c) */
	char			*last_status;
};

struct xml_node;
struct stanza_msg;

/* A server IQ handler: one feature, one file, listed in router_stanza.c. */
struct iq_feature {
	const char	*ns;		/* of the IQ's payload */
	const char	*name;		/* its element name */
	/* Answer iq (from session s); returns the reply, or NULL for none. */
	struct xml_node	*(*handler)(struct session *, struct xml_node *,
			    struct xml_node *);
};

/*
 * Hooks a feature file exports, listed in router_stanza.c: what happens
 * when a session ends, becomes available, or a message finds no one.
 */
struct router_hooks {
	void	(*session_end)(struct session *);
	void	(*available)(struct session *, int);	/* initial? */
	int	(*undeliverable)(struct session *, struct stanza_msg *);
};

extern const struct router_hooks	 presence_hooks;
extern const struct router_hooks	 offline_hooks;
extern const struct router_hooks	 caps_client_hooks;
extern const struct router_hooks	 mam_hooks;

void		 router_hook_session_end(struct session *);
void		 router_hook_available(struct session *, int);
int		 router_hook_undeliverable(struct session *,
		    struct stanza_msg *);

extern const struct iq_feature	 ping_feature;
extern const struct iq_feature	 roster_feature;
extern const struct iq_feature	 disco_info_feature;
extern const struct iq_feature	 disco_items_feature;
extern const struct iq_feature	 version_feature;
extern const struct iq_feature	 time_feature;
extern const struct iq_feature	 last_feature;
extern const struct iq_feature	 vcard_feature;
extern const struct iq_feature	 private_feature;
extern const struct iq_feature	 pep_feature;
extern const struct iq_feature	 pep_owner_feature;
extern const struct iq_feature	 carbons_enable_feature;
extern const struct iq_feature	 carbons_disable_feature;

/* Whom an IQ the router answers is for (router_iq_to). */
#define IQ_SERVER	0	/* a domain of ours */
#define IQ_SELF		1	/* the sender's own account, or no 'to' */
#define IQ_ACCOUNT	2	/* another account's bare JID */

/* A roster item, and a roster as the router caches it. */
struct ritem {
	RB_ENTRY(ritem)		 node;
	char			*jid;
	char			*name;
	char			*groups;	/* '\n' between groups */
	int			 sub;		/* enum roster_sub */
	int			 ask;
	int			 approved;
	int			 in_roster;
	char			*pending;	/* a stored subscribe */
};
RB_HEAD(ritems, ritem);
RB_PROTOTYPE(ritems, ritem, node, ritem_cmp);

struct roster_job;

/*
 * The shared roster group of an ldap block (router_ldap.c): its members
 * sorted by localpart, seen by each other on every domain of the block.
 */
struct shared_member {
	char			*local;
	char			*name;		/* "" for none */
};

struct shared_group {
	TAILQ_ENTRY(shared_group) entry;
	char			*ldap;
	char			*group;
	struct shared_member	*members;
	size_t			 nmembers;
	int64_t			 gen;		/* added to roster versions */
};

/* A member that came, went or was renamed; NULL where absent. */
struct shared_change {
	const struct shared_member *before;
	const struct shared_member *after;
};

struct roster {
	RB_ENTRY(roster)	 node;
	TAILQ_ENTRY(roster)	 lru;
	char			*bare;
	char			*local;
	char			*domain;
	struct ritems		 items;
	int			 nitems;
	int			 loaded;
	int			 exists;
	int64_t			 ver;
	int			 ldap_status;	/* -1: not a directory user */
	time_t			 expires;	/* 0: never; else check again */
	int			 busy;		/* running its jobs */
	TAILQ_HEAD(, roster_job) jobs;
	int			 tries;		/* loads that failed */
	struct event		*retry;		/* the next load, or NULL */
};

/* Work that needs a roster: run now, or once the store has sent it. */
struct roster_job {
	TAILQ_ENTRY(roster_job)	 entry;
	void			(*fn)(struct roster *, struct roster_job *);
	int			 stream;	/* the session it came from */
	uint32_t		 session;
	char			*xml;		/* the stanza, serialized */
	char			*jid;		/* the other party */
	int			 arg;
	void			*ptr;		/* the feature's own */
	uint32_t		 hold;		/* router_order.c */
};

/* router_stanza.c */
struct router_sender {
	struct session	 s;
	struct user	 u;
	struct jid	 j;
	char		 bare[CONF_JIDLEN];
};
int		 router_sender(struct router_sender *, const char *, int,
		    uint32_t);
int		 router_stanza(struct imsgev *, struct imsg *);
void		 router_route(struct session *, struct stanza_msg *,
		    struct imsg *);
struct xml_node	*router_parse(const char *, size_t, const char *);
int		 router_envelope_ok(const struct stanza_msg *);
struct xml_node	*router_iq_result(struct xml_node *);
struct xml_node	*router_error(struct xml_node *, const char *, const char *);
struct xml_node	*router_error_msg(struct stanza_msg *, const char *,
		    const char *);
int		 router_iq_to(struct session *, struct xml_node *);
int		 router_name_index(const char *, const char *const *, size_t);
void		 router_iq_remote(struct session *, struct stanza_msg *);
const char	*router_feature_ns(size_t);

/* router_stanza.c, delivery */
void		 router_deliver(struct session *, struct imsg *);
void		 router_pass(struct session *, struct stanza_msg *,
		    struct imsg *);
void		 router_deliver_xml(struct session *, int, const char *,
		    size_t);
void		 router_bounce(struct session *, struct stanza_msg *,
		    const char *, const char *);
void		 router_refuse(struct session *, struct stanza_msg *,
		    const char *);
const uint8_t	*router_grant_key(const char *);
int		 router_local_jid(const char *, struct session **,
		    struct user **);

/* router_presence.c */
void		 presence_in(struct session *, struct stanza_msg *,
		    struct imsg *);
char		*presence_xml(const char *, const char *, const char *,
		    size_t *);

/* router_ldap.c */
void		 ldap_init(void);
int		 ldap_dispatch(struct imsgev *, struct imsg *);
void		 ldap_peer_down(void);
void		 ldap_config_commit(void);
struct imsgev	*ldap_peer(void);
int		 ldap_enabled(void);
struct domain_conf *ldap_domain(const char *);
void		 ldap_user_check(const char *, const char *,
		    void (*)(const char *, const char *, int, void *), void *);
int		 ldap_text_ok(const char *, size_t);
const struct shared_group *ldap_shared(const char *);
const struct shared_member *ldap_shared_member(const struct shared_group *,
		    const char *);

/* vcard.c */
void		 vcard_init(void);
int		 vcard_result(struct imsg *);
void		 vcard_ldap_down(void);

/* router_offline.c */
int		 offline_dispatch_router(struct imsgev *, struct imsg *);
#define NS_MSGOFFLINE	"msgoffline"	/* XEP-0160: a feature, not an IQ */
int		 offline_disco(struct xml_node *);

/* router_roster.c */
void		 roster_with(const char *, const char *,
		    void (*)(struct roster *, struct roster_job *),
		    struct roster_job *);
struct roster_job *roster_job_new(struct session *, const char *,
		    const char *);
void		 roster_job_free(struct roster_job *);
struct ritem	*roster_item(struct roster *, const char *);
struct ritem	*roster_item_make(struct roster *, const char *);
void		 roster_changed(struct roster *, struct ritem *);
void		 roster_changed_quiet(struct roster *, struct ritem *);
void		 roster_drop_item(struct roster *, struct ritem *);
void		 roster_forget(const char *);
int		 roster_dispatch(struct imsgev *, struct imsg *);
struct xml_node	*roster_parse(const char *);
void		 roster_ver(struct roster *, char *, size_t);
void		 roster_item_xml(struct xml_node *, struct roster *,
		    const struct shared_group *, const char *);
const struct shared_group *roster_group(struct roster *);
const struct shared_member *roster_shared(struct roster *,
		    const struct shared_group *, const char *);
const char	*roster_member_jid(struct roster *,
		    const struct shared_member *, char *, size_t);
void		 roster_group_changed(const char *,
		    const struct shared_group *, const struct shared_group *,
		    const struct shared_change *, size_t);

/* router_roster_iq.c */
struct xml_node	*roster_iq_answer(struct roster *, struct session *,
		    struct xml_node *);

/* router_subscription.c */
void		 subscription_out(struct session *, struct stanza_msg *);
void		 subscription_cancel(struct session *, struct roster *,
		    struct ritem *);
void		 presence_contacts(struct user *, const char *,
		    const char *, struct session *);
void		 presence_of_user_to(struct user *, const char *, int);
void		 presence_probe(struct session *, const char *);
int		 subscription_remote(struct stanza_msg *);

/* carbons.c (XEP-0280) */
int		 carbons_forged(struct session *, struct stanza_msg *);
void		 carbons_sent(struct session *, struct stanza_msg *);
void		 carbons_received(struct user *, struct session *,
		    struct stanza_msg *);
int		 carbons_private(struct session *, struct stanza_msg *);
int		 carbons_eligible(struct stanza_msg *, struct xml_node *);

/* csi.c (XEP-0352) */
extern const struct router_hooks	 csi_hooks;
int		 csi_hold(struct session *, int, const char *, size_t);
int		 csi_hold_imsg(struct session *, struct imsg *);
int		 csi_dispatch(struct imsgev *, struct imsg *);

/* router_sm.c (XEP-0198) */
extern const struct router_hooks	 sm_hooks;
int		 sm_dispatch(struct imsgev *, struct imsg *);
void		 sm_stream_down(int);

/* router_mam.c (XEP-0313) */
extern const struct iq_feature	 mam_feature;
extern const struct iq_feature	 mam_prefs_feature;
extern const struct iq_feature	 mam_ext_feature;
int		 mam_message(struct session *, struct stanza_msg *);
#define NS_SID		"urn:xmpp:sid:0"	/* XEP-0359 */
int		 mam_strip(struct xml_node *);
void		 mam_session_new(struct session *);
int		 mam_dispatch_router(struct imsgev *, struct imsg *);
int		 mam_disco_account(struct xml_node *);

/* router_mam_meta.c (XEP-0313 archive metadata) */
extern const struct iq_feature	 mam_meta_feature;
int		 mam_meta_dispatch(struct imsgev *, struct imsg *);

/* blocking.c (XEP-0191) */
extern const struct router_hooks	 blocking_hooks;
extern const struct iq_feature	 blocking_list_feature;
extern const struct iq_feature	 blocking_block_feature;
extern const struct iq_feature	 blocking_unblock_feature;
void		 blocking_session_new(struct session *);
int		 blocking_out(struct session *, struct stanza_msg *);
int		 blocking_presence(struct session *, const char *, size_t);
int		 blocking_presence_imsg(struct session *, struct imsg *);
int		 blocking_known(struct user *, const char *);
void		 blocking_ask(const char *, const char *, const char *,
		    void (*)(int, void *), void *);

/* caps.c */
void		 caps_send(struct imsgev *);

/* last.c */
void		 last_init(void);
void		 last_unavailable(struct session *, const char *, size_t);

/* stats.c: stanzas from and to clients */
struct router_stats {
	uint64_t	 in;
	uint64_t	 out;
};
extern struct router_stats	 router_stats;
void		 stats_init(void);
int		 stats_ctl(struct imsgev *, struct imsg *);

/* router_caps_client.c (XEP-0115 of clients) */
int		 caps_client_notify(struct session *, const char *);
void		 caps_client_result(struct session *, struct stanza_msg *);
void		 caps_remote_result(struct stanza_msg *);
void		 caps_remote_presence(struct stanza_msg *);
int		 caps_remote_notify(const char *, const char *);
int		 caps_remote_each(const char *, const char *,
		    void (*)(const char *, void *), void *);

/* router_pep.c (XEP-0163) */
void		 pep_caps_ready(struct session *);
void		 pep_remote_ready(const char *, const char *);
int		 pep_disco(struct xml_node *);

/* router_xmlstore.c: per-user XML items in the store */
struct xs_req;
struct xml_buf;

struct xs_item {
	TAILQ_ENTRY(xs_item)	 entry;
	char			*space;
	char			*key;
	char			*xml;		/* NUL-terminated */
	size_t			 len;
};
TAILQ_HEAD(xs_items, xs_item);

typedef void	(*xs_cb)(struct xs_req *, struct xs_items *, void *);

/* An IQ answered once the store has. */
struct xs_iq {
	int			 stream;
	uint32_t		 session;
	struct xml_node		*iq;
	int			 pending;	/* requests outstanding */
	int			 status;	/* the worst answer */
	void			*arg;
};

void		 xs_req_init(struct xs_req *, int, const char *,
		    const char *, const char *, const char *);
int		 xs_request(struct xs_req *, const void *, size_t, xs_cb,
		    void *);
int		 xs_dispatch_router(struct imsgev *, struct imsg *);
void		 xs_items_free(struct xs_items *);
struct xml_node	*xs_item_parse(const struct xs_item *);
int		 xs_serialize(const struct xml_node *, struct xml_buf *,
		    size_t);
struct xs_iq	*xs_iq_new(struct session *, struct xml_node *);
void		 xs_iq_done(struct xs_iq *, struct xml_node *);
struct xml_node	*xs_iq_error(struct xs_iq *, int);

/* router_service.c: what the ways to mucd and uploadd share */
struct service_link {
	int		 proc;		/* PROC_MUCD, PROC_UPLOADD */
	const char	*what;		/* "muc": no muc service is ... */
	uint32_t	 ctl_ids[64];	/* control requests waiting */
	int		 nctl;
	int		 answers_only;	/* speaks only to answer: uploadd */
};
void		 service_forward(struct service_link *, struct session *,
		    struct stanza_msg *, struct imsg *);
int		 service_answered(struct service_link *,
		    const struct stanza_msg *);
int		 service_ctl(struct service_link *, int, struct imsg *);
void		 service_ctl_answer(struct service_link *, struct imsg *,
		    int);
void		 service_peer_down(struct service_link *);
int		 service_stanza_recv(struct service_link *, struct imsg *,
		    struct stanza_msg *);

/* router_upload.c: the way to uploadd and back */
int		 upload_jid(const char *);
void		 upload_forward(struct session *, struct stanza_msg *,
		    struct imsg *);
int		 upload_dispatch(struct imsgev *, struct imsg *);
int		 upload_ctl(struct imsgev *, struct imsg *);
void		 upload_account_gone(const char *);
void		 upload_peer_down(void);

/* router_muc.c: the way to mucd and back */
extern const struct router_hooks	 muc_hooks;
int		 muc_jid(const char *);
void		 muc_forward(struct session *, struct stanza_msg *,
		    struct imsg *);
void		 muc_presence_gone(struct session *, const char *);
int		 muc_dispatch(struct imsgev *, struct imsg *);
int		 muc_ctl(struct imsgev *, struct imsg *);
void		 muc_unreachable(struct stanza_msg *, const char *);
void		 muc_peer_down(void);

/* router_order.c: a session's stanzas in order (RFC 6120 10.1) */
void		 order_init(int (*)(struct imsgev *, struct imsg *));
int		 order_dispatch(struct imsgev *, struct imsg *);
void		 order_session_new(struct session *);
void		 order_session_free(struct session *);
uint32_t	 router_hold(void);
void		*router_enter(uint32_t);
void		*router_enter_session(struct session *);
void		 router_leave(uint32_t, void *);
void		 router_release(uint32_t);

/* router_disabled.c */
void		 disabled_add(const char *, const char *);
void		 disabled_clear(const char *);
const char	*disabled_reason(const char *);

/* router_session.c */
void		 session_init(void);
int		 session_dispatch(struct imsgev *, struct imsg *);
void		 session_stream_down(int);
struct session	*session_find_full(const char *);
struct user	*session_find_user(const char *);
struct session	*session_find_id(int, uint32_t);
void		 session_close(struct session *, int, const char *);
void		 session_move(struct session *, int, uint32_t);
int		 session_ctl(struct imsgev *, struct imsg *);
void		 session_count(int *, int *);
struct session	*session_next(struct session *);

/*
 * router_component.c: external components (XEP-0114).  A component is
 * connected to one stream process; the router knows it by its name,
 * routes every stanza for that domain (and its JIDs) to it, and takes
 * from it only stanzas from that exact domain or its JIDs.
 */
struct component {
	RB_ENTRY(component)	 entry;
	char			 name[CONF_NAMELEN];
	const struct component_conf *conf;	/* privileges (no secret) */
	int			 stream;	/* stream instance */
	uint32_t		 id;		/* its connection there */
	time_t			 since;
	uint64_t		 in, out, refused;	/* stanzas */
};
struct component *component_find(const char *);	/* a domain */
struct component *component_of_jid(const char *);	/* to a component */
struct component *component_at(int, uint32_t);		/* its connection */
int		 component_send(struct component *, const struct xml_node *);
int		 component_forward(struct component *, struct imsg *);
int		 component_deliver(const char *, struct imsg *);
extern const struct router_hooks	 component_hooks;
int		 component_jid(const char *);		/* configured */
void		 component_route(struct session *, struct stanza_msg *,
		    struct imsg *);
void		 component_session_gone(struct session *);
int		 component_dispatch(struct imsgev *, struct imsg *);
int		 component_ctl(struct imsgev *, struct imsg *);
void		 component_stream_down(int);
void		 component_config_commit(void);

/*
 * router_privilege.c: privileged entities (XEP-0356), the privileges
 * of the component's block of xmppd.conf.  The component hooks call
 * these; each returns 1 when it handled (answered or refused) the
 * stanza, 0 when the stanza is not its business.
 */
void		 priv_component_up(struct component *);
int		 priv_component_message(struct component *,
		    struct stanza_msg *, struct xml_node *);
int		 priv_component_iq(struct component *, struct stanza_msg *,
		    struct xml_node *);
void		 priv_presence(struct user *, struct session *,
		    const struct xml_node *);
int		 priv_client_message(struct session *, struct stanza_msg *);

/*
 * router_resolve.c: where a remote domain's servers are, asked of the
 * resolver process.  The callback comes once, always from the event
 * loop (never from within resolve_s2s), with the candidates in the
 * order to try them, or none and the reason (res->status), unless
 * resolve_cancel() was called first with the id resolve_s2s returned.
 */
struct resolve_result;
struct resolve_candidate;
uint32_t	 resolve_s2s(const char *, void (*)(void *,
		    struct resolve_result *, struct resolve_candidate *),
		    void *);
void		 resolve_cancel(uint32_t);
int		 resolve_dispatch(struct imsgev *, struct imsg *);
int		 resolve_ctl(struct imsgev *, struct imsg *);
void		 resolve_peer_down(void);

/* router_s2s.c: federation links */
void		 s2s_init(void);
void		 s2s_route(struct session *, struct stanza_msg *,
		    struct imsg *);
int		 s2s_send_node(struct xml_node *);
const char	*s2s_forward(struct stanza_msg *, struct imsg *);
int		 s2s_send_presence(const char *, const char *);
int		 s2s_remote_jid(const char *);
void		 s2s_verify(const char *, const char *, const char *,
		    const char *, void (*)(void *, int), void *);
int		 s2s_router_dispatch(struct imsgev *, struct imsg *);
void		 s2s_stream_down(int);

/* router_dialback.c */
int		 dialback_dispatch(struct imsgev *, struct imsg *);

/*
 * router_adhoc.c: ad-hoc commands (XEP-0050) of the server's JIDs.  A
 * command's run() gets its request, with the submitted form (NULL at
 * the first stage), and ends it, now or later, with exactly one of
 * adhoc_next() (a form to fill in), adhoc_complete() or adhoc_fail().
 */
#define NS_XDATA	"jabber:x:data"
#define ADHOC_SIDLEN	24

struct adhoc_req;
struct adhoc_cmd {
	const char	*node;
	const char	*name;
	int		 listed;	/* in the commands' disco items */
	void		(*run)(struct adhoc_req *, const struct xml_node *);
};

struct adhoc_req {
	int			 stream;	/* the requester's session */
	uint32_t		 session;
	struct xml_node		*iq;		/* the request, no payload */
	const struct adhoc_cmd	*cmd;
	char			 domain[CONF_NAMELEN];	/* the server's */
	char			 admin[CONF_JIDLEN];	/* who asks, bare */
	char			 sessionid[ADHOC_SIDLEN];
};

extern const struct iq_feature	 adhoc_feature;
struct xml_node	*adhoc_disco(struct session *, struct xml_node *,
		    struct xml_node *, int);
void		 adhoc_next(struct adhoc_req *, struct xml_node *);
void		 adhoc_complete(struct adhoc_req *, const char *,
		    const char *, struct xml_node *);
void		 adhoc_fail(struct adhoc_req *, const char *, const char *,
		    const char *, const char *);
struct xml_node	*adhoc_form(const char *, const char *, const char *);
struct xml_node	*adhoc_field(struct xml_node *, const char *, const char *,
		    const char *, int);
int		 adhoc_value(struct xml_node *, const char *);
int		 adhoc_values(const struct xml_node *, const char *, char **,
		    int);
void		 adhoc_values_free(char **, int);

/* router_motd.c: the message of the day, and announcements */
extern const struct router_hooks	 motd_hooks;
int		 motd_send(const char *, struct session *, const char *,
		    const char *);
int		 motd_ctl(struct imsgev *, struct imsg *);
void		 motd_init(void);
void		 motd_load(void);
const char	*motd_text(const char *);
void		 motd_store(struct adhoc_req *, const char *, int);
int		 motd_dispatch(struct imsgev *, struct imsg *);

/* router_contact.c: contact addresses (XEP-0157) */
int		 contact_disco(struct xml_node *, const char *);

/* router_admin.c: service administration (XEP-0133) */
extern const struct adhoc_cmd	 admin_cmds[];	/* ends with a NULL node */
int		 admin_dispatch(struct imsgev *, struct imsg *);

#endif /* ROUTER_H */
