// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Benchmark helper, not shipped: bench/synflood.sh's client end.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/*
 * The client's end of the pair: what the receiver sends to the flood's
 * spoofed sources (SYN-ACKs, cookies or not) would scatter over the internet,
 * not come back to the client. Here it all arrives at the client's end: it
 * is dropped before the client's stack, which would otherwise spend its CPU
 * and backlog on it. Everything for the client itself (10.98.0.2, the
 * benchmark's TX_IP) and non-IPv4 frames (ARP) pass.
 */
SEC("xdp")
int client_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(0x0800))
		return XDP_PASS;
	return ip->daddr == bpf_htonl(0x0a620002) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
