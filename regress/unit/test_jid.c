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
 * jid.c: the examples of RFC 7622 section 3.5 as stringprep (RFC 6122)
 * treats them, case folding, length limits, malformed UTF-8, domains.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jid.h"
#include "test.h"

static void	good(const char *, const char *, const char *);
static void	bad(const char *, const char *);
static char	*repeat(char *, const char *, size_t, const char *);
static void	test_rfc7622(void);
static void	test_case(void);
static void	test_limits(void);
static void	test_utf8(void);
static void	test_domain(void);
static void	test_format(void);
static void	test_prep(void);
static void	test_ascii(void);

/* in parses and prints as want (the full JID). */
static void
good(const char *in, const char *want, const char *why)
{
	struct jid	 j;
	char		 buf[JID_BUFSIZE];
	int		 r;

	r = jid_parse(in, &j);
	if (r == 0)
		jid_full(&j, buf, sizeof(buf));
	else
		strlcpy(buf, "(rejected)", sizeof(buf));
	CHECK(r == 0 && strcmp(buf, want) == 0, "\"%.60s\" -> \"%.60s\": %s",
	    in, buf, why);
}

static void
bad(const char *in, const char *why)
{
	struct jid	 j;

	CHECK(jid_parse(in, &j) == -1 && j.domain[0] == '\0',
	    "\"%.60s\" rejected: %s", in, why);
}

/* prefix, n copies of unit, suffix, into buf (big enough). */
static char *
repeat(char *buf, const char *prefix, size_t n, const char *unit)
{
	size_t	 i;

	strcpy(buf, prefix);
	for (i = 0; i < n; i++)
		strcat(buf, unit);
	return (buf);
}

static void
test_rfc7622(void)
{
	/* Section 3.5.1, valid. */
	good("juliet@example.com", "juliet@example.com", "3.5.1 #1");
	good("juliet@example.com/foo", "juliet@example.com/foo", "#2");
	good("juliet@example.com/foo bar", "juliet@example.com/foo bar",
	    "#3 space inside a resourcepart");
	good("juliet@example.com/foo@bar", "juliet@example.com/foo@bar",
	    "#4 '@' in a resourcepart");
	good("foo\\20bar@example.com", "foo\\20bar@example.com",
	    "#5 backslash is allowed, XEP-0106 is not undone");
	good("fussball@example.com", "fussball@example.com", "#6");
	good("fu\xc3\x9f" "ball@example.com", "fussball@example.com",
	    "#7 Nodeprep maps sharp s to ss (PRECIS would keep it)");
	good("\xcf\x80@example.com", "\xcf\x80@example.com", "#8 pi");
	good("\xce\xa3@example.com/foo", "\xcf\x83@example.com/foo",
	    "#9 capital sigma folds to small sigma");
	good("\xcf\x83@example.com/foo", "\xcf\x83@example.com/foo",
	    "#10 small sigma");
	good("\xcf\x82@example.com/foo", "\xcf\x83@example.com/foo",
	    "#11 final sigma folds to small sigma (PRECIS keeps it)");
	good("king@example.com/\xe2\x99\x9a", "king@example.com/\xe2\x99\x9a",
	    "#12 chess king in a resourcepart");
	good("example.com", "example.com", "#13 domain only");
	good("example.com/foobar", "example.com/foobar", "#14");
	good("a.example.com/b@example.net", "a.example.com/b@example.net",
	    "#15 '@' after '/' belongs to the resourcepart");

	/* Section 3.5.2, invalid: what stringprep rejects. */
	bad("\"juliet\"@example.com", "#16 '\"' prohibited by Nodeprep");
	bad("foo bar@example.com", "#17 space prohibited by Nodeprep");
	bad("@example.com/", "#19 empty localpart and resourcepart");
	bad("juliet@", "#22 empty domainpart");
	bad("/foobar", "#23 empty domainpart");
	/*
	 * Section 3.5.2 examples that stringprep accepts.  RFC 7622 rejects
	 * them through PRECIS rules, RFC 6122 (Prosody, ejabberd) does
	 * not: we compare as our peers do.
	 */
	good("juliet@example.com/ foo", "juliet@example.com/ foo",
	    "#18 accepted: Resourceprep neither trims nor forbids U+0020");
	good("henry\xe2\x85\xa3@example.com", "henryiv@example.com",
	    "#20 accepted: Nodeprep maps ROMAN NUMERAL FOUR to \"iv\"");
	good("\xe2\x99\x9a@example.com", "\xe2\x99\x9a@example.com",
	    "#21 accepted: symbols are not prohibited by Nodeprep");

	/* Each character Nodeprep forbids beyond stringprep's tables. */
	bad("a&b@example.com", "'&' in a localpart");
	bad("a'b@example.com", "''' in a localpart");
	bad("a:b@example.com", "':' in a localpart");
	bad("a<b@example.com", "'<' in a localpart");
	bad("a>b@example.com", "'>' in a localpart");
	bad("a@b@example.com", "a second '@' lands in the domainpart");
	bad("a\x01" "b@example.com", "control character in a localpart");
	bad("juliet@example.com/a\x7f" "b", "DEL in a resourcepart");
	good("juliet@example.com/a\xc2\xa0" "b", "juliet@example.com/a b",
	    "NFKC turns NO-BREAK SPACE into U+0020 before the prohibition");
	bad("juliet@example.com/a\xe2\x80\xa8" "b",
	    "LINE SEPARATOR (non-ASCII control) in a resourcepart");
	bad("\xc2\xad@example.com", "localpart empty after mapping");
	bad("@example.com", "empty localpart with '@'");
	bad("juliet@example.com/", "empty resourcepart with '/'");
	bad("", "empty string");
	bad(NULL, "NULL");
}

