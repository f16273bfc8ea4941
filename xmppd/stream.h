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
#include <sys/socket.h>

#include <netinet/in.h>

#include <event.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "msg.h"

struct imsg;
struct imsgev;
struct io;
struct xml_stream;
struct listen_conf;
struct sm;
struct stanza_msg;
struct xml_node;
struct s2s;
struct xml_stream_cb;
struct tlsverify_ca;
struct http_ws;
struct http_bosh;
struct conn;

/*
 * What a client stream runs over (c2s.c): TCP, a WebSocket (http_ws.c)
 * or a BOSH session (http_bosh.c).  The engine writes its stream text
 * through write(), starts its stream with open() and ends the
 * connection with close(), once what is written is out; free() lets go
 * of the transport's state.  ping: NULL for an XMPP ping (XEP-0199).
 * resume: input may be read again (rate, flow), for a stream with no
 * connection of its own.
 */
struct c2s_transport {
	const char	*name;		/* as xmppctl show sessions says */
	int		 starttls;	/* offered in the clear */
	int		(*write)(struct conn *, const char *, size_t);
	void		(*open)(struct conn *);
	void		(*close)(struct conn *);
	void		(*ping)(struct conn *);
	void		(*free)(struct conn *);
	void		(*resume)(struct conn *);	/* NULL: its io's */
};

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
	char			*peer_from;	/* its header's from, bare */
	char			*local;		/* after SASL success */
	uint8_t			 grant[32];	/* its proof, grant.h */
	char			*login_check;	/* a directory user's, asked */
	char			*full;		/* bound JID */
	char			*pending_id;	/* iq awaiting an answer */
	int			 registering;	/* IMSG_REGISTER in flight */
	char			*register_id;	/* its iq's id */
	struct xml_node		*held;		/* sent meanwhile, in order */
	int			 close_held;	/* and then </stream:stream> */
	struct sm		*sm;		/* XEP-0198, c2s_sm.c */
	struct tlsctx		*tlsctx;	/* what TLS started with */
	struct s2s		*s2s;		/* stream_s2s.c */
	const struct c2s_transport *transport;	/* client streams */
	struct http_ws		*ws;		/* over a WebSocket, http_ws.c */
	struct http_bosh	*bosh;		/* a BOSH session, http_bosh.c */
	int			 flow_stopped;	/* the router asked */
	struct event		 deadline;
	struct event		 ratev;
	double			 tokens;
	struct timespec		 last;
	time_t			 since;
	char			 end[48];	/* why it ended, for the log */
};

/* stream.c */
extern struct xmppd_config	*stream_conf;
extern char			 stream_caps[64];
struct conn	*conn_find(uint32_t);
const char	*conn_local(struct conn *);
void		 conn_close(struct conn *);
void		 conn_end(struct conn *, const char *);
void		 conn_end_error(struct conn *, const char *);
void		 conn_deadline(struct conn *, int);
int		 stream_tls_accept(struct conn *, int);
int		 stream_tls_ready(int);
struct imsgev	*stream_auth_owner(const char *);
int		 stream_rate(struct conn *, size_t);
void		 stream_flow(struct conn *, int);
int		 stream_ns_client(struct xml_node *, const char *);
char		*stream_header(const char *, struct conn *, const char *);
struct conn	*conn_add(int, int, const char *,
		    void (*)(struct io *, int, void *));
int		 stream_tls_peer(struct conn *, int);
struct tlsverify_ca *stream_ca(void);
struct conn	*conn_next(struct conn *);
struct conn	*conn_add_io(struct io *, int, const char *,
		    void (*)(struct io *, int, void *));
void		 stream_serve(int, int, const char *, int);

/* stream_mux.c */
void		 mux_start(int, const char *);

/* c2s.c */
void		 c2s_start(struct conn *);
void		 c2s_tls_desc(struct conn *, char *, size_t);
void		 c2s_close_after_write(struct conn *);
extern const struct c2s_transport c2s_tcp;
extern const struct c2s_transport c2s_ws;
void		 c2s_io(struct io *, int, void *);
int		 c2s_dispatch(struct imsgev *, struct imsg *);
void		 c2s_owner_down(struct conn *, int);
void		 c2s_timeout(struct conn *);
void		 c2s_free(struct conn *);
void		 c2s_write(struct conn *, const char *);
void		 c2s_write_node(struct conn *, struct xml_node *);
#ifdef REGRESS
int		 stream_regress_imsg(struct conn *, struct xml_node *);
#endif
void		 c2s_error(struct conn *, const char *, const char *);
void		 c2s_error_app(struct conn *, const char *, const char *,
		    const struct xml_node *);
