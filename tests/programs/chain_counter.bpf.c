// SPDX-License-Identifier: GPL-2.0
/*
 * A chain member for the tests of several programs on one hook point: it
 * counts the ICMP echo requests that reach it (seen[0]) and, with the arg
 * drop = 1, drops them; everything else goes on down the chain. Two copies
 * in a chain show the order: the one after a dropping member counts nothing.
 * The tc form continues with TC_ACT_UNSPEC (tcx: the next program runs);
 * the XDP form through fw_xdp_chain_next() (bpf/lib/xdp_chain.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "counter_names.h"
#include "xdp_chain.h"

#define ETH_P_IP 0x0800
#define IPPROTO_ICMP_ 1
#define ICMP_ECHO_ 8
#define TC_ACT_UNSPEC_ (-1)
#define TC_ACT_SHOT_ 2

const volatile __u32 drop = 0;
const volatile __u32 step = 1; /* what a packet adds to seen[0] */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} seen SEC(".maps");

/* Named, so the daemon reports the map as counters although its name says
 * nothing of counting (docs/programs.md, "Naming counters"). */
enum flywall_counters__seen {
	seen__echo_requests = 0,
};
FLYWALL_COUNTER_NAMES(seen);

/* Whether [data, end) is an IPv4 ICMP echo request; counts it if so. */
static __always_inline bool count_echo(void *data, void *end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct icmphdr *icmp;
	__u32 key = 0;
	__u64 *n;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_ICMP_)
		return false;
	icmp = (void *)ip + ip->ihl * 4;
	if ((void *)(icmp + 1) > end || icmp->type != ICMP_ECHO_)
		return false;
	n = bpf_map_lookup_elem(&seen, &key);
	if (n)
		__sync_fetch_and_add(n, step);
	return true;
}

SEC("xdp")
int chain_counter_xdp(struct xdp_md *ctx)
{
	if (count_echo((void *)(long)ctx->data, (void *)(long)ctx->data_end) && drop)
		return XDP_DROP;
	return fw_xdp_chain_next(ctx);
}

SEC("tc")
int chain_counter_tc(struct __sk_buff *skb)
{
	if (count_echo((void *)(long)skb->data, (void *)(long)skb->data_end) && drop)
		return TC_ACT_SHOT_;
	return TC_ACT_UNSPEC_;
}

char LICENSE[] SEC("license") = "GPL";
