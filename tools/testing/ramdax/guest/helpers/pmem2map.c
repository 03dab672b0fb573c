// SPDX-License-Identifier: GPL-2.0
/*
 * pmem2map - what libpmem2 makes of a file or a device-dax device: map it
 * whole, requiring a store granularity, and say what it got.
 *
 *   pmem2map PATH [byte|cache-line|page]
 *
 * Prints "granularity=G alignment=A size=S" (G is libpmem2's effective
 * granularity: page means it will msync, i.e. not persistent memory), then
 * fills the mapping's first MiB through pmem2's memset with persist and
 * reads it back.  The required granularity defaults to page (any mapping);
 * with cache-line or byte, pmem2_map_new() refuses what is not pmem.
 *
 * ramdax-link: -lpmem2
 * Exit 0 on success, 1 on an error (one line on stderr), 2 on bad usage.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libpmem2.h>

static const char *gran_name(enum pmem2_granularity g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE: return "byte";
	case PMEM2_GRANULARITY_CACHE_LINE: return "cache-line";
	case PMEM2_GRANULARITY_PAGE: return "page";
	}
	return "?";
}

int main(int argc, char **argv)
{
	enum pmem2_granularity want = PMEM2_GRANULARITY_PAGE;
	struct pmem2_source *src;
	struct pmem2_config *cfg;
	struct pmem2_map *map;
	pmem2_memset_fn set;
	size_t align, len, i;
	unsigned char *p;
	int fd, ret = 1;
	size_t size;

	if (argc < 2 || argc > 3)
		goto usage;
	if (argc == 3) {
		if (!strcmp(argv[2], "byte"))
			want = PMEM2_GRANULARITY_BYTE;
		else if (!strcmp(argv[2], "cache-line"))
			want = PMEM2_GRANULARITY_CACHE_LINE;
		else if (strcmp(argv[2], "page"))
			goto usage;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (pmem2_source_from_fd(&src, fd) || pmem2_source_alignment(src, &align) ||
	    pmem2_source_size(src, &size)) {
		fprintf(stderr, "pmem2map: source %s: %s\n", argv[1], pmem2_errormsg());
		return 1;
	}
	if (pmem2_config_new(&cfg) ||
	    pmem2_config_set_required_store_granularity(cfg, want)) {
		fprintf(stderr, "pmem2map: config: %s\n", pmem2_errormsg());
		return 1;
	}
	if (pmem2_map_new(&map, cfg, src)) {
		fprintf(stderr, "pmem2map: map %s (granularity %s required): %s\n",
			argv[1], gran_name(want), pmem2_errormsg());
		return 1;
	}
	printf("granularity=%s alignment=%zu size=%zu\n",
	       gran_name(pmem2_map_get_store_granularity(map)), align, size);
	p = pmem2_map_get_address(map);
	len = pmem2_map_get_size(map);
	if (len > 1 << 20)
		len = 1 << 20;
	set = pmem2_get_memset_fn(map);
	set(p, 0x5a, len, 0);
	for (i = 0; i < len; i++)
		if (p[i] != 0x5a)
			break;
	if (i == len)
		ret = 0;
	else
		fprintf(stderr, "pmem2map: byte %zu reads %u after memset\n", i, p[i]);
	pmem2_map_delete(&map);
	pmem2_config_delete(&cfg);
	pmem2_source_delete(&src);
	close(fd);
	return ret;
usage:
	fprintf(stderr, "usage: pmem2map PATH [byte|cache-line|page]\n");
	return 2;
}
