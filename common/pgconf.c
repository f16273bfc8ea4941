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
 * address or a socket under its chroot, and read no file but one.  So
 * the parent reads a passfile and hands its password to that process
 * alone, and copies the sslrootcert into the chroot: libpq takes
 * certificates by path only, and that copy is the one file the process
 * may read.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include <tls.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "pgconf.h"
#include "sandbox.h"

#define PGCONF_PASSFILE_MAX	(64 * 1024)
#define PGCONF_TLS_MAX		(1024 * 1024)
#define PGCONF_NPARAMS		64
/* The copies of the TLS files, in a directory of the chroot's top one. */
#define PGCONF_TLS_DIR		"pg-tls"
/* Where libpq finds nothing: no home directory, no default file. */
#define PGCONF_NOFILE		"/nonexistent"

/* Keywords naming files libpq would read where the process cannot. */
static const char *pgconf_files[] = {
	"service", "servicefile", "sslcrl", "sslcrldir", "sslpassword",
};

/*
 * The files libpq reads for TLS: read by the parent, copied under these
 * names into PGCONF_TLS_DIR.  The key is a secret: its file must be
 * root's and of mode 0600, as a passfile.
 */
static const struct pgconf_tlsfile {
	const char	*kw;
	const char	*name;
	int		 secret;
} pgconf_tlsfiles[] = {
	{ "sslrootcert",	"sslrootcert.pem",	0 },
	{ "sslcert",		"sslcert.pem",		0 },
	{ "sslkey",		"sslkey.pem",		1 },
};

/* What libpq would read when TLS is on and these are not given. */
static const char *pgconf_nofiles[] = {
	"sslrootcert", "sslcert", "sslkey", "sslcrl",
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
	const char	*sslrootcert;
	const char	*sslcert;
	const char	*sslkey;
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
	c->sslrootcert = pgconf_val(opts, "sslrootcert");
	c->sslcert = pgconf_val(opts, "sslcert");
	c->sslkey = pgconf_val(opts, "sslkey");
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

static int
pgconf_tls_on(const struct pgconf *c)
{
	return (c->sslmode != NULL && strcmp(c->sslmode, "disable") != 0);
}

/*
 * TLS that an attacker on the path cannot turn off: allow and prefer
 * fall back to plaintext when the server (or whoever answers for it)
 * says no.  libpq uses no TLS over a Unix socket.
 */
static const char *
pgconf_refuse_tls(const struct pgconf *c)
{
	int	 verify;

	if (!pgconf_tls_on(c))
		return (c->sslrootcert == NULL && c->sslcert == NULL &&
		    c->sslkey == NULL ? NULL : "sslrootcert, sslcert and "
		    "sslkey need sslmode require, verify-ca or verify-full");
	if ((c->sslcert == NULL) != (c->sslkey == NULL))
		return ("sslcert and sslkey go together");
	if (strcmp(c->sslmode, "allow") == 0 ||
	    strcmp(c->sslmode, "prefer") == 0)
		return ("sslmode allow and prefer are refused: they fall "
		    "back to plaintext when the server declines TLS; use "
		    "require, verify-ca or verify-full");
	verify = strcmp(c->sslmode, "verify-ca") == 0 ||
	    strcmp(c->sslmode, "verify-full") == 0;
	if (!verify && strcmp(c->sslmode, "require") != 0)
		return ("sslmode must be disable, require, verify-ca or "
		    "verify-full");
	if (c->hostaddr == NULL)
		return ("sslmode other than disable needs a numeric hostaddr: "
		    "libpq uses no TLS over a Unix socket");
	if (verify && c->sslrootcert == NULL)
		return ("sslmode verify-ca and verify-full need sslrootcert, "
		    "the CA certificates that sign the server's");
	if (strcmp(c->sslmode, "verify-full") == 0 &&
	    (c->host == NULL || c->host[0] == '/'))
		return ("sslmode verify-full needs host, the name the "
		    "server's certificate must carry (hostaddr is where to "
		    "connect)");
	return (NULL);
}

/* Why the parameters cannot serve the process, or NULL. */
static const char *
pgconf_refuse(PQconninfoOption *opts, const struct pgconf *c,
    const char *datadir)
{
	const char	*errstr, *why;
	size_t		 i;

	for (i = 0; i < nitems(pgconf_files); i++)
		if (pgconf_val(opts, pgconf_files[i]) != NULL)
			return ("names a file that libpq would read in the "
			    "store's chroot: service files, CRLs and key "
			    "passphrases are not supported");
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
	if ((why = pgconf_refuse_tls(c)) != NULL)
		return (why);
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

/* A key with a passphrase is refused: the process could not ask. */
static int
pgconf_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return (-1);
}

/* As OpenSSL reads it for libpq: every block must parse. */
static int
pgconf_ca_count(const uint8_t *buf, size_t len)
{
	STACK_OF(X509_INFO)	*infos;
	BIO			*bio;
	int			 i, n = 0;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		fatalx("%s: out of memory", __func__);
	if ((infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL)) != NULL) {
		for (i = 0; i < sk_X509_INFO_num(infos); i++)
			if (sk_X509_INFO_value(infos, i)->x509 != NULL)
				n++;
		sk_X509_INFO_pop_free(infos, X509_INFO_free);
	}
	ERR_clear_error();
	BIO_free(bio);
	return (n);
}

