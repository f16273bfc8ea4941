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
 * Configuration objects: defaults, lookups and teardown, shared by the
 * parent (which parses) and the children (which receive the parts).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "proc.h"

struct xmppd_config *
config_new(void)
{
	struct xmppd_config	*conf;
	struct global_conf	*g;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return (NULL);
	TAILQ_INIT(&conf->keypairs);
	TAILQ_INIT(&conf->keydata);
	TAILQ_INIT(&conf->ldaps);
	TAILQ_INIT(&conf->domains);
	TAILQ_INIT(&conf->mucs);
	TAILQ_INIT(&conf->uploads);
	TAILQ_INIT(&conf->components);
	TAILQ_INIT(&conf->listeners);
	TAILQ_INIT(&conf->resolvers);

	g = &conf->global;
	(void)strlcpy(g->user, XMPPD_USER, sizeof(g->user));
	(void)strlcpy(g->datadir, XMPPD_DATADIR, sizeof(g->datadir));
	(void)strlcpy(g->socket, XMPPD_SOCKET, sizeof(g->socket));
	g->storage = STORAGE_SQLITE;
	g->muc_storage = STORAGE_SQLITE;
	(void)strlcpy(g->web_cors, "*", sizeof(g->web_cors));
	g->prefork = 0;
	g->limits.stanza_size = DEFAULT_STANZA_SIZE;
	g->limits.client_rate = DEFAULT_CLIENT_RATE;
	g->limits.server_rate = DEFAULT_SERVER_RATE;
	g->limits.component_rate = DEFAULT_COMPONENT_RATE;
	g->limits.conn_per_addr = DEFAULT_CONN_PER_ADDR;
	g->limits.server_idle = DEFAULT_SERVER_IDLE;
	g->limits.server_queue = DEFAULT_SERVER_QUEUE;
	g->limits.server_conn_per_addr = DEFAULT_SERVER_CONN_PER_ADDR;
	g->limits.auth_failures = DEFAULT_AUTH_FAILURES;
	g->limits.auth_period = DEFAULT_AUTH_PERIOD;
	g->limits.sessions_per_user = DEFAULT_SESSIONS_PER_USER;
	g->limits.xml_depth = DEFAULT_XML_DEPTH;
	g->limits.resume_timeout = DEFAULT_RESUME_TIMEOUT;
	g->limits.http_header_size = DEFAULT_HTTP_HEADER_SIZE;
	g->limits.http_header_timeout = DEFAULT_HTTP_HEADER_TIMEOUT;
	g->limits.http_idle_timeout = DEFAULT_HTTP_IDLE_TIMEOUT;
	g->limits.http_body_rate = DEFAULT_HTTP_BODY_RATE;
	g->limits.http_connections = DEFAULT_HTTP_CONNECTIONS;
	g->limits.mux_timeout = DEFAULT_MUX_TIMEOUT;
	return (conf);
}

void
config_wipe_secrets(struct xmppd_config *conf)
{
	struct ldap_conf	*l;
	struct component_conf	*c;

	TAILQ_FOREACH(l, &conf->ldaps, entry)
		explicit_bzero(l->bindpw, sizeof(l->bindpw));
	TAILQ_FOREACH(c, &conf->components, entry)
		explicit_bzero(c->password, sizeof(c->password));
	explicit_bzero(conf->global.storage_password,
	    sizeof(conf->global.storage_password));
	explicit_bzero(conf->global.muc_password,
	    sizeof(conf->global.muc_password));
	explicit_bzero(conf->global.grant_key, sizeof(conf->global.grant_key));
	explicit_bzero(conf->global.ldap_grant_key,
	    sizeof(conf->global.ldap_grant_key));
}

#define CONFIG_FREE_LIST(head, type) do {			\
	struct type *_o;					\
	while ((_o = TAILQ_FIRST(head)) != NULL) {		\
		TAILQ_REMOVE(head, _o, entry);			\
		freezero(_o, sizeof(*_o));			\
	}							\
} while (0)

