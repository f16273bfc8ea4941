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
 * The messages xmppd's processes exchange over their imsg channels, and
 * the payloads that go with them.  Every process includes this file; a
 * process receiving a type it does not expect calls fatalx().
 *
 * Channels (socketpairs made by the parent):
 *	parent  <-> every child			fd 3 in the child
 *	stream  <-> router, store, ldapauthd	one link per stream instance
 *	router  <-> store, ldapauthd, mucd, uploadd
 *	control <-> router, store, ldapauthd, resolver
 *	router  <-> resolver
 * A child also has fd 4, a datagram socket to the parent for log lines.
 *
 * Stanzas cross processes as IMSG_STANZA: a struct stanza_hdr followed by
 * the strings it announces (to, from, id; no NUL) and then the stanza,
 * serialized by the sending process from its own parse tree.  The router
 * routes on the header and only a feature that must look inside a stanza
 * parses the XML.  A session is named by (stream instance, session id):
 * the imsg peerid carries the session id, unique within its stream
 * process for the lifetime of that process.
 */

#ifndef MSG_H
#define MSG_H

#include <sys/types.h>
#include <stdint.h>

#include "config.h"

/* Channel size limits: control and config channels stay small. */
#define MSG_MAXSIZE_CTL		(64 * 1024)

enum imsg_type {
	IMSG_NONE,

	/* bootstrap, parent -> child, before the child drops privileges */
	IMSG_PROC_INIT,		/* struct proc_init */
	IMSG_PROC_PEER,		/* fd: link to a peer, struct proc_peer */
	IMSG_PROC_READY,	/* child -> parent: sandboxed and running */
	IMSG_PROC_ACCEPT,	/* parent -> stream: all are ready, accept */

	/* configuration, parent -> child; one object per message */
	IMSG_CFG_GLOBAL,	/* struct global_conf */
	IMSG_CFG_KEYPAIR,	/* struct keypair_conf */
	IMSG_CFG_KEYDATA,	/* struct keydata_hdr + cert + key */
	IMSG_CFG_LDAP,		/* struct ldap_conf */
	IMSG_CFG_LDAP_SERVER,	/* struct ldap_server_conf, of the last ldap */
	IMSG_CFG_LDAP_CA,	/* the CA certificates (PEM), of the last ldap */
	IMSG_CFG_TLS_CA,	/* the CA certificates (PEM) of "tls ca" */
	IMSG_CFG_DOMAIN,	/* struct domain_conf */
	IMSG_CFG_ADMIN,		/* struct admin_conf, of the last domain */
	IMSG_CFG_MUC,		/* struct muc_conf */
	IMSG_CFG_UPLOAD,	/* struct upload_conf */
	IMSG_CFG_COMPONENT,	/* struct component_conf */
	IMSG_CFG_LISTEN,	/* struct listen_conf, fd: the socket */
	IMSG_CFG_CONTROL,	/* fd: the listening control socket */
	IMSG_CFG_DONE,		/* parent: end of a config; child: ack */
	IMSG_CFG_COMMIT,	/* parent -> child: switch to it */

	/* control: xmppctl <-> control <-> parent or a child */
	IMSG_CTL_OK,		/* optional NUL-terminated text: what was done */
	IMSG_CTL_FAIL,		/* optional NUL-terminated reason */
	IMSG_CTL_END,
	IMSG_CTL_VERBOSE,	/* int */
	IMSG_CTL_RELOAD,
	IMSG_CTL_CONF_ERROR,	/* parent: a reload's "file:line: message" */
	IMSG_CTL_SHOW_PROCESSES,
	IMSG_CTL_PROCESS,	/* struct ctl_process */
	IMSG_CTL_REGRESS_VIOLATE, /* regress builds only: char role[] */

	/* accounts, control -> store; answered OK/FAIL or USER.../END */
	IMSG_CTL_USER_ADD,	/* struct ctl_user */
	IMSG_CTL_USER_DELETE,	/* struct ctl_user */
	IMSG_CTL_USER_PASSWORD,	/* struct ctl_user */
	IMSG_CTL_USER_LIST,	/* struct ctl_user, domain only */
	IMSG_CTL_USER,		/* struct ctl_user, no password */

	/* sessions, control -> router */
	IMSG_CTL_SHOW_SESSIONS,
	IMSG_CTL_SESSION,	/* struct ctl_session */
	IMSG_CTL_KICK,		/* struct ctl_user: a bare or full JID */

	/*
	 * SASL, stream <-> the owner of the credentials: the store for
	 * internal accounts, ldapauthd for LDAP.  peerid: session id.
	 */
	IMSG_AUTH_START,	/* struct auth_start + initial response */
	IMSG_AUTH_RESPONSE,	/* stream -> owner: client response */
	IMSG_AUTH_CHALLENGE,	/* owner -> stream: challenge */
	IMSG_AUTH_RESULT,	/* owner -> stream: struct auth_result +
				   additional data on success */
	IMSG_AUTH_ABORT,	/* stream -> owner: forget this exchange */

	/* in-band registration (XEP-0077), stream -> store */
	IMSG_REGISTER,		/* struct register_req */
	IMSG_REGISTER_RESULT,	/* struct register_result */

	/* sessions, stream <-> router; peerid: session id */
	IMSG_SESSION_BIND,	/* struct session_bind */
	IMSG_SESSION_BOUND,	/* struct session_bound */
	IMSG_SESSION_END,	/* stream -> router: the session is gone */
	IMSG_SESSION_CLOSE,	/* router -> stream: struct session_close */
	IMSG_SESSION_FLOW,	/* router -> stream: int, 0 stop reading, 1 go */

	/* offline messages, router <-> store; peerid: request id */
	IMSG_OFFLINE_STORE,	/* struct offline_req + message XML */
	IMSG_OFFLINE_STORED,	/* struct offline_res + XML when refused */
	IMSG_OFFLINE_FETCH,	/* struct offline_req: send and delete */
	IMSG_OFFLINE_MSG,	/* struct offline_req + message XML */
	IMSG_OFFLINE_END,	/* struct offline_req */

