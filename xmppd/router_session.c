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
 * Sessions: resource binding (RFC 6120 section 7) and the table of
 * connected resources.  A new session that asks for a resource already
 * bound wins; the old one is closed with <conflict/>.  An account has at
 * most "sessions per user" of them, those waiting for resumption
 * (router_sm.c keeps them in the table) included; a replaced one does not
 * count twice, and a limit lowered by a reload ends no session.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "grant.h"
#include "jid.h"
#include "log.h"
#include "proc.h"
#include "router.h"

RB_HEAD(session_ids, session);
RB_HEAD(users, user);

static struct session_ids	 sessions_by_id = RB_INITIALIZER(&sessions_by_id);
static struct users		 users = RB_INITIALIZER(&users);

static int
session_id_cmp(struct session *a, struct session *b)
{
	if (a->stream != b->stream)
		return (a->stream < b->stream ? -1 : 1);
	if (a->id != b->id)
		return (a->id < b->id ? -1 : 1);
	return (0);
}

static int
user_cmp(struct user *a, struct user *b)
{
	return (strcmp(a->bare, b->bare));
}

RB_GENERATE_STATIC(session_ids, session, by_id, session_id_cmp);
RB_GENERATE_STATIC(users, user, entry, user_cmp);

void
session_init(void)
{
	RB_INIT(&sessions_by_id);
	RB_INIT(&users);
}

struct user *
session_find_user(const char *bare)
{
	struct user	 key;

	key.bare = (char *)bare;
	return (RB_FIND(users, &users, &key));
}

struct session *
session_find_full(const char *full)
{
	struct user	*u;
	struct session	*s;
	const char	*slash;
	char		 bare[CONF_JIDLEN];

	if ((slash = strchr(full, '/')) == NULL ||
	    (size_t)(slash - full) >= sizeof(bare))
		return (NULL);
	memcpy(bare, full, slash - full);
	bare[slash - full] = '\0';
	if ((u = session_find_user(bare)) == NULL)
		return (NULL);
	TAILQ_FOREACH(s, &u->sessions, user_entry)
		if (strcmp(s->resource, slash + 1) == 0)
			return (s);
	return (NULL);
}

struct session *
session_find_id(int stream, uint32_t id)
{
	struct session	 key;

	key.stream = stream;
	key.id = id;
	return (RB_FIND(session_ids, &sessions_by_id, &key));
}

static void
session_free(struct session *s)
{
	struct user	*u = s->user;

	router_hook_session_end(s);
	RB_REMOVE(session_ids, &sessions_by_id, s);
	TAILQ_REMOVE(&u->sessions, s, user_entry);
	if (--u->nsessions == 0) {
		RB_REMOVE(users, &users, u);
		free(u->bare);
		free(u->local);
		free(u->domain);
		free(u->last_status);
		free(u);
	}
	order_session_free(s);
	free(s->resource);
	free(s->full);
	free(s->presence);
	free(s);
}

/* Tell the stream process to end a session, and forget it. */
void
session_close(struct session *s, int reason, const char *text)
{
	struct session_close	 sc;
	struct imsgev		*iev;

	memset(&sc, 0, sizeof(sc));
	sc.reason = reason;
	if (text != NULL)
		(void)strlcpy(sc.text, text, sizeof(sc.text));
	if ((iev = proc_peer(PROC_STREAM, s->stream)) != NULL)
		imsgev_compose(iev, IMSG_SESSION_CLOSE, s->id, 0, -1, &sc,
		    sizeof(sc));
	log_info("session %s closed (%s)", s->full, reason == CLOSE_CONFLICT ?
	    "conflict" : reason == CLOSE_KICKED ? "kicked" : "closed");
	session_free(s);
}

static struct user *
session_user(const char *local, const char *domain)
{
	struct user	*u;
	char		 bare[CONF_JIDLEN];

	(void)snprintf(bare, sizeof(bare), "%s@%s", local, domain);
	if ((u = session_find_user(bare)) != NULL)
		return (u);
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->bare = strdup(bare)) == NULL ||
	    (u->local = strdup(local)) == NULL ||
	    (u->domain = strdup(domain)) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&u->sessions);
	RB_INSERT(users, &users, u);
	return (u);
}

static void
session_random_resource(char *buf, size_t len)
{
	uint8_t		 r[8];
	size_t		 i;

	arc4random_buf(r, sizeof(r));
	buf[0] = '\0';
	for (i = 0; i < sizeof(r) && 2 * i + 2 < len; i++)
		(void)snprintf(buf + 2 * i, len - 2 * i, "%02x", r[i]);
}

