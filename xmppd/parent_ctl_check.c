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
 * The parent's half of xmppctl check: the certificates of each domain
 * as they are on disk now (what a reload would take), and the settings
 * an admin should look at.  It tells xmppctl the domains and listeners
 * too, which xmppctl compares with DNS.  The parent reads these files
 * anyway at each reload; nothing it reads here goes to a child.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certcheck.h"
#include "config.h"
#include "log.h"
#include "parent.h"
#include "tlsverify.h"
#include "xmppd.h"

#define CHECK_SOON	(14 * 86400)	/* a certificate's last days */

/* A keypair's certificate as read now. */
struct check_cert {
	struct keypair_conf	*k;
	uint8_t			*pem;
	size_t			 len;
	int			 error;		/* errno when unread */
	int			 checked;	/* for the domain at hand */
};

struct check_ctx {
	struct child		*ctl;
	uint32_t		 peerid;
	struct xmppd_config	*conf;
	struct tlsverify_ca	*ca;
	struct check_cert	*certs;
	size_t			 ncerts;
};

static void
check_say(struct check_ctx *cx, int level, const char *where,
    const char *fmt, ...)
{
	struct ctl_check_finding f;
	va_list			 ap;

	memset(&f, 0, sizeof(f));
	f.level = level;
	(void)strlcpy(f.where, where, sizeof(f.where));
	va_start(ap, fmt);
	(void)vsnprintf(f.text, sizeof(f.text), fmt, ap);
	va_end(ap);
	imsgev_compose(&cx->ctl->iev, IMSG_CTL_CHECK_FINDING, cx->peerid, 0,
	    -1, &f, sizeof(f));
}

/*
 * The keypair whose certificate names name: keypair's only, if given,
 * and then also when its file cannot be read, to say so.
 */
static struct check_cert *
check_naming(struct check_ctx *cx, const char *name, const char *keypair)
{
	size_t	 i;

	for (i = 0; i < cx->ncerts; i++) {
		if (keypair != NULL && keypair[0] != '\0') {
			if (strcmp(cx->certs[i].k->name, keypair) != 0)
				continue;
			if (cx->certs[i].pem == NULL)
				return (&cx->certs[i]);
		}
		if (cx->certs[i].pem != NULL && tlsverify_names(
		    cx->certs[i].pem, cx->certs[i].len, name) == 1)
			return (&cx->certs[i]);
	}
	return (NULL);
}

/* Its dates: expired, not yet valid, or in its last days. */
static int
check_dates(struct check_ctx *cx, const char *where, struct check_cert *c)
{
	const char	*path = c->k->cert;
	char		 why[128];
	time_t		 now = time(NULL);

	switch (certcheck_dates(c->pem, c->len, now, why, sizeof(why))) {
	case -2:
		check_say(cx, CHECK_ERROR, where, "certificate %s %s: put "
		    "the PEM certificate there", path, why);
		return (-1);
	case -1:
		check_say(cx, CHECK_ERROR, where, "certificate %s %s: "
		    "renew it, then xmppctl reload", path, why);
		return (-1);
	}
	if (certcheck_dates(c->pem, c->len, now + CHECK_SOON, why,
	    sizeof(why)) == -1 && strncmp(why, "expired on ", 11) == 0)
		check_say(cx, CHECK_WARNING, where, "certificate %s expires "
		    "on %s, in under 14 days: renew it, then xmppctl reload",
		    path, why + 11);
	return (0);
}

static void
check_key(struct check_ctx *cx, const char *where, struct check_cert *c)
{
	const char	*keypath = c->k->key[0] ? c->k->key : c->k->cert;
	uint8_t		*key;
	size_t		 len;

	if ((key = keys_file(keypath, &len)) == NULL) {
		check_say(cx, CHECK_ERROR, where, "key %s: %s: fix the path "
		    "or the file", keypath, strerror(errno));
		return;
	}
	switch (certcheck_key(c->pem, c->len, key, len)) {
	case CERTCHECK_KEY_NONE:
		check_say(cx, CHECK_ERROR, where, "%s holds no private key: "
		    "name the key file with \"key\"", keypath);
		break;
	case CERTCHECK_KEY_MISMATCH:
		check_say(cx, CHECK_ERROR, where, "key %s does not match "
		    "certificate %s: install the key the certificate was "
		    "made for, then xmppctl reload", keypath, c->k->cert);
		break;
	}
	freezero(key, len);
}

