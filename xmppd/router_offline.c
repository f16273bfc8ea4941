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
 * Offline messages (XEP-0160): a chat or normal message with a body or a
 * subject (or a XEP-0334 <store/> hint), for a user with no available
 * resource, is stored with a XEP-0203 delay stamp and delivered once
 * after the user's next initial presence; one with a <no-store/> hint
 * never is, and its sender gets service-unavailable (RFC 6121 section
 * 8.5.2.2.1).  For a user of an "auth ldap" domain the directory is
 * asked first.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define NS_DELAY	"urn:xmpp:delay"

/* A message waiting for the directory's word on its recipient. */
struct offline_wait {
	struct offline_req	 req;
	char			*xml;
	size_t			 len;
};

static void	offline_checked(const char *, const char *, int, void *);

/*
 * The server's disco#info names msgoffline (XEP-0160 section 4), for
 * every domain alike: the entity capabilities hash (caps.c) is one for
 * all.  A domain with an offline limit of 0 has a queue always full, and
 * its senders hear service-unavailable, as section 2 has it.
 */
int
offline_disco(struct xml_node *q)
{
	struct xml_node	*f;

	if ((f = xml_add_child(q, NULL, "feature")) == NULL ||
	    xml_set_attr(f, "var", NS_MSGOFFLINE) == -1)
		return (-1);
	return (0);
}

/* XEP-0334: a hint decides, else a body or a subject makes it worth keeping. */
static int
offline_wanted(struct xml_node *n)
{
	if (xml_find_child(n, NS_HINTS, "no-store") != NULL)
		return (0);
	return (xml_find_child(n, NS_CLIENT, "body") != NULL ||
	    xml_find_child(n, NS_CLIENT, "subject") != NULL ||
	    xml_find_child(n, NS_HINTS, "store") != NULL);
}

static void
offline_req(struct offline_req *r, struct user *u, const char *local,
    const char *domain)
{
	struct domain_conf	*d;

	memset(r, 0, sizeof(*r));
	(void)strlcpy(r->localpart, u != NULL ? u->local : local,
	    sizeof(r->localpart));
	(void)strlcpy(r->domain, u != NULL ? u->domain : domain,
	    sizeof(r->domain));
	d = config_domain(proc_self.conf, r->domain);
	r->limit = d != NULL ? d->offline_limit : 0;
}

static void
offline_send(struct offline_req *req, const char *xml, size_t len)
{
	struct iovec	 iov[2];
	struct imsgev	*store;

	if ((store = proc_peer(PROC_STORE, 0)) == NULL)
		return;
	iov[0].iov_base = req;
	iov[0].iov_len = sizeof(*req);
	iov[1].iov_base = (void *)xml;
	iov[1].iov_len = len;
	/* The sender's next stanzas wait for the answer (router_order.c). */
	imsgev_composev(store, IMSG_OFFLINE_STORE, router_hold(), 0, -1, iov,
	    2);
}

/*
 * Keep m for the user it is addressed to.  Returns 0 when handed to the
 * store (or to the directory check before it), or refused because it
 * cannot be read (it is not stored unseen), -1 when the message is not
 * one to keep.
 */
static int
offline_keep(struct session *from, struct stanza_msg *m)
{
	struct offline_req	 req;
	struct offline_wait	*w;
	struct xml_node		*n, *delay;
	struct xml_buf		 b;
	struct jid		 j;
	char			 stamp[32];
	time_t			 now = time(NULL);
	struct tm		 tm;

	if ((strcmp(m->type, "chat") != 0 && strcmp(m->type, "normal") != 0 &&
	    m->type[0] != '\0') || jid_parse(m->to, &j) == -1 ||
	    proc_peer(PROC_STORE, 0) == NULL)
		return (-1);
	if ((n = router_parse(m->xml, m->xmllen, NS_CLIENT)) == NULL) {
		router_refuse(from, m, "offline");
		return (0);
	}
	if (!offline_wanted(n)) {
		xml_node_free(n);
		return (-1);
	}
	gmtime_r(&now, &tm);
	(void)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((delay = xml_add_child(n, NS_DELAY, "delay")) != NULL) {
		xml_set_attr(delay, "from", j.domain);
		xml_set_attr(delay, "stamp", stamp);
	}
	xml_buf_init(&b, 0);
	if (xml_serialize(n, NS_CLIENT, &b) == -1) {
		xml_node_free(n);
		xml_buf_free(&b);
		return (-1);
	}
	xml_node_free(n);
	offline_req(&req, NULL, j.local, j.domain);
	req.stream = from->stream;
	req.session = from->id;
	(void)strlcpy(req.sender, m->from, sizeof(req.sender));
	if (ldap_domain(j.domain) != NULL) {
		if ((w = calloc(1, sizeof(*w))) == NULL)
			fatal("%s", __func__);
		w->req = req;
		w->xml = b.data;
		w->len = b.len;
		ldap_user_check(j.domain, j.local, offline_checked, w);
		return (0);
	}
	offline_send(&req, b.data, b.len);
	xml_buf_free(&b);
	return (0);
}

