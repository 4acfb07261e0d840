// SPDX-License-Identifier: MIT
/* flywall: the eBPF dataplane manager. Entry point and top-level commands. */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "config/ebpf_config.h"

static const struct fw_command_word daemon_words[] = {
	{ "-c", FW_VALUE_FILE, "FILE", "the configuration (default " FW_DEFAULT_CONFIG ")" },
	{ "--config", FW_VALUE_FILE, "FILE", "the same as -c" },
	{ "--pin-root", FW_VALUE_DIR, "DIR", "bpffs directory for pins (default /sys/fs/bpf/flywall)" },
	{ "--log-level", FW_VALUE_TEXT, "LEVEL", "error, warn, info (default) or debug" },
	{ "--events-log", FW_VALUE_FILE, "FILE",
	  "also append every program event to FILE as JSON lines (0600)" },
	{ "--events-log-max", FW_VALUE_TEXT, "SIZE",
	  "rotate FILE to FILE.1 beyond SIZE bytes (K, M, G; default 64M; 0 never)" },
	{ "--run-stats", FW_VALUE_TEXT, "on|SECONDS",
	  "turn on the kernel's run statistics (run_cnt, run_time_ns) while the daemon runs, "
	  "or for SECONDS; they cost ~35 ns per program run" },
	{ "--tc-attach", FW_VALUE_TEXT, "MODE", "auto (tcx link, else clsact; default) or clsact" },
	{ "--oneshot", FW_VALUE_NONE, NULL,
	  "apply the configuration and exit (socket filters need the daemon)" },
	{ "--no-api", FW_VALUE_NONE, NULL, "do not start the REST API" },
	{ 0 },
};

static const struct fw_command completion_commands[] = {
	{ "bash", fw_cmd_completion, NULL, "",
	  "print the bash completion script (source it, or install it as "
	  "/usr/share/bash-completion/completions/flywall)" },
	{ 0 },
};

static const struct fw_command top_commands[] = {
	{ "daemon", fw_cmd_daemon, NULL, "[-c FILE] [OPTIONS]",
	  "run the daemon in the foreground: apply the configuration, serve the REST API",
	  { daemon_words } },
	{ "config", NULL, fw_config_commands, NULL, "check a configuration offline" },
	{ "ebpf", NULL, fw_ebpf_commands, NULL, "programs, maps, hooks, the compiler" },
	{ "completion", NULL, completion_commands, NULL, "shell completion from these tables" },
	{ 0 },
};

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("flywall %s\n", FW_VERSION);     /* from the Makefile */
		return 0;
	}
	return fw_command_main("flywall", top_commands, argc - 1, argv + 1);
}
