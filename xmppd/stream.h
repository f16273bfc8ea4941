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
 * The stream process's parts: listeners and connections (stream.c),
 * client streams (c2s.c) and component streams (stream_component.c).
 */

#ifndef STREAM_H
#define STREAM_H

#include <sys/types.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>
#include <time.h>

#include "config.h"

struct imsg;
struct imsgev;
struct io;
struct xml_stream;
struct listen_conf;
struct sm;
struct stanza_msg;
struct xml_node;

struct conn {
	RB_ENTRY(conn)		 node;
	uint32_t		 id;
	struct io		*io;
	struct xml_stream	*xs;
	int			 kind;		/* listener kind */
	int			 direct_tls;
	int			 state;
	int			 tls;		/* TLS is up */
	int			 authed;
	int			 bound;
	int			 header_sent;
	int			 auth_failures;
	int			 ping_pending;
	int			 quiet;		/* idle: parser given back */
	int			 sasl_mech;
	char			 addr[64];
	char			 domain[CONF_NAMELEN];
	char			 streamid[40];
	char			*local;		/* after SASL success */
	char			*full;		/* bound JID */
	char			*pending_id;	/* iq awaiting an answer */
	int			 registering;	/* IMSG_REGISTER in flight */
	char			*register_id;	/* its iq's id */
	struct xml_node		*held;		/* sent meanwhile, in order */
	int			 close_held;	/* and then </stream:stream> */
	struct sm		*sm;		/* XEP-0198, c2s_sm.c */
	struct tlsctx		*tlsctx;	/* what TLS started with */
	int			 flow_stopped;	/* the router asked */
	struct event		 deadline;
	struct event		 ratev;
	double			 tokens;
	struct timespec		 last;
	time_t			 since;
};

/* stream.c */
extern struct xmppd_config	*stream_conf;
extern char			 stream_caps[64];
struct conn	*conn_find(uint32_t);
const char	*conn_local(struct conn *);
void		 conn_close(struct conn *);
void		 conn_deadline(struct conn *, int);
int		 stream_tls_accept(struct conn *, int);
int		 stream_tls_ready(int);
struct imsgev	*stream_auth_owner(const char *);
int		 stream_rate(struct conn *, size_t);
void		 stream_flow(struct conn *, int);
char		*stream_header(const char *, struct conn *, const char *);

/* c2s.c */
void		 c2s_start(struct conn *);
void		 c2s_io(struct io *, int, void *);
int		 c2s_dispatch(struct imsgev *, struct imsg *);
void		 c2s_owner_down(struct conn *, int);
void		 c2s_timeout(struct conn *);
void		 c2s_free(struct conn *);
void		 c2s_write(struct conn *, const char *);
void		 c2s_write_node(struct conn *, struct xml_node *);
void		 c2s_error(struct conn *, const char *, const char *);
void		 c2s_error_app(struct conn *, const char *, const char *,
		    const struct xml_node *);
void		 c2s_wait(struct conn *);
void		 c2s_resume_failed(struct conn *);
void		 c2s_resumed(struct conn *);

/* stream_component.c */
void		 comp_start(struct conn *);
void		 comp_io(struct io *, int, void *);
int		 comp_dispatch(struct imsgev *, struct imsg *);
void		 comp_timeout(struct conn *);
void		 comp_owner_down(struct conn *);
void		 comp_free(struct conn *);
void		 comp_reconfigure(struct conn *, struct xmppd_config *);

/* c2s_sm.c */
void		 c2s_sm_nonza(struct conn *, struct xml_node *);
void		 c2s_sm_in(struct conn *);
int		 c2s_sm_deliver(struct conn *, struct imsg *,
		    struct stanza_msg *);
int		 c2s_sm_write(struct conn *, int, const char *, const char *);
void		 c2s_sm_free(struct conn *);
int		 c2s_sm_closed(struct conn *);
int		 c2s_sm_final(struct conn *, struct xml_node *);
int		 c2s_sm_orphan(struct imsgev *, struct imsg *);
int		 c2s_sm_dispatch(struct imsgev *, struct imsg *);

#endif /* STREAM_H */
