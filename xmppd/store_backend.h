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
 * The store's data access, one set of operations per database engine:
 * store_sqlite*.c and store_pg*.c.  The store's parts (accounts, SASL,
 * offline messages, rosters) speak only to this.
 */

#ifndef STORE_BACKEND_H
#define STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct global_conf;
struct scram_keys;
struct roster_item_msg;

struct store_backend {
	const char	*name;
	void		(*open)(const struct global_conf *);
	void		(*close)(void);

	/* Transactions; begin inside a batch nests. */
	void		(*batch_begin)(void);
	void		(*batch_end)(void);
	int		(*begin)(void);
	int		(*commit)(void);
	void		(*rollback)(void);

	/* Accounts: insert returns 1 when it exists already. */
	int		(*account_insert)(const char *, const char *, time_t);
	int		(*account_delete)(const char *, const char *);
	int		(*account_exists)(const char *, const char *);
	int		(*account_list)(const char *,
			    void (*)(const char *, void *), void *);
	int		(*keys_get)(const char *, const char *, int,
			    struct scram_keys *);
	int		(*keys_put)(const char *, const char *,
			    const struct scram_keys *);

	/* Offline messages: take hands them over, then deletes them. */
	int		(*offline_count)(const char *, const char *);
	int		(*offline_put)(const char *, const char *, time_t,
			    const char *, size_t);
	int		(*offline_take)(const char *, const char *,
			    void (*)(const char *, size_t, void *), void *);

	/* Rosters. */
	int64_t		(*roster_version)(const char *, const char *);
	int		(*roster_set_version)(const char *, const char *,
			    int64_t);
	int		(*roster_items)(const char *, const char *,
			    void (*)(struct roster_item_msg *, const char *,
			    const char *, const char *, void *), void *);
	int		(*roster_put)(const struct roster_item_msg *,
			    const char *, const char *, const char *);
	int		(*roster_del)(const char *, const char *, const char *);

	/* Per-user XML items (store_xml.c). */
	const struct store_xml_ops *xml;

	/* Message archives (store_mam.c). */
	const struct store_mam_ops *mam;

	/* 0 while the database cannot be reached; NULL: always there. */
	int		(*up)(void);

	/* Every archived message of one account given to another. */
	int		(*mam_move)(const char *, const char *, const char *,
			    const char *);

	/* Accounts' state (store_account_state.c). */
	const struct store_state_ops *state;

	/* Messages of the day set by admins (store_motd.c). */
	const struct store_motd_ops *motd;
};

/*
 * each: every stored motd given to the function (which says -1 to
 * stop), 0 or -1 when the database cannot say.  set: a domain's motd
 * replaced, with who set it and when; delete: 1 when there was one, 0
 * when not; both -1 on error.
 */
struct store_motd_ops {
	int		(*each)(int (*)(const char *, const char *, void *),
			    void *);
	int		(*set)(const char *, const char *, const char *,
			    int64_t);
	int		(*delete)(const char *);
};

/*
 * An account's state: whether it is disabled and why, when it was made,
 * its last login and from where; roster and archive sizes for counts.
 */
struct account_state {
	int64_t		 created;
	int		 disabled;
	char		 reason[256];
	int64_t		 last_login;
	char		 last_addr[64];
};

/*
 * get: 1 and the state, 0 when there is no such account, -1 when the
 * database cannot say.  disable and login: 0, or -1; the account must
 * exist.  counts: its contacts and archived messages, or -1.
 */
struct store_state_ops {
	int		(*get)(const char *, const char *,
			    struct account_state *);
	int		(*disable)(const char *, const char *, int,
			    const char *);
	int		(*login)(const char *, const char *, int64_t,
			    const char *);
	int		(*counts)(const char *, const char *, int64_t *,
			    int64_t *);
};

/*
 * An account's XML items by (space, key), newest first.  get's callback
 * returns -1 to stop; a NULL key is every key of the space.
 */
struct store_xml_ops {
	int		(*get)(const char *, const char *, const char *,
			    const char *, uint32_t, int (*)(const char *,
			    const char *, size_t, void *), void *);
	int		(*count)(const char *, const char *, const char *);
	int		(*exists)(const char *, const char *, const char *,
			    const char *);
	int		(*put)(const char *, const char *, const char *,
			    const char *, const char *, size_t);
	int		(*del)(const char *, const char *, const char *,
			    const char *);
	int		(*trim)(const char *, const char *, const char *,
			    uint32_t);
};

