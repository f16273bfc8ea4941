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
 * The store process's parts: the process (store.c), its database engine
 * behind store_backend.h (store_sqlite.c), accounts (store_account.c),
 * SASL for internal accounts (store_auth.c), offline messages
 * (store_offline.c) and rosters (store_roster.c).
 */

#ifndef STORE_H
#define STORE_H

#include "store_backend.h"

struct imsg;
struct imsgev;
struct scram_keys;

/* store.c */
int		 store_up(void);

/* store_account.c */
void		 account_init(void);
int		 account_dispatch(struct imsgev *, struct imsg *);
int		 account_keys(const char *, const char *, int,
		    struct scram_keys *);
int		 account_set_keys(const char *, const char *, const char *);
int		 account_hash_keys(const char *, const char *, int,
		    const char *);
struct jid;
const char	*account_jid(const char *, struct jid *, int);

/* store_account_state.c */
int		 account_state_dispatch(struct imsgev *, struct imsg *);
int		 account_state_login(const char *, const char *, const char *,
		    char *, size_t);
int		 account_state_set(const char *, int, const char *, char *,
		    size_t);

/* store_motd.c */
int		 store_motd_dispatch(struct imsgev *, struct imsg *);

/* store_offline.c */
int		 offline_dispatch(struct imsgev *, struct imsg *);

/* store_roster.c */
int		 roster_store_dispatch(struct imsgev *, struct imsg *);

/* store_mam.c */
void		 mam_store_init(void);
int		 mam_store_dispatch(struct imsgev *, struct imsg *);
void		 mam_store_peer_down(struct imsgev *);
int		 mam_expire_all(const char *, void (*)(int64_t, void *),
		    void *);

/* store_xml.c */
int		 xs_dispatch(struct imsgev *, struct imsg *);
int		 xs_blocks(const char *, const char *, const char *);

/* store_auth.c */
void		 auth_init(void);
int		 auth_dispatch(struct imsgev *, struct imsg *);
void		 auth_stream_down(int);
void		 auth_reconfigure(void);

/* store_component.c */
void		 component_auth_init(void);
void		 component_auth_reconfigure(void);
int		 component_auth_dispatch(struct imsgev *, struct imsg *);

/* store_pie.c, store_pie_export.c */
int		 pie_dispatch(struct imsgev *, struct imsg *);
void		 pie_peer_down(void);
void		 pie_init(void);
void		 pie_export(struct imsgev *, struct imsg *);

#endif /* STORE_H */
