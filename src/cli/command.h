/* SPDX-License-Identifier: MIT */
/*
 * Command tables in the manner of bpftool: a word selects a command by unique
 * prefix ("ebpf feat" runs "ebpf features"); every command takes the remaining
 * argv (argv[0] is the command's own name).
 */
#ifndef FLYWALL_CLI_COMMAND_H
#define FLYWALL_CLI_COMMAND_H

struct fw_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;   /* one line: arguments and what it does */
};

/* Runs the command argv[0] names from table (NULL-terminated). Exit code. */
int fw_command_dispatch(const char *group, const struct fw_command *table,
			int argc, char **argv);
void fw_command_usage(const char *group, const struct fw_command *table);

/* Subcommand entry points, each in its own module. */
int fw_cmd_daemon(int argc, char **argv);
int fw_cmd_config(int argc, char **argv);
int fw_cmd_ebpf(int argc, char **argv);

#endif
