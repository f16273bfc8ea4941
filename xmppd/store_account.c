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
 * in-band registration (XEP-0077).  Users of "auth ldap" domains get
 * an account row, without keys, once the directory knows them.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "grant.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "scram.h"
#include "store.h"
#include "throttle.h"

#define REGISTER_MAX		3	/* accounts per address ... */
#define REGISTER_PERIOD		600	/* ... in this many seconds */

static struct throttle	*register_throttle;

void
account_init(void)
{
	register_throttle = throttle_new("registrations", REGISTER_MAX,
	    REGISTER_PERIOD, 4096);
}

/* The SCRAM keys of an account for one hash; -1 when there is none. */
int
account_keys(const char *domain, const char *local, int hash,
    struct scram_keys *k)
{
	return (store_be->keys_get(domain, local, hash, k));
}

/* New keys of one hash for password, with a salt of their own. */
int
account_hash_keys(const char *domain, const char *local, int hash,
    const char *password)
{
	struct scram_keys	 k;
	uint8_t			 salt[SCRAM_SALTLEN];
	int			 ret;

	arc4random_buf(salt, sizeof(salt));
	if (scram_derive(hash, password, salt, sizeof(salt), SCRAM_ITER_MIN,
	    &k) == -1)
		return (-1);
	ret = store_be->keys_put(domain, local, &k);
	explicit_bzero(&k, sizeof(k));
	return (ret);
}

/* New keys of both hashes; also for a password imported (store_pie.c). */
int
account_set_keys(const char *domain, const char *local, const char *password)
{
	static const int	 hashes[] = { SCRAM_SHA1, SCRAM_SHA256 };
	size_t			 i;
	int			 ret = 0;

	for (i = 0; i < nitems(hashes) && ret == 0; i++)
		ret = account_hash_keys(domain, local, hashes[i], password);
	return (ret);
}

enum {
	ACCOUNT_OK,
	ACCOUNT_EXISTS,
	ACCOUNT_NOT_FOUND,
	ACCOUNT_BAD_PASSWORD,
	ACCOUNT_SHORT_PASSWORD,
	ACCOUNT_ERROR,
};

/*
 * A new password is at least "limits { password min length N }"
 * characters (UTF-8 sequences, not bytes).  Passwords set before the
 * limit was raised still log in: only new ones are measured.
 */
static int
account_password_short(const char *password)
{
	const unsigned char	*p;
	int			 n = 0;

	for (p = (const unsigned char *)password; *p != '\0'; p++)
		if ((*p & 0xc0) != 0x80)
			n++;
	return (n < proc_self.conf->global.limits.password_min);
}

static int
account_create(const char *domain, const char *local, const char *password)
{
	int	 rc;

	if (account_password_short(password))
		return (ACCOUNT_SHORT_PASSWORD);
	if (store_be->begin() == -1)
		return (ACCOUNT_ERROR);
	if ((rc = store_be->account_insert(domain, local, time(NULL))) != 0) {
		store_be->rollback();
		return (rc == 1 ? ACCOUNT_EXISTS : ACCOUNT_ERROR);
	}
	if (account_set_keys(domain, local, password) == -1) {
		store_be->rollback();
		return (ACCOUNT_BAD_PASSWORD);
	}
	return (store_be->commit() == 0 ? ACCOUNT_OK : ACCOUNT_ERROR);
}

static int
account_password(const char *domain, const char *local, const char *password)
{
	struct scram_keys	 k;

	if (account_keys(domain, local, SCRAM_SHA256, &k) == -1)
		return (ACCOUNT_NOT_FOUND);
	explicit_bzero(&k, sizeof(k));
	if (account_password_short(password))
		return (ACCOUNT_SHORT_PASSWORD);
	if (store_be->begin() == -1)
		return (ACCOUNT_ERROR);
	if (account_set_keys(domain, local, password) == -1) {
		store_be->rollback();
		return (ACCOUNT_BAD_PASSWORD);
	}
	return (store_be->commit() == 0 ? ACCOUNT_OK : ACCOUNT_ERROR);
}

