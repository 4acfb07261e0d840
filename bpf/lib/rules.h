/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The rule plane of an XDP filter: L4 rules matched in a fixed number of
 * lookups whatever their number, shadow mode (drops become counted passes),
 * under-attack mode (only allowlisted and established sources pass) and the
 * per-source table behind it and `flywall ebpf top`.
 *
 * Maps and layout: include/flywall/rules.h; design: docs/programs.md#rules.
 * The including program calls fw_rules_check() once per parsed IP packet,
 * after its own block/allow verdicts, and fw_shadow_pass() where it drops.
 */
#ifndef FLYWALL_BPF_RULES_H
#define FLYWALL_BPF_RULES_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "budget.h"
#include "counter_names.h"
#include "flywall/ddos.h"
#include "flywall/rules.h"
#include "parse.h"

/* Args. */
__u32 shadow_mode = 0;          /* 1: every drop becomes a counted pass */
__u32 under_attack = 0;         /* 1: only allowlisted and established sources pass */
__u32 track_sources = 0;        /* 1: keep `talkers` (top talkers, established sources);
				 * off by default: it doubles the cost of a passed packet */
__u32 capture_sample = 0;       /* N > 0: one drop in N (per CPU) into capture_ring */
__u32 capture_snap = 128;       /* bytes kept of a captured frame (1..256) */
__u32 capture_budget = 1000;    /* captured frames per second, whole program */
/* Read by the daemon, not here (like blocklist_size): sources over
 * auto_block_pps (0: off) are blocklisted for auto_block_seconds. */
__u64 auto_block_pps = 0;
__u32 auto_block_seconds = 300;

#define FW_RULES_ACCEPT 255     /* fw_rules_check(): a pass/rate_limit rule accepted it */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_rule_ctl);
	__uint(max_entries, 3);
} rule_ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct fw_rule_port_key);
	__type(value, struct fw_rule_bitmap);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} rule_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct fw_rule_addr_key);
	__type(value, struct fw_rule_bitmap);
	__uint(max_entries, 4 * FW_RULES_MAX + 4);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} rule_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_rule_def);
	__uint(max_entries, 2 * FW_RULES_MAX);
} rule_defs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_rule_counter);
	__uint(max_entries, FW_RULES_MAX);
} rule_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_rule_rate);
	__uint(max_entries, FW_RULES_MAX);
} rule_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_RULES_REASON_MAX);
} shadow_counters SEC(".maps");

/* The slots' names for metrics and the dashboard (bpf/lib/counter_names.h):
 * the drops shadow mode passed, by the reason they would have had. */
enum flywall_counters__shadow_counters {
	shadow_counters__would_drop__blocklisted = FW_DDOS_DROP_BLOCKLIST,
	shadow_counters__would_drop__cidr_blocklisted = FW_DDOS_DROP_CIDR,
	shadow_counters__would_drop__rate_limited = FW_DDOS_DROP_RATE,
	shadow_counters__would_drop__malformed = FW_DDOS_DROP_MALFORMED,
	shadow_counters__would_drop__fragment = FW_DDOS_DROP_FRAGMENT,
	shadow_counters__would_drop__rule = FW_RULES_REASON_RULE,
	shadow_counters__would_drop__rule_rate_limited = FW_RULES_REASON_RULE_RATE,
	shadow_counters__would_drop__under_attack = FW_RULES_REASON_UNDER_ATTACK,
	shadow_counters__would_drop__feed = FW_RULES_REASON_FEED,
};
FLYWALL_COUNTER_NAMES(shadow_counters);

/* Under-attack bookkeeping: when the mode was seen switched on. */
struct fw_attack_state {
	__u64 since_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_attack_state);
	__uint(max_entries, 1);
} attack_state SEC(".maps");

