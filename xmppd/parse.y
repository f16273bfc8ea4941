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
 * The xmppd.conf(5) grammar and its lexer: include files, macros (-D wins
 * over the file), sizes and durations, every error reported as file:line.
 * parse_config() fills a fresh config_new() struct or returns NULL.
 */

%{
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ldaputil.h"
#include "log.h"
#include "xml.h"

#define PARSE_MAXINCLUDE	16
#define PARSE_MAXTOKEN		8192
#define LEX_TEXTMAX		64	/* of a word in an error message */

#define KILO			1024LL
#define MEGA			(KILO * KILO)
#define GIGA			(KILO * MEGA)
#define DAY			86400LL
#define MAX_DURATION		(36500 * DAY)

static struct file {
	TAILQ_ENTRY(file)	 entry;
	FILE			*stream;
	char			*name;
	int			*ungetbuf;
	size_t			 ungetpos;
	size_t			 ungetsize;
	int			 eof_reached;
	int			 lastc;		/* last byte of the stream */
	int			 lineno;
	const char		*exposed;	/* why it may hold no secret */
	dev_t			 dev;		/* which file, for loops */
	ino_t			 ino;
} *file, *topfile;
static TAILQ_HEAD(files, file)	 files = TAILQ_HEAD_INITIALIZER(files);

struct sym {
	TAILQ_ENTRY(sym)	 entry;
	int			 used;
	int			 persist;	/* -D: the file cannot change it */
	char			*nam;
	char			*val;
	char			*file;		/* defined there; NULL for -D */
	const char		*exposed;	/* of that file */
};
static TAILQ_HEAD(symhead, sym)	 symhead = TAILQ_HEAD_INITIALIZER(symhead);

/* Names used before they may be defined, checked after the parse. */
enum ref_kind {
	REF_KEYPAIR,
	REF_LDAP,
	REF_TLS,	/* a listener that needs some keypair */
};
struct ref {
	TAILQ_ENTRY(ref)	 entry;
	int			 kind;
	char			 name[CONF_NAMELEN];
	char			*file;
	int			 line;
};
static TAILQ_HEAD(refs, ref)	 refs = TAILQ_HEAD_INITIALIZER(refs);

typedef struct {
	union {
		int64_t		 number;
		char		*string;
	} v;
	int			 lineno;
	struct sym		*origin;	/* token from this macro */
} YYSTYPE;
/* The %destructor function; the message yacc hands it is not used. */
#define YYDESTRUCT_DECL()						\
	yydestruct(const char *msg __attribute__((__unused__)), int psymb, \
	    YYSTYPE *val)

int		 yyparse(void);
int		 yylex(void);
int		 yyerror(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));

