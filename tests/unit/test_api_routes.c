// SPDX-License-Identifier: MIT
/* The API's routing, auth, input checks and error mapping, against a fake
 * backend: what status and error text a client gets, and whether the daemon
 * was called at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "api_fake_backend.h"

static int setup(void **state) { fake_reset(); return 0; }
static int teardown(void **state) { fake_reset(); return 0; }

#define assert_status(resp, want) do { \
	if ((resp).status != (want)) \
		fail_msg("status %u, want %u: %s / %s", (resp).status, (want), \
			 error_of(&(resp)), detail_of(&(resp))); \
} while (0)

/* A refused request must not reach the daemon. */
static void assert_refused(const char *method, const char *path, const char *body,
			   bool token, unsigned int status, const char *error_part)
{
	struct fw_api_response r = call(method, path, body, token);

	assert_status(r, status);
	if (!strstr(error_of(&r), error_part))
		fail_msg("%s %s: error '%s' lacks '%s'", method, path, error_of(&r), error_part);
	assert_int_equal(fake.calls, 0);
	fw_api_response_release(&r);
}

static void test_read_endpoints_reach_their_call(void **state)
{
	static const struct { const char *path, *call, *name; } cases[] = {
		{ "/api/ebpf/programs", "programs", "" },
		{ "/api/ebpf/programs/ddos_filter", "program", "ddos_filter" },
		{ "/api/ebpf/programs/ddos_filter/stats", "program_stats", "ddos_filter" },
		{ "/api/ebpf/programs/load", "program", "load" },
		{ "/api/ebpf/maps", "maps", "" },
		{ "/api/ebpf/maps/blocklist/data", "map_data", "blocklist" },
		{ "/api/ebpf/maps/ddos_filter.blocklist/data", "map_data", "ddos_filter.blocklist" },
		{ "/api/ebpf/maps/counters/stats", "map_stats", "counters" },
		{ "/api/ebpf/stats", "stats", "" },
		{ "/api/ebpf/blocklist", "blocklist_stream", "ddos_filter" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct fw_api_response r = call("GET", cases[i].path, NULL, false);

		assert_status(r, 200);
		assert_string_equal(fake.last_call, cases[i].call);
		assert_string_equal(fake.last_name, cases[i].name);
		assert_true(r.json || r.stream.read);   /* listings stream */
		fw_api_response_release(&r);
	}
}

/* The backend's calls get the context it was registered with. */
static void test_calls_get_the_registered_context(void **state)
{
	struct fw_api_response r = call("GET", "/api/ebpf/programs", NULL, false);

	assert_status(r, 200);
	assert_ptr_equal(fake.last_ctx, fake_backend.ctx);
	fw_api_response_release(&r);
	r = call("GET", "/api/ebpf/programs/ddos_filter", NULL, false);
	assert_status(r, 200);
	assert_ptr_equal(fake.last_ctx, &fake);
	fw_api_response_release(&r);
}

static void test_unknown_paths_and_methods(void **state)
{
	struct fw_api_response r;

	assert_refused("GET", "/api/ebpf/nothing", NULL, false, 404, "no such endpoint");
	assert_refused("GET", "/api/ebpf/programs/", NULL, false, 404, "no such endpoint");
	assert_refused("GET", "//api/ebpf/programs", NULL, false, 404, "no such endpoint");
	assert_refused("GET", "/api/ebpf/programs/a/b/c", NULL, false, 404, "no such endpoint");
	assert_refused("GET", "/api/ebpf/programs/..", NULL, false, 400, "invalid name");
	assert_refused("GET", "/api/ebpf/programs/a%20b", NULL, false, 400, "invalid name");
	assert_refused("GET", "/api/ebpf/programs/.hidden", NULL, false, 400, "invalid name");
	/* Quoted input that is not UTF-8 still gives a JSON error body. */
	assert_refused("GET", "/api/ebpf/prog" "\xb9" "ams", NULL, false, 404,
		       "no such endpoint: /api/ebpf/prog?ams");
	assert_refused("GET", "/api/ebpf/programs/caf" "\xc3", NULL, false, 400,
		       "invalid name 'caf?'");

	r = call("PATCH", "/api/ebpf/programs/ddos_filter", "{}", true);
	assert_status(r, 405);
	assert_string_equal(r.allow, "GET, PUT, DELETE");
	assert_int_equal(fake.calls, 0);
	fw_api_response_release(&r);
	r = call("POST", "/api/ebpf/stats", NULL, true);
	assert_status(r, 405);
	assert_string_equal(r.allow, "GET");
	fw_api_response_release(&r);
}

static void test_mutations_need_the_token(void **state)
{
	static const char *const mutations[][3] = {
		{ "POST", "/api/ebpf/programs/load", "{\"name\":\"x\",\"program\":\"x.o\"}" },
		{ "PUT", "/api/ebpf/programs/ddos_filter", "{\"args\":{\"max_pps\":1}}" },
		{ "DELETE", "/api/ebpf/programs/ddos_filter", NULL },
		{ "PUT", "/api/ebpf/maps/blocklist/data", "{\"entries\":[{\"key\":1,\"value\":2}]}" },
		{ "POST", "/api/ebpf/maps/blocklist/data", "{\"entries\":[{\"key\":1,\"value\":2}]}" },
		{ "DELETE", "/api/ebpf/maps/blocklist/data", "{\"keys\":[1]}" },
		{ "POST", "/api/ebpf/blocklist", "{\"addresses\":[\"192.0.2.1\"]}" },
		{ "DELETE", "/api/ebpf/blocklist", "{\"addresses\":[\"192.0.2.1\"]}" },
	};
	static const struct fw_api_context ctx = { .backend = &fake_backend, .token = FAKE_TOKEN };

	for (size_t i = 0; i < sizeof(mutations) / sizeof(*mutations); i++) {
		const char *const *m = mutations[i];
		static const char *const wrong[] = { "Bearer 0123456789abcdeX", "Bearer 0123",
						     "Bearer " FAKE_TOKEN "0" };
		struct fw_api_response r = call(m[0], m[1], m[2], false);

		assert_status(r, 401);
		assert_true(r.auth_challenge);
		assert_string_equal(error_of(&r),
				    "this request changes state and needs the API token");
		fw_api_response_release(&r);
		for (size_t w = 0; w < 3; w++) {
			struct fw_api_request req = { .method = m[0], .path = m[1],
				.authorization = wrong[w], .body = m[2],
				.body_len = m[2] ? strlen(m[2]) : 0 };

			fw_api_route(&ctx, &req, &r);
			assert_status(r, 403);
			assert_string_equal(error_of(&r), "wrong API token");
			fw_api_response_release(&r);
		}
		assert_int_equal(fake.calls, 0);
	}
}

static void test_bodies_must_be_json_objects(void **state)
{
	const char *path = "/api/ebpf/programs/ddos_filter";

	assert_refused("PUT", path, NULL, true, 400, "request body is empty");
	assert_refused("PUT", path, "{\"args\": ", true, 400, "request body is not valid JSON");
	assert_refused("PUT", path, "[1, 2]", true, 400, "request body must be a JSON object");
	assert_refused("PUT", path, "{\"args\": {\"a\": 1}, \"args\": {\"a\": 2}}", true, 400,
		       "request body is not valid JSON");
}

static void test_update_args(void **state)
{
	const char *path = "/api/ebpf/programs/ddos_filter";
	struct fw_api_response r;

	r = call("PUT", path, "{\"args\": {\"max_pps\": 2000000, \"on\": true, "
		 "\"ratio\": 0.5, \"label\": \"x\"}}", true);
	assert_status(r, 200);
	assert_string_equal(fake.last_call, "update_args");
	assert_int_equal(fake.last_n_args, 4);
	assert_string_equal(fake.last_args[0].name, "max_pps");
	assert_int_equal(fake.last_args[0].kind, FW_ARG_INT);
	assert_int_equal(fake.last_args[0].i, 2000000);
	assert_int_equal(fake.last_args[1].kind, FW_ARG_BOOL);
	assert_int_equal(fake.last_args[2].kind, FW_ARG_FLOAT);
	assert_int_equal(fake.last_args[3].kind, FW_ARG_STRING);
	assert_string_equal(fake.last_args[3].s, "x");
	fw_api_response_release(&r);
	fake_reset();

	assert_refused("PUT", path, "{}", true, 400, "invalid update request");
	assert_refused("PUT", path, "{\"args\": {}}", true, 400, "args must be a non-empty object");
	assert_refused("PUT", path, "{\"args\": [1]}", true, 400, "args must be a non-empty object");
	assert_refused("PUT", path, "{\"args\": {\"max_pps\": [1]}}", true, 400,
		       "args.max_pps: unsupported value");
	assert_refused("PUT", path, "{\"args\": {\"max_pps\": null}}", true, 400,
		       "args.max_pps: unsupported value");
	assert_refused("PUT", path, "{\"args\": {\"bad-name\": 1}}", true, 400, "args: arg name");
	assert_refused("PUT", path, "{\"args\": {\"a\": 1}, \"extra\": 1}", true, 400,
		       "invalid update request");
}

static void test_backend_errors_become_statuses(void **state)
{
	static const struct { int err; unsigned int status; } cases[] = {
		{ -EINVAL, 400 }, { -EPERM, 403 }, { -EACCES, 403 }, { -ENOENT, 404 },
		{ -EEXIST, 409 }, { -ENOTUNIQ, 409 }, { -E2BIG, 413 }, { -EBADMSG, 422 },
		{ -EOPNOTSUPP, 422 }, { -EIO, 500 }, { -ENOMEM, 500 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct fw_api_response r;

		fake.fail = cases[i].err;
		r = call("GET", "/api/ebpf/programs/nope", NULL, false);
		assert_status(r, cases[i].status);
		assert_string_equal(error_of(&r), "fake program failed for 'nope'");
		fw_api_response_release(&r);
	}
}

static void test_verifier_log_is_the_detail(void **state)
{
	struct fw_api_response r;

	fake.fail = -EBADMSG;
	fake.fail_detail = "0: R1 invalid mem access 'scalar'\n";
	r = call("PUT", "/api/ebpf/programs/ddos_filter", "{\"args\": {\"a\": 1}}", true);
	assert_status(r, 422);
	assert_string_equal(detail_of(&r), "0: R1 invalid mem access 'scalar'\n");
	fw_api_response_release(&r);
}

static void test_unload(void **state)
{
	struct fw_api_response r = call("DELETE", "/api/ebpf/programs/ddos_filter", NULL, true);

	assert_status(r, 200);
	assert_string_equal(fake.last_call, "unload");
	assert_true(json_is_true(json_object_get(r.json, "unloaded")));
	fw_api_response_release(&r);
}

static void test_map_data_paging(void **state)
{
	struct fake_query q = { { "offset", "limit" }, { "20", "5" } };
	struct fw_api_response r = call_q("GET", "/api/ebpf/maps/blocklist/data", NULL, false, &q);

	assert_status(r, 200);
	assert_int_equal(fake.last_offset, 20);
	assert_int_equal(fake.last_limit, 5);
	fw_api_response_release(&r);
	r = call("GET", "/api/ebpf/maps/blocklist/data", NULL, false);
	assert_int_equal(fake.last_offset, 0);
	assert_int_equal(fake.last_limit, FW_API_PAGE_DEFAULT);
	fw_api_response_release(&r);

	static const char *const bad[][2] = {
		{ "offset", "-1" }, { "offset", "abc" }, { "offset", "1x" }, { "offset", "" },
		{ "limit", "0" }, { "limit", "10001" }, { "limit", " 5" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct fake_query b = { { bad[i][0] }, { bad[i][1] } };

		fake_reset();
		r = call_q("GET", "/api/ebpf/maps/blocklist/data", NULL, false, &b);
		assert_status(r, 400);
		assert_non_null(strstr(error_of(&r), bad[i][0]));
		assert_int_equal(fake.calls, 0);
		fw_api_response_release(&r);
	}
}

static void test_map_data_writes(void **state)
{
	const char *path = "/api/ebpf/maps/blocklist/data";
	struct fw_api_response r;

	r = call("PUT", path, "{\"entries\": [{\"key\": \"10.0.0.1\", \"value\": 1}]}", true);
	assert_status(r, 200);
	assert_string_equal(fake.last_call, "map_update");
	assert_int_equal(json_array_size(fake.last_json), 1);
	assert_int_equal(json_integer_value(json_object_get(r.json, "updated")), 1);
	fw_api_response_release(&r);
	r = call("DELETE", path, "{\"keys\": [\"10.0.0.1\", \"10.0.0.2\"]}", true);
	assert_status(r, 200);
	assert_string_equal(fake.last_call, "map_delete");
	assert_int_equal(json_array_size(fake.last_json), 2);
	fw_api_response_release(&r);
	fake_reset();

	assert_refused("PUT", path, "{\"entries\": []}", true, 400,
		       "'entries' must be a non-empty array");
	assert_refused("PUT", path, "{\"entries\": {}}", true, 400,
		       "'entries' must be a non-empty array");
	assert_refused("PUT", path, "{\"entries\": [{\"key\": 1}]}", true, 400, "entries[0]:");
	assert_refused("PUT", path, "{\"entries\": [{\"key\": 1, \"value\": 1, \"x\": 1}]}",
		       true, 400, "entries[0]:");
	assert_refused("DELETE", path, "{\"keys\": 5}", true, 400, "'keys' must be a non-empty");
}

static void test_bulk_limit(void **state)
{
	size_t n = FW_API_BULK_MAX + 1;
	char *body = malloc(n * 4 + 32), *p = body;

	p += sprintf(p, "{\"keys\": [");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s1", i ? "," : "");
	strcpy(p, "]}");
	assert_refused("DELETE", "/api/ebpf/maps/blocklist/data", body, true, 413,
		       "too many keys: 10001");
	free(body);
}

static void test_blocklist_add_forms(void **state)
{
	struct fw_api_response r;
	json_t *want;

	r = call("POST", "/api/ebpf/blocklist",
		 "{\"addresses\": [\"10.77.0.2\", \"2001:db8::/32\", \"192.0.2.0/24\"], "
		 "\"expires_in\": 60}", true);
	assert_status(r, 200);
	assert_string_equal(fake.last_call, "blocklist_add");
	assert_string_equal(fake.last_name, "ddos_filter");
	want = json_pack("[{s:s, s:i}, {s:s, s:i}, {s:s, s:i}]", "address", "10.77.0.2",
			 "expires_in", 60, "address", "2001:db8::/32", "expires_in", 60,
			 "address", "192.0.2.0/24", "expires_in", 60);
	assert_true(json_equal(want, fake.last_json));
	json_decref(want);
	assert_int_equal(json_integer_value(json_object_get(r.json, "added")), 3);
	fw_api_response_release(&r);

	struct fake_query q = { { "program" }, { "edge_filter" } };
	r = call_q("POST", "/api/ebpf/blocklist",
		   "{\"entries\": [{\"address\": \"10.0.0.0/8\"}, "
		   "{\"address\": \"::1\", \"expires_in\": 5}]}", true, &q);
	assert_status(r, 200);
	assert_string_equal(fake.last_name, "edge_filter");
	want = json_pack("[{s:s}, {s:s, s:i}]", "address", "10.0.0.0/8", "address", "::1",
			 "expires_in", 5);
	assert_true(json_equal(want, fake.last_json));
	json_decref(want);
	fw_api_response_release(&r);
}

static void test_blocklist_refuses_bad_input(void **state)
{
	static const struct { const char *body, *error; } cases[] = {
		{ "{\"addresses\": [\"10.0.0.256\"]}", "addresses[0]: invalid address or CIDR '10.0.0.256'" },
		{ "{\"addresses\": [\"10.0.0.0/33\"]}", "invalid address or CIDR '10.0.0.0/33'" },
		{ "{\"addresses\": [\"10.0.0.1/8\"]}", "invalid address or CIDR '10.0.0.1/8'" },
		{ "{\"addresses\": [\"10.0.0.0/\"]}", "invalid address or CIDR" },
		{ "{\"addresses\": [\"10.0.0.0/-1\"]}", "invalid address or CIDR" },
		{ "{\"addresses\": [\"::1/129\"]}", "invalid address or CIDR '::1/129'" },
		{ "{\"addresses\": [\"2001:db8::1/32\"]}", "invalid address or CIDR" },
		{ "{\"addresses\": [\"example.com\"]}", "invalid address or CIDR" },
		{ "{\"addresses\": [\"\"]}", "invalid address or CIDR" },
		{ "{\"addresses\": [\"1.2.3.4\", 7]}", "addresses[1]: not a string" },
		{ "{\"addresses\": []}", "'addresses' must be a non-empty array" },
		{ "{\"addresses\": [\"1.2.3.4\"], \"expires_in\": 0}", "expires_in: invalid expires_in" },
		{ "{\"addresses\": [\"1.2.3.4\"], \"expires_in\": -5}", "invalid expires_in" },
		{ "{\"addresses\": [\"1.2.3.4\"], \"expires_in\": \"60\"}", "invalid expires_in" },
		{ "{\"entries\": [{\"address\": \"1.2.3.4\", \"expires_in\": 1.5}]}", "entries[0]: invalid expires_in" },
		{ "{\"entries\": [{\"addr\": \"1.2.3.4\"}]}", "entries[0]:" },
		{ "{\"addresses\": [\"1.2.3.4\"], \"entries\": []}", "invalid blocklist request" },
		{ "{}", "invalid blocklist request" },
		{ "{\"address\": \"1.2.3.4\"}", "invalid blocklist request" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_refused("POST", "/api/ebpf/blocklist", cases[i].body, true, 400,
			       cases[i].error);
	assert_refused("DELETE", "/api/ebpf/blocklist", "{\"addresses\": [\"300.1.1.1\"]}", true,
		       400, "addresses[0]: invalid address or CIDR");
	assert_refused("DELETE", "/api/ebpf/blocklist", "{\"addresses\": [\"1.1.1.1\"], "
		       "\"expires_in\": 5}", true, 400, "invalid blocklist delete");
}

static void test_blocklist_program_name_checked(void **state)
{
	struct fake_query q = { { "program" }, { "../x" } };
	struct fw_api_response r = call_q("GET", "/api/ebpf/blocklist", NULL, false, &q);

	assert_status(r, 400);
	assert_string_equal(error_of(&r), "invalid program name '../x'");
	assert_int_equal(fake.calls, 0);
	fw_api_response_release(&r);
}

static void test_events_since(void **state)
{
	struct fake_query q = { { "since" }, { "42" } };
	struct fw_api_response r = call_q("GET", "/api/ebpf/events", NULL, false, &q);

	assert_status(r, 200);
	assert_true(r.sse);
	assert_int_equal(r.sse_since, 42);
	fw_api_response_release(&r);

	struct fake_query bad = { { "since" }, { "x" } };
	r = call_q("GET", "/api/ebpf/events", NULL, false, &bad);
	assert_status(r, 400);
	assert_false(r.sse);
	fw_api_response_release(&r);
}

static void test_events_resume_after_last_event_id(void **state)
{
	static const struct fw_api_context ctx = { .backend = &fake_backend, .token = FAKE_TOKEN };
	struct fw_api_request req = { .method = "GET", .path = "/api/ebpf/events",
				      .last_event_id = "9" };
	struct fw_api_response r;

	fw_api_route(&ctx, &req, &r);
	assert_true(r.sse);
	assert_int_equal(r.sse_since, 10);
	fw_api_response_release(&r);
}

static void test_backend_missing_is_501(void **state)
{
	struct fw_api_backend partial = fake_backend;
	struct fw_api_context ctx = { .backend = &partial, .token = FAKE_TOKEN };
	struct fw_api_request req = { .method = "GET", .path = "/api/ebpf/programs" };
	struct fw_api_response r;

	partial.events_since = NULL;
	fw_api_route(&ctx, &req, &r);
	assert_status(r, 501);
	assert_int_equal(fake.calls, 0);
	fw_api_response_release(&r);
}

/* The rule plane's endpoints reach their backend calls, with the program
 * from the path and the context the backend was registered with. */
static void test_rule_plane_reaches_its_calls(void **state)
{
	static const struct { const char *method, *path, *body, *call; unsigned int status; }
	cases[] = {
		{ "GET", "/api/ebpf/programs/edge/rules", NULL, "rules_list", 200 },
		{ "POST", "/api/ebpf/programs/edge/rules",
		  "{\"name\": \"no-telnet\", \"action\": \"drop\"}", "rules_add", 201 },
		{ "PUT", "/api/ebpf/programs/edge/rules", "{\"rules\": []}", "rules_replace", 200 },
		{ "DELETE", "/api/ebpf/programs/edge/rules/no-telnet", NULL, "rules_delete", 200 },
		{ "GET", "/api/ebpf/programs/edge/feeds", NULL, "feeds_list", 200 },
		{ "POST", "/api/ebpf/programs/edge/feeds/reload", NULL, "feeds_reload", 200 },
		{ "GET", "/api/ebpf/programs/edge/top", NULL, "top", 200 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct fw_api_response r = call(cases[i].method, cases[i].path, cases[i].body, true);

		assert_status(r, cases[i].status);
		assert_string_equal(fake.last_call, cases[i].call);
		assert_string_equal(fake.last_name, "edge");
		assert_ptr_equal(fake.last_ctx, &fake);
		if (!strcmp(cases[i].call, "rules_add"))
			assert_string_equal(json_string_value(json_object_get(fake.last_json,
									      "name")),
					    "no-telnet");
		if (!strcmp(cases[i].call, "rules_delete"))
			assert_string_equal(json_string_value(fake.last_json), "no-telnet");
		fw_api_response_release(&r);
	}
	/* top's defaults: counts over 1 s, the first 10. */
	assert_int_equal(fake.last_offset, 1);
	assert_int_equal(fake.last_limit, 10);
}

static void test_rule_plane_refusals(void **state)
{
	struct fake_query bad_interval = { { "interval" }, { "11" } };
	struct fake_query bad_limit = { { "limit" }, { "0" } };
	struct fake_query trailing = { { "interval" }, { "2x" } };
	struct fake_query ok = { { "interval", "limit" }, { "0", "3" } };
	struct fw_api_backend partial = fake_backend;
	struct fw_api_context ctx = { .backend = &partial, .token = FAKE_TOKEN };
	struct fw_api_request req = { .method = "GET", .path = "/api/ebpf/programs/edge/rules" };
	struct fw_api_response r;

	r = call_q("GET", "/api/ebpf/programs/edge/top", NULL, false, &bad_interval);
	assert_status(r, 400);
	assert_string_equal(error_of(&r), "invalid interval or limit");
	fw_api_response_release(&r);
	r = call_q("GET", "/api/ebpf/programs/edge/top", NULL, false, &bad_limit);
	assert_status(r, 400);
	fw_api_response_release(&r);
	r = call_q("GET", "/api/ebpf/programs/edge/top", NULL, false, &trailing);
	assert_status(r, 400);
	fw_api_response_release(&r);
	assert_int_equal(fake.calls, 0);
	r = call_q("GET", "/api/ebpf/programs/edge/top", NULL, false, &ok);
	assert_status(r, 200);
	assert_int_equal(fake.last_offset, 0);
	assert_int_equal(fake.last_limit, 3);
	fw_api_response_release(&r);
	fake_reset();

	assert_refused("PUT", "/api/ebpf/programs/edge/rules", "{\"rules\": [], \"x\": 1}",
		       true, 400, "a rule set replacement takes one field");
	assert_refused("POST", "/api/ebpf/programs/edge/rules", "{}", false, 401, "");

	/* A backend error keeps its kind: no such rule is 404. */
	fake.fail = -ENOENT;
	r = call("DELETE", "/api/ebpf/programs/edge/rules/none", NULL, true);
	assert_status(r, 404);
	assert_string_equal(error_of(&r), "fake rules_delete failed for 'edge'");
	fw_api_response_release(&r);
	fake_reset();

	/* A backend without the rule plane: 501, nothing called. */
	partial.top = NULL;
	fw_api_route(&ctx, &req, &r);
	assert_status(r, 501);
	assert_int_equal(fake.calls, 0);
	fw_api_response_release(&r);
}

/* What the fuzz target (tests/fuzz/fuzz_api_route.c) does, deterministic:
 * every truncation and 2000 byte flips of valid bodies always get a status
 * and a body, never a crash (ASan/UBSan watch). */
static void test_mangled_bodies(void **state)
{
	static const char *const cases[][3] = {
		{ "POST", "/api/ebpf/programs/load", "{\"name\": \"x\", \"program\": \"a.o\", "
		  "\"hook\": \"tc\", \"interface\": \"eth0\", \"direction\": \"egress\", "
		  "\"shaping\": {\"rate\": \"1gbit\"}, \"maps\": {\"m\": {\"size\": 4}}, "
		  "\"args\": {\"a\": 1}}" },
		{ "PUT", "/api/ebpf/programs/ddos_filter", "{\"args\": {\"max_pps\": 2000000}}" },
		{ "POST", "/api/ebpf/blocklist", "{\"entries\": [{\"address\": \"10.0.0.0/8\", "
		  "\"expires_in\": 5}, {\"address\": \"2001:db8::/32\"}]}" },
		{ "PUT", "/api/ebpf/maps/m/data", "{\"entries\": [{\"key\": 1, \"value\": [1, 2]}]}" },
	};
	static const struct fw_api_context ctx = { .backend = &fake_backend, .token = FAKE_TOKEN };
	unsigned int seed = 1;

	for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
		size_t len = strlen(cases[c][2]);
		char *buf = malloc(len + 1);

		for (size_t cut = 0; cut <= len + 2000; cut++) {
			struct fw_api_request req = { .method = cases[c][0], .path = cases[c][1],
				.authorization = "Bearer " FAKE_TOKEN, .body = buf,
				.body_len = cut <= len ? cut : len };
			struct fw_api_response r;

			memcpy(buf, cases[c][2], len + 1);
			if (cut > len)  /* past the truncations: flip one byte */
				buf[rand_r(&seed) % len] = (char)rand_r(&seed);
			fw_api_route(&ctx, &req, &r);
			assert_true(r.status >= 200 && r.status <= 599);
			assert_non_null(r.json);
			fw_api_response_release(&r);
			fake_reset();
		}
		free(buf);
	}
}

/* ---- streamed uploads and cursors ------------------------------------------ */

/* Uploads body in pieces of `piece` bytes; returns the answer. */
static struct fw_api_response upload_to(const char *method, const char *path,
					const char *type, const char *body, size_t piece,
					bool with_token, struct fake_query *q, bool *streamed)
{
	static const struct fw_api_context ctx = { .backend = &fake_backend,
						   .token = FAKE_TOKEN };
	struct fw_api_request req = {
		.method = method,
		.path = path,
		.authorization = with_token ? "Bearer " FAKE_TOKEN : NULL,
		.query = fake_query_lookup,
		.query_ctx = q,
	};
	struct fw_api_response resp = { 0 };
	struct fw_api_upload *up = NULL;

	*streamed = fw_api_upload_begin(&ctx, &req, type, &up, &resp);
	if (!up)
		return resp;
	for (size_t off = 0; off < strlen(body); off += piece) {
		size_t n = strlen(body) - off < piece ? strlen(body) - off : piece;

		fw_api_upload_feed(up, body + off, n);
	}
	fw_api_upload_end(up, &resp);
	return resp;
}

static struct fw_api_response upload(const char *type, const char *body, size_t piece,
				     bool with_token, struct fake_query *q, bool *streamed)
{
	return upload_to("POST", "/api/ebpf/blocklist", type, body, piece, with_token, q,
			 streamed);
}

static void test_upload_map_entries(void **state)
{
	static const char body[] = "{\"key\": 1, \"value\": 2}\n\n{\"key\": 3, \"values\": [4, 5]}\n";
	bool streamed;
	struct fw_api_response r = upload_to("PUT", "/api/ebpf/maps/ddos_filter.blocklist/data",
					     "application/x-ndjson", body, 3, true, NULL, &streamed);

	assert_true(streamed);
	assert_status(r, 200);
	assert_string_equal(fake.last_call, "map_begin");
	assert_string_equal(fake.last_name, "ddos_filter.blocklist");
	assert_int_equal(json_array_size(fake.last_json), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(fake.last_json, 1),
							    "line")), 3);
	fw_api_response_release(&r);

	fake_reset();
	r = upload_to("POST", "/api/ebpf/maps/blocklist/data", "application/x-ndjson",
		      "{\"key\": 1, \"value\": 2}\n[1]\n", 5, true, NULL, &streamed);
	assert_status(r, 400);
	assert_string_equal(error_of(&r), "line 2: not a JSON object: '[1]'");
	assert_int_equal(fake.batches_open, 0);
	fw_api_response_release(&r);

	fake_reset();
	r = upload_to("PUT", "/api/ebpf/maps/blocklist/data", "application/x-ndjson", "{}\n", 5,
		      false, NULL, &streamed);
	assert_status(r, 401);
	fw_api_response_release(&r);
	/* JSON bodies still go to the router whole. */
	r = upload_to("PUT", "/api/ebpf/maps/blocklist/data", "application/json", "{}", 5,
		      true, NULL, &streamed);
	assert_false(streamed);
	fw_api_response_release(&r);
}

static void test_upload_plain_text(void **state)
{
	/* Spamhaus- and FireHOL-style lines, CRLF, a line split across pieces. */
	static const char body[] = "; Spamhaus DROP\r\n# comment\n\n192.0.2.1\r\n"
				   "198.51.100.0/24 ; SBL123\n  2001:db8::/32  \n203.0.113.7";
	struct fake_query q = { { "expires_in" }, { "60" } };
	bool streamed;
	struct fw_api_response r = upload("text/plain; charset=utf-8", body, 5, true, &q,
					  &streamed);
	json_t *items = fake.last_json;

	assert_true(streamed);
	assert_status(r, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "received")), 4);
	assert_int_equal(json_array_size(items), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "address")),
			    "192.0.2.1");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "line")), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "address")),
			    "198.51.100.0/24");
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 3), "address")),
			    "203.0.113.7");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 3), "expires_in")), 60);
	assert_int_equal(fake.batches_open, 0);
	assert_int_equal(fake.batches_aborted, 0);
	fw_api_response_release(&r);
}

