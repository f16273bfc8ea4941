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
 * httpload: an HTTPS load client for the upload benchmark.  One libevent
 * loop, OpenSSL with one SSL_CTX for all connections, responses parsed
 * by libhttp-parser.
 *
 *	-m get: -c connections each GET one URL over and over, keep-alive,
 *	for -t seconds (or -n times in all, within -t); every body's length
 *	is checked, and the SHA-256 of each connection's first body against
 *	-D.
 *	-m put: each line of a file, "PUT-URL GET-URL" and, after tabs, the
 *	"Name: value" headers the PUT must carry, is one upload of -l bytes
 *	(generated, different for every line) or of the file -f, -c at a
 *	time; then every GET-URL is read back and its SHA-256 compared with
 *	what was sent.
 *
 * Prints one line of key=value figures per phase with its own CPU time,
 * or "fail ... why=" and exits non-zero.  -v: each step of each request
 * (connected, TLS up, sent, the status, the end) on stderr, timestamped
 * (UTC), to tell where a run waited.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <http_parser.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "benchtls.h"

#define BUFSZ		(64 * 1024)	/* a read, a chunk of body */
#define READ_MAX	(256 * 1024)	/* per wakeup, to stay fair */
#define HEAD_MAX	4096
#define URL_MAX		2048
#define MAXERR		5		/* reasons printed */

enum mode { M_GET, M_PUT };

struct url {
	int		 tls;
	char		 authority[256];	/* Host: */
	char		 sni[256];
	char		 path[URL_MAX];
	int		 port;
};

/* One request: a PUT of an upload, or a GET of it or of the -m get URL. */
struct job {
	struct url	 put, get;
	char		*headers;	/* of the PUT, each ending in CRLF */
	int		 done;		/* 1 stored, 2 read back right */
	uint8_t		 sent[EVP_MAX_MD_SIZE];	/* digest of the body sent */
};

struct hconn {
	int		 fd;
	SSL		*ssl;
	struct url	*url;		/* where it is connected */
	struct event	 ev;
	short		 ev_flags;	/* EV_READ or EV_WRITE: what ev waits for */
	int		 connected;
	struct job	*job;
	int		 putting;	/* sending a body */
	char		 head[HEAD_MAX];
	size_t		 headlen, headoff;
	int64_t		 body_left;
	uint64_t	 prng;
	int		 bodyfd;
	uint8_t		*buf;
	size_t		 buflen, bufoff;
	EVP_MD_CTX	*md;
	http_parser	 hp;
	int		 complete;	/* the response is in */
	int		 status;
	int64_t		 got;
	int		 check;		/* hash the body and compare */
	int		 nresp;		/* responses on this connection */
	int		 sent;		/* the whole request is sent */
};

static SSL_CTX		*sslctx;
static struct event_base *base;
static http_parser_settings hps;
static struct sockaddr_in server_sa;
static int		 forced_port;	/* -P, else the URL's */
static enum mode	 mode = M_GET;
static const char	*mode_name = "get";
static int		 conc = 20;
static int		 timelimit = 10;
static int64_t		 length = -1;	/* -l */
static long long	 maxget;	/* -n: GETs in all, else for -t s */
static const char	*digest_hex;	/* -D */
static const char	*bodyfile;	/* -f */
static const char	*ctype = "application/octet-stream";
static int		 verbose;	/* -v */
static uint8_t		 digest[EVP_MAX_MD_SIZE];

static struct job	*jobs;
static int		 njobs, next_job, active, failed, verifying;
static long long	 issued;
static long long	 responses, bad;
static int64_t		 bytes;
static double		 t_end;
static int		 nerr;

static void	hc_start(struct job *, struct url *);
static void	hc_io(struct hconn *);
static void	hc_cb(int, short, void *);
static void	hc_finish(struct hconn *, const char *);

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: httpload -m get [-c conns] [-D sha256] "
	    "[-h host] [-n count] [-P port]\n"
	    "\t[-t seconds] [-v] -l length url\n"
	    "       httpload -m put [-c conns] [-f file | -l length] "
	    "[-h host] [-P port]\n"
	    "\t[-T type] [-t seconds] [-v] urlfile\n");
	exit(1);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static double
