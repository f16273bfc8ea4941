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
 * checks that each certificate and key belong together, that each
 * certificate is valid now and names the services it is for, and keeps
 * the bytes in the configuration to send to the processes that
 * terminate TLS.  xmppd -n runs the same checks.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <time.h>
#include <unistd.h>

#include "certcheck.h"
#include "config.h"
#include "log.h"
#include "tlsverify.h"
#include "xmppd.h"

static int	 keys_doubts;	/* counted as errors, with strict */

/* A file that cannot be used: logged, and told to xmppctl reload. */
static void
keys_error(const char *fmt, ...)
{
	char	 line[PARSE_MSG_LEN];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warnx("%s", line);
	parse_msg_add(line);
}

/*
 * A certificate that clients will refuse (expired, or for other names):
 * an error for xmppd -n; when starting or reloading, a warning, as the
 * server may still serve the clients that accept it.
 */
static void
keys_doubt(int strict, const char *fmt, ...)
{
	char	 line[PARSE_MSG_LEN];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (strict) {
		keys_error("%s", line);
		keys_doubts++;
	} else
		log_warnx("warning: %s", line);
}

/*
 * The bytes of a file the configuration names.  Regress builds may find
 * them under XMPPD_REGRESS_FILES, for configurations naming files that
 * a test machine does not have.
 */
uint8_t *
keys_file(const char *path, size_t *len)
{
#ifdef REGRESS
	char		 buf[PATH_MAX];
	const char	*root = getenv("XMPPD_REGRESS_FILES");

	if (root != NULL && snprintf(buf, sizeof(buf), "%s%s", root, path) <
	    (int)sizeof(buf))
		return (tls_load_file(buf, len, NULL));
#endif
	return (tls_load_file(path, len, NULL));
}

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
		keys_error("tls keypair \"%s\": %s", kd->name,
		    tls_config_error(cfg));
		goto done;
	}
	if ((ctx = tls_server()) == NULL)
		fatal("tls_server");
	if (tls_configure(ctx, cfg) == -1) {
		keys_error("tls keypair \"%s\": %s", kd->name, tls_error(ctx));
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
keys_load_ca(const char *what, const char *path, int named,
    uint8_t **data, size_t *len)
{
	if ((*data = named ? keys_file(path, len) :
	    tls_load_file(path, len, NULL)) == NULL) {
		keys_error("%s %s: %s", what, path, strerror(errno));
		return (-1);
	}
	if (memmem(*data, *len, "-----BEGIN CERTIFICATE", 22) == NULL) {
		keys_error("%s %s: no PEM certificate", what, path);
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
		    tls_default_ca_cert_file(), l->ca[0] != '\0', &l->cadata,
		    &l->calen) == -1)
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
	if (keys_load_ca("tls ca", path, conf->global.tls_ca[0] != '\0',
	    &conf->cadata, &conf->calen) == -1)
		return (-1);
	if (conf->calen > TLSVERIFY_CA_MAX) {
		keys_error("tls ca %s: larger than %d bytes", path,
		    TLSVERIFY_CA_MAX);
		return (-1);
	}
	if ((ca = tlsverify_ca_new(conf->cadata, conf->calen)) == NULL) {
		keys_error("tls ca %s: a certificate does not parse", path);
		return (-1);
	}
	log_debug("tls ca %s: %d certificate%s", path, tlsverify_ca_count(ca),
	    tlsverify_ca_count(ca) == 1 ? "" : "s");
	tlsverify_ca_free(ca);
	return (0);
}

/*
 * A key only root may read, read by xmppd -n run without root: that
 * is no error of the configuration, only a check left undone.
 */
static int
keys_unreadable(const char *what, const char *name, const char *path)
{
	if (errno != EACCES || geteuid() == 0)
		return (0);
	log_warnx("tls keypair \"%s\": %s %s: not checked, only root may "
	    "read it", name, what, path);
	return (1);
}

/*
 * Read and check keypair k.  Returns its data, or NULL when it cannot
 * be used (*bad set) or its key could not be read without root (its
 * certificate then kept in *cert for the name checks).
 */
