// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ddos_filter (XDP): drops packets from blocklisted sources (exact address or
 * CIDR), rate-limits every source to max_pps, and lets an allowlist override
 * any drop. Policy, maps, args and counters: docs/programs.md#ddos_filter.
 *
 * The hot paths, cheapest first: a blocklisted packet costs the parse, one
 * hash lookup, the (usually empty) allowlist lookup, its counter and its
 * source's drop slot; a passed packet the parse, the hash and CIDR lookups,
 * the rate bucket (a clock read and one compare-and-swap) and its counter.
 * Telemetry cannot amplify a flood: drops are summed per source and CPU and
 * summarised once per interval, and the summaries are held to event_budget
 * per second for the whole program by a token bucket here in the kernel.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "budget.h"
#include "flywall/ddos.h"
#include "once.h"
#include "parse.h"
#include "ringbuf.h"
#include "rules.h"

/* Args (globals the engine writes through BTF, at load or at run time). */
__u64 max_pps = 1000000;        /* per source slot; 0 turns limiting off */
__u64 rate_burst = 0;           /* packets above the rate; 0: max_pps / 10 */
__u32 blocklist_size = 100000;  /* admission limit user space keeps `blocklist` to */
__u32 drop_fragments = 0;       /* 1: drop non-first fragments */
__u32 event_budget = 1000;      /* drop summaries per second, whole program; 0: none */
__u32 summary_interval_ms = 1000; /* a source's drops are summed this long; 0: each drop */

/* Values derived from the args, recomputed when an arg changes (cheap check).
 * Kept in a map, not a global, so that the program's globals are its args. */
struct fw_ddos_derived {
	__u64 max_pps, rate_burst, interval_ns, tolerance_ns;
	__u64 budget_tat_ns;    /* the event budget's bucket (GCRA), shared by all CPUs */
	__u64 budget_interval_ns, budget_tolerance_ns;
	__u32 event_budget;
	__u32 precise_clock;    /* burst window too short for the coarse clock */
};

/* The coarse clock moves in ticks of up to 10 ms (HZ=100): a burst window
 * shorter than this needs the precise clock, or only the burst would pass
 * per tick. */
#define COARSE_CLOCK_MIN_WINDOW_NS (20 * 1000000ull)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_ddos_derived);
	__uint(max_entries, 1);
} ddos_derived SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct fw_addr);
	__type(value, struct fw_list_entry);
	__uint(max_entries, 100000);
} blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct fw_lpm_key);
	__type(value, struct fw_list_entry);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} cidr_blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct fw_lpm_key);
	__type(value, struct fw_list_entry);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} allowlist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_rate_slot);
	__uint(max_entries, FW_DDOS_RATE_SLOTS);
} rate_limit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_DDOS_COUNTER_MAX);
} ddos_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_ddos_drop_slot);
	__uint(max_entries, FW_DDOS_DROP_SLOTS);
} ddos_drop_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} ddos_events SEC(".maps");

static __always_inline __u64 count(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&ddos_counters, &index);

	if (!value)
		return 0;
	return ++*value;
}

/* The derived values, refreshed when max_pps, rate_burst or event_budget
 * changed. NULL only if the map is missing (then: no limit, no events). */
static __always_inline struct fw_ddos_derived *derive(void)
{
	__u64 pps = max_pps, burst = rate_burst;
	__u32 budget = event_budget, zero = 0;
	struct fw_ddos_derived *d = bpf_map_lookup_elem(&ddos_derived, &zero);

	if (!d || (d->max_pps == pps && d->rate_burst == burst && d->event_budget == budget))
		return d;
	d->interval_ns = pps ? 1000000000ull / pps : 0;
	if (!burst)
		burst = pps / 10 ?: 1;
	d->tolerance_ns = d->interval_ns * burst;
	d->precise_clock = d->tolerance_ns < COARSE_CLOCK_MIN_WINDOW_NS;
	/* events may come back to back up to a tenth of a second's budget */
	d->budget_interval_ns = budget ? 1000000000ull / budget : 0;
	d->budget_tolerance_ns = d->budget_interval_ns * ((budget / 10) ?: 1);
	d->max_pps = pps;
	d->rate_burst = rate_burst;
	d->event_budget = budget;
	return d;
}

/*
 * The clock for expiry and rate limiting: CLOCK_MONOTONIC at tick resolution.
 * The coarse clock costs a few ns where the precise one costs ~30 here, and a
 * tick is small against the limiter's burst window (100 ms by default): the
 * long-run rate is exact either way. Shorter windows use the precise clock.
 */