void
keydata_free(struct keydata *kd)
{
	freezero(kd->cert, kd->certlen);
	freezero(kd->key, kd->keylen);
	freezero(kd, sizeof(*kd));
}

void
config_free(struct xmppd_config *conf)
{
	struct ldap_conf	*l;
	struct domain_conf	*d;
	struct listen_conf	*lc;
	struct keydata		*kd;

	if (conf == NULL)
		return;
	while ((kd = TAILQ_FIRST(&conf->keydata)) != NULL) {
		TAILQ_REMOVE(&conf->keydata, kd, entry);
		keydata_free(kd);
	}
	TAILQ_FOREACH(l, &conf->ldaps, entry) {
		CONFIG_FREE_LIST(&l->servers, ldap_server_conf);
		free(l->cadata);
	}
	TAILQ_FOREACH(d, &conf->domains, entry)
		CONFIG_FREE_LIST(&d->admins, admin_conf);
	TAILQ_FOREACH(lc, &conf->listeners, entry)
		if (lc->fd != -1)
			close(lc->fd);
	free(conf->cadata);
	CONFIG_FREE_LIST(&conf->keypairs, keypair_conf);
	CONFIG_FREE_LIST(&conf->ldaps, ldap_conf);
	CONFIG_FREE_LIST(&conf->domains, domain_conf);
	CONFIG_FREE_LIST(&conf->mucs, muc_conf);
	CONFIG_FREE_LIST(&conf->uploads, upload_conf);
	CONFIG_FREE_LIST(&conf->components, component_conf);
	CONFIG_FREE_LIST(&conf->listeners, listen_conf);
	CONFIG_FREE_LIST(&conf->resolvers, resolver_conf);
	freezero(conf, sizeof(*conf));
}

#define CONFIG_LOOKUP(fn, type, field)				\
struct type *							\
fn(struct xmppd_config *conf, const char *name)			\
{								\
	struct type *_o;					\
								\
	TAILQ_FOREACH(_o, &conf->field, entry)			\
		if (strcasecmp(_o->name, name) == 0)		\
			return (_o);				\
	return (NULL);						\
}

CONFIG_LOOKUP(config_domain, domain_conf, domains)
CONFIG_LOOKUP(config_keypair, keypair_conf, keypairs)
CONFIG_LOOKUP(config_ldap, ldap_conf, ldaps)
CONFIG_LOOKUP(config_muc, muc_conf, mucs)
CONFIG_LOOKUP(config_upload, upload_conf, uploads)
CONFIG_LOOKUP(config_component, component_conf, components)

/*
 * Does this server speak for name over federation: one of its domains,
 * or a muc service?  When it does, *d is the domain whose settings
 * (keypair, federation require certificates) apply: the domain itself,
 * or the one a muc service's name is under (NULL: none, the defaults).
 */
int
config_federated(struct xmppd_config *conf, const char *name,
    struct domain_conf **d)
{
	const char	*up;

	*d = config_domain(conf, name);
	if (*d != NULL)
		return (1);
	if (config_muc(conf, name) == NULL)
		return (0);
	for (up = strchr(name, '.'); up != NULL && *d == NULL;
	    up = strchr(up + 1, '.'))
		*d = config_domain(conf, up + 1);
	return (1);
}

const char *
config_listen_kind(int kind)
{
	switch (kind) {
	case LISTEN_CLIENT:
		return ("client");
	case LISTEN_SERVER:
		return ("server");
	case LISTEN_COMPONENT:
		return ("component");
	case LISTEN_HTTP:
		return ("http");
	case LISTEN_MULTIPLEX:
		return ("multiplex");
	case LISTEN_UPLOAD:
		return ("upload");
	}
	return ("unknown");
}