/* Delete an account and, through the foreign keys, all its data. */
static int
account_delete(const char *domain, const char *local)
{
	switch (store_be->account_delete(domain, local)) {
	case 1:
		return (ACCOUNT_OK);
	case 0:
		return (ACCOUNT_NOT_FOUND);
	}
	return (ACCOUNT_ERROR);
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

/*
 * A JID naming an internal account of a configured domain, or with
 * any_auth a directory user's too.
 */
const char *
account_jid(const char *in, struct jid *j, int any_auth)
{
	struct domain_conf	*d;

	if (jid_parse(in, j) == -1 || j->local[0] == '\0' ||
	    j->resource[0] != '\0')
		return ("not a valid bare JID (user@domain)");
	if ((d = config_domain(proc_self.conf, j->domain)) == NULL)
		return ("no such domain in the configuration");
	if (d->auth != AUTH_INTERNAL && !any_auth)
		return ("the domain does not use internal accounts");
	return (NULL);
}

struct account_list_ctx {
	struct imsgev	*iev;
	uint32_t	 peerid;
	const char	*domain;
};

static void
account_list_one(const char *local, void *arg)
{
	struct account_list_ctx	*ctx = arg;
	struct ctl_user		 cu;

	memset(&cu, 0, sizeof(cu));
	(void)snprintf(cu.jid, sizeof(cu.jid), "%s@%s", local, ctx->domain);
	imsgev_compose(ctx->iev, IMSG_CTL_USER, ctx->peerid, 0, -1, &cu,
	    sizeof(cu));
}

/*
 * xmppctl user list: the accounts of a domain, or of every domain in
 * the configuration's order when none is named, as full JIDs.
 */
static void
account_ctl_list(struct imsgev *iev, uint32_t peerid, const char *domain)
{
	struct account_list_ctx	 ctx;
	struct domain_conf	*dc;
	char			 d[CONF_NAMELEN];

	ctx.iev = iev;
	ctx.peerid = peerid;
	if (domain[0] == '\0') {
		TAILQ_FOREACH(dc, &proc_self.conf->domains, entry) {
			ctx.domain = dc->name;
			(void)store_be->account_list(dc->name,
			    account_list_one, &ctx);
		}
		imsgev_compose(iev, IMSG_CTL_END, peerid, 0, -1, NULL, 0);
		return;
	}
	if (strlcpy(d, domain, sizeof(d)) >= sizeof(d) ||
	    jid_prep_domain(d, sizeof(d)) == -1 ||
	    config_domain(proc_self.conf, d) == NULL) {
		imsgev_compose(iev, IMSG_CTL_FAIL, peerid, 0, -1,
		    "no such domain", sizeof("no such domain"));
		return;
	}
	ctx.domain = d;
	(void)store_be->account_list(d, account_list_one, &ctx);
	imsgev_compose(iev, IMSG_CTL_END, peerid, 0, -1, NULL, 0);
}

/* What xmppctl is told a request did: "user alice@example.org added". */
static void
account_ctl_done(struct imsgev *iev, uint32_t peerid, uint32_t type,
    const struct jid *j)
{
	char		 msg[CONF_JIDLEN + 64];

	(void)snprintf(msg, sizeof(msg), "%s %s@%s %s",
	    type == IMSG_CTL_USER_PASSWORD ? "password of" : "user",
	    j->local, j->domain, type == IMSG_CTL_USER_ADD ? "added" :
	    type == IMSG_CTL_USER_DELETE ? "deleted" : "changed");
	log_info("account %s@%s: %s", j->local, j->domain,
	    type == IMSG_CTL_USER_ADD ? "created" : type ==
	    IMSG_CTL_USER_DELETE ? "deleted" : "password changed");
	imsgev_compose(iev, IMSG_CTL_OK, peerid, 0, -1, msg, strlen(msg) + 1);
}

static int
account_ctl(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_user	 cu;
	struct jid	 j;
	const char	*err;
	char		 msg[CONF_JIDLEN + 64];
	uint32_t	 peerid = imsg_get_id(imsg);
	uint32_t	 type = imsg_get_type(imsg);
	int		 r;

	/* The router asks for a domain's admins (router_admin.c). */
	if ((iev->type != PROC_CONTROL && (iev->type != PROC_ROUTER ||
	    imsg_get_type(imsg) == IMSG_CTL_USER_LIST)) ||
	    imsg_get_data(imsg, &cu, sizeof(cu)) == -1)
		return (-1);
	cu.jid[sizeof(cu.jid) - 1] = '\0';
	cu.password[sizeof(cu.password) - 1] = '\0';
	if (type == IMSG_CTL_USER_LIST) {
		account_ctl_list(iev, peerid, cu.jid);
		return (0);
	}
	if ((err = account_jid(cu.jid, &j, 0)) == NULL) {
		switch (type) {
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
		if (r == ACCOUNT_SHORT_PASSWORD) {
			(void)snprintf(msg, sizeof(msg), "%s@%s: password too "
			    "short: at least %d characters", j.local, j.domain,
			    proc_self.conf->global.limits.password_min);
			err = msg;
		} else if (r != ACCOUNT_OK) {
			(void)snprintf(msg, sizeof(msg), "%s@%s: %s", j.local,
			    j.domain, account_error(r));
			err = msg;
		}
	}
	explicit_bzero(&cu, sizeof(cu));
	if (err == NULL)
		account_ctl_done(iev, peerid, type, &j);
	else
		imsgev_compose(iev, IMSG_CTL_FAIL, peerid, 0, -1, err,
		    strlen(err) + 1);
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
	case ACCOUNT_SHORT_PASSWORD:
		return (REGISTER_PASSWORD_SHORT);
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
	struct domain_conf	*d;

	if (iev->type != PROC_STREAM ||
	    imsg_get_data(imsg, &req, sizeof(req)) == -1)
		return (-1);
	req.domain[sizeof(req.domain) - 1] = '\0';
	req.addr[sizeof(req.addr) - 1] = '\0';
	req.localpart[sizeof(req.localpart) - 1] = '\0';
	req.password[sizeof(req.password) - 1] = '\0';
	/*
	 * A password change or a removal: of the user who logged in, with
	 * the store's grant (another domain's is refused below).
	 */
	if (req.op != REGISTER_CREATE &&
	    (d = config_domain(proc_self.conf, req.domain)) != NULL &&
	    d->auth == AUTH_INTERNAL && !grant_ok(
	    proc_self.conf->global.grant_key, iev->instance,
	    imsg_get_id(imsg), req.localpart, req.domain, req.grant)) {
		log_warnx("stream %d: account change for %s@%s that no login "
		    "granted: refused", iev->instance, req.localpart,
		    req.domain);
		explicit_bzero(&req, sizeof(req));
		return (-1);
	}
	memset(&res, 0, sizeof(res));
	res.status = account_register_op(&req);
	explicit_bzero(&req, sizeof(req));
	imsgev_compose(iev, IMSG_REGISTER_RESULT, imsg_get_id(imsg), 0, -1,
	    &res, sizeof(res));
	return (0);
}

/*
 * The router found a user in the directory: the row that holds the
 * user's roster and offline messages.  No SCRAM keys, so no internal
 * login; only for domains whose users are in a directory.
 */
static int
account_ensure(struct imsgev *iev, struct imsg *imsg)
{
	struct roster_owner	 o;
	struct domain_conf	*d;
	char			 prep[sizeof(o.localpart)];

	if (iev->type != PROC_ROUTER ||
	    imsg_get_data(imsg, &o, sizeof(o)) == -1)
		return (-1);
	o.localpart[sizeof(o.localpart) - 1] = '\0';
	o.domain[sizeof(o.domain) - 1] = '\0';
	(void)strlcpy(prep, o.localpart, sizeof(prep));
	if ((d = config_domain(proc_self.conf, o.domain)) == NULL ||
	    d->auth != AUTH_LDAP || o.localpart[0] == '\0' ||
	    jid_prep_local(prep, sizeof(prep)) == -1 ||
	    strcmp(prep, o.localpart) != 0) {
		log_warnx("account for %s@%s not made: not a directory user",
		    o.localpart, o.domain);
		return (0);
	}
	switch (store_be->account_insert(o.domain, o.localpart, time(NULL))) {
	case 0:
		log_info("account %s@%s: made for a directory user",
		    o.localpart, o.domain);
		break;
	case -1:
		log_warnx("account %s@%s: could not make it", o.localpart,
		    o.domain);
		break;
	}
	return (0);
}

int
account_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_ACCOUNT_ENSURE:
		return (account_ensure(iev, imsg));
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
