// SPDX-License-Identifier: MIT
/* `flywall config check FILE [--json]` — placeholder until the config module lands. */
#include <stdio.h>

#include "cli/command.h"

int fw_cmd_config(int argc, char **argv)
{
	fprintf(stderr, "flywall config: not implemented yet\n");
	return 2;
}
