// SPDX-License-Identifier: GPL-2.0
/*
 * bdhold - open a block device, as a user of it would, for a while.
 *
 *   bdhold [-x] DEV MS
 *
 * Opens DEV read-only (-x: exclusively, O_EXCL, which claims the disk as a
 * mount does), reads its first 64 KiB (O_DIRECT: from the medium, not the
 * page cache), keeps it open MS milliseconds, reads them again and closes
 * it.  Exit 0 if all that worked; 3 if the open
 * failed, 4 if a read failed with DEV open; one line on stderr saying why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEN (64 << 10)

static void *buf;

static int read_start(int fd, const char *dev)
{
	ssize_t n = pread(fd, buf, LEN, 0);

	if (n == LEN)
		return 0;
	fprintf(stderr, "bdhold: read %s: %s\n", dev, n < 0 ? strerror(errno) : "short");
	return 4;
}

int main(int argc, char **argv)
{
	int excl = argc > 1 && !strcmp(argv[1], "-x");
	struct timespec ts;
	long ms;
	int fd, rc;

	if (argc != 3 + excl) {
		fprintf(stderr, "usage: bdhold [-x] DEV MS\n");
		return 2;
	}
	ms = strtol(argv[2 + excl], NULL, 0);
	if (posix_memalign(&buf, 4096, LEN))
		return 1;
	fd = open(argv[1 + excl], O_RDONLY | O_DIRECT | (excl ? O_EXCL : 0));
	if (fd < 0) {
		fprintf(stderr, "bdhold: open %s%s: %s\n", argv[1 + excl],
			excl ? " exclusively" : "", strerror(errno));
		return 3;
	}
	rc = read_start(fd, argv[1 + excl]);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = ms % 1000 * 1000000;
	nanosleep(&ts, NULL);
	if (!rc)
		rc = read_start(fd, argv[1 + excl]);
	close(fd);
	return rc;
}
