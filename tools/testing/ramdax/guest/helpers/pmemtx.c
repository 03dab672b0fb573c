// SPDX-License-Identifier: GPL-2.0
/*
 * pmemtx - a libpmemobj pool whose root object keeps one invariant across
 * transactions: every slot holds the count of committed transactions, and
 * the payload is filled with that count's byte.  A transaction interrupted
 * anywhere (SIGKILL, a lost guest) must be rolled back by the next open.
 *
 *   pmemtx create POOL SIZE     create the pool (a file, or a /dev/daxX.Y)
 *   pmemtx run POOL N           N more transactions, then exit
 *   pmemtx hold POOL            one transaction, stopped half way: prints
 *                               "in-tx N" when half its slots are written
 *                               and waits to be killed
 *   pmemtx loop POOL            transactions until killed
 *   pmemtx bench POOL SECONDS   transactions for SECONDS seconds, then
 *                               print how many a second ("%.1f")
 *   pmemtx verify POOL          open (recovery runs), check the invariant,
 *                               print the count
 *
 * ramdax-link: -lpmemobj
 * Exit 0 on success, 1 on an error or a broken invariant (one line on
 * stderr saying which), 2 on bad usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpmemobj.h>

#include "helpers.h"

#define LAYOUT "ramdax-pmemtx"
#define SLOTS 64
#define PAYLOAD 4096

struct root {
	uint64_t count;
	uint64_t slots[SLOTS];
	unsigned char payload[PAYLOAD];
};

static PMEMobjpool *pool_open(const char *path)
{
	PMEMobjpool *pop = pmemobj_open(path, LAYOUT);

	if (!pop)
		fprintf(stderr, "pmemtx: open %s: %s\n", path, pmemobj_errormsg());
	return pop;
}

static struct root *root_of(PMEMobjpool *pop)
{
	PMEMoid oid = pmemobj_root(pop, sizeof(struct root));

	if (OID_IS_NULL(oid)) {
		fprintf(stderr, "pmemtx: root object: %s\n", pmemobj_errormsg());
		return NULL;
	}
	return pmemobj_direct(oid);
}

/*
 * One transaction: the count, then the slots one by one, then the payload.
 * With @hold it stops after half the slots, says so and waits for SIGKILL.
 */
static int one_tx(PMEMobjpool *pop, struct root *r, int hold)
{
	int ret = 0;

	TX_BEGIN(pop) {
		uint64_t n = r->count + 1;
		int i;

		pmemobj_tx_add_range_direct(r, sizeof(*r));
		r->count = n;
		for (i = 0; i < SLOTS; i++) {
			r->slots[i] = n;
			if (hold && i == SLOTS / 2) {
				printf("in-tx %" PRIu64 "\n", n);
				fflush(stdout);
				for (;;)
					pause();
			}
		}
		memset(r->payload, (int)(n & 0xff), PAYLOAD);
	} TX_ONABORT {
		fprintf(stderr, "pmemtx: transaction aborted: %s\n", pmemobj_errormsg());
		ret = 1;
	} TX_END
	return ret;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Transactions for @secs seconds (the clock read every 16): prints tx/s. */
static int bench(PMEMobjpool *pop, struct root *r, double secs)
{
	double t0 = now_s(), t;
	unsigned long n = 0;
	int i, ret = 0;

	do {
		for (i = 0; i < 16 && !ret; i++)
			ret = one_tx(pop, r, 0);
		n += i;
		t = now_s() - t0;
	} while (!ret && t < secs);
	if (!ret)
		printf("%.1f\n", n / t);
	return ret;
}

static int verify(struct root *r)
{
	unsigned char b = (unsigned char)(r->count & 0xff);
	int i;

	for (i = 0; i < SLOTS; i++) {
		if (r->slots[i] != r->count) {
			fprintf(stderr, "pmemtx: slot %d is %" PRIu64 ", count %" PRIu64 "\n",
				i, r->slots[i], r->count);
			return 1;
		}
	}
	for (i = 0; i < PAYLOAD; i++) {
		if (r->payload[i] != b && r->count) {
			fprintf(stderr, "pmemtx: payload byte %d is %u, count %" PRIu64 "\n",
				i, r->payload[i], r->count);
			return 1;
		}
	}
	printf("%" PRIu64 "\n", r->count);
	return 0;
}

int main(int argc, char **argv)
{
	PMEMobjpool *pop;
	struct root *r;
	uint64_t n = 0, i;
	double secs = 0;
	const char *cmd;
	int ret = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: pmemtx create POOL SIZE | run POOL N | hold POOL | loop POOL | verify POOL\n");
		fprintf(stderr, "       pmemtx bench POOL SECONDS\n");
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "create")) {
		if (argc != 4)
			return 2;
		/* A device-dax pool takes the whole device: size 0. */
		pop = pmemobj_create(argv[2], LAYOUT, parse_size("pmemtx", argv[3]), 0600);
		if (!pop) {
			fprintf(stderr, "pmemtx: create %s: %s\n", argv[2], pmemobj_errormsg());
			return 1;
		}
		r = root_of(pop);
		pmemobj_close(pop);
		return r ? 0 : 1;
	}
	if (!strcmp(cmd, "run")) {
		if (argc != 4)
			return 2;
		n = parse_size("pmemtx", argv[3]);
	} else if (!strcmp(cmd, "bench")) {
		if (argc != 4)
			return 2;
		secs = strtod(argv[3], NULL);
		if (secs <= 0)
			return 2;
	} else if (strcmp(cmd, "hold") && strcmp(cmd, "loop") && strcmp(cmd, "verify")) {
		return 2;
	}

	pop = pool_open(argv[2]);
	if (!pop)
		return 1;
	r = root_of(pop);
	if (!r) {
		pmemobj_close(pop);
		return 1;
	}
	if (!strcmp(cmd, "run")) {
		for (i = 0; i < n && !ret; i++)
			ret = one_tx(pop, r, 0);
	} else if (!strcmp(cmd, "hold")) {
		ret = one_tx(pop, r, 1);
	} else if (!strcmp(cmd, "bench")) {
		ret = bench(pop, r, secs);
	} else if (!strcmp(cmd, "loop")) {
		printf("looping from %" PRIu64 "\n", r->count);
		fflush(stdout);
		while (!ret)
			ret = one_tx(pop, r, 0);
	} else {
		ret = verify(r);
	}
	pmemobj_close(pop);
	return ret;
}
