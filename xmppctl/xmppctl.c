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

#include <ctype.h>
#include <err.h>
#include <readpassphrase.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "about.h"
#include "compat.h"
#include "config.h"
#include "imsg.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "xmppctl.h"
#include "check.h"
#include "convert.h"

enum action {
	ABOUT,
	HELP,
	SHOW_PROCESSES,
	SHOW_SESSIONS,
	SHOW_LDAP,
	SHOW_STATS,
	SHOW_COMPONENTS,
	SHOW_STREAMS,
	SHOW_THROTTLED,
	RELOAD,
	LOG_VERBOSE,
	LOG_BRIEF,
	KICK,
	UNTHROTTLE,
	USER_ADD,
	USER_DELETE,
	USER_PASSWORD,
	USER_LIST,
	USER_DISABLE,
	USER_ENABLE,
	USER_INFO,
	ARCHIVE_EXPIRE,
	MUC_ROOMS,
	MUC_IMPORT,
	UPLOAD_STATS,
	UPLOAD_PURGE,
	RESOLVE,
	CHECK,
	REGRESS_VIOLATE,
	EXPORT,
	IMPORT,
	CONVERT_EJABBERD,
	CONVERT_EJABBERD_ROOMS,
	CONVERT_PROSODY,
	CONVERT_PROSODY_OFFLINE,
	ANNOUNCE,
};

/*
 * A command's words: lower case ones are typed (or abbreviated), an upper
 * case one names an argument, in brackets an optional one.
 */
struct command {
	const char	*words;
	enum action	 action;
	const char	*help;
};

