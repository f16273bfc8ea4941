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
 * Feeds every file of a corpus once to a harness built without
 * libFuzzer, so that each input ever kept, crashes found included, is a
 * regression test of `make test`.  Each corpus directory named on the
 * command line is one check; a harness aborts on a broken invariant,
 * and the sanitizers on a memory error, which the runner sees as the
 * exit status.  The name of each file is printed before it is fed.
 * Built with REPLAY_CORPUS, no argument replays that directory.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	replay_file(const char *);
static int	replay_dir(const char *, int);

static int
replay_file(const char *path)
{
	FILE		*f;
	struct stat	 st;
	uint8_t		*buf;
	size_t		 n;

	if ((f = fopen(path, "rb")) == NULL)
		return (-1);
	if (fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode) ||
	    (buf = malloc(st.st_size > 0 ? st.st_size : 1)) == NULL) {
		fclose(f);
		return (-1);
	}
	n = fread(buf, 1, st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		free(buf);
		return (-1);
	}
	printf("# %s\n", path);
	fflush(stdout);
	/* Exactly the file's length: a read past it is ASan's to see. */
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return (0);
}

static int
replay_dir(const char *dir, int num)
{
	struct dirent	**ent;
	char		  path[4096];
	int		  i, n, fed = 0, bad = 0;

	if ((n = scandir(dir, &ent, NULL, alphasort)) == -1) {
		printf("not ok %d - %s: cannot be read\n", num, dir);
		return (1);
	}
	for (i = 0; i < n; i++) {
		if (ent[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    ent[i]->d_name);
			if (replay_file(path) == -1) {
				printf("# %s: cannot be read\n", path);
				bad = 1;
			} else
				fed++;
		}
		free(ent[i]);
	}
	free(ent);
	if (bad || fed == 0) {
		printf("not ok %d - %s: %d inputs, %s\n", num, dir, fed,
		    bad ? "some unreadable" : "none");
		return (1);
	}
	printf("ok %d - %s: %d inputs\n", num, dir, fed);
	return (0);
}

int
main(int argc, char *argv[])
{
	int	 i, fail = 0;

#ifdef REPLAY_CORPUS
	/* As a unit test, run from regress/ with no argument. */
	if (argc < 2)
		return (replay_dir(REPLAY_CORPUS, 1));
#endif
	if (argc < 2) {
		fprintf(stderr, "usage: %s corpus ...\n", argv[0]);
		return (1);
	}
	for (i = 1; i < argc; i++)
		fail |= replay_dir(argv[i], i);
	return (fail);
}
