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
 * xmppload: an XMPP load client for benchmarks.  One libevent loop drives
 * many client connections (STARTTLS, SASL, bind, presence) against any
 * server on loopback.
 */

#ifndef XMPPLOAD_H
#define XMPPLOAD_H

#include <sys/types.h>

#include <event.h>
#include <expat.h>
#include <stdint.h>
#include <time.h>
#include <openssl/ssl.h>

#define MECH_PLAIN		0x01
#define MECH_SCRAM_SHA1		0x02
#define MECH_SCRAM_SHA256	0x04

enum conn_state {
	S_CONNECTING,
	S_FEAT1,		/* waiting for <starttls/> in the features */
	S_PROCEED,
	S_HANDSHAKE,
	S_UPGRADE,		/* WebSocket: waiting for 101 */
	S_FEAT2,		/* mechanisms */
	S_SASL,
	S_FEAT3,		/* bind */
	S_BIND,
	S_SESSION,
	S_ROSTER,
	S_PING,
	S_READY,
	S_CLOSED,
};

/* What the element at depth 2 is. */
enum conn_el {
	EL_OTHER,
	EL_FEATURES,
	EL_PROCEED,
	EL_CHALLENGE,
	EL_SUCCESS,
	EL_FAILURE,
	EL_IQ,
	EL_MESSAGE,
	EL_PRESENCE,
	EL_ERROR,
};

struct pair;

struct conn {
	int		 fd;
	int		 user;		/* user number */
	int		 id;		/* connection number: the resource */
	const char	*domain;	/* its server's domain */
	enum conn_state	 state;
	SSL		*ssl;
	struct event	 rev;
	struct event	 wev;
	int		 read_wants_write;
	XML_Parser	 xp;
	int		 reset;		/* restart the XML stream */
	int		 depth;
	enum conn_el	 el;
	char		 el_type[16];
	char		 el_id[32];
	char		 el_from[128];
	int		 in_mech;
	int		 mechs;
	int		 feat_starttls, feat_bind, feat_session, session_opt;
	int		 feat3;		/* 1 mechanisms, 2 session */
	int		 need_session;
	int		 items;		/* <item/>s in this iq */
	int		 el3;		/* what the child at depth 3 is */
	int		 el_flags;	/* EF_*: what the stanza held */
	char		 el_cond[48];	/* its stanza error's condition */
	int		 roster_items;
	int		 busy;		/* in a callback: free later */
	char		 text[2048];
	size_t		 textlen;
	char		*out;
	size_t		 outlen, outoff, outcap;
	/* SCRAM */
	char		 cnonce[40];
	char		 cfb[256];	/* client-first-message-bare */
	uint8_t		 server_sig[64];
	size_t		 sig_len;
	struct timespec	 t_start;
	struct pair	*pair;		/* messages: its pair */
	int		 closing;
	/* MUC: this occupant */
	int		 muc;		/* MUC_OUT.. */
	int		 muc_room;	/* which room it is in */
	int		 muc_sender;
	long long	 muc_sent;	/* groupchat messages sent */
	long long	 muc_back;	/* of them, reflected to it */
	int		 muc_history;	/* history messages on join */
	struct timespec	 t_join;
	/* WebSocket (-H) */
	int		 ws_raw;	/* conn_send: not a frame */
	uint8_t		 ws_mask[4];
	char		*ws_in;
	size_t		 ws_inlen, ws_incap;
};

/* What a message or presence held (el_flags). */
#define EF_BODY		0x01
#define EF_DELAY	0x02
#define EF_SUBJECT	0x04
#define EF_STATUS110	0x08	/* MUC: the occupant's own presence */
#define EF_STATUS201	0x10	/* MUC: the room was created */

enum muc_state {
	MUC_OUT,
	MUC_JOINING,		/* join presence sent */
	MUC_CONFIGURING,	/* instant room being confirmed */
	MUC_IN,			/* self-presence received */
	MUC_DONE,		/* mucjoin: history and subject received */
};

struct pair {
	struct conn	*sender;
	struct conn	*receiver;
	long long	 sent;
	long long	 received;
};

struct load_opts {
	const char	*host;
	int		 port;
	const char	*domain;
	const char	*servername;
	const char	*prefix;
	const char	*password;
	int		 mech;
	int		 roster;	/* get the roster before presence */
	int		 presence;
	int		 first;		/* users first.. */
	int		 nusers;
	const char	*rdomain;	/* -D: the receivers' server, s2s */
	int		 rport;		/* -Q: its client port */
	const char	*websocket;	/* -H: over WebSocket at this path */
};

/* The soak scenario's rates are per second. */
struct soak_opts {
	int		 sessions;	/* -n: held, one per user */
	int		 seconds;	/* -t: how long, once all are in */
	int		 interval;	/* -i: a stats line this often */
	int		 logouts;	/* -L: each comes back 5 s later */
	int		 messages;	/* -e: chat, to bare JIDs */
	int		 presences;	/* -x: away and back */
	int		 joins;		/* -J: room joins, and leaves */
	int		 occupants;	/* -j: kept in rooms at most */
	int		 rooms;		/* -k */
	int		 groupchat;	/* -g: from occupants */
	const char	*service;	/* -M */
	const char	*room;		/* -R: rooms are named room0.. */
};

extern struct load_opts	 opts;
extern struct soak_opts	 soak;
extern struct event_base *base;
extern int		 load_sync;

/* xmppconn.c */
void		 conn_init(void);
struct conn	*conn_start(int, int, int);
void		 conn_send(struct conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 conn_close(struct conn *);
void		 conn_abort(struct conn *);
void		 conn_fail(struct conn *, const char *);
void		 conn_restart(struct conn *);

/* xmppws.c: the WebSocket framing. */
void		 ws_upgrade(struct conn *);
void		 ws_frame(struct conn *, size_t, int);
void		 ws_open(struct conn *);
void		 ws_close(struct conn *);
int		 ws_input(struct conn *, const char *, size_t);

/* xmppload.c: what a connection reports to the scenario. */
void		 load_ready(struct conn *);
void		 load_failed(struct conn *, const char *);
void		 load_message(struct conn *);
void		 load_stanza(struct conn *);
double		 load_now(void);
double		 load_cpu(void);
void		 load_phase_start(void);
void		 load_wait_line(void);
void		 load_sort(double *, int);
double		 load_pct(const double *, int, double);
void		 load_fail(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

/* xmppmuc.c: the group chat scenarios. */
int		 muc_setup(int, const char *, const char *, int, int, int,
		    long long);
void		 muc_run(struct conn **);
void		 muc_message(struct conn *);
void		 muc_stanza(struct conn *);
void		 muc_tick(void);

/* xmppsoak.c: the soak scenario. */
int		 soak_setup(int);
void		 soak_run(void);
void		 soak_ready(struct conn *);
void		 soak_failed(struct conn *, const char *);
void		 soak_message(struct conn *);
void		 soak_stanza(struct conn *);

#endif /* XMPPLOAD_H */