/* A private key, as OpenSSL reads it for libpq, with no passphrase. */
static int
pgconf_key_ok(const uint8_t *buf, size_t len)
{
	EVP_PKEY	*key;
	BIO		*bio;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		fatalx("%s: out of memory", __func__);
	if ((key = PEM_read_bio_PrivateKey(bio, NULL, pgconf_no_passphrase,
	    NULL)) != NULL)
		EVP_PKEY_free(key);
	ERR_clear_error();
	BIO_free(bio);
	return (key != NULL);
}

/* Why the file of f cannot be used as it is, or NULL. */
static const char *
pgconf_tls_why(const struct pgconf_tlsfile *f, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return ("not a regular file");
	if (st->st_size == 0 || st->st_size > PGCONF_TLS_MAX)
		return ("empty, or larger than 1M");
	if (f->secret && ((st->st_uid != 0 && st->st_uid != getuid()) ||
	    (st->st_mode & (S_IRWXG | S_IRWXO))))
		return ("must be owned by root and of mode 0600");
	return (NULL);
}

/*
 * The bytes of the file that path names for f, read here (the admin's
 * file may be readable by root alone): PEM certificates, or for the key
 * a private key.  'where' begins the log lines, which never quote the
 * contents.
 */
static uint8_t *
pgconf_tls_load(const struct pgconf_tlsfile *f, const char *path,
    const char *where, size_t *len)
{
	struct stat	 st;
	uint8_t		*buf;
	const char	*why;

	if (stat(path, &st) == -1) {
		log_warn("%s: storage postgresql: %s %s", where, f->kw, path);
		return (NULL);
	}
	if ((why = pgconf_tls_why(f, &st)) != NULL)
		;
	else if ((buf = tls_load_file(path, len, NULL)) == NULL) {
		log_warn("%s: storage postgresql: %s %s", where, f->kw, path);
		return (NULL);
	} else if (*len > PGCONF_TLS_MAX || (f->secret ?
	    !pgconf_key_ok(buf, *len) : pgconf_ca_count(buf, *len) == 0)) {
		tls_unload_file(buf, *len);
		why = f->secret ? "no PEM private key without a passphrase" :
		    "no PEM certificate, or one that does not parse";
	} else
		return (buf);
	log_warnx("%s: storage postgresql: %s %s: %s", where, f->kw, path,
	    why);
	return (NULL);
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
	const char		*path;
	uint8_t			*buf;
	size_t			 i, len;
	int			 rc = 0;

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
	for (i = 0; why == NULL && i < nitems(pgconf_tlsfiles); i++) {
		if ((path = pgconf_val(opts, pgconf_tlsfiles[i].kw)) == NULL)
			continue;
		if ((buf = pgconf_tls_load(&pgconf_tlsfiles[i], path, where,
		    &len)) == NULL)
			rc = -1;
		else
			tls_unload_file(buf, len);
	}
	PQconninfoFree(opts);
	if (why != NULL) {
		log_warnx("%s: storage postgresql: %s", where, why);
		return (-1);
	}
	return (rc);
}

