// SPDX-License-Identifier: MIT
/*
 * Every endpoint of the API: which method and path, whether it needs the
 * token, how its input is checked, and which backend call answers it. The
 * order in a handler is always: validate everything, then call the backend
 * once, so a bad request changes nothing.
 */
#include "api/routes.h"
#include "api/routes_rules.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/auth.h"
#include "api/http_error.h"
#include "api/ui.h"

#define MAX_SEGMENTS 8
#define EXPIRES_MAX (10u * 365 * 24 * 3600)     /* ten years, in seconds */

struct route_args {
	const struct fw_api_context *ctx;
	const struct fw_api_backend *be; /* ctx->backend */
	const struct fw_api_request *req;
	json_t *body;                   /* parsed, for routes that take one */
	const char *name;               /* the {name} segment, if any */
	struct fw_api_response *resp;
};

typedef void (*route_handler)(struct route_args *a);

enum route_flags {
	ROUTE_AUTH = 1 << 0,            /* mutating: needs the bearer token */
	ROUTE_BODY = 1 << 1,            /* takes a JSON object body */
};

struct route {
	const char *method;
	const char *pattern;            /* "*" matches one name segment */
	route_handler handler;
	unsigned int flags;
};

/* A streamed answer; a failure to open it is an error answer. */
static void reply_stream(struct fw_api_response *resp, int ret, struct fw_error *err,
			 struct fw_api_stream *stream, bool ndjson)
{
	if (ret < 0) {
		unsigned int status = fw_http_status_from_errno(ret);

		resp->status = status;
		resp->json = fw_http_error_from(err, status);
		fw_error_clear(err);
		return;
	}
	resp->status = 200;
	resp->stream = *stream;
	resp->content_type = ndjson ? "application/x-ndjson" : "application/json";
}

/* format=json (default) or format=ndjson; false after a 400. */
static bool parse_format(struct fw_api_response *resp, const char *text, bool *ndjson)
{
	*ndjson = text && !strcmp(text, "ndjson");
	if (!text || *ndjson || !strcmp(text, "json"))
		return true;
	fw_api_refuse(resp, -EINVAL, "format is json or ndjson", "invalid format '%.64s'", text);
	return false;
}

/* Answers a backend call: its JSON on success, the errno's status else. */
static void reply_backend(struct fw_api_response *resp, int ret, struct fw_error *err,
			  json_t *out, unsigned int ok_status)
{
	if (ret < 0) {
		unsigned int status = fw_http_status_from_errno(ret);

		json_decref(out);
		resp->status = status;
		resp->json = fw_http_error_from(err, status);
	} else {
		resp->status = ok_status;
		resp->json = out ? out : json_object();
	}
	fw_error_clear(err);
}

static void reply_json(struct fw_api_response *resp, json_t *value)
{
	if (!value) {
		fw_api_refuse(resp, -EIO, "see the daemon's log for the cause",
			    "the daemon could not produce this view");
		return;
	}
	resp->status = 200;
	resp->json = value;
}

/* Strict unsigned decimal: no sign, no spaces, no trailing junk. */
static bool parse_size(const char *text, size_t *out)
{
	unsigned long long v;
	char *end;

	if (!text || !isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v > SIZE_MAX)
		return false;
	*out = v;
	return true;
}

static const char *query(const struct fw_api_request *req, const char *key)
{
	return req->query ? req->query(req->query_ctx, key) : NULL;
}

/* ---- programs ---------------------------------------------------------- */

static void programs_list(struct route_args *a)
{
	reply_json(a->resp, a->be->programs(a->be->ctx));
}

static void program_get(struct route_args *a)
{
	struct fw_error err = { 0 };
	json_t *out = NULL;
	int ret = a->be->program(a->be->ctx, a->name, &out, &err);

	reply_backend(a->resp, ret, &err, out, 200);
}

static void program_stats(struct route_args *a)
{
	struct fw_error err = { 0 };
	json_t *out = NULL;
	int ret = a->be->program_stats(a->be->ctx, a->name, &out, &err);

	reply_backend(a->resp, ret, &err, out, 200);
}

static void program_load(struct route_args *a)
{
	struct fw_prog_spec spec;
	struct fw_error err = { 0 };
	json_t *out = NULL;
	int ret;

	if (fw_api_spec_from_json(a->be, a->body, &spec, a->resp))
		return;
	ret = a->be->load(a->be->ctx, &spec, &out, &err);
	fw_prog_spec_release(&spec);
	reply_backend(a->resp, ret, &err, out, 201);
}

static void program_update(struct route_args *a)
{
	struct fw_error err = { 0 };
	struct fw_arg *args = NULL;
	json_t *jargs = NULL, *out = NULL;
	json_error_t jerr;
	size_t n = 0;
	int ret;

	if (json_unpack_ex(a->body, &jerr, JSON_STRICT, "{s:o}", "args", &jargs)) {
		fw_api_refuse(a->resp, -EINVAL, "expected {\"args\": {\"NAME\": value, ...}}",
			    "invalid update request: %s", jerr.text);
		return;
	}
	if (fw_api_args_from_json(jargs, &args, &n, a->resp))
		return;
	ret = a->be->update_args(a->be->ctx, a->name, args, n, &out, &err);
	fw_api_args_free(args, n);
	reply_backend(a->resp, ret, &err, out, 200);
}

