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
 * The fields of the room configuration form (XEP-0045 section 15.5.3):
 * how each shows a room's setting, and how each is read from a
 * submission, strictly, into the settings to be.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "muc.h"
#include "muc_config.h"
#include "muc_form.h"
#include "xml.h"

/* The settings; a field and its alias set the same one. */
enum {
	MC_NAME, MC_DESC, MC_LANG, MC_PERSISTENT, MC_PUBLIC, MC_MEMBERSONLY,
	MC_MODERATED, MC_PROTECTED, MC_SECRET, MC_MAXUSERS, MC_WHOIS,
	MC_INVITES, MC_PM, MC_SUBJECT, MC_HISTORY, MC_LOGGING, MC_ADMINS,
	MC_OWNERS,
};

struct muc_config_opt {
	const char	*value;
	const char	*label;
	int		 v;
};

/* A field: how it shows a room's setting, how it reads a submission. */
struct muc_config_field {
	const char			*var;
	const char			*type;
	const char			*label;	/* NULL: an alias, not shown */
	int				 slot;
	size_t				 off;	/* in struct muc_room_config */
	int				 arg;	/* characters; affiliation */
	const struct muc_config_opt	*opts;
	int	(*show)(const struct muc_config_field *, struct muc_room *,
		    struct xml_node *);
	int	(*read)(const struct muc_config_field *,
		    struct muc_config_edit *, const struct xml_node *,
		    struct muc_error *);
};

static const struct muc_config_opt muc_config_whois[] = {
	{ "moderators",	"Moderators only",	MUC_WHOIS_MODERATORS },
	{ "anyone",	"Anyone",		MUC_WHOIS_ANYONE },
	{ NULL,		NULL,			0 },
};

static const struct muc_config_opt muc_config_pm[] = {
	{ "anyone",	  "Anyone",		MUC_PM_ANYONE },
	{ "participants", "Anyone with voice",	MUC_PM_PARTICIPANTS },
	{ "moderators",	  "Moderators only",	MUC_PM_MODERATORS },
	{ "none",	  "Nobody",		MUC_PM_NONE },
	{ NULL,		  NULL,			0 },
};

/* The room sizes offered, below the service's limit, which is offered too. */
static const int muc_config_sizes[] = {
	10, 20, 30, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000,
};

static int *
muc_config_int(struct muc_room_config *cfg, const struct muc_config_field *f)
{
	return ((int *)((char *)cfg + f->off));
}

static char **
muc_config_str(struct muc_room_config *cfg, const struct muc_config_field *f)
{
	return ((char **)((char *)cfg + f->off));
}

static int
muc_config_number(struct xml_node *fld, int n)
{
	char	 b[16];

	(void)snprintf(b, sizeof(b), "%d", n);
	return (muc_form_value(fld, b));
}

/* -- the form --------------------------------------------------------- */

static int
muc_config_show_text(const struct muc_config_field *f, struct muc_room *room,
    struct xml_node *fld)
{
	return (muc_form_value(fld, *muc_config_str(&room->cfg, f)));
}

static int
muc_config_show_bool(const struct muc_config_field *f, struct muc_room *room,
    struct xml_node *fld)
{
	return (muc_form_value(fld, *muc_config_int(&room->cfg, f) ? "1" :
	    "0"));
}

static int
muc_config_show_list(const struct muc_config_field *f, struct muc_room *room,
    struct xml_node *fld)
{
	const struct muc_config_opt	*o;
	int				 v = *muc_config_int(&room->cfg, f);

	for (o = f->opts; o->value != NULL; o++)
		if (o->v == v && muc_form_value(fld, o->value) == -1)
			return (-1);
	for (o = f->opts; o->value != NULL; o++)
		if (muc_form_option(fld, o->label, o->value) == -1)
			return (-1);
	return (0);
}

static int
muc_config_show_protect(const struct muc_config_field *f,
    struct muc_room *room, struct xml_node *fld)
{
	(void)f;
	return (muc_form_value(fld, room->cfg.password[0] != '\0' ? "1" : "0"));
}

