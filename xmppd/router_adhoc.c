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
 * Ad-hoc commands (XEP-0050) of the server's JIDs: their disco items,
 * execution, a form between the first stage and the last kept under a
 * sessionid, cancel.  Every command here is a domain's administration
 * (router_admin.c): only the domain's "admin" accounts, logged in here,
 * may list or run them; anyone else is refused and logged.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "router.h"
#include "stanza.h"
#include "xml.h"

#define NS_COMMANDS	"http://jabber.org/protocol/commands"
#define NS_DISCO_INFO	"http://jabber.org/protocol/disco#info"
#define ADHOC_SESSIONS_MAX	256	/* forms waiting, on the server */
#define ADHOC_SESSIONS_USER	8	/* ... of one session */
#define ADHOC_TIMEOUT		600	/* seconds a form waits */
#define ADHOC_VALUES_MAX	100	/* values of one field */

/* A form sent, waiting for its submission. */
struct adhoc_session {
	TAILQ_ENTRY(adhoc_session) entry;
	char			 id[ADHOC_SIDLEN];
	const struct adhoc_cmd	*cmd;
	char			 domain[CONF_NAMELEN];
	int			 stream;	/* whose: that session only */
	uint32_t		 session;
	time_t			 expires;
};
TAILQ_HEAD(adhoc_sessions, adhoc_session);

static struct adhoc_sessions	 adhoc_sessions =
    TAILQ_HEAD_INITIALIZER(adhoc_sessions);
static int			 adhoc_nsessions;

static const struct adhoc_cmd *
adhoc_cmd(const char *node)
{
	size_t	 i;

	for (i = 0; admin_cmds[i].node != NULL; i++)
		if (strcmp(admin_cmds[i].node, node) == 0)
			return (&admin_cmds[i]);
	return (NULL);
}

/* Is s, a session bound here, an admin of domain? */
static int
adhoc_admin(struct session *s, const char *domain)
{
	struct domain_conf	*d;
	struct admin_conf	*a;

	if (s->stream == -1 || session_find_id(s->stream, s->id) != s ||
	    (d = config_domain(proc_self.conf, domain)) == NULL)
		return (0);
	TAILQ_FOREACH(a, &d->admins, entry)
		if (strcmp(a->jid, s->user->bare) == 0)
			return (1);
	return (0);
}

/*
 * A stanza error to the request n, with an application condition of
 * the commands namespace (app, or NULL) and a text (or NULL).
 */
static struct xml_node *
adhoc_error(const struct xml_node *n, const char *type, const char *cond,
    const char *app, const char *text)
{
	struct xml_node	*r, *e, *t;

	if ((r = stanza_error(n, type, cond)) == NULL)
		return (NULL);
	e = xml_find_child(r, NULL, "error");
	if (text != NULL && ((t = xml_add_child(e, NS_STANZA_ERR, "text")) ==
	    NULL || xml_add_text(t, text, strlen(text)) == -1)) {
		xml_node_free(r);
		return (NULL);
	}
	if (app != NULL && xml_add_child(e, NS_COMMANDS, app) == NULL) {
		xml_node_free(r);
		return (NULL);
	}
	return (r);
}

static void
adhoc_send(struct adhoc_req *req, struct xml_node *r)
{
	struct session	*s;
	struct imsgev	*iev;

	if (r != NULL && (s = session_find_id(req->stream, req->session)) !=
	    NULL && (iev = proc_peer(PROC_STREAM, s->stream)) != NULL)
		(void)stanza_send(iev, s->id, s->id, r, NS_CLIENT);
	xml_node_free(r);
}

static void
adhoc_req_free(struct adhoc_req *req)
{
	xml_node_free(req->iq);
	free(req);
}

/* The answer <command/> of status; NULL when out of memory. */
static struct xml_node *
adhoc_answer(struct adhoc_req *req, const char *status, struct xml_node **c)
{
	struct xml_node	*r;

	if ((r = router_iq_result(req->iq)) == NULL ||
	    (*c = xml_add_child(r, NS_COMMANDS, "command")) == NULL ||
	    xml_set_attr(*c, "node", req->cmd->node) == -1 ||
	    xml_set_attr(*c, "sessionid", req->sessionid) == -1 ||
	    xml_set_attr(*c, "status", status) == -1) {
		xml_node_free(r);
		return (NULL);
	}
	return (r);
}

static void
adhoc_purge(time_t now)
{
	struct adhoc_session	*as, *next;

	TAILQ_FOREACH_SAFE(as, &adhoc_sessions, entry, next)
		if (as->expires <= now ||
		    session_find_id(as->stream, as->session) == NULL) {
			TAILQ_REMOVE(&adhoc_sessions, as, entry);
			adhoc_nsessions--;
			free(as);
		}
}

