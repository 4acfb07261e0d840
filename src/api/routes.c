// SPDX-License-Identifier: MIT
/*
 * Every endpoint of the API: which method and path, whether it needs the
 * token, how its input is checked, and which backend call answers it. The
 * order in a handler is always: validate everything, then call the backend
 * once, so a bad request changes nothing.
 */
#include "api/routes.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/http_error.h"

#define MAX_SEGMENTS 8
#define EXPIRES_MAX (10u * 365 * 24 * 3600)     /* ten years, in seconds */

struct route_args {
	const struct fw_api_context *ctx;
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

void fw_api_response_release(struct fw_api_response *resp)
{
	json_decref(resp->json);
	free(resp->text);
	resp->json = NULL;
	resp->text = NULL;
}

bool fw_api_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= FW_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return !strstr(name, "..");
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
		fw_api_fail(resp, 500, "see the daemon's log for the cause",
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
	reply_json(a->resp, a->ctx->backend->programs());
}

static void program_get(struct route_args *a)
{
	struct fw_error err = { 0 };
	json_t *out = NULL;
	int ret = a->ctx->backend->program(a->name, &out, &err);

	reply_backend(a->resp, ret, &err, out, 200);
}

static void program_stats(struct route_args *a)
{
	struct fw_error err = { 0 };
	json_t *out = NULL;
	int ret = a->ctx->backend->program_stats(a->name, &out, &err);

	reply_backend(a->resp, ret, &err, out, 200);
}

static void program_load(struct route_args *a)
{
	struct fw_prog_spec spec;
	struct fw_error err = { 0 };
	json_t *out = NULL;
	int ret;

	if (fw_api_spec_from_json(a->ctx->backend, a->body, &spec, a->resp))
		return;
	ret = a->ctx->backend->load(&spec, &out, &err);
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
		fw_api_fail(a->resp, 400, "expected {\"args\": {\"NAME\": value, ...}}",
			    "invalid update request: %s", jerr.text);
		return;
	}
	if (fw_api_args_from_json(jargs, &args, &n, a->resp))
		return;
	ret = a->ctx->backend->update_args(a->name, args, n, &out, &err);
	fw_api_args_free(args, n);
	reply_backend(a->resp, ret, &err, out, 200);
}

static void program_unload(struct route_args *a)
{
	struct fw_error err = { 0 };
	int ret = a->ctx->backend->unload(a->name, &err);

	reply_backend(a->resp, ret, &err,
		      ret < 0 ? NULL : json_pack("{s:s, s:b}", "name", a->name,
						 "unloaded", 1), 200);
}

/* ---- maps -------------------------------------------------------------- */

static void maps_list(struct route_args *a)
{
	reply_json(a->resp, a->ctx->backend->maps());
}

static void map_stats(struct route_args *a)
{
	struct fw_error err = { 0 };
	json_t *out = NULL;
	int ret = a->ctx->backend->map_stats(a->name, &out, &err);

	reply_backend(a->resp, ret, &err, out, 200);
}

static void map_data_get(struct route_args *a)
{
	const char *offset_text = query(a->req, "offset");
	const char *limit_text = query(a->req, "limit");
	size_t offset = 0, limit = FW_API_PAGE_DEFAULT;
	struct fw_error err = { 0 };
	json_t *out = NULL;
	int ret;

	if (offset_text && !parse_size(offset_text, &offset)) {
		fw_api_fail(a->resp, 400, "offset is a whole number >= 0 (the next_offset "
			    "of the previous page)", "invalid offset '%.64s'", offset_text);
		return;
	}
	if (limit_text && (!parse_size(limit_text, &limit) || limit == 0 ||
			   limit > FW_API_PAGE_MAX)) {
		fw_api_fail(a->resp, 400, "limit is a whole number from 1 to 10000",
			    "invalid limit '%.64s'", limit_text);
		return;
	}
	ret = a->ctx->backend->map_data(a->name, offset, limit, &out, &err);
	reply_backend(a->resp, ret, &err, out, 200);
}