cpu(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

static void __attribute__((noreturn))
fail(const char *why)
{
	printf("fail mode=%s done=%lld failed=%d why=%s\n", mode_name,
	    responses, failed, why);
	fflush(stdout);
	exit(2);
}

/* https://host[:port]/path?query, or http:// */
static int
url_parse(const char *s, struct url *u)
{
	const char	*a, *p, *c;
	size_t		 n;

	memset(u, 0, sizeof(*u));
	if (strncmp(s, "https://", 8) == 0) {
		u->tls = 1;
		u->port = 443;
		a = s + 8;
	} else if (strncmp(s, "http://", 7) == 0) {
		u->port = 80;
		a = s + 7;
	} else
		return (-1);
	if ((p = strchr(a, '/')) == NULL)
		p = a + strlen(a);
	n = p - a;
	if (n == 0 || n >= sizeof(u->authority))
		return (-1);
	memcpy(u->authority, a, n);
	memcpy(u->sni, a, n);
	if ((c = strchr(u->sni, ':')) != NULL) {
		u->port = atoi(c + 1);
		u->sni[c - u->sni] = '\0';
	}
	if (*p == '\0')
		p = "/";
	if (strlen(p) >= sizeof(u->path) || strpbrk(p, " \r\n") != NULL)
		return (-1);
	strlcpy(u->path, p, sizeof(u->path));
	return (0);
}

/* With -v, one step of c's request on stderr, timestamped. */
static void
step(struct hconn *c, const char *what)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 hms[16];

	if (!verbose)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	fprintf(stderr, "httpload %s.%03ld %s %s %s\n", hms,
	    ts.tv_nsec / 1000000, mode == M_PUT && !verifying ? "PUT" : "GET",
	    verifying || mode == M_GET ? c->job->get.path : c->job->put.path,
	    what);
}

static void
note(const char *what, struct job *j, const char *why)
{
	if (nerr++ < MAXERR)
		fprintf(stderr, "httpload: %s %s: %s\n", what,
		    verifying ? j->get.path : j->put.path, why);
}

/* The body of upload i: xorshift64* bytes, different for every upload. */
static void
body_fill(struct hconn *c)
{
	size_t	 n, k;
	ssize_t	 r;
	uint64_t x;

	n = c->body_left < BUFSZ ? (size_t)c->body_left : BUFSZ;
	if (c->bodyfd != -1) {
		if ((r = read(c->bodyfd, c->buf, n)) <= 0)
			err(1, "%s", bodyfile);
		n = r;
	} else {
		for (k = 0; k < n; k += 8) {
			c->prng ^= c->prng >> 12;
			c->prng ^= c->prng << 25;
			c->prng ^= c->prng >> 27;
			x = c->prng * 0x2545f4914f6cdd1dULL;
			memcpy(c->buf + k, &x, n - k < 8 ? n - k : 8);
		}
	}
	EVP_DigestUpdate(c->md, c->buf, n);
	c->buflen = n;
	c->bufoff = 0;
	c->body_left -= n;
}

static void
hc_request(struct hconn *c)
{
	struct job	*j = c->job;
	struct url	*u = c->url;
	int		 n;

	c->putting = mode == M_PUT && !verifying;
	if (c->putting)
		n = snprintf(c->head, sizeof(c->head), "PUT %s HTTP/1.1\r\n"
		    "Host: %s\r\nContent-Length: %lld\r\n"
		    "Content-Type: %s\r\n%s\r\n", u->path, u->authority,
		    (long long)length, ctype, j->headers);
	else
		n = snprintf(c->head, sizeof(c->head), "GET %s HTTP/1.1\r\n"
		    "Host: %s\r\n\r\n", u->path, u->authority);
	if (n < 0 || (size_t)n >= sizeof(c->head))
		errx(1, "request too long");
	c->headlen = n;
	c->headoff = 0;
	c->sent = 0;
	c->buflen = c->bufoff = 0;
	c->body_left = c->putting ? length : 0;
	c->prng = 0x9e3779b97f4a7c15ULL * (uint64_t)(j - jobs + 1);
	if (c->putting && bodyfile != NULL) {
		if (c->bodyfd == -1 &&
		    (c->bodyfd = open(bodyfile, O_RDONLY)) == -1)
			err(1, "%s", bodyfile);
		if (lseek(c->bodyfd, 0, SEEK_SET) == -1)
			err(1, "%s", bodyfile);
	}
	c->check = c->putting || mode == M_PUT ||
	    (digest_hex != NULL && c->nresp == 0);
	if (c->check || c->putting)
		EVP_DigestInit_ex(c->md, EVP_sha256(), NULL);
	http_parser_init(&c->hp, HTTP_RESPONSE);
	c->hp.data = c;
	c->complete = 0;
	c->status = 0;
	c->got = 0;
}