	/* rosters, router <-> store */
	IMSG_ROSTER_LOAD,	/* struct roster_owner */
	IMSG_ROSTER_ITEM,	/* struct roster_item_msg + name, groups,
				   pending subscription request */
	IMSG_ROSTER_LOADED,	/* struct roster_owner: ver, exists */
	IMSG_ROSTER_SAVE,	/* struct roster_item_msg + strings */
	IMSG_ROSTER_DELETE,	/* struct roster_item_msg */

	/* router -> stream: the server's XEP-0115 hash, NUL-terminated */
	IMSG_CAPS,

	/*
	 * The LDAP directory, router <-> ldapauthd; peerid: request id.
	 * Users on an "auth ldap" domain exist when the directory says so.
	 */
	IMSG_LDAP_LOOKUP,	/* router -> ldapauthd: struct ldap_user_req */
	IMSG_LDAP_USER,		/* ldapauthd -> router: struct ldap_user_res */
	IMSG_LDAP_VCARD,	/* router -> ldapauthd: struct ldap_user_req */
	IMSG_LDAP_VCARD_RESULT,	/* ldapauthd -> router: struct ldap_vcard +
				   fn, nickname, email, tel, photo bytes */
	IMSG_LDAP_GROUP_BEGIN,	/* ldapauthd -> router: struct ldap_group */
	IMSG_LDAP_GROUP_MEMBER,	/* struct ldap_member, of the open group */
	IMSG_LDAP_GROUP_END,	/* struct ldap_group: the list is complete */

	/* router -> store: struct roster_owner; a directory user's row */
	IMSG_ACCOUNT_ENSURE,

	/* control -> ldapauthd: answered IMSG_CTL_LDAP.../END */
	IMSG_CTL_SHOW_LDAP,
	IMSG_CTL_LDAP,		/* struct ctl_ldap */

	/* control -> router: answered IMSG_CTL_STATS, END */
	IMSG_CTL_SHOW_STATS,
	IMSG_CTL_STATS,		/* struct ctl_stats */

	/* stanzas, stream <-> router <-> services */
	IMSG_STANZA,		/* struct stanza_hdr + strings + xml */

	/*
	 * Per-user XML storage, router <-> store (store_xml.c): private
	 * XML (XEP-0049), vCards (XEP-0054), PEP (XEP-0163).  peerid:
	 * the router's request id.
	 */
	IMSG_XS_REQUEST,	/* struct xs_req + XML (puts) */
	IMSG_XS_ITEM,		/* struct xs_req (space, key) + XML */
	IMSG_XS_END,		/* struct xs_req: the status */

	/*
	 * Message archives (XEP-0313), router <-> store (store_mam.c);
	 * peerid: the router's request id.  control -> store for expiry.
	 */
	IMSG_MAM_ARCHIVE,	/* struct mam_archive + message XML */
	IMSG_MAM_ARCHIVED,	/* struct mam_archive: which copies, the id */
	IMSG_MAM_QUERY,		/* struct mam_query */
	IMSG_MAM_RESULT,	/* struct mam_row + message XML */
	IMSG_MAM_FIN,		/* struct mam_fin */
	IMSG_MAM_PREFS,		/* struct mam_prefs + always + never */
	IMSG_MAM_PREFS_RESULT,	/* struct mam_prefs + always + never */
	IMSG_MAM_META,		/* struct mam_meta: the owner */
	IMSG_MAM_META_RESULT,	/* struct mam_meta: first and last rows */
	IMSG_CTL_ARCHIVE_EXPIRE, /* struct ctl_archive */
	IMSG_CTL_ARCHIVE_EXPIRED, /* struct ctl_archive: the count deleted */
	IMSG_CTL_SHOW_ARCHIVE,	/* control -> store: answered ARCHIVE_SIZE.../END */
	IMSG_CTL_ARCHIVE_SIZE,	/* struct ctl_archive_size */

	/*
	 * Stream management (XEP-0198), stream <-> router; peerid: session
	 * id.  The unacked queue lives in the stream process holding the
	 * session (a detached one too); the router moves it on a resume
	 * or takes it back when the session ends.
	 */
	IMSG_SM_ENABLE,		/* stream -> router: struct sm_enable */
	IMSG_SM_DETACHED,	/* stream -> router: TCP gone, session kept */
	IMSG_SM_RESUME,		/* stream -> router: struct sm_resume */
	IMSG_SM_RESUMED,	/* router -> stream: struct sm_resumed */
	IMSG_SM_TAKEOVER,	/* router -> old stream: struct sm_takeover */
	IMSG_SM_REPLAY,		/* an unacked stanza, as IMSG_STANZA */
	IMSG_SM_REPLAY_END,	/* struct sm_counts: the queue is sent */

	/*
	 * Client State Indication (XEP-0352), stream -> router; peerid:
	 * session id.  The router holds what is not urgent while inactive.
	 */
	IMSG_CSI_STATE,		/* int: 1 active, 0 inactive */

	/*
	 * The rooms of the muc services: control -> router -> mucd,
	 * answered MUC_ROOM.../END (or FAIL by the router) the same way.
	 */
	IMSG_CTL_MUC_ROOMS,
	IMSG_CTL_MUC_ROOM,	/* struct ctl_muc_room */

	/*
	 * The upload services: control -> router -> uploadd, answered the
	 * same way back (FAIL by the router when uploadd is not there).
	 * STATS is answered UPLOAD_STAT, UPLOAD_USER... per service, END;
	 * PURGE is answered UPLOAD_PURGED.
	 */
	IMSG_CTL_UPLOAD_STATS,	/* struct ctl_upload: a service, or "" */
	IMSG_CTL_UPLOAD_STAT,	/* struct ctl_upload_stat */
	IMSG_CTL_UPLOAD_USER,	/* struct ctl_upload_stat: one of the top */
	IMSG_CTL_UPLOAD_PURGE,	/* struct ctl_upload: a bare JID, or "" */
	IMSG_CTL_UPLOAD_PURGED,	/* struct ctl_upload_stat: what went */
	/* router -> uploadd: struct ctl_upload, an account deleted */
	IMSG_UPLOAD_ACCOUNT_GONE,
	/*
	 * stream -> uploadd, on their own channel: struct upload_pass and,
	 * as the imsg's descriptor, a connection the multiplexer took for
	 * an upload service; nothing of it has been read.
	 */
	IMSG_UPLOAD_CONN,

