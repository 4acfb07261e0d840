/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for the daemon behind the API, for the API's unit tests only:
 * it records which call was made with what, and answers with canned JSON or
 * the errno a test sets. Tests of the real daemon are in tests/e2e/.
 */
#ifndef FLYWALL_TESTS_API_FAKE_BACKEND_H
#define FLYWALL_TESTS_API_FAKE_BACKEND_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/routes.h"

static struct {
	char program_dir[256];
	char last_call[32];
	void *last_ctx;                 /* the context the last call got */
	char last_name[128];
	json_t *last_json;              /* entries/keys/addresses passed in */
	struct fw_prog_spec last_spec;
	struct fw_arg last_args[8];
	size_t last_n_args;
	size_t last_offset, last_limit;
	char last_cursor[64];
	bool last_ndjson;
	int batches_open;               /* begun, neither committed nor aborted */
	int batches_aborted;
	int fail;                       /* negative errno the next call returns */
	const char *fail_detail;
	uint64_t events_total;          /* events 0..events_total-1 exist */
	int calls;
	unsigned int delay_ms;          /* each call takes this long */
	const char *odd_counter;        /* an extra counter of that name (escaping) */
} fake;

static void fake_reset(void)
{
	json_decref(fake.last_json);
	fw_prog_spec_release(&fake.last_spec);
	for (size_t i = 0; i < fake.last_n_args; i++)
		if (fake.last_args[i].kind == FW_ARG_STRING)
			free(fake.last_args[i].s);
	memset(&fake, 0, sizeof(fake));
	strcpy(fake.program_dir, "/nonexistent-flywall-dir");
}

static int fake_called(const char *call, const char *name, struct fw_error *err)
{
	fake.calls++;
	if (fake.delay_ms)
		usleep(fake.delay_ms * 1000);
	snprintf(fake.last_call, sizeof(fake.last_call), "%s", call);
	snprintf(fake.last_name, sizeof(fake.last_name), "%s", name ? name : "");
	if (fake.fail) {
		fw_error_set(err, fake.fail, "fake %s failed for '%s'", call, name ? name : "");
		if (fake.fail_detail)
			fw_error_set_detail(err, strdup(fake.fail_detail));
		return fake.fail;
	}
	return 0;
}

static const char *fake_program_dir(void *ctx) { return fake.program_dir; }
static uint32_t fake_default_map_size(void *ctx) { return 1024; }

static json_t *fake_programs(void *ctx)
{
	fake_called("programs", NULL, NULL);
	fake.last_ctx = ctx;
	return json_pack("[{s:s, s:s, s:s}, {s:s, s:s}]", "name", "ddos_filter", "hook", "xdp",
			 "interface", "eth0", "name", "monitor", "hook", "socket_filter");
}

static int fake_program(void *ctx, const char *name, json_t **out, struct fw_error *err)
{
	int ret = fake_called("program", name, err);

	fake.last_ctx = ctx;
	if (!ret)
		*out = json_pack("{s:s}", "name", name);
	return ret;
}

static int fake_program_stats(void *ctx, const char *name, json_t **out, struct fw_error *err)
{
	int ret = fake_called("program_stats", name, err);

	if (!ret)
		/* As the daemon gives them: a map named through BTF (slot 2 has
		 * no name) and one without names. */
		*out = json_pack("{s:s, s:i, s:i, s:i, s:{s:[i, i, i, i], s:[i, i]},"
				 " s:{s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}, n, {s:s}]}}",
				 "name", name, "run_cnt", 10, "run_time_ns", 2000, "avg_ns", 200,
				 "counters", "ddos_counters", 3, 7, 1, 2, "stats", 4, 5,
				 "counter_names", "ddos_counters",
				 "counter", "pass_checked", "verdict", "pass", "reason", "checked",
				 "counter", "drop_blocklisted", "verdict", "drop",
				 "reason", "blocklisted", "counter", "events_sent");
	if (!ret && fake.odd_counter)
		json_object_set_new(json_object_get(*out, "counters"), fake.odd_counter,
				    json_pack("[i]", 1));
	return ret;
}

