/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ddos_filter (XDP): map keys and values, counter indices and the drop event.
 * Shared by bpf/ddos_filter.bpf.c and user space; only fixed-size types, sizes
 * checked at the bottom. docs/programs.md describes the policy.
 *
 * Addresses: IPv4 and IPv6 share every map. An IPv4 address is stored as its
 * IPv4-mapped IPv6 form ::ffff:a.b.c.d (RFC 4291 2.5.5.2), so one 16-byte key
 * serves both families, and an IPv4 CIDR a.b.c.d/N is the prefix ::ffff:a.b.c.d/(96+N).
 */
#ifndef FLYWALL_DDOS_H
#define FLYWALL_DDOS_H

#ifdef __BPF__
/* vmlinux.h provides the __u types */
#else
#include <linux/types.h>
#endif

#include "flywall/events.h"

/* Map `blocklist` (hash) key: one source address. */
struct fw_addr {
	__u8 addr[16];          /* network order; IPv4 as ::ffff:a.b.c.d */
};

/*
 * Value of `blocklist`, `cidr_blocklist` and `allowlist` entries. An entry
 * whose expires_ns is in the past (CLOCK_MONOTONIC, as bpf_ktime_get_ns())
 * no longer matches; 0 means it never expires. User space deletes expired
 * entries at its leisure: the program never writes these maps.
 */
struct fw_list_entry {
	__u64 expires_ns;
};

/* Key of the LPM tries `cidr_blocklist` and `allowlist`. */
struct fw_lpm_key {
	__u32 prefixlen;        /* 0..128; IPv4 /N is 96+N */
	__u8 addr[16];
};

/*
 * `rate_limit` (percpu_array, FW_DDOS_RATE_SLOTS entries): a source maps to
 * slot hash(address) % FW_DDOS_RATE_SLOTS; sources that collide share a
 * budget. The slot's GCRA bucket (its theoretical arrival time) is entry
 * `slot` of `rate_buckets` (array of __u64), shared by all CPUs through
 * compare-and-swap; every CPU's copy in `rate_limit` counts its own drops.
 */
#define FW_DDOS_RATE_SLOTS 1024
struct fw_rate_slot {
	__u64 reserved;         /* 0 (held the bucket before `rate_buckets`) */
	__u64 dropped;          /* packets this slot dropped on this CPU */
};

/*
 * `blocklist_cache` (percpu_array, FW_DDOS_RATE_SLOTS entries, indexed like
 * `rate_limit`): each CPU keeps the blocklist's answer for the last source
 * it looked up in each slot, so a source that keeps sending costs no hash
 * lookup. An entry holds while `blocklist_generation` (array, 1 entry, a
 * __u64) still has the value it was read under, for FW_DDOS_CACHE_TICKS
 * ticks at most, and only for the `blocklist` map it was read from (not for
 * a program with another one that reuses the pinned cache). User space
 * writes a new value there, one never written before, after every change
 * to `blocklist` (the daemon does, after each of its writes); 0, the value
 * at load, leaves the cache off. Expiry needs no new value: the entry's
 * expires_ns is cached with it.
 */
#define FW_DDOS_CACHE_TICKS 32
struct fw_ddos_cache_entry {
	__u8 addr[16];          /* the source, as in `blocklist` */
	__u64 generation;       /* blocklist_generation when read */
	__u64 expires_ns;       /* the entry's, if listed */
	__u64 jiffies;          /* the tick when read */
	__u32 listed;           /* 1: in blocklist, 0: not */
	__u32 map_id;           /* the kernel's id of the `blocklist` it is from */
};

/* Indices of the per-CPU array `ddos_counters`; each counts packets. */
enum fw_ddos_counter {
	FW_DDOS_PASS = 0,               /* IP packet checked and passed */
	FW_DDOS_PASS_NON_IP = 1,        /* not IPv4/IPv6 (ARP, LLDP...): passed unchecked */
	FW_DDOS_PASS_ALLOWLIST = 2,     /* would have been dropped; allowlist won */
	FW_DDOS_DROP_BLOCKLIST = 3,     /* source in `blocklist` */
	FW_DDOS_DROP_CIDR = 4,          /* source in `cidr_blocklist` */
	FW_DDOS_DROP_RATE = 5,          /* source's slot over max_pps */
	FW_DDOS_DROP_MALFORMED = 6,     /* truncated or invalid L2/L3 header */
	FW_DDOS_DROP_FRAGMENT = 7,      /* non-first fragment, drop_fragments set */
	FW_DDOS_FRAGMENT = 8,           /* non-first fragments seen (also in a verdict) */
	FW_DDOS_EVENT_SENT = 9,         /* drop summaries written to `ddos_events` */
	FW_DDOS_EVENT_LOST = 10,        /* drop summaries lost: ring full */
	FW_DDOS_EVENT_SUPPRESSED = 11,  /* drop summaries over event_budget, not written */
	FW_DDOS_COUNTER_MAX = 16,       /* size of `ddos_counters` */
};

