// SPDX-License-Identifier: MIT
/*
 * The dashboard's page and assets, and the rates it charts: see ui.h.
 */
#include "api/ui.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the page and its assets ---------------------------------------------- */

static const struct fw_ui_asset *find_asset(const char *name)
{
	for (const struct fw_ui_asset *a = fw_ui_assets; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

static const char *content_type(const char *name)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(*types); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

bool fw_api_ui_public(const char *method, const char *path)
{
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return false;
	if (strcmp(path, "/") == 0)
		return true;
	return strncmp(path, "/ui/", 4) == 0 && !strchr(path + 4, '/') &&
	       find_asset(path + 4) != NULL;
}

void fw_api_ui_asset(const char *name, struct fw_api_response *resp)
{
	const struct fw_ui_asset *a = find_asset(name);

	if (!a) {
		fw_api_fail(resp, 404, "the dashboard is at / (docs/dashboard.md)",
			    "no such dashboard file: %.64s", name);
		return;
	}
	/* The assets are text (resp->text is sent up to its NUL). */
	resp->text = strndup((const char *)a->data, a->len);
	if (!resp->text) {
		fw_api_refuse(resp, -ENOMEM, "", "cannot send %s: out of memory", name);
		return;
	}
	resp->status = 200;
	resp->content_type = content_type(name);
}

/* ---- rates ------------------------------------------------------------------ */

/*
 * What every open dashboard shares (one per API server): the last sample of
 * the counters and its answer, and recent events decoded once for all —
 * each page asks for the same new events every second, and the daemon keeps
 * them as text, so without this each would be parsed once per open page.
 */
#define EVENT_CACHE 1024

struct fw_api_ui {
	pthread_mutex_t lock;
	double at;              /* monotonic seconds of the last sample */
	json_t *answer;         /* what was answered then */
	json_t *samples;        /* {"PROGRAM": its stats then} */
	uint64_t seq[EVENT_CACHE];      /* recent events, kept by sequence number */
	json_t *event[EVENT_CACHE];
};

struct fw_api_ui *fw_api_ui_new(void)
{
	struct fw_api_ui *ui = calloc(1, sizeof(*ui));

	if (ui)
		pthread_mutex_init(&ui->lock, NULL);
	return ui;
}

void fw_api_ui_free(struct fw_api_ui *ui)
{
	if (!ui)
		return;
	json_decref(ui->answer);
	json_decref(ui->samples);
	for (size_t i = 0; i < EVENT_CACHE; i++)
		json_decref(ui->event[i]);
	pthread_mutex_destroy(&ui->lock);
	free(ui);
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* (now - before) / dt, or null when there is no earlier sample or the
 * counter went back (the program was replaced). */
static json_t *per_second(json_t *now, json_t *before, double dt)
{
	json_int_t a = json_integer_value(now), b = json_integer_value(before);

	if (dt <= 0 || !json_is_integer(before) || a < b)
		return json_null();
	return json_real((double)(a - b) / dt);
}

/* One element of "rates": a named slot (or, in a map without names, a slot
 * that counted something), its total and its rate. */
static json_t *slot_rate(const char *map, size_t i, json_t *name, json_t *value,
			 json_t *before, double dt)
{
	json_t *r;
	char label[24];

	if (name) {
		r = json_deep_copy(name);
	} else {
		snprintf(label, sizeof(label), "[%zu]", i);
		r = json_pack("{s:s}", "counter", label);
	}
	json_object_set_new(r, "map", json_string(map));
	json_object_set(r, "total", value);
	json_object_set_new(r, "per_s", per_second(value, before, dt));
	return r;
}

static json_t *program_rates(json_t *stats, json_t *before, double dt)
{
	json_t *counters = json_object_get(stats, "counters"), *values, *v;
	json_t *names = json_object_get(stats, "counter_names");
	json_t *old = json_object_get(before, "counters"), *out = json_array();
	const char *map;
	size_t i;

	json_object_foreach(counters, map, values) {
		json_t *map_names = json_object_get(names, map);

		json_array_foreach(values, i, v) {
			json_t *name = json_array_get(map_names, i);

			if (map_names ? !json_is_object(name) : json_integer_value(v) == 0)
				continue;
			json_array_append_new(out, slot_rate(map, i, name, v,
				json_array_get(json_object_get(old, map), i), dt));
		}
	}
	return out;
}

/* The program's summary with its counters' rates (and its run rate while
 * the kernel's run statistics are on). */
static json_t *program_entry(const struct fw_api_ui *ui, const struct fw_api_backend *be,
			     json_t *summary, json_t *samples, double dt)
{
	const char *name = json_string_value(json_object_get(summary, "name"));
	json_t *entry = json_copy(summary), *stats = NULL, *before, *id_now, *id_before;
	struct fw_error err = { 0 };

	if (!name || be->program_stats(be->ctx, name, &stats, &err) < 0) {
		fw_error_clear(&err);
		json_object_set_new(entry, "counters", json_false());
		json_object_set_new(entry, "rates", json_array());
		return entry;
	}
	before = json_object_get(ui->samples, name);
	id_now = json_object_get(stats, "id");
	id_before = json_object_get(before, "id");
	if ((id_now || id_before) && !json_equal(id_now, id_before))
		before = NULL;  /* replaced since: its counters started again */
	json_object_set_new(entry, "counters",
			    json_boolean(json_object_size(json_object_get(stats, "counters"))));
	json_object_set_new(entry, "rates", program_rates(stats, before, dt));
	json_object_set_new(entry, "runs_per_s",
			    json_is_true(json_object_get(stats, "stats_enabled")) ?
			    per_second(json_object_get(stats, "run_cnt"),
				       json_object_get(before, "run_cnt"), dt) : json_null());
	json_object_set_new(samples, name, stats);
	return entry;
}

static json_t *compute_rates(struct fw_api_ui *ui, const struct fw_api_backend *be, double now)
{
	double dt = ui->samples && now - ui->at <= FW_RATES_MAX_INTERVAL_S ? now - ui->at : 0;
	json_t *programs = be->programs(be->ctx), *list = json_array(), *samples = json_object();
	json_t *summary;
	size_t i;

	json_array_foreach(programs, i, summary)
		json_array_append_new(list, program_entry(ui, be, summary, samples, dt));
	json_decref(programs);
	json_decref(ui->samples);
	ui->samples = samples;
	ui->at = now;
	return json_pack("{s:o, s:o}", "interval_s", dt > 0 ? json_real(dt) : json_null(),
			 "programs", list);
}

static json_t *cached_event(const struct fw_api_ui *ui, uint64_t seq)
{
	unsigned int i = seq % EVENT_CACHE;

	return ui->event[i] && ui->seq[i] == seq ? ui->event[i] : NULL;
}

static void cache_event(struct fw_api_ui *ui, json_t *event)
{
	json_int_t seq = json_integer_value(json_object_get(event, "seq"));
	unsigned int i = (uint64_t)seq % EVENT_CACHE;

	json_decref(ui->event[i]);
	ui->seq[i] = (uint64_t)seq;
	ui->event[i] = json_incref(event);
}

/* Up to max events from *next on, from the cache or else the daemon's log,
 * appended to out; *next moves past them. Returns how many. */
static size_t events_chunk(struct fw_api_ui *ui, const struct fw_api_backend *be,
			   uint64_t *next, size_t max, json_t *out)
{
	json_t *cached, *fetched, *ev;
	size_t n = 0, i;

	for (; n < max && (cached = cached_event(ui, *next)); (*next)++, n++)
		json_array_append(out, cached);
	if (n == max)
		return n;
	fetched = be->events_since(be->ctx, *next, max - n, next);
	json_array_foreach(fetched, i, ev) {
		cache_event(ui, ev);
		json_array_append(out, ev);
	}
	n += json_array_size(fetched);
	json_decref(fetched);
	return n;
}

/*
 * The newest events from since on, at most FW_RATES_EVENTS_MAX: a page that
 * fell behind (a burst of events, a busy browser) skips to what is live
 * rather than trailing further each second. *skipped says how many it
 * passed over; *next is the seq after the last. Called with ui->lock held.
 */
static json_t *events_from(struct fw_api_ui *ui, const struct fw_api_backend *be,
			   uint64_t since, uint64_t *next, uint64_t *skipped)
{
	json_t *all = json_array(), *out;
	size_t n = 0, total;

	*next = since;
	for (int round = 0; round < FW_RATES_EVENTS_ROUNDS; round++) {
		n = events_chunk(ui, be, next, FW_RATES_EVENTS_MAX, all);
		if (n < FW_RATES_EVENTS_MAX)
			break;
	}
	total = json_array_size(all);
	if (total <= FW_RATES_EVENTS_MAX) {
		out = all;
	} else {
		out = json_array();
		for (size_t i = total - FW_RATES_EVENTS_MAX; i < total; i++)
			json_array_append(out, json_array_get(all, i));
		json_decref(all);
	}
	*skipped = 0;
	if (json_array_size(out)) {
		json_int_t first = json_integer_value(json_object_get(json_array_get(out, 0), "seq"));

		if ((uint64_t)first > since)
			*skipped = (uint64_t)first - since;
	}
	return out;
}

void fw_api_rates(struct fw_api_ui *ui, const struct fw_api_backend *be,
		  const char *events_since, struct fw_api_response *resp)
{
	double now = monotonic_s();
	unsigned long long since = 0;
	char *end = NULL;
	json_t *answer;

	if (events_since) {
		errno = 0;
		since = strtoull(events_since, &end, 10);
		if (!*events_since || *end || errno || events_since[0] == '-') {
			fw_api_refuse(resp, -EINVAL, "events_since is a sequence number: 0, or "
				      "the next_seq of the previous answer",
				      "invalid events_since '%.32s'", events_since);
			return;
		}
	}
	if (!ui) {
		fw_api_refuse(resp, -ENOSYS, "", "this server keeps no rates");
		return;
	}
	pthread_mutex_lock(&ui->lock);
	if (!ui->answer || now - ui->at >= FW_RATES_MIN_INTERVAL_S) {
		json_decref(ui->answer);
		ui->answer = compute_rates(ui, be, now);
	}
	answer = events_since ? json_copy(ui->answer) : json_incref(ui->answer);
	if (answer && events_since) {
		uint64_t next, skipped;

		json_object_set_new(answer, "events", events_from(ui, be, since, &next, &skipped));
		json_object_set_new(answer, "next_seq", json_integer((json_int_t)next));
		json_object_set_new(answer, "events_skipped", json_integer((json_int_t)skipped));
	}
	pthread_mutex_unlock(&ui->lock);
	if (!answer) {
		fw_api_refuse(resp, -ENOMEM, "", "cannot compute the rates: out of memory");
		return;
	}
	resp->status = 200;
	resp->json = answer;
}
