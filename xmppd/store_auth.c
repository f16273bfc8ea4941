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
 * SASL for internal accounts, run for the stream processes: PLAIN and
 * SCRAM-SHA-1/SHA-256.  A stream process relays the client's messages
 * and learns only the outcome and the user name.  Failures are counted
 * per client address ("limits auth failures N per T"); past the limit an
 * address gets <temporary-auth-failure/> without its credentials being
 * looked at.
 */

#include <sys/types.h>
#include <sys/tree.h>
#include <sys/uio.h>

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "grant.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "sasl.h"
#include "scram.h"
#include "store.h"
#include "throttle.h"

#define AUTH_MAX_EXCHANGES	65536

enum {
	AUTH_WAIT_INITIAL,
	AUTH_WAIT_FINAL,
};

struct auth_exch {
	RB_ENTRY(auth_exch)	 node;
	int			 stream;
	uint32_t		 id;
	int			 mech;
	int			 state;
	char			 domain[CONF_NAMELEN];
	char			 addr[64];
	char			 local[SCRAM_USERMAX];
	struct scram_server	 scram;
};

RB_HEAD(auth_tree, auth_exch);

static struct auth_tree	 auth_exchanges = RB_INITIALIZER(&auth_exchanges);
static size_t		 auth_nexch;
static struct throttle	*auth_throttle;

static int
auth_cmp(struct auth_exch *a, struct auth_exch *b)
{
	if (a->stream != b->stream)
		return (a->stream < b->stream ? -1 : 1);
	if (a->id != b->id)
		return (a->id < b->id ? -1 : 1);
	return (0);
}

RB_GENERATE_STATIC(auth_tree, auth_exch, node, auth_cmp);

void
auth_init(void)
{
	struct limits_conf	*l = &proc_self.conf->global.limits;

	auth_throttle = throttle_new("auth failures", l->auth_failures,
	    l->auth_period, 65536);
	if (scram_init(SCRAM_ITER_MIN, NULL, 0) == -1)
		fatalx("scram_init");
}

void
auth_reconfigure(void)
{
	struct limits_conf	*l = &proc_self.conf->global.limits;

	throttle_set(auth_throttle, l->auth_failures, l->auth_period);
}

static void
auth_free(struct auth_exch *a)
{
	RB_REMOVE(auth_tree, &auth_exchanges, a);
	scram_server_clear(&a->scram);
	freezero(a, sizeof(*a));
	auth_nexch--;
}

void
auth_stream_down(int stream)
{
	struct auth_exch	*a, *next;

	RB_FOREACH_SAFE(a, auth_tree, &auth_exchanges, next)
		if (a->stream == stream)
			auth_free(a);
}

static void
auth_result(struct imsgev *iev, uint32_t id, int status, const char *local,
    const char *domain, const char *extra)
{
	struct auth_result	 res;
	struct iovec		 iov[2];

	memset(&res, 0, sizeof(res));
	res.status = status;
	if (local != NULL) {
		(void)strlcpy(res.localpart, local, sizeof(res.localpart));
		if (grant_make(proc_self.conf->global.grant_key, iev->instance,
		    id, res.localpart, domain, res.grant) == -1) {
			log_warnx("%s: no grant for %s@%s", __func__, local,
			    domain);
			res.status = AUTH_TEMPORARY_FAILURE;
			res.localpart[0] = '\0';
		}
	}
	iov[0].iov_base = &res;
	iov[0].iov_len = sizeof(res);
	iov[1].iov_base = (void *)extra;
	iov[1].iov_len = extra != NULL ? strlen(extra) : 0;
	imsgev_composev(iev, IMSG_AUTH_RESULT, id, 0, -1, iov, 2);
}

/*
 * The end of an exchange: answer, count a failure, forget the state.
 * Right credentials of a disabled account are refused with its reason.
 */
static void
auth_done(struct imsgev *iev, struct auth_exch *a, int status,
    const char *extra)
{
	char	 reason[ACCOUNT_REASON_MAX];

	if (status == AUTH_SUCCESS && (status = account_state_login(a->domain,
	    a->local, a->addr, reason, sizeof(reason))) != AUTH_SUCCESS)
		extra = status == AUTH_ACCOUNT_DISABLED ? reason : NULL;
	sasl_log(status, a->addr, a->local, a->domain);
	if (status == AUTH_NOT_AUTHORIZED)
		throttle_hit(auth_throttle, a->addr, time(NULL));
	auth_result(iev, a->id, status, status == AUTH_SUCCESS ? a->local :
	    NULL, a->domain, extra);
	auth_free(a);
}

