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
#include "api/metrics.h"
#include "api/request.h"
#include "api/response.h"
#include "api/spec_json.h"
#include "common/error.h"
#include "ebpf/spec.h"

#define FW_API_BODY_MAX (1024 * 1024)   /* larger request bodies get 413 */
#define FW_API_PAGE_DEFAULT 1000        /* map entries per page by default */
#define FW_API_PAGE_MAX 10000
#define FW_API_BULK_MAX 10000           /* entries per map/blocklist request */

struct fw_api_ui;

struct fw_api_context {
	const struct fw_api_backend *backend;
	const char *token;
	struct fw_api_ui *ui;           /* what open dashboards share; may be NULL */
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

/* Fills resp (status always set). Never fails: errors are responses. */
void fw_api_route(const struct fw_api_context *ctx, const struct fw_api_request *req,
		  struct fw_api_response *resp);
/* What the route for method and path asks of a request, known before its
 * body is read: the token, a body. Both false when no route matches (the
 * answer is then 404 or 405, which needs neither). */
void fw_api_route_needs(const char *method, const char *path, bool *token, bool *body);

#endif