static const struct command commands[] = {
	{ "about",		ABOUT, "Print this build's version, options, "
	    "libraries and paths, then ask the running xmppd for its "
	    "version, uptime and files." },
	{ "help [COMMAND]",	HELP, "List the commands, or show how to use "
	    "those whose words begin with COMMAND." },
	{ "show processes",	SHOW_PROCESSES, "List xmppd's processes with "
	    "their pid, uptime and restarts." },
	{ "show sessions",	SHOW_SESSIONS, "List the client sessions with "
	    "their address, transport and TLS." },
	{ "show ldap",		SHOW_LDAP, "Show each LDAP server: connected "
	    "or not, binds, searches, last error." },
	{ "show stats",		SHOW_STATS, "Show sessions, users online, "
	    "stanza counts and rates, and archive sizes." },
	{ "show components",	SHOW_COMPONENTS, "List the connected external "
	    "components and their privileges." },
	{ "show streams",	SHOW_STREAMS, "List the server-to-server "
	    "streams." },
	{ "show throttled",	SHOW_THROTTLED, "List the addresses and "
	    "accounts over a limit (auth failures, registrations, component "
	    "handshakes), the process holding each, and when it clears." },
	{ "reload",		RELOAD, "Reload the configuration, certificates "
	    "and keys, as SIGHUP does." },
	{ "log verbose",	LOG_VERBOSE, "Log debug messages too, in every "
	    "process." },
	{ "log brief",		LOG_BRIEF, "Stop logging debug messages." },
	{ "kick JID",		KICK, "End the sessions of JID: all of a bare "
	    "JID, the one of a full JID." },
	{ "unthrottle ADDRESS|JID", UNTHROTTLE, "Forget at once what is "
	    "counted against ADDRESS, or the bare JID, in every process "
	    "holding it, so that it may log in again." },
	{ "user add JID",	USER_ADD, "Create the internal account JID; "
	    "the password is read from the terminal, or one line from "
	    "standard input." },
	{ "user delete JID",	USER_DELETE, "Delete the account JID and all "
	    "its data, and end its sessions." },
	{ "user password JID",	USER_PASSWORD, "Change the password of JID, "
	    "read as for user add." },
	{ "user list [DOMAIN]",	USER_LIST, "List the accounts of DOMAIN, or "
	    "of every domain, as JIDs grouped by domain." },
	{ "user disable JID [REASON]", USER_DISABLE, "Disable the account "
	    "JID: its sessions end, it cannot log in, it keeps its data. "
	    "REASON, one argument, is what its client is told." },
	{ "user enable JID",	USER_ENABLE, "Let the disabled account JID log "
	    "in again." },
	{ "user info JID",	USER_INFO, "Show the account JID: disabled or "
	    "not and why, when it was made, its last login and from where, "
	    "its sessions, roster and archive sizes." },
	{ "archive expire DURATION [DOMAIN]", ARCHIVE_EXPIRE, "Delete the "
	    "archived messages older than DURATION (30d, 12h, ...), of "
	    "every domain or of DOMAIN." },
	{ "muc rooms",		MUC_ROOMS, "List the chat rooms of the muc "
	    "services." },
	{ "muc import FILE",	MUC_IMPORT, "Import the rooms of FILE, as "
	    "convert ejabberd-rooms writes it." },
	{ "upload stats [SERVICE]", UPLOAD_STATS, "Show the files, bytes and "
	    "top users of each upload service, or of SERVICE." },
	{ "upload purge JID|all", UPLOAD_PURGE, "Delete the uploaded files of "
	    "JID, or everyone's." },
	{ "export DOMAIN [FILE]", EXPORT, "Write the accounts of DOMAIN to "
	    "FILE, or standard output, in XEP-0227 format." },
	{ "import FILE",	IMPORT, "Import the accounts of the XEP-0227 "
	    "FILE." },
	{ "convert ejabberd HOSTFILE [DUMP] FILE", CONVERT_EJABBERD, "Write "
	    "to FILE the users of the ejabberd export HOSTFILE, with the "
	    "archives of DUMP, for import." },
	{ "convert ejabberd-rooms DUMP [ARCHIVE] FILE",
	    CONVERT_EJABBERD_ROOMS, "Write to FILE the rooms of an "
	    "ejabberd muc_room DUMP, with the archives of ARCHIVE, for muc "
	    "import." },
	{ "convert prosody FILE DIR", CONVERT_PROSODY, "Write the XEP-0227 "
	    "FILE to DIR as Prosody's migrator reads it." },
	{ "convert prosody-offline FILE DATADIR OUT", CONVERT_PROSODY_OFFLINE,
	    "Write to OUT the XEP-0227 FILE with the offline messages of "
	    "Prosody's DATADIR." },
	{ "resolve DOMAIN",	RESOLVE, "Show where xmppd would connect to "
	    "reach the servers of DOMAIN." },
	{ "announce DOMAIN",	ANNOUNCE, "Send standard input as a headline "
	    "message to the online users of DOMAIN." },
	{ "check [DOMAIN]",	CHECK, "Check the certificates, DNS records "
	    "and settings of DOMAIN, or of every domain: one line a "
	    "finding; exit status 1 on errors, 2 on warnings only." },
#ifdef REGRESS
	{ "regress violate PROCESS", REGRESS_VIOLATE, "Make PROCESS break "
	    "its sandbox (regress builds only)." },
#endif
};

static const int ctl_type[] = {
	[KICK] = IMSG_CTL_KICK,
	[USER_ADD] = IMSG_CTL_USER_ADD,
	[USER_DELETE] = IMSG_CTL_USER_DELETE,
	[USER_PASSWORD] = IMSG_CTL_USER_PASSWORD,
	[USER_LIST] = IMSG_CTL_USER_LIST,
};

static void
usage_commands(FILE *fp)
{
	size_t	 i;

	fprintf(fp, "usage: %s [-V] [-s socket] command [argument ...]\n",
	    getprogname());
	fprintf(fp, "commands:\n");
	for (i = 0; i < nitems(commands); i++)
		fprintf(fp, "\t%s\n", commands[i].words);
}

static __dead void
usage(void)
{
	usage_commands(stderr);
	fprintf(stderr, "\"%s help COMMAND\" says what one does.\n",
	    getprogname());
	exit(1);
}

/* Is the word an argument's name, and an optional one? */
static int
command_arg(const char *w, int *optional)
{
	*optional = w[0] == '[';
	return (*optional || isupper((unsigned char)w[0]));
}

enum match_mode {
	MATCH_RUN,		/* keywords and arguments */
	MATCH_HELP,		/* argv begins the keywords */
	MATCH_KEYWORDS,		/* every keyword, any arguments */
};

