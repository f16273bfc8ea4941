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
 * What xmppctl's files share: the control connection, and XEP-0227
 * import (pie_import.c) and export (pie_export.c), rooms imported into
 * mucd (muc_import.c).
 */

#ifndef XMPPCTL_H
#define XMPPCTL_H

struct imsg;
struct imsgbuf;

#define NS_PIE		"urn:xmpp:pie:0"
#define NS_PIE_OLD	"http://www.xmpp.org/extensions/xep-0227.html#ns"
#define NS_PIE_SCRAM	"urn:xmpp:pie:0#scram"
#define NS_PIE_MAM	"urn:xmpp:pie:0#mam"
#define NS_ROSTER	"jabber:iq:roster"
#define NS_PRIVATE	"jabber:iq:private"
#define NS_VCARD	"vcard-temp"
#define NS_PUBSUB	"http://jabber.org/protocol/pubsub"
#define NS_PUBSUB_OWNER	"http://jabber.org/protocol/pubsub#owner"
#define NS_DATA		"jabber:x:data"
#define NS_PEP_CONF	"urn:xmppd:pep"	/* a node's configuration, stored */
#define NS_MAM2		"urn:xmpp:mam:2"
#define NS_FWD		"urn:xmpp:forward:0"
#define NS_DELAY_	"urn:xmpp:delay"

int	 ctl_connect(const char *);
void	 ctl_get(struct imsgbuf *, struct imsg *);
__dead void ctl_fail_exit(struct imsg *);

int	 pie_check(const char *);
int	 pie_import(struct imsgbuf *, const char *);
int	 pie_export(struct imsgbuf *, const char *, const char *);

struct xml_node;
int	 muc_import_read(const char *, struct xml_node ***);
int	 muc_import(struct imsgbuf *, struct xml_node **, int);

int	 user_state(struct imsgbuf *, int, const char *, const char *);

#endif /* XMPPCTL_H */
