// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * socket_monitor: a socket filter that watches DNS (UDP port 53, IPv4 and
 * IPv6) and DHCP (UDP ports 67/68, IPv4) and counts them in `stats` (layout in
 * include/flywall/monitor.h); every well-formed message also goes to user
 * space as an event through `monitor_events`.
 *
 * The engine attaches it to an AF_PACKET socket, which sees copies of the
 * interface's packets: the host's services receive theirs whatever this
 * program returns. It returns 0 for every packet, so that the monitoring
 * socket itself never queues copies nobody reads.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "flywall/monitor.h"
#include "telemetry.h"
#include "counter_names.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define PACKET_OUTGOING 4
#define LOOPBACK_IFINDEX 1
#define IP_MF_OFFSET 0x3fff

#define DNS_PORT 53
#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_MAGIC_COOKIE 0x63825363
#define DHCP_FIXED_LEN 236      /* BOOTP header up to the magic cookie */
#define DHCP_OPT_PAD 0
#define DHCP_OPT_MSG_TYPE 53
#define DHCP_OPT_END 255
#define DHCP_MAX_OPTIONS 128

#define DNS_HDR_LEN 12
#define DNS_QR 0x8000
#define DNS_TC 0x0200
#define DNS_RCODE 0x000f
#define DNS_MAX_STEPS 136       /* 127 labels fill 255 bytes, plus pointer jumps */
#define DNS_MAX_JUMPS 8

/* Which services to watch (`sockets = [...]`), set by the engine. */
const volatile __u32 flywall_services = FW_MON_SVC_DNS | FW_MON_SVC_DHCP;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_MON_STATS_SIZE);
} stats SEC(".maps");

/* The slots' names for metrics and the dashboard (bpf/lib/counter_names.h):
 * the totals, DHCP messages by type and DNS responses by RCODE. */
enum flywall_counters__stats {
	stats__packets = FW_MON_PACKETS,
	stats__dns_queries = FW_MON_DNS_QUERIES,
	stats__dns_responses = FW_MON_DNS_RESPONSES,
	stats__dns_malformed = FW_MON_DNS_MALFORMED,
	stats__dhcp_messages = FW_MON_DHCP_MESSAGES,
	stats__dhcp_malformed = FW_MON_DHCP_MALFORMED,
	stats__events_lost = FW_MON_EVENTS_LOST,
	stats__dns_truncated = FW_MON_DNS_TRUNCATED,
	stats__dhcp_discover = FW_MON_DHCP_TYPE_BASE + 1,
	stats__dhcp_offer = FW_MON_DHCP_TYPE_BASE + 2,
	stats__dhcp_request = FW_MON_DHCP_TYPE_BASE + 3,
	stats__dhcp_decline = FW_MON_DHCP_TYPE_BASE + 4,
	stats__dhcp_ack = FW_MON_DHCP_TYPE_BASE + 5,
	stats__dhcp_nak = FW_MON_DHCP_TYPE_BASE + 6,
	stats__dhcp_release = FW_MON_DHCP_TYPE_BASE + 7,
	stats__dhcp_inform = FW_MON_DHCP_TYPE_BASE + 8,
	stats__dns_noerror = FW_MON_DNS_RCODE_BASE + 0,
	stats__dns_formerr = FW_MON_DNS_RCODE_BASE + 1,
	stats__dns_servfail = FW_MON_DNS_RCODE_BASE + 2,
	stats__dns_nxdomain = FW_MON_DNS_RCODE_BASE + 3,
	stats__dns_notimp = FW_MON_DNS_RCODE_BASE + 4,
	stats__dns_refused = FW_MON_DNS_RCODE_BASE + 5,
};
FLYWALL_COUNTER_NAMES(stats);

/* 1 MiB: about 3,100 DNS events, 30 ms of a 100,000/s burst */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} monitor_events SEC(".maps");

/*
 * A DNS event is too big for the stack. The spill after it lets a label copy
 * start anywhere in the name: the verifier checks bounds against the map
 * value, and the parser rejects names that would really overflow.
 */
struct dns_scratch {
	struct fw_dns_event ev;
	char spill[72];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct dns_scratch);
	__uint(max_entries, 1);
} dns_scratch SEC(".maps");

/* A UDP datagram's addresses, ports and where its payload lies. */
struct udp_flow {
	__u32 payload;          /* offset from skb->data */
	__u32 end;              /* offset from skb->data, past the payload */
	__u16 sport;
	__u16 dport;
	__u8 family;
	__u8 saddr[16];
	__u8 daddr[16];
};

/*
 * Where the network header starts, counted from skb->data. An AF_PACKET
 * socket sees the packet from its link-layer header, BPF_PROG_TEST_RUN from
 * its network header; bpf_skb_load_bytes, the helper that also reads paged
 * data, counts from skb->data. The first 16 bytes of the network header
 * (linear, read relative to it) tell which offset is right.
 */
