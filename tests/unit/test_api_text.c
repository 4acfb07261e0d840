// SPDX-License-Identifier: MIT
/* What the API writes that is not plain JSON: SSE frames, the Prometheus
 * exposition, and the errno → status table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <microhttpd.h>

#include "api/http_error.h"
#include "api/sse.h"
#include "api_fake_backend.h"

static int setup(void **state) { fake_reset(); return 0; }

static void test_sse_frame(void **state)
{
	json_t *ev = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)7, "type", "ddos_drop",
			       "note", "line1\nline2");
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(fw_sse_append_event(&buf, &len, ev, 99), 0);
	assert_string_equal(buf, "id: 7\ndata: {\"note\":\"line1\\nline2\",\"seq\":7,"
			    "\"type\":\"ddos_drop\"}\n\n");
	assert_int_equal(len, strlen(buf));
	json_decref(ev);
	ev = json_pack("{s:s}", "type", "x");
	assert_int_equal(fw_sse_append_event(&buf, &len, ev, 99), 0);
	assert_non_null(strstr(buf, "\n\nid: 99\ndata: {\"type\":\"x\"}\n\n"));
	json_decref(ev);
	free(buf);
}

static char *read_all(struct fw_sse_stream *s, size_t chunk)
{
	char *out = calloc(1, 8192);
	size_t len = 0;
	ssize_t n;

	/* Reads until the stream has nothing more without waiting: the fake has
	 * a fixed number of events, and the stop flag ends the stream. */
	while ((n = fw_sse_stream_read(s, len, out + len, chunk)) > 0)
		len += n;
	assert_int_equal(n, MHD_CONTENT_READER_END_OF_STREAM);
	return out;
}

static void test_sse_stream_follows_events_then_stops(void **state)
{
	bool stopping = false;
	struct fw_sse_stream *s;
	char buf[4096];
	ssize_t n;

	fake.events_total = 3;
	s = fw_sse_stream_new(&fake_backend, 1, &stopping, NULL);
	n = fw_sse_stream_read(s, 0, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	assert_string_equal(buf, "retry: 2000\n: flywall events from seq 1\n\n");
	n = fw_sse_stream_read(s, 0, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	assert_string_equal(buf, "id: 1\ndata: {\"seq\":1,\"type\":\"ddos_drop\"}\n\n"
			    "id: 2\ndata: {\"seq\":2,\"type\":\"ddos_drop\"}\n\n");
	fake.events_total = 4;
	n = fw_sse_stream_read(s, 0, buf, 5);   /* a small buffer gets it in pieces */
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "id: 3", 5);
	stopping = true;
	char *rest = read_all(s, 7);
	assert_string_equal(rest, "\ndata: {\"seq\":3,\"type\":\"ddos_drop\"}\n\n");
	free(rest);
	fw_sse_stream_free(s);
}

static void test_metrics_text(void **state)
{
	char *text = fw_api_metrics_text(&fake_backend);

	assert_non_null(text);
	static const char *const lines[] = {
		"# TYPE flywall_up gauge\nflywall_up 1\n",
		"flywall_programs 2\n",
		"flywall_maps 1\n",
		"# TYPE flywall_program_runs_total counter\n"
		"flywall_program_runs_total{program=\"ddos_filter\"} 10\n"
		"flywall_program_runs_total{program=\"monitor\"} 10\n",
		"flywall_program_run_seconds_total{program=\"ddos_filter\"} 2e-06\n",
		"# TYPE flywall_program_packets_total counter\n"
		"flywall_program_packets_total{program=\"ddos_filter\",map=\"ddos_counters\","
		"verdict=\"pass\",reason=\"checked\"} 3\n"
		"flywall_program_packets_total{program=\"ddos_filter\",map=\"ddos_counters\","
		"verdict=\"drop\",reason=\"blocklisted\"} 7\n",
		"flywall_program_counts_total{program=\"ddos_filter\",map=\"ddos_counters\","
		"counter=\"events_sent\"} 2\n",
		"flywall_program_counts_total{program=\"monitor\",map=\"stats\",slot=\"0\"} 4\n",
		"flywall_program_counts_total{program=\"monitor\",map=\"stats\",slot=\"1\"} 5\n",
		"flywall_map_entries{map=\"ddos_filter.blocklist\"} 25\n",
		"flywall_map_max_entries{map=\"ddos_filter.blocklist\"} 100\n",
		"flywall_map_utilization_ratio{map=\"ddos_filter.blocklist\"} 0.25\n",
		"flywall_map_memory_bytes{map=\"ddos_filter.blocklist\"} 8192\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++)
		if (!strstr(text, lines[i]))
			fail_msg("metrics lack:\n%s\nin:\n%s", lines[i], text);
	/* One TYPE line per family, however many samples. */
	char *first = strstr(text, "# TYPE flywall_program_counts_total");
	assert_non_null(first);
	assert_null(strstr(first + 1, "# TYPE flywall_program_counts_total"));
	/* A slot the enum does not name is left out; no sample says index. */
	assert_null(strstr(text, "verdict=\"\""));
	assert_null(strstr(text, "} 1\n"));
	assert_null(strstr(text, "index="));
	free(text);
}

/* Label values escape backslash, double quote and newline (the text format). */
static void test_metrics_label_escaping(void **state)
{
	char *text;

	fake.odd_counter = "a\\b\"c\nd";
	text = fw_api_metrics_text(&fake_backend);
	if (!strstr(text, "flywall_program_counts_total{program=\"monitor\",map=\"a\\\\b\\\"c\\nd\","
			  "slot=\"0\"} 1\n"))
		fail_msg("escaped label missing in:\n%s", text);
	free(text);
}

static void test_metrics_with_failing_stats(void **state)
{
	char *text;

	fake.fail = -ENOENT;    /* program/map gone between list and stats */
	text = fw_api_metrics_text(&fake_backend);
	assert_non_null(strstr(text, "flywall_programs 2\n"));
	assert_null(strstr(text, "flywall_program_runs_total"));
	free(text);
}

static void test_error_table(void **state)
{
	struct fw_error err = { 0 };
	json_t *body;

	assert_int_equal(fw_http_status_from_errno(-ENOENT), 404);
	assert_int_equal(fw_http_status_from_errno(-ENOTUNIQ), 409);
	assert_int_equal(fw_http_status_from_errno(-EBADMSG), 422);
	assert_int_equal(fw_http_status_from_errno(-EOPNOTSUPP), 422);
	assert_int_equal(fw_http_status_from_errno(-E2BIG), 413);
	assert_int_equal(fw_http_status_from_errno(-EBUSY), 500);
	assert_string_equal(fw_http_reason(422), "Unprocessable Entity");
	fw_error_set(&err, ENOENT, "no program named 'x'");
	body = fw_http_error_from(&err, 404);
	assert_string_equal(json_string_value(json_object_get(body, "error")),
			    "no program named 'x'");
	assert_non_null(strstr(json_string_value(json_object_get(body, "detail")),
			       "GET /api/ebpf/programs"));
	assert_int_equal(json_object_size(body), 2);
	json_decref(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sse_frame, setup, setup),
		cmocka_unit_test_setup_teardown(test_sse_stream_follows_events_then_stops, setup, setup),
		cmocka_unit_test_setup_teardown(test_metrics_text, setup, setup),
		cmocka_unit_test_setup_teardown(test_metrics_with_failing_stats, setup, setup),
		cmocka_unit_test_setup_teardown(test_metrics_label_escaping, setup, setup),
		cmocka_unit_test(test_error_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
