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
 * vcard-temp (XEP-0054).  For users of "auth ldap" domains ldapauthd
 * reads the vCard from the directory, which owns it, so it cannot be
 * set here.  Internal accounts keep theirs in the store: each sets its
 * own, anyone may get anyone's.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define NS_VCARD	"vcard-temp"
#define VCARD_WAIT_MAX	256	/* requests waiting for ldapauthd */
#define VCARD_TIMEOUT	30	/* seconds */
#define VCARD_TEXT_MAX	1024
#define VCARD_STORE_MAX	(256 * 1024)	/* a stored vCard, serialized */

struct vcard_req {
	TAILQ_ENTRY(vcard_req)	 entry;
	uint32_t		 id;
	int			 stream;
	uint32_t		 session;
	time_t			 sent;
	char			*xml;		/* the request */
	uint32_t		 hold;		/* router_order.c */
};

static TAILQ_HEAD(, vcard_req)	 vcard_reqs =
				    TAILQ_HEAD_INITIALIZER(vcard_reqs);
static int			 vcard_nreqs;
static uint32_t			 vcard_id;
static struct event		 vcard_timer;

static int
vcard_ok(const char *s, size_t len)
{
	return (len > 0 && len <= VCARD_TEXT_MAX && ldap_text_ok(s, len));
}

static void
vcard_text(struct xml_node *parent, const char *name, const char *s,
    size_t len)
{
	(void)xml_add_text(xml_add_child(parent, NULL, name), s, len);
}

static const char *
vcard_type(const uint8_t *p, size_t len)
{
	static const uint8_t	 png[] = { 0x89, 'P', 'N', 'G' };

	if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return ("image/jpeg");
	if (len >= 4 && memcmp(p, png, 4) == 0)
		return ("image/png");
	if (len >= 4 && memcmp(p, "GIF8", 4) == 0)
		return ("image/gif");
	return ("application/octet-stream");
}

static void
vcard_photo(struct xml_node *v, const uint8_t *p, size_t len)
{
	struct xml_node	*ph;
	const char	*type;
	char		*b64;
	size_t		 n = BASE64_ENCLEN(len) + 1;
	int		 k;

	if (len == 0)
		return;
	if ((b64 = malloc(n)) == NULL)
		fatal("%s", __func__);
	type = vcard_type(p, len);
	if ((k = base64_encode(p, len, b64, n)) > 0 &&
	    (ph = xml_add_child(v, NULL, "PHOTO")) != NULL) {
		vcard_text(ph, "TYPE", type, strlen(type));
		vcard_text(ph, "BINVAL", b64, k);
	}
	free(b64);
}

/* The vCard: the fields the directory has, each only if fit for XML. */
static struct xml_node *
vcard_build(struct xml_node *iq, const struct ldap_vcard *vc,
    const char *p)
{
	struct xml_node	*r, *v, *e;

	if ((r = router_iq_result(iq)) == NULL ||
	    (v = xml_add_child(r, NS_VCARD, "vCard")) == NULL) {
		xml_node_free(r);
		return (NULL);
	}
	if (vcard_ok(p, vc->fnlen))
		vcard_text(v, "FN", p, vc->fnlen);
	p += vc->fnlen;
	if (vcard_ok(p, vc->nicklen))
		vcard_text(v, "NICKNAME", p, vc->nicklen);
	p += vc->nicklen;
	if (vcard_ok(p, vc->emaillen) &&
	    (e = xml_add_child(v, NULL, "EMAIL")) != NULL) {
		(void)xml_add_child(e, NULL, "INTERNET");
		vcard_text(e, "USERID", p, vc->emaillen);
	}
	p += vc->emaillen;
	if (vcard_ok(p, vc->tellen) &&
	    (e = xml_add_child(v, NULL, "TEL")) != NULL)
		vcard_text(e, "NUMBER", p, vc->tellen);
	p += vc->tellen;
	vcard_photo(v, (const uint8_t *)p, vc->photolen);
	return (r);
}

