// SPDX-License-Identifier: MIT
/*
 * ddos_filter under BPF_PROG_TEST_RUN: each test sends crafted frames and
 * checks the verdict and the per-CPU counter that moved in `ddos_counters`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <time.h>

#include "bpf/bpf_test.h"
#include "flywall/ddos.h"

static struct bpf_object *obj;
static int prog;

static int setup(void **state)
{
	obj = bpf_test_load("ddos_filter");
	if (!obj)
		return -1;
	prog = bpf_test_prog_fd(obj, "ddos_filter");
	return prog < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	bpf_object__close(obj);
	return 0;
}

static uint64_t counter(enum fw_ddos_counter c)
{
	return bpf_test_counter(obj, "ddos_counters", c);
}

/* Sends the frame (cut to len if len > 0); checks verdict and that exactly
 * counter c moved by one. */
static void expect(const struct frame_spec *s, size_t len, int verdict,
		   enum fw_ddos_counter c)
{
	uint8_t buf[FRAME_MAX];
	size_t full = build_frame(s, buf);
	uint64_t before = counter(c);

	assert_int_equal(bpf_test_run_xdp(prog, buf, len ? len : full), verdict);
	assert_int_equal(counter(c), before + 1);
}

static void set_u64(const char *name, uint64_t v)
{
	assert_int_equal(bpf_test_set_global(obj, name, &v, sizeof(v)), 0);
}

static void set_u32(const char *name, uint32_t v)
{
	assert_int_equal(bpf_test_set_global(obj, name, &v, sizeof(v)), 0);
}

static void block(const char *addr, uint64_t expires_ns)
{
	struct fw_addr key;
	struct fw_list_entry e = { .expires_ns = expires_ns };

	addr_key(addr, key.addr);
	assert_int_equal(bpf_map_update_elem(bpf_test_map_fd(obj, "blocklist"), &key, &e, 0), 0);
}

static void lpm_add(const char *map, const char *addr, uint32_t prefixlen)
{
	struct fw_lpm_key key = { .prefixlen = prefixlen };
	struct fw_list_entry e = { 0 };

	addr_key(addr, key.addr);
	assert_int_equal(bpf_map_update_elem(bpf_test_map_fd(obj, map), &key, &e, 0), 0);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

#define UDP4(s) { .family = 4, .src = (s), .dst = "10.0.0.1", .proto = IPPROTO_UDP, \
		  .sport = 1234, .dport = 53, .payload = 18 }
#define UDP6(s) { .family = 6, .src = (s), .dst = "fd00::1", .proto = IPPROTO_UDP, \
		  .sport = 1234, .dport = 53, .payload = 18 }

static void test_allowed_v4_and_v6_pass(void **state)
{
	struct frame_spec v4 = UDP4("192.0.2.1"), v6 = UDP6("2001:db8::1");

	expect(&v4, 0, XDP_PASS, FW_DDOS_PASS);
	expect(&v6, 0, XDP_PASS, FW_DDOS_PASS);
}

static void test_non_ip_passes_unchecked(void **state)
{
	struct frame_spec arp = { .family = 0, .ethertype = 0x0806 };

	expect(&arp, 0, XDP_PASS, FW_DDOS_PASS_NON_IP);
}