/* One keypair of a domain: dates, key, chain to a trusted CA. */
static void
check_keypair(struct check_ctx *cx, const char *domain, struct check_cert *c)
{
	char	 why[256];
	int	 r;

	if (c->checked)
		return;
	c->checked = 1;
	if (c->pem == NULL) {
		check_say(cx, CHECK_ERROR, domain, "certificate %s: %s: fix "
		    "the path or the file", c->k->cert, strerror(c->error));
		return;
	}
	if (check_dates(cx, domain, c) == -1)
		return;
	check_key(cx, domain, c);
	if (cx->ca == NULL) {
		check_say(cx, CHECK_WARNING, domain, "certificate %s: its "
		    "chain is not checked, no CA bundle was read: name one "
		    "with \"tls ca\"", c->k->cert);
		return;
	}
	r = tlsverify_peer(cx->ca, c->pem, c->len, domain, time(NULL), why,
	    sizeof(why));
	if (r != TLSVERIFY_OK && r != TLSVERIFY_MISMATCH)
		check_say(cx, CHECK_ERROR, domain, "certificate %s is not "
		    "trusted (%s): clients and servers will refuse it; use "
		    "one from a CA, with its intermediates in the file",
		    c->k->cert, why);
}

/* A name the domain serves: a certificate must name it. */
static void
check_name(struct check_ctx *cx, struct domain_conf *d, const char *what,
    const char *name)
{
	struct check_cert	*c;
	const char		*keypair = what == NULL ? d->keypair : NULL;

	if ((c = check_naming(cx, name, keypair)) != NULL) {
		check_keypair(cx, d->name, c);
		return;
	}
	if (keypair != NULL && keypair[0] != '\0')
		check_say(cx, CHECK_ERROR, d->name, "tls keypair \"%s\" "
		    "does not name %s: use a certificate for it",
		    keypair, name);
	else
		check_say(cx, CHECK_ERROR, d->name, "%s%s%s: no tls keypair "
		    "has a certificate that names it: add it to a "
		    "certificate's names", what ? what : "", what ? " " : "",
		    name);
}

/* Is a muc, upload or component name under d, and no nearer domain? */
static int
check_under(struct check_ctx *cx, const char *name, struct domain_conf *d)
{
	const char	*up;

	for (up = strchr(name, '.'); up != NULL; up = strchr(up + 1, '.'))
		if (config_domain(cx->conf, up + 1) != NULL)
			return (config_domain(cx->conf, up + 1) == d);
	return (0);
}

static void
check_names(struct check_ctx *cx, struct domain_conf *d)
{
	struct muc_conf		*m;
	struct upload_conf	*u;
	struct component_conf	*co;
	size_t			 i;

	for (i = 0; i < cx->ncerts; i++)
		cx->certs[i].checked = 0;
	check_name(cx, d, NULL, d->name);
	TAILQ_FOREACH(m, &cx->conf->mucs, entry)
		if (check_under(cx, m->name, d))
			check_name(cx, d, "muc", m->name);
	TAILQ_FOREACH(u, &cx->conf->uploads, entry)
		if (check_under(cx, u->name, d))
			check_name(cx, d, "upload", u->name);
	TAILQ_FOREACH(co, &cx->conf->components, entry)
		if (check_under(cx, co->name, d))
			check_name(cx, d, "component", co->name);
}