static int fake_load(void *ctx, struct fw_prog_spec *spec, json_t **out, struct fw_error *err)
{
	int ret = fake_called("load", spec->name, err);

	if (!ret) {
		fw_prog_spec_release(&fake.last_spec);
		fake.last_spec = *spec;
		fake.last_spec.maps = calloc(spec->n_maps + 1, sizeof(*spec->maps));
		if (spec->n_maps)
			memcpy(fake.last_spec.maps, spec->maps, spec->n_maps * sizeof(*spec->maps));
		fake.last_spec.args = calloc(spec->n_args + 1, sizeof(*spec->args));
		if (spec->n_args)
			memcpy(fake.last_spec.args, spec->args, spec->n_args * sizeof(*spec->args));
		for (size_t i = 0; i < spec->n_args; i++)
			if (spec->args[i].kind == FW_ARG_STRING)
				fake.last_spec.args[i].s = strdup(spec->args[i].s);
		*out = json_pack("{s:s}", "name", spec->name);
	}
	return ret;
}

static int fake_update_args(void *ctx, const char *name, const struct fw_arg *args, size_t n,
			    json_t **out, struct fw_error *err)
{
	int ret = fake_called("update_args", name, err);

	if (!ret) {
		for (size_t i = 0; i < n && i < 8; i++) {
			fake.last_args[i] = args[i];
			if (args[i].kind == FW_ARG_STRING)
				fake.last_args[i].s = strdup(args[i].s);
		}
		fake.last_n_args = n;
		*out = json_pack("{s:s}", "name", name);
	}
	return ret;
}

static int fake_unload(void *ctx, const char *name, struct fw_error *err)
{
	return fake_called("unload", name, err);
}

static json_t *fake_maps(void *ctx)
{
	fake_called("maps", NULL, NULL);
	return json_pack("[{s:s, s:s}]", "name", "blocklist", "qualified", "ddos_filter.blocklist");
}

static int fake_map_data(void *ctx, const char *name, const char *cursor, size_t offset,
			 size_t limit, json_t **out, struct fw_error *err)
{
	int ret = fake_called("map_data", name, err);

	snprintf(fake.last_cursor, sizeof(fake.last_cursor), "%s", cursor ? cursor : "");
	fake.last_offset = offset;
	fake.last_limit = limit;
	if (!ret)
		*out = json_pack("{s:[], s:n, s:i}", "entries", "next_offset", "total", 0);
	return ret;
}

static int fake_keep_json(const char *call, const char *name, json_t *j, struct fw_error *err)
{
	int ret = fake_called(call, name, err);

	json_decref(fake.last_json);
	fake.last_json = json_deep_copy(j);
	return ret;
}

static int fake_map_update(void *ctx, const char *name, json_t *entries, struct fw_error *err)
{
	return fake_keep_json("map_update", name, entries, err);
}

static int fake_map_delete(void *ctx, const char *name, json_t *keys, struct fw_error *err)
{
	return fake_keep_json("map_delete", name, keys, err);
}

static int fake_map_stats(void *ctx, const char *name, json_t **out, struct fw_error *err)
{
	int ret = fake_called("map_stats", name, err);

	if (!ret)
		*out = json_pack("{s:s, s:i, s:i, s:f, s:i}", "type", "hash", "max_entries", 100,
				 "entries", 25, "utilization", 0.25, "memory", 8192);
	return ret;
}

static json_t *fake_stats(void *ctx)
{
	fake_called("stats", NULL, NULL);
	return json_pack("{s:i}", "programs", 2);
}

static int fake_blocklist_add(void *ctx, const char *program, json_t *entries, struct fw_error *err)
{
	return fake_keep_json("blocklist_add", program, entries, err);
}

static int fake_blocklist_delete(void *ctx, const char *program, json_t *addresses,
				 struct fw_error *err)
{
	return fake_keep_json("blocklist_delete", program, addresses, err);
}

/* A stream of one fixed text. */
struct fake_stream {
	const char *text;
	size_t off;
};

static ssize_t fake_stream_read(void *self, char *buf, size_t max)
{
	struct fake_stream *st = self;
	size_t n = strlen(st->text + st->off);

	if (n > max)
		n = max;
	memcpy(buf, st->text + st->off, n);
	st->off += n;
	return n;
}

static void fake_stream_close(void *self)
{
	free(self);
}

static int fake_open_stream(const char *call, const char *name, bool ndjson, const char *text,
			    struct fw_api_stream *out, struct fw_error *err)
{
	int ret = fake_called(call, name, err);
	struct fake_stream *st;

	fake.last_ndjson = ndjson;
	if (ret)
		return ret;
	st = calloc(1, sizeof(*st));
	st->text = text;
	*out = (struct fw_api_stream){ fake_stream_read, fake_stream_close, st };
	return 0;
}

static int fake_map_stream(void *ctx, const char *name, bool ndjson, struct fw_api_stream *out,
			   struct fw_error *err)
{
	return fake_open_stream("map_stream", name, ndjson, "{\"entries\": [], \"total\": 0}\n",
				out, err);
}

