// SPDX-License-Identifier: MIT
/* Error answers and releasing a response (response.h). */
#include "api/response.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/http_error.h"

/* The error body of every refusal: {"error": fmt..., "detail": detail}. */
static void set_error(struct fw_api_response *resp, unsigned int status, const char *detail,
		      const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	json_decref(resp->json);
	resp->status = status;
	resp->json = fw_http_error_body(msg, detail);
}

unsigned int fw_api_fail(struct fw_api_response *resp, unsigned int status,
			 const char *detail, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(resp, status, detail, fmt, ap);
	va_end(ap);
	return status;
}

int fw_api_refuse(struct fw_api_response *resp, int code, const char *detail,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(resp, fw_http_status_from_errno(code), detail, fmt, ap);
	va_end(ap);
	return code;
}

void fw_api_response_release(struct fw_api_response *resp)
{
	json_decref(resp->json);
	free(resp->text);
	if (resp->stream.close)
		resp->stream.close(resp->stream.self);
	resp->json = NULL;
	resp->text = NULL;
	resp->stream = (struct fw_api_stream){ 0 };
}
