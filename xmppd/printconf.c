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
 * xmppd -nn: the configuration as parsed, in the xmppd.conf(5) language,
 * every default spelled out and every password hidden.  The output parses
 * back to the same configuration; the regress tests rely on it.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"

#define PRINT_SECRET	"\"********\""

/*
 * The lexer keeps a backslash that escapes neither a quote nor another
 * backslash, so only those, and a final one, need escaping.
 */
static void
print_escaped(FILE *fp, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && s[i] != '\0'; i++) {
		if (s[i] == '"' || (s[i] == '\\' && (s[i + 1] == '\\' ||
		    s[i + 1] == '"' || s[i + 1] == '\0')))
			fputc('\\', fp);
		fputc(s[i], fp);
	}
}

static void
print_quoted(FILE *fp, const char *s)
{
	fputc('"', fp);
	print_escaped(fp, s, strlen(s));
	fputc('"', fp);
}

/* The largest unit that keeps the value exact: 262144 is 256K. */
static const char *
print_size(int64_t v, char *buf, size_t len)
{
	static const struct {
		int64_t		 mult;
		const char	*unit;
	} units[] = {
		{ 1024LL * 1024 * 1024, "G" },
		{ 1024LL * 1024, "M" },
		{ 1024LL, "K" },
	};
	size_t	 i;

	for (i = 0; v != 0 && i < sizeof(units) / sizeof(units[0]); i++)
		if (v % units[i].mult == 0) {
			(void)snprintf(buf, len, "%lld%s",
			    (long long)(v / units[i].mult), units[i].unit);
			return (buf);
		}
	(void)snprintf(buf, len, "%lld", (long long)v);
	return (buf);
}

