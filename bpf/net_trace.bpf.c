// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * net_trace: runs on the tracepoint net:netif_receive_skb, once per packet
 * the stack receives on any interface of any network namespace. It counts
 * packets and bytes per interface in `if_stats` and sends one packet in
 * `sample_every` (per CPU) to user space through the perf event array
 * `events`. Layouts in include/flywall/trace.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "flywall/trace.h"
#include "telemetry.h"
#include "counter_names.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

/* One event per this many packets on a CPU; 0 sends none. An `args` value,
 * in .data so that it can change while the program runs. */
__u32 sample_every = 64;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, struct fw_net_if_key);
	__type(value, struct fw_net_if_stats);
	__uint(max_entries, 1024);
} if_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_NET_TRACE__COUNT);
} trace_stats SEC(".maps");

/* The slots' names for metrics and the dashboard (bpf/lib/counter_names.h). */
enum flywall_counters__trace_stats {
	trace_stats__packets = FW_NET_TRACE_PACKETS,
	trace_stats__events_sent = FW_NET_TRACE_EVENTS,
	trace_stats__events_lost = FW_NET_TRACE_EVENTS_LOST,
	trace_stats__interfaces_full = FW_NET_TRACE_IF_FULL,
};
FLYWALL_COUNTER_NAMES(trace_stats);

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1024);
} events SEC(".maps");

/* Adds one to a counter and returns its new value on this CPU. */
static __always_inline void count_interface(const struct fw_net_if_key *key, __u32 len)
{
	struct fw_net_if_stats *st = bpf_map_lookup_elem(&if_stats, key);
	struct fw_net_if_stats first = { .packets = 1, .bytes = len };

	if (st) {
		st->packets++;
		st->bytes += len;
		return;
	}
	/* another CPU may have inserted it meanwhile: then add to ours */
	if (bpf_map_update_elem(&if_stats, key, &first, BPF_NOEXIST) == 0)
		return;
	st = bpf_map_lookup_elem(&if_stats, key);
	if (st) {
		st->packets++;
		st->bytes += len;
	} else {
		fw_count(&trace_stats, FW_NET_TRACE_IF_FULL);
	}
}

/* Addresses and protocol of an IPv4 or IPv6 packet (no extension headers). */
static __always_inline void read_l3(struct sk_buff *skb, struct fw_net_rx_event *ev)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);

	if (ev->protocol == ETH_P_IP) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return;
		ev->ip_proto = ip.protocol;
		__builtin_memcpy(ev->saddr, &ip.saddr, 4);
		__builtin_memcpy(ev->daddr, &ip.daddr, 4);
	} else if (ev->protocol == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return;
		ev->ip_proto = ip6.nexthdr;
		__builtin_memcpy(ev->saddr, &ip6.saddr, 16);
		__builtin_memcpy(ev->daddr, &ip6.daddr, 16);
	}
}

static __always_inline void emit_sample(void *ctx, struct sk_buff *skb,
					const struct fw_net_if_key *key, __u32 len)
{
	struct fw_net_rx_event ev = {};

	fw_event_start(&ev, FW_EVENT_NET_RX, bpf_ktime_get_ns());
	ev.netns_ino = key->netns_ino;
	ev.ifindex = key->ifindex;
	ev.len = len;
	ev.protocol = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	read_l3(skb, &ev);
	BPF_CORE_READ_STR_INTO(&ev.ifname, skb, dev, name);
	if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev)))
		fw_count(&trace_stats, FW_NET_TRACE_EVENTS_LOST);
	else
		fw_count(&trace_stats, FW_NET_TRACE_EVENTS);
}

SEC("tracepoint/net/netif_receive_skb")
int net_trace(struct trace_event_raw_net_dev_template *ctx)
{
	struct sk_buff *skb = ctx->skbaddr;
	struct fw_net_if_key key = {
		.netns_ino = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum),
		.ifindex = BPF_CORE_READ(skb, dev, ifindex),
	};
	__u64 seen = fw_count(&trace_stats, FW_NET_TRACE_PACKETS);
	__u32 every = sample_every;

	count_interface(&key, ctx->len);
	if (every && seen % every == 0)
		emit_sample(ctx, skb, &key, ctx->len);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