static __always_inline int network_offset(struct __sk_buff *skb)
{
	static const __u32 candidates[] = { 0, 14, 18, 22 };
	__u64 want[2], got[2];

	if (bpf_skb_load_bytes_relative(skb, 0, want, sizeof(want), BPF_HDR_START_NET))
		return -1;
#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (bpf_skb_load_bytes(skb, candidates[i], got, sizeof(got)))
			return -1;
		if (got[0] == want[0] && got[1] == want[1])
			return candidates[i];
	}
	return -1;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, struct udp_flow *flow, __u32 *l4)
{
	struct iphdr ip;

	if (bpf_skb_load_bytes_relative(skb, 0, &ip, sizeof(ip), BPF_HDR_START_NET))
		return -1;
	if (ip.ihl < 5 || ip.protocol != IPPROTO_UDP || (ip.frag_off & bpf_htons(IP_MF_OFFSET)))
		return -1;
	flow->family = 4;
	__builtin_memcpy(flow->saddr, &ip.saddr, 4);
	__builtin_memcpy(flow->daddr, &ip.daddr, 4);
	*l4 = ip.ihl * 4;
	return 0;
}

/* Extension headers are not followed: DNS and DHCP do not use them. */
static __always_inline int parse_ipv6(struct __sk_buff *skb, struct udp_flow *flow, __u32 *l4)
{
	struct ipv6hdr ip6;

	if (bpf_skb_load_bytes_relative(skb, 0, &ip6, sizeof(ip6), BPF_HDR_START_NET))
		return -1;
	if (ip6.nexthdr != IPPROTO_UDP)
		return -1;
	flow->family = 6;
	__builtin_memcpy(flow->saddr, &ip6.saddr, 16);
	__builtin_memcpy(flow->daddr, &ip6.daddr, 16);
	*l4 = sizeof(ip6);
	return 0;
}

/* Fills flow for a UDP datagram; the payload bounds are resolved later. */
static __always_inline int parse_udp(struct __sk_buff *skb, struct udp_flow *flow, __u32 *l4)
{
	__u16 proto = bpf_ntohs(skb->protocol);
	struct udphdr udp;
	int err;

	if (proto == ETH_P_IP)
		err = parse_ipv4(skb, flow, l4);
	else if (proto == ETH_P_IPV6)
		err = parse_ipv6(skb, flow, l4);
	else
		return -1;
	if (err || bpf_skb_load_bytes_relative(skb, *l4, &udp, sizeof(udp), BPF_HDR_START_NET))
		return -1;
	flow->sport = bpf_ntohs(udp.source);
	flow->dport = bpf_ntohs(udp.dest);
	flow->end = bpf_ntohs(udp.len);     /* relative to the UDP header for now */
	return 0;
}

/* Turns the payload bounds into offsets bpf_skb_load_bytes understands. */
static __always_inline int locate_payload(struct __sk_buff *skb, struct udp_flow *flow, __u32 l4)
{
	int net = network_offset(skb);
	__u32 udp_len = flow->end;

	if (net < 0 || udp_len < sizeof(struct udphdr))
		return -1;
	flow->payload = net + l4 + sizeof(struct udphdr);
	flow->end = net + l4 + udp_len;
	if (flow->end > skb->len)
		flow->end = skb->len;
	return 0;
}

/* ---- DNS ---------------------------------------------------------------- */

struct dns_name_walk {
	struct __sk_buff *skb;
	char *name;             /* the event's name field (spill after it) */
	__u32 msg;              /* offset of the DNS header */
	__u32 end;
	__u32 off;              /* next label */
	__u32 pos;              /* bytes written to name */
	__u32 after;            /* offset just past the name in the question */
	__u32 jumps;
	int status;             /* 0 walking, 1 done, -1 malformed */
};

static __always_inline long dns_fail(struct dns_name_walk *w)
{
	w->status = -1;
	return 1;
}

