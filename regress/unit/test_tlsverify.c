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
 * tlsverify.c: RFC 6125 identity checks and chain validation on
 * certificates made at test time by regress/lib/testca.py (openssl):
 * DNS-ID, wildcards, SRV-ID, XmppAddr, the CN fallback, the SRV target
 * never standing for the domain (RFC 7590), intermediates, expiry,
 * untrusted issuers and malformed input.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tlsverify.h"
#include "test.h"

#define DAY	86400
#define ARGMAX	32

static char	 dir[] = "/tmp/test_tlsverify.XXXXXX";
static char	 testca[PATH_MAX];
static struct tlsverify_ca *ca;

static void	 runv(const char **);
static void	 runl(const char **, int, const char *, va_list);
static void	 run(const char *, ...);
static void	 issue(const char *, const char *, ...);
static uint8_t	*load(const char *, const char *, size_t *);
static int	 verify(const char *, const char *, const char *, time_t,
		    char *, size_t);
static void	 make_certs(void);
static void	 test_dns_match(void);
static void	 test_ca(void);
static void	 test_identities(void);
static void	 test_rfc7590(void);
static void	 test_chain(void);
static void	 test_malformed(void);

/* Run argv[0] with argv; exit when it fails. */
static void
runv(const char **argv)
{
	pid_t		 pid;
	int		 status;

	if ((pid = fork()) == -1)
		err(2, "fork");
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		errx(2, "%s %s: failed", argv[0], argv[1]);
}

/* The arguments after first, up to a NULL, appended to argv at i. */
static void
runl(const char **argv, int i, const char *first, va_list ap)
{
	const char	*a;

	for (a = first; a != NULL && i < ARGMAX - 1;
	    a = va_arg(ap, const char *))
		argv[i++] = a;
	argv[i] = NULL;
	runv(argv);
}

static void
run(const char *prog, ...)
{
	const char	*argv[ARGMAX];
	va_list		 ap;

	va_start(ap, prog);
	runl(argv, 0, prog, ap);
	va_end(ap);
}

/* The contents of dir/name.ext. */
static uint8_t *
load(const char *name, const char *ext, size_t *len)
{
	char		 path[PATH_MAX];
	struct stat	 st;
	uint8_t		*p;
	int		 fd;

	(void)snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		err(2, "%s", path);
	if ((p = malloc(st.st_size + 1)) == NULL ||
	    read(fd, p, st.st_size) != st.st_size)
		err(2, "%s", path);
	close(fd);
	*len = st.st_size;
	return (p);
}

/* The verdict on certificate name (its "chain" or "crt" file). */
static int
verify(const char *name, const char *ext, const char *domain, time_t now,
    char *why, size_t whylen)
{
	uint8_t		*pem;
	size_t		 len;
	int		 r;

	pem = load(name, ext, &len);
	r = tlsverify_peer(ca, pem, len, domain, now, why, whylen);
	free(pem);
	return (r);
}

/* testca.py DIR issue NAME --issuer ISSUER, and the options given. */
static void
issue(const char *name, const char *issuer, ...)
{
	const char	*argv[ARGMAX] = { "python3", testca, dir, "issue",
			    name, "--issuer", issuer };
	va_list		 ap;

	va_start(ap, issuer);
	runl(argv, 7, va_arg(ap, const char *), ap);
	va_end(ap);
}

