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
 * GET and HEAD of files/SLOT, named by its slot and exact file name,
 * with validators, conditional requests and one byte range; the file
 * is read a piece at a time as the connection drains, so memory does
 * not grow with its size.  Every file is sent so that a browser shows
 * it at most, never runs it.  OPTIONS answers web clients' preflights.
 */

#include <sys/types.h>
#include <sys/stat.h>

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

/* Types a browser displays without running anything. */
static const char *const upload_get_inline[] = {
	"image/", "audio/", "video/", "text/plain", "application/pdf",
};

/* One buffer for the whole process: a piece goes straight out. */
static char	 upload_get_buf[UPLOAD_CHUNK];

static int
upload_get_safe(const char *type)
{
	size_t	 i, n, len = strcspn(type, "; \t");

	/* SVG is an image that runs scripts. */
	if (strncasecmp(type, "image/svg", 9) == 0)
		return (0);
	for (i = 0; i < sizeof(upload_get_inline) /
	    sizeof(upload_get_inline[0]); i++) {
		n = strlen(upload_get_inline[i]);
		if (upload_get_inline[i][n - 1] == '/' ? (len > n &&
		    strncasecmp(type, upload_get_inline[i], n) == 0) :
		    (len == n && strncasecmp(type, upload_get_inline[i],
		    n) == 0))
			return (1);
	}
	return (0);
}

/* Does an If-None-Match list hold etag (weak comparison) or "*"? */
static int
upload_get_match(const char *list, const char *etag)
{
	const char	*p = list;
	size_t		 n, elen = strlen(etag);

	while (*p != '\0') {
		p += strspn(p, " \t,");
		if (*p == '*')
			return (1);
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		n = strcspn(p, " \t,");
		if (n == elen && strncmp(p, etag, n) == 0)
			return (1);
		p += n;
	}
	return (0);
}

/* RFC 9110 13.2.2: If-None-Match, else If-Modified-Since. */
static int
upload_get_not_modified(struct http_request *req, const char *etag,
    time_t mtime)
{
	const char	*h;
	time_t		 since;

	if ((h = http_header(req, "If-None-Match")) != NULL)
		return (upload_get_match(h, etag));
	if ((h = http_header(req, "If-Modified-Since")) != NULL &&
	    http_date_parse(h, &since) == 0)
		return (mtime <= since);
	return (0);
}

/* A Range applies unless an If-Range names another version. */
static int
upload_get_range_applies(struct http_request *req, const char *etag,
    const char *lastmod)
{
	const char	*h;

	if ((h = http_header(req, "If-Range")) == NULL)
		return (1);
	return (strcmp(h, etag) == 0 || strcmp(h, lastmod) == 0);
}

static int
upload_get_headers(struct upload_conn *uc, const char *etag,
    const char *lastmod)
{
	struct http_conn	*hc = uc->http;
	const char		*type = uc->file.type[0] != '\0' ?
				    uc->file.type : "application/octet-stream";

	if (http_response_header(hc, "ETag", etag) == -1 ||
	    http_response_header(hc, "Last-Modified", lastmod) == -1 ||
	    http_response_header(hc, "Accept-Ranges", "bytes") == -1 ||
	    http_response_header(hc, "Cache-Control",
	    "public, max-age=86400, immutable") == -1 ||
	    http_response_header(hc, "X-Content-Type-Options",
	    "nosniff") == -1 ||
	    http_response_header(hc, "Content-Security-Policy",
	    "default-src 'none'; sandbox") == -1 ||
	    upload_http_cors(uc) == -1)
		return (-1);
	if (uc->method == -1)
		return (0);	/* 304: no body, no type */
	if (http_response_header(hc, "Content-Type", type) == -1 ||
	    (!upload_get_safe(type) && http_response_header(hc,
	    "Content-Disposition", "attachment") == -1))
		return (-1);
	return (0);
}

