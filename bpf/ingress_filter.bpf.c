// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ingress_filter (TC): a stateful filter. Packets of tracked flows pass; a
 * new inbound flow passes only to a (protocol, port) listed in
 * `allowed_ports`, and TCP that is not a valid part of a connection is
 * dropped. Policy, maps, args and counters: docs/programs.md#ingress_filter.
 *
 * Two programs share the `conntrack` map:
 *   ingress_filter         attach on ingress: filters and tracks
 *   ingress_filter_egress  attach on egress of the same interface: never
 *                          drops; tracks the flows this host opens, so that
 *                          their replies count as established on ingress
 * Without the companion, inbound connections work, outbound ones don't.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "budget.h"
#include "counter_names.h"
#include "flywall/conntrack.h"
#include "once.h"
#include "parse.h"
#include "ringbuf.h"
#include "telemetry.h"

/* Pass, and let the next program on the hook have its say: a tcx chain stops
 * at TC_ACT_OK, so returning it would skip the programs after this one (the
 * shaper after ingress_filter's egress companion, say). */
#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT 2
#define NS_PER_S 1000000000ull
#define PULL_LEN 160    /* deep enough for an ICMPv6 error's inner headers */

/* Args: timeouts in seconds, and the event sampling. */
__u32 tcp_syn_timeout = 60;
__u32 tcp_established_timeout = 432000;     /* 5 days, as Linux conntrack */
__u32 tcp_closing_timeout = 120;
__u32 tcp_closed_timeout = 10;
__u32 udp_timeout = 30;                     /* until the other side replies */
__u32 udp_stream_timeout = 180;             /* replied UDP, other protocols */
__u32 icmp_timeout = 30;
__u32 event_sample = 64;                    /* 1 drop event in N (power of 2) */
__u32 event_budget = 1000;                  /* drop events per second, all CPUs; 0: none */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct fw_ct_key);
	__type(value, struct fw_ct_entry);
	__uint(max_entries, 1000000);
} conntrack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct fw_ct_port_key);
	__type(value, __u32);
	__uint(max_entries, 1024);
} allowed_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_CT_COUNTER_MAX);
} counters SEC(".maps");

/* The slots' names for metrics and the dashboard (bpf/lib/counter_names.h). */
enum flywall_counters__counters {
	counters__pass__established = FW_CT_PASS_ESTABLISHED,
	counters__pass__new_flow = FW_CT_PASS_NEW,
	counters__pass__related = FW_CT_PASS_RELATED,
	counters__pass__non_ip = FW_CT_PASS_NON_IP,
	counters__pass__fragment = FW_CT_PASS_FRAGMENT,
	counters__pass__neighbour_discovery = FW_CT_PASS_ND,
	counters__drop__invalid = FW_CT_DROP_INVALID,
	counters__drop__port_not_allowed = FW_CT_DROP_NOT_ALLOWED,
	counters__drop__malformed = FW_CT_DROP_MALFORMED,
	counters__drop__unrelated = FW_CT_DROP_UNRELATED,
	counters__entries_expired = FW_CT_ENTRY_EXPIRED,
	counters__entries_failed = FW_CT_ENTRY_FAILED,
	counters__egress_seen = FW_CT_EGRESS_SEEN,
	counters__egress_new_flows = FW_CT_EGRESS_NEW,
	counters__events_lost = FW_CT_EVENT_LOST,
	counters__events_sent = FW_CT_EVENT_SENT,
	counters__events_suppressed = FW_CT_EVENT_SUPPRESSED,
};
FLYWALL_COUNTER_NAMES(counters);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} ct_events SEC(".maps");

/* The event budget's bucket (GCRA: its theoretical arrival time), shared by
 * all CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} ct_event_budget SEC(".maps");

/* The L4 facts a decision needs. */
struct fw_l4 {
	__u16 sport, dport;     /* host order; echo id for ICMP echo */
	__u8 tcp_flags;
	__u8 icmp_kind;         /* enum icmp_kind */
};

enum icmp_kind { ICMP_OTHER, ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, ICMP_ERROR, ICMP_ND };

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

