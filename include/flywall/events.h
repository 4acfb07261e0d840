/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Events Flywall's programs send to user space (ring buffer or perf event
 * array). Every record starts with struct fw_event_hdr so the collector can
 * decode any of them without knowing which program sent it. Shared by bpf/
 * and src/: only fixed-size types, sizes checked below.
 */
#ifndef FLYWALL_EVENTS_H
#define FLYWALL_EVENTS_H

#ifdef __BPF__
/* vmlinux.h provides the __u types */
#else
#include <linux/types.h>
#endif

enum fw_event_type {
	FW_EVENT_DDOS_DROP = 1,     /* ddos_filter before summaries: a sampled drop */
	FW_EVENT_CONNTRACK = 2,     /* ingress_filter: a dropped/invalid flow */
	FW_EVENT_DNS = 3,           /* socket_monitor: a DNS query or response */
	FW_EVENT_DHCP = 4,          /* socket_monitor: a DHCP message */
	FW_EVENT_NET_RX = 5,        /* net_trace: a sampled received packet */
	FW_EVENT_TCP_CONNECT = 6,   /* tcp_trace: an outgoing IPv4 connect */
	FW_EVENT_DDOS_SUMMARY = 7,  /* ddos_filter: one source's drops over an interval */
};

struct fw_event_hdr {
	__u16 type;     /* enum fw_event_type */
	__u16 len;      /* whole record, header included */
	__u32 cpu;
	__u64 ts_ns;    /* bpf_ktime_get_ns() */
};

#ifndef __BPF__
_Static_assert(sizeof(struct fw_event_hdr) == 16, "fw_event_hdr is ABI");
#endif

#endif
