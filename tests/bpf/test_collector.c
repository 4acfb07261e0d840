// SPDX-License-Identifier: MIT
/*
 * The collector with real maps: events come from socket_monitor run under
 * BPF_PROG_TEST_RUN (its ring buffer) and arrive through poll, drain, the
 * epoll fd, or the last drain of a remove; sources are checked when added.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "flywall/ddos.h"

#include "bpf/bpf_test.h"
#include "ebpf/collector.h"

static struct bpf_object *obj;
static int prog, ring_fd;
static struct fw_collector *c;
static int delivered;
static char last_source[64];

static void on_event(const char *source, json_t *event, void *ctx)
{
	delivered++;
	snprintf(last_source, sizeof(last_source), "%s", source);
	assert_string_equal(json_string_value(json_object_get(event, "program")), source);
}

static int setup(void **state)
{
	obj = bpf_test_load("socket_monitor");
	if (!obj)
		return -1;
	prog = bpf_test_prog_fd(obj, "socket_monitor");
	ring_fd = bpf_test_map_fd(obj, "monitor_events");
	return prog < 0 || ring_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	bpf_object__close(obj);
	return 0;
}

static int fresh(void **state)
{
	struct fw_error err = {};

	delivered = 0;
	last_source[0] = '\0';
	return fw_collector_new(on_event, NULL, &c, &err);
}

static int done(void **state)
{
	fw_collector_free(c);
	c = NULL;
	return 0;
}

/* One DNS query through the program: one event in the ring. */
static void produce_event(void)
{
	static const uint8_t query[] = {
		0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'x', 0, 0, 1, 0, 1,
	};
	struct frame_spec s = { .family = 4, .proto = IPPROTO_UDP, .sport = 1053, .dport = 53,
				.src = "192.0.2.1", .dst = "192.0.2.2", .payload = sizeof(query) };
	uint8_t frame[FRAME_MAX];
	size_t len = build_frame(&s, frame);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .repeat = 1);

	memcpy(frame + len - sizeof(query), query, sizeof(query));
	assert_int_equal(bpf_prog_test_run_opts(prog, &opts), 0);
}

static void test_poll_and_fd(void **state)
{
	struct fw_collector_stats st;
	struct fw_error err = {};
	struct pollfd pfd;
	int n = 0;

	assert_int_equal(fw_collector_add(c, "monitor", ring_fd, -1, &err), 0);
	assert_int_equal(fw_collector_poll(c, 0), 0);
	produce_event();
	produce_event();
	/* the fd an outer event loop waits on turns readable */
	pfd = (struct pollfd){ .fd = fw_collector_fd(c), .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 1000), 1);
	for (int i = 0; i < 100 && n < 2; i++)
		n += fw_collector_poll(c, 10);
	assert_int_equal(n, 2);
	assert_int_equal(delivered, 2);
	assert_string_equal(last_source, "monitor");
	assert_int_equal(fw_collector_stats(c, "monitor", &st), 0);
	assert_int_equal(st.events, 2);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.raw, 0);
	assert_int_equal(fw_collector_stats(c, "other", &st), -ENOENT);
}

/* Removing a source delivers what it still holds first. */
static void test_remove_drains(void **state)
{
	struct fw_error err = {};

	assert_int_equal(fw_collector_add(c, "monitor", ring_fd, -1, &err), 0);
	produce_event();
	assert_int_equal(fw_collector_remove(c, "monitor"), 0);
	assert_int_equal(delivered, 1);
	assert_int_equal(fw_collector_remove(c, "monitor"), -ENOENT);
	/* gone: a new event waits in the ring for whoever adds it next */
	produce_event();
	assert_int_equal(fw_collector_drain(c), 0);
	assert_int_equal(fw_collector_add(c, "again", ring_fd, -1, &err), 0);
	assert_int_equal(fw_collector_drain(c), 1);
	assert_string_equal(last_source, "again");
}

