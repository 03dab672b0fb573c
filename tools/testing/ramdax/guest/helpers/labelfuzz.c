// SPDX-License-Identifier: GPL-2.0
/*
 * labelfuzz: hostile ND_IOCTL_{GET,SET}_CONFIG_* requests against one DIMM.
 *
 *   labelfuzz /dev/nmemN [--write] [ITERATIONS] [SEED]
 *
 * The rule under test: a request is served iff in_offset + in_length lies
 * within the label area (computed without 32-bit wrap); anything else is
 * refused and changes nothing.  A refusal is what ndctl can see: the ioctl
 * succeeds with the DSM status word 3 ("invalid input parameters", nfit's
 * model), except past the ioctl layer's 4 MiB envelope limit, where the
 * kernel fails the ioctl before the driver sees it.  Served reads must
 * return the bytes a full read returned; refused reads return none.  --write also sends SET_CONFIG_DATA (the
 * region must be disabled, or the kernel answers EBUSY): each write puts back
 * the bytes already there, so the labels survive the run.
 *
 * Prints one line a failure and a summary; exit 0 only if every request
 * behaved.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/ndctl.h>

#define IOCTL_MAX_BUF	(4u << 20)

static int fd, failures, served, refused;
static uint32_t area;
static uint8_t *snapshot;

static void fail(const char *what, uint32_t off, uint32_t len, const char *why)
{
	printf("FAIL %s offset=%#x length=%#x: %s\n", what, off, len, why);
	failures++;
}

#define STATUS_EINVAL	3

enum outcome { SERVED, REFUSED_STATUS, REFUSED_ERRNO };

/* The reference rule, in 64-bit arithmetic so that nothing wraps. */
static enum outcome expected(uint32_t off, uint32_t len, size_t envelope)
{
	if (envelope > IOCTL_MAX_BUF)
		return REFUSED_ERRNO;
	return (uint64_t)off + len <= area ? SERVED : REFUSED_STATUS;
}

/* Checks a refused request's ioctl result and status word. */
static void check_refused(const char *what, uint32_t off, uint32_t len,
			  enum outcome want, int rc, uint32_t status)
{
	char why[64];

	if (want == REFUSED_ERRNO) {
		if (!rc)
			fail(what, off, len, "served past the ioctl size limit");
		else
			refused++;
	} else if (rc) {
		snprintf(why, sizeof(why), "ioctl failed (%s): no status word reaches ndctl",
			 strerror(errno));
		fail(what, off, len, why);
	} else if (status != STATUS_EINVAL) {
		snprintf(why, sizeof(why), "out of range, but status %#x", status);
		fail(what, off, len, why);
	} else {
		refused++;
	}
}

static int all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static void do_read(uint32_t off, uint32_t len)
{
	size_t sz = sizeof(struct nd_cmd_get_config_data_hdr) + (size_t)len;
	struct nd_cmd_get_config_data_hdr *cmd;
	enum outcome want = expected(off, len, sz);
	int rc;

	/* Past 4 MiB the ioctl layer refuses before the driver sees it. */
	if (sz > IOCTL_MAX_BUF)
		sz = sizeof(*cmd);
	cmd = calloc(1, sz < 64 ? 64 : sz);
	if (!cmd)
		exit(2);
	cmd->in_offset = off;
	cmd->in_length = len;
	cmd->status = 0xdeadbeef;
	rc = ioctl(fd, ND_IOCTL_GET_CONFIG_DATA, cmd);
	if (want != SERVED) {
		check_refused("read", off, len, want, rc, cmd->status);
		if (want == REFUSED_STATUS && !rc &&
		    !all_zero(cmd->out_buf, sz - sizeof(*cmd)))
			fail("read", off, len, "refused, but bytes were copied");
	} else if (rc) {
		fail("read", off, len, strerror(errno));
	} else {
		served++;
		if (cmd->status != 0)
			fail("read", off, len, "status word not cleared");
		else if (memcmp(cmd->out_buf, snapshot + off, len))
			fail("read", off, len, "data differs from full read");
	}
	free(cmd);
}