static __always_inline __u64 clock_now(__u64 *now)
{
	if (!*now)
		*now = bpf_ktime_get_coarse_ns();
	return *now;
}

static __always_inline bool entry_live(const struct fw_list_entry *entry, __u64 *now)
{
	if (!entry)
		return false;
	if (!entry->expires_ns)
		return true;
	return entry->expires_ns > clock_now(now);
}

/*
 * Whether an LPM trie holds no entry, read from the map itself: a load, where
 * a lookup is a call (and calls are dear: each return pays the CPU's
 * speculation mitigations). The allowlist is consulted on every drop and the
 * CIDR blocklist on every passed packet, and both are usually empty. A
 * lookup racing an update may miss an entry being added, as it may anyway.
 */
static __always_inline bool trie_empty(void *trie)
{
	return READ_ONCE(((struct lpm_trie *)trie)->n_entries) == 0;
}

static __always_inline bool listed(void *trie, const struct fw_pkt *pkt, __u64 *now)
{
	struct fw_lpm_key key = { .prefixlen = 128 };

	if (trie_empty(trie))
		return false;
	__builtin_memcpy(key.addr, pkt->saddr, 16);
	return entry_live(bpf_map_lookup_elem(trie, &key), now);
}

static __always_inline __u32 slot_of(const struct fw_pkt *pkt)
{
	__u32 h = pkt->saddr[0] ^ pkt->saddr[1] ^ pkt->saddr[2] ^ pkt->saddr[3];

	return (h * 0x9E3779B1u) >> 22; /* Fibonacci hash to 10 bits */
}

/*
 * GCRA (a token bucket in one number): each packet moves the slot's
 * theoretical arrival time on by 1/max_pps; a packet arriving more than the
 * burst tolerance before it is over the rate and does not move it.
 *
 * The limit must hold whichever CPU a source's packets land on, so the
 * bucket of a slot is CPU 0's copy in the per-CPU `rate_limit`, shared by all
 * CPUs through compare-and-swap; each CPU's own copy counts its drops. A
 * packet that loses the race three times passes.
 */
static __always_inline bool over_rate(const struct fw_pkt *pkt, __u64 *now,
				      const struct fw_ddos_derived *d)
{
	struct fw_rate_slot *bucket, *mine;
	__u32 index;
	__u64 t;
	int i;

	if (!d || !d->interval_ns)
		return false;
	index = slot_of(pkt);
	bucket = bpf_map_lookup_percpu_elem(&rate_limit, &index, 0);
	if (!bucket)
		return false; /* a map resized below 1024 slots fails open */
	t = d->precise_clock ? bpf_ktime_get_ns() : clock_now(now);
	for (i = 0; i < 3; i++) {
		__u64 old = READ_ONCE(bucket->tat_ns);
		__u64 tat = old > t ? old : t;

		if (tat - t > d->tolerance_ns) {
			mine = bpf_map_lookup_elem(&rate_limit, &index);
			if (mine)
				mine->dropped++;
			return true;
		}
		if (__sync_val_compare_and_swap(&bucket->tat_ns, old, tat + d->interval_ns) == old)
			return false;
	}
	return false;
}

/* The event budget (bpf/lib/budget.h); its bucket lives in ddos_derived. */
static __always_inline bool within_budget(struct fw_ddos_derived *d, __u64 now)
{
	return d && fw_budget_take(&d->budget_tat_ns, d->budget_interval_ns,
				   d->budget_tolerance_ns, now);
}

/* Writes the slot's count as one summary event, if the budget allows. */
static __always_inline void send_summary(const struct fw_ddos_drop_slot *slot, __u64 now)
{
	struct fw_ddos_summary *ev;

	if (!within_budget(derive(), now)) {
		count(FW_DDOS_EVENT_SUPPRESSED);
		return;
	}
	ev = bpf_ringbuf_reserve(&ddos_events, sizeof(*ev), 0);
	if (!ev) {
		count(FW_DDOS_EVENT_LOST);
		return;
	}
	ev->hdr.type = FW_EVENT_DDOS_SUMMARY;
	ev->hdr.len = sizeof(*ev);
	ev->hdr.cpu = bpf_get_smp_processor_id();
	ev->hdr.ts_ns = now;
	__builtin_memcpy(ev->saddr, slot->saddr, 16);
	ev->packets = slot->packets;
	ev->first_ns = slot->first_ns;
	ev->ifindex = slot->ifindex;
	ev->reason = slot->reason;
	ev->family = slot->family;
	ev->vlan_id = slot->vlan_id;
	bpf_ringbuf_submit(ev, fw_ringbuf_wakeup(&ddos_events));
	count(FW_DDOS_EVENT_SENT);
}