static int fake_blocklist_page(void *ctx, const char *program, const char *cursor, size_t limit,
			       json_t **out, struct fw_error *err)
{
	int ret = fake_called("blocklist_page", program, err);

	snprintf(fake.last_cursor, sizeof(fake.last_cursor), "%s", cursor ? cursor : "");
	fake.last_limit = limit;
	if (!ret)
		*out = json_pack("{s:[], s:n}", "entries", "next_cursor");
	return ret;
}

static int fake_blocklist_stream(void *ctx, const char *program, bool ndjson,
				 struct fw_api_stream *out, struct fw_error *err)
{
	return fake_open_stream("blocklist_stream", program, ndjson, "{\"entries\": []}\n", out,
				err);
}

/* A batch collects the addresses it is given into fake.last_json. */
static int fake_blocklist_begin(void *ctx, const char *program, bool lines,
				struct fw_blocklist_batch **out, struct fw_error *err)
{
	int ret = fake_keep_json("blocklist_begin", program, NULL, err);

	if (!ret) {
		fake.last_json = json_array();
		fake.batches_open++;
		*out = (struct fw_blocklist_batch *)&fake;
	}
	return ret;
}

static int fake_blocklist_put(void *ctx, struct fw_blocklist_batch *b,
			      const struct fw_blocklist_item *items, size_t n, struct fw_error *err)
{
	for (size_t i = 0; i < n; i++)
		json_array_append_new(fake.last_json,
				      json_pack("{s:s, s:i, s:i}", "address", items[i].address,
						"expires_in", (int)items[i].expires_in, "line",
						(int)items[i].index));
	return 0;
}

static json_t *fake_blocklist_commit(void *ctx, struct fw_blocklist_batch *b)
{
	fake.batches_open--;
	return json_pack("{s:I, s:i}", "added", (json_int_t)json_array_size(fake.last_json),
			 "duplicates", 0);
}

static void fake_blocklist_abort(void *ctx, struct fw_blocklist_batch *b)
{
	fake.batches_open--;
	fake.batches_aborted++;
}

/* A map batch collects its entries into fake.last_json, with their lines. */
static int fake_map_begin(void *ctx, const char *name, struct fw_map_batch **out,
			  struct fw_error *err)
{
	int ret = fake_keep_json("map_begin", name, NULL, err);

	if (!ret) {
		fake.last_json = json_array();
		fake.batches_open++;
		*out = (struct fw_map_batch *)&fake;
	}
	return ret;
}

static int fake_map_put(void *ctx, struct fw_map_batch *b, json_t *const *entries,
			const size_t *lines, size_t n, struct fw_error *err)
{
	for (size_t i = 0; i < n; i++)
		json_array_append_new(fake.last_json, json_pack("{s:O, s:i}", "entry", entries[i],
								"line", (int)lines[i]));
	return 0;
}

static json_t *fake_map_commit(void *ctx, struct fw_map_batch *b)
{
	fake.batches_open--;
	return json_pack("{s:I}", "updated", (json_int_t)json_array_size(fake.last_json));
}

static void fake_map_abort(void *ctx, struct fw_map_batch *b)
{
	fake.batches_open--;
	fake.batches_aborted++;
}

/* Events 0..events_total-1, each {"seq": N, "type": "ddos_drop"}. */
static json_t *fake_events_since(void *ctx, uint64_t since, size_t max, uint64_t *next)
{
	json_t *out = json_array();
	uint64_t seq;

	for (seq = since; seq < fake.events_total && json_array_size(out) < max; seq++)
		json_array_append_new(out, json_pack("{s:I, s:s}", "seq", (json_int_t)seq,
						     "type", "ddos_drop"));
	*next = seq > since ? seq : since;
	return out;
}

/* The rule plane: each call records itself, its program and its context;
 * the JSON it was given (a rule, the rule set) goes into fake.last_json, the
 * interval of top into fake.last_offset and its limit into fake.last_limit. */
static int fake_rule_call(void *ctx, const char *call, const char *program, json_t *j,
			  json_t **out, struct fw_error *err)
{
	int ret = fake_keep_json(call, program, j, err);

	fake.last_ctx = ctx;
	if (!ret && out)
		*out = json_pack("{s:s, s:s}", "program", program, "call", call);
	return ret;
}

static int fake_rules_list(void *ctx, const char *program, json_t **out, struct fw_error *err)
{
	return fake_rule_call(ctx, "rules_list", program, NULL, out, err);
}