	/*
	 * External components (XEP-0114).  The stream relays the stream id
	 * and the handshake digest to the store, which holds the secrets,
	 * and learns yes or no; then the router takes the component, one
	 * connection per name.  peerid: the connection id.
	 */
	IMSG_COMPONENT_AUTH,	/* stream -> store: struct component_auth */
	IMSG_COMPONENT_AUTH_RESULT, /* store -> stream: struct component_auth */
	IMSG_COMPONENT_UP,	/* stream -> router: struct component_up */
	IMSG_COMPONENT_BOUND,	/* router -> stream: struct component_up */
	IMSG_COMPONENT_DOWN,	/* stream -> router: the connection is gone */
	/* then IMSG_STANZA both ways, peerid: the connection id */
	/* control -> router: answered COMPONENT.../END */
	IMSG_CTL_SHOW_COMPONENTS,
	IMSG_CTL_COMPONENT,	/* struct ctl_component */

	/*
	 * XEP-0227 import and export (store_pie.c), xmppctl <-> control
	 * <-> store.  xmppctl parses the file; the store checks each
	 * record again.  Import: PIE_USER, PIE_REC..., PIE_COMMIT, which
	 * alone is answered: PIE_NOTE... then PIE_DONE.  Export: PIE_EXPORT
	 * is answered PIE_REC... then PIE_END (or CTL_FAIL).
	 */
	IMSG_CTL_PIE_USER,	/* struct pie_user: a user's records follow */
	IMSG_CTL_PIE_REC,	/* struct pie_rec + its strings */
	IMSG_CTL_PIE_COMMIT,	/* struct pie_user: write the user, or not */
	IMSG_CTL_PIE_NOTE,	/* struct pie_note: what was skipped, why */
	IMSG_CTL_PIE_DONE,	/* struct pie_done */
	IMSG_CTL_PIE_EXPORT,	/* struct pie_export */
	IMSG_CTL_PIE_END,	/* struct pie_export: where the archive is */
	/* store -> router: struct ctl_user, an account's data imported */
	IMSG_PIE_IMPORTED,

	/*
	 * DNS for s2s, router <-> resolver; peerid: request id.  The
	 * answer is struct resolve_result and its candidates, in the
	 * order to try them.  control -> router: the same, answered
	 * RESOLVE_CANDIDATE.../END or FAIL with the reason.
	 */
	IMSG_CFG_RESOLVER,	/* struct resolver_conf */
	IMSG_RESOLVE_S2S,	/* struct resolve_req */
	IMSG_RESOLVE_S2S_RESULT, /* struct resolve_result + candidates */
	IMSG_CTL_RESOLVE,	/* struct resolve_req */
	IMSG_CTL_RESOLVE_CANDIDATE, /* struct resolve_candidate */

	/*
	 * A room of another server into a muc service, control -> router
	 * -> mucd, one room a request: its <room/> of NS_MUC_IMPORT,
	 * serialized.  mucd checks it again and answers MUC_IMPORTED (or
	 * the router FAIL) the same way back.
	 */
	IMSG_CTL_MUC_IMPORT,	/* the room's XML, no NUL */
	IMSG_CTL_MUC_IMPORTED,	/* struct ctl_muc_import */

	/*
	 * Federation (s2s), stream <-> router.  The router dials: CONNECT
	 * names a link (peerid: the router's link id) and where to try; the
	 * stream answers OUT_UP with its connection id (then IMSG_STANZA,
	 * peerid: that connection) or OUT_DOWN.  An inbound stream tells
	 * IN_UP for each (from, to) pair it authenticated (peerid: the
	 * connection), IN_DOWN when it goes.  Dialback keys are the
	 * router's: DB_KEY makes one, DB_CHECK checks a db:verify,
	 * DB_RESULT verifies a db:result with the authoritative server
	 * (a link in verify mode, answered VERIFIED).
	 */
	IMSG_S2S_CONNECT,	/* struct s2s_connect + candidates */
	IMSG_S2S_OUT_UP,	/* struct s2s_link */
	IMSG_S2S_OUT_DOWN,	/* struct s2s_link: status says why */
	IMSG_S2S_IN_UP,		/* struct s2s_link */
	IMSG_S2S_IN_DOWN,	/* peerid: the connection */
	IMSG_S2S_DB_KEY,	/* struct s2s_db, both ways */
	IMSG_S2S_DB_CHECK,	/* struct s2s_db, both ways */
	IMSG_S2S_DB_RESULT,	/* struct s2s_db, both ways */
	IMSG_S2S_VERIFIED,	/* struct s2s_db: the authoritative answer */
	IMSG_S2S_OUT_IDLE,	/* struct s2s_link; stream -> router */
	IMSG_S2S_OUT_CLOSE,	/* peerid: the connection; router -> stream */

	/* xmppctl show streams: the router's s2s links. */
	IMSG_CTL_SHOW_STREAMS,
	IMSG_CTL_STREAM,	/* struct ctl_stream */

	/*
	 * An import's archived messages, between PIE_USER and PIE_COMMIT:
	 * at most PIE_WINDOW bytes or PIE_WINDOW_RECS records are sent
	 * before a FLUSH, answered FLUSHED when the store has set them
	 * aside for the commit (store_pie.c).  FLUSH's int is 1 when the
	 * user is given up (control sends it when xmppctl goes away).
	 */
	IMSG_CTL_PIE_FLUSH,	/* int: 0, or 1 to give the user up */
	IMSG_CTL_PIE_FLUSHED,	/* int: 0, or -1 when the user is refused */

	/* xmppctl about: control -> parent, answered ABOUT_INFO */
	IMSG_CTL_ABOUT,
	IMSG_CTL_ABOUT_INFO,	/* struct ctl_about */