static __always_inline enum icmp_kind icmp_classify(__u8 proto, __u8 type)
{
	if (proto == FW_IPPROTO_ICMP) {
		switch (type) {
		case 8: return ICMP_ECHO_REQUEST;
		case 0: return ICMP_ECHO_REPLY;
		case 3: case 11: case 12: return ICMP_ERROR;
		}
		return ICMP_OTHER;
	}
	switch (type) {
	case 128: return ICMP_ECHO_REQUEST;
	case 129: return ICMP_ECHO_REPLY;
	case 1: case 2: case 3: case 4: return ICMP_ERROR;
	case 133: case 134: case 135: case 136: case 137: return ICMP_ND;
	}
	return ICMP_OTHER;
}

/* Reads ports / flags / ICMP type at l4. Returns FW_PARSE_MALFORMED if cut. */
static __always_inline int parse_l4(void *l4, void *end, __u8 proto, struct fw_l4 *out)
{
	struct tcphdr *tcp = l4;
	struct udphdr *udp = l4;
	struct icmphdr *icmp = l4;

	switch (proto) {
	case FW_IPPROTO_TCP:
		if ((void *)(tcp + 1) > end || tcp->doff < 5)
			return FW_PARSE_MALFORMED;
		out->sport = bpf_ntohs(tcp->source);
		out->dport = bpf_ntohs(tcp->dest);
		out->tcp_flags = ((__u8 *)tcp)[13];
		return FW_PARSE_OK;
	case FW_IPPROTO_UDP:
		if ((void *)(udp + 1) > end)
			return FW_PARSE_MALFORMED;
		out->sport = bpf_ntohs(udp->source);
		out->dport = bpf_ntohs(udp->dest);
		return FW_PARSE_OK;
	case FW_IPPROTO_ICMP:
	case FW_IPPROTO_ICMPV6:
		if ((void *)(icmp + 1) > end)
			return FW_PARSE_MALFORMED;
		out->icmp_kind = icmp_classify(proto, icmp->type);
		if (out->icmp_kind == ICMP_ECHO_REQUEST || out->icmp_kind == ICMP_ECHO_REPLY)
			out->sport = out->dport = bpf_ntohs(icmp->un.echo.id);
		return FW_PARSE_OK;
	}
	return FW_PARSE_OK; /* other protocols: tracked by addresses alone */
}

/* memcmp order of two addresses held as network-order words. */
static __always_inline int addr_cmp(const __u32 *a, const __u32 *b)
{
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		if (a[i] != b[i])
			return bpf_ntohl(a[i]) < bpf_ntohl(b[i]) ? -1 : 1;
	}
	return 0;
}

/* Fills the direction-free key; returns which side the source is. */
static __always_inline enum fw_ct_side make_key(struct fw_ct_key *key, const __u32 *saddr,
						const __u32 *daddr, __u16 sport,
						__u16 dport, __u8 proto)
{
	int c = addr_cmp(saddr, daddr);
	bool src_lo = c < 0 || (c == 0 && sport <= dport);

	__builtin_memcpy(key->lo_addr, src_lo ? saddr : daddr, 16);
	__builtin_memcpy(key->hi_addr, src_lo ? daddr : saddr, 16);
	key->lo_port = src_lo ? sport : dport;
	key->hi_port = src_lo ? dport : sport;
	key->proto = proto;
	return src_lo ? FW_CT_SIDE_LO : FW_CT_SIDE_HI;
}

static __always_inline __u64 timeout_ns(const struct fw_ct_entry *e, __u8 proto)
{
	__u32 s;

	switch (e->state) {
	case FW_CT_SYN_SENT:
	case FW_CT_SYN_RECV: s = tcp_syn_timeout; break;
	case FW_CT_CLOSING: s = tcp_closing_timeout; break;
	case FW_CT_CLOSED: s = tcp_closed_timeout; break;
	case FW_CT_UNREPLIED:
		s = proto == FW_IPPROTO_UDP ? udp_timeout : icmp_timeout;
		break;
	default:
		s = proto == FW_IPPROTO_TCP ? tcp_established_timeout :
		    proto == FW_IPPROTO_ICMP || proto == FW_IPPROTO_ICMPV6 ?
		    icmp_timeout : udp_stream_timeout;
	}
	return s * NS_PER_S;
}

