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
 * xmppctl convert: what ejabberd 23.01 exports (export_piefxis,
 * dump_table archive_msg) made into one XEP-0227 file for xmppctl import;
 * a XEP-0227 file made into the files of Prosody's XEP-0227 store; the
 * offline messages of Prosody's data directory (convert_lua.c) added to
 * its XEP-0227 files.
 */

#ifndef CONVERT_H
#define CONVERT_H

int	 convert_ejabberd(const char *, const char *, const char *);
int	 convert_ejabberd_rooms(const char *, const char *, const char *);
int	 convert_prosody(const char *, const char *);
int	 convert_prosody_offline(const char *, const char *, const char *);

int	 convert_hex(int);
size_t	 convert_utf8(long, char [4]);

struct xml_node;
int	 convert_lua_offline(const char *, const char *, const char *,
	    struct xml_node *, char *, size_t);

#endif /* CONVERT_H */
