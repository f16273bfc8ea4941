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
 * echocomp: an external component (XEP-0114) for the component
 * benchmark.  It connects to a server's component port, authenticates
 * with the handshake, and sends every message back to its sender, from
 * the JID it was addressed to.  Its counters and CPU time go to stdout
 * when a line arrives on stdin, so that the driver can show it is not
 * the bottleneck.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <expat.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#define NS_ACCEPT	"jabber:component:accept"
#define NS_STREAMS	"http://etherx.jabber.org/streams"
#define NS_STANZAS	"urn:ietf:params:xml:ns:xmpp-stanzas"
#define ATTR_MAX	512		/* the longest from, to or id kept */
#define BODY_MAX	4096		/* the longest body echoed */

enum echo_el {
	EL_OTHER,
	EL_HANDSHAKE,
	EL_MESSAGE,
	EL_IQ,
	EL_ERROR,
};

/* The stanza at depth 2 being read. */
struct echo_stanza {
	enum echo_el	 el;
	char		 from[ATTR_MAX];
	char		 to[ATTR_MAX];
	char		 id[ATTR_MAX];
	char		 type[16];
	int		 in_body;
	int		 has_body;
	char		 cond[64];	/* a stream error's condition */
	size_t		 bodylen;
	char		 body[BODY_MAX];	/* last: not cleared */
};

static struct event_base	*base;
static struct bufferevent	*bev;
static XML_Parser		 xp;
static int			 depth;
static int			 ready;
static const char		*name;
static const char		*secret;
static struct echo_stanza	 st;
static long long		 echoed, iqs, ignored;
static int			 timelimit = 60;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: echocomp [-h host] [-t seconds] -n name "
	    "-P port -w secret\n");
	exit(1);
}

/* The driver reads one "fail" line with the reason. */
static void __attribute__((noreturn))
echo_fail(const char *why)
{
	printf("fail why=%s\n", why);
	fflush(stdout);
	exit(1);
}

static double
echo_cpu(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

static void
echo_stats(void)
{
	printf("stats echoed=%lld iqs=%lld ignored=%lld cpu=%.3f\n", echoed,
	    iqs, ignored, echo_cpu());
	fflush(stdout);
}

/* Text or an attribute value, escaped, into the output. */
static void
echo_escaped(const char *s, size_t len)
{
	struct evbuffer	*out = bufferevent_get_output(bev);
	size_t		 i, start = 0;
	const char	*rep;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		case '"':
			rep = "&quot;";
			break;
		default:
			continue;
		}
		evbuffer_add(out, s + start, i - start);
		evbuffer_add(out, rep, strlen(rep));
		start = i + 1;
	}
	evbuffer_add(out, s + start, len - start);
}

static void
echo_put(const char *s)
{
	evbuffer_add(bufferevent_get_output(bev), s, strlen(s));
}

/* name='value' with the value escaped. */
static void
echo_attr(const char *attr, const char *value)
{
	echo_put(" ");
	echo_put(attr);
	echo_put("='");
	echo_escaped(value, strlen(value));
	echo_put("'");
}

/* The stanza's addresses swapped: from the JID it was sent to. */
static void
echo_head(const char *el, const char *type)
{
	echo_put("<");
	echo_put(el);
	echo_attr("from", st.to);
	echo_attr("to", st.from);
	if (st.id[0] != '\0')
		echo_attr("id", st.id);
	if (type[0] != '\0')
		echo_attr("type", type);
	echo_put(">");
}

static void
echo_message(void)
{
	if (strcmp(st.type, "error") == 0 || st.from[0] == '\0' ||
	    st.to[0] == '\0') {
		ignored++;
		return;
	}
	echo_head("message", st.type);
	if (st.has_body) {
		echo_put("<body>");
		echo_escaped(st.body, st.bodylen);
		echo_put("</body>");
	}
	echo_put("</message>");
	echoed++;
}

/* An echo service has nothing to answer: every request is refused. */
static void
echo_iq(void)
{
	if ((strcmp(st.type, "get") != 0 && strcmp(st.type, "set") != 0) ||
	    st.from[0] == '\0' || st.to[0] == '\0') {
		ignored++;
		return;
	}
	echo_head("iq", "error");
	echo_put("<error type='cancel'><service-unavailable xmlns='"
	    NS_STANZAS "'/></error></iq>");
	iqs++;
}

