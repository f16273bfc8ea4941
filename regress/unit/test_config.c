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
 * The configuration as each process receives it: every object crosses
 * an imsg channel intact, and secrets reach only the process that needs
 * them (LDAP bind passwords: ldapauthd; component secrets: the router;
 * keys: the processes that terminate TLS).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <sanitizer/lsan_interface.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "test.h"

static struct xmppd_config *
pass(struct xmppd_config *conf, int type)
{
	struct xmppd_config	*n = config_new();
	struct imsgbuf		 a, b;
	struct imsg		 imsg;
	ssize_t			 r;
	int			 sp[2], bad = 0;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	imsgbuf_init(&a, sp[0]);
	imsgbuf_init(&b, sp[1]);
	imsgbuf_allow_fdpass(&a);
	imsgbuf_allow_fdpass(&b);
	imsgbuf_set_maxsize(&a, 4 << 20);
	imsgbuf_set_maxsize(&b, 4 << 20);
	if (config_send(&a, conf, type) == -1 || imsgbuf_flush(&a) == -1)
		bad = 1;
	while (!bad) {
		if ((r = imsg_get(&b, &imsg)) == 0) {
			if (imsgbuf_read(&b) != 1)
				bad = 1;
			continue;
		}
		if (r == -1)
			break;
		if (imsg_get_type(&imsg) == IMSG_CFG_DONE) {
			imsg_free(&imsg);
			break;
		}
		if (config_recv(n, &imsg) != 1)
			bad = 1;
		imsg_free(&imsg);
	}
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
	if (bad) {
		config_free(n);
		return (NULL);
	}
	return (n);
}

static int
has_bytes(struct xmppd_config *c, const char *s)
{
	struct ldap_conf	*l;
	struct component_conf	*cc;
	struct keydata		*kd;

	TAILQ_FOREACH(l, &c->ldaps, entry)
		if (strstr(l->bindpw, s) != NULL)
			return (1);
	TAILQ_FOREACH(cc, &c->components, entry)
		if (strstr(cc->password, s) != NULL)
			return (1);
	TAILQ_FOREACH(kd, &c->keydata, entry)
		if (memmem(kd->key, kd->keylen, s, strlen(s)) != NULL)
			return (1);
	return (0);
}

static int
count_domains(struct xmppd_config *c)
{
	struct domain_conf	*d;
	int			 n = 0;

	TAILQ_FOREACH(d, &c->domains, entry)
		n++;
	return (n);
}

/*
 * A reload parses the file again in the same process: what one parse
 * set must not carry over.  The cors list was once kept "named" across
 * parses, so the second parse added the default "*" to it.
 */
static void
reparse(void)
{
	char			 path[] = "/tmp/test_config.XXXXXX";
	const char		*text =
	    "tls keypair \"example.org\" certificate \"/etc/ssl/e.pem\"\n"
	    "cors \"https://chat.example.org\"\n"
	    "websocket origin \"https://web.example.org\"\n"
	    "domain \"example.org\"\n"
	    "listen on * port 5222 client\n";
	struct xmppd_config	*c;
	int			 fd, i;

	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		exit(1);
	close(fd);
	for (i = 1; i <= 2; i++) {
		c = parse_config(path);
		CHECK(c != NULL && strcmp(c->global.web_cors,
		    "https://chat.example.org") == 0 &&
		    strcmp(c->global.ws_origins, "https://web.example.org") == 0,
		    "parse %d: cors and websocket origins as written", i);
		if (c != NULL)
			config_free(c);
	}
	unlink(path);
}

/*
 * A file with a syntax error is refused and leaves nothing allocated:
 * the words yacc throws away (read ahead, or of a rule left half
 * parsed, blocks included) are freed once, not leaked nor freed twice.
 */