	/*
	 * An account's state (store_account_state.c).  DISABLE and ENABLE
	 * come from control (or the router), answered OK/FAIL; a disable
	 * is then told to the router, which closes the account's sessions.
	 * USER_INFO is answered USER_STATE, or FAIL.  A directory user's
	 * login (ldapauthd said yes) is checked with the store, which
	 * records it and answers whether the account is disabled.
	 */
	IMSG_CTL_USER_DISABLE,	/* struct ctl_user_state */
	IMSG_CTL_USER_ENABLE,	/* struct ctl_user_state */
	IMSG_CTL_USER_INFO,	/* struct ctl_user_state, the JID */
	IMSG_CTL_USER_STATE,	/* struct ctl_user_info */
	IMSG_ACCOUNT_DISABLED,	/* store -> router: struct ctl_user_state */
	IMSG_ACCOUNT_ENABLED,	/* store -> router: struct ctl_user_state */
	IMSG_ACCOUNT_LOGIN,	/* stream -> store: struct account_login */
	IMSG_ACCOUNT_LOGIN_RESULT, /* store -> stream: struct account_login */
	/* control -> router: a headline to a domain's online users */
	IMSG_CTL_ANNOUNCE,	/* struct ctl_announce + the text, no NUL */
	IMSG_CTL_ANNOUNCED,	/* struct ctl_announce: to how many sessions */
	/*
	 * xmppctl check.  control -> parent CHECK, answered FINDING...,
	 * CHECK_DOMAIN... and CHECK_LISTEN... then END (or FAIL).  control
	 * -> resolver DNS, one question, answered DNS_ANSWER and its
	 * records (peerid: the control connection).
	 */
	IMSG_CTL_CHECK,		/* struct ctl_check */
	IMSG_CTL_CHECK_FINDING,	/* struct ctl_check_finding */
	IMSG_CTL_CHECK_DOMAIN,	/* struct ctl_check: a domain checked */
	IMSG_CTL_CHECK_LISTEN,	/* struct ctl_check_listen */
	IMSG_CTL_DNS,		/* struct ctl_dns_q */
	IMSG_CTL_DNS_ANSWER,	/* struct ctl_dns_answer + ctl_dns_rr... */
	/*
	 * xmppctl show throttled, unthrottle: control -> every process
	 * holding throttles (store, ldapauthd), each answering THROTTLED
	 * records then END.  UNTHROTTLE's struct ctl_throttle names the
	 * key only; its records are what was cleared.
	 */
	IMSG_CTL_SHOW_THROTTLED,
	IMSG_CTL_UNTHROTTLE,	/* struct ctl_throttle, key only */
	IMSG_CTL_THROTTLED,	/* struct ctl_throttle */
	/*
	 * Messages of the day set by admins (store_motd.c).  router ->
	 * store MOTD_LOAD at its start and at each reload, answered one
	 * MOTD per stored motd of a served domain, then MOTD_LOADED;
	 * MOTD_SET and MOTD_DELETE (id: the request) answered MOTD_DONE.
	 */
	IMSG_MOTD_LOAD,		/* nothing */
	IMSG_MOTD,		/* struct motd_msg + the text, no NUL */
	IMSG_MOTD_LOADED,	/* struct motd_msg: ok, or why not */
	IMSG_MOTD_SET,		/* struct motd_msg + the text, no NUL */
	IMSG_MOTD_DELETE,	/* struct motd_msg */
	IMSG_MOTD_DONE,		/* struct motd_msg: ok, or why not */
	/* child -> parent: it closed its link to a stream it refused */
	IMSG_PROC_REFUSED,	/* struct proc_peer: that stream */

	IMSG_MAX
};

/* Process types; the order is the order the parent starts them in. */
enum proc_type {
	PROC_PARENT,
	PROC_STORE,
	PROC_ROUTER,
	PROC_LDAPAUTHD,
	PROC_MUCD,
	PROC_UPLOADD,
	PROC_RESOLVER,
	PROC_CONTROL,
	PROC_STREAM,
	PROC_MAX
};

/* File descriptors a child finds at exec. */
#define PROC_PARENT_FD		3
#define PROC_LOG_FD		4

#define MSG_VERSION		1	/* in peerid of xmppctl requests */

struct proc_init {
	int		 type;
	int		 instance;
	int		 ninstances;	/* stream processes */
	uid_t		 uid;
	gid_t		 gid;
	char		 chroot[CONF_PATHLEN];
	int		 debug;
	int		 verbose;
};

struct proc_peer {
	int		 type;
	int		 instance;
};

struct ctl_process {
	char		 name[32];
	int		 instance;
	pid_t		 pid;
	time_t		 uptime;	/* seconds */
	int		 restarts;
};

/* The running xmppd, for xmppctl about. */
struct ctl_about {
	char		 version[32];
	pid_t		 pid;
	time_t		 uptime;	/* seconds */
	char		 conffile[CONF_PATHLEN];
	char		 socket[CONF_PATHLEN];
	char		 datadir[CONF_PATHLEN];
};

/* xmppctl check: what the parent found, and what DNS should say. */
#define CHECK_TEXT_LEN		512

enum check_level {
	CHECK_NOTE,		/* for the admin to know: no action needed */
	CHECK_WARNING,		/* works, but should be looked at */
	CHECK_ERROR,		/* clients or peers will fail */
};

struct ctl_check {
	char		 domain[CONF_NAMELEN];	/* "": every domain */
};

struct ctl_check_finding {
	int		 level;			/* enum check_level */
	char		 where[CONF_NAMELEN];
	char		 text[CHECK_TEXT_LEN];	/* what, and what to do */
};

struct ctl_check_listen {
	char		 addr[CONF_NAMELEN];
	in_port_t	 port;			/* host order */
	int		 kind;			/* enum listen_kind */
	int		 flags;			/* LISTEN_TLS */
};

/*
 * IMSG_CTL_DNS: the resolver answers these questions only: SRV of the
 * four XMPP services of a domain, or A or AAAA of a host.
 */
enum ctl_dns_service {
	CTL_DNS_HOST,		/* the name itself: A or AAAA */
	CTL_DNS_XMPP_CLIENT,	/* _xmpp-client._tcp: SRV */
	CTL_DNS_XMPPS_CLIENT,	/* _xmpps-client._tcp */
	CTL_DNS_XMPP_SERVER,	/* _xmpp-server._tcp */
	CTL_DNS_XMPPS_SERVER,	/* _xmpps-server._tcp */
};
#define CTL_DNS_RR_MAX		32	/* records in one answer */

struct ctl_dns_q {
	char		 name[CONF_NAMELEN];	/* UTF-8 */
	int		 service;		/* enum ctl_dns_service */
	int		 type;			/* 1 (A) or 28 (AAAA) */
};

struct ctl_dns_answer {
	int		 status;		/* enum resolve_status */
	uint32_t	 nrr;			/* records that follow */
};

