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
 * Processes: the table of roles, the parent's fork+exec of a child, the
 * child's bootstrap (receive its identity, peers and configuration, then
 * chroot and drop privileges in one place) and the imsg event plumbing
 * every process shares.
 */

#ifndef PROC_H
#define PROC_H

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdint.h>

#include "compat.h"
#include "imsg.h"
#include "msg.h"

struct imsgev {
	struct imsgbuf		 ibuf;
	struct event		 ev;
	short			 events;
	void			(*handler)(int, short, void *);
	void			*data;
	int			 type;		/* the peer's process type */
	int			 instance;
};

enum proc_chroot {
	CHROOT_EMPTY,		/* /var/empty */
	CHROOT_DATADIR,		/* datadir */
	CHROOT_MUC,		/* datadir/muc */
	CHROOT_UPLOAD,		/* datadir/upload */
};

struct proc_role {
	int		 type;
	const char	*name;		/* "stream", as in -P and logs */
	const char	*title;		/* process title */
	const char	*binary;	/* NULL: xmppd itself */
	int		 chroot;
	int		 fatal;		/* its death stops the server */
};

/* A process's view of itself and its channels. */
struct proc_self {
	int			 type;
	int			 instance;
	int			 ninstances;	/* stream processes */
	int			 debug;
	struct imsgev		 parent;
	int			 control_fd;	/* control process */
	struct imsgev		**peers[PROC_MAX];	/* [type][instance] */
	int			 npeers[PROC_MAX];
	struct xmppd_config	*conf;		/* running */
	struct xmppd_config	*pending;	/* being received */
	struct event_base	*evbase;
	/* The role's handlers. */
	void			(*before_chroot)(void);	/* with the config */
	int			(*dispatch)(struct imsgev *, struct imsg *);
	void			(*peer_up)(struct imsgev *);
	void			(*peer_down)(struct imsgev *);
	void			(*config_commit)(struct xmppd_config *,
				    struct xmppd_config *);
	void			(*shutdown)(void);
	void			(*accept)(void);	/* the service is up */
	/* Around the messages of one read: the store's transactions. */
	void			(*batch_begin)(void);
	void			(*batch_end)(void);
};

extern struct proc_self	 proc_self;

const struct proc_role	*proc_role(int);
const struct proc_role	*proc_role_byname(const char *);
const char		*proc_name(int);

/* Parent side. */
pid_t	 proc_spawn(const struct proc_role *, int, const char *, int,
	    int, char **);

/* Child side. */
void	 proc_child_init(int, int);
__dead void proc_child_run(void);
struct imsgev *proc_peer(int, int);
void	 proc_ready(void);

/* Channels. */
void	 imsgev_init(struct imsgev *, int, int, int,
	    void (*)(int, short, void *), void *);
void	 imsgev_add(struct imsgev *);
void	 imsgev_clear(struct imsgev *);
int	 imsgev_compose(struct imsgev *, uint32_t, uint32_t, pid_t, int,
	    const void *, size_t);
int	 imsgev_composev(struct imsgev *, uint32_t, uint32_t, pid_t, int,
	    const struct iovec *, int);
int	 imsgev_io(struct imsgev *, short);
int	 imsgev_forward(struct imsgev *, struct imsg *, uint32_t);
int	 imsg_blocking_get(struct imsgbuf *, struct imsg *);

/* Configuration over imsg (common/config.c). */
int	 config_send(struct imsgbuf *, struct xmppd_config *, int);
int	 config_recv(struct xmppd_config *, struct imsg *);

#endif /* PROC_H */
