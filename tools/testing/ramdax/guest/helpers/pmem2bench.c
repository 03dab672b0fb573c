// SPDX-License-Identifier: GPL-2.0
/*
 * pmem2bench - libpmem2 memcpy bandwidth on a file or a device-dax device:
 * map it whole (any granularity), then copy BLOCK bytes at a time through
 * pmem2_get_memcpy_fn(), walking the first WINDOW of the mapping, for
 * SECONDS seconds.
 *
 *   pmem2bench PATH BLOCK SECONDS [flush|noflush]
 *
 * flush (the default) passes flags 0: what the mapping's granularity asks
 * for (cache-line: every line flushed, then a fence).  noflush passes
 * PMEM2_F_MEM_NOFLUSH: stores only, about what byte granularity (a
 * "cpu_cache" persistence domain, eADR) gives.  PMEM2_FORCE_GRANULARITY in
 * the environment chooses the granularity libpmem2 maps with.
 *
 * Prints "granularity=G block=B mibps=M" and checks that the last block
 * copied reads back.
 *
 * ramdax-link: -lpmem2
 * Exit 0 on success, 1 on an error (one line on stderr), 2 on bad usage.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpmem2.h>

#include "helpers.h"

#define WINDOW (32UL << 20)

static const char *gran_name(enum pmem2_granularity g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE: return "byte";
	case PMEM2_GRANULARITY_CACHE_LINE: return "cache-line";
	case PMEM2_GRANULARITY_PAGE: return "page";
	}
	return "?";
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct pmem2_source *src;
	struct pmem2_config *cfg;
	struct pmem2_map *map;
	pmem2_memcpy_fn cpy;
	size_t block, len, off = 0, last = 0;
	unsigned int flags = 0;
	double secs, t0, t;
	unsigned long n = 0;
	unsigned char *p, *buf;
	int fd, ret = 1;

	if (argc < 4 || argc > 5)
		goto usage;
	block = parse_size("pmem2bench", argv[2]);
	secs = strtod(argv[3], NULL);
	if (argc == 5) {
		if (!strcmp(argv[4], "noflush"))
			flags = PMEM2_F_MEM_NOFLUSH;
		else if (strcmp(argv[4], "flush"))
			goto usage;
	}
	if (!block || secs <= 0)
		goto usage;
	buf = malloc(block);
	if (!buf) {
		perror("pmem2bench: malloc");
		return 1;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (pmem2_source_from_fd(&src, fd) || pmem2_config_new(&cfg) ||
	    pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE) ||
	    pmem2_map_new(&map, cfg, src)) {
		fprintf(stderr, "pmem2bench: map %s: %s\n", argv[1], pmem2_errormsg());
		return 1;
	}
	p = pmem2_map_get_address(map);
	len = pmem2_map_get_size(map);
	if (len > WINDOW)
		len = WINDOW;
	if (block > len) {
		fprintf(stderr, "pmem2bench: block %zu is larger than %s (%zu)\n",
			block, argv[1], len);
		return 1;
	}
	cpy = pmem2_get_memcpy_fn(map);
	t0 = now_s();
	do {
		/* The clock only every 64 copies: small blocks are the point. */
		for (int i = 0; i < 64; i++) {
			buf[0] = (unsigned char)n;
			cpy(p + off, buf, block, flags);
			last = off;
			off += block;
			if (off + block > len)
				off = 0;
			n++;
		}
		t = now_s() - t0;
	} while (t < secs);
	if (p[last] != (unsigned char)(n - 1) || memcmp(p + last + 1, buf + 1, block - 1)) {
		fprintf(stderr, "pmem2bench: the last block copied does not read back\n");
		goto out;
	}
	printf("granularity=%s block=%zu mibps=%.1f\n",
	       gran_name(pmem2_map_get_store_granularity(map)), block,
	       (double)n * block / (1 << 20) / t);
	ret = 0;
out:
	pmem2_map_delete(&map);
	pmem2_config_delete(&cfg);
	pmem2_source_delete(&src);
	close(fd);
	free(buf);
	return ret;
usage:
	fprintf(stderr, "usage: pmem2bench PATH BLOCK SECONDS [flush|noflush]\n");
	return 2;
}
