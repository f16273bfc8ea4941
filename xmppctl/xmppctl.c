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
 * xmppctl: the control tool.  Sends one request to xmppd's control
 * socket and prints the answer.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <readpassphrase.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "config.h"
#include "imsg.h"
#include "msg.h"
#include "xmppctl.h"
#include "convert.h"

enum action {
	SHOW_PROCESSES,
	SHOW_SESSIONS,
	SHOW_LDAP,
	SHOW_STATS,
	SHOW_COMPONENTS,
	SHOW_STREAMS,
	RELOAD,
	LOG_VERBOSE,
	LOG_BRIEF,
	KICK,
	USER_ADD,
	USER_DELETE,
	USER_PASSWORD,
	USER_LIST,
	ARCHIVE_EXPIRE,
	MUC_ROOMS,
	MUC_IMPORT,
	UPLOAD_STATS,
	UPLOAD_PURGE,
	RESOLVE,
	REGRESS_VIOLATE,
	EXPORT,
	IMPORT,
	CONVERT_EJABBERD,
	CONVERT_EJABBERD_ROOMS,
	CONVERT_PROSODY,
	CONVERT_PROSODY_OFFLINE,
	ANNOUNCE,
};

struct command {
	const char	*words;		/* "*" takes an argument */
	enum action	 action;
};

static const struct command commands[] = {
	{ "show processes",	SHOW_PROCESSES },
	{ "show sessions",	SHOW_SESSIONS },
	{ "show ldap",		SHOW_LDAP },
	{ "show stats",		SHOW_STATS },
	{ "show components",	SHOW_COMPONENTS },
	{ "show streams",	SHOW_STREAMS },
	{ "reload",		RELOAD },
	{ "log verbose",	LOG_VERBOSE },
	{ "log brief",		LOG_BRIEF },
	{ "kick *",		KICK },
	{ "user add *",		USER_ADD },
	{ "user delete *",	USER_DELETE },
	{ "user password *",	USER_PASSWORD },
	{ "user list *",	USER_LIST },
	{ "archive expire *",	ARCHIVE_EXPIRE },
	{ "archive expire * *",	ARCHIVE_EXPIRE },
	{ "muc rooms",		MUC_ROOMS },
	{ "muc import *",	MUC_IMPORT },
	{ "upload stats",	UPLOAD_STATS },
	{ "upload stats *",	UPLOAD_STATS },
	{ "upload purge *",	UPLOAD_PURGE },
	{ "export *",		EXPORT },
	{ "export * *",		EXPORT },
	{ "import *",		IMPORT },
	{ "convert ejabberd * *",	CONVERT_EJABBERD },
	{ "convert ejabberd * * *",	CONVERT_EJABBERD },
	{ "convert ejabberd-rooms * *",	CONVERT_EJABBERD_ROOMS },
	{ "convert ejabberd-rooms * * *", CONVERT_EJABBERD_ROOMS },
	{ "convert prosody * *",	CONVERT_PROSODY },
	{ "convert prosody-offline * * *", CONVERT_PROSODY_OFFLINE },
	{ "resolve *",		RESOLVE },
	{ "announce *",		ANNOUNCE },
#ifdef REGRESS
	{ "regress violate *",	REGRESS_VIOLATE },
#endif
};

static const int ctl_type[] = {
	[KICK] = IMSG_CTL_KICK,
	[USER_ADD] = IMSG_CTL_USER_ADD,
	[USER_DELETE] = IMSG_CTL_USER_DELETE,
	[USER_PASSWORD] = IMSG_CTL_USER_PASSWORD,
	[USER_LIST] = IMSG_CTL_USER_LIST,
};

static __dead void
usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage: %s [-s socket] command [argument]\n",
	    getprogname());
	fprintf(stderr, "commands:\n");
	for (i = 0; i < nitems(commands); i++)
		fprintf(stderr, "\t%s\n", commands[i].words);
	exit(1);
}

/*
 * Does argv match the words of cmd?  Each word may be abbreviated to a
 * prefix; "*" takes any argument, returned in *arg.  2 when every word
 * is given whole, 1 when abbreviated, 0 when it does not match.
 */
