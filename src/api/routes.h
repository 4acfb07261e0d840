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

/* The calls of src/api/backend.h as a table, so tests can stand in for the
 * daemon. fw_api_daemon_backend holds the daemon's own functions. */
struct fw_api_backend {
	const char *(*program_dir)(void);
	uint32_t (*default_map_size)(void);
	json_t *(*programs)(void);
	int (*program)(const char *name, json_t **out, struct fw_error *err);
	int (*program_stats)(const char *name, json_t **out, struct fw_error *err);
	int (*load)(struct fw_prog_spec *spec, json_t **out, struct fw_error *err);
	int (*update_args)(const char *name, const struct fw_arg *args, size_t n_args,
			   json_t **out, struct fw_error *err);
	int (*unload)(const char *name, struct fw_error *err);
	json_t *(*maps)(void);
	int (*map_data)(const char *name, const char *cursor, size_t offset, size_t limit,
			json_t **out, struct fw_error *err);
	int (*map_stream)(const char *name, bool ndjson, struct fw_api_stream *out,
			  struct fw_error *err);
	int (*map_update)(const char *name, json_t *entries, struct fw_error *err);
	int (*map_begin)(const char *name, struct fw_map_batch **out, struct fw_error *err);
	int (*map_put)(struct fw_map_batch *b, json_t *const *entries, const size_t *lines,
		       size_t n, struct fw_error *err);
	json_t *(*map_commit)(struct fw_map_batch *b);
	void (*map_abort)(struct fw_map_batch *b);
	int (*map_delete)(const char *name, json_t *keys, struct fw_error *err);
	int (*map_stats)(const char *name, json_t **out, struct fw_error *err);
	json_t *(*stats)(void);
	int (*blocklist_add)(const char *program, json_t *entries, struct fw_error *err);
	int (*blocklist_delete)(const char *program, json_t *addresses, struct fw_error *err);
	int (*blocklist_page)(const char *program, const char *cursor, size_t limit,
			      json_t **out, struct fw_error *err);
	int (*blocklist_stream)(const char *program, bool ndjson, struct fw_api_stream *out,
				struct fw_error *err);
	int (*blocklist_begin)(const char *program, bool lines, struct fw_blocklist_batch **out,
			       struct fw_error *err);
	int (*blocklist_put)(struct fw_blocklist_batch *b, const struct fw_blocklist_item *items,
			     size_t n, struct fw_error *err);
	json_t *(*blocklist_commit)(struct fw_blocklist_batch *b);
	void (*blocklist_abort)(struct fw_blocklist_batch *b);
	json_t *(*events_since)(uint64_t since, size_t max, uint64_t *next);
	/* Optional: the cluster's status (src/cluster/); NULL when none runs. */
	json_t *(*cluster)(void);
};

extern const struct fw_api_backend fw_api_daemon_backend;

#define FW_API_BODY_MAX (1024 * 1024)   /* larger request bodies get 413 */
#define FW_API_PAGE_DEFAULT 1000        /* map entries per page by default */
#define FW_API_PAGE_MAX 10000
#define FW_API_BULK_MAX 10000           /* entries per map/blocklist request */
#define FW_BLOCKLIST_DEFAULT_PROGRAM "ddos_filter"

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

/* Sets an error response {"error","detail"}; returns status for chaining. */
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
