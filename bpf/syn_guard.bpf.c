// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * syn_guard (XDP): answers SYN floods with SYN cookies before the stack sees
 * them. For the guarded ports, a SYN of a flow conntrack does not know gets a
 * SYN-ACK whose sequence number is the kernel's own SYN cookie, sent back out
 * of the interface (XDP_TX): no socket, no request, no conntrack entry. The
 * client's ACK is checked here and handed to the stack, which builds the
 * connection from the cookie (net.ipv4.tcp_syncookies = 2). Flows conntrack
 * knows pass untouched, and so does a SYN on a 4-tuple the stack holds in
 * TIME-WAIT. Policy, args, counters and the sysctls it needs:
 * docs/programs.md#syn_guard.
 *
 * The cookie also carries the client's TCP options the way the kernel's own
 * cookies do: MSS in the sequence number; window scale, SACK in the low bits
 * of our timestamp, which the client echoes (without timestamps both are
 * lost, as with the kernel's cookies).
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "flywall/syn_guard.h"
#include "once.h"
#include "parse.h"
#include "counter_names.h"
#include "telemetry.h"
#include "xdp_chain.h"

/* Args (globals the engine writes through BTF, at load or at run time). */
__u16 port_1 = 0;               /* guarded TCP ports (host order); 0: unused */
__u16 port_2 = 0;
__u16 port_3 = 0;
__u16 port_4 = 0;
__u16 mss4 = 1460;              /* our MSS, announced in IPv4 SYN-ACKs */
__u16 mss6 = 1440;              /* ... and in IPv6 ones */
__u8 wscale = 7;                /* our window scale: the one the kernel picks */
__u8 ttl = 64;                  /* TTL / hop limit of the SYN-ACKs */
__u8 timestamps = 1;            /* 0: never answer with timestamps */
__u32 stack_syn_interval_s = 10; /* a SYN per port and family to the kernel this often */

#define ETH_P_IP_BE bpf_htons(0x0800)
#define ETH_P_IPV6_BE bpf_htons(0x86DD)
#define IP_MF_OFFSET_BE bpf_htons(0x3FFF)
#define IP_DF_BE bpf_htons(0x4000)
#define PROTO_TCP 6

#define TCP_HDR_MIN 20
#define TCP_HDR_MAX 60
#define TCP_OPT_MAX (TCP_HDR_MAX - TCP_HDR_MIN)

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WINDOW 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_TIMESTAMP 8
#define TCP_MAX_WSCALE 14

/* The low bits of a cookie timestamp, as the kernel's cookie_init_timestamp
 * encodes and cookie_timestamp_decode reads them. */
#define TS_BITS 6
#define TS_OPT_WSCALE_MASK 0xf
#define TS_OPT_SACK (1 << 4)

#define TCP_FLAG_SYN_BE bpf_htonl(0x00020000)
#define TCP_FLAG_ACK_BE bpf_htonl(0x00100000)

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

/* nf_conntrack is built in: its types are in vmlinux.h, its kfuncs not. */
extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *tuple,
					 __u32 tuple__sz, struct bpf_ct_opts *opts,
					 __u32 opts__sz) __ksym;
extern void bpf_ct_release(struct nf_conn *ct) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_SG_COUNTER_MAX);
} syn_guard_counters SEC(".maps");

/* Per guarded port and family (slot * 2 + is IPv6): when a SYN was last
 * left to the kernel (coarse clock). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_SG_PORTS * 2);
} syn_guard_stack_syn SEC(".maps");

/* The slots' names for metrics and the dashboard (bpf/lib/counter_names.h). */
enum flywall_counters__syn_guard_counters {
	syn_guard_counters__pass__not_guarded = FW_SG_PASS,
	syn_guard_counters__pass__established = FW_SG_PASS_ESTABLISHED,
	syn_guard_counters__tx__syn_answered = FW_SG_SYN_ANSWERED,
	syn_guard_counters__pass__cookie_valid = FW_SG_COOKIE_VALID,
	syn_guard_counters__drop__cookie_invalid = FW_SG_COOKIE_INVALID,
	syn_guard_counters__pass__syn_to_stack = FW_SG_SYN_TO_STACK,
	syn_guard_counters__drop__malformed = FW_SG_DROP_MALFORMED,
	syn_guard_counters__pass__other_flags = FW_SG_PASS_OTHER_FLAGS,
	syn_guard_counters__pass__error = FW_SG_ERROR,
	syn_guard_counters__drop__syn_unanswerable = FW_SG_DROP_SYN_UNANSWERABLE,
	syn_guard_counters__pass__time_wait = FW_SG_PASS_TIME_WAIT,
};
FLYWALL_COUNTER_NAMES(syn_guard_counters);