static void program_unload(struct route_args *a)
{
	struct fw_error err = { 0 };
	int ret = a->be->unload(a->be->ctx, a->name, &err);

	reply_backend(a->resp, ret, &err,
		      ret < 0 ? NULL : json_pack("{s:s, s:b}", "name", a->name,
						 "unloaded", 1), 200);
}

/* ---- maps -------------------------------------------------------------- */

static void maps_list(struct route_args *a)
{
	reply_json(a->resp, a->be->maps(a->be->ctx));
}

static void map_stats(struct route_args *a)
{
	struct fw_error err = { 0 };
	json_t *out = NULL;
	int ret = a->be->map_stats(a->be->ctx, a->name, &out, &err);

	reply_backend(a->resp, ret, &err, out, 200);
}

/* true/false/1/0/yes/no; false after a 400. */
static bool parse_bool(struct fw_api_response *resp, const char *key, const char *text,
		       bool *out)
{
	*out = false;
	if (!text)
		return true;
	if (!strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "yes"))
		*out = true;
	else if (strcmp(text, "false") && strcmp(text, "0") && strcmp(text, "no"))
		return fw_api_refuse(resp, -EINVAL, "true or false", "invalid %s '%.64s'", key, text),
		       false;
	return true;
}

/* A page's limit; false after a 400. */
static bool parse_limit(struct fw_api_response *resp, const char *text, size_t *limit)
{
	if (text && (!parse_size(text, limit) || *limit == 0 || *limit > FW_API_PAGE_MAX)) {
		fw_api_refuse(resp, -EINVAL, "limit is a whole number from 1 to 10000",
			    "invalid limit '%.64s'", text);
		return false;
	}
	return true;
}

/*
 * A page (?cursor=C&limit=N, or the older ?offset=N&limit=N), or with
 * ?all=true every entry, streamed.
 */
static void map_data_get(struct route_args *a)
{
	const char *offset_text = query(a->req, "offset");
	const char *cursor = query(a->req, "cursor");
	size_t offset = 0, limit = FW_API_PAGE_DEFAULT;
	struct fw_error err = { 0 };
	struct fw_api_stream stream;
	json_t *out = NULL;
	bool all, ndjson;
	int ret;

	if (!parse_bool(a->resp, "all", query(a->req, "all"), &all) ||
	    !parse_format(a->resp, query(a->req, "format"), &ndjson))
		return;
	if (offset_text && !parse_size(offset_text, &offset)) {
		fw_api_refuse(a->resp, -EINVAL, "offset is a whole number >= 0 (the next_offset "
			    "of the previous page); prefer cursor", "invalid offset '%.64s'",
			    offset_text);
		return;
	}
	if (!parse_limit(a->resp, query(a->req, "limit"), &limit))
		return;
	if (cursor && offset_text) {
		fw_api_refuse(a->resp, -EINVAL, "a cursor says where to go on by itself",
			    "give cursor or offset, not both");
		return;
	}
	if (all) {
		ret = a->be->map_stream(a->be->ctx, a->name, ndjson, &stream, &err);
		reply_stream(a->resp, ret, &err, &stream, ndjson);
		return;
	}
	ret = a->be->map_data(a->be->ctx, a->name, cursor, offset, limit, &out, &err);
	reply_backend(a->resp, ret, &err, out, 200);
}

/* A non-empty array of at most FW_API_BULK_MAX items, or a 4xx. */
static bool bulk_array_valid(struct fw_api_response *resp, json_t *array,
			     const char *field, const char *shape)
{
	if (!json_is_array(array) || json_array_size(array) == 0) {
		fw_api_refuse(resp, -EINVAL, shape, "'%s' must be a non-empty array", field);
		return false;
	}
	if (json_array_size(array) > FW_API_BULK_MAX) {
		fw_api_refuse(resp, -E2BIG, "split the request into batches of at most 10000",
			    "too many %s: %zu (at most 10000 per request)", field,
			    json_array_size(array));
		return false;
	}
	return true;
}

static void map_data_put(struct route_args *a)
{
	static const char shape[] = "expected {\"entries\": [{\"key\": K, \"value\": V}, ...]}";
	struct fw_error err = { 0 };
	json_t *entries = NULL, *entry;
	json_error_t jerr;
	size_t i;
	int ret;

	if (json_unpack_ex(a->body, &jerr, JSON_STRICT, "{s:o}", "entries", &entries)) {
		fw_api_refuse(a->resp, -EINVAL, shape, "invalid map update: %s", jerr.text);
		return;
	}
	if (!bulk_array_valid(a->resp, entries, "entries", shape))
		return;
	json_array_foreach(entries, i, entry) {
		json_t *key, *value;

		if (json_unpack_ex(entry, &jerr, JSON_STRICT, "{s:o, s:o}", "key", &key,
				   "value", &value)) {
			fw_api_refuse(a->resp, -EINVAL, shape, "entries[%zu]: %s", i, jerr.text);
			return;
		}
	}
	ret = a->be->map_update(a->be->ctx, a->name, entries, &err);
	reply_backend(a->resp, ret, &err, ret < 0 ? NULL :
		      json_pack("{s:s, s:I}", "map", a->name,
				"updated", (json_int_t)json_array_size(entries)), 200);
}

