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
 * uploadd, chrooted to datadir/upload, which holds:
 *
 *	secret		the HMAC key of PUT URLs (0600), never sent anywhere
 *	upload.db	what each file is: service, owner, name, type, size
 *	tmp/SLOT	a file being received, never served
 *	files/SLOT	complete files, the only ones GET serves
 *
 * A slot is 128 random bits in 32 lowercase hex digits; it names the
 * file on disk, so no name a client chose ever reaches a path.  URLs
 * are URL/SLOT/NAME, NAME percent-encoded; the PUT URL adds ?s=SIG, an
 * HMAC-SHA256 (hex) over the slot, size, type and expiry of the slot.
 * A file goes tmp/SLOT -> fsync -> files/SLOT -> database "done"; at
 * start tmp/ is emptied, and a slot still pending whose files/SLOT
 * exists is complete (the database step was lost).
 */

#ifndef UPLOAD_H
#define UPLOAD_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "jid.h"

struct imsg;
struct imsgev;

#define UPLOAD_SLOT_LEN		32	/* hex digits */
#define UPLOAD_NAME_MAX		255	/* bytes of a file name */
#define UPLOAD_TYPE_MAX		255	/* bytes of a content type */
#define UPLOAD_SIG_LEN		64	/* hex digits of HMAC-SHA256 */
#define UPLOAD_SLOT_TTL		300	/* seconds to start the PUT */

#define UPLOAD_DIR_FILES	"files"
#define UPLOAD_DIR_TMP		"tmp"
#define UPLOAD_SECRET		"secret"
#define UPLOAD_DB		"upload.db"

enum upload_state {
	UPLOAD_PENDING,		/* slot handed out, no complete PUT yet */
	UPLOAD_DONE,		/* files/SLOT is there */
};

struct upload_file {
	char		 slot[UPLOAD_SLOT_LEN + 1];
	char		 service[CONF_NAMELEN];
	char		 owner[JID_BUFSIZE];	/* bare JID */
	char		 name[UPLOAD_NAME_MAX + 1];
	char		 type[UPLOAD_TYPE_MAX + 1];
	int64_t		 size;
	time_t		 created;	/* slot handed out */
	time_t		 expires;	/* PENDING: the PUT must start before */
	time_t		 completed;	/* DONE: when; Last-Modified */
	int		 state;		/* enum upload_state */
};

/* uploadd.c */
int	 upload_slot_valid(const char *);	/* 32 lowercase hex digits */
struct upload_conf *upload_service(const char *);

#define UPLOAD_STATS_TOP	10

/* A service's use, as xmppctl upload stats shows it. */
struct upload_stats {
	char		 service[CONF_NAMELEN];
	int64_t		 files;		/* complete */
	int64_t		 bytes;		/* of complete files */
	int64_t		 pending;	/* slots handed out, not used */
	size_t		 ntop;
	struct {
		char	 owner[JID_BUFSIZE];
		int64_t	 files;
		int64_t	 bytes;
	}		 top[UPLOAD_STATS_TOP];	/* by bytes */
};

/* Which slots upload_db_list() visits. */
enum upload_db_query {
	UPLOAD_LIST_STALE,	/* pending, expiring before t */
	UPLOAD_LIST_OLD,	/* done in service arg before t */
	UPLOAD_LIST_OWNER,	/* of bare JID arg, every service */
	UPLOAD_LIST_ALL,
};

/*
 * upload_db.c: 0 done, 1 no such slot (get, done: no such pending slot,
 * delete), -1 error.
 */
void	 upload_db_open(const char *);
void	 upload_db_close(void);
int	 upload_db_insert(const struct upload_file *);
int	 upload_db_get(const char *, struct upload_file *);
int	 upload_db_done(const char *, time_t);
int	 upload_db_delete(const char *);
int64_t	 upload_db_usage(const char *, const char *, time_t); /* -1 error */
int	 upload_db_list(int, const char *, time_t,
	    void (*)(const char *, void *), void *);	/* rows, or -1 */
int	 upload_db_stats(const char *, struct upload_stats *);

/*
 * upload_sign.c: upload_sign() writes UPLOAD_SIG_LEN hex digits and a
 * NUL, 0 or -1; upload_sign_check() is 0 only when the signature is
 * that of every field of the slot, -1 otherwise.
 */
void	 upload_sign_init(void);
int	 upload_sign(const struct upload_file *, char *, size_t);
int	 upload_sign_check(const struct upload_file *, const char *);

/* upload_slot.c: XMPP, stanzas from the router. */
void	 upload_slot_in(struct imsg *);

/* upload_admin.c: expiry, purge, stats, accounts deleted. */
void	 upload_admin_start(void);
int	 upload_admin_dispatch(struct imsgev *, struct imsg *);

/* upload_http.c: listeners, connections; upload_put.c, upload_get.c. */
void	 upload_http_configure(struct xmppd_config *);
void	 upload_http_serve(int, const char *, const char *, int);
int	 upload_put_busy(const char *);		/* a PUT of the slot runs */

#endif /* UPLOAD_H */