/* Counts the verdict's reason and returns the verdict. */
static __always_inline int count(int verdict, __u32 index)
{
	fw_count(&syn_guard_counters, index);
	return verdict;
}

/* The slot (0..FW_SG_PORTS-1) of a guarded destination port, else -1. */
static __always_inline int guarded_slot(__be16 dest)
{
	__u16 port = bpf_ntohs(dest);

	if (!port)
		return -1;
	if (port == port_1)
		return 0;
	if (port == port_2)
		return 1;
	if (port == port_3)
		return 2;
	if (port == port_4)
		return 3;
	return -1;
}

/*
 * The kernel accepts a cookie ACK only while the listener has itself sent a
 * cookie in the last two minutes (tcp_synq_no_recent_overflow). SYNs answered
 * here never reach it, so one SYN per port, family and stack_syn_interval_s
 * goes to the kernel, which (tcp_syncookies = 2) answers it with a cookie of
 * its own and so keeps accepting ours (an IPv4 and an IPv6 listener are two
 * sockets). A listener that starts later accepts cookies from the next such
 * SYN on. Whichever CPU wins the compare-and-swap lets its SYN through.
 */
static __always_inline bool stack_syn_due(int slot, bool v6)
{
	__u32 key = slot * 2 + v6;
	__u64 *last = bpf_map_lookup_elem(&syn_guard_stack_syn, &key);
	__u64 now, old;

	if (!last)
		return false;
	now = bpf_ktime_get_coarse_ns();
	old = READ_ONCE(*last);
	if (old && now - old < (__u64)stack_syn_interval_s * NS_PER_S)
		return false;
	return __sync_val_compare_and_swap(last, old, now) == old;
}

/* The flow's 4-tuple as the conntrack and socket lookups take it; returns
 * its size. Built once, for both. */
static __always_inline __u32 flow_tuple(void *l3, bool v6, struct tcphdr *th,
					struct bpf_sock_tuple *tuple)
{
	struct iphdr *ip4 = l3;
	struct ipv6hdr *ip6 = l3;

	if (!v6) {
		tuple->ipv4.saddr = ip4->saddr;
		tuple->ipv4.daddr = ip4->daddr;
		tuple->ipv4.sport = th->source;
		tuple->ipv4.dport = th->dest;
		return sizeof(tuple->ipv4);
	}
	__builtin_memcpy(tuple->ipv6.saddr, &ip6->saddr, 16);
	__builtin_memcpy(tuple->ipv6.daddr, &ip6->daddr, 16);
	tuple->ipv6.sport = th->source;
	tuple->ipv6.dport = th->dest;
	return sizeof(tuple->ipv6);
}

/* 1: conntrack has a confirmed entry for the flow, 0: none, -1: lookup failed. */
static __always_inline int conntracked(struct xdp_md *ctx, struct bpf_sock_tuple *tuple,
				       __u32 size)
{
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = PROTO_TCP };
	struct nf_conn *ct;
	int found;

	ct = bpf_xdp_ct_lookup(ctx, tuple, size, &opts, sizeof(opts));
	if (!ct)
		return opts.error == -2 /* ENOENT */ ? 0 : -1;
	found = (ct->status & IPS_CONFIRMED) != 0;
	bpf_ct_release(ct);
	return found;
}

/*
 * Whether the stack holds the flow's 4-tuple in TIME-WAIT. A new SYN on it
 * must reach the stack, which reopens the tuple through the TIME-WAIT socket
 * (tcp_timewait_state_process); answered here, its cookie ACK would land on
 * that socket, not on the listener, and the connection would hang. Conntrack
 * normally still knows such a flow (its TIME_WAIT outlives TCP's), not after
 * a flush, an expiry, a full table or when it was turned on later.
 */
