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
 * A ClientHello parser (RFC 8446 section 4.1.2, RFC 6066 section 3, RFC
 * 7301) for the multiplexer: it reads the record the peer sent first,
 * never more, and every length is checked against what encloses it.
 * The hello is not checked beyond what deciding where it goes needs:
 * the TLS library that terminates the connection checks the rest.
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "tlshello.h"

#define TLS_CONTENT_HANDSHAKE	22
#define TLS_HS_CLIENT_HELLO	1
#define TLS_EXT_SNI		0
#define TLS_EXT_ALPN		16
#define TLS_SNI_HOST_NAME	0

struct tlshello_cur {
	const uint8_t	*p;
	size_t		 left;
};

/* Take n bytes off c into *p; -1 when c has fewer. */
static int
tlshello_take(struct tlshello_cur *c, size_t n, const uint8_t **p)
{
	if (c->left < n)
		return (-1);
	if (p != NULL)
		*p = c->p;
	c->p += n;
	c->left -= n;
	return (0);
}

/* A big-endian integer of n (1 to 3) bytes. */
static int
tlshello_int(struct tlshello_cur *c, size_t n, size_t *v)
{
	const uint8_t	*p;
	size_t		 i;

	if (tlshello_take(c, n, &p) == -1)
		return (-1);
	for (*v = 0, i = 0; i < n; i++)
		*v = (*v << 8) | p[i];
	return (0);
}

/* A vector with an n-byte length, of min to max bytes, as a cursor. */
static int
tlshello_vec(struct tlshello_cur *c, size_t n, size_t min, size_t max,
    struct tlshello_cur *v)
{
	size_t	 len;

	if (tlshello_int(c, n, &len) == -1 || len < min || len > max ||
	    tlshello_take(c, len, &v->p) == -1)
		return (-1);
	v->left = len;
	return (0);
}

/* The first host_name of a server_name list: letters, digits, '-', '.'. */
static int
tlshello_sni(struct tlshello_cur *ext, struct tlshello *h)
{
	struct tlshello_cur	 list, name;
	size_t			 type, i;
	int			 ch;

	if (tlshello_vec(ext, 2, 1, 0xffff, &list) == -1 || ext->left != 0)
		return (-1);
	while (list.left > 0) {
		if (tlshello_int(&list, 1, &type) == -1 ||
		    tlshello_vec(&list, 2, 1, 0xffff, &name) == -1)
			return (-1);
		if (type != TLS_SNI_HOST_NAME || h->sni[0] != '\0')
			continue;
		if (name.left >= sizeof(h->sni))
			return (-1);
		for (i = 0; i < name.left; i++) {
			ch = name.p[i];
			if (ch >= 'A' && ch <= 'Z')
				ch += 'a' - 'A';
			else if (!((ch >= 'a' && ch <= 'z') ||
			    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
				return (-1);
			h->sni[i] = ch;
		}
		h->sni[i] = '\0';
	}
	return (0);
}

/* The protocols named: the three the multiplexer knows, or others. */
static int
tlshello_alpn(struct tlshello_cur *ext, struct tlshello *h)
{
	static const struct {
		const char	*name;
		int		 flag;
	} known[] = {
		{ "xmpp-client",	TLSHELLO_ALPN_XMPP_CLIENT },
		{ "xmpp-server",	TLSHELLO_ALPN_XMPP_SERVER },
		{ "http/1.1",		TLSHELLO_ALPN_HTTP11 },
	};
	struct tlshello_cur	 list, name;
	size_t			 i;
	int			 flag;

	if (tlshello_vec(ext, 2, 2, 0xffff, &list) == -1 || ext->left != 0)
		return (-1);
	while (list.left > 0) {
		if (tlshello_vec(&list, 1, 1, 0xff, &name) == -1)
			return (-1);
		flag = TLSHELLO_ALPN_OTHER;
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (name.left == strlen(known[i].name) &&
			    memcmp(name.p, known[i].name, name.left) == 0)
				flag = known[i].flag;
		h->alpn |= flag;
	}
	return (0);
}

/* The extensions: each once; those the multiplexer needs read. */
static int
tlshello_exts(struct tlshello_cur *c, struct tlshello *h)
{
	struct tlshello_cur	 exts, ext;
	size_t			 type;
	int			 seen_sni = 0, seen_alpn = 0;

	if (c->left == 0)
		return (0);	/* no extensions at all */
	if (tlshello_vec(c, 2, 0, 0xffff, &exts) == -1 || c->left != 0)
		return (-1);
	while (exts.left > 0) {
		if (tlshello_int(&exts, 2, &type) == -1 ||
		    tlshello_vec(&exts, 2, 0, 0xffff, &ext) == -1)
			return (-1);
		if (type == TLS_EXT_SNI) {
			if (seen_sni++ || tlshello_sni(&ext, h) == -1)
				return (-1);
		} else if (type == TLS_EXT_ALPN) {
			if (seen_alpn++ || tlshello_alpn(&ext, h) == -1)
				return (-1);
		}
	}
	return (0);
}

/*
 * What buf's len bytes, a connection's first, say: 1 a ClientHello,
 * read into h; 0 the start of one, more bytes are needed; -1 none, or
 * one this parser does not take (fragmented over records).
 */
int
tlshello_parse(const uint8_t *buf, size_t len, struct tlshello *h)
{
	struct tlshello_cur	 c = { buf, len }, rec, body, v;
	size_t			 type, n;

	memset(h, 0, sizeof(*h));
	if ((len >= 1 && buf[0] != TLS_CONTENT_HANDSHAKE) ||
	    (len >= 2 && buf[1] != 3))
		return (-1);
	if (len < 5)
		return (0);
	(void)tlshello_take(&c, 3, NULL);
	(void)tlshello_int(&c, 2, &n);
	if (n < 4 || n > TLSHELLO_MAX - 5)
		return (-1);
	if (c.left < n)
		return (0);
	rec.p = c.p;
	rec.left = n;
	/* The whole hello in this record: nothing else is taken. */
	if (tlshello_int(&rec, 1, &type) == -1 || type != TLS_HS_CLIENT_HELLO ||
	    tlshello_vec(&rec, 3, 38, 0xffffff, &body) == -1 || rec.left != 0)
		return (-1);
	if (tlshello_take(&body, 2 + 32, NULL) == -1 ||
	    tlshello_vec(&body, 1, 0, 32, &v) == -1 ||
	    tlshello_vec(&body, 2, 2, 0xfffe, &v) == -1 || v.left % 2 != 0 ||
	    tlshello_vec(&body, 1, 1, 0xff, &v) == -1 ||
	    tlshello_exts(&body, h) == -1)
		return (-1);
	return (1);
}