static void map_data_delete(struct route_args *a)
{
	static const char shape[] = "expected {\"keys\": [K, ...]}";
	struct fw_error err = { 0 };
	json_t *keys = NULL;
	json_error_t jerr;
	int ret;

	if (json_unpack_ex(a->body, &jerr, JSON_STRICT, "{s:o}", "keys", &keys)) {
		fw_api_refuse(a->resp, -EINVAL, shape, "invalid map delete: %s", jerr.text);
		return;
	}
	if (!bulk_array_valid(a->resp, keys, "keys", shape))
		return;
	ret = a->be->map_delete(a->be->ctx, a->name, keys, &err);
	reply_backend(a->resp, ret, &err, ret < 0 ? NULL :
		      json_pack("{s:s, s:I}", "map", a->name,
				"deleted", (json_int_t)json_array_size(keys)), 200);
}

/* ---- stats, events, metrics -------------------------------------------- */

static void stats_get(struct route_args *a)
{
	reply_json(a->resp, a->be->stats(a->be->ctx));
}

/* The cluster's status; {"enabled": false} when the configuration has no
 * cluster block. */
static void cluster_get(struct route_args *a)
{
	const struct fw_api_backend *be = a->ctx->backend;

	reply_json(a->resp, be->cluster ? be->cluster(be->ctx) : json_pack("{s:b}", "enabled", false));
}

static void events_stream(struct route_args *a)
{
	const char *since = query(a->req, "since");
	size_t seq = 0;

	if (since) {
		if (!parse_size(since, &seq)) {
			fw_api_refuse(a->resp, -EINVAL, "since is an event sequence number >= 0",
				    "invalid since '%.64s'", since);
			return;
		}
	} else if (a->req->last_event_id && parse_size(a->req->last_event_id, &seq)) {
		seq++;  /* a reconnecting EventSource resumes after the last it saw */
	}
	a->resp->status = 200;
	a->resp->sse = true;
	a->resp->sse_since = seq;
}