/* The sizes below the service's limit, the room's own, the limit. */
static int
muc_config_show_size(const struct muc_config_field *f, struct muc_room *room,
    struct xml_node *fld)
{
	int	 limit = room->svc->conf->occupants;
	int	 cur = muc_room_max_occupants(room);
	int	 opts[nitems(muc_config_sizes) + 2];
	char	 b[16];
	size_t	 i, n = 0;

	(void)f;
	for (i = 0; i < nitems(muc_config_sizes) &&
	    muc_config_sizes[i] < limit; i++) {
		if (cur < muc_config_sizes[i] && (n == 0 || opts[n - 1] < cur))
			opts[n++] = cur;
		opts[n++] = muc_config_sizes[i];
	}
	if (cur < limit && (n == 0 || opts[n - 1] < cur))
		opts[n++] = cur;
	opts[n++] = limit;
	if (muc_config_number(fld, cur) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		(void)snprintf(b, sizeof(b), "%d", opts[i]);
		if (muc_form_option(fld, b, b) == -1)
			return (-1);
	}
	return (0);
}

/* The history a room sends: its own, never past the service's. */
static int
muc_config_history(struct muc_room *room, const struct muc_room_config *cfg)
{
	int	 max = room->svc->conf->history;

	return (cfg->history < 0 || cfg->history > max ? max : cfg->history);
}

static int
muc_config_show_history(const struct muc_config_field *f,
    struct muc_room *room, struct xml_node *fld)
{
	(void)f;
	if (muc_config_number(fld, muc_config_history(room, &room->cfg)) == -1)
		return (-1);
	return (muc_form_range(fld, 0, room->svc->conf->history));
}

static int
muc_config_show_jids(const struct muc_config_field *f, struct muc_room *room,
    struct xml_node *fld)
{
	struct muc_aff	*a;

	RB_FOREACH(a, muc_aff_tree, &room->affs)
		if (a->affiliation == f->arg && muc_form_value(fld, a->jid) == -1)
			return (-1);
	return (0);
}

/* -- reading a submission ------------------------------------------ */

/* A text of at most f->arg characters, to free (it may be a password). */
static int
muc_config_text(const struct muc_config_field *f, const struct xml_node *fld,
    char **v, struct muc_error *err)
{
	if (muc_form_single(fld, v, err) == MUC_FAIL)
		return (MUC_FAIL);
	if (muc_stanza_chars(*v) <= (size_t)f->arg)
		return (0);
	freezero(*v, strlen(*v) + 1);
	*v = NULL;
	return (muc_stanza_seterr(err, "modify", "not-acceptable",
	    "A text of the form is too long"));
}

static int
muc_config_read_text(const struct muc_config_field *f,
    struct muc_config_edit *e, const struct xml_node *fld,
    struct muc_error *err)
{
	char	*v;

	if (muc_config_text(f, fld, &v, err) == MUC_FAIL)
		return (MUC_FAIL);
	free(*muc_config_str(&e->cfg, f));
	*muc_config_str(&e->cfg, f) = v;
	return (0);
}

/* A language tag: letters, digits and hyphens, a letter first. */
static int
muc_config_read_lang(const struct muc_config_field *f,
    struct muc_config_edit *e, const struct xml_node *fld,
    struct muc_error *err)
{
	const char	*s;

	if (muc_config_read_text(f, e, fld, err) == MUC_FAIL)
		return (MUC_FAIL);
	s = e->cfg.lang;
	if (*s == '\0')
		return (0);
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) ||
	    s[strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")] != '\0')
		return (muc_stanza_seterr(err, "modify", "not-acceptable",
		    "The language is not a language tag"));
	return (0);
}

static int
muc_config_read_bool(const struct muc_config_field *f,
    struct muc_config_edit *e, const struct xml_node *fld,
    struct muc_error *err)
{
	return (muc_form_bool(fld, muc_config_int(&e->cfg, f), err));
}

static int
muc_config_read_list(const struct muc_config_field *f,
    struct muc_config_edit *e, const struct xml_node *fld,
    struct muc_error *err)
{
	const struct muc_config_opt	*o;
	char				*v;

