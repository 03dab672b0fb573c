// SPDX-License-Identifier: GPL-2.0
/*
 * mapcheck - what the kernel lets a process map, and how it maps it, on a
 * DAX file or a device-dax character device.  Each command exits 0 when the
 * kernel behaved as the command name says, 1 when it did not (one line on
 * stderr saying how), 2 on a usage error.
 *
 *   mapcheck sync PATH            MAP_SHARED_VALIDATE|MAP_SYNC is accepted:
 *                                 the first page of PATH (created, at least
 *                                 a page long) is written through it and
 *                                 read back with pread(2)
 *   mapcheck sync-refused PATH    ... is refused with EOPNOTSUPP (a file
 *                                 that is not on a DAX mount)
 *   mapcheck private-refused PATH LENGTH
 *                                 MAP_PRIVATE is refused with EINVAL
 *                                 (device-dax allows shared mappings only)
 *   mapcheck pmd PATH LENGTH      every 2 MiB of a 2 MiB-aligned shared
 *                                 mapping of PATH is mapped by one PMD
 *
 * How "pmd" knows: it maps PATH at a 2 MiB-aligned address, writes one word
 * at the start of each 2 MiB chunk (one write fault per chunk) and reads
 * /proc/self/pagemap for the chunk's LAST page.  A DAX vma has no fault-around
 * for write faults, so a PTE fault makes only the written page present; a
 * PMD fault makes all 512 present, and pagemap reports each 4 KiB page of a
 * PMD leaf (pagemap_pmd_range() in 6.1, 6.12 and 7.2 alike).  As root the
 * entry also carries the PFN: a PMD maps a 2 MiB-aligned physical frame.
 * (smaps' FilePmdMapped does not work for this: smaps_pmd_entry() skips
 * ZONE_DEVICE folios, which every DAX page is, so it stays 0.)
 */
#define _GNU_SOURCE
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

#define SZ_2M		(2UL << 20)
#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)

