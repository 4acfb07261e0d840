// SPDX-License-Identifier: MIT
/* `flywall daemon -c FILE` — placeholder until the engine lands. */
#include <stdio.h>

#include "cli/command.h"

int fw_cmd_daemon(int argc, char **argv)
{
	fprintf(stderr, "flywall daemon: not implemented yet\n");
	return 2;
}