/*
 * An account that came with SCRAM-SHA-1 keys alone (ejabberd's and
 * Prosody's default) has just given its password: it gains SCRAM-SHA-256
 * keys, so that clients insisting on SCRAM-SHA-256 log in from now on.
 * The login stands whether or not they could be stored.
 */
static void
auth_gain_sha256(struct auth_exch *a, const char *password)
{
	if (account_hash_keys(a->domain, a->local, SCRAM_SHA256,
	    password) == -1)
		log_warnx("%s@%s: SCRAM-SHA-256 keys not stored", a->local,
		    a->domain);
	else
		log_info("%s@%s: SCRAM-SHA-256 keys made at a PLAIN login",
		    a->local, a->domain);
}

/* PLAIN (RFC 4616): authzid NUL authcid NUL password. */
static int
auth_plain(struct auth_exch *a, const char *msg, size_t len)
{
	struct scram_keys	 keys, try;
	struct sasl_plain	 sp;
	struct jid		 j;
	int			 known, ok, status, hash = SCRAM_SHA256;

	if (sasl_plain_parse(msg, len, &sp) == -1) {
		status = AUTH_MALFORMED;
		goto done;
	}
	(void)strlcpy(a->local, sp.authcid, sizeof(a->local));
	if (jid_prep_local(a->local, sizeof(a->local)) == -1)
		a->local[0] = '\0';
	if (sp.authzid[0] != '\0' && (jid_parse(sp.authzid, &j) == -1 ||
	    j.resource[0] != '\0' || strcmp(j.local, a->local) != 0 ||
	    strcmp(j.domain, a->domain) != 0)) {
		status = AUTH_INVALID_AUTHZID;
		goto done;
	}
	known = a->local[0] != '\0' &&
	    account_keys(a->domain, a->local, SCRAM_SHA256, &keys) == 0;
	/* An account imported with SHA-1 keys only (xmppctl import). */
	if (!known && a->local[0] != '\0' &&
	    account_keys(a->domain, a->local, SCRAM_SHA1, &keys) == 0) {
		known = 1;
		hash = SCRAM_SHA1;
	}
	if (!known && !store_up()) {
		status = AUTH_TEMPORARY_FAILURE;
		goto done;
	}
	if (!known) {
		/* As much work as for a real account: no timing oracle. */
		memset(&keys, 0, sizeof(keys));
		arc4random_buf(keys.salt, SCRAM_SALTLEN);
		keys.saltlen = SCRAM_SALTLEN;
		keys.iter = SCRAM_ITER_MIN;
	}
	ok = scram_derive(hash, sp.password, keys.salt, keys.saltlen,
	    keys.iter, &try) == 0 && known &&
	    CRYPTO_memcmp(try.stored_key, keys.stored_key,
	    scram_hashlen(hash)) == 0;
	explicit_bzero(&try, sizeof(try));
	explicit_bzero(&keys, sizeof(keys));
	if (ok && hash == SCRAM_SHA1)
		auth_gain_sha256(a, sp.password);
	status = ok ? AUTH_SUCCESS : AUTH_NOT_AUTHORIZED;
 done:
	explicit_bzero(&sp, sizeof(sp));
	return (status);
}

static int
auth_scram_status(int r)
{
	switch (r) {
	case SCRAM_OK:
		return (AUTH_SUCCESS);
	case SCRAM_MALFORMED:
		return (AUTH_MALFORMED);
	case SCRAM_AUTHZID:
		return (AUTH_INVALID_AUTHZID);
	}
	return (AUTH_NOT_AUTHORIZED);
}

static void
auth_scram_first(struct imsgev *iev, struct auth_exch *a, const char *msg,
    size_t len)
{
	struct scram_keys	 keys;
	char			 out[SCRAM_OUTMAX];
	int			 hash, r, known;

	hash = a->mech == SASL_SCRAM_SHA_1 ? SCRAM_SHA1 : SCRAM_SHA256;
	if ((r = scram_server_start(&a->scram, hash, msg, len, a->local,
	    sizeof(a->local))) != SCRAM_OK) {
		auth_done(iev, a, auth_scram_status(r), NULL);
		return;
	}
	known = jid_prep_local(a->local, sizeof(a->local)) == 0 &&
	    account_keys(a->domain, a->local, hash, &keys) == 0;
	if (!known && !store_up()) {
		auth_done(iev, a, AUTH_TEMPORARY_FAILURE, NULL);
		return;
	}
	r = scram_server_first(&a->scram, known ? &keys : NULL, out,
	    sizeof(out));
	explicit_bzero(&keys, sizeof(keys));
	if (r != SCRAM_OK) {
		auth_done(iev, a, auth_scram_status(r), NULL);
		return;
	}
	a->state = AUTH_WAIT_FINAL;
	imsgev_compose(iev, IMSG_AUTH_CHALLENGE, a->id, 0, -1, out,
	    strlen(out));
}