/* Sources that reached the rule stage (not blocklisted), bounded by LRU. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct fw_talker_key);
	__type(value, struct fw_talker);
	__uint(max_entries, FW_TALKERS_MAX);
} talkers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} feed_ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct fw_feed_key);
	__type(value, __u32);
	__uint(max_entries, 1 << 20);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} feed_cidrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_FEEDS_MAX);
} feed_hits SEC(".maps");

/* Whether the source is in a feed of the live generation (counted). */
static __always_inline bool fw_feed_listed(const struct fw_pkt *pkt)
{
	struct fw_feed_key key = { .prefixlen = 8 + 128 };
	__u32 zero = 0, *gen, *feed;
	__u64 *hits;

	if (READ_ONCE(((struct lpm_trie *)&feed_cidrs)->n_entries) == 0)
		return false;
	gen = bpf_map_lookup_elem(&feed_ctl, &zero);
	if (!gen)
		return false;
	key.gen = *gen & 1;
	__builtin_memcpy(key.addr, pkt->saddr, 16);
	feed = bpf_map_lookup_elem(&feed_cidrs, &key);
	if (!feed)
		return false;
	hits = bpf_map_lookup_elem(&feed_hits, feed);
	if (hits)
		*hits += 1;
	return true;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} capture_ring SEC(".maps");

struct fw_capture_state {
	__u64 tat_ns;                   /* the budget's bucket, shared by all CPUs */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_capture_state);
	__uint(max_entries, 1);
} capture_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} capture_seen SEC(".maps");

/* Samples a dropped frame into capture_ring (see include/flywall/rules.h). */
static __always_inline void fw_capture(struct xdp_md *ctx, __u32 reason)
{
	__u32 zero = 0, n = capture_sample, len, budget = capture_budget;
	__u64 snap = capture_snap;
	struct fw_capture_state *st;
	struct fw_capture_rec *rec;
	__u64 *seen, now;

	if (!n)
		return;
	seen = bpf_map_lookup_elem(&capture_seen, &zero);
	if (!seen || (*seen)++ % n)
		return;
	st = bpf_map_lookup_elem(&capture_state, &zero);
	now = bpf_ktime_get_ns();
	if (!st || !budget ||
	    !fw_budget_take(&st->tat_ns, 1000000000ull / budget,
			    (1000000000ull / budget) * ((budget / 10) ?: 1), now))
		return;
	rec = bpf_ringbuf_reserve(&capture_ring, sizeof(*rec), 0);
	if (!rec)
		return;
	len = ctx->data_end - ctx->data;
	if (snap > FW_CAPTURE_SNAP_MAX)
		snap = FW_CAPTURE_SNAP_MAX;
	if (snap > len)
		snap = len;
	asm volatile("" : "+r"(snap)); /* the verifier must see the bounds on this register */
	if (snap < 1 || snap > FW_CAPTURE_SNAP_MAX || bpf_xdp_load_bytes(ctx, 0, rec->data, snap)) {
		bpf_ringbuf_discard(rec, 0);
		return;
	}
	rec->ts_ns = now;
	rec->len = len;
	rec->caplen = snap;
	rec->ifindex = ctx->ingress_ifindex;
	rec->reason = reason;
	bpf_ringbuf_submit(rec, 0);
}

/* What a rule looks at beyond the addresses. */
struct fw_rule_pkt {
	__u16 dport;
	__u8 has_port;
	__u8 tcp_flags;
	__u8 proto;
	__u32 len;
};

/* Index of the lowest set bit of x (x != 0), without a table. */
static __always_inline __u32 fw_lowest_bit(__u64 x)
{
	__u32 n = 0;

	x &= -x;
	if (x & 0xFFFFFFFF00000000ull)
		n += 32;
	if (x & 0xFFFF0000FFFF0000ull)
		n += 16;
	if (x & 0xFF00FF00FF00FF00ull)
		n += 8;
	if (x & 0xF0F0F0F0F0F0F0F0ull)
		n += 4;
	if (x & 0xCCCCCCCCCCCCCCCCull)
		n += 2;
	if (x & 0xAAAAAAAAAAAAAAAAull)
		n += 1;
	return n;
}

static __always_inline void fw_rules_l4(struct xdp_md *ctx, const struct fw_pkt *pkt,
					struct fw_rule_pkt *rp)
{
	void *end = (void *)(long)ctx->data_end;