/* Is the numeric address addr in one of the "proxy from" nets of lc? */
int
config_proxy_allowed(const struct listen_conf *lc, const char *addr)
{
	const struct proxy_net	*n;
	const uint8_t		*net;
	uint8_t			 a[16];
	int			 af, i, bits;

	af = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(af, addr, a) != 1)
		return (0);
	for (i = 0; i < lc->nproxy; i++) {
		n = &lc->proxy[i];
		if (n->ss.ss_family != af)
			continue;
		net = af == AF_INET ? (const uint8_t *)
		    &((const struct sockaddr_in *)&n->ss)->sin_addr :
		    (const uint8_t *)
		    &((const struct sockaddr_in6 *)&n->ss)->sin6_addr;
		bits = n->prefixlen;
		if (memcmp(a, net, bits / 8) == 0 && (bits % 8 == 0 ||
		    ((a[bits / 8] ^ net[bits / 8]) & (0xff00 >> (bits % 8)))
		    == 0))
			return (1);
	}
	return (0);
}

/*
 * A resolver as xmppd.conf writes it: a numeric IPv4 or IPv6 address,
 * "@PORT" after it for another port than 53.  No name: there is no
 * resolver yet to resolve it.
 */
int
config_resolver_parse(const char *s, struct resolver_conf *rc)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&rc->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&rc->ss;
	char			 addr[INET6_ADDRSTRLEN];
	const char		*at, *errstr;
	size_t			 len;
	long long		 port = RESOLVER_PORT;

	memset(rc, 0, sizeof(*rc));
	if ((at = strchr(s, '@')) != NULL) {
		port = strtonum(at + 1, 1, 65535, &errstr);
		if (errstr != NULL)
			return (-1);
		len = at - s;
	} else
		len = strlen(s);
	if (len == 0 || len >= sizeof(addr))
		return (-1);
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	} else
		return (-1);
	rc->port = port;
	return (0);
}

/* The ADDR[@PORT] form back, as parse and libunbound take it. */
int
config_resolver_print(struct resolver_conf *rc, char *buf, size_t len)
{
	char		 addr[INET6_ADDRSTRLEN];
	const void	*a;

	if (rc->ss.ss_family == AF_INET)
		a = &((struct sockaddr_in *)&rc->ss)->sin_addr;
	else
		a = &((struct sockaddr_in6 *)&rc->ss)->sin6_addr;
	if (inet_ntop(rc->ss.ss_family, a, addr, sizeof(addr)) == NULL)
		return (-1);
	if (rc->port == RESOLVER_PORT) {
		if (strlcpy(buf, addr, len) >= len)
			return (-1);
	} else if (snprintf(buf, len, "%s@%u", addr, rc->port) >= (int)len)
		return (-1);
	return (0);
}

/*
 * The nameservers of a resolv.conf(5), for a configuration that names
 * no resolver: its "nameserver" lines with a numeric address, at most
 * RESOLVER_MAX.  Returns how many were added.
 */
int
config_resolv_conf(FILE *fp, struct xmppd_config *conf)
{
	struct resolver_conf	*rc;
	char			 line[1024], *p, *word;
	int			 n = 0;

	while (n < RESOLVER_MAX && fgets(line, sizeof(line), fp) != NULL) {
		p = line;
		if ((word = strsep(&p, " \t\r\n")) == NULL ||
		    strcmp(word, "nameserver") != 0 || p == NULL)
			continue;
		p += strspn(p, " \t");
		if ((word = strsep(&p, " \t\r\n")) == NULL || *word == '\0' ||
		    strchr(word, '@') != NULL)
			continue;
		if ((rc = calloc(1, sizeof(*rc))) == NULL)
			return (-1);
		if (config_resolver_parse(word, rc) == -1) {
			free(rc);
			continue;
		}
		rc->system = 1;
		TAILQ_INSERT_TAIL(&conf->resolvers, rc, entry);
		n++;
	}
	return (n);
}

/*
 * Sending the configuration: each process type gets only the objects its
 * job needs.  Secrets go to the one process that checks them: LDAP bind
 * passwords to ldapauthd, component secrets to the store (which checks
 * the XEP-0114 handshake, as it runs SASL).
 */
