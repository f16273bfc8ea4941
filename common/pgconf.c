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
 * A PostgreSQL conninfo, checked by the parent (xmppd -n) and turned
 * into the connection parameters of the process that uses it (the store,
 * mucd).  That process is chrooted and sandboxed: it can reach a numeric
 * address or a socket under its chroot, and read no file.  So the parent
 * reads a passfile and hands its password to that process alone.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "pgconf.h"

#define PGCONF_PASSFILE_MAX	(64 * 1024)
#define PGCONF_NPARAMS		64

/* Keywords naming files libpq would read where the process cannot. */
static const char *pgconf_files[] = {
	"service", "servicefile", "sslcert", "sslkey", "sslrootcert",
	"sslcrl", "sslcrldir", "sslpassword",
};

struct pgconf {
	const char	*host;
	const char	*hostaddr;
	const char	*port;
	const char	*dbname;
	const char	*user;
	const char	*password;
	const char	*passfile;
	const char	*sslmode;
	const char	*gssencmode;
};

static const char *
pgconf_val(PQconninfoOption *opts, const char *kw)
{
	PQconninfoOption	*o;

	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, kw) == 0)
			return (o->val != NULL && *o->val != '\0' ? o->val :
			    NULL);
	return (NULL);
}

static void
pgconf_get(PQconninfoOption *opts, struct pgconf *c)
{
	c->host = pgconf_val(opts, "host");
	c->hostaddr = pgconf_val(opts, "hostaddr");
	c->port = pgconf_val(opts, "port");
	c->dbname = pgconf_val(opts, "dbname");
	c->user = pgconf_val(opts, "user");
	c->password = pgconf_val(opts, "password");
	c->passfile = pgconf_val(opts, "passfile");
	c->sslmode = pgconf_val(opts, "sslmode");
	c->gssencmode = pgconf_val(opts, "gssencmode");
}

/* A directory under the chroot: the process sees it there. */
static const char *
pgconf_in_root(const char *path, const char *datadir)
{
	size_t	 len = strlen(datadir);

	while (len > 1 && datadir[len - 1] == '/')
		len--;
	if (path[0] != '/' || strncmp(path, datadir, len) != 0 ||
	    (path[len] != '/' && path[len] != '\0') ||
	    strstr(path, "/../") != NULL ||
	    (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0))
		return (NULL);
	return (path[len] == '\0' ? "/" : path + len);
}

static int
pgconf_numeric(const char *addr)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;

	return (inet_pton(AF_INET, addr, &a4) == 1 ||
	    inet_pton(AF_INET6, addr, &a6) == 1);
}

/* Why the parameters cannot serve the process, or NULL. */
static const char *
pgconf_refuse(PQconninfoOption *opts, const struct pgconf *c,
    const char *datadir)
{
	const char	*errstr;
	size_t		 i;

	for (i = 0; i < nitems(pgconf_files); i++)
		if (pgconf_val(opts, pgconf_files[i]) != NULL)
			return ("names a file that libpq would read in the "
			    "store's chroot: service files and TLS "
			    "certificates are not supported");
	if (c->hostaddr != NULL) {
		if (strchr(c->hostaddr, ',') != NULL ||
		    !pgconf_numeric(c->hostaddr))
			return ("hostaddr must be one numeric address: the "
			    "store cannot resolve names");
		if (c->host != NULL && strchr(c->host, ',') != NULL)
			return ("host must name one server");
	} else if (c->host == NULL)
		return ("needs a numeric hostaddr, or a host directory "
		    "under the datadir: the store cannot resolve names");
	else if (pgconf_in_root(c->host, datadir) == NULL)
		return ("without hostaddr, host must be a socket directory "
		    "under the datadir: the store cannot resolve names");
	if (c->port != NULL) {
		(void)strtonum(c->port, 1, 65535, &errstr);
		if (errstr != NULL)
			return ("port must be one number from 1 to 65535");
	}
	if (c->sslmode != NULL && strcmp(c->sslmode, "disable") != 0)
		return ("sslmode other than disable is not supported: the "
		    "store cannot read certificates in its chroot");
	if (c->gssencmode != NULL && strcmp(c->gssencmode, "disable") != 0)
		return ("gssencmode other than disable is not supported");
	return (NULL);
}

