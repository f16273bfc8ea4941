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
 * Archive metadata (XEP-0313 section 5, part of urn:xmpp:mam:2#extended):
 * the id and time of the first and last message of one's own archive,
 * so that a client can plan its queries.  The store answers; requests
 * wait with the archive's queries, under their limits.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <string.h>

#include "proc.h"
#include "router.h"
#include "router_mam.h"
#include "xml.h"

static struct xml_node *
mam_meta_handle(struct session *s, struct xml_node *iq, struct xml_node *q)
{
	struct mam_meta	 m;
	struct mam_req	*r;
	struct xml_node	*err;
	const char	*type = xml_get_attr(iq, "type");

	if (mam_own(s, iq, &err) == -1)
		return (err);
	if (type == NULL || strcmp(type, "get") != 0 ||
	    xml_first_child(q) != NULL)
		return (router_error(iq, "modify", "bad-request"));
	if (mam_busy(s))
		return (router_error(iq, "wait", "resource-constraint"));
	memset(&m, 0, sizeof(m));
	mam_owner_of(&m.owner, s);
	r = mam_req_new(s, iq, NULL);
	imsgev_compose(proc_peer(PROC_STORE, 0), IMSG_MAM_META, r->reqid, 0,
	    -1, &m, sizeof(m));
	return (NULL);
}

/* Both ends, or neither for an empty archive; anything else fails. */
static void
mam_meta_result(struct mam_req *r, struct session *s, struct mam_meta *m)
{
	struct xml_node	*iq;
	int		 empty;

	m->start.id[sizeof(m->start.id) - 1] = '\0';
	m->end.id[sizeof(m->end.id) - 1] = '\0';
	empty = m->start.id[0] == '\0';
	if (m->status != MAM_OK || empty != (m->end.id[0] == '\0'))
		iq = router_error(r->iq, "wait", "internal-server-error");
	else if ((iq = router_iq_result(r->iq)) != NULL &&
	    mam_meta_add(iq, empty ? NULL : &m->start, &m->end) == -1) {
		xml_node_free(iq);
		iq = router_error(r->iq, "wait", "internal-server-error");
	}
	mam_send(s, iq);
	xml_node_free(iq);
}

int
mam_meta_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct mam_meta	 m;
	struct mam_req	*r;
	struct session	*s = NULL;

	if (imsg_get_type(imsg) != IMSG_MAM_META_RESULT)
		return (1);
	if (iev->type != PROC_STORE ||
	    imsg_get_data(imsg, &m, sizeof(m)) == -1)
		return (-1);
	if ((r = mam_req_find(imsg_get_id(imsg), &s)) == NULL)
		return (0);
	if (s != NULL)
		mam_meta_result(r, s, &m);
	mam_req_free(r);
	return (0);
}

const struct iq_feature mam_meta_feature = { NS_MAM, "metadata",
    mam_meta_handle };
