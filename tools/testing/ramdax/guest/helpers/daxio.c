// SPDX-License-Identifier: GPL-2.0
/*
 * daxio - write or verify a seeded pattern through an mmap of a file or a
 * device-dax character device (which supports neither read(2) nor write(2)).
 *
 *   daxio write  PATH OFFSET LENGTH SEED [AT]
 *   daxio verify PATH OFFSET LENGTH SEED [AT]
 *
 * The pattern is the one written at offset AT (default OFFSET): bytes a
 * guest wrote at the start of its disk are found at OFFSET of the file or
 * device that backs it.
 * OFFSET and LENGTH take K/M/G suffixes and must respect the mapping's
 * alignment (2M for a default devdax).  Exit 0 on success, 1 on a mismatch
 * or error, with one line on stderr saying which.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

/* xorshift64: cheap, seedable, and a stuck or shifted page shows up. */
static uint64_t next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

int main(int argc, char **argv)
{
	uint64_t off, at, len, seed, i, *p, x;
	int write_mode, fd;
	struct stat st;
	void *map;

	if (argc < 6 || argc > 7 || (strcmp(argv[1], "write") && strcmp(argv[1], "verify"))) {
		fprintf(stderr, "usage: daxio write|verify PATH OFFSET LENGTH SEED [AT]\n");
		return 2;
	}
	write_mode = !strcmp(argv[1], "write");
	off = parse_size("daxio", argv[3]);
	len = parse_size("daxio", argv[4]);
	seed = parse_size("daxio", argv[5]);
	at = argc == 7 ? parse_size("daxio", argv[6]) : off;
	x = seed * 2654435761u + 1;

	fd = open(argv[2], write_mode ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "daxio: open %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (fstat(fd, &st)) {
		fprintf(stderr, "daxio: stat %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	map = mmap(NULL, len, write_mode ? PROT_READ | PROT_WRITE : PROT_READ,
		   MAP_SHARED, fd, off);
	if (map == MAP_FAILED) {
		fprintf(stderr, "daxio: mmap %s offset %llu length %llu: %s\n", argv[2],
			(unsigned long long)off, (unsigned long long)len, strerror(errno));
		return 1;
	}
	p = map;
	for (i = 0; i < len / sizeof(*p); i++) {
		uint64_t want = next(&x) ^ (at + i * sizeof(*p));

		if (write_mode) {
			p[i] = want;
		} else if (p[i] != want) {
			fprintf(stderr, "daxio: %s: mismatch at offset %llu: 0x%016llx, want 0x%016llx\n",
				argv[2], (unsigned long long)(off + i * sizeof(*p)),
				(unsigned long long)p[i], (unsigned long long)want);
			return 1;
		}
	}
	/* device-dax has no msync (EINVAL): its stores are already durable. */
	if (write_mode && !S_ISCHR(st.st_mode) && msync(map, len, MS_SYNC)) {
		fprintf(stderr, "daxio: msync %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	munmap(map, len);
	close(fd);
	printf("daxio: %s %llu bytes at %llu of %s ok\n", argv[1],
	       (unsigned long long)len, (unsigned long long)off, argv[2]);
	return 0;
}