#define CFG_ROUTER	(1 << PROC_ROUTER)
#define CFG_STORE	(1 << PROC_STORE)
#define CFG_STREAM	(1 << PROC_STREAM)
#define CFG_LDAPAUTHD	(1 << PROC_LDAPAUTHD)
#define CFG_MUCD	(1 << PROC_MUCD)
#define CFG_UPLOADD	(1 << PROC_UPLOADD)
#define CFG_RESOLVER	(1 << PROC_RESOLVER)

static uint8_t	 config_grant_key[sizeof(((struct global_conf *)0)->grant_key)];
static uint8_t	 config_ldap_grant_key[sizeof(config_grant_key)];
static int	 config_grant_key_made;

static int
config_compose(struct imsgbuf *ibuf, int type, int fd, const void *p,
    size_t len)
{
	return (imsg_compose(ibuf, type, 0, 0, fd, p, len));
}

/*
 * ldapauthd gets the whole block, the bind password and the CA bytes
 * the parent read; the router only what names the shared roster and
 * the vCard fields.
 */
static int
config_send_ldap(struct imsgbuf *ibuf, struct xmppd_config *conf,
    int secrets)
{
	struct ldap_conf	*l, copy;
	struct ldap_server_conf	*s;

	TAILQ_FOREACH(l, &conf->ldaps, entry) {
		copy = *l;
		if (!secrets)
			explicit_bzero(copy.bindpw, sizeof(copy.bindpw));
		copy.cadata = NULL;
		copy.calen = 0;
		if (config_compose(ibuf, IMSG_CFG_LDAP, -1, &copy,
		    sizeof(copy)) == -1) {
			explicit_bzero(&copy, sizeof(copy));
			return (-1);
		}
		explicit_bzero(&copy, sizeof(copy));
		TAILQ_FOREACH(s, &l->servers, entry)
			if (config_compose(ibuf, IMSG_CFG_LDAP_SERVER, -1, s,
			    sizeof(*s)) == -1)
				return (-1);
		if (secrets && l->cadata != NULL &&
		    config_compose(ibuf, IMSG_CFG_LDAP_CA, -1, l->cadata,
		    l->calen) == -1)
			return (-1);
	}
	return (0);
}

static int
config_send_domains(struct imsgbuf *ibuf, struct xmppd_config *conf)
{
	struct domain_conf	*d;
	struct admin_conf	*a;

	TAILQ_FOREACH(d, &conf->domains, entry) {
		if (config_compose(ibuf, IMSG_CFG_DOMAIN, -1, d,
		    sizeof(*d)) == -1)
			return (-1);
		TAILQ_FOREACH(a, &d->admins, entry)
			if (config_compose(ibuf, IMSG_CFG_ADMIN, -1, a,
			    sizeof(*a)) == -1)
				return (-1);
	}
	return (0);
}

static int
config_send_components(struct imsgbuf *ibuf, struct xmppd_config *conf,
    int secret)
{
	struct component_conf	*c, copy;

	TAILQ_FOREACH(c, &conf->components, entry) {
		copy = *c;
		if (!secret)
			explicit_bzero(copy.password, sizeof(copy.password));
		if (config_compose(ibuf, IMSG_CFG_COMPONENT, -1, &copy,
		    sizeof(copy)) == -1) {
			explicit_bzero(&copy, sizeof(copy));
			return (-1);
		}
		explicit_bzero(&copy, sizeof(copy));
	}
	return (0);
}

static int
config_send_listeners(struct imsgbuf *ibuf, struct xmppd_config *conf,
    int upload)
{
	struct listen_conf	*lc;
	int			 fd;

	TAILQ_FOREACH(lc, &conf->listeners, entry) {
		if ((lc->kind == LISTEN_UPLOAD) != upload || lc->fd == -1)
			continue;
		if ((fd = dup(lc->fd)) == -1)
			return (-1);
		if (config_compose(ibuf, IMSG_CFG_LISTEN, fd, lc,
		    sizeof(*lc)) == -1) {
			close(fd);
			return (-1);
		}
	}
	return (0);
}

