// SPDX-License-Identifier: MIT
/* The dashboard's side of the API (src/api/ui.c): its files from the binary,
 * which requests are public, and GET /api/ebpf/rates against the fake backend.
 * The page itself runs in Chromium in e2e/test_dashboard.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "api/ui.h"
#include "api_fake_backend.h"

/* What the dashboards share, fresh for each test. */
static struct fw_api_ui *ui;

static int setup(void **state)
{
	fake_reset();
	ui = fw_api_ui_new();
	return ui ? 0 : -1;
}

static int teardown(void **state)
{
	fw_api_ui_free(ui);
	ui = NULL;
	return 0;
}

static void test_assets_come_from_the_binary(void **state)
{
	struct fw_api_response resp = { 0 };

	fw_api_ui_asset("index.html", &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "text/html; charset=utf-8");
	assert_non_null(strstr(resp.text, "<title>Flywall eBPF</title>"));
	/* No inline script: the CSP allows only 'self'. */
	assert_null(strstr(resp.text, "<script>"));
	fw_api_response_release(&resp);
	fw_api_ui_asset("app.js", &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "text/javascript; charset=utf-8");
	fw_api_response_release(&resp);
	memset(&resp, 0, sizeof(resp));
	fw_api_ui_asset("nope.js", &resp);
	assert_int_equal(resp.status, 404);
	assert_string_equal(json_string_value(json_object_get(resp.json, "error")),
			    "no such dashboard file: nope.js");
	fw_api_response_release(&resp);
}

static void test_only_the_page_is_public(void **state)
{
	assert_true(fw_api_ui_public("GET", "/"));
	assert_true(fw_api_ui_public("GET", "/ui/app.js"));
	assert_true(fw_api_ui_public("GET", "/ui/app.css"));
	assert_false(fw_api_ui_public("GET", "/ui/nope.js"));
	assert_false(fw_api_ui_public("GET", "/ui/"));
	assert_false(fw_api_ui_public("GET", "/ui/x/app.js"));
	assert_false(fw_api_ui_public("POST", "/"));
	assert_false(fw_api_ui_public("GET", "/api/ebpf/rates"));
	assert_false(fw_api_ui_public("GET", "/metrics"));
}

static json_t *rates(const char *since, unsigned int status)
{
	struct fw_api_response resp = { 0 };
	json_t *out;

	fw_api_rates(ui, &fake_backend, since, &resp);
	assert_int_equal(resp.status, status);
	out = json_incref(resp.json);
	fw_api_response_release(&resp);
	return out;
}

static json_t *rate_of(json_t *r, const char *program, const char *counter)
{
	json_t *p, *item;
	size_t i, j;

	json_array_foreach(json_object_get(r, "programs"), i, p)
		if (!strcmp(json_string_value(json_object_get(p, "name")), program))
			json_array_foreach(json_object_get(p, "rates"), j, item)
				if (!strcmp(json_string_value(json_object_get(item, "counter")), counter))
					return item;
	return NULL;
}

static void test_rates_from_two_samples(void **state)
{
	json_t *r = rates(NULL, 200), *item;

	/* The first sample has totals, no rate yet. */
	assert_true(json_is_null(json_object_get(r, "interval_s")));
	item = rate_of(r, "ddos_filter", "drop_blocklisted");
	assert_non_null(item);
	assert_string_equal(json_string_value(json_object_get(item, "verdict")), "drop");
	assert_string_equal(json_string_value(json_object_get(item, "reason")), "blocklisted");
	assert_int_equal(json_integer_value(json_object_get(item, "total")), 7);
	assert_true(json_is_null(json_object_get(item, "per_s")));
	/* Named slots only (slot 2 has no name); a map without names by slot. */
	assert_null(rate_of(r, "ddos_filter", "[2]"));
	assert_non_null(rate_of(r, "ddos_filter", "events_sent"));
	assert_non_null(rate_of(r, "monitor", "[1]"));
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(r, "programs"), 0),
						 "counters")));
	json_decref(r);
	/* Within 0.9 s every client gets the same sample: no new stats call. */
	fake.calls = 0;
	json_decref(rates(NULL, 200));
	assert_int_equal(fake.calls, 0);
	sleep(1);
	r = rates(NULL, 200);
	assert_true(json_real_value(json_object_get(r, "interval_s")) >= 0.9);
	item = rate_of(r, "ddos_filter", "drop_blocklisted");
	assert_true(json_is_real(json_object_get(item, "per_s")));
	assert_true(json_real_value(json_object_get(item, "per_s")) == 0.0);
	json_decref(r);
}

static void test_rates_bring_the_newest_events(void **state)
{
	json_t *r;

	fake.events_total = 1200;
	r = rates("0", 200);
	assert_int_equal(json_array_size(json_object_get(r, "events")), FW_RATES_EVENTS_MAX);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
		json_object_get(r, "events"), 0), "seq")), 700);
	assert_int_equal(json_integer_value(json_object_get(r, "events_skipped")), 700);
	assert_int_equal(json_integer_value(json_object_get(r, "next_seq")), 1200);
	json_decref(r);
	r = rates("1195", 200);
	assert_int_equal(json_array_size(json_object_get(r, "events")), 5);
	assert_int_equal(json_integer_value(json_object_get(r, "events_skipped")), 0);
	json_decref(r);
	r = rates("1200", 200);
	assert_int_equal(json_array_size(json_object_get(r, "events")), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "next_seq")), 1200);
	json_decref(r);
}

/* A program whose stats cannot be read, or that has no counter map, says so. */
static void test_rates_say_when_there_are_no_counters(void **state)
{
	json_t *r, *p;
	size_t i;

	sleep(1);       /* past the shared sample of the test before */
	fake.fail = -ENOENT;
	r = rates(NULL, 200);
	assert_int_equal(json_array_size(json_object_get(r, "programs")), 2);
	json_array_foreach(json_object_get(r, "programs"), i, p) {
		assert_true(json_is_false(json_object_get(p, "counters")));
		assert_int_equal(json_array_size(json_object_get(p, "rates")), 0);
	}
	json_decref(r);
}

static void test_rates_refuse_a_bad_seq(void **state)
{
	static const char *const bad[] = { "", "abc", "-1", "12x", "99999999999999999999999" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		json_t *r = rates(bad[i], 400);
		char want[64];

		snprintf(want, sizeof(want), "invalid events_since '%s'", bad[i]);
		assert_string_equal(json_string_value(json_object_get(r, "error")), want);
		json_decref(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_assets_come_from_the_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_the_page_is_public, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rates_from_two_samples, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rates_bring_the_newest_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rates_say_when_there_are_no_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rates_refuse_a_bad_seq, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