static void
test_case(void)
{
	good("JuLiEt@ExAmPle.COM/Balcony", "juliet@example.com/Balcony",
	    "local and domain fold case, the resource keeps it");
	good("EXAMPLE.COM/R", "example.com/R", "domain folds case");
	good("juliet@example.com.", "juliet@example.com",
	    "one trailing dot stripped");
	good("juliet@example.com./r", "juliet@example.com/r",
	    "trailing dot stripped before a resourcepart");
	bad("juliet@example.com..", "only one trailing dot is stripped");
	bad(".", "domain empty after the dot");
}

static void
test_limits(void)
{
	char	 buf[8192], part[2048], want[2048];
	size_t	 i;

	memset(part, 'a', 1023);
	part[1023] = '\0';
	snprintf(buf, sizeof(buf), "%s@example.com", part);
	good(buf, buf, "1023-octet localpart");
	snprintf(buf, sizeof(buf), "a%s@example.com", part);
	bad(buf, "1024-octet localpart");
	snprintf(buf, sizeof(buf), "example.com/%s", part);
	good(buf, buf, "1023-octet resourcepart");
	snprintf(buf, sizeof(buf), "example.com/%sa", part);
	bad(buf, "1024-octet resourcepart");

	/* 16 labels of 63 and 15 dots are 1023 octets. */
	buf[0] = '\0';
	for (i = 0; i < 16; i++) {
		memset(part, 'a' + i, 63);
		part[63] = '\0';
		if (i > 0)
			strcat(buf, ".");
		strcat(buf, part);
	}
	good(buf, buf, "1023-octet domainpart");
	strcpy(part, buf);
	snprintf(buf, sizeof(buf), "%s.", part);
	good(buf, part, "1023-octet domainpart and a trailing dot");
	/* 16 labels of 60, one of 48, 16 dots: 1024 octets. */
	buf[0] = '\0';
	for (i = 0; i < 17; i++) {
		memset(part, 'a' + i, i < 16 ? 60 : 48);
		part[i < 16 ? 60 : 48] = '\0';
		if (i > 0)
			strcat(buf, ".");
		strcat(buf, part);
	}
	CHECK(strlen(buf) == 1024, "built a 1024-octet domain");
	bad(buf, "1024-octet domainpart");
	memset(part, 'a', 64);
	part[64] = '\0';
	snprintf(buf, sizeof(buf), "%s.example.com", part);
	bad(buf, "64-octet DNS label");

	/* The limit applies after preparation. */
	repeat(part, "", 511, "\xc3\x9f");
	snprintf(buf, sizeof(buf), "%sa@example.com", part);
	repeat(want, "", 511, "ss");
	strcat(want, "a@example.com");
	good(buf, want, "511 sharp s and 'a': 1023 octets after mapping");
	repeat(part, "", 512, "\xc3\x9f");
	snprintf(buf, sizeof(buf), "%s@example.com", part);
	bad(buf, "1024 octets only after sharp s becomes ss");
	memset(part, 'a', 1023);
	part[1023] = '\0';
	snprintf(buf, sizeof(buf), "%s\xc2\xad@example.com", part);
	snprintf(buf + 4096, sizeof(buf) - 4096, "%s@example.com", part);
	good(buf, buf + 4096,
	    "1025 octets, 1023 once the soft hyphen is mapped to nothing");
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	bad(buf, "8191-octet address");
}

