// SPDX-License-Identifier: GPL-2.0
/*
 * maphold: keep a shared mapping of a file or device-dax device alive, the
 * way an application holds its data, and report what a later access meets.
 *
 *   maphold PATH LENGTH
 *
 * Maps LENGTH bytes (K/M suffixes) shared read/write, writes them, prints
 * "holding" and waits for SIGUSR1; then reads the mapping once more.
 * Prints "intact" and exits 0 if the data is still there, prints "sigbus"
 * and exits 3 if the access faulted with SIGBUS, exits 1 on other errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf faulted;
static volatile sig_atomic_t poked;

static void on_sigbus(int sig)
{
	siglongjmp(faulted, 1);
}

static void on_usr1(int sig)
{
	poked = 1;
}

int main(int argc, char **argv)
{
	volatile unsigned char *p;
	size_t len, i;
	char *end;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: maphold PATH LENGTH\n");
		return 2;
	}
	len = strtoul(argv[2], &end, 0);
	if (*end == 'K' || *end == 'k')
		len <<= 10;
	else if (*end == 'M' || *end == 'm')
		len <<= 20;
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "maphold: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "maphold: mmap %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7);

	signal(SIGUSR1, on_usr1);
	signal(SIGBUS, on_sigbus);
	printf("holding\n");
	fflush(stdout);
	while (!poked)
		pause();

	if (sigsetjmp(faulted, 1)) {
		printf("sigbus\n");
		return 3;
	}
	for (i = 0; i < len; i++) {
		if (p[i] != (unsigned char)(i * 7)) {
			printf("changed at %zu\n", i);
			return 1;
		}
	}
	printf("intact\n");
	return 0;
}