	rp->proto = pkt->l4proto;
	rp->len = ctx->data_end - ctx->data;
	if (!pkt->l4)
		return;
	if (pkt->l4proto == FW_IPPROTO_TCP) {
		struct tcphdr *tcp = pkt->l4;

		if ((void *)(tcp + 1) > end)
			return;
		rp->dport = bpf_ntohs(tcp->dest);
		rp->has_port = 1;
		rp->tcp_flags = ((__u8 *)tcp)[13];
	} else if (pkt->l4proto == FW_IPPROTO_UDP) {
		struct udphdr *udp = pkt->l4;

		if ((void *)(udp + 1) > end)
			return;
		rp->dport = bpf_ntohs(udp->dest);
		rp->has_port = 1;
	}
}

/* The candidate bitmap for the packet's protocol and port: the most specific
 * key present (each key holds the less specific rules too). */
static __always_inline const struct fw_rule_bitmap *fw_rules_ports(__u8 gen,
								 const struct fw_rule_pkt *rp)
{
	struct fw_rule_port_key key = { .gen = gen, .proto = rp->proto };
	const struct fw_rule_bitmap *b;

	if (rp->has_port) {
		key.kind = FW_RULE_PORT_EXACT;
		key.port = rp->dport;
		b = bpf_map_lookup_elem(&rule_ports, &key);
		if (b)
			return b;
		key.kind = FW_RULE_PORT_BUCKET;
		key.port = rp->dport >> 8;
		b = bpf_map_lookup_elem(&rule_ports, &key);
		if (b)
			return b;
	}
	key.kind = FW_RULE_PORT_PROTO;
	key.port = 0;
	b = bpf_map_lookup_elem(&rule_ports, &key);
	if (b)
		return b;
	key.kind = FW_RULE_PORT_ANY;
	key.proto = 0;
	return bpf_map_lookup_elem(&rule_ports, &key);
}

/* The bitmap of the longest prefix in use that holds the address. */
static __always_inline const struct fw_rule_bitmap *fw_rules_addr(const struct fw_rule_ctl *info,
								__u8 gen, __u8 dim,
								const __u32 addr[4])
{
	struct fw_rule_addr_key key = { .gen = gen, .dim = dim };
	const struct fw_rule_bitmap *b;
	__u32 n = info->n_lens[dim & 1];
	int i, w;

	for (i = 0; i < FW_RULES_LENS; i++) {
		__u32 len;

		if (i >= n)
			break;
		len = info->lens[dim & 1][i];
		key.prefixlen = len;
#pragma unroll
		for (w = 0; w < 4; w++) {
			__s32 bits = (__s32)len - 32 * w;
			__u32 mask = bits <= 0 ? 0 : bits >= 32 ? ~0u : bpf_htonl(~0u << (32 - bits));

			((__u32 *)key.addr)[w] = addr[w] & mask;
		}
		b = bpf_map_lookup_elem(&rule_addrs, &key);
		if (b)
			return b;
	}
	return NULL;
}

/* One rate_limit rule's bucket (GCRA, as ddos_filter's own limiter). */
static __always_inline bool fw_rule_over_rate(const struct fw_rule_def *def, __u64 now)
{
	__u32 slot = def->slot;
	struct fw_rule_rate *r = bpf_map_lookup_elem(&rule_rate, &slot);
	__u64 interval, tolerance, old, tat;

	if (!r || !def->rate_pps)
		return false;
	interval = 1000000000ull / def->rate_pps;
	tolerance = interval * (def->rate_pps / 10 ?: 1);
	old = READ_ONCE(r->tat_ns);
	tat = old > now ? old : now;
	if (tat - now > tolerance)
		return true;
	__sync_val_compare_and_swap(&r->tat_ns, old, tat + interval);
	return false;
}