/*
 * The key of the process that vouches for domain's logins: ldapauthd's
 * for a domain of "auth ldap", the store's for any other, so that
 * neither can grant a login to an account of the other's.
 */
const uint8_t *
router_grant_key(const char *domain)
{
	struct domain_conf	*d;

	if ((d = config_domain(proc_self.conf, domain)) != NULL &&
	    d->auth == AUTH_LDAP)
		return (proc_self.conf->global.ldap_grant_key);
	return (proc_self.conf->global.grant_key);
}

/* A login just before its account was disabled: closed, not bound. */
static int
session_bind_disabled(struct imsgev *iev, uint32_t id,
    const struct session_bind *req)
{
	struct session_close	 sc;
	const char		*reason;
	char			 bare[CONF_JIDLEN];

	(void)snprintf(bare, sizeof(bare), "%s@%s", req->localpart,
	    req->domain);
	if ((reason = disabled_reason(bare)) == NULL)
		return (0);
	memset(&sc, 0, sizeof(sc));
	sc.reason = CLOSE_KICKED;
	(void)strlcpy(sc.text, reason, sizeof(sc.text));
	imsgev_compose(iev, IMSG_SESSION_CLOSE, id, 0, -1, &sc, sizeof(sc));
	log_info("bind by %s refused: account disabled", bare);
	return (1);
}

static int
session_bind(struct imsgev *iev, struct imsg *imsg)
{
	struct session_bind	 req;
	struct session_bound	 rep;
	struct session		*s, *old;
	struct user		*u;
	char			 full[CONF_JIDLEN];
	uint32_t		 id = imsg_get_id(imsg);
	int			 replaced = 0;
	int			 max = proc_self.conf->global.limits.sessions_per_user;
	void			*ctx;

	if (iev->type != PROC_STREAM ||
	    imsg_get_data(imsg, &req, sizeof(req)) == -1)
		return (-1);
	req.localpart[sizeof(req.localpart) - 1] = '\0';
	req.domain[sizeof(req.domain) - 1] = '\0';
	req.resource[sizeof(req.resource) - 1] = '\0';
	req.addr[sizeof(req.addr) - 1] = '\0';
	req.tls[sizeof(req.tls) - 1] = '\0';
	req.transport[sizeof(req.transport) - 1] = '\0';
	memset(&rep, 0, sizeof(rep));
	if (session_find_id(iev->instance, id) != NULL ||
	    config_domain(proc_self.conf, req.domain) == NULL ||
	    req.localpart[0] == '\0') {
		log_warnx("stream %d: bad bind request", iev->instance);
		return (-1);
	}
	/* The user is the one the store or ldapauthd authenticated. */
	if (!grant_ok(router_grant_key(req.domain), iev->instance, id,
	    req.localpart, req.domain, req.grant)) {
		log_warnx("stream %d: bind as %s@%s that no login granted: "
		    "refused", iev->instance, req.localpart, req.domain);
		return (-1);
	}
	if (req.resource[0] == '\0')
		session_random_resource(rep.resource, sizeof(rep.resource));
	else {
		(void)strlcpy(rep.resource, req.resource, sizeof(rep.resource));
		if (jid_prep_resource(rep.resource, sizeof(rep.resource)) == -1) {
			rep.error = BIND_BAD_REQUEST;
			imsgev_compose(iev, IMSG_SESSION_BOUND, id, 0, -1, &rep,
			    sizeof(rep));
			return (0);
		}
	}
	(void)snprintf(full, sizeof(full), "%s@%s/%s", req.localpart,
	    req.domain, rep.resource);
	if (session_bind_disabled(iev, id, &req))
		return (0);
	if ((old = session_find_full(full)) != NULL) {
		session_close(old, CLOSE_CONFLICT,
		    "Replaced by a new connection");
		replaced = 1;
	}
	u = session_user(req.localpart, req.domain);
	if (!replaced && u->nsessions >= max) {
		log_info("bind by %s refused: %d sessions, the limit is %d",
		    u->bare, u->nsessions, max);
		rep.error = BIND_RESOURCE_CONSTRAINT;
		imsgev_compose(iev, IMSG_SESSION_BOUND, id, 0, -1, &rep,
		    sizeof(rep));
		return (0);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->resource = strdup(rep.resource)) == NULL ||
	    (s->full = strdup(full)) == NULL)
		fatal("%s", __func__);
	s->user = u;
	s->stream = iev->instance;
	s->id = id;
	(void)strlcpy(s->addr, req.addr, sizeof(s->addr));
	(void)strlcpy(s->tls, req.tls, sizeof(s->tls));
	(void)strlcpy(s->transport, req.transport, sizeof(s->transport));
	s->since = req.since;
	RB_INSERT(session_ids, &sessions_by_id, s);
	TAILQ_INSERT_TAIL(&u->sessions, s, user_entry);
	u->nsessions++;
	order_session_new(s);
	/* What the client sends first waits for its block list. */
	ctx = router_enter_session(s);
	blocking_session_new(s);
	mam_session_new(s);
	router_leave(0, ctx);
	imsgev_compose(iev, IMSG_SESSION_BOUND, id, 0, -1, &rep, sizeof(rep));
	log_debug("session %s bound on stream %d", full, iev->instance);
	return (0);
}