/* Why a packet was dropped, as in the event (same values as the counters). */
enum fw_ddos_reason {
	FW_DDOS_REASON_BLOCKLIST = FW_DDOS_DROP_BLOCKLIST,
	FW_DDOS_REASON_CIDR = FW_DDOS_DROP_CIDR,
	FW_DDOS_REASON_RATE = FW_DDOS_DROP_RATE,
	FW_DDOS_REASON_MALFORMED = FW_DDOS_DROP_MALFORMED,
	FW_DDOS_REASON_FRAGMENT = FW_DDOS_DROP_FRAGMENT,
};

/*
 * `ddos_drop_slots` (percpu_array, FW_DDOS_DROP_SLOTS entries): each CPU
 * counts the drops of a source in slot hash(address) % FW_DDOS_DROP_SLOTS
 * until the summary interval ends or another source (or reason) takes the
 * slot; then the count goes out as one struct fw_ddos_summary, within the
 * program's event budget. So a flood from one source costs one event per
 * interval and CPU, not one per drop (or per N drops).
 */
#define FW_DDOS_DROP_SLOTS 256
struct fw_ddos_drop_slot {
	__u8 saddr[16];         /* as in the event; zero if the packet did not parse */
	__u64 packets;          /* drops counted since first_ns; 0: slot free */
	__u64 first_ns;         /* coarse CLOCK_MONOTONIC of the first */
	__u32 ifindex;
	__u8 reason;
	__u8 family;
	__u16 vlan_id;
};

/* Record in the ring buffer `ddos_events`, hdr.type FW_EVENT_DDOS_SUMMARY:
 * `packets` drops of one source for one reason on one CPU (hdr.cpu) between
 * first_ns and hdr.ts_ns (both the coarse clock). */
struct fw_ddos_summary {
	struct fw_event_hdr hdr;
	__u8 saddr[16];         /* ::ffff:a.b.c.d for IPv4; zero if unparsed */
	__u64 packets;
	__u64 first_ns;
	__u32 ifindex;          /* receiving interface */
	__u8 reason;            /* enum fw_ddos_reason */
	__u8 family;            /* 4, 6, or 0 if the packet did not parse */
	__u16 vlan_id;          /* outer VLAN id, 0 if untagged */
};

/* Record of the older per-drop sampled events, hdr.type FW_EVENT_DDOS_DROP
 * (the collector still decodes them for objects built before summaries). */
struct fw_ddos_event {
	struct fw_event_hdr hdr;
	__u8 saddr[16];         /* ::ffff:a.b.c.d for IPv4; zero if unparsed */
	__u32 ifindex;          /* receiving interface */
	__u32 pkt_len;          /* frame length */
	__u8 reason;            /* enum fw_ddos_reason */
	__u8 family;            /* 4, 6, or 0 if the packet did not parse */
	__u16 vlan_id;          /* outer VLAN id, 0 if untagged */
	__u32 reserved;
};

#ifndef __BPF__
_Static_assert(sizeof(struct fw_addr) == 16, "fw_addr is ABI");
_Static_assert(sizeof(struct fw_list_entry) == 8, "fw_list_entry is ABI");
_Static_assert(sizeof(struct fw_lpm_key) == 20, "fw_lpm_key is ABI");
_Static_assert(sizeof(struct fw_rate_slot) == 16, "fw_rate_slot is ABI");
_Static_assert(sizeof(struct fw_ddos_cache_entry) == 48, "fw_ddos_cache_entry is ABI");
_Static_assert(sizeof(struct fw_ddos_event) == 48, "fw_ddos_event is ABI");
_Static_assert(sizeof(struct fw_ddos_drop_slot) == 40, "fw_ddos_drop_slot is ABI");
_Static_assert(sizeof(struct fw_ddos_summary) == 56, "fw_ddos_summary is ABI");
#endif

#endif