static void test_upload_ndjson(void **state)
{
	static const char body[] = "\"192.0.2.1\"\n{\"address\": \"192.0.2.2\", \"expires_in\": 5}\n";
	bool streamed;
	struct fw_api_response r = upload("application/x-ndjson", body, 7, true, NULL, &streamed);

	assert_status(r, 200);
	assert_int_equal(json_array_size(fake.last_json), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(fake.last_json, 1),
							    "expires_in")), 5);
	fw_api_response_release(&r);
}

static void test_upload_refusals(void **state)
{
	static const struct { const char *type, *body, *expires; bool token; unsigned int status;
			      const char *error; } cases[] = {
		{ "text/plain", "192.0.2.1\n192.0.2.2\nexample.com\n", NULL, true, 400,
		  "line 3: invalid address or CIDR 'example.com'" },
		{ "text/plain", "10.0.0.1/8\n", NULL, true, 400,
		  "line 1: invalid address or CIDR '10.0.0.1/8'" },
		{ "application/x-ndjson", "{\"address\": \"192.0.2.1\", \"x\": 1}\n", NULL, true, 400,
		  "line 1: not an address entry" },
		{ "text/plain", "# only a comment\n", NULL, true, 400, "the body holds no addresses" },
		{ "text/plain", "192.0.2.1\n", "0", true, 400, "invalid expires_in '0'" },
		{ "text/plain", "192.0.2.1\n", NULL, false, 401, "needs the API token" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct fake_query q = { { "expires_in" }, { cases[i].expires } };
		bool streamed;
		struct fw_api_response r;

		fake_reset();
		r = upload(cases[i].type, cases[i].body, 4, cases[i].token,
			   cases[i].expires ? &q : NULL, &streamed);
		assert_true(streamed);
		assert_status(r, cases[i].status);
		assert_non_null(strstr(error_of(&r), cases[i].error));
		assert_int_equal(fake.batches_open, 0);  /* begun ones were aborted */
		fw_api_response_release(&r);
	}
}

static void test_upload_only_for_bulk_forms(void **state)
{
	bool streamed;
	struct fw_api_response r = upload("application/json", "{}", 2, true, NULL, &streamed);

	assert_false(streamed);
	fw_api_response_release(&r);
}

static void test_cursor_and_streamed_listings(void **state)
{
	struct fake_query q = { { "cursor", "limit" }, { "b00000010", "50" } };
	struct fake_query all = { { "all", "format" }, { "true", "ndjson" } };
	struct fake_query both = { { "cursor", "offset" }, { "b0", "10" } };
	struct fake_query bad = { { "all", "format" }, { "true", "xml" } };
	struct fake_query page = { { "limit" }, { "20" } };
	struct fw_api_response r = call_q("GET", "/api/ebpf/maps/blocklist/data", NULL, false, &q);

	assert_status(r, 200);
	assert_string_equal(fake.last_cursor, "b00000010");
	assert_int_equal(fake.last_limit, 50);
	fw_api_response_release(&r);
	r = call_q("GET", "/api/ebpf/maps/blocklist/data", NULL, false, &all);
	assert_status(r, 200);
	assert_string_equal(fake.last_call, "map_stream");
	assert_true(fake.last_ndjson);
	assert_non_null(r.stream.read);
	assert_string_equal(r.content_type, "application/x-ndjson");
	fw_api_response_release(&r);
	r = call_q("GET", "/api/ebpf/maps/blocklist/data", NULL, false, &both);
	assert_status(r, 400);
	assert_string_equal(error_of(&r), "give cursor or offset, not both");
	fw_api_response_release(&r);
	r = call_q("GET", "/api/ebpf/blocklist", NULL, false, &bad);
	assert_status(r, 400);
	assert_string_equal(error_of(&r), "invalid format 'xml'");
	fw_api_response_release(&r);
	r = call_q("GET", "/api/ebpf/blocklist", NULL, false, &page);
	assert_status(r, 200);
	assert_string_equal(fake.last_call, "blocklist_page");
	assert_int_equal(fake.last_limit, 20);
	fw_api_response_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_endpoints_reach_their_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calls_get_the_registered_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_paths_and_methods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutations_need_the_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bodies_must_be_json_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_errors_become_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verifier_log_is_the_detail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_data_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_plain_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_ndjson, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_map_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_only_for_bulk_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_and_streamed_listings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_data_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocklist_add_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocklist_refuses_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocklist_program_name_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_since, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_resume_after_last_event_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_missing_is_501, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_plane_reaches_its_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_plane_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mangled_bodies, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