/*
 * Answer a request: the vCard, or why not (vc NULL: ldapauthd gone),
 * to whoever asked, the way stored vCards are answered (xs_iq_done()).
 */
static void
vcard_done(struct vcard_req *v, const struct ldap_vcard *vc, const char *p)
{
	struct xs_iq	*q;
	struct xml_node	*iq, *r;

	TAILQ_REMOVE(&vcard_reqs, v, entry);
	vcard_nreqs--;
	if ((iq = router_parse(v->xml, strlen(v->xml), NS_CLIENT)) != NULL) {
		if (vc == NULL || vc->status == LDAP_USER_ERROR)
			r = router_error(iq, "wait", "service-unavailable");
		else if (vc->status == LDAP_USER_NONE)
			r = router_error(iq, "cancel", "item-not-found");
		else
			r = vcard_build(iq, vc, p);
		if (r == NULL)
			r = router_error(iq, "wait", "internal-server-error");
		if ((q = calloc(1, sizeof(*q))) == NULL)
			fatal("%s", __func__);
		q->stream = v->stream;
		q->session = v->session;
		q->iq = iq;
		xs_iq_done(q, r);
	}
	router_release(v->hold);
	free(v->xml);
	free(v);
}

static void
vcard_timer_arm(void)
{
	struct vcard_req	*v;
	struct timeval		 tv;

	if ((v = TAILQ_FIRST(&vcard_reqs)) == NULL ||
	    evtimer_pending(&vcard_timer, NULL))
		return;
	tv.tv_sec = v->sent + VCARD_TIMEOUT - getmonotime();
	if (tv.tv_sec < 1)
		tv.tv_sec = 1;
	tv.tv_usec = 0;
	evtimer_add(&vcard_timer, &tv);
}

static void
vcard_timeout(int fd, short ev, void *arg)
{
	struct vcard_req	*v;
	time_t			 now = getmonotime();

	(void)fd;
	(void)ev;
	(void)arg;
	while ((v = TAILQ_FIRST(&vcard_reqs)) != NULL &&
	    now - v->sent >= VCARD_TIMEOUT)
		vcard_done(v, NULL, NULL);
	vcard_timer_arm();
}

/* IMSG_LDAP_VCARD_RESULT; -1 when it is malformed. */
int
vcard_result(struct imsg *imsg)
{
	struct ldap_vcard	 vc;
	struct vcard_req	*v;
	struct ibuf		 ib;
	uint64_t		 len;

	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &vc, sizeof(vc)) == -1 ||
	    vc.status < LDAP_USER_EXISTS || vc.status > LDAP_USER_ERROR ||
	    vc.photolen > LDAP_PHOTO_MAX)
		return (-1);
	len = (uint64_t)vc.fnlen + vc.nicklen + vc.emaillen + vc.tellen +
	    vc.photolen;
	if (len != ibuf_size(&ib))
		return (-1);
	TAILQ_FOREACH(v, &vcard_reqs, entry)
		if (v->id == imsg_get_id(imsg))
			break;
	if (v != NULL)
		vcard_done(v, &vc, ibuf_data(&ib));
	return (0);
}

/* ldapauthd is gone: the requests it had fail. */
void
vcard_ldap_down(void)
{
	struct vcard_req	*v;

	while ((v = TAILQ_FIRST(&vcard_reqs)) != NULL)
		vcard_done(v, NULL, NULL);
}

static void
vcard_stored(struct xs_req *r, struct xs_items *items, void *arg)
{
	struct xs_iq	*q = arg;
	struct xml_node	*res, *v;

	if (r->status != XS_OK) {
		xs_iq_done(q, xs_iq_error(q, r->status));
		return;
	}
	if ((res = router_iq_result(q->iq)) != NULL && !TAILQ_EMPTY(items) &&
	    (v = xs_item_parse(TAILQ_FIRST(items))) != NULL)
		xml_append(res, v);
	xs_iq_done(q, res);
}