/* How many sessions, and users with one, for show stats. */
void
session_count(int *nsessions, int *nusers)
{
	struct user	*u;

	*nsessions = *nusers = 0;
	RB_FOREACH(u, users, &users) {
		(*nusers)++;
		*nsessions += u->nsessions;
	}
}

/* A session resumed on another connection (XEP-0198, router_sm.c). */
/* Every session, one after the other: the first after NULL. */
struct session *
session_next(struct session *s)
{
	if (s == NULL)
		return (RB_MIN(session_ids, &sessions_by_id));
	return (RB_NEXT(session_ids, &sessions_by_id, s));
}

void
session_move(struct session *s, int stream, uint32_t id)
{
	RB_REMOVE(session_ids, &sessions_by_id, s);
	s->stream = stream;
	s->id = id;
	if (RB_INSERT(session_ids, &sessions_by_id, s) != NULL)
		fatalx("%s: session %d/%u exists", __func__, stream, id);
}

/* A stream process is gone: so are its sessions. */
void
session_stream_down(int stream)
{
	struct session	*s, *next;

	for (s = RB_MIN(session_ids, &sessions_by_id); s != NULL; s = next) {
		next = RB_NEXT(session_ids, &sessions_by_id, s);
		if (s->stream == stream)
			session_free(s);
	}
}

int
session_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct session	*s;

	switch (imsg_get_type(imsg)) {
	case IMSG_SESSION_BIND:
		return (session_bind(iev, imsg));
	case IMSG_SESSION_END:
		if (iev->type != PROC_STREAM)
			return (-1);
		if ((s = session_find_id(iev->instance,
		    imsg_get_id(imsg))) != NULL) {
			log_debug("session %s ended", s->full);
			session_free(s);
		}
		return (0);
	}
	return (1);
}

/* xmppctl show sessions: every session, or those of one bare JID. */
static void
session_ctl_show(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_session	 cs;
	struct ctl_user		 cu;
	struct session		*s;
	struct user		*u = NULL;
	uint32_t		 peerid = imsg_get_id(imsg);

	if (imsg_get_len(imsg) > 0) {
		if (imsg_get_data(imsg, &cu, sizeof(cu)) == -1) {
			imsgev_compose(iev, IMSG_CTL_FAIL, peerid, 0, -1,
			    "bad request", sizeof("bad request"));
			return;
		}
		cu.jid[sizeof(cu.jid) - 1] = '\0';
		if ((u = session_find_user(cu.jid)) == NULL) {
			imsgev_compose(iev, IMSG_CTL_END, peerid, 0, -1, NULL,
			    0);
			return;
		}
	}
	for (s = u != NULL ? TAILQ_FIRST(&u->sessions) :
	    RB_MIN(session_ids, &sessions_by_id); s != NULL;
	    s = u != NULL ? TAILQ_NEXT(s, user_entry) :
	    RB_NEXT(session_ids, &sessions_by_id, s)) {
		memset(&cs, 0, sizeof(cs));
		(void)strlcpy(cs.jid, s->full, sizeof(cs.jid));
		cs.stream = s->stream;
		(void)strlcpy(cs.addr, s->addr, sizeof(cs.addr));
		(void)strlcpy(cs.tls, s->tls, sizeof(cs.tls));
		(void)strlcpy(cs.transport, s->transport,
		    sizeof(cs.transport));
		cs.since = s->since;
		imsgev_compose(iev, IMSG_CTL_SESSION, peerid, 0, -1, &cs,
		    sizeof(cs));
	}
	imsgev_compose(iev, IMSG_CTL_END, peerid, 0, -1, NULL, 0);
}

/* Close the sessions of a bare JID, or the one of a full JID. */
static int
session_kick(const char *jid, int reason, const char *text)
{
	struct user	*u;
	struct session	*s;
	int		 n = 0;

	if (strchr(jid, '/') != NULL) {
		if ((s = session_find_full(jid)) == NULL)
			return (0);
		session_close(s, reason, text);
		return (1);
	}
	/* The user is freed with its last session. */
	while ((u = session_find_user(jid)) != NULL) {
		session_close(TAILQ_FIRST(&u->sessions), reason, text);
		n++;
	}
	return (n);
}

