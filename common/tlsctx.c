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
 * Server TLS contexts built from the keypairs the parent read and sent:
 * one builder for every process that accepts TLS.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <tls.h>

#include "config.h"
#include "log.h"
#include "tlsctx.h"

/*
 * A context serving every keypair (the first one without SNI), with the
 * ALPN protocol list alpn (NULL: none), or NULL when there is no keypair.
 */
static struct tlsctx *
tlsctx_build(struct xmppd_config *conf, const char *alpn, int peer)
{
	struct tls_config	*cfg;
	struct tlsctx		*t;
	struct tls		*ctx;
	struct keydata		*kd;
	int			 first = 1;

	if (TAILQ_EMPTY(&conf->keydata))
		return (NULL);
	if ((cfg = tls_config_new()) == NULL)
		fatal("tls_config_new");
	if (tls_config_set_protocols(cfg, TLS_PROTOCOL_TLSv1_2 |
	    TLS_PROTOCOL_TLSv1_3) == -1 ||
	    tls_config_set_ciphers(cfg, "secure") == -1 ||
	    (alpn != NULL && tls_config_set_alpn(cfg, alpn) == -1))
		fatalx("tls config: %s", tls_config_error(cfg));
	if (peer) {
		/*
		 * A peer server may show a certificate; whether it is good,
		 * and for which domain, the stream decides with tlsverify.
		 */
		tls_config_verify_client_optional(cfg);
		tls_config_insecure_noverifycert(cfg);
	}
	TAILQ_FOREACH(kd, &conf->keydata, entry) {
		if ((first ? tls_config_set_keypair_mem(cfg, kd->cert,
		    kd->certlen, kd->key, kd->keylen) :
		    tls_config_add_keypair_mem(cfg, kd->cert, kd->certlen,
		    kd->key, kd->keylen)) == -1)
			fatalx("tls keypair %s: %s", kd->name,
			    tls_config_error(cfg));
		first = 0;
	}
	if ((ctx = tls_server()) == NULL)
		fatal("tls_server");
	if (tls_configure(ctx, cfg) == -1)
		fatalx("tls_configure: %s", tls_error(ctx));
	tls_config_clear_keys(cfg);
	tls_config_free(cfg);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("%s", __func__);
	t->ctx = ctx;
	t->refs = 1;
	return (t);
}

struct tlsctx *
tlsctx_new(struct xmppd_config *conf, const char *alpn)
{
	return (tlsctx_build(conf, alpn, 0));
}

/* The same, asking the peer (a server) for its certificate. */
struct tlsctx *
tlsctx_new_peer(struct xmppd_config *conf, const char *alpn)
{
	return (tlsctx_build(conf, alpn, 1));
}

/* A connection starts TLS with t: t lives until it is done. */
struct tlsctx *
tlsctx_ref(struct tlsctx *t)
{
	if (t != NULL)
		t->refs++;
	return (t);
}

void
tlsctx_unref(struct tlsctx *t)
{
	if (t == NULL || --t->refs > 0)
		return;
	tls_free(t->ctx);
	free(t);
}