static const char *
print_duration(int64_t v, char *buf, size_t len)
{
	static const struct {
		int64_t		 mult;
		const char	*unit;
	} units[] = {
		{ 86400, "d" },
		{ 3600, "h" },
		{ 60, "m" },
		{ 1, "s" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (v % units[i].mult == 0)
			break;
	(void)snprintf(buf, len, "%lld%s", (long long)(v / units[i].mult),
	    units[i].unit);
	return (buf);
}

static const char *
print_expiry(time_t v, char *buf, size_t len)
{
	if (v == 0)
		return ("never");
	return (print_duration(v, buf, len));
}

/*
 * A PostgreSQL conninfo with its passwords hidden: the value of each
 * password keyword, and the one in a URI's user:password@.
 */
static void
print_conninfo(FILE *fp, const char *ci)
{
	const char	*p = ci, *q, *at, *slash;

	fputc('"', fp);
	if ((q = strstr(ci, "://")) != NULL) {
		q += 3;
		slash = strchr(q, '/');
		at = strchr(q, '@');
		if (at != NULL && (slash == NULL || at < slash) &&
		    (p = memchr(q, ':', at - q)) != NULL) {
			print_escaped(fp, ci, p + 1 - ci);
			fputs("********", fp);
			p = at;
		} else
			p = ci;
	}
	while (*p != '\0') {
		if (strncasecmp(p, "password", 8) != 0) {
			print_escaped(fp, p++, 1);
			continue;
		}
		q = p + 8;
		q += strspn(q, " \t");
		if (*q != '=') {
			print_escaped(fp, p++, 1);
			continue;
		}
		q++;
		q += strspn(q, " \t");
		print_escaped(fp, p, q - p);
		if (*q == '\'')
			for (q++; *q != '\0' && *q != '\''; q++)
				if (*q == '\\' && q[1] != '\0')
					q++;
		q += strcspn(q, " \t&");
		fputs("********", fp);
		p = q;
	}
	fputc('"', fp);
}

/* One line per origin, as they were given: lead, keyword, origin, trail. */
static void
print_cors(FILE *fp, const char *cors, const char *lead, const char *keyword,
    const char *trail)
{
	size_t	 n;

	if (*cors == '\0') {
		fprintf(fp, "%s%s none%s", lead, keyword, trail);
		return;
	}
	while (*cors != '\0') {
		n = strcspn(cors, " ");
		fprintf(fp, "%s%s \"%.*s\"%s", lead, keyword, (int)n, cors,
		    trail);
		cors += n + strspn(cors + n, " ");
	}
}

static void
print_global(FILE *fp, struct global_conf *g)
{
	struct limits_conf	*l = &g->limits;
	char			 b[32];

	fputs("user ", fp);
	print_quoted(fp, g->user);
	if (g->prefork == 0)
		fputs("\nprefork auto\n", fp);
	else
		fprintf(fp, "\nprefork %d\n", g->prefork);
	fputs("datadir ", fp);
	print_quoted(fp, g->datadir);
	if (g->storage == STORAGE_POSTGRESQL) {
		fputs("\nstorage postgresql ", fp);
		print_conninfo(fp, g->storage_conninfo);
	} else
		fputs("\nstorage sqlite", fp);
	if (g->muc_storage == STORAGE_POSTGRESQL) {
		fputs("\nmuc storage postgresql ", fp);
		print_conninfo(fp, g->muc_conninfo);
	}
	fputs("\nsocket ", fp);
	print_quoted(fp, g->socket);
	/* The default is the system's, which differs from one to another. */
	if (g->tls_ca[0] != '\0') {
		fputs("\ntls ca ", fp);
		print_quoted(fp, g->tls_ca);
	}
	/* The web transports' origins, when not the defaults. */
	if (strcmp(g->web_cors, "*") != 0)
		print_cors(fp, g->web_cors, "\n", "cors", "");
	if (g->ws_origins[0] != '\0')
		print_cors(fp, g->ws_origins, "\n", "websocket origin",
		    "");
	fputs("\n\nlimits {\n", fp);
	fprintf(fp, "\tstanza size %s\n", print_size(l->stanza_size, b,
	    sizeof(b)));
	fprintf(fp, "\tclient rate %s\n", print_size(l->client_rate, b,
	    sizeof(b)));
	fprintf(fp, "\tserver rate %s\n", print_size(l->server_rate, b,
	    sizeof(b)));
	fprintf(fp, "\tserver idle timeout %s\n", print_duration(
	    l->server_idle, b, sizeof(b)));
	fprintf(fp, "\tserver queue %d\n", l->server_queue);
	fprintf(fp, "\tserver connections per address %d\n",
	    l->server_conn_per_addr);
	fprintf(fp, "\tcomponent rate %s\n", print_size(l->component_rate, b,
	    sizeof(b)));
	fprintf(fp, "\tconnections per address %d\n", l->conn_per_addr);
	fprintf(fp, "\tauth failures %d per %s\n", l->auth_failures,
	    print_duration(l->auth_period, b, sizeof(b)));
	fprintf(fp, "\tsessions per user %d\n", l->sessions_per_user);
	if (l->password_min > 0)
		fprintf(fp, "\tpassword min length %d\n", l->password_min);
	fprintf(fp, "\txml depth %d\n", l->xml_depth);
	fprintf(fp, "\tresume timeout %s\n", print_duration(
	    l->resume_timeout, b, sizeof(b)));
	fprintf(fp, "\thttp header size %s\n", print_size(l->http_header_size,
	    b, sizeof(b)));
	fprintf(fp, "\thttp header timeout %s\n", print_duration(
	    l->http_header_timeout, b, sizeof(b)));
	fprintf(fp, "\thttp idle timeout %s\n", print_duration(
	    l->http_idle_timeout, b, sizeof(b)));
	fprintf(fp, "\thttp body rate %s\n", print_size(l->http_body_rate, b,
	    sizeof(b)));
	fprintf(fp, "\thttp connections %d\n", l->http_connections);
	fprintf(fp, "\tmultiplex timeout %s\n}\n", print_duration(
	    l->mux_timeout, b, sizeof(b)));
}

static void
print_keypair(FILE *fp, struct keypair_conf *k)
{
	fputs("\ntls keypair ", fp);
	print_quoted(fp, k->name);
	fputs(" {\n\tcertificate ", fp);
	print_quoted(fp, k->cert);
	if (k->key[0] != '\0') {
		fputs("\n\tkey ", fp);
		print_quoted(fp, k->key);
	}
	fputs("\n}\n", fp);
}

static void
print_vcard(FILE *fp, struct ldap_conf *l)
{
	const struct {
		const char	*field;
		const char	*attr;
	} map[] = {
		{ "fn", l->vcard_fn },
		{ "email", l->vcard_email },
		{ "photo", l->vcard_photo },
		{ "nickname", l->vcard_nickname },
		{ "tel", l->vcard_tel },
	};
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].attr[0] == '\0')
			continue;
		fprintf(fp, "%s %s ", n++ ? "" : "\tvcard", map[i].field);
		print_quoted(fp, map[i].attr);
	}
	if (n)
		fputc('\n', fp);
}

