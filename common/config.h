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
 * The configuration as parse.y builds it and as the parent hands it, in
 * parts, to the children.  Every object is a flat struct with fixed-size
 * strings so that it crosses an imsg channel as is; lists are rebuilt on
 * the receiving side.
 */

#ifndef CONFIG_H
#define CONFIG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define XMPPD_USER		"_xmppd"
#define XMPPD_DATADIR		"/var/xmppd"
#define XMPPD_SOCKET		"/var/run/xmppd.sock"
#define XMPPD_EMPTY		"/var/empty"

#define CONF_NAMELEN		256	/* domain and block names */
#define CONF_PATHLEN		1024
#define CONF_STRLEN		1024	/* URLs, DNs, filters, conninfo */
#define CONF_SECRETLEN		256
#define CONF_JIDLEN		3072	/* RFC 7622: 3 x 1023 + separators */

/* Defaults; xmppd.conf(5) documents each. */
#define DEFAULT_STANZA_SIZE	(256 * 1024)
#define DEFAULT_CLIENT_RATE	(10 * 1024)
#define DEFAULT_SERVER_RATE	(100 * 1024)
#define DEFAULT_COMPONENT_RATE	(1024 * 1024)
#define DEFAULT_CONN_PER_ADDR	20
#define DEFAULT_SERVER_IDLE	600	/* an s2s stream's silence, seconds */
#define DEFAULT_SERVER_QUEUE	100	/* stanzas waiting per remote domain */
#define DEFAULT_SERVER_CONN_PER_ADDR 10 /* inbound s2s streams per address */
#define DEFAULT_AUTH_FAILURES	5
#define DEFAULT_AUTH_PERIOD	60
#define DEFAULT_SESSIONS_PER_USER 10
#define DEFAULT_XML_DEPTH	64
#define DEFAULT_RESUME_TIMEOUT	300	/* XEP-0198 resumption, seconds */
#define DEFAULT_HTTP_HEADER_SIZE (16 * 1024)
#define DEFAULT_HTTP_HEADER_TIMEOUT 10	/* seconds */
#define DEFAULT_HTTP_IDLE_TIMEOUT 60	/* seconds */
#define DEFAULT_HTTP_BODY_RATE	1024	/* bytes a second */
#define DEFAULT_HTTP_CONNECTIONS 1000	/* per process */
#define DEFAULT_MUX_TIMEOUT	10	/* seconds to a first packet */
#define DEFAULT_OFFLINE_LIMIT	500
#define DEFAULT_MUC_HISTORY	20
#define DEFAULT_MUC_OCCUPANTS	1000	/* per room */
#define DEFAULT_MUC_ROOMS_PER_USER 100
#define DEFAULT_MUC_NICK_LENGTH	64	/* characters */
#define DEFAULT_MUC_SUBJECT_LENGTH 1024	/* characters */
#define DEFAULT_MUC_MESSAGE_RATE 20	/* messages per occupant ... */
#define DEFAULT_MUC_MESSAGE_PERIOD 10	/* ... in so many seconds */
#define DEFAULT_UPLOAD_MAXSIZE	(10 * 1024 * 1024)
#define DEFAULT_UPLOAD_QUOTA	(1024LL * 1024 * 1024)
#define DEFAULT_UPLOAD_EXPIRE	(30 * 86400)
#define DEFAULT_LDAP_TIMEOUT	5
#define DEFAULT_LDAP_FILTER	"(uid=%u)"

enum storage_kind {
	STORAGE_SQLITE,
	STORAGE_POSTGRESQL,
};

enum listen_kind {
	LISTEN_CLIENT,
	LISTEN_SERVER,
	LISTEN_COMPONENT,
	LISTEN_HTTP,
	LISTEN_MULTIPLEX,
	LISTEN_UPLOAD,		/* an upload block's own listener, for uploadd */
};

#define LISTEN_TLS		0x01	/* direct TLS instead of STARTTLS */

/* "proxy from": who may send a PROXY header, which every connection must. */
#define LISTEN_PROXY_MAX	8
struct proxy_net {
	struct sockaddr_storage		 ss;	/* host bits zero */
	int				 prefixlen;
};

struct listen_conf {
	TAILQ_ENTRY(listen_conf)	 entry;
	struct sockaddr_storage		 ss;
	char				 addr[CONF_NAMELEN];	/* as written */
	in_port_t			 port;			/* host order */
	int				 kind;
	int				 flags;
	char				 owner[CONF_NAMELEN];	/* upload name */
	struct proxy_net		 proxy[LISTEN_PROXY_MAX];
	int				 nproxy;	/* 0: no PROXY header */
	int				 fd;	/* parent: the socket */
};
TAILQ_HEAD(listen_list, listen_conf);

struct keypair_conf {
	TAILQ_ENTRY(keypair_conf)	 entry;
	char				 name[CONF_NAMELEN];
	char				 cert[CONF_PATHLEN];
	char				 key[CONF_PATHLEN];	/* "" = in cert */
};
TAILQ_HEAD(keypair_list, keypair_conf);