struct ctl_dns_rr {
	uint16_t		 priority;	/* SRV */
	uint16_t		 weight;
	uint16_t		 port;
	char			 target[CONF_NAMELEN];	/* "." for none */
	struct sockaddr_storage	 ss;		/* A, AAAA */
};

struct ctl_user {
	char		 jid[CONF_JIDLEN];	/* or a domain for LIST */
	char		 password[1024];	/* ADD and PASSWORD only */
};

/* Why an account is disabled: an administrator's words, or "". */
#define ACCOUNT_REASON_MAX	256

struct ctl_user_state {
	char		 jid[CONF_JIDLEN];	/* bare */
	char		 reason[ACCOUNT_REASON_MAX];	/* DISABLE */
};

struct ctl_user_info {
	char		 jid[CONF_JIDLEN];
	int		 ldap;			/* a directory user */
	int		 disabled;
	char		 reason[ACCOUNT_REASON_MAX];
	time_t		 created;
	time_t		 last_login;		/* 0: never */
	char		 last_addr[64];
	int64_t		 roster;		/* contacts */
	int64_t		 archive;		/* archived messages */
};

struct account_login {
	char		 domain[CONF_NAMELEN];
	char		 localpart[1024];	/* nodeprep'd */
	char		 addr[64];
	int		 status;		/* answer: enum auth_status */
	char		 reason[ACCOUNT_REASON_MAX];	/* when disabled */
};

struct ctl_session {
	char		 jid[CONF_JIDLEN];
	int		 stream;		/* stream instance */
	char		 addr[64];
	char		 tls[64];		/* version and cipher */
	char		 transport[16];		/* "tcp", "websocket" */
	time_t		 since;			/* wall clock */
};

enum sasl_mech {
	SASL_PLAIN,
	SASL_SCRAM_SHA_1,
	SASL_SCRAM_SHA_256,
};

/*
 * The largest SASL message, decoded, that a stream process relays; a
 * client's larger one is <malformed-request/> there and goes no further.
 */
#define AUTH_MSG_MAX		4096

struct auth_start {
	char		 domain[CONF_NAMELEN];
	char		 addr[64];		/* the client's address */
	int		 mech;			/* enum sasl_mech */
	int		 has_initial;		/* an empty one is "=" */
};

enum auth_status {
	AUTH_SUCCESS,
	AUTH_NOT_AUTHORIZED,		/* wrong credentials */
	AUTH_TEMPORARY_FAILURE,		/* throttled, backend down */
	AUTH_MALFORMED,			/* bad SASL data */
	AUTH_INVALID_AUTHZID,
	AUTH_ACCOUNT_DISABLED,
};

struct auth_result {
	int		 status;		/* enum auth_status */
	char		 localpart[1024];	/* normalised, on success */
	uint8_t		 grant[32];		/* on success, grant.h */
};

enum register_op {
	REGISTER_CREATE,
	REGISTER_PASSWORD,		/* of the authenticated user */
	REGISTER_REMOVE,		/* of the authenticated user */
};

struct register_req {
	int		 op;
	char		 domain[CONF_NAMELEN];
	char		 addr[64];
	char		 localpart[1024];
	char		 password[1024];
	uint8_t		 grant[32];		/* PASSWORD, REMOVE: grant.h */
};

enum register_status {
	REGISTER_OK,
	REGISTER_CONFLICT,		/* account exists */
	REGISTER_NOT_ACCEPTABLE,	/* bad username or password */
	REGISTER_NOT_ALLOWED,		/* registration denied */
	REGISTER_RATE_LIMITED,		/* resource-constraint */
	REGISTER_PASSWORD_SHORT,	/* not-acceptable, with a text */
	REGISTER_INTERNAL_ERROR,
};

struct register_result {
	int		 status;
};

struct session_bind {
	char		 localpart[1024];
	char		 domain[CONF_NAMELEN];
	char		 resource[1024];	/* "" = server chooses */
	char		 addr[64];
	char		 tls[64];
	char		 transport[16];		/* "tcp", "websocket" */
	time_t		 since;
	uint8_t		 grant[32];		/* of the login, grant.h */
};

enum session_bind_error {
	BIND_OK,
	BIND_BAD_REQUEST,		/* the resource fails resourceprep */
	BIND_RESOURCE_CONSTRAINT,	/* the account's sessions per user */
};

struct session_bound {
	int		 error;			/* enum session_bind_error */
	char		 resource[1024];
};

enum session_close_reason {
	CLOSE_CONFLICT,			/* a new session took the resource */
	CLOSE_KICKED,			/* policy-violation with a text */
	CLOSE_ACCOUNT_DELETED,		/* not-authorized */
	CLOSE_SHUTDOWN,			/* system-shutdown */
};

struct session_close {
	int		 reason;
	char		 text[256];
};

/* For IMSG_OFFLINE_*: the owner, and the sender's session for a bounce. */
struct offline_req {
	char		 localpart[1024];
	char		 domain[CONF_NAMELEN];
	int		 stream;		/* sender, or the session */
	uint32_t	 session;		/* fetching or sending */
	int		 limit;
	char		 sender[CONF_JIDLEN];	/* full JID, or "" */
};

enum offline_status {
	OFFLINE_STORED,
	OFFLINE_NO_ACCOUNT,
	OFFLINE_FULL,
	OFFLINE_ERROR,
	OFFLINE_BLOCKED,		/* the owner blocks the sender */
};

struct offline_res {
	struct offline_req	 req;
	int			 status;
};

struct roster_owner {
	char		 localpart[1024];
	char		 domain[CONF_NAMELEN];
	int64_t		 ver;
	int		 exists;		/* 1, 0; -1: unreadable */
};

enum roster_sub {
	SUB_NONE,
	SUB_TO,
	SUB_FROM,
	SUB_BOTH,
};

struct roster_item_msg {
	struct roster_owner	 owner;
	char			 contact[CONF_JIDLEN];
	int			 sub;		/* enum roster_sub */
	int			 ask;		/* subscribe sent, no answer */
	int			 approved;	/* pre-approved */
	int			 in_roster;	/* the user put it there */
	uint32_t		 namelen;
	uint32_t		 groupslen;	/* groups, '\n' between */
	uint32_t		 pendinglen;	/* a stored subscribe */
};

