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
 * Rosters in the store: the router loads a user's roster once and then
 * sends each change; every change also moves the roster version.
 */

#include <sys/types.h>
#include <sys/uio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "store.h"

static sqlite3_stmt	*st_items, *st_ver, *st_exists, *st_save, *st_del;
static sqlite3_stmt	*st_setver;

void
roster_store_init(void)
{
	store_exec("CREATE TABLE IF NOT EXISTS roster ("
	    "domain TEXT NOT NULL, localpart TEXT NOT NULL, "
	    "contact TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', "
	    "groups TEXT NOT NULL DEFAULT '', subscription INTEGER NOT NULL, "
	    "ask INTEGER NOT NULL, approved INTEGER NOT NULL, "
	    "in_roster INTEGER NOT NULL, pending TEXT NOT NULL DEFAULT '', "
	    "PRIMARY KEY (domain, localpart, contact), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)");
	store_exec("CREATE TABLE IF NOT EXISTS roster_version ("
	    "domain TEXT NOT NULL, localpart TEXT NOT NULL, "
	    "ver INTEGER NOT NULL, PRIMARY KEY (domain, localpart), "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)");
	st_items = store_prepare("SELECT contact, name, groups, subscription, "
	    "ask, approved, in_roster, pending FROM roster "
	    "WHERE domain = ? AND localpart = ?");
	st_ver = store_prepare("SELECT ver FROM roster_version "
	    "WHERE domain = ? AND localpart = ?");
	st_exists = store_prepare("SELECT 1 FROM accounts "
	    "WHERE domain = ? AND localpart = ?");
	st_save = store_prepare("INSERT OR REPLACE INTO roster (domain, "
	    "localpart, contact, name, groups, subscription, ask, approved, "
	    "in_roster, pending) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	st_del = store_prepare("DELETE FROM roster "
	    "WHERE domain = ? AND localpart = ? AND contact = ?");
	st_setver = store_prepare("INSERT OR REPLACE INTO roster_version "
	    "(domain, localpart, ver) VALUES (?, ?, ?)");
}

static void
roster_bind_owner(sqlite3_stmt *st, struct roster_owner *o)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, o->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->localpart, -1, SQLITE_STATIC);
}

static void
roster_load(struct imsgev *iev, struct roster_owner *o)
{
	struct roster_item_msg	 it;
	struct iovec		 iov[4];

	roster_bind_owner(st_exists, o);
	o->exists = sqlite3_step(st_exists) == SQLITE_ROW;
	sqlite3_reset(st_exists);
	roster_bind_owner(st_ver, o);
	o->ver = sqlite3_step(st_ver) == SQLITE_ROW ?
	    sqlite3_column_int64(st_ver, 0) : 0;
	sqlite3_reset(st_ver);
	roster_bind_owner(st_items, o);
	while (o->exists && sqlite3_step(st_items) == SQLITE_ROW) {
		memset(&it, 0, sizeof(it));
		it.owner = *o;
		(void)strlcpy(it.contact, (const char *)
		    sqlite3_column_text(st_items, 0), sizeof(it.contact));
		it.namelen = sqlite3_column_bytes(st_items, 1);
		it.groupslen = sqlite3_column_bytes(st_items, 2);
		it.sub = sqlite3_column_int(st_items, 3);
		it.ask = sqlite3_column_int(st_items, 4);
		it.approved = sqlite3_column_int(st_items, 5);
		it.in_roster = sqlite3_column_int(st_items, 6);
		it.pendinglen = sqlite3_column_bytes(st_items, 7);
		iov[0].iov_base = &it;
		iov[0].iov_len = sizeof(it);
		iov[1].iov_base = (void *)sqlite3_column_text(st_items, 1);
		iov[1].iov_len = it.namelen;
		iov[2].iov_base = (void *)sqlite3_column_text(st_items, 2);
		iov[2].iov_len = it.groupslen;
		iov[3].iov_base = (void *)sqlite3_column_text(st_items, 7);
		iov[3].iov_len = it.pendinglen;
		imsgev_composev(iev, IMSG_ROSTER_ITEM, 0, 0, -1, iov, 4);
	}
	sqlite3_reset(st_items);
	imsgev_compose(iev, IMSG_ROSTER_LOADED, 0, 0, -1, o, sizeof(*o));
}