struct ldap_server_conf {
	TAILQ_ENTRY(ldap_server_conf)	 entry;
	char				 url[CONF_STRLEN];
	int				 starttls;
};
TAILQ_HEAD(ldap_server_list, ldap_server_conf);

struct ldap_conf {
	TAILQ_ENTRY(ldap_conf)		 entry;
	char				 name[CONF_NAMELEN];
	struct ldap_server_list		 servers;
	char				 binddn[CONF_STRLEN];
	char				 bindpw[CONF_SECRETLEN];
	char				 base[CONF_STRLEN];
	char				 filter[CONF_STRLEN];
	char				 ca[CONF_PATHLEN];
	int				 timeout;		/* seconds */
	char				 roster_group[CONF_NAMELEN];
	/* vCard fields mapped from LDAP attributes; "" = not mapped */
	char				 vcard_fn[CONF_NAMELEN];
	char				 vcard_email[CONF_NAMELEN];
	char				 vcard_photo[CONF_NAMELEN];
	char				 vcard_nickname[CONF_NAMELEN];
	char				 vcard_tel[CONF_NAMELEN];
	/* the parent reads the CA file for ldapauthd */
	uint8_t				*cadata;
	size_t				 calen;
};
TAILQ_HEAD(ldap_list, ldap_conf);

struct admin_conf {
	TAILQ_ENTRY(admin_conf)		 entry;
	char				 jid[CONF_JIDLEN];
};
TAILQ_HEAD(admin_list, admin_conf);

/* XEP-0157 contact addresses of a domain, by kind. */
enum contact_kind {
	CONTACT_ABUSE,
	CONTACT_ADMIN,
	CONTACT_FEEDBACK,
	CONTACT_SALES,
	CONTACT_SECURITY,
	CONTACT_SUPPORT,
	CONTACT_NKINDS
};
#define CONTACT_MAX		16	/* addresses of a domain */

struct contact_conf {
	int				 kind;
	char				 uri[CONF_NAMELEN];
};

enum auth_kind {
	AUTH_INTERNAL,
	AUTH_LDAP,
};

enum archive_policy {
	ARCHIVE_ALWAYS,
	ARCHIVE_ROSTER,
	ARCHIVE_NEVER,
};

struct domain_conf {
	TAILQ_ENTRY(domain_conf)	 entry;
	char				 name[CONF_NAMELEN];
	char				 keypair[CONF_NAMELEN];	/* "" = by name */
	int				 auth;
	char				 ldap[CONF_NAMELEN];	/* AUTH_LDAP */
	int				 registration;		/* 1 = allow */
	struct admin_list		 admins;
	int				 archive_default;
	time_t				 archive_expire;	/* 0 = never */
	int				 offline_limit;
	int				 federation_certs;	/* no dialback */
	struct contact_conf		 contacts[CONTACT_MAX];
	int				 ncontacts;
	char				 motd[CONF_STRLEN];	/* "" = none */
};
TAILQ_HEAD(domain_list, domain_conf);

enum muc_create {
	MUC_CREATE_LOCAL,
	MUC_CREATE_ADMINS,
	MUC_CREATE_ANYONE,
};

struct muc_conf {
	TAILQ_ENTRY(muc_conf)		 entry;
	char				 name[CONF_NAMELEN];
	int				 create;
	int				 persistent;	/* new rooms' default */
	int				 history;
	time_t				 archive_expire;	/* 0 = never */
	int				 occupants;	/* per room */
	int				 rooms_per_user;	/* owned */
	int				 nick_length;	/* characters */
	int				 subject_length;	/* characters */
	int				 message_rate;	/* per occupant, */
	time_t				 message_period; /* in seconds */
};
TAILQ_HEAD(muc_list, muc_conf);

struct upload_conf {
	TAILQ_ENTRY(upload_conf)	 entry;
	char				 name[CONF_NAMELEN];
	char				 url[CONF_STRLEN];
	int64_t				 max_size;
	int64_t				 quota;		/* per user */
	time_t				 expire;	/* 0 = never */
	char				 cors[CONF_STRLEN]; /* origins, by
							   spaces; "" none */
};
TAILQ_HEAD(upload_list, upload_conf);

/* XEP-0356 permissions granted to a component. */
enum priv_roster {
	PRIV_ROSTER_NONE,
	PRIV_ROSTER_GET,
	PRIV_ROSTER_SET,
	PRIV_ROSTER_BOTH,
};
enum priv_message {
	PRIV_MESSAGE_NONE,
	PRIV_MESSAGE_OUTGOING,
};
enum priv_presence {
	PRIV_PRESENCE_NONE,
	PRIV_PRESENCE_MANAGED,
	PRIV_PRESENCE_ROSTER,
};

struct component_conf {
	TAILQ_ENTRY(component_conf)	 entry;
	char				 name[CONF_NAMELEN];
	char				 password[CONF_SECRETLEN];
	int				 priv_roster;
	int				 priv_message;
	int				 priv_presence;
};
TAILQ_HEAD(component_list, component_conf);

/*
 * A DNS server the resolver process forwards to.  Those the parent read
 * from /etc/resolv.conf, when the file names none, are marked system.
 */