/* xmppctl kick: says how many sessions went, or why none did. */
static void
session_ctl_kick(struct imsgev *iev, uint32_t peerid, const struct jid *j,
    const char *norm)
{
	char		 msg[CONF_JIDLEN + 64];
	int		 n;

	if (config_domain(proc_self.conf, j->domain) == NULL) {
		(void)snprintf(msg, sizeof(msg), "%s is not a domain of this "
		    "server", j->domain);
		imsgev_compose(iev, IMSG_CTL_FAIL, peerid, 0, -1, msg,
		    strlen(msg) + 1);
		return;
	}
	n = session_kick(norm, CLOSE_KICKED,
	    "Disconnected by an administrator");
	if (n == 0)
		(void)snprintf(msg, sizeof(msg), "no such session: %s", norm);
	else if (j->resource[0] != '\0')
		(void)snprintf(msg, sizeof(msg), "kicked session %s", norm);
	else
		(void)snprintf(msg, sizeof(msg), "kicked %d session%s of %s",
		    n, n == 1 ? "" : "s", norm);
	if (n > 0)
		log_info("%s", msg);
	imsgev_compose(iev, n == 0 ? IMSG_CTL_FAIL : IMSG_CTL_OK, peerid, 0,
	    -1, msg, strlen(msg) + 1);
}

/*
 * The store disabled an account: its sessions end, with the reason, and
 * a bind that comes late is refused (router_disabled.c).
 */
static void
session_disabled(struct imsg *imsg)
{
	struct ctl_user_state	 us;
	int			 n;

	if (imsg_get_data(imsg, &us, sizeof(us)) == -1)
		fatalx("%s: bad message", __func__);
	us.jid[sizeof(us.jid) - 1] = '\0';
	us.reason[sizeof(us.reason) - 1] = '\0';
	if (imsg_get_type(imsg) == IMSG_ACCOUNT_ENABLED) {
		disabled_clear(us.jid);
		return;
	}
	if (us.reason[0] == '\0')
		(void)strlcpy(us.reason, "Account disabled", sizeof(us.reason));
	disabled_add(us.jid, us.reason);
	n = session_kick(us.jid, CLOSE_KICKED, us.reason);
	log_info("account %s disabled: %d session%s closed", us.jid, n,
	    n == 1 ? "" : "s");
}

int
session_ctl(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_user	 cu;
	struct jid	 j;
	char		 norm[CONF_JIDLEN];
	uint32_t	 peerid = imsg_get_id(imsg);
	const char	*err = NULL;

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_SHOW_SESSIONS:
		session_ctl_show(iev, imsg);
		return (0);
	case IMSG_ACCOUNT_DISABLED:
	case IMSG_ACCOUNT_ENABLED:
		session_disabled(imsg);
		return (0);
	case IMSG_CTL_KICK:
	case IMSG_CTL_USER_DELETE:
	case IMSG_PIE_IMPORTED:
		break;
	default:
		return (1);
	}
	if (imsg_get_data(imsg, &cu, sizeof(cu)) == -1)
		return (-1);
	cu.jid[sizeof(cu.jid) - 1] = '\0';
	explicit_bzero(cu.password, sizeof(cu.password));
	if (jid_parse(cu.jid, &j) == -1 || j.local[0] == '\0')
		err = "not a user's JID (user@domain or user@domain/resource)";
	else {
		(void)jid_full(&j, norm, sizeof(norm));
		if (imsg_get_type(imsg) == IMSG_CTL_USER_DELETE) {
			(void)session_kick(norm, CLOSE_ACCOUNT_DELETED, NULL);
			disabled_clear(norm);
			roster_forget(norm);
			upload_account_gone(norm);
		} else if (imsg_get_type(imsg) == IMSG_PIE_IMPORTED) {
			/*
			 * A new account's data: what was cached of the
			 * name before goes; a session (a directory user's,
			 * bound before its row was made) starts again.
			 */
			(void)session_kick(norm, CLOSE_KICKED,
			    "Account data imported: please reconnect");
			roster_forget(norm);
			return (0);
		} else {
			session_ctl_kick(iev, peerid, &j, norm);
			return (0);
		}
	}
	if (err != NULL)
		imsgev_compose(iev, IMSG_CTL_FAIL, peerid, 0, -1, err,
		    strlen(err) + 1);
	else
		imsgev_compose(iev, IMSG_CTL_OK, peerid, 0, -1, NULL, 0);
	return (0);
}