/* One label or compression pointer of the question name; bpf_loop callback. */
static long dns_name_step(__u32 i, void *data)
{
	struct dns_name_walk *w = data;
	__u32 off = w->off, pos = w->pos;
	__u8 len, low;

	if (off >= w->end || bpf_skb_load_bytes(w->skb, off, &len, 1))
		return dns_fail(w);
	if (len == 0) {
		if (!w->after)
			w->after = off + 1;
		w->name[pos & (FW_DNS_NAME_MAX - 1)] = '\0';
		w->status = 1;
		return 1;
	}
	if ((len & 0xc0) == 0xc0) {
		/* RFC 1035 4.1.4; only backwards, so a loop cannot hold us */
		if (off + 1 >= w->end || bpf_skb_load_bytes(w->skb, off + 1, &low, 1))
			return dns_fail(w);
		__u32 target = w->msg + (((__u32)(len & 0x3f) << 8) | low);

		if (target >= off || target < w->msg + DNS_HDR_LEN || ++w->jumps > DNS_MAX_JUMPS)
			return dns_fail(w);
		if (!w->after)
			w->after = off + 2;
		w->off = target;
		return 0;
	}
	if (len & 0xc0)         /* 0x40 and 0x80 label types are not in use */
		return dns_fail(w);
	if (pos + len + 1 >= FW_DNS_NAME_MAX || off + 1 + len > w->end)
		return dns_fail(w);
	if (pos)
		w->name[pos++ & (FW_DNS_NAME_MAX - 1)] = '.';
	/* (len - 1) & 63 then + 1: the verifier sees a size in 1..64 */
	if (bpf_skb_load_bytes(w->skb, off + 1, w->name + (pos & (FW_DNS_NAME_MAX - 1)),
			       ((len - 1) & 0x3f) + 1))
		return dns_fail(w);
	w->pos = pos + len;
	w->off = off + 1 + len;
	return 0;
}

static __always_inline void emit_dns(struct dns_scratch *s)
{
	if (bpf_ringbuf_output(&monitor_events, &s->ev, sizeof(s->ev), 0))
		fw_count(&stats, FW_MON_EVENTS_LOST);
}

static __always_inline void monitor_dns(struct __sk_buff *skb, const struct udp_flow *flow)
{
	struct dns_name_walk walk = {};
	struct fw_dns_event *ev;
	struct dns_scratch *s;
	__u16 hdr[6], flags, q[2];
	__u32 zero = 0;

	if (flow->payload + DNS_HDR_LEN > flow->end ||
	    bpf_skb_load_bytes(skb, flow->payload, hdr, sizeof(hdr)) || hdr[2] == 0)
		goto malformed;
	s = bpf_map_lookup_elem(&dns_scratch, &zero);
	if (!s)
		return;
	ev = &s->ev;
	walk.skb = skb;
	walk.name = ev->name;
	walk.msg = flow->payload;
	walk.end = flow->end;
	walk.off = flow->payload + DNS_HDR_LEN;
	bpf_loop(DNS_MAX_STEPS, dns_name_step, &walk, 0);
	if (walk.status != 1 || walk.after + 4 > flow->end ||
	    bpf_skb_load_bytes(skb, walk.after, q, sizeof(q)))
		goto malformed;

	flags = bpf_ntohs(hdr[1]);
	fw_event_start(ev, FW_EVENT_DNS, bpf_ktime_get_ns());
	ev->ifindex = skb->ifindex;
	ev->family = flow->family;
	ev->flags = (flags & DNS_QR ? FW_EVENT_F_RESPONSE : 0) |
		    (flags & DNS_TC ? FW_EVENT_F_TRUNCATED : 0);
	ev->rcode = flags & DNS_RCODE;
	ev->pkt_type = skb->pkt_type;
	__builtin_memcpy(ev->saddr, flow->saddr, 16);
	__builtin_memcpy(ev->daddr, flow->daddr, 16);
	ev->sport = flow->sport;
	ev->dport = flow->dport;
	ev->id = bpf_ntohs(hdr[0]);
	ev->qtype = bpf_ntohs(q[0]);
	ev->qclass = bpf_ntohs(q[1]);
	ev->name_len = walk.pos;
	ev->_pad = 0;

	if (flags & DNS_QR) {
		fw_count(&stats, FW_MON_DNS_RESPONSES);
		fw_count(&stats, FW_MON_DNS_RCODE_BASE + ev->rcode);
		fw_count(&stats, FW_MON_DNS_RESP_QTYPE_BASE + fw_dns_qtype_slot(ev->qtype));
	} else {
		fw_count(&stats, FW_MON_DNS_QUERIES);
		fw_count(&stats, FW_MON_DNS_QUERY_QTYPE_BASE + fw_dns_qtype_slot(ev->qtype));
	}
	if (flags & DNS_TC)
		fw_count(&stats, FW_MON_DNS_TRUNCATED);
	emit_dns(s);
	return;
malformed:
	fw_count(&stats, FW_MON_DNS_MALFORMED);
}

/* ---- DHCP --------------------------------------------------------------- */

struct dhcp_option_walk {
	struct __sk_buff *skb;
	__u32 off;
	__u32 end;
	__u8 msg_type;          /* 0: not seen */
	int status;             /* 0 walking, 1 done, -1 malformed */
};

