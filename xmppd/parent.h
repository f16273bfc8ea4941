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
 * The parent's state, shared by its files: xmppd.c (start, supervision,
 * reload) and parent_control.c (requests from xmppctl).
 */

#ifndef PARENT_H
#define PARENT_H

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <limits.h>
#include <pwd.h>
#include <time.h>

#include "config.h"
#include "proc.h"

struct child {
	TAILQ_ENTRY(child)	 entry;
	const struct proc_role	*role;
	int			 instance;
	pid_t			 pid;
	struct imsgev		 iev;
	int			 chan_open;
	int			 logfd;
	struct event		 logev;
	struct event		 restartev;
	time_t			 started;
	int			 restarts;
	int			 quick_deaths;
	int			 wanted;
	int			 ready;
	int			 cfg_pending;
};
TAILQ_HEAD(child_list, child);

struct parent_env {
	struct xmppd_config	*conf;
	struct xmppd_config	*newconf;	/* reload in progress */
	uint32_t		 reload_peer;	/* control request, or 0 */
	int			 reload_acks;
	const char		*conffile;
	char			 self[PATH_MAX];
	struct passwd		 pw;
	char			 pw_name[CONF_NAMELEN];
	int			 debug;
	int			 verbose;
	int			 ready;
	int			 started;
	int			 shutting_down;
	int			 control_fd;
	time_t			 start_time;
	struct child_list	 children;
};

extern struct parent_env	 env;

time_t		 monotime(void);
void		 parent_reload(uint32_t);
void		 parent_control_cmd(struct child *, struct imsg *);
void		 parent_ctl_reply(struct child *, uint32_t, int, const char *);
void		 parent_ctl_errors(struct child *, uint32_t);
struct child	*parent_control(void);
void		 parent_ctl_check(struct child *, uint32_t, struct imsg *);

#endif /* PARENT_H */
