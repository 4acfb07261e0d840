// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * egress_shaper (TC egress): holds egress traffic to `shaping.rate`.
 *
 * This kernel has no sch_fq, so pacing by skb->tstamp (EDT) would be
 * ignored. Instead user space (src/ebpf/shaping.c) installs a root HTB qdisc
 * with one class at rate/burst, and this program steers every packet into
 * that class by setting skb->priority to its classid: HTB queues, so TCP
 * slows down instead of losing packets. Where HTB cannot be installed, the
 * program runs as a policer (mode 1): a token bucket that drops what is over
 * the rate. Design and counters: docs/programs.md#egress_shaper.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "flywall/shaper.h"
#include "telemetry.h"
#include "counter_names.h"

/* Pass, and let the next program on the hook have its say: a tcx chain stops
 * at TC_ACT_OK, so returning it would skip the programs after this one (the
 * shaper after ingress_filter's egress companion, say). */
#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT 2
#define NS_PER_S 1000000000ull

/* Args, set by user space from `shaping = { rate, burst }` and the mode
 * fw_shaping_apply() reports (see fw_shaping_program_args()). */
__u32 mode = FW_SHAPER_MODE_HTB;        /* enum fw_shaper_mode */
__u32 classid = FW_SHAPER_CLASSID;      /* htb: the class to steer into */
__u64 rate_bps = 0;                     /* police: bits per second, 0 = no limit */
__u64 burst_bytes = 0;                  /* police: bucket depth */

/* police: the bucket shared by all CPUs, as a GCRA arrival time. */
struct police_bucket {
	__u64 tat_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct police_bucket);
	__uint(max_entries, 1);
} police_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_SHAPER_COUNTER_MAX);
} shaper_counters SEC(".maps");

/* The slots' names for metrics and the dashboard (bpf/lib/counter_names.h). */
enum flywall_counters__shaper_counters {
	shaper_counters__pass__steered = FW_SHAPER_STEERED_PKTS,
	shaper_counters__steered_bytes = FW_SHAPER_STEERED_BYTES,
	shaper_counters__pass__within_rate = FW_SHAPER_POLICE_PASS_PKTS,
	shaper_counters__passed_bytes = FW_SHAPER_POLICE_PASS_BYTES,
	shaper_counters__drop__over_rate = FW_SHAPER_POLICE_DROP_PKTS,
	shaper_counters__dropped_bytes = FW_SHAPER_POLICE_DROP_BYTES,
	shaper_counters__pass__unshaped = FW_SHAPER_UNSHAPED_PKTS,
};
FLYWALL_COUNTER_NAMES(shaper_counters);

/*
 * A packet of len bytes conforms if the bucket's arrival time is no more
 * than the burst's worth of time ahead of now; then it moves the time on by
 * the packet's transmission time at rate_bps. Lock-free: a lost race is
 * retried a few times, then the packet is let through.
 */
static __always_inline bool police_conforms(__u32 len, __u64 rate, __u64 burst)
{
	__u64 cost = (__u64)len * 8 * NS_PER_S / rate;
	__u64 tolerance = burst * 8 * NS_PER_S / rate;
	struct police_bucket *b;
	__u32 zero = 0;
	int i;

	b = bpf_map_lookup_elem(&police_state, &zero);
	if (!b)
		return true;
	for (i = 0; i < 4; i++) {
		__u64 now = bpf_ktime_get_ns();
		__u64 old = b->tat_ns;
		__u64 tat = old > now ? old : now;

		if (tat - now > tolerance)
			return false;
		if (__sync_val_compare_and_swap(&b->tat_ns, old, tat + cost) == old)
			return true;
	}
	return true;
}

SEC("tc")
int egress_shaper(struct __sk_buff *skb)
{
	__u64 rate = rate_bps;

	if (mode == FW_SHAPER_MODE_HTB) {
		skb->priority = classid;
		fw_count(&shaper_counters, FW_SHAPER_STEERED_PKTS);
		fw_count_add(&shaper_counters, FW_SHAPER_STEERED_BYTES, skb->len);
		return TC_ACT_UNSPEC;
	}
	if (!rate) {
		fw_count(&shaper_counters, FW_SHAPER_UNSHAPED_PKTS);
		return TC_ACT_UNSPEC;
	}
	if (police_conforms(skb->len, rate, burst_bytes)) {
		fw_count(&shaper_counters, FW_SHAPER_POLICE_PASS_PKTS);
		fw_count_add(&shaper_counters, FW_SHAPER_POLICE_PASS_BYTES, skb->len);
		return TC_ACT_UNSPEC;
	}
	fw_count(&shaper_counters, FW_SHAPER_POLICE_DROP_PKTS);
	fw_count_add(&shaper_counters, FW_SHAPER_POLICE_DROP_BYTES, skb->len);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