static void metrics_get(struct route_args *a)
{
	char *text = fw_api_metrics_text(a->ctx->backend);

	if (!text) {
		fw_api_refuse(a->resp, -ENOMEM, "out of memory", "cannot render metrics");
		return;
	}
	a->resp->status = 200;
	a->resp->text = text;
	a->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void ui_page(struct route_args *a) { fw_api_ui_asset("index.html", a->resp); }
static void ui_asset(struct route_args *a) { fw_api_ui_asset(a->name, a->resp); }
static void rates_get(struct route_args *a)
{
	fw_api_rates(a->ctx->ui, a->ctx->backend, a->req->query(a->req->query_ctx, "events_since"),
		     a->resp);
}

/* ---- blocklist --------------------------------------------------------- */

static bool blocklist_program(struct route_args *a, const char **program)
{
	*program = query(a->req, "program");
	if (!*program)
		*program = a->be->blocklist_default;
	if (!fw_api_name_valid(*program)) {
		fw_api_refuse(a->resp, -EINVAL, "program names use letters, digits, '_', '-', '.'",
			    "invalid program name '%.64s'", *program);
		return false;
	}
	return true;
}

static bool check_address(struct fw_api_response *resp, json_t *item, const char *where)
{
	char why[96];

	if (!json_is_string(item)) {
		fw_api_refuse(resp, -EINVAL, "addresses are strings such as \"192.0.2.7\" or "
			    "\"2001:db8::/32\"", "%s: not a string", where);
		return false;
	}
	if (!fw_api_address_valid(json_string_value(item), why, sizeof(why))) {
		fw_api_refuse(resp, -EINVAL, why, "%s: invalid address or CIDR '%.64s'", where,
			    json_string_value(item));
		return false;
	}
	return true;
}

static bool check_expiry(struct fw_api_response *resp, json_t *value, const char *where)
{
	if (!value)
		return true;
	if (!json_is_integer(value) || json_integer_value(value) < 1 ||
	    json_integer_value(value) > EXPIRES_MAX) {
		fw_api_refuse(resp, -EINVAL, "expires_in is a whole number of seconds from 1 "
			    "to 315360000; leave it out for no expiry",
			    "%s: invalid expires_in", where);
		return false;
	}
	return true;
}

/*
 * Either {"addresses": ["A", ...], "expires_in": N} or
 * {"entries": [{"address": "A", "expires_in": N}, ...]}; both become the
 * backend's entries form.
 */
static json_t *blocklist_entries(struct fw_api_response *resp, json_t *body)
{
	static const char shape[] = "expected {\"addresses\": [\"A\", ...], \"expires_in\": N} "
				    "or {\"entries\": [{\"address\": \"A\", \"expires_in\": N}]}";
	json_t *addresses = NULL, *entries = NULL, *expires = NULL, *item, *out;
	json_error_t jerr;
	char where[48];
	size_t i;

	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s?o, s?o, s?o}", "addresses",
			   &addresses, "entries", &entries, "expires_in", &expires) ||
	    !addresses == !entries || (entries && expires)) {
		fw_api_refuse(resp, -EINVAL, shape, "invalid blocklist request%s%s",
			    jerr.text[0] ? ": " : "", jerr.text);
		return NULL;
	}
	if (!bulk_array_valid(resp, addresses ? addresses : entries,
			      addresses ? "addresses" : "entries", shape) ||
	    !check_expiry(resp, expires, "expires_in"))
		return NULL;
	out = json_array();
	json_array_foreach(addresses ? addresses : entries, i, item) {
		json_t *address = item, *item_expires = expires;

		snprintf(where, sizeof(where), "%s[%zu]", addresses ? "addresses" : "entries", i);
		if (entries && json_unpack_ex(item, &jerr, JSON_STRICT, "{s:o, s?o}", "address",
					      &address, "expires_in", &item_expires)) {
			fw_api_refuse(resp, -EINVAL, shape, "%s: %s", where, jerr.text);
			goto fail;
		}
		if (!check_address(resp, address, where) ||
		    !check_expiry(resp, item_expires, where))
			goto fail;
		json_array_append_new(out, item_expires ?
			json_pack("{s:O, s:O}", "address", address, "expires_in", item_expires) :
			json_pack("{s:O}", "address", address));
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* Every entry, streamed; or a page with ?limit=N[&cursor=C]. */
static void blocklist_list(struct route_args *a)
{
	const char *cursor = query(a->req, "cursor"), *limit_text = query(a->req, "limit");
	size_t limit = FW_API_PAGE_DEFAULT;
	struct fw_error err = { 0 };
	struct fw_api_stream stream;
	const char *program;
	json_t *out = NULL;
	bool ndjson;
	int ret;

	if (!blocklist_program(a, &program) || !parse_limit(a->resp, limit_text, &limit) ||
	    !parse_format(a->resp, query(a->req, "format"), &ndjson))
		return;
	if (cursor || limit_text) {
		ret = a->be->blocklist_page(a->be->ctx, program, cursor, limit, &out, &err);
		reply_backend(a->resp, ret, &err, out, 200);
		return;
	}
	ret = a->be->blocklist_stream(a->be->ctx, program, ndjson, &stream, &err);
	reply_stream(a->resp, ret, &err, &stream, ndjson);
}

static void blocklist_add(struct route_args *a)
{
	struct fw_error err = { 0 };
	const char *program;
	json_t *entries;
	int ret;

	if (!blocklist_program(a, &program) || !(entries = blocklist_entries(a->resp, a->body)))
		return;
	ret = a->be->blocklist_add(a->be->ctx, program, entries, &err);
	reply_backend(a->resp, ret, &err, ret < 0 ? NULL :
		      json_pack("{s:s, s:I}", "program", program,
				"added", (json_int_t)json_array_size(entries)), 200);
	json_decref(entries);
}

static void blocklist_delete(struct route_args *a)
{
	static const char shape[] = "expected {\"addresses\": [\"A\", ...]}";
	struct fw_error err = { 0 };
	json_t *addresses = NULL, *item;
	const char *program;
	json_error_t jerr;
	char where[48];
	size_t i;
	int ret;

	if (!blocklist_program(a, &program))
		return;
	if (json_unpack_ex(a->body, &jerr, JSON_STRICT, "{s:o}", "addresses", &addresses)) {
		fw_api_refuse(a->resp, -EINVAL, shape, "invalid blocklist delete: %s", jerr.text);
		return;
	}
	if (!bulk_array_valid(a->resp, addresses, "addresses", shape))
		return;
	json_array_foreach(addresses, i, item) {
		snprintf(where, sizeof(where), "addresses[%zu]", i);
		if (!check_address(a->resp, item, where))
			return;
	}
	ret = a->be->blocklist_delete(a->be->ctx, program, addresses, &err);
	reply_backend(a->resp, ret, &err, ret < 0 ? NULL :
		      json_pack("{s:s, s:I}", "program", program,
				"deleted", (json_int_t)json_array_size(addresses)), 200);
}

/* ---- the rule plane (routes_rules.c) ------------------------------------ */

static void rules_route(struct route_args *a)
{
	fw_api_rules_route(a->be, a->req, a->body, a->resp);
}

/* ---- the table --------------------------------------------------------- */

static const struct route routes[] = {
	{ "GET", "/api/ebpf/programs", programs_list, 0 },
	{ "POST", "/api/ebpf/programs/load", program_load, ROUTE_AUTH | ROUTE_BODY },
	{ "GET", "/api/ebpf/programs/*", program_get, 0 },
	{ "PUT", "/api/ebpf/programs/*", program_update, ROUTE_AUTH | ROUTE_BODY },
	{ "DELETE", "/api/ebpf/programs/*", program_unload, ROUTE_AUTH },
	{ "GET", "/api/ebpf/programs/*/stats", program_stats, 0 },
	{ "GET", "/api/ebpf/maps", maps_list, 0 },
	{ "GET", "/api/ebpf/maps/*/data", map_data_get, 0 },
	{ "PUT", "/api/ebpf/maps/*/data", map_data_put, ROUTE_AUTH | ROUTE_BODY },
	{ "POST", "/api/ebpf/maps/*/data", map_data_put, ROUTE_AUTH | ROUTE_BODY },
	{ "DELETE", "/api/ebpf/maps/*/data", map_data_delete, ROUTE_AUTH | ROUTE_BODY },
	{ "GET", "/api/ebpf/maps/*/stats", map_stats, 0 },
	{ "GET", "/api/ebpf/stats", stats_get, 0 },
	{ "GET", "/api/ebpf/blocklist", blocklist_list, 0 },
	{ "POST", "/api/ebpf/blocklist", blocklist_add, ROUTE_AUTH | ROUTE_BODY },
	{ "DELETE", "/api/ebpf/blocklist", blocklist_delete, ROUTE_AUTH | ROUTE_BODY },
	{ "GET", "/api/ebpf/cluster", cluster_get, 0 },
	{ "GET", "/api/ebpf/events", events_stream, 0 },
	{ "GET", "/api/ebpf/programs/*/rules", rules_route, 0 },
	{ "POST", "/api/ebpf/programs/*/rules", rules_route, ROUTE_AUTH | ROUTE_BODY },
	{ "PUT", "/api/ebpf/programs/*/rules", rules_route, ROUTE_AUTH | ROUTE_BODY },
	{ "DELETE", "/api/ebpf/programs/*/rules/*", rules_route, ROUTE_AUTH },
	{ "GET", "/api/ebpf/programs/*/feeds", rules_route, 0 },
	{ "GET", "/api/ebpf/programs/*/top", rules_route, 0 },
	{ "POST", "/api/ebpf/programs/*/feeds/reload", rules_route, ROUTE_AUTH },
	{ "GET", "/metrics", metrics_get, 0 },
	/* The dashboard (api/ui.c) */
	{ "GET", "/", ui_page, 0 }, { "GET", "/ui/*", ui_asset, 0 },
	{ "GET", "/api/ebpf/rates", rates_get, 0 },
};

/* Splits "/a/b/c" into segments; false if there are too many or one is empty
 * (a doubled or trailing slash names nothing). */
static bool split_path(char *path, char **seg, size_t *n)
{
	char *save = NULL, *tok;

	*n = 0;
	if (path[0] != '/' || strstr(path, "//") || (path[1] && path[strlen(path) - 1] == '/'))
		return false;
	for (tok = strtok_r(path + 1, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (*n == MAX_SEGMENTS)
			return false;
		seg[(*n)++] = tok;
	}
	return true;
}

/* Matches the path's segments against a pattern; *name gets the "*" one. */
static bool pattern_matches(const char *pattern, char **seg, size_t n, const char **name)
{
	char buf[128], *pseg[MAX_SEGMENTS];
	size_t pn;

	snprintf(buf, sizeof(buf), "%s", pattern);
	if (!split_path(buf, pseg, &pn) || pn != n)
		return false;
	*name = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(pseg[i], "*") == 0)
			*name = seg[i];
		else if (strcmp(pseg[i], seg[i]) != 0)
			return false;
	}
	return true;
}

