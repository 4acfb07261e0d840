// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ddos_filter (XDP): drops packets from blocklisted sources (exact address or
 * CIDR), rate-limits every source to max_pps, and lets an allowlist override
 * any drop. Policy, maps, args and counters: docs/programs.md#ddos_filter.
 *
 * The hot paths make no call while a source keeps sending (every helper
 * or map call costs a return, which this CPU's speculation mitigations make
 * dear; array lookups and the tick counter are inlined by the verifier): a
 * blocklisted packet costs the parse, its source's entry in the per-CPU
 * verdict cache, the (usually empty) allowlist's entry count, its counter
 * and its source's drop slot; a passed or rate-limited one the parse, the
 * cache entry, the CIDR trie's entry count, the rate bucket (one
 * compare-and-swap when it passes) and its counter. The cache stands in for
 * the blocklist's hash lookup; the clock is read once a tick per CPU.
 * Telemetry cannot amplify a flood: drops are summed per source and CPU and
 * summarised once per interval, and the summaries are held to event_budget
 * per second for the whole program by a token bucket here in the kernel.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "budget.h"
#include "counter_names.h"
#include "flywall/ddos.h"
#include "once.h"
#include "parse.h"
#include "ringbuf.h"
#include "telemetry.h"
#include "rules.h"
#include "xdp_chain.h"

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

/* The blocklist verdict cache (include/flywall/ddos.h): user space writes a
 * new generation after every change to `blocklist`; 0 leaves the cache off. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} blocklist_generation SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_ddos_cache_entry);
	__uint(max_entries, FW_DDOS_RATE_SLOTS);
} blocklist_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_rate_slot);
	__uint(max_entries, FW_DDOS_RATE_SLOTS);
} rate_limit SEC(".maps");

/* The slots' GCRA buckets, shared by all CPUs (an array: its lookup is
 * inlined, where reaching another CPU's copy of a per-CPU map is a call). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_DDOS_RATE_SLOTS);
} rate_buckets SEC(".maps");

/* Each CPU's coarse clock as last read, and the tick it was read in. */
struct fw_ddos_clock {
	__u64 jiffies;
	__u64 coarse_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_ddos_clock);
	__uint(max_entries, 1);
} ddos_clock SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_DDOS_COUNTER_MAX);
} ddos_counters SEC(".maps");

/* The slots' names for metrics and the dashboard (bpf/lib/counter_names.h). */
enum flywall_counters__ddos_counters {
	ddos_counters__pass__checked = FW_DDOS_PASS,
	ddos_counters__pass__non_ip = FW_DDOS_PASS_NON_IP,
	ddos_counters__pass__allowlisted = FW_DDOS_PASS_ALLOWLIST,
	ddos_counters__drop__blocklisted = FW_DDOS_DROP_BLOCKLIST,
	ddos_counters__drop__cidr_blocklisted = FW_DDOS_DROP_CIDR,
	ddos_counters__drop__rate_limited = FW_DDOS_DROP_RATE,
	ddos_counters__drop__malformed = FW_DDOS_DROP_MALFORMED,
	ddos_counters__drop__fragment = FW_DDOS_DROP_FRAGMENT,
	ddos_counters__fragments_seen = FW_DDOS_FRAGMENT,
	ddos_counters__events_sent = FW_DDOS_EVENT_SENT,
	ddos_counters__events_lost = FW_DDOS_EVENT_LOST,
	ddos_counters__events_suppressed = FW_DDOS_EVENT_SUPPRESSED,
	ddos_counters__drop__rule = FW_RULES_REASON_RULE,
	ddos_counters__drop__rule_rate_limited = FW_RULES_REASON_RULE_RATE,
	ddos_counters__drop__under_attack = FW_RULES_REASON_UNDER_ATTACK,
	ddos_counters__drop__feed = FW_RULES_REASON_FEED,
};
FLYWALL_COUNTER_NAMES(ddos_counters);

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
 * The coarse clock moves once a tick, so each CPU reads it once a tick: the
 * tick counter (bpf_jiffies64(), inlined into a load) says when. The tick
 * handler moves the counter a moment before the clock: a read that finds
 * the clock not yet moved is not kept, the next packet reads again. A tick is
 * small against the limiter's burst window (100 ms by default): the
 * long-run rate is exact either way. Shorter windows use the precise clock.
 */
static __always_inline __u64 tick_clock(void)
{
	__u32 zero = 0;
	struct fw_ddos_clock *c = bpf_map_lookup_elem(&ddos_clock, &zero);
	__u64 tick = bpf_jiffies64(), ns;

	if (c && c->jiffies == tick)
		return c->coarse_ns;
	ns = bpf_ktime_get_coarse_ns();
	if (c && ns != c->coarse_ns) {
		c->jiffies = tick;
		c->coarse_ns = ns;
	}
	return ns;
}

static __always_inline __u64 clock_now(__u64 *now)
{
	if (!*now)
		*now = tick_clock();
	return *now;
}

static __always_inline bool live(__u64 expires_ns, __u64 *now)
{
	return !expires_ns || expires_ns > clock_now(now);
}

