/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ingress_filter (TC): connection-tracking key and entry, the allowed-ports
 * key, counter indices and the conntrack event. Shared by
 * bpf/ingress_filter.bpf.c and user space; sizes checked at the bottom.
 * docs/programs.md#ingress_filter describes the policy.
 */
#ifndef FLYWALL_CONNTRACK_H
#define FLYWALL_CONNTRACK_H

#ifdef __BPF__
/* vmlinux.h provides the __u types */
#else
#include <linux/types.h>
#endif

#include "flywall/events.h"

/*
 * Key of `conntrack` (lru_hash). Both directions of a flow share one entry:
 * the endpoint (address, port) that compares lower (address bytes first,
 * then port) is always `lo`. Addresses are 16 bytes, IPv4 as ::ffff:a.b.c.d;
 * ports are host order. ICMP echo flows use the echo identifier as both ports.
 */
struct fw_ct_key {
	__u8 lo_addr[16];
	__u8 hi_addr[16];
	__u16 lo_port;
	__u16 hi_port;
	__u8 proto;             /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	__u8 pad[3];
};

enum fw_ct_state {
	FW_CT_NEW = 0,          /* not stored; a packet without an entry */
	FW_CT_SYN_SENT = 1,     /* TCP: initiator's SYN seen */
	FW_CT_SYN_RECV = 2,     /* TCP: responder's SYN-ACK seen */
	FW_CT_ESTABLISHED = 3,  /* TCP after the handshake; UDP/ICMP once replied */
	FW_CT_CLOSING = 4,      /* TCP: a FIN seen */
	FW_CT_CLOSED = 5,       /* TCP: an RST seen */
	FW_CT_UNREPLIED = 6,    /* UDP/ICMP: only the initiator has sent */
};

/* Which endpoint of the key opened the flow. */
enum fw_ct_side { FW_CT_SIDE_LO = 0, FW_CT_SIDE_HI = 1 };

struct fw_ct_entry {
	__u64 last_seen_ns;     /* bpf_ktime_get_ns() of the last packet */
	__u64 packets;          /* both directions */
	__u64 bytes;
	__u8 state;             /* enum fw_ct_state */
	__u8 initiator;         /* enum fw_ct_side */
	__u8 fin_seen;          /* bit per side that sent a FIN */
	__u8 pad[5];
};

/* Key of `allowed_ports` (hash): new inbound flows to (proto, port) are
 * allowed. Port 0 allows every port of the protocol (and any other protocol
 * by number). ICMP echo requests are allowed with proto IPPROTO_ICMP /
 * IPPROTO_ICMPV6, port 0. Host order. Value: __u32, unused (set 1). */
struct fw_ct_port_key {
	__u16 port;
	__u8 proto;
	__u8 pad;
};

/* Indices of the per-CPU array `counters` (64 slots; the rest are spare). */
enum fw_ct_counter {
	FW_CT_PASS_ESTABLISHED = 0,     /* packet of a tracked flow */
	FW_CT_PASS_NEW = 1,             /* new flow to an allowed port: entry created */
	FW_CT_PASS_RELATED = 2,         /* ICMP error about a tracked flow */
	FW_CT_PASS_NON_IP = 3,          /* ARP and other non-IP frames */
	FW_CT_PASS_FRAGMENT = 4,        /* non-first fragment (no ports to track) */
	FW_CT_PASS_ND = 5,              /* ICMPv6 neighbour/router discovery */
	FW_CT_DROP_INVALID = 6,         /* TCP with bad flags, or not starting with SYN */
	FW_CT_DROP_NOT_ALLOWED = 7,     /* new flow to a port not in allowed_ports */
	FW_CT_DROP_MALFORMED = 8,       /* truncated or invalid header */
	FW_CT_DROP_UNRELATED = 9,       /* ICMP error / echo reply with no flow */
	FW_CT_ENTRY_EXPIRED = 10,       /* entry found past its timeout: replaced */
	FW_CT_ENTRY_FAILED = 11,        /* could not insert an entry */
	FW_CT_EGRESS_SEEN = 12,         /* packets the egress companion saw */
	FW_CT_EGRESS_NEW = 13,          /* flows the egress companion opened */
	FW_CT_EVENT_LOST = 14,          /* drop events lost: ring full */
	FW_CT_EVENT_SENT = 15,          /* drop events written to `ct_events` */
	FW_CT_EVENT_SUPPRESSED = 16,    /* sampled drop events over event_budget, not written */
	FW_CT_COUNTER_USED = 17,
	FW_CT_COUNTER_MAX = 64,         /* size of `counters` */
};

/* Record in the ring buffer `ct_events`, hdr.type FW_EVENT_CONNTRACK:
 * a sampled drop of ingress_filter. */
struct fw_ct_event {
	struct fw_event_hdr hdr;
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 reason;            /* enum fw_ct_counter of the drop */
	__u8 tcp_flags;
	__u8 family;            /* 4 or 6 */
	__u32 ifindex;
	__u32 reserved;
};

#ifndef __BPF__
_Static_assert(sizeof(struct fw_ct_key) == 40, "fw_ct_key is ABI");
_Static_assert(sizeof(struct fw_ct_entry) == 32, "fw_ct_entry is ABI");
_Static_assert(sizeof(struct fw_ct_port_key) == 4, "fw_ct_port_key is ABI");
_Static_assert(sizeof(struct fw_ct_event) == 64, "fw_ct_event is ABI");
#endif

#endif