/* The route for this method and path. A literal segment beats "*", so
 * POST /programs/load is the loader, not a program named "load". Fills
 * allow with the methods the path takes, for a 405. */
static const struct route *find_route(const char *method, const char *path,
				      char *name, size_t name_size, char *allow,
				      size_t allow_size)
{
	char buf[1024], *seg[MAX_SEGMENTS];
	const struct route *found = NULL;
	const char *matched_name;
	size_t n;

	allow[0] = '\0';
	if (strlen(path) >= sizeof(buf))
		return NULL;
	strcpy(buf, path);
	if (!split_path(buf, seg, &n))
		return NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];

		if (!pattern_matches(r->pattern, seg, n, &matched_name))
			continue;
		if (strcmp(r->method, method) != 0) {
			if (!strstr(allow, r->method) && strlen(allow) + 10 < allow_size)
				snprintf(allow + strlen(allow), allow_size - strlen(allow),
					 "%s%s", allow[0] ? ", " : "", r->method);
			continue;
		}
		if (!found || (strchr(found->pattern, '*') && !matched_name)) {
			found = r;
			/* Copied: matched_name points into this function's buffer.
			 * An overlong name is cut to one the validity check refuses. */
			snprintf(name, name_size, "%s", matched_name ? matched_name : "");
		}
	}
	return found;
}

void fw_api_route_needs(const char *method, const char *path, bool *token, bool *body)
{
	char allow[64], name[FW_NAME_MAX + 1];
	const struct route *r = find_route(method, path, name, sizeof(name), allow,
					   sizeof(allow));

	*token = r && (r->flags & ROUTE_AUTH);
	*body = r && (r->flags & ROUTE_BODY);
}

static bool authorized(const struct fw_api_context *ctx, const struct fw_api_request *req,
		       struct fw_api_response *resp)
{
	switch (fw_api_auth_check(ctx->token, req->authorization)) {
	case FW_AUTH_OK:
		return true;
	case FW_AUTH_MISSING:
		fw_api_fail(resp, 401, "send the header 'Authorization: Bearer TOKEN' with "
			    "the token from api { token_file }",
			    "this request changes state and needs the API token");
		resp->auth_challenge = true;
		return false;
	default:
		fw_api_refuse(resp, -EACCES, "the token does not match the one in api "
			    "{ token_file }", "wrong API token");
		return false;
	}
}