struct mam_query;
struct mam_fin;
struct mam_row;

/*
 * What archiving a message needs to know of an owner: does the account
 * exist (1, 0, -1: cannot say), its preferences when it set them (the
 * lists allocated), and whether it blocks anyone at all (0: nobody).
 */
struct mam_facts {
	const char	*domain;
	const char	*localpart;
	int		 exists;
	int		 custom;
	int		 dflt;
	char		*always;
	char		*never;
	int		 blocks;
};

/* One archive row to write; the backend fills in id (MAM_ID_LEN) and ok. */
struct mam_put {
	const char	*domain;
	const char	*localpart;
	const char	*with;
	const char	*res;
	int		 direction;
	int64_t		 stamp;
	const char	*xml;
	size_t		 len;
	char		*id;
	int		 ok;
};

/*
 * Message archives (XEP-0313).  put fills in the new row's id; query
 * calls back for each row of the page in the order to send, and fills
 * in the fin; bounds fills in an account's first and last rows in
 * archive order, ids "" when it has none; expire deletes at most 'limit'
 * rows older than a stamp, oldest first from *from on (the newest it
 * deleted put there, where the next call starts), and returns how many.
 */
struct store_mam_ops {
	int		(*put)(const char *, const char *, const char *,
			    const char *, int, int64_t, const char *, size_t,
			    char *);
	int		(*query)(const struct mam_query *, int (*)(const char *,
			    int64_t, const char *, size_t, void *), void *,
			    struct mam_fin *);
	int		(*bounds)(const char *, const char *, struct mam_row *,
			    struct mam_row *);
	int		(*prefs_get)(const char *, const char *, int *,
			    char **, char **);
	int		(*prefs_put)(const char *, const char *, int,
			    const char *, const char *);
	int		(*in_roster)(const char *, const char *, const char *);
	int64_t		(*expire)(const char *, int64_t, int64_t *, int);
	int64_t		(*count)(const char *);		/* a domain's rows */
	int64_t		(*db_bytes)(void);		/* the whole file */
	/*
	 * query, answered later: the rows to the callback, then the fin
	 * (MAM_ERROR on failure) to done, from the event loop or at once.
	 * NULL: query answers at once.
	 */
	void		(*query_start)(const struct mam_query *,
			    int (*)(const char *, int64_t, const char *, size_t,
			    void *), void (*)(const struct mam_fin *, void *),
			    void *);
	/*
	 * Many owners' facts, many rows, each in one statement; a row's
	 * failure loses no other.  NULL: one call per owner and per row.
	 */
	void		(*facts)(struct mam_facts *, int);
	void		(*put_many)(struct mam_put *, int);
};

/* The seqs a query's ids stand for, 0 for none (store_mam_sql.c). */
struct mam_bounds {
	int64_t		 after;		/* form after-id */
	int64_t		 before;
	int64_t		 rsm_after;
	int64_t		 rsm_before;
};

int		 mam_where(char *, size_t, const struct mam_query *,
		    const struct mam_bounds *, int, const char *, char);
int64_t		 mam_count_max(void);
int		 mam_count_sql(char *, size_t, const struct mam_query *,
		    const struct mam_bounds *, const char *, int64_t, char);

extern const struct store_state_ops	 sqlite_state;
extern const struct store_state_ops	 pg_state;
extern const struct store_motd_ops	 sqlite_motd;
extern const struct store_motd_ops	 pg_motd;
extern const struct store_backend	 store_sqlite;
extern const struct store_xml_ops	 sqlite_xml;
extern const struct store_mam_ops	 sqlite_mam;
extern const struct store_backend	 store_pg;
extern const struct store_xml_ops	 pg_xml;
extern const struct store_mam_ops	 pg_mam;
extern const struct store_backend	*store_be;

int		 pie_sqlite_move(const char *, const char *, const char *,
		    const char *);
int		 pie_pg_move(const char *, const char *, const char *,
		    const char *);

#endif /* STORE_BACKEND_H */