/* One DHCP option (RFC 2132); bpf_loop callback. */
static long dhcp_option_step(__u32 i, void *data)
{
	struct dhcp_option_walk *w = data;
	__u8 opt[3];

	if (w->off >= w->end) {
		/* options may end with the datagram instead of an END option */
		w->status = w->msg_type ? 1 : -1;
		return 1;
	}
	if (bpf_skb_load_bytes(w->skb, w->off, opt, 1))
		goto bad;
	if (opt[0] == DHCP_OPT_PAD) {
		w->off += 1;
		return 0;
	}
	if (opt[0] == DHCP_OPT_END) {
		w->status = w->msg_type ? 1 : -1;
		return 1;
	}
	if (w->off + 2 > w->end || bpf_skb_load_bytes(w->skb, w->off, opt, 2) ||
	    w->off + 2 + opt[1] > w->end)
		goto bad;
	if (opt[0] == DHCP_OPT_MSG_TYPE) {
		if (opt[1] != 1 || bpf_skb_load_bytes(w->skb, w->off, opt, 3) || opt[2] == 0)
			goto bad;
		w->msg_type = opt[2];
	}
	w->off += 2 + opt[1];
	return 0;
bad:
	w->status = -1;
	return 1;
}

/* The BOOTP header up to and including chaddr. */
struct bootp_head {
	__u8 op, htype, hlen, hops;
	__be32 xid;
	__be16 secs, flags;
	__be32 ciaddr, yiaddr, siaddr, giaddr;
	__u8 chaddr[16];
};

static __always_inline void monitor_dhcp(struct __sk_buff *skb, const struct udp_flow *flow)
{
	struct dhcp_option_walk walk = {};
	struct fw_dhcp_event ev = {};
	struct bootp_head head;
	__be32 cookie;

	if (flow->family != 4 || flow->payload + DHCP_FIXED_LEN + 4 > flow->end ||
	    bpf_skb_load_bytes(skb, flow->payload, &head, sizeof(head)) ||
	    bpf_skb_load_bytes(skb, flow->payload + DHCP_FIXED_LEN, &cookie, 4) ||
	    cookie != bpf_htonl(DHCP_MAGIC_COOKIE))
		goto malformed;
	walk.skb = skb;
	walk.off = flow->payload + DHCP_FIXED_LEN + 4;
	walk.end = flow->end;
	bpf_loop(DHCP_MAX_OPTIONS, dhcp_option_step, &walk, 0);
	if (walk.status != 1)
		goto malformed;

	fw_count(&stats, FW_MON_DHCP_MESSAGES);
	fw_count(&stats, FW_MON_DHCP_TYPE_BASE + fw_dhcp_type_slot(walk.msg_type));
	fw_event_start(&ev, FW_EVENT_DHCP, bpf_ktime_get_ns());
	ev.ifindex = skb->ifindex;
	ev.xid = bpf_ntohl(head.xid);
	ev.msg_type = walk.msg_type;
	ev.op = head.op;
	ev.htype = head.htype;
	ev.hlen = head.hlen;
	__builtin_memcpy(ev.chaddr, head.chaddr, 16);
	ev.ciaddr = head.ciaddr;
	ev.yiaddr = head.yiaddr;
	__builtin_memcpy(&ev.saddr, flow->saddr, 4);
	__builtin_memcpy(&ev.daddr, flow->daddr, 4);
	if (bpf_ringbuf_output(&monitor_events, &ev, sizeof(ev), 0))
		fw_count(&stats, FW_MON_EVENTS_LOST);
	return;
malformed:
	fw_count(&stats, FW_MON_DHCP_MALFORMED);
}

static __always_inline bool is_dns(const struct udp_flow *flow)
{
	return (flywall_services & FW_MON_SVC_DNS) &&
	       (flow->sport == DNS_PORT || flow->dport == DNS_PORT);
}

static __always_inline bool is_dhcp(const struct udp_flow *flow)
{
	return (flywall_services & FW_MON_SVC_DHCP) &&
	       ((flow->sport == DHCP_CLIENT_PORT && flow->dport == DHCP_SERVER_PORT) ||
		(flow->sport == DHCP_SERVER_PORT && flow->dport == DHCP_CLIENT_PORT));
}

SEC("socket")
int socket_monitor(struct __sk_buff *skb)
{
	struct udp_flow flow = {};
	__u32 l4;

	/* loopback shows each packet twice, leaving and arriving: count it once */
	if (skb->pkt_type == PACKET_OUTGOING && skb->ifindex == LOOPBACK_IFINDEX)
		return 0;
	if (parse_udp(skb, &flow, &l4))
		return 0;
	if (is_dns(&flow)) {
		fw_count(&stats, FW_MON_PACKETS);
		if (locate_payload(skb, &flow, l4))
			fw_count(&stats, FW_MON_DNS_MALFORMED);
		else
			monitor_dns(skb, &flow);
	} else if (is_dhcp(&flow)) {
		fw_count(&stats, FW_MON_PACKETS);
		if (locate_payload(skb, &flow, l4))
			fw_count(&stats, FW_MON_DHCP_MALFORMED);
		else
			monitor_dhcp(skb, &flow);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