/*
 * An internal account's vCard (XEP-0054 sections 3.1-3.3).  Without an
 * account, as for any IQ to one (RFC 6121 section 8.5.1); without a
 * vCard, item-not-found.
 */
static struct xml_node *
vcard_store(struct session *s, struct xml_node *iq, struct xml_node *v,
    struct ldap_user_req *who)
{
	struct xs_req	 r;
	struct xs_iq	*q;
	struct xml_buf	 b;
	int		 set = strcmp(xml_get_attr(iq, "type"), "set") == 0;

	b.data = NULL;
	b.len = 0;
	if (set) {
		if (router_iq_to(s, iq) != IQ_SELF)
			return (router_error(iq, "auth", "forbidden"));
		if (xs_serialize(v, &b, VCARD_STORE_MAX) == -1)
			return (router_error(iq, "modify", "not-acceptable"));
	}
	xs_req_init(&r, set ? XS_PUT : XS_GET, who->localpart, who->domain,
	    "vcard", "vcard");
	q = xs_iq_new(s, iq);
	if (xs_request(&r, b.data, b.len, vcard_stored, q) == -1) {
		xs_iq_done(q, NULL);
		q = NULL;
	}
	if (set)
		xml_buf_free(&b);
	return (q == NULL ? router_error(iq, "wait", "resource-constraint") :
	    NULL);
}

/* The vCard of a bare JID, or of the user's own account with no 'to'. */
static struct xml_node *
vcard_handle(struct session *s, struct xml_node *iq, struct xml_node *q)
{
	struct ldap_user_req	 req;
	struct vcard_req	*v;
	struct imsgev		*iev;
	struct xml_buf		 b;
	struct jid		 j;
	const char		*type = xml_get_attr(iq, "type");

	memset(&req, 0, sizeof(req));
	switch (router_iq_to(s, iq)) {
	case IQ_SELF:
		(void)strlcpy(req.domain, s->user->domain, sizeof(req.domain));
		(void)strlcpy(req.localpart, s->user->local,
		    sizeof(req.localpart));
		break;
	case IQ_ACCOUNT:
		if (jid_parse(xml_get_attr(iq, "to"), &j) == -1 ||
		    j.resource[0] != '\0')
			return (router_error(iq, "cancel",
			    "service-unavailable"));
		(void)strlcpy(req.domain, j.domain, sizeof(req.domain));
		(void)strlcpy(req.localpart, j.local, sizeof(req.localpart));
		break;
	default:
		return (router_error(iq, "cancel", "service-unavailable"));
	}
	if (ldap_domain(req.domain) == NULL)
		return (vcard_store(s, iq, q, &req));
	if (type != NULL && strcmp(type, "set") == 0)
		return (router_error(iq, "cancel", "not-allowed"));
	if ((iev = ldap_peer()) == NULL)
		return (router_error(iq, "wait", "service-unavailable"));
	if (vcard_nreqs >= VCARD_WAIT_MAX)
		return (router_error(iq, "wait", "resource-constraint"));
	xml_buf_init(&b, 0);
	if (xml_serialize(iq, NS_CLIENT, &b) == -1 ||
	    xml_buf_add(&b, "", 1) == -1) {
		xml_buf_free(&b);
		return (router_error(iq, "wait", "internal-server-error"));
	}
	if ((v = calloc(1, sizeof(*v))) == NULL)
		fatal("%s", __func__);
	v->id = ++vcard_id;
	v->stream = s->stream;
	v->session = s->id;
	v->sent = getmonotime();
	v->xml = b.data;
	v->hold = router_hold();
	TAILQ_INSERT_TAIL(&vcard_reqs, v, entry);
	vcard_nreqs++;
	imsgev_compose(iev, IMSG_LDAP_VCARD, v->id, 0, -1, &req, sizeof(req));
	vcard_timer_arm();
	return (NULL);
}

void
vcard_init(void)
{
	evtimer_set(&vcard_timer, vcard_timeout, NULL);
}

const struct iq_feature vcard_feature = { NS_VCARD, "vCard", vcard_handle };
