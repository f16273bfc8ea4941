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
 * Service administration (XEP-0133) for a domain's admins, as ad-hoc
 * commands (router_adhoc.c checks who asks).  Each command acts on the
 * domain addressed only.  Accounts are the store's: it is asked as
 * xmppctl(8) asks it, and its answer ends the command.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
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

#define NS_ADMIN		"http://jabber.org/protocol/admin"
#define ADMIN_DELETE_MAX	50	/* accounts in one delete-user */
#define ADMIN_LIST_MAX		1000	/* JIDs in one online users list */
#define ADMIN_DISABLED		"Disabled by an administrator"

/* A request to the store, and what is left to ask it. */
struct admin_op {
	TAILQ_ENTRY(admin_op)	 entry;
	uint32_t		 id;
	uint32_t		 type;		/* IMSG_CTL_USER_* */
	struct adhoc_req	*req;
	char			(*jids)[CONF_JIDLEN];
	int			 njids;
	int			 next;		/* the one asked */
	char			 done[512];	/* deleted, or not */
};
TAILQ_HEAD(admin_ops, admin_op);

static struct admin_ops	 admin_ops = TAILQ_HEAD_INITIALIZER(admin_ops);
static uint32_t		 admin_next_id = 1;

/* The one non-empty value of field var, to free; NULL: req failed. */
static char *
admin_single(struct adhoc_req *req, const struct xml_node *x,
    const char *var)
{
	char	*v[2];
	char	 text[96];
	int	 n;

	if ((n = adhoc_values(x, var, v, 2)) == 1 && v[0][0] != '\0')
		return (v[0]);
	if (n > 0)
		adhoc_values_free(v, n);
	(void)snprintf(text, sizeof(text), "The field %s needs one value",
	    var);
	adhoc_fail(req, "modify", "bad-request", "bad-payload", text);
	return (NULL);
}

/* in, an account of the domain addressed, as bare; -1: req failed. */
static int
admin_jid(struct adhoc_req *req, const char *in, char *bare, size_t len)
{
	struct jid	 j;

	if (jid_parse(in, &j) == -1 || j.local[0] == '\0' ||
	    j.resource[0] != '\0' || jid_bare(&j, bare, len) >= len) {
		adhoc_fail(req, "modify", "jid-malformed", NULL,
		    "Not a valid bare JID (user@domain)");
		return (-1);
	}
	if (strcmp(j.domain, req->domain) != 0) {
		log_warnx("%s: %s refused: not an account of %s", req->admin,
		    req->cmd->node, req->domain);
		adhoc_fail(req, "auth", "forbidden", NULL,
		    "The account is not of this domain");
		return (-1);
	}
	return (0);
}

/* A request for njids accounts. */
static struct admin_op *
admin_op_new(struct adhoc_req *req, uint32_t type, int njids)
{
	struct admin_op	*op;

	if ((op = calloc(1, sizeof(*op))) == NULL ||
	    (op->jids = calloc(njids, sizeof(*op->jids))) == NULL) {
		free(op);
		adhoc_fail(req, "wait", "internal-server-error", NULL, NULL);
		return (NULL);
	}
	op->req = req;
	op->type = type;
	op->njids = njids;
	return (op);
}

static void
admin_op_free(struct admin_op *op)
{
	free(op->jids);
	free(op);
}

/* Ask the store for the op's next account (and password, if any). */
static void
admin_store(struct admin_op *op, const char *password)
{
	struct imsgev		*store;
	struct ctl_user		 cu;
	struct ctl_user_state	 us;

	if ((store = proc_peer(PROC_STORE, 0)) == NULL) {
		adhoc_fail(op->req, "wait", "internal-server-error", NULL,
		    "The store is not running");
		admin_op_free(op);
		return;
	}
	op->id = admin_next_id++;
	if (admin_next_id == 0)
		admin_next_id = 1;
	if (op->type == IMSG_CTL_USER_DISABLE ||
	    op->type == IMSG_CTL_USER_ENABLE) {
		memset(&us, 0, sizeof(us));
		(void)strlcpy(us.jid, op->jids[op->next], sizeof(us.jid));
		if (op->type == IMSG_CTL_USER_DISABLE)
			(void)strlcpy(us.reason, ADMIN_DISABLED,
			    sizeof(us.reason));
		imsgev_compose(store, op->type, op->id, 0, -1, &us,
		    sizeof(us));
	} else {
		memset(&cu, 0, sizeof(cu));
		(void)strlcpy(cu.jid, op->jids[op->next], sizeof(cu.jid));
		if (password != NULL)
			(void)strlcpy(cu.password, password,
			    sizeof(cu.password));
		imsgev_compose(store, op->type, op->id, 0, -1, &cu,
		    sizeof(cu));
		explicit_bzero(&cu, sizeof(cu));
	}
	TAILQ_INSERT_TAIL(&admin_ops, op, entry);
}

