// SPDX-License-Identifier: MIT
/*
 * ddos_filter's rule plane under BPF_PROG_TEST_RUN: every rule form in both
 * families, compiled by the daemon's own compiler (src/ebpf/rules.c) into
 * the loaded program's maps; verdicts, per-rule counters read back from the
 * kernel, the generation switch, shadow mode and under-attack mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>

#include "bpf/bpf_test.h"
#include "ebpf/rules.h"
#include "flywall/ddos.h"

static struct bpf_object *obj;
static int prog;
static struct fw_rules_maps maps;

static int setup(void **state)
{
	obj = bpf_test_load("ddos_filter");
	if (!obj)
		return -1;
	prog = bpf_test_prog_fd(obj, "ddos_filter");
	maps = (struct fw_rules_maps){
		.ctl = bpf_test_map_fd(obj, "rule_ctl"),
		.ports = bpf_test_map_fd(obj, "rule_ports"),
		.addrs = bpf_test_map_fd(obj, "rule_addrs"),
		.defs = bpf_test_map_fd(obj, "rule_defs"),
		.counters = bpf_test_map_fd(obj, "rule_counters"),
		.rate = bpf_test_map_fd(obj, "rule_rate"),
	};
	return prog < 0 || maps.rate < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	bpf_object__close(obj);
	return 0;
}

static void set_u32(const char *name, uint32_t v)
{
	assert_int_equal(bpf_test_set_global(obj, name, &v, sizeof(v)), 0);
}

/* One rule: "name action proto [src X] [dst X] [dport P] [flags F] [rate N]". */
static struct fw_rule_def rule(const char *name, const char *action, const char *proto,
			       const char *src, const char *dst, const char *dport,
			       const char *flags, long long rate)
{
	struct fw_rule_fields f = { name, action, proto, src, dst, dport, flags, rate };
	struct fw_rule_def d;
	struct fw_error err = { 0 };
	char field[32];

	if (fw_rule_from_fields(&f, &d, field, sizeof(field), &err))
		fail_msg("rule %s: %s", name, err.msg);
	return d;
}

static void apply(struct fw_rule_def *rules, size_t n)
{
	struct fw_error err = { 0 };

	if (fw_rules_apply(&maps, rules, n, &err))
		fail_msg("apply: %s", err.msg);
}

/* The live rule named name, with its counters summed over CPUs. */
static json_t *live(const char *name)
{
	struct fw_rule_def *defs;
	struct fw_error err = { 0 };
	json_t *found = NULL;
	size_t n;

	assert_int_equal(fw_rules_read(&maps, &defs, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(defs[i].name, name))
			found = fw_rule_to_json(&maps, &defs[i]);
	free(defs);
	return found;
}

static json_int_t live_counter(const char *name, const char *counter)
{
	json_t *j = live(name);
	json_int_t v;

	if (!j)
		fail_msg("no live rule %s", name);
	v = json_integer_value(json_object_get(j, counter));
	json_decref(j);
	return v;
}

static int verdict(const struct frame_spec *s)
{
	uint8_t buf[FRAME_MAX];

	return bpf_test_run_xdp(prog, buf, build_frame(s, buf));
}

static size_t frame_len(const struct frame_spec *s)
{
	uint8_t buf[FRAME_MAX];

	return build_frame(s, buf);
}

#define TCP4(s, d, port, fl) { .family = 4, .src = (s), .dst = (d), .proto = IPPROTO_TCP, \
			       .sport = 40000, .dport = (port), .tcp_flags = (fl), .payload = 0 }
#define TCP6(s, d, port, fl) { .family = 6, .src = (s), .dst = (d), .proto = IPPROTO_TCP, \
			       .sport = 40000, .dport = (port), .tcp_flags = (fl), .payload = 0 }
#define UDP4(s, port) { .family = 4, .src = (s), .dst = "10.0.0.1", .proto = IPPROTO_UDP, \
			.sport = 1234, .dport = (port), .payload = 18 }
#define UDP6(s, port) { .family = 6, .src = (s), .dst = "fd00::1", .proto = IPPROTO_UDP, \
			.sport = 1234, .dport = (port), .payload = 18 }
