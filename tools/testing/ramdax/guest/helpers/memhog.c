// SPDX-License-Identifier: GPL-2.0
/*
 * memhog: a process that keeps its memory in use, as a loaded host does.
 *
 *   memhog SIZE
 *
 * Maps SIZE bytes (K/M/G suffixes) of anonymous memory, prints "hogging"
 * once every page has been touched, then writes every page again, round
 * after round, until killed: the pages stay resident and dirty, so taking
 * their memory away means migrating them.  Exits 1 if the mapping fails.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"

int main(int argc, char **argv)
{
	volatile unsigned char *p;
	unsigned long round = 0;
	size_t len, i, page;

	if (argc != 2) {
		fprintf(stderr, "usage: memhog SIZE\n");
		return 2;
	}
	len = parse_size("memhog", argv[1]);
	page = sysconf(_SC_PAGESIZE);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED) {
		perror("memhog: mmap");
		return 1;
	}
	for (;;) {
		for (i = 0; i < len; i += page)
			p[i] = (unsigned char)(round + i / page);
		if (!round++) {
			printf("hogging\n");
			fflush(stdout);
		}
	}
}