static int
command_match(const struct command *cmd, int argc, char *argv[],
    const char **arg)
{
	char		 words[128], *w, *p;
	int		 i = 0, exact = 1;

	(void)strlcpy(words, cmd->words, sizeof(words));
	p = words;
	while ((w = strsep(&p, " ")) != NULL) {
		if (i >= argc)
			return (0);
		if (strcmp(w, "*") == 0)
			*arg = argv[i];
		else if (argv[i][0] == '\0' ||
		    strncmp(w, argv[i], strlen(argv[i])) != 0)
			return (0);
		else if (strcmp(w, argv[i]) != 0)
			exact = 0;
		i++;
	}
	return (i != argc ? 0 : exact ? 2 : 1);
}

static const struct command *
command_lookup(int argc, char *argv[], const char **arg)
{
	const struct command	*found = NULL, *whole = NULL;
	const char		*warg = NULL;
	size_t			 i;
	int			 n = 0, nwhole = 0, m;

	/* A command given whole is not one abbreviated ("ejabberd"). */
	for (i = 0; i < nitems(commands); i++)
		if ((m = command_match(&commands[i], argc, argv, arg)) != 0) {
			found = &commands[i];
			n++;
			if (m == 2) {
				whole = found;
				warg = *arg;
				nwhole++;
			}
		}
	if (nwhole == 1) {
		*arg = warg;
		return (whole);
	}
	if (n > 1)
		errx(1, "ambiguous command");
	return (found);
}

int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "socket path too long: %s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			errx(1, "cannot connect to %s: %s (is xmppd running?)",
			    path, strerror(errno));
		err(1, "connect %s", path);
	}
	return (fd);
}

static void
print_uptime(time_t t)
{
	char	 buf[32];

	if (t >= 86400)
		(void)snprintf(buf, sizeof(buf), "%lldd%02lldh%02lldm",
		    (long long)t / 86400, (long long)(t % 86400) / 3600,
		    (long long)(t % 3600) / 60);
	else
		(void)snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld",
		    (long long)t / 3600, (long long)(t % 3600) / 60,
		    (long long)t % 60);
	printf("%-10s", buf);
}

static void
show_process(struct imsg *imsg)
{
	struct ctl_process	 cp;

	if (imsg_get_data(imsg, &cp, sizeof(cp)) == -1)
		errx(1, "bad answer from xmppd");
	cp.name[sizeof(cp.name) - 1] = '\0';
	printf("%-10s %4d %8ld  ", cp.name, cp.instance, (long)cp.pid);
	if (cp.pid == 0)
		printf("%-10s", "restarting");
	else
		print_uptime(cp.uptime);
	printf(" %8d\n", cp.restarts);
}