/* An account and its password, the form of add and change-password. */
static void
admin_account_form(struct adhoc_req *req, const char *title, int verify)
{
	struct xml_node	*x;

	x = adhoc_form("form", NS_ADMIN, title);
	if (adhoc_field(x, "accountjid", "jid-single", "The account's JID",
	    1) == NULL || adhoc_field(x, "password", "text-private",
	    "Password", 1) == NULL || (verify && adhoc_field(x,
	    "password-verify", "text-private", "Password again", 1) ==
	    NULL)) {
		xml_node_free(x);
		adhoc_fail(req, "wait", "internal-server-error", NULL, NULL);
		return;
	}
	adhoc_next(req, x);
}

/* add-user (verify) and change-user-password: one account, a password. */
static void
admin_account(struct adhoc_req *req, const struct xml_node *x, int add)
{
	struct admin_op	*op;
	char		*jid = NULL, *pw = NULL, *pw2 = NULL;
	char		 bare[CONF_JIDLEN];

	if ((jid = admin_single(req, x, "accountjid")) == NULL ||
	    admin_jid(req, jid, bare, sizeof(bare)) == -1 ||
	    (pw = admin_single(req, x, "password")) == NULL ||
	    (add && (pw2 = admin_single(req, x, "password-verify")) == NULL))
		goto done;
	if (add && strcmp(pw, pw2) != 0)
		adhoc_fail(req, "modify", "not-acceptable", NULL,
		    "The passwords differ");
	else if (strlen(pw) >= sizeof(((struct ctl_user *)0)->password))
		adhoc_fail(req, "modify", "not-acceptable", NULL,
		    "The password is too long");
	else if ((op = admin_op_new(req, add ? IMSG_CTL_USER_ADD :
	    IMSG_CTL_USER_PASSWORD, 1)) != NULL) {
		(void)strlcpy(op->jids[0], bare, sizeof(op->jids[0]));
		admin_store(op, pw);
	}
 done:
	free(jid);
	if (pw != NULL)
		freezero(pw, strlen(pw));
	if (pw2 != NULL)
		freezero(pw2, strlen(pw2));
}

static void
admin_add_user(struct adhoc_req *req, const struct xml_node *x)
{
	if (x == NULL)
		admin_account_form(req, "Adding a user", 1);
	else
		admin_account(req, x, 1);
}

static void
admin_change_password(struct adhoc_req *req, const struct xml_node *x)
{
	if (x == NULL)
		admin_account_form(req, "Changing a user's password", 0);
	else
		admin_account(req, x, 0);
}

/*
 * delete-user, disable-user, reenable-user: the accounts of accountjids,
 * every one checked before the store is asked for the first.
 */
static void
admin_accounts(struct adhoc_req *req, const struct xml_node *x,
    uint32_t type, const char *title)
{
	struct admin_op	*op;
	struct xml_node	*form;
	char		*v[ADMIN_DELETE_MAX + 1];
	int		 n, i;

	if (x == NULL) {
		form = adhoc_form("form", NS_ADMIN, title);
		if (adhoc_field(form, "accountjids", "jid-multi",
		    "The accounts' JIDs", 1) == NULL) {
			xml_node_free(form);
			adhoc_fail(req, "wait", "internal-server-error", NULL,
			    NULL);
		} else
			adhoc_next(req, form);
		return;
	}
	if ((n = adhoc_values(x, "accountjids", v, nitems(v))) <= 0 ||
	    n > ADMIN_DELETE_MAX) {
		if (n > 0)
			adhoc_values_free(v, n);
		adhoc_fail(req, "modify", "bad-request", "bad-payload",
		    "The field accountjids needs 1 to 50 JIDs");
		return;
	}
	if ((op = admin_op_new(req, type, n)) == NULL) {
		adhoc_values_free(v, n);
		return;
	}
	for (i = 0; i < n; i++)
		if (admin_jid(req, v[i], op->jids[i], sizeof(op->jids[i])) ==
		    -1) {
			adhoc_values_free(v, n);
			admin_op_free(op);
			return;
		}
	adhoc_values_free(v, n);
	admin_store(op, NULL);
}

static void
admin_delete_user(struct adhoc_req *req, const struct xml_node *x)
{
	admin_accounts(req, x, IMSG_CTL_USER_DELETE, "Deleting users");
}

