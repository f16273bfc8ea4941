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
 * One client connection of xmppload: TCP, STARTTLS, an expat parser that
 * looks only at what a login needs, SASL PLAIN or SCRAM, bind, roster,
 * presence and a ping that tells the login is complete.
 *
 * TLS is OpenSSL's with one SSL_CTX for all connections: libtls builds a
 * context per connection, CPU the client would spend on every login.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include "benchtls.h"
#include "xmppload.h"

#define READ_MAX	(256 * 1024)	/* per wakeup, to stay fair */
#define SCRAM_KEYMAX	64

#define STREAM_HEADER	"<?xml version='1.0'?><stream:stream to='%s' " \
	"version='1.0' xmlns='jabber:client' " \
	"xmlns:stream='http://etherx.jabber.org/streams'>"
#define NS_SASL		"urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_DELAY	"urn:xmpp:delay"
#define NS_MUC_USER	"http://jabber.org/protocol/muc#user"

/* What the element at depth 3 of a stanza is. */
enum conn_el3 {
	EL3_OTHER,
	EL3_ERROR,
	EL3_MUC_USER,
};

/* The client's salted passwords, so that SCRAM costs it one PBKDF2. */
struct scram_cache {
	int		 md;
	int		 iter;
	size_t		 saltlen;
	uint8_t		 salt[64];
	uint8_t		 sp[SCRAM_KEYMAX];
};

static SSL_CTX			*sslctx;
static struct scram_cache	 scram_last;
static struct sockaddr_in	 server_sa;
static struct sockaddr_in	 other_sa;	/* -Q: the receivers' server */

static void	conn_read_cb(int, short, void *);
static void	conn_write_cb(int, short, void *);
static void	conn_read(struct conn *);
static void	conn_flush(struct conn *);
static void	conn_handshake(struct conn *);
static void	conn_starttls(struct conn *);
static void	conn_open(struct conn *);
static void	conn_free(struct conn *);
static void	conn_xml_setup(struct conn *);
static void	conn_element(struct conn *);

#define IO_WANT_READ	(-2)
#define IO_WANT_WRITE	(-3)

/* SSL_get_error as libtls puts it: want read, want write or -1. */
static int
ssl_result(struct conn *c, int r)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return (IO_WANT_READ);
	case SSL_ERROR_WANT_WRITE:
		return (IO_WANT_WRITE);
	case SSL_ERROR_ZERO_RETURN:
		return (0);
	default:
		return (-1);
	}
}

static const char *
ssl_errstr(void)
{
	unsigned long	 e = ERR_get_error();

	return (e ? ERR_reason_error_string(e) : "TLS error");
}

void
conn_init(void)
{
	sslctx = bench_tls_client();
	memset(&server_sa, 0, sizeof(server_sa));
	server_sa.sin_family = AF_INET;
	server_sa.sin_port = htons(opts.port);
	if (inet_pton(AF_INET, opts.host, &server_sa.sin_addr) != 1)
		errx(1, "%s: not an IPv4 address", opts.host);
	other_sa = server_sa;
	other_sa.sin_port = htons(opts.rport);
}

/*
 * other: the connection logs in to the receivers' server (-D, -Q), so
 * that what it is sent crosses a server-to-server stream.
 */
struct conn *
conn_start(int user, int id, int other)
{
	struct conn	*c;
	int		 one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		err(1, NULL);
	c->user = user;
	c->id = id;
	c->domain = other ? opts.rdomain : opts.domain;
	c->state = S_CONNECTING;
	clock_gettime(CLOCK_MONOTONIC, &c->t_start);
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		err(1, "socket");
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c->xp = XML_ParserCreate(NULL)) == NULL)
		errx(1, "XML_ParserCreate");
	conn_xml_setup(c);
	event_assign(&c->rev, base, c->fd, EV_READ | EV_PERSIST,
	    conn_read_cb, c);
	event_assign(&c->wev, base, c->fd, EV_WRITE, conn_write_cb, c);
	if (connect(c->fd, (struct sockaddr *)(other ? &other_sa : &server_sa),
	    sizeof(server_sa)) == -1 && errno != EINPROGRESS) {
		warn("connect");
		c->state = S_CLOSED;
		load_failed(c, "connect");
		conn_free(c);
		return (NULL);
	}
	event_add(&c->wev, NULL);
	return (c);
}