static json_t *parse_body(const struct fw_api_request *req, struct fw_api_response *resp)
{
	json_error_t jerr;
	json_t *body;

	if (!req->body || req->body_len == 0) {
		fw_api_refuse(resp, -EINVAL, "send a JSON object (see docs/api.md)",
			    "request body is empty");
		return NULL;
	}
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		char detail[256];

		snprintf(detail, sizeof(detail), "line %d, column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		fw_api_refuse(resp, -EINVAL, detail, "request body is not valid JSON");
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		fw_api_refuse(resp, -EINVAL, "send a JSON object (see docs/api.md)",
			    "request body must be a JSON object");
		return NULL;
	}
	return body;
}

/* Every call present: false only in a build without src/daemon/backend.c. */
static bool backend_complete(const struct fw_api_backend *be)
{
	return be->program_dir && be->default_map_size && be->programs && be->program &&
	       be->program_stats && be->load && be->update_args && be->unload &&
	       be->maps && be->map_data && be->map_update && be->map_delete &&
	       be->map_stats && be->stats && be->blocklist_add &&
	       be->blocklist_delete && be->events_since &&
	       be->map_stream && be->blocklist_page && be->blocklist_stream &&
	       be->blocklist_begin && be->blocklist_put && be->blocklist_commit &&
	       be->blocklist_abort && be->blocklist_default && be->map_begin && be->map_put && be->map_commit &&
	       be->map_abort;
}

void fw_api_route(const struct fw_api_context *ctx, const struct fw_api_request *req,
		  struct fw_api_response *resp)
{
	struct route_args a = { .ctx = ctx, .be = ctx->backend, .req = req, .resp = resp };
	char allow_buf[64], name[FW_NAME_MAX + 1];
	const struct route *route;

	memset(resp, 0, sizeof(*resp));
	route = find_route(req->method, req->path, name, sizeof(name), allow_buf,
			   sizeof(allow_buf));
	if (!route && allow_buf[0]) {
		fw_api_fail(resp, 405, allow_buf, "method %s is not allowed on %.200s",
			    req->method, req->path);
		/* The detail is the list of allowed methods; the body owns it. */
		resp->allow = json_string_value(json_object_get(resp->json, "detail"));
		return;
	}
	if (!route) {
		fw_api_refuse(resp, -ENOENT, "see docs/api.md for the endpoints",
			    "no such endpoint: %.200s", req->path);
		return;
	}
	if (route && strchr(route->pattern, '*'))
		a.name = name;
	if (a.name && !fw_api_name_valid(a.name)) {
		fw_api_refuse(resp, -EINVAL, "names use letters, digits, '_', '-' and '.', "
			    "at most 63 characters", "invalid name '%.64s'", a.name);
		return;
	}
	if ((route->flags & ROUTE_AUTH) && !authorized(ctx, req, resp))
		return;
	if (!backend_complete(ctx->backend)) {
		fw_api_refuse(resp, -ENOSYS, "this flywall was built without the daemon's backend",
			    "not implemented");
		return;
	}
	if ((route->flags & ROUTE_BODY) && !(a.body = parse_body(req, resp)))
		return;
	route->handler(&a);
	json_decref(a.body);
}

/* ---- streamed uploads: the bulk blocklist forms ---------------------------- */

#define UPLOAD_CHUNK 4096               /* addresses per backend call */
#define UPLOAD_MAP_CHUNK 1024           /* map entries per backend call */
#define UPLOAD_LINE_MAX 256             /* an address line */
#define UPLOAD_MAP_LINE_MAX 16384       /* a map entry line */

struct fw_api_upload {
	const struct fw_api_backend *be;
	struct fw_blocklist_batch *batch;
	struct fw_map_batch *map_batch;  /* map data instead of the blocklist */
	bool map;                       /* a map data upload (entries, not items) */
	char program[FW_NAME_MAX];
	bool ndjson;
	uint32_t expires_in;            /* ?expires_in=N, for lines without their own */
	json_t *entries[UPLOAD_MAP_CHUNK];
	size_t entry_lines[UPLOAD_MAP_CHUNK];
	size_t line_max;
	char line[UPLOAD_MAP_LINE_MAX + 1];
	size_t line_len;
	bool line_too_long;
	size_t line_no;
	struct fw_blocklist_item items[UPLOAD_CHUNK];
	char addresses[UPLOAD_CHUNK][INET6_ADDRSTRLEN + 8];
	size_t n, total;
	struct fw_api_response failure; /* the answer once failed (status set) */
};

static bool upload_failed(const struct fw_api_upload *up)
{
	return up->failure.status != 0;
}

/* Ends the batch with an error answer; what was applied is undone. */
/* Ends the batch: what it applied is undone. */
static void upload_drop_batch(struct fw_api_upload *up)
{
	if (up->batch)
		up->be->blocklist_abort(up->be->ctx, up->batch);
	if (up->map_batch)
		up->be->map_abort(up->be->ctx, up->map_batch);
	up->batch = NULL;
	up->map_batch = NULL;
	for (size_t i = 0; up->map && i < up->n; i++) {        /* not applied yet */
		json_decref(up->entries[i]);
		up->entries[i] = NULL;
	}
	if (up->map)
		up->n = 0;
}

/* Ends the batch with an error answer. */
static void upload_fail_backend(struct fw_api_upload *up, int ret, struct fw_error *err)
{
	reply_backend(&up->failure, ret, err, NULL, 200);
	upload_drop_batch(up);
}

