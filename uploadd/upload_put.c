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
 * PUT: a file arrives on its slot's URL.  Only with the slot's valid
 * signature, before the slot expires, once, with the Content-Length and
 * Content-Type the slot was given for.  The body goes to tmp/SLOT and
 * is renamed to files/SLOT when it is complete and synced: a file that
 * is served is always whole.  Anything short of that removes tmp/SLOT.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "upload.h"
#include "upload_http.h"

#define UPLOAD_PATH_MAX		(sizeof(UPLOAD_DIR_FILES) + UPLOAD_SLOT_LEN + 2)

static TAILQ_HEAD(, upload_conn) upload_puts =
				    TAILQ_HEAD_INITIALIZER(upload_puts);

/* Is a PUT of the slot running?  Its slot is then not to be removed. */
int
upload_put_busy(const char *slot)
{
	struct upload_conn	*uc;

	TAILQ_FOREACH(uc, &upload_puts, entry)
		if (strcmp(uc->file.slot, slot) == 0)
			return (1);
	return (0);
}

static void
upload_put_path(char *buf, size_t len, const char *dir, const char *slot)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, slot) >= len)
		fatalx("%s: path too long", __func__);
}

/* The ?s=SIG of the URL, or NULL. */
static const char *
upload_put_sig(struct http_request *req)
{
	if (req->query == NULL || strncmp(req->query, "s=", 2) != 0 ||
	    strlen(req->query + 2) != UPLOAD_SIG_LEN)
		return (NULL);
	return (req->query + 2);
}

/* The request's Content-Type is the slot's (none for a slot without). */
static int
upload_put_type(struct http_request *req, const struct upload_file *f)
{
	const char	*type = http_header(req, "Content-Type");

	if (f->type[0] == '\0')
		return (type == NULL ||
		    strcasecmp(type, "application/octet-stream") == 0);
	return (type != NULL && strcmp(type, f->type) == 0);
}

/* Every check a PUT must pass before its body is read: 0 or a status. */
static int
upload_put_check(struct upload_conn *uc, struct http_request *req,
    struct upload_file *f, const char **why)
{
	int	 rc;

	if ((rc = upload_http_target(uc, req, f)) != 0) {
		*why = "no such slot";
		return (rc == 404 ? 403 : rc);
	}
	if (upload_sign_check(f, upload_put_sig(req)) != 0) {
		*why = "bad signature";
		return (403);
	}
	if (f->state != UPLOAD_PENDING || upload_put_busy(f->slot)) {
		*why = "slot already used";
		return (409);
	}
	if (time(NULL) >= f->expires) {
		*why = "slot expired";
		return (403);
	}
	if (req->content_length == -1) {
		*why = "no Content-Length";
		return (411);
	}
	if (req->content_length != f->size) {
		*why = "Content-Length is not the slot's size";
		return (req->content_length > f->size ? 413 : 400);
	}
	if (!upload_put_type(req, f)) {
		*why = "Content-Type is not the slot's";
		return (415);
	}
	return (0);
}

