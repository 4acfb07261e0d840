// SPDX-License-Identifier: MIT
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum fw_log_level current_level = FW_LOG_INFO;
static const char *const level_names[] = { "error", "warn", "info", "debug" };

void fw_log_set_level(enum fw_log_level level)
{
	current_level = level;
}

int fw_log_level_parse(const char *name)
{
	for (int i = 0; i <= FW_LOG_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

void fw_log(enum fw_log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (level > current_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line so concurrent threads never interleave mid-line. */
	fprintf(stderr, "flywall[%d] %s: %s\n", (int)getpid(), level_names[level], line);
}