/* May the session of req wait for one more form? */
static int
adhoc_room(int stream, uint32_t session)
{
	struct adhoc_session	*as;
	int			 n = 0;

	adhoc_purge(time(NULL));
	if (adhoc_nsessions >= ADHOC_SESSIONS_MAX)
		return (0);
	TAILQ_FOREACH(as, &adhoc_sessions, entry)
		if (as->stream == stream && as->session == session)
			n++;
	return (n < ADHOC_SESSIONS_USER);
}

/* The command's next stage is form (taken): sent, and waited for. */
void
adhoc_next(struct adhoc_req *req, struct xml_node *form)
{
	struct adhoc_session	*as;
	struct xml_node		*r, *c, *a;

	if ((as = calloc(1, sizeof(*as))) == NULL ||
	    (r = adhoc_answer(req, "executing", &c)) == NULL ||
	    (a = xml_add_child(c, NULL, "actions")) == NULL ||
	    xml_set_attr(a, "execute", "complete") == -1 ||
	    xml_add_child(a, NULL, "complete") == NULL) {
		free(as);
		xml_node_free(form);
		adhoc_fail(req, "wait", "internal-server-error", NULL, NULL);
		return;
	}
	xml_append(c, form);
	(void)strlcpy(as->id, req->sessionid, sizeof(as->id));
	(void)strlcpy(as->domain, req->domain, sizeof(as->domain));
	as->cmd = req->cmd;
	as->stream = req->stream;
	as->session = req->session;
	as->expires = time(NULL) + ADHOC_TIMEOUT;
	TAILQ_INSERT_TAIL(&adhoc_sessions, as, entry);
	adhoc_nsessions++;
	adhoc_send(req, r);
	adhoc_req_free(req);
}

/*
 * The command is done: a note of type ("info", "warn", "error") and
 * text, and a result form (taken), either may be NULL.
 */
void
adhoc_complete(struct adhoc_req *req, const char *type, const char *text,
    struct xml_node *form)
{
	struct xml_node	*r, *c, *n;

	if ((r = adhoc_answer(req, "completed", &c)) != NULL && text != NULL &&
	    ((n = xml_add_child(c, NULL, "note")) == NULL ||
	    xml_set_attr(n, "type", type) == -1 ||
	    xml_add_text(n, text, strlen(text)) == -1)) {
		xml_node_free(r);
		r = NULL;
	}
	if (r == NULL) {
		xml_node_free(form);
		adhoc_fail(req, "wait", "internal-server-error", NULL, NULL);
		return;
	}
	if (form != NULL)
		xml_append(c, form);
	adhoc_send(req, r);
	adhoc_req_free(req);
}

/* The command failed: a stanza error (RFC 6120 8.3) with its text. */
void
adhoc_fail(struct adhoc_req *req, const char *type, const char *cond,
    const char *app, const char *text)
{
	adhoc_send(req, adhoc_error(req->iq, type, cond, app, text));
	adhoc_req_free(req);
}

/* A request of s for a command of domain, its payload left out. */
static struct adhoc_req *
adhoc_req_new(struct session *s, struct xml_node *iq,
    const struct adhoc_cmd *cmd, const char *domain, const char *sid)
{
	struct adhoc_req	*req;
	const char		*attr[] = { "id", "to", "from", "type" };
	const char		*v;
	size_t			 i;

	if ((req = calloc(1, sizeof(*req))) == NULL ||
	    (req->iq = xml_node_new(NS_CLIENT, "iq")) == NULL) {
		free(req);
		return (NULL);
	}
	for (i = 0; i < nitems(attr); i++)
		if ((v = xml_get_attr(iq, attr[i])) != NULL &&
		    xml_set_attr(req->iq, attr[i], v) == -1) {
			adhoc_req_free(req);
			return (NULL);
		}
	req->stream = s->stream;
	req->session = s->id;
	req->cmd = cmd;
	(void)strlcpy(req->domain, domain, sizeof(req->domain));
	(void)strlcpy(req->admin, s->user->bare, sizeof(req->admin));
	(void)strlcpy(req->sessionid, sid, sizeof(req->sessionid));
	return (req);
}

static struct adhoc_session *
adhoc_session_find(struct session *s, const char *sid,
    const struct adhoc_cmd *cmd, const char *domain)
{
	struct adhoc_session	*as;

	adhoc_purge(time(NULL));
	TAILQ_FOREACH(as, &adhoc_sessions, entry)
		if (strcmp(as->id, sid) == 0 && as->cmd == cmd &&
		    as->stream == s->stream && as->session == s->id &&
		    strcmp(as->domain, domain) == 0)
			return (as);
	return (NULL);
}

