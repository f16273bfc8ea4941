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
 * Contact addresses (XEP-0157): the domain's "contact" lines as the
 * serverinfo form of its disco#info, one list-multi field per kind.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <string.h>

#include "config.h"
#include "proc.h"
#include "router.h"
#include "xml.h"

#define NS_SERVERINFO	"http://jabber.org/network/serverinfo"

/* Add the form of the domain to (a server JID) to q, if it has one. */
int
contact_disco(struct xml_node *q, const char *to)
{
	static const char *const kinds[CONTACT_NKINDS] = {
		"abuse-addresses", "admin-addresses", "feedback-addresses",
		"sales-addresses", "security-addresses", "support-addresses"
	};
	struct domain_conf	*d;
	struct xml_node		*x, *f;
	char			 domain[CONF_NAMELEN];
	int			 k, i;

	if (strlcpy(domain, to, sizeof(domain)) >= sizeof(domain))
		return (0);
	domain[strcspn(domain, "/")] = '\0';
	if ((d = config_domain(proc_self.conf, domain)) == NULL ||
	    d->ncontacts == 0)
		return (0);
	if ((x = adhoc_form("result", NS_SERVERINFO, NULL)) == NULL)
		return (-1);
	xml_append(q, x);
	for (k = 0; k < CONTACT_NKINDS; k++) {
		f = NULL;
		for (i = 0; i < d->ncontacts; i++) {
			if (d->contacts[i].kind != k)
				continue;
			if ((f == NULL && (f = adhoc_field(x, kinds[k],
			    "list-multi", NULL, 0)) == NULL) ||
			    adhoc_value(f, d->contacts[i].uri) == -1)
				return (-1);
		}
	}
	return (0);
}