void
conn_send(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	size_t	 need, off = c->outlen;
	char	*p;

	if (c->state == S_CLOSED)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(c->out + c->outlen, c->outcap - c->outlen, fmt,
		    ap);
		va_end(ap);
		if (n < 0)
			errx(1, "vsnprintf");
		if (c->out != NULL && (size_t)n < c->outcap - c->outlen)
			break;
		need = c->outlen + n + 1;
		if (need < 1024)
			need = 1024;
		if (need < c->outcap * 2)
			need = c->outcap * 2;
		if ((p = realloc(c->out, need)) == NULL)
			err(1, NULL);
		c->out = p;
		c->outcap = need;
	}
	c->outlen += n;
	if (opts.websocket != NULL && !c->ws_raw)
		ws_frame(c, off, 0x1);
	/* Written when the socket is writable: sends batch up. */
	if (c->state != S_HANDSHAKE && c->state != S_CONNECTING)
		event_add(&c->wev, NULL);
}

/* Say goodbye, close and free. */
void
conn_close(struct conn *c)
{
	if (c->state == S_CLOSED)
		return;
	if (opts.websocket != NULL && c->state > S_UPGRADE) {
		ws_close(c);
		conn_flush(c);
	} else if (opts.websocket == NULL && c->state > S_FEAT1) {
		conn_send(c, "</stream:stream>");
		conn_flush(c);
	}
	if (c->state == S_CLOSED)
		return;
	conn_abort(c);
}

/* Close without a word: the scenario is done with it. */
void
conn_abort(struct conn *c)
{
	if (c->state == S_CLOSED)
		return;
	c->state = S_CLOSED;
	event_del(&c->rev);
	event_del(&c->wev);
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	close(c->fd);
	c->fd = -1;
	if (c->busy == 0)
		conn_free(c);
}

static void
conn_free(struct conn *c)
{
	XML_ParserFree(c->xp);
	free(c->ws_in);
	free(c->out);
	free(c);
}

void
conn_fail(struct conn *c, const char *why)
{
	if (c->state == S_CLOSED)
		return;
	c->busy++;
	conn_abort(c);
	load_failed(c, why);
	if (--c->busy == 0)
		conn_free(c);
}

/* Callbacks may close the connection: free it on the way out. */
static void
conn_enter(struct conn *c)
{
	c->busy++;
}

static int
conn_leave(struct conn *c)
{
	if (--c->busy == 0 && c->state == S_CLOSED) {
		conn_free(c);
		return (-1);
	}
	return (c->state == S_CLOSED ? -1 : 0);
}

static void
conn_read_cb(int fd, short ev, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)ev;
	conn_enter(c);
	if (c->state == S_HANDSHAKE)
		conn_handshake(c);
	else
		conn_read(c);
	conn_leave(c);
}

static void
conn_write_cb(int fd, short ev, void *arg)
{
	struct conn	*c = arg;
	socklen_t	 len;
	int		 e;

	(void)ev;
	conn_enter(c);
	if (c->state == S_CONNECTING) {
		len = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1 ||
		    e != 0) {
			conn_fail(c, "connect failed");
			conn_leave(c);
			return;
		}
		event_add(&c->rev, NULL);
		if (opts.websocket != NULL) {
			conn_starttls(c);	/* direct TLS, then HTTP */
			conn_leave(c);
			return;
		}
		c->state = S_FEAT1;
		conn_send(c, STREAM_HEADER, c->domain);
	} else if (c->state == S_HANDSHAKE) {
		conn_handshake(c);
		conn_leave(c);
		return;
	}
	if (c->read_wants_write) {
		c->read_wants_write = 0;
		conn_read(c);
	}
	if (c->state != S_CLOSED)
		conn_flush(c);
	conn_leave(c);
}