static int
on_headers(http_parser *hp)
{
	struct hconn	*c = hp->data;
	char		 what[32];

	c->status = hp->status_code;
	(void)snprintf(what, sizeof(what), "status %d", c->status);
	step(c, what);
	/* After a PUT the digest is that of the body sent, kept. */
	if (c->putting) {
		EVP_DigestFinal_ex(c->md, c->job->sent, NULL);
		c->check = 0;
	}
	return (0);
}

static int
on_body(http_parser *hp, const char *p, size_t n)
{
	struct hconn	*c = hp->data;

	c->got += n;
	if (!verifying && mode == M_GET && (maxget > 0 || now() < t_end))
		bytes += n;
	if (c->check)
		EVP_DigestUpdate(c->md, p, n);
	return (0);
}

static int
on_complete(http_parser *hp)
{
	struct hconn	*c = hp->data;

	c->complete = 1;
	http_parser_pause(hp, 1);
	return (0);
}

static void
hc_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	hc_io(arg);
}

/* Waits for the socket to be writable (write) or readable. */
static void
hc_arm(struct hconn *c, int write)
{
	short	 want = write ? EV_WRITE : EV_READ;

	event_del(&c->ev);
	if (want != c->ev_flags) {
		event_assign(&c->ev, base, c->fd, want, hc_cb, c);
		c->ev_flags = want;
	}
	event_add(&c->ev, NULL);
}

/* SSL's or the socket's answer: > 0 bytes, 0 closed, -1 error,
 * -2 wait for reading, -3 for writing. */
static int
io_result(struct hconn *c, int r, int writing)
{
	if (c->ssl == NULL) {
		if (r >= 0)
			return (r);
		if (errno == EAGAIN || errno == EINTR)
			return (writing ? -3 : -2);
		return (-1);
	}
	if (r > 0)
		return (r);
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return (-2);
	case SSL_ERROR_WANT_WRITE:
		return (-3);
	case SSL_ERROR_ZERO_RETURN:
		return (0);
	default:
		return (-1);
	}
}

static int
hc_write(struct hconn *c, const void *p, size_t n)
{
	if (c->ssl == NULL)
		return (io_result(c, write(c->fd, p, n), 1));
	return (io_result(c, SSL_write(c->ssl, p, n), 1));
}

/* Sends what is left of the request; 1 all sent, 0 wait, -1 error. */
static int
hc_send(struct hconn *c)
{
	int	 r;

	while (c->headoff < c->headlen) {
		r = hc_write(c, c->head + c->headoff, c->headlen - c->headoff);
		if (r <= 0)
			return (r == -2 || r == -3 ? (hc_arm(c, r == -3), 0) :
			    -1);
		c->headoff += r;
	}
	while (c->putting && (c->bufoff < c->buflen || c->body_left > 0)) {
		if (c->bufoff == c->buflen)
			body_fill(c);
		r = hc_write(c, c->buf + c->bufoff, c->buflen - c->bufoff);
		if (r <= 0)
			return (r == -2 || r == -3 ? (hc_arm(c, r == -3), 0) :
			    -1);
		c->bufoff += r;
	}
	return (1);
}

/* Reads and parses the response; 1 complete, 0 wait, -1 error. */
static int
hc_recv(struct hconn *c)
{
	size_t	 total = 0;
	int	 r;
	char	*p = (char *)c->buf;

	while (!c->complete) {
		if (total >= READ_MAX) {
			event_active(&c->ev, EV_READ, 1);
			return (0);
		}
		if (c->ssl != NULL)
			r = io_result(c, SSL_read(c->ssl, p, BUFSZ), 0);
		else
			r = io_result(c, read(c->fd, p, BUFSZ), 0);
		if (r == -2 || r == -3) {
			hc_arm(c, r == -3);
			return (0);
		}
		if (r < 0)
			return (-1);
		total += r;
		if ((size_t)r != http_parser_execute(&c->hp, &hps, p, r) &&
		    HTTP_PARSER_ERRNO(&c->hp) != HPE_PAUSED)
			return (-1);
		if (r == 0)
			break;
	}
	return (c->complete ? 1 : -1);
}