static __always_inline bool same_source(const struct fw_ddos_drop_slot *slot,
					const struct fw_pkt *pkt, __u32 reason)
{
	const __u32 *a = (const __u32 *)slot->saddr;

	return slot->reason == reason &&
	       !((a[0] ^ pkt->saddr[0]) | (a[1] ^ pkt->saddr[1]) |
		 (a[2] ^ pkt->saddr[2]) | (a[3] ^ pkt->saddr[3]));
}

/*
 * Adds one drop to its source's slot on this CPU. The clock is read for a
 * slot's first 64 drops and then every 64th: a flood's source pays for it
 * once in 64 drops, and its summary is at most 63 drops late.
 */
static __always_inline void summarise(struct xdp_md *ctx, const struct fw_pkt *pkt,
				      __u32 reason, __u64 *now)
{
	__u32 index = slot_of(pkt) >> 2; /* the top 8 of its 10 bits */
	struct fw_ddos_drop_slot *slot = bpf_map_lookup_elem(&ddos_drop_slots, &index);
	__u64 n;

	if (!slot)
		return;
	n = slot->packets;
	if (n && same_source(slot, pkt, reason)) {
		if ((n >= 64 && (n & 63)) ||
		    clock_now(now) - slot->first_ns < summary_interval_ms * 1000000ull) {
			slot->packets = n + 1;
			return;
		}
	}
	if (n)
		send_summary(slot, clock_now(now));
	__builtin_memcpy(slot->saddr, pkt->saddr, 16);
	slot->packets = 1;
	slot->first_ns = clock_now(now);
	slot->ifindex = ctx->ingress_ifindex;
	slot->reason = reason;
	slot->family = pkt->family;
	slot->vlan_id = pkt->vlan_id;
}

static __always_inline int drop(struct xdp_md *ctx, const struct fw_pkt *pkt, __u32 reason,
				__s32 rule, __u64 *now)
{
	if (fw_shadow_pass(ctx, reason, rule))
		return XDP_PASS;
	count(reason);
	summarise(ctx, pkt, reason, now);
	return XDP_DROP;
}

/* Returns the reason to drop a parsed IP packet, or 0 to pass it. */
static __always_inline __u32 drop_reason(struct xdp_md *ctx, const struct fw_pkt *pkt,
					 __s32 *rule, __u64 *now)
{
	const struct fw_ddos_derived *d;
	__u32 verdict;

	if (entry_live(bpf_map_lookup_elem(&blocklist, pkt->saddr), now))
		return FW_DDOS_REASON_BLOCKLIST;
	if (listed(&cidr_blocklist, pkt, now))
		return FW_DDOS_REASON_CIDR;
	/* ---- the rule plane (bpf/lib/rules.h): under-attack mode, L4 rules ---- */
	verdict = fw_rules_check(ctx, pkt, rule);
	if (verdict == FW_RULES_ACCEPT)
		return 0;
	if (verdict)
		return verdict;
	/* ---- end of the rule plane ---- */
	if (pkt->later_fragment) {
		count(FW_DDOS_FRAGMENT);
		if (drop_fragments)
			return FW_DDOS_REASON_FRAGMENT;
	}
	d = derive();
	if (over_rate(pkt, now, d))
		return FW_DDOS_REASON_RATE;
	return 0;
}

SEC("xdp")
int ddos_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct fw_pkt pkt = {};
	__u64 now = 0;
	__s32 rule = -1;
	__u32 reason;

	switch (fw_parse_packet(data, end, end - data, &pkt)) {
	case FW_PARSE_OK:
		break;
	case FW_PARSE_NOT_IP:
		count(FW_DDOS_PASS_NON_IP);
		return XDP_PASS;
	default:
		return drop(ctx, &pkt, FW_DDOS_REASON_MALFORMED, -1, &now);
	}
	reason = drop_reason(ctx, &pkt, &rule, &now);
	if (!reason) {
		count(FW_DDOS_PASS);
		return XDP_PASS;
	}
	if (listed(&allowlist, &pkt, &now)) {
		count(FW_DDOS_PASS_ALLOWLIST);
		return XDP_PASS;
	}
	return drop(ctx, &pkt, reason, rule, &now);
}

char LICENSE[] SEC("license") = "GPL";