static void
conn_flush(struct conn *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		if (c->ssl != NULL) {
			n = SSL_write(c->ssl, c->out + c->outoff,
			    c->outlen - c->outoff);
			if (n <= 0)
				n = ssl_result(c, n);
			if (n == IO_WANT_READ || n == IO_WANT_WRITE) {
				event_add(&c->wev, NULL);
				return;
			}
			if (n <= 0) {
				conn_fail(c, ssl_errstr());
				return;
			}
		} else {
			n = write(c->fd, c->out + c->outoff,
			    c->outlen - c->outoff);
			if (n == -1 && errno == EAGAIN) {
				event_add(&c->wev, NULL);
				return;
			}
			if (n == -1) {
				conn_fail(c, strerror(errno));
				return;
			}
		}
		c->outoff += n;
	}
	c->outoff = c->outlen = 0;
}

static void
conn_handshake(struct conn *c)
{
	int	 r;

	if ((r = SSL_do_handshake(c->ssl)) != 1)
		r = ssl_result(c, r);
	if (r == IO_WANT_READ)
		return;
	if (r == IO_WANT_WRITE) {
		event_add(&c->wev, NULL);
		return;
	}
	if (r != 1) {
		conn_fail(c, ssl_errstr());
		return;
	}
	if (opts.websocket != NULL) {
		ws_upgrade(c);
		return;
	}
	c->state = S_FEAT2;
	conn_send(c, STREAM_HEADER, c->domain);
}

static void
conn_open(struct conn *c)
{
	if (opts.websocket != NULL)
		ws_open(c);
	else
		conn_send(c, STREAM_HEADER, c->domain);
}

/* A new stream: after <proceed/> or <success/>. */
void
conn_restart(struct conn *c)
{
	c->reset = 0;
	XML_ParserReset(c->xp, NULL);
	conn_xml_setup(c);
	if (c->state == S_PROCEED) {
		conn_starttls(c);
		return;
	}
	c->state = S_FEAT3;
	conn_open(c);
}

static void
conn_starttls(struct conn *c)
{
	const char	*sni = c->domain == opts.domain ? opts.servername :
			    c->domain;

	if ((c->ssl = SSL_new(sslctx)) == NULL)
		errx(1, "SSL_new");
	if (SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, sni) != 1) {
		conn_fail(c, ssl_errstr());
		return;
	}
	SSL_set_connect_state(c->ssl);
	c->state = S_HANDSHAKE;
	conn_handshake(c);
}

static void
conn_read(struct conn *c)
{
	char		 buf[16384];
	ssize_t		 n;
	size_t		 total = 0;
	int		 tls;

	while (total < READ_MAX && c->state != S_CLOSED) {
		if (c->ssl != NULL) {
			n = SSL_read(c->ssl, buf, sizeof(buf));
			if (n <= 0)
				n = ssl_result(c, n);
			if (n == IO_WANT_READ)
				return;
			if (n == IO_WANT_WRITE) {
				c->read_wants_write = 1;
				event_add(&c->wev, NULL);
				return;
			}
			if (n == -1) {
				conn_fail(c, ssl_errstr());
				return;
			}
		} else {
			n = read(c->fd, buf, sizeof(buf));
			if (n == -1 && errno == EAGAIN)
				return;
			if (n == -1) {
				conn_fail(c, strerror(errno));
				return;
			}
		}
		if (n == 0) {
			conn_fail(c, "connection closed by the server");
			return;
		}
		total += n;
		if (opts.websocket != NULL) {
			if (ws_input(c, buf, n) == -1)
				return;
			continue;
		}
		if (XML_Parse(c->xp, buf, n, 0) == XML_STATUS_ERROR &&
		    !c->reset && c->state != S_CLOSED) {
			conn_fail(c, XML_ErrorString(XML_GetErrorCode(c->xp)));
			return;
		}
		if (c->state == S_CLOSED)
			return;
		if (c->reset) {
			tls = c->state == S_PROCEED;
			conn_restart(c);
			if (tls)
				return;
		}
	}
}

/* Base64 with libcrypto; the decoder drops the padding it counts. */
static int
b64_encode(const void *in, size_t len, char *out, size_t outsz)
{
	if (outsz < 4 * ((len + 2) / 3) + 1)
		return (-1);
	return (EVP_EncodeBlock((unsigned char *)out, in, len));
}