static void test_rejects_bad_sources(void **state)
{
	int array_fd = bpf_test_map_fd(obj, "stats");
	struct fw_error err = {};

	assert_int_equal(fw_collector_add(c, "stats", array_fd, -1, &err), -EINVAL);
	assert_string_equal(err.msg, "event source stats: map stats is neither a ringbuf nor a "
				     "perf_event_array map");
	assert_int_equal(fw_collector_add(c, "m", ring_fd, array_fd, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is not a stack_trace map"));
	assert_int_equal(fw_collector_add(c, "m", -1, -1, &err), -EBADF);
	assert_int_equal(fw_collector_add(c, "monitor", ring_fd, -1, &err), 0);
	assert_int_equal(fw_collector_add(c, "monitor", ring_fd, -1, &err), -EEXIST);
	assert_string_equal(err.msg, "event source monitor is already collected");
}

/* ---- the collector's rate ------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ddos_filter writing one drop summary per drop, as many as asked. */
static void produce_summaries(int ddos_prog, uint32_t n)
{
	struct frame_spec s = { .family = 4, .proto = IPPROTO_UDP, .sport = 1, .dport = 2,
				.src = "198.51.100.99", .dst = "192.0.2.2", .payload = 18 };
	uint8_t frame[FRAME_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = build_frame(&s, frame), .repeat = n);

	assert_int_equal(bpf_prog_test_run_opts(ddos_prog, &opts), 0);
	assert_int_equal(opts.retval, XDP_DROP);
}

/* Loads ddos_filter writing a summary per drop, its source blocklisted, and
 * collects its ring. */
static struct bpf_object *summary_source(int *prog_out)
{
	struct bpf_object *ddos = bpf_test_load("ddos_filter");
	struct fw_list_entry never = { 0 };
	struct fw_error err = {};
	struct fw_addr addr;
	uint32_t u32;

	assert_non_null(ddos);
	*prog_out = bpf_test_prog_fd(ddos, "ddos_filter");
	u32 = 0;
	assert_int_equal(bpf_test_set_global(ddos, "summary_interval_ms", &u32, sizeof(u32)), 0);
	u32 = 10000000;
	assert_int_equal(bpf_test_set_global(ddos, "event_budget", &u32, sizeof(u32)), 0);
	addr_key("198.51.100.99", addr.addr);
	assert_int_equal(bpf_map_update_elem(bpf_test_map_fd(ddos, "blocklist"), &addr, &never, 0),
			 0);
	assert_int_equal(fw_collector_add(c, "ddos_filter", bpf_test_map_fd(ddos, "ddos_events"), -1,
					  &err), 0);
	return ddos;
}

/* A few events, written without waking the reader (the ring is far from
 * an eighth full), arrive when the poll times out. */
static void test_unannounced_events_read_on_timeout(void **state)
{
	int ddos_prog;
	struct bpf_object *ddos = summary_source(&ddos_prog);
	struct pollfd ready = { .fd = fw_collector_fd(c), .events = POLLIN };

	produce_summaries(ddos_prog, 11);       /* 10 summaries: the 11th stays open */
	assert_int_equal(poll(&ready, 1, 0), 0);        /* no wakeup */
	assert_int_equal(fw_collector_poll(c, 50), 10);
	assert_int_equal(delivered, 10);
	fw_collector_remove(c, "ddos_filter");
	bpf_object__close(ddos);
}

/*
 * 16,000 events within one second: the collector decodes
 * FW_COLLECTOR_MAX_PER_SECOND of them, leaves the rest in the ring (one
 * record, read as the rate ran out, is counted as dropped) and delivers them
 * in the next second.
 */
static void test_rate_bounded_per_second(void **state)
{
	struct fw_collector_stats st;
	int ddos_prog, produced = 0;
	struct bpf_object *ddos = summary_source(&ddos_prog);

	/* start early in a second, so that the whole burst falls in it */
	usleep((useconds_t)((1000000000ull - now_ns() % 1000000000ull) / 1000 + 10000));
	while (produced < 16000) {
		produce_summaries(ddos_prog, 2000); /* the ring (256 KiB) holds 4,096 */
		produced += 2000;
		assert_true(fw_collector_poll(c, 0) >= 0);
	}
	assert_true(now_ns() % 1000000000ull < 900000000ull);   /* still that second */
	assert_int_equal(delivered, FW_COLLECTOR_MAX_PER_SECOND);
	assert_int_equal(fw_collector_stats(c, "ddos_filter", &st), 0);
	assert_int_equal(st.events, FW_COLLECTOR_MAX_PER_SECOND);
	assert_true(st.dropped >= 1);
	/* the next second, what the ring kept comes through */
	usleep(1100 * 1000);
	assert_true(fw_collector_poll(c, 0) > 0);
	assert_true(delivered > FW_COLLECTOR_MAX_PER_SECOND);
	fw_collector_remove(c, "ddos_filter");
	bpf_object__close(ddos);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_poll_and_fd, fresh, done),
		cmocka_unit_test_setup_teardown(test_remove_drains, fresh, done),
		cmocka_unit_test_setup_teardown(test_rejects_bad_sources, fresh, done),
		cmocka_unit_test_setup_teardown(test_unannounced_events_read_on_timeout, fresh, done),
		cmocka_unit_test_setup_teardown(test_rate_bounded_per_second, fresh, done),
	};

	return cmocka_run_group_tests_name("collector", tests, setup, teardown);
}
