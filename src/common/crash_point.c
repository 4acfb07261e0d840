// SPDX-License-Identifier: MIT
#include "common/crash_point.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
	bool parsed;
	char name[64];          /* empty: no crash point armed */
	long remaining;         /* passes left before the crash */
} armed;

static void parse(void)
{
	const char *spec = getenv("FLYWALL_CRASH_AT");
	const char *colon;

	armed.parsed = true;
	if (!spec || !*spec)
		return;
	colon = strchr(spec, ':');
	snprintf(armed.name, sizeof(armed.name), "%.*s",
		 (int)(colon ? colon - spec : (long)strlen(spec)), spec);
	armed.remaining = colon ? strtol(colon + 1, NULL, 10) : 1;
}

void fw_crash_point(const char *name)
{
	if (!armed.parsed)
		parse();
	if (!armed.name[0] || strcmp(armed.name, name) != 0 || --armed.remaining > 0)
		return;
	fprintf(stderr, "flywall: crash point %s reached: SIGKILL\n", name);
	raise(SIGKILL);
}