/* IMSG_LDAP_LOOKUP, IMSG_LDAP_VCARD */
struct ldap_user_req {
	char		 domain[CONF_NAMELEN];
	char		 localpart[1024];	/* nodeprep'd */
};

enum ldap_user_status {
	LDAP_USER_EXISTS,
	LDAP_USER_NONE,			/* the directory says no such user */
	LDAP_USER_ERROR,		/* the directory could not be asked */
};

struct ldap_user_res {
	struct ldap_user_req	 req;
	int			 status;	/* enum ldap_user_status */
};

/* IMSG_LDAP_VCARD_RESULT: lengths of the strings that follow, in order. */
struct ldap_vcard {
	struct ldap_user_req	 req;
	int			 status;	/* enum ldap_user_status */
	uint32_t		 fnlen;
	uint32_t		 nicklen;
	uint32_t		 emaillen;
	uint32_t		 tellen;
	uint32_t		 photolen;	/* raw bytes, e.g. jpegPhoto */
};

#define LDAP_PHOTO_MAX		(256 * 1024)

/* IMSG_LDAP_GROUP_*: every user of directory "ldap" in one roster group. */
struct ldap_group {
	char		 ldap[CONF_NAMELEN];	/* the ldap block's name */
	char		 group[CONF_NAMELEN];	/* the roster group */
	uint32_t	 count;			/* members sent, at END */
};

struct ldap_member {
	char		 localpart[1024];	/* nodeprep'd */
	char		 name[256];		/* displayName, or "" */
};

struct ctl_stats {
	uint64_t	 sessions;
	uint64_t	 users;			/* with a session */
	uint64_t	 stanzas_in;		/* from clients */
	uint64_t	 stanzas_out;		/* to clients */
	double		 rate_in;		/* per second, lately */
	double		 rate_out;
	time_t		 window;		/* seconds "lately" covers */
	time_t		 uptime;		/* of the router, seconds */
};

struct ctl_muc_room {
	char		 jid[CONF_JIDLEN];	/* room@service */
	int		 occupants;
	int		 persistent;
	int		 locked;		/* not configured yet */
	int		 public;		/* listed by disco#items */
};

/* What xmppctl muc import sends of a room, at most. */
#define NS_MUC_IMPORT		"urn:xmppd:muc-import:0"
#define MUC_IMPORT_MAX		(60 * 1024)

enum { MUC_IMPORT_DONE, MUC_IMPORT_EXISTS, MUC_IMPORT_REFUSED };

struct ctl_muc_import {
	int		 result;		/* MUC_IMPORT_* */
	char		 why[256];		/* when refused */
	int		 added;			/* <archive/>: messages new */
	int		 had;			/* and there already */
};

struct ctl_upload {
	char		 arg[CONF_JIDLEN];	/* service or bare JID */
};

struct upload_pass {
	char		 service[CONF_NAMELEN];	/* the name the SNI gave */
	char		 addr[64];		/* the peer's, numeric */
};

struct ctl_upload_stat {
	char		 service[CONF_NAMELEN];	/* "" in PURGED */
	char		 owner[CONF_JIDLEN];	/* UPLOAD_USER */
	int64_t		 files;
	int64_t		 bytes;
	int64_t		 pending;		/* slots, UPLOAD_STAT */
};

struct ctl_ldap {
	char		 ldap[CONF_NAMELEN];
	char		 url[CONF_STRLEN];
	int		 connected;
	char		 error[256];		/* the last one, or "" */
	time_t		 error_time;
	uint64_t	 binds_ok;
	uint64_t	 binds_failed;
	uint64_t	 searches;
};

/* The handshake's digest: hex SHA-1 of stream id and secret. */
#define COMPONENT_DIGEST_LEN	40

enum component_auth_status {
	COMPONENT_AUTH_OK,
	COMPONENT_AUTH_REFUSED,		/* wrong digest, or no such name */
	COMPONENT_AUTH_THROTTLED,	/* too many failures from there */
};

struct component_auth {
	char		 name[CONF_NAMELEN];
	char		 streamid[40];
	char		 digest[COMPONENT_DIGEST_LEN + 1];
	char		 addr[64];
	int		 status;	/* in the answer */
	uint8_t		 grant[32];	/* on success, grant.h */
};

enum component_up_status {
	COMPONENT_UP_OK,
	COMPONENT_UP_CONFLICT,		/* the name is connected already */
	COMPONENT_UP_UNKNOWN,		/* not configured (any more) */
};

struct component_up {
	char		 name[CONF_NAMELEN];
	char		 addr[64];
	time_t		 since;
	int		 status;	/* in the answer */
	uint8_t		 grant[32];	/* the store's, grant.h */
};

struct ctl_component {
	char		 name[CONF_NAMELEN];
	int		 stream;		/* stream instance */
	time_t		 since;			/* wall clock */
	int		 priv_roster;		/* enum priv_roster */
	int		 priv_message;
	int		 priv_presence;
	uint64_t	 in;			/* stanzas from it */
	uint64_t	 out;			/* to it */
	uint64_t	 refused;		/* from it, not delivered */
};

enum stanza_kind {
	STANZA_MESSAGE,
	STANZA_PRESENCE,
	STANZA_IQ,
};

struct stanza_hdr {
	uint64_t	 session;	/* sending or receiving session */
	uint32_t	 kind;		/* enum stanza_kind */
	uint32_t	 flags;
	uint16_t	 type_len;
	uint16_t	 id_len;
	uint16_t	 to_len;
	uint16_t	 from_len;
	uint32_t	 xml_len;
	/* followed by type, id, to, from, then xml_len bytes of XML */
};

/*
 * IMSG_XS_*: an account's XML items, in spaces ("private", "vcard",
 * "pep" for PEP node configurations, "pep/NODE" for a node's items),
 * each item named by a key, newest first.
 */
#define XS_SPACE_MAX		300
#define BLOCKING_SPACE		"blocking"	/* XEP-0191: key = JID */
#define XS_KEY_MAX		1024

