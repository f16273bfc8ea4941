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
 * Offline messages in the store: kept per account up to the domain's
 * limit, handed to the router once and deleted in the same transaction.
 */

#include <sys/types.h>
#include <sys/uio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "store.h"

static sqlite3_stmt	*st_exists, *st_count, *st_insert, *st_fetch, *st_del;

void
offline_init(void)
{
	store_exec("CREATE TABLE IF NOT EXISTS offline ("
	    "id INTEGER PRIMARY KEY AUTOINCREMENT, "
	    "domain TEXT NOT NULL, localpart TEXT NOT NULL, "
	    "stamp INTEGER NOT NULL, xml TEXT NOT NULL, "
	    "FOREIGN KEY (domain, localpart) REFERENCES accounts "
	    "ON DELETE CASCADE)");
	store_exec("CREATE INDEX IF NOT EXISTS offline_owner "
	    "ON offline (domain, localpart, id)");
	st_exists = store_prepare("SELECT 1 FROM accounts "
	    "WHERE domain = ? AND localpart = ?");
	st_count = store_prepare("SELECT count(*) FROM offline "
	    "WHERE domain = ? AND localpart = ?");
	st_insert = store_prepare("INSERT INTO offline "
	    "(domain, localpart, stamp, xml) VALUES (?, ?, ?, ?)");
	st_fetch = store_prepare("SELECT xml FROM offline "
	    "WHERE domain = ? AND localpart = ? ORDER BY id");
	st_del = store_prepare("DELETE FROM offline "
	    "WHERE domain = ? AND localpart = ?");
}

static void
offline_bind(sqlite3_stmt *st, struct offline_req *r)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, r->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->localpart, -1, SQLITE_STATIC);
}

static int
offline_count(sqlite3_stmt *st, struct offline_req *r)
{
	int	 n = -1;

	offline_bind(st, r);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return (n);
}

static int
offline_store(struct offline_req *r, const char *xml, size_t len)
{
	int	 rc;

	if (offline_count(st_exists, r) != 1)
		return (OFFLINE_NO_ACCOUNT);
	if (offline_count(st_count, r) >= r->limit)
		return (OFFLINE_FULL);
	offline_bind(st_insert, r);
	sqlite3_bind_int64(st_insert, 3, time(NULL));
	sqlite3_bind_text(st_insert, 4, xml, len, SQLITE_STATIC);
	rc = sqlite3_step(st_insert);
	sqlite3_reset(st_insert);
	return (rc == SQLITE_DONE ? OFFLINE_STORED : OFFLINE_ERROR);
}

static void
offline_fetch(struct imsgev *iev, uint32_t id, struct offline_req *r)
{
	struct iovec	 iov[2];
	const char	*xml;

	if (store_begin() == -1) {
		imsgev_compose(iev, IMSG_OFFLINE_END, id, 0, -1, r,
		    sizeof(*r));
		return;
	}
	offline_bind(st_fetch, r);
	while (sqlite3_step(st_fetch) == SQLITE_ROW) {
		xml = (const char *)sqlite3_column_text(st_fetch, 0);
		iov[0].iov_base = r;
		iov[0].iov_len = sizeof(*r);
		iov[1].iov_base = (void *)xml;
		iov[1].iov_len = sqlite3_column_bytes(st_fetch, 0);
		imsgev_composev(iev, IMSG_OFFLINE_MSG, id, 0, -1, iov, 2);
	}
	sqlite3_reset(st_fetch);
	offline_bind(st_del, r);
	(void)sqlite3_step(st_del);
	sqlite3_reset(st_del);
	if (store_commit() == -1)
		log_warnx("offline: could not delete delivered messages of "
		    "%s@%s", r->localpart, r->domain);
	imsgev_compose(iev, IMSG_OFFLINE_END, id, 0, -1, r, sizeof(*r));
}

int
offline_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct offline_res	 res;
	struct offline_req	 req;
	struct ibuf		 ib;
	struct iovec		 iov[2];

	switch (imsg_get_type(imsg)) {
	case IMSG_OFFLINE_STORE:
	case IMSG_OFFLINE_FETCH:
		break;
	default:
		return (1);
	}
	if (iev->type != PROC_ROUTER || imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &req, sizeof(req)) == -1)
		return (-1);
	req.localpart[sizeof(req.localpart) - 1] = '\0';
	req.domain[sizeof(req.domain) - 1] = '\0';
	if (imsg_get_type(imsg) == IMSG_OFFLINE_FETCH) {
		offline_fetch(iev, imsg_get_id(imsg), &req);
		return (0);
	}
	memset(&res, 0, sizeof(res));
	res.req = req;
	res.status = offline_store(&req, ibuf_data(&ib), ibuf_size(&ib));
	iov[0].iov_base = &res;
	iov[0].iov_len = sizeof(res);
	/* A refused message goes back, for the sender's error. */
	iov[1].iov_base = ibuf_data(&ib);
	iov[1].iov_len = res.status == OFFLINE_STORED ? 0 : ibuf_size(&ib);
	imsgev_composev(iev, IMSG_OFFLINE_STORED, imsg_get_id(imsg), 0, -1,
	    iov, 2);
	return (0);
}