/* A non-empty array of at most FW_API_BULK_MAX items, or a 4xx. */
static bool bulk_array_valid(struct fw_api_response *resp, json_t *array,
			     const char *field, const char *shape)
{
	if (!json_is_array(array) || json_array_size(array) == 0) {
		fw_api_fail(resp, 400, shape, "'%s' must be a non-empty array", field);
		return false;
	}
	if (json_array_size(array) > FW_API_BULK_MAX) {
		fw_api_fail(resp, 413, "split the request into batches of at most 10000",
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
		fw_api_fail(a->resp, 400, shape, "invalid map update: %s", jerr.text);
		return;
	}
	if (!bulk_array_valid(a->resp, entries, "entries", shape))
		return;
	json_array_foreach(entries, i, entry) {
		json_t *key, *value;

		if (json_unpack_ex(entry, &jerr, JSON_STRICT, "{s:o, s:o}", "key", &key,
				   "value", &value)) {
			fw_api_fail(a->resp, 400, shape, "entries[%zu]: %s", i, jerr.text);
			return;
		}
	}
	ret = a->ctx->backend->map_update(a->name, entries, &err);
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
		fw_api_fail(a->resp, 400, shape, "invalid map delete: %s", jerr.text);
		return;
	}
	if (!bulk_array_valid(a->resp, keys, "keys", shape))
		return;
	ret = a->ctx->backend->map_delete(a->name, keys, &err);
	reply_backend(a->resp, ret, &err, ret < 0 ? NULL :
		      json_pack("{s:s, s:I}", "map", a->name,
				"deleted", (json_int_t)json_array_size(keys)), 200);
}

/* ---- stats, events, metrics -------------------------------------------- */

static void stats_get(struct route_args *a)
{
	reply_json(a->resp, a->ctx->backend->stats());
}