int
upload_put_request(struct upload_conn *uc, struct http_request *req)
{
	struct upload_file	 f;
	char			 path[UPLOAD_PATH_MAX];
	const char		*why = NULL;
	int			 status;

	if ((status = upload_put_check(uc, req, &f, &why)) != 0)
		return (upload_http_refuse(uc, status, why));
	upload_put_path(path, sizeof(path), UPLOAD_DIR_TMP, f.slot);
	if ((uc->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		log_warn("%s", path);
		return (upload_http_refuse(uc, errno == ENOSPC ||
		    errno == EDQUOT ? 507 : 500, "cannot create the file"));
	}
	uc->file = f;
	uc->failed = 0;
	uc->off = 0;
	uc->end = f.size;
	uc->putting = 1;
	TAILQ_INSERT_TAIL(&upload_puts, uc, entry);
	log_debug("%s: PUT %s, %lld bytes", uc->addr, f.slot,
	    (long long)f.size);
	return (0);
}

/* Forget the PUT, and the partial file with it. */
static void
upload_put_abort(struct upload_conn *uc)
{
	char	 path[UPLOAD_PATH_MAX];

	if (!uc->putting)
		return;
	TAILQ_REMOVE(&upload_puts, uc, entry);
	uc->putting = 0;
	if (uc->fd != -1) {
		close(uc->fd);
		uc->fd = -1;
	}
	upload_put_path(path, sizeof(path), UPLOAD_DIR_TMP, uc->file.slot);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("%s", path);
}

/*
 * A write failed: the partial file is removed at once, the rest of the
 * body is read and thrown away, and the answer (507 when the disk is
 * full) comes after it, where the client reads it.
 */
static int
upload_put_fail(struct upload_conn *uc, const char *what)
{
	uc->failed = errno == ENOSPC || errno == EDQUOT ? 507 : 500;
	log_warn("%s %s/%s", what, UPLOAD_DIR_TMP, uc->file.slot);
	upload_put_abort(uc);
	return (0);
}

int
upload_put_body(struct upload_conn *uc, const void *p, size_t len)
{
	const char	*b = p;
	ssize_t		 n;

	if ((int64_t)len > uc->end - uc->off)
		return (-1);
	if (uc->failed) {
		uc->off += len;
		return (0);
	}
	if (!uc->putting)
		return (-1);
	while (len > 0) {
		if ((n = write(uc->fd, b, len)) == -1) {
			if (errno == EINTR)
				continue;
			uc->off += len;
			return (upload_put_fail(uc, "write"));
		}
		b += n;
		len -= n;
		uc->off += n;
	}
	return (0);
}

/*
 * The whole body is there: synced, renamed into files/, then the
 * database says done.  Should uploadd die between the rename and the
 * database, the file is found complete at the next start.
 */
int
upload_put_done(struct upload_conn *uc)
{
	char	 tmp[UPLOAD_PATH_MAX], path[UPLOAD_PATH_MAX];
	int	 rc;

	if (uc->off != uc->end)
		return (-1);
	if (!uc->failed && fsync(uc->fd) == -1)
		(void)upload_put_fail(uc, "fsync");
	if (uc->failed || !uc->putting)
		return (upload_http_refuse(uc, uc->failed ? uc->failed : 500,
		    uc->failed == 507 ? "disk full" : "cannot write"));
	upload_put_path(tmp, sizeof(tmp), UPLOAD_DIR_TMP, uc->file.slot);
	upload_put_path(path, sizeof(path), UPLOAD_DIR_FILES, uc->file.slot);
	if (rename(tmp, path) == -1) {
		(void)upload_put_fail(uc, "rename");
		return (upload_http_refuse(uc, uc->failed, "cannot rename"));
	}
	close(uc->fd);
	uc->fd = -1;
	TAILQ_REMOVE(&upload_puts, uc, entry);
	uc->putting = 0;
	uc->answered = 1;
	if ((rc = upload_db_done(uc->file.slot, time(NULL))) != 0) {
		/* Purged or expired meanwhile: the file goes with the slot. */
		log_warnx("%s: slot %s: %s", uc->addr, uc->file.slot,
		    rc == 1 ? "gone during the upload" : "database error");
		if (rc == 1 && unlink(path) == -1)
			log_warn("%s", path);
		return (upload_http_refuse(uc, rc == 1 ? 410 : 500,
		    "not stored"));
	}
	log_info("%s: stored %s, %lld bytes", uc->addr, uc->file.slot,
	    (long long)uc->file.size);
	if (http_response_begin(uc->http, 201, NULL) == -1 ||
	    upload_http_cors(uc) == -1)
		return (-1);
	return (http_response_body(uc->http, NULL, 0));
}

/* The connection went: a PUT not complete leaves nothing behind. */
void
upload_put_closed(struct upload_conn *uc)
{
	int	 cut = uc->putting;

	upload_put_abort(uc);
	if (cut)
		log_info("%s: PUT %s cut after %lld of %lld bytes", uc->addr,
		    uc->file.slot, (long long)uc->off, (long long)uc->end);
}