/* Settings of d that work, but that an admin should look at. */
static void
check_settings(struct check_ctx *cx, struct domain_conf *d)
{
	struct listen_conf	*lc;
	int			 federated = 0;

	if (d->registration)
		check_say(cx, CHECK_WARNING, d->name, "registration allow: "
		    "anyone who reaches a client listener may create "
		    "accounts, three an address in ten minutes: use "
		    "registration deny and xmppctl user add, unless that is "
		    "meant");
	/* LDAP in clear to another host is refused by parse.y already. */
	TAILQ_FOREACH(lc, &cx->conf->listeners, entry)
		if (lc->kind == LISTEN_SERVER || lc->kind == LISTEN_MULTIPLEX)
			federated = 1;
	if (federated && !d->federation_certs)
		check_say(cx, CHECK_WARNING, d->name, "federation without "
		    "\"federation require certificates\": a peer may prove "
		    "its name by dialback, which forged DNS defeats: add it "
		    "to the domain block if your peers have valid "
		    "certificates");
}

/* What DNS should publish: the domain, then the listeners it serves. */
static void
check_listeners(struct check_ctx *cx)
{
	struct ctl_check_listen	 cl;
	struct listen_conf	*lc;

	TAILQ_FOREACH(lc, &cx->conf->listeners, entry) {
		if (lc->kind != LISTEN_CLIENT && lc->kind != LISTEN_SERVER &&
		    lc->kind != LISTEN_MULTIPLEX)
			continue;
		memset(&cl, 0, sizeof(cl));
		(void)strlcpy(cl.addr, lc->addr, sizeof(cl.addr));
		cl.port = lc->port;
		cl.kind = lc->kind;
		cl.flags = lc->flags;
		imsgev_compose(&cx->ctl->iev, IMSG_CTL_CHECK_LISTEN,
		    cx->peerid, 0, -1, &cl, sizeof(cl));
	}
}

static void
check_domain(struct check_ctx *cx, struct domain_conf *d)
{
	struct ctl_check	 cc;

	memset(&cc, 0, sizeof(cc));
	(void)strlcpy(cc.domain, d->name, sizeof(cc.domain));
	imsgev_compose(&cx->ctl->iev, IMSG_CTL_CHECK_DOMAIN, cx->peerid, 0,
	    -1, &cc, sizeof(cc));
	check_names(cx, d);
	check_settings(cx, d);
}

/* xmppctl check [DOMAIN]. */
void
parent_ctl_check(struct child *ctl, uint32_t peerid, struct imsg *imsg)
{
	struct check_ctx	 cx;
	struct ctl_check	 req;
	struct domain_conf	*d;
	struct keypair_conf	*k;
	size_t			 i;

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1 ||
	    memchr(req.domain, '\0', sizeof(req.domain)) == NULL) {
		parent_ctl_reply(ctl, peerid, IMSG_CTL_FAIL, "bad request");
		return;
	}
	if (req.domain[0] != '\0' && config_domain(env.conf, req.domain) ==
	    NULL) {
		parent_ctl_reply(ctl, peerid, IMSG_CTL_FAIL, "no such domain "
		    "in the running configuration");
		return;
	}
	memset(&cx, 0, sizeof(cx));
	cx.ctl = ctl;
	cx.peerid = peerid;
	cx.conf = env.conf;
	if (env.conf->cadata != NULL)
		cx.ca = tlsverify_ca_new(env.conf->cadata, env.conf->calen);
	TAILQ_FOREACH(k, &env.conf->keypairs, entry)
		cx.ncerts++;
	if ((cx.certs = calloc(cx.ncerts + 1, sizeof(*cx.certs))) == NULL)
		fatal("%s", __func__);
	i = 0;
	TAILQ_FOREACH(k, &env.conf->keypairs, entry) {
		cx.certs[i].k = k;
		if ((cx.certs[i].pem = keys_file(k->cert, &cx.certs[i].len)) ==
		    NULL)
			cx.certs[i].error = errno;
		i++;
	}
	TAILQ_FOREACH(d, &env.conf->domains, entry)
		if (req.domain[0] == '\0' || strcasecmp(d->name,
		    req.domain) == 0)
			check_domain(&cx, d);
	check_listeners(&cx);
	imsgev_compose(&ctl->iev, IMSG_CTL_END, peerid, 0, -1, NULL, 0);
	for (i = 0; i < cx.ncerts; i++)
		free(cx.certs[i].pem);
	free(cx.certs);
	tlsverify_ca_free(cx.ca);
}