struct fw_rules_walk {
	const struct fw_rule_bitmap *a, *b, *c;
	const struct fw_rule_pkt *rp;
	__u32 gen;
	__u32 s;                /* summary word being walked */
	__u64 blocks;           /* its candidate blocks not yet walked */
	__u32 w;                /* block being walked */
	__u64 bits;             /* its candidate rules not yet tried */
	__u32 verdict;          /* 0, FW_RULES_ACCEPT or a drop reason */
	__s32 rule;             /* the deciding rule's slot */
};

/* Whether the rule at position r of the walk's generation matches what the
 * bitmaps could not tell (port range, TCP flags), and its verdict. */
static __always_inline int fw_rule_try(struct fw_rules_walk *wk, __u32 r)
{
	__u32 index = wk->gen * FW_RULES_MAX + r;
	const struct fw_rule_def *def = bpf_map_lookup_elem(&rule_defs, &index);
	const struct fw_rule_pkt *rp = wk->rp;
	struct fw_rule_counter *c;
	__u32 slot;

	if (!def || !def->action)
		return 0;
	if (def->proto && def->proto != rp->proto)
		return 0;
	if (def->dport_hi &&
	    (!rp->has_port || rp->dport < def->dport_lo || rp->dport > def->dport_hi))
		return 0;
	if (def->tcp_flags_mask &&
	    (rp->proto != FW_IPPROTO_TCP || !rp->has_port ||
	     (rp->tcp_flags & def->tcp_flags_mask) != def->tcp_flags_value))
		return 0;
	slot = def->slot;
	c = bpf_map_lookup_elem(&rule_counters, &slot);
	if (c) {
		c->packets++;
		c->bytes += rp->len;
	}
	switch (def->action) {
	case FW_RULE_DROP:
		wk->verdict = FW_RULES_REASON_RULE;
		break;
	case FW_RULE_PASS:
		wk->verdict = FW_RULES_ACCEPT;
		break;
	case FW_RULE_RATE_LIMIT:
		wk->verdict = fw_rule_over_rate(def, bpf_ktime_get_ns()) ?
			      FW_RULES_REASON_RULE_RATE : FW_RULES_ACCEPT;
		break;
	default: /* count: on to the next rule */
		return 0;
	}
	wk->rule = slot;
	return 1;
}

/* One step of the walk (a bpf_loop callback, so the verifier checks it once):
 * the next candidate rule, the next candidate block, or the next summary
 * word. Returns 1 to stop. */
static long fw_rules_step(__u32 i, void *data)
{
	struct fw_rules_walk *wk = data;
	__u32 w, s;

	if (wk->bits) {
		__u32 bit = fw_lowest_bit(wk->bits);

		wk->bits &= wk->bits - 1;
		return fw_rule_try(wk, wk->w * 64 + bit);
	}
	if (wk->blocks) {
		/* s < 4 and the bit < 64: the mask only tells the verifier */
		w = (wk->s * 64 + fw_lowest_bit(wk->blocks)) & (FW_RULES_WORDS - 1);
		wk->blocks &= wk->blocks - 1;
		wk->w = w;
		wk->bits = wk->a->words[w] & wk->b->words[w] & wk->c->words[w];
		return 0;
	}
	s = ++wk->s;
	if (s >= FW_RULES_SUMMARY)
		return 1;
	asm volatile("" : "+r"(s)); /* keep the mask: it is what the verifier reads */
	s &= FW_RULES_SUMMARY - 1;
	wk->blocks = wk->a->summary[s] & wk->b->summary[s] & wk->c->summary[s];
	return 0;
}

/* Counts the packet against its source in `talkers`; returns the entry. */
static __always_inline struct fw_talker *fw_talker_note(const struct fw_pkt *pkt, __u32 len,
							__u64 now)
{
	struct fw_talker_key key;
	struct fw_talker *t, fresh = { .packets = 1, .bytes = len, .first_ns = now };

	__builtin_memcpy(key.addr, pkt->saddr, 16);
	t = bpf_map_lookup_elem(&talkers, &key);
	if (t) {
		__sync_fetch_and_add(&t->packets, 1);
		__sync_fetch_and_add(&t->bytes, len);
		return t;
	}
	bpf_map_update_elem(&talkers, &key, &fresh, BPF_NOEXIST);
	return NULL;
}