static __always_inline bool in_time_wait(struct xdp_md *ctx, struct bpf_sock_tuple *tuple,
					 __u32 size)
{
	struct bpf_sock *sk = bpf_skc_lookup_tcp(ctx, tuple, size, BPF_F_CURRENT_NETNS, 0);
	bool time_wait;

	if (!sk)
		return false;
	time_wait = sk->state == BPF_TCP_TIME_WAIT;
	bpf_sk_release(sk);
	return time_wait;
}

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* The pseudo-header sum of TCP over IPv4 or IPv6 (network-order words). */
static __always_inline __u64 pseudo_sum(struct iphdr *ip4, struct ipv6hdr *ip6, __u32 tcp_len)
{
	__u64 sum = bpf_htonl(tcp_len) + bpf_htonl(PROTO_TCP);

	if (ip4)
		return sum + ip4->saddr + ip4->daddr;
	if (ip6) {
		for (int i = 0; i < 4; i++)
			sum += ip6->saddr.in6_u.u6_addr32[i] + (__u64)ip6->daddr.in6_u.u6_addr32[i];
	}
	return sum;
}

/* The TCP checksum of th (tcp_len bytes, checksum field as it is): 0 when
 * the field holds the right sum. Negative on a helper error. */
static __always_inline __s64 tcp_csum(struct iphdr *ip4, struct ipv6hdr *ip6,
				      struct tcphdr *th, __u32 tcp_len)
{
	__s64 sum = bpf_csum_diff(0, 0, (__be32 *)th, tcp_len, 0);

	if (sum < 0)
		return sum;
	return csum_fold(pseudo_sum(ip4, ip6, tcp_len) + (__u32)sum);
}

/* What the SYN's options ask for, and the timestamp we answer with. */
struct syn_opts {
	__be32 tsval, tsecr;    /* ours, and the client's tsval echoed */
	__u8 has_ts, sack, wscale_ok;
};

/* The option walk's state: a copy of the options (indices are masked to 63;
 * the 8 spare bytes take the 4-byte read of a timestamp at the end). */
struct opt_walk {
	__u8 opt[64 + 8];
	__u32 off, len;
	struct syn_opts *o;
	__u8 client_wscale;
};

/* One option per call (bpf_loop): the verifier checks the body once, not
 * once per path through 40 unrolled steps. Returns 1 to stop. */
static int read_option(__u32 index, void *ctx)
{
	struct opt_walk *w = ctx;
	__u32 off = w->off;
	__u8 kind, size;

	if (off >= w->len)
		return 1;
	kind = w->opt[off & 63];
	if (kind == TCPOPT_EOL)
		return 1;
	if (kind == TCPOPT_NOP) {
		w->off = off + 1;
		return 0;
	}
	if (off + 1 >= w->len)
		return 1;
	size = w->opt[(off + 1) & 63];
	if (size < 2 || off + size > w->len)
		return 1;
	if (kind == TCPOPT_WINDOW && size == 3) {
		w->o->wscale_ok = 1;
		w->client_wscale = w->opt[(off + 2) & 63];
	} else if (kind == TCPOPT_SACK_PERM && size == 2) {
		w->o->sack = 1;
	} else if (kind == TCPOPT_TIMESTAMP && size == 10) {
		w->o->has_ts = 1;
		__builtin_memcpy(&w->o->tsecr, &w->opt[(off + 2) & 63], 4);
	}
	w->off = off + size;
	return 0;
}

/*
 * Our timestamp: now in ms (the clock the kernel's TCP timestamps use; with
 * net.ipv4.tcp_timestamps = 2 the kernel adds no per-flow offset) with the
 * client's window scale and SACK in the low bits, and never ahead of now,
 * else the kernel's next segments would carry an older timestamp than this
 * one and the client would discard them (PAWS).
 */
