/* SPDX-License-Identifier: MIT */
/*
 * What a route answers: a status and a JSON, text or streamed body. The one
 * place a refusal becomes a status and an error body ({"error", "detail"}).
 */
#ifndef FLYWALL_API_RESPONSE_H
#define FLYWALL_API_RESPONSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/backend.h"

struct fw_api_response {
	unsigned int status;
	json_t *json;                   /* owned; the body unless text is set */
	char *text;                     /* owned; a non-JSON body (metrics) */
	const char *content_type;       /* for text */
	const char *allow;              /* Allow header for a 405 */
	bool auth_challenge;            /* add WWW-Authenticate: Bearer */
	bool sse;                       /* stream events from sse_since on */
	uint64_t sse_since;
	struct fw_api_stream stream;    /* owned; a body sent as it is read (chunked) */
};

/* Refuses a request for the reason code (a negative errno, as a backend call
 * fails): the status comes from fw_http_status_from_errno (src/api/http_error.c)
 * and the body is {"error": fmt..., "detail": detail}. Returns code. */
int fw_api_refuse(struct fw_api_response *resp, int code, const char *detail,
		  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An answer of HTTP itself, when the request cannot be taken at all: 401
 * (no token; the caller adds the challenge), 405 (with Allow), 413 for a
 * body over the limit, 415, 421, 503. Errors of a request's content or of
 * an operation use fw_api_refuse. Returns status. */
unsigned int fw_api_fail(struct fw_api_response *resp, unsigned int status,
			 const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void fw_api_response_release(struct fw_api_response *resp);

#endif
