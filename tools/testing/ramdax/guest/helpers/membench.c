// SPDX-License-Identifier: GPL-2.0
/*
 * membench - data-path bandwidth and latency of one kind of memory: a
 * device-dax or file mmap, anonymous memory, or read/write syscalls on a
 * file or block device (bench-datapath, figure 5).
 *
 *   membench MODE PATH SIZE [MAPLEN]
 *
 * MODE is one of
 *   dax     mmap(MAP_SHARED) of PATH (a device-dax character device)
 *   sync    mmap(MAP_SHARED_VALIDATE | MAP_SYNC) of PATH (a file on a
 *           filesystem mounted -o dax; refused where DAX is not in effect)
 *   thp     anonymous memory, madvise(MADV_HUGEPAGE) (PATH ignored: -)
 *   4k      anonymous memory, madvise(MADV_NOHUGEPAGE) (PATH ignored: -)
 *   rw      pread(2)/pwrite(2) of PATH in 1 MiB chunks
 *   direct  the same with O_DIRECT (a block device)
 *
 * A mapping is MAPLEN bytes (default SIZE; a 1 GiB-aligned device-dax needs
 * a whole 1 GiB); the first touch writes one byte per 4 KiB page of all of
 * it, counting page faults (getrusage's ru_minflt): bytes_per_fault tells
 * what the faults mapped, 4096 a PTE, 2097152 a PMD, 1073741824 a PUD.
 * Then, on the first SIZE bytes, three passes of: a sequential write
 * (memset or pwrite), a sequential read (a sum of 64-bit words, or pread),
 * and random 4 KiB reads (a xorshift sequence of 4 KiB-aligned offsets, up
 * to 16384, each read whole: memcpy from the mapping into a buffer, or one
 * pread), keeping each one's fastest pass (a host's hiccup is no figure).
 * Random reads are in nanoseconds per read.  Prints one line:
 *
 *   seq_write_mibs=W seq_read_mibs=R rand_read_ns=N faults=F
 *   bytes_per_fault=B touch_mibs=T
 *
 * (faults, bytes_per_fault and touch_mibs are 0 for rw and direct).
 * SIZE and MAPLEN take K/M/G suffixes.  Exit 0 on success, 1 on an error
 * (one line on stderr), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#define PAGE		4096UL
#define CHUNK		(1024UL * 1024)
#define HUGE_ALIGN	(2 * CHUNK)
#define MAX_RAND	16384UL
#define PASSES		3
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum mode { M_DAX, M_SYNC, M_THP, M_4K, M_RW, M_DIRECT };

/* best - keep the shortest time of the passes in *t (0: none yet). */
static void best(unsigned long long *t, unsigned long long ns)
{
	if (!*t || ns < *t)
		*t = ns;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* xorshift64: a fixed, cheap sequence of page numbers. */
static unsigned long long next(unsigned long long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static double mibs(unsigned long long bytes, unsigned long long ns)
{
	return ns ? (double)bytes / (1 << 20) * 1e9 / ns : 0;
}

static int die(const char *what, const char *path)
{
	fprintf(stderr, "membench: %s %s: %s\n", what, path, strerror(errno));
	return 1;
}

/* io - pread or pwrite all of len at off, in chunks; -1 on an error. */
static int io(int fd, int wr, char *buf, unsigned long long off, unsigned long long len)
{
	unsigned long long done = 0;
	ssize_t n;

	while (done < len) {
		size_t want = len - done < CHUNK ? len - done : CHUNK;

		if (wr)
			n = pwrite(fd, buf, want, off + done);
		else
			n = pread(fd, buf, want, off + done);
		if (n <= 0) {
			if (!n)
				errno = EIO;
			return -1;
		}
		done += n;
	}
	return 0;
}

static int parse_mode(const char *s, enum mode *m)
{
	static const char * const names[] = {
		[M_DAX] = "dax", [M_SYNC] = "sync", [M_THP] = "thp",
		[M_4K] = "4k", [M_RW] = "rw", [M_DIRECT] = "direct",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i])) {
			*m = i;
			return 0;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	unsigned long long size, maplen, npages, nrand, i, t0, tw = 0, tr = 0, tn = 0, tt = 0;
	unsigned long long x = 0x9e3779b97f4a7c15ULL, sum = 0, *w;
	long faults = 0, f0;
	char *buf, *p = NULL;
	int fd = -1, flags, pass;
	enum mode mode;
	off_t end;

	if (argc < 4 || argc > 5 || parse_mode(argv[1], &mode)) {
		fprintf(stderr, "usage: membench dax|sync|thp|4k|rw|direct PATH SIZE [MAPLEN]\n");
		return 2;
	}
	size = parse_size("membench", argv[3]);
	maplen = argc == 5 ? parse_size("membench", argv[4]) : size;
	if (size < PAGE || size % PAGE || maplen < size || maplen % PAGE) {
		fprintf(stderr, "membench: SIZE and MAPLEN: multiples of 4K, MAPLEN >= SIZE\n");
		return 2;
	}
	npages = size / PAGE;
	nrand = npages < MAX_RAND ? npages : MAX_RAND;
	if (posix_memalign((void **)&buf, PAGE, CHUNK))
		return die("allocate", "buffer");
	memset(buf, 0x5a, CHUNK);

	if (mode != M_THP && mode != M_4K) {
		flags = mode == M_DIRECT ? O_RDWR | O_DIRECT : O_RDWR;
		fd = open(argv[2], flags);
		if (fd < 0)
			return die("open", argv[2]);
		/* A device-dax character device says 0 (or fails): no check. */
		end = lseek(fd, 0, SEEK_END);
		if (end > 0 && (unsigned long long)end < maplen) {
			fprintf(stderr, "membench: %s: %lld bytes, less than %llu\n", argv[2],
				(long long)end, maplen);
			return 1;
		}
	}

	switch (mode) {
	case M_DAX:
	case M_SYNC:
		flags = mode == M_SYNC ? MAP_SHARED_VALIDATE | MAP_SYNC : MAP_SHARED;
		p = mmap(NULL, maplen, PROT_READ | PROT_WRITE, flags, fd, 0);
		if (p == MAP_FAILED)
			return die("mmap", argv[2]);
		break;
	case M_THP:
	case M_4K:
		/* 2 MiB-aligned, so that THP can map all of it with PMDs. */
		p = mmap(NULL, maplen + HUGE_ALIGN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return die("mmap", "anonymous memory");
		p = (char *)(((uintptr_t)p + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1));
		if (madvise(p, maplen, mode == M_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
			return die("madvise", "anonymous memory");
		break;
	default:
		break;
	}

	if (p) {
		/* The clock's first call faults in the vDSO data: not counted. */
		now_ns();
		/* The first touch: one store per 4 KiB page, all of MAPLEN. */
		f0 = minflt();
		t0 = now_ns();
		for (i = 0; i < maplen; i += PAGE)
			p[i] = 1;
		tt = now_ns() - t0;
		faults = minflt() - f0;

		for (pass = 0; pass < PASSES; pass++) {
			t0 = now_ns();
			memset(p, 0xa5 ^ pass, size);
			best(&tw, now_ns() - t0);

			w = (unsigned long long *)p;
			t0 = now_ns();
			for (i = 0; i < size / sizeof(*w); i++)
				sum += w[i];
			best(&tr, now_ns() - t0);
			/* Keep the sum: the compiler may not drop the loop. */
			__asm__ __volatile__("" : : "r"(sum));

			t0 = now_ns();
			for (i = 0; i < nrand; i++) {
				memcpy(buf, p + next(&x) % npages * PAGE, PAGE);
				/* Keep the copy: the compiler may not drop it. */
				__asm__ __volatile__("" : : "r"(buf) : "memory");
			}
			best(&tn, now_ns() - t0);
		}
	} else {
		for (pass = 0; pass < PASSES; pass++) {
			t0 = now_ns();
			if (io(fd, 1, buf, 0, size))
				return die("pwrite", argv[2]);
			best(&tw, now_ns() - t0);

			t0 = now_ns();
			if (io(fd, 0, buf, 0, size))
				return die("pread", argv[2]);
			best(&tr, now_ns() - t0);

			t0 = now_ns();
			for (i = 0; i < nrand; i++) {
				if (pread(fd, buf, PAGE, next(&x) % npages * PAGE) != (ssize_t)PAGE)
					return die("pread 4K", argv[2]);
			}
			best(&tn, now_ns() - t0);
		}
	}

	printf("seq_write_mibs=%.1f seq_read_mibs=%.1f rand_read_ns=%.0f", mibs(size, tw),
	       mibs(size, tr), (double)tn / nrand);
	printf(" faults=%ld bytes_per_fault=%llu touch_mibs=%.1f\n", faults,
	       faults ? maplen / faults : 0, mibs(maplen, tt));
	if (fd >= 0 && close(fd))
		return die("close", argv[2]);
	return 0;
}
