// SPDX-License-Identifier: MIT
/*
 * ddos_filter under BPF_PROG_TEST_RUN: each test sends crafted frames and
 * checks the verdict and the per-CPU counter that moved in `ddos_counters`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

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

/* The second run of the tests turns the verdict cache on: every blocklist
 * write then announces itself with a new generation, as the daemon does. */
static bool announce;

static void new_generation(void)
{
	static uint64_t last;
	uint64_t gen = monotonic_ns();
	uint32_t zero = 0;

	gen = gen > last ? gen : last + 1;
	last = gen;
	assert_int_equal(bpf_map_update_elem(bpf_test_map_fd(obj, "blocklist_generation"), &zero,
					     &gen, 0), 0);
}

static void block(const char *addr, uint64_t expires_ns)
{
	struct fw_addr key;
	struct fw_list_entry e = { .expires_ns = expires_ns };

	addr_key(addr, key.addr);
	assert_int_equal(bpf_map_update_elem(bpf_test_map_fd(obj, "blocklist"), &key, &e, 0), 0);
	if (announce)
		new_generation();
}

static void unblock(const char *addr)
{
	struct fw_addr key;

	addr_key(addr, key.addr);
	assert_int_equal(bpf_map_delete_elem(bpf_test_map_fd(obj, "blocklist"), &key), 0);
	if (announce)
		new_generation();
}

