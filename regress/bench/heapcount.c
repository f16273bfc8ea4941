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
 * libheapcount.so, preloaded into xmppd by soak.py --heap: the bytes and
 * blocks each process has allocated and not freed, by block size, in a
 * file of /dev/shm named after its pid that the soak reads while it
 * runs.  RSS tells late and coarsely that memory grows (freed memory
 * stays resident); the live heap tells at once, and the size of the
 * blocks that pile up names the structure.  xmppd's children are
 * sandboxed and chrooted: the file is opened and mapped when a process
 * starts, before any of that, and only written through the mapping
 * after.  glibc's own allocator does the work (__libc_malloc...).
 */

#include <sys/types.h>
#include <sys/mman.h>

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HC_CLASSES	256	/* 16-byte classes up to 4 KiB, then more */

struct heapcount {
	uint64_t	 pid;
	uint64_t	 live_bytes;
	uint64_t	 live_blocks;
	uint64_t	 mallocs;
	uint64_t	 frees;
	uint64_t	 blocks[HC_CLASSES];	/* live, by usable size */
};

void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);
void	*__libc_memalign(size_t, size_t);
void	 __libc_free(void *);

static struct heapcount	 hc_early;	/* until the file is mapped */
static struct heapcount	*hc = &hc_early;

static size_t
hc_class(size_t n)
{
	return (n / 16 < HC_CLASSES - 1 ? n / 16 : HC_CLASSES - 1);
}

static void
hc_add(void *p)
{
	size_t	 n;

	if (p == NULL)
		return;
	n = malloc_usable_size(p);
	__atomic_add_fetch(&hc->live_bytes, n, __ATOMIC_RELAXED);
	__atomic_add_fetch(&hc->live_blocks, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&hc->mallocs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&hc->blocks[hc_class(n)], 1, __ATOMIC_RELAXED);
}

static void
hc_sub(void *p)
{
	size_t	 n;

	if (p == NULL)
		return;
	n = malloc_usable_size(p);
	__atomic_sub_fetch(&hc->live_bytes, n, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&hc->live_blocks, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&hc->frees, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&hc->blocks[hc_class(n)], 1, __ATOMIC_RELAXED);
}

void *
malloc(size_t n)
{
	void	*p = __libc_malloc(n);

	hc_add(p);
	return (p);
}

void *
calloc(size_t nmemb, size_t n)
{
	void	*p = __libc_calloc(nmemb, n);

	hc_add(p);
	return (p);
}

void *
realloc(void *old, size_t n)
{
	size_t	 was = old != NULL ? malloc_usable_size(old) : 0;
	void	*p;

	if (old != NULL && n == 0) {
		free(old);
		return (NULL);
	}
	if ((p = __libc_realloc(old, n)) == NULL)
		return (NULL);
	if (old != NULL) {
		__atomic_sub_fetch(&hc->live_bytes, was, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&hc->live_blocks, 1, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&hc->blocks[hc_class(was)], 1,
		    __ATOMIC_RELAXED);
		__atomic_add_fetch(&hc->frees, 1, __ATOMIC_RELAXED);
	}
	hc_add(p);
	return (p);
}

void
free(void *p)
{
	hc_sub(p);
	__libc_free(p);
}

void *
memalign(size_t align, size_t n)
{
	void	*p = __libc_memalign(align, n);

	hc_add(p);
	return (p);
}

void *
aligned_alloc(size_t align, size_t n)
{
	return (memalign(align, n));
}

int
posix_memalign(void **out, size_t align, size_t n)
{
	void	*p;

	if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0)
		return (22);	/* EINVAL */
	if ((p = memalign(align, n)) == NULL)
		return (12);	/* ENOMEM */
	*out = p;
	return (0);
}

void *
valloc(size_t n)
{
	return (memalign(sysconf(_SC_PAGESIZE), n));
}

void *
pvalloc(size_t n)
{
	size_t	 pg = sysconf(_SC_PAGESIZE);

	return (memalign(pg, (n + pg - 1) / pg * pg));
}

/* Each exec'd process maps a file of its own; a fork maps a new one. */
static void
hc_map(void)
{
	struct heapcount	*m;
	char			 path[64];
	int			 fd;

	snprintf(path, sizeof(path), "/dev/shm/heapcount.%d", (int)getpid());
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return;
	if (ftruncate(fd, sizeof(*m)) == -1 || (m = mmap(NULL, sizeof(*m),
	    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		close(fd);
		return;
	}
	close(fd);
	memcpy(m, hc, sizeof(*m));
	m->pid = getpid();
	hc = m;
}

static void __attribute__((constructor))
hc_init(void)
{
	hc_map();
	pthread_atfork(NULL, NULL, hc_map);
}
