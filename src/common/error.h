/* SPDX-License-Identifier: MIT */
/*
 * An error a user will read: what failed and where, as one message, plus an
 * optional long detail (a verifier log). Functions return a negative errno —
 * the error's kind, which src/api/http_error.c alone turns into an HTTP
 * status — and fill a struct fw_error the caller passed in; a caller that
 * knows more of where wraps the message. docs/architecture.md, "Errors".
 */
#ifndef FLYWALL_COMMON_ERROR_H
#define FLYWALL_COMMON_ERROR_H

#include <stddef.h>

struct fw_error {
	int code;          /* negative errno, 0 when no error */
	char msg[1024];
	char *detail;      /* owned, may be NULL */
};

/* Sets the message (printf-style) and returns code, made negative. */
int fw_error_set(struct fw_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefixes the current message: "<prefix>: <old message>". */
int fw_error_wrap(struct fw_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Takes ownership of detail. */
void fw_error_set_detail(struct fw_error *err, char *detail);
void fw_error_clear(struct fw_error *err);

#endif