static void test_blocklisted_v4_dropped(void **state)
{
	struct frame_spec s = UDP4("198.51.100.7");

	block("198.51.100.7", 0);
	expect(&s, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
}

static void test_blocklisted_v6_dropped(void **state)
{
	struct frame_spec s = UDP6("2001:db8:bad::7");

	block("2001:db8:bad::7", 0);
	expect(&s, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
}

static void test_blocklist_expiry(void **state)
{
	struct frame_spec expired = UDP4("198.51.100.8"), live = UDP4("198.51.100.9");

	block("198.51.100.8", monotonic_ns() - 1000000000ull);
	block("198.51.100.9", monotonic_ns() + 3600 * 1000000000ull);
	expect(&expired, 0, XDP_PASS, FW_DDOS_PASS);
	expect(&live, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
}

static void test_cidr_v4_and_v6_dropped(void **state)
{
	struct frame_spec v4 = UDP4("203.0.113.77"), v6 = UDP6("2001:db8:c1d::99");
	struct frame_spec outside = UDP4("203.0.114.1");

	lpm_add("cidr_blocklist", "203.0.113.0", 96 + 24);
	lpm_add("cidr_blocklist", "2001:db8:c1d::", 48);
	expect(&v4, 0, XDP_DROP, FW_DDOS_DROP_CIDR);
	expect(&v6, 0, XDP_DROP, FW_DDOS_DROP_CIDR);
	expect(&outside, 0, XDP_PASS, FW_DDOS_PASS);
}

static void test_allowlist_wins(void **state)
{
	struct frame_spec exact = UDP4("198.51.100.20"), cidr = UDP4("203.0.113.20");

	block("198.51.100.20", 0);
	lpm_add("cidr_blocklist", "203.0.113.0", 96 + 24);
	lpm_add("allowlist", "198.51.100.20", 128);
	lpm_add("allowlist", "203.0.113.16", 96 + 28);
	expect(&exact, 0, XDP_PASS, FW_DDOS_PASS_ALLOWLIST);
	expect(&cidr, 0, XDP_PASS, FW_DDOS_PASS_ALLOWLIST);
}

/* 10 pps with a burst of 5: of 50 back-to-back packets from one source, the
 * first 6 pass (1 + burst) and the rest are dropped as rate-limited. */
static void test_rate_limited_source(void **state)
{
	struct frame_spec flood = UDP4("192.0.2.50"), other = UDP4("192.0.2.51");
	uint8_t buf[FRAME_MAX];
	size_t len = build_frame(&flood, buf);
	uint64_t drops_before = counter(FW_DDOS_DROP_RATE);
	int passed = 0, dropped = 0;

	set_u64("max_pps", 10);
	set_u64("rate_burst", 5);
	for (int i = 0; i < 50; i++) {
		int v = bpf_test_run_xdp(prog, buf, len);

		passed += v == XDP_PASS;
		dropped += v == XDP_DROP;
	}
	assert_in_range(passed, 6, 7); /* a 7th if 100 ms passed meanwhile */
	assert_int_equal(passed + dropped, 50);
	assert_int_equal(counter(FW_DDOS_DROP_RATE), drops_before + dropped);
	/* another source has its own budget */
	expect(&other, 0, XDP_PASS, FW_DDOS_PASS);
	set_u64("max_pps", 0);
	expect(&flood, 0, XDP_PASS, FW_DDOS_PASS);
	set_u64("max_pps", 1000000);
	set_u64("rate_burst", 0);
}

/* 1,000,000 pps with a burst of 1: the window (2 us) is far below a clock
 * tick, so the limiter must read the precise clock. Test runs a microsecond
 * or more apart are all within the rate and must all pass. */
static void test_short_burst_window_uses_precise_clock(void **state)
{
	struct frame_spec s = UDP4("192.0.2.52");
	uint8_t buf[FRAME_MAX];
	size_t len = build_frame(&s, buf);
	int passed = 0;

	set_u64("max_pps", 1000000);
	set_u64("rate_burst", 1);
	for (int i = 0; i < 200; i++)
		passed += bpf_test_run_xdp(prog, buf, len) == XDP_PASS;
	set_u64("rate_burst", 0);
	assert_in_range(passed, 190, 200);
}

static void test_vlan_tags_parsed(void **state)
{
	struct frame_spec one = UDP4("198.51.100.30"), two = UDP6("2001:db8:bad::30");
	struct frame_spec ok = UDP4("192.0.2.30"), three = UDP4("192.0.2.31");

	block("198.51.100.30", 0);
	block("2001:db8:bad::30", 0);
	one.n_vlan = 1, one.vlan[0] = 10;
	two.n_vlan = 2, two.vlan[0] = 100, two.vlan[1] = 200;
	ok.n_vlan = 2, ok.vlan[0] = 100, ok.vlan[1] = 200;
	three.n_vlan = 3;
	expect(&one, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
	expect(&two, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
	expect(&ok, 0, XDP_PASS, FW_DDOS_PASS);
	expect(&three, 0, XDP_DROP, FW_DDOS_DROP_MALFORMED);
}

static void test_fragments_policy(void **state)
{
	struct frame_spec first = UDP4("192.0.2.40"), later = UDP4("192.0.2.40");
	struct frame_spec later6 = UDP6("2001:db8::40"), blocked = UDP4("198.51.100.40");
	uint64_t frags = counter(FW_DDOS_FRAGMENT);

	first.more_frags = true;
	later.frag_offset = 185;
	later6.ipv6_frag_hdr = true, later6.frag_offset = 185;
	blocked.frag_offset = 185;
	block("198.51.100.40", 0);
	/* default: a first fragment is an ordinary packet; later ones pass
	 * after the address checks and are counted */
	expect(&first, 0, XDP_PASS, FW_DDOS_PASS);
	assert_int_equal(counter(FW_DDOS_FRAGMENT), frags);
	expect(&later, 0, XDP_PASS, FW_DDOS_PASS);
	expect(&later6, 0, XDP_PASS, FW_DDOS_PASS);
	assert_int_equal(counter(FW_DDOS_FRAGMENT), frags + 2);
	expect(&blocked, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
	/* drop_fragments = 1 */
	set_u32("drop_fragments", 1);
	expect(&later, 0, XDP_DROP, FW_DDOS_DROP_FRAGMENT);
	expect(&later6, 0, XDP_DROP, FW_DDOS_DROP_FRAGMENT);
	expect(&first, 0, XDP_PASS, FW_DDOS_PASS);
	set_u32("drop_fragments", 0);
}

static void test_truncated_headers_dropped(void **state)
{
	struct frame_spec v4 = UDP4("192.0.2.60"), v6 = UDP6("2001:db8::60");
	struct frame_spec vlan = UDP4("192.0.2.60"), frag6 = UDP6("2001:db8::60");
	uint8_t buf[FRAME_MAX];
	size_t len;

	vlan.n_vlan = 1;
	frag6.ipv6_frag_hdr = true;
	expect(&vlan, 14 + 2, XDP_DROP, FW_DDOS_DROP_MALFORMED);   /* VLAN tag cut */
	expect(&v4, 14 + 19, XDP_DROP, FW_DDOS_DROP_MALFORMED);    /* IPv4 header cut */
	expect(&v4, 14 + 30, XDP_DROP, FW_DDOS_DROP_MALFORMED);    /* tot_len > frame */
	expect(&v6, 14 + 39, XDP_DROP, FW_DDOS_DROP_MALFORMED);    /* IPv6 header cut */
	expect(&frag6, 14 + 44, XDP_DROP, FW_DDOS_DROP_MALFORMED); /* ext header cut */
	expect(&v6, 14 + 50, XDP_DROP, FW_DDOS_DROP_MALFORMED);    /* payload_len > frame */

	/* IPv4 with an IHL below 5 */
	len = build_frame(&v4, buf);
	buf[14] = 0x44;
	uint64_t before = counter(FW_DDOS_DROP_MALFORMED);
	assert_int_equal(bpf_test_run_xdp(prog, buf, len), XDP_DROP);
	assert_int_equal(counter(FW_DDOS_DROP_MALFORMED), before + 1);
}

static int on_event(void *ctx, void *data, size_t size)
{
	*(struct fw_ddos_event *)ctx = *(struct fw_ddos_event *)data;
	return 0;
}

static void test_drop_event_sent(void **state)
{
	struct frame_spec s = UDP4("198.51.100.70");
	struct fw_ddos_event ev = { 0 };
	struct ring_buffer *rb;
	uint8_t key[16];

	rb = ring_buffer__new(bpf_test_map_fd(obj, "ddos_events"), on_event, &ev, NULL);
	assert_non_null(rb);
	ring_buffer__consume(rb); /* drain events of earlier tests */
	memset(&ev, 0, sizeof(ev));
	set_u32("event_sample", 1);
	block("198.51.100.70", 0);
	expect(&s, 0, XDP_DROP, FW_DDOS_EVENT_SENT);
	assert_int_equal(ring_buffer__consume(rb), 1);
	assert_int_equal(ev.hdr.type, FW_EVENT_DDOS_DROP);
	assert_int_equal(ev.hdr.len, sizeof(ev));
	assert_int_equal(ev.reason, FW_DDOS_REASON_BLOCKLIST);
	assert_int_equal(ev.family, 4);
	addr_key("198.51.100.70", key);
	assert_memory_equal(ev.saddr, key, 16);
	/* event_sample = 0: drops are counted, no event is written */
	set_u32("event_sample", 0);
	expect(&s, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
	assert_int_equal(ring_buffer__consume(rb), 0);
	set_u32("event_sample", 64);
	ring_buffer__free(rb);
}

/* A drop event names the outer VLAN's id, without the priority bits: two
 * tags, the outer one with priority 5 (TCI 0xa065: id 0x065). */
static void test_drop_event_vlan_id(void **state)
{
	struct frame_spec s = UDP4("198.51.100.71");
	struct fw_ddos_event ev = { 0 };
	struct ring_buffer *rb;

	s.n_vlan = 2;
	s.vlan[0] = 0xa065;
	s.vlan[1] = 0x0007;
	rb = ring_buffer__new(bpf_test_map_fd(obj, "ddos_events"), on_event, &ev, NULL);
	assert_non_null(rb);
	ring_buffer__consume(rb);
	set_u32("event_sample", 1);
	block("198.51.100.71", 0);
	expect(&s, 0, XDP_DROP, FW_DDOS_EVENT_SENT);
	assert_int_equal(ring_buffer__consume(rb), 1);
	assert_int_equal(ev.vlan_id, 0x065);
	set_u32("event_sample", 64);
	ring_buffer__free(rb);
}

static void test_btf_loads_into_the_kernel(void **state)
{
	assert_true(bpf_test_btf_loaded(obj));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_btf_loads_into_the_kernel),
		cmocka_unit_test(test_allowed_v4_and_v6_pass),
		cmocka_unit_test(test_non_ip_passes_unchecked),
		cmocka_unit_test(test_blocklisted_v4_dropped),
		cmocka_unit_test(test_blocklisted_v6_dropped),
		cmocka_unit_test(test_blocklist_expiry),
		cmocka_unit_test(test_cidr_v4_and_v6_dropped),
		cmocka_unit_test(test_allowlist_wins),
		cmocka_unit_test(test_rate_limited_source),
		cmocka_unit_test(test_short_burst_window_uses_precise_clock),
		cmocka_unit_test(test_vlan_tags_parsed),
		cmocka_unit_test(test_fragments_policy),
		cmocka_unit_test(test_truncated_headers_dropped),
		cmocka_unit_test(test_drop_event_sent),
		cmocka_unit_test(test_drop_event_vlan_id),
	};

	return cmocka_run_group_tests_name("ddos_filter", tests, setup, teardown);
}
