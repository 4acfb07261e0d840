/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * L4 rules of ddos_filter (bpf/lib/rules.h): map keys and values shared by
 * the kernel side and the rule compiler (src/ebpf/rules.c). The design is in
 * docs/programs.md#rules; in short:
 *
 * A rule set is compiled into one of two generations (halves). Every key
 * carries its generation; `rule_ctl[0].gen` names the live one, so a new set
 * is written into the other half and published by one 4-byte store.
 *
 * A packet costs a fixed number of lookups whatever the number of rules:
 *  - `rule_ports` (hash): (gen, proto, port key) -> bitmap of the rules that
 *    may match a packet of that protocol and destination port. Exact ports
 *    have their own key; ranges are bucketed by 256 ports; a protocol's
 *    port-less rules and the "any protocol" rules are folded into every key
 *    at compile time. At most 4 probes: exact, bucket, protocol, any.
 *  - `rule_addrs` (hash): (gen, source|destination, prefix length, address
 *    masked to it) -> bitmap of the rules whose CIDR covers that prefix; the
 *    /0 entry also holds the rules without that field. The prefix lengths a
 *    generation uses (at most FW_RULES_LENS per field) are probed longest
 *    first: the first hit is the longest match. Not an LPM trie: a trie's
 *    lookup walks deeper as it fills (measured 1.5x slower at 10,000 /24s
 *    than at 10), a probe per length in use does not.
 *  - The three bitmaps are AND-ed, a summary word at a time first (one bit
 *    per 64-rule block), and the lowest set bit is the first rule in order
 *    that may match; `rule_defs` confirms it (port range, TCP flags).
 */
#ifndef FLYWALL_RULES_H
#define FLYWALL_RULES_H

#ifdef __BPF__
/* vmlinux.h provides the __u types */
#else
#include <linux/types.h>
#endif

#define FW_RULES_MAX 16384                      /* rules per set */
#define FW_RULES_WORDS (FW_RULES_MAX / 64)      /* 256 */
#define FW_RULES_SUMMARY (FW_RULES_WORDS / 64)  /* 4 */
#define FW_RULE_NAME_MAX 48

/* A bitmap of rules by position: bit i of words[i / 64] is rule i;
 * summary bit j says words[j] is not zero. */
struct fw_rule_bitmap {
	__u64 summary[FW_RULES_SUMMARY];
	__u64 words[FW_RULES_WORDS];
};

/* Port keys of `rule_ports`. */
enum fw_rule_port_kind {
	FW_RULE_PORT_EXACT = 0,         /* port = the destination port */
	FW_RULE_PORT_BUCKET = 1,        /* port = destination port / 256 */
	FW_RULE_PORT_PROTO = 2,         /* port = 0: any port of this protocol */
	FW_RULE_PORT_ANY = 3,           /* proto = 0, port = 0: any protocol */
};

struct fw_rule_port_key {
	__u8 gen;
	__u8 kind;                      /* enum fw_rule_port_kind */
	__u8 proto;                     /* IPPROTO_*; 0 with FW_RULE_PORT_ANY */
	__u8 pad;
	__u16 port;                     /* host order */
	__u16 pad2;
};

/* Key of `rule_addrs`. IPv4 as ::ffff:a.b.c.d/96+N. */
enum fw_rule_dim { FW_RULE_SRC = 0, FW_RULE_DST = 1 };
struct fw_rule_addr_key {
	__u8 gen;
	__u8 dim;                       /* enum fw_rule_dim */
	__u8 prefixlen;                 /* 0..128 */
	__u8 pad;
	__u8 addr[16];                  /* masked to prefixlen */
};
#define FW_RULES_LENS 16                /* distinct prefix lengths per field */

enum fw_rule_action {
	FW_RULE_DROP = 1,
	FW_RULE_PASS = 2,               /* accept: skips the rate limit and later rules */
	FW_RULE_RATE_LIMIT = 3,         /* over rate_pps (all matching packets): drop */
	FW_RULE_COUNT = 4,              /* count and go on to the next rule */
};

/* `rule_defs` (array, 2 * FW_RULES_MAX): the rule at position i of
 * generation g is entry g * FW_RULES_MAX + i. The kernel keeps the whole
 * rule set, so the daemon rebuilds its view from here after a restart. */
struct fw_rule_def {
	char name[FW_RULE_NAME_MAX];
	__u8 action;                    /* enum fw_rule_action; 0: unused */
	__u8 proto;                     /* IPPROTO_*; 0: any */
	__u8 tcp_flags_mask;            /* flags that must have... */
	__u8 tcp_flags_value;           /* ...these values (SYN without ACK: 0x12 / 0x02) */
	__u16 dport_lo, dport_hi;       /* 0, 0: any port */
	__u64 rate_pps;                 /* FW_RULE_RATE_LIMIT */
	__u32 slot;                     /* index in `rule_counters` and `rule_rate` */
	__u32 src_prefixlen;            /* 0..128 (IPv4 96+N) when has_src */
	__u32 dst_prefixlen;
	__u8 src[16], dst[16];
	__u8 has_src, has_dst, family;  /* family 4 or 6 when an address is given, else 0 */
	__u8 pad;
};