/* The first stage: a new sessionid, then the command. */
static struct xml_node *
adhoc_start(struct session *s, struct xml_node *iq,
    const struct adhoc_cmd *cmd, const char *domain)
{
	struct adhoc_req	*req;
	char			 sid[ADHOC_SIDLEN];

	if (!adhoc_room(s->stream, s->id))
		return (adhoc_error(iq, "wait", "resource-constraint", NULL,
		    "Too many commands waiting for their forms"));
	(void)snprintf(sid, sizeof(sid), "%08x%08x", arc4random(),
	    arc4random());
	if ((req = adhoc_req_new(s, iq, cmd, domain, sid)) == NULL)
		return (router_error(iq, "wait", "internal-server-error"));
	cmd->run(req, NULL);
	return (NULL);
}

/* A later stage of session as: a submitted form, or cancel. */
static struct xml_node *
adhoc_continue(struct session *s, struct xml_node *iq, struct xml_node *c,
    struct adhoc_session *as, const char *action)
{
	struct adhoc_req	*req;
	struct xml_node		*x, *r, *rc;
	const char		*type;

	x = xml_find_child(c, NS_XDATA, "x");
	type = xml_get_attr(x, "type");
	if (strcmp(action, "cancel") != 0 && (type == NULL ||
	    strcmp(type, "submit") != 0))
		return (adhoc_error(iq, "modify", "bad-request",
		    "bad-payload", "A submitted form (jabber:x:data) is "
		    "expected"));
	if ((req = adhoc_req_new(s, iq, as->cmd, as->domain, as->id)) ==
	    NULL)
		return (router_error(iq, "wait", "internal-server-error"));
	TAILQ_REMOVE(&adhoc_sessions, as, entry);
	adhoc_nsessions--;
	free(as);
	if (strcmp(action, "cancel") == 0) {
		r = adhoc_answer(req, "canceled", &rc);
		adhoc_req_free(req);
		return (r != NULL ? r :
		    router_error(iq, "wait", "internal-server-error"));
	}
	req->cmd->run(req, x);
	return (NULL);
}

/* The server addressed by iq, with no local part: domain, or NULL. */
static const char *
adhoc_domain(struct session *s, struct xml_node *iq, char *buf, size_t len)
{
	const char	*to = xml_get_attr(iq, "to");

	if (router_iq_to(s, iq) != IQ_SERVER ||
	    strlcpy(buf, to, len) >= len)
		return (NULL);
	buf[strcspn(buf, "/")] = '\0';
	if (config_domain(proc_self.conf, buf) == NULL)
		return (NULL);
	return (buf);
}

static struct xml_node *
adhoc_handle(struct session *s, struct xml_node *iq, struct xml_node *c)
{
	const struct adhoc_cmd	*cmd;
	struct adhoc_session	*as;
	const char		*type = xml_get_attr(iq, "type");
	const char		*node = xml_get_attr(c, "node");
	const char		*sid = xml_get_attr(c, "sessionid");
	const char		*action = xml_get_attr(c, "action");
	const char		*domain;
	char			 buf[CONF_NAMELEN];

	if (type == NULL || strcmp(type, "set") != 0)
		return (router_error(iq, "cancel", "bad-request"));
	if ((domain = adhoc_domain(s, iq, buf, sizeof(buf))) == NULL ||
	    node == NULL || (cmd = adhoc_cmd(node)) == NULL)
		return (router_error(iq, "cancel", "item-not-found"));
	if (!adhoc_admin(s, domain)) {
		log_warnx("%s is not an admin of %s: command %s refused",
		    s->full, domain, cmd->node);
		return (adhoc_error(iq, "auth", "forbidden", NULL,
		    "Only the domain's administrators may run this command"));
	}
	if (action == NULL)
		action = "execute";
	if (strcmp(action, "execute") != 0 && strcmp(action, "cancel") != 0 &&
	    strcmp(action, "complete") != 0)
		return (adhoc_error(iq, "modify", "bad-request",
		    strcmp(action, "next") == 0 || strcmp(action, "prev") == 0 ?
		    "bad-action" : "malformed-action", NULL));
	if (sid == NULL && strcmp(action, "execute") == 0)
		return (adhoc_start(s, iq, cmd, domain));
	if (sid == NULL || (as = adhoc_session_find(s, sid, cmd, domain)) ==
	    NULL)
		return (adhoc_error(iq, "modify", "bad-request",
		    "bad-sessionid", "No such command session"));
	return (adhoc_continue(s, iq, c, as, action));
}

const struct iq_feature adhoc_feature = { NS_COMMANDS, "command",
    adhoc_handle };

/*
 * disco#items of the commands node: the commands s may run (none for
 * whoever is not an admin, XEP-0050 section 2.2); disco#info of a
 * command's node.
 */