static int
config_send_keydata(struct imsgbuf *ibuf, struct xmppd_config *conf)
{
	struct keydata		*kd;
	struct keydata_hdr	 hdr;
	struct iovec		 iov[3];

	TAILQ_FOREACH(kd, &conf->keydata, entry) {
		memset(&hdr, 0, sizeof(hdr));
		(void)strlcpy(hdr.name, kd->name, sizeof(hdr.name));
		hdr.certlen = kd->certlen;
		hdr.keylen = kd->keylen;
		iov[0].iov_base = &hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = kd->cert;
		iov[1].iov_len = kd->certlen;
		iov[2].iov_base = kd->key;
		iov[2].iov_len = kd->keylen;
		if (imsg_composev(ibuf, IMSG_CFG_KEYDATA, 0, 0, -1, iov,
		    3) == -1)
			return (-1);
	}
	return (0);
}

static void
config_recv_keydata(struct xmppd_config *conf, struct imsg *imsg)
{
	struct keydata_hdr	 hdr;
	struct keydata		*kd;
	struct ibuf		 ib;

	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &hdr, sizeof(hdr)) == -1 ||
	    hdr.certlen > ibuf_size(&ib) ||
	    hdr.keylen != ibuf_size(&ib) - hdr.certlen ||
	    hdr.certlen == 0 || hdr.keylen == 0 ||
	    hdr.name[sizeof(hdr.name) - 1] != '\0')
		fatalx("config: bad keydata");
	if ((kd = calloc(1, sizeof(*kd))) == NULL ||
	    (kd->cert = malloc(hdr.certlen)) == NULL ||
	    (kd->key = malloc(hdr.keylen)) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(kd->name, hdr.name, sizeof(kd->name));
	kd->certlen = hdr.certlen;
	kd->keylen = hdr.keylen;
	if (ibuf_get(&ib, kd->cert, kd->certlen) == -1 ||
	    ibuf_get(&ib, kd->key, kd->keylen) == -1)
		fatalx("config: bad keydata");
	TAILQ_INSERT_TAIL(&conf->keydata, kd, entry);
}

