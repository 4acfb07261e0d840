// SPDX-License-Identifier: MIT
/*
 * The table of hook operations (src/ebpf/hook_ops.h) is complete: every hook
 * of enum fw_hook has ops with a name and every operation a block needs; the
 * name tables sized by an enum have a name for every value (a missing entry
 * would read as NULL); what the layers ask of the table (fields, program
 * types, attach kinds, targets from section names, words) answers as the
 * configuration reference says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "config/ebpf_config.h"
#include "ebpf/features.h"
#include "ebpf/hook_ops.h"
#include "ebpf/pins.h"

static void test_every_hook_has_ops(void **state)
{
	for (int h = 0; h < FW_HOOK__COUNT; h++) {
		const struct fw_hook_ops *ops = fw_hook_ops_of(h);

		assert_non_null(ops);
		assert_non_null(ops->name);
		assert_true(ops->name[0]);
		assert_string_equal(fw_hook_name(h), ops->name);
		assert_int_not_equal(ops->prog_types[0], BPF_PROG_TYPE_UNSPEC);
		assert_non_null(ops->attach);
		assert_non_null(ops->can_replace);
		assert_non_null(ops->replace);
		assert_non_null(ops->detach);
		assert_non_null(ops->describe);
		assert_non_null(ops->kinds[0].name);
		/* a hook requires only fields it takes */
		assert_int_equal(ops->requires & ~ops->takes, 0);
		assert_int_equal(ops->takes & ~FW_FIELD__ALL, 0);
		/* section helpers come in pairs only where sections name targets */
		assert_true(!ops->target_from_section || ops->section_matches);
		/* probes are optional (a hook may have no probe yet) */
		assert_true(ops->n_probes <= FW_HOOK_MAX_PROBES);
		for (size_t i = 0; i < ops->n_probes; i++)
			assert_string_not_equal(fw_attach_probe_name(ops->probes[i]), "?");
		for (int o = 0; o < h; o++)
			assert_string_not_equal(fw_hook_ops_of(o)->name, ops->name);
	}
	assert_null(fw_hook_ops_of(FW_HOOK__COUNT));
	assert_string_equal(fw_hook_name(FW_HOOK__COUNT), "?");
}

/* A block type's name parses back to it: the configuration's block types
 * and the API's "hook" are the table's names. */
static void test_names_parse_back(void **state)
{
	struct fw_error err = { 0 };
	char all[256];

	for (int h = 0; h < FW_HOOK__COUNT; h++) {
		enum fw_hook hook = FW_HOOK__COUNT;

		assert_int_equal(fw_hook_parse(fw_hook_name(h), &hook, &err), 0);
		assert_int_equal(hook, h);
	}
	fw_hook_names_joined(" or ", all, sizeof(all));
	assert_string_equal(all, "xdp, tc, socket_filter, tracepoint or kprobe");
}

/* Every program type belongs to at most one hook, and a hook accepts what
 * it claims. */
static void test_program_types(void **state)
{
	for (int h = 0; h < FW_HOOK__COUNT; h++) {
		const struct fw_hook_ops *ops = fw_hook_ops_of(h);

		for (int i = 0; i < FW_HOOK_MAX_PROG_TYPES && ops->prog_types[i]; i++)
			assert_int_equal(fw_hook_of_prog_type(ops->prog_types[i]), h);
	}
	assert_int_equal(fw_hook_of_prog_type(BPF_PROG_TYPE_XDP), FW_HOOK_XDP);
	assert_int_equal(fw_hook_of_prog_type(BPF_PROG_TYPE_SCHED_CLS), FW_HOOK_TC);
	assert_int_equal(fw_hook_of_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT), FW_HOOK_TRACEPOINT);
	assert_int_equal(fw_hook_of_prog_type(BPF_PROG_TYPE_KPROBE), FW_HOOK_KPROBE);
	assert_int_equal(fw_hook_of_prog_type(BPF_PROG_TYPE_CGROUP_SKB), -1);
	assert_int_equal(fw_hook_of_prog_type(BPF_PROG_TYPE_UNSPEC), -1);
}