/* Flag combinations no TCP endpoint sends (scans, evasion). */
static __always_inline bool tcp_flags_invalid(__u8 f)
{
	f &= TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK;
	return !f || (f & (TCP_SYN | TCP_FIN)) == (TCP_SYN | TCP_FIN) ||
	       (f & (TCP_SYN | TCP_RST)) == (TCP_SYN | TCP_RST) ||
	       (f & (TCP_FIN | TCP_ACK)) == TCP_FIN;
}

/*
 * Moves a TCP entry on by one packet from `side`. Returns false when the
 * packet does not belong to the connection in its state (invalid).
 * A SYN on a closed/closing entry from its initiator reopens it.
 */
static __always_inline bool tcp_advance(struct fw_ct_entry *e, enum fw_ct_side side, __u8 f)
{
	bool from_initiator = side == e->initiator;

	if (f & TCP_RST) {
		e->state = FW_CT_CLOSED;
		return true;
	}
	if (f & TCP_SYN) {
		if (!(f & TCP_ACK)) {
			if (!from_initiator)
				return false;
			if (e->state == FW_CT_CLOSING || e->state == FW_CT_CLOSED) {
				e->state = FW_CT_SYN_SENT;
				e->fin_seen = 0;
			}
			return e->state == FW_CT_SYN_SENT || e->state == FW_CT_SYN_RECV;
		}
		/* SYN-ACK: only the responder, only during the handshake */
		if (from_initiator || e->state > FW_CT_ESTABLISHED)
			return false;
		if (e->state == FW_CT_SYN_SENT)
			e->state = FW_CT_SYN_RECV;
		return true;
	}
	if (e->state == FW_CT_CLOSED)
		return false;
	if (e->state == FW_CT_SYN_SENT && !from_initiator)
		return false; /* the responder must answer with a SYN-ACK first */
	/* The initiator's ACK completes the handshake. In SYN_SENT too: with
	 * only the ingress program attached we never see our own SYN-ACK. */
	if (from_initiator && (e->state == FW_CT_SYN_SENT || e->state == FW_CT_SYN_RECV))
		e->state = FW_CT_ESTABLISHED;
	if (f & TCP_FIN) {
		e->fin_seen |= 1 << side;
		e->state = FW_CT_CLOSING;
	}
	return true;
}

/*
 * Whether a sampled event fits in event_budget per second (bursts of a tenth
 * of that; bpf/lib/budget.h): a flood must not cost user space more than the
 * budget, however many drops the sampling lets through.
 */
static __always_inline bool within_budget(void)
{
	__u32 zero = 0, budget = event_budget;
	__u64 *bucket = bpf_map_lookup_elem(&ct_event_budget, &zero);
	__u64 interval;

	if (!bucket || !budget)
		return false;
	interval = NS_PER_S / budget;
	return fw_budget_take(bucket, interval, interval * ((budget / 10) ?: 1),
			      bpf_ktime_get_coarse_ns());
}

static __always_inline void send_event(struct __sk_buff *skb, const struct fw_pkt *pkt,
				       const struct fw_l4 *l4, __u32 reason, __u64 nth)
{
	struct fw_ct_event *ev;
	__u32 sample = event_sample;

	if (!sample || ((nth - 1) & (sample - 1)))
		return;
	if (!within_budget()) {
		fw_count(&counters, FW_CT_EVENT_SUPPRESSED);
		return;
	}
	ev = bpf_ringbuf_reserve(&ct_events, sizeof(*ev), 0);
	if (!ev) {
		fw_count(&counters, FW_CT_EVENT_LOST);
		return;
	}
	fw_event_start(ev, FW_EVENT_CONNTRACK, bpf_ktime_get_ns());
	__builtin_memcpy(ev->saddr, pkt->saddr, 16);
	__builtin_memcpy(ev->daddr, pkt->daddr, 16);
	ev->sport = l4->sport;
	ev->dport = l4->dport;
	ev->proto = pkt->l4proto;
	ev->reason = reason;
	ev->tcp_flags = l4->tcp_flags;
	ev->family = pkt->family;
	ev->ifindex = skb->ifindex;
	ev->reserved = 0;
	bpf_ringbuf_submit(ev, fw_ringbuf_wakeup(&ct_events));
	fw_count(&counters, FW_CT_EVENT_SENT);
}