static void
test_utf8(void)
{
	bad("\xc3(@example.com", "truncated sequence in a localpart");
	bad("\xc0\xaf@example.com", "overlong '/' in a localpart");
	bad("\xe0\x80\xaf@example.com", "3-octet overlong");
	bad("\xed\xa0\x80@example.com", "UTF-16 surrogate");
	bad("\xf4\x90\x80\x80@example.com", "past U+10FFFF");
	bad("\xff@example.com", "0xff");
	bad("juliet@example.com/\xe2\x99", "truncated at the end");
	bad("juliet@ex\x80mple.com", "stray continuation octet in a domain");
	bad("juliet@example.com/\xfe", "0xfe in a resourcepart");
	good("juliet@example.com/\xf0\x9f\x98\x80",
	    "juliet@example.com/\xf0\x9f\x98\x80",
	    "emoji (unassigned in Unicode 3.2) allowed in a resourcepart");
}

static void
test_domain(void)
{
	good("juliet@192.0.2.1/r", "juliet@192.0.2.1/r", "IPv4 literal");
	good("juliet@[2001:DB8:0:0::1]/r", "juliet@[2001:db8::1]/r",
	    "IPv6 literal, written in RFC 5952 form");
	good("[::ffff:192.0.2.1]", "[::ffff:192.0.2.1]", "v4-mapped IPv6");
	bad("[192.0.2.1]", "IPv4 in brackets");
	bad("[::1", "unterminated bracket");
	bad("::1", "IPv6 without brackets");
	bad("[]", "empty brackets");
	bad("[fe80::1%eth0]", "IPv6 zone");
	bad("juliet@exa mple.com", "space in a domain");
	bad("juliet@ex_ample.com", "underscore (STD3 rules)");
	bad("juliet@-example.com", "label starting with a hyphen");
	bad("juliet@a..example.com", "empty label");
	bad("juliet@.example.com", "leading dot");
	bad("juliet@exa:mple.com", "colon in a domain");
	good("juliet@B\xc3\x9c" "CHER.example",
	    "juliet@b\xc3\xbc" "cher.example",
	    "IDN case folding");
	good("juliet@xn--bcher-kva.example", "juliet@b\xc3\xbc" "cher.example",
	    "A-label becomes a U-label");
	good("juliet@XN--BCHER-KVA.example", "juliet@b\xc3\xbc" "cher.example",
	    "upper-case A-label");
	bad("juliet@xn--zz.example", "A-label that does not decode");
	good("juliet@example\xe3\x80\x82" "com", "juliet@example.com",
	    "ideographic full stop separates labels");
	good("juliet@example\xef\xbc\x8e" "com\xef\xbd\xa1",
	    "juliet@example.com",
	    "fullwidth and halfwidth full stops, one stripped at the end");
}

static void
test_format(void)
{
	struct jid	 a, b;
	char		 buf[64];
	size_t		 n;

	jid_parse("JuLiEt@ExAmPle.COM/Balcony", &a);
	jid_parse("juliet@example.com/Balcony", &b);
	CHECK(jid_equal(&a, &b), "equal after preparation");
	jid_parse("juliet@example.com/balcony", &b);
	CHECK(!jid_equal(&a, &b) && jid_bare_equal(&a, &b),
	    "resources differ in case: bare equal, full not");
	jid_parse("romeo@example.com/Balcony", &b);
	CHECK(!jid_bare_equal(&a, &b), "different localparts");
	jid_parse("example.com/Balcony", &b);
	CHECK(!jid_bare_equal(&a, &b), "localpart against none");

	n = jid_bare(&a, buf, sizeof(buf));
	CHECK(n == 18 && strcmp(buf, "juliet@example.com") == 0, "bare: %s",
	    buf);
	n = jid_full(&a, buf, sizeof(buf));
	CHECK(n == 26 && strcmp(buf, "juliet@example.com/Balcony") == 0,
	    "full: %s", buf);
	n = jid_full(&a, buf, 8);
	CHECK(n == 26 && strcmp(buf, "juliet@") == 0,
	    "truncated: returns 26, keeps \"%s\"", buf);
	CHECK(jid_bare(&a, NULL, 0) == 18, "size 0 only measures");
	jid_parse("example.com", &b);
	n = jid_full(&b, buf, sizeof(buf));
	CHECK(n == 11 && strcmp(buf, "example.com") == 0,
	    "domain only: no '@', no '/'");
}

