// SPDX-License-Identifier: MIT
/* The rule plane's endpoints: see routes_rules.h and docs/api.md#rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/backend_rules.h"
#include "api/http_error.h"
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

void fw_api_rules_route(const struct fw_api_request *req, json_t *body,
			struct fw_api_response *resp)
{
	char program[128], rule[128];
	struct fw_error err = { 0 };
	json_t *out = NULL;
	int ret;

	if (!split(req->path, program, sizeof(program), rule, sizeof(rule))) {
		fw_api_fail(resp, 404, "see docs/api.md for the endpoints", "no such endpoint");
		return;
	}
	if (!strcmp(req->path + strlen(req->path) - 4, "/top")) {
		const char *iv = req->query ? req->query(req->query_ctx, "interval") : NULL;
		const char *lim = req->query ? req->query(req->query_ctx, "limit") : NULL;
		char *end;
		long interval = iv ? strtol(iv, &end, 10) : 1, limit = lim ? strtol(lim, &end, 10) : 10;

		if ((iv && (!*iv || interval < 0 || interval > 10)) ||
		    (lim && (!*lim || limit < 1 || limit > 10000))) {
			fw_api_fail(resp, 400, "interval: 0 to 10 seconds; limit: 1 to 10000",
				    "invalid interval or limit");
			return;
		}
		ret = fw_backend_top(program, interval, limit, &out, &err);
		reply(resp, ret, &err, out, 200);
	} else if (strstr(req->path, "/feeds")) {
		if (!strcmp(req->method, "GET"))
			ret = fw_backend_feeds_list(program, &out, &err);
		else
			ret = fw_backend_feeds_reload(program, &out, &err);
		reply(resp, ret, &err, out, 200);
	} else if (!strcmp(req->method, "GET")) {
		ret = fw_backend_rules_list(program, &out, &err);
		reply(resp, ret, &err, out, 200);
	} else if (!strcmp(req->method, "POST")) {
		ret = fw_backend_rules_add(program, body, &out, &err);
		reply(resp, ret, &err, out, 201);
	} else if (!strcmp(req->method, "PUT")) {
		json_t *rules = json_object_get(body, "rules");

		if (!rules || json_object_size(body) != 1) {
			fw_api_fail(resp, 400, "send {\"rules\": [...]}",
				    "a rule set replacement takes one field, \"rules\"");
			return;
		}
		ret = fw_backend_rules_replace(program, rules, &out, &err);
		reply(resp, ret, &err, out, 200);
	} else {
		ret = fw_backend_rules_delete(program, rule, &err);
		reply(resp, ret, &err, json_pack("{s:s, s:s}", "program", program, "deleted", rule),
		      200);
	}
}