	if (muc_form_single(fld, &v, err) == MUC_FAIL)
		return (MUC_FAIL);
	for (o = f->opts; o->value != NULL; o++)
		if (strcmp(o->value, v) == 0)
			break;
	free(v);
	if (o->value == NULL)
		return (muc_stanza_seterr(err, "modify", "not-acceptable",
		    "A value is not one of the options"));
	*muc_config_int(&e->cfg, f) = o->v;
	return (0);
}

static int
muc_config_read_protect(const struct muc_config_field *f,
    struct muc_config_edit *e, const struct xml_node *fld,
    struct muc_error *err)
{
	(void)f;
	return (muc_form_bool(fld, &e->protect, err));
}

static int
muc_config_read_secret(const struct muc_config_field *f,
    struct muc_config_edit *e, const struct xml_node *fld,
    struct muc_error *err)
{
	return (muc_config_text(f, fld, &e->secret, err));
}

/* A whole number from min to max: malformed, or out of range. */
static int
muc_config_read_int(const struct xml_node *fld, int min, int max, int *n,
    struct muc_error *err)
{
	const char	*errstr;
	char		*v;
	long long	 ll;

	if (muc_form_single(fld, &v, err) == MUC_FAIL)
		return (MUC_FAIL);
	ll = strtonum(v, -1000000000LL, 1000000000LL, &errstr);
	free(v);
	if (errstr != NULL)
		return (muc_stanza_seterr(err, "modify", "bad-request",
		    "A number is not a number"));
	if (ll < min || ll > max)
		return (muc_stanza_seterr(err, "modify", "not-acceptable",
		    "A number is out of range"));
	*n = ll;
	return (0);
}

/*
 * One of the sizes offered; the service's limit is kept as 0, "the
 * service's limit", and the size shown now leaves the setting alone.
 */
static int
muc_config_read_size(const struct muc_config_field *f,
    struct muc_config_edit *e, const struct xml_node *fld,
    struct muc_error *err)
{
	int	 limit = e->room->svc->conf->occupants, n;
	size_t	 i;

	(void)f;
	if (muc_config_read_int(fld, 1, limit, &n, err) == MUC_FAIL)
		return (MUC_FAIL);
	if (n == muc_room_max_occupants(e->room))
		return (0);
	if (n == limit) {
		e->cfg.max_occupants = 0;
		return (0);
	}
	for (i = 0; i < nitems(muc_config_sizes); i++)
		if (muc_config_sizes[i] == n) {
			e->cfg.max_occupants = n;
			return (0);
		}
	return (muc_stanza_seterr(err, "modify", "not-acceptable",
	    "A value is not one of the options"));
}

static int
muc_config_read_history(const struct muc_config_field *f,
    struct muc_config_edit *e, const struct xml_node *fld,
    struct muc_error *err)
{
	int	 n;

	(void)f;
	if (muc_config_read_int(fld, 0, e->room->svc->conf->history, &n,
	    err) == MUC_FAIL)
		return (MUC_FAIL);
	if (n != muc_config_history(e->room, &e->room->cfg))
		e->cfg.history = n;
	return (0);
}

int
muc_config_has(char **list, size_t n, const char *jid)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], jid) == 0)
			return (1);
	return (0);
}

/* One JID of a list: a bare JID or a domain, prepared. */
static int
muc_config_read_jid(const char *v, char *bare, size_t len,
    struct muc_error *err)
{
	struct jid	*j;
	int		 rc = 0;

	if ((j = malloc(sizeof(*j))) == NULL)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	if (jid_parse(v, j) == -1 || j->resource[0] != '\0' ||
	    jid_bare(j, bare, len) == 0)
		rc = muc_stanza_seterr(err, "modify", "not-acceptable",
		    "A list holds bare JIDs only");
	free(j);
	return (rc);
}

/* The whole admin or owner list; empty values are no JIDs. */
static int
muc_config_read_jids(const struct muc_config_field *f,
    struct muc_config_edit *e, const struct xml_node *fld,
    struct muc_error *err)
{
	struct xml_node	*c;
	char		 bare[JID_BUFSIZE], *v, **list;
	size_t		*n;
	int		 k = f->arg == MUC_AFF_OWNER, rc;

