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
 * store_sqlite.c now, a PostgreSQL file later.  The store's parts
 * (accounts, SASL, offline messages, rosters) speak only to this.
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
};

extern const struct store_backend	 store_sqlite;
extern const struct store_backend	*store_be;

#endif /* STORE_BACKEND_H */