static void
syntax_errors(void)
{
	char		 path[] = "/tmp/test_config.XXXXXX";
	const char	*bad[] = {
	    "user \"a\" \"b\" \"c\"\n",
	    "domain \"example.org\" {\n bogus \"x\" \"y\"\n}\n",
	    "component \"c.example.org\" password \"pw\" {\n"
	    " bogus \"x\"\n}\n",
	    "tls keypair \"k\" {\n bogus \"x\"\n}\n",
	    "ldap \"l\" {\n bogus \"x\"\n}\n",
	    "muc \"muc.example.org\" {\n bogus \"x\"\n}\n",
	    "upload \"up.example.org\" {\n bogus \"x\"\n}\n",
	    "limits stanza size \"12q\" \"x\"\n",
	    "limits server idle timeout \"0s\" \"x\"\n",
	    "include \"/nonexistent/xmppd.conf\" \"x\"\n",
	    "domain \"example.org\" {\n",
	};
	size_t		 i;
	int		 fd;

	if ((fd = mkstemp(path)) == -1)
		exit(1);
	close(fd);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if ((fd = open(path, O_WRONLY | O_TRUNC)) == -1 ||
		    write(fd, bad[i], strlen(bad[i])) !=
		    (ssize_t)strlen(bad[i]))
			exit(1);
		close(fd);
		CHECK(parse_config(path) == NULL &&
		    __lsan_do_recoverable_leak_check() == 0,
		    "syntax error %zu refused, nothing leaked", i + 1);
	}
	unlink(path);
}

int
main(int argc, char *argv[])
{
	struct xmppd_config	*conf, *c;
	struct keydata		*kd;
	struct domain_conf	*d;
	int			 t;

	if (argc != 2) {
		fprintf(stderr, "usage: test_config file\n");
		return (1);
	}
	log_init(1, 0);
	reparse();
	syntax_errors();
	conf = parse_config(argv[1]);
	CHECK(conf != NULL, "%s parses", argv[1]);
	if (conf == NULL)
		TEST_DONE();
	kd = calloc(1, sizeof(*kd));
	(void)strlcpy(kd->name, "example.org", sizeof(kd->name));
	kd->cert = (uint8_t *)strdup("CERTIFICATE");
	kd->certlen = strlen("CERTIFICATE");
	kd->key = (uint8_t *)strdup("KEYSECRET");
	kd->keylen = strlen("KEYSECRET");
	TAILQ_INSERT_TAIL(&conf->keydata, kd, entry);
	/* More than an imsg's default size (the socket is read at the end). */
	conf->calen = 32 * 1024;
	if ((conf->cadata = malloc(conf->calen)) == NULL)
		return (1);
	for (t = 0; t < (int)conf->calen; t++)
		conf->cadata[t] = "PEM"[t % 3];

	for (t = PROC_STORE; t < PROC_MAX; t++) {
		c = pass(conf, t);
		CHECK(c != NULL, "%s: configuration received", proc_name(t));
		if (c == NULL)
			continue;
		CHECK(strcmp(c->global.datadir, conf->global.datadir) == 0,
		    "%s: global settings intact", proc_name(t));
		if (t == PROC_ROUTER)
			CHECK(c->global.limits.sessions_per_user == 7,
			    "router: the sessions per user limit");
		CHECK(has_bytes(c, "ldapsecret") == (t == PROC_LDAPAUTHD),
		    "%s: LDAP bind password only in ldapauthd", proc_name(t));
		CHECK(has_bytes(c, "componentsecret") == (t == PROC_STORE),
		    "%s: component secret only in the store", proc_name(t));
		if (t == PROC_ROUTER || t == PROC_STORE || t == PROC_STREAM)
			CHECK(!TAILQ_EMPTY(&c->components),
			    "%s: the components, by name", proc_name(t));
		CHECK(has_bytes(c, "KEYSECRET") == (t == PROC_STREAM ||
		    t == PROC_UPLOADD), "%s: private keys only where TLS ends",
		    proc_name(t));
		CHECK(strcmp(c->global.tls_ca, "/etc/xmppd/peers.pem") == 0,
		    "%s: the tls ca path", proc_name(t));
		CHECK(t == PROC_STREAM ? c->calen == conf->calen &&
		    memcmp(c->cadata, conf->cadata, conf->calen) == 0 :
		    c->cadata == NULL && c->calen == 0,
		    "%s: the tls ca's certificates only in the streams",
		    proc_name(t));
		if (t == PROC_ROUTER || t == PROC_STORE || t == PROC_STREAM) {
			d = config_domain(c, "example.org");
			CHECK(count_domains(c) == count_domains(conf) &&
			    d != NULL && !TAILQ_EMPTY(&d->admins),
			    "%s: domains and admins intact", proc_name(t));
		}
		config_free(c);
	}
	config_free(conf);
	TEST_DONE();
}
