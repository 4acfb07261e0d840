// SPDX-License-Identifier: MIT
/* flywall: the eBPF dataplane manager. Entry point and top-level commands. */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"

static const struct fw_command top_commands[] = {
	{ "daemon", fw_cmd_daemon, "-c FILE      run the daemon in the foreground" },
	{ "config", fw_cmd_config, "check FILE   validate a configuration" },
	{ "ebpf", fw_cmd_ebpf, "COMMAND      programs, maps, hooks (ebpf help)" },
	{ 0 },
};

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("flywall %s\n", FW_VERSION);     /* from the Makefile */
		return 0;
	}
	return fw_command_dispatch("flywall", top_commands, argc - 1, argv + 1);
}