/*
 * Does argv match the words of cmd?  Each keyword may be abbreviated to
 * a prefix; the arguments follow them, the first in *arg.  2 when every
 * keyword given is whole, 1 when one is abbreviated, 0 when they do not
 * match.
 */
static int
command_match(const struct command *cmd, int argc, char *argv[],
    const char **arg, enum match_mode mode)
{
	char		 words[128], *w, *p;
	int		 i = 0, exact = 1, need = 0, opt = 0, o;

	(void)strlcpy(words, cmd->words, sizeof(words));
	p = words;
	while ((w = strsep(&p, " ")) != NULL) {
		if (command_arg(w, &o)) {
			o ? opt++ : need++;
			continue;
		}
		if (i >= argc)
			return (mode == MATCH_HELP ? 1 + exact : 0);
		if (argv[i][0] == '\0' ||
		    strncmp(w, argv[i], strlen(argv[i])) != 0)
			return (0);
		if (strcmp(w, argv[i]) != 0)
			exact = 0;
		i++;
	}
	if (mode == MATCH_RUN && (argc - i < need || argc - i > need + opt))
		return (0);
	if (arg != NULL)
		*arg = i < argc ? argv[i] : NULL;
	return (exact ? 2 : 1);
}

/* The text of a command's help, folded at 72 columns. */
static void
help_text(const char *text)
{
	const char	*p = text, *sp;
	size_t		 col = 0, len;

	while (*p != '\0') {
		len = (sp = strchr(p, ' ')) != NULL ? (size_t)(sp - p) :
		    strlen(p);
		if (col > 0 && col + 1 + len > 72) {
			putchar('\n');
			col = 0;
		} else if (col > 0) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)len, p);
		col += len;
		p += len;
		while (*p == ' ')
			p++;
	}
	putchar('\n');
}

/*
 * The usage of the commands argv names, those it names whole if any;
 * with the help text on stdout, nothing but the count with fp NULL.
 * Returns how many there were.
 */
static int
command_usage(FILE *fp, int argc, char *argv[], enum match_mode mode)
{
	size_t	 i;
	int	 best = 0, m, n = 0;

	for (i = 0; i < nitems(commands); i++)
		if ((m = command_match(&commands[i], argc, argv, NULL,
		    mode)) > best)
			best = m;
	for (i = 0; best > 0 && i < nitems(commands); i++) {
		if (command_match(&commands[i], argc, argv, NULL, mode) !=
		    best)
			continue;
		if (fp == NULL) {
			n++;
			continue;
		}
		fprintf(fp, "%susage: %s %s\n", n++ && fp == stdout ? "\n" :
		    "", getprogname(), commands[i].words);
		if (fp == stdout)
			help_text(commands[i].help);
	}
	return (n);
}

