// SPDX-License-Identifier: MIT
#include "cli/command.h"

#include <stdio.h>
#include <string.h>

void fw_command_usage(const char *group, const struct fw_command *table)
{
	fprintf(stderr, "Usage: %s COMMAND [ARGS]\n\nCommands:\n", group);
	for (const struct fw_command *c = table; c->name; c++)
		fprintf(stderr, "  %-12s %s\n", c->name, c->usage);
}

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

int fw_command_dispatch(const char *group, const struct fw_command *table,
			int argc, char **argv)
{
	const struct fw_command *cmd;
	int matches;

	if (argc < 1 || strcmp(argv[0], "help") == 0 ||
	    strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		fw_command_usage(group, table);
		return argc < 1 ? 2 : 0;
	}
	cmd = find_command(table, argv[0], &matches);
	if (matches == 0) {
		fprintf(stderr, "%s: unknown command '%s' (try '%s help')\n",
			group, argv[0], group);
		return 2;
	}
	if (matches > 1) {
		fprintf(stderr, "%s: '%s' is ambiguous:", group, argv[0]);
		for (const struct fw_command *c = table; c->name; c++)
			if (strncmp(c->name, argv[0], strlen(argv[0])) == 0)
				fprintf(stderr, " %s", c->name);
		fprintf(stderr, "\n");
		return 2;
	}
	return cmd->run(argc, argv);
}
