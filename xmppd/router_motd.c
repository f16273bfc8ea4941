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
 * The message of the day: the domain's "motd", sent as a headline from
 * the domain to each session when it first becomes available, that is
 * once the client can show it.  One an admin set (XEP-0133) is kept by
 * the store, read back at start and at each reload, and comes before
 * the configured one until it is deleted.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

/* A headline from domain to s (NULL: every available session). */
int
motd_send(const char *domain, struct session *to, const char *subject,
    const char *text)
{
	struct session	*s = to;
	struct imsgev	*iev;
	struct xml_node	*m, *c;
	int		 n = 0;

	if ((m = xml_node_new(NS_CLIENT, "message")) == NULL ||
	    xml_set_attr(m, "from", domain) == -1 ||
	    xml_set_attr(m, "type", "headline") == -1 ||
	    (subject != NULL && ((c = xml_add_child(m, NULL, "subject")) ==
	    NULL || xml_add_text(c, subject, strlen(subject)) == -1)) ||
	    (c = xml_add_child(m, NULL, "body")) == NULL ||
	    xml_add_text(c, text, strlen(text)) == -1) {
		xml_node_free(m);
		return (-1);
	}
	if (to == NULL)
		s = session_next(NULL);
	for (; s != NULL; s = to == NULL ? session_next(s) : NULL) {
		if ((to == NULL && !s->available) ||
		    strcmp(s->user->domain, domain) != 0 ||
		    (iev = proc_peer(PROC_STREAM, s->stream)) == NULL ||
		    xml_set_attr(m, "to", s->full) == -1)
			continue;
		if (stanza_send(iev, s->id, s->id, m, NS_CLIENT) == 0)
			n++;
	}
	xml_node_free(m);
	return (n);
}

#define MOTD_RETRY	10	/* seconds before the store is asked again */
#define MOTD_WAIT_MAX	4096	/* sessions waiting for the stored motds */

/* A domain's stored motd. */
struct motd_stored {
	TAILQ_ENTRY(motd_stored) entry;
	char			 domain[CONF_NAMELEN];
	char			*text;
};
TAILQ_HEAD(motd_list, motd_stored);

/* A set or delete the store has not answered yet. */
struct motd_op {
	TAILQ_ENTRY(motd_op)	 entry;
	uint32_t		 id;
	struct adhoc_req	*req;
	char			*text;		/* NULL: a delete */
	int			 announce;	/* to who is online, too */
};
TAILQ_HEAD(motd_ops, motd_op);

static struct motd_list	 motd_stored = TAILQ_HEAD_INITIALIZER(motd_stored);
static struct motd_list	 motd_loading = TAILQ_HEAD_INITIALIZER(motd_loading);
static struct motd_ops	 motd_ops = TAILQ_HEAD_INITIALIZER(motd_ops);
static uint32_t		 motd_next_id = 1;
/* A session that became available before the stored motds were known. */
struct motd_wait {
	TAILQ_ENTRY(motd_wait)	 entry;
	int			 stream;
	uint32_t		 id;
};
TAILQ_HEAD(motd_waits, motd_wait);

static struct motd_waits motd_waits = TAILQ_HEAD_INITIALIZER(motd_waits);
static int		 motd_nwaits;
static struct event	 motd_retry_ev;
static int		 motd_known;	/* the stored motds were read */
static int		 motd_asked;	/* loads not answered yet */
static int		 motd_failed;	/* the last load */

static void
motd_list_free(struct motd_list *l)
{
	struct motd_stored	*m;

	while ((m = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, m, entry);
		free(m->text);
		free(m);
	}
}

static struct motd_stored *
motd_find(const char *domain)
{
	struct motd_stored	*m;

	TAILQ_FOREACH(m, &motd_stored, entry)
		if (strcmp(m->domain, domain) == 0)
			return (m);
	return (NULL);
}

/* The domain's motd: the stored one, else the configured one, or NULL. */
const char *
motd_text(const char *domain)
{
	struct domain_conf	*d;
	struct motd_stored	*m;

	if ((d = config_domain(proc_self.conf, domain)) == NULL)
		return (NULL);
	if ((m = motd_find(d->name)) != NULL)
		return (m->text);
	return (d->motd[0] != '\0' ? d->motd : NULL);
}

static void
motd_login(struct session *s)
{
	const char	*text;

	if ((text = motd_text(s->user->domain)) != NULL &&
	    motd_send(s->user->domain, s, NULL, text) == -1)
		log_warnx("%s: the motd of %s not sent", __func__,
		    s->user->domain);
}

/*
 * Until the store said which motds admins set (its database may have
 * been unreachable), a login waits for them: the database that let it
 * log in answers now.
 */
static void
motd_available(struct session *s, int initial)
{
	struct motd_wait	*w;

	if (!initial)
		return;
	if (motd_known || motd_nwaits >= MOTD_WAIT_MAX ||
	    (w = calloc(1, sizeof(*w))) == NULL) {
		motd_login(s);
		return;
	}
	w->stream = s->stream;
	w->id = s->id;
	TAILQ_INSERT_TAIL(&motd_waits, w, entry);
	motd_nwaits++;
	if (motd_asked == 0)
		motd_load();
}