static void
auth_step(struct imsgev *iev, struct auth_exch *a, const char *msg,
    size_t len)
{
	char	 out[SCRAM_OUTMAX];
	int	 r;

	if (a->state == AUTH_WAIT_FINAL) {
		r = scram_server_final(&a->scram, msg, len, out, sizeof(out));
		auth_done(iev, a, auth_scram_status(r), r == SCRAM_OK ? out :
		    NULL);
		return;
	}
	if (a->mech == SASL_PLAIN)
		auth_done(iev, a, auth_plain(a, msg, len), NULL);
	else
		auth_scram_first(iev, a, msg, len);
}

/* -1: the request is not one a stream writes. */
static int
auth_start(struct imsgev *iev, struct imsg *imsg)
{
	struct auth_start	 st;
	struct auth_exch	*a, key;
	struct domain_conf	*d;
	struct ibuf		 ib;

	if (sasl_start_get(imsg, &st, &ib) == -1) {
		log_warnx("%s: bad request from stream %d", __func__,
		    iev->instance);
		return (-1);
	}
	key.stream = iev->instance;
	key.id = imsg_get_id(imsg);
	if ((a = RB_FIND(auth_tree, &auth_exchanges, &key)) != NULL)
		auth_free(a);
	if (throttle_over(auth_throttle, st.addr, time(NULL)) ||
	    auth_nexch >= AUTH_MAX_EXCHANGES) {
		log_info("authentication throttled from %s on %s", st.addr,
		    st.domain);
		auth_result(iev, key.id, AUTH_TEMPORARY_FAILURE, NULL, NULL,
		    NULL);
		return (0);
	}
	if (!store_up()) {
		auth_result(iev, key.id, AUTH_TEMPORARY_FAILURE, NULL, NULL,
		    NULL);
		return (0);
	}
	if ((d = config_domain(proc_self.conf, st.domain)) == NULL ||
	    d->auth != AUTH_INTERNAL || st.mech < SASL_PLAIN ||
	    st.mech > SASL_SCRAM_SHA_256) {
		auth_result(iev, key.id, AUTH_NOT_AUTHORIZED, NULL, NULL, NULL);
		return (0);
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("%s", __func__);
	a->stream = key.stream;
	a->id = key.id;
	a->mech = st.mech;
	a->state = AUTH_WAIT_INITIAL;
	(void)strlcpy(a->domain, d->name, sizeof(a->domain));
	(void)strlcpy(a->addr, st.addr, sizeof(a->addr));
	RB_INSERT(auth_tree, &auth_exchanges, a);
	auth_nexch++;
	if (!st.has_initial)
		imsgev_compose(iev, IMSG_AUTH_CHALLENGE, a->id, 0, -1, NULL, 0);
	else
		auth_step(iev, a, ibuf_data(&ib), ibuf_size(&ib));
	return (0);
}

int
auth_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct auth_exch	*a, key;

	switch (imsg_get_type(imsg)) {
	case IMSG_AUTH_START:
		if (iev->type != PROC_STREAM)
			return (-1);
		return (auth_start(iev, imsg));
	case IMSG_AUTH_RESPONSE:
	case IMSG_AUTH_ABORT:
		if (iev->type != PROC_STREAM ||
		    imsg_get_len(imsg) > AUTH_MSG_MAX)
			return (-1);
		key.stream = iev->instance;
		key.id = imsg_get_id(imsg);
		if ((a = RB_FIND(auth_tree, &auth_exchanges, &key)) == NULL)
			return (0);	/* aborted meanwhile */
		if (imsg_get_type(imsg) == IMSG_AUTH_ABORT)
			auth_free(a);
		else
			auth_step(iev, a, imsg->data, imsg_get_len(imsg));
		return (0);
	}
	return (1);
}