/* A session became available: its waiting messages come to it. */
static void
offline_fetch(struct session *s, int initial)
{
	struct offline_req	 req;
	struct imsgev		*store;

	if (!initial || s->priority < 0 ||
	    (store = proc_peer(PROC_STORE, 0)) == NULL)
		return;
	offline_req(&req, s->user, NULL, NULL);
	req.stream = s->stream;
	req.session = s->id;
	imsgev_compose(store, IMSG_OFFLINE_FETCH, 0, 0, -1, &req, sizeof(req));
}

/* The store refused a message: its sender hears why. */
/*
 * The store refused a message: its sender hears so, if it is still
 * there (a session, or a component on that connection).
 */
static void
offline_refused(struct offline_res *res, const char *xml, size_t len)
{
	struct xml_node	*n, *r;
	struct imsgev	*iev;
	uint32_t	 id = res->req.session;

	res->req.sender[sizeof(res->req.sender) - 1] = '\0';
	if (res->status == OFFLINE_STORED ||
	    (session_find_id(res->req.stream, id) == NULL &&
	    component_at(res->req.stream, id) == NULL) ||
	    (iev = proc_peer(PROC_STREAM, res->req.stream)) == NULL)
		return;
	if ((n = router_parse(xml, len, NS_CLIENT)) == NULL) {
		log_warnx("offline: a message from %s was refused, and cannot "
		    "be read to tell its sender", res->req.sender);
		return;
	}
	/* The store could not decide: the sender may try again later. */
	if ((r = res->status == OFFLINE_ERROR ? router_error(n, "wait",
	    "resource-constraint") : router_error(n, "cancel",
	    "service-unavailable")) != NULL)
		(void)stanza_send(iev, id, id, r, NS_CLIENT);
	xml_node_free(r);
	xml_node_free(n);
}

/*
 * The directory does not know the recipient: refused as for an account
 * that does not exist.  Otherwise the store decides, as for any other.
 */
static void
offline_checked(const char *domain, const char *local, int status,
    void *arg)
{
	struct offline_wait	*w = arg;
	struct offline_res	 res;

	(void)domain;
	(void)local;
	if (status == LDAP_USER_NONE) {
		memset(&res, 0, sizeof(res));
		res.req = w->req;
		res.status = OFFLINE_NO_ACCOUNT;
		offline_refused(&res, w->xml, w->len);
	} else
		offline_send(&w->req, w->xml, w->len);
	free(w->xml);
	free(w);
}

int
offline_dispatch_router(struct imsgev *iev, struct imsg *imsg)
{
	struct offline_res	 res;
	struct offline_req	 req;
	struct session		*s;
	struct ibuf		 ib;
	void			*ctx;

	switch (imsg_get_type(imsg)) {
	case IMSG_OFFLINE_STORED:
	case IMSG_OFFLINE_MSG:
	case IMSG_OFFLINE_END:
		break;
	default:
		return (1);
	}
	if (iev->type != PROC_STORE || imsg_get_ibuf(imsg, &ib) == -1)
		return (-1);
	switch (imsg_get_type(imsg)) {
	case IMSG_OFFLINE_STORED:
		if (ibuf_get(&ib, &res, sizeof(res)) == -1)
			return (-1);
		ctx = router_enter(imsg_get_id(imsg));
		offline_refused(&res, ibuf_data(&ib), ibuf_size(&ib));
		router_leave(imsg_get_id(imsg), ctx);
		return (0);
	case IMSG_OFFLINE_MSG:
		if (ibuf_get(&ib, &req, sizeof(req)) == -1)
			return (-1);
		if ((s = session_find_id(req.stream, req.session)) != NULL)
			router_deliver_xml(s, STANZA_MESSAGE, ibuf_data(&ib),
			    ibuf_size(&ib));
		else
			log_warnx("offline message for %s@%s lost: session "
			    "gone", req.localpart, req.domain);
		return (0);
	case IMSG_OFFLINE_END:
		return (0);
	}
	return (1);
}

const struct router_hooks offline_hooks = {
	NULL, offline_fetch, offline_keep
};