static int
roster_setver(struct roster_owner *o)
{
	int	 rc;

	roster_bind_owner(st_setver, o);
	sqlite3_bind_int64(st_setver, 3, o->ver);
	rc = sqlite3_step(st_setver);
	sqlite3_reset(st_setver);
	return (rc == SQLITE_DONE ? 0 : -1);
}

static void
roster_save(struct roster_item_msg *it, struct ibuf *ib, int del)
{
	const char	*name, *groups, *pending;
	int		 rc;

	if (ibuf_size(ib) != (size_t)it->namelen + it->groupslen +
	    it->pendinglen)
		fatalx("%s: bad item", __func__);
	name = ibuf_data(ib);
	groups = name + it->namelen;
	pending = groups + it->groupslen;
	if (store_begin() == -1)
		goto fail;
	if (del) {
		roster_bind_owner(st_del, &it->owner);
		sqlite3_bind_text(st_del, 3, it->contact, -1, SQLITE_STATIC);
		rc = sqlite3_step(st_del);
		sqlite3_reset(st_del);
	} else {
		roster_bind_owner(st_save, &it->owner);
		sqlite3_bind_text(st_save, 3, it->contact, -1, SQLITE_STATIC);
		sqlite3_bind_text(st_save, 4, name, it->namelen, SQLITE_STATIC);
		sqlite3_bind_text(st_save, 5, groups, it->groupslen,
		    SQLITE_STATIC);
		sqlite3_bind_int(st_save, 6, it->sub);
		sqlite3_bind_int(st_save, 7, it->ask);
		sqlite3_bind_int(st_save, 8, it->approved);
		sqlite3_bind_int(st_save, 9, it->in_roster);
		sqlite3_bind_text(st_save, 10, pending, it->pendinglen,
		    SQLITE_STATIC);
		rc = sqlite3_step(st_save);
		sqlite3_reset(st_save);
	}
	if (rc != SQLITE_DONE || roster_setver(&it->owner) == -1) {
		store_rollback();
		goto fail;
	}
	if (store_commit() == 0)
		return;
 fail:
	log_warnx("roster of %s@%s: could not save %s",
	    it->owner.localpart, it->owner.domain, it->contact);
}

int
roster_store_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct roster_owner	 o;
	struct roster_item_msg	 it;
	struct ibuf		 ib;

	switch (imsg_get_type(imsg)) {
	case IMSG_ROSTER_LOAD:
		if (iev->type != PROC_ROUTER ||
		    imsg_get_data(imsg, &o, sizeof(o)) == -1)
			return (-1);
		o.localpart[sizeof(o.localpart) - 1] = '\0';
		o.domain[sizeof(o.domain) - 1] = '\0';
		roster_load(iev, &o);
		return (0);
	case IMSG_ROSTER_SAVE:
	case IMSG_ROSTER_DELETE:
		if (iev->type != PROC_ROUTER ||
		    imsg_get_ibuf(imsg, &ib) == -1 ||
		    ibuf_get(&ib, &it, sizeof(it)) == -1)
			return (-1);
		it.owner.localpart[sizeof(it.owner.localpart) - 1] = '\0';
		it.owner.domain[sizeof(it.owner.domain) - 1] = '\0';
		it.contact[sizeof(it.contact) - 1] = '\0';
		roster_save(&it, &ib, imsg_get_type(imsg) ==
		    IMSG_ROSTER_DELETE);
		return (0);
	}
	return (1);
}