static void
hc_handshake(struct hconn *c)
{
	socklen_t	 len = sizeof(int);
	int		 r, e = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 &&
	    e != 0) {
		hc_finish(c, e == ECONNREFUSED ? "connection refused" :
		    e == ECONNRESET ? "connection reset" : "connect failed");
		return;
	}
	if (c->ssl == NULL) {
		c->connected = 1;
		return;
	}
	if ((r = io_result(c, SSL_connect(c->ssl), 0)) == 1) {
		step(c, "TLS up");
		c->connected = 1;
	} else if (r == -2 || r == -3)
		hc_arm(c, r == -3);
	else
		hc_finish(c, "TLS handshake failed");
}

static void
hc_io(struct hconn *c)
{
	int	 r;

	if (!c->connected) {
		hc_handshake(c);
		if (!c->connected)
			return;
		hc_request(c);
	}
	if ((r = hc_send(c)) == 1) {
		if (!c->sent)
			step(c, "sent");
		c->sent = 1;
		r = hc_recv(c);
	}
	if (r == -1)
		hc_finish(c, c->complete ? "closed" : "connection lost");
	else if (r == 1)
		hc_finish(c, NULL);
}

static void
hc_free(struct hconn *c)
{
	event_del(&c->ev);
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	close(c->fd);
	if (c->bodyfd != -1)
		close(c->bodyfd);
	EVP_MD_CTX_free(c->md);
	free(c->buf);
	free(c);
	active--;
}

static struct job *
job_next(void)
{
	if (mode == M_GET && maxget > 0)
		return (issued++ < maxget ? &jobs[0] : NULL);
	if (mode == M_GET)
		return (now() < t_end ? &jobs[0] : NULL);
	if (next_job < njobs)
		return (&jobs[next_job++]);
	return (NULL);
}

/* A response is in, or the connection failed (why). */
static int
job_result(struct hconn *c, const char *why)
{
	struct job	*j = c->job;
	uint8_t		 md[EVP_MAX_MD_SIZE];
	int64_t		 want = mode == M_PUT && !verifying ? 0 : length;

	if (why == NULL && c->putting && (c->status < 200 || c->status > 299))
		why = "PUT refused";
	else if (why == NULL && !c->putting && c->status != 200)
		why = "GET refused";
	else if (why == NULL && want > 0 && c->got != want)
		why = "wrong length";
	else if (why == NULL && c->check) {
		EVP_DigestFinal_ex(c->md, md, NULL);
		if (memcmp(md, mode == M_PUT ? j->sent : digest, 32) != 0)
			why = "digest differs";
	}
	step(c, why != NULL ? why : "ok");
	if (why != NULL && mode == M_GET)
		fail(why);
	if (why != NULL) {
		note(mode == M_PUT && !verifying ? "PUT" : "GET", j, why);
		bad++;
		failed++;
		return (-1);
	}
	responses++;
	c->nresp++;
	j->done = verifying ? 2 : 1;
	return (0);
}

static void
hc_finish(struct hconn *c, const char *why)
{
	struct job	*j;
	struct url	*u;
	int		 keep;

	keep = job_result(c, why) == 0 && http_should_keep_alive(&c->hp);
	if ((j = job_next()) == NULL) {
		hc_free(c);
		if (active == 0)
			event_base_loopexit(base, NULL);
		return;
	}
	u = verifying || mode == M_GET ? &j->get : &j->put;
	if (keep && u->tls == c->url->tls && u->port == c->url->port &&
	    strcmp(u->authority, c->url->authority) == 0) {
		c->job = j;
		c->url = u;
		hc_request(c);
		hc_io(c);
		return;
	}
	hc_free(c);
	hc_start(j, u);
}

