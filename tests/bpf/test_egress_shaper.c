// SPDX-License-Identifier: MIT
/*
 * egress_shaper under BPF_PROG_TEST_RUN: in htb mode every packet leaves
 * with skb->priority set to the class; in police mode the token bucket
 * passes the burst, then drops. Verdicts, priority and counters checked.
 * (The rate itself is measured end to end in tests/e2e/test_shaper.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpf/bpf_test.h"
#include "flywall/shaper.h"

#define TC_ACT_UNSPEC (-1) /* pass: the next program on the hook decides */
#define TC_ACT_SHOT 2

static struct bpf_object *obj;
static int prog;

static int setup(void **state)
{
	obj = bpf_test_load("egress_shaper");
	if (!obj)
		return -1;
	prog = bpf_test_prog_fd(obj, "egress_shaper");
	return prog < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	bpf_object__close(obj);
	return 0;
}

static uint64_t counter(enum fw_shaper_counter c)
{
	return bpf_test_counter(obj, "shaper_counters", c);
}

static void set_global(const char *name, uint64_t v, size_t size)
{
	uint32_t v32 = v;

	assert_int_equal(bpf_test_set_global(obj, name, size == 4 ? (void *)&v32 : (void *)&v,
					     size), 0);
}

/* A 1000-byte UDP frame. */
static size_t frame(uint8_t *buf)
{
	struct frame_spec s = { .family = 4, .src = "10.0.0.1", .dst = "10.0.0.2",
				.proto = IPPROTO_UDP, .sport = 1, .dport = 2,
				.payload = 1000 - 14 - 20 - 8 };

	return build_frame(&s, buf);
}

static void test_htb_mode_steers_into_class(void **state)
{
	uint8_t buf[FRAME_MAX];
	size_t len = frame(buf);
	struct __sk_buff ctx = { .priority = 7 };
	uint64_t pkts = counter(FW_SHAPER_STEERED_PKTS);
	uint64_t bytes = counter(FW_SHAPER_STEERED_BYTES);

	assert_int_equal(len, 1000);
	assert_int_equal(bpf_test_run_tc(prog, buf, len, &ctx), TC_ACT_UNSPEC);
	assert_int_equal(ctx.priority, FW_SHAPER_CLASSID);
	assert_int_equal(counter(FW_SHAPER_STEERED_PKTS), pkts + 1);
	assert_int_equal(counter(FW_SHAPER_STEERED_BYTES), bytes + len);
}

static void test_htb_mode_other_classid(void **state)
{
	uint8_t buf[FRAME_MAX];
	size_t len = frame(buf);
	struct __sk_buff ctx = { 0 };

	set_global("classid", 0x00010005, 4);
	assert_int_equal(bpf_test_run_tc(prog, buf, len, &ctx), TC_ACT_UNSPEC);
	assert_int_equal(ctx.priority, 0x00010005);
	set_global("classid", FW_SHAPER_CLASSID, 4);
}

/* 8000 bit/s = 1000 bytes/s with a 3000-byte burst: 1000-byte packets sent
 * back to back pass 4 times (the bucket allows 3 s of credit ahead), then
 * are dropped, counted with their bytes. */
static void test_police_mode_drops_over_rate(void **state)
{
	uint8_t buf[FRAME_MAX];
	size_t len = frame(buf);
	uint64_t pass = counter(FW_SHAPER_POLICE_PASS_PKTS);
	uint64_t drop = counter(FW_SHAPER_POLICE_DROP_PKTS);
	uint64_t drop_bytes = counter(FW_SHAPER_POLICE_DROP_BYTES);
	int verdicts[10];

	set_global("mode", FW_SHAPER_MODE_POLICE, 4);
	set_global("rate_bps", 8000, 8);
	set_global("burst_bytes", 3000, 8);
	for (int i = 0; i < 10; i++)
		verdicts[i] = bpf_test_run_tc(prog, buf, len, NULL);
	for (int i = 0; i < 10; i++)
		assert_int_equal(verdicts[i], i < 4 ? TC_ACT_UNSPEC : TC_ACT_SHOT);
	assert_int_equal(counter(FW_SHAPER_POLICE_PASS_PKTS), pass + 4);
	assert_int_equal(counter(FW_SHAPER_POLICE_DROP_PKTS), drop + 6);
	assert_int_equal(counter(FW_SHAPER_POLICE_DROP_BYTES), drop_bytes + 6 * len);
}

static void test_police_mode_without_rate_passes(void **state)
{
	uint8_t buf[FRAME_MAX];
	size_t len = frame(buf);
	uint64_t unshaped = counter(FW_SHAPER_UNSHAPED_PKTS);

	set_global("mode", FW_SHAPER_MODE_POLICE, 4);
	set_global("rate_bps", 0, 8);
	assert_int_equal(bpf_test_run_tc(prog, buf, len, NULL), TC_ACT_UNSPEC);
	assert_int_equal(counter(FW_SHAPER_UNSHAPED_PKTS), unshaped + 1);
	set_global("mode", FW_SHAPER_MODE_HTB, 4);
}

static void test_btf_loads_into_the_kernel(void **state)
{
	assert_true(bpf_test_btf_loaded(obj));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_btf_loads_into_the_kernel),
		cmocka_unit_test(test_htb_mode_steers_into_class),
		cmocka_unit_test(test_htb_mode_other_classid),
		cmocka_unit_test(test_police_mode_drops_over_rate),
		cmocka_unit_test(test_police_mode_without_rate_passes),
	};

	return cmocka_run_group_tests_name("egress_shaper", tests, setup, teardown);
}