static int
b64_decode(const char *in, uint8_t *out, size_t outsz)
{
	char	 clean[2048];
	size_t	 i, n = 0;
	int	 len, pad = 0;

	for (i = 0; in[i] != '\0' && n < sizeof(clean) - 1; i++)
		if (in[i] != ' ' && in[i] != '\n' && in[i] != '\r' &&
		    in[i] != '\t')
			clean[n++] = in[i];
	clean[n] = '\0';
	if (n == 1 && clean[0] == '=')
		n = 0;
	if (n % 4 != 0 || n / 4 * 3 > outsz)
		return (-1);
	if (n == 0)
		return (0);
	if (clean[n - 1] == '=')
		pad++;
	if (clean[n - 2] == '=')
		pad++;
	if ((len = EVP_DecodeBlock(out, (unsigned char *)clean, n)) == -1)
		return (-1);
	return (len - pad);
}

static const EVP_MD *
scram_md(void)
{
	return (opts.mech == MECH_SCRAM_SHA256 ? EVP_sha256() : EVP_sha1());
}

static void
sasl_send(struct conn *c, const char *elem, const char *mech,
    const char *msg, size_t len)
{
	char	 b64[1024];

	if (b64_encode(msg, len, b64, sizeof(b64)) == -1)
		errx(1, "SASL message too long");
	if (mech != NULL)
		conn_send(c, "<%s xmlns='" NS_SASL "' mechanism='%s'>%s</%s>",
		    elem, mech, b64[0] ? b64 : "=", elem);
	else
		conn_send(c, "<%s xmlns='" NS_SASL "'>%s</%s>", elem, b64,
		    elem);
}

static void
sasl_start(struct conn *c)
{
	char	 msg[512];
	uint8_t	 rnd[18];
	int	 n;

	if (opts.mech == MECH_PLAIN) {
		n = snprintf(msg, sizeof(msg), "%c%s%04d%c%s", 0, opts.prefix,
		    c->user, 0, opts.password);
		if (n < 0 || (size_t)n >= sizeof(msg))
			errx(1, "user name too long");
		sasl_send(c, "auth", "PLAIN", msg, n);
		return;
	}
	arc4random_buf(rnd, sizeof(rnd));
	(void)b64_encode(rnd, sizeof(rnd), c->cnonce, sizeof(c->cnonce));
	n = snprintf(c->cfb, sizeof(c->cfb), "n=%s%04d,r=%s", opts.prefix,
	    c->user, c->cnonce);
	if (n < 0 || (size_t)n >= sizeof(c->cfb))
		errx(1, "user name too long");
	n = snprintf(msg, sizeof(msg), "n,,%s", c->cfb);
	sasl_send(c, "auth", opts.mech == MECH_SCRAM_SHA256 ?
	    "SCRAM-SHA-256" : "SCRAM-SHA-1", msg, n);
}

/*
 * SaltedPassword := Hi(password, salt, i), remembered per user and for
 * the last salt seen (servers that share one salt), as clients do.
 */
static const uint8_t *
scram_salted(int user, const uint8_t *salt, size_t saltlen, int iter)
{
	static struct scram_cache	*users;
	struct scram_cache		*sc;
	const EVP_MD			*md = scram_md();
	int				 i;

	if (users == NULL && opts.nusers > 0 &&
	    (users = calloc(opts.nusers, sizeof(*users))) == NULL)
		err(1, NULL);
	if (saltlen > sizeof(sc->salt))
		return (NULL);
	for (i = 0; i < 2; i++) {
		sc = i == 0 ? &scram_last : (user >= opts.first &&
		    user - opts.first < opts.nusers ? &users[user -
		    opts.first] : NULL);
		if (sc != NULL && sc->iter == iter && sc->md == opts.mech &&
		    sc->saltlen == saltlen &&
		    memcmp(sc->salt, salt, saltlen) == 0)
			return (sc->sp);
	}
	sc = &scram_last;
	if (PKCS5_PBKDF2_HMAC(opts.password, strlen(opts.password), salt,
	    saltlen, iter, md, EVP_MD_size(md), sc->sp) != 1)
		return (NULL);
	sc->iter = iter;
	sc->md = opts.mech;
	sc->saltlen = saltlen;
	memcpy(sc->salt, salt, saltlen);
	if (user >= opts.first && user - opts.first < opts.nusers)
		users[user - opts.first] = *sc;
	return (sc->sp);
}