/* Every attach kind a record can hold is named by exactly one hook. */
static void test_attach_kinds(void **state)
{
	assert_string_equal(fw_attach_kind_name(FW_ATTACH_NONE), "none");
	for (int k = 1; k < FW_ATTACH__COUNT; k++) {
		int owners = 0;

		for (int h = 0; h < FW_HOOK__COUNT; h++) {
			const struct fw_hook_ops *ops = fw_hook_ops_of(h);

			for (int i = 0; i < FW_HOOK_MAX_KINDS && ops->kinds[i].name; i++)
				owners += ops->kinds[i].kind == (enum fw_attach_kind)k;
		}
		if (owners != 1)
			fail_msg("attach kind %d is named by %d hooks", k, owners);
		assert_string_not_equal(fw_attach_kind_name(k), "?");
	}
	/* which kinds a pinned link holds (adoption opens the link pin) */
	assert_true(fw_attach_kind_has_link(FW_ATTACH_XDP_NATIVE));
	assert_true(fw_attach_kind_has_link(FW_ATTACH_TCX));
	assert_true(fw_attach_kind_has_link(FW_ATTACH_STANDIN));
	assert_false(fw_attach_kind_has_link(FW_ATTACH_CLSACT));
	assert_false(fw_attach_kind_has_link(FW_ATTACH_SOCKET));
	assert_false(fw_attach_kind_has_link(FW_ATTACH_NONE));
	assert_string_equal(fw_attach_kind_name(FW_ATTACH_TCX), "tcx");
	assert_string_equal(fw_attach_kind_name(FW_ATTACH_STANDIN), "tracepoint-standin");
	assert_string_equal(fw_attach_kind_name(FW_ATTACH__COUNT), "?");
}

/* The other tables sized by an enum: no value without a name. */
static void test_enum_name_tables_are_full(void **state)
{
	for (int m = 0; m < FW_MAP__COUNT; m++)
		assert_string_not_equal(fw_map_type_name(m), "?");
	assert_string_equal(fw_map_type_name(FW_MAP__COUNT), "?");
	for (int p = 0; p < FW_PROBE_PROG__COUNT; p++)
		assert_string_not_equal(fw_prog_probe_name(p), "?");
	for (int m = 0; m < FW_PROBE_MAP__COUNT; m++)
		assert_string_not_equal(fw_map_probe_name(m), "?");
	for (int a = 0; a < FW_PROBE_ATTACH__COUNT; a++)
		assert_string_not_equal(fw_attach_probe_name(a), "?");
	for (unsigned int f = 1; f & FW_FIELD__ALL; f <<= 1) {
		const struct fw_hook_field_info *info = fw_hook_field_info(f);

		assert_non_null(info);
		assert_non_null(info->name);
		assert_non_null(info->noun);
		assert_non_null(info->example);
	}
	assert_null(fw_hook_field_info(FW_FIELD_INTERFACE | FW_FIELD_MODE));
}

/* The fields each block type takes and needs, as docs/configuration.md lists them. */
static void test_fields(void **state)
{
	char hooks[128];

	assert_true(fw_hook_requires(FW_HOOK_XDP, FW_FIELD_INTERFACE));
	assert_true(fw_hook_requires(FW_HOOK_TC, FW_FIELD_INTERFACE));
	assert_true(fw_hook_takes(FW_HOOK_SOCKET_FILTER, FW_FIELD_INTERFACE));
	assert_false(fw_hook_requires(FW_HOOK_SOCKET_FILTER, FW_FIELD_INTERFACE));
	assert_false(fw_hook_takes(FW_HOOK_TRACEPOINT, FW_FIELD_INTERFACE));
	assert_true(fw_hook_requires(FW_HOOK_TRACEPOINT, FW_FIELD_TRACEPOINT));
	assert_true(fw_hook_requires(FW_HOOK_KPROBE, FW_FIELD_FUNCTION));
	assert_false(fw_hook_takes(FW_HOOK_XDP, FW_FIELD_DIRECTION));
	fw_hooks_taking(FW_FIELD_INTERFACE, hooks, sizeof(hooks));
	assert_string_equal(hooks, "xdp, tc and socket_filter");
	fw_hooks_taking(FW_FIELD_SHAPING, hooks, sizeof(hooks));
	assert_string_equal(hooks, "tc");
	assert_true(fw_hook_ops_of(FW_HOOK_XDP)->one_per_interface);
	assert_false(fw_hook_ops_of(FW_HOOK_TC)->one_per_interface);
}

