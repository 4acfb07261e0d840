/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * socket_monitor's ABI: the layout of its `stats` counters (a per-CPU array of
 * __u64, 256 entries) and the DNS / DHCP event records it sends through the
 * `monitor_events` ring buffer. Shared by bpf/socket_monitor.bpf.c and src/.
 *
 * stats index layout (each entry: packets, summed over CPUs):
 *     0 .. 15   totals, enum fw_mon_counter
 *    16 .. 31   DHCP messages by message type (option 53): 16 + type for
 *               types 1..15; 16 + 0 for any other value
 *    32 .. 47   DNS responses by RCODE (4-bit header RCODE): 32 + rcode
 *    48 .. 63   reserved (zero)
 *    64 .. 127  DNS queries by QTYPE slot: 64 + fw_dns_qtype_slot(qtype)
 *   128 .. 191  DNS responses by QTYPE slot: 128 + fw_dns_qtype_slot(qtype)
 *   192 .. 255  reserved (zero)
 * QTYPE slots: the QTYPE itself for 0..59 (A=1, NS=2, CNAME=5, SOA=6, PTR=12,
 * MX=15, TXT=16, AAAA=28, SRV=33, ...), 60 = SVCB (64), 61 = HTTPS (65),
 * 62 = ANY (255), 63 = any other QTYPE.
 */
#ifndef FLYWALL_MONITOR_H
#define FLYWALL_MONITOR_H

#include "flywall/events.h"

#define FW_MON_STATS_SIZE 256

/* `flywall_services` bits; the same values as enum fw_service (src/ebpf/spec.h). */
#define FW_MON_SVC_DNS (1u << 0)
#define FW_MON_SVC_DHCP (1u << 1)

enum fw_mon_counter {
	FW_MON_PACKETS = 0,         /* DNS/DHCP candidates seen (UDP to/from a watched port) */
	FW_MON_DNS_QUERIES = 1,     /* well-formed DNS queries (QR = 0) */
	FW_MON_DNS_RESPONSES = 2,   /* well-formed DNS responses (QR = 1) */
	FW_MON_DNS_MALFORMED = 3,   /* short header, no question, bad or cut name */
	FW_MON_DHCP_MESSAGES = 4,   /* well-formed DHCP messages */
	FW_MON_DHCP_MALFORMED = 5,  /* short, no magic cookie, bad options, no type */
	FW_MON_EVENTS_LOST = 6,     /* events dropped: ring buffer full */
	FW_MON_DNS_TRUNCATED = 7,   /* well-formed DNS messages with the TC bit set */
};

#define FW_MON_DHCP_TYPE_BASE 16
#define FW_MON_DHCP_TYPE_SLOTS 16
#define FW_MON_DNS_RCODE_BASE 32
#define FW_MON_DNS_QUERY_QTYPE_BASE 64
#define FW_MON_DNS_RESP_QTYPE_BASE 128
#define FW_MON_QTYPE_SLOTS 64

#define FW_DNS_QTYPE_SLOT_SVCB 60
#define FW_DNS_QTYPE_SLOT_HTTPS 61
#define FW_DNS_QTYPE_SLOT_ANY 62
#define FW_DNS_QTYPE_SLOT_OTHER 63

static inline __u32 fw_dns_qtype_slot(__u16 qtype)
{
	if (qtype < FW_DNS_QTYPE_SLOT_SVCB)
		return qtype;
	switch (qtype) {
	case 64: return FW_DNS_QTYPE_SLOT_SVCB;
	case 65: return FW_DNS_QTYPE_SLOT_HTTPS;
	case 255: return FW_DNS_QTYPE_SLOT_ANY;
	default: return FW_DNS_QTYPE_SLOT_OTHER;
	}
}

static inline __u32 fw_dhcp_type_slot(__u8 type)
{
	return type < FW_MON_DHCP_TYPE_SLOTS ? type : 0;
}

/* Longest name the monitor reports, dotted, NUL included (DNS allows 253). */
#define FW_DNS_NAME_MAX 256

#define FW_EVENT_F_RESPONSE 0x01   /* fw_dns_event.flags: QR bit set */
#define FW_EVENT_F_TRUNCATED 0x02  /* fw_dns_event.flags: TC bit set */

/* FW_EVENT_DNS: one well-formed DNS message (its first question). */
struct fw_dns_event {
	struct fw_event_hdr hdr;
	__u32 ifindex;
	__u8 family;        /* 4 or 6 */
	__u8 flags;         /* FW_EVENT_F_* */
	__u8 rcode;
	__u8 pkt_type;      /* PACKET_HOST, PACKET_OUTGOING, ... */
	__u8 saddr[16];     /* IPv4 in the first 4 bytes, network order */
	__u8 daddr[16];
	__u16 sport;        /* host order */
	__u16 dport;
	__u16 id;           /* DNS transaction id */
	__u16 qtype;
	__u16 qclass;
	__u16 name_len;     /* strlen(name) */
	__u32 _pad;
	char name[FW_DNS_NAME_MAX];  /* "www.example.com", "" for the root */
};

/* FW_EVENT_DHCP: one well-formed DHCP (IPv4) message. */
struct fw_dhcp_event {
	struct fw_event_hdr hdr;
	__u32 ifindex;
	__u32 xid;          /* host order */
	__u8 msg_type;      /* option 53: 1 DISCOVER, 2 OFFER, 3 REQUEST, 5 ACK, ... */
	__u8 op;            /* 1 BOOTREQUEST, 2 BOOTREPLY */
	__u8 htype;
	__u8 hlen;
	__u8 chaddr[16];    /* client hardware address, hlen bytes used */
	__u32 ciaddr;       /* network order */
	__u32 yiaddr;
	__u32 saddr;        /* IP header addresses, network order */
	__u32 daddr;
	__u32 _pad;
};

#ifndef __BPF__
_Static_assert(sizeof(struct fw_dns_event) == 16 + 56 + FW_DNS_NAME_MAX, "fw_dns_event is ABI");
_Static_assert(sizeof(struct fw_dhcp_event) == 16 + 48, "fw_dhcp_event is ABI");
#endif

#endif
