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
 * Internal accounts: only salted SCRAM keys are stored (SHA-1 and
 * SHA-256, a random salt per account and hash), never a password.
 * Created and changed by xmppctl(8) and, where a domain allows it, by
 * in-band registration (XEP-0077).
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "scram.h"
#include "store.h"
#include "throttle.h"

#define REGISTER_MAX		3	/* accounts per address ... */
#define REGISTER_PERIOD		600	/* ... in this many seconds */

static sqlite3_stmt	*st_insert, *st_delete, *st_keys, *st_setkeys;
static sqlite3_stmt	*st_list;
static struct throttle	*register_throttle;

void
account_init(void)
{
	store_exec("CREATE TABLE IF NOT EXISTS accounts ("
	    "domain TEXT NOT NULL, localpart TEXT NOT NULL, "
	    "created INTEGER NOT NULL, PRIMARY KEY (domain, localpart))");
	store_exec("CREATE TABLE IF NOT EXISTS scram ("
	    "domain TEXT NOT NULL, localpart TEXT NOT NULL, "
	    "hash INTEGER NOT NULL, iterations INTEGER NOT NULL, "
	    "salt BLOB NOT NULL, stored_key BLOB NOT NULL, "
	    "server_key BLOB NOT NULL, PRIMARY KEY (domain, localpart, hash), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)");
	st_insert = store_prepare("INSERT INTO accounts "
	    "(domain, localpart, created) VALUES (?, ?, ?)");
	st_delete = store_prepare("DELETE FROM accounts "
	    "WHERE domain = ? AND localpart = ?");
	st_keys = store_prepare("SELECT iterations, salt, stored_key, "
	    "server_key FROM scram WHERE domain = ? AND localpart = ? "
	    "AND hash = ?");
	st_setkeys = store_prepare("INSERT OR REPLACE INTO scram (domain, "
	    "localpart, hash, iterations, salt, stored_key, server_key) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)");
	st_list = store_prepare("SELECT localpart FROM accounts "
	    "WHERE domain = ? ORDER BY localpart");
	register_throttle = throttle_new(REGISTER_MAX, REGISTER_PERIOD, 4096);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) != SQLITE_OK)
		fatalx("store: bind: %s", sqlite3_errmsg(store_db));
}

/* The SCRAM keys of an account for one hash; -1 when there is none. */
int
account_keys(const char *domain, const char *local, int hash,
    struct scram_keys *k)
{
	const void	*p;
	int		 ret = -1, n;

	sqlite3_reset(st_keys);
	bind_text(st_keys, 1, domain);
	bind_text(st_keys, 2, local);
	sqlite3_bind_int(st_keys, 3, hash);
	if (sqlite3_step(st_keys) != SQLITE_ROW)
		goto done;
	memset(k, 0, sizeof(*k));
	k->hash = hash;
	k->iter = sqlite3_column_int(st_keys, 0);
	n = sqlite3_column_bytes(st_keys, 1);
	p = sqlite3_column_blob(st_keys, 1);
	if (n <= 0 || n > SCRAM_SALTMAX || p == NULL)
		goto done;
	memcpy(k->salt, p, n);
	k->saltlen = n;
	if (sqlite3_column_bytes(st_keys, 2) != (int)scram_hashlen(hash) ||
	    sqlite3_column_bytes(st_keys, 3) != (int)scram_hashlen(hash))
		goto done;
	memcpy(k->stored_key, sqlite3_column_blob(st_keys, 2),
	    scram_hashlen(hash));
	memcpy(k->server_key, sqlite3_column_blob(st_keys, 3),
	    scram_hashlen(hash));
	ret = 0;
 done:
	sqlite3_reset(st_keys);
	sqlite3_clear_bindings(st_keys);
	return (ret);
}

static int
account_set_keys(const char *domain, const char *local, const char *password)
{
	static const int	 hashes[] = { SCRAM_SHA1, SCRAM_SHA256 };
	struct scram_keys	 k;
	uint8_t			 salt[SCRAM_SALTLEN];
	size_t			 i, hl;
	int			 ret = 0;

	for (i = 0; i < nitems(hashes) && ret == 0; i++) {
		arc4random_buf(salt, sizeof(salt));
		if (scram_derive(hashes[i], password, salt, sizeof(salt),
		    SCRAM_ITER_MIN, &k) == -1)
			return (-1);
		hl = scram_hashlen(hashes[i]);
		sqlite3_reset(st_setkeys);
		bind_text(st_setkeys, 1, domain);
		bind_text(st_setkeys, 2, local);
		sqlite3_bind_int(st_setkeys, 3, hashes[i]);
		sqlite3_bind_int(st_setkeys, 4, k.iter);
		sqlite3_bind_blob(st_setkeys, 5, k.salt, k.saltlen,
		    SQLITE_STATIC);
		sqlite3_bind_blob(st_setkeys, 6, k.stored_key, hl,
		    SQLITE_STATIC);
		sqlite3_bind_blob(st_setkeys, 7, k.server_key, hl,
		    SQLITE_STATIC);
		if (sqlite3_step(st_setkeys) != SQLITE_DONE)
			ret = -1;
		sqlite3_reset(st_setkeys);
		sqlite3_clear_bindings(st_setkeys);
		explicit_bzero(&k, sizeof(k));
	}
	return (ret);
}

