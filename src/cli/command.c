// SPDX-License-Identifier: MIT
#include "cli/command.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct fw_command *root_table;

const struct fw_command *fw_command_root(void)
{
	return root_table;
}

static bool is_help_word(const char *word)
{
	return !strcmp(word, "help") || !strcmp(word, "--help") || !strcmp(word, "-h");
}

/* ---- help ----------------------------------------------------------------- */

static void print_group_usage(FILE *out, const char *path, const struct fw_command *table)
{
	fprintf(out, "Usage: %s COMMAND [ARGS]\n\nCommands:\n", path);
	for (const struct fw_command *c = table; c->name; c++)
		fprintf(out, "  %-12s %s\n", c->name, c->help);
	fprintf(out, "\n'%s COMMAND --help' shows what a command takes.\n", path);
}

/* text from column 25 on, wrapped at 80 columns between words. */
static void print_wrapped(FILE *out, const char *text)
{
	const int indent = 25, width = 80;
	int col = indent;

	while (*text) {
		int len = (int)strcspn(text, " ");

		if (col > indent && col + 1 + len > width) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", len, text);
		col += len;
		text += len;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

/* "[--json] [--api URL|unix:PATH]": the words a synopsis leaves out. */
static void print_words(FILE *out, const struct fw_command *c)
{
	bool any = false;

	for (int l = 0; l < FW_COMMAND_WORD_LISTS && c->words[l]; l++)
		for (const struct fw_command_word *w = c->words[l]; w->word; w++) {
			char left[64];

			if (!any)
				fprintf(out, "\nArguments:\n");
			any = true;
			snprintf(left, sizeof(left), "%s%s%s", w->word, w->value ? " " : "",
				 w->value ? w->value : "");
			if (strlen(left) > 21)
				fprintf(out, "  %s\n%25s", left, "");
			else
				fprintf(out, "  %-22s ", left);
			print_wrapped(out, w->help);
		}
}

static void print_command_usage(FILE *out, const char *path, const struct fw_command *c)
{
	if (c->sub) {
		print_group_usage(out, path, c->sub);
		return;
	}
	fprintf(out, "Usage: %s%s%s\n  %s\n", path, c->args && c->args[0] ? " " : "",
		c->args ? c->args : "", c->help);
	if (c->description)
		fprintf(out, "\n%s", c->description);
	print_words(out, c);
}

/* ---- dispatch ------------------------------------------------------------- */

static const struct fw_command *find_command(const struct fw_command *table,
					     const char *word, int *matches)
{
	const struct fw_command *found = NULL;

	*matches = 0;
	for (const struct fw_command *c = table; c->name; c++) {
		if (strcmp(c->name, word) == 0) {
			*matches = 1;
			return c;
		}
		if (strncmp(c->name, word, strlen(word)) == 0) {
			found = c;
			(*matches)++;
		}
	}
	return found;
}

/* The entry word names, or NULL after saying why (unknown, ambiguous). */
static const struct fw_command *lookup(const char *path, const struct fw_command *table,
				       const char *word)
{
	const struct fw_command *cmd;
	int matches;

	cmd = find_command(table, word, &matches);
	if (matches == 0) {
		fprintf(stderr, "%s: unknown command '%s' (try '%s help')\n", path, word, path);
		return NULL;
	}
	if (matches > 1) {
		fprintf(stderr, "%s: '%s' is ambiguous:", path, word);
		for (const struct fw_command *c = table; c->name; c++)
			if (strncmp(c->name, word, strlen(word)) == 0)
				fprintf(stderr, " %s", c->name);
		fprintf(stderr, "\n");
		return NULL;
	}
	return cmd;
}

/* `... help [COMMAND...]`: the help of the group or of the command named. */
static int help(const char *path, const struct fw_command *table, int argc, char **argv)
{
	char sub_path[256];
	const struct fw_command *cmd;

	if (argc < 1) {
		print_group_usage(stdout, path, table);
		return 0;
	}
	cmd = lookup(path, table, argv[0]);
	if (!cmd)
		return 2;
	snprintf(sub_path, sizeof(sub_path), "%s %s", path, cmd->name);
	if (cmd->sub && argc > 1)
		return help(sub_path, cmd->sub, argc - 1, argv + 1);
	print_command_usage(stdout, sub_path, cmd);
	return 0;
}

/* A command asked for its help: `CMD help`, or --help/-h among its words
 * (up to a "--"). */
static bool wants_help(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "help"))
		return true;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

int fw_command_dispatch(const char *group, const struct fw_command *table,
			int argc, char **argv)
{
	const struct fw_command *cmd;
	char path[256];

	if (argc < 1) {
		print_group_usage(stderr, group, table);
		return 2;
	}
	if (is_help_word(argv[0]))
		return help(group, table, argc - 1, argv + 1);
	cmd = lookup(group, table, argv[0]);
	if (!cmd)
		return 2;
	snprintf(path, sizeof(path), "%s %s", group, cmd->name);
	if (cmd->sub)
		return fw_command_dispatch(path, cmd->sub, argc - 1, argv + 1);
	if (wants_help(argc, argv)) {
		print_command_usage(stdout, path, cmd);
		return 0;
	}
	return cmd->run(argc, argv);
}

int fw_command_main(const char *prog, const struct fw_command *root, int argc, char **argv)
{
	root_table = root;
	if (argc == 2 && is_help_word(argv[0]) && !strcmp(argv[1], "--man"))
		return fw_command_print_man(prog, root);
	return fw_command_dispatch(prog, root, argc, argv);
}
