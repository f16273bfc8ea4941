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
 * ldaputil.c and sasl.c: the filter a user name from the network goes
 * into can never be widened, server URLs, and SASL PLAIN parsing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldaputil.h"
#include "sasl.h"
#include "test.h"

static void
expand(const char *tmpl, const char *user, const char *want)
{
	char	 out[256];
	int	 r;

	r = ldapfilter_expand(tmpl, user, user == NULL, out, sizeof(out));
	CHECK(r == 0 && strcmp(out, want) == 0, "%s with \"%s\" -> %s",
	    tmpl, user ? user : "(every user)", r == 0 ? out : "(refused)");
}

static void
test_filter(void)
{
	char	 out[16], big[2048], attr[32];

	expand("(cn=%u)", "alice", "(cn=alice)");
	expand("(cn=%u)", "*", "(cn=\\2a)");
	expand("(cn=%u)", "a*", "(cn=a\\2a)");
	expand("(cn=%u)", ")(cn=*", "(cn=\\29\\28cn=\\2a)");
	expand("(cn=%u)", "a\\b", "(cn=a\\5cb)");
	expand("(cn=%u)", "a b", "(cn=a\\20b)");
	expand("(cn=%u)", "\x01\x7f", "(cn=\\01\\7f)");
	expand("(cn=%u)", "\xc3\xa9", "(cn=\\c3\\a9)");
	expand("(&(objectClass=person)(uid=%u))", "bob",
	    "(&(objectClass=person)(uid=bob))");
	expand("(cn=%u)", NULL, "(cn=*)");
	expand("(cn=%%%u)", "x", "(cn=%x)");
	CHECK(ldapfilter_expand("(cn=%s)", "x", 0, out, sizeof(out)) == -1,
	    "an unknown %% sequence is refused");
	CHECK(ldapfilter_expand("(cn=%u)", "abcdefghijklmnop", 0, out,
	    sizeof(out)) == -1, "a result that does not fit is refused");
	memset(big, '*', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(ldapfilter_expand("(cn=%u)", big, 0, out, sizeof(out)) == -1,
	    "an oversized name is refused");
	CHECK(ldapfilter_escape("(", out, 3) == -1 &&
	    ldapfilter_escape("(", out, 4) == 0 && strcmp(out, "\\28") == 0,
	    "escape: exact buffer sizes");

	CHECK(ldapfilter_attr("(cn=%u)", attr, sizeof(attr)) == 0 &&
	    strcmp(attr, "cn") == 0, "attr of (cn=%%u)");
	CHECK(ldapfilter_attr("(&(objectClass=x)(uid=%u))", attr,
	    sizeof(attr)) == 0 && strcmp(attr, "uid") == 0,
	    "attr of a conjunction");
	CHECK(ldapfilter_attr("(cn=a%u)", attr, sizeof(attr)) == -1,
	    "%%u must be the whole value");
	CHECK(ldapfilter_attr("(cn=%u)(uid=%u)", attr, sizeof(attr)) == -1,
	    "two %%u refused");
	CHECK(ldapfilter_attr("(cn=*)", attr, sizeof(attr)) == -1,
	    "no %%u refused");
	CHECK(ldapfilter_attr("cn=%u)", attr, sizeof(attr)) == -1,
	    "no opening parenthesis refused");
	CHECK(ldapfilter_attr("(c n=%u)", attr, sizeof(attr)) == -1,
	    "a space in the attribute refused");
}

static void
test_url(void)
{
	struct ldapurl	 u;

	CHECK(ldapurl_parse("ldaps://ldap.example.org", &u) == 0 &&
	    u.tls == LDAPURL_TLS && strcmp(u.host, "ldap.example.org") == 0 &&
	    strcmp(u.port, "636") == 0, "ldaps:// default port");
	CHECK(ldapurl_parse("ldap://h:1389/", &u) == 0 &&
	    u.tls == LDAPURL_PLAIN && strcmp(u.port, "1389") == 0,
	    "ldap:// with a port and a slash");
	CHECK(ldapurl_parse("ldaps://[::1]:636", &u) == 0 &&
	    strcmp(u.host, "::1") == 0 && ldapurl_loopback(&u),
	    "IPv6 loopback in brackets");
	CHECK(ldapurl_parse("ldap://127.0.0.2", &u) == 0 &&
	    ldapurl_loopback(&u), "127.0.0.0/8 is loopback");
	CHECK(ldapurl_parse("ldap://128.0.0.1", &u) == 0 &&
	    !ldapurl_loopback(&u), "128.0.0.1 is not");
	CHECK(ldapurl_parse("ldap://localhost.evil.org", &u) == 0 &&
	    !ldapurl_loopback(&u), "a name ending elsewhere is not");
	CHECK(ldapurl_parse("ldap://h:0", &u) == -1, "port 0 refused");
	CHECK(ldapurl_parse("ldap://h:65536", &u) == -1, "port 65536 refused");
	CHECK(ldapurl_parse("ldap://h/dc=x", &u) == -1, "a DN refused");
	CHECK(ldapurl_parse("ldap://user@h", &u) == -1, "a user refused");
	CHECK(ldapurl_parse("ldap://", &u) == -1, "no host refused");
	CHECK(ldapurl_parse("ldapi://%2fvar", &u) == -1, "ldapi refused");
	CHECK(ldapurl_parse("http://h", &u) == -1, "http refused");
}

static void
plain(const char *msg, size_t len, int ok, const char *why)
{
	struct sasl_plain	 sp;

	CHECK((sasl_plain_parse(msg, len, &sp) == 0) == ok, "PLAIN: %s", why);
}

static void
test_plain(void)
{
	struct sasl_plain	 sp;
	char			 big[SASL_PLAIN_MAX + 1];

	CHECK(sasl_plain_parse("\0alice\0pw", 9, &sp) == 0 &&
	    strcmp(sp.authzid, "") == 0 && strcmp(sp.authcid, "alice") == 0 &&
	    strcmp(sp.password, "pw") == 0, "PLAIN: the three fields");
	CHECK(sasl_plain_parse("a@b\0alice\0pw", 12, &sp) == 0 &&
	    strcmp(sp.authzid, "a@b") == 0, "PLAIN: an authzid");
	plain("\0alice\0", 7, 0, "empty password refused");
	plain("\0\0pw", 4, 0, "empty user refused");
	plain("\0alice", 6, 0, "one NUL refused");
	plain("\0alice\0p\0w", 10, 0, "a NUL in the password refused");
	plain("", 0, 0, "empty message refused");
	memset(big, 'a', sizeof(big));
	big[0] = '\0';
	big[10] = '\0';
	plain(big, sizeof(big), 0, "oversized message refused");
	memset(big, 'a', 2000);
	big[0] = '\0';
	big[1500] = '\0';
	plain(big, 2000, 0, "a user name longer than a JID localpart refused");
}

int
main(void)
{
	test_filter();
	test_url();
	test_plain();
	TEST_DONE();
}