#define ICMP4(s) { .family = 4, .src = (s), .dst = "10.0.0.1", .proto = IPPROTO_ICMP, \
		   .icmp_type = 8, .payload = 8 }
#define ICMP6(s) { .family = 6, .src = (s), .dst = "fd00::1", .proto = IPPROTO_ICMPV6, \
		   .icmp_type = 128, .payload = 8 }

static void test_no_rules_pass(void **state)
{
	struct frame_spec t = TCP4("192.0.2.1", "10.0.0.1", 23, T_SYN);

	apply(NULL, 0);
	assert_int_equal(verdict(&t), XDP_PASS);
}

static void test_tcp_dport_both_families_counted(void **state)
{
	struct fw_rule_def r[] = { rule("telnet", "drop", "tcp", NULL, NULL, "23", NULL, -1) };
	struct frame_spec t4 = TCP4("192.0.2.1", "10.0.0.1", 23, T_SYN);
	struct frame_spec t6 = TCP6("2001:db8::1", "fd00::1", 23, T_SYN);
	struct frame_spec other = TCP4("192.0.2.1", "10.0.0.1", 22, T_SYN);
	struct frame_spec udp = UDP4("192.0.2.1", 23);
	uint64_t dropped = bpf_test_counter(obj, "ddos_counters", FW_RULES_REASON_RULE);

	apply(r, 1);
	assert_int_equal(verdict(&t4), XDP_DROP);
	assert_int_equal(verdict(&t6), XDP_DROP);
	assert_int_equal(verdict(&other), XDP_PASS);
	assert_int_equal(verdict(&udp), XDP_PASS);
	assert_int_equal(live_counter("telnet", "packets"), 2);
	assert_int_equal(live_counter("telnet", "bytes"), frame_len(&t4) + frame_len(&t6));
	assert_int_equal(bpf_test_counter(obj, "ddos_counters", FW_RULES_REASON_RULE),
			 dropped + 2);
}

static void test_udp_port_range(void **state)
{
	struct fw_rule_def r[] = { rule("games", "drop", "udp", NULL, NULL, "27000-27100",
					NULL, -1) };
	struct frame_spec lo = UDP4("192.0.2.2", 27000), hi = UDP6("2001:db8::2", 27100);
	struct frame_spec in_bucket = UDP4("192.0.2.2", 27101), below = UDP4("192.0.2.2", 26999);

	apply(r, 1);
	assert_int_equal(verdict(&lo), XDP_DROP);
	assert_int_equal(verdict(&hi), XDP_DROP);
	/* same 256-port bucket, outside the range: the rule's own check says no */
	assert_int_equal(verdict(&in_bucket), XDP_PASS);
	assert_int_equal(verdict(&below), XDP_PASS);
	assert_int_equal(live_counter("games", "packets"), 2);
}

static void test_icmp_and_icmpv6(void **state)
{
	struct fw_rule_def r[] = { rule("ping4", "drop", "icmp", NULL, NULL, NULL, NULL, -1),
				   rule("ping6", "drop", "icmpv6", NULL, NULL, NULL, NULL, -1) };
	struct frame_spec p4 = ICMP4("192.0.2.3"), p6 = ICMP6("2001:db8::3");
	struct frame_spec t = TCP4("192.0.2.3", "10.0.0.1", 80, T_SYN);

	apply(r, 2);
	assert_int_equal(verdict(&p4), XDP_DROP);
	assert_int_equal(verdict(&p6), XDP_DROP);
	assert_int_equal(verdict(&t), XDP_PASS);
	assert_int_equal(live_counter("ping4", "packets"), 1);
	assert_int_equal(live_counter("ping6", "packets"), 1);
}

