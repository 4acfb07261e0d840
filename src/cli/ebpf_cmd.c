// SPDX-License-Identifier: MIT
/* `flywall ebpf COMMAND`: the table of eBPF subcommands. */
#include "cli/command.h"
#include "cli/ebpf_client_cmds.h"
#include "cli/ebpf_cmds.h"

static const struct fw_command ebpf_commands[] = {
	{ "features", fw_cmd_ebpf_features, "[--json]     what this kernel supports, found by trying" },
	{ "compile", fw_cmd_ebpf_compile, "FILE.bpf.c [-o OUT.o] [-I DIR]...  compile, cached by hash" },
	{ "test", fw_cmd_ebpf_test, "OBJECT PCAP [program NAME] [arg K=V]... [map N:T:S]... [--json] [--verbose]  run a capture through a program offline" },
	{ "clean", fw_cmd_ebpf_clean, "[--pin-root DIR] [--json]  remove everything Flywall attached and pinned" },
	{ "status", fw_cmd_ebpf_status, "[--json]     daemon, kernel features, programs, maps" },
	{ "programs", fw_cmd_ebpf_programs, "[NAME] [--json]  loaded programs, or one in detail" },
	{ "maps", fw_cmd_ebpf_maps, "[--json]     maps with their fill level" },
	{ "map", fw_cmd_ebpf_map, "dump NAME [--json]  every entry of a map (NAME or PROGRAM.MAP)" },
	{ "stats", fw_cmd_ebpf_stats, "[PROGRAM] [--json]  run counts and times, a program's counters" },
	{ "load", fw_cmd_ebpf_load, "NAME OBJECT [interface IF] [KEY VALUE]... [--json]  load and attach" },
	{ "update", fw_cmd_ebpf_update, "NAME KEY=VALUE... [--json]  change run-time args" },
	{ "unload", fw_cmd_ebpf_unload, "NAME [--json]  detach and unload a program" },
	{ "blocklist", fw_cmd_ebpf_blocklist, "add|del|list [ADDRESS...] [expires S] [--json]  ddos_filter's blocklist" },
	{ "events", fw_cmd_ebpf_events, "[since SEQ] [count N] [--json]  follow program events" },
	{ "cluster", fw_cmd_ebpf_cluster, "status [--json]  the fleet sharing this node's lists (NATS JetStream)" },
	{ 0 },
};

int fw_cmd_ebpf(int argc, char **argv)
{
	return fw_command_dispatch("flywall ebpf", ebpf_commands, argc - 1, argv + 1);
}