enum xs_op {
	XS_GET,			/* key "": the newest 'limit' (0: all) */
	XS_PUT,			/* refused past 'limit' keys; trimmed to
				   the newest 'keep' (0: no trim) */
	XS_DEL,			/* key "": the whole space */
	XS_PEP_PUBLISH,		/* XML: conflen bytes of node config
				   (space "pep", key: node), then the item
				   (space "pep/NODE", key: item id);
				   limit: nodes, keep: items */
	XS_PEP_DELETE,		/* the node (key) and its items */
	XS_PEP_LAST,		/* per node: its config, then its newest */
};

enum xs_status {
	XS_OK,
	XS_NOT_FOUND,
	XS_NO_ACCOUNT,
	XS_FULL,
	XS_ERROR,
};

struct xs_req {
	char		 domain[CONF_NAMELEN];
	char		 localpart[1024];
	char		 space[XS_SPACE_MAX];
	char		 key[XS_KEY_MAX];
	int		 op;			/* enum xs_op */
	int		 status;		/* enum xs_status, in END */
	uint32_t	 limit;
	uint32_t	 keep;
	uint32_t	 conflen;
	uint32_t	 maxbytes;		/* GET: of XML answered */
};

/*
 * IMSG_MAM_*: archives of one-to-one messages, one per account.  Archive
 * ids are opaque strings; stamps are microseconds since the epoch.
 */
#define MAM_ID_LEN		24	/* an archive id and its NUL */
#define MAM_IDS_MAX		64	/* ids in one query's "ids" field */
#define MAM_PREFS_JIDS		100	/* JIDs in each of always, never */

struct mam_owner {
	char		 domain[CONF_NAMELEN];
	char		 localpart[1024];	/* "": not an account of ours */
};

struct mam_archive {
	struct mam_owner sender;
	struct mam_owner rcpt;
	char		 sender_res[1024];
	char		 rcpt_res[1024];	/* "" when sent to the bare JID */
	int64_t		 stamp;
	/* the store's answer */
	int		 sender_kept;
	int		 rcpt_kept;
	char		 rcpt_id[MAM_ID_LEN];
};

struct mam_query {
	struct mam_owner owner;
	char		 with_bare[CONF_JIDLEN];	/* "": any */
	char		 with_res[1024];		/* "": any */
	int64_t		 start;			/* 0: none */
	int64_t		 end;			/* 0: none */
	char		 after_id[MAM_ID_LEN];	/* form, exclusive */
	char		 before_id[MAM_ID_LEN];
	char		 rsm_after[MAM_ID_LEN];
	char		 rsm_before[MAM_ID_LEN];
	int		 rsm_last;		/* <before/>: the last page */
	int		 max;			/* already capped */
	int		 flip;			/* <flip-page/> */
	int		 nids;
	char		 ids[MAM_IDS_MAX][MAM_ID_LEN];
};

struct mam_row {
	char		 id[MAM_ID_LEN];
	int64_t		 stamp;
};

enum mam_status {
	MAM_OK,
	MAM_ITEM_NOT_FOUND,		/* an unknown id to page from */
	MAM_ERROR,
};

struct mam_fin {
	int		 status;		/* enum mam_status */
	int		 complete;
	int64_t		 count;
	int64_t		 index;			/* of first, -1: none */
	char		 first[MAM_ID_LEN];	/* "": no rows */
	char		 last[MAM_ID_LEN];
};

struct mam_prefs {
	struct mam_owner owner;
	int		 set;
	int		 status;		/* enum mam_status */
	int		 dflt;			/* enum archive_policy */
	int		 custom;		/* 0: the domain's default */
	uint32_t	 alwayslen;		/* JIDs, '\n' between */
	uint32_t	 neverlen;
};

/* An archive's first and last rows; ids "" in both when it is empty. */
struct mam_meta {
	struct mam_owner owner;
	int		 status;		/* enum mam_status */
	struct mam_row	 start;
	struct mam_row	 end;
};

#define CTL_ANNOUNCE_MAX	(16 * 1024)	/* bytes of text */

struct ctl_announce {
	char		 domain[CONF_NAMELEN];
	int		 sessions;		/* in the answer */
};

/* A stored motd: as long as a configured one, one line or several. */
#define MOTD_MAX		(CONF_STRLEN - 1)	/* bytes of text */

struct motd_msg {
	char		 domain[CONF_NAMELEN];
	char		 by[CONF_JIDLEN];	/* the admin, in SET */
	int		 ok;			/* in the answers */
	char		 why[128];		/* when not ok */
};

struct ctl_archive {
	char		 domain[CONF_NAMELEN];	/* "": every domain */
	int64_t		 age;			/* seconds */
	int64_t		 deleted;		/* in the answer */
};

/* One domain's archive, and the whole database, for show stats. */
struct ctl_archive_size {
	char		 domain[CONF_NAMELEN];
	int64_t		 messages;
	int64_t		 db_bytes;
};

/* IMSG_SM_*: a resumption id is 128 random bits, base64url. */
#define SM_ID_LEN		24

struct sm_enable {
	char		 id[SM_ID_LEN];		/* "" without resumption */
	uint32_t	 max;			/* seconds, 0: the server's */
};

struct sm_resume {
	char		 id[SM_ID_LEN];
	char		 localpart[1024];	/* who authenticated */
	char		 domain[CONF_NAMELEN];
	char		 addr[64];
	char		 tls[64];
	char		 transport[16];		/* "tcp", "websocket" */
	uint8_t		 grant[32];		/* of the login, grant.h */
};

struct sm_resumed {
	int		 ok;
	char		 full[CONF_JIDLEN];
};

enum sm_takeover_mode {
	SM_TAKEOVER_RESUME,	/* replay to the resumed session */
	SM_TAKEOVER_EXPIRE,	/* replay to the router, which bounces or
				   stores offline, and forget */
};

struct sm_takeover {
	int		 mode;			/* enum sm_takeover_mode */
};

/* The old session's counters, at the end of a replay (mod 2^32). */
struct sm_counts {
	int		 ok;			/* 0: the queue was lost */
	uint32_t	 in;			/* stanzas handled from client */
	uint32_t	 acked;			/* by the client */
	uint32_t	 sent;
};

/*
 * IMSG_CTL_PIE_*: one user's data as records.  A record's strings
 * follow its header, one after the other, in the order of their
 * lengths; past PIE_CHUNK bytes they go in pieces, each with the same
 * header and 'more' set on all but the last (common/pie.c).
 */
