/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The tracing programs' ABI, shared by bpf/ and src/:
 *  - net_trace (tracepoint net:netif_receive_skb): per-interface counters in
 *    `if_stats` (per-CPU hash, key struct fw_net_if_key, value struct
 *    fw_net_if_stats), program totals in `trace_stats` (per-CPU array,
 *    enum fw_net_trace_counter) and one FW_EVENT_NET_RX record every
 *    `sample_every` packets through `events` (perf event array).
 *  - tcp_trace (tcp_v4_connect): one FW_EVENT_TCP_CONNECT record per outgoing
 *    IPv4 connect through `tcp_events` (ring buffer), the kernel stack in
 *    `stack_traces` (stack trace map), totals in `tcp_stats` (per-CPU array,
 *    enum fw_tcp_trace_counter).
 */
#ifndef FLYWALL_TRACE_H
#define FLYWALL_TRACE_H

#include "flywall/events.h"

/* Interface indexes are per network namespace: the key carries both. */
struct fw_net_if_key {
	__u32 netns_ino;    /* inode of the namespace (stat /proc/PID/ns/net) */
	__u32 ifindex;
};

struct fw_net_if_stats {
	__u64 packets;
	__u64 bytes;        /* skb->len at netif_receive_skb: from the L3 header */
};

enum fw_net_trace_counter {
	FW_NET_TRACE_PACKETS = 0,       /* all packets seen */
	FW_NET_TRACE_EVENTS = 1,        /* events written to `events` */
	FW_NET_TRACE_EVENTS_LOST = 2,   /* events the perf buffer had no room for */
	FW_NET_TRACE_IF_FULL = 3,       /* packets of interfaces `if_stats` had no room for */
	FW_NET_TRACE__COUNT = 4,
};

/* FW_EVENT_NET_RX: one sampled received packet. */
struct fw_net_rx_event {
	struct fw_event_hdr hdr;
	__u32 netns_ino;
	__u32 ifindex;
	__u32 len;          /* skb->len */
	__u16 protocol;     /* ethertype, host order (0x0800 IPv4, 0x86dd IPv6) */
	__u8 ip_proto;      /* IPPROTO_* for IPv4/IPv6 (no extension headers), else 0 */
	__u8 _pad;
	__u8 saddr[16];     /* IPv4 in the first 4 bytes, network order */
	__u8 daddr[16];
	char ifname[16];
};

enum fw_tcp_trace_form {
	FW_TCP_FORM_KPROBE = 1,
	FW_TCP_FORM_FENTRY = 2,
	FW_TCP_FORM_TRACEPOINT = 3,     /* sock:inet_sock_set_state -> SYN_SENT */
};

enum fw_tcp_trace_counter {
	FW_TCP_TRACE_CONNECTS = 0,      /* connects seen */
	FW_TCP_TRACE_EVENTS_LOST = 1,   /* events the ring buffer had no room for */
	FW_TCP_TRACE_STACK_ERRORS = 2,  /* bpf_get_stackid failed (map full, collision) */
	FW_TCP_TRACE__COUNT = 3,
};

/* FW_EVENT_TCP_CONNECT: one outgoing IPv4 TCP connect. */
struct fw_tcp_connect_event {
	struct fw_event_hdr hdr;
	__u32 pid;          /* thread group id (what ps calls the PID) */
	__u32 tid;
	__u32 uid;
	__s32 stack_id;     /* into `stack_traces`, negative errno when unavailable */
	__u32 saddr;        /* network order; 0 until the kernel picked it */
	__u32 daddr;        /* network order */
	__u16 sport;        /* host order; 0 until the kernel picked it */
	__u16 dport;        /* host order */
	__u8 form;          /* enum fw_tcp_trace_form: which hook saw it */
	__u8 _pad[3];
	char comm[16];
};

#ifndef __BPF__
_Static_assert(sizeof(struct fw_net_if_key) == 8, "fw_net_if_key is ABI");
_Static_assert(sizeof(struct fw_net_if_stats) == 16, "fw_net_if_stats is ABI");
_Static_assert(sizeof(struct fw_net_rx_event) == 16 + 64, "fw_net_rx_event is ABI");
_Static_assert(sizeof(struct fw_tcp_connect_event) == 16 + 48, "fw_tcp_connect_event is ABI");
#endif

#endif
