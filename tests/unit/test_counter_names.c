// SPDX-License-Identifier: MIT
/* How an enumerator of enum flywall_counters__MAP becomes the labels of a
 * counter (src/ebpf/counter_names.h). The BTF side runs against the kernel in
 * e2e/test_dashboard.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "ebpf/counter_names.h"

static void expect(const char *enumerator, bool ok, const char *counter, const char *verdict,
		   const char *reason)
{
	char c[FW_COUNTER_LABEL_MAX], v[FW_COUNTER_LABEL_MAX], r[FW_COUNTER_LABEL_MAX];

	assert_int_equal(fw_counter_name_parse(enumerator, c, v, r), ok);
	if (!ok)
		return;
	assert_string_equal(c, counter);
	assert_string_equal(v, verdict);
	assert_string_equal(r, reason);
}

static void test_verdict_and_reason(void **state)
{
	expect("ddos_counters__drop__blocklisted", true, "drop_blocklisted", "drop", "blocklisted");
	expect("counters__pass__new_flow", true, "pass_new_flow", "pass", "new_flow");
	/* Upper case, as C constants are often written, is lowered. */
	expect("MY__DROP__RATE_LIMITED", true, "drop_rate_limited", "drop", "rate_limited");
}

static void test_plain_counter(void **state)
{
	expect("ddos_counters__events_sent", true, "events_sent", "", "");
	/* No prefix at all: the whole name. */
	expect("packets", true, "packets", "", "");
	/* A verdict with no reason is a plain name. */
	expect("x__drop__", true, "drop__", "", "");
}

static void test_nothing_after_the_prefix(void **state)
{
	expect("x__", false, NULL, NULL, NULL);
}

static void test_long_names_are_cut(void **state)
{
	char c[FW_COUNTER_LABEL_MAX], v[FW_COUNTER_LABEL_MAX], r[FW_COUNTER_LABEL_MAX];
	char name[300] = "m__";

	memset(name + 3, 'a', 200);
	name[203] = '\0';
	assert_true(fw_counter_name_parse(name, c, v, r));
	assert_int_equal(strlen(c), FW_COUNTER_LABEL_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_and_reason),
		cmocka_unit_test(test_plain_counter),
		cmocka_unit_test(test_nothing_after_the_prefix),
		cmocka_unit_test(test_long_names_are_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