/* Counts a verdict; a drop on ingress also gets a sampled event. */
static __always_inline int verdict(struct __sk_buff *skb, bool egress, __u32 reason,
				   const struct fw_pkt *pkt, const struct fw_l4 *l4)
{
	bool drop = reason >= FW_CT_DROP_INVALID && reason <= FW_CT_DROP_UNRELATED;
	__u64 nth;

	if (egress)
		return TC_ACT_UNSPEC; /* the companion observes, it never filters */
	nth = fw_count(&counters, reason);
	if (!drop)
		return TC_ACT_UNSPEC;
	send_event(skb, pkt, l4, reason, nth);
	return TC_ACT_SHOT;
}

static __always_inline bool port_allowed(__u8 proto, __u16 port)
{
	struct fw_ct_port_key key = { .port = port, .proto = proto };

	if (bpf_map_lookup_elem(&allowed_ports, &key))
		return true;
	key.port = 0;
	return bpf_map_lookup_elem(&allowed_ports, &key) != NULL;
}

/*
 * An ICMP error quotes the header of a packet we sent. It is related (and
 * passes) when that packet's flow is tracked.
 */
static __always_inline bool icmp_error_related(void *icmp, void *end, __u8 family)
{
	struct fw_pkt inner = {};
	struct fw_l4 l4 = {};
	struct fw_ct_key key = {};
	void *ip = icmp + 8;
	int ret;

	if (family == 4) {
		ret = fw_parse_ipv4_quoted(ip, end, &inner);
	} else {
		ret = fw_parse_ipv6_quoted(ip, end, &inner);
	}
	if (ret != FW_PARSE_OK || !inner.l4)
		return false;
	if (parse_l4(inner.l4, end, inner.l4proto, &l4) != FW_PARSE_OK)
		return false;
	make_key(&key, inner.saddr, inner.daddr, l4.sport, l4.dport, inner.l4proto);
	return bpf_map_lookup_elem(&conntrack, &key) != NULL;
}

/*
 * Looks the flow up; an entry past its timeout is removed and not returned.
 * Another CPU may have just stamped the entry with a coarse time a tick
 * newer than this CPU's `now`: such an entry is fresh, not 2^64 ns old.
 */
static __always_inline struct fw_ct_entry *ct_lookup(const struct fw_ct_key *key, __u64 now)
{
	struct fw_ct_entry *e = bpf_map_lookup_elem(&conntrack, key);
	__u64 seen = e ? READ_ONCE(e->last_seen_ns) : 0;

	if (e && seen <= now && now - seen >= timeout_ns(e, key->proto)) {
		bpf_map_delete_elem(&conntrack, key);
		fw_count(&counters, FW_CT_ENTRY_EXPIRED);
		return NULL;
	}
	return e;
}

/* A packet of a tracked flow: advance the state and account it. */
static __always_inline __u32 ct_existing(struct fw_ct_entry *e, enum fw_ct_side side,
					 const struct fw_pkt *pkt, const struct fw_l4 *l4,
					 __u64 now, __u32 len)
{
	if (pkt->l4proto == FW_IPPROTO_TCP) {
		if (!tcp_advance(e, side, l4->tcp_flags))
			return FW_CT_DROP_INVALID;
	} else if (side != e->initiator && e->state == FW_CT_UNREPLIED) {
		e->state = FW_CT_ESTABLISHED;
	}
	e->last_seen_ns = now;
	e->packets++;
	e->bytes += len;
	return FW_CT_PASS_ESTABLISHED;
}

/*
 * A SYN from the side that did not open a closing or closed connection
 * starts a new connection the other way over the same ports: the old entry
 * is dropped and the SYN judged as new.
 */