static void	 conf_error(const char *, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static struct file *pushfile(const char *);
static int	 popfile(void);
static int	 include_file(const char *);
static int	 lgetc(int);
static int	 lex_next(void);
static void	 parse_syntax_error(void);
static int	 lungetc(int);
static int	 findeol(void);
static int	 lookup(const char *);
static int	 symset(const char *, const char *, int);
static struct sym *symget(const char *);
static int	 macro_set(char *, const char *);
static void	 secret_check(struct sym *);
static int	 conninfo_secret(const char *);
static int	 conf_copy(char *, const char *, size_t, const char *);
static int	 conf_path(char *, const char *, size_t, const char *);
static int	 range(int64_t, int64_t, int64_t, const char *);
static int	 parse_scaled(const char *, const char *, int64_t,
		    const char *, int64_t *);
static void	 ref_add(int, const char *);
static void	 keypair_new(const char *);
static void	 ldap_new(const char *);
static void	 ldap_server(const char *, int);
static void	 ldap_end(void);
static void	 domain_new(const char *);
static void	 domain_admin(const char *);
static void	 domain_contact(int, const char *);
static void	 muc_new(const char *);
static void	 upload_new(const char *);
static void	 upload_url(const char *);
static void	 upload_cors(const char *);
static void	 conf_origins(char *, size_t, int *, const char *,
		    const char *);
static void	 upload_end(void);
static void	 component_new(const char *, const char *);
static void	 listen_add(const char *, int64_t, int, int, const char *);
static void	 proxy_from_add(const char *);
static void	 resolver_add(const char *);
static void	 conf_check(void);

static struct xmppd_config	*conf;
static struct global_conf	*g;
static struct keypair_conf	*cur_keypair;
static struct ldap_conf		*cur_ldap;
static struct domain_conf	*cur_domain;
static struct muc_conf		*cur_muc;
static struct upload_conf	*cur_upload;
static int			 cur_upload_cors;	/* origins named */
static struct proxy_net		 proxy_from[LISTEN_PROXY_MAX];
static int			 nproxy_from;
static int			 cur_web_cors, cur_ws_origins;
static int			 block_line;	/* where the block began */
static int			 errors;
static int			 lex_reported;	/* the lexer said why */
static char			 lex_text[LEX_TEXTMAX];	/* the last word */

/* The component being parsed is always the last one. */
#define cur_priv(what, val)						\
	(TAILQ_LAST(&conf->components, component_list)->priv_##what = (val))
%}

%token	ADDRESS ADMIN ADMINS ALLOW ALWAYS ANYONE ARCHIVE AUTH AUTO
%token	BASE BIND BODY BOTH CA CERTIFICATE CLIENT COMPONENT CONNECTIONS CORS
%token	CREATE
%token	DATADIR DEFAULT DENY DEPTH DOMAIN EMAIL EXPIRE FAILURES FILTER FN
%token	GET GROUP HEADER HISTORY HTTP IDLE INCLUDE INTERNAL KEY KEYPAIR LDAP LIMIT
%token	LENGTH LIMITS LISTEN LOCAL MANAGED MAXIMUM MESSAGE MUC MULTIPLEX
%token	NEVER NICK NICKNAME NONE OCCUPANTS OFFLINE ON OUTGOING PASSWORD PER
%token	PERSISTENT PHOTO PORT POSTGRESQL PREFORK PRESENCE PRIVILEGE QUOTA
%token	RATE REGISTRATION RESUME ROOM ROOMS ROSTER SERVER SESSIONS SET SIZE
%token	SOCKET SQLITE STANZA STARTTLS STORAGE SUBJECT TEL TEMPORARY TIMEOUT
%token	TLS UPLOAD URL USER VCARD XML
%token	ORIGIN WEBSOCKET
%token	RESOLVER
%token	FROM PROXY
%token	CERTIFICATES FEDERATION REQUIRE
%token	QUEUE
%token	MIN
%token	ERROR
%token	ABUSE CONTACT FEEDBACK MOTD SALES SECURITY SUPPORT
%token	<v.string>	STRING
%token	<v.number>	NUMBER
%type	<v.number>	size duration expiry starttls archpolicy
%type	<v.number>	listenkind tlsopt
%type	<v.number>	contactkind
%type	<v.string>	secret

/*
 * What yacc throws away on a syntax error (a word read ahead, or the
 * words of a rule left half parsed) is freed here.  An action that
 * frees one of its words before YYERROR, or in the middle of its rule,
 * sets it to NULL, since the word stays on the stack.
 */
%destructor	{ if ($$ != NULL) freezero($$, strlen($$) + 1); } STRING secret

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar global '\n'
		| grammar limits '\n'
		| grammar keypair '\n'
		| grammar ldap '\n'
		| grammar domain '\n'
		| grammar muc '\n'
		| grammar upload '\n'
		| grammar component '\n'
		| grammar listen '\n'
		| grammar error '\n'		{ yyerrok; }
		;

include		: INCLUDE STRING		{
			int	 ret;

			ret = include_file($2);
			free($2);
			$2 = NULL;
			if (ret == -1)
				YYERROR;
		}
		;

varset		: STRING '=' STRING		{
			(void)macro_set($1, $3);
			free($1);
			freezero($3, strlen($3) + 1);
		}
		| STRING '=' NUMBER		{
			char	 buf[32];

			(void)snprintf(buf, sizeof(buf), "%lld",
			    (long long)$3);
			(void)macro_set($1, buf);
			free($1);
		}
		;

/* Each line of a block is a fresh start for error reporting. */
nl		: '\n'				{ yyerrok; }
		;

/* A password: the file it is written in must be private. */
secret		: STRING			{
			secret_check($<origin>1);
			$$ = $1;
		}
		;

global		: USER STRING			{
			if (*$2 == '\0')
				yyerror("user is empty");
			else
				(void)conf_copy(g->user, $2, sizeof(g->user),
				    "user name");
			free($2);
		}
		| PREFORK NUMBER		{
			if (range($2, 1, 64, "prefork") == 0)
				g->prefork = $2;
		}
		| PREFORK AUTO			{ g->prefork = 0; }
		| DATADIR STRING		{
			(void)conf_path(g->datadir, $2, sizeof(g->datadir),
			    "datadir");
			free($2);
		}
		| STORAGE SQLITE		{
			g->storage = STORAGE_SQLITE;
			g->storage_conninfo[0] = '\0';
		}
		| STORAGE POSTGRESQL STRING	{
			if (conninfo_secret($3))
				secret_check($<origin>3);
			g->storage = STORAGE_POSTGRESQL;
			if (*$3 == '\0')
				yyerror("storage postgresql: empty conninfo");
			else
				(void)conf_copy(g->storage_conninfo, $3,
				    sizeof(g->storage_conninfo), "conninfo");
			freezero($3, strlen($3) + 1);
		}
		| MUC STORAGE SQLITE		{
			g->muc_storage = STORAGE_SQLITE;
			g->muc_conninfo[0] = '\0';
		}
		| MUC STORAGE POSTGRESQL STRING	{
			if (conninfo_secret($4))
				secret_check($<origin>4);
			g->muc_storage = STORAGE_POSTGRESQL;
			if (*$4 == '\0')
				yyerror("muc storage postgresql: empty conninfo");
			else
				(void)conf_copy(g->muc_conninfo, $4,
				    sizeof(g->muc_conninfo), "conninfo");
			freezero($4, strlen($4) + 1);
		}
		| SOCKET STRING			{
			struct sockaddr_un	 sun;

			if (conf_path(g->socket, $2, sizeof(g->socket),
			    "socket") == 0 &&
			    strlen($2) >= sizeof(sun.sun_path))
				yyerror("socket path too long");
			free($2);
		}
		| TLS CA STRING			{
			(void)conf_path(g->tls_ca, $3, sizeof(g->tls_ca),
			    "tls ca");
			free($3);
		}
		| CORS NONE			{
			conf_origins(g->web_cors, sizeof(g->web_cors),
			    &cur_web_cors, "cors", NULL);
		}
		| CORS STRING			{
			conf_origins(g->web_cors, sizeof(g->web_cors),
			    &cur_web_cors, "cors", $2);
			free($2);
		}
		| WEBSOCKET ORIGIN STRING	{
			conf_origins(g->ws_origins, sizeof(g->ws_origins),
			    &cur_ws_origins, "websocket origin", $3);
			free($3);
		}
		| RESOLVER STRING		{
			resolver_add($2);
			free($2);
		}
		;

size		: NUMBER			{
			if ($1 < 0) {
				yyerror("size %lld is negative",
				    (long long)$1);
				YYERROR;
			}
			$$ = $1;
		}
		| STRING			{
			int	 ret;

			ret = parse_scaled($1, "kmg", INT64_MAX, "size", &$$);
			free($1);
			$1 = NULL;
			if (ret == -1)
				YYERROR;
		}
		;

duration	: NUMBER			{
			if (range($1, 1, MAX_DURATION, "duration") == -1)
				YYERROR;
			$$ = $1;
		}
		| STRING			{
			int	 ret;

			ret = parse_scaled($1, "smhd", MAX_DURATION,
			    "duration", &$$);
			free($1);
			$1 = NULL;
			if (ret == -1)
				YYERROR;
			if ($$ == 0) {
				yyerror("duration must be at least 1s");
				YYERROR;
			}
		}
		;

expiry		: duration			{ $$ = $1; }
		| NEVER				{ $$ = 0; }
		;

limits		: LIMITS '{' limitl '}'
		| LIMITS limitopt
		;

limitl		: limitx
		| limitl nl limitx
		;

limitx		: /* empty */
		| limitopt
		| error
		;

limitopt	: STANZA SIZE size		{
			/* Stanzas cross processes: see MSG_MAXSIZE. */
			if (range($3, 10000, MEGA, "stanza size") == 0)
				g->limits.stanza_size = $3;
		}
		| CLIENT RATE size		{
			if (range($3, 1, GIGA, "client rate") == 0)
				g->limits.client_rate = $3;
		}
		| SERVER RATE size		{
			if (range($3, 1, GIGA, "server rate") == 0)
				g->limits.server_rate = $3;
		}
		| SERVER IDLE TIMEOUT duration	{
			if (range($4, 1, DAY, "server idle timeout") == 0)
				g->limits.server_idle = $4;
		}
		| SERVER QUEUE NUMBER		{
			if (range($3, 1, 100000, "server queue") == 0)
				g->limits.server_queue = $3;
		}
		| SERVER CONNECTIONS PER ADDRESS NUMBER {
			if (range($5, 1, 100000,
			    "server connections per address") == 0)
				g->limits.server_conn_per_addr = $5;
		}
		| COMPONENT RATE size		{
			if (range($3, 1, GIGA, "component rate") == 0)
				g->limits.component_rate = $3;
		}
		| CONNECTIONS PER ADDRESS NUMBER {
			if (range($4, 1, 100000, "connections per address")
			    == 0)
				g->limits.conn_per_addr = $4;
		}
		| AUTH FAILURES NUMBER PER duration {
			if (range($3, 1, 1000, "auth failures") == 0 &&
			    range($5, 1, DAY, "auth failures period") == 0) {
				g->limits.auth_failures = $3;
				g->limits.auth_period = $5;
			}
		}
		| PASSWORD MIN LENGTH NUMBER	{
			/* What xmppctl and registration accept from now. */
			if (range($4, 1, 1023, "password min length") == 0)
				g->limits.password_min = $4;
		}
		| SESSIONS PER USER NUMBER	{
			if (range($4, 1, 1000, "sessions per user") == 0)
				g->limits.sessions_per_user = $4;
		}
		| XML DEPTH NUMBER		{
			if (range($3, 8, 1024, "xml depth") == 0)
				g->limits.xml_depth = $3;
		}
		| RESUME TIMEOUT duration	{
			if (range($3, 1, DAY, "resume timeout") == 0)
				g->limits.resume_timeout = $3;
		}
		| HTTP HEADER SIZE size		{
			if (range($4, 1024, MEGA, "http header size") == 0)
				g->limits.http_header_size = $4;
		}
		| HTTP HEADER TIMEOUT duration	{
			if (range($4, 1, 3600, "http header timeout") == 0)
				g->limits.http_header_timeout = $4;
		}
		| HTTP IDLE TIMEOUT duration	{
			if (range($4, 1, DAY, "http idle timeout") == 0)
				g->limits.http_idle_timeout = $4;
		}
		| HTTP BODY RATE size		{
			if (range($4, 0, GIGA, "http body rate") == 0)
				g->limits.http_body_rate = $4;
		}
		| HTTP CONNECTIONS NUMBER	{
			if (range($3, 1, 100000, "http connections") == 0)
				g->limits.http_connections = $3;
		}
		| MULTIPLEX TIMEOUT duration	{
			if (range($3, 1, 300, "multiplex timeout") == 0)
				g->limits.mux_timeout = $3;
		}
		;

keypair		: TLS KEYPAIR STRING		{
			keypair_new($3);
			free($3);
			$3 = NULL;
		} kpbody			{
			if (cur_keypair->cert[0] == '\0')
				conf_error(file->name, block_line,
				    "tls keypair \"%s\" has no certificate",
				    cur_keypair->name);
			cur_keypair = NULL;
		}
		;

kpbody		: /* empty */
		| kpoptl
		| '{' kpl '}'
		;

kpoptl		: kpopt
		| kpoptl kpopt
		;

kpl		: kpx
		| kpl nl kpx
		;

kpx		: /* empty */
		| kpopt
		| error
		;

kpopt		: CERTIFICATE STRING		{
			(void)conf_copy(cur_keypair->cert, $2,
			    sizeof(cur_keypair->cert), "certificate path");
			free($2);
		}
		| KEY STRING			{
			(void)conf_copy(cur_keypair->key, $2,
			    sizeof(cur_keypair->key), "key path");
			free($2);
		}
		;

ldap		: LDAP STRING			{
			ldap_new($2);
			free($2);
			$2 = NULL;
		} ldapbody			{ ldap_end(); }
		;

ldapbody	: /* empty */
		| '{' ldapl '}'
		;

ldapl		: ldapx
		| ldapl nl ldapx
		;

ldapx		: /* empty */
		| ldapopt
		| error
		;

ldapopt		: SERVER STRING starttls	{
			ldap_server($2, $3);
			free($2);
		}
		| BIND STRING PASSWORD secret	{
			/* An empty password is an unauthenticated bind. */
			if (*$2 == '\0' || *$4 == '\0')
				yyerror("bind: empty DN or password");
			(void)conf_copy(cur_ldap->binddn, $2,
			    sizeof(cur_ldap->binddn), "bind dn");
			(void)conf_copy(cur_ldap->bindpw, $4,
			    sizeof(cur_ldap->bindpw), "bind password");
			free($2);
			freezero($4, strlen($4) + 1);
		}
		| BASE STRING			{
			(void)conf_copy(cur_ldap->base, $2,
			    sizeof(cur_ldap->base), "base");
			free($2);
		}
		| FILTER STRING			{
			char	 attr[CONF_NAMELEN], test[CONF_STRLEN * 4];

			if (ldapfilter_attr($2, attr, sizeof(attr)) == -1)
				yyerror("filter \"%s\": needs one (attribute=%%u)",
				    $2);
			else if (ldapfilter_expand($2, "x", 0, test,
			    sizeof(test)) == -1)
				yyerror("filter \"%s\": %% other than %%u or %%%%",
				    $2);
			else
				(void)conf_copy(cur_ldap->filter, $2,
				    sizeof(cur_ldap->filter), "filter");
			free($2);
		}
		| CA STRING			{
			(void)conf_copy(cur_ldap->ca, $2,
			    sizeof(cur_ldap->ca), "ca path");
			free($2);
		}
		| TIMEOUT duration		{
			if (range($2, 1, 3600, "ldap timeout") == 0)
				cur_ldap->timeout = $2;
		}
		| ROSTER GROUP STRING		{
			(void)conf_copy(cur_ldap->roster_group, $3,
			    sizeof(cur_ldap->roster_group), "roster group");
			free($3);
		}
		| VCARD vcardl
		;

starttls	: /* empty */			{ $$ = 0; }
		| STARTTLS			{ $$ = 1; }
		;

vcardl		: vcardf
		| vcardl vcardf
		;

vcardf		: FN STRING			{
			(void)conf_copy(cur_ldap->vcard_fn, $2,
			    sizeof(cur_ldap->vcard_fn), "vcard attribute");
			free($2);
		}
		| EMAIL STRING			{
			(void)conf_copy(cur_ldap->vcard_email, $2,
			    sizeof(cur_ldap->vcard_email), "vcard attribute");
			free($2);
		}
		| PHOTO STRING			{
			(void)conf_copy(cur_ldap->vcard_photo, $2,
			    sizeof(cur_ldap->vcard_photo), "vcard attribute");
			free($2);
		}
		| NICKNAME STRING		{
			(void)conf_copy(cur_ldap->vcard_nickname, $2,
			    sizeof(cur_ldap->vcard_nickname),
			    "vcard attribute");
			free($2);
		}
		| TEL STRING			{
			(void)conf_copy(cur_ldap->vcard_tel, $2,
			    sizeof(cur_ldap->vcard_tel), "vcard attribute");
			free($2);
		}
		;

domain		: DOMAIN STRING			{
			domain_new($2);
			free($2);
			$2 = NULL;
		} domainbody			{ cur_domain = NULL; }
		;

domainbody	: /* empty */
		| '{' domainl '}'
		;

domainl		: domainx
		| domainl nl domainx
		;

domainx		: /* empty */
		| domainopt
		| error
		;

domainopt	: TLS KEYPAIR STRING		{
			if (conf_copy(cur_domain->keypair, $3,
			    sizeof(cur_domain->keypair), "keypair name") == 0)
				ref_add(REF_KEYPAIR, $3);
			free($3);
		}
		| AUTH INTERNAL			{
			cur_domain->auth = AUTH_INTERNAL;
			cur_domain->ldap[0] = '\0';
		}
		| AUTH LDAP STRING		{
			cur_domain->auth = AUTH_LDAP;
			if (conf_copy(cur_domain->ldap, $3,
			    sizeof(cur_domain->ldap), "ldap name") == 0)
				ref_add(REF_LDAP, $3);
			free($3);
		}
		| REGISTRATION ALLOW		{ cur_domain->registration = 1; }
		| REGISTRATION DENY		{ cur_domain->registration = 0; }
		| ADMIN STRING			{
			domain_admin($2);
			free($2);
		}
		| ARCHIVE DEFAULT archpolicy	{
			cur_domain->archive_default = $3;
		}
		| ARCHIVE EXPIRE expiry		{
			cur_domain->archive_expire = $3;
		}
		| OFFLINE LIMIT NUMBER		{
			if (range($3, 0, 100000, "offline limit") == 0)
				cur_domain->offline_limit = $3;
		}
		| FEDERATION REQUIRE CERTIFICATES {
			cur_domain->federation_certs = 1;
		}
		| CONTACT contactkind STRING	{
			domain_contact($2, $3);
			free($3);
		}
		| MOTD STRING			{
			if ($2[0] == '\0')
				yyerror("motd is empty");
			else if (!xml_text_ok($2, strlen($2)))
				yyerror("motd is not UTF-8 text");
			else
				(void)conf_copy(cur_domain->motd, $2,
				    sizeof(cur_domain->motd), "motd");
			free($2);
		}
		;

contactkind	: ABUSE				{ $$ = CONTACT_ABUSE; }
		| ADMIN				{ $$ = CONTACT_ADMIN; }
		| FEEDBACK			{ $$ = CONTACT_FEEDBACK; }
		| SALES				{ $$ = CONTACT_SALES; }
		| SECURITY			{ $$ = CONTACT_SECURITY; }
		| SUPPORT			{ $$ = CONTACT_SUPPORT; }
		;

archpolicy	: ALWAYS			{ $$ = ARCHIVE_ALWAYS; }
		| ROSTER			{ $$ = ARCHIVE_ROSTER; }
		| NEVER				{ $$ = ARCHIVE_NEVER; }
		;

muc		: MUC STRING			{
			muc_new($2);
			free($2);
			$2 = NULL;
		} mucbody			{ cur_muc = NULL; }
		;

mucbody		: /* empty */
		| '{' mucl '}'
		;

mucl		: mucx
		| mucl nl mucx
		;

mucx		: /* empty */
		| mucopt
		| error
		;

mucopt		: CREATE ROOMS LOCAL		{ cur_muc->create = MUC_CREATE_LOCAL; }
		| CREATE ROOMS ADMINS		{ cur_muc->create = MUC_CREATE_ADMINS; }
		| CREATE ROOMS ANYONE		{ cur_muc->create = MUC_CREATE_ANYONE; }
		| HISTORY NUMBER		{
			if (range($2, 0, 1000, "history") == 0)
				cur_muc->history = $2;
		}
		| ARCHIVE EXPIRE expiry		{ cur_muc->archive_expire = $3; }
		| ROOMS PERSISTENT		{ cur_muc->persistent = 1; }
		| ROOMS TEMPORARY		{ cur_muc->persistent = 0; }
		| ROOMS PER USER NUMBER		{
			if (range($4, 1, 100000, "rooms per user") == 0)
				cur_muc->rooms_per_user = $4;
		}
		| OCCUPANTS PER ROOM NUMBER	{
			if (range($4, 1, 100000, "occupants per room") == 0)
				cur_muc->occupants = $4;
		}
		| NICK LENGTH NUMBER		{
			if (range($3, 1, 1023, "nick length") == 0)
				cur_muc->nick_length = $3;
		}
		| SUBJECT LENGTH NUMBER		{
			if (range($3, 1, 65535, "subject length") == 0)
				cur_muc->subject_length = $3;
		}
		| MESSAGE RATE NUMBER PER duration {
			if (range($3, 1, 100000, "message rate") == 0 &&
			    range($5, 1, 3600, "message rate period") == 0) {
				cur_muc->message_rate = $3;
				cur_muc->message_period = $5;
			}
		}
		;

upload		: UPLOAD STRING			{
			upload_new($2);
			free($2);
			$2 = NULL;
		} uploadbody			{ upload_end(); }
		;

uploadbody	: /* empty */
		| '{' uploadl '}'
		;

uploadl		: uploadx
		| uploadl nl uploadx
		;

uploadx		: /* empty */
		| uploadopt
		| error
		;

uploadopt	: LISTEN ON STRING PORT NUMBER tlsopt proxyopt {
			listen_add($3, $5, LISTEN_UPLOAD, $6, cur_upload->name);
			nproxy_from = 0;
			free($3);
		}
		| URL STRING			{
			upload_url($2);
			free($2);
		}
		| MAXIMUM SIZE size		{
			if (range($3, 1, INT64_MAX, "max size") == 0)
				cur_upload->max_size = $3;
		}
		| QUOTA size			{
			if (range($2, 1, INT64_MAX, "quota") == 0)
				cur_upload->quota = $2;
		}
		| EXPIRE expiry			{ cur_upload->expire = $2; }
		| CORS NONE			{ upload_cors(NULL); }
		| CORS STRING			{
			upload_cors($2);
			free($2);
		}
		;

component	: COMPONENT STRING PASSWORD secret {
			component_new($2, $4);
			free($2);
			freezero($4, strlen($4) + 1);
			$2 = $4 = NULL;
		} componentbody {
			struct component_conf	*c;

			/* XEP-0356 section 6.4: roster presence reads rosters. */
			c = TAILQ_LAST(&conf->components, component_list);
			if (c->priv_presence == PRIV_PRESENCE_ROSTER &&
			    c->priv_roster != PRIV_ROSTER_GET &&
			    c->priv_roster != PRIV_ROSTER_BOTH)
				yyerror("component \"%s\": presence roster "
				    "needs roster get or both", c->name);
		}
		;

componentbody	: /* empty */
		| '{' componentl '}'
		;

componentl	: componentx
		| componentl nl componentx
		;

componentx	: /* empty */
		| PRIVILEGE privl
		| error
		;

privl		: priv
		| privl priv
		;

priv		: ROSTER NONE		{ cur_priv(roster, PRIV_ROSTER_NONE); }
		| ROSTER GET		{ cur_priv(roster, PRIV_ROSTER_GET); }
		| ROSTER SET		{ cur_priv(roster, PRIV_ROSTER_SET); }
		| ROSTER BOTH		{ cur_priv(roster, PRIV_ROSTER_BOTH); }
		| MESSAGE NONE		{ cur_priv(message, PRIV_MESSAGE_NONE); }
		| MESSAGE OUTGOING	{
			cur_priv(message, PRIV_MESSAGE_OUTGOING);
		}
		| PRESENCE NONE		{
			cur_priv(presence, PRIV_PRESENCE_NONE);
		}
		| PRESENCE MANAGED	{
			cur_priv(presence, PRIV_PRESENCE_MANAGED);
		}
		| PRESENCE ROSTER	{
			cur_priv(presence, PRIV_PRESENCE_ROSTER);
		}
		;

listen		: LISTEN ON STRING PORT NUMBER listenkind tlsopt proxyopt {
			listen_add($3, $5, $6, $7, "");
			nproxy_from = 0;
			free($3);
		}
		| LISTEN ON STRING PORT NUMBER TLS MULTIPLEX proxyopt {
			listen_add($3, $5, LISTEN_MULTIPLEX, LISTEN_TLS, "");
			nproxy_from = 0;
			free($3);
		}
		;

proxyopt	: /* empty */			{ nproxy_from = 0; }
		| PROXY FROM { nproxy_from = 0; } proxynets
		;

proxynets	: proxynet
		| proxynets proxynet
		;

proxynet	: STRING			{
			proxy_from_add($1);
			free($1);
		}
		;

listenkind	: CLIENT			{ $$ = LISTEN_CLIENT; }
		| SERVER			{ $$ = LISTEN_SERVER; }
		| COMPONENT			{ $$ = LISTEN_COMPONENT; }
		| HTTP				{ $$ = LISTEN_HTTP; }
		;

tlsopt		: /* empty */			{ $$ = 0; }
		| TLS				{ $$ = LISTEN_TLS; }
		;

%%

/*
 * What a syntax error says: the word the parser stopped at and what
 * could have come there.  The last three tokens read, and the block
 * they are in, tell where it was.
 */
struct lex_tok {
	int	 tok;
	int	 first;			/* the first word of a line or block */
	char	 text[LEX_TEXTMAX];	/* as written; $name from a macro */
};
static struct lex_tok	 lex_hist[3];	/* [0]: the last token read */
static int		 lex_line;	/* the first keyword of this line */
static int		 lex_block;	/* the keyword of the open block */

/* What each block takes, for a line that starts with something else. */
static const struct {
	int		 block;		/* its keyword; 0: the top level */
	const char	*name;
	const char	*keywords;
} parse_blocks[] = {
	{ 0, NULL, "include, user, prefork, datadir, storage, muc storage, "
	    "socket, tls ca, tls keypair, cors, websocket origin, resolver, "
	    "limits, ldap, domain, muc, upload, component, listen or a macro "
	    "NAME = VALUE" },
	{ LIMITS, "limits", "stanza size, client rate, server rate, "
	    "server idle timeout, server queue, server connections per "
	    "address, component rate, connections per address, auth "
	    "failures, password min length, sessions per user, xml depth, "
	    "resume timeout, http "
	    "header size, http header timeout, http idle timeout, http body "
	    "rate, http connections or multiplex timeout" },
	{ TLS, "tls keypair", "certificate or key" },
	{ LDAP, "ldap", "server, bind, base, filter, ca, timeout, roster "
	    "group or vcard" },
	{ DOMAIN, "domain", "tls keypair, auth, registration, admin, archive "
	    "default, archive expire, offline limit or federation require "
	    "certificates" },
	{ MUC, "muc", "create rooms, history, archive expire, rooms "
	    "persistent, rooms temporary, rooms per user, occupants per "
	    "room, nick length, subject length or message rate" },
	{ UPLOAD, "upload", "listen on, url, max size, quota, expire or cors" },
	{ COMPONENT, "component", "privilege" },
};

/*
 * The choices after a keyword: in block (0: at the top level), after
 * tok1 (0: whatever came before) and tok2, where tok2 starts its line
 * (first 1), does not (0) or either (-1).  hide: what came instead may
 * be a password, and is not shown.
 */
static const struct parse_choice {
	int		 block, tok1, tok2, first, hide;
	const char	*what;
	const char	*expected;
} parse_choices[] = {
	{ 0, MUC, STORAGE, 0, 0, "muc storage", "sqlite or postgresql" },
	{ 0, 0, STORAGE, 1, 0, "storage", "sqlite or postgresql" },
	{ 0, 0, PREFORK, 1, 0, "prefork value", "a number or auto" },
	{ 0, 0, TLS, 1, 0, "tls option", "keypair or ca" },
	{ 0, 0, WEBSOCKET, 1, 0, "websocket option", "origin" },
	{ 0, KEYPAIR, STRING, 0, 0, "tls keypair option",
	    "certificate, key or {" },
	{ 0, CERTIFICATE, STRING, 0, 0, "tls keypair option",
	    "certificate or key" },
	{ 0, KEY, STRING, 0, 0, "tls keypair option", "certificate or key" },
	{ 0, COMPONENT, STRING, 0, 1, "component option", "password" },
	{ 0, 0, LISTEN, 1, 0, "listen option", "on" },
	{ 0, PORT, NUMBER, 0, 0, "listener kind",
	    "client, server, component, http or tls multiplex" },
	{ 0, NUMBER, TLS, 0, 0, "listener kind", "multiplex" },
	{ 0, 0, CLIENT, 0, 0, "listen option", "tls or proxy from" },
	{ 0, 0, SERVER, 0, 0, "listen option", "tls or proxy from" },
	{ 0, 0, COMPONENT, 0, 0, "listen option", "tls or proxy from" },
	{ 0, 0, HTTP, 0, 0, "listen option", "tls or proxy from" },
	{ 0, 0, TLS, 0, 0, "listen option", "proxy from" },
	{ 0, 0, MULTIPLEX, 0, 0, "listen option", "proxy from" },
	{ -1, 0, PROXY, 0, 0, "proxy option", "from" },
	{ LIMITS, 0, STANZA, 1, 0, "stanza limit", "size" },
	{ LIMITS, 0, CLIENT, 1, 0, "client limit", "rate" },
	{ LIMITS, SERVER, IDLE, 0, 0, "server idle limit", "timeout" },
	{ LIMITS, SERVER, CONNECTIONS, 0, 0, "server connections limit",
	    "per address" },
	{ LIMITS, 0, SERVER, 1, 0, "server limit",
	    "rate, idle timeout, queue or connections per address" },
	{ LIMITS, 0, COMPONENT, 1, 0, "component limit", "rate" },
	{ LIMITS, 0, CONNECTIONS, 1, 0, "connections limit", "per address" },
	{ LIMITS, 0, AUTH, 1, 0, "auth limit", "failures" },
	{ LIMITS, PASSWORD, MIN, 0, 0, "password min limit", "length" },
	{ LIMITS, 0, PASSWORD, 1, 0, "password limit", "min length" },
	{ LIMITS, 0, SESSIONS, 1, 0, "sessions limit", "per user" },
	{ LIMITS, 0, XML, 1, 0, "xml limit", "depth" },
	{ LIMITS, 0, RESUME, 1, 0, "resume limit", "timeout" },
	{ LIMITS, HTTP, HEADER, 0, 0, "http header limit", "size or timeout" },
	{ LIMITS, HTTP, IDLE, 0, 0, "http idle limit", "timeout" },
	{ LIMITS, HTTP, BODY, 0, 0, "http body limit", "rate" },
	{ LIMITS, 0, HTTP, 1, 0, "http limit",
	    "header size, header timeout, idle timeout, body rate or "
	    "connections" },
	{ LIMITS, 0, MULTIPLEX, 1, 0, "multiplex limit", "timeout" },
	{ DOMAIN, 0, TLS, 1, 0, "tls option", "keypair" },
	{ DOMAIN, 0, AUTH, 1, 0, "auth method", "internal or ldap" },
	{ DOMAIN, 0, REGISTRATION, 1, 0, "registration policy",
	    "allow or deny" },
	{ DOMAIN, ARCHIVE, DEFAULT, 0, 0, "archive policy",
	    "always, roster or never" },
	{ DOMAIN, 0, ARCHIVE, 1, 0, "archive option", "default or expire" },
	{ DOMAIN, 0, OFFLINE, 1, 0, "offline option", "limit" },
	{ DOMAIN, FEDERATION, REQUIRE, 0, 0, "federation requirement",
	    "certificates" },
	{ DOMAIN, 0, FEDERATION, 1, 0, "federation option",
	    "require certificates" },
	{ MUC, CREATE, ROOMS, 0, 0, "room creation policy",
	    "local, admins or anyone" },
	{ MUC, 0, CREATE, 1, 0, "create option", "rooms" },
	{ MUC, 0, ROOMS, 1, 0, "rooms option",
	    "persistent, temporary or per user" },
	{ MUC, 0, ARCHIVE, 1, 0, "archive option", "expire" },
	{ MUC, 0, OCCUPANTS, 1, 0, "occupants option", "per room" },
	{ MUC, 0, NICK, 1, 0, "nick option", "length" },
	{ MUC, 0, SUBJECT, 1, 0, "subject option", "length" },
	{ MUC, 0, MESSAGE, 1, 0, "message option", "rate" },
	{ UPLOAD, 0, MAXIMUM, 1, 0, "max option", "size" },
	{ UPLOAD, 0, LISTEN, 1, 0, "listen option", "on" },
	{ UPLOAD, PORT, NUMBER, 0, 0, "listen option", "tls" },
	{ LDAP, SERVER, STRING, 0, 0, "server option", "starttls" },
	{ LDAP, BIND, STRING, 0, 1, "bind option", "password" },
	{ LDAP, 0, ROSTER, 1, 0, "roster option", "group" },
	{ LDAP, 0, VCARD, 1, 0, "vcard attribute",
	    "fn, email, photo, nickname or tel" },
	{ COMPONENT, 0, PRIVILEGE, 1, 0, "privilege",
	    "roster, message or presence" },
	{ COMPONENT, 0, ROSTER, 0, 0, "roster privilege",
	    "none, get, set or both" },
	{ COMPONENT, 0, MESSAGE, 0, 0, "message privilege",
	    "none or outgoing" },
	{ COMPONENT, 0, PRESENCE, 0, 0, "presence privilege",
	    "none, managed_entity or roster" },
};

static const struct parse_choice *
parse_choice(int block, const struct lex_tok *t1, const struct lex_tok *t2)
{
	const struct parse_choice	*c;
	size_t				 i;

	for (i = 0; i < nitems(parse_choices); i++) {
		c = &parse_choices[i];
		if ((c->block == block || c->block == -1) &&
		    c->tok2 == t2->tok && (c->tok1 == 0 || c->tok1 == t1->tok) &&
		    (c->first == -1 || c->first == t2->first))
			return (c);
	}
	return (NULL);
}

/* A token as a message shows it: printable, and not too long. */
static const char *
parse_shown(const struct lex_tok *t, char *buf, size_t len)
{
	return (log_sanitize(t->text, buf, len));
}

/* yacc's "syntax error", told as the admin needs it. */
static void
parse_syntax_error(void)
{
	const struct lex_tok		*t = &lex_hist[0];
	const struct parse_choice	*c;
	char				 a[LEX_TEXTMAX * 4], b[LEX_TEXTMAX * 4];
	size_t				 i;
	int				 block, missing;

	block = lex_block ? lex_block : lex_line == LIMITS ? LIMITS : 0;
	missing = t->tok == '\n' || t->tok == '}' || t->tok == 0;
	if (t->first && t->tok != '\n') {
		for (i = 0; i < nitems(parse_blocks) &&
		    parse_blocks[i].block != block; i++)
			;
		if (i == nitems(parse_blocks))
			i = 0;
		if (t->tok == 0)
			yyerror("syntax error: unexpected end of file");
		else if (parse_blocks[i].name == NULL)
			yyerror("\"%s\" cannot start a line (expected %s)",
			    parse_shown(t, a, sizeof(a)),
			    parse_blocks[i].keywords);
		else
			yyerror("%s \"%s\" in %s block (expected %s)",
			    t->tok == STRING ? "unknown keyword" :
			    "misplaced keyword", parse_shown(t, a, sizeof(a)),
			    parse_blocks[i].name, parse_blocks[i].keywords);
		return;
	}
	if (block == 0 && lex_hist[1].first && lex_hist[1].tok == STRING) {
		yyerror("unknown keyword \"%s\" (expected %s)",
		    parse_shown(&lex_hist[1], a, sizeof(a)),
		    parse_blocks[0].keywords);
		return;
	}
	if ((c = parse_choice(block, &lex_hist[2], &lex_hist[1])) != NULL) {
		if (missing)
			yyerror("missing %s (expected %s)", c->what,
			    c->expected);
		else if (c->hide)
			yyerror("expected %s after \"%s\"", c->expected,
			    parse_shown(&lex_hist[1], b, sizeof(b)));
		else
			yyerror("unknown %s \"%s\" (expected %s)", c->what,
			    parse_shown(t, a, sizeof(a)), c->expected);
		return;
	}
	if (t->tok == 0)
		yyerror("syntax error: unexpected end of file");
	else if (t->tok == '\n')
		yyerror("syntax error at end of line");
	else
		yyerror("syntax error at \"%s\"", parse_shown(t, a, sizeof(a)));
}

static void
conf_verror(const char *name, int line, const char *fmt, va_list ap)
{
	char	 msg[LOG_LINE_MAX], where[LOG_LINE_MAX + PATH_MAX + 16];

	errors++;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	(void)snprintf(where, sizeof(where), "%s:%d: %s", name, line, msg);
	log_warnx("%s", where);
	parse_msg_add(where);
}

/*
 * The errors of the last parse_config(), and what the parent found
 * wrong with the files it names, kept for xmppctl's reload: at most
 * PARSE_MSGS_MAX lines, each cut to PARSE_MSG_LEN bytes.
 */
static char	*parse_msgs[PARSE_MSGS_MAX];
static int	 parse_nmsgs, parse_nlost;

void
parse_msgs_clear(void)
{
	while (parse_nmsgs > 0)
		free(parse_msgs[--parse_nmsgs]);
	parse_nlost = 0;
}

void
parse_msg_add(const char *line)
{
	if (parse_nmsgs >= PARSE_MSGS_MAX) {
		parse_nlost++;
		return;
	}
	if ((parse_msgs[parse_nmsgs] = strndup(line, PARSE_MSG_LEN - 1)) ==
	    NULL)
		fatal("%s", __func__);
	parse_nmsgs++;
}

/* The i-th line, or NULL past the last; *lost: how many did not fit. */
const char *
parse_msg(int i, int *lost)
{
	*lost = parse_nlost;
	return (i >= 0 && i < parse_nmsgs ? parse_msgs[i] : NULL);
}

int
yyerror(const char *fmt, ...)
{
	va_list	 ap;

	if (strcmp(fmt, "syntax error") == 0) {
		/* The lexer has already told what is wrong with this token. */
		if (!lex_reported)
			parse_syntax_error();
		return (0);
	}
	va_start(ap, fmt);
	conf_verror(file->name, yylval.lineno, fmt, ap);
	va_end(ap);
	return (0);
}

static void
conf_error(const char *name, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	conf_verror(name, line, fmt, ap);
	va_end(ap);
}

struct keywords {
	const char	*k_name;
	int		 k_val;
};

static int
kw_cmp(const void *k, const void *e)
{
	return (strcmp(k, ((const struct keywords *)e)->k_name));
}

static int
lookup(const char *s)
{
	/* This has to be sorted always. */
	static const struct keywords keywords[] = {
		{ "abuse",		ABUSE },
		{ "address",		ADDRESS },
		{ "admin",		ADMIN },
		{ "admins",		ADMINS },
		{ "allow",		ALLOW },
		{ "always",		ALWAYS },
		{ "anyone",		ANYONE },
		{ "archive",		ARCHIVE },
		{ "auth",		AUTH },
		{ "auto",		AUTO },
		{ "base",		BASE },
		{ "bind",		BIND },
		{ "body",		BODY },
		{ "both",		BOTH },
		{ "ca",			CA },
		{ "certificate",	CERTIFICATE },
		{ "certificates",	CERTIFICATES },
		{ "client",		CLIENT },
		{ "component",		COMPONENT },
		{ "connections",	CONNECTIONS },
		{ "contact",		CONTACT },
		{ "cors",		CORS },
		{ "create",		CREATE },
		{ "datadir",		DATADIR },
		{ "default",		DEFAULT },
		{ "deny",		DENY },
		{ "depth",		DEPTH },
		{ "domain",		DOMAIN },
		{ "email",		EMAIL },
		{ "expire",		EXPIRE },
		{ "failures",		FAILURES },
		{ "federation",		FEDERATION },
		{ "feedback",		FEEDBACK },
		{ "filter",		FILTER },
		{ "fn",			FN },
		{ "from",		FROM },
		{ "get",		GET },
		{ "group",		GROUP },
		{ "header",		HEADER },
		{ "history",		HISTORY },
		{ "http",		HTTP },
		{ "idle",		IDLE },
		{ "include",		INCLUDE },
		{ "internal",		INTERNAL },
		{ "key",		KEY },
		{ "keypair",		KEYPAIR },
		{ "ldap",		LDAP },
		{ "length",		LENGTH },
		{ "limit",		LIMIT },
		{ "limits",		LIMITS },
		{ "listen",		LISTEN },
		{ "local",		LOCAL },
		{ "managed_entity",	MANAGED },
		{ "max",		MAXIMUM },
		{ "message",		MESSAGE },
		{ "min",		MIN },
		{ "motd",		MOTD },
		{ "muc",		MUC },
		{ "multiplex",		MULTIPLEX },
		{ "never",		NEVER },
		{ "nick",		NICK },
		{ "nickname",		NICKNAME },
		{ "none",		NONE },
		{ "occupants",		OCCUPANTS },
		{ "offline",		OFFLINE },
		{ "on",			ON },
		{ "origin",		ORIGIN },
		{ "outgoing",		OUTGOING },
		{ "password",		PASSWORD },
		{ "per",		PER },
		{ "persistent",		PERSISTENT },
		{ "photo",		PHOTO },
		{ "port",		PORT },
		{ "postgresql",		POSTGRESQL },
		{ "prefork",		PREFORK },
		{ "presence",		PRESENCE },
		{ "privilege",		PRIVILEGE },
		{ "proxy",		PROXY },
		{ "queue",		QUEUE },
		{ "quota",		QUOTA },
		{ "rate",		RATE },
		{ "registration",	REGISTRATION },
		{ "require",		REQUIRE },
		{ "resolver",		RESOLVER },
		{ "resume",		RESUME },
		{ "room",		ROOM },
		{ "rooms",		ROOMS },
		{ "roster",		ROSTER },
		{ "sales",		SALES },
		{ "security",		SECURITY },
		{ "server",		SERVER },
		{ "sessions",		SESSIONS },
		{ "set",		SET },
		{ "size",		SIZE },
		{ "socket",		SOCKET },
		{ "sqlite",		SQLITE },
		{ "stanza",		STANZA },
		{ "starttls",		STARTTLS },
		{ "storage",		STORAGE },
		{ "subject",		SUBJECT },
		{ "support",		SUPPORT },
		{ "tel",		TEL },
		{ "temporary",		TEMPORARY },
		{ "timeout",		TIMEOUT },
		{ "tls",		TLS },
		{ "upload",		UPLOAD },
		{ "url",		URL },
		{ "user",		USER },
		{ "vcard",		VCARD },
		{ "websocket",		WEBSOCKET },
		{ "xml",		XML },
	};
	const struct keywords	*p;

	p = bsearch(s, keywords, nitems(keywords), sizeof(keywords[0]),
	    kw_cmp);
	return (p != NULL ? p->k_val : STRING);
}

static int
igetc(void)
{
	int	 c;

	if (file->ungetpos > 0)
		return (file->ungetbuf[--file->ungetpos]);
	if ((c = getc(file->stream)) != EOF)
		file->lastc = c;
	return (c);
}

static int
lungetc(int c)
{
	int	*p;
	size_t	 n;

	if (c == EOF)
		return (EOF);
	if (file->ungetpos >= file->ungetsize) {
		n = file->ungetsize * 2 + 64;
		if ((p = reallocarray(file->ungetbuf, n, sizeof(*p))) == NULL)
			fatal("%s", __func__);
		file->ungetbuf = p;
		file->ungetsize = n;
	}
	file->ungetbuf[file->ungetpos++] = c;
	return (c);
}

/*
 * The next character.  Backslash-newline joins lines (inside quotes the
 * caller does it); a file that lacks a final newline gets one; at the end
 * of an included file, the including file goes on.
 */
static int
lgetc(int quoted)
{
	int	 c, next;

again:
	c = igetc();
	if (c == '\\' && !quoted) {
		if ((next = igetc()) == '\n') {
			file->lineno++;
			goto again;
		}
		lungetc(next);
	}
	if (c != EOF || quoted)
		return (c);
	if (!file->eof_reached) {
		file->eof_reached = 1;
		if (file->lastc != '\n' && file->lastc != 0)
			return ('\n');
	}
	if (file == topfile || popfile() == EOF)
		return (EOF);
	goto again;
}

/* Skip the rest of a bad line; the parser then recovers at its end. */
static int
findeol(void)
{
	int	 c;

	while ((c = lgetc(0)) != '\n' && c != EOF)
		;
	lungetc(c);
	lex_reported = 1;
	return (ERROR);
}

static int
lex_wordchar(int c)
{
	if (c == EOF || c > UCHAR_MAX)
		return (0);
	if (isalnum(c))
		return (1);
	return (ispunct(c) && strchr("(){}<>!=#,;\"'$", c) == NULL);
}

/* A bare word: a keyword, a number or a string. */
static int
lex_word(const char *buf)
{
	const char	*errstr, *p;
	int		 token;

	(void)strlcpy(lex_text, buf, sizeof(lex_text));
	if ((token = lookup(buf)) != STRING)
		return (token);
	p = buf + (*buf == '-');
	if (*p != '\0' && strspn(p, "0123456789") == strlen(p)) {
		yylval.v.number = strtonum(buf, LLONG_MIN, LLONG_MAX, &errstr);
		if (errstr != NULL) {
			yyerror("number %s is %s", buf, errstr);
			return (findeol());
		}
		return (NUMBER);
	}
	if ((yylval.v.string = strdup(buf)) == NULL)
		fatal("%s", __func__);
	return (STRING);
}

static int
lex_quoted(int quotec)
{
	char	 buf[PARSE_MAXTOKEN];
	size_t	 n = 0;
	int	 c, next;

	for (;;) {
		c = lgetc(1);
		if (c == EOF || c == '\n') {
			lungetc(c);
			yyerror("unterminated quoted string");
			return (findeol());
		}
		if (c == '\0') {
			yyerror("NUL byte in quoted string");
			return (findeol());
		}
		if (c == quotec)
			break;
		if (c == '\\') {
			if ((next = lgetc(1)) == '\n') {
				file->lineno++;
				continue;
			}
			if (next == quotec || next == '\\')
				c = next;
			else
				lungetc(next);
		}
		if (n >= sizeof(buf) - 1) {
			yyerror("quoted string too long");
			return (findeol());
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	if ((yylval.v.string = strdup(buf)) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(lex_text, buf, sizeof(lex_text));
	return (STRING);
}

/* $name stands for one word, its value: a keyword, a number or a string. */
static int
lex_macro(void)
{
	char		 buf[PARSE_MAXTOKEN];
	struct sym	*sym;
	size_t		 n = 0;
	int		 c;

	while ((c = lgetc(0)) != EOF && c <= UCHAR_MAX &&
	    (isalnum(c) || c == '_')) {
		if (n >= sizeof(buf) - 1) {
			yyerror("macro name too long");
			return (findeol());
		}
		buf[n++] = c;
	}
	lungetc(c);
	buf[n] = '\0';
	if (n == 0) {
		yyerror("macro name expected after $");
		return (findeol());
	}
	if ((sym = symget(buf)) == NULL) {
		yyerror("macro '%s' not defined", buf);
		return (findeol());
	}
	yylval.origin = sym;
	return (lex_word(sym->val));
}

static int
lex_next(void)
{
	char	 buf[PARSE_MAXTOKEN];
	size_t	 n;
	int	 c;

	lex_reported = 0;
	yylval.origin = NULL;
	while ((c = lgetc(0)) == ' ' || c == '\t' || c == '\r')
		;
	yylval.lineno = file->lineno;
	if (c == '#')
		while ((c = lgetc(0)) != '\n' && c != EOF)
			;
	switch (c) {
	case '$':
		return (lex_macro());
	case '"':
	case '\'':
		return (lex_quoted(c));
	case '\n':
		file->lineno++;
		return ('\n');
	case EOF:
		yylval.lineno = file->lineno > 1 ? file->lineno - 1 : 1;
		return (0);
	case '\0':
		yyerror("NUL byte");
		return (findeol());
	}
	if (!lex_wordchar(c))
		return (c);
	n = 0;
	do {
		if (n >= sizeof(buf) - 1) {
			yyerror("word too long");
			return (findeol());
		}
		buf[n++] = c;
	} while (lex_wordchar(c = lgetc(0)));
	lungetc(c);
	buf[n] = '\0';
	return (lex_word(buf));
}

int
yylex(void)
{
	struct lex_tok	*t;
	int		 tok, prev = lex_hist[0].tok;

	lex_text[0] = '\0';
	tok = lex_next();
	memmove(&lex_hist[1], &lex_hist[0], 2 * sizeof(lex_hist[0]));
	t = &lex_hist[0];
	t->tok = tok;
	t->first = prev == 0 || prev == '\n' || prev == '{' ||
	    (prev == LIMITS && lex_hist[1].first && lex_block == 0);
	if (yylval.origin != NULL)
		(void)snprintf(t->text, sizeof(t->text), "$%s",
		    yylval.origin->nam);
	else if (tok == NUMBER)
		(void)snprintf(t->text, sizeof(t->text), "%lld",
		    (long long)yylval.v.number);
	else if (tok > 0 && tok < 256)
		(void)snprintf(t->text, sizeof(t->text), "%c", tok);
	else
		(void)strlcpy(t->text, lex_text, sizeof(t->text));
	if ((prev == 0 || prev == '\n') && tok != '\n')
		lex_line = tok;
	if (tok == '{')
		lex_block = lex_line;
	else if (tok == '}')
		lex_block = 0;
	return (tok);
}

static struct file *
pushfile(const char *name)
{
	struct file	*nfile;
	struct stat	 st;
	int		 depth = 0, saved;

	TAILQ_FOREACH(nfile, &files, entry)
		depth++;
	if (depth >= PARSE_MAXINCLUDE) {
		errno = ELOOP;
		return (NULL);
	}
	if ((nfile = calloc(1, sizeof(*nfile))) == NULL ||
	    (nfile->name = strdup(name)) == NULL)
		fatal("%s", __func__);
	if ((nfile->stream = fopen(name, "r")) == NULL)
		goto fail;
	if (fstat(fileno(nfile->stream), &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	nfile->dev = st.st_dev;
	nfile->ino = st.st_ino;
	if (st.st_uid != 0 && st.st_uid != getuid())
		nfile->exposed = "is not owned by root or the current user";
	else if (st.st_mode & (S_IRWXG | S_IRWXO))
		nfile->exposed = "is readable or writable by others";
	nfile->lineno = 1;
	TAILQ_INSERT_TAIL(&files, nfile, entry);
	return (nfile);
fail:
	saved = errno;
	if (nfile->stream != NULL)
		fclose(nfile->stream);
	free(nfile->name);
	free(nfile);
	errno = saved;
	return (NULL);
}

static int
popfile(void)
{
	struct file	*prev;

	prev = TAILQ_PREV(file, files, entry);
	TAILQ_REMOVE(&files, file, entry);
	fclose(file->stream);
	free(file->name);
	free(file->ungetbuf);
	free(file);
	file = prev;
	return (file != NULL ? 0 : EOF);
}

/* A relative include is found next to the file that includes it. */
static int
include_file(const char *name)
{
	struct stat	 st;
	struct file	*nfile;
	char		 path[PATH_MAX];
	const char	*slash;
	int		 n;

	if (name[0] != '/' && (slash = strrchr(file->name, '/')) != NULL)
		n = snprintf(path, sizeof(path), "%.*s/%s",
		    (int)(slash - file->name), file->name, name);
	else
		n = snprintf(path, sizeof(path), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		yyerror("include path too long");
		return (-1);
	}
	/*
	 * A file that includes itself, directly or not, is refused at
	 * once: the depth limit alone lets a file that does it twice be
	 * read 2^PARSE_MAXINCLUDE times.
	 */
	if (stat(path, &st) == 0)
		TAILQ_FOREACH(nfile, &files, entry)
			if (nfile->dev == st.st_dev &&
			    nfile->ino == st.st_ino) {
				yyerror("include \"%s\": includes itself",
				    path);
				return (-1);
			}
	if ((nfile = pushfile(path)) == NULL) {
		yyerror("include \"%s\": %s", path, errno == ELOOP ?
		    "includes nested too deeply" : strerror(errno));
		return (-1);
	}
	file = nfile;
	lungetc('\n');
	return (0);
}

static int
macro_name_ok(const char *nam)
{
	const char	*p;

	if (*nam == '\0')
		return (0);
	for (p = nam; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return (0);
	return (1);
}

static int
symset(const char *nam, const char *val, int persist)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(nam, sym->nam) == 0)
			break;
	if (sym != NULL) {
		if (sym->persist && !persist)
			return (0);
		freezero(sym->val, strlen(sym->val) + 1);
		free(sym->file);
	} else {
		if ((sym = calloc(1, sizeof(*sym))) == NULL ||
		    (sym->nam = strdup(nam)) == NULL)
			fatal("%s", __func__);
		TAILQ_INSERT_TAIL(&symhead, sym, entry);
	}
	if ((sym->val = strdup(val)) == NULL)
		fatal("%s", __func__);
	sym->persist = persist;
	sym->used = 0;
	sym->file = NULL;
	sym->exposed = NULL;
	if (!persist && file != NULL) {
		if ((sym->file = strdup(file->name)) == NULL)
			fatal("%s", __func__);
		sym->exposed = file->exposed;
	}
	return (0);
}

static struct sym *
symget(const char *nam)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(nam, sym->nam) == 0) {
			sym->used = 1;
			return (sym);
		}
	return (NULL);
}

static int
macro_set(char *nam, const char *val)
{
	if (!macro_name_ok(nam)) {
		yyerror("macro name \"%s\": only letters, digits and _", nam);
		return (-1);
	}
	return (symset(nam, val, 0));
}

int
cmdline_symset(char *s)
{
	char	*nam, *val;
	int	 ret = -1;

	if ((val = strchr(s, '=')) == NULL)
		return (-1);
	if ((nam = strndup(s, val - s)) == NULL)
		fatal("%s", __func__);
	if (macro_name_ok(nam))
		ret = symset(nam, val + 1, 1);
	free(nam);
	return (ret);
}

/*
 * A password was just read: the file holding it, where it was written or
 * where the macro it came from was defined, must be private.
 */
static void
secret_check(struct sym *origin)
{
	if (origin == NULL && file->exposed != NULL)
		yyerror("%s holds a password and %s", file->name,
		    file->exposed);
	else if (origin != NULL && origin->exposed != NULL)
		yyerror("%s holds a password (macro %s) and %s",
		    origin->file, origin->nam, origin->exposed);
}

/* A password keyword, or a URI's user:password@. */
static int
conninfo_secret(const char *ci)
{
	const char	*p, *at;

	for (p = ci; *p != '\0'; p++)
		if (strncasecmp(p, "password", 8) == 0)
			return (1);
	if ((p = strstr(ci, "://")) == NULL || (at = strchr(p, '@')) == NULL)
		return (0);
	return (memchr(p + 3, ':', at - p - 3) != NULL);
}

static int
conf_copy(char *dst, const char *src, size_t len, const char *what)
{
	if (strlcpy(dst, src, len) >= len) {
		yyerror("%s too long", what);
		return (-1);
	}
	return (0);
}

static int
conf_path(char *dst, const char *src, size_t len, const char *what)
{
	if (*src != '/') {
		yyerror("%s \"%s\" is not an absolute path", what, src);
		return (-1);
	}
	return (conf_copy(dst, src, len, what));
}

static int
range(int64_t v, int64_t min, int64_t max, const char *what)
{
	if (v < min || v > max) {
		yyerror("%s %lld out of range (%lld to %lld)", what,
		    (long long)v, (long long)min, (long long)max);
		return (-1);
	}
	return (0);
}

/*
 * A number with an optional unit, case-insensitive: "kmg" for sizes
 * (powers of 1024), "smhd" for durations.
 */
static int
parse_scaled(const char *s, const char *units, int64_t max,
    const char *what, int64_t *out)
{
	static const int64_t	 sizes[] = { KILO, MEGA, GIGA };
	static const int64_t	 times[] = { 1, 60, 3600, DAY };
	char			 num[32];
	const char		*u, *errstr;
	size_t			 n;
	int64_t			 v, mult = 1;

	n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(num)) {
		yyerror(n == 0 ? "invalid %s \"%s\"" : "%s %s is too large",
		    what, s);
		return (-1);
	}
	if (s[n] != '\0') {
		if (s[n + 1] != '\0' ||
		    (u = strchr(units, tolower((unsigned char)s[n]))) == NULL) {
			yyerror("invalid %s \"%s\"", what, s);
			return (-1);
		}
		mult = units[0] == 's' ? times[u - units] : sizes[u - units];
	}
	memcpy(num, s, n);
	num[n] = '\0';
	v = strtonum(num, 0, LLONG_MAX, &errstr);
	if (errstr != NULL || v > max / mult) {
		yyerror("%s %s is too large", what, s);
		return (-1);
	}
	*out = v * mult;
	return (0);
}

static void
ref_add(int kind, const char *name)
{
	struct ref	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->file = strdup(file->name)) == NULL)
		fatal("%s", __func__);
	r->kind = kind;
	r->line = yylval.lineno;
	(void)strlcpy(r->name, name, sizeof(r->name));
	TAILQ_INSERT_TAIL(&refs, r, entry);
}