static struct keydata *
keys_load_pair(struct keypair_conf *k, int strict, struct keydata **cert,
    int *bad)
{
	struct keydata	*kd;
	const char	*keypath = k->key[0] ? k->key : k->cert;
	char		 why[128];

	*cert = NULL;
	if ((kd = calloc(1, sizeof(*kd))) == NULL)
		fatal(NULL);
	(void)strlcpy(kd->name, k->name, sizeof(kd->name));
	if ((kd->cert = keys_file(k->cert, &kd->certlen)) == NULL) {
		if (!keys_unreadable("certificate", k->name, k->cert)) {
			keys_error("tls keypair \"%s\": certificate %s: %s",
			    k->name, k->cert, strerror(errno));
			*bad = 1;
		}
		goto fail;
	}
	switch (certcheck_dates(kd->cert, kd->certlen, time(NULL), why,
	    sizeof(why))) {
	case -2:
		keys_error("tls keypair \"%s\": certificate %s %s", k->name,
		    k->cert, why);
		*bad = 1;
		goto fail;
	case -1:
		keys_doubt(strict, "tls keypair \"%s\": certificate %s %s",
		    k->name, k->cert, why);
		break;
	}
	if ((kd->key = keys_file(keypath, &kd->keylen)) == NULL) {
		if (keys_unreadable("key", k->name, keypath)) {
			*cert = kd;
			return (NULL);
		}
		keys_error("tls keypair \"%s\": key %s: %s", k->name, keypath,
		    strerror(errno));
		*bad = 1;
		goto fail;
	}
	switch (certcheck_key(kd->cert, kd->certlen, kd->key, kd->keylen)) {
	case CERTCHECK_KEY_NONE:
		keys_error("tls keypair \"%s\": %s holds no private key",
		    k->name, keypath);
		*bad = 1;
		goto fail;
	case CERTCHECK_KEY_MISMATCH:
		keys_error("tls keypair \"%s\": key %s does not match "
		    "certificate %s", k->name, keypath, k->cert);
		*bad = 1;
		goto fail;
	}
	if (keys_check(kd) == -1) {
		*bad = 1;
		goto fail;
	}
	return (kd);
 fail:
	keydata_free(kd);
	return (NULL);
}

/* The certificate of keypair name, among those read. */
static struct keydata *
keys_find(struct keydata_list *l1, struct keydata_list *l2, const char *name)
{
	struct keydata	*kd;

	TAILQ_FOREACH(kd, l1, entry)
		if (strcmp(kd->name, name) == 0)
			return (kd);
	TAILQ_FOREACH(kd, l2, entry)
		if (strcmp(kd->name, name) == 0)
			return (kd);
	return (NULL);
}

/*
 * Is the service name (a domain, MUC or upload service: what) named by
 * the certificate of its keypair, or else of some keypair, as a client
 * choosing by SNI or a peer server will want?  Unknowable, and not
 * told, when a keypair could not be read.
 */
static void
keys_names(struct xmppd_config *conf, struct keydata_list *certs,
    const char *what, const char *name, const char *keypair, int strict)
{
	struct keydata	*kd;
	int		 i;

	if (keypair != NULL && keypair[0] != '\0') {
		if ((kd = keys_find(&conf->keydata, certs, keypair)) != NULL &&
		    tlsverify_names(kd->cert, kd->certlen, name) != 1)
			keys_doubt(strict, "tls keypair \"%s\": certificate %s "
			    "does not name %s \"%s\"", keypair,
			    config_keypair(conf, keypair)->cert, what, name);
		return;
	}
	for (i = 0; i < 2; i++)
		TAILQ_FOREACH(kd, i == 0 ? &conf->keydata : certs, entry)
			if (tlsverify_names(kd->cert, kd->certlen, name) == 1)
				return;
	keys_doubt(strict, "%s \"%s\": no tls keypair has a certificate "
	    "that names it", what, name);
}

static void
keys_check_names(struct xmppd_config *conf, struct keydata_list *certs,
    int strict)
{
	struct domain_conf	*d;
	struct muc_conf		*m;
	struct upload_conf	*u;

	TAILQ_FOREACH(d, &conf->domains, entry)
		keys_names(conf, certs, "domain", d->name, d->keypair, strict);
	TAILQ_FOREACH(m, &conf->mucs, entry)
		keys_names(conf, certs, "muc", m->name, NULL, strict);
	TAILQ_FOREACH(u, &conf->uploads, entry)
		keys_names(conf, certs, "upload", u->name, NULL, strict);
}

/*
 * Load every keypair of conf.  A keypair with no key file has the key in
 * its certificate file (one PEM with key and chain).  strict (xmppd -n):
 * a certificate that is not valid now or does not name what it serves
 * is an error rather than a warning.
 */
int
keys_load(struct xmppd_config *conf, int strict)
{
	struct keypair_conf	*k;
	struct keydata		*kd, *cert;
	struct keydata_list	 certs;
	int			 bad, errors = 0, unread = 0;

	keys_doubts = 0;
	TAILQ_INIT(&certs);
	TAILQ_FOREACH(k, &conf->keypairs, entry) {
		bad = 0;
		if ((kd = keys_load_pair(k, strict, &cert, &bad)) != NULL)
			TAILQ_INSERT_TAIL(&conf->keydata, kd, entry);
		else if (cert != NULL)
			TAILQ_INSERT_TAIL(&certs, cert, entry);
		else if (!bad)
			unread++;
		errors += bad;
	}
	/* Which certificate names what is known once each was read. */
	if (errors == 0 && unread == 0 && !TAILQ_EMPTY(&conf->keypairs))
		keys_check_names(conf, &certs, strict);
	while ((kd = TAILQ_FIRST(&certs)) != NULL) {
		TAILQ_REMOVE(&certs, kd, entry);
		keydata_free(kd);
	}
	if (keys_load_ldap_ca(conf) == -1)
		errors++;
	if (keys_load_tls_ca(conf) == -1)
		errors++;
	return (errors || keys_doubts ? -1 : 0);
}