static int open_rw(const char *path, int flags)
{
	int fd = open(path, O_RDWR | flags, 0644);

	if (fd < 0) {
		fprintf(stderr, "mapcheck: open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static int do_sync(const char *path, int want_refused)
{
	long pg = sysconf(_SC_PAGESIZE);
	char buf[64], *map;
	int fd = open_rw(path, O_CREAT);
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < pg &&
	    ftruncate(fd, pg)) {
		fprintf(stderr, "mapcheck: ftruncate %s: %s\n", path, strerror(errno));
		return 1;
	}
	map = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		   MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	if (want_refused) {
		if (map != MAP_FAILED) {
			fprintf(stderr, "mapcheck: %s: MAP_SYNC accepted, want EOPNOTSUPP\n", path);
			return 1;
		}
		if (errno != EOPNOTSUPP) {
			fprintf(stderr, "mapcheck: %s: MAP_SYNC refused with %s, want EOPNOTSUPP\n",
				path, strerror(errno));
			return 1;
		}
		printf("mapcheck: %s: MAP_SYNC refused: %s\n", path, strerror(errno));
		return 0;
	}
	if (map == MAP_FAILED) {
		fprintf(stderr, "mapcheck: %s: MAP_SYNC refused: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(map, 64, "written through MAP_SYNC by pid %d", (int)getpid());
	if (pread(fd, buf, sizeof(buf), 0) != sizeof(buf) || strcmp(buf, map)) {
		fprintf(stderr, "mapcheck: %s: pread does not see the MAP_SYNC store\n", path);
		return 1;
	}
	printf("mapcheck: %s: MAP_SYNC mapping accepted, store seen by pread\n", path);
	return 0;
}

static int do_private_refused(const char *path, unsigned long len)
{
	int fd = open_rw(path, 0);
	void *map;

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map != MAP_FAILED) {
		fprintf(stderr, "mapcheck: %s: MAP_PRIVATE accepted, want EINVAL\n", path);
		return 1;
	}
	if (errno != EINVAL) {
		fprintf(stderr, "mapcheck: %s: MAP_PRIVATE refused with %s, want EINVAL\n",
			path, strerror(errno));
		return 1;
	}
	printf("mapcheck: %s: MAP_PRIVATE refused: %s\n", path, strerror(errno));
	return 0;
}

static int do_pmd(const char *path, unsigned long len)
{
	unsigned long i, chunks = len / SZ_2M, pmd = 0, aligned_pfn = 0;
	uint64_t ent, first_ent;
	char *base, *map;
	struct stat st;
	int fd, pm;

	if (!chunks || len % SZ_2M) {
		fprintf(stderr, "mapcheck: pmd: LENGTH must be a multiple of 2M\n");
		return 2;
	}
	fd = open_rw(path, 0);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (unsigned long)st.st_size < len) {
		fprintf(stderr, "mapcheck: %s: %lld bytes, shorter than %lu\n", path,
			(long long)st.st_size, len);
		return 1;
	}
	/* Reserve len + 2M of address space, then map at its 2 MiB boundary. */
	base = mmap(NULL, len + SZ_2M, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		fprintf(stderr, "mapcheck: reserve: %s\n", strerror(errno));
		return 1;
	}
	map = (char *)(((unsigned long)base + SZ_2M - 1) & ~(SZ_2M - 1));
	map = mmap(map, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "mapcheck: mmap %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (i = 0; i < chunks; i++)
		*(volatile uint64_t *)(map + i * SZ_2M) = i + 1;

	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0) {
		fprintf(stderr, "mapcheck: open pagemap: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < chunks; i++) {
		unsigned long first = (unsigned long)(map + i * SZ_2M) / 4096;
		unsigned long last = first + SZ_2M / 4096 - 1;

		if (pread(pm, &first_ent, 8, first * 8) != 8 ||
		    pread(pm, &ent, 8, last * 8) != 8) {
			fprintf(stderr, "mapcheck: read pagemap: %s\n", strerror(errno));
			return 1;
		}
		if (!(first_ent & PM_PRESENT)) {
			fprintf(stderr, "mapcheck: chunk %lu: written page not present\n", i);
			return 1;
		}
		if (ent & PM_PRESENT)
			pmd++;
		/* The PFN reads as 0 without CAP_SYS_ADMIN. */
		if ((first_ent & PM_PFN_MASK) && !((first_ent & PM_PFN_MASK) % 512))
			aligned_pfn++;
	}
	printf("mapcheck: %s: %lu of %lu 2 MiB chunks PMD-mapped, %lu at a 2 MiB-aligned pfn (first pfn 0x%llx)\n",
	       path, pmd, chunks, aligned_pfn,
	       (unsigned long long)(first_ent & PM_PFN_MASK));
	for (i = 0; i < chunks; i++) {
		if (*(volatile uint64_t *)(map + i * SZ_2M) != i + 1) {
			fprintf(stderr, "mapcheck: chunk %lu: read back wrong\n", i);
			return 1;
		}
	}
	if (pmd != chunks) {
		fprintf(stderr, "mapcheck: %s: %lu of %lu chunks fell back to 4 KiB pages\n",
			path, chunks - pmd, chunks);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "sync"))
		return do_sync(argv[2], 0);
	if (argc == 3 && !strcmp(argv[1], "sync-refused"))
		return do_sync(argv[2], 1);
	if (argc == 4 && !strcmp(argv[1], "private-refused"))
		return do_private_refused(argv[2], parse_size("mapcheck", argv[3]));
	if (argc == 4 && !strcmp(argv[1], "pmd"))
		return do_pmd(argv[2], parse_size("mapcheck", argv[3]));
	fprintf(stderr, "usage: mapcheck sync|sync-refused PATH\n"
		"       mapcheck private-refused|pmd PATH LENGTH\n");
	return 2;
}