enum {
	ACCOUNT_OK,
	ACCOUNT_EXISTS,
	ACCOUNT_NOT_FOUND,
	ACCOUNT_BAD_PASSWORD,
	ACCOUNT_ERROR,
};

static int
account_create(const char *domain, const char *local, const char *password)
{
	int	 rc;

	if (store_begin() == -1)
		return (ACCOUNT_ERROR);
	sqlite3_reset(st_insert);
	bind_text(st_insert, 1, domain);
	bind_text(st_insert, 2, local);
	sqlite3_bind_int64(st_insert, 3, time(NULL));
	rc = sqlite3_step(st_insert);
	sqlite3_reset(st_insert);
	sqlite3_clear_bindings(st_insert);
	if (rc == SQLITE_CONSTRAINT) {
		store_rollback();
		return (ACCOUNT_EXISTS);
	}
	if (rc != SQLITE_DONE) {
		store_rollback();
		return (ACCOUNT_ERROR);
	}
	if (account_set_keys(domain, local, password) == -1) {
		store_rollback();
		return (ACCOUNT_BAD_PASSWORD);
	}
	return (store_commit() == 0 ? ACCOUNT_OK : ACCOUNT_ERROR);
}

static int
account_password(const char *domain, const char *local, const char *password)
{
	struct scram_keys	 k;

	if (account_keys(domain, local, SCRAM_SHA256, &k) == -1)
		return (ACCOUNT_NOT_FOUND);
	explicit_bzero(&k, sizeof(k));
	if (store_begin() == -1)
		return (ACCOUNT_ERROR);
	if (account_set_keys(domain, local, password) == -1) {
		store_rollback();
		return (ACCOUNT_BAD_PASSWORD);
	}
	return (store_commit() == 0 ? ACCOUNT_OK : ACCOUNT_ERROR);
}

/* Delete an account and, through the foreign keys, all its data. */
static int
account_delete(const char *domain, const char *local)
{
	int	 rc, n;

	sqlite3_reset(st_delete);
	bind_text(st_delete, 1, domain);
	bind_text(st_delete, 2, local);
	rc = sqlite3_step(st_delete);
	n = sqlite3_changes(store_db);
	sqlite3_reset(st_delete);
	sqlite3_clear_bindings(st_delete);
	if (rc != SQLITE_DONE)
		return (ACCOUNT_ERROR);
	return (n > 0 ? ACCOUNT_OK : ACCOUNT_NOT_FOUND);
}

/* Close the sessions of a deleted account. */
static void
account_kick(const char *domain, const char *local)
{
	struct imsgev	*router;
	struct ctl_user	 cu;

	if ((router = proc_peer(PROC_ROUTER, 0)) == NULL)
		return;
	memset(&cu, 0, sizeof(cu));
	(void)snprintf(cu.jid, sizeof(cu.jid), "%s@%s", local, domain);
	imsgev_compose(router, IMSG_CTL_USER_DELETE, 0, 0, -1, &cu,
	    sizeof(cu));
}

static const char *
account_error(int r)
{
	switch (r) {
	case ACCOUNT_EXISTS:
		return ("account exists");
	case ACCOUNT_NOT_FOUND:
		return ("no such account");
	case ACCOUNT_BAD_PASSWORD:
		return ("password not acceptable");
	}
	return ("database error");
}

/* A JID naming an internal account of a configured domain. */
static const char *
account_jid(const char *in, struct jid *j)
{
	struct domain_conf	*d;

	if (jid_parse(in, j) == -1 || j->local[0] == '\0' ||
	    j->resource[0] != '\0')
		return ("not a valid bare JID (user@domain)");
	if ((d = config_domain(proc_self.conf, j->domain)) == NULL)
		return ("no such domain in the configuration");
	if (d->auth != AUTH_INTERNAL)
		return ("the domain does not use internal accounts");
	return (NULL);
}

static void
account_ctl_list(struct imsgev *iev, uint32_t peerid, const char *domain)
{
	struct ctl_user	 cu;
	char		 d[CONF_NAMELEN];

	if (strlcpy(d, domain, sizeof(d)) >= sizeof(d) ||
	    jid_prep_domain(d, sizeof(d)) == -1 ||
	    config_domain(proc_self.conf, d) == NULL) {
		imsgev_compose(iev, IMSG_CTL_FAIL, peerid, 0, -1,
		    "no such domain", sizeof("no such domain"));
		return;
	}
	sqlite3_reset(st_list);
	bind_text(st_list, 1, d);
	while (sqlite3_step(st_list) == SQLITE_ROW) {
		memset(&cu, 0, sizeof(cu));
		(void)snprintf(cu.jid, sizeof(cu.jid), "%s@%s",
		    sqlite3_column_text(st_list, 0), d);
		imsgev_compose(iev, IMSG_CTL_USER, peerid, 0, -1, &cu,
		    sizeof(cu));
	}
	sqlite3_reset(st_list);
	sqlite3_clear_bindings(st_list);
	imsgev_compose(iev, IMSG_CTL_END, peerid, 0, -1, NULL, 0);
}