static __always_inline bool entry_live(const struct fw_list_entry *entry, __u64 *now)
{
	return entry && live(entry->expires_ns, now);
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

static __always_inline bool same_addr(const __u8 cached[16], const struct fw_pkt *pkt)
{
	const __u64 *a = (const __u64 *)cached, *b = (const __u64 *)pkt->saddr;

	return !((a[0] ^ b[0]) | (a[1] ^ b[1]));
}

/* Stops the compiler from moving memory accesses across this point. */
#define compiler_barrier() asm volatile("" ::: "memory")

/* The kernel's id of this program's `blocklist`, read from the map (a load):
 * the cache and its generation may be pinned and reused by a program that
 * has another blocklist, whose answers those entries are not. */
static __always_inline __u32 blocklist_id(void)
{
	return ((struct bpf_map *)&blocklist)->id;
}

/*
 * Whether the source is in `blocklist` and live, answered from this CPU's
 * verdict cache while the generation it was read under is still current.
 * The generation is read before the hash: a change user space makes after
 * that lookup is followed by a new generation, so a verdict is never used
 * after the change it missed was announced. The cache is off (generation 0)
 * until user space announces changes; an entry is trusted for
 * FW_DDOS_CACHE_TICKS ticks at most, in case a writer does not announce.
 */
static __always_inline bool blocklisted(const struct fw_pkt *pkt, __u64 *now)
{
	__u32 zero = 0, index = slot_of(pkt);
	__u64 *generation = bpf_map_lookup_elem(&blocklist_generation, &zero);
	__u64 gen = generation ? READ_ONCE(*generation) : 0, tick = bpf_jiffies64(), expires;
	struct fw_ddos_cache_entry *c = gen ? bpf_map_lookup_elem(&blocklist_cache, &index) : NULL;
	struct fw_list_entry *entry;

	if (c && c->generation == gen && tick - c->jiffies < FW_DDOS_CACHE_TICKS &&
	    same_addr(c->addr, pkt) && c->map_id == blocklist_id())
		return c->listed && live(c->expires_ns, now);
	compiler_barrier();
	entry = bpf_map_lookup_elem(&blocklist, pkt->saddr);
	expires = entry ? READ_ONCE(entry->expires_ns) : 0;
	if (c) {
		__builtin_memcpy(c->addr, pkt->saddr, 16);
		c->map_id = blocklist_id();
		c->generation = gen;
		c->expires_ns = expires;
		c->jiffies = tick;
		c->listed = entry != NULL;
	}
	return entry && live(expires, now);
}

/*
 * GCRA (a token bucket in one number): each packet moves the slot's
 * theoretical arrival time on by 1/max_pps; a packet arriving more than the
 * burst tolerance before it is over the rate and does not move it.
 *
 * The limit must hold whichever CPU a source's packets land on, so a slot's
 * bucket is in `rate_buckets`, shared by all CPUs through compare-and-swap;
 * each CPU's copy of the slot in the per-CPU `rate_limit` counts its drops.
 * A packet that loses the race three times passes.
 */
static __always_inline bool over_rate(const struct fw_pkt *pkt, __u64 *now,
				      const struct fw_ddos_derived *d)
{
	struct fw_rate_slot *mine;
	__u64 *bucket, t;
	__u32 index;
	int i;

	if (!d || !d->interval_ns)
		return false;
	index = slot_of(pkt);
	mine = bpf_map_lookup_elem(&rate_limit, &index);
	bucket = bpf_map_lookup_elem(&rate_buckets, &index);
	if (!mine || !bucket)
		return false; /* a map resized below 1024 slots fails open */
	t = d->precise_clock ? bpf_ktime_get_ns() : clock_now(now);
	for (i = 0; i < 3; i++) {
		__u64 old = READ_ONCE(*bucket);
		__u64 tat = old > t ? old : t;

		if (tat - t > d->tolerance_ns) {
			mine->dropped++;
			return true;
		}
		if (__sync_val_compare_and_swap(bucket, old, tat + d->interval_ns) == old)
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
		fw_count(&ddos_counters, FW_DDOS_EVENT_SUPPRESSED);
		return;
	}
	ev = bpf_ringbuf_reserve(&ddos_events, sizeof(*ev), 0);
	if (!ev) {
		fw_count(&ddos_counters, FW_DDOS_EVENT_LOST);
		return;
	}
	fw_event_start(ev, FW_EVENT_DDOS_SUMMARY, now);
	__builtin_memcpy(ev->saddr, slot->saddr, 16);
	ev->packets = slot->packets;
	ev->first_ns = slot->first_ns;
	ev->ifindex = slot->ifindex;
	ev->reason = slot->reason;
	ev->family = slot->family;
	ev->vlan_id = slot->vlan_id;
	bpf_ringbuf_submit(ev, fw_ringbuf_wakeup(&ddos_events));
	fw_count(&ddos_counters, FW_DDOS_EVENT_SENT);
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
	fw_count(&ddos_counters, reason);
	summarise(ctx, pkt, reason, now);
	return XDP_DROP;
}

/* Returns the reason to drop a parsed IP packet, or 0 to pass it. */
static __always_inline __u32 drop_reason(struct xdp_md *ctx, const struct fw_pkt *pkt,
					 __s32 *rule, __u64 *now)
{
	const struct fw_ddos_derived *d;
	__u32 verdict;

	if (blocklisted(pkt, now))
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
		fw_count(&ddos_counters, FW_DDOS_FRAGMENT);
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
		fw_count(&ddos_counters, FW_DDOS_PASS_NON_IP);
		return fw_xdp_chain_next(ctx);
	default:
		return drop(ctx, &pkt, FW_DDOS_REASON_MALFORMED, -1, &now);
	}
	reason = drop_reason(ctx, &pkt, &rule, &now);
	if (!reason) {
		fw_count(&ddos_counters, FW_DDOS_PASS);
		return fw_xdp_chain_next(ctx);
	}
	if (listed(&allowlist, &pkt, &now)) {
		fw_count(&ddos_counters, FW_DDOS_PASS_ALLOWLIST);
		return fw_xdp_chain_next(ctx);
	}
	return drop(ctx, &pkt, reason, rule, &now);
}

char LICENSE[] SEC("license") = "GPL";
