// SPDX-License-Identifier: GPL-2.0
/*
 * monous - print CLOCK_MONOTONIC in microseconds (the benchmarks' clock:
 * busybox's date has no %N, /proc/uptime counts hundredths).
 *
 *   monous
 */
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts)) {
		perror("monous");
		return 1;
	}
	printf("%lld\n", (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	return 0;
}
