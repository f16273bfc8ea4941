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
 * xmppctl check [DOMAIN]: the parent reports on certificates and
 * settings and names the domains and listeners; here DNS is compared
 * with them, through the resolver process (xmppctl's host may not be
 * the server's, and the control process has no network).  Each finding
 * is one line: its level, where, what, and what to do.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compat.h"
#include "config.h"
#include "imsg.h"
#include "log.h"
#include "msg.h"
#include "xmppctl.h"

#define CHECK_DOMAINS_MAX	256
#define CHECK_LISTENS_MAX	64
#define DNS_A			1
#define DNS_AAAA		28
#define XMPP_CLIENT_PORT	5222	/* RFC 6120 section 3.2.2 */
#define XMPP_SERVER_PORT	5269

struct check_run {
	struct imsgbuf		*ibuf;
	char			 domains[CHECK_DOMAINS_MAX][CONF_NAMELEN];
	int			 ndomains;
	struct ctl_check_listen	 listens[CHECK_LISTENS_MAX];
	int			 nlistens;
	int			 count[CHECK_ERROR + 1];
	int			 nodns;		/* the resolver cannot be asked */
};

/* The four services: their SRV prefix, listener kind and TLS. */
static const struct {
	int		 service;
	const char	*name;
	int		 kind;
	int		 tls;
	in_port_t	 fallback;	/* without SRV: the domain, this port */
} check_services[] = {
	{ CTL_DNS_XMPP_CLIENT, "_xmpp-client._tcp", LISTEN_CLIENT, 0,
	    XMPP_CLIENT_PORT },
	{ CTL_DNS_XMPPS_CLIENT, "_xmpps-client._tcp", LISTEN_CLIENT, 1, 0 },
	{ CTL_DNS_XMPP_SERVER, "_xmpp-server._tcp", LISTEN_SERVER, 0,
	    XMPP_SERVER_PORT },
	{ CTL_DNS_XMPPS_SERVER, "_xmpps-server._tcp", LISTEN_SERVER, 1, 0 },
};

static void
check_say(struct check_run *cr, int level, const char *where,
    const char *fmt, ...) __attribute__((__format__(printf, 4, 5)));

static void
check_say(struct check_run *cr, int level, const char *where,
    const char *fmt, ...)
{
	static const char *const names[] = { "note", "warning", "error" };
	char	 text[CHECK_TEXT_LEN * 2], safe[CHECK_TEXT_LEN * 8];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cr->count[level]++;
	printf("%s: %s: %s\n", names[level], where,
	    log_sanitize(text, safe, sizeof(safe)));
}

static const char *
check_kind(const struct ctl_check_listen *l)
{
	if (l->kind == LISTEN_MULTIPLEX)
		return ("tls multiplex");
	if (l->kind == LISTEN_SERVER)
		return (l->flags & LISTEN_TLS ? "server tls" : "server");
	return (l->flags & LISTEN_TLS ? "client tls" : "client");
}

/* The parent's part: findings, then the domains and listeners. */
static void
check_parent(struct check_run *cr, const char *domain)
{
	struct ctl_check		 cc;
	struct ctl_check_finding	 f;
	struct imsg			 imsg;

	memset(&cc, 0, sizeof(cc));
	if (domain != NULL && strlcpy(cc.domain, domain, sizeof(cc.domain)) >=
	    sizeof(cc.domain))
		errx(1, "domain too long");
	if (imsg_compose(cr->ibuf, IMSG_CTL_CHECK, MSG_VERSION, 0, -1, &cc,
	    sizeof(cc)) == -1 || imsgbuf_flush(cr->ibuf) == -1)
		err(1, "send");
	for (;;) {
		ctl_get(cr->ibuf, &imsg);
		switch (imsg_get_type(&imsg)) {
		case IMSG_CTL_CHECK_FINDING:
			if (imsg_get_data(&imsg, &f, sizeof(f)) == -1 ||
			    f.level < CHECK_NOTE || f.level > CHECK_ERROR)
				errx(1, "bad answer from xmppd");
			f.where[sizeof(f.where) - 1] = '\0';
			f.text[sizeof(f.text) - 1] = '\0';
			check_say(cr, f.level, f.where, "%s", f.text);
			break;
		case IMSG_CTL_CHECK_DOMAIN:
			if (imsg_get_data(&imsg, &cc, sizeof(cc)) == -1 ||
			    cr->ndomains == CHECK_DOMAINS_MAX)
				errx(1, "bad answer from xmppd");
			cc.domain[sizeof(cc.domain) - 1] = '\0';
			memcpy(cr->domains[cr->ndomains++], cc.domain,
			    sizeof(cc.domain));
			break;
		case IMSG_CTL_CHECK_LISTEN:
			if (cr->nlistens == CHECK_LISTENS_MAX)
				break;	/* more than any setup has */
			if (imsg_get_data(&imsg, &cr->listens[cr->nlistens],
			    sizeof(cr->listens[0])) == -1)
				errx(1, "bad answer from xmppd");
			cr->listens[cr->nlistens].addr[CONF_NAMELEN - 1] = '\0';
			cr->nlistens++;
			break;
		case IMSG_CTL_END:
			imsg_free(&imsg);
			return;
		case IMSG_CTL_FAIL:
			ctl_fail_exit(&imsg);
			/* NOTREACHED */
		default:
			errx(1, "unexpected answer %u", imsg_get_type(&imsg));
		}
		imsg_free(&imsg);
	}
}

/* Why DNS could not say; no such name or record is an answer. */
static const char *
check_status(int status)
{
	if (status == RESOLVE_TIMEOUT)
		return ("no answer from DNS in time");
	if (status == RESOLVE_BAD_NAME)
		return ("not a name DNS can be asked about");
	return ("DNS server failure");
}

/*
 * One DNS question: the number of records put in rr, or -1 when DNS
 * could not say (reported here, once: no question is asked after).
 */
static int
check_ask(struct check_run *cr, const char *domain, const char *name,
    int service, int type, struct ctl_dns_rr *rr)
{
	struct ctl_dns_q	 q;
	struct ctl_dns_answer	 a;
	struct imsg		 imsg;
	struct ibuf		 ib;
	uint32_t		 i;

	if (cr->nodns)
		return (-1);
	memset(&q, 0, sizeof(q));
	if (strlcpy(q.name, name, sizeof(q.name)) >= sizeof(q.name))
		errx(1, "name too long");
	q.service = service;
	q.type = type;
	if (imsg_compose(cr->ibuf, IMSG_CTL_DNS, MSG_VERSION, 0, -1, &q,
	    sizeof(q)) == -1 || imsgbuf_flush(cr->ibuf) == -1)
		err(1, "send");
	ctl_get(cr->ibuf, &imsg);
	if (imsg_get_type(&imsg) == IMSG_CTL_FAIL) {
		imsg_free(&imsg);
		check_say(cr, CHECK_ERROR, domain, "DNS not checked: the "
		    "resolver process does not answer: see xmppctl show "
		    "processes");
		cr->nodns = 1;
		return (-1);
	}
	if (imsg_get_type(&imsg) != IMSG_CTL_DNS_ANSWER ||
	    imsg_get_ibuf(&imsg, &ib) == -1 || ibuf_get(&ib, &a,
	    sizeof(a)) == -1 || a.nrr > CTL_DNS_RR_MAX ||
	    ibuf_size(&ib) != a.nrr * sizeof(*rr) ||
	    ibuf_get(&ib, rr, ibuf_size(&ib)) == -1)
		errx(1, "bad answer from xmppd");
	imsg_free(&imsg);
	for (i = 0; i < a.nrr; i++)
		rr[i].target[sizeof(rr[i].target) - 1] = '\0';
	if (a.status == RESOLVE_OK || a.status == RESOLVE_NXDOMAIN ||
	    a.status == RESOLVE_NO_SERVICE)
		return (a.status == RESOLVE_OK ? (int)a.nrr : 0);
	/* A resolver that fails would fail each question, slowly. */
	check_say(cr, CHECK_ERROR, domain, "DNS: %s%s: %s: check the "
	    "resolver xmppd uses; the other DNS checks are skipped",
	    service == CTL_DNS_HOST ? "" : "SRV of ", name,
	    check_status(a.status));
	cr->nodns = 1;
	return (-1);
}

/* Has host an address (A or AAAA)?  1, 0, or -1: DNS could not say. */
static int
check_addr(struct check_run *cr, const char *domain, const char *host)
{
	struct ctl_dns_rr	 rr[CTL_DNS_RR_MAX];
	int			 n4, n6;

	if ((n4 = check_ask(cr, domain, host, CTL_DNS_HOST, DNS_A, rr)) ==
	    -1 || (n6 = check_ask(cr, domain, host, CTL_DNS_HOST, DNS_AAAA,
	    rr)) == -1)
		return (-1);
	return (n4 + n6 > 0);
}

/* The listener on port: of kind and tls if there is one, else any. */
static const struct ctl_check_listen *
check_port(struct check_run *cr, in_port_t port, int kind, int tls)
{
	const struct ctl_check_listen	*any = NULL;
	int				 i;

	for (i = 0; i < cr->nlistens; i++) {
		if (cr->listens[i].port != port)
			continue;
		if (cr->listens[i].kind == kind &&
		    !!(cr->listens[i].flags & LISTEN_TLS) == tls)
			return (&cr->listens[i]);
		if (any == NULL)
			any = &cr->listens[i];
	}
	return (any);
}

/* One SRV record: a listener of its kind on its port, an address. */
static void
check_record(struct check_run *cr, const char *d, int s,
    struct ctl_dns_rr *rr)
{
	const struct ctl_check_listen	*l;
	const char			*name = check_services[s].name;
	int				 kind = check_services[s].kind;
	int				 tls = check_services[s].tls;

	l = check_port(cr, rr->port, kind, tls);
	if (l == NULL)
		check_say(cr, CHECK_ERROR, d, "SRV %s.%s points at port %u "
		    "of %s, where xmppd does not listen: fix the record, or "
		    "add a \"listen on ... port %u %s%s\"", name, d, rr->port,
		    rr->target, rr->port, kind == LISTEN_CLIENT ? "client" :
		    "server", tls ? " tls" : "");
	else if (l->kind == LISTEN_MULTIPLEX && !tls && kind == LISTEN_SERVER)
		check_say(cr, CHECK_ERROR, d, "SRV %s.%s points at port %u, "
		    "the tls multiplex listener, which hands plaintext XMPP "
		    "to client streams only: point it at a server listener",
		    name, d, rr->port);
	else if (l->kind == LISTEN_MULTIPLEX && tls)
		check_say(cr, CHECK_NOTE, d, "SRV %s.%s points at port %u, "
		    "the tls multiplex listener: only %s that send ALPN "
		    "\"%s\" (XEP-0368) reach XMPP there", name, d, rr->port,
		    kind == LISTEN_CLIENT ? "clients" : "servers",
		    kind == LISTEN_CLIENT ? "xmpp-client" : "xmpp-server");
	else if (l->kind != LISTEN_MULTIPLEX && l->kind != kind)
		check_say(cr, CHECK_ERROR, d, "SRV %s.%s points at port %u, "
		    "a %s listener: point it at a %s listener", name, d,
		    rr->port, check_kind(l), kind == LISTEN_CLIENT ?
		    "client" : "server");
	else if (l->kind != LISTEN_MULTIPLEX &&
	    !!(l->flags & LISTEN_TLS) != tls)
		check_say(cr, CHECK_ERROR, d, "SRV %s.%s points at port %u, "
		    "a %s listener, but %s: point it at a %s listener", name,
		    d, rr->port, check_kind(l), tls ? "its clients start "
		    "with TLS (direct TLS)" : "its clients start without TLS "
		    "(STARTTLS)", tls ? "direct TLS (\"tls\")" : "STARTTLS");
	if (check_addr(cr, d, rr->target) == 0)
		check_say(cr, CHECK_ERROR, d, "SRV %s.%s names %s, which has "
		    "no A or AAAA record: add one", name, d, rr->target);
}

/* Is l one of an earlier listener's addresses (0.0.0.0 and ::)? */
static int
check_seen(struct check_run *cr, int i)
{
	int	 j;

	for (j = 0; j < i; j++)
		if (cr->listens[j].port == cr->listens[i].port &&
		    cr->listens[j].kind == cr->listens[i].kind &&
		    cr->listens[j].flags == cr->listens[i].flags)
			return (1);
	return (0);
}

/* A listener of the service that its SRV records do not name. */
static void
check_unpublished(struct check_run *cr, const char *d, int s,
    const struct ctl_check_listen *l, int nrr, int dot)
{
	const char	*name = check_services[s].name;

	if (dot) {
		check_say(cr, CHECK_ERROR, d, "SRV %s.%s says the service is "
		    "not offered (target \".\"), but \"listen on %s port %u "
		    "%s\" offers it: remove the record, or the listener",
		    name, d, l->addr, l->port, check_kind(l));
		return;
	}
	if (nrr == 0 && l->port == check_services[s].fallback) {
		/* Without SRV, the domain's own address (RFC 6120 3.2.2). */
		if (check_addr(cr, d, d) == 0)
			check_say(cr, CHECK_ERROR, d, "no SRV %s.%s and no A "
			    "or AAAA record of %s: nobody finds port %u; "
			    "publish either", name, d, d, l->port);
		return;
	}
	check_say(cr, CHECK_WARNING, d, "\"listen on %s port %u %s\" is not "
	    "published: add \"%s.%s SRV 0 5 %u HOST\"", l->addr, l->port,
	    check_kind(l), name, d, l->port);
}

static void
check_service(struct check_run *cr, const char *d, int s)
{
	struct ctl_dns_rr		 rr[CTL_DNS_RR_MAX];
	const struct ctl_check_listen	*l;
	int				 i, j, n, dot;

	if ((n = check_ask(cr, d, d, check_services[s].service, 0, rr)) ==
	    -1)
		return;
	dot = n == 1 && strcmp(rr[0].target, ".") == 0;
	if (!dot)
		for (i = 0; i < n; i++)
			if (strcmp(rr[i].target, ".") != 0)
				check_record(cr, d, s, &rr[i]);
	for (i = 0; i < cr->nlistens; i++) {
		l = &cr->listens[i];
		if (l->kind != check_services[s].kind ||
		    !!(l->flags & LISTEN_TLS) != check_services[s].tls ||
		    check_seen(cr, i))
			continue;
		for (j = 0; j < n && !dot; j++)
			if (rr[j].port == l->port)
				break;
		if (dot || j == n)
			check_unpublished(cr, d, s, l, n, dot);
	}
}

/* xmppctl check [DOMAIN]: 0 all well, 2 warnings only, 1 errors. */
int
check(struct imsgbuf *ibuf, const char *domain)
{
	struct check_run	*cr;
	int			 i, s, ret;

	if ((cr = calloc(1, sizeof(*cr))) == NULL)
		err(1, NULL);
	cr->ibuf = ibuf;
	check_parent(cr, domain);
	for (i = 0; i < cr->ndomains; i++)
		for (s = 0; s < (int)nitems(check_services); s++)
			check_service(cr, cr->domains[i], s);
	if (cr->count[CHECK_ERROR] + cr->count[CHECK_WARNING] +
	    cr->count[CHECK_NOTE] == 0)
		printf("%d domain%s checked: all is well\n", cr->ndomains,
		    cr->ndomains == 1 ? "" : "s");
	ret = cr->count[CHECK_ERROR] ? 1 : cr->count[CHECK_WARNING] ? 2 : 0;
	free(cr);
	return (ret);
}