/*
 * Under-attack mode: a source passes only if it was seen here (reached the
 * rule stage) before the mode was switched on. Allowlisted sources pass
 * anyway: the program's allowlist overrides every drop reason.
 */
static __always_inline bool fw_attack_drop(const struct fw_talker *t, __u64 now)
{
	__u32 zero = 0;
	struct fw_attack_state *st = bpf_map_lookup_elem(&attack_state, &zero);

	if (!st)
		return false;
	if (!under_attack) {
		if (st->since_ns)
			st->since_ns = 0;
		return false;
	}
	if (!st->since_ns)
		st->since_ns = now;
	return !t || t->first_ns >= st->since_ns;
}

/*
 * The rule plane's verdict on a parsed IP packet: 0 (no rule decided),
 * FW_RULES_ACCEPT, or a drop reason (enum fw_rules_reason); *rule gets the
 * deciding rule's counter slot, or -1.
 */
static __always_inline __u32 fw_rules_check(struct xdp_md *ctx, const struct fw_pkt *pkt,
					    __s32 *rule)
{
	struct fw_rules_walk wk = {};
	struct fw_rule_pkt rp = {};
	struct fw_talker *t = NULL;
	struct fw_rule_ctl *ctl, *info;
	__u32 zero = 0, index;
	__u64 now = 0;

	*rule = -1;
	if (fw_feed_listed(pkt))
		return FW_RULES_REASON_FEED;
	fw_rules_l4(ctx, pkt, &rp);
	if (track_sources || under_attack) {
		now = bpf_ktime_get_coarse_ns();
		t = fw_talker_note(pkt, rp.len, now);
		if (fw_attack_drop(t, now))
			return FW_RULES_REASON_UNDER_ATTACK;
	}
	ctl = bpf_map_lookup_elem(&rule_ctl, &zero);
	if (!ctl)
		return 0;
	wk.gen = ctl->gen & 1;
	index = 1 + wk.gen;
	info = bpf_map_lookup_elem(&rule_ctl, &index);
	if (!info || !info->count)
		return 0;
	wk.a = fw_rules_ports(wk.gen, &rp);
	if (!wk.a)
		return 0;
	wk.b = fw_rules_addr(info, wk.gen, FW_RULE_SRC, pkt->saddr);
	if (!wk.b)
		return 0;
	wk.c = fw_rules_addr(info, wk.gen, FW_RULE_DST, pkt->daddr);
	if (!wk.c)
		return 0;
	wk.rp = &rp;
	wk.rule = -1;
	/* the first summary word with candidates, here: a callback per empty
	 * word would make rules far down the list cost more */
	for (int s = 0; s < FW_RULES_SUMMARY; s++) {
		wk.s = s;
		wk.blocks = wk.a->summary[s] & wk.b->summary[s] & wk.c->summary[s];
		if (wk.blocks)
			break;
	}
	if (!wk.blocks)
		return 0;
	bpf_loop(FW_RULES_MAX + FW_RULES_WORDS + FW_RULES_SUMMARY, fw_rules_step, &wk, 0);
	*rule = wk.rule;
	return wk.verdict;
}

/*
 * Called where the program drops: samples the frame for capture, and in
 * shadow mode turns the drop into a pass, counted by reason (and by rule
 * when a rule decided). Returns true then.
 */
static __always_inline bool fw_shadow_pass(struct xdp_md *ctx, __u32 reason, __s32 rule)
{
	__u32 slot;
	__u64 *n;

	fw_capture(ctx, reason);
	if (!shadow_mode)
		return false;
	if (reason < FW_RULES_REASON_MAX) {
		n = bpf_map_lookup_elem(&shadow_counters, &reason);
		if (n)
			*n += 1;
	}
	if (rule >= 0) {
		struct fw_rule_counter *c;

		slot = rule;
		c = bpf_map_lookup_elem(&rule_counters, &slot);
		if (c)
			c->would_drop++;
	}
	return true;
}

#endif