	n = &e->njids[k];
	if ((list = e->jids[k] = calloc(MUC_CONFIG_JIDS_MAX,
	    sizeof(char *))) == NULL)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	TAILQ_FOREACH(c, &fld->children, entry) {
		if (!muc_form_is_value(c))
			continue;
		if ((v = xml_text(c)) == NULL)
			return (muc_stanza_seterr(err, "wait",
			    "internal-server-error", NULL));
		rc = *v == '\0' ? 1 : muc_config_read_jid(v, bare,
		    sizeof(bare), err);
		free(v);
		if (rc == MUC_FAIL)
			return (MUC_FAIL);
		if (rc == 1 || muc_config_has(list, *n, bare))
			continue;
		if (*n == MUC_CONFIG_JIDS_MAX)
			return (muc_stanza_seterr(err, "modify",
			    "not-acceptable", "The list is too long"));
		if ((list[*n] = strdup(bare)) == NULL)
			return (muc_stanza_seterr(err, "wait",
			    "internal-server-error", NULL));
		(*n)++;
	}
	return (0);
}

#define MCF(var, type, label, slot, field, arg, opts, show, read)	\
	{ "muc#" var, type, label, slot,				\
	    offsetof(struct muc_room_config, field), arg, opts,		\
	    muc_config_show_##show, muc_config_read_##read }
#define MCA(var, type, slot, field, read)				\
	{ "muc#" var, type, NULL, slot,					\
	    offsetof(struct muc_room_config, field), 0, NULL, NULL,	\
	    muc_config_read_##read }

/* The form, in the order it is shown. */
static const struct muc_config_field muc_config_fields[] = {
	MCF("roomconfig_roomname", "text-single", "Room name", MC_NAME,
	    name, MUC_CONFIG_NAME_MAX, NULL, text, text),
	MCF("roomconfig_roomdesc", "text-single", "Room description",
	    MC_DESC, description, MUC_CONFIG_DESC_MAX, NULL, text, text),
	MCF("roomconfig_lang", "text-single", "Language of the discussions",
	    MC_LANG, lang, MUC_CONFIG_LANG_MAX, NULL, text, lang),
	MCF("roomconfig_persistentroom", "boolean", "Make the room persistent",
	    MC_PERSISTENT, persistent, 0, NULL, bool, bool),
	MCF("roomconfig_publicroom", "boolean", "List the room publicly",
	    MC_PUBLIC, public, 0, NULL, bool, bool),
	MCF("roomconfig_membersonly", "boolean", "Only members may enter",
	    MC_MEMBERSONLY, members_only, 0, NULL, bool, bool),
	MCF("roomconfig_moderatedroom", "boolean", "Make the room moderated",
	    MC_MODERATED, moderated, 0, NULL, bool, bool),
	MCF("roomconfig_passwordprotectedroom", "boolean",
	    "A password is required to enter", MC_PROTECTED, password, 0,
	    NULL, protect, protect),
	MCF("roomconfig_roomsecret", "text-private", "Password", MC_SECRET,
	    password, MUC_CONFIG_SECRET_MAX, NULL, text, secret),
	MCF("roomconfig_maxusers", "list-single", "Most occupants",
	    MC_MAXUSERS, max_occupants, 0, NULL, size, size),
	MCF("roomconfig_whois", "list-single", "Who may see real JIDs",
	    MC_WHOIS, whois, 0, muc_config_whois, list, list),
	MCF("roomconfig_allowinvites", "boolean",
	    "Members may invite others", MC_INVITES, allow_invites, 0, NULL,
	    bool, bool),
	MCF("roomconfig_allowpm", "list-single",
	    "Who may send private messages", MC_PM, allow_pm, 0,
	    muc_config_pm, list, list),
	MCF("roomconfig_changesubject", "boolean",
	    "Occupants may change the subject", MC_SUBJECT, change_subject, 0,
	    NULL, bool, bool),
	MCF("maxhistoryfetch", "text-single",
	    "Messages of history sent on entering", MC_HISTORY, history, 0,
	    NULL, history, history),
	MCF("roomconfig_enablelogging", "boolean",
	    "Archive the messages of the room", MC_LOGGING, logging, 0, NULL,
	    bool, bool),
	MCF("roomconfig_roomadmins", "jid-multi", "Room admins", MC_ADMINS,
	    name, MUC_AFF_ADMIN, NULL, jids, jids),
	MCF("roomconfig_roomowners", "jid-multi", "Room owners", MC_OWNERS,
	    name, MUC_AFF_OWNER, NULL, jids, jids),
	/* Other servers' names of the same settings. */
	MCA("roomconfig_enablearchiving", "boolean", MC_LOGGING, logging,
	    bool),
	MCA("roomconfig_historylength", "text-single", MC_HISTORY, history,
	    history),
};

/* The form with the room's settings (XEP-0045 sections 10.1.3, 10.2). */
struct xml_node *
muc_config_form(struct muc_room *room)
{
	const struct muc_config_field	*f;
	struct xml_node			*q, *x, *fld;
	char				 title[JID_BUFSIZE + 32];
	size_t				 i;

	(void)strlcpy(title, "Configuration of ", sizeof(title));
	(void)strlcat(title, room->jid, sizeof(title));
	if ((q = xml_node_new(NS_MUC_OWNER, "query")) == NULL ||
	    (x = muc_form_new(q, NS_MUC_ROOMCONFIG, title, room->locked ?
	    "The room stays locked until this form is submitted." :
	    "Complete this form to change the settings of the room.")) ==
	    NULL)
		goto fail;
	for (i = 0; i < nitems(muc_config_fields); i++) {
		f = &muc_config_fields[i];
		if (f->label == NULL)
			continue;
		if ((fld = muc_form_field(x, f->var, f->type, f->label)) ==
		    NULL || f->show(f, room, fld) == -1)
			goto fail;
	}
	return (q);
 fail:
	xml_node_free(q);
	return (NULL);
}

/*
 * The password to be: passwordprotectedroom says whether there is one,
 * roomsecret what it is; a protected room with no password is refused
 * (XEP-0045 section 10.1.3).  roomsecret alone sets or clears it.
 */
static int
muc_config_password(struct muc_config_edit *e, struct muc_error *err)
{
	const char	*pw, *cur = e->room->cfg.password;
	char		*p;
	int		 protect = e->protect;

	if (protect == -1)
		protect = e->secret != NULL ? e->secret[0] != '\0' :
		    cur[0] != '\0';
	pw = !protect ? "" : e->secret != NULL ? e->secret : cur;
	if (protect && *pw == '\0')
		return (muc_stanza_seterr(err, "modify", "not-acceptable",
		    "A password-protected room needs a password"));
	if ((p = strdup(pw)) == NULL)
		return (muc_stanza_seterr(err, "wait", "internal-server-error",
		    NULL));
	freezero(e->cfg.password, strlen(e->cfg.password) + 1);
	e->cfg.password = p;
	return (0);
}

/*
 * The fields of a submission into e->cfg, each setting once, and the
 * password they make; fields of other names are not settings of this
 * server and are let be.
 */
int
muc_config_read(struct muc_config_edit *e, const struct xml_node *x,
    struct muc_error *err)
{
	const struct muc_config_field	*f;
	struct xml_node			*fld;
	const char			*var;
	size_t				 i;

	TAILQ_FOREACH(fld, &x->children, entry) {
		if (!xml_is(fld, NS_XDATA, "field") ||
		    (var = xml_get_attr(fld, "var")) == NULL)
			continue;
		for (i = 0; i < nitems(muc_config_fields); i++)
			if (strcmp(var, muc_config_fields[i].var) == 0)
				break;
		if (i == nitems(muc_config_fields))
			continue;
		f = &muc_config_fields[i];
		if (e->seen & (1U << f->slot))
			return (muc_stanza_seterr(err, "modify", "bad-request",
			    "A setting is given twice"));
		e->seen |= 1U << f->slot;
		if (f->read(f, e, fld, err) == MUC_FAIL)
			return (MUC_FAIL);
	}
	return (muc_config_password(e, err));
}
