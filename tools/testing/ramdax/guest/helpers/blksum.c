// SPDX-License-Identifier: GPL-2.0
/*
 * blksum - checksum the first bytes of block devices, read with O_DIRECT so
 * that what is checked is the medium, not the page cache.  One process for
 * several devices: under TCG a process start costs more than the hashing.
 *
 *   blksum LENGTH DEV...
 *
 * LENGTH takes K/M suffixes and must be a multiple of 4 KiB.  Prints one line
 * "HASH DEV" per device (64-bit FNV-1a over 64-bit words, in hex); exit 1 if
 * a device cannot be read in full.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define CHUNK (1 << 20)

int main(int argc, char **argv)
{
	uint64_t len, done, h, *w;
	int i, fd, rc = 0;
	size_t j, n;
	ssize_t got;
	void *buf;

	if (argc < 3) {
		fprintf(stderr, "usage: blksum LENGTH DEV...\n");
		return 2;
	}
	len = parse_size("blksum", argv[1]);
	if (!len || len % 4096) {
		fprintf(stderr, "blksum: bad length '%s'\n", argv[1]);
		return 2;
	}
	if (posix_memalign(&buf, 4096, CHUNK)) {
		fprintf(stderr, "blksum: out of memory\n");
		return 1;
	}
	for (i = 2; i < argc; i++) {
		fd = open(argv[i], O_RDONLY | O_DIRECT);
		if (fd < 0) {
			fprintf(stderr, "blksum: open %s: %s\n", argv[i], strerror(errno));
			rc = 1;
			continue;
		}
		h = 0xcbf29ce484222325ULL;
		for (done = 0; done < len; done += got) {
			n = len - done < CHUNK ? len - done : CHUNK;
			got = pread(fd, buf, n, done);
			if (got <= 0 || got % 8)
				break;
			for (w = buf, j = 0; j < (size_t)got / 8; j++)
				h = (h ^ w[j]) * 0x100000001b3ULL;
		}
		close(fd);
		if (done < len) {
			fprintf(stderr, "blksum: %s: read %llu of %llu bytes: %s\n", argv[i],
				(unsigned long long)done, (unsigned long long)len,
				got < 0 ? strerror(errno) : "short");
			rc = 1;
			continue;
		}
		printf("%016llx %s\n", (unsigned long long)h, argv[i]);
	}
	free(buf);
	return rc;
}