static int fake_rules_add(void *ctx, const char *program, json_t *rule, json_t **out,
			  struct fw_error *err)
{
	return fake_rule_call(ctx, "rules_add", program, rule, out, err);
}

static int fake_rules_delete(void *ctx, const char *program, const char *rule,
			     struct fw_error *err)
{
	json_t *name = json_string(rule);
	int ret = fake_rule_call(ctx, "rules_delete", program, name, NULL, err);

	json_decref(name);
	return ret;
}

static int fake_rules_replace(void *ctx, const char *program, json_t *rules, json_t **out,
			      struct fw_error *err)
{
	return fake_rule_call(ctx, "rules_replace", program, rules, out, err);
}

static int fake_feeds_list(void *ctx, const char *program, json_t **out, struct fw_error *err)
{
	return fake_rule_call(ctx, "feeds_list", program, NULL, out, err);
}

static int fake_feeds_reload(void *ctx, const char *program, json_t **out,
			     struct fw_error *err)
{
	return fake_rule_call(ctx, "feeds_reload", program, NULL, out, err);
}

static int fake_top(void *ctx, const char *program, unsigned int interval_s, size_t limit,
		    json_t **out, struct fw_error *err)
{
	fake.last_offset = interval_s;
	fake.last_limit = limit;
	return fake_rule_call(ctx, "top", program, NULL, out, err);
}

static const struct fw_api_backend fake_backend = {
	.ctx = &fake,
	.program_dir = fake_program_dir,
	.default_map_size = fake_default_map_size,
	.programs = fake_programs,
	.program = fake_program,
	.program_stats = fake_program_stats,
	.load = fake_load,
	.update_args = fake_update_args,
	.unload = fake_unload,
	.maps = fake_maps,
	.map_data = fake_map_data,
	.map_stream = fake_map_stream,
	.map_update = fake_map_update,
	.map_begin = fake_map_begin,
	.map_put = fake_map_put,
	.map_commit = fake_map_commit,
	.map_abort = fake_map_abort,
	.map_delete = fake_map_delete,
	.map_stats = fake_map_stats,
	.stats = fake_stats,
	.blocklist_add = fake_blocklist_add,
	.blocklist_delete = fake_blocklist_delete,
	.blocklist_page = fake_blocklist_page,
	.blocklist_stream = fake_blocklist_stream,
	.blocklist_begin = fake_blocklist_begin,
	.blocklist_put = fake_blocklist_put,
	.blocklist_commit = fake_blocklist_commit,
	.blocklist_abort = fake_blocklist_abort,
	.blocklist_default = "ddos_filter",
	.events_since = fake_events_since,
	.rules_list = fake_rules_list,
	.rules_add = fake_rules_add,
	.rules_delete = fake_rules_delete,
	.rules_replace = fake_rules_replace,
	.feeds_list = fake_feeds_list,
	.feeds_reload = fake_feeds_reload,
	.top = fake_top,
};

#define FAKE_TOKEN "0123456789abcdef"

/* ---- calling the router as a client would ------------------------------ */

struct fake_query {
	const char *keys[4];
	const char *values[4];
};

static const char *fake_query_lookup(void *ctx, const char *key)
{
	struct fake_query *q = ctx;

	for (int i = 0; q && i < 4 && q->keys[i]; i++)
		if (!strcmp(q->keys[i], key))
			return q->values[i];
	return NULL;
}

/* Routes one request; auth is "Bearer FAKE_TOKEN" when with_token. */
__attribute__((unused))
static struct fw_api_response call_q(const char *method, const char *path, const char *body,
				     bool with_token, struct fake_query *q)
{
	static const struct fw_api_context ctx = { .backend = &fake_backend,
						   .token = FAKE_TOKEN };
	struct fw_api_request req = {
		.method = method,
		.path = path,
		.authorization = with_token ? "Bearer " FAKE_TOKEN : NULL,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.query = fake_query_lookup,
		.query_ctx = q,
	};
	struct fw_api_response resp;

	fw_api_route(&ctx, &req, &resp);
	return resp;
}

__attribute__((unused))
static struct fw_api_response call(const char *method, const char *path, const char *body,
				   bool with_token)
{
	return call_q(method, path, body, with_token, NULL);
}

__attribute__((unused))
static const char *error_of(const struct fw_api_response *r)
{
	const char *s = json_string_value(json_object_get(r->json, "error"));

	return s ? s : "(no error field)";
}

__attribute__((unused))
static const char *detail_of(const struct fw_api_response *r)
{
	const char *s = json_string_value(json_object_get(r->json, "detail"));

	return s ? s : "(no detail field)";
}

#endif
