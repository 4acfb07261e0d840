// SPDX-License-Identifier: MIT
/* `flywall ebpf COMMAND`: the table of eBPF subcommands. */
#include "cli/command.h"
#include "cli/ebpf_cmds.h"

static const struct fw_command ebpf_commands[] = {
	{ "features", fw_cmd_ebpf_features, "[--json]     what this kernel supports, found by trying" },
	{ "compile", fw_cmd_ebpf_compile, "FILE.bpf.c [-o OUT.o] [-I DIR]...  compile, cached by hash" },
	{ "clean", fw_cmd_ebpf_clean, "[--pin-root DIR] [--json]  remove everything Flywall attached and pinned" },
	{ 0 },
};

int fw_cmd_ebpf(int argc, char **argv)
{
	return fw_command_dispatch("flywall ebpf", ebpf_commands, argc - 1, argv + 1);
}
