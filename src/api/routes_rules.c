// SPDX-License-Identifier: MIT
/* The rule plane's endpoints: see routes_rules.h and docs/api.md#rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http_error.h"
#include "api/response.h"
#include "api/routes_rules.h"

static void reply(struct fw_api_response *resp, int ret, struct fw_error *err, json_t *out,
		  unsigned int ok_status)
{
	if (ret < 0) {
		json_decref(out);
		resp->status = fw_http_status_from_errno(ret);
		resp->json = fw_http_error_from(err, resp->status);
	} else {
		resp->status = ok_status;
		resp->json = out ? out : json_object();
	}
	fw_error_clear(err);
}

/* "/api/ebpf/programs/P/rules[/R]" -> P and R (R empty when absent). */
static bool split(const char *path, char *program, size_t psize, char *rule, size_t rsize)
{
	const char *p = path + strlen("/api/ebpf/programs/"), *slash = strchr(p, '/');

	if (!slash || (size_t)(slash - p) >= psize)
		return false;
	snprintf(program, psize, "%.*s", (int)(slash - p), p);
	if (!fw_api_name_valid(program))
		return false;
	p = slash + strcspn(slash + 1, "/") + 1;
	rule[0] = '\0';
	if (*p == '/')
		snprintf(rule, rsize, "%s", p + 1);
	return true;
}

/* A query value in [min, max], all digits; absent (NULL) leaves *out as it is. */
static bool query_number(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	if (!text)
		return true;
	errno = 0;
	v = strtol(text, &end, 10);
	if (!*text || *end || errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool has_rule_plane(const struct fw_api_backend *be)
{
	return be->rules_list && be->rules_add && be->rules_delete && be->rules_replace &&
	       be->feeds_list && be->feeds_reload && be->top;
}

void fw_api_rules_route(const struct fw_api_backend *be, const struct fw_api_request *req,
			json_t *body, struct fw_api_response *resp)
{
	char program[128], rule[128];
	struct fw_error err = { 0 };
	json_t *out = NULL;
	int ret;

	if (!split(req->path, program, sizeof(program), rule, sizeof(rule))) {
		fw_api_refuse(resp, -ENOENT, "see docs/api.md for the endpoints", "no such endpoint");
		return;
	}
	if (!has_rule_plane(be)) {
		fw_api_refuse(resp, -ENOSYS, "this flywall's backend has no rule plane",
			      "not implemented");
		return;
	}
	if (!strcmp(req->path + strlen(req->path) - 4, "/top")) {
		const char *iv = req->query ? req->query(req->query_ctx, "interval") : NULL;
		const char *lim = req->query ? req->query(req->query_ctx, "limit") : NULL;
		long interval = 1, limit = 10;

		if (!query_number(iv, 0, 10, &interval) || !query_number(lim, 1, 10000, &limit)) {
			fw_api_refuse(resp, -EINVAL, "interval: 0 to 10 seconds; limit: 1 to 10000",
				      "invalid interval or limit");
			return;
		}
		ret = be->top(be->ctx, program, interval, limit, &out, &err);
		reply(resp, ret, &err, out, 200);
	} else if (strstr(req->path, "/feeds")) {
		if (!strcmp(req->method, "GET"))
			ret = be->feeds_list(be->ctx, program, &out, &err);
		else
			ret = be->feeds_reload(be->ctx, program, &out, &err);
		reply(resp, ret, &err, out, 200);
	} else if (!strcmp(req->method, "GET")) {
		ret = be->rules_list(be->ctx, program, &out, &err);
		reply(resp, ret, &err, out, 200);
	} else if (!strcmp(req->method, "POST")) {
		ret = be->rules_add(be->ctx, program, body, &out, &err);
		reply(resp, ret, &err, out, 201);
	} else if (!strcmp(req->method, "PUT")) {
		json_t *rules = json_object_get(body, "rules");

		if (!rules || json_object_size(body) != 1) {
			fw_api_refuse(resp, -EINVAL, "send {\"rules\": [...]}",
				      "a rule set replacement takes one field, \"rules\"");
			return;
		}
		ret = be->rules_replace(be->ctx, program, rules, &out, &err);
		reply(resp, ret, &err, out, 200);
	} else {
		ret = be->rules_delete(be->ctx, program, rule, &err);
		reply(resp, ret, &err, json_pack("{s:s, s:s}", "program", program, "deleted", rule),
		      200);
	}
}