static void
test_prep(void)
{
	char	 b[64], u[4] = { 'a', 'b', 'c', 'd' };
	char	 small[3] = "\xc5\x89", big[8] = "\xc5\x89";

	strlcpy(b, "JuLiEt", sizeof(b));
	CHECK(jid_prep_local(b, sizeof(b)) == 0 && strcmp(b, "juliet") == 0,
	    "jid_prep_local in place");
	strlcpy(b, "Balcony", sizeof(b));
	CHECK(jid_prep_resource(b, sizeof(b)) == 0 &&
	    strcmp(b, "Balcony") == 0, "jid_prep_resource in place");
	strlcpy(b, "ExAmple.COM.", sizeof(b));
	CHECK(jid_prep_domain(b, sizeof(b)) == 0 &&
	    strcmp(b, "example.com") == 0, "jid_prep_domain in place");
	CHECK(jid_prep_local(u, sizeof(u)) == -1, "no NUL within size");
	/* U+0149 maps to U+02BC U+006E: 2 octets become 3. */
	CHECK(jid_prep_local(small, sizeof(small)) == -1,
	    "result larger than the buffer");
	CHECK(jid_prep_local(big, sizeof(big)) == 0 &&
	    strcmp(big, "\xca\xbcn") == 0, "the same with room");
	strlcpy(b, "a/b", sizeof(b));
	CHECK(jid_prep_local(b, sizeof(b)) == -1, "'/' in a localpart");
	strlcpy(b, "a@b", sizeof(b));
	CHECK(jid_prep_domain(b, sizeof(b)) == -1, "'@' in a domainpart");
}

/* The ASCII shortcut agrees with libidn on every string tried. */
static void
test_ascii(void)
{
	static const char	 alpha[] = "aZ09.-_ @/:\"&'<>~\x7f\x1f\t"
				    "xnXN-.";
	static int		(*prep[])(char *, size_t) = {
		jid_prep_local, jid_prep_domain, jid_prep_resource
	};
	char			 in[300], fast[300], slow[300];
	uint32_t		 x = 2463534242U;
	size_t			 len, i;
	int			 n, p, rf, rs, same = 1, ok[3] = { 0 };

	for (n = 0; n < 300000; n++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		len = 1 + x % (n % 10 == 0 ? 280 : 24);
		for (i = 0; i < len; i++) {
			x ^= x << 13; x ^= x >> 17; x ^= x << 5;
			/* Mostly letters and dots, so that labels form. */
			in[i] = x % 4 != 0 ? "abcdefgh.XY"[x / 4 % 11] :
			    alpha[x / 4 % (sizeof(alpha) - 1)];
		}
		in[len] = '\0';
		if (n % 7 == 0)
			memcpy(in, "xn--", len < 4 ? len : 4);
		p = n % 3;
		memcpy(fast, in, len + 1);
		memcpy(slow, in, len + 1);
		jid_ascii_fast = 1;
		rf = prep[p](fast, sizeof(fast));
		jid_ascii_fast = 0;
		rs = prep[p](slow, sizeof(slow));
		jid_ascii_fast = 1;
		if (rf != rs || (rf == 0 && strcmp(fast, slow) != 0)) {
			if (same)
				printf("# part %d \"%s\": %d \"%s\" vs %d "
				    "\"%s\"\n", p, in, rf, fast, rs, slow);
			same = 0;
		}
		if (rf == 0)
			ok[p]++;
	}
	CHECK(same, "ASCII shortcut and libidn agree on 300000 strings");
	CHECK(ok[0] > 1000 && ok[1] > 1000 && ok[2] > 1000,
	    "many of them valid (%d, %d, %d)", ok[0], ok[1], ok[2]);
}

int
main(void)
{
	test_rfc7622();
	test_case();
	test_limits();
	test_utf8();
	test_domain();
	test_format();
	test_prep();
	test_ascii();
	TEST_DONE();
}