static void upload_flush(struct fw_api_upload *up)
{
	struct fw_error err = { 0 };
	int ret;

	if (!up->n || upload_failed(up))
		return;
	if (up->map_batch) {
		ret = up->be->map_put(up->be->ctx, up->map_batch, up->entries, up->entry_lines,
				      up->n, &err);
		for (size_t i = 0; i < up->n; i++) {
			json_decref(up->entries[i]);
			up->entries[i] = NULL;
		}
	} else {
		ret = up->be->blocklist_put(up->be->ctx, up->batch, up->items, up->n, &err);
	}
	up->n = 0;
	if (ret < 0)
		upload_fail_backend(up, ret, &err);
}

static void upload_refuse(struct fw_api_upload *up, const char *detail, const char *fmt,
			  const char *text)
{
	char msg[160];

	snprintf(msg, sizeof(msg), fmt, up->line_no, text);
	fw_api_refuse(&up->failure, -EINVAL, detail, "%s", msg);
	upload_drop_batch(up);
}

/* A map entry line: {"key": K, "value": V} (or "values"), checked by the
 * map's codec when its chunk is applied. */
static void upload_map_line(struct fw_api_upload *up, const char *line)
{
	json_error_t jerr;
	json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);

	if (!json_is_object(j)) {
		json_decref(j);
		upload_refuse(up, "each line is {\"key\": ..., \"value\": ...}",
			      "line %zu: not a JSON object: '%.64s'", line);
		return;
	}
	up->entries[up->n] = j;
	up->entry_lines[up->n] = up->line_no;
	up->total++;
	if (++up->n == UPLOAD_MAP_CHUNK)
		upload_flush(up);
}

/* One NDJSON line: "A" or {"address": "A", "expires_in": N}. */
static bool ndjson_item(struct fw_api_upload *up, const char *line, char *address,
			uint32_t *expires)
{
	json_t *j = json_loads(line, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	json_t *addr = NULL, *exp = NULL;
	bool ok;

	ok = json_is_string(j) ? (addr = j) != NULL
			       : json_unpack(j, "{s:o, s?o !}", "address", &addr,
					     "expires_in", &exp) == 0 && json_is_string(addr);
	if (ok && exp && (!json_is_integer(exp) || json_integer_value(exp) < 1 ||
			  json_integer_value(exp) > EXPIRES_MAX))
		ok = false;
	if (ok) {
		snprintf(address, INET6_ADDRSTRLEN + 8, "%.*s", INET6_ADDRSTRLEN + 7,
			 json_string_value(addr));
		if (exp)
			*expires = json_integer_value(exp);
	}
	json_decref(j);
	if (!ok)
		upload_refuse(up, "each line is \"A\" or {\"address\": \"A\", \"expires_in\": N}",
			      "line %zu: not an address entry: '%.64s'", line);
	return ok;
}

/* One line of either form; comments and blank lines are passed over. */
static void upload_line(struct fw_api_upload *up, char *line)
{
	char *start = line, *end, why[96];
	struct fw_blocklist_item *item = &up->items[up->n];
	char *address = up->addresses[up->n];
	uint32_t expires = up->expires_in;

	up->line_no++;
	if (up->line_too_long) {
		up->line_too_long = false;
		upload_refuse(up, "one address or CIDR per line", "line %zu: too long%s", "");
		return;
	}
	while (isspace((unsigned char)*start))
		start++;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (!*start || *start == '#' || *start == ';')
		return;
	if (up->map) {
		upload_map_line(up, start);
		return;
	}
	if (up->ndjson) {
		if (!ndjson_item(up, start, address, &expires))
			return;
	} else {
		/* "A", "A ; comment", "A # comment": what follows the address goes. */
		start[strcspn(start, " \t;#")] = '\0';
		snprintf(address, INET6_ADDRSTRLEN + 8, "%.*s", INET6_ADDRSTRLEN + 7, start);
	}
	if (!fw_api_address_valid(address, why, sizeof(why))) {
		upload_refuse(up, why, "line %zu: invalid address or CIDR '%.64s'", address);
		return;
	}
	*item = (struct fw_blocklist_item){ address, expires, up->line_no };
	up->total++;
	if (++up->n == UPLOAD_CHUNK)
		upload_flush(up);
}

void fw_api_upload_feed(struct fw_api_upload *up, const char *data, size_t len)
{
	while (len && !upload_failed(up)) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;

		if (up->line_len + take > up->line_max)
			up->line_too_long = true;
		else
			memcpy(up->line + up->line_len, data, take);
		up->line_len = up->line_too_long ? 0 : up->line_len + take;
		if (nl) {
			up->line[up->line_len] = '\0';
			upload_line(up, up->line);
			up->line_len = 0;
			take++;
		}
		data += take;
		len -= take;
	}
}