/* The account's sessions end; it keeps its data (see store_account_state.c). */
static void
admin_disable_user(struct adhoc_req *req, const struct xml_node *x)
{
	admin_accounts(req, x, IMSG_CTL_USER_DISABLE, "Disabling users");
}

static void
admin_reenable_user(struct adhoc_req *req, const struct xml_node *x)
{
	admin_accounts(req, x, IMSG_CTL_USER_ENABLE, "Re-enabling users");
}

/*
 * The store answered (peerid: the op): a failure's reason, bounded, is
 * its text.  Deletions go on with the next account.
 */
static void
admin_answer(struct admin_op *op, int ok, const char *why)
{
	const char	*cond = "internal-server-error", *type = "wait";
	const char	*what = op->type == IMSG_CTL_USER_ADD ? "added" :
			    op->type == IMSG_CTL_USER_DELETE ? "deleted" :
			    op->type == IMSG_CTL_USER_DISABLE ? "disabled" :
			    op->type == IMSG_CTL_USER_ENABLE ? "enabled" :
			    "password changed";
	size_t		 n = strlen(op->jids[op->next]);

	/* The store may name the account first: "JID: reason". */
	if (strncmp(why, op->jids[op->next], n) == 0 && why[n] == ':' &&
	    why[n + 1] == ' ')
		why += n + 2;

	if (ok)
		log_info("account %s %s by %s", op->jids[op->next], what,
		    op->req->admin);
	if (op->type == IMSG_CTL_USER_DELETE ||
	    op->type == IMSG_CTL_USER_DISABLE ||
	    op->type == IMSG_CTL_USER_ENABLE) {
		(void)strlcat(op->done, op->jids[op->next], sizeof(op->done));
		(void)strlcat(op->done, ": ", sizeof(op->done));
		(void)strlcat(op->done, ok ? what : why, sizeof(op->done));
		(void)strlcat(op->done, "\n", sizeof(op->done));
		if (++op->next < op->njids) {
			admin_store(op, NULL);
			return;
		}
		adhoc_complete(op->req, "info", op->done, NULL);
	} else if (ok)
		adhoc_complete(op->req, "info", op->type == IMSG_CTL_USER_ADD ?
		    "The account was added" : "The password was changed",
		    NULL);
	else {
		if (strcmp(why, "account exists") == 0) {
			type = "cancel";
			cond = "conflict";
		} else if (strcmp(why, "no such account") == 0) {
			type = "cancel";
			cond = "item-not-found";
		} else if (strncmp(why, "password", 8) == 0) {
			/* Not acceptable, or too short for the domain. */
			type = "modify";
			cond = "not-acceptable";
		} else if (strcmp(why,
		    "the domain does not use internal accounts") == 0) {
			type = "cancel";
			cond = "not-allowed";
		}
		adhoc_fail(op->req, type, cond, NULL, why);
	}
	admin_op_free(op);
}

int
admin_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct admin_op	*op;
	char		 why[128] = "";
	size_t		 len;

	if (iev->type != PROC_STORE || (imsg_get_type(imsg) != IMSG_CTL_OK &&
	    imsg_get_type(imsg) != IMSG_CTL_FAIL))
		return (1);
	TAILQ_FOREACH(op, &admin_ops, entry)
		if (op->id == imsg_get_id(imsg))
			break;
	if (op == NULL) {
		log_warnx("%s: an answer to no request", __func__);
		return (0);
	}
	TAILQ_REMOVE(&admin_ops, op, entry);
	if (imsg_get_type(imsg) == IMSG_CTL_FAIL) {
		len = imsg_get_len(imsg);
		if (len == 0 || len >= sizeof(why) ||
		    imsg_get_data(imsg, why, len) == -1)
			len = 0;
		why[len] = '\0';
		/* The store's reasons are short ASCII sentences. */
		for (len = 0; why[len] != '\0'; len++)
			if (why[len] < ' ' || why[len] > '~')
				why[len] = '?';
		if (why[0] == '\0')
			(void)strlcpy(why, "the store refused", sizeof(why));
	}
	admin_answer(op, imsg_get_type(imsg) == IMSG_CTL_OK, why);
	return (0);
}

/* The bare JIDs online on the domain, each once: a user's first session. */
static int
admin_online(const char *domain, struct xml_node *f, int max)
{
	struct session	*s = NULL;
	int		 n = 0;

	while ((s = session_next(s)) != NULL) {
		if (strcmp(s->user->domain, domain) != 0 ||
		    s != TAILQ_FIRST(&s->user->sessions))
			continue;
		if (f != NULL && (n == max || adhoc_value(f, s->user->bare) ==
		    -1))
			break;
		n++;
	}
	return (n);
}