static void lpm_add(const char *map, const char *addr, uint32_t prefixlen)
{
	struct fw_lpm_key key = { .prefixlen = prefixlen };
	struct fw_list_entry e = { 0 };

	addr_key(addr, key.addr);
	assert_int_equal(bpf_map_update_elem(bpf_test_map_fd(obj, map), &key, &e, 0), 0);
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
 * tick, so the limiter must read the precise clock. Test runs 10 us apart
 * are all within the rate and must all pass (back to back, a run can come
 * within the window of the one before on a fast machine). */
static void test_short_burst_window_uses_precise_clock(void **state)
{
	struct frame_spec s = UDP4("192.0.2.52");
	uint8_t buf[FRAME_MAX];
	size_t len = build_frame(&s, buf);
	int passed = 0;

	set_u64("max_pps", 1000000);
	set_u64("rate_burst", 1);
	for (int i = 0; i < 200; i++) {
		passed += bpf_test_run_xdp(prog, buf, len) == XDP_PASS;
		usleep(10);
	}
	set_u64("rate_burst", 0);
	assert_int_equal(passed, 200);
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

/* ---- drop summaries and the event budget -------------------------------- */

/* The summaries a test reads back from `ddos_events`, in order. */
struct summaries {
	struct fw_ddos_summary ev[8];
	size_t n;               /* records seen (ev holds the first 8) */
	size_t other;           /* records of another type or size */
};

static int on_summary(void *ctx, void *data, size_t size)
{
	struct summaries *got = ctx;
	const struct fw_ddos_summary *ev = data;

	if (size != sizeof(*ev) || ev->hdr.type != FW_EVENT_DDOS_SUMMARY) {
		got->other++;
		return 0;
	}
	if (got->n < 8)
		got->ev[got->n] = *ev;
	got->n++;
	return 0;
}

/* Reads every record the ring holds into got (emptied first). */
static void read_summaries(struct ring_buffer *rb, struct summaries *got)
{
	memset(got, 0, sizeof(*got));
	assert_true(ring_buffer__consume(rb) >= 0);
}

/* Runs one frame repeat times in one BPF_PROG_TEST_RUN; returns its verdict. */
static int run_repeat(const struct frame_spec *s, uint32_t repeat)
{
	uint8_t buf[FRAME_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
		    .data_size_in = build_frame(s, buf), .repeat = repeat);

	assert_int_equal(bpf_prog_test_run_opts(prog, &opts), 0);
	return opts.retval;
}

/* The drop slot the program files an IPv4 source under (its slot_of). */
static uint32_t drop_slot_of(const char *addr)
{
	uint8_t key[16];
	uint32_t w[4];

	addr_key(addr, key);
	memcpy(w, key, 16);
	return ((w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x9E3779B1u) >> 24;
}

/* An address of 100.64.0.0/16 that shares addr's drop slot. */
static void slot_sharer(const char *addr, char out[32])
{
	for (int i = 0; i < 65536; i++) {
		snprintf(out, 32, "100.64.%d.%d", i >> 8, i & 255);
		if (drop_slot_of(out) == drop_slot_of(addr))
			return;
	}
	fail_msg("no address of 100.64.0.0/16 shares a drop slot with %s", addr);
}

/* Per-CPU state (drop slots) must not be split between CPUs mid-test. */
static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

static void expect_summary(const struct fw_ddos_summary *ev, const char *addr,
			   uint64_t packets, enum fw_ddos_reason reason)
{
	uint8_t key[16];

	addr_key(addr, key);
	assert_int_equal(ev->hdr.type, FW_EVENT_DDOS_SUMMARY);
	assert_int_equal(ev->hdr.len, sizeof(*ev));
	assert_int_equal(ev->hdr.cpu, 0);
	assert_memory_equal(ev->saddr, key, 16);
	assert_int_equal(ev->packets, packets);
	assert_int_equal(ev->reason, reason);
	assert_int_equal(ev->family, 4);
	assert_true(ev->first_ns <= ev->hdr.ts_ns);
	assert_true(ev->first_ns > 0);
}

/* 1,000 drops of one source make one summary saying 1,000, written when
 * another source takes its slot; no event before that. */
static void test_drops_summarised_per_source(void **state)
{
	struct frame_spec a = UDP4("198.51.100.70");
	struct ring_buffer *rb;
	struct summaries got;
	uint64_t sent;
	char sharer[32];

	slot_sharer("198.51.100.70", sharer);
	struct frame_spec b = UDP4(sharer);

	pin_to_cpu0();
	rb = ring_buffer__new(bpf_test_map_fd(obj, "ddos_events"), on_summary, &got, NULL);
	assert_non_null(rb);
	block("198.51.100.70", 0);
	lpm_add("cidr_blocklist", "100.64.0.0", 96 + 16);
	assert_int_equal(run_repeat(&a, 1), XDP_DROP);  /* takes the slot */
	read_summaries(rb, &got);                       /* what it evicted */
	sent = counter(FW_DDOS_EVENT_SENT);
	assert_int_equal(run_repeat(&a, 999), XDP_DROP);
	read_summaries(rb, &got);
	assert_int_equal(got.n + got.other, 0);
	assert_int_equal(counter(FW_DDOS_EVENT_SENT), sent);

	expect(&b, 0, XDP_DROP, FW_DDOS_EVENT_SENT);    /* evicts a */
	read_summaries(rb, &got);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.other, 0);
	expect_summary(&got.ev[0], "198.51.100.70", 1000, FW_DDOS_REASON_BLOCKLIST);

	/* the same source for another reason is another summary */
	expect(&a, 0, XDP_DROP, FW_DDOS_EVENT_SENT);    /* evicts b */
	read_summaries(rb, &got);
	assert_int_equal(got.n, 1);
	expect_summary(&got.ev[0], sharer, 1, FW_DDOS_REASON_CIDR);
	ring_buffer__free(rb);
}

/* A source that keeps being dropped is summarised once per interval. */
static void test_summary_per_interval(void **state)
{
	struct frame_spec a;
	struct ring_buffer *rb;
	struct summaries got;
	char src[32];

	pin_to_cpu0();
	rb = ring_buffer__new(bpf_test_map_fd(obj, "ddos_events"), on_summary, &got, NULL);
	assert_non_null(rb);
	set_u32("summary_interval_ms", 200);
	/* The 10 drops must come within the interval: a test pinned to a CPU
	 * that other work shares waits a tick or more at each turn (16-36 ms
	 * seen here), so the interval is long, and if the test was stalled
	 * longer than that anyway it tries another source. */
	for (int i = 0; i < 5; i++) {
		uint64_t start = monotonic_ns();

		snprintf(src, sizeof(src), "198.51.100.%d", 171 + i);
		a = (struct frame_spec)UDP4(src);
		block(src, 0);
		assert_int_equal(run_repeat(&a, 1), XDP_DROP);
		read_summaries(rb, &got);
		assert_int_equal(run_repeat(&a, 9), XDP_DROP);
		read_summaries(rb, &got);
		if (monotonic_ns() - start < 150 * 1000000ull)
			break;
	}
	assert_int_equal(got.n, 0);
	usleep(300 * 1000);     /* past the interval, whatever the tick */
	assert_int_equal(run_repeat(&a, 1), XDP_DROP);
	read_summaries(rb, &got);
	assert_int_equal(got.n, 1);
	expect_summary(&got.ev[0], src, 10, FW_DDOS_REASON_BLOCKLIST);
	assert_true(got.ev[0].hdr.ts_ns - got.ev[0].first_ns >= 200 * 1000000ull);
	set_u32("summary_interval_ms", 1000);
	ring_buffer__free(rb);
}

/*
 * A flood of well over 100,000 drops/s, each closing a summary (interval 0),
 * gets no more events out than event_budget per second (plus the bucket's
 * tenth-of-a-second burst), counted in the kernel and read from the ring;
 * every summary not written is counted as suppressed or lost.
 */
static void test_event_budget_holds(void **state)
{
	const uint32_t budget = 1000;
	struct frame_spec a = UDP4("198.51.100.72");
	uint64_t drops, sent, suppressed, lost, read = 0, start, elapsed_ns;
	uint64_t drops0, sent0, suppressed0, lost0;
	struct ring_buffer *rb;
	struct summaries got;

	pin_to_cpu0();
	rb = ring_buffer__new(bpf_test_map_fd(obj, "ddos_events"), on_summary, &got, NULL);
	assert_non_null(rb);
	block("198.51.100.72", 0);
	set_u32("summary_interval_ms", 0);
	set_u32("event_budget", budget);
	assert_int_equal(run_repeat(&a, 1), XDP_DROP);
	sleep(1);               /* a full bucket: the burst is part of the bound */
	read_summaries(rb, &got);
	drops0 = counter(FW_DDOS_DROP_BLOCKLIST);
	sent0 = counter(FW_DDOS_EVENT_SENT);
	suppressed0 = counter(FW_DDOS_EVENT_SUPPRESSED);
	lost0 = counter(FW_DDOS_EVENT_LOST);
	start = monotonic_ns();
	do {
		assert_int_equal(run_repeat(&a, 50000), XDP_DROP);
		read_summaries(rb, &got);
		read += got.n;
		elapsed_ns = monotonic_ns() - start;
	} while (elapsed_ns < 1500000000ull);
	drops = counter(FW_DDOS_DROP_BLOCKLIST) - drops0;
	sent = counter(FW_DDOS_EVENT_SENT) - sent0;
	suppressed = counter(FW_DDOS_EVENT_SUPPRESSED) - suppressed0;
	lost = counter(FW_DDOS_EVENT_LOST) - lost0;
	print_message("# %lu drops in %.2f s (%.0f/s): %lu events, %lu suppressed, %lu lost\n",
		      (unsigned long)drops, elapsed_ns / 1e9, drops * 1e9 / elapsed_ns,
		      (unsigned long)sent, (unsigned long)suppressed, (unsigned long)lost);
	assert_true(drops * 1000000000ull / elapsed_ns >= 100000);
	/* coarse clock: the program's time may lag ours by a tick (10 ms) */
	assert_true(sent <= budget * elapsed_ns / 1000000000ull + budget / 10 + 1 + 10);
	assert_true(sent >= budget * elapsed_ns / 1000000000ull / 2);
	assert_int_equal(read, sent);
	assert_int_equal(lost, 0);
	assert_int_equal(sent + suppressed + lost, drops);

	/* event_budget = 0: no events at all, every summary suppressed */
	set_u32("event_budget", 0);
	sent0 = counter(FW_DDOS_EVENT_SENT);
	suppressed0 = counter(FW_DDOS_EVENT_SUPPRESSED);
	assert_int_equal(run_repeat(&a, 1000), XDP_DROP);
	read_summaries(rb, &got);
	assert_int_equal(got.n, 0);
	assert_int_equal(counter(FW_DDOS_EVENT_SENT), sent0);
	assert_int_equal(counter(FW_DDOS_EVENT_SUPPRESSED), suppressed0 + 1000);
	set_u32("event_budget", budget);
	set_u32("summary_interval_ms", 1000);
	ring_buffer__free(rb);
}

/* A drop event names the outer VLAN's id, without the priority bits: two
 * tags, the outer one with priority 5 (TCI 0xa065: id 0x065). */
/* A summary names the outer VLAN id without its priority bits. */
static void test_drop_summary_vlan_id(void **state)
{
	struct frame_spec s = UDP4("198.51.100.73");
	struct ring_buffer *rb;
	struct summaries got;
	uint8_t key[16];
	size_t i;

	s.n_vlan = 2;
	s.vlan[0] = 0xa065;
	s.vlan[1] = 0x0007;
	pin_to_cpu0();
	rb = ring_buffer__new(bpf_test_map_fd(obj, "ddos_events"), on_summary, &got, NULL);
	assert_non_null(rb);
	block("198.51.100.73", 0);
	set_u32("summary_interval_ms", 0);      /* each drop closes its summary */
	read_summaries(rb, &got);
	assert_int_equal(run_repeat(&s, 1), XDP_DROP);
	assert_int_equal(run_repeat(&s, 1), XDP_DROP);
	read_summaries(rb, &got);
	/* the first drop may have evicted an earlier source's summary */
	addr_key("198.51.100.73", key);
	for (i = 0; i < got.n && i < 8; i++)
		if (!memcmp(got.ev[i].saddr, key, 16))
			break;
	assert_true(i < got.n && i < 8);
	assert_int_equal(got.ev[i].vlan_id, 0x065);
	set_u32("summary_interval_ms", 1000);
	ring_buffer__free(rb);
}

/* With the cache on, a source whose deletion was announced passes on its
 * very next packet, however many drops were served from the cache before;
 * one cached as not listed is dropped as soon as its addition is. */
static void test_cache_never_drops_after_delete(void **state)
{
	struct frame_spec s = UDP4("198.51.100.20");

	pin_to_cpu0();
	for (int round = 0; round < 3; round++) {
		block("198.51.100.20", 0);
		for (int i = 0; i < 3; i++) /* the first fills the cache */
			expect(&s, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
		unblock("198.51.100.20");
		for (int i = 0; i < 3; i++)
			expect(&s, 0, XDP_PASS, FW_DDOS_PASS);
	}
}

/* The verdicts do come from the cache: a delete nobody announces is not
 * seen at once (hence the rule that writers announce), but is once the
 * entry is FW_DDOS_CACHE_TICKS ticks old: 0.32 s at HZ=100, the slowest. */
static void test_cache_entry_ages_out(void **state)
{
	struct frame_spec s = UDP4("198.51.100.21");
	uint8_t buf[FRAME_MAX];
	size_t len = build_frame(&s, buf);
	uint64_t filled = 0, start;
	struct fw_addr key;
	int verdict = -1;

	pin_to_cpu0();
	addr_key("198.51.100.21", key.addr);
	/* 32 ticks are at least 32 ms (HZ=1000): retried if the machine
	 * stalled us longer than that between fill and check */
	for (int tries = 0; tries < 10; tries++) {
		block("198.51.100.21", 0);
		filled = monotonic_ns();
		expect(&s, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
		assert_int_equal(bpf_map_delete_elem(bpf_test_map_fd(obj, "blocklist"), &key), 0);
		verdict = bpf_test_run_xdp(prog, buf, len);
		if (monotonic_ns() - filled < 30 * 1000000ull)
			break;
	}
	assert_int_equal(verdict, XDP_DROP);
	start = monotonic_ns();
	while (bpf_test_run_xdp(prog, buf, len) == XDP_DROP && monotonic_ns() - start < 2000000000ull)
		usleep(1000);
	assert_true(monotonic_ns() - filled < 400 * 1000000ull);
	expect(&s, 0, XDP_PASS, FW_DDOS_PASS);
}

/* A cached entry keeps its expiry: it stops matching when the entry would
 * have, with no new generation (at HZ below 320, this kernel's 250 among
 * them, 100 ms is within the cache's age limit). */
static void test_cache_keeps_expiry(void **state)
{
	struct frame_spec s;
	uint8_t buf[FRAME_MAX];
	int first = -1, second = -1;
	char src[32];

	pin_to_cpu0();
	/* both drops, the second from the cache, must come before the expiry
	 * (with a tick to spare): a stalled test tries another source */
	for (int i = 0; i < 5; i++) {
		uint64_t expires = monotonic_ns() + 50 * 1000000ull;

		snprintf(src, sizeof(src), "198.51.100.%d", 122 + i);
		s = (struct frame_spec)UDP4(src);
		block(src, expires);
		first = bpf_test_run_xdp(prog, buf, build_frame(&s, buf));
		second = bpf_test_run_xdp(prog, buf, build_frame(&s, buf));
		if (monotonic_ns() < expires - 10 * 1000000ull)
			break;
	}
	assert_int_equal(first, XDP_DROP);
	assert_int_equal(second, XDP_DROP);
	usleep(100 * 1000);
	expect(&s, 0, XDP_PASS, FW_DDOS_PASS);
	unblock(src);
}

/* Generation 0 (no writer announces changes): the cache is off, and a
 * delete is seen on the next packet. */
static void test_cache_off_until_announced(void **state)
{
	struct frame_spec s = UDP4("198.51.100.23");
	uint32_t zero = 0;
	uint64_t gen = 0;

	pin_to_cpu0();
	assert_int_equal(bpf_map_update_elem(bpf_test_map_fd(obj, "blocklist_generation"), &zero,
					     &gen, 0), 0);
	announce = false;
	block("198.51.100.23", 0);
	expect(&s, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
	expect(&s, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
	unblock("198.51.100.23");
	expect(&s, 0, XDP_PASS, FW_DDOS_PASS);
	announce = true;
	new_generation();
}

/* A program with another blocklist that reuses the pinned cache and its
 * generation (as a replaced program may) does not take its entries for its
 * own answers. */
static void test_cache_entries_belong_to_their_blocklist(void **state)
{
	struct frame_spec s = UDP4("198.51.100.24");
	uint8_t buf[FRAME_MAX];
	size_t len = build_frame(&s, buf);
	struct bpf_object *other = bpf_test_open("ddos_filter");
	int other_prog;

	assert_non_null(other);
	assert_int_equal(bpf_map__reuse_fd(bpf_object__find_map_by_name(other, "blocklist_cache"),
					   bpf_test_map_fd(obj, "blocklist_cache")), 0);
	assert_int_equal(bpf_map__reuse_fd(bpf_object__find_map_by_name(other,
									 "blocklist_generation"),
					   bpf_test_map_fd(obj, "blocklist_generation")), 0);
	assert_int_equal(bpf_object__load(other), 0);
	other_prog = bpf_test_prog_fd(other, "ddos_filter");
	pin_to_cpu0();
	block("198.51.100.24", 0);
	expect(&s, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
	expect(&s, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
	assert_int_equal(bpf_test_run_xdp(other_prog, buf, len), XDP_PASS);
	/* and the other way round: its "not listed" is not ours */
	expect(&s, 0, XDP_DROP, FW_DDOS_DROP_BLOCKLIST);
	bpf_object__close(other);
	unblock("198.51.100.24");
}

static int setup_cache_on(void **state)
{
	if (setup(state))
		return -1;
	announce = true;
	new_generation();
	return 0;
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
		cmocka_unit_test(test_drops_summarised_per_source),
		cmocka_unit_test(test_summary_per_interval),
		cmocka_unit_test(test_event_budget_holds),
		cmocka_unit_test(test_drop_summary_vlan_id),
	};
	const struct CMUnitTest cache[] = {
		cmocka_unit_test(test_cache_never_drops_after_delete),
		cmocka_unit_test(test_cache_entry_ages_out),
		cmocka_unit_test(test_cache_keeps_expiry),
		cmocka_unit_test(test_cache_off_until_announced),
		cmocka_unit_test(test_cache_entries_belong_to_their_blocklist),
	};
	int failed = cmocka_run_group_tests_name("ddos_filter", tests, setup, teardown);

	/* Every verdict and counter again, with the verdict cache on */
	failed += cmocka_run_group_tests_name("ddos_filter, verdict cache on", tests, setup_cache_on,
					      teardown);
	return failed + cmocka_run_group_tests_name("ddos_filter, verdict cache", cache,
						    setup_cache_on, teardown);
}