/* The motds are known, or cannot be: the waiting sessions get theirs. */
static void
motd_flush(void)
{
	struct motd_wait	*w;
	struct session		*s;

	while ((w = TAILQ_FIRST(&motd_waits)) != NULL) {
		TAILQ_REMOVE(&motd_waits, w, entry);
		motd_nwaits--;
		if ((s = session_find_id(w->stream, w->id)) != NULL)
			motd_login(s);
		free(w);
	}
}

/* Ask the store for the stored motds (at start, reload, and again). */
void
motd_load(void)
{
	struct imsgev	*store;

	if ((store = proc_peer(PROC_STORE, 0)) == NULL)
		return;
	imsgev_compose(store, IMSG_MOTD_LOAD, 0, 0, -1, NULL, 0);
	motd_asked++;
}

static void
motd_retry(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	motd_load();
}

void
motd_init(void)
{
	evtimer_set(&motd_retry_ev, motd_retry, NULL);
	motd_load();
}

/* A domain's stored motd replaced (text) or gone (NULL). */
static int
motd_put(struct motd_list *l, const char *domain, const char *text,
    size_t len)
{
	struct motd_stored	*m;

	TAILQ_FOREACH(m, l, entry)
		if (strcmp(m->domain, domain) == 0)
			break;
	if (m != NULL) {
		TAILQ_REMOVE(l, m, entry);
		free(m->text);
		free(m);
	}
	if (text == NULL)
		return (0);
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->text = strndup(text, len)) == NULL) {
		free(m);
		return (-1);
	}
	(void)strlcpy(m->domain, domain, sizeof(m->domain));
	TAILQ_INSERT_TAIL(l, m, entry);
	return (0);
}

/*
 * Store the motd of req's domain (text; NULL: delete it); req ends when
 * the store answers.  announce: it goes to the available sessions too.
 */
void
motd_store(struct adhoc_req *req, const char *text, int announce)
{
	struct imsgev	*store;
	struct motd_op	*op;
	struct motd_msg	 mm;
	struct iovec	 iov[2];

	if ((store = proc_peer(PROC_STORE, 0)) == NULL) {
		adhoc_fail(req, "wait", "internal-server-error", NULL,
		    "The store is not running");
		return;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL || (text != NULL &&
	    (op->text = strdup(text)) == NULL)) {
		free(op);
		adhoc_fail(req, "wait", "internal-server-error", NULL, NULL);
		return;
	}
	op->req = req;
	op->announce = announce;
	op->id = motd_next_id++;
	if (motd_next_id == 0)
		motd_next_id = 1;
	memset(&mm, 0, sizeof(mm));
	(void)strlcpy(mm.domain, req->domain, sizeof(mm.domain));
	(void)strlcpy(mm.by, req->admin, sizeof(mm.by));
	iov[0].iov_base = &mm;
	iov[0].iov_len = sizeof(mm);
	iov[1].iov_base = op->text;
	iov[1].iov_len = text != NULL ? strlen(text) : 0;
	imsgev_composev(store, text != NULL ? IMSG_MOTD_SET :
	    IMSG_MOTD_DELETE, op->id, 0, -1, iov, text != NULL ? 2 : 1);
	TAILQ_INSERT_TAIL(&motd_ops, op, entry);
}

/* The store's answer to a set or delete. */
static void
motd_done(struct motd_op *op, struct motd_msg *mm)
{
	struct adhoc_req	*req = op->req;
	char			 note[64];
	int			 n;

	if (!mm->ok && strcmp(mm->why, "no motd was set") == 0)
		adhoc_fail(req, "cancel", "item-not-found", NULL,
		    "No message of the day was set");
	else if (!mm->ok)
		adhoc_fail(req, "wait", "internal-server-error", NULL,
		    mm->why);
	else if (motd_put(&motd_stored, req->domain, op->text, op->text ?
	    strlen(op->text) : 0) == -1)
		adhoc_fail(req, "wait", "internal-server-error", NULL,
		    "Stored, but taken into account after a restart");
	else if (op->text == NULL)
		adhoc_complete(req, "info", "The message of the day was "
		    "deleted", NULL);
	else if (op->announce) {
		n = motd_send(req->domain, NULL, NULL, op->text);
		(void)snprintf(note, sizeof(note), "The message of the day "
		    "was set and sent to %d sessions", n < 0 ? 0 : n);
		adhoc_complete(req, "info", note, NULL);
	} else
		adhoc_complete(req, "info", "The message of the day was set",
		    NULL);
	free(op->text);
	free(op);
}

const struct router_hooks motd_hooks = { NULL, motd_available, NULL };

static void
motd_ctl_fail(struct imsgev *iev, uint32_t id, const char *why)
{
	imsgev_compose(iev, IMSG_CTL_FAIL, id, 0, -1, why, strlen(why) + 1);
}

/*
 * An imsg of a struct (hdr, hlen bytes) then up to max bytes of text:
 * the text, NUL-terminated, to free, and its length; NULL when the
 * sizes are wrong.
 */
