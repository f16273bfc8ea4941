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
 * xmppctl user disable, enable and info: an account's state from the
 * store, and for info its sessions from the router.
 */

#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "config.h"
#include "imsg.h"
#include "msg.h"
#include "xmppctl.h"

static void
user_state_send(struct imsgbuf *ibuf, int type, const void *data, size_t len)
{
	if (imsg_compose(ibuf, type, MSG_VERSION, 0, -1, data, len) == -1 ||
	    imsgbuf_flush(ibuf) == -1)
		err(1, "send");
}

static void
user_state_time(const char *what, time_t t, const char *from)
{
	struct tm	*tm;
	char		 buf[32];

	if (t == 0) {
		printf("%-12s never\n", what);
		return;
	}
	if ((tm = localtime(&t)) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", tm) == 0)
		(void)strlcpy(buf, "?", sizeof(buf));
	printf("%-12s %s%s%s\n", what, buf, from != NULL ? " from " : "",
	    from != NULL ? from : "");
}

static void
user_state_count(const char *what, int64_t n, const char *unit)
{
	if (n < 0)
		printf("%-12s unknown (database error)\n", what);
	else
		printf("%-12s %lld %s\n", what, (long long)n, unit);
}

static void
user_state_show(struct imsg *imsg)
{
	struct ctl_user_info	 ui;

	if (imsg_get_data(imsg, &ui, sizeof(ui)) == -1)
		errx(1, "bad answer from xmppd");
	ui.jid[sizeof(ui.jid) - 1] = '\0';
	ui.reason[sizeof(ui.reason) - 1] = '\0';
	ui.last_addr[sizeof(ui.last_addr) - 1] = '\0';
	printf("%-12s %s\n", "account", ui.jid);
	printf("%-12s %s\n", "auth", ui.ldap ? "ldap" : "internal");
	if (!ui.disabled)
		printf("%-12s enabled\n", "state");
	else
		printf("%-12s disabled%s%s\n", "state", ui.reason[0] != '\0' ?
		    ": " : "", ui.reason);
	user_state_time("created", ui.created, NULL);
	user_state_time("last login", ui.last_login, ui.last_login != 0 &&
	    ui.last_addr[0] != '\0' ? ui.last_addr : NULL);
	user_state_count("roster", ui.roster, "contacts");
	user_state_count("archive", ui.archive, "messages");
}

/* The router's sessions of the account, one line each after a count. */
static int
user_state_sessions(struct imsgbuf *ibuf, const char *jid)
{
	struct ctl_user		 cu;
	struct ctl_session	 cs[64];
	struct imsg		 imsg;
	struct tm		*tm;
	char			 since[32];
	int			 i, n = 0, more = 0;

	memset(&cu, 0, sizeof(cu));
	(void)strlcpy(cu.jid, jid, sizeof(cu.jid));
	user_state_send(ibuf, IMSG_CTL_SHOW_SESSIONS, &cu, sizeof(cu));
	for (;;) {
		ctl_get(ibuf, &imsg);
		if (imsg_get_type(&imsg) == IMSG_CTL_FAIL)
			ctl_fail_exit(&imsg);
		if (imsg_get_type(&imsg) == IMSG_CTL_END)
			break;
		if (imsg_get_type(&imsg) != IMSG_CTL_SESSION)
			errx(1, "unexpected answer %u", imsg_get_type(&imsg));
		if (n == (int)nitems(cs))
			more++;
		else if (imsg_get_data(&imsg, &cs[n++], sizeof(cs[0])) == -1)
			errx(1, "bad answer from xmppd");
		imsg_free(&imsg);
	}
	imsg_free(&imsg);
	printf("%-12s %d\n", "sessions", n + more);
	for (i = 0; i < n; i++) {
		cs[i].jid[sizeof(cs[i].jid) - 1] = '\0';
		cs[i].addr[sizeof(cs[i].addr) - 1] = '\0';
		cs[i].transport[sizeof(cs[i].transport) - 1] = '\0';
		if ((tm = localtime(&cs[i].since)) == NULL ||
		    strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S",
		    tm) == 0)
			(void)strlcpy(since, "?", sizeof(since));
		printf("  %s from %s over %s since %s\n", cs[i].jid,
		    cs[i].addr, cs[i].transport, since);
	}
	if (more > 0)
		printf("  and %d more\n", more);
	return (0);
}

/*
 * user disable JID [REASON], user enable JID, user info JID: type is
 * the request; reason "" for none.
 */
int
user_state(struct imsgbuf *ibuf, int type, const char *jid,
    const char *reason)
{
	struct ctl_user_state	 us;
	struct ctl_user_info	 ui;
	struct imsg		 imsg;
	char			 text[CONF_JIDLEN + 256];
	size_t			 len;

	memset(&us, 0, sizeof(us));
	if (strlcpy(us.jid, jid, sizeof(us.jid)) >= sizeof(us.jid))
		errx(1, "JID too long");
	if (strlcpy(us.reason, reason, sizeof(us.reason)) >= sizeof(us.reason))
		errx(1, "reason too long: %zu bytes at most",
		    sizeof(us.reason) - 1);
	user_state_send(ibuf, type, &us, sizeof(us));
	ctl_get(ibuf, &imsg);
	switch (imsg_get_type(&imsg)) {
	case IMSG_CTL_FAIL:
		ctl_fail_exit(&imsg);
	case IMSG_CTL_OK:
		len = imsg_get_len(&imsg);
		if (len > 0 && len <= sizeof(text) &&
		    imsg_get_data(&imsg, text, len) == 0 &&
		    text[len - 1] == '\0')
			printf("%s\n", text);
		imsg_free(&imsg);
		return (0);
	case IMSG_CTL_USER_STATE:
		if (type != IMSG_CTL_USER_INFO)
			break;
		user_state_show(&imsg);
		if (imsg_get_data(&imsg, &ui, sizeof(ui)) == -1)
			errx(1, "bad answer from xmppd");
		ui.jid[sizeof(ui.jid) - 1] = '\0';
		imsg_free(&imsg);
		return (user_state_sessions(ibuf, ui.jid));
	}
	errx(1, "unexpected answer %u", imsg_get_type(&imsg));
}