#define RESOLVER_PORT		53
#define RESOLVER_MAX		8

struct resolver_conf {
	TAILQ_ENTRY(resolver_conf)	 entry;
	struct sockaddr_storage		 ss;
	in_port_t			 port;		/* host order */
	int				 system;
};
TAILQ_HEAD(resolver_list, resolver_conf);

struct limits_conf {
	int64_t				 stanza_size;
	int64_t				 client_rate;
	int64_t				 server_rate;
	int64_t				 component_rate;
	int				 conn_per_addr;
	int				 auth_failures;
	time_t				 auth_period;
	int				 sessions_per_user;	/* bound or resumable */
	int				 xml_depth;
	time_t				 resume_timeout;	/* seconds */
	int64_t				 http_header_size;
	time_t				 http_header_timeout;
	time_t				 http_idle_timeout;
	int64_t				 http_body_rate;	/* 0: none */
	int				 http_connections;
	time_t				 mux_timeout;	/* seconds */
	time_t				 server_idle;	/* seconds */
	int				 server_queue;
	int				 server_conn_per_addr;
	int				 password_min;	/* characters; 0: any */
};

/* The global settings: the part every process may know. */
struct global_conf {
	char				 user[CONF_NAMELEN];
	int				 prefork;	/* 0 = number of CPUs */
	char				 datadir[CONF_PATHLEN];
	int				 storage;
	char				 storage_conninfo[CONF_STRLEN];
	char				 socket[CONF_PATHLEN];
	struct limits_conf		 limits;
	/* From the conninfo's passfile; the store's alone. */
	char				 storage_password[CONF_SECRETLEN];
	char				 tls_ca[CONF_PATHLEN];	/* "" = the
							   system's */
	/* mucd's own database ("muc storage"): mucd's alone. */
	int				 muc_storage;
	char				 muc_conninfo[CONF_STRLEN];
	char				 muc_password[CONF_SECRETLEN];
	/* The web transports (xmppd/http_*.c): origins, by spaces. */
	char				 web_cors[CONF_STRLEN]; /* "" none */
	char				 ws_origins[CONF_STRLEN]; /* "" any */
	/*
	 * Grants (grant.h): the key of the process that makes them, the
	 * store's or ldapauthd's (each has its own); the router has the
	 * store's here and ldapauthd's in ldap_grant_key.
	 */
	uint8_t				 grant_key[32];
	uint8_t				 ldap_grant_key[32];
};

/*
 * Certificate and key bytes, read by the parent and sent to the processes
 * that terminate TLS; never parsed from the file.
 */
struct keydata {
	TAILQ_ENTRY(keydata)		 entry;
	char				 name[CONF_NAMELEN];
	uint8_t				*cert;
	size_t				 certlen;
	uint8_t				*key;
	size_t				 keylen;
};
TAILQ_HEAD(keydata_list, keydata);

struct keydata_hdr {
	char				 name[CONF_NAMELEN];
	size_t				 certlen;
	size_t				 keylen;
};

struct xmppd_config {
	struct global_conf		 global;
	struct keydata_list		 keydata;
	struct keypair_list		 keypairs;
	struct ldap_list		 ldaps;
	struct domain_list		 domains;
	struct muc_list			 mucs;
	struct upload_list		 uploads;
	struct component_list		 components;
	struct listen_list		 listeners;	/* upload ones too */
	/* the PEM of "tls ca", read by the parent for the streams */
	uint8_t				*cadata;
	size_t				 calen;
	struct resolver_list		 resolvers;
};

/* common/config.c */
struct xmppd_config	*config_new(void);
void			 config_free(struct xmppd_config *);
void			 config_wipe_secrets(struct xmppd_config *);
void			 keydata_free(struct keydata *);
struct domain_conf	*config_domain(struct xmppd_config *, const char *);
struct keypair_conf	*config_keypair(struct xmppd_config *, const char *);
struct ldap_conf	*config_ldap(struct xmppd_config *, const char *);
struct muc_conf		*config_muc(struct xmppd_config *, const char *);
struct upload_conf	*config_upload(struct xmppd_config *, const char *);
struct component_conf	*config_component(struct xmppd_config *, const char *);
int			 config_federated(struct xmppd_config *, const char *,
			    struct domain_conf **);
const char		*config_listen_kind(int);
int			 config_proxy_allowed(const struct listen_conf *,
			    const char *);
int			 config_resolver_parse(const char *,
			    struct resolver_conf *);
int			 config_resolv_conf(FILE *, struct xmppd_config *);
int			 config_resolver_print(struct resolver_conf *, char *,
			    size_t);

/* xmppd/parse.y */
struct xmppd_config	*parse_config(const char *);
/* The errors of the last parse, and of the files it names, for reload. */
#define PARSE_MSGS_MAX		32
#define PARSE_MSG_LEN		512
void			 parse_msgs_clear(void);
void			 parse_msg_add(const char *);
const char		*parse_msg(int, int *);
int			 cmdline_symset(char *);

/* xmppd/printconf.c */
void			 print_config(FILE *, struct xmppd_config *);

#endif /* CONFIG_H */