static void
make_certs(void)
{
	run("python3", testca, dir, "ca", "root", NULL);
	run("python3", testca, dir, "ca", "sub", "--issuer", "root", NULL);
	run("python3", testca, dir, "ca", "other", NULL);
	issue("full", "root", "--dns", "a.test", "--srv",
	    "_xmpp-server.a.test", "--xmpp", "a.test", "--cn", "a.test", NULL);
	issue("dns", "root", "--dns", "a.test", NULL);
	issue("upper", "root", "--dns", "A.Test", NULL);
	issue("srv", "root", "--srv", "_xmpp-server.a.test", NULL);
	issue("srvclient", "root", "--srv", "_xmpp-client.a.test", NULL);
	issue("srvwild", "root", "--srv", "_xmpp-server.*.a.test", NULL);
	issue("xmpp", "root", "--xmpp", "a.test", NULL);
	issue("xmppjid", "root", "--xmpp", "node@a.test", "--xmpp",
	    "a.test/resource", NULL);
	issue("wild", "root", "--dns", "*.a.test", NULL);
	issue("cn", "root", "--cn", "a.test", NULL);
	issue("cnsan", "root", "--cn", "a.test", "--dns", "b.test", NULL);
	issue("idn", "root", "--dns", "xn--bcher-kva.test", NULL);
	issue("idnxmpp", "root", "--xmpp", "B\xc3\xbc" "cher.test", NULL);
	issue("target", "root", "--dns", "xmpp.hosting.test", "--srv",
	    "_xmpp-server.xmpp.hosting.test", "--xmpp", "xmpp.hosting.test",
	    NULL);
	issue("viasub", "sub", "--dns", "a.test", NULL);
	issue("stranger", "other", "--dns", "a.test", "--srv",
	    "_xmpp-server.a.test", "--xmpp", "a.test", NULL);
}

static void
test_dns_match(void)
{
	static const struct {
		const char	*presented;
		const char	*ref;
		int		 match;
	} t[] = {
		{ "a.test", "a.test", 1 },
		{ "A.TEST", "a.test", 1 },
		{ "a.test.", "a.test", 1 },
		{ "a.test..", "a.test", 0 },
		{ "b.test", "a.test", 0 },
		{ "a.test", "xa.test", 0 },
		{ "xa.test", "a.test", 0 },
		{ "test", "a.test", 0 },
		{ "*.a.test", "x.a.test", 1 },
		{ "*.A.Test", "x.a.test", 1 },
		{ "*.a.test", "y.x.a.test", 0 },
		{ "*.a.test", "a.test", 0 },
		{ "*.test", "a.test", 0 },
		{ "*", "a", 0 },
		{ "*.", "a.test", 0 },
		{ "x*.a.test", "xy.a.test", 0 },
		{ "*x.a.test", "yx.a.test", 0 },
		{ "x.*.test", "x.a.test", 0 },
		{ "*.*.test", "x.a.test", 0 },
		{ "**.a.test", "x.a.test", 0 },
		{ ".a.test", "a.test", 0 },
		{ "", "a.test", 0 },
		{ "a..test", "a.test", 0 },
		{ "a_b.test", "a_b.test", 0 },
		{ "a b.test", "a b.test", 0 },
		{ "xn--bcher-kva.test", "xn--bcher-kva.test", 1 },
		{ "*.xn--bcher-kva.test", "a.xn--bcher-kva.test", 1 },
	};
	char	 long_label[80], long_name[300];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(tlsverify_dns_match(t[i].presented,
		    strlen(t[i].presented), t[i].ref) == t[i].match,
		    "\"%s\" %s \"%s\"", t[i].presented,
		    t[i].match ? "matches" : "does not match", t[i].ref);

	/* The length is the certificate's: a NUL inside is no end. */
	CHECK(tlsverify_dns_match("a.test\0.evil.test", 17, "a.test") == 0,
	    "a NUL inside a presented name matches nothing");
	CHECK(tlsverify_dns_match("a.testx", 6, "a.test") == 1,
	    "only len octets of the presented name are read");

	memset(long_label, 'x', 64);
	(void)strlcpy(long_label + 64, ".test", sizeof(long_label) - 64);
	CHECK(tlsverify_dns_match(long_label, strlen(long_label),
	    long_label) == 0, "a label of 64 octets matches nothing");
	for (i = 0; i + 2 < 254; i += 2)
		memcpy(long_name + i, "a.", 2);
	memcpy(long_name + i, "bc", 2);
	long_name[i + 2] = '\0';
	CHECK(strlen(long_name) == 254 && tlsverify_dns_match(long_name,
	    strlen(long_name), long_name) == 0,
	    "a name of 254 octets matches nothing");
}