/* `rule_counters` (percpu_array, FW_RULES_MAX): per rule slot. A slot keeps
 * its rule across rule-set changes that keep the rule (by name). */
struct fw_rule_counter {
	__u64 packets;
	__u64 bytes;
	__u64 would_drop;               /* drops turned into passes by shadow mode */
};

/* `rule_rate` (array, FW_RULES_MAX): GCRA state of a rate_limit rule's slot. */
struct fw_rule_rate {
	__u64 tat_ns;
};

/* `rule_ctl` (array, 3 entries), written by user space only: entry 0's gen
 * names the live generation; entry 1 + g describes generation g. A new set
 * fills its own entry first, then entry 0 flips. */
struct fw_rule_ctl {
	__u32 gen;                      /* entry 0: the live generation, 0 or 1 */
	__u32 count;                    /* rules in this generation; 0: skip */
	__u8 n_lens[2];                 /* by enum fw_rule_dim */
	__u8 lens[2][FW_RULES_LENS];    /* prefix lengths in use, longest first */
	__u8 pad[6];
};

/* `talkers` (lru_hash, FW_TALKERS_MAX): every source that reached the rule
 * stage (not blocklisted), with packet and byte totals (shared by all CPUs,
 * atomic adds). Bounded: the least recently seen source goes first. Feeds
 * `flywall ebpf top` (rates from two reads) and under-attack mode
 * ("established" = first_ns before the mode was switched on). */
#define FW_TALKERS_MAX 65536
struct fw_talker_key {
	__u8 addr[16];
};
struct fw_talker {
	__u64 packets;
	__u64 bytes;
	__u64 first_ns;                 /* coarse CLOCK_MONOTONIC of the first packet */
};

/*
 * Feeds (threat lists loaded from files): `feed_cidrs` (LPM trie) holds the
 * merged prefixes of every feed of the program, in two generations like the
 * rules: the generation is the key's first 8 bits (prefixlen = 8 + the
 * address prefix); `feed_ctl[0]` names the live one. The value is the feed's
 * index, which counts the hit in `feed_hits` (percpu_array, FW_FEEDS_MAX).
 */
#define FW_FEEDS_MAX 64
struct fw_feed_key {
	__u32 prefixlen;
	__u8 gen;
	__u8 addr[16];
	__u8 pad[3];
};

/*
 * Capture of dropped packets: with the arg capture_sample = N > 0, one drop
 * in N (per CPU) goes into the ring buffer `capture_ring` as one record,
 * within capture_budget records per second for the whole program (a GCRA
 * bucket in `capture_state`). `flywall ebpf capture` writes them as a pcap.
 */
#define FW_CAPTURE_SNAP_MAX 256
struct fw_capture_rec {
	__u64 ts_ns;                    /* CLOCK_MONOTONIC */
	__u32 len;                      /* the frame's length */
	__u32 caplen;                   /* bytes in data */
	__u32 ifindex;
	__u8 reason;                    /* the drop reason (counter index) */
	__u8 pad[3];
	__u8 data[FW_CAPTURE_SNAP_MAX];
};

/* Drop reasons of the rule plane, counted in `ddos_counters` beside the
 * program's own (enum fw_ddos_counter) and in the drop summaries. */
enum fw_rules_reason {
	FW_RULES_REASON_RULE = 12,      /* a drop rule matched */
	FW_RULES_REASON_RULE_RATE = 13, /* a rate_limit rule's rate was exceeded */
	FW_RULES_REASON_UNDER_ATTACK = 14, /* under_attack: neither allowlisted nor established */
	FW_RULES_REASON_FEED = 15,      /* source in a feed (feed_cidrs) */
	FW_RULES_REASON_MAX = 16,
};

/* `shadow_counters` (percpu_array, FW_RULES_REASON_MAX): packets that shadow
 * mode passed, by the reason they would have been dropped for. */

#ifndef __BPF__
_Static_assert(sizeof(struct fw_rule_port_key) == 8, "fw_rule_port_key is ABI");
_Static_assert(sizeof(struct fw_rule_addr_key) == 20, "fw_rule_addr_key is ABI");
_Static_assert(sizeof(struct fw_rule_ctl) == 48, "fw_rule_ctl is ABI");
_Static_assert(sizeof(struct fw_rule_def) == 112, "fw_rule_def is ABI");
_Static_assert(sizeof(struct fw_capture_rec) == 24 + FW_CAPTURE_SNAP_MAX, "fw_capture_rec is ABI");
_Static_assert(sizeof(struct fw_feed_key) == 24, "fw_feed_key is ABI");
_Static_assert(sizeof(struct fw_rule_counter) == 24, "fw_rule_counter is ABI");
_Static_assert(sizeof(struct fw_rule_bitmap) == 8 * (FW_RULES_SUMMARY + FW_RULES_WORDS),
	       "fw_rule_bitmap is ABI");
#endif

#endif