static void
admin_online_num(struct adhoc_req *req, const struct xml_node *x)
{
	struct xml_node	*form;
	char		 num[16];

	(void)x;
	(void)snprintf(num, sizeof(num), "%d", admin_online(req->domain, NULL,
	    0));
	form = adhoc_form("result", NS_ADMIN, NULL);
	if (adhoc_value(adhoc_field(form, "onlineusersnum", "text-single",
	    "The number of online users", 0), num) == -1) {
		xml_node_free(form);
		adhoc_fail(req, "wait", "internal-server-error", NULL, NULL);
	} else
		adhoc_complete(req, NULL, NULL, form);
}

static void
admin_online_list(struct adhoc_req *req, const struct xml_node *x)
{
	static const char *const	 opts[] = { "25", "50", "75", "100",
					    "150", "200", "none" };
	struct xml_node			*form, *f, *o;
	const char			*err = NULL;
	char				*v[2];
	size_t				 i;
	int				 n, max = ADMIN_LIST_MAX;

	if (x == NULL) {
		form = adhoc_form("form", NS_ADMIN, "Online users");
		f = adhoc_field(form, "max_items", "list-single",
		    "How many users to list", 0);
		for (i = 0; f != NULL && i < nitems(opts); i++)
			if ((o = xml_add_child(f, NULL, "option")) == NULL ||
			    xml_set_attr(o, "label", opts[i]) == -1 ||
			    adhoc_value(o, opts[i]) == -1)
				f = NULL;
		if (f == NULL) {
			xml_node_free(form);
			adhoc_fail(req, "wait", "internal-server-error", NULL,
			    NULL);
		} else
			adhoc_next(req, form);
		return;
	}
	if ((n = adhoc_values(x, "max_items", v, 2)) == 1 &&
	    strcmp(v[0], "none") != 0 &&
	    (max = strtonum(v[0], 1, ADMIN_LIST_MAX, &err)) == 0)
		max = -1;
	if (n > 0)
		adhoc_values_free(v, n);
	if (n < 0 || n > 1 || max == -1) {
		adhoc_fail(req, "modify", "bad-request", "bad-payload",
		    "max_items is a number from 1 to 1000, or none");
		return;
	}
	form = adhoc_form("result", NS_ADMIN, NULL);
	f = adhoc_field(form, "onlineuserjids", "jid-multi",
	    "The online users", 0);
	if (f == NULL) {
		xml_node_free(form);
		adhoc_fail(req, "wait", "internal-server-error", NULL, NULL);
		return;
	}
	(void)admin_online(req->domain, f, max);
	adhoc_complete(req, NULL, NULL, form);
}

/* The lines of a text-multi field as one text; NULL: req failed. */
static char *
admin_text(struct adhoc_req *req, const struct xml_node *x, const char *var,
    int required)
{
	struct xml_buf	 b;
	char		*v[ADMIN_DELETE_MAX];
	char		 why[96];
	int		 n, i, bad;

	if ((n = adhoc_values(x, var, v, nitems(v))) < 0 ||
	    (n == 0 && required)) {
		(void)snprintf(why, sizeof(why), n == 0 ? "The field %s is "
		    "missing" : "The field %s is given twice, or has too many "
		    "lines", var);
		adhoc_fail(req, "modify", "bad-request", "bad-payload", why);
		return (NULL);
	}
	xml_buf_init(&b, 0);
	for (i = 0, bad = 0; i < n; i++)
		bad |= (i > 0 && xml_buf_add(&b, "\n", 1) == -1) ||
		    xml_buf_addstr(&b, v[i]) == -1;
	adhoc_values_free(v, n);
	if (bad || xml_buf_add(&b, "", 1) == -1) {
		xml_buf_free(&b);
		adhoc_fail(req, "wait", "internal-server-error", NULL, NULL);
		return (NULL);
	}
	return (b.data);
}