static void do_write(uint32_t off, uint32_t len)
{
	size_t sz = sizeof(struct nd_cmd_set_config_hdr) + (size_t)len + 4;
	struct nd_cmd_set_config_hdr *cmd;
	enum outcome want = expected(off, len, sz);
	uint32_t status = 0xdeadbeef;
	int rc;

	if (sz > IOCTL_MAX_BUF)
		sz = sizeof(*cmd) + 4;
	cmd = calloc(1, sz < 64 ? 64 : sz);
	if (!cmd)
		exit(2);
	cmd->in_offset = off;
	cmd->in_length = len;
	if (want == SERVED)
		memcpy(cmd->in_buf, snapshot + off, len);
	else if (want == REFUSED_STATUS)
		memset(cmd->in_buf, 0xa5, len);
	if (want != REFUSED_ERRNO)
		memcpy(cmd->in_buf + len, &status, 4);
	rc = ioctl(fd, ND_IOCTL_SET_CONFIG_DATA, cmd);
	if (want != REFUSED_ERRNO)
		memcpy(&status, cmd->in_buf + len, 4);
	if (want != SERVED) {
		check_refused("write", off, len, want, rc, status);
	} else if (rc) {
		fail("write", off, len, strerror(errno));
	} else {
		served++;
		if (status != 0)
			fail("write", off, len, "status word not cleared");
	}
	free(cmd);
}

static void full_read(uint8_t *buf)
{
	size_t sz = sizeof(struct nd_cmd_get_config_data_hdr) + area;
	struct nd_cmd_get_config_data_hdr *cmd = calloc(1, sz);

	if (!cmd)
		exit(2);
	cmd->in_offset = 0;
	cmd->in_length = area;
	if (ioctl(fd, ND_IOCTL_GET_CONFIG_DATA, cmd)) {
		perror("full read");
		exit(1);
	}
	memcpy(buf, cmd->out_buf, area);
	free(cmd);
}

int main(int argc, char **argv)
{
	struct nd_cmd_get_config_size size = { 0 };
	int i, iterations = 2000, write = 0, argi = 1;
	unsigned int seed = 1;
	uint8_t *after;

	if (argc < 2) {
		fprintf(stderr, "usage: %s /dev/nmemN [--write] [ITERATIONS] [SEED]\n", argv[0]);
		return 2;
	}
	fd = open(argv[argi++], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	if (argi < argc && !strcmp(argv[argi], "--write")) {
		write = 1;
		argi++;
	}
	if (argi < argc)
		iterations = atoi(argv[argi++]);
	if (argi < argc)
		seed = strtoul(argv[argi++], NULL, 0);
	srandom(seed);

	if (ioctl(fd, ND_IOCTL_GET_CONFIG_SIZE, &size)) {
		perror("GET_CONFIG_SIZE");
		return 1;
	}
	printf("config_size=%u max_xfer=%u status=%u\n",
	       size.config_size, size.max_xfer, size.status);
	area = size.config_size;
	if (!area || !size.max_xfer || size.max_xfer > area ||
	    size.max_xfer > IOCTL_MAX_BUF - 12 || size.status)
		fail("size", 0, 0, "config size or max_xfer out of bounds");
	snapshot = malloc(area);
	after = malloc(area);
	if (!snapshot || !after)
		return 2;
	full_read(snapshot);

	{
		/* Edges: empty, last byte, one past, and 32-bit wraps. */
		const uint32_t edge[][2] = {
			{ 0, 0 }, { 0, 1 }, { area - 1, 1 }, { area, 0 },
			{ area, 1 }, { area - 1, 2 }, { 0, area }, { 0, area + 1 },
			{ 1, area }, { area + 4096, 16 }, { 0xffffffffu, 1 },
			{ 0xffffffffu, 0 }, { 0xfffffff0u, 0x20 },
			{ 0x80000000u, 0x100 }, { 16, 0xfffffff0u },
			{ 0xffffff00u, 0x100 }, { 0, 1u << 20 }, { 0, 0xffffffffu },
		};

		for (i = 0; i < (int)(sizeof(edge) / sizeof(edge[0])); i++) {
			do_read(edge[i][0], edge[i][1]);
			if (write)
				do_write(edge[i][0], edge[i][1]);
		}
	}

	for (i = 0; i < iterations; i++) {
		uint32_t off, len;

		switch (random() % 4) {
		case 0:		/* anywhere, small */
			off = random() % (area + 8192);
			len = random() % 4096;
			break;
		case 1:		/* near the end */
			off = area - (random() % 512);
			len = random() % 1024;
			break;
		case 2:		/* wrapping */
			off = 0xffffffffu - (random() % 8192);
			len = random() % 16384;
			break;
		default:	/* fully random */
			off = (uint32_t)random() ^ ((uint32_t)random() << 16);
			len = random() % (area * 2);
			break;
		}
		do_read(off, len);
		if (write)
			do_write(off, len);
	}

	full_read(after);
	if (memcmp(snapshot, after, area))
		fail("area", 0, area, "label area changed during the run");
	printf("served=%d refused=%d failures=%d\n", served, refused, failures);
	return failures ? 1 : 0;
}
