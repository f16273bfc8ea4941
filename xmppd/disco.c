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
 * Service Discovery (XEP-0030) for the server and the user's own account.
 * The server's features are the namespaces of the router's IQ table, so
 * a feature added there is announced here; its items are the services
 * configured under its domain.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <string.h>

#include "config.h"
#include "proc.h"
#include "router.h"
#include "xml.h"

#define NS_DISCO_INFO	"http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS	"http://jabber.org/protocol/disco#items"

/* Add <name attr='val'/> to q. */
static struct xml_node *
disco_add(struct xml_node *q, const char *name, const char *attr,
    const char *val)
{
	struct xml_node	*c;

	if ((c = xml_add_child(q, NULL, name)) == NULL ||
	    xml_set_attr(c, attr, val) == -1)
		return (NULL);
	return (c);
}

/* The server's features: each namespace of the IQ table, once. */
static int
disco_features(struct xml_node *q)
{
	const char	*ns;
	size_t		 i, j;

	for (i = 0; (ns = router_feature_ns(i)) != NULL; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(router_feature_ns(j), ns) == 0)
				break;
		if (j == i && disco_add(q, "feature", "var", ns) == NULL)
			return (-1);
	}
	return (0);
}

/* A service named sub.domain is an item of domain. */
static int
disco_item(struct xml_node *q, const char *name, const char *domain)
{
	size_t	 n = strlen(name), d = strlen(domain);

	if (n <= d + 1 || name[n - d - 1] != '.' ||
	    strcmp(name + n - d, domain) != 0)
		return (0);
	return (disco_add(q, "item", "jid", name) == NULL ? -1 : 0);
}

static int
disco_services(struct xml_node *q, const char *to)
{
	struct xmppd_config	*conf = proc_self.conf;
	struct muc_conf		*m;
	struct upload_conf	*u;
	struct component_conf	*c;
	char			 domain[CONF_NAMELEN];

	/* The server's JID, maybe with a resource. */
	if (strlcpy(domain, to, sizeof(domain)) >= sizeof(domain))
		return (0);
	domain[strcspn(domain, "/")] = '\0';
	TAILQ_FOREACH(m, &conf->mucs, entry)
		if (disco_item(q, m->name, domain) == -1)
			return (-1);
	TAILQ_FOREACH(u, &conf->uploads, entry)
		if (disco_item(q, u->name, domain) == -1)
			return (-1);
	TAILQ_FOREACH(c, &conf->components, entry)
		if (disco_item(q, c->name, domain) == -1)
			return (-1);
	return (0);
}

/*
 * An account's items are empty: its resources are known from presence.
 * Another account's info is refused (section 8): subscriptions are not
 * checked here, and refusing every account alike tells nobody which
 * ones exist.
 */
static struct xml_node *
disco_handle(struct session *s, struct xml_node *iq, struct xml_node *query)
{
	struct xml_node	*r, *q, *id;
	const char	*type = xml_get_attr(iq, "type");
	int		 to = router_iq_to(s, iq), rv = 0;
	int		 info = xml_is(query, NS_DISCO_INFO, "query");

	if (info && to == IQ_ACCOUNT)
		return (router_error(iq, "cancel", "service-unavailable"));
	if (type == NULL || strcmp(type, "get") != 0)
		return (router_error(iq, "cancel", "feature-not-implemented"));
	/* The server's nodes are its commands (router_adhoc.c). */
	if (xml_get_attr(query, "node") != NULL && to == IQ_SERVER)
		return (adhoc_disco(s, iq, query, info));
	/* Another account's items are empty whatever asked. */
	if (xml_get_attr(query, "node") != NULL && to != IQ_ACCOUNT)
		return (router_error(iq, "cancel", "item-not-found"));
	if ((r = router_iq_result(iq)) == NULL ||
	    (q = xml_add_child(r, query->ns, "query")) == NULL) {
		xml_node_free(r);
		return (NULL);
	}
	if (info && to == IQ_SERVER)
		rv = (id = disco_add(q, "identity", "category", "server")) ==
		    NULL || xml_set_attr(id, "type", "im") == -1 ||
		    xml_set_attr(id, "name", "xmppd") == -1 ||
		    disco_features(q) == -1 ||
		    offline_disco(q) == -1 ||
		    contact_disco(q, xml_get_attr(iq, "to")) == -1;
	else if (info)
		rv = (id = disco_add(q, "identity", "category", "account")) ==
		    NULL || xml_set_attr(id, "type", "registered") == -1 ||
		    disco_add(q, "feature", "var", NS_DISCO_INFO) == NULL ||
		    disco_add(q, "feature", "var", NS_DISCO_ITEMS) == NULL ||
		    pep_disco(q) == -1 || mam_disco_account(q) == -1;
	else if (to == IQ_SERVER)
		rv = disco_services(q, xml_get_attr(iq, "to"));
	if (rv != 0) {
		xml_node_free(r);
		return (NULL);
	}
	return (r);
}

const struct iq_feature disco_info_feature =
    { NS_DISCO_INFO, "query", disco_handle };
const struct iq_feature disco_items_feature =
    { NS_DISCO_ITEMS, "query", disco_handle };
