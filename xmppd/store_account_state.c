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
 * Accounts' state: an administrator disables an account (xmppctl user
 * disable, or XEP-0133 through the router) and enables it again; a
 * disabled account keeps its data but cannot log in, whether its
 * password is ours or a directory's.  Each login is recorded with its
 * address, for xmppctl user info.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "store.h"
#include "xml.h"

/*
 * A login whose credentials were right: AUTH_SUCCESS, recorded;
 * AUTH_ACCOUNT_DISABLED with the reason; AUTH_TEMPORARY_FAILURE when
 * the database cannot say, since an account that cannot be checked is
 * not let in.  A directory user gets the row that holds the state.
 */
int
account_state_login(const char *domain, const char *local, const char *addr,
    char *reason, size_t len)
{
	struct account_state	 st;
	struct domain_conf	*d;
	int			 r;

	reason[0] = '\0';
	if ((r = store_be->state->get(domain, local, &st)) == 0 &&
	    (d = config_domain(proc_self.conf, domain)) != NULL &&
	    d->auth == AUTH_LDAP &&
	    store_be->account_insert(domain, local, time(NULL)) != -1)
		r = store_be->state->get(domain, local, &st);
	if (r != 1) {
		log_warnx("account %s@%s: state not read at login", local,
		    domain);
		return (AUTH_TEMPORARY_FAILURE);
	}
	if (st.disabled) {
		(void)strlcpy(reason, st.reason, len);
		log_info("login refused from %s as %s@%s: account disabled",
		    addr, local, domain);
		return (AUTH_ACCOUNT_DISABLED);
	}
	if (store_be->state->login(domain, local, time(NULL), addr) == -1)
		log_warnx("account %s@%s: login not recorded", local, domain);
	return (AUTH_SUCCESS);
}