static void test_src_and_dst_cidrs(void **state)
{
	struct fw_rule_def r[] = {
		rule("src4", "drop", "any", "198.51.100.0/24", NULL, NULL, NULL, -1),
		rule("src6", "drop", "any", "2001:db8:bad::/48", NULL, NULL, NULL, -1),
		rule("dst4", "drop", "tcp", NULL, "10.9.0.0/16", "80", NULL, -1),
		rule("dst6", "drop", "udp", NULL, "fd09::/16", NULL, NULL, -1),
	};
	struct frame_spec s4 = UDP4("198.51.100.77", 53), s6 = UDP6("2001:db8:bad::5", 53);
	struct frame_spec s4_out = UDP4("198.51.101.1", 53);
	struct frame_spec d4 = TCP4("192.0.2.9", "10.9.1.1", 80, T_SYN);
	struct frame_spec d4_port = TCP4("192.0.2.9", "10.9.1.1", 81, T_SYN);
	struct frame_spec d6 = { .family = 6, .src = "2001:db8::9", .dst = "fd09::1",
				 .proto = IPPROTO_UDP, .sport = 1, .dport = 9, .payload = 4 };

	apply(r, 4);
	assert_int_equal(verdict(&s4), XDP_DROP);
	assert_int_equal(verdict(&s6), XDP_DROP);
	assert_int_equal(verdict(&s4_out), XDP_PASS);
	assert_int_equal(verdict(&d4), XDP_DROP);
	assert_int_equal(verdict(&d4_port), XDP_PASS);
	assert_int_equal(verdict(&d6), XDP_DROP);
	assert_int_equal(live_counter("src4", "packets"), 1);
	assert_int_equal(live_counter("src6", "packets"), 1);
	assert_int_equal(live_counter("dst4", "packets"), 1);
	assert_int_equal(live_counter("dst6", "packets"), 1);
}

static void test_tcp_flags_syn_without_ack(void **state)
{
	struct fw_rule_def r[] = { rule("syn", "drop", "tcp", NULL, NULL, "443", "syn,!ack", -1) };
	struct frame_spec syn = TCP6("2001:db8::4", "fd00::1", 443, T_SYN);
	struct frame_spec synack = TCP6("2001:db8::4", "fd00::1", 443, T_SYN | T_ACK);
	struct frame_spec ack = TCP4("192.0.2.4", "10.0.0.1", 443, T_ACK);

	apply(r, 1);
	assert_int_equal(verdict(&syn), XDP_DROP);
	assert_int_equal(verdict(&synack), XDP_PASS);
	assert_int_equal(verdict(&ack), XDP_PASS);
	assert_int_equal(live_counter("syn", "packets"), 1);
}

/* First match wins: a pass before a drop; count rules count and go on. */
static void test_order_pass_and_count(void **state)
{
	struct fw_rule_def r[] = {
		rule("seen", "count", "tcp", NULL, NULL, NULL, NULL, -1),
		rule("admin", "pass", "tcp", "192.0.2.5/32", NULL, "22", NULL, -1),
		rule("ssh", "drop", "tcp", NULL, NULL, "22", NULL, -1),
	};
	struct frame_spec admin = TCP4("192.0.2.5", "10.0.0.1", 22, T_SYN);
	struct frame_spec other = TCP4("192.0.2.6", "10.0.0.1", 22, T_SYN);

	apply(r, 3);
	assert_int_equal(verdict(&admin), XDP_PASS);
	assert_int_equal(verdict(&other), XDP_DROP);
	assert_int_equal(live_counter("seen", "packets"), 2);
	assert_int_equal(live_counter("admin", "packets"), 1);
	assert_int_equal(live_counter("ssh", "packets"), 1);
}

/* 10 pps: of 40 back-to-back packets, about 1 + rate/10 pass. */
static void test_rate_limit_rule(void **state)
{
	struct fw_rule_def r[] = { rule("dns", "rate_limit", "udp", NULL, NULL, "53", NULL, 10) };
	struct frame_spec q = UDP4("192.0.2.7", 53);
	uint64_t before = bpf_test_counter(obj, "ddos_counters", FW_RULES_REASON_RULE_RATE);
	int passed = 0;

	apply(r, 1);
	for (int i = 0; i < 40; i++)
		passed += verdict(&q) == XDP_PASS;
	assert_in_range(passed, 2, 3);
	assert_int_equal(bpf_test_counter(obj, "ddos_counters", FW_RULES_REASON_RULE_RATE),
			 before + 40 - passed);
	assert_int_equal(live_counter("dns", "packets"), 40);
}