/* Domains, MUC services, upload services and components share JIDs. */
static const char *
jid_owner(const char *name)
{
	if (config_domain(conf, name) != NULL)
		return ("domain");
	if (config_muc(conf, name) != NULL)
		return ("muc");
	if (config_upload(conf, name) != NULL)
		return ("upload");
	if (config_component(conf, name) != NULL)
		return ("component");
	return (NULL);
}

static void
jid_name(char *dst, const char *src, const char *what)
{
	const char	*owner;
	char		*p;

	block_line = yylval.lineno;
	if (*src == '\0') {
		yyerror("%s name is empty", what);
		return;
	}
	if (conf_copy(dst, src, CONF_NAMELEN, "name") == -1)
		return;
	for (p = dst; *p != '\0'; p++) {
		if (isspace((unsigned char)*p) || strchr("@/\"'<>&", *p)) {
			yyerror("%s \"%s\": invalid character in name", what,
			    src);
			return;
		}
		*p = tolower((unsigned char)*p);
	}
	if ((owner = jid_owner(dst)) != NULL) {
		if (strcmp(owner, what) == 0)
			yyerror("duplicate %s \"%s\"", what, dst);
		else
			yyerror("%s \"%s\": name already used by a %s", what,
			    dst, owner);
	}
}

static void
plain_name(char *dst, const char *src, const char *what, int dup)
{
	block_line = yylval.lineno;
	if (*src == '\0')
		yyerror("%s name is empty", what);
	else if (conf_copy(dst, src, CONF_NAMELEN, "name") == 0 && dup)
		yyerror("duplicate %s \"%s\"", what, src);
}

