/* SPDX-License-Identifier: MIT */
/*
 * How the API says no: a negative errno becomes an HTTP status, and every
 * error body is {"error": "what failed", "detail": "why, or what to do"}.
 */
#ifndef FLYWALL_API_HTTP_ERROR_H
#define FLYWALL_API_HTTP_ERROR_H

#include <jansson.h>

#include "common/error.h"

/* The one place an error's kind (a negative errno) becomes an HTTP status:
 * the table of src/api/backend.h, -ENOSYS 501 (a build without the daemon's
 * backend); anything else is 500. */
unsigned int fw_http_status_from_errno(int code);
/* The reason phrase of a status we emit ("Not Found"). */
const char *fw_http_reason(unsigned int status);
/* {"error": error, "detail": detail}; detail NULL becomes "". */
json_t *fw_http_error_body(const char *error, const char *detail);
/* The body for a backend failure: its message, and its detail (a verifier
 * log) or else a hint suited to the status. */
json_t *fw_http_error_from(const struct fw_error *err, unsigned int status);

#endif