static void
show_session(struct imsg *imsg)
{
	struct ctl_session	 cs;
	struct tm		*tm;
	char			 since[32];

	if (imsg_get_data(imsg, &cs, sizeof(cs)) == -1)
		errx(1, "bad answer from xmppd");
	cs.jid[sizeof(cs.jid) - 1] = '\0';
	cs.addr[sizeof(cs.addr) - 1] = '\0';
	cs.tls[sizeof(cs.tls) - 1] = '\0';
	cs.transport[sizeof(cs.transport) - 1] = '\0';
	if ((tm = localtime(&cs.since)) == NULL ||
	    strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", tm) == 0)
		(void)strlcpy(since, "?", sizeof(since));
	printf("%-40s %6d %-20s %-9s %-28s %s\n", cs.jid, cs.stream,
	    cs.addr, cs.transport, cs.tls, since);
}

/* A connected component: its privileges as xmppd.conf grants them. */
static void
show_component(struct imsg *imsg)
{
	static const char *const roster[] = { "", "get", "set", "both" };
	static const char *const presence[] = { "", "managed_entity",
	    "roster" };
	struct ctl_component	 cc;
	struct tm		*tm;
	char			 since[32], privs[128];

	if (imsg_get_data(imsg, &cc, sizeof(cc)) == -1 ||
	    cc.priv_roster < 0 || cc.priv_roster > 3 ||
	    cc.priv_presence < 0 || cc.priv_presence > 2)
		errx(1, "bad answer from xmppd");
	cc.name[sizeof(cc.name) - 1] = '\0';
	if ((tm = localtime(&cc.since)) == NULL ||
	    strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", tm) == 0)
		(void)strlcpy(since, "?", sizeof(since));
	privs[0] = '\0';
	if (cc.priv_roster != 0) {
		(void)strlcat(privs, " roster ", sizeof(privs));
		(void)strlcat(privs, roster[cc.priv_roster], sizeof(privs));
	}
	if (cc.priv_message != 0)
		(void)strlcat(privs, " message outgoing", sizeof(privs));
	if (cc.priv_presence != 0) {
		(void)strlcat(privs, " presence ", sizeof(privs));
		(void)strlcat(privs, presence[cc.priv_presence],
		    sizeof(privs));
	}
	printf("%-32s %6d %-19s %10llu %10llu %8llu %s\n", cc.name,
	    cc.stream, since, (unsigned long long)cc.in,
	    (unsigned long long)cc.out, (unsigned long long)cc.refused,
	    privs[0] != '\0' ? privs + 1 : "none");
}

/* A server-to-server stream: one line per link, or inbound pair. */
static void
show_stream(struct imsg *imsg)
{
	static const char *const auth[] = { "none", "sasl-external",
	    "dialback" };
	struct ctl_stream	 cs;
	struct tm		*tm;
	char			 since[32];

	if (imsg_get_data(imsg, &cs, sizeof(cs)) == -1 || cs.auth < 0 ||
	    cs.auth > 2)
		errx(1, "bad answer from xmppd");
	cs.local[sizeof(cs.local) - 1] = '\0';
	cs.remote[sizeof(cs.remote) - 1] = '\0';
	cs.tls[sizeof(cs.tls) - 1] = '\0';
	if ((tm = localtime(&cs.since)) == NULL ||
	    strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", tm) == 0)
		(void)strlcpy(since, "?", sizeof(since));
	printf("%-3s %-28s %-24s %-13s %6d %8llu %8llu %-19s %s\n",
	    cs.outbound ? "out" : "in", cs.remote, cs.local, auth[cs.auth],
	    cs.stream, (unsigned long long)cs.in, (unsigned long long)cs.out,
	    since, cs.tls);
}

static void
show_ldap(struct imsg *imsg)
{
	struct ctl_ldap	 cl;
	struct tm	*tm;
	char		 when[32];

	if (imsg_get_data(imsg, &cl, sizeof(cl)) == -1)
		errx(1, "bad answer from xmppd");
	cl.ldap[sizeof(cl.ldap) - 1] = '\0';
	cl.url[sizeof(cl.url) - 1] = '\0';
	cl.error[sizeof(cl.error) - 1] = '\0';
	printf("%-12s %-36s %-5s %10llu %10llu %10llu\n", cl.ldap, cl.url,
	    cl.connected ? "yes" : "no", (unsigned long long)cl.binds_ok,
	    (unsigned long long)cl.binds_failed,
	    (unsigned long long)cl.searches);
	if (cl.error[0] != '\0') {
		if ((tm = localtime(&cl.error_time)) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", tm) == 0)
			(void)strlcpy(when, "?", sizeof(when));
		printf("%-12s last error %s: %s\n", "", when, cl.error);
	}
}

/* A duration as xmppd.conf writes them: a number, then s, m, h or d. */
static int64_t
parse_duration(const char *s)
{
	const char	*errstr;
	char		 num[32];
	size_t		 n = strlen(s);
	int64_t		 v, mul = 1;

	if (n == 0 || n >= sizeof(num))
		errx(1, "bad duration: %s", s);
	(void)strlcpy(num, s, sizeof(num));
	switch (num[n - 1]) {
	case 'd':
		mul *= 24;
		/* FALLTHROUGH */
	case 'h':
		mul *= 60;
		/* FALLTHROUGH */
	case 'm':
		mul *= 60;
		/* FALLTHROUGH */
	case 's':
		num[n - 1] = '\0';
		break;
	}
	v = strtonum(num, 0, INT64_MAX / 86400, &errstr);
	if (errstr != NULL)
		errx(1, "bad duration: %s", s);
	return (v * mul);
}

static void
show_archive(struct imsg *imsg)
{
	struct ctl_archive	 ca;

	if (imsg_get_data(imsg, &ca, sizeof(ca)) == -1)
		errx(1, "bad answer");
	printf("%lld messages deleted\n", (long long)ca.deleted);
}

static void
show_stats(struct imsg *imsg)
{
	struct ctl_stats	 cs;

	if (imsg_get_data(imsg, &cs, sizeof(cs)) == -1)
		errx(1, "bad answer from xmppd");
	printf("%-16s %llu\n", "sessions", (unsigned long long)cs.sessions);
	printf("%-16s %llu\n", "users online", (unsigned long long)cs.users);
	printf("%-16s %llu", "stanzas in", (unsigned long long)cs.stanzas_in);
	if (cs.rate_in > 0)
		printf(", %.1f/s over %llds", cs.rate_in,
		    (long long)cs.window);
	printf("\n%-16s %llu", "stanzas out",
	    (unsigned long long)cs.stanzas_out);
	if (cs.rate_out > 0)
		printf(", %.1f/s over %llds", cs.rate_out,
		    (long long)cs.window);
	printf("\n%-16s ", "router uptime");
	print_uptime(cs.uptime);
	printf("\n");
}

static void
show_archive_size(struct imsg *imsg)
{
	struct ctl_archive_size	 cs;
	static int		 db_shown;

	if (imsg_get_data(imsg, &cs, sizeof(cs)) == -1)
		errx(1, "bad answer from xmppd");
	cs.domain[sizeof(cs.domain) - 1] = '\0';
	if (!db_shown && cs.db_bytes >= 0) {
		printf("%-16s %lld KiB\n", "database",
		    (long long)(cs.db_bytes / 1024));
		db_shown = 1;
	}
	printf("%-16s %lld messages\n", cs.domain, (long long)cs.messages);
}

static void
show_muc_room(struct imsg *imsg)
{
	struct ctl_muc_room	 cr;

	if (imsg_get_data(imsg, &cr, sizeof(cr)) == -1)
		errx(1, "bad answer from xmppd");
	cr.jid[sizeof(cr.jid) - 1] = '\0';
	printf("%-48s %9d %-10s %-6s %s\n", cr.jid, cr.occupants,
	    cr.persistent ? "persistent" : "temporary",
	    cr.locked ? "yes" : "no", cr.public ? "yes" : "no");
}

static void
show_upload(struct imsg *imsg)
{
	struct ctl_upload_stat	 st;

	if (imsg_get_data(imsg, &st, sizeof(st)) == -1)
		errx(1, "bad answer from xmppd");
	st.service[sizeof(st.service) - 1] = '\0';
	st.owner[sizeof(st.owner) - 1] = '\0';
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_UPLOAD_STAT:
		printf("%s: %lld files, %lld bytes, %lld slots pending\n",
		    st.service, (long long)st.files, (long long)st.bytes,
		    (long long)st.pending);
		break;
	case IMSG_CTL_UPLOAD_USER:
		printf("  %-46s %9lld %15lld\n", st.owner,
		    (long long)st.files, (long long)st.bytes);
		break;
	default:
		printf("purged %lld files, %lld bytes, %lld slots pending\n",
		    (long long)st.files, (long long)st.bytes,
		    (long long)st.pending);
	}
}

static void
show_candidate(struct imsg *imsg)
{
	struct resolve_candidate	 c;
	char				 addr[INET6_ADDRSTRLEN + 2];
	char				 host[INET6_ADDRSTRLEN];
	const void			*a;

	if (imsg_get_data(imsg, &c, sizeof(c)) == -1)
		errx(1, "bad candidate");
	c.target[sizeof(c.target) - 1] = '\0';
	if (c.ss.ss_family == AF_INET)
		a = &((struct sockaddr_in *)&c.ss)->sin_addr;
	else
		a = &((struct sockaddr_in6 *)&c.ss)->sin6_addr;
	if (inet_ntop(c.ss.ss_family, a, host, sizeof(host)) == NULL)
		errx(1, "bad candidate address");
	(void)snprintf(addr, sizeof(addr), c.ss.ss_family == AF_INET6 ?
	    "[%s]" : "%s", host);
	printf("%-41s %5u %-9s %s\n", addr, c.port,
	    c.tls ? "tls" : "starttls", c.target);
}

static void
show_announced(struct imsg *imsg)
{
	struct ctl_announce	 ca;

	if (imsg_get_data(imsg, &ca, sizeof(ca)) == -1)
		errx(1, "bad announce answer");
	ca.domain[sizeof(ca.domain) - 1] = '\0';
	printf("announcement sent to %d session%s of %s\n", ca.sessions,
	    ca.sessions == 1 ? "" : "s", ca.domain);
}

/* The text of an announcement, from standard input, to domain. */
static int
announce_send(struct imsgbuf *ibuf, const char *domain)
{
	struct ctl_announce	 ca;
	char			*buf;
	size_t			 len = 0;
	ssize_t			 n;

	memset(&ca, 0, sizeof(ca));
	if (strlcpy(ca.domain, domain, sizeof(ca.domain)) >= sizeof(ca.domain))
		errx(1, "domain too long");
	if ((buf = malloc(sizeof(ca) + CTL_ANNOUNCE_MAX + 1)) == NULL)
		err(1, NULL);
	while ((n = read(STDIN_FILENO, buf + sizeof(ca) + len,
	    CTL_ANNOUNCE_MAX + 1 - len)) > 0)
		if ((len += n) > CTL_ANNOUNCE_MAX)
			errx(1, "announcement longer than %d bytes",
			    CTL_ANNOUNCE_MAX);
	if (n == -1)
		err(1, "standard input");
	while (len > 0 && (buf[sizeof(ca) + len - 1] == '\n' ||
	    buf[sizeof(ca) + len - 1] == '\r'))
		len--;
	if (len == 0)
		errx(1, "empty announcement (the text is read from standard "
		    "input)");
	memcpy(buf, &ca, sizeof(ca));
	n = imsg_compose(ibuf, IMSG_CTL_ANNOUNCE, MSG_VERSION, 0, -1, buf,
	    sizeof(ca) + len);
	free(buf);
	return (n);
}

static void
show_user(struct imsg *imsg)
{
	struct ctl_user	 cu;

	if (imsg_get_data(imsg, &cu, sizeof(cu)) == -1)
		errx(1, "bad answer from xmppd");
	cu.jid[sizeof(cu.jid) - 1] = '\0';
	printf("%s\n", cu.jid);
}

/*
 * A new password: twice from a terminal, or one line from a pipe.  Never
 * from the command line, where other users could see it.
 */
static void
read_password(char *buf, size_t len)
{
	char	 again[sizeof(((struct ctl_user *)0)->password)];
	size_t	 n;

	if (isatty(STDIN_FILENO)) {
		if (readpassphrase("Password: ", buf, len, RPP_REQUIRE_TTY) ==
		    NULL ||
		    readpassphrase("Password again: ", again, sizeof(again),
		    RPP_REQUIRE_TTY) == NULL)
			errx(1, "cannot read the password");
		if (strcmp(buf, again) != 0) {
			explicit_bzero(again, sizeof(again));
			errx(1, "passwords differ");
		}
		explicit_bzero(again, sizeof(again));
	} else {
		if (fgets(buf, len, stdin) == NULL)
			errx(1, "no password on standard input");
		n = strcspn(buf, "\r\n");
		if (buf[n] == '\0' && !feof(stdin))
			errx(1, "password too long");
		buf[n] = '\0';
	}
	if (buf[0] == '\0')
		errx(1, "empty password");
}

/* The next answer, waiting for it. */
void
ctl_get(struct imsgbuf *ibuf, struct imsg *imsg)
{
	ssize_t		 n;

	for (;;) {
		if ((n = imsg_get(ibuf, imsg)) == -1)
			errx(1, "bad answer from xmppd");
		if (n > 0)
			return;
		if ((n = imsgbuf_read(ibuf)) == -1 && errno != EAGAIN)
			err(1, "read");
		if (n == 0)
			errx(1, "xmppd closed the connection");
	}
}

/* An answer IMSG_CTL_FAIL: its reason, and the exit status 1. */
static int
ctl_fail(struct imsg *imsg)
{
	char		 msg[256];
	size_t		 len;

	len = imsg_get_len(imsg);
	if (len > 0 && len <= sizeof(msg) &&
	    imsg_get_data(imsg, msg, len) == 0 && msg[len - 1] == '\0')
		fprintf(stderr, "%s: %s\n", getprogname(), msg);
	else
		fprintf(stderr, "%s: request failed\n", getprogname());
	imsg_free(imsg);
	return (1);
}

void
ctl_fail_exit(struct imsg *imsg)
{
	exit(ctl_fail(imsg));
}

/* Print answers until the request is done; returns the exit status. */
static int
ctl_answer(struct imsgbuf *ibuf)
{
	struct imsg	 imsg;

	for (;;) {
		ctl_get(ibuf, &imsg);
		switch (imsg_get_type(&imsg)) {
		case IMSG_CTL_PROCESS:
			show_process(&imsg);
			break;
		case IMSG_CTL_SESSION:
			show_session(&imsg);
			break;
		case IMSG_CTL_USER:
			show_user(&imsg);
			break;
		case IMSG_CTL_LDAP:
			show_ldap(&imsg);
			break;
		case IMSG_CTL_COMPONENT:
			show_component(&imsg);
			break;
		case IMSG_CTL_STREAM:
			show_stream(&imsg);
			break;
		case IMSG_CTL_RESOLVE_CANDIDATE:
			show_candidate(&imsg);
			break;
		case IMSG_CTL_STATS:
			show_stats(&imsg);
			break;
		case IMSG_CTL_ARCHIVE_SIZE:
			show_archive_size(&imsg);
			break;
		case IMSG_CTL_MUC_ROOM:
			show_muc_room(&imsg);
			break;
		case IMSG_CTL_UPLOAD_STAT:
		case IMSG_CTL_UPLOAD_USER:
			show_upload(&imsg);
			break;
		case IMSG_CTL_UPLOAD_PURGED:
			show_upload(&imsg);
			imsg_free(&imsg);
			return (0);
		case IMSG_CTL_ARCHIVE_EXPIRED:
			show_archive(&imsg);
			imsg_free(&imsg);
			return (0);
		case IMSG_CTL_ANNOUNCED:
			show_announced(&imsg);
			imsg_free(&imsg);
			return (0);
		case IMSG_CTL_END:
		case IMSG_CTL_OK:
			imsg_free(&imsg);
			return (0);
		case IMSG_CTL_FAIL:
			return (ctl_fail(&imsg));
		default:
			errx(1, "unexpected answer %u", imsg_get_type(&imsg));
		}
		imsg_free(&imsg);
	}
}

int
main(int argc, char *argv[])
{
	const struct command	*cmd;
	const char		*sock = XMPPD_SOCKET, *arg = NULL;
	struct imsgbuf		 ibuf;
	struct ctl_user		 cu;
	struct ctl_archive	 ca;
	struct ctl_upload	 cup;
	struct resolve_req	 rr;
	struct xml_node		**rooms = NULL;
	char			 name[32];
	int			 ch, fd, v, ret, nrooms = 0;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	if ((cmd = command_lookup(argc, argv, &arg)) == NULL) {
		fprintf(stderr, "%s: unknown command:", getprogname());
		for (ch = 0; ch < argc; ch++)
			fprintf(stderr, " %s", argv[ch]);
		fprintf(stderr, "\n");
		usage();
	}

	/* Files converted here, without xmppd. */
	if (cmd->action == CONVERT_EJABBERD)
		return (convert_ejabberd(argv[2], argc == 5 ? argv[3] : NULL,
		    argv[argc - 1]));
	if (cmd->action == CONVERT_EJABBERD_ROOMS)
		return (convert_ejabberd_rooms(argv[2], argc == 5 ? argv[3] :
		    NULL, argv[argc - 1]));
	if (cmd->action == CONVERT_PROSODY)
		return (convert_prosody(argv[2], argv[3]));
	if (cmd->action == CONVERT_PROSODY_OFFLINE)
		return (convert_prosody_offline(argv[2], argv[3], argv[4]));
	/* A file to import is read whole before anything is sent. */
	if (cmd->action == IMPORT)
		(void)pie_check(arg);
	if (cmd->action == MUC_IMPORT)
		nrooms = muc_import_read(arg, &rooms);
	fd = ctl_connect(sock);
	if (imsgbuf_init(&ibuf, fd) == -1)
		err(1, "imsgbuf_init");
	/* Records of an import or export are bigger than other answers. */
	if (imsgbuf_set_maxsize(&ibuf, MSG_MAXSIZE_CTL) == -1)
		err(1, "imsgbuf_set_maxsize");
	switch (cmd->action) {
	case IMPORT:
		ret = pie_import(&ibuf, arg);
		imsgbuf_clear(&ibuf);
		close(fd);
		return (ret);
	case MUC_IMPORT:
		ret = muc_import(&ibuf, rooms, nrooms);
		imsgbuf_clear(&ibuf);
		close(fd);
		return (ret);
	case EXPORT:
		ret = pie_export(&ibuf, argv[1], argc == 3 ? argv[2] : NULL);
		imsgbuf_clear(&ibuf);
		close(fd);
		return (ret);
	case SHOW_PROCESSES:
		printf("%-10s %4s %8s  %-10s %8s\n", "PROCESS", "INST", "PID",
		    "UPTIME", "RESTARTS");
		ret = imsg_compose(&ibuf, IMSG_CTL_SHOW_PROCESSES, MSG_VERSION,
		    0, -1, NULL, 0);
		break;
	case SHOW_SESSIONS:
		printf("%-40s %6s %-20s %-28s %s\n", "JID", "STREAM",
		    "ADDRESS", "TLS", "SINCE");
		ret = imsg_compose(&ibuf, IMSG_CTL_SHOW_SESSIONS, MSG_VERSION,
		    0, -1, NULL, 0);
		break;
	case SHOW_LDAP:
		printf("%-12s %-36s %-5s %10s %10s %10s\n", "LDAP", "SERVER",
		    "UP", "BINDS OK", "FAILED", "SEARCHES");
		ret = imsg_compose(&ibuf, IMSG_CTL_SHOW_LDAP, MSG_VERSION, 0,
		    -1, NULL, 0);
		break;
	case SHOW_STATS:
		ret = imsg_compose(&ibuf, IMSG_CTL_SHOW_STATS, MSG_VERSION, 0,
		    -1, NULL, 0);
		break;
	case SHOW_COMPONENTS:
		printf("%-32s %6s %-19s %10s %10s %8s %s\n", "COMPONENT",
		    "STREAM", "SINCE", "IN", "OUT", "REFUSED", "PRIVILEGES");
		ret = imsg_compose(&ibuf, IMSG_CTL_SHOW_COMPONENTS,
		    MSG_VERSION, 0, -1, NULL, 0);
		break;
	case SHOW_STREAMS:
		printf("%-3s %-28s %-24s %-13s %6s %8s %8s %-19s %s\n", "DIR",
		    "PEER", "LOCAL", "AUTH", "STREAM", "IN", "OUT", "SINCE",
		    "TLS");
		ret = imsg_compose(&ibuf, IMSG_CTL_SHOW_STREAMS, MSG_VERSION,
		    0, -1, NULL, 0);
		break;
	case RELOAD:
		ret = imsg_compose(&ibuf, IMSG_CTL_RELOAD, MSG_VERSION, 0, -1,
		    NULL, 0);
		break;
	case MUC_ROOMS:
		printf("%-48s %9s %-10s %-6s %s\n", "ROOM", "OCCUPANTS",
		    "TYPE", "LOCKED", "PUBLIC");
		ret = imsg_compose(&ibuf, IMSG_CTL_MUC_ROOMS, MSG_VERSION, 0,
		    -1, NULL, 0);
		break;
	case KICK:
	case USER_ADD:
	case USER_DELETE:
	case USER_PASSWORD:
	case USER_LIST:
		memset(&cu, 0, sizeof(cu));
		if (strlcpy(cu.jid, arg, sizeof(cu.jid)) >= sizeof(cu.jid))
			errx(1, "JID too long");
		if (cmd->action == USER_ADD || cmd->action == USER_PASSWORD)
			read_password(cu.password, sizeof(cu.password));
		ret = imsg_compose(&ibuf, ctl_type[cmd->action], MSG_VERSION,
		    0, -1, &cu, sizeof(cu));
		explicit_bzero(&cu, sizeof(cu));
		break;
	case ANNOUNCE:
		ret = announce_send(&ibuf, arg);
		break;
	case LOG_VERBOSE:
	case LOG_BRIEF:
		v = cmd->action == LOG_VERBOSE ? 1 : 0;
		ret = imsg_compose(&ibuf, IMSG_CTL_VERBOSE, MSG_VERSION, 0, -1,
		    &v, sizeof(v));
		break;
	case ARCHIVE_EXPIRE:
		memset(&ca, 0, sizeof(ca));
		ca.age = parse_duration(argv[2]);
		if (argc == 4 && strlcpy(ca.domain, argv[3],
		    sizeof(ca.domain)) >= sizeof(ca.domain))
			errx(1, "domain too long");
		ret = imsg_compose(&ibuf, IMSG_CTL_ARCHIVE_EXPIRE, MSG_VERSION,
		    0, -1, &ca, sizeof(ca));
		break;
	case UPLOAD_STATS:
	case UPLOAD_PURGE:
		memset(&cup, 0, sizeof(cup));
		/* "" would mean everyone's files: only "all" says that. */
		if (arg != NULL && arg[0] == '\0')
			errx(1, "empty argument");
		if (arg != NULL && (cmd->action == UPLOAD_STATS ||
		    strcmp(arg, "all") != 0) &&
		    strlcpy(cup.arg, arg, sizeof(cup.arg)) >= sizeof(cup.arg))
			errx(1, "argument too long");
		if (cmd->action == UPLOAD_STATS)
			printf("  %-46s %9s %15s\n", "TOP USERS", "FILES",
			    "BYTES");
		ret = imsg_compose(&ibuf, cmd->action == UPLOAD_STATS ?
		    IMSG_CTL_UPLOAD_STATS : IMSG_CTL_UPLOAD_PURGE, MSG_VERSION,
		    0, -1, &cup, sizeof(cup));
		break;
	case RESOLVE:
		memset(&rr, 0, sizeof(rr));
		if (strlcpy(rr.domain, arg, sizeof(rr.domain)) >=
		    sizeof(rr.domain))
			errx(1, "domain too long");
		printf("%-41s %5s %-9s %s\n", "ADDRESS", "PORT", "TLS",
		    "TARGET");
		ret = imsg_compose(&ibuf, IMSG_CTL_RESOLVE, MSG_VERSION, 0, -1,
		    &rr, sizeof(rr));
		break;
	case REGRESS_VIOLATE:
		memset(name, 0, sizeof(name));
		if (strlcpy(name, arg, sizeof(name)) >= sizeof(name))
			errx(1, "name too long");
		ret = imsg_compose(&ibuf, IMSG_CTL_REGRESS_VIOLATE,
		    MSG_VERSION, 0, -1, name, sizeof(name));
		break;
	default:
		errx(1, "unhandled command");
	}
	if (ret == -1 || imsgbuf_flush(&ibuf) == -1)
		err(1, "send");
	ret = ctl_answer(&ibuf);
	/* show stats: then the archives, from the store. */
	if (ret == 0 && cmd->action == SHOW_STATS) {
		if (imsg_compose(&ibuf, IMSG_CTL_SHOW_ARCHIVE, MSG_VERSION, 0,
		    -1, NULL, 0) == -1 || imsgbuf_flush(&ibuf) == -1)
			err(1, "send");
		printf("archives:\n");
		ret = ctl_answer(&ibuf);
	}
	if (ret == 0 && cmd->action == RELOAD)
		printf("configuration reloaded\n");
	imsgbuf_clear(&ibuf);
	close(fd);
	return (ret);
}
