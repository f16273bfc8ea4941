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
 * What a build is, for xmppd -V, xmppctl -V and xmppctl about: the
 * version, the options configure found, each library's version as the
 * library reports it at run time (the one built against where it cannot
 * say) and the paths compiled in.
 */

#include <sys/types.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <linux/landlock.h>
#endif

#include <dlfcn.h>
#include <event.h>
#include <expat.h>
#include <http_parser.h>
#include <stringprep.h>
#include <ldap.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unbound.h>
#include <unistd.h>
#include <wslay/wslayver.h>
#ifdef HAVE_LIBPQ
#include <libpq-fe.h>
#endif
#ifdef __linux__
#include <seccomp.h>
#endif

#include "about.h"
#include "config.h"
#include "paths.h"

#define ABOUT_ROW	"  %-12s %s\n"

/* Where tls_init comes from: libretls and LibreSSL name their file. */
static void
about_libtls(FILE *fp)
{
	Dl_info		 dli;
	char		 path[PATH_MAX];
	const char	*file = "?", *p;

	if (dladdr((void *)tls_init, &dli) != 0 && dli.dli_fname != NULL) {
		file = dli.dli_fname;
		if (realpath(dli.dli_fname, path) != NULL)
			file = path;
		if ((p = strrchr(file, '/')) != NULL)
			file = p + 1;
	}
	fprintf(fp, "  %-12s %s (%s), API %d\n", "libtls",
	    strncmp(OpenSSL_version(OPENSSL_VERSION), "LibreSSL", 8) == 0 ?
	    "LibreSSL" : "libretls", file, TLS_API);
}

static void
about_libldap(FILE *fp)
{
	LDAPAPIInfo	 info;
	int		 v;

	memset(&info, 0, sizeof(info));
	info.ldapai_info_version = LDAP_API_INFO_VERSION;
	if (ldap_get_option(NULL, LDAP_OPT_API_INFO, &info) !=
	    LDAP_OPT_SUCCESS) {
		fprintf(fp, ABOUT_ROW, "libldap", "?");
		return;
	}
	v = info.ldapai_vendor_version;
	fprintf(fp, "  %-12s %s %d.%d.%d\n", "libldap",
	    info.ldapai_vendor_name != NULL ? info.ldapai_vendor_name : "?",
	    v / 10000, v / 100 % 100, v % 100);
	ldap_memfree(info.ldapai_vendor_name);
	ldap_memvfree((void **)info.ldapai_extensions);
}

static void
about_libraries(FILE *fp)
{
	unsigned long	 hp = http_parser_version();
#ifdef __linux__
	const struct scmp_version *sv = seccomp_version();
#endif
#ifdef HAVE_LIBPQ
	int		 pq = PQlibVersion();
#endif

	fprintf(fp, "libraries:\n");
	about_libtls(fp);
	fprintf(fp, ABOUT_ROW, "libcrypto", OpenSSL_version(OPENSSL_VERSION));
	fprintf(fp, ABOUT_ROW, "expat", XML_ExpatVersion());
	fprintf(fp, ABOUT_ROW, "libevent", event_get_version());
	about_libldap(fp);
	fprintf(fp, ABOUT_ROW, "SQLite", sqlite3_libversion());
#ifdef HAVE_LIBPQ
	fprintf(fp, "  %-12s %d.%d\n", "libpq", pq / 10000, pq % 10000);
#else
	fprintf(fp, ABOUT_ROW, "libpq", "not built in");
#endif
	fprintf(fp, ABOUT_ROW, "libunbound", ub_version());
	fprintf(fp, ABOUT_ROW, "libidn", stringprep_check_version(NULL));
	fprintf(fp, "  %-12s %s (built with)\n", "libwslay", WSLAY_VERSION);
	fprintf(fp, "  %-12s %lu.%lu.%lu\n", "http-parser", (hp >> 16) & 255,
	    (hp >> 8) & 255, hp & 255);
#ifdef __linux__
	fprintf(fp, "  %-12s %u.%u.%u\n", "libseccomp", sv->major, sv->minor,
	    sv->micro);
#endif
}

/* The sandbox: on Linux, Landlock as far as this kernel has it. */
static void
about_sandbox(FILE *fp)
{
#ifdef __linux__
	long	 abi = -1;

#ifdef SYS_landlock_create_ruleset
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
#endif
	if (abi > 0)
		fprintf(fp, "  %-12s seccomp, Landlock (ABI %ld on this "
		    "kernel)\n", "sandbox", abi);
	else
		fprintf(fp, "  %-12s seccomp (no Landlock on this kernel)\n",
		    "sandbox");
#else
	fprintf(fp, ABOUT_ROW, "sandbox", "pledge, unveil");
#endif
}

void
about_print(FILE *fp, const char *prog)
{
	fprintf(fp, "%s %s\n", prog, XMPPD_VERSION);
	fprintf(fp, "build:\n");
#ifdef HAVE_LIBPQ
	fprintf(fp, ABOUT_ROW, "storage", "sqlite, postgresql");
#else
	fprintf(fp, ABOUT_ROW, "storage", "sqlite");
#endif
	fprintf(fp, ABOUT_ROW, "auth", "internal, ldap");
	fprintf(fp, ABOUT_ROW, "dns", "libunbound");
	about_sandbox(fp);
#ifdef REGRESS
	fprintf(fp, ABOUT_ROW, "regress", "test hooks built in: not for "
	    "production");
#endif
	about_libraries(fp);
	fprintf(fp, "paths:\n");
	fprintf(fp, ABOUT_ROW, "config", SYSCONFDIR "/xmppd.conf");
	fprintf(fp, ABOUT_ROW, "socket", XMPPD_SOCKET);
	fprintf(fp, ABOUT_ROW, "datadir", XMPPD_DATADIR);
	fprintf(fp, ABOUT_ROW, "chroot", XMPPD_EMPTY);
	fprintf(fp, ABOUT_ROW, "libexec", LIBEXECDIR);
}