static void
hc_start(struct job *j, struct url *u)
{
	struct hconn	*c;
	int		 one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->buf = malloc(BUFSZ)) == NULL ||
	    (c->md = EVP_MD_CTX_new()) == NULL)
		err(1, NULL);
	active++;
	c->job = j;
	c->url = u;
	c->bodyfd = -1;
	server_sa.sin_port = htons(forced_port ? forced_port : u->port);
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		err(1, "socket");
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&server_sa,
	    sizeof(server_sa)) == -1 && errno != EINPROGRESS)
		err(1, "connect");
	if (u->tls) {
		if ((c->ssl = SSL_new(sslctx)) == NULL)
			errx(1, "SSL_new");
		SSL_set_fd(c->ssl, c->fd);
		SSL_set_tlsext_host_name(c->ssl, u->sni);
	}
	c->ev_flags = EV_WRITE;
	event_assign(&c->ev, base, c->fd, EV_WRITE, hc_cb, c);
	event_add(&c->ev, NULL);
	step(c, "connecting");
}

static void
tls_init(void)
{
	sslctx = bench_tls_client();
	/* Whole socket reads, not two per record: the client must cost
	 * less than the servers it measures. */
	SSL_CTX_set_read_ahead(sslctx, 1);
	SSL_CTX_set_default_read_buffer_len(sslctx, BUFSZ);
	memset(&hps, 0, sizeof(hps));
	hps.on_headers_complete = on_headers;
	hps.on_body = on_body;
	hps.on_message_complete = on_complete;
}

static void
tick_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if ((mode == M_PUT || maxget > 0) && now() > t_end)
		fail("timeout");
	/* GET: what came by the end is counted, the rest is not waited for. */
	if (mode == M_GET && now() >= t_end)
		event_base_loopexit(base, NULL);
}