static void
test_ca(void)
{
	static const char	 junk[] = "-----BEGIN CERTIFICATE-----\n"
	    "AAAA\n-----END CERTIFICATE-----\n";
	struct tlsverify_ca	*c;
	uint8_t			*a, *b, *both;
	size_t			 alen, blen;

	CHECK(tlsverify_ca_new(NULL, 0) == NULL, "no CA bytes: no store");
	CHECK(tlsverify_ca_new((const uint8_t *)"hello\n", 6) == NULL,
	    "a CA file without a certificate: no store");
	CHECK(tlsverify_ca_new((const uint8_t *)junk, sizeof(junk) - 1) ==
	    NULL, "a CA file with a broken certificate: no store");

	a = load("root", "crt", &alen);
	b = load("other", "crt", &blen);
	if ((both = malloc(alen + blen)) == NULL)
		err(2, NULL);
	memcpy(both, a, alen);
	memcpy(both + alen, b, blen);
	c = tlsverify_ca_new(both, alen + blen);
	CHECK(tlsverify_ca_count(c) == 2, "a CA file of two certificates");
	tlsverify_ca_free(c);
	c = tlsverify_ca_new(both, alen + blen / 2);
	CHECK(c == NULL, "a CA file cut in a certificate: no store");
	tlsverify_ca_free(c);
	free(both);
	free(b);

	ca = tlsverify_ca_new(a, alen);
	CHECK(tlsverify_ca_count(ca) == 1, "the test root as the only CA");
	free(a);
	if (ca == NULL)
		errx(2, "no CA store");
}

static void
test_identities(void)
{
	static const struct {
		const char	*cert;
		const char	*domain;
		int		 want;
		const char	*what;
	} t[] = {
		{ "full", "a.test", TLSVERIFY_OK, "every kind of identity" },
		{ "full", "A.Test.", TLSVERIFY_OK,
		    "the domain as a peer may write it" },
		{ "full", "b.test", TLSVERIFY_MISMATCH, "another domain" },
		{ "full", "x.a.test", TLSVERIFY_MISMATCH, "a subdomain" },
		{ "dns", "a.test", TLSVERIFY_OK, "DNS-ID" },
		{ "upper", "a.test", TLSVERIFY_OK, "DNS-ID in other case" },
		{ "srv", "a.test", TLSVERIFY_OK, "SRV-ID alone" },
		{ "srv", "b.test", TLSVERIFY_MISMATCH, "SRV-ID of another" },
		{ "srvclient", "a.test", TLSVERIFY_MISMATCH,
		    "an _xmpp-client SRV-ID says nothing of a server" },
		{ "srvwild", "x.a.test", TLSVERIFY_OK,
		    "SRV-ID with a wildcard, as a DNS-ID has" },
		{ "srvwild", "y.x.a.test", TLSVERIFY_MISMATCH,
		    "SRV-ID wildcard: one label only" },
		{ "xmpp", "a.test", TLSVERIFY_OK, "XmppAddr alone" },
		{ "xmpp", "b.test", TLSVERIFY_MISMATCH,
		    "XmppAddr of another" },
		{ "xmppjid", "a.test", TLSVERIFY_MISMATCH,
		    "XmppAddr with a local part or resource is no domain" },
		{ "wild", "x.a.test", TLSVERIFY_OK, "wildcard, one label" },
		{ "wild", "y.x.a.test", TLSVERIFY_MISMATCH,
		    "wildcard, two labels" },
		{ "wild", "a.test", TLSVERIFY_MISMATCH,
		    "wildcard and the parent domain" },
		{ "cn", "a.test", TLSVERIFY_OK,
		    "CN when there is no subjectAltName" },
		{ "cn", "b.test", TLSVERIFY_MISMATCH, "CN of another" },
		{ "cnsan", "a.test", TLSVERIFY_MISMATCH,
		    "no CN fallback when there is a subjectAltName" },
		{ "cnsan", "b.test", TLSVERIFY_OK, "its subjectAltName" },
		{ "idn", "b\xc3\xbc" "cher.test", TLSVERIFY_OK,
		    "DNS-ID A-label, domain in U-labels" },
		{ "idn", "xn--bcher-kva.test", TLSVERIFY_OK,
		    "DNS-ID A-label, domain in A-labels" },
		{ "idnxmpp", "xn--bcher-kva.test", TLSVERIFY_OK,
		    "XmppAddr in U-labels, prepared (case folded)" },
		{ "idnxmpp", "bucher.test", TLSVERIFY_MISMATCH,
		    "XmppAddr in U-labels, another domain" },
		{ "dns", "", TLSVERIFY_MISMATCH, "an empty domain" },
		{ "dns", "node@a.test", TLSVERIFY_MISMATCH,
		    "a JID is no domain" },
		{ "dns", "127.0.0.1", TLSVERIFY_MISMATCH,
		    "an address literal is no domain" },
	};
	char	 why[128];
	size_t	 i;
	int	 r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = verify(t[i].cert, "chain", t[i].domain, 0, why,
		    sizeof(why));
		CHECK(r == t[i].want, "%s: %s for \"%s\" (%s)", t[i].what,
		    tlsverify_strerror(r), t[i].domain, why);
	}
	r = tlsverify_peer(ca, (const uint8_t *)"x", 1, NULL, 0, NULL, 0);
	CHECK(r == TLSVERIFY_NOCERT, "no domain, no PEM, no why: %s",
	    tlsverify_strerror(r));
}

