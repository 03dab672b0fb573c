/* SPDX-License-Identifier: GPL-2.0 */
/* What the guest helpers share.  Each helper is one static binary. */
#ifndef RAMDAX_HELPERS_H
#define RAMDAX_HELPERS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Older C libraries lack these (the kernels under test have them). */
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif

/*
 * parse_size - a byte count with an optional K, M or G suffix (powers of
 * 1024); anything else makes PROG exit 2 with one line on stderr.
 */
static inline uint64_t parse_size(const char *prog, const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	case '\0': break;
	default: end = "x";
	}
	if (end == s || *end) {
		fprintf(stderr, "%s: bad size '%s'\n", prog, s);
		exit(2);
	}
	return v;
}

#endif