static void
sasl_scram_final(struct conn *c, const char *sfirst)
{
	const EVP_MD	*md = scram_md();
	const uint8_t	*sp;
	uint8_t		 salt[64], ckey[SCRAM_KEYMAX];
	uint8_t		 skey[SCRAM_KEYMAX], stored[SCRAM_KEYMAX];
	uint8_t		 csig[SCRAM_KEYMAX];
	char		 nonce[256], saltb64[128], authmsg[1024];
	char		 final[512], proof[128];
	const char	*p;
	unsigned int	 mdlen = EVP_MD_size(md), l;
	int		 iter, saltlen, n;
	size_t		 i;

	if (sscanf(sfirst, "r=%255[^,],s=%127[^,],i=%d", nonce, saltb64,
	    &iter) != 3 || iter < 1 || iter > 1000000 ||
	    strncmp(nonce, c->cnonce, strlen(c->cnonce)) != 0) {
		conn_fail(c, "bad SCRAM server-first-message");
		return;
	}
	if ((saltlen = b64_decode(saltb64, salt, sizeof(salt))) <= 0 ||
	    (sp = scram_salted(c->user, salt, saltlen, iter)) == NULL) {
		conn_fail(c, "bad SCRAM salt");
		return;
	}
	n = snprintf(final, sizeof(final), "c=biws,r=%s", nonce);
	if (n < 0 || (size_t)n >= sizeof(final))
		goto toolong;
	n = snprintf(authmsg, sizeof(authmsg), "%s,%s,%s", c->cfb, sfirst,
	    final);
	if (n < 0 || (size_t)n >= sizeof(authmsg))
		goto toolong;
	HMAC(md, sp, mdlen, (const uint8_t *)"Client Key", 10, ckey, &l);
	EVP_Digest(ckey, mdlen, stored, &l, md, NULL);
	HMAC(md, stored, mdlen, (uint8_t *)authmsg, n, csig, &l);
	for (i = 0; i < mdlen; i++)
		csig[i] ^= ckey[i];
	HMAC(md, sp, mdlen, (const uint8_t *)"Server Key", 10, skey, &l);
	HMAC(md, skey, mdlen, (uint8_t *)authmsg, n, c->server_sig, &l);
	c->sig_len = mdlen;
	(void)b64_encode(csig, mdlen, proof, sizeof(proof));
	p = final;
	n = snprintf(authmsg, sizeof(authmsg), "%s,p=%s", p, proof);
	if (n < 0 || (size_t)n >= sizeof(authmsg))
		goto toolong;
	sasl_send(c, "response", NULL, authmsg, n);
	return;
 toolong:
	conn_fail(c, "SCRAM message too long");
}

/* v=ServerSignature, in <success/> or in a last challenge. */
static int
sasl_scram_verify(struct conn *c, const char *msg)
{
	uint8_t	 sig[SCRAM_KEYMAX + 4];
	int	 n;

	if (strncmp(msg, "v=", 2) != 0 ||
	    (n = b64_decode(msg + 2, sig, sizeof(sig))) == -1 ||
	    (size_t)n != c->sig_len || memcmp(sig, c->server_sig, n) != 0)
		return (-1);
	return (0);
}

static void
sasl_challenge(struct conn *c)
{
	char	 msg[1024];
	int	 n;

	if (opts.mech == MECH_PLAIN) {
		conn_fail(c, "challenge to PLAIN");
		return;
	}
	if ((n = b64_decode(c->text, (uint8_t *)msg, sizeof(msg) - 1)) == -1) {
		conn_fail(c, "bad base64 in a challenge");
		return;
	}
	msg[n] = '\0';
	if (c->sig_len == 0)
		sasl_scram_final(c, msg);
	else if (sasl_scram_verify(c, msg) == -1)
		conn_fail(c, "wrong SCRAM server signature");
	else
		conn_send(c, "<response xmlns='" NS_SASL "'/>");
}