int
config_send(struct imsgbuf *ibuf, struct xmppd_config *conf, int type)
{
	struct keypair_conf	*k;
	struct muc_conf		*m;
	struct upload_conf	*u;
	struct global_conf	 g;
	struct resolver_conf	*r;
	int			 what = 1 << type, rc;

	/* The database's address and password: the store's alone. */
	g = conf->global;
	if ((what & CFG_STORE) == 0) {
		explicit_bzero(g.storage_conninfo, sizeof(g.storage_conninfo));
		explicit_bzero(g.storage_password, sizeof(g.storage_password));
	}
	if ((what & CFG_MUCD) == 0) {
		explicit_bzero(g.muc_conninfo, sizeof(g.muc_conninfo));
		explicit_bzero(g.muc_password, sizeof(g.muc_password));
	}
	/*
	 * Keys for the parent's life (a reload keeps logins' grants), one
	 * per maker: the store's, and ldapauthd's, so that ldapauthd's word
	 * never passes for the store's on an account of the store's.
	 */
	if (!config_grant_key_made) {
		arc4random_buf(config_grant_key, sizeof(config_grant_key));
		arc4random_buf(config_ldap_grant_key,
		    sizeof(config_ldap_grant_key));
		config_grant_key_made = 1;
	}
	if (what & (CFG_ROUTER | CFG_STORE))
		memcpy(g.grant_key, config_grant_key, sizeof(g.grant_key));
	else if (what & CFG_LDAPAUTHD)
		memcpy(g.grant_key, config_ldap_grant_key,
		    sizeof(g.grant_key));
	if (what & CFG_ROUTER)
		memcpy(g.ldap_grant_key, config_ldap_grant_key,
		    sizeof(g.ldap_grant_key));
	rc = config_compose(ibuf, IMSG_CFG_GLOBAL, -1, &g, sizeof(g));
	explicit_bzero(&g, sizeof(g));
	if (rc == -1)
		return (-1);
	if (what & (CFG_STREAM | CFG_UPLOADD)) {
		TAILQ_FOREACH(k, &conf->keypairs, entry)
			if (config_compose(ibuf, IMSG_CFG_KEYPAIR, -1, k,
			    sizeof(*k)) == -1)
				return (-1);
		if (config_send_keydata(ibuf, conf) == -1)
			return (-1);
	}
	/* The streams check peer servers' certificates against it. */
	if ((what & CFG_STREAM) && conf->cadata != NULL &&
	    config_compose(ibuf, IMSG_CFG_TLS_CA, -1, conf->cadata,
	    conf->calen) == -1)
		return (-1);
	if ((what & (CFG_LDAPAUTHD | CFG_ROUTER)) &&
	    config_send_ldap(ibuf, conf, what & CFG_LDAPAUTHD) == -1)
		return (-1);
	/*
	 * mucd: whose users are local and who the admins are, to create;
	 * uploadd: whose users may have slots.
	 */
	if ((what & (CFG_ROUTER | CFG_STORE | CFG_STREAM | CFG_LDAPAUTHD |
	    CFG_MUCD | CFG_UPLOADD)) && config_send_domains(ibuf, conf) == -1)
		return (-1);
	/* The streams: a muc service's name is one federation serves. */
	if (what & (CFG_ROUTER | CFG_MUCD | CFG_STREAM))
		TAILQ_FOREACH(m, &conf->mucs, entry)
			if (config_compose(ibuf, IMSG_CFG_MUC, -1, m,
			    sizeof(*m)) == -1)
				return (-1);
	/* Streams: the names a multiplexer hands to uploadd by SNI. */
	if (what & (CFG_ROUTER | CFG_UPLOADD | CFG_STREAM))
		TAILQ_FOREACH(u, &conf->uploads, entry)
			if (config_compose(ibuf, IMSG_CFG_UPLOAD, -1, u,
			    sizeof(*u)) == -1)
				return (-1);
	if ((what & (CFG_ROUTER | CFG_STORE | CFG_STREAM)) &&
	    config_send_components(ibuf, conf, what & CFG_STORE) == -1)
		return (-1);
	if (what & CFG_RESOLVER)
		TAILQ_FOREACH(r, &conf->resolvers, entry)
			if (config_compose(ibuf, IMSG_CFG_RESOLVER, -1, r,
			    sizeof(*r)) == -1)
				return (-1);
	if ((what & (CFG_STREAM | CFG_UPLOADD)) &&
	    config_send_listeners(ibuf, conf, (what & CFG_UPLOADD) != 0) == -1)
		return (-1);
	return (config_compose(ibuf, IMSG_CFG_DONE, -1, NULL, 0));
}

/* Copy a received object into a fresh allocation; its lists are empty. */
static void *
config_copy(struct imsg *imsg, size_t size)
{
	void	*p;

	if (imsg_get_len(imsg) != size)
		fatalx("config: bad size %zu for imsg %u, expected %zu",
		    imsg_get_len(imsg), imsg_get_type(imsg), size);
	if ((p = malloc(size)) == NULL)
		fatal("%s", __func__);
	if (imsg_get_data(imsg, p, size) == -1)
		fatal("%s", __func__);
	return (p);
}

/*
 * Add one received object to conf.  Returns 1 when the message was a
 * configuration object, 0 otherwise.
 */
