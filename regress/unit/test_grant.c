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
 * Grants (common/grant.c): each proves one thing only.  A login's never
 * passes for a component's or back, nor for another stream, connection
 * or name; without a key there are none.
 */

#include <stdint.h>
#include <string.h>

#include "grant.h"
#include "test.h"

int
main(void)
{
	uint8_t	 key[GRANT_KEYLEN], nokey[GRANT_KEYLEN];
	uint8_t	 login[GRANT_LEN], comp[GRANT_LEN], g[GRANT_LEN];

	memset(key, 7, sizeof(key));
	memset(nokey, 0, sizeof(nokey));

	CHECK(grant_make(key, 0, 5, "irc", "example.org", login) == 0,
	    "a login grant");
	CHECK(grant_ok(key, 0, 5, "irc", "example.org", login),
	    "it proves its login");
	CHECK(!grant_ok(key, 1, 5, "irc", "example.org", login),
	    "not on another stream");
	CHECK(!grant_ok(key, 0, 6, "irc", "example.org", login),
	    "not on another connection");
	CHECK(!grant_ok(key, 0, 5, "ir", "cexample.org", login),
	    "not for names cut elsewhere");
	CHECK(!grant_ok(key, 0, 5, "irc", "example.org", (uint8_t *)
	    memset(g, 0, sizeof(g))), "a zero grant proves nothing");

	CHECK(grant_component_make(key, 0, 5, "irc.example.org", comp) == 0,
	    "a component grant");
	CHECK(grant_component_ok(key, 0, 5, "irc.example.org", comp),
	    "it proves its component");
	CHECK(!grant_component_ok(key, 0, 5, "other.example.org", comp),
	    "not another component");
	CHECK(!grant_component_ok(key, 1, 5, "irc.example.org", comp),
	    "not on another stream");

	/* The kinds apart, with the names made to line up. */
	CHECK(grant_make(key, 0, 5, "irc.example.org", "x", login) == 0 &&
	    !grant_component_ok(key, 0, 5, "irc.example.org", login),
	    "a login grant is no component grant");
	CHECK(!grant_ok(key, 0, 5, "irc.example.org", "", comp) &&
	    grant_make(key, 0, 5, "irc.example.org", "", g) == -1,
	    "a component grant is no login grant");
	CHECK(grant_component_make(key, 0, 5, "", g) == -1 &&
	    !grant_component_ok(key, 0, 5, "", g), "no grant for no name");

	CHECK(grant_make(nokey, 0, 5, "irc", "example.org", g) == -1 &&
	    grant_component_make(nokey, 0, 5, "irc.example.org", g) == -1 &&
	    !grant_component_ok(nokey, 0, 5, "irc.example.org", g),
	    "no key, no grant");
	TEST_DONE();
}