static int
account_ctl(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_user	 cu;
	struct jid	 j;
	const char	*err;
	uint32_t	 peerid = imsg_get_id(imsg);
	int		 r;

	if (iev->type != PROC_CONTROL ||
	    imsg_get_data(imsg, &cu, sizeof(cu)) == -1)
		return (-1);
	cu.jid[sizeof(cu.jid) - 1] = '\0';
	cu.password[sizeof(cu.password) - 1] = '\0';
	if (imsg_get_type(imsg) == IMSG_CTL_USER_LIST) {
		account_ctl_list(iev, peerid, cu.jid);
		return (0);
	}
	if ((err = account_jid(cu.jid, &j)) == NULL) {
		switch (imsg_get_type(imsg)) {
		case IMSG_CTL_USER_ADD:
			r = account_create(j.domain, j.local, cu.password);
			break;
		case IMSG_CTL_USER_PASSWORD:
			r = account_password(j.domain, j.local, cu.password);
			break;
		default:
			if ((r = account_delete(j.domain, j.local)) ==
			    ACCOUNT_OK)
				account_kick(j.domain, j.local);
			break;
		}
		if (r != ACCOUNT_OK)
			err = account_error(r);
		else
			log_info("account %s@%s: %s", j.local, j.domain,
			    imsg_get_type(imsg) == IMSG_CTL_USER_ADD ?
			    "created" : imsg_get_type(imsg) ==
			    IMSG_CTL_USER_DELETE ? "deleted" :
			    "password changed");
	}
	explicit_bzero(&cu, sizeof(cu));
	if (err != NULL)
		imsgev_compose(iev, IMSG_CTL_FAIL, peerid, 0, -1, err,
		    strlen(err) + 1);
	else
		imsgev_compose(iev, IMSG_CTL_OK, peerid, 0, -1, NULL, 0);
	return (0);
}

static int
account_register_op(struct register_req *req)
{
	struct domain_conf	*d;
	time_t			 now = time(NULL);
	int			 r;

	if ((d = config_domain(proc_self.conf, req->domain)) == NULL ||
	    d->auth != AUTH_INTERNAL)
		return (REGISTER_NOT_ALLOWED);
	if (jid_prep_local(req->localpart, sizeof(req->localpart)) == -1 ||
	    req->localpart[0] == '\0' || req->password[0] == '\0')
		return (REGISTER_NOT_ACCEPTABLE);
	switch (req->op) {
	case REGISTER_CREATE:
		if (!d->registration)
			return (REGISTER_NOT_ALLOWED);
		if (throttle_over(register_throttle, req->addr, now))
			return (REGISTER_RATE_LIMITED);
		r = account_create(req->domain, req->localpart, req->password);
		if (r == ACCOUNT_OK) {
			throttle_hit(register_throttle, req->addr, now);
			log_info("account %s@%s registered from %s",
			    req->localpart, req->domain, req->addr);
		}
		break;
	case REGISTER_PASSWORD:
		r = account_password(req->domain, req->localpart,
		    req->password);
		break;
	case REGISTER_REMOVE:
		if ((r = account_delete(req->domain, req->localpart)) ==
		    ACCOUNT_OK)
			account_kick(req->domain, req->localpart);
		break;
	default:
		return (REGISTER_INTERNAL_ERROR);
	}
	switch (r) {
	case ACCOUNT_OK:
		return (REGISTER_OK);
	case ACCOUNT_EXISTS:
		return (REGISTER_CONFLICT);
	case ACCOUNT_BAD_PASSWORD:
		return (REGISTER_NOT_ACCEPTABLE);
	case ACCOUNT_NOT_FOUND:
		return (REGISTER_NOT_ALLOWED);
	}
	return (REGISTER_INTERNAL_ERROR);
}

static int
account_register(struct imsgev *iev, struct imsg *imsg)
{
	struct register_req	 req;
	struct register_result	 res;

	if (iev->type != PROC_STREAM ||
	    imsg_get_data(imsg, &req, sizeof(req)) == -1)
		return (-1);
	req.domain[sizeof(req.domain) - 1] = '\0';
	req.addr[sizeof(req.addr) - 1] = '\0';
	req.localpart[sizeof(req.localpart) - 1] = '\0';
	req.password[sizeof(req.password) - 1] = '\0';
	memset(&res, 0, sizeof(res));
	res.status = account_register_op(&req);
	explicit_bzero(&req, sizeof(req));
	imsgev_compose(iev, IMSG_REGISTER_RESULT, imsg_get_id(imsg), 0, -1,
	    &res, sizeof(res));
	return (0);
}

int
account_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_USER_ADD:
	case IMSG_CTL_USER_DELETE:
	case IMSG_CTL_USER_PASSWORD:
	case IMSG_CTL_USER_LIST:
		return (account_ctl(iev, imsg));
	case IMSG_REGISTER:
		return (account_register(iev, imsg));
	}
	return (1);
}
