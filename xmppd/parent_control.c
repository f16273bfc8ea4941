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
 * The parent's answers to xmppctl(8), relayed by the control process:
 * the process list, what is running (about), verbosity, reload, and in
 * regress builds a deliberate sandbox violation.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "about.h"
#include "config.h"
#include "log.h"
#include "parent.h"
#include "proc.h"

void
parent_ctl_reply(struct child *ctl, uint32_t peerid, int type,
    const char *msg)
{
	if (ctl == NULL || !ctl->chan_open)
		return;
	imsgev_compose(&ctl->iev, type, peerid, 0, -1, msg,
	    msg == NULL ? 0 : strlen(msg) + 1);
}

/*
 * Before a reload's failure, what was wrong: the lines parse_config()
 * and the key checks logged, as many as they kept.
 */
void
parent_ctl_errors(struct child *ctl, uint32_t peerid)
{
	char		 more[64];
	const char	*line;
	int		 i, lost;

	if (peerid == 0)
		return;
	for (i = 0; (line = parse_msg(i, &lost)) != NULL; i++)
		parent_ctl_reply(ctl, peerid, IMSG_CTL_CONF_ERROR, line);
	if (lost > 0) {
		(void)snprintf(more, sizeof(more), "(%d more not shown, see "
		    "the log)", lost);
		parent_ctl_reply(ctl, peerid, IMSG_CTL_CONF_ERROR, more);
	}
}

struct child *
parent_control(void)
{
	struct child	*c;

	TAILQ_FOREACH(c, &env.children, entry)
		if (c->role->type == PROC_CONTROL)
			return (c);
	return (NULL);
}

static void
parent_show_processes(struct child *ctl, uint32_t peerid)
{
	struct ctl_process	 cp;
	struct child		*c;
	time_t			 now = monotime();

	memset(&cp, 0, sizeof(cp));
	(void)strlcpy(cp.name, "parent", sizeof(cp.name));
	cp.pid = getpid();
	cp.uptime = now - env.start_time;
	imsgev_compose(&ctl->iev, IMSG_CTL_PROCESS, peerid, 0, -1, &cp,
	    sizeof(cp));
	TAILQ_FOREACH(c, &env.children, entry) {
		if (!c->wanted)
			continue;
		memset(&cp, 0, sizeof(cp));
		(void)strlcpy(cp.name, c->role->name, sizeof(cp.name));
		cp.instance = c->instance;
		cp.pid = c->pid;
		cp.uptime = c->pid ? now - c->started : 0;
		cp.restarts = c->restarts;
		imsgev_compose(&ctl->iev, IMSG_CTL_PROCESS, peerid, 0, -1, &cp,
		    sizeof(cp));
	}
	imsgev_compose(&ctl->iev, IMSG_CTL_END, peerid, 0, -1, NULL, 0);
}

/* xmppctl about: this xmppd's version, its age and the files it uses. */
static void
parent_about(struct child *ctl, uint32_t peerid)
{
	struct ctl_about	 ca;
	const char		*version = XMPPD_VERSION;

#ifdef REGRESS
	/* Regress builds: a version that differs from xmppctl's. */
	if (getenv("XMPPD_REGRESS_VERSION") != NULL)
		version = getenv("XMPPD_REGRESS_VERSION");
#endif
	memset(&ca, 0, sizeof(ca));
	(void)strlcpy(ca.version, version, sizeof(ca.version));
	ca.pid = getpid();
	ca.uptime = monotime() - env.start_time;
	(void)strlcpy(ca.conffile, env.conffile, sizeof(ca.conffile));
	(void)strlcpy(ca.socket, env.conf->global.socket, sizeof(ca.socket));
	(void)strlcpy(ca.datadir, env.conf->global.datadir,
	    sizeof(ca.datadir));
	imsgev_compose(&ctl->iev, IMSG_CTL_ABOUT_INFO, peerid, 0, -1, &ca,
	    sizeof(ca));
}

static void
parent_verbose(int v)
{
	struct child	*c;

	log_setverbose(v);
	TAILQ_FOREACH(c, &env.children, entry)
		if (c->chan_open)
			imsgev_compose(&c->iev, IMSG_CTL_VERBOSE, 0, 0, -1, &v,
			    sizeof(v));
	log_info("log level set to %s", v ? "verbose" : "brief");
}

#ifdef REGRESS
/* Regress builds: make a child break its sandbox on purpose. */
static void
parent_regress_violate(struct child *ctl, uint32_t peerid, struct imsg *imsg)
{
	struct child	*c;
	char		 name[32];

	if (imsg_get_data(imsg, name, sizeof(name)) == -1 ||
	    name[sizeof(name) - 1] != '\0') {
		parent_ctl_reply(ctl, peerid, IMSG_CTL_FAIL, "bad request");
		return;
	}
	TAILQ_FOREACH(c, &env.children, entry)
		if (strcmp(c->role->name, name) == 0 && c->chan_open)
			break;
	if (c == NULL) {
		parent_ctl_reply(ctl, peerid, IMSG_CTL_FAIL, "no such process");
		return;
	}
	imsgev_compose(&c->iev, IMSG_CTL_REGRESS_VIOLATE, 0, 0, -1, NULL, 0);
	parent_ctl_reply(ctl, peerid, IMSG_CTL_OK, NULL);
}
#endif

/* Requests from xmppctl, relayed by the control process. */
void
parent_control_cmd(struct child *ctl, struct imsg *imsg)
{
	uint32_t	 peerid = imsg_get_id(imsg);
	int		 v;

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_SHOW_PROCESSES:
		parent_show_processes(ctl, peerid);
		break;
	case IMSG_CTL_RELOAD:
		parent_reload(peerid);
		break;
	case IMSG_CTL_ABOUT:
		parent_about(ctl, peerid);
		break;
	case IMSG_CTL_CHECK:
		parent_ctl_check(ctl, peerid, imsg);
		break;
	case IMSG_CTL_VERBOSE:
		if (imsg_get_data(imsg, &v, sizeof(v)) == -1 || v < 0 || v > 3)
			parent_ctl_reply(ctl, peerid, IMSG_CTL_FAIL,
			    "bad verbosity");
		else {
			parent_verbose(v);
			parent_ctl_reply(ctl, peerid, IMSG_CTL_OK, NULL);
		}
		break;
#ifdef REGRESS
	case IMSG_CTL_REGRESS_VIOLATE:
		parent_regress_violate(ctl, peerid, imsg);
		break;
#endif
	default:
		log_warnx("%s: unexpected imsg %u from control", __func__,
		    imsg_get_type(imsg));
		parent_ctl_reply(ctl, peerid, IMSG_CTL_FAIL, "unknown request");
		break;
	}
}