static void
print_ldap(FILE *fp, struct ldap_conf *l)
{
	struct ldap_server_conf	*s;
	char			 b[32];

	fputs("\nldap ", fp);
	print_quoted(fp, l->name);
	fputs(" {\n", fp);
	TAILQ_FOREACH(s, &l->servers, entry) {
		fputs("\tserver ", fp);
		print_quoted(fp, s->url);
		fputs(s->starttls ? " starttls\n" : "\n", fp);
	}
	if (l->binddn[0] != '\0') {
		fputs("\tbind ", fp);
		print_quoted(fp, l->binddn);
		fputs(" password " PRINT_SECRET "\n", fp);
	}
	fputs("\tbase ", fp);
	print_quoted(fp, l->base);
	fputs("\n\tfilter ", fp);
	print_quoted(fp, l->filter);
	fputc('\n', fp);
	if (l->ca[0] != '\0') {
		fputs("\tca ", fp);
		print_quoted(fp, l->ca);
		fputc('\n', fp);
	}
	fprintf(fp, "\ttimeout %s\n", print_duration(l->timeout, b,
	    sizeof(b)));
	if (l->roster_group[0] != '\0') {
		fputs("\troster group ", fp);
		print_quoted(fp, l->roster_group);
		fputc('\n', fp);
	}
	print_vcard(fp, l);
	fputs("}\n", fp);
}

static void
print_contacts(FILE *fp, struct domain_conf *d)
{
	static const char	*kinds[] = { "abuse", "admin", "feedback",
				    "sales", "security", "support" };
	int			 i;

	for (i = 0; i < d->ncontacts; i++) {
		fprintf(fp, "\tcontact %s ",
		    kinds[d->contacts[i].kind % CONTACT_NKINDS]);
		print_quoted(fp, d->contacts[i].uri);
		fputc('\n', fp);
	}
}

static void
print_domain(FILE *fp, struct domain_conf *d)
{
	static const char	*archive[] = { "always", "roster", "never" };
	struct admin_conf	*a;
	char			 b[32];

	fputs("\ndomain ", fp);
	print_quoted(fp, d->name);
	fputs(" {\n", fp);
	if (d->keypair[0] != '\0') {
		fputs("\ttls keypair ", fp);
		print_quoted(fp, d->keypair);
		fputc('\n', fp);
	}
	if (d->auth == AUTH_LDAP) {
		fputs("\tauth ldap ", fp);
		print_quoted(fp, d->ldap);
		fputc('\n', fp);
	} else
		fputs("\tauth internal\n", fp);
	fprintf(fp, "\tregistration %s\n", d->registration ? "allow" : "deny");
	TAILQ_FOREACH(a, &d->admins, entry) {
		fputs("\tadmin ", fp);
		print_quoted(fp, a->jid);
		fputc('\n', fp);
	}
	fprintf(fp, "\tarchive default %s\n",
	    archive[d->archive_default % 3]);
	fprintf(fp, "\tarchive expire %s\n", print_expiry(d->archive_expire,
	    b, sizeof(b)));
	fprintf(fp, "\toffline limit %d\n", d->offline_limit);
	if (d->federation_certs)
		fputs("\tfederation require certificates\n", fp);
	print_contacts(fp, d);
	if (d->motd[0] != '\0') {
		fputs("\tmotd ", fp);
		print_quoted(fp, d->motd);
		fputc('\n', fp);
	}
	fputs("}\n", fp);
}

static void
print_muc(FILE *fp, struct muc_conf *m)
{
	static const char	*create[] = { "local", "admins", "anyone" };
	char			 b[32];

	fputs("\nmuc ", fp);
	print_quoted(fp, m->name);
	fprintf(fp, " {\n\tcreate rooms %s\n", create[m->create % 3]);
	fprintf(fp, "\trooms %s\n", m->persistent ? "persistent" : "temporary");
	fprintf(fp, "\trooms per user %d\n", m->rooms_per_user);
	fprintf(fp, "\toccupants per room %d\n", m->occupants);
	fprintf(fp, "\tnick length %d\n", m->nick_length);
	fprintf(fp, "\tsubject length %d\n", m->subject_length);
	fprintf(fp, "\tmessage rate %d per %s\n", m->message_rate,
	    print_duration(m->message_period, b, sizeof(b)));
	fprintf(fp, "\thistory %d\n", m->history);
	fprintf(fp, "\tarchive expire %s\n}\n", print_expiry(m->archive_expire,
	    b, sizeof(b)));
}

/* The second half of a "*" or "localhost" pair was printed with the first. */
static int
print_listen_twin(struct listen_conf *lc)
{
	struct listen_conf	*prev;

	if (strcmp(lc->addr, "*") != 0 && strcmp(lc->addr, "localhost") != 0)
		return (0);
	if ((prev = TAILQ_PREV(lc, listen_list, entry)) == NULL)
		return (0);
	return (lc->ss.ss_family == AF_INET6 &&
	    prev->ss.ss_family == AF_INET &&
	    strcmp(prev->addr, lc->addr) == 0 && prev->port == lc->port &&
	    prev->kind == lc->kind && prev->flags == lc->flags &&
	    strcmp(prev->owner, lc->owner) == 0);
}

