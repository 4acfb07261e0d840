/* SPDX-License-Identifier: MIT */
/*
 * Command tables in the manner of bpftool: each level of the command line is
 * a table; an entry is either a command (run) or a group (sub, the next
 * table). A word selects an entry by unique prefix ("ebpf feat" runs "ebpf
 * features"); a command takes the remaining argv (argv[0] is its own name).
 *
 * The same tables give `--help`, `-h` and `help` at every level, the bash
 * completion (`flywall completion bash`) and the man page (`flywall help
 * --man`), so a command is described once, where it is declared.
 */
#ifndef FLYWALL_CLI_COMMAND_H
#define FLYWALL_CLI_COMMAND_H

/* What follows an option or keyword, for help and completion. */
enum fw_value_kind {
	FW_VALUE_NONE,          /* a flag: nothing follows */
	FW_VALUE_TEXT,          /* a word the user makes up */
	FW_VALUE_FILE,          /* a path: completed from the filesystem */
	FW_VALUE_DIR,           /* a directory */
};

/* One option ("--json") or keyword ("interface") a command takes. */
struct fw_command_word {
	const char *word;
	enum fw_value_kind kind;
	const char *value;      /* its metavariable ("IF"), NULL for a flag */
	const char *help;
};

#define FW_COMMAND_WORD_LISTS 3

struct fw_command {
	const char *name;
	int (*run)(int argc, char **argv);      /* a command, or */
	const struct fw_command *sub;           /* a group: the next table */
	const char *args;                       /* synopsis of its arguments */
	const char *help;                       /* one line: what it does */
	/* options and keywords, each list {0}-terminated; NULL ends the array */
	const struct fw_command_word *words[FW_COMMAND_WORD_LISTS];
	const char *description;                /* more lines for --help and the man page */
	int path_args;                          /* positional words are paths (completion) */
};

/* The options every command that talks to the daemon takes (client.c). */
extern const struct fw_command_word fw_client_words[];

/* Runs the root table: `help` (--man: the man page), then dispatch. */
int fw_command_main(const char *prog, const struct fw_command *root, int argc, char **argv);

/* Runs the command argv[0] names from table ({0}-terminated). Exit code. */
int fw_command_dispatch(const char *group, const struct fw_command *table,
			int argc, char **argv);

/* Generators over the root table (command_doc.c). */
int fw_command_print_bash_completion(const char *prog, const struct fw_command *root);
int fw_command_print_man(const char *prog, const struct fw_command *root);

/* `flywall completion bash` (command_doc.c). */
int fw_cmd_completion(int argc, char **argv);
/* The root table fw_command_main runs (for the generators). */
const struct fw_command *fw_command_root(void);

/* Subcommand entry points, each in its own module. */
int fw_cmd_daemon(int argc, char **argv);
extern const struct fw_command fw_config_commands[];
extern const struct fw_command fw_ebpf_commands[];

#endif