static void events_stream(struct route_args *a)
{
	const char *since = query(a->req, "since");
	size_t seq = 0;

	if (since) {
		if (!parse_size(since, &seq)) {
			fw_api_fail(a->resp, 400, "since is an event sequence number >= 0",
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
		fw_api_fail(a->resp, 500, "out of memory", "cannot render metrics");
		return;
	}
	a->resp->status = 200;
	a->resp->text = text;
	a->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- blocklist --------------------------------------------------------- */

/*
 * An IPv4/IPv6 address or CIDR whose host bits are zero. Checked here so a
 * typo is a 400 naming the bad entry, before anything reaches the map.
 */
static bool address_valid(const char *text, char *why, size_t why_size)
{
	char addr[INET6_ADDRSTRLEN + 8];
	unsigned char bytes[16];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	int family, max_prefix, prefix;
	char *end;

	if (len == 0 || len >= sizeof(addr)) {
		snprintf(why, why_size, "not an IP address");
		return false;
	}
	memcpy(addr, text, len);
	addr[len] = '\0';
	family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	max_prefix = family == AF_INET6 ? 128 : 32;
	if (inet_pton(family, addr, bytes) != 1) {
		snprintf(why, why_size, "not an %s address", family == AF_INET6 ? "IPv6" : "IPv4");
		return false;
	}
	if (!slash)
		return true;
	errno = 0;
	prefix = isdigit((unsigned char)slash[1]) ? (int)strtol(slash + 1, &end, 10) : -1;
	if (prefix < 0 || errno || *end || prefix > max_prefix) {
		snprintf(why, why_size, "prefix length must be 0 to %d", max_prefix);
		return false;
	}
	for (int bit = prefix; bit < max_prefix; bit++) {
		if (bytes[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(why, why_size, "host bits are set after /%d", prefix);
			return false;
		}
	}
	return true;
}

static bool blocklist_program(struct route_args *a, const char **program)
{
	*program = query(a->req, "program");
	if (!*program)
		*program = FW_BLOCKLIST_DEFAULT_PROGRAM;
	if (!fw_api_name_valid(*program)) {
		fw_api_fail(a->resp, 400, "program names use letters, digits, '_', '-', '.'",
			    "invalid program name '%.64s'", *program);
		return false;
	}
	return true;
}

static bool check_address(struct fw_api_response *resp, json_t *item, const char *where)
{
	char why[96];

	if (!json_is_string(item)) {
		fw_api_fail(resp, 400, "addresses are strings such as \"192.0.2.7\" or "
			    "\"2001:db8::/32\"", "%s: not a string", where);
		return false;
	}
	if (!address_valid(json_string_value(item), why, sizeof(why))) {
		fw_api_fail(resp, 400, why, "%s: invalid address or CIDR '%.64s'", where,
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
		fw_api_fail(resp, 400, "expires_in is a whole number of seconds from 1 "
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
		fw_api_fail(resp, 400, shape, "invalid blocklist request%s%s",
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
			fw_api_fail(resp, 400, shape, "%s: %s", where, jerr.text);
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

static void blocklist_list(struct route_args *a)
{
	struct fw_error err = { 0 };
	const char *program;
	json_t *out = NULL;
	int ret;

	if (!blocklist_program(a, &program))
		return;
	ret = a->ctx->backend->blocklist_list(program, &out, &err);
	reply_backend(a->resp, ret, &err, out, 200);
}

static void blocklist_add(struct route_args *a)
{
	struct fw_error err = { 0 };
	const char *program;
	json_t *entries;
	int ret;

	if (!blocklist_program(a, &program) || !(entries = blocklist_entries(a->resp, a->body)))
		return;
	ret = a->ctx->backend->blocklist_add(program, entries, &err);
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
		fw_api_fail(a->resp, 400, shape, "invalid blocklist delete: %s", jerr.text);
		return;
	}
	if (!bulk_array_valid(a->resp, addresses, "addresses", shape))
		return;
	json_array_foreach(addresses, i, item) {
		snprintf(where, sizeof(where), "addresses[%zu]", i);
		if (!check_address(a->resp, item, where))
			return;
	}
	ret = a->ctx->backend->blocklist_delete(program, addresses, &err);
	reply_backend(a->resp, ret, &err, ret < 0 ? NULL :
		      json_pack("{s:s, s:I}", "program", program,
				"deleted", (json_int_t)json_array_size(addresses)), 200);
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
	{ "GET", "/api/ebpf/events", events_stream, 0 },
	{ "GET", "/metrics", metrics_get, 0 },
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
		fw_api_fail(resp, 403, "the token does not match the one in api "
			    "{ token_file }", "wrong API token");
		return false;
	}
}

static json_t *parse_body(const struct fw_api_request *req, struct fw_api_response *resp)
{
	json_error_t jerr;
	json_t *body;

	if (!req->body || req->body_len == 0) {
		fw_api_fail(resp, 400, "send a JSON object (see docs/api.md)",
			    "request body is empty");
		return NULL;
	}
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		char detail[256];

		snprintf(detail, sizeof(detail), "line %d, column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		fw_api_fail(resp, 400, detail, "request body is not valid JSON");
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		fw_api_fail(resp, 400, "send a JSON object (see docs/api.md)",
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
	       be->blocklist_delete && be->blocklist_list && be->events_since;
}

void fw_api_route(const struct fw_api_context *ctx, const struct fw_api_request *req,
		  struct fw_api_response *resp)
{
	struct route_args a = { .ctx = ctx, .req = req, .resp = resp };
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
		fw_api_fail(resp, 404, "see docs/api.md for the endpoints",
			    "no such endpoint: %.200s", req->path);
		return;
	}
	if (route && strchr(route->pattern, '*'))
		a.name = name;
	if (a.name && !fw_api_name_valid(a.name)) {
		fw_api_fail(resp, 400, "names use letters, digits, '_', '-' and '.', "
			    "at most 63 characters", "invalid name '%.64s'", a.name);
		return;
	}
	if ((route->flags & ROUTE_AUTH) && !authorized(ctx, req, resp))
		return;
	if (!backend_complete(ctx->backend)) {
		fw_api_fail(resp, 501, "this flywall was built without the daemon's backend",
			    "not implemented");
		return;
	}
	if ((route->flags & ROUTE_BODY) && !(a.body = parse_body(req, resp)))
		return;
	route->handler(&a);
	json_decref(a.body);
}