static void
sasl_success(struct conn *c)
{
	char	 msg[1024];
	int	 n;

	if (opts.mech != MECH_PLAIN && c->text[0] != '\0') {
		n = b64_decode(c->text, (uint8_t *)msg, sizeof(msg) - 1);
		if (n > 0) {
			msg[n] = '\0';
			if (sasl_scram_verify(c, msg) == -1) {
				conn_fail(c, "wrong SCRAM server signature");
				return;
			}
		}
	}
	c->reset = 1;
	XML_StopParser(c->xp, XML_FALSE);
}

static const char *
local_name(const char *name)
{
	const char	*p = strrchr(name, ':');

	return (p != NULL ? p + 1 : name);
}

static enum conn_el
el_kind(const char *ln)
{
	static const struct {
		const char	*name;
		enum conn_el	 el;
	} els[] = {
		{ "features",	EL_FEATURES },
		{ "proceed",	EL_PROCEED },
		{ "challenge",	EL_CHALLENGE },
		{ "success",	EL_SUCCESS },
		{ "failure",	EL_FAILURE },
		{ "iq",		EL_IQ },
		{ "message",	EL_MESSAGE },
		{ "presence",	EL_PRESENCE },
		{ "error",	EL_ERROR },
	};
	size_t	 i;

	for (i = 0; i < sizeof(els) / sizeof(els[0]); i++)
		if (strcmp(ln, els[i].name) == 0)
			return (els[i].el);
	return (EL_OTHER);
}

/*
 * What a group chat occupant needs to know of a stanza: a body, a
 * delay (history), a subject, a muc#user status, an error's condition.
 * The parser keeps prefixes: the xmlns attribute names the namespace.
 */
static void
conn_xml_child(struct conn *c, const char *ln, const XML_Char **attr)
{
	const char	*ns = "";
	size_t		 i;

	for (i = 0; attr[i] != NULL; i += 2)
		if (strcmp(attr[i], "xmlns") == 0)
			ns = attr[i + 1];
	if (strcmp(ln, "body") == 0)
		c->el_flags |= EF_BODY;
	else if (strcmp(ln, "subject") == 0)
		c->el_flags |= EF_SUBJECT;
	else if (strcmp(ln, "delay") == 0 && strcmp(ns, NS_DELAY) == 0)
		c->el_flags |= EF_DELAY;
	else if (strcmp(ln, "error") == 0)
		c->el3 = EL3_ERROR;
	else if (strcmp(ln, "x") == 0 && strcmp(ns, NS_MUC_USER) == 0)
		c->el3 = EL3_MUC_USER;
	else
		c->el3 = EL3_OTHER;
}

static void
conn_xml_start(void *arg, const XML_Char *name, const XML_Char **attr)
{
	struct conn	*c = arg;
	const char	*ln = local_name(name);
	size_t		 i;

	if (c->state == S_CLOSED)
		return;
	c->depth++;
	if (c->depth == 2) {
		c->el = el_kind(ln);
		c->el_type[0] = c->el_id[0] = c->el_from[0] = '\0';
		c->textlen = 0;
		c->items = 0;
		c->el3 = EL3_OTHER;
		c->el_flags = 0;
		c->el_cond[0] = '\0';
		if (c->el == EL_FEATURES)
			c->mechs = c->feat_starttls = c->feat_bind =
			    c->feat_session = c->session_opt = 0;
		for (i = 0; attr[i] != NULL; i += 2) {
			if (strcmp(attr[i], "type") == 0)
				strlcpy(c->el_type, attr[i + 1],
				    sizeof(c->el_type));
			else if (strcmp(attr[i], "id") == 0)
				strlcpy(c->el_id, attr[i + 1],
				    sizeof(c->el_id));
			else if (strcmp(attr[i], "from") == 0)
				strlcpy(c->el_from, attr[i + 1],
				    sizeof(c->el_from));
		}
	} else if (c->depth == 3 && c->el == EL_FEATURES) {
		c->feat3 = 0;
		if (strcmp(ln, "starttls") == 0)
			c->feat_starttls = 1;
		else if (strcmp(ln, "bind") == 0)
			c->feat_bind = 1;
		else if (strcmp(ln, "session") == 0)
			c->feat_session = c->feat3 = 2;
		else if (strcmp(ln, "mechanisms") == 0)
			c->feat3 = 1;
	} else if (c->depth == 4 && c->el == EL_FEATURES) {
		if (c->feat3 == 1 && strcmp(ln, "mechanism") == 0) {
			c->in_mech = 1;
			c->textlen = 0;
		} else if (c->feat3 == 2 && strcmp(ln, "optional") == 0)
			c->session_opt = 1;
	} else if (c->depth == 4 && c->el == EL_IQ && strcmp(ln, "item") == 0)
		c->items++;
	if (c->depth == 3 && (c->el == EL_IQ || c->el == EL_MESSAGE ||
	    c->el == EL_PRESENCE))
		conn_xml_child(c, ln, attr);
	else if (c->depth == 4 && c->el3 == EL3_ERROR &&
	    c->el_cond[0] == '\0' && strcmp(ln, "text") != 0)
		strlcpy(c->el_cond, ln, sizeof(c->el_cond));
	else if (c->depth == 4 && c->el3 == EL3_MUC_USER &&
	    strcmp(ln, "status") == 0) {
		for (i = 0; attr[i] != NULL; i += 2)
			if (strcmp(attr[i], "code") == 0) {
				if (strcmp(attr[i + 1], "110") == 0)
					c->el_flags |= EF_STATUS110;
				else if (strcmp(attr[i + 1], "201") == 0)
					c->el_flags |= EF_STATUS201;
			}
	}
}