#define PIE_CHUNK		(32 * 1024)
#define PIE_REC_MAX		(256 * 1024)	/* a record's strings */
#define PIE_USER_MAX		(256 * 1024 * 1024)	/* a user's records */
#define PIE_ARCHIVE_PAGE	500	/* archived messages per export page */
#define PIE_WINDOW		(1024 * 1024)	/* archive bytes per FLUSH */
#define PIE_WINDOW_RECS		1000	/* archived messages per FLUSH */

enum pie_rec_type {
	PIE_SCRAM,		/* hash, iter; salt, stored key, server key */
	PIE_PASSWORD,		/* the password: keys made in the store */
	PIE_ROSTER,		/* jid, sub, ask; name, groups, pending */
	PIE_XML,		/* space, key; the XML */
	PIE_OFFLINE,		/* stamp; the message */
	PIE_ARCHIVE,		/* jid (the other party), direction, stamp;
				   the message */
};

struct pie_user {
	char		 jid[CONF_JIDLEN];	/* bare */
	int		 line;			/* of <user/> in the file */
};

struct pie_rec {
	int		 type;			/* enum pie_rec_type */
	int		 line;			/* of its element in the file */
	int		 more;			/* another piece follows */
	int		 hash;			/* SCRAM_SHA1, SCRAM_SHA256 */
	int		 iter;
	int		 sub;			/* enum roster_sub */
	int		 ask;
	int		 direction;		/* 1: sent by the user */
	int		 in_roster;		/* 0: a pending request only */
	int64_t		 stamp;			/* microseconds */
	char		 jid[CONF_JIDLEN];
	char		 space[XS_SPACE_MAX];
	char		 key[XS_KEY_MAX];
	uint32_t	 len[3];
};

struct pie_note {
	int		 line;
	char		 text[256];
};

enum pie_status {
	PIE_IMPORTED,
	PIE_EXISTS,		/* the account exists: nothing changed */
	PIE_REFUSED,		/* a record is wrong: nothing kept */
	PIE_FAILED,		/* the database failed: nothing kept */
};

struct pie_done {
	int		 status;		/* enum pie_status */
	int		 line;			/* of the record refused */
	char		 why[256];
	int		 counts[PIE_ARCHIVE + 1];	/* records written */
};

struct pie_export {
	char		 jid[CONF_JIDLEN];
	int		 archive;		/* 0: the account; 1: a page */
	char		 after[MAM_ID_LEN];	/* the page after this id */
	int		 complete;		/* END: no page after this */
};

/*
 * IMSG_RESOLVE_S2S: where to connect for a remote domain (RFC 6120
 * section 3.2, XEP-0368).  The domain is an XMPP domainpart, UTF-8.
 */
#define RESOLVE_MAX_CANDIDATES	32

struct resolve_req {
	char		 domain[CONF_NAMELEN];
};

enum resolve_status {
	RESOLVE_OK,
	RESOLVE_NXDOMAIN,	/* no such domain */
	RESOLVE_NO_SERVICE,	/* a "." target, or names without address */
	RESOLVE_TIMEOUT,	/* no answer in time */
	RESOLVE_SERVFAIL,	/* the resolver failed, or is not there */
	RESOLVE_BAD_NAME,	/* not a domain name DNS can ask for */
};

struct resolve_candidate {
	struct sockaddr_storage	 ss;		/* the port in it too */
	in_port_t		 port;		/* host order */
	int			 tls;		/* direct TLS (xmpps-server) */
	char			 target[CONF_NAMELEN];	/* SRV target or
							   the domain */
};

struct resolve_result {
	char		 domain[CONF_NAMELEN];
	int		 status;		/* enum resolve_status */
	uint32_t	 ncandidates;		/* that follow */
};

/* IMSG_S2S_*: federation. */
#define S2S_KEY_LEN		65	/* HMAC-SHA256 in hex, NUL */
#define S2S_STREAMID_LEN	64

enum s2s_mode {
	S2S_MODE_STANZAS,	/* a link stanzas go out on */
	S2S_MODE_VERIFY,	/* one db:verify, then closed */
};

enum s2s_auth {
	S2S_AUTH_NONE,
	S2S_AUTH_SASL,		/* SASL EXTERNAL, a good certificate */
	S2S_AUTH_DIALBACK,
};

enum s2s_status {
	S2S_OK,
	S2S_FAIL_CONNECT,	/* no candidate answered, or TLS failed */
	S2S_FAIL_AUTH,		/* the peer refused us, or we it */
	S2S_FAIL_CLOSED,	/* a link that was up went down */
};

struct s2s_connect {
	char		 local[CONF_NAMELEN];
	char		 remote[CONF_NAMELEN];
	int		 mode;			/* enum s2s_mode */
	int		 require_cert;		/* no dialback fallback */
	char		 streamid[S2S_STREAMID_LEN];	/* verify mode */
	char		 key[S2S_KEY_LEN];		/* verify mode */
	uint32_t	 ncandidates;		/* that follow */
};

struct s2s_link {
	char		 local[CONF_NAMELEN];
	char		 remote[CONF_NAMELEN];
	uint32_t	 conn;			/* the stream's connection */
	int		 status;		/* enum s2s_status */
	int		 auth;			/* enum s2s_auth */
	char		 tls[64];		/* version and cipher */
};

struct ctl_stream {
	char		 local[CONF_NAMELEN];
	char		 remote[CONF_NAMELEN];
	int		 outbound;
	int		 auth;			/* enum s2s_auth */
	int		 stream;		/* stream instance */
	char		 tls[64];
	uint64_t	 in;			/* stanzas */
	uint64_t	 out;
	time_t		 since;			/* wall clock */
};

struct ctl_throttle {
	char		 key[CONF_JIDLEN];	/* an address or a bare JID */
	char		 what[32];		/* "auth failures", ... */
	char		 process[16];		/* which holds it */
	int		 count;			/* events in the window */
	int		 max;			/* the limit */
	time_t		 clears;		/* wall clock */
};

struct s2s_db {
	char		 from[CONF_NAMELEN];	/* the originating domain */
	char		 to[CONF_NAMELEN];	/* the receiving domain */
	char		 streamid[S2S_STREAMID_LEN];
	char		 key[S2S_KEY_LEN];
	int		 valid;			/* answers: 1 valid */
};


#endif /* MSG_H */