/* Writes all of buf to fd; -1 with errno set. */
static int
pgconf_write(int fd, const uint8_t *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= n;
	}
	return (0);
}

/* Where the process finds the copy of f's file. */
static const char *
pgconf_tls_path(const struct pgconf_tlsfile *f, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "/%s/%s", PGCONF_TLS_DIR, f->name) >=
	    len)
		fatalx("%s: path too long", __func__);
	return (buf);
}

/*
 * The directory of the copies, in dfd (the chroot, a directory that the
 * process's user owns): root's, mode 0750, group gid.  What the process
 * may have left under that name (a link, a file) is removed, never
 * followed.  The sandbox's rule names this directory rather than the
 * files: Landlock holds an inode, and each copy is a new one.
 */
static int
pgconf_tls_dir(int dfd, gid_t gid)
{
	int	 fd, save;

	if (mkdirat(dfd, PGCONF_TLS_DIR, 0750) == -1 && errno != EEXIST)
		return (-1);
	if ((fd = openat(dfd, PGCONF_TLS_DIR, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if ((errno != ELOOP && errno != ENOTDIR) ||
		    unlinkat(dfd, PGCONF_TLS_DIR, 0) == -1 ||
		    mkdirat(dfd, PGCONF_TLS_DIR, 0750) == -1 ||
		    (fd = openat(dfd, PGCONF_TLS_DIR, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			return (-1);
	}
	if (fchown(fd, 0, gid) == -1 || fchmod(fd, 0750) == -1) {
		save = errno;
		close(fd);
		errno = save;
		return (-1);
	}
	return (fd);
}

/*
 * A copy of buf that the chrooted process reads, 'name' in the directory
 * dfd: written under a new name that no link may redirect (O_EXCL,
 * O_NOFOLLOW), owned by root and readable by the process's group (libpq
 * takes a key so), then renamed over the old copy so that a reconnect
 * never finds it missing.
 */
static int
pgconf_tls_write(int dfd, const char *name, const uint8_t *buf, size_t len,
    gid_t gid)
{
	char	 tmp[NAME_MAX + 1];
	int	 fd, save;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", name) >= sizeof(tmp))
		fatalx("%s: name too long", __func__);
	if (unlinkat(dfd, tmp, 0) == -1 && errno != ENOENT)
		return (-1);
	if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return (-1);
	if (fchown(fd, 0, gid) == -1 || fchmod(fd, 0640) == -1 ||
	    pgconf_write(fd, buf, len) == -1 || close(fd) == -1) {
		save = errno;
		(void)close(fd);
		(void)unlinkat(dfd, tmp, 0);
		errno = save;
		return (-1);
	}
	if (renameat(dfd, tmp, dfd, name) == -1) {
		save = errno;
		(void)unlinkat(dfd, tmp, 0);
		errno = save;
		return (-1);
	}
	return (0);
}

/*
 * One file of f: copied if the conninfo names it and TLS is on, else no
 * copy left.  -1 (errno set) when the copy cannot be written, -2 when
 * the file cannot be read.
 */
static int
pgconf_tls_copy(const struct pgconf_tlsfile *f, PQconninfoOption *opts,
    int on, int dfd, gid_t gid, const char *where)
{
	const char	*path;
	uint8_t		*buf;
	size_t		 len;
	int		 rc;

	if (!on || (path = pgconf_val(opts, f->kw)) == NULL)
		return (unlinkat(dfd, f->name, 0) == -1 && errno != ENOENT ?
		    -1 : 0);
	if ((buf = pgconf_tls_load(f, path, where, &len)) == NULL)
		return (-2);
	rc = pgconf_tls_write(dfd, f->name, buf, len, gid);
	tls_unload_file(buf, len);
	return (rc);
}

/*
 * At start and on reload: the TLS files of conninfo copied into the
 * chroot 'root' of the process that connects, readable by its group
 * 'gid'; old copies removed when the conninfo names none.
 */
int
pgconf_tls_place(const char *conninfo, const char *root, gid_t gid,
    const char *where)
{
	PQconninfoOption	*opts;
	struct pgconf		 c;
	size_t			 i;
	int			 on, dfd, cfd = -1, rc = 0;

	if ((opts = PQconninfoParse(conninfo, NULL)) == NULL)
		return (-1);
	pgconf_get(opts, &c);
	on = pgconf_tls_on(&c) && (c.sslrootcert != NULL || c.sslcert != NULL);
	if ((dfd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		rc = -1;
	else if (on)
		rc = (cfd = pgconf_tls_dir(dfd, gid)) == -1 ? -1 : 0;
	else if ((cfd = openat(dfd, PGCONF_TLS_DIR, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		/* Nothing of ours there: no copy to remove. */
		rc = errno == ENOENT || errno == ELOOP || errno == ENOTDIR ?
		    1 : -1;
	if (rc == -1)
		log_warn("%s: storage postgresql: %s/%s", where, root,
		    PGCONF_TLS_DIR);
	for (i = 0; rc == 0 && i < nitems(pgconf_tlsfiles); i++) {
		if ((rc = pgconf_tls_copy(&pgconf_tlsfiles[i], opts, on, cfd,
		    gid, where)) == -1)
			log_warn("%s: storage postgresql: %s/%s/%s", where,
			    root, PGCONF_TLS_DIR, pgconf_tlsfiles[i].name);
	}
	if (cfd != -1)
		close(cfd);
	if (dfd != -1)
		close(dfd);
	PQconninfoFree(opts);
	return (rc >= 0 ? 0 : -1);
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
	char			 path[PATH_MAX];
	size_t			 i;
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
		for (i = 0; i < nitems(pgconf_tlsfiles); i++)
			if (strcmp(o->keyword, pgconf_tlsfiles[i].kw) == 0)
				v = pgconf_tls_path(&pgconf_tlsfiles[i], path,
				    sizeof(path));
		pgconf_add(kw, val, &n, o->keyword, v);
	}
	/* Nor would it find them: no lookup of a home directory. */
	for (i = 0; pgconf_tls_on(&c) && i < nitems(pgconf_nofiles); i++)
		if (pgconf_val(opts, pgconf_nofiles[i]) == NULL)
			pgconf_add(kw, val, &n, pgconf_nofiles[i],
			    PGCONF_NOFILE);
	if (c.user == NULL)
		pgconf_add(kw, val, &n, "user", defuser);
	if (c.password == NULL && pw[0] != '\0')
		pgconf_add(kw, val, &n, "password", pw);
	else if (c.password == NULL)
		pgconf_add(kw, val, &n, "passfile", PGCONF_NOFILE);
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

/*
 * Whether the process speaks TLS to the server, and what it reads then
 * (for its sandbox): the directory of the copies of its TLS files in
 * its chroot, or NULL when there is none.
 */
int
pgconf_tls(const char *conninfo, const char **ca)
{
	PQconninfoOption	*opts;
	struct pgconf		 c;
	int			 on;

	*ca = NULL;
	if ((opts = PQconninfoParse(conninfo, NULL)) == NULL)
		return (-1);
	pgconf_get(opts, &c);
	if ((on = pgconf_tls_on(&c)) && (c.sslrootcert != NULL ||
	    c.sslcert != NULL))
		*ca = "/" PGCONF_TLS_DIR;
	PQconninfoFree(opts);
	return (on);
}

/*
 * The sandbox of the process that connects, entered once it has its
 * first connection under way: libpq connects again after an outage.
 * TCP to the server's port only (Landlock, where the kernel has it;
 * seccomp cannot read the address) or its socket under the chroot.
 * With TLS, libpq opens its files by path, and stat(2)s those it is
 * told are not there: "rpath", with every file but the copies in their
 * directory closed to it.  OpenSSL needs
 * nothing else there: its randomness comes from getrandom(2) (stdio),
 * and its configuration file, missing from the chroot, is optional.
 */
void
pgconf_sandbox(const char *conninfo)
{
	const char	*ca;
	int		 port = pgconf_port(conninfo);

	if (port <= 0) {
		sandbox("stdio unix recvfd");
		return;
	}
	sandbox_tcp_connect(port);
	if (pgconf_tls(conninfo, &ca) != 1) {
		sandbox("stdio inet recvfd");
		return;
	}
	sandbox_read_only(ca);
	sandbox("stdio rpath inet recvfd");
}