static void
print_proxy(FILE *fp, struct listen_conf *lc)
{
	const struct proxy_net	*n;
	const void		*a;
	char			 host[INET6_ADDRSTRLEN];
	int			 i;

	if (lc->nproxy > 0)
		fputs(" proxy from", fp);
	for (i = 0; i < lc->nproxy; i++) {
		n = &lc->proxy[i];
		if (n->ss.ss_family == AF_INET)
			a = &((const struct sockaddr_in *)&n->ss)->sin_addr;
		else
			a = &((const struct sockaddr_in6 *)&n->ss)->sin6_addr;
		if (inet_ntop(n->ss.ss_family, a, host, sizeof(host)) == NULL)
			host[0] = '\0';
		fprintf(fp, " %s/%d", host, n->prefixlen);
	}
}

static void
print_listen(FILE *fp, struct listen_conf *lc, const char *indent)
{
	if (print_listen_twin(lc))
		return;
	fprintf(fp, "%slisten on %s port %u", indent, lc->addr, lc->port);
	if (lc->kind == LISTEN_MULTIPLEX)
		fputs(" tls multiplex", fp);
	else if (lc->kind == LISTEN_UPLOAD)
		fputs(lc->flags & LISTEN_TLS ? " tls" : "", fp);
	else
		fprintf(fp, " %s%s", config_listen_kind(lc->kind),
		    lc->flags & LISTEN_TLS ? " tls" : "");
	print_proxy(fp, lc);
	fputc('\n', fp);
}

static void
print_upload(FILE *fp, struct xmppd_config *conf, struct upload_conf *u)
{
	struct listen_conf	*lc;
	char			 b[32];

	fputs("\nupload ", fp);
	print_quoted(fp, u->name);
	fputs(" {\n", fp);
	TAILQ_FOREACH(lc, &conf->listeners, entry)
		if (lc->kind == LISTEN_UPLOAD && strcmp(lc->owner, u->name) == 0)
			print_listen(fp, lc, "\t");
	fputs("\turl ", fp);
	print_quoted(fp, u->url);
	fprintf(fp, "\n\tmax size %s\n", print_size(u->max_size, b,
	    sizeof(b)));
	fprintf(fp, "\tquota %s\n", print_size(u->quota, b, sizeof(b)));
	fprintf(fp, "\texpire %s\n", print_expiry(u->expire, b, sizeof(b)));
	print_cors(fp, u->cors, "\t", "cors", "\n");
	fputs("}\n", fp);
}

static void
print_component(FILE *fp, struct component_conf *c)
{
	static const char	*roster[] = { "none", "get", "set", "both" };
	static const char	*message[] = { "none", "outgoing" };
	static const char	*presence[] = { "none", "managed_entity",
				    "roster" };

	fputs("\ncomponent ", fp);
	print_quoted(fp, c->name);
	fputs(" password " PRINT_SECRET " {\n", fp);
	fprintf(fp, "\tprivilege roster %s message %s presence %s\n}\n",
	    roster[c->priv_roster % 4], message[c->priv_message % 2],
	    presence[c->priv_presence % 3]);
}

void
print_config(FILE *fp, struct xmppd_config *conf)
{
	struct keypair_conf	*k;
	struct ldap_conf	*l;
	struct domain_conf	*d;
	struct muc_conf		*m;
	struct upload_conf	*u;
	struct component_conf	*c;
	struct listen_conf	*lc;
	struct resolver_conf	*r;
	char			 b[CONF_NAMELEN];
	int			 first = 1;

	print_global(fp, &conf->global);
	/* Those of /etc/resolv.conf are not the file's. */
	TAILQ_FOREACH(r, &conf->resolvers, entry)
		if (!r->system && config_resolver_print(r, b, sizeof(b)) == 0)
			fprintf(fp, "%sresolver \"%s\"\n",
			    r == TAILQ_FIRST(&conf->resolvers) ? "\n" : "", b);
	TAILQ_FOREACH(k, &conf->keypairs, entry)
		print_keypair(fp, k);
	TAILQ_FOREACH(l, &conf->ldaps, entry)
		print_ldap(fp, l);
	TAILQ_FOREACH(d, &conf->domains, entry)
		print_domain(fp, d);
	TAILQ_FOREACH(m, &conf->mucs, entry)
		print_muc(fp, m);
	TAILQ_FOREACH(u, &conf->uploads, entry)
		print_upload(fp, conf, u);
	TAILQ_FOREACH(c, &conf->components, entry)
		print_component(fp, c);
	TAILQ_FOREACH(lc, &conf->listeners, entry) {
		if (lc->kind == LISTEN_UPLOAD)
			continue;
		if (first) {
			fputc('\n', fp);
			first = 0;
		}
		print_listen(fp, lc, "");
	}
}