static char *
motd_imsg_text(struct imsg *imsg, void *hdr, size_t hlen, size_t max,
    size_t *tlen)
{
	size_t	 len = imsg_get_len(imsg);
	char	*buf;

	if (len < hlen || len - hlen > max)
		return (NULL);
	if ((buf = malloc(len + 1)) == NULL)
		fatal("%s", __func__);
	if (imsg_get_data(imsg, buf, len) == -1)
		fatalx("%s: bad message", __func__);
	memcpy(hdr, buf, hlen);
	*tlen = len - hlen;
	memmove(buf, buf + hlen, *tlen);
	buf[*tlen] = '\0';
	return (buf);
}

/* xmppctl announce: the text to every available session of a domain. */
int
motd_ctl(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_announce	 ca;
	uint32_t		 id = imsg_get_id(imsg);
	size_t			 len;
	char			*text;
	int			 n;

	if ((text = motd_imsg_text(imsg, &ca, sizeof(ca), CTL_ANNOUNCE_MAX,
	    &len)) == NULL)
		return (-1);
	ca.domain[sizeof(ca.domain) - 1] = '\0';
	if (jid_prep_domain(ca.domain, sizeof(ca.domain)) == -1 ||
	    config_domain(proc_self.conf, ca.domain) == NULL)
		motd_ctl_fail(iev, id, "no such domain");
	else if (strlen(text) != len || !xml_text_ok(text, len))
		motd_ctl_fail(iev, id, "the text is not UTF-8 text");
	else if (text[strspn(text, " \t\r\n")] == '\0')
		motd_ctl_fail(iev, id, "the text is empty");
	else if ((n = motd_send(ca.domain, NULL, NULL, text)) == -1)
		motd_ctl_fail(iev, id, "out of memory");
	else {
		log_info("announcement to %s: sent to %d sessions", ca.domain,
		    n);
		ca.sessions = n;
		imsgev_compose(iev, IMSG_CTL_ANNOUNCED, id, 0, -1, &ca,
		    sizeof(ca));
	}
	free(text);
	return (0);
}

/* A stored motd from the store: checked again, kept if its domain is ours. */
static void
motd_loaded_one(struct imsg *imsg)
{
	struct motd_msg	 mm;
	char		*text;
	size_t		 len;

	if ((text = motd_imsg_text(imsg, &mm, sizeof(mm), MOTD_MAX,
	    &len)) == NULL)
		fatalx("%s: bad motd", __func__);
	mm.domain[sizeof(mm.domain) - 1] = '\0';
	if (config_domain(proc_self.conf, mm.domain) == NULL || len == 0 ||
	    strlen(text) != len || !xml_text_ok(text, len))
		log_warnx("%s: the stored motd of %s is ignored", __func__,
		    mm.domain);
	else if (motd_put(&motd_loading, mm.domain, text, len) == -1)
		fatal("%s", __func__);
	free(text);
}

int
motd_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct motd_msg		 mm;
	struct motd_op		*op;
	struct motd_stored	*m;
	struct timeval		 tv = { MOTD_RETRY, 0 };
	int			 n = 0;

	switch (imsg_get_type(imsg)) {
	case IMSG_MOTD:
	case IMSG_MOTD_LOADED:
	case IMSG_MOTD_DONE:
		if (iev->type != PROC_STORE)
			return (-1);
		break;
	default:
		return (1);
	}
	if (imsg_get_type(imsg) == IMSG_MOTD) {
		motd_loaded_one(imsg);
		return (0);
	}
	if (imsg_get_data(imsg, &mm, sizeof(mm)) == -1)
		fatalx("%s: bad answer", __func__);
	mm.why[sizeof(mm.why) - 1] = '\0';
	if (imsg_get_type(imsg) == IMSG_MOTD_LOADED) {
		if (motd_asked > 0)
			motd_asked--;
		if (mm.ok) {
			motd_list_free(&motd_stored);
			TAILQ_CONCAT(&motd_stored, &motd_loading, entry);
			if (motd_failed) {
				TAILQ_FOREACH(m, &motd_stored, entry)
					n++;
				log_info("stored motds read: %d", n);
			}
			motd_known = 1;
			motd_failed = 0;
			motd_flush();
		} else {
			/* Meanwhile the configured motds are used. */
			motd_list_free(&motd_loading);
			if (!motd_failed)
				log_warnx("stored motds not read (%s): asking "
				    "again in %d seconds", mm.why, MOTD_RETRY);
			motd_failed = 1;
			if (motd_asked == 0)
				motd_flush();
			if (!evtimer_pending(&motd_retry_ev, NULL))
				evtimer_add(&motd_retry_ev, &tv);
		}
		return (0);
	}
	TAILQ_FOREACH(op, &motd_ops, entry)
		if (op->id == imsg_get_id(imsg))
			break;
	if (op == NULL) {
		log_warnx("%s: an answer to no request", __func__);
		return (0);
	}
	TAILQ_REMOVE(&motd_ops, op, entry);
	motd_done(op, &mm);
	return (0);
}