static void
keypair_new(const char *name)
{
	struct keypair_conf	*k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		fatal("%s", __func__);
	plain_name(k->name, name, "tls keypair",
	    config_keypair(conf, name) != NULL);
	TAILQ_INSERT_TAIL(&conf->keypairs, k, entry);
	cur_keypair = k;
}

static void
ldap_new(const char *name)
{
	struct ldap_conf	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&l->servers);
	plain_name(l->name, name, "ldap", config_ldap(conf, name) != NULL);
	(void)strlcpy(l->filter, DEFAULT_LDAP_FILTER, sizeof(l->filter));
	l->timeout = DEFAULT_LDAP_TIMEOUT;
	TAILQ_INSERT_TAIL(&conf->ldaps, l, entry);
	cur_ldap = l;
}

/*
 * LDAP carries passwords: ldaps://, or ldap:// with starttls, or a
 * plain ldap:// to this machine's loopback.
 */
static void
ldap_server(const char *url, int starttls)
{
	struct ldap_server_conf	*s;
	struct ldapurl		 u;

	if (strncasecmp(url, "ldapi://", 8) == 0)
		yyerror("server \"%s\": ldapi:// cannot be reached from "
		    "ldapauthd's chroot, use ldap://127.0.0.1", url);
	else if (ldapurl_parse(url, &u) == -1)
		yyerror("server \"%s\": not an ldaps://host[:port] or "
		    "ldap://host[:port] URL", url);
	else if (u.tls == LDAPURL_TLS && starttls)
		yyerror("server \"%s\": starttls with ldaps://", url);
	else if (u.tls == LDAPURL_PLAIN && !starttls &&
	    !ldapurl_loopback(&u))
		yyerror("server \"%s\": LDAP must be encrypted, "
		    "use ldaps:// or add starttls", url);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("%s", __func__);
	(void)conf_copy(s->url, url, sizeof(s->url), "server URL");
	s->starttls = starttls;
	TAILQ_INSERT_TAIL(&cur_ldap->servers, s, entry);
}