void fw_api_upload_end(struct fw_api_upload *up, struct fw_api_response *resp)
{
	if (!upload_failed(up) && (up->line_len || up->line_too_long)) {
		up->line[up->line_len] = '\0';
		upload_line(up, up->line);
	}
	upload_flush(up);
	if (!upload_failed(up) && up->total == 0) {
		fw_api_refuse(&up->failure, -EINVAL, up->map_batch ? "send one entry per line"
			    : "send one address or CIDR per line", "the body holds no %s",
			    up->map_batch ? "entries" : "addresses");
		upload_drop_batch(up);
	}
	if (upload_failed(up)) {
		*resp = up->failure;
		up->failure = (struct fw_api_response){ 0 };
	} else if (up->map_batch) {
		memset(resp, 0, sizeof(*resp));
		resp->status = 200;
		resp->json = up->be->map_commit(up->be->ctx, up->map_batch);
		up->map_batch = NULL;
	} else {
		memset(resp, 0, sizeof(*resp));
		resp->status = 200;
		resp->json = up->be->blocklist_commit(up->be->ctx, up->batch);
		up->batch = NULL;
		json_object_set_new(resp->json, "received", json_integer((json_int_t)up->total));
	}
	fw_api_upload_abort(up);
}

void fw_api_upload_abort(struct fw_api_upload *up)
{
	if (!up)
		return;
	upload_drop_batch(up);
	fw_api_response_release(&up->failure);
	free(up);
}

/* "text/plain; charset=utf-8" is text/plain. */
static bool media_type_is(const char *content_type, const char *type)
{
	size_t len = strlen(type);

	return content_type && !strncasecmp(content_type, type, len) &&
	       (!content_type[len] || content_type[len] == ';' || content_type[len] == ' ');
}

/* A new upload on the daemon's backend, or NULL with resp saying why. */
static struct fw_api_upload *upload_new(const struct fw_api_context *ctx,
					struct fw_api_response *resp)
{
	struct fw_api_upload *up;

	if (!backend_complete(ctx->backend)) {
		fw_api_refuse(resp, -ENOSYS, "this flywall was built without the daemon's backend",
			    "not implemented");
		return NULL;
	}
	up = calloc(1, sizeof(*up));
	if (!up)
		fw_api_refuse(resp, -ENOMEM, "out of memory", "cannot take the upload");
	else
		up->be = ctx->backend;
	return up;
}

/* PUT/POST /api/ebpf/maps/{name}/data as NDJSON. */
static bool map_upload_begin(const struct fw_api_context *ctx, const struct fw_api_request *req,
			     struct fw_api_upload **out, struct fw_api_response *resp)
{
	const char *name = req->path + 15, *end = strchr(name, '/');
	struct fw_error err = { 0 };
	char map[FW_NAME_MAX + 1];
	struct fw_api_upload *up;
	int ret;

	if (!end || strcmp(end, "/data") || (size_t)(end - name) >= sizeof(map))
		return false;   /* not map data: the router answers */
	snprintf(map, sizeof(map), "%.*s", (int)(end - name), name);
	memset(resp, 0, sizeof(*resp));
	if (!fw_api_name_valid(map)) {
		fw_api_refuse(resp, -EINVAL, "names use letters, digits, '_', '-' and '.', "
			    "at most 63 characters", "invalid name '%.64s'", map);
		return true;
	}
	if (!authorized(ctx, req, resp) || !(up = upload_new(ctx, resp)))
		return true;
	up->ndjson = true;
	up->map = true;
	up->line_max = UPLOAD_MAP_LINE_MAX;
	ret = up->be->map_begin(up->be->ctx, map, &up->map_batch, &err);
	if (ret < 0) {
		reply_backend(resp, ret, &err, NULL, 200);
		free(up);
		return true;
	}
	*out = up;
	return true;
}

bool fw_api_upload_begin(const struct fw_api_context *ctx, const struct fw_api_request *req,
			 const char *content_type, struct fw_api_upload **out,
			 struct fw_api_response *resp)
{
	struct route_args a = { .ctx = ctx, .be = ctx->backend, .req = req, .resp = resp };
	bool ndjson = media_type_is(content_type, "application/x-ndjson");
	const char *expires = query(req, "expires_in"), *program;
	struct fw_error err = { 0 };
	struct fw_api_upload *up;
	size_t seconds = 0;
	int ret;

	*out = NULL;
	if (ndjson && (!strcmp(req->method, "PUT") || !strcmp(req->method, "POST")) &&
	    !strncmp(req->path, "/api/ebpf/maps/", 15))
		return map_upload_begin(ctx, req, out, resp);
	if (strcmp(req->method, "POST") || strcmp(req->path, "/api/ebpf/blocklist") ||
	    (!ndjson && !media_type_is(content_type, "text/plain")))
		return false;
	memset(resp, 0, sizeof(*resp));
	if (!authorized(ctx, req, resp) || !blocklist_program(&a, &program))
		return true;
	if (expires && (!parse_size(expires, &seconds) || seconds < 1 || seconds > EXPIRES_MAX)) {
		fw_api_refuse(resp, -EINVAL, "expires_in is a whole number of seconds from 1 to "
			    "315360000; leave it out for no expiry", "invalid expires_in '%.64s'",
			    expires);
		return true;
	}
	if (!(up = upload_new(ctx, resp)))
		return true;
	up->ndjson = ndjson;
	up->line_max = UPLOAD_LINE_MAX;
	up->expires_in = seconds;
	snprintf(up->program, sizeof(up->program), "%s", program);
	ret = up->be->blocklist_begin(up->be->ctx, program, true, &up->batch, &err);
	if (ret < 0) {
		reply_backend(resp, ret, &err, NULL, 200);
		free(up);
		return true;
	}
	*out = up;
	return true;
}
