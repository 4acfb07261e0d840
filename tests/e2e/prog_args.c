// SPDX-License-Identifier: MIT
/*
 * Test helper: changes globals (args) of a running, pinned program through
 * the engine's fw_args_update_running(), as `PUT /api/ebpf/programs/NAME
 * {"args": {...}}` does. Integers only.
 *
 *   prog_args PINNED_PROG NAME=VALUE...
 */
#include <bpf/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/args.h"

int main(int argc, char **argv)
{
	struct fw_arg args[16] = { 0 };
	struct fw_error err = { 0 };
	int fd, n = argc - 2;

	if (argc < 3 || n > 16) {
		fprintf(stderr, "usage: prog_args PINNED_PROG NAME=VALUE...\n");
		return 2;
	}
	fd = bpf_obj_get(argv[1]);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char *eq = strchr(argv[i + 2], '=');

		if (!eq) {
			fprintf(stderr, "prog_args: %s: expected NAME=VALUE\n", argv[i + 2]);
			return 2;
		}
		snprintf(args[i].name, sizeof(args[i].name), "%.*s", (int)(eq - argv[i + 2]),
			 argv[i + 2]);
		args[i].kind = FW_ARG_INT;
		args[i].i = strtoll(eq + 1, NULL, 0);
	}
	if (fw_args_update_running(fd, args, n, &err)) {
		fprintf(stderr, "prog_args: %s\n", err.msg);
		return 1;
	}
	return 0;
}