/* Runs the jobs, -c connections at a time, until none is left. */
static void
run_jobs(void)
{
	struct event	 tick;
	struct timeval	 tv = { 0, 200000 };
	struct job	*j;
	int		 i;

	event_assign(&tick, base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(&tick, &tv);
	for (i = 0; i < conc && (j = job_next()) != NULL; i++)
		hc_start(j, verifying || mode == M_GET ? &j->get : &j->put);
	event_base_dispatch(base);
	event_del(&tick);
}

/* "Name: value" separated by tabs, as CRLF-ended header lines. */
static char *
put_headers(char *tabbed)
{
	char	*out, *h;
	size_t	 len = 0;

	if ((out = calloc(1, HEAD_MAX)) == NULL)
		err(1, NULL);
	while ((h = strsep(&tabbed, "\t")) != NULL) {
		if (*h == '\0')
			continue;
		if (strchr(h, ':') == NULL)
			errx(1, "a PUT header is \"Name: value\"");
		len = strlcat(out, h, HEAD_MAX);
		len = strlcat(out, "\r\n", HEAD_MAX);
	}
	if (len >= HEAD_MAX)
		errx(1, "PUT headers too long");
	return (out);
}

static void
load_urls(const char *path)
{
	FILE	*f;
	char	 line[2 * URL_MAX + HEAD_MAX], *put, *get, *sp, *tab;
	int	 cap = 0;

	if ((f = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		put = line;
		if ((tab = strchr(line, '\t')) != NULL)
			*tab++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			errx(1, "%s: want \"PUT-URL GET-URL\" lines", path);
		*sp = '\0';
		get = sp + 1;
		if (njobs == cap) {
			cap = cap ? cap * 2 : 128;
			if ((jobs = reallocarray(jobs, cap, sizeof(*jobs))) ==
			    NULL)
				err(1, NULL);
		}
		memset(&jobs[njobs], 0, sizeof(jobs[0]));
		if (url_parse(put, &jobs[njobs].put) == -1 ||
		    url_parse(get, &jobs[njobs].get) == -1)
			errx(1, "%s: bad URL on line %d", path, njobs + 1);
		jobs[njobs].headers = put_headers(tab);
		njobs++;
	}
	fclose(f);
	if (njobs == 0)
		errx(1, "%s: no uploads", path);
}

static void
hex_digest(const char *s)
{
	int	 i;

	if (strlen(s) != 64)
		errx(1, "-D wants 64 hex digits of SHA-256");
	for (i = 0; i < 32; i++)
		if (sscanf(s + 2 * i, "%2hhx", &digest[i]) != 1)
			errx(1, "-D wants 64 hex digits of SHA-256");
}

static void
run_get(const char *url)
{
	double	 c0, t0, secs;

	if ((jobs = calloc(1, sizeof(*jobs))) == NULL)
		err(1, NULL);
	njobs = 1;
	if (url_parse(url, &jobs[0].get) == -1)
		errx(1, "%s: bad URL", url);
	if (digest_hex != NULL)
		hex_digest(digest_hex);
	c0 = cpu();
	t0 = now();
	t_end = t0 + timelimit;
	run_jobs();
	secs = (maxget > 0 || now() < t_end ? now() : t_end) - t0;
	printf("result mode=get conns=%d n=%lld bytes=%lld secs=%.3f "
	    "mb_s=%.1f bad=%lld cpu=%.3f\n", conc, responses,
	    (long long)bytes, secs, bytes / 1048576.0 / secs, bad,
	    cpu() - c0);
}

static void
run_put(const char *urlfile)
{
	double	 c0, t0, secs;

	load_urls(urlfile);
	c0 = cpu();
	t0 = now();
	t_end = t0 + timelimit;
	run_jobs();
	secs = now() - t0;
	printf("result mode=put conns=%d n=%d ok=%lld failed=%d bytes=%lld "
	    "secs=%.3f mb_s=%.1f cpu=%.3f\n", conc, njobs, responses, failed,
	    (long long)(responses * length), secs,
	    responses * length / 1048576.0 / secs, cpu() - c0);
	fflush(stdout);
	verifying = 1;
	next_job = 0;
	responses = bad = 0;
	failed = 0;
	c0 = cpu();
	t0 = now();
	t_end = t0 + timelimit;
	run_jobs();
	printf("verify n=%d ok=%lld bad=%lld secs=%.3f cpu=%.3f\n", njobs,
	    responses, bad, now() - t0, cpu() - c0);
}

int
main(int argc, char *argv[])
{
	struct stat	 st;
	const char	*host = "127.0.0.1", *errstr;
	int		 ch, port = 0;

	while ((ch = getopt(argc, argv, "c:D:f:h:l:m:n:P:t:T:v")) != -1) {
		switch (ch) {
		case 'c':
			conc = strtonum(optarg, 1, 10000, &errstr);
			if (errstr != NULL)
				errx(1, "-c %s: %s", optarg, errstr);
			break;
		case 'D':
			digest_hex = optarg;
			break;
		case 'f':
			bodyfile = optarg;
			break;
		case 'h':
			host = optarg;
			break;
		case 'l':
			length = strtonum(optarg, 0, INT64_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "-l %s: %s", optarg, errstr);
			break;
		case 'm':
			if (strcmp(optarg, "get") == 0)
				mode = M_GET;
			else if (strcmp(optarg, "put") == 0)
				mode = M_PUT;
			else
				usage();
			mode_name = optarg;
			break;
		case 'n':
			maxget = strtonum(optarg, 1, LLONG_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "-n %s: %s", optarg, errstr);
			break;
		case 'P':
			port = strtonum(optarg, 1, 65535, &errstr);
			if (errstr != NULL)
				errx(1, "-P %s: %s", optarg, errstr);
			break;
		case 't':
			timelimit = strtonum(optarg, 1, 86400, &errstr);
			if (errstr != NULL)
				errx(1, "-t %s: %s", optarg, errstr);
			break;
		case 'T':
			ctype = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	if (bodyfile != NULL) {
		if (stat(bodyfile, &st) == -1)
			err(1, "%s", bodyfile);
		length = st.st_size;
	}
	if (length < 0)
		usage();
	if (strpbrk(ctype, "\r\n") != NULL)
		errx(1, "-T: one line");
	memset(&server_sa, 0, sizeof(server_sa));
	server_sa.sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &server_sa.sin_addr) != 1)
		errx(1, "%s: not an IPv4 address", host);
	signal(SIGPIPE, SIG_IGN);
	tls_init();
	if ((base = event_base_new()) == NULL)
		errx(1, "event_base_new");
	forced_port = port;
	if (mode == M_GET)
		run_get(argv[0]);
	else
		run_put(argv[0]);
	fflush(stdout);
	return (failed || bad ? 3 : 0);
}