/* An administrator's reason: one line of text XML can carry. */
static int
account_state_reason_ok(const char *reason)
{
	struct xml_buf	 b;
	const char	*p;
	int		 ok;

	for (p = reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return (0);
	xml_buf_init(&b, 0);
	ok = xml_buf_escape(&b, reason, strlen(reason), 0) == 0;
	xml_buf_free(&b);
	return (ok);
}

/*
 * Disable (with a reason, maybe "") or enable the account of a bare
 * JID; what was done, or why not, in msg.  A disabled account's
 * sessions are closed by the router, told here.
 */
int
account_state_set(const char *jid, int disable, const char *reason,
    char *msg, size_t len)
{
	struct account_state	 st;
	struct ctl_user_state	 us;
	struct imsgev		*router;
	struct jid		 j;
	const char		*err;
	int			 r;

	if ((err = account_jid(jid, &j, 1)) != NULL) {
		(void)snprintf(msg, len, "%s: %s", jid, err);
		return (-1);
	}
	if (disable && !account_state_reason_ok(reason)) {
		(void)snprintf(msg, len, "the reason must be one line of "
		    "UTF-8 text");
		return (-1);
	}
	if ((r = store_be->state->get(j.domain, j.local, &st)) != 1 ||
	    store_be->state->disable(j.domain, j.local, disable,
	    disable ? reason : "") == -1) {
		(void)snprintf(msg, len, "%s@%s: %s", j.local, j.domain,
		    r == 0 ? "no such account" : "database error");
		return (-1);
	}
	memset(&us, 0, sizeof(us));
	(void)snprintf(us.jid, sizeof(us.jid), "%s@%s", j.local, j.domain);
	if (disable) {
		(void)strlcpy(us.reason, reason, sizeof(us.reason));
		log_info("account %s disabled%s%s", us.jid,
		    reason[0] != '\0' ? ": " : "", reason);
		if ((router = proc_peer(PROC_ROUTER, 0)) != NULL)
			imsgev_compose(router, IMSG_ACCOUNT_DISABLED, 0, 0, -1,
			    &us, sizeof(us));
		(void)snprintf(msg, len, "user %s disabled%s", us.jid,
		    st.disabled ? " (it was already)" : "");
	} else {
		log_info("account %s enabled", us.jid);
		if ((router = proc_peer(PROC_ROUTER, 0)) != NULL)
			imsgev_compose(router, IMSG_ACCOUNT_ENABLED, 0, 0, -1,
			    &us, sizeof(us));
		(void)snprintf(msg, len, "user %s enabled%s", us.jid,
		    st.disabled ? "" : " (it was not disabled)");
	}
	return (0);
}

/* xmppctl user info: the state, and how much the account holds. */
static void
account_state_info(struct imsgev *iev, uint32_t peerid, const char *jid)
{
	struct ctl_user_info	 ui;
	struct account_state	 st;
	struct domain_conf	*d;
	struct jid		 j;
	const char		*err;
	char			 msg[CONF_JIDLEN + 64];
	int			 r = -1;

	if ((err = account_jid(jid, &j, 1)) != NULL)
		(void)snprintf(msg, sizeof(msg), "%s: %s", jid, err);
	else if ((r = store_be->state->get(j.domain, j.local, &st)) != 1)
		(void)snprintf(msg, sizeof(msg), "%s@%s: %s", j.local,
		    j.domain, r == 0 ? "no such account" : "database error");
	if (r != 1) {
		imsgev_compose(iev, IMSG_CTL_FAIL, peerid, 0, -1, msg,
		    strlen(msg) + 1);
		return;
	}
	memset(&ui, 0, sizeof(ui));
	(void)snprintf(ui.jid, sizeof(ui.jid), "%s@%s", j.local, j.domain);
	d = config_domain(proc_self.conf, j.domain);
	ui.ldap = d != NULL && d->auth == AUTH_LDAP;
	ui.disabled = st.disabled;
	(void)strlcpy(ui.reason, st.reason, sizeof(ui.reason));
	ui.created = st.created;
	ui.last_login = st.last_login;
	(void)strlcpy(ui.last_addr, st.last_addr, sizeof(ui.last_addr));
	if (store_be->state->counts(j.domain, j.local, &ui.roster,
	    &ui.archive) == -1)
		ui.roster = ui.archive = -1;
	imsgev_compose(iev, IMSG_CTL_USER_STATE, peerid, 0, -1, &ui,
	    sizeof(ui));
}

/* A directory user's login, which ldapauthd accepted: may it go on? */
static int
account_state_ldap_login(struct imsgev *iev, struct imsg *imsg)
{
	struct account_login	 al;
	struct domain_conf	*d;
	char			 prep[sizeof(al.localpart)];

	if (iev->type != PROC_STREAM ||
	    imsg_get_data(imsg, &al, sizeof(al)) == -1)
		return (-1);
	al.domain[sizeof(al.domain) - 1] = '\0';
	al.localpart[sizeof(al.localpart) - 1] = '\0';
	al.addr[sizeof(al.addr) - 1] = '\0';
	(void)strlcpy(prep, al.localpart, sizeof(prep));
	if ((d = config_domain(proc_self.conf, al.domain)) == NULL ||
	    d->auth != AUTH_LDAP || al.localpart[0] == '\0' ||
	    jid_prep_local(prep, sizeof(prep)) == -1 ||
	    strcmp(prep, al.localpart) != 0)
		al.status = AUTH_NOT_AUTHORIZED;
	else
		al.status = account_state_login(al.domain, al.localpart,
		    al.addr, al.reason, sizeof(al.reason));
	imsgev_compose(iev, IMSG_ACCOUNT_LOGIN_RESULT, imsg_get_id(imsg), 0,
	    -1, &al, sizeof(al));
	return (0);
}

int
account_state_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_user_state	 us;
	char			 msg[CONF_JIDLEN + 64];
	uint32_t		 type = imsg_get_type(imsg);

	switch (type) {
	case IMSG_ACCOUNT_LOGIN:
		return (account_state_ldap_login(iev, imsg));
	case IMSG_CTL_USER_DISABLE:
	case IMSG_CTL_USER_ENABLE:
	case IMSG_CTL_USER_INFO:
		break;
	default:
		return (1);
	}
	if (iev->type != PROC_CONTROL && (iev->type != PROC_ROUTER ||
	    type == IMSG_CTL_USER_INFO))
		return (-1);
	/* What xmppctl sent, as it sent it: refused, not fatal. */
	if (imsg_get_data(imsg, &us, sizeof(us)) == -1) {
		imsgev_compose(iev, IMSG_CTL_FAIL, imsg_get_id(imsg), 0, -1,
		    "bad request", sizeof("bad request"));
		return (0);
	}
	us.jid[sizeof(us.jid) - 1] = '\0';
	us.reason[sizeof(us.reason) - 1] = '\0';
	if (type == IMSG_CTL_USER_INFO) {
		account_state_info(iev, imsg_get_id(imsg), us.jid);
		return (0);
	}
	if (account_state_set(us.jid, type == IMSG_CTL_USER_DISABLE,
	    us.reason, msg, sizeof(msg)) == -1)
		imsgev_compose(iev, IMSG_CTL_FAIL, imsg_get_id(imsg), 0, -1,
		    msg, strlen(msg) + 1);
	else
		imsgev_compose(iev, IMSG_CTL_OK, imsg_get_id(imsg), 0, -1,
		    msg, strlen(msg) + 1);
	return (0);
}
