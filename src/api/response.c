// SPDX-License-Identifier: MIT
/* Error answers and releasing a response (response.h). */
#include "api/response.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/http_error.h"

unsigned int fw_api_fail(struct fw_api_response *resp, unsigned int status,
			 const char *detail, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(resp->json);
	resp->status = status;
	resp->json = fw_http_error_body(msg, detail);
	return status;
}

int fw_api_refuse(struct fw_api_response *resp, int code, const char *detail,
		  const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(resp->json);
	resp->status = fw_http_status_from_errno(code);
	resp->json = fw_http_error_body(msg, detail);
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