static void
conn_xml_text(void *arg, const XML_Char *s, int len)
{
	struct conn	*c = arg;

	if (c->state == S_CLOSED)
		return;
	if (!c->in_mech && !(c->depth == 2 &&
	    (c->el == EL_CHALLENGE || c->el == EL_SUCCESS)))
		return;
	if ((size_t)len > sizeof(c->text) - 1 - c->textlen)
		len = sizeof(c->text) - 1 - c->textlen;
	memcpy(c->text + c->textlen, s, len);
	c->textlen += len;
}

static void
conn_xml_end(void *arg, const XML_Char *name)
{
	struct conn	*c = arg;

	(void)name;
	if (c->state == S_CLOSED)
		return;
	if (c->depth == 4 && c->in_mech) {
		c->text[c->textlen] = '\0';
		if (strcmp(c->text, "PLAIN") == 0)
			c->mechs |= MECH_PLAIN;
		else if (strcmp(c->text, "SCRAM-SHA-1") == 0)
			c->mechs |= MECH_SCRAM_SHA1;
		else if (strcmp(c->text, "SCRAM-SHA-256") == 0)
			c->mechs |= MECH_SCRAM_SHA256;
		c->in_mech = 0;
	} else if (c->depth == 2) {
		c->text[c->textlen] = '\0';
		c->depth--;
		conn_element(c);
		return;
	} else if (c->depth == 1) {
		conn_fail(c, "stream closed by the server");
		return;
	}
	c->depth--;
}

static void
conn_xml_setup(struct conn *c)
{
	XML_SetUserData(c->xp, c);
	XML_SetElementHandler(c->xp, conn_xml_start, conn_xml_end);
	XML_SetCharacterDataHandler(c->xp, conn_xml_text);
	c->depth = 0;
}

/* Initial presence, and a ping whose answer tells the login is done. */
static void
conn_online(struct conn *c)
{
	if (opts.presence)
		conn_send(c, "<presence/>");
	conn_send(c, "<iq type='get' id='ping' to='%s'>"
	    "<ping xmlns='urn:xmpp:ping'/></iq>", c->domain);
	c->state = S_PING;
}

/* After bind: the roster first when asked, as clients do. */
static void
conn_bound(struct conn *c)
{
	if (!opts.roster) {
		conn_online(c);
		return;
	}
	conn_send(c, "<iq type='get' id='roster'>"
	    "<query xmlns='jabber:iq:roster'/></iq>");
	c->state = S_ROSTER;
}

static int
iq_is(struct conn *c, const char *id)
{
	return (c->el == EL_IQ && strcmp(c->el_id, id) == 0 &&
	    (strcmp(c->el_type, "result") == 0 ||
	    strcmp(c->el_type, "error") == 0));
}