static void
ldap_end(void)
{
	if (TAILQ_EMPTY(&cur_ldap->servers))
		conf_error(file->name, block_line, "ldap \"%s\" has no server",
		    cur_ldap->name);
	if (cur_ldap->base[0] == '\0')
		conf_error(file->name, block_line, "ldap \"%s\" has no base",
		    cur_ldap->name);
	cur_ldap = NULL;
}

static void
domain_new(const char *name)
{
	struct domain_conf	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&d->admins);
	jid_name(d->name, name, "domain");
	d->auth = AUTH_INTERNAL;
	d->registration = 0;
	d->archive_default = ARCHIVE_ALWAYS;
	d->archive_expire = 0;
	d->offline_limit = DEFAULT_OFFLINE_LIMIT;
	TAILQ_INSERT_TAIL(&conf->domains, d, entry);
	cur_domain = d;
}

/*
 * A contact address (XEP-0157) is a URI: a scheme, a colon, then no
 * blank; the clients that show it need no more.
 */
static void
domain_contact(int kind, const char *uri)
{
	struct contact_conf	*c;
	size_t			 n = strspn(uri, "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

	if (n == 0 || uri[n] != ':' || uri[n + 1] == '\0' ||
	    uri[strcspn(uri, " \t\r\n")] != '\0' || !xml_text_ok(uri, strlen(uri))) {
		yyerror("contact \"%s\" is not a URI (such as "
		    "mailto:abuse@example.org)", uri);
		return;
	}
	if (cur_domain->ncontacts == CONTACT_MAX) {
		yyerror("more than %d contact addresses", CONTACT_MAX);
		return;
	}
	c = &cur_domain->contacts[cur_domain->ncontacts];
	c->kind = kind;
	if (conf_copy(c->uri, uri, sizeof(c->uri), "contact URI") == 0)
		cur_domain->ncontacts++;
}

/* An admin is a bare JID: user@domain, nothing else. */
static void
domain_admin(const char *jid)
{
	struct admin_conf	*a;
	const char		*at, *p;

	at = strchr(jid, '@');
	if (at == NULL || at == jid || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strchr(jid, '/') != NULL ||
	    at - jid > 1023 || strlen(at + 1) > 1023) {
		yyerror("admin \"%s\" is not a bare JID (user@domain)", jid);
		return;
	}
	for (p = jid; *p != '\0'; p++)
		if (isspace((unsigned char)*p)) {
			yyerror("admin \"%s\": blank in JID", jid);
			return;
		}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(a->jid, jid, sizeof(a->jid));
	TAILQ_INSERT_TAIL(&cur_domain->admins, a, entry);
}

static void
muc_new(const char *name)
{
	struct muc_conf	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("%s", __func__);
	jid_name(m->name, name, "muc");
	m->create = MUC_CREATE_LOCAL;
	m->history = DEFAULT_MUC_HISTORY;
	m->archive_expire = 0;
	m->occupants = DEFAULT_MUC_OCCUPANTS;
	m->rooms_per_user = DEFAULT_MUC_ROOMS_PER_USER;
	m->nick_length = DEFAULT_MUC_NICK_LENGTH;
	m->subject_length = DEFAULT_MUC_SUBJECT_LENGTH;
	m->message_rate = DEFAULT_MUC_MESSAGE_RATE;
	m->message_period = DEFAULT_MUC_MESSAGE_PERIOD;
	TAILQ_INSERT_TAIL(&conf->mucs, m, entry);
	cur_muc = m;
}

static void
upload_new(const char *name)
{
	struct upload_conf	*u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		fatal("%s", __func__);
	jid_name(u->name, name, "upload");
	u->max_size = DEFAULT_UPLOAD_MAXSIZE;
	u->quota = DEFAULT_UPLOAD_QUOTA;
	u->expire = DEFAULT_UPLOAD_EXPIRE;
	(void)strlcpy(u->cors, "*", sizeof(u->cors));
	TAILQ_INSERT_TAIL(&conf->uploads, u, entry);
	cur_upload = u;
	cur_upload_cors = 0;
}

/*
 * The web origins whose scripts may use the service's URLs (CORS): "*"
 * for any, or scheme://host[:port] as browsers send it in Origin;
 * none: no CORS header at all.  Each cors line adds one origin.
 */
static void
upload_cors(const char *origin)
{
	conf_origins(cur_upload->cors, sizeof(cur_upload->cors),
	    &cur_upload_cors, "cors", origin);
}

/*
 * Origins, by spaces, in list (of size bytes), for keyword: the first
 * line named replaces the default (*named), NULL empties the list.
 */
static void
conf_origins(char *list, size_t size, int *named, const char *keyword,
    const char *origin)
{
	const char	*host;

	if (!*named || origin == NULL)
		list[0] = '\0';
	*named = 1;
	if (origin == NULL)
		return;
	if (strcmp(origin, "*") != 0) {
		if (strncmp(origin, "https://", 8) == 0)
			host = origin + 8;
		else if (strncmp(origin, "http://", 7) == 0)
			host = origin + 7;
		else
			host = NULL;
		if (host == NULL || *host == '\0' ||
		    strspn(host, "abcdefghijklmnopqrstuvwxyz0123456789.-:[]") !=
		    strlen(host)) {
			yyerror("%s \"%s\" is not \"*\" nor an origin "
			    "(http[s]://host[:port], lowercase)", keyword,
			    origin);
			return;
		}
	}
	if ((*list != '\0' && strlcat(list, " ", size) >= size) ||
	    strlcat(list, origin, size) >= size)
		yyerror("%s: too many origins", keyword);
}

static void
upload_url(const char *url)
{
	if ((strncasecmp(url, "https://", 8) != 0 || url[8] == '\0') &&
	    (strncasecmp(url, "http://", 7) != 0 || url[7] == '\0'))
		yyerror("url \"%s\" is not an https:// or http:// URL", url);
	else
		(void)conf_copy(cur_upload->url, url, sizeof(cur_upload->url),
		    "url");
}

static void
upload_end(void)
{
	if (cur_upload->url[0] == '\0')
		conf_error(file->name, block_line, "upload \"%s\" has no url",
		    cur_upload->name);
	if (cur_upload->quota < cur_upload->max_size)
		conf_error(file->name, block_line,
		    "upload \"%s\": quota is smaller than max size",
		    cur_upload->name);
	cur_upload = NULL;
}

static void
component_new(const char *name, const char *password)
{
	struct component_conf	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	jid_name(c->name, name, "component");
	if (*password == '\0')
		yyerror("component \"%s\": empty password", c->name);
	(void)conf_copy(c->password, password, sizeof(c->password),
	    "component password");
	TAILQ_INSERT_TAIL(&conf->components, c, entry);
}

static int
ss_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in6	*a6, *b6;

	if (a->ss_family != b->ss_family)
		return (0);
	if (a->ss_family == AF_INET)
		return (((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr);
	a6 = (const struct sockaddr_in6 *)a;
	b6 = (const struct sockaddr_in6 *)b;
	return (memcmp(&a6->sin6_addr, &b6->sin6_addr,
	    sizeof(a6->sin6_addr)) == 0 &&
	    a6->sin6_scope_id == b6->sin6_scope_id);
}

static int
ss_any(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		    htonl(INADDR_ANY));
	return (IN6_IS_ADDR_UNSPECIFIED(
	    &((const struct sockaddr_in6 *)ss)->sin6_addr));
}

/* Two sockets on one port: the same address, or a wildcard and another. */
static void
listen_clash(struct listen_conf *lc)
{
	struct listen_conf	*o;

	TAILQ_FOREACH(o, &conf->listeners, entry) {
		if (o->port != lc->port || o->ss.ss_family != lc->ss.ss_family)
			continue;
		if (ss_equal(&o->ss, &lc->ss)) {
			yyerror("listen on %s port %u: address and port "
			    "already used", lc->addr, lc->port);
			return;
		}
		if (ss_any(&o->ss) || ss_any(&lc->ss)) {
			yyerror("listen on %s port %u overlaps listen on %s "
			    "port %u", lc->addr, lc->port, o->addr, o->port);
			return;
		}
	}
}

static void
listen_one(const char *addr, const char *host, in_port_t port, int kind,
    int flags, const char *owner)
{
	struct addrinfo		 hints, *res;
	struct listen_conf	*lc;
	struct in_addr		 ina;

	/* getaddrinfo() takes "127.1" too; only dotted quads here. */
	if (strchr(host, ':') == NULL && inet_pton(AF_INET, host, &ina) != 1)
		host = "";
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	if (getaddrinfo(host, NULL, &hints, &res) != 0) {
		yyerror("listen on %s: not a numeric address, * or localhost",
		    addr);
		return;
	}
	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		fatal("%s", __func__);
	memcpy(&lc->ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (lc->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&lc->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&lc->ss)->sin6_port = htons(port);
	(void)conf_copy(lc->addr, addr, sizeof(lc->addr), "listen address");
	lc->port = port;
	lc->kind = kind;
	lc->flags = flags;
	(void)strlcpy(lc->owner, owner, sizeof(lc->owner));
	memcpy(lc->proxy, proxy_from, sizeof(lc->proxy));
	lc->nproxy = nproxy_from;
	lc->fd = -1;
	listen_clash(lc);
	TAILQ_INSERT_TAIL(&conf->listeners, lc, entry);
}

/* "*" is 0.0.0.0 and ::, "localhost" 127.0.0.1 and ::1. */
static void
listen_add(const char *addr, int64_t port, int kind, int flags,
    const char *owner)
{
	char	 where[CONF_NAMELEN];

	if (range(port, 1, 65535, "port") == -1)
		return;
	if (strcmp(addr, "*") == 0) {
		listen_one(addr, "0.0.0.0", port, kind, flags, owner);
		listen_one(addr, "::", port, kind, flags, owner);
	} else if (strcasecmp(addr, "localhost") == 0) {
		listen_one("localhost", "127.0.0.1", port, kind, flags, owner);
		listen_one("localhost", "::1", port, kind, flags, owner);
	} else
		listen_one(addr, addr, port, kind, flags, owner);
	if ((flags & LISTEN_TLS) || kind == LISTEN_CLIENT ||
	    kind == LISTEN_SERVER) {
		(void)snprintf(where, sizeof(where), "listen on %s port %lld",
		    addr, (long long)port);
		ref_add(REF_TLS, where);
	}
}

/* ADDR[/LEN] of "proxy from": a numeric address, host bits zero. */
static void
proxy_from_add(const char *s)
{
	struct proxy_net	*n;
	char			 host[INET6_ADDRSTRLEN], *len;
	const char		*errstr;
	uint8_t			*a;
	int			 af, max, i;

	if (nproxy_from >= LISTEN_PROXY_MAX) {
		yyerror("proxy from: more than %d networks", LISTEN_PROXY_MAX);
		return;
	}
	n = &proxy_from[nproxy_from];
	memset(n, 0, sizeof(*n));
	if (strlcpy(host, s, sizeof(host)) >= sizeof(host))
		goto bad;
	if ((len = strchr(host, '/')) != NULL)
		*len++ = '\0';
	af = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	max = af == AF_INET ? 32 : 128;
	a = af == AF_INET ? (uint8_t *)
	    &((struct sockaddr_in *)&n->ss)->sin_addr : (uint8_t *)
	    &((struct sockaddr_in6 *)&n->ss)->sin6_addr;
	if (inet_pton(af, host, a) != 1)
		goto bad;
	n->ss.ss_family = af;
	n->prefixlen = max;
	if (len != NULL) {
		n->prefixlen = strtonum(len, 0, max, &errstr);
		if (errstr != NULL)
			goto bad;
	}
	for (i = n->prefixlen; i < max; i++)
		if (a[i / 8] & (0x80 >> (i % 8))) {
			yyerror("proxy from %s: host bits set", s);
			return;
		}
	nproxy_from++;
	return;
 bad:
	yyerror("proxy from %s: not a numeric address[/length]", s);
}

static void
resolver_add(const char *s)
{
	struct resolver_conf	*rc, *o;
	int			 n = 0;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		fatal("%s", __func__);
	if (config_resolver_parse(s, rc) == -1) {
		yyerror("resolver \"%s\": not a numeric address, with "
		    "@PORT (1 to 65535) after it or not", s);
		free(rc);
		return;
	}
	TAILQ_FOREACH(o, &conf->resolvers, entry) {
		n++;
		if (o->port == rc->port && ss_equal(&o->ss, &rc->ss)) {
			yyerror("resolver \"%s\" is given twice", s);
			free(rc);
			return;
		}
	}
	if (n >= RESOLVER_MAX) {
		yyerror("resolver \"%s\": at most %d resolvers", s,
		    RESOLVER_MAX);
		free(rc);
		return;
	}
	TAILQ_INSERT_TAIL(&conf->resolvers, rc, entry);
}

/* What could only be checked once the whole file was read. */
static void
conf_check(void)
{
	struct ref	*r;
	int		 tls_told = 0;

	TAILQ_FOREACH(r, &refs, entry) {
		switch (r->kind) {
		case REF_KEYPAIR:
			if (config_keypair(conf, r->name) == NULL)
				conf_error(r->file, r->line,
				    "tls keypair \"%s\" is not defined",
				    r->name);
			break;
		case REF_LDAP:
			if (config_ldap(conf, r->name) == NULL)
				conf_error(r->file, r->line,
				    "ldap \"%s\" is not defined", r->name);
			break;
		case REF_TLS:
			if (TAILQ_EMPTY(&conf->keypairs) && !tls_told++)
				conf_error(r->file, r->line, "%s needs a tls "
				    "keypair and none is defined", r->name);
			break;
		}
	}
}

static void
parse_cleanup(void)
{
	struct ref	*r;
	struct sym	*sym, *next;

	while (file != NULL)
		(void)popfile();
	topfile = NULL;
	while ((r = TAILQ_FIRST(&refs)) != NULL) {
		TAILQ_REMOVE(&refs, r, entry);
		free(r->file);
		free(r);
	}
	/* Macros of the file go; those of -D stay for the next reload. */
	TAILQ_FOREACH_SAFE(sym, &symhead, entry, next) {
		if (!sym->used)
			log_debug("macro %s is not used", sym->nam);
		if (sym->persist)
			continue;
		TAILQ_REMOVE(&symhead, sym, entry);
		free(sym->nam);
		freezero(sym->val, strlen(sym->val) + 1);
		free(sym->file);
		free(sym);
	}
	cur_keypair = NULL;
	cur_ldap = NULL;
	cur_domain = NULL;
	cur_muc = NULL;
	cur_upload = NULL;
	/* A reload starts again from the defaults ("*" for cors). */
	cur_web_cors = cur_ws_origins = 0;
}

struct xmppd_config *
parse_config(const char *filename)
{
	struct xmppd_config	*c;
	char			 line[PARSE_MSG_LEN];

	if ((conf = config_new()) == NULL) {
		log_warn("%s", __func__);
		return (NULL);
	}
	g = &conf->global;
	errors = 0;
	parse_msgs_clear();
	if ((file = pushfile(filename)) == NULL) {
		(void)snprintf(line, sizeof(line), "%s: %s", filename,
		    strerror(errno));
		log_warnx("%s", line);
		parse_msg_add(line);
		config_free(conf);
		conf = NULL;
		return (NULL);
	}
	topfile = file;
	memset(lex_hist, 0, sizeof(lex_hist));
	lex_line = lex_block = 0;
	if (yyparse() != 0 && errors == 0)
		errors++;
	conf_check();
	parse_cleanup();
	c = conf;
	conf = NULL;
	g = NULL;
	if (errors) {
		config_free(c);
		return (NULL);
	}
	return (c);
}