/*
 * RFC 7590 section 3.2: a.test's SRV record points at xmpp.hosting.test,
 * whose certificate names only itself.  That is not a.test's.
 */
static void
test_rfc7590(void)
{
	char	 why[128];
	int	 r;

	r = verify("target", "chain", "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_MISMATCH,
	    "the SRV target's certificate does not prove the domain: %s (%s)",
	    tlsverify_strerror(r), why);
	r = verify("target", "chain", "xmpp.hosting.test", 0, why,
	    sizeof(why));
	CHECK(r == TLSVERIFY_OK, "it proves its own name: %s (%s)",
	    tlsverify_strerror(r), why);
}

static void
test_chain(void)
{
	char	 why[128];
	time_t	 now = time(NULL);
	uint8_t	*pem;
	size_t	 len;
	int	 r;

	r = verify("viasub", "chain", "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_OK, "through an intermediate the peer sends: "
	    "%s (%s)", tlsverify_strerror(r), why);
	r = verify("viasub", "crt", "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_UNTRUSTED, "without the intermediate: %s (%s)",
	    tlsverify_strerror(r), why);
	r = verify("stranger", "chain", "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_UNTRUSTED, "issued by an untrusted CA: %s (%s)",
	    tlsverify_strerror(r), why);
	r = verify("other", "crt", "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_UNTRUSTED, "an untrusted self-signed one: "
	    "%s (%s)", tlsverify_strerror(r), why);
	r = verify("full", "chain", "a.test", now + 400 * DAY, why,
	    sizeof(why));
	CHECK(r == TLSVERIFY_UNTRUSTED && strstr(why, "expired") != NULL,
	    "expired: %s (%s)", tlsverify_strerror(r), why);
	r = verify("full", "chain", "a.test", now - 2 * DAY, why,
	    sizeof(why));
	CHECK(r == TLSVERIFY_UNTRUSTED && strstr(why, "not yet") != NULL,
	    "not yet valid: %s (%s)", tlsverify_strerror(r), why);
	r = verify("full", "key", "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_NOCERT, "a key and no certificate: %s (%s)",
	    tlsverify_strerror(r), why);
	r = verify("full", "pem", "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_OK, "a key before the chain is skipped: %s (%s)",
	    tlsverify_strerror(r), why);
	r = verify("full", "chain", "a.test", 0, NULL, 0);
	CHECK(r == TLSVERIFY_OK, "no room for a reason: %s",
	    tlsverify_strerror(r));
	pem = load("full", "chain", &len);
	r = tlsverify_peer(NULL, pem, len, "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_UNTRUSTED, "no CA at all: %s (%s)",
	    tlsverify_strerror(r), why);
	free(pem);
}