int
config_recv(struct xmppd_config *conf, struct imsg *imsg)
{
	struct ldap_conf	*l;
	struct domain_conf	*d;
	struct listen_conf	*lc;
	struct ldap_server_conf	*ls;
	struct admin_conf	*a;
	struct keypair_conf	*k;
	struct muc_conf		*m;
	struct upload_conf	*u;
	struct component_conf	*c;
	struct resolver_conf	*r;

	switch (imsg_get_type(imsg)) {
	case IMSG_CFG_GLOBAL:
		if (imsg_get_data(imsg, &conf->global,
		    sizeof(conf->global)) == -1)
			fatalx("config: bad global");
		break;
	case IMSG_CFG_KEYPAIR:
		k = config_copy(imsg, sizeof(*k));
		TAILQ_INSERT_TAIL(&conf->keypairs, k, entry);
		break;
	case IMSG_CFG_LDAP:
		l = config_copy(imsg, sizeof(*l));
		TAILQ_INIT(&l->servers);
		l->cadata = NULL;
		l->calen = 0;
		TAILQ_INSERT_TAIL(&conf->ldaps, l, entry);
		break;
	case IMSG_CFG_LDAP_SERVER:
		if ((l = TAILQ_LAST(&conf->ldaps, ldap_list)) == NULL)
			fatalx("config: ldap server without ldap");
		ls = config_copy(imsg, sizeof(*ls));
		TAILQ_INSERT_TAIL(&l->servers, ls, entry);
		break;
	case IMSG_CFG_LDAP_CA:
		if ((l = TAILQ_LAST(&conf->ldaps, ldap_list)) == NULL ||
		    l->cadata != NULL || imsg_get_len(imsg) == 0)
			fatalx("config: bad ldap ca");
		l->calen = imsg_get_len(imsg);
		if ((l->cadata = malloc(l->calen)) == NULL)
			fatal("%s", __func__);
		(void)imsg_get_data(imsg, l->cadata, l->calen);
		break;
	case IMSG_CFG_TLS_CA:
		if (conf->cadata != NULL || imsg_get_len(imsg) == 0)
			fatalx("config: bad tls ca");
		conf->calen = imsg_get_len(imsg);
		if ((conf->cadata = malloc(conf->calen)) == NULL)
			fatal("%s", __func__);
		(void)imsg_get_data(imsg, conf->cadata, conf->calen);
		log_debug("tls ca: %zu bytes", conf->calen);
		break;
	case IMSG_CFG_DOMAIN:
		d = config_copy(imsg, sizeof(*d));
		TAILQ_INIT(&d->admins);
		TAILQ_INSERT_TAIL(&conf->domains, d, entry);
		break;
	case IMSG_CFG_ADMIN:
		if ((d = TAILQ_LAST(&conf->domains, domain_list)) == NULL)
			fatalx("config: admin without domain");
		a = config_copy(imsg, sizeof(*a));
		TAILQ_INSERT_TAIL(&d->admins, a, entry);
		break;
	case IMSG_CFG_MUC:
		m = config_copy(imsg, sizeof(*m));
		TAILQ_INSERT_TAIL(&conf->mucs, m, entry);
		break;
	case IMSG_CFG_UPLOAD:
		u = config_copy(imsg, sizeof(*u));
		TAILQ_INSERT_TAIL(&conf->uploads, u, entry);
		break;
	case IMSG_CFG_COMPONENT:
		c = config_copy(imsg, sizeof(*c));
		TAILQ_INSERT_TAIL(&conf->components, c, entry);
		break;
	case IMSG_CFG_KEYDATA:
		config_recv_keydata(conf, imsg);
		break;
	case IMSG_CFG_RESOLVER:
		r = config_copy(imsg, sizeof(*r));
		TAILQ_INSERT_TAIL(&conf->resolvers, r, entry);
		break;
	case IMSG_CFG_LISTEN:
		lc = config_copy(imsg, sizeof(*lc));
		lc->fd = imsg_get_fd(imsg);
		TAILQ_INSERT_TAIL(&conf->listeners, lc, entry);
		break;
	default:
		return (0);
	}
	return (1);
}
