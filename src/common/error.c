// SPDX-License-Identifier: MIT
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fw_error_set(struct fw_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (code > 0)
		code = -code;
	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int fw_error_wrap(struct fw_error *err, const char *fmt, ...)
{
	char prefix[512], old[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%.500s: %.*s", prefix,
		 (int)sizeof(old) - 512, old);
	return err->code;
}

void fw_error_set_detail(struct fw_error *err, char *detail)
{
	free(err->detail);
	err->detail = detail;
}

void fw_error_clear(struct fw_error *err)
{
	free(err->detail);
	memset(err, 0, sizeof(*err));
}
