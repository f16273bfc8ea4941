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
 * Dialback keys (XEP-0220 with XEP-0185): HMAC-SHA256 keyed with the
 * SHA-256 of a secret made at start, over the receiving domain, the
 * originating domain and the stream id, separated by spaces.  Only the
 * router holds the secret: streams ask it to make a key, to check one
 * (as the authoritative server), and to verify a db:result with the
 * claimed domain's authoritative server.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "router.h"

#define DIALBACK_PENDING_MAX	256	/* db:results being verified */

struct dialback_wait {
	int		 stream;
	uint32_t	 conn;
	struct s2s_db	 db;
};

static uint8_t	 dialback_secret[SHA256_DIGEST_LENGTH];
static int	 dialback_ready, dialback_pending;

/* The key for (receiving, originating, id) in hex, into out. */
static int
dialback_key(const char *recv, const char *orig, const char *id,
    char out[S2S_KEY_LEN])
{
	uint8_t		 mac[EVP_MAX_MD_SIZE], secret[32];
	unsigned int	 len = 0, i;
	char		*data = NULL;
	int		 n;

	if (!dialback_ready) {
		/* The secret is random per start; only its hash is kept. */
		arc4random_buf(secret, sizeof(secret));
		SHA256(secret, sizeof(secret), dialback_secret);
		explicit_bzero(secret, sizeof(secret));
		dialback_ready = 1;
	}
	/* Not XML: the HMAC's input, as XEP-0185 section 2 spells it. */
	if ((n = asprintf(&data, "%s %s %s", recv, orig, id)) == -1)
		return (-1);
	if (HMAC(EVP_sha256(), dialback_secret, sizeof(dialback_secret),
	    (const uint8_t *)data, n, mac, &len) == NULL || len != 32) {
		free(data);
		return (-1);
	}
	free(data);
	for (i = 0; i < len; i++)
		(void)snprintf(out + 2 * i, S2S_KEY_LEN - 2 * i, "%02x",
		    mac[i]);
	explicit_bzero(mac, sizeof(mac));
	return (0);
}

static int
dialback_read(struct imsg *imsg, struct s2s_db *db)
{
	if (imsg_get_data(imsg, db, sizeof(*db)) == -1 ||
	    memchr(db->from, '\0', sizeof(db->from)) == NULL ||
	    memchr(db->to, '\0', sizeof(db->to)) == NULL ||
	    memchr(db->streamid, '\0', sizeof(db->streamid)) == NULL ||
	    memchr(db->key, '\0', sizeof(db->key)) == NULL)
		return (-1);
	return (0);
}

/* Is db's key the one we made, originating from a domain of ours? */
static int
dialback_check(struct s2s_db *db)
{
	struct domain_conf	*d;
	char			 want[S2S_KEY_LEN];
	int			 ok;

	if (!config_federated(proc_self.conf, db->from, &d) ||
	    strlen(db->key) != S2S_KEY_LEN - 1 ||
	    dialback_key(db->to, db->from, db->streamid, want) == -1)
		return (0);
	ok = CRYPTO_memcmp(want, db->key, S2S_KEY_LEN - 1) == 0;
	explicit_bzero(want, sizeof(want));
	return (ok);
}

/* The authoritative server's answer, back to the stream that asked. */
static void
dialback_verified(void *arg, int valid)
{
	struct dialback_wait	*w = arg;
	struct imsgev		*iev;

	dialback_pending--;
	w->db.valid = valid;
	explicit_bzero(w->db.key, sizeof(w->db.key));
	log_info("dialback: %s for %s %s", w->db.from, w->db.to,
	    valid ? "verified" : "not verified");
	if ((iev = proc_peer(PROC_STREAM, w->stream)) != NULL)
		imsgev_compose(iev, IMSG_S2S_DB_RESULT, w->conn, 0, -1,
		    &w->db, sizeof(w->db));
	free(w);
}

static void
dialback_result(struct imsgev *iev, struct imsg *imsg, struct s2s_db *db)
{
	struct dialback_wait	*w;
	struct domain_conf	*d;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("%s", __func__);
	w->stream = iev->instance;
	w->conn = imsg_get_id(imsg);
	w->db = *db;
	dialback_pending++;
	if (dialback_pending > DIALBACK_PENDING_MAX ||
	    !config_federated(proc_self.conf, db->to, &d) ||
	    config_federated(proc_self.conf, db->from, &d)) {
		dialback_verified(w, 0);
		return;
	}
	s2s_verify(db->to, db->from, db->streamid, db->key,
	    dialback_verified, w);
}

int
dialback_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct s2s_db		 db;
	struct domain_conf	*d;
	uint32_t		 type = imsg_get_type(imsg);

	if (type != IMSG_S2S_DB_KEY && type != IMSG_S2S_DB_CHECK &&
	    type != IMSG_S2S_DB_RESULT)
		return (1);
	if (iev->type != PROC_STREAM || dialback_read(imsg, &db) == -1)
		return (-1);
	switch (type) {
	case IMSG_S2S_DB_KEY:
		/* Only for a domain of ours: fail closed, no key. */
		if (!config_federated(proc_self.conf, db.from, &d) ||
		    dialback_key(db.to, db.from, db.streamid, db.key) == -1)
			db.key[0] = '\0';
		break;
	case IMSG_S2S_DB_CHECK:
		db.valid = dialback_check(&db);
		log_info("dialback: a key for %s from %s is %s", db.to,
		    db.from, db.valid ? "ours" : "not ours");
		break;
	case IMSG_S2S_DB_RESULT:
		dialback_result(iev, imsg, &db);
		return (0);
	}
	imsgev_compose(iev, type, imsg_get_id(imsg), 0, -1, &db, sizeof(db));
	explicit_bzero(&db, sizeof(db));
	return (0);
}