static void
admin_announce(struct adhoc_req *req, const struct xml_node *x)
{
	struct xml_node	*form;
	char		*subject = NULL, *text = NULL, note[64];
	int		 n;

	if (x == NULL) {
		form = adhoc_form("form", NS_ADMIN,
		    "Announcement to the online users");
		if (adhoc_field(form, "subject", "text-single", "Subject",
		    0) == NULL || adhoc_field(form, "announcement",
		    "text-multi", "Announcement", 1) == NULL) {
			xml_node_free(form);
			adhoc_fail(req, "wait", "internal-server-error", NULL,
			    NULL);
		} else
			adhoc_next(req, form);
		return;
	}
	if ((subject = admin_text(req, x, "subject", 0)) == NULL ||
	    (text = admin_text(req, x, "announcement", 1)) == NULL)
		goto done;
	if (text[strspn(text, " \t\r\n")] == '\0') {
		adhoc_fail(req, "modify", "bad-request", "bad-payload",
		    "The announcement is empty");
		goto done;
	}
	if ((n = motd_send(req->domain, NULL, subject[0] != '\0' ? subject :
	    NULL, text)) == -1) {
		adhoc_fail(req, "wait", "internal-server-error", NULL, NULL);
		goto done;
	}
	log_info("announcement to %s by %s: sent to %d sessions",
	    req->domain, req->admin, n);
	(void)snprintf(note, sizeof(note), "Sent to %d sessions", n);
	adhoc_complete(req, "info", note, NULL);
 done:
	free(subject);
	free(text);
}

/* The motd form, for edit pre-filled with the one in use, a line a value. */
static void
admin_motd_form(struct adhoc_req *req, int edit)
{
	struct xml_node	*form, *f;
	const char	*cur;
	char		*copy = NULL, *p, *line;

	form = adhoc_form("form", NS_ADMIN, edit ?
	    "Editing the message of the day" :
	    "Setting the message of the day");
	f = adhoc_field(form, "motd", "text-multi", "Message of the Day", 1);
	if (f != NULL && edit && (cur = motd_text(req->domain)) != NULL) {
		if ((p = copy = strdup(cur)) == NULL)
			f = NULL;
		while (f != NULL && (line = strsep(&p, "\n")) != NULL)
			if (adhoc_value(f, line) == -1)
				f = NULL;
		free(copy);
	}
	if (f == NULL) {
		xml_node_free(form);
		adhoc_fail(req, "wait", "internal-server-error", NULL, NULL);
	} else
		adhoc_next(req, form);
}

/*
 * set-motd and edit-motd: the motd field's lines, stored for the
 * domain; a set also goes to the sessions online (XEP-0133 4.24).
 */
static void
admin_motd(struct adhoc_req *req, const struct xml_node *x, int edit)
{
	char	*text;
	size_t	 len;

	if (x == NULL) {
		admin_motd_form(req, edit);
		return;
	}
	if ((text = admin_text(req, x, "motd", 1)) == NULL)
		return;
	len = strlen(text);
	if (text[strspn(text, " \t\r\n")] == '\0')
		adhoc_fail(req, "modify", "bad-request", "bad-payload",
		    "The message of the day is empty");
	else if (len > MOTD_MAX)
		adhoc_fail(req, "modify", "not-acceptable", NULL,
		    "The message of the day is longer than 1023 bytes");
	else if (!xml_text_ok(text, len))
		adhoc_fail(req, "modify", "not-acceptable", NULL,
		    "The message of the day is not UTF-8 text");
	else
		motd_store(req, text, !edit);
	free(text);
}

static void
admin_set_motd(struct adhoc_req *req, const struct xml_node *x)
{
	admin_motd(req, x, 0);
}

static void
admin_edit_motd(struct adhoc_req *req, const struct xml_node *x)
{
	admin_motd(req, x, 1);
}

/* No form: the stored motd goes, the configured one applies again. */
static void
admin_delete_motd(struct adhoc_req *req, const struct xml_node *x)
{
	(void)x;
	motd_store(req, NULL, 0);
}

const struct adhoc_cmd admin_cmds[] = {
	{ NS_ADMIN "#add-user", "Add a User", 1, admin_add_user },
	{ NS_ADMIN "#delete-user", "Delete a User", 1, admin_delete_user },
	{ NS_ADMIN "#disable-user", "Disable a User", 1,
	    admin_disable_user },
	{ NS_ADMIN "#reenable-user", "Re-Enable a User", 1,
	    admin_reenable_user },
	{ NS_ADMIN "#change-user-password", "Change User Password", 1,
	    admin_change_password },
	{ NS_ADMIN "#get-online-users-num", "Get Number of Online Users", 1,
	    admin_online_num },
	{ NS_ADMIN "#get-online-users-list", "Get List of Online Users", 1,
	    admin_online_list },
	{ NS_ADMIN "#announce", "Send Announcement to Online Users", 1,
	    admin_announce },
	{ NS_ADMIN "#set-motd", "Set Message of the Day", 1,
	    admin_set_motd },
	{ NS_ADMIN "#edit-motd", "Edit Message of the Day", 1,
	    admin_edit_motd },
	{ NS_ADMIN "#delete-motd", "Delete Message of the Day", 1,
	    admin_delete_motd },
	{ NULL, NULL, 0, NULL }
};