struct xml_node *
adhoc_disco(struct session *s, struct xml_node *iq, struct xml_node *query,
    int info)
{
	const struct adhoc_cmd	*cmd = NULL;
	struct xml_node		*r, *q, *i;
	const char		*node = xml_get_attr(query, "node");
	const char		*domain;
	char			 buf[CONF_NAMELEN];
	size_t			 k;
	int			 rv = 0;

	if ((domain = adhoc_domain(s, iq, buf, sizeof(buf))) == NULL ||
	    (info ? (cmd = adhoc_cmd(node)) == NULL :
	    strcmp(node, NS_COMMANDS) != 0))
		return (router_error(iq, "cancel", "item-not-found"));
	if ((r = router_iq_result(iq)) == NULL ||
	    (q = xml_add_child(r, query->ns, "query")) == NULL ||
	    xml_set_attr(q, "node", node) == -1) {
		xml_node_free(r);
		return (NULL);
	}
	if (info)
		rv = (i = xml_add_child(q, NULL, "identity")) == NULL ||
		    xml_set_attr(i, "category", "automation") == -1 ||
		    xml_set_attr(i, "type", "command-node") == -1 ||
		    xml_set_attr(i, "name", cmd->name) == -1 ||
		    (i = xml_add_child(q, NULL, "feature")) == NULL ||
		    xml_set_attr(i, "var", NS_COMMANDS) == -1 ||
		    (i = xml_add_child(q, NULL, "feature")) == NULL ||
		    xml_set_attr(i, "var", NS_XDATA) == -1;
	else if (adhoc_admin(s, domain))
		for (k = 0; rv == 0 && admin_cmds[k].node != NULL; k++)
			rv = admin_cmds[k].listed && ((i = xml_add_child(q,
			    NULL, "item")) == NULL ||
			    xml_set_attr(i, "jid", domain) == -1 ||
			    xml_set_attr(i, "node", admin_cmds[k].node) == -1 ||
			    xml_set_attr(i, "name", admin_cmds[k].name) == -1);
	if (rv != 0) {
		xml_node_free(r);
		return (NULL);
	}
	return (r);
}

/* Data forms (XEP-0004), built as trees the serializer escapes. */

/* <x type='type'/> of the admin FORM_TYPE, with a title or none. */
struct xml_node *
adhoc_form(const char *type, const char *form_type, const char *title)
{
	struct xml_node	*x, *t, *f;

	if ((x = xml_node_new(NS_XDATA, "x")) == NULL)
		return (NULL);
	if (xml_set_attr(x, "type", type) == -1 || (title != NULL &&
	    ((t = xml_add_child(x, NULL, "title")) == NULL ||
	    xml_add_text(t, title, strlen(title)) == -1)) ||
	    (f = adhoc_field(x, "FORM_TYPE", "hidden", NULL, 0)) == NULL ||
	    adhoc_value(f, form_type) == -1) {
		xml_node_free(x);
		return (NULL);
	}
	return (x);
}

struct xml_node *
adhoc_field(struct xml_node *x, const char *var, const char *type,
    const char *label, int required)
{
	struct xml_node	*f;

	if (x == NULL || (f = xml_add_child(x, NULL, "field")) == NULL ||
	    xml_set_attr(f, "var", var) == -1 ||
	    xml_set_attr(f, "type", type) == -1 ||
	    (label != NULL && xml_set_attr(f, "label", label) == -1) ||
	    (required && xml_add_child(f, NULL, "required") == NULL))
		return (NULL);
	return (f);
}

int
adhoc_value(struct xml_node *f, const char *v)
{
	struct xml_node	*n;

	if (f == NULL || (n = xml_add_child(f, NULL, "value")) == NULL ||
	    xml_add_text(n, v, strlen(v)) == -1)
		return (-1);
	return (0);
}

/*
 * The values of field var of the submitted form x, each to free, at
 * most max; their count, 0 for a field absent or empty, -1 for one
 * given twice, with too many values, or when memory ran out.
 */
int
adhoc_values(const struct xml_node *x, const char *var, char **v, int max)
{
	struct xml_node	*f, *c, *found = NULL;
	const char	*name;
	int		 n = 0;

	TAILQ_FOREACH(f, &x->children, entry)
		if (xml_is(f, NS_XDATA, "field") &&
		    (name = xml_get_attr(f, "var")) != NULL &&
		    strcmp(name, var) == 0) {
			if (found != NULL)
				return (-1);
			found = f;
		}
	if (found == NULL)
		return (0);
	TAILQ_FOREACH(c, &found->children, entry) {
		if (!xml_is(c, NS_XDATA, "value"))
			continue;
		if (n == max || n == ADHOC_VALUES_MAX ||
		    (v[n] = xml_text(c)) == NULL) {
			adhoc_values_free(v, n);
			return (-1);
		}
		n++;
	}
	return (n);
}

void
adhoc_values_free(char **v, int n)
{
	while (n > 0) {
		n--;
		freezero(v[n], strlen(v[n]));
	}
}
