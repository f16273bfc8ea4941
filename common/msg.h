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
 *	control <-> router, store
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

	/* configuration, parent -> child; one object per message */
	IMSG_CFG_GLOBAL,	/* struct global_conf */
	IMSG_CFG_KEYPAIR,	/* struct keypair_conf */
	IMSG_CFG_KEYDATA,	/* struct keydata_hdr + cert + key */
	IMSG_CFG_LDAP,		/* struct ldap_conf */
	IMSG_CFG_LDAP_SERVER,	/* struct ldap_server_conf, of the last ldap */
	IMSG_CFG_LDAP_CA,	/* the CA certificates (PEM), of the last ldap */
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
	IMSG_CTL_OK,
	IMSG_CTL_FAIL,		/* optional NUL-terminated reason */
	IMSG_CTL_END,
	IMSG_CTL_VERBOSE,	/* int */
	IMSG_CTL_RELOAD,
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

	/* stanzas, stream <-> router <-> services */
	IMSG_STANZA,		/* struct stanza_hdr + strings + xml */

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

struct ctl_user {
	char		 jid[CONF_JIDLEN];	/* or a domain for LIST */
	char		 password[1024];	/* ADD and PASSWORD only */
};

struct ctl_session {
	char		 jid[CONF_JIDLEN];
	int		 stream;		/* stream instance */
	char		 addr[64];
	char		 tls[64];		/* version and cipher */
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
};

enum register_status {
	REGISTER_OK,
	REGISTER_CONFLICT,		/* account exists */
	REGISTER_NOT_ACCEPTABLE,	/* bad username or password */
	REGISTER_NOT_ALLOWED,		/* registration denied */
	REGISTER_RATE_LIMITED,		/* resource-constraint */
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
	time_t		 since;
};

struct session_bound {
	int		 error;			/* 0, or a stanza error */
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
};

enum offline_status {
	OFFLINE_STORED,
	OFFLINE_NO_ACCOUNT,
	OFFLINE_FULL,
	OFFLINE_ERROR,
};

struct offline_res {
	struct offline_req	 req;
	int			 status;
};

struct roster_owner {
	char		 localpart[1024];
	char		 domain[CONF_NAMELEN];
	int64_t		 ver;
	int		 exists;		/* the account exists */
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

#endif /* MSG_H */
