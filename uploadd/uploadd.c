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
 * HTTP upload daemon: hands out XEP-0363 upload slots and serves the
 * files over HTTPS, with size limits, quotas and expiry.  This file is
 * its start: the directories of its root, the services of the
 * configuration and the dispatch of what the router sends.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "regress.h"
#include "sandbox.h"
#include "upload.h"

/* 32 lowercase hex digits, as slots are made; nothing else names a file. */
int
upload_slot_valid(const char *s)
{
	size_t	 i;

	for (i = 0; i < UPLOAD_SLOT_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (s[i] == '\0');
}

/* The upload service of that name in the running configuration. */
struct upload_conf *
upload_service(const char *name)
{
	return (config_upload(proc_self.conf, name));
}

/*
 * files/ and tmp/ in the root; what tmp/ holds was being received when
 * uploadd stopped, and is removed: no partial file outlives a restart.
 */
static void
uploadd_dirs(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd;

	if ((mkdir(UPLOAD_DIR_FILES, 0700) == -1 && errno != EEXIST) ||
	    (mkdir(UPLOAD_DIR_TMP, 0700) == -1 && errno != EEXIST))
		fatal("mkdir");
	if ((fd = open(UPLOAD_DIR_TMP, O_RDONLY | O_DIRECTORY)) == -1 ||
	    (d = fdopendir(fd)) == NULL)
		fatal("%s", UPLOAD_DIR_TMP);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1)
			log_warn("%s/%s", UPLOAD_DIR_TMP, de->d_name);
		else
			log_info("removed the partial upload %s", de->d_name);
	}
	closedir(d);
}

static void
uploadd_config_commit(struct xmppd_config *old, struct xmppd_config *new)
{
	(void)old;
	upload_http_configure(new);
}

/*
 * A connection a stream process's multiplexer took for one of the
 * upload services: TLS starts here, at the ClientHello it left unread.
 * -1: not such a message, which the stream is refused.
 */
static int
uploadd_passed(struct imsg *imsg)
{
	struct upload_pass	 up;
	int			 fd;

	fd = imsg_get_fd(imsg);
	if (imsg_get_data(imsg, &up, sizeof(up)) == -1 ||
	    memchr(up.service, '\0', sizeof(up.service)) == NULL ||
	    memchr(up.addr, '\0', sizeof(up.addr)) == NULL || fd == -1) {
		log_warnx("%s: bad connection", __func__);
		if (fd != -1)
			close(fd);
		return (-1);
	}
	if (upload_service(up.service) == NULL) {
		log_info("connection from %s closed: no upload service %s",
		    up.addr, up.service);
		close(fd);
		return (0);
	}
	upload_http_serve(fd, up.addr, up.service, 1);
	return (0);
}

static int
uploadd_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	if (iev->type == PROC_STREAM &&
	    imsg_get_type(imsg) == IMSG_UPLOAD_CONN)
		return (uploadd_passed(imsg));
	if (iev->type != PROC_ROUTER)
		return (-1);
	if (imsg_get_type(imsg) == IMSG_STANZA) {
#ifdef REGRESS
		if (regress_leaf_stanza(imsg))
			return (0);
#endif
		upload_slot_in(imsg);
		return (0);
	}
	return (upload_admin_dispatch(iev, imsg));
}

static void
uploadd_shutdown(void)
{
	upload_db_close();
}

int
main(int argc, char *argv[])
{
	(void)argv;
	if (argc != 1)
		errx(1, "usage: uploadd (started by xmppd)");
	proc_child_init(PROC_UPLOADD, 0);
	/* From here the root is datadir/upload. */
	uploadd_dirs();
	upload_sign_init();
	upload_db_open(proc_self.conf->global.datadir);
	upload_http_configure(proc_self.conf);
	/*
	 * Files and SQLite's journal are created, written, synced, renamed
	 * and removed under the root; connections are accepted on the
	 * listeners xmppd passed.
	 */
	sandbox("stdio rpath wpath cpath flock inet recvfd");
	upload_admin_start();
	proc_self.dispatch = uploadd_dispatch;
	proc_self.config_commit = uploadd_config_commit;
	proc_self.shutdown = uploadd_shutdown;
	proc_child_run();
	return (0);
}