static __always_inline __be32 cookie_timestamp(const struct syn_opts *o, __u8 client_wscale)
{
	__u32 now = bpf_ktime_get_ns() / NS_PER_MS;
	__u32 options = o->wscale_ok ? (client_wscale < TCP_MAX_WSCALE ? client_wscale
								      : TCP_MAX_WSCALE)
				     : TS_OPT_WSCALE_MASK;
	__u32 ts;

	if (o->sack)
		options |= TS_OPT_SACK;
	ts = ((now >> TS_BITS) << TS_BITS) | options;
	if (ts > now)
		ts -= 1u << TS_BITS;
	return bpf_htonl(ts);
}

/* Writes the SYN-ACK's options at p; returns their length in bytes. */
static __always_inline __u32 write_synack_options(__be32 *p, const struct syn_opts *o, __u16 mss)
{
	__u32 n = 0;

	p[n++] = bpf_htonl((TCPOPT_MSS << 24) | (4 << 16) | mss);
	if (!o->has_ts)
		return n * 4;
	if (o->sack)
		p[n++] = bpf_htonl((TCPOPT_SACK_PERM << 24) | (2 << 16) | (TCPOPT_TIMESTAMP << 8) | 10);
	else
		p[n++] = bpf_htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) | (TCPOPT_TIMESTAMP << 8) | 10);
	p[n++] = o->tsval;
	p[n++] = o->tsecr;
	if (o->wscale_ok)
		p[n++] = bpf_htonl((TCPOPT_NOP << 24) | (TCPOPT_WINDOW << 16) | (3 << 8) | wscale);
	return n * 4;
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[6];

	__builtin_memcpy(tmp, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, tmp, 6);
}

/*
 * Turns the SYN in the frame into our SYN-ACK, in place. The frame was grown
 * so that a full 60-byte TCP header fits behind the IP header (l3_len bytes,
 * no options); tcp_len is the SYN's header length. Returns the verdict.
 */
static __always_inline int answer_syn(struct xdp_md *ctx, bool v6, __u32 tcp_len, bool payload)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 l3_len = v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr), synack_len;
	struct ethhdr *eth = data;
	struct iphdr *ip4 = v6 ? NULL : (void *)(eth + 1);
	struct ipv6hdr *ip6 = v6 ? (void *)(eth + 1) : NULL;
	struct tcphdr *th = (void *)(eth + 1) + l3_len;
	struct syn_opts o = {};
	struct opt_walk walk = { .o = &o };
	__be32 addr4, seq;
	__be16 port;
	__s64 value;

	if ((void *)th + TCP_HDR_MAX > end)
		return count(XDP_PASS, FW_SG_ERROR);
	tcp_len &= 0x3c;
	if (tcp_len < TCP_HDR_MIN)
		return count(XDP_DROP, FW_SG_DROP_MALFORMED);
	/* Answer only what the kernel would accept: checksums right. (The TCP
	 * checksum of a SYN carrying data, which the answer drops as the
	 * kernel's cookies do, is not checked: its length has no bound here.) */
	if (ip4 && csum_fold((__u32)bpf_csum_diff(0, 0, (__be32 *)ip4, sizeof(*ip4), 0)))
		return count(XDP_DROP, FW_SG_DROP_MALFORMED);
	value = payload ? 0 : tcp_csum(ip4, ip6, th, tcp_len);
	if (value)
		return count(value < 0 ? XDP_PASS : XDP_DROP,
			     value < 0 ? FW_SG_ERROR : FW_SG_DROP_MALFORMED);

	value = ip4 ? bpf_tcp_raw_gen_syncookie_ipv4(ip4, th, tcp_len)
		    : bpf_tcp_raw_gen_syncookie_ipv6(ip6, th, tcp_len);
	if (value < 0)
		return count(XDP_PASS, FW_SG_ERROR);

	if (timestamps) {
		/* the cookie helper reads the MSS itself; the rest is ours */
		__builtin_memcpy(walk.opt, th + 1, TCP_OPT_MAX);
		walk.len = tcp_len - TCP_HDR_MIN;
		bpf_loop(TCP_OPT_MAX, read_option, &walk, 0);
	}
	if (o.has_ts) {
		o.tsval = cookie_timestamp(&o, walk.client_wscale);
	} else {
		o.sack = 0;     /* nowhere to keep them: the kernel's cookies drop them too */
		o.wscale_ok = 0;
	}

	swap_macs(eth);
	seq = th->seq;
	port = th->source;
	th->source = th->dest;
	th->dest = port;
	th->ack_seq = bpf_htonl(bpf_ntohl(seq) + 1);
	th->seq = bpf_htonl((__u32)value);
	synack_len = TCP_HDR_MIN + write_synack_options((__be32 *)(th + 1), &o, v6 ? mss6 : mss4);
	/* flags word: data offset, then SYN|ACK and nothing else (no ECN) */
	((__be32 *)th)[3] = bpf_htonl((synack_len / 4) << 28) | TCP_FLAG_SYN_BE | TCP_FLAG_ACK_BE;
	/* The first window is never scaled (RFC 7323): ten segments, as a
	 * kernel's opening window, so the client cannot overrun the real one. */
	th->window = bpf_htons((__u32)(v6 ? mss6 : mss4) * 10 > 65535 ? 65535
								    : (v6 ? mss6 : mss4) * 10);
	th->urg_ptr = 0;
	th->check = 0;

	if (ip4) {
		addr4 = ip4->saddr;
		ip4->saddr = ip4->daddr;
		ip4->daddr = addr4;
		ip4->tos = 0;
		ip4->id = 0;
		ip4->frag_off = IP_DF_BE;
		ip4->ttl = ttl;
		ip4->tot_len = bpf_htons(sizeof(*ip4) + synack_len);
		ip4->check = 0;
		ip4->check = csum_fold((__u32)bpf_csum_diff(0, 0, (__be32 *)ip4, sizeof(*ip4), 0));
	} else if (ip6) {
		struct in6_addr a = ip6->saddr;

		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		*(__be32 *)ip6 = bpf_htonl(0x60000000);
		ip6->payload_len = bpf_htons(synack_len);
		ip6->hop_limit = ttl;
	}
	synack_len &= 0x3c;     /* 24..40: tells the verifier what it knows */
	value = tcp_csum(ip4, ip6, th, synack_len);
	if (value < 0)
		return count(XDP_PASS, FW_SG_ERROR);
	th->check = (__u16)value;       /* the folded sum with check = 0, complemented */

	if (bpf_xdp_adjust_tail(ctx, (int)(sizeof(*eth) + l3_len + synack_len) - (int)(end - data)))
		return count(XDP_DROP, FW_SG_ERROR);
	return count(XDP_TX, FW_SG_SYN_ANSWERED);
}