static __always_inline bool reopened_reversed(const struct fw_ct_entry *e,
					      enum fw_ct_side side, const struct fw_pkt *pkt,
					      const struct fw_l4 *l4)
{
	return pkt->l4proto == FW_IPPROTO_TCP && side != e->initiator &&
	       (l4->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN &&
	       (e->state == FW_CT_CLOSING || e->state == FW_CT_CLOSED);
}

/* A packet with no entry: decide, and track it if it opens a flow. */
static __always_inline __u32 ct_new(const struct fw_ct_key *key, enum fw_ct_side side,
				    const struct fw_pkt *pkt, const struct fw_l4 *l4,
				    bool egress, __u64 now, __u32 len)
{
	struct fw_ct_entry e = {
		.last_seen_ns = now, .packets = 1, .bytes = len, .initiator = side,
		.state = FW_CT_UNREPLIED,
	};

	if (pkt->l4proto == FW_IPPROTO_TCP) {
		if ((l4->tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
			return FW_CT_DROP_INVALID;
		e.state = FW_CT_SYN_SENT;
	}
	if (l4->icmp_kind == ICMP_ECHO_REPLY)
		return FW_CT_DROP_UNRELATED;
	if (!egress && !port_allowed(pkt->l4proto, l4->dport))
		return FW_CT_DROP_NOT_ALLOWED;
	if (bpf_map_update_elem(&conntrack, key, &e, BPF_NOEXIST) && !egress)
		fw_count(&counters, FW_CT_ENTRY_FAILED); /* a racing CPU may have inserted it */
	if (egress)
		fw_count(&counters, FW_CT_EGRESS_NEW);
	return FW_CT_PASS_NEW;
}

static __always_inline int filter(struct __sk_buff *skb, bool egress)
{
	struct fw_pkt pkt = {};
	struct fw_l4 l4 = {};
	struct fw_ct_key key = {};
	struct fw_ct_entry *e;
	enum fw_ct_side side;
	void *data, *end;
	__u64 now;
	__u32 reason;

	if (egress)
		fw_count(&counters, FW_CT_EGRESS_SEEN);
	if (skb->data_end - skb->data < PULL_LEN && skb->len > skb->data_end - skb->data)
		bpf_skb_pull_data(skb, skb->len < PULL_LEN ? skb->len : PULL_LEN);
	/* Keeps clang from precomputing &skb->data: the verifier refuses a
	 * context pointer with an offset. */
	asm volatile("" : "+r"(skb));
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;

	switch (fw_parse_packet(data, end, skb->len, &pkt)) {
	case FW_PARSE_OK:
		break;
	case FW_PARSE_NOT_IP:
		return verdict(skb, egress, FW_CT_PASS_NON_IP, &pkt, &l4);
	default:
		return verdict(skb, egress, FW_CT_DROP_MALFORMED, &pkt, &l4);
	}
	if (!pkt.l4)
		return verdict(skb, egress, FW_CT_PASS_FRAGMENT, &pkt, &l4);
	if (parse_l4(pkt.l4, end, pkt.l4proto, &l4) != FW_PARSE_OK)
		return verdict(skb, egress, FW_CT_DROP_MALFORMED, &pkt, &l4);
	if (pkt.l4proto == FW_IPPROTO_TCP && tcp_flags_invalid(l4.tcp_flags))
		return verdict(skb, egress, FW_CT_DROP_INVALID, &pkt, &l4);
	if (l4.icmp_kind == ICMP_ND)
		return verdict(skb, egress, FW_CT_PASS_ND, &pkt, &l4);
	if (l4.icmp_kind == ICMP_ERROR)
		return verdict(skb, egress, icmp_error_related(pkt.l4, end, pkt.family) ?
			       FW_CT_PASS_RELATED : FW_CT_DROP_UNRELATED, &pkt, &l4);

	side = make_key(&key, pkt.saddr, pkt.daddr, l4.sport, l4.dport, pkt.l4proto);
	/* timeouts are seconds: the tick-resolution clock is plenty, and cheap */
	now = bpf_ktime_get_coarse_ns();
	e = ct_lookup(&key, now);
	if (e && reopened_reversed(e, side, &pkt, &l4)) {
		bpf_map_delete_elem(&conntrack, &key);
		e = NULL;
	}
	if (e)
		reason = ct_existing(e, side, &pkt, &l4, now, skb->len);
	else
		reason = ct_new(&key, side, &pkt, &l4, egress, now, skb->len);
	return verdict(skb, egress, reason, &pkt, &l4);
}

SEC("tc")
int ingress_filter(struct __sk_buff *skb)
{
	return filter(skb, false);
}

SEC("tc")
int ingress_filter_egress(struct __sk_buff *skb)
{
	return filter(skb, true);
}

char LICENSE[] SEC("license") = "GPL";
