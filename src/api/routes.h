/* SPDX-License-Identifier: MIT */
/*
 * The API without HTTP: a request (method, path, query, body, Authorization)
 * goes in, a status and a JSON or text body come out. server.c feeds it from
 * libmicrohttpd; unit tests call it directly with a fake backend.
 */
#ifndef FLYWALL_API_ROUTES_H
#define FLYWALL_API_ROUTES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/backend.h"
#include "common/error.h"
#include "ebpf/spec.h"

#define FW_API_BODY_MAX (1024 * 1024)   /* larger request bodies get 413 */
#define FW_API_PAGE_DEFAULT 1000        /* map entries per page by default */
#define FW_API_PAGE_MAX 10000
#define FW_API_BULK_MAX 10000           /* entries per map/blocklist request */

struct fw_api_request {
	const char *method;
	const char *path;               /* decoded, without the query */
	const char *authorization;      /* header value or NULL */
	const char *last_event_id;      /* header value or NULL (SSE resume) */
	const char *body;               /* may be NULL */
	size_t body_len;
	/* Value of a query argument, or NULL. */
	const char *(*query)(void *ctx, const char *key);
	void *query_ctx;
};

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

struct fw_api_context {
	const struct fw_api_backend *backend;
	const char *token;
};

/*
 * A request body taken in as it arrives (the bulk forms: the blocklist's
 * text/plain or application/x-ndjson, map data's application/x-ndjson; any
 * length). server.c asks upload_begin once the
 * headers are in: false means the route takes its body whole, as usual.
 * True means it streams: then *up is the upload, or NULL with resp filled (a
 * refusal before any body is read). feed gets the body as it comes; end
 * answers (and frees up); abort undoes what a broken-off upload did.
 */
struct fw_api_upload;
bool fw_api_upload_begin(const struct fw_api_context *ctx, const struct fw_api_request *req,
			 const char *content_type, struct fw_api_upload **up,
			 struct fw_api_response *resp);
void fw_api_upload_feed(struct fw_api_upload *up, const char *data, size_t len);
void fw_api_upload_end(struct fw_api_upload *up, struct fw_api_response *resp);
void fw_api_upload_abort(struct fw_api_upload *up);

/* An IPv4/IPv6 address or CIDR with no host bits set; why says what is
 * wrong otherwise. */
bool fw_api_address_valid(const char *text, char *why, size_t why_size);

/* Fills resp (status always set). Never fails: errors are responses. */
void fw_api_route(const struct fw_api_context *ctx, const struct fw_api_request *req,
		  struct fw_api_response *resp);
void fw_api_response_release(struct fw_api_response *resp);
/* What the route for method and path asks of a request, known before its
 * body is read: the token, a body. Both false when no route matches (the
 * answer is then 404 or 405, which needs neither). */
void fw_api_route_needs(const char *method, const char *path, bool *token, bool *body);

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

/* Prometheus text of the backend's figures (metrics.c); malloc'd. */
char *fw_api_metrics_text(const struct fw_api_backend *be);

/* JSON load request → program spec (spec_json.c). 0, or an HTTP status
 * with resp filled; spec is released on failure. */
unsigned int fw_api_spec_from_json(const struct fw_api_backend *be, json_t *body,
				   struct fw_prog_spec *spec, struct fw_api_response *resp);
/* {"args": {...}} → args array (spec_json.c). Same contract. */
unsigned int fw_api_args_from_json(json_t *args, struct fw_arg **out, size_t *n,
				   struct fw_api_response *resp);
void fw_api_args_free(struct fw_arg *args, size_t n);

/* Names in URLs: [A-Za-z0-9_][A-Za-z0-9_.-]*, shorter than FW_NAME_MAX. */
bool fw_api_name_valid(const char *name);

#endif