static void
echo_handshake(const char *streamid)
{
	EVP_MD_CTX	*md;
	unsigned char	 digest[EVP_MAX_MD_SIZE];
	char		 hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int	 len, i;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(md, streamid, strlen(streamid)) != 1 ||
	    EVP_DigestUpdate(md, secret, strlen(secret)) != 1 ||
	    EVP_DigestFinal_ex(md, digest, &len) != 1)
		errx(1, "SHA-1");
	EVP_MD_CTX_free(md);
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	echo_put("<handshake>");
	echo_put(hex);
	echo_put("</handshake>");
}

static const char *
local_name(const char *el)
{
	const char	*p = strrchr(el, ':');

	return (p != NULL ? p + 1 : el);
}

static void
echo_keep(char *dst, size_t size, const char *value)
{
	if (strlcpy(dst, value, size) >= size)
		echo_fail("an attribute too long for the echo");
}

static void
echo_stream_start(const XML_Char **attr)
{
	const char	*id = NULL;
	size_t		 i;

	for (i = 0; attr[i] != NULL; i += 2)
		if (strcmp(attr[i], "id") == 0)
			id = attr[i + 1];
	/* Without an id no handshake: the stream error that follows says why. */
	if (id != NULL && id[0] != '\0')
		echo_handshake(id);
}

static void
echo_stanza_start(const char *ln, const XML_Char **attr)
{
	size_t	 i;

	memset(&st, 0, offsetof(struct echo_stanza, body));
	if (strcmp(ln, "handshake") == 0)
		st.el = EL_HANDSHAKE;
	else if (strcmp(ln, "message") == 0)
		st.el = EL_MESSAGE;
	else if (strcmp(ln, "iq") == 0)
		st.el = EL_IQ;
	else if (strcmp(ln, "error") == 0)
		st.el = EL_ERROR;
	for (i = 0; attr[i] != NULL; i += 2) {
		if (strcmp(attr[i], "from") == 0)
			echo_keep(st.from, sizeof(st.from), attr[i + 1]);
		else if (strcmp(attr[i], "to") == 0)
			echo_keep(st.to, sizeof(st.to), attr[i + 1]);
		else if (strcmp(attr[i], "id") == 0)
			echo_keep(st.id, sizeof(st.id), attr[i + 1]);
		else if (strcmp(attr[i], "type") == 0)
			strlcpy(st.type, attr[i + 1], sizeof(st.type));
	}
}

static void
echo_xml_start(void *arg, const XML_Char *el, const XML_Char **attr)
{
	const char	*ln = local_name(el);

	(void)arg;
	depth++;
	if (depth == 1)
		echo_stream_start(attr);
	else if (depth == 2)
		echo_stanza_start(ln, attr);
	else if (depth == 3 && st.el == EL_MESSAGE &&
	    strcmp(ln, "body") == 0) {
		st.in_body = 1;
		st.has_body = 1;
	} else if (depth == 3 && st.el == EL_ERROR && st.cond[0] == '\0' &&
	    strcmp(ln, "text") != 0)
		strlcpy(st.cond, ln, sizeof(st.cond));
}

static void
echo_xml_text(void *arg, const XML_Char *s, int len)
{
	(void)arg;
	if (!st.in_body)
		return;
	if ((size_t)len > sizeof(st.body) - st.bodylen)
		echo_fail("a body too long for the echo");
	memcpy(st.body + st.bodylen, s, len);
	st.bodylen += len;
}

static void
echo_element(void)
{
	switch (st.el) {
	case EL_HANDSHAKE:
		if (!ready) {
			ready = 1;
			printf("ready name=%s cpu=%.3f\n", name, echo_cpu());
			fflush(stdout);
			alarm(0);
		}
		break;
	case EL_MESSAGE:
		if (ready)
			echo_message();
		break;
	case EL_IQ:
		if (ready)
			echo_iq();
		break;
	case EL_ERROR:
		echo_fail(st.cond[0] != '\0' ? st.cond : "stream error");
	default:
		ignored++;
		break;
	}
}