/* A SYN of no known flow to guarded port slot `slot`. */
static __always_inline int on_syn(struct xdp_md *ctx, void *l3, bool v6, struct tcphdr *th,
				  int slot, struct bpf_sock_tuple *tuple, __u32 tuple_size)
{
	struct iphdr *ip4 = l3;
	struct ipv6hdr *ip6 = l3;
	void *end = (void *)(long)ctx->data_end;
	__u32 tcp_len = th->doff * 4, l3_payload;
	int room;

	if (th->fin || th->rst)
		return count(XDP_DROP, FW_SG_DROP_MALFORMED);
	if (tcp_len < TCP_HDR_MIN)
		return count(XDP_DROP, FW_SG_DROP_MALFORMED);
	/* A SYN the answer cannot rebuild in place (IPv4 options, IPv6
	 * extension headers) is dropped, not left to the kernel: else any flood
	 * could get round the guard by adding one. Real clients send neither. */
	if ((!v6 && ip4->ihl != 5) || (v6 && (void *)th != (void *)(ip6 + 1)))
		return count(XDP_DROP, FW_SG_DROP_SYN_UNANSWERABLE);
	l3_payload = v6 ? bpf_ntohs(ip6->payload_len) : bpf_ntohs(ip4->tot_len) - sizeof(*ip4);
	if (l3_payload < tcp_len)
		return count(XDP_DROP, FW_SG_DROP_MALFORMED);
	if (in_time_wait(ctx, tuple, tuple_size))
		return count(XDP_PASS, FW_SG_PASS_TIME_WAIT);
	if (stack_syn_due(slot, v6))
		return count(XDP_PASS, FW_SG_SYN_TO_STACK);
	/* Room for the longest header, so that the cookie helper may be given
	 * any length the verifier can bound; cut to size when answered. */
	room = end - (void *)th;
	if (room < TCP_HDR_MAX && bpf_xdp_adjust_tail(ctx, TCP_HDR_MAX - room))
		return count(XDP_PASS, FW_SG_ERROR);
	return v6 ? answer_syn(ctx, true, tcp_len, l3_payload != tcp_len)
		  : answer_syn(ctx, false, tcp_len, l3_payload != tcp_len);
}