void		 c2s_wait(struct conn *);
void		 c2s_resume_failed(struct conn *);
void		 c2s_resumed(struct conn *);
void		 c2s_ws_input(struct conn *, const char *, size_t);
void		 c2s_ws_stanza(struct conn *, struct xml_node *, size_t);
int		 c2s_ws_header_wanted(struct conn *);

/* stream_component.c */
void		 comp_start(struct conn *);
void		 comp_io(struct io *, int, void *);
int		 comp_dispatch(struct imsgev *, struct imsg *);
void		 comp_timeout(struct conn *);
void		 comp_free(struct conn *);
void		 comp_reconfigure(struct conn *, struct xmppd_config *);

/* stream_s2s.c: what both directions share */
#define NS_DIALBACK	"jabber:server:dialback"
#define NS_DIALBACK_F	"urn:xmpp:features:dialback"
#define NS_S2S_TLS	"urn:ietf:params:xml:ns:xmpp-tls"
#define NS_S2S_SASL	"urn:ietf:params:xml:ns:xmpp-sasl"
#define S2S_PAIRS_MAX	16	/* (from, to) pairs on one stream */
#define S2S_PENDING_MAX	8	/* db:results being verified */

enum s2s_state {
	S2S_ST_CLOSING = -1,
	S2S_ST_HEADER,		/* waiting for the peer's header */
	S2S_ST_PROCEED,		/* inbound: <proceed/> being written */
	S2S_ST_OPEN,		/* features sent or awaited */
	S2S_ST_TLS,		/* handshake */
	S2S_ST_SASL,		/* outbound: <auth/> sent */
	S2S_ST_DB,		/* outbound: db:result or db:verify sent */
	S2S_ST_UP,		/* outbound: stanzas may go */
};

/* An outbound link ending: the router lets go of it before it closes. */
enum s2s_ending {
	S2S_END_NO,
	S2S_END_ASKED,		/* IMSG_S2S_OUT_IDLE sent */
	S2S_END_LET_GO,		/* IMSG_S2S_OUT_CLOSE came: the link is gone */
};

struct s2s_pair {
	char		 from[CONF_NAMELEN];	/* the peer's domain */
	char		 to[CONF_NAMELEN];	/* ours */
};

struct s2s {
	int			 outbound;
	int			 mode;		/* enum s2s_mode */
	int			 require_cert;
	int			 auth;		/* enum s2s_auth */
	int			 cert_ok;	/* good for remote */
	uint32_t		 link;		/* the router's, outbound */
	char			 remote[CONF_NAMELEN];
	char			 peer_id[S2S_STREAMID_LEN];	/* its id */
	char			 key[S2S_KEY_LEN];	/* verify mode */
	char			 verify_id[S2S_STREAMID_LEN];
	struct resolve_candidate *cand;
	uint32_t		 ncand, next;
	int			 status;	/* why it failed */
	int			 fd;		/* connecting */
	struct event		 ev;
	struct conn		*conn;
	int			 starttls, external, dialback;	/* offered */
	int			 npairs;
	struct s2s_pair		 pairs[S2S_PAIRS_MAX];
	int			 pending;
	int			 restart;	/* a new stream follows */
	int			 ending;	/* enum s2s_ending, outbound */
	uint64_t		 in, out;
};

int		 s2s_new_parser(struct conn *, const struct xml_stream_cb *);
void		 s2s_write(struct conn *, const char *);
void		 s2s_write_node(struct conn *, struct xml_node *);
void		 s2s_error(struct conn *, const char *, const char *);
void		 s2s_send_header(struct conn *, const char *, const char *,
		    const char *);
void		 s2s_write_db(struct conn *, const char *, const char *,
		    const char *, const char *, const char *, const char *);
int		 s2s_check_cert(struct conn *, const char *);
int		 s2s_dispatch(struct imsgev *, struct imsg *);
void		 s2s_timeout(struct conn *);
void		 s2s_idle_timer(struct conn *);
int		 s2s_in_room(const char *, int);
void		 s2s_tls_name(struct conn *, char *, size_t);
void		 s2s_free(struct conn *);
void		 s2s_io(struct io *, int, void *);
int		 s2s_closing(struct conn *);

/* stream_s2s_in.c */
void		 s2s_in_start(struct conn *);
extern const struct xml_stream_cb s2s_in_cb;
void		 s2s_in_db_answer(struct conn *, int, struct imsg *);
void		 s2s_in_tls(struct conn *);

/* stream_s2s_out.c */
extern const struct xml_stream_cb s2s_out_cb;
void		 s2s_out_connect(struct imsg *);
void		 s2s_out_key(struct conn *, struct imsg *);
void		 s2s_out_tls(struct conn *);
void		 s2s_out_gone(struct conn *);
int		 s2s_out_ending(struct conn *, const char *);
void		 s2s_out_close(struct conn *);

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
