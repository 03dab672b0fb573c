// SPDX-License-Identifier: GPL-2.0
/*
 * runas - run a command as another user and group, with no supplementary
 * groups and no capabilities left (busybox has no setuidgid, and its su
 * wants a passwd file).
 *
 *   runas UID CMD [ARGS...]
 *
 * The group is UID too.  Exits 126 if it cannot drop to UID, 127 if CMD
 * cannot be run, CMD's status otherwise.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uid_t id;

	if (argc < 3) {
		fprintf(stderr, "usage: runas UID CMD [ARGS...]\n");
		return 2;
	}
	id = strtoul(argv[1], NULL, 0);
	/* Dropping uid 0 clears the capabilities: no DAC override left. */
	if (setgroups(0, NULL) || setgid(id) || setuid(id) || !getuid()) {
		perror("runas");
		return 126;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "runas: %s: %m\n", argv[2]);
	return 127;
}
