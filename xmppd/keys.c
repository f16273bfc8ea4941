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
 * The parent reads certificates and keys (before any child sees them),
 * checks that each certificate and key belong together, and keeps the
 * bytes in the configuration to send to the processes that terminate TLS.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "tlsverify.h"
#include "xmppd.h"

static int
keys_check(struct keydata *kd)
{
	struct tls_config	*cfg;
	struct tls		*ctx = NULL;
	int			 ret = -1;

	if ((cfg = tls_config_new()) == NULL)
		fatal("tls_config_new");
	if (tls_config_set_keypair_mem(cfg, kd->cert, kd->certlen, kd->key,
	    kd->keylen) == -1) {
		log_warnx("tls keypair \"%s\": %s", kd->name,
		    tls_config_error(cfg));
		goto done;
	}
	if ((ctx = tls_server()) == NULL)
		fatal("tls_server");
	if (tls_configure(ctx, cfg) == -1) {
		log_warnx("tls keypair \"%s\": %s", kd->name, tls_error(ctx));
		goto done;
	}
	ret = 0;
 done:
	tls_free(ctx);
	tls_config_free(cfg);
	return (ret);
}

/*
 * The CA certificates of path for what (a sandboxed process cannot read
 * them from its chroot) into *data and *len; -1 when the file cannot be
 * read or holds no PEM certificate.
 */
static int
keys_load_ca(const char *what, const char *path, uint8_t **data,
    size_t *len)
{
	if ((*data = tls_load_file(path, len, NULL)) == NULL) {
		log_warn("%s %s", what, path);
		return (-1);
	}
	if (memmem(*data, *len, "-----BEGIN CERTIFICATE", 22) == NULL) {
		log_warnx("%s %s: no PEM certificate", what, path);
		return (-1);
	}
	return (0);
}

/*
 * ldapauthd verifies the directory's certificate against "ca", or the
 * system's CA bundle.
 */
static int
keys_load_ldap_ca(struct xmppd_config *conf)
{
	struct ldap_conf	*l;
	char			 what[CONF_NAMELEN + 16];
	int			 errors = 0;

	TAILQ_FOREACH(l, &conf->ldaps, entry) {
		(void)snprintf(what, sizeof(what), "ldap \"%s\": ca", l->name);
		if (keys_load_ca(what, l->ca[0] ? l->ca :
		    tls_default_ca_cert_file(), &l->cadata, &l->calen) == -1)
			errors++;
	}
	return (errors ? -1 : 0);
}

/*
 * The streams verify peer servers' certificates against "tls ca", or
 * the system's CA bundle.  Every certificate in it must parse: one that
 * does not would otherwise go unnoticed until a peer needs it.  A
 * system without a bundle trusts no peer's certificate, and still
 * serves its users.
 */
static int
keys_load_tls_ca(struct xmppd_config *conf)
{
	struct tlsverify_ca	*ca;
	const char		*path;

	if ((path = conf->global.tls_ca)[0] == '\0') {
		path = tls_default_ca_cert_file();
		if (access(path, F_OK) == -1 && errno == ENOENT) {
			log_warnx("tls ca %s: no such file, no peer server's "
			    "certificate is trusted", path);
			return (0);
		}
	}
	if (keys_load_ca("tls ca", path, &conf->cadata, &conf->calen) == -1)
		return (-1);
	if (conf->calen > TLSVERIFY_CA_MAX) {
		log_warnx("tls ca %s: larger than %d bytes", path,
		    TLSVERIFY_CA_MAX);
		return (-1);
	}
	if ((ca = tlsverify_ca_new(conf->cadata, conf->calen)) == NULL) {
		log_warnx("tls ca %s: a certificate does not parse", path);
		return (-1);
	}
	log_debug("tls ca %s: %d certificate%s", path, tlsverify_ca_count(ca),
	    tlsverify_ca_count(ca) == 1 ? "" : "s");
	tlsverify_ca_free(ca);
	return (0);
}

/*
 * Load every keypair of conf.  A keypair with no key file has the key in
 * its certificate file (one PEM with key and chain).
 */
int
keys_load(struct xmppd_config *conf)
{
	struct keypair_conf	*k;
	struct keydata		*kd;
	int			 errors = 0;

	TAILQ_FOREACH(k, &conf->keypairs, entry) {
		if ((kd = calloc(1, sizeof(*kd))) == NULL)
			fatal(NULL);
		(void)strlcpy(kd->name, k->name, sizeof(kd->name));
		if ((kd->cert = tls_load_file(k->cert, &kd->certlen,
		    NULL)) == NULL) {
			log_warn("tls keypair \"%s\": certificate %s",
			    k->name, k->cert);
			goto bad;
		}
		if ((kd->key = tls_load_file(k->key[0] ? k->key : k->cert,
		    &kd->keylen, NULL)) == NULL) {
			log_warn("tls keypair \"%s\": key %s", k->name,
			    k->key[0] ? k->key : k->cert);
			goto bad;
		}
		if (keys_check(kd) == -1)
			goto bad;
		TAILQ_INSERT_TAIL(&conf->keydata, kd, entry);
		continue;
 bad:
		keydata_free(kd);
		errors++;
	}
	if (keys_load_ldap_ca(conf) == -1)
		errors++;
	if (keys_load_tls_ca(conf) == -1)
		errors++;
	return (errors ? -1 : 0);
}
