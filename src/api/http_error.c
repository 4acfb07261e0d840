// SPDX-License-Identifier: MIT
#include "api/http_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

unsigned int fw_http_status_from_errno(int code)
{
	switch (code < 0 ? -code : code) {
	case EINVAL: return 400;
	case EPERM:
	case EACCES: return 403;
	case ENOENT: return 404;
	case EEXIST:
	case ENOTUNIQ: return 409;
	case E2BIG: return 413;
	case EBADMSG:
	case EOPNOTSUPP: return 422;
	case ENOSYS: return 501;
	case ENOTCONN: return 503;     /* the cluster engine is unreachable */
	default: return 500;
	}
}

const char *fw_http_reason(unsigned int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Entity";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Messages may quote what a client sent; JSON strings must be UTF-8, so
 * text that is not becomes ASCII with '?' for every byte above 0x7f. */
static json_t *text_json(const char *text)
{
	json_t *s = json_string(text ? text : "");
	char *ascii;

	if (s)
		return s;
	ascii = strdup(text);
	for (char *p = ascii; p && *p; p++)
		if ((unsigned char)*p > 0x7f)
			*p = '?';
	s = json_string(ascii ? ascii : "");
	free(ascii);
	return s;
}

json_t *fw_http_error_body(const char *error, const char *detail)
{
	return json_pack("{s:o, s:o}", "error", text_json(error), "detail", text_json(detail));
}

/* What to do next, when the backend gave no detail of its own. */
static const char *hint_for(unsigned int status)
{
	switch (status) {
	case 403: return "the request is not allowed; see docs/api.md";
	case 404: return "GET /api/ebpf/programs and GET /api/ebpf/maps list the names";
	case 409: return "choose another name or use the qualified form PROGRAM.MAP";
	case 413: return "send fewer entries per request";
	case 422: return "the kernel refused it; fix the program or the request";
	case 500: return "see the daemon's log for the cause";
	default: return "";
	}
}

json_t *fw_http_error_from(const struct fw_error *err, unsigned int status)
{
	const char *msg = err->msg[0] ? err->msg : fw_http_reason(status);

	return fw_http_error_body(msg, err->detail ? err->detail : hint_for(status));
}