static void
test_malformed(void)
{
	static const char	 junk[] = "-----BEGIN CERTIFICATE-----\n"
	    "AAAA\n-----END CERTIFICATE-----\n";
	static const char	 b64[] = "-----BEGIN CERTIFICATE-----\n"
	    "!!!!\n-----END CERTIFICATE-----\n";
	uint8_t			*pem, *big;
	size_t			 len, i;
	char			 why[128];
	int			 r;

	r = tlsverify_peer(ca, NULL, 0, "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_NOCERT, "nothing: %s", tlsverify_strerror(r));
	r = tlsverify_peer(ca, (const uint8_t *)"hello", 5, "a.test", 0,
	    why, sizeof(why));
	CHECK(r == TLSVERIFY_NOCERT, "text, no PEM: %s",
	    tlsverify_strerror(r));
	r = tlsverify_peer(ca, (const uint8_t *)junk, sizeof(junk) - 1,
	    "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_MALFORMED, "DER that is no certificate: %s",
	    tlsverify_strerror(r));
	r = tlsverify_peer(ca, (const uint8_t *)b64, sizeof(b64) - 1,
	    "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_MALFORMED, "bad base64: %s",
	    tlsverify_strerror(r));

	pem = load("full", "chain", &len);
	r = tlsverify_peer(ca, pem, len - 40, "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_MALFORMED, "a chain cut short: %s",
	    tlsverify_strerror(r));
	r = tlsverify_peer(ca, pem, len / 2, "a.test", 0, why, sizeof(why));
	CHECK(r == TLSVERIFY_MALFORMED, "a chain cut in half: %s",
	    tlsverify_strerror(r));
	pem[len / 2] ^= 0x01;
	r = tlsverify_peer(ca, pem, len, "a.test", 0, why, sizeof(why));
	CHECK(r != TLSVERIFY_OK, "a flipped bit: %s (%s)",
	    tlsverify_strerror(r), why);
	pem[len / 2] ^= 0x01;

	/* More certificates than a chain may hold. */
	if ((big = malloc(len * (TLSVERIFY_DEPTH + 1))) == NULL)
		err(2, NULL);
	for (i = 0; i < TLSVERIFY_DEPTH + 1; i++)
		memcpy(big + i * len, pem, len);
	r = tlsverify_peer(ca, big, len * TLSVERIFY_DEPTH, "a.test", 0, why,
	    sizeof(why));
	CHECK(r == TLSVERIFY_OK, "%d copies of the certificate: %s (%s)",
	    TLSVERIFY_DEPTH, tlsverify_strerror(r), why);
	r = tlsverify_peer(ca, big, len * (TLSVERIFY_DEPTH + 1), "a.test", 0,
	    why, sizeof(why));
	CHECK(r == TLSVERIFY_MALFORMED, "%d copies: %s",
	    TLSVERIFY_DEPTH + 1, tlsverify_strerror(r));
	free(big);
	free(pem);

	if ((big = malloc(TLSVERIFY_CHAIN_MAX + 1)) == NULL)
		err(2, NULL);
	memset(big, '\n', TLSVERIFY_CHAIN_MAX + 1);
	r = tlsverify_peer(ca, big, TLSVERIFY_CHAIN_MAX + 1, "a.test", 0,
	    why, sizeof(why));
	CHECK(r == TLSVERIFY_MALFORMED, "a chain over %d bytes: %s",
	    TLSVERIFY_CHAIN_MAX, tlsverify_strerror(r));
	free(big);
}

int
main(int argc, char *argv[])
{
	char	 self[PATH_MAX];

	(void)argc;
	if (realpath(argv[0], self) == NULL)
		err(2, "%s", argv[0]);
	/* obj-san/test_tlsverify, and lib/testca.py beside obj-san. */
	(void)snprintf(testca, sizeof(testca), "%s/lib/testca.py",
	    dirname(dirname(self)));
	if (mkdtemp(dir) == NULL)
		err(2, "%s", dir);
	make_certs();
	test_dns_match();
	test_ca();
	test_identities();
	test_rfc7590();
	test_chain();
	test_malformed();
	tlsverify_ca_free(ca);
	run("rm", "-rf", dir, NULL);
	TEST_DONE();
}