/* The file of a done slot, opened, its size checked against the slot. */
static int
upload_get_open(struct upload_conn *uc)
{
	char		 path[sizeof(UPLOAD_DIR_FILES) + UPLOAD_SLOT_LEN + 2];
	struct stat	 st;

	(void)snprintf(path, sizeof(path), "%s/%s", UPLOAD_DIR_FILES,
	    uc->file.slot);
	if ((uc->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("%s", path);
		return (-1);
	}
	if (fstat(uc->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size != uc->file.size) {
		log_warnx("%s: not the file its slot says", path);
		close(uc->fd);
		uc->fd = -1;
		return (-1);
	}
	return (0);
}

int
upload_get_request(struct upload_conn *uc, struct http_request *req)
{
	char		 etag[UPLOAD_SLOT_LEN + 3], lastmod[64], crange[96];
	const char	*h;
	int64_t		 first = 0, last = uc->file.size - 1;
	int		 rc, status = 200, method = req->method;

	if ((rc = upload_http_target(uc, req, &uc->file)) != 0 ||
	    uc->file.state != UPLOAD_DONE || upload_get_open(uc) == -1)
		return (upload_http_refuse(uc, rc != 0 ? rc : 404,
		    "no such file"));
	(void)snprintf(etag, sizeof(etag), "\"%s\"", uc->file.slot);
	if (http_date_format(uc->file.completed, lastmod,
	    sizeof(lastmod)) == -1)
		return (-1);
	last = uc->file.size - 1;
	if (upload_get_not_modified(req, etag, uc->file.completed)) {
		status = 304;
		uc->method = -1;
	} else if ((h = http_header(req, "Range")) != NULL &&
	    upload_get_range_applies(req, etag, lastmod) &&
	    (rc = http_range(h, uc->file.size, &first, &last)) != 1) {
		if (rc == -1) {
			(void)snprintf(crange, sizeof(crange), "bytes */%lld",
			    (long long)uc->file.size);
			upload_get_closed(uc);
			uc->answered = 1;
			return (http_response_begin(uc->http, 416, NULL) == -1 ||
			    http_response_header(uc->http, "Content-Range",
			    crange) == -1 || upload_http_cors(uc) == -1 ||
			    http_response_body(uc->http, NULL, 0) == -1 ?
			    -1 : 0);
		}
		status = 206;
		(void)snprintf(crange, sizeof(crange), "bytes %lld-%lld/%lld",
		    (long long)first, (long long)last,
		    (long long)uc->file.size);
	}
	if (http_response_begin(uc->http, status, NULL) == -1 ||
	    upload_get_headers(uc, etag, lastmod) == -1 ||
	    (status == 206 && http_response_header(uc->http,
	    "Content-Range", crange) == -1))
		return (-1);
	/*
	 * No body follows: the file is closed now, not left open for the
	 * next request of the connection to replace.
	 */
	if (status == 304) {
		upload_get_closed(uc);
		uc->answered = 1;
		return (http_response_body(uc->http, NULL, 0));
	}
	uc->method = method;
	uc->off = first;
	uc->end = last + 1;
	if (http_response_length(uc->http, uc->end - uc->off) == -1)
		return (-1);
	if (method == HTTP_M_HEAD) {
		upload_get_closed(uc);
		uc->answered = 1;
		return (http_response_end(uc->http));
	}
	return (0);
}

/* The next pieces of the file, as long as the connection takes them. */
int
upload_get_more(struct upload_conn *uc)
{
	ssize_t	 n;
	size_t	 want;

	if (uc->answered || uc->fd == -1)
		return (0);
	while (uc->off < uc->end && http_response_more(uc->http)) {
		want = uc->end - uc->off > (int64_t)sizeof(upload_get_buf) ?
		    sizeof(upload_get_buf) : (size_t)(uc->end - uc->off);
		if ((n = pread(uc->fd, upload_get_buf, want, uc->off)) <= 0) {
			log_warn("%s: read %s", uc->addr, uc->file.slot);
			return (-1);
		}
		if (http_response_write(uc->http, upload_get_buf, n) == -1)
			return (-1);
		uc->off += n;
	}
	if (uc->off < uc->end)
		return (0);
	upload_get_closed(uc);
	uc->answered = 1;
	return (http_response_end(uc->http));
}

void
upload_get_closed(struct upload_conn *uc)
{
	if (uc->fd != -1 && !uc->putting) {
		close(uc->fd);
		uc->fd = -1;
	}
}

/* A web client's preflight, on any path: what it may do here. */
int
upload_get_options(struct upload_conn *uc, struct http_request *req)
{
	struct http_conn	*hc = uc->http;

	(void)req;
	uc->answered = 1;
	if (http_response_begin(hc, 204, NULL) == -1 ||
	    http_response_header(hc, "Allow", "GET, HEAD, PUT, OPTIONS") == -1)
		return (-1);
	if (uc->origin[0] != '\0' && (upload_http_cors(uc) == -1 ||
	    http_response_header(hc, "Access-Control-Allow-Methods",
	    "GET, HEAD, PUT, OPTIONS") == -1 ||
	    http_response_header(hc, "Access-Control-Allow-Headers",
	    "Content-Type") == -1 ||
	    http_response_header(hc, "Access-Control-Max-Age", "86400") == -1))
		return (-1);
	return (http_response_body(hc, NULL, 0));
}
