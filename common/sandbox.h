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
 * The sandbox a process enters once it holds what it needs, named as
 * OpenBSD's pledge(2) promises: sandbox("stdio recvfd").  On OpenBSD this
 * is pledge(2); on Linux each promise maps to a group of system calls in
 * a libseccomp filter that kills the process on any other call and has
 * the parent log which one.
 */

#ifndef SANDBOX_H
#define SANDBOX_H

/*
 * Promises understood: stdio rpath wpath cpath flock inet unix dns
 * recvfd sendfd proc exec id.  An unknown promise is fatal.
 * On failure the process exits: it never runs unsandboxed.
 */
void	sandbox(const char *);

/*
 * Before sandbox(): TCP connections to this port only, where the system
 * can say so (Linux: Landlock, 6.7 and later).
 */
void	sandbox_tcp_connect(int);

/*
 * Before sandbox(): of all files, open this one only, or those under
 * this directory, for reading (NULL: none), where the system can say so
 * (Linux: Landlock; OpenBSD: unveil).  For a library that takes a path,
 * with "rpath".
 */
void	sandbox_read_only(const char *);

/* Linux: name of a system call number, for the parent's log line. */
const char *sandbox_syscall_name(int);

#endif /* SANDBOX_H */
