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
 * XEP-0156 discovery over HTTP, in the stream process's HTTP server
 * (http_web.c): /.well-known/host-meta (XRD) and host-meta.json (JRD)
 * name the WebSocket and BOSH URLs of the host the client asked for.  The URL is
 * made of the request's Host header, checked to be a host name or
 * address and a port, so each domain served here gets its own; only a
 * TLS listener names one, since logins need TLS.  CORS, by the global
 * cors lines, lets web clients from elsewhere read it.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "http.h"
#include "http_bosh.h"
#include "http_web.h"
#include "stream.h"
#include "xml.h"

#define HM_PATH		"/.well-known/host-meta"
#define HM_PATH_JSON	"/.well-known/host-meta.json"
#define NS_XRD		"http://docs.oasis-open.org/ns/xri/xrd-1.0"
#define REL_WS		"urn:xmpp:alt-connections:websocket"
#define REL_BOSH	"urn:xmpp:alt-connections:xbosh"
#define HM_HOST_MAX	300

int
http_hostmeta_path(const char *path)
{
	return (strcmp(path, HM_PATH) == 0 || strcmp(path, HM_PATH_JSON) == 0);
}

/*
 * scheme://host/path in url, from Host (scheme "wss://" or
 * "https://"); -1 if it is no host.
 */
static int
http_hostmeta_url(const struct http_request *req, const char *scheme,
    const char *path, char *url, size_t size)
{
	const char	*host = http_header(req, "Host");
	char		 h[HM_HOST_MAX];
	size_t		 i;

	if (host == NULL || *host == '\0' || strlcpy(h, host, sizeof(h)) >=
	    sizeof(h))
		return (-1);
	for (i = 0; h[i] != '\0'; i++) {
		if (h[i] >= 'A' && h[i] <= 'Z')
			h[i] += 'a' - 'A';
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789.-:[]",
		    h[i]) == NULL)
			return (-1);
	}
	if (strlcpy(url, scheme, size) >= size ||
	    strlcat(url, h, size) >= size ||
	    strlcat(url, path, size) >= size)
		return (-1);
	return (0);
}

/* The XRD document of XEP-0156 section 3.2.1. */
static int
http_hostmeta_xrd(const char *ws, const char *bosh, struct xml_buf *b)
{
	struct xml_node	*xrd, *link;
	int		 r;

	if ((xrd = xml_node_new(NS_XRD, "XRD")) == NULL)
		return (-1);
	if (ws != NULL && ((link = xml_add_child(xrd, NS_XRD,
	    "Link")) == NULL || xml_set_attr(link, "rel", REL_WS) == -1 ||
	    xml_set_attr(link, "href", ws) == -1 ||
	    (link = xml_add_child(xrd, NS_XRD, "Link")) == NULL ||
	    xml_set_attr(link, "rel", REL_BOSH) == -1 ||
	    xml_set_attr(link, "href", bosh) == -1)) {
		xml_node_free(xrd);
		return (-1);
	}
	r = xml_buf_addstr(b, "<?xml version='1.0' encoding='utf-8'?>\n");
	if (r == 0)
		r = xml_serialize(xrd, NULL, b);
	xml_node_free(xrd);
	return (r);
}

/*
 * The JRD of XEP-0156 section 3.2.2.  The URLs hold only the characters
 * http_hostmeta_url() lets through: none needs escaping in JSON.
 */
static int
http_hostmeta_jrd(const char *ws, const char *bosh, struct xml_buf *b)
{
	if (xml_buf_addstr(b, "{\"links\":[") == -1 || (ws != NULL &&
	    (xml_buf_addstr(b, "{\"rel\":\"" REL_WS "\",\"href\":\"") == -1 ||
	    xml_buf_addstr(b, ws) == -1 || xml_buf_addstr(b, "\"},") == -1 ||
	    xml_buf_addstr(b, "{\"rel\":\"" REL_BOSH "\",\"href\":\"") ==
	    -1 || xml_buf_addstr(b, bosh) == -1 ||
	    xml_buf_addstr(b, "\"}") == -1)) ||
	    xml_buf_addstr(b, "]}\n") == -1)
		return (-1);
	return (0);
}

/* A request for host-meta; tls: the listener's (URLs are named). */
int
http_hostmeta(struct http_conn *hc, struct http_request *req, int tls)
{
	char		 ws[HM_HOST_MAX + 32], bosh[HM_HOST_MAX + 32];
	struct xml_buf	 b;
	int		 json = strcmp(req->path, HM_PATH_JSON) == 0, r;

	if (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD)
		return (http_error(hc, 405) == -1 ? -1 : 0);
	if (http_hostmeta_url(req, "wss://", WS_PATH, ws, sizeof(ws)) == -1 ||
	    http_hostmeta_url(req, "https://", BOSH_PATH, bosh,
	    sizeof(bosh)) == -1)
		return (http_error(hc, 400) == -1 ? -1 : 0);
	xml_buf_init(&b, 0);
	r = json ? http_hostmeta_jrd(tls ? ws : NULL, bosh, &b) :
	    http_hostmeta_xrd(tls ? ws : NULL, bosh, &b);
	if (r == -1 || http_response_begin(hc, 200, NULL) == -1 ||
	    http_response_header(hc, "Content-Type", json ?
	    "application/json" : "application/xrd+xml") == -1 ||
	    http_web_cors(hc, http_header(req, "Origin")) == -1 ||
	    http_response_body(hc, b.data, b.len) == -1)
		r = -1;
	xml_buf_free(&b);
	return (r);
}