static void target_of(enum fw_hook hook, const char *sec, struct fw_prog_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->hook = hook;
	fw_hook_ops_of(hook)->target_from_section(sec, spec);
}

/* A load request may leave the target to the section name. */
static void test_targets_from_sections(void **state)
{
	struct fw_prog_spec s;

	target_of(FW_HOOK_TRACEPOINT, "tracepoint/net/netif_receive_skb", &s);
	assert_string_equal(s.tracepoint, "net:netif_receive_skb");
	target_of(FW_HOOK_TRACEPOINT, "tp/sock/inet_sock_set_state", &s);
	assert_string_equal(s.tracepoint, "sock:inet_sock_set_state");
	/* no category in these: the block must say it */
	target_of(FW_HOOK_TRACEPOINT, "raw_tp/netif_receive_skb", &s);
	assert_string_equal(s.tracepoint, "");
	target_of(FW_HOOK_TRACEPOINT, "tracepoint/", &s);
	assert_string_equal(s.tracepoint, "");
	target_of(FW_HOOK_KPROBE, "kprobe/tcp_v4_connect", &s);
	assert_string_equal(s.function, "tcp_v4_connect");
	target_of(FW_HOOK_KPROBE, "fentry/tcp_v4_connect", &s);
	assert_string_equal(s.function, "");
	/* a target the request gives is kept */
	memset(&s, 0, sizeof(s));
	snprintf(s.function, sizeof(s.function), "udp_sendmsg");
	fw_hook_ops_of(FW_HOOK_KPROBE)->target_from_section("kprobe/tcp_v4_connect", &s);
	assert_string_equal(s.function, "udp_sendmsg");
	assert_null(fw_section_target("xdp"));
	assert_string_equal(fw_section_target("tc/ingress"), "ingress");
}

static void test_describe_and_verdicts(void **state)
{
	struct fw_prog_spec s = { .hook = FW_HOOK_TC, .direction = FW_TC_EGRESS,
				  .shaping = { .set = true, .rate_bps = 1000000000 } };
	char out[128];

	snprintf(s.interface, sizeof(s.interface), "eth0");
	fw_hook_ops_of(FW_HOOK_TC)->describe(&s, out, sizeof(out));
	assert_string_equal(out, "eth0 egress, shaping 1 Gbit/s, burst default");
	s.xdp_mode = FW_XDP_GENERIC;
	fw_hook_ops_of(FW_HOOK_XDP)->describe(&s, out, sizeof(out));
	assert_string_equal(out, "eth0 (mode generic)");
	s.services = FW_SVC_DNS;
	fw_hook_ops_of(FW_HOOK_SOCKET_FILTER)->describe(&s, out, sizeof(out));
	assert_string_equal(out, "sockets dns on eth0");

	assert_string_equal(fw_hook_ops_of(FW_HOOK_XDP)->verdict_name(1, out, sizeof(out)),
			    "XDP_DROP");
	assert_string_equal(fw_hook_ops_of(FW_HOOK_TC)->verdict_name(2, out, sizeof(out)),
			    "TC_ACT_SHOT");
	assert_string_equal(fw_hook_ops_of(FW_HOOK_SOCKET_FILTER)->verdict_name(0, out, sizeof(out)),
			    "drop");
	/* tracing hooks run no frames */
	assert_null(fw_hook_ops_of(FW_HOOK_TRACEPOINT)->verdict_name);
	assert_null(fw_hook_ops_of(FW_HOOK_KPROBE)->verdict_name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_hook_has_ops),
		cmocka_unit_test(test_names_parse_back),
		cmocka_unit_test(test_program_types),
		cmocka_unit_test(test_attach_kinds),
		cmocka_unit_test(test_enum_name_tables_are_full),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_targets_from_sections),
		cmocka_unit_test(test_describe_and_verdicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