/* A new set replaces the old whole; a rule kept by name keeps its counters. */
static void test_generation_switch_keeps_counters(void **state)
{
	struct fw_rule_def a[] = { rule("keep", "drop", "tcp", NULL, NULL, "25", NULL, -1),
				   rule("gone", "drop", "tcp", NULL, NULL, "26", NULL, -1) };
	struct fw_rule_def b[] = { rule("new", "drop", "tcp", NULL, NULL, "27", NULL, -1),
				   rule("keep", "drop", "tcp", NULL, NULL, "25", NULL, -1) };
	struct frame_spec p25 = TCP4("192.0.2.8", "10.0.0.1", 25, T_SYN);
	struct frame_spec p26 = TCP4("192.0.2.8", "10.0.0.1", 26, T_SYN);
	struct frame_spec p27 = TCP4("192.0.2.8", "10.0.0.1", 27, T_SYN);
	json_t *g;

	apply(a, 2);
	assert_int_equal(verdict(&p25), XDP_DROP);
	assert_int_equal(verdict(&p26), XDP_DROP);
	assert_int_equal(verdict(&p27), XDP_PASS);
	apply(b, 2);
	assert_int_equal(verdict(&p25), XDP_DROP);
	assert_int_equal(verdict(&p26), XDP_PASS);
	assert_int_equal(verdict(&p27), XDP_DROP);
	assert_int_equal(live_counter("keep", "packets"), 2);
	assert_int_equal(live_counter("new", "packets"), 1);
	g = live("gone");
	assert_null(g);
}

/* The compiler validates: each bad field named. */
static void test_bad_fields_named(void **state)
{
	struct {
		struct fw_rule_fields f;
		const char *field;
	} bad[] = {
		{ { "x", "reject", "tcp", NULL, NULL, NULL, NULL, -1 }, "action" },
		{ { "x", "drop", "sctp", NULL, NULL, NULL, NULL, -1 }, "proto" },
		{ { "x", "drop", "icmp", NULL, NULL, "80", NULL, -1 }, "dport" },
		{ { "x", "drop", "tcp", NULL, NULL, "90-80", NULL, -1 }, "dport" },
		{ { "x", "drop", "tcp", "10.0.0.1/8", NULL, NULL, NULL, -1 }, "src" },
		{ { "x", "drop", "tcp", "10.0.0.0/8", "fd00::/8", NULL, NULL, -1 }, "dst" },
		{ { "x", "drop", "udp", NULL, NULL, NULL, "syn", -1 }, "tcp_flags" },
		{ { "x", "drop", "tcp", NULL, NULL, NULL, "syn,bogus", -1 }, "tcp_flags" },
		{ { "x", "rate_limit", "tcp", NULL, NULL, NULL, NULL, -1 }, "rate_pps" },
		{ { "bad name", "drop", "tcp", NULL, NULL, NULL, NULL, -1 }, "name" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fw_rule_def d;
		struct fw_error err = { 0 };
		char field[32];

		assert_int_equal(fw_rule_from_fields(&bad[i].f, &d, field, sizeof(field), &err),
				 -EINVAL);
		assert_string_equal(field, bad[i].field);
	}
}

static uint64_t shadow(uint32_t reason)
{
	return bpf_test_counter(obj, "shadow_counters", reason);
}

/* Shadow mode: drops pass, counted per reason and per rule. */
static void test_shadow_mode(void **state)
{
	struct fw_rule_def r[] = { rule("telnet", "drop", "tcp", NULL, NULL, "23", NULL, -1) };
	struct frame_spec t = TCP4("192.0.2.10", "10.0.0.1", 23, T_SYN);
	uint64_t before = shadow(FW_RULES_REASON_RULE);

	apply(r, 1);
	set_u32("shadow_mode", 1);
	assert_int_equal(verdict(&t), XDP_PASS);
	set_u32("shadow_mode", 0);
	assert_int_equal(shadow(FW_RULES_REASON_RULE), before + 1);
	assert_int_equal(live_counter("telnet", "would_drop"), 1);
	assert_int_equal(verdict(&t), XDP_DROP);
	assert_int_equal(live_counter("telnet", "would_drop"), 1);
}

static void lpm_allow(const char *addr, uint32_t prefixlen)
{
	struct fw_lpm_key key = { .prefixlen = prefixlen };
	struct fw_list_entry e = { 0 };

	addr_key(addr, key.addr);
	assert_int_equal(bpf_map_update_elem(bpf_test_map_fd(obj, "allowlist"), &key, &e, 0), 0);
}

/* Under attack: a source seen before the switch passes, a new one is
 * dropped, an allowlisted new one passes; off again, all pass. */
static void test_under_attack(void **state)
{
	struct frame_spec known = UDP6("2001:db8:1::1", 53), fresh = UDP4("192.0.2.11", 53);
	struct frame_spec friend = UDP4("192.0.2.12", 53);
	uint64_t before = bpf_test_counter(obj, "ddos_counters", FW_RULES_REASON_UNDER_ATTACK);

	apply(NULL, 0);
	set_u32("track_sources", 1);
	lpm_allow("192.0.2.12", 128);
	assert_int_equal(verdict(&known), XDP_PASS);
	usleep(20000); /* the coarse clock moves on (a tick is at most 10 ms) */
	set_u32("under_attack", 1);
	assert_int_equal(verdict(&known), XDP_PASS);
	assert_int_equal(verdict(&fresh), XDP_DROP);
	assert_int_equal(verdict(&friend), XDP_PASS);
	assert_int_equal(bpf_test_counter(obj, "ddos_counters", FW_RULES_REASON_UNDER_ATTACK),
			 before + 1);
	set_u32("under_attack", 0);
	set_u32("track_sources", 0);
	assert_int_equal(verdict(&fresh), XDP_PASS);
}

static struct fw_capture_rec captured;
static int n_captured;

static int on_capture(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(captured))
		memcpy(&captured, data, sizeof(captured));
	n_captured++;
	return 0;
}