/*
 * One field of a passfile line into buf, unescaped; returns what
 * follows its colon, or NULL at the end of the line.
 */
static char *
pgconf_field(char *p, char *buf, size_t len)
{
	size_t	 n = 0;

	for (; *p != '\0' && *p != ':'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 < len)
			buf[n++] = *p;
	}
	buf[n] = '\0';
	return (*p == ':' ? p + 1 : NULL);
}

static int
pgconf_match(const char *field, const char *want)
{
	return (strcmp(field, "*") == 0 || strcmp(field, want) == 0);
}

/* The password of the first matching line, as libpq would pick it. */
static int
pgconf_passfile_line(char *line, const char *want[4], char *pw, size_t len)
{
	char	 f[CONF_STRLEN];
	char	*p = line;
	int	 i;

	if (*line == '#' || *line == '\0')
		return (0);
	for (i = 0; i < 4; i++) {
		if ((p = pgconf_field(p, f, sizeof(f))) == NULL ||
		    !pgconf_match(f, want[i]))
			return (0);
	}
	(void)pgconf_field(p, f, sizeof(f));
	if (strlcpy(pw, f, len) >= len) {
		explicit_bzero(f, sizeof(f));
		return (-1);
	}
	explicit_bzero(f, sizeof(f));
	return (1);
}

static const char *
pgconf_passfile(const char *path, const struct pgconf *c, const char *user,
    char *pw, size_t len)
{
	struct stat	 st;
	const char	*want[4];
	char		*buf, *line, *next;
	FILE		*fp;
	size_t		 n;
	int		 rc = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return ("cannot open the passfile");
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return ("the passfile is not a regular file");
	}
	if ((st.st_uid != 0 && st.st_uid != getuid()) ||
	    (st.st_mode & (S_IRWXG | S_IRWXO))) {
		fclose(fp);
		return ("the passfile must be owned by root and of mode 0600");
	}
	if ((buf = calloc(1, PGCONF_PASSFILE_MAX + 1)) == NULL)
		fatal("%s", __func__);
	n = fread(buf, 1, PGCONF_PASSFILE_MAX + 1, fp);
	fclose(fp);
	if (n > PGCONF_PASSFILE_MAX) {
		freezero(buf, PGCONF_PASSFILE_MAX + 1);
		return ("the passfile is too long");
	}
	/* As libpq: a socket directory matches "localhost". */
	want[0] = c->host != NULL && c->host[0] != '/' ? c->host :
	    c->hostaddr != NULL ? c->hostaddr : "localhost";
	want[1] = c->port != NULL ? c->port : "5432";
	want[2] = c->dbname != NULL ? c->dbname : user;
	want[3] = user;
	for (line = buf; line != NULL && rc == 0; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		rc = pgconf_passfile_line(line, want, pw, len);
	}
	freezero(buf, PGCONF_PASSFILE_MAX + 1);
	if (rc == -1)
		return ("the passfile's password is too long");
	return (rc == 1 ? NULL : "the passfile has no line for this "
	    "host, port, database and user");
}

/*
 * xmppd -n: can a process chrooted in 'root' use this conninfo?  Reads
 * the passfile, if one is named and no password given, into pw.  'where'
 * begins the log lines ("FILE" or "FILE: muc").
 */
