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
 * The XEP-0114 handshake, checked for the stream processes: the store
 * holds the component secrets, as it holds account credentials, and a
 * stream process learns only yes or no, and on yes a grant (grant.h)
 * that the router asks for before it brings the component up.
 * Failures are counted per address with the limits of logins ("auth
 * failures N per T").
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "grant.h"
#include "log.h"
#include "proc.h"
#include "store.h"
#include "throttle.h"

#define COMPONENT_SEEN_MAX	4096	/* stream ids remembered */

struct component_seen {
	RB_ENTRY(component_seen)	 node;
	TAILQ_ENTRY(component_seen)	 entry;
	char				 streamid[40];
};

RB_HEAD(component_seen_tree, component_seen);

static struct throttle			*component_throttle;
static struct component_seen_tree	 component_seen =
    RB_INITIALIZER(&component_seen);
static TAILQ_HEAD(, component_seen)	 component_seen_order =
    TAILQ_HEAD_INITIALIZER(component_seen_order);
static int				 component_nseen;

static int
component_seen_cmp(struct component_seen *a, struct component_seen *b)
{
	return (strcmp(a->streamid, b->streamid));
}

RB_GENERATE_STATIC(component_seen_tree, component_seen, node,
    component_seen_cmp);

/*
 * 1 when a handshake on streamid passed before; else streamid is
 * remembered, in place of the oldest of the last COMPONENT_SEEN_MAX.
 */
static int
component_replayed(const char *streamid)
{
	struct component_seen	*s, key;

	(void)strlcpy(key.streamid, streamid, sizeof(key.streamid));
	if (RB_FIND(component_seen_tree, &component_seen, &key) != NULL)
		return (1);
	if (component_nseen >= COMPONENT_SEEN_MAX) {
		s = TAILQ_FIRST(&component_seen_order);
		RB_REMOVE(component_seen_tree, &component_seen, s);
		TAILQ_REMOVE(&component_seen_order, s, entry);
	} else if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("%s", __func__);
	else
		component_nseen++;
	(void)strlcpy(s->streamid, streamid, sizeof(s->streamid));
	RB_INSERT(component_seen_tree, &component_seen, s);
	TAILQ_INSERT_TAIL(&component_seen_order, s, entry);
	return (0);
}

void
component_auth_init(void)
{
	struct limits_conf	*l = &proc_self.conf->global.limits;

	component_throttle = throttle_new("component handshakes",
	    l->auth_failures, l->auth_period, 65536);
}

void
component_auth_reconfigure(void)
{
	struct limits_conf	*l = &proc_self.conf->global.limits;

	throttle_set(component_throttle, l->auth_failures, l->auth_period);
}

/* The expected digest: hex SHA-1 of the stream id and the secret. */
static void
component_digest(const char *streamid, const char *secret,
    char out[COMPONENT_DIGEST_LEN + 1])
{
	EVP_MD_CTX	*ctx;
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0, i;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, streamid, strlen(streamid)) != 1 ||
	    EVP_DigestUpdate(ctx, secret, strlen(secret)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &len) != 1 ||
	    len * 2 != COMPONENT_DIGEST_LEN)
		fatalx("%s: SHA-1 failed", __func__);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < len; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", md[i]);
	explicit_bzero(md, sizeof(md));
}

/*
 * Is the digest right?  Hex is compared in lower case and in constant
 * time; a name with no block is refused the same way, after the same
 * work, so that the answer tells nothing of which names exist.
 */
static int
component_check(struct component_auth *ca)
{
	struct component_conf	*c;
	char			 want[COMPONENT_DIGEST_LEN + 1];
	size_t			 i;
	int			 ok;

	c = config_component(proc_self.conf, ca->name);
	component_digest(ca->streamid, c != NULL ? c->password : "",
	    want);
	for (i = 0; i < COMPONENT_DIGEST_LEN; i++)
		ca->digest[i] = tolower((unsigned char)ca->digest[i]);
	ok = strlen(ca->digest) == COMPONENT_DIGEST_LEN &&
	    CRYPTO_memcmp(want, ca->digest, COMPONENT_DIGEST_LEN) == 0 &&
	    c != NULL && c->password[0] != '\0';
	explicit_bzero(want, sizeof(want));
	return (ok);
}

/* -1: the request is not one a stream writes. */
static int
component_auth(struct imsgev *iev, struct imsg *imsg)
{
	struct component_auth	 ca;
	time_t			 now = time(NULL);

	if (imsg_get_data(imsg, &ca, sizeof(ca)) == -1) {
		log_warnx("%s: bad request from stream %d", __func__,
		    iev->instance);
		return (-1);
	}
	memset(ca.grant, 0, sizeof(ca.grant));
	ca.name[sizeof(ca.name) - 1] = '\0';
	ca.streamid[sizeof(ca.streamid) - 1] = '\0';
	ca.digest[sizeof(ca.digest) - 1] = '\0';
	ca.addr[sizeof(ca.addr) - 1] = '\0';
	ca.status = COMPONENT_AUTH_REFUSED;
	if (throttle_over(component_throttle, ca.addr, now)) {
		log_info("component handshake throttled from %s for %s",
		    ca.addr, ca.name);
		ca.status = COMPONENT_AUTH_THROTTLED;
	} else if (!component_check(&ca)) {
		log_info("component handshake failed from %s for %s",
		    ca.addr, ca.name);
		throttle_hit(component_throttle, ca.addr, now);
	} else if (component_replayed(ca.streamid))
		log_warnx("component handshake for %s replayed by stream %d: "
		    "refused", ca.name, iev->instance);
	else if (grant_component_make(proc_self.conf->global.grant_key,
	    iev->instance, imsg_get_id(imsg), ca.name, ca.grant) == -1)
		log_warnx("%s: no grant for %s", __func__, ca.name);
	else {
		log_info("component %s authenticated from %s", ca.name,
		    ca.addr);
		throttle_clear(component_throttle, ca.addr);
		ca.status = COMPONENT_AUTH_OK;
	}
	explicit_bzero(ca.digest, sizeof(ca.digest));
	imsgev_compose(iev, IMSG_COMPONENT_AUTH_RESULT, imsg_get_id(imsg), 0,
	    -1, &ca, sizeof(ca));
	explicit_bzero(ca.grant, sizeof(ca.grant));
	return (0);
}

int
component_auth_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	if (imsg_get_type(imsg) != IMSG_COMPONENT_AUTH)
		return (1);
	if (iev->type != PROC_STREAM)
		return (-1);
	return (component_auth(iev, imsg));
}