/* capture_sample = 1: the dropped frame's head comes out of capture_ring
 * with its reason; a passed frame does not. */
static void test_capture_dropped_frames(void **state)
{
	struct fw_rule_def r[] = { rule("telnet", "drop", "tcp", NULL, NULL, "23", NULL, -1) };
	struct frame_spec t = TCP4("192.0.2.13", "10.0.0.1", 23, T_SYN);
	struct frame_spec ok = TCP4("192.0.2.13", "10.0.0.1", 24, T_SYN);
	struct ring_buffer *rb = ring_buffer__new(bpf_test_map_fd(obj, "capture_ring"),
						  on_capture, NULL, NULL);
	uint8_t buf[FRAME_MAX];
	size_t len = build_frame(&t, buf);

	assert_non_null(rb);
	apply(r, 1);
	set_u32("capture_sample", 1);
	set_u32("capture_snap", 40);
	assert_int_equal(verdict(&ok), XDP_PASS);
	assert_int_equal(bpf_test_run_xdp(prog, buf, len), XDP_DROP);
	set_u32("capture_sample", 0);
	ring_buffer__poll(rb, 100);
	ring_buffer__free(rb);
	assert_int_equal(n_captured, 1);
	assert_int_equal(captured.reason, FW_RULES_REASON_RULE);
	assert_int_equal(captured.len, len);
	assert_int_equal(captured.caplen, 40);
	assert_memory_equal(captured.data, buf, 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_rules_pass),
		cmocka_unit_test(test_tcp_dport_both_families_counted),
		cmocka_unit_test(test_udp_port_range),
		cmocka_unit_test(test_icmp_and_icmpv6),
		cmocka_unit_test(test_src_and_dst_cidrs),
		cmocka_unit_test(test_tcp_flags_syn_without_ack),
		cmocka_unit_test(test_order_pass_and_count),
		cmocka_unit_test(test_rate_limit_rule),
		cmocka_unit_test(test_generation_switch_keeps_counters),
		cmocka_unit_test(test_bad_fields_named),
		cmocka_unit_test(test_shadow_mode),
		cmocka_unit_test(test_under_attack),
		cmocka_unit_test(test_capture_dropped_frames),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