/* An ACK of no known flow: the third packet of a handshake we answered, or junk. */
static __always_inline int on_ack(void *l3, bool v6, struct tcphdr *th)
{
	long err = v6 ? bpf_tcp_raw_check_syncookie_ipv6(l3, th)
		      : bpf_tcp_raw_check_syncookie_ipv4(l3, th);

	if (err)
		return count(XDP_DROP, FW_SG_COOKIE_INVALID);
	return count(XDP_PASS, FW_SG_COOKIE_VALID);
}

static __always_inline int guard(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip4;
	struct ipv6hdr *ip6;
	struct tcphdr *th;
	struct bpf_sock_tuple tuple = {};
	__u32 tuple_size;
	int slot, known;
	bool v6 = false;
	void *l3;

	if ((void *)(eth + 1) > end)
		return count(XDP_PASS, FW_SG_PASS);
	if (eth->h_proto == ETH_P_IP_BE) {
		ip4 = (void *)(eth + 1);
		if ((void *)(ip4 + 1) > end)
			return count(XDP_DROP, FW_SG_DROP_MALFORMED);
		/* later fragments carry no TCP header: the stack reassembles */
		if (ip4->protocol != PROTO_TCP || (ip4->frag_off & IP_MF_OFFSET_BE))
			return count(XDP_PASS, FW_SG_PASS);
		if (ip4->ihl < 5)
			return count(XDP_DROP, FW_SG_DROP_MALFORMED);
		th = (void *)ip4 + ip4->ihl * 4;
		l3 = ip4;
	} else if (eth->h_proto == ETH_P_IPV6_BE) {
		ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > end)
			return count(XDP_DROP, FW_SG_DROP_MALFORMED);
		th = (void *)(ip6 + 1);
		if (ip6->nexthdr != PROTO_TCP) {
			/* behind extension headers, TCP is guarded all the same */
			struct fw_pkt pkt = { .l4proto = ip6->nexthdr };

			if (fw_parse_ipv6_ext(ip6 + 1, end, &pkt) != FW_PARSE_OK)
				return count(XDP_DROP, FW_SG_DROP_MALFORMED);
			if (pkt.l4proto != PROTO_TCP || !pkt.l4)
				return count(XDP_PASS, FW_SG_PASS);
			th = pkt.l4;
		}
		l3 = ip6;
		v6 = true;
	} else {
		return count(XDP_PASS, FW_SG_PASS);   /* ARP, VLAN-tagged frames... */
	}
	if ((void *)(th + 1) > end)
		return count(XDP_DROP, FW_SG_DROP_MALFORMED);
	slot = guarded_slot(th->dest);
	if (slot < 0)
		return count(XDP_PASS, FW_SG_PASS);

	tuple_size = flow_tuple(l3, v6, th, &tuple);
	known = conntracked(ctx, &tuple, tuple_size);
	if (known > 0)
		return count(XDP_PASS, FW_SG_PASS_ESTABLISHED);
	if (known < 0)
		return count(XDP_PASS, FW_SG_ERROR);
	if (th->syn && !th->ack)
		return on_syn(ctx, l3, v6, th, slot, &tuple, tuple_size);
	if (th->ack && !th->syn && !th->rst)
		return on_ack(l3, v6, th);
	return count(XDP_PASS, FW_SG_PASS_OTHER_FLAGS);
}

/* A packet syn_guard passes goes on to the next program of the interface's
 * XDP chain, if it is a member of one (bpf/lib/xdp_chain.h). */
SEC("xdp")
int syn_guard(struct xdp_md *ctx)
{
	int verdict = guard(ctx);

	return verdict == XDP_PASS ? fw_xdp_chain_next(ctx) : verdict;
}

char LICENSE[] SEC("license") = "GPL";