/* Up to bind: STARTTLS, SASL and the stream restarts. */
static void
conn_element_login(struct conn *c)
{
	switch (c->state) {
	case S_FEAT1:
		if (c->el != EL_FEATURES)
			break;
		if (!c->feat_starttls) {
			conn_fail(c, "no STARTTLS offered");
			break;
		}
		conn_send(c, "<starttls xmlns="
		    "'urn:ietf:params:xml:ns:xmpp-tls'/>");
		c->state = S_PROCEED;
		break;
	case S_PROCEED:
		if (c->el == EL_PROCEED) {
			c->reset = 1;
			XML_StopParser(c->xp, XML_FALSE);
		}
		break;
	case S_FEAT2:
		if (c->el != EL_FEATURES)
			break;
		if ((c->mechs & opts.mech) == 0) {
			conn_fail(c, "SASL mechanism not offered");
			break;
		}
		c->state = S_SASL;
		sasl_start(c);
		break;
	case S_SASL:
		if (c->el == EL_CHALLENGE)
			sasl_challenge(c);
		else if (c->el == EL_SUCCESS)
			sasl_success(c);
		break;
	case S_FEAT3:
		if (c->el != EL_FEATURES)
			break;
		if (!c->feat_bind) {
			conn_fail(c, "no bind offered");
			break;
		}
		c->need_session = c->feat_session && !c->session_opt;
		conn_send(c, "<iq type='set' id='bind'><bind xmlns="
		    "'urn:ietf:params:xml:ns:xmpp-bind'><resource>r%d"
		    "</resource></bind></iq>", c->id);
		c->state = S_BIND;
		break;
	default:
		break;
	}
}

static const char *
conn_bounced(struct conn *c)
{
	static char	 why[128];

	snprintf(why, sizeof(why), "message bounced (%s)",
	    c->el_cond[0] != '\0' ? c->el_cond : "no condition");
	return (why);
}

/* From bind on: session, roster, presence, the closing ping, traffic. */
static void
conn_element_session(struct conn *c)
{
	switch (c->state) {
	case S_BIND:
		if (!iq_is(c, "bind"))
			break;
		if (strcmp(c->el_type, "result") != 0)
			conn_fail(c, "bind failed");
		else if (c->need_session) {
			conn_send(c, "<iq type='set' id='sess'><session "
			    "xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"
			    "</iq>");
			c->state = S_SESSION;
		} else
			conn_bound(c);
		break;
	case S_SESSION:
		if (!iq_is(c, "sess"))
			break;
		if (strcmp(c->el_type, "result") != 0)
			conn_fail(c, "session failed");
		else
			conn_bound(c);
		break;
	case S_ROSTER:
		if (!iq_is(c, "roster"))
			break;
		if (strcmp(c->el_type, "result") != 0) {
			conn_fail(c, "roster get failed");
			break;
		}
		c->roster_items = c->items;
		conn_online(c);
		break;
	case S_PING:
		/* An error answer is an answer too: the server got here. */
		if (!iq_is(c, "ping"))
			break;
		c->state = S_READY;
		load_ready(c);
		break;
	case S_READY:
		if (c->el == EL_MESSAGE && strcmp(c->el_type, "error") == 0)
			conn_fail(c, conn_bounced(c));
		else if (c->el == EL_MESSAGE)
			load_message(c);
		else if (c->el == EL_PRESENCE || c->el == EL_IQ)
			load_stanza(c);
		break;
	default:
		break;
	}
}

static void
conn_element(struct conn *c)
{
	if (c->el == EL_ERROR) {
		conn_fail(c, "stream error");
		return;
	}
	if (c->el == EL_FAILURE) {
		conn_fail(c, c->state == S_SASL ? "SASL failure" :
		    "STARTTLS failure");
		return;
	}
	/* Pings from the server, in any state after bind. */
	if (c->el == EL_IQ && c->state >= S_ROSTER &&
	    (strcmp(c->el_type, "get") == 0 ||
	    strcmp(c->el_type, "set") == 0)) {
		conn_send(c, "<iq type='result' id='%s' to='%s'/>", c->el_id,
		    c->el_from[0] ? c->el_from : c->domain);
		return;
	}
	if (c->state < S_BIND)
		conn_element_login(c);
	else
		conn_element_session(c);
}