static void
echo_xml_end(void *arg, const XML_Char *el)
{
	(void)arg;
	(void)el;
	if (depth == 3)
		st.in_body = 0;
	else if (depth == 2)
		echo_element();
	else if (depth == 1)
		echo_fail("stream closed by the server");
	depth--;
}

static void
echo_read_cb(struct bufferevent *b, void *arg)
{
	struct evbuffer		*in = bufferevent_get_input(b);
	struct evbuffer_iovec	 v[8];
	int			 i, n;
	size_t			 total = 0;

	(void)arg;
	n = evbuffer_peek(in, -1, NULL, v, 8);
	for (i = 0; i < n && i < 8; i++) {
		if (XML_Parse(xp, v[i].iov_base, v[i].iov_len, 0) ==
		    XML_STATUS_ERROR)
			echo_fail(XML_ErrorString(XML_GetErrorCode(xp)));
		total += v[i].iov_len;
	}
	evbuffer_drain(in, total);
}

static void
echo_event_cb(struct bufferevent *b, short what, void *arg)
{
	(void)b;
	(void)arg;
	if (what & BEV_EVENT_CONNECTED) {
		echo_put("<?xml version='1.0'?><stream:stream xmlns='"
		    NS_ACCEPT "' xmlns:stream='" NS_STREAMS "'");
		echo_attr("to", name);
		echo_put(">");
		return;
	}
	if (what & BEV_EVENT_EOF)
		echo_fail("connection closed by the server");
	if (what & BEV_EVENT_ERROR)
		echo_fail(strerror(EVUTIL_SOCKET_ERROR()));
}

/* Each line on stdin asks for the counters; its end ends the run. */
static void
echo_stdin_cb(int fd, short ev, void *arg)
{
	char	 buf[256];
	ssize_t	 n, i;

	(void)ev;
	(void)arg;
	if ((n = read(fd, buf, sizeof(buf))) == -1 && errno == EINTR)
		return;
	if (n <= 0) {
		echo_stats();
		exit(0);
	}
	for (i = 0; i < n; i++)
		if (buf[i] == '\n')
			echo_stats();
}

static void
echo_alarm(int sig)
{
	static const char	 msg[] = "fail why=no handshake in time\n";

	(void)sig;
	(void)write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

static void
echo_connect(const char *host, int port)
{
	struct sockaddr_in	 sa;
	int			 one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		errx(1, "%s: not an IPv4 address", host);
	if ((bev = bufferevent_socket_new(base, -1, 0)) == NULL)
		errx(1, "bufferevent_socket_new");
	bufferevent_setcb(bev, echo_read_cb, NULL, echo_event_cb, NULL);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1)
		echo_fail("connect failed");
	(void)setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
	    &one, sizeof(one));
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int
main(int argc, char *argv[])
{
	struct event	 sin;
	const char	*host = "127.0.0.1", *e;
	int		 ch, port = 0;

	while ((ch = getopt(argc, argv, "h:n:P:t:w:")) != -1) {
		switch (ch) {
		case 'h':
			host = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'P':
			port = strtonum(optarg, 1, 65535, &e);
			if (e != NULL)
				errx(1, "port %s: %s", optarg, e);
			break;
		case 't':
			timelimit = strtonum(optarg, 1, 86400, &e);
			if (e != NULL)
				errx(1, "time limit %s: %s", optarg, e);
			break;
		case 'w':
			secret = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || name == NULL || secret == NULL || port == 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, echo_alarm);
	alarm(timelimit);
	if ((base = event_base_new()) == NULL)
		errx(1, "event_base_new");
	if ((xp = XML_ParserCreate(NULL)) == NULL)
		errx(1, "XML_ParserCreate");
	XML_SetElementHandler(xp, echo_xml_start, echo_xml_end);
	XML_SetCharacterDataHandler(xp, echo_xml_text);
	echo_connect(host, port);
	event_assign(&sin, base, STDIN_FILENO, EV_READ | EV_PERSIST,
	    echo_stdin_cb, NULL);
	event_add(&sin, NULL);
	event_base_dispatch(base);
	return (0);
}
