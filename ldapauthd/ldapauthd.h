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
 * ldapauthd: the LDAP directory behind "auth ldap" domains.  One
 * struct ldap_dir per ldap block; its connections (ldap_conn.c) carry
 * searches on the service connection, bound as the service DN, and
 * user binds on connections of their own.
 */

#ifndef LDAPAUTHD_H
#define LDAPAUTHD_H

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <ldap.h>
#include <time.h>

#include "config.h"
#include "ldaputil.h"

struct lconn;
struct lop;

/* What an operation's completion says. */
enum lop_status {
	LOP_DONE,		/* the directory answered: see the LDAP code */
	LOP_UNAVAILABLE,	/* no server answered in time */
};

/* Called for every entry of a search, then once at the end. */
typedef void	(*lop_entry_cb)(void *, LDAP *, LDAPMessage *);
typedef void	(*lop_done_cb)(void *, int, int, struct berval *);

/* A server line, with what "xmppctl show ldap" reports of it. */
struct ldap_srv {
	char		 url[CONF_STRLEN];
	struct ldapurl	 u;
	int		 starttls;
	char		 error[256];
	time_t		 error_time;
	uint64_t	 binds_ok;
	uint64_t	 binds_failed;
	uint64_t	 searches;
};

TAILQ_HEAD(lop_list, lop);
TAILQ_HEAD(lconn_list, lconn);

struct ldap_dir {
	TAILQ_ENTRY(ldap_dir)	 entry;
	struct ldap_conf	*conf;		/* of the running config */
	char			 userattr[CONF_NAMELEN];
	struct tls_config	*tls;
	struct ldap_srv		*srv;
	int			 nsrv;
	struct lconn		*svc;		/* searches */
	struct lconn_list	 users;		/* user binds */
	int			 nusers;
	struct lop_list		 wsearch;	/* waiting for svc */
	struct lop_list		 wbind;		/* waiting for a user conn */
	struct timespec		 failed;	/* every server, last time */
	struct event		 retry;
	int			 backoff;	/* seconds */
	/* the shared roster group being read */
	struct event		 refresh;
	struct ldap_member	*members;
	size_t			 nmembers, maxmembers;
	int			 refreshing;
	int			 dying;
	int			 refresh_again;
	struct berval		 cookie;
};

TAILQ_HEAD(ldap_dir_list, ldap_dir);

/* ldap_conn.c */
void		 conn_init(void);
struct ldap_dir	*dir_new(struct ldap_conf *);
void		 dir_free(struct ldap_dir *);
int		 dir_reconf(struct ldap_dir *, struct ldap_conf *);
void		 dir_search(struct ldap_dir *, const char *, const char **,
		    int, struct berval *, lop_entry_cb, lop_done_cb, void *);
void		 dir_bind(struct ldap_dir *, const char *, const char *,
		    lop_done_cb, void *);
int		 dir_connected(struct ldap_dir *, int);

#ifdef REGRESS
/* ldap_regress.c */
int		 ldap_regress_login(const char *, size_t);
#endif

#endif /* LDAPAUTHD_H */
