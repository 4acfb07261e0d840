// SPDX-License-Identifier: MIT
/*
 * The parts of src/ebpf/shaping.c that need no kernel: the burst the HTB
 * class gets, and the args egress_shaper is given for each mode. (The qdisc
 * and the rate it holds are tested end to end in tests/e2e/test_shaper.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "ebpf/shaping.h"
#include "flywall/shaper.h"

static void test_burst_from_config_in_bytes(void **state)
{
	/* the spec's block: burst = "100mbit" = 12.5 MB */
	struct fw_shaping s = { .set = true, .rate_bps = 1000000000, .burst_bits = 100000000 };

	assert_int_equal(fw_shaping_burst_bytes(&s), 12500000);
}

static void test_burst_defaults_to_10ms_of_rate(void **state)
{
	struct fw_shaping s = { .set = true, .rate_bps = 1000000000 };

	assert_int_equal(fw_shaping_burst_bytes(&s), 1250000);
}

static void test_burst_at_least_two_gso_packets(void **state)
{
	struct fw_shaping tiny = { .set = true, .rate_bps = 1000000, .burst_bits = 8000 };
	struct fw_shaping unset = { .set = true, .rate_bps = 1000000 };

	assert_int_equal(fw_shaping_burst_bytes(&tiny), 131072);
	assert_int_equal(fw_shaping_burst_bytes(&unset), 131072);
}

static void test_burst_capped_at_1gib(void **state)
{
	struct fw_shaping s = { .set = true, .rate_bps = 1000000000,
				.burst_bits = 80ull * 1024 * 1024 * 1024 };

	assert_int_equal(fw_shaping_burst_bytes(&s), 1ull << 30);
}

static const struct fw_arg *arg(const struct fw_arg *args, const char *name)
{
	for (int i = 0; i < FW_SHAPING_N_ARGS; i++)
		if (strcmp(args[i].name, name) == 0)
			return &args[i];
	fail_msg("no arg %s", name);
	return NULL;
}

static void test_program_args_per_mode(void **state)
{
	struct fw_shaping s = { .set = true, .rate_bps = 100000000, .burst_bits = 10000000 };
	struct fw_arg args[FW_SHAPING_N_ARGS];

	fw_shaping_program_args(&s, FW_SHAPING_MODE_HTB, args);
	assert_int_equal(arg(args, "mode")->i, FW_SHAPER_MODE_HTB);
	assert_int_equal(arg(args, "classid")->i, FW_SHAPER_CLASSID);
	assert_int_equal(arg(args, "rate_bps")->i, 100000000);
	assert_int_equal(arg(args, "burst_bytes")->i, 1250000);
	assert_int_equal(arg(args, "mode")->kind, FW_ARG_INT);

	fw_shaping_program_args(&s, FW_SHAPING_MODE_POLICE, args);
	assert_int_equal(arg(args, "mode")->i, FW_SHAPER_MODE_POLICE);
}

static void test_apply_refuses_a_rate_below_8bit(void **state)
{
	struct fw_shaping s = { .set = true, .rate_bps = 1 };
	struct fw_error err = { 0 };
	char mode[16] = "";

	/* ifindex 1 is lo in any namespace */
	assert_int_equal(fw_shaping_apply(1, &s, mode, sizeof(mode), &err), -EINVAL);
	assert_string_equal(err.msg, "shaping on lo: rate must be at least 8bit, got 1 bit/s");
	assert_string_equal(mode, "");
	assert_int_equal(fw_shaping_apply(1, &s, mode, sizeof(mode), NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_from_config_in_bytes),
		cmocka_unit_test(test_burst_defaults_to_10ms_of_rate),
		cmocka_unit_test(test_burst_at_least_two_gso_packets),
		cmocka_unit_test(test_burst_capped_at_1gib),
		cmocka_unit_test(test_program_args_per_mode),
		cmocka_unit_test(test_apply_refuses_a_rate_below_8bit),
	};

	return cmocka_run_group_tests_name("shaping", tests, NULL, NULL);
}