/* No command matches argv: a known one with wrong arguments, or cut short? */
static __dead void
command_unknown(int argc, char *argv[])
{
	enum match_mode	 mode = MATCH_KEYWORDS;
	const char	*what = "wrong arguments";
	int		 i;

	if (command_usage(NULL, argc, argv, mode) == 0) {
		mode = MATCH_HELP;
		what = "incomplete command";
	}
	if (command_usage(NULL, argc, argv, mode) == 0)
		what = "unknown command";
	fprintf(stderr, "%s: %s:", getprogname(), what);
	for (i = 0; i < argc; i++)
		fprintf(stderr, " %s", argv[i]);
	fprintf(stderr, "\n");
	if (command_usage(stderr, argc, argv, mode) > 0)
		exit(1);
	usage();
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
		if ((m = command_match(&commands[i], argc, argv, arg,
		    MATCH_RUN)) != 0) {
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

/* help: every command, or the usage of those argv begins. */
static int
help(int argc, char *argv[])
{
	int	 i;

	if (argc == 0) {
		usage_commands(stdout);
		printf("\"%s help COMMAND\" says what one does.\n",
		    getprogname());
		return (0);
	}
	if (command_usage(stdout, argc, argv, MATCH_HELP) > 0)
		return (0);
	fprintf(stderr, "%s: no such command:", getprogname());
	for (i = 0; i < argc; i++)
		fprintf(stderr, " %s", argv[i]);
	fprintf(stderr, "\n");
	return (1);
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
uptime_fmt(time_t t, char *buf, size_t len)
{
	if (t >= 86400)
		(void)snprintf(buf, len, "%lldd%02lldh%02lldm",
		    (long long)t / 86400, (long long)(t % 86400) / 3600,
		    (long long)(t % 3600) / 60);
	else
		(void)snprintf(buf, len, "%02lld:%02lld:%02lld",
		    (long long)t / 3600, (long long)(t % 3600) / 60,
		    (long long)t % 60);
}

/* A wall clock time as the show commands print it, "?" if it cannot be. */
static void
time_fmt(time_t t, char *buf, size_t len)
{
	struct tm	*tm;

	if ((tm = localtime(&t)) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S", tm) == 0)
		(void)strlcpy(buf, "?", len);
}

static void
print_uptime(time_t t)
{
	char	 buf[32];

	uptime_fmt(t, buf, sizeof(buf));
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
	char			 since[32];

	if (imsg_get_data(imsg, &cs, sizeof(cs)) == -1)
		errx(1, "bad answer from xmppd");
	cs.jid[sizeof(cs.jid) - 1] = '\0';
	cs.addr[sizeof(cs.addr) - 1] = '\0';
	cs.tls[sizeof(cs.tls) - 1] = '\0';
	cs.transport[sizeof(cs.transport) - 1] = '\0';
	time_fmt(cs.since, since, sizeof(since));
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
	char			 since[32], privs[128];

	if (imsg_get_data(imsg, &cc, sizeof(cc)) == -1 ||
	    cc.priv_roster < 0 || cc.priv_roster > 3 ||
	    cc.priv_presence < 0 || cc.priv_presence > 2)
		errx(1, "bad answer from xmppd");
	cc.name[sizeof(cc.name) - 1] = '\0';
	time_fmt(cc.since, since, sizeof(since));
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
	char			 since[32];

	if (imsg_get_data(imsg, &cs, sizeof(cs)) == -1 || cs.auth < 0 ||
	    cs.auth > 2)
		errx(1, "bad answer from xmppd");
	cs.local[sizeof(cs.local) - 1] = '\0';
	cs.remote[sizeof(cs.remote) - 1] = '\0';
	cs.tls[sizeof(cs.tls) - 1] = '\0';
	time_fmt(cs.since, since, sizeof(since));
	printf("%-3s %-28s %-24s %-13s %6d %8llu %8llu %-19s %s\n",
	    cs.outbound ? "out" : "in", cs.remote, cs.local, auth[cs.auth],
	    cs.stream, (unsigned long long)cs.in, (unsigned long long)cs.out,
	    since, cs.tls);
}

static void
show_ldap(struct imsg *imsg)
{
	struct ctl_ldap	 cl;
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
		time_fmt(cl.error_time, when, sizeof(when));
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

/* What the throttles hold, or what unthrottle cleared: how many so far. */
static int
show_throttled(struct imsg *imsg, int cleared)
{
	static int		 n;
	struct ctl_throttle	 ct;
	char			 clears[32];

	if (imsg_get_data(imsg, &ct, sizeof(ct)) == -1)
		errx(1, "bad answer from xmppd");
	ct.key[sizeof(ct.key) - 1] = '\0';
	ct.what[sizeof(ct.what) - 1] = '\0';
	ct.process[sizeof(ct.process) - 1] = '\0';
	if (cleared) {
		printf("%s: %s cleared in %s (%d of %d)\n", ct.key, ct.what,
		    ct.process, ct.count, ct.max);
		return (++n);
	}
	time_fmt(ct.clears, clears, sizeof(clears));
	printf("%-40s %-20s %-10s %5d %5d  %s\n", ct.key, ct.what,
	    ct.process, ct.count, ct.max, clears);
	return (++n);
}

/*
 * What unthrottle names, as the throttles hold it: an address as
 * inet_ntop(3) writes it, or a bare JID prepared.
 */
static void
throttle_key(const char *arg, char *buf, size_t len)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	struct jid	 j;

	if (inet_pton(AF_INET, arg, &a4) == 1) {
		if (inet_ntop(AF_INET, &a4, buf, len) == NULL)
			errx(1, "bad address: %s", arg);
		return;
	}
	if (inet_pton(AF_INET6, arg, &a6) == 1) {
		if (inet_ntop(AF_INET6, &a6, buf, len) == NULL)
			errx(1, "bad address: %s", arg);
		return;
	}
	if (jid_parse(arg, &j) == -1 || j.local[0] == '\0' ||
	    j.resource[0] != '\0')
		errx(1, "not an address or a bare JID: %s", arg);
	if ((size_t)snprintf(buf, len, "%s@%s", j.local, j.domain) >= len)
		errx(1, "JID too long: %s", arg);
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

/*
 * The running xmppd: 1 when its version is not this xmppctl's, whose
 * requests it may then not understand.
 */
static int
show_about(struct imsg *imsg)
{
	struct ctl_about	 ca;
	char			 up[32];

	if (imsg_get_data(imsg, &ca, sizeof(ca)) == -1)
		errx(1, "bad answer from xmppd");
	ca.version[sizeof(ca.version) - 1] = '\0';
	ca.conffile[sizeof(ca.conffile) - 1] = '\0';
	ca.socket[sizeof(ca.socket) - 1] = '\0';
	ca.datadir[sizeof(ca.datadir) - 1] = '\0';
	printf("running xmppd:\n");
	printf("  %-12s %s\n", "version", ca.version);
	printf("  %-12s %ld\n", "pid", (long)ca.pid);
	uptime_fmt(ca.uptime, up, sizeof(up));
	printf("  %-12s %s\n", "uptime", up);
	printf("  %-12s %s\n", "config", ca.conffile);
	printf("  %-12s %s\n", "socket", ca.socket);
	printf("  %-12s %s\n", "datadir", ca.datadir);
	if (strcmp(ca.version, XMPPD_VERSION) == 0)
		return (0);
	fprintf(stderr, "%s: version %s, but the running xmppd is version "
	    "%s: use the xmppctl of xmppd's build\n", getprogname(),
	    XMPPD_VERSION, ca.version);
	return (1);
}

/* The NUL-terminated text an answer may carry, or NULL. */
static const char *
ctl_text(struct imsg *imsg, char *buf, size_t size)
{
	size_t		 len;

	len = imsg_get_len(imsg);
	if (len == 0 || len > size || imsg_get_data(imsg, buf, len) == -1 ||
	    buf[len - 1] != '\0')
		return (NULL);
	return (buf);
}

/* An answer IMSG_CTL_FAIL: its reason, and the exit status 1. */
static int
ctl_fail(struct imsg *imsg)
{
	char		 msg[CONF_JIDLEN + 256];
	const char	*why;

	if ((why = ctl_text(imsg, msg, sizeof(msg))) == NULL)
		why = "request failed";
	fprintf(stderr, "%s: %s\n", getprogname(), why);
	imsg_free(imsg);
	return (1);
}

/* A line of what a reload found wrong, as xmppd -n prints it. */
static void
show_conf_error(struct imsg *imsg)
{
	char		 line[PARSE_MSG_LEN], safe[PARSE_MSG_LEN * 4];
	size_t		 len;

	len = imsg_get_len(imsg);
	if (len == 0 || len > sizeof(line) ||
	    imsg_get_data(imsg, line, len) == -1 || line[len - 1] != '\0')
		errx(1, "bad answer from xmppd");
	fprintf(stderr, "%s\n", log_sanitize(line, safe, sizeof(safe)));
}

void
ctl_fail_exit(struct imsg *imsg)
{
	exit(ctl_fail(imsg));
}

/* Records of show throttled or, when unthrottle is set, of unthrottle. */
static int	 ctl_throttled, ctl_unthrottle;

/* Print answers until the request is done; returns the exit status. */
static int
ctl_answer(struct imsgbuf *ibuf)
{
	struct imsg	 imsg;
	char		 text[CONF_JIDLEN + 256];
	int		 ret;

	for (;;) {
		ctl_get(ibuf, &imsg);
		switch (imsg_get_type(&imsg)) {
		case IMSG_CTL_PROCESS:
			show_process(&imsg);
			break;
		case IMSG_CTL_ABOUT_INFO:
			ret = show_about(&imsg);
			imsg_free(&imsg);
			return (ret);
		case IMSG_CTL_CONF_ERROR:
			show_conf_error(&imsg);
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
		case IMSG_CTL_THROTTLED:
			ctl_throttled = show_throttled(&imsg, ctl_unthrottle);
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
		case IMSG_CTL_OK:
			/* What was done, when it is more than "done". */
			if (ctl_text(&imsg, text, sizeof(text)) != NULL)
				printf("%s\n", text);
			imsg_free(&imsg);
			return (0);
		case IMSG_CTL_END:
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
	struct ctl_throttle	 ct;
	struct xml_node		**rooms = NULL;
	char			 name[32];
	int			 ch, fd, v, ret, nrooms = 0;

	while ((ch = getopt(argc, argv, "s:V")) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'V':
			about_print(stdout, getprogname());
			return (0);
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	if (argv[0][0] != '\0' && strncmp(argv[0], "help", strlen(argv[0])) ==
	    0)
		return (help(argc - 1, argv + 1));
	if ((cmd = command_lookup(argc, argv, &arg)) == NULL)
		command_unknown(argc, argv);
	/*
	 * An empty argument is never meant: it would name every domain
	 * (archive expire, user list) or everyone's files (upload purge).
	 */
	for (ch = 0; ch < argc; ch++)
		if (argv[ch][0] == '\0')
			errx(1, "empty argument");

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
	/* This build first, whether xmppd runs or not. */
	if (cmd->action == ABOUT) {
		about_print(stdout, getprogname());
		fflush(stdout);
	}
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
	case USER_DISABLE:
	case USER_ENABLE:
	case USER_INFO:
		ret = user_state(&ibuf, cmd->action == USER_DISABLE ?
		    IMSG_CTL_USER_DISABLE : cmd->action == USER_ENABLE ?
		    IMSG_CTL_USER_ENABLE : IMSG_CTL_USER_INFO, arg,
		    argc == 4 ? argv[3] : "");
		imsgbuf_clear(&ibuf);
		close(fd);
		return (ret);
	case EXPORT:
		ret = pie_export(&ibuf, argv[1], argc == 3 ? argv[2] : NULL);
		imsgbuf_clear(&ibuf);
		close(fd);
		return (ret);
	case CHECK:
		ret = check(&ibuf, arg);
		imsgbuf_clear(&ibuf);
		close(fd);
		return (ret);
	case ABOUT:
		ret = imsg_compose(&ibuf, IMSG_CTL_ABOUT, MSG_VERSION, 0, -1,
		    NULL, 0);
		break;
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
	case SHOW_THROTTLED:
		printf("%-40s %-20s %-10s %5s %5s  %s\n", "THROTTLED", "FOR",
		    "HELD BY", "COUNT", "LIMIT", "CLEARS");
		ret = imsg_compose(&ibuf, IMSG_CTL_SHOW_THROTTLED, MSG_VERSION,
		    0, -1, NULL, 0);
		break;
	case UNTHROTTLE:
		memset(&ct, 0, sizeof(ct));
		throttle_key(arg, ct.key, sizeof(ct.key));
		ctl_unthrottle = 1;
		ret = imsg_compose(&ibuf, IMSG_CTL_UNTHROTTLE, MSG_VERSION, 0,
		    -1, &ct, sizeof(ct));
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
		if (arg != NULL && strlcpy(cu.jid, arg, sizeof(cu.jid)) >=
		    sizeof(cu.jid))
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
	if (ret == 0 && cmd->action == UNTHROTTLE && ctl_throttled == 0) {
		fprintf(stderr, "%s: nothing is held against %s\n",
		    getprogname(), ct.key);
		ret = 1;
	}
	imsgbuf_clear(&ibuf);
	close(fd);
	return (ret);
}