int
pgconf_check(const char *conninfo, const char *root, const char *defuser,
    char *pw, size_t pwlen, const char *where)
{
	PQconninfoOption	*opts;
	struct pgconf		 c;
	const char		*why, *user;
	char			*err = NULL;

	explicit_bzero(pw, pwlen);
	if ((opts = PQconninfoParse(conninfo, &err)) == NULL) {
		/* libpq's message may quote the text: the password too. */
		log_warnx("%s: storage postgresql: the conninfo does not "
		    "parse", where);
		if (err != NULL)
			PQfreemem(err);
		return (-1);
	}
	pgconf_get(opts, &c);
	user = c.user != NULL ? c.user : defuser;
	if ((why = pgconf_refuse(opts, &c, root)) == NULL &&
	    c.password == NULL && c.passfile != NULL)
		why = pgconf_passfile(c.passfile, &c, user, pw, pwlen);
	PQconninfoFree(opts);
	if (why != NULL) {
		log_warnx("%s: storage postgresql: %s", where, why);
		return (-1);
	}
	return (0);
}

static void
pgconf_add(const char **kw, const char **val, int *n, const char *k,
    const char *v)
{
	if (*n >= PGCONF_NPARAMS - 1)
		fatalx("PostgreSQL: too many connection parameters");
	if ((kw[*n] = strdup(k)) == NULL || (val[*n] = strdup(v)) == NULL)
		fatal("%s", __func__);
	(*n)++;
}

/*
 * The parameters: the conninfo's, the host directory as seen in the
 * chroot 'root', and what keeps libpq from looking for files (a home
 * directory, a password file, certificates) or a user name.
 */
int
pgconf_params(const char *conninfo, const char *pw, const char *root,
    const char *defuser, const char ***kwp, const char ***valp)
{
	PQconninfoOption	*opts, *o;
	struct pgconf		 c;
	const char		**kw, **val, *v;
	int			 n = 0;

	if ((opts = PQconninfoParse(conninfo, NULL)) == NULL)
		return (-1);
	pgconf_get(opts, &c);
	if ((kw = calloc(PGCONF_NPARAMS, sizeof(*kw))) == NULL ||
	    (val = calloc(PGCONF_NPARAMS, sizeof(*val))) == NULL)
		fatal("%s", __func__);
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0' ||
		    strcmp(o->keyword, "passfile") == 0)
			continue;
		v = o->val;
		if (strcmp(o->keyword, "host") == 0 && c.hostaddr == NULL &&
		    (v = pgconf_in_root(o->val, root)) == NULL)
			fatalx("PostgreSQL: the host is not under %s", root);
		pgconf_add(kw, val, &n, o->keyword, v);
	}
	if (c.user == NULL)
		pgconf_add(kw, val, &n, "user", defuser);
	if (c.password == NULL && pw[0] != '\0')
		pgconf_add(kw, val, &n, "password", pw);
	else if (c.password == NULL)
		pgconf_add(kw, val, &n, "passfile", "/nonexistent");
	if (c.sslmode == NULL)
		pgconf_add(kw, val, &n, "sslmode", "disable");
	if (c.gssencmode == NULL)
		pgconf_add(kw, val, &n, "gssencmode", "disable");
	if (pgconf_val(opts, "client_encoding") == NULL)
		pgconf_add(kw, val, &n, "client_encoding", "UTF8");
	PQconninfoFree(opts);
	*kwp = kw;
	*valp = val;
	return (0);
}

void
pgconf_params_free(const char **kw, const char **val)
{
	int	 i;

	if (kw == NULL)
		return;
	for (i = 0; kw[i] != NULL; i++) {
		free((char *)kw[i]);
		freezero((char *)val[i], strlen(val[i]) + 1);
	}
	free(kw);
	free(val);
}

/* The server's TCP port, for the sandbox; 0 for a socket. */
int
pgconf_port(const char *conninfo)
{
	PQconninfoOption	*opts;
	struct pgconf		 c;
	int			 port = 0;

	if ((opts = PQconninfoParse(conninfo, NULL)) == NULL)
		return (-1);
	pgconf_get(opts, &c);
	if (c.hostaddr != NULL)
		port = c.port != NULL ? (int)strtonum(c.port, 1, 65535,
		    NULL) : 5432;
	PQconninfoFree(opts);
	return (port);
}
